/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GSI routing tables as KVM builds them for KVM_SET_GSI_ROUTING and
 * KVM_CREATE_IRQCHIP: validation of the userspace entries (with KVM's
 * errnos), the default table, and lookup of the routes of a GSI and of
 * the GSI of an irqchip pin.
 *
 * A table lives in one block of memory that the caller allocates (see
 * kvmod_irq_routing_size()) and never changes once built: the caller
 * publishes a new one (RCU) and frees the old one.
 */
#ifndef KVMOD_IRQ_ROUTING_H
#define KVMOD_IRQ_ROUTING_H

#include <linux/kvm.h>

#include "pure_types.h"

#define KVMOD_MAX_IRQ_ROUTES		4096	/* KVM_MAX_IRQ_ROUTES in 6.1 */
#define KVMOD_IRQ_CHIP_NUM_PINS		KVM_IOAPIC_NUM_PINS
#define KVMOD_PIC_NUM_PINS		16	/* master 0-7, slave 8-15 */
#define KVMOD_IRQ_ROUTING_DEFAULT_NR	40	/* 16 GSIs x 2 + 8 */
/* At most one route per irqchip, or a single MSI route, per GSI */
#define KVMOD_IRQ_ROUTES_PER_GSI	KVM_NR_IRQCHIPS
#define KVMOD_IRQ_ROUTE_NONE		0xffffffffU

/**
 * struct kvmod_irq_route - one accepted routing entry
 * @gsi: its GSI
 * @type: KVM_IRQ_ROUTING_IRQCHIP or KVM_IRQ_ROUTING_MSI
 * @u: the target
 * @u.irqchip.irqchip: KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE or _IOAPIC
 * @u.irqchip.pin: IOAPIC pin 0-23, or PIC input 0-15 (a slave pin is
 *	stored plus 8, as KVM does)
 * @u.msi.address_lo: MSI address, low word
 * @u.msi.address_hi: MSI address, high word
 * @u.msi.data: MSI data
 * @next: index of the next route of the same GSI, or KVMOD_IRQ_ROUTE_NONE
 */
struct kvmod_irq_route {
	u32 gsi;
	u32 type;
	union {
		struct {
			u32 irqchip;
			u32 pin;
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	} u;
	u32 next;
};

/**
 * struct kvmod_irq_route_table - a GSI routing table
 * @nr_routes: number of routes
 * @nr_gsis: highest GSI of the entries plus 1 (1 for an empty table)
 * @chip: per irqchip and pin, the GSI routed to it, or -1 (if several
 *	GSIs are, the last entry wins, as in KVM)
 * @routes: the routes, in the order of the entries; the first route of
 *	each GSI (an index per GSI) is stored after them
 */
struct kvmod_irq_route_table {
	u32 nr_routes;
	u32 nr_gsis;
	s32 chip[KVM_NR_IRQCHIPS][KVMOD_IRQ_CHIP_NUM_PINS];
	struct kvmod_irq_route routes[];
};

/**
 * kvmod_irq_routing_check() - check a struct kvm_irq_routing header
 * @nr: number of entries
 * @flags: flags
 *
 * KVM_SET_GSI_ROUTING's checks before it copies the entries (the caller
 * first refuses with -EINVAL a VM without an in-kernel irqchip).
 *
 * Return: 0, or -EINVAL if @nr > KVMOD_MAX_IRQ_ROUTES or @flags != 0.
 */
int kvmod_irq_routing_check(u32 nr, u32 flags);

/**
 * kvmod_irq_routing_nr_gsis() - the GSI index size a table needs
 * @ue: the entries
 * @nr: number of entries
 *
 * Return: the highest GSI plus 1 (1 if @nr is 0), or -EINVAL if a GSI
 * is >= KVMOD_MAX_IRQ_ROUTES.
 */
int kvmod_irq_routing_nr_gsis(const struct kvm_irq_routing_entry *ue, u32 nr);

/**
 * kvmod_irq_routing_size() - bytes to allocate for a table
 * @nr: number of entries, <= KVMOD_MAX_IRQ_ROUTES
 * @nr_gsis: from kvmod_irq_routing_nr_gsis(), 1..KVMOD_MAX_IRQ_ROUTES
 *
 * Return: the size (under 200 KiB), or 0 if an argument is out of range.
 */
size_t kvmod_irq_routing_size(u32 nr, u32 nr_gsis);

/**
 * kvmod_irq_routing_build() - validate entries and build a table
 * @t: a block of kvmod_irq_routing_size(@nr, @nr_gsis) bytes
 * @nr_gsis: from kvmod_irq_routing_nr_gsis(@ue, @nr)
 * @ue: the entries
 * @nr: number of entries
 * @split_irqchip: the VM has a split irqchip (KVM_CAP_SPLIT_IRQCHIP)
 * @x2apic_format: the VM enabled KVM_X2APIC_API_USE_32BIT_IDS
 *
 * Each entry is checked in order, as KVM: its GSI (< @nr_gsis and
 * < KVMOD_MAX_IRQ_ROUTES); its flags (0, or only KVM_MSI_VALID_DEVID
 * for an MSI, which x86 then ignores); no earlier route of the GSI may
 * be an MSI or target the same irqchip, and an MSI may not join any
 * earlier route; the type: an irqchip entry (refused with a split
 * irqchip) names the PIC master or slave with pin < 8 or the IOAPIC
 * with pin < 24; an MSI is refused if kvmod_msi_valid() says so; any
 * other type (S390 adapter, Hyper-V SynIC, Xen event channel) is
 * refused, as kvmod implements none of them.
 *
 * Return: 0, or -EINVAL for the first bad entry (@t is then garbage).
 */
int kvmod_irq_routing_build(struct kvmod_irq_route_table *t, u32 nr_gsis,
			    const struct kvm_irq_routing_entry *ue, u32 nr,
			    bool split_irqchip, bool x2apic_format);

/**
 * kvmod_irq_routing_default() - KVM's default routing entries
 * @ue: receives KVMOD_IRQ_ROUTING_DEFAULT_NR entries
 *
 * GSI 0-15 each go to IOAPIC pin GSI and to PIC pin GSI % 8 (master
 * for 0-7, slave for 8-15), IOAPIC entry first; GSI 16-23 to IOAPIC
 * pin GSI. This is what KVM_CREATE_IRQCHIP installs; a split irqchip
 * starts with an empty table (nr = 0).
 */
void kvmod_irq_routing_default(struct kvm_irq_routing_entry *ue);

/**
 * kvmod_irq_routing_first() - the first route of a GSI
 * @t: the table
 * @gsi: the GSI
 *
 * Return: the route, or NULL if @gsi has none. Routes come in the
 * order of their entries (KVM also calls the chips in that order).
 */
const struct kvmod_irq_route *
kvmod_irq_routing_first(const struct kvmod_irq_route_table *t, u32 gsi);

/**
 * kvmod_irq_routing_next() - the next route of the same GSI
 * @t: the table
 * @r: a route of @t
 *
 * Return: the route, or NULL after the last.
 */
const struct kvmod_irq_route *
kvmod_irq_routing_next(const struct kvmod_irq_route_table *t,
		       const struct kvmod_irq_route *r);

/**
 * kvmod_irq_routing_map_gsi() - copy the routes of a GSI
 * @t: the table
 * @gsi: the GSI
 * @out: room for @max routes (KVMOD_IRQ_ROUTES_PER_GSI is always enough)
 * @max: size of @out
 *
 * Return: the number of routes copied (0 for a GSI without routes).
 */
unsigned int kvmod_irq_routing_map_gsi(const struct kvmod_irq_route_table *t,
				       u32 gsi, struct kvmod_irq_route *out,
				       unsigned int max);

/**
 * kvmod_irq_routing_chip_pin_gsi() - the GSI routed to an irqchip pin
 * @t: the table
 * @irqchip: KVM_IRQCHIP_*
 * @pin: IOAPIC pin, or PIC input 0-15 (slave inputs are 8-15)
 *
 * For ack and mask notifiers, which are registered by GSI.
 *
 * Return: the GSI, or -1 if none (or out of range).
 */
int kvmod_irq_routing_chip_pin_gsi(const struct kvmod_irq_route_table *t,
				   u32 irqchip, u32 pin);

#endif /* KVMOD_IRQ_ROUTING_H */
