// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU run loop (KVM_RUN) and the exits core produces for vendors.
 *
 * Entry protocol, with interrupts disabled:
 *   kvmod_vcpu_enter_guest()  - publish IN_GUEST, tell if a TLB flush is due
 *   ... VMRUN / VMRESUME ...
 *   kvmod_vcpu_exit_guest()   - back to OUTSIDE_GUEST
 * kvmod_flush_remote_tlbs() makes a KVMOD_REQ_TLB_FLUSH request of every
 * vCPU and interrupts those in the guest, so none keeps using a dropped
 * translation.
 */
#include <linux/kvm_para.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/smp.h>

#include "registry.h"
#include "trace_kvmod.h"

/**
 * kvmod_vcpu_clock_check() - the guest's clock before an entry
 * @vcpu: the vCPU, on this CPU with interrupts disabled
 *
 * The slow half of kvmod_vcpu_enter_guest(), when a component follows
 * the vCPU's clock: a guest clock that depends on the host CPU's TSC is
 * refreshed after a move, and so is steal time when the thread waited
 * for a CPU.
 */
void kvmod_vcpu_clock_check(struct kvmod_vcpu *vcpu)
{
	if (vcpu->clock_tracked && vcpu->clock_cpu != smp_processor_id())
		kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
	if (vcpu->steal_tracked &&
	    current->sched_info.run_delay != vcpu->last_run_delay)
		kvmod_make_request(vcpu, KVMOD_REQ_CLOCK_UPDATE);
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_clock_check);

static void kvmod_kick_ipi(void *info)
{
}

/**
 * kvmod_flush_remote_tlbs() - make every vCPU drop cached translations
 * @vm: the VM
 *
 * After this returns, no vCPU of @vm runs with a translation from
 * before the call: vCPUs outside the guest flush at their next entry,
 * and those inside are interrupted (the IPI completes only after the
 * vCPU has left the guest) and flush when they re-enter.
 */
void kvmod_flush_remote_tlbs(struct kvmod_vm *vm)
{
	bool kicked = false;
	int i, n;

	vm->stat.remote_tlb_flush_requests++;
	/* Pairs with the release in kvmod_create_vcpu(). */
	n = smp_load_acquire(&vm->nr_vcpus);
	for (i = 0; i < n; i++)
		kvmod_make_request(kvmod_get_vcpu(vm, i), KVMOD_REQ_TLB_FLUSH);
	/*
	 * Order the requests before reading vcpu->mode; pairs with the
	 * barrier in kvmod_vcpu_enter_guest(): either the vCPU sees its
	 * request, or this sees it in the guest and interrupts it.
	 */
	smp_mb();
	for (i = 0; i < n; i++) {
		struct kvmod_vcpu *vcpu = kvmod_get_vcpu(vm, i);
		int cpu;

		if (READ_ONCE(vcpu->mode) == KVMOD_OUTSIDE_GUEST)
			continue;
		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != raw_smp_processor_id()) {
			smp_call_function_single(cpu, kvmod_kick_ipi, NULL, 1);
			kicked = true;
		}
	}
	/* As KVM's remote_tlb_flush: the flushes that interrupted a guest. */
	if (kicked)
		vm->stat.remote_tlb_flush++;
}
EXPORT_SYMBOL_GPL(kvmod_flush_remote_tlbs);

static void count_user_exit(struct kvmod_vcpu *vcpu, u32 reason)
{
	if (reason < ARRAY_SIZE(vcpu->user_exits))
		vcpu->user_exits[reason]++;
}

/**
 * kvmod_report_tpr_access() - the guest accessed its APIC's TPR
 * @vcpu: the vCPU, at the accessing instruction (RIP not yet advanced)
 * @write: it wrote the TPR
 *
 * With KVM_TPR_ACCESS_REPORTING enabled, the access completes and the
 * next entry exits to userspace with KVM_EXIT_TPR_ACCESS, the RIP of the
 * instruction and @write, as KVM does.
 */
void kvmod_report_tpr_access(struct kvmod_vcpu *vcpu, bool write)
{
	if (!READ_ONCE(vcpu->tpr_access_reporting))
		return;
	vcpu->run->tpr_access.rip = vcpu->rip;
	vcpu->run->tpr_access.is_write = write;
	kvmod_make_request(vcpu, KVMOD_REQ_REPORT_TPR_ACCESS);
}
EXPORT_SYMBOL_GPL(kvmod_report_tpr_access);

/**
 * kvmod_exit_hlt() - the guest halted; exit to userspace
 * @vcpu: the vCPU, with RIP already past the HLT
 *
 * Return: KVMOD_EXIT_USER.
 */
int kvmod_exit_hlt(struct kvmod_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return KVMOD_EXIT_USER;
}
EXPORT_SYMBOL_GPL(kvmod_exit_hlt);

/**
 * kvmod_exit_shutdown() - the guest shut down (triple fault)
 * @vcpu: the vCPU
 *
 * Return: KVMOD_EXIT_USER.
 */
int kvmod_exit_shutdown(struct kvmod_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return KVMOD_EXIT_USER;
}
EXPORT_SYMBOL_GPL(kvmod_exit_shutdown);

/**
 * kvmod_exit_fail_entry() - the hardware refused the guest state
 * @vcpu: the vCPU
 * @reason: the vendor's failure code
 *
 * Return: KVMOD_EXIT_USER.
 */
int kvmod_exit_fail_entry(struct kvmod_vcpu *vcpu, u64 reason)
{
	vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	vcpu->run->fail_entry.hardware_entry_failure_reason = reason;
	vcpu->run->fail_entry.cpu = vcpu->cpu;
	return KVMOD_EXIT_USER;
}
EXPORT_SYMBOL_GPL(kvmod_exit_fail_entry);

/**
 * kvmod_exit_internal() - report something kvmod cannot handle
 * @vcpu: the vCPU
 * @suberror: a KVM_INTERNAL_ERROR_* code
 * @data0: first word of detail (e.g. the exit code)
 * @data1: second word of detail
 *
 * Return: KVMOD_EXIT_USER.
 */
int kvmod_exit_internal(struct kvmod_vcpu *vcpu, u32 suberror, u64 data0,
			u64 data1)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 3;
	run->internal.data[0] = data0;
	run->internal.data[1] = data1;
	run->internal.data[2] = vcpu->cpu;
	return KVMOD_EXIT_USER;
}
EXPORT_SYMBOL_GPL(kvmod_exit_internal);

/* The event fields of kvm_run at an exit to userspace. */
static inline void fill_run_events(struct kvmod_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	bool if_flag = vcpu->rflags & X86_EFLAGS_IF;

	run->if_flag = if_flag;
	run->ready_for_interrupt_injection = vcpu->vm->pic_in_kernel ||
		(if_flag && kvmod_ready_for_interrupt(vcpu));
	run->cr8 = kvmod_get_cr8(vcpu);
	run->apic_base = kvmod_get_apic_base(vcpu);
}

/* An INIT or SIPI to act on, or an AP still waiting for them. */
static inline bool vcpu_init_sipi_due(struct kvmod_vcpu *vcpu)
{
	return READ_ONCE(vcpu->init_pending) || READ_ONCE(vcpu->sipi_pending) ||
	       vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED ||
	       vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED;
}

/* Something that ends a halt: an NMI, an interrupt the guest takes. */
static bool vcpu_has_wakeup(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_irqchip_ops *chip = vcpu->vm->irqchip;

	if (READ_ONCE(vcpu->init_pending) || READ_ONCE(vcpu->sipi_pending))
		return true;
	if (READ_ONCE(vcpu->pv_unhalted) &&
	    vcpu->mp_state == KVM_MP_STATE_HALTED)
		return true;
	/* An AP waiting for INIT and SIPI takes nothing else. */
	if (vcpu->mp_state != KVM_MP_STATE_HALTED &&
	    vcpu->mp_state != KVM_MP_STATE_RUNNABLE)
		return false;
	if (vcpu->ev.nmi.pending || atomic_read(&vcpu->nmi_queued) ||
	    kvmod_event_delivering(vcpu) ||
	    vcpu->ev.exception.pending)
		return true;
	return chip && chip->has_wakeup(vcpu);
}

/*
 * A halted vCPU (HLT with an in-kernel irqchip) sleeps until an event
 * wakes it (the irqchip kicks it) or a signal arrives.
 */
static int vcpu_block(struct kvmod_vcpu *vcpu)
{
	if (trace_kvmod_halt_enabled())
		trace_kvmod_halt(vcpu->id, true);
	/* Time spent asleep, as KVM's halt_wait_ns: only when it slept. */
	if (!vcpu_has_wakeup(vcpu) && !signal_pending(current)) {
		u64 start = ktime_get_ns(), ns;

		WRITE_ONCE(vcpu->stat.blocking, 1);
		rcuwait_wait_event(&vcpu->wait,
				   vcpu_has_wakeup(vcpu) ||
				   signal_pending(current),
				   TASK_INTERRUPTIBLE);
		WRITE_ONCE(vcpu->stat.blocking, 0);
		ns = ktime_get_ns() - start;
		vcpu->stat.halt_wait_ns += ns;
		vcpu->stat.halt_wait_hist[min(fls64(ns),
					      KVMOD_STAT_HIST_BUCKETS - 1)]++;
	}
	if (trace_kvmod_halt_enabled())
		trace_kvmod_halt(vcpu->id, false);
	if (vcpu_has_wakeup(vcpu)) {
		if (vcpu->mp_state == KVM_MP_STATE_HALTED) {
			WRITE_ONCE(vcpu->pv_unhalted, false);
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		}
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
		return KVMOD_EXIT_RESUME;
	}
	vcpu->run->exit_reason = KVM_EXIT_INTR;
	vcpu->stat.signal_exits++;
	return -EINTR;
}

/* vcpu_prepare_entry(), vcpu_slow_entry(): round the loop again. */
#define VCPU_LOOP_AGAIN		2

/* The guest's TSC or clock changed: the components refresh their view. */
static void vcpu_clock_update(struct kvmod_vcpu *vcpu)
{
	const struct kvmod_component_ops *c;
	int i;

	for (i = 0; i < KVMOD_NR_COMPONENTS; i++) {
		c = vcpu->vm->components[i];
		if (c && c->clock_update)
			c->clock_update(vcpu);
	}
}

/*
 * Requests and events, before the vendor enters the guest. Events are
 * looked at only when something asked for it (KVMOD_REQ_EVENT): whatever
 * can make an event deliverable raises that request, so the common exit
 * (nothing pending) costs one load here.
 */
static int vcpu_prepare_entry(struct kvmod_vcpu *vcpu)
{
	if (likely(!READ_ONCE(vcpu->requests)))
		return KVMOD_EXIT_RESUME;
	if (kvmod_check_request(vcpu, KVMOD_REQ_IOAPIC_EOI)) {
		vcpu->run->exit_reason = KVM_EXIT_IOAPIC_EOI;
		vcpu->run->eoi.vector = vcpu->eoi_exit_vector;
		return KVMOD_EXIT_USER;
	}
	if (kvmod_check_request(vcpu, KVMOD_REQ_REPORT_TPR_ACCESS)) {
		vcpu->run->exit_reason = KVM_EXIT_TPR_ACCESS;
		return KVMOD_EXIT_USER;
	}
	if (kvmod_check_request(vcpu, KVMOD_REQ_TRIPLE_FAULT)) {
		vcpu->ev.exception.pending = false;
		vcpu->ev.exception.injected = false;
		return kvmod_exit_shutdown(vcpu);
	}
	if (kvmod_check_request(vcpu, KVMOD_REQ_TLB_FLUSH)) {
		vcpu->tlb_flush = true;
		vcpu->stat.tlb_flush++;
	}
	if (kvmod_check_request(vcpu, KVMOD_REQ_CLOCK_UPDATE))
		vcpu_clock_update(vcpu);
	if (kvmod_check_request(vcpu, KVMOD_REQ_EVENT)) {
		vcpu->stat.req_event++;
		/* An INIT or SIPI came with it: vcpu_slow_entry() acts first. */
		if (unlikely(vcpu->vm->irqchip && vcpu_init_sipi_due(vcpu))) {
			kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
			return VCPU_LOOP_AGAIN;
		}
		kvmod_process_nmis(vcpu);
		kvmod_inject_events(vcpu);
		/* KVM writes the VAPIC area only after such a look. */
		if (vcpu->vapic_addr)
			vcpu->vapic_sync = true;
	}
	return KVMOD_EXIT_RESUME;
}

/*
 * What stands between the loop and an entry, when anything does: an
 * INIT or SIPI to act on, an AP waiting for them, a halt, requests.
 * INIT and SIPI always come with KVMOD_REQ_EVENT, and every halt with
 * mp_state HALTED, so the loop looks here only when either is set.
 *
 * Return: KVMOD_EXIT_RESUME to enter now, VCPU_LOOP_AGAIN, or
 * KVMOD_EXIT_USER or -errno to leave KVM_RUN.
 */
static int vcpu_slow_entry(struct kvmod_vcpu *vcpu)
{
	int r;

	if ((vcpu->vm->irqchip && vcpu_init_sipi_due(vcpu) &&
	     !kvmod_vcpu_accept_init_sipi(vcpu)) ||
	    vcpu->mp_state == KVM_MP_STATE_HALTED) {
		r = vcpu_block(vcpu);
		return r <= 0 ? r : VCPU_LOOP_AGAIN;
	}
	return vcpu_prepare_entry(vcpu);
}

int kvmod_vcpu_run(struct kvmod_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	if (trace_kvmod_userspace_entry_enabled())
		trace_kvmod_userspace_entry(vcpu->id);
	if (unlikely(vcpu->sigset_active))
		kvmod_sigset_activate(vcpu);
	/* KVM_CAP_SYNC_REGS: registers userspace changed in kvm_run. */
	if (unlikely(READ_ONCE(run->kvm_valid_regs) |
		     READ_ONCE(run->kvm_dirty_regs))) {
		r = kvmod_sync_regs_in(vcpu);
		if (r)
			goto out;
	}
	/* Finish what the last exit to userspace left open. */
	if (vcpu->pio.active) {
		r = kvmod_complete_pio_fast(vcpu);
		if (r < 0)
			goto out;
	}
	if (vcpu->mmio.active) {
		r = kvmod_complete_mmio(vcpu);
		if (r <= 0)
			goto out;
	}
	if (vcpu->complete_user_exit) {
		int (*complete)(struct kvmod_vcpu *vcpu) =
			vcpu->complete_user_exit;

		vcpu->complete_user_exit = NULL;
		r = complete(vcpu);
		if (r <= 0)
			goto out;
	}
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = KVM_EXIT_INTR;
		r = -EINTR;
		goto out;
	}
	/*
	 * Without an in-kernel irqchip, userspace owns the TPR (kvm_run.cr8,
	 * as KVM takes it at every KVM_RUN) and may ask for the window.
	 */
	if (!vcpu->vm->irqchip) {
		u64 cr8 = READ_ONCE(run->cr8);

		if (cr8 > 15) {
			r = -EINVAL;
			goto out;
		}
		vcpu->cr8 = cr8;
	}
	vcpu->irq_window_exit = !vcpu->vm->pic_in_kernel &&
				READ_ONCE(run->request_interrupt_window);
	if (vcpu->irq_window_exit)
		kvmod_make_request(vcpu, KVMOD_REQ_EVENT);

	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	for (;;) {
		/* One test for a signal or a reschedule, the common "no". */
		if (unlikely(read_thread_flags() &
			     (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL |
			      _TIF_NEED_RESCHED))) {
			if (signal_pending(current)) {
				run->exit_reason = KVM_EXIT_INTR;
				vcpu->stat.signal_exits++;
				r = -EINTR;
				break;
			}
			cond_resched();
		}
		/* Entering at once is the common case: nothing to act on. */
		if (unlikely(vcpu->mp_state != KVM_MP_STATE_RUNNABLE ||
			     READ_ONCE(vcpu->requests))) {
			r = vcpu_slow_entry(vcpu);
			if (r <= 0)
				break;
			if (r == VCPU_LOOP_AGAIN)
				continue;
		}
		/*
		 * PV EOI and the VAPIC area: around each entry, as KVM; the
		 * vendor calls kvmod_vcpu_after_exit() before it handles the
		 * exit, and this call covers an entry it cancelled.
		 */
		if (unlikely((vcpu->pv_eoi_msr & KVM_MSR_ENABLED) ||
			     vcpu->vapic_addr)) {
			vcpu->vm->irqchip->before_entry(vcpu);
			vcpu->irqchip_exit_due = true;
		}
		kvmod_debug_before_run(vcpu);
		r = vcpu->vm->vendor->vcpu_run(vcpu);
		kvmod_vcpu_after_exit(vcpu);
		kvmod_debug_after_run(vcpu);
		if (r <= 0)
			break;
		if (vcpu->irq_window_exit && kvmod_ready_for_interrupt(vcpu)) {
			run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
	}
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
out:
	if (unlikely(run->kvm_valid_regs))
		kvmod_sync_regs_out(vcpu);
	if (unlikely(vcpu->sigset_active))
		kvmod_sigset_deactivate(vcpu);
	fill_run_events(vcpu);
	if (r >= 0 || r == -EINTR)
		count_user_exit(vcpu, run->exit_reason);
	if (trace_kvmod_userspace_exit_enabled())
		trace_kvmod_userspace_exit(vcpu->id, run->exit_reason, r);
	return r;
}
