// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts from a userspace irqchip (no KVM_CREATE_IRQCHIP): KVM_INTERRUPT
 * reaching the guest's IDT handler, kvm_run's if_flag,
 * ready_for_interrupt_injection, request_interrupt_window and
 * KVM_EXIT_IRQ_WINDOW_OPEN after STI and its shadow, cr8 (both ways) and
 * apic_base, KVM_NMI and NMI blocking until IRET, HLT exiting to userspace,
 * and the error cases of KVM_INTERRUPT (with the in-kernel PIC and split
 * irqchip when those exist).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define VEC_A	0x40
#define VEC_B	0x41
#define VEC_C	0x52

/* ---- guest ---- */

static volatile uint64_t irq_count[256];
static volatile uint64_t last_vector, last_rip, last_error;
static volatile uint64_t nmi_count, nmi_depth, nmi_max_depth;

static void count_irq(struct kg_frame *f)
{
	irq_count[f->vector]++;
	last_vector = f->vector;
	last_rip = f->rip;
	last_error = f->error;
}

static uint64_t irq_total(void)
{
	return irq_count[VEC_A] + irq_count[VEC_B] + irq_count[VEC_C];
}

static inline uint64_t read_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

/* IF=1, then wait for VEC_A. */
static void guest_wait_irq(void)
{
	kg_sti();
	GUEST_SYNC(1);
	while (!irq_count[VEC_A])
		kg_pause();
	kg_cli();
	GUEST_SYNC(last_vector);
	GUEST_SYNC(last_error);
}

/* if_flag and ready_for_interrupt_injection follow RFLAGS.IF. */
static void guest_toggle_if(void)
{
	GUEST_SYNC(1);
	kg_sti();
	GUEST_SYNC(2);
	kg_cli();
	GUEST_SYNC(3);
}

/*
 * With IF=0: spin a while, then STI, one instruction in its shadow, and
 * irqwin_open_rip, where the window opens.
 */
extern const char irqwin_open_rip[];

static __attribute__((noinline)) void guest_sti_late(void)
{
	GUEST_SYNC(1);
	asm volatile("mov $200, %%ecx\n"
		     "1:\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b\n\t"
		     "sti\n\t"
		     "nop\n"
		     ".globl irqwin_open_rip\n"
		     "irqwin_open_rip:\n\t"
		     "nop\n\t"
		     ::: "ecx", "memory");
	while (!irq_count[VEC_B])
		kg_pause();
	GUEST_SYNC(last_rip);
}

/* IF=1 and spinning: the window is open at once. */
static void guest_spin_open(void)
{
	kg_sti();
	GUEST_SYNC(1);
	while (!irq_count[VEC_C])
		kg_pause();
	GUEST_SYNC(last_vector);
}

/* Report every interrupt seen, after the first one and a pause. */
static void guest_collect(void)
{
	int i;

	kg_sti();
	GUEST_SYNC(1);
	while (!irq_total())
		kg_pause();
	for (i = 0; i < 2000; i++)
		kg_pause();
	kg_cli();
	GUEST_SYNC(irq_count[VEC_A]);
	GUEST_SYNC(irq_count[VEC_B]);
}

static void guest_cr8(void)
{
	GUEST_SYNC(read_cr8());
	write_cr8(9);
	GUEST_SYNC(read_cr8());
	write_cr8(3);		/* lowered: KVM_EXIT_SET_TPR */
	GUEST_SYNC(read_cr8());
}

static void nmi_handler(struct kg_frame *f)
{
	uint64_t n = ++nmi_count;
	int i;

	(void)f;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	GUEST_SYNC(0x100 + n);		/* the host sends another NMI */
	for (i = 0; i < 1000; i++)
		kg_pause();
	GUEST_SYNC(0x200 + n);
	nmi_depth--;
}

/* NMIs arrive whatever IF is. */
static void guest_nmi(void)
{
	GUEST_SYNC(1);
	while (nmi_count < 2)
		kg_pause();
	GUEST_SYNC(nmi_max_depth);
}

extern const char hlt_next_rip[];

static __attribute__((noinline)) void guest_hlt(void)
{
	kg_sti();
	GUEST_SYNC(1);
	asm volatile("hlt\n"
		     ".globl hlt_next_rip\n"
		     "hlt_next_rip:\n\t"
		     "nop\n\t" ::: "memory");
	GUEST_SYNC(irq_count[VEC_A]);
	GUEST_SYNC(last_rip);
}

extern const char sti_hlt_next_rip[];

static __attribute__((noinline)) void guest_sti_hlt(void)
{
	GUEST_SYNC(1);
	asm volatile("sti\n\t"
		     "hlt\n"
		     ".globl sti_hlt_next_rip\n"
		     "sti_hlt_next_rip:\n\t"
		     "cli\n\t" ::: "memory");
	GUEST_SYNC(irq_count[VEC_A]);
	GUEST_SYNC(last_rip);
}

/* ---- host ---- */

FIXTURE(irqwin) {
	struct kg_vm vm;
	struct kvm_run *run;
};

FIXTURE_SETUP(irqwin)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	self->run = self->vm.v[0].run;
	kg_set_handler(&self->vm, VEC_A, count_irq);
	kg_set_handler(&self->vm, VEC_B, count_irq);
	kg_set_handler(&self->vm, VEC_C, count_irq);
	kg_set_handler(&self->vm, 2, nmi_handler);
}

FIXTURE_TEARDOWN(irqwin)
{
	kg_vm_destroy(&self->vm);
}

static int inject(struct kg_vm *vm, uint32_t vector)
{
	struct kvm_interrupt irq = { .irq = vector };

	return ioctl(vm->v[0].fd, KVM_INTERRUPT, &irq) ? -errno : 0;
}

static uint64_t guest_rip(struct kg_vm *vm)
{
	struct kvm_regs regs;

	if (kt_get_regs(vm->v[0].fd, &regs))
		return 0;
	return regs.rip;
}

/* KVM_INTERRUPT with IF=1: the vector's handler runs, no error code. */
TEST_F(irqwin, interrupt_reaches_handler)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_wait_irq));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(1, self->run->if_flag);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vm, VEC_A));
	KG_ASSERT_SYNC(vm, 0, VEC_A);
	KG_ASSERT_SYNC(vm, 0, 0);
	EXPECT_EQ(1, KG_GUEST(vm, irq_count[VEC_A]));
	EXPECT_EQ(0, KG_GUEST(vm, irq_count[VEC_B]));
	EXPECT_EQ(0, self->run->if_flag);
}

TEST_F(irqwin, if_flag_and_ready_follow_rflags_if)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_toggle_if));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(0, self->run->if_flag);
	EXPECT_EQ(0, self->run->ready_for_interrupt_injection);
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(1, self->run->if_flag);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	KG_ASSERT_SYNC(vm, 0, 3);
	EXPECT_EQ(0, self->run->if_flag);
	EXPECT_EQ(0, self->run->ready_for_interrupt_injection);
	KG_ASSERT_DONE(vm, 0);
}

/*
 * request_interrupt_window with IF=0: no exit while IF stays 0; the exit
 * comes once STI and the instruction in its shadow are done.
 */
TEST_F(irqwin, window_opens_after_sti_shadow)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_sti_late));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(0, self->run->ready_for_interrupt_injection);
	self->run->request_interrupt_window = 1;
	ASSERT_EQ(KVM_EXIT_IRQ_WINDOW_OPEN,
		  kt_run(vm->v[0].fd, self->run));
	EXPECT_EQ((uintptr_t)irqwin_open_rip, guest_rip(vm));
	EXPECT_EQ(1, self->run->if_flag);
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	self->run->request_interrupt_window = 0;
	ASSERT_EQ(0, inject(vm, VEC_B));
	KG_ASSERT_SYNC(vm, 0, (uintptr_t)irqwin_open_rip);
}

/* An open window with nothing to inject exits at once. */
TEST_F(irqwin, window_already_open_exits)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_spin_open));
	KG_ASSERT_SYNC(vm, 0, 1);
	self->run->request_interrupt_window = 1;
	ASSERT_EQ(KVM_EXIT_IRQ_WINDOW_OPEN,
		  kt_run(vm->v[0].fd, self->run));
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	EXPECT_EQ(1, self->run->if_flag);
	self->run->request_interrupt_window = 0;
	ASSERT_EQ(0, inject(vm, VEC_C));
	KG_ASSERT_SYNC(vm, 0, VEC_C);
}

/*
 * A second KVM_INTERRUPT before the first is delivered replaces it
 * (in-tree KVM keeps one queued interrupt without an in-kernel irqchip).
 */
TEST_F(irqwin, second_interrupt_replaces_queued)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_collect));
	KG_ASSERT_SYNC(vm, 0, 1);
	ASSERT_EQ(0, inject(vm, VEC_A));
	ASSERT_EQ(0, inject(vm, VEC_B));
	KG_ASSERT_SYNC(vm, 0, 0);	/* VEC_A: never delivered */
	KG_ASSERT_SYNC(vm, 0, 1);	/* VEC_B: once */
}

/*
 * kvm_run.cr8 is the guest's TPR both ways: set before KVM_RUN, reported
 * after; lowering CR8 exits with KVM_EXIT_SET_TPR; above 15 is refused.
 */
TEST_F(irqwin, cr8_in_kvm_run)
{
	struct kg_vm *vm = &self->vm;
	struct kg_ucall uc;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_cr8));
	self->run->cr8 = 7;
	KG_ASSERT_SYNC(vm, 0, 7);
	EXPECT_EQ(7, self->run->cr8);
	KG_ASSERT_SYNC(vm, 0, 9);
	EXPECT_EQ(9, self->run->cr8);
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	EXPECT_EQ(KVM_EXIT_SET_TPR, self->run->exit_reason);
	EXPECT_EQ(3, self->run->cr8);
	KG_ASSERT_SYNC(vm, 0, 3);

	self->run->cr8 = 16;
	errno = 0;
	EXPECT_EQ(-EINVAL, kt_run(vm->v[0].fd, self->run));
}

/* kvm_run.apic_base is the APIC base MSR as KVM_SET_SREGS set it. */
TEST_F(irqwin, apic_base_in_kvm_run)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_sregs s;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_toggle_if));
	ASSERT_EQ(0, kt_get_sregs(vm->v[0].fd, &s));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(s.apic_base, self->run->apic_base);
	s.apic_base = KG_XAPIC_BASE | MSR_IA32_APICBASE_ENABLE |
		      MSR_IA32_APICBASE_BSP;
	ASSERT_EQ(0, kt_set_sregs(vm->v[0].fd, &s));
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(s.apic_base, self->run->apic_base);
	s.apic_base = 0x12345000 | MSR_IA32_APICBASE_ENABLE;
	ASSERT_EQ(0, kt_set_sregs(vm->v[0].fd, &s));
	KG_ASSERT_SYNC(vm, 0, 3);
	EXPECT_EQ(s.apic_base, self->run->apic_base);
}

/*
 * KVM_NMI runs the vector 2 handler with IF=0; a second NMI sent while the
 * handler runs waits for its IRET.
 */
TEST_F(irqwin, nmi_held_until_iret)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_nmi));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(0, self->run->if_flag);
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_NMI));
	KG_ASSERT_SYNC(vm, 0, 0x101);
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_NMI));
	KG_ASSERT_SYNC(vm, 0, 0x201);	/* no nesting */
	KG_ASSERT_SYNC(vm, 0, 0x102);	/* after IRET */
	KG_ASSERT_SYNC(vm, 0, 0x202);
	KG_ASSERT_SYNC(vm, 0, 1);	/* never two deep */
	EXPECT_EQ(2, KG_GUEST(vm, nmi_count));
}

TEST_F(irqwin, interrupt_vector_out_of_range)
{
	EXPECT_EQ(-EINVAL, inject(&self->vm, 256));
	EXPECT_EQ(-EINVAL, inject(&self->vm, 0xffffffff));
	EXPECT_EQ(0, inject(&self->vm, 255));
}

/* Without an in-kernel irqchip HLT exits; the next RIP is after it. */
TEST_F(irqwin, hlt_exits_and_resumes_after)
{
	struct kg_vm *vm = &self->vm;
	struct kg_ucall uc;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_hlt));
	KG_ASSERT_SYNC(vm, 0, 1);
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_HLT, self->run->exit_reason);
	EXPECT_EQ((uintptr_t)hlt_next_rip, guest_rip(vm));
	EXPECT_EQ(1, self->run->ready_for_interrupt_injection);
	ASSERT_EQ(0, inject(vm, VEC_A));
	KG_ASSERT_SYNC(vm, 0, 1);
	KG_ASSERT_SYNC(vm, 0, (uintptr_t)hlt_next_rip);
}

/*
 * IF=0 with an interrupt window requested, then STI; HLT: HLT exits to
 * userspace, and the interrupt injected then is taken after the HLT.
 */
TEST_F(irqwin, sti_hlt_with_window_requested)
{
	struct kg_vm *vm = &self->vm;
	struct kg_ucall uc;
	int r;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_sti_hlt));
	KG_ASSERT_SYNC(vm, 0, 1);
	self->run->request_interrupt_window = 1;
	r = kg_run(vm, 0, &uc);
	ASSERT_EQ(KG_OTHER, r);
	EXPECT_EQ(KVM_EXIT_HLT, self->run->exit_reason);
	EXPECT_EQ((uintptr_t)sti_hlt_next_rip, guest_rip(vm));
	EXPECT_EQ(1, self->run->if_flag);
	self->run->request_interrupt_window = 0;
	ASSERT_EQ(0, inject(vm, VEC_A));
	KG_ASSERT_SYNC(vm, 0, 1);
	KG_ASSERT_SYNC(vm, 0, (uintptr_t)sti_hlt_next_rip);
}

/* The in-kernel PIC takes external interrupts: KVM_INTERRUPT is ENXIO. */
TEST(interrupt_with_in_kernel_pic)
{
	struct kg_vm vm;
	struct kvm_interrupt irq = { .irq = VEC_A };
	int sys_fd = kt_open_dev();

	ASSERT_LE(0, sys_fd);
	if (kt_check_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0) {
		close(sys_fd);
		SKIP(return, "no KVM_CAP_IRQCHIP");
	}
	close(sys_fd);
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm.v[0].fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(ENXIO, errno);
	irq.irq = 256;
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm.v[0].fd, KVM_INTERRUPT, &irq));
	EXPECT_EQ(EINVAL, errno);
	kg_vm_destroy(&vm);
}

/*
 * Split irqchip (LAPIC in the kernel, PIC in userspace): KVM_INTERRUPT is
 * the PIC's ExtINT, one at a time (EEXIST while one is pending), and the
 * guest gets it through LVT0, in ExtINT mode after reset on vCPU 0.
 */
TEST(interrupt_with_split_irqchip)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args = { 24 },
	};
	struct kg_vm vm;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	if (kt_check_cap(vm.vm_fd, KVM_CAP_SPLIT_IRQCHIP) <= 0) {
		kg_vm_destroy(&vm);
		SKIP(return, "no KVM_CAP_SPLIT_IRQCHIP");
	}
	ASSERT_EQ(0, ioctl(vm.vm_fd, KVM_ENABLE_CAP, &cap));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_wait_irq));
	kg_set_handler(&vm, VEC_A, count_irq);
	kg_set_handler(&vm, VEC_B, count_irq);
	KG_ASSERT_SYNC(&vm, 0, 1);
	EXPECT_EQ(0, inject(&vm, VEC_A));
	EXPECT_EQ(-EEXIST, inject(&vm, VEC_B));
	EXPECT_EQ(-EINVAL, inject(&vm, 256));
	KG_ASSERT_SYNC(&vm, 0, VEC_A);
	EXPECT_EQ(1, KG_GUEST(&vm, irq_count[VEC_A]));
	EXPECT_EQ(0, KG_GUEST(&vm, irq_count[VEC_B]));
	/* Delivered: the next one is accepted. */
	EXPECT_EQ(0, inject(&vm, VEC_B));
	kg_vm_destroy(&vm);
}

TEST_HARNESS_MAIN
