/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod-amd: AMD SVM back end. Internal declarations.
 *
 * The VMCB layout and SVM constants come from the kernel's <asm/svm.h>.
 */
#ifndef KVMOD_SVM_H
#define KVMOD_SVM_H

#include <linux/percpu.h>
#include <asm/svm.h>

#include "kvmod.h"
#include "svm_exit_names.h"
#include "debugreg.h"

/* Per physical CPU. */
struct svm_cpu {
	struct page *hsave;		/* MSR_VM_HSAVE_PA: VMRUN's host save */
	struct page *host_vmcb;		/* VMSAVE/VMLOAD area for host state */
	u64 host_vmcb_pa;
	u64 asid_gen;
	u32 next_asid;
	bool enabled;
};

DECLARE_PER_CPU(struct svm_cpu, svm_cpus);

/* What the CPU offers, read once at load. */
struct svm_caps {
	bool nrips;			/* next_rip saved on exit */
	bool flush_by_asid;		/* TLB_CONTROL 3 */
	u32 max_asid;			/* highest ASID for vCPUs */
	u32 floor_asid;			/* reserved for the bench floor */
};

extern struct svm_caps svm_caps;
extern u64 svm_iopm_pa;
extern u64 svm_msrpm_pa;

/* Per vCPU. */
struct svm_vcpu {
	struct kvmod_vcpu *vcpu;
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u32 asid;
	u64 asid_gen;
	bool flush_pending;		/* guest TLB must be flushed */
	u32 event_inj;			/* event to inject at next entry */
	u32 event_inj_err;
	bool nmi_masked;		/* an NMI handler runs (IRET intercepted) */
	bool awaiting_iret;		/* its IRET exited, not yet executed */
	u64 iret_rip;			/* where that IRET is */
	bool nmi_singlestep;		/* TF set by kvmod for the NMI window */
	bool guest_tf;			/* the guest's own TF meanwhile */
};

static inline struct svm_vcpu *to_svm(struct kvmod_vcpu *vcpu)
{
	return vcpu->vendor_data;
}

/* svm_cpu.c */
int svm_cpus_init(void);
void svm_cpus_exit(void);
void svm_assign_asid(struct svm_vcpu *svm, struct svm_cpu *sd);

/* svm_vmcb.c */
void svm_vmcb_reset(struct kvmod_vcpu *vcpu);
void svm_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *sregs);
int svm_set_sregs(struct kvmod_vcpu *vcpu, const struct kvm_sregs *sregs);
void svm_get_mode(struct kvmod_vcpu *vcpu, struct kvmod_guest_mode *mode);

/* svm_run.c */
int svm_vcpu_run(struct kvmod_vcpu *vcpu);

/* svm_vmrun.S */
void kvmod_svm_vmrun(u64 vmcb_pa, u64 *regs, u64 host_save_pa);

/* svm_exit.c */
int svm_handle_exit(struct kvmod_vcpu *vcpu);
void svm_get_exit_info(struct kvmod_vcpu *vcpu, u32 *reason, u64 *info1,
		       u64 *info2, u32 *intr_info, u32 *error_code);

/* svm_events.c */
void svm_inject_event(struct kvmod_vcpu *vcpu, const struct kvmod_event *ev);
bool svm_nmi_allowed(struct kvmod_vcpu *vcpu);
bool svm_get_nmi_mask(struct kvmod_vcpu *vcpu);
void svm_set_nmi_mask(struct kvmod_vcpu *vcpu, bool masked);
void svm_set_windows(struct kvmod_vcpu *vcpu, bool irq, bool nmi);
u8 svm_get_interrupt_shadow(struct kvmod_vcpu *vcpu);
void svm_set_interrupt_shadow(struct kvmod_vcpu *vcpu, u8 shadow);
void svm_nmi_after_exit(struct kvmod_vcpu *vcpu);
void svm_cancel_injection(struct kvmod_vcpu *vcpu);
int svm_exit_iret(struct kvmod_vcpu *vcpu);
int svm_exit_vintr(struct kvmod_vcpu *vcpu);
bool svm_nmi_singlestep_done(struct kvmod_vcpu *vcpu);

/* svm_debug.c */
void svm_update_debug(struct kvmod_vcpu *vcpu);
void svm_debug_load(struct kvmod_vcpu *vcpu);
void svm_debug_save(struct kvmod_vcpu *vcpu);
int svm_exit_db(struct kvmod_vcpu *vcpu);
int svm_exit_bp(struct kvmod_vcpu *vcpu);

/* svm_floor.c */
void svm_floor_init(void);
void svm_floor_exit(void);

/* svm_msr.c */
int svm_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int svm_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);
void svm_set_tsc_offset(struct kvmod_vcpu *vcpu, u64 offset);

#define SVM_NR_EXIT_CODES	0x401	/* up to and including NPF */

/**
 * svm_events_before_entry() - the VMCB's event fields for the entry
 * @vcpu: the vCPU (its RFLAGS already in the VMCB)
 *
 * Inline: on the path of every entry.
 */
static inline void svm_events_before_entry(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	vmcb->control.event_inj = svm->event_inj;
	vmcb->control.event_inj_err = svm->event_inj_err;
	svm->event_inj = 0;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
				(vcpu->cr8 & V_TPR_MASK);
	if (unlikely(svm->nmi_singlestep))
		vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
}

/**
 * svm_events_after_exit() - take the guest's TPR and event state back
 * @vcpu: the vCPU (RIP and RFLAGS already copied from the VMCB)
 *
 * Inline: on the path of every exit.
 */
static inline void svm_events_after_exit(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	vcpu->cr8 = ctl->int_ctl & V_TPR_MASK;
	vcpu->next_rip = svm_caps.nrips ? ctl->next_rip : 0;
	vcpu->interrupt_shadow = (ctl->int_state & SVM_INTERRUPT_SHADOW_MASK) ?
				 KVM_X86_SHADOW_INT_STI : 0;
	if (unlikely(svm->awaiting_iret || svm->nmi_singlestep))
		svm_nmi_after_exit(vcpu);
}

/**
 * svm_debug_before_entry() - DR0-3 and DR6 for the entry
 * @vcpu: the vCPU, interrupts disabled
 *
 * Inline: on the path of every entry; DR6 starts at its no-condition
 * value unless the guest owns the debug registers.
 */
static inline void svm_debug_before_entry(struct kvmod_vcpu *vcpu)
{
	if (unlikely(vcpu->debug.load_db || vcpu->debug.guest_owns))
		svm_debug_load(vcpu);
	else
		to_svm(vcpu)->vmcb->save.dr6 = KVMOD_DR6_ACTIVE_LOW;
}

/**
 * svm_debug_after_exit() - take back what the guest owned
 * @vcpu: the vCPU, interrupts still disabled
 *
 * Inline: on the path of every exit.
 */
static inline void svm_debug_after_exit(struct kvmod_vcpu *vcpu)
{
	if (unlikely(vcpu->debug.guest_owns))
		svm_debug_save(vcpu);
}

#endif /* KVMOD_SVM_H */
