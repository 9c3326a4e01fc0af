// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-amd.ko: AMD SVM with nested paging, registered with kvmod core.
 */
#include <linux/cc_platform.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include "svm.h"

struct svm_caps svm_caps;
u64 svm_iopm_pa;
u64 svm_msrpm_pa;

static struct page *svm_iopm;
static struct page *svm_msrpm;

/* The I/O permission map is 12 KiB, the MSR permission map 8 KiB. */
#define IOPM_ORDER	2
#define MSRPM_ORDER	1

static int svm_vm_init(struct kvmod_vm *vm)
{
	vm->pt_format = KVMOD_PT_X86_64;
	return 0;
}

static void svm_vm_destroy(struct kvmod_vm *vm)
{
}

static int svm_vcpu_create(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vcpu = vcpu;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	vcpu->vendor_data = svm;
	svm_vmcb_reset(vcpu);
	/* IA32_UCODE_REV until the VMM sets it: KVM's AMD default. */
	vcpu->microcode_version = 0x01000065;
	return 0;
}

static void svm_vcpu_free(struct kvmod_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
	vcpu->vendor_data = NULL;
}

static void svm_set_cr2(struct kvmod_vcpu *vcpu, u64 cr2)
{
	to_svm(vcpu)->vmcb->save.cr2 = cr2;
}

static const struct kvmod_vendor_ops svm_vendor_ops = {
	.name = "svm",
	.owner = THIS_MODULE,
	.vm_init = svm_vm_init,
	.vm_destroy = svm_vm_destroy,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.vcpu_run = svm_vcpu_run,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.get_mode = svm_get_mode,
	.get_exit_info = svm_get_exit_info,
	.set_cr2 = svm_set_cr2,
	.inject_event = svm_inject_event,
	.nmi_allowed = svm_nmi_allowed,
	.get_nmi_mask = svm_get_nmi_mask,
	.set_nmi_mask = svm_set_nmi_mask,
	.set_windows = svm_set_windows,
	.get_interrupt_shadow = svm_get_interrupt_shadow,
	.set_interrupt_shadow = svm_set_interrupt_shadow,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.update_debug = svm_update_debug,
	.set_tsc_offset = svm_set_tsc_offset,
	.hypercall_insn = { 0x0f, 0x01, 0xd9 },		/* VMMCALL */
	.mcg_cap_reserved = GENMASK_ULL(63, 9),
	.keeps_hsave_pa = true,
	.osvw_from_host = true,
	.ucode_rev = 0x01000065,
	.exit_name = svm_exit_name,
	.nr_exit_codes = SVM_NR_EXIT_CODES,
};

/*
 * The guest's syscall and segment-base MSRs: VMRUN and VMLOAD/VMSAVE
 * (kvmod_svm_vmrun) switch them, so the guest reads and writes them
 * without an exit (a context switch writes FS_BASE and KERNEL_GS_BASE),
 * as KVM does. svm_get_msr() and svm_set_msr() still serve userspace
 * from the VMCB.
 */
static const u32 svm_direct_msrs[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE,
	MSR_FS_BASE, MSR_GS_BASE,
};

/* Clear the read and write intercepts of @msr in the MSR permission map. */
static void svm_msrpm_allow(u8 *msrpm, u32 msr)
{
	/* Each range of 8192 MSRs takes 2 KiB: 2 bits (read, write) each. */
	static const u32 range_start[] = { 0, 0xc0000000, 0xc0010000 };
	u32 i, bit;

	for (i = 0; i < ARRAY_SIZE(range_start); i++) {
		if (msr - range_start[i] >= 0x2000)
			continue;
		bit = (msr - range_start[i]) * 2;
		msrpm[i * 0x800 + bit / 8] &= ~(3u << (bit % 8));
		return;
	}
}

static int svm_alloc_maps(void)
{
	u32 i;

	svm_iopm = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm)
		return -ENOMEM;
	/* Intercept every port and every MSR but the direct ones. */
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(svm_direct_msrs); i++)
		svm_msrpm_allow(page_address(svm_msrpm), svm_direct_msrs[i]);
	svm_iopm_pa = page_to_phys(svm_iopm);
	svm_msrpm_pa = page_to_phys(svm_msrpm);
	return 0;
}

static void svm_free_maps(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, MSRPM_ORDER);
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static int __init kvmod_amd_init(void)
{
	int r;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("kvmod-amd: this CPU has no AMD SVM\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("kvmod-amd: nested paging (NPT) is required\n");
		return -ENODEV;
	}
	/*
	 * Nested paging walks as many levels as the host pages with, and
	 * the MMU builds 4-level tables without the memory-encryption bit.
	 */
	if (pgtable_l5_enabled()) {
		pr_err("kvmod-amd: 5-level host paging is not supported\n");
		return -ENODEV;
	}
	if (cc_platform_has(CC_ATTR_HOST_MEM_ENCRYPT)) {
		pr_err("kvmod-amd: host memory encryption (SME) is not supported\n");
		return -ENODEV;
	}
	svm_caps.nrips = boot_cpu_has(X86_FEATURE_NRIPS);
	svm_caps.flush_by_asid = boot_cpu_has(X86_FEATURE_FLUSHBYASID);
	/* ASIDs 1 .. n-1 exist; the highest is kept for the bench floor. */
	svm_caps.floor_asid = cpuid_ebx(SVM_CPUID_FUNC) - 1;
	svm_caps.max_asid = svm_caps.floor_asid - 1;
	if (svm_caps.floor_asid < 2) {
		pr_err("kvmod-amd: the CPU offers too few guest ASIDs\n");
		return -ENODEV;
	}

	r = svm_alloc_maps();
	if (r)
		goto err_maps;
	r = svm_cpus_init();
	if (r)
		goto err_maps;
	r = kvmod_register_vendor(&svm_vendor_ops);
	if (r)
		goto err_cpus;
	svm_floor_init();
	pr_info("kvmod-amd: SVM ready (%u ASIDs, nrips %d, flush-by-ASID %d)\n",
		svm_caps.max_asid, svm_caps.nrips, svm_caps.flush_by_asid);
	return 0;

err_cpus:
	svm_cpus_exit();
err_maps:
	svm_free_maps();
	return r;
}

static void __exit kvmod_amd_exit(void)
{
	svm_floor_exit();
	kvmod_unregister_vendor(&svm_vendor_ops);
	svm_cpus_exit();
	svm_free_maps();
}

module_init(kvmod_amd_init);
module_exit(kvmod_amd_exit);
MODULE_DESCRIPTION("kvmod AMD SVM back end");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
MODULE_SOFTDEP("pre: kvmod-mmu post: kvmod-irqchip kvmod-para");
