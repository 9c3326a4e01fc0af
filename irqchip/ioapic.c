// SPDX-License-Identifier: GPL-2.0
/*
 * Register and interrupt logic of KVM's I/O APIC model: the indirect
 * register window, the redirection table, IRR and remote IRR, EOI
 * handling and KVM_GET/SET_IRQCHIP state. See ioapic.h.
 */
#include "ioapic.h"

static bool pin_is_level(const struct kvmod_ioapic *io, unsigned int pin)
{
	return io->redirtbl[pin] & KVMOD_IOAPIC_LEVEL;
}

void kvmod_ioapic_entry_msg(u64 bits, struct kvmod_irq_msg *msg)
{
	msg->dest = (u32)(bits >> KVMOD_IOAPIC_DEST_SHIFT);
	msg->vector = (u8)(bits & KVMOD_IOAPIC_VECTOR_MASK);
	msg->delivery_mode = (u8)((bits & KVMOD_IOAPIC_DM_MASK) >>
				  KVMOD_IOAPIC_DM_SHIFT);
	msg->shorthand = KVMOD_SH_NONE;
	msg->logical = !!(bits & KVMOD_IOAPIC_DEST_LOGICAL);
	msg->level = !!(bits & KVMOD_IOAPIC_LEVEL);
	msg->assert = true;
	msg->redirect_hint = false;
}

void kvmod_ioapic_reset(struct kvmod_ioapic *io)
{
	unsigned int i;

	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		io->redirtbl[i] |= KVMOD_IOAPIC_MASKED;
		io->irq_eoi[i] = 0;
	}
	io->base_address = KVMOD_IOAPIC_DEFAULT_BASE;
	io->ioregsel = 0;
	io->irr = 0;
	io->irr_delivered = 0;
	io->id = 0;
	io->rtc_pending_eoi = 0;
}

void kvmod_ioapic_init(struct kvmod_ioapic *io)
{
	__builtin_memset(io, 0, sizeof(*io));
	kvmod_ioapic_reset(io);
}

/*
 * Send the interrupt of one pin if its entry lets it through: not
 * masked and, for a level entry, not waiting for an EOI.
 */
static int ioapic_service(struct kvmod_ioapic *io, unsigned int pin,
			  bool line_status, kvmod_ioapic_deliver_t deliver,
			  void *ctx)
{
	u64 *entry = &io->redirtbl[pin];
	struct kvmod_irq_msg msg;
	bool rtc_track;
	int ret;

	if ((*entry & KVMOD_IOAPIC_MASKED) ||
	    ((*entry & KVMOD_IOAPIC_LEVEL) &&
	     (*entry & KVMOD_IOAPIC_REMOTE_IRR)))
		return -1;

	kvmod_ioapic_entry_msg(*entry, &msg);
	if (!msg.level)
		io->irr_delivered |= BIT(pin);

	rtc_track = pin == KVMOD_IOAPIC_RTC_PIN && line_status;
	ret = deliver(ctx, &msg, pin, rtc_track);
	if (rtc_track)
		io->rtc_pending_eoi = ret < 0 ? 0 : ret;

	/* As KVM: -1 (no destination) sets remote IRR too, only 0 not. */
	if (ret && msg.level)
		*entry |= KVMOD_IOAPIC_REMOTE_IRR;
	return ret;
}

/* The pin's line level changed (or was asserted again). */
static int ioapic_set_line(struct kvmod_ioapic *io, unsigned int pin,
			   bool level, bool line_status,
			   kvmod_ioapic_deliver_t deliver, void *ctx)
{
	u32 mask = BIT(pin);
	u32 old_irr;

	if (!level) {
		io->irr &= ~mask;
		return 1;
	}

	if (pin == KVMOD_IOAPIC_RTC_PIN && line_status &&
	    io->rtc_pending_eoi > 0)
		return 0;

	old_irr = io->irr;
	io->irr |= mask;
	if (!pin_is_level(io, pin)) {
		io->irr_delivered &= ~mask;
		if (old_irr == io->irr)
			return 0;
	}

	return ioapic_service(io, pin, line_status, deliver, ctx);
}

int kvmod_ioapic_set_irq(struct kvmod_ioapic *io, unsigned int pin,
			 unsigned int source_id, bool level, bool line_status,
			 kvmod_ioapic_deliver_t deliver, void *ctx)
{
	if (pin >= KVMOD_IOAPIC_NUM_PINS ||
	    source_id >= KVMOD_IOAPIC_NUM_SOURCES)
		return -1;

	if (level)
		io->irq_states[pin] |= BIT_ULL(source_id);
	else
		io->irq_states[pin] &= ~BIT_ULL(source_id);

	return ioapic_set_line(io, pin, io->irq_states[pin] != 0, line_status,
			       deliver, ctx);
}

void kvmod_ioapic_clear_source(struct kvmod_ioapic *io,
			       unsigned int source_id)
{
	unsigned int i;

	if (source_id >= KVMOD_IOAPIC_NUM_SOURCES)
		return;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		io->irq_states[i] &= ~BIT_ULL(source_id);
}

bool kvmod_ioapic_in_range(const struct kvmod_ioapic *io, u64 addr)
{
	return addr >= io->base_address &&
	       addr - io->base_address < KVMOD_IOAPIC_MEM_LENGTH;
}

static u32 ioapic_read_indirect(const struct kvmod_ioapic *io)
{
	u32 index;
	u64 bits = ~0ULL;

	switch (io->ioregsel) {
	case KVMOD_IOAPIC_REG_VERSION:
		return ((KVMOD_IOAPIC_NUM_PINS - 1) << 16) |
		       KVMOD_IOAPIC_VERSION_ID;
	case KVMOD_IOAPIC_REG_ID:
	case KVMOD_IOAPIC_REG_ARB:
		return (io->id & 0xf) << 24;
	default:
		/* Wraps around for 3..0xf: no such register. */
		index = (io->ioregsel - KVMOD_IOAPIC_REG_REDIR) >> 1;
		if (index < KVMOD_IOAPIC_NUM_PINS)
			bits = io->redirtbl[index];
		return (io->ioregsel & 1) ? (u32)(bits >> 32) : (u32)bits;
	}
}

u32 kvmod_ioapic_read(struct kvmod_ioapic *io, u32 offset)
{
	switch (offset & 0xff) {
	case KVMOD_IOAPIC_REG_SELECT:
		return io->ioregsel;
	case KVMOD_IOAPIC_REG_WINDOW:
		return ioapic_read_indirect(io);
	default:
		return 0;
	}
}

static void ioapic_write_entry(struct kvmod_ioapic *io, unsigned int index,
			       u32 val, kvmod_ioapic_deliver_t deliver,
			       void *ctx)
{
	const u64 kept = KVMOD_IOAPIC_REMOTE_IRR | KVMOD_IOAPIC_DELIV_STATUS;
	u64 *entry = &io->redirtbl[index];
	u64 bits;

	if (io->ioregsel & 1)
		bits = (*entry & 0xffffffffULL) | ((u64)val << 32);
	else
		bits = (*entry & ~0xffffffffULL) | val;
	bits = (bits & ~kept) | (*entry & kept);

	/*
	 * An entry turned edge-triggered loses its remote IRR: guests
	 * without an EOI register rely on that to end a level interrupt.
	 */
	if (!(bits & KVMOD_IOAPIC_LEVEL))
		bits &= ~KVMOD_IOAPIC_REMOTE_IRR;
	*entry = bits;

	if ((bits & KVMOD_IOAPIC_LEVEL) && (io->irr & BIT(index)) &&
	    !(bits & KVMOD_IOAPIC_MASKED) && !(bits & KVMOD_IOAPIC_REMOTE_IRR))
		ioapic_service(io, index, false, deliver, ctx);
}

void kvmod_ioapic_write(struct kvmod_ioapic *io, u32 offset, u32 val,
			kvmod_ioapic_deliver_t deliver, void *ctx,
			struct kvmod_ioapic_write_info *info)
{
	u32 index;

	if (info)
		info->pin = -1;

	switch (offset & 0xff) {
	case KVMOD_IOAPIC_REG_SELECT:
		io->ioregsel = val & 0xff;
		return;
	case KVMOD_IOAPIC_REG_WINDOW:
		break;
	default:
		return;
	}

	switch (io->ioregsel) {
	case KVMOD_IOAPIC_REG_VERSION:
	case KVMOD_IOAPIC_REG_ARB:
		return;
	case KVMOD_IOAPIC_REG_ID:
		io->id = (val >> 24) & 0xf;
		return;
	default:
		index = (io->ioregsel - KVMOD_IOAPIC_REG_REDIR) >> 1;
		if (index >= KVMOD_IOAPIC_NUM_PINS)
			return;
		if (info) {
			info->pin = index;
			info->old_bits = io->redirtbl[index];
		}
		ioapic_write_entry(io, index, val, deliver, ctx);
		return;
	}
}

bool kvmod_ioapic_mmio_read(struct kvmod_ioapic *io, u32 offset,
			    unsigned int len, void *data)
{
	u32 val;
	u64 val64;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return false;

	val = kvmod_ioapic_read(io, offset);
	if (len == 8) {
		val64 = val;
		__builtin_memcpy(data, &val64, 8);
	} else {
		/* x86 is little-endian: the low bytes come first. */
		__builtin_memcpy(data, &val, len);
	}
	return true;
}

bool kvmod_ioapic_mmio_write(struct kvmod_ioapic *io, u32 offset,
			     unsigned int len, const void *data,
			     kvmod_ioapic_deliver_t deliver, void *ctx,
			     struct kvmod_ioapic_write_info *info)
{
	u32 val = 0;
	u16 val16;
	u8 val8;

	switch (len) {
	case 8:
	case 4:
		__builtin_memcpy(&val, data, 4);
		break;
	case 2:
		__builtin_memcpy(&val16, data, 2);
		val = val16;
		break;
	case 1:
		__builtin_memcpy(&val8, data, 1);
		val = val8;
		break;
	default:
		if (info)
			info->pin = -1;
		return false;
	}

	kvmod_ioapic_write(io, offset, val, deliver, ctx, info);
	return true;
}

u32 kvmod_ioapic_vector_pins(const struct kvmod_ioapic *io, u8 vector)
{
	unsigned int i;
	u32 pins = 0;

	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		if ((io->redirtbl[i] & KVMOD_IOAPIC_VECTOR_MASK) == vector)
			pins |= BIT(i);
	return pins;
}

bool kvmod_ioapic_eoi_pin(struct kvmod_ioapic *io, unsigned int pin,
			  kvmod_ioapic_deliver_t deliver, void *ctx)
{
	u64 *entry;

	if (pin >= KVMOD_IOAPIC_NUM_PINS)
		return false;

	entry = &io->redirtbl[pin];
	*entry &= ~KVMOD_IOAPIC_REMOTE_IRR;
	if ((*entry & KVMOD_IOAPIC_MASKED) || !(io->irr & BIT(pin))) {
		io->irq_eoi[pin] = 0;
		return false;
	}

	/*
	 * A guest that EOIs a still asserted level interrupt without
	 * quietening the device would never progress; hardware delivers
	 * the next interrupt with some delay, so after many successive
	 * re-deliveries leave this one to a delayed injection.
	 */
	if (++io->irq_eoi[pin] == KVMOD_IOAPIC_EOI_STORM) {
		io->irq_eoi[pin] = 0;
		return true;
	}
	ioapic_service(io, pin, false, deliver, ctx);
	return false;
}

bool kvmod_ioapic_eoi(struct kvmod_ioapic *io, u8 vector,
		      kvmod_ioapic_deliver_t deliver, void *ctx)
{
	bool delay = false;
	unsigned int i;

	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		if ((io->redirtbl[i] & KVMOD_IOAPIC_VECTOR_MASK) != vector)
			continue;
		if (kvmod_ioapic_eoi_pin(io, i, deliver, ctx))
			delay = true;
	}
	return delay;
}

void kvmod_ioapic_eoi_inject(struct kvmod_ioapic *io,
			     kvmod_ioapic_deliver_t deliver, void *ctx)
{
	unsigned int i;

	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		if (!pin_is_level(io, i))
			continue;
		if ((io->irr & BIT(i)) &&
		    !(io->redirtbl[i] & KVMOD_IOAPIC_REMOTE_IRR))
			ioapic_service(io, i, false, deliver, ctx);
	}
}

bool kvmod_ioapic_rtc_eoi(struct kvmod_ioapic *io)
{
	if (io->rtc_pending_eoi <= 0)
		return false;
	io->rtc_pending_eoi--;
	return true;
}

void kvmod_ioapic_eoi_vectors(const struct kvmod_ioapic *io, u32 extra_pins,
			      kvmod_ioapic_match_t match, void *ctx,
			      u64 vectors[4])
{
	struct kvmod_irq_msg msg;
	unsigned int i;

	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		if (!pin_is_level(io, i) && !(extra_pins & BIT(i)))
			continue;
		kvmod_ioapic_entry_msg(io->redirtbl[i], &msg);
		if (match && !match(ctx, &msg))
			continue;
		vectors[msg.vector / 64] |= BIT_ULL(msg.vector % 64);
	}
}

void kvmod_ioapic_get_state(const struct kvmod_ioapic *io,
			    struct kvm_ioapic_state *state)
{
	unsigned int i;

	__builtin_memset(state, 0, sizeof(*state));
	state->base_address = io->base_address;
	state->ioregsel = io->ioregsel;
	state->id = io->id;
	state->irr = io->irr & ~io->irr_delivered;
	state->pad = io->pad;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		state->redirtbl[i].bits = io->redirtbl[i];
}

void kvmod_ioapic_set_state(struct kvmod_ioapic *io,
			    const struct kvm_ioapic_state *state,
			    kvmod_ioapic_deliver_t deliver, void *ctx)
{
	u32 irr = state->irr;
	unsigned int i;

	io->base_address = state->base_address;
	io->ioregsel = state->ioregsel;
	io->id = state->id;
	io->pad = state->pad;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		io->redirtbl[i] = state->redirtbl[i].bits;
	io->irr = 0;
	io->irr_delivered = 0;

	/* Pending interrupts are asserted again under the new table. */
	io->rtc_pending_eoi = 0;
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++)
		if (irr & BIT(i))
			ioapic_set_line(io, i, true, true, deliver, ctx);
}
