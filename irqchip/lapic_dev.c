// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU: its registers (lapic.c) behind the vCPU's
 * MMIO page and x2APIC MSRs, its timer on an hrtimer, interrupt delivery
 * to the APICs of a VM, and what core's event delivery asks of it.
 */
#include <linux/hrtimer.h>
#include <linux/kvm_para.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "irqchip.h"

/* The x2APIC MSR of the TPR. */
#define X2APIC_MSR_TPR	(KVMOD_APIC_MSR_BASE + (KVMOD_APIC_TPR >> 4))

static s64 now_ns(void)
{
	return ktime_get_ns();
}

/* The guest's TSC now. */
static u64 guest_tsc(struct kvmod_vcpu *vcpu)
{
	return kvmod_guest_tsc(vcpu, rdtsc());
}

/*
 * (Re-)arm the host timer for the APIC timer; @vl->lock held. @cur: the
 * guest's TSC now, read by the caller (the vendor cannot be asked with
 * the lock held).
 */
static void vlapic_arm_timer(struct kvmod_vlapic *vl, s64 now, u64 cur)
{
	s64 expires;
	u64 tsc;

	hrtimer_try_to_cancel(&vl->timer);
	if (kvmod_lapic_timer_next(&vl->l, &expires)) {
		hrtimer_start(&vl->timer, ns_to_ktime(expires),
			      HRTIMER_MODE_ABS);
		return;
	}
	if (kvmod_lapic_timer_tsc_deadline(&vl->l, &tsc) && tsc_khz) {
		expires = now;
		if (tsc > cur)
			expires += mul_u64_u32_div(tsc - cur, 1000000, tsc_khz);
		hrtimer_start(&vl->timer, ns_to_ktime(expires),
			      HRTIMER_MODE_ABS);
	}
}

static void vlapic_kick(struct kvmod_vlapic *vl)
{
	kvmod_make_request(vl->vcpu, KVMOD_REQ_EVENT);
	kvmod_vcpu_kick(vl->vcpu);
}

/* What an LVT or delivery mode asks beyond setting an IRR bit. */
static void vlapic_local_mode(struct kvmod_vlapic *vl, int mode)
{
	switch (mode) {
	case KVMOD_DM_FIXED:
		vlapic_kick(vl);
		break;
	case KVMOD_DM_NMI:
		kvmod_vcpu_send_nmi(vl->vcpu);
		break;
	case KVMOD_DM_INIT:
		kvmod_vcpu_send_init(vl->vcpu);
		break;
	case KVMOD_DM_EXTINT:
		vlapic_kick(vl);
		break;
	}
}

static enum hrtimer_restart vlapic_timer_fn(struct hrtimer *t)
{
	struct kvmod_vlapic *vl = container_of(t, struct kvmod_vlapic, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	s64 now = now_ns(), next;
	int mode;

	spin_lock_irqsave(&vl->lock, flags);
	/*
	 * The vCPU re-programmed the timer while this waited for the lock:
	 * it started the hrtimer anew, which owns the next expiry.
	 */
	if (hrtimer_is_queued(t)) {
		spin_unlock_irqrestore(&vl->lock, flags);
		return HRTIMER_NORESTART;
	}
	if (kvmod_lapic_timer_next(&vl->l, &next) && next > now) {
		hrtimer_set_expires(t, ns_to_ktime(next));
		spin_unlock_irqrestore(&vl->lock, flags);
		return HRTIMER_RESTART;
	}
	mode = kvmod_lapic_timer_expired(&vl->l, now);
	if (kvmod_lapic_timer_next(&vl->l, &next)) {
		hrtimer_set_expires(t, ns_to_ktime(next));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&vl->lock, flags);
	vlapic_local_mode(vl, mode);
	return ret;
}

/*
 * Carry out what a register write asked for, with no LAPIC lock held:
 * IPIs, EOIs to the IOAPIC, the timer, the vCPU's own state.
 */
static void vlapic_effects(struct kvmod_vlapic *vl,
			   const struct kvmod_lapic_effects *fx)
{
	struct kvmod_vcpu *vcpu = vl->vcpu;
	struct kvmod_virq *virq = to_virq(vcpu->vm);
	unsigned long flags;

	if (fx->mode || fx->map) {
		spin_lock_irqsave(&vl->lock, flags);
		vcpu->apic_base = vl->l.apic_base;
		spin_unlock_irqrestore(&vl->lock, flags);
		kvmod_virq_map_changed(virq);
	}
	if (fx->mode || fx->map || fx->ipi)
		kvmod_virq_map_refresh(virq);
	if (fx->timer) {
		u64 tsc = guest_tsc(vcpu);

		spin_lock_irqsave(&vl->lock, flags);
		vlapic_arm_timer(vl, now_ns(), tsc);
		spin_unlock_irqrestore(&vl->lock, flags);
	}
	if (fx->ipi)
		kvmod_irq_deliver(vcpu->vm, &fx->ipi_msg, vl);
	if (fx->eoi && virq->split) {
		if (fx->eoi_level && !fx->eoi_suppressed &&
		    kvmod_virq_split_eoi_vector(virq, vcpu, fx->eoi_vector)) {
			vcpu->eoi_exit_vector = fx->eoi_vector;
			kvmod_make_request(vcpu, KVMOD_REQ_IOAPIC_EOI);
		}
	} else if (fx->eoi) {
		kvmod_vioapic_eoi(virq, fx->eoi_vector,
				  fx->eoi_level && !fx->eoi_suppressed);
	}
	if (fx->eval || fx->lvt || fx->eoi)
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	if (fx->lvt && virq->full)
		kvmod_vpic_kick(virq);
}

/* Keep the LAPIC's TPR and core's CR8 (the vendor's copy) in step. */
static void vlapic_sync_cr8(struct kvmod_vlapic *vl)
{
	u8 cr8 = vl->vcpu->cr8;

	if (kvmod_lapic_get_cr8(&vl->l) != cr8)
		kvmod_lapic_set_cr8(&vl->l, cr8);
}

/*
 * The APICs a message can reach: the sender itself (the self
 * shorthand), the one vCPU a physical destination above 0xfe names (it
 * matches that x2APIC ID or, as KVM, that vCPU id), or the candidates of
 * the APIC map. -1: offer it to every APIC.
 */
static int deliver_targets(struct kvmod_vm *vm,
			   const struct kvmod_irq_msg *msg,
			   struct kvmod_vlapic *src, int n,
			   struct kvmod_vlapic **out)
{
	u16 idx[KVMOD_APIC_MAP_MAX_TARGETS];
	struct kvmod_virq *virq = to_virq(vm);
	int i, nr;

	if (!virq)
		return -1;
	if (msg->shorthand == KVMOD_SH_SELF) {
		out[0] = src;
		return src ? 1 : 0;
	}
	if (msg->shorthand == KVMOD_SH_NONE && !msg->logical &&
	    msg->dest > 0xff && msg->dest != 0xffffffffU) {
		out[0] = xa_load(&virq->apic_by_id, msg->dest);
		return out[0] ? 1 : 0;
	}
	nr = kvmod_virq_map_targets(virq, msg, idx, n);
	for (i = 0; i < nr; i++)
		out[i] = to_vlapic(kvmod_get_vcpu(vm, idx[i]));
	return nr;
}

/* Does @vl take @msg? With lowest priority, only an enabled APIC does. */
static bool deliver_match(struct kvmod_vlapic *vl,
			  const struct kvmod_irq_msg *msg,
			  struct kvmod_vlapic *src)
{
	unsigned long flags;
	bool hit;

	spin_lock_irqsave(&vl->lock, flags);
	hit = kvmod_lapic_match_dest(&vl->l, msg, src ? &src->l : NULL);
	if (hit && msg->delivery_mode == KVMOD_DM_LOWEST)
		hit = kvmod_lapic_sw_enabled(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	return hit;
}

/* Hand @msg to @vl, which matched it; whether it was accepted. */
static bool deliver_one(struct kvmod_vlapic *vl,
			const struct kvmod_irq_msg *msg)
{
	unsigned long flags;
	int r;

	switch (msg->delivery_mode) {
	case KVMOD_DM_FIXED:
	case KVMOD_DM_LOWEST:
		spin_lock_irqsave(&vl->lock, flags);
		r = kvmod_lapic_accept(&vl->l, msg);
		spin_unlock_irqrestore(&vl->lock, flags);
		if (r < 0)
			return false;
		vlapic_kick(vl);
		return true;
	case KVMOD_DM_NMI:
		kvmod_vcpu_send_nmi(vl->vcpu);
		return true;
	case KVMOD_DM_INIT:
		/* A level de-assert INIT does nothing (as KVM). */
		if (msg->level && !msg->assert)
			return false;
		kvmod_vcpu_send_init(vl->vcpu);
		return true;
	case KVMOD_DM_SIPI:
		kvmod_vcpu_send_sipi(vl->vcpu, msg->vector);
		return true;
	default:
		return false;
	}
}

/**
 * kvmod_irq_deliver() - send an interrupt message to the APICs of a VM
 * @vm: the VM
 * @msg: the message (IOAPIC entry, MSI, or IPI)
 * @src: the sending APIC for an IPI (shorthands), NULL otherwise
 *
 * Only the APICs the destination can name are asked (see
 * deliver_targets()); broadcasts ask every APIC. A lowest-priority
 * message goes to one of the enabled APICs it matches, the
 * (vector % matches)-th in vCPU order, as KVM picks it.
 *
 * Return: the number of APICs that accepted it (0 when none did, as
 * KVM's APIC map answers), or -1 when the VM has no APIC at all.
 */
int kvmod_irq_deliver(struct kvmod_vm *vm, const struct kvmod_irq_msg *msg,
		      struct kvmod_vlapic *src)
{
	struct kvmod_vlapic *cand[KVMOD_APIC_MAP_MAX_TARGETS];
	/* Pairs with the release in kvmod_create_vcpu(). */
	int n = smp_load_acquire(&vm->nr_vcpus);
	int i, nr, total, pick = -1, nth = 0, accepted = 0;
	struct kvmod_vlapic *vl;

	if (!n || !to_vlapic(kvmod_get_vcpu(vm, 0)))
		return -1;
	nr = deliver_targets(vm, msg, src, n, cand);
	total = nr < 0 ? n : nr;
	if (msg->delivery_mode == KVMOD_DM_LOWEST) {
		for (i = 0; i < total; i++) {
			vl = nr < 0 ? to_vlapic(kvmod_get_vcpu(vm, i)) :
				      cand[i];
			nth += vl && deliver_match(vl, msg, src);
		}
		if (!nth)
			return 0;
		pick = msg->vector % nth;
		nth = 0;
	}
	for (i = 0; i < total; i++) {
		vl = nr < 0 ? to_vlapic(kvmod_get_vcpu(vm, i)) : cand[i];
		if (!vl || !deliver_match(vl, msg, src))
			continue;
		if (pick >= 0 && nth++ != pick)
			continue;
		accepted += deliver_one(vl, msg);
	}
	return accepted;
}

/* Core's event delivery. */

static int vlapic_pending_vector(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_virq *virq = to_virq(vcpu->vm);
	unsigned long flags;
	bool pic_ok;
	int v;

	if (!vl)
		return -1;
	spin_lock_irqsave(&vl->lock, flags);
	vlapic_sync_cr8(vl);
	v = kvmod_lapic_pending(&vl->l);
	pic_ok = kvmod_lapic_accepts_pic_intr(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	if (v >= 0)
		return v;
	/* ExtINT from the PIC, through LINT0 (or a disabled APIC). */
	if (pic_ok && virq->full && READ_ONCE(virq->pic.output))
		return 256;
	if (pic_ok && virq->split && READ_ONCE(vl->user_extint) >= 0)
		return 256;
	return -1;
}

static int vlapic_ack(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_virq *virq = to_virq(vcpu->vm);
	unsigned long flags;
	u16 acked, masked;
	int v, irq;
	bool pic_ok;

	spin_lock_irqsave(&vl->lock, flags);
	v = kvmod_lapic_ack(&vl->l);
	pic_ok = kvmod_lapic_accepts_pic_intr(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	if (v >= 0 || !pic_ok)
		return v;
	if (virq->split) {
		v = vl->user_extint;
		vl->user_extint = -1;
		return v;
	}
	if (!virq->full)
		return v;
	spin_lock_irqsave(&virq->pic_lock, flags);
	if (kvmod_pic_intr(&virq->pic))
		v = kvmod_pic_ack(&virq->pic, &irq) & 0xff;
	kvmod_pic_take_events(&virq->pic, &acked, &masked);
	spin_unlock_irqrestore(&virq->pic_lock, flags);
	if (acked & 1)
		kvmod_vpit_irq0_acked(virq);
	if (acked)	/* auto-EOI */
		kvmod_irqfd_chip_acked(virq, KVM_IRQCHIP_PIC_MASTER, acked);
	return v;
}

static bool vlapic_has_wakeup(struct kvmod_vcpu *vcpu)
{
	return kvmod_interrupt_allowed(vcpu) &&
	       vlapic_pending_vector(vcpu) >= 0;
}

static u8 vlapic_maxphyaddr(struct kvmod_vcpu *vcpu)
{
	return kvmod_guest_maxphyaddr(vcpu);
}

static int vlapic_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val,
			  bool host)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	unsigned long flags;
	int r = 0;

	if (!vl)
		return -ENOENT;
	if (msr == MSR_IA32_APICBASE) {
		*val = vcpu->apic_base;
		return 0;
	}
	if (msr == KVMOD_MSR_TSC_DEADLINE) {
		spin_lock_irqsave(&vl->lock, flags);
		*val = kvmod_lapic_get_tsc_deadline(&vl->l);
		spin_unlock_irqrestore(&vl->lock, flags);
		return 0;
	}
	if (msr < KVMOD_APIC_MSR_BASE || msr > KVMOD_APIC_MSR_LAST)
		return -ENOENT;
	spin_lock_irqsave(&vl->lock, flags);
	vlapic_sync_cr8(vl);
	if (kvmod_lapic_rdmsr(&vl->l, msr, val, now_ns()))
		r = -EINVAL;
	spin_unlock_irqrestore(&vl->lock, flags);
	if (!r && msr == X2APIC_MSR_TPR)
		kvmod_report_tpr_access(vcpu, false);
	return r;
}

static int vlapic_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			  bool host)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_effects fx = {};
	unsigned long flags;
	bool x2apic;
	int r = 0;

	if (!vl)
		return -ENOENT;
	if (msr == MSR_IA32_APICBASE) {
		x2apic = kvmod_guest_has_feature(vcpu, 1, 2, 21);
		spin_lock_irqsave(&vl->lock, flags);
		if (kvmod_lapic_set_base(&vl->l, val, host, x2apic,
					 vlapic_maxphyaddr(vcpu), &fx))
			r = -EINVAL;
		vcpu->apic_base = vl->l.apic_base;
		spin_unlock_irqrestore(&vl->lock, flags);
	} else if (msr == KVMOD_MSR_TSC_DEADLINE) {
		spin_lock_irqsave(&vl->lock, flags);
		kvmod_lapic_set_tsc_deadline(&vl->l, val, &fx);
		spin_unlock_irqrestore(&vl->lock, flags);
	} else if (msr >= KVMOD_APIC_MSR_BASE && msr <= KVMOD_APIC_MSR_LAST) {
		spin_lock_irqsave(&vl->lock, flags);
		vlapic_sync_cr8(vl);
		if (kvmod_lapic_wrmsr(&vl->l, msr, val, now_ns(), &fx))
			r = -EINVAL;
		vcpu->cr8 = kvmod_lapic_get_cr8(&vl->l);
		spin_unlock_irqrestore(&vl->lock, flags);
		if (!r && msr == X2APIC_MSR_TPR)
			kvmod_report_tpr_access(vcpu, true);
	} else {
		return -ENOENT;
	}
	vlapic_effects(vl, &fx);
	return r;
}

/*
 * Does this xAPIC page access reach the TPR (for KVM_TPR_ACCESS_REPORTING)?
 * As KVM: a write of the whole aligned register, a read within its first
 * four bytes, with the APIC enabled and in xAPIC mode.
 */
static bool mmio_is_tpr(const struct kvmod_lapic *l, u32 offset, int len,
			bool write)
{
	if (!kvmod_lapic_hw_enabled(l) || kvmod_lapic_x2apic_mode(l) ||
	    (offset & ~0xfU) != KVMOD_APIC_TPR)
		return false;
	if (write)
		return len == 4 && offset == KVMOD_APIC_TPR;
	return (len == 1 || len == 2 || len == 4) && (offset & 0xf) + len <= 4;
}

static int vlapic_local_mmio(struct kvmod_vcpu *vcpu, u64 addr, int len,
			     void *val, bool write)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_effects fx = {};
	unsigned long flags;
	bool tpr;
	u64 base;

	if (!vl)
		return -EOPNOTSUPP;
	spin_lock_irqsave(&vl->lock, flags);
	base = vl->l.apic_base & ~0xfffULL & GENMASK_ULL(51, 0);
	/*
	 * The page at the APIC base is the APIC's even while it is disabled
	 * or in x2APIC mode: it then reads as all ones (KVM's MMIO hole).
	 */
	if (addr < base || addr + len > base + 0x1000) {
		spin_unlock_irqrestore(&vl->lock, flags);
		return -EOPNOTSUPP;
	}
	vlapic_sync_cr8(vl);
	tpr = mmio_is_tpr(&vl->l, addr - base, len, write);
	if (write) {
		kvmod_lapic_mmio_write(&vl->l, addr - base, len, val, now_ns(),
				       &fx);
		vcpu->cr8 = kvmod_lapic_get_cr8(&vl->l);
	} else {
		kvmod_lapic_mmio_read(&vl->l, addr - base, len, val, now_ns());
	}
	spin_unlock_irqrestore(&vl->lock, flags);
	vlapic_effects(vl, &fx);
	if (tpr)
		kvmod_report_tpr_access(vcpu, write);
	return 0;
}

static int vlapic_user_interrupt(struct kvmod_vcpu *vcpu, u8 vector)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);

	if (!vl)
		return -ENXIO;
	if (vl->user_extint >= 0)
		return -EEXIST;
	vl->user_extint = vector;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}

static void vlapic_init_signal(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	unsigned long flags;

	if (!vl)
		return;
	hrtimer_cancel(&vl->timer);
	spin_lock_irqsave(&vl->lock, flags);
	kvmod_lapic_init_signal(&vl->l);
	vcpu->apic_base = vl->l.apic_base;
	vcpu->cr8 = 0;
	spin_unlock_irqrestore(&vl->lock, flags);
	kvmod_virq_map_changed(to_virq(vcpu->vm));
}

/*
 * KVM_HC_SEND_IPI: one message per APIC ID in the bitmap, each to that
 * ID alone (never a broadcast: 0xff is skipped, as KVM's APIC map has no
 * such xAPIC ID).
 */
static int vlapic_send_ipi_bitmap(struct kvmod_vm *vm, u64 bitmap, u64 min,
				  u32 icr)
{
	struct kvmod_irq_msg msg = {
		.vector = icr & 0xff,
		.delivery_mode = (icr >> 8) & 7,
		.assert = icr & BIT(14),
		.level = icr & BIT(15),
	};
	int i, r, n = 0;

	for (i = 0; i < 64; i++) {
		if (!(bitmap & BIT_ULL(i)) || min + i >= U32_MAX ||
		    min + i == 0xff)
			continue;
		msg.dest = min + i;
		r = kvmod_irq_deliver(vm, &msg, NULL);
		if (r > 0)
			n += r;
	}
	return n;
}

/*
 * PV EOI: bit 0 of the byte at vcpu->pv_eoi_msr's address. Set before an
 * entry when the interrupt being handled needs nothing but an ISR clear
 * at its EOI; the guest clears it instead of writing the EOI register.
 */
static void pv_eoi_to_guest(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	unsigned long flags;
	u8 set = 1;
	int vec;

	if (!vl)
		return;
	spin_lock_irqsave(&vl->lock, flags);
	vec = kvmod_lapic_pv_eoi_vector(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	if (vec < 0)
		return;
	if (kvmod_write_guest_phys(vcpu->vm, vcpu->pv_eoi_msr & ~1ULL, &set,
				   1))
		return;
	vl->pv_eoi_pending = true;
}

/* After an exit: the guest's EOI by memory is made, or the offer ends. */
static void pv_eoi_from_guest(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_effects fx = {};
	u64 gpa = vcpu->pv_eoi_msr & ~1ULL;
	unsigned long flags;
	u8 val = 0;

	if (!vl || !vl->pv_eoi_pending)
		return;
	vl->pv_eoi_pending = false;
	if (kvmod_read_guest_phys(vcpu->vm, gpa, &val, 1))
		return;
	if (val & 1) {
		/* Not taken: the guest will write the EOI register. */
		val &= ~1;
		kvmod_write_guest_phys(vcpu->vm, gpa, &val, 1);
		return;
	}
	spin_lock_irqsave(&vl->lock, flags);
	kvmod_lapic_eoi(&vl->l, &fx);
	spin_unlock_irqrestore(&vl->lock, flags);
	vlapic_effects(vl, &fx);
}

/*
 * KVM_SET_VAPIC_ADDR: a u32 in guest memory that owns the TPR, as KVM
 * keeps it. After each exit (before the exit is handled) the APIC's TPR
 * is taken from its low byte; before an entry for which the events were
 * looked at, with the APIC enabled, it is written with the TPR, the
 * highest in-service class and the highest requested vector. So a TPR
 * the guest writes through the APIC lasts only until the next exit
 * unless it let an interrupt through (which makes the events be looked
 * at).
 */
static void vapic_to_guest(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	unsigned long flags;
	bool enabled;
	u32 word;

	spin_lock_irqsave(&vl->lock, flags);
	enabled = kvmod_lapic_hw_enabled(&vl->l) &&
		  kvmod_lapic_sw_enabled(&vl->l);
	vlapic_sync_cr8(vl);
	word = kvmod_lapic_vapic_word(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	if (enabled)
		kvmod_write_guest_phys(vcpu->vm, vcpu->vapic_addr, &word,
				       sizeof(word));
}

static void vapic_from_guest(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_effects fx = {};
	unsigned long flags;
	u32 word;

	if (kvmod_read_guest_phys(vcpu->vm, vcpu->vapic_addr, &word,
				  sizeof(word)))
		return;
	spin_lock_irqsave(&vl->lock, flags);
	vlapic_sync_cr8(vl);
	kvmod_lapic_set_tpr(&vl->l, word & 0xff, &fx);
	vcpu->cr8 = kvmod_lapic_get_cr8(&vl->l);
	spin_unlock_irqrestore(&vl->lock, flags);
	vlapic_effects(vl, &fx);
}

/* Around each entry while PV EOI or a VAPIC area is on, as KVM. */
static void vlapic_before_entry(struct kvmod_vcpu *vcpu)
{
	bool vapic_sync = vcpu->vapic_sync;

	vcpu->vapic_sync = false;
	if (!to_vlapic(vcpu))
		return;
	if (vcpu->pv_eoi_msr & KVM_MSR_ENABLED)
		pv_eoi_to_guest(vcpu);
	if (vcpu->vapic_addr && vapic_sync)
		vapic_to_guest(vcpu);
}

static void vlapic_after_exit(struct kvmod_vcpu *vcpu)
{
	if (!to_vlapic(vcpu))
		return;
	if (vcpu->pv_eoi_msr & KVM_MSR_ENABLED)
		pv_eoi_from_guest(vcpu);
	if (vcpu->vapic_addr)
		vapic_from_guest(vcpu);
}

/* KVM_SET_VAPIC_ADDR: 0 turns the area off; it must be guest memory. */
static long vlapic_set_vapic_addr(struct kvmod_vcpu *vcpu, void __user *argp)
{
	struct kvm_vapic_addr va;
	u32 word;

	if (!to_vlapic(vcpu))
		return -EINVAL;
	if (copy_from_user(&va, argp, sizeof(va)))
		return -EFAULT;
	if (va.vapic_addr &&
	    kvmod_read_guest_phys(vcpu->vm, va.vapic_addr, &word, sizeof(word)))
		return -EINVAL;
	WRITE_ONCE(vcpu->vapic_addr, va.vapic_addr);
	return 0;
}

const struct kvmod_irqchip_ops kvmod_irqchip_ops = {
	.pending_vector = vlapic_pending_vector,
	.ack = vlapic_ack,
	.has_wakeup = vlapic_has_wakeup,
	.get_msr = vlapic_get_msr,
	.set_msr = vlapic_set_msr,
	.local_mmio = vlapic_local_mmio,
	.init_signal = vlapic_init_signal,
	.user_interrupt = vlapic_user_interrupt,
	.send_ipi_bitmap = vlapic_send_ipi_bitmap,
	.before_entry = vlapic_before_entry,
	.after_exit = vlapic_after_exit,
};

/**
 * kvmod_vlapic_ioctl() - KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_SET_VAPIC_ADDR
 * @vcpu: the vCPU (its mutex held)
 * @ioctl: the ioctl
 * @argp: the user's struct kvm_lapic_state or struct kvm_vapic_addr
 *
 * Return: 0, -EFAULT, -EINVAL, -ENOMEM, or -ENOTTY for other ioctls.
 */
long kvmod_vlapic_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
			void __user *argp)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_effects fx = {};
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r = 0;

	if (ioctl == KVM_SET_VAPIC_ADDR)
		return vlapic_set_vapic_addr(vcpu, argp);
	if (ioctl != KVM_GET_LAPIC && ioctl != KVM_SET_LAPIC)
		return -ENOTTY;
	if (!vl)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	if (ioctl == KVM_GET_LAPIC) {
		spin_lock_irqsave(&vl->lock, flags);
		vlapic_sync_cr8(vl);
		kvmod_lapic_get_state(&vl->l, s, now_ns());
		spin_unlock_irqrestore(&vl->lock, flags);
		if (copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	} else if (copy_from_user(s, argp, sizeof(*s))) {
		r = -EFAULT;
	} else {
		spin_lock_irqsave(&vl->lock, flags);
		if (kvmod_lapic_set_state(&vl->l, s, now_ns(), &fx))
			r = -EINVAL;
		vcpu->cr8 = kvmod_lapic_get_cr8(&vl->l);
		fx.timer = true;
		spin_unlock_irqrestore(&vl->lock, flags);
		vlapic_effects(vl, &fx);
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	}
	kfree(s);
	return r;
}

/*
 * The LAPIC settings that follow the VM's KVM_CAP_X2APIC_API and the
 * guest's CPUID, as KVM derives them (called without the LAPIC's lock:
 * CPUID lookups may ask the components).
 */
static void vlapic_derived_config(struct kvmod_vcpu *vcpu,
				  struct kvmod_lapic_config *cfg)
{
	struct kvmod_virq *virq = to_virq(vcpu->vm);

	cfg->x2apic_format = READ_ONCE(virq->x2apic_format);
	cfg->no_broadcast_quirk = READ_ONCE(virq->no_broadcast_quirk);
	/* CPUID.1:ECX[24]: the TSC-deadline timer mode. */
	cfg->tsc_deadline = kvmod_guest_has_feature(vcpu, 1, 2, 24);
	/* Directed EOI with x2APIC, when userspace has the IOAPIC (split). */
	cfg->directed_eoi = kvmod_guest_has_feature(vcpu, 1, 2, 21) &&
			    READ_ONCE(virq->split);
}

/**
 * kvmod_vlapic_update_config() - apply KVM_CAP_X2APIC_API or a new CPUID
 *	table to a LAPIC
 * @vcpu: the vCPU (its LAPIC may be absent)
 *
 * Without CPUID.1:ECX[24] the timer has no TSC-deadline mode (LVTT
 * bit 18 is not writable and the deadline MSR does nothing), as KVM.
 */
void kvmod_vlapic_update_config(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);
	struct kvmod_lapic_config cfg, derived;
	unsigned long flags;

	if (!vl)
		return;
	vlapic_derived_config(vcpu, &derived);
	spin_lock_irqsave(&vl->lock, flags);
	cfg = vl->l.cfg;
	cfg.x2apic_format = derived.x2apic_format;
	cfg.no_broadcast_quirk = derived.no_broadcast_quirk;
	cfg.tsc_deadline = derived.tsc_deadline;
	cfg.directed_eoi = derived.directed_eoi;
	kvmod_lapic_set_config(&vl->l, &cfg);
	spin_unlock_irqrestore(&vl->lock, flags);
}

/**
 * kvmod_vlapic_create() - give a new vCPU its local APIC
 * @vcpu: the vCPU, not yet visible to userspace
 *
 * Return: 0 or -ENOMEM.
 */
int kvmod_vlapic_create(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl;
	int r;

	vl = kzalloc(sizeof(*vl), GFP_KERNEL_ACCOUNT);
	if (!vl)
		return -ENOMEM;
	vl->vcpu = vcpu;
	vl->user_extint = -1;
	spin_lock_init(&vl->lock);
	hrtimer_init(&vl->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vl->timer.function = vlapic_timer_fn;
	/* Until KVM_SET_CPUID2: what kvmod's own CPUID offers. */
	vlapic_derived_config(vcpu, &vl->l.cfg);
	kvmod_lapic_reset(&vl->l, vcpu->id, kvmod_vcpu_is_bsp(vcpu));
	vcpu->apic_base = vl->l.apic_base;
	r = xa_insert(&to_virq(vcpu->vm)->apic_by_id, vcpu->id, vl,
		      GFP_KERNEL_ACCOUNT);
	if (r) {
		kfree(vl);
		/* Another vCPU has this id: core answers that as KVM does. */
		return r == -EBUSY ? -EEXIST : r;
	}
	vcpu->irqchip_data = vl;
	return 0;
}

/**
 * kvmod_vlapic_destroy() - free a vCPU's local APIC
 * @vcpu: the vCPU (none of its code runs any more)
 */
void kvmod_vlapic_destroy(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vlapic *vl = to_vlapic(vcpu);

	if (!vl)
		return;
	hrtimer_cancel(&vl->timer);
	if (to_virq(vcpu->vm))
		xa_erase(&to_virq(vcpu->vm)->apic_by_id, vcpu->id);
	vcpu->irqchip_data = NULL;
	kfree(vl);
}
