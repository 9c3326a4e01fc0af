// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark floor on VMX: bare VMRESUME/VM-exit round trips with no
 * exit handling, so that `make bench` can show how close each exit path of
 * the real run loop comes to the cost of the world switch alone. The same
 * debugfs interface as kvmod-amd's:
 *
 *   echo N > /sys/kernel/debug/kvmod/vmrun_floor   run N round trips
 *   cat /sys/kernel/debug/kvmod/vmrun_floor
 *	iterations N ns_total T ns_per_iter P
 *
 * The guest is one page of real-mode code at GPA 0 holding CPUID, which
 * exits unconditionally and is never stepped over, so every VMRESUME exits
 * at once. It has its own VMCS, EPT tables and VPID. A round trip includes
 * what every entry must do for the host (vmx_save_host() and
 * vmx_restore_host()), as kvmod-amd's includes VMSAVE/VMLOAD.
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/idtentry.h>

#include "vmx.h"

#define FLOOR_MAX_ITERATIONS	10000000ULL
#define FLOOR_CHUNK		1000
#define FLOOR_PAGES		6	/* VMCS, code, PML4, PDPT, PD, PT */
#define EPT_TABLE_BITS		0x7ULL			/* R, W, X */
#define EPT_LEAF_BITS		(0x7ULL | (6ULL << 3))	/* R, W, X, WB */

static DEFINE_MUTEX(floor_lock);
static u64 floor_iterations;
static u64 floor_ns;
static struct dentry *floor_file;

struct floor {
	struct page *pages[FLOOR_PAGES];
	struct vmx_vcpu vmx;		/* host-state caches, VPID */
	u64 eptp;
	bool set_up;			/* the VMCS holds the floor's state */
	u64 regs[KVMOD_NR_GPRS];
};

static void floor_free(struct floor *f)
{
	int i;

	vmx_vpid_free(f->vmx.vpid);
	for (i = 0; i < FLOOR_PAGES; i++)
		if (f->pages[i])
			__free_page(f->pages[i]);
}

static int floor_alloc(struct floor *f)
{
	u64 *table[4];
	u8 *code;
	int i;

	for (i = 0; i < FLOOR_PAGES; i++) {
		f->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!f->pages[i])
			return -ENOMEM;
	}
	*(u32 *)page_address(f->pages[0]) = vmx_caps.revision_id;
	f->vmx.vmcs_pa = page_to_phys(f->pages[0]);
	code = page_address(f->pages[1]);
	code[0] = 0x0f;			/* CPUID */
	code[1] = 0xa2;

	/* GPA 0 -> the code page, through four levels. */
	for (i = 0; i < 4; i++)
		table[i] = page_address(f->pages[2 + i]);
	for (i = 0; i < 3; i++)
		table[i][0] = page_to_phys(f->pages[3 + i]) | EPT_TABLE_BITS;
	table[3][0] = page_to_phys(f->pages[1]) | EPT_LEAF_BITS;
	f->eptp = page_to_phys(f->pages[2]) | VMX_EPTP_PWL_4 | VMX_EPTP_MT_WB;
	f->vmx.vpid = vmx_vpid_alloc();
	return 0;
}

/* The whole VMCS, once; the VMCS is current on this CPU. */
static void floor_setup_vmcs(struct floor *f)
{
	u32 proc2 = vmx_caps.proc2;

	if (!f->vmx.vpid)
		proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	/* No preemption timer: its value would be 0, an exit before CPUID. */
	vmcs_write(PIN_BASED_VM_EXEC_CONTROL,
		   vmx_caps.pin & ~PIN_BASED_VMX_PREEMPTION_TIMER);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.proc);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_caps.entry);
	if (f->vmx.vpid)
		vmcs_write(VIRTUAL_PROCESSOR_ID, f->vmx.vpid);
	vmcs_write(EPT_POINTER, f->eptp);
	if (proc2 & SECONDARY_EXEC_ENCLS_EXITING)
		vmcs_write(ENCLS_EXITING_BITMAP, ~0ULL);
	vmcs_write(EXCEPTION_BITMAP, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(CR0_GUEST_HOST_MASK, VMX_CR0_HOST_OWNED);
	vmcs_write(CR4_GUEST_HOST_MASK, VMX_CR4_HOST_OWNED);
	vmcs_write(TSC_OFFSET, 0);
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx_vmcs_set_host_state(&f->vmx);
	vmx_vmcs_reset_guest(&f->vmx);
	/* Real mode at 0:0. */
	vmcs_write(GUEST_CS_SELECTOR, 0);
	vmcs_write(GUEST_CS_BASE, 0);
	vmcs_write(GUEST_RIP, 0);
	f->set_up = true;
}

/* One chunk of round trips on one CPU; returns the number done. */
static u64 floor_chunk(struct floor *f, u64 n, u32 *reason)
{
	struct vmx_host_save host;
	struct vmx_cpu *vc;
	bool launched = false;
	u32 info, result;
	u64 i;

	preempt_disable();
	vc = this_cpu_ptr(&vmx_cpus);
	/* The floor's VMCS replaces whatever was current here. */
	vmx_vmclear(f->vmx.vmcs_pa);
	vmx_vmptrld(f->vmx.vmcs_pa);
	vc->current_vmcs = NULL;
	if (!f->set_up)
		floor_setup_vmcs(f);
	vmx_vmcs_set_cpu_host_state(&f->vmx);
	/* The pages may have been used as something else since. */
	if (vmx_caps.invept_single)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, f->eptp);
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	for (i = 0; i < n; i++) {
		local_irq_disable();
		vmx_save_host(&f->vmx, &host);
		result = kvmod_vmx_enter(f->regs, launched);
		vmx_restore_host(&f->vmx, &host);
		*reason = result == VMX_ENTER_EXIT ?
			  vmcs_read(VM_EXIT_REASON) : ~0U;
		if (*reason == EXIT_REASON_EXCEPTION_NMI) {
			info = vmcs_read(VM_EXIT_INTR_INFO);
			if ((info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				kvmod_vmx_call_nmi((unsigned long)asm_exc_nmi_noist);
		}
		local_irq_enable();
		launched = true;
		if (*reason != EXIT_REASON_CPUID &&
		    *reason != EXIT_REASON_EXTERNAL_INTERRUPT &&
		    *reason != EXIT_REASON_EXCEPTION_NMI)
			break;
	}
	/* Not active anywhere once the chunk is over. */
	vmx_vmclear(f->vmx.vmcs_pa);
	preempt_enable();
	return i;
}

static int floor_run(u64 n)
{
	struct floor *f;
	u64 done = 0, start;
	u32 reason = 0;
	int r;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	r = floor_alloc(f);
	if (r)
		goto out;

	start = ktime_get_ns();
	while (done < n) {
		u64 want = min_t(u64, n - done, FLOOR_CHUNK);
		u64 got = floor_chunk(f, want, &reason);

		done += got;
		if (got < want) {
			pr_err("kvmod-intel: floor guest exited with 0x%x\n",
			       reason);
			r = -EIO;
			goto out;
		}
		if (signal_pending(current)) {
			r = -EINTR;
			goto out;
		}
		cond_resched();
	}
	floor_ns = ktime_get_ns() - start;
	floor_iterations = n;
out:
	floor_free(f);
	kfree(f);
	return r;
}

static ssize_t floor_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	u64 n;
	int r;

	r = kstrtoull_from_user(buf, len, 0, &n);
	if (r)
		return r;
	if (!n || n > FLOOR_MAX_ITERATIONS)
		return -EINVAL;
	mutex_lock(&floor_lock);
	r = floor_run(n);
	mutex_unlock(&floor_lock);
	return r ? r : len;
}

static ssize_t floor_read(struct file *file, char __user *buf, size_t len,
			  loff_t *ppos)
{
	char line[128];
	int n;

	mutex_lock(&floor_lock);
	n = scnprintf(line, sizeof(line),
		      "iterations %llu ns_total %llu ns_per_iter %llu\n",
		      floor_iterations, floor_ns,
		      floor_iterations ? floor_ns / floor_iterations : 0);
	mutex_unlock(&floor_lock);
	return simple_read_from_buffer(buf, len, ppos, line, n);
}

static const struct file_operations floor_fops = {
	.owner = THIS_MODULE,
	.read = floor_read,
	.write = floor_write,
	.llseek = default_llseek,
};

/**
 * vmx_floor_init() - create the vmrun_floor debugfs file
 */
void vmx_floor_init(void)
{
	floor_file = debugfs_create_file("vmrun_floor", 0600,
					 kvmod_debugfs_root(), NULL,
					 &floor_fops);
}

/**
 * vmx_floor_exit() - remove the vmrun_floor debugfs file
 */
void vmx_floor_exit(void)
{
	debugfs_remove(floor_file);
}
