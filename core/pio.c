// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits to userspace (KVM_EXIT_IO), including string I/O.
 *
 * OUT/OUTS data is placed in the page after kvm_run before the exit;
 * IN/INS data is taken from there when userspace re-enters KVM_RUN.
 * RIP, and for string I/O RSI/RDI/RCX, are updated at completion, as
 * KVM does, so the guest state is consistent only after that KVM_RUN.
 *
 * A REP string instruction is split into exits of at most one page of
 * data that never cross a guest page; the guest re-executes the
 * instruction until RCX reaches zero.
 */
#include <linux/kernel.h>
#include <linux/mm.h>

#include <asm/unaligned.h>

#include "registry.h"
#include "insn_len.h"
#include "trace_kvm.h"
#include "trace_kvmod.h"

#define RFLAGS_DF	BIT_ULL(10)

static u64 addr_mask(u8 addr_bytes)
{
	return addr_bytes == 8 ? ~0ULL : (1ULL << (addr_bytes * 8)) - 1;
}

/* Write @val into the low @addr_bytes of a register, as string ops do. */
static void set_reg_sized(u64 *reg, u64 val, u8 addr_bytes)
{
	if (addr_bytes == 2)
		*reg = (*reg & ~0xffffULL) | (val & 0xffff);
	else if (addr_bytes == 4)
		*reg = (u32)val;
	else
		*reg = val;
}

static u64 seg_base(struct kvmod_vcpu *vcpu, int seg, bool *long64)
{
	struct kvmod_guest_mode mode;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	*long64 = mode.long64;
	/* In 64-bit mode only FS and GS have a base. */
	if (*long64 && seg != KVMOD_SEG_FS && seg != KVMOD_SEG_GS)
		return 0;
	return mode.seg_base[seg];
}

/* Linear address of the memory operand of a string I/O instruction. */
static u64 string_linear(struct kvmod_vcpu *vcpu, const struct kvmod_pio_pending *p)
{
	u64 mask = addr_mask(p->addr_bytes);
	u64 off, linear;
	bool long64;

	if (p->in)
		off = vcpu->regs[KVMOD_RDI] & mask;
	else
		off = vcpu->regs[KVMOD_RSI] & mask;
	linear = seg_base(vcpu, p->seg, &long64) + off;
	return long64 ? linear : (u32)linear;
}

/*
 * The segment of the memory operand (ES for INS; DS for OUTS unless an
 * override prefix says otherwise) and the address size, from the
 * instruction itself: QEMU's SVM emulation reports the address size one
 * bit off in the IOIO exit information, so the vendor's value is only the
 * fallback when the instruction cannot be read.
 */
static void string_operand(struct kvmod_vcpu *vcpu, struct kvmod_pio_pending *p,
			   u8 vendor_addr_bytes)
{
	struct kvmod_guest_mode mode;
	u8 insn[KVMOD_INSN_MAX];
	struct kvmod_prefixes pfx;
	bool long64;
	int n;

	p->seg = p->in ? KVMOD_SEG_ES : KVMOD_SEG_DS;
	p->addr_bytes = vendor_addr_bytes;
	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n <= 0 || kvmod_insn_prefixes(insn, n, long64, &pfx) < 0)
		return;
	vcpu->vm->vendor->get_mode(vcpu, &mode);
	if (long64)
		p->addr_bytes = pfx.addrsize ? 4 : 8;
	else
		p->addr_bytes = mode.cs_db != pfx.addrsize ? 4 : 2;
	if (p->in || pfx.seg == KVMOD_SEG_NONE)
		return;
	/* In 64-bit mode only FS and GS overrides have an effect. */
	if (long64 && pfx.seg != KVMOD_SEG_FS && pfx.seg != KVMOD_SEG_GS)
		return;
	p->seg = pfx.seg;
}

/* Out of line, so that disabled tracing costs the exit path no loads. */
static noinline void trace_pio_exit(struct kvmod_vcpu *vcpu)
{
	struct kvmod_pio_pending *p = &vcpu->pio;

	trace_kvmod_pio(vcpu->id, p->port, p->size, p->count, p->in);
	if (!p->in)
		trace_kvm_pio(1, p->port, p->size, p->count, vcpu->pio_data);
}

/*
 * In-kernel devices on the I/O bus first: when one claims the port, the
 * whole access (every element of a string one) is done here and the
 * instruction completes as if userspace had answered.
 */
static bool pio_in_kernel(struct kvmod_vcpu *vcpu)
{
	struct kvmod_pio_pending *p = &vcpu->pio;
	u8 *data = vcpu->pio_data;
	u32 i;

	for (i = 0; i < p->count; i++)
		if (kvmod_io_bus_access(vcpu, KVMOD_PIO_BUS, p->port, p->size,
					data + i * p->size, !p->in))
			return false;
	return true;
}

/* A device on the bus took the access: complete it here. Out of line. */
static noinline int pio_done_in_kernel(struct kvmod_vcpu *vcpu)
{
	int r = kvmod_complete_pio(vcpu);

	if (r)
		return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   vcpu->pio.port, r);
	return KVMOD_EXIT_RESUME;
}

static inline int pio_exit_to_user(struct kvmod_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvmod_pio_pending *p = &vcpu->pio;

	if (unlikely(rcu_access_pointer(vcpu->vm->buses[KVMOD_PIO_BUS])) &&
	    pio_in_kernel(vcpu))
		return pio_done_in_kernel(vcpu);

	if (trace_kvmod_pio_enabled() || trace_kvm_pio_enabled())
		trace_pio_exit(vcpu);
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = p->in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = p->size;
	run->io.port = p->port;
	run->io.count = p->count;
	run->io.data_offset = PAGE_SIZE;
	p->active = true;
	return KVMOD_EXIT_USER;
}

static int pio_string(struct kvmod_vcpu *vcpu, const struct kvmod_pio_exit *io)
{
	struct kvmod_pio_pending *p = &vcpu->pio;
	u64 count = 1, linear, room;
	int r;

	string_operand(vcpu, p, io->addr_bytes);
	if (io->rep) {
		count = vcpu->regs[KVMOD_RCX] & addr_mask(p->addr_bytes);
		if (!count) {
			kvmod_advance_rip(vcpu, io->next_rip);
			return KVMOD_EXIT_RESUME;
		}
	}
	linear = string_linear(vcpu, p);

	/* At most a page of data, and never across a guest page. */
	count = min_t(u64, count, PAGE_SIZE / io->size);
	if (vcpu->rflags & RFLAGS_DF) {
		count = 1;
	} else {
		room = (PAGE_SIZE - (linear & ~PAGE_MASK)) / io->size;
		if (!room)
			room = 1;	/* an element straddling two pages */
		count = min(count, room);
	}
	p->count = count;

	if (!io->in) {
		r = kvmod_read_guest_virt(vcpu, linear, vcpu->pio_data,
					  count * io->size, 0);
		if (r)
			return kvmod_exit_internal(vcpu,
				KVM_INTERNAL_ERROR_EMULATION, linear, r);
	}
	return pio_exit_to_user(vcpu);
}

/* OUT's data for userspace: the low @size bytes of RAX, without memcpy. */
static inline void pio_store_out(void *data, u64 rax, u8 size)
{
	if (size == 1)
		*(u8 *)data = rax;
	else if (size == 2)
		put_unaligned((u16)rax, (u16 *)data);
	else
		put_unaligned((u32)rax, (u32 *)data);
}

/**
 * kvmod_handle_pio() - handle an I/O instruction exit
 * @vcpu: the vCPU
 * @io: what the vendor decoded from its exit information
 *
 * Return: KVMOD_EXIT_USER with vcpu->run describing a KVM_EXIT_IO, or
 * KVMOD_EXIT_RESUME when nothing needs userspace (a REP with count 0).
 */
int kvmod_handle_pio(struct kvmod_vcpu *vcpu, const struct kvmod_pio_exit *io)
{
	struct kvmod_pio_pending *p = &vcpu->pio;

	vcpu->stat.io_exits++;
	p->in = io->in;
	p->string = io->string;
	p->rep = io->rep;
	p->size = io->size;
	p->addr_bytes = io->addr_bytes;
	p->port = io->port;
	p->exit_rip = vcpu->rip;
	p->next_rip = io->next_rip;
	p->count = 1;

	if (io->string)
		return pio_string(vcpu, io);

	if (!io->in)
		pio_store_out(vcpu->pio_data, vcpu->regs[KVMOD_RAX], io->size);
	return pio_exit_to_user(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_handle_pio);

static int complete_string(struct kvmod_vcpu *vcpu)
{
	struct kvmod_pio_pending *p = &vcpu->pio;
	u64 bytes = (u64)p->count * p->size;
	int reg = p->in ? KVMOD_RDI : KVMOD_RSI;
	u64 mask = addr_mask(p->addr_bytes);
	u64 addr;
	int r;

	if (p->in) {
		r = kvmod_write_guest_virt(vcpu, string_linear(vcpu, p),
					   vcpu->pio_data, bytes);
		if (r)
			return r;
	}
	addr = vcpu->regs[reg] & mask;
	addr = (vcpu->rflags & RFLAGS_DF) ? addr - bytes : addr + bytes;
	set_reg_sized(&vcpu->regs[reg], addr, p->addr_bytes);

	if (p->rep) {
		u64 rcx = (vcpu->regs[KVMOD_RCX] & mask) - p->count;

		set_reg_sized(&vcpu->regs[KVMOD_RCX], rcx, p->addr_bytes);
		/* The instruction runs again until RCX is zero. */
		if (rcx)
			return 0;
	}
	kvmod_advance_rip(vcpu, p->next_rip);
	return 0;
}

/**
 * kvmod_complete_pio() - finish an I/O exit when userspace re-enters
 * @vcpu: the vCPU
 *
 * Return: 0, or -errno (e.g. -EFAULT when INS data cannot be stored).
 */
int kvmod_complete_pio(struct kvmod_vcpu *vcpu)
{
	struct kvmod_pio_pending *p = &vcpu->pio;
	u64 *rax = &vcpu->regs[KVMOD_RAX];

	p->active = false;
	/*
	 * Userspace moved RIP away from the I/O instruction (KVM_SET_REGS):
	 * the instruction is abandoned, as in-tree KVM does.
	 */
	if (vcpu->rip != p->exit_rip)
		return 0;
	if (trace_kvm_pio_enabled() && p->in)
		trace_kvm_pio(0, p->port, p->size, p->count, vcpu->pio_data);
	if (p->string)
		return complete_string(vcpu);
	if (p->in) {
		u32 val = 0;

		memcpy(&val, vcpu->pio_data, p->size);
		if (p->size == 1)
			*rax = (*rax & ~0xffULL) | (u8)val;
		else if (p->size == 2)
			*rax = (*rax & ~0xffffULL) | (u16)val;
		else
			*rax = val;	/* a 32-bit result zero-extends */
	}
	kvmod_advance_rip(vcpu, p->next_rip);
	return 0;
}
