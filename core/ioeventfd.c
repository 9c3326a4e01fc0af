// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_IOEVENTFD: a guest write to a port or an MMIO address signals an
 * eventfd in the kernel, and the guest goes on without an exit.
 *
 * The ioeventfds of a bus form one array sorted by address, replaced as
 * a whole under vm->bus_lock and read under the I/O bus's SRCU, like the
 * bus's device ranges. The I/O bus consults it for writes before its
 * devices (kvmod_ioeventfd_write()); a bus with ioeventfds always exists,
 * so the bus's test for "no device ever joined" stays the only cost of an
 * exit on a VM without any.
 *
 * Matching follows KVM: the address must be equal; a length of 0 matches
 * a write of any length there, otherwise the length must be equal and,
 * with a datamatch, the value written too. Two ioeventfds on one address
 * that could both match one write collide (-EEXIST), so at most one is
 * signalled per write.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <asm/unaligned.h>

#include "registry.h"

#define KVMOD_IOEVENTFD_MAX	1000	/* per bus, KVM's NR_IOBUS_DEVS */

struct kvmod_ioeventfd {
	u64 addr;
	u64 datamatch;
	u8 len;				/* 0: any write to @addr */
	bool wildcard;			/* no datamatch */
	struct eventfd_ctx *ctx;
};

struct kvmod_ioeventfds {
	int nr;
	struct kvmod_ioeventfd fd[];
};

static struct kvmod_ioeventfds *set_get(struct kvmod_vm *vm,
					enum kvmod_bus idx)
{
	return srcu_dereference_check(vm->ioeventfds[idx], &vm->io_srcu,
				      lockdep_is_held(&vm->bus_lock));
}

static bool ioeventfd_match(const struct kvmod_ioeventfd *p, int len,
			    const void *val)
{
	u64 v;

	if (!p->len)
		return true;
	if (len != p->len)
		return false;
	if (p->wildcard)
		return true;
	switch (len) {
	case 1:
		v = *(const u8 *)val;
		break;
	case 2:
		v = get_unaligned((const u16 *)val);
		break;
	case 4:
		v = get_unaligned((const u32 *)val);
		break;
	default:
		v = get_unaligned((const u64 *)val);
		break;
	}
	return v == p->datamatch;
}

/**
 * kvmod_ioeventfd_write() - signal the ioeventfd a guest write matches
 * @vm: the VM
 * @idx: the bus
 * @addr: port or guest-physical address
 * @len: 1 to 8 bytes
 * @val: the data written
 *
 * Called by the I/O bus inside its SRCU read section.
 *
 * Return: true when an ioeventfd took the write.
 */
bool kvmod_ioeventfd_write(struct kvmod_vm *vm, enum kvmod_bus idx,
			   u64 addr, int len, const void *val)
{
	struct kvmod_ioeventfds *set;
	int lo = 0, hi, mid;

	set = srcu_dereference(vm->ioeventfds[idx], &vm->io_srcu);
	if (!set)
		return false;
	hi = set->nr;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (set->fd[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < set->nr && set->fd[lo].addr == addr; lo++) {
		if (ioeventfd_match(&set->fd[lo], len, val)) {
			eventfd_signal(set->fd[lo].ctx, 1);
			return true;
		}
	}
	return false;
}

static bool ioeventfd_collides(const struct kvmod_ioeventfd *a,
			       const struct kvmod_ioeventfd *b)
{
	if (a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	return a->len == b->len &&
	       (a->wildcard || b->wildcard || a->datamatch == b->datamatch);
}

/* Install @new on bus @idx and free @old once no reader sees it. */
static void set_replace(struct kvmod_vm *vm, enum kvmod_bus idx,
			struct kvmod_ioeventfds *old,
			struct kvmod_ioeventfds *new)
{
	rcu_assign_pointer(vm->ioeventfds[idx], new);
	mutex_unlock(&vm->bus_lock);
	synchronize_srcu_expedited(&vm->io_srcu);
	kfree(old);
}

static int ioeventfd_assign(struct kvmod_vm *vm, enum kvmod_bus idx,
			    const struct kvmod_ioeventfd *p)
{
	struct kvmod_ioeventfds *old, *new;
	int i, pos, nr, r;

	mutex_lock(&vm->bus_lock);
	old = set_get(vm, idx);
	nr = old ? old->nr : 0;
	r = -EEXIST;
	for (i = 0; i < nr; i++)
		if (ioeventfd_collides(&old->fd[i], p))
			goto unlock;
	r = -ENOSPC;
	if (nr >= KVMOD_IOEVENTFD_MAX)
		goto unlock;
	r = kvmod_io_bus_ensure(vm, idx);
	if (r)
		goto unlock;
	r = -ENOMEM;
	new = kzalloc(struct_size(new, fd, nr + 1), GFP_KERNEL_ACCOUNT);
	if (!new)
		goto unlock;
	for (pos = 0; pos < nr && old->fd[pos].addr <= p->addr; pos++)
		new->fd[pos] = old->fd[pos];
	new->fd[pos] = *p;
	for (i = pos; i < nr; i++)
		new->fd[i + 1] = old->fd[i];
	new->nr = nr + 1;
	set_replace(vm, idx, old, new);
	return 0;
unlock:
	mutex_unlock(&vm->bus_lock);
	return r;
}

static bool ioeventfd_same(const struct kvmod_ioeventfd *a,
			   const struct kvmod_ioeventfd *b)
{
	return a->ctx == b->ctx && a->addr == b->addr && a->len == b->len &&
	       a->wildcard == b->wildcard &&
	       (a->wildcard || a->datamatch == b->datamatch);
}

static int ioeventfd_deassign(struct kvmod_vm *vm, enum kvmod_bus idx,
			      const struct kvmod_ioeventfd *p)
{
	struct kvmod_ioeventfds *old, *new;
	struct eventfd_ctx *ctx;
	int i, found, n;

	mutex_lock(&vm->bus_lock);
	old = set_get(vm, idx);
	for (found = 0; old && found < old->nr; found++)
		if (ioeventfd_same(&old->fd[found], p))
			break;
	if (!old || found == old->nr) {
		mutex_unlock(&vm->bus_lock);
		return -ENOENT;
	}
	ctx = old->fd[found].ctx;
	new = NULL;
	if (old->nr > 1) {
		new = kzalloc(struct_size(new, fd, old->nr - 1),
			      GFP_KERNEL_ACCOUNT);
		if (!new) {
			mutex_unlock(&vm->bus_lock);
			return -ENOMEM;
		}
		for (i = 0, n = 0; i < old->nr; i++)
			if (i != found)
				new->fd[n++] = old->fd[i];
		new->nr = n;
	}
	set_replace(vm, idx, old, new);
	eventfd_ctx_put(ctx);
	return 0;
}

/**
 * kvmod_ioeventfd() - KVM_IOEVENTFD
 * @vm: the VM
 * @args: the ioctl's argument
 *
 * Return: 0; -EINVAL for a bad length or flag, -EBADF or -EINVAL for a
 * file that is not an eventfd, -EEXIST for a collision, -ENOENT to
 * deassign what is not assigned, -ENOSPC, -ENOMEM.
 */
int kvmod_ioeventfd(struct kvmod_vm *vm, const struct kvm_ioeventfd *args)
{
	enum kvmod_bus idx = KVMOD_MMIO_BUS;
	struct kvmod_ioeventfd p = {
		.addr = args->addr,
		.len = args->len,
		.datamatch = args->datamatch,
		.wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH),
	};
	bool deassign = args->flags & KVM_IOEVENTFD_FLAG_DEASSIGN;
	int r;

	if (!deassign) {
		switch (args->len) {
		case 0:
		case 1:
		case 2:
		case 4:
		case 8:
			break;
		default:
			return -EINVAL;
		}
		if (args->addr + args->len < args->addr)
			return -EINVAL;
		if (args->flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH |
				    KVM_IOEVENTFD_FLAG_PIO |
				    KVM_IOEVENTFD_FLAG_DEASSIGN))
			return -EINVAL;
		if (!args->len && !p.wildcard)
			return -EINVAL;
	} else if (args->len > 8) {
		return -ENOENT;		/* nothing of that length exists */
	}
	if (args->flags & KVM_IOEVENTFD_FLAG_PIO)
		idx = KVMOD_PIO_BUS;
	if (p.wildcard)
		p.datamatch = 0;

	p.ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p.ctx))
		return PTR_ERR(p.ctx);
	if (deassign) {
		r = ioeventfd_deassign(vm, idx, &p);
		eventfd_ctx_put(p.ctx);
		return r;
	}
	r = ioeventfd_assign(vm, idx, &p);
	if (r)
		eventfd_ctx_put(p.ctx);
	return r;
}

/**
 * kvmod_ioeventfd_destroy() - drop every ioeventfd of a dying VM
 * @vm: the VM; no vCPU runs
 */
void kvmod_ioeventfd_destroy(struct kvmod_vm *vm)
{
	struct kvmod_ioeventfds *set;
	int i, j;

	for (i = 0; i < KVMOD_NR_BUSES; i++) {
		set = rcu_dereference_protected(vm->ioeventfds[i], true);
		if (!set)
			continue;
		for (j = 0; j < set->nr; j++)
			eventfd_ctx_put(set->fd[j].ctx);
		kfree(set);
		RCU_INIT_POINTER(vm->ioeventfds[i], NULL);
	}
}
