// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: the hypervisor must enable SVM (or VMX) on a CPU that comes
 * back online, and keep running guests while CPUs come and go.
 *
 * Needs at least two CPUs and a writable cpu1/online (the test VM has
 * both); skipped otherwise. Each test leaves cpu1 online.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

KT_GUEST_CODE16(hotplug_hlt,
	"mov $0x5a, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n\t");

static int set_cpu1_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static bool hotplug_possible(void)
{
	return sysconf(_SC_NPROCESSORS_CONF) >= 2 &&
	       access(CPU1_ONLINE, W_OK) == 0;
}

/* Run the OUT + HLT guest from the start on the current CPU. */
static void run_guest_once(struct __test_metadata *_metadata,
			   struct kt_guest *g)
{
	ASSERT_EQ(0, kt_set_real_mode(g->vcpu_fd, KT_CODE_GPA));
	ASSERT_EQ(KVM_EXIT_IO, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(0x10, g->run->io.port);
	EXPECT_EQ(0x5a, *((uint8_t *)g->run + g->run->io.data_offset));
	ASSERT_EQ(KVM_EXIT_HLT, kt_run(g->vcpu_fd, g->run));
}

/* A guest runs on a CPU that went offline and came back. */
TEST(guest_on_replugged_cpu)
{
	struct kt_guest g;

	if (!hotplug_possible())
		SKIP(return, "needs 2 CPUs and a writable %s", CPU1_ONLINE);

	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(0, set_cpu1_online(0));
	ASSERT_EQ(0, set_cpu1_online(1));
	ASSERT_EQ(0, pin_to_cpu(1));

	ASSERT_EQ(0, kt_guest_create(&g, hotplug_hlt,
				     KT_CODE_LEN(hotplug_hlt)));
	run_guest_once(_metadata, &g);
	kt_guest_destroy(&g);
}

/* A VM survives its CPU going away: the vCPU moves and still runs. */
TEST(vm_survives_unplug)
{
	struct kt_guest g;
	int i;

	if (!hotplug_possible())
		SKIP(return, "needs 2 CPUs and a writable %s", CPU1_ONLINE);

	ASSERT_EQ(0, set_cpu1_online(1));
	ASSERT_EQ(0, kt_guest_create(&g, hotplug_hlt,
				     KT_CODE_LEN(hotplug_hlt)));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, pin_to_cpu(1));
		run_guest_once(_metadata, &g);
		ASSERT_EQ(0, pin_to_cpu(0));
		ASSERT_EQ(0, set_cpu1_online(0));
		run_guest_once(_metadata, &g);
		ASSERT_EQ(0, set_cpu1_online(1));
	}
	kt_guest_destroy(&g);
}

TEST_HARNESS_MAIN
