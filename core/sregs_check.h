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
#define KVMOD_CR4_ALLOWED	(0x7ffULL | BIT_ULL(16) | BIT_ULL(17) | \
				 BIT_ULL(20) | BIT_ULL(21))

bool kvmod_sregs_valid(const struct kvm_sregs *s);

#endif /* KVMOD_SREGS_CHECK_H */
