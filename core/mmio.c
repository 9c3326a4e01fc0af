// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: a guest access to a guest-physical address outside every memslot
 * is emulated with the pure instruction emulator (emulate.c) and handed
 * to userspace as KVM_EXIT_MMIO.
 *
 * The instruction is fetched through the guest's own page tables and
 * decoded; its memory operands go through the callbacks below, which send
 * RAM addresses to the memslots and everything else to userspace, with
 * the exit sequence of in-tree KVM:
 *
 *  - An access whose bytes cross a 4 KiB page of linear addresses is
 *    split there; a piece in RAM is done in the kernel at once, each
 *    piece in MMIO is its own exit, and a piece longer than 8 bytes (an
 *    SSE move) goes out 8 bytes per exit.
 *  - A read exits and the instruction runs again, from the same state,
 *    once userspace has supplied all of its pieces; the reads it made
 *    before (a CMPS reads two operands) are answered from a log, so each
 *    device read happens once and RAM reads keep their first data.
 *  - A write completes the instruction and then exits with the data; a
 *    read-modify-write makes one read and one write exit (CMPXCHG writes
 *    even when the comparison fails); REP string instructions make one
 *    exit per MMIO element and leave RIP on the instruction until a run
 *    with RCX = 0 steps over it.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/fpu/api.h>

#include "registry.h"
#include "emulate.h"
#include "trace_kvm.h"

#define RFLAGS_VM	BIT_ULL(17)

struct mmio_ctx {
	struct kvmod_vcpu *vcpu;
	struct kvmod_guest_mode mode;
	bool long64;
	u8 rpos;			/* reads answered from the log */
	bool wrote_mmio;		/* the write has pieces for userspace */
	bool need_read;			/* a read is waiting for userspace */
	bool page_fault;		/* the guest is to take a #PF: */
	u32 pf_error;			/* its error code */
	u64 pf_addr;			/* and CR2 */
};

/* A part of an access that stays within one page. */
struct mmio_piece {
	u64 gpa;
	unsigned int off;
	unsigned int len;
};

static int walk_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	return kvmod_read_guest_phys(ctx, gpa, buf, len);
}

static int mmio_translate(struct mmio_ctx *c, u64 gla, bool write, u64 *gpa)
{
	u32 access = write ? KVMOD_ACC_WRITE : 0;
	u32 err;
	int r;

	if (c->mode.cpl == 3)
		access |= KVMOD_ACC_USER;
	r = kvmod_walk_gva(&c->mode.paging, gla, access, walk_read,
			   c->vcpu->vm, gpa, &err);
	if (r == KVMOD_WALK_OK)
		return 0;
	/*
	 * The guest's own page fault; or a page table outside every slot,
	 * which in-tree KVM also reports as a not-present #PF to the guest.
	 */
	if (r == KVMOD_WALK_NO_MEMORY)
		err = (write ? KVMOD_PF_WRITE : 0) |
		      (c->mode.cpl == 3 ? KVMOD_PF_USER : 0);
	c->page_fault = true;
	c->pf_error = err;
	c->pf_addr = gla;
	return -EFAULT;
}

/*
 * Split an access where it crosses a page of linear addresses (outside
 * 64-bit mode the second part's address wraps at 4 GiB) and translate
 * both parts before anything is accessed. Return: the number of pieces
 * (1 or 2) or -EFAULT.
 */
static int mmio_split(struct mmio_ctx *c, u64 gla, unsigned int len,
		      bool write, struct mmio_piece p[2])
{
	unsigned int first = min_t(unsigned int, len,
				   PAGE_SIZE - (gla & ~PAGE_MASK));
	int r;

	r = mmio_translate(c, gla, write, &p[0].gpa);
	if (r)
		return r;
	p[0].off = 0;
	p[0].len = first;
	if (first == len)
		return 1;
	gla += first;
	if (!c->long64)
		gla = (u32)gla;
	r = mmio_translate(c, gla, write, &p[1].gpa);
	if (r)
		return r;
	p[1].off = first;
	p[1].len = len - first;
	return 2;
}

static void add_frag(struct kvmod_mmio_pending *m, const struct mmio_piece *p,
		     unsigned int base)
{
	struct kvmod_mmio_frag *f = &m->frag[m->nr_frags++];

	if (m->nr_frags == 1)
		m->gpa = p->gpa;
	f->gpa = p->gpa;
	f->off = base + p->off;
	f->len = p->len;
}

/* A piece outside the memslots: an in-kernel device may claim it. */
static int mmio_bus(struct mmio_ctx *c, const struct mmio_piece *p, void *buf,
		    bool write)
{
	if (p->len > 8)
		return -EOPNOTSUPP;
	return kvmod_io_bus_access(c->vcpu, KVMOD_MMIO_BUS, p->gpa, p->len,
				   buf + p->off, write);
}

static int mmio_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	struct mmio_ctx *c = ctx;
	struct kvmod_mmio_pending *m = &c->vcpu->mmio;
	unsigned int slot = c->rpos, base = slot * KVMOD_MMIO_MAX_LEN;
	struct mmio_piece p[2];
	int i, n, r;

	if (len > KVMOD_MMIO_MAX_LEN || slot >= KVMOD_MMIO_MAX_READS)
		return -EINVAL;
	/* Done before the last exit: the same data again. */
	if (slot < m->nr_reads) {
		if (m->read_gla[slot] != gla || m->read_len[slot] != len)
			return -EINVAL;
		memcpy(buf, m->data + base, len);
		c->rpos++;
		return 0;
	}

	n = mmio_split(c, gla, len, false, p);
	if (n < 0)
		return n;
	m->nr_frags = 0;
	for (i = 0; i < n; i++) {
		/* RAM through its memslot; -ENOENT means no slot: MMIO. */
		r = kvmod_read_guest_phys(c->vcpu->vm, p[i].gpa,
					  buf + p[i].off, p[i].len);
		if (r == -ENOENT && !mmio_bus(c, &p[i], buf, false))
			r = 0;
		if (r == -ENOENT)
			add_frag(m, &p[i], base);
		else if (r)
			return r;
	}
	/* Logged: a later read may still have to exit. */
	memcpy(m->data + base, buf, len);
	m->read_gla[slot] = gla;
	m->read_len[slot] = len;
	if (m->nr_frags) {
		c->need_read = true;
		return KVMOD_EMUL_RETRY;
	}
	m->nr_reads++;
	c->rpos++;
	return 0;
}

static int mmio_write(void *ctx, u64 gla, const void *buf, unsigned int len)
{
	struct mmio_ctx *c = ctx;
	struct kvmod_mmio_pending *m = &c->vcpu->mmio;
	struct mmio_piece p[2];
	int i, n, r;

	if (len > KVMOD_MMIO_MAX_LEN || c->wrote_mmio)
		return -EINVAL;
	n = mmio_split(c, gla, len, true, p);
	if (n < 0)
		return n;
	m->nr_frags = 0;
	for (i = 0; i < n; i++) {
		r = kvmod_write_guest_phys(c->vcpu->vm, p[i].gpa,
					   buf + p[i].off, p[i].len);
		if (r == -ENOENT && !mmio_bus(c, &p[i], (void *)buf, true))
			r = 0;
		if (r == -ENOENT) {
			add_frag(m, &p[i], KVMOD_MMIO_WRITE_OFF);
			trace_kvm_mmio(KVMOD_TRACE_MMIO_WRITE, p[i].len,
				       p[i].gpa, buf + p[i].off);
		} else if (r) {
			return r;
		}
	}
	if (m->nr_frags) {
		memcpy(m->data + KVMOD_MMIO_WRITE_OFF, buf, len);
		c->wrote_mmio = true;
	}
	return 0;
}

/*
 * The guest's XMM registers are in the FPU registers while its fpstate is
 * the current one (KVM_RUN, see run.c), unless the kernel took them away
 * since: load them back first, as a return to the guest would.
 */
static bool guest_fpu_loaded(struct kvmod_vcpu *vcpu)
{
	return current->thread.fpu.fpstate == vcpu->guest_fpu.fpstate;
}

struct xmm_val {
	u8 b[16];
};

#define XMM_ACCESS(n)						\
static void get_xmm##n(struct xmm_val *v)			\
{								\
	asm volatile("movdqu %%xmm" #n ", %0" : "=m" (*v));	\
}								\
static void put_xmm##n(const struct xmm_val *v)			\
{								\
	asm volatile("movdqu %0, %%xmm" #n : : "m" (*v));	\
}

XMM_ACCESS(0)
XMM_ACCESS(1)
XMM_ACCESS(2)
XMM_ACCESS(3)
XMM_ACCESS(4)
XMM_ACCESS(5)
XMM_ACCESS(6)
XMM_ACCESS(7)
XMM_ACCESS(8)
XMM_ACCESS(9)
XMM_ACCESS(10)
XMM_ACCESS(11)
XMM_ACCESS(12)
XMM_ACCESS(13)
XMM_ACCESS(14)
XMM_ACCESS(15)

static void (*const get_xmm[16])(struct xmm_val *v) = {
	get_xmm0, get_xmm1, get_xmm2, get_xmm3,
	get_xmm4, get_xmm5, get_xmm6, get_xmm7,
	get_xmm8, get_xmm9, get_xmm10, get_xmm11,
	get_xmm12, get_xmm13, get_xmm14, get_xmm15,
};

static void (*const put_xmm[16])(const struct xmm_val *v) = {
	put_xmm0, put_xmm1, put_xmm2, put_xmm3,
	put_xmm4, put_xmm5, put_xmm6, put_xmm7,
	put_xmm8, put_xmm9, put_xmm10, put_xmm11,
	put_xmm12, put_xmm13, put_xmm14, put_xmm15,
};

/* Set XMM register @reg of the guest from @in, or read it into @out. */
static int mmio_xmm(struct mmio_ctx *c, unsigned int reg, const u8 *in,
		    u8 *out)
{
	struct xmm_val v;

	if (reg >= 16 || WARN_ON_ONCE(!guest_fpu_loaded(c->vcpu)))
		return -EIO;
	if (in)
		memcpy(&v, in, sizeof(v));
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (in)
		put_xmm[reg](&v);
	else
		get_xmm[reg](&v);
	fpregs_unlock();
	if (out)
		memcpy(out, &v, sizeof(v));
	return 0;
}

static int mmio_get_xmm(void *ctx, unsigned int reg, u8 *val)
{
	return mmio_xmm(ctx, reg, NULL, val);
}

static int mmio_put_xmm(void *ctx, unsigned int reg, const u8 *val)
{
	return mmio_xmm(ctx, reg, val, NULL);
}

static const struct kvmod_emul_ops mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.get_xmm = mmio_get_xmm,
	.put_xmm = mmio_put_xmm,
};

#define UD_VECTOR_NR	6
#define GP_VECTOR_NR	13
#define PF_VECTOR_NR	14

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

	vcpu->stat.insn_emulation_fail++;
	vcpu->mmio.nr_reads = 0;
	vcpu->mmio.nr_frags = 0;
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
		kvmod_queue_exception(vcpu, UD_VECTOR_NR, false, 0);
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
	kvmod_queue_exception(vcpu, UD_VECTOR_NR, false, 0);
	return KVMOD_EXIT_USER;
}

/*
 * Exit with the next 8 bytes (at most) of the current piece. As in-tree
 * KVM, only the bytes of the access are written to run->mmio.data.
 */
static int mmio_exit(struct kvmod_vcpu *vcpu)
{
	struct kvmod_mmio_pending *m = &vcpu->mmio;
	struct kvmod_mmio_frag *f = &m->frag[m->cur_frag];
	unsigned int len = min_t(unsigned int, f->len, 8);
	struct kvm_run *run = vcpu->run;

	m->active = true;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = f->gpa;
	run->mmio.len = len;
	run->mmio.is_write = m->is_write;
	if (m->is_write)
		memcpy(run->mmio.data, m->data + f->off, len);
	return KVMOD_EXIT_USER;
}

static int mmio_emulate(struct kvmod_vcpu *vcpu, bool rerun)
{
	struct kvmod_mmio_pending *m = &vcpu->mmio;
	struct mmio_ctx c = { .vcpu = vcpu };
	struct kvmod_emul_state st;
	enum kvmod_cpu_mode cpu_mode;
	struct kvmod_insn insn;
	u8 bytes[KVMOD_INSN_MAX];
	bool swapped = false;
	int n, r;

	if (!rerun)
		m->nr_reads = 0;
	vcpu->stat.insn_emulation++;
	vcpu->vm->vendor->get_mode(vcpu, &c.mode);
	n = kvmod_fetch_insn(vcpu, bytes, &c.long64);
	if (n <= 0)
		return mmio_failed(vcpu, bytes, 0);
	if (!(c.mode.paging.cr0 & KVMOD_CR0_PE) || (vcpu->rflags & RFLAGS_VM))
		cpu_mode = KVMOD_CPU_REAL;
	else
		cpu_mode = c.long64 ? KVMOD_CPU_LONG64 : KVMOD_CPU_PROT;
	if (kvmod_emul_decode(bytes, n, cpu_mode, c.mode.cs_db, &insn) < 0)
		return mmio_failed(vcpu, bytes, n);
	c.long64 = cpu_mode == KVMOD_CPU_LONG64;

	memcpy(st.regs, vcpu->regs, sizeof(st.regs));
	st.rip = vcpu->rip;
	st.rflags = vcpu->rflags;
	memcpy(st.seg_base, c.mode.seg_base, sizeof(st.seg_base));

	/*
	 * Re-run when userspace re-enters (run.c), the guest's FPU state is
	 * not the current one: an SSE move needs it in the registers.
	 */
	if (insn.op == KVMOD_EMUL_OP_MOV_SSE && !guest_fpu_loaded(vcpu)) {
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
		swapped = true;
	}
	r = kvmod_emul_exec(&insn, &st, &mmio_ops, &c);
	if (swapped)
		fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);

	if (r == KVMOD_EMUL_RETRY && c.need_read) {
		m->is_write = false;
		m->cur_frag = 0;
		m->rip = vcpu->rip;
		trace_kvm_mmio(KVMOD_TRACE_MMIO_READ_UNSATISFIED,
			       m->read_len[c.rpos], m->gpa, NULL);
		return mmio_exit(vcpu);
	}
	if (c.page_fault) {
		m->nr_reads = 0;
		kvmod_queue_page_fault(vcpu, c.pf_addr, c.pf_error);
		return KVMOD_EXIT_RESUME;
	}
	if (r == -KVMOD_EMUL_E_ALIGN) {
		/*
		 * A misaligned MOVDQA & co: the CPU raises #GP(0) before any
		 * access, so this is only seen if the instruction changed
		 * since it faulted. As in-tree KVM, the guest gets the #GP.
		 */
		m->nr_reads = 0;
		kvmod_queue_exception(vcpu, GP_VECTOR_NR, true, 0);
		return KVMOD_EXIT_RESUME;
	}
	if (r != 0 && r != KVMOD_EMUL_REP_MORE && r != KVMOD_EMUL_REP_END)
		return mmio_failed(vcpu, bytes, n);

	/*
	 * The iteration that ends a REP string instruction by its count
	 * leaves RIP on the instruction, as in-tree KVM does: run again
	 * with RCX at zero it does nothing and steps over itself.
	 */
	if (r == KVMOD_EMUL_REP_END)
		st.rip = vcpu->rip;
	/* The instruction (or one REP iteration) is done: commit it. */
	memcpy(vcpu->regs, st.regs, sizeof(st.regs));
	if (st.rip != vcpu->rip)
		kvmod_advance_rip(vcpu, st.rip);
	vcpu->rflags = st.rflags;
	m->nr_reads = 0;
	if (!c.wrote_mmio)
		return KVMOD_EXIT_RESUME;
	m->is_write = true;
	m->cur_frag = 0;
	return mmio_exit(vcpu);
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
	return mmio_emulate(vcpu, false);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_mmio);

/**
 * kvmod_complete_mmio() - continue a KVM_EXIT_MMIO when userspace re-enters
 * @vcpu: the vCPU
 *
 * Takes the data of a read exit, then exits again for the next 8 bytes
 * or piece of the access, if any. A write is then complete; a read runs
 * the instruction again, which may exit again (for its write, or for
 * CMPS's second read). If userspace moved RIP meanwhile, the instruction
 * is abandoned and the guest runs from the new RIP.
 *
 * Return: KVMOD_EXIT_RESUME, KVMOD_EXIT_USER, or -errno.
 */
int kvmod_complete_mmio(struct kvmod_vcpu *vcpu)
{
	struct kvmod_mmio_pending *m = &vcpu->mmio;
	struct kvmod_mmio_frag *f = &m->frag[m->cur_frag];
	unsigned int len = min_t(unsigned int, f->len, 8);

	m->active = false;
	if (!m->is_write)
		memcpy(m->data + f->off, vcpu->run->mmio.data, len);
	f->gpa += len;
	f->off += len;
	f->len -= len;
	if (!f->len)
		m->cur_frag++;
	if (m->cur_frag < m->nr_frags)
		return mmio_exit(vcpu);
	if (m->is_write)
		return KVMOD_EXIT_RESUME;

	if (vcpu->rip != m->rip) {
		m->nr_reads = 0;
		return KVMOD_EXIT_RESUME;
	}
	trace_kvm_mmio(KVMOD_TRACE_MMIO_READ, m->read_len[m->nr_reads],
		       m->gpa, m->data + m->nr_reads * KVMOD_MMIO_MAX_LEN);
	m->nr_reads++;
	return mmio_emulate(vcpu, true);
}
