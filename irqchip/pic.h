/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two cascaded 8259A programmable interrupt controllers of a PC
 * (master at 0x20/0x21, slave at 0xa0/0xa1 on the master's IR2) and the
 * PIIX edge/level control registers (0x4d0/0x4d1), as in-tree KVM
 * models them: its register state is struct kvm_pic_state, its
 * KVM_IRQ_LINE_STATUS results and its quirks are kept.
 *
 * Pure logic: no locking, no vCPU kicks, no notifiers. What KVM does
 * through notifiers is recorded in the structure for the caller to
 * collect with kvmod_pic_take_events().
 */
#ifndef KVMOD_PIC_H
#define KVMOD_PIC_H

#include "pure_types.h"
#include <linux/kvm.h>

/* ELCR bits the guest may set (IRQ 0, 1, 2, 8 and 13 are edge only). */
#define KVMOD_PIC_ELCR_MASK_MASTER	0xf8
#define KVMOD_PIC_ELCR_MASK_SLAVE	0xde

/* One 8259A; the fields and their meaning are those of kvm_pic_state. */
struct kvmod_pic_chip {
	u8 last_irr;		/* input levels seen, for edge detection */
	u8 irr;			/* interrupt request register */
	u8 imr;			/* interrupt mask register */
	u8 isr;			/* in-service register */
	u8 priority_add;	/* IRQ with the highest priority */
	u8 irq_base;		/* vector of IR0 (ICW2 & 0xf8) */
	u8 read_reg_select;	/* OCW3 RIS: nonzero reads ISR, else IRR */
	u8 poll;		/* OCW3 poll command pending */
	u8 special_mask;	/* OCW3 special mask mode */
	u8 init_state;		/* 0 ready, 1-3 waiting for ICW2-ICW4 */
	u8 auto_eoi;		/* ICW4 AEOI */
	u8 rotate_on_auto_eoi;	/* OCW2 rotate in automatic EOI mode */
	u8 special_fully_nested_mode;	/* ICW4 SFNM */
	u8 init4;		/* ICW1 IC4: ICW4 expected */
	u8 elcr;		/* 1 = level triggered */
	u8 elcr_mask;		/* ELCR bits writable by the guest */
};

/**
 * struct kvmod_pic - the master/slave pair
 * @chip: [0] master, [1] slave
 * @output: the master's INTR output as KVM last computed it (KVM does
 *	not recompute it after every register write; neither does this)
 * @acked: IRQ lines 0-15 (bit n = IRQ n) whose in-service bit was
 *	cleared since the last kvmod_pic_take_events(): where KVM calls
 *	kvm_notify_acked_irq() (EOI, auto-EOI, poll, ICW1)
 * @mask_changed: IRQ lines whose IMR bit an OCW1 write changed since
 *	the last kvmod_pic_take_events(): where KVM calls its mask
 *	notifiers (the new state is in @chip[].imr)
 * @no_extint_vcpu: set by the caller when no vCPU accepts PIC
 *	interrupts (kvm_apic_accept_pic_intr() false for all); KVM's ICW1
 *	then leaves the in-service register alone
 */
struct kvmod_pic {
	struct kvmod_pic_chip chip[2];
	bool output;
	u16 acked;
	u16 mask_changed;
	bool no_extint_vcpu;
};

/**
 * kvmod_pic_reset() - the state of a newly created PIC
 * @pic: the PIC pair
 *
 * Everything zero but the ELCR masks (0xf8, 0xde), as KVM_CREATE_IRQCHIP
 * leaves it: IRQs unmasked, vector base 0, no ICW sequence in progress.
 */
void kvmod_pic_reset(struct kvmod_pic *pic);

/**
 * kvmod_pic_set_irq() - drive an input line
 * @pic: the PIC pair
 * @irq: line 0-15 (8-15 are the slave's IR0-IR7)
 * @level: the line's level (the caller ORs all sources of the line)
 *
 * Edge-triggered lines latch IRR on a 0->1 transition, level-triggered
 * ones (ELCR) follow the level. Recomputes INTR.
 *
 * Return: as KVM_IRQ_LINE_STATUS reports it for the PIC: -1 if the
 * line is masked in IMR (whether or not IRR changed), 0 if the request
 * was already pending (coalesced), 1 otherwise (also when @level is 0
 * or an edge line stays high). -1 for @irq > 15.
 */
int kvmod_pic_set_irq(struct kvmod_pic *pic, unsigned int irq, bool level);

/**
 * kvmod_pic_intr() - the master's INTR output
 * @pic: the PIC pair
 *
 * Return: true if the PIC requests an interrupt (ExtINT) from the CPU.
 */
bool kvmod_pic_intr(const struct kvmod_pic *pic);

/**
 * kvmod_pic_ack() - the CPU's interrupt acknowledge cycle
 * @pic: the PIC pair
 * @irq: set to the acknowledged line 0-15 (7 or 15 if spurious)
 *
 * Moves the highest-priority request from IRR to ISR (IRR stays set for
 * a level-triggered line; auto-EOI clears ISR again and may rotate),
 * through the slave when the master's IR2 wins. With no request, the
 * master answers with IRQ 7 and the slave with IRQ 15 (spurious: ISR
 * untouched). Recomputes INTR.
 *
 * Return: the vector, irq_base of the answering chip plus 0-7 (not
 * truncated: a state with irq_base > 0xf8 set by userspace can give
 * up to 0x106; KVM truncates it to u8 when it injects).
 */
int kvmod_pic_ack(struct kvmod_pic *pic, int *irq);

/**
 * kvmod_pic_read() - guest IN from a PIC port
 * @pic: the PIC pair
 * @port: 0x20, 0x21, 0xa0, 0xa1, 0x4d0 or 0x4d1
 *
 * 0x20/0xa0: IRR or ISR (OCW3), 0x21/0xa1: IMR; after an OCW3 poll
 * command either port returns the polled IRQ number 0-7 (7 when
 * nothing is pending; no bit 7, as KVM) and acknowledges it as an INTA
 * followed by an EOI would. 0x4d0/0x4d1: ELCR. Other ports: 0xff.
 *
 * Return: the byte read.
 */
u8 kvmod_pic_read(struct kvmod_pic *pic, u16 port);

/**
 * kvmod_pic_write() - guest OUT to a PIC port
 * @pic: the PIC pair
 * @port: 0x20, 0x21, 0xa0, 0xa1, 0x4d0 or 0x4d1 (others are ignored)
 * @val: the byte written
 *
 * ICW1-ICW4, OCW1-OCW3, ELCR (masked with elcr_mask).
 */
void kvmod_pic_write(struct kvmod_pic *pic, u16 port, u8 val);

/**
 * kvmod_pic_take_events() - collect what KVM would notify
 * @pic: the PIC pair
 * @acked: if not NULL, set to the lines acknowledged (ISR bit cleared)
 *	since the last call: KVM's ack notifiers (PIT reinjection, level
 *	resampling) run for each
 * @mask_changed: if not NULL, set to the lines whose IMR bit OCW1
 *	changed since the last call: KVM's mask notifiers run for each
 *
 * Both records are cleared.
 */
void kvmod_pic_take_events(struct kvmod_pic *pic, u16 *acked,
			   u16 *mask_changed);

/**
 * kvmod_pic_get_state() - KVM_GET_IRQCHIP for one chip
 * @pic: the PIC pair
 * @chip: 0 (KVM_IRQCHIP_PIC_MASTER) or 1 (KVM_IRQCHIP_PIC_SLAVE)
 * @st: filled with the chip's registers, elcr_mask included
 *
 * A @chip other than 0 or 1 fills @st with zeroes.
 */
void kvmod_pic_get_state(const struct kvmod_pic *pic, unsigned int chip,
			 struct kvm_pic_state *st);

/**
 * kvmod_pic_set_state() - KVM_SET_IRQCHIP for one chip
 * @pic: the PIC pair
 * @chip: 0 (KVM_IRQCHIP_PIC_MASTER) or 1 (KVM_IRQCHIP_PIC_SLAVE)
 * @st: the registers
 *
 * Like KVM, takes all 16 bytes as they are (elcr_mask and elcr too,
 * unchecked), then recomputes INTR, which can latch the master's IR2
 * from a pending slave request.
 *
 * Return: 0, or -1 if @chip is neither 0 nor 1 (KVM: -EINVAL).
 */
int kvmod_pic_set_state(struct kvmod_pic *pic, unsigned int chip,
			const struct kvm_pic_state *st);

#endif /* KVMOD_PIC_H */
