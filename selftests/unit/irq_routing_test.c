// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for irqchip/irq_routing.c: KVM_SET_GSI_ROUTING validation
 * (every rule and its errno), the default table and lookups.
 */
#include <errno.h>
#include <stdlib.h>

#include "irq_routing.h"
#include "unit.h"

static struct kvm_irq_routing_entry chip(u32 gsi, u32 irqchip, u32 pin)
{
	struct kvm_irq_routing_entry e;

	memset(&e, 0, sizeof(e));
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_IRQCHIP;
	e.u.irqchip.irqchip = irqchip;
	e.u.irqchip.pin = pin;
	return e;
}

static struct kvm_irq_routing_entry msi(u32 gsi, u32 lo, u32 hi, u32 data)
{
	struct kvm_irq_routing_entry e;

	memset(&e, 0, sizeof(e));
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_MSI;
	e.u.msi.address_lo = lo;
	e.u.msi.address_hi = hi;
	e.u.msi.data = data;
	return e;
}

/* The table last built by build(); freed by the next call. */
static struct kvmod_irq_route_table *table;

static int build_opts(const struct kvm_irq_routing_entry *ue, u32 nr,
		      bool split, bool x2apic)
{
	int nr_gsis = kvmod_irq_routing_nr_gsis(ue, nr);
	size_t size;

	free(table);
	table = NULL;
	if (nr_gsis < 0)
		return nr_gsis;
	size = kvmod_irq_routing_size(nr, nr_gsis);
	EXPECT_TRUE(size != 0);
	table = malloc(size);
	memset(table, 0xa5, size);
	return kvmod_irq_routing_build(table, nr_gsis, ue, nr, split, x2apic);
}

static int build(const struct kvm_irq_routing_entry *ue, u32 nr)
{
	return build_opts(ue, nr, false, false);
}

static int pin_gsi(u32 irqchip, u32 pin)
{
	return kvmod_irq_routing_chip_pin_gsi(table, irqchip, pin);
}

static unsigned int count_routes(u32 gsi)
{
	const struct kvmod_irq_route *r;
	unsigned int n = 0;

	for (r = kvmod_irq_routing_first(table, gsi); r;
	     r = kvmod_irq_routing_next(table, r)) {
		EXPECT_EQ(r->gsi, gsi);
		n++;
	}
	return n;
}

TEST(header_check)
{
	EXPECT_EQ(kvmod_irq_routing_check(0, 0), 0);
	EXPECT_EQ(kvmod_irq_routing_check(4096, 0), 0);
	EXPECT_EQ(kvmod_irq_routing_check(4097, 0), -EINVAL);
	EXPECT_EQ(kvmod_irq_routing_check(0xffffffff, 0), -EINVAL);
	EXPECT_EQ(kvmod_irq_routing_check(1, 1), -EINVAL);
	EXPECT_EQ(kvmod_irq_routing_check(1, 0x80000000), -EINVAL);
}

TEST(nr_gsis)
{
	struct kvm_irq_routing_entry e[3];

	EXPECT_EQ(kvmod_irq_routing_nr_gsis(NULL, 0), 1);
	e[0] = chip(5, KVM_IRQCHIP_IOAPIC, 5);
	e[1] = msi(100, 0xfee00000, 0, 0x30);
	e[2] = chip(7, KVM_IRQCHIP_IOAPIC, 7);
	EXPECT_EQ(kvmod_irq_routing_nr_gsis(e, 3), 101);
	e[1].gsi = 4095;
	EXPECT_EQ(kvmod_irq_routing_nr_gsis(e, 3), 4096);
	e[1].gsi = 4096;
	EXPECT_EQ(kvmod_irq_routing_nr_gsis(e, 3), -EINVAL);
	e[1].gsi = 0xffffffff;
	EXPECT_EQ(kvmod_irq_routing_nr_gsis(e, 3), -EINVAL);
}

TEST(size)
{
	size_t s0 = kvmod_irq_routing_size(0, 1);

	EXPECT_TRUE(s0 >= sizeof(struct kvmod_irq_route_table));
	EXPECT_EQ(kvmod_irq_routing_size(1, 1),
		  s0 + sizeof(struct kvmod_irq_route));
	EXPECT_EQ(kvmod_irq_routing_size(0, 2), s0 + sizeof(u32));
	EXPECT_TRUE(kvmod_irq_routing_size(4096, 4096) < 200 * 1024);
	EXPECT_EQ(kvmod_irq_routing_size(0, 0), 0);
	EXPECT_EQ(kvmod_irq_routing_size(4097, 1), 0);
	EXPECT_EQ(kvmod_irq_routing_size(1, 4097), 0);
}

TEST(default_entries)
{
	struct kvm_irq_routing_entry e[KVMOD_IRQ_ROUTING_DEFAULT_NR + 1];
	unsigned int i = 0;
	u32 gsi;

	memset(e, 0x5a, sizeof(e));
	kvmod_irq_routing_default(e);
	for (gsi = 0; gsi < 24; gsi++) {
		EXPECT_EQ(e[i].gsi, gsi);
		EXPECT_EQ(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		EXPECT_EQ(e[i].flags, 0);
		EXPECT_EQ(e[i].u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
		EXPECT_EQ(e[i].u.irqchip.pin, gsi);
		EXPECT_EQ(e[i].u.pad[2], 0);
		i++;
		if (gsi >= 16)
			continue;
		EXPECT_EQ(e[i].gsi, gsi);
		EXPECT_EQ(e[i].type, KVM_IRQ_ROUTING_IRQCHIP);
		EXPECT_EQ(e[i].u.irqchip.irqchip,
			  gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
				    KVM_IRQCHIP_PIC_SLAVE);
		EXPECT_EQ(e[i].u.irqchip.pin, gsi % 8);
		i++;
	}
	EXPECT_EQ(i, KVMOD_IRQ_ROUTING_DEFAULT_NR);
	EXPECT_EQ(e[KVMOD_IRQ_ROUTING_DEFAULT_NR].gsi, 0x5a5a5a5a);
}

TEST(default_table)
{
	struct kvm_irq_routing_entry e[KVMOD_IRQ_ROUTING_DEFAULT_NR];
	struct kvmod_irq_route out[KVMOD_IRQ_ROUTES_PER_GSI];
	unsigned int n;
	u32 gsi;

	kvmod_irq_routing_default(e);
	EXPECT_EQ(build(e, KVMOD_IRQ_ROUTING_DEFAULT_NR), 0);
	EXPECT_EQ(table->nr_routes, 40);
	EXPECT_EQ(table->nr_gsis, 24);

	/* GSI 2 is IOAPIC pin 2 and PIC master pin 2 (no override). */
	n = kvmod_irq_routing_map_gsi(table, 2, out, KVMOD_ARRAY_SIZE(out));
	EXPECT_EQ(n, 2);
	EXPECT_EQ(out[0].type, KVM_IRQ_ROUTING_IRQCHIP);
	EXPECT_EQ(out[0].u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
	EXPECT_EQ(out[0].u.irqchip.pin, 2);
	EXPECT_EQ(out[1].u.irqchip.irqchip, KVM_IRQCHIP_PIC_MASTER);
	EXPECT_EQ(out[1].u.irqchip.pin, 2);

	/* A slave pin is stored as the PIC's input 8-15. */
	n = kvmod_irq_routing_map_gsi(table, 12, out, KVMOD_ARRAY_SIZE(out));
	EXPECT_EQ(n, 2);
	EXPECT_EQ(out[1].u.irqchip.irqchip, KVM_IRQCHIP_PIC_SLAVE);
	EXPECT_EQ(out[1].u.irqchip.pin, 12);

	for (gsi = 0; gsi < 16; gsi++)
		EXPECT_EQ(count_routes(gsi), 2);
	for (gsi = 16; gsi < 24; gsi++)
		EXPECT_EQ(count_routes(gsi), 1);
	EXPECT_EQ(count_routes(24), 0);
	EXPECT_NULL(kvmod_irq_routing_first(table, 4095));
	EXPECT_NULL(kvmod_irq_routing_first(table, 0xffffffff));

	for (gsi = 0; gsi < 24; gsi++)
		EXPECT_EQ(pin_gsi(KVM_IRQCHIP_IOAPIC, gsi), gsi);
	for (gsi = 0; gsi < 8; gsi++) {
		EXPECT_EQ(pin_gsi(KVM_IRQCHIP_PIC_MASTER, gsi), gsi);
		EXPECT_EQ(pin_gsi(KVM_IRQCHIP_PIC_SLAVE, gsi), -1);
		EXPECT_EQ(pin_gsi(KVM_IRQCHIP_PIC_SLAVE, gsi + 8), gsi + 8);
	}
	EXPECT_EQ(pin_gsi(KVM_IRQCHIP_PIC_MASTER, 8), -1);
	EXPECT_EQ(pin_gsi(3, 0), -1);
	EXPECT_EQ(pin_gsi(KVM_IRQCHIP_IOAPIC, 24), -1);
}

TEST(empty_table)
{
	EXPECT_EQ(build(NULL, 0), 0);
	EXPECT_EQ(table->nr_routes, 0);
	EXPECT_EQ(table->nr_gsis, 1);
	EXPECT_NULL(kvmod_irq_routing_first(table, 0));
	EXPECT_EQ(pin_gsi(KVM_IRQCHIP_IOAPIC, 0), -1);
	EXPECT_EQ(build_opts(NULL, 0, true, true), 0);
}

TEST(flags)
{
	struct kvm_irq_routing_entry e;

	e = chip(0, KVM_IRQCHIP_IOAPIC, 0);
	e.flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e.flags = 0x80;
	EXPECT_EQ(build(&e, 1), -EINVAL);

	/* x86 takes an MSI's device ID flag and ignores it. */
	e = msi(0, 0xfee00000, 0, 0x30);
	e.flags = KVM_MSI_VALID_DEVID;
	e.u.msi.devid = 1234;
	EXPECT_EQ(build(&e, 1), 0);
	EXPECT_EQ(table->routes[0].u.msi.data, 0x30);
	e.flags = KVM_MSI_VALID_DEVID | 2;
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e.flags = 2;
	EXPECT_EQ(build(&e, 1), -EINVAL);
}

TEST(irqchip_pins)
{
	struct kvm_irq_routing_entry e;

	e = chip(0, KVM_IRQCHIP_PIC_MASTER, 7);
	EXPECT_EQ(build(&e, 1), 0);
	EXPECT_EQ(table->routes[0].u.irqchip.pin, 7);
	e = chip(0, KVM_IRQCHIP_PIC_MASTER, 8);
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e = chip(0, KVM_IRQCHIP_PIC_SLAVE, 7);
	EXPECT_EQ(build(&e, 1), 0);
	EXPECT_EQ(table->routes[0].u.irqchip.pin, 15);
	EXPECT_EQ(pin_gsi(KVM_IRQCHIP_PIC_SLAVE, 15), 0);
	e = chip(0, KVM_IRQCHIP_PIC_SLAVE, 8);
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e = chip(0, KVM_IRQCHIP_IOAPIC, 23);
	EXPECT_EQ(build(&e, 1), 0);
	e = chip(0, KVM_IRQCHIP_IOAPIC, 24);
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e = chip(0, KVM_IRQCHIP_IOAPIC, 0xffffffff);
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e = chip(0, KVM_NR_IRQCHIPS, 0);
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e = chip(0, 0xffffffff, 0);
	EXPECT_EQ(build(&e, 1), -EINVAL);
}

TEST(types)
{
	struct kvm_irq_routing_entry e;
	u32 type;

	for (type = 0; type < 8; type++) {
		e = chip(0, KVM_IRQCHIP_IOAPIC, 0);
		e.type = type;
		EXPECT_EQ(build(&e, 1),
			  type == KVM_IRQ_ROUTING_IRQCHIP ||
			  type == KVM_IRQ_ROUTING_MSI ? 0 : -EINVAL);
	}
	e.type = KVM_IRQ_ROUTING_HV_SINT;
	e.u.hv_sint.vcpu = 0;
	e.u.hv_sint.sint = 1;
	EXPECT_EQ(build(&e, 1), -EINVAL);
	e.type = KVM_IRQ_ROUTING_XEN_EVTCHN;
	EXPECT_EQ(build(&e, 1), -EINVAL);
}

TEST(one_route_per_irqchip)
{
	struct kvm_irq_routing_entry e[4];
	struct kvmod_irq_route out[KVMOD_IRQ_ROUTES_PER_GSI];
	unsigned int n;

	e[0] = chip(9, KVM_IRQCHIP_PIC_SLAVE, 1);
	e[1] = chip(9, KVM_IRQCHIP_IOAPIC, 20);
	e[2] = chip(9, KVM_IRQCHIP_PIC_MASTER, 3);
	EXPECT_EQ(build(e, 3), 0);
	n = kvmod_irq_routing_map_gsi(table, 9, out, KVMOD_ARRAY_SIZE(out));
	EXPECT_EQ(n, 3);
	EXPECT_EQ(out[0].u.irqchip.irqchip, KVM_IRQCHIP_PIC_SLAVE);
	EXPECT_EQ(out[0].u.irqchip.pin, 9);
	EXPECT_EQ(out[1].u.irqchip.irqchip, KVM_IRQCHIP_IOAPIC);
	EXPECT_EQ(out[1].u.irqchip.pin, 20);
	EXPECT_EQ(out[2].u.irqchip.irqchip, KVM_IRQCHIP_PIC_MASTER);
	EXPECT_EQ(out[2].u.irqchip.pin, 3);
	/* Fewer slots: the first routes. */
	n = kvmod_irq_routing_map_gsi(table, 9, out, 1);
	EXPECT_EQ(n, 1);
	EXPECT_EQ(out[0].u.irqchip.irqchip, KVM_IRQCHIP_PIC_SLAVE);
	EXPECT_EQ(kvmod_irq_routing_map_gsi(table, 8, out, 3), 0);

	/* Two routes to the same irqchip, even to other pins: refused. */
	e[3] = chip(9, KVM_IRQCHIP_IOAPIC, 21);
	EXPECT_EQ(build(e, 4), -EINVAL);
	e[3] = chip(9, KVM_IRQCHIP_PIC_MASTER, 3);
	EXPECT_EQ(build(e, 4), -EINVAL);
	/* The same pin from another GSI is fine; the last one maps it. */
	e[3] = chip(10, KVM_IRQCHIP_IOAPIC, 20);
	EXPECT_EQ(build(e, 4), 0);
	EXPECT_EQ(pin_gsi(KVM_IRQCHIP_IOAPIC, 20), 10);
	EXPECT_EQ(count_routes(9), 3);
	EXPECT_EQ(count_routes(10), 1);
}

TEST(msi_routes_alone)
{
	struct kvm_irq_routing_entry e[2];

	e[0] = msi(30, 0xfee00000, 0, 0x40);
	e[1] = msi(30, 0xfee01000, 0, 0x41);
	EXPECT_EQ(build(e, 2), -EINVAL);
	e[1] = chip(30, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_EQ(build(e, 2), -EINVAL);
	e[0] = chip(30, KVM_IRQCHIP_IOAPIC, 1);
	e[1] = msi(30, 0xfee00000, 0, 0x40);
	EXPECT_EQ(build(e, 2), -EINVAL);
	/* An invalid route does not count as an earlier one. */
	e[0] = chip(30, KVM_IRQCHIP_IOAPIC, 24);
	EXPECT_EQ(build(e, 2), -EINVAL);
	e[1].gsi = 31;
	e[0] = chip(30, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_EQ(build(e, 2), 0);
	EXPECT_EQ(count_routes(30), 1);
	EXPECT_EQ(count_routes(31), 1);
	EXPECT_EQ(kvmod_irq_routing_first(table, 31)->u.msi.address_lo,
		  0xfee00000);
	EXPECT_EQ(kvmod_irq_routing_first(table, 31)->u.msi.data, 0x40);
}

TEST(split_irqchip)
{
	struct kvm_irq_routing_entry e[2];

	e[0] = msi(0, 0xfee00000, 0, 0x40);
	e[1] = chip(1, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_EQ(build_opts(e, 1, true, false), 0);
	EXPECT_EQ(build_opts(e, 2, true, false), -EINVAL);
	EXPECT_EQ(build_opts(e + 1, 1, true, false), -EINVAL);
	e[1] = chip(1, KVM_IRQCHIP_PIC_MASTER, 1);
	EXPECT_EQ(build_opts(e + 1, 1, true, false), -EINVAL);
	EXPECT_EQ(build_opts(e, 2, false, false), 0);
}

TEST(x2apic_format_msi)
{
	struct kvm_irq_routing_entry e;

	e = msi(0, 0xfee00000, 0x1ff, 0x40);
	EXPECT_EQ(build_opts(&e, 1, false, false), 0);
	EXPECT_EQ(table->routes[0].u.msi.address_hi, 0x1ff);
	EXPECT_EQ(build_opts(&e, 1, false, true), -EINVAL);
	e.u.msi.address_hi = 0x100;
	EXPECT_EQ(build_opts(&e, 1, false, true), 0);
	e.u.msi.address_hi = 0x80;
	EXPECT_EQ(build_opts(&e, 1, true, true), -EINVAL);
	/* The check is on address_hi only. */
	e = msi(0, 0x12345678, 0, 0xffffffff);
	EXPECT_EQ(build_opts(&e, 1, true, true), 0);
}

TEST(build_arguments)
{
	struct kvm_irq_routing_entry e = chip(5, KVM_IRQCHIP_IOAPIC, 5);
	struct kvmod_irq_route_table *t;

	t = malloc(kvmod_irq_routing_size(1, 6));
	EXPECT_EQ(kvmod_irq_routing_build(t, 6, &e, 1, false, false), 0);
	/* A GSI beyond the index given: refused, never written. */
	EXPECT_EQ(kvmod_irq_routing_build(t, 5, &e, 1, false, false),
		  -EINVAL);
	EXPECT_EQ(kvmod_irq_routing_build(t, 0, &e, 1, false, false),
		  -EINVAL);
	EXPECT_EQ(kvmod_irq_routing_build(t, 6, &e, 4097, false, false),
		  -EINVAL);
	free(t);
}

TEST(sparse_and_full_tables)
{
	struct kvm_irq_routing_entry *e;
	u32 i;

	e = calloc(KVMOD_MAX_IRQ_ROUTES, sizeof(*e));
	e[0] = msi(4000, 0xfee00000, 0, 0x40);
	EXPECT_EQ(build(e, 1), 0);
	EXPECT_EQ(table->nr_gsis, 4001);
	for (i = 0; i < 4000; i++)
		EXPECT_NULL(kvmod_irq_routing_first(table, i));
	EXPECT_EQ(count_routes(4000), 1);

	/* 4096 routes, in reverse GSI order. */
	for (i = 0; i < KVMOD_MAX_IRQ_ROUTES; i++)
		e[i] = msi(KVMOD_MAX_IRQ_ROUTES - 1 - i, 0xfee00000, 0, i);
	EXPECT_EQ(build(e, KVMOD_MAX_IRQ_ROUTES), 0);
	EXPECT_EQ(table->nr_gsis, 4096);
	EXPECT_EQ(kvmod_irq_routing_first(table, 4095)->u.msi.data, 0);
	EXPECT_EQ(kvmod_irq_routing_first(table, 0)->u.msi.data, 4095);
	for (i = 0; i < KVMOD_MAX_IRQ_ROUTES; i++)
		EXPECT_EQ(count_routes(i), 1);
	free(e);
	free(table);
	table = NULL;
}
