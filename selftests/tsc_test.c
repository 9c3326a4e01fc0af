// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's TSC as KVM keeps it: userspace writes of IA32_TSC (read
 * back; matched to the VM's last write within a second, and vCPUs
 * created later start in step with the others), guest writes of IA32_TSC
 * moving IA32_TSC_ADJUST by the same amount, guest writes of
 * IA32_TSC_ADJUST moving the TSC, userspace writes of IA32_TSC_ADJUST
 * not moving it, and KVM_GET/SET_TSC_KHZ without TSC scaling.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define MSR_TSC		0x10
#define MSR_TSC_ADJUST	0x3b
#define BIG_STEP	(1ULL << 40)	/* minutes of TSC at any rate */

/* ---- guest ---- */

static void guest_tsc_writes(void)
{
	uint64_t before, adj;

	GUEST_ASSERT_EQ(kg_rdmsr(MSR_TSC_ADJUST), 0);
	before = kg_rdtsc();
	kg_wrmsr(MSR_TSC, before + BIG_STEP);
	GUEST_ASSERT_LE(before + BIG_STEP, kg_rdtsc());
	/*
	 * The write moved IA32_TSC_ADJUST by the step, less the ticks
	 * between the RDTSC and the WRMSR.
	 */
	adj = kg_rdmsr(MSR_TSC_ADJUST);
	GUEST_ASSERT_LE(adj, BIG_STEP);
	GUEST_ASSERT_LE(BIG_STEP - (1ULL << 34), adj);
	GUEST_SYNC(adj);

	/* Writing IA32_TSC_ADJUST moves the TSC by the change. */
	before = kg_rdtsc();
	kg_wrmsr(MSR_TSC_ADJUST, adj - BIG_STEP);
	GUEST_ASSERT_LE(kg_rdtsc(), before);
	GUEST_ASSERT_LE(before - BIG_STEP, kg_rdtsc());
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_TSC_ADJUST), adj - BIG_STEP);
	GUEST_SYNC(kg_rdtsc());
}

/* ---- host ---- */

static int get_msr(int vcpu_fd, uint32_t index, uint64_t *val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	r = ioctl(vcpu_fd, KVM_GET_MSRS, &m);
	*val = m.e.data;
	return r;
}

static int set_msr(int vcpu_fd, uint32_t index, uint64_t val)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	m.e.data = val;
	return ioctl(vcpu_fd, KVM_SET_MSRS, &m);
}

static uint64_t tsc_of(struct __test_metadata *_metadata, int vcpu_fd)
{
	uint64_t v = 0;

	EXPECT_EQ(1, get_msr(vcpu_fd, MSR_TSC, &v));
	return v;
}

/* vCPU 1's TSC lies between two reads of vCPU 0's: they are in step. */
static void expect_in_step(struct __test_metadata *_metadata,
			   struct kg_vm *vm)
{
	uint64_t a = tsc_of(_metadata, vm->v[0].fd);
	uint64_t b = tsc_of(_metadata, vm->v[1].fd);
	uint64_t c = tsc_of(_metadata, vm->v[0].fd);

	EXPECT_LE(a, b);
	EXPECT_LE(b, c);
}

TEST(host_write_reads_back)
{
	struct kg_vm vm;
	long khz;
	uint64_t t;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	khz = ioctl(vm.v[0].fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	ASSERT_EQ(1, set_msr(vm.v[0].fd, MSR_TSC, BIG_STEP));
	t = tsc_of(_metadata, vm.v[0].fd);
	EXPECT_LE(BIG_STEP, t);
	EXPECT_LE(t, BIG_STEP + 10ULL * 1000 * khz);
	/* Userspace's IA32_TSC_ADJUST write leaves the TSC alone. */
	ASSERT_EQ(1, set_msr(vm.v[0].fd, MSR_TSC_ADJUST, 12345));
	ASSERT_EQ(1, get_msr(vm.v[0].fd, MSR_TSC_ADJUST, &t));
	EXPECT_EQ(12345, t);
	t = tsc_of(_metadata, vm.v[0].fd);
	EXPECT_LE(BIG_STEP, t);
	EXPECT_LE(t, BIG_STEP + 10ULL * 1000 * khz);
	kg_vm_destroy(&vm);
}

TEST(guest_writes)
{
	struct kg_vm vm;
	uint64_t adj, t;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	if (!kg_cpuid_has(&vm, 7, KG_EBX, 1)) {
		kg_vm_destroy(&vm);
		SKIP(return, "no TSC_ADJUST in the supported CPUID");
	}
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_tsc_writes));
	adj = KG_SYNC_VALUE(&vm, 0);
	ASSERT_EQ(1, get_msr(vm.v[0].fd, MSR_TSC_ADJUST, &t));
	EXPECT_EQ(adj, t);
	t = KG_SYNC_VALUE(&vm, 0);
	EXPECT_LE(t, tsc_of(_metadata, vm.v[0].fd));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

TEST(vcpus_in_step)
{
	struct kg_vm vm;
	long khz;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	usleep(100000);
	/* Created later, in step with vCPU 0. */
	ASSERT_EQ(0, kg_vcpu_create(&vm, 1));
	expect_in_step(_metadata, &vm);

	/* The same value written to both within a second: in step. */
	ASSERT_EQ(1, set_msr(vm.v[0].fd, MSR_TSC, BIG_STEP));
	usleep(50000);
	ASSERT_EQ(1, set_msr(vm.v[1].fd, MSR_TSC, BIG_STEP));
	expect_in_step(_metadata, &vm);

	/* Ten seconds apart: vCPU 1 takes the value. */
	khz = ioctl(vm.v[0].fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	ASSERT_EQ(1, set_msr(vm.v[1].fd, MSR_TSC,
			     tsc_of(_metadata, vm.v[0].fd) +
			     10000ULL * khz));
	EXPECT_LE(tsc_of(_metadata, vm.v[0].fd) + 9000ULL * khz,
		  tsc_of(_metadata, vm.v[1].fd));
	kg_vm_destroy(&vm);
}

TEST(tsc_khz)
{
	struct kg_vm vm;
	long khz;
	int fd;

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	fd = vm.v[0].fd;
	khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_LT(0, khz);
	EXPECT_EQ(0, kt_ioctl_errno(fd, KVM_SET_TSC_KHZ, khz));
	EXPECT_EQ(0, kt_ioctl_errno(fd, KVM_SET_TSC_KHZ, 0));
	EXPECT_EQ(khz, ioctl(fd, KVM_GET_TSC_KHZ, 0));
	if (kt_check_cap(vm.sys_fd, KVM_CAP_TSC_CONTROL) <= 0) {
		/* Without scaling a slower TSC cannot be had. */
		EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_TSC_KHZ,
						 khz / 2));
	}
	kg_vm_destroy(&vm);
}

TEST_HARNESS_MAIN
