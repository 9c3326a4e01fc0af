// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_SET_VAPIC_ADDR, of the old "VAPIC" TPR patching (QEMU's kvmvapic):
 * EINVAL without an in-kernel irqchip or for an address outside the
 * memslots, 0 turns it off. With an address set, a
 * u32 there follows the APIC as KVM keeps it: after each exit the TPR
 * is taken from its low byte (KVM_GET_LAPIC shows it; a TPR the guest
 * wrote through the APIC in the meantime is overwritten), and before an
 * entry at which interrupts are looked at (an interrupt became
 * deliverable, was injected or ended) it is written with the TPR, the
 * class of the highest in-service vector (bits 15:12) and the highest
 * requested vector (bits 31:24).
 */
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

/* ---- host ---- */

static int set_vapic_addr(int vcpu_fd, uint64_t gpa)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };

	return kt_ioctl_errno(vcpu_fd, KVM_SET_VAPIC_ADDR, (unsigned long)&va);
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
	EXPECT_EQ(EINVAL, set_vapic_addr(self->fd, KG_XAPIC_BASE));
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

TEST_HARNESS_MAIN
