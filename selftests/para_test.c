// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual interface (kvmod-para.ko): the CPUID signature and
 * features in KVM_GET_SUPPORTED_CPUID and in the guest, kvmclock (the
 * pvclock structure of each vCPU, one clock across vCPUs advancing at
 * the host's rate, the wall clock, KVM_GET/SET_CLOCK, KVM_KVMCLOCK_CTRL)
 * and the hypercalls (results, KVM_EXIT_HYPERCALL, KVM_HC_KICK_CPU
 * ending a halt, bad arguments). Skips when the hypervisor offers no KVM
 * signature (kvmod without kvmod-para: module_test covers that case).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm_para.h>

#include "kt_harness.h"
#include "guest.h"

#define PV_CLOCKS	KG_FREE			/* 64 bytes per vCPU */
#define PV_WALL		(KG_FREE + 0x1000)
#define PV_PAIRING	(KG_FREE + 0x2000)
#define SEED_STATE	(KG_FREE + 0x3000)	/* page aligned */
#define SEED_HC		(KG_FREE + 0x4000)	/* the hypercall stub */
#define SEED_MAGIC	0x87655678
#define PV_STEAL	(KG_FREE + 0x5000)	/* 64-byte aligned */
#define PV_EOI		(KG_FREE + 0x6000)
#define PV_EOI_VECTOR	0x50
#define PV_EOI_ROUNDS	20

#define PVCLOCK_TSC_STABLE	0x01
#define PVCLOCK_STOPPED		0x02

struct pvti {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct pv_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

/* ---- guest ---- */

static volatile uint64_t hc_nr, hc_a0, hc_a1, hc_a2, hc_a3;

static bool guest_is_amd(void)
{
	uint32_t a, b, c, d;

	kg_cpuid(0, 0, &a, &b, &c, &d);
	return b == 0x68747541;		/* "Auth" */
}

/* The hypercall instruction of the CPU the guest runs on. */
static uint64_t guest_hypercall4(uint64_t nr, uint64_t a0, uint64_t a1,
				 uint64_t a2, uint64_t a3)
{
	uint64_t ret;

	if (guest_is_amd())
		asm volatile("vmmcall" : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "memory");
	else
		asm volatile("vmcall" : "=a"(ret)
			     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "memory");
	return ret;
}

static uint64_t guest_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
				uint64_t a2)
{
	return guest_hypercall4(nr, a0, a1, a2, 0);
}

static volatile struct pvti *my_pvti(void)
{
	return (volatile struct pvti *)(PV_CLOCKS + kg_cpu_id() * 64);
}

/* The kvmclock as a guest reads it, and the flags it saw. */
static uint64_t pvclock_read(volatile struct pvti *p, uint8_t *flags)
{
	uint64_t delta, t;
	uint32_t v;

	do {
		v = p->version;
		asm volatile("" ::: "memory");
		delta = kg_rdtsc() - p->tsc_timestamp;
		if (p->shift < 0)
			delta >>= -p->shift;
		else
			delta <<= p->shift;
		t = p->system_time +
		    (uint64_t)(((__uint128_t)delta * p->mul) >> 32);
		*flags = p->flags;
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != p->version);
	return t;
}

static void guest_cpuid_sig(void)
{
	uint32_t a, b, c, d;

	kg_cpuid(0x40000000, 0, &a, &b, &c, &d);
	GUEST_SYNC(a);
	GUEST_SYNC(b);
	GUEST_SYNC(c);
	GUEST_SYNC(d);
	kg_cpuid(0x40000001, 0, &a, &b, &c, &d);
	GUEST_SYNC(a);
}

/* Enable kvmclock, then report its reading at every request. */
static void guest_kvmclock(void)
{
	volatile struct pvti *p = my_pvti();
	uint8_t flags;

	kg_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)p | 1);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_SYSTEM_TIME_NEW),
			(uint64_t)(uintptr_t)p | 1);
	GUEST_ASSERT_EQ(p->version & 1, 0);
	GUEST_ASSERT(p->version != 0);
	GUEST_ASSERT(p->mul != 0);
	for (;;) {
		uint64_t t = pvclock_read(p, &flags);

		GUEST_SYNC(t);
		GUEST_SYNC(flags);
	}
}

static volatile uint64_t poll_gp;

static void poll_gp_handler(struct kg_frame *f)
{
	poll_gp++;
	f->rip += 2;			/* WRMSR */
}

static void guest_poll_control(void)
{
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_POLL_CONTROL), 1);
	kg_wrmsr(MSR_KVM_POLL_CONTROL, 0);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_POLL_CONTROL), 0);
	/* Only bit 0 exists. */
	kg_wrmsr(MSR_KVM_POLL_CONTROL, 2);
	GUEST_ASSERT_EQ(poll_gp, 1);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_POLL_CONTROL), 0);
}

static volatile uint64_t steal_gp;

static void steal_gp_handler(struct kg_frame *f)
{
	steal_gp++;
	f->rip += 2;			/* WRMSR */
}

/* Register steal time, then report it (and its version) on request. */
static void guest_steal_time(void)
{
	volatile struct kvm_steal_time *st = (void *)PV_STEAL;

	kg_wrmsr(MSR_KVM_STEAL_TIME, PV_STEAL | 2 | 1);	/* reserved */
	GUEST_ASSERT_EQ(steal_gp, 1);
	kg_wrmsr(MSR_KVM_STEAL_TIME, PV_STEAL | 1);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_STEAL_TIME), PV_STEAL | 1);
	for (;;) {
		uint32_t v = st->version;
		uint64_t steal = st->steal;

		if (v != st->version || (v & 1))
			continue;
		GUEST_SYNC(steal);
	}
}

#define NO_MEMORY	0xfff000000ULL	/* no memslot there */

/* PV areas outside guest memory: accepted, nothing written, no #GP. */
static void guest_bad_areas(void)
{
	kg_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, NO_MEMORY | 1);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_SYSTEM_TIME_NEW), NO_MEMORY | 1);
	kg_wrmsr(MSR_KVM_WALL_CLOCK_NEW, NO_MEMORY);
	kg_wrmsr(MSR_KVM_STEAL_TIME, NO_MEMORY | 1);
	/* Entries go on (clock and steal updates find nothing to write). */
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	kg_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	kg_wrmsr(MSR_KVM_STEAL_TIME, 0);
}

static volatile uint64_t pv_eoi_irqs, pv_eoi_taken, pv_eoi_gp;

static void pv_eoi_gp_handler(struct kg_frame *f)
{
	pv_eoi_gp++;
	f->rip += 2;			/* WRMSR */
}

/* The guest's EOI: by clearing the PV EOI bit when it is set. */
static void pv_eoi_handler(struct kg_frame *f)
{
	volatile uint8_t *bit = (volatile uint8_t *)PV_EOI;

	(void)f;
	pv_eoi_irqs++;
	if (__atomic_fetch_and(bit, (uint8_t)~1, __ATOMIC_SEQ_CST) & 1)
		pv_eoi_taken++;
	else
		xapic_write(APIC_EOI, 0);
}

static void guest_pv_eoi(void)
{
	int i;

	xapic_enable();
	kg_wrmsr(MSR_KVM_PV_EOI_EN, PV_EOI + 2 + 1);	/* not aligned */
	GUEST_ASSERT_EQ(pv_eoi_gp, 1);
	kg_wrmsr(MSR_KVM_PV_EOI_EN, NO_MEMORY + 1);	/* no memory */
	GUEST_ASSERT_EQ(pv_eoi_gp, 2);
	kg_wrmsr(MSR_KVM_PV_EOI_EN, PV_EOI + 1);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_PV_EOI_EN), PV_EOI + 1);
	/*
	 * Each self-IPI is taken only when the last one was ended: an EOI
	 * by memory the host did not see would leave it in service.
	 */
	for (i = 0; i < PV_EOI_ROUNDS; i++) {
		xapic_write(APIC_ICR, APIC_DM_FIXED | (1U << 18) |
			    PV_EOI_VECTOR);
		kg_irq_window();
	}
	GUEST_SYNC(pv_eoi_irqs);
	GUEST_SYNC(pv_eoi_taken);
	GUEST_ASSERT_EQ(xapic_read(APIC_ISR + 0x20) & (1U << 16), 0);
}

static void guest_wall_clock(void)
{
	volatile struct pv_wall *w = (volatile struct pv_wall *)PV_WALL;

	kg_wrmsr(MSR_KVM_WALL_CLOCK_NEW, PV_WALL);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_WALL_CLOCK_NEW), PV_WALL);
	GUEST_ASSERT_EQ(w->version & 1, 0);
	GUEST_ASSERT(w->version != 0);
	GUEST_SYNC(w->sec);
}

/* A wall clock at 0 is off: nothing is written at GPA 0. */
static void guest_wall_clock_zero(void)
{
	kg_wrmsr(MSR_KVM_WALL_CLOCK_NEW, 0);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_WALL_CLOCK_NEW), 0);
	kg_wrmsr(MSR_KVM_WALL_CLOCK, 0);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_WALL_CLOCK), 0);
	GUEST_SYNC(1);
	kg_wrmsr(MSR_KVM_WALL_CLOCK_NEW, NO_MEMORY);
	GUEST_ASSERT_EQ(kg_rdmsr(MSR_KVM_WALL_CLOCK_NEW), NO_MEMORY);
	kg_wrmsr(MSR_KVM_WALL_CLOCK, NO_MEMORY + 0x40);
	GUEST_SYNC(2);
}

/* Run the hypercall the host put into hc_*, report RAX. */
static void guest_hypercalls(void)
{
	for (;;)
		GUEST_SYNC(guest_hypercall4(hc_nr, hc_a0, hc_a1, hc_a2,
					    hc_a3));
}

/* An AP that halts with interrupts off: only a PV kick ends that. */
static void guest_halt_until_kicked(void)
{
	xapic_enable();
	GUEST_SYNC(1);
	kg_hlt();
	GUEST_SYNC(2);
}

/*
 * The other vendor's hypercall instruction, at labels the host can find:
 * it is rewritten to the native one, and the call works.
 */
extern const unsigned char foreign_vmcall[], foreign_vmmcall[];

static __attribute__((noinline)) uint64_t guest_foreign_hypercall(uint64_t nr)
{
	uint64_t ret;

	if (guest_is_amd())
		asm volatile(".globl foreign_vmcall\n"
			     "foreign_vmcall: vmcall"
			     : "=a"(ret) : "a"(nr) : "memory");
	else
		asm volatile(".globl foreign_vmmcall\n"
			     "foreign_vmmcall: vmmcall"
			     : "=a"(ret) : "a"(nr) : "memory");
	return ret;
}

static void guest_foreign(void)
{
	GUEST_SYNC(guest_foreign_hypercall(KVM_HC_VAPIC_POLL_IRQ));
	GUEST_SYNC(guest_foreign_hypercall(0x7777));
}

/* struct kvm_vcpu_para_state of the seed ABI (Linux 2.6.23). */
struct seed_state {
	uint32_t guest_version;
	uint32_t host_version;
	uint32_t size;
	uint32_t ret;
	uint64_t hypercall_gpa;
};

static volatile uint64_t seed_gp;

static void seed_gp_handler(struct kg_frame *f)
{
	seed_gp++;
	f->rip += 2;			/* WRMSR */
}

static void guest_seed(void)
{
	volatile struct seed_state *st = (void *)SEED_STATE;
	uint64_t ret;

	/* The probe: no #GP, nothing registered yet. */
	GUEST_SYNC(kg_rdmsr(SEED_MAGIC));
	/* Not page aligned: #GP. */
	kg_wrmsr(SEED_MAGIC, SEED_STATE + 8);
	GUEST_ASSERT_EQ(seed_gp, 1);
	/* A version the host does not know: KVM_EINVAL. */
	st->guest_version = 2;
	st->size = sizeof(*st);
	st->hypercall_gpa = SEED_HC;
	kg_wrmsr(SEED_MAGIC, SEED_STATE);
	GUEST_SYNC(st->ret);
	GUEST_SYNC(st->host_version);
	GUEST_SYNC(kg_rdmsr(SEED_MAGIC));
	/* Version 1: registered, the stub patched. */
	st->guest_version = 1;
	st->ret = 55;
	kg_wrmsr(SEED_MAGIC, SEED_STATE);
	GUEST_SYNC(st->ret);
	GUEST_SYNC(kg_rdmsr(SEED_MAGIC));
	/* Set right before the call: calls in between clobber them. */
	register uint64_t r8 asm("r8") = 5;
	register uint64_t r9 asm("r9") = 6;
	asm volatile("call *%[fn]"
		     : "=a"(ret)
		     : [fn] "r"(SEED_HC), "a"(42), "D"(1), "S"(2), "d"(3),
		       "c"(4), "r"(r8), "r"(r9)
		     : "memory");
	GUEST_SYNC(ret);
}

#define PV_IPI_VECTOR	0x40

static volatile uint64_t pv_ipis;

static void count_pv_ipi(struct kg_frame *f)
{
	(void)f;
	pv_ipis++;
	xapic_write(APIC_EOI, 0);
}

/* vCPU 1: wait for the IPI with interrupts on, report the count. */
static void guest_wait_pv_ipi(void)
{
	xapic_enable();
	GUEST_SYNC(1);
	while (!pv_ipis)
		kg_safe_halt();
	kg_cli();
	GUEST_SYNC(pv_ipis);
}

static void guest_send_pv_ipi(void)
{
	/* Logical destination and shorthands are refused. */
	GUEST_SYNC(guest_hypercall4(KVM_HC_SEND_IPI, 2, 0, 0,
				    PV_IPI_VECTOR | (1 << 11)));
	GUEST_SYNC(guest_hypercall4(KVM_HC_SEND_IPI, 2, 0, 0,
				    PV_IPI_VECTOR | (3 << 18)));
	/* APIC ID 1 (bit 1 from 0), and bit 0 of the high half: ID 64. */
	GUEST_SYNC(guest_hypercall4(KVM_HC_SEND_IPI, 2, 1, 0,
				    PV_IPI_VECTOR));
}

/* An AP registers kvmclock and steal time, then is sent INIT. */
static void guest_ap_registers(void)
{
	kg_wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (PV_CLOCKS + 64) | 1);
	kg_wrmsr(MSR_KVM_STEAL_TIME, PV_STEAL | 1);
	GUEST_SYNC(1);
	GUEST_SYNC(2);
}

static void guest_send_init(void)
{
	xapic_enable();
	xapic_send_ipi(1, APIC_DM_INIT | APIC_LEVEL_ASSERT);
	GUEST_SYNC(0);
}

static void guest_kick(void)
{
	GUEST_SYNC(guest_hypercall(KVM_HC_KICK_CPU, 0, 1, 0));
}

/* 32-bit code: hypercall VAPIC_POLL_IRQ, then report by port I/O. */
KT_GUEST_CODE32(cpl_vmmcall,
	"mov $1, %eax\n\t"
	"vmmcall\n\t"
	"out %al, $0x10\n\t");
KT_GUEST_CODE32(cpl_vmcall,
	"mov $1, %eax\n\t"
	"vmcall\n\t"
	"out %al, $0x10\n\t");

/* ---- host ---- */

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool has_kvm_signature(void)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	bool ok = false;
	int fd = kt_open_dev();

	if (fd < 0)
		return false;
	c = kt_get_supported_cpuid(fd);
	if (c) {
		e = kt_cpuid_find(c, 0x40000000, 0);
		ok = e && e->ebx == 0x4b4d564b && e->ecx == 0x564b4d56 &&
		     e->edx == 0x4d;
		free(c);
	}
	close(fd);
	return ok;
}

#define REQUIRE_PARA()							\
	do {								\
		if (!has_kvm_signature())				\
			SKIP(return, "no KVM signature (no kvmod-para)"); \
	} while (0)

TEST(supported_cpuid_signature)
{
	struct kvm_cpuid_entry2 *sig, *feat;
	struct kvm_cpuid2 *c;
	int fd;

	REQUIRE_PARA();
	fd = kt_open_dev();
	ASSERT_LE(0, fd);
	c = kt_get_supported_cpuid(fd);
	ASSERT_NE(NULL, c);
	sig = kt_cpuid_find(c, KVM_CPUID_SIGNATURE, 0);
	feat = kt_cpuid_find(c, KVM_CPUID_FEATURES, 0);
	ASSERT_NE(NULL, sig);
	ASSERT_NE(NULL, feat);
	EXPECT_LE(KVM_CPUID_FEATURES, sig->eax);
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_CLOCKSOURCE2));
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_CLOCKSOURCE));
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_PV_UNHALT));
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT));
	free(c);
	close(fd);
}

static bool msr_listed(int sys_fd, uint32_t index)
{
	struct kvm_msr_list *l;
	bool found = false;
	uint32_t i;

	l = calloc(1, sizeof(*l) + 1024 * sizeof(l->indices[0]));
	if (!l)
		return false;
	l->nmsrs = 1024;
	if (ioctl(sys_fd, KVM_GET_MSR_INDEX_LIST, l) == 0)
		for (i = 0; i < l->nmsrs; i++)
			found |= l->indices[i] == index;
	free(l);
	return found;
}

/* The PV MSRs are in KVM_GET_MSR_INDEX_LIST, for a VMM to migrate. */
TEST(msr_index_list)
{
	int fd;

	REQUIRE_PARA();
	fd = kt_open_dev();
	ASSERT_LE(0, fd);
	EXPECT_TRUE(msr_listed(fd, MSR_KVM_SYSTEM_TIME_NEW));
	EXPECT_TRUE(msr_listed(fd, MSR_KVM_WALL_CLOCK_NEW));
	EXPECT_TRUE(msr_listed(fd, MSR_KVM_STEAL_TIME));
	EXPECT_TRUE(msr_listed(fd, MSR_KVM_POLL_CONTROL));
	EXPECT_TRUE(msr_listed(fd, 0x3b));	/* IA32_TSC_ADJUST */
	close(fd);
}

TEST(guest_sees_signature)
{
	struct kg_vm vm;
	uint32_t feat;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_cpuid_sig));
	EXPECT_LE(KVM_CPUID_FEATURES, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0x4b4d564b, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0x564b4d56, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0x4d, KG_SYNC_VALUE(&vm, 0));
	feat = KG_SYNC_VALUE(&vm, 0);
	EXPECT_TRUE(feat & (1U << KVM_FEATURE_CLOCKSOURCE2));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

/*
 * Two vCPUs read kvmclock in turn: never backwards from one to the
 * other, and advancing at the host's rate over a pause.
 */
TEST(kvmclock_monotonic_across_vcpus)
{
	uint64_t prev = 0, t, flags, h0, h1, g0, g1;
	struct kvm_clock_data cd = {};
	struct kg_vm vm;
	int i, id;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_kvmclock));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 1, guest_kvmclock));
	for (i = 0; i < 40; i++) {
		id = i & 1;
		t = KG_SYNC_VALUE(&vm, id);
		flags = KG_SYNC_VALUE(&vm, id);
		EXPECT_LE(prev, t);
		EXPECT_EQ(0, flags & ~(uint64_t)PVCLOCK_TSC_STABLE);
		prev = t;
	}
	/* The stable bit goes with KVM_GET_CLOCK's TSC_STABLE. */
	ASSERT_EQ(0, ioctl(vm.vm_fd, KVM_GET_CLOCK, &cd));
	EXPECT_EQ(!!(flags & PVCLOCK_TSC_STABLE),
		  !!(cd.flags & KVM_CLOCK_TSC_STABLE));
	/* The guest's clock and the VMM's agree (within 1 s). */
	EXPECT_LE(prev, cd.clock);
	EXPECT_LE(cd.clock, prev + 1000000000ULL);

	h0 = host_ns();
	g0 = KG_SYNC_VALUE(&vm, 0);
	KG_SYNC_VALUE(&vm, 0);
	usleep(300000);
	g1 = KG_SYNC_VALUE(&vm, 0);
	h1 = host_ns();
	KG_SYNC_VALUE(&vm, 0);
	/* At the host's rate: within 10% (TCG) of the host's interval. */
	EXPECT_LE(g1 - g0, (h1 - h0) * 11 / 10);
	EXPECT_LE((h1 - h0) * 9 / 10 - 20000000, g1 - g0);
	kg_vm_destroy(&vm);
}

/* The TSC jumps (KVM_SET_MSRS): the guest's kvmclock does not. */
TEST(kvmclock_follows_tsc_write)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;
	struct kg_vm vm;
	uint64_t t0, t1;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_kvmclock));
	t0 = KG_SYNC_VALUE(&vm, 0);
	KG_SYNC_VALUE(&vm, 0);
	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = 0x10;		/* IA32_TSC */
	ASSERT_EQ(1, ioctl(vm.v[0].fd, KVM_GET_MSRS, &m));
	m.e.data += 1ULL << 40;
	ASSERT_EQ(1, ioctl(vm.v[0].fd, KVM_SET_MSRS, &m));
	t1 = KG_SYNC_VALUE(&vm, 0);
	EXPECT_LE(t0, t1);
	EXPECT_LE(t1, t0 + 1000000000ULL);
	kg_vm_destroy(&vm);
}

TEST(get_set_clock)
{
	struct kvm_clock_data cd = {}, cd2 = {};
	struct kg_vm vm;
	uint64_t t0, t1;
	int fd, cap;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	fd = vm.vm_fd;
	cap = kt_check_cap(fd, KVM_CAP_ADJUST_CLOCK);
	EXPECT_TRUE(cap & KVM_CLOCK_TSC_STABLE);
	EXPECT_TRUE(cap & KVM_CLOCK_REALTIME);
	EXPECT_TRUE(cap & KVM_CLOCK_HOST_TSC);
	ASSERT_EQ(0, ioctl(fd, KVM_GET_CLOCK, &cd));
	EXPECT_EQ(0, cd.flags & ~(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME |
				  KVM_CLOCK_HOST_TSC));
	/* A new VM's clock starts near 0. */
	EXPECT_LE(cd.clock, 60000000000ULL);

	/* Round trip: set 1000 s, read back a little more. */
	memset(&cd, 0, sizeof(cd));
	cd.clock = 1000000000000ULL;
	ASSERT_EQ(0, ioctl(fd, KVM_SET_CLOCK, &cd));
	ASSERT_EQ(0, ioctl(fd, KVM_GET_CLOCK, &cd2));
	EXPECT_LE(cd.clock, cd2.clock);
	EXPECT_LE(cd2.clock, cd.clock + 1000000000ULL);

	/* REALTIME: the real time passed since then is added. */
	if (cd2.flags & KVM_CLOCK_REALTIME) {
		cd2.realtime -= 2000000000ULL;
		t0 = cd2.clock;
		ASSERT_EQ(0, ioctl(fd, KVM_SET_CLOCK, &cd2));
		ASSERT_EQ(0, ioctl(fd, KVM_GET_CLOCK, &cd));
		EXPECT_LE(t0 + 2000000000ULL, cd.clock);
		EXPECT_LE(cd.clock, t0 + 3000000000ULL);
	}

	/* The guest's kvmclock follows. */
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_kvmclock));
	t0 = KG_SYNC_VALUE(&vm, 0);
	KG_SYNC_VALUE(&vm, 0);
	memset(&cd, 0, sizeof(cd));
	cd.clock = t0 + 500000000000ULL;
	ASSERT_EQ(0, ioctl(fd, KVM_SET_CLOCK, &cd));
	t1 = KG_SYNC_VALUE(&vm, 0);
	EXPECT_LE(t0 + 500000000000ULL, t1);
	EXPECT_LE(t1, t0 + 501000000000ULL);

	/* Unknown flags. */
	memset(&cd, 0, sizeof(cd));
	cd.flags = 1U << 7;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_CLOCK,
					 (unsigned long)&cd));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_SET_CLOCK, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_GET_CLOCK, 8));
	kg_vm_destroy(&vm);
}

TEST(kvmclock_ctrl)
{
	struct kg_vm vm;
	struct pvti *p;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_kvmclock));
	/* No kvmclock yet. */
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vm.v[0].fd, KVM_KVMCLOCK_CTRL, 0));
	KG_SYNC_VALUE(&vm, 0);
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0) & PVCLOCK_STOPPED);
	EXPECT_EQ(0, kt_ioctl_errno(vm.v[0].fd, KVM_KVMCLOCK_CTRL, 0));
	KG_SYNC_VALUE(&vm, 0);
	EXPECT_EQ(PVCLOCK_STOPPED,
		  KG_SYNC_VALUE(&vm, 0) & PVCLOCK_STOPPED);
	/* It stays until the guest clears it. */
	p = (struct pvti *)(vm.low + PV_CLOCKS);
	EXPECT_TRUE(p->flags & PVCLOCK_STOPPED);
	kg_vm_destroy(&vm);
}

TEST(poll_control)
{
	struct kg_vm vm;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	kg_set_handler(&vm, 13, poll_gp_handler);
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_poll_control));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

static volatile bool spin_stop;

static void *spin(void *p)
{
	(void)p;
	while (!spin_stop)
		;
	return NULL;
}

/*
 * With another thread busy on the vCPU thread's host CPU, the guest's
 * steal time grows, by less than the time that passed. (The first value
 * already counts the thread's earlier waits, as on KVM.)
 */
TEST(steal_time)
{
	uint64_t steal = 0, s0, t0;
	struct kg_vm vm;
	cpu_set_t cpus;
	pthread_t th;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	if (!kg_cpuid_has(&vm, KVM_CPUID_FEATURES, KG_EAX,
			  KVM_FEATURE_STEAL_TIME)) {
		kg_vm_destroy(&vm);
		SKIP(return, "no KVM_FEATURE_STEAL_TIME");
	}
	kg_set_handler(&vm, 13, steal_gp_handler);
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_steal_time));
	/* Before the entry that reads s0: the steal since then is later. */
	t0 = host_ns();
	s0 = KG_SYNC_VALUE(&vm, 0);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	spin_stop = false;
	ASSERT_EQ(0, pthread_create(&th, NULL, spin, NULL));
	ASSERT_EQ(0, pthread_setaffinity_np(th, sizeof(cpus), &cpus));
	while (host_ns() - t0 < 5000000000ULL) {
		steal = KG_SYNC_VALUE(&vm, 0);
		if (steal > s0)
			break;
	}
	spin_stop = true;
	pthread_join(th, NULL);
	EXPECT_LT(s0, steal);
	EXPECT_LE(steal - s0, host_ns() - t0);
	kg_vm_destroy(&vm);
}

TEST(bad_guest_addresses)
{
	struct kvm_clock_data cd = {};
	struct kg_vm vm;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_bad_areas));
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 0));
	/* A clock change makes every vCPU update: still nothing to write. */
	ASSERT_EQ(0, ioctl(vm.vm_fd, KVM_GET_CLOCK, &cd));
	ASSERT_EQ(0, ioctl(vm.vm_fd, KVM_SET_CLOCK, &cd));
	EXPECT_EQ(2, KG_SYNC_VALUE(&vm, 0));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

/* PV EOI with the in-kernel LAPIC: the guest ends interrupts by memory. */
TEST(pv_eoi)
{
	struct kg_vm vm;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	kg_set_handler(&vm, 13, pv_eoi_gp_handler);
	kg_set_handler(&vm, PV_EOI_VECTOR, pv_eoi_handler);
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_pv_eoi));
	EXPECT_EQ(PV_EOI_ROUNDS, KG_SYNC_VALUE(&vm, 0));
	/* Most of them by memory (not the first: offered after delivery). */
	EXPECT_LE(PV_EOI_ROUNDS / 2, KG_SYNC_VALUE(&vm, 0));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

TEST(wall_clock)
{
	struct kvm_clock_data cd = {};
	struct kg_vm vm;
	uint64_t sec, boot;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_wall_clock));
	sec = KG_SYNC_VALUE(&vm, 0);
	ASSERT_EQ(0, ioctl(vm.vm_fd, KVM_GET_CLOCK, &cd));
	/* The real time at which the VM's clock was 0. */
	boot = time(NULL) - cd.clock / 1000000000ULL;
	EXPECT_LE(sec, boot + 2);
	EXPECT_LE(boot, sec + 2);
	kg_vm_destroy(&vm);
}

/*
 * MSR_KVM_WALL_CLOCK(_NEW) written with 0, by the guest or the VMM, or
 * with an address outside the memslots: no wall clock is written (GPA
 * 0 keeps what it held).
 */
TEST(wall_clock_at_zero)
{
	static const uint8_t pattern[16] = {
		0xa5, 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
		0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
	};
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m;
	struct kg_vm vm;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	memcpy(vm.low, pattern, sizeof(pattern));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_wall_clock_zero));
	KG_ASSERT_SYNC(&vm, 0, 1);
	EXPECT_EQ(0, memcmp(vm.low, pattern, sizeof(pattern)));
	KG_ASSERT_SYNC(&vm, 0, 2);
	EXPECT_EQ(0, memcmp(vm.low, pattern, sizeof(pattern)));

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 2;
	m.e[0].index = MSR_KVM_WALL_CLOCK_NEW;
	m.e[1].index = MSR_KVM_WALL_CLOCK;
	ASSERT_EQ(2, ioctl(vm.v[0].fd, KVM_SET_MSRS, &m));
	EXPECT_EQ(0, memcmp(vm.low, pattern, sizeof(pattern)));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

static uint64_t hypercall(struct __test_metadata *_metadata, struct kg_vm *vm,
			  uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	KG_GUEST(vm, hc_nr) = nr;
	KG_GUEST(vm, hc_a0) = a0;
	KG_GUEST(vm, hc_a1) = a1;
	KG_GUEST(vm, hc_a2) = a2;
	return KG_SYNC_VALUE(vm, 0);
}

TEST(hypercall_results)
{
	struct kvm_clock_pairing *cp;
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL };
	struct kvm_run *run;
	struct kg_vm vm;
	struct kg_ucall uc;
	uint64_t r;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_hypercalls));
	run = vm.v[0].run;
	EXPECT_EQ((uint64_t)-KVM_ENOSYS, hypercall(_metadata, &vm, 0x7777,
						   0, 0, 0));
	EXPECT_EQ(0, hypercall(_metadata, &vm, KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0));
	EXPECT_EQ(0, hypercall(_metadata, &vm, KVM_HC_SCHED_YIELD, 0, 0, 0));
	EXPECT_EQ(0, hypercall(_metadata, &vm, KVM_HC_KICK_CPU, 0, 99, 0));
	/* No in-kernel APIC: no PV IPIs. */
	KG_GUEST(&vm, hc_a3) = 0x40;
	EXPECT_EQ((uint64_t)-KVM_EOPNOTSUPP,
		  hypercall(_metadata, &vm, KVM_HC_SEND_IPI, 2, 0, 0));
	KG_GUEST(&vm, hc_a3) = 0;
	/* Not taken over by userspace: unknown. */
	EXPECT_EQ((uint64_t)-KVM_ENOSYS,
		  hypercall(_metadata, &vm, KVM_HC_MAP_GPA_RANGE, 0x1000, 1,
			    0));

	/* Clock pairing: 0 with a TSC host clock, else EOPNOTSUPP. */
	cp = (struct kvm_clock_pairing *)(vm.low + PV_PAIRING);
	r = hypercall(_metadata, &vm, KVM_HC_CLOCK_PAIRING, PV_PAIRING,
		      KVM_CLOCK_PAIRING_WALLCLOCK, 0);
	if (r == 0) {
		EXPECT_LE((uint64_t)time(NULL) - 2, (uint64_t)cp->sec);
		EXPECT_LE((uint64_t)cp->sec, (uint64_t)time(NULL));
		EXPECT_NE(0, cp->tsc);
	} else {
		EXPECT_EQ((uint64_t)-KVM_EOPNOTSUPP, r);
	}
	EXPECT_EQ((uint64_t)-KVM_EOPNOTSUPP,
		  hypercall(_metadata, &vm, KVM_HC_CLOCK_PAIRING, PV_PAIRING,
			    1, 0));

	/* KVM_CAP_EXIT_HYPERCALL: MAP_GPA_RANGE goes to userspace. */
	EXPECT_EQ(1ULL << KVM_HC_MAP_GPA_RANGE,
		  kt_check_cap(vm.vm_fd, KVM_CAP_EXIT_HYPERCALL));
	cap.args[0] = 1ULL << 3;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vm.vm_fd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	cap.args[0] = 1ULL << KVM_HC_MAP_GPA_RANGE;
	cap.flags = 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vm.vm_fd, KVM_ENABLE_CAP,
					 (unsigned long)&cap));
	cap.flags = 0;
	ASSERT_EQ(0, kt_ioctl_errno(vm.vm_fd, KVM_ENABLE_CAP,
				    (unsigned long)&cap));
	KG_GUEST(&vm, hc_nr) = KVM_HC_MAP_GPA_RANGE;
	KG_GUEST(&vm, hc_a0) = 0x200000;
	KG_GUEST(&vm, hc_a1) = 3;
	KG_GUEST(&vm, hc_a2) = 0x10;
	ASSERT_EQ(KG_OTHER, kg_run(&vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_HYPERCALL, run->exit_reason);
	EXPECT_EQ(KVM_HC_MAP_GPA_RANGE, run->hypercall.nr);
	EXPECT_EQ(0x200000, run->hypercall.args[0]);
	EXPECT_EQ(3, run->hypercall.args[1]);
	EXPECT_EQ(0x10, run->hypercall.args[2]);
	EXPECT_EQ(1, run->hypercall.longmode);
	run->hypercall.ret = 0x1234;
	EXPECT_EQ(0x1234, KG_SYNC_VALUE(&vm, 0));
	/* Bad ranges never reach userspace. */
	EXPECT_EQ((uint64_t)-KVM_EINVAL,
		  hypercall(_metadata, &vm, KVM_HC_MAP_GPA_RANGE, 0x1001, 1,
			    0));
	EXPECT_EQ((uint64_t)-KVM_EINVAL,
		  hypercall(_metadata, &vm, KVM_HC_MAP_GPA_RANGE, 0x1000, 0,
			    0));
	EXPECT_EQ((uint64_t)-KVM_EINVAL,
		  hypercall(_metadata, &vm, KVM_HC_MAP_GPA_RANGE, 0x1000,
			    ~0ULL, 0));
	kg_vm_destroy(&vm);
}

static bool host_is_amd(void)
{
	uint32_t a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
		     : "a"(0), "c"(0));
	return b == 0x68747541;
}

/* VMCALL on AMD, VMMCALL on Intel: rewritten, then a hypercall. */
TEST(other_vendor_instruction)
{
	const unsigned char *site;
	unsigned char want;
	struct kg_vm vm;

	REQUIRE_PARA();
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_foreign));
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ((uint64_t)-KVM_ENOSYS, KG_SYNC_VALUE(&vm, 0));
	KG_ASSERT_DONE(&vm, 0);
	site = kg_host_ptr(&vm, host_is_amd() ? foreign_vmcall :
						foreign_vmmcall);
	want = host_is_amd() ? 0xd9 : 0xc1;
	EXPECT_EQ(0x0f, site[0]);
	EXPECT_EQ(0x01, site[1]);
	EXPECT_EQ(want, site[2]);
	kg_vm_destroy(&vm);
}

/*
 * The seed ABI (Linux 2.6.23's include/linux/kvm_para.h): the
 * MSR_KVM_API_MAGIC probe, registration of struct kvm_vcpu_para_state
 * with version negotiation, the host patching the hypercall instruction
 * at hypercall_gpa, and hypercalls in that ABI's registers going to
 * userspace. In-tree KVM dropped it long ago: kvmod only.
 */
TEST(seed_abi)
{
	static const unsigned char stub[] = { 0x90, 0x90, 0x90, 0xc3 };
	struct kvm_run *run;
	struct kg_ucall uc;
	struct kg_vm vm;
	unsigned char *hc;

	REQUIRE_PARA();
	if (!kt_is_kvmod())
		SKIP(return, "the seed ABI is kvmod's (in-tree KVM dropped it)");
	ASSERT_EQ(0, kg_vm_create(&vm, 0));
	kg_set_handler(&vm, 13, seed_gp_handler);
	hc = vm.low + SEED_HC;
	memcpy(hc, stub, sizeof(stub));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_seed));
	run = vm.v[0].run;
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0xffffffff, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0x90, hc[0]);			/* not patched */
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(SEED_STATE, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ(0x0f, hc[0]);
	EXPECT_EQ(0x01, hc[1]);
	EXPECT_EQ(host_is_amd() ? 0xd9 : 0xc1, hc[2]);
	EXPECT_EQ(0xc3, hc[3]);
	ASSERT_EQ(KG_OTHER, kg_run(&vm, 0, &uc));
	ASSERT_EQ(KVM_EXIT_HYPERCALL, run->exit_reason);
	EXPECT_EQ(42, run->hypercall.nr);
	EXPECT_EQ(1, run->hypercall.args[0]);
	EXPECT_EQ(2, run->hypercall.args[1]);
	EXPECT_EQ(3, run->hypercall.args[2]);
	EXPECT_EQ(4, run->hypercall.args[3]);
	EXPECT_EQ(5, run->hypercall.args[4]);
	EXPECT_EQ(6, run->hypercall.args[5]);
	EXPECT_EQ(1, run->hypercall.longmode);
	run->hypercall.ret = 0x77;
	EXPECT_EQ(0x77, KG_SYNC_VALUE(&vm, 0));
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

/* Flat 32-bit protected mode at privilege level @cpl, no paging. */
static void flat32(struct __test_metadata *_metadata, int vcpu_fd, int cpl)
{
	struct kvm_segment *segs[5];
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int i;

	ASSERT_EQ(0, kt_get_sregs(vcpu_fd, &sregs));
	segs[0] = &sregs.ds;
	segs[1] = &sregs.es;
	segs[2] = &sregs.fs;
	segs[3] = &sregs.gs;
	segs[4] = &sregs.ss;
	sregs.cr0 |= KT_CR0_PE;
	sregs.cs.base = 0;
	sregs.cs.limit = 0xffffffff;
	sregs.cs.g = 1;
	sregs.cs.db = 1;
	sregs.cs.type = 0xb;
	sregs.cs.dpl = cpl;
	sregs.cs.selector = 0x18 | cpl;
	for (i = 0; i < 5; i++) {
		segs[i]->base = 0;
		segs[i]->limit = 0xffffffff;
		segs[i]->g = 1;
		segs[i]->db = 1;
		segs[i]->type = 0x3;
		segs[i]->dpl = cpl;
		segs[i]->selector = 0x10 | cpl;
	}
	ASSERT_EQ(0, kt_set_sregs(vcpu_fd, &sregs));
	ASSERT_EQ(0, kt_get_regs(vcpu_fd, &regs));
	regs.rip = KT_CODE_GPA;
	regs.rflags = 0x2 | (3 << 12);		/* IOPL 3: OUT at CPL 3 */
	ASSERT_EQ(0, kt_set_regs(vcpu_fd, &regs));
}

/* Only CPL 0 may make hypercalls: -KVM_EPERM, 32 bits outside long mode. */
TEST(hypercall_cpl)
{
	struct kvm_regs regs;
	struct kt_guest g;
	int cpl;

	REQUIRE_PARA();
	for (cpl = 0; cpl <= 3; cpl += 3) {
		const unsigned char *code = host_is_amd() ? cpl_vmmcall :
							    cpl_vmcall;
		size_t len = host_is_amd() ? KT_CODE_LEN(cpl_vmmcall) :
					     KT_CODE_LEN(cpl_vmcall);

		ASSERT_EQ(0, kt_guest_create(&g, code, len));
		flat32(_metadata, g.vcpu_fd, cpl);
		ASSERT_EQ(KVM_EXIT_IO, kt_run(g.vcpu_fd, g.run));
		ASSERT_EQ(0, kt_get_regs(g.vcpu_fd, &regs));
		EXPECT_EQ(cpl ? (uint32_t)-KVM_EPERM : 0, regs.rax);
		kt_guest_destroy(&g);
	}
}

struct halt_arg {
	struct kg_vm *vm;
	volatile bool done;
	int status;
	uint64_t value;
};

static void no_op(int sig)
{
	(void)sig;
}

static void *run_ap(void *p)
{
	struct halt_arg *a = p;
	struct kg_ucall uc;

	a->status = kg_run(a->vm, 1, &uc);
	a->value = uc.args[0];
	a->done = true;
	return NULL;
}

/* KVM_HC_KICK_CPU ends the halt of a vCPU that takes no interrupts. */
TEST(kick_cpu_ends_halt)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct halt_arg a = {};
	struct kg_vm vm;
	pthread_t th;
	int i;

	REQUIRE_PARA();
	signal(SIGUSR1, no_op);
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_kick));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 1, guest_halt_until_kicked));
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 1));
	a.vm = &vm;
	ASSERT_EQ(0, pthread_create(&th, NULL, run_ap, &a));
	/* It stays halted... */
	for (i = 0; i < 5; i++) {
		usleep(20000);
		ASSERT_FALSE(a.done);
	}
	/* ...until vCPU 0 kicks APIC ID 1. */
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	for (i = 0; i < 200 && !a.done; i++)
		usleep(10000);
	EXPECT_TRUE(a.done);
	/* Not woken: interrupt its KVM_RUN so that the test ends. */
	while (!a.done) {
		pthread_kill(th, SIGUSR1);
		usleep(10000);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(KG_SYNC, a.status);
	EXPECT_EQ(2, a.value);
	kg_vm_destroy(&vm);
}

static uint64_t msr_of(struct __test_metadata *_metadata, int fd,
		       uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = 1;
	m.e.index = index;
	EXPECT_EQ(1, ioctl(fd, KVM_GET_MSRS, &m));
	return m.e.data;
}

/* INIT ends kvmclock and steal time of the vCPU, as KVM's reset does. */
TEST(init_resets_pv_state)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct halt_arg a = {};
	struct kg_vm vm;
	pthread_t th;

	REQUIRE_PARA();
	signal(SIGUSR1, no_op);
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_send_init));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 1, guest_ap_registers));
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 1));
	EXPECT_EQ((PV_CLOCKS + 64) | 1,
		  msr_of(_metadata, vm.v[1].fd, MSR_KVM_SYSTEM_TIME_NEW));
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	/* vCPU 1 takes the INIT, then waits for a SIPI: interrupt it. */
	a.vm = &vm;
	ASSERT_EQ(0, pthread_create(&th, NULL, run_ap, &a));
	usleep(100000);
	while (!a.done) {
		pthread_kill(th, SIGUSR1);
		usleep(10000);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(0, msr_of(_metadata, vm.v[1].fd, MSR_KVM_SYSTEM_TIME_NEW));
	EXPECT_EQ(0, msr_of(_metadata, vm.v[1].fd, MSR_KVM_STEAL_TIME));
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp.mp_state);
	kg_vm_destroy(&vm);
}

/* KVM_HC_SEND_IPI delivers a fixed IPI to the APIC IDs of a bitmap. */
TEST(send_ipi)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct halt_arg a = {};
	struct kg_vm vm;
	pthread_t th;
	int i;

	REQUIRE_PARA();
	signal(SIGUSR1, no_op);
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	kg_set_handler(&vm, PV_IPI_VECTOR, count_pv_ipi);
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_send_pv_ipi));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 1, guest_wait_pv_ipi));
	ASSERT_EQ(0, ioctl(vm.v[1].fd, KVM_SET_MP_STATE, &mp));
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 1));
	a.vm = &vm;
	ASSERT_EQ(0, pthread_create(&th, NULL, run_ap, &a));
	EXPECT_EQ((uint64_t)-KVM_EINVAL, KG_SYNC_VALUE(&vm, 0));
	EXPECT_EQ((uint64_t)-KVM_EINVAL, KG_SYNC_VALUE(&vm, 0));
	usleep(50000);
	EXPECT_FALSE(a.done);
	/* One APIC took it: ID 64 does not exist. */
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 0));
	for (i = 0; i < 200 && !a.done; i++)
		usleep(10000);
	EXPECT_TRUE(a.done);
	while (!a.done) {
		pthread_kill(th, SIGUSR1);
		usleep(10000);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(KG_SYNC, a.status);
	EXPECT_EQ(1, a.value);
	kg_vm_destroy(&vm);
}

TEST_HARNESS_MAIN
