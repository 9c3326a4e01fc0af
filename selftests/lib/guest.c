// SPDX-License-Identifier: GPL-2.0
/*
 * The guest library: guest C code mapped at its host addresses, an IDT
 * whose every vector calls a C handler, the guest-to-host call, per-vCPU
 * stacks and data, and an AP start-up trampoline.  See guest.h.
 */
#include <errno.h>
#include <stddef.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "guest.h"

#define PAGE_DOWN(a)	((a) & ~(uintptr_t)(KT_PAGE_SIZE - 1))
#define PAGE_UP(a)	PAGE_DOWN((a) + KT_PAGE_SIZE - 1)

#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)
#define PTE_PWT		(1ULL << 3)
#define PTE_PCD		(1ULL << 4)

/*
 * The trampoline's parameters at KG_AP_MAILBOX, written by the host; the
 * offsets are spelled out in the trampoline below.
 */
struct kg_mailbox {
	uint32_t cr3;			/* +0x00 */
	uint32_t pad;
	uint64_t start64;		/* +0x08: kg_ap_start64 */
	uint16_t gdt_limit;		/* +0x10 */
	uint64_t gdt_base;		/* +0x12 */
	uint8_t pad2[6];
	uint16_t idt_limit;		/* +0x20 */
	uint64_t idt_base;		/* +0x22 */
	uint8_t pad3[0x40 - 0x2a];
	struct kg_ucall hello;		/* +0x40: GUEST_SYNC from real mode */
} __attribute__((packed));

_Static_assert(sizeof(struct kg_mailbox) <= 0x100, "mailbox too large");
_Static_assert(offsetof(struct kg_mailbox, start64) == 0x08 &&
	       offsetof(struct kg_mailbox, gdt_limit) == 0x10 &&
	       offsetof(struct kg_mailbox, idt_limit) == 0x20 &&
	       offsetof(struct kg_mailbox, hello) == 0x40 &&
	       offsetof(struct kg_cpu, stack_top) == 16 &&
	       KG_UCALL_PORT == 0xe4, "the assembly hard-codes these");
_Static_assert(sizeof(struct kg_cpu) == 128 && KG_CPUS == 0x4000 &&
	       KG_AP_MAILBOX == 0x3f00 && KG_TRAMPOLINE == 0x3000,
	       "kg_ap_start64 and the trampoline hard-code these");
_Static_assert(sizeof(struct kg_cpu) * KG_MAX_VCPUS <=
	       KG_STACKS - KG_CPUS, "kg_cpu array too large");
_Static_assert(KG_STACKS + KG_MAX_VCPUS * KG_STACK_SIZE <= KG_PT,
	       "stacks overlap the page tables");

/* ==== guest side (runs in the VM, from the image copy) ==== */

/* The handler table: each VM's copy of the image has its own. */
kg_handler_t kg_handlers[256];
/* What APs started by the trampoline call. */
void (*kg_ap_entry_fn)(void);

void __kg_ucall4(uint64_t cmd, const char *file, uint64_t line,
		 const char *text, uint64_t a0, uint64_t a1, uint64_t a2,
		 uint64_t a3);

void __kg_ucall4(uint64_t cmd, const char *file, uint64_t line,
		 const char *text, uint64_t a0, uint64_t a1, uint64_t a2,
		 uint64_t a3)
{
	struct kg_ucall uc;

	uc.cmd = cmd;
	uc.args[0] = a0;
	uc.args[1] = a1;
	uc.args[2] = a2;
	uc.args[3] = a3;
	uc.file = file;
	uc.line = line;
	uc.text = text;
	/* Stacks are in slot 0, below 4 GiB and identity-mapped. */
	asm volatile("outl %0, %1"
		     :: "a"((uint32_t)(uintptr_t)&uc), "Nd"(KG_UCALL_PORT)
		     : "memory");
}

void __kg_ucall(uint64_t cmd, const char *file, uint64_t line,
		const char *text, uint64_t a0, uint64_t a1)
{
	__kg_ucall4(cmd, file, line, text, a0, a1, 0, 0);
}

void __kg_abort(const char *file, uint64_t line, const char *text,
		uint64_t a0, uint64_t a1)
{
	for (;;) {
		__kg_ucall4(KG_ABORT, file, line, text, a0, a1, 0, 0);
		asm volatile("cli; hlt" ::: "memory");
	}
}

void guest_set_handler(int vector, kg_handler_t fn)
{
	kg_handlers[vector & 0xff] = fn;
}

/* The MSR access the host asked for (kg_msr_serve()). */
static volatile uint32_t kg_msr_index;
static volatile uint32_t kg_msr_write;
static volatile uint64_t kg_msr_value;
static volatile uint64_t kg_msr_faults;

/* #GP of the RDMSR or WRMSR: count it, skip the 2-byte instruction. */
static void kg_msr_gp(struct kg_frame *f)
{
	kg_msr_faults++;
	f->rip += 2;
}

/* Report (the last access faulted), then run the next access. */
static void kg_msr_loop(void)
{
	uint64_t before, faulted = 0;

	for (;;) {
		GUEST_SYNC(faulted);
		before = kg_msr_faults;
		if (kg_msr_write)
			kg_wrmsr(kg_msr_index, kg_msr_value);
		else
			kg_msr_value = kg_rdmsr(kg_msr_index);
		faulted = kg_msr_faults != before;
	}
}

/* Called by the common interrupt entry with the saved frame. */
void kg_dispatch(struct kg_frame *f);

void kg_dispatch(struct kg_frame *f)
{
	struct kg_cpu *c = kg_this_cpu();
	kg_handler_t h = kg_handlers[f->vector & 0xff];

	c->irq_count++;
	c->last_vector = f->vector;
	if (!h) {
		for (;;) {
			__kg_ucall4(KG_ABORT, __FILE__, __LINE__,
				    "unexpected vector (vector, error, rip)",
				    f->vector, f->error, f->rip, 0);
			asm volatile("cli; hlt" ::: "memory");
		}
	}
	h(f);
}

void kg_guest_done(void) __attribute__((noreturn));

void kg_guest_done(void)
{
	for (;;)
		__kg_ucall(KG_DONE, __FILE__, __LINE__, NULL, 0, 0);
}

/*
 * Where a vCPU's entry function returns to: the return leaves RSP
 * 16-byte aligned, one word off what a called function expects.
 */
void kg_guest_exit(void);

asm(".pushsection .text\n"
	".globl kg_guest_exit\n"
	"kg_guest_exit:\n\t"
	"and $-16, %rsp\n\t"
	"call kg_guest_done\n"
	".popsection\n");

/*
 * The 256 interrupt entry stubs, 16 bytes apart from kg_isr_stubs, and
 * the common entry: it completes struct kg_frame on the stack, saves the
 * FXSAVE state, calls kg_dispatch() and returns with IRETQ.
 */
asm(".pushsection .text\n"
	".globl kg_isr_stubs\n"
	".balign 16\n"
	"kg_isr_stubs:\n\t"
	".set kg_v, 0\n\t"
	".rept 256\n\t"
	".balign 16\n\t"
	".if !(kg_v == 8 || (kg_v >= 10 && kg_v <= 14) || kg_v == 17 || "
	"kg_v == 21 || kg_v == 29 || kg_v == 30)\n\t"
	"pushq $0\n\t"
	".endif\n\t"
	"pushq $kg_v\n\t"
	"jmp kg_isr_common\n\t"
	".set kg_v, kg_v + 1\n\t"
	".endr\n"
	"kg_isr_common:\n\t"
	"push %rax\n\t"
	"push %rbx\n\t"
	"push %rcx\n\t"
	"push %rdx\n\t"
	"push %rsi\n\t"
	"push %rdi\n\t"
	"push %rbp\n\t"
	"push %r8\n\t"
	"push %r9\n\t"
	"push %r10\n\t"
	"push %r11\n\t"
	"push %r12\n\t"
	"push %r13\n\t"
	"push %r14\n\t"
	"push %r15\n\t"
	"mov %rsp, %rdi\n\t"
	"mov %rsp, %rbp\n\t"
	"sub $512, %rsp\n\t"
	"and $-16, %rsp\n\t"
	"fxsave64 (%rsp)\n\t"
	"cld\n\t"
	"call kg_dispatch\n\t"
	"fxrstor64 (%rsp)\n\t"
	"mov %rbp, %rsp\n\t"
	"pop %r15\n\t"
	"pop %r14\n\t"
	"pop %r13\n\t"
	"pop %r12\n\t"
	"pop %r11\n\t"
	"pop %r10\n\t"
	"pop %r9\n\t"
	"pop %r8\n\t"
	"pop %rbp\n\t"
	"pop %rdi\n\t"
	"pop %rsi\n\t"
	"pop %rdx\n\t"
	"pop %rcx\n\t"
	"pop %rbx\n\t"
	"pop %rax\n\t"
	"add $16, %rsp\n\t"
	"iretq\n"
	".popsection\n");

/*
 * An AP in 64-bit mode, from the trampoline: load the IDT, find its
 * struct kg_cpu from its APIC ID (= vCPU id), set GS.base and the stack,
 * and call kg_ap_entry_fn with kg_guest_exit as return address.
 */
asm(".pushsection .text\n"
	".globl kg_ap_start64\n"
	"kg_ap_start64:\n\t"
	"lidt 0x3f20\n\t"
	"mov $0xfee00020, %eax\n\t"
	"mov (%rax), %eax\n\t"
	"shr $24, %eax\n\t"
	"shl $7, %rax\n\t"		/* sizeof(struct kg_cpu) */
	"add $0x4000, %rax\n\t"		/* KG_CPUS */
	"mov %rax, %rdx\n\t"
	"shr $32, %rdx\n\t"
	"mov $0xc0000101, %ecx\n\t"
	"wrmsr\n\t"
	"mov %gs:0, %rax\n\t"
	"mov 16(%rax), %rsp\n\t"
	"lea kg_guest_exit(%rip), %rax\n\t"
	"push %rax\n\t"
	"jmp *kg_ap_entry_fn(%rip)\n"
	".popsection\n");

/* ==== host side ==== */

extern const unsigned char kg_isr_stubs[];
extern const unsigned char kg_ap_start64[];

/*
 * The real-mode trampoline copied to KG_TRAMPOLINE (CS = KG_SIPI_VECTOR
 * << 8, IP = 0): report over the port, enter long mode with the BSP's
 * page tables and GDT, and jump to kg_ap_start64 through the mailbox.
 */
KT_GUEST_CODE16(kg_trampoline,
	"cli\n\t"
	"xor %ax, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov $0x3f40, %eax\n\t"
	"out %eax, $0xe4\n\t"
	"lgdtl 0x3f10\n\t"
	"mov $0x620, %eax\n\t"		/* CR4: PAE, OSFXSR, OSXMMEXCPT */
	"mov %eax, %cr4\n\t"
	"mov 0x3f00, %eax\n\t"
	"mov %eax, %cr3\n\t"
	"mov $0xc0000080, %ecx\n\t"
	"rdmsr\n\t"
	"or $0x100, %eax\n\t"		/* EFER.LME */
	"wrmsr\n\t"
	"mov $0x80010033, %eax\n\t"	/* CR0: PG, WP, NE, ET, MP, PE */
	"mov %eax, %cr0\n\t"
	"ljmpl $0x08, $(0x3000 + 1f - kg_trampoline)\n"
	".code64\n"
	"1:\n\t"
	"mov $0x10, %eax\n\t"
	"mov %eax, %ds\n\t"
	"mov %eax, %es\n\t"
	"mov %eax, %ss\n\t"
	"mov %eax, %fs\n\t"
	"mov %eax, %gs\n\t"
	"jmpq *0x3f08\n\t"
	".code16\n\t");

/* The test binary's PT_LOAD segments, page-rounded. */
struct image_seg {
	uintptr_t start, end;
};

struct image_info {
	struct image_seg seg[16];
	int n;
	bool done;
};

static int image_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct image_info *ii = data;
	int i;

	(void)size;
	if (ii->done)
		return 1;
	ii->done = true;	/* the first object is the executable */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (ii->n == (int)ARRAY_SIZE(ii->seg))
			return 1;
		ii->seg[ii->n].start = PAGE_DOWN(s);
		ii->seg[ii->n].end = PAGE_UP(s + ph->p_memsz);
		ii->n++;
	}
	return 1;
}

void *kg_host_ptr(struct kg_vm *vm, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (a >= vm->image_start && a < vm->image_start + vm->image_size)
		return vm->image + (a - vm->image_start);
	if (a < KG_LOW_SIZE)
		return vm->low + a;
	return NULL;
}

struct kg_cpu *kg_cpu(struct kg_vm *vm, int id)
{
	return (struct kg_cpu *)(vm->low + KG_CPUS) + id;
}

void kg_set_handler(struct kg_vm *vm, int vector, kg_handler_t fn)
{
	kg_handler_t *t = kg_host_ptr(vm, kg_handlers);

	t[vector & 0xff] = fn;
}

/*
 * Run the guest to its next report (KG_SYNC): 0, or -errno, or -EPROTO
 * after reporting whatever else stopped it.
 */
static int kg_run_to_sync(struct kg_vm *vm, int id, struct kg_ucall *uc)
{
	int st = kg_run(vm, id, uc);

	if (st < 0)
		return st;
	if (st != KG_SYNC) {
		kg_report(vm, id, st, uc);
		return -EPROTO;
	}
	return 0;
}

int kg_msr_serve(struct kg_vm *vm, int id)
{
	struct kg_ucall uc;
	int st;

	kg_set_handler(vm, 13, kg_msr_gp);
	st = kg_vcpu_enter(vm, id, kg_msr_loop);
	if (st)
		return st;
	/* Up to the first report: the loop then waits for requests. */
	return kg_run_to_sync(vm, id, &uc);
}

static int kg_msr_request(struct kg_vm *vm, int id, uint32_t msr,
			  uint32_t write, uint64_t *val)
{
	struct kg_ucall uc;
	int st;

	KG_GUEST(vm, kg_msr_index) = msr;
	KG_GUEST(vm, kg_msr_write) = write;
	KG_GUEST(vm, kg_msr_value) = *val;
	st = kg_run_to_sync(vm, id, &uc);
	if (st)
		return st;
	*val = KG_GUEST(vm, kg_msr_value);
	return uc.args[0] ? KG_MSR_GP : 0;
}

int kg_guest_rdmsr(struct kg_vm *vm, int id, uint32_t msr, uint64_t *val)
{
	*val = 0;
	return kg_msr_request(vm, id, msr, 0, val);
}

int kg_guest_wrmsr(struct kg_vm *vm, int id, uint32_t msr, uint64_t val)
{
	return kg_msr_request(vm, id, msr, 1, &val);
}

void kg_set_ap_entry(struct kg_vm *vm, void (*fn)(void))
{
	KG_GUEST(vm, kg_ap_entry_fn) = fn;
}

static int map_image(struct kg_vm *vm)
{
	struct image_info ii = { .n = 0 };
	uintptr_t lo = UINTPTR_MAX, hi = 0, a;
	int i, r;

	dl_iterate_phdr(image_cb, &ii);
	if (!ii.n)
		return -ENOENT;
	for (i = 0; i < ii.n; i++) {
		if (ii.seg[i].start < lo)
			lo = ii.seg[i].start;
		if (ii.seg[i].end > hi)
			hi = ii.seg[i].end;
	}
	if (hi - lo > 0x10000000)
		return -E2BIG;
	vm->image_start = lo;
	vm->image_size = hi - lo;
	vm->image = kt_add_mem(vm->vm_fd, 1, KG_IMAGE_GPA, vm->image_size);
	if (!vm->image)
		return -errno;
	for (i = 0; i < ii.n; i++) {
		memcpy(vm->image + (ii.seg[i].start - lo),
		       (void *)ii.seg[i].start,
		       ii.seg[i].end - ii.seg[i].start);
		for (a = ii.seg[i].start; a < ii.seg[i].end;
		     a += KT_PAGE_SIZE) {
			r = kt_pt_map(&vm->pt, a, KG_IMAGE_GPA + (a - lo),
				      KT_SIZE_4K, KT_PTE_W);
			/* Segments may share a page. */
			if (r && r != -EEXIST)
				return r;
		}
	}
	return 0;
}

static void fill_idt(struct kg_vm *vm)
{
	uint8_t *idt = vm->low + KG_IDT;
	int v;

	for (v = 0; v < 256; v++) {
		uint64_t off = (uintptr_t)kg_isr_stubs + 16 * v;
		uint64_t lo = (off & 0xffff) |
			      ((uint64_t)KT_SEL_CODE64 << 16) |
			      (0x8eULL << 40) |	/* P, DPL 0, interrupt gate */
			      ((off >> 16 & 0xffff) << 48);
		uint64_t hi = off >> 32;

		memcpy(idt + 16 * v, &lo, 8);
		memcpy(idt + 16 * v + 8, &hi, 8);
	}
}

static void fill_trampoline(struct kg_vm *vm)
{
	struct kg_mailbox *mb = (void *)(vm->low + KG_AP_MAILBOX);

	memcpy(vm->low + KG_TRAMPOLINE, kg_trampoline,
	       KT_CODE_LEN(kg_trampoline));
	memset(mb, 0, sizeof(*mb));
	mb->cr3 = vm->pt.root;
	mb->start64 = (uintptr_t)kg_ap_start64;
	mb->gdt_limit = KT_GDT_SIZE - 1;
	mb->gdt_base = KG_GDT;
	mb->idt_limit = 256 * 16 - 1;
	mb->idt_base = KG_IDT;
	mb->hello.cmd = KG_SYNC;
	mb->hello.args[0] = KG_SYNC_TRAMPOLINE;
	mb->hello.file = __FILE__;
	mb->hello.line = __LINE__;
}

void kg_vm_destroy(struct kg_vm *vm)
{
	int i;

	for (i = 0; i < KG_MAX_VCPUS; i++)
		if (vm->v[i].fd >= 0)
			kt_vcpu_close(&vm->v[i]);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	if (vm->low)
		munmap(vm->low, KG_LOW_SIZE);
	if (vm->image)
		munmap(vm->image, vm->image_size);
	free(vm->cpuid);
	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = -1;
	vm->vm_fd = -1;
	for (i = 0; i < KG_MAX_VCPUS; i++)
		vm->v[i].fd = -1;
}

int kg_vm_create(struct kg_vm *vm, unsigned int flags)
{
	const char *step;
	uint64_t a;
	int i, r;

	memset(vm, 0, sizeof(*vm));
	vm->sys_fd = -1;
	vm->vm_fd = -1;
	for (i = 0; i < KG_MAX_VCPUS; i++)
		vm->v[i].fd = -1;

	step = "open device";
	r = kt_open_dev();
	if (r < 0)
		goto fail;
	vm->sys_fd = r;
	step = "KVM_CREATE_VM";
	r = kt_create_vm(vm->sys_fd);
	if (r < 0)
		goto fail;
	vm->vm_fd = r;
	if (flags & KG_IRQCHIP) {
		step = "KVM_CREATE_IRQCHIP";
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
			r = -errno;
			goto fail;
		}
	}
	step = "KVM_GET_SUPPORTED_CPUID";
	vm->cpuid = kt_get_supported_cpuid(vm->sys_fd);
	if (!vm->cpuid) {
		r = -errno;
		goto fail;
	}

	step = "slot 0";
	vm->low = kt_add_mem(vm->vm_fd, 0, 0, KG_LOW_SIZE);
	if (!vm->low) {
		r = -errno;
		goto fail;
	}
	step = "page tables";
	r = kt_pt_init(&vm->pt, KT_MODE_LONG, vm->low + KG_PT, KG_PT,
		       KG_PT_SIZE);
	for (a = 0; !r && a < KG_LOW_SIZE; a += KT_PAGE_SIZE)
		r = kt_pt_map(&vm->pt, a, a, KT_SIZE_4K, KT_PTE_W);
	if (!r)
		r = kt_pt_map(&vm->pt, KG_XAPIC_BASE, KG_XAPIC_BASE,
			      KT_SIZE_4K, KT_PTE_W | PTE_PCD | PTE_PWT);
	if (!r)
		r = kt_pt_map(&vm->pt, KG_IOAPIC_BASE, KG_IOAPIC_BASE,
			      KT_SIZE_4K, KT_PTE_W | PTE_PCD | PTE_PWT);
	if (r)
		goto fail;
	step = "image";
	r = map_image(vm);
	if (r)
		goto fail;

	kt_gdt_fill(vm->low + KG_GDT);
	fill_idt(vm);
	fill_trampoline(vm);
	for (i = 0; i < KG_MAX_VCPUS; i++) {
		struct kg_cpu *c = kg_cpu(vm, i);

		c->self = (struct kg_cpu *)(KG_CPUS + i * sizeof(*c));
		c->id = i;
		c->stack_top = KG_STACKS + (i + 1) * KG_STACK_SIZE;
	}
	return 0;

fail:
	fprintf(stderr, "# %s: %s: %s\n", __func__, step, strerror(-r));
	kg_vm_destroy(vm);
	return r;
}

int kg_vcpu_create(struct kg_vm *vm, int id)
{
	int r;

	if (id < 0 || id >= KG_MAX_VCPUS || vm->v[id].run)
		return -EINVAL;
	r = kt_vcpu_open(vm->sys_fd, vm->vm_fd, id, &vm->v[id]);
	if (r)
		return r;
	if (id >= vm->nr_vcpus)
		vm->nr_vcpus = id + 1;
	return 0;
}

int kg_vcpu_enter(struct kg_vm *vm, int id, void (*fn)(void))
{
	struct kt_mode_cfg cfg = {
		.mode = KT_MODE_LONG,
		.cr3 = vm->pt.root,
		.gdt = KG_GDT,
		.idt = KG_IDT,
		.idt_limit = 256 * 16 - 1,
		.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT,
	};
	struct kg_cpu *c = kg_cpu(vm, id);
	int fd = vm->v[id].fd;
	struct kvm_sregs s;
	struct kvm_regs regs;
	uint64_t ret = (uintptr_t)kg_guest_exit;
	int r;

	r = kt_set_mode(fd, &cfg);
	if (r)
		return r;
	r = kt_get_sregs(fd, &s);
	if (r)
		return r;
	s.gs.base = (uintptr_t)c->self;
	s.cr0 |= 1ULL << 1;	/* MP */
	r = kt_set_sregs(fd, &s);
	if (r)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)fn;
	regs.rsp = c->stack_top - 8;
	regs.rflags = 0x2;
	memcpy(vm->low + regs.rsp, &ret, 8);
	return kt_set_regs(fd, &regs);
}

int kg_vcpu_add(struct kg_vm *vm, int id, void (*fn)(void))
{
	int r = kg_vcpu_create(vm, id);

	return r ? r : kg_vcpu_enter(vm, id, fn);
}

int kg_run(struct kg_vm *vm, int id, struct kg_ucall *uc)
{
	struct kvm_run *run = vm->v[id].run;
	uint32_t gpa;
	int r;

	memset(uc, 0, sizeof(*uc));
	r = kt_run(vm->v[id].fd, run);
	if (r < 0)
		return r;
	if (r != KVM_EXIT_IO || run->io.port != KG_UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return KG_OTHER;
	memcpy(&gpa, kt_io_data(run), 4);
	if (gpa > KG_LOW_SIZE - sizeof(*uc))
		return KG_OTHER;
	memcpy(uc, vm->low + gpa, sizeof(*uc));
	if (uc->cmd < KG_SYNC || uc->cmd > KG_ABORT)
		return KG_OTHER;
	return uc->cmd;
}

int kg_run_to_done(struct kg_vm *vm, int id, struct kg_ucall *uc)
{
	int r;

	do
		r = kg_run(vm, id, uc);
	while (r == KG_SYNC);
	return r;
}

/* A guest string, read from its image copy (or the host's). */
static const char *guest_str(struct kg_vm *vm, const char *s)
{
	const char *h;

	if (!s)
		return "";
	h = kg_host_ptr(vm, s);
	return h ? h : s;
}

void kg_report(struct kg_vm *vm, int id, int status,
	       const struct kg_ucall *uc)
{
	struct kvm_run *run = vm->v[id].run;

	switch (status) {
	case KG_SYNC:
		fprintf(stderr, "# vCPU %d: GUEST_SYNC(%#llx) at %s:%llu\n",
			id, (unsigned long long)uc->args[0],
			guest_str(vm, uc->file),
			(unsigned long long)uc->line);
		break;
	case KG_DONE:
		fprintf(stderr, "# vCPU %d: GUEST_DONE\n", id);
		break;
	case KG_ABORT:
		fprintf(stderr,
			"# vCPU %d: guest failed at %s:%llu: %s (%#llx, %#llx, %#llx)\n",
			id, guest_str(vm, uc->file),
			(unsigned long long)uc->line,
			guest_str(vm, uc->text),
			(unsigned long long)uc->args[0],
			(unsigned long long)uc->args[1],
			(unsigned long long)uc->args[2]);
		break;
	case KG_OTHER:
		fprintf(stderr, "# vCPU %d: exit %s (%u)", id,
			kt_exit_name(run->exit_reason), run->exit_reason);
		if (run->exit_reason == KVM_EXIT_IO)
			fprintf(stderr, " port %#x", run->io.port);
		if (run->exit_reason == KVM_EXIT_MMIO)
			fprintf(stderr, " gpa %#llx",
				(unsigned long long)run->mmio.phys_addr);
		if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			fprintf(stderr, " suberror %u",
				run->internal.suberror);
		fprintf(stderr, "\n");
		break;
	default:
		fprintf(stderr, "# vCPU %d: KVM_RUN: %s\n", id,
			strerror(-status));
		break;
	}
}

bool kg_cpuid_has(struct kg_vm *vm, uint32_t leaf, int reg, int bit)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(vm->cpuid, leaf, 0);
	uint32_t v;

	if (!e)
		return false;
	switch (reg) {
	case KG_EAX:
		v = e->eax;
		break;
	case KG_EBX:
		v = e->ebx;
		break;
	case KG_ECX:
		v = e->ecx;
		break;
	default:
		v = e->edx;
		break;
	}
	return v >> bit & 1;
}
