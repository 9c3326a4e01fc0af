// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: a guest access to a guest-physical address outside every memslot
 * is emulated with the pure instruction emulator (emulate.c) and handed
 * to userspace as KVM_EXIT_MMIO.
 *
 * The instruction is fetched through the guest's own page tables and
 * decoded; its memory operands go through the callbacks below, which send
 * RAM addresses to the memslots and everything else to userspace. A read
 * exits first and the instruction runs again, from the same state, when
 * userspace re-enters with the data (the emulator changes nothing before
 * its read succeeds). A write completes the instruction and then exits
 * with the data. A read-modify-write makes one exit of each kind; REP
 * string instructions make one exit per MMIO element.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "registry.h"
#include "emulate.h"
#include "trace_kvm.h"

#define RFLAGS_VM	BIT_ULL(17)

struct mmio_ctx {
	struct kvmod_vcpu *vcpu;
	struct kvmod_guest_mode mode;
	bool wrote_mmio;		/* the write half went to userspace */
	bool need_read;			/* a read is waiting for userspace */
	u64 gpa;
	u32 len;
	u8 data[8];
};

static int walk_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	return kvmod_read_guest_phys(ctx, gpa, buf, len);
}

/* Linear to physical for one access, which must stay within a page. */
static int mmio_translate(struct mmio_ctx *c, u64 gla, unsigned int len,
			  bool write, u64 *gpa)
{
	u32 access = write ? KVMOD_ACC_WRITE : 0;
	u32 err;

	if ((gla & ~PAGE_MASK) + len > PAGE_SIZE)
		return -EFAULT;
	if (c->mode.cpl == 3)
		access |= KVMOD_ACC_USER;
	if (kvmod_walk_gva(&c->mode.paging, gla, access, walk_read,
			   c->vcpu->vm, gpa, &err) != KVMOD_WALK_OK)
		return -EFAULT;
	return 0;
}

static int mmio_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	struct mmio_ctx *c = ctx;
	struct kvmod_mmio_pending *m = &c->vcpu->mmio;
	u64 gpa;
	int r;

	r = mmio_translate(c, gla, len, false, &gpa);
	if (r)
		return r;
	/* RAM through its memslot; -ENOENT means no slot, i.e. MMIO. */
	r = kvmod_read_guest_phys(c->vcpu->vm, gpa, buf, len);
	if (r != -ENOENT)
		return r;

	/* The data userspace gave for exactly this access, on the re-run. */
	if (m->have_data && m->gpa == gpa && m->len == len) {
		memcpy(buf, m->data, len);
		m->have_data = false;
		trace_kvm_mmio(KVMOD_TRACE_MMIO_READ, len, gpa, buf);
		return 0;
	}
	c->need_read = true;
	c->gpa = gpa;
	c->len = len;
	return KVMOD_EMUL_RETRY;
}

static int mmio_write(void *ctx, u64 gla, const void *buf, unsigned int len)
{
	struct mmio_ctx *c = ctx;
	u64 gpa;
	int r;

	r = mmio_translate(c, gla, len, true, &gpa);
	if (r)
		return r;
	r = kvmod_write_guest_phys(c->vcpu->vm, gpa, buf, len);
	if (r != -ENOENT)
		return r;
	if (c->wrote_mmio)
		return -EINVAL;		/* one MMIO write per instruction */
	c->wrote_mmio = true;
	c->gpa = gpa;
	c->len = len;
	memcpy(c->data, buf, len);
	return 0;
}

static const struct kvmod_emul_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
};

#define UD_VECTOR_NR	6

/*
 * KVM_INTERNAL_ERROR_EMULATION laid out as in-tree KVM does: flags, the
 * instruction bytes, then the exit's reason, two qualifications, the
 * event being delivered and its error code. As KVM, the guest gets a #UD
 * when it runs again.
 */
static int mmio_failed(struct kvmod_vcpu *vcpu, const u8 *insn, int n)
{
	const struct kvmod_vendor_ops *vendor = vcpu->vm->vendor;
	struct kvm_run *run = vcpu->run;
	u32 reason, intr_info, error_code;
	u64 info1, info2;

	vendor->get_exit_info(vcpu, &reason, &info1, &info2, &intr_info,
			      &error_code);
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	if (n <= 0) {
		/* No instruction bytes (code in MMIO): flags 0, exit info. */
		run->internal.ndata = 6;
		run->internal.data[0] = 0;
		run->internal.data[1] = reason;
		run->internal.data[2] = info1;
		run->internal.data[3] = info2;
		run->internal.data[4] = intr_info;
		run->internal.data[5] = error_code;
		vendor->queue_exception(vcpu, UD_VECTOR_NR, false, 0);
		return KVMOD_EXIT_USER;
	}
	run->emulation_failure.ndata = 8;
	run->emulation_failure.flags =
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	n = clamp(n, 0, (int)sizeof(run->emulation_failure.insn_bytes));
	run->emulation_failure.insn_size = n;
	memset(run->emulation_failure.insn_bytes, 0,
	       sizeof(run->emulation_failure.insn_bytes));
	memcpy(run->emulation_failure.insn_bytes, insn, n);
	run->internal.data[3] = reason;
	run->internal.data[4] = info1;
	run->internal.data[5] = info2;
	run->internal.data[6] = intr_info;
	run->internal.data[7] = error_code;
	vendor->queue_exception(vcpu, UD_VECTOR_NR, false, 0);
	return KVMOD_EXIT_USER;
}

static int mmio_exit(struct kvmod_vcpu *vcpu, bool write, u64 gpa, u32 len,
		     const u8 *data)
{
	struct kvm_run *run = vcpu->run;
	struct kvmod_mmio_pending *m = &vcpu->mmio;

	m->active = true;
	m->is_write = write;
	m->gpa = gpa;
	m->len = len;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, data, len);
	trace_kvm_mmio(write ? KVMOD_TRACE_MMIO_WRITE :
			       KVMOD_TRACE_MMIO_READ_UNSATISFIED,
		       len, gpa, write ? data : NULL);
	return KVMOD_EXIT_USER;
}

/**
 * kvmod_emulate_mmio() - emulate the instruction at RIP that touched MMIO
 * @vcpu: the vCPU, after a nested page fault on an address without a slot
 *
 * Return: KVMOD_EXIT_RESUME, or KVMOD_EXIT_USER with vcpu->run holding a
 * KVM_EXIT_MMIO or, for an instruction kvmod cannot emulate, a
 * KVM_EXIT_INTERNAL_ERROR with the instruction bytes.
 */
int kvmod_emulate_mmio(struct kvmod_vcpu *vcpu)
{
	struct mmio_ctx c = { .vcpu = vcpu };
	struct kvmod_emul_state st;
	enum kvmod_cpu_mode cpu_mode;
	struct kvmod_insn insn;
	u8 bytes[KVMOD_INSN_MAX];
	bool long64;
	int n, r;

	vcpu->vm->vendor->get_mode(vcpu, &c.mode);
	n = kvmod_fetch_insn(vcpu, bytes, &long64);
	if (n <= 0)
		return mmio_failed(vcpu, bytes, 0);
	if (!(c.mode.paging.cr0 & KVMOD_CR0_PE) || (vcpu->rflags & RFLAGS_VM))
		cpu_mode = KVMOD_CPU_REAL;
	else
		cpu_mode = long64 ? KVMOD_CPU_LONG64 : KVMOD_CPU_PROT;
	if (kvmod_emul_decode(bytes, n, cpu_mode, c.mode.cs_db, &insn) < 0)
		return mmio_failed(vcpu, bytes, n);

	memcpy(st.regs, vcpu->regs, sizeof(st.regs));
	st.rip = vcpu->rip;
	st.rflags = vcpu->rflags;
	memcpy(st.seg_base, c.mode.seg_base, sizeof(st.seg_base));

	r = kvmod_emul_exec(&insn, &st, &mmio_ops, &c);
	if (r == KVMOD_EMUL_RETRY && c.need_read)
		return mmio_exit(vcpu, false, c.gpa, c.len, NULL);
	if (r != 0 && r != KVMOD_EMUL_REP_MORE)
		return mmio_failed(vcpu, bytes, n);

	/*
	 * The last iteration of a REP string instruction leaves RIP on the
	 * instruction, as in-tree KVM does: run again with RCX at zero it
	 * does nothing and steps over itself.
	 */
	if (insn.rep && r == 0)
		st.rip = vcpu->rip;
	/* The instruction (or one REP iteration) is done: commit it. */
	memcpy(vcpu->regs, st.regs, sizeof(st.regs));
	vcpu->rip = st.rip;
	vcpu->rflags = st.rflags;
	vcpu->mmio.have_data = false;
	if (c.wrote_mmio)
		return mmio_exit(vcpu, true, c.gpa, c.len, c.data);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_emulate_mmio);

/**
 * kvmod_complete_mmio() - finish a KVM_EXIT_MMIO when userspace re-enters
 * @vcpu: the vCPU
 *
 * A write is complete already. A read runs the instruction again with the
 * data userspace put in kvm_run; that may exit again (the write half of a
 * read-modify-write).
 *
 * Return: KVMOD_EXIT_RESUME, KVMOD_EXIT_USER, or -errno.
 */
int kvmod_complete_mmio(struct kvmod_vcpu *vcpu)
{
	struct kvmod_mmio_pending *m = &vcpu->mmio;

	m->active = false;
	if (m->is_write)
		return KVMOD_EXIT_RESUME;
	memcpy(m->data, vcpu->run->mmio.data, m->len);
	m->have_data = true;
	return kvmod_emulate_mmio(vcpu);
}
