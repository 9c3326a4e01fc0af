// SPDX-License-Identifier: GPL-2.0
/*
 * The architectural rules for XCR0 (what makes XSETBV raise #GP), applied
 * to what the guest's CPUID offers.
 */
#include "xcr0_check.h"

/* Components that the CPU enables only all together, or not at all. */
static bool all_or_none(u64 xcr0, u64 group)
{
	return (xcr0 & group) == 0 || (xcr0 & group) == group;
}

/**
 * kvmod_xcr0_valid() - may the guest load this XCR0?
 * @xcr0: the value
 * @guest_supported: the components the guest's CPUID (leaf 0xD) offers
 *	and kvmod can save; x87 is always allowed
 *
 * Return: true when XSETBV with @xcr0 succeeds; false when it is #GP.
 */
bool kvmod_xcr0_valid(u64 xcr0, u64 guest_supported)
{
	if (!(xcr0 & KVMOD_XFEATURE_FP))
		return false;
	if (xcr0 & ~(guest_supported | KVMOD_XFEATURE_FP))
		return false;
	/* Supervisor state is enabled in IA32_XSS, never in XCR0. */
	if (xcr0 & KVMOD_XFEATURE_SUPERVISOR)
		return false;
	/* AVX state needs SSE state. */
	if ((xcr0 & KVMOD_XFEATURE_YMM) && !(xcr0 & KVMOD_XFEATURE_SSE))
		return false;
	if (!all_or_none(xcr0, KVMOD_XFEATURE_BNDREGS | KVMOD_XFEATURE_BNDCSR))
		return false;
	if (xcr0 & KVMOD_XFEATURE_AVX512) {
		if (!(xcr0 & KVMOD_XFEATURE_YMM))
			return false;
		if (!all_or_none(xcr0, KVMOD_XFEATURE_AVX512))
			return false;
	}
	return all_or_none(xcr0, KVMOD_XFEATURE_XTILE);
}
