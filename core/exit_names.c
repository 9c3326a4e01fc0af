// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the KVM_EXIT_* reasons userspace sees.
 * Pure logic: no kernel dependencies beyond the UAPI header.
 */
#include <linux/kvm.h>

#include "exit_names.h"

static const char *const user_exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
};

/**
 * kvmod_user_exit_name() - the name of a KVM_EXIT_* reason
 * @reason: the exit reason
 *
 * Return: a short lower-case name, or NULL for an unknown reason.
 */
const char *kvmod_user_exit_name(u32 reason)
{
	if (reason >= KVMOD_ARRAY_SIZE(user_exit_names))
		return NULL;
	return user_exit_names[reason];
}
