// SPDX-License-Identifier: GPL-2.0
/* Unit tests for vendor-intel/vmx_exit_names.c. */
#include "vmx_exit_names.h"
#include "unit.h"

TEST(vmx_exit_names_known)
{
	EXPECT_STREQ(vmx_exit_name(0), "EXCEPTION_NMI");
	EXPECT_STREQ(vmx_exit_name(1), "EXTERNAL_INTERRUPT");
	EXPECT_STREQ(vmx_exit_name(2), "TRIPLE_FAULT");
	EXPECT_STREQ(vmx_exit_name(10), "CPUID");
	EXPECT_STREQ(vmx_exit_name(12), "HLT");
	EXPECT_STREQ(vmx_exit_name(18), "VMCALL");
	EXPECT_STREQ(vmx_exit_name(28), "CR_ACCESS");
	EXPECT_STREQ(vmx_exit_name(29), "DR_ACCESS");
	EXPECT_STREQ(vmx_exit_name(30), "IO_INSTRUCTION");
	EXPECT_STREQ(vmx_exit_name(31), "MSR_READ");
	EXPECT_STREQ(vmx_exit_name(32), "MSR_WRITE");
	EXPECT_STREQ(vmx_exit_name(33), "INVALID_STATE");
	EXPECT_STREQ(vmx_exit_name(48), "EPT_VIOLATION");
	EXPECT_STREQ(vmx_exit_name(49), "EPT_MISCONFIG");
	EXPECT_STREQ(vmx_exit_name(54), "WBINVD");
	EXPECT_STREQ(vmx_exit_name(55), "XSETBV");
	EXPECT_STREQ(vmx_exit_name(75), "NOTIFY");
}

/* Reasons the SDM leaves unused or that have no name in the UAPI list. */
TEST(vmx_exit_names_unknown)
{
	EXPECT_NULL(vmx_exit_name(5));
	EXPECT_NULL(vmx_exit_name(6));
	EXPECT_NULL(vmx_exit_name(11));		/* GETSEC */
	EXPECT_NULL(vmx_exit_name(17));		/* RSM */
	EXPECT_NULL(vmx_exit_name(35));
	EXPECT_NULL(vmx_exit_name(38));
	EXPECT_NULL(vmx_exit_name(42));
	EXPECT_NULL(vmx_exit_name(76));
	EXPECT_NULL(vmx_exit_name(0xffff));
}

/* The failed-entry flag is not part of a basic exit reason. */
TEST(vmx_exit_names_flags)
{
	EXPECT_NULL(vmx_exit_name(0x80000021u));
	EXPECT_NULL(vmx_exit_name(0x80000000u));
}
