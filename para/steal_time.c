// SPDX-License-Identifier: GPL-2.0
/*
 * Steal time (MSR_KVM_STEAL_TIME): the guest registers a 64-byte aligned
 * struct kvm_steal_time, and its steal field counts the nanoseconds the
 * vCPU's thread waited for a host CPU (the scheduler's run_delay; as on
 * KVM, from the vCPU's creation on, so the first value the guest sees
 * includes the waits before it registered). Core notices a changed
 * run_delay before an entry and asks for a clock update, which writes
 * it with the version protocol (odd while the structure changes). The
 * preempted field stays 0: kvmod does not follow its threads being
 * scheduled out.
 */
#include <linux/sched.h>

#include "para.h"

/* Bits 5:1 are reserved (the structure is 64-byte aligned). */
#define STEAL_RESERVED	GENMASK_ULL(5, 1)

/**
 * para_steal_get_msr() - MSR_KVM_STEAL_TIME
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value last written
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int para_steal_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	if (msr != MSR_KVM_STEAL_TIME)
		return -ENOENT;
	*val = to_para_vcpu(vcpu)->steal_time_msr;
	return 0;
}

/**
 * para_steal_set_msr() - register (bit 0) or drop the steal time area
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: its guest-physical address | KVM_MSR_ENABLED
 *
 * Return: 0, -EINVAL (#GP) for reserved bits, -ENOENT for other MSRs.
 */
int para_steal_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val)
{
	if (msr != MSR_KVM_STEAL_TIME)
		return -ENOENT;
	if (val & STEAL_RESERVED)
		return -EINVAL;
	to_para_vcpu(vcpu)->steal_time_msr = val;
	vcpu->steal_tracked = val & KVM_MSR_ENABLED;
	if (vcpu->steal_tracked)
		kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
	return 0;
}

/**
 * para_steal_update() - add the thread's new waiting time to the guest's
 * @vcpu: the vCPU, on its own thread before an entry
 */
void para_steal_update(struct kvmod_vcpu *vcpu)
{
	struct para_vcpu *p = to_para_vcpu(vcpu);
	u64 gpa = p->steal_time_msr & ~KVM_MSR_ENABLED;
	u64 delay = current->sched_info.run_delay;
	u64 stolen = delay - vcpu->last_run_delay;
	struct kvm_steal_time st;
	u32 version;

	/* Taken even when the area is not memory: core asks only once. */
	vcpu->last_run_delay = delay;
	if (!(p->steal_time_msr & KVM_MSR_ENABLED))
		return;
	if (kvmod_read_guest_phys(vcpu->vm, gpa, &st, sizeof(st)))
		return;
	/* Odd: whatever was there first, or the last even version + 1. */
	version = (st.version + 1) | 1;
	if (kvmod_write_guest_phys(vcpu->vm, gpa + offsetof(typeof(st), version),
				   &version, sizeof(version)))
		return;
	/* The guest sees the odd version before the steal time changes... */
	smp_wmb();
	st.steal += stolen;
	st.preempted = 0;
	st.version = version + 1;
	kvmod_write_guest_phys(vcpu->vm, gpa + offsetof(typeof(st), steal),
			       &st.steal, sizeof(st.steal));
	kvmod_write_guest_phys(vcpu->vm, gpa + offsetof(typeof(st), preempted),
			       &st.preempted, sizeof(st.preempted));
	/* ...and the new steal time before the even version. */
	smp_wmb();
	kvmod_write_guest_phys(vcpu->vm, gpa + offsetof(typeof(st), version),
			       &st.version, sizeof(st.version));
}
