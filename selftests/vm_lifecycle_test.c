// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU lifecycle: KVM_CREATE_VM, KVM_CREATE_VCPU and their errors,
 * closing the fds in every order, use from another process, and many
 * create/destroy cycles without leaking memory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kt_harness.h"
#include "kvm_util.h"

/* OUT 0x10 <- 0x11, then OUT 0x10 <- 0x22, then HLT. */
KT_GUEST_CODE16(lc_two_outs,
	"mov $0x11, %al\n\t"
	"out %al, $0x10\n\t"
	"mov $0x22, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n\t");

/* Store 0xbeef to GPA 0x2000 and report it with OUT 0x10, then HLT. */
KT_GUEST_CODE16(lc_store,
	"movw $0xbeef, 0x2000\n\t"
	"mov 0x2000, %ax\n\t"
	"out %ax, $0x10\n\t"
	"hlt\n\t");

/* One KVM_RUN that must stop at "OUT 0x10" with the byte @val. */
static int expect_out8(int vcpu_fd, struct kvm_run *run, uint8_t val)
{
	int r = kt_run(vcpu_fd, run);

	if (r != KVM_EXIT_IO)
		return r < 0 ? r : 1000 + r;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x10 ||
	    run->io.size != 1 || run->io.count != 1 || *kt_io_data(run) != val)
		return 2000;
	return 0;
}

/* Run lc_two_outs from the start on a vCPU whose memory is already set. */
static int run_two_outs(int vcpu_fd, struct kvm_run *run)
{
	int r;

	r = kt_set_real_mode(vcpu_fd, KT_CODE_GPA);
	if (r)
		return r;
	r = expect_out8(vcpu_fd, run, 0x11);
	if (r)
		return r;
	r = expect_out8(vcpu_fd, run, 0x22);
	if (r)
		return r;
	r = kt_run(vcpu_fd, run);
	return r == KVM_EXIT_HLT ? 0 : (r < 0 ? r : 1000 + r);
}

static int is_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

TEST(create_vm_type0)
{
	int sys, vm;

	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	/* KVM hands out VM fds with O_CLOEXEC. */
	EXPECT_TRUE(is_cloexec(vm));
	close(vm);
	close(sys);
}

TEST(create_vm_bad_type)
{
	static const unsigned long types[] = { 0xdead, ~0UL };
	unsigned int i;
	int sys, vm;

	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		errno = 0;
		vm = ioctl(sys, KVM_CREATE_VM, types[i]);
		EXPECT_EQ(-1, vm) TH_LOG("type %#lx", types[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("type %#lx", types[i]);
		if (vm >= 0)
			close(vm);
	}
	close(sys);
}

TEST(create_vcpu)
{
	int sys, vm, vcpu0, vcpu1, dup;

	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);

	vcpu0 = kt_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu0);
	EXPECT_TRUE(is_cloexec(vcpu0));
	vcpu1 = kt_create_vcpu(vm, 1);
	ASSERT_LE(0, vcpu1);
	EXPECT_NE(vcpu0, vcpu1);

	dup = kt_create_vcpu(vm, 0);
	EXPECT_EQ(-EEXIST, dup);
	dup = kt_create_vcpu(vm, 1);
	EXPECT_EQ(-EEXIST, dup);

	/* A closed vCPU fd does not free its id: the vCPU lives on. */
	close(vcpu1);
	EXPECT_EQ(-EEXIST, kt_create_vcpu(vm, 1));

	close(vcpu0);
	close(vm);
	close(sys);
}

TEST(vcpu_id_limit)
{
	int sys, vm, max_id, fd;

	sys = kt_open_dev();
	ASSERT_LE(0, sys);
	vm = kt_create_vm(sys);
	ASSERT_LE(0, vm);

	max_id = ioctl(sys, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	if (max_id > 0) {
		EXPECT_EQ(-EINVAL, kt_create_vcpu(vm, max_id));
		/* The largest id below the limit is accepted. */
		fd = kt_create_vcpu(vm, max_id - 1);
		EXPECT_LE(0, fd) TH_LOG("id %d: %s", max_id - 1,
					strerror(-fd));
	}
	EXPECT_EQ(-EINVAL, kt_create_vcpu(vm, 0x7fffffff));
	EXPECT_EQ(-EINVAL, kt_create_vcpu(vm, 0xffffffff));
	close(vm);
	close(sys);
}

/* Closing the VM fd first: the vCPU keeps the VM alive and runs. */
TEST(close_vm_fd_first)
{
	struct kt_guest g;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	ASSERT_EQ(0, close(g.vm_fd));
	g.vm_fd = -1;
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	ASSERT_EQ(0, close(g.vcpu_fd));
	g.vcpu_fd = -1;
	EXPECT_EQ(KVM_EXIT_HLT, g.run->exit_reason);
	kt_guest_destroy(&g);
}

/* Closing the vCPU fd first (kvm_run still mapped): the VM still works. */
TEST(close_vcpu_fd_first)
{
	struct kt_guest g;
	struct kvm_run *run1;
	int vcpu1;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	ASSERT_EQ(0, close(g.vcpu_fd));
	g.vcpu_fd = -1;
	/* The mapping outlives the fd. */
	EXPECT_EQ(KVM_EXIT_HLT, g.run->exit_reason);

	vcpu1 = kt_create_vcpu(g.vm_fd, 1);
	ASSERT_LE(0, vcpu1);
	run1 = kt_map_run(vcpu1, g.run_size);
	ASSERT_NE(NULL, run1);
	EXPECT_EQ(0, run_two_outs(vcpu1, run1));
	munmap(run1, g.run_size);
	close(vcpu1);
	kt_guest_destroy(&g);
}

/* Closing the system fd first: VM and vCPU do not depend on it. */
TEST(close_sys_fd_first)
{
	struct kt_guest g;
	int vcpu1;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	ASSERT_EQ(0, close(g.sys_fd));
	g.sys_fd = -1;
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	vcpu1 = kt_create_vcpu(g.vm_fd, 1);
	EXPECT_LE(0, vcpu1);
	if (vcpu1 >= 0)
		close(vcpu1);
	kt_guest_destroy(&g);
}

/* All fds closed while kvm_run is still mapped, then unmap it. */
TEST(close_all_fds_run_mapped)
{
	struct kt_guest g;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	ASSERT_EQ(0, close(g.sys_fd));
	ASSERT_EQ(0, close(g.vm_fd));
	ASSERT_EQ(0, close(g.vcpu_fd));
	g.sys_fd = g.vm_fd = g.vcpu_fd = -1;
	EXPECT_EQ(KVM_EXIT_HLT, g.run->exit_reason);
	/* Writable too; this is only our memory now. */
	g.run->immediate_exit = 1;
	EXPECT_EQ(1, g.run->immediate_exit);
	kt_guest_destroy(&g);
}

/* Guest memory unmapped by userspace before the VM is closed. */
TEST(close_after_memory_unmapped)
{
	struct kt_guest g;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	ASSERT_EQ(0, munmap(g.mem, KT_MEM_SIZE));
	g.mem = NULL;
	kt_guest_destroy(&g);
}

/*
 * A VM belongs to the process (mm) that created it: a forked child gets
 * EIO from VM and vCPU ioctls, but may still use the system fd.
 */
TEST(other_process_gets_eio)
{
	struct kt_guest g;
	struct kvm_regs regs;
	int status, vm;
	pid_t pid;

	ASSERT_EQ(0, kt_guest_create(&g, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int bad = 0;

		if (ioctl(g.vcpu_fd, KVM_RUN, 0) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(g.vcpu_fd, KVM_GET_REGS, &regs) != -1 ||
		    errno != EIO)
			bad |= 2;
		if (ioctl(g.vm_fd, KVM_CREATE_VCPU, 1) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(g.sys_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
			bad |= 8;
		vm = ioctl(g.sys_fd, KVM_CREATE_VM, 0);
		if (vm < 0)
			bad |= 16;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child failures (bits: 1 RUN, 2 GET_REGS, 4 CREATE_VCPU, 8 API_VERSION, 16 CREATE_VM): %#x",
		       WEXITSTATUS(status));

	/* The parent's VM is unaffected. */
	EXPECT_EQ(0, run_two_outs(g.vcpu_fd, g.run));
	kt_guest_destroy(&g);
}

/* Two VMs at once, each with its own memory; two vCPUs in one VM. */
TEST(two_vms_two_vcpus)
{
	struct kt_guest a, b;
	struct kvm_run *run1;
	int vcpu1, r;

	ASSERT_EQ(0, kt_guest_create(&a, lc_store, KT_CODE_LEN(lc_store)));
	ASSERT_EQ(0, kt_guest_create(&b, lc_two_outs,
				     KT_CODE_LEN(lc_two_outs)));

	r = kt_run(a.vcpu_fd, a.run);
	ASSERT_EQ(KVM_EXIT_IO, r);
	EXPECT_EQ(0xbeef, *(uint16_t *)kt_io_data(a.run));
	EXPECT_EQ(0xbeef, *(uint16_t *)(a.mem + KT_DATA_GPA));
	EXPECT_EQ(0, *(uint16_t *)(b.mem + KT_DATA_GPA));

	EXPECT_EQ(0, run_two_outs(b.vcpu_fd, b.run));
	EXPECT_EQ(0, *(uint16_t *)(b.mem + KT_DATA_GPA));

	vcpu1 = kt_create_vcpu(b.vm_fd, 1);
	ASSERT_LE(0, vcpu1);
	run1 = kt_map_run(vcpu1, b.run_size);
	ASSERT_NE(NULL, run1);
	EXPECT_EQ(0, run_two_outs(vcpu1, run1));
	/* vCPU 0 of B and A's vCPU are not disturbed. */
	EXPECT_EQ(0, run_two_outs(b.vcpu_fd, b.run));
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(a.vcpu_fd, a.run));

	munmap(run1, b.run_size);
	close(vcpu1);
	kt_guest_destroy(&b);
	kt_guest_destroy(&a);
}

/* ---- create/destroy cycles ---- */

#define CYCLES		1000
#define WARMUP_CYCLES	20
/*
 * Tolerances for the whole CYCLES run, measured after dropping caches:
 * 512 KiB of slab (512 bytes a cycle) and 1 MiB of free memory, counted
 * with the pages on the per-CPU free lists (1 KiB a cycle).  A leaked
 * vCPU, VMCB, kvm_run page, memslot or page-table page is 4 KiB or more a
 * cycle, 4 MiB or more in total; any kmalloc-512 or larger object leaked
 * every cycle fails too.  On in-tree kvm-amd the deltas stay within
 * +-200 kB.  MemAvailable is only logged: it leaves out the per-CPU free
 * lists and moves by up to 2 MiB without any leak.
 */
#define SLAB_TOLERANCE_KB	512L
#define FREE_TOLERANCE_KB	1024L

struct memsnap {
	long slab_kb;
	long free_kb;
	long avail_kb;
	long vmalloc_kb;
	int nr_fds;
};

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, n) && line[n] == ':') {
			val = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Free memory including the pages parked on the per-CPU free lists, which
 * MemFree and MemAvailable leave out: they come and go by a few MiB with
 * no leak.  /proc/zoneinfo has both, as "pages free" and the "count:" of
 * each CPU's pageset.
 */
static long free_incl_pcp_kb(void)
{
	long pages = 0, v;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %ld", &v) == 1 ||
		    sscanf(line, " count: %ld", &v) == 1)
			pages += v;
	}
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static int count_fds(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void settle(void)
{
	int fd;

	/* Let RCU-deferred frees run, then drop clean caches (root only). */
	usleep(200 * 1000);
	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			perror("drop_caches");
		close(fd);
	}
	usleep(100 * 1000);
}

static void snapshot(struct memsnap *s)
{
	settle();
	s->slab_kb = meminfo_kb("Slab");
	s->avail_kb = meminfo_kb("MemAvailable");
	s->vmalloc_kb = meminfo_kb("VmallocUsed");
	s->nr_fds = count_fds();
	s->free_kb = free_incl_pcp_kb();
}

/* VM + slot + vCPU + kvm_run + one guest exit, then tear all down. */
static int cycle_once(int sys_fd, size_t run_size)
{
	struct kvm_run *run;
	int vm, vcpu, r;
	void *mem;

	vm = kt_create_vm(sys_fd);
	if (vm < 0)
		return vm;
	mem = kt_add_mem(vm, 0, 0, 2 * KT_PAGE_SIZE);
	if (!mem) {
		r = -errno;
		goto close_vm;
	}
	kt_put_code(mem, KT_CODE_GPA, lc_two_outs, KT_CODE_LEN(lc_two_outs));
	vcpu = kt_create_vcpu(vm, 0);
	if (vcpu < 0) {
		r = vcpu;
		goto unmap_mem;
	}
	run = kt_map_run(vcpu, run_size);
	if (!run) {
		r = -errno;
		goto close_vcpu;
	}
	r = kt_set_real_mode(vcpu, KT_CODE_GPA);
	if (!r)
		r = expect_out8(vcpu, run, 0x11);

	munmap(run, run_size);
close_vcpu:
	close(vcpu);
unmap_mem:
	munmap(mem, 2 * KT_PAGE_SIZE);
close_vm:
	close(vm);
	return r;
}

FIXTURE(cycles) {
	int sys_fd;
	size_t run_size;
};

FIXTURE_SETUP(cycles)
{
	long size;

	self->sys_fd = kt_open_dev();
	ASSERT_LE(0, self->sys_fd);
	size = kt_run_size(self->sys_fd);
	ASSERT_LT(0, size);
	self->run_size = size;
}

FIXTURE_TEARDOWN(cycles)
{
	close(self->sys_fd);
}

TEST_F_TIMEOUT(cycles, create_destroy_no_leak, 150)
{
	struct memsnap before, after;
	int i, r;

	for (i = 0; i < WARMUP_CYCLES; i++)
		ASSERT_EQ(0, cycle_once(self->sys_fd, self->run_size));
	snapshot(&before);
	ASSERT_LT(0, before.slab_kb);
	ASSERT_LT(0, before.free_kb);

	for (i = 0; i < CYCLES; i++) {
		r = cycle_once(self->sys_fd, self->run_size);
		ASSERT_EQ(0, r) TH_LOG("cycle %d: %d", i, r);
	}

	snapshot(&after);
	if (after.slab_kb - before.slab_kb > SLAB_TOLERANCE_KB ||
	    before.free_kb - after.free_kb > FREE_TOLERANCE_KB) {
		/* Give slow deferred work one more chance. */
		sleep(1);
		snapshot(&after);
	}
	TH_LOG("%d cycles: Slab %+ld kB, free+pcp %+ld kB, MemAvailable %+ld kB, VmallocUsed %+ld kB",
	       CYCLES, after.slab_kb - before.slab_kb,
	       after.free_kb - before.free_kb,
	       after.avail_kb - before.avail_kb,
	       after.vmalloc_kb - before.vmalloc_kb);
	EXPECT_GE(SLAB_TOLERANCE_KB, after.slab_kb - before.slab_kb);
	EXPECT_GE(FREE_TOLERANCE_KB, before.free_kb - after.free_kb);
	EXPECT_EQ(before.nr_fds, after.nr_fds);
}

TEST_HARNESS_MAIN
