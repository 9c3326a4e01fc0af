/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness from the kernel source tree (found through the
 * include path).  The tests build with -Wall -Wextra -Werror; two -Wextra
 * warnings are off in files that use the harness, because its macros
 * trigger them in every test: each TEST() function gets a "variant"
 * parameter it may not use (-Wunused-parameter), and ASSERT_EQ() and
 * friends compare "expected" and "seen" of whatever types they are given,
 * e.g. KVM_EXIT_HLT (int) against kvm_run->exit_reason (__u32)
 * (-Wsign-compare).  The helper library builds with both on.
 *
 * The ASSERT/EXPECT macros end in a for statement (for the optional
 * TH_LOG), so put braces around them in the arms of if/else and loops.
 */
#ifndef KVMOD_SELFTESTS_KT_HARNESS_H
#define KVMOD_SELFTESTS_KT_HARNESS_H

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include "kselftest_harness.h"

/* Skip the test unless KVM_CHECK_EXTENSION on @fd reports @cap. */
#define KT_REQUIRE_CAP(fd, cap)						\
	do {								\
		if (kt_check_cap(fd, cap) <= 0)				\
			SKIP(return, #cap " not reported");		\
	} while (0)

#endif /* KVMOD_SELFTESTS_KT_HARNESS_H */
