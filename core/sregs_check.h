/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Architectural validity of a struct kvm_sregs, checked before a vendor
 * sees it. Pure logic: no kernel dependencies beyond the UAPI header.
 */
#ifndef KVMOD_SREGS_CHECK_H
#define KVMOD_SREGS_CHECK_H

#include <linux/kvm.h>

#include "pure_types.h"

/* EFER and CR4 bits a kvmod guest may have set. */
#define KVMOD_EFER_SCE		BIT_ULL(0)
#define KVMOD_EFER_ALLOWED	(KVMOD_EFER_SCE | KVMOD_EFER_LME | \
				 KVMOD_EFER_LMA | KVMOD_EFER_NXE)
#define KVMOD_CR4_FSGSBASE	BIT_ULL(16)
#define KVMOD_CR4_PCIDE		BIT_ULL(17)
#define KVMOD_CR4_OSXSAVE	BIT_ULL(18)
#define KVMOD_CR4_SMEP		BIT_ULL(20)
#define KVMOD_CR4_SMAP		BIT_ULL(21)
#define KVMOD_CR4_ALLOWED	(0x7ffULL | KVMOD_CR4_FSGSBASE | \
				 KVMOD_CR4_PCIDE | KVMOD_CR4_OSXSAVE | \
				 KVMOD_CR4_SMEP | KVMOD_CR4_SMAP)

bool kvmod_sregs_valid(const struct kvm_sregs *s);
u64 kvmod_cr4_allowed(u32 leaf1_ecx, u32 leaf7_ebx);

#endif /* KVMOD_SREGS_CHECK_H */
