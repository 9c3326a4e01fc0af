// SPDX-License-Identifier: GPL-2.0
/*
 * Machine-check architecture for guests, as KVM offers it: KVM_CAP_MCE
 * (the number of banks), KVM_X86_GET_MCE_CAP_SUPPORTED,
 * KVM_X86_SETUP_MCE, KVM_X86_SET_MCE (a VMM injects a machine check),
 * and the MSRs: IA32_MCG_CAP/CTL/STATUS, the banks' MCi_CTL/STATUS/
 * ADDR/MISC, the CMCI controls MCi_CTL2 (no CMCI is offered: zero, for
 * the VMM only), and AMD's HWCR, whose McStatusWrEn lets a guest with an
 * AMD CPUID write non-zero MCi_STATUS values.
 */
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <asm/mce.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>

#include "registry.h"

/* MCG_CAP bits a VMM may ask for besides the bank count and MCG_EXT_CNT. */
#define KVMOD_MCG_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

#define MSR_MC0_CTL2		0x280

#define HWCR_MCSTATUS_WREN	BIT_ULL(18)
/* HWCR bits a write may carry and KVM ignores. */
#define HWCR_IGNORED		(BIT_ULL(3) | BIT_ULL(6) | BIT_ULL(8))

static unsigned int nr_banks(struct kvmod_vcpu *vcpu)
{
	return vcpu->mce.mcg_cap & MCG_BANKCNT_MASK;
}

/* Does the guest's CPUID name AMD or Hygon (KVM's "AMD compatible")? */
static bool guest_is_amd(struct kvmod_vcpu *vcpu)
{
	u32 r[4];

	kvmod_cpuid_lookup(vcpu, 0, 0, r);
	/* "AuthenticAMD" and "HygonGenuine": EBX, EDX, ECX. */
	return (r[1] == 0x68747541 && r[3] == 0x69746e65 &&
		r[2] == 0x444d4163) ||
	       (r[1] == 0x6f677948 && r[3] == 0x6e65476e &&
		r[2] == 0x656e6975);
}

/**
 * kvmod_mce_vcpu_init() - the machine-check state of a new vCPU
 * @vcpu: the vCPU
 *
 * Every bank exists, reporting disabled, until KVM_X86_SETUP_MCE.
 */
void kvmod_mce_vcpu_init(struct kvmod_vcpu *vcpu)
{
	memset(&vcpu->mce, 0, sizeof(vcpu->mce));
	vcpu->mce.mcg_cap = KVMOD_MAX_MCE_BANKS;
}

/**
 * kvmod_get_mce_cap_supported() - KVM_X86_GET_MCE_CAP_SUPPORTED
 * @argp: the user's u64
 *
 * Return: 0 or -EFAULT.
 */
int kvmod_get_mce_cap_supported(u64 __user *argp)
{
	u64 cap = KVMOD_MCG_CAP_SUPPORTED;

	return put_user(cap, argp) ? -EFAULT : 0;
}

/**
 * kvmod_setup_mce() - KVM_X86_SETUP_MCE: the guest's IA32_MCG_CAP
 * @vcpu: the vCPU
 * @argp: the user's u64 MCG_CAP (bank count in bits 7:0)
 *
 * Turns reporting on: MCG_CTL (when offered) and every bank's MCi_CTL
 * become all ones. The vendor may keep fewer bits of MCG_CAP than it
 * accepts (SVM: bits 8:0).
 *
 * Return: 0; -EINVAL for no banks, more than KVMOD_MAX_MCE_BANKS or
 * capabilities kvmod does not offer; -EFAULT.
 */
int kvmod_setup_mce(struct kvmod_vcpu *vcpu, u64 __user *argp)
{
	unsigned int banks, i;
	u64 cap;

	if (get_user(cap, argp))
		return -EFAULT;
	banks = cap & MCG_BANKCNT_MASK;
	if (!banks || banks > KVMOD_MAX_MCE_BANKS)
		return -EINVAL;
	if (cap & ~(KVMOD_MCG_CAP_SUPPORTED | MCG_BANKCNT_MASK |
		    MCG_EXT_CNT_MASK))
		return -EINVAL;
	vcpu->mce.mcg_cap = cap & ~vcpu->vm->vendor->mcg_cap_reserved;
	if (cap & MCG_CTL_P)
		vcpu->mce.mcg_ctl = ~0ULL;
	for (i = 0; i < banks; i++)
		vcpu->mce.banks[i * 4] = ~0ULL;
	return 0;
}

/*
 * Uncorrected, no action required (UCNA): no MCG_STATUS bit, none of
 * PCC, S and AR. Logged as it is, whatever the controls say, without
 * #MC (CMCI, its signal, is not offered).
 */
static bool is_ucna(const struct kvm_x86_mce *mce)
{
	return !mce->mcg_status &&
	       !(mce->status & (MCI_STATUS_PCC | MCI_STATUS_S |
				MCI_STATUS_AR)) &&
	       (mce->status & MCI_STATUS_UC);
}

/**
 * kvmod_set_mce() - KVM_X86_SET_MCE: the VMM reports a machine check
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_x86_mce
 *
 * An uncorrected error (MCi_STATUS.UC) with reporting enabled is logged
 * in its bank and raises #MC; one that arrives while a machine check is
 * in progress (MCG_STATUS.MCIP), or with CR4.MCE clear, shuts the guest
 * down. An uncorrected error that needs no action (UCNA) and a
 * corrected error are only logged. A bank that holds a valid error gets
 * the overflow bit (not for a UCNA, which replaces what was there).
 *
 * Return: 0; -EINVAL for a bank beyond MCG_CAP's count or a status
 * without VAL; -EFAULT.
 */
int kvmod_set_mce(struct kvmod_vcpu *vcpu, struct kvm_x86_mce __user *argp)
{
	struct kvm_x86_mce mce;
	struct kvm_sregs sregs;
	unsigned int n = nr_banks(vcpu);
	u64 *bank;

	if (copy_from_user(&mce, argp, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= n || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &vcpu->mce.banks[array_index_nospec(mce.bank, n) * 4];

	if (is_ucna(&mce)) {
		bank[1] = mce.status;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		vcpu->mce.mcg_status = mce.mcg_status;
		return 0;
	}
	if (mce.status & MCI_STATUS_UC) {
		/* Reporting off for the machine or for this bank. */
		if ((vcpu->mce.mcg_cap & MCG_CTL_P) &&
		    vcpu->mce.mcg_ctl != ~0ULL)
			return 0;
		if (bank[0] != ~0ULL)
			return 0;
		vcpu->vm->vendor->get_sregs(vcpu, &sregs);
		if ((vcpu->mce.mcg_status & MCG_STATUS_MCIP) ||
		    !(sregs.cr4 & X86_CR4_MCE)) {
			kvmod_make_request(vcpu, KVMOD_REQ_TRIPLE_FAULT);
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		vcpu->mce.mcg_status = mce.mcg_status;
		bank[1] = mce.status;
		kvmod_queue_exception(vcpu, X86_TRAP_MC, false, 0);
		return 0;
	}
	/* A corrected error never replaces an uncorrected one. */
	if ((bank[1] & MCI_STATUS_VAL) && (bank[1] & MCI_STATUS_UC)) {
		bank[1] |= MCI_STATUS_OVER;
		return 0;
	}
	if (bank[1] & MCI_STATUS_VAL)
		mce.status |= MCI_STATUS_OVER;
	bank[2] = mce.addr;
	bank[3] = mce.misc;
	bank[1] = mce.status;
	return 0;
}

/* The bank MSR's slot, or -1 beyond the banks MCG_CAP offers. */
static int bank_slot(struct kvmod_vcpu *vcpu, u32 msr)
{
	u32 last = MSR_IA32_MC0_CTL + 4 * nr_banks(vcpu);

	if (msr < MSR_IA32_MC0_CTL || msr >= last)
		return -1;
	return array_index_nospec(msr - MSR_IA32_MC0_CTL,
				  4 * KVMOD_MAX_MCE_BANKS);
}

/**
 * kvmod_mce_get_msr() - read a machine-check MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: KVM_GET_MSRS rather than the guest's RDMSR
 *
 * Return: 0; -EINVAL (#GP) for MCG_CTL without MCG_CTL_P, a bank beyond
 * the count, or MCi_CTL2 for the guest; -ENOENT when @msr is not a
 * machine-check MSR.
 */
int kvmod_mce_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host)
{
	int slot;

	switch (msr) {
	case MSR_IA32_P5_MC_ADDR:
	case MSR_IA32_P5_MC_TYPE:
		*val = 0;
		return 0;
	case MSR_IA32_MCG_CAP:
		*val = vcpu->mce.mcg_cap;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mce.mcg_cap & MCG_CTL_P) && !host)
			return -EINVAL;
		*val = vcpu->mce.mcg_ctl;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*val = vcpu->mce.mcg_status;
		return 0;
	case MSR_K7_HWCR:
		*val = vcpu->mce.hwcr;
		return 0;
	}
	if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + KVMOD_MAX_MCE_BANKS) {
		/* No MCG_CMCI_P: the guest has no MCi_CTL2. */
		if (msr >= MSR_MC0_CTL2 + nr_banks(vcpu) || !host)
			return -EINVAL;
		*val = 0;
		return 0;
	}
	if (msr < MSR_IA32_MC0_CTL ||
	    msr >= MSR_IA32_MC0_CTL + 4 * KVMOD_MAX_MCE_BANKS)
		return -ENOENT;
	slot = bank_slot(vcpu, msr);
	if (slot < 0)
		return -EINVAL;
	*val = vcpu->mce.banks[slot];
	return 0;
}

/**
 * kvmod_mce_set_msr() - write a machine-check MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: KVM_SET_MSRS rather than the guest's WRMSR
 *
 * MCG_CTL and MCi_CTL take all zeros or all ones (MCi_CTL also with bits
 * 10 and 0 clear, which old Linux and UnixWare guests write). The guest
 * writes a non-zero MCi_STATUS only with HWCR.McStatusWrEn set and an
 * AMD CPUID; HWCR takes McStatusWrEn and bits with no effect on a
 * virtual CPU, and a write of zero leaves McStatusWrEn as it was (KVM
 * 6.1 only ever sets it). MCi_CTL2 takes zero from the VMM only.
 *
 * Return: 0; -EINVAL (#GP) for a value or MSR refused; -ENOENT when
 * @msr is not a machine-check MSR.
 */
int kvmod_mce_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	int slot;

	switch (msr) {
	case MSR_IA32_MCG_STATUS:
		vcpu->mce.mcg_status = val;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(vcpu->mce.mcg_cap & MCG_CTL_P) && (val || !host))
			return -EINVAL;
		if (val && val != ~0ULL)
			return -EINVAL;
		vcpu->mce.mcg_ctl = val;
		return 0;
	case MSR_K7_HWCR:
		val &= ~HWCR_IGNORED;
		if (val && val != HWCR_MCSTATUS_WREN)
			return -EINVAL;
		if (val)
			vcpu->mce.hwcr = val;
		return 0;
	}
	if (msr >= MSR_MC0_CTL2 && msr < MSR_MC0_CTL2 + KVMOD_MAX_MCE_BANKS)
		return msr >= MSR_MC0_CTL2 + nr_banks(vcpu) || val || !host ?
		       -EINVAL : 0;
	if (msr < MSR_IA32_MC0_CTL ||
	    msr >= MSR_IA32_MC0_CTL + 4 * KVMOD_MAX_MCE_BANKS)
		return -ENOENT;
	slot = bank_slot(vcpu, msr);
	if (slot < 0)
		return -EINVAL;
	if (slot % 4 == 0 && val && (val | BIT_ULL(10) | 1) != ~0ULL)
		return -EINVAL;
	if (slot % 4 == 1 && val && !host &&
	    (!(vcpu->mce.hwcr & HWCR_MCSTATUS_WREN) || !guest_is_amd(vcpu)))
		return -EINVAL;
	vcpu->mce.banks[slot] = val;
	return 0;
}
