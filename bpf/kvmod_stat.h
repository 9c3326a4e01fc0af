/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Map layouts shared by the BPF programs (kvmod_stat.bpf.c) and their
 * readers (tools/stat/kvmod-stat.c). Everything is kept per VM (the
 * VMM's pid), per vCPU and per hardware exit reason.
 */
#ifndef KVMOD_STAT_H
#define KVMOD_STAT_H

#include <linux/types.h>

/*
 * log2 buckets of nanoseconds: slot 0 holds 0..1, slot i holds
 * [2^i, 2^(i+1)), the last one also everything above (4.3 s). A power of
 * two, so that the BPF verifier sees the index masked.
 */
#define KVMOD_STAT_SLOTS	32
#define KVMOD_STAT_MAX_KEYS	4096

/* The isa field of kvm:kvm_exit. */
#define KVMOD_STAT_ISA_VMX	1
#define KVMOD_STAT_ISA_SVM	2

/*
 * Not an exit: interrupt events, counted (count only) in the exits map
 * under this pseudo isa, reason KVMOD_STAT_EV_* | vector.
 */
#define KVMOD_STAT_ISA_EVENT	3
#define KVMOD_STAT_EV_IRQ	0x100	/* an interrupt injected, | vector */
#define KVMOD_STAT_EV_NMI	0x200	/* an NMI injected */
#define KVMOD_STAT_EV_HALT	0x300	/* the vCPU slept in HLT */

/* The KVM_RUN ioctl number, _IO(KVMIO, 0x80). */
#define KVMOD_STAT_KVM_RUN	0xae80

struct kvmod_exit_key {
	__u32 pid;		/* tgid of the VMM */
	__u32 vcpu;		/* vcpu_id of kvm:kvm_exit */
	__u32 isa;		/* KVMOD_STAT_ISA_* */
	__u32 reason;		/* raw exit_reason of kvm:kvm_exit */
};

struct kvmod_exit_stats {
	/* Every kvm:kvm_exit of this key. */
	__u64 count;
	/*
	 * Host handling latency: from kvm:kvm_exit to the next kvm:kvm_entry
	 * of the same thread, minus any time spent in userspace between them.
	 */
	__u64 host_count;
	__u64 host_sum_ns;
	__u64 host_max_ns;
	/*
	 * Exits that left the kernel: from the return of KVM_RUN to the
	 * next KVM_RUN of the same thread.
	 */
	__u64 user_count;
	__u64 user_sum_ns;
	__u64 user_max_ns;
	__u64 host_hist[KVMOD_STAT_SLOTS];
	__u64 user_hist[KVMOD_STAT_SLOTS];
};

/* Per-thread state (task storage): the exit being handled. */
struct kvmod_vcpu_state {
	struct kvmod_exit_key key;	/* of the last exit */
	__u64 exit_ns;		/* its kvm:kvm_exit time; 0 once entered */
	__u64 user_ns;		/* return of KVM_RUN; 0 when not in userspace */
	__u64 user_total_ns;	/* userspace time since exit_ns */
};

#endif /* KVMOD_STAT_H */
