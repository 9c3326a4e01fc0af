/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the kvmod selftests: open the device, create a
 * VM with one memory slot, create a vCPU, map its kvm_run, place real-mode
 * guest code and run it.
 *
 * Every helper returns a negative errno (or NULL with errno set) on failure
 * and never aborts, so that the tests decide what a failure means.
 */
#ifndef KVMOD_SELFTESTS_KVM_UTIL_H
#define KVMOD_SELFTESTS_KVM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Guest physical layout used by kt_guest_create(). */
#define KT_MEM_SIZE	0x10000UL	/* slot 0: GPA 0 .. 64 KiB */
#define KT_CODE_GPA	0x1000UL	/* guest code */
#define KT_DATA_GPA	0x2000UL	/* scratch data, up to KT_STACK_GPA */
#define KT_STACK_GPA	0x8000UL	/* initial SP, grows down */

#define KT_PAGE_SIZE	4096UL

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * Define a block of 16-bit (real-mode) guest code assembled with the test
 * binary.  The code must be position independent with respect to its own
 * labels (relative jumps only); absolute memory operands use plain numbers,
 * e.g. KT_DATA_GPA spelled as 0x2000.
 *
 *	KT_GUEST_CODE16(out_hlt,
 *		"mov $0x42, %al\n\t"
 *		"out %al, $0x10\n\t"
 *		"hlt\n\t");
 *
 * gives the byte arrays out_hlt[] .. out_hlt_end[].
 */
#define KT_GUEST_CODE16(name, body)					\
	extern const unsigned char name[], name##_end[];		\
	asm(".pushsection .rodata.kt_guest,\"a\"\n"			\
	    ".code16\n"							\
	    #name ":\n\t"						\
	    body "\n"							\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection\n")

/* Same, for 64-bit guest code. */
#define KT_GUEST_CODE64(name, body)					\
	extern const unsigned char name[], name##_end[];		\
	asm(".pushsection .rodata.kt_guest,\"a\"\n"			\
	    #name ":\n\t"						\
	    body "\n"							\
	    #name "_end:\n"						\
	    ".popsection\n")

#define KT_CODE_LEN(name)	((size_t)((name##_end) - (name)))

/* The device node: $KVM_DEV, or /dev/kvm. */
const char *kt_dev_path(void);

/* open(kt_dev_path(), O_RDWR | O_CLOEXEC): fd or -errno. */
int kt_open_dev(void);

/* KVM_CREATE_VM with type 0 on @sys_fd: fd or -errno. */
int kt_create_vm(int sys_fd);

/*
 * mmap @size bytes of anonymous memory and register it as @slot at @gpa:
 * host pointer, or NULL with errno set.
 */
void *kt_add_mem(int vm_fd, uint32_t slot, uint64_t gpa, size_t size);

/* KVM_CREATE_VCPU: fd or -errno. */
int kt_create_vcpu(int vm_fd, unsigned long id);

/* KVM_GET_VCPU_MMAP_SIZE on @sys_fd: size or -errno. */
long kt_run_size(int sys_fd);

/* mmap the kvm_run area of @vcpu_fd: pointer, or NULL with errno set. */
struct kvm_run *kt_map_run(int vcpu_fd, size_t size);

/* Copy @len bytes of guest code to @gpa of a slot mapped at @mem (GPA 0). */
void kt_put_code(void *mem, uint64_t gpa, const void *code, size_t len);

/*
 * Put the vCPU in real mode with CS base and selector 0 and all data
 * segments at base 0, RIP = @rip, SP = KT_STACK_GPA, RFLAGS = 0x2.
 * 0 or -errno.
 */
int kt_set_real_mode(int vcpu_fd, uint64_t rip);

/* KVM_RUN once: the exit reason (>= 0) or -errno. */
int kt_run(int vcpu_fd, struct kvm_run *run);

/* A name for a KVM_EXIT_* value, for messages. */
const char *kt_exit_name(uint32_t reason);

/* Everything most tests need: one VM, one slot at GPA 0, one vCPU. */
struct kt_guest {
	int sys_fd;
	int vm_fd;
	int vcpu_fd;
	uint8_t *mem;		/* host view of GPA 0 .. KT_MEM_SIZE */
	struct kvm_run *run;
	size_t run_size;
};

/*
 * Open the device, create a VM, a KT_MEM_SIZE slot at GPA 0, vCPU 0 and its
 * kvm_run, copy @code (if any) to KT_CODE_GPA and set real mode with RIP
 * there.  0 or -errno; on failure everything created is released and a
 * message naming the failing step is printed to stderr.
 */
int kt_guest_create(struct kt_guest *g, const void *code, size_t len);

/* Release what kt_guest_create() made; fds already closed are -1. */
void kt_guest_destroy(struct kt_guest *g);

/* KVM_GET_REGS / KVM_SET_REGS / KVM_GET_SREGS / KVM_SET_SREGS: 0 or -errno. */
int kt_get_regs(int vcpu_fd, struct kvm_regs *regs);
int kt_set_regs(int vcpu_fd, const struct kvm_regs *regs);
int kt_get_sregs(int vcpu_fd, struct kvm_sregs *sregs);
int kt_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs);

/* Pointer to the data of the current KVM_EXIT_IO. */
static inline uint8_t *kt_io_data(struct kvm_run *run)
{
	return (uint8_t *)run + run->io.data_offset;
}

/* ---- CPU modes, page tables, exceptions, CPUID, memslots, vCPUs ---- */

/* Same as KT_GUEST_CODE16, for 32-bit protected-mode guest code. */
#define KT_GUEST_CODE32(name, body)					\
	extern const unsigned char name[], name##_end[];		\
	asm(".pushsection .rodata.kt_guest,\"a\"\n"			\
	    ".code32\n"							\
	    #name ":\n\t"						\
	    body "\n"							\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection\n")

#define KT_CR0_PE	(1ULL << 0)
#define KT_CR0_ET	(1ULL << 4)
#define KT_CR0_NE	(1ULL << 5)
#define KT_CR0_WP	(1ULL << 16)
#define KT_CR0_PG	(1ULL << 31)
#define KT_CR4_PSE	(1ULL << 4)
#define KT_CR4_PAE	(1ULL << 5)
#define KT_EFER_LME	(1ULL << 8)
#define KT_EFER_LMA	(1ULL << 10)
#define KT_EFER_NXE	(1ULL << 11)

/* Paging-structure entry bits. */
#define KT_PTE_P	(1ULL << 0)
#define KT_PTE_W	(1ULL << 1)
#define KT_PTE_U	(1ULL << 2)
#define KT_PTE_A	(1ULL << 5)
#define KT_PTE_D	(1ULL << 6)
#define KT_PTE_PS	(1ULL << 7)
#define KT_PTE_NX	(1ULL << 63)

/* #PF error code bits. */
#define KT_PF_P		(1U << 0)
#define KT_PF_W		(1U << 1)
#define KT_PF_U		(1U << 2)
#define KT_PF_RSVD	(1U << 3)
#define KT_PF_ID	(1U << 4)

#define KT_PF_VECTOR	14
#define KT_GP_VECTOR	13

#define KT_SIZE_4K	0x1000ULL
#define KT_SIZE_2M	0x200000ULL
#define KT_SIZE_4M	0x400000ULL
#define KT_SIZE_1G	0x40000000ULL

/* Selectors of the descriptors kt_gdt_fill() writes. */
#define KT_SEL_CODE64	0x08	/* 64-bit code */
#define KT_SEL_DATA	0x10	/* flat 4 GiB data, 32-bit */
#define KT_SEL_CODE32	0x18	/* flat 4 GiB code, 32-bit */
#define KT_SEL_CODE16	0x20	/* 64 KiB code at 0, 16-bit */
#define KT_SEL_DATA16	0x28	/* 64 KiB data at 0, 16-bit */
#define KT_GDT_SIZE	0x30

/* Write the descriptors named by KT_SEL_* to @gdt (KT_GDT_SIZE bytes). */
void kt_gdt_fill(void *gdt);

enum kt_mode {
	KT_MODE_REAL,		/* real mode, every segment at 0 */
	KT_MODE_PROT32,		/* flat 32-bit protected mode, no paging */
	KT_MODE_PAGING32,	/* 32-bit paging: 2 levels, CR4.PSE set */
	KT_MODE_PAE,		/* PAE paging: 3 levels */
	KT_MODE_LONG,		/* 64-bit mode, 4-level paging */
};

struct kt_mode_cfg {
	enum kt_mode mode;
	uint64_t cr3;		/* paging modes: the top table */
	uint64_t gdt;		/* protected modes: a kt_gdt_fill() GDT */
	uint64_t idt;		/* IDT base ... */
	uint16_t idt_limit;	/* ... and limit (0: none) */
	uint64_t efer;		/* EFER bits beyond those of the mode */
	uint64_t cr4;		/* CR4 bits beyond those of the mode */
};

/*
 * KVM_SET_SREGS for @cfg: CR0 (PE, ET, NE, and PG with WP in the paging
 * modes), CR3, CR4, EFER, GDTR, IDTR, and flat segments from the GDT
 * (real mode: segments at 0 as kt_set_real_mode() sets them); TR is a
 * busy TSS at 0.  The general registers are left alone.  0 or -errno.
 */
int kt_set_mode(int vcpu_fd, const struct kt_mode_cfg *cfg);

/*
 * Page tables built in a guest-physical area the test can see through a
 * host pointer.  Levels: 1 = page table (4 KiB pages), 2 = page directory
 * (2 MiB or, under 32-bit paging, 4 MiB pages), 3 = PDPT (1 GiB pages in
 * long mode), 4 = PML4.
 */
struct kt_pt {
	enum kt_mode mode;	/* KT_MODE_PAGING32, _PAE or _LONG */
	uint8_t *hva;		/* host view of the area */
	uint64_t gpa;		/* its guest-physical address */
	uint64_t size;		/* its size */
	uint64_t used;		/* bytes of it holding tables */
	uint64_t root;		/* the top table, for CR3 */
};

/*
 * Start page tables for @mode in the area [@gpa, @gpa + @size) seen at
 * @hva (page aligned); the area is zeroed and the top table allocated.
 * 0 or -errno.
 */
int kt_pt_init(struct kt_pt *pt, enum kt_mode mode, void *hva,
	       uint64_t gpa, uint64_t size);

/*
 * Map the page of @page_size (KT_SIZE_4K, _2M, _4M or _1G as the mode
 * allows) at @gva to @gpa, with KT_PTE_P, KT_PTE_PS as needed and @flags
 * (KT_PTE_W, _U, _NX, or any raw bits) in the leaf.  Missing tables are
 * allocated with P, W and U (a PAE PDPTE with P only).  0, -EINVAL for a
 * bad size or alignment, -EEXIST when a large page is in the way, -ENOMEM
 * when the area is full, -EFAULT when a table is outside the area.
 */
int kt_pt_map(struct kt_pt *pt, uint64_t gva, uint64_t gpa,
	      uint64_t page_size, uint64_t flags);

/*
 * Store the raw @entry at @level of the walk for @gva, allocating the
 * tables above it as kt_pt_map() does.  0 or -errno as kt_pt_map().
 */
int kt_pt_set_entry(struct kt_pt *pt, uint64_t gva, int level,
		    uint64_t entry);

/*
 * Guest exception handlers for vectors 0-31: kt_exc64 for 64-bit guests,
 * kt_exc32 for 32-bit protected mode.  The block starts with a struct
 * kt_exc_rec; copy it to guest memory and point the IDT at it with
 * kt_idt_fill().  A handler records the exception and then
 *  - if rec.fixup is set: clears it, makes OUT of the vector (1 byte) to
 *    KT_PORT_EXC and returns to the fixup address;
 *  - otherwise: OUT of the vector to KT_PORT_EXC_FATAL, then HLT forever.
 * 32-bit handlers store the low halves of the fields.
 */
struct kt_exc_rec {
	uint64_t vector;
	uint64_t error;		/* error code, 0 for vectors without one */
	uint64_t cr2;
	uint64_t rip;		/* RIP the exception pushed */
	uint64_t count;		/* exceptions so far */
	uint64_t fixup;		/* where to resume, or 0 */
};

#define KT_EXC_FIXUP_OFF	40	/* offsetof(struct kt_exc_rec, fixup) */
#define KT_PORT_EXC		0xe0
#define KT_PORT_EXC_FATAL	0xe1

extern const unsigned char kt_exc64[], kt_exc64_end[];
extern const unsigned char kt_exc32[], kt_exc32_end[];

/*
 * Write 32 interrupt gates (vectors 0-31) to @idt for handler block
 * kt_exc64 (@long_mode) or kt_exc32 copied to guest address @block_gva,
 * with code selector @sel.  Returns the IDT limit to load.
 */
uint16_t kt_idt_fill(void *idt, uint64_t block_gva, uint16_t sel,
		     int long_mode);

/* Is the hypervisor behind the device kvmod (rather than in-tree KVM)? */
int kt_is_kvmod(void);

/*
 * KVM_GET_MSRS / KVM_SET_MSRS of the one MSR @index: 1 when it was
 * processed, 0 when KVM refused it, -errno when the ioctl failed.
 */
int kt_get_msr(int vcpu_fd, uint32_t index, uint64_t *val);
int kt_set_msr(int vcpu_fd, uint32_t index, uint64_t val);

/* KVM_CHECK_EXTENSION on @fd: the value (>= 0) or -errno. */
int kt_check_cap(int fd, long cap);

/* ioctl(@fd, @req, @arg): 0 when it succeeds, else its errno. */
int kt_ioctl_errno(int fd, unsigned long req, unsigned long arg);

/*
 * KVM_GET_SUPPORTED_CPUID: a malloc()ed table, or NULL with errno set.
 */
struct kvm_cpuid2 *kt_get_supported_cpuid(int sys_fd);

/* The entry for @function/@index in @c, or NULL. */
struct kvm_cpuid_entry2 *kt_cpuid_find(struct kvm_cpuid2 *c,
				       uint32_t function, uint32_t index);

/* KVM_SET_CPUID2: 0 or -errno. */
int kt_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *c);

/*
 * KVM_SET_USER_MEMORY_REGION of [@gpa, @gpa + @size) backed at @hva
 * (size 0 deletes the slot): 0 or -errno.
 */
int kt_set_region(int vm_fd, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *hva);

/* A vCPU and its kvm_run. */
struct kt_vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/*
 * KVM_CREATE_VCPU @id, map its kvm_run (size from @sys_fd) and give it
 * the hypervisor's supported CPUID.  0 or -errno (nothing left open).
 */
int kt_vcpu_open(int sys_fd, int vm_fd, unsigned long id, struct kt_vcpu *v);

/* Unmap and close what kt_vcpu_open() made. */
void kt_vcpu_close(struct kt_vcpu *v);

/*
 * Hold one VM with a vCPU open until the process exits, as
 * selftests/run's keeper does (see lib/kvm_keeper.c), for binaries that
 * may run on their own against in-tree KVM.  Call it from a constructor.
 */
void kt_hold_a_vm(void);

/*
 * A long-mode VM: slot 0 of @low_size bytes at GPA 0, identity-mapped
 * with 4 KiB pages, holding the following.
 */
#define KT_LM_GDT	0x1000ULL	/* kt_gdt_fill() */
#define KT_LM_IDT	0x1800ULL	/* kt_idt_fill(), 64-bit */
#define KT_LM_EXC	0x2000ULL	/* kt_exc64 and its struct kt_exc_rec */
#define KT_LM_CODE	0x8000ULL	/* guest code, up to 32 KiB */
#define KT_LM_STACKS	0x10000ULL	/* 4 KiB of stack per vCPU */
#define KT_LM_PT	0x20000ULL	/* page tables, 256 KiB */
#define KT_LM_PT_SIZE	0x40000ULL
#define KT_LM_FREE	0x60000ULL	/* the rest is the test's */
#define KT_LM_MAX_VCPUS	16

struct kt_lm {
	int sys_fd;
	int vm_fd;
	int nr_vcpus;
	struct kt_vcpu v[KT_LM_MAX_VCPUS];
	uint8_t *low;			/* host view of slot 0 */
	size_t low_size;
	struct kt_pt pt;		/* add mappings with kt_pt_map() */
	struct kt_exc_rec *exc;		/* in @low */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
};

/*
 * Open the device and make the VM above with @nr_vcpus vCPUs (supported
 * CPUID set), @code copied to KT_LM_CODE, every vCPU in 64-bit mode at
 * CPL 0 with RIP = KT_LM_CODE, RSP at the top of its stack, RFLAGS = 0x2
 * and the other registers 0.  @low_size: a multiple of 4 KiB, at least
 * 512 KiB.  0 or -errno; on failure everything is released and the
 * failing step printed to stderr.
 */
int kt_lm_create(struct kt_lm *lm, size_t low_size, int nr_vcpus,
		 const void *code, size_t len);

/* Release what kt_lm_create() made (also after a partial failure). */
void kt_lm_destroy(struct kt_lm *lm);

#endif /* KVMOD_SELFTESTS_KVM_UTIL_H */
