// SPDX-License-Identifier: GPL-2.0
/*
 * SVM's side of event delivery: core chooses the event (core/events.c),
 * this turns it into EVENTINJ, and opens the windows core asks for.
 *
 * - Interrupt window: a virtual interrupt (V_IRQ) with the VINTR
 *   intercept; the CPU exits as soon as the guest could take it.
 * - NMI blocking: SVM does not track it for a guest, so kvmod does: an
 *   injected NMI blocks further NMIs until the handler's IRET, which is
 *   intercepted. The IRET exits before it runs, so NMIs are unblocked at
 *   the first exit with RIP elsewhere; when an NMI waits for that, the
 *   guest single-steps (TF) over the IRET to get that exit.
 * - The interrupt shadow (STI, MOV SS) is int_state bit 0.
 */
#include <asm/processor-flags.h>

#include "svm.h"

void svm_inject_event(struct kvmod_vcpu *vcpu, const struct kvmod_event *ev)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 inj = ev->vector | SVM_EVTINJ_VALID;

	switch (ev->type) {
	case KVMOD_EVENT_EXCEPTION:
		inj |= SVM_EVTINJ_TYPE_EXEPT;
		/* Real mode pushes no error codes. */
		if (ev->has_error && (svm->vmcb->save.cr0 & X86_CR0_PE))
			inj |= SVM_EVTINJ_VALID_ERR;
		break;
	case KVMOD_EVENT_NMI:
		inj |= SVM_EVTINJ_TYPE_NMI;
		break;
	case KVMOD_EVENT_IRQ:
		inj |= SVM_EVTINJ_TYPE_INTR;
		break;
	case KVMOD_EVENT_SOFT_IRQ:
		inj |= SVM_EVTINJ_TYPE_SOFT;
		break;
	}
	svm->event_inj = inj;
	svm->event_inj_err = ev->error;
}

static bool svm_in_shadow(struct svm_vcpu *svm)
{
	return svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

bool svm_nmi_allowed(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return !svm->nmi_masked && !svm_in_shadow(svm);
}

bool svm_get_nmi_mask(struct kvmod_vcpu *vcpu)
{
	return to_svm(vcpu)->nmi_masked;
}

static void svm_intercept(struct vmcb *vmcb, int bit, bool on)
{
	if (on)
		vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
	else
		vmcb->control.intercepts[bit / 32] &= ~BIT(bit % 32);
}

void svm_set_nmi_mask(struct kvmod_vcpu *vcpu, bool masked)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->nmi_masked = masked;
	svm->awaiting_iret = false;
	svm_intercept(svm->vmcb, INTERCEPT_IRET, masked);
}

void svm_set_windows(struct kvmod_vcpu *vcpu, bool irq, bool nmi)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	if (irq) {
		/* Priority 15, TPR ignored: only IF and the shadow block it. */
		ctl->int_vector = 0;
		ctl->int_ctl &= ~V_INTR_PRIO_MASK;
		ctl->int_ctl |= V_IRQ_MASK | V_IGN_TPR_MASK |
				(0xf << V_INTR_PRIO_SHIFT);
	} else {
		ctl->int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK);
	}
	svm_intercept(svm->vmcb, INTERCEPT_VINTR, irq);
	/*
	 * An NMI waits for the IRET intercept, unless that exit came and
	 * the IRET (or a shadow) still blocks it: then step one instruction.
	 */
	/*
	 * Not masked, yet not injected: a shadow or another event is in
	 * the way; after one instruction the NMI can go.
	 */
	if (nmi && !svm->nmi_singlestep &&
	    (svm->awaiting_iret || !svm->nmi_masked)) {
		svm->nmi_singlestep = true;
		svm->guest_tf = vcpu->rflags & X86_EFLAGS_TF;
	}
}

u8 svm_get_interrupt_shadow(struct kvmod_vcpu *vcpu)
{
	return svm_in_shadow(to_svm(vcpu)) ?
	       KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS : 0;
}

void svm_set_interrupt_shadow(struct kvmod_vcpu *vcpu, u8 shadow)
{
	struct vmcb_control_area *ctl = &to_svm(vcpu)->vmcb->control;

	if (shadow)
		ctl->int_state |= SVM_INTERRUPT_SHADOW_MASK;
	else
		ctl->int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
	vcpu->interrupt_shadow = shadow;
}

/**
 * svm_cancel_injection() - the entry was cancelled: give the event back
 * @vcpu: the vCPU
 *
 * Core handed over an event for this entry; it chooses again next time.
 */
void svm_cancel_injection(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 inj = svm->event_inj;
	struct kvmod_event ev = {
		.vector = inj & SVM_EVTINJ_VEC_MASK,
		.has_error = inj & SVM_EVTINJ_VALID_ERR,
		.error = svm->event_inj_err,
	};

	if (!(inj & SVM_EVTINJ_VALID))
		return;
	svm->event_inj = 0;
	switch (inj & SVM_EVTINJ_TYPE_MASK) {
	case SVM_EVTINJ_TYPE_NMI:
		ev.type = KVMOD_EVENT_NMI;
		break;
	case SVM_EVTINJ_TYPE_INTR:
		ev.type = KVMOD_EVENT_IRQ;
		break;
	case SVM_EVTINJ_TYPE_SOFT:
		ev.type = KVMOD_EVENT_SOFT_IRQ;
		break;
	default:
		ev.type = KVMOD_EVENT_EXCEPTION;
		break;
	}
	kvmod_event_interrupted(vcpu, &ev);
}

/**
 * svm_nmi_after_exit() - NMI blocking after an exit (the rare part)
 * @vcpu: the vCPU, waiting for an NMI handler's IRET or single-stepping
 */
void svm_nmi_after_exit(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->awaiting_iret && vcpu->rip != svm->iret_rip) {
		/* The NMI handler's IRET has run: NMIs are open again. */
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	}
	if (svm->nmi_singlestep && !svm->guest_tf)
		vcpu->rflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_RF);
}

/**
 * svm_nmi_singlestep_done() - was a #DB the end of kvmod's NMI step?
 * @vcpu: the vCPU, at a #DB intercept
 *
 * Return: true when the #DB is kvmod's own and must not reach the guest.
 */
bool svm_nmi_singlestep_done(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!svm->nmi_singlestep)
		return false;
	svm->nmi_singlestep = false;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return !svm->guest_tf;
}

int svm_exit_iret(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	/* The NMI window on SVM: KVM counts it here too. */
	vcpu->stat.nmi_window_exits++;
	svm_intercept(svm->vmcb, INTERCEPT_IRET, false);
	svm->awaiting_iret = true;
	svm->iret_rip = vcpu->rip;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return KVMOD_EXIT_RESUME;
}

int svm_exit_vintr(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_IGN_TPR_MASK);
	svm_intercept(svm->vmcb, INTERCEPT_VINTR, false);
	return kvmod_exit_irq_window(vcpu);
}
