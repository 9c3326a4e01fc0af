// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_FPU and KVM_SET_FPU: the x87/SSE part of the guest's FPU state,
 * kept in the guest fpstate that fpu_swap_kvm_fpstate() loads for KVM_RUN
 * (outside KVM_RUN, and under the vCPU mutex, it is in memory).
 */
#include <linux/string.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>

#include "registry.h"

/* The MXCSR bits this CPU implements (arch/x86/kernel/fpu/init.c). */
extern unsigned int mxcsr_feature_mask;

int kvmod_get_fpu(struct kvmod_vcpu *vcpu, struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, sizeof(fpu->fpr));
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	fpu->mxcsr = fx->mxcsr;
	return 0;
}

int kvmod_set_fpu(struct kvmod_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fpstate *fps = vcpu->guest_fpu.fpstate;
	struct fxregs_state *fx = &fps->regs.fxsave;

	/* MXCSR bits the CPU does not have would make FXRSTOR fault. */
	if (fpu->mxcsr & ~mxcsr_feature_mask)
		return -EINVAL;
	memcpy(fx->st_space, fpu->fpr, sizeof(fpu->fpr));
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	fx->mxcsr = fpu->mxcsr;
	/* With XSAVE, the x87 and SSE parts now hold data, not init state. */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		fps->regs.xsave.header.xfeatures |= XFEATURE_MASK_FPSSE;
	return 0;
}
