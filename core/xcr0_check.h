/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which XCR0 values a guest may load (XSETBV, KVM_SET_XCRS). Pure logic:
 * no kernel dependencies.
 */
#ifndef KVMOD_XCR0_CHECK_H
#define KVMOD_XCR0_CHECK_H

#include "pure_types.h"

/* XCR0 state components (SDM Vol. 1, 13.1). */
#define KVMOD_XFEATURE_FP		BIT_ULL(0)
#define KVMOD_XFEATURE_SSE		BIT_ULL(1)
#define KVMOD_XFEATURE_YMM		BIT_ULL(2)
#define KVMOD_XFEATURE_BNDREGS		BIT_ULL(3)
#define KVMOD_XFEATURE_BNDCSR		BIT_ULL(4)
#define KVMOD_XFEATURE_AVX512		(BIT_ULL(5) | BIT_ULL(6) | BIT_ULL(7))
#define KVMOD_XFEATURE_PKRU		BIT_ULL(9)
#define KVMOD_XFEATURE_XTILE		(BIT_ULL(17) | BIT_ULL(18))
/* Supervisor components (PT, PASID, CET, HDC, UINTR, LBR, HWP): IA32_XSS. */
#define KVMOD_XFEATURE_SUPERVISOR	(BIT_ULL(8) | (0x7fULL << 10))

bool kvmod_xcr0_valid(u64 xcr0, u64 guest_supported);

#endif /* KVMOD_XCR0_CHECK_H */
