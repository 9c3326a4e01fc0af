// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU register state: the reset state, KVM_GET/SET_REGS and
 * KVM_GET/SET_SREGS round trips that reach the guest, entering 64-bit mode
 * through KVM_SET_SREGS, and invalid special registers, which must be
 * refused with EINVAL by KVM_SET_SREGS or fail at entry with
 * KVM_EXIT_FAIL_ENTRY.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* 64-bit identity map of the first 2 MiB with one large page. */
#define PML4_GPA	0x4000
#define PDPT_GPA	0x5000
#define PD_GPA		0x6000
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL

/* Report RBX and RCX, then clobber CX (16 bits only) and stop. */
KT_GUEST_CODE16(show_regs,
	"mov %ebx, %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov %ecx, %eax\n\t"
	"out %eax, $0x11\n\t"
	"mov $0x5555, %cx\n\t"
	"hlt\n\t");

/* Read a byte at DS:0x10 and an other at ES:0x10 and report them. */
KT_GUEST_CODE16(show_seg_bytes,
	"mov 0x10, %al\n\t"
	"out %al, $0x10\n\t"
	"mov %es:0x10, %al\n\t"
	"out %al, $0x11\n\t"
	"hlt\n\t");

/* Only 64-bit code yields 0x11223344 here. */
KT_GUEST_CODE64(long_mode_code,
	"movabs $0x1122334455667788, %rax\n\t"
	"shr $32, %rax\n\t"
	"out %eax, $0x10\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(just_hlt,
	"hlt\n\t");

FIXTURE(regs) {
	struct kt_guest g;
};

FIXTURE_SETUP(regs)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(regs)
{
	kt_guest_destroy(&self->g);
}

static void expect_exit(struct __test_metadata *_metadata, struct kt_guest *g,
			int want)
{
	int r = kt_run(g->vcpu_fd, g->run);

	ASSERT_EQ(want, r) TH_LOG("exit %d (%s), wanted %s", r,
				  r >= 0 ? kt_exit_name(r) : strerror(-r),
				  kt_exit_name(want));
}

/* A vCPU starts in the architectural reset state (SDM/APM "INIT/RESET"). */
TEST(reset_state)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int sys, vm, vcpu;

	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);
	vcpu = kt_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu);

	ASSERT_EQ(0, kt_get_regs(vcpu, &regs));
	EXPECT_EQ(0xfff0, regs.rip);
	EXPECT_EQ(0x2, regs.rflags);
	EXPECT_EQ(0, regs.rax);
	EXPECT_EQ(0, regs.rsp);

	ASSERT_EQ(0, kt_get_sregs(vcpu, &sregs));
	EXPECT_EQ(0xf000, sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base);
	EXPECT_EQ(0xffff, sregs.cs.limit);
	EXPECT_EQ(0, sregs.ds.base);
	EXPECT_EQ(0xffff, sregs.ds.limit);
	EXPECT_EQ(0, sregs.ss.base);
	EXPECT_EQ(0x60000010, sregs.cr0);
	EXPECT_EQ(0, sregs.cr4);
	EXPECT_EQ(0, sregs.efer);
	EXPECT_EQ(0xffff, sregs.idt.limit);
	EXPECT_EQ(0, sregs.idt.base);
	EXPECT_EQ(0xffff, sregs.gdt.limit);

	close(vcpu);
	close(vm);
	close(sys);
}

TEST_F(regs, regs_round_trip)
{
	struct kt_guest *g = &self->g;
	struct kvm_regs set, got;
	uint32_t v;

	kt_put_code(g->mem, KT_CODE_GPA, show_regs, KT_CODE_LEN(show_regs));

	memset(&set, 0, sizeof(set));
	set.rax = 0x0101010101010101ULL;
	set.rbx = 0x02020202cafef00dULL;
	set.rcx = 0x0303030312345678ULL;
	set.rdx = 0x0404040404040404ULL;
	set.rsi = 0x0505050505050505ULL;
	set.rdi = 0x0606060606060606ULL;
	set.rsp = KT_STACK_GPA;
	set.rbp = 0x0808080808080808ULL;
	set.r8 = 0x0909090909090909ULL;
	set.r9 = 0x0a0a0a0a0a0a0a0aULL;
	set.r10 = 0x0b0b0b0b0b0b0b0bULL;
	set.r11 = 0x0c0c0c0c0c0c0c0cULL;
	set.r12 = 0x0d0d0d0d0d0d0d0dULL;
	set.r13 = 0x0e0e0e0e0e0e0e0eULL;
	set.r14 = 0x0f0f0f0f0f0f0f0fULL;
	set.r15 = 0x1010101010101010ULL;
	set.rip = KT_CODE_GPA;
	/* CF, PF, SF, OF and the always-one bit 1; no IF. */
	set.rflags = 0x2 | 0x1 | 0x4 | 0x80 | 0x800;
	ASSERT_EQ(0, kt_set_regs(g->vcpu_fd, &set));
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &got));
	EXPECT_EQ(0, memcmp(&set, &got, sizeof(set)));

	/* The guest sees them ... */
	expect_exit(_metadata, g, KVM_EXIT_IO);
	memcpy(&v, kt_io_data(g->run), 4);
	EXPECT_EQ(0xcafef00d, v);
	expect_exit(_metadata, g, KVM_EXIT_IO);
	memcpy(&v, kt_io_data(g->run), 4);
	EXPECT_EQ(0x12345678, v);
	expect_exit(_metadata, g, KVM_EXIT_HLT);

	/* ... and what it changed, and only that, comes back. */
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &got));
	EXPECT_EQ(0x0303030312345555ULL, got.rcx);
	EXPECT_EQ(0x02020202cafef00dULL, got.rbx);
	/* Bits 63:32 after a 32-bit write outside 64-bit mode: undefined. */
	EXPECT_EQ(0x12345678, (uint32_t)got.rax);
	EXPECT_EQ(set.rdx, got.rdx);
	EXPECT_EQ(set.rsi, got.rsi);
	EXPECT_EQ(set.rdi, got.rdi);
	EXPECT_EQ(set.rsp, got.rsp);
	EXPECT_EQ(set.rbp, got.rbp);
	EXPECT_EQ(set.r8, got.r8);
	EXPECT_EQ(set.r9, got.r9);
	EXPECT_EQ(set.r10, got.r10);
	EXPECT_EQ(set.r11, got.r11);
	EXPECT_EQ(set.r12, got.r12);
	EXPECT_EQ(set.r13, got.r13);
	EXPECT_EQ(set.r14, got.r14);
	EXPECT_EQ(set.r15, got.r15);
	EXPECT_EQ(set.rflags, got.rflags);
	EXPECT_EQ(KT_CODE_GPA + KT_CODE_LEN(show_regs), got.rip);
}

static void real_seg(struct kvm_segment *s, uint16_t sel)
{
	s->selector = sel;
	s->base = (uint64_t)sel << 4;
}

TEST_F(regs, sregs_round_trip)
{
	struct kt_guest *g = &self->g;
	struct kvm_sregs set, got;

	kt_put_code(g->mem, KT_CODE_GPA, show_seg_bytes,
		    KT_CODE_LEN(show_seg_bytes));
	g->mem[0x2010] = 0xd5;	/* DS = 0x200: DS:0x10 is GPA 0x2010 */
	g->mem[0x3010] = 0xe5;	/* ES = 0x300 */

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &set));
	real_seg(&set.ds, 0x200);
	real_seg(&set.es, 0x300);
	real_seg(&set.fs, 0x400);
	real_seg(&set.gs, 0x500);
	set.gdt.base = 0x7000;
	set.gdt.limit = 0x27;
	set.idt.base = 0;
	set.idt.limit = 0x3ff;
	set.cr2 = 0x1234;
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &set));
	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &got));
	EXPECT_EQ(0, memcmp(&set.ds, &got.ds, sizeof(set.ds)));
	EXPECT_EQ(0, memcmp(&set.es, &got.es, sizeof(set.es)));
	EXPECT_EQ(0, memcmp(&set.fs, &got.fs, sizeof(set.fs)));
	EXPECT_EQ(0, memcmp(&set.gs, &got.gs, sizeof(set.gs)));
	EXPECT_EQ(0, memcmp(&set.cs, &got.cs, sizeof(set.cs)));
	EXPECT_EQ(set.gdt.base, got.gdt.base);
	EXPECT_EQ(set.gdt.limit, got.gdt.limit);
	EXPECT_EQ(set.idt.base, got.idt.base);
	EXPECT_EQ(set.idt.limit, got.idt.limit);
	EXPECT_EQ(set.cr0, got.cr0);
	EXPECT_EQ(set.cr2, got.cr2);
	EXPECT_EQ(set.cr4, got.cr4);
	EXPECT_EQ(set.efer, got.efer);

	/* The guest uses the new segment bases. */
	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(0xd5, *kt_io_data(g->run));
	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(0xe5, *kt_io_data(g->run));
	expect_exit(_metadata, g, KVM_EXIT_HLT);
}

/* ---- 64-bit mode ---- */

static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
}

/* Valid 64-bit state: flat segments, paging through the tables at 0x4000. */
static void long_mode_sregs(struct kt_guest *g, struct kvm_sregs *s)
{
	uint64_t *pml4 = (uint64_t *)(g->mem + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(g->mem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(g->mem + PD_GPA);

	pml4[0] = PDPT_GPA | PTE_P | PTE_RW;
	pdpt[0] = PD_GPA | PTE_P | PTE_RW;
	pd[0] = 0 | PTE_P | PTE_RW | PTE_PS;

	flat_seg(&s->cs, 0x08, 0xb);
	s->cs.l = 1;
	flat_seg(&s->ds, 0x10, 0x3);
	s->ds.db = 1;
	s->es = s->fs = s->gs = s->ss = s->ds;
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.selector = 0x18;
	s->tr.limit = 0x67;
	s->tr.type = 0xb;	/* busy 64-bit TSS */
	s->tr.present = 1;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	s->cr3 = PML4_GPA;
	s->cr4 = X86_CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

/* Control for the long-mode cases below: the valid state runs. */
TEST_F(regs, long_mode_runs)
{
	struct kt_guest *g = &self->g;
	struct kvm_sregs s, got;
	struct kvm_regs regs;
	uint32_t v;

	kt_put_code(g->mem, KT_CODE_GPA, long_mode_code,
		    KT_CODE_LEN(long_mode_code));
	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &s));
	long_mode_sregs(g, &s);
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &s));
	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &got));
	EXPECT_EQ(s.efer, got.efer);
	EXPECT_EQ(s.cr0, got.cr0);
	EXPECT_EQ(s.cr3, got.cr3);
	EXPECT_EQ(s.cr4, got.cr4);
	EXPECT_EQ(1, got.cs.l);

	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(4, g->run->io.size);
	memcpy(&v, kt_io_data(g->run), 4);
	EXPECT_EQ(0x11223344, v);
	expect_exit(_metadata, g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	EXPECT_EQ(KT_CODE_GPA + KT_CODE_LEN(long_mode_code), regs.rip);
}

/* ---- invalid special registers ---- */

FIXTURE(bad_sregs) {
	struct kt_guest g;
};

FIXTURE_VARIANT(bad_sregs) {
	int long_mode;		/* start from the valid 64-bit state */
	uint64_t cr0_set, cr0_clear;
	uint64_t cr3_set;
	uint64_t cr4_set, cr4_clear;
	uint64_t efer_set, efer_clear;
	int cs_l, cs_db;	/* -1: leave as is */
};

FIXTURE_VARIANT_ADD(bad_sregs, cr4_reserved_bit31) {
	.cr4_set = 1ULL << 31, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, cr4_reserved_bit63) {
	.cr4_set = 1ULL << 63, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, cr0_pg_without_pe) {
	.cr0_set = X86_CR0_PG, .cr0_clear = X86_CR0_PE,
	.cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, cr0_nw_without_cd) {
	.cr0_set = X86_CR0_NW, .cr0_clear = X86_CR0_CD,
	.cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, cr0_upper_bits) {
	.cr0_set = 1ULL << 32, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, efer_lma_without_paging) {
	.efer_set = EFER_LMA, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, cs_l_outside_long_mode) {
	.cs_l = 1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, long_mode_without_pae) {
	.long_mode = 1, .cr4_clear = X86_CR4_PAE, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, long_mode_pg_without_pe) {
	.long_mode = 1, .cr0_clear = X86_CR0_PE, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, long_mode_without_lma) {
	.long_mode = 1, .efer_clear = EFER_LMA, .cs_l = -1, .cs_db = -1,
};

FIXTURE_VARIANT_ADD(bad_sregs, long_mode_cs_l_and_d) {
	.long_mode = 1, .cs_l = 1, .cs_db = 1,
};

FIXTURE_VARIANT_ADD(bad_sregs, long_mode_cr3_reserved_bits) {
	.long_mode = 1, .cr3_set = 1ULL << 52, .cs_l = -1, .cs_db = -1,
};

FIXTURE_SETUP(bad_sregs)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, just_hlt,
				     KT_CODE_LEN(just_hlt)));
}

FIXTURE_TEARDOWN(bad_sregs)
{
	kt_guest_destroy(&self->g);
}

/*
 * Either KVM_SET_SREGS refuses the state with EINVAL and changes nothing
 * (the guest then still runs), or it takes it and KVM_RUN reports
 * KVM_EXIT_FAIL_ENTRY.  Nothing else is right.
 */
TEST_F(bad_sregs, refused)
{
	struct kt_guest *g = &self->g;
	struct kvm_sregs good, bad, after;
	int r;

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &good));
	if (variant->long_mode) {
		long_mode_sregs(g, &good);
		ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &good));
		ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &good));
	}

	bad = good;
	bad.cr0 = (bad.cr0 | variant->cr0_set) & ~variant->cr0_clear;
	bad.cr3 |= variant->cr3_set;
	bad.cr4 = (bad.cr4 | variant->cr4_set) & ~variant->cr4_clear;
	bad.efer = (bad.efer | variant->efer_set) & ~variant->efer_clear;
	if (variant->cs_l >= 0)
		bad.cs.l = variant->cs_l;
	if (variant->cs_db >= 0)
		bad.cs.db = variant->cs_db;

	r = kt_set_sregs(g->vcpu_fd, &bad);
	if (r) {
		ASSERT_EQ(-EINVAL, r);
		TH_LOG("KVM_SET_SREGS: EINVAL");
		ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &after));
		EXPECT_EQ(0, memcmp(&good, &after, sizeof(good)));
		/* Still the valid state: the HLT runs. */
		r = kt_run(g->vcpu_fd, g->run);
		EXPECT_EQ(KVM_EXIT_HLT, r) TH_LOG("exit %d (%s)", r,
						  r >= 0 ? kt_exit_name(r) :
						  strerror(-r));
		return;
	}

	r = kt_run(g->vcpu_fd, g->run);
	ASSERT_EQ(KVM_EXIT_FAIL_ENTRY, r) TH_LOG("exit %d (%s)", r,
						 r >= 0 ? kt_exit_name(r) :
						 strerror(-r));
	TH_LOG("KVM_EXIT_FAIL_ENTRY, hardware reason %#llx",
	       (unsigned long long)g->run->fail_entry.hardware_entry_failure_reason);
}

TEST_HARNESS_MAIN
