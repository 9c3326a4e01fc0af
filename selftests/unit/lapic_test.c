// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/lapic.c: register semantics, APIC base modes,
 * x2APIC MSRs, IPIs, destinations, priority, timer, save/restore.
 */
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "lapic.h"
#include "unit.h"

#define NOW	1000000LL
#define MAXPA	46

static struct kvmod_lapic L;
static struct kvmod_lapic_effects FX;

static void fresh_cfg(u32 id, bool bsp, const struct kvmod_lapic_config *cfg)
{
	memset(&L, 0xa5, sizeof(L));
	memset(&L.cfg, 0, sizeof(L.cfg));
	if (cfg)
		L.cfg = *cfg;
	kvmod_lapic_reset(&L, id, bsp);
}

static void fresh(u32 id, bool bsp)
{
	fresh_cfg(id, bsp, NULL);
}

static void wr_at(u32 off, u32 v, s64 now)
{
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_write(&L, off, v, now, &FX);
}

static void wr(u32 off, u32 v)
{
	wr_at(off, v, NOW);
}

static u32 rd(u32 off)
{
	return kvmod_lapic_read(&L, off, NOW);
}

static u32 rd_at(u32 off, s64 now)
{
	return kvmod_lapic_read(&L, off, now);
}

static u32 reg(u32 off)
{
	u32 v;

	memcpy(&v, L.regs + off, 4);
	return v;
}

static void set_regv(u32 off, u32 v)
{
	memcpy(L.regs + off, &v, 4);
}

static int base(u64 v, bool host)
{
	memset(&FX, 0, sizeof(FX));
	return kvmod_lapic_set_base(&L, v, host, true, MAXPA, &FX);
}

static void enable(void)
{
	wr(KVMOD_APIC_SVR, 0x1ff);
}

static void x2apic(void)
{
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN |
		       KVMOD_APIC_BASE_EXTD, false), 0);
}

static int wrmsr(u32 msr, u64 v)
{
	memset(&FX, 0, sizeof(FX));
	return kvmod_lapic_wrmsr(&L, msr, v, NOW, &FX);
}

static u64 rdmsr_ok(u32 msr)
{
	u64 v = 0xdead;

	EXPECT_EQ(kvmod_lapic_rdmsr(&L, msr, &v, NOW), 0);
	return v;
}

static int rdmsr_rc(u32 msr)
{
	u64 v;

	return kvmod_lapic_rdmsr(&L, msr, &v, NOW);
}

static u32 msr_of(u32 off)
{
	return KVMOD_APIC_MSR_BASE + (off >> 4);
}

static int accept(u8 vec, bool level)
{
	struct kvmod_irq_msg m = { 0 };

	m.vector = vec;
	m.delivery_mode = KVMOD_DM_FIXED;
	m.level = level;
	m.assert = true;
	return kvmod_lapic_accept(&L, &m);
}

static bool irr(u32 v)
{
	return reg(KVMOD_APIC_IRR + (v >> 5) * 0x10) & (1u << (v & 31));
}

static bool isr(u32 v)
{
	return reg(KVMOD_APIC_ISR + (v >> 5) * 0x10) & (1u << (v & 31));
}

static bool tmr(u32 v)
{
	return reg(KVMOD_APIC_TMR + (v >> 5) * 0x10) & (1u << (v & 31));
}

static u32 sget(const struct kvm_lapic_state *s, u32 off)
{
	u32 v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void sput(struct kvm_lapic_state *s, u32 off, u32 v)
{
	memcpy(s->regs + off, &v, 4);
}

/* ---- reset ---- */

TEST(reset_bsp_state)
{
	unsigned int i;

	fresh(0, true);
	EXPECT_EQ(L.apic_base, 0xfee00900ULL);
	EXPECT_EQ(rd(KVMOD_APIC_ID), 0);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x50014);
	EXPECT_EQ(rd(KVMOD_APIC_SVR), 0xff);
	EXPECT_EQ(rd(KVMOD_APIC_DFR), 0xffffffffu);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_LDR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_ICR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_TMICT), 0);
	EXPECT_EQ(rd(KVMOD_APIC_TMCCT), 0);
	/* KVM's LINT0_REENABLED quirk: the BSP's LINT0 is ExtINT. */
	EXPECT_EQ(rd(KVMOD_APIC_LVT0), 0x700);
	EXPECT_TRUE(kvmod_lapic_accepts_pic_intr(&L));
	for (i = 0; i < 6; i++)
		if (i != KVMOD_LVT_LINT0)
			EXPECT_EQ(kvmod_lapic_lvt(&L, i), 0x10000);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(reg(KVMOD_APIC_IRR + i * 16), 0);
		EXPECT_EQ(reg(KVMOD_APIC_ISR + i * 16), 0);
		EXPECT_EQ(reg(KVMOD_APIC_TMR + i * 16), 0);
	}
	EXPECT_EQ(L.divide, 2);
	EXPECT_FALSE(kvmod_lapic_sw_enabled(&L));
	EXPECT_TRUE(kvmod_lapic_hw_enabled(&L));
	EXPECT_FALSE(kvmod_lapic_x2apic_mode(&L));
}

TEST(reset_ap_and_options)
{
	struct kvmod_lapic_config cfg = { 0 };

	fresh(3, false);
	EXPECT_EQ(L.apic_base, 0xfee00800ULL);
	EXPECT_EQ(rd(KVMOD_APIC_ID), 3u << 24);
	EXPECT_EQ(rd(KVMOD_APIC_LVT0), 0x10000);
	EXPECT_FALSE(kvmod_lapic_accepts_pic_intr(&L));

	fresh(0x1234, false);
	EXPECT_EQ(rd(KVMOD_APIC_ID), 0x34u << 24);

	cfg.no_lint0_quirk = true;
	cfg.cmci = true;
	cfg.directed_eoi = true;
	fresh_cfg(0, true, &cfg);
	EXPECT_EQ(rd(KVMOD_APIC_LVT0), 0x10000);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x1060014);
	EXPECT_EQ(rd(KVMOD_APIC_LVTCMCI), 0x10000);
}

TEST(set_config_cmci_and_version)
{
	struct kvmod_lapic_config cfg = { 0 };

	fresh(0, false);
	EXPECT_EQ(rd(KVMOD_APIC_LVTCMCI), 0);
	set_regv(KVMOD_APIC_LVTCMCI, 0x1234);
	cfg.cmci = true;
	kvmod_lapic_set_config(&L, &cfg);
	EXPECT_EQ(rd(KVMOD_APIC_LVTCMCI), 0x10000);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x60014);
	cfg.directed_eoi = true;
	kvmod_lapic_set_config(&L, &cfg);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x1060014);
}

TEST(init_signal_keeps_base_and_id)
{
	fresh(5, false);
	enable();
	wr(KVMOD_APIC_ID, 0x09000000);
	wr(KVMOD_APIC_TPR, 0x20);
	wr(KVMOD_APIC_LDR, 0x0f000000);
	EXPECT_EQ(accept(0x40, true), 1);
	kvmod_lapic_init_signal(&L);
	EXPECT_EQ(rd(KVMOD_APIC_ID), 0x09000000);
	EXPECT_EQ(L.apic_base, 0xfee00800ULL);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_LDR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_SVR), 0xff);
	EXPECT_FALSE(irr(0x40));
	EXPECT_FALSE(tmr(0x40));

	/* In x2APIC mode the LDR stays. */
	fresh(0x21, false);
	x2apic();
	kvmod_lapic_init_signal(&L);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_LDR)), 0x20002);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_ID)), 0x21);
}

/* ---- register masks ---- */

TEST(register_write_masks)
{
	fresh(0, false);
	enable();
	wr(KVMOD_APIC_ID, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_ID), 0xff000000);
	EXPECT_TRUE(FX.map);
	wr(KVMOD_APIC_ID, 0);
	wr(KVMOD_APIC_TPR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0xff);
	wr(KVMOD_APIC_TPR, 0);
	wr(KVMOD_APIC_LDR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LDR), 0xff000000);
	wr(KVMOD_APIC_DFR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_DFR), 0x0fffffff);
	wr(KVMOD_APIC_DFR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_DFR), 0xffffffff);
	wr(KVMOD_APIC_SVR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_SVR), 0x3ff);
	wr(KVMOD_APIC_ICR2, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_ICR2), 0xff000000);
	wr(KVMOD_APIC_TDCR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_TDCR), 0xb);
	EXPECT_EQ(L.divide, 1);

	wr(KVMOD_APIC_LVTT, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTT), 0x310ff);
	wr(KVMOD_APIC_LVTTHMR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTTHMR), 0x117ff);
	wr(KVMOD_APIC_LVTPC, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTPC), 0x117ff);
	wr(KVMOD_APIC_LVT0, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVT0), 0x1f7ff);
	wr(KVMOD_APIC_LVT1, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x1f7ff);
	EXPECT_TRUE(FX.lvt);
	wr(KVMOD_APIC_LVTERR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTERR), 0x110ff);
	/* No CMCI LVT without MCG_CAP.CMCI_P: reserved. */
	wr(KVMOD_APIC_LVTCMCI, 0xff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTCMCI), 0);
	EXPECT_EQ(reg(KVMOD_APIC_LVTCMCI), 0);
}

TEST(register_masks_with_options)
{
	struct kvmod_lapic_config cfg = { 0 };

	cfg.tsc_deadline = true;
	cfg.directed_eoi = true;
	cfg.cmci = true;
	fresh_cfg(0, false, &cfg);
	enable();
	wr(KVMOD_APIC_LVTT, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTT), 0x710ff);
	wr(KVMOD_APIC_SVR, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_SVR), 0x13ff);
	wr(KVMOD_APIC_LVTCMCI, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_LVTCMCI), 0x117ff);
}

TEST(read_only_and_reserved_registers)
{
	fresh(0, false);
	enable();
	wr(KVMOD_APIC_LVR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x50014);
	wr(KVMOD_APIC_PPR, 0xff);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0);
	wr(KVMOD_APIC_ISR + 0x10, 0xffffffff);
	wr(KVMOD_APIC_IRR + 0x10, 0xffffffff);
	wr(KVMOD_APIC_TMR + 0x10, 0xffffffff);
	EXPECT_EQ(rd(KVMOD_APIC_ISR + 0x10), 0);
	EXPECT_EQ(rd(KVMOD_APIC_IRR + 0x10), 0);
	EXPECT_EQ(rd(KVMOD_APIC_TMR + 0x10), 0);
	wr(KVMOD_APIC_TMCCT, 123);
	EXPECT_EQ(rd(KVMOD_APIC_TMCCT), 0);
	wr(KVMOD_APIC_APR, 0xff);
	EXPECT_EQ(rd(KVMOD_APIC_APR), 0);
	/* Write-only and reserved offsets read as 0. */
	set_regv(KVMOD_APIC_EOI, 0x77);
	EXPECT_EQ(rd(KVMOD_APIC_EOI), 0);
	set_regv(KVMOD_APIC_RRR, 0x77);
	EXPECT_EQ(rd(KVMOD_APIC_RRR), 0);
	EXPECT_EQ(rd(KVMOD_APIC_SELF_IPI), 0);
	EXPECT_EQ(rd(0x000), 0);
	EXPECT_EQ(rd(0x040), 0);
	EXPECT_EQ(rd(0x3a0), 0);
	EXPECT_EQ(rd(0x400), 0);
	EXPECT_EQ(rd(0xff0), 0);
	wr(0x040, 1);
	EXPECT_EQ(reg(0x040), 0);
}

TEST(mmio_sizes_and_alignment)
{
	u8 b[8];
	u32 v;

	fresh(0, false);
	enable();
	wr(KVMOD_APIC_ID, 0x12000000);
	wr(KVMOD_APIC_TPR, 0xa5);
	memset(b, 0x5a, sizeof(b));
	kvmod_lapic_mmio_read(&L, KVMOD_APIC_ID + 3, 1, b, NOW);
	EXPECT_EQ(b[0], 0x12);
	kvmod_lapic_mmio_read(&L, KVMOD_APIC_ID + 2, 2, b, NOW);
	EXPECT_EQ(b[0], 0);
	EXPECT_EQ(b[1], 0x12);
	/* Crossing bit 31 of the register, or 8 bytes: zeros. */
	kvmod_lapic_mmio_read(&L, KVMOD_APIC_ID + 2, 4, b, NOW);
	memcpy(&v, b, 4);
	EXPECT_EQ(v, 0);
	EXPECT_EQ(rd(KVMOD_APIC_TPR + 4), 0);
	kvmod_lapic_mmio_read(&L, KVMOD_APIC_TPR, 8, b, NOW);
	EXPECT_EQ(b[0], 0);
	/* Writes: only 4 bytes at 16-byte aligned offsets. */
	v = 0x40;
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_mmio_write(&L, KVMOD_APIC_TPR, 2, &v, NOW, &FX);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0xa5);
	kvmod_lapic_mmio_write(&L, KVMOD_APIC_TPR + 4, 4, &v, NOW, &FX);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0xa5);
	kvmod_lapic_mmio_write(&L, KVMOD_APIC_TPR, 4, &v, NOW, &FX);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0x40);
}

TEST(mmio_hole_when_disabled_or_x2apic)
{
	fresh(0, false);
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT, false), 0);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0xffffffff);
	wr(KVMOD_APIC_TPR, 0x30);
	EXPECT_EQ(reg(KVMOD_APIC_TPR), 0);
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN, false),
		  0);
	x2apic();
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0xffffffff);
	wr(KVMOD_APIC_TPR, 0x30);
	EXPECT_EQ(reg(KVMOD_APIC_TPR), 0);
}

TEST(svr_disable_masks_lvts)
{
	fresh(0, false);
	enable();
	wr(KVMOD_APIC_LVTT, 0x30);
	wr(KVMOD_APIC_LVT0, 0x700);
	wr(KVMOD_APIC_LVT1, 0x400);
	wr(KVMOD_APIC_LVTERR, 0x33);
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x400);
	wr(KVMOD_APIC_SVR, 0xff);
	EXPECT_TRUE(FX.map);
	EXPECT_TRUE(FX.lvt);
	EXPECT_EQ(rd(KVMOD_APIC_LVTT), 0x10030);
	EXPECT_EQ(rd(KVMOD_APIC_LVT0), 0x10700);
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x10400);
	EXPECT_EQ(rd(KVMOD_APIC_LVTERR), 0x10033);
	/* Cannot be unmasked while software-disabled. */
	wr(KVMOD_APIC_LVT1, 0x400);
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x10400);
	enable();
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x10400);
	wr(KVMOD_APIC_LVT1, 0x400);
	EXPECT_EQ(rd(KVMOD_APIC_LVT1), 0x400);
}

/* ---- APIC base ---- */

TEST(apic_base_transitions)
{
	const u64 en = KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN;
	const u64 x2 = en | KVMOD_APIC_BASE_EXTD;
	const u64 off = KVMOD_APIC_BASE_DEFAULT;

	fresh(0x23, false);
	/* xAPIC -> x2APIC */
	EXPECT_EQ(base(x2, false), 0);
	EXPECT_TRUE(FX.mode);
	EXPECT_TRUE(kvmod_lapic_x2apic_mode(&L));
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x23);
	EXPECT_EQ(reg(KVMOD_APIC_LDR), (2u << 16) | (1u << 3));
	/* x2APIC -> xAPIC: #GP for the guest, allowed for the host */
	EXPECT_EQ(base(en, false), -1);
	EXPECT_TRUE(kvmod_lapic_x2apic_mode(&L));
	EXPECT_EQ(base(en, true), 0);
	EXPECT_FALSE(kvmod_lapic_x2apic_mode(&L));
	/* The enable bit did not change: the ID stays as it was. */
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x23);
	/* x2APIC -> disabled -> xAPIC */
	EXPECT_EQ(base(x2, false), 0);
	EXPECT_EQ(base(off, false), 0);
	EXPECT_FALSE(kvmod_lapic_hw_enabled(&L));
	EXPECT_TRUE(FX.mode);
	/* disabled -> x2APIC: #GP for the guest */
	EXPECT_EQ(base(x2, false), -1);
	EXPECT_EQ(base(en, false), 0);
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x23u << 24);
	/* disabled -> x2APIC by the host */
	EXPECT_EQ(base(off, false), 0);
	EXPECT_EQ(base(x2, true), 0);
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x23);
	/* Same value again: no mode change. */
	EXPECT_EQ(base(x2, false), 0);
	EXPECT_FALSE(FX.mode);
}

TEST(apic_base_reserved_bits)
{
	const u64 en = KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN;
	unsigned int bit;

	fresh(0, false);
	for (bit = 0; bit < 8; bit++)
		EXPECT_EQ(base(en | BIT_ULL(bit), true), -1);
	EXPECT_EQ(base(en | BIT_ULL(9), false), -1);
	EXPECT_EQ(base(en | BIT_ULL(MAXPA), false), -1);
	EXPECT_EQ(base(en | BIT_ULL(63), true), -1);
	EXPECT_EQ(base((1ULL << MAXPA) - 0x1000 + 0x900, false), 0);
	/* EXTD without EN is invalid. */
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EXTD, true),
		  -1);
	/* BSP is writable; the base moves. */
	EXPECT_EQ(base(0xfec00000ULL | KVMOD_APIC_BASE_EN |
		       KVMOD_APIC_BASE_BSP, false), 0);
	EXPECT_EQ(L.apic_base, 0xfec00900ULL);
	/* No x2APIC in CPUID: EXTD is reserved. */
	memset(&FX, 0, sizeof(FX));
	EXPECT_EQ(kvmod_lapic_set_base(&L, en | KVMOD_APIC_BASE_EXTD, false,
				       false, MAXPA, &FX), -1);
	EXPECT_EQ(kvmod_lapic_set_base(&L, en | KVMOD_APIC_BASE_EXTD, true,
				       false, MAXPA, &FX), -1);
}

/* ---- x2APIC MSRs ---- */

TEST(x2apic_msr_gp_cases)
{
	fresh(0x11, false);
	/* Not in x2APIC mode. */
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_ID)), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TPR), 0), -1);
	x2apic();
	enable();		/* ignored: MMIO hole */
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SVR), 0x1ff), 0);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_SVR)), 0x1ff);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_ID)), 0x11);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_LDR)), 0x10002);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_LVR)), 0x50014);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_PPR)), 0);

	/* Reads that #GP. */
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_DFR)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_ICR2)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_APR)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_EOI)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_RRR)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_SELF_IPI)), -1);
	EXPECT_EQ(rdmsr_rc(msr_of(KVMOD_APIC_LVTCMCI)), -1);
	EXPECT_EQ(rdmsr_rc(0x804), -1);
	EXPECT_EQ(rdmsr_rc(0x840), -1);
	EXPECT_EQ(rdmsr_rc(0x8ff), -1);
	EXPECT_EQ(rdmsr_rc(0x7ff), -1);
	EXPECT_EQ(rdmsr_rc(0x900), -1);

	/* Writes that #GP. */
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ID), 0x11), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_LVR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_LDR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_DFR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_PPR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_APR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ISR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TMR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_IRR), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TMCCT), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR2), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_LVTCMCI), 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ESR), 1), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ESR), 0), 0);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TPR), 1ULL << 32), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SELF_IPI), 0x100), -1);
	EXPECT_EQ(wrmsr(0x804, 0), -1);
	EXPECT_EQ(wrmsr(0x8ff, 0), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR), BIT_ULL(13) | 0x30), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR), BIT_ULL(16) | 0x30), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR), BIT_ULL(17) | 0x30), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR), BIT_ULL(20) | 0x30), -1);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR), BIT_ULL(31) | 0x30), -1);
	EXPECT_FALSE(FX.ipi);

	/* Writes that work; TPR bits 31:8 are dropped as in KVM. */
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TPR), 0xffff20), 0);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_TPR)), 0x20);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_EOI), 0), 0);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_TDCR), 3), 0);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_TDCR)), 3);
}

TEST(x2apic_cmci_msr_when_present)
{
	struct kvmod_lapic_config cfg = { 0 };

	cfg.cmci = true;
	fresh_cfg(0, false, &cfg);
	x2apic();
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SVR), 0x100), 0);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_LVTCMCI), 0x2ff), 0);
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_LVTCMCI)), 0x2ff);
}

TEST(x2apic_icr_64bit_ipi)
{
	fresh(1, false);
	x2apic();
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SVR), 0x1ff), 0);
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_ICR),
			0x1234567800000000ULL | BIT_ULL(12) | 0x4831), 0);
	EXPECT_TRUE(FX.ipi);
	EXPECT_EQ(FX.ipi_msg.dest, 0x12345678);
	EXPECT_EQ(FX.ipi_msg.vector, 0x31);
	EXPECT_EQ(FX.ipi_msg.delivery_mode, KVMOD_DM_FIXED);
	EXPECT_TRUE(FX.ipi_msg.logical);
	EXPECT_TRUE(FX.ipi_msg.assert);
	EXPECT_FALSE(FX.ipi_msg.level);
	/* BUSY cleared; kept split in the page. */
	EXPECT_EQ(rdmsr_ok(msr_of(KVMOD_APIC_ICR)), 0x1234567800004831ULL);
	EXPECT_EQ(reg(KVMOD_APIC_ICR), 0x4831);
	EXPECT_EQ(reg(KVMOD_APIC_ICR2), 0x12345678);

	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SELF_IPI), 0x45), 0);
	EXPECT_TRUE(FX.ipi);
	EXPECT_EQ(FX.ipi_msg.vector, 0x45);
	EXPECT_EQ(FX.ipi_msg.shorthand, KVMOD_SH_SELF);
	EXPECT_EQ(FX.ipi_msg.delivery_mode, KVMOD_DM_FIXED);
	EXPECT_FALSE(FX.ipi_msg.level);
}

/* ---- IPIs from the xAPIC ICR ---- */

TEST(icr_ipi_messages)
{
	static const struct {
		u32 lo;
		u8 dm, sh;
		bool logical, level, assert;
	} c[] = {
		{ 0x00000030, KVMOD_DM_FIXED, KVMOD_SH_NONE, 0, 0, 0 },
		{ 0x00004130, KVMOD_DM_LOWEST, KVMOD_SH_NONE, 0, 0, 1 },
		{ 0x00000200, KVMOD_DM_SMI, KVMOD_SH_NONE, 0, 0, 0 },
		{ 0x00004400, KVMOD_DM_NMI, KVMOD_SH_NONE, 0, 0, 1 },
		{ 0x0000c500, KVMOD_DM_INIT, KVMOD_SH_NONE, 0, 1, 1 },
		{ 0x00008500, KVMOD_DM_INIT, KVMOD_SH_NONE, 0, 1, 0 },
		{ 0x00000609, KVMOD_DM_SIPI, KVMOD_SH_NONE, 0, 0, 0 },
		{ 0x00000700, KVMOD_DM_EXTINT, KVMOD_SH_NONE, 0, 0, 0 },
		{ 0x00040830, KVMOD_DM_FIXED, KVMOD_SH_SELF, 1, 0, 0 },
		{ 0x00080030, KVMOD_DM_FIXED, KVMOD_SH_ALL, 0, 0, 0 },
		{ 0x000c4500, KVMOD_DM_INIT, KVMOD_SH_OTHERS, 0, 0, 1 },
		{ 0x00008830, KVMOD_DM_FIXED, KVMOD_SH_NONE, 1, 1, 0 },
	};
	unsigned int i;

	fresh(0, true);
	enable();
	wr(KVMOD_APIC_ICR2, 0xab000000);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		wr(KVMOD_APIC_ICR, c[i].lo | KVMOD_APIC_ICR_BUSY);
		EXPECT_TRUE(FX.ipi);
		EXPECT_EQ(FX.ipi_msg.dest, 0xab);
		EXPECT_EQ(FX.ipi_msg.vector, c[i].lo & 0xff);
		EXPECT_EQ(FX.ipi_msg.delivery_mode, c[i].dm);
		EXPECT_EQ(FX.ipi_msg.shorthand, c[i].sh);
		EXPECT_EQ(FX.ipi_msg.logical, c[i].logical);
		EXPECT_EQ(FX.ipi_msg.level, c[i].level);
		EXPECT_EQ(FX.ipi_msg.assert, c[i].assert);
		EXPECT_FALSE(FX.ipi_msg.redirect_hint);
		EXPECT_EQ(rd(KVMOD_APIC_ICR), c[i].lo);
	}
}

TEST(icr_illegal_vector_and_esr)
{
	fresh(0, false);
	enable();
	wr(KVMOD_APIC_LVTERR, 0xee);
	wr(KVMOD_APIC_ICR, 0x0000000f);
	EXPECT_FALSE(FX.ipi);
	EXPECT_TRUE(FX.eval);
	/* The error LVT fired. */
	EXPECT_TRUE(irr(0xee));
	/* ESR reads the latched value: 0 until written. */
	EXPECT_EQ(rd(KVMOD_APIC_ESR), 0);
	wr(KVMOD_APIC_ESR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), KVMOD_APIC_ESR_SEND_ILLEGAL);
	wr(KVMOD_APIC_ESR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), 0);
	/* NMI/INIT/SIPI carry no vector check. */
	wr(KVMOD_APIC_ICR, 0x00000400);
	EXPECT_TRUE(FX.ipi);
	wr(KVMOD_APIC_ICR, 0x00000605);
	EXPECT_TRUE(FX.ipi);
	/* Receive illegal vector. */
	EXPECT_EQ(accept(5, false), -1);
	EXPECT_FALSE(irr(5));
	wr(KVMOD_APIC_ESR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), KVMOD_APIC_ESR_RECV_ILLEGAL);
	/* An illegal error vector only records the error. */
	wr(KVMOD_APIC_LVTERR, 0x03);
	EXPECT_EQ(accept(1, false), -1);
	wr(KVMOD_APIC_ESR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), KVMOD_APIC_ESR_RECV_ILLEGAL);
	EXPECT_EQ(reg(KVMOD_APIC_IRR), 0);
}

/* ---- destinations ---- */

static struct kvmod_irq_msg dmsg(u32 dest, bool logical, u8 sh)
{
	struct kvmod_irq_msg m = { 0 };

	m.dest = dest;
	m.logical = logical;
	m.shorthand = sh;
	m.vector = 0x30;
	return m;
}

TEST(match_physical_and_broadcast)
{
	struct kvmod_lapic other;
	struct kvmod_irq_msg m;

	fresh(7, false);
	other = L;
	m = dmsg(7, false, KVMOD_SH_NONE);
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 8;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0xff;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	/* A written xAPIC ID is what matches. */
	wr(KVMOD_APIC_ID, 0x09000000);
	m.dest = 9;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 7;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	/* IDs above 0xff match the vCPU id (KVM's hotplug rule). */
	fresh(0x107, false);
	m.dest = 0x107;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x07;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));

	/* x2APIC: 0xffffffff broadcasts, 0xff only from IOAPIC/MSI. */
	fresh(7, false);
	x2apic();
	m.dest = 7;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0xffffffff;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, &other));
	m.dest = 0xff;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, &other));
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	L.cfg.no_broadcast_quirk = true;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));

	/* A hardware-disabled APIC matches nothing. */
	fresh(7, false);
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT, false), 0);
	m.dest = 0xff;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m = dmsg(0, false, KVMOD_SH_ALL);
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
}

TEST(match_logical_flat_and_cluster)
{
	struct kvmod_irq_msg m;

	fresh(0, false);
	wr(KVMOD_APIC_LDR, 0x04000000);
	m = dmsg(0x04, true, KVMOD_SH_NONE);
	/* Software-disabled: no logical destination but broadcast. */
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0xff;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	enable();
	m.dest = 0x04;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x0c;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x0b;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	/* Cluster model: cluster 2, member bit 1. */
	wr(KVMOD_APIC_DFR, 0x0fffffff);
	wr(KVMOD_APIC_LDR, 0x22000000);
	m.dest = 0x22;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x2f;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x12;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x21;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0xff;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	/* An invalid DFR matches no logical destination. */
	set_regv(KVMOD_APIC_DFR, 0x5fffffff);
	m.dest = 0x22;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
}

TEST(match_x2apic_cluster)
{
	struct kvmod_irq_msg m;

	fresh(0x35, false);	/* cluster 3, bit 5 */
	x2apic();
	EXPECT_EQ(wrmsr(msr_of(KVMOD_APIC_SVR), 0x1ff), 0);
	m = dmsg(0x30020, true, KVMOD_SH_NONE);
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x3ffdf;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0x20020;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, NULL));
	m.dest = 0xffffffff;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, NULL));
}

TEST(match_shorthands)
{
	struct kvmod_lapic other;
	struct kvmod_irq_msg m;

	fresh(1, false);
	other = L;
	m = dmsg(0x55, false, KVMOD_SH_SELF);
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, &L));
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, &other));
	m.shorthand = KVMOD_SH_ALL;
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, &L));
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, &other));
	m.shorthand = KVMOD_SH_OTHERS;
	EXPECT_FALSE(kvmod_lapic_match_dest(&L, &m, &L));
	EXPECT_TRUE(kvmod_lapic_match_dest(&L, &m, &other));
}

/* ---- acceptance and priority ---- */

TEST(accept_rules)
{
	struct kvmod_irq_msg m = { 0 };

	fresh(0, false);
	/* Software-disabled: dropped. */
	EXPECT_EQ(accept(0x30, false), -1);
	EXPECT_FALSE(irr(0x30));
	enable();
	EXPECT_EQ(accept(0x30, false), 1);
	EXPECT_EQ(accept(0x30, false), 0);
	EXPECT_TRUE(irr(0x30));
	EXPECT_FALSE(tmr(0x30));
	/* Level sets TMR; edge clears it again. */
	EXPECT_EQ(accept(0x30, true), 0);
	EXPECT_TRUE(tmr(0x30));
	EXPECT_EQ(accept(0x30, false), 0);
	EXPECT_FALSE(tmr(0x30));
	/* Level de-assert: dropped. */
	m.vector = 0x41;
	m.level = true;
	m.assert = false;
	EXPECT_EQ(kvmod_lapic_accept(&L, &m), -1);
	EXPECT_FALSE(irr(0x41));
	/* Lowest priority counts for arbitration. */
	m.assert = true;
	m.delivery_mode = KVMOD_DM_LOWEST;
	EXPECT_EQ(kvmod_lapic_accept(&L, &m), 1);
	EXPECT_EQ(kvmod_lapic_arb_prio(&L), 1);
	/* Other modes are the wiring's. */
	m.delivery_mode = KVMOD_DM_NMI;
	m.vector = 0x50;
	EXPECT_EQ(kvmod_lapic_accept(&L, &m), -1);
	EXPECT_FALSE(irr(0x50));
	/* Hardware-disabled: dropped. */
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT, false), 0);
	EXPECT_EQ(accept(0x60, false), -1);
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
}

TEST(priority_tpr_ppr_pending)
{
	fresh(0, false);
	enable();
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
	EXPECT_EQ(accept(0x45, false), 1);
	EXPECT_EQ(kvmod_lapic_pending(&L), 0x45);
	wr(KVMOD_APIC_TPR, 0x45);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x45);
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
	wr(KVMOD_APIC_TPR, 0x3f);
	EXPECT_TRUE(FX.eval);
	EXPECT_EQ(kvmod_lapic_pending(&L), 0x45);
	wr(KVMOD_APIC_TPR, 0x40);
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
	EXPECT_EQ(kvmod_lapic_get_cr8(&L), 4);
	kvmod_lapic_set_cr8(&L, 3);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0x30);
	EXPECT_EQ(kvmod_lapic_pending(&L), 0x45);
	kvmod_lapic_set_cr8(&L, 0xf4);
	EXPECT_EQ(rd(KVMOD_APIC_TPR), 0x40);
	EXPECT_EQ(kvmod_lapic_ack(&L), -1);
}

/*
 * The VAPIC area's TPR: applied in any mode (also x2APIC, where the MMIO
 * page is a hole), PPR follows, a fall asks for the events; the word
 * gives TPR, ISR class and highest IRR.
 */
TEST(vapic_tpr_and_word)
{
	fresh(0, true);
	enable();
	EXPECT_EQ(accept(0x45, false), 1);
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_set_tpr(&L, 0x5a, &FX);
	EXPECT_EQ(reg(KVMOD_APIC_TPR), 0x5a);
	EXPECT_EQ(reg(KVMOD_APIC_PPR), 0x5a);
	EXPECT_FALSE(FX.eval);
	EXPECT_EQ(kvmod_lapic_vapic_word(&L), 0x4500005a);
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_set_tpr(&L, 0x20, &FX);
	EXPECT_TRUE(FX.eval);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x45);
	EXPECT_EQ(kvmod_lapic_vapic_word(&L), 0x4020);
	x2apic();
	kvmod_lapic_set_tpr(&L, 0x71, &FX);
	EXPECT_EQ(rdmsr_ok(KVMOD_APIC_MSR_BASE + (KVMOD_APIC_TPR >> 4)), 0x71);
	EXPECT_EQ(kvmod_lapic_get_cr8(&L), 7);
}

TEST(ack_eoi_nested)
{
	fresh(0, false);
	enable();
	EXPECT_EQ(accept(0x31, false), 1);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x31);
	EXPECT_TRUE(isr(0x31));
	EXPECT_FALSE(irr(0x31));
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x30);
	/* Same class: blocked; higher class: nests. */
	EXPECT_EQ(accept(0x3f, false), 1);
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
	EXPECT_EQ(accept(0x52, true), 1);
	EXPECT_EQ(kvmod_lapic_pending(&L), 0x52);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x52);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x50);
	/* TPR above the ISR class wins in PPR. */
	wr(KVMOD_APIC_TPR, 0x61);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x61);
	wr(KVMOD_APIC_TPR, 0);
	/* EOI the level one: the IOAPIC is to hear of it. */
	wr(KVMOD_APIC_EOI, 0);
	EXPECT_TRUE(FX.eoi);
	EXPECT_EQ(FX.eoi_vector, 0x52);
	EXPECT_TRUE(FX.eoi_level);
	EXPECT_FALSE(FX.eoi_suppressed);
	EXPECT_TRUE(FX.eval);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x30);
	EXPECT_EQ(kvmod_lapic_pending(&L), -1);
	wr(KVMOD_APIC_EOI, 0);
	EXPECT_EQ(FX.eoi_vector, 0x31);
	EXPECT_FALSE(FX.eoi_level);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x3f);
	wr(KVMOD_APIC_EOI, 0);
	EXPECT_TRUE(FX.eoi);
	/* EOI with no ISR bit: nothing. */
	wr(KVMOD_APIC_EOI, 0);
	EXPECT_FALSE(FX.eoi);
	EXPECT_FALSE(FX.eval);
}

TEST(eoi_broadcast_suppression)
{
	struct kvmod_lapic_config cfg = { 0 };

	cfg.directed_eoi = true;
	fresh_cfg(0, false, &cfg);
	wr(KVMOD_APIC_SVR, 0x11ff);
	EXPECT_EQ(accept(0x70, true), 1);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x70);
	wr(KVMOD_APIC_EOI, 0);
	EXPECT_TRUE(FX.eoi);
	EXPECT_TRUE(FX.eoi_level);
	EXPECT_TRUE(FX.eoi_suppressed);
	/* Without the LVR bit, SVR bit 12 is not writable. */
	fresh(0, false);
	wr(KVMOD_APIC_SVR, 0x11ff);
	EXPECT_EQ(rd(KVMOD_APIC_SVR), 0x1ff);
}

TEST(local_deliver_lvts)
{
	struct kvmod_lapic_config cfg = { 0 };

	cfg.lvtpc_auto_mask = true;
	fresh_cfg(0, true, &cfg);
	enable();
	EXPECT_TRUE(kvmod_lapic_accepts_pic_intr(&L));
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_LINT0),
		  KVMOD_DM_EXTINT);
	wr(KVMOD_APIC_LVT0, 0x10700);
	EXPECT_FALSE(kvmod_lapic_accepts_pic_intr(&L));
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_LINT0), -1);
	wr(KVMOD_APIC_LVT1, 0x400);
	EXPECT_EQ(kvmod_lapic_lvt(&L, KVMOD_LVT_LINT1), 0x400);
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_LINT1),
		  KVMOD_DM_NMI);
	wr(KVMOD_APIC_LVT1, 0x8055);
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_LINT1),
		  KVMOD_DM_FIXED);
	EXPECT_TRUE(irr(0x55));
	EXPECT_TRUE(tmr(0x55));
	wr(KVMOD_APIC_LVTPC, 0x66);
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_PERF),
		  KVMOD_DM_FIXED);
	EXPECT_TRUE(irr(0x66));
	EXPECT_EQ(rd(KVMOD_APIC_LVTPC), 0x10066);
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_CMCI), -1);
	EXPECT_EQ(kvmod_lapic_lvt(&L, KVMOD_LVT_CMCI), 0x10000);
	EXPECT_EQ(kvmod_lapic_lvt(&L, 99), 0x10000);
	/* A hardware-disabled APIC passes the PIC through. */
	EXPECT_EQ(base(KVMOD_APIC_BASE_DEFAULT, false), 0);
	EXPECT_TRUE(kvmod_lapic_accepts_pic_intr(&L));
	EXPECT_EQ(kvmod_lapic_local_deliver(&L, KVMOD_LVT_LINT1), -1);
}

/* ---- timer ---- */

TEST(timer_oneshot_each_divider)
{
	static const struct {
		u32 tdcr, div;
	} d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};
	unsigned int i;
	s64 exp;

	for (i = 0; i < ARRAY_SIZE(d); i++) {
		fresh(0, false);
		enable();
		wr(KVMOD_APIC_LVTT, 0x40);
		wr(KVMOD_APIC_TDCR, d[i].tdcr);
		EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
		wr(KVMOD_APIC_TMICT, 1000);
		EXPECT_TRUE(FX.timer);
		EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
		EXPECT_EQ(exp, NOW + 1000LL * d[i].div);
		/* KVM takes the remaining time modulo the period. */
		EXPECT_EQ(rd(KVMOD_APIC_TMCCT), 0);
		EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 1), 999);
		EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 250LL * d[i].div),
			  750);
		EXPECT_EQ(kvmod_lapic_timer_expired(&L, exp), KVMOD_DM_FIXED);
		EXPECT_TRUE(irr(0x40));
		EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
		EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, exp), 0);
		EXPECT_EQ(rd(KVMOD_APIC_TMICT), 1000);
		EXPECT_EQ(kvmod_lapic_timer_expired(&L, exp + 5), -1);
	}
}

TEST(timer_periodic_rearm_and_clamp)
{
	s64 exp;

	fresh(0, false);
	enable();
	wr(KVMOD_APIC_TDCR, 0xb);
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_PERIODIC | 0x40);
	wr(KVMOD_APIC_TMICT, 1000000);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 1000000);
	EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 400000), 600000);
	EXPECT_EQ(kvmod_lapic_timer_expired(&L, exp + 10), KVMOD_DM_FIXED);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	/* From the previous deadline, not from when it was handled. */
	EXPECT_EQ(exp, NOW + 2000000);
	/* The count reloads. */
	EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 1000001), 999999);
	/* Far behind: re-armed at now, no catching up. */
	kvmod_lapic_timer_expired(&L, NOW + 50000000);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 50000000);

	/* 200 us minimum period. */
	wr(KVMOD_APIC_TMICT, 100);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + KVMOD_APIC_MIN_PERIOD_NS);
	EXPECT_EQ(L.timer_period, KVMOD_APIC_MIN_PERIOD_NS);
	/* One-shot is not clamped. */
	wr(KVMOD_APIC_LVTT, 0x40);
	wr(KVMOD_APIC_TMICT, 100);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 100);
}

TEST(timer_mode_switch_periodic_to_oneshot)
{
	s64 exp;

	fresh(0, false);
	enable();
	wr(KVMOD_APIC_TDCR, 0xb);
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_PERIODIC | 0x40);
	wr(KVMOD_APIC_TMICT, 300000);
	/* One-shot <-> periodic keeps the count running (KVM). */
	wr(KVMOD_APIC_LVTT, 0x40);
	EXPECT_EQ(rd(KVMOD_APIC_TMICT), 300000);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	kvmod_lapic_timer_expired(&L, exp);
	EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
}

TEST(timer_masked_and_stopped)
{
	s64 exp;

	fresh(0, false);
	enable();
	wr(KVMOD_APIC_TDCR, 0xb);
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVT_MASKED | KVMOD_APIC_LVTT_PERIODIC |
	   0x40);
	wr(KVMOD_APIC_TMICT, 500000);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 100000), 400000);
	EXPECT_EQ(kvmod_lapic_timer_expired(&L, exp), -1);
	EXPECT_FALSE(irr(0x40));
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 1000000);
	/* Writing 0 stops it. */
	wr(KVMOD_APIC_TMICT, 0);
	EXPECT_TRUE(FX.timer);
	EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(rd(KVMOD_APIC_TMCCT), 0);
	/* An illegal timer vector: receive illegal vector. */
	wr(KVMOD_APIC_LVTT, 0x05);
	wr(KVMOD_APIC_TMICT, 10);
	EXPECT_EQ(kvmod_lapic_timer_expired(&L, NOW + 10), -1);
	EXPECT_EQ(reg(KVMOD_APIC_IRR), 0);
	wr(KVMOD_APIC_ESR, 0);
	EXPECT_EQ(rd(KVMOD_APIC_ESR), KVMOD_APIC_ESR_RECV_ILLEGAL);
}

TEST(timer_divide_change_rescales)
{
	s64 exp;

	fresh(0, false);
	enable();
	wr(KVMOD_APIC_LVTT, 0x40);
	wr(KVMOD_APIC_TDCR, 0xb);
	wr(KVMOD_APIC_TMICT, 1000);
	wr_at(KVMOD_APIC_TDCR, 0x1, NOW + 400);	/* divide by 4 */
	EXPECT_TRUE(FX.timer);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 400 + 600 * 4);
	EXPECT_EQ(rd_at(KVMOD_APIC_TMCCT, NOW + 400), 600);
}

TEST(timer_tsc_deadline)
{
	struct kvmod_lapic_config cfg = { 0 };
	u64 tsc;
	s64 exp;

	cfg.tsc_deadline = true;
	fresh_cfg(0, false, &cfg);
	enable();
	/* Ignored outside TSC-deadline mode. */
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_set_tsc_deadline(&L, 12345, &FX);
	EXPECT_FALSE(FX.timer);
	EXPECT_EQ(kvmod_lapic_get_tsc_deadline(&L), 0);

	wr(KVMOD_APIC_TDCR, 0xb);
	wr(KVMOD_APIC_TMICT, 1000);
	/* Switching mode clears TMICT and stops the count. */
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_TSCDEADLINE | 0x40);
	EXPECT_TRUE(FX.timer);
	EXPECT_EQ(rd(KVMOD_APIC_TMICT), 0);
	EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
	/* TMICT writes are ignored, TMCCT reads 0. */
	wr(KVMOD_APIC_TMICT, 1000);
	EXPECT_EQ(rd(KVMOD_APIC_TMICT), 0);
	EXPECT_EQ(rd(KVMOD_APIC_TMCCT), 0);

	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_set_tsc_deadline(&L, 12345, &FX);
	EXPECT_TRUE(FX.timer);
	EXPECT_EQ(kvmod_lapic_get_tsc_deadline(&L), 12345);
	EXPECT_TRUE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	EXPECT_EQ(tsc, 12345);
	EXPECT_FALSE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(kvmod_lapic_timer_expired(&L, NOW), KVMOD_DM_FIXED);
	EXPECT_TRUE(irr(0x40));
	EXPECT_EQ(kvmod_lapic_get_tsc_deadline(&L), 0);
	EXPECT_FALSE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	/* 0 disarms. */
	kvmod_lapic_set_tsc_deadline(&L, 99, &FX);
	kvmod_lapic_set_tsc_deadline(&L, 0, &FX);
	EXPECT_FALSE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	/* Back to one-shot: deadline gone. */
	kvmod_lapic_set_tsc_deadline(&L, 99, &FX);
	wr(KVMOD_APIC_LVTT, 0x40);
	EXPECT_FALSE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	EXPECT_EQ(L.tsc_deadline, 0);
	/* Without the CPUID bit, bit 18 does not stick. */
	fresh(0, false);
	enable();
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_TSCDEADLINE | 0x40);
	EXPECT_EQ(rd(KVMOD_APIC_LVTT), 0x40);
}

/* ---- save/restore ---- */

TEST(state_round_trip)
{
	struct kvm_lapic_state s1, s2;
	struct kvmod_lapic saved;
	s64 exp;

	fresh(2, false);
	enable();
	wr(KVMOD_APIC_TPR, 0x20);
	wr(KVMOD_APIC_LDR, 0x08000000);
	wr(KVMOD_APIC_LVT1, 0x400);
	EXPECT_EQ(accept(0x51, true), 1);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x51);
	EXPECT_EQ(accept(0x61, false), 1);
	wr(KVMOD_APIC_TDCR, 0x0);
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_PERIODIC | 0x40);
	wr(KVMOD_APIC_TMICT, 1000000);
	kvmod_lapic_get_state(&L, &s1, NOW + 500000);
	EXPECT_EQ(sget(&s1, KVMOD_APIC_TMCCT), 750000);
	saved = L;

	fresh(2, false);
	memset(&FX, 0, sizeof(FX));
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s1, NOW + 2000000, &FX), 0);
	EXPECT_TRUE(FX.timer);
	EXPECT_EQ(reg(KVMOD_APIC_TMCCT), 0);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 2000000 + 1500000);
	EXPECT_EQ(L.timer_period, 2000000);
	kvmod_lapic_get_state(&L, &s2, NOW + 2000000);
	EXPECT_EQ(memcmp(&s1, &s2, sizeof(s1)), 0);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x50);
	EXPECT_EQ(kvmod_lapic_pending(&L), 0x61);
	EXPECT_EQ(memcmp(L.regs, saved.regs, sizeof(L.regs)), 0);
}

TEST(state_set_fixups)
{
	struct kvm_lapic_state s;
	s64 exp;

	fresh(0, false);
	enable();
	kvmod_lapic_get_state(&L, &s, NOW);
	/* LVR and PPR are recomputed; IRR/ISR are taken as they are. */
	sput(&s, KVMOD_APIC_LVR, 0x12345678);
	sput(&s, KVMOD_APIC_PPR, 0xff);
	sput(&s, KVMOD_APIC_ISR + 0x20, 1);	/* vector 0x40 */
	/* One-shot with TMCCT 0 and TMICT set: fires at once (KVM). */
	sput(&s, KVMOD_APIC_TMICT, 100);
	sput(&s, KVMOD_APIC_TMCCT, 0);
	memset(&FX, 0, sizeof(FX));
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_EQ(rd(KVMOD_APIC_LVR), 0x50014);
	EXPECT_EQ(rd(KVMOD_APIC_PPR), 0x40);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW);
	/* TMCCT beyond TMICT: a full period. */
	sput(&s, KVMOD_APIC_TMCCT, 1000);
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_TRUE(kvmod_lapic_timer_next(&L, &exp));
	EXPECT_EQ(exp, NOW + 200);
}

TEST(state_x2apic_id_format)
{
	struct kvm_lapic_state s;

	fresh(0x105, false);
	x2apic();
	kvmod_lapic_get_state(&L, &s, NOW);
	EXPECT_EQ(sget(&s, KVMOD_APIC_ID), 0x05000000u);
	EXPECT_EQ(sget(&s, KVMOD_APIC_LDR), 0x100020u);
	memset(&FX, 0, sizeof(FX));
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x05);
	EXPECT_EQ(reg(KVMOD_APIC_LDR), 0x20);

	L.cfg.x2apic_format = true;
	sput(&s, KVMOD_APIC_ID, 0x105);
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x105);
	EXPECT_EQ(reg(KVMOD_APIC_LDR), 0x100020u);
	kvmod_lapic_get_state(&L, &s, NOW);
	EXPECT_EQ(sget(&s, KVMOD_APIC_ID), 0x105u);
	sput(&s, KVMOD_APIC_ID, 0x106);
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), -1);
	EXPECT_EQ(reg(KVMOD_APIC_ID), 0x105);
}

TEST(state_tsc_deadline_kept)
{
	struct kvmod_lapic_config cfg = { 0 };
	struct kvm_lapic_state s;
	u64 tsc;

	cfg.tsc_deadline = true;
	fresh_cfg(0, false, &cfg);
	enable();
	wr(KVMOD_APIC_LVTT, KVMOD_APIC_LVTT_TSCDEADLINE | 0x40);
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_set_tsc_deadline(&L, 5000, &FX);
	kvmod_lapic_get_state(&L, &s, NOW);
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_TRUE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	EXPECT_EQ(tsc, 5000);
	/* Restoring a one-shot LVTT drops the deadline. */
	sput(&s, KVMOD_APIC_LVTT, 0x40);
	EXPECT_EQ(kvmod_lapic_set_state(&L, &s, NOW, &FX), 0);
	EXPECT_FALSE(kvmod_lapic_timer_tsc_deadline(&L, &tsc));
	EXPECT_EQ(L.tsc_deadline, 0);
}

/* PV EOI is offered only for an edge interrupt with nothing else waiting. */
TEST(pv_eoi_vector_and_eoi)
{
	fresh(0, true);
	enable();
	EXPECT_EQ(kvmod_lapic_pv_eoi_vector(&L), -1);	/* nothing in service */
	EXPECT_EQ(accept(0x50, false), 1);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x50);
	EXPECT_EQ(kvmod_lapic_pv_eoi_vector(&L), 0x50);
	/* Another interrupt waiting: the EOI must be seen, no offer. */
	EXPECT_EQ(accept(0x40, false), 1);
	EXPECT_EQ(kvmod_lapic_pv_eoi_vector(&L), -1);
	/* The guest's EOI by memory clears the in-service vector. */
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_eoi(&L, &FX);
	EXPECT_FALSE(isr(0x50));
	EXPECT_TRUE(FX.eoi);
	EXPECT_EQ(FX.eoi_vector, 0x50);
	EXPECT_FALSE(FX.eoi_level);
	/* Level-triggered: never offered. */
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x40);
	memset(&FX, 0, sizeof(FX));
	kvmod_lapic_eoi(&L, &FX);
	EXPECT_EQ(accept(0x60, true), 1);
	EXPECT_EQ(kvmod_lapic_ack(&L), 0x60);
	EXPECT_EQ(kvmod_lapic_pv_eoi_vector(&L), -1);
}
