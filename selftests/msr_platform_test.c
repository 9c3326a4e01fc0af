// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific MSRs a guest probes while it looks at the platform, as
 * KVM answers them on SVM: those that read as zero (SYSCFG, TSEG, the
 * LBR and RAPL MSRs, PERF_CTL...) and refuse writes, those that read as
 * zero and drop writes (NB_CFG, BU_CFG2, DC_CFG...), fixed values
 * (PERF_STATUS, FSB_FREQ, EBC_FREQUENCY_ID, CLK_CTL, BBL_CR_CTL3), the
 * microcode loader's write-only MSRs, MMIO_CONF_BASE (zero only), and
 * the MSRs that keep what is written: MISC_ENABLE (whose PEBS/BTS
 * unavailable bits the guest cannot change and whose EMON bit ignores
 * it), POWER_CTL, VM_HSAVE_PA (page aligned) and the OSVW pair (only
 * with CPUID 0x80000001 ECX.OSVW). Each through the guest's RDMSR and
 * WRMSR and through KVM_GET/SET_MSRS.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define MSR_PLATFORM_ID		0x17
#define MSR_EBC_FREQUENCY_ID	0x2c
#define MSR_EBL_CR_POWERON	0x2a
#define MSR_UCODE_WRITE		0x79
#define MSR_UCODE_REV		0x8b
#define MSR_FSB_FREQ		0xcd
#define MSR_BBL_CR_CTL3		0x11e
#define MSR_PERF_STATUS		0x198
#define MSR_PERF_CTL		0x199
#define MSR_MISC_ENABLE		0x1a0
#define MSR_LASTBRANCHFROMIP	0x1db
#define MSR_LASTBRANCHTOIP	0x1dc
#define MSR_LASTINTFROMIP	0x1dd
#define MSR_LASTINTTOIP		0x1de
#define MSR_POWER_CTL		0x1fc
#define MSR_RAPL_POWER_UNIT	0x606
#define MSR_PKG_ENERGY_STATUS	0x611
#define MSR_DRAM_ENERGY_STATUS	0x619
#define MSR_PP0_ENERGY_STATUS	0x639
#define MSR_PP1_ENERGY_STATUS	0x641
#define MSR_SYSCFG		0xc0010010
#define MSR_K7_CLK_CTL		0xc001001b
#define MSR_NB_CFG		0xc001001f
#define MSR_PATCH_LOADER	0xc0010020
#define MSR_INT_PENDING_MSG	0xc0010055
#define MSR_MMIO_CONF_BASE	0xc0010058
#define MSR_TSEG_ADDR		0xc0010112
#define MSR_TSEG_MASK		0xc0010113
#define MSR_VM_HSAVE_PA		0xc0010117
#define MSR_OSVW_ID_LENGTH	0xc0010140
#define MSR_OSVW_STATUS		0xc0010141
#define MSR_DC_CFG		0xc0011022
#define MSR_TW_CFG		0xc0011023
#define MSR_BU_CFG2		0xc001102a
#define MSR_F15H_EX_CFG		0xc001102c

#define MISC_ENABLE_FAST_STRING	(1ULL << 0)
#define MISC_ENABLE_EMON	(1ULL << 7)
#define MISC_ENABLE_BTS_UNAVAIL	(1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL (1ULL << 12)
#define MISC_ENABLE_LIMIT_CPUID	(1ULL << 22)

#define CPUID_80000001_ECX_OSVW	(1U << 9)

#define MSR_MISC_FEATURES_ENABLES	0x140
#define MSR_PLATFORM_INFO		0xce
#define PLATFORM_INFO_CPUID_FAULT	(1ULL << 31)

enum write_kind {
	W_GP,		/* WRMSR #GPs, KVM_SET_MSRS refuses */
	W_DROP,		/* accepted, the value stays */
};

struct fixed_msr {
	uint32_t msr;
	uint64_t value;			/* what RDMSR gives */
	enum write_kind write;
	const char *name;
};

static const struct fixed_msr fixed_msrs[] = {
	{ MSR_PLATFORM_ID, 0, W_GP, "PLATFORM_ID" },
	{ MSR_EBL_CR_POWERON, 0, W_GP, "EBL_CR_POWERON" },
	{ MSR_LASTBRANCHFROMIP, 0, W_GP, "LASTBRANCHFROMIP" },
	{ MSR_LASTBRANCHTOIP, 0, W_GP, "LASTBRANCHTOIP" },
	{ MSR_LASTINTFROMIP, 0, W_GP, "LASTINTFROMIP" },
	{ MSR_LASTINTTOIP, 0, W_GP, "LASTINTTOIP" },
	{ MSR_SYSCFG, 0, W_GP, "SYSCFG" },
	{ MSR_TSEG_ADDR, 0, W_GP, "TSEG_ADDR" },
	{ MSR_TSEG_MASK, 0, W_GP, "TSEG_MASK" },
	{ MSR_INT_PENDING_MSG, 0, W_GP, "INT_PENDING_MSG" },
	{ MSR_PERF_CTL, 0, W_GP, "PERF_CTL" },
	{ MSR_RAPL_POWER_UNIT, 0, W_GP, "RAPL_POWER_UNIT" },
	{ MSR_PP0_ENERGY_STATUS, 0, W_GP, "PP0_ENERGY_STATUS" },
	{ MSR_PP1_ENERGY_STATUS, 0, W_GP, "PP1_ENERGY_STATUS" },
	{ MSR_PKG_ENERGY_STATUS, 0, W_GP, "PKG_ENERGY_STATUS" },
	{ MSR_DRAM_ENERGY_STATUS, 0, W_GP, "DRAM_ENERGY_STATUS" },
	{ MSR_NB_CFG, 0, W_DROP, "NB_CFG" },
	{ MSR_BU_CFG2, 0, W_DROP, "BU_CFG2" },
	{ MSR_DC_CFG, 0, W_DROP, "DC_CFG" },
	{ MSR_TW_CFG, 0, W_DROP, "TW_CFG" },
	{ MSR_F15H_EX_CFG, 0, W_DROP, "F15H_EX_CFG" },
	{ MSR_FSB_FREQ, 3, W_GP, "FSB_FREQ" },
	{ MSR_EBC_FREQUENCY_ID, 1ULL << 24, W_GP, "EBC_FREQUENCY_ID" },
	{ MSR_PERF_STATUS, 1000 | 4ULL << 40, W_GP, "PERF_STATUS" },
	{ MSR_K7_CLK_CTL, 0x20000000, W_DROP, "K7_CLK_CTL" },
	{ MSR_BBL_CR_CTL3, 0xbe702111, W_DROP, "BBL_CR_CTL3" },
};

static bool host_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 || b == 0x6f677948;	/* Auth, Hygo */
}

FIXTURE(platform) {
	struct kg_vm vm;
	int fd;
};

FIXTURE_SETUP(platform)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	self->fd = self->vm.v[0].fd;
}

FIXTURE_TEARDOWN(platform)
{
	kg_vm_destroy(&self->vm);
}

static uint64_t get_msr(struct __test_metadata *_metadata, int fd,
			uint32_t msr)
{
	uint64_t v = ~0ULL;

	EXPECT_EQ(1, kt_get_msr(fd, msr, &v)) TH_LOG("MSR %#x", msr);
	return v;
}

/* The fixed answers, to the guest and the VMM, before and after writes. */
TEST_F(platform, fixed_values)
{
	struct kg_vm *vm = &self->vm;
	const uint64_t junk = 0x5a5a0000a5a5ULL;
	uint64_t v;
	size_t i;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	for (i = 0; i < ARRAY_SIZE(fixed_msrs); i++) {
		const struct fixed_msr *m = &fixed_msrs[i];
		int want = m->write == W_GP ? KG_MSR_GP : 0;

		ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, m->msr, &v))
			TH_LOG("RDMSR %s", m->name);
		EXPECT_EQ(m->value, v) TH_LOG("RDMSR %s", m->name);
		EXPECT_EQ(m->value, get_msr(_metadata, self->fd, m->msr))
			TH_LOG("KVM_GET_MSRS %s", m->name);
		EXPECT_EQ(want, kg_guest_wrmsr(vm, 0, m->msr, junk))
			TH_LOG("WRMSR %s", m->name);
		EXPECT_EQ(want, kg_guest_wrmsr(vm, 0, m->msr, 0))
			TH_LOG("WRMSR %s, 0", m->name);
		EXPECT_EQ(m->write == W_GP ? 0 : 1,
			  kt_set_msr(self->fd, m->msr, junk))
			TH_LOG("KVM_SET_MSRS %s", m->name);
		ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, m->msr, &v));
		EXPECT_EQ(m->value, v) TH_LOG("RDMSR %s after writes", m->name);
	}
}

/* The microcode loader's MSRs: writes vanish, reads #GP. */
TEST_F(platform, microcode_loader)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_UCODE_WRITE, 0x12345000));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_UCODE_WRITE, &v));
	EXPECT_EQ(0, kt_get_msr(self->fd, MSR_UCODE_WRITE, &v));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_PATCH_LOADER, 0x12345000));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_PATCH_LOADER, &v));
	EXPECT_EQ(0, kt_get_msr(self->fd, MSR_PATCH_LOADER, &v));
}

/* MMIO_CONF_BASE: zero, and only zero may be written. */
TEST_F(platform, mmio_conf_base)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MMIO_CONF_BASE, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MMIO_CONF_BASE, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MMIO_CONF_BASE,
					    0xe0000021));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_MMIO_CONF_BASE, 0));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_MMIO_CONF_BASE, 0xe0000021));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MMIO_CONF_BASE));
}

/*
 * MISC_ENABLE starts with BTS and PEBS unavailable; the guest cannot
 * change those (#GP) and its EMON writes are ignored; other bits stick.
 * The VMM writes anything.
 */
TEST_F(platform, misc_enable)
{
	const uint64_t ro = MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	EXPECT_EQ(ro, get_msr(_metadata, self->fd, MSR_MISC_ENABLE));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MISC_ENABLE, &v));
	EXPECT_EQ(ro, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE,
					    MISC_ENABLE_BTS_UNAVAIL));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE,
					    MISC_ENABLE_PEBS_UNAVAIL));
	EXPECT_EQ(ro, get_msr(_metadata, self->fd, MSR_MISC_ENABLE));

	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE,
				    ro | MISC_ENABLE_FAST_STRING |
				    MISC_ENABLE_EMON |
				    MISC_ENABLE_LIMIT_CPUID));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MISC_ENABLE, &v));
	EXPECT_EQ(ro | MISC_ENABLE_FAST_STRING | MISC_ENABLE_LIMIT_CPUID, v);

	/* The VMM sets EMON and clears the others; the guest keeps EMON. */
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_MISC_ENABLE, MISC_ENABLE_EMON));
	EXPECT_EQ(MISC_ENABLE_EMON, get_msr(_metadata, self->fd,
					    MSR_MISC_ENABLE));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE,
				    MISC_ENABLE_FAST_STRING));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MISC_ENABLE, &v));
	EXPECT_EQ(MISC_ENABLE_EMON | MISC_ENABLE_FAST_STRING, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_ENABLE, ro));
}

/* POWER_CTL keeps any value, from either side. */
TEST_F(platform, power_ctl)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_POWER_CTL));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_POWER_CTL, 0x8000000000000003ULL));
	EXPECT_EQ(0x8000000000000003ULL,
		  get_msr(_metadata, self->fd, MSR_POWER_CTL));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_POWER_CTL, 0x42));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_POWER_CTL, &v));
	EXPECT_EQ(0x42, v);
}

/*
 * VM_HSAVE_PA (SVM): kept, page aligned; the guest's write of an
 * address that is no page address #GPs, the VMM's is aligned down.
 */
TEST_F(platform, vm_hsave_pa)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	if (!host_is_amd())
		SKIP(return, "VM_HSAVE_PA is kept on SVM only");
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_VM_HSAVE_PA));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_VM_HSAVE_PA, 0x7000));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_VM_HSAVE_PA, &v));
	EXPECT_EQ(0x7000, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_VM_HSAVE_PA, 0x7010));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_VM_HSAVE_PA,
					    1ULL << 63));
	EXPECT_EQ(0x7000, get_msr(_metadata, self->fd, MSR_VM_HSAVE_PA));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_VM_HSAVE_PA, 0x9234));
	EXPECT_EQ(0x9000, get_msr(_metadata, self->fd, MSR_VM_HSAVE_PA));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_VM_HSAVE_PA, 0));
}

/* The OSVW MSRs exist with CPUID.80000001H:ECX.OSVW only. */
TEST_F(platform, osvw)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid_entry2 *e;
	uint64_t v;

	e = kt_cpuid_find(vm->cpuid, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	e->ecx &= ~CPUID_80000001_ECX_OSVW;
	ASSERT_EQ(0, kt_set_cpuid(self->fd, vm->cpuid));
	EXPECT_EQ(0, kt_get_msr(self->fd, MSR_OSVW_ID_LENGTH, &v));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_OSVW_STATUS, 0));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_OSVW_ID_LENGTH, &v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_OSVW_STATUS, &v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_OSVW_STATUS, 1));
}

TEST_F(platform, osvw_with_cpuid)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid_entry2 *e;
	uint64_t v;

	e = kt_cpuid_find(vm->cpuid, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	e->ecx |= CPUID_80000001_ECX_OSVW;
	ASSERT_EQ(0, kt_set_cpuid(self->fd, vm->cpuid));
	/*
	 * On SVM the host's IDs, at least 3 of them, errata 400 and 415
	 * (status bits 1 and 2) fixed; otherwise none.
	 */
	v = get_msr(_metadata, self->fd, MSR_OSVW_ID_LENGTH);
	if (host_is_amd()) {
		EXPECT_LE(3, v);
		EXPECT_GE(4, v);
		EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_OSVW_STATUS) &
			  6);
	} else {
		EXPECT_EQ(0, v);
		EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_OSVW_STATUS));
	}
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_OSVW_ID_LENGTH, 4));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_OSVW_ID_LENGTH, &v));
	EXPECT_EQ(4, v);
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_OSVW_STATUS, 0xa));
	EXPECT_EQ(0xa, get_msr(_metadata, self->fd, MSR_OSVW_STATUS));
	EXPECT_EQ(4, get_msr(_metadata, self->fd, MSR_OSVW_ID_LENGTH));
}

/*
 * CPUID faulting, which KVM offers every guest: PLATFORM_INFO bit 31
 * (the VMM's to change, not while faulting is on), MISC_FEATURES_ENABLES
 * bit 0 (no other bit; only while PLATFORM_INFO offers it).
 */
TEST_F(platform, cpuid_faulting_msrs)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	EXPECT_EQ(PLATFORM_INFO_CPUID_FAULT,
		  get_msr(_metadata, self->fd, MSR_PLATFORM_INFO));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MISC_FEATURES_ENABLES));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_PLATFORM_INFO, &v));
	EXPECT_EQ(PLATFORM_INFO_CPUID_FAULT, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_PLATFORM_INFO, v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_FEATURES_ENABLES,
					    2));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MISC_FEATURES_ENABLES, 1));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MISC_FEATURES_ENABLES, &v));
	EXPECT_EQ(1, v);
	/* Faulting on: PLATFORM_INFO keeps offering it. */
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_PLATFORM_INFO, 0));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_PLATFORM_INFO,
				PLATFORM_INFO_CPUID_FAULT));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MISC_FEATURES_ENABLES, 0));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_PLATFORM_INFO, 0));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_PLATFORM_INFO));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MISC_FEATURES_ENABLES,
					    1));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_MISC_FEATURES_ENABLES, 1));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_MISC_FEATURES_ENABLES, 0));
}

/*
 * IA32_UCODE_REV: KVM's value for a new vCPU (on SVM 0x01000065); the
 * VMM sets it, the guest's writes are dropped.
 */
TEST_F(platform, microcode_revision)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	v = get_msr(_metadata, self->fd, MSR_UCODE_REV);
	EXPECT_EQ(host_is_amd() ? 0x01000065ULL : 0x100000000ULL, v);
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_UCODE_REV, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_UCODE_REV, &v));
	EXPECT_EQ(host_is_amd() ? 0x01000065ULL : 0x100000000ULL, v);
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_UCODE_REV, 0x1234));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_UCODE_REV, &v));
	EXPECT_EQ(0x1234, v);
}

/*
 * The legacy performance counters of a vCPU without a PMU (the test
 * VM's host has none to offer): zero, writes dropped.
 */
TEST_F(platform, legacy_pmu_without_pmu)
{
	static const uint32_t msrs[] = {
		0xc0010000, 0xc0010003, 0xc0010004, 0xc0010007,
		0xc1, 0xc2, 0x186, 0x187,
	};
	struct kg_vm *vm = &self->vm;
	char pmu = 'N';
	uint64_t v;
	size_t i;
	FILE *f;

	/* In-tree KVM on a host with a PMU gives the guest counters. */
	f = fopen("/sys/module/kvm/parameters/enable_pmu", "r");
	if (f) {
		if (fscanf(f, " %c", &pmu) != 1)
			pmu = 'N';
		fclose(f);
	}
	if (pmu == 'Y')
		SKIP(return, "in-tree KVM with a PMU");
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, msrs[i], 0x430076))
			TH_LOG("WRMSR %#x", msrs[i]);
		ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, msrs[i], &v));
		EXPECT_EQ(0, v) TH_LOG("RDMSR %#x", msrs[i]);
		EXPECT_EQ(1, kt_set_msr(self->fd, msrs[i], 0x1234));
		EXPECT_EQ(0, get_msr(_metadata, self->fd, msrs[i]));
	}
}

TEST_HARNESS_MAIN
