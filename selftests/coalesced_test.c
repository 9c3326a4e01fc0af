// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and PIO: the ring page in the vCPU mmap at the page the
 * capability gives, guest writes of 1, 2, 4 and 8 bytes to registered
 * zones appended to it without an exit (address, length, data, pio), a
 * read or a write that leaves the zone exiting as usual, a full ring
 * making the next write exit, unregistering, and the errors, as in-tree
 * KVM.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "guest.h"

/* <linux/kvm.h>'s KVM_COALESCED_MMIO_MAX counts in pages of this size. */
#ifndef PAGE_SIZE
#define PAGE_SIZE	4096
#endif

#define ZONE_GPA	0xd0000000ULL	/* mapped, no memslot behind it */
#define ZONE_SIZE	0x100
#define ZONE_PORT	0x710
#define NR_FILL		300

/* ---- guest ---- */

static volatile uint64_t sink;

static inline void pio_w16(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" :: "a"(v), "Nd"(port));
}

static inline void pio_w32(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" :: "a"(v), "Nd"(port));
}

static void guest_writes(void)
{
	GUEST_SYNC(1);
	*(volatile uint8_t *)(ZONE_GPA + 0x01) = 0xa1;
	*(volatile uint16_t *)(ZONE_GPA + 0x10) = 0xb2b2;
	*(volatile uint32_t *)(ZONE_GPA + 0x20) = 0xc3c3c3c3;
	kg_write64((void *)(ZONE_GPA + 0x30), 0xd4d4d4d4e5e5e5e5ULL);
	kg_outb(ZONE_PORT, 0x11);
	pio_w16(ZONE_PORT + 1, 0x2222);
	pio_w32(ZONE_PORT, 0x33333333);
	GUEST_SYNC(2);
	/* A read, and a write crossing the zone's end: exits. */
	sink = *(volatile uint32_t *)(ZONE_GPA + 0x40);
	*(volatile uint32_t *)(ZONE_GPA + ZONE_SIZE - 2) = 0x5555;
	pio_w32(ZONE_PORT + 2, 0x66666666);
	GUEST_SYNC(3);
	/* After the zone was unregistered: an exit. */
	*(volatile uint32_t *)(ZONE_GPA + 0x20) = 0x77;
	GUEST_SYNC(4);
}

static void guest_fill(void)
{
	uint32_t i;

	for (i = 0; i < NR_FILL; i++)
		*(volatile uint32_t *)(ZONE_GPA + 4 * (i % 16)) = i;
	GUEST_SYNC(1);
}

/* ---- host ---- */

FIXTURE(coal) {
	struct kg_vm vm;
	bool made;
	struct kvm_coalesced_mmio_ring *ring;
	long page;
};

FIXTURE_SETUP(coal)
{
	self->made = false;
	self->ring = NULL;
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(coal)
{
	if (self->ring)
		munmap(self->ring, self->page);
	if (self->made)
		kg_vm_destroy(&self->vm);
}

static int zone(int vm_fd, unsigned long ioctl_nr, uint64_t addr,
		uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = {
		.addr = addr, .size = size, .pio = pio,
	};

	return ioctl(vm_fd, ioctl_nr, &z) ? -errno : 0;
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

/* The VM, its MMIO page mapped, vCPU 0 in @fn, the ring mapped. */
static void start(struct __test_metadata *_metadata, FIXTURE_DATA(coal) *self,
		  void (*fn)(void))
{
	int off = cap_of(KVM_CAP_COALESCED_MMIO);
	void *p;

	if (off <= 0)
		SKIP(return, "KVM_CAP_COALESCED_MMIO not reported");
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	self->made = true;
	ASSERT_EQ(0, kt_pt_map(&self->vm.pt, ZONE_GPA, ZONE_GPA, KT_SIZE_4K,
			       KT_PTE_W | (1ULL << 4)));
	ASSERT_EQ(0, kg_vcpu_add(&self->vm, 0, fn));
	ASSERT_LE((size_t)(off + 1) * self->page, self->vm.v[0].run_size);
	p = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->vm.v[0].fd, off * self->page);
	ASSERT_NE(MAP_FAILED, p);
	self->ring = p;
}

static void expect_entry(struct __test_metadata *_metadata,
			 struct kvm_coalesced_mmio_ring *ring, uint64_t addr,
			 uint32_t len, uint32_t pio, uint64_t data)
{
	struct kvm_coalesced_mmio *e;
	uint64_t v = 0;

	ASSERT_NE(ring->first, ring->last);
	e = &ring->coalesced_mmio[ring->first];
	EXPECT_EQ(addr, e->phys_addr);
	EXPECT_EQ(len, e->len);
	EXPECT_EQ(pio, e->pio);
	memcpy(&v, e->data, len);
	EXPECT_EQ(data, v);
	ring->first = (ring->first + 1) % KVM_COALESCED_MMIO_MAX;
}

static void expect_exit(struct __test_metadata *_metadata, struct kg_vm *vm,
			uint32_t reason, uint64_t addr, int write)
{
	struct kvm_run *run = vm->v[0].run;
	struct kg_ucall uc;

	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(reason, run->exit_reason);
	if (reason == KVM_EXIT_MMIO) {
		EXPECT_EQ(addr, run->mmio.phys_addr);
		EXPECT_EQ(write, run->mmio.is_write);
	} else {
		EXPECT_EQ(addr, run->io.port);
	}
}

TEST_F(coal, caps_and_errors)
{
	int sys = kt_open_dev(), vm;

	ASSERT_LE(0, sys);
	if (kt_check_cap(sys, KVM_CAP_COALESCED_MMIO) <= 0)
		SKIP(return, "KVM_CAP_COALESCED_MMIO not reported");
	EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  kt_check_cap(sys, KVM_CAP_COALESCED_MMIO));
	EXPECT_EQ(1, kt_check_cap(sys, KVM_CAP_COALESCED_PIO));
	EXPECT_LE((KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * self->page,
		  ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0));
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);
	EXPECT_EQ(-EINVAL, zone(vm, KVM_REGISTER_COALESCED_MMIO, ZONE_GPA, 8,
				2));
	EXPECT_EQ(-EINVAL, zone(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE_GPA, 8,
				2));
	/* Unregistering what is not there is no error. */
	EXPECT_EQ(0, zone(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE_GPA, 8, 0));
	EXPECT_EQ(0, zone(vm, KVM_REGISTER_COALESCED_MMIO, ZONE_GPA, 8, 0));
	EXPECT_EQ(0, zone(vm, KVM_REGISTER_COALESCED_MMIO, ZONE_GPA, 8, 1));
	EXPECT_EQ(0, zone(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE_GPA, 8, 0));
	close(vm);
	close(sys);
}

TEST_F(coal, ring_contents)
{
	struct kvm_coalesced_mmio_ring *ring;
	int vm;

	start(_metadata, self, guest_writes);
	ring = self->ring;
	vm = self->vm.vm_fd;
	ASSERT_EQ(0, zone(vm, KVM_REGISTER_COALESCED_MMIO, ZONE_GPA,
			  ZONE_SIZE, 0));
	ASSERT_EQ(0, zone(vm, KVM_REGISTER_COALESCED_MMIO, ZONE_PORT, 4, 1));
	KG_ASSERT_SYNC(&self->vm, 0, 1);
	EXPECT_EQ(ring->first, ring->last);
	/* Seven writes, no exit between the two guest calls. */
	KG_ASSERT_SYNC(&self->vm, 0, 2);
	EXPECT_EQ(7, (ring->last - ring->first + KVM_COALESCED_MMIO_MAX) %
		     KVM_COALESCED_MMIO_MAX);
	expect_entry(_metadata, ring, ZONE_GPA + 0x01, 1, 0, 0xa1);
	expect_entry(_metadata, ring, ZONE_GPA + 0x10, 2, 0, 0xb2b2);
	expect_entry(_metadata, ring, ZONE_GPA + 0x20, 4, 0, 0xc3c3c3c3);
	expect_entry(_metadata, ring, ZONE_GPA + 0x30, 8, 0,
		     0xd4d4d4d4e5e5e5e5ULL);
	expect_entry(_metadata, ring, ZONE_PORT, 1, 1, 0x11);
	expect_entry(_metadata, ring, ZONE_PORT + 1, 2, 1, 0x2222);
	expect_entry(_metadata, ring, ZONE_PORT, 4, 1, 0x33333333);
	EXPECT_EQ(ring->first, ring->last);

	expect_exit(_metadata, &self->vm, KVM_EXIT_MMIO, ZONE_GPA + 0x40, 0);
	expect_exit(_metadata, &self->vm, KVM_EXIT_MMIO,
		    ZONE_GPA + ZONE_SIZE - 2, 1);
	expect_exit(_metadata, &self->vm, KVM_EXIT_IO, ZONE_PORT + 2, 1);
	KG_ASSERT_SYNC(&self->vm, 0, 3);
	EXPECT_EQ(ring->first, ring->last);

	/* Any range inside the zone names it. */
	ASSERT_EQ(0, zone(vm, KVM_UNREGISTER_COALESCED_MMIO, ZONE_GPA + 0x20,
			  4, 0));
	expect_exit(_metadata, &self->vm, KVM_EXIT_MMIO, ZONE_GPA + 0x20, 1);
	KG_ASSERT_SYNC(&self->vm, 0, 4);
	EXPECT_EQ(ring->first, ring->last);
}

/*
 * More writes than the ring holds: a write that finds it full exits as
 * MMIO; userspace empties the ring there. Every write is seen once, in
 * order, in the ring or in an exit.
 */
TEST_F(coal, ring_full)
{
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_run *run;
	uint32_t next = 0, v, first_batch = 0;
	int exits = 0, st;
	struct kg_ucall uc;

	start(_metadata, self, guest_fill);
	ring = self->ring;
	run = self->vm.v[0].run;
	ASSERT_EQ(0, zone(self->vm.vm_fd, KVM_REGISTER_COALESCED_MMIO,
			  ZONE_GPA, ZONE_SIZE, 0));
	for (;;) {
		st = kg_run(&self->vm, 0, &uc);
		/* The ring holds the writes before this exit. */
		while (ring->first != ring->last) {
			struct kvm_coalesced_mmio *e;

			e = &ring->coalesced_mmio[ring->first];
			memcpy(&v, e->data, 4);
			ASSERT_EQ(next, v);
			ASSERT_EQ(ZONE_GPA + 4 * (next % 16), e->phys_addr);
			next++;
			ring->first = (ring->first + 1) %
				      KVM_COALESCED_MMIO_MAX;
		}
		if (!exits)
			first_batch = next;
		if (st == KG_SYNC)
			break;
		ASSERT_EQ(KG_OTHER, st);
		ASSERT_EQ(KVM_EXIT_MMIO, run->exit_reason);
		ASSERT_EQ(1, run->mmio.is_write);
		memcpy(&v, run->mmio.data, 4);
		ASSERT_EQ(next, v);
		next++;
		exits++;
	}
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(NR_FILL, next);
	EXPECT_LT(0, exits);
	TH_LOG("%d exits, %u writes coalesced before the first", exits,
	       first_batch);
	/* One slot always stays free. */
	if (kt_is_kvmod())
		EXPECT_EQ(KVM_COALESCED_MMIO_MAX - 1, first_batch);
}

TEST_HARNESS_MAIN
