// SPDX-License-Identifier: GPL-2.0
/*
 * The MTRR MSRs as KVM keeps them for a guest: IA32_MTRRCAP (0x508: eight
 * variable pairs, fixed ranges, write-combining; read-only), the default
 * type, the eleven fixed-range MSRs and eight PHYSBASE/PHYSMASK pairs.
 * Each one starts at 0, holds what KVM_SET_MSRS or the guest's WRMSR
 * wrote and gives it back to KVM_GET_MSRS and the guest's RDMSR; a
 * reserved memory type or reserved bit (bits at or above the guest's
 * MAXPHYADDR among them) makes the guest's WRMSR #GP and KVM_SET_MSRS
 * refuse the MSR, and the old value stays. MSR numbers between the
 * MTRRs (a ninth variable pair, the gaps among the fixed ones) #GP.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define MSR_MTRRCAP		0xfe
#define MSR_MTRR_PHYSBASE0	0x200
#define MSR_MTRR_FIX64K_00000	0x250
#define MSR_MTRR_FIX16K_80000	0x258
#define MSR_MTRR_FIX16K_A0000	0x259
#define MSR_MTRR_FIX4K_C0000	0x268
#define MSR_MTRR_FIX4K_F8000	0x26f
#define MSR_MTRR_DEF_TYPE	0x2ff

#define MTRRCAP_KVM		0x508ULL
#define NR_VAR			8

#define TYPE_UC			0
#define TYPE_WC			1
#define TYPE_WT			4
#define TYPE_WP			5
#define TYPE_WB			6
#define DEF_TYPE_FE		(1ULL << 10)
#define DEF_TYPE_E		(1ULL << 11)
#define PHYSMASK_V		(1ULL << 11)

/* Every MTRR a guest may write, in a fixed order. */
static const uint32_t writable_mtrrs[] = {
	MSR_MTRR_DEF_TYPE,
	MSR_MTRR_FIX64K_00000, MSR_MTRR_FIX16K_80000, MSR_MTRR_FIX16K_A0000,
	0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
	0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207,
	0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f,
};

static bool is_fixed(uint32_t msr)
{
	return msr >= MSR_MTRR_FIX64K_00000 && msr <= MSR_MTRR_FIX4K_F8000;
}

static bool is_var_base(uint32_t msr)
{
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 16 &&
	       !(msr & 1);
}

/* Eight valid types, one per byte, different for each @seed. */
static uint64_t fixed_value(unsigned int seed)
{
	static const uint8_t types[] = {
		TYPE_UC, TYPE_WC, TYPE_WT, TYPE_WP, TYPE_WB,
	};
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)types[(seed + i * 3) % 5] << (i * 8);
	return v;
}

/*
 * A valid value for @msr, different for each @seed: a base below 4 GiB
 * with a valid type, a mask with the valid bit and every address bit
 * below @maxphy from bit 20 on.
 */
static uint64_t valid_value(uint32_t msr, unsigned int seed, int maxphy)
{
	uint64_t addr_bits = ((1ULL << maxphy) - 1) & ~0xfffULL;

	if (msr == MSR_MTRR_DEF_TYPE)
		return (seed & 1 ? DEF_TYPE_E | DEF_TYPE_FE : DEF_TYPE_E) |
		       (seed & 2 ? TYPE_WB : TYPE_UC);
	if (is_fixed(msr))
		return fixed_value(seed + msr);
	if (is_var_base(msr))
		return ((uint64_t)(msr - MSR_MTRR_PHYSBASE0 + seed + 1) << 24) |
		       (seed & 1 ? TYPE_WB : TYPE_WC);
	return (addr_bits & ~((1ULL << 20) - 1)) | PHYSMASK_V;
}

/* The guest's MAXPHYADDR as the supported CPUID gives it (36 without). */
static int guest_maxphy(struct kg_vm *vm)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(vm->cpuid, 0x80000008, 0);

	return e && (e->eax & 0xff) ? (e->eax & 0xff) : 36;
}

FIXTURE(mtrr) {
	struct kg_vm vm;
	int fd;
	int maxphy;
};

FIXTURE_SETUP(mtrr)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	self->fd = self->vm.v[0].fd;
	self->maxphy = guest_maxphy(&self->vm);
	ASSERT_LE(36, self->maxphy);
	ASSERT_GE(52, self->maxphy);
}

FIXTURE_TEARDOWN(mtrr)
{
	kg_vm_destroy(&self->vm);
}

/* IA32_MTRRCAP: 0x508 to KVM_GET_MSRS and RDMSR; neither side writes it. */
TEST_F(mtrr, mtrrcap_value_read_only)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v = 0;

	ASSERT_EQ(1, kt_get_msr(self->fd, MSR_MTRRCAP, &v));
	EXPECT_EQ(MTRRCAP_KVM, v);
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_MTRRCAP, MTRRCAP_KVM));
	EXPECT_EQ(0, kt_set_msr(self->fd, MSR_MTRRCAP, 0));

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MTRRCAP, &v));
	EXPECT_EQ(MTRRCAP_KVM, v);
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MTRRCAP, MTRRCAP_KVM));
	EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, MSR_MTRRCAP, 0));
	ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, MSR_MTRRCAP, &v));
	EXPECT_EQ(MTRRCAP_KVM, v);
}

/*
 * Every MTRR starts at 0; a value from KVM_SET_MSRS reaches KVM_GET_MSRS
 * and the guest's RDMSR, and the guest's WRMSR reaches KVM_GET_MSRS.
 */
TEST_F(mtrr, round_trip)
{
	struct kg_vm *vm = &self->vm;
	uint64_t v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(writable_mtrrs); i++) {
		v = ~0ULL;
		ASSERT_EQ(1, kt_get_msr(self->fd, writable_mtrrs[i], &v));
		EXPECT_EQ(0, v) TH_LOG("MSR %#x", writable_mtrrs[i]);
	}
	for (i = 0; i < ARRAY_SIZE(writable_mtrrs); i++) {
		uint32_t msr = writable_mtrrs[i];

		EXPECT_EQ(1, kt_set_msr(self->fd, msr,
					valid_value(msr, 1, self->maxphy)))
			TH_LOG("MSR %#x", msr);
	}
	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	for (i = 0; i < ARRAY_SIZE(writable_mtrrs); i++) {
		uint32_t msr = writable_mtrrs[i];
		uint64_t want = valid_value(msr, 1, self->maxphy);

		v = 0;
		ASSERT_EQ(1, kt_get_msr(self->fd, msr, &v));
		EXPECT_EQ(want, v) TH_LOG("KVM_GET_MSRS %#x", msr);
		ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, msr, &v));
		EXPECT_EQ(want, v) TH_LOG("RDMSR %#x", msr);

		want = valid_value(msr, 2, self->maxphy);
		ASSERT_EQ(0, kg_guest_wrmsr(vm, 0, msr, want))
			TH_LOG("WRMSR %#x", msr);
		ASSERT_EQ(1, kt_get_msr(self->fd, msr, &v));
		EXPECT_EQ(want, v) TH_LOG("KVM_GET_MSRS %#x after WRMSR", msr);
		ASSERT_EQ(0, kg_guest_rdmsr(vm, 0, msr, &v));
		EXPECT_EQ(want, v) TH_LOG("RDMSR %#x after WRMSR", msr);
	}
}

struct bad_value {
	uint32_t msr;
	uint64_t val;		/* with maxphy bits: see bad_values() */
	const char *what;
};

/* Values that #GP; @maxphy places the bits at or above MAXPHYADDR. */
static int bad_values(struct bad_value *b, int maxphy)
{
	uint64_t above = 1ULL << maxphy, top = 1ULL << 63;
	uint64_t ok_fixed = fixed_value(0);
	int n = 0;

#define BAD(m, v, w)	(b[n++] = (struct bad_value){ m, v, w })
	BAD(MSR_MTRR_DEF_TYPE, 2, "default type 2 (reserved)");
	BAD(MSR_MTRR_DEF_TYPE, 3, "default type 3 (reserved)");
	BAD(MSR_MTRR_DEF_TYPE, 7, "default type 7 (UC-, PAT only)");
	BAD(MSR_MTRR_DEF_TYPE, 8, "default type 8");
	BAD(MSR_MTRR_DEF_TYPE, 0x80 | TYPE_WB, "default type 0x86");
	BAD(MSR_MTRR_DEF_TYPE, 0x100 | TYPE_WB, "default type bit 8");
	BAD(MSR_MTRR_DEF_TYPE, 0x200 | TYPE_WB, "default type bit 9");
	BAD(MSR_MTRR_DEF_TYPE, 0x1000 | TYPE_WB, "default type bit 12");
	BAD(MSR_MTRR_DEF_TYPE, top | TYPE_WB, "default type bit 63");
	BAD(MSR_MTRR_FIX64K_00000, (ok_fixed & ~0xffULL) | 2,
	    "fixed 64K, byte 0 type 2");
	BAD(MSR_MTRR_FIX16K_A0000, (ok_fixed & ~(0xffULL << 56)) |
	    (3ULL << 56), "fixed 16K, byte 7 type 3");
	BAD(MSR_MTRR_FIX4K_F8000, (ok_fixed & ~(0xffULL << 24)) |
	    (7ULL << 24), "fixed 4K, byte 3 type 7");
	BAD(MSR_MTRR_FIX4K_C0000, (ok_fixed & ~(0xffULL << 8)) |
	    (0x16ULL << 8), "fixed 4K, byte 1 type 0x16");
	BAD(MSR_MTRR_PHYSBASE0, 0x100000 | 2, "PHYSBASE type 2");
	BAD(MSR_MTRR_PHYSBASE0 + 2, 0x100000 | 7, "PHYSBASE type 7");
	BAD(MSR_MTRR_PHYSBASE0 + 4, 0x100000 | 0x100 | TYPE_WB,
	    "PHYSBASE bit 8");
	BAD(MSR_MTRR_PHYSBASE0 + 6, 0x100000 | 0x800 | TYPE_WB,
	    "PHYSBASE bit 11");
	BAD(MSR_MTRR_PHYSBASE0 + 14, above | TYPE_WB,
	    "PHYSBASE at MAXPHYADDR");
	BAD(MSR_MTRR_PHYSBASE0 + 12, top | TYPE_WB, "PHYSBASE bit 63");
	BAD(MSR_MTRR_PHYSBASE0 + 1, 0xfff00000ULL | PHYSMASK_V | 1,
	    "PHYSMASK bit 0");
	BAD(MSR_MTRR_PHYSBASE0 + 3, 0xfff00000ULL | PHYSMASK_V | 0x400,
	    "PHYSMASK bit 10");
	BAD(MSR_MTRR_PHYSBASE0 + 15, above | 0xfff00000ULL | PHYSMASK_V,
	    "PHYSMASK at MAXPHYADDR");
#undef BAD
	return n;
}

/* Reserved types and bits: #GP from WRMSR, refused by KVM_SET_MSRS. */
TEST_F(mtrr, reserved_values_refused)
{
	struct kg_vm *vm = &self->vm;
	struct bad_value bad[32];
	int i, n = bad_values(bad, self->maxphy);
	uint64_t v;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	for (i = 0; i < n; i++) {
		uint32_t msr = bad[i].msr;
		uint64_t old = valid_value(msr, 3, self->maxphy);

		ASSERT_EQ(1, kt_set_msr(self->fd, msr, old));
		EXPECT_EQ(0, kt_set_msr(self->fd, msr, bad[i].val))
			TH_LOG("KVM_SET_MSRS: %s", bad[i].what);
		EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, msr, bad[i].val))
			TH_LOG("WRMSR: %s", bad[i].what);
		ASSERT_EQ(1, kt_get_msr(self->fd, msr, &v));
		EXPECT_EQ(old, v) TH_LOG("kept after: %s", bad[i].what);
	}
}

/* Right below MAXPHYADDR is an address like any other. */
TEST_F(mtrr, top_address_bits)
{
	struct kg_vm *vm = &self->vm;
	uint64_t below = 1ULL << (self->maxphy - 1), v;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MTRR_PHYSBASE0,
				    below | TYPE_WB));
	EXPECT_EQ(0, kg_guest_wrmsr(vm, 0, MSR_MTRR_PHYSBASE0 + 1,
				    below | PHYSMASK_V));
	ASSERT_EQ(1, kt_get_msr(self->fd, MSR_MTRR_PHYSBASE0, &v));
	EXPECT_EQ(below | TYPE_WB, v);
	ASSERT_EQ(1, kt_get_msr(self->fd, MSR_MTRR_PHYSBASE0 + 1, &v));
	EXPECT_EQ(below | PHYSMASK_V, v);
}

/* MSR numbers among the MTRRs that are none: #GP, refused. */
TEST_F(mtrr, gaps_are_not_mtrrs)
{
	static const uint32_t gaps[] = {
		MSR_MTRR_PHYSBASE0 + 2 * NR_VAR,	/* a ninth pair */
		MSR_MTRR_PHYSBASE0 + 2 * NR_VAR + 1,
		0x251, 0x257, 0x25a, 0x267, 0x270, 0x2fe,
	};
	struct kg_vm *vm = &self->vm;
	uint64_t v;
	size_t i;

	ASSERT_EQ(0, kg_msr_serve(vm, 0));
	for (i = 0; i < ARRAY_SIZE(gaps); i++) {
		EXPECT_EQ(0, kt_get_msr(self->fd, gaps[i], &v))
			TH_LOG("KVM_GET_MSRS %#x", gaps[i]);
		EXPECT_EQ(0, kt_set_msr(self->fd, gaps[i], 0))
			TH_LOG("KVM_SET_MSRS %#x", gaps[i]);
		EXPECT_EQ(KG_MSR_GP, kg_guest_rdmsr(vm, 0, gaps[i], &v))
			TH_LOG("RDMSR %#x", gaps[i]);
		EXPECT_EQ(KG_MSR_GP, kg_guest_wrmsr(vm, 0, gaps[i], 0))
			TH_LOG("WRMSR %#x", gaps[i]);
	}
}

TEST_HARNESS_MAIN
