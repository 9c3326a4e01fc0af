// SPDX-License-Identifier: GPL-2.0
/*
 * The ops registry: one vendor and one MMU at a time, and at most one
 * optional component of each kind (irqchip, para). Every VM pins the
 * modules of the components it uses, so they cannot go away under it.
 */
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/mutex.h>

#include "registry.h"

static DEFINE_MUTEX(registry_lock);
static const struct kvmod_vendor_ops *registered_vendor;
static const struct kvmod_mmu_ops *registered_mmu;
static const struct kvmod_component_ops *registered_comps[KVMOD_NR_COMPONENTS];

/**
 * kvmod_register_vendor() - register a hardware virtualization back end
 * @ops: the vendor's ops table; must stay valid until unregistered
 *
 * Creates the /dev/kvm device once a vendor is present.
 *
 * Return: 0, -EBUSY if a vendor is registered already, or the error of
 * creating the device.
 */
int kvmod_register_vendor(const struct kvmod_vendor_ops *ops)
{
	int r;

	mutex_lock(&registry_lock);
	if (registered_vendor) {
		pr_err("kvmod: vendor %s already registered, %s refused\n",
		       registered_vendor->name, ops->name);
		r = -EBUSY;
		goto out;
	}
	registered_vendor = ops;
	kvmod_stats_init(ops);
	kvmod_debugfs_kvm_init();
	r = kvmod_dev_register();
	if (r) {
		kvmod_debugfs_kvm_exit();
		kvmod_stats_exit();
		registered_vendor = NULL;
	} else {
		pr_info("kvmod: vendor %s registered\n", ops->name);
	}
out:
	mutex_unlock(&registry_lock);
	return r;
}
EXPORT_SYMBOL_GPL(kvmod_register_vendor);

/**
 * kvmod_unregister_vendor() - remove a vendor registered earlier
 * @ops: the ops table passed to kvmod_register_vendor()
 *
 * Called from the vendor's module exit, which cannot run while a VM
 * holds a reference on the vendor module.
 */
void kvmod_unregister_vendor(const struct kvmod_vendor_ops *ops)
{
	mutex_lock(&registry_lock);
	if (registered_vendor == ops) {
		kvmod_dev_unregister();
		kvmod_debugfs_kvm_exit();
		kvmod_stats_exit();
		registered_vendor = NULL;
	}
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_GPL(kvmod_unregister_vendor);

/**
 * kvmod_register_mmu() - register a guest-physical address translator
 * @ops: the MMU's ops table; must stay valid until unregistered
 *
 * Return: 0, or -EBUSY if an MMU is registered already.
 */
int kvmod_register_mmu(const struct kvmod_mmu_ops *ops)
{
	int r = 0;

	mutex_lock(&registry_lock);
	if (registered_mmu)
		r = -EBUSY;
	else
		registered_mmu = ops;
	mutex_unlock(&registry_lock);
	return r;
}
EXPORT_SYMBOL_GPL(kvmod_register_mmu);

/**
 * kvmod_unregister_mmu() - remove an MMU registered earlier
 * @ops: the ops table passed to kvmod_register_mmu()
 */
void kvmod_unregister_mmu(const struct kvmod_mmu_ops *ops)
{
	mutex_lock(&registry_lock);
	if (registered_mmu == ops)
		registered_mmu = NULL;
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_GPL(kvmod_unregister_mmu);

/**
 * kvmod_register_component() - register an optional component
 * @kind: what it is (one of each kind at a time)
 * @ops: its ops table; must stay valid until unregistered
 *
 * VMs created from now on use it; KVM_CHECK_EXTENSION reports its
 * capabilities.
 *
 * Return: 0, -EINVAL for an unknown kind, -EBUSY if one is registered.
 */
int kvmod_register_component(enum kvmod_component_kind kind,
			     const struct kvmod_component_ops *ops)
{
	int r = 0;

	if (kind >= KVMOD_NR_COMPONENTS)
		return -EINVAL;
	mutex_lock(&registry_lock);
	if (registered_comps[kind])
		r = -EBUSY;
	else
		registered_comps[kind] = ops;
	mutex_unlock(&registry_lock);
	if (!r)
		pr_info("kvmod: component %s registered\n", ops->name);
	return r;
}
EXPORT_SYMBOL_GPL(kvmod_register_component);

/**
 * kvmod_unregister_component() - remove a component registered earlier
 * @kind: its kind
 * @ops: the ops table passed to kvmod_register_component()
 *
 * Called from the component's module exit, which cannot run while a VM
 * holds a reference on the module.
 */
void kvmod_unregister_component(enum kvmod_component_kind kind,
				const struct kvmod_component_ops *ops)
{
	if (kind >= KVMOD_NR_COMPONENTS)
		return;
	mutex_lock(&registry_lock);
	if (registered_comps[kind] == ops)
		registered_comps[kind] = NULL;
	mutex_unlock(&registry_lock);
}
EXPORT_SYMBOL_GPL(kvmod_unregister_component);

/**
 * kvmod_components_check_extension() - capabilities of the components
 * @vm: the VM (its pinned components), or NULL for those registered now
 * @cap: the capability
 *
 * Return: the first non-zero answer of a component, or 0.
 */
long kvmod_components_check_extension(struct kvmod_vm *vm, long cap)
{
	long r = 0;
	int i;

	if (vm) {
		for (i = 0; i < KVMOD_NR_COMPONENTS && !r; i++)
			if (vm->components[i])
				r = vm->components[i]->check_extension(vm, cap);
		return r;
	}
	mutex_lock(&registry_lock);
	for (i = 0; i < KVMOD_NR_COMPONENTS && !r; i++)
		if (registered_comps[i])
			r = registered_comps[i]->check_extension(NULL, cap);
	mutex_unlock(&registry_lock);
	return r;
}

/**
 * kvmod_components_cpuid() - CPUID bits the components add or take away
 * @vm: the VM (its pinned components), or NULL for those registered now
 * @leaf: CPUID leaf
 * @subleaf: its index
 * @regs: EAX, EBX, ECX, EDX, changed in place
 *
 * Component CPUID leaves must be below 64 (vm->cpuid_leaves).
 */
void kvmod_components_cpuid(struct kvmod_vm *vm, u32 leaf, u32 subleaf,
			    u32 regs[4])
{
	const struct kvmod_component_ops *c;
	unsigned int j;
	int i;

	if (subleaf)
		return;
	if (!vm)
		mutex_lock(&registry_lock);
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vm ? vm->components[i] : registered_comps[i];
		for (j = 0; c && j < c->nr_cpuid_bits; j++)
			if (c->cpuid_bits[j].leaf == leaf)
				regs[c->cpuid_bits[j].reg & 3] |=
					c->cpuid_bits[j].set;
	}
	if (!vm)
		mutex_unlock(&registry_lock);
}

/**
 * kvmod_components_cpuid_leaf() - a hypervisor-range leaf of a VM
 * @vm: the VM (its pinned components)
 * @leaf: CPUID leaf, 0x40000000 and up
 * @subleaf: its index
 *
 * Return: the first component's entry for it, or NULL (reads as zeros).
 */
const struct kvm_cpuid_entry2 *
kvmod_components_cpuid_leaf(struct kvmod_vm *vm, u32 leaf, u32 subleaf)
{
	const struct kvmod_component_ops *c;
	const struct kvm_cpuid_entry2 *e;
	unsigned int j;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vm->components[i];
		for (j = 0; c && j < c->nr_cpuid_leaves; j++) {
			e = &c->cpuid_leaves[j];
			if (e->function == leaf &&
			    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
			     e->index == subleaf))
				return e;
		}
	}
	return NULL;
}

/**
 * kvmod_components_cpuid_leaves() - the leaves the components answer
 * @list: where to copy them (KVM_GET_SUPPORTED_CPUID)
 * @max: room at @list
 *
 * Return: the number copied, of the components registered now.
 */
u32 kvmod_components_cpuid_leaves(struct kvm_cpuid_entry2 *list, u32 max)
{
	const struct kvmod_component_ops *c;
	unsigned int j;
	u32 n = 0;
	int i;

	mutex_lock(&registry_lock);
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = registered_comps[i];
		for (j = 0; c && j < c->nr_cpuid_leaves && n < max; j++)
			list[n++] = c->cpuid_leaves[j];
	}
	mutex_unlock(&registry_lock);
	return n;
}

/**
 * kvmod_components_msr_indices() - the MSRs the components keep
 * @list: where to copy their indices (KVM_GET_MSR_INDEX_LIST), or NULL
 * @max: room at @list
 *
 * Return: the number of indices of the components registered now (all
 * of them, also those beyond @max, which are not copied).
 */
u32 kvmod_components_msr_indices(u32 *list, u32 max)
{
	const struct kvmod_component_ops *c;
	unsigned int j;
	u32 n = 0;
	int i;

	mutex_lock(&registry_lock);
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = registered_comps[i];
		for (j = 0; c && j < c->nr_msr_indices; j++, n++)
			if (list && n < max)
				list[n] = c->msr_indices[j];
	}
	mutex_unlock(&registry_lock);
	return n;
}

/*
 * Take the registered vendor and MMU and pin their modules. The MMU
 * module is loaded on demand when none is registered.
 */
int kvmod_components_get(struct kvmod_components *c)
{
	int r = -ENODEV;
	bool need_mmu;
	int i;

	mutex_lock(&registry_lock);
	need_mmu = !registered_mmu;
	mutex_unlock(&registry_lock);
	if (need_mmu)
		request_module("kvmod-mmu");

	mutex_lock(&registry_lock);
	if (!registered_vendor || !registered_mmu)
		goto out;
	if (!try_module_get(registered_vendor->owner))
		goto out;
	if (!try_module_get(registered_mmu->owner)) {
		module_put(registered_vendor->owner);
		goto out;
	}
	c->vendor = registered_vendor;
	c->mmu = registered_mmu;
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c->comps[i] = NULL;
		if (registered_comps[i] &&
		    try_module_get(registered_comps[i]->owner))
			c->comps[i] = registered_comps[i];
	}
	r = 0;
out:
	mutex_unlock(&registry_lock);
	return r;
}

void kvmod_components_put(struct kvmod_components *c)
{
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++)
		if (c->comps[i])
			module_put(c->comps[i]->owner);
	module_put(c->mmu->owner);
	module_put(c->vendor->owner);
}

/* Bind a new VM to the components; it pins them for its lifetime. */
int kvmod_get_components(struct kvmod_vm *vm)
{
	struct kvmod_components c;
	int r = kvmod_components_get(&c);
	unsigned int j;
	int i;

	if (r)
		return r;
	vm->vendor = c.vendor;
	vm->mmu = c.mmu;
	memcpy(vm->components, c.comps, sizeof(vm->components));
	for (i = 0; i < KVMOD_NR_COMPONENTS; i++)
		for (j = 0; c.comps[i] && j < c.comps[i]->nr_cpuid_bits; j++)
			if (c.comps[i]->cpuid_bits[j].leaf < 64)
				vm->cpuid_leaves |=
					BIT_ULL(c.comps[i]->cpuid_bits[j].leaf);
	return 0;
}

void kvmod_put_components(struct kvmod_vm *vm)
{
	struct kvmod_components c = { .vendor = vm->vendor, .mmu = vm->mmu };

	memcpy(c.comps, vm->components, sizeof(c.comps));
	kvmod_components_put(&c);
}
