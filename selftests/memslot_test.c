// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots seen from long-mode guests:
 *  - a sparse guest-physical space: slots at 0, 1 GiB, 3.9 GiB, just
 *    below 4 GiB, 4 GiB (1 GiB of MAP_NORESERVE memory the guest touches
 *    a few pages of), 64 GiB and the top of the guest's MAXPHYADDR;
 *  - as many slots as KVM_CAP_NR_MEMSLOTS reports, one page each, all
 *    touched by the guest, then all deleted (the guest gets MMIO exits)
 *    and created again on other memory (the guest sees the new data);
 *  - slot changes while 4 vCPUs run: a shared page's slot is deleted,
 *    created again, moved away and back, and every vCPU sees either the
 *    memory or MMIO exits, exactly so while the slot does not change;
 *  - argument checks and host-mapping cases errors_test.c does not
 *    cover.
 * The guest reads each address the test gives it into a result array and
 * writes the complement next to it; the test checks both in host memory.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define LOW_SIZE	0x200000ULL	/* slot 0 */
#define LIST_GPA	0x100000ULL	/* addresses for touch_list */
#define RESULT_GPA	0x180000ULL	/* what it read */
#define LIST_MAX	((RESULT_GPA - LIST_GPA) / 8)

/*
 * For RCX entries of the list at RSI: load the quadword at the address,
 * store it to the results at RDI and its complement 8 bytes after the
 * address.  Then HLT.
 */
KT_GUEST_CODE64(touch_list,
	"1:\n\t"
	"mov (%rsi), %rbx\n\t"
	"mov (%rbx), %rax\n\t"
	"mov %rax, (%rdi)\n\t"
	"not %rax\n\t"
	"touch_store:\n\t"
	"mov %rax, 8(%rbx)\n\t"
	"add $8, %rsi\n\t"
	"add $8, %rdi\n\t"
	"dec %rcx\n\t"
	"jnz 1b\n\t"
	"hlt\n\t");

#define KT_GUEST_LABEL(name)	extern const unsigned char name[]
KT_GUEST_LABEL(touch_store);

static const char *exit_str(int r)
{
	return r >= 0 ? kt_exit_name(r) : strerror(-r);
}

static void report_exit(struct kt_lm *lm, struct kt_vcpu *v, int r)
{
	struct kvm_run *run = v->run;
	struct kvm_regs regs;

	fprintf(stderr, "# exit %d (%s)", r, exit_str(r));
	if (r == KVM_EXIT_IO)
		fprintf(stderr, " port %#x", run->io.port);
	else if (r == KVM_EXIT_MMIO)
		fprintf(stderr, " gpa %#llx len %u write %u",
			(unsigned long long)run->mmio.phys_addr,
			run->mmio.len, run->mmio.is_write);
	else if (r == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, " suberror %u", run->internal.suberror);
	if (!kt_get_regs(v->fd, &regs))
		fprintf(stderr, " rip %#llx rbx %#llx rcx %#llx",
			(unsigned long long)regs.rip,
			(unsigned long long)regs.rbx,
			(unsigned long long)regs.rcx);
	fprintf(stderr, "\n");
	if (lm->exc->count)
		fprintf(stderr, "# exception %llu error %#llx cr2 %#llx rip %#llx\n",
			(unsigned long long)lm->exc->vector,
			(unsigned long long)lm->exc->error,
			(unsigned long long)lm->exc->cr2,
			(unsigned long long)lm->exc->rip);
}

/* Start touch_list on vCPU 0 over @n addresses. */
static void start_touch(struct __test_metadata *_metadata, struct kt_lm *lm,
			const uint64_t *addrs, size_t n)
{
	struct kvm_regs regs;

	ASSERT_LE(n, LIST_MAX);
	memcpy(lm->low + LIST_GPA, addrs, n * 8);
	memset(lm->low + RESULT_GPA, 0xee, n * 8);
	memset(&regs, 0, sizeof(regs));
	regs.rip = KT_LM_CODE;
	regs.rsp = KT_LM_STACKS + KT_PAGE_SIZE;
	regs.rflags = 0x2;
	regs.rsi = LIST_GPA;
	regs.rdi = RESULT_GPA;
	regs.rcx = n;
	ASSERT_EQ(0, kt_set_regs(lm->v[0].fd, &regs));
}

static void expect_exit(struct __test_metadata *_metadata, struct kt_lm *lm,
			int want)
{
	int r = kt_run(lm->v[0].fd, lm->v[0].run);

	if (r != want)
		report_exit(lm, &lm->v[0], r);
	ASSERT_EQ(want, r);
}

static uint64_t result(struct kt_lm *lm, size_t i)
{
	uint64_t v;

	memcpy(&v, lm->low + RESULT_GPA + i * 8, 8);
	return v;
}

/* What the host puts at guest-physical @gpa in round @round. */
static uint64_t magic(uint64_t gpa, int round)
{
	return (gpa * 0x9e3779b97f4a7c15ULL) ^ (0xa5a5000000000000ULL + round);
}

static void put64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The guest's MAXPHYADDR from the supported CPUID (36 without the leaf). */
static int guest_phys_bits(struct kt_lm *lm)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(lm->cpuid, 0x80000008, 0);

	return e ? (e->eax & 0xff) : 36;
}

/* ---- (a) a sparse guest-physical space ---- */

struct sparse_slot {
	uint64_t gpa, size;
	uint8_t *hva;
};

FIXTURE(sparse) {
	struct kt_lm lm;
	struct sparse_slot s[6];
	uint64_t addrs[32];
	uint8_t *host[32];
	size_t n;
};

FIXTURE_SETUP(sparse)
{
	struct kt_lm *lm = &self->lm;
	uint64_t top;
	unsigned int i;

	ASSERT_EQ(0, kt_lm_create(lm, LOW_SIZE, 1, touch_list,
				  KT_CODE_LEN(touch_list)));
	top = 1ULL << guest_phys_bits(lm);
	self->s[0] = (struct sparse_slot){ .gpa = 0x40000000, .size = 0x10000 };
	self->s[1] = (struct sparse_slot){ .gpa = 0xf9800000, .size = 0x2000 };
	self->s[2] = (struct sparse_slot){ .gpa = 0xfffff000, .size = 0x1000 };
	self->s[3] = (struct sparse_slot){ .gpa = 0x100000000ULL,
					   .size = 0x40000000 };
	self->s[4] = (struct sparse_slot){ .gpa = 0x1000000000ULL,
					   .size = 0x4000 };
	self->s[5] = (struct sparse_slot){ .gpa = top - 0x4000,
					   .size = 0x4000 };
	for (i = 0; i < ARRAY_SIZE(self->s); i++) {
		struct sparse_slot *s = &self->s[i];

		s->hva = map_anon(s->size);
		ASSERT_NE(NULL, s->hva);
		ASSERT_EQ(0, kt_set_region(lm->vm_fd, i + 1, 0, s->gpa,
					   s->size, s->hva))
			TH_LOG("slot at %#llx", (unsigned long long)s->gpa);
		/* First and last pages, and for the big one a few inside. */
		self->addrs[self->n] = s->gpa;
		self->host[self->n++] = s->hva;
		self->addrs[self->n] = s->gpa + s->size - 16;
		self->host[self->n++] = s->hva + s->size - 16;
		if (s->size >= 0x40000000) {
			static const uint64_t off[] = {
				0x1000, 0x200008, 0x10000000 + 0x128,
				0x20000000, 0x3ffff000 - 0x40,
			};
			unsigned int k;

			for (k = 0; k < ARRAY_SIZE(off); k++) {
				self->addrs[self->n] = s->gpa + off[k];
				self->host[self->n++] = s->hva + off[k];
			}
		}
	}
	/* Identity-mapped, only the pages the guest touches. */
	for (i = 0; i < self->n; i++) {
		uint64_t page = self->addrs[i] & ~(KT_PAGE_SIZE - 1);

		ASSERT_EQ(0, kt_pt_map(&lm->pt, page, page, KT_SIZE_4K,
				       KT_PTE_W));
	}
}

FIXTURE_TEARDOWN(sparse)
{
	unsigned int i;

	kt_lm_destroy(&self->lm);
	for (i = 0; i < ARRAY_SIZE(self->s); i++)
		if (self->s[i].hva)
			munmap(self->s[i].hva, self->s[i].size);
}

static void sparse_round(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sparse) *self, int round)
{
	size_t i;

	for (i = 0; i < self->n; i++) {
		put64(self->host[i], magic(self->addrs[i], round));
		put64(self->host[i] + 8, 0);
	}
	start_touch(_metadata, &self->lm, self->addrs, self->n);
	expect_exit(_metadata, &self->lm, KVM_EXIT_HLT);
	for (i = 0; i < self->n; i++) {
		uint64_t m = magic(self->addrs[i], round);

		EXPECT_EQ(m, result(&self->lm, i))
			TH_LOG("round %d: guest read at %#llx", round,
			       (unsigned long long)self->addrs[i]);
		EXPECT_EQ(~m, get64(self->host[i] + 8))
			TH_LOG("round %d: guest write at %#llx", round,
			       (unsigned long long)self->addrs[i] + 8);
	}
}

TEST_F(sparse, touch_every_slot)
{
	unsigned char vec[0x40000000 / 4096 / 64];
	struct sparse_slot *big = &self->s[3];
	size_t i, resident = 0, chunk = big->size / 64;
	unsigned int k;

	sparse_round(_metadata, self, 1);
	/* Host data changed under existing mappings reaches the guest. */
	sparse_round(_metadata, self, 2);

	/* Only a few pages of the 1 GiB mapping were ever populated. */
	for (k = 0; k < 64; k++) {
		ASSERT_EQ(0, mincore(big->hva + k * chunk, chunk, vec));
		for (i = 0; i < sizeof(vec); i++)
			resident += vec[i] & 1;
	}
	EXPECT_GE(7 * 512, resident);
}

static int in_a_slot(FIXTURE_DATA(sparse) *self, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->s); i++)
		if (gpa >= self->s[i].gpa &&
		    gpa - self->s[i].gpa < self->s[i].size)
			return 1;
	return gpa < LOW_SIZE;
}

/* The page right after (or before) each slot is not memory: MMIO. */
TEST_F(sparse, beyond_each_slot_is_mmio)
{
	uint64_t top = 1ULL << guest_phys_bits(&self->lm);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->s); i++) {
		struct sparse_slot *s = &self->s[i];
		uint64_t gpa = s->gpa + s->size;
		struct kvm_run *run = self->lm.v[0].run;

		if (gpa >= top || in_a_slot(self, gpa))
			gpa = s->gpa - 0x1000;
		ASSERT_FALSE(in_a_slot(self, gpa));
		ASSERT_EQ(0, kt_pt_map(&self->lm.pt, gpa, gpa, KT_SIZE_4K,
				       KT_PTE_W));
		memset(s->hva + s->size - 0x1000, 0x77, 0x1000);
		start_touch(_metadata, &self->lm, &gpa, 1);
		expect_exit(_metadata, &self->lm, KVM_EXIT_MMIO);
		EXPECT_EQ(gpa, run->mmio.phys_addr);
		EXPECT_EQ(8, run->mmio.len);
		EXPECT_EQ(0, run->mmio.is_write);
		put64(run->mmio.data, 0x1234);
		expect_exit(_metadata, &self->lm, KVM_EXIT_MMIO);
		EXPECT_EQ(gpa + 8, run->mmio.phys_addr);
		EXPECT_EQ(1, run->mmio.is_write);
		EXPECT_EQ(~0x1234ULL, get64(run->mmio.data));
		expect_exit(_metadata, &self->lm, KVM_EXIT_HLT);
		EXPECT_EQ(0x1234, result(&self->lm, 0));
	}
}

/* ---- (b) every memslot the hypervisor offers ---- */

#define MANY_GPA	0x40000000ULL
#define MANY_STRIDE	0x2000ULL	/* a hole after each one-page slot */

static uint64_t many_gpa(int slot)
{
	return MANY_GPA + (uint64_t)(slot - 1) * MANY_STRIDE;
}

/* Create slots 1 .. @nr - 1 on the pages of @mem; 0 or -errno. */
static int many_create(int vm_fd, int nr, uint8_t *mem)
{
	int i, r;

	for (i = 1; i < nr; i++) {
		r = kt_set_region(vm_fd, i, 0, many_gpa(i), KT_PAGE_SIZE,
				  mem + (size_t)(i - 1) * KT_PAGE_SIZE);
		if (r)
			return r;
	}
	return 0;
}

/* The guest reads a word of every slot; check reads and writes. */
static void many_touch(struct __test_metadata *_metadata, struct kt_lm *lm,
		       int nr, uint8_t *mem, int round)
{
	uint64_t *addrs = calloc(nr, 8);
	int i, bad = 0;

	ASSERT_NE(NULL, addrs);
	for (i = 1; i < nr; i++) {
		uint64_t off = (uint64_t)(i * 8) % (KT_PAGE_SIZE - 8);

		addrs[i - 1] = many_gpa(i) + off;
		put64(mem + (size_t)(i - 1) * KT_PAGE_SIZE + off,
		      magic(addrs[i - 1], round));
	}
	start_touch(_metadata, lm, addrs, nr - 1);
	expect_exit(_metadata, lm, KVM_EXIT_HLT);
	for (i = 1; i < nr && bad < 10; i++) {
		uint64_t off = (uint64_t)(i * 8) % (KT_PAGE_SIZE - 8);
		uint8_t *p = mem + (size_t)(i - 1) * KT_PAGE_SIZE + off;
		uint64_t m = magic(addrs[i - 1], round);

		if (result(lm, i - 1) != m || get64(p + 8) != ~m) {
			bad++;
			TH_LOG("slot %d at %#llx: read %#llx, wrote %#llx, want %#llx",
			       i, (unsigned long long)addrs[i - 1],
			       (unsigned long long)result(lm, i - 1),
			       (unsigned long long)get64(p + 8),
			       (unsigned long long)m);
		}
	}
	EXPECT_EQ(0, bad);
	free(addrs);
}

FIXTURE(many) {
	int unused;
};

FIXTURE_SETUP(many)
{
}

FIXTURE_TEARDOWN(many)
{
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * In-tree KVM offers 32764 slots and a slot change costs it 1-4 ms under
 * TCG: minutes.  kvmod's 509 take a fraction of a second.
 */
TEST_F_TIMEOUT(many, all_memslots, 900)
{
	double t0 = now();
	struct kt_lm lm;
	uint8_t *mem[2];
	size_t size;
	uint64_t a, gpa;
	int nr, i;

	ASSERT_EQ(0, kt_lm_create(&lm, LOW_SIZE, 1, touch_list,
				  KT_CODE_LEN(touch_list)));
	nr = kt_check_cap(lm.sys_fd, KVM_CAP_NR_MEMSLOTS);
	ASSERT_LT(1, nr);
	ASSERT_GE(LIST_MAX, (uint64_t)nr);
	TH_LOG("KVM_CAP_NR_MEMSLOTS: %d", nr);
	size = (size_t)(nr - 1) * KT_PAGE_SIZE;
	mem[0] = map_anon(size);
	mem[1] = map_anon(size);
	ASSERT_NE(NULL, mem[0]);
	ASSERT_NE(NULL, mem[1]);
	for (a = MANY_GPA; a < many_gpa(nr); a += KT_SIZE_2M)
		ASSERT_EQ(0, kt_pt_map(&lm.pt, a, a, KT_SIZE_2M, KT_PTE_W));

	ASSERT_EQ(0, many_create(lm.vm_fd, nr, mem[0]));
	TH_LOG("created: %.2fs", now() - t0);
	/* Every id is taken: slot ids go up to nr - 1 only. */
	EXPECT_EQ(-EINVAL, kt_set_region(lm.vm_fd, nr, 0, many_gpa(nr),
					 KT_PAGE_SIZE, mem[0]));
	many_touch(_metadata, &lm, nr, mem[0], 1);
	TH_LOG("touched: %.2fs", now() - t0);

	for (i = 1; i < nr; i++)
		ASSERT_EQ(0, kt_set_region(lm.vm_fd, i, 0, many_gpa(i), 0,
					   NULL));
	TH_LOG("deleted: %.2fs", now() - t0);
	/* Gone: the first and the last are MMIO now. */
	for (i = 1; i < nr; i += nr - 2) {
		struct kvm_run *run = lm.v[0].run;

		gpa = many_gpa(i);
		start_touch(_metadata, &lm, &gpa, 1);
		expect_exit(_metadata, &lm, KVM_EXIT_MMIO);
		EXPECT_EQ(gpa, run->mmio.phys_addr);
		EXPECT_EQ(0, run->mmio.is_write);
		put64(run->mmio.data, 0);
		expect_exit(_metadata, &lm, KVM_EXIT_MMIO);
		EXPECT_EQ(gpa + 8, run->mmio.phys_addr);
		EXPECT_EQ(1, run->mmio.is_write);
		expect_exit(_metadata, &lm, KVM_EXIT_HLT);
		if (nr == 2)
			break;
	}

	/* Created again on other memory: the guest sees only that. */
	ASSERT_EQ(0, many_create(lm.vm_fd, nr, mem[1]));
	TH_LOG("created again: %.2fs", now() - t0);
	many_touch(_metadata, &lm, nr, mem[1], 2);
	TH_LOG("touched: %.2fs", now() - t0);

	munmap(mem[0], size);
	munmap(mem[1], size);
	kt_lm_destroy(&lm);
}

/* ---- (c) slot changes while vCPUs run ---- */

#define NR_VCPUS	4
#define OWN_GPA		0x100000ULL	/* vCPU i: OWN_GPA + i * 4 KiB */
#define SHARED_GPA	0x80000000ULL
#define ALT_GPA		0x90000000ULL
#define MARKER		0x4d4d494f4d4d494fULL	/* "OIMMOIMM" */
#define PATTERN		0x5061747465726e21ULL
#define PORT_DONE	0x30
#define NR_CHANGES	250

/*
 * RBX: own page, RSI: shared page, RDI: 8 * (vCPU index + 1).
 * own[0]++; own[1] = shared[0]; shared[idx] = own[0];
 * own[2] = shared[idx]; OUT.
 */
KT_GUEST_CODE64(shared_loop,
	"1:\n\t"
	"incq (%rbx)\n\t"
	"mov (%rbx), %rax\n\t"
	"mov (%rsi), %rdx\n\t"
	"mov %rdx, 8(%rbx)\n\t"
	"mov %rax, (%rsi,%rdi)\n\t"
	"mov (%rsi,%rdi), %rcx\n\t"
	"mov %rcx, 16(%rbx)\n\t"
	"out %al, $0x30\n\t"
	"jmp 1b\n\t");

struct mt {
	struct kt_lm lm;
	uint8_t *shared;
	atomic_uint gen;	/* odd while the main thread changes the slot */
	atomic_int stop;
	atomic_ulong iters[NR_VCPUS];
	/* Per vCPU: how the iterations went. */
	unsigned long stable_present[NR_VCPUS];
	unsigned long stable_absent[NR_VCPUS];
	unsigned long mmio_exits[NR_VCPUS];
	char err[NR_VCPUS][160];
};

struct mt_arg {
	struct mt *mt;
	int idx;
};

/* The slot state the main thread published (stable while gen is even). */
static atomic_int shared_present;

static void *vcpu_thread(void *p)
{
	struct mt_arg *arg = p;
	struct mt *mt = arg->mt;
	int idx = arg->idx;
	struct kt_vcpu *v = &mt->lm.v[idx];
	struct kvm_run *run = v->run;
	uint8_t *own = mt->lm.low + OWN_GPA + idx * KT_PAGE_SIZE;
	uint64_t idx_gpa = SHARED_GPA + 8 * (idx + 1);
	unsigned long count = 0, mmio = 0;
	unsigned int gen0 = atomic_load(&mt->gen);
	int present0 = atomic_load(&shared_present);
	char *err = mt->err[idx];

	while (!atomic_load(&mt->stop)) {
		int r = kt_run(v->fd, run);

		if (r == KVM_EXIT_MMIO) {
			uint64_t gpa = run->mmio.phys_addr;

			mmio++;
			if (run->mmio.len != 8 ||
			    (gpa != SHARED_GPA && gpa != idx_gpa) ||
			    (run->mmio.is_write && gpa != idx_gpa)) {
				snprintf(err, 160, "MMIO %s of %u at %#llx",
					 run->mmio.is_write ? "write" : "read",
					 run->mmio.len,
					 (unsigned long long)gpa);
				break;
			}
			if (run->mmio.is_write &&
			    get64(run->mmio.data) != count + 1) {
				snprintf(err, 160, "MMIO write of %#llx, iteration %lu",
					 (unsigned long long)get64(run->mmio.data),
					 count + 1);
				break;
			}
			if (!run->mmio.is_write)
				put64(run->mmio.data, MARKER);
			continue;
		}
		if (r == KVM_EXIT_INTERNAL_ERROR) {
			snprintf(err, 160,
				 "exit %d (%s) suberror %u data %#llx %#llx",
				 r, exit_str(r), run->internal.suberror,
				 (unsigned long long)run->internal.data[0],
				 (unsigned long long)run->internal.data[1]);
			break;
		}
		if (r != KVM_EXIT_IO || run->io.port != PORT_DONE) {
			snprintf(err, 160, "exit %d (%s)", r, exit_str(r));
			break;
		}

		/* One iteration done: check what the guest saw. */
		count++;
		if (get64(own) != count) {
			snprintf(err, 160, "own counter %#llx, want %lu",
				 (unsigned long long)get64(own), count);
			break;
		}
		if (get64(own + 8) != PATTERN && get64(own + 8) != MARKER) {
			snprintf(err, 160, "shared[0] read %#llx",
				 (unsigned long long)get64(own + 8));
			break;
		}
		if (get64(own + 16) != MARKER && get64(own + 16) > count) {
			snprintf(err, 160, "shared[%d] read back %#llx at %lu",
				 idx + 1, (unsigned long long)get64(own + 16),
				 count);
			break;
		}
		/* The slot did not change during the iteration: exact. */
		if (!(gen0 & 1) && atomic_load(&mt->gen) == gen0) {
			uint64_t want = present0 ? PATTERN : MARKER;
			uint64_t back = present0 ? count : MARKER;

			if (get64(own + 8) != want || get64(own + 16) != back ||
			    (present0 ? mmio != 0 : mmio != 3)) {
				snprintf(err, 160,
					 "slot %s: read %#llx, back %#llx, %lu MMIO exits at %lu",
					 present0 ? "present" : "absent",
					 (unsigned long long)get64(own + 8),
					 (unsigned long long)get64(own + 16),
					 mmio, count);
				break;
			}
			if (present0)
				mt->stable_present[idx]++;
			else
				mt->stable_absent[idx]++;
		}
		mt->mmio_exits[idx] += mmio;
		mmio = 0;
		atomic_store(&mt->iters[idx], count);
		gen0 = atomic_load(&mt->gen);
		present0 = atomic_load(&shared_present);
	}
	atomic_store(&mt->stop, 1);
	return NULL;
}

/* Change the shared slot; @present: where the guest looks afterwards. */
static int mt_change(struct mt *mt, uint64_t gpa, uint64_t size, int present)
{
	int r;

	atomic_fetch_add(&mt->gen, 1);
	r = kt_set_region(mt->lm.vm_fd, 1, 0, gpa, size, mt->shared);
	atomic_store(&shared_present, present);
	atomic_fetch_add(&mt->gen, 1);
	return r;
}

/* Wait until every vCPU finished two iterations after @since; 0 or -1. */
static int mt_wait(struct mt *mt, const unsigned long *since, double deadline)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		while (atomic_load(&mt->iters[i]) < since[i] + 2) {
			if (atomic_load(&mt->stop) || now() > deadline)
				return -1;
			usleep(200);
		}
	}
	return 0;
}

FIXTURE(running) {
	int unused;
};

FIXTURE_SETUP(running)
{
}

FIXTURE_TEARDOWN(running)
{
}

TEST_F_TIMEOUT(running, slot_changes, 150)
{
	static const struct {
		uint64_t gpa, size;
		int present;
	} step[] = {
		{ SHARED_GPA, 0, 0 },			/* delete */
		{ SHARED_GPA, KT_PAGE_SIZE, 1 },	/* create */
		{ ALT_GPA, KT_PAGE_SIZE, 0 },		/* move away */
		{ SHARED_GPA, KT_PAGE_SIZE, 1 },	/* move back */
	};
	struct mt *mt = calloc(1, sizeof(*mt));
	struct mt_arg args[NR_VCPUS];
	pthread_t th[NR_VCPUS];
	unsigned long since[NR_VCPUS];
	double deadline;
	int i, k, changes = 0, failed = 0;

	/*
	 * $KT_ONE_CPU: every thread on one CPU. The QEMU 7.2 test VM (TCG
	 * with emulated SVM) corrupts state when two of its CPUs run guests
	 * while this test churns slots: kvmod's vCPUs and in-tree kvm-amd's
	 * alike end with host state in the VMCB or a corrupted host stack.
	 */
	if (getenv("KT_ONE_CPU")) {
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	}
	ASSERT_NE(NULL, mt);
	ASSERT_EQ(0, kt_lm_create(&mt->lm, LOW_SIZE, NR_VCPUS, shared_loop,
				  KT_CODE_LEN(shared_loop)));
	mt->shared = map_anon(KT_PAGE_SIZE);
	ASSERT_NE(NULL, mt->shared);
	put64(mt->shared, PATTERN);
	ASSERT_EQ(0, kt_pt_map(&mt->lm.pt, SHARED_GPA, SHARED_GPA, KT_SIZE_4K,
			       KT_PTE_W));
	ASSERT_EQ(0, kt_set_region(mt->lm.vm_fd, 1, 0, SHARED_GPA,
				   KT_PAGE_SIZE, mt->shared));
	atomic_store(&shared_present, 1);
	for (i = 0; i < NR_VCPUS; i++) {
		struct kvm_regs regs;

		ASSERT_EQ(0, kt_get_regs(mt->lm.v[i].fd, &regs));
		regs.rbx = OWN_GPA + i * KT_PAGE_SIZE;
		regs.rsi = SHARED_GPA;
		regs.rdi = 8 * (i + 1);
		ASSERT_EQ(0, kt_set_regs(mt->lm.v[i].fd, &regs));
	}

	for (i = 0; i < NR_VCPUS; i++) {
		args[i].mt = mt;
		args[i].idx = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, vcpu_thread,
					    &args[i]));
	}

	deadline = now() + 120;
	for (k = 0; k < NR_CHANGES && !failed; k++) {
		if (mt_change(mt, step[k % 4].gpa, step[k % 4].size,
			      step[k % 4].present)) {
			TH_LOG("change %d: %s", k, strerror(errno));
			failed = 1;
			break;
		}
		changes++;
		/*
		 * Every vCPU runs a whole iteration in the new state: the
		 * second one it finishes from now on.
		 */
		for (i = 0; i < NR_VCPUS; i++)
			since[i] = atomic_load(&mt->iters[i]);
		if (mt_wait(mt, since, deadline))
			failed = 1;
	}
	atomic_store(&mt->stop, 1);
	for (i = 0; i < NR_VCPUS; i++)
		pthread_join(th[i], NULL);

	for (i = 0; i < NR_VCPUS; i++) {
		EXPECT_EQ(0, mt->err[i][0]) TH_LOG("vCPU %d: %s", i, mt->err[i]);
		TH_LOG("vCPU %d: %lu iterations, exact %lu present, %lu absent, %lu MMIO exits",
		       i, atomic_load(&mt->iters[i]), mt->stable_present[i],
		       mt->stable_absent[i], mt->mmio_exits[i]);
		EXPECT_LE(2 * NR_CHANGES, atomic_load(&mt->iters[i]));
		EXPECT_LT(0, mt->stable_present[i]);
		EXPECT_LT(0, mt->stable_absent[i]);
	}
	EXPECT_EQ(NR_CHANGES, changes);
	EXPECT_EQ(0, failed);
	/* The slot is present at SHARED_GPA again (step 3): data kept. */
	EXPECT_EQ(PATTERN, get64(mt->shared));
	for (i = 0; i < NR_VCPUS; i++)
		EXPECT_GE(atomic_load(&mt->iters[i]),
			  get64(mt->shared + 8 * (i + 1)));
	munmap(mt->shared, KT_PAGE_SIZE);
	kt_lm_destroy(&mt->lm);
	free(mt);
}

/* ---- (d) argument checks and host mappings ---- */

FIXTURE(args) {
	struct kt_lm lm;
	uint8_t *mem;		/* 4 pages */
};

#define ARGS_GPA	0x40000000ULL
#define ARGS_SIZE	(4 * KT_PAGE_SIZE)

FIXTURE_SETUP(args)
{
	uint64_t a;

	ASSERT_EQ(0, kt_lm_create(&self->lm, LOW_SIZE, 1, touch_list,
				  KT_CODE_LEN(touch_list)));
	self->mem = map_anon(ARGS_SIZE);
	ASSERT_NE(NULL, self->mem);
	for (a = ARGS_GPA; a < ARGS_GPA + 4 * ARGS_SIZE; a += KT_PAGE_SIZE)
		ASSERT_EQ(0, kt_pt_map(&self->lm.pt, a, a, KT_SIZE_4K,
				       KT_PTE_W));
}

FIXTURE_TEARDOWN(args)
{
	kt_lm_destroy(&self->lm);
	munmap(self->mem, ARGS_SIZE);
}

/* The guest reads @gpa and writes the complement after it: HLT. */
static void touch_one(struct __test_metadata *_metadata, struct kt_lm *lm,
		      uint64_t gpa, uint64_t want)
{
	start_touch(_metadata, lm, &gpa, 1);
	expect_exit(_metadata, lm, KVM_EXIT_HLT);
	EXPECT_EQ(want, result(lm, 0));
}

/* Slot ids carry the address space in bits 16-31. */
TEST_F(args, address_space_out_of_range)
{
	int nr_as = kt_check_cap(self->lm.sys_fd,
				 KVM_CAP_MULTI_ADDRESS_SPACE);

	if (nr_as < 1)
		nr_as = 1;
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1 | nr_as << 16, 0,
					 ARGS_GPA, ARGS_SIZE, self->mem));
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1 | 0xffffU << 16,
					 0, ARGS_GPA, ARGS_SIZE, self->mem));
	/* Nothing was created. */
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, 0,
					 NULL));
}

/* An existing slot keeps its host memory: no change of address. */
TEST_F(args, change_userspace_addr)
{
	uint8_t *other = map_anon(ARGS_SIZE);

	ASSERT_NE(NULL, other);
	put64(self->mem, 0x1111);
	put64(other, 0x2222);
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, ARGS_SIZE,
				   self->mem));
	touch_one(_metadata, &self->lm, ARGS_GPA, 0x1111);
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA,
					 ARGS_SIZE, other));
	touch_one(_metadata, &self->lm, ARGS_GPA, 0x1111);
	EXPECT_EQ(~0x1111ULL, get64(self->mem + 8));
	EXPECT_EQ(0, get64(other + 8));
	munmap(other, ARGS_SIZE);
}

/* A move onto another slot fails; a move overlapping itself works. */
TEST_F(args, move_overlaps)
{
	uint8_t *other = map_anon(KT_PAGE_SIZE);
	uint64_t moved = ARGS_GPA + KT_PAGE_SIZE;

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, ARGS_SIZE,
				   self->mem));
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 2, 0,
				   ARGS_GPA + 2 * ARGS_SIZE, KT_PAGE_SIZE,
				   other));
	EXPECT_EQ(-EEXIST, kt_set_region(self->lm.vm_fd, 1, 0,
					 ARGS_GPA + ARGS_SIZE + KT_PAGE_SIZE,
					 ARGS_SIZE, self->mem));
	put64(self->mem, 0x3333);
	touch_one(_metadata, &self->lm, ARGS_GPA, 0x3333);
	/* One page up: the guest finds the same data a page later. */
	EXPECT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, moved, ARGS_SIZE,
				   self->mem));
	put64(self->mem, 0x4444);
	touch_one(_metadata, &self->lm, moved, 0x4444);
	munmap(other, KT_PAGE_SIZE);
}

/* Two slots on the same host memory: one page, two guest addresses. */
TEST_F(args, aliased_slots)
{
	uint64_t alias = ARGS_GPA + 2 * ARGS_SIZE;

	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, ARGS_SIZE,
				   self->mem));
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 2, 0, alias, ARGS_SIZE,
				   self->mem));
	put64(self->mem + 0x100, 0x5555);
	touch_one(_metadata, &self->lm, ARGS_GPA + 0x100, 0x5555);
	/* The guest's write through the first is read through the second. */
	touch_one(_metadata, &self->lm, alias + 0x108, ~0x5555ULL);
	EXPECT_EQ(0x5555, get64(self->mem + 0x110));
}

/*
 * In-tree KVM refuses slots of more than KVM_MEM_MAX_NR_PAGES (2^31 - 1)
 * pages, and slots that end beyond the host's physical address width
 * (kvm_mmu_max_gfn() in kvm_arch_prepare_memory_region()).
 */
#define HUGE_UADDR	0x100000000000ULL	/* 16 TiB, nothing mapped */
#define HUGE_GPA	0x10000000000ULL	/* 1 TiB: no other slot */

TEST_F(args, too_many_pages)
{
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1, 0, HUGE_GPA,
					 (1ULL << 31) * KT_PAGE_SIZE,
					 (void *)HUGE_UADDR));
}

TEST_F(args, beyond_maxphyaddr)
{
	uint64_t top = 1ULL << guest_phys_bits(&self->lm);

	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1, 0, top, ARGS_SIZE,
					 self->mem));
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1, 0,
					 top - KT_PAGE_SIZE, ARGS_SIZE,
					 self->mem));
	/* Up to the last page is fine. */
	EXPECT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, top - ARGS_SIZE,
				   ARGS_SIZE, self->mem));
}

/*
 * A dirty-logged slot whose bitmap would be larger than INT_MAX bytes
 * (2^34 pages).  kvmod allocates the bitmap with kvzalloc(), which
 * WARNs for such a size.
 */
TEST_F(args, too_many_pages_dirty_log)
{
	EXPECT_EQ(-EINVAL, kt_set_region(self->lm.vm_fd, 1,
					 KVM_MEM_LOG_DIRTY_PAGES, HUGE_GPA,
					 (1ULL << 34) * KT_PAGE_SIZE,
					 (void *)HUGE_UADDR));
}

/*
 * A writable slot on a read-only host mapping: the guest may read it, a
 * guest write makes KVM_RUN fail with EFAULT.
 */
TEST_F(args, readonly_host_mapping)
{
	struct kvm_run *run = self->lm.v[0].run;
	uint64_t list[2] = { ARGS_GPA + 0x40, 0 };
	struct kvm_regs regs;

	put64(self->mem + 0x40, 0x6666);
	ASSERT_EQ(0, mprotect(self->mem, ARGS_SIZE, PROT_READ));
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, ARGS_SIZE,
				   self->mem));
	start_touch(_metadata, &self->lm, list, 1);
	EXPECT_EQ(-EFAULT, kt_run(self->lm.v[0].fd, run));
	/* The read was done, the write was not. */
	EXPECT_EQ(0x6666, result(&self->lm, 0));
	ASSERT_EQ(0, kt_get_regs(self->lm.v[0].fd, &regs));
	EXPECT_EQ(KT_LM_CODE + (touch_store - touch_list), regs.rip);
	EXPECT_EQ(0, get64(self->mem + 0x48));
	/* Writable again: the store completes. */
	ASSERT_EQ(0, mprotect(self->mem, ARGS_SIZE, PROT_READ | PROT_WRITE));
	expect_exit(_metadata, &self->lm, KVM_EXIT_HLT);
	EXPECT_EQ(~0x6666ULL, get64(self->mem + 0x48));
}

/* Host memory that is PROT_NONE: KVM_RUN fails with EFAULT. */
TEST_F(args, no_access_host_mapping)
{
	ASSERT_EQ(0, mprotect(self->mem, ARGS_SIZE, PROT_NONE));
	ASSERT_EQ(0, kt_set_region(self->lm.vm_fd, 1, 0, ARGS_GPA, ARGS_SIZE,
				   self->mem));
	start_touch(_metadata, &self->lm, (uint64_t[]){ ARGS_GPA }, 1);
	EXPECT_EQ(-EFAULT, kt_run(self->lm.v[0].fd, self->lm.v[0].run));
	EXPECT_EQ(-EFAULT, kt_run(self->lm.v[0].fd, self->lm.v[0].run));
}

static void __attribute__((constructor)) hold_a_vm(void)
{
	kt_hold_a_vm();
}

TEST_HARNESS_MAIN
