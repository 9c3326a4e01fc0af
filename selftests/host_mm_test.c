// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory stays the host's to manage (KVM_CAP_SYNC_MMU): huge host
 * pages (THP, hugetlbfs) are mapped 2 MiB at a time; a THP split by the
 * host, pages swapped out and pages migrated to new frames are seen by
 * the guest with their contents, and the guest's writes land in the new
 * pages. Nothing is pinned: swap-out and migration succeed for memory the
 * guest has mapped.
 *
 * The guest sums the first qword of every page of a region and stores
 * that qword + 1 at offset 8 of the page, then reports the sum (OUT).
 * The host fills the first qwords with a known pattern and checks both.
 * Mapping sizes come from the per-VM debugfs files pages_2m / pages_4k
 * that in-tree KVM and kvmod both have.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kt_long.h"
#include "kvm_util.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE	101
#endif

#define REGION_SLOT	1
#define REGION_GPA	(1ULL << 30)
#define HUGE		(2UL << 20)
#define PARAMS_GPA	KT_DATA_GPA	/* region base, number of pages */
#define PORT_SUM	0x10

KT_GUEST_CODE64(sum_pages,
	"0:\n\t"
	"mov 0x2000, %rsi\n\t"
	"mov 0x2008, %rcx\n\t"
	"xor %eax, %eax\n"
	"1:\n\t"
	"mov (%rsi), %rdx\n\t"
	"add %rdx, %rax\n\t"
	"inc %rdx\n\t"
	"mov %rdx, 8(%rsi)\n\t"
	"add $4096, %rsi\n\t"
	"dec %rcx\n\t"
	"jnz 1b\n\t"
	"out %eax, $0x10\n\t"
	"jmp 0b\n\t");

FIXTURE(hmm) {
	struct kt_guest g;
	uint8_t *raw;		/* the mapping, before alignment */
	size_t raw_size;
	uint8_t *region;	/* 2 MiB-aligned guest memory */
	size_t size;
};

FIXTURE_SETUP(hmm)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, sum_pages,
				     KT_CODE_LEN(sum_pages)));
	ASSERT_EQ(0, kt_set_long_mode(self->g.vcpu_fd, self->g.mem,
				      KT_CODE_GPA));
	self->raw = NULL;
}

FIXTURE_TEARDOWN(hmm)
{
	kt_guest_destroy(&self->g);
	if (self->raw)
		munmap(self->raw, self->raw_size);
}

static uint64_t pattern(size_t page)
{
	return page * 7 + 3;
}

/* Anonymous memory of @size, 2 MiB-aligned, with @advice. */
static uint8_t *map_region(FIXTURE_DATA(hmm) *self, size_t size, int advice)
{
	uint8_t *p;

	self->raw_size = size + HUGE;
	self->raw = mmap(NULL, self->raw_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->raw == MAP_FAILED) {
		self->raw = NULL;
		return NULL;
	}
	p = (uint8_t *)(((uintptr_t)self->raw + HUGE - 1) & ~(HUGE - 1));
	if (madvise(p, size, advice))
		return NULL;
	return p;
}

static void fill(uint8_t *region, size_t size)
{
	size_t i;

	for (i = 0; i < size / KT_PAGE_SIZE; i++) {
		uint64_t v = pattern(i);

		memcpy(region + i * KT_PAGE_SIZE, &v, 8);
	}
}

static int add_region(FIXTURE_DATA(hmm) *self)
{
	struct kvm_userspace_memory_region r = {
		.slot = REGION_SLOT,
		.guest_phys_addr = REGION_GPA,
		.memory_size = self->size,
		.userspace_addr = (uintptr_t)self->region,
	};
	uint64_t params[2] = { REGION_GPA, self->size / KT_PAGE_SIZE };

	memcpy(self->g.mem + PARAMS_GPA, params, sizeof(params));
	return ioctl(self->g.vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno
								     : 0;
}

/*
 * One pass of the guest: the reported sum must be that of the first
 * qwords now in host memory, and every page must hold first + 1 at 8.
 */
static void guest_pass(struct __test_metadata *_metadata,
		       FIXTURE_DATA(hmm) *self)
{
	uint32_t sum = 0, got;
	size_t i, bad = 0;

	for (i = 0; i < self->size / KT_PAGE_SIZE; i++) {
		uint64_t v;

		memcpy(&v, self->region + i * KT_PAGE_SIZE, 8);
		sum += (uint32_t)v;
	}
	ASSERT_EQ(KVM_EXIT_IO, kt_run(self->g.vcpu_fd, self->g.run));
	ASSERT_EQ(PORT_SUM, self->g.run->io.port);
	memcpy(&got, kt_io_data(self->g.run), 4);
	EXPECT_EQ(sum, got);
	for (i = 0; i < self->size / KT_PAGE_SIZE; i++) {
		uint64_t first, second;

		memcpy(&first, self->region + i * KT_PAGE_SIZE, 8);
		memcpy(&second, self->region + i * KT_PAGE_SIZE + 8, 8);
		if (second != first + 1 && bad++ < 4)
			TH_LOG("page %zu: %#llx at 0, %#llx at 8", i,
			       (unsigned long long)first,
			       (unsigned long long)second);
	}
	EXPECT_EQ(0, bad);
}

/*
 * A per-VM statistic from debugfs (<dir>/<pid>-<vm fd>/<name>, dir kvmod
 * or kvm), or -1 when there is none.
 */
static long vm_stat(struct kt_guest *g, const char *name)
{
	static const char *const dirs[] = { "/sys/kernel/debug/kvmod",
					    "/sys/kernel/debug/kvm" };
	char path[256];
	unsigned int i;
	long v = -1;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(dirs) && v < 0; i++) {
		snprintf(path, sizeof(path), "%s/%d-%d/%s", dirs[i], getpid(),
			 g->vm_fd, name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* kB of AnonHugePages in this process. */
static long anon_huge_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST_F(hmm, thp_mapped_huge_and_split)
{
	self->size = 4 * HUGE;
	self->region = map_region(self, self->size, MADV_HUGEPAGE);
	ASSERT_NE(NULL, self->region);
	fill(self->region, self->size);
	if (anon_huge_kb() < (long)(self->size >> 10))
		SKIP(return, "the host gave no transparent huge pages");
	ASSERT_EQ(0, add_region(self));

	guest_pass(_metadata, self);
	EXPECT_EQ(4, vm_stat(&self->g, "pages_2m"));

	/* Punch one 4 KiB page out of the second huge page: split. */
	ASSERT_EQ(0, madvise(self->region + HUGE + 5 * KT_PAGE_SIZE,
			     KT_PAGE_SIZE, MADV_DONTNEED));
	guest_pass(_metadata, self);
	/* The punched page reads as zero now; the guest wrote 1 after it. */
	EXPECT_EQ(1, self->region[HUGE + 5 * KT_PAGE_SIZE + 8]);
	EXPECT_EQ(3, vm_stat(&self->g, "pages_2m"));
	EXPECT_LE(512, vm_stat(&self->g, "pages_4k"));
}

TEST_F(hmm, hugetlbfs_mapped_huge)
{
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	char old[32] = "0";
	FILE *f;

	f = fopen(nr, "r");
	ASSERT_NE(NULL, f);
	if (!fgets(old, sizeof(old), f))
		strcpy(old, "0");
	fclose(f);
	f = fopen(nr, "w");
	if (!f)
		SKIP(return, "cannot reserve huge pages (%s)", nr);
	fprintf(f, "%d\n", atoi(old) + 4);
	fclose(f);

	self->size = 4 * HUGE;
	self->region = mmap(NULL, self->size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (self->region == MAP_FAILED) {
		f = fopen(nr, "w");
		if (f) {
			fputs(old, f);
			fclose(f);
		}
		SKIP(return, "no hugetlbfs pages: %s", strerror(errno));
	}
	fill(self->region, self->size);
	ASSERT_EQ(0, add_region(self));
	guest_pass(_metadata, self);
	EXPECT_EQ(4, vm_stat(&self->g, "pages_2m"));
	EXPECT_EQ(0, vm_stat(&self->g, "pages_4k") > 64);

	/* The guest's memory goes back to the pool when the VM is gone. */
	kt_guest_destroy(&self->g);
	munmap(self->region, self->size);
	f = fopen(nr, "w");
	ASSERT_NE(NULL, f);
	fputs(old, f);
	fclose(f);
}

/* Swap on a zram device, unless some swap is on already. */
static bool swap_on(bool *ours)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen("/proc/swaps", "r");

	*ours = false;
	if (f) {
		while (fgets(line, sizeof(line), f))
			lines++;
		fclose(f);
	}
	if (lines > 1)
		return true;
	if (system("modprobe zram num_devices=1 2>/dev/null &&"
		   " echo 64M > /sys/block/zram0/disksize &&"
		   " mkswap /dev/zram0 >/dev/null 2>&1 &&"
		   " swapon /dev/zram0 2>/dev/null"))
		return false;
	*ours = true;
	return true;
}

static size_t resident_pages(uint8_t *p, size_t size)
{
	unsigned char vec[1024];
	size_t i, n = size / KT_PAGE_SIZE, r = 0;

	if (n > sizeof(vec) || mincore(p, size, vec))
		return (size_t)-1;
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

TEST_F(hmm, swapped_out_and_back)
{
	unsigned int i;
	bool ours;

	if (!swap_on(&ours))
		SKIP(return, "no swap and no zram to make some");
	self->size = 2 * HUGE;
	self->region = map_region(self, self->size, MADV_NOHUGEPAGE);
	ASSERT_NE(NULL, self->region);
	fill(self->region, self->size);
	ASSERT_EQ(0, add_region(self));
	guest_pass(_metadata, self);
	EXPECT_LE(512, vm_stat(&self->g, "pages_4k"));

	/*
	 * Nothing pinned: every page the guest mapped can go to swap. In-tree
	 * KVM reports the guest's accessed bits to the host (the notifier's
	 * clear_flush_young), so the first pass may only age the pages;
	 * kvmod does not, so one pass is enough there.
	 */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, madvise(self->region, self->size, MADV_PAGEOUT));
		if (resident_pages(self->region, self->size) < 16)
			break;
	}
	EXPECT_GT(16, resident_pages(self->region, self->size));
	EXPECT_GT(16, vm_stat(&self->g, "pages_4k"));
	guest_pass(_metadata, self);
	guest_pass(_metadata, self);

	if (ours)
		EXPECT_EQ(0, system("swapoff /dev/zram0"));
}

/* The frame behind @p, from /proc/self/pagemap (root), or 0. */
static uint64_t frame_of(void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / KT_PAGE_SIZE * 8) != 8)
		e = 0;
	close(fd);
	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

TEST_F(hmm, migrated_pages_followed)
{
	uint64_t before[4], after;
	unsigned int i;

	self->size = HUGE;
	self->region = map_region(self, self->size, MADV_NOHUGEPAGE);
	ASSERT_NE(NULL, self->region);
	fill(self->region, self->size);
	ASSERT_EQ(0, add_region(self));
	guest_pass(_metadata, self);

	for (i = 0; i < 4; i++) {
		before[i] = frame_of(self->region + (10 + i) * KT_PAGE_SIZE);
		ASSERT_NE(0, before[i]);
	}
	/* Soft offline migrates the pages' contents to new frames. */
	if (madvise(self->region + 10 * KT_PAGE_SIZE, 4 * KT_PAGE_SIZE,
		    MADV_SOFT_OFFLINE))
		SKIP(return, "MADV_SOFT_OFFLINE: %s", strerror(errno));
	for (i = 0; i < 4; i++) {
		after = frame_of(self->region + (10 + i) * KT_PAGE_SIZE);
		EXPECT_NE(before[i], after);
	}
	/* The guest reads the moved data and its writes land there. */
	self->region[11 * KT_PAGE_SIZE] ^= 0x40;
	guest_pass(_metadata, self);
	guest_pass(_metadata, self);
}

TEST_HARNESS_MAIN
