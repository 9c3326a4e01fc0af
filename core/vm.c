// SPDX-License-Identifier: GPL-2.0
/*
 * VM file descriptors: creation, lifetime and VM-fd ioctls.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "registry.h"

static void kvmod_vm_destroy(struct kvmod_vm *vm)
{
	int i;

	kvmod_debugfs_vm_remove(vm);
	/*
	 * The MMU first: unregistering its notifier may flush TLBs, which
	 * looks at the vCPUs (none runs: every fd is gone).
	 */
	vm->mmu->vm_destroy(vm);
	/*
	 * Components before the vCPUs: their interrupt sources (timers,
	 * devices) stop before anything they deliver to goes away.
	 */
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++)
		if (vm->components[i] && vm->components[i]->vm_destroy)
			vm->components[i]->vm_destroy(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		kvmod_vcpu_destroy(kvmod_get_vcpu(vm, i));
	xa_destroy(&vm->vcpu_array);
	kvmod_ioeventfd_destroy(vm);
	kvmod_coalesced_destroy(vm);
	kvmod_io_bus_destroy(vm);
	vm->vendor->vm_destroy(vm);
	kvmod_put_components(vm);
	mmdrop(vm->mm);
	kvmod_free_memslots(vm);
	kfree(vm);
}

void kvmod_vm_put(struct kvmod_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		kvmod_vm_destroy(vm);
}

static int kvmod_vm_release(struct inode *inode, struct file *filp)
{
	kvmod_vm_put(filp->private_data);
	return 0;
}

/* An ioctl core does not know: the VM's components may. */
static long kvmod_vm_component_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
				     unsigned long arg)
{
	long r;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		if (!vm->components[i] || !vm->components[i]->vm_ioctl)
			continue;
		r = vm->components[i]->vm_ioctl(vm, ioctl, arg);
		if (r != -ENOTTY)
			return r;
	}
	return -ENOTTY;
}

static long kvmod_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct kvmod_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvmod_create_vcpu(vm, arg);
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return kvmod_set_memory_region(vm, &mem);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return kvmod_get_dirty_log(vm, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return kvmod_clear_dirty_log(vm, &log);
	}
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;
		long r;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		if (cap.cap == KVM_CAP_EXCEPTION_PAYLOAD)
			return kvmod_enable_exception_payload(vm, &cap);
		r = kvmod_vm_enable_cap(vm, &cap);
		if (r != -EINVAL)
			return r;
		/* A component's capability, or -EINVAL as for any other. */
		r = kvmod_vm_component_ioctl(vm, ioctl, arg);
		return r == -ENOTTY ? -EINVAL : r;
	}
	case KVM_CHECK_EXTENSION:
		return kvmod_check_extension(vm, arg);
	case KVM_IOEVENTFD: {
		struct kvm_ioeventfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return kvmod_ioeventfd(vm, &args);
	}
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvmod_coalesced_ioctl(vm, ioctl, argp);
	case KVM_SET_TSS_ADDR:
	case KVM_SET_IDENTITY_MAP_ADDR:
	case KVM_SET_BOOT_CPU_ID:
		return kvmod_vm_ctl_ioctl(vm, ioctl, arg);
	case KVM_GET_STATS_FD:
		return kvmod_vm_get_stats_fd(vm);
	default:
		return kvmod_vm_component_ioctl(vm, ioctl, arg);
	}
}

#ifdef CONFIG_COMPAT
/*
 * A 32-bit VMM passes the dirty bitmap as a 32-bit pointer in the low half
 * of the union in struct kvm_dirty_log / kvm_clear_dirty_log (the layout is
 * the same otherwise); every other VM ioctl has the same arguments.
 */
static long kvmod_vm_compat_ioctl(struct file *filp, unsigned int ioctl,
				  unsigned long arg)
{
	struct kvmod_vm *vm = filp->private_data;
	void __user *argp = compat_ptr(arg);

	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		log.dirty_bitmap = compat_ptr((u32)log.padding2);
		return kvmod_get_dirty_log(vm, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		log.dirty_bitmap = compat_ptr((u32)log.padding2);
		return kvmod_clear_dirty_log(vm, &log);
	}
	default:
		return kvmod_vm_ioctl(filp, ioctl, (unsigned long)argp);
	}
}
#endif

static const struct file_operations kvmod_vm_fops = {
	.owner = THIS_MODULE,
	.release = kvmod_vm_release,
	.unlocked_ioctl = kvmod_vm_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl = kvmod_vm_compat_ioctl,
#endif
	.llseek = noop_llseek,
};

int kvmod_create_vm(unsigned long type)
{
	struct kvmod_vm *vm;
	struct file *file;
	int fd, r;

	if (type)
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	vm->slots = kvcalloc(KVMOD_USER_MEMSLOTS, sizeof(*vm->slots),
			     GFP_KERNEL_ACCOUNT);
	if (!vm->slots) {
		kfree(vm);
		return -ENOMEM;
	}
	refcount_set(&vm->users, 1);
	mutex_init(&vm->lock);
	mutex_init(&vm->bus_lock);
	xa_init(&vm->vcpu_array);
	mutex_init(&vm->slots_lock);
	spin_lock_init(&vm->slots_spin);
	spin_lock_init(&vm->tsc.lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	snprintf(vm->stats_id, sizeof(vm->stats_id), "kvm-%d",
		 task_pid_nr(current));

	r = kvmod_io_bus_init(vm);
	if (r)
		goto err_free;
	r = kvmod_get_components(vm);
	if (r)
		goto err_bus;
	r = vm->vendor->vm_init(vm);
	if (r)
		goto err_put;
	r = vm->mmu->vm_init(vm);
	if (r)
		goto err_vendor;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_mmu;
	}
	file = anon_inode_getfile("kvm-vm", &kvmod_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto err_mmu;
	}
	kvmod_debugfs_vm_add(vm, fd);
	fd_install(fd, file);
	return fd;

err_mmu:
	vm->mmu->vm_destroy(vm);
err_vendor:
	vm->vendor->vm_destroy(vm);
err_put:
	kvmod_put_components(vm);
err_bus:
	kvmod_io_bus_destroy(vm);
err_free:
	mmdrop(vm->mm);
	kvmod_free_memslots(vm);
	kfree(vm);
	return r;
}
