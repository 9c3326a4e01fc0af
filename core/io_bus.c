// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O bus: port and MMIO ranges that in-kernel devices (the PIC, PIT,
 * IOAPIC, and later ioeventfds and device-model rings) register on a VM.
 * Core consults it for every port access and every MMIO access outside
 * the memslots before anything goes to userspace; only what no device
 * claims becomes KVM_EXIT_IO or KVM_EXIT_MMIO.
 *
 * Each bus is an array of ranges sorted by address, replaced as a whole
 * under vm->bus_lock and read under SRCU, so devices may be added and removed
 * while vCPUs run, and a handler may sleep.
 */
#include <linux/slab.h>
#include <linux/srcu.h>

#include "registry.h"

struct kvmod_io_range {
	u64 addr;
	u64 len;
	struct kvmod_io_device *dev;
};

struct kvmod_io_bus {
	int nr;
	struct kvmod_io_range range[];
};

static struct kvmod_io_bus *bus_get(struct kvmod_vm *vm, enum kvmod_bus idx)
{
	return srcu_dereference_check(vm->buses[idx], &vm->io_srcu,
				      lockdep_is_held(&vm->bus_lock));
}

/**
 * kvmod_io_bus_register() - claim a range of ports or MMIO addresses
 * @vm: the VM
 * @idx: KVMOD_PIO_BUS or KVMOD_MMIO_BUS
 * @addr: the first port or guest-physical address
 * @len: its length in bytes
 * @dev: the device; its ops are called for accesses in the range
 *
 * Return: 0; -EINVAL for an empty or wrapping range, -EEXIST when it
 * overlaps a range already registered, -ENOMEM.
 */
int kvmod_io_bus_register(struct kvmod_vm *vm, enum kvmod_bus idx, u64 addr,
			  u64 len, struct kvmod_io_device *dev)
{
	struct kvmod_io_bus *old, *new;
	int i, pos, nr;

	if (idx >= KVMOD_NR_BUSES || !len || addr + len < addr)
		return -EINVAL;
	mutex_lock(&vm->bus_lock);
	old = bus_get(vm, idx);
	nr = old ? old->nr : 0;
	for (pos = 0; pos < nr; pos++) {
		const struct kvmod_io_range *r = &old->range[pos];

		if (addr < r->addr + r->len && r->addr < addr + len) {
			mutex_unlock(&vm->bus_lock);
			return -EEXIST;
		}
		if (r->addr > addr)
			break;
	}
	new = kzalloc(struct_size(new, range, nr + 1), GFP_KERNEL_ACCOUNT);
	if (!new) {
		mutex_unlock(&vm->bus_lock);
		return -ENOMEM;
	}
	new->nr = nr + 1;
	for (i = 0; i < pos; i++)
		new->range[i] = old->range[i];
	new->range[pos].addr = addr;
	new->range[pos].len = len;
	new->range[pos].dev = dev;
	for (i = pos; i < nr; i++)
		new->range[i + 1] = old->range[i];
	rcu_assign_pointer(vm->buses[idx], new);
	mutex_unlock(&vm->bus_lock);
	synchronize_srcu_expedited(&vm->io_srcu);
	kfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(kvmod_io_bus_register);

/**
 * kvmod_io_bus_unregister() - remove every range of a device
 * @vm: the VM
 * @idx: the bus
 * @dev: the device
 *
 * When this returns, no handler of @dev runs or will run for this bus.
 */
void kvmod_io_bus_unregister(struct kvmod_vm *vm, enum kvmod_bus idx,
			     struct kvmod_io_device *dev)
{
	struct kvmod_io_bus *old, *new;
	int i, n = 0;

	if (idx >= KVMOD_NR_BUSES)
		return;
	mutex_lock(&vm->bus_lock);
	old = bus_get(vm, idx);
	if (!old) {
		mutex_unlock(&vm->bus_lock);
		return;
	}
	/* Shrinking never needs memory: the old array serves as the new. */
	new = kzalloc(struct_size(new, range, old->nr), GFP_KERNEL_ACCOUNT);
	if (new) {
		for (i = 0; i < old->nr; i++)
			if (old->range[i].dev != dev)
				new->range[n++] = old->range[i];
		new->nr = n;
		rcu_assign_pointer(vm->buses[idx], new);
	} else {
		for (i = 0; i < old->nr; i++)
			if (old->range[i].dev == dev)
				WRITE_ONCE(old->range[i].len, 0);
	}
	mutex_unlock(&vm->bus_lock);
	synchronize_srcu_expedited(&vm->io_srcu);
	if (new)
		kfree(old);
}
EXPORT_SYMBOL_GPL(kvmod_io_bus_unregister);

static struct kvmod_io_range *bus_find(struct kvmod_io_bus *bus, u64 addr,
				       int len)
{
	int lo = 0, hi, mid;

	if (!bus)
		return NULL;
	hi = bus->nr;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (bus->range[mid].addr + READ_ONCE(bus->range[mid].len) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < bus->nr && bus->range[lo].addr <= addr &&
	    addr + len <= bus->range[lo].addr + READ_ONCE(bus->range[lo].len))
		return &bus->range[lo];
	return NULL;
}

/**
 * kvmod_io_bus_access() - give an access to the device that claims it
 * @vcpu: the vCPU making it
 * @idx: the bus
 * @addr: port or guest-physical address
 * @len: 1 to 8 bytes
 * @val: the data written, or the buffer for the data read
 * @write: a write
 *
 * Return: 0 when a device handled it, -EOPNOTSUPP when none claims it
 * (the access goes to userspace).
 */
int kvmod_io_bus_access(struct kvmod_vcpu *vcpu, enum kvmod_bus idx,
			u64 addr, int len, void *val, bool write)
{
	struct kvmod_vm *vm = vcpu->vm;
	struct kvmod_io_range *r;
	int ret = -EOPNOTSUPP, srcu;

	/* The vCPU's own local APIC comes first: its page is per vCPU. */
	if (idx == KVMOD_MMIO_BUS && vm->irqchip && vm->irqchip->local_mmio &&
	    !vm->irqchip->local_mmio(vcpu, addr, len, val, write))
		return 0;
	/* A bus no device or ioeventfd ever joined: done. */
	if (!rcu_access_pointer(vm->buses[idx]))
		return -EOPNOTSUPP;
	srcu = srcu_read_lock(&vm->io_srcu);
	if (write && rcu_access_pointer(vm->ioeventfds[idx]) &&
	    kvmod_ioeventfd_write(vm, idx, addr, len, val)) {
		srcu_read_unlock(&vm->io_srcu, srcu);
		return 0;
	}
	r = bus_find(srcu_dereference(vm->buses[idx], &vm->io_srcu), addr,
		     len);
	if (r) {
		if (write)
			ret = r->dev->ops->write(r->dev, vcpu, addr, len, val);
		else
			ret = r->dev->ops->read(r->dev, vcpu, addr, len, val);
	}
	srcu_read_unlock(&vm->io_srcu, srcu);
	return ret;
}

/**
 * kvmod_io_bus_ensure() - make a bus exist, empty if no device joined
 * @vm: the VM, its bus_lock held
 * @idx: the bus
 *
 * For what the bus consults besides its ranges (ioeventfds), so that an
 * access on a bus that does not exist can go to userspace at once.
 *
 * Return: 0 or -ENOMEM.
 */
int kvmod_io_bus_ensure(struct kvmod_vm *vm, enum kvmod_bus idx)
{
	struct kvmod_io_bus *bus;

	lockdep_assert_held(&vm->bus_lock);
	if (bus_get(vm, idx))
		return 0;
	bus = kzalloc(sizeof(*bus), GFP_KERNEL_ACCOUNT);
	if (!bus)
		return -ENOMEM;
	rcu_assign_pointer(vm->buses[idx], bus);
	return 0;
}

/**
 * kvmod_io_bus_init() - empty buses for a new VM
 * @vm: the VM
 *
 * Return: 0 or -ENOMEM.
 */
int kvmod_io_bus_init(struct kvmod_vm *vm)
{
	return init_srcu_struct(&vm->io_srcu);
}

/**
 * kvmod_io_bus_destroy() - free the buses of a VM
 * @vm: the VM, with every device unregistered or gone with its component
 */
void kvmod_io_bus_destroy(struct kvmod_vm *vm)
{
	int i;

	for (i = 0; i < KVMOD_NR_BUSES; i++)
		kfree(rcu_dereference_protected(vm->buses[i], true));
	cleanup_srcu_struct(&vm->io_srcu);
}
