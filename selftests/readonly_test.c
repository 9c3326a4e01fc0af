// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only memslots (KVM_MEM_READONLY, KVM_CAP_READONLY_MEM): the guest
 * reads and executes the slot's memory like RAM, but its writes exit as
 * KVM_EXIT_MMIO with the address, length and data, and never reach the
 * memory. The host may map the memory PROT_READ. A slot cannot become
 * read-only or writable after it was created.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kt_long.h"
#include "kvm_util.h"

#define RO_SLOT		1
#define RO_GPA		(1ULL << 30)
#define RO_SIZE		0x4000UL
#define ROM_CODE	0x100		/* offset of the code in the slot */
#define PATTERN0	0x1122334455667788ULL
#define PATTERN1	0x0000000a0000000bULL

/*
 * Read the slot's first qword, report it (OUT 0x10), store to it, add to
 * the dword at +8, read again, report it, then run the code at
 * RO_GPA + ROM_CODE.
 */
KT_GUEST_CODE64(ro_guest,
	"mov $0x40000000, %ebx\n\t"
	"mov (%rbx), %rax\n\t"
	"out %eax, $0x10\n\t"
	"movq $0x1234, (%rbx)\n\t"
	"addl $5, 8(%rbx)\n\t"
	"mov (%rbx), %rax\n\t"
	"out %eax, $0x10\n\t"
	"lea 0x100(%rbx), %rax\n\t"
	"jmp *%rax\n\t");

/* Code that runs from the read-only slot: OUT 0x11, HLT. */
KT_GUEST_CODE64(rom_code,
	"mov $0x99, %al\n\t"
	"out %al, $0x11\n\t"
	"hlt\n\t");

FIXTURE(ro) {
	struct kt_guest g;
	uint8_t *mem;
};

static int set_slot(struct kt_guest *g, uint32_t slot, uint64_t gpa,
		    void *mem, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = RO_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

FIXTURE_SETUP(ro)
{
	uint64_t p0 = PATTERN0, p1 = PATTERN1;

	ASSERT_EQ(0, kt_guest_create(&self->g, ro_guest,
				     KT_CODE_LEN(ro_guest)));
	ASSERT_EQ(0, kt_set_long_mode(self->g.vcpu_fd, self->g.mem,
				      KT_CODE_GPA));
	self->mem = mmap(NULL, RO_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memcpy(self->mem, &p0, 8);
	memcpy(self->mem + 8, &p1, 8);
	memcpy(self->mem + ROM_CODE, rom_code, KT_CODE_LEN(rom_code));
	ASSERT_EQ(0, mprotect(self->mem, RO_SIZE, PROT_READ));
}

FIXTURE_TEARDOWN(ro)
{
	kt_guest_destroy(&self->g);
	munmap(self->mem, RO_SIZE);
}

static void expect_out(struct __test_metadata *_metadata, struct kt_guest *g,
		       uint16_t port, uint32_t val, int size)
{
	uint32_t got = 0;

	ASSERT_EQ(KVM_EXIT_IO, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(port, g->run->io.port);
	EXPECT_EQ(KVM_EXIT_IO_OUT, g->run->io.direction);
	EXPECT_EQ(size, g->run->io.size);
	memcpy(&got, kt_io_data(g->run), size);
	EXPECT_EQ(val, got);
}

static void expect_mmio_write(struct __test_metadata *_metadata,
			      struct kt_guest *g, uint64_t gpa, uint32_t len,
			      uint64_t val)
{
	uint64_t got = 0;

	ASSERT_EQ(KVM_EXIT_MMIO, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(gpa, g->run->mmio.phys_addr);
	EXPECT_EQ(len, g->run->mmio.len);
	EXPECT_EQ(1, g->run->mmio.is_write);
	memcpy(&got, g->run->mmio.data, len);
	EXPECT_EQ(val, got);
}

TEST_F(ro, reads_run_writes_exit)
{
	uint64_t v;

	ASSERT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem,
			      KVM_MEM_READONLY));
	expect_out(_metadata, &self->g, 0x10, (uint32_t)PATTERN0, 4);
	/* The store exits with its data... */
	expect_mmio_write(_metadata, &self->g, RO_GPA, 8, 0x1234);
	/* ...the read-modify-write reads the memory and exits to write. */
	expect_mmio_write(_metadata, &self->g, RO_GPA + 8, 4,
			  (uint32_t)PATTERN1 + 5);
	/* Nothing reached the memory. */
	expect_out(_metadata, &self->g, 0x10, (uint32_t)PATTERN0, 4);
	memcpy(&v, self->mem, 8);
	EXPECT_EQ(PATTERN0, v);
	memcpy(&v, self->mem + 8, 8);
	EXPECT_EQ(PATTERN1, v);
	/* Code runs from the read-only slot. */
	expect_out(_metadata, &self->g, 0x11, 0x99, 1);
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(self->g.vcpu_fd, self->g.run));
}

/* A read-only slot moved elsewhere stays read-only. */
TEST_F(ro, moved_slot_stays_readonly)
{
	ASSERT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA + RO_SIZE, self->mem,
			      KVM_MEM_READONLY));
	ASSERT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem,
			      KVM_MEM_READONLY));
	expect_out(_metadata, &self->g, 0x10, (uint32_t)PATTERN0, 4);
	expect_mmio_write(_metadata, &self->g, RO_GPA, 8, 0x1234);
}

/* A writable slot cannot become read-only, nor the other way round. */
TEST_F(ro, flag_is_for_life)
{
	void *rw = mmap(NULL, RO_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, rw);
	ASSERT_EQ(0, set_slot(&self->g, 2, 2ULL << 30, rw, 0));
	EXPECT_EQ(-EINVAL, set_slot(&self->g, 2, 2ULL << 30, rw,
				    KVM_MEM_READONLY));
	ASSERT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem,
			      KVM_MEM_READONLY));
	EXPECT_EQ(-EINVAL, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem, 0));
	/* Dirty logging may come and go on a read-only slot. */
	EXPECT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem,
			      KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem,
			      KVM_MEM_READONLY));
	/* Deleting and creating again is how the flag changes. */
	EXPECT_EQ(0, ioctl(self->g.vm_fd, KVM_SET_USER_MEMORY_REGION,
			   &(struct kvm_userspace_memory_region){ .slot = 2 }));
	EXPECT_EQ(0, set_slot(&self->g, 2, 2ULL << 30, rw, KVM_MEM_READONLY));
	munmap(rw, RO_SIZE);
}

/*
 * A writable slot over memory the host maps PROT_READ: the guest reads
 * it; its first write cannot be had and KVM_RUN fails with EFAULT.
 */
TEST_F(ro, writable_slot_over_prot_read)
{
	ASSERT_EQ(0, set_slot(&self->g, RO_SLOT, RO_GPA, self->mem, 0));
	expect_out(_metadata, &self->g, 0x10, (uint32_t)PATTERN0, 4);
	EXPECT_EQ(-EFAULT, kt_run(self->g.vcpu_fd, self->g.run));
}

TEST(readonly_mem_cap)
{
	int sys = kt_open_dev();

	ASSERT_LE(0, sys);
	EXPECT_EQ(1, ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM));
	close(sys);
}

TEST_HARNESS_MAIN
