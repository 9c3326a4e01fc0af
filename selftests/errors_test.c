// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths: unknown ioctls on each kind of fd, bad user pointers,
 * invalid memory regions, and guest memory that userspace unmapped.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kvm_util.h"

/* A KVM ioctl number no KVM defines. */
#define KVM_BOGUS_IOCTL		_IO(KVMIO, 0xff)
/* An ioctl of another subsystem. */
#define OTHER_IOCTL		_IOR('T', 0x01, int)

KT_GUEST_CODE16(err_hlt,
	"hlt\n\t");

FIXTURE(fds) {
	struct kt_guest g;
	void *unmapped;		/* a page-sized hole in our address space */
};

FIXTURE_SETUP(fds)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, err_hlt, KT_CODE_LEN(err_hlt)));
	self->unmapped = mmap(NULL, KT_PAGE_SIZE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->unmapped);
	ASSERT_EQ(0, munmap(self->unmapped, KT_PAGE_SIZE));
}

FIXTURE_TEARDOWN(fds)
{
	kt_guest_destroy(&self->g);
}

/*
 * Unknown ioctls. kvmod answers ENOTTY on every fd, the errno for "no such
 * ioctl". In-tree KVM 6.1 differs by fd type: its system fd and vCPU fd
 * fall back to x86 handlers that say EINVAL, its VM fd says ENOTTY. The
 * expectation follows whichever hypervisor is loaded.
 */
static int unknown_ioctl_errno(bool vm_fd)
{
	if (vm_fd || access("/sys/module/kvmod", F_OK) == 0)
		return ENOTTY;
	return EINVAL;
}

TEST_F(fds, unknown_ioctl_system_fd)
{
	int want = unknown_ioctl_errno(false);

	EXPECT_EQ(want, kt_ioctl_errno(self->g.sys_fd, KVM_BOGUS_IOCTL, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.sys_fd, OTHER_IOCTL, 0));
	/* VM and vCPU ioctls mean nothing on the system fd. */
	EXPECT_EQ(want, kt_ioctl_errno(self->g.sys_fd, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.sys_fd, KVM_RUN, 0));
}

TEST_F(fds, unknown_ioctl_vm_fd)
{
	int want = unknown_ioctl_errno(true);

	EXPECT_EQ(want, kt_ioctl_errno(self->g.vm_fd, KVM_BOGUS_IOCTL, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vm_fd, OTHER_IOCTL, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vm_fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vm_fd, KVM_RUN, 0));
}

TEST_F(fds, unknown_ioctl_vcpu_fd)
{
	int want = unknown_ioctl_errno(false);

	EXPECT_EQ(want, kt_ioctl_errno(self->g.vcpu_fd, KVM_BOGUS_IOCTL, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vcpu_fd, OTHER_IOCTL, 0));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vcpu_fd, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(want, kt_ioctl_errno(self->g.vcpu_fd, KVM_CREATE_VM, 0));
}

/* KVM_RUN takes no argument. */
TEST_F(fds, run_with_argument)
{
	EXPECT_EQ(EINVAL, kt_ioctl_errno(self->g.vcpu_fd, KVM_RUN, 1));
	/* Nothing ran: the HLT is still ahead. */
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(self->g.vcpu_fd, self->g.run));
}

/* ---- bad user pointers ---- */

TEST_F(fds, regs_bad_pointer)
{
	struct kvm_regs regs;

	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_GET_REGS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_GET_REGS,
				      (unsigned long)self->unmapped));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_SET_REGS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_SET_REGS,
				      (unsigned long)self->unmapped));
	/* A failed KVM_SET_REGS changed nothing. */
	ASSERT_EQ(0, kt_get_regs(self->g.vcpu_fd, &regs));
	EXPECT_EQ(KT_CODE_GPA, regs.rip);
	EXPECT_EQ(KT_STACK_GPA, regs.rsp);
}

TEST_F(fds, sregs_bad_pointer)
{
	struct kvm_sregs sregs;

	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_GET_SREGS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_GET_SREGS,
				      (unsigned long)self->unmapped));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_SET_SREGS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vcpu_fd, KVM_SET_SREGS,
				      (unsigned long)self->unmapped));
	ASSERT_EQ(0, kt_get_sregs(self->g.vcpu_fd, &sregs));
	EXPECT_EQ(0, sregs.cs.base);
	EXPECT_EQ(0, sregs.cs.selector);
}

TEST_F(fds, memory_region_bad_pointer)
{
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vm_fd,
				      KVM_SET_USER_MEMORY_REGION, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(self->g.vm_fd,
				      KVM_SET_USER_MEMORY_REGION,
				      (unsigned long)self->unmapped));
	/* Slot 0 is still there: the guest runs. */
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(self->g.vcpu_fd, self->g.run));
}

/*
 * Guest memory whose host mapping is gone: KVM_SET_USER_MEMORY_REGION
 * does not look at the mapping, KVM_RUN fails with EFAULT when the guest
 * touches it.
 */
TEST_F(fds, guest_memory_unmapped)
{
	ASSERT_EQ(0, munmap(self->g.mem, KT_MEM_SIZE));
	self->g.mem = NULL;
	EXPECT_EQ(-EFAULT, kt_run(self->g.vcpu_fd, self->g.run));
}

/* ---- invalid memory regions ---- */

FIXTURE(region) {
	int sys_fd, vm_fd;
	uint8_t *mem;		/* 4 pages */
	struct kvm_userspace_memory_region r;
};

#define REGION_SIZE	(4 * KT_PAGE_SIZE)

FIXTURE_SETUP(region)
{
	self->sys_fd = kt_open_dev();
	ASSERT_LE(0, self->sys_fd);
	self->vm_fd = kt_create_vm(self->sys_fd);
	ASSERT_LE(0, self->vm_fd);
	self->mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);

	/* A valid region, slot 1 at 1 MiB, that each test then spoils. */
	memset(&self->r, 0, sizeof(self->r));
	self->r.slot = 1;
	self->r.guest_phys_addr = 0x100000;
	self->r.memory_size = REGION_SIZE;
	self->r.userspace_addr = (uintptr_t)self->mem;
}

FIXTURE_TEARDOWN(region)
{
	close(self->vm_fd);
	close(self->sys_fd);
	munmap(self->mem, REGION_SIZE);
}

static int set_region(int vm_fd, struct kvm_userspace_memory_region *r)
{
	return kt_ioctl_errno(vm_fd, KVM_SET_USER_MEMORY_REGION,
			   (unsigned long)r);
}

TEST_F(region, valid_then_identical_again)
{
	EXPECT_EQ(0, set_region(self->vm_fd, &self->r));
	EXPECT_EQ(0, set_region(self->vm_fd, &self->r));
}

TEST_F(region, unaligned_gpa)
{
	self->r.guest_phys_addr += 0x800;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, unaligned_size)
{
	self->r.memory_size -= 1;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, unaligned_userspace_addr)
{
	self->r.userspace_addr += 16;
	self->r.memory_size -= KT_PAGE_SIZE;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, kernel_userspace_addr)
{
	self->r.userspace_addr = 0xffff888000000000ULL;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, gpa_wraps)
{
	self->r.guest_phys_addr = -KT_PAGE_SIZE;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, bad_flags)
{
	self->r.flags = 1U << 15;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, slot_out_of_range)
{
	int nr = ioctl(self->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);

	ASSERT_LT(0, nr);
	self->r.slot = nr;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
	self->r.slot = 0xffff;	/* address space 0, highest id */
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, delete_missing_slot)
{
	self->r.memory_size = 0;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
}

TEST_F(region, overlap)
{
	struct kvm_userspace_memory_region other = self->r;

	ASSERT_EQ(0, set_region(self->vm_fd, &self->r));
	other.slot = 2;
	other.guest_phys_addr = self->r.guest_phys_addr + KT_PAGE_SIZE;
	other.memory_size = KT_PAGE_SIZE;
	EXPECT_EQ(EEXIST, set_region(self->vm_fd, &other));
	/* Adjacent is fine. */
	other.guest_phys_addr = self->r.guest_phys_addr + REGION_SIZE;
	EXPECT_EQ(0, set_region(self->vm_fd, &other));
}

TEST_F(region, resize_existing)
{
	ASSERT_EQ(0, set_region(self->vm_fd, &self->r));
	self->r.memory_size = KT_PAGE_SIZE;
	EXPECT_EQ(EINVAL, set_region(self->vm_fd, &self->r));
	/* Deleting, then creating it smaller, is the way. */
	self->r.memory_size = 0;
	EXPECT_EQ(0, set_region(self->vm_fd, &self->r));
	self->r.memory_size = KT_PAGE_SIZE;
	EXPECT_EQ(0, set_region(self->vm_fd, &self->r));
}

TEST_HARNESS_MAIN
