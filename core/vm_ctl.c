// SPDX-License-Identifier: GPL-2.0
/*
 * VM-wide settings a VMM makes before its vCPUs exist: the real-mode TSS
 * and EPT identity-map addresses (KVM_SET_TSS_ADDR,
 * KVM_SET_IDENTITY_MAP_ADDR) and the boot CPU (KVM_SET_BOOT_CPU_ID).
 *
 * kvmod runs real mode natively (SVM, and VMX with unrestricted guest),
 * so it needs neither the TSS pages nor the identity map that KVM's VMX
 * keeps for CPUs without unrestricted guest: the addresses are checked
 * and recorded as KVM does, and no memory is taken from the guest.
 */
#include <linux/mutex.h>
#include <linux/uaccess.h>

#include "registry.h"

/* KVM's bound: the three TSS pages below 4 GiB. */
#define KVMOD_TSS_ADDR_MAX	((u64)(u32)(-3 * PAGE_SIZE))

static long set_identity_map_addr(struct kvmod_vm *vm, void __user *argp)
{
	long r = -EINVAL;
	u64 addr;

	mutex_lock(&vm->lock);
	/* As KVM 6.1: -EINVAL once a vCPU exists (before reading @argp). */
	if (vm->created_vcpus)
		goto out;
	r = -EFAULT;
	if (copy_from_user(&addr, argp, sizeof(addr)))
		goto out;
	vm->identity_map_addr = addr;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static long set_boot_cpu_id(struct kvmod_vm *vm, unsigned long id)
{
	long r = 0;

	mutex_lock(&vm->lock);
	if (vm->created_vcpus)
		r = -EBUSY;
	else
		vm->bsp_vcpu_id = id;
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * kvmod_vm_ctl_ioctl() - KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR,
 *	KVM_SET_BOOT_CPU_ID
 * @vm: the VM
 * @ioctl: one of those
 * @arg: the ioctl's argument
 *
 * Return: 0; -EINVAL for a TSS address above 4 GiB - 3 pages, or an
 * identity-map address once a vCPU exists; -EBUSY for a boot CPU once a
 * vCPU exists; -EFAULT; -ENOTTY for other ioctls.
 */
long kvmod_vm_ctl_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			unsigned long arg)
{
	switch (ioctl) {
	case KVM_SET_TSS_ADDR:
		if (arg > KVMOD_TSS_ADDR_MAX)
			return -EINVAL;
		WRITE_ONCE(vm->tss_addr, arg);
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		return set_identity_map_addr(vm, (void __user *)arg);
	case KVM_SET_BOOT_CPU_ID:
		return set_boot_cpu_id(vm, arg);
	default:
		return -ENOTTY;
	}
}
