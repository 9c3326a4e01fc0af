// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD: an eventfd signal raising a GSI through the VM's routing
 * table, as the guest sees it: an MSI route and an IOAPIC edge pin reach
 * the guest's handler, a routing change under a live irqfd takes effect,
 * a level-triggered IOAPIC pin with a resamplefd interrupts once per
 * signal (the guest's EOI drops the line and signals the resamplefd),
 * deassign stops the interrupts, the eventfd may be closed first and the
 * VM destroyed with irqfds live; and the errors of KVM_IRQFD, as in-tree
 * KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_DATA		0xa1
#define IOREGSEL		0x00
#define IOWIN			0x10
#define IOAPIC_REDTBL(pin)	(0x10 + 2 * (pin))
#define RTE_LEVEL		(1u << 15)

#define PIN_EDGE		10
#define PIN_LEVEL		11
#define VEC_EDGE		0x61
#define VEC_LEVEL		0x62
#define VEC_MSI			0x63
#define VEC_MSI2		0x64
#define GSI_MSI			40

/* Spins of the guest's wait: long enough for a pending interrupt. */
#define SPINS			20000

/* ---- guest ---- */

static volatile uint64_t nr_irqs;
static volatile uint64_t irq_count[256];
static volatile uint64_t want;

static void on_irq(struct kg_frame *f)
{
	irq_count[f->vector & 0xff]++;
	nr_irqs++;
	xapic_write(APIC_EOI, 0);
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

/*
 * PIC masked, LAPIC on, the two IOAPIC pins set up; then, each time it
 * runs, wait with IF=1 until the host's @want interrupts were taken (or
 * a while) and report how many.
 */
static void guest_main(void)
{
	int i;

	kg_outb(PIC_MASTER_DATA, 0xff);
	kg_outb(PIC_SLAVE_DATA, 0xff);
	xapic_enable();
	ioapic_route(PIN_EDGE, VEC_EDGE);
	ioapic_route(PIN_LEVEL, VEC_LEVEL | RTE_LEVEL);
	for (;;) {
		kg_sti();
		for (i = 0; i < SPINS && nr_irqs < want; i++)
			kg_pause();
		/* A while more: an interrupt storm would show here. */
		for (i = 0; i < SPINS / 10; i++)
			kg_pause();
		kg_cli();
		GUEST_SYNC(nr_irqs);
	}
}

#define NOTIFY_PORT		0x720
#define NR_KICKS		20

/*
 * A virtio-like loop with no userspace in it: each write to the
 * ioeventfd's port signals the eventfd that is also an irqfd, whose MSI
 * the guest takes before its next write.
 */
static void guest_kick(void)
{
	int i, j;

	xapic_enable();
	kg_sti();
	for (i = 1; i <= NR_KICKS; i++) {
		kg_outb(NOTIFY_PORT, i);
		for (j = 0; j < SPINS && nr_irqs < (uint64_t)i; j++)
			kg_pause();
	}
	kg_cli();
	GUEST_SYNC(nr_irqs);
}

/* ---- host ---- */

FIXTURE(irqfd) {
	struct kg_vm vm;
	bool made;
	int efd[4];
};

FIXTURE_SETUP(irqfd)
{
	int i;

	self->made = false;
	for (i = 0; i < 4; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(irqfd)
{
	int i;

	if (self->made)
		kg_vm_destroy(&self->vm);
	for (i = 0; i < 4; i++)
		if (self->efd[i] >= 0)
			close(self->efd[i]);
}

static int cap_of(long cap)
{
	int fd = kt_open_dev(), r;

	if (fd < 0)
		return fd;
	r = kt_check_cap(fd, cap);
	close(fd);
	return r;
}

static int irqfd(int vm_fd, int fd, uint32_t gsi, uint32_t flags,
		 int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ioctl(vm_fd, KVM_IRQFD, &a) ? -errno : 0;
}

static void signal_fd(struct __test_metadata *_metadata, int fd)
{
	uint64_t one = 1;

	ASSERT_EQ(8, write(fd, &one, sizeof(one)));
}

static uint64_t count_of(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* GSI_MSI as an MSI of @vector to APIC ID 0, with the default pins. */
static int route_msi(int vm_fd, uint8_t vector)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[25];
	} r;
	int i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < 24; i++) {
		r.e[i].gsi = i;
		r.e[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		r.e[i].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r.e[i].u.irqchip.pin = i;
	}
	r.e[24].gsi = GSI_MSI;
	r.e[24].type = KVM_IRQ_ROUTING_MSI;
	r.e[24].u.msi.address_lo = 0xfee00000;
	r.e[24].u.msi.data = vector;
	r.hdr.nr = 25;
	return ioctl(vm_fd, KVM_SET_GSI_ROUTING, &r) ? -errno : 0;
}

/* The VM with an irqchip, vCPU 0 in guest_main, set up and waiting. */
static void start(struct __test_metadata *_metadata,
		  FIXTURE_DATA(irqfd) *self)
{
	int v;

	if (cap_of(KVM_CAP_IRQFD) <= 0)
		SKIP(return, "KVM_CAP_IRQFD not reported");
	ASSERT_EQ(0, kg_vm_create(&self->vm, KG_IRQCHIP));
	self->made = true;
	for (v = 0x60; v < 0x70; v++)
		kg_set_handler(&self->vm, v, on_irq);
	ASSERT_EQ(0, kg_vcpu_add(&self->vm, 0, guest_main));
	EXPECT_EQ(0, KG_SYNC_VALUE(&self->vm, 0));
}

/* Let the guest wait for @n interrupts in all; give how many it took. */
static uint64_t run_for(struct __test_metadata *_metadata, struct kg_vm *vm,
			uint64_t n)
{
	KG_GUEST(vm, want) = n;
	return KG_SYNC_VALUE(vm, 0);
}

#define IRQS(vec)	KG_GUEST(&self->vm, irq_count[vec])

TEST_F(irqfd, caps)
{
	if (cap_of(KVM_CAP_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel irqchip");
	EXPECT_EQ(1, cap_of(KVM_CAP_IRQFD));
	EXPECT_EQ(1, cap_of(KVM_CAP_IRQFD_RESAMPLE));
}

TEST_F(irqfd, bad_arguments)
{
	int sys, vm, nfd;

	if (cap_of(KVM_CAP_IRQFD) <= 0)
		SKIP(return, "KVM_CAP_IRQFD not reported");
	/* No in-kernel irqchip: no irqfd (deassign is no error). */
	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);
	EXPECT_EQ(-EINVAL, irqfd(vm, self->efd[0], 5, 0, -1));
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 5, KVM_IRQFD_FLAG_DEASSIGN, -1));
	EXPECT_EQ(-EBADF, irqfd(vm, -1, 5, KVM_IRQFD_FLAG_DEASSIGN, -1));
	close(vm);

	start(_metadata, self);
	vm = self->vm.vm_fd;
	EXPECT_EQ(-EINVAL, irqfd(vm, self->efd[0], 5, 1u << 2, -1));
	EXPECT_EQ(-EBADF, irqfd(vm, -1, 5, 0, -1));
	nfd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, nfd);
	EXPECT_EQ(-EINVAL, irqfd(vm, nfd, 5, 0, -1));
	EXPECT_EQ(-EBADF, irqfd(vm, self->efd[0], 5, KVM_IRQFD_FLAG_RESAMPLE,
				-1));
	EXPECT_EQ(-EINVAL, irqfd(vm, self->efd[0], 5, KVM_IRQFD_FLAG_RESAMPLE,
				 nfd));
	close(nfd);
	/* One eventfd serves one irqfd, whatever the GSI. */
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 5, 0, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, self->efd[0], 5, 0, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, self->efd[0], 6, 0, -1));
	/* Deassigning what is not there is no error. */
	EXPECT_EQ(0, irqfd(vm, self->efd[1], 5, KVM_IRQFD_FLAG_DEASSIGN, -1));
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 6, KVM_IRQFD_FLAG_DEASSIGN, -1));
	EXPECT_EQ(-EBUSY, irqfd(vm, self->efd[0], 6, 0, -1));
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 5, KVM_IRQFD_FLAG_DEASSIGN, -1));
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 6, 0, -1));
	close(sys);
}

/* A split irqchip routes MSIs but has no pins to resample. */
TEST_F(irqfd, split_irqchip)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 },
	};
	int sys, vm;

	if (cap_of(KVM_CAP_IRQFD) <= 0 || cap_of(KVM_CAP_SPLIT_IRQCHIP) <= 0)
		SKIP(return, "KVM_CAP_IRQFD or KVM_CAP_SPLIT_IRQCHIP missing");
	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);
	ASSERT_EQ(0, ioctl(vm, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(-EINVAL, irqfd(vm, self->efd[0], 5, KVM_IRQFD_FLAG_RESAMPLE,
				 self->efd[1]));
	EXPECT_EQ(0, irqfd(vm, self->efd[0], 5, 0, -1));
	close(vm);
	close(sys);
}

TEST_F(irqfd, msi_and_routing_change)
{
	start(_metadata, self);
	ASSERT_EQ(0, route_msi(self->vm.vm_fd, VEC_MSI));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], GSI_MSI, 0, -1));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(1, run_for(_metadata, &self->vm, 1));
	EXPECT_EQ(1, IRQS(VEC_MSI));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(2, run_for(_metadata, &self->vm, 2));
	EXPECT_EQ(2, IRQS(VEC_MSI));

	/* The route changes under the live irqfd. */
	ASSERT_EQ(0, route_msi(self->vm.vm_fd, VEC_MSI2));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(3, run_for(_metadata, &self->vm, 3));
	EXPECT_EQ(2, IRQS(VEC_MSI));
	EXPECT_EQ(1, IRQS(VEC_MSI2));

	/* Deassigned: the eventfd keeps its count and raises nothing. */
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], GSI_MSI,
			   KVM_IRQFD_FLAG_DEASSIGN, -1));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(3, run_for(_metadata, &self->vm, 4));
	EXPECT_EQ(1, count_of(self->efd[0]));
}

/* A signal before the irqfd exists is taken when it is assigned. */
TEST_F(irqfd, pending_signal)
{
	start(_metadata, self);
	signal_fd(_metadata, self->efd[0]);
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_EDGE, 0, -1));
	EXPECT_EQ(1, run_for(_metadata, &self->vm, 1));
	EXPECT_EQ(1, IRQS(VEC_EDGE));
}

TEST_F(irqfd, ioapic_edge_pin)
{
	int i;

	start(_metadata, self);
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_EDGE, 0, -1));
	for (i = 1; i <= 3; i++) {
		signal_fd(_metadata, self->efd[0]);
		EXPECT_EQ(i, run_for(_metadata, &self->vm, i));
		EXPECT_EQ(i, IRQS(VEC_EDGE));
	}
	/* The irqfd pulses the line: it is low again, for KVM_IRQ_LINE too. */
	EXPECT_EQ(3, run_for(_metadata, &self->vm, 4));
}

TEST_F(irqfd, resample_level_pin)
{
	int i;

	start(_metadata, self);
	if (cap_of(KVM_CAP_IRQFD_RESAMPLE) <= 0)
		SKIP(return, "KVM_CAP_IRQFD_RESAMPLE not reported");
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_LEVEL,
			   KVM_IRQFD_FLAG_RESAMPLE, self->efd[1]));
	for (i = 1; i <= 3; i++) {
		signal_fd(_metadata, self->efd[0]);
		/*
		 * One interrupt per signal: the guest's EOI dropped the
		 * level, or the pin would interrupt again at once.
		 */
		EXPECT_EQ(i, run_for(_metadata, &self->vm, i + 1));
		EXPECT_EQ(i, IRQS(VEC_LEVEL));
		EXPECT_EQ(1, count_of(self->efd[1]));
	}
	/* Deassigned, the level stays low and nothing is resampled. */
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_LEVEL,
			   KVM_IRQFD_FLAG_DEASSIGN, -1));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(3, run_for(_metadata, &self->vm, 4));
	EXPECT_EQ(0, count_of(self->efd[1]));
}

/* Two resampling irqfds on one GSI share its level and both hear EOIs. */
TEST_F(irqfd, resample_shared_gsi)
{
	start(_metadata, self);
	if (cap_of(KVM_CAP_IRQFD_RESAMPLE) <= 0)
		SKIP(return, "KVM_CAP_IRQFD_RESAMPLE not reported");
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_LEVEL,
			   KVM_IRQFD_FLAG_RESAMPLE, self->efd[2]));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[1], PIN_LEVEL,
			   KVM_IRQFD_FLAG_RESAMPLE, self->efd[3]));
	signal_fd(_metadata, self->efd[1]);
	EXPECT_EQ(1, run_for(_metadata, &self->vm, 2));
	EXPECT_EQ(1, count_of(self->efd[2]));
	EXPECT_EQ(1, count_of(self->efd[3]));
	/* One leaves; the other still works. */
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[1], PIN_LEVEL,
			   KVM_IRQFD_FLAG_DEASSIGN, -1));
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(2, run_for(_metadata, &self->vm, 3));
	EXPECT_EQ(1, count_of(self->efd[2]));
	EXPECT_EQ(0, count_of(self->efd[3]));
}

/* The eventfd closed first: the irqfd goes; its GSI takes a new one. */
TEST_F(irqfd, eventfd_closed_first)
{
	start(_metadata, self);
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], PIN_EDGE, 0, -1));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[2], PIN_LEVEL,
			   KVM_IRQFD_FLAG_RESAMPLE, self->efd[3]));
	close(self->efd[0]);
	self->efd[0] = -1;
	close(self->efd[2]);
	self->efd[2] = -1;
	EXPECT_EQ(0, run_for(_metadata, &self->vm, 1));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[1], PIN_EDGE, 0, -1));
	signal_fd(_metadata, self->efd[1]);
	EXPECT_EQ(1, run_for(_metadata, &self->vm, 1));
	EXPECT_EQ(1, IRQS(VEC_EDGE));
	/* The resamplefd outlives its closed irqfd, unsignalled. */
	EXPECT_EQ(0, count_of(self->efd[3]));
}

/* The VM goes with irqfds live; their eventfds stay usable. */
TEST_F(irqfd, destroy_with_irqfds)
{
	start(_metadata, self);
	ASSERT_EQ(0, route_msi(self->vm.vm_fd, VEC_MSI));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], GSI_MSI, 0, -1));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[1], PIN_LEVEL,
			   KVM_IRQFD_FLAG_RESAMPLE, self->efd[2]));
	signal_fd(_metadata, self->efd[1]);
	kg_vm_destroy(&self->vm);
	self->made = false;
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(1, count_of(self->efd[0]));
	EXPECT_EQ(0, count_of(self->efd[2]));
}

TEST_F(irqfd, ioeventfd_to_irqfd)
{
	struct kvm_ioeventfd io = {
		.addr = NOTIFY_PORT, .len = 1, .fd = self->efd[0],
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	int v;

	if (cap_of(KVM_CAP_IRQFD) <= 0 || cap_of(KVM_CAP_IOEVENTFD) <= 0)
		SKIP(return, "KVM_CAP_IRQFD or KVM_CAP_IOEVENTFD missing");
	ASSERT_EQ(0, kg_vm_create(&self->vm, KG_IRQCHIP));
	self->made = true;
	for (v = 0x60; v < 0x70; v++)
		kg_set_handler(&self->vm, v, on_irq);
	ASSERT_EQ(0, kg_vcpu_add(&self->vm, 0, guest_kick));
	ASSERT_EQ(0, route_msi(self->vm.vm_fd, VEC_MSI));
	ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0], GSI_MSI, 0, -1));
	ASSERT_EQ(0, ioctl(self->vm.vm_fd, KVM_IOEVENTFD, &io));
	/* Twenty round trips and not one exit before the guest call. */
	EXPECT_EQ(NR_KICKS, KG_SYNC_VALUE(&self->vm, 0));
	EXPECT_EQ(NR_KICKS, IRQS(VEC_MSI));
}

struct storm {
	int fd;
	volatile bool stop;
	unsigned long writes;
};

static void *storm_thread(void *arg)
{
	struct storm *st = arg;
	uint64_t one = 1;

	while (!st->stop) {
		if (write(st->fd, &one, sizeof(one)) == sizeof(one))
			st->writes++;
		/*
		 * A breath between signals: each one kicks the vCPU, and
		 * an unbroken stream would keep it from its guest loop.
		 */
		usleep(5);
	}
	return NULL;
}

/*
 * Signals from another thread while the irqfd is assigned and deassigned
 * over and over, with a resampler on the same eventfd pair every other
 * time, and the guest running: no interrupt after the last deassign, and
 * nothing left behind (the guest kernel log is checked for splats).
 */
TEST_F_TIMEOUT(irqfd, assign_deassign_under_signals, 120)
{
	struct storm st = { .fd = self->efd[0] };
	pthread_t t;
	uint64_t before;
	int i;

	start(_metadata, self);
	ASSERT_EQ(0, route_msi(self->vm.vm_fd, VEC_MSI));
	ASSERT_EQ(0, pthread_create(&t, NULL, storm_thread, &st));
	for (i = 0; i < 100; i++) {
		if (i % 2) {
			ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0],
					   PIN_LEVEL, KVM_IRQFD_FLAG_RESAMPLE,
					   self->efd[1]));
		} else {
			ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0],
					   GSI_MSI, 0, -1));
		}
		if (i % 10 == 0)
			run_for(_metadata, &self->vm, 1000000);
		ASSERT_EQ(0, irqfd(self->vm.vm_fd, self->efd[0],
				   i % 2 ? PIN_LEVEL : GSI_MSI,
				   KVM_IRQFD_FLAG_DEASSIGN, -1));
	}
	st.stop = true;
	pthread_join(t, NULL);
	TH_LOG("%lu signals, %lu interrupts", st.writes,
	       (unsigned long)KG_GUEST(&self->vm, nr_irqs));
	before = run_for(_metadata, &self->vm, 1000000);
	signal_fd(_metadata, self->efd[0]);
	EXPECT_EQ(before, run_for(_metadata, &self->vm, 1000000));
}

TEST_HARNESS_MAIN
