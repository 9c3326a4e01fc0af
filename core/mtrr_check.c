// SPDX-License-Identifier: GPL-2.0
/*
 * The memory-type range registers (SDM Vol. 3, 12.11): the MSR numbers of
 * the default type, the eleven fixed-range and the variable-range
 * registers, and the reserved bits and memory types that make a write
 * #GP.
 */
#include "mtrr_check.h"

#define MSR_MTRR_PHYS_BASE0	0x200
#define MSR_MTRR_FIX64K_00000	0x250
#define MSR_MTRR_FIX16K_80000	0x258
#define MSR_MTRR_FIX16K_A0000	0x259
#define MSR_MTRR_FIX4K_C0000	0x268
#define MSR_MTRR_FIX4K_F8000	0x26f
#define MSR_MTRR_DEF_TYPE	0x2ff

/* IA32_MTRR_DEF_TYPE: type in bits 7:0, FE bit 10, E bit 11. */
#define DEF_TYPE_VALID_BITS	0xcffULL

/**
 * kvmod_mtrr_slot() - where the value of an MTRR MSR is kept
 * @msr: an MSR index
 *
 * Return: the slot in struct kvmod_mtrr_state (KVMOD_MTRR_SLOT_*), or -1
 * when @msr is not a writable MTRR (IA32_MTRRCAP is read-only).
 */
int kvmod_mtrr_slot(u32 msr)
{
	if (msr == MSR_MTRR_DEF_TYPE)
		return KVMOD_MTRR_SLOT_DEFTYPE;
	if (msr == MSR_MTRR_FIX64K_00000)
		return KVMOD_MTRR_SLOT_FIXED;
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return KVMOD_MTRR_SLOT_FIXED + 1 + msr - MSR_MTRR_FIX16K_80000;
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr <= MSR_MTRR_FIX4K_F8000)
		return KVMOD_MTRR_SLOT_FIXED + 3 + msr - MSR_MTRR_FIX4K_C0000;
	if (msr >= MSR_MTRR_PHYS_BASE0 &&
	    msr < MSR_MTRR_PHYS_BASE0 + 2 * KVMOD_MTRR_NR_VAR)
		return KVMOD_MTRR_SLOT_VAR + msr - MSR_MTRR_PHYS_BASE0;
	return -1;
}

/* UC, WC, WT, WP and WB; 2, 3 and 7 and above are reserved. */
static bool type_valid(u8 type)
{
	return type < 7 && type != 2 && type != 3;
}

/**
 * kvmod_mtrr_value_valid() - may @val be written to the MTRR in @slot?
 * @slot: a slot from kvmod_mtrr_slot()
 * @val: the value
 * @maxphyaddr: the guest's physical-address width
 *
 * Return: false when a reserved bit is set or a memory type is reserved
 * (WRMSR then raises #GP).
 */
bool kvmod_mtrr_value_valid(int slot, u64 val, int maxphyaddr)
{
	u64 above_maxphy = maxphyaddr >= 64 ? 0 : ~0ULL << maxphyaddr;
	int i;

	if (slot == KVMOD_MTRR_SLOT_DEFTYPE)
		return !(val & ~DEF_TYPE_VALID_BITS) && type_valid(val & 0xff);
	if (slot >= KVMOD_MTRR_SLOT_FIXED && slot < KVMOD_MTRR_SLOT_VAR) {
		for (i = 0; i < 8; i++)
			if (!type_valid(val >> (i * 8)))
				return false;
		return true;
	}
	if (slot < KVMOD_MTRR_SLOT_VAR || slot >= KVMOD_MTRR_NR_SLOTS)
		return false;
	if ((slot - KVMOD_MTRR_SLOT_VAR) % 2 == 0)
		/* PHYSBASE: type in bits 7:0, bits 11:8 reserved. */
		return !(val & (above_maxphy | 0xf00)) && type_valid(val & 0xff);
	/* PHYSMASK: valid bit 11, bits 10:0 reserved. */
	return !(val & (above_maxphy | 0x7ff));
}
