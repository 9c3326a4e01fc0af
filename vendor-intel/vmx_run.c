// SPDX-License-Identifier: GPL-2.0
/*
 * One guest entry and exit on VMX.
 *
 * Core owns the GPRs; RSP, RIP and RFLAGS travel through the VMCS, the
 * rest through kvmod_vmx_enter(). VM exit restores only part of the host
 * state from the VMCS host-state area, so around every entry this file
 * puts back the rest: the DS/ES/FS/GS and LDT selectors, the user's GS
 * base (IA32_KERNEL_GS_BASE, which the guest's SWAPGS uses), the GDT and
 * TSS limits, IA32_DEBUGCTL, PKRU and the host's breakpoints. The syscall
 * MSRs are switched by the VM-entry/-exit MSR-load lists; CR2 is the
 * guest's while it runs. The FPU holds the guest's state for the whole
 * KVM_RUN (fpu_swap_kvm_fpstate() in core); the guest's DR0-3 are loaded
 * while one of its breakpoints is armed or it owns them, and saved after
 * the exit when it does (vmx_debug.c).
 *
 * External interrupts exit without being acknowledged: they stay pending
 * and the host takes them as soon as interrupts are enabled again. An NMI
 * exits too, and the host's NMI handler is called before anything else.
 */
#include <linux/preempt.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fsgsbase.h>
#include <asm/idtentry.h>
#include <asm/irqflags.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"

static inline u16 vmx_sldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=rm" (sel));
	return sel;
}

static inline void vmx_lldt(u16 sel)
{
	asm volatile("lldt %0" : : "rm" (sel));
}

static void vmx_flush_ept(struct vmx_vcpu *vmx)
{
	if (vmx_caps.invept_single)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, vmx_eptp(vmx->vcpu->vm));
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
}

/* Drop the guest's linear translations (not the guest-physical ones). */
static void vmx_flush_vpid(struct vmx_vcpu *vmx)
{
	/* Without a VPID, every VM entry and exit flushes them anyway. */
	if (!vmx->vpid)
		return;
	if (vmx_caps.invvpid_single)
		vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
	else if (vmx_caps.invvpid_all)
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	else
		vmx_flush_ept(vmx);
}

/**
 * vmx_save_host() - prepare the host state for one guest entry
 * @vmx: the vCPU (its cached host-state fields and guest CR2 and
 *	IA32_KERNEL_GS_BASE), with its VMCS current, interrupts disabled
 * @h: what vmx_restore_host() puts back after the exit
 */
void vmx_save_host(struct vmx_vcpu *vmx, struct vmx_host_save *h)
{
	unsigned long cr3 = __get_current_cr3_fast();
	unsigned long cr4 = cr4_read_shadow();
	unsigned long fs_base;
	u16 fs_field, gs_field;

	/* The kernel switches CR3 (PCID) and CR4 bits on its own. */
	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}

	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	h->ldt = vmx_sldt();
	/*
	 * A host-state selector must have TI and RPL clear: such selectors
	 * (an LDT or a user GDT entry) are loaded as null by the exit and put
	 * back afterwards.
	 */
	fs_field = (h->fs & 7) ? 0 : h->fs;
	gs_field = (h->gs & 7) ? 0 : h->gs;
	if (unlikely(fs_field != vmx->host_fs_sel)) {
		vmcs_write(HOST_FS_SELECTOR, fs_field);
		vmx->host_fs_sel = fs_field;
	}
	if (unlikely(gs_field != vmx->host_gs_sel)) {
		vmcs_write(HOST_GS_SELECTOR, gs_field);
		vmx->host_gs_sel = gs_field;
	}
	/* The process's FS base; GS has the kernel's (per-CPU) base. */
	fs_base = x86_fsbase_read_cpu();
	if (unlikely(fs_base != vmx->host_fs_base)) {
		vmcs_write(HOST_FS_BASE, fs_base);
		vmx->host_fs_base = fs_base;
	}

	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	h->debugctl = get_debugctlmsr();
	/* A guest may set CR4.PKE and write PKRU: keep the host's. */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE))
		h->pkru = rdpkru();
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
}

/**
 * vmx_restore_host() - put back the host state a VM exit does not restore
 * @vmx: the vCPU, interrupts still disabled after the exit
 * @h: from vmx_save_host()
 */
void vmx_restore_host(struct vmx_vcpu *vmx, const struct vmx_host_save *h)
{
	vmx->cr2 = native_read_cr2();
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	if (unlikely(h->ldt || (h->gs & 7))) {
		vmx_lldt(h->ldt);
		/* Sets the inactive GS base too: written again below. */
		load_gs_index(h->gs);
	}
	if (unlikely(h->fs & 7))
		loadsegment(fs, h->fs);
	if (unlikely(h->ds | h->es)) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	/* The exit set the TR limit to 0x67 and the GDT limit to 0xffff. */
	invalidate_tss_limit();
	load_fixmap_gdt(raw_smp_processor_id());
	/* And cleared IA32_DEBUGCTL and DR7. */
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && rdpkru() != h->pkru)
		wrpkru(h->pkru);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/* Read what the exit left in the VMCS. Interrupts disabled. */
static void vmx_read_exit(struct vmx_vcpu *vmx)
{
	struct kvmod_vcpu *vcpu = vmx->vcpu;
	u32 basic, info;
	u64 lma;

	vmx->exit_qual = 0;
	vmx->exit_intr_info = 0;
	vmx->exit_intr_err = 0;
	vmx->idt_info = 0;
	vmx->idt_err = 0;
	vmx->exit_insn_len = 0;
	if (vmx->enter_result != VMX_ENTER_EXIT) {
		vmx->exit_reason = VMX_EXIT_REASONS_FAILED_VMENTRY;
		if (vmx->enter_result == VMX_ENTER_FAIL_VALID)
			vmx->insn_error = vmcs_read(VM_INSTRUCTION_ERROR);
		return;
	}
	vmx->exit_reason = vmcs_read(VM_EXIT_REASON);
	vmx->exit_qual = vmcs_read(EXIT_QUALIFICATION);
	/* A failed entry loaded nothing: the guest state is as written. */
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return;
	vmx->launched = true;

	vcpu->rip = vmcs_read(GUEST_RIP);
	vcpu->regs[KVMOD_RSP] = vmcs_read(GUEST_RSP);
	vcpu->rflags = vmcs_read(GUEST_RFLAGS);
	info = vmcs_read(VM_EXIT_INTR_INFO);
	vmx->exit_intr_info = info;
	if ((info & INTR_INFO_VALID_MASK) &&
	    (info & INTR_INFO_DELIVER_CODE_MASK))
		vmx->exit_intr_err = vmcs_read(VM_EXIT_INTR_ERROR_CODE);
	info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	vmx->idt_info = info;
	if ((info & VECTORING_INFO_VALID_MASK) &&
	    (info & VECTORING_INFO_DELIVER_CODE_MASK))
		vmx->idt_err = vmcs_read(IDT_VECTORING_ERROR_CODE);
	vmx->exit_insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	vmx->intr_state = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	/*
	 * The guest may have entered or left long mode (CR0.PG is its own);
	 * the CPU may then have updated "IA-32e mode guest" itself.
	 */
	lma = vmx->efer & EFER_LMA;
	vmx->efer = vmcs_read(GUEST_IA32_EFER);
	if ((vmx->efer & EFER_LMA) != lma)
		vmx->entry_ctls = vmcs_read(VM_ENTRY_CONTROLS);
	vmx->long64 = (vmx->efer & EFER_LMA) &&
		      (vmcs_read(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
	/* For core: where the exiting instruction ends; the shadow. */
	vcpu->next_rip = 0;
	if (vmx->exit_insn_len) {
		vcpu->next_rip = vcpu->rip + vmx->exit_insn_len;
		if (!vmx->long64)
			vcpu->next_rip = (u32)vcpu->next_rip;
	}
	vcpu->interrupt_shadow = 0;
	if (vmx->intr_state & GUEST_INTR_STATE_STI)
		vcpu->interrupt_shadow |= KVM_X86_SHADOW_INT_STI;
	if (vmx->intr_state & GUEST_INTR_STATE_MOV_SS)
		vcpu->interrupt_shadow |= KVM_X86_SHADOW_INT_MOV_SS;
	basic = (u16)vmx->exit_reason;
	if (basic == EXIT_REASON_EPT_VIOLATION ||
	    basic == EXIT_REASON_EPT_MISCONFIG)
		vmx->exit_gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
}

static bool vmx_exit_is_nmi(struct vmx_vcpu *vmx)
{
	u32 info = vmx->exit_intr_info;

	return vmx->enter_result == VMX_ENTER_EXIT &&
	       vmx->exit_reason == EXIT_REASON_EXCEPTION_NMI &&
	       (info & INTR_INFO_VALID_MASK) &&
	       (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR;
}

/* Bring what core and the exit handlers changed into the VMCS. */
static void vmx_sync_guest(struct kvmod_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 entry;

	vmcs_write(GUEST_RIP, vcpu->rip);
	vmcs_write(GUEST_RSP, vcpu->regs[KVMOD_RSP]);
	vmcs_write(GUEST_RFLAGS, vcpu->rflags);
	if (vmx->proc_ctls != vmx->proc_ctls_vmcs) {
		vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx->proc_ctls);
		vmx->proc_ctls_vmcs = vmx->proc_ctls;
	}
	if (vmx->intr_state_dirty) {
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO, vmx->intr_state);
		vmx->intr_state_dirty = false;
	}
	if (vmx->event_inj & INTR_INFO_VALID_MASK) {
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, vmx->event_inj);
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, vmx->event_inj_err);
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN, vmx->event_inj_len);
		vmx->event_inj = 0;
	}
	/* VM entry insists that "IA-32e mode guest" matches EFER.LMA. */
	entry = vmx->entry_ctls & ~VM_ENTRY_IA32E_MODE;
	if (vmx->efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	if (entry != vmx->entry_ctls) {
		vmcs_write(VM_ENTRY_CONTROLS, entry);
		vmx->entry_ctls = entry;
	}
}

/*
 * The entry is cancelled after vmx_sync_guest() wrote the event to
 * inject: give it back to core, which chooses again.
 */
static void vmx_cancel_injection(struct vmx_vcpu *vmx)
{
	u32 info = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);
	struct kvmod_event ev = {
		.vector = info & INTR_INFO_VECTOR_MASK,
		.has_error = info & INTR_INFO_DELIVER_CODE_MASK,
		.error = vmcs_read(VM_ENTRY_EXCEPTION_ERROR_CODE),
		.insn_len = vmcs_read(VM_ENTRY_INSTRUCTION_LEN),
	};

	if (!(info & INTR_INFO_VALID_MASK))
		return;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	switch (info & INTR_INFO_INTR_TYPE_MASK) {
	case INTR_TYPE_NMI_INTR:
		ev.type = KVMOD_EVENT_NMI;
		break;
	case INTR_TYPE_EXT_INTR:
		ev.type = KVMOD_EVENT_IRQ;
		break;
	case INTR_TYPE_SOFT_INTR:
		ev.type = KVMOD_EVENT_SOFT_IRQ;
		break;
	default:
		ev.type = KVMOD_EVENT_EXCEPTION;
		break;
	}
	kvmod_event_interrupted(vmx->vcpu, &ev);
}

int vmx_vcpu_run(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_save host;
	int enter;

	preempt_disable();
	vmx_vmcs_load(vmx);
	vmx_sync_guest(vcpu, vmx);

	local_irq_disable();
	if (unlikely(!this_cpu_ptr(&vmx_cpus)->enabled)) {
		/* VMX was turned off under us (reboot). */
		local_irq_enable();
		preempt_enable();
		return -EIO;
	}
	/* The guest's FPU state must be in the registers, not only in memory. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	vcpu->cpu = smp_processor_id();
	enter = kvmod_vcpu_enter_guest(vcpu);
	if (enter == KVMOD_ENTER_CANCEL) {
		/* Core's loop handles the request or signal, then re-enters. */
		vmx_cancel_injection(vmx);
		local_irq_enable();
		preempt_enable();
		return KVMOD_EXIT_RESUME;
	}
	if (enter == KVMOD_ENTER_FLUSH_TLB)
		vmx->flush_ept = true;
	if (vmx->flush_ept) {
		/* Also drops the combined (linear) translations. */
		vmx_flush_ept(vmx);
		vmx->flush_ept = false;
		vmx->flush_vpid = false;
	} else if (vmx->flush_vpid) {
		vmx_flush_vpid(vmx);
		vmx->flush_vpid = false;
	}
	vmx_save_host(vmx, &host);
	vmx_debug_before_entry(vcpu);
	/* CR4.OSXSAVE is the guest's own bit: GUEST_CR4 holds it. */
	kvmod_load_guest_xcr0(vcpu, vmcs_read(GUEST_CR4));

	if (static_branch_unlikely(&kvmod_trace_exits))
		kvmod_trace_kvm_entry(vcpu);
	/* Nothing of the host's may be left in L1D for the guest (L1TF). */
	if (vmx_caps.l1d_flush)
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	vmx->enter_result = kvmod_vmx_enter(vcpu->regs, vmx->launched);
	kvmod_vcpu_exit_guest(vcpu);
	vmx_debug_after_exit(vmx);
	/* XSETBV always exits on VMX. */
	kvmod_load_host_xcr0(vcpu, 0);
	vmx_restore_host(vmx, &host);
	vmx_read_exit(vmx);
	if (vmx_exit_is_nmi(vmx))
		kvmod_vmx_call_nmi((unsigned long)asm_exc_nmi_noist);
	/*
	 * Pending host interrupts are taken here, preemptible: a timer tick
	 * that ended the guest's time slice then also lets RCU see a
	 * quiescent state (it never would inside preempt_disable()).
	 */
	preempt_enable();
	local_irq_enable();

	if (static_branch_unlikely(&kvmod_trace_exits))
		kvmod_trace_kvm_exit(vcpu, KVMOD_ISA_VMX);
	kvmod_vcpu_after_exit(vcpu);
	return vmx_handle_exit(vcpu);
}
