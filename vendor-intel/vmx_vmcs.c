// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS set-up at vCPU reset, host state, and conversion between the
 * VMCS guest-state area and struct kvm_sregs.
 *
 * The guest runs with "unrestricted guest": real mode and unpaged
 * protected mode run natively with EPT. CR0 and CR4 are shared: the bits
 * in VMX_CR0_HOST_OWNED and VMX_CR4_HOST_OWNED are the host's (NE, and
 * VMXE, which VMX operation forces to one; CD and NW, kept off so that
 * guest memory stays cacheable) and the guest sees its own values of them
 * in the read shadows; everything else in CR0/CR4 is the guest's and
 * changes without an exit. EFER is loaded and saved by VM entry and exit,
 * and the "IA-32e mode guest" entry control follows EFER.LMA.
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/msr-index.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "vmx.h"
#include "insn_len.h"

#define VMX_DEFAULT_PAT		0x0007040600070406ULL
#define VMX_RESET_CR0		0x60000010ULL	/* CD, NW, ET */

/* Host state that is the same on every CPU, read once at load. */
static struct {
	unsigned long cr0;
	unsigned long idt_base;
	u64 sysenter_cs;
	u64 sysenter_eip;
	u64 pat;
	u64 efer;
} vmx_host;

/**
 * vmx_host_state_init() - read the host state every VMCS shares
 */
void vmx_host_state_init(void)
{
	struct desc_ptr idt;

	vmx_host.cr0 = read_cr0();
	store_idt(&idt);
	vmx_host.idt_base = idt.address;
	rdmsrl(MSR_IA32_SYSENTER_CS, vmx_host.sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_EIP, vmx_host.sysenter_eip);
	rdmsrl(MSR_IA32_CR_PAT, vmx_host.pat);
	rdmsrl(MSR_EFER, vmx_host.efer);
}

/**
 * vmx_vmcs_set_cpu_host_state() - the host state that differs per CPU
 * @vmx: the vCPU, whose VMCS was just made current on this CPU
 *
 * Linux has a TSS, a GDT, a SYSENTER stack and a GS base of its own on
 * every CPU.
 */
void vmx_vmcs_set_cpu_host_state(struct vmx_vcpu *vmx)
{
	int cpu = smp_processor_id();
	u64 sysenter_esp;

	vmcs_write(HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(HOST_GDTR_BASE, (unsigned long)get_cpu_gdt_ro(cpu));
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_write(HOST_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_write(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
}

/**
 * vmx_vmcs_set_host_state() - the host state every VMCS shares
 * @vmx: whose cached host-state fields are reset; its VMCS current
 */
void vmx_vmcs_set_host_state(struct vmx_vcpu *vmx)
{
	vmcs_write(HOST_CR0, vmx_host.cr0);
	/* CR3, CR4, the FS base and the FS/GS selectors are set at entry. */
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
	vmx->host_fs_base = 0;
	vmx->host_fs_sel = 0;
	vmx->host_gs_sel = 0;
	vmcs_write(HOST_CR3, 0);
	vmcs_write(HOST_CR4, 0);
	vmcs_write(HOST_FS_BASE, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	/* Null DS/ES; the caller's selectors are put back after exits. */
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(HOST_IDTR_BASE, vmx_host.idt_base);
	vmcs_write(HOST_RIP, (unsigned long)kvmod_vmx_exit);
	vmcs_write(HOST_IA32_SYSENTER_CS, vmx_host.sysenter_cs);
	vmcs_write(HOST_IA32_SYSENTER_EIP, vmx_host.sysenter_eip);
	vmcs_write(HOST_IA32_PAT, vmx_host.pat);
	vmcs_write(HOST_IA32_EFER, vmx_host.efer);
}

/**
 * vmx_eptp() - the EPT pointer of a VM
 * @vm: the VM
 *
 * Four levels, write-back paging structures, no accessed/dirty flags
 * (the MMU presets them in its entries).
 *
 * Return: the EPTP.
 */
u64 vmx_eptp(struct kvmod_vm *vm)
{
	return vm->mmu->root(vm) | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB;
}

static void vmx_vmcs_set_controls(struct vmx_vcpu *vmx)
{
	u32 proc2 = vmx_caps.proc2;

	if (!vmx->vpid)
		proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
	vmx->proc_ctls = vmx_caps.proc;
	vmx->proc_ctls_vmcs = vmx_caps.proc;
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmx->entry_ctls = vmx_caps.entry;
	vmcs_write(VM_ENTRY_CONTROLS, vmx->entry_ctls);
	if (vmx->vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(EPT_POINTER, vmx_eptp(vmx->vcpu->vm));
	if (proc2 & SECONDARY_EXEC_ENCLS_EXITING)
		vmcs_write(ENCLS_EXITING_BITMAP, ~0ULL);

	/*
	 * #DB and #AC are intercepted and reflected, so that a guest cannot
	 * hang the CPU in a microcode loop delivering them; a machine check
	 * belongs to the host. #UD goes to core, which turns a VMMCALL into
	 * a VMCALL (kvmod_handle_ud()).
	 */
	vmcs_write(EXCEPTION_BITMAP,
		   BIT(DB_VECTOR) | BIT(AC_VECTOR) | BIT(MC_VECTOR) |
		   BIT(UD_VECTOR));
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, VMX_CR0_HOST_OWNED);
	vmcs_write(CR4_GUEST_HOST_MASK, VMX_CR4_HOST_OWNED);
	vmcs_write(TSC_OFFSET, 0);
	vmx->tsc_offset = 0;

	/* The syscall MSRs: the guest's on entry, the host's on exit. */
	vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, vmx->guest_msrs_pa);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, VMX_NR_AUTOLOAD);
	vmcs_write(VM_EXIT_MSR_LOAD_ADDR, vmx_host_msrs_pa);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, VMX_NR_AUTOLOAD);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	/* Not saved at exits: every entry starts a full timeslice. */
	if (vmx_caps.timeslice)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_caps.timeslice);
}

/* VMCS field numbers of one segment register. */
struct vmx_seg_fields {
	u16 sel;
	u16 base;
	u16 limit;
	u16 ar;
};

#define VMX_SEG(s) { GUEST_##s##_SELECTOR, GUEST_##s##_BASE, \
		     GUEST_##s##_LIMIT, GUEST_##s##_AR_BYTES }

/* In enum kvmod_seg order, then LDTR and TR. */
static const struct vmx_seg_fields vmx_seg[] = {
	VMX_SEG(ES), VMX_SEG(CS), VMX_SEG(SS), VMX_SEG(DS), VMX_SEG(FS),
	VMX_SEG(GS), VMX_SEG(LDTR), VMX_SEG(TR),
};

#define VMX_SEG_LDTR	6
#define VMX_SEG_TR	7

static void vmx_set_seg_raw(int seg, u16 sel, u64 base, u32 limit, u32 ar)
{
	vmcs_write(vmx_seg[seg].sel, sel);
	vmcs_write(vmx_seg[seg].base, base);
	vmcs_write(vmx_seg[seg].limit, limit);
	vmcs_write(vmx_seg[seg].ar, ar);
}

/**
 * vmx_read_cr0() - the guest's CR0
 *
 * Its own bits from the VMCS, the host-owned ones from the read shadow.
 * The VMCS must be current.
 *
 * Return: CR0 as the guest sees it.
 */
u64 vmx_read_cr0(void)
{
	return (vmcs_read(GUEST_CR0) & ~VMX_CR0_HOST_OWNED) |
	       (vmcs_read(CR0_READ_SHADOW) & VMX_CR0_HOST_OWNED);
}

/**
 * vmx_read_cr4() - the guest's CR4
 *
 * The VMCS must be current.
 *
 * Return: CR4 as the guest sees it.
 */
u64 vmx_read_cr4(void)
{
	return (vmcs_read(GUEST_CR4) & ~VMX_CR4_HOST_OWNED) |
	       (vmcs_read(CR4_READ_SHADOW) & VMX_CR4_HOST_OWNED);
}

/**
 * vmx_write_cr0() - give the guest a CR0
 * @vmx: the vCPU, with its VMCS current
 * @cr0: the value the guest is to see
 *
 * The hardware gets NE set (VMX operation requires it) and CD/NW clear.
 */
void vmx_write_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	u64 fixed = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	vmcs_write(CR0_READ_SHADOW, cr0);
	vmcs_write(GUEST_CR0, ((cr0 | fixed) & ~(X86_CR0_CD | X86_CR0_NW)) |
			      X86_CR0_NE);
}

/**
 * vmx_write_cr4() - give the guest a CR4
 * @vmx: the vCPU, with its VMCS current
 * @cr4: the value the guest is to see
 */
void vmx_write_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	vmcs_write(CR4_READ_SHADOW, cr4);
	vmcs_write(GUEST_CR4, cr4 | vmx_caps.cr4_fixed0 | X86_CR4_VMXE);
}

/**
 * vmx_read_pdptrs() - read the four PDPTEs of PAE paging
 * @vmx: the vCPU
 * @cr3: the guest's CR3
 * @pdptrs: the entries, zero where guest memory cannot be read
 *
 * May sleep: call without the VMCS held.
 *
 * Return: 0, or -errno when guest memory could not be read.
 */
int vmx_read_pdptrs(struct vmx_vcpu *vmx, u64 cr3, u64 *pdptrs)
{
	int r;

	r = kvmod_read_guest_phys(vmx->vcpu->vm, cr3 & 0xffffffe0ULL, pdptrs,
				  4 * sizeof(u64));
	if (r)
		memset(pdptrs, 0, 4 * sizeof(u64));
	return r;
}

/**
 * vmx_write_pdptrs() - put PDPTEs into the VMCS
 * @pdptrs: the four entries
 *
 * With EPT the CPU takes the PDPTEs of a PAE-paging guest from the VMCS
 * at VM entry, and stores them there at VM exit.
 */
void vmx_write_pdptrs(const u64 *pdptrs)
{
	vmcs_write(GUEST_PDPTR0, pdptrs[0]);
	vmcs_write(GUEST_PDPTR1, pdptrs[1]);
	vmcs_write(GUEST_PDPTR2, pdptrs[2]);
	vmcs_write(GUEST_PDPTR3, pdptrs[3]);
}

/**
 * vmx_vmcs_reset_guest() - the x86 reset state in the guest-state area
 * @vmx: the vCPU, with its VMCS current
 */
void vmx_vmcs_reset_guest(struct vmx_vcpu *vmx)
{
	vmx_set_seg_raw(KVMOD_SEG_CS, 0xf000, 0xffff0000, 0xffff, 0x9b);
	vmx_set_seg_raw(KVMOD_SEG_DS, 0, 0, 0xffff, 0x93);
	vmx_set_seg_raw(KVMOD_SEG_ES, 0, 0, 0xffff, 0x93);
	vmx_set_seg_raw(KVMOD_SEG_FS, 0, 0, 0xffff, 0x93);
	vmx_set_seg_raw(KVMOD_SEG_GS, 0, 0, 0xffff, 0x93);
	vmx_set_seg_raw(KVMOD_SEG_SS, 0, 0, 0xffff, 0x93);
	vmx_set_seg_raw(VMX_SEG_LDTR, 0, 0, 0xffff, 0x82);
	vmx_set_seg_raw(VMX_SEG_TR, 0, 0, 0xffff, 0x8b);
	vmcs_write(GUEST_GDTR_BASE, 0);
	vmcs_write(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(GUEST_IDTR_BASE, 0);
	vmcs_write(GUEST_IDTR_LIMIT, 0xffff);

	vmx_write_cr0(vmx, VMX_RESET_CR0);
	vmx_write_cr4(vmx, 0);
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_DR7, 0x400);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_PAT, VMX_DEFAULT_PAT);
	vmcs_write(GUEST_IA32_EFER, 0);
	vmx->efer = 0;
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_RSP, 0);
	vmcs_write(GUEST_RIP, 0xfff0);
	vmcs_write(GUEST_RFLAGS, 2);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
}

/**
 * vmx_vmcs_reset() - put a vCPU's VMCS into the x86 reset state
 * @vmx: the vCPU; its VMCS was VMCLEARed once
 *
 * Core's registers (GPRs, RIP, RFLAGS, debug registers) are reset by
 * core; they reach the VMCS at every entry.
 */
void vmx_vmcs_reset(struct vmx_vcpu *vmx)
{
	vmx_vmcs_get(vmx);
	vmx_vmcs_set_controls(vmx);
	vmx_vmcs_set_host_state(vmx);
	vmx_vmcs_reset_guest(vmx);
	vmx_vmcs_put(vmx);

	vmx->intr_state = 0;
	vmx->intr_state_dirty = false;
	vmx->cr2 = 0;
	vmx->event_inj = 0;
	vmx->event_inj_err = 0;
	vmx->event_inj_len = 0;
	vmx->flush_ept = true;
	vmx_msrs_reset(vmx);
}

static void vmx_get_seg(int seg, struct kvm_segment *k)
{
	u32 ar = vmcs_read(vmx_seg[seg].ar);

	memset(k, 0, sizeof(*k));
	k->base = vmcs_read(vmx_seg[seg].base);
	k->limit = vmcs_read(vmx_seg[seg].limit);
	k->selector = vmcs_read(vmx_seg[seg].sel);
	k->type = ar & VMX_AR_TYPE_MASK;
	k->s = !!(ar & VMX_AR_S_MASK);
	k->dpl = VMX_AR_DPL(ar);
	/* A usable segment is present: "present" is the usable bit, as KVM. */
	k->unusable = !!(ar & VMX_AR_UNUSABLE_MASK);
	k->present = !k->unusable;
	k->avl = !!(ar & BIT(12));
	k->l = !!(ar & VMX_AR_L_MASK);
	k->db = !!(ar & VMX_AR_DB_MASK);
	k->g = !!(ar & VMX_AR_G_MASK);
}

static void vmx_set_seg(int seg, const struct kvm_segment *k)
{
	u32 type = k->type & VMX_AR_TYPE_MASK;
	u32 ar;

	/*
	 * As in-tree KVM with unrestricted guest: the accessed bit is set in
	 * every segment but LDTR (a VMX entry check that reset state written
	 * by some VMMs fails).
	 */
	if (seg != VMX_SEG_LDTR)
		type |= VMX_AR_TYPE_ACCESSES_MASK;
	ar = type | (k->s ? VMX_AR_S_MASK : 0) |
	     ((k->dpl & 3) << VMX_AR_DPL_SHIFT) |
	     (k->present ? VMX_AR_P_MASK : 0) | (k->avl ? BIT(12) : 0) |
	     (k->l ? VMX_AR_L_MASK : 0) | (k->db ? VMX_AR_DB_MASK : 0) |
	     (k->g ? VMX_AR_G_MASK : 0);
	if (k->unusable || !k->present)
		ar |= VMX_AR_UNUSABLE_MASK;
	vmx_set_seg_raw(seg, k->selector, k->base, k->limit, ar);
}

void vmx_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	vmx_get_seg(KVMOD_SEG_CS, &s->cs);
	vmx_get_seg(KVMOD_SEG_DS, &s->ds);
	vmx_get_seg(KVMOD_SEG_ES, &s->es);
	vmx_get_seg(KVMOD_SEG_FS, &s->fs);
	vmx_get_seg(KVMOD_SEG_GS, &s->gs);
	vmx_get_seg(KVMOD_SEG_SS, &s->ss);
	vmx_get_seg(VMX_SEG_TR, &s->tr);
	vmx_get_seg(VMX_SEG_LDTR, &s->ldt);
	s->gdt.base = vmcs_read(GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read(GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_read(GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read(GUEST_IDTR_LIMIT);
	s->cr0 = vmx_read_cr0();
	s->cr3 = vmcs_read(GUEST_CR3);
	s->cr4 = vmx_read_cr4();
	vmx_vmcs_put(vmx);
	s->cr2 = vmx->cr2;
	s->efer = vmx->efer;
}

void vmx_get_mode(struct kvmod_vcpu *vcpu, struct kvmod_guest_mode *mode)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 cs_ar, ss_ar;
	int i;

	vmx_vmcs_get(vmx);
	mode->paging.cr0 = vmx_read_cr0();
	mode->paging.cr3 = vmcs_read(GUEST_CR3);
	mode->paging.cr4 = vmx_read_cr4();
	for (i = KVMOD_SEG_ES; i <= KVMOD_SEG_GS; i++)
		mode->seg_base[i] = vmcs_read(vmx_seg[i].base);
	cs_ar = vmcs_read(GUEST_CS_AR_BYTES);
	ss_ar = vmcs_read(GUEST_SS_AR_BYTES);
	vmx_vmcs_put(vmx);
	mode->paging.efer = vmx->efer;
	mode->long64 = (vmx->efer & EFER_LMA) && (cs_ar & VMX_AR_L_MASK);
	mode->cs_db = cs_ar & VMX_AR_DB_MASK;
	/* The CPL is the DPL of SS, as VMX keeps it. */
	mode->cpl = VMX_AR_DPL(ss_ar);
}

int vmx_set_sregs(struct kvmod_vcpu *vcpu, const struct kvm_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	bool pae = (s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE) &&
		   !(s->efer & EFER_LMA);
	u64 pdptrs[4];

	/* As in-tree KVM: PDPTEs that cannot be read are loaded as zero. */
	if (pae)
		vmx_read_pdptrs(vmx, s->cr3, pdptrs);

	vmx_vmcs_get(vmx);
	vmx_set_seg(KVMOD_SEG_CS, &s->cs);
	vmx_set_seg(KVMOD_SEG_DS, &s->ds);
	vmx_set_seg(KVMOD_SEG_ES, &s->es);
	vmx_set_seg(KVMOD_SEG_FS, &s->fs);
	vmx_set_seg(KVMOD_SEG_GS, &s->gs);
	vmx_set_seg(KVMOD_SEG_SS, &s->ss);
	vmx_set_seg(VMX_SEG_TR, &s->tr);
	vmx_set_seg(VMX_SEG_LDTR, &s->ldt);
	vmcs_write(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_write(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write(GUEST_IDTR_LIMIT, s->idt.limit);
	vmx_write_cr0(vmx, s->cr0);
	vmcs_write(GUEST_CR3, s->cr3);
	vmx_write_cr4(vmx, s->cr4);
	vmcs_write(GUEST_IA32_EFER, s->efer);
	if (pae)
		vmx_write_pdptrs(pdptrs);
	vmx_vmcs_put(vmx);
	vmx->efer = s->efer;
	vmx->cr2 = s->cr2;
	vmx->flush_vpid = true;
	return 0;
}
