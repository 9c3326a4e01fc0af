// SPDX-License-Identifier: GPL-2.0
/*
 * The checks KVM_SET_SREGS makes before any state reaches the hardware:
 * reserved bits and combinations of CR0, CR4 and EFER that no CPU can
 * be in. What only the hardware checks (segment attributes and so on)
 * is reported by the vendor as KVM_EXIT_FAIL_ENTRY instead.
 */
#include "pagewalk.h"
#include "sregs_check.h"

#define CR0_CD		BIT_ULL(30)
#define CR0_NW		BIT_ULL(29)

/**
 * kvmod_cr4_allowed() - the CR4 bits a CPU with these features has
 * @leaf1_ecx: its CPUID.1:ECX
 * @leaf7_ebx: its CPUID.(7,0):EBX
 *
 * The bits of KVMOD_CR4_ALLOWED that need a CPUID feature are reserved
 * without it (as KVM's CR4 reserved bits): OSXSAVE needs XSAVE, PCIDE
 * PCID, FSGSBASE, SMEP and SMAP their leaf-7 bits.
 *
 * Return: the CR4 bits that may be set.
 */
u64 kvmod_cr4_allowed(u32 leaf1_ecx, u32 leaf7_ebx)
{
	u64 allowed = KVMOD_CR4_ALLOWED;

	if (!(leaf1_ecx & BIT(26)))
		allowed &= ~KVMOD_CR4_OSXSAVE;
	if (!(leaf1_ecx & BIT(17)))
		allowed &= ~KVMOD_CR4_PCIDE;
	if (!(leaf7_ebx & BIT(0)))
		allowed &= ~KVMOD_CR4_FSGSBASE;
	if (!(leaf7_ebx & BIT(7)))
		allowed &= ~KVMOD_CR4_SMEP;
	if (!(leaf7_ebx & BIT(20)))
		allowed &= ~KVMOD_CR4_SMAP;
	return allowed;
}

/**
 * kvmod_sregs_valid() - may these special registers be loaded at all?
 * @s: the registers userspace passed to KVM_SET_SREGS
 *
 * Return: true when the CR0/CR4/EFER combination is architecturally valid.
 */
bool kvmod_sregs_valid(const struct kvm_sregs *s)
{
	bool paging = s->cr0 & KVMOD_CR0_PG;

	if (s->cr0 >> 32)
		return false;
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		return false;
	if (paging && !(s->cr0 & KVMOD_CR0_PE))
		return false;
	if (s->cr4 & ~KVMOD_CR4_ALLOWED)
		return false;
	if (s->efer & ~KVMOD_EFER_ALLOWED)
		return false;

	if ((s->efer & KVMOD_EFER_LME) && paging) {
		if (!(s->cr4 & KVMOD_CR4_PAE) || !(s->efer & KVMOD_EFER_LMA))
			return false;
		/* CR3 beyond 52 physical-address bits. */
		if (s->cr3 >> 52)
			return false;
	} else {
		if ((s->efer & KVMOD_EFER_LMA) || s->cs.l)
			return false;
	}
	return true;
}
