// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's register logic, interrupt acceptance and priority,
 * IPIs, destination matching and timer arithmetic (see lapic.h).
 *
 * The register page is kept exactly as KVM_GET/SET_LAPIC exchange it:
 * IRR, ISR and TMR live in it as eight 32-bit words every 0x10 bytes,
 * PPR is recomputed whenever TPR or ISR change, and the ICR is kept split
 * (low half at 0x300, high half at 0x310) in both modes.
 *
 * Differences from KVM, by design: an illegal vector (0-15) in a fixed or
 * lowest-priority IPI sets the sender's ESR "send illegal vector" and is
 * not sent, one arriving (or signalled by an LVT) sets "receive illegal
 * vector" and is dropped, and such errors signal the error LVT; writing
 * ESR latches the errors seen since the previous write. KVM sets no ESR
 * bits and delivers such vectors. Timer expiries are delivered at once
 * rather than counted as pending for the next entry.
 */
#include "pure_types.h"
#include "irq_msg.h"
#include "lapic.h"

#include <linux/kvm.h>

#define S64_MAX_NS		((s64)(~0ULL >> 1))

#define LVT_MASK_BASIC		(KVMOD_APIC_LVT_MASKED | \
				 KVMOD_APIC_LVT_PENDING | \
				 KVMOD_APIC_LVT_VECTOR)
#define LVT_MODE_BITS		(7u << KVMOD_APIC_LVT_MODE_SHIFT)
#define LVT_MASK_MODE		(LVT_MASK_BASIC | LVT_MODE_BITS)
#define LVT_MASK_LINT		(LVT_MASK_MODE | KVMOD_APIC_LVT_POLARITY | \
				 KVMOD_APIC_LVT_REMOTE_IRR | \
				 KVMOD_APIC_LVT_LEVEL)

#define X2APIC_ICR_RESERVED	(0xfff00000ULL | BIT_ULL(17) | BIT_ULL(16) | \
				 BIT_ULL(13))

static u32 get_reg(const struct kvmod_lapic *l, u32 off)
{
	u32 v;

	__builtin_memcpy(&v, l->regs + off, sizeof(v));
	return v;
}

static void set_reg(struct kvmod_lapic *l, u32 off, u32 v)
{
	__builtin_memcpy(l->regs + off, &v, sizeof(v));
}

static u32 vec_reg(u32 base, u32 vec)
{
	return base + (vec >> 5) * 0x10;
}

static bool test_vec(const struct kvmod_lapic *l, u32 base, u32 vec)
{
	return get_reg(l, vec_reg(base, vec)) & (1u << (vec & 31));
}

static void set_vec(struct kvmod_lapic *l, u32 base, u32 vec)
{
	u32 off = vec_reg(base, vec);

	set_reg(l, off, get_reg(l, off) | (1u << (vec & 31)));
}

static void clear_vec(struct kvmod_lapic *l, u32 base, u32 vec)
{
	u32 off = vec_reg(base, vec);

	set_reg(l, off, get_reg(l, off) & ~(1u << (vec & 31)));
}

/* The highest vector set in IRR, ISR or TMR, or -1. */
static int highest_vec(const struct kvmod_lapic *l, u32 base)
{
	int i;
	u32 w;

	for (i = 7; i >= 0; i--) {
		w = get_reg(l, base + i * 0x10);
		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

static void clear_vectors(struct kvmod_lapic *l, u32 base)
{
	u32 i;

	for (i = 0; i < 8; i++)
		set_reg(l, base + i * 0x10, 0);
}

bool kvmod_lapic_hw_enabled(const struct kvmod_lapic *l)
{
	return l->apic_base & KVMOD_APIC_BASE_EN;
}

bool kvmod_lapic_sw_enabled(const struct kvmod_lapic *l)
{
	return get_reg(l, KVMOD_APIC_SVR) & KVMOD_APIC_SVR_ENABLED;
}

bool kvmod_lapic_x2apic_mode(const struct kvmod_lapic *l)
{
	return (l->apic_base & (KVMOD_APIC_BASE_EN | KVMOD_APIC_BASE_EXTD)) ==
	       (KVMOD_APIC_BASE_EN | KVMOD_APIC_BASE_EXTD);
}

static unsigned int nr_lvt(const struct kvmod_lapic *l)
{
	return l->cfg.cmci ? KVMOD_LVT_NR : KVMOD_LVT_NR - 1;
}

static u32 lvt_offset(unsigned int which)
{
	if (which == KVMOD_LVT_CMCI)
		return KVMOD_APIC_LVTCMCI;
	return KVMOD_APIC_LVTT + 0x10 * which;
}

static u32 timer_mode_mask(const struct kvmod_lapic *l)
{
	return l->cfg.tsc_deadline ? KVMOD_APIC_LVTT_MODE :
				     KVMOD_APIC_LVTT_PERIODIC;
}

/* The writable bits of an LVT. */
static u32 lvt_write_mask(const struct kvmod_lapic *l, unsigned int which)
{
	switch (which) {
	case KVMOD_LVT_TIMER:
		return LVT_MASK_BASIC | timer_mode_mask(l);
	case KVMOD_LVT_LINT0:
	case KVMOD_LVT_LINT1:
		return LVT_MASK_LINT;
	case KVMOD_LVT_ERROR:
		return LVT_MASK_BASIC;
	default:
		return LVT_MASK_MODE;
	}
}

static void set_version(struct kvmod_lapic *l)
{
	u32 v = KVMOD_APIC_VERSION | ((nr_lvt(l) - 1) << 16);

	if (l->cfg.directed_eoi)
		v |= KVMOD_APIC_LVR_DIRECTED_EOI;
	set_reg(l, KVMOD_APIC_LVR, v);
}

static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

/* ---- priority ---- */

static u32 calc_ppr(const struct kvmod_lapic *l)
{
	u32 tpr = get_reg(l, KVMOD_APIC_TPR);
	int isr = highest_vec(l, KVMOD_APIC_ISR);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		return tpr & 0xff;
	return isrv & 0xf0;
}

static void update_ppr(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx)
{
	u32 old = get_reg(l, KVMOD_APIC_PPR);
	u32 ppr = calc_ppr(l);

	set_reg(l, KVMOD_APIC_PPR, ppr);
	if (fx && ppr < old)
		fx->eval = true;
}

/* ---- errors and acceptance ---- */

/* Put @vec in IRR, TMR to @level; true if it was not pending. */
static bool set_irr(struct kvmod_lapic *l, u32 vec, bool level)
{
	bool was = test_vec(l, KVMOD_APIC_IRR, vec);

	if (level)
		set_vec(l, KVMOD_APIC_TMR, vec);
	else
		clear_vec(l, KVMOD_APIC_TMR, vec);
	set_vec(l, KVMOD_APIC_IRR, vec);
	return !was;
}

/*
 * Record an error for the next ESR write and signal the error LVT. An
 * illegal vector in the error LVT itself is only recorded.
 */
static void report_error(struct kvmod_lapic *l, u32 bits,
			 struct kvmod_lapic_effects *fx)
{
	u32 lvt = get_reg(l, KVMOD_APIC_LVTERR);
	u32 vec = lvt & KVMOD_APIC_LVT_VECTOR;

	l->esr_pending |= bits;
	if (!kvmod_lapic_hw_enabled(l) || !kvmod_lapic_sw_enabled(l) ||
	    (lvt & KVMOD_APIC_LVT_MASKED) || (lvt & LVT_MODE_BITS))
		return;
	if (vec < 16) {
		l->esr_pending |= KVMOD_APIC_ESR_RECV_ILLEGAL;
		return;
	}
	set_irr(l, vec, false);
	if (fx)
		fx->eval = true;
}

int kvmod_lapic_accept(struct kvmod_lapic *l, const struct kvmod_irq_msg *msg)
{
	if (msg->delivery_mode != KVMOD_DM_FIXED &&
	    msg->delivery_mode != KVMOD_DM_LOWEST)
		return -1;
	if (msg->delivery_mode == KVMOD_DM_LOWEST)
		l->arb_prio++;
	if (msg->level && !msg->assert)
		return -1;
	if (!kvmod_lapic_hw_enabled(l) || !kvmod_lapic_sw_enabled(l))
		return -1;
	if (msg->vector < 16) {
		report_error(l, KVMOD_APIC_ESR_RECV_ILLEGAL, NULL);
		return -1;
	}
	return set_irr(l, msg->vector, msg->level) ? 1 : 0;
}

u32 kvmod_lapic_arb_prio(const struct kvmod_lapic *l)
{
	return l->arb_prio;
}

u32 kvmod_lapic_lvt(const struct kvmod_lapic *l, unsigned int which)
{
	if (which >= nr_lvt(l))
		return KVMOD_APIC_LVT_MASKED;
	return get_reg(l, lvt_offset(which));
}

int kvmod_lapic_local_deliver(struct kvmod_lapic *l, unsigned int which)
{
	struct kvmod_irq_msg msg = { 0 };
	u32 lvt, mode;

	if (which >= nr_lvt(l) || !kvmod_lapic_hw_enabled(l))
		return -1;
	lvt = get_reg(l, lvt_offset(which));
	if (lvt & KVMOD_APIC_LVT_MASKED)
		return -1;
	mode = (lvt & LVT_MODE_BITS) >> KVMOD_APIC_LVT_MODE_SHIFT;
	if (mode == KVMOD_DM_FIXED || mode == KVMOD_DM_LOWEST) {
		msg.vector = lvt & KVMOD_APIC_LVT_VECTOR;
		msg.delivery_mode = mode;
		msg.level = lvt & KVMOD_APIC_LVT_LEVEL;
		msg.assert = true;
		if (kvmod_lapic_accept(l, &msg) < 0)
			return -1;
		mode = KVMOD_DM_FIXED;
	}
	if (which == KVMOD_LVT_PERF && l->cfg.lvtpc_auto_mask &&
	    mode != KVMOD_DM_EXTINT)
		set_reg(l, KVMOD_APIC_LVTPC, lvt | KVMOD_APIC_LVT_MASKED);
	return mode;
}

bool kvmod_lapic_accepts_pic_intr(const struct kvmod_lapic *l)
{
	u32 lvt0 = get_reg(l, KVMOD_APIC_LVT0);

	if (!kvmod_lapic_hw_enabled(l))
		return true;
	return !(lvt0 & KVMOD_APIC_LVT_MASKED) &&
	       (lvt0 & LVT_MODE_BITS) ==
	       (KVMOD_DM_EXTINT << KVMOD_APIC_LVT_MODE_SHIFT);
}

/* ---- injection ---- */

int kvmod_lapic_pending(const struct kvmod_lapic *l)
{
	int irr;

	if (!kvmod_lapic_hw_enabled(l))
		return -1;
	irr = highest_vec(l, KVMOD_APIC_IRR);
	if (irr < 0 || ((u32)irr & 0xf0) <= calc_ppr(l))
		return -1;
	return irr;
}

int kvmod_lapic_ack(struct kvmod_lapic *l)
{
	int vec = kvmod_lapic_pending(l);

	if (vec < 0)
		return -1;
	clear_vec(l, KVMOD_APIC_IRR, vec);
	set_vec(l, KVMOD_APIC_ISR, vec);
	update_ppr(l, NULL);
	return vec;
}

u32 kvmod_lapic_vapic_word(const struct kvmod_lapic *l)
{
	int isr = highest_vec(l, KVMOD_APIC_ISR);
	int irr = highest_vec(l, KVMOD_APIC_IRR);
	u32 word = get_reg(l, KVMOD_APIC_TPR) & 0xff;

	if (isr > 0)
		word |= (u32)(isr & 0xf0) << 8;
	if (irr > 0)
		word |= (u32)irr << 24;
	return word;
}

u8 kvmod_lapic_get_cr8(const struct kvmod_lapic *l)
{
	return (get_reg(l, KVMOD_APIC_TPR) & 0xf0) >> 4;
}

void kvmod_lapic_set_cr8(struct kvmod_lapic *l, u8 cr8)
{
	set_reg(l, KVMOD_APIC_TPR, (cr8 & 0xfu) << 4);
	update_ppr(l, NULL);
}

void kvmod_lapic_set_tpr(struct kvmod_lapic *l, u8 tpr,
			 struct kvmod_lapic_effects *fx)
{
	set_reg(l, KVMOD_APIC_TPR, tpr);
	update_ppr(l, fx);
}

static void set_eoi(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx)
{
	int vec = highest_vec(l, KVMOD_APIC_ISR);

	if (vec < 0)
		return;
	clear_vec(l, KVMOD_APIC_ISR, vec);
	update_ppr(l, fx);
	fx->eoi = true;
	fx->eoi_vector = vec;
	fx->eoi_level = test_vec(l, KVMOD_APIC_TMR, vec);
	fx->eoi_suppressed = get_reg(l, KVMOD_APIC_SVR) &
			     KVMOD_APIC_SVR_DIRECTED_EOI;
	fx->eval = true;
}

/**
 * kvmod_lapic_pv_eoi_vector() - may the guest end its interrupt by PV EOI?
 * @l: the APIC
 *
 * Return: the in-service vector the guest is handling, when an EOI of it
 * needs nothing beyond clearing ISR (no interrupt waits in IRR, the
 * vector is edge-triggered); otherwise -1.
 */
int kvmod_lapic_pv_eoi_vector(const struct kvmod_lapic *l)
{
	int vec = highest_vec(l, KVMOD_APIC_ISR);

	if (vec < 0 || highest_vec(l, KVMOD_APIC_IRR) >= 0 ||
	    test_vec(l, KVMOD_APIC_TMR, vec))
		return -1;
	return vec;
}

/**
 * kvmod_lapic_eoi() - an EOI the guest made without writing the register
 * @l: the APIC
 * @fx: what the EOI asks of the wiring
 */
void kvmod_lapic_eoi(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx)
{
	set_eoi(l, fx);
}

/* ---- destinations ---- */

static bool is_broadcast(const struct kvmod_lapic *l, u32 mda)
{
	return mda == (kvmod_lapic_x2apic_mode(l) ? 0xffffffffu : 0xffu);
}

static bool match_physical(const struct kvmod_lapic *l, u32 mda)
{
	if (is_broadcast(l, mda))
		return true;
	/* IDs that do not fit xAPIC match the x2APIC ID (KVM's hotplug). */
	if (kvmod_lapic_x2apic_mode(l) || mda > 0xff)
		return mda == l->vcpu_id;
	return mda == get_reg(l, KVMOD_APIC_ID) >> 24;
}

void kvmod_lapic_map_entry(const struct kvmod_lapic *l,
			   struct kvmod_apic_map_entry *e)
{
	e->enabled = kvmod_lapic_hw_enabled(l);
	e->x2apic = kvmod_lapic_x2apic_mode(l);
	e->phys_id = e->x2apic ? l->vcpu_id : get_reg(l, KVMOD_APIC_ID) >> 24;
	e->ldr = get_reg(l, KVMOD_APIC_LDR);
	e->dfr = get_reg(l, KVMOD_APIC_DFR);
}

static bool match_logical(const struct kvmod_lapic *l, u32 mda)
{
	u32 ldr = get_reg(l, KVMOD_APIC_LDR);

	if (is_broadcast(l, mda))
		return true;
	if (!kvmod_lapic_sw_enabled(l))
		return false;
	if (kvmod_lapic_x2apic_mode(l))
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	ldr >>= 24;
	switch (get_reg(l, KVMOD_APIC_DFR)) {
	case 0xffffffffu:
		return ldr & mda;
	case 0x0fffffffu:
		return (ldr >> 4) == (mda >> 4) && (ldr & mda & 0xf);
	default:
		return false;
	}
}

bool kvmod_lapic_match_dest(const struct kvmod_lapic *l,
			    const struct kvmod_irq_msg *msg,
			    const struct kvmod_lapic *source)
{
	u32 mda = msg->dest;

	if (!kvmod_lapic_hw_enabled(l))
		return false;
	switch (msg->shorthand) {
	case KVMOD_SH_SELF:
		return l == source;
	case KVMOD_SH_ALL:
		return true;
	case KVMOD_SH_OTHERS:
		return l != source;
	default:
		break;
	}
	/* KVM's quirk: 0xff from an IOAPIC/MSI is a broadcast to x2APIC. */
	if (!source && !l->cfg.no_broadcast_quirk && mda == 0xff &&
	    kvmod_lapic_x2apic_mode(l))
		mda = 0xffffffffu;
	if (msg->logical)
		return match_logical(l, mda);
	return match_physical(l, mda);
}

/* ---- IPIs ---- */

static void send_ipi(struct kvmod_lapic *l, u32 lo, u32 hi,
		     struct kvmod_lapic_effects *fx)
{
	struct kvmod_irq_msg msg = { 0 };

	msg.vector = lo & 0xff;
	msg.delivery_mode = (lo >> 8) & 7;
	msg.logical = lo & KVMOD_APIC_ICR_LOGICAL;
	msg.assert = lo & KVMOD_APIC_ICR_ASSERT;
	msg.level = lo & KVMOD_APIC_ICR_LEVEL;
	msg.shorthand = (lo >> KVMOD_APIC_ICR_SH_SHIFT) & 3;
	msg.dest = kvmod_lapic_x2apic_mode(l) ? hi : hi >> 24;
	if ((msg.delivery_mode == KVMOD_DM_FIXED ||
	     msg.delivery_mode == KVMOD_DM_LOWEST) && msg.vector < 16) {
		report_error(l, KVMOD_APIC_ESR_SEND_ILLEGAL, fx);
		return;
	}
	fx->ipi = true;
	fx->ipi_msg = msg;
}

/* ---- timer ---- */

static s64 add_ns(s64 t, s64 d)
{
	if (d > 0 && t > S64_MAX_NS - d)
		return S64_MAX_NS;
	return t + d;
}

/* Nanoseconds from @now to @target, 0 if passed. */
static u64 remaining_ns(s64 target, s64 now)
{
	if (target <= now)
		return 0;
	return (u64)target - (u64)now;
}

static s64 count_to_ns(const struct kvmod_lapic *l, u32 count)
{
	return (s64)((u64)count * l->divide);
}

static void update_divide(struct kvmod_lapic *l)
{
	u32 tdcr = get_reg(l, KVMOD_APIC_TDCR) & 0xf;
	u32 shift = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	l->divide = 1u << (shift & 7);
}

static void limit_period(struct kvmod_lapic *l)
{
	if (l->timer_mode == KVMOD_APIC_LVTT_PERIODIC && l->timer_period &&
	    l->timer_period < KVMOD_APIC_MIN_PERIOD_NS)
		l->timer_period = KVMOD_APIC_MIN_PERIOD_NS;
}

static bool mode_counts(const struct kvmod_lapic *l)
{
	return l->timer_mode == KVMOD_APIC_LVTT_ONESHOT ||
	       l->timer_mode == KVMOD_APIC_LVTT_PERIODIC;
}

static void cancel_timer(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx)
{
	l->timer_armed = KVMOD_APIC_TIMER_OFF;
	if (fx)
		fx->timer = true;
}

/* Arm the host timer for the current mode, as far as it has a target. */
static void restart_timer(struct kvmod_lapic *l,
			  struct kvmod_lapic_effects *fx)
{
	l->timer_armed = KVMOD_APIC_TIMER_OFF;
	if (mode_counts(l)) {
		if (l->timer_period)
			l->timer_armed = KVMOD_APIC_TIMER_NS;
	} else if (l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE) {
		if (l->tsc_deadline)
			l->timer_armed = KVMOD_APIC_TIMER_TSC;
	}
	if (fx)
		fx->timer = true;
}

/*
 * The period from TMICT and the first expiry: a full period, or with
 * @from_tmcct (KVM_SET_LAPIC) what TMCCT says remains.
 */
static bool set_target(struct kvmod_lapic *l, bool from_tmcct, s64 now)
{
	s64 deadline;

	l->timer_period = count_to_ns(l, get_reg(l, KVMOD_APIC_TMICT));
	if (!l->timer_period) {
		l->tsc_deadline = 0;
		return false;
	}
	limit_period(l);
	deadline = l->timer_period;
	if (from_tmcct) {
		deadline = count_to_ns(l, get_reg(l, KVMOD_APIC_TMCCT));
		if (deadline <= 0) {
			if (l->timer_mode == KVMOD_APIC_LVTT_PERIODIC)
				deadline = l->timer_period;
			else
				deadline = 0;
		} else if (deadline > l->timer_period) {
			set_reg(l, KVMOD_APIC_TMCCT, 0);
			deadline = l->timer_period;
		}
	}
	l->timer_target = add_ns(now, deadline);
	return true;
}

static void start_timer(struct kvmod_lapic *l, bool from_tmcct, s64 now,
			struct kvmod_lapic_effects *fx)
{
	if (fx)
		fx->timer = true;
	if (mode_counts(l) && !set_target(l, from_tmcct, now))
		return;
	restart_timer(l, fx);
}

/* LVTT was written: a switch to or from TSC-deadline stops the timer. */
static void update_lvtt(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx)
{
	u32 mode = get_reg(l, KVMOD_APIC_LVTT) & timer_mode_mask(l);
	bool was_tsc = l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE;
	bool is_tsc = mode == KVMOD_APIC_LVTT_TSCDEADLINE;

	if (l->timer_mode == mode)
		return;
	if (was_tsc != is_tsc) {
		cancel_timer(l, fx);
		set_reg(l, KVMOD_APIC_TMICT, 0);
		l->timer_period = 0;
		l->tsc_deadline = 0;
	}
	l->timer_mode = mode;
	limit_period(l);
}

/* A new divider: the remaining time scales with it. */
static void update_target(struct kvmod_lapic *l, u32 old_divide, s64 now)
{
	u64 rem = remaining_ns(l->timer_target, now);

	l->timer_period = count_to_ns(l, get_reg(l, KVMOD_APIC_TMICT));
	limit_period(l);
	if (rem > (1ULL << 40))
		rem = 1ULL << 40;
	rem = rem * l->divide / old_divide;
	l->timer_target = add_ns(now, (s64)rem);
}

static u32 get_tmcct(const struct kvmod_lapic *l, s64 now)
{
	u64 rem;

	if (l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE)
		return 0;
	if (!get_reg(l, KVMOD_APIC_TMICT) || l->timer_period <= 0)
		return 0;
	rem = remaining_ns(l->timer_target, now) % (u64)l->timer_period;
	return (u32)(rem / l->divide);
}

bool kvmod_lapic_timer_next(const struct kvmod_lapic *l, s64 *expires_ns)
{
	if (l->timer_armed != KVMOD_APIC_TIMER_NS)
		return false;
	*expires_ns = l->timer_target;
	return true;
}

bool kvmod_lapic_timer_tsc_deadline(const struct kvmod_lapic *l, u64 *tsc)
{
	if (l->timer_armed != KVMOD_APIC_TIMER_TSC)
		return false;
	*tsc = l->tsc_deadline;
	return true;
}

int kvmod_lapic_timer_expired(struct kvmod_lapic *l, s64 now)
{
	int r;

	if (l->timer_armed == KVMOD_APIC_TIMER_OFF)
		return -1;
	r = kvmod_lapic_local_deliver(l, KVMOD_LVT_TIMER);
	if (l->timer_armed == KVMOD_APIC_TIMER_NS &&
	    l->timer_mode == KVMOD_APIC_LVTT_PERIODIC && l->timer_period > 0) {
		l->timer_target = add_ns(l->timer_target, l->timer_period);
		if (l->timer_target < now)
			l->timer_target = now;
		return r;
	}
	l->timer_armed = KVMOD_APIC_TIMER_OFF;
	if (l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE) {
		l->tsc_deadline = 0;
	} else if (l->timer_mode == KVMOD_APIC_LVTT_ONESHOT) {
		l->tsc_deadline = 0;
		l->timer_target = 0;
	}
	return r;
}

u64 kvmod_lapic_get_tsc_deadline(const struct kvmod_lapic *l)
{
	if (!kvmod_lapic_hw_enabled(l) ||
	    l->timer_mode != KVMOD_APIC_LVTT_TSCDEADLINE)
		return 0;
	return l->tsc_deadline;
}

void kvmod_lapic_set_tsc_deadline(struct kvmod_lapic *l, u64 tsc,
				  struct kvmod_lapic_effects *fx)
{
	if (!kvmod_lapic_hw_enabled(l) ||
	    l->timer_mode != KVMOD_APIC_LVTT_TSCDEADLINE)
		return;
	cancel_timer(l, fx);
	l->tsc_deadline = tsc;
	start_timer(l, false, 0, fx);
}

/* ---- register access ---- */

static u64 reg_bit(u32 reg)
{
	return 1ULL << (reg >> 4);
}

static u64 reg_range(u32 first, u32 count)
{
	return reg_bit(first) * ((1ULL << count) - 1);
}

/* Whether @reg (16-byte aligned) reads in the current mode. */
static bool reg_readable(const struct kvmod_lapic *l, u32 reg)
{
	u64 valid = reg_bit(KVMOD_APIC_ID) | reg_bit(KVMOD_APIC_LVR) |
		    reg_bit(KVMOD_APIC_TPR) | reg_bit(KVMOD_APIC_PPR) |
		    reg_bit(KVMOD_APIC_LDR) | reg_bit(KVMOD_APIC_DFR) |
		    reg_bit(KVMOD_APIC_SVR) |
		    reg_range(KVMOD_APIC_ISR, 8) |
		    reg_range(KVMOD_APIC_TMR, 8) |
		    reg_range(KVMOD_APIC_IRR, 8) |
		    reg_bit(KVMOD_APIC_ESR) | reg_bit(KVMOD_APIC_ICR) |
		    reg_bit(KVMOD_APIC_LVTT) | reg_bit(KVMOD_APIC_LVTTHMR) |
		    reg_bit(KVMOD_APIC_LVTPC) | reg_bit(KVMOD_APIC_LVT0) |
		    reg_bit(KVMOD_APIC_LVT1) | reg_bit(KVMOD_APIC_LVTERR) |
		    reg_bit(KVMOD_APIC_TMICT) | reg_bit(KVMOD_APIC_TMCCT) |
		    reg_bit(KVMOD_APIC_TDCR);

	if (nr_lvt(l) > KVMOD_LVT_CMCI)
		valid |= reg_bit(KVMOD_APIC_LVTCMCI);
	if (!kvmod_lapic_x2apic_mode(l))
		valid |= reg_bit(KVMOD_APIC_APR) | reg_bit(KVMOD_APIC_ICR2);
	if (reg > 0x3f0 || (reg & 0xf))
		return false;
	return valid & reg_bit(reg);
}

static u32 reg_read(struct kvmod_lapic *l, u32 reg, s64 now)
{
	switch (reg) {
	case KVMOD_APIC_APR:
		return 0;
	case KVMOD_APIC_TMCCT:
		return get_tmcct(l, now);
	case KVMOD_APIC_PPR:
		update_ppr(l, NULL);
		return get_reg(l, KVMOD_APIC_PPR);
	default:
		return get_reg(l, reg);
	}
}

static void set_svr(struct kvmod_lapic *l, u32 val,
		    struct kvmod_lapic_effects *fx)
{
	if ((val ^ get_reg(l, KVMOD_APIC_SVR)) & KVMOD_APIC_SVR_ENABLED)
		fx->map = true;
	set_reg(l, KVMOD_APIC_SVR, val);
	fx->lvt = true;
}

static int write_lvt(struct kvmod_lapic *l, unsigned int which, u32 val,
		     struct kvmod_lapic_effects *fx)
{
	if (which >= nr_lvt(l))
		return 1;
	if (!kvmod_lapic_sw_enabled(l))
		val |= KVMOD_APIC_LVT_MASKED;
	set_reg(l, lvt_offset(which), val & lvt_write_mask(l, which));
	fx->lvt = true;
	if (which == KVMOD_LVT_TIMER)
		update_lvtt(l, fx);
	return 0;
}

/* A register write in either mode; 1 where x2APIC raises #GP. */
static int reg_write(struct kvmod_lapic *l, u32 reg, u32 val, s64 now,
		     struct kvmod_lapic_effects *fx)
{
	bool x2 = kvmod_lapic_x2apic_mode(l);
	u32 mask, old, i;

	switch (reg) {
	case KVMOD_APIC_ID:
		if (x2)
			return 1;
		set_reg(l, KVMOD_APIC_ID, val & 0xff000000u);
		fx->map = true;
		return 0;
	case KVMOD_APIC_TPR:
		set_reg(l, KVMOD_APIC_TPR, val & 0xff);
		update_ppr(l, fx);
		return 0;
	case KVMOD_APIC_EOI:
		set_eoi(l, fx);
		return 0;
	case KVMOD_APIC_LDR:
		if (x2)
			return 1;
		set_reg(l, KVMOD_APIC_LDR, val & 0xff000000u);
		fx->map = true;
		return 0;
	case KVMOD_APIC_DFR:
		if (x2)
			return 1;
		set_reg(l, KVMOD_APIC_DFR, val | 0x0fffffffu);
		fx->map = true;
		return 0;
	case KVMOD_APIC_SVR:
		mask = 0x3ff;
		if (get_reg(l, KVMOD_APIC_LVR) & KVMOD_APIC_LVR_DIRECTED_EOI)
			mask |= KVMOD_APIC_SVR_DIRECTED_EOI;
		set_svr(l, val & mask, fx);
		if (!(val & KVMOD_APIC_SVR_ENABLED)) {
			for (i = 0; i < nr_lvt(l); i++)
				set_reg(l, lvt_offset(i),
					get_reg(l, lvt_offset(i)) |
					KVMOD_APIC_LVT_MASKED);
			update_lvtt(l, fx);
		}
		return 0;
	case KVMOD_APIC_ICR:
		/* x2APIC's 64-bit ICR is kvmod_lapic_wrmsr()'s. */
		val &= ~KVMOD_APIC_ICR_BUSY;
		send_ipi(l, val, get_reg(l, KVMOD_APIC_ICR2), fx);
		set_reg(l, KVMOD_APIC_ICR, val);
		return 0;
	case KVMOD_APIC_ICR2:
		if (x2)
			return 1;
		set_reg(l, KVMOD_APIC_ICR2, val & 0xff000000u);
		return 0;
	case KVMOD_APIC_LVTT:
	case KVMOD_APIC_LVTTHMR:
	case KVMOD_APIC_LVTPC:
	case KVMOD_APIC_LVT0:
	case KVMOD_APIC_LVT1:
	case KVMOD_APIC_LVTERR:
		return write_lvt(l, (reg - KVMOD_APIC_LVTT) >> 4, val, fx);
	case KVMOD_APIC_LVTCMCI:
		return write_lvt(l, KVMOD_LVT_CMCI, val, fx);
	case KVMOD_APIC_TMICT:
		if (l->timer_mode == KVMOD_APIC_LVTT_TSCDEADLINE)
			return 0;
		cancel_timer(l, fx);
		set_reg(l, KVMOD_APIC_TMICT, val);
		start_timer(l, false, now, fx);
		return 0;
	case KVMOD_APIC_TDCR:
		old = l->divide;
		set_reg(l, KVMOD_APIC_TDCR, val & 0xb);
		update_divide(l);
		if (l->divide != old && l->timer_period) {
			cancel_timer(l, fx);
			update_target(l, old, now);
			restart_timer(l, fx);
		}
		return 0;
	case KVMOD_APIC_ESR:
		if (x2 && val)
			return 1;
		set_reg(l, KVMOD_APIC_ESR, l->esr_pending);
		l->esr_pending = 0;
		return 0;
	case KVMOD_APIC_SELF_IPI:
		if (!x2 || (val & ~0xffu))
			return 1;
		fx->ipi = true;
		__builtin_memset(&fx->ipi_msg, 0, sizeof(fx->ipi_msg));
		fx->ipi_msg.vector = val;
		fx->ipi_msg.delivery_mode = KVMOD_DM_FIXED;
		fx->ipi_msg.shorthand = KVMOD_SH_SELF;
		return 0;
	default:
		return 1;
	}
}

void kvmod_lapic_mmio_read(struct kvmod_lapic *l, u32 offset, u32 len,
			   void *data, s64 now)
{
	u8 *out = data;
	u32 align = offset & 0xf;
	u32 i, v;

	if (!kvmod_lapic_hw_enabled(l) || kvmod_lapic_x2apic_mode(l)) {
		__builtin_memset(out, 0xff, len);
		return;
	}
	__builtin_memset(out, 0, len);
	if (len != 1 && len != 2 && len != 4)
		return;
	if (offset >= 0x1000 || align + len > 4)
		return;
	if (!reg_readable(l, offset - align))
		return;
	v = reg_read(l, offset - align, now);
	for (i = 0; i < len; i++)
		out[i] = v >> (8 * (align + i));
}

void kvmod_lapic_mmio_write(struct kvmod_lapic *l, u32 offset, u32 len,
			    const void *data, s64 now,
			    struct kvmod_lapic_effects *fx)
{
	u32 val;

	if (!kvmod_lapic_hw_enabled(l) || kvmod_lapic_x2apic_mode(l))
		return;
	if (len != 4 || (offset & 0xf) || offset >= 0x1000)
		return;
	__builtin_memcpy(&val, data, sizeof(val));
	reg_write(l, offset, val, now, fx);
}

u32 kvmod_lapic_read(struct kvmod_lapic *l, u32 offset, s64 now)
{
	u32 v;

	kvmod_lapic_mmio_read(l, offset, sizeof(v), &v, now);
	return v;
}

void kvmod_lapic_write(struct kvmod_lapic *l, u32 offset, u32 val, s64 now,
		       struct kvmod_lapic_effects *fx)
{
	kvmod_lapic_mmio_write(l, offset, sizeof(val), &val, now, fx);
}

int kvmod_lapic_rdmsr(struct kvmod_lapic *l, u32 msr, u64 *val, s64 now)
{
	u32 reg;

	if (msr < KVMOD_APIC_MSR_BASE || msr > KVMOD_APIC_MSR_LAST ||
	    !kvmod_lapic_x2apic_mode(l))
		return -1;
	reg = (msr - KVMOD_APIC_MSR_BASE) << 4;
	if (reg == KVMOD_APIC_DFR)
		return -1;
	if (reg == KVMOD_APIC_ICR) {
		*val = get_reg(l, KVMOD_APIC_ICR) |
		       (u64)get_reg(l, KVMOD_APIC_ICR2) << 32;
		return 0;
	}
	if (!reg_readable(l, reg))
		return -1;
	*val = reg_read(l, reg, now);
	return 0;
}

int kvmod_lapic_wrmsr(struct kvmod_lapic *l, u32 msr, u64 val, s64 now,
		      struct kvmod_lapic_effects *fx)
{
	u32 reg;

	if (msr < KVMOD_APIC_MSR_BASE || msr > KVMOD_APIC_MSR_LAST ||
	    !kvmod_lapic_x2apic_mode(l))
		return -1;
	reg = (msr - KVMOD_APIC_MSR_BASE) << 4;
	if (reg == KVMOD_APIC_ICR) {
		if (val & X2APIC_ICR_RESERVED)
			return -1;
		val &= ~(u64)KVMOD_APIC_ICR_BUSY;
		send_ipi(l, (u32)val, (u32)(val >> 32), fx);
		set_reg(l, KVMOD_APIC_ICR, (u32)val);
		set_reg(l, KVMOD_APIC_ICR2, (u32)(val >> 32));
		return 0;
	}
	if (val >> 32)
		return -1;
	return reg_write(l, reg, (u32)val, now, fx) ? -1 : 0;
}

/* ---- APIC base, reset, config ---- */

int kvmod_lapic_set_base(struct kvmod_lapic *l, u64 value, bool host,
			 bool x2apic_allowed, u8 maxphyaddr,
			 struct kvmod_lapic_effects *fx)
{
	const u64 mode_bits = KVMOD_APIC_BASE_EN | KVMOD_APIC_BASE_EXTD;
	u64 old = l->apic_base;
	u64 rsvd = 0x2ff;

	if (!x2apic_allowed)
		rsvd |= KVMOD_APIC_BASE_EXTD;
	if (maxphyaddr < 64)
		rsvd |= ~0ULL << maxphyaddr;
	if ((value & rsvd) || (value & mode_bits) == KVMOD_APIC_BASE_EXTD)
		return -1;
	if (!host) {
		if ((old & mode_bits) == mode_bits &&
		    (value & mode_bits) == KVMOD_APIC_BASE_EN)
			return -1;
		if (!(old & mode_bits) && (value & mode_bits) == mode_bits)
			return -1;
	}
	l->apic_base = value;
	if (((old ^ value) & KVMOD_APIC_BASE_EN) &&
	    (value & KVMOD_APIC_BASE_EN))
		set_reg(l, KVMOD_APIC_ID, (l->vcpu_id & 0xff) << 24);
	if (((old ^ value) & KVMOD_APIC_BASE_EXTD) &&
	    (value & KVMOD_APIC_BASE_EXTD)) {
		set_reg(l, KVMOD_APIC_ID, l->vcpu_id);
		set_reg(l, KVMOD_APIC_LDR, x2apic_ldr(l->vcpu_id));
	}
	if ((old ^ value) & mode_bits) {
		fx->mode = true;
		fx->map = true;
	}
	return 0;
}

/* What RESET and INIT both do. */
static void reset_common(struct kvmod_lapic *l)
{
	unsigned int i;

	l->timer_armed = KVMOD_APIC_TIMER_OFF;
	set_version(l);
	for (i = 0; i < nr_lvt(l); i++)
		set_reg(l, lvt_offset(i), KVMOD_APIC_LVT_MASKED);
	update_lvtt(l, NULL);
	if (l->reset_bsp && !l->cfg.no_lint0_quirk)
		set_reg(l, KVMOD_APIC_LVT0,
			KVMOD_DM_EXTINT << KVMOD_APIC_LVT_MODE_SHIFT);
	set_reg(l, KVMOD_APIC_DFR, 0xffffffffu);
	set_reg(l, KVMOD_APIC_SVR, 0xff);
	set_reg(l, KVMOD_APIC_TPR, 0);
	if (!kvmod_lapic_x2apic_mode(l))
		set_reg(l, KVMOD_APIC_LDR, 0);
	set_reg(l, KVMOD_APIC_ESR, 0);
	l->esr_pending = 0;
	set_reg(l, KVMOD_APIC_ICR, 0);
	set_reg(l, KVMOD_APIC_ICR2, 0);
	set_reg(l, KVMOD_APIC_TDCR, 0);
	set_reg(l, KVMOD_APIC_TMICT, 0);
	clear_vectors(l, KVMOD_APIC_IRR);
	clear_vectors(l, KVMOD_APIC_ISR);
	clear_vectors(l, KVMOD_APIC_TMR);
	update_divide(l);
	update_ppr(l, NULL);
	l->arb_prio = 0;
}

void kvmod_lapic_reset(struct kvmod_lapic *l, u32 vcpu_id, bool bsp)
{
	struct kvmod_lapic_config cfg = l->cfg;

	__builtin_memset(l, 0, sizeof(*l));
	l->cfg = cfg;
	l->vcpu_id = vcpu_id;
	l->reset_bsp = bsp;
	l->apic_base = KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN;
	if (bsp)
		l->apic_base |= KVMOD_APIC_BASE_BSP;
	set_reg(l, KVMOD_APIC_ID, (vcpu_id & 0xff) << 24);
	reset_common(l);
}

void kvmod_lapic_init_signal(struct kvmod_lapic *l)
{
	reset_common(l);
}

void kvmod_lapic_set_config(struct kvmod_lapic *l,
			    const struct kvmod_lapic_config *cfg)
{
	unsigned int old_nr = nr_lvt(l);
	unsigned int i;

	l->cfg = *cfg;
	for (i = old_nr; i < nr_lvt(l); i++)
		set_reg(l, lvt_offset(i), KVMOD_APIC_LVT_MASKED);
	set_version(l);
}

/* ---- KVM_GET/SET_LAPIC ---- */

void kvmod_lapic_get_state(const struct kvmod_lapic *l,
			   struct kvm_lapic_state *s, s64 now)
{
	u32 v;

	__builtin_memcpy(s->regs, l->regs, KVMOD_APIC_REG_SIZE);
	v = get_tmcct(l, now);
	__builtin_memcpy(s->regs + KVMOD_APIC_TMCCT, &v, sizeof(v));
	if (kvmod_lapic_x2apic_mode(l) && !l->cfg.x2apic_format) {
		v = get_reg(l, KVMOD_APIC_ID) << 24;
		__builtin_memcpy(s->regs + KVMOD_APIC_ID, &v, sizeof(v));
	}
}

int kvmod_lapic_set_state(struct kvmod_lapic *l,
			  const struct kvm_lapic_state *s, s64 now,
			  struct kvmod_lapic_effects *fx)
{
	bool x2 = kvmod_lapic_x2apic_mode(l);
	u32 id, v;

	__builtin_memcpy(&v, s->regs + KVMOD_APIC_SVR, sizeof(v));
	set_svr(l, v, fx);
	__builtin_memcpy(&id, s->regs + KVMOD_APIC_ID, sizeof(id));
	if (x2) {
		if (l->cfg.x2apic_format) {
			if (id != l->vcpu_id)
				return -1;
		} else {
			id >>= 24;
		}
	}
	__builtin_memcpy(l->regs, s->regs, KVMOD_APIC_REG_SIZE);
	if (x2) {
		set_reg(l, KVMOD_APIC_ID, id);
		set_reg(l, KVMOD_APIC_LDR, x2apic_ldr(id));
	}
	set_version(l);
	update_ppr(l, NULL);
	cancel_timer(l, fx);
	update_lvtt(l, fx);
	update_divide(l);
	start_timer(l, true, now, fx);
	set_reg(l, KVMOD_APIC_TMCCT, 0);
	l->esr_pending = 0;
	l->arb_prio = 0;
	fx->eval = true;
	fx->lvt = true;
	fx->map = true;
	return 0;
}
