// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID as a kvmod guest sees it: the host's answers with everything
 * kvmod does not virtualize taken out and the hypervisor bit set.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "registry.h"
#include "trace_kvmod.h"

/* Leaf 1 ECX features a guest must not see. */
#define L1_ECX_HIDE	(BIT(3) |	/* MONITOR */		\
			 BIT(5) |	/* VMX */		\
			 BIT(6) |	/* SMX */		\
			 BIT(7) |	/* EST */		\
			 BIT(8) |	/* TM2 */		\
			 BIT(15) |	/* PDCM */		\
			 BIT(18) |	/* DCA */		\
			 BIT(21) |	/* x2APIC */		\
			 BIT(24) |	/* TSC deadline */	\
			 BIT(26) |	/* XSAVE */		\
			 BIT(27) |	/* OSXSAVE */		\
			 BIT(28))	/* AVX */
#define L1_ECX_HYPERVISOR	BIT(31)
/* Leaf 1 EDX: APIC (kvmod-irqchip offers it again), ACPI, TM, PBE. */
#define L1_EDX_HIDE	(BIT(9) | BIT(22) | BIT(29) | BIT(31))
/* Leaf 7 EBX: keep only features that need no state or host help. */
#define L7_EBX_KEEP	(BIT(0) |	/* FSGSBASE */		\
			 BIT(3) |	/* BMI1 */		\
			 BIT(7) |	/* SMEP */		\
			 BIT(8) |	/* BMI2 */		\
			 BIT(9) |	/* ERMS */		\
			 BIT(18) |	/* RDSEED */		\
			 BIT(19) |	/* ADX */		\
			 BIT(20) |	/* SMAP */		\
			 BIT(23) |	/* CLFLUSHOPT */	\
			 BIT(29))	/* SHA */
#define L7_EBX_TSC_ADJUST	BIT(1)
/* The hypervisor range: leaves only components answer (kvmod-para). */
#define HV_LEAF_FIRST	0x40000000
#define HV_LEAF_LAST	0x4fffffff
/* 0x80000001 ECX: SVM, SKINIT, WDT, LWP, TOPOEXT, perf counters. */
#define E1_ECX_HIDE	(BIT(2) | BIT(12) | BIT(13) | BIT(15) | BIT(22) | \
			 BIT(23) | BIT(24) | BIT(28))

/* The host's answer with what kvmod does not virtualize taken out. */
static void cpuid_host_filtered(u32 leaf, u32 subleaf, u32 apic_id, u32 *eax,
				u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 max_basic = cpuid_eax(0);
	u32 max_ext = cpuid_eax(0x80000000);

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf < 0x80000000 ? leaf > max_basic : leaf > max_ext)
		return;

	switch (leaf) {
	case 0:
		cpuid(0, eax, ebx, ecx, edx);
		*eax = min_t(u32, *eax, 7);
		break;
	case 1:
		cpuid(1, eax, ebx, ecx, edx);
		*ecx &= ~L1_ECX_HIDE;
		*ecx |= L1_ECX_HYPERVISOR;
		*edx &= ~L1_EDX_HIDE;
		/* Initial APIC ID and one logical processor per package. */
		*ebx = (*ebx & 0x0000ffff) | (apic_id << 24) | (1 << 16);
		break;
	case 2:
	case 4:
		cpuid_count(leaf, subleaf, eax, ebx, ecx, edx);
		break;
	case 7:
		if (subleaf == 0) {
			cpuid_count(7, 0, eax, ebx, ecx, edx);
			*eax = 0;
			*ebx &= L7_EBX_KEEP;
			*ebx |= L7_EBX_TSC_ADJUST;	/* core's (tsc.c) */
			*ecx = 0;
			*edx = 0;
		}
		break;
	case 0x80000000:
		cpuid(leaf, eax, ebx, ecx, edx);
		*eax = min_t(u32, *eax, 0x80000008);
		break;
	case 0x80000001:
		cpuid(leaf, eax, ebx, ecx, edx);
		*ecx &= ~E1_ECX_HIDE;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
	case 0x80000005:
	case 0x80000006:
		cpuid(leaf, eax, ebx, ecx, edx);
		break;
	case 0x80000008:
		cpuid(leaf, eax, ebx, ecx, edx);
		*eax &= 0xffff;		/* address sizes only */
		*ebx = 0;
		*ecx = 0;
		break;
	default:
		break;
	}
}

/*
 * What kvmod offers: the host's filtered answer and what the optional
 * components add (the in-kernel APIC's bits...): those of @vm, or the
 * components loaded now for KVM_GET_SUPPORTED_CPUID (@vm NULL).
 */
static void cpuid_filtered(struct kvmod_vm *vm, u32 leaf, u32 subleaf,
			   u32 apic_id, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 regs[4];

	if (vm && leaf >= HV_LEAF_FIRST && leaf <= HV_LEAF_LAST) {
		const struct kvm_cpuid_entry2 *e;

		e = kvmod_components_cpuid_leaf(vm, leaf, subleaf);
		*eax = e ? e->eax : 0;
		*ebx = e ? e->ebx : 0;
		*ecx = e ? e->ecx : 0;
		*edx = e ? e->edx : 0;
		return;
	}
	cpuid_host_filtered(leaf, subleaf, apic_id, eax, ebx, ecx, edx);
	/* Most leaves no component touches: skip the lookup. */
	if (vm && (leaf >= 64 || !(vm->cpuid_leaves & BIT_ULL(leaf))))
		return;
	regs[0] = *eax;
	regs[1] = *ebx;
	regs[2] = *ecx;
	regs[3] = *edx;
	kvmod_components_cpuid(vm, leaf, subleaf, regs);
	*eax = regs[0];
	*ebx = regs[1];
	*ecx = regs[2];
	*edx = regs[3];
}

static const struct kvm_cpuid_entry2 *
cpuid_find(const struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid_entries[i];

		if (e->function != leaf)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != subleaf)
			continue;
		return e;
	}
	return NULL;
}

/**
 * kvmod_cpuid() - answer a guest CPUID
 * @vcpu: the vCPU executing CPUID
 * @leaf: EAX at the CPUID
 * @subleaf: ECX at the CPUID
 * @eax: result
 * @ebx: result
 * @ecx: result
 * @edx: result
 *
 * From the table set with KVM_SET_CPUID2 (a leaf not in it reads as
 * zeros); without one, the host's filtered answers.
 */
void kvmod_cpuid(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf, u32 *eax,
		 u32 *ebx, u32 *ecx, u32 *edx)
{
	const struct kvm_cpuid_entry2 *e;

	if (vcpu->cpuid_entries) {
		e = cpuid_find(vcpu, leaf, subleaf);
		*eax = e ? e->eax : 0;
		*ebx = e ? e->ebx : 0;
		*ecx = e ? e->ecx : 0;
		*edx = e ? e->edx : 0;
	} else {
		cpuid_filtered(vcpu->vm, leaf, subleaf, vcpu->id, eax, ebx, ecx, edx);
	}
	if (trace_kvmod_cpuid_enabled())
		trace_kvmod_cpuid(vcpu->id, leaf, subleaf, *eax, *ebx, *ecx,
				  *edx);
}
EXPORT_SYMBOL_GPL(kvmod_cpuid);

/**
 * kvmod_guest_has_feature() - does the guest's CPUID offer a feature?
 * @vcpu: the vCPU
 * @leaf: CPUID leaf (subleaf 0)
 * @reg: 0-3 for EAX, EBX, ECX, EDX
 * @bit: bit number
 *
 * Without a KVM_SET_CPUID2 table, the host's filtered CPUID applies.
 *
 * Return: whether the bit is set.
 */
bool kvmod_guest_has_feature(struct kvmod_vcpu *vcpu, u32 leaf, int reg,
			     int bit)
{
	u32 r[4];

	if (vcpu->cpuid_entries) {
		const struct kvm_cpuid_entry2 *e = cpuid_find(vcpu, leaf, 0);

		if (!e)
			return false;
		r[0] = e->eax;
		r[1] = e->ebx;
		r[2] = e->ecx;
		r[3] = e->edx;
	} else {
		cpuid_filtered(vcpu->vm, leaf, 0, vcpu->id, &r[0], &r[1], &r[2], &r[3]);
	}
	return r[reg] & BIT(bit);
}
EXPORT_SYMBOL_GPL(kvmod_guest_has_feature);

/**
 * kvmod_guest_maxphyaddr() - the guest's physical-address width
 * @vcpu: the vCPU
 *
 * Return: CPUID 0x80000008 EAX[7:0] of the guest, or 36 when its CPUID has
 * no such leaf (the architectural default).
 */
int kvmod_guest_maxphyaddr(struct kvmod_vcpu *vcpu)
{
	u32 eax, ebx, ecx, edx;

	if (vcpu->cpuid_entries) {
		const struct kvm_cpuid_entry2 *e;

		e = cpuid_find(vcpu, 0x80000008, 0);
		eax = e ? e->eax : 0;
	} else {
		cpuid_filtered(vcpu->vm, 0x80000008, 0, vcpu->id, &eax, &ebx, &ecx,
			       &edx);
	}
	return (eax & 0xff) ? (eax & 0xff) : 36;
}
EXPORT_SYMBOL_GPL(kvmod_guest_maxphyaddr);

static u32 cpuid_count_eax(u32 leaf, u32 subleaf)
{
	u32 eax, ebx, ecx, edx;

	cpuid_count(leaf, subleaf, &eax, &ebx, &ecx, &edx);
	return eax;
}

static void add_entry(struct kvm_cpuid_entry2 *list, u32 *n, u32 leaf,
		      u32 subleaf, u32 flags)
{
	struct kvm_cpuid_entry2 *e = &list[(*n)++];

	memset(e, 0, sizeof(*e));
	e->function = leaf;
	e->index = subleaf;
	e->flags = flags;
	cpuid_filtered(NULL, leaf, subleaf, 0, &e->eax, &e->ebx, &e->ecx, &e->edx);
}

/* Fill @list (KVMOD_MAX_CPUID_ENTRIES) with what kvmod supports. */
static u32 supported_cpuid(struct kvm_cpuid_entry2 *list)
{
	u32 max_basic = min_t(u32, cpuid_eax(0), 7);
	u32 max_ext = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	u32 n = 0, leaf, sub;

	for (leaf = 0; leaf <= max_basic; leaf++) {
		if (leaf == 4) {
			/* Cache parameters: one subleaf per cache level. */
			for (sub = 0; sub < 16; sub++) {
				if (!(cpuid_count_eax(4, sub) & 0x1f))
					break;
				add_entry(list, &n, 4, sub,
					  KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
			}
		} else if (leaf == 7) {
			add_entry(list, &n, 7, 0,
				  KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		} else {
			add_entry(list, &n, leaf, 0, 0);
		}
	}
	n += kvmod_components_cpuid_leaves(list + n,
					   KVMOD_MAX_CPUID_ENTRIES - n);
	for (leaf = 0x80000000; leaf <= max_ext; leaf++)
		add_entry(list, &n, leaf, 0, 0);
	return n;
}

/**
 * kvmod_get_supported_cpuid() - KVM_GET_SUPPORTED_CPUID
 * @argp: the user's struct kvm_cpuid2
 *
 * Return: 0, -E2BIG when nent is too small, -EFAULT.
 */
int kvmod_get_supported_cpuid(struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *list;
	struct kvm_cpuid2 hdr;
	u32 n;
	int r = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	list = kvcalloc(KVMOD_MAX_CPUID_ENTRIES, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	n = supported_cpuid(list);
	if (hdr.nent < n) {
		r = -E2BIG;
		goto out;
	}
	hdr.nent = n;
	if (copy_to_user(argp, &hdr, sizeof(hdr)) ||
	    copy_to_user(argp->entries, list, n * sizeof(*list)))
		r = -EFAULT;
out:
	kvfree(list);
	return r;
}

/**
 * kvmod_set_cpuid2() - KVM_SET_CPUID2: the guest's CPUID table
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_cpuid2
 *
 * Return: 0, -E2BIG for more than KVMOD_MAX_CPUID_ENTRIES entries,
 * -EFAULT, -ENOMEM.
 */
int kvmod_set_cpuid2(struct kvmod_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid_entry2 *list;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMOD_MAX_CPUID_ENTRIES)
		return -E2BIG;
	list = kvcalloc(max_t(u32, hdr.nent, 1), sizeof(*list),
			GFP_KERNEL_ACCOUNT);
	if (!list)
		return -ENOMEM;
	if (copy_from_user(list, argp->entries, hdr.nent * sizeof(*list))) {
		kvfree(list);
		return -EFAULT;
	}
	kvfree(vcpu->cpuid_entries);
	vcpu->cpuid_entries = list;
	vcpu->cpuid_nent = hdr.nent;
	return 0;
}

/**
 * kvmod_get_cpuid2() - KVM_GET_CPUID2: read back the guest's table
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_cpuid2
 *
 * As in-tree KVM 6.1, nent is not written back.
 *
 * Return: 0, -E2BIG when nent is smaller than the table, -EFAULT.
 */
int kvmod_get_cpuid2(struct kvmod_vcpu *vcpu, struct kvm_cpuid2 __user *argp)
{
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(argp->entries, vcpu->cpuid_entries,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid_entries)))
		return -EFAULT;
	return 0;
}
