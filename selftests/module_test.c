// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod's modules must stay loaded while anything of KVM is in use: the
 * system fd, a VM fd, a vCPU fd, or only a kvm_run mapping.  Each module
 * named in $KVMOD_MODULES (space separated, e.g. "kvmod_amd kvmod_mmu
 * kvmod") must refuse delete_module(O_NONBLOCK) with EWOULDBLOCK or EBUSY,
 * and the guest still runs afterwards.  Skipped without KVMOD_MODULES.
 *
 * Needs root (CAP_SYS_MODULE), and nothing else may hold the modules, or
 * the test proves nothing: selftests/run stops its keeper VM before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kt_harness.h"
#include "guest.h"
#include "kvm_util.h"

KT_GUEST_CODE16(mod_out_hlt,
	"mov $0x6b, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n\t");

enum holder {
	HOLD_SYS_FD,		/* only the system fd stays open */
	HOLD_VM_FD,		/* everything stays open */
	HOLD_VCPU_FD,		/* only the vCPU fd (and its mapping) */
	HOLD_RUN_MAPPING,	/* no fd at all, only the kvm_run mapping */
};

FIXTURE(module) {
	struct kt_guest g;
	char names[512];
};

FIXTURE_VARIANT(module) {
	enum holder holder;
};

FIXTURE_VARIANT_ADD(module, sys_fd_only) {
	.holder = HOLD_SYS_FD,
};

FIXTURE_VARIANT_ADD(module, vm_fd_open) {
	.holder = HOLD_VM_FD,
};

FIXTURE_VARIANT_ADD(module, vcpu_fd_only) {
	.holder = HOLD_VCPU_FD,
};

FIXTURE_VARIANT_ADD(module, run_mapping_only) {
	.holder = HOLD_RUN_MAPPING,
};

FIXTURE_SETUP(module)
{
	const char *mods = getenv("KVMOD_MODULES");

	memset(&self->g, 0, sizeof(self->g));
	self->g.sys_fd = self->g.vm_fd = self->g.vcpu_fd = -1;
	if (!mods || !*mods)
		return;		/* the test skips */
	ASSERT_GT(sizeof(self->names), strlen(mods));
	strcpy(self->names, mods);
	ASSERT_EQ(0, kt_guest_create(&self->g, mod_out_hlt,
				     KT_CODE_LEN(mod_out_hlt)));
}

FIXTURE_TEARDOWN(module)
{
	kt_guest_destroy(&self->g);
}

static int module_loaded(const char *name)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

/* One guest run: OUT 0x10 <- 0x6b. */
static void expect_guest_runs(struct __test_metadata *_metadata,
			      int vcpu_fd, struct kvm_run *run)
{
	ASSERT_EQ(0, kt_set_real_mode(vcpu_fd, KT_CODE_GPA));
	ASSERT_EQ(KVM_EXIT_IO, kt_run(vcpu_fd, run));
	EXPECT_EQ(0x6b, *kt_io_data(run));
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(vcpu_fd, run));
}

TEST_F(module, rmmod_refused_while_in_use)
{
	struct kt_guest *g = &self->g;
	char *name, *save;
	struct kt_guest fresh;
	int r, err, tried = 0;

	if (g->sys_fd < 0)
		SKIP(return, "KVMOD_MODULES is not set");
	expect_guest_runs(_metadata, g->vcpu_fd, g->run);

	switch (variant->holder) {
	case HOLD_SYS_FD:
		kt_guest_destroy(g);
		g->sys_fd = kt_open_dev();
		ASSERT_LE(0, g->sys_fd);
		break;
	case HOLD_VM_FD:
		break;
	case HOLD_VCPU_FD:
		close(g->vm_fd);
		close(g->sys_fd);
		g->vm_fd = g->sys_fd = -1;
		break;
	case HOLD_RUN_MAPPING:
		close(g->vcpu_fd);
		close(g->vm_fd);
		close(g->sys_fd);
		g->vcpu_fd = g->vm_fd = g->sys_fd = -1;
		break;
	}

	for (name = strtok_r(self->names, " \t", &save); name;
	     name = strtok_r(NULL, " \t", &save)) {
		char *p;

		/* Module names use '_' where rmmod accepts '-'. */
		for (p = name; *p; p++)
			if (*p == '-')
				*p = '_';
		ASSERT_TRUE(module_loaded(name))
			TH_LOG("module %s is not loaded", name);

		errno = 0;
		r = syscall(SYS_delete_module, name, O_NONBLOCK);
		err = errno;
		if (r == -1 && err == EPERM)
			SKIP(return, "delete_module needs CAP_SYS_MODULE");
		EXPECT_EQ(-1, r) TH_LOG("module %s was unloaded while in use!",
					name);
		EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY)
			TH_LOG("module %s: %s", name, strerror(err));
		EXPECT_TRUE(module_loaded(name));
		tried++;
	}
	ASSERT_LT(0, tried);

	/* Whatever is left still works. */
	switch (variant->holder) {
	case HOLD_SYS_FD:
		EXPECT_EQ(KVM_API_VERSION,
			  ioctl(g->sys_fd, KVM_GET_API_VERSION, 0));
		break;
	case HOLD_VM_FD:
	case HOLD_VCPU_FD:
		expect_guest_runs(_metadata, g->vcpu_fd, g->run);
		break;
	case HOLD_RUN_MAPPING:
		EXPECT_EQ(KVM_EXIT_HLT, g->run->exit_reason);
		break;
	}
	ASSERT_EQ(0, kt_guest_create(&fresh, mod_out_hlt,
				     KT_CODE_LEN(mod_out_hlt)));
	expect_guest_runs(_metadata, fresh.vcpu_fd, fresh.run);
	kt_guest_destroy(&fresh);
}

/*
 * kvmod-irqchip is optional: while a VM uses it, it cannot be unloaded;
 * with no VM and no /dev/kvm open it can, and then KVM_CHECK_EXTENSION
 * reports no irqchip and KVM_CREATE_IRQCHIP is an unknown ioctl, while
 * guests still run. Loading it again brings the capability back. Runs
 * when $KVMOD_MODULES names kvmod_irqchip.
 */
TEST(irqchip_unload_when_unused)
{
	const char *mods = getenv("KVMOD_MODULES");
	struct kt_guest g;
	int sys_fd, vm_fd, r, err;

	if (!mods || !strstr(mods, "kvmod_irqchip"))
		SKIP(return, "KVMOD_MODULES does not name kvmod_irqchip");
	ASSERT_TRUE(module_loaded("kvmod_irqchip"));

	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	ASSERT_EQ(1, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	vm_fd = kt_create_vm(sys_fd);
	ASSERT_LE(0, vm_fd);
	ASSERT_EQ(0, ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0));
	errno = 0;
	r = syscall(SYS_delete_module, "kvmod_irqchip", O_NONBLOCK);
	err = errno;
	if (r == -1 && err == EPERM)
		SKIP(return, "delete_module needs CAP_SYS_MODULE");
	EXPECT_EQ(-1, r);
	EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY);
	close(vm_fd);
	close(sys_fd);

	ASSERT_EQ(0, syscall(SYS_delete_module, "kvmod_irqchip", O_NONBLOCK))
		TH_LOG("unused kvmod_irqchip: %s", strerror(errno));
	EXPECT_FALSE(module_loaded("kvmod_irqchip"));

	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	EXPECT_EQ(0, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	EXPECT_EQ(0, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2));
	vm_fd = kt_create_vm(sys_fd);
	ASSERT_LE(0, vm_fd);
	EXPECT_EQ(0, ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_EQ(ENOTTY, errno);
	close(vm_fd);
	close(sys_fd);
	ASSERT_EQ(0, kt_guest_create(&g, mod_out_hlt,
				     KT_CODE_LEN(mod_out_hlt)));
	expect_guest_runs(_metadata, g.vcpu_fd, g.run);
	kt_guest_destroy(&g);

	ASSERT_EQ(0, system("modprobe kvmod-irqchip"));
	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	EXPECT_EQ(1, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP));
	close(sys_fd);
}

/* ---- without kvmod-para: a VM looks like plain hardware ---- */

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

static volatile uint64_t nopara_gp, nopara_ud;

static bool msr_listed(int sys_fd, uint32_t index)
{
	struct kvm_msr_list *l;
	bool found = false;
	uint32_t i;

	l = calloc(1, sizeof(*l) + 1024 * sizeof(l->indices[0]));
	if (!l)
		return false;
	l->nmsrs = 1024;
	if (ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, l) == 0)
		for (i = 0; i < l->nmsrs; i++)
			found |= l->indices[i] == index;
	free(l);
	return found;
}

static void nopara_gp_handler(struct kg_frame *f)
{
	nopara_gp++;
	f->rip += 2;			/* RDMSR */
}

static void nopara_ud_handler(struct kg_frame *f)
{
	nopara_ud++;
	f->rip += 3;			/* VMMCALL / VMCALL */
}

static void guest_nopara(void)
{
	uint32_t a, b, c, d;

	kg_cpuid(0x40000000, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, 0);
	GUEST_ASSERT_EQ(c, 0);
	GUEST_ASSERT_EQ(d, 0);
	kg_rdmsr(MSR_KVM_SYSTEM_TIME_NEW);
	GUEST_ASSERT_EQ(nopara_gp, 1);
	/* Both instructions: the CPU's own and the other vendor's. */
	asm volatile("vmmcall" :: "a"(9) : "memory");
	GUEST_ASSERT_EQ(nopara_ud, 1);
	asm volatile("vmcall" :: "a"(9) : "memory");
	GUEST_ASSERT_EQ(nopara_ud, 2);
}

/*
 * kvmod-para cannot go while a VM uses it; unloaded, VMs made after that
 * have no KVM signature, #GP for the kvmclock MSRs, #UD for hypercalls
 * and no KVM_GET_CLOCK. Runs when $KVMOD_MODULES names kvmod_para.
 */
TEST(para_unload_when_unused)
{
	const char *mods = getenv("KVMOD_MODULES");
	struct kvm_clock_data cd;
	struct kvm_cpuid2 *cpuid;
	struct kg_vm vm;
	int sys_fd, vm_fd, r, err;

	if (!mods || !strstr(mods, "kvmod_para"))
		SKIP(return, "KVMOD_MODULES does not name kvmod_para");
	ASSERT_TRUE(module_loaded("kvmod_para"));

	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	vm_fd = kt_create_vm(sys_fd);
	ASSERT_LE(0, vm_fd);
	EXPECT_EQ(1, ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL));
	errno = 0;
	r = syscall(SYS_delete_module, "kvmod_para", O_NONBLOCK);
	err = errno;
	if (r == -1 && err == EPERM)
		SKIP(return, "delete_module needs CAP_SYS_MODULE");
	EXPECT_EQ(-1, r);
	EXPECT_TRUE(err == EWOULDBLOCK || err == EBUSY);
	close(vm_fd);
	close(sys_fd);

	ASSERT_EQ(0, syscall(SYS_delete_module, "kvmod_para", O_NONBLOCK))
		TH_LOG("unused kvmod_para: %s", strerror(errno));
	EXPECT_FALSE(module_loaded("kvmod_para"));

	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	EXPECT_EQ(0, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL));
	cpuid = kt_get_supported_cpuid(sys_fd);
	ASSERT_NE(NULL, cpuid);
	EXPECT_EQ(NULL, kt_cpuid_find(cpuid, 0x40000000, 0));
	EXPECT_EQ(NULL, kt_cpuid_find(cpuid, 0x40000001, 0));
	free(cpuid);
	EXPECT_FALSE(msr_listed(sys_fd, MSR_KVM_SYSTEM_TIME_NEW));
	close(sys_fd);

	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	EXPECT_EQ(ENOTTY, kt_ioctl_errno(vm.vm_fd, KVM_GET_CLOCK,
					 (unsigned long)&cd));
	kg_set_handler(&vm, 13, nopara_gp_handler);
	kg_set_handler(&vm, 6, nopara_ud_handler);
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_nopara));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);

	ASSERT_EQ(0, system("modprobe kvmod-para"));
	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	EXPECT_TRUE(msr_listed(sys_fd, MSR_KVM_SYSTEM_TIME_NEW));
	EXPECT_EQ(1, ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_KVMCLOCK_CTRL));
	close(sys_fd);
}

TEST_HARNESS_MAIN
