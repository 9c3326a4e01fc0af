// SPDX-License-Identifier: GPL-2.0
/*
 * The MMU notifier on the VM owner's address space (KVM_CAP_SYNC_MMU
 * semantics): when the host unmaps, migrates, swaps, splits or
 * write-protects memory behind a memslot, the translations of those guest
 * frames go before the host goes on, and every vCPU's TLB is flushed.
 * The next guest access faults the new page in.
 *
 * The callbacks take no sleeping lock (they run inside the host's page
 * table updates): the memslots are read under vm->slots_spin, nested in
 * tdp->lock.
 */
#include <linux/mm.h>

#include "tdp.h"

static int tdp_invalidate_range_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct tdp_vm *tdp = container_of(mn, struct tdp_vm, mn);
	struct kvmod_vm *vm = tdp->vm;
	bool zapped = false;
	int i;

	spin_lock(&tdp->lock);
	/* Faults on host addresses in this range retry until it ends. */
	if (!tdp->invalidate_active++) {
		tdp->invalidate_start = range->start;
		tdp->invalidate_end = range->end;
	} else {
		tdp->invalidate_start = min(tdp->invalidate_start,
					    range->start);
		tdp->invalidate_end = max(tdp->invalidate_end, range->end);
	}
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
		zapped |= tdp_zap_range(tdp,
			s->base_gfn + ((start - s->userspace_addr) >> PAGE_SHIFT),
			s->base_gfn + ((end - s->userspace_addr + PAGE_SIZE - 1)
				       >> PAGE_SHIFT));
	}
	spin_unlock(&vm->slots_spin);
	/* No vCPU may use the old page once this returns. */
	if (zapped)
		tdp_flush_and_free(tdp);
	spin_unlock(&tdp->lock);
	return 0;
}

static void tdp_invalidate_range_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct tdp_vm *tdp = container_of(mn, struct tdp_vm, mn);

	spin_lock(&tdp->lock);
	tdp->invalidate_seq++;
	tdp->invalidate_active--;
	spin_unlock(&tdp->lock);
}

/* The address space is going away: nothing may stay mapped. */
static void tdp_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct tdp_vm *tdp = container_of(mn, struct tdp_vm, mn);

	spin_lock(&tdp->lock);
	tdp_zap_range(tdp, 0, U64_MAX);
	tdp->invalidate_seq++;
	tdp_flush_and_free(tdp);
	spin_unlock(&tdp->lock);
}

static const struct mmu_notifier_ops tdp_mn_ops = {
	.invalidate_range_start = tdp_invalidate_range_start,
	.invalidate_range_end = tdp_invalidate_range_end,
	.release = tdp_release,
};

int tdp_notifier_register(struct tdp_vm *tdp)
{
	tdp->mn.ops = &tdp_mn_ops;
	return mmu_notifier_register(&tdp->mn, tdp->vm->mm);
}

void tdp_notifier_unregister(struct tdp_vm *tdp)
{
	mmu_notifier_unregister(&tdp->mn, tdp->vm->mm);
}
