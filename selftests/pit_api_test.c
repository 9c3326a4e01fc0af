// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel i8254 PIT: KVM_CREATE_PIT2 (and the legacy KVM_CREATE_PIT),
 * KVM_GET/SET_PIT2 and KVM_GET/SET_PIT (default channel states, round
 * trips, the HPET-legacy and speaker flags), KVM_REINJECT_CONTROL; a
 * guest that programs channel 2 through ports 0x43/0x42 and the speaker
 * port 0x61 (counting down, counter latch, read-back status, OUT2 and the
 * refresh bit); channel 0 in mode 2 raising IRQ0 at the programmed rate,
 * seen in the PIC master's IRR.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define PIT_FREQ_HZ	1193182
#define PIT_CMD		0x43
#define PIT_CH2		0x42
#define SPEAKER_PORT	0x61

/* Control words: channel, access (3 = LSB then MSB), mode, binary. */
#define PIT_CW(ch, access, mode)	\
	((ch) << 6 | (access) << 4 | (mode) << 1)
#define PIT_LATCH(ch)			((ch) << 6)
/* Read-back: latch the status (not the count) of channel @ch. */
#define PIT_READBACK_STATUS(ch)		(0xc0 | 0x20 | (2 << (ch)))

static int ioctl_errno(int fd, unsigned long req, const void *arg)
{
	return kt_ioctl_errno(fd, req, (unsigned long)arg);
}

static int create_pit2(int vm_fd, uint32_t flags)
{
	struct kvm_pit_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = flags;
	return ioctl_errno(vm_fd, KVM_CREATE_PIT2, &cfg);
}

static int get_pit2(int vm_fd, struct kvm_pit_state2 *ps)
{
	memset(ps, 0xa5, sizeof(*ps));
	return ioctl_errno(vm_fd, KVM_GET_PIT2, ps);
}

static int set_pit2(int vm_fd, const struct kvm_pit_state2 *ps)
{
	return ioctl_errno(vm_fd, KVM_SET_PIT2, ps);
}

static int reinject(int vm_fd, int on)
{
	struct kvm_reinject_control rc;

	memset(&rc, 0, sizeof(rc));
	rc.pit_reinject = on;
	return ioctl_errno(vm_fd, KVM_REINJECT_CONTROL, &rc);
}

/* A channel's state as KVM_SET_PIT2 takes it: mode, access, count. */
static void channel_program(struct kvm_pit_channel_state *c, int mode,
			    uint32_t count)
{
	memset(c, 0, sizeof(*c));
	c->count = count;
	c->rw_mode = 3;
	c->read_state = 3;
	c->write_state = 3;
	c->mode = mode;
	c->gate = 1;
}

/* Compare two channel states but for count_load_time (a host clock). */
static int channel_cmp(const struct kvm_pit_channel_state *a,
		       const struct kvm_pit_channel_state *b)
{
	return memcmp(a, b, offsetof(struct kvm_pit_channel_state,
				     count_load_time));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(pit) {
	int sys_fd;
	int vm_fd;
	bool irqchip;
};

FIXTURE_SETUP(pit)
{
	self->vm_fd = -1;
	self->sys_fd = kt_open_dev();
	ASSERT_LE(0, self->sys_fd);
	self->vm_fd = kt_create_vm(self->sys_fd);
	ASSERT_LE(0, self->vm_fd);
	/* As VMMs do: the PIT goes with an in-kernel irqchip. */
	if (kt_check_cap(self->sys_fd, KVM_CAP_IRQCHIP) > 0) {
		ASSERT_EQ(0, ioctl_errno(self->vm_fd, KVM_CREATE_IRQCHIP,
					 NULL));
		self->irqchip = true;
	}
}

FIXTURE_TEARDOWN(pit)
{
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->sys_fd >= 0)
		close(self->sys_fd);
}

#define REQUIRE_PIT()							\
	do {								\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_PIT2);		\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_PIT_STATE2);		\
		if (!self->irqchip)					\
			SKIP(return, "no in-kernel irqchip");		\
	} while (0)

/* ---- creation ---- */

TEST_F(pit, create_pit2)
{
	REQUIRE_PIT();
	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_CREATE_PIT2, (void *)8));
	EXPECT_EQ(0, create_pit2(self->vm_fd, 0));
	EXPECT_EQ(EEXIST, create_pit2(self->vm_fd, 0));
	EXPECT_EQ(EEXIST, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	EXPECT_EQ(EEXIST, ioctl_errno(self->vm_fd, KVM_CREATE_PIT, NULL));
}

TEST_F(pit, create_pit2_speaker_dummy)
{
	struct kvm_pit_state2 ps;

	REQUIRE_PIT();
	EXPECT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	EXPECT_EQ(0, get_pit2(self->vm_fd, &ps));
	EXPECT_EQ(EEXIST, create_pit2(self->vm_fd, 0));
}

/* A PIT may be added after the vCPUs exist. */
TEST_F(pit, create_pit2_after_vcpu)
{
	int vcpu;

	REQUIRE_PIT();
	vcpu = kt_create_vcpu(self->vm_fd, 0);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	close(vcpu);
}

/* The legacy KVM_CREATE_PIT (no argument), with KVM_GET/SET_PIT. */
TEST_F(pit, create_pit_legacy)
{
	struct kvm_pit_state ps;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_PIT);
	if (!self->irqchip)
		SKIP(return, "no in-kernel irqchip");
	EXPECT_EQ(0, ioctl_errno(self->vm_fd, KVM_CREATE_PIT, NULL));
	EXPECT_EQ(EEXIST, ioctl_errno(self->vm_fd, KVM_CREATE_PIT, NULL));
	EXPECT_EQ(EEXIST, create_pit2(self->vm_fd, 0));
	EXPECT_EQ(0, ioctl_errno(self->vm_fd, KVM_GET_PIT, &ps));
	EXPECT_EQ(0x10000, ps.channels[0].count);
}

/* Without a PIT every PIT ioctl says ENXIO. */
TEST_F(pit, no_pit)
{
	struct kvm_pit_state2 ps2;
	struct kvm_pit_state ps;

	REQUIRE_PIT();
	memset(&ps, 0, sizeof(ps));
	memset(&ps2, 0, sizeof(ps2));
	EXPECT_EQ(ENXIO, get_pit2(self->vm_fd, &ps2));
	EXPECT_EQ(ENXIO, set_pit2(self->vm_fd, &ps2));
	EXPECT_EQ(ENXIO, ioctl_errno(self->vm_fd, KVM_GET_PIT, &ps));
	EXPECT_EQ(ENXIO, ioctl_errno(self->vm_fd, KVM_SET_PIT, &ps));
	if (kt_check_cap(self->sys_fd, KVM_CAP_REINJECT_CONTROL) > 0) {
		EXPECT_EQ(ENXIO, reinject(self->vm_fd, 0));
	}
}

/* ---- state ---- */

/*
 * After creation: no flags, every channel with count 0x10000 (a written 0),
 * no mode programmed (0xff), nothing latched; the gate is high on
 * channels 0 and 1 and low on channel 2 (port 0x61 bit 0 starts clear).
 */
TEST_F(pit, default_state)
{
	struct kvm_pit_state2 ps;
	struct kvm_pit_state legacy;
	int i;

	REQUIRE_PIT();
	ASSERT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &ps));
	EXPECT_EQ(0, ps.flags);
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0, ps.reserved[i]);
	for (i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &ps.channels[i];

		EXPECT_EQ(0x10000, c->count) TH_LOG("channel %d", i);
		EXPECT_EQ(0xff, c->mode) TH_LOG("channel %d", i);
		EXPECT_EQ(i != 2, c->gate) TH_LOG("channel %d", i);
		EXPECT_EQ(0, c->latched_count);
		EXPECT_EQ(0, c->count_latched);
		EXPECT_EQ(0, c->status_latched);
		EXPECT_EQ(0, c->status);
		EXPECT_EQ(0, c->read_state);
		EXPECT_EQ(0, c->write_state);
		EXPECT_EQ(0, c->write_latch);
		EXPECT_EQ(0, c->rw_mode);
		EXPECT_EQ(0, c->bcd);
	}
	/* KVM_GET_PIT gives the same channels. */
	ASSERT_EQ(0, ioctl_errno(self->vm_fd, KVM_GET_PIT, &legacy));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, channel_cmp(&ps.channels[i], &legacy.channels[i]));
}

/* Channel states and flags written with KVM_SET_PIT2 read back. */
TEST_F(pit, set_pit2_round_trip)
{
	struct kvm_pit_state2 ps, back;
	struct kvm_pit_state legacy;
	int i;

	REQUIRE_PIT();
	ASSERT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	memset(&ps, 0, sizeof(ps));
	channel_program(&ps.channels[0], 4, 0x8000);
	channel_program(&ps.channels[1], 3, 0x1234);
	channel_program(&ps.channels[2], 0, 0x10000);
	ps.channels[1].bcd = 1;
	ps.channels[1].rw_mode = 1;
	ps.channels[1].read_state = 1;
	ps.channels[1].write_state = 1;
	ps.channels[2].gate = 0;
	ps.channels[2].write_latch = 0x34;
	ps.channels[2].write_state = 4;
	ps.flags = KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_EQ(0, set_pit2(self->vm_fd, &ps));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &back));
	EXPECT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON, back.flags);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, channel_cmp(&ps.channels[i], &back.channels[i]))
			TH_LOG("channel %d", i);
	}
	EXPECT_EQ(0x1234, back.channels[1].count);
	EXPECT_EQ(3, back.channels[1].mode);
	EXPECT_EQ(0x34, back.channels[2].write_latch);

	/* The legacy KVM_SET_PIT sets the channels and keeps the flags. */
	memcpy(legacy.channels, back.channels, sizeof(legacy.channels));
	legacy.channels[1].count = 0x4321;
	legacy.channels[1].mode = 2;
	ASSERT_EQ(0, ioctl_errno(self->vm_fd, KVM_SET_PIT, &legacy));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &back));
	EXPECT_EQ(0x4321, back.channels[1].count);
	EXPECT_EQ(2, back.channels[1].mode);
	EXPECT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON, back.flags);

	/* Both flags at once, then none. */
	ps.flags = KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	ASSERT_EQ(0, set_pit2(self->vm_fd, &ps));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &back));
	EXPECT_EQ(KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON,
		  back.flags);
	ps.flags = 0;
	ASSERT_EQ(0, set_pit2(self->vm_fd, &ps));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &back));
	EXPECT_EQ(0, back.flags);

	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_GET_PIT2, (void *)8));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_SET_PIT2, (void *)8));
}

/* ---- channel 0 and IRQ0 ---- */

/*
 * Count the rising edges of IRQ0 over @secs seconds by watching bit 0 of
 * the PIC master's IRR and clearing it after each one.
 */
static int count_irq0(int vm_fd, double secs)
{
	struct kvm_irqchip chip;
	double end = now_s() + secs;
	int ticks = 0;

	memset(&chip, 0, sizeof(chip));
	chip.chip_id = KVM_IRQCHIP_PIC_MASTER;
	if (ioctl(vm_fd, KVM_GET_IRQCHIP, &chip))
		return -1;
	chip.chip.pic.irr &= ~1;
	if (ioctl(vm_fd, KVM_SET_IRQCHIP, &chip))
		return -1;
	while (now_s() < end) {
		usleep(1000);
		if (ioctl(vm_fd, KVM_GET_IRQCHIP, &chip))
			return -1;
		if (!(chip.chip.pic.irr & 1))
			continue;
		ticks++;
		chip.chip.pic.irr &= ~1;
		if (ioctl(vm_fd, KVM_SET_IRQCHIP, &chip))
			return -1;
	}
	return ticks;
}

/* Program channel 0 for periodic interrupts (mode 2) of @count. */
static int start_channel0(int vm_fd, uint32_t count, uint32_t flags)
{
	struct kvm_pit_state2 ps;
	int r = get_pit2(vm_fd, &ps);

	if (r)
		return r;
	channel_program(&ps.channels[0], 2, count);
	ps.flags = flags;
	return set_pit2(vm_fd, &ps);
}

/*
 * Channel 0 in mode 2 with a count of 23864 (20 ms): over half a second
 * IRQ0 rises about 25 times. Reinjection is off, so that each tick
 * raises IRQ0 without waiting for the guest to acknowledge the previous
 * one. Generous bounds: the test VM runs under emulation.
 */
TEST_F(pit, channel0_mode2_ticks)
{
	struct kvm_pit_state2 ps;
	int ticks;

	REQUIRE_PIT();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_REINJECT_CONTROL);
	ASSERT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	ASSERT_EQ(0, reinject(self->vm_fd, 0));

	/* Not programmed: no ticks. */
	EXPECT_EQ(0, count_irq0(self->vm_fd, 0.1));

	ASSERT_EQ(0, start_channel0(self->vm_fd, PIT_FREQ_HZ / 50, 0));
	ticks = count_irq0(self->vm_fd, 0.5);
	TH_LOG("%d ticks of 20 ms in 500 ms", ticks);
	EXPECT_LE(8, ticks);
	EXPECT_GE(40, ticks);

	/* Mode 0 (one shot, 10 ms): one tick at most. */
	ASSERT_EQ(0, get_pit2(self->vm_fd, &ps));
	channel_program(&ps.channels[0], 0, PIT_FREQ_HZ / 100);
	ASSERT_EQ(0, set_pit2(self->vm_fd, &ps));
	ticks = count_irq0(self->vm_fd, 0.3);
	EXPECT_GE(1, ticks);
}

/* With KVM_PIT_FLAGS_HPET_LEGACY channel 0 raises no IRQ0. */
TEST_F(pit, channel0_hpet_legacy_silent)
{
	struct kvm_pit_state2 ps;

	REQUIRE_PIT();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_REINJECT_CONTROL);
	ASSERT_EQ(0, create_pit2(self->vm_fd, KVM_PIT_SPEAKER_DUMMY));
	ASSERT_EQ(0, reinject(self->vm_fd, 0));
	ASSERT_EQ(0, start_channel0(self->vm_fd, PIT_FREQ_HZ / 100,
				    KVM_PIT_FLAGS_HPET_LEGACY));
	EXPECT_EQ(0, count_irq0(self->vm_fd, 0.3));
	ASSERT_EQ(0, get_pit2(self->vm_fd, &ps));
	EXPECT_EQ(KVM_PIT_FLAGS_HPET_LEGACY, ps.flags);
	EXPECT_EQ(2, ps.channels[0].mode);

	/* Leaving HPET-legacy mode starts it again. */
	ASSERT_EQ(0, start_channel0(self->vm_fd, PIT_FREQ_HZ / 100, 0));
	EXPECT_LE(3, count_irq0(self->vm_fd, 0.3));
}

/* ---- a guest programming channel 2 ---- */

static volatile uint64_t pit_out[16];

/* Read channel 2's count, LSB then MSB, as it runs (may tear). */
static uint16_t ch2_read16(void)
{
	uint8_t lo = kg_inb(PIT_CH2);

	return lo | (uint16_t)kg_inb(PIT_CH2) << 8;
}

/* Latch channel 2's count, then read it: one consistent value. */
static uint16_t ch2_latched16(void)
{
	kg_outb(PIT_CMD, PIT_LATCH(2));
	return ch2_read16();
}

static void ch2_load(int mode, uint16_t count)
{
	kg_outb(PIT_CMD, PIT_CW(2, 3, mode));
	kg_outb(PIT_CH2, count & 0xff);
	kg_outb(PIT_CH2, count >> 8);
}

#define CH2_COUNT	0xfff0

/*
 * Channel 2, gate on, mode 2 with count 0xfff0: two latched reads a
 * while apart give decreasing counts; a latch holds its value across a
 * trip to the host; after the latched value is read the count is live
 * again; the read-back command latches the status.
 */
static void guest_ch2_counts_down(void)
{
	uint16_t first, c = 0;
	int i;

	kg_outb(SPEAKER_PORT, 0x01);
	ch2_load(2, CH2_COUNT);
	first = ch2_latched16();
	for (i = 0; i < 100000; i++) {
		c = ch2_latched16();
		if (c != first)
			break;
	}
	pit_out[0] = first;
	pit_out[1] = c;
	/* Latch; the host looks at the latched state. */
	kg_outb(PIT_CMD, PIT_LATCH(2));
	GUEST_SYNC(1);
	pit_out[2] = ch2_read16();
	/* A new latch, read at once, then the live count after it. */
	pit_out[3] = ch2_latched16();
	for (i = 0; i < 100000; i++) {
		c = ch2_read16();
		if (c != pit_out[3])
			break;
	}
	pit_out[4] = c;
	/* Read-back of the status of channel 2. */
	kg_outb(PIT_CMD, PIT_READBACK_STATUS(2));
	GUEST_SYNC(2);
	pit_out[5] = kg_inb(PIT_CH2);
	GUEST_SYNC(3);
	GUEST_DONE();
}

/*
 * How far a down-counter moved from @before to @after, modulo 65536
 * (mode 2 reloads, and so wraps, every 55 ms).
 */
static uint16_t counted(uint64_t before, uint64_t after)
{
	return (uint16_t)(before - after);
}

struct pit_guest {
	struct kg_vm vm;
	bool made;
};

/* A VM with the irqchip, the PIT (@pit_flags) and vCPU 0 running @fn. */
static int pit_guest_create(struct pit_guest *g, uint32_t pit_flags,
			    void (*fn)(void))
{
	int r;

	memset(g, 0, sizeof(*g));
	r = kg_vm_create(&g->vm, KG_IRQCHIP);
	if (r)
		return r;
	g->made = true;
	r = -create_pit2(g->vm.vm_fd, pit_flags);
	if (r)
		return r;
	return kg_vcpu_add(&g->vm, 0, fn);
}

static void pit_guest_destroy(struct pit_guest *g)
{
	if (g->made)
		kg_vm_destroy(&g->vm);
}

#define REQUIRE_GUEST_PIT()						\
	do {								\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);		\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_PIT2);		\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_PIT_STATE2);		\
	} while (0)

TEST_F(pit, guest_channel2_count_latch_status)
{
	struct pit_guest g;
	struct kvm_pit_state2 ps;
	volatile uint64_t *out;

	REQUIRE_GUEST_PIT();
	ASSERT_EQ(0, pit_guest_create(&g, KVM_PIT_SPEAKER_DUMMY,
				      guest_ch2_counts_down));
	out = &KG_GUEST(&g.vm, pit_out[0]);

	KG_ASSERT_SYNC(&g.vm, 0, 1);
	/* Counting down: the second read is a little lower. */
	EXPECT_LT(0, counted(out[0], out[1])) TH_LOG("%#x then %#x",
						    (int)out[0], (int)out[1]);
	EXPECT_GT(0x8000, counted(out[0], out[1]));
	EXPECT_GE(CH2_COUNT, out[0]);
	ASSERT_EQ(0, get_pit2(g.vm.vm_fd, &ps));
	EXPECT_EQ(2, ps.channels[2].mode);
	EXPECT_EQ(3, ps.channels[2].rw_mode);
	EXPECT_EQ(CH2_COUNT, ps.channels[2].count);
	EXPECT_EQ(1, ps.channels[2].gate);
	/* Latched for a two-byte read (the channel's access mode). */
	EXPECT_EQ(3, ps.channels[2].count_latched);
	EXPECT_EQ(0, ps.channels[2].status_latched);

	KG_ASSERT_SYNC(&g.vm, 0, 2);
	/* The guest read exactly the latched value... */
	EXPECT_EQ(ps.channels[2].latched_count, out[2]);
	/* ...and the live count after a later latch moved on below it. */
	EXPECT_LT(0, counted(out[3], out[4]));
	EXPECT_GT(0x8000, counted(out[3], out[4]));
	ASSERT_EQ(0, get_pit2(g.vm.vm_fd, &ps));
	EXPECT_EQ(0, ps.channels[2].count_latched);
	EXPECT_EQ(1, ps.channels[2].status_latched);
	/* Status: OUT (bit 7), access 3, mode 2, binary. */
	EXPECT_EQ(0x34, ps.channels[2].status & 0x3f);

	KG_ASSERT_SYNC(&g.vm, 0, 3);
	EXPECT_EQ(ps.channels[2].status, out[5]);
	ASSERT_EQ(0, get_pit2(g.vm.vm_fd, &ps));
	EXPECT_EQ(0, ps.channels[2].status_latched);
	KG_ASSERT_DONE(&g.vm, 0);
	pit_guest_destroy(&g);
}

/*
 * Port 0x61: bit 0 is channel 2's gate, bit 1 the speaker data enable
 * (KVM_PIT_FLAGS_SPEAKER_DATA_ON), bit 5 channel 2's output, bit 4 a
 * refresh clock that toggles every few microseconds.
 */
static void guest_speaker_port(void)
{
	uint8_t v = 0, first;
	int i;

	kg_outb(SPEAKER_PORT, 0x00);
	pit_out[0] = kg_inb(SPEAKER_PORT);
	GUEST_SYNC(1);
	kg_outb(SPEAKER_PORT, 0x03);
	pit_out[1] = kg_inb(SPEAKER_PORT);
	GUEST_SYNC(2);

	/* Mode 0 with the longest count: OUT2 is low for 55 ms. */
	ch2_load(0, 0);
	pit_out[2] = kg_inb(SPEAKER_PORT);
	/* A count of 2: OUT2 goes high almost at once. */
	ch2_load(0, 2);
	for (i = 0; i < 100000; i++) {
		v = kg_inb(SPEAKER_PORT);
		if (v & 0x20)
			break;
	}
	pit_out[3] = v;

	/* The refresh bit toggles. */
	first = kg_inb(SPEAKER_PORT) & 0x10;
	for (i = 0; i < 100000; i++) {
		v = kg_inb(SPEAKER_PORT) & 0x10;
		if (v != first)
			break;
	}
	pit_out[4] = i;
	GUEST_SYNC(3);
	GUEST_DONE();
}

TEST_F(pit, guest_speaker_port)
{
	struct pit_guest g;
	struct kvm_pit_state2 ps;
	volatile uint64_t *out;

	REQUIRE_GUEST_PIT();
	ASSERT_EQ(0, pit_guest_create(&g, KVM_PIT_SPEAKER_DUMMY,
				      guest_speaker_port));
	out = &KG_GUEST(&g.vm, pit_out[0]);

	KG_ASSERT_SYNC(&g.vm, 0, 1);
	EXPECT_EQ(0, out[0] & 0x03);
	ASSERT_EQ(0, get_pit2(g.vm.vm_fd, &ps));
	EXPECT_EQ(0, ps.channels[2].gate);
	EXPECT_EQ(0, ps.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);

	KG_ASSERT_SYNC(&g.vm, 0, 2);
	EXPECT_EQ(0x03, out[1] & 0x03);
	ASSERT_EQ(0, get_pit2(g.vm.vm_fd, &ps));
	EXPECT_EQ(1, ps.channels[2].gate);
	EXPECT_EQ(KVM_PIT_FLAGS_SPEAKER_DATA_ON,
		  ps.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON);

	KG_ASSERT_SYNC(&g.vm, 0, 3);
	EXPECT_EQ(0, out[2] & 0x20) TH_LOG("port 0x61 %#x", (int)out[2]);
	EXPECT_EQ(0x20, out[3] & 0x20) TH_LOG("port 0x61 %#x", (int)out[3]);
	EXPECT_GT(100000, out[4]);
	KG_ASSERT_DONE(&g.vm, 0);
	pit_guest_destroy(&g);
}

/* Without KVM_PIT_SPEAKER_DUMMY port 0x61 is userspace's. */
static void guest_speaker_in(void)
{
	pit_out[0] = kg_inb(SPEAKER_PORT);
	GUEST_DONE();
}

TEST_F(pit, speaker_port_without_dummy_exits)
{
	struct pit_guest g;
	struct kg_ucall uc;
	struct kvm_run *run;

	REQUIRE_GUEST_PIT();
	ASSERT_EQ(0, pit_guest_create(&g, 0, guest_speaker_in));
	run = g.vm.v[0].run;
	ASSERT_EQ(KG_OTHER, kg_run(&g.vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(SPEAKER_PORT, run->io.port);
	EXPECT_EQ(KVM_EXIT_IO_IN, run->io.direction);
	EXPECT_EQ(1, run->io.size);
	*kt_io_data(run) = 0x5a;
	KG_ASSERT_DONE(&g.vm, 0);
	EXPECT_EQ(0x5a, KG_GUEST(&g.vm, pit_out[0]));
	pit_guest_destroy(&g);
}

TEST_HARNESS_MAIN
