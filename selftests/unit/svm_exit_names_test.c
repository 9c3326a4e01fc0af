// SPDX-License-Identifier: GPL-2.0
/* Unit tests for vendor-amd/svm_exit_names.c. */
#include "svm_exit_names.h"
#include "unit.h"

TEST(svm_exit_names_known)
{
	EXPECT_STREQ(svm_exit_name(0x000), "read_cr0");
	EXPECT_STREQ(svm_exit_name(0x04e), "PF excp");
	EXPECT_STREQ(svm_exit_name(0x060), "interrupt");
	EXPECT_STREQ(svm_exit_name(0x072), "cpuid");
	EXPECT_STREQ(svm_exit_name(0x078), "hlt");
	EXPECT_STREQ(svm_exit_name(0x07b), "io");
	EXPECT_STREQ(svm_exit_name(0x07c), "msr");
	EXPECT_STREQ(svm_exit_name(0x07f), "shutdown");
	EXPECT_STREQ(svm_exit_name(0x080), "vmrun");
	EXPECT_STREQ(svm_exit_name(0x081), "hypercall");	/* VMMCALL */
	EXPECT_STREQ(svm_exit_name(0x400), "npf");
	EXPECT_STREQ(svm_exit_name(0xffffffffu), "invalid_guest_state");
}

TEST(svm_exit_names_unknown)
{
	EXPECT_NULL(svm_exit_name(0x05f));
	EXPECT_NULL(svm_exit_name(0x0ff));
	EXPECT_NULL(svm_exit_name(0x3ff));
	EXPECT_NULL(svm_exit_name(0x500));
	EXPECT_NULL(svm_exit_name(0xfffffffeu));
}
