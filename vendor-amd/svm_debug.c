// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers on SVM: core decides (core/debug.c), this file sets
 * the VMCB's DR7, the MOV DR and #BP intercepts and turns #DB/#BP
 * intercepts into core's calls. DR0-3 are loaded by hand before VMRUN
 * (svm_run.c). DR6 in the VMCB is the guest's while it owns the debug
 * registers; otherwise it starts every run at its no-condition value, so
 * that after a #DB its set bits are that #DB's conditions.
 */
#include "svm.h"
#include "debugreg.h"

/**
 * svm_update_debug() - the VMCB's DR7 and #BP intercept from core's state
 * @vcpu: the vCPU
 */
void svm_update_debug(struct kvmod_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u32 *excp = &vmcb->control.intercepts[INTERCEPT_EXCEPTION];

	vmcb->save.dr7 = vcpu->debug.hw_dr7;
	/* All reads and writes of DR0-15 exit, or none. */
	vmcb->control.intercepts[INTERCEPT_DR] =
		vcpu->debug.guest_owns ? 0 : 0xffffffff;
	if (vcpu->debug.control & KVM_GUESTDBG_USE_SW_BP)
		*excp |= BIT(BP_VECTOR);
	else
		*excp &= ~BIT(BP_VECTOR);
}

/**
 * svm_debug_load() - the guest's DR0-3 and DR6 for the entry (svm.h's
 *	svm_debug_before_entry() when a breakpoint is armed or the guest
 *	owns the registers)
 * @vcpu: the vCPU, interrupts disabled
 */
void svm_debug_load(struct kvmod_vcpu *vcpu)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	save->dr6 = vcpu->debug.guest_owns ? vcpu->dr6 : KVMOD_DR6_ACTIVE_LOW;
	kvmod_debug_load_db(vcpu);
}

/**
 * svm_debug_save() - take back what the guest owned (svm.h's
 *	svm_debug_after_exit())
 * @vcpu: the vCPU, interrupts still disabled
 */
void svm_debug_save(struct kvmod_vcpu *vcpu)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	kvmod_debug_save_db(vcpu, save->dr6, save->dr7);
	svm_update_debug(vcpu);
}

/**
 * svm_exit_db() - a #DB intercept
 * @vcpu: the vCPU
 *
 * Return: what core's handling says.
 */
int svm_exit_db(struct kvmod_vcpu *vcpu)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;
	u64 payload = (save->dr6 ^ KVMOD_DR6_ACTIVE_LOW) & 0xffffffff;

	/* kvmod's own step over an NMI handler's IRET, unless userspace's. */
	if (svm_nmi_singlestep_done(vcpu) &&
	    !(vcpu->debug.control & KVM_GUESTDBG_SINGLESTEP))
		return KVMOD_EXIT_RESUME;
	return kvmod_handle_db(vcpu, payload);
}

/**
 * svm_exit_bp() - a #BP intercept (KVM_GUESTDBG_USE_SW_BP)
 * @vcpu: the vCPU, RIP at the INT3
 *
 * Return: what core's handling says.
 */
int svm_exit_bp(struct kvmod_vcpu *vcpu)
{
	return kvmod_handle_bp(vcpu);
}
