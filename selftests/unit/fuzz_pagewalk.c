// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for core/pagewalk.c.
 *
 * Input: mode byte, CR3 (8 bytes), GVA (8 bytes), then the guest memory
 * image. Reads below 2^40 wrap around the image (so any table address
 * finds data); reads at or above 2^40, or with no image, fail.
 *
 * Checks invariants that hold for any page tables:
 *  - paging off: identity (32-bit without LMA), no table reads;
 *  - a non-canonical address (long mode) gives NONCANONICAL, no reads;
 *  - table reads are 4 bytes (legacy) or 8 bytes, naturally aligned;
 *  - on success the page offset is kept and the error code is 0;
 *  - a fault's W/U bits are those of the access, RSVD implies P, no
 *    other bits, I/D only for a fetch;
 *  - a supervisor read never fails a permission check, and the tables
 *    are read the same way for every access: if it does not succeed,
 *    no access does, with the same result and the same P/RSVD bits;
 *  - if an access succeeds, every access asking for less succeeds too,
 *    at the same address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pagewalk.h"
#include "fuzz_check.h"

struct image {
	const u8 *data;
	size_t len;
	unsigned int entry;	/* 4 or 8: expected read size */
	unsigned int reads;
};

static int image_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct image *img = ctx;
	u8 *out = buf;
	unsigned int i;

	img->reads++;
	CHECK(len == img->entry);
	CHECK((gpa & (len - 1)) == 0);
	CHECK(gpa < (1ULL << 52));
	if (!img->len || gpa >= (1ULL << 40))
		return -1;
	for (i = 0; i < len; i++)
		out[i] = img->data[(gpa + i) % img->len];
	return 0;
}

static u64 get64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool canonical(u64 gva, unsigned int bits)
{
	u64 top = gva >> (bits - 1);

	return top == 0 || top == (~0ULL >> (bits - 1));
}

/* The 8 accesses, indexed by W | U << 1 | F << 2. */
static u32 access_of(int i)
{
	return (i & 1 ? KVMOD_ACC_WRITE : 0) | (i & 2 ? KVMOD_ACC_USER : 0) |
	       (i & 4 ? KVMOD_ACC_FETCH : 0);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kvmod_paging pg = { 0 };
	struct image img;
	int ret[8], i, j;
	u64 gva, gpa[8];
	u32 err[8];
	u8 mode;
	bool lma, noncanon;

	if (size < 17)
		return 0;
	mode = data[0];
	pg.cr3 = get64(data + 1);
	gva = get64(data + 9);
	img.data = data + 17;
	img.len = size - 17;

	pg.cr0 = KVMOD_CR0_PE;
	if (mode & 0x01)
		pg.cr0 |= KVMOD_CR0_PG;
	if (mode & 0x02)
		pg.cr0 |= KVMOD_CR0_WP;
	if (mode & 0x04)
		pg.cr4 |= KVMOD_CR4_PSE;
	if (mode & 0x08)
		pg.cr4 |= KVMOD_CR4_PAE;
	if (mode & 0x10)
		pg.cr4 |= KVMOD_CR4_LA57;
	if (mode & 0x20)
		pg.efer |= KVMOD_EFER_NXE;
	/* LMA only with PAE, as the hardware requires. */
	if ((mode & 0x40) && (mode & 0x08))
		pg.efer |= KVMOD_EFER_LME | KVMOD_EFER_LMA;
	lma = pg.efer & KVMOD_EFER_LMA;
	noncanon = lma && (pg.cr0 & KVMOD_CR0_PG) &&
		   !canonical(gva, pg.cr4 & KVMOD_CR4_LA57 ? 57 : 48);
	img.entry = (pg.cr4 & KVMOD_CR4_PAE) ? 8 : 4;

	for (i = 0; i < 8; i++) {
		img.reads = 0;
		gpa[i] = 0;
		err[i] = 0xdeadbeef;
		ret[i] = kvmod_walk_gva(&pg, gva, access_of(i), image_read,
					&img, &gpa[i], &err[i]);
		CHECK(ret[i] >= KVMOD_WALK_OK &&
		      ret[i] <= KVMOD_WALK_NONCANONICAL);

		if (!(pg.cr0 & KVMOD_CR0_PG)) {
			CHECK(ret[i] == KVMOD_WALK_OK);
			CHECK(gpa[i] == (lma ? gva : (u32)gva));
			CHECK(img.reads == 0);
		}
		CHECK((ret[i] == KVMOD_WALK_NONCANONICAL) == noncanon);
		if (noncanon)
			CHECK(img.reads == 0);
		if (ret[i] == KVMOD_WALK_OK) {
			CHECK(err[i] == 0);
			CHECK((gpa[i] & 0xfff) == (gva & 0xfff));
			if (pg.cr0 & KVMOD_CR0_PG)
				CHECK(gpa[i] < (pg.cr4 & KVMOD_CR4_PAE ?
						1ULL << 52 : 1ULL << 40));
		}
		if (ret[i] == KVMOD_WALK_PAGE_FAULT) {
			CHECK(!(err[i] & ~0x1fu));
			CHECK((err[i] & (KVMOD_PF_WRITE | KVMOD_PF_USER)) ==
			      (access_of(i) & (KVMOD_ACC_WRITE |
					       KVMOD_ACC_USER)));
			CHECK(!(err[i] & KVMOD_PF_RSVD) ||
			      (err[i] & KVMOD_PF_PRESENT));
			CHECK(!(err[i] & KVMOD_PF_FETCH) ||
			      (access_of(i) & KVMOD_ACC_FETCH));
		}
	}

	/* Supervisor read: only the tables themselves can make it fail. */
	if (ret[0] != KVMOD_WALK_OK) {
		for (i = 1; i < 8; i++) {
			CHECK(ret[i] == ret[0]);
			if (ret[0] == KVMOD_WALK_PAGE_FAULT)
				CHECK((err[i] & (KVMOD_PF_PRESENT |
						 KVMOD_PF_RSVD)) ==
				      (err[0] & (KVMOD_PF_PRESENT |
						 KVMOD_PF_RSVD)));
		}
	}
	for (i = 0; i < 8; i++) {
		if (ret[i] == KVMOD_WALK_PAGE_FAULT && ret[0] == KVMOD_WALK_OK)
			CHECK((err[i] & (KVMOD_PF_PRESENT | KVMOD_PF_RSVD)) ==
			      KVMOD_PF_PRESENT);
		if (ret[i] != KVMOD_WALK_OK)
			continue;
		for (j = 0; j < 8; j++) {
			if ((j & i) != j)
				continue;
			CHECK(ret[j] == KVMOD_WALK_OK);
			CHECK(gpa[j] == gpa[i]);
		}
	}
	return 0;
}
