// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the guest: exceptions, NMIs and maskable interrupts.
 *
 * Core keeps them (struct kvmod_vcpu_events) and decides, before every
 * entry, which one the vendor delivers: first an event whose delivery an
 * exit interrupted, then an exception, then an NMI when NMIs are not
 * blocked, then an interrupt (from KVM_INTERRUPT or the in-kernel
 * irqchip) when the guest accepts one. What cannot be delivered yet opens
 * a window: the vendor makes the guest exit as soon as it could.
 *
 * Two exceptions meet as on hardware: a contributory exception during
 * another, or a #PF or contributory one during a #PF, become a #DF; any
 * exception during a #DF is a triple fault (KVM_EXIT_SHUTDOWN).
 */
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "registry.h"
#include "debugreg.h"
#include "trace_kvmod.h"

enum exception_class {
	EXC_BENIGN,
	EXC_CONTRIBUTORY,
	EXC_PAGE_FAULT,
};

static enum exception_class exception_class(u8 vector)
{
	switch (vector) {
	case X86_TRAP_DE:
	case X86_TRAP_TS:
	case X86_TRAP_NP:
	case X86_TRAP_SS:
	case X86_TRAP_GP:
		return EXC_CONTRIBUTORY;
	case X86_TRAP_PF:
		return EXC_PAGE_FAULT;
	default:
		return EXC_BENIGN;
	}
}

static void queue_exception(struct kvmod_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error, bool has_payload,
			    u64 payload)
{
	typeof(vcpu->ev.exception) *e = &vcpu->ev.exception;
	enum exception_class prev, next;

	if (e->pending || e->injected) {
		if (e->vector == X86_TRAP_DF) {
			kvmod_make_request(vcpu, KVMOD_REQ_TRIPLE_FAULT);
			return;
		}
		prev = exception_class(e->vector);
		next = exception_class(vector);
		if ((prev == EXC_CONTRIBUTORY && next == EXC_CONTRIBUTORY) ||
		    (prev == EXC_PAGE_FAULT && next != EXC_BENIGN)) {
			vector = X86_TRAP_DF;
			has_error = true;
			error = 0;
			has_payload = false;
			payload = 0;
		}
		/* Otherwise the new one wins; the first recurs if it must. */
	}
	e->pending = true;
	e->injected = false;
	e->vector = vector;
	e->has_error = has_error;
	e->error = error;
	e->has_payload = has_payload;
	e->payload = payload;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
}

/**
 * kvmod_queue_exception() - make the guest take an exception
 * @vcpu: the vCPU
 * @vector: exception vector
 * @has_error: whether it pushes an error code (not in real mode: the
 *	vendor drops it there)
 * @error: the error code
 *
 * Delivered at the next entry, merged with an exception already on its
 * way as the CPU would (#DF, triple fault).
 */
void kvmod_queue_exception(struct kvmod_vcpu *vcpu, u8 vector,
			   bool has_error, u32 error)
{
	queue_exception(vcpu, vector, has_error, error, false, 0);
}
EXPORT_SYMBOL_GPL(kvmod_queue_exception);

/**
 * kvmod_queue_page_fault() - make the guest take a #PF
 * @vcpu: the vCPU
 * @cr2: the faulting linear address, written to CR2 when it is delivered
 * @error: the #PF error code
 */
void kvmod_queue_page_fault(struct kvmod_vcpu *vcpu, u64 cr2, u32 error)
{
	vcpu->stat.pf_guest++;
	queue_exception(vcpu, X86_TRAP_PF, true, error, true, cr2);
}
EXPORT_SYMBOL_GPL(kvmod_queue_page_fault);

/**
 * kvmod_event_deferred() - the vendor cannot deliver an event now
 * @vcpu: the vCPU
 * @ev: the event core handed over this entry
 *
 * It goes back to core's state, to be delivered when the window core asks
 * for opens (VM entry refuses an interrupt while IF is 0 on VMX).
 */
void kvmod_event_deferred(struct kvmod_vcpu *vcpu,
			  const struct kvmod_event *ev)
{
	struct kvmod_vcpu_events *e = &vcpu->ev;

	switch (ev->type) {
	case KVMOD_EVENT_EXCEPTION:
		e->exception.injected = true;
		e->exception.pending = false;
		e->exception.vector = ev->vector;
		e->exception.has_error = ev->has_error;
		e->exception.error = ev->error;
		e->exception.has_payload = false;
		break;
	case KVMOD_EVENT_NMI:
		e->nmi.injected = true;
		break;
	case KVMOD_EVENT_IRQ:
	case KVMOD_EVENT_SOFT_IRQ:
		e->irq.injected = true;
		e->irq.soft = ev->type == KVMOD_EVENT_SOFT_IRQ;
		e->irq.vector = ev->vector;
		e->irq.insn_len = ev->insn_len;
		break;
	}
}
EXPORT_SYMBOL_GPL(kvmod_event_deferred);

/**
 * kvmod_event_interrupted() - an exit interrupted the delivery of an event
 * @vcpu: the vCPU
 * @ev: the event (exception, NMI, interrupt or software interrupt)
 *
 * Vendors call this from their exit handling, and when an entry was
 * cancelled after core handed them the event; it is delivered again at
 * the next entry.
 */
void kvmod_event_interrupted(struct kvmod_vcpu *vcpu,
			     const struct kvmod_event *ev)
{
	kvmod_event_deferred(vcpu, ev);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
}
EXPORT_SYMBOL_GPL(kvmod_event_interrupted);

/**
 * kvmod_event_delivering() - was an event being delivered at the exit?
 * @vcpu: the vCPU, after its vendor's exit decoding
 *
 * Return: true when an exception, NMI or interrupt is to be delivered
 * again (an exit during delivery: an IDT or stack in MMIO...).
 */
bool kvmod_event_delivering(struct kvmod_vcpu *vcpu)
{
	return vcpu->ev.exception.injected || vcpu->ev.nmi.injected ||
	       vcpu->ev.irq.injected;
}
EXPORT_SYMBOL_GPL(kvmod_event_delivering);

/**
 * kvmod_nmi_window_open() - NMIs are no longer blocked
 * @vcpu: the vCPU
 *
 * Vendors call this when the guest's NMI handler has returned (IRET).
 */
void kvmod_nmi_window_open(struct kvmod_vcpu *vcpu)
{
	vcpu->vm->vendor->set_nmi_mask(vcpu, false);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
}
EXPORT_SYMBOL_GPL(kvmod_nmi_window_open);

/*
 * A pending exception's payload reaches the guest's state: CR2 for #PF,
 * DR6 for #DB (the payload's bits as the 'pending debug exceptions'
 * field has them, as KVM).
 */
static void deliver_payload(struct kvmod_vcpu *vcpu)
{
	typeof(vcpu->ev.exception) *e = &vcpu->ev.exception;

	if (!e->has_payload)
		return;
	if (e->vector == X86_TRAP_PF)
		vcpu->vm->vendor->set_cr2(vcpu, e->payload);
	else if (e->vector == X86_TRAP_DB)
		vcpu->dr6 = kvmod_dr6_add_payload(vcpu->dr6, e->payload);
	e->has_payload = false;
	e->payload = 0;
}

static void deliver_exception(struct kvmod_vcpu *vcpu)
{
	typeof(vcpu->ev.exception) *e = &vcpu->ev.exception;
	struct kvmod_event ev = {
		.type = KVMOD_EVENT_EXCEPTION,
		.vector = e->vector,
		.has_error = e->has_error,
		.error = e->error,
	};

	if (e->pending)
		deliver_payload(vcpu);
	if (e->pending)
		trace_kvmod_inj_exception(vcpu->id, e->vector, e->has_error,
					  e->error);
	e->pending = false;
	e->injected = false;
	e->has_payload = false;
	vcpu->vm->vendor->inject_event(vcpu, &ev);
}

static void deliver_irq(struct kvmod_vcpu *vcpu, u8 vector, bool soft,
			u8 insn_len)
{
	struct kvmod_event ev = {
		.type = soft ? KVMOD_EVENT_SOFT_IRQ : KVMOD_EVENT_IRQ,
		.vector = vector,
		.insn_len = insn_len,
	};

	vcpu->ev.irq.injected = false;
	vcpu->stat.irq_injections++;
	vcpu->vm->vendor->inject_event(vcpu, &ev);
}

static void deliver_nmi(struct kvmod_vcpu *vcpu)
{
	struct kvmod_event ev = { .type = KVMOD_EVENT_NMI, .vector = 2 };

	vcpu->ev.nmi.injected = false;
	vcpu->stat.nmi_injections++;
	vcpu->vm->vendor->inject_event(vcpu, &ev);
}

/*
 * An interrupt of the in-kernel irqchip waiting for the guest, or -1
 * (also while userspace keeps interrupts out: KVM_GUESTDBG_BLOCKIRQ).
 */
static int irqchip_pending(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_irqchip_ops *chip = vcpu->vm->irqchip;

	if (!chip || (vcpu->debug.control & KVM_GUESTDBG_BLOCKIRQ))
		return -1;
	return chip->pending_vector(vcpu);
}

/**
 * kvmod_inject_events() - choose the event for the next entry
 * @vcpu: the vCPU, on its own thread, before the vendor enters
 *
 * At most one event is handed to the vendor; for what has to wait, the
 * vendor is asked for an interrupt or NMI window.
 */
void kvmod_inject_events(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_vendor_ops *vendor = vcpu->vm->vendor;
	struct kvmod_vcpu_events *e = &vcpu->ev;
	int pending = irqchip_pending(vcpu);
	bool busy = true;
	int vector;

	if (e->exception.injected) {
		deliver_exception(vcpu);
	} else if (e->nmi.injected) {
		deliver_nmi(vcpu);
	} else if (e->irq.injected) {
		deliver_irq(vcpu, e->irq.vector, e->irq.soft,
			    e->irq.insn_len);
	} else if (e->exception.pending) {
		deliver_exception(vcpu);
	} else if (e->nmi.pending && vendor->nmi_allowed(vcpu)) {
		e->nmi.pending--;
		vendor->set_nmi_mask(vcpu, true);
		trace_kvmod_inj_nmi(vcpu->id);
		deliver_nmi(vcpu);
	} else if (pending >= 0 && kvmod_interrupt_allowed(vcpu)) {
		vector = vcpu->vm->irqchip->ack(vcpu);
		if (vector >= 0) {
			trace_kvmod_inj_irq(vcpu->id, vector);
			deliver_irq(vcpu, vector, false, 0);
		} else {
			busy = false;
		}
		/* What waits behind the interrupt just taken. */
		pending = irqchip_pending(vcpu);
	} else {
		busy = false;
	}
	/*
	 * An NMI or interrupt still waiting (or one userspace wants to
	 * inject) needs an exit when it can be delivered; with an event
	 * on its way, that is right after its delivery.
	 */
	vendor->set_windows(vcpu,
			    pending >= 0 || e->irq.injected ||
			    (vcpu->irq_window_exit && !busy),
			    e->nmi.pending > 0);
}

/**
 * kvmod_ready_for_interrupt() - may userspace inject an interrupt now?
 * @vcpu: the vCPU
 *
 * Return: true when KVM_INTERRUPT's interrupt would be delivered at once
 * (kvm_run.ready_for_interrupt_injection).
 */
bool kvmod_ready_for_interrupt(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vcpu_events *e = &vcpu->ev;

	if (vcpu->vm->pic_in_kernel)
		return true;
	return kvmod_interrupt_allowed(vcpu) && irqchip_pending(vcpu) < 0 &&
	       !e->irq.injected && !e->exception.pending &&
	       !e->exception.injected && !e->nmi.injected;
}

/**
 * kvmod_vcpu_interrupt() - KVM_INTERRUPT: queue an interrupt from userspace
 * @vcpu: the vCPU
 * @irq: the vector
 *
 * As in KVM, an interrupt queued earlier and not delivered yet is
 * replaced.
 *
 * Return: 0; -EINVAL for a vector above 255, -ENXIO with the PIC in the
 * kernel, -EEXIST with a split irqchip while the last one waits.
 */
int kvmod_vcpu_interrupt(struct kvmod_vcpu *vcpu, u32 irq)
{
	if (irq > 255)
		return -EINVAL;
	if (vcpu->vm->pic_in_kernel)
		return -ENXIO;
	if (vcpu->vm->irqchip)
		return vcpu->vm->irqchip->user_interrupt(vcpu, irq);
	vcpu->ev.irq.injected = true;
	vcpu->ev.irq.soft = false;
	vcpu->ev.irq.vector = irq;
	trace_kvmod_inj_irq(vcpu->id, irq);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}

/**
 * kvmod_vcpu_send_nmi() - an NMI for a vCPU (KVM_NMI, an IPI, LINT1)
 * @vcpu: the vCPU
 *
 * Callable from any context; the vCPU takes it in before its next entry.
 */
void kvmod_vcpu_send_nmi(struct kvmod_vcpu *vcpu)
{
	atomic_inc(&vcpu->nmi_queued);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	kvmod_vcpu_kick(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_send_nmi);

/**
 * kvmod_process_nmis() - take in the NMIs other threads sent
 * @vcpu: the vCPU, on its own thread
 *
 * At most two wait, as on hardware: one for the handler that runs (or
 * is about to), one latched behind it; with NMIs blocked, only one.
 */
void kvmod_process_nmis(struct kvmod_vcpu *vcpu)
{
	unsigned int limit = 2, n;

	if (!atomic_read(&vcpu->nmi_queued))
		return;
	if (vcpu->vm->vendor->get_nmi_mask(vcpu) || vcpu->ev.nmi.injected)
		limit = 1;
	n = atomic_xchg(&vcpu->nmi_queued, 0) + vcpu->ev.nmi.pending;
	vcpu->ev.nmi.pending = min(n, limit);
}

#define VCPU_EVENTS_FLAGS	(KVM_VCPUEVENT_VALID_NMI_PENDING |	\
				 KVM_VCPUEVENT_VALID_SIPI_VECTOR |	\
				 KVM_VCPUEVENT_VALID_SHADOW |		\
				 KVM_VCPUEVENT_VALID_SMM |		\
				 KVM_VCPUEVENT_VALID_PAYLOAD)

/**
 * kvmod_enable_exception_payload() - KVM_ENABLE_CAP(KVM_CAP_EXCEPTION_PAYLOAD)
 * @vm: the VM
 * @cap: args[0] non-zero to enable, zero to disable
 *
 * With it, KVM_GET/SET_VCPU_EVENTS tell a pending exception from an
 * injected one and carry its payload (CR2, DR6 bits), as KVM.
 *
 * Return: 0, or -EINVAL for flags.
 */
int kvmod_enable_exception_payload(struct kvmod_vm *vm,
				   const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	WRITE_ONCE(vm->exception_payload, !!cap->args[0]);
	return 0;
}

/**
 * kvmod_get_vcpu_events() - KVM_GET_VCPU_EVENTS
 * @vcpu: the vCPU
 * @ev: filled in
 *
 * Without exception payloads (KVM_CAP_EXCEPTION_PAYLOAD), a pending
 * exception is reported as injected, its payload already applied.
 */
void kvmod_get_vcpu_events(struct kvmod_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	const struct kvmod_vendor_ops *vendor = vcpu->vm->vendor;
	typeof(vcpu->ev.exception) *e = &vcpu->ev.exception;

	bool payloads = vcpu->vm->exception_payload;

	kvmod_process_nmis(vcpu);
	memset(ev, 0, sizeof(*ev));
	/* Userspace that does not know payloads gets them delivered. */
	if (!payloads && e->pending)
		deliver_payload(vcpu);
	/*
	 * INT3 and INTO are not reported: the instruction raises them again.
	 * Without KVM_CAP_EXCEPTION_PAYLOAD a pending exception is reported
	 * as injected too, as KVM does for the old ABI.
	 */
	if (e->vector != X86_TRAP_BP && e->vector != X86_TRAP_OF) {
		ev->exception.injected = e->injected || (!payloads && e->pending);
		ev->exception.pending = e->pending;
	}
	ev->exception.nr = e->vector;
	ev->exception.has_error_code = e->has_error;
	ev->exception.error_code = e->error;
	ev->exception_has_payload = e->has_payload;
	ev->exception_payload = e->payload;
	ev->interrupt.injected = vcpu->ev.irq.injected && !vcpu->ev.irq.soft;
	ev->interrupt.nr = vcpu->ev.irq.vector;
	ev->interrupt.shadow = vendor->get_interrupt_shadow(vcpu);
	ev->nmi.injected = vcpu->ev.nmi.injected;
	ev->nmi.pending = vcpu->ev.nmi.pending != 0;
	ev->nmi.masked = vendor->get_nmi_mask(vcpu);
	ev->flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW |
		    KVM_VCPUEVENT_VALID_SMM;
	if (payloads)
		ev->flags |= KVM_VCPUEVENT_VALID_PAYLOAD;
}

/**
 * kvmod_set_vcpu_events() - KVM_SET_VCPU_EVENTS
 * @vcpu: the vCPU
 * @ev: the events
 *
 * Return: 0, or -EINVAL for unknown flags, an exception vector that is
 * not one (above 31, or NMI), or SMM (not offered).
 */
int kvmod_set_vcpu_events(struct kvmod_vcpu *vcpu,
			  const struct kvm_vcpu_events *ev)
{
	const struct kvmod_vendor_ops *vendor = vcpu->vm->vendor;
	struct kvmod_vcpu_events *e = &vcpu->ev;

	bool pending = false, injected = ev->exception.injected;
	bool has_payload = false;

	if (ev->flags & ~VCPU_EVENTS_FLAGS)
		return -EINVAL;
	/* Pending exceptions and payloads: KVM_CAP_EXCEPTION_PAYLOAD's. */
	if (ev->flags & KVM_VCPUEVENT_VALID_PAYLOAD) {
		if (!vcpu->vm->exception_payload)
			return -EINVAL;
		pending = ev->exception.pending;
		if (pending)
			injected = false;
		has_payload = pending && ev->exception_has_payload;
	}
	if ((injected || pending) &&
	    (ev->exception.nr > 31 || ev->exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	if ((ev->flags & KVM_VCPUEVENT_VALID_SMM) && ev->smi.smm)
		return -EINVAL;
	e->exception.pending = pending;
	e->exception.injected = injected;
	e->exception.vector = ev->exception.nr;
	e->exception.has_error = ev->exception.has_error_code;
	e->exception.error = ev->exception.error_code;
	e->exception.has_payload = has_payload;
	e->exception.payload = has_payload ? ev->exception_payload : 0;
	e->irq.injected = ev->interrupt.injected;
	e->irq.vector = ev->interrupt.nr;
	e->irq.soft = ev->interrupt.soft;
	e->irq.insn_len = 0;
	if (ev->flags & KVM_VCPUEVENT_VALID_SHADOW)
		vendor->set_interrupt_shadow(vcpu, ev->interrupt.shadow);
	e->nmi.injected = ev->nmi.injected;
	if (ev->flags & KVM_VCPUEVENT_VALID_NMI_PENDING) {
		atomic_set(&vcpu->nmi_queued, 0);
		e->nmi.pending = ev->nmi.pending ? 1 : 0;
	}
	vendor->set_nmi_mask(vcpu, ev->nmi.masked);
	if ((ev->flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR) && vcpu->vm->irqchip)
		vcpu->sipi_vector = ev->sipi_vector;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}
