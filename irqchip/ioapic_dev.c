// SPDX-License-Identifier: GPL-2.0
/*
 * The IOAPIC of a VM: the pure model (ioapic.c) on the MMIO bus at
 * 0xfec00000, its messages delivered to the local APICs, and the EOIs
 * of level-triggered interrupts that come back from them.
 */
#include "irqchip.h"

static int vioapic_deliver(void *ctx, const struct kvmod_irq_msg *msg,
			   unsigned int pin, bool rtc_track)
{
	struct kvmod_virq *virq = ctx;

	return kvmod_irq_deliver(virq->vm, msg, NULL);
}

/**
 * kvmod_vioapic_set_irq() - a source's level on an IOAPIC pin changed
 * @virq: the VM's irqchip
 * @source: KVMOD_IRQ_SOURCE_*
 * @pin: 0-23
 * @level: the source's level
 * @line_status: the caller reports coalescing (KVM_IRQ_LINE_STATUS)
 *
 * Return: as kvmod_ioapic_set_irq().
 */
int kvmod_vioapic_set_irq(struct kvmod_virq *virq, int source, u32 pin,
			  bool level, bool line_status)
{
	unsigned long flags;
	int r;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	r = kvmod_ioapic_set_irq(&virq->ioapic, pin, source, level,
				 line_status, vioapic_deliver, virq);
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
	return r;
}

/* Does an EOI of one of @pins acknowledge the PIT's tick (GSI 0)? */
static bool vioapic_pit_pin(struct kvmod_virq *virq, u32 pins)
{
	const struct kvmod_irq_route_table *t;
	bool hit = false;
	int pin;

	rcu_read_lock();
	t = rcu_dereference(virq->routes);
	for (pin = 0; t && pins && !hit; pin++, pins >>= 1)
		hit = (pins & 1) && !kvmod_irq_routing_chip_pin_gsi(t,
						KVM_IRQCHIP_IOAPIC, pin);
	rcu_read_unlock();
	return hit;
}

/**
 * kvmod_vioapic_eoi() - a local APIC EOI'd a vector
 * @virq: the VM's irqchip
 * @vector: the vector
 * @level: it was level-triggered and EOIs are broadcast: remote IRR
 *	of the IOAPIC's entries with that vector is cleared
 *
 * An EOI of the PIT's pin also acknowledges its tick (reinjection), and
 * resampling irqfds of the pins hear of it.
 */
void kvmod_vioapic_eoi(struct kvmod_virq *virq, u8 vector, bool level)
{
	unsigned long flags;
	u32 pins;

	bool storm = false;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	pins = kvmod_ioapic_vector_pins(&virq->ioapic, vector);
	if (pins && !list_empty_careful(&virq->resamplers)) {
		/*
		 * Resampling irqfds first, as KVM's ack notifiers: their
		 * level drops before remote IRR is cleared and the pin
		 * looked at again, so no second interrupt follows at once.
		 */
		spin_unlock_irqrestore(&virq->ioapic_lock, flags);
		kvmod_irqfd_chip_acked(virq, KVM_IRQCHIP_IOAPIC, pins);
		spin_lock_irqsave(&virq->ioapic_lock, flags);
	}
	if (level)
		storm = kvmod_ioapic_eoi(&virq->ioapic, vector, vioapic_deliver,
					 virq);
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
	/* Thousands of back-to-back re-deliveries: the next one in 10 ms. */
	if (storm)
		schedule_delayed_work(&virq->eoi_inject, msecs_to_jiffies(10));
	if (pins && virq->pit && vioapic_pit_pin(virq, pins))
		kvmod_vpit_irq0_acked(virq);
}

static void vioapic_eoi_inject(struct work_struct *work)
{
	struct kvmod_virq *virq = container_of(to_delayed_work(work),
					       struct kvmod_virq, eoi_inject);
	unsigned long flags;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	kvmod_ioapic_eoi_inject(&virq->ioapic, vioapic_deliver, virq);
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
}

/**
 * kvmod_vioapic_set_state() - KVM_SET_IRQCHIP of the IOAPIC
 * @virq: the VM's irqchip
 * @state: the new state; pending pins are serviced under its table
 */
void kvmod_vioapic_set_state(struct kvmod_virq *virq,
			     const struct kvm_ioapic_state *state)
{
	unsigned long flags;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	kvmod_ioapic_set_state(&virq->ioapic, state, vioapic_deliver, virq);
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
}

static int vioapic_read(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
			u64 addr, int len, void *val)
{
	struct kvmod_virq *virq = container_of(dev, struct kvmod_virq,
					       ioapic_dev);
	unsigned long flags;
	int r = 0;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	if (!kvmod_ioapic_in_range(&virq->ioapic, addr))
		r = -EOPNOTSUPP;
	else if (!kvmod_ioapic_mmio_read(&virq->ioapic,
					 addr - virq->ioapic.base_address,
					 len, val))
		memset(val, 0, len);
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
	return r;
}

static int vioapic_write(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
			 u64 addr, int len, const void *val)
{
	struct kvmod_virq *virq = container_of(dev, struct kvmod_virq,
					       ioapic_dev);
	struct kvmod_ioapic_write_info info;
	unsigned long flags;
	int r = 0;

	bool unmasked = false;

	spin_lock_irqsave(&virq->ioapic_lock, flags);
	if (kvmod_ioapic_in_range(&virq->ioapic, addr)) {
		kvmod_ioapic_mmio_write(&virq->ioapic,
					addr - virq->ioapic.base_address, len,
					val, vioapic_deliver, virq, &info);
		unmasked = info.pin >= 0 &&
			   (info.old_bits & KVMOD_IOAPIC_MASKED) &&
			   !(virq->ioapic.redirtbl[info.pin] &
			     KVMOD_IOAPIC_MASKED);
	} else {
		r = -EOPNOTSUPP;
	}
	spin_unlock_irqrestore(&virq->ioapic_lock, flags);
	/* The PIT's pin unmasked: it forgets the ticks it meant to resend. */
	if (unmasked && vioapic_pit_pin(virq, BIT(info.pin)))
		kvmod_vpit_irq0_unmasked(virq);
	return r;
}

static const struct kvmod_io_ops vioapic_ops = {
	.read = vioapic_read,
	.write = vioapic_write,
};

/**
 * kvmod_vioapic_create() - the IOAPIC, reset, on the MMIO bus
 * @virq: the VM's irqchip
 *
 * Return: 0 or the bus's error.
 */
int kvmod_vioapic_create(struct kvmod_virq *virq)
{
	kvmod_ioapic_init(&virq->ioapic);
	INIT_DELAYED_WORK(&virq->eoi_inject, vioapic_eoi_inject);
	virq->ioapic_dev.ops = &vioapic_ops;
	return kvmod_io_bus_register(virq->vm, KVMOD_MMIO_BUS,
				     KVMOD_IOAPIC_DEFAULT_BASE,
				     KVMOD_IOAPIC_MEM_LENGTH,
				     &virq->ioapic_dev);
}

/**
 * kvmod_vioapic_destroy() - take the IOAPIC off the MMIO bus
 * @virq: the VM's irqchip
 */
void kvmod_vioapic_destroy(struct kvmod_virq *virq)
{
	kvmod_io_bus_unregister(virq->vm, KVMOD_MMIO_BUS, &virq->ioapic_dev);
	cancel_delayed_work_sync(&virq->eoi_inject);
}
