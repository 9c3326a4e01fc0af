// SPDX-License-Identifier: GPL-2.0
/*
 * VMX exit handling: decode the exit information read right after the
 * exit (vmx_run.c) and hand the generic work (port I/O, CPUID answers,
 * EPT faults, MMIO) to core and the MMU.
 */
#include <asm/processor.h>

#include "vmx.h"
#include "debugreg.h"
#include "insn_len.h"
#include "trace_kvmod.h"

/* Basic exit reasons <asm/vmx.h> has no name for. */
#define VMX_EXIT_GETSEC		11
#define VMX_EXIT_RSM		17

/* What a #DB exit's qualification reports: B0-B3, BD, BS, RTM. */
#define DB_EXIT_QUAL_BITS	(KVMOD_DR6_B0_B3 | KVMOD_DR6_BD | \
				 KVMOD_DR6_BS | KVMOD_DR6_RTM)

static u64 vmx_read_field(struct vmx_vcpu *vmx, unsigned long field)
{
	u64 val;

	vmx_vmcs_get(vmx);
	val = vmcs_read(field);
	vmx_vmcs_put(vmx);
	return val;
}

/*
 * As in-tree KVM: the full exit reason and the qualification, then the
 * IDT-vectoring and exit interruption information (none after a failed
 * entry).
 */
void vmx_get_exit_info(struct kvmod_vcpu *vcpu, u32 *reason, u64 *info1,
		       u64 *info2, u32 *intr_info, u32 *error_code)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	*reason = vmx->exit_reason;
	*info1 = vmx->exit_qual;
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		*info2 = 0;
		*intr_info = 0;
		*error_code = 0;
		return;
	}
	*info2 = vmx->idt_info;
	*intr_info = vmx->exit_intr_info;
	*error_code = vmx->exit_intr_err;
}

static int vmx_inject_gp(struct vmx_vcpu *vmx)
{
	return kvmod_inject_gp(vmx->vcpu);
}

/* A general-purpose register as an operand of the current code size. */
static u64 vmx_gpr_read(struct kvmod_vcpu *vcpu, int reg)
{
	u64 val = vcpu->regs[reg];

	return to_vmx(vcpu)->long64 ? val : (u32)val;
}

static void vmx_gpr_write(struct kvmod_vcpu *vcpu, int reg, u64 val)
{
	vcpu->regs[reg] = to_vmx(vcpu)->long64 ? val : (u32)val;
}

/* The address size of INS/OUTS when the CPU does not report it. */
static u8 vmx_decode_addr_bytes(struct kvmod_vcpu *vcpu)
{
	struct kvmod_guest_mode mode;
	u8 insn[KVMOD_INSN_MAX];
	struct kvmod_prefixes p;
	bool long64;
	bool override = false;
	int n;

	vmx_get_mode(vcpu, &mode);
	n = kvmod_fetch_insn(vcpu, insn, &long64);
	if (n > 0 && kvmod_insn_prefixes(insn, n, long64, &p) >= 0)
		override = p.addrsize;
	if (mode.long64)
		return override ? 4 : 8;
	return mode.cs_db != override ? 4 : 2;
}

static int vmx_exit_io(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;
	struct kvmod_pio_exit io = {
		.port = q >> 16,
		.size = (q & 7) + 1,		/* 0, 1, 3: 1, 2, 4 bytes */
		.in = q & BIT(3),
		.string = q & BIT(4),
		.rep = q & BIT(5),
		.next_rip = vcpu->rip + vmx->exit_insn_len,
	};

	if (!vmx->long64)
		io.next_rip = (u32)io.next_rip;
	if (io.string) {
		if (vmx_caps.ins_outs_info) {
			u32 info = vmx_read_field(vmx, VMX_INSTRUCTION_INFO);

			/* Bits 9:7: 16-, 32- or 64-bit addresses. */
			io.addr_bytes = 2 << ((info >> 7) & 3);
		} else {
			io.addr_bytes = vmx_decode_addr_bytes(vcpu);
		}
	}
	return kvmod_handle_pio(vcpu, &io);
}

static int vmx_exit_ept_violation(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/*
	 * The fault came from an IRET that unblocked NMIs (qualification
	 * bit 12): it runs again, so NMIs stay blocked until it completes.
	 */
	if (!(vmx->idt_info & VECTORING_INFO_VALID_MASK) &&
	    (vmx->exit_qual & BIT(12)) &&
	    (vmx_caps.pin & PIN_BASED_VIRTUAL_NMIS)) {
		vmx->intr_state |= GUEST_INTR_STATE_NMI;
		vmx->intr_state_dirty = true;
	}

	return kvmod_handle_gpa_fault(vcpu, vmx->exit_gpa,
				      vmx->exit_qual & EPT_VIOLATION_ACC_WRITE,
				      vmx->exit_qual);
}

/* Bits of a PAE PDPTE that must be zero when it is present. */
static bool vmx_pdptrs_valid(const u64 *pdptrs)
{
	u64 rsvd = GENMASK_ULL(63, boot_cpu_data.x86_phys_bits) |
		   GENMASK_ULL(8, 5) | GENMASK_ULL(2, 1);
	int i;

	for (i = 0; i < 4; i++)
		if ((pdptrs[i] & 1) && (pdptrs[i] & rsvd))
			return false;
	return true;
}

/* MOV to CR0 (or CLTS, LMSW) changing a host-owned bit: emulate it. */
static int vmx_set_cr0_guest(struct kvmod_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 old, cr3, cr4, efer = vmx->efer, pdptrs[4];
	bool load_pdptrs;
	u32 cs_ar;

	vmx_vmcs_get(vmx);
	old = vmx_read_cr0();
	cr3 = vmcs_read(GUEST_CR3);
	cr4 = vmx_read_cr4();
	cs_ar = vmcs_read(GUEST_CS_AR_BYTES);
	vmx_vmcs_put(vmx);

	val |= X86_CR0_ET;		/* hardwired to one */
	if (val >> 32)
		return vmx_inject_gp(vmx);
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return vmx_inject_gp(vmx);
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return vmx_inject_gp(vmx);
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & EFER_LME)) {
		/* Entering long mode needs PAE, from 32-bit code. */
		if (!(cr4 & X86_CR4_PAE) || (cs_ar & VMX_AR_L_MASK))
			return vmx_inject_gp(vmx);
		efer |= EFER_LMA;
	}
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) && (efer & EFER_LMA)) {
		/* Leaving long mode is only possible from compatibility mode. */
		if (vmx->long64)
			return vmx_inject_gp(vmx);
		efer &= ~EFER_LMA;
	}
	load_pdptrs = (val & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
		      !(efer & EFER_LMA) &&
		      ((old ^ val) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW));
	if (load_pdptrs && (vmx_read_pdptrs(vmx, cr3, pdptrs) ||
			    !vmx_pdptrs_valid(pdptrs)))
		return vmx_inject_gp(vmx);

	vmx_vmcs_get(vmx);
	vmx_write_cr0(vmx, val);
	if (efer != vmx->efer)
		vmcs_write(GUEST_IA32_EFER, efer);
	if (load_pdptrs)
		vmx_write_pdptrs(pdptrs);
	vmx_vmcs_put(vmx);
	vmx->efer = efer;
	if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
		vmx->flush_vpid = true;
	return kvmod_skip_insn(vcpu);
}

/* MOV to CR3, when the CPU cannot run without CR3-load exiting. */
static int vmx_set_cr3_guest(struct kvmod_vcpu *vcpu, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 cr0, cr4, pdptrs[4];
	bool noflush = false;

	vmx_vmcs_get(vmx);
	cr0 = vmx_read_cr0();
	cr4 = vmx_read_cr4();
	vmx_vmcs_put(vmx);

	if (vmx->long64 && (cr4 & X86_CR4_PCIDE) && (val & BIT_ULL(63))) {
		noflush = true;
		val &= ~BIT_ULL(63);
	}
	if (val >> boot_cpu_data.x86_phys_bits)
		return vmx_inject_gp(vmx);
	if ((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	    !(vmx->efer & EFER_LMA)) {
		if (vmx_read_pdptrs(vmx, val, pdptrs) ||
		    !vmx_pdptrs_valid(pdptrs))
			return vmx_inject_gp(vmx);
		vmx_vmcs_get(vmx);
		vmx_write_pdptrs(pdptrs);
		vmx_vmcs_put(vmx);
	}
	vmx_vmcs_get(vmx);
	vmcs_write(GUEST_CR3, val);
	vmx_vmcs_put(vmx);
	if (!noflush)
		vmx->flush_vpid = true;
	return kvmod_skip_insn(vcpu);
}

static int vmx_exit_cr(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 q = vmx->exit_qual;
	int cr = q & 15;
	int reg = (q >> 8) & 15;
	u64 val, cr0;

	switch ((q >> 4) & 3) {
	case 0:					/* MOV to CR */
		val = vmx_gpr_read(vcpu, reg);
		switch (cr) {
		case 0:
			return vmx_set_cr0_guest(vcpu, val);
		case 3:
			return vmx_set_cr3_guest(vcpu, val);
		case 4:
			/* Only VMXE and SMXE exit: neither is offered. */
			return vmx_inject_gp(vmx);
		case 8:
			return kvmod_emulate_set_cr8(vcpu, val);
		}
		break;
	case 1:					/* MOV from CR */
		switch (cr) {
		case 3:
			vmx_gpr_write(vcpu, reg, vmx_read_field(vmx, GUEST_CR3));
			return kvmod_skip_insn(vcpu);
		case 8:
			vmx_gpr_write(vcpu, reg, vcpu->cr8);
			return kvmod_skip_insn(vcpu);
		}
		break;
	case 2:					/* CLTS */
		vmx_vmcs_get(vmx);
		cr0 = vmx_read_cr0();
		vmx_vmcs_put(vmx);
		return vmx_set_cr0_guest(vcpu, cr0 & ~X86_CR0_TS);
	case 3:					/* LMSW: PE can only be set */
		vmx_vmcs_get(vmx);
		cr0 = vmx_read_cr0();
		vmx_vmcs_put(vmx);
		val = (q >> 16) & 0xf;
		return vmx_set_cr0_guest(vcpu, (cr0 & ~0xeULL) | val);
	}
	return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				   EXIT_REASON_CR_ACCESS, q);
}

/* MOV to/from DR0-7: the qualification names the registers. */
static int vmx_exit_dr(struct kvmod_vcpu *vcpu)
{
	u64 q = to_vmx(vcpu)->exit_qual;

	return kvmod_emulate_mov_dr(vcpu, q & 7, (q >> 8) & 15,
				    !(q & TYPE_MOV_FROM_DR));
}

/* An intercepted exception (#DB, #BP, #AC, #MC, #UD) or a host NMI. */
static int vmx_exit_exception(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 info = vmx->exit_intr_info;
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	/* The host's NMI handler ran right after the exit. */
	if (type == INTR_TYPE_NMI_INTR)
		return KVMOD_EXIT_RESUME;
	switch (vector) {
	case MC_VECTOR:
		/* A host machine check: let the host's handler see it. */
		asm volatile("int $0x12");
		return KVMOD_EXIT_RESUME;
	case DB_VECTOR:
		/* INT1 is a trap: the guest resumes after it. */
		if (type == INTR_TYPE_PRIV_SW_EXCEPTION)
			kvmod_skip_insn(vcpu);
		/* The exit qualification holds the #DB's conditions. */
		return kvmod_handle_db(vcpu,
				       vmx->exit_qual & DB_EXIT_QUAL_BITS);
	case BP_VECTOR:
		return kvmod_handle_bp(vcpu);
	case AC_VECTOR:
		kvmod_queue_exception(vcpu, AC_VECTOR, true,
				      vmx->exit_intr_err);
		return KVMOD_EXIT_RESUME;
	case UD_VECTOR:
		return kvmod_handle_ud(vcpu);
	}
	return kvmod_exit_internal(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				   EXIT_REASON_EXCEPTION_NMI, info);
}

/* An event whose delivery the exit interrupted goes back to core. */
static void vmx_save_interrupted_event(struct vmx_vcpu *vmx)
{
	u32 info = vmx->idt_info;
	struct kvmod_event ev = {
		.vector = info & VECTORING_INFO_VECTOR_MASK,
		.has_error = info & VECTORING_INFO_DELIVER_CODE_MASK,
		.error = vmx->idt_err,
	};

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	switch (info & VECTORING_INFO_TYPE_MASK) {
	case INTR_TYPE_EXT_INTR:
		ev.type = KVMOD_EVENT_IRQ;
		break;
	case INTR_TYPE_NMI_INTR:
		ev.type = KVMOD_EVENT_NMI;
		/* The NMI did not get through: the CPU did not block NMIs. */
		break;
	case INTR_TYPE_HARD_EXCEPTION:
		ev.type = KVMOD_EVENT_EXCEPTION;
		break;
	default:
		/*
		 * Software interrupts and exceptions (INTn, INT3, INTO, INT1)
		 * are re-executed from the instruction: RIP still points at it.
		 */
		return;
	}
	kvmod_event_interrupted(vmx->vcpu, &ev);
}

/*
 * As in-tree KVM: an exit during event delivery that is not about the
 * delivery itself cannot be handled.
 */
static bool vmx_delivery_exit(u32 basic)
{
	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI:
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_PML_FULL:
	case EXIT_REASON_APIC_ACCESS:
	case EXIT_REASON_TASK_SWITCH:
	case EXIT_REASON_NOTIFY:
		return true;
	}
	return false;
}

static int vmx_exit_delivery_failed(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct kvm_run *run = vcpu->run;
	int n = 0;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.data[n++] = vmx->idt_info;
	run->internal.data[n++] = vmx->exit_reason;
	run->internal.data[n++] = vmx->exit_qual;
	if ((u16)vmx->exit_reason == EXIT_REASON_EPT_MISCONFIG)
		run->internal.data[n++] = vmx->exit_gpa;
	run->internal.data[n++] = vcpu->cpu;
	run->internal.ndata = n;
	return KVMOD_EXIT_USER;
}

static int vmx_enter_failed(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	kvmod_count_exit(vcpu, VMX_NR_EXIT_CODES, VMX_NR_EXIT_CODES);
	switch (vmx->enter_result) {
	case VMX_ENTER_FAIL_VALID:
		/* As in-tree KVM: the VM-instruction error. */
		return kvmod_exit_fail_entry(vcpu, vmx->insn_error);
	case VMX_ENTER_FAIL_INVALID:
	default:
		/* No current VMCS, or VMX operation gone: a kvmod bug. */
		return kvmod_exit_internal(vcpu,
			KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
			vmx->enter_result, 0);
	}
}

int vmx_handle_exit(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 basic = (u16)vmx->exit_reason;

	if (vmx->enter_result != VMX_ENTER_EXIT)
		return vmx_enter_failed(vcpu);
	if (vmx->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY) {
		/*
		 * Invalid guest state, MSR loading, or a machine check during
		 * entry. As in-tree KVM: the full exit reason.
		 */
		kvmod_count_exit(vcpu, VMX_NR_EXIT_CODES, VMX_NR_EXIT_CODES);
		if (basic == EXIT_REASON_MCE_DURING_VMENTRY)
			asm volatile("int $0x12");
		return kvmod_exit_fail_entry(vcpu, vmx->exit_reason);
	}
	kvmod_count_exit(vcpu, basic, VMX_NR_EXIT_CODES);
	if ((vmx->idt_info & VECTORING_INFO_VALID_MASK) &&
	    !vmx_delivery_exit(basic))
		return vmx_exit_delivery_failed(vcpu);
	vmx_save_interrupted_event(vmx);

	switch (basic) {
	case EXIT_REASON_EXCEPTION_NMI:
		return vmx_exit_exception(vcpu);
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* Taken by the host once interrupts were enabled again. */
		vcpu->stat.irq_exits++;
		return KVMOD_EXIT_RESUME;
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
	case EXIT_REASON_PREEMPTION_TIMER:
		return KVMOD_EXIT_RESUME;
	case EXIT_REASON_TRIPLE_FAULT:
		/* As in-tree KVM on Intel: the state stays as it was. */
		return kvmod_exit_shutdown(vcpu);
	case EXIT_REASON_CPUID:
		return kvmod_emulate_cpuid(vcpu);
	case EXIT_REASON_HLT:
		return kvmod_emulate_halt(vcpu);
	case EXIT_REASON_IO_INSTRUCTION:
		return vmx_exit_io(vcpu);
	case EXIT_REASON_MSR_READ:
		return kvmod_emulate_rdmsr(vcpu);
	case EXIT_REASON_MSR_WRITE:
		return kvmod_emulate_wrmsr(vcpu);
	case EXIT_REASON_EPT_VIOLATION:
		return vmx_exit_ept_violation(vcpu);
	case EXIT_REASON_CR_ACCESS:
		return vmx_exit_cr(vcpu);
	case EXIT_REASON_DR_ACCESS:
		return vmx_exit_dr(vcpu);
	case EXIT_REASON_INVD:
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_INVLPG:
	case EXIT_REASON_PAUSE_INSTRUCTION:
		return kvmod_skip_insn(vcpu);
	case EXIT_REASON_RDPMC:
		/* No PMU is offered to guests. */
		return vmx_inject_gp(vmx);
	case EXIT_REASON_XSETBV:
		return kvmod_emulate_xsetbv(vcpu);
	case EXIT_REASON_VMCALL:
		return kvmod_emulate_hypercall(vcpu);
	case VMX_EXIT_GETSEC:
	case VMX_EXIT_RSM:
	case EXIT_REASON_VMCLEAR:
	case EXIT_REASON_VMLAUNCH:
	case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE:
	case EXIT_REASON_VMOFF:
	case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
	case EXIT_REASON_VMFUNC:
	case EXIT_REASON_MWAIT_INSTRUCTION:
	case EXIT_REASON_MONITOR_INSTRUCTION:
	case EXIT_REASON_ENCLS:
	case EXIT_REASON_INVPCID:
	case EXIT_REASON_XSAVES:
	case EXIT_REASON_XRSTORS:
	case EXIT_REASON_UMWAIT:
	case EXIT_REASON_TPAUSE:
		return kvmod_inject_ud(vcpu);
	case EXIT_REASON_EPT_MISCONFIG:
		/* The MMU wrote an entry the CPU cannot use: a kvmod bug. */
		return kvmod_exit_internal(vcpu,
			KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
			vmx->exit_reason, vmx->exit_gpa);
	case EXIT_REASON_INTERRUPT_WINDOW:
		vmx_set_windows(vcpu, false, false);
		return kvmod_exit_irq_window(vcpu);
	case EXIT_REASON_NMI_WINDOW:
		vmx_set_windows(vcpu, false, false);
		return kvmod_exit_nmi_window(vcpu);
	default:
		return kvmod_exit_internal(vcpu,
			KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
			vmx->exit_reason, vmx->exit_qual);
	}
}
