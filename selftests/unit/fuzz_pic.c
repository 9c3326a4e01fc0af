// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for irqchip/pic.c.
 *
 * Input: a sequence of operations, each an opcode byte (low 3 bits)
 * followed by its operands:
 *   0 port write (port index, value)   1 port read (port index)
 *   2 set_irq (line | level << 4)      3 INTA
 *   4 set_state (chip, 16 state bytes) 5 take_events
 *   6 toggle no_extint_vcpu            7 get_state round trip (chip)
 *
 * Checks after each operation:
 *  - set_irq returns -1, 0 or 1, and -1 exactly when the line is masked;
 *    0 only for a request that was already pending;
 *  - INTA returns irq_base + (irq & 7) of the answering chip, irq 0-15;
 *    a request it takes leaves ISR set (or, with auto-EOI, an ack);
 *    when INTR is low after set_irq/INTA/set_state, INTA is spurious
 *    (IRQ 7) and changes no register but the master's IR2 latch;
 *  - reads without poll return IRR/ISR/IMR/ELCR, a poll returns 0-7,
 *    ELCR writes are masked by elcr_mask;
 *  - set_state then get_state gives back every byte (but the master's
 *    IR2 bits of irr/last_irr, which the cascade may latch);
 *  - the event masks hold only lines whose registers said so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pic.h"
#include "fuzz_check.h"

static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1, 0x22 };

struct input {
	const u8 *data;
	size_t size, pos;
};

static u8 next(struct input *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

static void both_states(const struct kvmod_pic *pic, struct kvm_pic_state *st)
{
	kvmod_pic_get_state(pic, 0, &st[0]);
	kvmod_pic_get_state(pic, 1, &st[1]);
}

static void do_write(struct kvmod_pic *pic, struct input *in)
{
	u16 port = ports[next(in) % KVMOD_ARRAY_SIZE(ports)];
	u8 val = next(in);

	kvmod_pic_write(pic, port, val);
	if (port == 0x4d0 || port == 0x4d1)
		CHECK(pic->chip[port & 1].elcr ==
		      (val & pic->chip[port & 1].elcr_mask));
}

static void do_read(struct kvmod_pic *pic, struct input *in)
{
	u16 port = ports[next(in) % KVMOD_ARRAY_SIZE(ports)];
	struct kvmod_pic_chip before;
	unsigned int chip = port >= 0xa0 ? 1 : 0;
	u8 val;

	if (port >= 0x4d0) {
		CHECK(kvmod_pic_read(pic, port) == pic->chip[port & 1].elcr);
		return;
	}
	if (port == 0x22) {
		CHECK(kvmod_pic_read(pic, port) == 0xff);
		return;
	}
	before = pic->chip[chip];
	val = kvmod_pic_read(pic, port);
	if (before.poll) {
		CHECK(val <= 7);
		CHECK(!pic->chip[chip].poll);
		/* a polled request is out of service (7 may be spurious) */
		CHECK(val == 7 || !(pic->chip[chip].isr & (1u << val)));
		CHECK(val == 7 || !(pic->chip[chip].irr & (1u << val)) ||
		      chip == 0);
	} else if (port & 1) {
		CHECK(val == before.imr);
	} else {
		CHECK(val == (before.read_reg_select ? before.isr :
			      before.irr));
	}
	if (!before.poll)
		CHECK(!memcmp(&before, &pic->chip[chip], sizeof(before)));
}

/* Returns false if nothing was done (INTR not recomputed). */
static bool do_set_irq(struct kvmod_pic *pic, struct input *in)
{
	u8 b = next(in);
	unsigned int irq = b & 15, ir = irq & 7;
	struct kvmod_pic_chip *c = &pic->chip[irq >> 3];
	bool level = b & 0x10;
	u8 irr = c->irr, imr = c->imr;
	int ret;

	/* now and then a line past 15 */
	if (b & 0x20 && b & 0x40) {
		CHECK(kvmod_pic_set_irq(pic, 16 + b, level) == -1);
		return false;
	}
	ret = kvmod_pic_set_irq(pic, irq, level);
	CHECK(ret >= -1 && ret <= 1);
	CHECK(c->imr == imr);
	CHECK((ret == -1) == !!(imr & (1u << ir)));
	if (ret == 0)
		CHECK(level && (irr & (1u << ir)));
	/* a line at level 1 is requested unless the edge was already seen */
	if (level && irq != 2)
		CHECK((c->irr & (1u << ir)) || !(c->elcr & (1u << ir)));
	if (!level && (c->elcr & (1u << ir)) && irq != 2)
		CHECK(!(c->irr & (1u << ir)));
	return true;
}

static void do_ack(struct kvmod_pic *pic, bool fresh)
{
	struct kvm_pic_state before[2], after[2];
	struct kvmod_pic_chip m = pic->chip[0];
	bool intr = kvmod_pic_intr(pic);
	u16 acked = pic->acked;
	int irq = -1, vec;

	both_states(pic, before);
	vec = kvmod_pic_ack(pic, &irq);
	both_states(pic, after);
	CHECK(irq >= 0 && irq <= 15);
	CHECK(vec == pic->chip[irq >> 3].irq_base + (irq & 7));
	CHECK(vec >= 0 && vec <= 0xff + 7);
	if (fresh && !intr) {
		CHECK(irq == 7);
		CHECK(pic->acked == acked);
		/*
		 * Unchanged, but for the master's IR2: a cascade pulse can
		 * latch it now if the last one found last_irr bit 2 set.
		 */
		CHECK(!((before[0].irr ^ after[0].irr) & ~0x04));
		CHECK(!((before[0].last_irr ^ after[0].last_irr) & ~0x04));
		after[0].irr = before[0].irr;
		after[0].last_irr = before[0].last_irr;
		CHECK(!memcmp(before, after, sizeof(before)));
	}
	if (fresh && intr) {
		unsigned int ir = irq < 8 ? irq : 2;

		/* the master took a request: IR irq or the cascade */
		if (m.auto_eoi)
			CHECK(pic->acked & (1u << ir));
		else
			CHECK(pic->chip[0].isr & (1u << ir));
	}
}

static void do_set_state(struct kvmod_pic *pic, struct input *in)
{
	struct kvm_pic_state st, back;
	unsigned int chip = next(in), i;
	u8 *p = (u8 *)&st;
	int ret;

	for (i = 0; i < sizeof(st); i++)
		p[i] = next(in);
	chip = chip & 0x80 ? chip : chip & 1;
	ret = kvmod_pic_set_state(pic, chip, &st);
	if (chip > 1) {
		CHECK(ret == -1);
		return;
	}
	CHECK(ret == 0);
	kvmod_pic_get_state(pic, chip, &back);
	if (chip == 0) {
		CHECK(!((st.irr ^ back.irr) & ~0x04));
		CHECK(!((st.last_irr ^ back.last_irr) & ~0x04));
		st.irr = back.irr;
		st.last_irr = back.last_irr;
	}
	CHECK(!memcmp(&st, &back, sizeof(st)));
}

static void do_round_trip(struct kvmod_pic *pic, struct input *in)
{
	unsigned int chip = next(in) & 1;
	struct kvm_pic_state st, back;
	struct kvmod_pic copy = *pic;

	kvmod_pic_get_state(pic, chip, &st);
	/* the slave alone: the master can latch IR2, nothing else */
	CHECK(kvmod_pic_set_state(&copy, chip, &st) == 0);
	kvmod_pic_get_state(&copy, chip, &back);
	if (chip == 0) {
		CHECK(!((st.irr ^ back.irr) & ~0x04));
		CHECK(!((st.last_irr ^ back.last_irr) & ~0x04));
		back.irr = st.irr;
		back.last_irr = st.last_irr;
	}
	CHECK(!memcmp(&st, &back, sizeof(st)));
	CHECK(kvmod_pic_intr(pic) == kvmod_pic_intr(pic));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct kvmod_pic pic;
	u16 acked, mask_changed;
	bool fresh = true;

	kvmod_pic_reset(&pic);
	while (in.pos < in.size) {
		switch (next(&in) & 7) {
		case 0:
			do_write(&pic, &in);
			fresh = false;
			break;
		case 1:
			do_read(&pic, &in);
			fresh = false;
			break;
		case 2:
			if (do_set_irq(&pic, &in))
				fresh = true;
			break;
		case 3:
			do_ack(&pic, fresh);
			fresh = true;
			break;
		case 4:
			do_set_state(&pic, &in);
			fresh = true;
			break;
		case 5:
			kvmod_pic_take_events(&pic, &acked, &mask_changed);
			CHECK(!pic.acked && !pic.mask_changed);
			break;
		case 6:
			pic.no_extint_vcpu = !pic.no_extint_vcpu;
			break;
		default:
			do_round_trip(&pic, &in);
			break;
		}
	}
	return 0;
}
