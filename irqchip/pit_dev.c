// SPDX-License-Identifier: GPL-2.0
/*
 * The i8254 PIT of a VM (KVM_CREATE_PIT2): the pure model (pit.c) on the
 * I/O bus at ports 0x40-0x43, and at port 0x61 with KVM_PIT_SPEAKER_DUMMY
 * (without it port 0x61 is userspace's, as in KVM), and an hrtimer that
 * pulses GSI 0 (1 then 0) on each tick of channel 0.
 *
 * Reinjection (KVM_REINJECT_CONTROL, on after creation) follows KVM: a
 * tick is counted as pending and a pulse is sent only when the previous
 * one was acknowledged; each acknowledgment (kvmod_vpit_irq0_acked())
 * consumes a pending tick and, if more are left, sends the next pulse.
 * The acknowledgment arrives with irqchip locks held, so that pulse is
 * sent from a work item. Reprogramming channel 0 (or KVM_SET_PIT*) drops
 * the pending ticks, and so does unmasking IRQ0 at the PIC or the
 * IOAPIC (KVM's mask notifier). With reinjection off each tick is a
 * pulse. Not modelled: KVM's NMI watchdog path (ticks sent to LINT0 in
 * NMI mode).
 *
 * Locking: @lock (a spinlock, irqsave) covers the model, the timer's
 * bookkeeping and the reinjection counters; it is never held while GSI 0
 * is raised. The hrtimer is (re)started under @lock; a callback that
 * finds the timer stopped or restarted meanwhile (reprogrammed while it
 * waited for @lock) does nothing, so the timer is never cancelled
 * synchronously under @lock.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "irqchip.h"
#include "pit.h"

#define VPIT_PORT_BASE		0x40
#define VPIT_PORT_LEN		4
#define VPIT_SPEAKER_PORT	0x61

/*
 * A periodic timer this far behind (a stalled host) skips the ticks it
 * missed instead of firing them back to back in the timer interrupt.
 */
#define VPIT_MAX_LATE_NS	NSEC_PER_SEC

/**
 * struct kvmod_vpit - a VM's PIT
 * @virq: the VM's irqchip
 * @lock: covers everything below but @timer's own state and @work
 * @pit: the model
 * @ticking: @timer is armed for the current channel 0 programming
 * @period: ns between ticks, 0 for a one-shot
 * @reinject: KVM_REINJECT_CONTROL's pit_reinject
 * @in_flight: a pulse was sent and not acknowledged yet (reinjection)
 * @pending: ticks not acknowledged yet, the one in flight included
 * @ack_pulse: @work has a pulse to send
 * @dead: being destroyed: no more pulses
 * @timer: channel 0's ticks (CLOCK_MONOTONIC, absolute)
 * @work: sends the pulse an acknowledgment released
 * @dev: on the PIO bus at 0x40-0x43 (and 0x61)
 */
struct kvmod_vpit {
	struct kvmod_virq *virq;
	spinlock_t lock;		/* see above */
	struct kvmod_pit pit;
	bool ticking;
	s64 period;
	bool reinject;
	bool in_flight;
	u32 pending;
	bool ack_pulse;
	bool dead;
	struct hrtimer timer;
	struct work_struct work;
	struct kvmod_io_device dev;
};

static s64 vpit_now(void)
{
	return ktime_get_ns();
}

/* Raise GSI 0 and lower it again; no PIT lock held. */
static void vpit_pulse(struct kvmod_vpit *vp)
{
	kvmod_virq_set_irq(vp->virq, KVMOD_IRQ_SOURCE_PIT, 0, true, false);
	kvmod_virq_set_irq(vp->virq, KVMOD_IRQ_SOURCE_PIT, 0, false, false);
}

/* Forget the ticks not acknowledged yet; @vp->lock held. */
static void vpit_reset_reinject(struct kvmod_vpit *vp)
{
	vp->pending = 0;
	vp->in_flight = false;
	vp->ack_pulse = false;
}

/* Program @vp->timer from the model's IRQ0 timer; @vp->lock held. */
static void vpit_program(struct kvmod_vpit *vp, s64 now)
{
	s64 first, period;

	if (!kvmod_pit_irq0_timer(&vp->pit, now, &first, &period)) {
		/* A callback running now sees !ticking and stops. */
		vp->ticking = false;
		hrtimer_try_to_cancel(&vp->timer);
		return;
	}
	if (period > 0 && period < KVMOD_PIT_MIN_PERIOD_NS)
		period = KVMOD_PIT_MIN_PERIOD_NS;
	vp->ticking = true;
	vp->period = period > 0 ? period : 0;
	vpit_reset_reinject(vp);
	hrtimer_start(&vp->timer, ns_to_ktime(first), HRTIMER_MODE_ABS);
}

/* A tick: whether to pulse now; @vp->lock held. */
static bool vpit_tick(struct kvmod_vpit *vp)
{
	if (!vp->reinject)
		return true;
	if (vp->pending < U32_MAX)
		vp->pending++;
	if (vp->in_flight)
		return false;
	vp->in_flight = true;
	return true;
}

/* Move a periodic @t to its next tick; @vp->lock held. */
static void vpit_forward(struct kvmod_vpit *vp, struct hrtimer *t)
{
	s64 next = ktime_to_ns(hrtimer_get_expires(t)) + vp->period;
	s64 late = vpit_now() - next;

	if (late > VPIT_MAX_LATE_NS)
		next += (s64)div64_u64(late, vp->period) * vp->period;
	hrtimer_set_expires(t, ns_to_ktime(next));
}

static enum hrtimer_restart vpit_timer_fn(struct hrtimer *t)
{
	struct kvmod_vpit *vp = container_of(t, struct kvmod_vpit, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	bool pulse = false;

	spin_lock_irqsave(&vp->lock, flags);
	/* Stopped, or started again while this callback waited. */
	if (vp->dead || !vp->ticking || hrtimer_is_queued(t))
		goto out;
	pulse = vpit_tick(vp);
	if (vp->period) {
		vpit_forward(vp, t);
		ret = HRTIMER_RESTART;
	} else {
		vp->ticking = false;
	}
out:
	spin_unlock_irqrestore(&vp->lock, flags);
	if (pulse)
		vpit_pulse(vp);
	return ret;
}

static void vpit_work_fn(struct work_struct *work)
{
	struct kvmod_vpit *vp = container_of(work, struct kvmod_vpit, work);
	unsigned long flags;
	bool pulse;

	spin_lock_irqsave(&vp->lock, flags);
	pulse = vp->ack_pulse && !vp->dead;
	vp->ack_pulse = false;
	spin_unlock_irqrestore(&vp->lock, flags);
	if (pulse)
		vpit_pulse(vp);
}

/**
 * kvmod_vpit_irq0_unmasked() - the guest unmasked IRQ0 (GSI 0)
 * @virq: the VM's irqchip, or NULL
 *
 * As KVM's mask notifier: ticks not yet reinjected are dropped, so an
 * unmask brings no burst of old ticks. May be called with irqchip
 * spinlocks held. Nothing without a PIT.
 */
void kvmod_vpit_irq0_unmasked(struct kvmod_virq *virq)
{
	struct kvmod_vpit *vp;
	unsigned long flags;

	/* Pairs with the release in vpit_create(): a PIT set up in full. */
	vp = virq ? smp_load_acquire(&virq->pit) : NULL;
	if (!vp)
		return;
	spin_lock_irqsave(&vp->lock, flags);
	vpit_reset_reinject(vp);
	spin_unlock_irqrestore(&vp->lock, flags);
}

/**
 * kvmod_vpit_irq0_acked() - the guest acknowledged IRQ0
 * @virq: the VM's irqchip, or NULL
 *
 * Called where KVM notifies the PIT's ack notifier (the PIC's IRQ 0
 * leaving service), possibly with irqchip spinlocks held: with
 * reinjection on, a pending tick is consumed and the next one, if any,
 * is sent from a work item. Nothing without a PIT.
 */
void kvmod_vpit_irq0_acked(struct kvmod_virq *virq)
{
	struct kvmod_vpit *vp;
	unsigned long flags;
	bool queue = false;

	/* Pairs with the release in vpit_create(): a PIT set up in full. */
	vp = virq ? smp_load_acquire(&virq->pit) : NULL;
	if (!vp)
		return;
	spin_lock_irqsave(&vp->lock, flags);
	if (vp->reinject && !vp->dead) {
		if (vp->pending)
			vp->pending--;
		vp->in_flight = vp->pending > 0;
		if (vp->in_flight) {
			vp->ack_pulse = true;
			queue = true;
		}
	}
	spin_unlock_irqrestore(&vp->lock, flags);
	if (queue)
		queue_work(system_highpri_wq, &vp->work);
}

/* Ports 0x40-0x43 and 0x61: one byte, zero-extended on wider reads. */
static int vpit_read(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		     u64 addr, int len, void *val)
{
	struct kvmod_vpit *vp = container_of(dev, struct kvmod_vpit, dev);
	unsigned long flags;
	u8 b;

	if (len < 1)
		return -EOPNOTSUPP;
	spin_lock_irqsave(&vp->lock, flags);
	b = kvmod_pit_read(&vp->pit, (u16)addr, vpit_now());
	spin_unlock_irqrestore(&vp->lock, flags);
	memset(val, 0, len);
	*(u8 *)val = b;
	return 0;
}

/* Wider writes take their low byte. */
static int vpit_write(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		      u64 addr, int len, const void *val)
{
	struct kvmod_vpit *vp = container_of(dev, struct kvmod_vpit, dev);
	unsigned long flags;
	s64 now;

	if (len < 1)
		return -EOPNOTSUPP;
	spin_lock_irqsave(&vp->lock, flags);
	now = vpit_now();
	if (kvmod_pit_write(&vp->pit, (u16)addr, *(const u8 *)val, now))
		vpit_program(vp, now);
	spin_unlock_irqrestore(&vp->lock, flags);
	return 0;
}

static const struct kvmod_io_ops vpit_ops = {
	.read = vpit_read,
	.write = vpit_write,
};

/* Off the bus, timer and work stopped: @vp may be freed. */
static void vpit_stop(struct kvmod_vpit *vp)
{
	unsigned long flags;

	kvmod_io_bus_unregister(vp->virq->vm, KVMOD_PIO_BUS, &vp->dev);
	spin_lock_irqsave(&vp->lock, flags);
	vp->dead = true;
	vp->ticking = false;
	spin_unlock_irqrestore(&vp->lock, flags);
	hrtimer_cancel(&vp->timer);
	cancel_work_sync(&vp->work);
}

/* KVM_CREATE_PIT2's work; @virq->lock held. */
static int vpit_create(struct kvmod_virq *virq, u32 flags)
{
	struct kvmod_vpit *vp;
	unsigned long irqflags;
	s64 now;
	int r;

	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (!vp)
		return -ENOMEM;
	vp->virq = virq;
	spin_lock_init(&vp->lock);
	hrtimer_init(&vp->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vp->timer.function = vpit_timer_fn;
	INIT_WORK(&vp->work, vpit_work_fn);
	vp->dev.ops = &vpit_ops;
	vp->reinject = true;
	spin_lock_irqsave(&vp->lock, irqflags);
	now = vpit_now();
	kvmod_pit_reset(&vp->pit, now);
	vpit_program(vp, now);
	spin_unlock_irqrestore(&vp->lock, irqflags);

	r = kvmod_io_bus_register(virq->vm, KVMOD_PIO_BUS, VPIT_PORT_BASE,
				  VPIT_PORT_LEN, &vp->dev);
	/* KVM claims 0x61-0x64 and passes on all but 0x61: only 0x61 here. */
	if (!r && (flags & KVM_PIT_SPEAKER_DUMMY))
		r = kvmod_io_bus_register(virq->vm, KVMOD_PIO_BUS,
					  VPIT_SPEAKER_PORT, 1, &vp->dev);
	if (r) {
		vpit_stop(vp);
		kfree(vp);
		return r;
	}
	/* Publish @vp set up; lockless readers use vpit_get(). */
	smp_store_release(&virq->pit, vp);
	return 0;
}

/*
 * KVM_CREATE_PIT (the speaker port included) and KVM_CREATE_PIT2. As KVM:
 * any other flag is ignored, -EEXIST if there is a PIT, -ENOENT without
 * an in-kernel PIC (no irqchip, or a split one).
 */
static long vpit_ioctl_create(struct kvmod_virq *virq, u32 flags)
{
	long r;

	if (!virq)
		return -ENOENT;
	mutex_lock(&virq->lock);
	if (virq->pit)
		r = -EEXIST;
	/* The irqchip is complete once core sees it (create_irqchip()). */
	else if (!virq->full || !smp_load_acquire(&virq->vm->irqchip))
		r = -ENOENT;
	else
		r = vpit_create(virq, flags);
	mutex_unlock(&virq->lock);
	return r;
}

/* The PIT or NULL; it only goes away with the VM. */
static struct kvmod_vpit *vpit_get(struct kvmod_virq *virq)
{
	/* Pairs with the release in vpit_create(). */
	return virq ? smp_load_acquire(&virq->pit) : NULL;
}

/* KVM_SET_PIT2 (@ps2) or KVM_SET_PIT (@ps), then the timer again. */
static void vpit_set_state(struct kvmod_vpit *vp,
			   const struct kvm_pit_state2 *ps2,
			   const struct kvm_pit_state *ps)
{
	unsigned long flags;
	s64 now;

	spin_lock_irqsave(&vp->lock, flags);
	now = vpit_now();
	if (ps2)
		kvmod_pit_set_state2(&vp->pit, ps2, now);
	else
		kvmod_pit_set_state(&vp->pit, ps, now);
	vpit_program(vp, now);
	spin_unlock_irqrestore(&vp->lock, flags);
}

static long vpit_ioctl_pit2(struct kvmod_virq *virq, unsigned int ioctl,
			    void __user *argp)
{
	struct kvmod_vpit *vp;
	struct kvm_pit_state2 ps;
	unsigned long flags;

	if (ioctl == KVM_SET_PIT2 && copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	vp = vpit_get(virq);
	if (!vp)
		return -ENXIO;
	if (ioctl == KVM_SET_PIT2) {
		vpit_set_state(vp, &ps, NULL);
		return 0;
	}
	spin_lock_irqsave(&vp->lock, flags);
	kvmod_pit_get_state2(&vp->pit, &ps);
	spin_unlock_irqrestore(&vp->lock, flags);
	return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
}

/* The legacy pair: KVM copies the argument in first for both. */
static long vpit_ioctl_pit(struct kvmod_virq *virq, unsigned int ioctl,
			   void __user *argp)
{
	struct kvmod_vpit *vp;
	struct kvm_pit_state ps;
	unsigned long flags;

	if (copy_from_user(&ps, argp, sizeof(ps)))
		return -EFAULT;
	vp = vpit_get(virq);
	if (!vp)
		return -ENXIO;
	if (ioctl == KVM_SET_PIT) {
		vpit_set_state(vp, NULL, &ps);
		return 0;
	}
	spin_lock_irqsave(&vp->lock, flags);
	kvmod_pit_get_state(&vp->pit, &ps);
	spin_unlock_irqrestore(&vp->lock, flags);
	return copy_to_user(argp, &ps, sizeof(ps)) ? -EFAULT : 0;
}

static long vpit_ioctl_reinject(struct kvmod_virq *virq, void __user *argp)
{
	struct kvm_reinject_control rc;
	struct kvmod_vpit *vp;
	unsigned long flags;
	bool on;

	if (copy_from_user(&rc, argp, sizeof(rc)))
		return -EFAULT;
	vp = vpit_get(virq);
	if (!vp)
		return -ENXIO;
	on = rc.pit_reinject;
	spin_lock_irqsave(&vp->lock, flags);
	if (on && !vp->reinject)
		vpit_reset_reinject(vp);
	vp->reinject = on;
	spin_unlock_irqrestore(&vp->lock, flags);
	return 0;
}

/**
 * kvmod_vpit_ioctl() - the PIT's VM ioctls
 * @virq: the VM's irqchip, or NULL if it has none
 * @ioctl: KVM_CREATE_PIT, KVM_CREATE_PIT2, KVM_GET/SET_PIT2,
 *	KVM_GET/SET_PIT or KVM_REINJECT_CONTROL
 * @argp: the ioctl's argument
 *
 * The errors are KVM's: -EFAULT for a bad argument, -ENXIO from the
 * state and reinjection ioctls without a PIT; creating one fails with
 * -EEXIST if there is one and -ENOENT without an in-kernel PIC (as
 * newer KVM; 6.1 created a PIT that never ticked).
 *
 * Return: 0 or a negative errno; -ENOTTY for any other ioctl.
 */
long kvmod_vpit_ioctl(struct kvmod_virq *virq, unsigned int ioctl,
		      void __user *argp)
{
	struct kvm_pit_config cfg;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		return vpit_ioctl_create(virq, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&cfg, argp, sizeof(cfg)))
			return -EFAULT;
		return vpit_ioctl_create(virq, cfg.flags);
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
		return vpit_ioctl_pit2(virq, ioctl, argp);
	case KVM_GET_PIT:
	case KVM_SET_PIT:
		return vpit_ioctl_pit(virq, ioctl, argp);
	case KVM_REINJECT_CONTROL:
		return vpit_ioctl_reinject(virq, argp);
	default:
		return -ENOTTY;
	}
}

/**
 * kvmod_vpit_destroy() - remove the VM's PIT, if any
 * @virq: the VM's irqchip, or NULL
 *
 * At VM destruction, before the PIC, IOAPIC and routing go: no vCPU and
 * no ioctl may run. Takes the PIT off the bus, stops its timer and work
 * and frees it.
 */
void kvmod_vpit_destroy(struct kvmod_virq *virq)
{
	struct kvmod_vpit *vp = virq ? virq->pit : NULL;

	if (!vp)
		return;
	vpit_stop(vp);
	WRITE_ONCE(virq->pit, NULL);
	kfree(vp);
}
