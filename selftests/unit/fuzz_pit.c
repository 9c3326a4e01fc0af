// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for irqchip/pit.c.
 *
 * Input: 8 bytes of start time, then operations, each an opcode byte
 * (low 3 bits) followed by its operands:
 *   0 port write (port index, value)   1 port read (port index)
 *   2 time step (2 bytes, shifted by the opcode's bits 3-5)
 *   3 KVM_SET_PIT2 (flags byte, 3 x 24 channel bytes)
 *   4 KVM_SET_PIT (3 x 24 channel bytes)
 *   5 look at every channel       6 min_period (1 byte, x 1000 ns)
 *   7 reset
 * Time only moves forward, but restored states bring arbitrary counts,
 * modes and load times (past and future), and the start time is
 * anything from -2^63.
 *
 * Checks:
 *  - OUT and the count are pure functions of the state and the time
 *    (same answers twice and on a copy); the count stays in its mode's
 *    range; in mode 0, once OUT is high it stays high as time goes on;
 *  - a control word leaves mode 0-5, equal access mode and flip-flops;
 *    a status latched from such a state reads OUT, 0, access, mode, BCD;
 *  - only a count write to port 0x40 (or a restore) can change the
 *    IRQ0 timer; its next tick is after now, at now + N * 10^9 / 1193182
 *    right after a load; periodic means the tick after is one period on;
 *  - KVM_GET_PIT2 after KVM_SET_PIT2 gives the state back but for
 *    count 0 (as 0x10000) and the load time of channels 1 and 2 (now);
 *    reserved bytes are zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pit.h"
#include "fuzz_check.h"

static const u16 ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61, 0x44 };

struct input {
	const u8 *data;
	size_t size, pos;
};

static u8 next(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static void fill(struct input *in, void *buf, size_t len)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = next(in);
}

static void check_timer(const struct kvmod_pit *pit, s64 now)
{
	s64 first, period, first2, period2;

	if (!kvmod_pit_irq0_timer(pit, now, &first, &period))
		return;
	/* after now (times wrap around rather than overflow) */
	CHECK((s64)((u64)first - (u64)now) > 0);
	CHECK(period >= 0);
	if (period)
		CHECK(period >= 838);
	if (first <= now || first == INT64_MIN ||
	    first > INT64_MAX - period)
		return;
	/* the tick after: one period on, or none */
	if (kvmod_pit_irq0_timer(pit, first, &first2, &period2)) {
		CHECK(period);
		CHECK(first2 == first + period);
		CHECK(period2 == period);
	} else {
		CHECK(!period);
	}
	/* just before it, it is still the next one */
	CHECK(kvmod_pit_irq0_timer(pit, first - 1, &first2, &period2));
	CHECK(first2 == first);
}

static bool check_channel(const struct kvmod_pit *pit, unsigned int ch,
			  s64 now)
{
	const struct kvmod_pit_channel *c = &pit->ch[ch];
	struct kvmod_pit copy = *pit;
	u32 n = c->count ? c->count : 0x10000;
	bool out = kvmod_pit_output(pit, ch, now);
	u32 count = kvmod_pit_count(pit, ch, now);

	CHECK(out == kvmod_pit_output(pit, ch, now));
	CHECK(out == kvmod_pit_output(&copy, ch, now));
	CHECK(count == kvmod_pit_count(&copy, ch, now));
	switch (c->mode) {
	case 0:
	case 1:
	case 4:
	case 5:
		CHECK(count <= 0xffff);
		break;
	default:
		CHECK(count >= 1 && count <= n);
		break;
	}
	return out;
}

static void check_all(const struct kvmod_pit *pit, s64 now, u16 step)
{
	unsigned int ch;
	s64 later;

	check_timer(pit, now);
	if (now > INT64_MAX - step)
		step = 0;
	later = now + step;
	for (ch = 0; ch < 3; ch++) {
		const struct kvmod_pit_channel *c = &pit->ch[ch];
		bool out = check_channel(pit, ch, now);

		/* mode 0 on channels 1 and 2: OUT does not fall again */
		if (ch && c->mode == 0 && out && now >= c->count_load_time &&
		    now - c->count_load_time < (1LL << 62) &&
		    later - c->count_load_time < (1LL << 62))
			CHECK(kvmod_pit_output(pit, ch, later));
	}
	CHECK(kvmod_pit_output(pit, 3, now) == false);
}

static void do_write(struct kvmod_pit *pit, struct input *in, s64 now)
{
	u16 port = ports[next(in) % KVMOD_ARRAY_SIZE(ports)];
	struct kvmod_pit before = *pit;
	u8 val = next(in);
	unsigned int ch, i;
	bool changed;

	changed = kvmod_pit_write(pit, port, val, now);
	if (port != 0x40)
		CHECK(!changed);
	if (!changed)
		CHECK(pit->irq0_armed == before.irq0_armed &&
		      pit->irq0_expires == before.irq0_expires &&
		      pit->irq0_period == before.irq0_period &&
		      pit->irq0_periodic == before.irq0_periodic);
	if (changed && pit->irq0_armed) {
		s64 first, period;

		CHECK(pit->ch[0].count >= 1 && pit->ch[0].count <= 0x10000);
		CHECK(kvmod_pit_irq0_timer(pit, now, &first, &period));
		CHECK((u64)first - (u64)now ==
		      (u64)pit->ch[0].count * 1000000000 / KVMOD_PIT_FREQ);
	}
	if (port == 0x61) {
		CHECK(pit->ch[2].gate == (val & 1));
		CHECK(!!(pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON) ==
		      !!(val & 2));
	}
	if (port != 0x43)
		return;
	ch = val >> 6;
	if (ch == 3) {
		for (i = 0; i < 3; i++) {
			const struct kvmod_pit_channel *c = &pit->ch[i];

			if (!(val & (2 << i)) || (val & 0x10) ||
			    before.ch[i].status_latched)
				continue;
			CHECK(c->status_latched);
			if (c->mode > 7 || c->rw_mode > 3 || c->bcd > 1)
				continue;
			CHECK(c->status == ((kvmod_pit_output(pit, i, now) << 7) |
					    (c->rw_mode << 4) |
					    (c->mode << 1) | c->bcd));
		}
		return;
	}
	if (!(val & 0x30)) {
		/* counter latch: a pending latch is kept */
		if (before.ch[ch].count_latched) {
			CHECK(pit->ch[ch].count_latched ==
			      before.ch[ch].count_latched);
			CHECK(pit->ch[ch].latched_count ==
			      before.ch[ch].latched_count);
		} else {
			CHECK(pit->ch[ch].count_latched == pit->ch[ch].rw_mode);
			CHECK(pit->ch[ch].latched_count ==
			      (u16)kvmod_pit_count(pit, ch, now));
		}
		return;
	}
	CHECK(pit->ch[ch].mode <= 5);
	CHECK(pit->ch[ch].rw_mode >= 1 && pit->ch[ch].rw_mode <= 3);
	CHECK(pit->ch[ch].read_state == pit->ch[ch].rw_mode);
	CHECK(pit->ch[ch].write_state == pit->ch[ch].rw_mode);
	CHECK(pit->ch[ch].bcd == (val & 1));
}

static void do_set_state2(struct kvmod_pit *pit, struct input *in, s64 now)
{
	struct kvm_pit_state2 ps, back;
	unsigned int i;

	memset(&ps, 0, sizeof(ps));
	ps.flags = next(in);
	fill(in, ps.channels, sizeof(ps.channels));
	kvmod_pit_set_state2(pit, &ps, now);
	kvmod_pit_get_state2(pit, &back);
	for (i = 0; i < KVMOD_ARRAY_SIZE(back.reserved); i++)
		CHECK(back.reserved[i] == 0);
	for (i = 0; i < 3; i++) {
		if (!ps.channels[i].count)
			ps.channels[i].count = 0x10000;
		if (i)
			ps.channels[i].count_load_time = now;
	}
	CHECK(!memcmp(&ps, &back, sizeof(ps)));
}

static void do_set_state(struct kvmod_pit *pit, struct input *in, s64 now)
{
	struct kvm_pit_state ps, back;
	u32 flags = pit->flags;
	unsigned int i;

	fill(in, &ps, sizeof(ps));
	kvmod_pit_set_state(pit, &ps, now);
	kvmod_pit_get_state(pit, &back);
	CHECK(pit->flags == flags);
	for (i = 0; i < 3; i++) {
		if (!ps.channels[i].count)
			ps.channels[i].count = 0x10000;
		if (i)
			ps.channels[i].count_load_time = now;
	}
	CHECK(!memcmp(&ps, &back, sizeof(ps)));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct kvmod_pit pit;
	u64 start = 0;
	s64 now;
	u16 step;
	u8 op;

	if (size < 8)
		return 0;
	fill(&in, &start, sizeof(start));
	now = (s64)start;
	kvmod_pit_reset(&pit, now);
	while (in.pos < in.size) {
		op = next(&in);
		switch (op & 7) {
		case 0:
			do_write(&pit, &in, now);
			break;
		case 1:
			kvmod_pit_read(&pit, ports[next(&in) %
					KVMOD_ARRAY_SIZE(ports)], now);
			break;
		case 2:
			step = next(&in);
			step |= next(&in) << 8;
			/* forward only, and never past S64_MAX */
			if ((u64)step << ((op >> 3) & 31) <=
			    (u64)INT64_MAX - (u64)now)
				now += (s64)((u64)step << ((op >> 3) & 31));
			break;
		case 3:
			do_set_state2(&pit, &in, now);
			break;
		case 4:
			do_set_state(&pit, &in, now);
			break;
		case 5:
			step = next(&in);
			check_all(&pit, now, step << 4);
			break;
		case 6:
			pit.min_period = next(&in) * 1000LL;
			break;
		default:
			kvmod_pit_reset(&pit, now);
			break;
		}
		check_timer(&pit, now);
	}
	return 0;
}
