// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO and PIO (KVM_REGISTER/UNREGISTER_COALESCED_MMIO): guest
 * writes to a registered zone are appended to a ring that userspace reads
 * later, instead of each making an exit. The ring is one page per VM,
 * seen in every vCPU's mmap at KVM_COALESCED_MMIO_PAGE_OFFSET; the kernel
 * fills entries at @last, userspace consumes them from @first, and one
 * entry always stays free. A write that finds the ring full, and any
 * read, exits as usual.
 *
 * A zone is a device on the VM's I/O bus. The page and the zone list are
 * made on first use (the mmap or a registration).
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "registry.h"

struct kvmod_coalesced {
	struct kvm_coalesced_mmio_ring *ring;
	spinlock_t ring_lock;		/* writers of @ring */
	struct mutex lock;		/* @zones */
	struct list_head zones;
};

struct kvmod_coalesced_zone {
	struct kvmod_io_device dev;
	struct kvmod_coalesced *c;
	struct kvm_coalesced_mmio_zone zone;
	struct list_head list;
};

/* Is [@addr, @addr + @len) inside the zone? */
static bool zone_holds(const struct kvm_coalesced_mmio_zone *z, u64 addr,
		       u64 len)
{
	return addr + len >= addr && addr >= z->addr &&
	       addr + len <= z->addr + z->size;
}

static int zone_read(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		     u64 addr, int len, void *val)
{
	return -EOPNOTSUPP;
}

static int zone_write(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		      u64 addr, int len, const void *val)
{
	struct kvmod_coalesced_zone *z = container_of(dev,
					struct kvmod_coalesced_zone, dev);
	struct kvm_coalesced_mmio_ring *ring = z->c->ring;
	struct kvm_coalesced_mmio *e;
	u32 last;

	if (!zone_holds(&z->zone, addr, len) || len > sizeof(e->data))
		return -EOPNOTSUPP;
	spin_lock(&z->c->ring_lock);
	last = READ_ONCE(ring->last);
	/* Full when the next slot is the first one userspace has not read. */
	if (last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == READ_ONCE(ring->first)) {
		spin_unlock(&z->c->ring_lock);
		return -EOPNOTSUPP;
	}
	e = &ring->coalesced_mmio[last];
	e->phys_addr = addr;
	e->len = len;
	e->pio = z->zone.pio;
	memcpy(e->data, val, len);
	/* The entry is complete before userspace sees it. */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	spin_unlock(&z->c->ring_lock);
	return 0;
}

static const struct kvmod_io_ops zone_ops = {
	.read = zone_read,
	.write = zone_write,
};

/* The VM's ring and zone list, made on first use; NULL without memory. */
static struct kvmod_coalesced *coalesced_get(struct kvmod_vm *vm)
{
	/* Pairs with the release below: a ring seen is set up. */
	struct kvmod_coalesced *c = smp_load_acquire(&vm->coalesced);

	if (c)
		return c;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!c->ring) {
		kfree(c);
		return NULL;
	}
	spin_lock_init(&c->ring_lock);
	mutex_init(&c->lock);
	INIT_LIST_HEAD(&c->zones);
	/* Release: a reader of the pointer sees it set up. */
	if (cmpxchg_release(&vm->coalesced, NULL, c)) {
		free_page((unsigned long)c->ring);
		kfree(c);
		/* Another thread's, set up (its release above). */
		c = smp_load_acquire(&vm->coalesced);
	}
	return c;
}

/**
 * kvmod_coalesced_ring_page() - the ring page for the vCPU mmap
 * @vm: the VM
 *
 * Return: the page (no reference taken), or NULL without memory.
 */
struct page *kvmod_coalesced_ring_page(struct kvmod_vm *vm)
{
	struct kvmod_coalesced *c = coalesced_get(vm);

	return c ? virt_to_page(c->ring) : NULL;
}

static int zone_register(struct kvmod_vm *vm,
			 const struct kvm_coalesced_mmio_zone *zone)
{
	struct kvmod_coalesced *c = coalesced_get(vm);
	struct kvmod_coalesced_zone *z;
	int r;

	if (!c)
		return -ENOMEM;
	/* An empty zone holds no write: nothing to put on the bus. */
	if (!zone->size)
		return 0;
	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->dev.ops = &zone_ops;
	z->c = c;
	z->zone = *zone;
	mutex_lock(&c->lock);
	r = kvmod_io_bus_register(vm, zone->pio ? KVMOD_PIO_BUS :
				  KVMOD_MMIO_BUS, zone->addr, zone->size,
				  &z->dev);
	if (!r)
		list_add_tail(&z->list, &c->zones);
	mutex_unlock(&c->lock);
	if (r)
		kfree(z);
	return r;
}

/* As KVM: every zone of the bus that holds the range given goes. */
static void zone_unregister(struct kvmod_vm *vm,
			    const struct kvm_coalesced_mmio_zone *zone)
{
	/* Pairs with the release in coalesced_get(). */
	struct kvmod_coalesced *c = smp_load_acquire(&vm->coalesced);
	struct kvmod_coalesced_zone *z, *tmp;

	if (!c)
		return;
	mutex_lock(&c->lock);
	list_for_each_entry_safe(z, tmp, &c->zones, list) {
		if (z->zone.pio != zone->pio ||
		    !zone_holds(&z->zone, zone->addr, zone->size))
			continue;
		kvmod_io_bus_unregister(vm, z->zone.pio ? KVMOD_PIO_BUS :
					KVMOD_MMIO_BUS, &z->dev);
		list_del(&z->list);
		kfree(z);
	}
	mutex_unlock(&c->lock);
}

/**
 * kvmod_coalesced_ioctl() - KVM_REGISTER/UNREGISTER_COALESCED_MMIO
 * @vm: the VM
 * @ioctl: which
 * @argp: the struct kvm_coalesced_mmio_zone
 *
 * Return: 0; -EINVAL for a bad @pio or a wrapping zone, -EEXIST for a
 * zone overlapping another device or zone of the bus, -EFAULT, -ENOMEM.
 */
long kvmod_coalesced_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			   void __user *argp)
{
	struct kvm_coalesced_mmio_zone zone;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (zone.pio > 1)
		return -EINVAL;
	if (ioctl == KVM_UNREGISTER_COALESCED_MMIO) {
		zone_unregister(vm, &zone);
		return 0;
	}
	return zone_register(vm, &zone);
}

/**
 * kvmod_coalesced_destroy() - free the zones and the ring of a dying VM
 * @vm: the VM; no vCPU runs and no mapping of the ring is left
 */
void kvmod_coalesced_destroy(struct kvmod_vm *vm)
{
	struct kvmod_coalesced *c = vm->coalesced;
	struct kvmod_coalesced_zone *z, *tmp;

	if (!c)
		return;
	list_for_each_entry_safe(z, tmp, &c->zones, list) {
		kvmod_io_bus_unregister(vm, z->zone.pio ? KVMOD_PIO_BUS :
					KVMOD_MMIO_BUS, &z->dev);
		kfree(z);
	}
	free_page((unsigned long)c->ring);
	kfree(c);
	vm->coalesced = NULL;
}
