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
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "registry.h"
#include "sregs_check.h"

static vm_fault_t kvmod_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmod_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == 0)
		page = virt_to_page(vcpu->run);
	else if (vmf->pgoff == KVM_PIO_PAGE_OFFSET)
		page = virt_to_page(vcpu->pio_data);
	else if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET)
		page = kvmod_coalesced_ring_page(vcpu->vm);
	else
		return VM_FAULT_SIGBUS;
	if (!page)
		return VM_FAULT_OOM;
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

void kvmod_get_regs(struct kvmod_vcpu *vcpu, struct kvm_regs *r)
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

void kvmod_set_regs(struct kvmod_vcpu *vcpu, const struct kvm_regs *r)
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

/* KVM_GET_SREGS: the vendor's registers and core's CR8, APIC base, IRQ. */
void kvmod_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *s)
{
	vcpu->vm->vendor->get_sregs(vcpu, s);
	s->cr8 = kvmod_get_cr8(vcpu);
	s->apic_base = kvmod_get_apic_base(vcpu);
	memset(s->interrupt_bitmap, 0, sizeof(s->interrupt_bitmap));
	/* An interrupt on its way to the guest, as KVM reports it. */
	if (vcpu->ev.irq.injected && !vcpu->ev.irq.soft)
		__set_bit(vcpu->ev.irq.vector,
			  (unsigned long *)s->interrupt_bitmap);
}

static int kvmod_set_sregs(struct kvmod_vcpu *vcpu,
			   const struct kvm_sregs *s)
{
	unsigned long vec;
	int r;

	r = vcpu->vm->vendor->set_sregs(vcpu, s);
	if (r)
		return r;
	vcpu->cr8 = s->cr8 & 0xf;
	/* An in-kernel APIC takes the base as KVM_SET_MSRS would. */
	if (vcpu->vm->irqchip) {
		r = vcpu->vm->irqchip->set_msr(vcpu, MSR_IA32_APICBASE,
					       s->apic_base, true);
		if (r && r != -ENOENT)
			return -EINVAL;
	}
	if (!vcpu->vm->irqchip || r == -ENOENT)
		vcpu->apic_base = s->apic_base;
	vec = find_first_bit((const unsigned long *)s->interrupt_bitmap, 256);
	if (vec < 256) {
		vcpu->ev.irq.injected = true;
		vcpu->ev.irq.soft = false;
		vcpu->ev.irq.vector = vec;
	}
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}

/* The vCPU's CPUID table changed: components derive their settings. */
static void vcpu_components_cpuid_changed(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (c && c->cpuid_changed)
			c->cpuid_changed(vcpu);
	}
}

/**
 * kvmod_set_sregs_checked() - KVM_SET_SREGS after its checks
 * @vcpu: the vCPU
 * @s: the registers
 *
 * Return: 0, or -EINVAL for registers no CPU (or not this vCPU's CPUID
 * and the host) could have.
 */
int kvmod_set_sregs_checked(struct kvmod_vcpu *vcpu,
			    const struct kvm_sregs *s)
{
	if (!kvmod_sregs_valid(s) ||
	    (s->cr4 & ~kvmod_guest_cr4_allowed(vcpu)))
		return -EINVAL;
	/* A long-mode CR3 beyond the guest's physical addresses. */
	if ((s->efer & EFER_LMA) && (s->cr0 & X86_CR0_PG) &&
	    (s->cr3 >> kvmod_guest_maxphyaddr(vcpu)))
		return -EINVAL;
	return kvmod_set_sregs(vcpu, s);
}

/* An ioctl core does not know: the VM's components may. */
static long vcpu_component_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
				 unsigned long arg)
{
	const struct kvmod_component_ops *c;
	long r;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (!c || !c->vcpu_ioctl)
			continue;
		r = c->vcpu_ioctl(vcpu, ioctl, arg);
		if (r != -ENOTTY)
			return r;
	}
	/* As KVM answers without an in-kernel LAPIC. */
	if (ioctl == KVM_GET_LAPIC || ioctl == KVM_SET_LAPIC)
		return -EINVAL;
	return -ENOTTY;
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
		/* RFLAGS.IF may let an event through now. */
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
		return 0;
	}
	case KVM_GET_SREGS: {
		struct kvm_sregs sregs;

		memset(&sregs, 0, sizeof(sregs));
		kvmod_get_sregs(vcpu, &sregs);
		if (copy_to_user(argp, &sregs, sizeof(sregs)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_SREGS: {
		struct kvm_sregs sregs;

		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		return kvmod_set_sregs_checked(vcpu, &sregs);
	}
	case KVM_INTERRUPT: {
		struct kvm_interrupt irq;

		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		return kvmod_vcpu_interrupt(vcpu, irq.irq);
	}
	case KVM_NMI:
		kvmod_vcpu_send_nmi(vcpu);
		return 0;
	case KVM_GET_VCPU_EVENTS: {
		struct kvm_vcpu_events ev;

		kvmod_get_vcpu_events(vcpu, &ev);
		if (copy_to_user(argp, &ev, sizeof(ev)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_VCPU_EVENTS: {
		struct kvm_vcpu_events ev;

		if (copy_from_user(&ev, argp, sizeof(ev)))
			return -EFAULT;
		return kvmod_set_vcpu_events(vcpu, &ev);
	}
	case KVM_GET_TSC_KHZ:
		return vcpu->tsc_khz;
	case KVM_SET_TSC_KHZ:
		return kvmod_set_tsc_khz(vcpu, arg);
	case KVM_GET_MP_STATE: {
		struct kvm_mp_state mp;

		kvmod_get_mp_state(vcpu, &mp);
		if (copy_to_user(argp, &mp, sizeof(mp)))
			return -EFAULT;
		return 0;
	}
	case KVM_SET_MP_STATE: {
		struct kvm_mp_state mp;

		if (copy_from_user(&mp, argp, sizeof(mp)))
			return -EFAULT;
		return kvmod_set_mp_state(vcpu, &mp);
	}
	case KVM_SET_CPUID2: {
		int r = kvmod_set_cpuid2(vcpu, argp);

		if (!r)
			vcpu_components_cpuid_changed(vcpu);
		return r;
	}
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
	case KVM_SET_SIGNAL_MASK:
		return kvmod_set_signal_mask(vcpu, argp);
	case KVM_GET_STATS_FD:
		return kvmod_vcpu_get_stats_fd(vcpu);
	case KVM_ENABLE_CAP:
		return kvmod_vcpu_enable_cap(vcpu, argp);
	case KVM_GET_XSAVE:
	case KVM_GET_XSAVE2:
	case KVM_SET_XSAVE:
	case KVM_GET_XCRS:
	case KVM_SET_XCRS:
		return kvmod_xsave_ioctl(vcpu, ioctl, argp);
	case KVM_TRANSLATE: {
		struct kvm_translation tr;

		if (copy_from_user(&tr, argp, sizeof(tr)))
			return -EFAULT;
		kvmod_translate(vcpu, &tr);
		if (copy_to_user(argp, &tr, sizeof(tr)))
			return -EFAULT;
		return 0;
	}
	case KVM_GET_DEBUGREGS:
		return kvmod_get_debugregs(vcpu, argp);
	case KVM_SET_DEBUGREGS:
		return kvmod_set_debugregs(vcpu, argp);
	case KVM_SET_GUEST_DEBUG:
		return kvmod_set_guest_debug(vcpu, argp);
	case KVM_X86_SETUP_MCE:
		return kvmod_setup_mce(vcpu, argp);
	case KVM_X86_SET_MCE:
		return kvmod_set_mce(vcpu, argp);
	case KVM_TPR_ACCESS_REPORTING:
		return kvmod_tpr_access_reporting(vcpu, argp);
	default:
		return vcpu_component_ioctl(vcpu, ioctl, arg);
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
	/* KVM_RUN first: the one on the exit path. */
	if (likely(ioctl == KVM_RUN))
		r = arg ? -EINVAL : kvmod_vcpu_run(vcpu);
	else
		r = kvmod_vcpu_ioctl_locked(vcpu, ioctl, (void __user *)arg,
					    arg);
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

static void vcpu_components_destroy(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (c && c->vcpu_destroy)
			c->vcpu_destroy(vcpu);
	}
}

static int vcpu_components_create(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	int i, r;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (!c || !c->vcpu_create)
			continue;
		r = c->vcpu_create(vcpu);
		if (r) {
			/* Their vcpu_destroy copes with what was not made. */
			vcpu_components_destroy(vcpu);
			return r;
		}
	}
	return 0;
}

void kvmod_vcpu_destroy(struct kvmod_vcpu *vcpu)
{
	vcpu_components_destroy(vcpu);
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
	vcpu->cr8 = 0;
	vcpu->next_rip = 0;
	vcpu->interrupt_shadow = 0;
	memset(&vcpu->ev, 0, sizeof(vcpu->ev));
	kvmod_debug_reset(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_reset_regs);

static bool vcpu_id_taken(struct kvmod_vm *vm, u32 id)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (kvmod_get_vcpu(vm, i)->id == id)
			return true;
	return false;
}

static int vcpu_create_reserved(struct kvmod_vm *vm, unsigned long id)
{
	struct kvmod_vcpu *vcpu;
	struct file *file;
	char name[32];
	int fd, r;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	snprintf(vcpu->stats_id, sizeof(vcpu->stats_id), "kvm-%d/vcpu-%lu",
		 task_pid_nr(current), id);
	vcpu->cpu = -1;
	/* A fresh vCPU starts from a clean TLB (its ASID/VPID may be reused). */
	vcpu->tlb_flush = true;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	kvmod_vcpu_reset_regs(vcpu);
	vcpu->xcr0 = XFEATURE_MASK_FP;	/* at power-up only, not at INIT */
	vcpu->microcode_version = vm->vendor->ucode_rev;
	/* As KVM: the APIC enabled at its default base, BSP on the boot CPU. */
	vcpu->apic_base = 0xfee00000ULL | BIT_ULL(11) |
			  (kvmod_vcpu_is_bsp(vcpu) ? BIT_ULL(8) : 0);
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;

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
	kvmod_tsc_vcpu_init(vcpu);
	kvmod_mce_vcpu_init(vcpu);
	kvmod_platform_msr_init(vcpu);
	r = vcpu_components_create(vcpu);
	if (r)
		goto err_vendor;
	/* With an in-kernel irqchip, APs wait for INIT and SIPI. */
	if (vm->irqchip && !kvmod_vcpu_is_bsp(vcpu))
		vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus >= KVMOD_MAX_VCPUS) {
		r = -EINVAL;
		goto err_unlock;
	}
	if (vcpu_id_taken(vm, id)) {
		r = -EEXIST;
		goto err_unlock;
	}
	/* Its slot; nobody looks beyond nr_vcpus until it is published. */
	r = xa_insert(&vm->vcpu_array, vm->nr_vcpus, vcpu,
		      GFP_KERNEL_ACCOUNT);
	if (r)
		goto err_unlock;
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_erase;
	}
	file = anon_inode_getfile(name, &kvmod_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		r = PTR_ERR(file);
		goto err_erase;
	}
	/* The vCPU fd holds a reference on the VM. */
	refcount_inc(&vm->users);
	/*
	 * Publish the vCPU (for TLB kicks) before userspace can run it:
	 * the fd goes live last. Pairs with the acquire in
	 * kvmod_flush_remote_tlbs().
	 */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	kvmod_debugfs_vcpu_add(vcpu);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

err_erase:
	xa_erase(&vm->vcpu_array, vm->nr_vcpus);
err_unlock:
	mutex_unlock(&vm->lock);
	vcpu_components_destroy(vcpu);
err_vendor:
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

/**
 * kvmod_create_vcpu() - KVM_CREATE_VCPU
 * @vm: the VM
 * @id: the vCPU id
 *
 * The vCPU counts as created from the start (vm->created_vcpus, under
 * vm->lock), so that set-up that must come before any vCPU (an in-kernel
 * irqchip) sees it.
 *
 * Return: the vCPU fd, or -EINVAL (id too large, too many vCPUs),
 * -EEXIST (id taken), -ENOMEM, ...
 */
int kvmod_create_vcpu(struct kvmod_vm *vm, unsigned long id)
{
	int r;

	if (id >= KVMOD_MAX_VCPU_ID)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->created_vcpus >= KVMOD_MAX_VCPUS) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->lock);
	r = vcpu_create_reserved(vm, id);
	if (r < 0) {
		mutex_lock(&vm->lock);
		vm->created_vcpus--;
		mutex_unlock(&vm->lock);
	}
	return r;
}
