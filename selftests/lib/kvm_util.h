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

#endif /* KVMOD_SELFTESTS_KVM_UTIL_H */
