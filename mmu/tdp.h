/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod-mmu: two-dimensional paging (AMD NPT, Intel EPT), guest-physical
 * to host-physical tables built on fault from the memslots.
 */
#ifndef KVMOD_TDP_H
#define KVMOD_TDP_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>

#include "kvmod.h"

#define TDP_LEVELS	4
#define TDP_ENTRIES	512
#define TDP_ADDR	GENMASK_ULL(51, 12)
/* Guest frames one entry covers at @level (1: a 4 KiB page). */
#define TDP_SPAN(level)	(1ULL << (9 * ((level) - 1)))
/* The first guest frame the tables cannot map (48-bit addresses). */
#define TDP_MAX_GFN	TDP_SPAN(TDP_LEVELS + 1)

/*
 * The bits of one page-table entry format. An entry is present when any
 * bit of @present is set; every entry holds a host-physical address in
 * TDP_ADDR besides these bits.
 */
struct tdp_format {
	u64 present;
	u64 table;		/* a pointer to the next-level table */
	u64 leaf;		/* a readable, executable page */
	u64 write;		/* added to @leaf for a writable page */
	u64 dirty;		/* with @write: the host page may get dirty */
	u64 large;		/* a leaf above level 1 (2 MiB at level 2) */
};

const struct tdp_format *tdp_format_get(enum kvmod_pt_format format);

struct tdp_vm {
	struct kvmod_vm *vm;
	const struct tdp_format *fmt;
	struct mmu_notifier mn;		/* the owner's mm */
	spinlock_t lock;		/* the tables and the fields below */
	u64 *root;			/* top-level table (4 levels) */
	unsigned long invalidate_seq;	/* bumped at each invalidation end */
	int invalidate_active;		/* invalidations in progress */
	unsigned long invalidate_start;	/* host range they cover (while */
	unsigned long invalidate_end;	/* invalidate_active) */
	/* Zeroed table pages for faults: filled under slots_lock, used under
	 * both locks.
	 */
	u64 *cache[TDP_LEVELS - 1];
	int ncache;
	unsigned long table_pages;	/* page-table pages below the root */
	struct list_head unlinked;	/* tables to free after a TLB flush */
};

/* tdp_table.c: the tables; all with tdp->lock held */
bool tdp_zap_range(struct tdp_vm *tdp, u64 start, u64 end);
bool tdp_write_protect_masked(struct tdp_vm *tdp, u64 gfn, u64 mask,
			      bool *removed);
int tdp_map(struct tdp_vm *tdp, u64 gfn, u64 hpa, int level, bool write,
	    bool *flush);
void tdp_free_unlinked(struct tdp_vm *tdp);
void tdp_flush_and_free(struct tdp_vm *tdp);

/* tdp_fault.c */
int tdp_page_fault(struct kvmod_vm *vm, u64 gpa, bool write);

/* tdp_notifier.c */
int tdp_notifier_register(struct tdp_vm *tdp);
void tdp_notifier_unregister(struct tdp_vm *tdp);

/* tdp_vm.c: the MMU ops */
int tdp_vm_init(struct kvmod_vm *vm);
void tdp_vm_destroy(struct kvmod_vm *vm);
void tdp_zap_gfn_range(struct kvmod_vm *vm, u64 start, u64 end);
bool tdp_write_protect(struct kvmod_vm *vm, u64 gfn, u64 mask);
u64 tdp_root(struct kvmod_vm *vm);

#endif /* KVMOD_TDP_H */
