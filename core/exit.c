// SPDX-License-Identifier: GPL-2.0
/*
 * Exits handled the same way on every vendor. A vendor decodes its exit
 * (VMCB exit code, VMX exit reason) into one of these calls, giving what
 * only it knows (the fault address, the DR number from the qualification)
 * and keeps only what is its own (control registers, VMX instructions...).
 */
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "registry.h"
#include "insn_len.h"
#include "trace_kvmod.h"

/**
 * kvmod_skip_insn() - step over the instruction that caused the exit
 * @vcpu: the vCPU
 *
 * The vendor's next_rip when the hardware gave one, else the length
 * decoded from the instruction; the interrupt shadow ends.
 *
 * Return: KVMOD_EXIT_RESUME, an emulation-failure exit when the
 * instruction cannot be read or decoded, or KVM_EXIT_DEBUG when
 * userspace single-steps the guest (RFLAGS.TF: see debug.c).
 */
int kvmod_skip_insn(struct kvmod_vcpu *vcpu)
{
	u64 next = vcpu->next_rip;
	u8 insn[KVMOD_INSN_MAX];
	bool long64;
	int n, len;

	if (!next) {
		n = kvmod_fetch_insn(vcpu, insn, &long64);
		len = n > 0 ? kvmod_insn_len(insn, n, long64) : -1;
		if (len < 0)
			return kvmod_exit_internal(vcpu,
					KVM_INTERNAL_ERROR_EMULATION, 0,
					vcpu->rip);
		next = vcpu->rip + len;
		if (!long64)
			next = (u32)next;
	}
	kvmod_advance_rip(vcpu, next);
	/* The single-step trap the emulated instruction would have raised. */
	if (unlikely(vcpu->rflags & X86_EFLAGS_TF))
		return kvmod_debug_insn_stepped(vcpu);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_skip_insn);

/**
 * kvmod_inject_ud() - the instruction raises #UD in the guest
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME.
 */
int kvmod_inject_ud(struct kvmod_vcpu *vcpu)
{
	kvmod_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_inject_ud);

/**
 * kvmod_inject_gp() - the instruction raises #GP(0) in the guest
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME.
 */
int kvmod_inject_gp(struct kvmod_vcpu *vcpu)
{
	kvmod_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_inject_gp);

/* CPUID faulting is on and the guest is outside ring 0. */
static noinline bool cpuid_faults(struct kvmod_vcpu *vcpu)
{
	struct kvmod_guest_mode mode;

	if (!kvmod_cpuid_faulting(vcpu))
		return false;
	vcpu->vm->vendor->get_mode(vcpu, &mode);
	return mode.cpl;
}

/**
 * kvmod_emulate_cpuid() - CPUID: answer from the vCPU's CPUID table
 * @vcpu: the vCPU
 *
 * With CPUID faulting on (MISC_FEATURES_ENABLES), CPUID outside ring 0
 * raises #GP instead.
 *
 * Return: KVMOD_EXIT_RESUME, or an exit to userspace.
 */
int kvmod_emulate_cpuid(struct kvmod_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	/* Any MISC_FEATURES_ENABLES bit: the rare, out-of-line check. */
	if (unlikely(vcpu->platform.misc_features) && cpuid_faults(vcpu))
		return kvmod_inject_gp(vcpu);

	kvmod_cpuid(vcpu, vcpu->regs[KVMOD_RAX], vcpu->regs[KVMOD_RCX],
		    &eax, &ebx, &ecx, &edx);
	vcpu->regs[KVMOD_RAX] = eax;
	vcpu->regs[KVMOD_RBX] = ebx;
	vcpu->regs[KVMOD_RCX] = ecx;
	vcpu->regs[KVMOD_RDX] = edx;
	return kvmod_skip_insn(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_cpuid);

/**
 * kvmod_emulate_halt() - HLT
 * @vcpu: the vCPU
 *
 * With an in-kernel irqchip the vCPU halts in the kernel until an event
 * wakes it (run.c); without one, userspace gets KVM_EXIT_HLT.
 *
 * Return: KVMOD_EXIT_RESUME or KVMOD_EXIT_USER.
 */
int kvmod_emulate_halt(struct kvmod_vcpu *vcpu)
{
	int r = kvmod_skip_insn(vcpu);

	vcpu->stat.halt_exits++;
	if (r != KVMOD_EXIT_RESUME)
		return r;
	if (vcpu->vm->irqchip) {
		vcpu->mp_state = KVM_MP_STATE_HALTED;
		return KVMOD_EXIT_RESUME;
	}
	return kvmod_exit_hlt(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_halt);

/**
 * kvmod_emulate_rdmsr() - RDMSR: ECX selects, EDX:EAX receives
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME (the guest gets #GP for an MSR it cannot
 * read), or an exit to userspace.
 */
int kvmod_emulate_rdmsr(struct kvmod_vcpu *vcpu)
{
	u32 msr = vcpu->regs[KVMOD_RCX];
	u64 val = 0;
	int r;

	r = kvmod_get_msr(vcpu, msr, &val, false);
	kvmod_trace_msr(vcpu, msr, val, false, r);
	if (r)
		return kvmod_inject_gp(vcpu);
	vcpu->regs[KVMOD_RAX] = (u32)val;
	vcpu->regs[KVMOD_RDX] = val >> 32;
	return kvmod_skip_insn(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_rdmsr);

/**
 * kvmod_emulate_wrmsr() - WRMSR: ECX selects, EDX:EAX is written
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME (#GP for a refused write), or an exit.
 */
int kvmod_emulate_wrmsr(struct kvmod_vcpu *vcpu)
{
	u32 msr = vcpu->regs[KVMOD_RCX];
	u64 val = (u32)vcpu->regs[KVMOD_RAX] |
		  ((u64)(u32)vcpu->regs[KVMOD_RDX] << 32);
	int r;

	r = kvmod_set_msr(vcpu, msr, val, false);
	kvmod_trace_msr(vcpu, msr, val, true, r);
	if (r)
		return kvmod_inject_gp(vcpu);
	return kvmod_skip_insn(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_wrmsr);

/**
 * kvmod_emulate_hypercall() - VMMCALL or VMCALL
 * @vcpu: the vCPU
 *
 * A component that offers hypercalls (kvmod-para) handles it; without
 * one the guest gets #UD, as on hardware without a hypervisor.
 *
 * Return: KVMOD_EXIT_RESUME or KVMOD_EXIT_USER.
 */
int kvmod_emulate_hypercall(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	int i;

	trace_kvmod_hypercall(vcpu->id, vcpu->regs[KVMOD_RAX],
			      vcpu->regs[KVMOD_RBX], vcpu->regs[KVMOD_RCX],
			      vcpu->regs[KVMOD_RDX], vcpu->regs[KVMOD_RSI]);
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (c && c->hypercall) {
			vcpu->stat.hypercalls++;
			return c->hypercall(vcpu);
		}
	}
	return kvmod_inject_ud(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_hypercall);

/* Does a component of the VM offer hypercalls? */
static bool vm_has_hypercalls(struct kvmod_vm *vm)
{
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++)
		if (vm->components[i] && vm->components[i]->hypercall)
			return true;
	return false;
}

/**
 * kvmod_handle_ud() - an intercepted #UD
 * @vcpu: the vCPU, RIP at the faulting instruction
 *
 * The other vendor's hypercall instruction (VMCALL on AMD, VMMCALL on
 * Intel) raises #UD; when the VM offers hypercalls it is replaced by
 * the vendor's own, which the guest then runs (as KVM does). Anything
 * else, or the instruction in a VM without hypercalls, gets its #UD.
 *
 * Return: KVMOD_EXIT_RESUME.
 */
int kvmod_handle_ud(struct kvmod_vcpu *vcpu)
{
	const u8 *native = vcpu->vm->vendor->hypercall_insn;
	struct kvmod_guest_mode mode;
	u8 insn[KVMOD_INSN_MAX];
	bool long64;
	u64 linear;
	int n;

	if (!vm_has_hypercalls(vcpu->vm))
		return kvmod_inject_ud(vcpu);
	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n < 3 || insn[0] != 0x0f || insn[1] != 0x01 ||
	    (insn[2] != 0xc1 && insn[2] != 0xd9) || insn[2] == native[2])
		return kvmod_inject_ud(vcpu);
	vcpu->vm->vendor->get_mode(vcpu, &mode);
	linear = (long64 ? 0 : mode.seg_base[KVMOD_SEG_CS]) + vcpu->rip;
	if (!long64)
		linear = (u32)linear;
	if (kvmod_write_guest_virt(vcpu, linear, native, 3))
		return kvmod_inject_ud(vcpu);
	/* RIP stays: the guest runs the patched instruction. */
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_handle_ud);

/**
 * kvmod_emulate_set_cr8() - MOV to CR8: the task priority
 * @vcpu: the vCPU
 * @val: the value written
 *
 * Without an in-kernel APIC, a lowered TPR goes to userspace as
 * KVM_EXIT_SET_TPR (its interrupt controller may have something to
 * deliver now), as KVM does.
 *
 * Return: KVMOD_EXIT_RESUME or KVMOD_EXIT_USER.
 */
int kvmod_emulate_set_cr8(struct kvmod_vcpu *vcpu, u64 val)
{
	u64 old = vcpu->cr8;
	int r;

	if (val & ~0xfULL)
		return kvmod_inject_gp(vcpu);
	r = kvmod_skip_insn(vcpu);
	if (r != KVMOD_EXIT_RESUME)
		return r;
	vcpu->cr8 = val;
	if (vcpu->vm->irqchip) {
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
		return KVMOD_EXIT_RESUME;
	}
	if (val >= old)
		return KVMOD_EXIT_RESUME;
	vcpu->run->exit_reason = KVM_EXIT_SET_TPR;
	return KVMOD_EXIT_USER;
}
EXPORT_SYMBOL_GPL(kvmod_emulate_set_cr8);

/*
 * KVM_INTERNAL_ERROR_DELIVERY_EV for an event whose delivery reached
 * MMIO: the fault's error code and GPA, the event (its type, as enum
 * kvmod_event_type, times 256 plus its vector), the host CPU.
 */
static int exit_delivery_mmio(struct kvmod_vcpu *vcpu, u64 gpa,
			      u64 error_code)
{
	const struct kvmod_vcpu_events *e = &vcpu->ev;
	struct kvm_run *run = vcpu->run;
	u64 event;

	if (e->exception.injected)
		event = KVMOD_EVENT_EXCEPTION * 256 + e->exception.vector;
	else if (e->nmi.injected)
		event = KVMOD_EVENT_NMI * 256 + X86_TRAP_NMI;
	else if (e->irq.soft)
		event = KVMOD_EVENT_SOFT_IRQ * 256 + e->irq.vector;
	else
		event = KVMOD_EVENT_IRQ * 256 + e->irq.vector;
	kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV, error_code,
			    gpa);
	run->internal.ndata = 4;
	run->internal.data[2] = event;
	run->internal.data[3] = vcpu->cpu;
	return KVMOD_EXIT_USER;
}

/**
 * kvmod_handle_gpa_fault() - a nested page fault or EPT violation
 * @vcpu: the vCPU
 * @gpa: the guest-physical address
 * @write: the access was a write
 * @error_code: the vendor's fault information (for the trace)
 *
 * The MMU maps the page; where no memslot lets the access through, the
 * instruction is emulated as MMIO.
 *
 * Return: KVMOD_EXIT_RESUME, KVMOD_EXIT_USER or -errno.
 */
int kvmod_handle_gpa_fault(struct kvmod_vcpu *vcpu, u64 gpa, bool write,
			   u64 error_code)
{
	int r;

	vcpu->stat.pf_taken++;
	r = vcpu->vm->mmu->page_fault(vcpu->vm, gpa, write);
	trace_kvmod_page_fault(vcpu->id, gpa, error_code, r);
	if (!r) {
		vcpu->stat.pf_fixed++;
		return KVMOD_EXIT_RESUME;
	}
	if (r != -ENOENT)
		return r;
	vcpu->stat.pf_emulate++;
	/* MMIO while an event was being delivered (an IDT in MMIO...). */
	if (kvmod_event_delivering(vcpu))
		return exit_delivery_mmio(vcpu, gpa, error_code);
	return kvmod_emulate_mmio(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_handle_gpa_fault);

/**
 * kvmod_exit_irq_window() - the guest can take an interrupt now
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME; core's loop injects or reports the window.
 */
int kvmod_exit_irq_window(struct kvmod_vcpu *vcpu)
{
	vcpu->stat.irq_window_exits++;
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_exit_irq_window);

/**
 * kvmod_exit_nmi_window() - the guest can take an NMI now
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_RESUME.
 */
int kvmod_exit_nmi_window(struct kvmod_vcpu *vcpu)
{
	vcpu->stat.nmi_window_exits++;
	kvmod_nmi_window_open(vcpu);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_exit_nmi_window);
