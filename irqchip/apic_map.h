/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The APIC map: which local APICs an interrupt message can reach, found
 * without asking every APIC of the VM. Built from a snapshot of every
 * APIC's addressing state (mode, physical ID, LDR, DFR) whenever that
 * state changes; a lookup names the few APICs a physical or logical
 * destination can match, or says that the message must be offered to
 * every APIC (broadcasts, shorthands, and addressing states the map does
 * not index, such as APICs in different logical modes or two APICs
 * sharing a destination). The caller still checks each candidate
 * against the message: the map only narrows the search.
 */
#ifndef KVMOD_APIC_MAP_H
#define KVMOD_APIC_MAP_H

#include "pure_types.h"
#include "irq_msg.h"

/* A logical destination names at most 16 APICs (an x2APIC cluster). */
#define KVMOD_APIC_MAP_MAX_TARGETS	16
/* Physical destinations the table covers: 0 to 0xfe (0xff broadcasts). */
#define KVMOD_APIC_MAP_NR_PHYS		0xff
/* The highest x2APIC cluster indexed (x2APIC IDs below 64 Ki). */
#define KVMOD_APIC_MAP_MAX_CLUSTER	0xfff

/* Slot contents besides an APIC's index. */
#define KVMOD_APIC_MAP_NONE		0xffff
#define KVMOD_APIC_MAP_MANY		0xfffe

/* The logical destination model shared by every enabled APIC. */
enum kvmod_apic_logical_mode {
	KVMOD_APIC_LOGICAL_NONE,	/* no APIC is enabled */
	KVMOD_APIC_LOGICAL_FLAT,	/* xAPIC, DFR flat: 8 bits */
	KVMOD_APIC_LOGICAL_CLUSTER,	/* xAPIC, DFR cluster: 15 x 4 */
	KVMOD_APIC_LOGICAL_X2APIC,	/* x2APIC clusters of 16 */
	KVMOD_APIC_LOGICAL_MIXED,	/* not indexed: offer to every APIC */
};

/* One APIC's addressing state, as the map is built from it. */
struct kvmod_apic_map_entry {
	bool enabled;		/* hardware-enabled (APIC base bit 11) */
	bool x2apic;
	u32 phys_id;		/* xAPIC: APIC ID bits 31:24; x2APIC: ID */
	u32 ldr;		/* the LDR register as stored */
	u32 dfr;		/* xAPIC: the DFR register */
};

/**
 * struct kvmod_apic_map - the index
 * @gen: the generation of addressing state it was built from (caller's)
 * @nr_apics: the number of APICs it was built from (caller's)
 * @logical_mode: enum kvmod_apic_logical_mode
 * @nr_slots: entries at @slot
 * @phys: by physical destination below 0xff: an APIC's index, NONE or
 *	MANY
 * @slot: by logical cluster and bit (cluster * width + bit): the same
 */
struct kvmod_apic_map {
	u32 gen;
	u32 nr_apics;
	u8 logical_mode;
	u32 nr_slots;
	u16 phys[KVMOD_APIC_MAP_NR_PHYS];
	u16 slot[];
};

/**
 * kvmod_apic_map_size() - bytes of the map for a set of APICs
 * @e: the APICs' addressing state, indexed by APIC index
 * @n: entries at @e (below KVMOD_APIC_MAP_MANY)
 *
 * Return: the size to allocate for kvmod_apic_map_build() of @e.
 */
size_t kvmod_apic_map_size(const struct kvmod_apic_map_entry *e, u32 n);

/**
 * kvmod_apic_map_build() - index a set of APICs
 * @map: kvmod_apic_map_size(@e, @n) bytes
 * @e: the APICs' addressing state
 * @n: entries at @e
 *
 * Fills everything but @map->gen and @map->nr_apics.
 */
void kvmod_apic_map_build(struct kvmod_apic_map *map,
			  const struct kvmod_apic_map_entry *e, u32 n);

/**
 * kvmod_apic_map_lookup() - the APICs a message can reach
 * @map: the map
 * @msg: a message without shorthand; physical destinations above 0xfe
 *	are not indexed here
 * @out: KVMOD_APIC_MAP_MAX_TARGETS entries: APIC indices, ascending and
 *	each once
 *
 * Return: the number of candidates in @out (0: the message reaches no
 * APIC), or -1 when the message must be offered to every APIC.
 */
int kvmod_apic_map_lookup(const struct kvmod_apic_map *map,
			  const struct kvmod_irq_msg *msg, u16 *out);

#endif /* KVMOD_APIC_MAP_H */
