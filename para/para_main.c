// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-para.ko: KVM's paravirtual interface as an optional component of
 * kvmod. Loaded, VMs created from then on offer the KVM CPUID signature
 * and features (KVM_GET_SUPPORTED_CPUID: a VMM puts them into the
 * guest's CPUID), kvmclock, KVM_GET/SET_CLOCK and the hypercalls.
 * Without it a VM looks like plain hardware: no signature, the PV MSRs
 * raise #GP and VMCALL/VMMCALL raise #UD.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "para.h"

/* The paravirtual features implemented here (CPUID 0x40000001 EAX). */
#define PARA_FEATURES	(BIT(KVM_FEATURE_CLOCKSOURCE) |			\
			 BIT(KVM_FEATURE_NOP_IO_DELAY) |		\
			 BIT(KVM_FEATURE_CLOCKSOURCE2) |		\
			 BIT(KVM_FEATURE_PV_UNHALT) |			\
			 BIT(KVM_FEATURE_STEAL_TIME) |			\
			 BIT(KVM_FEATURE_PV_EOI) |			\
			 BIT(KVM_FEATURE_PV_SEND_IPI) |		\
			 BIT(KVM_FEATURE_PV_SCHED_YIELD) |		\
			 BIT(KVM_FEATURE_POLL_CONTROL) |		\
			 BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX (little endian). */
#define PARA_SIG_EBX	0x4b4d564b
#define PARA_SIG_ECX	0x564b4d56
#define PARA_SIG_EDX	0x0000004d

static const struct kvm_cpuid_entry2 para_cpuid_leaves[] = {
	{
		.function = KVM_CPUID_SIGNATURE,
		.eax = KVM_CPUID_FEATURES,
		.ebx = PARA_SIG_EBX,
		.ecx = PARA_SIG_ECX,
		.edx = PARA_SIG_EDX,
	},
	{
		.function = KVM_CPUID_FEATURES,
		.eax = PARA_FEATURES,
	},
};

/* KVM_CAP_EXIT_HYPERCALL: the hypercalls userspace may take over. */
#define PARA_EXIT_HYPERCALL_MASK	BIT_ULL(KVM_HC_MAP_GPA_RANGE)

static long para_check_extension(struct kvmod_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_ADJUST_CLOCK:
		return KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
		       KVM_CLOCK_HOST_TSC;
	case KVM_CAP_KVMCLOCK_CTRL:
		return 1;
	case KVM_CAP_EXIT_HYPERCALL:
		return PARA_EXIT_HYPERCALL_MASK;
	default:
		return 0;
	}
}

static int para_enable_cap(struct kvmod_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;
	int r;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.cap != KVM_CAP_EXIT_HYPERCALL)
		return -ENOTTY;
	if (cap.flags || (cap.args[0] & ~PARA_EXIT_HYPERCALL_MASK))
		return -EINVAL;
	r = para_vm_init(vm);
	if (r)
		return r;
	WRITE_ONCE(to_para_vm(vm)->hypercall_exit, cap.args[0]);
	return 0;
}

static long para_vm_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			  unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct kvm_clock_data data;
	int r;

	switch (ioctl) {
	case KVM_GET_CLOCK:
		r = para_get_clock(vm, &data);
		if (!r && copy_to_user(argp, &data, sizeof(data)))
			r = -EFAULT;
		return r;
	case KVM_SET_CLOCK:
		if (copy_from_user(&data, argp, sizeof(data)))
			return -EFAULT;
		return para_set_clock(vm, &data);
	case KVM_ENABLE_CAP:
		return para_enable_cap(vm, argp);
	default:
		return -ENOTTY;
	}
}

static long para_vcpu_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
			    unsigned long arg)
{
	if (ioctl == KVM_KVMCLOCK_CTRL)
		return para_kvmclock_ctrl(vcpu);
	return -ENOTTY;
}

static int para_vcpu_create(struct kvmod_vcpu *vcpu)
{
	struct para_vcpu *p;
	int r = para_vm_init(vcpu->vm);

	if (r)
		return r;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	/* Host-side halt polling allowed, as at KVM's reset. */
	p->poll_control = 1;
	vcpu->para_data = p;
	return 0;
}

/*
 * INIT, as KVM: kvmclock, steal time and PV EOI stop (the guest that
 * comes next may use that memory for something else), the seed ABI
 * registration is forgotten.
 */
static void para_vcpu_init_signal(struct kvmod_vcpu *vcpu)
{
	struct para_vcpu *p = to_para_vcpu(vcpu);

	p->system_time_msr = 0;
	p->stop_request = false;
	p->steal_time_msr = 0;
	p->pv_eoi_msr = 0;
	p->seed_state_gpa = 0;
	vcpu->clock_tracked = false;
	vcpu->steal_tracked = false;
	WRITE_ONCE(vcpu->pv_eoi_msr, 0);
}

static void para_vcpu_destroy(struct kvmod_vcpu *vcpu)
{
	kfree(vcpu->para_data);
	vcpu->para_data = NULL;
}

static void para_vm_destroy(struct kvmod_vm *vm)
{
	kfree(vm->para_data);
	vm->para_data = NULL;
}

/*
 * MSR_KVM_POLL_CONTROL: bit 0 lets the host poll before it blocks a
 * halted vCPU. kvmod never polls, so the bit is only kept.
 */
static int poll_control_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *get,
			    u64 set)
{
	if (msr != MSR_KVM_POLL_CONTROL)
		return -ENOENT;
	if (get) {
		*get = to_para_vcpu(vcpu)->poll_control;
		return 0;
	}
	if (set & ~1ULL)
		return -EINVAL;
	to_para_vcpu(vcpu)->poll_control = set;
	return 0;
}

/*
 * MSR_KVM_PV_EOI_EN: a 4-byte aligned guest byte whose bit 0 the guest
 * clears instead of writing the APIC's EOI register. The in-kernel
 * irqchip does the work around each entry (vcpu->pv_eoi_msr); without
 * one the value is only kept, as KVM does.
 */
static int pv_eoi_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *get, u64 set)
{
	u64 gpa = set & ~(u64)KVM_MSR_ENABLED;
	u8 byte;

	if (msr != MSR_KVM_PV_EOI_EN)
		return -ENOENT;
	if (get) {
		*get = to_para_vcpu(vcpu)->pv_eoi_msr;
		return 0;
	}
	if (!IS_ALIGNED(gpa, 4))
		return -EINVAL;
	if ((set & KVM_MSR_ENABLED) &&
	    kvmod_read_guest_phys(vcpu->vm, gpa, &byte, 1))
		return -EINVAL;
	to_para_vcpu(vcpu)->pv_eoi_msr = set;
	if (READ_ONCE(vcpu->vm->irqchip))
		WRITE_ONCE(vcpu->pv_eoi_msr, set);
	return 0;
}

static int para_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	int r = para_kvmclock_get_msr(vcpu, msr, val);

	if (r != -ENOENT)
		return r;
	r = poll_control_msr(vcpu, msr, val, 0);
	if (r != -ENOENT)
		return r;
	r = para_steal_get_msr(vcpu, msr, val);
	if (r != -ENOENT)
		return r;
	r = pv_eoi_msr(vcpu, msr, val, 0);
	if (r != -ENOENT)
		return r;
	return para_seed_get_msr(vcpu, msr, val);
}

static int para_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	int r = para_kvmclock_set_msr(vcpu, msr, val, host);

	if (r != -ENOENT)
		return r;
	r = poll_control_msr(vcpu, msr, NULL, val);
	if (r != -ENOENT)
		return r;
	r = para_steal_set_msr(vcpu, msr, val);
	if (r != -ENOENT)
		return r;
	r = pv_eoi_msr(vcpu, msr, NULL, val);
	if (r != -ENOENT)
		return r;
	return para_seed_set_msr(vcpu, msr, val);
}

/* The MSRs a VMM saves and restores (KVM_GET_MSR_INDEX_LIST). */
static const u32 para_msr_indices[] = {
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW,
	MSR_KVM_STEAL_TIME, MSR_KVM_POLL_CONTROL, MSR_KVM_PV_EOI_EN,
};

static const struct kvmod_component_ops para_component = {
	.name = "para",
	.owner = THIS_MODULE,
	.check_extension = para_check_extension,
	.vm_ioctl = para_vm_ioctl,
	.vcpu_ioctl = para_vcpu_ioctl,
	.vcpu_create = para_vcpu_create,
	.vcpu_init_signal = para_vcpu_init_signal,
	.vcpu_destroy = para_vcpu_destroy,
	.vm_destroy = para_vm_destroy,
	.cpuid_leaves = para_cpuid_leaves,
	.nr_cpuid_leaves = ARRAY_SIZE(para_cpuid_leaves),
	.get_msr = para_get_msr,
	.set_msr = para_set_msr,
	.msr_indices = para_msr_indices,
	.nr_msr_indices = ARRAY_SIZE(para_msr_indices),
	.hypercall = para_hypercall,
	.clock_update = para_clock_update,
};

static int __init kvmod_para_init(void)
{
	int r = para_clock_register();

	if (r)
		return r;
	r = kvmod_register_component(KVMOD_COMPONENT_PARA, &para_component);
	if (r)
		para_clock_unregister();
	return r;
}

static void __exit kvmod_para_exit(void)
{
	kvmod_unregister_component(KVMOD_COMPONENT_PARA, &para_component);
	para_clock_unregister();
}

module_init(kvmod_para_init);
module_exit(kvmod_para_exit);
MODULE_DESCRIPTION("kvmod paravirtual interface: KVM CPUID leaves, kvmclock, hypercalls");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
MODULE_SOFTDEP("pre: kvmod");
