// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RDMSR/WRMSR. Every MSR access exits (no MSR bitmap). The MSRs a
 * guest may use live in the VMCS guest-state area (switched by VM entry
 * and exit), in the VM-entry MSR-load list (the syscall MSRs), or in
 * kvmod-intel's own state; anything else is a #GP, as on kvmod-amd.
 */
#include <asm/msr-index.h>
#include <asm/msr.h>

#include "vmx.h"

#define EFER_GUEST_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

const u32 vmx_autoload_index[VMX_NR_AUTOLOAD] = {
	[VMX_MSR_STAR] = MSR_STAR,
	[VMX_MSR_LSTAR] = MSR_LSTAR,
	[VMX_MSR_CSTAR] = MSR_CSTAR,
	[VMX_MSR_SFMASK] = MSR_SYSCALL_MASK,
};

/**
 * vmx_msrs_reset() - the guest's MSR-load list at reset: all zero
 * @vmx: the vCPU
 */
void vmx_msrs_reset(struct vmx_vcpu *vmx)
{
	int i;

	for (i = 0; i < VMX_NR_AUTOLOAD; i++) {
		vmx->guest_msrs[i].index = vmx_autoload_index[i];
		vmx->guest_msrs[i].reserved = 0;
		vmx->guest_msrs[i].value = 0;
	}
	vmx->kernel_gs_base = 0;
}

static u64 vmx_vmcs_read_one(struct vmx_vcpu *vmx, unsigned long field)
{
	u64 val;

	vmx_vmcs_get(vmx);
	val = vmcs_read(field);
	vmx_vmcs_put(vmx);
	return val;
}

static void vmx_vmcs_write_one(struct vmx_vcpu *vmx, unsigned long field,
			       u64 val)
{
	vmx_vmcs_get(vmx);
	vmcs_write(field, val);
	vmx_vmcs_put(vmx);
}

/**
 * vmx_get_msr() - read a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 *
 * Return: 0, or -EINVAL for an MSR kvmod does not have.
 */
int vmx_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (msr) {
	case MSR_EFER:
		*val = vmx->efer;
		return 0;
	case MSR_STAR:
		*val = vmx->guest_msrs[VMX_MSR_STAR].value;
		return 0;
	case MSR_LSTAR:
		*val = vmx->guest_msrs[VMX_MSR_LSTAR].value;
		return 0;
	case MSR_CSTAR:
		*val = vmx->guest_msrs[VMX_MSR_CSTAR].value;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = vmx->guest_msrs[VMX_MSR_SFMASK].value;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*val = vmx->kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*val = vmx_vmcs_read_one(vmx, GUEST_FS_BASE);
		return 0;
	case MSR_GS_BASE:
		*val = vmx_vmcs_read_one(vmx, GUEST_GS_BASE);
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = vmx_vmcs_read_one(vmx, GUEST_SYSENTER_CS);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmx_vmcs_read_one(vmx, GUEST_SYSENTER_ESP);
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmx_vmcs_read_one(vmx, GUEST_SYSENTER_EIP);
		return 0;
	case MSR_IA32_CR_PAT:
		*val = vmx_vmcs_read_one(vmx, GUEST_IA32_PAT);
		return 0;
	default:
		return -EINVAL;
	}
}

static int vmx_set_efer(struct vmx_vcpu *vmx, u64 val, bool host)
{
	u64 cr0;

	if (val & ~EFER_GUEST_BITS)
		return -EINVAL;
	if (!host) {
		if (!kvmod_efer_allowed(vmx->vcpu, val))
			return -EINVAL;
		/* LME cannot change while paging is on; LMA is read-only. */
		vmx_vmcs_get(vmx);
		cr0 = vmx_read_cr0();
		vmx_vmcs_put(vmx);
		if ((cr0 & X86_CR0_PG) && ((val ^ vmx->efer) & EFER_LME))
			return -EINVAL;
		val = (val & ~EFER_LMA) | (vmx->efer & EFER_LMA);
	}
	/* Userspace restores LMA together with the rest. */
	vmx->efer = val;
	vmx_vmcs_write_one(vmx, GUEST_IA32_EFER, val);
	return 0;
}

/**
 * vmx_set_msr() - write a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: written by userspace (KVM_SET_MSRS), not by the guest
 *
 * Return: 0, or -EINVAL when the guest would get a #GP.
 */
int vmx_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (msr) {
	case MSR_EFER:
		return vmx_set_efer(vmx, val, host);
	case MSR_STAR:
		vmx->guest_msrs[VMX_MSR_STAR].value = val;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!kvmod_msr_canonical(val))
			return -EINVAL;
		if (msr == MSR_LSTAR)
			vmx->guest_msrs[VMX_MSR_LSTAR].value = val;
		else if (msr == MSR_CSTAR)
			vmx->guest_msrs[VMX_MSR_CSTAR].value = val;
		else if (msr == MSR_KERNEL_GS_BASE)
			vmx->kernel_gs_base = val;
		else if (msr == MSR_FS_BASE)
			vmx_vmcs_write_one(vmx, GUEST_FS_BASE, val);
		else
			vmx_vmcs_write_one(vmx, GUEST_GS_BASE, val);
		return 0;
	case MSR_SYSCALL_MASK:
		vmx->guest_msrs[VMX_MSR_SFMASK].value = (u32)val;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		vmx_vmcs_write_one(vmx, GUEST_SYSENTER_CS, (u32)val);
		return 0;
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* VM entry checks that these are canonical. */
		if (!kvmod_msr_canonical(val))
			return -EINVAL;
		vmx_vmcs_write_one(vmx, msr == MSR_IA32_SYSENTER_ESP ?
				   GUEST_SYSENTER_ESP : GUEST_SYSENTER_EIP, val);
		return 0;
	case MSR_IA32_CR_PAT:
		if (!kvmod_pat_valid(val))
			return -EINVAL;
		vmx_vmcs_write_one(vmx, GUEST_IA32_PAT, val);
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * vmx_set_tsc_offset() - program the guest's TSC offset
 * @vcpu: the vCPU
 * @offset: guest TSC minus host TSC (core keeps it: tsc.c)
 */
void vmx_set_tsc_offset(struct kvmod_vcpu *vcpu, u64 offset)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->tsc_offset = offset;
	vmx_vmcs_write_one(vmx, TSC_OFFSET, offset);
}
