// SPDX-License-Identifier: GPL-2.0
/*
 * VMX's side of event delivery: core chooses the event (core/events.c),
 * this writes the VM-entry interruption information and opens the
 * windows core asks for with interrupt-window and NMI-window exiting.
 * With virtual NMIs (a pin-based control) the CPU itself tracks NMI
 * blocking in the guest interruptibility state until the handler's IRET.
 */
#include <asm/processor-flags.h>

#include "vmx.h"

void vmx_inject_event(struct kvmod_vcpu *vcpu, const struct kvmod_event *ev)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = ev->vector | INTR_INFO_VALID_MASK;
	u32 len = 0;
	u64 cr0;

	switch (ev->type) {
	case KVMOD_EVENT_EXCEPTION:
		info |= INTR_TYPE_HARD_EXCEPTION;
		/* Real mode pushes no error codes, and VM entry insists. */
		if (ev->has_error) {
			vmx_vmcs_get(vmx);
			cr0 = vmcs_read(GUEST_CR0);
			vmx_vmcs_put(vmx);
			if (cr0 & X86_CR0_PE)
				info |= INTR_INFO_DELIVER_CODE_MASK;
		}
		break;
	case KVMOD_EVENT_NMI:
		/* VM entry blocks NMIs itself when it delivers one. */
		if (vmx->intr_state & GUEST_INTR_STATE_NMI) {
			vmx->intr_state &= ~GUEST_INTR_STATE_NMI;
			vmx->intr_state_dirty = true;
		}
		info |= INTR_TYPE_NMI_INTR;
		break;
	case KVMOD_EVENT_IRQ:
		/*
		 * VM entry refuses an external interrupt while the guest
		 * cannot take one (KVM_INTERRUPT does not wait for IF): it
		 * waits for the interrupt window instead.
		 */
		if (!vmx_interrupt_allowed(vcpu)) {
			kvmod_event_deferred(vcpu, ev);
			return;
		}
		info |= INTR_TYPE_EXT_INTR;
		break;
	case KVMOD_EVENT_SOFT_IRQ:
		info |= INTR_TYPE_SOFT_INTR;
		len = ev->insn_len;
		break;
	}
	vmx->event_inj = info;
	vmx->event_inj_err = ev->error;
	vmx->event_inj_len = len;
}

static bool vmx_in_shadow(struct vmx_vcpu *vmx)
{
	return vmx->intr_state & (GUEST_INTR_STATE_STI |
				  GUEST_INTR_STATE_MOV_SS);
}

bool vmx_interrupt_allowed(struct kvmod_vcpu *vcpu)
{
	return (vcpu->rflags & X86_EFLAGS_IF) && !vmx_in_shadow(to_vmx(vcpu));
}

bool vmx_nmi_allowed(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return !vmx_in_shadow(vmx) && !(vmx->intr_state & GUEST_INTR_STATE_NMI);
}

bool vmx_get_nmi_mask(struct kvmod_vcpu *vcpu)
{
	return to_vmx(vcpu)->intr_state & GUEST_INTR_STATE_NMI;
}

void vmx_set_nmi_mask(struct kvmod_vcpu *vcpu, bool masked)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 state = vmx->intr_state & ~GUEST_INTR_STATE_NMI;

	/* Without virtual NMIs the CPU keeps no such state for a guest. */
	if (masked && (vmx_caps.pin & PIN_BASED_VIRTUAL_NMIS))
		state |= GUEST_INTR_STATE_NMI;
	if (state != vmx->intr_state) {
		vmx->intr_state = state;
		vmx->intr_state_dirty = true;
	}
}

void vmx_set_windows(struct kvmod_vcpu *vcpu, bool irq, bool nmi)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 ctl = vmx->proc_ctls & ~(CPU_BASED_INTR_WINDOW_EXITING |
				     CPU_BASED_NMI_WINDOW_EXITING);

	if (irq)
		ctl |= CPU_BASED_INTR_WINDOW_EXITING;
	if (nmi && (vmx_caps.pin & PIN_BASED_VIRTUAL_NMIS))
		ctl |= CPU_BASED_NMI_WINDOW_EXITING;
	vmx->proc_ctls = ctl;
}

u8 vmx_get_interrupt_shadow(struct kvmod_vcpu *vcpu)
{
	u32 state = to_vmx(vcpu)->intr_state;
	u8 shadow = 0;

	if (state & GUEST_INTR_STATE_STI)
		shadow |= KVM_X86_SHADOW_INT_STI;
	if (state & GUEST_INTR_STATE_MOV_SS)
		shadow |= KVM_X86_SHADOW_INT_MOV_SS;
	return shadow;
}

void vmx_set_interrupt_shadow(struct kvmod_vcpu *vcpu, u8 shadow)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 state = vmx->intr_state & ~(GUEST_INTR_STATE_STI |
					GUEST_INTR_STATE_MOV_SS);

	if (shadow & KVM_X86_SHADOW_INT_STI)
		state |= GUEST_INTR_STATE_STI;
	if (shadow & KVM_X86_SHADOW_INT_MOV_SS)
		state |= GUEST_INTR_STATE_MOV_SS;
	if (state != vmx->intr_state) {
		vmx->intr_state = state;
		vmx->intr_state_dirty = true;
	}
	vcpu->interrupt_shadow = shadow;
}
