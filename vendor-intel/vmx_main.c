// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-intel.ko: Intel VMX with EPT and unrestricted guest, registered
 * with kvmod core.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/cpu.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include <asm/virtext.h>

#include "vmx.h"

struct vmx_caps vmx_caps;
u64 vmx_host_msrs_pa;

static unsigned int timeslice_us;
module_param(timeslice_us, uint, 0444);
MODULE_PARM_DESC(timeslice_us,
		 "end every guest run after this many microseconds with the VMX-preemption timer (default 0: off); for emulators that miss host interrupts while the guest has RFLAGS.IF clear (Bochs 2.7)");

static struct page *vmx_host_msrs;

static bool l1d_flush = true;
module_param(l1d_flush, bool, 0444);
MODULE_PARM_DESC(l1d_flush,
		 "flush the L1 data cache before every guest entry on CPUs affected by L1TF (default on; off with mitigations=off)");

static int vmx_vm_init(struct kvmod_vm *vm)
{
	vm->pt_format = KVMOD_PT_EPT;
	return 0;
}

static void vmx_vm_destroy(struct kvmod_vm *vm)
{
}

static int vmx_vcpu_create(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	struct page *vmcs, *msrs;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmcs = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	msrs = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vmcs || !msrs) {
		if (vmcs)
			__free_page(vmcs);
		if (msrs)
			__free_page(msrs);
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = page_address(vmcs);
	vmx->vmcs_pa = page_to_phys(vmcs);
	vmx->guest_msrs = page_address(msrs);
	vmx->guest_msrs_pa = page_to_phys(msrs);
	vmx->loaded_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->vpid = vmx_vpid_alloc();
	vcpu->vendor_data = vmx;

	/* A new VMCS region: revision identifier, then VMCLEAR. */
	*(u32 *)vmx->vmcs = vmx_caps.revision_id;
	preempt_disable();
	vmx_vmclear(vmx->vmcs_pa);
	preempt_enable();
	vmx_vmcs_reset(vmx);
	return 0;
}

static void vmx_vcpu_free(struct kvmod_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* No CPU may keep it cached when the page goes. */
	vmx_vmcs_clear(vmx);
	vmx_vpid_free(vmx->vpid);
	free_page((unsigned long)vmx->guest_msrs);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->vendor_data = NULL;
}

/* Guest CR2 lives in software; vmx_run.c loads it before each entry. */
static void vmx_set_cr2(struct kvmod_vcpu *vcpu, u64 cr2)
{
	to_vmx(vcpu)->cr2 = cr2;
}

static const struct kvmod_vendor_ops vmx_vendor_ops = {
	.name = "vmx",
	.owner = THIS_MODULE,
	.vm_init = vmx_vm_init,
	.vm_destroy = vmx_vm_destroy,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.vcpu_run = vmx_vcpu_run,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_mode = vmx_get_mode,
	.get_exit_info = vmx_get_exit_info,
	.inject_event = vmx_inject_event,
	.nmi_allowed = vmx_nmi_allowed,
	.get_nmi_mask = vmx_get_nmi_mask,
	.set_nmi_mask = vmx_set_nmi_mask,
	.set_windows = vmx_set_windows,
	.get_interrupt_shadow = vmx_get_interrupt_shadow,
	.set_interrupt_shadow = vmx_set_interrupt_shadow,
	.set_cr2 = vmx_set_cr2,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
	.update_debug = vmx_update_debug,
	.set_tsc_offset = vmx_set_tsc_offset,
	.hypercall_insn = { 0x0f, 0x01, 0xc1 },		/* VMCALL */
	.ucode_rev = 0x100000000ULL,
	.exit_name = vmx_exit_name,
	.nr_exit_codes = VMX_NR_EXIT_CODES,
};

/*
 * Settle one set of VM-execution, VM-exit or VM-entry controls: the bits
 * the CPU forces to one, plus @required (all of which the CPU must allow)
 * and those of @optional it allows.
 */
static int vmx_adjust(u32 msr, u32 required, u32 optional, u32 *ctl,
		      const char *what)
{
	u32 must1, may1;

	rdmsr(msr, must1, may1);
	if (required & ~may1) {
		pr_err("kvmod-intel: the CPU lacks %s controls 0x%x\n",
		       what, required & ~may1);
		return -ENODEV;
	}
	*ctl = ((required | optional) & may1) | must1;
	return 0;
}

static int vmx_setup_controls(u64 basic)
{
	bool true_ctls = basic & VMX_BASIC_TRUE_CTLS;
	int r;

	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
				   MSR_IA32_VMX_PINBASED_CTLS,
		       PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
		       PIN_BASED_VIRTUAL_NMIS |
		       (timeslice_us ? PIN_BASED_VMX_PREEMPTION_TIMER : 0),
		       &vmx_caps.pin, "pin-based");
	if (r)
		return r;
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
				   MSR_IA32_VMX_PROCBASED_CTLS,
		       CPU_BASED_HLT_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
		       CPU_BASED_MOV_DR_EXITING | CPU_BASED_UNCOND_IO_EXITING |
		       CPU_BASED_CR8_LOAD_EXITING |
		       CPU_BASED_CR8_STORE_EXITING | CPU_BASED_RDPMC_EXITING |
		       CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING |
		       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
		       CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING,
		       &vmx_caps.proc, "processor-based");
	/* The window exits are turned on only when core asks for them. */
	vmx_caps.proc &= ~(CPU_BASED_INTR_WINDOW_EXITING |
			   CPU_BASED_NMI_WINDOW_EXITING);
	if (r)
		return r;
	r = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
		       SECONDARY_EXEC_ENABLE_EPT |
		       SECONDARY_EXEC_UNRESTRICTED_GUEST,
		       SECONDARY_EXEC_ENABLE_VPID |
		       SECONDARY_EXEC_ENABLE_RDTSCP |
		       SECONDARY_EXEC_WBINVD_EXITING |
		       SECONDARY_EXEC_ENCLS_EXITING,
		       &vmx_caps.proc2, "secondary processor-based");
	if (r) {
		pr_err("kvmod-intel: EPT and unrestricted guest are required\n");
		return r;
	}
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
				   MSR_IA32_VMX_EXIT_CTLS,
		       VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
		       VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
		       VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_DEBUG_CONTROLS, 0,
		       &vmx_caps.exit, "VM-exit");
	if (r)
		return r;
	r = vmx_adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				   MSR_IA32_VMX_ENTRY_CTLS,
		       VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_EFER |
		       VM_ENTRY_LOAD_IA32_PAT, 0, &vmx_caps.entry, "VM-entry");
	if (r)
		return r;
	/* Set per guest, from EFER.LMA. */
	vmx_caps.entry &= ~VM_ENTRY_IA32E_MODE;
	return 0;
}

static int vmx_setup_ept_vpid(void)
{
	u64 cap;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, cap);
	if (!(cap & VMX_EPT_PAGE_WALK_4_BIT) || !(cap & VMX_EPTP_WB_BIT)) {
		pr_err("kvmod-intel: EPT without 4-level write-back tables (capabilities 0x%llx)\n",
		       cap);
		return -ENODEV;
	}
	vmx_caps.invept_single = cap & VMX_EPT_EXTENT_CONTEXT_BIT;
	vmx_caps.invept_all = cap & VMX_EPT_EXTENT_GLOBAL_BIT;
	if (!(cap & VMX_EPT_INVEPT_BIT) ||
	    (!vmx_caps.invept_single && !vmx_caps.invept_all)) {
		pr_err("kvmod-intel: the CPU has no usable INVEPT (capabilities 0x%llx)\n",
		       cap);
		return -ENODEV;
	}
	cap >>= 32;
	vmx_caps.invvpid_single = cap & VMX_VPID_EXTENT_SINGLE_CONTEXT_BIT;
	vmx_caps.invvpid_all = cap & VMX_VPID_EXTENT_GLOBAL_CONTEXT_BIT;
	vmx_caps.vpid = (vmx_caps.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
			(cap & VMX_VPID_INVVPID_BIT) &&
			(vmx_caps.invvpid_single || vmx_caps.invvpid_all);
	if (!vmx_caps.vpid)
		vmx_caps.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	return 0;
}

/* The VMX-preemption timer counts down once every 2^rate TSC cycles. */
static void vmx_setup_timeslice(void)
{
	u64 misc, ticks;

	if (!(vmx_caps.pin & PIN_BASED_VMX_PREEMPTION_TIMER)) {
		if (timeslice_us)
			pr_warn("kvmod-intel: no VMX-preemption timer, timeslice_us ignored\n");
		return;
	}
	rdmsrl(MSR_IA32_VMX_MISC, misc);
	ticks = ((u64)timeslice_us * tsc_khz / 1000) >>
		vmx_misc_preemption_timer_rate(misc);
	vmx_caps.timeslice = clamp_t(u64, ticks, 1, U32_MAX);
}

static int vmx_setup_caps(void)
{
	u64 basic;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_caps.revision_id = vmx_basic_vmcs_revision_id(basic);
	if (vmx_basic_vmcs_size(basic) > PAGE_SIZE ||
	    ((basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT) !=
	    VMX_BASIC_MEM_TYPE_WB || (basic & VMX_BASIC_64)) {
		pr_err("kvmod-intel: unsupported VMCS layout (IA32_VMX_BASIC 0x%llx)\n",
		       basic);
		return -ENODEV;
	}
	vmx_caps.ins_outs_info = basic & VMX_BASIC_INOUT;
	r = vmx_setup_controls(basic);
	if (r)
		return r;
	r = vmx_setup_ept_vpid();
	if (r)
		return r;
	vmx_setup_timeslice();
	/*
	 * L1TF: a guest could read what the host left in the L1 data cache
	 * through a not-present guest page-table entry.
	 */
	vmx_caps.l1d_flush = l1d_flush && boot_cpu_has_bug(X86_BUG_L1TF) &&
			     boot_cpu_has(X86_FEATURE_FLUSH_L1D) &&
			     !cpu_mitigations_off();
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_caps.cr4_fixed1);
	return 0;
}

/* The host's syscall MSRs, loaded by every VM exit. */
static int vmx_alloc_host_msrs(void)
{
	struct vmx_msr_entry *list;
	int i;

	vmx_host_msrs = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vmx_host_msrs)
		return -ENOMEM;
	list = page_address(vmx_host_msrs);
	for (i = 0; i < VMX_NR_AUTOLOAD; i++) {
		list[i].index = vmx_autoload_index[i];
		rdmsrl(vmx_autoload_index[i], list[i].value);
	}
	vmx_host_msrs_pa = page_to_phys(vmx_host_msrs);
	return 0;
}

/* Say clearly why VMX cannot be used here. */
static int vmx_check_cpu(void)
{
	u64 feat;

	if (!cpu_has_vmx()) {
		pr_err("kvmod-intel: this CPU has no Intel VMX\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_MSR_IA32_FEAT_CTL) ||
	    !boot_cpu_has(X86_FEATURE_VMX)) {
		if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat))
			feat = 0;
		pr_err("kvmod-intel: VMX is disabled by the firmware (IA32_FEATURE_CONTROL 0x%llx: %s)\n",
		       feat, !(feat & FEAT_CTL_LOCKED) ? "not locked" :
		       "locked without VMX outside SMX");
		return -ENODEV;
	}
	return 0;
}

static int __init kvmod_intel_init(void)
{
	int r;

	r = vmx_check_cpu();
	if (r)
		return r;
	r = vmx_setup_caps();
	if (r)
		return r;
	vmx_host_state_init();
	r = vmx_alloc_host_msrs();
	if (r)
		goto err_msrs;
	r = vmx_cpus_init();
	if (r)
		goto err_msrs;
	vmx_emergency_init();
	r = kvmod_register_vendor(&vmx_vendor_ops);
	if (r)
		goto err_cpus;
	vmx_floor_init();
	pr_info("kvmod-intel: VMX ready (EPT, unrestricted guest, VPID %s, L1D flush %s, timeslice %u us)\n",
		vmx_caps.vpid ? "on" : "off",
		vmx_caps.l1d_flush ? "on" : "off",
		vmx_caps.timeslice ? timeslice_us : 0);
	return 0;

err_cpus:
	vmx_emergency_exit();
	vmx_cpus_exit();
err_msrs:
	if (vmx_host_msrs)
		__free_page(vmx_host_msrs);
	vmx_host_msrs = NULL;
	return r;
}

static void __exit kvmod_intel_exit(void)
{
	vmx_floor_exit();
	kvmod_unregister_vendor(&vmx_vendor_ops);
	vmx_emergency_exit();
	vmx_cpus_exit();
	__free_page(vmx_host_msrs);
}

module_init(kvmod_intel_init);
module_exit(kvmod_intel_exit);
MODULE_DESCRIPTION("kvmod Intel VMX back end");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
MODULE_SOFTDEP("pre: kvmod-mmu post: kvmod-irqchip kvmod-para");
