// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-irqchip.ko: the in-kernel interrupt controllers as an optional
 * component of kvmod. Loaded, it answers the irqchip capabilities and
 * ioctls (KVM_CREATE_IRQCHIP, KVM_CAP_SPLIT_IRQCHIP, KVM_GET/SET_IRQCHIP,
 * routing, KVM_GET/SET_LAPIC, the PIT); a VM that creates an irqchip
 * gets a local APIC per vCPU and, unless split, the PIC and IOAPIC.
 * Unloaded (or loaded after the VM was created), the VM has none, and
 * KVM_CHECK_EXTENSION says so.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "irqchip.h"

/* KVM's MAX_NR_RESERVED_IOAPIC_PINS: the split irqchip's GSI limit. */
#define KVMOD_MAX_SPLIT_IOAPIC_PINS	KVMOD_MAX_IRQ_ROUTES

static long irqchip_check_extension(struct kvmod_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_IOAPIC_POLARITY_IGNORED:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	/* KVM_SET_VAPIC_ADDR, KVM_TPR_ACCESS_REPORTING: no TPR acceleration. */
	case KVM_CAP_VAPIC:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return KVMOD_MAX_IRQ_ROUTES;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_USE_32BIT_IDS |
		       KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
	default:
		return 0;
	}
}

/*
 * The VM's irqchip state, made on first use and kept until the VM is
 * destroyed (so ioctls racing with a failed KVM_CREATE_IRQCHIP never see
 * it freed); vm->irqchip says whether an irqchip was created. Called with
 * vm->lock held.
 */
static struct kvmod_virq *virq_get(struct kvmod_vm *vm)
{
	struct kvmod_virq *virq = vm->irqchip_data;

	lockdep_assert_held(&vm->lock);
	if (virq)
		return virq;
	virq = kzalloc(sizeof(*virq), GFP_KERNEL_ACCOUNT);
	if (!virq)
		return NULL;
	virq->vm = vm;
	mutex_init(&virq->lock);
	xa_init(&virq->apic_by_id);
	kvmod_virq_map_init(virq);
	spin_lock_init(&virq->pic_lock);
	spin_lock_init(&virq->ioapic_lock);
	kvmod_irqfd_init_vm(virq);
	vm->irqchip_data = virq;
	return virq;
}

/*
 * vm->lock is held from the check to the end of the set-up, as KVM does:
 * KVM_CREATE_VCPU counts its vCPU under it first, so no vCPU is made
 * without the LAPIC an irqchip VM gives every vCPU.
 */
static int create_irqchip(struct kvmod_vm *vm)
{
	struct kvmod_virq *virq;
	int r;

	mutex_lock(&vm->lock);
	r = vm->irqchip ? -EEXIST : vm->created_vcpus ? -EINVAL : 0;
	if (r)
		goto out;
	virq = virq_get(vm);
	if (!virq) {
		r = -ENOMEM;
		goto out;
	}
	mutex_lock(&virq->lock);
	r = kvmod_vpic_create(virq);
	if (r)
		goto out_virq;
	r = kvmod_vioapic_create(virq);
	if (r)
		goto err_pic;
	r = kvmod_virq_default_routing(virq);
	if (r)
		goto err_ioapic;
	virq->full = true;
	vm->pic_in_kernel = true;
	/* Core sees the irqchip (HLT in the kernel, no KVM_INTERRUPT). */
	smp_store_release(&vm->irqchip, &kvmod_irqchip_ops);
	goto out_virq;

err_ioapic:
	kvmod_vioapic_destroy(virq);
err_pic:
	kvmod_vpic_destroy(virq);
out_virq:
	mutex_unlock(&virq->lock);
out:
	mutex_unlock(&vm->lock);
	return r;
}

static int enable_split_irqchip(struct kvmod_vm *vm,
				const struct kvm_enable_cap *cap)
{
	struct kvmod_virq *virq;
	int r;

	if (cap->flags || cap->args[0] > KVMOD_MAX_SPLIT_IOAPIC_PINS)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = (vm->irqchip || vm->created_vcpus) ? -EEXIST : 0;
	if (r)
		goto out;
	virq = virq_get(vm);
	if (!virq) {
		r = -ENOMEM;
		goto out;
	}
	mutex_lock(&virq->lock);
	virq->split = true;
	virq->nr_ioapic_routes = cap->args[0];
	r = kvmod_virq_default_routing(virq);
	if (r)
		virq->split = false;
	else	/* The set-up above is seen before the irqchip. */
		smp_store_release(&vm->irqchip, &kvmod_irqchip_ops);
	mutex_unlock(&virq->lock);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_CAP_X2APIC_API: 32-bit x2APIC IDs in KVM_GET/SET_LAPIC and MSI
 * address_hi, and no 0xff broadcast to x2APIC destinations. As KVM, it
 * can be enabled at any time, with or without an irqchip.
 */
static int enable_x2apic_api(struct kvmod_vm *vm,
			     const struct kvm_enable_cap *cap)
{
	struct kvmod_virq *virq;
	int i, n;

	if (cap->flags || (cap->args[0] & ~(u64)(KVM_X2APIC_API_USE_32BIT_IDS |
				KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)))
		return -EINVAL;
	mutex_lock(&vm->lock);
	virq = virq_get(vm);
	if (!virq) {
		mutex_unlock(&vm->lock);
		return -ENOMEM;
	}
	if (cap->args[0] & KVM_X2APIC_API_USE_32BIT_IDS)
		WRITE_ONCE(virq->x2apic_format, true);
	if (cap->args[0] & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)
		WRITE_ONCE(virq->no_broadcast_quirk, true);
	n = vm->nr_vcpus;
	for (i = 0; i < n; i++)
		kvmod_vlapic_update_config(kvmod_get_vcpu(vm, i));
	mutex_unlock(&vm->lock);
	return 0;
}

static long get_set_irqchip(struct kvmod_vm *vm, unsigned int ioctl,
			    void __user *argp)
{
	struct kvmod_virq *virq = to_virq(vm);
	struct kvm_irqchip *chip;
	unsigned long flags;
	long r = 0;

	chip = memdup_user(argp, sizeof(*chip));
	if (IS_ERR(chip))
		return PTR_ERR(chip);
	/* Pairs with the release when the irqchip was made. */
	if (!virq || !smp_load_acquire(&vm->irqchip) || !virq->full) {
		r = -ENXIO;
		goto out;
	}
	switch (chip->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		spin_lock_irqsave(&virq->pic_lock, flags);
		if (ioctl == KVM_GET_IRQCHIP)
			kvmod_pic_get_state(&virq->pic, chip->chip_id,
					    &chip->chip.pic);
		else if (kvmod_pic_set_state(&virq->pic, chip->chip_id,
					     &chip->chip.pic))
			r = -EINVAL;
		spin_unlock_irqrestore(&virq->pic_lock, flags);
		if (ioctl == KVM_SET_IRQCHIP)
			kvmod_vpic_kick(virq);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (ioctl == KVM_GET_IRQCHIP) {
			spin_lock_irqsave(&virq->ioapic_lock, flags);
			kvmod_ioapic_get_state(&virq->ioapic,
					       &chip->chip.ioapic);
			spin_unlock_irqrestore(&virq->ioapic_lock, flags);
		} else {
			kvmod_vioapic_set_state(virq, &chip->chip.ioapic);
		}
		break;
	default:
		r = -EINVAL;
		goto out;
	}
	if (!r && ioctl == KVM_GET_IRQCHIP &&
	    copy_to_user(argp, chip, sizeof(*chip)))
		r = -EFAULT;
out:
	kfree(chip);
	return r;
}

static long irqchip_vm_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			     unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct kvm_enable_cap cap;
	long r;

	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return create_irqchip(vm);
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return get_set_irqchip(vm, ioctl, argp);
	case KVM_IRQFD:
		return kvmod_irqfd_ioctl(vm, argp);
	case KVM_ENABLE_CAP:
		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		if (cap.cap == KVM_CAP_X2APIC_API)
			return enable_x2apic_api(vm, &cap);
		if (cap.cap != KVM_CAP_SPLIT_IRQCHIP)
			return -ENOTTY;
		return enable_split_irqchip(vm, &cap);
	}
	r = kvmod_virq_route_ioctl(vm, ioctl, argp);
	if (r != -ENOTTY)
		return r;
	return kvmod_vpit_ioctl(to_virq(vm), ioctl, argp);
}

static long irqchip_vcpu_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
			       unsigned long arg)
{
	return kvmod_vlapic_ioctl(vcpu, ioctl, (void __user *)arg);
}

static int irqchip_vcpu_create(struct kvmod_vcpu *vcpu)
{
	/* Pairs with the release when the irqchip was made. */
	if (!smp_load_acquire(&vcpu->vm->irqchip))
		return 0;
	return kvmod_vlapic_create(vcpu);
}

static void irqchip_vcpu_destroy(struct kvmod_vcpu *vcpu)
{
	kvmod_vlapic_destroy(vcpu);
}

static void irqchip_vm_destroy(struct kvmod_vm *vm)
{
	struct kvmod_virq *virq = to_virq(vm);

	if (!virq)
		return;
	kvmod_irqfd_release(virq);
	kvmod_vpit_destroy(virq);
	if (virq->full) {
		kvmod_vioapic_destroy(virq);
		kvmod_vpic_destroy(virq);
	}
	kvmod_virq_free_routing(virq);
	kvmod_virq_map_destroy(virq);
	xa_destroy(&virq->apic_by_id);
	vm->irqchip = NULL;
	vm->irqchip_data = NULL;
	kfree(virq);
}

/*
 * The APIC and x2APIC are emulated whatever the host. The TSC-deadline
 * timer is too, but as KVM, KVM_GET_SUPPORTED_CPUID leaves its bit
 * (1:ECX[24]) to the VMM, which learns it from KVM_CAP_TSC_DEADLINE_TIMER.
 */
static const struct kvmod_cpuid_bits irqchip_cpuid_bits[] = {
	{ .leaf = 1, .reg = 2, .set = BIT(21) },	/* ECX */
	{ .leaf = 1, .reg = 3, .set = BIT(9) },		/* EDX */
};

static const struct kvmod_component_ops irqchip_component = {
	.name = "irqchip",
	.owner = THIS_MODULE,
	.check_extension = irqchip_check_extension,
	.vm_ioctl = irqchip_vm_ioctl,
	.vcpu_ioctl = irqchip_vcpu_ioctl,
	.vcpu_create = irqchip_vcpu_create,
	.vcpu_destroy = irqchip_vcpu_destroy,
	.cpuid_changed = kvmod_vlapic_update_config,
	.vm_destroy = irqchip_vm_destroy,
	.cpuid_bits = irqchip_cpuid_bits,
	.nr_cpuid_bits = ARRAY_SIZE(irqchip_cpuid_bits),
};

static int __init kvmod_irqchip_init(void)
{
	int r = kvmod_irqfd_module_init();

	if (r)
		return r;
	r = kvmod_register_component(KVMOD_COMPONENT_IRQCHIP,
				     &irqchip_component);
	if (r)
		kvmod_irqfd_module_exit();
	return r;
}

static void __exit kvmod_irqchip_exit(void)
{
	kvmod_unregister_component(KVMOD_COMPONENT_IRQCHIP,
				   &irqchip_component);
	kvmod_irqfd_module_exit();
}

module_init(kvmod_irqchip_init);
module_exit(kvmod_irqchip_exit);
MODULE_DESCRIPTION("kvmod in-kernel interrupt controllers: PIC, IOAPIC, LAPIC, PIT, MSI routing");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
MODULE_SOFTDEP("pre: kvmod");
