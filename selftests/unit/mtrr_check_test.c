// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/mtrr_check.c. */
#include "mtrr_check.h"
#include "unit.h"

#define UC	0ULL
#define WC	1ULL
#define WT	4ULL
#define WP	5ULL
#define WB	6ULL

TEST(mtrr_slots_cover_every_writable_mtrr)
{
	int seen[KVMOD_MTRR_NR_SLOTS] = { 0 };
	u32 msrs[] = { 0x2ff, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
		       0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
	unsigned int i;
	int s;

	for (i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		s = kvmod_mtrr_slot(msrs[i]);
		EXPECT_TRUE(s >= 0 && s < KVMOD_MTRR_NR_SLOTS);
		if (s >= 0 && s < KVMOD_MTRR_NR_SLOTS)
			seen[s]++;
	}
	for (i = 0x200; i < 0x210; i++) {
		s = kvmod_mtrr_slot(i);
		EXPECT_TRUE(s >= 0 && s < KVMOD_MTRR_NR_SLOTS);
		if (s >= 0 && s < KVMOD_MTRR_NR_SLOTS)
			seen[s]++;
	}
	/* Each slot exactly once: no two MSRs share a value. */
	for (i = 0; i < KVMOD_MTRR_NR_SLOTS; i++)
		EXPECT_EQ(1, seen[i]);
	EXPECT_EQ(KVMOD_MTRR_SLOT_DEFTYPE, kvmod_mtrr_slot(0x2ff));
}

TEST(mtrr_slot_refuses_other_msrs)
{
	/* MTRRCAP is read-only; the gaps between fixed ranges are not MTRRs. */
	EXPECT_EQ(-1, kvmod_mtrr_slot(0xfe));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x210));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x251));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x25a));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x267));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x270));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x277));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x2fe));
	EXPECT_EQ(-1, kvmod_mtrr_slot(0x1ff));
}

TEST(mtrr_deftype)
{
	int s = KVMOD_MTRR_SLOT_DEFTYPE;

	EXPECT_TRUE(kvmod_mtrr_value_valid(s, 0, 40));
	EXPECT_TRUE(kvmod_mtrr_value_valid(s, 0xc00 | WB, 40));
	EXPECT_TRUE(kvmod_mtrr_value_valid(s, 0x800 | UC, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 0x100 | WB, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 1ULL << 12, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 2, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 7, 40));
}

TEST(mtrr_fixed_every_byte_a_type)
{
	int s = KVMOD_MTRR_SLOT_FIXED + 3;

	EXPECT_TRUE(kvmod_mtrr_value_valid(s, 0x0606060606060606ULL, 36));
	EXPECT_TRUE(kvmod_mtrr_value_valid(s, 0x0005040100060504ULL, 36));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 0x0206060606060606ULL, 36));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 0x0606060606060603ULL, 36));
	EXPECT_FALSE(kvmod_mtrr_value_valid(s, 0x0606060607060606ULL, 36));
}

TEST(mtrr_variable_base_and_mask)
{
	int base = KVMOD_MTRR_SLOT_VAR, mask = KVMOD_MTRR_SLOT_VAR + 1;

	EXPECT_TRUE(kvmod_mtrr_value_valid(base, 0x80000000ULL | UC, 40));
	EXPECT_TRUE(kvmod_mtrr_value_valid(base, 0xff00000000ULL | WB, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(base, 0x10000000000ULL | WB, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(base, 0x100 | WB, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(base, 3, 40));
	EXPECT_TRUE(kvmod_mtrr_value_valid(mask, 0xff80000800ULL, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(mask, 0xff80000801ULL, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(mask, 0xffff80000800ULL, 40));
	EXPECT_TRUE(kvmod_mtrr_value_valid(mask, 0xffff80000800ULL, 48));
	/* The last pair, and nothing past it. */
	EXPECT_TRUE(kvmod_mtrr_value_valid(KVMOD_MTRR_NR_SLOTS - 1, 0, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(KVMOD_MTRR_NR_SLOTS, 0, 40));
	EXPECT_FALSE(kvmod_mtrr_value_valid(-1, 0, 40));
}

TEST(mtrr_cap_advertises_the_pairs)
{
	EXPECT_EQ(KVMOD_MTRR_NR_VAR, (int)(KVMOD_MTRR_CAP & 0xff));
	EXPECT_TRUE(KVMOD_MTRR_CAP & (1 << 8));
	EXPECT_TRUE(KVMOD_MTRR_CAP & (1 << 10));
}
