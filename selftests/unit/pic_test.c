// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/pic.c: the 8259A pair programmed through its
 * ports as a PC BIOS or Linux does (master vectors 0x08, slave 0x70),
 * with the exact register contents KVM would show after each step.
 */
#include "pic.h"
#include "unit.h"

#define M_BASE	0x08
#define S_BASE	0x70

static struct kvmod_pic pic;

static void init_chip(u16 port, u8 base, u8 icw3, u8 icw4)
{
	kvmod_pic_write(&pic, port, 0x11);	/* ICW1: edge, cascade, IC4 */
	kvmod_pic_write(&pic, port + 1, base);
	kvmod_pic_write(&pic, port + 1, icw3);
	kvmod_pic_write(&pic, port + 1, icw4);
}

/* Reset, then initialise both chips with ICW4 @icw4 (0x01: 8086 mode). */
static void setup(u8 icw4)
{
	kvmod_pic_reset(&pic);
	init_chip(0x20, M_BASE, 0x04, icw4);
	init_chip(0xa0, S_BASE, 0x02, icw4);
	kvmod_pic_take_events(&pic, NULL, NULL);
}

static int ack(int *irq)
{
	*irq = -1;
	return kvmod_pic_ack(&pic, irq);
}

static u16 take_acked(void)
{
	u16 acked;

	kvmod_pic_take_events(&pic, &acked, NULL);
	return acked;
}

/* Raise and lower an edge-triggered line. */
static int pulse(unsigned int irq)
{
	int ret = kvmod_pic_set_irq(&pic, irq, true);

	kvmod_pic_set_irq(&pic, irq, false);
	return ret;
}

TEST(pic_reset_state)
{
	struct kvm_pic_state st;

	kvmod_pic_reset(&pic);
	kvmod_pic_get_state(&pic, 0, &st);
	EXPECT_EQ(st.elcr_mask, 0xf8);
	EXPECT_EQ(st.irr | st.imr | st.isr | st.irq_base | st.init_state, 0);
	EXPECT_EQ(st.priority_add | st.auto_eoi | st.init4 | st.elcr, 0);
	kvmod_pic_get_state(&pic, 1, &st);
	EXPECT_EQ(st.elcr_mask, 0xde);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	EXPECT_FALSE(pic.no_extint_vcpu);
}

TEST(pic_icw_sequence_with_icw4)
{
	struct kvmod_pic_chip *m = &pic.chip[0];

	kvmod_pic_reset(&pic);
	m->imr = 0x5a;
	m->priority_add = 3;
	m->special_mask = 1;
	m->read_reg_select = 1;
	kvmod_pic_write(&pic, 0x20, 0x11);
	EXPECT_EQ(m->init_state, 1);
	EXPECT_EQ(m->init4, 1);
	EXPECT_EQ(m->imr, 0);
	EXPECT_EQ(m->priority_add, 0);
	EXPECT_EQ(m->special_mask, 0);
	EXPECT_EQ(m->read_reg_select, 0);
	kvmod_pic_write(&pic, 0x21, 0x0f);	/* ICW2: low bits ignored */
	EXPECT_EQ(m->irq_base, 0x08);
	EXPECT_EQ(m->init_state, 2);
	kvmod_pic_write(&pic, 0x21, 0x04);	/* ICW3 */
	EXPECT_EQ(m->init_state, 3);
	kvmod_pic_write(&pic, 0x21, 0x13);	/* ICW4: SFNM, AEOI, 8086 */
	EXPECT_EQ(m->init_state, 0);
	EXPECT_EQ(m->special_fully_nested_mode, 1);
	EXPECT_EQ(m->auto_eoi, 1);
	kvmod_pic_write(&pic, 0x21, 0xfb);	/* now OCW1 */
	EXPECT_EQ(m->imr, 0xfb);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x21), 0xfb);
	EXPECT_EQ(m->irq_base, 0x08);

	/* ICW1 with IC4 keeps the ICW4 modes until ICW4 comes */
	kvmod_pic_write(&pic, 0x20, 0x11);
	EXPECT_EQ(m->auto_eoi, 1);
	EXPECT_EQ(m->special_fully_nested_mode, 1);
	EXPECT_EQ(m->irq_base, 0x08);		/* kept until ICW2 */
	kvmod_pic_write(&pic, 0x21, 0x20);
	kvmod_pic_write(&pic, 0x21, 0x04);
	kvmod_pic_write(&pic, 0x21, 0x01);
	EXPECT_EQ(m->auto_eoi, 0);
	EXPECT_EQ(m->special_fully_nested_mode, 0);
	EXPECT_EQ(m->irq_base, 0x20);
	EXPECT_EQ(m->init_state, 0);
}

TEST(pic_icw_sequence_without_icw4)
{
	struct kvmod_pic_chip *s = &pic.chip[1];

	kvmod_pic_reset(&pic);
	s->auto_eoi = 1;
	s->special_fully_nested_mode = 1;
	s->rotate_on_auto_eoi = 1;
	s->poll = 1;
	/* single mode and level bits are accepted and ignored, as KVM */
	kvmod_pic_write(&pic, 0xa0, 0x1a);
	EXPECT_EQ(s->init4, 0);
	EXPECT_EQ(s->auto_eoi, 0);
	EXPECT_EQ(s->special_fully_nested_mode, 0);
	EXPECT_EQ(s->rotate_on_auto_eoi, 1);	/* ICW1 keeps it */
	EXPECT_EQ(s->poll, 1);			/* and the poll command */
	EXPECT_EQ(s->elcr, 0);
	kvmod_pic_write(&pic, 0xa1, 0x77);
	EXPECT_EQ(s->irq_base, 0x70);
	kvmod_pic_write(&pic, 0xa1, 0x02);	/* ICW3 ends it */
	EXPECT_EQ(s->init_state, 0);
	kvmod_pic_write(&pic, 0xa1, 0x12);	/* OCW1, not ICW4 */
	EXPECT_EQ(s->imr, 0x12);
	EXPECT_EQ(s->auto_eoi, 0);
}

TEST(pic_icw1_clears_irr_and_isr_of_pending_edges)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	kvmod_pic_write(&pic, 0x4d0, 0x08);	/* IRQ3 level */
	kvmod_pic_set_irq(&pic, 3, true);
	pulse(4);
	EXPECT_EQ(ack(&irq), M_BASE + 3);
	EXPECT_EQ(m->isr, 0x08);
	pulse(4);			/* still pending: no new edge needed */
	pulse(5);
	EXPECT_EQ(m->irr, 0x38);
	m->isr |= 0x20;
	take_acked();

	/* pending edges leave IRR and their ISR bits; level ones stay */
	kvmod_pic_write(&pic, 0x20, 0x11);
	EXPECT_EQ(m->irr, 0x08);
	EXPECT_EQ(m->isr, 0x08);
	EXPECT_EQ(m->last_irr, 0);
	EXPECT_EQ(take_acked(), 0x30);

	/* no vCPU takes PIC interrupts: ISR is left alone */
	setup(0x01);
	pic.no_extint_vcpu = true;
	pulse(6);
	m->isr = 0x40;
	kvmod_pic_write(&pic, 0x20, 0x11);
	EXPECT_EQ(m->irr, 0);
	EXPECT_EQ(m->isr, 0x40);
	EXPECT_EQ(take_acked(), 0);
}

TEST(pic_edge_ack_eoi)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 0, true), 1);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(m->irr, 0x01);
	EXPECT_EQ(m->last_irr, 0x01);
	EXPECT_EQ(ack(&irq), M_BASE);
	EXPECT_EQ(irq, 0);
	EXPECT_EQ(m->irr, 0);
	EXPECT_EQ(m->isr, 0x01);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	EXPECT_EQ(take_acked(), 0);

	/* a new edge while in service waits for the EOI */
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 0, false), 1);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 0, true), 1);
	EXPECT_EQ(m->irr, 0x01);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0x20);	/* non-specific EOI */
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(take_acked(), 0x0001);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), M_BASE);

	/* EOI with nothing in service does nothing */
	kvmod_pic_write(&pic, 0x20, 0x20);
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(take_acked(), 0x0001);
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(take_acked(), 0);
	EXPECT_EQ(m->priority_add, 0);
}

TEST(pic_edge_coalescing_return_codes)
{
	struct kvmod_pic_chip *m = &pic.chip[0];

	setup(0x01);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 1, true), 1);
	/* no edge: nothing new, still reported as delivered */
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 1, true), 1);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 1, false), 1);
	EXPECT_EQ(m->irr, 0x02);
	/* a second edge before the ack: coalesced */
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 1, true), 0);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 1, false), 1);

	/* masked: -1 whether or not IRR is set, and IRR still latches */
	kvmod_pic_write(&pic, 0x21, 0x04);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 2, true), -1);
	EXPECT_EQ(m->irr, 0x06);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 2, false), -1);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 2, true), -1);

	/* slave lines, and line numbers past 15 */
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 12, true), 1);
	EXPECT_EQ(pic.chip[1].irr, 0x10);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 16, true), -1);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, ~0u, true), -1);
}

TEST(pic_level_triggered)
{
	struct kvmod_pic_chip *s = &pic.chip[1];
	int irq;

	setup(0x01);
	kvmod_pic_write(&pic, 0x4d1, 0xff);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d1), 0xde);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 9, true), 1);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 9, true), 0);	/* coalesced */
	EXPECT_EQ(s->irr, 0x02);
	EXPECT_EQ(ack(&irq), S_BASE + 1);
	EXPECT_EQ(irq, 9);
	EXPECT_EQ(s->irr, 0x02);	/* level: stays requested */
	EXPECT_EQ(s->isr, 0x02);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 9, true), 0);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 9, false), 1);
	EXPECT_EQ(s->irr, 0);
	EXPECT_EQ(s->last_irr, 0);
	/* raised again after the EOIs: a new interrupt */
	kvmod_pic_write(&pic, 0xa0, 0x20);
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 9, true), 1);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	/* lowered before the INTA: the slave answers IRQ15 (spurious) */
	kvmod_pic_set_irq(&pic, 9, false);
	EXPECT_EQ(ack(&irq), S_BASE + 7);	/* master IR2 still latched */
	EXPECT_EQ(irq, 15);
}

TEST(pic_elcr_mask)
{
	setup(0x01);
	kvmod_pic_write(&pic, 0x4d0, 0xff);
	EXPECT_EQ(pic.chip[0].elcr, 0xf8);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d0), 0xf8);
	kvmod_pic_write(&pic, 0x4d0, 0x07);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d0), 0x00);
	kvmod_pic_write(&pic, 0x4d1, 0x21);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d1), 0x00);
	kvmod_pic_write(&pic, 0x4d1, 0x0e);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d1), 0x0e);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x4d2), 0xff);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x22), 0xff);
	kvmod_pic_write(&pic, 0x22, 0x11);	/* not ours */
	EXPECT_EQ(pic.chip[0].init_state, 0);
}

TEST(pic_fixed_priority_and_nesting)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	pulse(5);
	pulse(3);
	EXPECT_EQ(ack(&irq), M_BASE + 3);
	EXPECT_FALSE(kvmod_pic_intr(&pic));	/* 5 waits for 3 */
	pulse(1);
	EXPECT_TRUE(kvmod_pic_intr(&pic));	/* 1 preempts 3 */
	EXPECT_EQ(ack(&irq), M_BASE + 1);
	EXPECT_EQ(m->isr, 0x0a);
	kvmod_pic_write(&pic, 0x20, 0x20);	/* EOI ends the highest: 1 */
	EXPECT_EQ(m->isr, 0x08);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(ack(&irq), M_BASE + 5);
	EXPECT_EQ(take_acked(), 0x000a);
}

TEST(pic_specific_eoi)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	pulse(3);
	ack(&irq);
	pulse(1);
	ack(&irq);
	EXPECT_EQ(m->isr, 0x0a);
	kvmod_pic_write(&pic, 0x20, 0x63);	/* specific EOI 3 */
	EXPECT_EQ(m->isr, 0x02);
	EXPECT_EQ(m->priority_add, 0);
	EXPECT_EQ(take_acked(), 0x0008);
	/* KVM notifies even when that IRQ was not in service */
	kvmod_pic_write(&pic, 0xa0, 0x66);
	EXPECT_EQ(take_acked(), 0x4000);
	EXPECT_EQ(m->isr, 0x02);
}

TEST(pic_rotate_on_nonspecific_eoi)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	pulse(3);
	EXPECT_EQ(ack(&irq), M_BASE + 3);
	kvmod_pic_write(&pic, 0x20, 0xa0);	/* rotate on non-specific EOI */
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(m->priority_add, 4);		/* 3 is now the lowest */
	pulse(1);
	pulse(5);
	pulse(3);
	EXPECT_EQ(ack(&irq), M_BASE + 5);
	EXPECT_FALSE(kvmod_pic_intr(&pic));	/* 1 and 3 rank below 5 now */
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(ack(&irq), M_BASE + 1);	/* 1 outranks 3 */
	kvmod_pic_write(&pic, 0x20, 0xa0);	/* 1 becomes the lowest */
	EXPECT_EQ(m->priority_add, 2);
	EXPECT_EQ(ack(&irq), M_BASE + 3);
	EXPECT_EQ(take_acked(), 0x002a);
}

TEST(pic_set_priority_and_rotate_specific)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	kvmod_pic_write(&pic, 0x20, 0xc4);	/* IRQ4 lowest, 5 highest */
	EXPECT_EQ(m->priority_add, 5);
	pulse(4);
	pulse(0);
	pulse(6);
	EXPECT_EQ(ack(&irq), M_BASE + 6);
	EXPECT_FALSE(kvmod_pic_intr(&pic));	/* 0 and 4 rank below 6 */
	kvmod_pic_write(&pic, 0x20, 0xe6);	/* rotate on specific EOI 6 */
	EXPECT_EQ(m->priority_add, 7);
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(take_acked(), 0x0040);
	EXPECT_EQ(ack(&irq), M_BASE + 0);	/* 7 highest, then 0 */
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0xe0);
	EXPECT_EQ(m->priority_add, 1);
	EXPECT_EQ(ack(&irq), M_BASE + 4);
	/* no-operation OCW2 */
	kvmod_pic_write(&pic, 0x20, 0x40);
	EXPECT_EQ(m->isr, 0x10);
	EXPECT_EQ(m->priority_add, 1);
}

TEST(pic_auto_eoi)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x03);
	EXPECT_EQ(m->auto_eoi, 1);
	pulse(3);
	pulse(6);
	EXPECT_EQ(ack(&irq), M_BASE + 3);
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(take_acked(), 0x0008);
	EXPECT_TRUE(kvmod_pic_intr(&pic));	/* 6 is not blocked */
	EXPECT_EQ(m->priority_add, 0);

	kvmod_pic_write(&pic, 0x20, 0x80);	/* rotate in auto-EOI: set */
	EXPECT_EQ(m->rotate_on_auto_eoi, 1);
	EXPECT_EQ(ack(&irq), M_BASE + 6);
	EXPECT_EQ(m->priority_add, 7);
	pulse(1);
	pulse(7);
	EXPECT_EQ(ack(&irq), M_BASE + 7);
	EXPECT_EQ(m->priority_add, 0);
	kvmod_pic_write(&pic, 0x20, 0x00);	/* rotate in auto-EOI: clear */
	EXPECT_EQ(m->rotate_on_auto_eoi, 0);
	EXPECT_EQ(ack(&irq), M_BASE + 1);
	EXPECT_EQ(m->priority_add, 0);
	EXPECT_EQ(take_acked(), 0x00c2);
}

TEST(pic_cascade)
{
	struct kvmod_pic_chip *m = &pic.chip[0], *s = &pic.chip[1];
	int irq;

	setup(0x01);
	EXPECT_EQ(pulse(10), 1);
	EXPECT_EQ(s->irr, 0x04);
	EXPECT_EQ(m->irr, 0x04);	/* the cascade line, latched as edge */
	EXPECT_EQ(m->last_irr, 0);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 2);
	EXPECT_EQ(irq, 10);
	EXPECT_EQ(m->isr, 0x04);
	EXPECT_EQ(s->isr, 0x04);
	EXPECT_EQ(m->irr, 0);
	EXPECT_EQ(s->irr, 0);

	/* a higher slave IRQ is blocked by the master's ISR bit 2 */
	pulse(8);
	EXPECT_EQ(s->irr, 0x01);
	EXPECT_EQ(m->irr, 0x04);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	/* master IRQ 1 outranks IR2 */
	pulse(1);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), M_BASE + 1);
	EXPECT_EQ(irq, 1);
	kvmod_pic_write(&pic, 0x20, 0x20);	/* ends 1 */
	kvmod_pic_write(&pic, 0xa0, 0x20);	/* ends 10 on the slave */
	EXPECT_EQ(s->isr, 0);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0x20);	/* ends IR2 */
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 0);
	EXPECT_EQ(irq, 8);
	EXPECT_EQ(take_acked(), 0x0406);

	/* masking the cascade on the master hides the slave */
	kvmod_pic_write(&pic, 0xa0, 0x20);
	kvmod_pic_write(&pic, 0x20, 0x20);
	kvmod_pic_write(&pic, 0x21, 0x04);
	pulse(15);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x21, 0x00);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 7);
	EXPECT_EQ(irq, 15);
	EXPECT_EQ(s->isr, 0x80);		/* a real IRQ15, not spurious */
}

TEST(pic_special_fully_nested)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x11);				/* SFNM on both */
	EXPECT_EQ(m->special_fully_nested_mode, 1);
	pulse(12);
	EXPECT_EQ(ack(&irq), S_BASE + 4);
	pulse(9);
	/* the slave's higher request passes the master's IR2 in service */
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 1);
	EXPECT_EQ(m->isr, 0x04);
	EXPECT_EQ(pic.chip[1].isr, 0x12);
	/* a lower one still waits: the slave's own ISR blocks it */
	pulse(13);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	/* KVM drops IR2 from ISR for every master request, so 3 passes */
	pulse(3);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), M_BASE + 3);

	setup(0x01);				/* without SFNM */
	pulse(12);
	ack(&irq);
	pulse(9);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
}

TEST(pic_spurious)
{
	struct kvm_pic_state before[2], after[2];
	struct kvmod_pic_chip *m = &pic.chip[0], *s = &pic.chip[1];
	int irq, i;

	setup(0x01);
	for (i = 0; i < 2; i++)
		kvmod_pic_get_state(&pic, i, &before[i]);
	EXPECT_EQ(ack(&irq), M_BASE + 7);
	EXPECT_EQ(irq, 7);
	for (i = 0; i < 2; i++) {
		kvmod_pic_get_state(&pic, i, &after[i]);
		EXPECT_EQ(memcmp(&before[i], &after[i], sizeof(after[i])), 0);
	}

	/* masked requests are spurious too */
	kvmod_pic_write(&pic, 0x21, 0x01);
	pulse(0);
	EXPECT_EQ(ack(&irq), M_BASE + 7);
	EXPECT_EQ(m->irr, 0x01);
	EXPECT_EQ(m->isr, 0);

	/* the slave request vanishes after the master latched IR2 */
	setup(0x01);
	pulse(11);
	kvmod_pic_write(&pic, 0xa1, 0x08);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 7);
	EXPECT_EQ(irq, 15);
	EXPECT_EQ(m->isr, 0x04);	/* the master did acknowledge IR2 */
	EXPECT_EQ(s->isr, 0);
	EXPECT_EQ(s->irr, 0x08);
	EXPECT_EQ(take_acked(), 0);
}

TEST(pic_masking)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	u16 acked, mask_changed;
	int irq;

	setup(0x01);
	kvmod_pic_write(&pic, 0x21, 0xff);
	kvmod_pic_write(&pic, 0xa1, 0x0f);
	kvmod_pic_take_events(&pic, &acked, &mask_changed);
	EXPECT_EQ(mask_changed, 0x0fff);
	EXPECT_EQ(acked, 0);
	EXPECT_EQ(kvmod_pic_set_irq(&pic, 4, true), -1);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x21, 0xef);
	kvmod_pic_take_events(&pic, NULL, &mask_changed);
	EXPECT_EQ(mask_changed, 0x0010);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), M_BASE + 4);
	/* same value: no change to notify */
	kvmod_pic_write(&pic, 0x21, 0xef);
	kvmod_pic_take_events(&pic, NULL, &mask_changed);
	EXPECT_EQ(mask_changed, 0);
	/* masking an IRQ in service does not hide it from EOI */
	kvmod_pic_write(&pic, 0x21, 0xff);
	kvmod_pic_write(&pic, 0x20, 0x20);
	EXPECT_EQ(m->isr, 0);
	/* ICW1's IMR reset is not a mask notification, as KVM */
	kvmod_pic_take_events(&pic, NULL, NULL);
	kvmod_pic_write(&pic, 0x20, 0x11);
	EXPECT_EQ(m->imr, 0);
	kvmod_pic_take_events(&pic, NULL, &mask_changed);
	EXPECT_EQ(mask_changed, 0);
}

TEST(pic_special_mask_mode_is_recorded_only)
{
	struct kvmod_pic_chip *m = &pic.chip[0];
	int irq;

	setup(0x01);
	kvmod_pic_write(&pic, 0x20, 0x68);	/* OCW3: set special mask */
	EXPECT_EQ(m->special_mask, 1);
	kvmod_pic_write(&pic, 0x20, 0x28);	/* ESMM clear: no change */
	EXPECT_EQ(m->special_mask, 1);
	/* KVM does not let masked in-service IRQs unblock lower ones */
	pulse(3);
	ack(&irq);
	kvmod_pic_write(&pic, 0x21, 0x08);
	pulse(5);
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0x48);	/* reset special mask */
	EXPECT_EQ(m->special_mask, 0);
}

TEST(pic_read_register_select)
{
	int irq;

	setup(0x01);
	pulse(5);
	pulse(1);
	ack(&irq);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0x20);	/* IRR by default */
	kvmod_pic_write(&pic, 0x20, 0x0b);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0x02);	/* ISR */
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0x02);
	kvmod_pic_write(&pic, 0x20, 0x09);		/* RR=0: no change */
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0x02);
	kvmod_pic_write(&pic, 0x21, 0x80);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x21), 0x80);	/* odd: IMR */
	kvmod_pic_write(&pic, 0x20, 0x0a);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0x20);
	EXPECT_EQ(kvmod_pic_read(&pic, 0xa0), 0x00);
}

TEST(pic_poll)
{
	struct kvmod_pic_chip *m = &pic.chip[0], *s = &pic.chip[1];

	setup(0x01);
	kvmod_pic_write(&pic, 0x20, 0x0c);		/* poll */
	EXPECT_EQ(m->poll, 1);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 7);	/* nothing pending */
	EXPECT_EQ(m->poll, 0);
	EXPECT_EQ(take_acked(), 0);

	pulse(4);
	pulse(6);
	kvmod_pic_write(&pic, 0x20, 0x0c);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x21), 4);	/* either port */
	EXPECT_EQ(m->irr, 0x40);
	EXPECT_EQ(m->isr, 0);		/* acknowledged and ended at once */
	EXPECT_EQ(take_acked(), 0x0010);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(kvmod_pic_read(&pic, 0x21), 0);	/* poll is over */

	/* level lines are taken out of IRR by a poll */
	kvmod_pic_write(&pic, 0x4d0, 0x40);
	kvmod_pic_set_irq(&pic, 6, true);
	kvmod_pic_write(&pic, 0x20, 0x0c);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 6);
	EXPECT_EQ(m->irr, 0);
	kvmod_pic_set_irq(&pic, 6, false);

	/* polling the slave drops the master's cascade request */
	pulse(13);
	EXPECT_EQ(m->irr, 0x04);
	kvmod_pic_write(&pic, 0xa0, 0x0c);
	EXPECT_EQ(kvmod_pic_read(&pic, 0xa0), 5);
	EXPECT_EQ(s->irr, 0);
	EXPECT_EQ(m->irr, 0);
	EXPECT_EQ(m->isr, 0);
	EXPECT_EQ(take_acked(), 0x2040);
	EXPECT_FALSE(kvmod_pic_intr(&pic));

	/* poll with OCW3 read select in the same byte */
	pulse(3);
	kvmod_pic_write(&pic, 0x20, 0x0f);
	EXPECT_EQ(m->read_reg_select, 1);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 3);
	EXPECT_EQ(kvmod_pic_read(&pic, 0x20), 0);	/* ISR */
}

TEST(pic_intr_not_recomputed_after_icw1)
{
	int irq;

	setup(0x01);
	pulse(3);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	kvmod_pic_write(&pic, 0x20, 0x11);	/* drops the request */
	EXPECT_TRUE(kvmod_pic_intr(&pic));	/* KVM: stale until next */
	EXPECT_EQ(ack(&irq), M_BASE + 7);	/* spurious */
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	EXPECT_EQ(pic.chip[0].irq_base, M_BASE);
}

TEST(pic_ack_vector_past_0xff)
{
	struct kvm_pic_state st;
	int irq;

	setup(0x01);
	kvmod_pic_get_state(&pic, 0, &st);
	st.irq_base = 0xfd;
	EXPECT_EQ(kvmod_pic_set_state(&pic, 0, &st), 0);
	pulse(6);
	EXPECT_EQ(ack(&irq), 0xfd + 6);
	EXPECT_EQ(irq, 6);
}

TEST(pic_state_round_trip)
{
	struct kvm_pic_state st, back;
	u8 *p = (u8 *)&st;
	unsigned int i;
	int irq;

	setup(0x01);
	for (i = 0; i < sizeof(st); i++)
		p[i] = 0x5a + 37 * i;
	st.imr = 0xff;		/* nothing pending: no IR2 side effect */
	EXPECT_EQ(kvmod_pic_set_state(&pic, 1, &st), 0);
	kvmod_pic_get_state(&pic, 1, &back);
	EXPECT_EQ(memcmp(&st, &back, sizeof(st)), 0);
	/* elcr and elcr_mask are taken unchecked */
	EXPECT_EQ(pic.chip[1].elcr_mask, st.elcr_mask);
	EXPECT_EQ(pic.chip[1].elcr, st.elcr);

	for (i = 0; i < sizeof(st); i++)
		p[i] = 0xc3 ^ (11 * i);
	EXPECT_EQ(kvmod_pic_set_state(&pic, 0, &st), 0);
	kvmod_pic_get_state(&pic, 0, &back);
	EXPECT_EQ(memcmp(&st, &back, sizeof(st)), 0);

	EXPECT_EQ(kvmod_pic_set_state(&pic, 2, &st), -1);
	kvmod_pic_get_state(&pic, 2, &back);
	EXPECT_EQ(back.irr | back.elcr_mask | back.irq_base, 0);

	/* a pending slave request latches the master's IR2 on restore */
	setup(0x01);
	kvmod_pic_get_state(&pic, 1, &st);
	st.irr = 0x20;
	EXPECT_FALSE(kvmod_pic_intr(&pic));
	kvmod_pic_set_state(&pic, 1, &st);
	EXPECT_EQ(pic.chip[0].irr, 0x04);
	EXPECT_TRUE(kvmod_pic_intr(&pic));
	EXPECT_EQ(ack(&irq), S_BASE + 5);

	/* a restored init_state past 3 swallows odd-port writes */
	setup(0x01);
	kvmod_pic_get_state(&pic, 0, &st);
	st.init_state = 9;
	kvmod_pic_set_state(&pic, 0, &st);
	kvmod_pic_write(&pic, 0x21, 0x55);
	EXPECT_EQ(pic.chip[0].imr, 0);
	EXPECT_EQ(pic.chip[0].init_state, 9);
}
