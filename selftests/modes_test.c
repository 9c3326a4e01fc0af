// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in every x86 CPU mode, each set up by the test through
 * KVM_SET_SREGS and page tables it writes into guest memory: real mode,
 * 32-bit protected mode without paging, 32-bit paging with 4 KiB and
 * 4 MiB (PSE) pages, PAE paging with 4 KiB and 2 MiB pages, and 4-level
 * long mode with 4 KiB, 2 MiB and (if CPUID has pdpe1gb) 1 GiB pages.
 *
 * The same program runs in each mode, with its addresses in registers
 * (real mode: in segment registers):
 *  - A is a data page the host fills; B is another guest-physical page,
 *    also mapped at a second address (the alias);
 *  - the guest stores A[0] + A[1] to B[0], reads it back through the
 *    alias, stores it XOR a constant to B[1], reads that through the
 *    alias and sends it to port 0x10 with OUT;
 *  - it loads M[0] from an address mapped to a guest-physical address
 *    no slot covers (a KVM_EXIT_MMIO read), stores the value to B[2] and
 *    its complement to M + 8 (an MMIO write), and halts;
 *  - twice, with new host data the second time.
 * The test checks every exit (port, size, data; MMIO address, length,
 * direction, data) and B in host memory.  KVM_TRANSLATE is checked for
 * the addresses of each mode and for unmapped ones; with EFER.NXE the
 * guest executes from an NX page and gets a #PF with the fetch bit.
 *
 * A last guest starts in real mode and switches to protected mode and
 * then to long mode by itself (LGDT, CR0.PE, far jumps, CR4.PAE, CR3,
 * WRMSR EFER.LME, CR0.PG), reporting from each mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define XSTR(x)		STR(x)
#define STR(x)		#x

/* Guest-physical layout.  Slot 0: GPA 0 .. 512 KiB. */
#define LOW_SIZE	0x80000ULL
#define GDT_GPA		0x1000ULL
#define IDT_GPA		0x1800ULL
#define GDTR_GPA	0x1f00	/* pseudo-descriptor for LGDT */
#define EXC_GPA		0x2000ULL
#define STACK_TOP	0x7000ULL
#define CODE_GPA	0x8000	/* no suffix: used in guest asm */
#define PT_GPA		0x10000ULL
#define PT_SIZE		0x40000ULL
/* Real mode and the mode switch use these below 1 MiB. */
#define LOW_A		0x20000ULL
#define LOW_B		0x30000ULL
#define LOW_MMIO	0xd0000ULL	/* no slot */

/* Slot 1: 4 MiB .. 16 MiB; slot 2: 4 GiB .. +4 MiB; slot 3: 1 GiB + 2 MiB. */
#define S1_GPA		0x400000ULL
#define S1_SIZE		0xc00000ULL
#define S2_GPA		0x100000000ULL
#define S2_SIZE		0x400000ULL
#define S3_GPA		0x40200000ULL
#define S3_SIZE		0x10000ULL

#define MMIO_GPA	0xe0000010ULL	/* no slot */
#define NX_GPA		0xf00000ULL	/* a 4 KiB code page in slot 1 */
#define GVA_X		0x68000000ULL	/* NX_GPA, executable */
#define GVA_NX		0x68001000ULL	/* NX_GPA, NX */

#define PORT_OUT	0x10
#define XOR32		0x5a5a5a5aULL
#define XOR64		0x5a5a5a5a5a5a5a5aULL

/* ---- the program, in each code size ---- */

KT_GUEST_CODE16(rm_prog,
	"1:\n\t"
	"mov %ds:0, %eax\n\t"
	"add %ds:4, %eax\n\t"
	"mov %eax, %es:0\n\t"
	"mov %fs:0x100, %ecx\n\t"
	"xor $0x5a5a5a5a, %ecx\n\t"
	"mov %ecx, %es:4\n\t"
	"mov %fs:0x104, %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov %gs:0, %edx\n\t"
	"mov %edx, %es:8\n\t"
	"not %edx\n\t"
	"mov %edx, %gs:8\n\t"
	"hlt\n\t"
	"jmp 1b\n\t");

/* EBX = A, ESI = B, EBP = alias of B, EDI = M. */
KT_GUEST_CODE32(pm_prog,
	"1:\n\t"
	"mov (%ebx), %eax\n\t"
	"add 4(%ebx), %eax\n\t"
	"mov %eax, (%esi)\n\t"
	"mov (%ebp), %ecx\n\t"
	"xor $0x5a5a5a5a, %ecx\n\t"
	"mov %ecx, 4(%esi)\n\t"
	"mov 4(%ebp), %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov (%edi), %edx\n\t"
	"mov %edx, 8(%esi)\n\t"
	"not %edx\n\t"
	"mov %edx, 8(%edi)\n\t"
	"hlt\n\t"
	"jmp 1b\n\t");

/* RBX = A, RSI = B, RBP = alias of B, RDI = M; 8-byte words. */
KT_GUEST_CODE64(lm_prog,
	"1:\n\t"
	"mov (%rbx), %rax\n\t"
	"add 8(%rbx), %rax\n\t"
	"mov %rax, (%rsi)\n\t"
	"mov (%rbp), %rcx\n\t"
	"movabs $0x5a5a5a5a5a5a5a5a, %rdx\n\t"
	"xor %rdx, %rcx\n\t"
	"mov %rcx, 8(%rsi)\n\t"
	"mov 8(%rbp), %rax\n\t"
	"out %eax, $0x10\n\t"
	"mov (%rdi), %rdx\n\t"
	"mov %rdx, 16(%rsi)\n\t"
	"not %rdx\n\t"
	"mov %rdx, 8(%rdi)\n\t"
	"hlt\n\t"
	"jmp 1b\n\t");

/* At GVA_X / GVA_NX: OUT to 0x11, HLT; at +0x10 (the fixup): OUT to 0x12. */
static const uint8_t nx_page_code[] = {
	0xe6, 0x11, 0xf4,	/* out %al, $0x11; hlt */
	[0x10] = 0xe6, 0x12, 0xf4,	/* out %al, $0x12; hlt */
};

/* ---- the VM ---- */

struct slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

struct vm {
	int sys_fd, vm_fd;
	struct kt_vcpu v;
	struct slot slots[4];
	struct kvm_cpuid2 *cpuid;
};

static const struct slot slot_layout[4] = {
	{ .gpa = 0, .size = LOW_SIZE },
	{ .gpa = S1_GPA, .size = S1_SIZE },
	{ .gpa = S2_GPA, .size = S2_SIZE },
	{ .gpa = S3_GPA, .size = S3_SIZE },
};

/* Host pointer for a guest-physical address in a slot, or NULL. */
static uint8_t *hva(struct vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vm->slots); i++) {
		struct slot *s = &vm->slots[i];

		if (gpa >= s->gpa && gpa - s->gpa < s->size)
			return s->hva + (gpa - s->gpa);
	}
	return NULL;
}

static void vm_destroy(struct vm *vm)
{
	unsigned int i;

	kt_vcpu_close(&vm->v);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	for (i = 0; i < ARRAY_SIZE(vm->slots); i++)
		if (vm->slots[i].hva)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm->cpuid);
	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = -1;
	vm->vm_fd = -1;
	vm->v.fd = -1;
}

static void vm_create(struct __test_metadata *_metadata, struct vm *vm)
{
	unsigned int i;

	memset(vm, 0, sizeof(*vm));
	vm->v.fd = -1;
	vm->sys_fd = kt_open_dev();
	ASSERT_LE(0, vm->sys_fd);
	vm->vm_fd = kt_create_vm(vm->sys_fd);
	ASSERT_LE(0, vm->vm_fd);
	for (i = 0; i < ARRAY_SIZE(vm->slots); i++) {
		struct slot *s = &vm->slots[i];

		*s = slot_layout[i];
		s->hva = mmap(NULL, s->size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			      -1, 0);
		ASSERT_NE(MAP_FAILED, s->hva);
		ASSERT_EQ(0, kt_set_region(vm->vm_fd, i, 0, s->gpa, s->size,
					   s->hva));
	}
	ASSERT_EQ(0, kt_vcpu_open(vm->sys_fd, vm->vm_fd, 0, &vm->v));
	vm->cpuid = kt_get_supported_cpuid(vm->sys_fd);
	ASSERT_NE(NULL, vm->cpuid);

	kt_gdt_fill(hva(vm, GDT_GPA));
}

/* CPUID 0x80000001 EDX bit @bit in the supported table. */
static int ext_feature(struct vm *vm, int bit)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(vm->cpuid, 0x80000001, 0);

	return e && (e->edx >> bit & 1);
}

#define FEAT_NX		20
#define FEAT_1G		26

static const char *exit_str(int r)
{
	return r >= 0 ? kt_exit_name(r) : strerror(-r);
}

/* Describe an unexpected exit, with the exception record if any. */
static void report_exit(struct vm *vm, int r)
{
	struct kvm_run *run = vm->v.run;
	struct kt_exc_rec *rec = (void *)hva(vm, EXC_GPA);
	struct kvm_regs regs;
	unsigned int i;

	fprintf(stderr, "# exit %d (%s)", r, exit_str(r));
	if (r == KVM_EXIT_IO)
		fprintf(stderr, " port %#x size %u dir %u", run->io.port,
			run->io.size, run->io.direction);
	else if (r == KVM_EXIT_MMIO)
		fprintf(stderr, " gpa %#llx len %u write %u",
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.len, run->mmio.is_write);
	else if (r == KVM_EXIT_INTERNAL_ERROR)
		for (fprintf(stderr, " suberror %u data", run->internal.suberror),
		     i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, " %#llx",
				(unsigned long long)run->internal.data[i]);
	if (!kt_get_regs(vm->v.fd, &regs))
		fprintf(stderr, " rip %#llx", (unsigned long long)regs.rip);
	fprintf(stderr, "\n");
	if (rec->count)
		fprintf(stderr, "# exception %llu error %#llx cr2 %#llx rip %#llx\n",
			(unsigned long long)rec->vector,
			(unsigned long long)rec->error,
			(unsigned long long)rec->cr2,
			(unsigned long long)rec->rip);
}

/* Run to an OUT of @size bytes to @port; return its data. */
static uint64_t expect_out(struct __test_metadata *_metadata, struct vm *vm,
			   uint16_t port, int size)
{
	struct kvm_run *run = vm->v.run;
	uint64_t v = 0;
	int r = kt_run(vm->v.fd, run);

	if (r != KVM_EXIT_IO || run->io.port != port)
		report_exit(vm, r);
	EXPECT_EQ(KVM_EXIT_IO, r);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(size, run->io.size);
	EXPECT_EQ(1, run->io.count);
	if (r == KVM_EXIT_IO && run->io.size <= 8)
		memcpy(&v, kt_io_data(run), run->io.size);
	return v;
}

/* Run to an MMIO exit and check it; a read gets @val. */
static void expect_mmio(struct __test_metadata *_metadata, struct vm *vm,
			uint64_t gpa, unsigned int len, int write,
			uint64_t val)
{
	struct kvm_run *run = vm->v.run;
	uint64_t got = 0;
	int r = kt_run(vm->v.fd, run);

	if (r != KVM_EXIT_MMIO)
		report_exit(vm, r);
	ASSERT_EQ(KVM_EXIT_MMIO, r);
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
	EXPECT_EQ(write, run->mmio.is_write);
	if (write) {
		memcpy(&got, run->mmio.data, len);
		EXPECT_EQ(val, got);
	} else {
		memset(run->mmio.data, 0xcc, sizeof(run->mmio.data));
		memcpy(run->mmio.data, &val, len);
	}
}

static void expect_hlt(struct __test_metadata *_metadata, struct vm *vm)
{
	int r = kt_run(vm->v.fd, vm->v.run);

	if (r != KVM_EXIT_HLT)
		report_exit(vm, r);
	EXPECT_EQ(KVM_EXIT_HLT, r);
}

static void expect_translate(struct __test_metadata *_metadata,
			     struct vm *vm, uint64_t gva, uint64_t gpa,
			     int valid)
{
	struct kvm_translation tr = { .linear_address = gva };

	ASSERT_EQ(0, ioctl(vm->v.fd, KVM_TRANSLATE, &tr));
	EXPECT_EQ(valid, tr.valid)
		TH_LOG("KVM_TRANSLATE %#llx: valid %u, gpa %#llx",
		       (unsigned long long)gva, tr.valid,
		       (unsigned long long)tr.physical_address);
	if (valid) {
		EXPECT_EQ(gpa, tr.physical_address)
			TH_LOG("KVM_TRANSLATE %#llx", (unsigned long long)gva);
	}
	/* As in-tree KVM: always writeable, never usermode. */
	EXPECT_EQ(1, tr.writeable);
	EXPECT_EQ(0, tr.usermode);
}

/* ---- one guest per mode ---- */

FIXTURE(modes) {
	struct vm vm;
	int word;		/* bytes per data word: 4, or 8 in long mode */
	uint64_t gva_code;	/* where RIP starts */
};

FIXTURE_VARIANT(modes) {
	enum kt_mode mode;
	uint64_t page;		/* page size of the data mappings; 0: none */
	uint64_t gpa_a, gpa_b, gpa_m;
	uint64_t gva_a, gva_b, gva_alias, gva_m;
	uint64_t gva_unmapped[2];
};

/* Addresses at the same offset in a page of size @ps as @gpa. */
#define VA32(base, gpa, ps)	((base) | ((gpa) & ((ps) - 1)))
#define VA64(base, gpa, ps)	((base) | ((gpa) & ((ps) - 1)))

FIXTURE_VARIANT_ADD(modes, real) {
	.mode = KT_MODE_REAL,
	.gpa_a = LOW_A, .gpa_b = LOW_B, .gpa_m = LOW_MMIO,
	/* Linear addresses; the program uses segments DS, ES, FS, GS. */
	.gva_a = LOW_A, .gva_b = LOW_B, .gva_alias = LOW_B,
	.gva_m = LOW_MMIO,
};

FIXTURE_VARIANT_ADD(modes, prot32) {
	.mode = KT_MODE_PROT32,
	.gpa_a = LOW_A, .gpa_b = 0x500040, .gpa_m = MMIO_GPA,
	.gva_a = LOW_A, .gva_b = 0x500040, .gva_alias = 0x500040,
	.gva_m = MMIO_GPA,
};

#define P32_4K_A	0x823010ULL
#define P32_4K_B	0xc45020ULL
FIXTURE_VARIANT_ADD(modes, paging32_4k) {
	.mode = KT_MODE_PAGING32, .page = KT_SIZE_4K,
	.gpa_a = P32_4K_A, .gpa_b = P32_4K_B, .gpa_m = MMIO_GPA,
	.gva_a = VA32(0x10000000, P32_4K_A, KT_SIZE_4K),
	.gva_b = VA32(0x20000000, P32_4K_B, KT_SIZE_4K),
	.gva_alias = VA32(0x30000000, P32_4K_B, KT_SIZE_4K),
	.gva_m = VA32(0x50000000, MMIO_GPA, KT_SIZE_4K),
	.gva_unmapped = { 0x60000000, 0x10001000 },
};

#define P32_4M_A	0xbff010ULL
#define P32_4M_B	0xd23020ULL
FIXTURE_VARIANT_ADD(modes, paging32_4m) {
	.mode = KT_MODE_PAGING32, .page = KT_SIZE_4M,
	.gpa_a = P32_4M_A, .gpa_b = P32_4M_B, .gpa_m = MMIO_GPA,
	.gva_a = VA32(0x10000000, P32_4M_A, KT_SIZE_4M),
	.gva_b = VA32(0x20000000, P32_4M_B, KT_SIZE_4M),
	.gva_alias = VA32(0x30000000, P32_4M_B, KT_SIZE_4M),
	.gva_m = VA32(0x50000000, MMIO_GPA, KT_SIZE_4M),
	.gva_unmapped = { 0x60000000, 0x10400000 },
};

#define PAE_4K_A	0x823010ULL
#define PAE_4K_B	0x100003020ULL
FIXTURE_VARIANT_ADD(modes, pae_4k) {
	.mode = KT_MODE_PAE, .page = KT_SIZE_4K,
	.gpa_a = PAE_4K_A, .gpa_b = PAE_4K_B, .gpa_m = MMIO_GPA,
	.gva_a = VA32(0x10000000, PAE_4K_A, KT_SIZE_4K),
	.gva_b = VA32(0x20000000, PAE_4K_B, KT_SIZE_4K),
	.gva_alias = VA32(0x30000000, PAE_4K_B, KT_SIZE_4K),
	.gva_m = VA32(0x50000000, MMIO_GPA, KT_SIZE_4K),
	/* No PDE; no PDPTE at all. */
	.gva_unmapped = { 0x60000000, 0xc0000000 },
};

#define PAE_2M_A	0x9ff010ULL
#define PAE_2M_B	0x1003ff020ULL
FIXTURE_VARIANT_ADD(modes, pae_2m) {
	.mode = KT_MODE_PAE, .page = KT_SIZE_2M,
	.gpa_a = PAE_2M_A, .gpa_b = PAE_2M_B, .gpa_m = MMIO_GPA,
	.gva_a = VA32(0x10000000, PAE_2M_A, KT_SIZE_2M),
	.gva_b = VA32(0x20000000, PAE_2M_B, KT_SIZE_2M),
	.gva_alias = VA32(0x30000000, PAE_2M_B, KT_SIZE_2M),
	.gva_m = VA32(0x50000000, MMIO_GPA, KT_SIZE_2M),
	.gva_unmapped = { 0x60000000, 0xc0000000 },
};

#define LM_A_VA		0x00007f0000000000ULL
#define LM_B_VA		0x0000400000000000ULL
#define LM_ALIAS_VA	0x0000123440000000ULL
#define LM_M_VA		0xffff800000000000ULL
FIXTURE_VARIANT_ADD(modes, long_4k) {
	.mode = KT_MODE_LONG, .page = KT_SIZE_4K,
	.gpa_a = PAE_4K_A, .gpa_b = PAE_4K_B, .gpa_m = MMIO_GPA,
	.gva_a = VA64(LM_A_VA, PAE_4K_A, KT_SIZE_4K),
	.gva_b = VA64(LM_B_VA, PAE_4K_B, KT_SIZE_4K),
	.gva_alias = VA64(LM_ALIAS_VA, PAE_4K_B, KT_SIZE_4K),
	.gva_m = VA64(LM_M_VA, MMIO_GPA, KT_SIZE_4K),
	/* No PML4E; no PTE next to A. */
	.gva_unmapped = { 0x0000555500000000ULL, LM_A_VA + 0x1000 },
};

FIXTURE_VARIANT_ADD(modes, long_2m) {
	.mode = KT_MODE_LONG, .page = KT_SIZE_2M,
	.gpa_a = PAE_2M_A, .gpa_b = PAE_2M_B, .gpa_m = MMIO_GPA,
	.gva_a = VA64(LM_A_VA, PAE_2M_A, KT_SIZE_2M),
	.gva_b = VA64(LM_B_VA, PAE_2M_B, KT_SIZE_2M),
	.gva_alias = VA64(LM_ALIAS_VA, PAE_2M_B, KT_SIZE_2M),
	.gva_m = VA64(LM_M_VA, MMIO_GPA, KT_SIZE_2M),
	.gva_unmapped = { 0x0000555500000000ULL, LM_A_VA + 0x200000 },
};

#define LM_1G_A		(S3_GPA + 0x10)
#define LM_1G_B		(S2_GPA + 0x5020)
FIXTURE_VARIANT_ADD(modes, long_1g) {
	.mode = KT_MODE_LONG, .page = KT_SIZE_1G,
	.gpa_a = LM_1G_A, .gpa_b = LM_1G_B, .gpa_m = MMIO_GPA,
	.gva_a = VA64(LM_A_VA, LM_1G_A, KT_SIZE_1G),
	.gva_b = VA64(LM_B_VA, LM_1G_B, KT_SIZE_1G),
	.gva_alias = VA64(LM_ALIAS_VA, LM_1G_B, KT_SIZE_1G),
	.gva_m = VA64(LM_M_VA, MMIO_GPA, KT_SIZE_1G),
	.gva_unmapped = { 0x0000555500000000ULL, LM_A_VA + KT_SIZE_1G },
};

static int paging(enum kt_mode mode)
{
	return mode == KT_MODE_PAGING32 || mode == KT_MODE_PAE ||
	       mode == KT_MODE_LONG;
}

/* Map @size bytes at @gva to @gpa in pages of @ps. */
static void map(struct __test_metadata *_metadata, struct kt_pt *pt,
		uint64_t gva, uint64_t gpa, uint64_t ps, uint64_t flags)
{
	int r = kt_pt_map(pt, gva & ~(ps - 1), gpa & ~(ps - 1), ps, flags);

	ASSERT_EQ(0, r) TH_LOG("kt_pt_map %#llx -> %#llx (%#llx): %s",
			       (unsigned long long)gva,
			       (unsigned long long)gpa,
			       (unsigned long long)ps, strerror(-r));
}

FIXTURE_SETUP(modes)
{
	struct vm *vm = &self->vm;
	struct kt_mode_cfg cfg = { .mode = variant->mode };
	struct kvm_regs regs;
	const unsigned char *code;
	size_t len;

	vm_create(_metadata, vm);
	if (variant->page == KT_SIZE_1G && !ext_feature(vm, FEAT_1G))
		SKIP(return, "no 1 GiB pages (CPUID pdpe1gb)");

	self->word = variant->mode == KT_MODE_LONG ? 8 : 4;
	self->gva_code = CODE_GPA;
	if (variant->mode == KT_MODE_REAL) {
		code = rm_prog;
		len = KT_CODE_LEN(rm_prog);
	} else if (variant->mode == KT_MODE_LONG) {
		code = lm_prog;
		len = KT_CODE_LEN(lm_prog);
	} else {
		code = pm_prog;
		len = KT_CODE_LEN(pm_prog);
	}
	memcpy(hva(vm, CODE_GPA), code, len);
	memcpy(hva(vm, NX_GPA), nx_page_code, sizeof(nx_page_code));

	if (variant->mode != KT_MODE_REAL) {
		int lm = variant->mode == KT_MODE_LONG;
		const unsigned char *exc = lm ? kt_exc64 : kt_exc32;
		size_t exc_len = lm ? kt_exc64_end - kt_exc64 :
				      kt_exc32_end - kt_exc32;

		memcpy(hva(vm, EXC_GPA), exc, exc_len);
		cfg.gdt = GDT_GPA;
		cfg.idt = IDT_GPA;
		cfg.idt_limit = kt_idt_fill(hva(vm, IDT_GPA), EXC_GPA,
					    lm ? KT_SEL_CODE64 : KT_SEL_CODE32,
					    lm);
	}

	if (paging(variant->mode)) {
		struct kt_pt pt;
		uint64_t nx = 0, a;

		ASSERT_EQ(0, kt_pt_init(&pt, variant->mode, hva(vm, PT_GPA),
					PT_GPA, PT_SIZE));
		/* Identity map of the first 1 MiB: code, tables, stack. */
		for (a = 0; a < 0x100000; a += KT_SIZE_4K)
			map(_metadata, &pt, a, a, KT_SIZE_4K, KT_PTE_W);
		map(_metadata, &pt, variant->gva_a, variant->gpa_a,
		    variant->page, KT_PTE_W);
		map(_metadata, &pt, variant->gva_b, variant->gpa_b,
		    variant->page, KT_PTE_W);
		map(_metadata, &pt, variant->gva_alias, variant->gpa_b,
		    variant->page, KT_PTE_W);
		map(_metadata, &pt, variant->gva_m, variant->gpa_m,
		    variant->page, KT_PTE_W);
		if (variant->mode != KT_MODE_PAGING32 &&
		    ext_feature(vm, FEAT_NX)) {
			cfg.efer = KT_EFER_NXE;
			nx = KT_PTE_NX;
		}
		map(_metadata, &pt, GVA_X, NX_GPA, KT_SIZE_4K, 0);
		map(_metadata, &pt, GVA_NX, NX_GPA, KT_SIZE_4K, nx);
		cfg.cr3 = pt.root;
	}
	ASSERT_EQ(0, kt_set_mode(vm->v.fd, &cfg));

	memset(&regs, 0, sizeof(regs));
	regs.rip = self->gva_code;
	regs.rsp = STACK_TOP;
	regs.rflags = 0x2;
	regs.rbx = variant->gva_a;
	regs.rsi = variant->gva_b;
	regs.rbp = variant->gva_alias;
	regs.rdi = variant->gva_m;
	ASSERT_EQ(0, kt_set_regs(vm->v.fd, &regs));

	if (variant->mode == KT_MODE_REAL) {
		struct kvm_sregs s;

		/* DS: A; ES: B; FS:0x100 is B again; GS: the MMIO area. */
		ASSERT_EQ(0, kt_get_sregs(vm->v.fd, &s));
		s.ds.selector = LOW_A >> 4;
		s.ds.base = LOW_A;
		s.es.selector = LOW_B >> 4;
		s.es.base = LOW_B;
		s.fs.selector = (LOW_B - 0x100) >> 4;
		s.fs.base = LOW_B - 0x100;
		s.gs.selector = LOW_MMIO >> 4;
		s.gs.base = LOW_MMIO;
		ASSERT_EQ(0, kt_set_sregs(vm->v.fd, &s));
	}
}

FIXTURE_TEARDOWN(modes)
{
	vm_destroy(&self->vm);
}

static uint64_t get_word(const uint8_t *p, int word)
{
	uint64_t v = 0;

	memcpy(&v, p, word);
	return v;
}

static void put_word(uint8_t *p, int word, uint64_t v)
{
	memcpy(p, &v, word);
}

/* One pass of the program with A = {@x, @y} and MMIO data @m. */
static void one_pass(struct __test_metadata *_metadata,
		     FIXTURE_DATA(modes) *self,
		     const FIXTURE_VARIANT(modes) *variant,
		     uint64_t x, uint64_t y, uint64_t m)
{
	struct vm *vm = &self->vm;
	int w = self->word;
	uint64_t mask = w == 8 ? ~0ULL : 0xffffffffULL;
	uint64_t k = w == 8 ? XOR64 : XOR32;
	uint8_t *a = hva(vm, variant->gpa_a);
	uint8_t *b = hva(vm, variant->gpa_b);
	uint64_t sum = (x + y) & mask;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	put_word(a, w, x);
	put_word(a + w, w, y);
	memset(b, 0xee, 3 * w);

	/* Host data in, guest data out through another page and alias. */
	EXPECT_EQ((sum ^ k) & 0xffffffff,
		  expect_out(_metadata, vm, PORT_OUT, 4));
	EXPECT_EQ(sum, get_word(b, w));
	EXPECT_EQ(sum ^ k, get_word(b + w, w));

	expect_mmio(_metadata, vm, variant->gpa_m, w, 0, m & mask);
	expect_mmio(_metadata, vm, variant->gpa_m + 8, w, 1, ~m & mask);
	expect_hlt(_metadata, vm);
	EXPECT_EQ(m & mask, get_word(b + 2 * w, w));
	/* A unchanged. */
	EXPECT_EQ(x, get_word(a, w));
	EXPECT_EQ(y, get_word(a + w, w));
	/* The CPU's walks (accessed and dirty bits) change no translation. */
	expect_translate(_metadata, vm, variant->gva_alias + w,
			 variant->gpa_b + w, 1);
	expect_translate(_metadata, vm, variant->gva_m, variant->gpa_m, 1);
}

TEST_F(modes, memory_pio_mmio)
{
	if (_metadata->skip)	/* in FIXTURE_SETUP */
		return;
	if (self->word == 8) {
		one_pass(_metadata, self, variant, 0x1122334455667788ULL,
			 0x0101010101010101ULL, 0xfedcba9876543210ULL);
		one_pass(_metadata, self, variant, 0xffffffff00000001ULL,
			 0x00000001ffffffffULL, 0x0123456789abcdefULL);
	} else {
		one_pass(_metadata, self, variant, 0x11223344, 0x01010101,
			 0x76543210);
		one_pass(_metadata, self, variant, 0xffff0001, 0x0001ffff,
			 0x89abcdef);
	}
}

TEST_F(modes, translate)
{
	struct vm *vm = &self->vm;
	unsigned int i;

	if (_metadata->skip)	/* in FIXTURE_SETUP */
		return;
	expect_translate(_metadata, vm, variant->gva_a, variant->gpa_a, 1);
	expect_translate(_metadata, vm, variant->gva_a + 4,
			 variant->gpa_a + 4, 1);
	expect_translate(_metadata, vm, variant->gva_b, variant->gpa_b, 1);
	expect_translate(_metadata, vm, variant->gva_alias, variant->gpa_b,
			 1);
	/* Only the page tables count: a GPA without a slot is valid. */
	expect_translate(_metadata, vm, variant->gva_m, variant->gpa_m, 1);
	expect_translate(_metadata, vm, CODE_GPA + 0x123, CODE_GPA + 0x123,
			 1);
	if (variant->page > KT_SIZE_4K) {
		/* Far into the large page. */
		uint64_t off = variant->page - 8 -
			       (variant->gpa_a & (variant->page - 1));

		expect_translate(_metadata, vm, variant->gva_a + off,
				 variant->gpa_a + off, 1);
	}
	if (!paging(variant->mode)) {
		/* Linear is physical. */
		expect_translate(_metadata, vm, 0xfffff000, 0xfffff000, 1);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(variant->gva_unmapped); i++)
		expect_translate(_metadata, vm, variant->gva_unmapped[i], 0,
				 0);
	/* NX does not matter to KVM_TRANSLATE. */
	expect_translate(_metadata, vm, GVA_NX + 0x10, NX_GPA + 0x10, 1);
}

/* Execute from the same page through an X and an NX mapping. */
TEST_F(modes, nx)
{
	struct vm *vm = &self->vm;
	struct kt_exc_rec *rec = (void *)hva(vm, EXC_GPA);
	struct kvm_regs regs;

	if (_metadata->skip)	/* in FIXTURE_SETUP */
		return;
	if (variant->mode != KT_MODE_PAE && variant->mode != KT_MODE_LONG)
		SKIP(return, "no NX bit in this mode");
	if (!ext_feature(vm, FEAT_NX))
		SKIP(return, "no NX (CPUID 0x80000001 EDX.20)");

	ASSERT_EQ(0, kt_get_regs(vm->v.fd, &regs));
	regs.rip = GVA_X;
	ASSERT_EQ(0, kt_set_regs(vm->v.fd, &regs));
	expect_out(_metadata, vm, 0x11, 1);
	expect_hlt(_metadata, vm);
	EXPECT_EQ(0, rec->count);

	regs.rip = GVA_NX;
	ASSERT_EQ(0, kt_set_regs(vm->v.fd, &regs));
	rec->fixup = GVA_X + 0x10;
	EXPECT_EQ(KT_PF_VECTOR, expect_out(_metadata, vm, KT_PORT_EXC, 1));
	EXPECT_EQ(1, rec->count);
	EXPECT_EQ(KT_PF_VECTOR, rec->vector);
	EXPECT_EQ(KT_PF_P | KT_PF_ID, rec->error);
	EXPECT_EQ(GVA_NX, rec->cr2);
	EXPECT_EQ(GVA_NX, rec->rip);
	expect_out(_metadata, vm, 0x12, 1);
	expect_hlt(_metadata, vm);
}

/* ---- real mode -> protected mode -> long mode in one guest ---- */

#define SW_A_GVA	0x0000654321000000	/* -> LOW_A in long mode */
#define SW_M_GVA	0xffffc00000000010	/* -> MMIO_GPA */
#define LOW_A_SEG	0x2000

KT_GUEST_CODE16(switch_prog,
	"mov $" XSTR(LOW_A_SEG) ", %ax\n\t"
	"mov %ax, %es\n\t"
	"mov %es:0, %ax\n\t"
	"out %ax, $0x20\n\t"
	"lgdtl " XSTR(GDTR_GPA) "\n\t"
	"mov %cr0, %eax\n\t"
	"or $1, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmpl $0x18, $(" XSTR(CODE_GPA) " + (2f - switch_prog))\n"
	".code32\n"
	"2:\n\t"
	"mov $0x10, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %ss\n\t"
	"mov $0x7000, %esp\n\t"
	"mov 0x20000, %eax\n\t"
	"add 0x20004, %eax\n\t"
	"out %eax, $0x21\n\t"
	"mov %cr4, %eax\n\t"
	"or $0x20, %eax\n\t"
	"mov %eax, %cr4\n\t"
	"mov %ebx, %cr3\n\t"
	"mov $0xc0000080, %ecx\n\t"
	"rdmsr\n\t"
	"or $0x100, %eax\n\t"
	"wrmsr\n\t"
	"mov %cr0, %eax\n\t"
	"or $0x80000000, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmpl $0x08, $(" XSTR(CODE_GPA) " + (3f - switch_prog))\n"
	".code64\n"
	"3:\n\t"
	"movabs $" XSTR(SW_A_GVA) ", %rbx\n\t"
	"mov (%rbx), %rax\n\t"
	"add 8(%rbx), %rax\n\t"
	"mov %rax, 16(%rbx)\n\t"
	"out %eax, $0x22\n\t"
	"shr $32, %rax\n\t"
	"out %eax, $0x22\n\t"
	"movabs $" XSTR(SW_M_GVA) ", %rdi\n\t"
	"mov (%rdi), %rdx\n\t"
	"not %rdx\n\t"
	"mov %rdx, 8(%rdi)\n\t"
	"hlt\n\t");

TEST(mode_switch)
{
	struct vm vm;
	struct kt_pt pt;
	struct kvm_sregs s;
	struct kvm_regs regs;
	uint8_t *gdtr;
	uint64_t a, *data;

	vm_create(_metadata, &vm);
	memcpy(hva(&vm, CODE_GPA), switch_prog, KT_CODE_LEN(switch_prog));
	gdtr = hva(&vm, GDTR_GPA);
	gdtr[0] = KT_GDT_SIZE - 1;
	gdtr[1] = 0;
	a = GDT_GPA;
	memcpy(gdtr + 2, &a, 4);

	ASSERT_EQ(0, kt_pt_init(&pt, KT_MODE_LONG, hva(&vm, PT_GPA), PT_GPA,
				PT_SIZE));
	for (a = 0; a < 0x100000; a += KT_SIZE_4K)
		ASSERT_EQ(0, kt_pt_map(&pt, a, a, KT_SIZE_4K, KT_PTE_W));
	ASSERT_EQ(0, kt_pt_map(&pt, SW_A_GVA, LOW_A, KT_SIZE_4K, KT_PTE_W));
	ASSERT_EQ(0, kt_pt_map(&pt, SW_M_GVA & ~0xfffULL, MMIO_GPA & ~0xfffULL,
			       KT_SIZE_4K, KT_PTE_W));

	ASSERT_EQ(0, kt_set_real_mode(vm.v.fd, CODE_GPA));
	ASSERT_EQ(0, kt_get_regs(vm.v.fd, &regs));
	regs.rbx = pt.root;
	ASSERT_EQ(0, kt_set_regs(vm.v.fd, &regs));

	data = (uint64_t *)hva(&vm, LOW_A);
	data[0] = 0x1111222233334444ULL;
	data[1] = 0x0101010101010101ULL;

	EXPECT_EQ(0x4444, expect_out(_metadata, &vm, 0x20, 2));
	EXPECT_EQ(0x33334444 + 0x11112222,
		  expect_out(_metadata, &vm, 0x21, 4));
	EXPECT_EQ(0x34344545, expect_out(_metadata, &vm, 0x22, 4));
	EXPECT_EQ(0x12122323, expect_out(_metadata, &vm, 0x22, 4));
	EXPECT_EQ(0x1212232334344545ULL, data[2]);
	expect_mmio(_metadata, &vm, MMIO_GPA, 8, 0, 0x00ff00ff00ff00ffULL);
	expect_mmio(_metadata, &vm, MMIO_GPA + 8, 8, 1,
		    0xff00ff00ff00ff00ULL);
	expect_hlt(_metadata, &vm);

	ASSERT_EQ(0, kt_get_sregs(vm.v.fd, &s));
	EXPECT_EQ(KT_EFER_LME | KT_EFER_LMA,
		  s.efer & (KT_EFER_LME | KT_EFER_LMA));
	EXPECT_EQ(KT_CR0_PE | KT_CR0_PG, s.cr0 & (KT_CR0_PE | KT_CR0_PG));
	EXPECT_EQ(KT_CR4_PAE, s.cr4 & KT_CR4_PAE);
	EXPECT_EQ(pt.root, s.cr3);
	EXPECT_EQ(KT_SEL_CODE64, s.cs.selector);
	EXPECT_EQ(1, s.cs.l);
	EXPECT_EQ(KT_SEL_DATA, s.ds.selector);
	EXPECT_EQ(GDT_GPA, s.gdt.base);
	EXPECT_EQ(KT_GDT_SIZE - 1, s.gdt.limit);
	vm_destroy(&vm);
}

static void __attribute__((constructor)) hold_a_vm(void)
{
	kt_hold_a_vm();
}

TEST_HARNESS_MAIN
