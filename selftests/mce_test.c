// SPDX-License-Identifier: GPL-2.0
/*
 * The machine-check architecture KVM gives a guest: KVM_CAP_MCE (32
 * banks), KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE (what it
 * accepts, what IA32_MCG_CAP then reads: on SVM only bits 8:0 are kept),
 * KVM_X86_SET_MCE (bad bank or no VAL: EINVAL; an uncorrected error
 * raises #MC in a guest with CR4.MCE, the guest's handler reads the
 * bank's STATUS/ADDR/MISC and MCG_STATUS with RDMSR; without CR4.MCE, or
 * with MCG_STATUS.MCIP still set, the guest shuts down; reporting off in
 * MCG_CTL or MCi_CTL drops it; an uncorrected error without action
 * (UCNA) and corrected errors are only logged, the overflow bit set
 * when a logged error is overwritten), and the MSR rules: MCG_CTL and
 * MCi_CTL take all ones or zero (MCi_CTL also with bits 10 and 0 clear),
 * from KVM_SET_MSRS and the guest's WRMSR (#GP); the guest writes a
 * non-zero MCi_STATUS only with HWCR.McStatusWrEn and an AMD CPUID.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define MSR_P5_MC_ADDR		0x0
#define MSR_P5_MC_TYPE		0x1
#define MSR_MCG_CAP		0x179
#define MSR_MCG_STATUS		0x17a
#define MSR_MCG_CTL		0x17b
#define MSR_MC0_CTL2		0x280
#define MSR_MC_CTL(i)		(0x400 + 4 * (i))
#define MSR_MC_STATUS(i)	(0x401 + 4 * (i))
#define MSR_MC_ADDR(i)		(0x402 + 4 * (i))
#define MSR_MC_MISC(i)		(0x403 + 4 * (i))
#define MSR_HWCR		0xc0010015

#define MCG_CTL_P		(1ULL << 8)
#define MCG_EXT_CNT(n)		((uint64_t)(n) << 16)
#define MCG_SER_P		(1ULL << 24)

#define MCG_STATUS_RIPV		(1ULL << 0)
#define MCG_STATUS_EIPV		(1ULL << 1)
#define MCG_STATUS_MCIP		(1ULL << 2)

#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_OVER		(1ULL << 62)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_EN		(1ULL << 60)
#define MCI_STATUS_MISCV	(1ULL << 59)
#define MCI_STATUS_ADDRV	(1ULL << 58)
#define MCI_STATUS_PCC		(1ULL << 57)

#define HWCR_MCSTATUSWREN	(1ULL << 18)

#define KVM_BANKS		32
#define NR_BANKS		10
#define MC_VECTOR		18
#define CR4_MCE			(1ULL << 6)

/* An error that must be handled now: #MC. */
#define UC_STATUS	(MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | \
			 MCI_STATUS_MISCV | MCI_STATUS_ADDRV | \
			 MCI_STATUS_PCC | 0x0150)
#define UC_MCG_STATUS	(MCG_STATUS_MCIP | MCG_STATUS_EIPV)
/* Uncorrected, no action required (UCNA): logged, no #MC. */
#define UCNA_STATUS	(MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | \
			 MCI_STATUS_ADDRV | 0x0099)
/* Corrected. */
#define CE_STATUS	(MCI_STATUS_VAL | MCI_STATUS_ADDRV | 0x0011)

/* ---- guest ---- */

static volatile uint64_t set_cr4_mce;	/* host: run with CR4.MCE */
static volatile uint64_t mc_bank;	/* host: the bank #MC reads */
static volatile uint64_t mc_count, mc_mcg_status, mc_status, mc_addr,
	mc_misc;

/* #MC: read what the error left, end the machine check (MCIP clear). */
static void mc_handler(struct kg_frame *f)
{
	uint32_t b = mc_bank;

	(void)f;
	mc_mcg_status = kg_rdmsr(MSR_MCG_STATUS);
	mc_status = kg_rdmsr(MSR_MC_STATUS(b));
	mc_addr = kg_rdmsr(MSR_MC_ADDR(b));
	mc_misc = kg_rdmsr(MSR_MC_MISC(b));
	mc_count++;
	kg_wrmsr(MSR_MCG_STATUS, 0);
}

static void guest_wait_for_mc(void)
{
	uint64_t cr4;

	if (set_cr4_mce) {
		asm volatile("mov %%cr4, %0" : "=r"(cr4));
		asm volatile("mov %0, %%cr4" :: "r"(cr4 | CR4_MCE) : "memory");
	}
	for (;;)
		GUEST_SYNC(mc_count);
}

/* ---- host ---- */

static bool host_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 || b == 0x6f677948;	/* Auth, Hygo */
}

static int do_setup_mce(int vcpu_fd, uint64_t cap)
{
	return kt_ioctl_errno(vcpu_fd, KVM_X86_SETUP_MCE, (unsigned long)&cap);
}

static int set_mce(int vcpu_fd, uint32_t bank, uint64_t status,
		   uint64_t mcg_status, uint64_t addr, uint64_t misc)
{
	struct kvm_x86_mce m = {
		.status = status,
		.addr = addr,
		.misc = misc,
		.mcg_status = mcg_status,
		.bank = bank,
	};

	return kt_ioctl_errno(vcpu_fd, KVM_X86_SET_MCE, (unsigned long)&m);
}

static uint64_t get_msr(struct __test_metadata *_metadata, int fd,
			uint32_t msr)
{
	uint64_t v = ~0ULL;

	EXPECT_EQ(1, kt_get_msr(fd, msr, &v)) TH_LOG("MSR %#x", msr);
	return v;
}

static uint64_t supported_cap(struct __test_metadata *_metadata, int sys_fd)
{
	uint64_t cap = 0;

	EXPECT_EQ(0, kt_ioctl_errno(sys_fd, KVM_X86_GET_MCE_CAP_SUPPORTED,
				    (unsigned long)&cap));
	return cap;
}

FIXTURE(mce) {
	struct kg_vm vm;
	int fd;
};

/* One vCPU with NR_BANKS banks and MCG_CTL, stopped in guest_wait_for_mc. */
FIXTURE_SETUP(mce)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	self->fd = self->vm.v[0].fd;
	ASSERT_EQ(0, do_setup_mce(self->fd, MCG_CTL_P | MCG_SER_P | NR_BANKS));
	kg_set_handler(&self->vm, MC_VECTOR, mc_handler);
}

FIXTURE_TEARDOWN(mce)
{
	kg_vm_destroy(&self->vm);
}

/* Run the guest to its first report, with or without CR4.MCE. */
static void start_guest(struct __test_metadata *_metadata, struct kg_vm *vm,
			bool cr4_mce, uint32_t bank)
{
	KG_GUEST(vm, set_cr4_mce) = cr4_mce;
	KG_GUEST(vm, mc_bank) = bank;
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_wait_for_mc));
	KG_ASSERT_SYNC(vm, 0, 0);
}

static bool msr_listed(int sys_fd, uint32_t msr)
{
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + 4096 * 4);
	bool found = false;
	uint32_t i;

	l->nmsrs = 4096;
	if (!ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, l))
		for (i = 0; i < l->nmsrs; i++)
			found |= l->indices[i] == msr;
	free(l);
	return found;
}

/*
 * KVM_CAP_MCE: 32 banks; MCG_CTL_P and MCG_SER_P supported (on SVM
 * nothing else); a new vCPU has 32 banks with reporting off.
 */
TEST(capabilities)
{
	struct kg_vm vm;
	uint64_t cap;
	int fd;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	EXPECT_EQ(KVM_BANKS, kt_check_cap(vm.sys_fd, KVM_CAP_MCE));
	EXPECT_EQ(KVM_BANKS, kt_check_cap(vm.vm_fd, KVM_CAP_MCE));
	cap = supported_cap(_metadata, vm.sys_fd);
	EXPECT_EQ(MCG_CTL_P | MCG_SER_P, cap & (MCG_CTL_P | MCG_SER_P));
	if (host_is_amd()) {
		EXPECT_EQ(MCG_CTL_P | MCG_SER_P, cap);
	}
	/* A system ioctl only. */
	EXPECT_EQ(ENOTTY, kt_ioctl_errno(vm.vm_fd,
					 KVM_X86_GET_MCE_CAP_SUPPORTED,
					 (unsigned long)&cap));
	EXPECT_TRUE(msr_listed(vm.sys_fd, MSR_MCG_STATUS));
	EXPECT_TRUE(msr_listed(vm.sys_fd, MSR_MCG_CTL));

	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	fd = vm.v[0].fd;
	EXPECT_EQ(KVM_BANKS, get_msr(_metadata, fd, MSR_MCG_CAP));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MCG_CTL));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MCG_STATUS));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MC_CTL(0)));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MC_MISC(KVM_BANKS - 1)));
	/* Beyond the banks (on VMX, 0x480 is IA32_VMX_BASIC). */
	if (host_is_amd()) {
		EXPECT_EQ(0, kt_get_msr(fd, MSR_MC_CTL(KVM_BANKS), &cap));
	}
	kg_vm_destroy(&vm);
}

/*
 * KVM_X86_SETUP_MCE: 1-32 banks, MCG_EXT_CNT and the supported bits;
 * nothing else. It turns reporting on (MCG_CTL, MCi_CTL all ones).
 */
TEST(setup_mce)
{
	struct kg_vm vm;
	uint64_t sup, cap, want, v;
	int fd, bit, i;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	sup = supported_cap(_metadata, vm.sys_fd);
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	fd = vm.v[0].fd;

	EXPECT_EQ(EINVAL, do_setup_mce(fd, 0));
	EXPECT_EQ(EINVAL, do_setup_mce(fd, MCG_CTL_P));
	EXPECT_EQ(EINVAL, do_setup_mce(fd, KVM_BANKS + 1));
	EXPECT_EQ(EINVAL, do_setup_mce(fd, 0xff));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_X86_SETUP_MCE, 0));
	for (bit = 8; bit < 64; bit++) {
		if (bit >= 16 && bit < 24)	/* MCG_EXT_CNT */
			continue;
		cap = 1ULL << bit | 1;
		EXPECT_EQ(sup & (1ULL << bit) ? 0 : EINVAL, do_setup_mce(fd, cap))
			TH_LOG("MCG_CAP bit %d", bit);
	}
	/* Refused set-ups left the last accepted one. */
	EXPECT_EQ(0, do_setup_mce(fd, KVM_BANKS));
	EXPECT_EQ(0, do_setup_mce(fd, MCG_EXT_CNT(0xff) | 1));

	cap = sup | MCG_EXT_CNT(5) | NR_BANKS;
	ASSERT_EQ(0, do_setup_mce(fd, cap));
	want = host_is_amd() ? cap & 0x1ff : cap;
	EXPECT_EQ(want, get_msr(_metadata, fd, MSR_MCG_CAP));
	EXPECT_EQ(~0ULL, get_msr(_metadata, fd, MSR_MCG_CTL));
	for (i = 0; i < NR_BANKS; i++) {
		EXPECT_EQ(~0ULL, get_msr(_metadata, fd, MSR_MC_CTL(i)));
		EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MC_STATUS(i)));
	}
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MC_MISC(NR_BANKS - 1)));
	/* The banks beyond the count are gone, from either side. */
	EXPECT_EQ(0, kt_get_msr(fd, MSR_MC_CTL(NR_BANKS), &v));
	EXPECT_EQ(0, kt_get_msr(fd, MSR_MC_MISC(KVM_BANKS - 1), &v));
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MC_STATUS(NR_BANKS), 0));
	kg_vm_destroy(&vm);
}

/* Without MCG_CTL_P: MCG_CTL is the VMM's only, and only as zero. */
TEST(no_mcg_ctl)
{
	struct kg_vm vm;
	uint64_t v;
	int fd;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	fd = vm.v[0].fd;
	ASSERT_EQ(0, do_setup_mce(fd, 4));
	EXPECT_EQ(4, get_msr(_metadata, fd, MSR_MCG_CAP));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MCG_CTL));
	EXPECT_EQ(~0ULL, get_msr(_metadata, fd, MSR_MC_CTL(3)));
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MCG_CTL, 0));
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MCG_CTL, ~0ULL));

	ASSERT_EQ(0, kg_msr_serve(&vm, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(&vm, 0, MSR_MCG_CTL, &v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(&vm, 0, MSR_MCG_CTL, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(&vm, 0, MSR_MCG_CTL, ~0ULL));
	ASSERT_EQ(0, kg_guest_rdmsr(&vm, 0, MSR_MCG_CAP, &v));
	EXPECT_EQ(4, v);
	kg_vm_destroy(&vm);
}

/* KVM_X86_SET_MCE: a bank beyond MCG_CAP's count, or no VAL: EINVAL. */
TEST_F(mce, set_mce_checks)
{
	EXPECT_EQ(EINVAL, set_mce(self->fd, NR_BANKS, CE_STATUS, 0, 0, 0));
	EXPECT_EQ(EINVAL, set_mce(self->fd, KVM_BANKS, CE_STATUS, 0, 0, 0));
	EXPECT_EQ(EINVAL, set_mce(self->fd, 0xff, CE_STATUS, 0, 0, 0));
	EXPECT_EQ(EINVAL, set_mce(self->fd, 1, CE_STATUS & ~MCI_STATUS_VAL,
				  0, 0, 0));
	EXPECT_EQ(EINVAL, set_mce(self->fd, 1, UC_STATUS & ~MCI_STATUS_VAL,
				  UC_MCG_STATUS, 0, 0));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->fd, KVM_X86_SET_MCE, 0));
	/* Nothing was logged. */
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(1)));
	EXPECT_EQ(0, set_mce(self->fd, NR_BANKS - 1, CE_STATUS, 0, 0, 0));
	EXPECT_EQ(CE_STATUS, get_msr(_metadata, self->fd,
				     MSR_MC_STATUS(NR_BANKS - 1)));
}

/*
 * An uncorrected error with CR4.MCE: #MC, whose handler reads the bank
 * and MCG_STATUS the VMM gave; a second one after the handler ended the
 * first (MCIP clear) overwrites the bank with OVER set.
 */
TEST_F(mce, uc_error_raises_mc)
{
	struct kg_vm *vm = &self->vm;

	start_guest(_metadata, vm, true, 3);
	ASSERT_EQ(0, set_mce(self->fd, 3, UC_STATUS, UC_MCG_STATUS,
			     0x1234000, 0x86));
	/* Logged at once, for KVM_GET_MSRS too. */
	EXPECT_EQ(UC_STATUS, get_msr(_metadata, self->fd, MSR_MC_STATUS(3)));
	EXPECT_EQ(0x1234000, get_msr(_metadata, self->fd, MSR_MC_ADDR(3)));
	EXPECT_EQ(0x86, get_msr(_metadata, self->fd, MSR_MC_MISC(3)));
	EXPECT_EQ(UC_MCG_STATUS, get_msr(_metadata, self->fd,
					 MSR_MCG_STATUS));

	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(UC_MCG_STATUS, KG_GUEST(vm, mc_mcg_status));
	EXPECT_EQ(UC_STATUS, KG_GUEST(vm, mc_status));
	EXPECT_EQ(0x1234000, KG_GUEST(vm, mc_addr));
	EXPECT_EQ(0x86, KG_GUEST(vm, mc_misc));
	/* The handler's WRMSR ended it. */
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MCG_STATUS));
	EXPECT_EQ(UC_STATUS, get_msr(_metadata, self->fd, MSR_MC_STATUS(3)));

	ASSERT_EQ(0, set_mce(self->fd, 3, UC_STATUS, UC_MCG_STATUS | 1,
			     0x5678000, 0x99));
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(UC_MCG_STATUS | 1, KG_GUEST(vm, mc_mcg_status));
	EXPECT_EQ(UC_STATUS | MCI_STATUS_OVER, KG_GUEST(vm, mc_status));
	EXPECT_EQ(0x5678000, KG_GUEST(vm, mc_addr));
	EXPECT_EQ(0x99, KG_GUEST(vm, mc_misc));
	KG_ASSERT_SYNC(vm, 0, 2);
}

/* Uncorrected error, CR4.MCE clear: shutdown; nothing is logged. */
TEST_F(mce, uc_error_without_cr4_mce_shuts_down)
{
	struct kg_vm *vm = &self->vm;
	struct kg_ucall uc;

	start_guest(_metadata, vm, false, 2);
	ASSERT_EQ(0, set_mce(self->fd, 2, UC_STATUS, UC_MCG_STATUS, 1, 2));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(2)));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MCG_STATUS));
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	EXPECT_STREQ(kt_exit_name(KVM_EXIT_SHUTDOWN),
		     kt_exit_name(vm->v[0].run->exit_reason));
	EXPECT_EQ(0, KG_GUEST(vm, mc_count));
}

/* One while the last is being handled (MCIP set): shutdown. */
TEST_F(mce, uc_error_during_mc_shuts_down)
{
	struct kg_vm *vm = &self->vm;
	struct kg_ucall uc;

	start_guest(_metadata, vm, true, 2);
	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MCG_STATUS, MCG_STATUS_MCIP));
	ASSERT_EQ(0, set_mce(self->fd, 2, UC_STATUS, UC_MCG_STATUS, 1, 2));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(2)));
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	EXPECT_STREQ(kt_exit_name(KVM_EXIT_SHUTDOWN),
		     kt_exit_name(vm->v[0].run->exit_reason));
	EXPECT_EQ(0, KG_GUEST(vm, mc_count));
}

/* Reporting off in the bank (MCi_CTL) or globally (MCG_CTL): dropped. */
TEST_F(mce, uc_error_dropped_when_reporting_off)
{
	struct kg_vm *vm = &self->vm;

	start_guest(_metadata, vm, true, 4);
	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MC_CTL(4), 0));
	EXPECT_EQ(0, set_mce(self->fd, 4, UC_STATUS, UC_MCG_STATUS, 1, 2));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(4)));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MCG_STATUS));
	KG_ASSERT_SYNC(vm, 0, 0);

	/* All ones but bit 10 is not all ones. */
	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MC_CTL(4), ~(1ULL << 10)));
	EXPECT_EQ(0, set_mce(self->fd, 4, UC_STATUS, UC_MCG_STATUS, 1, 2));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(4)));
	KG_ASSERT_SYNC(vm, 0, 0);

	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MC_CTL(4), ~0ULL));
	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MCG_CTL, 0));
	EXPECT_EQ(0, set_mce(self->fd, 4, UC_STATUS, UC_MCG_STATUS, 1, 2));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(4)));
	KG_ASSERT_SYNC(vm, 0, 0);

	/* A corrected error is logged whatever the controls say. */
	EXPECT_EQ(0, set_mce(self->fd, 4, CE_STATUS, 0, 3, 4));
	EXPECT_EQ(CE_STATUS, get_msr(_metadata, self->fd, MSR_MC_STATUS(4)));
	KG_ASSERT_SYNC(vm, 0, 0);
}

/*
 * Uncorrected, no action required (MCG_STATUS 0, no PCC/S/AR): logged
 * as given, even with CR4.MCE clear or reporting off; no #MC, no OVER.
 */
TEST_F(mce, ucna_logged_without_mc)
{
	struct kg_vm *vm = &self->vm;

	start_guest(_metadata, vm, false, 5);
	ASSERT_EQ(0, set_mce(self->fd, 5, UCNA_STATUS, 0, 0xabc000, 7));
	EXPECT_EQ(UCNA_STATUS, get_msr(_metadata, self->fd,
				       MSR_MC_STATUS(5)));
	EXPECT_EQ(0xabc000, get_msr(_metadata, self->fd, MSR_MC_ADDR(5)));
	EXPECT_EQ(7, get_msr(_metadata, self->fd, MSR_MC_MISC(5)));
	KG_ASSERT_SYNC(vm, 0, 0);

	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MC_CTL(5), 0));
	ASSERT_EQ(0, set_mce(self->fd, 5, UCNA_STATUS | 1, 0, 0xdef000, 8));
	EXPECT_EQ(UCNA_STATUS | 1, get_msr(_metadata, self->fd,
					   MSR_MC_STATUS(5)));
	EXPECT_EQ(0xdef000, get_msr(_metadata, self->fd, MSR_MC_ADDR(5)));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MCG_STATUS));
	KG_ASSERT_SYNC(vm, 0, 0);
}

/*
 * Corrected errors: logged, no #MC; the next one overwrites the bank
 * with OVER; one arriving over a logged uncorrected error only sets
 * OVER.
 */
TEST_F(mce, corrected_errors_logged)
{
	struct kg_vm *vm = &self->vm;
	int fd = self->fd;

	start_guest(_metadata, vm, true, 6);
	ASSERT_EQ(0, set_mce(fd, 6, CE_STATUS, 0, 0x1000, 0x11));
	EXPECT_EQ(CE_STATUS, get_msr(_metadata, fd, MSR_MC_STATUS(6)));
	EXPECT_EQ(0x1000, get_msr(_metadata, fd, MSR_MC_ADDR(6)));
	EXPECT_EQ(0x11, get_msr(_metadata, fd, MSR_MC_MISC(6)));
	KG_ASSERT_SYNC(vm, 0, 0);

	/* MCG_STATUS is the VMM's word for uncorrected errors only. */
	ASSERT_EQ(0, set_mce(fd, 6, CE_STATUS | 2, MCG_STATUS_RIPV, 0x2000,
			     0x22));
	EXPECT_EQ(CE_STATUS | 2 | MCI_STATUS_OVER,
		  get_msr(_metadata, fd, MSR_MC_STATUS(6)));
	EXPECT_EQ(0x2000, get_msr(_metadata, fd, MSR_MC_ADDR(6)));
	EXPECT_EQ(0x22, get_msr(_metadata, fd, MSR_MC_MISC(6)));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MCG_STATUS));
	KG_ASSERT_SYNC(vm, 0, 0);

	/* A UCNA replaces it as is... */
	ASSERT_EQ(0, set_mce(fd, 6, UCNA_STATUS, 0, 0x3000, 0x33));
	EXPECT_EQ(UCNA_STATUS, get_msr(_metadata, fd, MSR_MC_STATUS(6)));
	/* ... and a corrected error then only marks the overflow. */
	ASSERT_EQ(0, set_mce(fd, 6, CE_STATUS, 0, 0x4000, 0x44));
	EXPECT_EQ(UCNA_STATUS | MCI_STATUS_OVER,
		  get_msr(_metadata, fd, MSR_MC_STATUS(6)));
	EXPECT_EQ(0x3000, get_msr(_metadata, fd, MSR_MC_ADDR(6)));
	EXPECT_EQ(0x33, get_msr(_metadata, fd, MSR_MC_MISC(6)));
	KG_ASSERT_SYNC(vm, 0, 0);
	EXPECT_EQ(0, KG_GUEST(vm, mc_count));
}

/* Values KVM_SET_MSRS takes and refuses. */
TEST_F(mce, msr_values_from_host)
{
	static const uint64_t ctl_ok[] = {
		0, ~0ULL, ~(1ULL << 10), ~1ULL, ~(1ULL << 10 | 1),
	};
	static const uint64_t ctl_bad[] = {
		1, 0x1234, ~2ULL, ~(1ULL << 63), 0xffffffffULL,
	};
	int fd = self->fd;
	uint64_t v;
	size_t i;

	EXPECT_EQ(1, kt_set_msr(fd, MSR_MCG_CTL, 0));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_MCG_CTL));
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MCG_CTL, 5));
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MCG_CTL, ~1ULL));
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MCG_CTL, ~0ULL));
	EXPECT_EQ(~0ULL, get_msr(_metadata, fd, MSR_MCG_CTL));

	for (i = 0; i < ARRAY_SIZE(ctl_ok); i++) {
		EXPECT_EQ(1, kt_set_msr(fd, MSR_MC_CTL(7), ctl_ok[i]));
		EXPECT_EQ(ctl_ok[i], get_msr(_metadata, fd, MSR_MC_CTL(7)));
	}
	for (i = 0; i < ARRAY_SIZE(ctl_bad); i++) {
		EXPECT_EQ(0, kt_set_msr(fd, MSR_MC_CTL(7), ctl_bad[i]))
			TH_LOG("MC7_CTL %#llx", (unsigned long long)ctl_bad[i]);
	}
	EXPECT_EQ(ctl_ok[ARRAY_SIZE(ctl_ok) - 1],
		  get_msr(_metadata, fd, MSR_MC_CTL(7)));

	/* STATUS, ADDR, MISC and MCG_STATUS: anything, from the VMM. */
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MC_STATUS(7), 0x123456789ULL));
	EXPECT_EQ(0x123456789ULL, get_msr(_metadata, fd, MSR_MC_STATUS(7)));
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MC_ADDR(7), ~0ULL));
	EXPECT_EQ(~0ULL, get_msr(_metadata, fd, MSR_MC_ADDR(7)));
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MC_MISC(7), 0x55));
	EXPECT_EQ(0x55, get_msr(_metadata, fd, MSR_MC_MISC(7)));
	EXPECT_EQ(1, kt_set_msr(fd, MSR_MCG_STATUS, 0xf0));
	EXPECT_EQ(0xf0, get_msr(_metadata, fd, MSR_MCG_STATUS));

	/* MCG_CAP is KVM_X86_SETUP_MCE's. */
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MCG_CAP, MCG_CTL_P | 2));
	EXPECT_EQ(0, kt_set_msr(fd, MSR_MCG_CAP, 0));
	EXPECT_EQ(MCG_CTL_P | NR_BANKS,
		  get_msr(_metadata, fd, MSR_MCG_CAP) & 0x1ff);

	/* The old P5 machine-check MSRs read as 0. */
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_P5_MC_ADDR));
	EXPECT_EQ(0, get_msr(_metadata, fd, MSR_P5_MC_TYPE));
	EXPECT_EQ(0, kt_get_msr(fd, MSR_MC_CTL(NR_BANKS), &v));
}

/* Give the vCPU a CPUID with the vendor string @ebx, @edx, @ecx. */
static void set_cpuid_vendor(struct __test_metadata *_metadata,
			     struct kg_vm *vm, uint32_t ebx, uint32_t edx,
			     uint32_t ecx)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(vm->cpuid, 0, 0);

	ASSERT_NE(NULL, e);
	e->ebx = ebx;
	e->edx = edx;
	e->ecx = ecx;
	ASSERT_EQ(0, kt_set_cpuid(vm->v[0].fd, vm->cpuid));
}

/*
 * The same rules for the guest's WRMSR (#GP), and MCi_STATUS: zero, or
 * any value while HWCR.McStatusWrEn is set (with an AMD CPUID). HWCR
 * takes only that bit (and ignores 3, 6, 8); a write of zero leaves it
 * set (KVM 6.1).
 */
TEST_F(mce, msr_values_from_guest)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;

	/* "AuthenticAMD", whatever the host. */
	set_cpuid_vendor(_metadata, vm, 0x68747541, 0x69746e65, 0x444d4163);
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MCG_CAP, &v));
	EXPECT_EQ(MCG_CTL_P | NR_BANKS, v & 0x1ff);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MCG_CAP, v));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MCG_CTL, &v));
	EXPECT_EQ(~0ULL, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MCG_CTL, 5));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MCG_CTL, 0));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MCG_CTL));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MCG_CTL, ~0ULL));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MCG_STATUS, 7));
	EXPECT_EQ(7, get_msr(_metadata, self->fd, MSR_MCG_STATUS));

	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MC_CTL(1), 0x1234));
	EXPECT_EQ(~0ULL, get_msr(_metadata, self->fd, MSR_MC_CTL(1)));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_CTL(1), ~1ULL));
	EXPECT_EQ(~1ULL, get_msr(_metadata, self->fd, MSR_MC_CTL(1)));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_ADDR(1), 0x777));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_MISC(1), 0x888));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MC_ADDR(1), &v));
	EXPECT_EQ(0x777, v);

	/* Banks beyond MCG_CAP's count. */
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_MC_CTL(NR_BANKS), &v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(NR_BANKS),
					    0));

	ASSERT_EQ(1, kt_set_msr(self->fd, MSR_MC_STATUS(1), CE_STATUS));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(1), 0x42));
	EXPECT_EQ(CE_STATUS, get_msr(_metadata, self->fd, MSR_MC_STATUS(1)));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(1), 0));
	EXPECT_EQ(0, get_msr(_metadata, self->fd, MSR_MC_STATUS(1)));

	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_HWCR, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_HWCR, 1));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_HWCR,
					    HWCR_MCSTATUSWREN | 1));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_HWCR, HWCR_MCSTATUSWREN));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_HWCR, &v));
	EXPECT_EQ(HWCR_MCSTATUSWREN, v);
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(1), 0x42));
	EXPECT_EQ(0x42, get_msr(_metadata, self->fd, MSR_MC_STATUS(1)));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MC_STATUS(1), &v));
	EXPECT_EQ(0x42, v);

	/* Bits 3, 6 and 8 are dropped; so is a write of 0. */
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_HWCR,
				    HWCR_MCSTATUSWREN | 0x148));
	EXPECT_EQ(HWCR_MCSTATUSWREN, get_msr(_metadata, self->fd, MSR_HWCR));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_HWCR, 0x148));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_HWCR, 0));
	EXPECT_EQ(HWCR_MCSTATUSWREN, get_msr(_metadata, self->fd, MSR_HWCR));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_HWCR, 2));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_HWCR, 0));
	EXPECT_EQ(HWCR_MCSTATUSWREN, get_msr(_metadata, self->fd, MSR_HWCR));
}

/* With an Intel CPUID, McStatusWrEn does not open MCi_STATUS. */
TEST_F(mce, mci_status_write_needs_amd_cpuid)
{
	struct kg_vm *vm = &self->vm;

	/* "GenuineIntel" */
	set_cpuid_vendor(_metadata, vm, 0x756e6547, 0x49656e69, 0x6c65746e);
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_HWCR, HWCR_MCSTATUSWREN));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(0), 0x42));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MC_STATUS(0), 0));
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_MC_STATUS(0), 0x42));
}

/*
 * MCi_CTL2 (CMCI) without MCG_CMCI_P: the VMM reads it (0) and writes
 * 0; the guest has none.
 */
TEST_F(mce, mci_ctl2_without_cmci)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v = ~0ULL;

	EXPECT_EQ(1, kt_get_msr(self->fd, MSR_MC0_CTL2 + 3, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(1, kt_set_msr(self->fd, MSR_MC0_CTL2 + 3, 0));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_MC0_CTL2 + 3, 1));
	EXPECT_EQ(0, kt_get_msr(self->fd, MSR_MC0_CTL2 + NR_BANKS, &v));
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, MSR_MC0_CTL2 + 3, &v));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MC0_CTL2 + 3, 0));
}

TEST_HARNESS_MAIN
