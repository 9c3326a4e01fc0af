// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics in debugfs:
 *   /sys/kernel/debug/kvmod/<pid>-<vm fd>/vcpu<N>/exits       hardware exits
 *   /sys/kernel/debug/kvmod/<pid>-<vm fd>/vcpu<N>/user_exits  KVM_EXIT_* exits
 * one "name count" line per reason seen, and per VM pages_4k / pages_2m,
 * the guest memory mapped by the MMU in 4 KiB and 2 MiB translations.
 */
#include <linux/debugfs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "registry.h"
#include "exit_names.h"

static struct dentry *kvmod_debugfs_dir;

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
}

void kvmod_debugfs_vm_remove(struct kvmod_vm *vm)
{
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
