// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's two-dimensional paging: set-up and tear-down, and the ops core
 * calls when memslots change or dirty pages are collected.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "tdp.h"

int tdp_vm_init(struct kvmod_vm *vm)
{
	const struct tdp_format *fmt = tdp_format_get(vm->pt_format);
	struct tdp_vm *tdp;
	int r;

	if (!fmt)
		return -EINVAL;
	tdp = kzalloc(sizeof(*tdp), GFP_KERNEL_ACCOUNT);
	if (!tdp)
		return -ENOMEM;
	tdp->vm = vm;
	tdp->fmt = fmt;
	spin_lock_init(&tdp->lock);
	INIT_LIST_HEAD(&tdp->unlinked);
	tdp->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!tdp->root) {
		kfree(tdp);
		return -ENOMEM;
	}
	r = tdp_notifier_register(tdp);
	if (r) {
		free_page((unsigned long)tdp->root);
		kfree(tdp);
		return r;
	}
	vm->mmu_data = tdp;
	return 0;
}

/* No vCPU exists any more: the tables go without a flush. */
void tdp_vm_destroy(struct kvmod_vm *vm)
{
	struct tdp_vm *tdp = vm->mmu_data;

	tdp_notifier_unregister(tdp);
	spin_lock(&tdp->lock);
	tdp_zap_range(tdp, 0, U64_MAX);
	tdp_free_unlinked(tdp);
	spin_unlock(&tdp->lock);
	free_page((unsigned long)tdp->root);
	while (tdp->ncache)
		free_page((unsigned long)tdp->cache[--tdp->ncache]);
	WARN_ON(vm->stat.pages_4k || vm->stat.pages_2m || tdp->table_pages);
	kfree(tdp);
	vm->mmu_data = NULL;
}

/* The zap_range op: called with vm->slots_lock held. */
void tdp_zap_gfn_range(struct kvmod_vm *vm, u64 start, u64 end)
{
	struct tdp_vm *tdp = vm->mmu_data;

	spin_lock(&tdp->lock);
	if (tdp_zap_range(tdp, start, end))
		tdp_flush_and_free(tdp);
	tdp->invalidate_seq++;
	spin_unlock(&tdp->lock);
}

/* The write_protect op: called with vm->slots_lock held. */
bool tdp_write_protect(struct kvmod_vm *vm, u64 gfn, u64 mask)
{
	struct tdp_vm *tdp = vm->mmu_data;
	bool changed, removed = false;

	spin_lock(&tdp->lock);
	changed = tdp_write_protect_masked(tdp, gfn, mask, &removed);
	/*
	 * A removed leaf must be out of every TLB before the lock goes: a
	 * notifier that then finds nothing mapped would not flush.
	 */
	if (removed)
		tdp_flush_and_free(tdp);
	spin_unlock(&tdp->lock);
	return changed;
}

u64 tdp_root(struct kvmod_vm *vm)
{
	struct tdp_vm *tdp = vm->mmu_data;

	return virt_to_phys(tdp->root);
}
