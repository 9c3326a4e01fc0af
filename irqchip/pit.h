/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 programmable interval timer (ports 0x40-0x43, 1193182 Hz)
 * and the PC speaker/gate port 0x61, as in-tree KVM models them: the
 * channel state is struct kvm_pit_channel_state, KVM_GET/SET_PIT2
 * round-trip through it, and KVM's simplifications are kept (BCD is
 * recorded but counting is binary, null count always reads 0, writing a
 * control word neither stops a counter nor changes OUT, the gate only
 * restarts modes 1, 2, 3 and 5 on a rising edge).
 *
 * Channel 0 drives IRQ0 through a host timer that KVM (re)starts when
 * the guest loads channel 0's count; its counter and OUT are read from
 * that timer. The timer is modelled here (irq0_*), so the caller only
 * has to program an hrtimer from kvmod_pit_irq0_timer().
 *
 * Time is the caller's monotonic clock in ns (KVM: ktime_get()).
 */
#ifndef KVMOD_PIT_H
#define KVMOD_PIT_H

#include "pure_types.h"
#include <linux/kvm.h>

#define KVMOD_PIT_FREQ		1193182	/* Hz */

#ifndef KVM_PIT_FLAGS_SPEAKER_DATA_ON
#define KVM_PIT_FLAGS_SPEAKER_DATA_ON	0x00000002
#endif

/* KVM's default min_timer_period_us, in ns: the shortest IRQ0 period. */
#define KVMOD_PIT_MIN_PERIOD_NS	200000

/* read_state, write_state, count_latched, rw_mode values */
#define KVMOD_PIT_RW_LSB	1
#define KVMOD_PIT_RW_MSB	2
#define KVMOD_PIT_RW_WORD0	3	/* LSB then MSB: LSB next */
#define KVMOD_PIT_RW_WORD1	4	/* LSB then MSB: MSB next */

/* One counter; fields and meaning as in struct kvm_pit_channel_state. */
struct kvmod_pit_channel {
	u32 count;		/* initial count, 1-0x10000 (0 loads 0x10000) */
	u16 latched_count;
	u8 count_latched;	/* KVMOD_PIT_RW_* of the pending latch, or 0 */
	u8 status_latched;
	u8 status;
	u8 read_state;		/* KVMOD_PIT_RW_* */
	u8 write_state;		/* KVMOD_PIT_RW_* */
	u8 write_latch;		/* LSB written in KVMOD_PIT_RW_WORD0 */
	u8 rw_mode;		/* access mode of the last control word */
	u8 mode;		/* 0-5; 0xff after reset (no mode yet) */
	u8 bcd;
	u8 gate;
	s64 count_load_time;	/* ns; not updated for channel 0, as KVM */
};

/**
 * struct kvmod_pit - the 8254 and port 0x61
 * @ch: the three counters
 * @flags: KVM_PIT_FLAGS_HPET_LEGACY (no IRQ0 timer), and
 *	KVM_PIT_FLAGS_SPEAKER_DATA_ON (port 0x61 bit 1), as in
 *	kvm_pit_state2
 * @irq0_period: ns between IRQ0 ticks (the one-shot delay for one-shot
 *	modes); 0 until channel 0 is first loaded in a mode 0-4
 * @irq0_expires: the first expiry of the timer (ns)
 * @irq0_periodic: modes 2 and 3: ticks at @irq0_expires + k * @irq0_period
 * @irq0_armed: the timer runs (a fired one-shot stays armed here; what
 *	counts is kvmod_pit_irq0_timer())
 * @min_period: periodic timers are slowed to at least this many ns
 *	(KVM's min_timer_period_us); KVMOD_PIT_MIN_PERIOD_NS after reset
 */
struct kvmod_pit {
	struct kvmod_pit_channel ch[3];
	u32 flags;
	s64 irq0_period;
	s64 irq0_expires;
	bool irq0_periodic;
	bool irq0_armed;
	s64 min_period;
};

/**
 * kvmod_pit_reset() - the state of a newly created PIT
 * @pit: the PIT
 * @now: current time (ns)
 *
 * As KVM_CREATE_PIT2: all counters mode 0xff with count 0x10000, gates
 * 1, 1, 0, channels 1 and 2 loaded at @now, no IRQ0 timer, flags 0.
 */
void kvmod_pit_reset(struct kvmod_pit *pit, s64 now);

/**
 * kvmod_pit_read() - guest IN from a PIT port
 * @pit: the PIT
 * @port: 0x40-0x42 (counters), 0x43 or 0x61
 * @now: current time (ns)
 *
 * A counter port returns a latched status, else a latched count byte,
 * else a byte of the live count (LSB/MSB flip-flop in mode 3). 0x61:
 * bit 0 gate 2, bit 1 speaker data, bit 4 refresh toggle (bit 14 of
 * @now), bit 5 channel 2's OUT. 0x43 and other ports return 0xff (KVM
 * leaves the IN destination unchanged for 0x43).
 *
 * Return: the byte read.
 */
u8 kvmod_pit_read(struct kvmod_pit *pit, u16 port, s64 now);

/**
 * kvmod_pit_write() - guest OUT to a PIT port
 * @pit: the PIT
 * @port: 0x40-0x42 (counts), 0x43 (control word, counter latch,
 *	read-back) or 0x61 (bit 0 gate 2, bit 1 speaker data)
 * @val: the byte written
 * @now: current time (ns)
 *
 * Return: true if channel 0's IRQ0 timer was started again or stopped
 * (only a completed count write to 0x40 can do it): the caller then
 * re-programs its timer from kvmod_pit_irq0_timer() and, if that is
 * armed, resets its reinjection bookkeeping as KVM does.
 */
bool kvmod_pit_write(struct kvmod_pit *pit, u16 port, u8 val, s64 now);

/**
 * kvmod_pit_count() - a counter's current value
 * @pit: the PIT
 * @ch: 0-2
 * @now: current time (ns)
 *
 * Return: what a counter latch would capture (KVM's value: the low 16
 * bits are read; modes 2 and 3 count from count down to 1, so a count
 * of 0x10000 shows as 0 at its reload). 0 for @ch > 2.
 */
u32 kvmod_pit_count(const struct kvmod_pit *pit, unsigned int ch, s64 now);

/**
 * kvmod_pit_output() - a counter's OUT pin
 * @pit: the PIT
 * @ch: 0-2
 * @now: current time (ns)
 *
 * A pure function of the state and @now, with KVM's formulas: mode 0
 * high from count ticks on, mode 1 high until count ticks, mode 2 high
 * on each multiple of count ticks (not at 0), mode 3 high for the first
 * (count + 1) / 2 ticks of each period, modes 4 and 5 high at count
 * ticks only; channel 0's ticks are counted from its IRQ0 timer.
 *
 * Return: the OUT level; false for @ch > 2.
 */
bool kvmod_pit_output(const struct kvmod_pit *pit, unsigned int ch, s64 now);

/**
 * kvmod_pit_irq0_timer() - the IRQ0 ticks still to come
 * @pit: the PIT
 * @now: current time (ns)
 * @first: set to the absolute time (ns) of the next tick, > @now
 * @period: set to the ns between ticks (periodic modes 2 and 3, at
 *	least @pit->min_period), or 0 for a one-shot
 *
 * KVM pulses IRQ0 (1 then 0) on each tick of this timer; with
 * reinjection on, a tick waits until the previous one is acknowledged.
 * Modes 0, 1 and 4 give one tick, modes 2 and 3 are periodic, mode 5
 * and HPET legacy mode give none.
 *
 * Return: true if a tick is due after @now; @first and @period are
 * left alone otherwise.
 */
bool kvmod_pit_irq0_timer(const struct kvmod_pit *pit, s64 now, s64 *first,
			  s64 *period);

/**
 * kvmod_pit_get_state2() - KVM_GET_PIT2
 * @pit: the PIT
 * @ps: filled with the channels and flags, reserved zero
 */
void kvmod_pit_get_state2(const struct kvmod_pit *pit,
			  struct kvm_pit_state2 *ps);

/**
 * kvmod_pit_set_state2() - KVM_SET_PIT2
 * @pit: the PIT
 * @ps: channels and flags, taken as they are
 * @now: current time (ns)
 *
 * As KVM, every counter is then loaded again with its count: channels 1
 * and 2 restart at @now (count_load_time is not restored), channel 0's
 * IRQ0 timer restarts at @now unless HPET legacy mode is on (turning it
 * on stops the timer). The caller re-programs its timer afterwards.
 */
void kvmod_pit_set_state2(struct kvmod_pit *pit,
			  const struct kvm_pit_state2 *ps, s64 now);

/**
 * kvmod_pit_get_state() - KVM_GET_PIT (no flags)
 * @pit: the PIT
 * @ps: filled with the channels
 */
void kvmod_pit_get_state(const struct kvmod_pit *pit,
			 struct kvm_pit_state *ps);

/**
 * kvmod_pit_set_state() - KVM_SET_PIT (flags unchanged)
 * @pit: the PIT
 * @ps: channels, taken as they are
 * @now: current time (ns)
 *
 * As kvmod_pit_set_state2() with the current flags.
 */
void kvmod_pit_set_state(struct kvmod_pit *pit, const struct kvm_pit_state *ps,
			 s64 now);

#endif /* KVMOD_PIT_H */
