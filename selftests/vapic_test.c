// SPDX-License-Identifier: GPL-2.0
/*
 * The TPR interfaces of the old "VAPIC" TPR patching (QEMU's kvmvapic):
 *
 * KVM_SET_VAPIC_ADDR: EINVAL without an in-kernel irqchip or for an
 * address outside the memslots, 0 turns it off. With an address set, a
 * u32 there follows the APIC as KVM keeps it: after each exit the TPR
 * is taken from its low byte (KVM_GET_LAPIC shows it; a TPR the guest
 * wrote through the APIC in the meantime is overwritten), and before an
 * entry at which interrupts are looked at (an interrupt became
 * deliverable, was injected or ended) it is written with the TPR, the
 * class of the highest in-service vector (bits 15:12) and the highest
 * requested vector (bits 31:24).
 *
 * KVM_TPR_ACCESS_REPORTING (KVM_CAP_VAPIC): flags must be 0; when
 * enabled, a guest access to the TPR through the xAPIC page or the
 * x2APIC MSR completes and the vCPU then exits with
 * KVM_EXIT_TPR_ACCESS, the RIP of the accessing instruction and
 * whether it wrote; CR8 and the other registers do not report.
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define VAPIC_GPA	(KG_FREE + 0x40)
#define NO_MEMORY	0xfff000000ULL
#define VEC		0x80U

/* ---- guest ---- */

static volatile uint64_t irqs, word_in_handler;

static volatile uint32_t *vapic_word(void)
{
	return (volatile uint32_t *)VAPIC_GPA;
}

static void vec_handler(struct kg_frame *f)
{
	(void)f;
	irqs++;
	word_in_handler = *vapic_word();
	xapic_write(APIC_EOI, 0);
}

static uint64_t read_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

static void self_ipi(int vector)
{
	xapic_write(APIC_ICR, APIC_DEST_SELF | APIC_DM_FIXED | vector);
}

/* The guest's TPR written in the u32 becomes the APIC's at the exit. */
static void guest_word_sets_tpr(void)
{
	xapic_enable();
	GUEST_SYNC(1);
	*vapic_word() = 0x30;
	GUEST_SYNC(2);
	GUEST_SYNC(xapic_read(APIC_TASKPRI));
	GUEST_SYNC(read_cr8());
	*vapic_word() = 0x7f;
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
}

/* The APIC's state in the u32 when interrupts are looked at. */
static void guest_tpr_to_word(void)
{
	xapic_enable();
	*vapic_word() = 0xf0;
	self_ipi(VEC);			/* held back by TPR 0xf0 */
	GUEST_SYNC(*vapic_word());
	xapic_write(APIC_TASKPRI, 0x50);	/* now deliverable */
	GUEST_SYNC(*vapic_word());
	kg_irq_window();
	GUEST_SYNC(irqs);
	GUEST_SYNC(word_in_handler);
	GUEST_SYNC(*vapic_word());
}

/*
 * A TPR raised through the APIC, which lets no interrupt through, does
 * not reach the u32 and the u32's TPR wins at the next exit; with the
 * area off, the APIC's TPR is the guest's again.
 */
static void guest_word_owns_tpr(void)
{
	xapic_enable();
	*vapic_word() = 0x20;
	GUEST_SYNC(1);
	xapic_write(APIC_TASKPRI, 0x60);
	GUEST_SYNC(xapic_read(APIC_TASKPRI));
	GUEST_SYNC(*vapic_word());
	/* The host turns the area off. */
	*vapic_word() = 0x90;
	xapic_write(APIC_TASKPRI, 0x40);
	GUEST_SYNC(xapic_read(APIC_TASKPRI));
}

extern const char tpr_write_insn[], tpr_write_end[], tpr_read_insn[],
	tpr_read_end[], x2_tpr_write_insn[], x2_tpr_read_insn[];

static void guest_tpr_access(void)
{
	volatile uint32_t *tpr = (volatile uint32_t *)(KG_XAPIC_BASE +
						       APIC_TASKPRI);
	uint32_t v;

	xapic_enable();
	GUEST_SYNC(1);
	asm volatile(".globl tpr_write_insn, tpr_write_end\n"
		     "tpr_write_insn: movl %0, (%1)\n"
		     "tpr_write_end:"
		     :: "r"(0x20), "r"(tpr) : "memory");
	GUEST_SYNC(2);
	asm volatile(".globl tpr_read_insn, tpr_read_end\n"
		     "tpr_read_insn: movl (%1), %0\n"
		     "tpr_read_end:"
		     : "=r"(v) : "r"(tpr) : "memory");
	GUEST_SYNC(v);
	/* Neither the other registers nor CR8 report. */
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
	xapic_write(APIC_LDR, 1U << 24);
	write_cr8(4);
	GUEST_SYNC(read_cr8());
	/* The host turns reporting off. */
	xapic_write(APIC_TASKPRI, 0x10);
	GUEST_SYNC(xapic_read(APIC_TASKPRI));
}

static void guest_tpr_access_x2apic(void)
{
	uint32_t lo, hi;

	kg_wrmsr(MSR_IA32_APICBASE, kg_rdmsr(MSR_IA32_APICBASE) |
		 MSR_IA32_APICBASE_EXTD);
	x2apic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	GUEST_SYNC(1);
	asm volatile(".globl x2_tpr_write_insn\n"
		     "x2_tpr_write_insn: wrmsr"
		     :: "c"(MSR_X2APIC_BASE + (APIC_TASKPRI >> 4)),
			"a"(0x30), "d"(0) : "memory");
	GUEST_SYNC(2);
	asm volatile(".globl x2_tpr_read_insn\n"
		     "x2_tpr_read_insn: rdmsr"
		     : "=a"(lo), "=d"(hi)
		     : "c"(MSR_X2APIC_BASE + (APIC_TASKPRI >> 4))
		     : "memory");
	GUEST_SYNC(lo);
	GUEST_SYNC(x2apic_read(APIC_PROCPRI));
	(void)hi;
}

/* ---- host ---- */

static bool host_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	return b == 0x68747541 || b == 0x6f677948;	/* Auth, Hygo */
}

static int set_vapic_addr(int vcpu_fd, uint64_t gpa)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };

	return kt_ioctl_errno(vcpu_fd, KVM_SET_VAPIC_ADDR, (unsigned long)&va);
}

static int tpr_reporting(int vcpu_fd, uint32_t enabled, uint32_t flags)
{
	struct kvm_tpr_access_ctl tac = {
		.enabled = enabled,
		.flags = flags,
	};

	return kt_ioctl_errno(vcpu_fd, KVM_TPR_ACCESS_REPORTING,
			      (unsigned long)&tac);
}

static uint32_t lapic_tpr(struct __test_metadata *_metadata, int vcpu_fd)
{
	struct kvm_lapic_state s;
	uint32_t v = ~0U;

	EXPECT_EQ(0, ioctl(vcpu_fd, KVM_GET_LAPIC, &s));
	memcpy(&v, s.regs + APIC_TASKPRI, 4);
	return v;
}

static bool lapic_irr(struct __test_metadata *_metadata, int vcpu_fd,
		      int vec)
{
	struct kvm_lapic_state s;
	uint32_t v = 0;

	EXPECT_EQ(0, ioctl(vcpu_fd, KVM_GET_LAPIC, &s));
	memcpy(&v, s.regs + APIC_IRR + 0x10 * (vec / 32), 4);
	return v >> (vec % 32) & 1;
}

static uint32_t host_word(struct kg_vm *vm)
{
	uint32_t v;

	memcpy(&v, vm->low + VAPIC_GPA, 4);
	return v;
}

FIXTURE(vapic) {
	struct kg_vm vm;
	int fd;
	bool no_irqchip;
};

FIXTURE_SETUP(vapic)
{
	int sys_fd = kt_open_dev();

	ASSERT_LE(0, sys_fd);
	self->no_irqchip = kt_check_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0;
	close(sys_fd);
	if (self->no_irqchip)
		return;
	ASSERT_EQ(0, kg_vm_create(&self->vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	self->fd = self->vm.v[0].fd;
	kg_set_handler(&self->vm, VEC, vec_handler);
}

FIXTURE_TEARDOWN(vapic)
{
	if (!self->no_irqchip)
		kg_vm_destroy(&self->vm);
}

#define NEED_IRQCHIP()							\
	do {								\
		if (self->no_irqchip)					\
			SKIP(return, "no KVM_CAP_IRQCHIP");		\
	} while (0)

/* KVM_CAP_VAPIC, as KVM reports it on SVM: with the in-kernel APIC. */
TEST(cap_vapic)
{
	int fd = kt_open_dev();

	ASSERT_LE(0, fd);
	if (kt_check_cap(fd, KVM_CAP_IRQCHIP) <= 0) {
		close(fd);
		SKIP(return, "no KVM_CAP_IRQCHIP");
	}
	if (host_is_amd()) {
		EXPECT_EQ(1, kt_check_cap(fd, KVM_CAP_VAPIC));
	} else {
		EXPECT_LE(0, kt_check_cap(fd, KVM_CAP_VAPIC));
	}
	close(fd);
}

/* No in-kernel APIC: EINVAL, whatever the address. */
TEST(set_vapic_addr_needs_irqchip)
{
	struct kg_vm vm;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	EXPECT_EQ(EINVAL, set_vapic_addr(vm.v[0].fd, VAPIC_GPA));
	EXPECT_EQ(EINVAL, set_vapic_addr(vm.v[0].fd, 0));
	kg_vm_destroy(&vm);
}

TEST_F(vapic, set_vapic_addr_checks)
{
	NEED_IRQCHIP();
	EXPECT_EQ(EINVAL, set_vapic_addr(self->fd, NO_MEMORY));
	/*
	 * The APIC page is no memory (in-tree kvm-intel puts its private
	 * APIC-access memslot there).
	 */
	if (host_is_amd()) {
		EXPECT_EQ(EINVAL, set_vapic_addr(self->fd, KG_XAPIC_BASE));
	}
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->fd, KVM_SET_VAPIC_ADDR, 0));
	EXPECT_EQ(0, set_vapic_addr(self->fd, VAPIC_GPA));
	EXPECT_EQ(0, set_vapic_addr(self->fd, 0));
	EXPECT_EQ(0, set_vapic_addr(self->fd, KG_LOW_SIZE - 4));
}

TEST_F(vapic, word_sets_tpr)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	ASSERT_EQ(0, set_vapic_addr(self->fd, VAPIC_GPA));
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_word_sets_tpr));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(0, lapic_tpr(_metadata, self->fd));
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(0x30, lapic_tpr(_metadata, self->fd));
	EXPECT_EQ(0x30, KG_SYNC_VALUE(vm, 0));	/* TPR through the APIC */
	EXPECT_EQ(3, KG_SYNC_VALUE(vm, 0));	/* CR8 */
	EXPECT_EQ(0x7f, KG_SYNC_VALUE(vm, 0));	/* PPR */
	EXPECT_EQ(0x7f, lapic_tpr(_metadata, self->fd));
}

TEST_F(vapic, tpr_reaches_word)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	ASSERT_EQ(0, set_vapic_addr(self->fd, VAPIC_GPA));
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_tpr_to_word));
	/* Requested VEC in 31:24, the TPR in 7:0. */
	EXPECT_EQ(VEC << 24 | 0xf0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0xf0, lapic_tpr(_metadata, self->fd));
	EXPECT_TRUE(lapic_irr(_metadata, self->fd, VEC));
	/* The guest's TPR write through the APIC let VEC through. */
	EXPECT_EQ(VEC << 24 | 0x50, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x50, lapic_tpr(_metadata, self->fd));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	/* In service: its class in 15:12. */
	EXPECT_EQ((VEC & 0xf0) << 8 | 0x50, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x50, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x50, host_word(vm));
	EXPECT_FALSE(lapic_irr(_metadata, self->fd, VEC));
}

TEST_F(vapic, word_owns_tpr)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	ASSERT_EQ(0, set_vapic_addr(self->fd, VAPIC_GPA));
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_word_owns_tpr));
	KG_ASSERT_SYNC(vm, 0, 1);
	EXPECT_EQ(0x20, lapic_tpr(_metadata, self->fd));
	EXPECT_EQ(0x20, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x20, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x20, lapic_tpr(_metadata, self->fd));

	ASSERT_EQ(0, set_vapic_addr(self->fd, 0));
	EXPECT_EQ(0x40, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0x40, lapic_tpr(_metadata, self->fd));
	EXPECT_EQ(0x90, host_word(vm));
}

/* flags must be 0; the ioctl needs no in-kernel irqchip. */
TEST(tpr_access_reporting_ioctl)
{
	struct kg_vm vm;
	int fd;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	fd = vm.v[0].fd;
	EXPECT_EQ(EINVAL, tpr_reporting(fd, 1, 1));
	EXPECT_EQ(EINVAL, tpr_reporting(fd, 0, 0x80000000));
	EXPECT_EQ(0, tpr_reporting(fd, 1, 0));
	EXPECT_EQ(0, tpr_reporting(fd, 2, 0));
	EXPECT_EQ(0, tpr_reporting(fd, 0, 0));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_TPR_ACCESS_REPORTING, 0));
	kg_vm_destroy(&vm);
}

/* Run vCPU 0 and require KVM_EXIT_TPR_ACCESS for @insn. */
static void expect_tpr_access(struct __test_metadata *_metadata,
			      struct kg_vm *vm, const void *insn, bool write)
{
	struct kvm_run *run = vm->v[0].run;
	struct kg_ucall uc;
	int st = kg_run(vm, 0, &uc);

	if (st != KG_OTHER)
		kg_report(vm, 0, st, &uc);
	ASSERT_EQ(KG_OTHER, st);
	ASSERT_STREQ(kt_exit_name(KVM_EXIT_TPR_ACCESS),
		     kt_exit_name(run->exit_reason));
	EXPECT_EQ((uintptr_t)insn, run->tpr_access.rip);
	EXPECT_EQ(write, run->tpr_access.is_write);
}

TEST_F(vapic, tpr_access_exits)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_regs regs;

	NEED_IRQCHIP();
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_tpr_access));
	ASSERT_EQ(0, tpr_reporting(self->fd, 1, 0));
	KG_ASSERT_SYNC(vm, 0, 1);

	/* The write is done when the exit comes, and RIP is past it. */
	expect_tpr_access(_metadata, vm, tpr_write_insn, true);
	EXPECT_EQ(0x20, lapic_tpr(_metadata, self->fd));
	ASSERT_EQ(0, kt_get_regs(self->fd, &regs));
	EXPECT_EQ((uintptr_t)tpr_write_end, regs.rip);
	KG_ASSERT_SYNC(vm, 0, 2);

	expect_tpr_access(_metadata, vm, tpr_read_insn, false);
	ASSERT_EQ(0, kt_get_regs(self->fd, &regs));
	EXPECT_EQ((uintptr_t)tpr_read_end, regs.rip);
	KG_ASSERT_SYNC(vm, 0, 0x20);

	KG_ASSERT_SYNC(vm, 0, 0x20);		/* PPR */
	KG_ASSERT_SYNC(vm, 0, 4);		/* CR8 */
	EXPECT_EQ(0x40, lapic_tpr(_metadata, self->fd));

	ASSERT_EQ(0, tpr_reporting(self->fd, 0, 0));
	KG_ASSERT_SYNC(vm, 0, 0x10);
	KG_ASSERT_DONE(vm, 0);
}

TEST_F(vapic, tpr_access_x2apic)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	if (!kg_cpuid_has(vm, 1, KG_ECX, 21))
		SKIP(return, "no x2APIC");
	/* In-tree kvm-intel lets the TPR shadow take the x2APIC TPR. */
	if (!host_is_amd())
		SKIP(return, "x2APIC TPR accesses exit on SVM only");
	ASSERT_EQ(0, tpr_reporting(self->fd, 1, 0));
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_tpr_access_x2apic));
	KG_ASSERT_SYNC(vm, 0, 1);
	expect_tpr_access(_metadata, vm, x2_tpr_write_insn, true);
	EXPECT_EQ(0x30, lapic_tpr(_metadata, self->fd));
	KG_ASSERT_SYNC(vm, 0, 2);
	expect_tpr_access(_metadata, vm, x2_tpr_read_insn, false);
	KG_ASSERT_SYNC(vm, 0, 0x30);
	KG_ASSERT_SYNC(vm, 0, 0x30);		/* PPR */
	KG_ASSERT_DONE(vm, 0);
}

TEST_HARNESS_MAIN
