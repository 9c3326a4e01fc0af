// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG and KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
 *
 * A 64-bit guest walks a list of operations the host writes into slot 0
 * (read a page, write a page, or REP INSB into it, which the hypervisor
 * writes on the guest's behalf) over a 16 MiB dirty-logged slot, then
 * reports with an OUT. After each round the bitmap must be exactly the
 * set of pages the guest wrote since the last collection: no page read
 * only, no page written by the host's own userspace, no page written in
 * an earlier round.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kt_long.h"
#include "kvm_util.h"

#define LOG_SLOT	1
#define LOG_GPA		(1ULL << 30)
#define LOG_PAGES	4096ULL
#define LOG_SIZE	(LOG_PAGES * KT_PAGE_SIZE)
#define LIST_GPA	KT_DATA_GPA
#define LIST_MAX	((KT_STACK_GPA - KT_DATA_GPA) / 8 - 1)
#define BITMAP_WORDS	(LOG_PAGES / 64)

#define OP_READ		0
#define OP_WRITE	1
#define OP_INS		2
#define PORT_DONE	0x10
#define PORT_INS	0x20
#define INS_BYTE	0xab

/*
 * Forever: for each nonzero entry of the list at LIST_GPA (a page address
 * with the operation in its low bits) read the page, increment its first
 * qword, or REP INSB 4 bytes into it from PORT_INS; then OUT to PORT_DONE.
 */
KT_GUEST_CODE64(walk_ops,
	"0:\n\t"
	"mov $0x2000, %esi\n"
	"1:\n\t"
	"mov (%rsi), %rax\n\t"
	"test %rax, %rax\n\t"
	"jz 4f\n\t"
	"add $8, %rsi\n\t"
	"test $2, %al\n\t"
	"jnz 3f\n\t"
	"btr $0, %rax\n\t"
	"jc 2f\n\t"
	"mov (%rax), %rbx\n\t"
	"jmp 1b\n"
	"2:\n\t"
	"incq (%rax)\n\t"
	"jmp 1b\n"
	"3:\n\t"
	"and $-4, %rax\n\t"
	"mov %rax, %rdi\n\t"
	"mov $0x20, %dx\n\t"
	"mov $4, %ecx\n\t"
	"rep insb\n\t"
	"jmp 1b\n"
	"4:\n\t"
	"out %al, $0x10\n\t"
	"jmp 0b\n\t");

FIXTURE(dirty) {
	struct kt_guest g;
	uint8_t *mem;		/* host view of the logged slot */
	uint64_t want[BITMAP_WORDS];
	uint64_t got[BITMAP_WORDS];
	uint64_t read[BITMAP_WORDS];
};

/*
 * In-tree KVM maps a page writable on a read fault when the host page is
 * writable, and then counts it as dirty at once; kvmod maps it writable
 * (and logs it) only when the guest writes. On KVM, a page the guest only
 * read may therefore show up too.
 */
/* Every page the guest read in this test (reset by FIXTURE_SETUP). */
static uint64_t pages_read[BITMAP_WORDS];

static bool on_kvmod(void)
{
	return access("/sys/module/kvmod", F_OK) == 0;
}

static int set_log_slot(struct kt_guest *g, void *mem, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = LOG_SLOT,
		.flags = flags,
		.guest_phys_addr = LOG_GPA,
		.memory_size = LOG_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};

	return ioctl(g->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

FIXTURE_SETUP(dirty)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, walk_ops,
				     KT_CODE_LEN(walk_ops)));
	ASSERT_EQ(0, kt_set_long_mode(self->g.vcpu_fd, self->g.mem,
				      KT_CODE_GPA));
	self->mem = mmap(NULL, LOG_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	memset(self->want, 0, sizeof(self->want));
	memset(pages_read, 0, sizeof(pages_read));
}

FIXTURE_TEARDOWN(dirty)
{
	kt_guest_destroy(&self->g);
	munmap(self->mem, LOG_SIZE);
}

static int get_log(struct kt_guest *g, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(g->vm_fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

static int clear_log(struct kt_guest *g, uint32_t slot, uint64_t first,
		     uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot,
		.first_page = first,
		.num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return ioctl(g->vm_fd, KVM_CLEAR_DIRTY_LOG, &log) ? -errno : 0;
}

static int enable_manual(struct kt_guest *g, uint64_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args = { flags },
	};

	return ioctl(g->vm_fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

/* Run the list of @n operations once; answer the REP INSB exits. */
static void run_ops(struct __test_metadata *_metadata, struct kt_guest *g,
		    const uint64_t *ops, size_t n)
{
	uint64_t *list = (uint64_t *)(g->mem + LIST_GPA);
	int r, guard;

	size_t i;

	ASSERT_LE(n, LIST_MAX);
	for (i = 0; i < n; i++) {
		uint64_t page = (ops[i] - LOG_GPA) / KT_PAGE_SIZE;

		if ((ops[i] & 3) == OP_READ && page < LOG_PAGES)
			pages_read[page / 64] |= 1ULL << (page % 64);
	}
	memcpy(list, ops, n * sizeof(*ops));
	list[n] = 0;
	for (guard = 0; guard < 100000; guard++) {
		r = kt_run(g->vcpu_fd, g->run);
		ASSERT_EQ(KVM_EXIT_IO, r) {
			TH_LOG("exit %s", kt_exit_name(r));
		}
		if (g->run->io.port == PORT_DONE)
			return;
		ASSERT_EQ(PORT_INS, g->run->io.port);
		ASSERT_EQ(KVM_EXIT_IO_IN, g->run->io.direction);
		memset(kt_io_data(g->run), INS_BYTE,
		       g->run->io.size * g->run->io.count);
	}
	ASSERT_TRUE(0) TH_LOG("the guest never finished its list");
}

static uint64_t op(uint64_t page, int what)
{
	return LOG_GPA + page * KT_PAGE_SIZE + what;
}

static void want_dirty(uint64_t *want, uint64_t page)
{
	want[page / 64] |= 1ULL << (page % 64);
}

/*
 * The bitmap must be exactly @want, but for pages in @maybe (see
 * on_kvmod()); report the first few differences.
 */
static void expect_bitmap_but(struct __test_metadata *_metadata,
			      const uint64_t *want, const uint64_t *got,
			      const uint64_t *maybe)
{
	unsigned int i, shown = 0;

	for (i = 0; i < BITMAP_WORDS; i++) {
		uint64_t extra = maybe && !on_kvmod() ? maybe[i] : 0;

		if (want[i] == (got[i] & ~(extra & ~want[i])))
			continue;
		EXPECT_EQ(want[i], got[i]) {
			if (shown++ < 4)
				TH_LOG("pages %u-%u: want %#llx got %#llx",
				       i * 64, i * 64 + 63,
				       (unsigned long long)want[i],
				       (unsigned long long)got[i]);
		}
	}
}

static void expect_bitmap(struct __test_metadata *_metadata,
			  const uint64_t *want, const uint64_t *got)
{
	expect_bitmap_but(_metadata, want, got, pages_read);
}

/*
 * One random round of 4000 draws of a page: 1/8 are guest writes, 1/8
 * guest reads, 1/8 writes by the host itself; the guest's operations run in
 * random order.
 */
static size_t random_round(uint64_t *ops, uint64_t *want, uint64_t *read,
			   uint8_t *mem)
{
	size_t n = 0, i, k;
	uint64_t page;

	memset(want, 0, BITMAP_WORDS * 8);
	memset(read, 0, BITMAP_WORDS * 8);
	for (k = 0; k < 4000; k++) {
		page = random() % LOG_PAGES;
		switch (random() % 8) {
		case 0:
			ops[n++] = op(page, OP_WRITE);
			want_dirty(want, page);
			break;
		case 1:
			ops[n++] = op(page, OP_READ);
			want_dirty(read, page);
			break;
		case 2:
			mem[page * KT_PAGE_SIZE + 8]++;
			break;
		}
	}
	/* Shuffle. */
	for (i = n - 1; i > 0; i--) {
		size_t j = random() % (i + 1);
		uint64_t t = ops[i];

		ops[i] = ops[j];
		ops[j] = t;
	}
	return n;
}

TEST_F(dirty, random_rounds_exact)
{
	static uint64_t ops[LIST_MAX];
	unsigned int round, writes;
	size_t n, i;

	srandom(20261125);
	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	/* Nothing written yet. */
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	for (round = 0; round < 6; round++) {
		n = random_round(ops, self->want, self->read, self->mem);
		run_ops(_metadata, &self->g, ops, n);
		ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
		expect_bitmap_but(_metadata, self->want, self->got,
				  self->read);
		/* Each guest write landed in host memory. */
		for (i = 0, writes = 0; i < n; i++)
			writes += (ops[i] & 3) == OP_WRITE;
		ASSERT_NE(0, writes);
	}
	/* Collected and protected: with no guest write, nothing is dirty. */
	memset(self->want, 0, sizeof(self->want));
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
	run_ops(_metadata, &self->g, ops, 0);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
}

TEST_F(dirty, guest_writes_land_and_log)
{
	uint64_t ops[] = { op(5, OP_WRITE), op(5, OP_WRITE), op(7, OP_READ),
			   op(4095, OP_WRITE) };
	uint64_t v;

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	run_ops(_metadata, &self->g, ops, ARRAY_SIZE(ops));
	memcpy(&v, self->mem + 5 * KT_PAGE_SIZE, 8);
	EXPECT_EQ(2, v);
	memcpy(&v, self->mem + 4095 * KT_PAGE_SIZE, 8);
	EXPECT_EQ(1, v);
	want_dirty(self->want, 5);
	want_dirty(self->want, 4095);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
}

/* Writes the hypervisor makes for the guest (string I/O) are logged. */
TEST_F(dirty, string_in_is_logged)
{
	uint64_t ops[] = { op(100, OP_INS), op(200, OP_READ) };

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	run_ops(_metadata, &self->g, ops, ARRAY_SIZE(ops));
	EXPECT_EQ(INS_BYTE, self->mem[100 * KT_PAGE_SIZE + 3]);
	EXPECT_EQ(0, self->mem[100 * KT_PAGE_SIZE + 4]);
	want_dirty(self->want, 100);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
}

/* Logging switched on and off on a slot the guest already uses. */
TEST_F(dirty, flags_on_and_off)
{
	uint64_t before[] = { op(1, OP_WRITE), op(2, OP_WRITE) };
	uint64_t after[] = { op(2, OP_WRITE), op(3, OP_WRITE), op(9, OP_READ) };
	uint64_t v;

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem, 0));
	EXPECT_EQ(-ENOENT, get_log(&self->g, LOG_SLOT, self->got));
	run_ops(_metadata, &self->g, before, ARRAY_SIZE(before));

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	/* Writes from before logging are not reported. */
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
	run_ops(_metadata, &self->g, after, ARRAY_SIZE(after));
	want_dirty(self->want, 2);
	want_dirty(self->want, 3);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem, 0));
	EXPECT_EQ(-ENOENT, get_log(&self->g, LOG_SLOT, self->got));
	run_ops(_metadata, &self->g, after, ARRAY_SIZE(after));
	memcpy(&v, self->mem + 2 * KT_PAGE_SIZE, 8);
	EXPECT_EQ(3, v);
}

/* Manual protection, bitmap initially all set. */
TEST_F(dirty, manual_protect_initially_set)
{
	uint64_t ops[] = { op(10, OP_WRITE), op(70, OP_WRITE),
			   op(71, OP_WRITE), op(72, OP_READ) };
	uint64_t again[] = { op(10, OP_WRITE), op(71, OP_WRITE) };
	uint64_t clear[BITMAP_WORDS];
	int caps;

	caps = ioctl(self->g.vm_fd, KVM_CHECK_EXTENSION,
		     KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	ASSERT_EQ(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		  KVM_DIRTY_LOG_INITIALLY_SET, caps);
	ASSERT_EQ(0, enable_manual(&self->g, caps));
	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));

	memset(self->want, 0xff, sizeof(self->want));
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
	/* GET does not clear with manual protection. */
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	memset(clear, 0xff, sizeof(clear));
	ASSERT_EQ(0, clear_log(&self->g, LOG_SLOT, 0, LOG_PAGES, clear));
	memset(self->want, 0, sizeof(self->want));
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	run_ops(_metadata, &self->g, ops, ARRAY_SIZE(ops));
	want_dirty(self->want, 10);
	want_dirty(self->want, 70);
	want_dirty(self->want, 71);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	/* Clear only pages 64-127: 10 stays set, 70 and 71 go. */
	memset(clear, 0xff, sizeof(clear));
	ASSERT_EQ(0, clear_log(&self->g, LOG_SLOT, 64, 64, clear));
	self->want[1] = 0;
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);

	/* 71 was protected again by the clear: a new write shows. */
	run_ops(_metadata, &self->g, again, ARRAY_SIZE(again));
	want_dirty(self->want, 71);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
}

/* Manual protection without INITIALLY_SET: starts clean, protected. */
TEST_F(dirty, manual_protect_clean_start)
{
	uint64_t ops[] = { op(3, OP_WRITE) };
	uint64_t clear[BITMAP_WORDS];

	ASSERT_EQ(0, enable_manual(&self->g,
				   KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
	run_ops(_metadata, &self->g, ops, ARRAY_SIZE(ops));
	want_dirty(self->want, 3);
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
	/* Clearing a bit that is not set changes nothing. */
	memset(clear, 0, sizeof(clear));
	clear[0] = 1ULL << 4;
	ASSERT_EQ(0, clear_log(&self->g, LOG_SLOT, 0, LOG_PAGES, clear));
	ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
	expect_bitmap(_metadata, self->want, self->got);
}

/*
 * A slot whose base is not 64-page aligned: the 64-bit words of the
 * bitmap straddle the MMU's 512-page tables. Pages 511 and 512 of the
 * slot, rewritten each round, are dirty each round.
 */
TEST_F(dirty, unaligned_slot_base)
{
	struct kvm_userspace_memory_region r = {
		.slot = LOG_SLOT,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = LOG_GPA + KT_PAGE_SIZE,
		.memory_size = LOG_SIZE,
		.userspace_addr = (uintptr_t)self->mem,
	};
	uint64_t ops[] = { op(512, OP_WRITE), op(513, OP_WRITE),
			   op(514, OP_READ) };
	unsigned int round;

	ASSERT_EQ(0, ioctl(self->g.vm_fd, KVM_SET_USER_MEMORY_REGION, &r));
	/* op(n) is slot page n - 1 now. */
	want_dirty(self->want, 511);
	want_dirty(self->want, 512);
	want_dirty(pages_read, 513);
	for (round = 0; round < 3; round++) {
		run_ops(_metadata, &self->g, ops, ARRAY_SIZE(ops));
		ASSERT_EQ(0, get_log(&self->g, LOG_SLOT, self->got));
		expect_bitmap(_metadata, self->want, self->got);
	}
}

TEST_F(dirty, bad_arguments)
{
	uint64_t bits[BITMAP_WORDS];
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
	};

	memset(bits, 0, sizeof(bits));
	/* Unknown memslot flag. */
	EXPECT_EQ(-EINVAL, set_log_slot(&self->g, self->mem, 1U << 2));
	/* More than 2^31 - 1 pages in one slot. */
	EXPECT_EQ(-1, ioctl(self->g.vm_fd, KVM_SET_USER_MEMORY_REGION,
			    &(struct kvm_userspace_memory_region){
				.slot = 2, .flags = KVM_MEM_LOG_DIRTY_PAGES,
				.guest_phys_addr = 1ULL << 40,
				.memory_size = 1ULL << 44,
				.userspace_addr = 1ULL << 40 }));
	EXPECT_EQ(EINVAL, errno);
	/* Slot 1 does not exist yet; slot 0 does not log. */
	EXPECT_EQ(-ENOENT, get_log(&self->g, LOG_SLOT, bits));
	EXPECT_EQ(-ENOENT, get_log(&self->g, 0, bits));
	/* Beyond every address space / slot number. */
	EXPECT_EQ(-EINVAL, get_log(&self->g, 0x20000, bits));
	EXPECT_EQ(-EINVAL, get_log(&self->g, 40000, bits));
	EXPECT_EQ(-EINVAL, clear_log(&self->g, 40000, 0, 64, bits));

	ASSERT_EQ(0, set_log_slot(&self->g, self->mem,
				  KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(-EFAULT, get_log(&self->g, LOG_SLOT, (void *)8));
	EXPECT_EQ(-EFAULT, clear_log(&self->g, LOG_SLOT, 0, 64, (void *)8));
	/* first_page must be a multiple of 64. */
	EXPECT_EQ(-EINVAL, clear_log(&self->g, LOG_SLOT, 1, 63, bits));
	/* Past the end of the slot. */
	EXPECT_EQ(-EINVAL, clear_log(&self->g, LOG_SLOT, LOG_PAGES + 64, 0,
				     bits));
	EXPECT_EQ(-EINVAL, clear_log(&self->g, LOG_SLOT, 64, LOG_PAGES,
				     bits));
	/* A partial word only at the end of the slot. */
	EXPECT_EQ(-EINVAL, clear_log(&self->g, LOG_SLOT, 0, 100, bits));
	EXPECT_EQ(0, clear_log(&self->g, LOG_SLOT, LOG_PAGES - 64, 64, bits));
	EXPECT_EQ(0, clear_log(&self->g, LOG_SLOT, 0, 0, bits));

	/* KVM_ENABLE_CAP: flags and unknown options are refused. */
	cap.flags = 1;
	cap.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	EXPECT_EQ(-1, ioctl(self->g.vm_fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, enable_manual(&self->g, 1ULL << 5));
	/* INITIALLY_SET only together with manual protection. */
	EXPECT_EQ(-EINVAL, enable_manual(&self->g,
					 KVM_DIRTY_LOG_INITIALLY_SET));
	EXPECT_EQ(0, enable_manual(&self->g, 0));
}

TEST_HARNESS_MAIN
