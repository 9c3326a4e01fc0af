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
#include "sregs_check.h"
#include "trace_kvmod.h"
#include "xcr0_check.h"

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
			 BIT(27))	/* OSXSAVE: the guest's CR4 */
#define L1_ECX_XSAVE	BIT(26)
#define L1_ECX_OSXSAVE	BIT(27)
#define L1_ECX_AVX	BIT(28)
/* Leaf 0xD subleaf 1 EAX: XSAVEOPT, XSAVEC, XGETBV with ECX = 1. */
#define LD1_EAX_KEEP	(BIT(0) | BIT(1) | BIT(2))
#define KVMOD_MAX_BASIC_LEAF	0xd
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

/* Leaf 0xD: the XSAVE components kvmod offers (xsave.c). */
static void cpuid_xsave_leaf(u32 subleaf, u32 *eax, u32 *ebx, u32 *ecx,
			     u32 *edx)
{
	u64 xcr0 = kvmod_supported_xcr0();

	if (!xcr0)
		return;
	switch (subleaf) {
	case 0:
		*eax = (u32)xcr0;
		*edx = xcr0 >> 32;
		*ebx = kvmod_xstate_size(xcr0);
		*ecx = *ebx;
		break;
	case 1:
		cpuid_count(0xd, 1, eax, ebx, ecx, edx);
		*eax &= LD1_EAX_KEEP;
		*ebx = 0;
		*ecx = 0;
		*edx = 0;
		break;
	default:
		if (subleaf >= 64 || !(xcr0 & BIT_ULL(subleaf)))
			break;
		cpuid_count(0xd, subleaf, eax, ebx, ecx, edx);
		*edx = 0;
		break;
	}
}

/* The host's highest basic and extended leaves (kvmod_cpuid_init()). */
static u32 host_max_basic, host_max_ext;

/**
 * kvmod_cpuid_init() - read the host's highest CPUID leaves (module load)
 */
void kvmod_cpuid_init(void)
{
	host_max_basic = cpuid_eax(0);
	host_max_ext = cpuid_eax(0x80000000);
}

/* The host's answer with what kvmod does not virtualize taken out. */
static void cpuid_host_filtered(u32 leaf, u32 subleaf, u32 apic_id, u32 *eax,
				u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 max_basic = host_max_basic;
	u32 max_ext = host_max_ext;

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf < 0x80000000 ? leaf > max_basic : leaf > max_ext)
		return;

	switch (leaf) {
	case 0:
		cpuid(0, eax, ebx, ecx, edx);
		*eax = min_t(u32, *eax, KVMOD_MAX_BASIC_LEAF);
		break;
	case 1:
		cpuid(1, eax, ebx, ecx, edx);
		*ecx &= ~L1_ECX_HIDE;
		*ecx |= L1_ECX_HYPERVISOR;
		/* XSAVE and AVX as far as kvmod saves their state. */
		if (!kvmod_supported_xcr0())
			*ecx &= ~L1_ECX_XSAVE;
		if (!(kvmod_supported_xcr0() & KVMOD_XFEATURE_YMM))
			*ecx &= ~L1_ECX_AVX;
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
	case 0xd:
		cpuid_xsave_leaf(subleaf, eax, ebx, ecx, edx);
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
 * kvmod_cpuid_lookup() - a leaf of the vCPU's CPUID as userspace set it
 * @vcpu: the vCPU
 * @leaf: the leaf
 * @subleaf: the subleaf
 * @r: EAX, EBX, ECX, EDX
 *
 * From the KVM_SET_CPUID2 table (zeros for a leaf not in it), else the
 * host's filtered answers; no bit follows the guest's state.
 */
void kvmod_cpuid_lookup(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf,
			u32 r[4])
{
	const struct kvm_cpuid_entry2 *e;

	if (vcpu->cpuid_entries) {
		e = cpuid_find(vcpu, leaf, subleaf);
		r[0] = e ? e->eax : 0;
		r[1] = e ? e->ebx : 0;
		r[2] = e ? e->ecx : 0;
		r[3] = e ? e->edx : 0;
	} else {
		cpuid_filtered(vcpu->vm, leaf, subleaf, vcpu->id, &r[0], &r[1],
			       &r[2], &r[3]);
	}
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
 * zeros); without one, the host's filtered answers. CPUID.1:ECX.OSXSAVE
 * follows the guest's CR4, CPUID.0xD.0:EBX its XCR0.
 */
/* The bits that follow the guest's state, as KVM keeps them up to date. */
static noinline void cpuid_guest_state(struct kvmod_vcpu *vcpu, u32 leaf,
				       u32 subleaf, u32 r[4])
{
	struct kvmod_guest_mode mode;

	if (leaf == 1 && (r[2] & L1_ECX_XSAVE)) {
		vcpu->vm->vendor->get_mode(vcpu, &mode);
		if (mode.paging.cr4 & X86_CR4_OSXSAVE)
			r[2] |= L1_ECX_OSXSAVE;
		else
			r[2] &= ~L1_ECX_OSXSAVE;
	} else if (leaf == 0xd && subleaf == 0 && r[0]) {
		r[1] = kvmod_xstate_size(vcpu->xcr0);
	}
}

void kvmod_cpuid(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf, u32 *eax,
		 u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 r[4];

	kvmod_cpuid_lookup(vcpu, leaf, subleaf, r);
	if (unlikely(leaf == 1 || leaf == 0xd))
		cpuid_guest_state(vcpu, leaf, subleaf, r);
	*eax = r[0];
	*ebx = r[1];
	*ecx = r[2];
	*edx = r[3];
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

/**
 * kvmod_guest_cr4_allowed() - the CR4 bits the vCPU may have
 * @vcpu: the vCPU
 *
 * Those both the host CPU and the guest's CPUID offer.
 *
 * Return: a mask of CR4 bits.
 */
u64 kvmod_guest_cr4_allowed(struct kvmod_vcpu *vcpu)
{
	u32 l1[4], l7[4];
	u64 host;

	/* The host as the kernel uses it (features it turned off count). */
	host = kvmod_cr4_allowed((boot_cpu_has(X86_FEATURE_XSAVE) ? BIT(26) : 0) |
				 (boot_cpu_has(X86_FEATURE_PCID) ? BIT(17) : 0),
				 (boot_cpu_has(X86_FEATURE_FSGSBASE) ? BIT(0) : 0) |
				 (boot_cpu_has(X86_FEATURE_SMEP) ? BIT(7) : 0) |
				 (boot_cpu_has(X86_FEATURE_SMAP) ? BIT(20) : 0));
	kvmod_cpuid_lookup(vcpu, 1, 0, l1);
	kvmod_cpuid_lookup(vcpu, 7, 0, l7);
	return host & kvmod_cr4_allowed(l1[2], l7[1]);
}

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
	u32 max_basic = min_t(u32, cpuid_eax(0), KVMOD_MAX_BASIC_LEAF);
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
		} else if (leaf == 0xd) {
			/* Subleaves 0, 1 and one per offered component. */
			for (sub = 0; sub < 64; sub++) {
				if (sub >= 2 &&
				    !(kvmod_supported_xcr0() & BIT_ULL(sub)))
					continue;
				add_entry(list, &n, 0xd, sub,
					  KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
			}
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

/* The vCPU's table again, entry by entry (padding aside)? */
static bool cpuid_table_same(struct kvmod_vcpu *vcpu,
			     const struct kvm_cpuid_entry2 *list, u32 nent)
{
	const struct kvm_cpuid_entry2 *a, *b;
	u32 i;

	if (!vcpu->cpuid_entries || nent != vcpu->cpuid_nent)
		return false;
	for (i = 0; i < nent; i++) {
		a = &list[i];
		b = &vcpu->cpuid_entries[i];
		if (a->function != b->function || a->index != b->index ||
		    a->flags != b->flags || a->eax != b->eax ||
		    a->ebx != b->ebx || a->ecx != b->ecx || a->edx != b->edx)
			return false;
	}
	return true;
}

/**
 * kvmod_set_cpuid2() - KVM_SET_CPUID2: the guest's CPUID table
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_cpuid2
 *
 * Return: 0, -E2BIG for more than KVMOD_MAX_CPUID_ENTRIES entries,
 * -EINVAL for a different table after the vCPU ran, -EFAULT, -ENOMEM.
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
	/*
	 * As KVM: once the vCPU has run, its CPU model (and with it the CR4
	 * and XCR0 bits it may have set) stays; the same table is accepted
	 * again (VMMs re-use vCPU fds), any other is -EINVAL.
	 */
	if (vcpu->cpu != -1) {
		bool same = cpuid_table_same(vcpu, list, hdr.nent);

		kvfree(list);
		return same ? 0 : -EINVAL;
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
