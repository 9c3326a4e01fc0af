/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small library for guest code written in C, for interrupt, timer and
 * SMP tests.
 *
 * How guest code runs
 * -------------------
 * Guest code is ordinary C in the test binary.  kg_vm_create() copies the
 * test binary's loaded image (every PT_LOAD segment: code, read-only data,
 * data, bss) into a memory slot of the VM and maps it in the guest's page
 * tables at the very virtual addresses the host uses.  So a guest function
 * is called by its host address, function pointers and string constants
 * mean the same on both sides, and the host can print a guest's file name
 * or assertion text directly.
 *
 * Each VM has its own copy of the image, taken when kg_vm_create() runs:
 *  - what the host wrote to a global before kg_vm_create() the guest sees;
 *  - afterwards the two copies are separate: the host reads and writes the
 *    guest's copy of a global with KG_GUEST(vm, var), e.g.
 *	KG_GUEST(&vm, ticks) = 0;  ...  n = KG_GUEST(&vm, ticks);
 *  - all vCPUs of one VM share the guest copy, so globals are how guest
 *    vCPUs share data (use volatile accesses or __atomic builtins).
 *
 * Rules for guest code: no libc (no printf, memset, memcpy, errno: not
 * even implicitly, e.g. by initializing a large local struct), no thread
 * locals, nothing the dynamic loader resolves lazily.  Only guest.h's
 * helpers and the guest's own static functions.  The selftests build with
 * -mno-red-zone (an interrupt frame would overwrite the red zone of the
 * interrupted function) and guest code may use SSE: CR4.OSFXSR is set and
 * the interrupt entry saves the FPU/SSE state around handlers.
 *
 * Guest memory
 * ------------
 * Slot 0 is KG_LOW_SIZE bytes at GPA 0, identity-mapped: the GDT, the IDT
 * (256 gates), the per-vCPU data (struct kg_cpu, found through GS), one
 * stack of KG_STACK_SIZE per vCPU, page tables, the AP trampoline, and
 * from KG_FREE on memory for the test (host view: vm->low + gpa).  Slot 1
 * holds the image copy.  The xAPIC page (0xfee00000) and the IOAPIC page
 * (0xfec00000) are identity-mapped too (uncached), with no memory behind
 * them: they reach the in-kernel irqchip, or exit as MMIO without it.
 *
 * vCPUs
 * -----
 * kg_vcpu_add() creates a vCPU and starts it in 64-bit mode at CPL 0 in a
 * C function void fn(void) with RFLAGS.IF = 0, GS.base = its struct
 * kg_cpu and RSP at the top of its stack; returning from fn is
 * GUEST_DONE().  kg_vcpu_create() only creates the vCPU (e.g. an AP left
 * in KVM_MP_STATE_UNINITIALIZED for INIT/SIPI); kg_vcpu_enter() sets it up
 * as kg_vcpu_add() does.  An AP woken by SIPI vector KG_SIPI_VECTOR runs
 * the real-mode trampoline at KG_TRAMPOLINE, which reports
 * GUEST_SYNC(KG_SYNC_TRAMPOLINE) over the port from real mode, enters
 * long mode and calls the function set with kg_set_ap_entry() on the
 * stack of the vCPU whose APIC ID it reads (needs the in-kernel LAPIC).
 *
 * Interrupts
 * ----------
 * Every IDT vector has a stub that pushes the vector (and a 0 error code
 * where the CPU pushes none), saves the general registers and the FXSAVE
 * state and calls the C handler registered for the vector with a struct
 * kg_frame the handler may change (e.g. rip).  A vector without a handler
 * reports GUEST_ABORT with the vector, error code and RIP.  Handlers are
 * per VM: guest_set_handler() from guest code, kg_set_handler() from the
 * host.
 *
 * Guest-to-host calls
 * -------------------
 * GUEST_SYNC(v), GUEST_DONE(), GUEST_ASSERT(cond), GUEST_ASSERT_EQ(a, b),
 * GUEST_ASSERT_LE(a, b) and GUEST_ABORT(text, a, b) fill a struct kg_ucall
 * on the guest stack and write its address (32 bits) to port
 * KG_UCALL_PORT; kg_run() runs a vCPU once and decodes that exit.  The
 * guest stops for good after an ABORT.  kg_run() is safe to call from one
 * host thread per vCPU.
 *
 * Two things KVM_RUN does that tests meet here:
 *  - the OUT of a guest call completes in the next KVM_RUN (KVM_GET_REGS
 *    still shows RIP at the OUT): to save a vCPU's state after a guest
 *    call, run it once with kvm_run.immediate_exit = 1 first (EINTR);
 *  - with the in-kernel irqchip, KVM_RUN of an AP waiting in
 *    KVM_MP_STATE_UNINITIALIZED returns EAGAIN (in-tree KVM) when INIT or
 *    SIPI arrives: run it again.
 */
#ifndef KVMOD_SELFTESTS_GUEST_H
#define KVMOD_SELFTESTS_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "kvm_util.h"

/* ---- guest memory layout (slot 0, identity-mapped) ---- */
#define KG_GDT			0x1000ULL
#define KG_IDT			0x2000ULL	/* 256 gates, 4 KiB */
#define KG_TRAMPOLINE		0x3000ULL	/* AP start, real mode */
#define KG_SIPI_VECTOR		(KG_TRAMPOLINE >> 12)
#define KG_AP_MAILBOX		0x3f00ULL	/* trampoline parameters */
#define KG_CPUS			0x4000ULL	/* struct kg_cpu [KG_MAX_VCPUS] */
#define KG_STACKS		0x10000ULL	/* one stack per vCPU */
#define KG_STACK_SIZE		0x4000ULL
#define KG_PT			0x60000ULL	/* page tables */
#define KG_PT_SIZE		0x40000ULL
#define KG_FREE			0x100000ULL	/* the test's */
#define KG_LOW_SIZE		0x400000ULL
#define KG_IMAGE_GPA		0x40000000ULL	/* slot 1: image copy */
#define KG_MAX_VCPUS		16

#define KG_XAPIC_BASE		0xfee00000ULL
#define KG_IOAPIC_BASE		0xfec00000ULL

#define KG_UCALL_PORT		0xe4

/* ---- the guest-to-host call ---- */
enum kg_status {
	KG_OTHER = 0,	/* an exit that is not a guest call: see run */
	KG_SYNC,
	KG_DONE,
	KG_ABORT,
};

/* The value GUEST_SYNC reports when the AP trampoline starts. */
#define KG_SYNC_TRAMPOLINE	0x7a3b0000ULL

struct kg_ucall {
	uint64_t cmd;		/* enum kg_status */
	uint64_t args[4];	/* SYNC: args[0]; ABORT: values */
	const char *file;	/* ABORT: where, and what (host pointers) */
	uint64_t line;
	const char *text;
};

/* Per-vCPU data, in slot 0; GS.base points at a vCPU's own. */
struct kg_cpu {
	struct kg_cpu *self;
	uint64_t id;		/* vCPU index (= the id it was created with) */
	uint64_t stack_top;
	uint64_t irq_count;	/* handlers this vCPU ran */
	uint64_t last_vector;
	uint64_t data[8];	/* the test's */
	uint64_t reserved[3];
};

/* What the interrupt entry saved: the handler may change any of it. */
struct kg_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*kg_handler_t)(struct kg_frame *f);

/* ---- guest side ---- */

void __kg_ucall(uint64_t cmd, const char *file, uint64_t line,
		const char *text, uint64_t a0, uint64_t a1);
void __kg_abort(const char *file, uint64_t line, const char *text,
		uint64_t a0, uint64_t a1) __attribute__((noreturn));

#define GUEST_SYNC(v)	__kg_ucall(KG_SYNC, __FILE__, __LINE__, NULL,	\
				   (uint64_t)(v), 0)
#define GUEST_DONE()	__kg_ucall(KG_DONE, __FILE__, __LINE__, NULL, 0, 0)
#define GUEST_ABORT(text, a, b)						\
	__kg_abort(__FILE__, __LINE__, text, (uint64_t)(a), (uint64_t)(b))
#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			GUEST_ABORT(#cond, 0, 0);			\
	} while (0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);	\
		if (__a != __b)						\
			GUEST_ABORT(#a " == " #b, __a, __b);		\
	} while (0)
/* a <= b, unsigned */
#define GUEST_ASSERT_LE(a, b)						\
	do {								\
		uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);	\
		if (__a > __b)						\
			GUEST_ABORT(#a " <= " #b, __a, __b);		\
	} while (0)

/* Install @fn for @vector in this VM (NULL: back to "unexpected"). */
void guest_set_handler(int vector, kg_handler_t fn);

static inline struct kg_cpu *kg_this_cpu(void)
{
	struct kg_cpu *c;

	asm volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline uint64_t kg_cpu_id(void)
{
	return kg_this_cpu()->id;
}

static inline void kg_cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void kg_sti(void)
{
	asm volatile("sti" ::: "memory");
}

/* STI; HLT: the interrupt shadow makes the pair atomic. */
static inline void kg_safe_halt(void)
{
	asm volatile("sti; hlt" ::: "memory");
}

static inline void kg_hlt(void)
{
	asm volatile("hlt" ::: "memory");
}

/* STI; NOP; CLI: open an interrupt window of one instruction. */
static inline void kg_irq_window(void)
{
	asm volatile("sti; nop; cli" ::: "memory");
}

static inline void kg_pause(void)
{
	asm volatile("pause" ::: "memory");
}

static inline uint64_t kg_rflags(void)
{
	uint64_t f;

	asm volatile("pushf; pop %0" : "=r"(f) :: "memory");
	return f;
}

static inline uint64_t kg_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t kg_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return (uint64_t)hi << 32 | lo;
}

static inline void kg_wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void kg_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a,
			    uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(sub));
}

static inline void kg_outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" :: "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t kg_inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint64_t kg_read64(const volatile void *p)
{
	return *(const volatile uint64_t *)p;
}

static inline void kg_write64(volatile void *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}

static inline uint64_t kg_atomic_inc(volatile uint64_t *p)
{
	return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST);
}

/* ---- local APIC (guest side) ---- */
#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_TASKPRI		0x80
#define APIC_PROCPRI		0xa0
#define APIC_EOI		0xb0
#define APIC_LDR		0xd0
#define APIC_DFR		0xe0
#define APIC_SPIV		0xf0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ESR		0x280
#define APIC_ICR		0x300
#define APIC_ICR2		0x310
#define APIC_LVTT		0x320
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_SELF_IPI		0x3f0	/* x2APIC only */

#define APIC_SPIV_ENABLE	(1U << 8)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_LVT_PERIODIC	(1U << 17)
#define APIC_LVT_TSCDEADLINE	(2U << 17)
#define APIC_DM_FIXED		(0U << 8)
#define APIC_DM_LOWEST		(1U << 8)
#define APIC_DM_NMI		(4U << 8)
#define APIC_DM_INIT		(5U << 8)
#define APIC_DM_STARTUP		(6U << 8)
#define APIC_DEST_LOGICAL	(1U << 11)
#define APIC_ICR_BUSY		(1U << 12)
#define APIC_LEVEL_ASSERT	(1U << 14)
#define APIC_TRIGGER_LEVEL	(1U << 15)
#define APIC_DEST_SELF		(1U << 18)
#define APIC_DEST_ALL		(2U << 18)
#define APIC_DEST_ALL_BUT_SELF	(3U << 18)
#define APIC_TDR_DIV_1		0xb
#define APIC_TDR_DIV_2		0x0
#define APIC_TDR_DIV_16		0x3
#define APIC_TDR_DIV_128	0xa

#define MSR_IA32_APICBASE		0x1b
#define MSR_IA32_APICBASE_BSP		(1ULL << 8)
#define MSR_IA32_APICBASE_EXTD		(1ULL << 10)
#define MSR_IA32_APICBASE_ENABLE	(1ULL << 11)
#define MSR_IA32_TSC_DEADLINE		0x6e0
#define MSR_X2APIC_BASE			0x800

static inline uint32_t xapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(KG_XAPIC_BASE + reg);
}

static inline void xapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(KG_XAPIC_BASE + reg) = v;
}

static inline uint64_t x2apic_read(uint32_t reg)
{
	return kg_rdmsr(MSR_X2APIC_BASE + (reg >> 4));
}

static inline void x2apic_write(uint32_t reg, uint64_t v)
{
	kg_wrmsr(MSR_X2APIC_BASE + (reg >> 4), v);
}

/* Software-enable the xAPIC with spurious vector 0xff. */
static inline void xapic_enable(void)
{
	xapic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
}

/* Send an IPI through the xAPIC ICR and wait until it is sent. */
static inline void xapic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	xapic_write(APIC_ICR2, dest << 24);
	xapic_write(APIC_ICR, icr_low);
	while (xapic_read(APIC_ICR) & APIC_ICR_BUSY)
		kg_pause();
}

/* ---- host side ---- */

struct kg_vm {
	int sys_fd;
	int vm_fd;
	int nr_vcpus;			/* highest created index + 1 */
	struct kt_vcpu v[KG_MAX_VCPUS];
	uint8_t *low;			/* host view of slot 0 */
	uint8_t *image;			/* host view of the image copy */
	uintptr_t image_start;		/* its (host = guest) virtual base */
	size_t image_size;
	struct kt_pt pt;
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID */
};

/* kg_vm_create() flags */
#define KG_IRQCHIP	(1U << 0)	/* KVM_CREATE_IRQCHIP first */

/*
 * Open the device, create a VM (with KVM_CREATE_IRQCHIP for KG_IRQCHIP),
 * slot 0, the image copy, page tables, GDT, IDT and AP trampoline.  No
 * vCPU yet.  0 or -errno, with the failing step printed to stderr.
 */
int kg_vm_create(struct kg_vm *vm, unsigned int flags);

/* Release everything (also after a partial failure). */
void kg_vm_destroy(struct kg_vm *vm);

/* KVM_CREATE_VCPU @id with the supported CPUID: 0 or -errno. */
int kg_vcpu_create(struct kg_vm *vm, int id);

/* Put vCPU @id in 64-bit mode to run @fn on its own stack: 0 or -errno. */
int kg_vcpu_enter(struct kg_vm *vm, int id, void (*fn)(void));

/* kg_vcpu_create() then kg_vcpu_enter(): 0 or -errno. */
int kg_vcpu_add(struct kg_vm *vm, int id, void (*fn)(void));

/* The function APs started by the trampoline call. */
void kg_set_ap_entry(struct kg_vm *vm, void (*fn)(void));

/* Host pointer to the guest's copy of the object at image address @p. */
void *kg_host_ptr(struct kg_vm *vm, const void *p);

/* The guest's copy of global @var, as an lvalue (volatile). */
#define KG_GUEST(vm, var)						\
	(*(volatile __typeof__(var) *)kg_host_ptr(vm, (const void *)&(var)))

/* Host pointer to the guest's struct kg_cpu of vCPU @id. */
struct kg_cpu *kg_cpu(struct kg_vm *vm, int id);

/* Register @fn for @vector in @vm's guest copy of the handler table. */
void kg_set_handler(struct kg_vm *vm, int vector, kg_handler_t fn);

/*
 * KVM_RUN vCPU @id once.  A guest call fills *@uc and gives its enum
 * kg_status; any other exit gives KG_OTHER (see vm->v[id].run); a failed
 * KVM_RUN gives -errno.
 */
int kg_run(struct kg_vm *vm, int id, struct kg_ucall *uc);

/* Print what @uc (from kg_run() returning @status) says, to stderr. */
void kg_report(struct kg_vm *vm, int id, int status,
	       const struct kg_ucall *uc);

/*
 * For harness tests: run vCPU @id and require a GUEST_SYNC(@value) /
 * GUEST_DONE(); anything else is reported and fails the test.
 */
#define KG_ASSERT_SYNC(vm, id, value)					\
	do {								\
		struct kg_ucall __uc;					\
		int __st = kg_run(vm, id, &__uc);			\
		if (__st != KG_SYNC ||					\
		    __uc.args[0] != (uint64_t)(value))			\
			kg_report(vm, id, __st, &__uc);			\
		ASSERT_EQ(KG_SYNC, __st);				\
		ASSERT_EQ((uint64_t)(value), __uc.args[0]);		\
	} while (0)

/*
 * Run vCPU @id to its next GUEST_SYNC and give its value; anything else
 * fails the test (and gives ~0).
 */
#define KG_SYNC_VALUE(vm, id)						\
	({								\
		struct kg_ucall __uc;					\
		int __st = kg_run(vm, id, &__uc);			\
		if (__st != KG_SYNC)					\
			kg_report(vm, id, __st, &__uc);			\
		EXPECT_EQ(KG_SYNC, __st);				\
		__st == KG_SYNC ? __uc.args[0] : ~0ULL;			\
	})

#define KG_ASSERT_DONE(vm, id)						\
	do {								\
		struct kg_ucall __uc;					\
		int __st = kg_run(vm, id, &__uc);			\
		if (__st != KG_DONE)					\
			kg_report(vm, id, __st, &__uc);			\
		ASSERT_EQ(KG_DONE, __st);				\
	} while (0)

/*
 * Run vCPU @id until its guest calls GUEST_DONE() (KG_DONE), aborts, or
 * an exit other than a GUEST_SYNC() happens; returns that kg_run() status
 * (SYNCs are skipped).  For vCPU threads.
 */
int kg_run_to_done(struct kg_vm *vm, int id, struct kg_ucall *uc);

/*
 * RDMSR and WRMSR run by the guest on the host's request, for tests of
 * what a guest sees: kg_msr_serve() puts vCPU @id in a loop that runs
 * one access per request (with its own #GP handler on vector 13, which
 * skips the instruction) and runs it until it waits for the first
 * request (0 or -errno); kg_guest_rdmsr() and kg_guest_wrmsr() make a
 * request and run the vCPU until it answers.  They return 0 when the
 * instruction completed, KG_MSR_GP when it raised #GP, and -errno (or
 * -EPROTO for an exit that is no answer, reported on stderr) otherwise.
 * One vCPU of a VM serves at a time.
 */
#define KG_MSR_GP	1

int kg_msr_serve(struct kg_vm *vm, int id);
int kg_guest_rdmsr(struct kg_vm *vm, int id, uint32_t msr, uint64_t *val);
int kg_guest_wrmsr(struct kg_vm *vm, int id, uint32_t msr, uint64_t val);

/* Is bit @bit of register @reg (KG_EAX..) of supported CPUID @leaf set? */
bool kg_cpuid_has(struct kg_vm *vm, uint32_t leaf, int reg, int bit);
#define KG_EAX	0
#define KG_EBX	1
#define KG_ECX	2
#define KG_EDX	3

#endif /* KVMOD_SELFTESTS_GUEST_H */
