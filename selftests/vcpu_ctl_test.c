// SPDX-License-Identifier: GPL-2.0
/*
 * VM and vCPU controls: KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR,
 * KVM_SET_BOOT_CPU_ID (the boot CPU starts runnable with BSP in its APIC
 * base), KVM_SET_SIGNAL_MASK (the mask KVM_RUN runs with), KVM_ENABLE_CAP
 * on a vCPU, KVM_GET_EMULATED_CPUID, the feature MSRs on the system fd,
 * and KVM_CAP_SYNC_REGS: good and bad arguments, and what each changes.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define MSR_IA32_TSC		0x10
#define MSR_IA32_UCODE_REV	0x8b
#define APIC_BASE_BSP		(1ULL << 8)
#define SYNC_ALL		(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | \
				 KVM_SYNC_X86_EVENTS)

FIXTURE(ctl) {
	struct kg_vm vm;
};

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
}

FIXTURE_TEARDOWN(ctl)
{
	kg_vm_destroy(&self->vm);
}

static void guest_done(void)
{
	GUEST_DONE();
}

TEST_F(ctl, tss_and_identity_map_addr)
{
	int vmfd = self->vm.vm_fd;
	uint64_t addr = 0xfeffc000;

	KT_REQUIRE_CAP(self->vm.sys_fd, KVM_CAP_SET_TSS_ADDR);
	KT_REQUIRE_CAP(self->vm.sys_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR);
	EXPECT_EQ(0, kt_ioctl_errno(vmfd, KVM_SET_TSS_ADDR, 0xfeffd000));
	/* The three pages must end below 4 GiB. */
	EXPECT_EQ(0, kt_ioctl_errno(vmfd, KVM_SET_TSS_ADDR, 0xffffd000));
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vmfd, KVM_SET_TSS_ADDR, 0xffffd001));
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vmfd, KVM_SET_TSS_ADDR, 1ULL << 32));

	EXPECT_EQ(EFAULT, kt_ioctl_errno(vmfd, KVM_SET_IDENTITY_MAP_ADDR, 8));
	EXPECT_EQ(0, kt_ioctl_errno(vmfd, KVM_SET_IDENTITY_MAP_ADDR,
				    (unsigned long)&addr));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	/* As KVM 6.1: -EINVAL once a vCPU exists. */
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vmfd, KVM_SET_IDENTITY_MAP_ADDR,
					 (unsigned long)&addr));
	/* The TSS address can still change. */
	EXPECT_EQ(0, kt_ioctl_errno(vmfd, KVM_SET_TSS_ADDR, 0xfeffd000));
}

/* vCPU 1 as the boot CPU: it runs, vCPU 0 waits for INIT/SIPI. */
TEST(boot_cpu_id)
{
	struct kvm_mp_state mp;
	struct kvm_sregs s;
	struct kg_vm vm;

	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	if (kt_check_cap(vm.sys_fd, KVM_CAP_SET_BOOT_CPU_ID) <= 0) {
		kg_vm_destroy(&vm);
		SKIP(return, "KVM_CAP_SET_BOOT_CPU_ID not reported");
	}
	EXPECT_EQ(0, kt_ioctl_errno(vm.vm_fd, KVM_SET_BOOT_CPU_ID, 1));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 1));
	EXPECT_EQ(EBUSY, kt_ioctl_errno(vm.vm_fd, KVM_SET_BOOT_CPU_ID, 0));

	ASSERT_EQ(0, ioctl(vm.v[0].fd, KVM_GET_SREGS, &s));
	EXPECT_EQ(0, s.apic_base & APIC_BASE_BSP);
	ASSERT_EQ(0, ioctl(vm.v[0].fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_GET_SREGS, &s));
	EXPECT_EQ(APIC_BASE_BSP, s.apic_base & APIC_BASE_BSP);
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	kg_vm_destroy(&vm);
}

static void on_usr1(int sig)
{
	(void)sig;
}

TEST_F(ctl, signal_mask)
{
	struct kg_vm *vm = &self->vm;
	/* struct kvm_signal_mask: len, then the sigset at offset 4. */
	uint32_t m[3];
	struct kg_ucall uc;
	sigset_t usr1, old, now;
	struct timespec zero = { 0, 0 };
	int vfd;

	ASSERT_EQ(0, kg_vcpu_add(vm, 0, guest_done));
	vfd = vm->v[0].fd;
	memset(m, 0, sizeof(m));
	m[0] = 4;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_SIGNAL_MASK,
					 (unsigned long)m));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_SET_SIGNAL_MASK, 8));
	EXPECT_EQ(0, kt_ioctl_errno(vfd, KVM_SET_SIGNAL_MASK, 0));

	/* SIGUSR1 pending and blocked in the thread... */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &usr1, &old));
	raise(SIGUSR1);
	/* ...but not during KVM_RUN: it ends at once. */
	m[0] = 8;
	ASSERT_EQ(0, ioctl(vfd, KVM_SET_SIGNAL_MASK, m));
	EXPECT_EQ(EINTR, kt_ioctl_errno(vfd, KVM_RUN, 0));
	EXPECT_EQ(KVM_EXIT_INTR, vm->v[0].run->exit_reason);
	/* The thread's own mask is back, the signal still pending. */
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	/* Blocked during KVM_RUN too: the guest runs to its end. */
	m[1] = 1U << (SIGUSR1 - 1);
	ASSERT_EQ(0, ioctl(vfd, KVM_SET_SIGNAL_MASK, m));
	EXPECT_EQ(KG_DONE, kg_run(vm, 0, &uc));
	EXPECT_EQ(SIGUSR1, sigtimedwait(&usr1, NULL, &zero));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
}

TEST_F(ctl, vcpu_enable_cap)
{
	struct kvm_enable_cap cap;
	int vfd;

	EXPECT_EQ(1, kt_check_cap(self->vm.sys_fd, KVM_CAP_ENABLE_CAP));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	vfd = self->vm.v[0].fd;
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_SPLIT_IRQCHIP;
	cap.flags = 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	cap.flags = 0;
	/* VM capabilities are not enabled per vCPU. */
	cap.cap = KVM_CAP_SPLIT_IRQCHIP;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	cap.cap = KVM_CAP_X86_DISABLE_EXITS;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	cap.cap = 0x7fffffff;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_ENABLE_CAP, 8));
}

TEST_F(ctl, emulated_cpuid)
{
	int fd = self->vm.sys_fd;
	struct kvm_cpuid2 *c;

	KT_REQUIRE_CAP(fd, KVM_CAP_EXT_EMUL_CPUID);
	c = calloc(1, sizeof(*c) + 64 * sizeof(c->entries[0]));
	ASSERT_NE(NULL, c);
	c->nent = 0;
	EXPECT_EQ(E2BIG, kt_ioctl_errno(fd, KVM_GET_EMULATED_CPUID,
					(unsigned long)c));
	c->nent = 64;
	c->entries[3].padding[1] = 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_GET_EMULATED_CPUID,
					 (unsigned long)c));
	c->entries[3].padding[1] = 0;
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_GET_EMULATED_CPUID, 8));
	ASSERT_EQ(0, ioctl(fd, KVM_GET_EMULATED_CPUID, c));
	EXPECT_LE(c->nent, 64);
	/* kvmod emulates no instruction the CPU lacks. */
	if (kt_is_kvmod())
		EXPECT_EQ(0, c->nent);
	free(c);
}

static bool host_is_amd(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(0), "c"(0));
	return b == 0x68747541;	/* "Auth" */
}

TEST_F(ctl, feature_msrs)
{
	int fd = self->vm.sys_fd, vfd;
	struct {
		struct kvm_msr_list hdr;
		uint32_t idx[64];
	} list;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} msrs;
	uint32_t i;
	bool ucode = false;

	KT_REQUIRE_CAP(fd, KVM_CAP_GET_MSR_FEATURES);
	list.hdr.nmsrs = 0;
	EXPECT_EQ(E2BIG, kt_ioctl_errno(fd, KVM_GET_MSR_FEATURE_INDEX_LIST,
					(unsigned long)&list));
	ASSERT_LE(1, list.hdr.nmsrs);
	ASSERT_LE(list.hdr.nmsrs, 64);
	ASSERT_EQ(0, ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &list));
	for (i = 0; i < list.hdr.nmsrs; i++)
		ucode |= list.idx[i] == MSR_IA32_UCODE_REV;
	EXPECT_TRUE(ucode);

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 2;
	msrs.e[0].index = MSR_IA32_UCODE_REV;
	msrs.e[1].index = MSR_IA32_TSC;	/* not a feature MSR: stops */
	EXPECT_EQ(1, ioctl(fd, KVM_GET_MSRS, &msrs));
	msrs.hdr.nmsrs = 256;
	EXPECT_EQ(E2BIG, kt_ioctl_errno(fd, KVM_GET_MSRS,
					(unsigned long)&msrs));

	/* Per vCPU: KVM's default, and what the VMM sets. */
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	vfd = self->vm.v[0].fd;
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.e[0].index = MSR_IA32_UCODE_REV;
	ASSERT_EQ(1, ioctl(vfd, KVM_GET_MSRS, &msrs));
	/* KVM's defaults: SVM 0x01000065, VMX 0x100000000. */
	EXPECT_EQ(host_is_amd() ? 0x01000065ULL : 0x100000000ULL,
		  msrs.e[0].data);
	msrs.e[0].data = 0x1234ULL << 32;
	ASSERT_EQ(1, ioctl(vfd, KVM_SET_MSRS, &msrs));
	msrs.e[0].data = 0;
	ASSERT_EQ(1, ioctl(vfd, KVM_GET_MSRS, &msrs));
	EXPECT_EQ(0x1234ULL << 32, msrs.e[0].data);
}

/* RBX to RCX between two exits: RBX set through kvm_run.s.regs. */
void sync_guest(void);
asm(".pushsection .text\n"
    ".globl sync_guest\n"
    "sync_guest:\n\t"
    "mov $0x1111, %rbx\n\t"
    "out %al, $0x80\n\t"
    "mov %rbx, %rcx\n\t"
    "out %al, $0x80\n\t"
    "1: out %al, $0x80\n\t"
    "jmp 1b\n"
    ".popsection");

TEST_F(ctl, sync_regs)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_run *run;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kg_ucall uc;
	int vfd;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SYNC_REGS);
	EXPECT_EQ(SYNC_ALL, kt_check_cap(vm->sys_fd, KVM_CAP_SYNC_REGS));
	ASSERT_EQ(0, kg_vcpu_add(vm, 0, sync_guest));
	vfd = vm->v[0].fd;
	run = vm->v[0].run;

	run->kvm_valid_regs = 1ULL << 3;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_RUN, 0));
	run->kvm_valid_regs = 0;
	run->kvm_dirty_regs = 1ULL << 5;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_RUN, 0));
	run->kvm_dirty_regs = 0;

	run->kvm_valid_regs = SYNC_ALL;
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(0x1111, run->s.regs.regs.rbx);
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_REGS, &regs));
	EXPECT_EQ(regs.rip, run->s.regs.regs.rip);
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_SREGS, &sregs));
	EXPECT_EQ(sregs.cr0, run->s.regs.sregs.cr0);
	EXPECT_EQ(sregs.cr4, run->s.regs.sregs.cr4);
	EXPECT_EQ(sregs.efer, run->s.regs.sregs.efer);

	/* Special registers with an unsupported CR4 bit are refused. */
	run->s.regs.sregs.cr4 |= 1ULL << 12;	/* LA57 */
	run->kvm_dirty_regs = KVM_SYNC_X86_SREGS;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_RUN, 0));
	EXPECT_EQ(KVM_SYNC_X86_SREGS, run->kvm_dirty_regs);
	run->s.regs.sregs = sregs;

	/* RBX through kvm_run, all three parts written back as they were. */
	run->s.regs.regs.rbx = 0x2222;
	run->kvm_dirty_regs = SYNC_ALL;
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(0, run->kvm_dirty_regs);
	EXPECT_EQ(0x2222, run->s.regs.regs.rcx);
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_REGS, &regs));
	EXPECT_EQ(0x2222, regs.rcx);

	/* Without kvm_valid_regs, kvm_run.s is left alone. */
	run->kvm_valid_regs = 0;
	run->s.regs.regs.rcx = 0x5555;
	ASSERT_EQ(KG_OTHER, kg_run(vm, 0, &uc));
	EXPECT_EQ(0x5555, run->s.regs.regs.rcx);
}

TEST_HARNESS_MAIN
