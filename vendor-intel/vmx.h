/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod-intel: Intel VMX back end. Internal declarations.
 *
 * VMCS field encodings and VMX control bits come from the kernel's
 * <asm/vmx.h>.
 *
 * VMCS residency: a vCPU's VMCS stays active on the CPU it last ran on,
 * also between KVM_RUN calls, so that re-entry on the same CPU needs no
 * VMPTRLD and a VMRESUME suffices. Whenever the vCPU's thread touches the
 * VMCS (entry, exit handling, register ioctls) it makes it current on its
 * own CPU with preemption disabled (vmx_vmcs_get()); if the VMCS is still
 * active on another CPU, that CPU VMCLEARs it first, by IPI, and the new
 * CPU VMPTRLDs it and enters with VMLAUNCH. A CPU going offline, the module
 * going away and vCPU destruction VMCLEAR every VMCS still active on a CPU
 * (each CPU keeps a list). No preempt notifiers are needed.
 */
#ifndef KVMOD_VMX_H
#define KVMOD_VMX_H

#include <linux/list.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/vmx.h>

#include "kvmod.h"
#include "vmx_exit_names.h"

/* One past the highest basic exit reason kvmod-intel counts by name. */
#define VMX_NR_EXIT_CODES	(EXIT_REASON_NOTIFY + 1)

/* What the CPU offers and kvmod-intel uses, settled at module load. */
struct vmx_caps {
	u32 revision_id;		/* VMCS revision identifier */
	u32 pin;			/* the controls every VMCS starts with */
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	u64 cr0_fixed0;			/* CR0/CR4 bits VMX operation fixes */
	u64 cr0_fixed1;
	u64 cr4_fixed0;
	u64 cr4_fixed1;
	u32 timeslice;			/* VMX-preemption timer value, or 0 */
	bool ins_outs_info;		/* instruction info for INS/OUTS */
	bool l1d_flush;			/* flush L1D before entries (L1TF) */
	bool vpid;			/* VPIDs tag guest TLB entries */
	bool invvpid_single;
	bool invvpid_all;
	bool invept_single;		/* INVEPT types the CPU has */
	bool invept_all;
};

extern struct vmx_caps vmx_caps;
extern bool vmx_rebooting;

/* Per physical CPU. */
struct vmx_cpu {
	struct page *vmxon_region;
	struct vmx_vcpu *current_vmcs;	/* the VMCS VMPTRLD made current */
	struct list_head loaded;	/* vCPUs whose VMCS is active here */
	bool enabled;			/* in VMX operation */
};

DECLARE_PER_CPU(struct vmx_cpu, vmx_cpus);

/* Guest MSRs the CPU switches through the VM-entry/-exit MSR-load lists. */
enum vmx_autoload_msr {
	VMX_MSR_STAR,
	VMX_MSR_LSTAR,
	VMX_MSR_CSTAR,
	VMX_MSR_SFMASK,
	VMX_NR_AUTOLOAD,
};

extern const u32 vmx_autoload_index[VMX_NR_AUTOLOAD];
extern u64 vmx_host_msrs_pa;		/* the VM-exit MSR-load list */

/* Per vCPU. */
struct vmx_vcpu {
	struct kvmod_vcpu *vcpu;
	void *vmcs;
	u64 vmcs_pa;
	struct vmx_msr_entry *guest_msrs;	/* VM-entry MSR-load list */
	u64 guest_msrs_pa;

	/* VMCS residency, see the top of this file. */
	int loaded_cpu;			/* where the VMCS is active, or -1 */
	struct list_head loaded_link;	/* on vmx_cpus[loaded_cpu].loaded */
	bool launched;			/* VMRESUME, not VMLAUNCH */

	u16 vpid;			/* 0: none, the CPU flushes instead */
	bool flush_ept;			/* INVEPT before the next entry */
	bool flush_vpid;		/* drop the guest's linear mappings */

	u32 entry_ctls;			/* as in the VMCS */

	/* Guest state the VMCS does not hold, or that is cached here. */
	u64 efer;			/* GUEST_IA32_EFER */
	u64 cr2;
	u64 kernel_gs_base;
	u64 tsc_offset;			/* TSC_OFFSET */
	u32 intr_state;			/* GUEST_INTERRUPTIBILITY_INFO */
	bool intr_state_dirty;

	/* Event to inject at the next entry (VM-entry interruption info). */
	u32 event_inj;
	u32 event_inj_err;
	u32 event_inj_len;
	u32 proc_ctls;			/* CPU_BASED_VM_EXEC_CONTROL wanted */
	u32 proc_ctls_vmcs;		/* ... and as in the VMCS */

	/* Host state that VM entry and exit do not keep, cached. */
	unsigned long host_cr3;
	unsigned long host_cr4;
	unsigned long host_fs_base;
	u16 host_fs_sel;
	u16 host_gs_sel;

	/* The last exit. */
	u32 exit_reason;		/* full, with the failed-entry bit */
	u64 exit_qual;
	u32 exit_intr_info;
	u32 exit_intr_err;
	u32 idt_info;			/* IDT-vectoring information */
	u32 idt_err;
	u32 exit_insn_len;
	u64 exit_gpa;			/* EPT violation and misconfiguration */
	bool long64;			/* 64-bit code at the exit */
	u32 enter_result;		/* VMX_ENTER_* of kvmod_vmx_enter() */
	u32 insn_error;			/* VM_INSTRUCTION_ERROR on VMfailValid */
};

static inline struct vmx_vcpu *to_vmx(struct kvmod_vcpu *vcpu)
{
	return vcpu->vendor_data;
}

/*
 * VMX instructions. Each is preceded by STC: VMsucceed clears CF and ZF,
 * VMfailInvalid sets CF and VMfailValid ZF, and a fault (VMX operation
 * turned off under us) resumes after the instruction with CF still set.
 * Any of these failures is reported, never fatal.
 */
#define VMX_INSN(insn)						\
	"stc\n1: " insn "\n2:\n\t"					\
	_ASM_EXTABLE(1b, 2b)					\
	"jbe\t%l[failed]\n\t"

void vmx_insn_failed(const char *insn, u64 arg);

static __always_inline u64 vmcs_read(unsigned long field)
{
	u64 val;

	asm_goto_output(VMX_INSN("vmread %[field], %[val]")
			: [val] "=rm" (val)
			: [field] "r" (field)
			: "cc"
			: failed);
	return val;
failed:
	vmx_insn_failed("vmread", field);
	return 0;
}

static __always_inline void vmcs_write(unsigned long field, u64 val)
{
	asm goto(VMX_INSN("vmwrite %[val], %[field]")
		 :
		 : [field] "r" (field), [val] "rm" (val)
		 : "cc"
		 : failed);
	return;
failed:
	vmx_insn_failed("vmwrite", field);
}

static __always_inline void vmx_vmptrld(u64 pa)
{
	asm goto(VMX_INSN("vmptrld %[pa]")
		 :
		 : [pa] "m" (pa)
		 : "cc", "memory"
		 : failed);
	return;
failed:
	vmx_insn_failed("vmptrld", pa);
}

static __always_inline void vmx_vmclear(u64 pa)
{
	asm goto(VMX_INSN("vmclear %[pa]")
		 :
		 : [pa] "m" (pa)
		 : "cc", "memory"
		 : failed);
	return;
failed:
	vmx_insn_failed("vmclear", pa);
}

/* INVEPT and INVVPID take a 128-bit descriptor in memory. */
static __always_inline void vmx_invept(unsigned long type, u64 eptp)
{
	struct {
		u64 eptp;
		u64 reserved;
	} desc = { eptp, 0 };

	asm goto(VMX_INSN("invept %[desc], %[type]")
		 :
		 : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory"
		 : failed);
	return;
failed:
	vmx_insn_failed("invept", eptp);
}

static __always_inline void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct {
		u64 vpid;
		u64 gla;
	} desc = { vpid, 0 };

	asm goto(VMX_INSN("invvpid %[desc], %[type]")
		 :
		 : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory"
		 : failed);
	return;
failed:
	vmx_insn_failed("invvpid", vpid);
}

/* vmx_cpu.c */
int vmx_cpus_init(void);
void vmx_cpus_exit(void);
void vmx_vmcs_load(struct vmx_vcpu *vmx);
void vmx_vmcs_clear(struct vmx_vcpu *vmx);
int vmx_vpid_alloc(void);
void vmx_vpid_free(u16 vpid);
void vmx_emergency_init(void);
void vmx_emergency_exit(void);

/**
 * vmx_vmcs_get() - make a vCPU's VMCS current on this CPU
 * @vmx: the vCPU, whose thread (holding its mutex) calls this
 *
 * Preemption stays disabled until vmx_vmcs_put().
 */
static inline void vmx_vmcs_get(struct vmx_vcpu *vmx)
{
	preempt_disable();
	vmx_vmcs_load(vmx);
}

static inline void vmx_vmcs_put(struct vmx_vcpu *vmx)
{
	preempt_enable();
}

/* vmx_vmcs.c */
void vmx_host_state_init(void);
void vmx_vmcs_set_host_state(struct vmx_vcpu *vmx);
void vmx_vmcs_reset_guest(struct vmx_vcpu *vmx);
void vmx_vmcs_reset(struct vmx_vcpu *vmx);
void vmx_vmcs_set_cpu_host_state(struct vmx_vcpu *vmx);
void vmx_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *sregs);
int vmx_set_sregs(struct kvmod_vcpu *vcpu, const struct kvm_sregs *sregs);
void vmx_get_mode(struct kvmod_vcpu *vcpu, struct kvmod_guest_mode *mode);
u64 vmx_read_cr0(void);
u64 vmx_read_cr4(void);
void vmx_write_cr0(struct vmx_vcpu *vmx, u64 cr0);
void vmx_write_cr4(struct vmx_vcpu *vmx, u64 cr4);
int vmx_read_pdptrs(struct vmx_vcpu *vmx, u64 cr3, u64 *pdptrs);
void vmx_write_pdptrs(const u64 *pdptrs);
u64 vmx_eptp(struct kvmod_vm *vm);

/* CR0 bits the host owns: the guest sees them in the read shadow. */
#define VMX_CR0_HOST_OWNED	(X86_CR0_NE | X86_CR0_CD | X86_CR0_NW)
/* CR4 bits the host owns (VMXE must stay set while the guest runs). */
#define VMX_CR4_HOST_OWNED	(X86_CR4_VMXE | X86_CR4_SMXE)

/* vmx_run.c */
/* Host state VM entry and exit do not keep, for one round trip. */
struct vmx_host_save {
	u64 kernel_gs_base;
	unsigned long debugctl;
	u32 pkru;
	u16 ds;
	u16 es;
	u16 fs;
	u16 gs;
	u16 ldt;
};

int vmx_vcpu_run(struct kvmod_vcpu *vcpu);
void vmx_save_host(struct vmx_vcpu *vmx, struct vmx_host_save *h);
void vmx_restore_host(struct vmx_vcpu *vmx, const struct vmx_host_save *h);

/* vmx_debug.c */
void vmx_write_debug(struct vmx_vcpu *vmx);
void vmx_update_debug(struct kvmod_vcpu *vcpu);
void vmx_debug_before_entry(struct kvmod_vcpu *vcpu);
void vmx_debug_after_exit(struct vmx_vcpu *vmx);

/* vmx_floor.c */
void vmx_floor_init(void);
void vmx_floor_exit(void);

/* vmx_vmenter.S */
#define VMX_ENTER_EXIT		0	/* a VM exit (maybe a failed entry) */
#define VMX_ENTER_FAIL_INVALID	1	/* VMfailInvalid: no current VMCS */
#define VMX_ENTER_FAIL_VALID	2	/* VMfailValid: VM_INSTRUCTION_ERROR */
#define VMX_ENTER_FAULT		3	/* VMLAUNCH/VMRESUME faulted */
u32 kvmod_vmx_enter(u64 *regs, u32 resume);
void kvmod_vmx_exit(void);
void kvmod_vmx_call_nmi(unsigned long entry);

/* vmx_exit.c */
int vmx_handle_exit(struct kvmod_vcpu *vcpu);
void vmx_get_exit_info(struct kvmod_vcpu *vcpu, u32 *reason, u64 *info1,
		       u64 *info2, u32 *intr_info, u32 *error_code);
void vmx_inject_event(struct kvmod_vcpu *vcpu, const struct kvmod_event *ev);
bool vmx_interrupt_allowed(struct kvmod_vcpu *vcpu);
bool vmx_nmi_allowed(struct kvmod_vcpu *vcpu);
bool vmx_get_nmi_mask(struct kvmod_vcpu *vcpu);
void vmx_set_nmi_mask(struct kvmod_vcpu *vcpu, bool masked);
void vmx_set_windows(struct kvmod_vcpu *vcpu, bool irq, bool nmi);
u8 vmx_get_interrupt_shadow(struct kvmod_vcpu *vcpu);
void vmx_set_interrupt_shadow(struct kvmod_vcpu *vcpu, u8 shadow);

/* vmx_msr.c */
int vmx_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int vmx_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);
void vmx_set_tsc_offset(struct kvmod_vcpu *vcpu, u64 offset);
void vmx_msrs_reset(struct vmx_vcpu *vmx);

#endif /* KVMOD_VMX_H */
