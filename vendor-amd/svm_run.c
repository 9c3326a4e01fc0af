// SPDX-License-Identifier: GPL-2.0
/*
 * One guest entry and exit on SVM.
 *
 * Core owns the GPRs; RAX, RSP, RIP and RFLAGS travel through the VMCB,
 * the rest through kvmod_svm_vmrun(). Host state that #VMEXIT does not
 * restore (FS/GS/TR/LDTR and the syscall MSRs) is saved with VMSAVE to
 * a per-CPU page and reloaded with VMLOAD; the FPU holds the guest's
 * state for the whole KVM_RUN (fpu_swap_kvm_fpstate() in core); the
 * guest's DR0-3 are loaded while one of its breakpoints is armed or it
 * owns them, and saved after the exit when it does (DR6 and DR7 travel in
 * the VMCB, see svm_debug.c); host breakpoints are restored after every
 * exit.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/irqflags.h>
#include <asm/special_insns.h>

#include "svm.h"

static inline void svm_clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static inline void svm_stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

int svm_vcpu_run(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd;
	u32 host_pkru = 0;
	int cpu, enter;

	vmcb->save.rax = vcpu->regs[KVMOD_RAX];
	vmcb->save.rsp = vcpu->regs[KVMOD_RSP];
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;

	preempt_disable();
	local_irq_disable();
	/* The guest's FPU state must be in the registers, not only in memory. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	cpu = smp_processor_id();
	sd = this_cpu_ptr(&svm_cpus);
	if (vcpu->cpu != cpu || svm->asid_gen != sd->asid_gen)
		svm_assign_asid(svm, sd);
	vcpu->cpu = cpu;
	enter = kvmod_vcpu_enter_guest(vcpu);
	if (enter == KVMOD_ENTER_CANCEL) {
		/* Core's loop handles the request or signal, then re-enters. */
		local_irq_enable();
		preempt_enable();
		svm_cancel_injection(vcpu);
		return KVMOD_EXIT_RESUME;
	}
	if (enter == KVMOD_ENTER_FLUSH_TLB)
		svm->flush_pending = true;
	svm_events_before_entry(vcpu);
	if (svm->flush_pending) {
		vmcb->control.tlb_ctl = svm_caps.flush_by_asid ?
			TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;
		svm->flush_pending = false;
	}
	vmcb->control.clean = 0;

	/* A guest may set CR4.PKE and write PKRU: keep the host's. */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		host_pkru = rdpkru();

	if (static_branch_unlikely(&kvmod_trace_exits))
		kvmod_trace_kvm_entry(vcpu);
	svm_debug_before_entry(vcpu);
	svm_clgi();
	kvmod_load_guest_xcr0(vcpu, vmcb->save.cr4);
	kvmod_svm_vmrun(svm->vmcb_pa, vcpu->regs, sd->host_vmcb_pa);
	kvmod_load_host_xcr0(vcpu, vmcb->save.cr4);
	kvmod_vcpu_exit_guest(vcpu);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && rdpkru() != host_pkru)
		wrpkru(host_pkru);
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	svm_debug_after_exit(vcpu);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	svm_stgi();
	preempt_enable();
	/* Pending host interrupts are taken here, preemptible. */
	local_irq_enable();

	vcpu->regs[KVMOD_RAX] = vmcb->save.rax;
	vcpu->regs[KVMOD_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	svm_events_after_exit(vcpu);
	if (static_branch_unlikely(&kvmod_trace_exits))
		kvmod_trace_kvm_exit(vcpu, KVMOD_ISA_SVM);
	kvmod_vcpu_after_exit(vcpu);

	return svm_handle_exit(vcpu);
}
