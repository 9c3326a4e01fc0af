// SPDX-License-Identifier: GPL-2.0
/*
 * GSI routing table validation, construction and lookup, following
 * KVM's KVM_SET_GSI_ROUTING rules for x86. See irq_routing.h.
 */
#include <linux/errno.h>

#include "irq_routing.h"
#include "msi.h"

/* The per-GSI index of first routes, stored after the routes. */
static u32 *gsi_first(struct kvmod_irq_route_table *t)
{
	return (u32 *)&t->routes[t->nr_routes];
}

static const u32 *gsi_first_const(const struct kvmod_irq_route_table *t)
{
	return (const u32 *)&t->routes[t->nr_routes];
}

int kvmod_irq_routing_check(u32 nr, u32 flags)
{
	if (nr > KVMOD_MAX_IRQ_ROUTES || flags)
		return -EINVAL;
	return 0;
}

int kvmod_irq_routing_nr_gsis(const struct kvm_irq_routing_entry *ue, u32 nr)
{
	u32 i, max = 0;

	for (i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVMOD_MAX_IRQ_ROUTES)
			return -EINVAL;
		if (ue[i].gsi > max)
			max = ue[i].gsi;
	}
	return max + 1;
}

size_t kvmod_irq_routing_size(u32 nr, u32 nr_gsis)
{
	if (nr > KVMOD_MAX_IRQ_ROUTES || !nr_gsis ||
	    nr_gsis > KVMOD_MAX_IRQ_ROUTES)
		return 0;
	return sizeof(struct kvmod_irq_route_table) +
	       (size_t)nr * sizeof(struct kvmod_irq_route) +
	       (size_t)nr_gsis * sizeof(u32);
}

/* KVM's rule: one route per irqchip per GSI, and an MSI route alone. */
static bool route_conflicts(const struct kvmod_irq_route_table *t,
			    const u32 *first,
			    const struct kvm_irq_routing_entry *ue)
{
	const struct kvmod_irq_route *r;
	u32 i;

	for (i = first[ue->gsi]; i != KVMOD_IRQ_ROUTE_NONE; i = r->next) {
		r = &t->routes[i];
		if (r->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    r->u.irqchip.irqchip == ue->u.irqchip.irqchip)
			return true;
	}
	return false;
}

/* Check the target of an entry and fill in its route. */
static int route_set(struct kvmod_irq_route *r,
		     const struct kvm_irq_routing_entry *ue,
		     bool split_irqchip, bool x2apic_format)
{
	u32 pin = ue->u.irqchip.pin;

	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (split_irqchip)
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			if (pin >= KVMOD_PIC_NUM_PINS / 2)
				return -EINVAL;
			if (ue->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE)
				pin += KVMOD_PIC_NUM_PINS / 2;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (pin >= KVMOD_IRQ_CHIP_NUM_PINS)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		r->u.irqchip.irqchip = ue->u.irqchip.irqchip;
		r->u.irqchip.pin = pin;
		break;
	case KVM_IRQ_ROUTING_MSI:
		if (!kvmod_msi_valid(ue->u.msi.address_hi, x2apic_format))
			return -EINVAL;
		r->u.msi.address_lo = ue->u.msi.address_lo;
		r->u.msi.address_hi = ue->u.msi.address_hi;
		r->u.msi.data = ue->u.msi.data;
		break;
	default:
		return -EINVAL;
	}
	r->gsi = ue->gsi;
	r->type = ue->type;
	r->next = KVMOD_IRQ_ROUTE_NONE;
	return 0;
}

int kvmod_irq_routing_build(struct kvmod_irq_route_table *t, u32 nr_gsis,
			    const struct kvm_irq_routing_entry *ue, u32 nr,
			    bool split_irqchip, bool x2apic_format)
{
	struct kvmod_irq_route *r;
	u32 *first, *link;
	u32 i, j;
	int ret;

	if (!kvmod_irq_routing_size(nr, nr_gsis))
		return -EINVAL;

	t->nr_routes = nr;
	t->nr_gsis = nr_gsis;
	for (i = 0; i < KVM_NR_IRQCHIPS; i++)
		for (j = 0; j < KVMOD_IRQ_CHIP_NUM_PINS; j++)
			t->chip[i][j] = -1;
	first = gsi_first(t);
	for (i = 0; i < nr_gsis; i++)
		first[i] = KVMOD_IRQ_ROUTE_NONE;

	for (i = 0; i < nr; i++, ue++) {
		if (ue->gsi >= nr_gsis)
			return -EINVAL;
		if (ue->type == KVM_IRQ_ROUTING_MSI) {
			if (ue->flags & ~KVM_MSI_VALID_DEVID)
				return -EINVAL;
		} else if (ue->flags) {
			return -EINVAL;
		}
		if (route_conflicts(t, first, ue))
			return -EINVAL;

		r = &t->routes[i];
		ret = route_set(r, ue, split_irqchip, x2apic_format);
		if (ret)
			return ret;
		if (r->type == KVM_IRQ_ROUTING_IRQCHIP)
			t->chip[r->u.irqchip.irqchip][r->u.irqchip.pin] =
				(s32)r->gsi;

		/* Append, so that a GSI's routes keep the entries' order. */
		link = &first[r->gsi];
		while (*link != KVMOD_IRQ_ROUTE_NONE)
			link = &t->routes[*link].next;
		*link = i;
	}
	return 0;
}

void kvmod_irq_routing_default(struct kvm_irq_routing_entry *ue)
{
	u32 gsi;

	__builtin_memset(ue, 0,
			 KVMOD_IRQ_ROUTING_DEFAULT_NR * sizeof(*ue));
	for (gsi = 0; gsi < KVMOD_IRQ_CHIP_NUM_PINS; gsi++) {
		ue->gsi = gsi;
		ue->type = KVM_IRQ_ROUTING_IRQCHIP;
		ue->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		ue->u.irqchip.pin = gsi;
		ue++;
		if (gsi >= KVMOD_PIC_NUM_PINS)
			continue;
		ue->gsi = gsi;
		ue->type = KVM_IRQ_ROUTING_IRQCHIP;
		ue->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
						  KVM_IRQCHIP_PIC_SLAVE;
		ue->u.irqchip.pin = gsi % 8;
		ue++;
	}
}

const struct kvmod_irq_route *
kvmod_irq_routing_first(const struct kvmod_irq_route_table *t, u32 gsi)
{
	u32 i;

	if (gsi >= t->nr_gsis)
		return NULL;
	i = gsi_first_const(t)[gsi];
	return i == KVMOD_IRQ_ROUTE_NONE ? NULL : &t->routes[i];
}

const struct kvmod_irq_route *
kvmod_irq_routing_next(const struct kvmod_irq_route_table *t,
		       const struct kvmod_irq_route *r)
{
	if (r->next == KVMOD_IRQ_ROUTE_NONE || r->next >= t->nr_routes)
		return NULL;
	return &t->routes[r->next];
}

unsigned int kvmod_irq_routing_map_gsi(const struct kvmod_irq_route_table *t,
				       u32 gsi, struct kvmod_irq_route *out,
				       unsigned int max)
{
	const struct kvmod_irq_route *r;
	unsigned int n = 0;

	for (r = kvmod_irq_routing_first(t, gsi); r && n < max;
	     r = kvmod_irq_routing_next(t, r))
		out[n++] = *r;
	return n;
}

int kvmod_irq_routing_chip_pin_gsi(const struct kvmod_irq_route_table *t,
				   u32 irqchip, u32 pin)
{
	if (irqchip >= KVM_NR_IRQCHIPS || pin >= KVMOD_IRQ_CHIP_NUM_PINS)
		return -1;
	return t->chip[irqchip][pin];
}
