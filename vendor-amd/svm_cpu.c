// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU SVM state: EFER.SVME and the host save area, kept in step
 * with CPU hotplug, and per-CPU ASID allocation.
 */
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <asm/msr.h>

#include "svm.h"

DEFINE_PER_CPU(struct svm_cpu, svm_cpus);

static enum cpuhp_state svm_hp_state;

/* Runs on @cpu itself. */
static int svm_cpu_online(unsigned int cpu)
{
	struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);
	u64 efer, vm_cr;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("kvmod-amd: SVM is disabled by the firmware on CPU %u\n",
		       cpu);
		return -EIO;
	}
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("kvmod-amd: SVM is already in use on CPU %u (another hypervisor such as kvm-amd?)\n",
		       cpu);
		return -EBUSY;
	}
	if (!sd->hsave)
		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
	if (!sd->host_vmcb)
		sd->host_vmcb = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
	if (!sd->hsave || !sd->host_vmcb)
		return -ENOMEM;

	sd->host_vmcb_pa = page_to_phys(sd->host_vmcb);
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	/* Start a new ASID generation: every vCPU flushes on first entry. */
	sd->asid_gen++;
	sd->next_asid = svm_caps.max_asid + 1;
	sd->enabled = true;
	return 0;
}

/* Runs on @cpu itself. */
static int svm_cpu_offline(unsigned int cpu)
{
	struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);
	u64 efer;

	if (!sd->enabled)
		return 0;
	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	sd->enabled = false;
	return 0;
}

static void svm_free_cpu_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_vmcb)
			__free_page(sd->host_vmcb);
		sd->hsave = NULL;
		sd->host_vmcb = NULL;
	}
}

int svm_cpus_init(void)
{
	int r;

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "kvmod/amd:online",
			      svm_cpu_online, svm_cpu_offline);
	if (r < 0) {
		svm_free_cpu_pages();
		return r;
	}
	svm_hp_state = r;
	return 0;
}

void svm_cpus_exit(void)
{
	cpuhp_remove_state(svm_hp_state);
	svm_free_cpu_pages();
}

/**
 * svm_assign_asid() - give a vCPU a fresh ASID on this CPU
 * @svm: the vCPU, about to enter on the CPU of @sd, interrupts off
 * @sd: this CPU's SVM state
 *
 * A new ASID may have been used before (by an earlier generation or
 * another hypervisor), so its TLB entries are flushed at entry.
 */
void svm_assign_asid(struct svm_vcpu *svm, struct svm_cpu *sd)
{
	if (sd->next_asid > svm_caps.max_asid) {
		sd->asid_gen++;
		sd->next_asid = 1;
	}
	svm->asid = sd->next_asid++;
	svm->asid_gen = sd->asid_gen;
	svm->vmcb->control.asid = svm->asid;
	svm->flush_pending = true;
}
