// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for irqchip/lapic.c.
 *
 * Input: a configuration byte, the vCPU id, then operations (one byte
 * each plus operands; missing bytes read as 0): MMIO reads and writes,
 * x2APIC MSR accesses, IA32_APIC_BASE writes, interrupts arriving,
 * acknowledgments, CR8, TSC-deadline writes, LVT signals, INIT, time
 * passing with timer expiries, and KVM_SET_LAPIC of a patched page.
 * IPIs the APIC sends to itself are delivered back.
 *
 * Invariants checked after every operation:
 *  - IRR and ISR hold no vector below 16 unless a set_state put one;
 *  - PPR is what TPR and the highest ISR vector make it;
 *  - pending() is an IRR vector of a class above PPR, and ack() takes
 *    exactly what pending() said;
 *  - an accepted interrupt is in IRR; an EOI clears its ISR bit;
 *  - the timer is armed only with a period (or a TSC deadline in
 *    TSC-deadline mode), the divider is a power of two up to 128;
 *  - KVM_GET_LAPIC, then KVM_SET_LAPIC on a copy, then KVM_GET_LAPIC
 *    gives the same page, and the same pending interrupt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>

#include "lapic.h"
#include "fuzz_check.h"

struct input {
	const u8 *p;
	size_t left;
};

static u64 take(struct input *in, unsigned int n)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 b = 0;

		if (in->left) {
			b = *in->p++;
			in->left--;
		}
		v |= b << (8 * i);
	}
	return v;
}

static u32 reg(const struct kvmod_lapic *l, u32 off)
{
	u32 v;

	memcpy(&v, l->regs + off, 4);
	return v;
}

static bool vec_set(const struct kvmod_lapic *l, u32 base, u32 v)
{
	return reg(l, base + (v >> 5) * 0x10) & (1u << (v & 31));
}

static int highest(const struct kvmod_lapic *l, u32 base)
{
	int v;

	for (v = 255; v >= 0; v--)
		if (vec_set(l, base, v))
			return v;
	return -1;
}

static void check(const struct kvmod_lapic *l, bool tainted)
{
	u32 tpr = reg(l, KVMOD_APIC_TPR);
	int isr = highest(l, KVMOD_APIC_ISR);
	u32 isrv = isr < 0 ? 0 : isr;
	u32 ppr = (tpr & 0xf0) >= (isrv & 0xf0) ? tpr & 0xff : isrv & 0xf0;
	int p = kvmod_lapic_pending(l);

	if (!tainted) {
		CHECK((reg(l, KVMOD_APIC_IRR) & 0xffff) == 0);
		CHECK((reg(l, KVMOD_APIC_ISR) & 0xffff) == 0);
	}
	CHECK(reg(l, KVMOD_APIC_PPR) == ppr);
	if (p >= 0) {
		CHECK(p < 256);
		CHECK(vec_set(l, KVMOD_APIC_IRR, p));
		CHECK(((u32)p & 0xf0) > ppr);
		CHECK(p == highest(l, KVMOD_APIC_IRR));
		CHECK(kvmod_lapic_hw_enabled(l));
	}
	CHECK(l->divide >= 1 && l->divide <= 128 &&
	      !(l->divide & (l->divide - 1)));
	if (l->timer_armed == KVMOD_APIC_TIMER_NS)
		CHECK(l->timer_period > 0);
	if (l->timer_armed == KVMOD_APIC_TIMER_TSC) {
		CHECK(l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE);
		CHECK(l->tsc_deadline != 0);
	}
	CHECK(l->timer_armed <= KVMOD_APIC_TIMER_TSC);
	CHECK(l->timer_mode == (reg(l, KVMOD_APIC_LVTT) &
				(l->cfg.tsc_deadline ? KVMOD_APIC_LVTT_MODE :
				 KVMOD_APIC_LVTT_PERIODIC)));
}

static void round_trip(const struct kvmod_lapic *l, s64 now)
{
	static struct kvm_lapic_state s1, s2;
	static struct kvmod_lapic copy;
	struct kvmod_lapic_effects fx = { 0 };
	s64 period;

	kvmod_lapic_get_state(l, &s1, now);
	copy = *l;
	CHECK(kvmod_lapic_set_state(&copy, &s1, now, &fx) == 0);
	kvmod_lapic_get_state(&copy, &s2, now);
	/*
	 * TMCCT comes back as it went unless the period was stale (TMICT
	 * written while the LVTT mode was the reserved 3).
	 */
	period = (s64)reg(l, KVMOD_APIC_TMICT) * l->divide;
	if (l->timer_mode == KVMOD_APIC_LVTT_PERIODIC && period &&
	    period < KVMOD_APIC_MIN_PERIOD_NS)
		period = KVMOD_APIC_MIN_PERIOD_NS;
	if (period != l->timer_period)
		memcpy(s2.regs + KVMOD_APIC_TMCCT, s1.regs + KVMOD_APIC_TMCCT,
		       4);
	CHECK(memcmp(&s1, &s2, sizeof(s1)) == 0);
	CHECK(kvmod_lapic_pending(&copy) == kvmod_lapic_pending(l));
}

static void deliver_self(struct kvmod_lapic *l,
			 const struct kvmod_lapic_effects *fx, bool tainted)
{
	const struct kvmod_irq_msg *m = &fx->ipi_msg;
	int r;

	if (!fx->ipi || !kvmod_lapic_match_dest(l, m, l))
		return;
	r = kvmod_lapic_accept(l, m);
	if (r >= 0)
		CHECK(vec_set(l, KVMOD_APIC_IRR, m->vector));
	if (r >= 0 && !tainted)
		CHECK(m->vector >= 16);
}

static void after_write(struct kvmod_lapic *l,
			const struct kvmod_lapic_effects *fx, bool tainted)
{
	if (fx->eoi)
		CHECK(!vec_set(l, KVMOD_APIC_ISR, fx->eoi_vector) ||
		      tainted);
	if (fx->ipi && fx->ipi_msg.shorthand != KVMOD_SH_SELF &&
	    (fx->ipi_msg.delivery_mode == KVMOD_DM_FIXED ||
	     fx->ipi_msg.delivery_mode == KVMOD_DM_LOWEST))
		CHECK(fx->ipi_msg.vector >= 16);
	deliver_self(l, fx, tainted);
}

static const u32 useful[8] = {
	KVMOD_APIC_SVR, KVMOD_APIC_LVTT, KVMOD_APIC_TMICT, KVMOD_APIC_ICR,
	KVMOD_APIC_TDCR, KVMOD_APIC_TPR, KVMOD_APIC_LVTERR, KVMOD_APIC_ESR,
};

static const u64 bases[] = {
	0xfee00000ULL, 0xfee00800ULL, 0xfee00c00ULL, 0xfee00400ULL,
	0xfee00900ULL, 0xfee00d00ULL,
};

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct kvmod_lapic l;
	struct input in = { data, size };
	struct kvmod_lapic_effects fx;
	struct kvm_lapic_state s;
	struct kvmod_irq_msg m;
	bool tainted = false;
	s64 now = 1000;
	unsigned int steps = 0;
	u32 c, off, n, i;
	u64 v, tsc;
	int p, r;
	s64 exp;

	memset(&l, 0, sizeof(l));
	c = take(&in, 1);
	l.cfg.cmci = c & 1;
	l.cfg.tsc_deadline = c & 2;
	l.cfg.directed_eoi = c & 4;
	l.cfg.lvtpc_auto_mask = c & 8;
	l.cfg.x2apic_format = c & 16;
	l.cfg.no_broadcast_quirk = c & 32;
	l.cfg.no_lint0_quirk = c & 64;
	kvmod_lapic_reset(&l, take(&in, 1), c & 128);
	check(&l, tainted);

	while (in.left && steps++ < 2000) {
		memset(&fx, 0, sizeof(fx));
		switch (take(&in, 1) % 16) {
		case 0:		/* MMIO write, mostly to real registers */
			off = (take(&in, 1) << 4) & 0x3f0;
			kvmod_lapic_write(&l, off, take(&in, 4), now, &fx);
			after_write(&l, &fx, tainted);
			break;
		case 1:		/* MMIO read, any size and offset */
			off = take(&in, 2) & 0xfff;
			n = take(&in, 1) % 9;
			{
				u8 buf[8];

				kvmod_lapic_mmio_read(&l, off, n, buf, now);
			}
			break;
		case 2:		/* x2APIC WRMSR */
			off = KVMOD_APIC_MSR_BASE + take(&in, 1);
			v = take(&in, 8);
			if (take(&in, 1) & 1)
				v &= 0xffffffffULL;
			r = kvmod_lapic_wrmsr(&l, off, v, now, &fx);
			CHECK(r == 0 || r == -1);
			if (r)
				CHECK(!fx.ipi);
			after_write(&l, &fx, tainted);
			break;
		case 3:		/* x2APIC RDMSR */
			off = KVMOD_APIC_MSR_BASE + take(&in, 1);
			r = kvmod_lapic_rdmsr(&l, off, &v, now);
			CHECK(r == 0 || r == -1);
			if (!kvmod_lapic_x2apic_mode(&l))
				CHECK(r == -1);
			break;
		case 4:		/* an interrupt arrives */
			memset(&m, 0, sizeof(m));
			m.vector = take(&in, 1);
			c = take(&in, 1);
			m.delivery_mode = c & 7;
			m.level = c & 8;
			m.assert = c & 16;
			m.logical = c & 32;
			m.dest = take(&in, 1);
			if (!kvmod_lapic_match_dest(&l, &m, NULL))
				break;
			r = kvmod_lapic_accept(&l, &m);
			if (r >= 0) {
				CHECK(m.vector >= 16);
				CHECK(vec_set(&l, KVMOD_APIC_IRR, m.vector));
				CHECK(vec_set(&l, KVMOD_APIC_TMR, m.vector) ==
				      m.level);
			}
			break;
		case 5:		/* the CPU takes an interrupt */
			p = kvmod_lapic_pending(&l);
			r = kvmod_lapic_ack(&l);
			CHECK(r == p);
			if (r >= 0) {
				CHECK(vec_set(&l, KVMOD_APIC_ISR, r));
				CHECK(reg(&l, KVMOD_APIC_PPR) ==
				      ((u32)r & 0xf0));
			}
			break;
		case 6:		/* IA32_APIC_BASE */
			c = take(&in, 1);
			v = bases[c % KVMOD_ARRAY_SIZE(bases)];
			if (c & 0x80)
				v = take(&in, 8);
			r = kvmod_lapic_set_base(&l, v, c & 0x40, c & 0x20,
						 36 + (c & 0xf), &fx);
			if (!r)
				CHECK(l.apic_base == v);
			break;
		case 7:		/* KVM_SET_LAPIC of a patched page */
			kvmod_lapic_get_state(&l, &s, now);
			n = take(&in, 1) % 8;
			for (i = 0; i < n; i++) {
				u32 w = take(&in, 4);

				off = (take(&in, 1) << 4) & 0x3f0;
				memcpy(s.regs + off, &w, 4);
			}
			r = kvmod_lapic_set_state(&l, &s, now, &fx);
			CHECK(r == 0 || r == -1);
			if (!r && n)
				tainted = true;
			break;
		case 8:		/* time passes; the timer fires */
			now += take(&in, 3) * (take(&in, 1) % 64 + 1);
			for (i = 0; i < 4; i++) {
				if (kvmod_lapic_timer_next(&l, &exp)) {
					if (exp > now)
						break;
					kvmod_lapic_timer_expired(&l, now);
					if (kvmod_lapic_timer_next(&l, &exp))
						CHECK(exp >= now);
				}
			}
			if (kvmod_lapic_timer_tsc_deadline(&l, &tsc) &&
			    (take(&in, 1) & 1)) {
				kvmod_lapic_timer_expired(&l, now);
				CHECK(kvmod_lapic_get_tsc_deadline(&l) == 0);
			}
			break;
		case 9:		/* IA32_TSC_DEADLINE */
			kvmod_lapic_set_tsc_deadline(&l, take(&in, 2), &fx);
			break;
		case 10:	/* an LVT input */
			r = kvmod_lapic_local_deliver(&l, take(&in, 1) % 8);
			CHECK(r >= -1 && r <= 7);
			break;
		case 11:	/* CR8 */
			kvmod_lapic_set_cr8(&l, take(&in, 1));
			CHECK(kvmod_lapic_get_cr8(&l) ==
			      (reg(&l, KVMOD_APIC_TPR) >> 4));
			break;
		case 12:	/* EOI */
			if (kvmod_lapic_x2apic_mode(&l))
				kvmod_lapic_wrmsr(&l, 0x80b, 0, now, &fx);
			else
				kvmod_lapic_write(&l, KVMOD_APIC_EOI, 0, now,
						  &fx);
			after_write(&l, &fx, tainted);
			break;
		case 13:	/* INIT, rarely RESET */
			c = take(&in, 1);
			if (c == 0xff) {
				kvmod_lapic_reset(&l, take(&in, 1), c & 1);
				tainted = false;
			} else if (c < 8) {
				kvmod_lapic_init_signal(&l);
				tainted = false;
			}
			break;
		case 14:	/* a useful write: enable, LVTT, TMICT, ICR */
			c = take(&in, 1);
			off = useful[c & 7];
			v = take(&in, 4);
			if (kvmod_lapic_x2apic_mode(&l))
				kvmod_lapic_wrmsr(&l, KVMOD_APIC_MSR_BASE +
						  (off >> 4), v, now, &fx);
			else
				kvmod_lapic_write(&l, off, v, now, &fx);
			after_write(&l, &fx, tainted);
			break;
		default:	/* a destination question */
			memset(&m, 0, sizeof(m));
			m.dest = take(&in, 4);
			c = take(&in, 1);
			m.logical = c & 1;
			m.shorthand = (c >> 1) & 3;
			kvmod_lapic_match_dest(&l, &m, (c & 8) ? &l : NULL);
			kvmod_lapic_lvt(&l, c >> 4);
			kvmod_lapic_arb_prio(&l);
			if (kvmod_lapic_accepts_pic_intr(&l))
				CHECK(!kvmod_lapic_hw_enabled(&l) ||
				      !(kvmod_lapic_lvt(&l, KVMOD_LVT_LINT0) &
					KVMOD_APIC_LVT_MASKED));
			if (c & 0x10)
				kvmod_lapic_read(&l, m.dest & 0xfff, now);
			if (c == 0xff) {
				struct kvmod_lapic_config cfg = l.cfg;

				cfg.cmci = !cfg.cmci;
				kvmod_lapic_set_config(&l, &cfg);
			}
			break;
		}
		check(&l, tainted);
	}
	round_trip(&l, now);
	return 0;
}
