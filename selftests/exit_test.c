// SPDX-License-Identifier: GPL-2.0
/*
 * Exits other than I/O: KVM_EXIT_HLT, KVM_EXIT_SHUTDOWN on a triple fault,
 * KVM_EXIT_INTR when a signal interrupts KVM_RUN, and immediate_exit.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define KT_GUEST_LABEL(name)	extern const unsigned char name[]
#define GPA_OF(code, label)	(KT_CODE_GPA + (uint64_t)((label) - (code)))

/* HLT, then on re-entry continue after it. */
KT_GUEST_LABEL(hlt1_insn);
KT_GUEST_LABEL(hlt2_insn);
KT_GUEST_CODE16(hlt_twice,
	"hlt1_insn:\n\t"
	"hlt\n\t"
	"mov $0x01, %al\n\t"
	"out %al, $0x10\n"
	"hlt2_insn:\n\t"
	"hlt\n\t");

/*
 * Triple fault: an IDT with limit 0 (the 6 zero bytes at GPA 0x2000) makes
 * the exception undeliverable: #GP, then #DF, then shutdown.
 */
KT_GUEST_CODE16(tf_int3,
	"lidt 0x2000\n\t"
	"int3\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(tf_ud2,
	"lidt 0x2000\n\t"
	"ud2\n\t"
	"hlt\n\t");

/* Control for the above: with the reset IVT at 0, INT3 reaches vector 3. */
#define INT3_HANDLER_GPA	0x1100
KT_GUEST_CODE16(int3_ok,
	"int3\n\t"
	"hlt\n\t");
KT_GUEST_CODE16(int3_handler,
	"mov $0x33, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n\t");

/* OUT once, then spin forever. */
KT_GUEST_LABEL(spin_insn);
KT_GUEST_CODE16(out_spin,
	"mov $0x5a, %al\n\t"
	"out %al, $0x10\n"
	"spin_insn:\n\t"
	"jmp spin_insn\n\t");

FIXTURE(exit) {
	struct kt_guest g;
};

FIXTURE_SETUP(exit)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(exit)
{
	kt_guest_destroy(&self->g);
}

static void load(struct kt_guest *g, const unsigned char *code, size_t len)
{
	kt_put_code(g->mem, KT_CODE_GPA, code, len);
}

static uint64_t rip_of(struct __test_metadata *_metadata, struct kt_guest *g)
{
	struct kvm_regs regs;

	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	return regs.rip;
}

static void expect_exit(struct __test_metadata *_metadata, struct kt_guest *g,
			int want)
{
	int r = kt_run(g->vcpu_fd, g->run);

	ASSERT_EQ(want, r) TH_LOG("exit %d (%s), wanted %s", r,
				  r >= 0 ? kt_exit_name(r) : strerror(-r),
				  kt_exit_name(want));
}

TEST_F(exit, hlt)
{
	struct kt_guest *g = &self->g;

	load(g, hlt_twice, KT_CODE_LEN(hlt_twice));
	expect_exit(_metadata, g, KVM_EXIT_HLT);
	/* The HLT has completed: RIP is past it. */
	EXPECT_EQ(GPA_OF(hlt_twice, hlt1_insn) + 1, rip_of(_metadata, g));

	/* Without an in-kernel irqchip KVM_RUN just continues after it. */
	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(0x10, g->run->io.port);
	EXPECT_EQ(0x01, *kt_io_data(g->run));
	expect_exit(_metadata, g, KVM_EXIT_HLT);
	EXPECT_EQ(GPA_OF(hlt_twice, hlt2_insn) + 1, rip_of(_metadata, g));
}

TEST_F(exit, int3_delivered_with_valid_ivt)
{
	struct kt_guest *g = &self->g;
	uint16_t ivt3[2] = { INT3_HANDLER_GPA, 0 };	/* offset, segment */

	load(g, int3_ok, KT_CODE_LEN(int3_ok));
	kt_put_code(g->mem, INT3_HANDLER_GPA, int3_handler,
		    KT_CODE_LEN(int3_handler));
	memcpy(g->mem + 3 * 4, ivt3, sizeof(ivt3));

	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(0x33, *kt_io_data(g->run));
	expect_exit(_metadata, g, KVM_EXIT_HLT);
}

TEST_F(exit, triple_fault_int3)
{
	struct kt_guest *g = &self->g;

	load(g, tf_int3, KT_CODE_LEN(tf_int3));
	expect_exit(_metadata, g, KVM_EXIT_SHUTDOWN);
}

TEST_F(exit, triple_fault_ud2)
{
	struct kt_guest *g = &self->g;

	load(g, tf_ud2, KT_CODE_LEN(tf_ud2));
	expect_exit(_metadata, g, KVM_EXIT_SHUTDOWN);
}

/* ---- signals ---- */

static volatile sig_atomic_t nr_signals;

static void on_sigusr1(int sig)
{
	(void)sig;
	nr_signals++;
}

struct kicker {
	pthread_t target;
	int stop;		/* __atomic accesses */
};

/*
 * Signal the vCPU thread every 20 ms until told to stop: one signal may
 * land before KVM_RUN is entered, so keep sending.
 */
static void *kick(void *arg)
{
	struct kicker *k = arg;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		usleep(20 * 1000);
		if (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE))
			pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

TEST_F(exit, signal_interrupts_spinning_guest)
{
	struct kt_guest *g = &self->g;
	struct sigaction sa;
	struct kicker k;
	pthread_t thread;
	int r, err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigusr1;	/* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	load(g, out_spin, KT_CODE_LEN(out_spin));
	expect_exit(_metadata, g, KVM_EXIT_IO);

	k.target = pthread_self();
	k.stop = 0;
	nr_signals = 0;
	ASSERT_EQ(0, pthread_create(&thread, NULL, kick, &k));
	r = ioctl(g->vcpu_fd, KVM_RUN, 0);
	err = errno;
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);

	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, err);
	EXPECT_EQ(KVM_EXIT_INTR, g->run->exit_reason)
		TH_LOG("exit_reason %u (%s)", g->run->exit_reason,
		       kt_exit_name(g->run->exit_reason));
	EXPECT_LE(1, nr_signals);
	/* The OUT completed and the guest was spinning. */
	EXPECT_EQ(GPA_OF(out_spin, spin_insn), rip_of(_metadata, g));
}

/* immediate_exit: KVM_RUN returns EINTR at once, even for a spinning guest. */
TEST_F(exit, immediate_exit)
{
	struct kt_guest *g = &self->g;
	int i;

	load(g, out_spin, KT_CODE_LEN(out_spin));
	g->run->immediate_exit = 1;
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(-EINTR, kt_run(g->vcpu_fd, g->run));
		EXPECT_EQ(KT_CODE_GPA, rip_of(_metadata, g));
	}

	g->run->immediate_exit = 0;
	expect_exit(_metadata, g, KVM_EXIT_IO);
	EXPECT_EQ(0x5a, *kt_io_data(g->run));

	/* Now the guest would spin: only immediate_exit gets us out. */
	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(GPA_OF(out_spin, spin_insn), rip_of(_metadata, g));
}

TEST_HARNESS_MAIN
