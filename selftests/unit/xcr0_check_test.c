// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/xcr0_check.c. */
#include "xcr0_check.h"
#include "unit.h"

#define FP	KVMOD_XFEATURE_FP
#define SSE	KVMOD_XFEATURE_SSE
#define YMM	KVMOD_XFEATURE_YMM
#define BNDR	KVMOD_XFEATURE_BNDREGS
#define BNDC	KVMOD_XFEATURE_BNDCSR
#define OPMASK	BIT_ULL(5)
#define AVX512	KVMOD_XFEATURE_AVX512
#define XTILE	KVMOD_XFEATURE_XTILE

TEST(xcr0_x87_is_required)
{
	EXPECT_TRUE(kvmod_xcr0_valid(FP, FP));
	EXPECT_FALSE(kvmod_xcr0_valid(0, FP | SSE));
	EXPECT_FALSE(kvmod_xcr0_valid(SSE, FP | SSE));
	/* x87 alone is valid even when CPUID offers nothing. */
	EXPECT_TRUE(kvmod_xcr0_valid(FP, 0));
}

TEST(xcr0_only_supported_components)
{
	EXPECT_TRUE(kvmod_xcr0_valid(FP | SSE, FP | SSE));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | SSE | YMM, FP | SSE | YMM));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | SSE | YMM, FP | SSE));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | (1ULL << 63), ~0ULL >> 1));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | (1ULL << 8), ~0ULL));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | (1ULL << 11), ~0ULL));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | (1ULL << 9), ~0ULL));
}

TEST(xcr0_ymm_needs_sse)
{
	EXPECT_FALSE(kvmod_xcr0_valid(FP | YMM, FP | SSE | YMM));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | SSE, FP | SSE | YMM));
}

TEST(xcr0_groups_all_or_none)
{
	u64 all = ~0ULL;

	EXPECT_FALSE(kvmod_xcr0_valid(FP | BNDR, all));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | BNDC, all));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | BNDR | BNDC, all));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | SSE | YMM | OPMASK, all));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | SSE | AVX512, all));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | SSE | YMM | AVX512, all));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | (1ULL << 17), all));
	EXPECT_FALSE(kvmod_xcr0_valid(FP | (1ULL << 18), all));
	EXPECT_TRUE(kvmod_xcr0_valid(FP | XTILE, all));
}
