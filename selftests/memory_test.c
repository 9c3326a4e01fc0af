// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory follows the host's address space (KVM_CAP_SYNC_MMU): what
 * the host writes the guest reads and the other way round, MADV_DONTNEED
 * gives the guest fresh zero pages, and munmap or mremap of the backing
 * makes a guest access fail with EFAULT instead of reaching old pages.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define DATA_GPA	0x20000UL
#define DATA_SIZE	0x4000UL

/* Forever: OUT the byte at DATA_GPA, then increment the byte after it. */
KT_GUEST_CODE16(mem_loop,
	"mov $0x2000, %ax\n\t"
	"mov %ax, %ds\n"
	"1:\n\t"
	"mov 0x0, %al\n\t"
	"out %al, $0x10\n\t"
	"incb 0x1\n\t"
	"jmp 1b\n\t");

FIXTURE(mem) {
	struct kt_guest g;
	uint8_t *data;
};

FIXTURE_SETUP(mem)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, mem_loop,
				     KT_CODE_LEN(mem_loop)));
	self->data = kt_add_mem(self->g.vm_fd, 1, DATA_GPA, DATA_SIZE);
	ASSERT_NE(NULL, self->data);
}

FIXTURE_TEARDOWN(mem)
{
	kt_guest_destroy(&self->g);
}

/* Run to the next OUT and return the byte the guest read. */
static int next_byte(struct __test_metadata *_metadata, struct kt_guest *g)
{
	int r = kt_run(g->vcpu_fd, g->run);

	if (r < 0)
		return r;
	EXPECT_EQ(KVM_EXIT_IO, r);
	EXPECT_EQ(0x10, g->run->io.port);
	return *kt_io_data(g->run);
}

TEST_F(mem, coherent_both_ways)
{
	self->data[0] = 0x11;
	EXPECT_EQ(0x11, next_byte(_metadata, &self->g));
	self->data[0] = 0x22;
	EXPECT_EQ(0x22, next_byte(_metadata, &self->g));
	/* The guest's increment after the first OUT is visible here. */
	EXPECT_EQ(1, self->data[1]);
	EXPECT_EQ(0x22, next_byte(_metadata, &self->g));
	EXPECT_EQ(2, self->data[1]);
}

TEST_F(mem, madv_dontneed_gives_zero_page)
{
	self->data[0] = 0x5a;
	EXPECT_EQ(0x5a, next_byte(_metadata, &self->g));
	EXPECT_EQ(0x5a, next_byte(_metadata, &self->g));
	EXPECT_EQ(1, self->data[1]);
	ASSERT_EQ(0, madvise(self->data, DATA_SIZE, MADV_DONTNEED));
	/* The guest sees the new, zeroed page... */
	EXPECT_EQ(0, next_byte(_metadata, &self->g));
	/* ...and its writes land in it: two increments since the zap. */
	EXPECT_EQ(0, next_byte(_metadata, &self->g));
	EXPECT_EQ(2, self->data[1]);
}

TEST_F(mem, munmap_faults)
{
	self->data[0] = 0x33;
	EXPECT_EQ(0x33, next_byte(_metadata, &self->g));
	ASSERT_EQ(0, munmap(self->data, DATA_SIZE));
	EXPECT_EQ(-EFAULT, next_byte(_metadata, &self->g));
	EXPECT_EQ(-EFAULT, next_byte(_metadata, &self->g));
}

TEST_F(mem, mremap_away_faults)
{
	void *moved;

	self->data[0] = 0x44;
	EXPECT_EQ(0x44, next_byte(_metadata, &self->g));
	moved = mremap(self->data, DATA_SIZE, DATA_SIZE, MREMAP_MAYMOVE |
		       MREMAP_FIXED,
		       mmap(NULL, DATA_SIZE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ASSERT_NE(MAP_FAILED, moved);
	/* The memory moved away from the slot's address: no stale page. */
	EXPECT_EQ(-EFAULT, next_byte(_metadata, &self->g));
	EXPECT_EQ(0x44, ((uint8_t *)moved)[0]);
	munmap(moved, DATA_SIZE);
}

TEST_HARNESS_MAIN
