// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU's run state (KVM_GET/SET_MP_STATE) and the INIT and SIPI
 * signals that move an application processor through it.
 *
 * With an in-kernel irqchip, vCPU 0 starts RUNNABLE and the others
 * UNINITIALIZED: they wait, in the kernel, for INIT (the vCPU is reset
 * and waits in INIT_RECEIVED) and then a SIPI, which starts it in real
 * mode at vector << 12. Without one, every vCPU runs and only RUNNABLE
 * may be set, as in KVM.
 */
#include <linux/uaccess.h>

#include "registry.h"

static void reset_seg(struct kvm_segment *s, u16 sel, u64 base, u8 type,
		      bool code_data)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->limit = 0xffff;
	s->type = type;
	s->present = 1;
	s->s = code_data;
}

/* The register state INIT gives (SDM "Processor State After Reset"). */
static void vcpu_init_state(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	struct kvm_sregs s;
	int i;

	memset(&s, 0, sizeof(s));
	reset_seg(&s.cs, 0xf000, 0xffff0000, 0xb, true);
	reset_seg(&s.ds, 0, 0, 3, true);
	reset_seg(&s.es, 0, 0, 3, true);
	reset_seg(&s.fs, 0, 0, 3, true);
	reset_seg(&s.gs, 0, 0, 3, true);
	reset_seg(&s.ss, 0, 0, 3, true);
	reset_seg(&s.tr, 0, 0, 0xb, false);
	reset_seg(&s.ldt, 0, 0, 2, false);
	s.gdt.limit = 0xffff;
	s.idt.limit = 0xffff;
	s.cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	s.apic_base = vcpu->apic_base;
	vcpu->vm->vendor->set_sregs(vcpu, &s);
	kvmod_vcpu_reset_regs(vcpu);
	vcpu->vm->vendor->set_interrupt_shadow(vcpu, 0);
	vcpu->vm->vendor->set_nmi_mask(vcpu, false);
	atomic_set(&vcpu->nmi_queued, 0);
	if (vcpu->vm->irqchip)
		vcpu->vm->irqchip->init_signal(vcpu);
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (c && c->vcpu_init_signal)
			c->vcpu_init_signal(vcpu);
	}
}

/**
 * kvmod_vcpu_send_init() - the INIT signal (from an IPI)
 * @vcpu: the target vCPU
 *
 * Callable from any context; the vCPU acts on it before its next entry.
 */
void kvmod_vcpu_send_init(struct kvmod_vcpu *vcpu)
{
	/* A SIPI that came before the INIT means nothing. */
	WRITE_ONCE(vcpu->sipi_pending, false);
	WRITE_ONCE(vcpu->init_pending, true);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	kvmod_vcpu_kick(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_send_init);

/**
 * kvmod_vcpu_send_sipi() - a start-up IPI
 * @vcpu: the target vCPU
 * @vector: the start page (real-mode CS = @vector << 8)
 *
 * Only a vCPU waiting in INIT_RECEIVED acts on it.
 */
void kvmod_vcpu_send_sipi(struct kvmod_vcpu *vcpu, u8 vector)
{
	WRITE_ONCE(vcpu->sipi_vector, vector);
	/* The vector is visible before the flag. */
	smp_wmb();
	WRITE_ONCE(vcpu->sipi_pending, true);
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	kvmod_vcpu_kick(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_send_sipi);

/**
 * kvmod_vcpu_accept_init_sipi() - act on INIT and SIPI
 * @vcpu: the vCPU, on its own thread
 *
 * Return: true when the vCPU may run, false while it waits for a SIPI.
 */
bool kvmod_vcpu_accept_init_sipi(struct kvmod_vcpu *vcpu)
{
	struct kvm_sregs s;
	u8 vector;

	if (READ_ONCE(vcpu->init_pending)) {
		WRITE_ONCE(vcpu->init_pending, false);
		vcpu_init_state(vcpu);
		vcpu->mp_state = (vcpu->apic_base & BIT_ULL(8)) ?
				 KVM_MP_STATE_RUNNABLE :
				 KVM_MP_STATE_INIT_RECEIVED;
	}
	if (READ_ONCE(vcpu->sipi_pending)) {
		WRITE_ONCE(vcpu->sipi_pending, false);
		/* Pairs with smp_wmb() in kvmod_vcpu_send_sipi(). */
		smp_rmb();
		if (vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			vector = READ_ONCE(vcpu->sipi_vector);
			vcpu->vm->vendor->get_sregs(vcpu, &s);
			s.cs.selector = vector << 8;
			s.cs.base = (u64)vector << 12;
			s.apic_base = vcpu->apic_base;
			vcpu->vm->vendor->set_sregs(vcpu, &s);
			vcpu->rip = 0;
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		}
	}
	if (vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED ||
	    vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED)
		return false;
	return true;
}

/**
 * kvmod_get_mp_state() - KVM_GET_MP_STATE
 * @vcpu: the vCPU
 * @mp: filled in
 */
void kvmod_get_mp_state(struct kvmod_vcpu *vcpu, struct kvm_mp_state *mp)
{
	if (vcpu->vm->irqchip)
		kvmod_vcpu_accept_init_sipi(vcpu);
	mp->mp_state = vcpu->mp_state;
}

/**
 * kvmod_set_mp_state() - KVM_SET_MP_STATE
 * @vcpu: the vCPU
 * @mp: the state
 *
 * Return: 0, or -EINVAL for a state the vCPU cannot be put in.
 */
int kvmod_set_mp_state(struct kvmod_vcpu *vcpu, const struct kvm_mp_state *mp)
{
	if (!vcpu->vm->irqchip)
		return mp->mp_state == KVM_MP_STATE_RUNNABLE ? 0 : -EINVAL;
	switch (mp->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
		vcpu->mp_state = mp->mp_state;
		break;
	case KVM_MP_STATE_SIPI_RECEIVED:
		/* As KVM: wait for INIT, with the SIPI already there. */
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		WRITE_ONCE(vcpu->sipi_pending, true);
		break;
	default:
		return -EINVAL;
	}
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}
