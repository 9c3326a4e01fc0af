// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/ioapic.c: registers, edge and level delivery,
 * remote IRR and EOI, masking, irq sources, the RTC's coalescing, EOI
 * exit vectors and KVM_GET/SET_IRQCHIP state.
 */
#include "ioapic.h"
#include "unit.h"

#define SEL	KVMOD_IOAPIC_REG_SELECT
#define WIN	KVMOD_IOAPIC_REG_WINDOW

struct rec {
	int ret;			/* what deliver returns */
	unsigned int n;			/* deliveries */
	struct kvmod_irq_msg msg;	/* the last one */
	unsigned int pin;
	bool rtc_track;
	u32 pins;			/* bitmap of pins delivered */
};

static int rec_deliver(void *ctx, const struct kvmod_irq_msg *msg,
		       unsigned int pin, bool rtc_track)
{
	struct rec *r = ctx;

	r->n++;
	r->msg = *msg;
	r->pin = pin;
	r->rtc_track = rtc_track;
	r->pins |= 1U << pin;
	return r->ret;
}

static void rec_init(struct rec *r, int ret)
{
	memset(r, 0, sizeof(*r));
	r->ret = ret;
}

static void wr(struct kvmod_ioapic *io, u32 reg, u32 val, struct rec *r)
{
	kvmod_ioapic_write(io, SEL, reg, rec_deliver, r, NULL);
	kvmod_ioapic_write(io, WIN, val, rec_deliver, r, NULL);
}

static u32 rd(struct kvmod_ioapic *io, u32 reg)
{
	kvmod_ioapic_write(io, SEL, reg, NULL, NULL, NULL);
	return kvmod_ioapic_read(io, WIN);
}

/* Program a whole entry through the window, high half first. */
static void set_entry(struct kvmod_ioapic *io, unsigned int pin, u64 bits,
		      struct rec *r)
{
	wr(io, 0x11 + 2 * pin, (u32)(bits >> 32), r);
	wr(io, 0x10 + 2 * pin, (u32)bits, r);
}

static int irq(struct kvmod_ioapic *io, unsigned int pin, bool level,
	       struct rec *r)
{
	return kvmod_ioapic_set_irq(io, pin, 0, level, false, rec_deliver, r);
}

TEST(init_reset_state)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	unsigned int i;

	memset(&io, 0xa5, sizeof(io));
	kvmod_ioapic_init(&io);
	EXPECT_EQ(io.base_address, 0xfec00000);
	EXPECT_EQ(io.ioregsel, 0);
	EXPECT_EQ(io.id, 0);
	EXPECT_EQ(io.irr, 0);
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.base_address, 0xfec00000);
	EXPECT_EQ(st.irr, 0);
	EXPECT_EQ(st.pad, 0);
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		EXPECT_EQ(st.redirtbl[i].bits, KVMOD_IOAPIC_MASKED);

	/* Reset masks entries but keeps their other bits, as KVM. */
	io.redirtbl[3] = 0x1234000000008031ULL;
	io.base_address = 0xfed00000;
	io.ioregsel = 0x12;
	io.id = 5;
	io.irr = 0xff;
	io.irq_states[2] = 1;
	kvmod_ioapic_reset(&io);
	EXPECT_EQ(io.redirtbl[3], 0x1234000000018031ULL);
	EXPECT_EQ(io.base_address, 0xfec00000);
	EXPECT_EQ(io.ioregsel, 0);
	EXPECT_EQ(io.id, 0);
	EXPECT_EQ(io.irr, 0);
	EXPECT_EQ(io.irq_states[2], 1);
}

TEST(version_register)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	EXPECT_EQ(rd(&io, KVMOD_IOAPIC_REG_VERSION), 0x00170011);
	wr(&io, KVMOD_IOAPIC_REG_VERSION, 0x12345678, &r);
	EXPECT_EQ(rd(&io, KVMOD_IOAPIC_REG_VERSION), 0x00170011);
}

TEST(id_and_arb_registers)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	wr(&io, KVMOD_IOAPIC_REG_ID, 0xfdffffff, &r);
	EXPECT_EQ(io.id, 0xd);
	EXPECT_EQ(rd(&io, KVMOD_IOAPIC_REG_ID), 0x0d000000);
	EXPECT_EQ(rd(&io, KVMOD_IOAPIC_REG_ARB), 0x0d000000);
	wr(&io, KVMOD_IOAPIC_REG_ARB, 0x03000000, &r);
	EXPECT_EQ(io.id, 0xd);
	/* An ID from KVM_SET_IRQCHIP reads back masked to 4 bits. */
	io.id = 0x35;
	EXPECT_EQ(rd(&io, KVMOD_IOAPIC_REG_ID), 0x05000000);
}

TEST(ioregsel_and_missing_registers)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	kvmod_ioapic_write(&io, SEL, 0x1234, rec_deliver, &r, NULL);
	EXPECT_EQ(kvmod_ioapic_read(&io, SEL), 0x34);
	EXPECT_EQ(rd(&io, 0x03), 0xffffffff);
	EXPECT_EQ(rd(&io, 0x0f), 0xffffffff);
	EXPECT_EQ(rd(&io, 0x40), 0xffffffff);
	EXPECT_EQ(rd(&io, 0xff), 0xffffffff);
	/* Writes there go nowhere. */
	wr(&io, 0x40, 0, &r);
	wr(&io, 0x05, 0, &r);
	EXPECT_EQ(rd(&io, 0x3f), 0);
	EXPECT_EQ(rd(&io, 0x3e), KVMOD_IOAPIC_MASKED);
	/* A large IOREGSEL from KVM_SET_IRQCHIP is no register either. */
	io.ioregsel = 0x10010;
	EXPECT_EQ(kvmod_ioapic_read(&io, WIN), 0xffffffff);
	EXPECT_EQ(r.n, 0);
}

TEST(redirection_halves)
{
	struct kvmod_ioapic io;
	struct kvmod_ioapic_write_info info;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	kvmod_ioapic_write(&io, SEL, 0x15, NULL, NULL, &info);
	EXPECT_EQ(info.pin, -1);
	kvmod_ioapic_write(&io, WIN, 0xab000000, rec_deliver, &r, &info);
	EXPECT_EQ(info.pin, 2);
	EXPECT_EQ(info.old_bits, KVMOD_IOAPIC_MASKED);
	EXPECT_EQ(io.redirtbl[2], 0xab00000000010000ULL);
	kvmod_ioapic_write(&io, SEL, 0x14, NULL, NULL, NULL);
	kvmod_ioapic_write(&io, WIN, 0x000009f1, rec_deliver, &r, &info);
	EXPECT_EQ(info.pin, 2);
	EXPECT_EQ(info.old_bits, 0xab00000000010000ULL);
	EXPECT_EQ(io.redirtbl[2], 0xab000000000009f1ULL);
	EXPECT_EQ(rd(&io, 0x14), 0x9f1);
	EXPECT_EQ(rd(&io, 0x15), 0xab000000);
	/* The last pin is 0x3e/0x3f. */
	wr(&io, 0x3f, 0x11223344, &r);
	EXPECT_EQ(io.redirtbl[23] >> 32, 0x11223344);
	/* The ID write says no entry changed. */
	kvmod_ioapic_write(&io, SEL, 0, NULL, NULL, NULL);
	kvmod_ioapic_write(&io, WIN, 0, rec_deliver, &r, &info);
	EXPECT_EQ(info.pin, -1);
	EXPECT_EQ(r.n, 0);
}

TEST(read_only_bits)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	/* Delivery status and remote IRR cannot be written... */
	wr(&io, 0x10, 0x0001f030, &r);
	EXPECT_EQ(io.redirtbl[0], 0x1a030ULL);
	/* ...nor cleared on a level entry... */
	io.redirtbl[0] |= KVMOD_IOAPIC_REMOTE_IRR | KVMOD_IOAPIC_DELIV_STATUS;
	wr(&io, 0x10, 0x00018030, &r);
	EXPECT_EQ(io.redirtbl[0], 0x1d030ULL);
	wr(&io, 0x11, 0x01000000, &r);
	EXPECT_EQ(io.redirtbl[0], 0x010000000001d030ULL);
	/* ...but an entry turned edge-triggered loses remote IRR. */
	wr(&io, 0x10, 0x00010030, &r);
	EXPECT_EQ(io.redirtbl[0], 0x0100000000011030ULL);
	EXPECT_EQ(r.n, 0);
}

TEST(other_offsets)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	kvmod_ioapic_write(&io, SEL, 0x10, NULL, NULL, NULL);
	EXPECT_EQ(kvmod_ioapic_read(&io, 0x04), 0);
	EXPECT_EQ(kvmod_ioapic_read(&io, 0x20), 0);
	EXPECT_EQ(kvmod_ioapic_read(&io, 0x40), 0);
	EXPECT_EQ(kvmod_ioapic_read(&io, 0x11), 0);
	/* The EOI register of version 0x20 IOAPICs is not there. */
	io.redirtbl[0] = 0x8030 | KVMOD_IOAPIC_REMOTE_IRR;
	io.irr = 1;
	kvmod_ioapic_write(&io, 0x40, 0x30, rec_deliver, &r, NULL);
	EXPECT_EQ(io.redirtbl[0], 0x8030 | KVMOD_IOAPIC_REMOTE_IRR);
	kvmod_ioapic_write(&io, 0x14, 0x30, rec_deliver, &r, NULL);
	EXPECT_EQ(io.ioregsel, 0x10);
	/* Only the low 8 bits of the offset are decoded. */
	kvmod_ioapic_write(&io, 0x100, 0x12, NULL, NULL, NULL);
	EXPECT_EQ(io.ioregsel, 0x12);
	EXPECT_EQ(kvmod_ioapic_read(&io, 0x210), KVMOD_IOAPIC_MASKED);
	EXPECT_EQ(r.n, 0);
}

TEST(mmio_sizes)
{
	struct kvmod_ioapic io;
	struct kvmod_ioapic_write_info info;
	u8 buf[8];
	u64 v64;
	u32 v32;
	u16 v16;
	u8 v8;

	kvmod_ioapic_init(&io);
	io.redirtbl[0] = 0xaabbccdd11223344ULL;
	kvmod_ioapic_write(&io, SEL, 0x11, NULL, NULL, NULL);

	memset(buf, 0xee, sizeof(buf));
	EXPECT_TRUE(kvmod_ioapic_mmio_read(&io, WIN, 1, buf));
	EXPECT_EQ(buf[0], 0xdd);
	EXPECT_EQ(buf[1], 0xee);
	EXPECT_TRUE(kvmod_ioapic_mmio_read(&io, WIN, 2, &v16));
	EXPECT_EQ(v16, 0xccdd);
	EXPECT_TRUE(kvmod_ioapic_mmio_read(&io, WIN, 4, &v32));
	EXPECT_EQ(v32, 0xaabbccdd);
	v64 = ~0ULL;
	EXPECT_TRUE(kvmod_ioapic_mmio_read(&io, WIN, 8, &v64));
	EXPECT_EQ(v64, 0xaabbccdd);
	memset(buf, 0xee, sizeof(buf));
	EXPECT_FALSE(kvmod_ioapic_mmio_read(&io, WIN, 3, buf));
	EXPECT_FALSE(kvmod_ioapic_mmio_read(&io, WIN, 0, buf));
	EXPECT_EQ(buf[0], 0xee);

	/* 1 and 2 bytes zero-extend, 8 bytes write the low 4. */
	v8 = 0x15;
	EXPECT_TRUE(kvmod_ioapic_mmio_write(&io, SEL, 1, &v8, NULL, NULL,
					    NULL));
	EXPECT_EQ(io.ioregsel, 0x15);
	v16 = 0x1234;
	EXPECT_TRUE(kvmod_ioapic_mmio_write(&io, WIN, 2, &v16, NULL, NULL,
					    &info));
	EXPECT_EQ(info.pin, 2);
	EXPECT_EQ(io.redirtbl[2] >> 32, 0x1234);
	v64 = 0x9999999955667788ULL;
	EXPECT_TRUE(kvmod_ioapic_mmio_write(&io, WIN, 8, &v64, NULL, NULL,
					    NULL));
	EXPECT_EQ(io.redirtbl[2] >> 32, 0x55667788);
	v32 = 0x14;
	EXPECT_FALSE(kvmod_ioapic_mmio_write(&io, SEL, 3, &v32, NULL, NULL,
					     &info));
	EXPECT_EQ(info.pin, -1);
	EXPECT_EQ(io.ioregsel, 0x15);
}

TEST(in_range)
{
	struct kvmod_ioapic io;

	kvmod_ioapic_init(&io);
	EXPECT_TRUE(kvmod_ioapic_in_range(&io, 0xfec00000));
	EXPECT_TRUE(kvmod_ioapic_in_range(&io, 0xfec000ff));
	EXPECT_FALSE(kvmod_ioapic_in_range(&io, 0xfec00100));
	EXPECT_FALSE(kvmod_ioapic_in_range(&io, 0xfebfffff));
	io.base_address = ~0ULL - 0x10;
	EXPECT_TRUE(kvmod_ioapic_in_range(&io, ~0ULL));
	EXPECT_FALSE(kvmod_ioapic_in_range(&io, 0));
}

TEST(entry_msg)
{
	struct kvmod_irq_msg m;

	/* dest 0x5a, level, logical, lowest priority, vector 0x41 */
	kvmod_ioapic_entry_msg(0x5a0000000000a941ULL | KVMOD_IOAPIC_POLARITY,
			       &m);
	EXPECT_EQ(m.dest, 0x5a);
	EXPECT_EQ(m.vector, 0x41);
	EXPECT_EQ(m.delivery_mode, KVMOD_DM_LOWEST);
	EXPECT_TRUE(m.logical);
	EXPECT_TRUE(m.level);
	EXPECT_TRUE(m.assert);
	EXPECT_EQ(m.shorthand, KVMOD_SH_NONE);
	EXPECT_FALSE(m.redirect_hint);

	kvmod_ioapic_entry_msg(0xff00000000000420ULL, &m);
	EXPECT_EQ(m.dest, 0xff);
	EXPECT_EQ(m.vector, 0x20);
	EXPECT_EQ(m.delivery_mode, KVMOD_DM_NMI);
	EXPECT_FALSE(m.logical);
	EXPECT_FALSE(m.level);
	EXPECT_TRUE(m.assert);
	kvmod_ioapic_entry_msg(0x700, &m);
	EXPECT_EQ(m.delivery_mode, KVMOD_DM_EXTINT);
}

TEST(edge_delivery_and_coalescing)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 4, 0x0300000000000834ULL, &r);	/* logical, 0x34 */
	EXPECT_EQ(r.n, 0);

	r.ret = 2;
	EXPECT_EQ(irq(&io, 4, true, &r), 2);
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ(r.pin, 4);
	EXPECT_FALSE(r.rtc_track);
	EXPECT_EQ(r.msg.vector, 0x34);
	EXPECT_EQ(r.msg.dest, 3);
	EXPECT_TRUE(r.msg.logical);
	EXPECT_FALSE(r.msg.level);
	EXPECT_EQ(io.irr, 1U << 4);
	/* Delivered edges are not pending in the saved state. */
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.irr, 0);
	EXPECT_EQ(io.redirtbl[4] & KVMOD_IOAPIC_REMOTE_IRR, 0);

	/* Asserted again without a falling edge: coalesced. */
	EXPECT_EQ(irq(&io, 4, true, &r), 0);
	EXPECT_EQ(r.n, 1);
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.irr, 1U << 4);

	EXPECT_EQ(irq(&io, 4, false, &r), 1);
	EXPECT_EQ(io.irr, 0);
	EXPECT_EQ(irq(&io, 4, false, &r), 1);
	EXPECT_EQ(irq(&io, 4, true, &r), 2);
	EXPECT_EQ(r.n, 2);

	/* No destination: -1, nothing else changes for edge. */
	irq(&io, 4, false, &r);
	r.ret = -1;
	EXPECT_EQ(irq(&io, 4, true, &r), -1);
	EXPECT_EQ(io.redirtbl[4] & KVMOD_IOAPIC_REMOTE_IRR, 0);
}

TEST(edge_masked)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 1, 0x10031ULL, &r);		/* masked */
	EXPECT_EQ(irq(&io, 1, true, &r), -1);
	EXPECT_EQ(r.n, 0);
	EXPECT_EQ(io.irr, 2);
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.irr, 2);
	/* Unmasking does not deliver a pending edge... */
	wr(&io, 0x12, 0x31, &r);
	EXPECT_EQ(r.n, 0);
	/* ...and it stays pending: a new assertion is coalesced. */
	EXPECT_EQ(irq(&io, 1, true, &r), 0);
	EXPECT_EQ(r.n, 0);
	irq(&io, 1, false, &r);
	EXPECT_EQ(irq(&io, 1, true, &r), 1);
	EXPECT_EQ(r.n, 1);
}

TEST(level_remote_irr_and_eoi)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 9, 0x0100000000008051ULL, &r);	/* level, 0x51 */
	EXPECT_EQ(irq(&io, 9, true, &r), 1);
	EXPECT_EQ(r.n, 1);
	EXPECT_TRUE(r.msg.level);
	EXPECT_TRUE(r.msg.assert);
	EXPECT_EQ(r.msg.vector, 0x51);
	EXPECT_TRUE(io.redirtbl[9] & KVMOD_IOAPIC_REMOTE_IRR);
	EXPECT_EQ(rd(&io, 0x22) & (1U << 14), 1U << 14);

	/* Waiting for EOI: -1, and no delivery. */
	EXPECT_EQ(irq(&io, 9, true, &r), -1);
	EXPECT_EQ(r.n, 1);

	/* An EOI of another vector changes nothing. */
	EXPECT_FALSE(kvmod_ioapic_eoi(&io, 0x52, rec_deliver, &r));
	EXPECT_TRUE(io.redirtbl[9] & KVMOD_IOAPIC_REMOTE_IRR);

	/* EOI while still asserted: delivered again. */
	EXPECT_FALSE(kvmod_ioapic_eoi(&io, 0x51, rec_deliver, &r));
	EXPECT_EQ(r.n, 2);
	EXPECT_TRUE(io.redirtbl[9] & KVMOD_IOAPIC_REMOTE_IRR);

	/* Deasserted, then EOI: remote IRR clear, nothing delivered. */
	EXPECT_EQ(irq(&io, 9, false, &r), 1);
	EXPECT_FALSE(kvmod_ioapic_eoi(&io, 0x51, rec_deliver, &r));
	EXPECT_EQ(r.n, 2);
	EXPECT_FALSE(io.redirtbl[9] & KVMOD_IOAPIC_REMOTE_IRR);
	EXPECT_EQ(io.irq_eoi[9], 0);
}

TEST(level_remote_irr_by_delivery_result)
{
	struct kvmod_ioapic io;
	struct rec r;

	kvmod_ioapic_init(&io);
	rec_init(&r, 0);
	set_entry(&io, 0, 0x8040ULL, &r);
	/* 0 LAPICs accepted: remote IRR stays clear, as in KVM. */
	EXPECT_EQ(irq(&io, 0, true, &r), 0);
	EXPECT_FALSE(io.redirtbl[0] & KVMOD_IOAPIC_REMOTE_IRR);
	/* No destination at all (-1) sets it. */
	r.ret = -1;
	EXPECT_EQ(irq(&io, 0, true, &r), -1);
	EXPECT_EQ(r.n, 2);
	EXPECT_TRUE(io.redirtbl[0] & KVMOD_IOAPIC_REMOTE_IRR);
}

TEST(level_masked_then_unmasked)
{
	struct kvmod_ioapic io;
	struct kvmod_ioapic_write_info info;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 5, 0x18060ULL, &r);		/* level, masked */
	EXPECT_EQ(irq(&io, 5, true, &r), -1);
	EXPECT_EQ(r.n, 0);
	EXPECT_FALSE(io.redirtbl[5] & KVMOD_IOAPIC_REMOTE_IRR);

	/* Writing the high half keeps it masked: nothing yet. */
	wr(&io, 0x1b, 0x02000000, &r);
	EXPECT_EQ(r.n, 0);

	/* Unmasked while asserted: delivered by the write. */
	kvmod_ioapic_write(&io, SEL, 0x1a, NULL, NULL, NULL);
	kvmod_ioapic_write(&io, WIN, 0x8060, rec_deliver, &r, &info);
	EXPECT_EQ(info.pin, 5);
	EXPECT_TRUE(info.old_bits & KVMOD_IOAPIC_MASKED);
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ(r.pin, 5);
	EXPECT_EQ(r.msg.dest, 2);
	EXPECT_TRUE(io.redirtbl[5] & KVMOD_IOAPIC_REMOTE_IRR);

	/* Any later write of the entry does not deliver again. */
	wr(&io, 0x1a, 0x8060, &r);
	EXPECT_EQ(r.n, 1);
}

TEST(level_unmasked_after_deassert)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 5, 0x18060ULL, &r);
	irq(&io, 5, true, &r);
	irq(&io, 5, false, &r);
	wr(&io, 0x1a, 0x8060, &r);
	EXPECT_EQ(r.n, 0);
	/* An edge entry is never serviced by a write. */
	set_entry(&io, 6, 0x10061ULL, &r);
	irq(&io, 6, true, &r);
	wr(&io, 0x1c, 0x61, &r);
	EXPECT_EQ(r.n, 0);
}

TEST(masked_level_eoi)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 3, 0x8033ULL, &r);
	irq(&io, 3, true, &r);
	EXPECT_EQ(r.n, 1);
	/* Masked while in service: EOI clears remote IRR only. */
	wr(&io, 0x16, 0x18033, &r);
	EXPECT_FALSE(kvmod_ioapic_eoi(&io, 0x33, rec_deliver, &r));
	EXPECT_EQ(r.n, 1);
	EXPECT_FALSE(io.redirtbl[3] & KVMOD_IOAPIC_REMOTE_IRR);
	/* Unmasked while still asserted: delivered. */
	wr(&io, 0x16, 0x8033, &r);
	EXPECT_EQ(r.n, 2);
}

TEST(eoi_clears_every_pin_of_the_vector)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 10, 0x8070ULL, &r);
	set_entry(&io, 11, 0x8070ULL, &r);
	set_entry(&io, 12, 0x8071ULL, &r);
	irq(&io, 10, true, &r);
	irq(&io, 11, true, &r);
	irq(&io, 12, true, &r);
	EXPECT_EQ(kvmod_ioapic_vector_pins(&io, 0x70), 0x0c00);
	EXPECT_EQ(kvmod_ioapic_vector_pins(&io, 0x71), 0x1000);
	EXPECT_EQ(kvmod_ioapic_vector_pins(&io, 0x72), 0);
	irq(&io, 10, false, &r);
	r.pins = 0;
	kvmod_ioapic_eoi(&io, 0x70, rec_deliver, &r);
	EXPECT_EQ(r.pins, 1U << 11);
	EXPECT_FALSE(io.redirtbl[10] & KVMOD_IOAPIC_REMOTE_IRR);
	EXPECT_TRUE(io.redirtbl[11] & KVMOD_IOAPIC_REMOTE_IRR);
	EXPECT_TRUE(io.redirtbl[12] & KVMOD_IOAPIC_REMOTE_IRR);

	/* eoi_pin() alone, and out of range. */
	EXPECT_FALSE(kvmod_ioapic_eoi_pin(&io, 12, rec_deliver, &r));
	EXPECT_EQ(r.pin, 12);
	EXPECT_FALSE(kvmod_ioapic_eoi_pin(&io, 24, rec_deliver, &r));
}

TEST(eoi_storm_is_delayed)
{
	struct kvmod_ioapic io;
	struct rec r;
	unsigned int i;
	bool delay = false;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 7, 0x8077ULL, &r);
	irq(&io, 7, true, &r);
	for (i = 1; i < KVMOD_IOAPIC_EOI_STORM; i++)
		delay |= kvmod_ioapic_eoi(&io, 0x77, rec_deliver, &r);
	EXPECT_FALSE(delay);
	EXPECT_EQ(r.n, KVMOD_IOAPIC_EOI_STORM);
	EXPECT_EQ(io.irq_eoi[7], KVMOD_IOAPIC_EOI_STORM - 1);

	/* The 10000th: not delivered now, the caller delays it. */
	EXPECT_TRUE(kvmod_ioapic_eoi(&io, 0x77, rec_deliver, &r));
	EXPECT_EQ(r.n, KVMOD_IOAPIC_EOI_STORM);
	EXPECT_EQ(io.irq_eoi[7], 0);
	EXPECT_FALSE(io.redirtbl[7] & KVMOD_IOAPIC_REMOTE_IRR);

	kvmod_ioapic_eoi_inject(&io, rec_deliver, &r);
	EXPECT_EQ(r.n, KVMOD_IOAPIC_EOI_STORM + 1);
	EXPECT_TRUE(io.redirtbl[7] & KVMOD_IOAPIC_REMOTE_IRR);
	/* Nothing left to inject. */
	kvmod_ioapic_eoi_inject(&io, rec_deliver, &r);
	EXPECT_EQ(r.n, KVMOD_IOAPIC_EOI_STORM + 1);

	/* An EOI that finds the line low restarts the count. */
	EXPECT_FALSE(kvmod_ioapic_eoi(&io, 0x77, rec_deliver, &r));
	EXPECT_EQ(io.irq_eoi[7], 1);
	irq(&io, 7, false, &r);
	kvmod_ioapic_eoi(&io, 0x77, rec_deliver, &r);
	EXPECT_EQ(io.irq_eoi[7], 0);
}

TEST(eoi_inject_skips_edge_and_in_service)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 0, 0x20ULL, &r);			/* edge */
	set_entry(&io, 1, 0x8021ULL, &r);		/* level */
	irq(&io, 0, true, &r);
	irq(&io, 1, true, &r);
	EXPECT_EQ(r.n, 2);
	kvmod_ioapic_eoi_inject(&io, rec_deliver, &r);
	EXPECT_EQ(r.n, 2);
}

TEST(irq_sources)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 2, 0x8022ULL, &r);
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 2, 0, true, false, rec_deliver,
				       &r), 1);
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 2, 63, true, false, rec_deliver,
				       &r), -1);
	/* One source still asserts it: the line stays high. */
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 2, 0, false, false, rec_deliver,
				       &r), -1);
	EXPECT_EQ(io.irr, 1U << 2);
	EXPECT_EQ(io.irq_states[2], 1ULL << 63);
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 2, 63, false, false, rec_deliver,
				       &r), 1);
	EXPECT_EQ(io.irr, 0);

	/* Clearing a source does not touch IRR. */
	kvmod_ioapic_set_irq(&io, 2, 5, true, false, rec_deliver, &r);
	kvmod_ioapic_set_irq(&io, 3, 5, true, false, rec_deliver, &r);
	kvmod_ioapic_clear_source(&io, 5);
	EXPECT_EQ(io.irq_states[2], 0);
	EXPECT_EQ(io.irq_states[3], 0);
	EXPECT_EQ(io.irr, 0x0c);
	kvmod_ioapic_clear_source(&io, 64);

	/* Out of range. */
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 24, 0, true, false, rec_deliver,
				       &r), -1);
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 0, 64, true, false, rec_deliver,
				       &r), -1);
	EXPECT_EQ(io.irr, 0x0c);
}

TEST(rtc_coalescing)
{
	struct kvmod_ioapic io;
	struct rec r;

	rec_init(&r, 2);
	kvmod_ioapic_init(&io);
	set_entry(&io, 8, 0x28ULL, &r);
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 8, 0, true, true, rec_deliver,
				       &r), 2);
	EXPECT_TRUE(r.rtc_track);
	EXPECT_EQ(io.rtc_pending_eoi, 2);
	kvmod_ioapic_set_irq(&io, 8, 0, false, true, rec_deliver, &r);

	/* Not yet EOI'd by both LAPICs: coalesced, IRR untouched. */
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 8, 0, true, true, rec_deliver,
				       &r), 0);
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ(io.irr, 0);
	EXPECT_TRUE(kvmod_ioapic_rtc_eoi(&io));
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 8, 0, true, true, rec_deliver,
				       &r), 0);
	EXPECT_TRUE(kvmod_ioapic_rtc_eoi(&io));
	EXPECT_FALSE(kvmod_ioapic_rtc_eoi(&io));
	EXPECT_EQ(io.rtc_pending_eoi, 0);

	r.ret = -1;
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 8, 0, true, true, rec_deliver,
				       &r), -1);
	EXPECT_EQ(r.n, 2);
	EXPECT_EQ(io.rtc_pending_eoi, 0);
	kvmod_ioapic_set_irq(&io, 8, 0, false, true, rec_deliver, &r);

	/* Without line status the RTC is an ordinary edge pin. */
	io.rtc_pending_eoi = 1;
	r.ret = 1;
	EXPECT_EQ(kvmod_ioapic_set_irq(&io, 8, 0, true, false, rec_deliver,
				       &r), 1);
	EXPECT_FALSE(r.rtc_track);
	EXPECT_EQ(io.rtc_pending_eoi, 1);

	/* Other pins are never tracked. */
	set_entry(&io, 7, 0x27ULL, &r);
	kvmod_ioapic_set_irq(&io, 7, 0, true, true, rec_deliver, &r);
	EXPECT_EQ(r.pin, 7);
	EXPECT_FALSE(r.rtc_track);
}

static bool match_dest1(void *ctx, const struct kvmod_irq_msg *msg)
{
	(void)ctx;
	return msg->dest == 1;
}

TEST(eoi_vectors)
{
	struct kvmod_ioapic io;
	u64 v[4] = { 0 };
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	set_entry(&io, 0, 0x0100000000008041ULL, &r);	/* level, dest 1 */
	set_entry(&io, 1, 0x02000000000180c2ULL, &r);	/* level, masked */
	set_entry(&io, 2, 0x01000000000000f3ULL, &r);	/* edge */
	set_entry(&io, 8, 0x0100000000000004ULL, &r);	/* edge (RTC) */
	/* Masked pins 3-23 (vector 0) are edge: not included. */
	kvmod_ioapic_eoi_vectors(&io, 0, NULL, NULL, v);
	EXPECT_EQ(v[0], 0);
	EXPECT_EQ(v[1], 1ULL << 1);
	EXPECT_EQ(v[2], 0);
	EXPECT_EQ(v[3], 1ULL << 2);

	memset(v, 0, sizeof(v));
	kvmod_ioapic_eoi_vectors(&io, 1U << 8 | 1U << 2, NULL, NULL, v);
	EXPECT_EQ(v[0], 1ULL << 4);
	EXPECT_EQ(v[3], 1ULL << 2 | 1ULL << 51);

	memset(v, 0, sizeof(v));
	kvmod_ioapic_eoi_vectors(&io, 1U << 8, match_dest1, NULL, v);
	EXPECT_EQ(v[0], 1ULL << 4);
	EXPECT_EQ(v[1], 1ULL << 1);
	EXPECT_EQ(v[3], 0);
}

TEST(get_state_layout)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	unsigned int i;

	kvmod_ioapic_init(&io);
	io.base_address = 0x123456789000ULL;
	io.ioregsel = 0x3f;
	io.id = 0x77;
	io.irr = 0x00ff00ff;
	io.irr_delivered = 0x0f;
	io.pad = 0xdeadbeef;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		io.redirtbl[i] = 0x0101010101010101ULL * i;
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.base_address, 0x123456789000ULL);
	EXPECT_EQ(st.ioregsel, 0x3f);
	EXPECT_EQ(st.id, 0x77);
	EXPECT_EQ(st.irr, 0x00ff00f0);
	EXPECT_EQ(st.pad, 0xdeadbeef);
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		EXPECT_EQ(st.redirtbl[i].bits, 0x0101010101010101ULL * i);
	EXPECT_EQ(st.redirtbl[3].fields.vector, 3);
	EXPECT_EQ(st.redirtbl[5].fields.dest_id, 5);
}

TEST(set_state_round_trip)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st, st2;
	struct rec r;
	unsigned int i;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	memset(&st, 0, sizeof(st));
	st.base_address = 0xfec01000;
	st.ioregsel = 0xabcdef;
	st.id = 0x1234;
	st.pad = 0x55aa55aa;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		st.redirtbl[i].bits = (0x11000000000100a0ULL + i) |
				      KVMOD_IOAPIC_DELIV_STATUS;
	st.redirtbl[3].bits |= KVMOD_IOAPIC_REMOTE_IRR | KVMOD_IOAPIC_LEVEL;
	st.irr = 0x0000000a;		/* pins 1 and 3, all masked */
	kvmod_ioapic_set_state(&io, &st, rec_deliver, &r);
	EXPECT_EQ(r.n, 0);
	kvmod_ioapic_get_state(&io, &st2);
	EXPECT_EQ(memcmp(&st, &st2, sizeof(st)), 0);
	/* The irq sources are not part of the state. */
	EXPECT_EQ(io.irq_states[1], 0);
}

TEST(set_state_reinjects)
{
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	struct rec r;

	rec_init(&r, 1);
	kvmod_ioapic_init(&io);
	kvmod_ioapic_get_state(&io, &st);
	st.redirtbl[1].bits = 0x31;			/* edge, unmasked */
	st.redirtbl[2].bits = 0x8032;			/* level, unmasked */
	st.redirtbl[3].bits = 0x8033 | KVMOD_IOAPIC_REMOTE_IRR;
	st.redirtbl[8].bits = 0x38;			/* RTC */
	st.irr = 0xff00010e;				/* 1, 2, 3, 8, >23 */
	io.irr_delivered = 0xffffffff;
	kvmod_ioapic_set_state(&io, &st, rec_deliver, &r);
	EXPECT_EQ(r.pins, 1U << 1 | 1U << 2 | 1U << 8);
	EXPECT_EQ(r.pin, 8);
	EXPECT_TRUE(r.rtc_track);		/* as with line status */
	EXPECT_EQ(io.rtc_pending_eoi, 1);
	EXPECT_EQ(io.irr, 0x10e);
	EXPECT_EQ(io.irr_delivered, 1U << 1 | 1U << 8);
	EXPECT_TRUE(io.redirtbl[2] & KVMOD_IOAPIC_REMOTE_IRR);
	kvmod_ioapic_get_state(&io, &st);
	EXPECT_EQ(st.irr, 0x0c);
}
