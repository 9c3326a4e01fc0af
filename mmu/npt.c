// SPDX-License-Identifier: GPL-2.0
/*
 * Nested page tables in the x86-64 format (AMD NPT), built on demand and
 * kept coherent with the owner's address space by an MMU notifier
 * (KVM_CAP_SYNC_MMU semantics).
 *
 * A nested page fault maps exactly the 4 KiB page of the faulting
 * guest-physical address, from the memslot that covers it: the page is
 * looked up with get_user_pages, its address goes into a leaf entry and
 * the reference is dropped again. No page stays pinned: when the host
 * unmaps, migrates, swaps or splits it, the notifier's invalidate_range_start
 * removes the entry and flushes every vCPU's TLB before the host goes on,
 * and the next guest access faults the new page in. No slot, no mapping.
 *
 * Locking: npt->lock (a spinlock, as notifiers may not sleep) covers the
 * tables and the invalidation sequence; a fault that raced with an
 * invalidation retries. vm->slots_lock (a mutex) is held by the fault
 * path and memslot changes; the notifier reads the memslots under
 * vm->slots_spin instead.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "npt.h"

#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_ADDR	0x000ffffffffff000ULL
#define NPT_LEVELS	4
#define NPT_ENTRIES	512

/* Nested walks are user accesses: every level needs P, RW and US. */
#define NPT_TABLE_BITS	(NPT_P | NPT_RW | NPT_US | NPT_A)
#define NPT_LEAF_BITS	(NPT_P | NPT_US | NPT_A)

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static u64 *npt_table(u64 entry)
{
	return phys_to_virt(entry & NPT_ADDR);
}

u64 npt_root(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	return virt_to_phys(npt->root);
}

/* A guest write may have dirtied the page: tell the host before it goes. */
static void npt_leaf_gone(struct npt_vm *npt, u64 e)
{
	if (e & NPT_D)
		SetPageDirty(pfn_to_page((e & NPT_ADDR) >> PAGE_SHIFT));
	npt->mapped_pages--;
}

/* Clear every leaf below @table; with @free, free the tables too. */
static void npt_clear_table(struct npt_vm *npt, u64 *table, int level,
			    bool free)
{
	int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & NPT_P))
			continue;
		if (level == 1)
			npt_leaf_gone(npt, e);
		else
			npt_clear_table(npt, npt_table(e), level - 1, true);
		WRITE_ONCE(table[i], 0);
	}
	if (free) {
		free_page((unsigned long)table);
		npt->table_pages--;
	}
}

/*
 * Remove the leaves for guest frames [start, end). Called with npt->lock
 * held. Returns whether anything was removed.
 */
static bool npt_zap_range(struct npt_vm *npt, u64 start, u64 end)
{
	bool zapped = false;
	u64 gfn;

	for (gfn = start; gfn < end; gfn++) {
		u64 *table = npt->root, *e = NULL;
		int level;

		for (level = NPT_LEVELS; level >= 1; level--) {
			e = &table[npt_index(gfn << PAGE_SHIFT, level)];
			if (!(*e & NPT_P))
				break;
			if (level > 1)
				table = npt_table(*e);
		}
		if (level == 0 && (*e & NPT_P)) {
			npt_leaf_gone(npt, *e);
			WRITE_ONCE(*e, 0);
			zapped = true;
		} else if (level >= 2) {
			/* A whole empty table: skip the frames it covers. */
			u64 span = 1ULL << (9 * (level - 1));

			gfn = (gfn | (span - 1));
		}
	}
	return zapped;
}

static int npt_invalidate_range_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct npt_vm *npt = container_of(mn, struct npt_vm, mn);
	struct kvmod_vm *vm = npt->vm;
	bool flush = false;
	int i;

	spin_lock(&npt->lock);
	npt->invalidate_active++;
	spin_lock(&vm->slots_spin);
	for (i = 0; i < vm->slots_end; i++) {
		struct kvmod_memslot *s = &vm->slots[i];
		u64 hva_end = s->userspace_addr + (s->npages << PAGE_SHIFT);
		u64 start, end;

		if (!s->npages || range->end <= s->userspace_addr ||
		    range->start >= hva_end)
			continue;
		start = max_t(u64, range->start, s->userspace_addr);
		end = min_t(u64, range->end, hva_end);
		flush |= npt_zap_range(npt,
			s->base_gfn + ((start - s->userspace_addr) >> PAGE_SHIFT),
			s->base_gfn + ((end - s->userspace_addr + PAGE_SIZE - 1)
				       >> PAGE_SHIFT));
	}
	spin_unlock(&vm->slots_spin);
	/* No vCPU may use the old page once this returns. */
	if (flush)
		kvmod_flush_remote_tlbs(vm);
	spin_unlock(&npt->lock);
	return 0;
}

static void npt_invalidate_range_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct npt_vm *npt = container_of(mn, struct npt_vm, mn);

	spin_lock(&npt->lock);
	npt->invalidate_seq++;
	npt->invalidate_active--;
	spin_unlock(&npt->lock);
}

/* The address space is going away: nothing may stay mapped. */
static void npt_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct npt_vm *npt = container_of(mn, struct npt_vm, mn);

	spin_lock(&npt->lock);
	npt_clear_table(npt, npt->root, NPT_LEVELS, false);
	npt->invalidate_seq++;
	kvmod_flush_remote_tlbs(npt->vm);
	spin_unlock(&npt->lock);
}

static const struct mmu_notifier_ops npt_mn_ops = {
	.invalidate_range_start = npt_invalidate_range_start,
	.invalidate_range_end = npt_invalidate_range_end,
	.release = npt_release,
};

/*
 * Keep enough zeroed pages for the tables one fault may need, so that the
 * fault path allocates nothing under npt->lock. Called with slots_lock.
 */
static int npt_fill_cache(struct npt_vm *npt)
{
	while (npt->ncache < ARRAY_SIZE(npt->cache)) {
		u64 *page = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		npt->cache[npt->ncache++] = page;
	}
	return 0;
}

static void npt_free_cache(struct npt_vm *npt)
{
	while (npt->ncache)
		free_page((unsigned long)npt->cache[--npt->ncache]);
}

int npt_vm_init(struct kvmod_vm *vm)
{
	struct npt_vm *npt;
	int r;

	if (vm->pt_format != KVMOD_PT_X86_64)
		return -EINVAL;
	npt = kzalloc(sizeof(*npt), GFP_KERNEL_ACCOUNT);
	if (!npt)
		return -ENOMEM;
	npt->vm = vm;
	spin_lock_init(&npt->lock);
	npt->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!npt->root) {
		kfree(npt);
		return -ENOMEM;
	}
	npt->mn.ops = &npt_mn_ops;
	r = mmu_notifier_register(&npt->mn, vm->mm);
	if (r) {
		free_page((unsigned long)npt->root);
		kfree(npt);
		return r;
	}
	vm->mmu_data = npt;
	return 0;
}

/* No vCPU exists any more: no flush needed. */
void npt_vm_destroy(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	mmu_notifier_unregister(&npt->mn, vm->mm);
	spin_lock(&npt->lock);
	npt_clear_table(npt, npt->root, NPT_LEVELS, false);
	spin_unlock(&npt->lock);
	free_page((unsigned long)npt->root);
	npt_free_cache(npt);
	WARN_ON(npt->mapped_pages || npt->table_pages);
	kfree(npt);
	vm->mmu_data = NULL;
}

/* Called with vm->slots_lock held, after the memslots changed. */
void npt_zap_all(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	spin_lock(&npt->lock);
	npt_clear_table(npt, npt->root, NPT_LEVELS, false);
	npt->invalidate_seq++;
	kvmod_flush_remote_tlbs(vm);
	spin_unlock(&npt->lock);
}

/*
 * Find the level-1 entry for @gpa, taking missing tables from the cache.
 * Called with slots_lock and npt->lock held.
 */
static u64 *npt_leaf_entry(struct npt_vm *npt, u64 gpa)
{
	u64 *table = npt->root;
	int level;

	for (level = NPT_LEVELS; level > 1; level--) {
		u64 *e = &table[npt_index(gpa, level)];

		if (!(*e & NPT_P)) {
			u64 *next = npt->cache[--npt->ncache];

			npt->table_pages++;
			WRITE_ONCE(*e, virt_to_phys(next) | NPT_TABLE_BITS);
		}
		table = npt_table(*e);
	}
	return &table[npt_index(gpa, 1)];
}

int npt_page_fault(struct kvmod_vm *vm, u64 gpa, bool write)
{
	struct npt_vm *npt = vm->mmu_data;
	struct kvmod_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	u64 gfn = gpa >> PAGE_SHIFT;
	u64 *leaf;
	int r;

	if (gpa >> 48)
		return -ENOENT;

	mutex_lock(&vm->slots_lock);
	r = npt_fill_cache(npt);
	if (r)
		goto out;
retry:
	slot = kvmod_gfn_to_memslot(vm, gfn);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);

	seq = READ_ONCE(npt->invalidate_seq);
	/* Read the sequence before looking the page up (pairs with the lock). */
	smp_rmb();
	r = get_user_pages_unlocked(hva, 1, &page, FOLL_WRITE);
	if (r != 1) {
		r = r < 0 ? r : -EFAULT;
		goto out;
	}

	spin_lock(&npt->lock);
	if (npt->invalidate_active || npt->invalidate_seq != seq) {
		/* The page may be going away already: look it up again. */
		spin_unlock(&npt->lock);
		put_page(page);
		cond_resched();
		goto retry;
	}
	leaf = npt_leaf_entry(npt, gpa);
	if (!(*leaf & NPT_P)) {
		/* Dirty at once: the guest may write through it. */
		WRITE_ONCE(*leaf, page_to_phys(page) | NPT_LEAF_BITS |
				  NPT_RW | NPT_D);
		npt->mapped_pages++;
	}
	spin_unlock(&npt->lock);
	put_page(page);
	r = 0;
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
