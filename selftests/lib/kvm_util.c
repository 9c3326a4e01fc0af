// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kvmod selftests; see kvm_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvm_util.h"

const char *kt_dev_path(void)
{
	const char *p = getenv("KVM_DEV");

	return p && *p ? p : "/dev/kvm";
}

int kt_open_dev(void)
{
	int fd = open(kt_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kt_create_vm(int sys_fd)
{
	int fd = ioctl(sys_fd, KVM_CREATE_VM, 0);

	return fd < 0 ? -errno : fd;
}

void *kt_add_mem(int vm_fd, uint32_t slot, uint64_t gpa, size_t size)
{
	struct kvm_userspace_memory_region region;
	void *mem;
	int err;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;

	memset(&region, 0, sizeof(region));
	region.slot = slot;
	region.guest_phys_addr = gpa;
	region.memory_size = size;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		err = errno;
		munmap(mem, size);
		errno = err;
		return NULL;
	}
	return mem;
}

int kt_create_vcpu(int vm_fd, unsigned long id)
{
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);

	return fd < 0 ? -errno : fd;
}

long kt_run_size(int sys_fd)
{
	int size = ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	return size < 0 ? -errno : size;
}

struct kvm_run *kt_map_run(int vcpu_fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vcpu_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void kt_put_code(void *mem, uint64_t gpa, const void *code, size_t len)
{
	memcpy((uint8_t *)mem + gpa, code, len);
}

int kt_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	return ioctl(vcpu_fd, KVM_GET_REGS, regs) < 0 ? -errno : 0;
}

int kt_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return ioctl(vcpu_fd, KVM_SET_REGS, regs) < 0 ? -errno : 0;
}

int kt_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	return ioctl(vcpu_fd, KVM_GET_SREGS, sregs) < 0 ? -errno : 0;
}

int kt_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu_fd, KVM_SET_SREGS, sregs) < 0 ? -errno : 0;
}

static void real_mode_seg(struct kvm_segment *s, uint8_t type)
{
	s->base = 0;
	s->limit = 0xffff;
	s->selector = 0;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 0;
	s->s = 1;
	s->l = 0;
	s->g = 0;
	s->avl = 0;
	s->unusable = 0;
}

int kt_set_real_mode(int vcpu_fd, uint64_t rip)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	r = kt_get_sregs(vcpu_fd, &sregs);
	if (r)
		return r;
	real_mode_seg(&sregs.cs, 0xb);	/* code, execute/read, accessed */
	real_mode_seg(&sregs.ds, 0x3);	/* data, read/write, accessed */
	real_mode_seg(&sregs.es, 0x3);
	real_mode_seg(&sregs.fs, 0x3);
	real_mode_seg(&sregs.gs, 0x3);
	real_mode_seg(&sregs.ss, 0x3);
	r = kt_set_sregs(vcpu_fd, &sregs);
	if (r)
		return r;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = KT_STACK_GPA;
	regs.rflags = 0x2;	/* bit 1 is reserved and always set */
	return kt_set_regs(vcpu_fd, &regs);
}

int kt_run(int vcpu_fd, struct kvm_run *run)
{
	if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
		return -errno;
	return run->exit_reason;
}

const char *kt_exit_name(uint32_t reason)
{
	static const char * const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

void kt_guest_destroy(struct kt_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->mem)
		munmap(g->mem, KT_MEM_SIZE);
	if (g->sys_fd >= 0)
		close(g->sys_fd);
	g->run = NULL;
	g->mem = NULL;
	g->vcpu_fd = g->vm_fd = g->sys_fd = -1;
}

int kt_guest_create(struct kt_guest *g, const void *code, size_t len)
{
	const char *step;
	long size;
	int r;

	memset(g, 0, sizeof(*g));
	g->sys_fd = g->vm_fd = g->vcpu_fd = -1;

	step = "open device";
	r = kt_open_dev();
	if (r < 0)
		goto fail;
	g->sys_fd = r;

	step = "KVM_CREATE_VM";
	r = kt_create_vm(g->sys_fd);
	if (r < 0)
		goto fail;
	g->vm_fd = r;

	step = "KVM_SET_USER_MEMORY_REGION";
	g->mem = kt_add_mem(g->vm_fd, 0, 0, KT_MEM_SIZE);
	if (!g->mem) {
		r = -errno;
		goto fail;
	}

	step = "KVM_CREATE_VCPU";
	r = kt_create_vcpu(g->vm_fd, 0);
	if (r < 0)
		goto fail;
	g->vcpu_fd = r;

	step = "KVM_GET_VCPU_MMAP_SIZE";
	size = kt_run_size(g->sys_fd);
	if (size < 0) {
		r = size;
		goto fail;
	}
	g->run_size = size;

	step = "mmap kvm_run";
	g->run = kt_map_run(g->vcpu_fd, g->run_size);
	if (!g->run) {
		r = -errno;
		goto fail;
	}

	if (code)
		kt_put_code(g->mem, KT_CODE_GPA, code, len);

	step = "set real mode";
	r = kt_set_real_mode(g->vcpu_fd, KT_CODE_GPA);
	if (r)
		goto fail;
	return 0;

fail:
	fprintf(stderr, "# %s: %s (%s): %s\n", __func__, step, kt_dev_path(),
		strerror(-r));
	kt_guest_destroy(g);
	return r;
}

/* ---- CPU modes, page tables, exceptions, CPUID, memslots, vCPUs ---- */

void kt_gdt_fill(void *gdt)
{
	uint64_t d[KT_GDT_SIZE / 8] = {
		0,
		0x00af9b000000ffffULL,	/* KT_SEL_CODE64: L, P, code r/x */
		0x00cf93000000ffffULL,	/* KT_SEL_DATA: G, D/B, data r/w */
		0x00cf9b000000ffffULL,	/* KT_SEL_CODE32: G, D/B, code r/x */
		0x00009b000000ffffULL,	/* KT_SEL_CODE16 */
		0x000093000000ffffULL,	/* KT_SEL_DATA16 */
	};

	memcpy(gdt, d, sizeof(d));
}

static void gdt_seg(struct kvm_segment *s, uint16_t sel)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->present = 1;
	s->s = 1;
	switch (sel) {
	case KT_SEL_CODE64:
		s->limit = 0xffffffff;
		s->type = 0xb;
		s->l = 1;
		s->g = 1;
		break;
	case KT_SEL_CODE32:
		s->limit = 0xffffffff;
		s->type = 0xb;
		s->db = 1;
		s->g = 1;
		break;
	default:
		s->limit = 0xffffffff;
		s->type = 0x3;
		s->db = 1;
		s->g = 1;
		break;
	}
}

int kt_set_mode(int vcpu_fd, const struct kt_mode_cfg *cfg)
{
	struct kvm_sregs s;
	int r;

	r = kt_get_sregs(vcpu_fd, &s);
	if (r)
		return r;
	s.cr0 &= ~(KT_CR0_PE | KT_CR0_PG | KT_CR0_WP);
	s.cr4 = cfg->cr4;
	s.efer = cfg->efer;
	s.cr3 = cfg->cr3;
	s.gdt.base = cfg->gdt;
	s.gdt.limit = cfg->mode == KT_MODE_REAL ? 0xffff : KT_GDT_SIZE - 1;
	s.idt.base = cfg->idt;
	s.idt.limit = cfg->idt_limit;

	if (cfg->mode == KT_MODE_REAL) {
		real_mode_seg(&s.cs, 0xb);
		real_mode_seg(&s.ds, 0x3);
		real_mode_seg(&s.es, 0x3);
		real_mode_seg(&s.fs, 0x3);
		real_mode_seg(&s.gs, 0x3);
		real_mode_seg(&s.ss, 0x3);
		return kt_set_sregs(vcpu_fd, &s);
	}

	s.cr0 |= KT_CR0_PE | KT_CR0_ET | KT_CR0_NE;
	gdt_seg(&s.cs, cfg->mode == KT_MODE_LONG ? KT_SEL_CODE64 :
						   KT_SEL_CODE32);
	gdt_seg(&s.ds, KT_SEL_DATA);
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.limit = 0x67;
	s.tr.type = 0xb;	/* busy 32/64-bit TSS */
	s.tr.present = 1;

	switch (cfg->mode) {
	case KT_MODE_PAGING32:
		s.cr0 |= KT_CR0_PG | KT_CR0_WP;
		s.cr4 |= KT_CR4_PSE;
		break;
	case KT_MODE_PAE:
		s.cr0 |= KT_CR0_PG | KT_CR0_WP;
		s.cr4 |= KT_CR4_PAE;
		break;
	case KT_MODE_LONG:
		s.cr0 |= KT_CR0_PG | KT_CR0_WP;
		s.cr4 |= KT_CR4_PAE;
		s.efer |= KT_EFER_LME | KT_EFER_LMA;
		break;
	default:
		break;
	}
	return kt_set_sregs(vcpu_fd, &s);
}

/* ---- page tables ---- */

static int pt_levels(const struct kt_pt *pt)
{
	switch (pt->mode) {
	case KT_MODE_PAGING32:
		return 2;
	case KT_MODE_PAE:
		return 3;
	default:
		return 4;
	}
}

static unsigned int pt_index(const struct kt_pt *pt, uint64_t gva, int level)
{
	if (pt->mode == KT_MODE_PAGING32)
		return (gva >> (12 + 10 * (level - 1))) & 0x3ff;
	return (gva >> (12 + 9 * (level - 1))) & 0x1ff;
}

static uint64_t pt_read(const struct kt_pt *pt, uint64_t table, unsigned int i)
{
	uint32_t e32;
	uint64_t e;

	if (pt->mode == KT_MODE_PAGING32) {
		memcpy(&e32, pt->hva + (table - pt->gpa) + i * 4, 4);
		return e32;
	}
	memcpy(&e, pt->hva + (table - pt->gpa) + i * 8, 8);
	return e;
}

static void pt_write(struct kt_pt *pt, uint64_t table, unsigned int i,
		     uint64_t e)
{
	uint32_t e32 = e;

	if (pt->mode == KT_MODE_PAGING32)
		memcpy(pt->hva + (table - pt->gpa) + i * 4, &e32, 4);
	else
		memcpy(pt->hva + (table - pt->gpa) + i * 8, &e, 8);
}

static int pt_alloc(struct kt_pt *pt, uint64_t *gpa)
{
	if (pt->used + KT_PAGE_SIZE > pt->size)
		return -ENOMEM;
	*gpa = pt->gpa + pt->used;
	memset(pt->hva + pt->used, 0, KT_PAGE_SIZE);
	pt->used += KT_PAGE_SIZE;
	return 0;
}

static int pt_inside(const struct kt_pt *pt, uint64_t table)
{
	return table >= pt->gpa && table - pt->gpa < pt->size;
}

int kt_pt_init(struct kt_pt *pt, enum kt_mode mode, void *hva,
	       uint64_t gpa, uint64_t size)
{
	if (mode != KT_MODE_PAGING32 && mode != KT_MODE_PAE &&
	    mode != KT_MODE_LONG)
		return -EINVAL;
	if ((gpa | size) & (KT_PAGE_SIZE - 1))
		return -EINVAL;
	pt->mode = mode;
	pt->hva = hva;
	pt->gpa = gpa;
	pt->size = size;
	pt->used = 0;
	return pt_alloc(pt, &pt->root);
}

/* The table at @level for @gva, allocating the ones above it. */
static int pt_table(struct kt_pt *pt, uint64_t gva, int level,
		    uint64_t *table)
{
	uint64_t t = pt->root, addr_mask, e;
	int l, r;

	addr_mask = pt->mode == KT_MODE_PAGING32 ? 0xfffff000ULL :
						    0x000ffffffffff000ULL;
	for (l = pt_levels(pt); l > level; l--) {
		unsigned int i = pt_index(pt, gva, l);

		e = pt_read(pt, t, i);
		if (!(e & KT_PTE_P)) {
			uint64_t next;

			r = pt_alloc(pt, &next);
			if (r)
				return r;
			if (pt->mode == KT_MODE_PAE && l == 3)
				e = next | KT_PTE_P;
			else
				e = next | KT_PTE_P | KT_PTE_W | KT_PTE_U;
			pt_write(pt, t, i, e);
		} else if ((e & KT_PTE_PS) && l <= 3 &&
			   !(pt->mode == KT_MODE_PAE && l == 3)) {
			return -EEXIST;
		}
		t = e & addr_mask;
		if (!pt_inside(pt, t))
			return -EFAULT;
	}
	*table = t;
	return 0;
}

int kt_pt_set_entry(struct kt_pt *pt, uint64_t gva, int level,
		    uint64_t entry)
{
	uint64_t table;
	int r;

	if (level < 1 || level > pt_levels(pt))
		return -EINVAL;
	r = pt_table(pt, gva, level, &table);
	if (r)
		return r;
	pt_write(pt, table, pt_index(pt, gva, level), entry);
	return 0;
}

int kt_pt_map(struct kt_pt *pt, uint64_t gva, uint64_t gpa,
	      uint64_t page_size, uint64_t flags)
{
	uint64_t entry = gpa | KT_PTE_P | flags;
	int level;

	if (page_size == KT_SIZE_4K)
		level = 1;
	else if (page_size == KT_SIZE_4M && pt->mode == KT_MODE_PAGING32)
		level = 2;
	else if (page_size == KT_SIZE_2M && pt->mode != KT_MODE_PAGING32)
		level = 2;
	else if (page_size == KT_SIZE_1G && pt->mode == KT_MODE_LONG)
		level = 3;
	else
		return -EINVAL;
	if ((gva | gpa) & (page_size - 1))
		return -EINVAL;
	if (pt->mode == KT_MODE_PAGING32 &&
	    ((gpa | gva) >> 32 || (flags >> 32)))
		return -EINVAL;
	if (level > 1)
		entry |= KT_PTE_PS;
	return kt_pt_set_entry(pt, gva, level, entry);
}

/* ---- guest exception handlers ---- */

/*
 * Vectors that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC,
 * #CP, #VC, #SX.
 */
#define KT_EXC_HAS_ERROR(v)						\
	"((" v ") == 8 || ((" v ") >= 10 && (" v ") <= 14) || "	\
	"(" v ") == 17 || (" v ") == 21 || (" v ") == 29 || (" v ") == 30)"

#define KT_EXC_VECTORS							\
	"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"	\
	"24,25,26,27,28,29,30,31"

/*
 * The record is at the start of each block, the stub of vector v at
 * 0x40 + 16 * v, the common part after them (see kt_idt_fill()).
 */
asm(".pushsection .rodata.kt_guest,\"a\"\n"
	".globl kt_exc64\n"
	".globl kt_exc64_end\n"
	"kt_exc64:\n\t"
	".fill 0x40, 1, 0\n"
	".irp v, " KT_EXC_VECTORS "\n\t"
	".org kt_exc64 + 0x40 + 16 * \\v\n\t"
	".if !" KT_EXC_HAS_ERROR("\\v") "\n\t"
	"pushq $0\n\t"
	".endif\n\t"
	"pushq $\\v\n\t"
	"jmp 1f\n"
	".endr\n\t"
	".org kt_exc64 + 0x40 + 16 * 32\n"
    /* rbx, rax, vector, error, rip, cs, rflags, rsp, ss */
	"1:\n\t"
	"push %rax\n\t"
	"push %rbx\n\t"
	"lea kt_exc64(%rip), %rbx\n\t"
	"mov 16(%rsp), %rax\n\t"
	"mov %rax, 0(%rbx)\n\t"
	"mov 24(%rsp), %rax\n\t"
	"mov %rax, 8(%rbx)\n\t"
	"mov %cr2, %rax\n\t"
	"mov %rax, 16(%rbx)\n\t"
	"mov 32(%rsp), %rax\n\t"
	"mov %rax, 24(%rbx)\n\t"
	"incq 32(%rbx)\n\t"
	"mov 40(%rbx), %rax\n\t"
	"test %rax, %rax\n\t"
	"jz 2f\n\t"
	"mov %rax, 32(%rsp)\n\t"
	"movq $0, 40(%rbx)\n\t"
	"mov 16(%rsp), %eax\n\t"
	"out %al, $0xe0\n\t"
	"pop %rbx\n\t"
	"pop %rax\n\t"
	"add $16, %rsp\n\t"
	"iretq\n"
	"2:\n\t"
	"mov 16(%rsp), %eax\n\t"
	"out %al, $0xe1\n\t"
	"hlt\n\t"
	"jmp 2b\n"
	"kt_exc64_end:\n"
	".popsection\n");

asm(".pushsection .rodata.kt_guest,\"a\"\n"
	".code32\n"
	".globl kt_exc32\n"
	".globl kt_exc32_end\n"
	"kt_exc32:\n\t"
	".fill 0x40, 1, 0\n"
	".irp v, " KT_EXC_VECTORS "\n\t"
	".org kt_exc32 + 0x40 + 16 * \\v\n\t"
	".if !" KT_EXC_HAS_ERROR("\\v") "\n\t"
	"pushl $0\n\t"
	".endif\n\t"
	"pushl $\\v\n\t"
	"jmp 1f\n"
	".endr\n\t"
	".org kt_exc32 + 0x40 + 16 * 32\n"
    /* ebx, eax, vector, error, eip, cs, eflags */
	"1:\n\t"
	"push %eax\n\t"
	"push %ebx\n\t"
	"call 3f\n"
	"3:\n\t"
	"pop %ebx\n\t"
	"sub $(3b - kt_exc32), %ebx\n\t"
	"mov 8(%esp), %eax\n\t"
	"mov %eax, 0(%ebx)\n\t"
	"mov 12(%esp), %eax\n\t"
	"mov %eax, 8(%ebx)\n\t"
	"mov %cr2, %eax\n\t"
	"mov %eax, 16(%ebx)\n\t"
	"mov 16(%esp), %eax\n\t"
	"mov %eax, 24(%ebx)\n\t"
	"incl 32(%ebx)\n\t"
	"mov 40(%ebx), %eax\n\t"
	"test %eax, %eax\n\t"
	"jz 2f\n\t"
	"mov %eax, 16(%esp)\n\t"
	"movl $0, 40(%ebx)\n\t"
	"mov 8(%esp), %eax\n\t"
	"out %al, $0xe0\n\t"
	"pop %ebx\n\t"
	"pop %eax\n\t"
	"add $8, %esp\n\t"
	"iretl\n"
	"2:\n\t"
	"mov 8(%esp), %eax\n\t"
	"out %al, $0xe1\n\t"
	"hlt\n\t"
	"jmp 2b\n"
	"kt_exc32_end:\n"
	".code64\n"
	".popsection\n");

uint16_t kt_idt_fill(void *idt, uint64_t block_gva, uint16_t sel,
		     int long_mode)
{
	uint8_t *p = idt;
	int v;

	for (v = 0; v < 32; v++) {
		uint64_t off = block_gva + 0x40 + 16 * v;
		uint64_t lo = (off & 0xffff) | ((uint64_t)sel << 16) |
			      (0x8eULL << 40) |	/* P, DPL 0, interrupt gate */
			      ((off >> 16 & 0xffff) << 48);

		if (long_mode) {
			uint64_t hi = off >> 32;

			memcpy(p + 16 * v, &lo, 8);
			memcpy(p + 16 * v + 8, &hi, 8);
		} else {
			memcpy(p + 8 * v, &lo, 8);
		}
	}
	return long_mode ? 32 * 16 - 1 : 32 * 8 - 1;
}

/* ---- hypervisor, CPUID, memslots, vCPUs ---- */

int kt_is_kvmod(void)
{
	return access("/sys/module/kvmod", F_OK) == 0;
}

int kt_check_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? -errno : r;
}

struct kt_one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

int kt_get_msr(int vcpu_fd, uint32_t index, uint64_t *val)
{
	struct kt_one_msr m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	r = ioctl(vcpu_fd, KVM_GET_MSRS, &m);
	if (r < 0)
		return -errno;
	*val = m.e.data;
	return r;
}

int kt_set_msr(int vcpu_fd, uint32_t index, uint64_t val)
{
	struct kt_one_msr m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = val;
	r = ioctl(vcpu_fd, KVM_SET_MSRS, &m);
	return r < 0 ? -errno : r;
}

int kt_ioctl_errno(int fd, unsigned long req, unsigned long arg)
{
	errno = 0;
	if (ioctl(fd, req, arg) != -1)
		return 0;
	return errno;
}

struct kvm_cpuid2 *kt_get_supported_cpuid(int sys_fd)
{
	int n = 64;

	for (;;) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG || n >= 4096)
			return NULL;
		n *= 2;
	}
}

struct kvm_cpuid_entry2 *kt_cpuid_find(struct kvm_cpuid2 *c,
				       uint32_t function, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

int kt_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *c)
{
	return ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
}

int kt_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

int kt_vcpu_open(int sys_fd, int vm_fd, unsigned long id, struct kt_vcpu *v)
{
	struct kvm_cpuid2 *cpuid;
	long size;
	int r;

	v->fd = -1;
	v->run = NULL;
	size = kt_run_size(sys_fd);
	if (size < 0)
		return size;
	v->run_size = size;
	r = kt_create_vcpu(vm_fd, id);
	if (r < 0)
		return r;
	v->fd = r;
	v->run = kt_map_run(v->fd, v->run_size);
	if (!v->run) {
		r = -errno;
		goto fail;
	}
	cpuid = kt_get_supported_cpuid(sys_fd);
	if (!cpuid) {
		r = -errno;
		goto fail;
	}
	r = kt_set_cpuid(v->fd, cpuid);
	free(cpuid);
	if (r)
		goto fail;
	return 0;
fail:
	kt_vcpu_close(v);
	return r;
}

void kt_vcpu_close(struct kt_vcpu *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

void kt_hold_a_vm(void)
{
	int sys_fd = kt_open_dev();
	int vm_fd;

	if (sys_fd < 0)
		return;
	vm_fd = kt_create_vm(sys_fd);
	if (vm_fd >= 0)
		kt_create_vcpu(vm_fd, 0);
}

/* ---- a long-mode VM ---- */

void kt_lm_destroy(struct kt_lm *lm)
{
	int i;

	for (i = 0; i < lm->nr_vcpus; i++)
		kt_vcpu_close(&lm->v[i]);
	if (lm->vm_fd >= 0)
		close(lm->vm_fd);
	if (lm->sys_fd >= 0)
		close(lm->sys_fd);
	if (lm->low)
		munmap(lm->low, lm->low_size);
	free(lm->cpuid);
	memset(lm, 0, sizeof(*lm));
	lm->sys_fd = -1;
	lm->vm_fd = -1;
}

static int lm_vcpu_setup(struct kt_lm *lm, int i)
{
	struct kt_mode_cfg cfg = {
		.mode = KT_MODE_LONG,
		.cr3 = lm->pt.root,
		.gdt = KT_LM_GDT,
		.idt = KT_LM_IDT,
	};
	struct kvm_regs regs;
	int r;

	r = kt_vcpu_open(lm->sys_fd, lm->vm_fd, i, &lm->v[i]);
	if (r)
		return r;
	lm->nr_vcpus = i + 1;
	cfg.idt_limit = kt_idt_fill(lm->low + KT_LM_IDT, KT_LM_EXC,
				    KT_SEL_CODE64, 1);
	r = kt_set_mode(lm->v[i].fd, &cfg);
	if (r)
		return r;
	memset(&regs, 0, sizeof(regs));
	regs.rip = KT_LM_CODE;
	regs.rsp = KT_LM_STACKS + (i + 1) * KT_PAGE_SIZE;
	regs.rflags = 0x2;
	return kt_set_regs(lm->v[i].fd, &regs);
}

int kt_lm_create(struct kt_lm *lm, size_t low_size, int nr_vcpus,
		 const void *code, size_t len)
{
	const char *step;
	uint64_t a;
	int i, r;

	memset(lm, 0, sizeof(*lm));
	lm->sys_fd = -1;
	lm->vm_fd = -1;
	r = -EINVAL;
	step = "arguments";
	if (nr_vcpus < 1 || nr_vcpus > KT_LM_MAX_VCPUS ||
	    low_size < 0x80000 || low_size % KT_PAGE_SIZE ||
	    len > KT_LM_STACKS - KT_LM_CODE)
		goto fail;

	step = "open device";
	r = kt_open_dev();
	if (r < 0)
		goto fail;
	lm->sys_fd = r;
	step = "KVM_CREATE_VM";
	r = kt_create_vm(lm->sys_fd);
	if (r < 0)
		goto fail;
	lm->vm_fd = r;
	step = "KVM_GET_SUPPORTED_CPUID";
	lm->cpuid = kt_get_supported_cpuid(lm->sys_fd);
	if (!lm->cpuid) {
		r = -errno;
		goto fail;
	}

	step = "slot 0";
	lm->low_size = low_size;
	lm->low = kt_add_mem(lm->vm_fd, 0, 0, low_size);
	if (!lm->low) {
		r = -errno;
		goto fail;
	}
	kt_gdt_fill(lm->low + KT_LM_GDT);
	memcpy(lm->low + KT_LM_EXC, kt_exc64, kt_exc64_end - kt_exc64);
	lm->exc = (struct kt_exc_rec *)(lm->low + KT_LM_EXC);
	memcpy(lm->low + KT_LM_CODE, code, len);

	step = "page tables";
	r = kt_pt_init(&lm->pt, KT_MODE_LONG, lm->low + KT_LM_PT, KT_LM_PT,
		       KT_LM_PT_SIZE);
	for (a = 0; !r && a < low_size; a += KT_PAGE_SIZE)
		r = kt_pt_map(&lm->pt, a, a, KT_SIZE_4K, KT_PTE_W);
	if (r)
		goto fail;

	step = "vCPUs";
	for (i = 0; i < nr_vcpus; i++) {
		r = lm_vcpu_setup(lm, i);
		if (r)
			goto fail;
	}
	return 0;

fail:
	fprintf(stderr, "# %s: %s: %s\n", __func__, step, strerror(-r));
	kt_lm_destroy(lm);
	return r;
}
