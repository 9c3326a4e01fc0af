// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's TSC: core keeps the offset (guest TSC = host TSC + offset)
 * and the vendor programs it into the VMCB or VMCS. Writes follow KVM:
 *
 * - userspace writing IA32_TSC (KVM_SET_MSRS, and the write of 0 that
 *   every new vCPU gets) is matched to the VM's last write when it is
 *   within a second of what that write's TSC has become: the vCPU then
 *   takes the same offset, so all vCPUs of a VM count together;
 * - the guest writing IA32_TSC moves its offset and IA32_TSC_ADJUST by
 *   the same amount; writing IA32_TSC_ADJUST moves the offset by the
 *   change (userspace writes only set the MSR).
 *
 * The guest's TSC runs at the host's rate: there is no scaling.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "registry.h"

/* KVM's tolerance for a requested rate that needs no scaling. */
#define TSC_TOLERANCE_PPM	250

/**
 * kvmod_guest_tsc() - the guest's TSC for a host TSC value
 * @vcpu: the vCPU
 * @host_tsc: a host TSC reading
 *
 * Return: the guest's TSC at that moment.
 */
u64 kvmod_guest_tsc(struct kvmod_vcpu *vcpu, u64 host_tsc)
{
	return host_tsc + READ_ONCE(vcpu->tsc_offset);
}
EXPORT_SYMBOL_GPL(kvmod_guest_tsc);

/**
 * kvmod_tsc_all_matched() - do all vCPUs of a VM share one TSC?
 * @vm: the VM
 *
 * Return: true when every vCPU created so far has the same TSC offset
 * (kvmclock may then say that the guest's TSC is stable).
 */
bool kvmod_tsc_all_matched(struct kvmod_vm *vm)
{
	/* Pairs with the release in kvmod_create_vcpu(). */
	int i, n = smp_load_acquire(&vm->nr_vcpus);
	u64 first = 0;

	for (i = 0; i < n; i++) {
		u64 off = READ_ONCE(kvmod_get_vcpu(vm, i)->tsc_offset);

		if (i == 0)
			first = off;
		else if (off != first)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_GPL(kvmod_tsc_all_matched);

/**
 * kvmod_clock_update_all() - every vCPU refreshes its view of time
 * @vm: the VM
 *
 * Makes KVMOD_REQ_CLOCK_UPDATE on each vCPU and kicks it.
 */
void kvmod_clock_update_all(struct kvmod_vm *vm)
{
	/* Pairs with the release in kvmod_create_vcpu(). */
	int i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct kvmod_vcpu *vcpu = kvmod_get_vcpu(vm, i);

		kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
		kvmod_vcpu_kick(vcpu);
	}
}
EXPORT_SYMBOL_GPL(kvmod_clock_update_all);

static void tsc_write_offset(struct kvmod_vcpu *vcpu, u64 offset)
{
	WRITE_ONCE(vcpu->tsc_offset, offset);
	vcpu->vm->vendor->set_tsc_offset(vcpu, offset);
	kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
}

static u64 ns_to_tsc(struct kvmod_vcpu *vcpu, u64 ns)
{
	return mul_u64_u32_div(ns, vcpu->tsc_khz, NSEC_PER_MSEC);
}

/*
 * Userspace sets the TSC to @data (KVM_SET_MSRS, or 0 for a new vCPU):
 * within a second of the VM's last write (as it has advanced since),
 * or 0, the vCPU joins that write's offset instead.
 */
static void tsc_synchronize(struct kvmod_vcpu *vcpu, u64 data)
{
	struct kvmod_vm_tsc *t = &vcpu->vm->tsc;
	s64 ns = ktime_get_boottime_ns();
	u64 offset = data - rdtsc();
	bool sync = false;
	unsigned long flags;

	spin_lock_irqsave(&t->lock, flags);
	if (vcpu->tsc_khz && t->last_ns) {
		u64 expected = t->last_write + ns_to_tsc(vcpu, ns - t->last_ns);
		u64 hz = (u64)vcpu->tsc_khz * 1000;

		sync = data == 0 ||
		       (data < expected + hz && data + hz > expected);
	}
	if (sync && vcpu->tsc_khz == t->last_khz) {
		if (!check_tsc_unstable()) {
			offset = t->cur_offset;
		} else {
			/* Host TSCs differ: match the value, not the offset. */
			data += ns_to_tsc(vcpu, ns - t->last_ns);
			offset = data - rdtsc();
		}
	} else {
		t->generation++;
		t->cur_offset = offset;
	}
	t->last_write = data;
	t->last_ns = ns;
	t->last_khz = vcpu->tsc_khz;
	vcpu->tsc_generation = t->generation;
	spin_unlock_irqrestore(&t->lock, flags);
	tsc_write_offset(vcpu, offset);
}

/**
 * kvmod_tsc_vcpu_init() - the TSC of a new vCPU
 * @vcpu: the vCPU, created by the vendor but not yet published
 *
 * It runs at the host's rate and is synchronised with the VM's other
 * vCPUs, as a userspace write of 0 would.
 */
void kvmod_tsc_vcpu_init(struct kvmod_vcpu *vcpu)
{
	vcpu->tsc_khz = tsc_khz;
	vcpu->clock_cpu = -1;
	tsc_synchronize(vcpu, 0);
}

/**
 * kvmod_tsc_get_msr() - IA32_TSC and IA32_TSC_ADJUST
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int kvmod_tsc_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_IA32_TSC:
		*val = kvmod_guest_tsc(vcpu, rdtsc());
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*val = vcpu->tsc_adjust;
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * kvmod_tsc_set_msr() - write IA32_TSC or IA32_TSC_ADJUST
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: written by userspace (KVM_SET_MSRS)
 *
 * Without TSC_ADJUST in the guest's CPUID, writes of IA32_TSC_ADJUST are
 * dropped, as KVM does.
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int kvmod_tsc_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	u64 adj;

	switch (msr) {
	case MSR_IA32_TSC:
		if (host) {
			tsc_synchronize(vcpu, val);
			return 0;
		}
		adj = val - kvmod_guest_tsc(vcpu, rdtsc());
		vcpu->tsc_adjust += adj;
		tsc_write_offset(vcpu, vcpu->tsc_offset + adj);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!kvmod_guest_has_feature(vcpu, 7, 1, 1))
			return 0;
		if (!host)
			tsc_write_offset(vcpu, vcpu->tsc_offset +
					 (val - vcpu->tsc_adjust));
		vcpu->tsc_adjust = val;
		return 0;
	default:
		return -ENOENT;
	}
}

/**
 * kvmod_set_tsc_khz() - KVM_SET_TSC_KHZ
 * @vcpu: the vCPU
 * @khz: the rate the guest's TSC is to run at; 0 for the host's
 *
 * kvmod cannot scale the TSC (KVM_CAP_TSC_CONTROL is 0): a rate within
 * 250 ppm of the host's is taken as is, as KVM does without scaling.
 *
 * Return: 0, or -EINVAL for a rate that would need scaling.
 */
int kvmod_set_tsc_khz(struct kvmod_vcpu *vcpu, u32 khz)
{
	u64 lo, hi;

	if (!khz)
		khz = tsc_khz;
	lo = div_u64((u64)tsc_khz * (1000000 - TSC_TOLERANCE_PPM), 1000000);
	hi = div_u64((u64)tsc_khz * (1000000 + TSC_TOLERANCE_PPM), 1000000);
	if (!khz || khz < lo || khz > hi)
		return -EINVAL;
	vcpu->tsc_khz = khz;
	return 0;
}
