/* SPDX-License-Identifier: GPL-2.0 */
/* kvmod-mmu: nested page tables (guest-physical to host-physical). */
#ifndef KVMOD_NPT_H
#define KVMOD_NPT_H

#include "kvmod.h"

struct npt_vm {
	u64 *root;			/* top-level table (4 levels) */
	u64 *detached;			/* scratch copy of the root for zapping */
	unsigned long mapped_pages;	/* pinned guest pages */
	unsigned long table_pages;	/* page-table pages below the root */
};

int npt_vm_init(struct kvmod_vm *vm);
void npt_vm_destroy(struct kvmod_vm *vm);
int npt_page_fault(struct kvmod_vm *vm, u64 gpa, bool write);
void npt_zap_all(struct kvmod_vm *vm);
u64 npt_root(struct kvmod_vm *vm);

#endif /* KVMOD_NPT_H */
