// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-physical to host-physical tables: four levels of 512 entries
 * in the format the vendor asked for (struct tdp_format), leaves of 4 KiB
 * at level 1 and of 2 MiB at level 2.
 *
 * Everything here runs with tdp->lock held. A table taken out of the tree
 * may still be in use by a vCPU's hardware walk until the next TLB flush,
 * so it goes on tdp->unlinked and is freed only after that flush
 * (tdp_flush_and_free()).
 */
#include <linux/io.h>
#include <linux/lockdep.h>
#include <linux/mm.h>

#include "tdp.h"

static bool tdp_present(struct tdp_vm *tdp, u64 e)
{
	return e & tdp->fmt->present;
}

static bool tdp_is_leaf(struct tdp_vm *tdp, u64 e, int level)
{
	return level == 1 || (e & tdp->fmt->large);
}

static u64 *tdp_table(u64 e)
{
	return phys_to_virt(e & TDP_ADDR);
}

static unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

/* A leaf is gone: a guest write may have dirtied the page, tell the host. */
static void tdp_leaf_gone(struct tdp_vm *tdp, u64 e, int level)
{
	if (e & tdp->fmt->dirty)
		SetPageDirty(pfn_to_page((e & TDP_ADDR) >> PAGE_SHIFT));
	if (level == 1)
		tdp->vm->stat.pages_4k--;
	else
		tdp->vm->stat.pages_2m--;
}

/* @table (at @level) left the tree: drop its leaves, queue its pages. */
static void tdp_unlink_table(struct tdp_vm *tdp, u64 *table, int level)
{
	int i;

	for (i = 0; i < TDP_ENTRIES; i++) {
		u64 e = table[i];

		if (!tdp_present(tdp, e))
			continue;
		if (tdp_is_leaf(tdp, e, level))
			tdp_leaf_gone(tdp, e, level);
		else
			tdp_unlink_table(tdp, tdp_table(e), level - 1);
	}
	list_add(&virt_to_page(table)->lru, &tdp->unlinked);
}

/**
 * tdp_free_unlinked() - free the tables taken out of the tree
 * @tdp: the VM's MMU; no vCPU may still walk them (TLBs flushed, or no
 *	vCPU left)
 */
void tdp_free_unlinked(struct tdp_vm *tdp)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &tdp->unlinked, lru) {
		list_del(&page->lru);
		__free_page(page);
		tdp->table_pages--;
	}
}

/**
 * tdp_flush_and_free() - flush every vCPU's TLB, then free unlinked tables
 * @tdp: the VM's MMU
 */
void tdp_flush_and_free(struct tdp_vm *tdp)
{
	kvmod_flush_remote_tlbs(tdp->vm);
	tdp_free_unlinked(tdp);
}

/* Zap frames [@start, @end) below @table, which maps frames from @base. */
static bool tdp_zap_level(struct tdp_vm *tdp, u64 *table, int level,
			  u64 base, u64 start, u64 end)
{
	u64 span = TDP_SPAN(level);
	bool zapped = false;
	unsigned int i;

	for (i = (start - base) / span;
	     i < TDP_ENTRIES && base + i * span < end; i++) {
		u64 first = base + i * span, e = table[i];

		if (!tdp_present(tdp, e))
			continue;
		if (tdp_is_leaf(tdp, e, level)) {
			/* A 2 MiB leaf goes as a whole. */
			WRITE_ONCE(table[i], 0);
			tdp_leaf_gone(tdp, e, level);
			zapped = true;
		} else if (start <= first && first + span <= end) {
			WRITE_ONCE(table[i], 0);
			tdp_unlink_table(tdp, tdp_table(e), level - 1);
			zapped = true;
		} else {
			zapped |= tdp_zap_level(tdp, tdp_table(e), level - 1,
						first, max(start, first),
						min(end, first + span));
		}
	}
	return zapped;
}

/**
 * tdp_zap_range() - remove the translations of guest frames [@start, @end)
 * @tdp: the VM's MMU
 * @start: first guest frame
 * @end: guest frame after the last
 *
 * Return: whether anything was removed; the caller then calls
 * tdp_flush_and_free() before it drops tdp->lock.
 */
bool tdp_zap_range(struct tdp_vm *tdp, u64 start, u64 end)
{
	lockdep_assert_held(&tdp->lock);
	end = min_t(u64, end, TDP_MAX_GFN);
	if (start >= end)
		return false;
	return tdp_zap_level(tdp, tdp->root, TDP_LEVELS, 0, start, end);
}

/*
 * The level-1 table holding @gfn, or NULL when there is none. A 2 MiB leaf
 * in the way is removed instead (the next access maps 4 KiB) and
 * @removed is set.
 */
static u64 *tdp_leaf_table(struct tdp_vm *tdp, u64 gfn, bool *removed)
{
	u64 *table = tdp->root, *e, old;
	int level;

	for (level = TDP_LEVELS; level > 1; level--) {
		e = &table[tdp_index(gfn, level)];
		if (!tdp_present(tdp, *e))
			return NULL;
		if (tdp_is_leaf(tdp, *e, level)) {
			old = *e;
			WRITE_ONCE(*e, 0);
			tdp_leaf_gone(tdp, old, level);
			*removed = true;
			return NULL;
		}
		table = tdp_table(*e);
	}
	return table;
}

/**
 * tdp_write_protect_masked() - take write access from up to 64 pages
 * @tdp: the VM's MMU
 * @gfn: first guest frame (any alignment)
 * @mask: bit i set: protect @gfn + i
 * @removed: set when a 2 MiB leaf was removed instead: the caller then
 *	flushes TLBs before it drops tdp->lock
 *
 * Frames beyond what the tables can map have no translation to protect.
 *
 * Return: whether a translation changed; the caller flushes TLBs.
 */
bool tdp_write_protect_masked(struct tdp_vm *tdp, u64 gfn, u64 mask,
			      bool *removed)
{
	u64 wr = tdp->fmt->write, cur = U64_MAX, *table = NULL, *e;
	bool changed = false;

	lockdep_assert_held(&tdp->lock);
	for (; mask; mask &= mask - 1) {
		u64 g = gfn + __ffs64(mask);

		if (g >= TDP_MAX_GFN)
			break;
		if (g / TDP_ENTRIES != cur) {
			cur = g / TDP_ENTRIES;
			table = tdp_leaf_table(tdp, g, removed);
		}
		if (!table)
			continue;
		e = &table[tdp_index(g, 1)];
		if (tdp_present(tdp, *e) && (*e & wr)) {
			WRITE_ONCE(*e, *e & ~wr);
			changed = true;
		}
	}
	return changed || *removed;
}

/**
 * tdp_map() - map guest frame @gfn to host-physical @hpa
 * @tdp: the VM's MMU, with tables for the walk in tdp->cache
 * @gfn: guest frame (2 MiB-aligned for @level 2)
 * @hpa: host-physical address (2 MiB-aligned for @level 2)
 * @level: 1 for a 4 KiB page, 2 for a 2 MiB page
 * @write: writable for the guest
 * @flush: set when an older translation was replaced: the caller then
 *	calls tdp_flush_and_free() before it drops tdp->lock
 *
 * An existing leaf for the same page only gains write access.
 *
 * Return: 0, or -ENOMEM when the table cache ran dry.
 */
int tdp_map(struct tdp_vm *tdp, u64 gfn, u64 hpa, int level, bool write,
	    bool *flush)
{
	const struct tdp_format *fmt = tdp->fmt;
	u64 *table = tdp->root, *e, old, new;
	int l;

	lockdep_assert_held(&tdp->lock);
	for (l = TDP_LEVELS; l > level; l--) {
		e = &table[tdp_index(gfn, l)];
		if (tdp_present(tdp, *e) && tdp_is_leaf(tdp, *e, l)) {
			/* A larger page than the host maps now: split it. */
			old = *e;
			WRITE_ONCE(*e, 0);
			tdp_leaf_gone(tdp, old, l);
			*flush = true;
		}
		if (!tdp_present(tdp, *e)) {
			u64 *next;

			if (!tdp->ncache)
				return -ENOMEM;
			next = tdp->cache[--tdp->ncache];
			tdp->table_pages++;
			WRITE_ONCE(*e, virt_to_phys(next) | fmt->table);
		}
		table = tdp_table(*e);
	}

	e = &table[tdp_index(gfn, level)];
	old = *e;
	new = hpa | fmt->leaf | (level > 1 ? fmt->large : 0);
	/* Writable leaves are dirty at once: the guest may write any time. */
	if (write)
		new |= fmt->write | fmt->dirty;
	if (tdp_present(tdp, old) && tdp_is_leaf(tdp, old, level) &&
	    (old & TDP_ADDR) == hpa) {
		if (write && !(old & fmt->write))
			WRITE_ONCE(*e, old | fmt->write | fmt->dirty);
		return 0;
	}
	if (tdp_present(tdp, old)) {
		if (tdp_is_leaf(tdp, old, level))
			tdp_leaf_gone(tdp, old, level);
		else	/* 4 KiB pages under what the host now maps huge */
			tdp_unlink_table(tdp, tdp_table(old), level - 1);
		*flush = true;
	}
	WRITE_ONCE(*e, new);
	if (level == 1)
		tdp->vm->stat.pages_4k++;
	else
		tdp->vm->stat.pages_2m++;
	return 0;
}
