// SPDX-License-Identifier: GPL-2.0
/*
 * Nested page faults: map the page that holds a guest-physical address
 * from the memslot that covers it.
 *
 * The host page is looked up with get_user_pages and its reference is
 * dropped again once it is mapped: nothing stays pinned. The MMU notifier
 * (tdp_notifier.c) keeps the tables coherent; a fault that raced with an
 * invalidation looks the page up again. The mapping is 2 MiB when the
 * host maps the memory with a huge page (THP or hugetlbfs), the whole
 * 2 MiB lies in the slot at the same offset as in the host, and the slot
 * does not log dirty pages; else 4 KiB.
 *
 * Read-only slots map read-only; a guest write there is left to the
 * caller (-ENOENT), which emulates it as MMIO. Dirty-logged slots map a
 * page writable only on a write fault, which sets the page's dirty bit.
 * Elsewhere a read fault maps the page writable if the host already has
 * it writable, else read-only, as in-tree KVM does.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pgtable.h>

#include "tdp.h"

#define TDP_HUGE_PAGES	TDP_SPAN(2)

/*
 * The level at which the owner's page tables map @hva: 1 (4 KiB),
 * 2 (2 MiB) or 3 (1 GiB). Read without locks, as GUP-fast does: with
 * interrupts off no page table can be freed under the walk. Called after
 * the page was looked up and before the invalidation sequence is checked
 * again, so a change of the mapping level in between makes the fault retry.
 */
static int host_mapping_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_large(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_large(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/* May the 2 MiB around @gfn be one translation, host-wise and slot-wise? */
static bool tdp_huge_fits(struct kvmod_memslot *slot, u64 gfn,
			  unsigned long hva)
{
	u64 first = gfn & ~(TDP_HUGE_PAGES - 1);

	if ((gfn ^ (hva >> PAGE_SHIFT)) & (TDP_HUGE_PAGES - 1))
		return false;
	return first >= slot->base_gfn &&
	       first + TDP_HUGE_PAGES <= slot->base_gfn + slot->npages;
}

/*
 * Keep enough zeroed pages for the tables one fault may need, so that the
 * fault path allocates nothing under tdp->lock. Called with slots_lock.
 */
static int tdp_fill_cache(struct tdp_vm *tdp)
{
	while (tdp->ncache < ARRAY_SIZE(tdp->cache)) {
		u64 *page = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		tdp->cache[tdp->ncache++] = page;
	}
	return 0;
}

/*
 * Has an invalidation touched the host range [@start, @end) since @seq
 * was read, or is one touching it now? Then the page looked up may be
 * going away: look it up again.
 */
static bool tdp_fault_stale(struct tdp_vm *tdp, unsigned long seq,
			    unsigned long start, unsigned long end)
{
	if (tdp->invalidate_seq != seq)
		return true;
	return tdp->invalidate_active && start < tdp->invalidate_end &&
	       tdp->invalidate_start < end;
}

/*
 * Look the host page up for a guest access. A write fault gets the page
 * as a write would (breaking copy-on-write). A read fault takes the page
 * writable only when the host already maps it writable, so that no
 * copy-on-write is broken and no zero page replaced; else read-only (the
 * guest's first write then faults again). Read-only slots never ask for
 * write access. Returns 1 with *@page and *@writable, or -errno.
 */
static int tdp_get_page(unsigned long hva, bool write, bool readonly,
			struct page **page, bool *writable)
{
	int r;

	*writable = !readonly;
	if (write) {
		r = get_user_pages_unlocked(hva, 1, page, FOLL_WRITE);
	} else if (!readonly &&
		   get_user_page_fast_only(hva, FOLL_WRITE, page)) {
		r = 1;
	} else {
		*writable = false;
		r = get_user_pages_unlocked(hva, 1, page, 0);
	}
	if (r == 1)
		return 1;
	return r < 0 ? r : -EFAULT;
}

/**
 * tdp_page_fault() - the MMU's page_fault op (see struct kvmod_mmu_ops)
 * @vm: the VM
 * @gpa: the faulting guest-physical address
 * @write: the guest was writing
 *
 * Return: 0 when mapped, -ENOENT when no memslot lets the access through,
 * another -errno when the host memory cannot be had.
 */
int tdp_page_fault(struct kvmod_vm *vm, u64 gpa, bool write)
{
	struct tdp_vm *tdp = vm->mmu_data;
	u64 gfn = gpa >> PAGE_SHIFT, hpa;
	struct kvmod_memslot *slot;
	bool readonly, logging, writable, flush = false;
	unsigned long hva, seq, start;
	struct page *page;
	int level, r;

	if (gfn >= TDP_MAX_GFN)
		return -ENOENT;

	mutex_lock(&vm->slots_lock);
	r = tdp_fill_cache(tdp);
	if (r)
		goto out;
retry:
	slot = kvmod_gfn_to_memslot(vm, gfn);
	readonly = slot && (slot->flags & KVM_MEM_READONLY);
	if (!slot || (write && readonly)) {
		r = -ENOENT;
		goto out;
	}
	logging = slot->dirty_bitmap;
	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);

	seq = READ_ONCE(tdp->invalidate_seq);
	/* Read the sequence before looking the page up (pairs with the lock). */
	smp_rmb();
	r = tdp_get_page(hva, write, readonly, &page, &writable);
	if (r < 0)
		goto out;
	/* With dirty logging, only a write makes a page writable. */
	if (logging && !write)
		writable = false;

	level = 1;
	start = hva;
	if (!logging && tdp_huge_fits(slot, gfn, hva) && PageCompound(page) &&
	    host_mapping_level(vm->mm, hva) >= 2) {
		level = 2;
		start = hva & ~((TDP_HUGE_PAGES << PAGE_SHIFT) - 1);
	}

	spin_lock(&tdp->lock);
	if (tdp_fault_stale(tdp, seq, start,
			    start + (TDP_SPAN(level) << PAGE_SHIFT))) {
		spin_unlock(&tdp->lock);
		put_page(page);
		cond_resched();
		goto retry;
	}
	hpa = page_to_phys(page);
	if (level == 2) {
		hpa -= (gfn & (TDP_HUGE_PAGES - 1)) << PAGE_SHIFT;
		gfn &= ~(TDP_HUGE_PAGES - 1);
	}
	r = tdp_map(tdp, gfn, hpa, level, writable, &flush);
	if (!r && write)
		kvmod_mark_page_dirty(slot, gpa >> PAGE_SHIFT);
	if (flush)
		tdp_flush_and_free(tdp);
	spin_unlock(&tdp->lock);
	put_page(page);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
