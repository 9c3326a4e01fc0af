// SPDX-License-Identifier: GPL-2.0
/*
 * VMCB set-up at vCPU reset, and conversion between the VMCB save area
 * and struct kvm_sregs.
 */
#include <linux/string.h>
#include <asm/msr-index.h>

#include "svm.h"
#include "insn_len.h"

#define SEG_ATTR_P	BIT(7)
#define SVM_RESET_CR0	0x60000010ULL	/* CD, NW, ET */
#define SVM_DEFAULT_PAT	0x0007040600070406ULL

static void set_intercept(struct vmcb *vmcb, int bit)
{
	vmcb->control.intercepts[bit / 32] |= BIT(bit % 32);
}

static void svm_set_intercepts(struct vmcb *vmcb)
{
	static const int bits[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_CPUID,
		INTERCEPT_RSM, INTERCEPT_INVD, INTERCEPT_HLT, INTERCEPT_RDPMC,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_TASK_SWITCH, INTERCEPT_FERR_FREEZE,
		INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN, INTERCEPT_VMMCALL,
		INTERCEPT_VMLOAD, INTERCEPT_VMSAVE, INTERCEPT_STGI,
		INTERCEPT_CLGI, INTERCEPT_SKINIT, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_XSETBV, INTERCEPT_RDPRU,
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++)
		set_intercept(vmcb, bits[i]);
	/* Debug registers never reach the hardware: all accesses exit. */
	vmcb->control.intercepts[INTERCEPT_DR] = 0xffffffff;
	/*
	 * #AC and #DB are intercepted and reflected, so that a guest
	 * cannot hang the CPU in a microcode loop delivering them; a
	 * machine check belongs to the host. #UD goes to core, which
	 * turns a VMCALL into a VMMCALL (kvmod_handle_ud()).
	 */
	vmcb->control.intercepts[INTERCEPT_EXCEPTION] =
		BIT(AC_VECTOR) | BIT(DB_VECTOR) | BIT(MC_VECTOR) |
		BIT(UD_VECTOR);
}

static void set_seg(struct vmcb_seg *seg, u16 sel, u64 base, u32 limit,
		    u16 attrib)
{
	seg->selector = sel;
	seg->base = base;
	seg->limit = limit;
	seg->attrib = attrib;
}

/**
 * svm_vmcb_reset() - put a vCPU's VMCB into the x86 reset state
 * @vcpu: the vCPU
 */
void svm_vmcb_reset(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_save_area *save = &vmcb->save;
	struct vmcb_control_area *ctl = &vmcb->control;

	memset(vmcb, 0, PAGE_SIZE);
	svm_set_intercepts(vmcb);
	/*
	 * CR8 writes exit: without an in-kernel APIC a lowered TPR goes to
	 * userspace (KVM_EXIT_SET_TPR); with one, it may let a pending
	 * interrupt through, which must not wait for an unrelated exit.
	 */
	set_intercept(vmcb, INTERCEPT_CR8_WRITE);
	ctl->iopm_base_pa = svm_iopm_pa;
	ctl->msrpm_base_pa = svm_msrpm_pa;
	ctl->int_ctl = V_INTR_MASKING_MASK;
	ctl->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	ctl->nested_cr3 = vcpu->vm->mmu->root(vcpu->vm);

	set_seg(&save->cs, 0xf000, 0xffff0000, 0xffff, 0x9b);
	set_seg(&save->ds, 0, 0, 0xffff, 0x93);
	set_seg(&save->es, 0, 0, 0xffff, 0x93);
	set_seg(&save->fs, 0, 0, 0xffff, 0x93);
	set_seg(&save->gs, 0, 0, 0xffff, 0x93);
	set_seg(&save->ss, 0, 0, 0xffff, 0x93);
	set_seg(&save->gdtr, 0, 0, 0xffff, 0);
	set_seg(&save->idtr, 0, 0, 0xffff, 0);
	set_seg(&save->ldtr, 0, 0, 0xffff, 0x82);
	set_seg(&save->tr, 0, 0, 0xffff, 0x8b);
	save->cr0 = SVM_RESET_CR0;
	save->efer = EFER_SVME;
	save->dr6 = 0xffff0ff0;
	save->rflags = 2;
	save->rip = 0xfff0;
	save->g_pat = SVM_DEFAULT_PAT;
	svm->flush_pending = true;
	/* A fresh ASID at the next entry; nothing left to inject. */
	svm->asid_gen = 0;
	svm->event_inj = 0;
	svm->event_inj_err = 0;
	svm->nmi_masked = false;
	svm->awaiting_iret = false;
	svm->nmi_singlestep = false;
	/* DR7 and the #BP intercept: core's debug state (core/debug.c). */
	svm_update_debug(vcpu);
}

static void seg_to_kvm(const struct vmcb_seg *v, struct kvm_segment *k)
{
	memset(k, 0, sizeof(*k));
	k->base = v->base;
	k->limit = v->limit;
	k->selector = v->selector;
	k->type = v->attrib & SVM_SELECTOR_TYPE_MASK;
	k->s = !!(v->attrib & SVM_SELECTOR_S_MASK);
	k->dpl = (v->attrib >> SVM_SELECTOR_DPL_SHIFT) & 3;
	k->present = !!(v->attrib & SVM_SELECTOR_P_MASK);
	k->avl = !!(v->attrib & SVM_SELECTOR_AVL_MASK);
	k->l = !!(v->attrib & SVM_SELECTOR_L_MASK);
	k->db = !!(v->attrib & SVM_SELECTOR_DB_MASK);
	k->g = !!(v->attrib & SVM_SELECTOR_G_MASK);
	k->unusable = !k->present;
}

static void kvm_to_seg(const struct kvm_segment *k, struct vmcb_seg *v)
{
	v->base = k->base;
	v->limit = k->limit;
	v->selector = k->selector;
	v->attrib = 0;
	if (k->unusable)
		return;
	v->attrib = (k->type & SVM_SELECTOR_TYPE_MASK) |
		    (k->s ? SVM_SELECTOR_S_MASK : 0) |
		    ((k->dpl & 3) << SVM_SELECTOR_DPL_SHIFT) |
		    (k->present ? SVM_SELECTOR_P_MASK : 0) |
		    (k->avl ? SVM_SELECTOR_AVL_MASK : 0) |
		    (k->l ? SVM_SELECTOR_L_MASK : 0) |
		    (k->db ? SVM_SELECTOR_DB_MASK : 0) |
		    (k->g ? SVM_SELECTOR_G_MASK : 0);
}

void svm_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *s)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	seg_to_kvm(&save->cs, &s->cs);
	seg_to_kvm(&save->ds, &s->ds);
	seg_to_kvm(&save->es, &s->es);
	seg_to_kvm(&save->fs, &s->fs);
	seg_to_kvm(&save->gs, &s->gs);
	seg_to_kvm(&save->ss, &s->ss);
	seg_to_kvm(&save->tr, &s->tr);
	seg_to_kvm(&save->ldtr, &s->ldt);
	/* The busy/available TSS distinction is not kept by SVM. */
	if (s->tr.present && (s->tr.type & ~2) == 9)
		s->tr.type |= 2;
	s->gdt.base = save->gdtr.base;
	s->gdt.limit = save->gdtr.limit;
	s->idt.base = save->idtr.base;
	s->idt.limit = save->idtr.limit;
	s->cr0 = save->cr0;
	s->cr2 = save->cr2;
	s->cr3 = save->cr3;
	s->cr4 = save->cr4;
	s->efer = save->efer & ~EFER_SVME;
}

void svm_get_mode(struct kvmod_vcpu *vcpu, struct kvmod_guest_mode *mode)
{
	struct vmcb_save_area *save = &to_svm(vcpu)->vmcb->save;

	mode->paging.cr0 = save->cr0;
	mode->paging.cr3 = save->cr3;
	mode->paging.cr4 = save->cr4;
	mode->paging.efer = save->efer & ~EFER_SVME;
	mode->seg_base[KVMOD_SEG_ES] = save->es.base;
	mode->seg_base[KVMOD_SEG_CS] = save->cs.base;
	mode->seg_base[KVMOD_SEG_SS] = save->ss.base;
	mode->seg_base[KVMOD_SEG_DS] = save->ds.base;
	mode->seg_base[KVMOD_SEG_FS] = save->fs.base;
	mode->seg_base[KVMOD_SEG_GS] = save->gs.base;
	mode->long64 = (save->efer & EFER_LMA) &&
		       (save->cs.attrib & SVM_SELECTOR_L_MASK);
	mode->cs_db = save->cs.attrib & SVM_SELECTOR_DB_MASK;
	mode->cpl = save->cpl;
}

int svm_set_sregs(struct kvmod_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save_area *save = &svm->vmcb->save;

	kvm_to_seg(&s->cs, &save->cs);
	kvm_to_seg(&s->ds, &save->ds);
	kvm_to_seg(&s->es, &save->es);
	kvm_to_seg(&s->fs, &save->fs);
	kvm_to_seg(&s->gs, &save->gs);
	kvm_to_seg(&s->ss, &save->ss);
	kvm_to_seg(&s->tr, &save->tr);
	kvm_to_seg(&s->ldt, &save->ldtr);
	save->gdtr.base = s->gdt.base;
	save->gdtr.limit = s->gdt.limit;
	save->idtr.base = s->idt.base;
	save->idtr.limit = s->idt.limit;
	save->cr0 = s->cr0;
	save->cr2 = s->cr2;
	save->cr3 = s->cr3;
	save->cr4 = s->cr4;
	save->efer = s->efer | EFER_SVME;
	/* In protected mode the CPL is the DPL of SS; in real mode 0. */
	save->cpl = (s->cr0 & X86_CR0_PE) ? s->ss.dpl & 3 : 0;
	svm->flush_pending = true;
	return 0;
}
