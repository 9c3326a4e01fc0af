// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel irqchip at the ioctl level: KVM_CREATE_IRQCHIP,
 * KVM_GET/SET_IRQCHIP (PIC master, PIC slave, IOAPIC), KVM_IRQ_LINE and
 * KVM_IRQ_LINE_STATUS, KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI, the split
 * irqchip (KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)), KVM_GET/SET_LAPIC,
 * KVM_GET/SET_MP_STATE, and the capabilities that announce them: a
 * capability that is reported works, one that is not has no ioctl.
 *
 * No guest code runs; effects are observed through KVM_GET_IRQCHIP and
 * KVM_GET_LAPIC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

/* KVM_MAX_IRQ_ROUTES of in-tree KVM, the KVM_CAP_IRQ_ROUTING answer. */
#define MAX_IRQ_ROUTES		4096

/* IOAPIC redirection entry bits. */
#define RTE_VECTOR(v)		((uint64_t)(v))
#define RTE_LEVEL		(1ULL << 15)
#define RTE_REMOTE_IRR		(1ULL << 14)
#define RTE_MASKED		(1ULL << 16)
#define RTE_DEST(id)		((uint64_t)(id) << 56)

/* Local APIC register offsets. */
#define APIC_ID			0x20
#define APIC_LVR		0x30
#define APIC_TASKPRI		0x80
#define APIC_PROCPRI		0xa0
#define APIC_LDR		0xd0
#define APIC_DFR		0xe0
#define APIC_SPIV		0xf0
#define APIC_ISR		0x100
#define APIC_TMR		0x180
#define APIC_IRR		0x200
#define APIC_ICR		0x300
#define APIC_LVTT		0x320
#define APIC_LVTTHMR		0x330
#define APIC_LVTPC		0x340
#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_LVTERR		0x370
#define APIC_TMICT		0x380
#define APIC_TDCR		0x3e0
#define APIC_LVT_MASKED		0x10000
#define APIC_MODE_EXTINT	0x700

#define TEST_VECTOR		0x40
#define MSI_ADDR		0xfee00000u	/* physical destination 0 */

static int ioctl_errno(int fd, unsigned long req, const void *arg)
{
	return kt_ioctl_errno(fd, req, (unsigned long)arg);
}

/*
 * The errno of a vCPU ioctl the hypervisor does not know: in-tree KVM's
 * vCPU fd falls back to x86 handlers that say EINVAL, kvmod says ENOTTY
 * on every fd (as errors_test checks).
 */
static int unknown_vcpu_ioctl_errno(void)
{
	return kt_is_kvmod() ? ENOTTY : EINVAL;
}

static int get_chip(int vm_fd, uint32_t id, struct kvm_irqchip *chip)
{
	memset(chip, 0, sizeof(*chip));
	chip->chip_id = id;
	return ioctl_errno(vm_fd, KVM_GET_IRQCHIP, chip);
}

static int set_chip(int vm_fd, const struct kvm_irqchip *chip)
{
	return ioctl_errno(vm_fd, KVM_SET_IRQCHIP, chip);
}

/* KVM_IRQ_LINE_STATUS: the status, with *err the errno (0 on success). */
static int irq_line_status(int vm_fd, uint32_t gsi, uint32_t level, int *err)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	*err = ioctl_errno(vm_fd, KVM_IRQ_LINE_STATUS, &l);
	return l.status;
}

/* KVM_IRQ_LINE_STATUS that must succeed: the status. */
static int line(int vm_fd, uint32_t gsi, uint32_t level)
{
	int err, status = irq_line_status(vm_fd, gsi, level, &err);

	return err ? -1000 - err : status;
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, unsigned int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

static void lapic_set_reg(struct kvm_lapic_state *s, unsigned int off,
			  uint32_t v)
{
	memcpy(s->regs + off, &v, sizeof(v));
}

/* Is @vector set in the 256-bit register (IRR, ISR, TMR) at @base? */
static int lapic_vec_bit(const struct kvm_lapic_state *s, unsigned int base,
			 unsigned int vector)
{
	return (lapic_reg(s, base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

/* Software-enable the local APIC of @vcpu_fd (SVR bit 8). */
static int lapic_enable(int vcpu_fd)
{
	struct kvm_lapic_state s;
	int r = ioctl_errno(vcpu_fd, KVM_GET_LAPIC, &s);

	if (r)
		return r;
	lapic_set_reg(&s, APIC_SPIV, 0x1ff);
	return ioctl_errno(vcpu_fd, KVM_SET_LAPIC, &s);
}

/* A routing table with room for @n entries. */
static struct kvm_irq_routing *routing_alloc(unsigned int n)
{
	struct kvm_irq_routing *r;

	r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
	return r;
}

static void route_chip(struct kvm_irq_routing *r, uint32_t gsi,
		       uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

static void route_msi(struct kvm_irq_routing *r, uint32_t gsi,
		      uint32_t addr, uint32_t data)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = addr;
	e->u.msi.data = data;
}

#define MAX_TEST_VCPUS	4

FIXTURE(vm) {
	int sys_fd;
	int vm_fd;
	int vcpu[MAX_TEST_VCPUS];
};

FIXTURE_SETUP(vm)
{
	int i;

	for (i = 0; i < MAX_TEST_VCPUS; i++)
		self->vcpu[i] = -1;
	self->vm_fd = -1;
	self->sys_fd = kt_open_dev();
	ASSERT_LE(0, self->sys_fd);
	self->vm_fd = kt_create_vm(self->sys_fd);
	ASSERT_LE(0, self->vm_fd);
}

FIXTURE_TEARDOWN(vm)
{
	int i;

	for (i = 0; i < MAX_TEST_VCPUS; i++)
		if (self->vcpu[i] >= 0)
			close(self->vcpu[i]);
	if (self->vm_fd >= 0)
		close(self->vm_fd);
	if (self->sys_fd >= 0)
		close(self->sys_fd);
}

/* KVM_CREATE_IRQCHIP on the fixture's VM; skips without KVM_CAP_IRQCHIP. */
#define CREATE_IRQCHIP()						\
	do {								\
		KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);		\
		ASSERT_EQ(0, ioctl_errno(self->vm_fd,			\
					 KVM_CREATE_IRQCHIP, NULL));	\
	} while (0)

/* vCPU @i of the fixture's VM. */
#define CREATE_VCPU(i)							\
	do {								\
		self->vcpu[i] = kt_create_vcpu(self->vm_fd, i);		\
		ASSERT_LE(0, self->vcpu[i]) TH_LOG("vCPU %d", i);	\
	} while (0)

/* ---- capabilities ---- */

/* A fresh VM, for the probes below. */
static int fresh_vm(int sys_fd)
{
	return kt_create_vm(sys_fd);
}

/*
 * Every irqchip capability that is reported works; every one that is not
 * has no ioctl behind it: the VM fd then says ENOTTY (unknown ioctl), or
 * EINVAL for KVM_ENABLE_CAP of an unknown capability.
 */
TEST_F(vm, reported_caps_work)
{
	bool irqchip = kt_check_cap(self->sys_fd, KVM_CAP_IRQCHIP) > 0;
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_pit_state2 ps2;
	struct kvm_irq_level l = { .irq = 3, .level = 0 };
	struct kvm_msi msi = { .address_lo = MSI_ADDR, .data = TEST_VECTOR };
	struct kvm_enable_cap cap = { 0 };
	struct kvm_mp_state mp;
	struct kvm_lapic_state lapic;
	struct kvm_irq_routing *rt;
	int vm, vcpu, err;

	/* KVM_CAP_IRQCHIP: KVM_CREATE_IRQCHIP, and each vCPU has a LAPIC. */
	err = ioctl_errno(self->vm_fd, KVM_CREATE_IRQCHIP, NULL);
	EXPECT_EQ(irqchip ? 0 : ENOTTY, err);
	CREATE_VCPU(0);
	err = ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &lapic);
	if (irqchip) {
		EXPECT_EQ(0, err);
	} else {
		EXPECT_TRUE(err == EINVAL || err == ENOTTY) TH_LOG("%d", err);
	}

	/* KVM_CAP_PIT2 with the irqchip (when there is one). */
	err = ioctl_errno(self->vm_fd, KVM_CREATE_PIT2, &pit);
	EXPECT_EQ(kt_check_cap(self->sys_fd, KVM_CAP_PIT2) > 0 ? 0 : ENOTTY,
		  err);
	/* KVM_CAP_PIT_STATE2: KVM_GET_PIT2 of that PIT. */
	if (kt_check_cap(self->sys_fd, KVM_CAP_PIT_STATE2) > 0) {
		EXPECT_EQ(0, ioctl_errno(self->vm_fd, KVM_GET_PIT2, &ps2));
	} else {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->vm_fd, KVM_GET_PIT2,
					      &ps2));
	}

	/* KVM_CAP_IRQ_INJECT_STATUS: KVM_IRQ_LINE_STATUS. */
	err = ioctl_errno(self->vm_fd, KVM_IRQ_LINE_STATUS, &l);
	if (kt_check_cap(self->sys_fd, KVM_CAP_IRQ_INJECT_STATUS) > 0) {
		EXPECT_EQ(irqchip ? 0 : ENXIO, err);
	} else {
		EXPECT_EQ(ENOTTY, err);
	}

	/* KVM_CAP_IRQ_ROUTING: KVM_SET_GSI_ROUTING. */
	rt = routing_alloc(1);
	ASSERT_NE(NULL, rt);
	route_chip(rt, 3, KVM_IRQCHIP_IOAPIC, 3);
	err = ioctl_errno(self->vm_fd, KVM_SET_GSI_ROUTING, rt);
	free(rt);
	if (kt_check_cap(self->sys_fd, KVM_CAP_IRQ_ROUTING) > 0) {
		EXPECT_EQ(irqchip ? 0 : EINVAL, err);
	} else {
		EXPECT_EQ(ENOTTY, err);
	}

	/* KVM_CAP_SIGNAL_MSI: KVM_SIGNAL_MSI (returns a count, not -1). */
	errno = 0;
	err = ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi);
	if (kt_check_cap(self->sys_fd, KVM_CAP_SIGNAL_MSI) > 0) {
		if (irqchip) {
			EXPECT_LE(0, err) TH_LOG("errno %d", errno);
		} else {
			EXPECT_EQ(EINVAL, errno);
		}
	} else {
		EXPECT_EQ(-1, err);
		EXPECT_EQ(ENOTTY, errno);
	}

	/* KVM_CAP_MP_STATE: KVM_GET_MP_STATE. */
	err = ioctl_errno(self->vcpu[0], KVM_GET_MP_STATE, &mp);
	EXPECT_EQ(kt_check_cap(self->sys_fd, KVM_CAP_MP_STATE) > 0 ?
		  0 : unknown_vcpu_ioctl_errno(), err);

	/* KVM_CAP_SPLIT_IRQCHIP: KVM_ENABLE_CAP on a fresh VM. */
	vm = fresh_vm(self->sys_fd);
	ASSERT_LE(0, vm);
	cap.cap = KVM_CAP_SPLIT_IRQCHIP;
	cap.args[0] = 24;
	err = ioctl_errno(vm, KVM_ENABLE_CAP, &cap);
	EXPECT_EQ(kt_check_cap(self->sys_fd, KVM_CAP_SPLIT_IRQCHIP) > 0 ?
		  0 : EINVAL, err);
	close(vm);

	/* KVM_CAP_X2APIC_API: KVM_ENABLE_CAP with every flag it reports. */
	vm = fresh_vm(self->sys_fd);
	ASSERT_LE(0, vm);
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X2APIC_API;
	cap.args[0] = kt_check_cap(self->sys_fd, KVM_CAP_X2APIC_API);
	err = ioctl_errno(vm, KVM_ENABLE_CAP, &cap);
	EXPECT_EQ(cap.args[0] > 0 ? 0 : EINVAL, err);
	vcpu = kt_create_vcpu(vm, 0);
	EXPECT_LE(0, vcpu);
	if (vcpu >= 0)
		close(vcpu);
	close(vm);
}

/* The VM fd answers the irqchip capabilities as the system fd does. */
TEST_F(vm, vm_fd_caps_match_system_fd)
{
	static const long caps[] = {
		KVM_CAP_IRQCHIP, KVM_CAP_PIT2, KVM_CAP_PIT_STATE2,
		KVM_CAP_IRQ_ROUTING, KVM_CAP_SIGNAL_MSI,
		KVM_CAP_SPLIT_IRQCHIP, KVM_CAP_IRQ_INJECT_STATUS,
		KVM_CAP_MP_STATE, KVM_CAP_X2APIC_API, KVM_CAP_NR_VCPUS,
		KVM_CAP_MAX_VCPUS, KVM_CAP_MAX_VCPU_ID, KVM_CAP_VAPIC,
		KVM_CAP_TSC_DEADLINE_TIMER,
	};
	unsigned int i;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_CHECK_EXTENSION_VM);
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		EXPECT_EQ(kt_check_cap(self->sys_fd, caps[i]),
			  kt_check_cap(self->vm_fd, caps[i]))
			TH_LOG("capability %ld", caps[i]);
	}
}

/*
 * The values: KVM_CAP_IRQCHIP and friends are booleans, KVM_CAP_IRQ_ROUTING
 * is the size of the routing table (4096), KVM_CAP_MAX_VCPUS is 1024,
 * KVM_CAP_NR_VCPUS is between 1 and that, KVM_CAP_MAX_VCPU_ID at least
 * KVM_CAP_MAX_VCPUS.
 */
TEST_F(vm, cap_values)
{
	static const long bools[] = {
		KVM_CAP_IRQCHIP, KVM_CAP_PIT2, KVM_CAP_PIT_STATE2,
		KVM_CAP_SIGNAL_MSI, KVM_CAP_SPLIT_IRQCHIP,
		KVM_CAP_IRQ_INJECT_STATUS, KVM_CAP_MP_STATE, KVM_CAP_VAPIC,
	};
	int routes, nr, max, max_id;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bools); i++) {
		int v = kt_check_cap(self->sys_fd, bools[i]);

		EXPECT_TRUE(v == 0 || v == 1) TH_LOG("capability %ld: %d",
						     bools[i], v);
	}
	routes = kt_check_cap(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	EXPECT_TRUE(routes == 0 || routes == MAX_IRQ_ROUTES)
		TH_LOG("KVM_CAP_IRQ_ROUTING %d", routes);
	/* Only the two flags of KVM_X2APIC_API_* exist. */
	EXPECT_EQ(0, kt_check_cap(self->sys_fd, KVM_CAP_X2APIC_API) &
		  ~(KVM_X2APIC_API_USE_32BIT_IDS |
		    KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK));

	nr = kt_check_cap(self->sys_fd, KVM_CAP_NR_VCPUS);
	max = kt_check_cap(self->sys_fd, KVM_CAP_MAX_VCPUS);
	max_id = kt_check_cap(self->sys_fd, KVM_CAP_MAX_VCPU_ID);
	EXPECT_EQ(1024, max);
	EXPECT_LE(1, nr);
	EXPECT_LE(nr, max);
	EXPECT_LE(max, max_id);
}

/*
 * KVM_GET_SUPPORTED_CPUID offers the APIC and x2APIC (emulated whatever
 * the host), never the TSC-deadline timer: KVM says that with
 * KVM_CAP_TSC_DEADLINE_TIMER, and the VMM sets the bit itself.
 */
TEST_F(vm, supported_cpuid_apic_bits)
{
	struct kvm_cpuid2 *c = kt_get_supported_cpuid(self->sys_fd);
	struct kvm_cpuid_entry2 *e;

	ASSERT_NE(NULL, c);
	e = kt_cpuid_find(c, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->ecx & (1U << 24));		/* TSC deadline */
	if (kt_check_cap(self->sys_fd, KVM_CAP_IRQCHIP) > 0) {
		EXPECT_TRUE(e->edx & (1U << 9));	/* APIC */
		EXPECT_TRUE(e->ecx & (1U << 21));	/* x2APIC */
		EXPECT_EQ(1, kt_check_cap(self->sys_fd,
					  KVM_CAP_TSC_DEADLINE_TIMER));
	}
	free(c);
}

/*
 * vCPU ids: 0, 1, 1023 and KVM_CAP_MAX_VCPU_ID - 1 are accepted, the
 * maximum itself and a used id are not.
 */
TEST_F(vm, vcpu_ids)
{
	int max_id = kt_check_cap(self->sys_fd, KVM_CAP_MAX_VCPU_ID);
	unsigned long ids[] = { 0, 1, 1023, max_id - 1 };
	unsigned int i;
	int fd;

	ASSERT_LE(1024, max_id);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		if (i == 3 && ids[3] == 1023)
			break;
		fd = kt_create_vcpu(self->vm_fd, ids[i]);
		ASSERT_LE(0, fd) TH_LOG("vCPU id %lu: %s", ids[i],
					strerror(-fd));
		self->vcpu[i] = fd;
	}
	EXPECT_EQ(-EINVAL, kt_create_vcpu(self->vm_fd, max_id));
	EXPECT_EQ(-EINVAL, kt_create_vcpu(self->vm_fd, 0xffffffffUL));
	EXPECT_EQ(-EEXIST, kt_create_vcpu(self->vm_fd, 1));
}

/* The same with an in-kernel irqchip: every id has a LAPIC with that ID. */
TEST_F(vm, vcpu_ids_with_irqchip)
{
	unsigned long ids[] = { 0, 1, 255 };
	struct kvm_lapic_state s;
	unsigned int i;

	CREATE_IRQCHIP();
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		self->vcpu[i] = kt_create_vcpu(self->vm_fd, ids[i]);
		ASSERT_LE(0, self->vcpu[i]) TH_LOG("vCPU id %lu", ids[i]);
		ASSERT_EQ(0, ioctl_errno(self->vcpu[i], KVM_GET_LAPIC, &s));
		EXPECT_EQ(ids[i] << 24, lapic_reg(&s, APIC_ID));
	}
}

/* ---- KVM_CREATE_IRQCHIP ---- */

TEST_F(vm, create_irqchip_twice)
{
	CREATE_IRQCHIP();
	EXPECT_EQ(EEXIST, ioctl_errno(self->vm_fd, KVM_CREATE_IRQCHIP, NULL));
}

TEST_F(vm, create_irqchip_after_vcpu)
{
	struct kvm_irqchip chip;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);
	CREATE_VCPU(0);
	EXPECT_EQ(EINVAL, ioctl_errno(self->vm_fd, KVM_CREATE_IRQCHIP, NULL));
	/* Nothing was created: the irqchip ioctls still say ENXIO. */
	EXPECT_EQ(ENXIO, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
}

/* ---- KVM_GET_IRQCHIP / KVM_SET_IRQCHIP ---- */

TEST_F(vm, get_set_irqchip_without_irqchip)
{
	struct kvm_irqchip chip;
	uint32_t id;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);
	for (id = 0; id <= 3; id++) {
		EXPECT_EQ(ENXIO, get_chip(self->vm_fd, id, &chip));
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = id;
		EXPECT_EQ(ENXIO, set_chip(self->vm_fd, &chip));
	}
}

TEST_F(vm, irqchip_invalid_chip_id)
{
	static const uint32_t bad[] = { 3, 4, 0x100, 0xffffffff };
	struct kvm_irqchip chip;
	unsigned int i;

	CREATE_IRQCHIP();
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(EINVAL, get_chip(self->vm_fd, bad[i], &chip));
		memset(&chip, 0, sizeof(chip));
		chip.chip_id = bad[i];
		EXPECT_EQ(EINVAL, set_chip(self->vm_fd, &chip));
	}
	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_GET_IRQCHIP,
				      (void *)8));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_SET_IRQCHIP,
				      (void *)8));
}

/*
 * After creation both PICs are all zero (no ICWs seen: IMR 0, vector base
 * 0, nothing pending) but for elcr_mask, the ELCR bits that can be set:
 * 0xf8 on the master (IRQ 0-2 are always edge) and 0xde on the slave
 * (IRQ 8 and 13).
 */
TEST_F(vm, pic_default_state)
{
	struct kvm_irqchip chip;
	struct kvm_pic_state want;

	CREATE_IRQCHIP();
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(KVM_IRQCHIP_PIC_MASTER, chip.chip_id);
	memset(&want, 0, sizeof(want));
	want.elcr_mask = 0xf8;
	EXPECT_EQ(0, memcmp(&want, &chip.chip.pic, sizeof(want)));
	EXPECT_EQ(0xf8, chip.chip.pic.elcr_mask);
	EXPECT_EQ(0, chip.chip.pic.imr);

	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(KVM_IRQCHIP_PIC_SLAVE, chip.chip_id);
	want.elcr_mask = 0xde;
	EXPECT_EQ(0, memcmp(&want, &chip.chip.pic, sizeof(want)));
	EXPECT_EQ(0xde, chip.chip.pic.elcr_mask);
}

/* The IOAPIC: at 0xfec00000, ID 0, nothing pending, every entry masked. */
TEST_F(vm, ioapic_default_state)
{
	struct kvm_irqchip chip;
	int i;

	CREATE_IRQCHIP();
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(KVM_IRQCHIP_IOAPIC, chip.chip_id);
	EXPECT_EQ(0xfec00000ULL, chip.chip.ioapic.base_address);
	EXPECT_EQ(0, chip.chip.ioapic.id);
	EXPECT_EQ(0, chip.chip.ioapic.ioregsel);
	EXPECT_EQ(0, chip.chip.ioapic.irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		EXPECT_EQ(RTE_MASKED, chip.chip.ioapic.redirtbl[i].bits)
			TH_LOG("pin %d", i);
	}
}

/* Modified PIC state reads back as written, each PIC on its own. */
TEST_F(vm, pic_round_trip)
{
	struct kvm_irqchip chip, back, slave0;
	struct kvm_pic_state *p = &chip.chip.pic;

	CREATE_IRQCHIP();
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &slave0));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	p->imr = 0xb5;
	p->irq_base = 0x20;
	p->priority_add = 3;
	p->read_reg_select = 1;
	p->special_mask = 0;
	p->init4 = 1;
	p->auto_eoi = 0;
	p->elcr = 0x28;
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &back));
	EXPECT_EQ(0, memcmp(&chip.chip.pic, &back.chip.pic,
			    sizeof(struct kvm_pic_state)));
	EXPECT_EQ(0xb5, back.chip.pic.imr);
	EXPECT_EQ(0x20, back.chip.pic.irq_base);
	EXPECT_EQ(0x28, back.chip.pic.elcr);

	/* The slave did not change. */
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &back));
	EXPECT_EQ(0, memcmp(&slave0.chip.pic, &back.chip.pic,
			    sizeof(struct kvm_pic_state)));

	chip = slave0;
	chip.chip.pic.imr = 0x7f;
	chip.chip.pic.irq_base = 0x28;
	chip.chip.pic.elcr = 0x02;
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &back));
	EXPECT_EQ(0, memcmp(&chip.chip.pic, &back.chip.pic,
			    sizeof(struct kvm_pic_state)));
}

/* Modified IOAPIC state (ID, entries) reads back as written. */
TEST_F(vm, ioapic_round_trip)
{
	struct kvm_irqchip chip, back;
	int i;

	CREATE_IRQCHIP();
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	chip.chip.ioapic.id = 5;
	chip.chip.ioapic.ioregsel = 0x12;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		chip.chip.ioapic.redirtbl[i].bits =
			RTE_VECTOR(0x30 + i) | RTE_DEST(i) |
			(i & 1 ? RTE_LEVEL : 0) | (i & 2 ? RTE_MASKED : 0);
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &back));
	EXPECT_EQ(0xfec00000ULL, back.chip.ioapic.base_address);
	EXPECT_EQ(5, back.chip.ioapic.id);
	EXPECT_EQ(0x12, back.chip.ioapic.ioregsel);
	EXPECT_EQ(0, back.chip.ioapic.irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		EXPECT_EQ(chip.chip.ioapic.redirtbl[i].bits,
			  back.chip.ioapic.redirtbl[i].bits)
			TH_LOG("pin %d", i);
	}
}

/* ---- KVM_IRQ_LINE / KVM_IRQ_LINE_STATUS ---- */

TEST_F(vm, irq_line_without_irqchip)
{
	struct kvm_irq_level l = { .irq = 3, .level = 1 };

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);
	EXPECT_EQ(ENXIO, ioctl_errno(self->vm_fd, KVM_IRQ_LINE, &l));
	EXPECT_EQ(ENXIO, ioctl_errno(self->vm_fd, KVM_IRQ_LINE_STATUS, &l));
}

/*
 * An edge-triggered PIC pin, through the default routing of GSI 3 (PIC
 * master pin 3 and IOAPIC pin 3, whose entry is masked). The status sums
 * what each chip reports, skipping those that ignored the interrupt:
 * 1 delivered, 0 coalesced (the IRR bit was already set), -1 ignored
 * (masked). Lowering a line reports 1 from each chip that is not masked.
 */
TEST_F(vm, irq_line_status_pic_edge)
{
	struct kvm_irq_level l = { .irq = 4, .level = 1 };
	struct kvm_irqchip chip;

	CREATE_IRQCHIP();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_INJECT_STATUS);

	EXPECT_EQ(1, line(self->vm_fd, 3, 1));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.irr);
	EXPECT_EQ(0x08, chip.chip.pic.last_irr);

	/* Lowered: PIC and IOAPIC both answer 1; the edge stays latched. */
	EXPECT_EQ(2, line(self->vm_fd, 3, 0));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.irr);
	EXPECT_EQ(0x00, chip.chip.pic.last_irr);

	/* A new edge while the IRR bit is still set is coalesced. */
	EXPECT_EQ(0, line(self->vm_fd, 3, 1));
	EXPECT_EQ(2, line(self->vm_fd, 3, 0));

	/* Masked in the IMR: ignored, but the IRR still latches. */
	chip.chip.pic.irr = 0;
	chip.chip.pic.imr = 0x08;
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));
	EXPECT_EQ(-1, line(self->vm_fd, 3, 1));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.irr);
	/* Lowering a masked PIC pin: only the IOAPIC answers. */
	EXPECT_EQ(1, line(self->vm_fd, 3, 0));

	/* KVM_IRQ_LINE does the same without the status. */
	chip.chip.pic.irr = 0;
	chip.chip.pic.imr = 0;
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));
	EXPECT_EQ(0, ioctl_errno(self->vm_fd, KVM_IRQ_LINE, &l));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x10, chip.chip.pic.irr);
}

/* A level-triggered PIC pin (ELCR bit set): IRR follows the line. */
TEST_F(vm, irq_line_status_pic_level)
{
	struct kvm_irqchip chip;

	CREATE_IRQCHIP();
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	chip.chip.pic.elcr = 0x08;		/* IRQ 11 */
	ASSERT_EQ(0, set_chip(self->vm_fd, &chip));

	EXPECT_EQ(1, line(self->vm_fd, 11, 1));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.irr);
	/* Still high and not acknowledged: coalesced. */
	EXPECT_EQ(0, line(self->vm_fd, 11, 1));
	EXPECT_EQ(2, line(self->vm_fd, 11, 0));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &chip));
	EXPECT_EQ(0x00, chip.chip.pic.irr);
	/*
	 * The slave's output drives master pin 2 (the cascade), an edge
	 * pin on the master: the request stays latched in the master's IRR.
	 */
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x04, chip.chip.pic.irr);
}

/* Nothing at all routed to a GSI: ignored (-1), and no chip changes. */
TEST_F(vm, irq_line_unrouted_gsi)
{
	struct kvm_irqchip chip;

	CREATE_IRQCHIP();
	EXPECT_EQ(-1, line(self->vm_fd, 100, 1));
	EXPECT_EQ(-1, line(self->vm_fd, 100, 0));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	EXPECT_EQ(0, chip.chip.ioapic.irr);
}

/* Unmask IOAPIC @pin: fixed delivery of @vector to APIC ID 0. */
static int ioapic_route_pin(int vm_fd, int pin, uint64_t bits)
{
	struct kvm_irqchip chip;
	int r = get_chip(vm_fd, KVM_IRQCHIP_IOAPIC, &chip);

	if (r)
		return r;
	chip.chip.ioapic.redirtbl[pin].bits = bits;
	return set_chip(vm_fd, &chip);
}

static uint64_t ioapic_rte(int vm_fd, int pin)
{
	struct kvm_irqchip chip;

	if (get_chip(vm_fd, KVM_IRQCHIP_IOAPIC, &chip))
		return ~0ULL;
	return chip.chip.ioapic.redirtbl[pin].bits;
}

static uint32_t ioapic_irr(int vm_fd)
{
	struct kvm_irqchip chip;

	if (get_chip(vm_fd, KVM_IRQCHIP_IOAPIC, &chip))
		return ~0U;
	return chip.chip.ioapic.irr;
}

/*
 * IOAPIC pins 16-23 (only the IOAPIC by default). A masked entry ignores
 * the line but its irr bit follows it; an unmasked entry answers the
 * number of LAPICs that took the interrupt: 0 while vCPU 0's LAPIC is
 * software-disabled, 1 once enabled, and the vector is then pending in
 * the LAPIC's IRR.
 */
TEST_F(vm, irq_line_status_ioapic_edge)
{
	struct kvm_lapic_state s;

	CREATE_IRQCHIP();
	CREATE_VCPU(0);

	/* Masked (the default). */
	EXPECT_EQ(-1, line(self->vm_fd, 17, 1));
	EXPECT_EQ(1u << 17, ioapic_irr(self->vm_fd));
	EXPECT_EQ(1, line(self->vm_fd, 17, 0));
	EXPECT_EQ(0, ioapic_irr(self->vm_fd));

	/* Unmasked, edge, LAPIC software-disabled: taken by nobody. */
	ASSERT_EQ(0, ioapic_route_pin(self->vm_fd, 17,
				      RTE_VECTOR(TEST_VECTOR) | RTE_DEST(0)));
	EXPECT_EQ(0, line(self->vm_fd, 17, 1));
	EXPECT_EQ(1, line(self->vm_fd, 17, 0));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(0, lapic_vec_bit(&s, APIC_IRR, TEST_VECTOR));

	ASSERT_EQ(0, lapic_enable(self->vcpu[0]));
	EXPECT_EQ(1, line(self->vm_fd, 17, 1));
	/* Delivered edges do not show in irr. */
	EXPECT_EQ(0, ioapic_irr(self->vm_fd));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, TEST_VECTOR));
	EXPECT_EQ(0, lapic_vec_bit(&s, APIC_TMR, TEST_VECTOR));
	/* No new edge while the line stays high. */
	EXPECT_EQ(0, line(self->vm_fd, 17, 1));
	EXPECT_EQ(1, line(self->vm_fd, 17, 0));
	/* Entries aimed at an APIC ID nobody has reach nobody. */
	ASSERT_EQ(0, ioapic_route_pin(self->vm_fd, 18,
				      RTE_VECTOR(0x41) | RTE_DEST(7)));
	EXPECT_EQ(0, line(self->vm_fd, 18, 1));
	EXPECT_EQ(1, line(self->vm_fd, 18, 0));
}

/*
 * A level-triggered IOAPIC entry: delivery sets remote IRR, and while it
 * is set (no EOI) the pin is not serviced again (-1).
 */
TEST_F(vm, irq_line_status_ioapic_level)
{
	struct kvm_lapic_state s;

	CREATE_IRQCHIP();
	CREATE_VCPU(0);
	ASSERT_EQ(0, lapic_enable(self->vcpu[0]));
	ASSERT_EQ(0, ioapic_route_pin(self->vm_fd, 20,
				      RTE_VECTOR(TEST_VECTOR) | RTE_LEVEL |
				      RTE_DEST(0)));
	EXPECT_EQ(0, ioapic_rte(self->vm_fd, 20) & RTE_REMOTE_IRR);

	EXPECT_EQ(1, line(self->vm_fd, 20, 1));
	EXPECT_NE(0, ioapic_rte(self->vm_fd, 20) & RTE_REMOTE_IRR);
	EXPECT_EQ(1u << 20, ioapic_irr(self->vm_fd));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, TEST_VECTOR));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_TMR, TEST_VECTOR));

	/* Waiting for the EOI. */
	EXPECT_EQ(-1, line(self->vm_fd, 20, 1));
	EXPECT_EQ(1, line(self->vm_fd, 20, 0));
	EXPECT_EQ(0, ioapic_irr(self->vm_fd));
	EXPECT_NE(0, ioapic_rte(self->vm_fd, 20) & RTE_REMOTE_IRR);
	EXPECT_EQ(-1, line(self->vm_fd, 20, 1));
	EXPECT_EQ(1, line(self->vm_fd, 20, 0));
}

/* ---- KVM_SET_GSI_ROUTING ---- */

static int set_routing(int vm_fd, struct kvm_irq_routing *r)
{
	return ioctl_errno(vm_fd, KVM_SET_GSI_ROUTING, r);
}

TEST_F(vm, gsi_routing_without_irqchip)
{
	struct kvm_irq_routing *r = routing_alloc(1);

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(EINVAL, set_routing(self->vm_fd, r));
	route_msi(r, 1, MSI_ADDR, TEST_VECTOR);
	EXPECT_EQ(EINVAL, set_routing(self->vm_fd, r));
	free(r);
}

/* Each invalid table is refused with EINVAL and changes nothing. */
TEST_F(vm, gsi_routing_invalid)
{
	struct kvm_irq_routing *r = routing_alloc(MAX_IRQ_ROUTES + 1);
	struct kvm_irqchip chip;
	int i;

	CREATE_IRQCHIP();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	ASSERT_NE(NULL, r);

#define EXPECT_REFUSED(what)						\
	EXPECT_EQ(EINVAL, set_routing(self->vm_fd, r)) TH_LOG("%s", what)

	/* Table flags. */
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 1);
	r->flags = 1;
	EXPECT_REFUSED("table flags");
	r->flags = 0;

	/* GSI beyond the table. */
	r->nr = 0;
	route_chip(r, MAX_IRQ_ROUTES, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_REFUSED("gsi 4096");
	r->nr = 0;
	route_chip(r, 0xffffffff, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_REFUSED("gsi ~0");

	/* Unknown entry type. */
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 1);
	r->entries[0].type = 99;
	EXPECT_REFUSED("type 99");

	/* Unknown irqchip, pins out of range. */
	r->nr = 0;
	route_chip(r, 1, 3, 1);
	EXPECT_REFUSED("irqchip 3");
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_PIC_MASTER, 8);
	EXPECT_REFUSED("PIC master pin 8");
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_PIC_SLAVE, 8);
	EXPECT_REFUSED("PIC slave pin 8");
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, KVM_IOAPIC_NUM_PINS);
	EXPECT_REFUSED("IOAPIC pin 24");

	/* Entry flags: none for irqchip entries, only VALID_DEVID for MSI. */
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 1);
	r->entries[0].flags = KVM_MSI_VALID_DEVID;
	EXPECT_REFUSED("irqchip entry flags");
	r->nr = 0;
	route_msi(r, 1, MSI_ADDR, TEST_VECTOR);
	r->entries[0].flags = 2;
	EXPECT_REFUSED("MSI entry flags");

	/* One GSI twice to the same chip, or to an MSI and anything else. */
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 1);
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 2);
	EXPECT_REFUSED("gsi twice to the IOAPIC");
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_PIC_MASTER, 1);
	route_chip(r, 1, KVM_IRQCHIP_PIC_MASTER, 1);
	EXPECT_REFUSED("gsi twice to the same PIC pin");
	r->nr = 0;
	route_msi(r, 1, MSI_ADDR, TEST_VECTOR);
	route_msi(r, 1, MSI_ADDR, TEST_VECTOR + 1);
	EXPECT_REFUSED("gsi twice to MSI");
	r->nr = 0;
	route_chip(r, 1, KVM_IRQCHIP_IOAPIC, 1);
	route_msi(r, 1, MSI_ADDR, TEST_VECTOR);
	EXPECT_REFUSED("gsi to IOAPIC and MSI");

	/* More entries than the table holds. */
	r->nr = 0;
	for (i = 0; i <= MAX_IRQ_ROUTES; i++)
		route_chip(r, i % MAX_IRQ_ROUTES, KVM_IRQCHIP_IOAPIC, 1);
	EXPECT_REFUSED("4097 entries");
	r->nr = 0xffffffff;
	EXPECT_REFUSED("nr ~0");

	/* The default routing is still in place: GSI 3 reaches PIC pin 3. */
	EXPECT_EQ(1, line(self->vm_fd, 3, 1));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0x08, chip.chip.pic.irr);
	free(r);
#undef EXPECT_REFUSED
}

/* A full table of KVM_CAP_IRQ_ROUTING entries, and an empty one. */
TEST_F(vm, gsi_routing_sizes)
{
	struct kvm_irq_routing *r = routing_alloc(MAX_IRQ_ROUTES);
	struct kvm_irqchip chip;
	int i;

	CREATE_IRQCHIP();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	ASSERT_NE(NULL, r);
	for (i = 0; i < MAX_IRQ_ROUTES; i++)
		route_chip(r, i, KVM_IRQCHIP_IOAPIC, i % KVM_IOAPIC_NUM_PINS);
	EXPECT_EQ(0, set_routing(self->vm_fd, r));
	/* GSI 4095 -> IOAPIC pin 4095 % 24 = 15 (masked: irr only). */
	EXPECT_EQ(-1, line(self->vm_fd, 4095, 1));
	EXPECT_EQ(1u << 15, ioapic_irr(self->vm_fd));
	EXPECT_EQ(1, line(self->vm_fd, 4095, 0));

	/* No entries: every GSI goes nowhere. */
	r->nr = 0;
	EXPECT_EQ(0, set_routing(self->vm_fd, r));
	EXPECT_EQ(-1, line(self->vm_fd, 3, 1));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(0, chip.chip.pic.irr);
	EXPECT_EQ(0, ioapic_irr(self->vm_fd));
	free(r);
}

/*
 * A re-routed table: KVM_IRQ_LINE reaches the pins the table names, a GSI
 * may go to a PIC pin and an IOAPIC pin at once (the status then sums
 * both), a PIC slave pin counts from 0, and GSIs left out go nowhere.
 */
TEST_F(vm, gsi_routing_reroute)
{
	struct kvm_irq_routing *r = routing_alloc(8);
	struct kvm_irqchip master, slave;

	CREATE_IRQCHIP();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	ASSERT_NE(NULL, r);
	route_chip(r, 30, KVM_IRQCHIP_PIC_MASTER, 5);
	route_chip(r, 30, KVM_IRQCHIP_IOAPIC, 9);
	route_chip(r, 31, KVM_IRQCHIP_PIC_SLAVE, 2);
	route_chip(r, 32, KVM_IRQCHIP_PIC_MASTER, 6);
	route_chip(r, 32, KVM_IRQCHIP_PIC_SLAVE, 6);
	ASSERT_EQ(0, set_routing(self->vm_fd, r));

	/* PIC pin 5 delivers (1), IOAPIC pin 9 is masked (ignored). */
	EXPECT_EQ(1, line(self->vm_fd, 30, 1));
	EXPECT_EQ(1, line(self->vm_fd, 31, 1));
	/* Two PIC pins: 1 + 1. */
	EXPECT_EQ(2, line(self->vm_fd, 32, 1));
	/* GSI 3 is not in the table any more. */
	EXPECT_EQ(-1, line(self->vm_fd, 3, 1));

	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &master));
	ASSERT_EQ(0, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_SLAVE, &slave));
	/* Pins 5 and 6, and 2: the slave's cascade output. */
	EXPECT_EQ(0x64, master.chip.pic.irr);
	EXPECT_EQ(0x44, slave.chip.pic.irr);
	EXPECT_EQ(1u << 9, ioapic_irr(self->vm_fd));
	EXPECT_EQ(2, line(self->vm_fd, 30, 0));
	EXPECT_EQ(0, ioapic_irr(self->vm_fd));
	free(r);
}

/* A GSI routed to an MSI: KVM_IRQ_LINE delivers the message. */
TEST_F(vm, gsi_routing_msi)
{
	struct kvm_irq_routing *r = routing_alloc(2);
	struct kvm_lapic_state s;

	CREATE_IRQCHIP();
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQ_ROUTING);
	ASSERT_NE(NULL, r);
	CREATE_VCPU(0);
	ASSERT_EQ(0, lapic_enable(self->vcpu[0]));

	route_msi(r, 40, MSI_ADDR, 0x51);
	/* x86 accepts (and ignores) a device id. */
	route_msi(r, 41, MSI_ADDR, 0x52);
	r->entries[1].flags = KVM_MSI_VALID_DEVID;
	r->entries[1].u.msi.devid = 7;
	ASSERT_EQ(0, set_routing(self->vm_fd, r));

	EXPECT_EQ(1, line(self->vm_fd, 40, 1));
	/* An MSI has no line to lower. */
	EXPECT_EQ(-1, line(self->vm_fd, 40, 0));
	EXPECT_EQ(1, line(self->vm_fd, 41, 1));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x51));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x52));
	free(r);
}

/* ---- KVM_SIGNAL_MSI ---- */

TEST_F(vm, signal_msi)
{
	struct kvm_msi msi = { .address_lo = MSI_ADDR, .data = 0x50 };
	struct kvm_lapic_state s;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_SIGNAL_MSI);
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);
	/* No irqchip: refused. */
	EXPECT_EQ(EINVAL, ioctl_errno(self->vm_fd, KVM_SIGNAL_MSI, &msi));

	CREATE_IRQCHIP();
	/*
	 * No vCPU at all: "not delivered" (-1) comes back as the ioctl's
	 * return value, i.e. -1 with errno EPERM.
	 */
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(EPERM, errno);
	CREATE_VCPU(0);
	/* An APIC ID nobody has: taken by nobody. */
	msi.address_lo = MSI_ADDR | 5 << 12;
	EXPECT_EQ(0, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	msi.address_lo = MSI_ADDR;
	/* The LAPIC is software-disabled after reset: not accepted. */
	EXPECT_EQ(0, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, lapic_enable(self->vcpu[0]));
	EXPECT_EQ(1, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x50));
	EXPECT_EQ(0, lapic_vec_bit(&s, APIC_TMR, 0x50));

	/* Unknown flags. */
	msi.flags = 2;
	EXPECT_EQ(EINVAL, ioctl_errno(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	/* A device id is accepted on x86. */
	msi.flags = KVM_MSI_VALID_DEVID;
	msi.devid = 3;
	msi.data = 0x53;
	EXPECT_EQ(1, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x53));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vm_fd, KVM_SIGNAL_MSI, (void *)8));
}

/* ---- split irqchip ---- */

static int enable_split(int vm_fd, uint64_t routes, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.flags = flags,
		.args = { routes },
	};

	return ioctl_errno(vm_fd, KVM_ENABLE_CAP, &cap);
}

TEST_F(vm, split_irqchip_refused)
{
	int vm;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_SPLIT_IRQCHIP);
	EXPECT_EQ(EINVAL, enable_split(self->vm_fd, 24, 1));
	EXPECT_EQ(EINVAL, enable_split(self->vm_fd, MAX_IRQ_ROUTES + 1, 0));

	/* After KVM_CREATE_IRQCHIP. */
	if (kt_check_cap(self->sys_fd, KVM_CAP_IRQCHIP) > 0) {
		vm = fresh_vm(self->sys_fd);
		ASSERT_LE(0, vm);
		ASSERT_EQ(0, ioctl_errno(vm, KVM_CREATE_IRQCHIP, NULL));
		EXPECT_EQ(EEXIST, enable_split(vm, 24, 0));
		close(vm);
	}

	/* After a vCPU exists. */
	CREATE_VCPU(0);
	EXPECT_EQ(EEXIST, enable_split(self->vm_fd, 24, 0));
}

/*
 * With a split irqchip the LAPICs are in the kernel and the PIC and the
 * IOAPIC are not: there is no irqchip to create, get or set, irqchip
 * routes are refused, MSI routes and KVM_SIGNAL_MSI work, the GSIs start
 * out routed nowhere.
 */
TEST_F(vm, split_irqchip)
{
	struct kvm_irq_routing *r = routing_alloc(1);
	struct kvm_msi msi = { .address_lo = MSI_ADDR, .data = 0x50 };
	struct kvm_lapic_state s;
	struct kvm_irqchip chip;
	struct kvm_mp_state mp;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_SPLIT_IRQCHIP);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, enable_split(self->vm_fd, 24, 0));
	EXPECT_EQ(EEXIST, enable_split(self->vm_fd, 24, 0));
	EXPECT_EQ(EEXIST, ioctl_errno(self->vm_fd, KVM_CREATE_IRQCHIP, NULL));
	EXPECT_EQ(ENXIO, get_chip(self->vm_fd, KVM_IRQCHIP_PIC_MASTER, &chip));
	EXPECT_EQ(ENXIO, get_chip(self->vm_fd, KVM_IRQCHIP_IOAPIC, &chip));
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	EXPECT_EQ(ENXIO, set_chip(self->vm_fd, &chip));

	/* Nothing routed: the line goes nowhere. */
	EXPECT_EQ(-1, line(self->vm_fd, 3, 1));

	route_chip(r, 3, KVM_IRQCHIP_IOAPIC, 3);
	EXPECT_EQ(EINVAL, set_routing(self->vm_fd, r));
	r->nr = 0;
	route_chip(r, 3, KVM_IRQCHIP_PIC_MASTER, 3);
	EXPECT_EQ(EINVAL, set_routing(self->vm_fd, r));

	CREATE_VCPU(0);
	CREATE_VCPU(1);
	ASSERT_EQ(0, ioctl_errno(self->vcpu[1], KVM_GET_MP_STATE, &mp));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp.mp_state);
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(0, lapic_reg(&s, APIC_ID));
	ASSERT_EQ(0, lapic_enable(self->vcpu[0]));

	r->nr = 0;
	route_msi(r, 5, MSI_ADDR, 0x51);
	ASSERT_EQ(0, set_routing(self->vm_fd, r));
	EXPECT_EQ(1, line(self->vm_fd, 5, 1));
	EXPECT_EQ(1, ioctl(self->vm_fd, KVM_SIGNAL_MSI, &msi));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x50));
	EXPECT_EQ(1, lapic_vec_bit(&s, APIC_IRR, 0x51));
	free(r);
}

/* ---- KVM_GET_LAPIC / KVM_SET_LAPIC ---- */

TEST_F(vm, lapic_without_irqchip)
{
	struct kvm_lapic_state s;

	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_IRQCHIP);
	CREATE_VCPU(0);
	memset(&s, 0, sizeof(s));
	EXPECT_EQ(EINVAL, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	EXPECT_EQ(EINVAL, ioctl_errno(self->vcpu[0], KVM_SET_LAPIC, &s));
}

/*
 * The register page after vCPU creation: ID = vCPU id, version 0x14 with
 * 6 LVT entries, every LVT masked except LINT0 of the boot vCPU (vCPU 0),
 * which is ExtINT so that the PIC reaches it, SVR 0xff (software
 * disabled), DFR flat, nothing pending or in service.
 */
TEST_F(vm, lapic_default_state)
{
	static const unsigned int masked_lvts[] = {
		APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT1, APIC_LVTERR,
	};
	struct kvm_lapic_state s;
	unsigned int i, off;
	int id;

	CREATE_IRQCHIP();
	CREATE_VCPU(0);
	CREATE_VCPU(1);
	for (id = 0; id < 2; id++) {
		ASSERT_EQ(0, ioctl_errno(self->vcpu[id], KVM_GET_LAPIC, &s));
		EXPECT_EQ((uint32_t)id << 24, lapic_reg(&s, APIC_ID));
		EXPECT_EQ(0x50014, lapic_reg(&s, APIC_LVR));
		for (i = 0; i < ARRAY_SIZE(masked_lvts); i++) {
			EXPECT_EQ(APIC_LVT_MASKED,
				  lapic_reg(&s, masked_lvts[i]))
				TH_LOG("vCPU %d LVT %#x", id, masked_lvts[i]);
		}
		EXPECT_EQ(id == 0 ? APIC_MODE_EXTINT : APIC_LVT_MASKED,
			  lapic_reg(&s, APIC_LVT0)) TH_LOG("vCPU %d", id);
		EXPECT_EQ(0xff, lapic_reg(&s, APIC_SPIV));
		EXPECT_EQ(0xffffffff, lapic_reg(&s, APIC_DFR));
		EXPECT_EQ(0, lapic_reg(&s, APIC_TASKPRI));
		EXPECT_EQ(0, lapic_reg(&s, APIC_LDR));
		EXPECT_EQ(0, lapic_reg(&s, APIC_ICR));
		EXPECT_EQ(0, lapic_reg(&s, APIC_TMICT));
		EXPECT_EQ(0, lapic_reg(&s, APIC_TDCR));
		for (off = 0; off < 0x80; off += 0x10) {
			EXPECT_EQ(0, lapic_reg(&s, APIC_ISR + off));
			EXPECT_EQ(0, lapic_reg(&s, APIC_TMR + off));
			EXPECT_EQ(0, lapic_reg(&s, APIC_IRR + off));
		}
	}
}

/* Written registers read back; the page of the other vCPU is untouched. */
TEST_F(vm, lapic_round_trip)
{
	struct kvm_lapic_state s, back, other0, other;
	unsigned int off;

	CREATE_IRQCHIP();
	CREATE_VCPU(0);
	CREATE_VCPU(1);
	ASSERT_EQ(0, ioctl_errno(self->vcpu[1], KVM_GET_LAPIC, &other0));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &s));
	lapic_set_reg(&s, APIC_SPIV, 0x1ff);
	lapic_set_reg(&s, APIC_TASKPRI, 0x20);
	lapic_set_reg(&s, APIC_LDR, 0x01000000);
	lapic_set_reg(&s, APIC_LVTT, APIC_LVT_MASKED | 0xec);
	lapic_set_reg(&s, APIC_LVT0, APIC_LVT_MASKED | APIC_MODE_EXTINT);
	lapic_set_reg(&s, APIC_LVT1, 0x400);	/* NMI */
	lapic_set_reg(&s, APIC_LVTERR, 0xfe);
	lapic_set_reg(&s, APIC_TDCR, 0xb);
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_SET_LAPIC, &s));
	ASSERT_EQ(0, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, &back));
	/* The PPR is derived: TPR 0x20 and nothing in service give 0x20. */
	EXPECT_EQ(0x20, lapic_reg(&back, APIC_PROCPRI));
	lapic_set_reg(&s, APIC_PROCPRI, 0x20);
	for (off = 0; off < sizeof(s.regs); off += 0x10) {
		EXPECT_EQ(lapic_reg(&s, off), lapic_reg(&back, off))
			TH_LOG("register %#x", off);
	}
	EXPECT_EQ(0x1ff, lapic_reg(&back, APIC_SPIV));
	EXPECT_EQ(0x20, lapic_reg(&back, APIC_TASKPRI));
	EXPECT_EQ(0x01000000, lapic_reg(&back, APIC_LDR));
	EXPECT_EQ(APIC_LVT_MASKED | 0xec, lapic_reg(&back, APIC_LVTT));
	EXPECT_EQ(0x400, lapic_reg(&back, APIC_LVT1));

	ASSERT_EQ(0, ioctl_errno(self->vcpu[1], KVM_GET_LAPIC, &other));
	EXPECT_EQ(0, memcmp(&other0, &other, sizeof(other)));

	EXPECT_EQ(EFAULT, ioctl_errno(self->vcpu[0], KVM_GET_LAPIC, (void *)8));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vcpu[0], KVM_SET_LAPIC, (void *)8));
}

/* ---- KVM_GET_MP_STATE / KVM_SET_MP_STATE ---- */

static int get_mp(int vcpu_fd)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	if (ioctl_errno(vcpu_fd, KVM_GET_MP_STATE, &mp))
		return -1;
	return mp.mp_state;
}

static int set_mp(int vcpu_fd, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return ioctl_errno(vcpu_fd, KVM_SET_MP_STATE, &mp);
}

/* With an in-kernel irqchip the boot vCPU runs, APs wait for INIT/SIPI. */
TEST_F(vm, mp_state_with_irqchip)
{
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_MP_STATE);
	CREATE_IRQCHIP();
	CREATE_VCPU(0);
	CREATE_VCPU(1);
	CREATE_VCPU(2);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp(self->vcpu[0]));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, get_mp(self->vcpu[1]));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, get_mp(self->vcpu[2]));

	EXPECT_EQ(0, set_mp(self->vcpu[0], KVM_MP_STATE_HALTED));
	EXPECT_EQ(KVM_MP_STATE_HALTED, get_mp(self->vcpu[0]));
	EXPECT_EQ(0, set_mp(self->vcpu[1], KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp(self->vcpu[1]));
	EXPECT_EQ(0, set_mp(self->vcpu[1], KVM_MP_STATE_UNINITIALIZED));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, get_mp(self->vcpu[1]));

	/* States of other architectures, and values beyond the list. */
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], KVM_MP_STATE_STOPPED));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], KVM_MP_STATE_CHECK_STOP));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], KVM_MP_STATE_OPERATING));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], KVM_MP_STATE_LOAD));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], KVM_MP_STATE_SUSPENDED));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], 99));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[2], 0xffffffff));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, get_mp(self->vcpu[2]));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vcpu[0], KVM_GET_MP_STATE,
				      (void *)8));
	EXPECT_EQ(EFAULT, ioctl_errno(self->vcpu[0], KVM_SET_MP_STATE,
				      (void *)8));
}

/* Without one every vCPU is runnable and can be nothing else. */
TEST_F(vm, mp_state_without_irqchip)
{
	KT_REQUIRE_CAP(self->sys_fd, KVM_CAP_MP_STATE);
	CREATE_VCPU(0);
	CREATE_VCPU(1);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp(self->vcpu[0]));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp(self->vcpu[1]));
	EXPECT_EQ(0, set_mp(self->vcpu[1], KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[1], KVM_MP_STATE_HALTED));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[1], KVM_MP_STATE_UNINITIALIZED));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[1], KVM_MP_STATE_INIT_RECEIVED));
	EXPECT_EQ(EINVAL, set_mp(self->vcpu[1], 99));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, get_mp(self->vcpu[1]));
}

TEST_HARNESS_MAIN
