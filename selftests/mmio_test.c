// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO exits (KVM_EXIT_MMIO): a guest access to a guest-physical address
 * that no memory slot covers is emulated by KVM and reported to userspace
 * with run->mmio.phys_addr, .len, .is_write and, for a write, .data; a read
 * completes with the bytes userspace leaves in run->mmio.data before the
 * next KVM_RUN.
 *
 * The expectations are those of in-tree KVM (6.1, kvm-amd), checked with
 * it:
 *  - every access is one exit of at most 8 bytes; data is little endian in
 *    run->mmio.data[0 .. len - 1]; a read takes only those bytes;
 *  - an access that crosses a page boundary is split there, the part in
 *    RAM done in the kernel, each MMIO part its own exit; a 16-byte SSE
 *    access is two 8-byte exits;
 *  - read-modify-write instructions (ALU ops, XCHG, CMPXCHG, BTS, LOCK
 *    prefixed ones) are one read exit, then one write exit of the result
 *    (CMPXCHG writes even when the comparison fails);
 *  - CMP, TEST, BT and the other NoWrite instructions: one read exit;
 *  - REP string instructions: one exit per element, with RCX, RSI and RDI
 *    updated for the elements done and RIP left on the instruction until
 *    it completes;
 *  - at a read exit RIP is still on the instruction (the read completes on
 *    the next KVM_RUN, also with immediate_exit); at a write exit the
 *    instruction is complete and RIP is past it;
 *  - an instruction the emulator does not know (BOUND) gives
 *    KVM_EXIT_INTERNAL_ERROR with suberror KVM_INTERNAL_ERROR_EMULATION,
 *    the 15 bytes fetched at RIP and the vendor's exit information, and a
 *    #UD queued for the next KVM_RUN; code fetched from MMIO gives the
 *    same exit without instruction bytes.  (CMPXCHG, XADD, MOVDQA and the
 *    like are emulated.)
 *
 * The guests run in real mode (slot 0 is 64 KiB at GPA 0; the MMIO area is
 * reached through a segment of 0xd000) and in 64-bit mode (identity map
 * of the first 2 MiB).  Guests hand loaded values and flags back with OUT
 * or by storing them to RAM.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define KT_GUEST_LABEL(name)	extern const unsigned char name[]
/* Guest address of @label inside code block @code loaded at KT_CODE_GPA. */
#define GPA_OF(code, label)	(KT_CODE_GPA + (uint64_t)((label) - (code)))

#define MMIO		0xd0000ULL	/* real mode: DS = 0xd000 */
#define MMIO_ES		0xe0000ULL	/* ES = 0xe000 where a test sets it */

/* Ports the guests report to. */
#define PORT_FLAGS	0x80
#define PORT_VAL	0x81
#define PORT_UD		0x86

#define X86_EFLAGS_CF	0x0001
#define X86_EFLAGS_FIXED 0x0002
#define X86_EFLAGS_PF	0x0004
#define X86_EFLAGS_AF	0x0010
#define X86_EFLAGS_ZF	0x0040
#define X86_EFLAGS_SF	0x0080
#define X86_EFLAGS_DF	0x0400
#define X86_EFLAGS_OF	0x0800

/* The flags an instruction defines; logic ops leave AF undefined. */
#define FL_ARITH	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF | \
			 X86_EFLAGS_FIXED)
#define FL_LOGIC	(FL_ARITH & ~X86_EFLAGS_AF)

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* 64-bit identity map of the first 2 MiB with one large page. */
#define PML4_GPA	0x4000
#define PDPT_GPA	0x5000
#define PD_GPA		0x6000
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL

#define SVM_EXIT_NPF	0x400
/* Error code of a nested page fault (exit_info_1). */
#define NPF_USER	(1ULL << 2)
#define NPF_FETCH	(1ULL << 4)
#define NPF_FINAL	(1ULL << 32)

/* What userspace leaves in mmio.data[] beyond the bytes of an access. */
#define POISON		0xcc

/* ---- expected exits ---- */

enum ev_kind {
	EV_HLT,
	EV_MMIO_WRITE,	/* addr, len, val: what the guest wrote */
	EV_MMIO_READ,	/* addr, len, val: what userspace returns */
	EV_OUT,		/* port in addr, len, val (under mask, if any) */
};

struct ev {
	enum ev_kind kind;
	uint32_t len;
	uint64_t addr;
	uint64_t val;
	uint64_t mask;
};

#define MW(a, l, v)	{ .kind = EV_MMIO_WRITE, .addr = (a), .len = (l), \
			  .val = (v) }
#define MR(a, l, v)	{ .kind = EV_MMIO_READ, .addr = (a), .len = (l), \
			  .val = (v) }
#define PO(p, l, v)	{ .kind = EV_OUT, .addr = (p), .len = (l), .val = (v) }
/* The FLAGS a guest pushed and sent to PORT_FLAGS, under @m. */
#define FLAGS(v, m)	{ .kind = EV_OUT, .addr = PORT_FLAGS, .len = 2, \
			  .val = (v) | X86_EFLAGS_FIXED, .mask = (m) }
#define HLT		{ .kind = EV_HLT }

static uint64_t len_mask(uint32_t len)
{
	return len >= 8 ? ~0ULL : (1ULL << (len * 8)) - 1;
}

static const char *exit_str(int r)
{
	return r >= 0 ? kt_exit_name(r) : strerror(-r);
}

/*
 * Run to the next exit and check it is @e; for a read, put e->val in
 * run->mmio.data for the next KVM_RUN (the rest of the array poisoned).
 */
static void next_exit(struct __test_metadata *_metadata, struct kt_guest *g,
		 const struct ev *e, int i)
{
	struct kvm_run *run = g->run;
	uint64_t got = 0, want;
	int r;

	r = kt_run(g->vcpu_fd, run);
	switch (e->kind) {
	case EV_HLT:
		ASSERT_EQ(KVM_EXIT_HLT, r)
			TH_LOG("event %d: exit %d (%s), wanted HLT", i, r,
			       exit_str(r));
		break;
	case EV_OUT:
		ASSERT_EQ(KVM_EXIT_IO, r)
			TH_LOG("event %d: exit %d (%s), wanted OUT to %#llx",
			       i, r, exit_str(r),
			       (unsigned long long)e->addr);
		ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
		ASSERT_EQ(e->addr, run->io.port) TH_LOG("event %d", i);
		ASSERT_EQ(e->len, run->io.size) TH_LOG("event %d", i);
		ASSERT_EQ(1, run->io.count);
		memcpy(&got, kt_io_data(run), e->len);
		want = e->val;
		if (e->mask) {
			got &= e->mask;
			want &= e->mask;
		}
		ASSERT_EQ(want, got) TH_LOG("event %d: OUT %#llx (full %#llx) to port %#llx",
					    i, (unsigned long long)got,
					    (unsigned long long)e->val,
					    (unsigned long long)e->addr);
		break;
	case EV_MMIO_WRITE:
	case EV_MMIO_READ:
		ASSERT_EQ(KVM_EXIT_MMIO, r)
			TH_LOG("event %d: exit %d (%s), wanted MMIO %s of %u at %#llx",
			       i, r, exit_str(r),
			       e->kind == EV_MMIO_WRITE ? "write" : "read",
			       e->len, (unsigned long long)e->addr);
		ASSERT_EQ(e->addr, run->mmio.phys_addr)
			TH_LOG("event %d: MMIO %s of %u at %#llx", i,
			       run->mmio.is_write ? "write" : "read",
			       run->mmio.len,
			       (unsigned long long)run->mmio.phys_addr);
		ASSERT_EQ(e->len, run->mmio.len)
			TH_LOG("event %d at %#llx", i,
			       (unsigned long long)e->addr);
		ASSERT_EQ(e->kind == EV_MMIO_WRITE, run->mmio.is_write)
			TH_LOG("event %d at %#llx", i,
			       (unsigned long long)e->addr);
		if (e->kind == EV_MMIO_READ) {
			memset(run->mmio.data, POISON, sizeof(run->mmio.data));
			memcpy(run->mmio.data, &e->val, e->len);
			return;
		}
		memcpy(&got, run->mmio.data, e->len);
		ASSERT_EQ(e->val & len_mask(e->len), got)
			TH_LOG("event %d: write of %u at %#llx", i, e->len,
			       (unsigned long long)e->addr);
		break;
	}
	/* Nothing is pending: poison the array for the next write exit. */
	memset(run->mmio.data, POISON, sizeof(run->mmio.data));
}

static void run_evs(struct __test_metadata *_metadata, struct kt_guest *g,
		    const struct ev *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		next_exit(_metadata, g, &evs[i], i);
}

#define RUN(g, evs)	run_evs(_metadata, (g), (evs), ARRAY_SIZE(evs))

static void load(struct kt_guest *g, const unsigned char *code, size_t len)
{
	kt_put_code(g->mem, KT_CODE_GPA, code, len);
	memset(g->run->mmio.data, POISON, sizeof(g->run->mmio.data));
}

#define LOAD(g, code)	load((g), (code), KT_CODE_LEN(code))

static void get_regs(struct __test_metadata *_metadata, struct kt_guest *g,
		     struct kvm_regs *regs)
{
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, regs));
}

static uint16_t mem16(struct kt_guest *g, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, g->mem + gpa, 2);
	return v;
}

static uint64_t mem64(struct kt_guest *g, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, g->mem + gpa, 8);
	return v;
}

/*
 * Hold one VM with a vCPU for the whole run, as selftests/run's keeper
 * does (see lib/kvm_keeper.c): with a VM always alive, in-tree KVM does
 * not flip its static keys for every test's VM, which now and then wedges
 * the test VM under TCG, and each test's VM is cheaper.  So this binary
 * can also run on its own.  The fds are inherited by the test processes
 * and released at exit.
 */
static void __attribute__((constructor)) hold_a_vm(void)
{
	int sys_fd = kt_open_dev();
	int vm_fd;

	if (sys_fd < 0)
		return;
	vm_fd = kt_create_vm(sys_fd);
	if (vm_fd >= 0)
		kt_create_vcpu(vm_fd, 0);
}

FIXTURE(mmio) {
	struct kt_guest g;
};

FIXTURE_SETUP(mmio)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(mmio)
{
	kt_guest_destroy(&self->g);
}

/* ---- real mode: MOV ---- */

#define SET_DS		"mov $0xd000, %ax\n\tmov %ax, %ds\n\t"
#define SET_ES		"mov $0xd000, %ax\n\tmov %ax, %es\n\t"
#define SET_ES_E	"mov $0xe000, %ax\n\tmov %ax, %es\n\t"
#define FLAGS_OUT	"pushf\n\tpop %ax\n\tout %ax, $0x80\n\t"

KT_GUEST_CODE16(store_reg,
	SET_DS
	"mov $0x5a, %bl\n\t"
	"mov %bl, 0x10\n\t"
	"mov $0x11, %si\n\t"
	"mov $0xc3, %dh\n\t"
	"mov %dh, (%si)\n\t"
	"mov $0xbeef, %bx\n\t"
	"mov %bx, 0x13\n\t"
	"mov $0xdeadbeef, %ebx\n\t"
	"mov %ebx, 0x16\n\t"
	"hlt\n\t");

/*
 * In-tree KVM copies only len bytes to mmio.data at a write exit; the
 * rest keeps what userspace left there.  Not asserted, as that is not part
 * of the ABI: only reported if it differs.
 */
static void report_tail(struct kvm_run *run)
{
	unsigned int k;

	for (k = run->mmio.len; k < sizeof(run->mmio.data); k++) {
		if (run->mmio.data[k] != POISON) {
			ksft_print_msg("write of %u changed mmio.data[%u] to %#x\n",
				       run->mmio.len, k, run->mmio.data[k]);
			return;
		}
	}
}

TEST_F(mmio, store_reg)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x10, 1, 0x5a),
		MW(MMIO + 0x11, 1, 0xc3),
		MW(MMIO + 0x13, 2, 0xbeef),
		MW(MMIO + 0x16, 4, 0xdeadbeef),
		HLT,
	};
	unsigned int i;

	LOAD(&self->g, store_reg);
	for (i = 0; i < ARRAY_SIZE(evs); i++) {
		next_exit(_metadata, &self->g, &evs[i], i);
		if (i == 0)
			report_tail(self->g.run);
	}
}

KT_GUEST_CODE16(store_imm,
	SET_DS
	"movb $0xa5, 0x20\n\t"
	"movw $0x1234, 0x22\n\t"
	"movl $0x89abcdef, 0x25\n\t"
	"hlt\n\t");

TEST_F(mmio, store_imm)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x20, 1, 0xa5),
		MW(MMIO + 0x22, 2, 0x1234),
		MW(MMIO + 0x25, 4, 0x89abcdef),
		HLT,
	};

	LOAD(&self->g, store_imm);
	RUN(&self->g, evs);
}

/*
 * Loads into part of EBX leave the rest of it alone, and take only len
 * bytes of mmio.data (the rest is POISON).
 */
KT_GUEST_CODE16(load_sizes,
	SET_DS
	"mov $0x11223344, %ebx\n\t"
	"mov 0x30, %bl\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"mov 0x31, %bh\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"mov 0x33, %bx\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"mov 0x36, %ebx\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, load)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x30, 1, 0x9c),
		PO(PORT_VAL, 4, 0x1122339c),
		MR(MMIO + 0x31, 1, 0x7e),
		PO(PORT_VAL, 4, 0x11227e9c),
		MR(MMIO + 0x33, 2, 0xabcd),
		PO(PORT_VAL, 4, 0x1122abcd),
		MR(MMIO + 0x36, 4, 0xfedcba98),
		PO(PORT_VAL, 4, 0xfedcba98),
		HLT,
	};

	LOAD(&self->g, load_sizes);
	RUN(&self->g, evs);
}

/* A0/A1: MOV AL/AX/EAX from an absolute offset. */
KT_GUEST_CODE16(moffs_load,
	SET_DS
	"mov $0x11223344, %eax\n\t"
	".byte 0xa0\n\t.word 0x40\n\t"		/* mov 0x40, %al */
	"out %eax, $0x81\n\t"
	".byte 0xa1\n\t.word 0x42\n\t"		/* mov 0x42, %ax */
	"out %eax, $0x81\n\t"
	".byte 0x66, 0xa1\n\t.word 0x44\n\t"	/* mov 0x44, %eax */
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, moffs_load)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x40, 1, 0x5a),
		PO(PORT_VAL, 4, 0x1122335a),
		MR(MMIO + 0x42, 2, 0xa55a),
		PO(PORT_VAL, 4, 0x1122a55a),
		MR(MMIO + 0x44, 4, 0x01020304),
		PO(PORT_VAL, 4, 0x01020304),
		HLT,
	};

	LOAD(&self->g, moffs_load);
	RUN(&self->g, evs);
}

/* A2/A3: MOV AL/AX/EAX to an absolute offset. */
KT_GUEST_CODE16(moffs_store,
	SET_DS
	"mov $0x87654321, %eax\n\t"
	".byte 0xa2\n\t.word 0x50\n\t"		/* mov %al, 0x50 */
	".byte 0xa3\n\t.word 0x52\n\t"		/* mov %ax, 0x52 */
	".byte 0x66, 0xa3\n\t.word 0x55\n\t"	/* mov %eax, 0x55 */
	"hlt\n\t");

TEST_F(mmio, moffs_store)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x50, 1, 0x21),
		MW(MMIO + 0x52, 2, 0x4321),
		MW(MMIO + 0x55, 4, 0x87654321),
		HLT,
	};

	LOAD(&self->g, moffs_store);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(movzx,
	SET_DS
	"mov $0x12345678, %eax\n\t"
	"movzbw 0x60, %ax\n\t"
	"out %eax, $0x81\n\t"
	"movzbl 0x61, %eax\n\t"
	"out %eax, $0x81\n\t"
	"mov $0x12345678, %eax\n\t"
	"movzwl 0x62, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, movzx)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x60, 1, 0x80),
		PO(PORT_VAL, 4, 0x12340080),
		MR(MMIO + 0x61, 1, 0xff),
		PO(PORT_VAL, 4, 0x000000ff),
		MR(MMIO + 0x62, 2, 0x8001),
		PO(PORT_VAL, 4, 0x00008001),
		HLT,
	};

	LOAD(&self->g, movzx);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(movsx,
	SET_DS
	"mov $0x12345678, %eax\n\t"
	"movsbw 0x68, %ax\n\t"
	"out %eax, $0x81\n\t"
	"movsbw 0x69, %ax\n\t"
	"out %eax, $0x81\n\t"
	"movsbl 0x6a, %eax\n\t"
	"out %eax, $0x81\n\t"
	"movswl 0x6b, %eax\n\t"
	"out %eax, $0x81\n\t"
	"movswl 0x6d, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, movsx)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x68, 1, 0x80),
		PO(PORT_VAL, 4, 0x1234ff80),
		MR(MMIO + 0x69, 1, 0x7f),
		PO(PORT_VAL, 4, 0x1234007f),
		MR(MMIO + 0x6a, 1, 0xfe),
		PO(PORT_VAL, 4, 0xfffffffe),
		MR(MMIO + 0x6b, 2, 0x8001),
		PO(PORT_VAL, 4, 0xffff8001),
		MR(MMIO + 0x6d, 2, 0x7ffe),
		PO(PORT_VAL, 4, 0x00007ffe),
		HLT,
	};

	LOAD(&self->g, movsx);
	RUN(&self->g, evs);
}

/* ---- read-modify-write: one read exit, then one write exit ---- */

KT_GUEST_CODE16(rmw_logic,
	SET_DS
	"orb $0x80, 0x70\n\t"
	FLAGS_OUT
	"andw $0x00ff, 0x72\n\t"
	FLAGS_OUT
	"mov $0xffffffff, %ebx\n\t"
	"xor %ebx, 0x74\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, rmw_logic)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x70, 1, 0x01),
		MW(MMIO + 0x70, 1, 0x81),
		FLAGS(X86_EFLAGS_SF | X86_EFLAGS_PF, FL_LOGIC),
		MR(MMIO + 0x72, 2, 0x1200),
		MW(MMIO + 0x72, 2, 0x0000),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_LOGIC),
		MR(MMIO + 0x74, 4, 0x0f0f0f0f),
		MW(MMIO + 0x74, 4, 0xf0f0f0f0),
		FLAGS(X86_EFLAGS_SF | X86_EFLAGS_PF, FL_LOGIC),
		HLT,
	};

	LOAD(&self->g, rmw_logic);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(rmw_arith,
	SET_DS
	"mov $1, %bl\n\t"
	"add %bl, 0x78\n\t"
	FLAGS_OUT
	"subw $1, 0x7a\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, rmw_arith)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x78, 1, 0xff),
		MW(MMIO + 0x78, 1, 0x00),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_ZF, FL_ARITH),
		MR(MMIO + 0x7a, 2, 0x8000),
		MW(MMIO + 0x7a, 2, 0x7fff),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_AF | X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, rmw_arith);
	RUN(&self->g, evs);
}

/* A LOCK prefix changes nothing: still one read, one write exit. */
KT_GUEST_CODE16(rmw_lock_or16,
	SET_DS
	"lock orw $0x0100, 0x7c\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, rmw_lock_or16)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x7c, 2, 0x0001),
		MW(MMIO + 0x7c, 2, 0x0101),
		FLAGS(0, FL_LOGIC),
		HLT,
	};

	LOAD(&self->g, rmw_lock_or16);
	RUN(&self->g, evs);
}

/* ALU op with the MMIO operand as source: a read only. */
KT_GUEST_CODE16(add_from_mmio,
	SET_DS
	"mov $0x10, %bl\n\t"
	"add 0x7e, %bl\n\t"
	FLAGS_OUT
	"mov %bl, %al\n\t"
	"out %al, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, add_from_mmio)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x7e, 1, 0xf5),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF, FL_ARITH),
		PO(PORT_VAL, 1, 0x05),
		HLT,
	};

	LOAD(&self->g, add_from_mmio);
	RUN(&self->g, evs);
}

/* ---- read only: CMP, TEST ---- */

KT_GUEST_CODE16(cmp_mem,
	SET_DS
	"cmpb $0x50, 0x80\n\t"
	FLAGS_OUT
	"mov $0x1234, %bx\n\t"
	"cmp %bx, 0x82\n\t"
	FLAGS_OUT
	"cmp 0x84, %bx\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, cmp_mem)
{
	static const struct ev evs[] = {
		/* 0x40 - 0x50 */
		MR(MMIO + 0x80, 1, 0x40),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_SF, FL_ARITH),
		/* 0x1234 - 0x1234 */
		MR(MMIO + 0x82, 2, 0x1234),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		/* BX - mem: 0x1234 - 0x1235 */
		MR(MMIO + 0x84, 2, 0x1235),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_SF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, cmp_mem);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(test_mem,
	SET_DS
	"testb $0x80, 0x88\n\t"
	FLAGS_OUT
	"testl $0x80000000, 0x8c\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, test_mem)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x88, 1, 0x7f),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_LOGIC),
		MR(MMIO + 0x8c, 4, 0x80000001),
		FLAGS(X86_EFLAGS_SF | X86_EFLAGS_PF, FL_LOGIC),
		HLT,
	};

	LOAD(&self->g, test_mem);
	RUN(&self->g, evs);
}

/* ---- XCHG, CMPXCHG ---- */

KT_GUEST_CODE16(xchg_mem,
	SET_DS
	"mov $0xa5, %bl\n\t"
	"xchg %bl, 0x90\n\t"
	"mov %bl, %al\n\t"
	"out %al, $0x81\n\t"
	"mov $0x1234, %ax\n\t"
	"xchg %ax, 0x92\n\t"
	"out %ax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, xchg_mem)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x90, 1, 0x5a),
		MW(MMIO + 0x90, 1, 0xa5),
		PO(PORT_VAL, 1, 0x5a),
		MR(MMIO + 0x92, 2, 0xabcd),
		MW(MMIO + 0x92, 2, 0x1234),
		PO(PORT_VAL, 2, 0xabcd),
		HLT,
	};

	LOAD(&self->g, xchg_mem);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(cmpxchg_mem,
	SET_DS
	"mov $0x1111, %ax\n\t"
	"mov $0x2222, %bx\n\t"
	"cmpxchg %bx, 0x94\n\t"
	"out %ax, $0x81\n\t"
	FLAGS_OUT
	"mov $0x1111, %ax\n\t"
	"cmpxchg %bx, 0x94\n\t"
	"out %ax, $0x81\n\t"
	FLAGS_OUT
	"hlt\n\t");

/*
 * Equal: the new value is written, AX stays, ZF set.  Not equal: AX gets
 * the old value, ZF clear, and in-tree KVM still writes the old value
 * back (a write exit), the write cycle the SDM describes.
 */
TEST_F(mmio, cmpxchg)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x94, 2, 0x1111),
		MW(MMIO + 0x94, 2, 0x2222),
		PO(PORT_VAL, 2, 0x1111),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		MR(MMIO + 0x94, 2, 0x3333),
		MW(MMIO + 0x94, 2, 0x3333),
		PO(PORT_VAL, 2, 0x3333),
		/* 0x1111 - 0x3333 */
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_SF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, cmpxchg_mem);
	RUN(&self->g, evs);
}

/*
 * CMPXCHG of 8 and 32 bits, with and without LOCK, equal and not; the
 * flags are those of CMP accumulator, [mem].
 */
KT_GUEST_CODE16(cmpxchg_sizes,
	SET_DS
	"mov $0x11, %al\n\t"
	"mov $0x22, %bl\n\t"
	"lock cmpxchg %bl, 0xa0\n\t"
	"out %al, $0x81\n\t"
	FLAGS_OUT
	"mov $0x12345678, %eax\n\t"
	"mov $0x9abcdef0, %ebx\n\t"
	"cmpxchg %ebx, 0xa4\n\t"
	"out %eax, $0x81\n\t"
	FLAGS_OUT
	"mov $0x12345679, %eax\n\t"
	"lock cmpxchg %ebx, 0xa8\n\t"
	"out %eax, $0x81\n\t"
	FLAGS_OUT
	"mov $0x80, %al\n\t"
	"mov $0x5a, %ch\n\t"
	"cmpxchg %ch, 0xac\n\t"
	"out %al, $0x81\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, cmpxchg_sizes)
{
	static const struct ev evs[] = {
		MR(MMIO + 0xa0, 1, 0x11),
		MW(MMIO + 0xa0, 1, 0x22),
		PO(PORT_VAL, 1, 0x11),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		MR(MMIO + 0xa4, 4, 0x12345679),
		MW(MMIO + 0xa4, 4, 0x12345679),
		PO(PORT_VAL, 4, 0x12345679),
		/* 0x12345678 - 0x12345679 */
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_SF, FL_ARITH),
		MR(MMIO + 0xa8, 4, 0x12345679),
		MW(MMIO + 0xa8, 4, 0x9abcdef0),
		PO(PORT_VAL, 4, 0x12345679),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		/* AL 0x80 - 0x7f: AL gets 0x7f, CH is not used */
		MR(MMIO + 0xac, 1, 0x7f),
		MW(MMIO + 0xac, 1, 0x7f),
		PO(PORT_VAL, 1, 0x7f),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_AF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, cmpxchg_sizes);
	RUN(&self->g, evs);
}

/*
 * CMPXCHG8B compares EDX:EAX, stores ECX:EBX when equal and loads EDX:EAX
 * when not (writing the old value back), and changes ZF only. XADD: the
 * sum to memory, the old value to the register, the flags of the ADD.
 */
KT_GUEST_CODE16(cmpxchg8b_xadd,
	SET_DS
	"mov $0x11111111, %eax\n\t"
	"mov $0x22222222, %edx\n\t"
	"mov $0x33333333, %ebx\n\t"
	"mov $0x44444444, %ecx\n\t"
	"stc\n\t"
	"lock cmpxchg8b 0xb0\n\t"
	"out %eax, $0x81\n\t"
	"mov %edx, %eax\n\t"
	"out %eax, $0x81\n\t"
	FLAGS_OUT
	"mov $0x11111111, %eax\n\t"
	"clc\n\t"
	"cmpxchg8b 0xb8\n\t"
	"out %eax, $0x81\n\t"
	"mov %edx, %eax\n\t"
	"out %eax, $0x81\n\t"
	FLAGS_OUT
	"mov $0x7fff, %bx\n\t"
	"lock xadd %bx, 0xc0\n\t"
	FLAGS_OUT
	"mov %bx, %ax\n\t"
	"out %ax, $0x81\n\t"
	"mov $0x80, %dl\n\t"
	"xadd %dl, 0xc2\n\t"
	FLAGS_OUT
	"mov %dl, %al\n\t"
	"out %al, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, cmpxchg8b_xadd)
{
	static const struct ev evs[] = {
		MR(MMIO + 0xb0, 8, 0x2222222211111111ULL),
		MW(MMIO + 0xb0, 8, 0x4444444433333333ULL),
		PO(PORT_VAL, 4, 0x11111111),
		PO(PORT_VAL, 4, 0x22222222),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_CF,
		      X86_EFLAGS_ZF | X86_EFLAGS_CF),
		MR(MMIO + 0xb8, 8, 0x0102030405060708ULL),
		MW(MMIO + 0xb8, 8, 0x0102030405060708ULL),
		PO(PORT_VAL, 4, 0x05060708),
		PO(PORT_VAL, 4, 0x01020304),
		FLAGS(0, X86_EFLAGS_ZF | X86_EFLAGS_CF),
		/* 0x0001 + 0x7fff */
		MR(MMIO + 0xc0, 2, 0x0001),
		MW(MMIO + 0xc0, 2, 0x8000),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_SF | X86_EFLAGS_AF |
		      X86_EFLAGS_PF, FL_ARITH),
		PO(PORT_VAL, 2, 0x0001),
		/* 0x80 + 0x80 */
		MR(MMIO + 0xc2, 1, 0x80),
		MW(MMIO + 0xc2, 1, 0x00),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_CF | X86_EFLAGS_ZF |
		      X86_EFLAGS_PF, FL_ARITH),
		PO(PORT_VAL, 1, 0x80),
		HLT,
	};

	LOAD(&self->g, cmpxchg8b_xadd);
	RUN(&self->g, evs);
}

/* ---- bit tests ---- */

/*
 * An immediate bit offset is taken modulo the operand size; a register
 * one selects the word: 35 is bit 3 of the word 4 bytes on, -1 bit 15 of
 * the word before.
 */
KT_GUEST_CODE16(bt_mem,
	SET_DS
	"btw $3, 0x98\n\t"
	"setc %al\n\t"
	"out %al, $0x81\n\t"
	"btw $20, 0x98\n\t"
	"setc %al\n\t"
	"out %al, $0x81\n\t"
	"mov $35, %cx\n\t"
	"bt %cx, 0x98\n\t"
	"setc %al\n\t"
	"out %al, $0x81\n\t"
	"mov $-1, %cx\n\t"
	"bt %cx, 0x98\n\t"
	"setc %al\n\t"
	"out %al, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, bt)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x98, 2, 0x0008),
		PO(PORT_VAL, 1, 1),
		MR(MMIO + 0x98, 2, 0x0008),
		PO(PORT_VAL, 1, 0),
		MR(MMIO + 0x9c, 2, 0x0008),
		PO(PORT_VAL, 1, 1),
		MR(MMIO + 0x96, 2, 0x7fff),
		PO(PORT_VAL, 1, 0),
		HLT,
	};

	LOAD(&self->g, bt_mem);
	RUN(&self->g, evs);
}

KT_GUEST_CODE16(bts_imm,
	SET_DS
	"btsw $0, 0x9e\n\t"
	"setc %al\n\t"
	"out %al, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, bts_imm)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x9e, 2, 0x0010),
		MW(MMIO + 0x9e, 2, 0x0011),
		PO(PORT_VAL, 1, 0),
		HLT,
	};

	LOAD(&self->g, bts_imm);
	RUN(&self->g, evs);
}

/* ---- string instructions: one exit per element ---- */

static void expect_string_regs(struct __test_metadata *_metadata,
			       struct kt_guest *g, uint64_t rcx, uint64_t rsi,
			       uint64_t rdi, uint64_t rip)
{
	struct kvm_regs regs;

	get_regs(_metadata, g, &regs);
	EXPECT_EQ(rcx, regs.rcx & 0xffff);
	EXPECT_EQ(rsi, regs.rsi & 0xffff);
	EXPECT_EQ(rdi, regs.rdi & 0xffff);
	EXPECT_EQ(rip, regs.rip);
}

KT_GUEST_CODE16(rep_stosb,
	SET_ES
	"cld\n\t"
	"mov $0x100, %di\n\t"
	"mov $5, %cx\n\t"
	"mov $0x77, %al\n\t"
	"rep stosb\n\t"
	"hlt\n\t");

TEST_F(mmio, rep_stosb)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x100, 1, 0x77),
		MW(MMIO + 0x101, 1, 0x77),
		MW(MMIO + 0x102, 1, 0x77),
		MW(MMIO + 0x103, 1, 0x77),
		MW(MMIO + 0x104, 1, 0x77),
		HLT,
	};

	LOAD(&self->g, rep_stosb);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0, 0x105,
			   KT_CODE_GPA + KT_CODE_LEN(rep_stosb));
}

KT_GUEST_CODE16(rep_stosw_stosl,
	SET_ES
	"cld\n\t"
	"mov $0x110, %di\n\t"
	"mov $3, %cx\n\t"
	"mov $0xbeef, %ax\n\t"
	"rep stosw\n\t"
	"mov %di, %ax\n\t"
	"out %ax, $0x81\n\t"
	"mov $0x120, %di\n\t"
	"mov $2, %cx\n\t"
	"mov $0x12345678, %eax\n\t"
	"rep stosl\n\t"
	"hlt\n\t");

TEST_F(mmio, rep_stosw_stosl)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x110, 2, 0xbeef),
		MW(MMIO + 0x112, 2, 0xbeef),
		MW(MMIO + 0x114, 2, 0xbeef),
		PO(PORT_VAL, 2, 0x116),
		MW(MMIO + 0x120, 4, 0x12345678),
		MW(MMIO + 0x124, 4, 0x12345678),
		HLT,
	};

	LOAD(&self->g, rep_stosw_stosl);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0, 0x128,
			   KT_CODE_GPA + KT_CODE_LEN(rep_stosw_stosl));
}

/* DF = 1: addresses go down. */
KT_GUEST_CODE16(rep_stosb_down,
	SET_ES
	"std\n\t"
	"mov $0x134, %di\n\t"
	"mov $3, %cx\n\t"
	"mov $0x11, %al\n\t"
	"rep stosb\n\t"
	"hlt\n\t");

TEST_F(mmio, rep_stosb_down)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x134, 1, 0x11),
		MW(MMIO + 0x133, 1, 0x11),
		MW(MMIO + 0x132, 1, 0x11),
		HLT,
	};
	struct kvm_regs regs;

	LOAD(&self->g, rep_stosb_down);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0, 0x131,
			   KT_CODE_GPA + KT_CODE_LEN(rep_stosb_down));
	get_regs(_metadata, &self->g, &regs);
	EXPECT_EQ(X86_EFLAGS_DF, regs.rflags & X86_EFLAGS_DF);
}

/* Without REP: one element, CX untouched. */
KT_GUEST_CODE16(stosb_once,
	SET_ES
	"cld\n\t"
	"mov $0x140, %di\n\t"
	"mov $7, %cx\n\t"
	"mov $0x42, %al\n\t"
	"stosb\n\t"
	"hlt\n\t");

TEST_F(mmio, stosb_once)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x140, 1, 0x42),
		HLT,
	};

	LOAD(&self->g, stosb_once);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 7, 0, 0x141,
			   KT_CODE_GPA + KT_CODE_LEN(stosb_once));
}

/* DS:SI in MMIO, ES:DI in RAM at 0x2000. */
KT_GUEST_CODE16(rep_movsb_from_mmio,
	SET_DS
	"xor %ax, %ax\n\t"
	"mov %ax, %es\n\t"
	"cld\n\t"
	"mov $0x200, %si\n\t"
	"mov $0x2000, %di\n\t"
	"mov $4, %cx\n\t"
	"rep movsb\n\t"
	"hlt\n\t");

TEST_F(mmio, rep_movsb_from_mmio)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x200, 1, 0xa0),
		MR(MMIO + 0x201, 1, 0xa1),
		MR(MMIO + 0x202, 1, 0xa2),
		MR(MMIO + 0x203, 1, 0xa3),
		HLT,
	};
	static const uint8_t want[] = { 0xa0, 0xa1, 0xa2, 0xa3, 0 };

	LOAD(&self->g, rep_movsb_from_mmio);
	RUN(&self->g, evs);
	EXPECT_EQ(0, memcmp(want, self->g.mem + 0x2000, sizeof(want)));
	expect_string_regs(_metadata, &self->g, 0, 0x204, 0x2004,
			   KT_CODE_GPA + KT_CODE_LEN(rep_movsb_from_mmio));
}

/* DS:SI in RAM at 0x2100, ES:DI in MMIO. */
KT_GUEST_CODE16(rep_movsw_to_mmio,
	SET_ES
	"cld\n\t"
	"mov $0x2100, %si\n\t"
	"mov $0x210, %di\n\t"
	"mov $3, %cx\n\t"
	"rep movsw\n\t"
	"hlt\n\t");

TEST_F(mmio, rep_movsw_to_mmio)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x210, 2, 0x1111),
		MW(MMIO + 0x212, 2, 0x2222),
		MW(MMIO + 0x214, 2, 0x3333),
		HLT,
	};
	static const uint16_t src[] = { 0x1111, 0x2222, 0x3333 };

	memcpy(self->g.mem + 0x2100, src, sizeof(src));
	LOAD(&self->g, rep_movsw_to_mmio);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0x2106, 0x216,
			   KT_CODE_GPA + KT_CODE_LEN(rep_movsw_to_mmio));
}

/* Both operands in MMIO: a read exit, then a write exit. */
KT_GUEST_CODE16(movsb_mmio_to_mmio,
	SET_DS
	SET_ES_E
	"cld\n\t"
	"mov $0x220, %si\n\t"
	"mov $0x230, %di\n\t"
	"movsb\n\t"
	"hlt\n\t");

TEST_F(mmio, movsb_mmio_to_mmio)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x220, 1, 0x3c),
		MW(MMIO_ES + 0x230, 1, 0x3c),
		HLT,
	};

	LOAD(&self->g, movsb_mmio_to_mmio);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0x221, 0x231,
			   KT_CODE_GPA + KT_CODE_LEN(movsb_mmio_to_mmio));
}

KT_GUEST_CODE16(lods,
	SET_DS
	"cld\n\t"
	"mov $0x240, %si\n\t"
	"mov $0x11223344, %eax\n\t"
	"lodsb\n\t"
	"out %eax, $0x81\n\t"
	"lodsl\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, lods)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x240, 1, 0x99),
		PO(PORT_VAL, 4, 0x11223399),
		MR(MMIO + 0x241, 4, 0xcafef00d),
		PO(PORT_VAL, 4, 0xcafef00d),
		HLT,
	};

	LOAD(&self->g, lods);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0x245, 0,
			   KT_CODE_GPA + KT_CODE_LEN(lods));
}

/* CMPSB with both operands in MMIO: DS:SI read first, then ES:DI. */
KT_GUEST_CODE16(cmpsb_two_reads,
	SET_DS
	SET_ES_E
	"cld\n\t"
	"mov $0x250, %si\n\t"
	"mov $0x260, %di\n\t"
	"cmpsb\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, cmpsb_two_reads)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x250, 1, 0x05),
		MR(MMIO_ES + 0x260, 1, 0x07),
		/* 0x05 - 0x07 */
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_AF | X86_EFLAGS_SF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, cmpsb_two_reads);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0x251, 0x261,
			   KT_CODE_GPA + KT_CODE_LEN(cmpsb_two_reads));
}

/*
 * REPE CMPSW with both operands in MMIO: two read exits per element; it
 * stops at the first difference, with RIP past it and CX counting the
 * elements done. At the read exits RIP is on the instruction.
 */
KT_GUEST_LABEL(repe_cmpsw_insn);
KT_GUEST_CODE16(repe_cmpsw,
	SET_DS
	SET_ES_E
	"cld\n\t"
	"mov $0x300, %si\n\t"
	"mov $0x400, %di\n\t"
	"mov $4, %cx\n"
	"repe_cmpsw_insn:\n\t"
	"repe cmpsw\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, repe_cmpsw)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x300, 2, 0xaaaa),
		MR(MMIO_ES + 0x400, 2, 0xaaaa),
		MR(MMIO + 0x302, 2, 0x1234),
		MR(MMIO_ES + 0x402, 2, 0x1235),
		/* 0x1234 - 0x1235 */
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_SF, FL_ARITH),
		HLT,
	};
	struct kt_guest *g = &self->g;
	uint64_t insn = GPA_OF(repe_cmpsw, repe_cmpsw_insn);

	LOAD(g, repe_cmpsw);
	next_exit(_metadata, g, &evs[0], 0);
	expect_string_regs(_metadata, g, 4, 0x300, 0x400, insn);
	next_exit(_metadata, g, &evs[1], 1);
	expect_string_regs(_metadata, g, 4, 0x300, 0x400, insn);
	next_exit(_metadata, g, &evs[2], 2);
	expect_string_regs(_metadata, g, 3, 0x302, 0x402, insn);
	next_exit(_metadata, g, &evs[3], 3);
	expect_string_regs(_metadata, g, 3, 0x302, 0x402, insn);
	run_evs(_metadata, g, evs + 4, ARRAY_SIZE(evs) - 4);
	expect_string_regs(_metadata, g, 2, 0x304, 0x404,
			   KT_CODE_GPA + KT_CODE_LEN(repe_cmpsw));
}

/* REPE CMPSB that runs out of count: every element equal, ZF set. */
KT_GUEST_CODE16(repe_cmpsb_count,
	SET_DS
	SET_ES_E
	"cld\n\t"
	"mov $0x600, %si\n\t"
	"mov $0x610, %di\n\t"
	"mov $2, %cx\n\t"
	"repe cmpsb\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, repe_cmpsb_count)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x600, 1, 0x07),
		MR(MMIO_ES + 0x610, 1, 0x07),
		MR(MMIO + 0x601, 1, 0x09),
		MR(MMIO_ES + 0x611, 1, 0x09),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, repe_cmpsb_count);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 0, 0x602, 0x612,
			   KT_CODE_GPA + KT_CODE_LEN(repe_cmpsb_count));
}

/* REPNE CMPSB stops at the first equal element. */
KT_GUEST_CODE16(repne_cmpsb,
	SET_DS
	SET_ES_E
	"cld\n\t"
	"mov $0x620, %si\n\t"
	"mov $0x630, %di\n\t"
	"mov $9, %cx\n\t"
	"repne cmpsb\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, repne_cmpsb)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x620, 1, 0x01),
		MR(MMIO_ES + 0x630, 1, 0x02),
		MR(MMIO + 0x621, 1, 0x03),
		MR(MMIO_ES + 0x631, 1, 0x04),
		MR(MMIO + 0x622, 1, 0x33),
		MR(MMIO_ES + 0x632, 1, 0x33),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, repne_cmpsb);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 6, 0x623, 0x633,
			   KT_CODE_GPA + KT_CODE_LEN(repne_cmpsb));
}

/*
 * One operand in RAM, the other in MMIO: one read exit per element.
 * The second CMPS goes down (DF = 1) with a 32-bit operand.
 */
KT_GUEST_CODE16(cmps_ram_mmio,
	SET_ES_E
	"cld\n\t"
	"mov $0x2000, %si\n\t"
	"mov $0x700, %di\n\t"
	"cmpsw\n\t"
	FLAGS_OUT
	"mov $0xd000, %ax\n\t"
	"mov %ax, %ds\n\t"
	"xor %ax, %ax\n\t"
	"mov %ax, %es\n\t"
	"mov $0x710, %si\n\t"
	"mov $0x2004, %di\n\t"
	"std\n\t"
	"cmpsl\n\t"
	FLAGS_OUT
	"cld\n\t"
	"hlt\n\t");

TEST_F(mmio, cmps_ram_mmio)
{
	static const struct ev evs[] = {
		MR(MMIO_ES + 0x700, 2, 0x0100),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		/* 0x80000000 - 0x00000001 */
		MR(MMIO + 0x710, 4, 0x80000000),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_AF | X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};
	struct kt_guest *g = &self->g;
	static const uint32_t ram[] = { 0x0100, 0x00000001 };

	memcpy(g->mem + 0x2000, ram, sizeof(ram));
	LOAD(g, cmps_ram_mmio);
	RUN(g, evs);
	expect_string_regs(_metadata, g, 0, 0x70c, 0x2000,
			   KT_CODE_GPA + KT_CODE_LEN(cmps_ram_mmio));
}

/* SCASW; REPNE SCASB stops on the byte equal to AL. */
KT_GUEST_CODE16(scas,
	SET_ES
	"cld\n\t"
	"mov $0x500, %di\n\t"
	"mov $0x1234, %ax\n\t"
	"scasw\n\t"
	FLAGS_OUT
	"mov $5, %cx\n\t"
	"mov $0x42, %al\n\t"
	"repne scasb\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, scas)
{
	static const struct ev evs[] = {
		/* 0x1234 - 0x2234 */
		MR(MMIO + 0x500, 2, 0x2234),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_SF | X86_EFLAGS_PF, FL_ARITH),
		MR(MMIO + 0x502, 1, 0x10),
		MR(MMIO + 0x503, 1, 0x42),
		FLAGS(X86_EFLAGS_ZF | X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, scas);
	RUN(&self->g, evs);
	expect_string_regs(_metadata, &self->g, 3, 0, 0x504,
			   KT_CODE_GPA + KT_CODE_LEN(scas));
}

/* ---- segments and addressing forms ---- */

KT_GUEST_CODE16(seg_override,
	SET_DS
	SET_ES_E
	"mov $0xd800, %ax\n\t"
	"mov %ax, %fs\n\t"
	"mov $0xf000, %ax\n\t"
	"mov %ax, %gs\n\t"
	"mov $0x100, %bp\n\t"
	"mov $0x01, %bl\n\t"
	"mov %bl, 0x10\n\t"		/* DS */
	"mov $0x02, %bl\n\t"
	"mov %bl, %es:0x10\n\t"
	"mov $0x03, %bl\n\t"
	"mov %bl, %fs:0x10\n\t"
	"mov $0x04, %bl\n\t"
	"mov %bl, %gs:0x10\n\t"
	"mov $0x05, %bl\n\t"
	"mov %bl, 0x10(%bp)\n\t"	/* SS = 0: RAM at 0x110 */
	"mov $0x06, %bl\n\t"
	"mov %bl, %ds:0x10(%bp)\n\t"
	"mov $0xd000, %ax\n\t"
	"mov %ax, %ss\n\t"
	"mov $0x07, %bl\n\t"
	"mov %bl, 0x20(%bp)\n\t"	/* SS = 0xd000 */
	"xor %ax, %ax\n\t"
	"mov %ax, %ss\n\t"
	"hlt\n\t");

TEST_F(mmio, seg_override)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x10, 1, 0x01),
		MW(MMIO_ES + 0x10, 1, 0x02),
		MW(0xd8010, 1, 0x03),
		MW(0xf0010, 1, 0x04),
		MW(MMIO + 0x110, 1, 0x06),
		MW(MMIO + 0x120, 1, 0x07),
		HLT,
	};

	LOAD(&self->g, seg_override);
	RUN(&self->g, evs);
	EXPECT_EQ(0x05, self->g.mem[0x110]);
}

KT_GUEST_CODE16(addressing,
	SET_DS
	"mov $0x100, %bx\n\t"
	"mov $0x20, %si\n\t"
	"mov $0x30, %di\n\t"
	"mov $0x200, %bp\n\t"
	"mov $0x11, %al\n\t"
	"mov %al, (%bx,%si)\n\t"
	"mov %al, 5(%bx,%di)\n\t"
	"mov %al, 0x1234(%si)\n\t"
	"mov %al, %ds:-2(%bp,%si)\n\t"
	"mov $0x9000, %bx\n\t"
	"mov %al, 0x7010(%bx)\n\t"	/* 0x10010 wraps to 0x10 */
	"mov $0x100, %ebx\n\t"
	"mov $3, %ecx\n\t"
	"mov %al, 0x10(%ebx,%ecx,4)\n\t"
	"mov %al, (%ebx)\n\t"
	"hlt\n\t");

TEST_F(mmio, addressing)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x120, 1, 0x11),
		MW(MMIO + 0x135, 1, 0x11),
		MW(MMIO + 0x1254, 1, 0x11),
		MW(MMIO + 0x21e, 1, 0x11),
		MW(MMIO + 0x10, 1, 0x11),
		MW(MMIO + 0x11c, 1, 0x11),
		MW(MMIO + 0x100, 1, 0x11),
		HLT,
	};

	LOAD(&self->g, addressing);
	RUN(&self->g, evs);
}

/* ---- accesses split at a page boundary ---- */

/* DS base 0xd0f00: offset 0xfe is GPA 0xd0ffe. */
KT_GUEST_CODE16(split_mmio,
	"mov $0xd0f0, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov $0x11223344, %eax\n\t"
	"mov %eax, 0xfe\n\t"
	"mov 0xfe, %ebx\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, split_mmio_pages)
{
	static const struct ev evs[] = {
		MW(0xd0ffe, 2, 0x3344),
		MW(0xd1000, 2, 0x1122),
		MR(0xd0ffe, 2, 0x5566),
		MR(0xd1000, 2, 0x7788),
		PO(PORT_VAL, 4, 0x77885566),
		HLT,
	};

	LOAD(&self->g, split_mmio);
	RUN(&self->g, evs);
}

/* DS base 0xfff0: offset 0xe is GPA 0xfffe, the last 2 bytes of RAM. */
KT_GUEST_CODE16(split_ram_mmio,
	"mov $0xfff, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov $0xaabbccdd, %eax\n\t"
	"mov %eax, 0xe\n\t"
	"mov 0xe, %ebx\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, split_ram_mmio)
{
	static const struct ev ev_write = MW(0x10000, 2, 0xaabb);
	static const struct ev evs[] = {
		MR(0x10000, 2, 0x1234),
		PO(PORT_VAL, 4, 0x1234cc99),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LOAD(g, split_ram_mmio);
	next_exit(_metadata, g, &ev_write, 0);
	/* The RAM part is written by the time of the exit. */
	EXPECT_EQ(0xccdd, mem16(g, 0xfffe));
	g->mem[0xfffe] = 0x99;	/* the read takes RAM as it is now */
	RUN(g, evs);
}

/*
 * MMIO then RAM: with a slot at GPA 0xd1000, the RAM part of a write is
 * done by the time of the exit for the MMIO part, and a read takes the
 * RAM part as it is when the instruction runs.
 */
KT_GUEST_CODE16(split_mmio_ram,
	"mov $0xd0f0, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov $0x11223344, %eax\n\t"
	"mov %eax, 0xfe\n\t"
	"mov 0xfe, %ebx\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x81\n\t"
	"hlt\n\t");

TEST_F(mmio, split_mmio_ram)
{
	static const struct ev ev_write = MW(0xd0ffe, 2, 0x3344);
	static const struct ev evs[] = {
		MR(0xd0ffe, 2, 0x7788),
		PO(PORT_VAL, 4, 0x55667788),
		HLT,
	};
	struct kt_guest *g = &self->g;
	uint8_t *ram = kt_add_mem(g->vm_fd, 1, 0xd1000, KT_PAGE_SIZE);

	ASSERT_NE(NULL, ram);
	LOAD(g, split_mmio_ram);
	next_exit(_metadata, g, &ev_write, 0);
	EXPECT_EQ(0x22, ram[0]);
	EXPECT_EQ(0x11, ram[1]);
	ram[0] = 0x66;
	ram[1] = 0x55;
	RUN(g, evs);
}

/*
 * A read-modify-write across two MMIO pages: both read pieces, then both
 * write pieces.
 */
KT_GUEST_CODE16(split_rmw,
	"mov $0xd0f0, %ax\n\t"
	"mov %ax, %ds\n\t"
	"addl $0x10001, 0xfe\n\t"
	FLAGS_OUT
	"hlt\n\t");

TEST_F(mmio, split_rmw)
{
	static const struct ev evs[] = {
		MR(0xd0ffe, 2, 0xffff),
		MR(0xd1000, 2, 0x7fff),
		/* 0x7fffffff + 0x00010001 = 0x80010000 */
		MW(0xd0ffe, 2, 0x0000),
		MW(0xd1000, 2, 0x8001),
		FLAGS(X86_EFLAGS_OF | X86_EFLAGS_SF | X86_EFLAGS_AF |
		      X86_EFLAGS_PF, FL_ARITH),
		HLT,
	};

	LOAD(&self->g, split_rmw);
	RUN(&self->g, evs);
}

/* 16-byte SSE accesses: two exits of 8 bytes each. */
KT_GUEST_CODE16(sse16,
	SET_DS
	"movdqa 0xa0, %xmm0\n\t"
	"movdqu %xmm0, 0xb3\n\t"
	"xor %ax, %ax\n\t"
	"mov %ax, %ds\n\t"
	"movdqu %xmm0, 0x2000\n\t"
	"hlt\n\t");

TEST_F(mmio, sse_16_bytes)
{
	static const struct ev evs[] = {
		MR(MMIO + 0xa0, 8, 0x0706050403020100ULL),
		MR(MMIO + 0xa8, 8, 0x0f0e0d0c0b0a0908ULL),
		MW(MMIO + 0xb3, 8, 0x0706050403020100ULL),
		MW(MMIO + 0xbb, 8, 0x0f0e0d0c0b0a0908ULL),
		HLT,
	};
	struct kt_guest *g = &self->g;
	struct kvm_sregs sregs;
	unsigned int i;

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &sregs));
	sregs.cr4 |= X86_CR4_OSFXSR;
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &sregs));
	LOAD(g, sse16);
	RUN(g, evs);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(i, g->mem[0x2000 + i]);
}

static void enable_sse(struct __test_metadata *_metadata, struct kt_guest *g)
{
	struct kvm_sregs sregs;

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &sregs));
	sregs.cr4 |= X86_CR4_OSFXSR;
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &sregs));
}

/*
 * A 16-byte access across a page boundary, 5 bytes before it: the piece
 * in the first page is one exit, the 11 bytes in the second are two.
 */
KT_GUEST_CODE16(sse16_split,
	"mov $0xd0f0, %ax\n\t"
	"mov %ax, %ds\n\t"
	"movdqu 0xfb, %xmm1\n\t"
	"movups %xmm1, 0xfb\n\t"
	"xor %ax, %ax\n\t"
	"mov %ax, %ds\n\t"
	"movdqu %xmm1, 0x2000\n\t"
	"hlt\n\t");

TEST_F(mmio, sse16_split)
{
	static const struct ev evs[] = {
		MR(0xd0ffb, 5, 0x0403020100ULL),
		MR(0xd1000, 8, 0x0c0b0a0908070605ULL),
		MR(0xd1008, 3, 0x0f0e0d),
		MW(0xd0ffb, 5, 0x0403020100ULL),
		MW(0xd1000, 8, 0x0c0b0a0908070605ULL),
		MW(0xd1008, 3, 0x0f0e0d),
		HLT,
	};
	struct kt_guest *g = &self->g;
	unsigned int i;

	enable_sse(_metadata, g);
	LOAD(g, sse16_split);
	RUN(g, evs);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(i, g->mem[0x2000 + i]);
}

/* ---- RIP and registers at the exits ---- */

KT_GUEST_LABEL(rip_read);
KT_GUEST_LABEL(rip_write);
KT_GUEST_LABEL(rip_stos);
KT_GUEST_LABEL(rip_movs);
KT_GUEST_CODE16(rip_code,
	SET_DS
	SET_ES
	"cld\n\t"
	"mov $0x300, %di\n\t"
	"mov $2, %cx\n"
	"rip_read:\n\t"
	"mov 0x10, %bl\n"
	"rip_write:\n\t"
	"mov %bl, 0x12\n"
	"rip_stos:\n\t"
	"rep stosb\n\t"
	"xor %ax, %ax\n\t"
	"mov %ax, %es\n\t"
	"mov $0x400, %si\n\t"
	"mov $0x2000, %di\n\t"
	"mov $2, %cx\n"
	"rip_movs:\n\t"
	"rep movsb\n\t"
	"hlt\n\t");

/*
 * A read exit leaves RIP on the instruction and the registers as they
 * were; a write exit comes after the instruction completed.  REP string
 * instructions: RIP stays on the instruction, RCX/RSI/RDI count the
 * elements done, including the one being reported for a write.
 */
TEST_F(mmio, rip_at_exits)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x10, 1, 0x6b),
		MW(MMIO + 0x12, 1, 0x6b),
		MW(MMIO + 0x300, 1, 0x00),	/* AL: AX = 0xd000 */
		MW(MMIO + 0x301, 1, 0x00),
		MR(MMIO + 0x400, 1, 0x01),
		MR(MMIO + 0x401, 1, 0x02),
		HLT,
	};
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;

	LOAD(g, rip_code);
	next_exit(_metadata, g, &evs[0], 0);
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(GPA_OF(rip_code, rip_read), regs.rip);
	EXPECT_EQ(0, regs.rbx & 0xff);

	next_exit(_metadata, g, &evs[1], 1);
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(GPA_OF(rip_code, rip_stos), regs.rip);
	EXPECT_EQ(0x6b, regs.rbx & 0xff);

	next_exit(_metadata, g, &evs[2], 2);
	expect_string_regs(_metadata, g, 1, 0, 0x301,
			   GPA_OF(rip_code, rip_stos));
	next_exit(_metadata, g, &evs[3], 3);
	expect_string_regs(_metadata, g, 0, 0, 0x302,
			   GPA_OF(rip_code, rip_stos));

	/* Reads: the element reported is not done yet. */
	next_exit(_metadata, g, &evs[4], 4);
	expect_string_regs(_metadata, g, 2, 0x400, 0x2000,
			   GPA_OF(rip_code, rip_movs));
	next_exit(_metadata, g, &evs[5], 5);
	expect_string_regs(_metadata, g, 1, 0x401, 0x2001,
			   GPA_OF(rip_code, rip_movs));
	EXPECT_EQ(0x01, g->mem[0x2000]);

	next_exit(_metadata, g, &evs[6], 6);
	expect_string_regs(_metadata, g, 0, 0x402, 0x2002,
			   KT_CODE_GPA + KT_CODE_LEN(rip_code));
	EXPECT_EQ(0x0201, mem16(g, 0x2000));
}

KT_GUEST_LABEL(imm_done);
KT_GUEST_CODE16(imm_exit,
	SET_DS
	"mov 0x10, %bl\n"
	"imm_done:\n\t"
	"mov %bl, %al\n\t"
	"out %al, $0x81\n\t"
	"hlt\n\t");

/* api.rst: KVM_RUN with immediate_exit completes a pending MMIO read. */
TEST_F(mmio, read_completed_by_immediate_exit)
{
	static const struct ev ev_read = MR(MMIO + 0x10, 1, 0x3c);
	static const struct ev evs[] = {
		PO(PORT_VAL, 1, 0x3c),
		HLT,
	};
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;

	LOAD(g, imm_exit);
	next_exit(_metadata, g, &ev_read, 0);
	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(g->vcpu_fd, g->run));
	g->run->immediate_exit = 0;
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(GPA_OF(imm_exit, imm_done), regs.rip);
	EXPECT_EQ(0x3c, regs.rbx & 0xff);
	RUN(g, evs);
}

/* ---- an instruction KVM cannot emulate ---- */

KT_GUEST_LABEL(bound_insn);
KT_GUEST_LABEL(ud_handler);
KT_GUEST_CODE16(bound_mmio,
	SET_DS
	"mov $0x1234, %ax\n"
	"bound_insn:\n\t"
	"bound %ax, 0x90\n\t"
	"hlt\n"
	"ud_handler:\n\t"
	"mov $0x66, %al\n\t"
	"out %al, $0x86\n\t"
	"hlt\n\t");

static int host_is_amd(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx))
		return 0;
	/* "AuthenticAMD" */
	return ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;
}

/*
 * BOUND reading MMIO is not in KVM's emulator: KVM_EXIT_INTERNAL_ERROR,
 * suberror KVM_INTERNAL_ERROR_EMULATION, with the 15 bytes the emulator
 * fetched from RIP and the vendor's exit information; RIP stays on the
 * instruction, and a #UD is queued: the next KVM_RUN delivers it.
 */
TEST_F(mmio, unknown_insn_internal_error)
{
	static const struct ev evs[] = {
		PO(PORT_UD, 1, 0x66),
		HLT,
	};
	struct kt_guest *g = &self->g;
	uint64_t bound = GPA_OF(bound_mmio, bound_insn);
	uint64_t handler = GPA_OF(bound_mmio, ud_handler);
	struct kvm_run *run = g->run;
	struct kvm_regs regs;
	unsigned int i;
	uint16_t ivt[2];
	int r;

	LOAD(g, bound_mmio);
	/* Real-mode IVT entry of #UD (vector 6): 0000:handler. */
	ivt[0] = handler;
	ivt[1] = 0;
	memcpy(g->mem + 6 * 4, ivt, sizeof(ivt));

	r = kt_run(g->vcpu_fd, run);
	ASSERT_EQ(KVM_EXIT_INTERNAL_ERROR, r)
		TH_LOG("exit %d (%s)", r, exit_str(r));
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION,
		  run->emulation_failure.suberror);
	/* flags, 2 words of instruction bytes, 5 of exit information. */
	EXPECT_EQ(8, run->emulation_failure.ndata);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES,
		  run->emulation_failure.flags);
	EXPECT_EQ(15, run->emulation_failure.insn_size);
	for (i = 0; i < 15; i++) {
		EXPECT_EQ(g->mem[bound + i],
			  run->emulation_failure.insn_bytes[i])
			TH_LOG("byte %u", i);
	}
	if (host_is_amd()) {
		/* exit code, exit_info_1, exit_info_2, exit_int_info, err */
		EXPECT_EQ(SVM_EXIT_NPF, run->internal.data[3]);
		/* not present, read, user, final GPA */
		EXPECT_EQ(NPF_FINAL | NPF_USER, run->internal.data[4]);
		EXPECT_EQ(MMIO + 0x90, run->internal.data[5]);
		EXPECT_EQ(0, run->internal.data[6]);
		EXPECT_EQ(0, run->internal.data[7]);
	}
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(bound, regs.rip);

	/* The queued #UD: IP, CS and FLAGS of the BOUND on the stack. */
	RUN(g, evs);
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(KT_STACK_GPA - 6, regs.rsp);
	EXPECT_EQ(bound, mem16(g, KT_STACK_GPA - 6));
	EXPECT_EQ(0, mem16(g, KT_STACK_GPA - 4));
	EXPECT_EQ(X86_EFLAGS_FIXED, mem16(g, KT_STACK_GPA - 2));
}

KT_GUEST_LABEL(fetch_jmp);
KT_GUEST_CODE16(fetch_mmio,
	"fetch_jmp:\n\t"
	"ljmp $0xd000, $0x10\n\t");

/*
 * Code fetched from MMIO cannot be emulated either: the emulator fails to
 * fetch any byte, so the exit carries no instruction bytes, only the exit
 * information (data[1..5]).  The far jump itself completed.
 */
TEST_F(mmio, fetch_from_mmio)
{
	struct kt_guest *g = &self->g;
	struct kvm_run *run = g->run;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	LOAD(g, fetch_mmio);
	r = kt_run(g->vcpu_fd, run);
	ASSERT_EQ(KVM_EXIT_INTERNAL_ERROR, r)
		TH_LOG("exit %d (%s)", r, exit_str(r));
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION,
		  run->emulation_failure.suberror);
	EXPECT_EQ(6, run->emulation_failure.ndata);
	EXPECT_EQ(0, run->emulation_failure.flags);
	if (host_is_amd()) {
		EXPECT_EQ(SVM_EXIT_NPF, run->internal.data[1]);
		/* NPF error code: final GPA, instruction fetch, user */
		EXPECT_EQ(NPF_FINAL | NPF_FETCH | NPF_USER,
			  run->internal.data[2]);
		EXPECT_EQ(MMIO + 0x10, run->internal.data[3]);
		EXPECT_EQ(0, run->internal.data[4]);
		EXPECT_EQ(0, run->internal.data[5]);
	}
	get_regs(_metadata, g, &regs);
	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &sregs));
	EXPECT_EQ(0x10, regs.rip);
	EXPECT_EQ(0xd000, sregs.cs.selector);
	EXPECT_EQ(MMIO, sregs.cs.base);
}

/* ---- 64-bit mode ---- */

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
}

/* Flat 64-bit mode, identity map of the first 2 MiB, code at KT_CODE_GPA. */
static void long_mode(struct __test_metadata *_metadata, struct kt_guest *g,
		      const unsigned char *code, size_t len)
{
	uint64_t *pml4 = (uint64_t *)(g->mem + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(g->mem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(g->mem + PD_GPA);
	struct kvm_sregs s;

	pml4[0] = PDPT_GPA | PTE_P | PTE_RW;
	pdpt[0] = PD_GPA | PTE_P | PTE_RW;
	pd[0] = PTE_P | PTE_RW | PTE_PS;

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &s));
	flat_seg(&s.cs, 0x08, 0xb);
	s.cs.l = 1;
	flat_seg(&s.ds, 0x10, 0x3);
	s.ds.db = 1;
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = 0x18;
	s.tr.limit = 0x67;
	s.tr.type = 0xb;
	s.tr.present = 1;
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	s.cr3 = PML4_GPA;
	s.cr4 = X86_CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &s));
	load(g, code, len);
}

#define LONG_MODE(g, code)	long_mode(_metadata, (g), (code), \
					  KT_CODE_LEN(code))

KT_GUEST_CODE64(lm_store,
	"mov $0xd0000, %ebx\n\t"
	"movabs $0x1122334455667788, %rax\n\t"
	"mov %rax, (%rbx)\n\t"
	"movq $-2, 8(%rbx)\n\t"
	"mov %eax, 0x10(%rbx)\n\t"
	"movw $0x1234, 0x14(%rbx)\n\t"
	"movb $0x56, 0x17(%rbx)\n\t"
	"mov $0x13572468, %eax\n\t"
	/* mov %eax, disp32(%rip): GPA 0xd0040 */
	".byte 0x89, 0x05\n\t"
	".long 0xd0040 - 0x1000 - (1f - lm_store)\n"
	"1:\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_store)
{
	static const struct ev evs[] = {
		MW(MMIO, 8, 0x1122334455667788ULL),
		MW(MMIO + 8, 8, 0xfffffffffffffffeULL),
		MW(MMIO + 0x10, 4, 0x55667788),
		MW(MMIO + 0x14, 2, 0x1234),
		MW(MMIO + 0x17, 1, 0x56),
		MW(MMIO + 0x40, 4, 0x13572468),
		HLT,
	};

	LONG_MODE(&self->g, lm_store);
	RUN(&self->g, evs);
}

/* A 32-bit load zero-extends into the 64-bit register; 8/16-bit don't. */
KT_GUEST_CODE64(lm_load,
	"mov $0xd0000, %ebx\n\t"
	"mov (%rbx), %rcx\n\t"
	"mov %rcx, 0x2000\n\t"
	"mov $-1, %rcx\n\t"
	"mov 0x8(%rbx), %ecx\n\t"
	"mov %rcx, 0x2008\n\t"
	"mov $-1, %rdx\n\t"
	"mov 0x10(%rbx), %dx\n\t"
	"mov %rdx, 0x2010\n\t"
	"mov $-1, %rdx\n\t"
	"mov 0x13(%rbx), %dl\n\t"
	"mov %rdx, 0x2018\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_load)
{
	static const struct ev evs[] = {
		MR(MMIO, 8, 0x0102030405060708ULL),
		MR(MMIO + 0x8, 4, 0x89abcdef),
		MR(MMIO + 0x10, 2, 0x4321),
		MR(MMIO + 0x13, 1, 0x65),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_load);
	RUN(g, evs);
	EXPECT_EQ(0x0102030405060708ULL, mem64(g, 0x2000));
	EXPECT_EQ(0x0000000089abcdefULL, mem64(g, 0x2008));
	EXPECT_EQ(0xffffffffffff4321ULL, mem64(g, 0x2010));
	EXPECT_EQ(0xffffffffffffff65ULL, mem64(g, 0x2018));
}

/* A1/A3 with a 64-bit absolute address. */
KT_GUEST_CODE64(lm_moffs,
	"movabs $0x1122334455667788, %rax\n\t"
	"movabs %rax, 0xd0020\n\t"
	"movabs %eax, 0xd0028\n\t"
	"movabs 0xd0030, %rax\n\t"
	"mov %rax, 0x2000\n\t"
	"movabs 0xd0038, %al\n\t"
	"mov %rax, 0x2008\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_moffs)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x20, 8, 0x1122334455667788ULL),
		MW(MMIO + 0x28, 4, 0x55667788),
		MR(MMIO + 0x30, 8, 0xa1a2a3a4a5a6a7a8ULL),
		MR(MMIO + 0x38, 1, 0x5e),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_moffs);
	RUN(g, evs);
	EXPECT_EQ(0xa1a2a3a4a5a6a7a8ULL, mem64(g, 0x2000));
	EXPECT_EQ(0xa1a2a3a4a5a6a75eULL, mem64(g, 0x2008));
}

/* REX: R8-R15 as base and source, SIL as destination. */
KT_GUEST_CODE64(lm_rex,
	"mov $0xd0000, %r10d\n\t"
	"mov $0xcafef00d, %r9d\n\t"
	"mov %r9d, 0x20(%r10)\n\t"
	"mov $-1, %rsi\n\t"
	"mov 0x24(%r10), %sil\n\t"
	"mov %rsi, 0x2000\n\t"
	"mov $-1, %r13\n\t"
	"mov 0x25(%r10), %r13b\n\t"
	"mov %r13, 0x2008\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_rex)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x20, 4, 0xcafef00d),
		MR(MMIO + 0x24, 1, 0x42),
		MR(MMIO + 0x25, 1, 0x24),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_rex);
	RUN(g, evs);
	EXPECT_EQ(0xffffffffffffff42ULL, mem64(g, 0x2000));
	EXPECT_EQ(0xffffffffffffff24ULL, mem64(g, 0x2008));
}

KT_GUEST_CODE64(lm_movsxd,
	"mov $0xd0000, %ebx\n\t"
	"movslq 0x30(%rbx), %rdx\n\t"
	"mov %rdx, 0x2000\n\t"
	"movsbq 0x34(%rbx), %rdx\n\t"
	"mov %rdx, 0x2008\n\t"
	"movzwq 0x35(%rbx), %rdx\n\t"
	"mov %rdx, 0x2010\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_movsx_movzx)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x30, 4, 0x80000000),
		MR(MMIO + 0x34, 1, 0x81),
		MR(MMIO + 0x35, 2, 0xfedc),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_movsxd);
	RUN(g, evs);
	EXPECT_EQ(0xffffffff80000000ULL, mem64(g, 0x2000));
	EXPECT_EQ(0xffffffffffffff81ULL, mem64(g, 0x2008));
	EXPECT_EQ(0x000000000000fedcULL, mem64(g, 0x2010));
}

KT_GUEST_CODE64(lm_rep_stosq,
	"mov $0xd0100, %edi\n\t"
	"mov $3, %ecx\n\t"
	"movabs $0x0123456789abcdef, %rax\n\t"
	"cld\n\t"
	"rep stosq\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_rep_stosq)
{
	static const struct ev evs[] = {
		MW(MMIO + 0x100, 8, 0x0123456789abcdefULL),
		MW(MMIO + 0x108, 8, 0x0123456789abcdefULL),
		MW(MMIO + 0x110, 8, 0x0123456789abcdefULL),
		HLT,
	};
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;

	LONG_MODE(g, lm_rep_stosq);
	RUN(g, evs);
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(MMIO + 0x118, regs.rdi);
	EXPECT_EQ(KT_CODE_GPA + KT_CODE_LEN(lm_rep_stosq), regs.rip);
}

KT_GUEST_CODE64(lm_rmw,
	"mov $0xd0000, %ebx\n\t"
	"addq $1, 0x40(%rbx)\n\t"
	"pushfq\n\t"
	"pop %rax\n\t"
	"out %ax, $0x80\n\t"
	"mov $0x5555, %rcx\n\t"
	"xchg %rcx, 0x48(%rbx)\n\t"
	"mov %rcx, 0x2000\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_rmw)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x40, 8, 0xffffffffffffffffULL),
		MW(MMIO + 0x40, 8, 0),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_ZF, FL_ARITH),
		MR(MMIO + 0x48, 8, 0x8877665544332211ULL),
		MW(MMIO + 0x48, 8, 0x5555),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_rmw);
	RUN(g, evs);
	EXPECT_EQ(0x8877665544332211ULL, mem64(g, 0x2000));
}

/*
 * 64-bit CMPXCHG of every size: on success RAX is left alone (its upper
 * half too, with a 32-bit operand), on failure the accumulator is loaded
 * (a 32-bit load zero-extends); CMPXCHG8B and XADD with REX registers.
 */
KT_GUEST_CODE64(lm_cmpxchg,
	"mov $0xd0000, %ebx\n\t"
	"movabs $0x1122334455667788, %rax\n\t"
	"movabs $0x99aabbccddeeff00, %rcx\n\t"
	"lock cmpxchg %rcx, 0x50(%rbx)\n\t"
	"mov %rax, 0x2000\n\t"
	"movabs $0xffffffff00000001, %rax\n\t"
	"cmpxchg %ecx, 0x58(%rbx)\n\t"
	"mov %rax, 0x2008\n\t"
	"cmpxchg %ecx, 0x5c(%rbx)\n\t"
	"mov %rax, 0x2010\n\t"
	"mov $-1, %rax\n\t"
	"mov $0x5a, %r9d\n\t"
	"lock cmpxchg %r9b, 0x60(%rbx)\n\t"
	"mov %rax, 0x2018\n\t"
	"cmpxchg %cx, 0x62(%rbx)\n\t"
	"mov %rax, 0x2020\n\t"
	"mov $-1, %rax\n\t"
	"mov $-1, %rdx\n\t"
	"cmpxchg8b 0x68(%rbx)\n\t"
	"mov %rax, 0x2028\n\t"
	"mov %rdx, 0x2030\n\t"
	"mov $1, %r12d\n\t"
	"lock xadd %r12, 0x70(%rbx)\n\t"
	"mov %r12, 0x2038\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_cmpxchg)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x50, 8, 0x1122334455667788ULL),
		MW(MMIO + 0x50, 8, 0x99aabbccddeeff00ULL),
		MR(MMIO + 0x58, 4, 0x00000001),
		MW(MMIO + 0x58, 4, 0xddeeff00),
		MR(MMIO + 0x5c, 4, 0x00000002),
		MW(MMIO + 0x5c, 4, 0x00000002),
		MR(MMIO + 0x60, 1, 0xff),
		MW(MMIO + 0x60, 1, 0x5a),
		MR(MMIO + 0x62, 2, 0x1234),
		MW(MMIO + 0x62, 2, 0x1234),
		MR(MMIO + 0x68, 8, 0x0102030405060708ULL),
		MW(MMIO + 0x68, 8, 0x0102030405060708ULL),
		MR(MMIO + 0x70, 8, 0x7fffffffffffffffULL),
		MW(MMIO + 0x70, 8, 0x8000000000000000ULL),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_cmpxchg);
	RUN(g, evs);
	EXPECT_EQ(0x1122334455667788ULL, mem64(g, 0x2000));
	EXPECT_EQ(0xffffffff00000001ULL, mem64(g, 0x2008));
	EXPECT_EQ(0x0000000000000002ULL, mem64(g, 0x2010));
	EXPECT_EQ(0xffffffffffffffffULL, mem64(g, 0x2018));
	EXPECT_EQ(0xffffffffffff1234ULL, mem64(g, 0x2020));
	EXPECT_EQ(0x0000000005060708ULL, mem64(g, 0x2028));
	EXPECT_EQ(0x0000000001020304ULL, mem64(g, 0x2030));
	EXPECT_EQ(0x7fffffffffffffffULL, mem64(g, 0x2038));
}

/* REPE CMPSQ that runs out of count, then SCASD, in 64-bit mode. */
KT_GUEST_CODE64(lm_cmps_scas,
	"mov $0xd0000, %esi\n\t"
	"mov $0xd0100, %edi\n\t"
	"mov $2, %ecx\n\t"
	"cld\n\t"
	"repe cmpsq\n\t"
	"mov %rcx, 0x2000\n\t"
	"mov %rsi, 0x2008\n\t"
	"mov %rdi, 0x2010\n\t"
	"mov $0x12345678, %eax\n\t"
	"scasl\n\t"
	"pushfq\n\t"
	"pop %rax\n\t"
	"out %ax, $0x80\n\t"
	"mov %rdi, 0x2018\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_cmps_scas)
{
	static const struct ev evs[] = {
		MR(MMIO, 8, 0x1111111111111111ULL),
		MR(MMIO + 0x100, 8, 0x1111111111111111ULL),
		MR(MMIO + 0x8, 8, 0x8000000000000000ULL),
		MR(MMIO + 0x108, 8, 0x8000000000000000ULL),
		MR(MMIO + 0x110, 4, 0x12345679),
		FLAGS(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |
		      X86_EFLAGS_SF, FL_ARITH),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_cmps_scas);
	RUN(g, evs);
	EXPECT_EQ(0, mem64(g, 0x2000));
	EXPECT_EQ(MMIO + 0x10, mem64(g, 0x2008));
	EXPECT_EQ(MMIO + 0x110, mem64(g, 0x2010));
	EXPECT_EQ(MMIO + 0x114, mem64(g, 0x2018));
}

/*
 * 64-bit mode, one 2 MiB page: the split is still at the 4 KiB boundary
 * of the linear address.
 */
KT_GUEST_CODE64(lm_split,
	"movabs $0x1122334455667788, %rax\n\t"
	"mov %rax, 0xd0ffc\n\t"
	"mov 0xd1ffa, %rcx\n\t"
	"mov %rcx, 0x2000\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_split)
{
	static const struct ev evs[] = {
		MW(0xd0ffc, 4, 0x55667788),
		MW(0xd1000, 4, 0x11223344),
		MR(0xd1ffa, 6, 0x060504030201ULL),
		MR(0xd2000, 2, 0x0807),
		HLT,
	};
	struct kt_guest *g = &self->g;

	LONG_MODE(g, lm_split);
	RUN(g, evs);
	EXPECT_EQ(0x0807060504030201ULL, mem64(g, 0x2000));
}

/*
 * The other SSE moves, XMM8-15, and the registers as KVM_GET_FPU shows
 * them. The last load completes with immediate_exit set: the XMM
 * register is written without the guest running again.
 */
KT_GUEST_LABEL(lm_sse_last);
KT_GUEST_CODE64(lm_sse,
	"mov $0xd0000, %ebx\n\t"
	"movups 0x10(%rbx), %xmm9\n\t"
	"movaps %xmm9, 0x20(%rbx)\n\t"
	"movupd 0x31(%rbx), %xmm2\n\t"
	"movntdq %xmm2, 0x40(%rbx)\n\t"
	"movntps %xmm9, 0x50(%rbx)\n\t"
	"movapd %xmm2, 0x60(%rbx)\n\t"
	"movdqu %xmm9, 0x2000\n\t"
	"movdqa %xmm2, 0x2010\n\t"
	"movaps 0x70(%rbx), %xmm15\n"
	"lm_sse_last:\n\t"
	"hlt\n\t");

TEST_F(mmio, lm_sse)
{
	static const struct ev evs[] = {
		MR(MMIO + 0x10, 8, 0x1716151413121110ULL),
		MR(MMIO + 0x18, 8, 0x1f1e1d1c1b1a1918ULL),
		MW(MMIO + 0x20, 8, 0x1716151413121110ULL),
		MW(MMIO + 0x28, 8, 0x1f1e1d1c1b1a1918ULL),
		MR(MMIO + 0x31, 8, 0x2726252423222120ULL),
		MR(MMIO + 0x39, 8, 0x2f2e2d2c2b2a2928ULL),
		MW(MMIO + 0x40, 8, 0x2726252423222120ULL),
		MW(MMIO + 0x48, 8, 0x2f2e2d2c2b2a2928ULL),
		MW(MMIO + 0x50, 8, 0x1716151413121110ULL),
		MW(MMIO + 0x58, 8, 0x1f1e1d1c1b1a1918ULL),
		MW(MMIO + 0x60, 8, 0x2726252423222120ULL),
		MW(MMIO + 0x68, 8, 0x2f2e2d2c2b2a2928ULL),
		MR(MMIO + 0x70, 8, 0x3736353433323130ULL),
		MR(MMIO + 0x78, 8, 0x3f3e3d3c3b3a3938ULL),
	};
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	unsigned int i;

	LONG_MODE(g, lm_sse);
	enable_sse(_metadata, g);
	RUN(g, evs);
	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(g->vcpu_fd, g->run));
	g->run->immediate_exit = 0;
	get_regs(_metadata, g, &regs);
	EXPECT_EQ(GPA_OF(lm_sse, lm_sse_last), regs.rip);
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_GET_FPU, &fpu));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(0x10 + i, g->mem[0x2000 + i]);
		EXPECT_EQ(0x20 + i, g->mem[0x2010 + i]);
		EXPECT_EQ(0x10 + i, fpu.xmm[9][i]);
		EXPECT_EQ(0x20 + i, fpu.xmm[2][i]);
		EXPECT_EQ(0x30 + i, fpu.xmm[15][i]);
	}
}

TEST_HARNESS_MAIN
