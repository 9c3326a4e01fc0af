// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers on VMX: core decides (core/debug.c), this file sets
 * GUEST_DR7, MOV-DR exiting and the #BP bit of the exception bitmap from
 * core's state. DR0-3 are loaded by hand before entry, and DR6 too while
 * the guest owns the registers (a #DB exit reports its conditions in the
 * exit qualification without touching DR6); VM exit saves DR7 in the
 * VMCS ("save debug controls").
 */
#include <linux/preempt.h>
#include <asm/debugreg.h>

#include "vmx.h"
#include "debugreg.h"

/*
 * #DB and #AC are intercepted and reflected, so that a guest cannot hang
 * the CPU in a microcode loop delivering them; a machine check belongs to
 * the host. #BP only for KVM_GUESTDBG_USE_SW_BP.
 */
/* #UD goes to core too: it turns a VMMCALL into a VMCALL. */
#define VMX_EXCEPTIONS	(BIT(DB_VECTOR) | BIT(AC_VECTOR) | BIT(MC_VECTOR) | \
			 BIT(UD_VECTOR))

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
	/* Written to the VMCS before the next entry (vmx_sync_guest()). */
	if (vcpu->debug.guest_owns)
		vmx->proc_ctls &= ~CPU_BASED_MOV_DR_EXITING;
	else
		vmx->proc_ctls |= CPU_BASED_MOV_DR_EXITING;
}

/**
 * vmx_debug_before_entry() - DR0-3, and DR6 when the guest owns them
 * @vcpu: the vCPU, its VMCS current, interrupts disabled
 *
 * After core raised the single-step trap of an instruction it emulated,
 * a BS the exit left in the pending debug exceptions would be a second
 * one (Bochs records it at instruction exits with RFLAGS.TF set).
 */
void vmx_debug_before_entry(struct kvmod_vcpu *vcpu)
{
	u64 pending;

	if (unlikely(vcpu->debug.insn_stepped)) {
		vcpu->debug.insn_stepped = false;
		pending = vmcs_read(GUEST_PENDING_DBG_EXCEPTIONS);
		if (pending & KVMOD_DR6_BS)
			vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS,
				   pending & ~KVMOD_DR6_BS);
	}
	if (unlikely(vcpu->debug.guest_owns))
		set_debugreg(vcpu->dr6, 6);
	kvmod_load_guest_db(vcpu);
}

/**
 * vmx_debug_after_exit() - take back what the guest owned
 * @vmx: the vCPU, its VMCS current, interrupts still disabled
 */
void vmx_debug_after_exit(struct vmx_vcpu *vmx)
{
	struct kvmod_vcpu *vcpu = vmx->vcpu;
	unsigned long dr6;

	if (likely(!vcpu->debug.guest_owns))
		return;
	get_debugreg(dr6, 6);
	if (kvmod_save_guest_db(vcpu, dr6, vmcs_read(GUEST_DR7)))
		vmx_write_debug(vmx);
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
