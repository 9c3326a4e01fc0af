// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (KVM_CREATE_IRQCHIP) as the guest sees it: the
 * LAPIC timer in one-shot, periodic and TSC-deadline mode measured against
 * the guest TSC (never early; N periods take at least N periods), the
 * divide configuration, masking, the current count; TPR/PPR (and CR8)
 * holding back lower-priority self-IPIs, ISR and EOI; HLT with an
 * in-kernel irqchip (woken by the timer inside KVM_RUN, KVM_MP_STATE_HALTED
 * after a signal interrupts it); x2APIC mode through the MSRs; and
 * KVM_GET_LAPIC / KVM_SET_LAPIC, in place and into a fresh VM whose guest
 * timer keeps running.
 *
 * The LAPIC timer counts at 1 GHz (in-tree KVM's bus clock): an initial
 * count of N with divide-by-D lasts N * D ns.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define TIMER_VEC	0xec
#define VEC_HI		0x80
#define VEC_LO		0x50
#define VEC_X2_SELF	0x61
#define VEC_X2_ICR	0x62
#define GP_VEC		13

#define CPUID1_ECX_X2APIC	21
#define CPUID1_ECX_TSC_DEADLINE	24

/* ---- guest ---- */

/* Set by the host before each run. */
static volatile uint32_t p_tdcr, p_count, p_lvtt_mode, p_ticks;
static volatile uint64_t p_wait_tsc, p_deadline_delta;
static volatile uint64_t tick_target;
static volatile bool x2apic_mode;

static volatile uint64_t ticks, tick_tsc[16];
static volatile uint64_t irq_count[256], seq[8], nseq;
static volatile uint64_t in_handler_ppr, in_handler_isr, gp_count;

static uint32_t apic_read(uint32_t reg)
{
	return x2apic_mode ? x2apic_read(reg) : xapic_read(reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic_mode)
		x2apic_write(reg, v);
	else
		xapic_write(reg, v);
}

static void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

/* Bit @vector of the 256-bit register at @base (ISR, TMR, IRR). */
static uint32_t apic_bit(uint32_t base, int vector)
{
	return apic_read(base + 0x10 * (vector / 32)) >> (vector % 32) & 1;
}

static void timer_handler(struct kg_frame *f)
{
	uint64_t n = ticks;

	(void)f;
	if (n < 16)
		tick_tsc[n] = kg_rdtsc();
	ticks = n + 1;
	apic_eoi();
}

static void count_eoi(struct kg_frame *f)
{
	irq_count[f->vector]++;
	if (nseq < 8)
		seq[nseq++] = f->vector;
	in_handler_ppr = apic_read(APIC_PROCPRI);
	in_handler_isr = apic_bit(APIC_ISR, f->vector);
	apic_eoi();
}

/* The first VEC_HI stays in service (no EOI); later ones are EOIed. */
static void hi_first_no_eoi(struct kg_frame *f)
{
	irq_count[f->vector]++;
	if (nseq < 8)
		seq[nseq++] = f->vector;
	if (irq_count[f->vector] > 1)
		apic_eoi();
}

/* #GP from RDMSR/WRMSR: count it and skip the 2-byte instruction. */
static void gp_skip_msr(struct kg_frame *f)
{
	gp_count++;
	f->rip += 2;
}

/* Wait with HLT until @n ticks, never missing the wake-up. */
static void wait_ticks(uint64_t n)
{
	kg_cli();
	while (ticks < n) {
		kg_safe_halt();
		kg_cli();
	}
	kg_sti();
}

static void spin_tsc(uint64_t cycles)
{
	uint64_t t0 = kg_rdtsc();

	while (kg_rdtsc() - t0 < cycles)
		kg_pause();
}

static void self_ipi(int vector)
{
	if (x2apic_mode)
		x2apic_write(APIC_SELF_IPI, vector);
	else
		xapic_send_ipi(0, APIC_DEST_SELF | vector);
}

/*
 * Arm the timer from p_*, report the current count twice, wait for
 * p_ticks ticks, report how long they took; then mask the timer, spin
 * p_wait_tsc and report the ticks that came meanwhile and the count.
 */
static void guest_timer(void)
{
	uint64_t t0, c1, c2, n, wraps;
	int i;

	xapic_enable();
	xapic_write(APIC_TDCR, p_tdcr);
	xapic_write(APIC_LVTT, p_lvtt_mode | TIMER_VEC);
	GUEST_SYNC(xapic_read(APIC_TDCR) & 0xb);
	kg_sti();
	t0 = kg_rdtsc();
	xapic_write(APIC_TMICT, p_count);
	n = ticks;
	c1 = xapic_read(APIC_TMCCT);
	for (i = 0; i < 1000; i++)
		kg_pause();
	c2 = xapic_read(APIC_TMCCT);
	/* A slow host may let a periodic count wrap in between. */
	wraps = ticks - n;
	wait_ticks(p_ticks);
	GUEST_SYNC(c1);
	GUEST_SYNC(wraps ? c1 - 1 : c2);
	GUEST_SYNC(tick_tsc[p_ticks - 1] - t0);
	GUEST_SYNC(xapic_read(APIC_TMICT));

	xapic_write(APIC_LVTT, APIC_LVT_MASKED | p_lvtt_mode | TIMER_VEC);
	for (i = 0; i < 1000; i++)
		kg_pause();
	n = ticks;
	spin_tsc(p_wait_tsc);
	GUEST_SYNC(ticks - n);
	GUEST_SYNC(p_lvtt_mode == APIC_LVT_PERIODIC ? 0 :
		   xapic_read(APIC_TMCCT));
}

static void guest_tsc_deadline(void)
{
	uint64_t deadline;

	xapic_enable();
	/* Not in TSC-deadline mode: the MSR ignores writes, reads 0. */
	xapic_write(APIC_LVTT, TIMER_VEC);
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, kg_rdtsc() + p_deadline_delta);
	GUEST_SYNC(kg_rdmsr(MSR_IA32_TSC_DEADLINE));

	xapic_write(APIC_LVTT, APIC_LVT_TSCDEADLINE | TIMER_VEC);
	kg_sti();
	deadline = kg_rdtsc() + p_deadline_delta;
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	GUEST_SYNC(kg_rdmsr(MSR_IA32_TSC_DEADLINE) == deadline);
	wait_ticks(1);
	GUEST_ASSERT_LE(deadline, tick_tsc[0]);
	GUEST_SYNC(tick_tsc[0] - (deadline - p_deadline_delta));
	GUEST_SYNC(kg_rdmsr(MSR_IA32_TSC_DEADLINE));	/* 0 once fired */

	/* A deadline in the past fires at once. */
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	wait_ticks(2);
	GUEST_SYNC(ticks);

	/* Writing 0 disarms. */
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, kg_rdtsc() + p_deadline_delta);
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	spin_tsc(2 * p_deadline_delta);
	GUEST_SYNC(ticks);
}

/* Without the CPUID bit: LVTT bit 18 is not writable, the MSR inert. */
static void guest_no_tsc_deadline(void)
{
	xapic_enable();
	xapic_write(APIC_LVTT, APIC_LVT_TSCDEADLINE | TIMER_VEC);
	GUEST_SYNC(xapic_read(APIC_LVTT));
	kg_wrmsr(MSR_IA32_TSC_DEADLINE, kg_rdtsc() + 1000000);
	GUEST_SYNC(kg_rdmsr(MSR_IA32_TSC_DEADLINE));
}

static inline void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

static void pause_a_while(void)
{
	int i;

	for (i = 0; i < 2000; i++)
		kg_pause();
}

static void guest_tpr(void)
{
	xapic_enable();
	kg_sti();
	/* TPR class 5 holds back vectors 0x50-0x5f. */
	xapic_write(APIC_TASKPRI, 0x50);
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
	self_ipi(VEC_LO);
	pause_a_while();
	GUEST_SYNC(irq_count[VEC_LO]);
	GUEST_SYNC(apic_bit(APIC_IRR, VEC_LO));
	xapic_write(APIC_TASKPRI, 0x4f);
	pause_a_while();
	GUEST_SYNC(irq_count[VEC_LO]);
	GUEST_SYNC(in_handler_ppr);
	GUEST_SYNC(in_handler_isr);
	GUEST_SYNC(apic_bit(APIC_IRR, VEC_LO) | apic_bit(APIC_ISR, VEC_LO));
	/* CR8 is TPR[7:4]. */
	write_cr8(6);
	GUEST_SYNC(xapic_read(APIC_TASKPRI));
	write_cr8(0);
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
}

static void guest_eoi(void)
{
	xapic_enable();
	kg_sti();
	self_ipi(VEC_HI);		/* stays in service */
	pause_a_while();
	GUEST_SYNC(apic_bit(APIC_ISR, VEC_HI));
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
	self_ipi(VEC_LO);		/* lower: held back by the ISR */
	self_ipi(VEC_HI);		/* the same vector: pending in IRR */
	pause_a_while();
	GUEST_SYNC(irq_count[VEC_LO]);
	GUEST_SYNC(apic_bit(APIC_IRR, VEC_HI));
	GUEST_SYNC(apic_bit(APIC_IRR, VEC_LO));
	apic_eoi();
	pause_a_while();
	GUEST_SYNC(nseq);
	GUEST_SYNC(seq[1]);		/* VEC_HI first, ... */
	GUEST_SYNC(seq[2]);		/* ... then VEC_LO */
	GUEST_SYNC(apic_bit(APIC_ISR, VEC_HI) | apic_bit(APIC_ISR, VEC_LO));
	GUEST_SYNC(xapic_read(APIC_PROCPRI));
}

/* Arm a one-shot timer and HLT (IF=1) until it fires. */
static void guest_hlt_timer(void)
{
	uint64_t t0;

	xapic_enable();
	xapic_write(APIC_TDCR, APIC_TDR_DIV_1);
	xapic_write(APIC_LVTT, TIMER_VEC);
	GUEST_SYNC(1);
	t0 = kg_rdtsc();
	xapic_write(APIC_TMICT, p_count);
	wait_ticks(1);
	GUEST_SYNC(ticks);
	GUEST_SYNC(tick_tsc[0] - t0);
}

static void guest_x2apic(void)
{
	uint32_t version = xapic_read(APIC_LVR);
	uint64_t base;

	/* x2APIC MSRs #GP while the APIC is in xAPIC mode. */
	kg_rdmsr(MSR_X2APIC_BASE + (APIC_ID >> 4));
	GUEST_SYNC(gp_count);

	base = kg_rdmsr(MSR_IA32_APICBASE);
	kg_wrmsr(MSR_IA32_APICBASE, base | MSR_IA32_APICBASE_EXTD);
	x2apic_mode = true;
	GUEST_SYNC(kg_rdmsr(MSR_IA32_APICBASE) &
		   (MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_EXTD));
	GUEST_SYNC(x2apic_read(APIC_ID));
	GUEST_SYNC(x2apic_read(APIC_LVR) == version);
	GUEST_SYNC(x2apic_read(APIC_LDR));
	/* The MMIO page is a hole now (reads all ones). */
	GUEST_SYNC(xapic_read(APIC_LVR));

	x2apic_write(APIC_SPIV, APIC_SPIV_ENABLE | 0xff);
	kg_sti();
	x2apic_write(APIC_SELF_IPI, VEC_X2_SELF);
	pause_a_while();
	GUEST_SYNC(irq_count[VEC_X2_SELF]);
	x2apic_write(APIC_ICR, APIC_DEST_SELF | VEC_X2_ICR);
	pause_a_while();
	GUEST_SYNC(irq_count[VEC_X2_ICR]);

	/* The ID is read-only, SELF_IPI write-only. */
	x2apic_write(APIC_ID, 5);
	kg_rdmsr(MSR_X2APIC_BASE + (APIC_SELF_IPI >> 4));
	GUEST_SYNC(gp_count);
}

/* A periodic timer; report ticks each time tick_target is reached. */
static void guest_periodic_forever(void)
{
	xapic_enable();
	xapic_write(APIC_TDCR, p_tdcr);
	xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | TIMER_VEC);
	xapic_write(APIC_TMICT, p_count);
	for (;;) {
		wait_ticks(tick_target);
		GUEST_SYNC(ticks);
	}
}

/* ---- host ---- */

FIXTURE(lapic) {
	struct kg_vm vm;
	uint64_t tsc_khz;
	bool no_irqchip;
};

/*
 * A SKIP() in the fixture's setup does not stop the test body (the
 * harness only stops on failures), so every body starts with this.
 */
#define NEED_IRQCHIP()							\
	do {								\
		if (self->no_irqchip)					\
			SKIP(return, "no KVM_CAP_IRQCHIP");		\
	} while (0)

FIXTURE_SETUP(lapic)
{
	int sys_fd = kt_open_dev();
	long khz;

	ASSERT_LE(0, sys_fd);
	if (kt_check_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0) {
		close(sys_fd);
		self->no_irqchip = true;
		return;
	}
	close(sys_fd);
	ASSERT_EQ(0, kg_vm_create(&self->vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	if (kt_check_cap(self->vm.sys_fd, KVM_CAP_GET_TSC_KHZ) > 0) {
		khz = ioctl(self->vm.v[0].fd, KVM_GET_TSC_KHZ);
		ASSERT_LT(0, khz);
		self->tsc_khz = khz;
	}
	kg_set_handler(&self->vm, TIMER_VEC, timer_handler);
	kg_set_handler(&self->vm, VEC_LO, count_eoi);
	kg_set_handler(&self->vm, VEC_HI, count_eoi);
	kg_set_handler(&self->vm, VEC_X2_SELF, count_eoi);
	kg_set_handler(&self->vm, VEC_X2_ICR, count_eoi);
	kg_set_handler(&self->vm, GP_VEC, gp_skip_msr);
}

FIXTURE_TEARDOWN(lapic)
{
	if (!self->no_irqchip)
		kg_vm_destroy(&self->vm);
}

static uint64_t ns_to_tsc(uint64_t tsc_khz, uint64_t ns)
{
	return ns * tsc_khz / 1000000;
}

#define NEED_TSC_KHZ()							\
	do {								\
		NEED_IRQCHIP();						\
		if (!self->tsc_khz)					\
			SKIP(return, "no KVM_CAP_GET_TSC_KHZ");	\
	} while (0)

/*
 * Timer of @count with TDCR @tdcr (divide @div) in @mode, @n ticks: not
 * before n * count * div ns; then masked, or expired, no more ticks.
 */
static void check_timer(struct __test_metadata *_metadata, struct kg_vm *vm,
			uint64_t tsc_khz, uint32_t tdcr, uint32_t div,
			uint32_t count, uint32_t mode, uint32_t n)
{
	uint64_t period = ns_to_tsc(tsc_khz, (uint64_t)count * div);
	uint64_t c1, c2, took;

	KG_GUEST(vm, p_tdcr) = tdcr;
	KG_GUEST(vm, p_count) = count;
	KG_GUEST(vm, p_lvtt_mode) = mode;
	KG_GUEST(vm, p_ticks) = n;
	KG_GUEST(vm, p_wait_tsc) = 3 * period;
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_timer));
	EXPECT_EQ(tdcr, KG_SYNC_VALUE(vm, 0));
	c1 = KG_SYNC_VALUE(vm, 0);
	c2 = KG_SYNC_VALUE(vm, 0);
	took = KG_SYNC_VALUE(vm, 0);
	/* The current count counts down from the initial count. */
	EXPECT_LE(c1, count);
	EXPECT_LT(0, c2);
	EXPECT_LT(c2, c1);
	/* Never early (1% for the TSC frequency's rounding) ... */
	EXPECT_LE(n * period - n * period / 100, took);
	/* ... and not absurdly late, even under TCG. */
	EXPECT_GT(n * period + ns_to_tsc(tsc_khz, 2000000000ULL), took);
	EXPECT_EQ(count, KG_SYNC_VALUE(vm, 0));	/* TMICT */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* no more ticks */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* TMCCT */
	/* A periodic timer ticks on while the guest reports. */
	if (mode == APIC_LVT_PERIODIC) {
		EXPECT_LE(n, KG_GUEST(vm, ticks));
	} else {
		EXPECT_EQ(n, KG_GUEST(vm, ticks));
	}
	KG_ASSERT_DONE(vm, 0);
}

/* One-shot, 10 ms at divide-by-1: fires once, then TMCCT is 0. */
TEST_F(lapic, oneshot_timer)
{
	NEED_TSC_KHZ();
	check_timer(_metadata, &self->vm, self->tsc_khz, APIC_TDR_DIV_1, 1,
		    10000000, 0, 1);
}

/* Divide-by-16: 625000 counts last 10 ms. */
TEST_F(lapic, oneshot_timer_divide_16)
{
	NEED_TSC_KHZ();
	check_timer(_metadata, &self->vm, self->tsc_khz, APIC_TDR_DIV_16, 16,
		    625000, 0, 1);
}

/* Periodic 2 ms: 5 ticks take at least 10 ms; masking the LVT stops it. */
TEST_F(lapic, periodic_timer_and_mask)
{
	NEED_TSC_KHZ();
	check_timer(_metadata, &self->vm, self->tsc_khz, APIC_TDR_DIV_1, 1,
		    2000000, APIC_LVT_PERIODIC, 5);
}

/* Periodic at divide-by-2, 3 ticks of 1.5 ms. */
TEST_F(lapic, periodic_timer_divide_2)
{
	NEED_TSC_KHZ();
	check_timer(_metadata, &self->vm, self->tsc_khz, APIC_TDR_DIV_2, 2,
		    750000, APIC_LVT_PERIODIC, 3);
}

TEST_F(lapic, tsc_deadline_timer)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid_entry2 *e;
	uint64_t delta;

	NEED_TSC_KHZ();
	if (kt_check_cap(vm->sys_fd, KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		SKIP(return, "no KVM_CAP_TSC_DEADLINE_TIMER");
	/* The capability says the guest may have the CPUID bit. */
	e = kt_cpuid_find(vm->cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	e->ecx |= 1U << CPUID1_ECX_TSC_DEADLINE;
	ASSERT_EQ(0, kt_set_cpuid(vm->v[0].fd, vm->cpuid));

	delta = ns_to_tsc(self->tsc_khz, 10000000);	/* 10 ms */
	KG_GUEST(vm, p_deadline_delta) = delta;
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_tsc_deadline));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_GT(delta + ns_to_tsc(self->tsc_khz, 2000000000ULL),
		  KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));
	KG_ASSERT_DONE(vm, 0);
}

/* The TSC-deadline mode follows the guest's CPUID, as KVM's. */
TEST_F(lapic, tsc_deadline_needs_cpuid)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid_entry2 *e;

	e = kt_cpuid_find(vm->cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	e->ecx &= ~(1U << CPUID1_ECX_TSC_DEADLINE);
	ASSERT_EQ(0, kt_set_cpuid(vm->v[0].fd, vm->cpuid));

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_no_tsc_deadline));
	/* One-shot mode, the vector kept. */
	EXPECT_EQ(TIMER_VEC, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	KG_ASSERT_DONE(vm, 0);
}

/* TPR/PPR hold back a self-IPI of the same or a lower class. */
TEST_F(lapic, tpr_blocks_lower_priority)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_tpr));
	EXPECT_EQ(0x50, KG_SYNC_VALUE(vm, 0));	/* PPR = TPR */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* held back */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* in IRR */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* TPR lowered */
	EXPECT_EQ(0x50, KG_SYNC_VALUE(vm, 0));	/* PPR in handler */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* ISR in handler */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* gone after EOI */
	EXPECT_EQ(0x60, KG_SYNC_VALUE(vm, 0));	/* CR8 6 */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	KG_ASSERT_DONE(vm, 0);
}

/* An in-service vector holds back lower ones until EOI. */
TEST_F(lapic, eoi_releases_pending)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	kg_set_handler(vm, VEC_HI, hi_first_no_eoi);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_eoi));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* ISR */
	EXPECT_EQ(VEC_HI, KG_SYNC_VALUE(vm, 0));	/* PPR */
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* IRR VEC_HI */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* IRR VEC_LO */
	EXPECT_EQ(3, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(VEC_HI, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(VEC_LO, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	KG_ASSERT_DONE(vm, 0);
}

/* With an in-kernel irqchip HLT stays in KVM_RUN until the timer fires. */
TEST_F(lapic, hlt_woken_by_timer_in_kernel)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_mp_state mp;

	NEED_TSC_KHZ();
	KG_GUEST(vm, p_count) = 20000000;		/* 20 ms */
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_hlt_timer));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	/* No KVM_EXIT_HLT: the next exit is the guest's report. */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_LE(ns_to_tsc(self->tsc_khz, 19800000),
		  KG_SYNC_VALUE(vm, 0));
	if (kt_check_cap(vm->sys_fd, KVM_CAP_MP_STATE) > 0) {
		ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_MP_STATE, &mp));
		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
	}
}

struct kicker {
	pthread_t target;
	volatile bool stop;
};

static void *kick_until_stopped(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };

	while (!k->stop) {
		nanosleep(&ts, NULL);
		if (!k->stop)
			pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

/*
 * A signal gets a halted vCPU out of KVM_RUN (EINTR, KVM_EXIT_INTR); it is
 * still halted (KVM_MP_STATE_HALTED) and the next KVM_RUN goes on waiting
 * for the timer.
 */
TEST_F(lapic, hlt_interrupted_by_signal)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_run *run = vm->v[0].run;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kicker k = { .target = pthread_self() };
	struct kvm_mp_state mp;
	pthread_t th;
	int r;

	NEED_TSC_KHZ();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	KG_GUEST(vm, p_count) = 1000000000;		/* 1 s */
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_hlt_timer));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, kick_until_stopped, &k));
	r = kt_run(vm->v[0].fd, run);
	k.stop = true;
	pthread_join(th, NULL);
	ASSERT_EQ(-EINTR, r);
	EXPECT_EQ(KVM_EXIT_INTR, run->exit_reason);
	if (kt_check_cap(vm->sys_fd, KVM_CAP_MP_STATE) > 0) {
		ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_MP_STATE, &mp));
		EXPECT_EQ(KVM_MP_STATE_HALTED, mp.mp_state);
	}
	EXPECT_EQ(0, KG_GUEST(vm, ticks));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_LE(ns_to_tsc(self->tsc_khz, 990000000),
		  KG_SYNC_VALUE(vm, 0));
}

TEST_F(lapic, x2apic_msrs)
{
	struct kg_vm *vm = &self->vm;

	NEED_IRQCHIP();
	if (!kg_cpuid_has(vm, 1, KG_ECX, CPUID1_ECX_X2APIC))
		SKIP(return, "no x2APIC in the supported CPUID");
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_x2apic));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_EXTD,
		  KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* x2APIC ID */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* same version */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* LDR of ID 0 */
	EXPECT_EQ(0xffffffff, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* SELF_IPI */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* ICR self */
	EXPECT_EQ(3, KG_SYNC_VALUE(vm, 0));	/* two more #GP */
	KG_ASSERT_DONE(vm, 0);
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, int reg)
{
	uint32_t v;

	memcpy(&v, s->regs + reg, 4);
	return v;
}

/* Run the periodic guest until @more further ticks; the ticks so far. */
static uint64_t more_ticks(struct __test_metadata *_metadata,
			   struct kg_vm *vm, uint64_t more)
{
	KG_GUEST(vm, tick_target) = KG_GUEST(vm, ticks) + more;
	return KG_SYNC_VALUE(vm, 0);
}

#define PERIOD_COUNT	1000000		/* 2 ms at divide-by-2 */

TEST_F(lapic, get_set_lapic_while_timer_runs)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_lapic_state s, back;
	uint64_t n;

	NEED_IRQCHIP();
	KG_GUEST(vm, p_tdcr) = APIC_TDR_DIV_2;
	KG_GUEST(vm, p_count) = PERIOD_COUNT;
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_periodic_forever));
	n = more_ticks(_metadata, vm, 3);
	EXPECT_LE(3, n);

	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(0, lapic_reg(&s, APIC_ID) >> 24);
	EXPECT_EQ(APIC_LVT_PERIODIC | TIMER_VEC, lapic_reg(&s, APIC_LVTT));
	EXPECT_EQ(PERIOD_COUNT, lapic_reg(&s, APIC_TMICT));
	EXPECT_EQ(APIC_TDR_DIV_2, lapic_reg(&s, APIC_TDCR) & 0xb);
	EXPECT_EQ(APIC_SPIV_ENABLE | 0xff, lapic_reg(&s, APIC_SPIV));
	/* The current count is part of the state. */
	EXPECT_GE(PERIOD_COUNT, lapic_reg(&s, APIC_TMCCT));
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_SET_LAPIC, &s));
	EXPECT_LE(n + 3, more_ticks(_metadata, vm, 3));

	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_LAPIC, &back));
	EXPECT_EQ(lapic_reg(&s, APIC_LVTT), lapic_reg(&back, APIC_LVTT));
	EXPECT_EQ(lapic_reg(&s, APIC_TMICT), lapic_reg(&back, APIC_TMICT));
	EXPECT_EQ(lapic_reg(&s, APIC_LVR), lapic_reg(&back, APIC_LVR));

	/* A masked LVTT written back stops the ticks. */
	memcpy(back.regs + APIC_LVTT, &(uint32_t){ APIC_LVT_MASKED |
		APIC_LVT_PERIODIC | TIMER_VEC }, 4);
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_SET_LAPIC, &back));
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(APIC_LVT_MASKED | APIC_LVT_PERIODIC | TIMER_VEC,
		  lapic_reg(&s, APIC_LVTT));

	EXPECT_EQ(-1, ioctl(vm->v[0].fd, KVM_GET_LAPIC, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(vm->v[0].fd, KVM_SET_LAPIC, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * Migration: the vCPU's registers, events and LAPIC and all guest memory
 * into a fresh VM; the source goes away and the guest's periodic timer
 * keeps ticking in the new one.
 */
TEST_F(lapic, migrate_running_timer)
{
	struct kg_vm *src = &self->vm, dst;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events ev;
	struct kvm_lapic_state s, d;
	uint64_t n;

	NEED_IRQCHIP();
	KG_GUEST(src, p_tdcr) = APIC_TDR_DIV_2;
	KG_GUEST(src, p_count) = PERIOD_COUNT;
	ASSERT_EQ(0, kg_vcpu_enter(src, 0, guest_periodic_forever));
	n = more_ticks(_metadata, src, 3);

	/*
	 * The guest's OUT completes in the next KVM_RUN (RIP still points
	 * at it): finish it with immediate_exit before saving the state.
	 */
	src->v[0].run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(src->v[0].fd, src->v[0].run));
	src->v[0].run->immediate_exit = 0;
	ASSERT_EQ(0, kt_get_regs(src->v[0].fd, &regs));
	ASSERT_EQ(0, kt_get_sregs(src->v[0].fd, &sregs));
	ASSERT_EQ(0, ioctl(src->v[0].fd, KVM_GET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(src->v[0].fd, KVM_GET_LAPIC, &s));

	ASSERT_EQ(0, kg_vm_create(&dst, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_create(&dst, 0));
	memcpy(dst.low, src->low, KG_LOW_SIZE);
	ASSERT_EQ(src->image_size, dst.image_size);
	memcpy(dst.image, src->image, dst.image_size);
	kg_vm_destroy(src);

	ASSERT_EQ(0, kt_set_sregs(dst.v[0].fd, &sregs));
	ASSERT_EQ(0, kt_set_regs(dst.v[0].fd, &regs));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_SET_LAPIC, &s));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_GET_LAPIC, &d));
	EXPECT_EQ(lapic_reg(&s, APIC_LVTT), lapic_reg(&d, APIC_LVTT));
	EXPECT_EQ(PERIOD_COUNT, lapic_reg(&d, APIC_TMICT));

	EXPECT_LE(n + 3, more_ticks(_metadata, &dst, 3));
	EXPECT_LE(n + 6, more_ticks(_metadata, &dst, 3));
	kg_vm_destroy(&dst);
}

/* Without KVM_CREATE_IRQCHIP there is no LAPIC state. */
TEST(lapic_state_needs_irqchip)
{
	struct kg_vm vm;
	struct kvm_lapic_state s;

	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm.v[0].fd, KVM_GET_LAPIC, &s));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(vm.v[0].fd, KVM_SET_LAPIC, &s));
	EXPECT_EQ(EINVAL, errno);
	kg_vm_destroy(&vm);
}

TEST_HARNESS_MAIN
