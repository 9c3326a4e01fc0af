// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RDMSR/WRMSR. Every MSR access exits (the MSR permission map is
 * all ones); the MSRs a guest may use live in the VMCB save area (loaded
 * by VMRUN/VMLOAD) or in kvmod's own state. Anything else is a #GP.
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
	case MSR_IA32_TSC:
		*val = rdtsc() + svm->vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_APICBASE:
		*val = svm->apic_base;
		return 0;
	case MSR_MTRRcap:
	case MSR_MTRRdefType:
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		*val = 0;
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
	case MSR_IA32_TSC:
		svm->vmcb->control.tsc_offset = val - rdtsc();
		return 0;
	case MSR_IA32_APICBASE:
		/* No in-kernel APIC yet: remember the value only. */
		svm->apic_base = val;
		return 0;
	case MSR_MTRRdefType:
	case MSR_IA32_MCG_STATUS:
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * svm_handle_msr() - emulate an intercepted RDMSR or WRMSR
 * @vcpu: the vCPU
 * @write: WRMSR (true) or RDMSR (false)
 *
 * Return: KVMOD_EXIT_RESUME, or an exit to userspace on emulation failure.
 */
int svm_handle_msr(struct kvmod_vcpu *vcpu, bool write)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 msr = vcpu->regs[KVMOD_RCX];
	u64 val;
	int r;

	if (write) {
		val = (u32)vcpu->regs[KVMOD_RAX] |
		      ((u64)(u32)vcpu->regs[KVMOD_RDX] << 32);
		r = svm_set_msr(vcpu, msr, val, false);
	} else {
		r = svm_get_msr(vcpu, msr, &val);
		if (!r) {
			vcpu->regs[KVMOD_RAX] = (u32)val;
			vcpu->regs[KVMOD_RDX] = val >> 32;
		}
	}
	kvmod_trace_msr(vcpu, msr, r ? 0 : val, write, r);
	if (r) {
		svm_inject_exception(svm, GP_VECTOR, true, 0);
		return KVMOD_EXIT_RESUME;
	}
	if (svm_skip_insn(vcpu))
		return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   SVM_EXIT_MSR, vcpu->rip);
	return KVMOD_EXIT_RESUME;
}
