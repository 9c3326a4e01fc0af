// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's APIC map (apic_map.c) kept current: every change of an APIC's
 * addressing state (ID, LDR, DFR, mode, enable, INIT) bumps a generation
 * and schedules a rebuild; a sender uses the map only when it was built
 * from the current generation and from every vCPU there is, and offers
 * the message to every APIC otherwise. Senders may be in any context; a
 * vCPU thread rebuilds the map itself after it changed its own APIC and
 * before it sends an IPI, and other changes rebuild it in a work item.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "irqchip.h"

/* A map and what frees it after the readers that may still use it. */
struct apic_map_box {
	struct rcu_head rcu;
	struct kvmod_apic_map map;
};

static void apic_map_free(struct kvmod_apic_map *map)
{
	if (map)
		kvfree_rcu(container_of(map, struct apic_map_box, map), rcu);
}

/* Was @map built from the current state of all @n APICs? */
static bool apic_map_current(struct kvmod_virq *virq,
			     const struct kvmod_apic_map *map, u32 n)
{
	return map && map->gen == (u32)atomic_read(&virq->map_gen) &&
	       map->nr_apics == n;
}

/* Build the map from every vCPU's APIC, unless it is current. */
static void apic_map_rebuild(struct kvmod_virq *virq)
{
	struct kvmod_vm *vm = virq->vm;
	struct kvmod_apic_map_entry *e;
	struct kvmod_apic_map *old;
	struct apic_map_box *box;
	struct kvmod_vlapic *vl;
	unsigned long flags;
	u32 gen, n, i;

	mutex_lock(&virq->map_lock);
	/* Read before the APICs: a change after this makes the map stale. */
	gen = atomic_read_acquire(&virq->map_gen);
	/* Pairs with the release in kvmod_create_vcpu(). */
	n = smp_load_acquire(&vm->nr_vcpus);
	old = rcu_dereference_protected(virq->map,
					lockdep_is_held(&virq->map_lock));
	if (apic_map_current(virq, old, n))
		goto out;
	e = kvcalloc(n ? n : 1, sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e)
		goto out;
	for (i = 0; i < n; i++) {
		vl = to_vlapic(kvmod_get_vcpu(vm, i));
		if (!vl)
			continue;
		spin_lock_irqsave(&vl->lock, flags);
		kvmod_lapic_map_entry(&vl->l, &e[i]);
		spin_unlock_irqrestore(&vl->lock, flags);
	}
	box = kvzalloc(offsetof(struct apic_map_box, map) +
		       kvmod_apic_map_size(e, n), GFP_KERNEL_ACCOUNT);
	if (box) {
		kvmod_apic_map_build(&box->map, e, n);
		box->map.gen = gen;
		box->map.nr_apics = n;
		rcu_assign_pointer(virq->map, &box->map);
		/* No waiting here: the vCPU thread may be the one rebuilding. */
		apic_map_free(old);
	}
	kvfree(e);
out:
	mutex_unlock(&virq->map_lock);
}

static void apic_map_work(struct work_struct *work)
{
	apic_map_rebuild(container_of(work, struct kvmod_virq, map_work));
}

/**
 * kvmod_virq_map_init() - set up the VM's APIC map (none built yet)
 * @virq: the VM's irqchip state
 */
void kvmod_virq_map_init(struct kvmod_virq *virq)
{
	mutex_init(&virq->map_lock);
	INIT_WORK(&virq->map_work, apic_map_work);
}

/**
 * kvmod_virq_map_destroy() - free the map (no sender is left)
 * @virq: the VM's irqchip state
 */
void kvmod_virq_map_destroy(struct kvmod_virq *virq)
{
	cancel_work_sync(&virq->map_work);
	apic_map_free(rcu_dereference_protected(virq->map, true));
	RCU_INIT_POINTER(virq->map, NULL);
}

/**
 * kvmod_virq_map_changed() - an APIC's addressing state changed
 * @virq: the VM's irqchip state
 *
 * Call after the change is made (under or after its APIC's lock); any
 * context.
 */
void kvmod_virq_map_changed(struct kvmod_virq *virq)
{
	atomic_inc_return_release(&virq->map_gen);
	schedule_work(&virq->map_work);
}

/**
 * kvmod_virq_map_refresh() - bring the map up to date now
 * @virq: the VM's irqchip state
 *
 * Process context (may sleep): the vCPU thread after it changed its
 * APIC's addressing, or before it sends an IPI.
 */
void kvmod_virq_map_refresh(struct kvmod_virq *virq)
{
	struct kvmod_apic_map *map;
	bool current_map;
	u32 n;

	/* Pairs with the release in kvmod_create_vcpu(). */
	n = smp_load_acquire(&virq->vm->nr_vcpus);
	rcu_read_lock();
	map = rcu_dereference(virq->map);
	current_map = apic_map_current(virq, map, n);
	rcu_read_unlock();
	if (!current_map)
		apic_map_rebuild(virq);
}

/**
 * kvmod_virq_map_targets() - the APICs a message can reach
 * @virq: the VM's irqchip state
 * @msg: the message, without shorthand
 * @out: KVMOD_APIC_MAP_MAX_TARGETS vCPU indices, ascending
 * @nr_vcpus: the vCPUs the sender sees
 *
 * Return: the number of candidates in @out, or -1: offer the message to
 * every APIC (a broadcast, an unindexed destination, or no current map,
 * in which case a rebuild is scheduled).
 */
int kvmod_virq_map_targets(struct kvmod_virq *virq,
			   const struct kvmod_irq_msg *msg, u16 *out,
			   u32 nr_vcpus)
{
	struct kvmod_apic_map *map;
	int r = -1;

	rcu_read_lock();
	map = rcu_dereference(virq->map);
	if (apic_map_current(virq, map, nr_vcpus))
		r = kvmod_apic_map_lookup(map, msg, out);
	else if (!work_pending(&virq->map_work))
		schedule_work(&virq->map_work);
	rcu_read_unlock();
	return r;
}
