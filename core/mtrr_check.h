/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MTRR MSRs: where each one's value is kept and which values a write
 * may carry. Pure logic: no kernel dependencies.
 */
#ifndef KVMOD_MTRR_CHECK_H
#define KVMOD_MTRR_CHECK_H

#include "pure_types.h"

/* Variable-range pairs offered to guests (IA32_MTRRCAP.VCNT). */
#define KVMOD_MTRR_NR_VAR	8
#define KVMOD_MTRR_NR_FIXED	11

/*
 * IA32_MTRRCAP: VCNT pairs, fixed ranges (bit 8) and write-combining
 * (bit 10); no SMRR.
 */
#define KVMOD_MTRR_CAP		(0x500ULL | KVMOD_MTRR_NR_VAR)

/* Slots of struct kvmod_mtrr_state, in kvmod_mtrr_slot()'s numbering. */
#define KVMOD_MTRR_SLOT_DEFTYPE	0
#define KVMOD_MTRR_SLOT_FIXED	1
#define KVMOD_MTRR_SLOT_VAR	(KVMOD_MTRR_SLOT_FIXED + KVMOD_MTRR_NR_FIXED)
#define KVMOD_MTRR_NR_SLOTS	(KVMOD_MTRR_SLOT_VAR + 2 * KVMOD_MTRR_NR_VAR)

/* A vCPU's writable MTRRs, one u64 per slot. */
struct kvmod_mtrr_state {
	u64 slot[KVMOD_MTRR_NR_SLOTS];
};

int kvmod_mtrr_slot(u32 msr);
bool kvmod_mtrr_value_valid(int slot, u64 val, int maxphyaddr);

#endif /* KVMOD_MTRR_CHECK_H */
