// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_MSR_INDEX_LIST, KVM_GET_MSRS and KVM_SET_MSRS. The vendor keeps
 * the values (VMCB or VMCS); core moves them across the ABI.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>

#include "mtrr_check.h"
#include "registry.h"

/**
 * kvmod_msr_canonical() - is @addr a canonical 48-bit linear address?
 * @addr: the value a guest writes to a base or SYSCALL/SYSENTER MSR
 *
 * Return: true when bits 63:47 are all equal.
 */
bool kvmod_msr_canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}
EXPORT_SYMBOL_GPL(kvmod_msr_canonical);

/**
 * kvmod_pat_valid() - may @pat be written to IA32_PAT?
 * @pat: eight memory types, one per byte
 *
 * Return: false when a type is reserved (2, 3, or above 7).
 */
bool kvmod_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_GPL(kvmod_pat_valid);

/**
 * kvmod_efer_allowed() - do the guest's CPUID features allow these EFER bits?
 * @vcpu: the vCPU
 * @val: the EFER value the guest writes
 *
 * Return: false when LME, NXE or SCE is set without long mode, NX or
 * SYSCALL in the guest's CPUID (the guest then takes a #GP).
 */
bool kvmod_efer_allowed(struct kvmod_vcpu *vcpu, u64 val)
{
	if ((val & EFER_LME) &&
	    !kvmod_guest_has_feature(vcpu, 0x80000001, 3, 29))
		return false;
	if ((val & EFER_NX) &&
	    !kvmod_guest_has_feature(vcpu, 0x80000001, 3, 20))
		return false;
	if ((val & EFER_SCE) &&
	    !kvmod_guest_has_feature(vcpu, 0x80000001, 3, 11))
		return false;
	return true;
}
EXPORT_SYMBOL_GPL(kvmod_efer_allowed);

#define APIC_BASE_DEFAULT	0xfee00000ULL
#define APIC_BASE_RESERVED(maxphy) \
	(GENMASK_ULL(63, (maxphy)) | GENMASK_ULL(7, 0) | BIT_ULL(9))

#define APIC_BASE_EXTD		BIT_ULL(10)
#define APIC_BASE_EN		BIT_ULL(11)

/*
 * Reserved bits (x2APIC mode only with the CPUID bit), and the mode
 * changes the SDM forbids: to "x2APIC without enable", from x2APIC to
 * xAPIC, from disabled straight to x2APIC.
 */
static bool apic_base_valid(struct kvmod_vcpu *vcpu, u64 val)
{
	u64 rsvd = APIC_BASE_RESERVED(kvmod_guest_maxphyaddr(vcpu));
	u64 mode = APIC_BASE_EXTD | APIC_BASE_EN;
	u64 old = vcpu->apic_base & mode, new = val & mode;

	if (!kvmod_guest_has_feature(vcpu, 1, 2, 21))
		rsvd |= APIC_BASE_EXTD;
	if (val & rsvd)
		return false;
	if (new == APIC_BASE_EXTD)
		return false;
	if (old == mode && new == APIC_BASE_EN)
		return false;
	if (old == 0 && new == mode)
		return false;
	return true;
}

/*
 * The MTRRs are kept for the guest and the VMM only: with nested paging
 * the memory type comes from the host's mapping and the guest's PAT.
 */
static int mtrr_get(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	int slot = kvmod_mtrr_slot(msr);

	if (slot < 0)
		return -ENOENT;
	*val = vcpu->mtrr.slot[slot];
	return 0;
}

static int mtrr_set(struct kvmod_vcpu *vcpu, u32 msr, u64 val)
{
	int slot = kvmod_mtrr_slot(msr);

	if (slot < 0)
		return -ENOENT;
	if (!kvmod_mtrr_value_valid(slot, val, kvmod_guest_maxphyaddr(vcpu)))
		return -EINVAL;
	vcpu->mtrr.slot[slot] = val;
	return 0;
}

/* MSRs core keeps for every vendor; -ENOENT for the others. */
static int core_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val,
			bool host)
{
	int r;

	if (!mtrr_get(vcpu, msr, val))
		return 0;
	r = kvmod_mce_get_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	r = kvmod_platform_get_msr(vcpu, msr, val);
	if (r != -ENOENT)
		return r;
	switch (msr) {
	case MSR_IA32_APICBASE:
		*val = vcpu->apic_base;
		return 0;
	case MSR_MTRRcap:
		*val = KVMOD_MTRR_CAP;
		return 0;
	case MSR_IA32_UCODE_REV:
		*val = vcpu->microcode_version;
		return 0;
	default:
		return kvmod_tsc_get_msr(vcpu, msr, val);
	}
}

static int core_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	int r = mtrr_set(vcpu, msr, val);

	if (r != -ENOENT)
		return r;
	r = kvmod_mce_set_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	r = kvmod_platform_set_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	switch (msr) {
	case MSR_IA32_APICBASE:
		/* No in-kernel APIC: keep the value, as KVM checks it. */
		if (!host && !apic_base_valid(vcpu, val))
			return -EINVAL;
		vcpu->apic_base = val;
		return 0;
	case MSR_IA32_UCODE_REV:
		/* A feature MSR (feature_msr.c): the VMM sets it, the guest not. */
		if (host)
			vcpu->microcode_version = val;
		return 0;
	default:
		return kvmod_tsc_set_msr(vcpu, msr, val, host);
	}
}

/* The optional components' MSRs (kvmod-para's); -ENOENT for others. */
static int components_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val,
			      bool host)
{
	const struct kvmod_component_ops *c;
	int i, r;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (!c || !c->get_msr)
			continue;
		r = c->get_msr(vcpu, msr, val, host);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

static int components_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			      bool host)
{
	const struct kvmod_component_ops *c;
	int i, r;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (!c || !c->set_msr)
			continue;
		r = c->set_msr(vcpu, msr, val, host);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

/**
 * kvmod_get_msr() - read a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: for KVM_GET_MSRS, not for the guest's RDMSR
 *
 * The in-kernel irqchip answers first (APIC MSRs), then core's own MSRs
 * (the TSC's among them), then the optional components' (kvmod-para's),
 * then the vendor's.
 *
 * Return: 0, or -errno when the MSR cannot be read (#GP for the guest).
 */
int kvmod_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	const struct kvmod_irqchip_ops *chip = vcpu->vm->irqchip;
	int r;

	if (chip) {
		r = chip->get_msr(vcpu, msr, val, host);
		if (r != -ENOENT)
			return r;
	}
	r = core_get_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	r = components_get_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	return vcpu->vm->vendor->get_msr(vcpu, msr, val);
}
EXPORT_SYMBOL_GPL(kvmod_get_msr);

/**
 * kvmod_set_msr() - write a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: for KVM_SET_MSRS (fewer checks), not for the guest's WRMSR
 *
 * Return: 0, or -errno when the write is refused (#GP for the guest).
 */
int kvmod_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	const struct kvmod_irqchip_ops *chip = vcpu->vm->irqchip;
	int r;

	if (chip) {
		r = chip->set_msr(vcpu, msr, val, host);
		if (r != -ENOENT)
			return r;
	}
	r = core_set_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	r = components_set_msr(vcpu, msr, val, host);
	if (r != -ENOENT)
		return r;
	return vcpu->vm->vendor->set_msr(vcpu, msr, val, host);
}
EXPORT_SYMBOL_GPL(kvmod_set_msr);

/* The MSRs userspace can save and restore. */
static const u32 kvmod_msr_list[] = {
	MSR_EFER, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_KERNEL_GS_BASE, MSR_FS_BASE, MSR_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_IA32_APICBASE, MSR_IA32_TSC_ADJUST,
	MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL, MSR_IA32_MISC_ENABLE,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES,
};

/**
 * kvmod_get_msr_index_list() - KVM_GET_MSR_INDEX_LIST
 * @argp: the user's struct kvm_msr_list
 *
 * Core's MSRs, then those of the components loaded now (kvmod-para's).
 *
 * Return: 0; -E2BIG, with nmsrs set to the number needed, when the
 * caller's list is too short; -EFAULT, -ENOMEM.
 */
int kvmod_get_msr_index_list(struct kvm_msr_list __user *argp)
{
	u32 core = ARRAY_SIZE(kvmod_msr_list), n, extra;
	struct kvm_msr_list hdr;
	u32 *list;
	int r = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	extra = kvmod_components_msr_indices(NULL, 0);
	list = kcalloc(core + extra, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	memcpy(list, kvmod_msr_list, sizeof(kvmod_msr_list));
	/* A component may have come or gone since it was counted. */
	n = core + min(extra, kvmod_components_msr_indices(list + core, extra));
	if (put_user(n, &argp->nmsrs))
		r = -EFAULT;
	else if (hdr.nmsrs < n)
		r = -E2BIG;
	else if (copy_to_user(argp->indices, list, n * sizeof(*list)))
		r = -EFAULT;
	kfree(list);
	return r;
}

/**
 * kvmod_vcpu_msrs() - KVM_GET_MSRS and KVM_SET_MSRS
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_msrs
 * @write: KVM_SET_MSRS
 *
 * Entries are processed in order up to the first the vendor refuses.
 *
 * Return: the number of entries processed, -E2BIG for more than
 * KVMOD_MAX_IO_MSRS, -EFAULT.
 */
int kvmod_vcpu_msrs(struct kvmod_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool write)
{
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	u32 i;
	int r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > KVMOD_MAX_IO_MSRS)
		return -E2BIG;
	e = kvcalloc(max_t(u32, hdr.nmsrs, 1), sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	if (copy_from_user(e, argp->entries, hdr.nmsrs * sizeof(*e))) {
		r = -EFAULT;
		goto out;
	}
	for (i = 0; i < hdr.nmsrs; i++) {
		if (write)
			r = kvmod_set_msr(vcpu, e[i].index, e[i].data, true);
		else
			r = kvmod_get_msr(vcpu, e[i].index, &e[i].data, true);
		if (r)
			break;
	}
	r = i;
	if (!write && copy_to_user(argp->entries, e, i * sizeof(*e)))
		r = -EFAULT;
out:
	kvfree(e);
	return r;
}
