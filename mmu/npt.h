/* SPDX-License-Identifier: GPL-2.0 */
/* kvmod-mmu: nested page tables (guest-physical to host-physical). */
#ifndef KVMOD_NPT_H
#define KVMOD_NPT_H

#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>

#include "kvmod.h"

struct npt_vm {
	struct kvmod_vm *vm;
	struct mmu_notifier mn;		/* the owner's mm */
	spinlock_t lock;		/* the tables and the fields below */
	u64 *root;			/* top-level table (4 levels) */
	unsigned long invalidate_seq;	/* bumped at each invalidation end */
	int invalidate_active;		/* invalidations in progress */
	u64 *cache[3];			/* zeroed table pages for faults */
	int ncache;			/* (used under vm->slots_lock) */
	unsigned long mapped_pages;	/* present leaf entries */
	unsigned long table_pages;	/* page-table pages below the root */
};

int npt_vm_init(struct kvmod_vm *vm);
void npt_vm_destroy(struct kvmod_vm *vm);
int npt_page_fault(struct kvmod_vm *vm, u64 gpa, bool write);
void npt_zap_all(struct kvmod_vm *vm);
u64 npt_root(struct kvmod_vm *vm);

#endif /* KVMOD_NPT_H */
