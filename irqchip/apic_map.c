// SPDX-License-Identifier: GPL-2.0
/*
 * The APIC map: an index of local APICs by physical and logical
 * destination. See apic_map.h.
 */
#include "apic_map.h"

#define XAPIC_DFR_FLAT		0xffffffffU
#define XAPIC_DFR_CLUSTER	0x0fffffffU

static u8 entry_mode(const struct kvmod_apic_map_entry *e)
{
	if (e->x2apic)
		return (e->ldr >> 16) > KVMOD_APIC_MAP_MAX_CLUSTER ?
		       KVMOD_APIC_LOGICAL_MIXED : KVMOD_APIC_LOGICAL_X2APIC;
	if (e->dfr == XAPIC_DFR_FLAT)
		return KVMOD_APIC_LOGICAL_FLAT;
	if (e->dfr == XAPIC_DFR_CLUSTER)
		return KVMOD_APIC_LOGICAL_CLUSTER;
	return KVMOD_APIC_LOGICAL_MIXED;
}

/* The logical mode of the enabled APICs, and the x2APIC slots needed. */
static u8 logical_mode(const struct kvmod_apic_map_entry *e, u32 n,
		       u32 *nr_slots)
{
	u8 mode = KVMOD_APIC_LOGICAL_NONE, m;
	u32 i, top = 0;

	for (i = 0; i < n; i++) {
		if (!e[i].enabled)
			continue;
		m = entry_mode(&e[i]);
		if (mode != KVMOD_APIC_LOGICAL_NONE && m != mode)
			m = KVMOD_APIC_LOGICAL_MIXED;
		mode = m;
		if (mode == KVMOD_APIC_LOGICAL_MIXED)
			break;
		if (mode == KVMOD_APIC_LOGICAL_X2APIC && (e[i].ldr >> 16) > top)
			top = e[i].ldr >> 16;
	}
	switch (mode) {
	case KVMOD_APIC_LOGICAL_FLAT:
		*nr_slots = 8;
		break;
	case KVMOD_APIC_LOGICAL_CLUSTER:
		*nr_slots = 16 * 4;
		break;
	case KVMOD_APIC_LOGICAL_X2APIC:
		*nr_slots = (top + 1) * 16;
		break;
	default:
		*nr_slots = 0;
		break;
	}
	return mode;
}

size_t kvmod_apic_map_size(const struct kvmod_apic_map_entry *e, u32 n)
{
	u32 nr_slots;

	logical_mode(e, n, &nr_slots);
	return sizeof(struct kvmod_apic_map) + nr_slots * sizeof(u16);
}

static void claim(u16 *slot, u16 idx)
{
	*slot = *slot == KVMOD_APIC_MAP_NONE ? idx : KVMOD_APIC_MAP_MANY;
}

/* Put APIC @idx into the slots of the logical IDs its LDR holds. */
static void index_logical(struct kvmod_apic_map *map,
			  const struct kvmod_apic_map_entry *e, u16 idx)
{
	u32 cluster, bits, width, b;

	switch (map->logical_mode) {
	case KVMOD_APIC_LOGICAL_FLAT:
		cluster = 0;
		bits = e->ldr >> 24;
		width = 8;
		break;
	case KVMOD_APIC_LOGICAL_CLUSTER:
		cluster = e->ldr >> 28;
		bits = (e->ldr >> 24) & 0xf;
		width = 4;
		break;
	default:
		cluster = e->ldr >> 16;
		bits = e->ldr & 0xffff;
		width = 16;
		break;
	}
	for (b = 0; b < width; b++)
		if (bits & (1U << b))
			claim(&map->slot[cluster * width + b], idx);
}

void kvmod_apic_map_build(struct kvmod_apic_map *map,
			  const struct kvmod_apic_map_entry *e, u32 n)
{
	u32 i;

	map->logical_mode = logical_mode(e, n, &map->nr_slots);
	for (i = 0; i < KVMOD_APIC_MAP_NR_PHYS; i++)
		map->phys[i] = KVMOD_APIC_MAP_NONE;
	for (i = 0; i < map->nr_slots; i++)
		map->slot[i] = KVMOD_APIC_MAP_NONE;
	for (i = 0; i < n; i++) {
		if (!e[i].enabled)
			continue;
		if (e[i].phys_id < KVMOD_APIC_MAP_NR_PHYS)
			claim(&map->phys[e[i].phys_id], (u16)i);
		if (map->nr_slots)
			index_logical(map, &e[i], (u16)i);
	}
}

/* Add @idx to the ascending set @out of @nr entries; the new size. */
static int add_target(u16 *out, int nr, u16 idx)
{
	int i = nr, j;

	while (i > 0 && out[i - 1] > idx)
		i--;
	if (i > 0 && out[i - 1] == idx)
		return nr;
	for (j = nr; j > i; j--)
		out[j] = out[j - 1];
	out[i] = idx;
	return nr + 1;
}

int kvmod_apic_map_lookup(const struct kvmod_apic_map *map,
			  const struct kvmod_irq_msg *msg, u16 *out)
{
	u32 cluster, bits, width, b, mda = msg->dest;
	int nr = 0;
	u16 s;

	if (msg->shorthand != KVMOD_SH_NONE)
		return -1;
	/* Broadcasts, in either format, reach every APIC there is. */
	if (mda == 0xff || mda == 0xffffffffU)
		return -1;
	if (!msg->logical) {
		if (mda >= KVMOD_APIC_MAP_NR_PHYS)
			return -1;
		s = map->phys[mda];
		if (s == KVMOD_APIC_MAP_MANY)
			return -1;
		if (s == KVMOD_APIC_MAP_NONE)
			return 0;
		out[0] = s;
		return 1;
	}
	switch (map->logical_mode) {
	case KVMOD_APIC_LOGICAL_NONE:
		return 0;
	case KVMOD_APIC_LOGICAL_FLAT:
		cluster = 0;
		bits = mda & 0xff;
		width = 8;
		break;
	case KVMOD_APIC_LOGICAL_CLUSTER:
		cluster = (mda >> 4) & 0xf;
		bits = mda & 0xf;
		width = 4;
		break;
	case KVMOD_APIC_LOGICAL_X2APIC:
		cluster = mda >> 16;
		bits = mda & 0xffff;
		width = 16;
		break;
	default:
		return -1;
	}
	if ((u64)cluster * width >= map->nr_slots)
		return 0;
	for (b = 0; b < width; b++) {
		if (!(bits & (1U << b)))
			continue;
		s = map->slot[cluster * width + b];
		if (s == KVMOD_APIC_MAP_MANY)
			return -1;
		if (s != KVMOD_APIC_MAP_NONE)
			nr = add_target(out, nr, s);
	}
	return nr;
}
