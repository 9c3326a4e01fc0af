// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handling: decode the VMCB exit information and hand the
 * generic work (port I/O, CPUID answers, nested page faults) to core and
 * the MMU.
 */
#include "svm.h"
#include "insn_len.h"
#include "trace_kvmod.h"

#define EXITINTINFO_VALID	SVM_EXITINTINFO_VALID

/**
 * svm_inject_exception() - queue an exception for the next entry
 * @svm: the vCPU
 * @vector: exception vector
 * @has_error: whether the exception pushes an error code
 * @error: the error code
 */
void svm_inject_exception(struct svm_vcpu *svm, u8 vector, bool has_error,
			  u32 error)
{
	svm->event_inj = vector | SVM_EVTINJ_TYPE_EXEPT | SVM_EVTINJ_VALID;
	/* Real mode pushes no error codes. */
	if (has_error && (svm->vmcb->save.cr0 & X86_CR0_PE))
		svm->event_inj |= SVM_EVTINJ_VALID_ERR;
	svm->event_inj_err = error;
	trace_kvmod_inj_exception(svm->vcpu->id, vector,
				  svm->event_inj & SVM_EVTINJ_VALID_ERR, error);
}

void svm_get_exit_info(struct kvmod_vcpu *vcpu, u32 *reason, u64 *info1,
		       u64 *info2, u32 *intr_info, u32 *error_code)
{
	struct vmcb_control_area *ctl = &to_svm(vcpu)->vmcb->control;

	*reason = ctl->exit_code;
	*info1 = ctl->exit_info_1;
	*info2 = ctl->exit_info_2;
	*intr_info = ctl->exit_int_info;
	*error_code = ctl->exit_int_info_err;
}

void svm_queue_exception(struct kvmod_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error_code)
{
	svm_inject_exception(to_svm(vcpu), vector, has_error, error_code);
}

/* Step over @len bytes of instruction; that ends any interrupt shadow. */
static void svm_advance_rip(struct kvmod_vcpu *vcpu, int len, bool long64)
{
	vcpu->rip += len;
	if (!long64)
		vcpu->rip = (u32)vcpu->rip;
	to_svm(vcpu)->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
}

/**
 * svm_skip_insn() - step over the intercepted instruction
 * @vcpu: the vCPU
 *
 * Uses next_rip when the CPU saves it, otherwise decodes the length.
 *
 * Return: 0, or -errno when the instruction cannot be read or decoded.
 */
int svm_skip_insn(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u8 insn[KVMOD_INSN_MAX];
	bool long64;
	int n, len;

	if (svm_caps.nrips && svm->vmcb->control.next_rip) {
		vcpu->rip = svm->vmcb->control.next_rip;
		svm->vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW_MASK;
		return 0;
	}
	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n <= 0)
		return -EFAULT;
	len = kvmod_insn_len(insn, n, long64);
	if (len < 0)
		return -EINVAL;
	svm_advance_rip(vcpu, len, long64);
	return 0;
}

static int svm_emulation_failed(struct kvmod_vcpu *vcpu, u32 code)
{
	return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION, code,
				   vcpu->rip);
}

static int svm_skip_or_fail(struct kvmod_vcpu *vcpu, u32 code)
{
	if (svm_skip_insn(vcpu))
		return svm_emulation_failed(vcpu, code);
	return KVMOD_EXIT_RESUME;
}

static int svm_exit_cpuid(struct kvmod_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	kvmod_cpuid(vcpu, vcpu->regs[KVMOD_RAX], vcpu->regs[KVMOD_RCX],
		    &eax, &ebx, &ecx, &edx);
	vcpu->regs[KVMOD_RAX] = eax;
	vcpu->regs[KVMOD_RBX] = ebx;
	vcpu->regs[KVMOD_RCX] = ecx;
	vcpu->regs[KVMOD_RDX] = edx;
	return svm_skip_or_fail(vcpu, SVM_EXIT_CPUID);
}

static int svm_exit_hlt(struct kvmod_vcpu *vcpu)
{
	if (svm_skip_insn(vcpu))
		return svm_emulation_failed(vcpu, SVM_EXIT_HLT);
	return kvmod_exit_hlt(vcpu);
}

static int svm_exit_ioio(struct kvmod_vcpu *vcpu)
{
	u64 info = to_svm(vcpu)->vmcb->control.exit_info_1;
	struct kvmod_pio_exit io = {
		.port = info >> 16,
		.in = info & SVM_IOIO_TYPE_MASK,
		.string = info & SVM_IOIO_STR_MASK,
		.rep = info & SVM_IOIO_REP_MASK,
		.next_rip = to_svm(vcpu)->vmcb->control.exit_info_2,
	};
	u32 sz = (info & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
	u32 asz = (info & SVM_IOIO_ASIZE_MASK) >> SVM_IOIO_ASIZE_SHIFT;

	/* SZ8/SZ16/SZ32 and A16/A32/A64 are one-hot fields. */
	io.size = sz & 4 ? 4 : sz & 2 ? 2 : 1;
	io.addr_bytes = asz & 4 ? 8 : asz & 2 ? 4 : 2;
	return kvmod_handle_pio(vcpu, &io);
}

static int svm_exit_npf(struct kvmod_vcpu *vcpu)
{
	struct vmcb_control_area *ctl = &to_svm(vcpu)->vmcb->control;
	u64 gpa = ctl->exit_info_2;
	bool write = ctl->exit_info_1 & KVMOD_PF_WRITE;
	int r;

	r = vcpu->vm->mmu->page_fault(vcpu->vm, gpa, write);
	trace_kvmod_page_fault(vcpu->id, gpa, ctl->exit_info_1, r);
	if (!r)
		return KVMOD_EXIT_RESUME;
	if (r != -ENOENT)
		return r;
	/* MMIO while an event was being delivered (an IDT in MMIO...). */
	if (to_svm(vcpu)->event_inj & SVM_EVTINJ_VALID)
		return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV,
					   SVM_EXIT_NPF, gpa);
	return kvmod_emulate_mmio(vcpu);
}

/* MOV to/from DR0-7: kept in core's shadow, never in the hardware. */
static int svm_exit_dr(struct kvmod_vcpu *vcpu, u32 code)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u8 insn[KVMOD_INSN_MAX];
	struct kvmod_mov_dr m;
	bool long64;
	u64 *reg, val;
	int n;

	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n <= 0 || kvmod_insn_mov_dr(insn, n, long64, &m))
		return svm_emulation_failed(vcpu, code);
	/* The intercept comes before the privilege check. */
	if (svm->vmcb->save.cpl) {
		svm_inject_exception(svm, GP_VECTOR, true, 0);
		return KVMOD_EXIT_RESUME;
	}
	/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined. */
	if ((m.dr == 4 || m.dr == 5) &&
	    !(svm->vmcb->save.cr4 & X86_CR4_DE))
		m.dr += 2;
	if (m.dr > 7 || m.dr == 4 || m.dr == 5) {
		svm_inject_exception(svm, UD_VECTOR, false, 0);
		return KVMOD_EXIT_RESUME;
	}
	reg = &vcpu->regs[m.gpr];
	if (m.to_dr) {
		val = long64 ? *reg : (u32)*reg;
		if (m.dr < 4)
			vcpu->dr[m.dr] = val;
		else if (m.dr == 6)
			vcpu->dr6 = (val & 0xffffffff) | 0xffff0ff0;
		else
			vcpu->dr7 = (val & 0xffffffff) | 0x400;
	} else {
		if (m.dr < 4)
			val = vcpu->dr[m.dr];
		else if (m.dr == 6)
			val = vcpu->dr6;
		else
			val = vcpu->dr7;
		*reg = long64 ? val : (u32)val;
	}
	svm_advance_rip(vcpu, m.len, long64);
	return KVMOD_EXIT_RESUME;
}

/* Keep an event that was being delivered when the exit happened. */
static void svm_save_interrupted_event(struct svm_vcpu *svm)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	u32 info = ctl->exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;

	if (!(info & EXITINTINFO_VALID))
		return;
	/*
	 * Software interrupts (INTn) and the trap-like INT3 and INTO are
	 * re-executed from the instruction, not re-injected.
	 */
	if (type == SVM_EXITINTINFO_TYPE_SOFT)
		return;
	if (type == SVM_EXITINTINFO_TYPE_EXEPT &&
	    ((info & SVM_EXITINTINFO_VEC_MASK) == BP_VECTOR ||
	     (info & SVM_EXITINTINFO_VEC_MASK) == OF_VECTOR))
		return;
	svm->event_inj = info;
	svm->event_inj_err = ctl->exit_int_info_err;
}

int svm_handle_exit(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	u32 code = ctl->exit_code;

	if (ctl->exit_code_hi || code == (u32)SVM_EXIT_ERR) {
		/* As in-tree KVM: the low 32 bits, 0xffffffff for VMEXIT_INVALID. */
		kvmod_count_exit(vcpu, SVM_NR_EXIT_CODES);
		return kvmod_exit_fail_entry(vcpu, code);
	}
	kvmod_count_exit(vcpu, code);
	svm_save_interrupted_event(svm);

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_CPUID:
		return svm_exit_cpuid(vcpu);
	case SVM_EXIT_HLT:
		return svm_exit_hlt(vcpu);
	case SVM_EXIT_IOIO:
		return svm_exit_ioio(vcpu);
	case SVM_EXIT_MSR:
		return svm_handle_msr(vcpu, ctl->exit_info_1 == 1);
	case SVM_EXIT_NPF:
		return svm_exit_npf(vcpu);
	case SVM_EXIT_SHUTDOWN:
		/* The VMCB is undefined after a shutdown: reset the vCPU. */
		kvmod_vcpu_reset_regs(vcpu);
		svm_vmcb_reset(vcpu);
		return kvmod_exit_shutdown(vcpu);
	case SVM_EXIT_EXCP_BASE + MC_VECTOR:
		/* A host machine check: let the host's handler see it. */
		asm volatile("int $0x12");
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_RDPMC:
		/* No PMU is offered to guests. */
		svm_inject_exception(svm, GP_VECTOR, true, 0);
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7:
		return svm_exit_dr(vcpu, code);
	case SVM_EXIT_EXCP_BASE + DB_VECTOR:
		svm_inject_exception(svm, DB_VECTOR, false, 0);
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_EXCP_BASE + AC_VECTOR:
		svm_inject_exception(svm, AC_VECTOR, true,
				     ctl->exit_info_1);
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_INVD:
		return svm_skip_or_fail(vcpu, code);
	case SVM_EXIT_VMMCALL:
		/* No hypercalls yet (kvmod-para): the guest gets #UD. */
		trace_kvmod_hypercall(vcpu->id, vcpu->regs[KVMOD_RAX],
				      vcpu->regs[KVMOD_RBX],
				      vcpu->regs[KVMOD_RCX],
				      vcpu->regs[KVMOD_RDX],
				      vcpu->regs[KVMOD_RSI]);
		svm_inject_exception(svm, UD_VECTOR, false, 0);
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT:
	case SVM_EXIT_RDPRU:
	case SVM_EXIT_RSM:
		svm_inject_exception(svm, UD_VECTOR, false, 0);
		return KVMOD_EXIT_RESUME;
	case SVM_EXIT_XSETBV:
		/* XSAVE is not offered to guests (CPUID). */
		svm_inject_exception(svm, GP_VECTOR, true, 0);
		return KVMOD_EXIT_RESUME;
	default:
		return kvmod_exit_internal(vcpu,
			KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, code,
			ctl->exit_info_1);
	}
}
