// SPDX-License-Identifier: GPL-2.0
/*
 * Names of VMX basic exit reasons, from the VMX_EXIT_REASONS list of the
 * <asm/vmx.h> UAPI header (the names perf and trace-cmd print for
 * kvm:kvm_exit on Intel). Pure logic: builds in the module and in host
 * unit tests.
 */
#include <asm/vmx.h>

#include "vmx_exit_names.h"

struct vmx_exit_name_entry {
	unsigned int reason;
	const char *name;
};

static const struct vmx_exit_name_entry vmx_exit_names[] = {
	VMX_EXIT_REASONS
};

/**
 * vmx_exit_name() - the name of a VMX basic exit reason
 * @reason: bits 15:0 of the exit reason
 *
 * Return: the name, or NULL for a reason without one (and for a value
 * with flag bits such as VMX_EXIT_REASONS_FAILED_VMENTRY set).
 */
const char *vmx_exit_name(u32 reason)
{
	size_t i;

	for (i = 0; i < KVMOD_ARRAY_SIZE(vmx_exit_names); i++)
		if (vmx_exit_names[i].reason == reason)
			return vmx_exit_names[i].name;
	return NULL;
}
