// SPDX-License-Identifier: GPL-2.0
/*
 * System-fd API: KVM_GET_API_VERSION, KVM_GET_VCPU_MMAP_SIZE and
 * KVM_CHECK_EXTENSION, including that the reported capabilities hold.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kt_harness.h"
#include "kvm_util.h"

/* A capability number no KVM defines. */
#define BOGUS_CAP	0xdead

KT_GUEST_CODE16(api_out_hlt,
	"mov $0x5a, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n\t");

FIXTURE(sys) {
	int fd;
};

FIXTURE_SETUP(sys)
{
	self->fd = kt_open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", kt_dev_path(),
				      strerror(-self->fd));
}

FIXTURE_TEARDOWN(sys)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(sys, api_version)
{
	EXPECT_EQ(KVM_API_VERSION, ioctl(self->fd, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(12, ioctl(self->fd, KVM_GET_API_VERSION, 0));

	/* The argument must be 0. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(sys, vcpu_mmap_size)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kvm_run *run;
	int size, vm, vcpu, off;
	unsigned int sum = 0;

	size = ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LE(page, size);
	EXPECT_EQ(0, size % page);

	/* The argument must be 0. */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 1));
	EXPECT_EQ(EINVAL, errno);

	/* The whole area can be mapped and touched. */
	vm = kt_create_vm(self->fd);
	ASSERT_LE(0, vm);
	vcpu = kt_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu);
	run = kt_map_run(vcpu, size);
	ASSERT_NE(NULL, run);
	/* A fault here (SIGBUS) kills the test: the harness fails it. */
	for (off = 0; off < size; off += page)
		sum += ((uint8_t *)run)[off];
	TH_LOG("mmap size %d, byte sum %u", size, sum);
	munmap(run, size);
	close(vcpu);
	close(vm);
}

/*
 * Past KVM_GET_VCPU_MMAP_SIZE there is nothing: in-tree KVM lets the mmap
 * succeed and raises SIGBUS on access.  Refusing the mmap is fine too;
 * handing out some page is not.
 */
TEST_F(sys, vcpu_mmap_beyond_size)
{
	int size, vm, vcpu, status;
	uint8_t *p;
	pid_t pid;

	size = ioctl(self->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT_LT(0, size);
	vm = kt_create_vm(self->fd);
	ASSERT_LE(0, vm);
	vcpu = kt_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu);

	p = mmap(NULL, KT_PAGE_SIZE, PROT_READ, MAP_SHARED, vcpu, size);
	if (p == MAP_FAILED) {
		TH_LOG("mmap beyond the size refused: %s", strerror(errno));
	} else {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(*(volatile uint8_t *)p);	/* must not return */
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
			TH_LOG("status %#x", status);
		munmap(p, KT_PAGE_SIZE);
	}
	close(vcpu);
	close(vm);
}

TEST_F(sys, required_caps)
{
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_IMMEDIATE_EXIT));
}

TEST_F(sys, vcpu_and_slot_limits)
{
	int nr_vcpus, max_vcpus, max_id, nr_slots;

	nr_vcpus = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	max_vcpus = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	nr_slots = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	max_id = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	TH_LOG("NR_VCPUS %d MAX_VCPUS %d MAX_VCPU_ID %d NR_MEMSLOTS %d",
	       nr_vcpus, max_vcpus, max_id, nr_slots);

	EXPECT_LT(0, nr_vcpus);
	EXPECT_LT(0, max_vcpus);
	EXPECT_LT(0, nr_slots);
	/* api.rst: the recommended number never exceeds the maximum. */
	EXPECT_LE(nr_vcpus, max_vcpus);
	/* If reported, vCPU ids must cover at least MAX_VCPUS vCPUs. */
	if (max_id > 0) {
		EXPECT_LE(max_vcpus, max_id);
	} else {
		EXPECT_EQ(0, max_id);
	}
}

TEST_F(sys, unknown_caps_are_zero)
{
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, BOGUS_CAP));
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, 0x7fffffffL));
	EXPECT_EQ(0, ioctl(self->fd, KVM_CHECK_EXTENSION, -1L));
}

/* KVM_CAP_CHECK_EXTENSION_VM: the VM fd answers like the system fd. */
TEST_F(sys, vm_check_extension)
{
	static const long caps[] = {
		KVM_CAP_USER_MEMORY, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_NR_VCPUS,
		KVM_CAP_MAX_VCPUS, KVM_CAP_NR_MEMSLOTS, KVM_CAP_MAX_VCPU_ID,
		BOGUS_CAP,
	};
	unsigned int i;
	int vm;

	if (ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) <= 0)
		SKIP(return, "KVM_CAP_CHECK_EXTENSION_VM not reported");

	vm = kt_create_vm(self->fd);
	ASSERT_LE(0, vm);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		EXPECT_EQ(ioctl(self->fd, KVM_CHECK_EXTENSION, caps[i]),
			  ioctl(vm, KVM_CHECK_EXTENSION, caps[i]))
			TH_LOG("capability %ld", caps[i]);
	}
	close(vm);
}

/* KVM_CAP_NR_MEMSLOTS: slot ids 0 .. n-1 are usable, n is not. */
TEST_F(sys, nr_memslots_holds)
{
	struct kvm_userspace_memory_region r = { 0 };
	int nr_slots, vm;
	void *mem;

	nr_slots = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	ASSERT_LT(0, nr_slots);
	vm = kt_create_vm(self->fd);
	ASSERT_LE(0, vm);
	mem = mmap(NULL, KT_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);

	r.slot = nr_slots - 1;
	r.guest_phys_addr = 0x100000;
	r.memory_size = KT_PAGE_SIZE;
	r.userspace_addr = (uintptr_t)mem;
	EXPECT_EQ(0, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));

	r.slot = nr_slots;
	r.guest_phys_addr = 0x200000;
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
	EXPECT_EQ(EINVAL, errno);

	close(vm);
	munmap(mem, KT_PAGE_SIZE);
}

/* KVM_CAP_NR_VCPUS: that many vCPUs (ids 0 .. n-1) can be created. */
TEST_F(sys, nr_vcpus_holds)
{
	int nr_vcpus, vm, i, fd;

	nr_vcpus = ioctl(self->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	ASSERT_LT(0, nr_vcpus);
	if (nr_vcpus > 64)
		nr_vcpus = 64;	/* keep it cheap under TCG */

	vm = kt_create_vm(self->fd);
	ASSERT_LE(0, vm);
	for (i = 0; i < nr_vcpus; i++) {
		fd = kt_create_vcpu(vm, i);
		ASSERT_LE(0, fd) TH_LOG("vCPU %d: %s", i, strerror(-fd));
	}
	close(vm);
}

/*
 * KVM_CAP_IMMEDIATE_EXIT: with immediate_exit set KVM_RUN returns EINTR
 * without running the guest; cleared, the guest runs.
 */
TEST_F(sys, immediate_exit_holds)
{
	struct kt_guest g;
	struct kvm_regs regs;

	ASSERT_EQ(1, ioctl(self->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_IMMEDIATE_EXIT));
	ASSERT_EQ(0, kt_guest_create(&g, api_out_hlt,
				     KT_CODE_LEN(api_out_hlt)));

	g.run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(g.vcpu_fd, g.run));
	ASSERT_EQ(0, kt_get_regs(g.vcpu_fd, &regs));
	EXPECT_EQ(KT_CODE_GPA, regs.rip);

	g.run->immediate_exit = 0;
	EXPECT_EQ(KVM_EXIT_IO, kt_run(g.vcpu_fd, g.run));
	EXPECT_EQ(0x10, g.run->io.port);
	EXPECT_EQ(0x5a, *kt_io_data(g.run));
	kt_guest_destroy(&g);
}

TEST_HARNESS_MAIN
