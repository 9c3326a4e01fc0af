// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU file descriptors: creation, the kvm_run mmap, register ioctls.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "registry.h"
#include "sregs_check.h"

static vm_fault_t kvmod_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmod_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == 1)
		page = virt_to_page(vcpu->pio_data);
	else
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvmod_vcpu_vm_ops = {
	.fault = kvmod_vcpu_fault,
};

static int kvmod_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &kvmod_vcpu_vm_ops;
	return 0;
}

static int kvmod_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvmod_vcpu *vcpu = filp->private_data;

	kvmod_vm_put(vcpu->vm);
	return 0;
}

static void kvmod_get_regs(struct kvmod_vcpu *vcpu, struct kvm_regs *r)
{
	r->rax = vcpu->regs[KVMOD_RAX];
	r->rbx = vcpu->regs[KVMOD_RBX];
	r->rcx = vcpu->regs[KVMOD_RCX];
	r->rdx = vcpu->regs[KVMOD_RDX];
	r->rsi = vcpu->regs[KVMOD_RSI];
	r->rdi = vcpu->regs[KVMOD_RDI];
	r->rsp = vcpu->regs[KVMOD_RSP];
	r->rbp = vcpu->regs[KVMOD_RBP];
	r->r8 = vcpu->regs[KVMOD_R8];
	r->r9 = vcpu->regs[KVMOD_R9];
	r->r10 = vcpu->regs[KVMOD_R10];
	r->r11 = vcpu->regs[KVMOD_R11];
	r->r12 = vcpu->regs[KVMOD_R12];
	r->r13 = vcpu->regs[KVMOD_R13];
	r->r14 = vcpu->regs[KVMOD_R14];
	r->r15 = vcpu->regs[KVMOD_R15];
	r->rip = vcpu->rip;
	r->rflags = vcpu->rflags;
}

static void kvmod_set_regs(struct kvmod_vcpu *vcpu, const struct kvm_regs *r)
{
	vcpu->regs[KVMOD_RAX] = r->rax;
	vcpu->regs[KVMOD_RBX] = r->rbx;
	vcpu->regs[KVMOD_RCX] = r->rcx;
	vcpu->regs[KVMOD_RDX] = r->rdx;
	vcpu->regs[KVMOD_RSI] = r->rsi;
	vcpu->regs[KVMOD_RDI] = r->rdi;
	vcpu->regs[KVMOD_RSP] = r->rsp;
	vcpu->regs[KVMOD_RBP] = r->rbp;
	vcpu->regs[KVMOD_R8] = r->r8;
	vcpu->regs[KVMOD_R9] = r->r9;
	vcpu->regs[KVMOD_R10] = r->r10;
	vcpu->regs[KVMOD_R11] = r->r11;
	vcpu->regs[KVMOD_R12] = r->r12;
	vcpu->regs[KVMOD_R13] = r->r13;
	vcpu->regs[KVMOD_R14] = r->r14;
	vcpu->regs[KVMOD_R15] = r->r15;
	vcpu->rip = r->rip;
	/* Bit 1 of RFLAGS always reads as one. */
	vcpu->rflags = r->rflags | 2;
}

static long kvmod_vcpu_ioctl_locked(struct kvmod_vcpu *vcpu,
				    unsigned int ioctl, void __user *argp,
				    unsigned long arg)
{
	switch (ioctl) {
	case KVM_RUN:
		if (arg)
			return -EINVAL;
		return kvmod_vcpu_run(vcpu);
	case KVM_GET_REGS: {
		struct kvm_regs regs;

		memset(&regs, 0, sizeof(regs));
		kvmod_get_regs(vcpu, &regs);
		if (copy_to_user(argp, &regs, sizeof(regs)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_REGS: {
		struct kvm_regs regs;

		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		kvmod_set_regs(vcpu, &regs);
		return 0;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		memset(&sregs, 0, sizeof(sregs));
		vcpu->vm->vendor->get_sregs(vcpu, &sregs);
		if (copy_to_user(argp, &sregs, sizeof(sregs)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		if (!kvmod_sregs_valid(&sregs))
			return -EINVAL;
		/* A long-mode CR3 beyond the guest's physical addresses. */
		if ((sregs.efer & EFER_LMA) && (sregs.cr0 & X86_CR0_PG) &&
		    (sregs.cr3 >> kvmod_guest_maxphyaddr(vcpu)))
			return -EINVAL;
		return vcpu->vm->vendor->set_sregs(vcpu, &sregs);
	}
	case KVM_SET_CPUID2:
		return kvmod_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvmod_get_cpuid2(vcpu, argp);
	case KVM_GET_MSRS:
		return kvmod_vcpu_msrs(vcpu, argp, false);
	case KVM_SET_MSRS:
		return kvmod_vcpu_msrs(vcpu, argp, true);
	case KVM_GET_FPU: {
		struct kvm_fpu fpu;

		kvmod_get_fpu(vcpu, &fpu);
		if (copy_to_user(argp, &fpu, sizeof(fpu)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_FPU: {
		struct kvm_fpu fpu;

		if (copy_from_user(&fpu, argp, sizeof(fpu)))
			return -EFAULT;
		return kvmod_set_fpu(vcpu, &fpu);
	}
	case KVM_TRANSLATE: {
		struct kvm_translation tr;

		if (copy_from_user(&tr, argp, sizeof(tr)))
			return -EFAULT;
		kvmod_translate(vcpu, &tr);
		if (copy_to_user(argp, &tr, sizeof(tr)))
			return -EFAULT;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static long kvmod_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	struct kvmod_vcpu *vcpu = filp->private_data;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = kvmod_vcpu_ioctl_locked(vcpu, ioctl, (void __user *)arg, arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations kvmod_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = kvmod_vcpu_release,
	.unlocked_ioctl = kvmod_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = kvmod_vcpu_mmap,
	.llseek = noop_llseek,
};

void kvmod_vcpu_destroy(struct kvmod_vcpu *vcpu)
{
	vcpu->vm->vendor->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kvfree(vcpu->cpuid_entries);
	kfree(vcpu->exit_stats);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

/**
 * kvmod_vcpu_reset_regs() - put core's guest registers in the reset state
 * @vcpu: the vCPU
 *
 * Vendors call this with their own reset (at creation, after a shutdown).
 */
void kvmod_vcpu_reset_regs(struct kvmod_vcpu *vcpu)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	memset(vcpu->dr, 0, sizeof(vcpu->dr));
	vcpu->rip = 0xfff0;
	vcpu->rflags = 2;
	vcpu->dr6 = 0xffff0ff0;
	vcpu->dr7 = 0x400;
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_reset_regs);

static bool vcpu_id_taken(struct kvmod_vm *vm, u32 id)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			return true;
	return false;
}

int kvmod_create_vcpu(struct kvmod_vm *vm, unsigned long id)
{
	struct kvmod_vcpu *vcpu;
	struct file *file;
	char name[32];
	int fd, r;

	if (id >= KVMOD_MAX_VCPU_ID)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	kvmod_vcpu_reset_regs(vcpu);

	r = -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->exit_stats = kcalloc(vm->vendor->nr_exit_codes,
				   sizeof(*vcpu->exit_stats),
				   GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->pio_data || !vcpu->exit_stats)
		goto err_pages;
	if (!fpu_alloc_guest_fpstate(&vcpu->guest_fpu))
		goto err_pages;
	r = vm->vendor->vcpu_create(vcpu);
	if (r)
		goto err_fpu;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= KVMOD_MAX_VCPUS) {
		r = -EINVAL;
		goto err_unlock;
	}
	if (vcpu_id_taken(vm, id)) {
		r = -EEXIST;
		goto err_unlock;
	}
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_unlock;
	}
	file = anon_inode_getfile(name, &kvmod_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto err_unlock;
	}
	/* The vCPU fd holds a reference on the VM. */
	refcount_inc(&vm->users);
	/*
	 * Publish the vCPU (for TLB kicks) before userspace can run it:
	 * the fd goes live last.
	 */
	WRITE_ONCE(vm->vcpus[vm->nr_vcpus], vcpu);
	/* Pairs with the acquire in kvmod_flush_remote_tlbs(). */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	kvmod_debugfs_vcpu_add(vcpu);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
	vm->vendor->vcpu_free(vcpu);
err_fpu:
	fpu_free_guest_fpstate(&vcpu->guest_fpu);
err_pages:
	kfree(vcpu->exit_stats);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
	return r;
}
