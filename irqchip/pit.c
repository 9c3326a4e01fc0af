// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT and port 0x61 with in-tree KVM's behaviour (see pit.h).
 *
 * Counting: a counter has run for d = floor(t * 1193182 / 10^9) ticks,
 * t being the ns since its count was loaded (channels 1 and 2) or the
 * ns into the current period of the IRQ0 timer (channel 0). The timer
 * of a count N lasts floor(N * 10^9 / 1193182) ns.
 */
#include "pit.h"

#define NSEC_PER_SEC_U64	1000000000ULL

/* Control word (port 0x43) */
#define PIT_SEL_SHIFT		6
#define PIT_SEL_READBACK	3
#define PIT_ACCESS_SHIFT	4
#define PIT_ACCESS_LATCH	0
#define PIT_RB_NO_COUNT		0x20	/* read-back: do not latch count */
#define PIT_RB_NO_STATUS	0x10	/* read-back: do not latch status */

/* Port 0x61 */
#define PIT_PORT61_GATE2	0x01
#define PIT_PORT61_DATA		0x02
#define PIT_PORT61_REFRESH	0x10
#define PIT_PORT61_OUT2		0x20
#define PIT_REFRESH_SHIFT	14	/* toggles every 2^14 ns (~15 us) */

/* floor(ns * KVMOD_PIT_FREQ / 10^9) without a 128-bit product. */
static u64 pit_ns_to_ticks(u64 ns)
{
	return ns / NSEC_PER_SEC_U64 * KVMOD_PIT_FREQ +
	       ns % NSEC_PER_SEC_U64 * KVMOD_PIT_FREQ / NSEC_PER_SEC_U64;
}

/* floor(ticks * 10^9 / KVMOD_PIT_FREQ); ticks < 2^32 */
static u64 pit_ticks_to_ns(u32 ticks)
{
	return (u64)ticks * NSEC_PER_SEC_U64 / KVMOD_PIT_FREQ;
}

/* a - b and a + b for s64 times, wrapping instead of overflowing */
static s64 pit_sub(s64 a, s64 b)
{
	return (s64)((u64)a - (u64)b);
}

static s64 pit_add(s64 a, s64 b)
{
	return (s64)((u64)a + (u64)b);
}

/* The count as a divisor: 0 can only come from a corrupted state. */
static u32 pit_divisor(const struct kvmod_pit_channel *c)
{
	return c->count ? c->count : 0x10000;
}

/*
 * The timer's pending expiry at @now: a periodic timer that is running
 * has moved on by whole periods (a tick at exactly @now has happened).
 */
static s64 pit_irq0_next(const struct kvmod_pit *pit, s64 now)
{
	s64 late = pit_sub(now, pit->irq0_expires);

	if (!pit->irq0_armed || !pit->irq0_periodic || pit->irq0_period <= 0 ||
	    late < 0)
		return pit->irq0_expires;
	return pit_add(now, pit->irq0_period -
			    (s64)((u64)late % (u64)pit->irq0_period));
}

/* ns the counter has been running for, as KVM measures it */
static s64 pit_elapsed(const struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	if (ch)
		return pit_sub(now, pit->ch[ch].count_load_time);
	if (!pit->irq0_period)
		return 0;
	/* the period minus what remains of it */
	return pit_sub(pit->irq0_period,
		       pit_sub(pit_irq0_next(pit, now), now));
}

static u64 pit_ticks(const struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	return pit_ns_to_ticks((u64)pit_elapsed(pit, ch, now));
}

static u32 pit_get_count(const struct kvmod_pit *pit, unsigned int ch,
			 s64 now)
{
	const struct kvmod_pit_channel *c = &pit->ch[ch];
	u64 d = pit_ticks(pit, ch, now);
	u32 n = pit_divisor(c);

	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		/* wraps to 0xffff after reaching 0 */
		return (u32)(n - d) & 0xffff;
	case 3:
		/* counts down by two, twice per period */
		return n - (u32)(2 * d % n);
	default:
		return n - (u32)(d % n);
	}
}

static bool pit_get_out(const struct kvmod_pit *pit, unsigned int ch,
			s64 now)
{
	const struct kvmod_pit_channel *c = &pit->ch[ch];
	u64 d = pit_ticks(pit, ch, now);
	u32 n = pit_divisor(c);

	switch (c->mode) {
	case 1:
		return d < n;
	case 2:
		return d != 0 && d % n == 0;
	case 3:
		return d % n < (u32)(n + 1) >> 1;
	case 4:
	case 5:
		return d == n;
	default:
		/* mode 0, and modes no control word can set */
		return d >= n;
	}
}

/* Start channel 0's IRQ0 timer for a count of @val. */
static bool pit_irq0_start(struct kvmod_pit *pit, u32 val, bool periodic,
			   s64 now)
{
	s64 interval;

	if (pit->flags & KVM_PIT_FLAGS_HPET_LEGACY)
		return false;
	interval = (s64)pit_ticks_to_ns(val);
	pit->irq0_period = interval;
	pit->irq0_periodic = periodic;
	if (periodic && pit->irq0_period < pit->min_period)
		pit->irq0_period = pit->min_period;
	/* the first tick comes after the unclamped interval */
	pit->irq0_expires = pit_add(now, interval);
	pit->irq0_armed = true;
	return true;
}

static bool pit_irq0_stop(struct kvmod_pit *pit, s64 now)
{
	if (pit->irq0_armed) {
		pit->irq0_expires = pit_irq0_next(pit, now);
		pit->irq0_armed = false;
	}
	return true;
}

/*
 * Load a new count; for channel 0 (re)start or stop the IRQ0 timer as
 * the mode says (mode 0xff when HPET legacy mode starts: stop). Returns
 * true if the timer changed.
 */
static bool pit_load_count(struct kvmod_pit *pit, unsigned int ch, u32 val,
			   s64 now, bool hpet_start)
{
	u8 mode;

	if (!val)
		val = 0x10000;
	pit->ch[ch].count = val;
	if (ch) {
		pit->ch[ch].count_load_time = now;
		return false;
	}
	mode = hpet_start ? 0xff : pit->ch[0].mode;
	switch (mode) {
	case 0:
	case 1:
	case 4:
		return pit_irq0_start(pit, val, false, now);
	case 2:
	case 3:
		return pit_irq0_start(pit, val, true, now);
	default:
		/* mode 5 included: no IRQ0 ticks */
		return pit_irq0_stop(pit, now);
	}
}

static void pit_set_gate(struct kvmod_pit *pit, unsigned int ch, u8 val,
			 s64 now)
{
	struct kvmod_pit_channel *c = &pit->ch[ch];

	switch (c->mode) {
	case 1:
	case 2:
	case 3:
	case 5:
		/* a rising edge restarts the count */
		if (c->gate < val)
			c->count_load_time = now;
		break;
	default:
		/* modes 0 and 4 would pause; KVM keeps counting */
		break;
	}
	c->gate = val;
}

static void pit_latch_count(struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	struct kvmod_pit_channel *c = &pit->ch[ch];

	if (c->count_latched)
		return;
	c->latched_count = (u16)pit_get_count(pit, ch, now);
	c->count_latched = c->rw_mode;
}

static void pit_latch_status(struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	struct kvmod_pit_channel *c = &pit->ch[ch];

	if (c->status_latched)
		return;
	/* OUT, null count (always 0), access, mode, BCD */
	c->status = (u8)((pit_get_out(pit, ch, now) << 7) | (c->rw_mode << 4) |
			 (c->mode << 1) | c->bcd);
	c->status_latched = 1;
}

static void pit_write_control(struct kvmod_pit *pit, u8 val, s64 now)
{
	unsigned int sel = val >> PIT_SEL_SHIFT, access, ch;
	struct kvmod_pit_channel *c;

	if (sel == PIT_SEL_READBACK) {
		for (ch = 0; ch < 3; ch++) {
			if (!(val & (2u << ch)))
				continue;
			if (!(val & PIT_RB_NO_COUNT))
				pit_latch_count(pit, ch, now);
			if (!(val & PIT_RB_NO_STATUS))
				pit_latch_status(pit, ch, now);
		}
		return;
	}
	c = &pit->ch[sel];
	access = (val >> PIT_ACCESS_SHIFT) & 3;
	if (access == PIT_ACCESS_LATCH) {
		pit_latch_count(pit, sel, now);
		return;
	}
	c->rw_mode = access;
	c->read_state = access;
	c->write_state = access;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
}

static bool pit_write_count(struct kvmod_pit *pit, unsigned int ch, u8 val,
			    s64 now)
{
	struct kvmod_pit_channel *c = &pit->ch[ch];

	switch (c->write_state) {
	case KVMOD_PIT_RW_MSB:
		return pit_load_count(pit, ch, (u32)val << 8, now, false);
	case KVMOD_PIT_RW_WORD0:
		c->write_latch = val;
		c->write_state = KVMOD_PIT_RW_WORD1;
		return false;
	case KVMOD_PIT_RW_WORD1:
		c->write_state = KVMOD_PIT_RW_WORD0;
		return pit_load_count(pit, ch, c->write_latch | (u32)val << 8,
				      now, false);
	default:
		/* KVMOD_PIT_RW_LSB, and 0 before any control word */
		return pit_load_count(pit, ch, val, now, false);
	}
}

bool kvmod_pit_write(struct kvmod_pit *pit, u16 port, u8 val, s64 now)
{
	switch (port) {
	case 0x40:
	case 0x41:
	case 0x42:
		return pit_write_count(pit, port - 0x40, val, now);
	case 0x43:
		pit_write_control(pit, val, now);
		return false;
	case 0x61:
		if (val & PIT_PORT61_DATA)
			pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
		else
			pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
		pit_set_gate(pit, 2, val & PIT_PORT61_GATE2, now);
		return false;
	default:
		return false;
	}
}

static u8 pit_read_counter(struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	struct kvmod_pit_channel *c = &pit->ch[ch];

	if (c->status_latched) {
		c->status_latched = 0;
		return c->status;
	}
	if (c->count_latched) {
		switch (c->count_latched) {
		case KVMOD_PIT_RW_MSB:
			c->count_latched = 0;
			return c->latched_count >> 8;
		case KVMOD_PIT_RW_WORD0:
			c->count_latched = KVMOD_PIT_RW_MSB;
			return c->latched_count & 0xff;
		default:
			c->count_latched = 0;
			return c->latched_count & 0xff;
		}
	}
	switch (c->read_state) {
	case KVMOD_PIT_RW_MSB:
		return (pit_get_count(pit, ch, now) >> 8) & 0xff;
	case KVMOD_PIT_RW_WORD0:
		c->read_state = KVMOD_PIT_RW_WORD1;
		return pit_get_count(pit, ch, now) & 0xff;
	case KVMOD_PIT_RW_WORD1:
		c->read_state = KVMOD_PIT_RW_WORD0;
		return (pit_get_count(pit, ch, now) >> 8) & 0xff;
	default:
		return pit_get_count(pit, ch, now) & 0xff;
	}
}

u8 kvmod_pit_read(struct kvmod_pit *pit, u16 port, s64 now)
{
	unsigned int val;

	switch (port) {
	case 0x40:
	case 0x41:
	case 0x42:
		return pit_read_counter(pit, port - 0x40, now);
	case 0x61:
		/* gate is a restored byte: KVM ORs it in as it is */
		val = pit->ch[2].gate;
		if (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON)
			val |= PIT_PORT61_DATA;
		if (((u32)now >> PIT_REFRESH_SHIFT) & 1)
			val |= PIT_PORT61_REFRESH;
		if (pit_get_out(pit, 2, now))
			val |= PIT_PORT61_OUT2;
		return (u8)val;
	default:
		return 0xff;
	}
}

void kvmod_pit_reset(struct kvmod_pit *pit, s64 now)
{
	unsigned int i;

	__builtin_memset(pit, 0, sizeof(*pit));
	pit->min_period = KVMOD_PIT_MIN_PERIOD_NS;
	for (i = 0; i < 3; i++) {
		pit->ch[i].mode = 0xff;
		pit->ch[i].gate = i != 2;
		pit_load_count(pit, i, 0, now, false);
	}
}

u32 kvmod_pit_count(const struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	if (ch > 2)
		return 0;
	return pit_get_count(pit, ch, now);
}

bool kvmod_pit_output(const struct kvmod_pit *pit, unsigned int ch, s64 now)
{
	if (ch > 2)
		return false;
	return pit_get_out(pit, ch, now);
}

bool kvmod_pit_irq0_timer(const struct kvmod_pit *pit, s64 now, s64 *first,
			  s64 *period)
{
	s64 next;

	if (!pit->irq0_armed)
		return false;
	next = pit_irq0_next(pit, now);
	if (pit_sub(next, now) <= 0)
		return false;	/* a one-shot that has fired */
	*first = next;
	*period = pit->irq0_periodic ? pit->irq0_period : 0;
	return true;
}

static void pit_channel_to_kvm(const struct kvmod_pit_channel *c,
			       struct kvm_pit_channel_state *k)
{
	k->count = c->count;
	k->latched_count = c->latched_count;
	k->count_latched = c->count_latched;
	k->status_latched = c->status_latched;
	k->status = c->status;
	k->read_state = c->read_state;
	k->write_state = c->write_state;
	k->write_latch = c->write_latch;
	k->rw_mode = c->rw_mode;
	k->mode = c->mode;
	k->bcd = c->bcd;
	k->gate = c->gate;
	k->count_load_time = c->count_load_time;
}

static void pit_channel_from_kvm(struct kvmod_pit_channel *c,
				 const struct kvm_pit_channel_state *k)
{
	c->count = k->count;
	c->latched_count = k->latched_count;
	c->count_latched = k->count_latched;
	c->status_latched = k->status_latched;
	c->status = k->status;
	c->read_state = k->read_state;
	c->write_state = k->write_state;
	c->write_latch = k->write_latch;
	c->rw_mode = k->rw_mode;
	c->mode = k->mode;
	c->bcd = k->bcd;
	c->gate = k->gate;
	c->count_load_time = k->count_load_time;
}

void kvmod_pit_get_state2(const struct kvmod_pit *pit,
			  struct kvm_pit_state2 *ps)
{
	unsigned int i;

	__builtin_memset(ps, 0, sizeof(*ps));
	for (i = 0; i < 3; i++)
		pit_channel_to_kvm(&pit->ch[i], &ps->channels[i]);
	ps->flags = pit->flags;
}

/* Take restored channels and load their counts again, as KVM does. */
static void pit_restore(struct kvmod_pit *pit,
			const struct kvm_pit_channel_state *chans,
			bool hpet_start, s64 now)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		pit_channel_from_kvm(&pit->ch[i], &chans[i]);
	for (i = 0; i < 3; i++)
		pit_load_count(pit, i, pit->ch[i].count, now,
			       hpet_start && i == 0);
}

void kvmod_pit_set_state2(struct kvmod_pit *pit,
			  const struct kvm_pit_state2 *ps, s64 now)
{
	bool hpet_start = !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
			  (ps->flags & KVM_PIT_FLAGS_HPET_LEGACY);

	pit->flags = ps->flags;
	pit_restore(pit, ps->channels, hpet_start, now);
}

void kvmod_pit_get_state(const struct kvmod_pit *pit,
			 struct kvm_pit_state *ps)
{
	unsigned int i;

	__builtin_memset(ps, 0, sizeof(*ps));
	for (i = 0; i < 3; i++)
		pit_channel_to_kvm(&pit->ch[i], &ps->channels[i]);
}

void kvmod_pit_set_state(struct kvmod_pit *pit, const struct kvm_pit_state *ps,
			 s64 now)
{
	pit_restore(pit, ps->channels, false, now);
}
