// SPDX-License-Identifier: GPL-2.0
/*
 * SVM exit handling: a table from VMCB exit codes to core's common
 * handlers (CPUID, HLT, MSRs, DRs, hypercalls, nested page faults) and
 * the few that are SVM's own (port I/O decoding, shutdown, windows).
 */
#include "svm.h"
#include "insn_len.h"
#include "trace_kvmod.h"

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

static inline int svm_exit_ioio(struct kvmod_vcpu *vcpu)
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

	return kvmod_handle_gpa_fault(vcpu, ctl->exit_info_2,
				      ctl->exit_info_1 & KVMOD_PF_WRITE,
				      ctl->exit_info_1);
}

/* No decode assists are assumed: core decodes the MOV DR itself. */
static int svm_exit_dr(struct kvmod_vcpu *vcpu)
{
	return kvmod_emulate_mov_dr(vcpu, -1, 0, false);
}

/* MOV to CR8, intercepted without an in-kernel APIC: decode it. */
static int svm_exit_write_cr8(struct kvmod_vcpu *vcpu)
{
	u8 insn[KVMOD_INSN_MAX];
	struct kvmod_mov_reg m;
	bool long64;
	int n;

	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n <= 0 || kvmod_insn_mov_cr(insn, n, long64, &m) || !m.to_reg ||
	    m.reg != 8)
		return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_EMULATION,
					   SVM_EXIT_WRITE_CR8, vcpu->rip);
	return kvmod_emulate_set_cr8(vcpu, long64 ? vcpu->regs[m.gpr] :
					   (u32)vcpu->regs[m.gpr]);
}

static int svm_exit_msr(struct kvmod_vcpu *vcpu)
{
	if (to_svm(vcpu)->vmcb->control.exit_info_1)
		return kvmod_emulate_wrmsr(vcpu);
	return kvmod_emulate_rdmsr(vcpu);
}

/* A host interrupt, NMI or SMI: the host took it after the exit. */
static int svm_exit_host_event(struct kvmod_vcpu *vcpu)
{
	return KVMOD_EXIT_RESUME;
}

static int svm_exit_intr(struct kvmod_vcpu *vcpu)
{
	vcpu->stat.irq_exits++;
	return KVMOD_EXIT_RESUME;
}

static int svm_exit_shutdown(struct kvmod_vcpu *vcpu)
{
	/* The VMCB is undefined after a shutdown: reset the vCPU. */
	kvmod_vcpu_reset_regs(vcpu);
	svm_vmcb_reset(vcpu);
	return kvmod_exit_shutdown(vcpu);
}

static int svm_exit_mc(struct kvmod_vcpu *vcpu)
{
	/* A host machine check: let the host's handler see it. */
	asm volatile("int $0x12");
	return KVMOD_EXIT_RESUME;
}

static int svm_exit_ac(struct kvmod_vcpu *vcpu)
{
	kvmod_queue_exception(vcpu, AC_VECTOR, true,
			      to_svm(vcpu)->vmcb->control.exit_info_1);
	return KVMOD_EXIT_RESUME;
}

static int svm_exit_skip(struct kvmod_vcpu *vcpu)
{
	return kvmod_skip_insn(vcpu);
}

typedef int (*svm_exit_handler_t)(struct kvmod_vcpu *vcpu);

/*
 * Exit codes to handlers: mostly core's common ones. Codes not listed
 * are unexpected (KVM_EXIT_INTERNAL_ERROR).
 */
static const svm_exit_handler_t svm_exit_handlers[] = {
	[SVM_EXIT_WRITE_CR8] = svm_exit_write_cr8,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7] = svm_exit_dr,
	[SVM_EXIT_EXCP_BASE + DB_VECTOR] = svm_exit_db,
	[SVM_EXIT_EXCP_BASE + BP_VECTOR] = svm_exit_bp,
	[SVM_EXIT_EXCP_BASE + AC_VECTOR] = svm_exit_ac,
	[SVM_EXIT_EXCP_BASE + UD_VECTOR] = kvmod_handle_ud,
	[SVM_EXIT_EXCP_BASE + MC_VECTOR] = svm_exit_mc,
	[SVM_EXIT_INTR] = svm_exit_intr,
	[SVM_EXIT_NMI] = svm_exit_host_event,
	[SVM_EXIT_SMI] = svm_exit_host_event,
	[SVM_EXIT_VINTR] = svm_exit_vintr,
	[SVM_EXIT_RDPMC] = kvmod_inject_gp,	/* no PMU for guests */
	[SVM_EXIT_CPUID] = kvmod_emulate_cpuid,
	[SVM_EXIT_IRET] = svm_exit_iret,
	[SVM_EXIT_INVD] = svm_exit_skip,
	[SVM_EXIT_HLT] = kvmod_emulate_halt,
	[SVM_EXIT_IOIO] = svm_exit_ioio,
	[SVM_EXIT_MSR] = svm_exit_msr,
	[SVM_EXIT_SHUTDOWN] = svm_exit_shutdown,
	[SVM_EXIT_VMRUN] = kvmod_inject_ud,
	[SVM_EXIT_VMMCALL] = kvmod_emulate_hypercall,
	[SVM_EXIT_VMLOAD] = kvmod_inject_ud,
	[SVM_EXIT_VMSAVE] = kvmod_inject_ud,
	[SVM_EXIT_STGI] = kvmod_inject_ud,
	[SVM_EXIT_CLGI] = kvmod_inject_ud,
	[SVM_EXIT_SKINIT] = kvmod_inject_ud,
	[SVM_EXIT_INVLPGA] = kvmod_inject_ud,
	[SVM_EXIT_MONITOR] = kvmod_inject_ud,
	[SVM_EXIT_MWAIT] = kvmod_inject_ud,
	[SVM_EXIT_XSETBV] = kvmod_emulate_xsetbv,
	[SVM_EXIT_RDPRU] = kvmod_inject_ud,
	[SVM_EXIT_RSM] = kvmod_inject_ud,
	[SVM_EXIT_NPF] = svm_exit_npf,
};

/*
 * An event whose delivery the exit interrupted goes back to core. Out of
 * line: most exits interrupt none (see svm_handle_exit()).
 */
static noinline void svm_save_interrupted_event(struct svm_vcpu *svm,
						u32 info)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	struct kvmod_event ev = {
		.vector = info & SVM_EXITINTINFO_VEC_MASK,
		.has_error = info & SVM_EXITINTINFO_VALID_ERR,
		.error = ctl->exit_int_info_err,
	};

	switch (info & SVM_EXITINTINFO_TYPE_MASK) {
	case SVM_EXITINTINFO_TYPE_INTR:
		ev.type = KVMOD_EVENT_IRQ;
		break;
	case SVM_EXITINTINFO_TYPE_NMI:
		ev.type = KVMOD_EVENT_NMI;
		break;
	case SVM_EXITINTINFO_TYPE_EXEPT:
		/* INT3 and INTO are re-executed from the instruction. */
		if (ev.vector == BP_VECTOR || ev.vector == OF_VECTOR)
			return;
		ev.type = KVMOD_EVENT_EXCEPTION;
		break;
	default:
		/* Software interrupts (INTn) are re-executed too. */
		return;
	}
	kvmod_event_interrupted(svm->vcpu, &ev);
}

int svm_handle_exit(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *ctl = &svm->vmcb->control;
	u32 code = ctl->exit_code;

	if (ctl->exit_code_hi || code == (u32)SVM_EXIT_ERR) {
		/* As in-tree KVM: the low 32 bits, 0xffffffff for VMEXIT_INVALID. */
		kvmod_count_exit(vcpu, SVM_NR_EXIT_CODES, SVM_NR_EXIT_CODES);
		return kvmod_exit_fail_entry(vcpu, code);
	}
	kvmod_count_exit(vcpu, code, SVM_NR_EXIT_CODES);
	if (unlikely(ctl->exit_int_info & SVM_EXITINTINFO_VALID))
		svm_save_interrupted_event(svm, ctl->exit_int_info);

	/* The most frequent exits: direct calls, no retpoline. */
	if (code == SVM_EXIT_IOIO)
		return svm_exit_ioio(vcpu);
	if (code == SVM_EXIT_NPF)
		return svm_exit_npf(vcpu);
	if (code == SVM_EXIT_CPUID)
		return kvmod_emulate_cpuid(vcpu);
	if (code == SVM_EXIT_HLT)
		return kvmod_emulate_halt(vcpu);
	if (code == SVM_EXIT_INTR)
		return svm_exit_intr(vcpu);
	if (code < ARRAY_SIZE(svm_exit_handlers) && svm_exit_handlers[code])
		return svm_exit_handlers[code](vcpu);
	return kvmod_exit_internal(vcpu,
				   KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				   code, ctl->exit_info_1);
}
