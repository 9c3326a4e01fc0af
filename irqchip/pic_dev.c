// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259 PIC pair of a VM: the pure model (pic.c) on the I/O bus at
 * ports 0x20-0x21, 0xa0-0xa1 and the ELCR at 0x4d0-0x4d1. Its INTR
 * output goes to the vCPUs whose local APIC takes ExtINT on LINT0 (the
 * BSP after reset): they are kicked and ask for the vector (INTA) when
 * they inject it (lapic_dev.c).
 */
#include "irqchip.h"

/**
 * kvmod_vpic_kick() - let the vCPUs that take PIC interrupts look again
 * @virq: the VM's irqchip
 */
void kvmod_vpic_kick(struct kvmod_virq *virq)
{
	struct kvmod_vm *vm = virq->vm;
	/* Pairs with the release in kvmod_create_vcpu(). */
	int i, n = smp_load_acquire(&vm->nr_vcpus);
	struct kvmod_vcpu *vcpu;

	if (!READ_ONCE(virq->pic.output))
		return;
	for (i = 0; i < n; i++) {
		vcpu = kvmod_get_vcpu(vm, i);
		/* Only the BSP takes ExtINT unless a guest sets up others. */
		if (!vcpu->irqchip_data)
			continue;
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
		kvmod_vcpu_kick(vcpu);
	}
}

/*
 * After anything that changed the PIC, its lock dropped: the INTR line,
 * and resampling irqfds of the lines vpic_events() found acknowledged.
 */
static void vpic_after(struct kvmod_virq *virq, bool output_before,
		       u16 acked)
{
	if (acked)
		kvmod_irqfd_chip_acked(virq, KVM_IRQCHIP_PIC_MASTER, acked);
	if (!output_before && READ_ONCE(virq->pic.output))
		kvmod_vpic_kick(virq);
}

static u16 vpic_events(struct kvmod_virq *virq)
{
	u16 acked, masked;

	kvmod_pic_take_events(&virq->pic, &acked, &masked);
	if (acked & 1)
		kvmod_vpit_irq0_acked(virq);
	/* IRQ0 unmasked: the PIT forgets the ticks it meant to reinject. */
	if ((masked & 1) && !(virq->pic.chip[0].imr & 1))
		kvmod_vpit_irq0_unmasked(virq);
	return acked;
}

/**
 * kvmod_vpic_set_irq() - a source's level on a PIC input changed
 * @virq: the VM's irqchip
 * @source: KVMOD_IRQ_SOURCE_*
 * @pin: 0-15 (8-15 on the slave)
 * @level: the source's level; the input is the OR of every source
 *
 * Return: 1 delivered, 0 coalesced, -1 masked (KVM_IRQ_LINE_STATUS).
 */
int kvmod_vpic_set_irq(struct kvmod_virq *virq, int source, u32 pin,
		       bool level)
{
	unsigned long flags;
	bool before;
	u16 acked;
	int r;

	if (pin >= KVMOD_PIC_NUM_PINS)
		return -1;
	spin_lock_irqsave(&virq->pic_lock, flags);
	if (level)
		virq->pic_sources[pin] |= BIT_ULL(source);
	else
		virq->pic_sources[pin] &= ~BIT_ULL(source);
	before = virq->pic.output;
	r = kvmod_pic_set_irq(&virq->pic, pin, virq->pic_sources[pin] != 0);
	acked = vpic_events(virq);
	spin_unlock_irqrestore(&virq->pic_lock, flags);
	vpic_after(virq, before, acked);
	return r;
}

static int vpic_read(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		     u64 addr, int len, void *val)
{
	struct kvmod_virq *virq = container_of(dev, struct kvmod_virq,
					       pic_dev);
	unsigned long flags;
	bool before;
	u16 acked;
	u8 *b = val;
	int i;

	spin_lock_irqsave(&virq->pic_lock, flags);
	before = virq->pic.output;
	/* Wider accesses read each port in turn, as the bus would. */
	for (i = 0; i < len; i++)
		b[i] = kvmod_pic_read(&virq->pic, addr + i);
	acked = vpic_events(virq);
	spin_unlock_irqrestore(&virq->pic_lock, flags);
	vpic_after(virq, before, acked);
	return 0;
}

static int vpic_write(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		      u64 addr, int len, const void *val)
{
	struct kvmod_virq *virq = container_of(dev, struct kvmod_virq,
					       pic_dev);
	const u8 *b = val;
	unsigned long flags;
	bool before;
	u16 acked;
	int i;

	spin_lock_irqsave(&virq->pic_lock, flags);
	before = virq->pic.output;
	for (i = 0; i < len; i++)
		kvmod_pic_write(&virq->pic, addr + i, b[i]);
	acked = vpic_events(virq);
	spin_unlock_irqrestore(&virq->pic_lock, flags);
	vpic_after(virq, before, acked);
	return 0;
}

static const struct kvmod_io_ops vpic_ops = {
	.read = vpic_read,
	.write = vpic_write,
};

/**
 * kvmod_vpic_create() - the PIC pair, reset, on the I/O bus
 * @virq: the VM's irqchip
 *
 * Return: 0 or the bus's error.
 */
int kvmod_vpic_create(struct kvmod_virq *virq)
{
	int r;

	kvmod_pic_reset(&virq->pic);
	virq->pic_dev.ops = &vpic_ops;
	r = kvmod_io_bus_register(virq->vm, KVMOD_PIO_BUS, 0x20, 2,
				  &virq->pic_dev);
	if (!r)
		r = kvmod_io_bus_register(virq->vm, KVMOD_PIO_BUS, 0xa0, 2,
					  &virq->pic_dev);
	if (!r)
		r = kvmod_io_bus_register(virq->vm, KVMOD_PIO_BUS, 0x4d0, 2,
					  &virq->pic_dev);
	if (r)
		kvmod_vpic_destroy(virq);
	return r;
}

/**
 * kvmod_vpic_destroy() - take the PIC off the I/O bus
 * @virq: the VM's irqchip
 */
void kvmod_vpic_destroy(struct kvmod_virq *virq)
{
	kvmod_io_bus_unregister(virq->vm, KVMOD_PIO_BUS, &virq->pic_dev);
}
