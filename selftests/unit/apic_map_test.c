// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/apic_map.c: the APIC map names exactly the
 * APICs kvmod_lapic_match_dest() (lapic.c) accepts, or asks for a scan.
 */
#include <stdlib.h>
#include <string.h>

#include "apic_map.h"
#include "lapic.h"
#include "unit.h"

#define MAX_APICS	12

static struct kvmod_lapic apics[MAX_APICS];
static struct kvmod_apic_map_entry entries[MAX_APICS];
static unsigned char map_buf[sizeof(struct kvmod_apic_map) + 4096 * 2];
static struct kvmod_apic_map *map = (struct kvmod_apic_map *)map_buf;

static void xapic(int i, u32 id, u32 ldr, u32 dfr)
{
	struct kvmod_lapic_effects fx = { 0 };
	struct kvmod_lapic *l = &apics[i];

	kvmod_lapic_reset(l, i, i == 0);
	kvmod_lapic_set_base(l, KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN,
			     true, true, 40, &fx);
	kvmod_lapic_write(l, KVMOD_APIC_ID, id << 24, 0, &fx);
	kvmod_lapic_write(l, KVMOD_APIC_DFR, dfr, 0, &fx);
	kvmod_lapic_write(l, KVMOD_APIC_LDR, ldr << 24, 0, &fx);
	kvmod_lapic_write(l, KVMOD_APIC_SVR, 0x1ff, 0, &fx);
}

static void x2apic(int i, u32 vcpu_id)
{
	struct kvmod_lapic_effects fx = { 0 };
	struct kvmod_lapic *l = &apics[i];

	kvmod_lapic_reset(l, vcpu_id, i == 0);
	kvmod_lapic_set_base(l, KVMOD_APIC_BASE_DEFAULT | KVMOD_APIC_BASE_EN |
			     KVMOD_APIC_BASE_EXTD, true, true, 40, &fx);
	kvmod_lapic_wrmsr(l, 0x80f, 0x1ff, 0, &fx);	/* SVR */
}

static void disabled(int i)
{
	struct kvmod_lapic_effects fx = { 0 };

	kvmod_lapic_reset(&apics[i], i, false);
	kvmod_lapic_set_base(&apics[i], KVMOD_APIC_BASE_DEFAULT, true, true,
			     40, &fx);
}

static void build(int n)
{
	int i;

	for (i = 0; i < n; i++)
		kvmod_lapic_map_entry(&apics[i], &entries[i]);
	EXPECT_TRUE(kvmod_apic_map_size(entries, n) <= sizeof(map_buf));
	memset(map_buf, 0xa5, sizeof(map_buf));
	kvmod_apic_map_build(map, entries, n);
}

static struct kvmod_irq_msg msg(u32 dest, bool logical)
{
	struct kvmod_irq_msg m = { 0 };

	m.dest = dest;
	m.logical = logical;
	m.vector = 0x40;
	m.delivery_mode = KVMOD_DM_FIXED;
	m.shorthand = KVMOD_SH_NONE;
	return m;
}

/* The lookup as a bit mask of APIC indices; -1 for a scan. */
static long long lookup_mask(u32 dest, bool logical)
{
	struct kvmod_irq_msg m = msg(dest, logical);
	u16 out[KVMOD_APIC_MAP_MAX_TARGETS];
	long long mask = 0;
	int i, nr = kvmod_apic_map_lookup(map, &m, out);

	if (nr < 0)
		return -1;
	for (i = 0; i < nr; i++) {
		if (i)
			EXPECT_TRUE(out[i - 1] < out[i]);
		mask |= 1LL << out[i];
	}
	return mask;
}

TEST(physical_xapic_ids)
{
	xapic(0, 0, 1, 0xffffffff);
	xapic(1, 5, 2, 0xffffffff);
	xapic(2, 9, 4, 0xffffffff);
	build(3);
	EXPECT_EQ(lookup_mask(5, false), 1LL << 1);
	EXPECT_EQ(lookup_mask(9, false), 1LL << 2);
	EXPECT_EQ(lookup_mask(1, false), 0);
	EXPECT_EQ(lookup_mask(0xff, false), -1);	/* broadcast */
	EXPECT_EQ(lookup_mask(0x100, false), -1);	/* not indexed */
}

TEST(physical_duplicate_ids_scan)
{
	xapic(0, 3, 1, 0xffffffff);
	xapic(1, 3, 2, 0xffffffff);
	build(2);
	EXPECT_EQ(lookup_mask(3, false), -1);
	EXPECT_EQ(lookup_mask(4, false), 0);
}

TEST(disabled_apics_are_not_indexed)
{
	xapic(0, 0, 1, 0xffffffff);
	disabled(1);
	build(2);
	EXPECT_EQ(entries[1].enabled, false);
	EXPECT_EQ(lookup_mask(1, false), 0);
	EXPECT_EQ(lookup_mask(1, true), 1LL << 0);
}

TEST(logical_flat)
{
	xapic(0, 0, 0x01, 0xffffffff);
	xapic(1, 1, 0x02, 0xffffffff);
	xapic(2, 2, 0x0c, 0xffffffff);	/* two bits: one APIC */
	build(3);
	EXPECT_EQ(map->logical_mode, KVMOD_APIC_LOGICAL_FLAT);
	EXPECT_EQ(lookup_mask(0x03, true), 3);
	EXPECT_EQ(lookup_mask(0x0c, true), 1LL << 2);	/* once */
	EXPECT_EQ(lookup_mask(0x30, true), 0);
	EXPECT_EQ(lookup_mask(0xff, true), -1);
}

TEST(logical_cluster)
{
	xapic(0, 0, 0x11, 0x0fffffff);
	xapic(1, 1, 0x12, 0x0fffffff);
	xapic(2, 2, 0x21, 0x0fffffff);
	build(3);
	EXPECT_EQ(map->logical_mode, KVMOD_APIC_LOGICAL_CLUSTER);
	EXPECT_EQ(lookup_mask(0x13, true), 3);
	EXPECT_EQ(lookup_mask(0x21, true), 1LL << 2);
	EXPECT_EQ(lookup_mask(0x31, true), 0);
}

TEST(logical_x2apic_clusters)
{
	int i;

	for (i = 0; i < 10; i++)
		x2apic(i, i * 3);	/* ids 0..27: clusters 0 and 1 */
	build(10);
	EXPECT_EQ(map->logical_mode, KVMOD_APIC_LOGICAL_X2APIC);
	EXPECT_EQ(map->nr_slots, 32);
	/* cluster 1, ids 18, 21, 24, 27 -> bits 2, 5, 8, 11 */
	EXPECT_EQ(lookup_mask(0x10000 | 1 << 5 | 1 << 11, true),
		  1LL << 7 | 1LL << 9);
	EXPECT_EQ(lookup_mask(0x20001, true), 0);
	EXPECT_EQ(lookup_mask(0xffffffff, true), -1);
	/* physical x2APIC IDs below 0xff are indexed too */
	EXPECT_EQ(lookup_mask(27, false), 1LL << 9);
}

TEST(mixed_modes_scan)
{
	xapic(0, 0, 0x01, 0xffffffff);
	xapic(1, 1, 0x12, 0x0fffffff);
	build(2);
	EXPECT_EQ(map->logical_mode, KVMOD_APIC_LOGICAL_MIXED);
	EXPECT_EQ(lookup_mask(0x01, true), -1);
	EXPECT_EQ(lookup_mask(1, false), 1LL << 1);
}

TEST(shorthand_scan)
{
	struct kvmod_irq_msg m = msg(0, false);
	u16 out[KVMOD_APIC_MAP_MAX_TARGETS];

	xapic(0, 0, 1, 0xffffffff);
	build(1);
	m.shorthand = KVMOD_SH_ALL;
	EXPECT_EQ(kvmod_apic_map_lookup(map, &m, out), -1);
}

/* Random APIC sets: every APIC that matches is a candidate. */
TEST(candidates_cover_every_match)
{
	static const u32 dfrs[] = { 0xffffffff, 0x0fffffff };
	int round, i, n, k;

	srand(7);
	for (round = 0; round < 3000; round++) {
		int kind = rand() % 3;

		n = 1 + rand() % MAX_APICS;
		for (i = 0; i < n; i++) {
			if (rand() % 8 == 0)
				disabled(i);
			else if (kind == 2)
				x2apic(i, rand() % 300);
			else
				xapic(i, rand() % 16, rand() & 0xff,
				      dfrs[kind ^ (rand() % 16 == 0)]);
		}
		build(n);
		for (k = 0; k < 64; k++) {
			bool logical = rand() & 1;
			u32 dest = rand() % 4 == 0 ? (u32)rand() :
				   (u32)(rand() % 0x30);
			struct kvmod_irq_msg m = msg(dest, logical);
			long long got = lookup_mask(dest, logical);

			if (got < 0)
				continue;
			for (i = 0; i < n; i++) {
				bool hit = kvmod_lapic_match_dest(&apics[i],
								  &m, NULL);

				if (hit)
					EXPECT_TRUE(got & (1LL << i));
			}
		}
	}
}
