// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod_stat: exit counts and latency histograms, aggregated in the kernel
 * per VM (the VMM's pid), per vCPU and per hardware exit reason.
 *
 * Attached to the classic tracepoints (not tp_btf: kvmod has no BTF of its
 * own), whose records have the layout of in-tree KVM 6.1 on both kvmod and
 * kvm-amd/kvm-intel:
 *
 *   kvm:kvm_exit              count; start of the host handling time
 *   kvm:kvm_entry             end of the host handling time
 *   kvmod:kvmod_userspace_exit     KVM_RUN returns (kvmod)
 *   kvmod:kvmod_userspace_entry    KVM_RUN is entered again (kvmod)
 *   kvm:kvm_userspace_exit         KVM_RUN returns (in-tree KVM)
 *   syscalls:sys_enter_ioctl       KVM_RUN is entered again (in-tree KVM)
 *
 * and, counted only (KVMOD_STAT_ISA_EVENT), interrupt events:
 *
 *   kvmod:kvmod_inj_irq, kvmod:kvmod_inj_nmi, kvmod:kvmod_halt (kvmod)
 *   kvm:kvm_inj_virq (not re-injections), kvm:kvm_vcpu_wakeup (after a
 *   wait)                                                     (in-tree KVM)
 *
 * No kernel structure is dereferenced, so there is nothing to relocate
 * (CO-RE): the tracepoint records are a stable ABI that the loader checks
 * against tracefs. The per-thread state lives in task storage, which
 * needs the kernel's BTF.
 *
 * Host handling latency of an exit: kvm_exit to the next kvm_entry of the
 * same thread, minus the time spent in userspace in between. Userspace
 * time: the return of KVM_RUN to the next KVM_RUN, counted for the exit
 * that made KVM_RUN return.
 */
#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "kvmod_stat.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Filters, set by the loader before loading; 0 / -1: everything. libbpf's
 * read-only globals: volatile keeps clang from folding the defaults.
 */
const volatile __u32 filter_pid;
const volatile __s32 filter_vcpu = -1;

/* Events that could not be accounted (map full, no state). */
__u64 nr_dropped;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KVMOD_STAT_MAX_KEYS);
	__type(key, struct kvmod_exit_key);
	__type(value, struct kvmod_exit_stats);
} exits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kvmod_vcpu_state);
} vcpu_state SEC(".maps");

/* The records, as in /sys/kernel/tracing/events/<system>/<event>/format. */
struct tp_common {
	__u16 type;
	__u8 flags;
	__u8 preempt_count;
	__s32 pid;
};

struct tp_kvm_exit {
	struct tp_common common;
	__u32 exit_reason;
	__u64 guest_rip;
	__u32 isa;
	__u64 info1;
	__u64 info2;
	__u32 intr_info;
	__u32 error_code;
	__u32 vcpu_id;
};

struct tp_kvm_entry {
	struct tp_common common;
	__u32 vcpu_id;
	__u64 rip;
	__u8 immediate_exit;
};

struct tp_kvm_userspace_exit {
	struct tp_common common;
	__u32 reason;
	__s32 err;
};

struct tp_kvmod_userspace_exit {
	struct tp_common common;
	__u32 vcpu_id;
	__u32 exit_reason;
	__s32 ret;
};

struct tp_kvmod_userspace_entry {
	struct tp_common common;
	__u32 vcpu_id;
};

struct tp_sys_enter_ioctl {
	struct tp_common common;
	__s32 syscall_nr;
	__u64 fd;
	__u64 cmd;
	__u64 arg;
};

struct tp_kvmod_inj_irq {
	struct tp_common common;
	__u32 vcpu_id;
	__u8 vector;
};

struct tp_kvmod_vcpu {		/* kvmod_inj_nmi, kvmod_halt */
	struct tp_common common;
	__u32 vcpu_id;
	bool start;		/* kvmod_halt only */
};

struct tp_kvm_inj_virq {
	struct tp_common common;
	__u32 vector;
	bool soft;
	bool reinjected;
};

struct tp_kvm_vcpu_wakeup {
	struct tp_common common;
	__u64 ns;
	bool waited;
	bool valid;
};

/* Where the loader's check of the format files expects the fields. */
#define ASSERT_AT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field)
ASSERT_AT(tp_kvm_exit, exit_reason, 8);
ASSERT_AT(tp_kvm_exit, isa, 24);
ASSERT_AT(tp_kvm_exit, vcpu_id, 56);
ASSERT_AT(tp_kvm_entry, vcpu_id, 8);
ASSERT_AT(tp_sys_enter_ioctl, cmd, 24);
ASSERT_AT(tp_kvmod_inj_irq, vector, 12);
ASSERT_AT(tp_kvmod_vcpu, start, 12);
ASSERT_AT(tp_kvm_inj_virq, reinjected, 13);
ASSERT_AT(tp_kvm_vcpu_wakeup, waited, 16);
ASSERT_AT(kvmod_exit_stats, host_hist, 56);
_Static_assert(KVMOD_STAT_SLOTS == 32, "log2_slot(), hist_slot() cover 32");

/* Zeroes for a new map element (too large for the BPF stack). */
static const struct kvmod_exit_stats zero_stats;

static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r, s, x;

	if (v >> 32)
		return KVMOD_STAT_SLOTS - 1;
	x = v;
	r = (x > 0xffff) << 4;
	x >>= r;
	s = (x > 0xff) << 3;
	x >>= s;
	r |= s;
	s = (x > 0xf) << 2;
	x >>= s;
	r |= s;
	s = (x > 0x3) << 1;
	x >>= s;
	r |= s;
	r |= (x >> 1);
	return r;
}

/* The bucket of v, masked where the verifier sees it. */
static __always_inline __u64 *hist_slot(__u64 *hist, __u64 v)
{
	__u64 i = log2_slot(v);

	asm volatile("%0 &= 31" : "+r"(i));
	return &hist[i];
}

static __always_inline bool pid_filtered(__u32 pid)
{
	return filter_pid && pid != filter_pid;
}

static __always_inline struct kvmod_vcpu_state *state_get(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();

	return bpf_task_storage_get(&vcpu_state, task, NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline struct kvmod_exit_stats *
stats_get(const struct kvmod_exit_key *key)
{
	struct kvmod_exit_stats *s;

	s = bpf_map_lookup_elem(&exits, key);
	if (s)
		return s;
	/* EEXIST from a racing insert is fine: look it up again. */
	bpf_map_update_elem(&exits, key, &zero_stats, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&exits, key);
	if (!s)
		__sync_fetch_and_add(&nr_dropped, 1);
	return s;
}

/*
 * What every program returns: 1, so that perf, kvm_stat -t and other perf
 * users of the same tracepoints still see the events (a classic
 * tracepoint program returning 0 drops the event for every perf event on
 * that tracepoint, not only for its own; with nobody else listening, the
 * kernel stops there either way).
 */
#define PASS_ON	1

SEC("tracepoint/kvm/kvm_exit")
int kvm_exit(struct tp_kvm_exit *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct kvmod_exit_stats *s;
	struct kvmod_vcpu_state *st;
	struct kvmod_exit_key key;

	if (pid_filtered(pid))
		return PASS_ON;
	if (filter_vcpu >= 0 && ctx->vcpu_id != (__u32)filter_vcpu)
		return PASS_ON;

	key.pid = pid;
	key.vcpu = ctx->vcpu_id;
	key.isa = ctx->isa;
	key.reason = ctx->exit_reason;
	s = stats_get(&key);
	if (!s)
		return PASS_ON;
	__sync_fetch_and_add(&s->count, 1);

	st = state_get(true);
	if (!st) {
		__sync_fetch_and_add(&nr_dropped, 1);
		return PASS_ON;
	}
	st->key = key;
	st->exit_ns = bpf_ktime_get_ns();
	st->user_ns = 0;
	st->user_total_ns = 0;
	return PASS_ON;
}

SEC("tracepoint/kvm/kvm_entry")
int kvm_entry(struct tp_kvm_entry *ctx)
{
	struct kvmod_exit_stats *s;
	struct kvmod_vcpu_state *st;
	__u64 now, delta;

	st = state_get(false);
	if (!st || !st->exit_ns)
		return PASS_ON;
	now = bpf_ktime_get_ns();
	delta = now - st->exit_ns - st->user_total_ns;
	st->exit_ns = 0;
	if ((__s64)delta < 0)
		delta = 0;

	s = bpf_map_lookup_elem(&exits, &st->key);
	if (!s)
		return PASS_ON;
	__sync_fetch_and_add(&s->host_count, 1);
	__sync_fetch_and_add(&s->host_sum_ns, delta);
	__sync_fetch_and_add(hist_slot(s->host_hist, delta), 1);
	if (delta > s->host_max_ns)
		s->host_max_ns = delta;
	return PASS_ON;
}

/* KVM_RUN returns to userspace: the pending exit's userspace time starts. */
static __always_inline int user_leave(void)
{
	struct kvmod_vcpu_state *st;

	st = state_get(false);
	if (!st || !st->exit_ns)
		return PASS_ON;
	st->user_ns = bpf_ktime_get_ns();
	return PASS_ON;
}

/* KVM_RUN is entered again: account the userspace time. */
static __always_inline int user_return(void)
{
	struct kvmod_exit_stats *s;
	struct kvmod_vcpu_state *st;
	__u64 delta;

	st = state_get(false);
	if (!st || !st->user_ns)
		return PASS_ON;
	delta = bpf_ktime_get_ns() - st->user_ns;
	st->user_ns = 0;
	st->user_total_ns += delta;

	s = bpf_map_lookup_elem(&exits, &st->key);
	if (!s)
		return PASS_ON;
	__sync_fetch_and_add(&s->user_count, 1);
	__sync_fetch_and_add(&s->user_sum_ns, delta);
	__sync_fetch_and_add(hist_slot(s->user_hist, delta), 1);
	if (delta > s->user_max_ns)
		s->user_max_ns = delta;
	return PASS_ON;
}

SEC("tracepoint/kvmod/kvmod_userspace_exit")
int kvmod_uexit(struct tp_kvmod_userspace_exit *ctx)
{
	return user_leave();
}

SEC("tracepoint/kvmod/kvmod_userspace_entry")
int kvmod_uentry(struct tp_kvmod_userspace_entry *ctx)
{
	return user_return();
}

SEC("tracepoint/kvm/kvm_userspace_exit")
int kvm_uexit(struct tp_kvm_userspace_exit *ctx)
{
	return user_leave();
}

/* In-tree KVM has no tracepoint where KVM_RUN starts: use the syscall. */
SEC("tracepoint/syscalls/sys_enter_ioctl")
int kvm_run_ioctl(struct tp_sys_enter_ioctl *ctx)
{
	if ((__u32)ctx->cmd != KVMOD_STAT_KVM_RUN)
		return PASS_ON;
	return user_return();
}

/* An interrupt event: one more count under the pseudo isa. */
static __always_inline int count_event(__u32 vcpu, __u32 what)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct kvmod_exit_stats *s;
	struct kvmod_exit_key key;

	if (pid_filtered(pid))
		return PASS_ON;
	if (filter_vcpu >= 0 && vcpu != (__u32)filter_vcpu)
		return PASS_ON;
	key.pid = pid;
	key.vcpu = vcpu;
	key.isa = KVMOD_STAT_ISA_EVENT;
	key.reason = what;
	s = stats_get(&key);
	if (s)
		__sync_fetch_and_add(&s->count, 1);
	return PASS_ON;
}

/* In-tree KVM's records have no vCPU: that of this thread's last exit. */
static __always_inline __u32 current_vcpu(void)
{
	struct kvmod_vcpu_state *st = state_get(false);

	return st ? st->key.vcpu : 0;
}

SEC("tracepoint/kvmod/kvmod_inj_irq")
int kvmod_inj_irq(struct tp_kvmod_inj_irq *ctx)
{
	return count_event(ctx->vcpu_id, KVMOD_STAT_EV_IRQ | ctx->vector);
}

SEC("tracepoint/kvmod/kvmod_inj_nmi")
int kvmod_inj_nmi(struct tp_kvmod_vcpu *ctx)
{
	return count_event(ctx->vcpu_id, KVMOD_STAT_EV_NMI);
}

SEC("tracepoint/kvmod/kvmod_halt")
int kvmod_halt(struct tp_kvmod_vcpu *ctx)
{
	if (!ctx->start)
		return PASS_ON;
	return count_event(ctx->vcpu_id, KVMOD_STAT_EV_HALT);
}

SEC("tracepoint/kvm/kvm_inj_virq")
int kvm_inj_virq(struct tp_kvm_inj_virq *ctx)
{
	if (ctx->reinjected)
		return PASS_ON;
	return count_event(current_vcpu(),
			   KVMOD_STAT_EV_IRQ | (ctx->vector & 0xff));
}

SEC("tracepoint/kvm/kvm_vcpu_wakeup")
int kvm_vcpu_wakeup(struct tp_kvm_vcpu_wakeup *ctx)
{
	if (!ctx->waited)
		return PASS_ON;
	return count_event(current_vcpu(), KVMOD_STAT_EV_HALT);
}
