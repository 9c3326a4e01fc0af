// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing (irq_routing.c's tables) and the VM ioctls that raise
 * interrupts: KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SET_GSI_ROUTING and
 * KVM_SIGNAL_MSI. A GSI may reach the PIC, the IOAPIC and MSIs; the
 * table is replaced as a whole and read under RCU, so interrupts can be
 * raised from any context while userspace changes the routing.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "irqchip.h"
#include "msi.h"

static int route_msi(struct kvmod_virq *virq, u32 lo, u32 hi, u32 data)
{
	struct kvmod_irq_msg msg;

	if (!kvmod_msi_decode(lo, hi, data, READ_ONCE(virq->x2apic_format),
			      &msg))
		return -EINVAL;
	return kvmod_irq_deliver(virq->vm, &msg, NULL);
}

/**
 * kvmod_virq_set_irq() - a source changed its level on a GSI
 * @virq: the VM's irqchip
 * @source: KVMOD_IRQ_SOURCE_*
 * @gsi: the GSI
 * @level: the new level (an MSI fires on 1 only)
 * @line_status: the caller wants KVM_IRQ_LINE_STATUS's answer
 *
 * Callable from any context.
 *
 * Return: as KVM: the sum of what each route reported, with negative
 * answers (masked, no destination) counted only if all are; -1 when
 * the GSI has no route.
 */
int kvmod_virq_set_irq(struct kvmod_virq *virq, int source, u32 gsi,
		       bool level, bool line_status)
{
	struct kvmod_irq_route routes[KVMOD_IRQ_ROUTES_PER_GSI];
	const struct kvmod_irq_route_table *t;
	unsigned int n, i;
	int ret = -1, r;

	rcu_read_lock();
	t = rcu_dereference(virq->routes);
	n = t ? kvmod_irq_routing_map_gsi(t, gsi, routes,
					  ARRAY_SIZE(routes)) : 0;
	rcu_read_unlock();
	for (i = 0; i < n; i++) {
		if (routes[i].type == KVM_IRQ_ROUTING_MSI) {
			if (!level)
				continue;
			r = route_msi(virq, routes[i].u.msi.address_lo,
				      routes[i].u.msi.address_hi,
				      routes[i].u.msi.data);
		} else if (routes[i].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC) {
			r = kvmod_vioapic_set_irq(virq, source,
						  routes[i].u.irqchip.pin,
						  level, line_status);
		} else {
			/* Slave pins are stored as 8-15 in the table. */
			r = kvmod_vpic_set_irq(virq, source,
					       routes[i].u.irqchip.pin, level);
		}
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/* Build a table from @ue and publish it; the old one goes after RCU. */
static int set_routing(struct kvmod_virq *virq,
		       const struct kvm_irq_routing_entry *ue, u32 nr)
{
	struct kvmod_irq_route_table *t, *old;
	int nr_gsis, r;

	nr_gsis = kvmod_irq_routing_nr_gsis(ue, nr);
	if (nr_gsis < 0)
		return nr_gsis;
	t = kvzalloc(kvmod_irq_routing_size(nr, nr_gsis), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	r = kvmod_irq_routing_build(t, nr_gsis, ue, nr, virq->split,
				    READ_ONCE(virq->x2apic_format));
	if (r) {
		kvfree(t);
		return r;
	}
	old = rcu_replace_pointer(virq->routes, t,
				  lockdep_is_held(&virq->lock));
	synchronize_rcu();
	kvfree(old);
	return 0;
}

/**
 * kvmod_virq_default_routing() - KVM's default table (PIC and IOAPIC)
 * @virq: the VM's irqchip, its lock held
 *
 * Return: 0 or -ENOMEM.
 */
int kvmod_virq_default_routing(struct kvmod_virq *virq)
{
	struct kvm_irq_routing_entry *ue;
	int r;

	ue = kcalloc(KVMOD_IRQ_ROUTING_DEFAULT_NR, sizeof(*ue), GFP_KERNEL);
	if (!ue)
		return -ENOMEM;
	kvmod_irq_routing_default(ue);
	r = set_routing(virq, ue, virq->split ? 0 : KVMOD_IRQ_ROUTING_DEFAULT_NR);
	kfree(ue);
	return r;
}

/**
 * kvmod_virq_free_routing() - free the table at VM destruction
 * @virq: the VM's irqchip
 */
void kvmod_virq_free_routing(struct kvmod_virq *virq)
{
	kvfree(rcu_dereference_protected(virq->routes, true));
}

/**
 * kvmod_virq_split_eoi_vector() - must this EOI go to userspace's IOAPIC?
 * @virq: the VM's irqchip (split)
 * @vcpu: the vCPU that EOI'd
 * @vector: the level-triggered vector
 *
 * With a split irqchip, level-triggered MSI routes of the GSIs that
 * userspace's IOAPIC reserved (KVM_CAP_SPLIT_IRQCHIP's args[0]) whose
 * message reaches @vcpu are its pins: their EOIs exit to userspace.
 *
 * Return: true when KVM_EXIT_IOAPIC_EOI is due.
 */
bool kvmod_virq_split_eoi_vector(struct kvmod_virq *virq,
				 struct kvmod_vcpu *vcpu, u8 vector)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	const struct kvmod_irq_route_table *t;
	const struct kvmod_irq_route *r;
	struct kvmod_irq_msg msg;
	bool hit = false;
	u32 gsi;

	rcu_read_lock();
	t = rcu_dereference(virq->routes);
	for (gsi = 0; t && gsi < virq->nr_ioapic_routes && !hit; gsi++) {
		for (r = kvmod_irq_routing_first(t, gsi); r && !hit;
		     r = kvmod_irq_routing_next(t, r)) {
			if (r->type != KVM_IRQ_ROUTING_MSI ||
			    !kvmod_msi_decode(r->u.msi.address_lo,
					      r->u.msi.address_hi,
					      r->u.msi.data,
					      READ_ONCE(virq->x2apic_format),
					      &msg))
				continue;
			hit = msg.level && msg.vector == vector &&
			      kvmod_lapic_match_dest(&vl->l, &msg, NULL);
		}
	}
	rcu_read_unlock();
	return hit;
}

static long set_gsi_routing(struct kvmod_virq *virq,
			    struct kvm_irq_routing __user *argp)
{
	struct kvm_irq_routing_entry *ue = NULL;
	struct kvm_irq_routing hdr;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	r = kvmod_irq_routing_check(hdr.nr, hdr.flags);
	if (r)
		return r;
	if (hdr.nr) {
		ue = vmemdup_user(argp->entries,
				  array_size(sizeof(*ue), hdr.nr));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	mutex_lock(&virq->lock);
	r = set_routing(virq, ue, hdr.nr);
	mutex_unlock(&virq->lock);
	kvfree(ue);
	return r;
}

/**
 * kvmod_virq_route_ioctl() - the VM ioctls that raise and route IRQs
 * @vm: the VM
 * @ioctl: the ioctl
 * @argp: its argument
 *
 * Return: as KVM; -ENOTTY for ioctls not handled here.
 */
long kvmod_virq_route_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			    void __user *argp)
{
	struct kvmod_virq *virq = to_virq(vm);
	struct kvm_irq_level irq;
	struct kvm_msi msi;

	switch (ioctl) {
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		if (copy_from_user(&irq, argp, sizeof(irq)))
			return -EFAULT;
		/* As KVM: a line needs an in-kernel irqchip (split: no route). */
		if (!virq || !READ_ONCE(vm->irqchip))
			return -ENXIO;
		irq.status = kvmod_virq_set_irq(virq, KVMOD_IRQ_SOURCE_USER,
						irq.irq, irq.level,
						ioctl == KVM_IRQ_LINE_STATUS);
		if (ioctl == KVM_IRQ_LINE_STATUS &&
		    copy_to_user(argp, &irq, sizeof(irq)))
			return -EFAULT;
		return 0;
	case KVM_SET_GSI_ROUTING:
		/* Pairs with the release when the irqchip was made. */
		if (!virq || !smp_load_acquire(&vm->irqchip))
			return -EINVAL;
		return set_gsi_routing(virq, argp);
	case KVM_SIGNAL_MSI:
		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		/* Pairs with the release when the irqchip was made. */
		if (!virq || !smp_load_acquire(&vm->irqchip) ||
		    (msi.flags & ~KVM_MSI_VALID_DEVID))
			return -EINVAL;
		return route_msi(virq, msi.address_lo, msi.address_hi,
				 msi.data);
	default:
		return -ENOTTY;
	}
}
