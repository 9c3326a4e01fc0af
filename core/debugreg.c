// SPDX-License-Identifier: GPL-2.0
/*
 * Debug-register arithmetic (see debugreg.h).
 */
#include "debugreg.h"

/**
 * kvmod_dr6_write() - what DR6 holds after the guest writes @val to it
 * @val: the value written (its low 32 bits count)
 * @rtm: the guest has RTM: bit 16 is writable, else it reads as one
 *
 * Return: the new DR6.
 */
u64 kvmod_dr6_write(u64 val, bool rtm)
{
	u64 fixed = KVMOD_DR6_FIXED_1;

	if (!rtm)
		fixed |= KVMOD_DR6_RTM;
	return (val & KVMOD_DR6_VOLATILE) | fixed;
}

/**
 * kvmod_dr7_write() - what DR7 holds after the guest writes @val to it
 * @val: the value written (its low 32 bits count)
 *
 * Return: the new DR7 (bit 10 set, bits 11, 12, 14 and 15 clear).
 */
u64 kvmod_dr7_write(u64 val)
{
	return (val & KVMOD_DR7_VOLATILE) | KVMOD_DR7_FIXED_1;
}

/**
 * kvmod_dr6_add_payload() - DR6 after a #DB that reports @payload
 * @dr6: DR6 before
 * @payload: the conditions the #DB reports (active high, see debugreg.h)
 *
 * B0-B3 start afresh with every #DB; BD, BS and BT stay set until
 * software clears them; bit 16 (RTM) shows the latest #DB, inverted.
 * Bit 12 is reserved in DR6 (a payload may carry it: "an enabled
 * breakpoint" in VMX's pending debug exceptions) and reads as zero.
 *
 * Return: the new DR6.
 */
u64 kvmod_dr6_add_payload(u64 dr6, u64 payload)
{
	dr6 &= ~KVMOD_DR6_B0_B3;
	dr6 |= KVMOD_DR6_ACTIVE_LOW;
	dr6 |= payload;
	dr6 ^= payload & KVMOD_DR6_ACTIVE_LOW;
	return dr6 & ~BIT_ULL(12);
}
