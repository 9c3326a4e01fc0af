// SPDX-License-Identifier: GPL-2.0
/*
 * Four vCPUs with the in-kernel irqchip: APs start in
 * KVM_MP_STATE_UNINITIALIZED and come up through INIT and SIPI sent by
 * vCPU 0 (real mode at vector << 12, reporting from there), or through
 * KVM_SET_MP_STATE(RUNNABLE); IPIs between the vCPUs (fixed physical,
 * logical flat and cluster, physical broadcast, the self / all /
 * all-but-self shorthands, lowest priority, NMI, and a destination no one
 * has) each counted by its receivers in shared guest memory and checked by
 * the sender.  One host thread per vCPU.
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

#define NR_VCPUS	4
#define VEC_WAKE	0x3d
#define VEC_RECONF	0x3e
#define VEC_PHYS	0x40
#define VEC_FLAT	0x41
#define VEC_CLUSTER	0x42
#define VEC_BCAST	0x43
#define VEC_SELF	0x44
#define VEC_ALL		0x45
#define VEC_BUT_SELF	0x46
#define VEC_LOWEST	0x47
#define VEC_NOBODY	0x48
#define VEC_MOVED_ID	0x49
#define NMI_VEC		2

#define DFR_FLAT	0xffffffffU
#define DFR_CLUSTER	0x0fffffffU

/* ---- guest ---- */

static volatile uint64_t timeout_tsc;		/* set by the host */
static volatile uint64_t alive[KG_MAX_VCPUS], alive_apic_id[KG_MAX_VCPUS];
static volatile uint64_t recv[KG_MAX_VCPUS][256];
static volatile uint64_t nmis[KG_MAX_VCPUS];
static volatile uint64_t acks[KG_MAX_VCPUS];
static volatile uint32_t cfg_dfr, cfg_ldr[KG_MAX_VCPUS];
static volatile bool stop;

static void count_ipi(struct kg_frame *f)
{
	kg_atomic_inc(&recv[kg_cpu_id()][f->vector & 0xff]);
	xapic_write(APIC_EOI, 0);
}

static void count_nmi(struct kg_frame *f)
{
	(void)f;
	kg_atomic_inc(&nmis[kg_cpu_id()]);
}

static void set_logical_id(void)
{
	xapic_write(APIC_DFR, cfg_dfr);
	xapic_write(APIC_LDR, cfg_ldr[kg_cpu_id()]);
}

static void reconfigure(struct kg_frame *f)
{
	(void)f;
	set_logical_id();
	kg_atomic_inc(&acks[kg_cpu_id()]);
	xapic_write(APIC_EOI, 0);
}

static void just_eoi(struct kg_frame *f)
{
	(void)f;
	xapic_write(APIC_EOI, 0);
}

/* Spin until *@p >= @n or the timeout: the last value seen. */
static uint64_t wait_for(volatile uint64_t *p, uint64_t n)
{
	uint64_t t0 = kg_rdtsc();

	while (*p < n && kg_rdtsc() - t0 < timeout_tsc)
		kg_pause();
	return *p;
}

static uint64_t sum(volatile uint64_t *a)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		s += a[i];
	return s;
}

static uint64_t wait_sum(volatile uint64_t *a, uint64_t n)
{
	uint64_t t0 = kg_rdtsc();

	while (sum(a) < n && kg_rdtsc() - t0 < timeout_tsc)
		kg_pause();
	return sum(a);
}

/* After the expected IPIs arrived, let any extra ones arrive too. */
static void settle(void)
{
	uint64_t t0 = kg_rdtsc();

	while (kg_rdtsc() - t0 < timeout_tsc / 50)
		kg_pause();
}

/* An AP: checks in, then takes IPIs halted until told to stop. */
static void ap_main(void)
{
	uint64_t id = kg_cpu_id();

	alive_apic_id[id] = xapic_read(APIC_ID) >> 24;
	xapic_enable();
	set_logical_id();
	kg_atomic_inc(&alive[id]);
	kg_cli();
	while (!stop) {
		kg_safe_halt();
		kg_cli();
	}
}

/* vCPU 0: INIT, SIPI to every AP, then wait for them. */
static void bsp_init_sipi(void)
{
	int id;

	xapic_enable();
	kg_sti();		/* nothing comes; a spin with IF=1 yields */
	for (id = 1; id < NR_VCPUS; id++) {
		xapic_send_ipi(id, APIC_DM_INIT | APIC_LEVEL_ASSERT |
				   APIC_TRIGGER_LEVEL);
		xapic_send_ipi(id, APIC_DM_INIT | APIC_TRIGGER_LEVEL);
		xapic_send_ipi(id, APIC_DM_STARTUP | KG_SIPI_VECTOR);
	}
	GUEST_SYNC(wait_sum(alive, NR_VCPUS - 1));
	stop = true;
	xapic_send_ipi(0, APIC_DEST_ALL_BUT_SELF | VEC_WAKE);
}

/* Expect recv[i][@vector] == bit i of @mask for every vCPU. */
static void expect_receivers(int vector, uint32_t mask)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		if (mask & (1U << i))
			wait_for(&recv[i][vector], 1);
	settle();
	for (i = 0; i < NR_VCPUS; i++) {
		uint64_t want = mask >> i & 1;

		if (recv[i][vector] != want)
			__kg_abort(__FILE__, __LINE__,
				   "IPI count (vector, vCPU, count)",
				   vector, (uint64_t)i << 32 | recv[i][vector]);
	}
}

static void set_all_logical(uint32_t dfr, uint32_t ldr0, uint32_t ldr1,
			    uint32_t ldr2, uint32_t ldr3)
{
	uint64_t before = sum(acks);

	cfg_dfr = dfr;
	cfg_ldr[0] = ldr0;
	cfg_ldr[1] = ldr1;
	cfg_ldr[2] = ldr2;
	cfg_ldr[3] = ldr3;
	set_logical_id();
	xapic_send_ipi(0, APIC_DEST_ALL_BUT_SELF | VEC_RECONF);
	GUEST_ASSERT_EQ(wait_sum(acks, before + NR_VCPUS - 1),
			before + NR_VCPUS - 1);
}

/* vCPU 0: one kind of IPI after the other, each counted. */
static void bsp_ipis(void)
{
	xapic_enable();
	kg_sti();
	GUEST_ASSERT_EQ(wait_sum(alive, NR_VCPUS - 1), NR_VCPUS - 1);

	/* Fixed, physical destination 2. */
	xapic_send_ipi(2, VEC_PHYS);
	expect_receivers(VEC_PHYS, 1U << 2);
	GUEST_SYNC(1);

	/* Logical, flat model: one bit per vCPU; 1 and 3. */
	set_all_logical(DFR_FLAT, 1U << 24, 2U << 24, 4U << 24, 8U << 24);
	xapic_send_ipi(0x0a, APIC_DEST_LOGICAL | VEC_FLAT);
	expect_receivers(VEC_FLAT, 0xa);
	GUEST_SYNC(2);

	/*
	 * Logical, cluster model: vCPUs 0, 1 in cluster 1, 2 and 3 in
	 * cluster 2; cluster 2 member 2 (vCPU 3) and cluster 1 member 1
	 * (vCPU 1) are two IPIs.
	 */
	set_all_logical(DFR_CLUSTER, 0x11U << 24, 0x12U << 24, 0x21U << 24,
			0x22U << 24);
	xapic_send_ipi(0x22, APIC_DEST_LOGICAL | VEC_CLUSTER);
	xapic_send_ipi(0x12, APIC_DEST_LOGICAL | VEC_CLUSTER);
	expect_receivers(VEC_CLUSTER, 0xa);
	GUEST_SYNC(3);

	/* Back to flat for lowest priority below. */
	set_all_logical(DFR_FLAT, 1U << 24, 2U << 24, 4U << 24, 8U << 24);

	/* Physical broadcast (0xff) includes the sender. */
	xapic_send_ipi(0xff, VEC_BCAST);
	expect_receivers(VEC_BCAST, 0xf);
	GUEST_SYNC(4);

	/* Shorthands. */
	xapic_send_ipi(0, APIC_DEST_SELF | VEC_SELF);
	expect_receivers(VEC_SELF, 0x1);
	xapic_send_ipi(0, APIC_DEST_ALL | VEC_ALL);
	expect_receivers(VEC_ALL, 0xf);
	xapic_send_ipi(0, APIC_DEST_ALL_BUT_SELF | VEC_BUT_SELF);
	expect_receivers(VEC_BUT_SELF, 0xe);
	GUEST_SYNC(5);

	/* Lowest priority among vCPUs 1-3: exactly one of them. */
	xapic_send_ipi(0x0e, APIC_DEST_LOGICAL | APIC_DM_LOWEST | VEC_LOWEST);
	{
		uint64_t t0 = kg_rdtsc();

		while (!(recv[1][VEC_LOWEST] | recv[2][VEC_LOWEST] |
			 recv[3][VEC_LOWEST]) &&
		       kg_rdtsc() - t0 < timeout_tsc)
			kg_pause();
	}
	settle();
	GUEST_ASSERT_EQ(recv[0][VEC_LOWEST], 0);
	GUEST_ASSERT_EQ(recv[1][VEC_LOWEST] + recv[2][VEC_LOWEST] +
			recv[3][VEC_LOWEST], 1);
	GUEST_SYNC(6);

	/* NMI to vCPU 3. */
	xapic_send_ipi(3, APIC_DM_NMI);
	wait_for(&nmis[3], 1);
	settle();
	GUEST_ASSERT_EQ(nmis[0] + nmis[1] + nmis[2], 0);
	GUEST_ASSERT_EQ(nmis[3], 1);
	GUEST_SYNC(7);

	/* A physical destination no vCPU has. */
	xapic_send_ipi(9, VEC_NOBODY);
	expect_receivers(VEC_NOBODY, 0);
	GUEST_SYNC(8);

	/*
	 * vCPU 0 moves to xAPIC ID 9: an IPI to 9 reaches it, one to its
	 * old ID 0 nobody.
	 */
	xapic_write(APIC_ID, 9U << 24);
	xapic_send_ipi(9, VEC_MOVED_ID);
	expect_receivers(VEC_MOVED_ID, 0x1);
	xapic_send_ipi(0, VEC_MOVED_ID);
	expect_receivers(VEC_MOVED_ID, 0x1);
	xapic_write(APIC_ID, 0);
	GUEST_SYNC(9);

	stop = true;
	xapic_send_ipi(0, APIC_DEST_ALL_BUT_SELF | VEC_WAKE);
}

/* An AP made runnable by KVM_SET_MP_STATE: report its ID, done. */
static void ap_hello(void)
{
	GUEST_SYNC(kg_cpu_id() << 8 | xapic_read(APIC_ID) >> 24);
}

/* ---- host ---- */

struct vcpu_thread {
	struct kg_vm *vm;
	int id;
	pthread_t th;
	int status;			/* the last kg_run() status */
	struct kg_ucall uc;
	uint64_t syncs[16];		/* GUEST_SYNC values, in order */
	int nsyncs;
	struct kvm_sregs first_sregs;	/* at the first SYNC */
	int eagain;
};

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;

	for (;;) {
		t->status = kg_run(t->vm, t->id, &t->uc);
		/*
		 * In-tree KVM returns EAGAIN from a KVM_RUN that waited in
		 * UNINITIALIZED once INIT or SIPI arrives; run again.
		 */
		if (t->status == -EAGAIN && t->eagain++ < 10)
			continue;
		if (t->status != KG_SYNC)
			break;
		if (t->nsyncs == 0)
			kt_get_sregs(t->vm->v[t->id].fd, &t->first_sregs);
		if (t->nsyncs < (int)ARRAY_SIZE(t->syncs))
			t->syncs[t->nsyncs++] = t->uc.args[0];
	}
	return NULL;
}

FIXTURE(smp) {
	struct kg_vm vm;
	struct vcpu_thread t[NR_VCPUS];
	bool have_mp_state;
	bool no_irqchip;
};

/*
 * A SKIP() in the fixture's setup does not stop the test body (the
 * harness only stops on failures), so the bodies check this.
 */
#define NEED_IRQCHIP()							\
	do {								\
		if (self->no_irqchip)					\
			SKIP(return, "no KVM_CAP_IRQCHIP");		\
	} while (0)

FIXTURE_SETUP(smp)
{
	struct kg_vm *vm = &self->vm;
	int sys_fd = kt_open_dev(), i;
	long khz = 0;

	ASSERT_LE(0, sys_fd);
	if (kt_check_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0) {
		close(sys_fd);
		self->no_irqchip = true;
		return;
	}
	self->have_mp_state = kt_check_cap(sys_fd, KVM_CAP_MP_STATE) > 0;
	close(sys_fd);
	ASSERT_EQ(0, kg_vm_create(vm, KG_IRQCHIP));
	for (i = 0; i < NR_VCPUS; i++) {
		ASSERT_EQ(0, kg_vcpu_create(vm, i));
		self->t[i].vm = vm;
		self->t[i].id = i;
	}
	kg_set_handler(vm, VEC_WAKE, just_eoi);
	kg_set_handler(vm, VEC_RECONF, reconfigure);
	kg_set_handler(vm, NMI_VEC, count_nmi);
	for (i = VEC_PHYS; i <= VEC_MOVED_ID; i++)
		kg_set_handler(vm, i, count_ipi);
	if (kt_check_cap(vm->sys_fd, KVM_CAP_GET_TSC_KHZ) > 0)
		khz = ioctl(vm->v[0].fd, KVM_GET_TSC_KHZ);
	/* 10 s (or about that at 3 GHz). */
	KG_GUEST(vm, timeout_tsc) = (khz > 0 ? (uint64_t)khz : 3000000) *
				     10000;
	/* Flat model, one bit per vCPU, until a test changes it. */
	KG_GUEST(vm, cfg_dfr) = DFR_FLAT;
	for (i = 0; i < NR_VCPUS; i++)
		KG_GUEST(vm, cfg_ldr[i]) = (1U << i) << 24;
}

FIXTURE_TEARDOWN(smp)
{
	if (!self->no_irqchip)
		kg_vm_destroy(&self->vm);
}

static void start_threads(struct __test_metadata *_metadata,
			  FIXTURE_DATA(smp) *self)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		ASSERT_EQ(0, pthread_create(&self->t[i].th, NULL,
					    vcpu_thread_fn, &self->t[i]));
}

/* Join every vCPU thread; each must have ended in GUEST_DONE. */
static void join_threads(struct __test_metadata *_metadata,
			 FIXTURE_DATA(smp) *self)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct timespec ts;
	int i;

	/*
	 * vCPU 0 always finishes (its waits time out).  An AP still in
	 * KVM_RUN 10 s later (say vCPU 0 failed before waking it) is kicked
	 * out by signals: its KVM_RUN fails with EINTR.
	 */
	pthread_join(self->t[0].th, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 1; i < NR_VCPUS; i++) {
		int tries = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		while (pthread_timedjoin_np(self->t[i].th, NULL, &ts)) {
			pthread_kill(self->t[i].th, SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			tries++;
		}
		if (tries)
			TH_LOG("vCPU %d kicked out of KVM_RUN", i);
	}
	for (i = 0; i < NR_VCPUS; i++) {
		if (self->t[i].status != KG_DONE)
			kg_report(&self->vm, i, self->t[i].status,
				  &self->t[i].uc);
		EXPECT_EQ(KG_DONE, self->t[i].status);
	}
}

static int get_mp_state(struct kg_vm *vm, int id)
{
	struct kvm_mp_state mp;

	if (ioctl(vm->v[id].fd, KVM_GET_MP_STATE, &mp))
		return -errno;
	return mp.mp_state;
}

static int set_mp_state(struct kg_vm *vm, int id, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return ioctl(vm->v[id].fd, KVM_SET_MP_STATE, &mp) ? -errno : 0;
}

/*
 * APs wait in UNINITIALIZED; vCPU 0's INIT and SIPI start them in real
 * mode at KG_SIPI_VECTOR << 12, where the trampoline reports first.
 */
TEST_F_TIMEOUT(smp, init_sipi_bringup, 120)
{
	struct kg_vm *vm = &self->vm;
	int i;

	NEED_IRQCHIP();

	if (self->have_mp_state) {
		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(vm, 0));
		for (i = 1; i < NR_VCPUS; i++)
			EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED,
				  get_mp_state(vm, i));
	}
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, bsp_init_sipi));
	kg_set_ap_entry(vm, ap_main);
	start_threads(_metadata, self);
	join_threads(_metadata, self);

	ASSERT_EQ(1, self->t[0].nsyncs);
	EXPECT_EQ(NR_VCPUS - 1, self->t[0].syncs[0]);
	for (i = 1; i < NR_VCPUS; i++) {
		struct kvm_sregs *s = &self->t[i].first_sregs;

		ASSERT_EQ(1, self->t[i].nsyncs);
		EXPECT_EQ(KG_SYNC_TRAMPOLINE, self->t[i].syncs[0]);
		/* Real mode, CS at the SIPI vector's page. */
		EXPECT_EQ(0, s->cr0 & 1);
		EXPECT_EQ(KG_SIPI_VECTOR << 8, s->cs.selector);
		EXPECT_EQ(KG_TRAMPOLINE, s->cs.base);
		EXPECT_EQ(1, KG_GUEST(vm, alive[i]));
		EXPECT_EQ(i, KG_GUEST(vm, alive_apic_id[i]));
	}
	if (self->have_mp_state)
		for (i = 0; i < NR_VCPUS; i++)
			EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(vm, i));
}

/* KVM_SET_MP_STATE(RUNNABLE) starts an AP where its registers say. */
TEST_F(smp, set_mp_state_runnable)
{
	struct kg_vm *vm = &self->vm;
	int i;

	NEED_IRQCHIP();

	if (!self->have_mp_state)
		SKIP(return, "no KVM_CAP_MP_STATE");
	for (i = 1; i < NR_VCPUS; i++) {
		ASSERT_EQ(0, kg_vcpu_enter(vm, i, ap_hello));
		/* Registers set: still waiting for SIPI. */
		EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, get_mp_state(vm, i));
		ASSERT_EQ(0, set_mp_state(vm, i, KVM_MP_STATE_RUNNABLE));
		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(vm, i));
		KG_ASSERT_SYNC(vm, i, (uint64_t)i << 8 | i);
		KG_ASSERT_DONE(vm, i);
	}
	EXPECT_EQ(-EFAULT, ioctl(vm->v[0].fd, KVM_GET_MP_STATE, (void *)8) ?
			   -errno : 0);
	EXPECT_EQ(-EFAULT, ioctl(vm->v[0].fd, KVM_SET_MP_STATE, (void *)8) ?
			   -errno : 0);
}

/* Without an in-kernel LAPIC only RUNNABLE can be set. */
TEST(mp_state_without_irqchip)
{
	struct kg_vm vm;
	int sys_fd = kt_open_dev();

	ASSERT_LE(0, sys_fd);
	if (kt_check_cap(sys_fd, KVM_CAP_MP_STATE) <= 0) {
		close(sys_fd);
		SKIP(return, "no KVM_CAP_MP_STATE");
	}
	close(sys_fd);
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&vm, 1));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp_state(&vm, 1));
	EXPECT_EQ(-EINVAL, set_mp_state(&vm, 1, KVM_MP_STATE_HALTED));
	EXPECT_EQ(-EINVAL, set_mp_state(&vm, 1, KVM_MP_STATE_UNINITIALIZED));
	EXPECT_EQ(0, set_mp_state(&vm, 1, KVM_MP_STATE_RUNNABLE));
	kg_vm_destroy(&vm);
}

/* Every kind of IPI from vCPU 0 reaches exactly the vCPUs it names. */
TEST_F_TIMEOUT(smp, ipis, 180)
{
	struct kg_vm *vm = &self->vm;
	int i;

	NEED_IRQCHIP();

	if (!self->have_mp_state)
		SKIP(return, "no KVM_CAP_MP_STATE to start the APs");
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, bsp_ipis));
	for (i = 1; i < NR_VCPUS; i++) {
		ASSERT_EQ(0, kg_vcpu_enter(vm, i, ap_main));
		ASSERT_EQ(0, set_mp_state(vm, i, KVM_MP_STATE_RUNNABLE));
	}
	start_threads(_metadata, self);
	join_threads(_metadata, self);
	EXPECT_EQ(9, self->t[0].nsyncs);
	EXPECT_EQ(1, KG_GUEST(vm, recv[2][VEC_PHYS]));
	EXPECT_EQ(1, KG_GUEST(vm, nmis[3]));
}

TEST_HARNESS_MAIN
