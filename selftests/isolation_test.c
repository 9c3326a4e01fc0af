// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious guest cannot reach host memory outside its memory slots.
 *
 * A long-mode guest with an IDT walks a list of probes: each is a load
 * (or a store) through a virtual address whose page-table entries the
 * test wrote by hand: leaves and tables pointing just above and below a
 * slot, at 4 GiB, at 2^39 (the low bits of the host's direct map), at
 * 16 MiB (where host kernels load), at the low bits of the slot's host
 * address, at the top of the guest's MAXPHYADDR and beyond it up to the
 * top of the 52-bit space, with reserved bits, with page-table pages
 * outside every slot or inside a slot full of data, and with 2 MiB guest
 * pages over slots backed by transparent huge pages that the slot covers
 * only in part or at another alignment.  Every probe must give exactly
 * what the test expects:
 *  - data: the slot's pattern (the slots are filled with a known one);
 *  - MMIO: one KVM_EXIT_MMIO at the expected guest-physical address (a
 *    read completes with the test's value);
 *  - a fault: a #PF the guest's handler catches, with the expected error
 *    code (RSVD for reserved bits) and CR2.
 * Host memory next to each slot and in the rest of each huge page holds a
 * secret pattern that must never show up in the guest and never change.
 * The probes run twice, so that what the hypervisor cached after the
 * first pass changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define XSTR(x)		STR(x)
#define STR(x)		#x

#define LOW_SIZE	0x200000ULL
#define LIST_GPA	0x100000ULL	/* probes: { va, write } */
#define RESULT_GPA	0x180000ULL
#define FIXUP_ADDR	0x2028		/* KT_LM_EXC + KT_EXC_FIXUP_OFF */

#define FAULTED		0xfa017edfa017edULL
#define WRITE_VAL	0x3717e3717e3717e0ULL
#define SECRET		0x5ec2e75ec2e70000ULL

/* Slots beside slot 0; each in the middle of a bigger host mapping. */
#define S1_GPA		0x40000000ULL	/* 64 KiB, small pages */
#define S1_SIZE		0x10000ULL
#define S2_GPA		0x80000000ULL	/* first 1 MiB of a huge page */
#define S2_SIZE		0x100000ULL
#define S3_GPA		0x80400000ULL	/* a whole huge page */
#define S3_SIZE		0x200000ULL
#define S4_GPA		0x80a01000ULL	/* a huge page, one page off */
#define S4_SIZE		0x1ff000ULL
#define UNBACKED_TABLE	0x7f000000ULL	/* no slot */

#define PROBE_VA(i)	(0x100000000000ULL + (uint64_t)(i) * KT_SIZE_1G)
#define PROBE_OFF	0x100ULL

/*
 * For RCX probes { va, write } at RSI: load from va (or store WRITE_VAL
 * to it) with the exception fixup set; the loaded value, WRITE_VAL or
 * FAULTED goes to the results at RDI.  Then HLT.
 */
KT_GUEST_CODE64(probe_list,
	"1:\n\t"
	"mov (%rsi), %rbx\n\t"
	"lea 3f(%rip), %rdx\n\t"
	"mov %rdx, " XSTR(FIXUP_ADDR) "\n\t"
	"cmpq $0, 8(%rsi)\n\t"
	"jne 2f\n\t"
	"mov (%rbx), %rax\n\t"
	"jmp 4f\n"
	"2:\n\t"
	"movabs $" XSTR(WRITE_VAL) ", %rax\n\t"
	"mov %rax, (%rbx)\n\t"
	"jmp 4f\n"
	"3:\n\t"
	"movabs $" XSTR(FAULTED) ", %rax\n"
	"4:\n\t"
	"movq $0, " XSTR(FIXUP_ADDR) "\n\t"
	"mov %rax, (%rdi)\n\t"
	"add $16, %rsi\n\t"
	"add $8, %rdi\n\t"
	"dec %rcx\n\t"
	"jnz 1b\n\t"
	"hlt\n\t");

/* The data at guest-physical @gpa of a slot: bit 0 clear (a PTE: not P). */
static uint64_t pat(uint64_t gpa)
{
	return 0x5afe5afe00000000ULL | (gpa & 0xfffffff8ULL);
}

/* What userspace returns for an MMIO read at @gpa. */
static uint64_t mmio_val(uint64_t gpa)
{
	return 0x3a3a000000000000ULL ^ gpa;
}

enum outcome { DATA, MMIO, FAULT };

struct probe {
	const char *name;
	uint64_t va;
	int write;
	enum outcome out;
	uint64_t gpa;		/* DATA, MMIO: the guest-physical address */
	uint32_t error;		/* FAULT: the #PF error code */
	int group;		/* which test runs it */
	/* Seen in the run: */
	int mmio_exits, faults;
};

struct host_area {
	uint8_t *map;		/* whole mapping: secret around the slot */
	size_t map_size;
	uint8_t *slot;		/* the slot's part */
	uint64_t gpa, size;
};

FIXTURE(iso) {
	struct kt_lm lm;
	struct host_area area[4];
	struct probe p[48];
	int n;
	int phys_bits;
	int thp;		/* huge pages were had for S2..S4 */
};

static uint64_t get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void put64(void *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/*
 * A host mapping of @map_size with the slot's @size bytes at @offset, the
 * rest secret; @huge: 2 MiB aligned with MADV_HUGEPAGE.
 */
static int area_make(struct host_area *a, uint64_t gpa, uint64_t size,
		     size_t map_size, size_t offset, int huge)
{
	size_t i, extra = huge ? KT_SIZE_2M : 0;
	uint8_t *m;

	m = mmap(NULL, map_size + extra, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (huge) {
		uint8_t *al = (uint8_t *)(((uintptr_t)m + KT_SIZE_2M - 1) &
					  ~(KT_SIZE_2M - 1));

		if (al > m)
			munmap(m, al - m);
		munmap(al + map_size, m + extra - al);
		m = al;
		madvise(m, map_size, MADV_HUGEPAGE);
	}
	a->map = m;
	a->map_size = map_size;
	a->slot = m + offset;
	a->gpa = gpa;
	a->size = size;
	for (i = 0; i < map_size; i += 8) {
		if (m + i >= a->slot && m + i < a->slot + size)
			put64(m + i, pat(gpa + (m + i - a->slot)));
		else
			put64(m + i, SECRET | i);
	}
	return 0;
}

/* The host-physical address of the page at @p (root only), or 0. */
static uint64_t host_phys(const void *p)
{
	uint64_t e = 0;
	FILE *f = fopen("/proc/self/pagemap", "r");

	if (!f)
		return 0;
	if (fseek(f, (uintptr_t)p / KT_PAGE_SIZE * 8, SEEK_SET) ||
	    fread(&e, 8, 1, f) != 1)
		e = 0;
	fclose(f);
	if (!(e >> 63))		/* not present */
		return 0;
	return (e & ((1ULL << 55) - 1)) * KT_PAGE_SIZE;
}

/* Whether the kernel backs @p with a transparent huge page. */
static int is_thp(const void *p)
{
	unsigned char vec[512];
	uint64_t pfn0, pfn;
	size_t i;
	FILE *f;

	if (mincore((void *)p, KT_SIZE_2M, vec))
		return 0;
	for (i = 0; i < 512; i++)
		if (!(vec[i] & 1))
			return 0;
	/* Contiguous frames, from pagemap (needs CAP_SYS_ADMIN). */
	f = fopen("/proc/self/pagemap", "r");
	if (!f)
		return 0;
	for (i = 0; i < 512; i += 511) {
		uint64_t e;

		if (fseek(f, ((uintptr_t)p / KT_PAGE_SIZE + i) * 8, SEEK_SET) ||
		    fread(&e, 8, 1, f) != 1) {
			fclose(f);
			return 0;
		}
		pfn = e & ((1ULL << 55) - 1);
		if (!i)
			pfn0 = pfn;
	}
	fclose(f);
	return pfn0 && pfn == pfn0 + 511 && !(pfn0 & 511);
}

static int guest_phys_bits(struct kt_lm *lm)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(lm->cpuid, 0x80000008, 0);

	return e ? (e->eax & 0xff) : 36;
}

static int has_1g_pages(struct kt_lm *lm)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(lm->cpuid, 0x80000001, 0);

	return e && (e->edx >> 26 & 1);
}

/*
 * Add a probe at PROBE_VA(@slot_nr) + @off whose translation ends in
 * @entry at @level (the tables above it are made as needed).
 */
static struct probe *add(struct __test_metadata *_metadata,
			 FIXTURE_DATA(iso) *self, const char *name,
			 int va_nr, uint64_t off, int level, uint64_t entry,
			 int write, enum outcome out, uint64_t gpa,
			 uint32_t error)
{
	struct probe *p = &self->p[self->n++];
	int r;

	p->name = name;
	p->va = PROBE_VA(va_nr) + off;
	p->write = write;
	p->out = out;
	p->gpa = gpa;
	p->error = error;
	r = kt_pt_set_entry(&self->lm.pt, p->va, level, entry);
	if (r)
		TH_LOG("%s: kt_pt_set_entry: %s", name, strerror(-r));
	EXPECT_EQ(0, r);
	return p;
}

static int in_a_slot(FIXTURE_DATA(iso) *self, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(self->area); i++)
		if (gpa >= self->area[i].gpa &&
		    gpa - self->area[i].gpa < self->area[i].size)
			return 1;
	return gpa < LOW_SIZE;
}

#define PW		(KT_PTE_P | KT_PTE_W)
#define RSVD_READ	(KT_PF_P | KT_PF_RSVD)
#define RSVD_WRITE	(KT_PF_P | KT_PF_W | KT_PF_RSVD)

FIXTURE_SETUP(iso)
{
	struct kt_lm *lm = &self->lm;
	uint64_t top, alias, hpa;
	unsigned int i;
	int v = 0;

	ASSERT_EQ(0, kt_lm_create(lm, LOW_SIZE, 1, probe_list,
				  KT_CODE_LEN(probe_list)));
	self->phys_bits = guest_phys_bits(lm);
	top = 1ULL << self->phys_bits;

	/* Each slot with secret host memory around it. */
	ASSERT_EQ(0, area_make(&self->area[0], S1_GPA, S1_SIZE,
			       S1_SIZE + 2 * KT_PAGE_SIZE, KT_PAGE_SIZE, 0));
	ASSERT_EQ(0, area_make(&self->area[1], S2_GPA, S2_SIZE, KT_SIZE_2M,
			       0, 1));
	ASSERT_EQ(0, area_make(&self->area[2], S3_GPA, S3_SIZE,
			       2 * KT_SIZE_2M, 0, 1));
	ASSERT_EQ(0, area_make(&self->area[3], S4_GPA, S4_SIZE, KT_SIZE_2M,
			       0, 1));
	self->thp = 1;
	for (i = 1; i < 4; i++)
		self->thp &= is_thp(self->area[i].map);
	for (i = 0; i < 4; i++) {
		struct host_area *a = &self->area[i];

		ASSERT_EQ(0, kt_set_region(lm->vm_fd, i + 1, 0, a->gpa, a->size,
					   a->slot));
	}

	/* Memory: the pattern, read and written. */
	add(_metadata, self, "slot", v++, PROBE_OFF, 1,
	    (S1_GPA + 0x3000) | PW, 0, DATA, S1_GPA + 0x3000 + PROBE_OFF, 0);
	add(_metadata, self, "slot, write", v++, PROBE_OFF, 1,
	    (S1_GPA + 0x4000) | PW, 1, DATA, S1_GPA + 0x4000 + PROBE_OFF, 0);
	/* Ignored bits 62:52 of a leaf do not change the address. */
	add(_metadata, self, "slot, PTE bits 62:52", v++, PROBE_OFF, 1,
	    (S1_GPA + 0x5000) | PW | 0x7ff0000000000000ULL, 0, DATA,
	    S1_GPA + 0x5000 + PROBE_OFF, 0);

	/* Guest-physical addresses without a slot: MMIO. */
	add(_metadata, self, "just above the slot", v++, PROBE_OFF, 1,
	    (S1_GPA + S1_SIZE) | PW, 0, MMIO, S1_GPA + S1_SIZE + PROBE_OFF,
	    0);
	add(_metadata, self, "just above the slot, write", v++, PROBE_OFF, 1,
	    (S1_GPA + S1_SIZE) | PW, 1, MMIO, S1_GPA + S1_SIZE + PROBE_OFF,
	    0);
	add(_metadata, self, "just below the slot", v++, PROBE_OFF, 1,
	    (S1_GPA - KT_PAGE_SIZE) | PW, 0, MMIO,
	    S1_GPA - KT_PAGE_SIZE + PROBE_OFF, 0);
	add(_metadata, self, "just above slot 0", v++, PROBE_OFF, 1,
	    LOW_SIZE | PW, 0, MMIO, LOW_SIZE + PROBE_OFF, 0);
	add(_metadata, self, "4 GiB", v++, PROBE_OFF, 1, 0x100000000ULL | PW,
	    0, MMIO, 0x100000000ULL + PROBE_OFF, 0);
	add(_metadata, self, "2^39, low bits of the direct map", v++, PROBE_OFF,
	    1, 0x8000000000ULL | PW, 0, MMIO, 0x8000000000ULL + PROBE_OFF, 0);
	add(_metadata, self, "2^39, write", v++, PROBE_OFF, 1,
	    0x8000000000ULL | PW, 1, MMIO, 0x8000000000ULL + PROBE_OFF, 0);
	add(_metadata, self, "16 MiB, host kernel text", v++, PROBE_OFF, 1,
	    0x1000000ULL | PW, 0, MMIO, 0x1000000ULL + PROBE_OFF, 0);
	alias = (uintptr_t)self->area[0].slot & (top - 1) & ~0xfffULL;
	add(_metadata, self, "low bits of the slot's host address", v++,
	    PROBE_OFF, 1, alias | PW, 0, MMIO, alias + PROBE_OFF, 0);
	/* Where the secret next to slot 1 is in host-physical memory. */
	hpa = host_phys(self->area[0].map);
	if (hpa && hpa < top && !in_a_slot(self, hpa))
		add(_metadata, self, "host-physical address of the secret",
		    v++, PROBE_OFF, 1, hpa | PW, 0, MMIO, hpa + PROBE_OFF, 0);
	else
		TH_LOG("no probe at the secret's host-physical address %#llx",
		       (unsigned long long)hpa);
	add(_metadata, self, "last page below MAXPHYADDR", v++, PROBE_OFF, 1,
	    (top - KT_PAGE_SIZE) | PW, 0, MMIO,
	    top - KT_PAGE_SIZE + PROBE_OFF, 0);

	/* Beyond MAXPHYADDR and other reserved bits: #PF with RSVD. */
	add(_metadata, self, "MAXPHYADDR", v++, PROBE_OFF, 1, top | PW, 0,
	    FAULT, 0, RSVD_READ);
	add(_metadata, self, "MAXPHYADDR, write", v++, PROBE_OFF, 1, top | PW,
	    1, FAULT, 0, RSVD_WRITE);
	add(_metadata, self, "slot address | bit 51", v++, PROBE_OFF, 1,
	    (S1_GPA | 1ULL << 51) | PW, 0, FAULT, 0, RSVD_READ);
	add(_metadata, self, "top of the 52-bit space", v++, PROBE_OFF, 1,
	    0xffffffffff000ULL | PW, 0, FAULT, 0, RSVD_READ);
	add(_metadata, self, "NX without EFER.NXE", v++, PROBE_OFF, 1,
	    (S1_GPA + 0x3000) | PW | KT_PTE_NX, 0, FAULT, 0, RSVD_READ);
	add(_metadata, self, "2 MiB page, bit 13 set", v++, PROBE_OFF, 2,
	    S1_GPA | PW | KT_PTE_PS | 1ULL << 13, 0, FAULT, 0, RSVD_READ);
	add(_metadata, self, "table beyond MAXPHYADDR", v++, PROBE_OFF, 2,
	    top | PW, 0, FAULT, 0, RSVD_READ);
	/*
	 * Without pdpe1gb, PS in a PDPTE is reserved, but QEMU's TCG maps a
	 * 1 GiB page all the same: only probed when CPUID offers them.
	 */
	if (has_1g_pages(lm))
		add(_metadata, self, "1 GiB page, no slot", v++, PROBE_OFF, 3,
		    0xc0000000ULL | PW | KT_PTE_PS, 0, MMIO,
		    0xc0000000ULL + PROBE_OFF, 0);
	/* PS in a PML4E: its own PML4 slot. */
	{
		struct probe *p = &self->p[self->n];

		p->name = "PML4E with PS";
		p->va = 0x200000000000ULL + PROBE_OFF;
		p->out = FAULT;
		p->error = RSVD_READ;
		EXPECT_EQ(0, kt_pt_set_entry(&lm->pt, p->va, 4,
					     (S1_GPA + 0x6000) | PW |
					     KT_PTE_PS));
		self->n++;
	}

	/* Not present, and a table that is data. */
	add(_metadata, self, "not present", v++, PROBE_OFF, 1,
	    (S1_GPA + 0x3000) | KT_PTE_W, 0, FAULT, 0, 0);
	add(_metadata, self, "page table in slot data", v++, PROBE_OFF, 2,
	    (S1_GPA + 0x7000) | PW, 0, FAULT, 0, 0);

	/*
	 * Tables outside every slot (group 1): the CPU's walk exits with a
	 * nested page fault on the table; KVM's emulator walks again, finds
	 * no memory and injects a not-present #PF for the linear address.
	 */
	add(_metadata, self, "page table outside the slots", v++, PROBE_OFF,
	    2, UNBACKED_TABLE | PW, 0, FAULT, 0, 0)->group = 1;
	add(_metadata, self, "page table outside the slots, write", v++,
	    PROBE_OFF, 2, UNBACKED_TABLE | PW, 1, FAULT, 0,
	    KT_PF_W)->group = 1;
	{
		struct probe *p = &self->p[self->n];

		p->name = "PDPT outside the slots";
		p->va = 0x300000000000ULL + PROBE_OFF;
		p->out = FAULT;
		p->group = 1;
		EXPECT_EQ(0, kt_pt_set_entry(&lm->pt, p->va, 4,
					     (UNBACKED_TABLE + 0x1000) | PW));
		self->n++;
	}
	/* Tables that are slot data again (group 1 too). */
	add(_metadata, self, "page table in slot data, again", v++, PROBE_OFF,
	    2, (S1_GPA + 0x8000) | PW, 0, FAULT, 0, 0)->group = 1;

	/* 2 MiB guest pages over slots on (parts of) huge pages. */
	add(_metadata, self, "half a huge page: in the slot", v, 0x800, 2,
	    S2_GPA | PW | KT_PTE_PS, 0, DATA, S2_GPA + 0x800, 0);
	add(_metadata, self, "half a huge page: beyond", v, 0x100100, 2,
	    S2_GPA | PW | KT_PTE_PS, 0, MMIO, S2_GPA + 0x100100, 0);
	add(_metadata, self, "half a huge page: beyond, write", v, 0x1ffff8, 2,
	    S2_GPA | PW | KT_PTE_PS, 1, MMIO, S2_GPA + 0x1ffff8, 0);
	v++;
	add(_metadata, self, "whole huge page: in", v, 0x1ff000, 2,
	    S3_GPA | PW | KT_PTE_PS, 0, DATA, S3_GPA + 0x1ff000, 0);
	v++;
	add(_metadata, self, "whole huge page: beyond", v, 0x100, 2,
	    (S3_GPA + S3_SIZE) | PW | KT_PTE_PS, 0, MMIO,
	    S3_GPA + S3_SIZE + 0x100, 0);
	v++;
	add(_metadata, self, "huge page one page off: in", v, 0x1100, 2,
	    (S4_GPA - KT_PAGE_SIZE) | PW | KT_PTE_PS, 0, DATA, S4_GPA + 0x100,
	    0);
	add(_metadata, self, "huge page one page off: below", v, 0x100, 2,
	    (S4_GPA - KT_PAGE_SIZE) | PW | KT_PTE_PS, 0, MMIO,
	    S4_GPA - KT_PAGE_SIZE + 0x100, 0);
	add(_metadata, self, "huge page one page off: last", v, 0x1ffff0, 2,
	    (S4_GPA - KT_PAGE_SIZE) | PW | KT_PTE_PS, 0, DATA,
	    S4_GPA - KT_PAGE_SIZE + 0x1ffff0, 0);
	v++;
	add(_metadata, self, "huge page one page off: beyond", v, 0x100, 2,
	    (S4_GPA + S4_SIZE) | PW | KT_PTE_PS, 0, MMIO,
	    S4_GPA + S4_SIZE + 0x100, 0);
	v++;
	ASSERT_GE(ARRAY_SIZE(self->p), self->n);
}

FIXTURE_TEARDOWN(iso)
{
	unsigned int i;

	kt_lm_destroy(&self->lm);
	for (i = 0; i < ARRAY_SIZE(self->area); i++)
		if (self->area[i].map)
			munmap(self->area[i].map, self->area[i].map_size);
}

static void report(struct kt_lm *lm, int r)
{
	struct kvm_run *run = lm->v[0].run;
	unsigned int i;

	fprintf(stderr, "# exit %d (%s)", r,
		r >= 0 ? kt_exit_name(r) : strerror(-r));
	if (r == KVM_EXIT_IO)
		fprintf(stderr, " port %#x", run->io.port);
	if (r == KVM_EXIT_INTERNAL_ERROR)
		for (fprintf(stderr, " suberror %u:", run->internal.suberror),
		     i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, " %#llx",
				(unsigned long long)run->internal.data[i]);
	fprintf(stderr, "\n");
}

/*
 * A reserved-bit #PF has P set on real CPUs (the entry was present);
 * QEMU's TCG leaves it clear.  Compare with P set.
 */
static uint32_t pf_error(uint64_t error)
{
	if (error & KT_PF_RSVD)
		error |= KT_PF_P;
	return error;
}

/* Run the probes of @group once; check every exit as it comes. */
static void run_probes(struct __test_metadata *_metadata,
		       FIXTURE_DATA(iso) *self, int group, int pass)
{
	struct kt_lm *lm = &self->lm;
	struct kvm_run *run = lm->v[0].run;
	struct kt_exc_rec *rec = lm->exc;
	struct kvm_regs regs;
	int idx[ARRAY_SIZE(self->p)];
	int i, n = 0;

	for (i = 0; i < self->n; i++) {
		if (self->p[i].group != group)
			continue;
		put64(lm->low + LIST_GPA + 16 * n, self->p[i].va);
		put64(lm->low + LIST_GPA + 16 * n + 8, self->p[i].write);
		put64(lm->low + RESULT_GPA + 8 * n, 0xeeeeeeeeeeeeeeeeULL);
		self->p[i].mmio_exits = 0;
		self->p[i].faults = 0;
		idx[n++] = i;
	}
	ASSERT_LT(0, n);
	memset(&regs, 0, sizeof(regs));
	regs.rip = KT_LM_CODE;
	regs.rsp = KT_LM_STACKS + KT_PAGE_SIZE;
	regs.rflags = 0x2;
	regs.rsi = LIST_GPA;
	regs.rdi = RESULT_GPA;
	regs.rcx = n;
	ASSERT_EQ(0, kt_set_regs(lm->v[0].fd, &regs));

	for (;;) {
		int r = kt_run(lm->v[0].fd, run);
		struct probe *p;

		if (r == KVM_EXIT_HLT)
			break;
		ASSERT_EQ(0, kt_get_regs(lm->v[0].fd, &regs));
		i = n - regs.rcx;
		ASSERT_TRUE(i >= 0 && i < n) {
			report(lm, r);
		}
		p = &self->p[idx[i]];
		if (r == KVM_EXIT_MMIO) {
			EXPECT_EQ(MMIO, p->out)
				TH_LOG("pass %d, %s: MMIO %s at %#llx", pass,
				       p->name, run->mmio.is_write ? "write" :
				       "read",
				       (unsigned long long)run->mmio.phys_addr);
			EXPECT_EQ(p->gpa, run->mmio.phys_addr)
				TH_LOG("pass %d, %s", pass, p->name);
			EXPECT_EQ(8, run->mmio.len);
			EXPECT_EQ(p->write, run->mmio.is_write)
				TH_LOG("pass %d, %s", pass, p->name);
			if (run->mmio.is_write) {
				EXPECT_EQ(WRITE_VAL, get64(run->mmio.data));
			} else {
				put64(run->mmio.data,
				      mmio_val(run->mmio.phys_addr));
			}
			p->mmio_exits++;
			ASSERT_GE(2, p->mmio_exits);
			continue;
		}
		if (r == KVM_EXIT_IO && run->io.port == KT_PORT_EXC) {
			EXPECT_EQ(FAULT, p->out)
				TH_LOG("pass %d, %s: exception %llu error %#llx",
				       pass, p->name,
				       (unsigned long long)rec->vector,
				       (unsigned long long)rec->error);
			EXPECT_EQ(KT_PF_VECTOR, rec->vector)
				TH_LOG("pass %d, %s", pass, p->name);
			EXPECT_EQ(p->error, pf_error(rec->error))
				TH_LOG("pass %d, %s: error %#llx", pass,
				       p->name,
				       (unsigned long long)rec->error);
			EXPECT_EQ(p->va, rec->cr2)
				TH_LOG("pass %d, %s", pass, p->name);
			p->faults++;
			ASSERT_GE(2, p->faults);
			continue;
		}
		report(lm, r);
		if (r == KVM_EXIT_IO && run->io.port == KT_PORT_EXC_FATAL)
			TH_LOG("exception %llu error %#llx cr2 %#llx rip %#llx",
			       (unsigned long long)rec->vector,
			       (unsigned long long)rec->error,
			       (unsigned long long)rec->cr2,
			       (unsigned long long)rec->rip);
		ASSERT_TRUE(0) TH_LOG("pass %d, %s: unexpected exit", pass,
				      p->name);
	}

	for (i = 0; i < n; i++) {
		struct probe *p = &self->p[idx[i]];
		uint64_t got = get64(lm->low + RESULT_GPA + 8 * i), want;

		if (p->out == DATA)
			want = p->write ? WRITE_VAL : pat(p->gpa);
		else if (p->out == MMIO)
			want = p->write ? WRITE_VAL : mmio_val(p->gpa);
		else
			want = FAULTED;
		EXPECT_EQ(want, got)
			TH_LOG("pass %d, %s: read %#llx", pass, p->name,
			       (unsigned long long)got);
		EXPECT_EQ(p->out == MMIO, p->mmio_exits)
			TH_LOG("pass %d, %s", pass, p->name);
		EXPECT_EQ(p->out == FAULT, p->faults)
			TH_LOG("pass %d, %s", pass, p->name);
	}
}

/*
 * Host memory: the pattern, the secret, and WRITE_VAL only where a probe
 * of @group stored to a slot.
 */
static void check_host(struct __test_metadata *_metadata,
		       FIXTURE_DATA(iso) *self, int group)
{
	unsigned int i;
	int k;

	for (i = 0; i < ARRAY_SIZE(self->area); i++) {
		struct host_area *a = &self->area[i];
		size_t off;

		for (off = 0; off < a->map_size; off += 8) {
			uint8_t *q = a->map + off;
			int in = q >= a->slot && q < a->slot + a->size;
			uint64_t gpa = a->gpa + (q - a->slot);
			uint64_t want = in ? pat(gpa) : SECRET | off;

			for (k = 0; in && k < self->n; k++)
				if (self->p[k].group == group &&
				    self->p[k].out == DATA &&
				    self->p[k].write && self->p[k].gpa == gpa)
					want = WRITE_VAL;
			if (get64(q) != want) {
				EXPECT_EQ(want, get64(q))
					TH_LOG("host memory of slot %u at offset %#zx (%s)",
					       i + 1, off, in ? "slot" : "secret");
				return;
			}
		}
	}
}

TEST_F(iso, probes)
{
	if (!self->thp)
		TH_LOG("no transparent huge pages: 2 MiB cases on small pages");
	run_probes(_metadata, self, 0, 1);
	run_probes(_metadata, self, 0, 2);
	check_host(_metadata, self, 0);
}

/*
 * A guest page table outside every slot: the nested page fault on the
 * table goes to MMIO emulation, whose walk finds no memory for it, and
 * the guest takes a not-present #PF (as in-tree KVM gives it).
 */
TEST_F(iso, unbacked_page_tables)
{
	run_probes(_metadata, self, 1, 1);
	run_probes(_metadata, self, 1, 2);
	check_host(_metadata, self, 1);
}

/* A CR3 beyond MAXPHYADDR is refused. */
TEST_F(iso, cr3_beyond_maxphyaddr)
{
	struct kvm_sregs s;

	ASSERT_EQ(0, kt_get_sregs(self->lm.v[0].fd, &s));
	s.cr3 = 1ULL << self->phys_bits;
	EXPECT_EQ(-EINVAL, kt_set_sregs(self->lm.v[0].fd, &s));
}

static void __attribute__((constructor)) hold_a_vm(void)
{
	kt_hold_a_vm();
}

TEST_HARNESS_MAIN
