// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers on VMX: core decides (core/debug.c), this file sets
 * GUEST_DR7 and the #BP bit of the exception bitmap from core's state.
 * DR0-3 are loaded by hand before entry (vmx_run.c); MOV DR always exits
 * and DR6 stays core's (a #DB exit reports its conditions in the exit
 * qualification without touching DR6).
 */
#include "vmx.h"

/*
 * #DB and #AC are intercepted and reflected, so that a guest cannot hang
 * the CPU in a microcode loop delivering them; a machine check belongs to
 * the host. #BP only for KVM_GUESTDBG_USE_SW_BP.
 */
#define VMX_EXCEPTIONS	(BIT(DB_VECTOR) | BIT(AC_VECTOR) | BIT(MC_VECTOR))

/**
 * vmx_write_debug() - GUEST_DR7 and the exception bitmap
 * @vmx: the vCPU, its VMCS current
 */
void vmx_write_debug(struct vmx_vcpu *vmx)
{
	struct kvmod_vcpu *vcpu = vmx->vcpu;
	u32 bitmap = VMX_EXCEPTIONS;

	if (vcpu->debug.control & KVM_GUESTDBG_USE_SW_BP)
		bitmap |= BIT(BP_VECTOR);
	vmcs_write(EXCEPTION_BITMAP, bitmap);
	vmcs_write(GUEST_DR7, vcpu->debug.hw_dr7);
}

/**
 * vmx_update_debug() - core's debug state changed
 * @vcpu: the vCPU
 */
void vmx_update_debug(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	vmx_write_debug(vmx);
	vmx_vmcs_put(vmx);
}
