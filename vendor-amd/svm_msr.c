// SPDX-License-Identifier: GPL-2.0
/*
 * The SVM side of guest MSRs. Every MSR access exits (the MSR permission
 * map is all ones) and core's kvmod_get_msr()/kvmod_set_msr() ask the
 * irqchip and core first; what is left here lives in the VMCB save area
 * (loaded by VMRUN/VMLOAD). Anything else is a #GP.
 */
#include <asm/msr-index.h>
#include <asm/msr.h>

#include "svm.h"

#define EFER_GUEST_BITS	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/**
 * svm_get_msr() - read a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 *
 * Return: 0, or -EINVAL for an MSR kvmod does not have.
 */
int svm_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (msr) {
	case MSR_EFER:
		*val = save->efer & ~EFER_SVME;
		return 0;
	case MSR_STAR:
		*val = save->star;
		return 0;
	case MSR_LSTAR:
		*val = save->lstar;
		return 0;
	case MSR_CSTAR:
		*val = save->cstar;
		return 0;
	case MSR_SYSCALL_MASK:
		*val = save->sfmask;
		return 0;
	case MSR_KERNEL_GS_BASE:
		*val = save->kernel_gs_base;
		return 0;
	case MSR_FS_BASE:
		*val = save->fs.base;
		return 0;
	case MSR_GS_BASE:
		*val = save->gs.base;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		*val = save->sysenter_cs;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		*val = save->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = save->sysenter_eip;
		return 0;
	case MSR_IA32_CR_PAT:
		*val = save->g_pat;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * svm_set_msr() - write a guest MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: written by userspace (KVM_SET_MSRS), not by the guest
 *
 * Return: 0, or -EINVAL when the guest would get a #GP.
 */
int svm_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	switch (msr) {
	case MSR_EFER:
		if (val & ~EFER_GUEST_BITS)
			return -EINVAL;
		if (host) {
			/* Userspace restores LMA together with the rest. */
			save->efer = val | EFER_SVME;
			return 0;
		}
		if (!kvmod_efer_allowed(vcpu, val))
			return -EINVAL;
		/* LME cannot change while paging is on; LMA is read-only. */
		if ((save->cr0 & X86_CR0_PG) &&
		    ((val ^ save->efer) & EFER_LME))
			return -EINVAL;
		save->efer = (val & ~EFER_LMA) | (save->efer & EFER_LMA) |
			     EFER_SVME;
		return 0;
	case MSR_STAR:
		save->star = val;
		return 0;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!kvmod_msr_canonical(val))
			return -EINVAL;
		if (msr == MSR_LSTAR)
			save->lstar = val;
		else if (msr == MSR_CSTAR)
			save->cstar = val;
		else if (msr == MSR_KERNEL_GS_BASE)
			save->kernel_gs_base = val;
		else if (msr == MSR_FS_BASE)
			save->fs.base = val;
		else
			save->gs.base = val;
		return 0;
	case MSR_SYSCALL_MASK:
		save->sfmask = (u32)val;
		return 0;
	case MSR_IA32_SYSENTER_CS:
		save->sysenter_cs = (u32)val;
		return 0;
	case MSR_IA32_SYSENTER_ESP:
		save->sysenter_esp = val;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		save->sysenter_eip = val;
		return 0;
	case MSR_IA32_CR_PAT:
		if (!kvmod_pat_valid(val))
			return -EINVAL;
		save->g_pat = val;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * svm_set_tsc_offset() - program the guest's TSC offset
 * @vcpu: the vCPU
 * @offset: guest TSC minus host TSC (core keeps it: tsc.c)
 */
void svm_set_tsc_offset(struct kvmod_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}
