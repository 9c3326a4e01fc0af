/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Debug-register arithmetic: the fixed and writable bits of DR6 and DR7,
 * and how a #DB's new bits (its payload) combine with DR6. Pure logic:
 * builds into the module and into host unit tests unchanged.
 *
 * A payload has a bit set for each condition the #DB reports (B0-B3, BD,
 * BS, BT, and bit 16 for an RTM #DB although DR6 shows that one
 * inverted), as VMX's exit qualification and pending-debug-exceptions
 * field do.
 */
#ifndef KVMOD_DEBUGREG_H
#define KVMOD_DEBUGREG_H

#include "pure_types.h"

#define KVMOD_DR6_B0_B3		0xfULL
#define KVMOD_DR6_BD		BIT_ULL(13)
#define KVMOD_DR6_BS		BIT_ULL(14)
#define KVMOD_DR6_RTM		BIT_ULL(16)
/* DR6 with no condition reported: the reserved ones, and RTM (inverted). */
#define KVMOD_DR6_ACTIVE_LOW	0xffff0ff0ULL
/* Bits a write to DR6 keeps: B0-B3, BD, BS, BT, RTM. */
#define KVMOD_DR6_VOLATILE	0x0001e80fULL
/* Bits that always read as one (bit 16 too without RTM). */
#define KVMOD_DR6_FIXED_1	0xfffe0ff0ULL

#define KVMOD_DR7_GD		BIT_ULL(13)
/* L0-L3 and G0-G3: some breakpoint is armed. */
#define KVMOD_DR7_BP_EN		0xffULL
/* Bits a write to DR7 keeps: enables, LE/GE, RTM, GD, R/W and LEN. */
#define KVMOD_DR7_VOLATILE	0xffff2bffULL
#define KVMOD_DR7_FIXED_1	0x400ULL

/* DR6 and DR7 are 32 bits wide: a value above that is refused. */
static inline bool kvmod_dr_value_valid(u64 val)
{
	return !(val >> 32);
}

u64 kvmod_dr6_write(u64 val, bool rtm);
u64 kvmod_dr7_write(u64 val);
u64 kvmod_dr6_add_payload(u64 dr6, u64 payload);

#endif /* KVMOD_DEBUGREG_H */
