// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark floor: bare VMRUN/#VMEXIT round trips with no exit
 * handling, so that `make bench` can show how close each exit path of the
 * real run loop comes to the cost of the world switch alone.
 *
 * Interface (debugfs, outside the KVM ABI):
 *   echo N > /sys/kernel/debug/kvmod/vmrun_floor   run N round trips
 *   cat /sys/kernel/debug/kvmod/vmrun_floor
 *	iterations N ns_total T ns_per_iter P
 *
 * The guest is one page of real-mode code at GPA 0 holding CPUID, which
 * is intercepted and never stepped over, so every VMRUN exits at once.
 * It has its own nested page table and a reserved ASID.
 */
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "svm.h"

#define FLOOR_MAX_ITERATIONS	10000000ULL
#define FLOOR_CHUNK		1000
#define FLOOR_PAGES		6	/* VMCB, code, PML4, PDPT, PD, PT */
#define NPT_BITS		0x67ULL	/* P, RW, US, A, D */

static DEFINE_MUTEX(floor_lock);
static u64 floor_iterations;
static u64 floor_ns;
static struct dentry *floor_file;

struct floor {
	struct page *pages[FLOOR_PAGES];
	struct vmcb *vmcb;
	u64 regs[KVMOD_NR_GPRS];
};

static void floor_free(struct floor *f)
{
	int i;

	for (i = 0; i < FLOOR_PAGES; i++)
		if (f->pages[i])
			__free_page(f->pages[i]);
}

static int floor_setup(struct floor *f)
{
	u64 *table[4];
	u8 *code;
	int i;

	for (i = 0; i < FLOOR_PAGES; i++) {
		f->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!f->pages[i])
			return -ENOMEM;
	}
	f->vmcb = page_address(f->pages[0]);
	code = page_address(f->pages[1]);
	code[0] = 0x0f;			/* CPUID */
	code[1] = 0xa2;

	/* GPA 0 -> the code page, through four levels. */
	for (i = 0; i < 4; i++)
		table[i] = page_address(f->pages[2 + i]);
	for (i = 0; i < 3; i++)
		table[i][0] = page_to_phys(f->pages[3 + i]) | NPT_BITS;
	table[3][0] = page_to_phys(f->pages[1]) | NPT_BITS;

	f->vmcb->control.intercepts[INTERCEPT_WORD3] =
		BIT(INTERCEPT_INTR - 96) | BIT(INTERCEPT_NMI - 96) |
		BIT(INTERCEPT_CPUID - 96) | BIT(INTERCEPT_SHUTDOWN - 96);
	f->vmcb->control.intercepts[INTERCEPT_WORD4] =
		BIT(INTERCEPT_VMRUN - 128);
	f->vmcb->control.iopm_base_pa = svm_iopm_pa;
	f->vmcb->control.msrpm_base_pa = svm_msrpm_pa;
	f->vmcb->control.asid = svm_caps.floor_asid;
	f->vmcb->control.int_ctl = V_INTR_MASKING_MASK;
	f->vmcb->control.nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	f->vmcb->control.nested_cr3 = page_to_phys(f->pages[2]);

	f->vmcb->save.cs.attrib = 0x9b;
	f->vmcb->save.cs.limit = 0xffff;
	f->vmcb->save.ds.attrib = 0x93;
	f->vmcb->save.ds.limit = 0xffff;
	f->vmcb->save.es = f->vmcb->save.ds;
	f->vmcb->save.ss = f->vmcb->save.ds;
	f->vmcb->save.fs = f->vmcb->save.ds;
	f->vmcb->save.gs = f->vmcb->save.ds;
	f->vmcb->save.ldtr.attrib = 0x82;
	f->vmcb->save.ldtr.limit = 0xffff;
	f->vmcb->save.tr.attrib = 0x8b;
	f->vmcb->save.tr.limit = 0xffff;
	f->vmcb->save.gdtr.limit = 0xffff;
	f->vmcb->save.idtr.limit = 0xffff;
	f->vmcb->save.cr0 = X86_CR0_ET;
	f->vmcb->save.efer = EFER_SVME;
	f->vmcb->save.rflags = 2;
	f->vmcb->save.dr6 = 0xffff0ff0;
	f->vmcb->save.dr7 = 0x400;
	f->vmcb->save.g_pat = 0x0007040600070406ULL;
	return 0;
}

/* One chunk of round trips on one CPU; returns the number done. */
static u64 floor_chunk(struct floor *f, u64 n)
{
	struct svm_cpu *sd;
	u64 i;

	preempt_disable();
	sd = this_cpu_ptr(&svm_cpus);
	/* Pages may have been reused since the last run on this CPU. */
	f->vmcb->control.tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	for (i = 0; i < n; i++) {
		local_irq_disable();
		asm volatile("clgi" ::: "memory");
		kvmod_svm_vmrun(page_to_phys(f->pages[0]), f->regs,
				sd->host_vmcb_pa);
		asm volatile("stgi" ::: "memory");
		local_irq_enable();
		f->vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
		if (f->vmcb->control.exit_code != SVM_EXIT_CPUID &&
		    f->vmcb->control.exit_code != SVM_EXIT_INTR &&
		    f->vmcb->control.exit_code != SVM_EXIT_NMI)
			break;
	}
	preempt_enable();
	return i;
}

static int floor_run(u64 n)
{
	struct floor *f;
	u64 done = 0, start;
	int r;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	r = floor_setup(f);
	if (r)
		goto out;

	start = ktime_get_ns();
	while (done < n) {
		u64 want = min_t(u64, n - done, FLOOR_CHUNK);
		u64 got = floor_chunk(f, want);

		done += got;
		if (got < want) {
			pr_err("kvmod-amd: floor guest exited with 0x%x\n",
			       f->vmcb->control.exit_code);
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
 * svm_floor_init() - create the vmrun_floor debugfs file
 */
void svm_floor_init(void)
{
	floor_file = debugfs_create_file("vmrun_floor", 0600,
					 kvmod_debugfs_root(), NULL,
					 &floor_fops);
}

/**
 * svm_floor_exit() - remove the vmrun_floor debugfs file
 */
void svm_floor_exit(void)
{
	debugfs_remove(floor_file);
}
