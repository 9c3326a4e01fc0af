// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for core/pagewalk.c: page tables are built by hand in a
 * fake 1 MiB guest memory; anything above it is not backed.
 */
#include <stdio.h>
#include <string.h>

#include "pagewalk.h"
#include "unit.h"

#define P	BIT_ULL(0)
#define RW	BIT_ULL(1)
#define US	BIT_ULL(2)
#define PS	BIT_ULL(7)
#define NX	BIT_ULL(63)
#define PRWU	(P | RW | US)

#define ACC_W	KVMOD_ACC_WRITE
#define ACC_U	KVMOD_ACC_USER
#define ACC_F	KVMOD_ACC_FETCH

/* Expected error codes, spelled out. */
#define PF_P	0x01u
#define PF_W	0x02u
#define PF_U	0x04u
#define PF_RSVD	0x08u
#define PF_ID	0x10u

#define MEM_SIZE	0x100000u

static struct {
	u8 bytes[MEM_SIZE];
	unsigned int reads;
	unsigned int last_len;
} mem;

static int fake_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	(void)ctx;
	mem.reads++;
	mem.last_len = len;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return -1;
	memcpy(buf, mem.bytes + gpa, len);
	return 0;
}

static void mem_reset(void)
{
	memset(&mem, 0, sizeof(mem));
}

static void put32(u64 gpa, u32 v)
{
	memcpy(mem.bytes + gpa, &v, sizeof(v));
}

static void put64(u64 gpa, u64 v)
{
	memcpy(mem.bytes + gpa, &v, sizeof(v));
}

static u64 gpa_out;
static u32 err_out;

static int walk(const struct kvmod_paging *pg, u64 gva, u32 access)
{
	gpa_out = 0xdeadbeefdeadbeefULL;
	err_out = 0xdeadbeef;
	mem.reads = 0;
	return kvmod_walk_gva(pg, gva, access, fake_read, NULL, &gpa_out,
			      &err_out);
}

#define EXPECT_WALK_OK(pg, gva, acc, want_gpa)				\
	do {								\
		EXPECT_EQ(walk(pg, gva, acc), KVMOD_WALK_OK);		\
		EXPECT_EQ(gpa_out, want_gpa);				\
		EXPECT_EQ(err_out, 0);					\
	} while (0)

#define EXPECT_WALK_PF(pg, gva, acc, want_err)				\
	do {								\
		EXPECT_EQ(walk(pg, gva, acc), KVMOD_WALK_PAGE_FAULT);	\
		EXPECT_EQ(err_out, want_err);				\
	} while (0)

#define CR0_PE	KVMOD_CR0_PE
#define CR0_PG	KVMOD_CR0_PG
#define CR0_WP	KVMOD_CR0_WP

/* ---- paging disabled ---------------------------------------------- */

TEST(pagewalk_identity_paging_off)
{
	struct kvmod_paging pg = { .cr0 = CR0_PE, .cr3 = 0x1000 };

	mem_reset();
	EXPECT_WALK_OK(&pg, 0x123456789abcULL, 0, 0x56789abcULL);
	EXPECT_WALK_OK(&pg, 0xfffff000ULL, ACC_W | ACC_U | ACC_F,
		       0xfffff000ULL);
	EXPECT_EQ(mem.reads, 0);
	pg.cr0 = 0;
	pg.cr4 = KVMOD_CR4_PAE;
	EXPECT_WALK_OK(&pg, 0xffffffff00001234ULL, ACC_W, 0x1234);
	EXPECT_EQ(mem.reads, 0);
}

TEST(pagewalk_identity_paging_off_lma)
{
	struct kvmod_paging pg = {
		.cr0 = CR0_PE, .cr4 = KVMOD_CR4_PAE,
		.efer = KVMOD_EFER_LME | KVMOD_EFER_LMA,
	};

	mem_reset();
	EXPECT_WALK_OK(&pg, 0x123456789abcULL, 0, 0x123456789abcULL);
	EXPECT_WALK_OK(&pg, 0xffff800012345678ULL, ACC_F,
		       0xffff800012345678ULL);
	EXPECT_EQ(mem.reads, 0);
}

/* ---- legacy 2-level paging ---------------------------------------- */

static const struct kvmod_paging pg32 = {
	.cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000,
};

/* gva 0x00403abc: PDE 1, PTE 3. PD at 0x1000, PT at 0x2000. */
static void legacy_build(u32 pde_flags, u32 pte_flags)
{
	mem_reset();
	put32(0x1000 + 1 * 4, 0x2000 | pde_flags);
	put32(0x2000 + 3 * 4, 0x00789000 | pte_flags);
}

TEST(pagewalk_legacy_4k)
{
	struct kvmod_paging pg = pg32;

	legacy_build(PRWU, PRWU);
	EXPECT_WALK_OK(&pg, 0x00403abc, 0, 0x00789abc);
	EXPECT_EQ(mem.reads, 2);
	EXPECT_EQ(mem.last_len, 4);
	EXPECT_WALK_OK(&pg, 0x00403abc, ACC_W | ACC_U | ACC_F, 0x00789abc);
	/* Bits 63:32 of the address play no part. */
	EXPECT_WALK_OK(&pg, 0xffffffff00403abcULL, 0, 0x00789abc);
	/* CR3 bits 11:0 (PWT, PCD) are not address bits. */
	pg.cr3 = 0x1018;
	EXPECT_WALK_OK(&pg, 0x00403abc, 0, 0x00789abc);

	/* A high address: PDE 0x300, PTE 1, mapped supervisor-only. */
	put32(0x1000 + 0x300 * 4, 0x3000 | P | RW);
	put32(0x3000 + 1 * 4, 0xfedcb000 | P | RW);
	EXPECT_WALK_OK(&pg, 0xc0001234, ACC_W, 0xfedcb234);
}

TEST(pagewalk_legacy_4m_pse)
{
	struct kvmod_paging pg = pg32;

	pg.cr4 = KVMOD_CR4_PSE;
	mem_reset();
	put32(0x1000 + 1 * 4, 0x00c00000 | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, ACC_W | ACC_U, 0x00d12345);
	EXPECT_EQ(mem.reads, 1);
	/* Bit 12 is PAT, not an address bit. */
	put32(0x1000 + 1 * 4, 0x00c01000 | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0x00d12345);
}

TEST(pagewalk_legacy_4m_pse36)
{
	struct kvmod_paging pg = pg32;

	pg.cr4 = KVMOD_CR4_PSE;
	mem_reset();
	/* PDE bits 20:13 are physical-address bits 39:32. */
	put32(0x1000 + 1 * 4, 0x00c00000 | (0xab << 13) | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0xab00d12345ULL);
	put32(0x1000 + 1 * 4, 0xffc00000 | (0xff << 13) | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0xffffd12345ULL);
	put32(0x1000 + 1 * 4, 0x00c00000 | (0x01 << 13) | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0x0100d12345ULL);
}

TEST(pagewalk_legacy_4m_reserved_bit21)
{
	struct kvmod_paging pg = pg32;

	pg.cr4 = KVMOD_CR4_PSE;
	mem_reset();
	put32(0x1000 + 1 * 4, 0x00c00000 | (1 << 21) | PS | PRWU);
	EXPECT_WALK_PF(&pg, 0x00512345, 0, PF_P | PF_RSVD);
	EXPECT_WALK_PF(&pg, 0x00512345, ACC_W | ACC_U,
		       PF_P | PF_RSVD | PF_W | PF_U);
}

TEST(pagewalk_legacy_pse_disabled_ignores_ps)
{
	struct kvmod_paging pg = pg32;

	mem_reset();
	/* CR4.PSE clear: PS is ignored and the PDE points to a PT. */
	put32(0x1000 + 1 * 4, 0x2000 | PS | PRWU);
	put32(0x2000 + 0x112 * 4, 0x00345000 | PRWU);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0x00345345);
	EXPECT_EQ(mem.reads, 2);
	/* ... and bit 21 of such a PDE is an address bit, not reserved. */
	put32(0x1000 + 1 * 4, 0x00200000 | PS | PRWU);
	EXPECT_EQ(walk(&pg, 0x00512345, 0), KVMOD_WALK_NO_MEMORY);
}

TEST(pagewalk_legacy_not_present)
{
	struct kvmod_paging pg = pg32;

	legacy_build(PRWU & ~P, PRWU);
	EXPECT_WALK_PF(&pg, 0x00403abc, 0, 0);
	EXPECT_EQ(mem.reads, 1);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W, PF_W);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W | ACC_U, PF_W | PF_U);
	legacy_build(PRWU, PRWU & ~P);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_U, PF_U);
	EXPECT_EQ(mem.reads, 2);
	/* An empty PD: nothing is mapped. */
	mem_reset();
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W, PF_W);
}

TEST(pagewalk_legacy_protection)
{
	struct kvmod_paging pg = pg32;

	/* Read-only PTE. */
	legacy_build(PRWU, P | US);
	EXPECT_WALK_OK(&pg, 0x00403abc, ACC_U, 0x00789abc);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W, PF_P | PF_W);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W | ACC_U, PF_P | PF_W | PF_U);
	pg.cr0 &= ~CR0_WP;
	EXPECT_WALK_OK(&pg, 0x00403abc, ACC_W, 0x00789abc);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W | ACC_U, PF_P | PF_W | PF_U);
	pg.cr0 |= CR0_WP;

	/* Read-only PDE over a writable PTE. */
	legacy_build(P | US, PRWU);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_W, PF_P | PF_W);

	/* Supervisor-only PDE, then PTE. */
	legacy_build(P | RW, PRWU);
	EXPECT_WALK_OK(&pg, 0x00403abc, ACC_W, 0x00789abc);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_U, PF_P | PF_U);
	legacy_build(PRWU, P | RW);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_U, PF_P | PF_U);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_U | ACC_W, PF_P | PF_U | PF_W);

	/* 4 MiB page, read-only and supervisor-only. */
	pg.cr4 = KVMOD_CR4_PSE;
	mem_reset();
	put32(0x1000 + 1 * 4, 0x00c00000 | PS | P);
	EXPECT_WALK_OK(&pg, 0x00512345, 0, 0x00d12345);
	EXPECT_WALK_PF(&pg, 0x00512345, ACC_W, PF_P | PF_W);
	EXPECT_WALK_PF(&pg, 0x00512345, ACC_U, PF_P | PF_U);
}

/* ---- PAE ---------------------------------------------------------- */

static const struct kvmod_paging pg_pae = {
	.cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1020,
	.cr4 = KVMOD_CR4_PAE, .efer = KVMOD_EFER_NXE,
};

/* gva 0x40201abc: PDPTE 1, PDE 1, PTE 1. PDPT at 0x1020 (CR3 bits 31:5). */
static void pae_build(u64 pdpte_flags, u64 pde_flags, u64 pte_flags)
{
	mem_reset();
	put64(0x1020 + 1 * 8, 0x2000 | pdpte_flags);
	put64(0x2000 + 1 * 8, 0x3000 | pde_flags);
	put64(0x3000 + 1 * 8, 0x1234567000ULL | pte_flags);
}

TEST(pagewalk_pae_4k)
{
	struct kvmod_paging pg = pg_pae;

	pae_build(P, PRWU, PRWU);
	EXPECT_WALK_OK(&pg, 0x40201abc, 0, 0x1234567abcULL);
	EXPECT_EQ(mem.reads, 3);
	EXPECT_EQ(mem.last_len, 8);
	EXPECT_WALK_OK(&pg, 0x40201abc, ACC_W | ACC_U | ACC_F,
		       0x1234567abcULL);
	EXPECT_WALK_OK(&pg, 0xffffffff40201abcULL, 0, 0x1234567abcULL);
	/* PWT, PCD and the AVL bits of a PDPTE are allowed. */
	pae_build(P | (1 << 3) | (1 << 4) | (7 << 9), PRWU, PRWU);
	EXPECT_WALK_OK(&pg, 0x40201abc, ACC_W | ACC_U, 0x1234567abcULL);
}

TEST(pagewalk_pae_not_present)
{
	struct kvmod_paging pg = pg_pae;

	pae_build(0, PRWU, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_W, PF_W);
	EXPECT_EQ(mem.reads, 1);
	pae_build(P, PRWU & ~P, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_U, PF_U);
	EXPECT_EQ(mem.reads, 2);
	pae_build(P, PRWU, PRWU & ~P);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_F, PF_ID);
	EXPECT_EQ(mem.reads, 3);
}

/*
 * Bits 1, 2, 5-8 and 63 of a present PAE PDPTE: the CPU checks them when it
 * loads the PDPTEs, and may set the Accessed bit itself; the walker, like
 * in-tree KVM's, ignores them. Rights come from the PDE and PTE only.
 */
TEST(pagewalk_pae_pdpte_bits_ignored)
{
	static const int bits[] = { 1, 2, 5, 6, 7, 8, 63 };
	struct kvmod_paging pg = pg_pae;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		pae_build(P | (1ULL << bits[i]), PRWU, PRWU);
		EXPECT_WALK_OK(&pg, 0x40201abc, ACC_W | ACC_U | ACC_F,
			       0x1234567abcULL);
		EXPECT_EQ(mem.reads, 3);
		pae_build(P | (1ULL << bits[i]), PRWU, P);
		EXPECT_WALK_PF(&pg, 0x40201abc, ACC_W, PF_P | PF_W);
	}
	/* A not-present PDPTE faults whatever its other bits. */
	pae_build(RW | US | PS, PRWU, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, 0);
}

TEST(pagewalk_pae_2m)
{
	struct kvmod_paging pg = pg_pae;

	pae_build(P, 0, 0);
	put64(0x2000 + 1 * 8, 0x40000000 | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x40201abc, ACC_W | ACC_U, 0x40001abc);
	EXPECT_EQ(mem.reads, 2);
	/* Bit 12 is PAT; bits 20:13 are reserved. */
	put64(0x2000 + 1 * 8, 0x40001000 | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x40201abc, 0, 0x40001abc);
	put64(0x2000 + 1 * 8, 0x40002000 | PS | PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);
	put64(0x2000 + 1 * 8, 0x40100000 | PS | PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_W, PF_P | PF_RSVD | PF_W);
	/* Above 4 GiB. */
	put64(0x2000 + 1 * 8, 0x0000000fffe00000ULL | PS | PRWU);
	EXPECT_WALK_OK(&pg, 0x40201abc, 0, 0x0000000fffe01abcULL);
}

TEST(pagewalk_pae_nx)
{
	struct kvmod_paging pg = pg_pae;

	pae_build(P, PRWU, PRWU | NX);
	EXPECT_WALK_OK(&pg, 0x40201abc, ACC_W | ACC_U, 0x1234567abcULL);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_F, PF_P | PF_ID);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_F | ACC_U, PF_P | PF_ID | PF_U);
	pae_build(P, PRWU | NX, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_F, PF_P | PF_ID);

	/* Without EFER.NXE bit 63 is reserved. */
	pg.efer = 0;
	pae_build(P, PRWU, PRWU | NX);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_W | ACC_U,
		       PF_P | PF_RSVD | PF_W | PF_U);
	pae_build(P, PRWU | NX, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);
	EXPECT_EQ(mem.reads, 2);
}

/* ---- long mode ---------------------------------------------------- */

static const struct kvmod_paging pg_lm = {
	.cr0 = CR0_PE | CR0_PG | CR0_WP, .cr3 = 0x1000,
	.cr4 = KVMOD_CR4_PAE,
	.efer = KVMOD_EFER_LME | KVMOD_EFER_LMA | KVMOD_EFER_NXE,
};

/* PML4 0xff, PDPT 0x101, PD 3, PT 0x1f0, offset 0xabc. */
#define LM_VA		0x00007fc0407f0abcULL
/* The same with PML5 index 0x12, and with PML5 index 0x1ab. */
#define LA57_VA		0x00127fc0407f0abcULL
#define LA57_VA_HIGH	0xffab7fc0407f0abcULL
#define LM_GPA		0x0000000abcdefabcULL

/* e[0] = PTE ... e[3] = PML4E, e[4] = PML5E (at 0x8000). */
static void lm_build(const u64 e[5])
{
	mem_reset();
	put64(0x8000 + 0x12 * 8, 0x1000 | e[4]);
	put64(0x8000 + 0x1ab * 8, 0x1000 | e[4]);
	put64(0x1000 + 0xff * 8, 0x2000 | e[3]);
	put64(0x2000 + 0x101 * 8, 0x3000 | e[2]);
	put64(0x3000 + 3 * 8, 0x4000 | e[1]);
	put64(0x4000 + 0x1f0 * 8, 0xabcdef000ULL | e[0]);
}

static void lm_build_all(u64 flags)
{
	const u64 e[5] = { flags, flags, flags, flags, flags };

	lm_build(e);
}

/* All entries PRWU except level @level (1 = PT ... 5 = PML5): @flags. */
static void lm_build_one(int level, u64 flags)
{
	u64 e[5] = { PRWU, PRWU, PRWU, PRWU, PRWU };

	e[level - 1] = flags;
	lm_build(e);
}

TEST(pagewalk_lm_4k)
{
	struct kvmod_paging pg = pg_lm;

	lm_build_all(PRWU);
	EXPECT_WALK_OK(&pg, LM_VA, 0, LM_GPA);
	EXPECT_EQ(mem.reads, 4);
	EXPECT_EQ(mem.last_len, 8);
	EXPECT_WALK_OK(&pg, LM_VA, ACC_W | ACC_U | ACC_F, LM_GPA);
	/* CR3 bits 11:0 (PCID or PWT/PCD) are not address bits. */
	pg.cr3 = 0x1fff;
	EXPECT_WALK_OK(&pg, LM_VA, 0, LM_GPA);

	/* Upper half: PML4 0x1ff, PDPT 0x1fe, PD 0, PT 1. */
	put64(0x1000 + 0x1ff * 8, 0x5000 | P | RW);
	put64(0x5000 + 0x1fe * 8, 0x6000 | P | RW);
	put64(0x6000 + 0 * 8, 0x7000 | P | RW);
	put64(0x7000 + 1 * 8, 0x01000000 | P | RW);
	EXPECT_WALK_OK(&pg, 0xffffffff80001123ULL, ACC_W, 0x01000123);
	/* Ignored and available bits (11:9, 62:52) do not matter. */
	put64(0x7000 + 1 * 8, 0x7ff0000001000e00ULL | P | RW);
	EXPECT_WALK_OK(&pg, 0xffffffff80001123ULL, ACC_W, 0x01000123);
	/* Bit 7 of a PTE is PAT, not PS. */
	put64(0x7000 + 1 * 8, 0x01000000 | PS | P | RW);
	EXPECT_WALK_OK(&pg, 0xffffffff80001123ULL, ACC_W, 0x01000123);
}

TEST(pagewalk_lm_2m)
{
	struct kvmod_paging pg = pg_lm;

	lm_build_all(PRWU);
	put64(0x3000 + 3 * 8, 0x123400000ULL | PS | PRWU);
	EXPECT_WALK_OK(&pg, LM_VA, ACC_W | ACC_U | ACC_F, 0x1235f0abcULL);
	EXPECT_EQ(mem.reads, 3);
	put64(0x3000 + 3 * 8, 0x123401000ULL | PS | PRWU);	/* PAT */
	EXPECT_WALK_OK(&pg, LM_VA, 0, 0x1235f0abcULL);
	put64(0x3000 + 3 * 8, 0x123402000ULL | PS | PRWU);	/* bit 13 */
	EXPECT_WALK_PF(&pg, LM_VA, 0, PF_P | PF_RSVD);
	put64(0x3000 + 3 * 8, 0x123500000ULL | PS | PRWU);	/* bit 20 */
	EXPECT_WALK_PF(&pg, LM_VA, ACC_U, PF_P | PF_RSVD | PF_U);
	put64(0x3000 + 3 * 8, 0x123400000ULL | PS | P);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_W, PF_P | PF_W);
}

TEST(pagewalk_lm_1g)
{
	struct kvmod_paging pg = pg_lm;

	lm_build_all(PRWU);
	put64(0x2000 + 0x101 * 8, 0x4000000000ULL | PS | PRWU);
	EXPECT_WALK_OK(&pg, LM_VA, ACC_W | ACC_U | ACC_F, 0x40007f0abcULL);
	EXPECT_EQ(mem.reads, 2);
	put64(0x2000 + 0x101 * 8, 0x4000001000ULL | PS | PRWU);	/* PAT */
	EXPECT_WALK_OK(&pg, LM_VA, 0, 0x40007f0abcULL);
	put64(0x2000 + 0x101 * 8, 0x4000002000ULL | PS | PRWU);	/* bit 13 */
	EXPECT_WALK_PF(&pg, LM_VA, 0, PF_P | PF_RSVD);
	put64(0x2000 + 0x101 * 8, 0x4020000000ULL | PS | PRWU);	/* bit 29 */
	EXPECT_WALK_PF(&pg, LM_VA, ACC_W, PF_P | PF_RSVD | PF_W);
	put64(0x2000 + 0x101 * 8, 0x4000000000ULL | PS | P | RW);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_U, PF_P | PF_U);
}

TEST(pagewalk_lm_ps_reserved_in_pml4_and_pml5)
{
	struct kvmod_paging pg = pg_lm;

	lm_build_one(4, PRWU | PS);
	EXPECT_WALK_PF(&pg, LM_VA, 0, PF_P | PF_RSVD);
	EXPECT_EQ(mem.reads, 1);
	pg.cr3 = 0x8000;
	pg.cr4 |= KVMOD_CR4_LA57;
	lm_build_one(5, PRWU | PS);
	EXPECT_WALK_PF(&pg, LA57_VA, ACC_W, PF_P | PF_RSVD | PF_W);
	EXPECT_EQ(mem.reads, 1);
}

TEST(pagewalk_la57)
{
	struct kvmod_paging pg = pg_lm;

	pg.cr3 = 0x8000;
	pg.cr4 |= KVMOD_CR4_LA57;
	lm_build_all(PRWU);
	EXPECT_WALK_OK(&pg, LA57_VA, ACC_W | ACC_U | ACC_F, LM_GPA);
	EXPECT_EQ(mem.reads, 5);
	EXPECT_WALK_OK(&pg, LA57_VA_HIGH, 0, LM_GPA);
	/* The same addresses are not canonical with 4-level paging. */
	pg.cr3 = 0x1000;
	pg.cr4 &= ~KVMOD_CR4_LA57;
	EXPECT_EQ(walk(&pg, LA57_VA, 0), KVMOD_WALK_NONCANONICAL);
	EXPECT_EQ(walk(&pg, LA57_VA_HIGH, 0), KVMOD_WALK_NONCANONICAL);
	EXPECT_WALK_OK(&pg, LM_VA, 0, LM_GPA);
}

TEST(pagewalk_lm_not_present_each_level)
{
	struct kvmod_paging pg = pg_lm;
	int level;

	pg.cr3 = 0x8000;
	pg.cr4 |= KVMOD_CR4_LA57;
	for (level = 5; level >= 1; level--) {
		lm_build_one(level, PRWU & ~P);
		EXPECT_WALK_PF(&pg, LA57_VA, 0, 0);
		EXPECT_EQ(mem.reads, 6 - level);
		EXPECT_WALK_PF(&pg, LA57_VA, ACC_W, PF_W);
		EXPECT_WALK_PF(&pg, LA57_VA, ACC_W | ACC_U, PF_W | PF_U);
		EXPECT_WALK_PF(&pg, LA57_VA, ACC_F, PF_ID);
		EXPECT_WALK_PF(&pg, LA57_VA, ACC_F | ACC_U, PF_ID | PF_U);
		/* A not-present entry's other bits do not matter. */
		lm_build_one(level, RW | US | PS | NX | 0xff000ULL);
		EXPECT_WALK_PF(&pg, LA57_VA, ACC_U, PF_U);
	}
}

TEST(pagewalk_lm_write_protect)
{
	struct kvmod_paging pg = pg_lm;
	int level;

	for (level = 4; level >= 1; level--) {
		pg.cr0 |= CR0_WP;
		lm_build_one(level, P | US);
		EXPECT_WALK_OK(&pg, LM_VA, ACC_U, LM_GPA);
		EXPECT_WALK_OK(&pg, LM_VA, ACC_F, LM_GPA);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_W, PF_P | PF_W);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_W | ACC_U, PF_P | PF_W | PF_U);
		/* CR0.WP clear: supervisor writes ignore R/W, user ones not. */
		pg.cr0 &= ~CR0_WP;
		EXPECT_WALK_OK(&pg, LM_VA, ACC_W, LM_GPA);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_W | ACC_U, PF_P | PF_W | PF_U);
	}
}

TEST(pagewalk_lm_user_supervisor)
{
	struct kvmod_paging pg = pg_lm;
	int level;

	for (level = 4; level >= 1; level--) {
		lm_build_one(level, P | RW);
		EXPECT_WALK_OK(&pg, LM_VA, ACC_W, LM_GPA);
		EXPECT_WALK_OK(&pg, LM_VA, ACC_F, LM_GPA);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_U, PF_P | PF_U);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_U | ACC_W, PF_P | PF_U | PF_W);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_U | ACC_F, PF_P | PF_U | PF_ID);
	}
}

TEST(pagewalk_lm_nx)
{
	struct kvmod_paging pg = pg_lm;
	int level;

	for (level = 4; level >= 1; level--) {
		lm_build_one(level, PRWU | NX);
		EXPECT_WALK_OK(&pg, LM_VA, ACC_W | ACC_U, LM_GPA);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_F, PF_P | PF_ID);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_F | ACC_U, PF_P | PF_ID | PF_U);
	}
	/* NX on a 2 MiB page. */
	lm_build_all(PRWU);
	put64(0x3000 + 3 * 8, 0x123400000ULL | PS | PRWU | NX);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_F, PF_P | PF_ID);
	EXPECT_WALK_OK(&pg, LM_VA, 0, 0x1235f0abcULL);
}

TEST(pagewalk_lm_nx_without_nxe_is_reserved)
{
	struct kvmod_paging pg = pg_lm;
	int level;

	pg.efer &= ~KVMOD_EFER_NXE;
	for (level = 4; level >= 1; level--) {
		lm_build_one(level, PRWU | NX);
		EXPECT_WALK_PF(&pg, LM_VA, 0, PF_P | PF_RSVD);
		EXPECT_EQ(mem.reads, 5 - level);
		EXPECT_WALK_PF(&pg, LM_VA, ACC_W | ACC_U,
			       PF_P | PF_RSVD | PF_W | PF_U);
	}
	lm_build_all(PRWU);
	put64(0x2000 + 0x101 * 8, 0x4000000000ULL | PS | PRWU | NX);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_W, PF_P | PF_RSVD | PF_W);
}

TEST(pagewalk_noncanonical)
{
	static const u64 bad48[] = {
		0x0000800000000000ULL, 0xffff7fffffffffffULL,
		0x8000000000000000ULL, 0x0001000000000000ULL,
	};
	static const u64 bad57[] = {
		0x0100000000000000ULL, 0xfeffffffffffffffULL,
		0x8000000000000000ULL,
	};
	struct kvmod_paging pg = pg_lm;
	unsigned int i;

	mem_reset();
	for (i = 0; i < ARRAY_SIZE(bad48); i++) {
		EXPECT_EQ(walk(&pg, bad48[i], 0), KVMOD_WALK_NONCANONICAL);
		EXPECT_EQ(mem.reads, 0);
	}
	/* Canonical edges walk the (empty) tables and fault. */
	EXPECT_WALK_PF(&pg, 0x00007fffffffffffULL, 0, 0);
	EXPECT_WALK_PF(&pg, 0xffff800000000000ULL, 0, 0);

	pg.cr4 |= KVMOD_CR4_LA57;
	for (i = 0; i < ARRAY_SIZE(bad57); i++) {
		EXPECT_EQ(walk(&pg, bad57[i], 0), KVMOD_WALK_NONCANONICAL);
		EXPECT_EQ(mem.reads, 0);
	}
	EXPECT_WALK_PF(&pg, 0x00ffffffffffffffULL, 0, 0);
	EXPECT_WALK_PF(&pg, 0xff00000000000000ULL, 0, 0);
	EXPECT_WALK_PF(&pg, 0x0000800000000000ULL, 0, 0);
}

TEST(pagewalk_no_memory)
{
	struct kvmod_paging pg;

	/* Legacy: PD, then PT outside guest memory. */
	pg = pg32;
	pg.cr3 = 0x80000000;
	mem_reset();
	EXPECT_EQ(walk(&pg, 0x00403abc, 0), KVMOD_WALK_NO_MEMORY);
	pg.cr3 = 0x1000;
	put32(0x1000 + 1 * 4, 0x00200000 | PRWU);
	EXPECT_EQ(walk(&pg, 0x00403abc, 0), KVMOD_WALK_NO_MEMORY);
	EXPECT_EQ(mem.reads, 2);

	/* PAE: PDPT, then PD outside guest memory. */
	pg = pg_pae;
	pg.cr3 = 0xfffff000;
	EXPECT_EQ(walk(&pg, 0x40201abc, 0), KVMOD_WALK_NO_MEMORY);
	pg.cr3 = 0x1020;
	pae_build(P, PRWU, PRWU);
	put64(0x1020 + 1 * 8, 0x100000000ULL | P);
	EXPECT_EQ(walk(&pg, 0x40201abc, 0), KVMOD_WALK_NO_MEMORY);
	EXPECT_EQ(mem.reads, 2);

	/* Long mode: a PT just past the end of guest memory. */
	pg = pg_lm;
	lm_build_all(PRWU);
	put64(0x3000 + 3 * 8, MEM_SIZE | PRWU);
	EXPECT_EQ(walk(&pg, LM_VA, 0), KVMOD_WALK_NO_MEMORY);
	EXPECT_EQ(mem.reads, 4);
	/* 5-level: the PML5 itself. */
	pg.cr4 |= KVMOD_CR4_LA57;
	pg.cr3 = 0x000ffffffffff000ULL;
	EXPECT_EQ(walk(&pg, LA57_VA, 0), KVMOD_WALK_NO_MEMORY);
	EXPECT_EQ(mem.reads, 1);
}

/*
 * KNOWN BUG (core/pagewalk.c): the I/D error-code bit is architecturally
 * set only when NX is in effect (CR4.PAE and EFER.NXE; or CR4.SMEP, not
 * modelled). walk_fault() copies KVMOD_ACC_FETCH unconditionally, so a
 * fetch fault in legacy paging or with EFER.NXE clear reports bit 4.
 */
TEST(pagewalk_id_bit_only_with_nx)
{
	struct kvmod_paging pg;

	pg = pg32;
	legacy_build(PRWU & ~P, PRWU);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_F, 0);
	EXPECT_WALK_PF(&pg, 0x00403abc, ACC_F | ACC_U, PF_U);

	pg = pg_pae;
	pg.efer = 0;
	pae_build(P, PRWU, PRWU & ~P);
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_F, 0);

	pg = pg_lm;
	pg.efer &= ~KVMOD_EFER_NXE;
	lm_build_one(1, PRWU & ~P);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_F, 0);
	lm_build_one(2, P | RW);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_F | ACC_U, PF_P | PF_U);
	lm_build_one(3, PRWU | NX);
	EXPECT_WALK_PF(&pg, LM_VA, ACC_F, PF_P | PF_RSVD);
}

/*
 * With PAE paging (not long mode) bits 62:52 of the PDPTE, PDE and PTE are
 * reserved. In long mode the same bits are ignored/available and must stay
 * so.
 */
TEST(pagewalk_pae_reserved_bits_62_52)
{
	struct kvmod_paging pg = pg_pae;

	pae_build(P | (1ULL << 52), PRWU, PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);
	pae_build(P, PRWU | (1ULL << 62), PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);
	pae_build(P, PRWU, PRWU | (1ULL << 55));
	EXPECT_WALK_PF(&pg, 0x40201abc, ACC_W, PF_P | PF_RSVD | PF_W);
	pae_build(P, 0, 0);
	put64(0x2000 + 1 * 8, 0x40000000 | (1ULL << 52) | PS | PRWU);
	EXPECT_WALK_PF(&pg, 0x40201abc, 0, PF_P | PF_RSVD);

	pg = pg_lm;
	lm_build_all(PRWU | (1ULL << 52) | (1ULL << 62));
	EXPECT_WALK_OK(&pg, LM_VA, ACC_W | ACC_U | ACC_F, LM_GPA);
}
