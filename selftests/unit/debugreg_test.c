// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/debugreg.c. */
#include "debugreg.h"
#include "unit.h"

TEST(dr6_write_keeps_fixed_bits)
{
	EXPECT_EQ(kvmod_dr6_write(0, false), 0xffff0ff0);
	EXPECT_EQ(kvmod_dr6_write(0, true), 0xfffe0ff0);
	/* B0-B3, BD, BS, BT stay; bit 12 and the reserved bits do not. */
	EXPECT_EQ(kvmod_dr6_write(0xffffffff, false), 0xffffefff);
	EXPECT_EQ(kvmod_dr6_write(0x0000e00f, false), 0xffffefff);
	EXPECT_EQ(kvmod_dr6_write(0x1000, false), 0xffff0ff0);
	/* Bit 16 (RTM) is writable only with RTM. */
	EXPECT_EQ(kvmod_dr6_write(0x10000, true), 0xffff0ff0);
	/* The high half never reaches DR6. */
	EXPECT_EQ(kvmod_dr6_write(0xffffffff00000001ULL, false), 0xffff0ff1);
}

TEST(dr7_write_keeps_fixed_bits)
{
	EXPECT_EQ(kvmod_dr7_write(0), 0x400);
	EXPECT_EQ(kvmod_dr7_write(0xffffffff), 0xffff2fff);
	EXPECT_EQ(kvmod_dr7_write(0xd0000440), 0xd0000440);
	/* Bits 12, 14 and 15 read as zero; 11 (RTM) and 13 (GD) stay. */
	EXPECT_EQ(kvmod_dr7_write(0xd000), 0x400);
	EXPECT_EQ(kvmod_dr7_write(0x2800), 0x2c00);
	EXPECT_EQ(kvmod_dr7_write(0x100000000ULL), 0x400);
}

TEST(dr_value_width)
{
	EXPECT_EQ(kvmod_dr_value_valid(0xffffffff), true);
	EXPECT_EQ(kvmod_dr_value_valid(0x100000000ULL), false);
	EXPECT_EQ(kvmod_dr_value_valid(1ULL << 63), false);
}

TEST(dr6_payload)
{
	/* A watchpoint in DR0. */
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff0ff0, 1), 0xffff0ff1);
	/* B0-B3 start afresh; BS stays until the guest clears it. */
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff4ff1, 4), 0xffff4ff4);
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff0ff2, 0x4000), 0xffff4ff0);
	/* BD. */
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff0ff0, 0x2000), 0xffff2ff0);
	/* RTM is reported inverted, and undone by the next #DB. */
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff0ff0, 0x10001), 0xfffe0ff1);
	EXPECT_EQ(kvmod_dr6_add_payload(0xfffe0ff1, 2), 0xffff0ff2);
	/* Bit 12 ("enabled breakpoint" in a payload) is not DR6's. */
	EXPECT_EQ(kvmod_dr6_add_payload(0xffff0ff0, 0x1001), 0xffff0ff1);
	/* A DR6 the guest cleared gets its reserved bits back. */
	EXPECT_EQ(kvmod_dr6_add_payload(0, 8), 0xffff0ff8);
}
