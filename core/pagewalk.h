/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker: guest-virtual (linear) to guest-physical.
 *
 * Pure logic: no kernel dependencies. Guest memory is read through a
 * callback, so the same code runs in kvmod.ko and in host unit tests.
 */
#ifndef KVMOD_PAGEWALK_H
#define KVMOD_PAGEWALK_H

#include "pure_types.h"

/* Control-register bits the walker looks at. */
#define KVMOD_CR0_PE		BIT_ULL(0)
#define KVMOD_CR0_WP		BIT_ULL(16)
#define KVMOD_CR0_PG		BIT_ULL(31)
#define KVMOD_CR4_PSE		BIT_ULL(4)
#define KVMOD_CR4_PAE		BIT_ULL(5)
#define KVMOD_CR4_LA57		BIT_ULL(12)
#define KVMOD_EFER_LME		BIT_ULL(8)
#define KVMOD_EFER_LMA		BIT_ULL(10)
#define KVMOD_EFER_NXE		BIT_ULL(11)

/* Kind of access; the bits match the x86 page-fault error code. */
#define KVMOD_ACC_WRITE		BIT(1)
#define KVMOD_ACC_USER		BIT(2)
#define KVMOD_ACC_FETCH		BIT(4)

/* Page-fault error code bits reported on a failed walk. */
#define KVMOD_PF_PRESENT	BIT(0)
#define KVMOD_PF_WRITE		BIT(1)
#define KVMOD_PF_USER		BIT(2)
#define KVMOD_PF_RSVD		BIT(3)
#define KVMOD_PF_FETCH		BIT(4)

/* The paging state of a guest vCPU. */
struct kvmod_paging {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
};

/*
 * Read @len bytes of guest-physical memory at @gpa into @buf.
 * Returns 0, or a negative value when the address is not backed.
 */
typedef int (*kvmod_read_gpa_t)(void *ctx, u64 gpa, void *buf,
				unsigned int len);

enum kvmod_walk_result {
	KVMOD_WALK_OK = 0,
	KVMOD_WALK_PAGE_FAULT = 1,	/* *error holds the #PF error code */
	KVMOD_WALK_NO_MEMORY = 2,	/* a table is not in guest memory */
	KVMOD_WALK_NONCANONICAL = 3,	/* a #GP, not a #PF */
};

int kvmod_walk_gva(const struct kvmod_paging *pg, u64 gva, u32 access,
		   kvmod_read_gpa_t read, void *ctx, u64 *gpa, u32 *error);

#endif /* KVMOD_PAGEWALK_H */
