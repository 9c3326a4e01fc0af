// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table entry formats of two-dimensional paging.
 *
 * AMD NPT uses ordinary x86-64 entries, and the nested walk is a user
 * access, so every level needs P, RW and US; A is preset so the hardware
 * need not write it. Intel EPT entries say R, W and X, and a leaf carries
 * the memory type: write-back, with the guest's PAT ignored, as for any
 * ordinary RAM. A and D (bits 8 and 9) are preset too; they are ignored
 * when the EPT pointer does not enable accessed/dirty flags.
 */
#include <linux/bits.h>

#include "tdp.h"

#define X86_P		BIT_ULL(0)
#define X86_RW		BIT_ULL(1)
#define X86_US		BIT_ULL(2)
#define X86_A		BIT_ULL(5)
#define X86_D		BIT_ULL(6)
#define X86_PS		BIT_ULL(7)

#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_MT_WB	(6ULL << 3)
#define EPT_IPAT	BIT_ULL(6)
#define EPT_LARGE	BIT_ULL(7)
#define EPT_A		BIT_ULL(8)
#define EPT_D		BIT_ULL(9)

static const struct tdp_format tdp_format_npt = {
	.present = X86_P,
	.table = X86_P | X86_RW | X86_US | X86_A,
	.leaf = X86_P | X86_US | X86_A,
	.write = X86_RW,
	.dirty = X86_D,
	.large = X86_PS,
};

static const struct tdp_format tdp_format_ept = {
	.present = EPT_R | EPT_W | EPT_X,
	.table = EPT_R | EPT_W | EPT_X,
	.leaf = EPT_R | EPT_X | EPT_MT_WB | EPT_IPAT | EPT_A,
	.write = EPT_W,
	.dirty = EPT_D,
	.large = EPT_LARGE,
};

/* The entry format for @format, or NULL when the MMU has none. */
const struct tdp_format *tdp_format_get(enum kvmod_pt_format format)
{
	switch (format) {
	case KVMOD_PT_X86_64:
		return &tdp_format_npt;
	case KVMOD_PT_EPT:
		return &tdp_format_ept;
	}
	return NULL;
}
