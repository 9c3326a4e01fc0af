// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A PIC pair (master 0x20/0x21, slave 0xa0/0xa1 cascaded on the
 * master's IR2) and the ELCR ports 0x4d0/0x4d1, with in-tree KVM's
 * behaviour: its register state, its KVM_IRQ_LINE_STATUS results and
 * the places where it departs from the datasheet, namely
 *  - special mask mode is recorded but does not change priorities;
 *  - ICW1 keeps ISR, except for the bits of pending edge requests,
 *    which it clears (only if some vCPU accepts PIC interrupts), and
 *    does not clear the poll command or the vector base;
 *  - a poll read returns the bare IRQ number (no bit 7);
 *  - INTR is recomputed only after line changes, INTA, OCW1, OCW2,
 *    polls and state restores, not after ICWs, OCW3 or ELCR writes;
 *  - the master's IR2 is fed by a pulse whenever the slave has a
 *    request, so it is latched as an edge and cleared at INTA.
 */
#include "pic.h"

#define PIC_MASTER	0
#define PIC_SLAVE	1
#define PIC_CASCADE_IR	2
#define PIC_NO_IRQ	8	/* "no priority": nothing in the mask */

/* ICW1 and OCW bits of writes to the even port. */
#define PIC_ICW1	0x10
#define PIC_ICW1_IC4	0x01
#define PIC_OCW3	0x08
#define PIC_OCW3_POLL	0x04
#define PIC_OCW3_RR	0x02
#define PIC_OCW3_RIS	0x01
#define PIC_OCW3_ESMM	0x40
#define PIC_OCW3_SMM	0x20

/* OCW2 commands, bits 7:5. */
#define PIC_OCW2_ROTATE_AEOI_CLEAR	0
#define PIC_OCW2_EOI			1
#define PIC_OCW2_SPECIFIC_EOI		3
#define PIC_OCW2_ROTATE_AEOI_SET	4
#define PIC_OCW2_ROTATE_EOI		5
#define PIC_OCW2_SET_PRIORITY		6
#define PIC_OCW2_ROTATE_SPECIFIC_EOI	7

/* ICW4 bits */
#define PIC_ICW4_AEOI	0x02
#define PIC_ICW4_SFNM	0x10

/*
 * Latch an input level into @c's IRR. Returns 0 if the request was
 * already pending, else 1; -1 if the line is masked.
 */
static int pic_chip_set_irq(struct kvmod_pic_chip *c, unsigned int ir,
			    bool level)
{
	u8 bit = 1u << ir;
	int ret = 1;

	if (c->elcr & bit) {
		if (level) {
			ret = !(c->irr & bit);
			c->irr |= bit;
			c->last_irr |= bit;
		} else {
			c->irr &= ~bit;
			c->last_irr &= ~bit;
		}
	} else if (level) {
		if (!(c->last_irr & bit)) {
			ret = !(c->irr & bit);
			c->irr |= bit;
		}
		c->last_irr |= bit;
	} else {
		c->last_irr &= ~bit;
	}
	return (c->imr & bit) ? -1 : ret;
}

/*
 * Priority rank (0 = highest) of the best IR set in @bits, counting from
 * priority_add; PIC_NO_IRQ if @bits is empty.
 */
static unsigned int pic_best_rank(const struct kvmod_pic_chip *c, u8 bits)
{
	unsigned int rank;

	for (rank = 0; rank < 8; rank++)
		if (bits & (1u << ((rank + c->priority_add) & 7)))
			return rank;
	return PIC_NO_IRQ;
}

/*
 * The IR that @c would present to the CPU now: the best unmasked
 * request, if it outranks everything in service. -1 if none.
 */
static int pic_chip_pending(const struct kvmod_pic *pic, unsigned int chip)
{
	const struct kvmod_pic_chip *c = &pic->chip[chip];
	unsigned int want, busy;
	u8 in_service = c->isr;

	want = pic_best_rank(c, c->irr & ~c->imr);
	if (want == PIC_NO_IRQ)
		return -1;
	/* In SFNM the slave may interrupt its own in-service requests. */
	if (chip == PIC_MASTER && c->special_fully_nested_mode)
		in_service &= ~(1u << PIC_CASCADE_IR);
	busy = pic_best_rank(c, in_service);
	if (want >= busy)
		return -1;
	return (want + c->priority_add) & 7;
}

/* Cascade the slave's request to the master and recompute INTR. */
static void pic_update(struct kvmod_pic *pic)
{
	struct kvmod_pic_chip *m = &pic->chip[PIC_MASTER];

	if (pic_chip_pending(pic, PIC_SLAVE) >= 0) {
		pic_chip_set_irq(m, PIC_CASCADE_IR, true);
		pic_chip_set_irq(m, PIC_CASCADE_IR, false);
	}
	pic->output = pic_chip_pending(pic, PIC_MASTER) >= 0;
}

/* End of interrupt for IR @ir of @chip: clear ISR, record the ack. */
static void pic_eoi(struct kvmod_pic *pic, unsigned int chip, unsigned int ir)
{
	pic->chip[chip].isr &= ~(1u << ir);
	pic->acked |= 1u << (ir + 8 * chip);
}

/* INTA on one chip for IR @ir. */
static void pic_chip_intack(struct kvmod_pic *pic, unsigned int chip,
			    unsigned int ir)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];
	u8 bit = 1u << ir;

	c->isr |= bit;
	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (c->auto_eoi) {
		if (c->rotate_on_auto_eoi)
			c->priority_add = (ir + 1) & 7;
		pic_eoi(pic, chip, ir);
	}
}

void kvmod_pic_reset(struct kvmod_pic *pic)
{
	__builtin_memset(pic, 0, sizeof(*pic));
	pic->chip[PIC_MASTER].elcr_mask = KVMOD_PIC_ELCR_MASK_MASTER;
	pic->chip[PIC_SLAVE].elcr_mask = KVMOD_PIC_ELCR_MASK_SLAVE;
}

int kvmod_pic_set_irq(struct kvmod_pic *pic, unsigned int irq, bool level)
{
	int ret;

	if (irq > 15)
		return -1;
	ret = pic_chip_set_irq(&pic->chip[irq >> 3], irq & 7, level);
	pic_update(pic);
	return ret;
}

bool kvmod_pic_intr(const struct kvmod_pic *pic)
{
	return pic->output;
}

int kvmod_pic_ack(struct kvmod_pic *pic, int *irq)
{
	int ir, slave_ir, vector;

	pic->output = false;
	ir = pic_chip_pending(pic, PIC_MASTER);
	if (ir < 0) {
		/* Spurious: nothing answers but the master's IR7 vector. */
		*irq = 7;
		vector = pic->chip[PIC_MASTER].irq_base + 7;
	} else if (ir == PIC_CASCADE_IR) {
		pic_chip_intack(pic, PIC_MASTER, ir);
		slave_ir = pic_chip_pending(pic, PIC_SLAVE);
		if (slave_ir >= 0)
			pic_chip_intack(pic, PIC_SLAVE, slave_ir);
		else
			slave_ir = 7;	/* spurious on the slave */
		*irq = 8 + slave_ir;
		vector = pic->chip[PIC_SLAVE].irq_base + slave_ir;
	} else {
		pic_chip_intack(pic, PIC_MASTER, ir);
		*irq = ir;
		vector = pic->chip[PIC_MASTER].irq_base + ir;
	}
	pic_update(pic);
	return vector;
}

/* ICW1: start the initialisation sequence. */
static void pic_icw1(struct kvmod_pic *pic, unsigned int chip, u8 val)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];
	u8 edge_pending;
	unsigned int ir;

	/* Single mode (bit 1) and LTIM (bit 3) are not emulated, as KVM. */
	c->init4 = val & PIC_ICW1_IC4;
	edge_pending = c->irr & ~c->elcr;
	c->last_irr = 0;
	c->irr &= c->elcr;
	c->imr = 0;
	c->priority_add = 0;
	c->special_mask = 0;
	c->read_reg_select = 0;
	if (!c->init4) {
		c->special_fully_nested_mode = 0;
		c->auto_eoi = 0;
	}
	c->init_state = 1;
	if (pic->no_extint_vcpu)
		return;
	for (ir = 0; ir < 8; ir++)
		if (edge_pending & (1u << ir))
			pic_eoi(pic, chip, ir);
}

/* OCW2: EOIs and priority commands. */
static void pic_ocw2(struct kvmod_pic *pic, unsigned int chip, u8 val)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];
	unsigned int cmd = val >> 5, rank, ir;

	switch (cmd) {
	case PIC_OCW2_ROTATE_AEOI_CLEAR:
	case PIC_OCW2_ROTATE_AEOI_SET:
		c->rotate_on_auto_eoi = cmd == PIC_OCW2_ROTATE_AEOI_SET;
		break;
	case PIC_OCW2_EOI:
	case PIC_OCW2_ROTATE_EOI:
		rank = pic_best_rank(c, c->isr);
		if (rank == PIC_NO_IRQ)
			break;
		ir = (rank + c->priority_add) & 7;
		if (cmd == PIC_OCW2_ROTATE_EOI)
			c->priority_add = (ir + 1) & 7;
		pic_eoi(pic, chip, ir);
		pic_update(pic);
		break;
	case PIC_OCW2_SPECIFIC_EOI:
		pic_eoi(pic, chip, val & 7);
		pic_update(pic);
		break;
	case PIC_OCW2_SET_PRIORITY:
		/* L2-L0 gets the lowest priority */
		c->priority_add = (val + 1) & 7;
		pic_update(pic);
		break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI:
		c->priority_add = ((val & 7) + 1) & 7;
		pic_eoi(pic, chip, val & 7);
		pic_update(pic);
		break;
	default:
		/* 2: no operation */
		break;
	}
}

/* A write to the odd port: OCW1, or ICW2-ICW4 during initialisation. */
static void pic_write_odd(struct kvmod_pic *pic, unsigned int chip, u8 val)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];
	u8 changed;

	switch (c->init_state) {
	case 0:
		changed = c->imr ^ val;
		c->imr = val;
		pic->mask_changed |= (u16)changed << (8 * chip);
		pic_update(pic);
		break;
	case 1:
		c->irq_base = val & 0xf8;
		c->init_state = 2;
		break;
	case 2:
		/* ICW3: the cascade wiring is fixed */
		c->init_state = c->init4 ? 3 : 0;
		break;
	case 3:
		c->special_fully_nested_mode = !!(val & PIC_ICW4_SFNM);
		c->auto_eoi = !!(val & PIC_ICW4_AEOI);
		c->init_state = 0;
		break;
	default:
		/* a restored init_state above 3: the write is lost */
		break;
	}
}

static void pic_write_even(struct kvmod_pic *pic, unsigned int chip, u8 val)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];

	if (val & PIC_ICW1) {
		pic_icw1(pic, chip, val);
	} else if (val & PIC_OCW3) {
		if (val & PIC_OCW3_POLL)
			c->poll = 1;
		if (val & PIC_OCW3_RR)
			c->read_reg_select = val & PIC_OCW3_RIS;
		if (val & PIC_OCW3_ESMM)
			c->special_mask = !!(val & PIC_OCW3_SMM);
	} else {
		pic_ocw2(pic, chip, val);
	}
}

void kvmod_pic_write(struct kvmod_pic *pic, u16 port, u8 val)
{
	switch (port) {
	case 0x20:
		pic_write_even(pic, PIC_MASTER, val);
		break;
	case 0xa0:
		pic_write_even(pic, PIC_SLAVE, val);
		break;
	case 0x21:
		pic_write_odd(pic, PIC_MASTER, val);
		break;
	case 0xa1:
		pic_write_odd(pic, PIC_SLAVE, val);
		break;
	case 0x4d0:
	case 0x4d1:
		pic->chip[port & 1].elcr = val & pic->chip[port & 1].elcr_mask;
		break;
	default:
		break;
	}
}

/* A read after an OCW3 poll command: acknowledge and EOI in one. */
static u8 pic_poll(struct kvmod_pic *pic, unsigned int chip)
{
	struct kvmod_pic_chip *m = &pic->chip[PIC_MASTER];
	int ir = pic_chip_pending(pic, chip);

	if (ir < 0) {
		pic_update(pic);
		return 7;
	}
	if (chip == PIC_SLAVE) {
		/* the cascade request goes with it, without an ack */
		m->isr &= ~(1u << PIC_CASCADE_IR);
		m->irr &= ~(1u << PIC_CASCADE_IR);
	}
	pic->chip[chip].irr &= ~(1u << ir);
	pic_eoi(pic, chip, ir);
	/* KVM skips the update after polling IR2 on the master. */
	if (chip == PIC_SLAVE || ir != PIC_CASCADE_IR)
		pic_update(pic);
	return ir;
}

static u8 pic_read_chip(struct kvmod_pic *pic, unsigned int chip, bool odd)
{
	struct kvmod_pic_chip *c = &pic->chip[chip];
	u8 val;

	if (c->poll) {
		val = pic_poll(pic, chip);
		c->poll = 0;
		return val;
	}
	if (odd)
		return c->imr;
	return c->read_reg_select ? c->isr : c->irr;
}

u8 kvmod_pic_read(struct kvmod_pic *pic, u16 port)
{
	switch (port) {
	case 0x20:
	case 0x21:
		return pic_read_chip(pic, PIC_MASTER, port & 1);
	case 0xa0:
	case 0xa1:
		return pic_read_chip(pic, PIC_SLAVE, port & 1);
	case 0x4d0:
	case 0x4d1:
		return pic->chip[port & 1].elcr;
	default:
		return 0xff;
	}
}

void kvmod_pic_take_events(struct kvmod_pic *pic, u16 *acked,
			   u16 *mask_changed)
{
	if (acked)
		*acked = pic->acked;
	if (mask_changed)
		*mask_changed = pic->mask_changed;
	pic->acked = 0;
	pic->mask_changed = 0;
}

void kvmod_pic_get_state(const struct kvmod_pic *pic, unsigned int chip,
			 struct kvm_pic_state *st)
{
	const struct kvmod_pic_chip *c;

	__builtin_memset(st, 0, sizeof(*st));
	if (chip > PIC_SLAVE)
		return;
	c = &pic->chip[chip];
	st->last_irr = c->last_irr;
	st->irr = c->irr;
	st->imr = c->imr;
	st->isr = c->isr;
	st->priority_add = c->priority_add;
	st->irq_base = c->irq_base;
	st->read_reg_select = c->read_reg_select;
	st->poll = c->poll;
	st->special_mask = c->special_mask;
	st->init_state = c->init_state;
	st->auto_eoi = c->auto_eoi;
	st->rotate_on_auto_eoi = c->rotate_on_auto_eoi;
	st->special_fully_nested_mode = c->special_fully_nested_mode;
	st->init4 = c->init4;
	st->elcr = c->elcr;
	st->elcr_mask = c->elcr_mask;
}

int kvmod_pic_set_state(struct kvmod_pic *pic, unsigned int chip,
			const struct kvm_pic_state *st)
{
	struct kvmod_pic_chip *c;

	if (chip > PIC_SLAVE) {
		/* KVM recomputes INTR even when it refuses the chip id */
		pic_update(pic);
		return -1;
	}
	c = &pic->chip[chip];
	c->last_irr = st->last_irr;
	c->irr = st->irr;
	c->imr = st->imr;
	c->isr = st->isr;
	c->priority_add = st->priority_add;
	c->irq_base = st->irq_base;
	c->read_reg_select = st->read_reg_select;
	c->poll = st->poll;
	c->special_mask = st->special_mask;
	c->init_state = st->init_state;
	c->auto_eoi = st->auto_eoi;
	c->rotate_on_auto_eoi = st->rotate_on_auto_eoi;
	c->special_fully_nested_mode = st->special_fully_nested_mode;
	c->init4 = st->init4;
	c->elcr = st->elcr;
	c->elcr_mask = st->elcr_mask;
	pic_update(pic);
	return 0;
}
