// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IRQFD: an eventfd whose signal raises a GSI of the VM's in-kernel
 * irqchip through the routing table (MSI, IOAPIC or PIC pin).
 *
 * The irqfd waits on the eventfd's wait queue; its wake-up callback runs
 * with the queue's lock held and interrupts off, where the GSI is raised
 * at once (kvmod_virq_set_irq() may be called from any context and reads
 * the routing table each time, so routing changes apply to live irqfds).
 * An edge is a pulse of the userspace source, as KVM does.
 *
 * With KVM_IRQFD_FLAG_RESAMPLE the GSI is a level: the signal raises the
 * resample source's level, and when the guest acknowledges the pin (an
 * IOAPIC EOI or a PIC EOI, reported by kvmod_irqfd_acked()) the level is
 * dropped and every resamplefd of that GSI signalled, so that userspace
 * can raise it again if its device still wants service. The irqfds of
 * one GSI share a resampler.
 *
 * Teardown (deassign, the eventfd closing: POLLHUP in the wake-up, the VM
 * going away) takes the irqfd off the VM's list under its spinlock and
 * finishes in a work item, which leaves the wait queue and frees it.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/srcu.h>

#include "irqchip.h"

struct kvmod_irqfd_resampler {
	struct list_head link;		/* virq->resamplers, RCU */
	u32 gsi;
	struct list_head irqfds;	/* their resample_link, RCU */
	struct rcu_head rcu;
};

struct kvmod_irqfd {
	struct kvmod_virq *virq;
	u32 gsi;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;	/* or NULL */
	struct kvmod_irqfd_resampler *resampler;
	struct list_head resample_link;
	struct list_head list;		/* virq->irqfds; empty: shutting down */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
};

static struct workqueue_struct *irqfd_cleanup_wq;

static void irqfd_raise(struct kvmod_irqfd *irqfd)
{
	if (irqfd->resampler) {
		kvmod_virq_set_irq(irqfd->virq, KVMOD_IRQ_SOURCE_RESAMPLE,
				   irqfd->gsi, true, false);
		return;
	}
	kvmod_virq_set_irq(irqfd->virq, KVMOD_IRQ_SOURCE_USER, irqfd->gsi,
			   true, false);
	kvmod_virq_set_irq(irqfd->virq, KVMOD_IRQ_SOURCE_USER, irqfd->gsi,
			   false, false);
}

/**
 * kvmod_irqfd_acked() - the guest acknowledged a GSI's pin
 * @virq: the VM's irqchip
 * @gsi: the GSI routed to the pin
 *
 * Drops the resample level of @gsi and signals its resamplefds. Any
 * context, with no irqchip lock held.
 */
void kvmod_irqfd_acked(struct kvmod_virq *virq, u32 gsi)
{
	struct kvmod_irqfd_resampler *rs;
	struct kvmod_irqfd *irqfd;

	rcu_read_lock();
	list_for_each_entry_rcu(rs, &virq->resamplers, link) {
		if (rs->gsi != gsi)
			continue;
		kvmod_virq_set_irq(virq, KVMOD_IRQ_SOURCE_RESAMPLE, gsi, false,
				   false);
		list_for_each_entry_rcu(irqfd, &rs->irqfds, resample_link)
			eventfd_signal(irqfd->resamplefd, 1);
		break;
	}
	rcu_read_unlock();
}

/**
 * kvmod_irqfd_chip_acked() - pins of an irqchip were acknowledged
 * @virq: the VM's irqchip
 * @irqchip: KVM_IRQCHIP_IOAPIC, or KVM_IRQCHIP_PIC_MASTER for PIC inputs
 *	0-15 (the slave's are 8-15)
 * @pins: a bit per pin
 *
 * Calls kvmod_irqfd_acked() for the GSI of each pin; nothing to do (one
 * test) while no irqfd resamples.
 */
void kvmod_irqfd_chip_acked(struct kvmod_virq *virq, u32 irqchip, u32 pins)
{
	const struct kvmod_irq_route_table *t;
	u32 chip;
	int pin, gsi;

	if (list_empty_careful(&virq->resamplers))
		return;
	for (pin = 0; pins; pin++, pins >>= 1) {
		if (!(pins & 1))
			continue;
		chip = irqchip;
		if (irqchip == KVM_IRQCHIP_PIC_MASTER &&
		    pin >= KVMOD_PIC_NUM_PINS / 2)
			chip = KVM_IRQCHIP_PIC_SLAVE;
		rcu_read_lock();
		t = rcu_dereference(virq->routes);
		gsi = t ? kvmod_irq_routing_chip_pin_gsi(t, chip, pin) : -1;
		rcu_read_unlock();
		if (gsi >= 0)
			kvmod_irqfd_acked(virq, gsi);
	}
}

/* The last irqfd of a resampler leaves: the GSI's level drops. */
static void irqfd_resampler_leave(struct kvmod_irqfd *irqfd)
{
	struct kvmod_irqfd_resampler *rs = irqfd->resampler;
	struct kvmod_virq *virq = irqfd->virq;

	mutex_lock(&virq->resampler_lock);
	list_del_rcu(&irqfd->resample_link);
	if (list_empty(&rs->irqfds)) {
		list_del_rcu(&rs->link);
		kvmod_virq_set_irq(virq, KVMOD_IRQ_SOURCE_RESAMPLE, rs->gsi,
				   false, false);
		kfree_rcu(rs, rcu);
	}
	mutex_unlock(&virq->resampler_lock);
	/* No kvmod_irqfd_acked() sees the irqfd after this. */
	synchronize_rcu();
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct kvmod_irqfd *irqfd = container_of(work, struct kvmod_irqfd,
						 shutdown);
	u64 cnt;

	/* An irqfd_assign() that listed the irqfd has hooked it up. */
	synchronize_srcu(&irqfd->virq->vm->io_srcu);
	/* After this, the wake-up callback neither runs nor will. */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler) {
		irqfd_resampler_leave(irqfd);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

/* Off the VM's list, and the rest in the work item. irqfd_lock held. */
static void irqfd_deactivate(struct kvmod_irqfd *irqfd)
{
	lockdep_assert_held(&irqfd->virq->irqfd_lock);
	list_del_init(&irqfd->list);
	queue_work(irqfd_cleanup_wq, &irqfd->shutdown);
}

/* The eventfd's wait queue lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct kvmod_irqfd *irqfd = container_of(wait, struct kvmod_irqfd,
						 wait);
	struct kvmod_virq *virq = irqfd->virq;
	__poll_t flags = key_to_poll(key);
	unsigned long iflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		irqfd_raise(irqfd);
	}
	if (flags & EPOLLHUP) {
		/* The eventfd is being closed: let go of it. */
		spin_lock_irqsave(&virq->irqfd_lock, iflags);
		if (!list_empty(&irqfd->list))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&virq->irqfd_lock, iflags);
	}
	return flags & EPOLLIN ? 1 : 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct kvmod_irqfd *irqfd = container_of(pt, struct kvmod_irqfd, pt);

	add_wait_queue_priority(wqh, &irqfd->wait);
}

/* Join (or start) the resampler of the irqfd's GSI. */
static int irqfd_resampler_join(struct kvmod_irqfd *irqfd)
{
	struct kvmod_virq *virq = irqfd->virq;
	struct kvmod_irqfd_resampler *rs;

	mutex_lock(&virq->resampler_lock);
	list_for_each_entry(rs, &virq->resamplers, link)
		if (rs->gsi == irqfd->gsi)
			goto found;
	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!rs) {
		mutex_unlock(&virq->resampler_lock);
		return -ENOMEM;
	}
	rs->gsi = irqfd->gsi;
	INIT_LIST_HEAD(&rs->irqfds);
	list_add_rcu(&rs->link, &virq->resamplers);
found:
	irqfd->resampler = rs;
	list_add_rcu(&irqfd->resample_link, &rs->irqfds);
	mutex_unlock(&virq->resampler_lock);
	return 0;
}

static int irqfd_assign(struct kvmod_virq *virq, const struct kvm_irqfd *args)
{
	struct kvmod_irqfd *irqfd, *tmp;
	__poll_t events;
	struct fd f;
	int r, idx;

	/* As KVM: resampling needs the in-kernel IOAPIC and PIC. */
	if ((args->flags & KVM_IRQFD_FLAG_RESAMPLE) && !virq->full)
		return -EINVAL;
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->virq = virq;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->list);
	INIT_LIST_HEAD(&irqfd->resample_link);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);

	f = fdget(args->fd);
	if (!f.file) {
		kfree(irqfd);
		return -EBADF;
	}
	irqfd->eventfd = eventfd_ctx_fileget(f.file);
	if (IS_ERR(irqfd->eventfd)) {
		r = PTR_ERR(irqfd->eventfd);
		irqfd->eventfd = NULL;
		goto fail;
	}
	if (args->flags & KVM_IRQFD_FLAG_RESAMPLE) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(irqfd->resamplefd)) {
			r = PTR_ERR(irqfd->resamplefd);
			irqfd->resamplefd = NULL;
			goto fail;
		}
		r = irqfd_resampler_join(irqfd);
		if (r)
			goto fail;
	}

	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue_proc);
	spin_lock_irq(&virq->irqfd_lock);
	list_for_each_entry(tmp, &virq->irqfds, list) {
		if (tmp->eventfd == irqfd->eventfd) {
			/* One eventfd, one GSI (KVM's -EBUSY). */
			spin_unlock_irq(&virq->irqfd_lock);
			r = -EBUSY;
			goto fail;
		}
	}
	/*
	 * Listed, a deassign may queue its shutdown at once: the shutdown
	 * waits for this SRCU section, so the irqfd is on the wait queue
	 * before it is taken off and freed.
	 */
	idx = srcu_read_lock(&virq->vm->io_srcu);
	list_add_tail(&irqfd->list, &virq->irqfds);
	spin_unlock_irq(&virq->irqfd_lock);

	/* A signal that came before the irqfd was hooked up counts too. */
	events = vfs_poll(f.file, &irqfd->pt);
	if (events & EPOLLIN)
		irqfd_raise(irqfd);
	srcu_read_unlock(&virq->vm->io_srcu, idx);
	/* Held to here: the eventfd cannot close (POLLHUP) half set up. */
	fdput(f);
	return 0;

fail:
	if (irqfd->resampler)
		irqfd_resampler_leave(irqfd);
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	if (irqfd->eventfd)
		eventfd_ctx_put(irqfd->eventfd);
	fdput(f);
	kfree(irqfd);
	return r;
}

static int irqfd_deassign(struct kvmod_virq *virq,
			  const struct kvm_irqfd *args)
{
	struct kvmod_irqfd *irqfd, *tmp;
	struct eventfd_ctx *eventfd;

	eventfd = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	/* Nothing to take away from a VM that never had an irqchip. */
	if (!virq) {
		eventfd_ctx_put(eventfd);
		return 0;
	}
	spin_lock_irq(&virq->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &virq->irqfds, list)
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi)
			irqfd_deactivate(irqfd);
	spin_unlock_irq(&virq->irqfd_lock);
	eventfd_ctx_put(eventfd);
	/* No interrupt comes from it once this returns. */
	flush_workqueue(irqfd_cleanup_wq);
	return 0;
}

/**
 * kvmod_irqfd_ioctl() - KVM_IRQFD
 * @vm: the VM
 * @argp: the struct kvm_irqfd
 *
 * Return: as KVM: 0; -EINVAL for unknown flags, without an in-kernel
 * irqchip, or resampling without the full irqchip; -EBADF or
 * -EINVAL for a file that is not an eventfd, -EBUSY for an eventfd that
 * already has an irqfd, -EFAULT, -ENOMEM.
 */
long kvmod_irqfd_ioctl(struct kvmod_vm *vm, void __user *argp)
{
	struct kvmod_virq *virq = to_virq(vm);
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(virq, &args);
	/* As KVM on x86: no in-kernel irqchip, no irqfd (-EINVAL). */
	if (!virq || !smp_load_acquire(&vm->irqchip))
		return -EINVAL;
	return irqfd_assign(virq, &args);
}

/**
 * kvmod_irqfd_init_vm() - no irqfds yet
 * @virq: a new irqchip state
 */
void kvmod_irqfd_init_vm(struct kvmod_virq *virq)
{
	spin_lock_init(&virq->irqfd_lock);
	INIT_LIST_HEAD(&virq->irqfds);
	mutex_init(&virq->resampler_lock);
	INIT_LIST_HEAD(&virq->resamplers);
}

/**
 * kvmod_irqfd_release() - tear down every irqfd of a dying VM
 * @virq: the VM's irqchip; no vCPU runs
 *
 * When this returns no irqfd of the VM exists or raises anything.
 */
void kvmod_irqfd_release(struct kvmod_virq *virq)
{
	struct kvmod_irqfd *irqfd, *tmp;

	spin_lock_irq(&virq->irqfd_lock);
	list_for_each_entry_safe(irqfd, tmp, &virq->irqfds, list)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&virq->irqfd_lock);
	flush_workqueue(irqfd_cleanup_wq);
}

/**
 * kvmod_irqfd_module_init() - the workqueue that tears irqfds down
 *
 * Return: 0 or -ENOMEM.
 */
int kvmod_irqfd_module_init(void)
{
	irqfd_cleanup_wq = alloc_workqueue("kvmod-irqfd-cleanup", 0, 0);
	return irqfd_cleanup_wq ? 0 : -ENOMEM;
}

/**
 * kvmod_irqfd_module_exit() - free the workqueue (no VM is left)
 */
void kvmod_irqfd_module_exit(void)
{
	destroy_workqueue(irqfd_cleanup_wq);
}
