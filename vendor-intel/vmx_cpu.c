// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU VMX state: VMX operation (VMXON) kept in step with CPU hotplug,
 * the VMCSs active on each CPU, VPID allocation, and VMX off on reboot
 * and on emergency shutdown (kexec, crash) so that INIT works again.
 */
#include <linux/bitmap.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/namei.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/reboot.h>
#include <asm/tlbflush.h>
#include <asm/virtext.h>

#include "vmx.h"

DEFINE_PER_CPU(struct vmx_cpu, vmx_cpus);

bool vmx_rebooting;

static enum cpuhp_state vmx_hp_state;

/* The VM-instruction error of the current VMCS, 0 when there is none. */
static u32 vmx_insn_error(void)
{
	u64 err;

	asm_goto_output(VMX_INSN("vmread %[field], %[err]")
			: [err] "=r" (err)
			: [field] "r" ((unsigned long)VM_INSTRUCTION_ERROR)
			: "cc"
			: failed);
	return err;
failed:
	return 0;
}

/**
 * vmx_insn_failed() - a VMX instruction failed or faulted
 * @insn: the instruction
 * @arg: its operand, for the report
 *
 * A fault is expected only when VMX operation was left under us, which
 * the reboot path does on purpose. Anything else is a bug in kvmod-intel:
 * warn once, with the VM-instruction error.
 */
void vmx_insn_failed(const char *insn, u64 arg)
{
	if (READ_ONCE(vmx_rebooting))
		return;
	WARN_ONCE(1, "kvmod-intel: %s 0x%llx failed (VM-instruction error %u, CR4.VMXE %d)\n",
		  insn, arg, vmx_insn_error(),
		  !!(cr4_read_shadow() & X86_CR4_VMXE));
}

static int vmx_vmxon(u64 pa)
{
	asm goto(VMX_INSN("vmxon %[pa]")
		 :
		 : [pa] "m" (pa)
		 : "cc", "memory"
		 : failed);
	return 0;
failed:
	return -EIO;
}

/* Called on @cpu itself, with interrupts disabled. */
static void vmx_vmcs_clear_local(void *arg)
{
	struct vmx_vcpu *vmx = arg;
	int cpu = raw_smp_processor_id();
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

	/* The CPU may have cleared it already on its way offline. */
	if (vmx->loaded_cpu != cpu)
		return;
	if (vc->current_vmcs == vmx)
		vc->current_vmcs = NULL;
	vmx_vmclear(vmx->vmcs_pa);
	list_del(&vmx->loaded_link);
	/*
	 * The list entry is gone before loaded_cpu says so: pairs with the
	 * smp_rmb() in vmx_vmcs_load() on the CPU that takes the VMCS next.
	 */
	smp_wmb();
	WRITE_ONCE(vmx->loaded_cpu, -1);
	vmx->launched = false;
}

/**
 * vmx_vmcs_clear() - VMCLEAR a vCPU's VMCS wherever it is active
 * @vmx: the vCPU
 *
 * Afterwards the VMCS is active nowhere and its state is in memory.
 * Called with interrupts enabled (it may send an IPI).
 */
void vmx_vmcs_clear(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->loaded_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_vmcs_clear_local, vmx, 1);
}

/**
 * vmx_vmcs_load() - make a vCPU's VMCS current on this CPU
 * @vmx: the vCPU
 *
 * Called by the vCPU's thread with preemption disabled and interrupts
 * enabled. A VMCS still active on another CPU is VMCLEARed there first;
 * the per-CPU host state is then written and the guest's TLB entries on
 * this CPU are flushed at the next entry, since they may be stale from an
 * earlier stay here.
 */
void vmx_vmcs_load(struct vmx_vcpu *vmx)
{
	int cpu = smp_processor_id();
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);

	if (vmx->loaded_cpu != cpu) {
		vmx_vmcs_clear(vmx);
		local_irq_disable();
		/* Pairs with the smp_wmb() in vmx_vmcs_clear_local(). */
		smp_rmb();
		list_add(&vmx->loaded_link, &vc->loaded);
		local_irq_enable();
		vmx_vmptrld(vmx->vmcs_pa);
		vc->current_vmcs = vmx;
		vmx_vmcs_set_cpu_host_state(vmx);
		vmx->flush_ept = true;
		WRITE_ONCE(vmx->loaded_cpu, cpu);
	} else if (vc->current_vmcs != vmx) {
		vmx_vmptrld(vmx->vmcs_pa);
		vc->current_vmcs = vmx;
	}
}

/* VMCLEAR everything active on this CPU. Interrupts disabled. */
static void vmx_clear_all_local(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vmx, *next;

	list_for_each_entry_safe(vmx, next, &vc->loaded, loaded_link)
		vmx_vmcs_clear_local(vmx);
}

/* Leave VMX operation on this CPU. Interrupts disabled. */
static void vmx_cpu_off_local(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);

	if (!vc->enabled)
		return;
	vmx_clear_all_local();
	vc->current_vmcs = NULL;
	cpu_vmxoff();
	intel_pt_handle_vmx(0);
	vc->enabled = false;
}

/* Runs on @cpu itself. */
static int vmx_cpu_online(unsigned int cpu)
{
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);
	u64 feat;
	int r;

	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("kvmod-intel: VMX is already in use on CPU %u (another hypervisor such as kvm-intel with a VM running?)\n",
		       cpu);
		return -EBUSY;
	}
	rdmsrl(MSR_IA32_FEAT_CTL, feat);
	if (!(feat & FEAT_CTL_LOCKED) ||
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("kvmod-intel: VMX is disabled by the firmware on CPU %u (IA32_FEATURE_CONTROL 0x%llx)\n",
		       cpu, feat);
		return -EIO;
	}
	if (!vc->vmxon_region)
		vc->vmxon_region = alloc_pages_node(cpu_to_node(cpu),
						    GFP_KERNEL | __GFP_ZERO, 0);
	if (!vc->vmxon_region)
		return -ENOMEM;
	*(u32 *)page_address(vc->vmxon_region) = vmx_caps.revision_id;

	local_irq_disable();
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(page_to_phys(vc->vmxon_region));
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		local_irq_enable();
		pr_err("kvmod-intel: VMXON failed on CPU %u\n", cpu);
		return r;
	}
	/* Nothing another VMM left behind may be used by a guest of ours. */
	if (vmx_caps.invept_all)
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx_caps.invvpid_all)
		vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	vc->current_vmcs = NULL;
	vc->enabled = true;
	local_irq_enable();
	return 0;
}

/* Runs on @cpu itself. */
static int vmx_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	vmx_cpu_off_local();
	local_irq_restore(flags);
	return 0;
}

static void vmx_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpus, cpu);

		if (vc->vmxon_region)
			__free_page(vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
}

/* VPIDs 1..VMX_NR_VPIDS-1 are for guests; 0 is the host's. */
static DEFINE_SPINLOCK(vmx_vpid_lock);
static unsigned long *vmx_vpid_bitmap;

/**
 * vmx_vpid_alloc() - a VPID for a new vCPU
 *
 * Return: the VPID, or 0 when VPIDs are not used or all are taken; the
 * vCPU then runs without one and the CPU flushes at every transition.
 */
int vmx_vpid_alloc(void)
{
	int vpid;

	if (!vmx_caps.vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	vpid = find_first_zero_bit(vmx_vpid_bitmap, VMX_NR_VPIDS);
	if (vpid < VMX_NR_VPIDS)
		__set_bit(vpid, vmx_vpid_bitmap);
	else
		vpid = 0;
	spin_unlock(&vmx_vpid_lock);
	return vpid;
}

/**
 * vmx_vpid_free() - give a VPID back
 * @vpid: from vmx_vpid_alloc(); 0 is ignored
 *
 * A VPID handed out again is flushed before its new vCPU's first entry.
 */
void vmx_vpid_free(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpid_bitmap);
	spin_unlock(&vmx_vpid_lock);
}

static void vmx_reboot_cpu(void *unused)
{
	vmx_cpu_off_local();
}

/* Leave VMX operation everywhere before a reboot or kexec. */
static int vmx_reboot_notify(struct notifier_block *nb, unsigned long code,
			     void *unused)
{
	WRITE_ONCE(vmx_rebooting, true);
	on_each_cpu(vmx_reboot_cpu, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot_notify,
};

/*
 * The emergency path (crash, emergency restart) runs this on every CPU,
 * possibly in NMI context: VMCLEAR what is active and leave VMX.
 */
static void vmx_emergency_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpus);
	struct vmx_vcpu *vmx;

	WRITE_ONCE(vmx_rebooting, true);
	if (!vc->enabled)
		return;
	list_for_each_entry(vmx, &vc->loaded, loaded_link)
		vmx_vmclear(vmx->vmcs_pa);
	__cpu_emergency_vmxoff();
}

static bool vmx_emergency_registered;

/**
 * vmx_emergency_init() - hook into the kernel's emergency shutdown
 *
 * The kernel has room for one such callback. The in-tree kvm-intel takes
 * it when it loads; its callback leaves VMX operation on every CPU, ours
 * included, so with kvm-intel loaded kvmod-intel leaves it be. (Loading
 * kvm-intel after kvmod-intel makes kvm-intel warn: unload one first.)
 */
void vmx_emergency_init(void)
{
	struct path path;

	register_reboot_notifier(&vmx_reboot_nb);
	if (!kern_path("/sys/module/kvm_intel", 0, &path)) {
		path_put(&path);
		pr_info("kvmod-intel: kvm-intel is loaded; its emergency VMXOFF covers kvmod-intel too\n");
		return;
	}
	cpu_emergency_register_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = true;
}

/**
 * vmx_emergency_exit() - undo vmx_emergency_init()
 */
void vmx_emergency_exit(void)
{
	if (vmx_emergency_registered)
		cpu_emergency_unregister_virt_callback(vmx_emergency_disable);
	vmx_emergency_registered = false;
	unregister_reboot_notifier(&vmx_reboot_nb);
}

/**
 * vmx_cpus_init() - enter VMX operation on every online CPU
 *
 * And on every CPU that comes online later, until vmx_cpus_exit().
 *
 * Return: 0, or -errno when a CPU cannot (VMX in use by another
 * hypervisor, disabled by the firmware, VMXON failing).
 */
int vmx_cpus_init(void)
{
	int cpu, r;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu_ptr(&vmx_cpus, cpu)->loaded);
	vmx_vpid_bitmap = bitmap_zalloc(VMX_NR_VPIDS, GFP_KERNEL);
	if (!vmx_vpid_bitmap)
		return -ENOMEM;
	__set_bit(0, vmx_vpid_bitmap);

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvmod/intel:online",
			      vmx_cpu_online, vmx_cpu_offline);
	if (r < 0) {
		vmx_free_cpu_pages();
		bitmap_free(vmx_vpid_bitmap);
		vmx_vpid_bitmap = NULL;
		return r;
	}
	vmx_hp_state = r;
	return 0;
}

/**
 * vmx_cpus_exit() - leave VMX operation everywhere and free its pages
 */
void vmx_cpus_exit(void)
{
	cpuhp_remove_state(vmx_hp_state);
	vmx_free_cpu_pages();
	bitmap_free(vmx_vpid_bitmap);
	vmx_vpid_bitmap = NULL;
}
