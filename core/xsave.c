// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's extended state: XCR0 (XSETBV, KVM_GET/SET_XCRS), loaded
 * into the CPU around guest entry, and the XSAVE image of its FPU
 * (KVM_GET/SET_XSAVE, KVM_GET_XSAVE2), kept in vcpu->guest_fpu.
 *
 * kvmod offers guests x87, SSE and AVX state (CPUID leaf 0xD), as far as
 * the host has enabled them in its own XCR0.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/processor-flags.h>

#include "registry.h"
#include "xcr0_check.h"

#define X86_FEATURE_XSAVE_BIT	26	/* CPUID 1 ECX */
#define XSAVE_HDR_OFFSET	512
#define XSAVE_HDR_SIZE		64

/* The components kvmod lets guests enable. */
#define KVMOD_XCR0_OFFERED	(KVMOD_XFEATURE_FP | KVMOD_XFEATURE_SSE | \
				 KVMOD_XFEATURE_YMM)

/* The host's XCR0, restored after every exit that loaded the guest's. */
u64 kvmod_host_xcr0;
EXPORT_SYMBOL_GPL(kvmod_host_xcr0);
static u64 supported_xcr0;

/*
 * On when kvmod itself runs in a VM: an outer hypervisor's SVM may not
 * honour the XSETBV intercept (QEMU's TCG does not), and a guest's XSETBV
 * then changes XCR0 without an exit.
 */
DEFINE_STATIC_KEY_FALSE(kvmod_xcr0_unguarded);
EXPORT_SYMBOL_GPL(kvmod_xcr0_unguarded);

/**
 * kvmod_xsave_init() - read the host's XCR0 (module load)
 */
void kvmod_xsave_init(void)
{
	if (!boot_cpu_has(X86_FEATURE_OSXSAVE))
		return;
	kvmod_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	supported_xcr0 = kvmod_host_xcr0 & KVMOD_XCR0_OFFERED;
	if (boot_cpu_has(X86_FEATURE_HYPERVISOR))
		static_branch_enable(&kvmod_xcr0_unguarded);
}

/**
 * kvmod_supported_xcr0() - the XCR0 components a guest may be given
 *
 * Return: the host's enabled components that kvmod offers (0 without
 * XSAVE on the host).
 */
u64 kvmod_supported_xcr0(void)
{
	return supported_xcr0;
}

/* What the guest's CPUID offers (leaf 0xD) and kvmod can save. */
static u64 guest_supported_xcr0(struct kvmod_vcpu *vcpu)
{
	u32 r[4];

	if (!supported_xcr0 ||
	    !kvmod_guest_has_feature(vcpu, 1, 2, X86_FEATURE_XSAVE_BIT))
		return 0;
	kvmod_cpuid_lookup(vcpu, 0xd, 0, r);
	return (r[0] | (u64)r[3] << 32) & supported_xcr0;
}

/**
 * kvmod_xstate_size() - bytes of a non-compacted XSAVE image
 * @xcr0: the components it holds
 *
 * Return: the legacy area and header, and every component of @xcr0 at
 * its standard offset (CPUID leaf 0xD); 512 + 64 without XSAVE.
 */
u32 kvmod_xstate_size(u64 xcr0)
{
	u32 size = XSAVE_HDR_OFFSET + XSAVE_HDR_SIZE;
	u32 eax, ebx, ecx, edx;
	int i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return size;
	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

/**
 * kvmod_xsave2_size() - KVM_CAP_XSAVE2: the buffer KVM_GET_XSAVE2 fills
 *
 * Return: the size of the XSAVE image of every component kvmod offers,
 * at least sizeof(struct kvm_xsave).
 */
long kvmod_xsave2_size(void)
{
	return max_t(u32, kvmod_xstate_size(supported_xcr0),
		     sizeof(struct kvm_xsave));
}

/**
 * kvmod_switch_xcr0() - load the guest's XCR0 or the host's
 * @vcpu: the vCPU, interrupts disabled
 * @guest: the guest's (before entry), else the host's (after the exit)
 *
 * The slow half of kvmod_load_guest_xcr0() and kvmod_load_host_xcr0().
 */
void kvmod_switch_xcr0(struct kvmod_vcpu *vcpu, bool guest)
{
	if (guest && !kvmod_host_xcr0)
		return;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, guest ? vcpu->xcr0 : kvmod_host_xcr0);
	vcpu->xcr0_loaded = guest;
}
EXPORT_SYMBOL_GPL(kvmod_switch_xcr0);

/**
 * kvmod_xcr0_check_unguarded() - did the guest set XCR0 without an exit?
 * @vcpu: the vCPU, right after the exit, interrupts still disabled
 *
 * Where XSETBV does not exit (see kvmod_xcr0_unguarded), XCR0 now holds
 * what the guest last set: that becomes the guest's XCR0, and the host's
 * is restored as after any entry with the guest's loaded.
 */
void kvmod_xcr0_check_unguarded(struct kvmod_vcpu *vcpu)
{
	u64 cur = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	if (cur == (vcpu->xcr0_loaded ? vcpu->xcr0 : kvmod_host_xcr0))
		return;
	vcpu->xcr0 = cur;
	vcpu->xcr0_loaded = true;
}
EXPORT_SYMBOL_GPL(kvmod_xcr0_check_unguarded);

/**
 * kvmod_emulate_xsetbv() - XSETBV: ECX selects the XCR, EDX:EAX the value
 * @vcpu: the vCPU
 *
 * #UD without CR4.OSXSAVE or XSAVE in the guest's CPUID; #GP outside
 * CPL 0, for an XCR other than XCR0 and for an XCR0 the guest may not
 * have (as the CPU, and KVM, would).
 *
 * Return: KVMOD_EXIT_RESUME, or an exit when the instruction cannot be
 * decoded.
 */
int kvmod_emulate_xsetbv(struct kvmod_vcpu *vcpu)
{
	u32 index = vcpu->regs[KVMOD_RCX];
	u64 val = (u32)vcpu->regs[KVMOD_RAX] |
		  (u64)(u32)vcpu->regs[KVMOD_RDX] << 32;
	struct kvmod_guest_mode mode;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	if (!(mode.paging.cr4 & X86_CR4_OSXSAVE) ||
	    !kvmod_guest_has_feature(vcpu, 1, 2, X86_FEATURE_XSAVE_BIT))
		return kvmod_inject_ud(vcpu);
	if (mode.cpl || index != XCR_XFEATURE_ENABLED_MASK ||
	    !kvmod_xcr0_valid(val, guest_supported_xcr0(vcpu)))
		return kvmod_inject_gp(vcpu);
	vcpu->xcr0 = val;
	return kvmod_skip_insn(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_xsetbv);

/* KVM_GET_XSAVE (@size 4096) and KVM_GET_XSAVE2 (@size uabi_size). */
static int get_xsave(struct kvmod_vcpu *vcpu, void __user *argp,
		     unsigned int size)
{
	void *buf;
	int r = 0;

	buf = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/* x87 and SSE always; the rest as the guest's CPUID offers it. */
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, buf, size,
				       guest_supported_xcr0(vcpu) |
				       KVMOD_XFEATURE_FP | KVMOD_XFEATURE_SSE,
				       0);
	if (copy_to_user(argp, buf, size))
		r = -EFAULT;
	kfree(buf);
	return r;
}

static int set_xsave(struct kvmod_vcpu *vcpu, void __user *argp)
{
	struct fpu_guest *gfpu = &vcpu->guest_fpu;
	struct xregs_state *xs;
	u32 pkru = 0;
	int r;

	xs = memdup_user(argp, gfpu->uabi_size);
	if (IS_ERR(xs))
		return PTR_ERR(xs);
	/* As KVM: components disabled by XFD go back to their init state. */
	xs->header.xfeatures &= ~gfpu->fpstate->xfd;
	r = fpu_copy_uabi_to_guest_fpstate(gfpu, xs, supported_xcr0, &pkru);
	kfree(xs);
	return r;
}

static int get_xcrs(struct kvmod_vcpu *vcpu, void __user *argp)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		xcrs.nr_xcrs = 1;
		xcrs.xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
		xcrs.xcrs[0].value = vcpu->xcr0;
	}
	if (copy_to_user(argp, &xcrs, sizeof(xcrs)))
		return -EFAULT;
	return 0;
}

static int set_xcrs(struct kvmod_vcpu *vcpu, void __user *argp)
{
	struct kvm_xcrs xcrs;
	u32 i;

	if (copy_from_user(&xcrs, argp, sizeof(xcrs)))
		return -EFAULT;
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	if (xcrs.nr_xcrs > KVM_MAX_XCRS || xcrs.flags)
		return -EINVAL;
	/* As KVM: XCR0 is the only one; others are ignored. */
	for (i = 0; i < xcrs.nr_xcrs; i++) {
		if (xcrs.xcrs[i].xcr != XCR_XFEATURE_ENABLED_MASK)
			continue;
		if (!kvmod_xcr0_valid(xcrs.xcrs[i].value,
				      guest_supported_xcr0(vcpu)))
			return -EINVAL;
		vcpu->xcr0 = xcrs.xcrs[i].value;
		break;
	}
	return 0;
}

/**
 * kvmod_xsave_ioctl() - KVM_GET/SET_XSAVE, KVM_GET_XSAVE2, KVM_GET/SET_XCRS
 * @vcpu: the vCPU, its mutex held (its FPU state is in memory)
 * @ioctl: one of those
 * @argp: the user's buffer
 *
 * Return: 0, -EFAULT, -ENOMEM, -EINVAL (an image or XCR0 kvmod cannot
 * load), or -ENOTTY for other ioctls.
 */
long kvmod_xsave_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
		       void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_XSAVE:
		if (vcpu->guest_fpu.uabi_size > sizeof(struct kvm_xsave))
			return -EINVAL;
		return get_xsave(vcpu, argp, sizeof(struct kvm_xsave));
	case KVM_GET_XSAVE2:
		return get_xsave(vcpu, argp, vcpu->guest_fpu.uabi_size);
	case KVM_SET_XSAVE:
		return set_xsave(vcpu, argp);
	case KVM_GET_XCRS:
		return get_xcrs(vcpu, argp);
	case KVM_SET_XCRS:
		return set_xcrs(vcpu, argp);
	default:
		return -ENOTTY;
	}
}
