// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU controls around KVM_RUN: the signal mask KVM_RUN runs with
 * (KVM_SET_SIGNAL_MASK), the registers exchanged through kvm_run at each
 * KVM_RUN (KVM_CAP_SYNC_REGS), exits on TPR accesses
 * (KVM_TPR_ACCESS_REPORTING), and KVM_ENABLE_CAP on a vCPU (kvmod has no
 * per-vCPU capability: every one is -EINVAL, as KVM on x86 says for
 * those it does not know).
 */
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#include "registry.h"

#define KVMOD_SYNC_VALID	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | \
				 KVM_SYNC_X86_EVENTS)

/**
 * kvmod_set_signal_mask() - KVM_SET_SIGNAL_MASK
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_signal_mask, or NULL to run with the
 *	thread's own mask again
 *
 * Return: 0, -EINVAL when len is not the kernel's sigset size (8),
 * -EFAULT.
 */
int kvmod_set_signal_mask(struct kvmod_vcpu *vcpu,
			  struct kvm_signal_mask __user *argp)
{
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp->sigset, sizeof(set)))
		return -EFAULT;
	/* SIGKILL and SIGSTOP cannot be blocked. */
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/**
 * kvmod_sigset_activate() - KVM_RUN begins: block what the VMM asked for
 * @vcpu: the vCPU, on its own thread, with vcpu->sigset_active
 */
void kvmod_sigset_activate(struct kvmod_vcpu *vcpu)
{
	/* As KVM: the thread's mask waits in real_blocked meanwhile. */
	sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

/**
 * kvmod_sigset_deactivate() - KVM_RUN ends: the thread's mask again
 * @vcpu: the vCPU, on its own thread, with vcpu->sigset_active
 */
void kvmod_sigset_deactivate(struct kvmod_vcpu *vcpu)
{
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}

/**
 * kvmod_sync_regs_in() - KVM_RUN with kvm_valid_regs or kvm_dirty_regs
 *	set: check both, take the registers userspace marked dirty
 * @vcpu: the vCPU
 *
 * Each part is loaded as its KVM_SET_* ioctl would, and its dirty bit
 * cleared; the first one refused stops here.
 *
 * Return: 0; -EINVAL for a bit other than KVM_SYNC_X86_REGS, _SREGS,
 * _EVENTS in either field, or when special registers or events are
 * refused.
 */
int kvmod_sync_regs_in(struct kvmod_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sync_regs *s = &run->s.regs;

	if ((READ_ONCE(run->kvm_valid_regs) & ~KVMOD_SYNC_VALID) ||
	    (READ_ONCE(run->kvm_dirty_regs) & ~KVMOD_SYNC_VALID))
		return -EINVAL;

	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		kvmod_set_regs(vcpu, &s->regs);
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		if (kvmod_set_sregs_checked(vcpu, &s->sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
		if (kvmod_set_vcpu_events(vcpu, &s->events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

/**
 * kvmod_sync_regs_out() - give userspace the registers it asked for
 * @vcpu: the vCPU, at the end of KVM_RUN
 */
void kvmod_sync_regs_out(struct kvmod_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_sync_regs *s = &run->s.regs;
	u64 valid = READ_ONCE(run->kvm_valid_regs);

	if (valid & KVM_SYNC_X86_REGS) {
		memset(&s->regs, 0, sizeof(s->regs));
		kvmod_get_regs(vcpu, &s->regs);
	}
	if (valid & KVM_SYNC_X86_SREGS) {
		memset(&s->sregs, 0, sizeof(s->sregs));
		kvmod_get_sregs(vcpu, &s->sregs);
	}
	if (valid & KVM_SYNC_X86_EVENTS)
		kvmod_get_vcpu_events(vcpu, &s->events);
}

/**
 * kvmod_tpr_access_reporting() - KVM_TPR_ACCESS_REPORTING
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_tpr_access_ctl
 *
 * Turns KVM_EXIT_TPR_ACCESS on (enabled non-zero) or off. It is kept
 * with or without an in-kernel APIC, as KVM does; only the in-kernel
 * APIC's TPR accesses report (kvmod_report_tpr_access()). The
 * structure is written back unchanged.
 *
 * Return: 0, -EINVAL for non-zero flags, -EFAULT.
 */
int kvmod_tpr_access_reporting(struct kvmod_vcpu *vcpu,
			       struct kvm_tpr_access_ctl __user *argp)
{
	struct kvm_tpr_access_ctl tac;

	if (copy_from_user(&tac, argp, sizeof(tac)))
		return -EFAULT;
	if (tac.flags)
		return -EINVAL;
	WRITE_ONCE(vcpu->tpr_access_reporting, !!tac.enabled);
	if (copy_to_user(argp, &tac, sizeof(tac)))
		return -EFAULT;
	return 0;
}

/**
 * kvmod_vcpu_enable_cap() - KVM_ENABLE_CAP on a vCPU fd
 * @vcpu: the vCPU
 * @argp: the user's struct kvm_enable_cap
 *
 * Return: -EFAULT, or -EINVAL: kvmod has no per-vCPU capability.
 */
int kvmod_vcpu_enable_cap(struct kvmod_vcpu *vcpu,
			  struct kvm_enable_cap __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	return -EINVAL;
}
