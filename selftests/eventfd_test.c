// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: guest port and MMIO writes of 1, 2, 4 and 8 bytes that
 * signal an eventfd without an exit to userspace (the writes run between
 * two guest calls, so any exit would show as something other than the
 * second call), datamatch hits and misses, length 0 (any length), deassign,
 * and the errors of bad arguments and collisions, as in-tree KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define PORT_A		0x700
#define PORT_B		0x704
#define PORT_C		0x708
#define MMIO_GPA	0xd0000000ULL	/* mapped, no memslot behind it */
#define NR_WRITES	50

/* ---- guest ---- */

static inline void pio_w16(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void pio_w32(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static void mmio_w8(uint64_t off, uint8_t v)
{
	*(volatile uint8_t *)(MMIO_GPA + off) = v;
}

static void mmio_w16(uint64_t off, uint16_t v)
{
	*(volatile uint16_t *)(MMIO_GPA + off) = v;
}

static void mmio_w32(uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(MMIO_GPA + off) = v;
}

/* Each PIO size NR_WRITES times, then one write of each that misses. */
static void guest_pio(void)
{
	int i;

	GUEST_SYNC(1);
	for (i = 0; i < NR_WRITES; i++) {
		kg_outb(PORT_A, 0x11);
		pio_w16(PORT_B, 0x2222);
		pio_w32(PORT_C, 0x33333333);
	}
	GUEST_SYNC(2);
	pio_w32(PORT_C, 0x44444444);	/* datamatch miss: an exit */
	pio_w16(PORT_C, 0x3333);		/* another length: an exit */
	GUEST_SYNC(3);
}

static void guest_mmio(void)
{
	int i;

	GUEST_SYNC(1);
	for (i = 0; i < NR_WRITES; i++) {
		mmio_w8(0x0, 0x55);
		mmio_w16(0x10, 0x6666);
		mmio_w32(0x20, 0x77777777);
		kg_write64((void *)(MMIO_GPA + 0x30), 0x8888888899999999ULL);
		/* length 0: any length at 0x40 */
		mmio_w8(0x40, 1);
		mmio_w32(0x40, 2);
		kg_write64((void *)(MMIO_GPA + 0x40), 3);
	}
	GUEST_SYNC(2);
	mmio_w32(0x20, 0x12345678);	/* datamatch miss */
	mmio_w32(0x44, 0);		/* not the exact address */
	GUEST_SYNC(3);
}

/* Writes to PORT_A until the host says stop (deassign test). */
static void guest_pio_twice(void)
{
	GUEST_SYNC(1);
	kg_outb(PORT_A, 0x11);
	GUEST_SYNC(2);
	kg_outb(PORT_A, 0x11);
	GUEST_SYNC(3);
}

/* ---- host ---- */

FIXTURE(evfd) {
	struct kg_vm vm;
	bool made;
	int efd[8];
};

FIXTURE_SETUP(evfd)
{
	int i;

	self->made = false;
	for (i = 0; i < 8; i++) {
		self->efd[i] = eventfd(0, EFD_NONBLOCK);
		ASSERT_LE(0, self->efd[i]);
	}
}

FIXTURE_TEARDOWN(evfd)
{
	int i;

	if (self->made)
		kg_vm_destroy(&self->vm);
	for (i = 0; i < 8; i++)
		close(self->efd[i]);
}

static void start(struct __test_metadata *_metadata,
		  FIXTURE_DATA(evfd) *self, unsigned int flags,
		  void (*fn)(void))
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, flags));
	self->made = true;
	ASSERT_EQ(0, kt_pt_map(&self->vm.pt, MMIO_GPA, MMIO_GPA, KT_SIZE_4K,
			       KT_PTE_W | (1ULL << 4)));
	ASSERT_EQ(0, kg_vcpu_add(&self->vm, 0, fn));
}

static int ioeventfd(int vm_fd, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd a = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm_fd, KVM_IOEVENTFD, &a) ? -errno : 0;
}

/* The eventfd's count, which reading resets (0 when never signalled). */
static uint64_t count_of(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Run to the next exit and require a port write of @size to @port. */
static void expect_pio_exit(struct __test_metadata *_metadata,
			    struct kg_vm *vm, uint16_t port, int size)
{
	struct kg_ucall uc;
	struct kvm_run *run = vm->v[0].run;

	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(size, run->io.size);
}

static void expect_mmio_exit(struct __test_metadata *_metadata,
			     struct kg_vm *vm, uint64_t gpa, int len)
{
	struct kg_ucall uc;
	struct kvm_run *run = vm->v[0].run;

	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(gpa, run->mmio.phys_addr);
	EXPECT_EQ(len, run->mmio.len);
}

TEST_F(evfd, caps)
{
	int sys = kt_open_dev();

	ASSERT_LE(0, sys);
	EXPECT_LT(0, kt_check_cap(sys, KVM_CAP_IOEVENTFD));
	EXPECT_LT(0, kt_check_cap(sys, KVM_CAP_IOEVENTFD_ANY_LENGTH));
	EXPECT_LT(0, kt_check_cap(sys, KVM_CAP_IOEVENTFD_NO_LENGTH));
	close(sys);
}

TEST_F(evfd, bad_arguments)
{
	int vm, e = self->efd[0], nfd;
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	const uint32_t de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	start(_metadata, self, 0, guest_pio);
	vm = self->vm.vm_fd;
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 3, e, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 16, e, pio, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, ~0ULL - 1, 4, e, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 4, e, 1u << 5, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 0, e, dm, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, 0x1000, 4, -1, 0, 0));
	nfd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, nfd);
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 4, nfd, 0, 0));
	close(nfd);
	/* Nothing assigned yet. */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, e, de, 0));

	/* Collisions: same address and length, a wildcard, length 0. */
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, e, dm, 5));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 4, self->efd[1], dm, 5));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 4, self->efd[1], 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x1000, 0, self->efd[1], 0, 0));
	/* Not collisions: another value, length, address or bus. */
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, self->efd[1], dm, 6));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 2, self->efd[2], 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x1002, 2, self->efd[3], 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, self->efd[4], pio, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x1000, 0, self->efd[5], pio | dm,
				     0));

	/* Deassign needs the same eventfd, length and datamatch. */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, self->efd[1], de | dm, 5));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, e, de, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 8, e, de | dm, 5));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, e, de | dm | pio, 5));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, e, de | dm, 5));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x1000, 4, e, de | dm, 5));
	EXPECT_EQ(0, ioeventfd(vm, 0x1000, 4, e, dm, 5));
}

static void pio_case(struct __test_metadata *_metadata,
		     FIXTURE_DATA(evfd) *self, unsigned int flags)
{
	int vm;
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;

	start(_metadata, self, flags, guest_pio);
	vm = self->vm.vm_fd;
	ASSERT_EQ(0, ioeventfd(vm, PORT_A, 1, self->efd[0], pio, 0));
	ASSERT_EQ(0, ioeventfd(vm, PORT_B, 2, self->efd[1], pio | dm,
			       0x2222));
	ASSERT_EQ(0, ioeventfd(vm, PORT_C, 4, self->efd[2], pio | dm,
			       0x33333333));
	/* MMIO at the same numbers is another bus: never signalled. */
	ASSERT_EQ(0, ioeventfd(vm, PORT_A, 1, self->efd[3], 0, 0));
	KG_ASSERT_SYNC(&self->vm, 0, 1);
	/* All the writes happen without an exit before the next call. */
	KG_ASSERT_SYNC(&self->vm, 0, 2);
	EXPECT_EQ(NR_WRITES, count_of(self->efd[0]));
	EXPECT_EQ(NR_WRITES, count_of(self->efd[1]));
	EXPECT_EQ(NR_WRITES, count_of(self->efd[2]));
	EXPECT_EQ(0, count_of(self->efd[3]));
	expect_pio_exit(_metadata, &self->vm, PORT_C, 4);
	EXPECT_EQ(0x44444444, *(uint32_t *)kt_io_data(self->vm.v[0].run));
	expect_pio_exit(_metadata, &self->vm, PORT_C, 2);
	KG_ASSERT_SYNC(&self->vm, 0, 3);
	EXPECT_EQ(0, count_of(self->efd[2]));
}

TEST_F(evfd, pio_no_exit)
{
	pio_case(_metadata, self, 0);
}

/* With the in-kernel irqchip its devices share the port bus. */
TEST_F(evfd, pio_no_exit_irqchip)
{
	int sys = kt_open_dev();
	int cap = kt_check_cap(sys, KVM_CAP_IRQCHIP);

	close(sys);
	if (cap <= 0)
		SKIP(return, "KVM_CAP_IRQCHIP not reported");
	pio_case(_metadata, self, KG_IRQCHIP);
}

TEST_F(evfd, mmio_no_exit)
{
	int vm;
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;

	start(_metadata, self, 0, guest_mmio);
	vm = self->vm.vm_fd;
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA, 1, self->efd[0], dm, 0x55));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA + 0x10, 2, self->efd[1], 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA + 0x20, 4, self->efd[2], dm,
			       0x77777777));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA + 0x30, 8, self->efd[3], dm,
			       0x8888888899999999ULL));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA + 0x40, 0, self->efd[4], 0, 0));
	KG_ASSERT_SYNC(&self->vm, 0, 1);
	KG_ASSERT_SYNC(&self->vm, 0, 2);
	EXPECT_EQ(NR_WRITES, count_of(self->efd[0]));
	EXPECT_EQ(NR_WRITES, count_of(self->efd[1]));
	EXPECT_EQ(NR_WRITES, count_of(self->efd[2]));
	EXPECT_EQ(NR_WRITES, count_of(self->efd[3]));
	EXPECT_EQ(3 * NR_WRITES, count_of(self->efd[4]));
	expect_mmio_exit(_metadata, &self->vm, MMIO_GPA + 0x20, 4);
	expect_mmio_exit(_metadata, &self->vm, MMIO_GPA + 0x44, 4);
	KG_ASSERT_SYNC(&self->vm, 0, 3);
	EXPECT_EQ(0, count_of(self->efd[2]));
	EXPECT_EQ(0, count_of(self->efd[4]));
}

TEST_F(evfd, deassign)
{
	int vm;
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;

	start(_metadata, self, 0, guest_pio_twice);
	vm = self->vm.vm_fd;
	ASSERT_EQ(0, ioeventfd(vm, PORT_A, 1, self->efd[0], pio, 0));
	KG_ASSERT_SYNC(&self->vm, 0, 1);
	KG_ASSERT_SYNC(&self->vm, 0, 2);
	EXPECT_EQ(1, count_of(self->efd[0]));
	ASSERT_EQ(0, ioeventfd(vm, PORT_A, 1, self->efd[0],
			       pio | KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	expect_pio_exit(_metadata, &self->vm, PORT_A, 1);
	KG_ASSERT_SYNC(&self->vm, 0, 3);
	EXPECT_EQ(0, count_of(self->efd[0]));
}

/* The VM goes away with ioeventfds assigned; the eventfds stay usable. */
TEST_F(evfd, destroy_with_ioeventfds)
{
	uint64_t one = 1;

	start(_metadata, self, 0, guest_pio);
	ASSERT_EQ(0, ioeventfd(self->vm.vm_fd, PORT_A, 1, self->efd[0],
			       KVM_IOEVENTFD_FLAG_PIO, 0));
	ASSERT_EQ(0, ioeventfd(self->vm.vm_fd, MMIO_GPA, 0, self->efd[0],
			       0, 0));
	kg_vm_destroy(&self->vm);
	self->made = false;
	EXPECT_EQ(8, write(self->efd[0], &one, sizeof(one)));
	EXPECT_EQ(1, count_of(self->efd[0]));
}

TEST_HARNESS_MAIN
