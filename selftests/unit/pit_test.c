// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/pit.c. Times are ns from T0; the tick counts
 * below are floor(t * 1193182 / 10^9) and timer lengths
 * floor(n * 10^9 / 1193182), worked out by hand:
 *   tick 1 starts at t = 839, tick 4 at 3353, tick 5 at 4191,
 *   tick 8 at 6705, tick 100 at 83810, tick 256 at 214553,
 *   tick 1193 at 999848, tick 1194 at 1000686;
 *   a count of 1193 lasts 999847 ns, 100 lasts 83809 ns.
 */
#include "pit.h"
#include "unit.h"

#define T0	1000000000LL

static struct kvmod_pit pit;

static bool ctl(u8 val, s64 t)
{
	return kvmod_pit_write(&pit, 0x43, val, t);
}

/* Load a 16-bit count in LSB-then-MSB access mode. */
static bool load16(unsigned int ch, u16 count, s64 t)
{
	bool lsb = kvmod_pit_write(&pit, 0x40 + ch, count & 0xff, t);

	EXPECT_FALSE(lsb);
	return kvmod_pit_write(&pit, 0x40 + ch, count >> 8, t);
}

static u16 read16(unsigned int ch, s64 t)
{
	u8 lo = kvmod_pit_read(&pit, 0x40 + ch, t);

	return lo | kvmod_pit_read(&pit, 0x40 + ch, t) << 8;
}

/* Counter latch command, then both bytes. */
static u16 latch16(unsigned int ch, s64 t)
{
	ctl(ch << 6, t);
	return read16(ch, t);
}

static void setup(void)
{
	kvmod_pit_reset(&pit, T0);
}

TEST(pit_reset_state)
{
	s64 first = -1, period = -1;
	unsigned int i;

	setup();
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(pit.ch[i].mode, 0xff);
		EXPECT_EQ(pit.ch[i].count, 0x10000);
		EXPECT_EQ(pit.ch[i].rw_mode, 0);
		EXPECT_EQ(pit.ch[i].read_state, 0);
		EXPECT_EQ(pit.ch[i].write_state, 0);
		EXPECT_EQ(pit.ch[i].count_latched, 0);
		EXPECT_EQ(pit.ch[i].status_latched, 0);
	}
	EXPECT_EQ(pit.ch[0].gate, 1);
	EXPECT_EQ(pit.ch[1].gate, 1);
	EXPECT_EQ(pit.ch[2].gate, 0);
	EXPECT_EQ(pit.ch[0].count_load_time, 0);	/* KVM leaves it */
	EXPECT_EQ(pit.ch[1].count_load_time, T0);
	EXPECT_EQ(pit.ch[2].count_load_time, T0);
	EXPECT_EQ(pit.flags, 0);
	EXPECT_EQ(pit.min_period, 200000);
	EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
	EXPECT_EQ(first, -1);
	EXPECT_EQ(period, -1);
	/* channel 0 never started: stands at its count */
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 123456789), 0x10000);
	EXPECT_FALSE(kvmod_pit_output(&pit, 0, T0 + 123456789));
	/* "no mode" reads back as 0xfe: mode 0xff shifted into a byte */
	ctl(0xe4, T0);				/* read-back status of 1 */
	EXPECT_EQ(kvmod_pit_read(&pit, 0x41, T0), 0xfe);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x43, T0), 0xff);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x44, T0), 0xff);
	EXPECT_FALSE(kvmod_pit_write(&pit, 0x44, 0x34, T0));
	EXPECT_EQ(kvmod_pit_count(&pit, 3, T0), 0);
	EXPECT_FALSE(kvmod_pit_output(&pit, 3, T0));
}

TEST(pit_ch0_mode2_periodic)
{
	s64 first, period;

	setup();
	EXPECT_FALSE(ctl(0x34, T0));		/* ch0, LSB/MSB, mode 2 */
	EXPECT_EQ(pit.ch[0].mode, 2);
	EXPECT_EQ(pit.ch[0].rw_mode, 3);
	EXPECT_TRUE(load16(0, 1193, T0));
	EXPECT_EQ(pit.ch[0].count, 1193);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
	EXPECT_EQ(first, T0 + 999847);
	EXPECT_EQ(period, 999847);
	/* channel 0 counts within the timer's period */
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0), 1193);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 500000), 1193 - 596);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 999846), 1193 - 1192);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 999847), 1193);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 999847 + 100000), 1193 - 119);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 5 * 999847 + 500000),
		  1193 - 596);
	/* KVM's mode 2 OUT never sees tick 1193 within a 999847 ns period */
	EXPECT_FALSE(kvmod_pit_output(&pit, 0, T0 + 999846));
	EXPECT_FALSE(kvmod_pit_output(&pit, 0, T0 + 999847));
	/* the next tick is always after now */
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 999847, &first, &period));
	EXPECT_EQ(first, T0 + 2 * 999847);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 10 * 999847 + 5, &first,
					 &period));
	EXPECT_EQ(first, T0 + 11 * 999847);
	EXPECT_EQ(period, 999847);
	/* before the load time (a caller with an older clock reading) */
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 - 5, &first, &period));
	EXPECT_EQ(first, T0 + 999847);
	/* reading through the port: live LSB then MSB */
	EXPECT_EQ(read16(0, T0 + 500000), 597);
	EXPECT_EQ(latch16(0, T0 + 999847 + 100000), 1074);
	/* mode 3 is periodic too */
	ctl(0x36, T0);
	EXPECT_TRUE(load16(0, 0x4000, T0 + 7));
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 7, &first, &period));
	EXPECT_EQ(period, 13731350);		/* 16384e9 / 1193182 */
	EXPECT_EQ(first, T0 + 7 + 13731350);
}

TEST(pit_ch0_period_clamp)
{
	s64 first, period;

	setup();
	ctl(0x34, T0);
	EXPECT_TRUE(load16(0, 100, T0));
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
	EXPECT_EQ(first, T0 + 83809);		/* the first tick is not late */
	EXPECT_EQ(period, 200000);
	/* the count is read against the longer period, as in KVM */
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0), 100 - 138 % 100);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 83809, &first, &period));
	EXPECT_EQ(first, T0 + 283809);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 83809), 100);

	/* the caller may lower the limit */
	pit.min_period = 0;
	EXPECT_TRUE(load16(0, 1, T0));
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
	EXPECT_EQ(period, 838);
	/* one-shots are never clamped */
	pit.min_period = 200000;
	ctl(0x30, T0);
	EXPECT_TRUE(load16(0, 1, T0));
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
	EXPECT_EQ(first, T0 + 838);
	EXPECT_EQ(period, 0);
}

TEST(pit_ch0_oneshot_modes)
{
	static const u8 ctls[] = { 0x30, 0x32, 0x38 };	/* modes 0, 1, 4 */
	s64 first, period;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ctls); i++) {
		setup();
		ctl(ctls[i], T0);
		EXPECT_TRUE(load16(0, 1193, T0));
		EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
		EXPECT_EQ(first, T0 + 999847);
		EXPECT_EQ(period, 0);
		EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 999846, &first,
						 &period));
		EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0 + 999847, &first,
						  &period));
		/* after the tick channel 0 keeps counting from its load */
		EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 999848), 0);
		EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 1000686), 0xffff);
	}
	/* mode 0: OUT rises at tick 1193 */
	setup();
	ctl(0x30, T0);
	load16(0, 1193, T0);
	EXPECT_FALSE(kvmod_pit_output(&pit, 0, T0 + 999847));
	EXPECT_TRUE(kvmod_pit_output(&pit, 0, T0 + 999848));
	EXPECT_TRUE(kvmod_pit_output(&pit, 0, T0 + 50000000));
}

TEST(pit_ch0_mode5_stops_timer)
{
	s64 first, period;

	setup();
	ctl(0x34, T0);
	load16(0, 1193, T0);
	/* a control word alone changes nothing of the running timer */
	EXPECT_FALSE(ctl(0x3a, T0 + 10));
	EXPECT_EQ(pit.ch[0].mode, 5);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 10, &first, &period));
	EXPECT_EQ(period, 999847);
	/* LSB of a word: nothing yet */
	EXPECT_FALSE(kvmod_pit_write(&pit, 0x40, 0x10, T0 + 2500000));
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 2500000, &first,
					 &period));
	/* the count load in mode 5 stops it */
	EXPECT_TRUE(kvmod_pit_write(&pit, 0x40, 0x00, T0 + 2500000));
	EXPECT_EQ(pit.ch[0].count, 0x10);
	EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0 + 2500000, &first,
					  &period));
	EXPECT_FALSE(pit.irq0_armed);
	/* counting goes on from the frozen expiry (T0 + 3 * 999847) */
	EXPECT_EQ(pit.irq0_expires, T0 + 3 * 999847);
	EXPECT_EQ(kvmod_pit_count(&pit, 0, T0 + 3 * 999847),
		  (0x10 - 1192) & 0xffff);
}

TEST(pit_hpet_legacy)
{
	struct kvm_pit_state2 ps;
	s64 first, period;

	setup();
	ctl(0x34, T0);
	load16(0, 1193, T0);
	kvmod_pit_get_state2(&pit, &ps);
	ps.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	kvmod_pit_set_state2(&pit, &ps, T0 + 100);
	EXPECT_EQ(pit.flags, KVM_PIT_FLAGS_HPET_LEGACY);
	EXPECT_EQ(pit.ch[0].mode, 2);		/* the mode is kept */
	EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0 + 100, &first, &period));
	/* loads do nothing to the timer now */
	EXPECT_FALSE(load16(0, 500, T0 + 200));
	EXPECT_EQ(pit.ch[0].count, 500);
	EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0 + 200, &first, &period));
	/* leaving HPET legacy mode restarts it from the restored count */
	kvmod_pit_get_state2(&pit, &ps);
	ps.flags = 0;
	kvmod_pit_set_state2(&pit, &ps, T0 + 300);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 300, &first, &period));
	EXPECT_EQ(first, T0 + 300 + 419047);	/* 500e9 / 1193182 */
	EXPECT_EQ(period, 419047);
}

TEST(pit_ch2_mode0_exact)
{
	setup();
	ctl(0xb0, T0);				/* ch2, LSB/MSB, mode 0 */
	EXPECT_FALSE(load16(2, 100, T0 + 1));
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 1);
	EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 1));
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1), 100);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1 + 838), 100);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1 + 839), 99);
	EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 1 + 83809));
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1 + 83809), 1);
	EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 1 + 83810));
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1 + 83810), 0);
	EXPECT_EQ(latch16(2, T0 + 1 + 83810 + 839), 0xffff);
	EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 1000000000));
	/* one second is 1193182 ticks */
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 1 + 1000000000),
		  (100 - 1193182) & 0xffff);
	/* channel 2 does not touch the IRQ0 timer */
	EXPECT_FALSE(pit.irq0_armed);
}

TEST(pit_mode1_oneshot_out)
{
	setup();
	ctl(0x72, T0);				/* ch1, LSB/MSB, mode 1 */
	load16(1, 50, T0);
	EXPECT_TRUE(kvmod_pit_output(&pit, 1, T0));
	EXPECT_TRUE(kvmod_pit_output(&pit, 1, T0 + 41904));
	EXPECT_FALSE(kvmod_pit_output(&pit, 1, T0 + 41905));
	EXPECT_EQ(kvmod_pit_count(&pit, 1, T0 + 41905), 0);
	EXPECT_EQ(kvmod_pit_count(&pit, 1, T0 + 41905 + 839), 0xffff);
}

TEST(pit_mode2_rate_generator)
{
	setup();
	ctl(0xb4, T0);
	load16(2, 4, T0);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0), 4);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 839), 3);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 3352), 1);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 3353), 4);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 4191), 3);
	EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0));	/* not at tick 0 */
	EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 3352));
	EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 3353));
	EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 4191));
	EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 6705));
	/* 6 and 7 in the control word are modes 2 and 3 */
	ctl(0xbc, T0);
	EXPECT_EQ(pit.ch[2].mode, 2);
	ctl(0xbe, T0);
	EXPECT_EQ(pit.ch[2].mode, 3);
	/* a count of 0 is 0x10000: reads 0 at each reload */
	ctl(0xb4, T0);
	load16(2, 0, T0);
	EXPECT_EQ(pit.ch[2].count, 0x10000);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0), 0x10000);
	EXPECT_EQ(latch16(2, T0), 0);
	EXPECT_EQ(latch16(2, T0 + 839), 0xffff);
	EXPECT_EQ(latch16(2, T0 + 54925402), 0);
	EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 54925402));
}

TEST(pit_mode3_square_wave)
{
	static const bool out4[] = { 1, 1, 0, 0, 1, 1, 0, 0 };
	static const u32 count4[] = { 4, 2, 4, 2, 4, 2, 4, 2 };
	static const bool out5[] = { 1, 1, 1, 0, 0, 1 };
	static const u32 count5[] = { 5, 3, 1, 4, 2, 5 };
	static const s64 tick[] = { 0, 839, 1677, 2515, 3353, 4191, 5029,
				    5867 };
	unsigned int i;

	setup();
	ctl(0xb6, T0);
	load16(2, 4, T0);
	for (i = 0; i < ARRAY_SIZE(out4); i++) {
		EXPECT_EQ(kvmod_pit_output(&pit, 2, T0 + tick[i]), out4[i]);
		EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + tick[i]), count4[i]);
	}
	load16(2, 5, T0);
	for (i = 0; i < ARRAY_SIZE(out5); i++) {
		EXPECT_EQ(kvmod_pit_output(&pit, 2, T0 + tick[i]), out5[i]);
		EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + tick[i]), count5[i]);
	}
}

TEST(pit_modes4_5_strobe)
{
	u8 c;

	for (c = 0xb8; c <= 0xba; c += 2) {	/* modes 4 and 5 */
		setup();
		ctl(c, T0);
		load16(2, 4, T0);
		EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0));
		EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 3352));
		EXPECT_TRUE(kvmod_pit_output(&pit, 2, T0 + 3353));
		EXPECT_FALSE(kvmod_pit_output(&pit, 2, T0 + 4191));
		EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 3353), 0);
		EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 4191), 0xffff);
	}
}

TEST(pit_counter_latch)
{
	setup();
	ctl(0xb4, T0);
	load16(2, 0x1234, T0);
	ctl(0x80, T0 + 214553);			/* latch ch2: 0x1234 - 256 */
	EXPECT_EQ(pit.ch[2].count_latched, 3);
	EXPECT_EQ(pit.ch[2].latched_count, 0x1134);
	ctl(0x80, T0 + 999999);			/* ignored: still latched */
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 5000000), 0x34);
	EXPECT_EQ(pit.ch[2].count_latched, 2);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 6000000), 0x11);
	EXPECT_EQ(pit.ch[2].count_latched, 0);
	/* the live count again; the read flip-flop was not moved */
	EXPECT_EQ(pit.ch[2].read_state, 3);
	EXPECT_EQ(read16(2, T0 + 839), 0x1233);

	/* LSB-only and MSB-only latches are one byte */
	ctl(0x94, T0);
	load16(2, 0, T0);			/* two LSB loads */
	EXPECT_EQ(pit.ch[2].count, 0x10000);
	kvmod_pit_write(&pit, 0x42, 0x40, T0);
	EXPECT_EQ(pit.ch[2].count, 0x40);
	ctl(0x80, T0 + 839);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 9999), 0x3f);
	EXPECT_EQ(pit.ch[2].count_latched, 0);
	ctl(0xa4, T0);
	kvmod_pit_write(&pit, 0x42, 0x12, T0);
	EXPECT_EQ(pit.ch[2].count, 0x1200);
	ctl(0x80, T0 + 839);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0), 0x11);
	EXPECT_EQ(pit.ch[2].count_latched, 0);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 839), 0x11);	/* live */
}

TEST(pit_read_back)
{
	setup();
	ctl(0xb4, T0);
	load16(2, 4, T0);
	/* count and status of ch2: status is read first */
	ctl(0xc8, T0 + 3353);
	EXPECT_EQ(pit.ch[2].status_latched, 1);
	EXPECT_EQ(pit.ch[2].count_latched, 3);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 9000), 0xb4);	/* OUT */
	EXPECT_EQ(read16(2, T0 + 9000), 4);
	/* status only, not OUT now */
	ctl(0xe8, T0 + 4191);
	EXPECT_EQ(pit.ch[2].count_latched, 0);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0), 0x34);
	/* count only */
	ctl(0xd8, T0 + 839);
	EXPECT_EQ(pit.ch[2].status_latched, 0);
	EXPECT_EQ(read16(2, T0), 3);
	/* a second status latch keeps the first */
	ctl(0xe8, T0 + 3353);
	ctl(0xe8, T0 + 4191);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0), 0xb4);
	/* several channels at once; ch0 and ch1 still in reset state */
	ctl(0x71, T0);				/* ch1: mode 0, BCD */
	ctl(0xee, T0);				/* status of 0, 1, 2 */
	EXPECT_EQ(kvmod_pit_read(&pit, 0x40, T0), 0xfe);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x41, T0), 0x31);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0), 0x34);
	/* a read-back selecting nothing latches nothing */
	ctl(0xc0, T0);
	EXPECT_EQ(pit.ch[0].count_latched | pit.ch[1].count_latched |
		  pit.ch[2].count_latched, 0);
	EXPECT_EQ(pit.ch[0].status_latched | pit.ch[1].status_latched |
		  pit.ch[2].status_latched, 0);
}

TEST(pit_access_flip_flops)
{
	setup();
	ctl(0xb0, T0);
	EXPECT_EQ(pit.ch[2].write_state, 3);
	kvmod_pit_write(&pit, 0x42, 0x78, T0);
	EXPECT_EQ(pit.ch[2].write_state, 4);
	EXPECT_EQ(pit.ch[2].write_latch, 0x78);
	EXPECT_EQ(pit.ch[2].count, 0x10000);	/* nothing loaded yet */
	kvmod_pit_write(&pit, 0x42, 0x56, T0 + 5);
	EXPECT_EQ(pit.ch[2].write_state, 3);
	EXPECT_EQ(pit.ch[2].count, 0x5678);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 5);

	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 5), 0x78);
	EXPECT_EQ(pit.ch[2].read_state, 4);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 5), 0x56);
	EXPECT_EQ(pit.ch[2].read_state, 3);
	/* a control word resets both flip-flops */
	kvmod_pit_read(&pit, 0x42, T0 + 5);
	kvmod_pit_write(&pit, 0x42, 0x11, T0 + 5);
	ctl(0xb0, T0 + 5);
	EXPECT_EQ(pit.ch[2].read_state, 3);
	EXPECT_EQ(pit.ch[2].write_state, 3);
	EXPECT_EQ(pit.ch[2].count, 0x5678);
	/* MSB-only reads */
	ctl(0xa0, T0);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 5), 0x56);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x42, T0 + 5), 0x56);
	/* before any control word, reads and writes are LSB */
	setup();
	kvmod_pit_write(&pit, 0x41, 0x21, T0);
	EXPECT_EQ(pit.ch[1].count, 0x21);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x41, T0 + 839), 0x20);
	/* the BCD bit is kept, counting stays binary (as KVM) */
	ctl(0x75, T0);				/* ch1, mode 2, BCD */
	EXPECT_EQ(pit.ch[1].bcd, 1);
	load16(1, 0x10, T0);
	EXPECT_EQ(latch16(1, T0 + 839), 0x0f);
}

TEST(pit_gate_edges)
{
	setup();
	ctl(0xb4, T0);				/* ch2 mode 2, gate low */
	load16(2, 100, T0);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 41905), 50);	/* counts */
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 41905);	/* rising edge */
	EXPECT_EQ(pit.ch[2].gate, 1);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 41905);
	EXPECT_EQ(kvmod_pit_count(&pit, 2, T0 + 41905), 100);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 50000);	/* still high */
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 41905);
	kvmod_pit_write(&pit, 0x61, 0x00, T0 + 60000);	/* falling */
	EXPECT_EQ(pit.ch[2].gate, 0);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 41905);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 70000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 70000);

	/* modes 1, 3 and 5 restart too, 0 and 4 do not */
	ctl(0xb2, T0);
	kvmod_pit_write(&pit, 0x61, 0x00, T0);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 80000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 80000);
	ctl(0xb6, T0);
	kvmod_pit_write(&pit, 0x61, 0x00, T0);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 81000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 81000);
	ctl(0xba, T0);
	kvmod_pit_write(&pit, 0x61, 0x00, T0);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 82000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 82000);
	ctl(0xb0, T0);
	kvmod_pit_write(&pit, 0x61, 0x00, T0);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 90000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 82000);
	ctl(0xb8, T0);
	kvmod_pit_write(&pit, 0x61, 0x00, T0);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 91000);
	EXPECT_EQ(pit.ch[2].count_load_time, T0 + 82000);
	/* and nothing in reset state (no mode) */
	setup();
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 5);
	EXPECT_EQ(pit.ch[2].count_load_time, T0);
}

TEST(pit_port61)
{
	s64 t_odd = T0;				/* bit 14 of T0 is set */
	s64 t_even = T0 + 16384;

	setup();
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, t_odd), 0x10);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, t_even), 0x00);
	kvmod_pit_write(&pit, 0x61, 0x03, t_even);
	EXPECT_EQ(pit.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, t_even), 0x03);
	kvmod_pit_write(&pit, 0x61, 0xfc, t_even);	/* only bits 0-1 */
	EXPECT_EQ(pit.flags, 0);
	EXPECT_EQ(pit.ch[2].gate, 0);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, t_even), 0x00);
	kvmod_pit_write(&pit, 0x61, 0x02, t_even);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, t_even), 0x02);
	/* bit 5: channel 2's OUT, here mode 0 with count 100 */
	ctl(0xb0, T0);
	load16(2, 100, T0);
	/* (T0 + 83809) >> 14 is even: no refresh bit */
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, T0 + 83809), 0x02);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, T0 + 83810), 0x22);
	kvmod_pit_write(&pit, 0x61, 0x01, T0 + 83810);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, T0 + 83810), 0x21);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, T0 + 83810 + 16384), 0x31);
	/* a restored gate byte is ORed in as it is */
	pit.ch[2].gate = 0xc4;
	EXPECT_EQ(kvmod_pit_read(&pit, 0x61, T0 + 83810), 0xe4);
}

TEST(pit_state2_round_trip)
{
	struct kvm_pit_state2 ps, back;
	s64 first, period;
	unsigned int i;

	setup();
	ctl(0x34, T0);
	load16(0, 1193, T0);
	ctl(0x76, T0);
	load16(1, 18, T0);
	ctl(0xb0, T0);
	kvmod_pit_write(&pit, 0x42, 0x99, T0);	/* half a word */
	ctl(0xc4, T0 + 839);			/* latch ch1 count+status */
	kvmod_pit_write(&pit, 0x61, 0x03, T0);
	kvmod_pit_get_state2(&pit, &ps);
	EXPECT_EQ(ps.flags, KVM_PIT_FLAGS_SPEAKER_DATA_ON);
	for (i = 0; i < ARRAY_SIZE(ps.reserved); i++)
		EXPECT_EQ(ps.reserved[i], 0);
	EXPECT_EQ(ps.channels[1].latched_count, 16);
	EXPECT_EQ(ps.channels[1].status, 0xb6);	/* OUT high */
	EXPECT_EQ(ps.channels[2].write_state, 4);
	EXPECT_EQ(ps.channels[2].write_latch, 0x99);

	kvmod_pit_reset(&pit, 5);
	kvmod_pit_set_state2(&pit, &ps, T0 + 7000);
	kvmod_pit_get_state2(&pit, &back);
	/* channels 1 and 2 restart at the restore, channel 0 keeps it */
	EXPECT_EQ(back.channels[1].count_load_time, T0 + 7000);
	EXPECT_EQ(back.channels[2].count_load_time, T0 + 7000);
	back.channels[1].count_load_time = ps.channels[1].count_load_time;
	back.channels[2].count_load_time = ps.channels[2].count_load_time;
	EXPECT_EQ(memcmp(&ps, &back, sizeof(ps)), 0);
	/* the IRQ0 timer restarts from the restore */
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 7000, &first, &period));
	EXPECT_EQ(first, T0 + 7000 + 999847);
	EXPECT_EQ(period, 999847);
	/* the half-written word completes */
	kvmod_pit_write(&pit, 0x42, 0x01, T0 + 8000);
	EXPECT_EQ(pit.ch[2].count, 0x199);
	EXPECT_EQ(kvmod_pit_read(&pit, 0x41, T0), 0xb6);
	EXPECT_EQ(read16(1, T0), 16);

	/* arbitrary bytes are taken; a count of 0 becomes 0x10000 */
	for (i = 0; i < 3; i++) {
		ps.channels[i].count = i == 1 ? 0 : 0x12345678u * (i + 1);
		ps.channels[i].mode = 0x40 + i;
		ps.channels[i].gate = 0x80 | i;
		ps.channels[i].count_load_time = -1;
	}
	ps.flags = 0xfffffffc;
	kvmod_pit_set_state2(&pit, &ps, T0);
	kvmod_pit_get_state2(&pit, &back);
	EXPECT_EQ(back.flags, 0xfffffffc);
	EXPECT_EQ(back.channels[0].count, 0x12345678u);
	EXPECT_EQ(back.channels[1].count, 0x10000);
	EXPECT_EQ(back.channels[2].mode, 0x42);
	EXPECT_EQ(back.channels[0].count_load_time, -1);
	/* a mode above 5 stops the IRQ0 timer */
	EXPECT_FALSE(kvmod_pit_irq0_timer(&pit, T0, &first, &period));
}

TEST(pit_legacy_state_round_trip)
{
	struct kvm_pit_state ps, back;
	s64 first, period;

	setup();
	ctl(0x30, T0);
	load16(0, 1000, T0);
	ctl(0x54, T0);				/* ch1, LSB only, mode 2 */
	kvmod_pit_write(&pit, 0x41, 18, T0);
	kvmod_pit_write(&pit, 0x61, 0x02, T0);
	kvmod_pit_get_state(&pit, &ps);
	EXPECT_EQ(ps.channels[1].rw_mode, 1);
	EXPECT_EQ(ps.channels[1].count, 18);

	setup();
	kvmod_pit_set_state(&pit, &ps, T0 + 10);
	EXPECT_EQ(pit.flags, 0);		/* flags are not in it */
	kvmod_pit_get_state(&pit, &back);
	EXPECT_EQ(back.channels[1].count_load_time, T0 + 10);
	back.channels[1].count_load_time = ps.channels[1].count_load_time;
	back.channels[2].count_load_time = ps.channels[2].count_load_time;
	EXPECT_EQ(memcmp(&ps, &back, sizeof(ps)), 0);
	EXPECT_TRUE(kvmod_pit_irq0_timer(&pit, T0 + 10, &first, &period));
	EXPECT_EQ(first, T0 + 10 + 838095);	/* 1000e9 / 1193182 */
	EXPECT_EQ(period, 0);
}
