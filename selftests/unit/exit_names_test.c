// SPDX-License-Identifier: GPL-2.0
/* Unit tests for core/exit_names.c. */
#include <linux/kvm.h>

#include "exit_names.h"
#include "unit.h"

TEST(user_exit_names_known)
{
	EXPECT_STREQ(kvmod_user_exit_name(0), "unknown");
	EXPECT_STREQ(kvmod_user_exit_name(KVM_EXIT_IO), "io");
	EXPECT_STREQ(kvmod_user_exit_name(2), "io");
	EXPECT_STREQ(kvmod_user_exit_name(KVM_EXIT_HLT), "hlt");
	EXPECT_STREQ(kvmod_user_exit_name(6), "mmio");
	EXPECT_STREQ(kvmod_user_exit_name(9), "fail_entry");
	EXPECT_STREQ(kvmod_user_exit_name(KVM_EXIT_SHUTDOWN), "shutdown");
	EXPECT_STREQ(kvmod_user_exit_name(17), "internal_error");
	EXPECT_STREQ(kvmod_user_exit_name(24), "system_event");
	EXPECT_STREQ(kvmod_user_exit_name(29), "x86_rdmsr");
	EXPECT_STREQ(kvmod_user_exit_name(30), "x86_wrmsr");
}

TEST(user_exit_names_unknown)
{
	/* Holes in the table: other architectures' reasons. */
	EXPECT_NULL(kvmod_user_exit_name(13));		/* S390_SIEIC */
	EXPECT_NULL(kvmod_user_exit_name(15));		/* DCR */
	EXPECT_NULL(kvmod_user_exit_name(28));		/* ARM_NISV */
	/* Past the end. */
	EXPECT_NULL(kvmod_user_exit_name(31));
	EXPECT_NULL(kvmod_user_exit_name(1000));
	EXPECT_NULL(kvmod_user_exit_name(0xffffffffu));
}
