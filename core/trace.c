// SPDX-License-Identifier: GPL-2.0
/*
 * Instantiates the kvm:* and kvmod:* tracepoints.
 *
 * The kvm:* tracepoints are not exported: in-tree kvm.ko exports symbols
 * of the same names, and depmod must never confuse the two. Components
 * fire them through the functions below instead; for the per-exit pair,
 * behind the static key kvmod_trace_exits, which is on only while
 * kvm_entry or kvm_exit has a probe, so disabled tracing costs a no-op.
 */
#include <linux/jump_label.h>
#include <linux/module.h>

#define CREATE_TRACE_POINTS
#include "trace_kvm.h"
#include "trace_kvmod.h"

#include "kvmod.h"

DEFINE_STATIC_KEY_FALSE(kvmod_trace_exits);
EXPORT_SYMBOL_GPL(kvmod_trace_exits);

int kvmod_trace_exits_reg(void)
{
	static_branch_inc(&kvmod_trace_exits);
	return 0;
}

void kvmod_trace_exits_unreg(void)
{
	static_branch_dec(&kvmod_trace_exits);
}

/**
 * kvmod_trace_kvm_entry() - fire kvm:kvm_entry
 * @vcpu: the vCPU about to enter the guest
 */
void kvmod_trace_kvm_entry(struct kvmod_vcpu *vcpu)
{
	trace_kvm_entry(vcpu->id, vcpu->rip, false);
}
EXPORT_SYMBOL_GPL(kvmod_trace_kvm_entry);

/**
 * kvmod_trace_kvm_exit() - fire kvm:kvm_exit
 * @vcpu: the vCPU that left the guest
 * @isa: KVMOD_ISA_SVM or KVMOD_ISA_VMX
 *
 * The exit's details come from the vendor's get_exit_info op.
 */
void kvmod_trace_kvm_exit(struct kvmod_vcpu *vcpu, u32 isa)
{
	u32 reason, intr_info, error_code;
	u64 info1, info2;

	vcpu->vm->vendor->get_exit_info(vcpu, &reason, &info1, &info2,
					&intr_info, &error_code);
	trace_kvm_exit(vcpu->id, isa, reason, vcpu->rip, info1, info2,
		       intr_info, error_code);
}
EXPORT_SYMBOL_GPL(kvmod_trace_kvm_exit);

/**
 * kvmod_trace_msr() - fire kvm:kvm_msr and kvmod:kvmod_msr
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @data: the value read or written
 * @write: WRMSR (true) or RDMSR
 * @fault: the access raised #GP
 */
void kvmod_trace_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 data, bool write,
		     bool fault)
{
	trace_kvm_msr(write, msr, data, fault);
	trace_kvmod_msr(vcpu->id, msr, data, write, fault);
}
EXPORT_SYMBOL_GPL(kvmod_trace_msr);

EXPORT_TRACEPOINT_SYMBOL_GPL(kvmod_page_fault);
EXPORT_TRACEPOINT_SYMBOL_GPL(kvmod_inj_exception);
EXPORT_TRACEPOINT_SYMBOL_GPL(kvmod_hypercall);
