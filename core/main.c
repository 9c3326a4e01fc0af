// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod.ko: the /dev/kvm device and its system-fd ioctls.
 *
 * The device appears when a vendor module registers. It takes the
 * classic KVM minor under the name "kvm"; when the in-tree kvm holds it,
 * load kvmod with devname=<name> to get a second device beside it.
 */
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "registry.h"

static char *devname = "kvm";
module_param(devname, charp, 0444);
MODULE_PARM_DESC(devname,
		 "device name under /dev (default kvm, with the KVM minor)");

long kvmod_check_extension(struct kvmod_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_INTERNAL_ERROR_DATA:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_INTR_SHADOW:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_EXCEPTION_PAYLOAD:
		return 1;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return kvmod_guest_debug_caps();
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET;
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_NR_VCPUS:
		return min_t(long, num_online_cpus(), KVMOD_MAX_VCPUS);
	case KVM_CAP_MAX_VCPUS:
		return KVMOD_MAX_VCPUS;
	case KVM_CAP_MAX_VCPU_ID:
		return KVMOD_MAX_VCPU_ID;
	case KVM_CAP_NR_MEMSLOTS:
		return KVMOD_USER_MEMSLOTS;
	case KVM_CAP_MCE:
		return KVMOD_MAX_MCE_BANKS;
	case KVM_CAP_XSAVE:
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_EXT_EMUL_CPUID:
	case KVM_CAP_ENABLE_CAP:	/* the vCPU ioctl exists (vcpu_ctl.c) */
		return 1;
	case KVM_CAP_XCRS:
		return boot_cpu_has(X86_FEATURE_XSAVE);
	case KVM_CAP_XSAVE2:
		return kvmod_xsave2_size();
	case KVM_CAP_BINARY_STATS_FD:
		return kvmod_stats_available();
	case KVM_CAP_SYNC_REGS:
		return KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS |
		       KVM_SYNC_X86_EVENTS;
	default:
		return kvmod_components_check_extension(vm, cap);
	}
}

static long kvmod_dev_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVMOD_API_VERSION;
	case KVM_CREATE_VM:
		return kvmod_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvmod_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		/* kvm_run, the PIO data, the coalesced MMIO ring */
		return (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE;
	case KVM_GET_SUPPORTED_CPUID:
		return kvmod_get_supported_cpuid((void __user *)arg);
	case KVM_GET_MSR_INDEX_LIST:
		return kvmod_get_msr_index_list((void __user *)arg);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvmod_get_msr_feature_index_list((void __user *)arg);
	case KVM_GET_MSRS:
		return kvmod_get_feature_msrs((void __user *)arg);
	case KVM_GET_EMULATED_CPUID:
		return kvmod_get_emulated_cpuid((void __user *)arg);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvmod_get_mce_cap_supported((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/*
 * An open /dev/kvm pins the vendor and MMU modules too, as in-tree KVM's
 * does: a VMM holding the device can count on it to keep working.
 */
static int kvmod_dev_open(struct inode *inode, struct file *filp)
{
	struct kvmod_components *c;
	int r;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	r = kvmod_components_get(c);
	if (r) {
		kfree(c);
		return r;
	}
	filp->private_data = c;
	return 0;
}

static int kvmod_dev_release(struct inode *inode, struct file *filp)
{
	struct kvmod_components *c = filp->private_data;

	kvmod_components_put(c);
	kfree(c);
	return 0;
}

static const struct file_operations kvmod_dev_fops = {
	.owner = THIS_MODULE,
	.open = kvmod_dev_open,
	.release = kvmod_dev_release,
	.unlocked_ioctl = kvmod_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kvmod_dev = {
	.fops = &kvmod_dev_fops,
	.mode = 0666,
};

static bool kvmod_dev_registered;

int kvmod_dev_register(void)
{
	int r;

	if (!devname || !*devname || strchr(devname, '/')) {
		pr_err("kvmod: invalid devname parameter\n");
		return -EINVAL;
	}
	kvmod_dev.name = devname;
	kvmod_dev.minor = strcmp(devname, "kvm") ? MISC_DYNAMIC_MINOR :
						   KVM_MINOR;
	r = misc_register(&kvmod_dev);
	if (r == -EBUSY && kvmod_dev.minor == KVM_MINOR) {
		pr_err("kvmod: /dev/kvm (minor %d) is held by another driver, probably the in-tree kvm; unload it or load kvmod with the module parameter devname=<name>, e.g. 'modprobe kvmod devname=kvmod'\n",
		       KVM_MINOR);
		return r;
	}
	if (r) {
		pr_err("kvmod: cannot register /dev/%s (%d); choose another name with the module parameter devname=<name>\n",
		       devname, r);
		return r;
	}
	kvmod_dev_registered = true;
	pr_info("kvmod: /dev/%s ready\n", devname);
	return 0;
}

void kvmod_dev_unregister(void)
{
	if (kvmod_dev_registered)
		misc_deregister(&kvmod_dev);
	kvmod_dev_registered = false;
}

static int __init kvmod_init(void)
{
	kvmod_xsave_init();
	kvmod_cpuid_init();
	return kvmod_debugfs_init();
}

static void __exit kvmod_exit(void)
{
	kvmod_debugfs_exit();
}

module_init(kvmod_init);
module_exit(kvmod_exit);
MODULE_DESCRIPTION("kvmod core: the /dev/kvm ABI, VMs, vCPUs and memslots");
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmod authors");
MODULE_VERSION(KVMOD_VERSION);
