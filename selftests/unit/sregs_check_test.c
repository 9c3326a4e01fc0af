// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/sregs_check.c. */
#include <string.h>

#include "sregs_check.h"
#include "unit.h"

#define CR0_PE	0x00000001ULL
#define CR0_MP	0x00000002ULL
#define CR0_ET	0x00000010ULL
#define CR0_NE	0x00000020ULL
#define CR0_WP	0x00010000ULL
#define CR0_AM	0x00040000ULL
#define CR0_NW	0x20000000ULL
#define CR0_CD	0x40000000ULL
#define CR0_PG	0x80000000ULL

#define CR4_PSE	0x010ULL
#define CR4_PAE	0x020ULL

#define EFER_SCE	0x001ULL
#define EFER_LME	0x100ULL
#define EFER_LMA	0x400ULL
#define EFER_NXE	0x800ULL

/* The CR0 value after RESET/INIT: CD, NW and ET. */
static struct kvm_sregs real_mode(void)
{
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	s.cr0 = 0x60000010;
	return s;
}

static struct kvm_sregs protected_mode(void)
{
	struct kvm_sregs s = real_mode();

	s.cr0 = CR0_PE | CR0_ET | CR0_NE;
	s.cs.db = 1;
	return s;
}

static struct kvm_sregs paged32(void)
{
	struct kvm_sregs s = protected_mode();

	s.cr0 |= CR0_PG | CR0_WP;
	s.cr3 = 0x1000;
	s.cr4 = CR4_PSE;
	return s;
}

static struct kvm_sregs pae(void)
{
	struct kvm_sregs s = paged32();

	s.cr4 = CR4_PAE;
	s.efer = EFER_NXE;
	return s;
}

static struct kvm_sregs long_mode(void)
{
	struct kvm_sregs s = pae();

	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
	s.cr4 = CR4_PAE | (1ULL << 7) | (1ULL << 9) | (1ULL << 10);
	s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	s.cs.l = 1;
	s.cs.db = 0;
	return s;
}

TEST(sregs_valid_states)
{
	struct kvm_sregs s;

	s = real_mode();
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s.cr0 = 0;
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s.cr0 = CR0_CD;			/* CD without NW is fine */
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s = protected_mode();
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s = paged32();
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s = pae();
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	s = long_mode();
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	/* Compatibility mode: long mode with a 32-bit code segment. */
	s.cs.l = 0;
	s.cs.db = 1;
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	/* EFER.LME before paging is enabled (the way into long mode). */
	s = protected_mode();
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME;
	EXPECT_TRUE(kvmod_sregs_valid(&s));
	/* CR3 just inside 52 bits. */
	s = long_mode();
	s.cr3 = 0x000ffffffffff000ULL;
	EXPECT_TRUE(kvmod_sregs_valid(&s));
}

TEST(sregs_cr0_invalid)
{
	struct kvm_sregs s;

	s = real_mode();
	s.cr0 |= 1ULL << 32;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = long_mode();
	s.cr0 |= 1ULL << 63;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* NW without CD. */
	s = real_mode();
	s.cr0 = CR0_NW;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = protected_mode();
	s.cr0 |= CR0_NW;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* PG without PE. */
	s = paged32();
	s.cr0 &= ~CR0_PE;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = real_mode();
	s.cr0 = CR0_PG;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
}

TEST(sregs_cr4_reserved_bits)
{
	/* kvmod allows CR4 bits 0-10, 16 (FSGSBASE), 17, 18, 20, 21. */
	const unsigned long long allowed = 0x3707ffULL;
	struct kvm_sregs s;
	int bit;

	for (bit = 0; bit < 64; bit++) {
		s = protected_mode();
		s.cr4 = 1ULL << bit;
		if (kvmod_sregs_valid(&s) != !!(allowed & (1ULL << bit)))
			unit_fail(__FILE__, __LINE__,
				  "CR4 bit %d: got %s, want %s", bit,
				  kvmod_sregs_valid(&s) ? "valid" : "invalid",
				  (allowed & (1ULL << bit)) ? "valid" :
				  "invalid");
	}
	s = long_mode();
	s.cr4 |= 1ULL << 15;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = long_mode();
	s.cr4 |= 1ULL << 63;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
}

TEST(cr4_allowed_follows_cpuid)
{
	const u64 all = 0x3707ffULL;

	EXPECT_EQ(kvmod_cr4_allowed(~0U, ~0U), all);
	EXPECT_EQ(kvmod_cr4_allowed(0, 0), 0x7ffULL);
	/* OSXSAVE with XSAVE (1.ECX bit 26), PCIDE with PCID (bit 17). */
	EXPECT_EQ(kvmod_cr4_allowed(~0U & ~(1U << 26), ~0U), all & ~(1ULL << 18));
	EXPECT_EQ(kvmod_cr4_allowed(~0U & ~(1U << 17), ~0U), all & ~(1ULL << 17));
	/* FSGSBASE, SMEP, SMAP with leaf 7 EBX bits 0, 7, 20. */
	EXPECT_EQ(kvmod_cr4_allowed(~0U, ~0U & ~1U), all & ~(1ULL << 16));
	EXPECT_EQ(kvmod_cr4_allowed(~0U, ~0U & ~(1U << 7)), all & ~(1ULL << 20));
	EXPECT_EQ(kvmod_cr4_allowed(~0U, ~0U & ~(1U << 20)), all & ~(1ULL << 21));
}

TEST(sregs_efer_reserved_bits)
{
	struct kvm_sregs s;
	int bit;

	for (bit = 0; bit < 64; bit++) {
		/* SCE, LME and NXE alone are valid; LMA alone is not. */
		bool want = bit == 0 || bit == 8 || bit == 11;

		s = protected_mode();
		s.efer = 1ULL << bit;
		if (kvmod_sregs_valid(&s) != want)
			unit_fail(__FILE__, __LINE__,
				  "EFER bit %d: got %s, want %s", bit,
				  kvmod_sregs_valid(&s) ? "valid" : "invalid",
				  want ? "valid" : "invalid");
	}
	s = long_mode();
	s.efer |= 1ULL << 12;			/* SVME */
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = long_mode();
	s.efer |= 1ULL << 1;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
}

TEST(sregs_long_mode_invalid)
{
	struct kvm_sregs s;

	/* LME + PG without PAE. */
	s = long_mode();
	s.cr4 &= ~CR4_PAE;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* LME + PG without LMA, with or without CS.L. */
	s = long_mode();
	s.efer &= ~EFER_LMA;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s.cs.l = 0;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* LMA without LME. */
	s = long_mode();
	s.efer &= ~EFER_LME;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s.cs.l = 0;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* LMA without PG. */
	s = long_mode();
	s.cr0 &= ~CR0_PG;
	s.cs.l = 0;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = real_mode();
	s.efer = EFER_LMA;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* CR3 beyond 52 physical-address bits. */
	s = long_mode();
	s.cr3 = 1ULL << 52;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s.cr3 = 0x8000000000001000ULL;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
}

TEST(sregs_cs_l_outside_long_mode)
{
	struct kvm_sregs s;

	s = real_mode();
	s.cs.l = 1;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = protected_mode();
	s.cs.l = 1;
	s.cs.db = 0;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	s = pae();
	s.cs.l = 1;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
	/* LME set but paging still off: not long mode yet. */
	s = protected_mode();
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME;
	s.cs.l = 1;
	EXPECT_FALSE(kvmod_sregs_valid(&s));
}
