/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O APIC as KVM models it: an 82093AA-style IOAPIC with 24 pins,
 * version 0x11, an IOREGSEL/IOWIN register pair in a 256-byte window,
 * edge and level triggering with remote IRR, and KVM's save/restore
 * state (struct kvm_ioapic_state).
 *
 * Pure logic: no locking, no timers, no vCPUs. Interrupt messages leave
 * through a deliver callback; everything that needs vCPUs (ack and mask
 * notifiers, EOI exit bitmaps, the RTC's per-vCPU EOI map, delayed
 * re-injection) stays with the caller, which is told when to act.
 */
#ifndef KVMOD_IOAPIC_H
#define KVMOD_IOAPIC_H

#include <linux/kvm.h>

#include "pure_types.h"
#include "irq_msg.h"

#define KVMOD_IOAPIC_NUM_PINS		KVM_IOAPIC_NUM_PINS	/* 24 */
#define KVMOD_IOAPIC_VERSION_ID		0x11
#define KVMOD_IOAPIC_DEFAULT_BASE	0xfec00000ULL
#define KVMOD_IOAPIC_MEM_LENGTH		0x100

/* MMIO offsets inside the window (after masking with 0xff) */
#define KVMOD_IOAPIC_REG_SELECT		0x00
#define KVMOD_IOAPIC_REG_WINDOW		0x10

/* Indirect registers (IOREGSEL values) */
#define KVMOD_IOAPIC_REG_ID		0x00
#define KVMOD_IOAPIC_REG_VERSION	0x01
#define KVMOD_IOAPIC_REG_ARB		0x02
#define KVMOD_IOAPIC_REG_REDIR		0x10	/* 0x10 + 2 * pin (+1: high) */

/* Redirection table entry bits */
#define KVMOD_IOAPIC_VECTOR_MASK	0xffULL
#define KVMOD_IOAPIC_DM_SHIFT		8	/* bits 10:8, KVMOD_DM_* */
#define KVMOD_IOAPIC_DM_MASK		0x700ULL
#define KVMOD_IOAPIC_DEST_LOGICAL	BIT_ULL(11)
#define KVMOD_IOAPIC_DELIV_STATUS	BIT_ULL(12)
#define KVMOD_IOAPIC_POLARITY		BIT_ULL(13)
#define KVMOD_IOAPIC_REMOTE_IRR		BIT_ULL(14)
#define KVMOD_IOAPIC_LEVEL		BIT_ULL(15)
#define KVMOD_IOAPIC_MASKED		BIT_ULL(16)
#define KVMOD_IOAPIC_DEST_SHIFT		56	/* bits 63:56 */

/* The pin of the RTC, whose edge interrupts KVM tracks until EOI */
#define KVMOD_IOAPIC_RTC_PIN		8

/* Successive EOI re-deliveries of one pin before they are delayed */
#define KVMOD_IOAPIC_EOI_STORM		10000

/* Number of distinct irq source ids (bits of one irq_states word) */
#define KVMOD_IOAPIC_NUM_SOURCES	64

/**
 * struct kvmod_ioapic - IOAPIC state
 * @base_address: guest-physical base of the MMIO window
 * @ioregsel: IOREGSEL (8 bits when written by the guest)
 * @id: IOAPIC ID (bits 27:24 of register 0, kept here shifted down)
 * @irr: pins whose interrupt is pending (asserted, not yet delivered
 *	for edge pins; asserted for level pins)
 * @pad: kvm_ioapic_state's pad word, kept so that it round-trips
 * @redirtbl: the redirection table entries
 * @irq_states: per pin, the irq sources (bit per source id) asserting it
 * @irr_delivered: edge pins in @irr that were delivered since asserted
 * @irq_eoi: per pin, successive re-deliveries caused by EOIs
 * @rtc_pending_eoi: LAPICs that have not yet EOI'd the last RTC
 *	interrupt delivered with line status (see kvmod_ioapic_rtc_eoi())
 *
 * The fields from @base_address to @redirtbl are those of struct
 * kvm_ioapic_state, in the same order; the others are internal.
 */
struct kvmod_ioapic {
	u64 base_address;
	u32 ioregsel;
	u32 id;
	u32 irr;
	u32 pad;
	u64 redirtbl[KVMOD_IOAPIC_NUM_PINS];

	u64 irq_states[KVMOD_IOAPIC_NUM_PINS];
	u32 irr_delivered;
	u32 irq_eoi[KVMOD_IOAPIC_NUM_PINS];
	int rtc_pending_eoi;
};

/**
 * typedef kvmod_ioapic_deliver_t - send an interrupt message to LAPICs
 * @ctx: the caller's context
 * @msg: the message built from redirection entry @pin
 * @pin: the IOAPIC pin being serviced
 * @rtc_track: the caller must record which LAPICs accept @msg, for
 *	KVM's RTC coalescing (the RTC pin, set with line status)
 *
 * Return: the number of LAPICs that accepted the interrupt (>= 0), or
 * < 0 if there was no destination at all (KVM's kvm_irq_delivery_to_apic
 * convention). Non-zero on a level-triggered entry sets its remote IRR.
 */
typedef int (*kvmod_ioapic_deliver_t)(void *ctx,
				      const struct kvmod_irq_msg *msg,
				      unsigned int pin, bool rtc_track);

/**
 * typedef kvmod_ioapic_match_t - does a vCPU care about an entry's EOI?
 * @ctx: the caller's context
 * @msg: the message of a redirection entry
 *
 * Return: true if the vCPU being scanned is a destination of @msg or has
 * an EOI of @msg->vector pending.
 */
typedef bool (*kvmod_ioapic_match_t)(void *ctx,
				     const struct kvmod_irq_msg *msg);

/**
 * struct kvmod_ioapic_write_info - what a write through IOWIN changed
 * @pin: the redirection entry written, or -1 if none was
 * @old_bits: that entry before the write (mask and destination changes
 *	are found by comparing with the table)
 */
struct kvmod_ioapic_write_info {
	int pin;
	u64 old_bits;
};

/**
 * kvmod_ioapic_init() - zero an IOAPIC and reset it
 * @io: the IOAPIC
 *
 * The state of a newly created in-kernel IOAPIC (KVM_CREATE_IRQCHIP).
 */
void kvmod_ioapic_init(struct kvmod_ioapic *io);

/**
 * kvmod_ioapic_reset() - reset an IOAPIC as KVM does
 * @io: the IOAPIC
 *
 * Masks every redirection entry (other entry bits are kept), sets the
 * base to 0xfec00000 and clears IOREGSEL, ID, IRR, the delivered and
 * EOI-storm bookkeeping and the RTC's pending count. The irq source
 * states are kept. The caller also cancels a pending delayed injection
 * and clears its RTC EOI map.
 */
void kvmod_ioapic_reset(struct kvmod_ioapic *io);

/**
 * kvmod_ioapic_entry_msg() - the message a redirection entry sends
 * @bits: the redirection table entry
 * @msg: filled in: dest = bits 63:56, vector, delivery mode, logical
 *	destination mode, level = trigger mode, assert = true, no
 *	shorthand, no redirection hint (polarity is ignored, as in KVM)
 */
void kvmod_ioapic_entry_msg(u64 bits, struct kvmod_irq_msg *msg);

/**
 * kvmod_ioapic_set_irq() - drive an input pin from one irq source
 * @io: the IOAPIC
 * @pin: the pin, < KVMOD_IOAPIC_NUM_PINS
 * @source_id: the irq source, < KVMOD_IOAPIC_NUM_SOURCES
 * @level: the source's new line level; the pin is the OR of its sources
 * @line_status: the caller reports coalescing (KVM_IRQ_LINE_STATUS,
 *	set_state re-injection): enables the RTC pin's EOI tracking
 * @deliver: sends the message if the pin is serviced
 * @ctx: for @deliver
 *
 * Return: 1 if the pin ends up deasserted; 0 if the interrupt was
 * coalesced (edge pin already pending, RTC interrupt not yet EOI'd);
 * otherwise the service result: -1 if the entry is masked or a level
 * entry waits for EOI (remote IRR), else @deliver's return value. -1
 * also for a @pin or @source_id out of range (KVM never passes those).
 */
int kvmod_ioapic_set_irq(struct kvmod_ioapic *io, unsigned int pin,
			 unsigned int source_id, bool level, bool line_status,
			 kvmod_ioapic_deliver_t deliver, void *ctx);

/**
 * kvmod_ioapic_clear_source() - forget an irq source on every pin
 * @io: the IOAPIC
 * @source_id: the irq source being freed
 *
 * As KVM, only the source bits change: IRR is not re-evaluated.
 */
void kvmod_ioapic_clear_source(struct kvmod_ioapic *io,
			       unsigned int source_id);

/**
 * kvmod_ioapic_in_range() - is a guest-physical address in the window?
 * @io: the IOAPIC
 * @addr: the address
 *
 * Return: true for [base_address, base_address + 0x100). KVM keeps the
 * MMIO device where it was registered (at 0xfec00000) even when
 * KVM_SET_IRQCHIP changes base_address; accesses it gets outside this
 * range are not handled (-EOPNOTSUPP: they go on to userspace).
 */
bool kvmod_ioapic_in_range(const struct kvmod_ioapic *io, u64 addr);

/**
 * kvmod_ioapic_read() - a read of the MMIO window
 * @io: the IOAPIC
 * @offset: offset from base_address; only its low 8 bits are decoded
 *
 * Return: IOREGSEL at offset 0x00, the selected register at 0x10 (ID
 * and ARB read the ID in bits 27:24, VER reads 0x00170011, a pin's
 * entry half, all ones for a register that does not exist), 0 at any
 * other offset (including the EOI register at 0x40, which version 0x11
 * does not have).
 */
u32 kvmod_ioapic_read(struct kvmod_ioapic *io, u32 offset);

/**
 * kvmod_ioapic_write() - a write of the MMIO window
 * @io: the IOAPIC
 * @offset: offset from base_address; only its low 8 bits are decoded
 * @val: the value
 * @deliver: sends a message if the write services a pin
 * @ctx: for @deliver
 * @info: if not NULL, filled in with the entry the write changed
 *
 * Offset 0x00 sets IOREGSEL to @val & 0xff; 0x10 writes the selected
 * register: ID takes bits 27:24, VER and ARB ignore writes, an entry
 * half keeps delivery status and remote IRR (remote IRR is cleared if
 * the entry becomes edge-triggered); a level entry that is then
 * unmasked, not waiting for EOI and asserted is serviced at once. Other
 * offsets (0x40 too) are ignored. After an entry change the caller
 * rescans the LAPICs' EOI exit bitmaps and fires mask notifiers if the
 * mask bit flipped.
 */
void kvmod_ioapic_write(struct kvmod_ioapic *io, u32 offset, u32 val,
			kvmod_ioapic_deliver_t deliver, void *ctx,
			struct kvmod_ioapic_write_info *info);

/**
 * kvmod_ioapic_mmio_read() - a read of 1, 2, 4 or 8 bytes, as KVM
 * @io: the IOAPIC
 * @offset: offset from base_address
 * @len: access size
 * @data: receives the low @len bytes of the 32-bit register value
 *	(zero-extended for 8 bytes)
 *
 * Return: false (and @data untouched) for another size, which KVM
 * treats as handled after a warning.
 */
bool kvmod_ioapic_mmio_read(struct kvmod_ioapic *io, u32 offset,
			    unsigned int len, void *data);

/**
 * kvmod_ioapic_mmio_write() - a write of 1, 2, 4 or 8 bytes, as KVM
 * @io: the IOAPIC
 * @offset: offset from base_address
 * @len: access size; 8 bytes write their low 4, 1 and 2 zero-extend
 * @data: the bytes written
 * @deliver: as for kvmod_ioapic_write()
 * @ctx: for @deliver
 * @info: as for kvmod_ioapic_write(); its pin is -1 if nothing was done
 *
 * Return: false (nothing written) for another size, which KVM treats as
 * handled after a warning.
 */
bool kvmod_ioapic_mmio_write(struct kvmod_ioapic *io, u32 offset,
			     unsigned int len, const void *data,
			     kvmod_ioapic_deliver_t deliver, void *ctx,
			     struct kvmod_ioapic_write_info *info);

/**
 * kvmod_ioapic_vector_pins() - the pins whose entry has a vector
 * @io: the IOAPIC
 * @vector: the vector
 *
 * Return: a bitmap of pins; the caller calls the ack notifiers of each
 * (with its lock dropped, as KVM) when a LAPIC EOIs @vector.
 */
u32 kvmod_ioapic_vector_pins(const struct kvmod_ioapic *io, u8 vector);

/**
 * kvmod_ioapic_eoi_pin() - a level-triggered EOI reached one pin
 * @io: the IOAPIC
 * @pin: the pin, < KVMOD_IOAPIC_NUM_PINS
 * @deliver: sends the message if the pin is serviced again
 * @ctx: for @deliver
 *
 * Clears the entry's remote IRR; if the pin is unmasked and still
 * asserted it is serviced again, except every KVMOD_IOAPIC_EOI_STORM-th
 * successive time, when it is left for kvmod_ioapic_eoi_inject().
 *
 * Return: true if the caller must call kvmod_ioapic_eoi_inject() after
 * a delay (KVM: 10 ms); false otherwise.
 */
bool kvmod_ioapic_eoi_pin(struct kvmod_ioapic *io, unsigned int pin,
			  kvmod_ioapic_deliver_t deliver, void *ctx);

/**
 * kvmod_ioapic_eoi() - a LAPIC EOI'd a level-triggered vector
 * @io: the IOAPIC
 * @vector: the vector
 * @deliver: sends messages of pins serviced again
 * @ctx: for @deliver
 *
 * kvmod_ioapic_eoi_pin() on every pin whose entry has @vector. Call it
 * only when the LAPIC's TMR bit was set and directed EOI is off (KVM
 * then calls only the ack notifiers), after the RTC EOI check.
 *
 * Return: true if a delayed kvmod_ioapic_eoi_inject() is needed.
 */
bool kvmod_ioapic_eoi(struct kvmod_ioapic *io, u8 vector,
		      kvmod_ioapic_deliver_t deliver, void *ctx);

/**
 * kvmod_ioapic_eoi_inject() - the delayed re-injection after a storm
 * @io: the IOAPIC
 * @deliver: sends the messages
 * @ctx: for @deliver
 *
 * Services every level pin that is asserted and not waiting for EOI.
 */
void kvmod_ioapic_eoi_inject(struct kvmod_ioapic *io,
			     kvmod_ioapic_deliver_t deliver, void *ctx);

/**
 * kvmod_ioapic_rtc_eoi() - a LAPIC in the RTC's EOI map EOI'd its vector
 * @io: the IOAPIC
 *
 * Decrements rtc_pending_eoi. The caller keeps the per-vCPU map (filled
 * when @deliver is called with rtc_track) and recounts it into
 * rtc_pending_eoi after kvmod_ioapic_set_state().
 *
 * Return: false if the count was already 0 (KVM warns and recounts).
 */
bool kvmod_ioapic_rtc_eoi(struct kvmod_ioapic *io);

/**
 * kvmod_ioapic_eoi_vectors() - vectors whose EOIs a LAPIC must report
 * @io: the IOAPIC
 * @extra_pins: bitmap of pins to include even if edge-triggered (the
 *	RTC pin, pins with ack notifiers)
 * @match: if not NULL, only entries it accepts are included
 * @ctx: for @match
 * @vectors: 256-bit bitmap, OR'ed into (the caller zeroes it first)
 *
 * The vectors of level-triggered entries and of @extra_pins, masked or
 * not, as KVM's EOI exit bitmap scan.
 */
void kvmod_ioapic_eoi_vectors(const struct kvmod_ioapic *io, u32 extra_pins,
			      kvmod_ioapic_match_t match, void *ctx,
			      u64 vectors[4]);

/**
 * kvmod_ioapic_get_state() - KVM_GET_IRQCHIP of the IOAPIC
 * @io: the IOAPIC
 * @state: filled in; IRR leaves out edge pins already delivered
 */
void kvmod_ioapic_get_state(const struct kvmod_ioapic *io,
			    struct kvm_ioapic_state *state);

/**
 * kvmod_ioapic_set_state() - KVM_SET_IRQCHIP of the IOAPIC
 * @io: the IOAPIC
 * @state: the new state, taken as is (no field is refused)
 * @deliver: sends messages of the pins re-injected
 * @ctx: for @deliver
 *
 * Copies @state, then re-asserts each pin in @state->irr (< 24) as with
 * line status, so pending interrupts are serviced under the new table.
 * The irq source states and the EOI storm counts are kept. The caller
 * then rescans EOI exit bitmaps and recounts the RTC's EOI map.
 */
void kvmod_ioapic_set_state(struct kvmod_ioapic *io,
			    const struct kvm_ioapic_state *state,
			    kvmod_ioapic_deliver_t deliver, void *ctx);

#endif /* KVMOD_IOAPIC_H */
