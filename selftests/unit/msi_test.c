// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/msi.c: MSI address/data decoding in the xAPIC
 * and in KVM's x2APIC API format.
 */
#include "msi.h"
#include "unit.h"

static struct kvmod_irq_msg decode(u32 lo, u32 hi, u32 data, bool x2apic)
{
	struct kvmod_irq_msg m;

	memset(&m, 0xcc, sizeof(m));
	EXPECT_TRUE(kvmod_msi_decode(lo, hi, data, x2apic, &m));
	return m;
}

TEST(physical_fixed_edge)
{
	struct kvmod_irq_msg m = decode(0xfee03000, 0, 0x0041, false);

	EXPECT_EQ(m.dest, 3);
	EXPECT_EQ(m.vector, 0x41);
	EXPECT_EQ(m.delivery_mode, KVMOD_DM_FIXED);
	EXPECT_EQ(m.shorthand, KVMOD_SH_NONE);
	EXPECT_FALSE(m.logical);
	EXPECT_FALSE(m.level);
	EXPECT_TRUE(m.assert);
	EXPECT_FALSE(m.redirect_hint);
}

TEST(logical_lowest_redirect_hint)
{
	struct kvmod_irq_msg m = decode(0xfeeff00c, 0, 0x01ef, false);

	EXPECT_EQ(m.dest, 0xff);
	EXPECT_EQ(m.vector, 0xef);
	EXPECT_EQ(m.delivery_mode, KVMOD_DM_LOWEST);
	EXPECT_TRUE(m.logical);
	EXPECT_TRUE(m.redirect_hint);

	m = decode(0xfee00004, 0, 0, false);
	EXPECT_TRUE(m.logical);
	EXPECT_FALSE(m.redirect_hint);
	m = decode(0xfee00008, 0, 0, false);
	EXPECT_FALSE(m.logical);
	EXPECT_TRUE(m.redirect_hint);
}

TEST(delivery_modes)
{
	u32 dm;

	for (dm = 0; dm < 8; dm++) {
		struct kvmod_irq_msg m = decode(0xfee00000, 0, dm << 8 | 0x30,
						false);

		EXPECT_EQ(m.delivery_mode, dm);
		EXPECT_EQ(m.vector, 0x30);
	}
	EXPECT_EQ(decode(0xfee00000, 0, 0x200, false).delivery_mode,
		  KVMOD_DM_SMI);
	EXPECT_EQ(decode(0xfee00000, 0, 0x400, false).delivery_mode,
		  KVMOD_DM_NMI);
	EXPECT_EQ(decode(0xfee00000, 0, 0x500, false).delivery_mode,
		  KVMOD_DM_INIT);
	EXPECT_EQ(decode(0xfee00000, 0, 0x700, false).delivery_mode,
		  KVMOD_DM_EXTINT);
}

TEST(trigger_and_level_bits)
{
	struct kvmod_irq_msg m;

	m = decode(0xfee00000, 0, 0x8000 | 0x4000 | 0x50, false);
	EXPECT_TRUE(m.level);
	EXPECT_TRUE(m.assert);
	/* KVM ignores the level (assert) bit: always asserted. */
	m = decode(0xfee00000, 0, 0x8000 | 0x50, false);
	EXPECT_TRUE(m.level);
	EXPECT_TRUE(m.assert);
	m = decode(0xfee00000, 0, 0x4000 | 0x50, false);
	EXPECT_FALSE(m.level);
	EXPECT_TRUE(m.assert);
	/* Data bits 31:16, 13:11 are ignored. */
	m = decode(0xfee00000, 0, 0xffff3851, false);
	EXPECT_EQ(m.vector, 0x51);
	EXPECT_EQ(m.delivery_mode, 0);
	EXPECT_FALSE(m.level);
}

TEST(address_bits_ignored)
{
	struct kvmod_irq_msg m;

	/* KVM does not check for 0xfeexxxxx, nor bits 11:4 and 1:0. */
	m = decode(0x12345ff3, 0, 0x22, false);
	EXPECT_EQ(m.dest, 0x45);
	EXPECT_FALSE(m.logical);
	EXPECT_FALSE(m.redirect_hint);
	EXPECT_EQ(m.vector, 0x22);
	m = decode(0, 0, 0, false);
	EXPECT_EQ(m.dest, 0);
}

TEST(address_hi_without_x2apic_format)
{
	struct kvmod_irq_msg m;

	m = decode(0xfee01000, 0xffffffff, 0x22, false);
	EXPECT_EQ(m.dest, 1);
	EXPECT_TRUE(kvmod_msi_valid(0xffffffff, false));
}

TEST(x2apic_format)
{
	struct kvmod_irq_msg m;

	m = decode(0xfee34000, 0x00012300, 0x22, true);
	EXPECT_EQ(m.dest, 0x12334);
	m = decode(0xfeeff000, 0xffffff00, 0x22, true);
	EXPECT_EQ(m.dest, 0xffffffff);
	m = decode(0xfee05000, 0, 0x22, true);
	EXPECT_EQ(m.dest, 5);
}

TEST(x2apic_format_reserved_bits)
{
	struct kvmod_irq_msg m;
	u32 bit;

	for (bit = 0; bit < 8; bit++) {
		memset(&m, 0xcc, sizeof(m));
		EXPECT_FALSE(kvmod_msi_valid(0x100 | 1U << bit, true));
		EXPECT_FALSE(kvmod_msi_decode(0xfee00000, 0x100 | 1U << bit,
					      0x22, true, &m));
		/* Refused: the message is not touched. */
		EXPECT_EQ(m.vector, 0xcc);
		EXPECT_EQ(m.dest, 0xcccccccc);
	}
	EXPECT_TRUE(kvmod_msi_valid(0xffffff00, true));
	EXPECT_TRUE(kvmod_msi_valid(0, true));
}
