// SPDX-License-Identifier: GPL-2.0
/*
 * Feature MSRs (KVM_CAP_GET_MSR_FEATURES): MSRs describing the CPU model
 * that a VMM reads on the system fd (KVM_GET_MSR_FEATURE_INDEX_LIST,
 * KVM_GET_MSRS) before it sets them per vCPU.
 *
 * kvmod offers only the one its guests can read: IA32_UCODE_REV (the
 * host's microcode revision on the system fd; per vCPU the value the
 * VMM set, 0x100000000 by default as KVM). KVM's others are not offered:
 * IA32_ARCH_CAPABILITIES (kvmod's guests do not see the CPUID bit that
 * announces it), AMD's DE_CFG and IA32_PERF_CAPABILITIES (no such MSR
 * for kvmod's guests) and the VMX capability MSRs (no nested VMX).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "registry.h"

static const u32 feature_msrs[] = {
	MSR_IA32_UCODE_REV,
};

static int feature_msr_value(u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_IA32_UCODE_REV:
		if (rdmsrl_safe(msr, val))
			*val = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * kvmod_get_msr_feature_index_list() - KVM_GET_MSR_FEATURE_INDEX_LIST
 * @argp: the user's struct kvm_msr_list
 *
 * Return: 0; -E2BIG, with nmsrs set to the number needed, when the
 * caller's list is too short; -EFAULT.
 */
int kvmod_get_msr_feature_index_list(struct kvm_msr_list __user *argp)
{
	struct kvm_msr_list hdr;
	u32 n = ARRAY_SIZE(feature_msrs);

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (put_user(n, &argp->nmsrs))
		return -EFAULT;
	if (hdr.nmsrs < n)
		return -E2BIG;
	if (copy_to_user(argp->indices, feature_msrs, sizeof(feature_msrs)))
		return -EFAULT;
	return 0;
}

/**
 * kvmod_get_feature_msrs() - KVM_GET_MSRS on the system fd
 * @argp: the user's struct kvm_msrs
 *
 * Return: the number of entries read (up to the first MSR that is not a
 * feature MSR), -E2BIG for KVMOD_MAX_IO_MSRS entries or more, -EFAULT.
 */
int kvmod_get_feature_msrs(struct kvm_msrs __user *argp)
{
	struct kvm_msr_entry e;
	struct kvm_msrs hdr;
	u32 i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	/* As KVM: 256 entries are already too many. */
	if (hdr.nmsrs >= KVMOD_MAX_IO_MSRS)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		if (copy_from_user(&e, &argp->entries[i], sizeof(e)))
			return -EFAULT;
		if (feature_msr_value(e.index, &e.data))
			break;
		if (copy_to_user(&argp->entries[i], &e, sizeof(e)))
			return -EFAULT;
	}
	return i;
}

/**
 * kvmod_get_emulated_cpuid() - KVM_GET_EMULATED_CPUID
 * @argp: the user's struct kvm_cpuid2
 *
 * kvmod emulates no instruction beyond what the host CPU runs (KVM
 * offers MOVBE and RDPID this way, by emulating them on #UD): the list
 * is empty. The arguments are checked as KVM checks them.
 *
 * Return: 0 with nent 0; -E2BIG when nent is 0; -EINVAL when an entry's
 * padding is not zero; -EFAULT.
 */
int kvmod_get_emulated_cpuid(struct kvm_cpuid2 __user *argp)
{
	u32 pad[3], i, nent;

	if (get_user(nent, &argp->nent))
		return -EFAULT;
	if (nent < 1)
		return -E2BIG;
	nent = min_t(u32, nent, KVMOD_MAX_CPUID_ENTRIES);
	/* As KVM: the padding must come in zeroed, for later use. */
	for (i = 0; i < nent; i++) {
		if (copy_from_user(pad, argp->entries[i].padding, sizeof(pad)))
			return -EINVAL;
		if (pad[0] || pad[1] || pad[2])
			return -EINVAL;
	}
	if (put_user(0, &argp->nent))
		return -EFAULT;
	return 0;
}
