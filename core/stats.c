// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics in debugfs:
 *   /sys/kernel/debug/kvmod/<pid>-<vm fd>/vcpu<N>/exits       hardware exits
 *   /sys/kernel/debug/kvmod/<pid>-<vm fd>/vcpu<N>/user_exits  KVM_EXIT_* exits
 * one "name count" line per reason seen, and per VM pages_4k / pages_2m,
 * the guest memory mapped by the MMU in 4 KiB and 2 MiB translations;
 * and in-tree KVM's files for kvm_stat under /sys/kernel/debug/kvm (below).
 */
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "registry.h"
#include "exit_names.h"

static struct dentry *kvmod_debugfs_dir;

/*
 * kvm_stat (tools/kvm/kvm_stat) and other tools read in-tree KVM's debugfs
 * files: /sys/kernel/debug/kvm/<counter> (the sum over every VM) and
 * /sys/kernel/debug/kvm/<pid>-<vm fd>/<counter> (the VM's, its vCPUs'
 * summed), one number each. kvmod makes the same files, with the names of
 * its KVM_GET_STATS_FD counters (histograms left out), while its vendor is
 * registered, unless the directory exists already (in-tree KVM's).
 * Read-only: in-tree KVM lets a 0 be written to clear a counter.
 */
struct kvm_stat_file {
	struct kvmod_vm *vm;		/* NULL: the sum over every VM */
	enum kvmod_stats_kind kind;
	u32 index;			/* descriptor */
};

static struct dentry *kvm_dir;
static struct kvm_stat_file *kvm_top_files;
static LIST_HEAD(stats_vms);		/* VMs with a kvm/<pid>-<fd> dir */
static DEFINE_MUTEX(stats_vms_lock);

static u64 vm_stat_value(struct kvmod_vm *vm, enum kvmod_stats_kind kind,
			 u32 index)
{
	u64 sum = 0;
	int i, n;

	if (kind == KVMOD_STATS_VM)
		return kvmod_stats_vm_value(vm, index);
	/* Pairs with the release in kvmod_create_vcpu(). */
	n = smp_load_acquire(&vm->nr_vcpus);
	for (i = 0; i < n; i++)
		sum += kvmod_stats_vcpu_value(kvmod_get_vcpu(vm, i), index);
	return sum;
}

static int kvm_stat_get(void *data, u64 *val)
{
	struct kvm_stat_file *f = data;
	struct kvmod_vm *vm;
	u64 sum = 0;

	if (f->vm) {
		*val = vm_stat_value(f->vm, f->kind, f->index);
		return 0;
	}
	mutex_lock(&stats_vms_lock);
	list_for_each_entry(vm, &stats_vms, stats_node)
		sum += vm_stat_value(vm, f->kind, f->index);
	mutex_unlock(&stats_vms_lock);
	*val = sum;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kvm_stat_fops, kvm_stat_get, NULL, "%llu\n");

/* One file per single-valued counter in @dir, @files filled for them. */
static void kvm_stat_files(struct dentry *dir, struct kvmod_vm *vm,
			   struct kvm_stat_file *files)
{
	enum kvmod_stats_kind kind;
	u32 i;

	for (kind = 0; kind < KVMOD_STATS_NR_KINDS; kind++) {
		for (i = 0; i < kvmod_stats_count(kind); i++) {
			const struct kvm_stats_desc *d =
				kvmod_stats_desc(kind, i);

			if (d->size != 1)
				continue;
			files->vm = vm;
			files->kind = kind;
			files->index = i;
			debugfs_create_file_unsafe(d->name, 0444, dir, files,
						   &kvm_stat_fops);
			files++;
		}
	}
}

static u32 kvm_stat_nr_files(void)
{
	return kvmod_stats_count(KVMOD_STATS_VM) +
	       kvmod_stats_count(KVMOD_STATS_VCPU);
}

/**
 * kvmod_debugfs_kvm_init() - kvm_stat's debugfs directory
 *
 * Called when a vendor registers, after kvmod_stats_init().
 */
void kvmod_debugfs_kvm_init(void)
{
	struct dentry *dir;

	if (!kvmod_stats_available())
		return;
	dir = debugfs_create_dir("kvm", NULL);
	if (IS_ERR(dir)) {
		if (PTR_ERR(dir) == -EEXIST)
			pr_info("kvmod: debugfs kvm/ exists (in-tree KVM's): no kvm_stat files\n");
		return;
	}
	kvm_top_files = kcalloc(kvm_stat_nr_files(), sizeof(*kvm_top_files),
				GFP_KERNEL);
	if (!kvm_top_files) {
		debugfs_remove_recursive(dir);
		return;
	}
	kvm_stat_files(dir, NULL, kvm_top_files);
	kvm_dir = dir;
}

/**
 * kvmod_debugfs_kvm_exit() - remove what kvmod_debugfs_kvm_init() made
 *
 * Called when the vendor goes (no VM is left).
 */
void kvmod_debugfs_kvm_exit(void)
{
	debugfs_remove_recursive(kvm_dir);
	kvm_dir = NULL;
	kfree(kvm_top_files);
	kvm_top_files = NULL;
}

static void kvm_debugfs_vm_add(struct kvmod_vm *vm, const char *name)
{
	struct kvm_stat_file *files;
	struct dentry *dir;

	INIT_LIST_HEAD(&vm->stats_node);
	if (!kvm_dir)
		return;
	files = kcalloc(kvm_stat_nr_files(), sizeof(*files),
			GFP_KERNEL_ACCOUNT);
	if (!files)
		return;
	dir = debugfs_create_dir(name, kvm_dir);
	if (IS_ERR(dir)) {
		kfree(files);
		return;
	}
	kvm_stat_files(dir, vm, files);
	vm->kvm_debugfs = dir;
	vm->kvm_debugfs_files = files;
	mutex_lock(&stats_vms_lock);
	list_add_tail(&vm->stats_node, &stats_vms);
	mutex_unlock(&stats_vms_lock);
}

static void kvm_debugfs_vm_remove(struct kvmod_vm *vm)
{
	if (!vm->kvm_debugfs)
		return;
	mutex_lock(&stats_vms_lock);
	list_del(&vm->stats_node);
	mutex_unlock(&stats_vms_lock);
	/* Waits for readers of the VM's files. */
	debugfs_remove_recursive(vm->kvm_debugfs);
	kfree(vm->kvm_debugfs_files);
}

static int exits_show(struct seq_file *m, void *unused)
{
	struct kvmod_vcpu *vcpu = m->private;
	const struct kvmod_vendor_ops *vendor = vcpu->vm->vendor;
	u32 code;

	for (code = 0; code < vendor->nr_exit_codes; code++) {
		const char *name;

		if (!vcpu->exit_stats[code])
			continue;
		name = vendor->exit_name(code);
		if (name)
			seq_printf(m, "%s %llu\n", name,
				   vcpu->exit_stats[code]);
		else
			seq_printf(m, "0x%x %llu\n", code,
				   vcpu->exit_stats[code]);
	}
	if (vcpu->exit_stats_other)
		seq_printf(m, "other %llu\n", vcpu->exit_stats_other);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(exits);

static int user_exits_show(struct seq_file *m, void *unused)
{
	struct kvmod_vcpu *vcpu = m->private;
	u32 r;

	for (r = 0; r < ARRAY_SIZE(vcpu->user_exits); r++) {
		const char *name = kvmod_user_exit_name(r);

		if (!vcpu->user_exits[r])
			continue;
		if (name)
			seq_printf(m, "%s %llu\n", name, vcpu->user_exits[r]);
		else
			seq_printf(m, "%u %llu\n", r, vcpu->user_exits[r]);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(user_exits);

/**
 * kvmod_debugfs_root() - kvmod's debugfs directory
 *
 * Components put their own files (benchmark hooks and the like) there.
 *
 * Return: the dentry of /sys/kernel/debug/kvmod (an error pointer when
 * debugfs is unavailable, which debugfs functions accept).
 */
struct dentry *kvmod_debugfs_root(void)
{
	return kvmod_debugfs_dir;
}
EXPORT_SYMBOL_GPL(kvmod_debugfs_root);

int kvmod_debugfs_init(void)
{
	kvmod_debugfs_dir = debugfs_create_dir("kvmod", NULL);
	return 0;
}

void kvmod_debugfs_exit(void)
{
	debugfs_remove_recursive(kvmod_debugfs_dir);
}

void kvmod_debugfs_vm_add(struct kvmod_vm *vm, int fd)
{
	char name[32];

	snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current), fd);
	vm->debugfs = debugfs_create_dir(name, kvmod_debugfs_dir);
	/* Named as in-tree KVM's per-VM debugfs files. */
	debugfs_create_u64("pages_4k", 0444, vm->debugfs, &vm->stat.pages_4k);
	debugfs_create_u64("pages_2m", 0444, vm->debugfs, &vm->stat.pages_2m);
	kvm_debugfs_vm_add(vm, name);
}

void kvmod_debugfs_vm_remove(struct kvmod_vm *vm)
{
	kvm_debugfs_vm_remove(vm);
	debugfs_remove_recursive(vm->debugfs);
}

void kvmod_debugfs_vcpu_add(struct kvmod_vcpu *vcpu)
{
	char name[32];

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	vcpu->debugfs = debugfs_create_dir(name, vcpu->vm->debugfs);
	debugfs_create_file("exits", 0444, vcpu->debugfs, vcpu, &exits_fops);
	debugfs_create_file("user_exits", 0444, vcpu->debugfs, vcpu,
			    &user_exits_fops);
}
