// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIC and IOAPIC as a 64-bit guest sees them:
 *  - the 8259 pair programmed with ICW1-4 (vectors 0x20 and 0x28),
 *    interrupts raised by the host with KVM_IRQ_LINE reaching the guest
 *    through LINT0 in ExtINT mode (programmed, and as left by reset),
 *    LINT0 masked, the cascade (IRQ 9 on the slave), IMR masking,
 *    priorities and nesting, ISR/IRR reads through OCW3, and the spurious
 *    IRQ 15 of a slave request that went away before the acknowledge;
 *  - the IOAPIC programmed through its MMIO window at 0xfec00000: its
 *    version and ID registers, read-only entry bits, a level-triggered
 *    entry (remote IRR set until the EOI, re-delivery after the EOI while
 *    the line stays high), an edge entry, a masked entry;
 *  - KVM_SIGNAL_MSI of vector 0x50 to APIC ID 0.
 * The guest counts interrupts in its handlers and EOIs from its main code,
 * so that the host can look at the chips between the two.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_SLAVE_ELCR		0x4d1
#define PIC_EOI			0x20
#define PIC_OCW3_READ_IRR	0x0a
#define PIC_OCW3_READ_ISR	0x0b
#define PIC_BASE_MASTER		0x20
#define PIC_BASE_SLAVE		0x28

#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))
#define RTE_LEVEL		(1u << 15)
#define RTE_REMOTE_IRR		(1u << 14)
#define RTE_DELIVS		(1u << 12)
#define RTE_MASKED		(1u << 16)

#define VEC_LEVEL		0x40	/* IOAPIC pin 5, level */
#define VEC_EDGE		0x41	/* IOAPIC pin 6, edge */
#define VEC_MASKED		0x42	/* IOAPIC pin 7, masked */
#define VEC_MSI			0x50

#define APIC_MODE_EXTINT	0x700

/* Spins of the guest's wait loops: long enough for a pending interrupt. */
#define SPINS			20000

/* ---- guest ---- */

static volatile uint64_t nr_irqs;
static volatile uint64_t irq_log[16];
static volatile uint64_t out[16];

static void on_irq(struct kg_frame *f)
{
	if (nr_irqs < ARRAY_SIZE(irq_log))
		irq_log[nr_irqs] = f->vector;
	nr_irqs++;
}

/* IF=1 until @n interrupts in all were taken, or a while; then IF=0. */
static void wait_for_irqs(uint64_t n)
{
	int i;

	kg_sti();
	for (i = 0; i < SPINS && nr_irqs < n; i++)
		kg_pause();
	kg_cli();
}

/* ICW1-4 for both PICs: vectors 0x20/0x28, slave on IRQ 2, 8086 mode. */
static void pic_init(uint8_t master_imr, uint8_t slave_imr)
{
	kg_outb(PIC_MASTER_CMD, 0x11);
	kg_outb(PIC_MASTER_DATA, PIC_BASE_MASTER);
	kg_outb(PIC_MASTER_DATA, 1 << 2);
	kg_outb(PIC_MASTER_DATA, 0x01);
	kg_outb(PIC_SLAVE_CMD, 0x11);
	kg_outb(PIC_SLAVE_DATA, PIC_BASE_SLAVE);
	kg_outb(PIC_SLAVE_DATA, 2);
	kg_outb(PIC_SLAVE_DATA, 0x01);
	kg_outb(PIC_MASTER_DATA, master_imr);
	kg_outb(PIC_SLAVE_DATA, slave_imr);
}

static uint8_t pic_read(uint16_t cmd_port, uint8_t ocw3)
{
	kg_outb(cmd_port, ocw3);
	return kg_inb(cmd_port);
}

/* LAPIC on, LINT0 delivering the PIC's ExtINT. */
static void lapic_extint(void)
{
	xapic_enable();
	xapic_write(APIC_LVT0, APIC_MODE_EXTINT);
}

static void lapic_eoi(void)
{
	xapic_write(APIC_EOI, 0);
}

static uint32_t ioapic_read(uint32_t reg)
{
	*(volatile uint32_t *)(KG_IOAPIC_BASE + IOREGSEL) = reg;
	return *(volatile uint32_t *)(KG_IOAPIC_BASE + IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(KG_IOAPIC_BASE + IOREGSEL) = reg;
	*(volatile uint32_t *)(KG_IOAPIC_BASE + IOWIN) = v;
}

/* Entry @pin to APIC ID 0, physical, fixed, @low (vector and flags). */
static void ioapic_route(int pin, uint32_t low)
{
	ioapic_write(IOAPIC_REDTBL(pin) + 1, 0);
	ioapic_write(IOAPIC_REDTBL(pin), low);
}

/* ---- host ---- */

/* KVM_CHECK_EXTENSION on a system fd of its own. */
static int cap_of(long cap)
{
	int fd = kt_open_dev();
	int r;

	if (fd < 0)
		return fd;
	r = kt_check_cap(fd, cap);
	close(fd);
	return r;
}

FIXTURE(chip) {
	struct kg_vm vm;
	bool made;
};

FIXTURE_SETUP(chip)
{
	self->made = false;
}

FIXTURE_TEARDOWN(chip)
{
	if (self->made)
		kg_vm_destroy(&self->vm);
}

/*
 * The VM with an in-kernel irqchip, the counting handler on the PIC's
 * vectors and ours, and vCPU 0 running @fn.
 */
#define START(fn)							\
	do {								\
		int __v;						\
		if (cap_of(KVM_CAP_IRQCHIP) <= 0)			\
			SKIP(return, "KVM_CAP_IRQCHIP not reported");	\
		ASSERT_EQ(0, kg_vm_create(&self->vm, KG_IRQCHIP));	\
		self->made = true;					\
		for (__v = 0x20; __v < 0x30; __v++)			\
			kg_set_handler(&self->vm, __v, on_irq);		\
		kg_set_handler(&self->vm, VEC_LEVEL, on_irq);		\
		kg_set_handler(&self->vm, VEC_EDGE, on_irq);		\
		kg_set_handler(&self->vm, VEC_MASKED, on_irq);		\
		kg_set_handler(&self->vm, VEC_MSI, on_irq);		\
		ASSERT_EQ(0, kg_vcpu_add(&self->vm, 0, fn));		\
	} while (0)

#define SYNC(v)		KG_ASSERT_SYNC(&self->vm, 0, v)
#define DONE()		KG_ASSERT_DONE(&self->vm, 0)
#define G(var)		KG_GUEST(&self->vm, var)

/* KVM_IRQ_LINE_STATUS: the status, or -1000 - errno. */
static int line(int vm_fd, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (ioctl(vm_fd, KVM_IRQ_LINE_STATUS, &l))
		return -1000 - errno;
	return l.status;
}

static int get_chip(int vm_fd, uint32_t id, struct kvm_irqchip *chip)
{
	memset(chip, 0, sizeof(*chip));
	chip->chip_id = id;
	return ioctl(vm_fd, KVM_GET_IRQCHIP, chip) ? errno : 0;
}

static uint64_t host_rte(int vm_fd, int pin)
{
	struct kvm_irqchip chip;

	if (get_chip(vm_fd, KVM_IRQCHIP_IOAPIC, &chip))
		return ~0ULL;
	return chip.chip.ioapic.redirtbl[pin].bits;
}

/* ---- PIC ---- */

/*
 * IRQ 3, an edge, through LINT0 in ExtINT mode: vector 0x23, in service
 * until the EOI; a second edge is a second interrupt.
 */
static void guest_pic_edge(void)
{
	lapic_extint();
	pic_init(~(1 << 3) & 0xff, 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	out[1] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	GUEST_SYNC(2);
	wait_for_irqs(2);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	wait_for_irqs(3);
	GUEST_SYNC(3);
}

TEST_F(chip, pic_edge)
{
	struct kvm_irqchip chip;

	START(guest_pic_edge);
	SYNC(1);
	/* The ICWs as KVM_GET_IRQCHIP shows them. */
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(PIC_BASE_MASTER, chip.chip.pic.irq_base);
	EXPECT_EQ(0xf7, chip.chip.pic.imr);
	EXPECT_EQ(1, chip.chip.pic.init4);
	EXPECT_EQ(0, chip.chip.pic.init_state);
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(PIC_BASE_SLAVE, chip.chip.pic.irq_base);
	EXPECT_EQ(0xff, chip.chip.pic.imr);

	EXPECT_EQ(1, line(self->vm.vm_fd, 3, 1));
	EXPECT_EQ(2, line(self->vm.vm_fd, 3, 0));
	SYNC(2);
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 3, G(irq_log[0]));
	EXPECT_EQ(0x08, G(out[0]));
	EXPECT_EQ(0x00, G(out[1]));
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0, chip.chip.pic.irr);
	EXPECT_EQ(0, chip.chip.pic.isr);

	EXPECT_EQ(1, line(self->vm.vm_fd, 3, 1));
	EXPECT_EQ(2, line(self->vm.vm_fd, 3, 0));
	SYNC(3);
	/* The second edge, and nothing else after its EOI. */
	EXPECT_EQ(2, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 3, G(irq_log[1]));
}

/*
 * Without touching the LAPIC: after reset vCPU 0's LINT0 is ExtINT, so
 * the PIC reaches the boot CPU as soon as the PIC is programmed.
 */
static void guest_pic_at_reset(void)
{
	pic_init(~(1 << 4) & 0xff, 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	GUEST_SYNC(2);
}

TEST_F(chip, pic_lint0_extint_at_reset)
{
	START(guest_pic_at_reset);
	SYNC(1);
	EXPECT_EQ(1, line(self->vm.vm_fd, 4, 1));
	line(self->vm.vm_fd, 4, 0);
	SYNC(2);
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 4, G(irq_log[0]));
}

/*
 * LINT0 masked (with the LAPIC enabled): the PIC's request does not get
 * in. Once LINT0 is unmasked it does, at the latest when the PIC next
 * re-evaluates its output (here: IMR written again).
 */
static void guest_lint0_masked(void)
{
	xapic_enable();
	xapic_write(APIC_LVT0, APIC_LVT_MASKED | APIC_MODE_EXTINT);
	pic_init(~(1 << 3) & 0xff, 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = nr_irqs;
	out[1] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_IRR);
	xapic_write(APIC_LVT0, APIC_MODE_EXTINT);
	kg_outb(PIC_MASTER_DATA, 0xff);
	kg_outb(PIC_MASTER_DATA, ~(1 << 3) & 0xff);
	wait_for_irqs(1);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	GUEST_SYNC(2);
}

TEST_F(chip, pic_lint0_masked)
{
	START(guest_lint0_masked);
	SYNC(1);
	line(self->vm.vm_fd, 3, 1);
	line(self->vm.vm_fd, 3, 0);
	SYNC(2);
	EXPECT_EQ(0, G(out[0]));
	/* Still requested in the PIC. */
	EXPECT_EQ(0x08, G(out[1]));
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 3, G(irq_log[0]));
}

/*
 * IRQ 9 on the slave: vector 0x29, in service on the slave (bit 1) and on
 * the master's cascade input (bit 2) until both EOIs.
 */
static void guest_pic_cascade(void)
{
	lapic_extint();
	pic_init(~(1 << 2) & 0xff, ~(1 << 1) & 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	out[1] = pic_read(PIC_SLAVE_CMD, PIC_OCW3_READ_ISR);
	kg_outb(PIC_SLAVE_CMD, PIC_EOI);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	out[2] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	out[3] = pic_read(PIC_SLAVE_CMD, PIC_OCW3_READ_ISR);
	GUEST_SYNC(2);
}

TEST_F(chip, pic_cascade)
{
	struct kvm_irqchip chip;

	START(guest_pic_cascade);
	SYNC(1);
	EXPECT_EQ(1, line(self->vm.vm_fd, 9, 1));
	line(self->vm.vm_fd, 9, 0);
	SYNC(2);
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_SLAVE + 1, G(irq_log[0]));
	EXPECT_EQ(0x04, G(out[0]));
	EXPECT_EQ(0x02, G(out[1]));
	EXPECT_EQ(0x00, G(out[2]));
	EXPECT_EQ(0x00, G(out[3]));
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(0, chip.chip.pic.isr);
	EXPECT_EQ(0, chip.chip.pic.irr);
}

/*
 * IRQ 1 and IRQ 3 pending together: IRQ 1 first; IRQ 3 waits for IRQ 1's
 * EOI; with IRQ 3 in service a new IRQ 1 nests; each non-specific EOI
 * ends the highest-priority service.
 */
static void guest_pic_priority(void)
{
	lapic_extint();
	pic_init(~((1 << 1) | (1 << 3)) & 0xff, 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(2);
	out[0] = nr_irqs;
	out[1] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	out[2] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_IRR);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	wait_for_irqs(2);
	out[3] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	GUEST_SYNC(2);
	wait_for_irqs(3);
	out[4] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	out[5] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	out[6] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	GUEST_SYNC(3);
}

TEST_F(chip, pic_priority)
{
	START(guest_pic_priority);
	SYNC(1);
	line(self->vm.vm_fd, 3, 1);
	line(self->vm.vm_fd, 3, 0);
	line(self->vm.vm_fd, 1, 1);
	line(self->vm.vm_fd, 1, 0);
	SYNC(2);
	/* Only IRQ 1 before its EOI, with IRQ 3 still requested. */
	EXPECT_EQ(1, G(out[0]));
	EXPECT_EQ(0x02, G(out[1]));
	EXPECT_EQ(0x08, G(out[2]));
	EXPECT_EQ(2, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 1, G(irq_log[0]));
	EXPECT_EQ(PIC_BASE_MASTER + 3, G(irq_log[1]));
	EXPECT_EQ(0x08, G(out[3]));

	/* IRQ 1 again, while IRQ 3 is in service: it nests. */
	line(self->vm.vm_fd, 1, 1);
	line(self->vm.vm_fd, 1, 0);
	SYNC(3);
	EXPECT_EQ(3, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 1, G(irq_log[2]));
	EXPECT_EQ(0x0a, G(out[4]));
	EXPECT_EQ(0x08, G(out[5]));
	EXPECT_EQ(0x00, G(out[6]));
}

/* A pin masked in the IMR latches its request and delivers on unmask. */
static void guest_pic_masked(void)
{
	lapic_extint();
	pic_init(0xff, 0xff);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = nr_irqs;
	out[1] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_IRR);
	out[2] = kg_inb(PIC_MASTER_DATA);
	kg_outb(PIC_MASTER_DATA, ~(1 << 4) & 0xff);
	wait_for_irqs(1);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	GUEST_SYNC(2);
}

TEST_F(chip, pic_masked)
{
	START(guest_pic_masked);
	SYNC(1);
	/* Masked everywhere (PIC IMR, IOAPIC entry): ignored. */
	EXPECT_EQ(-1, line(self->vm.vm_fd, 4, 1));
	line(self->vm.vm_fd, 4, 0);
	SYNC(2);
	EXPECT_EQ(0, G(out[0]));
	EXPECT_EQ(0x10, G(out[1]));
	EXPECT_EQ(0xff, G(out[2]));
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_MASTER + 4, G(irq_log[0]));
}

/*
 * A level-triggered slave pin (IRQ 11 in the ELCR) raised and lowered
 * while the guest has interrupts off: the cascade input of the master
 * latched the request, the slave has nothing left, and the acknowledge
 * gives the slave's spurious vector, IRQ 15 (0x2f), with only the
 * master's cascade bit in service.
 */
static void guest_pic_spurious(void)
{
	lapic_extint();
	pic_init(~(1 << 2) & 0xff, ~(1 << 3) & 0xff);
	kg_outb(PIC_SLAVE_ELCR, 1 << 3);
	out[4] = kg_inb(PIC_SLAVE_ELCR);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	out[1] = pic_read(PIC_SLAVE_CMD, PIC_OCW3_READ_ISR);
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
	out[2] = pic_read(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
	GUEST_SYNC(2);
}

TEST_F(chip, pic_spurious_irq15)
{
	struct kvm_irqchip chip;

	START(guest_pic_spurious);
	SYNC(1);
	EXPECT_EQ(0x08, G(out[4]));
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.elcr);
	EXPECT_EQ(1, line(self->vm.vm_fd, 11, 1));
	line(self->vm.vm_fd, 11, 0);
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(0, chip.chip.pic.irr);
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x04, chip.chip.pic.irr);
	SYNC(2);
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(PIC_BASE_SLAVE + 7, G(irq_log[0]));
	EXPECT_EQ(0x04, G(out[0]));
	EXPECT_EQ(0x00, G(out[1]));
	EXPECT_EQ(0x00, G(out[2]));
}

/* ---- IOAPIC ---- */

/*
 * The registers through the MMIO window: version 0x11 with 24 entries,
 * a writable 4-bit ID, entries read back as written but for the
 * read-only remote IRR and delivery status bits.
 */
static void guest_ioapic_regs(void)
{
	out[0] = ioapic_read(IOAPIC_REG_VERSION);
	out[1] = ioapic_read(IOAPIC_REG_ID);
	ioapic_write(IOAPIC_REG_ID, 3u << 24);
	out[2] = ioapic_read(IOAPIC_REG_ID);
	out[3] = ioapic_read(IOAPIC_REDTBL(9));
	ioapic_write(IOAPIC_REDTBL(9), RTE_MASKED | RTE_LEVEL |
		     RTE_REMOTE_IRR | RTE_DELIVS | 0x77);
	ioapic_write(IOAPIC_REDTBL(9) + 1, 0x5au << 24);
	out[4] = ioapic_read(IOAPIC_REDTBL(9));
	out[5] = ioapic_read(IOAPIC_REDTBL(9) + 1);
	GUEST_SYNC(1);
}

TEST_F(chip, ioapic_registers)
{
	struct kvm_irqchip chip;

	START(guest_ioapic_regs);
	SYNC(1);
	EXPECT_EQ(0x170011, G(out[0]));
	EXPECT_EQ(0, G(out[1]));
	EXPECT_EQ(3u << 24, G(out[2]));
	EXPECT_EQ(RTE_MASKED, G(out[3]));
	EXPECT_EQ(RTE_MASKED | RTE_LEVEL | 0x77, G(out[4]));
	EXPECT_EQ(0x5au << 24, G(out[5]));
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(3, chip.chip.ioapic.id);
	EXPECT_EQ(0x5aULL << 56 | RTE_MASKED | RTE_LEVEL | 0x77,
		  chip.chip.ioapic.redirtbl[9].bits);
}

/*
 * Pin 5 level-triggered to vector 0x40: delivered once while the line is
 * high and the guest has not EOIed (remote IRR set); the EOI re-delivers
 * it while the line stays high; after the line drops the EOI ends it.
 */
static void guest_ioapic_level(void)
{
	pic_init(0xff, 0xff);
	xapic_enable();
	ioapic_route(5, RTE_LEVEL | VEC_LEVEL);
	GUEST_SYNC(1);
	wait_for_irqs(2);
	out[0] = nr_irqs;
	out[1] = ioapic_read(IOAPIC_REDTBL(5));
	GUEST_SYNC(2);
	lapic_eoi();
	wait_for_irqs(2);
	out[2] = nr_irqs;
	GUEST_SYNC(3);
	lapic_eoi();
	wait_for_irqs(3);
	out[3] = nr_irqs;
	out[4] = ioapic_read(IOAPIC_REDTBL(5));
	GUEST_SYNC(4);
}

TEST_F(chip, ioapic_level)
{
	START(guest_ioapic_level);
	SYNC(1);
	EXPECT_EQ(0, host_rte(self->vm.vm_fd, 5) & RTE_REMOTE_IRR);
	/* PIC masked (-1), IOAPIC to one LAPIC (1). */
	EXPECT_EQ(1, line(self->vm.vm_fd, 5, 1));
	SYNC(2);
	EXPECT_EQ(1, G(out[0]));
	EXPECT_EQ(VEC_LEVEL, G(irq_log[0]));
	EXPECT_EQ(RTE_REMOTE_IRR | RTE_LEVEL | VEC_LEVEL,
		  G(out[1]) & ~RTE_DELIVS);
	EXPECT_NE(0, host_rte(self->vm.vm_fd, 5) & RTE_REMOTE_IRR);
	/* Waiting for the EOI: not serviced. */
	EXPECT_EQ(-1, line(self->vm.vm_fd, 5, 1));

	SYNC(3);
	/* The EOI with the line still high: delivered again. */
	EXPECT_EQ(2, G(out[2]));
	EXPECT_EQ(VEC_LEVEL, G(irq_log[1]));
	EXPECT_NE(0, host_rte(self->vm.vm_fd, 5) & RTE_REMOTE_IRR);
	line(self->vm.vm_fd, 5, 0);

	SYNC(4);
	/* Line low at the EOI: done, remote IRR clear. */
	EXPECT_EQ(2, G(out[3]));
	EXPECT_EQ(0, G(out[4]) & RTE_REMOTE_IRR);
	EXPECT_EQ(0, host_rte(self->vm.vm_fd, 5) & RTE_REMOTE_IRR);
}

/*
 * Pin 6 edge-triggered to vector 0x41: one interrupt per rising edge,
 * none for a line that stays high, no remote IRR.
 */
static void guest_ioapic_edge(void)
{
	pic_init(0xff, 0xff);
	xapic_enable();
	ioapic_route(6, VEC_EDGE);
	GUEST_SYNC(1);
	wait_for_irqs(2);
	out[0] = nr_irqs;
	out[1] = ioapic_read(IOAPIC_REDTBL(6));
	lapic_eoi();
	GUEST_SYNC(2);
	wait_for_irqs(3);
	out[2] = nr_irqs;
	lapic_eoi();
	GUEST_SYNC(3);
}

TEST_F(chip, ioapic_edge)
{
	START(guest_ioapic_edge);
	SYNC(1);
	EXPECT_EQ(1, line(self->vm.vm_fd, 6, 1));
	/* Still high: no new edge. */
	EXPECT_EQ(0, line(self->vm.vm_fd, 6, 1));
	SYNC(2);
	EXPECT_EQ(1, G(out[0]));
	EXPECT_EQ(VEC_EDGE, G(irq_log[0]));
	EXPECT_EQ(VEC_EDGE, G(out[1]) & ~RTE_DELIVS);
	EXPECT_EQ(0, host_rte(self->vm.vm_fd, 6) & RTE_REMOTE_IRR);
	line(self->vm.vm_fd, 6, 0);
	EXPECT_EQ(1, line(self->vm.vm_fd, 6, 1));
	line(self->vm.vm_fd, 6, 0);
	SYNC(3);
	EXPECT_EQ(2, G(out[2]));
	EXPECT_EQ(VEC_EDGE, G(irq_log[1]));
}

/*
 * Pin 7 masked: nothing is delivered while the line is high; unmasking
 * the level-triggered entry with the line still high delivers it.
 */
static void guest_ioapic_masked(void)
{
	pic_init(0xff, 0xff);
	xapic_enable();
	ioapic_route(7, RTE_MASKED | RTE_LEVEL | VEC_MASKED);
	GUEST_SYNC(1);
	wait_for_irqs(1);
	out[0] = nr_irqs;
	ioapic_write(IOAPIC_REDTBL(7), RTE_LEVEL | VEC_MASKED);
	wait_for_irqs(1);
	out[1] = nr_irqs;
	GUEST_SYNC(2);
	lapic_eoi();
	GUEST_SYNC(3);
}

TEST_F(chip, ioapic_masked)
{
	struct kvm_irqchip chip;

	START(guest_ioapic_masked);
	SYNC(1);
	EXPECT_EQ(-1, line(self->vm.vm_fd, 7, 1));
	ASSERT_EQ(0, get_chip(self->vm.vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(1u << 7, chip.chip.ioapic.irr);
	SYNC(2);
	EXPECT_EQ(0, G(out[0]));
	EXPECT_EQ(1, G(out[1]));
	EXPECT_EQ(VEC_MASKED, G(irq_log[0]));
	line(self->vm.vm_fd, 7, 0);
	SYNC(3);
	EXPECT_EQ(0, host_rte(self->vm.vm_fd, 7) & RTE_REMOTE_IRR);
}

/* ---- MSI ---- */

static void guest_msi(void)
{
	pic_init(0xff, 0xff);
	GUEST_SYNC(1);
	xapic_enable();
	GUEST_SYNC(2);
	wait_for_irqs(1);
	out[0] = xapic_read(APIC_ISR + (VEC_MSI / 32) * 0x10);
	lapic_eoi();
	out[1] = xapic_read(APIC_ISR + (VEC_MSI / 32) * 0x10);
	GUEST_SYNC(3);
}

TEST_F(chip, signal_msi)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = VEC_MSI };

	if (cap_of(KVM_CAP_SIGNAL_MSI) <= 0)
		SKIP(return, "KVM_CAP_SIGNAL_MSI not reported");
	START(guest_msi);
	SYNC(1);
	/* The LAPIC is still software-disabled: not accepted. */
	EXPECT_EQ(0, ioctl(self->vm.vm_fd, KVM_SIGNAL_MSI, &msi));
	SYNC(2);
	EXPECT_EQ(1, ioctl(self->vm.vm_fd, KVM_SIGNAL_MSI, &msi));
	SYNC(3);
	EXPECT_EQ(1, G(nr_irqs));
	EXPECT_EQ(VEC_MSI, G(irq_log[0]));
	EXPECT_EQ(1u << (VEC_MSI % 32), G(out[0]));
	EXPECT_EQ(0, G(out[1]));
}

/* ---- the PIT's IRQ0 and its mask ---- */

#define PIT_CH0			0x40
#define PIT_CMD			0x43
#define PIT_1KHZ		1193	/* counts of 1.193182 MHz */

static volatile uint64_t p_tsc_per_ms;
static volatile uint64_t pit_ticks;

static void on_pit(struct kg_frame *f)
{
	pit_ticks++;
	kg_outb(PIC_MASTER_CMD, PIC_EOI);
}

static void spin_ms(uint64_t ms)
{
	uint64_t end = kg_rdtsc() + ms * p_tsc_per_ms;

	while (kg_rdtsc() < end)
		kg_pause();
}

/*
 * The PIT ticks at 1 kHz for 100 ms while IRQ0 is masked at the PIC,
 * then IRQ0 is unmasked for 20 ms. KVM's mask notifier drops the ticks
 * that reinjection held back, so the guest sees about 20 interrupts,
 * not a burst of the hundred it missed.
 */
static void guest_pit_unmask(void)
{
	lapic_extint();
	pic_init(0xff, 0xff);
	kg_outb(PIT_CMD, 0x34);			/* channel 0, LSB+MSB, mode 2 */
	kg_outb(PIT_CH0, PIT_1KHZ & 0xff);
	kg_outb(PIT_CH0, PIT_1KHZ >> 8);
	spin_ms(100);
	kg_sti();
	kg_outb(PIC_MASTER_DATA, 0xfe);
	spin_ms(20);
	kg_cli();
	out[0] = pit_ticks;
	GUEST_SYNC(1);
}

TEST_F(chip, pit_unmask_drops_held_ticks)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int khz;

	if (cap_of(KVM_CAP_PIT2) <= 0)
		SKIP(return, "KVM_CAP_PIT2 not reported");
	START(guest_pit_unmask);
	ASSERT_EQ(0, ioctl(self->vm.vm_fd, KVM_CREATE_PIT2, &pit));
	kg_set_handler(&self->vm, 0x20, on_pit);
	khz = ioctl(self->vm.v[0].fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	G(p_tsc_per_ms) = khz;
	SYNC(1);
	TH_LOG("%llu IRQ0s in the 20 ms after the unmask",
	       (unsigned long long)G(out[0]));
	EXPECT_LE(3, G(out[0]));
	EXPECT_GE(40, G(out[0]));
	DONE();
}

TEST_HARNESS_MAIN
