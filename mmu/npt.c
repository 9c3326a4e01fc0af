// SPDX-License-Identifier: GPL-2.0
/*
 * Nested page tables in the x86-64 format (AMD NPT), built on demand.
 *
 * A nested page fault maps exactly the 4 KiB page of the faulting
 * guest-physical address, from the memslot that covers it: the backing
 * page is pinned with pin_user_pages and its address is the only host
 * address that ever enters a leaf entry. No slot, no mapping. Zapping
 * detaches all tables, flushes every vCPU's TLB, then unpins and frees.
 */
#include <linux/io.h>
#include <linux/mm.h>
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
#define NPT_LEAF_BITS	(NPT_P | NPT_RW | NPT_US | NPT_A | NPT_D)

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static u64 *npt_table(u64 entry)
{
	return phys_to_virt(entry & NPT_ADDR);
}

int npt_vm_init(struct kvmod_vm *vm)
{
	struct npt_vm *npt;

	if (vm->pt_format != KVMOD_PT_X86_64)
		return -EINVAL;
	npt = kzalloc(sizeof(*npt), GFP_KERNEL_ACCOUNT);
	if (!npt)
		return -ENOMEM;
	npt->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	npt->detached = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!npt->root || !npt->detached) {
		free_page((unsigned long)npt->root);
		free_page((unsigned long)npt->detached);
		kfree(npt);
		return -ENOMEM;
	}
	vm->mmu_data = npt;
	return 0;
}

u64 npt_root(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	return virt_to_phys(npt->root);
}

/* Free a detached table and everything below it. */
static void npt_free_table(struct npt_vm *npt, u64 *table, int level)
{
	int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & NPT_P))
			continue;
		if (level == 1) {
			struct page *page = pfn_to_page((e & NPT_ADDR) >>
							PAGE_SHIFT);

			unpin_user_pages_dirty_lock(&page, 1, true);
			npt->mapped_pages--;
		} else {
			npt_free_table(npt, npt_table(e), level - 1);
		}
	}
	free_page((unsigned long)table);
	npt->table_pages--;
}

/*
 * Detach every top-level entry into @detached, so that no new walk can
 * reach the old tables.
 */
static void npt_detach_all(struct npt_vm *npt, u64 *detached)
{
	int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		detached[i] = READ_ONCE(npt->root[i]);
		WRITE_ONCE(npt->root[i], 0);
	}
}

static void npt_free_detached(struct npt_vm *npt, u64 *detached)
{
	int i;

	for (i = 0; i < NPT_ENTRIES; i++)
		if (detached[i] & NPT_P)
			npt_free_table(npt, npt_table(detached[i]),
				       NPT_LEVELS - 1);
}

/* Called with vm->slots_lock held. */
void npt_zap_all(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	npt_detach_all(npt, npt->detached);
	kvmod_flush_remote_tlbs(vm);
	npt_free_detached(npt, npt->detached);
}

/* No vCPU exists any more: no flush needed. */
void npt_vm_destroy(struct kvmod_vm *vm)
{
	struct npt_vm *npt = vm->mmu_data;

	npt_free_detached(npt, npt->root);
	free_page((unsigned long)npt->root);
	free_page((unsigned long)npt->detached);
	WARN_ON(npt->mapped_pages || npt->table_pages);
	kfree(npt);
	vm->mmu_data = NULL;
}

/*
 * Find the level-1 entry for @gpa, allocating tables on the way.
 * Called with vm->slots_lock held.
 */
static u64 *npt_leaf_entry(struct npt_vm *npt, u64 gpa)
{
	u64 *table = npt->root;
	int level;

	for (level = NPT_LEVELS; level > 1; level--) {
		u64 *e = &table[npt_index(gpa, level)];

		if (!(*e & NPT_P)) {
			u64 *next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!next)
				return NULL;
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
	struct page *page;
	unsigned long hva;
	u64 gfn = gpa >> PAGE_SHIFT;
	u64 *leaf;
	int r;

	if (gpa >> 48)
		return -ENOENT;

	mutex_lock(&vm->slots_lock);
	slot = kvmod_gfn_to_memslot(vm, gfn);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	leaf = npt_leaf_entry(npt, gpa);
	if (!leaf) {
		r = -ENOMEM;
		goto out;
	}
	/* Another vCPU mapped it first, or a stale TLB entry: nothing to do. */
	if (*leaf & NPT_P) {
		r = 0;
		goto out;
	}

	hva = slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	r = pin_user_pages_fast(hva, 1, FOLL_WRITE | FOLL_LONGTERM, &page);
	if (r != 1) {
		r = r < 0 ? r : -EFAULT;
		goto out;
	}
	WRITE_ONCE(*leaf, page_to_phys(page) | NPT_LEAF_BITS);
	npt->mapped_pages++;
	r = 0;
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
