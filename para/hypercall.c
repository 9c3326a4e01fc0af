// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's hypercalls: VMCALL or VMMCALL with the number in RAX and the
 * arguments in RBX, RCX, RDX, RSI; the result goes to RAX (KVM_E* errors
 * negated). Outside 64-bit mode all of them are 32 bits wide. Only CPL 0
 * may call (-KVM_EPERM otherwise); unknown numbers give -KVM_ENOSYS.
 *
 * KVM_HC_MAP_GPA_RANGE is userspace's (KVM_EXIT_HYPERCALL) when it asked
 * for it with KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL).
 */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>

#include "para.h"

/* The vCPU with APIC ID @apic_id (kvmod's vCPUs keep id = APIC ID). */
static struct kvmod_vcpu *vcpu_by_apic_id(struct kvmod_vm *vm, u64 apic_id)
{
	/* Pairs with the release in kvmod_create_vcpu(). */
	int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct kvmod_vcpu *v = kvmod_get_vcpu(vm, i);

		if (v->id == apic_id)
			return v;
	}
	return NULL;
}

/* KVM_HC_KICK_CPU: the vCPU's next (or current) halt ends. */
static void hc_kick_cpu(struct kvmod_vcpu *vcpu, u64 apic_id)
{
	struct kvmod_vcpu *target = vcpu_by_apic_id(vcpu->vm, apic_id);

	if (!target)
		return;
	WRITE_ONCE(target->pv_unhalted, true);
	kvmod_make_request(target, KVMOD_REQ_EVENT);
	kvmod_vcpu_kick(target);
}

/*
 * KVM_HC_SCHED_YIELD: the caller waits for @apic_id (e.g. a lock
 * holder); give the host CPU away if that vCPU is not in the guest.
 */
static void hc_sched_yield(struct kvmod_vcpu *vcpu, u64 apic_id)
{
	struct kvmod_vcpu *target = vcpu_by_apic_id(vcpu->vm, apic_id);

	if (target && target != vcpu &&
	    READ_ONCE(target->mode) == KVMOD_OUTSIDE_GUEST)
		cond_resched();
}

/* ICR bits KVM_HC_SEND_IPI refuses: logical destination, shorthands. */
#define HC_IPI_ICR_LOGICAL	BIT(11)
#define HC_IPI_ICR_SHORTHAND	(BIT(18) | BIT(19))

/*
 * KVM_HC_SEND_IPI: the IPI @icr to APIC IDs @min + i (bit i of @low) and
 * @min + width + i (bit i of @high), width 64 in 64-bit mode, else 32.
 */
static long hc_send_ipi(struct kvmod_vcpu *vcpu, u64 low, u64 high, u64 min,
			u64 icr, bool op64)
{
	const struct kvmod_irqchip_ops *chip = READ_ONCE(vcpu->vm->irqchip);

	if (icr & (HC_IPI_ICR_LOGICAL | HC_IPI_ICR_SHORTHAND))
		return -KVM_EINVAL;
	if (!chip || !chip->send_ipi_bitmap)
		return -KVM_EOPNOTSUPP;
	return chip->send_ipi_bitmap(vcpu->vm, low, min, icr) +
	       chip->send_ipi_bitmap(vcpu->vm, high, min + (op64 ? 64 : 32),
				     icr);
}

/* KVM_HC_CLOCK_PAIRING: the host's real time with the guest's TSC. */
static long hc_clock_pairing(struct kvmod_vcpu *vcpu, u64 gpa, u64 type)
{
	struct system_time_snapshot snap;
	struct kvm_clock_pairing cp = {};
	struct timespec64 ts;

	if (type != KVM_CLOCK_PAIRING_WALLCLOCK)
		return -KVM_EOPNOTSUPP;
	/* Only a TSC-based host clock pairs exactly with a TSC value. */
	if (!para_host_tsc_clock())
		return -KVM_EOPNOTSUPP;
	ktime_get_snapshot(&snap);
	ts = ktime_to_timespec64(snap.real);
	cp.sec = ts.tv_sec;
	cp.nsec = ts.tv_nsec;
	cp.tsc = kvmod_guest_tsc(vcpu, snap.cycles);
	if (kvmod_write_guest_phys(vcpu->vm, gpa, &cp, sizeof(cp)))
		return -KVM_EFAULT;
	return 0;
}

/* The result of a hypercall userspace handled, at the next KVM_RUN. */
static int hc_complete_user(struct kvmod_vcpu *vcpu)
{
	u64 ret = vcpu->run->hypercall.ret;

	if (!to_para_vcpu(vcpu)->hypercall_long)
		ret = (u32)ret;
	vcpu->regs[KVMOD_RAX] = ret;
	return kvmod_skip_insn(vcpu);
}

/**
 * para_hypercall_to_user() - finish a KVM_EXIT_HYPERCALL exit
 * @vcpu: the vCPU, kvm_run's hypercall fields filled in
 * @long64: the hypercall was made in 64-bit mode (RAX keeps 64 bits)
 *
 * At the next KVM_RUN, hypercall.ret goes to RAX and the guest resumes
 * after the instruction.
 *
 * Return: KVMOD_EXIT_USER.
 */
int para_hypercall_to_user(struct kvmod_vcpu *vcpu, bool long64)
{
	to_para_vcpu(vcpu)->hypercall_long = long64;
	vcpu->complete_user_exit = hc_complete_user;
	return KVMOD_EXIT_USER;
}

/* KVM_HC_MAP_GPA_RANGE: to userspace, or -KVM_ENOSYS. */
static int hc_map_gpa_range(struct kvmod_vcpu *vcpu, u64 gpa, u64 npages,
			    u64 attrs, bool op64, long *ret)
{
	struct kvm_run *run = vcpu->run;

	if (!(READ_ONCE(to_para_vm(vcpu->vm)->hypercall_exit) &
	      BIT_ULL(KVM_HC_MAP_GPA_RANGE))) {
		*ret = -KVM_ENOSYS;
		return KVMOD_EXIT_RESUME;
	}
	if (!PAGE_ALIGNED(gpa) || !npages ||
	    (gpa >> PAGE_SHIFT) + npages <= (gpa >> PAGE_SHIFT)) {
		*ret = -KVM_EINVAL;
		return KVMOD_EXIT_RESUME;
	}
	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	run->hypercall.args[0] = gpa;
	run->hypercall.args[1] = npages;
	run->hypercall.args[2] = attrs;
	run->hypercall.longmode = op64;
	return para_hypercall_to_user(vcpu, op64);
}

/**
 * para_hypercall() - a KVM hypercall (VMCALL or VMMCALL)
 * @vcpu: the vCPU, RIP at the instruction
 *
 * Return: KVMOD_EXIT_RESUME, or KVMOD_EXIT_USER for KVM_EXIT_HYPERCALL.
 */
int para_hypercall(struct kvmod_vcpu *vcpu)
{
	struct kvmod_guest_mode mode;
	u64 nr = vcpu->regs[KVMOD_RAX];
	u64 a0 = vcpu->regs[KVMOD_RBX];
	u64 a1 = vcpu->regs[KVMOD_RCX];
	u64 a2 = vcpu->regs[KVMOD_RDX];
	u64 a3 = vcpu->regs[KVMOD_RSI];
	long ret = -KVM_ENOSYS;
	bool op64;
	int r;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	op64 = mode.long64;
	/* A guest of the seed ABI has that ABI's convention. */
	if (to_para_vcpu(vcpu)->seed_state_gpa)
		return para_seed_hypercall(vcpu, op64);
	if (!op64) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	if (mode.cpl) {
		ret = -KVM_EPERM;
		goto out;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVM_HC_KICK_CPU:
		hc_kick_cpu(vcpu, a1);
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		ret = hc_send_ipi(vcpu, a0, a1, a2, a3, op64);
		break;
	case KVM_HC_SCHED_YIELD:
		hc_sched_yield(vcpu, a0);
		ret = 0;
		break;
	case KVM_HC_CLOCK_PAIRING:
		ret = hc_clock_pairing(vcpu, a0, a1);
		break;
	case KVM_HC_MAP_GPA_RANGE:
		r = hc_map_gpa_range(vcpu, a0, a1, a2, op64, &ret);
		if (r == KVMOD_EXIT_USER)
			return r;
		break;
	default:
		break;
	}
out:
	vcpu->regs[KVMOD_RAX] = op64 ? (u64)ret : (u32)ret;
	return kvmod_skip_insn(vcpu);
}
