// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for irqchip/ioapic.c and irqchip/msi.c.
 *
 * The input is a sequence of operations on one IOAPIC, each an opcode
 * byte and its operand bytes: MMIO reads and writes of any size and
 * offset, redirection entry writes, set_irq from any source, EOIs,
 * delayed injection, reset, KVM_SET_IRQCHIP with arbitrary bytes, the
 * return value the LAPICs give, and MSI decoding of arbitrary words.
 *
 * Checked invariants:
 *  - every delivered message is the one of its pin's entry at that
 *    moment (vector, delivery mode, destination and mode, trigger),
 *    asserted, without shorthand or redirection hint; the entry is not
 *    masked and, if level-triggered, not waiting for an EOI; only the
 *    RTC pin is tracked for coalescing;
 *  - remote IRR is only set by the delivery of a level entry, and an
 *    edge entry only has it when KVM_SET_IRQCHIP gave it;
 *  - IRR has no bit above pin 23, the RTC count is never negative, the
 *    version and ID registers read what KVM reads, an entry reads back
 *    what was written except the read-only bits;
 *  - get/set of the state round-trips: everything is kept except what
 *    re-injection changes on the pins it delivered;
 *  - the EOI vector bitmap has exactly the vectors of level entries and
 *    of the extra pins;
 *  - the MMIO window is [base, base + 0x100);
 *  - MSI decoding agrees with the address and data bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioapic.h"
#include "msi.h"
#include "fuzz_check.h"

#define RO_BITS	(KVMOD_IOAPIC_REMOTE_IRR | KVMOD_IOAPIC_DELIV_STATUS)

struct fuzz {
	struct kvmod_ioapic *io;
	int ret;		/* what the LAPICs return */
	u32 delivered;		/* pins delivered during the operation */
	u32 edge_rirr_ok;	/* edge pins whose remote IRR came from state */
};

struct input {
	const u8 *p;
	size_t left;
};

static u8 get8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static u32 get32(struct input *in)
{
	u32 v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v |= (u32)get8(in) << (8 * i);
	return v;
}

static int deliver(void *ctx, const struct kvmod_irq_msg *msg,
		   unsigned int pin, bool rtc_track)
{
	struct fuzz *f = ctx;
	struct kvmod_irq_msg want;
	u64 e;

	CHECK(pin < KVMOD_IOAPIC_NUM_PINS);
	e = f->io->redirtbl[pin];
	CHECK(!(e & KVMOD_IOAPIC_MASKED));
	CHECK(!((e & KVMOD_IOAPIC_LEVEL) && (e & KVMOD_IOAPIC_REMOTE_IRR)));
	kvmod_ioapic_entry_msg(e, &want);
	CHECK(msg->vector == (e & 0xff));
	CHECK(msg->delivery_mode == ((e >> 8) & 7));
	CHECK(msg->dest == e >> 56);
	CHECK(msg->logical == !!(e & KVMOD_IOAPIC_DEST_LOGICAL));
	CHECK(msg->level == !!(e & KVMOD_IOAPIC_LEVEL));
	CHECK(msg->vector == want.vector && msg->dest == want.dest);
	CHECK(msg->assert);
	CHECK(msg->shorthand == KVMOD_SH_NONE);
	CHECK(!msg->redirect_hint);
	CHECK(!rtc_track || pin == KVMOD_IOAPIC_RTC_PIN);
	f->delivered |= 1U << pin;
	return f->ret;
}

static void check_invariants(struct fuzz *f, const u64 *before)
{
	struct kvmod_ioapic *io = f->io;
	unsigned int i;

	CHECK(!(io->irr >> KVMOD_IOAPIC_NUM_PINS));
	CHECK(!(io->irr_delivered >> KVMOD_IOAPIC_NUM_PINS));
	CHECK(io->rtc_pending_eoi >= 0);
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		u64 e = io->redirtbl[i];

		if ((e & KVMOD_IOAPIC_REMOTE_IRR) &&
		    !(before[i] & KVMOD_IOAPIC_REMOTE_IRR))
			CHECK((f->delivered & (1U << i)) &&
			      (e & KVMOD_IOAPIC_LEVEL));
		if ((e & KVMOD_IOAPIC_REMOTE_IRR) &&
		    !(e & KVMOD_IOAPIC_LEVEL))
			CHECK(f->edge_rirr_ok & (1U << i));
		CHECK(io->irq_eoi[i] < KVMOD_IOAPIC_EOI_STORM);
	}
}

/*
 * set_state(@st) on a copy of the IOAPIC, then get_state: all is kept
 * but IRR above pin 23 and what re-injection did to the pins it
 * delivered (edge: no longer pending; level: remote IRR per result).
 */
static void check_set_get(struct fuzz *f, const struct kvm_ioapic_state *st)
{
	struct kvmod_ioapic copy = *f->io;
	struct fuzz g = *f;
	struct kvm_ioapic_state out;
	unsigned int i;
	u64 e;

	g.io = &copy;
	g.delivered = 0;
	kvmod_ioapic_set_state(&copy, st, deliver, &g);
	kvmod_ioapic_get_state(&copy, &out);
	CHECK(out.base_address == st->base_address);
	CHECK(out.ioregsel == st->ioregsel);
	CHECK(out.id == st->id);
	CHECK(out.pad == st->pad);
	CHECK(!(out.irr >> KVMOD_IOAPIC_NUM_PINS));
	CHECK(!(g.delivered & ~st->irr));
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		u32 bit = 1U << i;

		e = st->redirtbl[i].bits;
		if (!(g.delivered & bit)) {
			CHECK(out.redirtbl[i].bits == e);
			CHECK((out.irr & bit) == (st->irr & bit));
			continue;
		}
		CHECK((out.redirtbl[i].bits & ~KVMOD_IOAPIC_REMOTE_IRR) ==
		      (e & ~KVMOD_IOAPIC_REMOTE_IRR));
		if (e & KVMOD_IOAPIC_LEVEL) {
			CHECK(out.irr & bit);
			CHECK(!!(out.redirtbl[i].bits &
				 KVMOD_IOAPIC_REMOTE_IRR) == (f->ret != 0));
		} else {
			CHECK(!(out.irr & bit));
		}
	}
}

static bool match_even(void *ctx, const struct kvmod_irq_msg *msg)
{
	CHECK(!ctx);
	return !(msg->dest & 1);
}

static void check_eoi_vectors(struct kvmod_ioapic *io, u32 extra, bool even)
{
	u64 v[4] = { 0, 0, 0, 0 }, want[4] = { 0, 0, 0, 0 };
	unsigned int i;

	kvmod_ioapic_eoi_vectors(io, extra, even ? match_even : NULL, NULL,
				 v);
	for (i = 0; i < KVMOD_IOAPIC_NUM_PINS; i++) {
		u64 e = io->redirtbl[i];

		if (even && ((e >> 56) & 1))
			continue;
		if ((e & KVMOD_IOAPIC_LEVEL) || (extra & (1U << i)))
			want[(e & 0xff) / 64] |= 1ULL << (e & 63);
	}
	CHECK(!memcmp(v, want, sizeof(v)));
}

static void fuzz_msi(struct input *in)
{
	u32 lo = get32(in), hi = get32(in), data = get32(in);
	bool x2 = get8(in) & 1;
	struct kvmod_irq_msg m;
	bool ok;

	memset(&m, 0x5a, sizeof(m));
	ok = kvmod_msi_decode(lo, hi, data, x2, &m);
	CHECK(ok == !(x2 && (hi & 0xff)));
	CHECK(ok == kvmod_msi_valid(hi, x2));
	if (!ok) {
		CHECK(m.vector == 0x5a);
		return;
	}
	CHECK((m.dest & 0xff) == ((lo >> 12) & 0xff));
	CHECK((m.dest & ~0xffU) == (x2 ? hi & ~0xffU : 0));
	CHECK(m.vector == (data & 0xff));
	CHECK(m.delivery_mode == ((data >> 8) & 7));
	CHECK(m.logical == !!(lo & 4));
	CHECK(m.redirect_hint == !!(lo & 8));
	CHECK(m.level == !!(data & 0x8000));
	CHECK(m.assert);
	CHECK(m.shorthand == KVMOD_SH_NONE);
}

static void do_write(struct fuzz *f, u32 offset, unsigned int len, u32 val)
{
	struct kvmod_ioapic *io = f->io;
	struct kvmod_ioapic_write_info info;
	u32 sel = io->ioregsel, wval, got;
	u64 old = 0, now;
	bool ok;
	int pin;

	if (len == 1)
		wval = val & 0xff;
	else if (len == 2)
		wval = val & 0xffff;
	else
		wval = val;
	if ((sel - KVMOD_IOAPIC_REG_REDIR) / 2 < KVMOD_IOAPIC_NUM_PINS)
		old = io->redirtbl[(sel - KVMOD_IOAPIC_REG_REDIR) / 2];

	ok = kvmod_ioapic_mmio_write(io, offset, len, &val, deliver, f,
				     &info);
	CHECK(ok == (len == 1 || len == 2 || len == 4 || len == 8));
	if (!ok) {
		CHECK(info.pin == -1);
		return;
	}
	if ((offset & 0xff) == KVMOD_IOAPIC_REG_SELECT) {
		CHECK(io->ioregsel == (wval & 0xff));
		CHECK(info.pin == -1);
		return;
	}
	if ((offset & 0xff) != KVMOD_IOAPIC_REG_WINDOW) {
		CHECK(info.pin == -1);
		return;
	}
	if (sel == KVMOD_IOAPIC_REG_ID)
		CHECK(io->id == ((wval >> 24) & 0xf));

	pin = (sel - KVMOD_IOAPIC_REG_REDIR) / 2;
	if (sel < KVMOD_IOAPIC_REG_REDIR || pin >= KVMOD_IOAPIC_NUM_PINS) {
		CHECK(info.pin == -1);
		return;
	}
	CHECK(info.pin == pin);
	CHECK(info.old_bits == old);
	f->edge_rirr_ok &= ~(1U << pin);
	now = io->redirtbl[pin];
	got = kvmod_ioapic_read(io, KVMOD_IOAPIC_REG_WINDOW);
	if (sel & 1) {
		CHECK(got == wval);
		CHECK((u32)now == (u32)old ||
		      (((u32)now ^ (u32)old) == KVMOD_IOAPIC_REMOTE_IRR));
	} else {
		u64 want = (wval & ~RO_BITS) | (old & RO_BITS);

		if (!(wval & KVMOD_IOAPIC_LEVEL))
			want &= ~KVMOD_IOAPIC_REMOTE_IRR;
		CHECK((got & ~KVMOD_IOAPIC_REMOTE_IRR) ==
		      (want & ~KVMOD_IOAPIC_REMOTE_IRR));
		CHECK(now >> 32 == old >> 32);
	}
}

static void do_read(struct fuzz *f, u32 offset, unsigned int len)
{
	struct kvmod_ioapic *io = f->io;
	u8 buf[8];
	u32 v32 = 0;
	bool ok;

	memset(buf, 0xee, sizeof(buf));
	ok = kvmod_ioapic_mmio_read(io, offset, len, buf);
	CHECK(ok == (len == 1 || len == 2 || len == 4 || len == 8));
	if (!ok) {
		CHECK(buf[0] == 0xee);
		return;
	}
	memcpy(&v32, buf, len < 4 ? len : 4);
	if (len == 8)
		CHECK(!buf[4] && !buf[5] && !buf[6] && !buf[7]);
	if ((offset & 0xff) == KVMOD_IOAPIC_REG_SELECT) {
		CHECK(v32 == (io->ioregsel & (len >= 4 ? ~0U :
					      (1U << (8 * len)) - 1)));
	} else if ((offset & 0xff) != KVMOD_IOAPIC_REG_WINDOW) {
		CHECK(v32 == 0);
	} else if (io->ioregsel == KVMOD_IOAPIC_REG_VERSION && len >= 4) {
		CHECK(v32 == 0x00170011);
	} else if (io->ioregsel == KVMOD_IOAPIC_REG_ID && len >= 4) {
		CHECK(v32 == (io->id & 0xf) << 24);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u32 offsets[] = { 0x00, 0x10, 0x40, 0x20 };
	static const unsigned int lens[] = { 4, 4, 1, 2, 8, 3, 0, 16 };
	struct kvmod_ioapic io;
	struct kvm_ioapic_state st;
	struct input in = { data, size };
	struct fuzz f = { &io, 1, 0, 0 };
	u64 before[KVMOD_IOAPIC_NUM_PINS];
	u8 op, b;
	u32 v;

	kvmod_ioapic_init(&io);
	while (in.left) {
		memcpy(before, io.redirtbl, sizeof(before));
		f.delivered = 0;
		op = get8(&in);
		switch (op % 16) {
		case 0:	/* MMIO write at a register offset */
			b = get8(&in);
			do_write(&f, offsets[b & 3] | (b & 0x80 ? 0x300 : 0),
				 lens[(b >> 2) & 7], get32(&in));
			break;
		case 1:	/* MMIO write at any offset */
			v = get8(&in);
			b = get8(&in);
			do_write(&f, v, lens[b & 7], get32(&in));
			break;
		case 2:	/* MMIO read */
			b = get8(&in);
			do_read(&f, b & 0x40 ? get8(&in) : offsets[b & 3],
				lens[(b >> 2) & 7]);
			break;
		case 3:	/* a whole redirection entry half */
			b = get8(&in);
			do_write(&f, KVMOD_IOAPIC_REG_SELECT, 4,
				 KVMOD_IOAPIC_REG_REDIR + b % 48);
			do_write(&f, KVMOD_IOAPIC_REG_WINDOW, 4, get32(&in));
			break;
		case 4:
		case 5:	/* set_irq */
			b = get8(&in);
			v = get8(&in);
			kvmod_ioapic_set_irq(&io, b % 26, v % 66, op & 0x10,
					     op & 0x20, deliver, &f);
			break;
		case 6:	/* EOI of a vector, or of a vector in the table */
			b = get8(&in);
			if (op & 0x10)
				b = io.redirtbl[b % 24] & 0xff;
			f.edge_rirr_ok &= ~kvmod_ioapic_vector_pins(&io, b);
			kvmod_ioapic_eoi(&io, b, deliver, &f);
			break;
		case 7:	/* EOI of one pin, maybe just before a storm */
			b = get8(&in) % 25;
			if (b < 24) {
				f.edge_rirr_ok &= ~(1U << b);
				if (op & 0x10)
					io.irq_eoi[b] =
						KVMOD_IOAPIC_EOI_STORM - 2;
			}
			if (kvmod_ioapic_eoi_pin(&io, b, deliver, &f))
				CHECK(!f.delivered && !io.irq_eoi[b]);
			break;
		case 8:
			kvmod_ioapic_eoi_inject(&io, deliver, &f);
			break;
		case 9:	/* KVM_SET_IRQCHIP with arbitrary bytes */
			memset(&st, 0, sizeof(st));
			v = in.left < sizeof(st) ? in.left : sizeof(st);
			memcpy(&st, in.p, v);
			in.p += v;
			in.left -= v;
			check_set_get(&f, &st);
			kvmod_ioapic_set_state(&io, &st, deliver, &f);
			f.edge_rirr_ok = 0;
			for (b = 0; b < KVMOD_IOAPIC_NUM_PINS; b++) {
				before[b] = st.redirtbl[b].bits;
				if (before[b] & KVMOD_IOAPIC_REMOTE_IRR)
					f.edge_rirr_ok |= 1U << b;
			}
			break;
		case 10:	/* KVM_GET_IRQCHIP, then set it back */
			kvmod_ioapic_get_state(&io, &st);
			CHECK(!(st.irr & io.irr_delivered));
			check_set_get(&f, &st);
			break;
		case 11:
			f.ret = (int)(get8(&in) % 5) - 1;
			break;
		case 12:
			fuzz_msi(&in);
			break;
		case 13:
			kvmod_ioapic_rtc_eoi(&io);
			if (op & 0x10)
				io.rtc_pending_eoi = get8(&in) % 4;
			break;
		case 14:
			b = get8(&in);
			if (b & 0x80)
				kvmod_ioapic_clear_source(&io, b % 66);
			else
				check_eoi_vectors(&io, get32(&in), b & 1);
			break;
		case 15:
			if (op & 0x10) {
				kvmod_ioapic_reset(&io);
				CHECK(io.base_address ==
				      KVMOD_IOAPIC_DEFAULT_BASE);
			}
			v = get32(&in);
			CHECK(kvmod_ioapic_in_range(&io, io.base_address + v) ==
			      (v < KVMOD_IOAPIC_MEM_LENGTH &&
			       io.base_address + v >= io.base_address));
			CHECK(!kvmod_ioapic_in_range(&io, io.base_address - 1 -
						      (v >> 8)) ||
			      io.base_address - 1 - (v >> 8) >=
			      io.base_address);
			break;
		}
		check_invariants(&f, before);
	}
	return 0;
}
