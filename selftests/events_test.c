// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_CAP_EXCEPTION_PAYLOAD: with it, KVM_GET/SET_VCPU_EVENTS tell a
 * pending exception from an injected one and carry its payload (CR2 for
 * #PF, the DR6 bits of #DB), which reaches the guest when the exception
 * is delivered; without it, the old ABI (no pending exceptions, payloads
 * delivered at once).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define DR6_BS		(1ULL << 14)
#define DR6_ACTIVE_LOW	0xffff0ff0ULL
#define PF_PAYLOAD	0x12345000ULL

/* ---- guest ---- */

static volatile uint64_t pf_count, pf_cr2, pf_err;
static volatile uint64_t db_count, db_dr6;

static void pf_handler(struct kg_frame *f)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	pf_cr2 = cr2;
	pf_err = f->error;
	pf_count++;
}

static void db_handler(struct kg_frame *f)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_dr6 = dr6;
	db_count++;
}

static void guest_events(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_SYNC(3);
}

/* ---- host ---- */

FIXTURE(events) {
	struct kg_vm vm;
};

FIXTURE_SETUP(events)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	kg_set_handler(&self->vm, 14, pf_handler);
	kg_set_handler(&self->vm, 1, db_handler);
}

FIXTURE_TEARDOWN(events)
{
	kg_vm_destroy(&self->vm);
}

static int enable_payload(struct kg_vm *vm, uint64_t on, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_EXCEPTION_PAYLOAD,
		.flags = flags,
		.args = { on },
	};

	return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

static int get_events(struct kg_vm *vm, struct kvm_vcpu_events *ev)
{
	memset(ev, 0xa5, sizeof(*ev));
	return ioctl(vm->v[0].fd, KVM_GET_VCPU_EVENTS, ev) ? -errno : 0;
}

static int set_events(struct kg_vm *vm, struct kvm_vcpu_events *ev)
{
	return ioctl(vm->v[0].fd, KVM_SET_VCPU_EVENTS, ev) ? -errno : 0;
}

/* A pending exception @nr with its payload, in the new ABI. */
static void pending_exception(struct kvm_vcpu_events *ev, uint8_t nr,
			      bool has_error, uint32_t error, uint64_t payload)
{
	ev->flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	ev->exception.pending = 1;
	ev->exception.injected = 0;
	ev->exception.nr = nr;
	ev->exception.has_error_code = has_error;
	ev->exception.error_code = error;
	ev->exception_has_payload = 1;
	ev->exception_payload = payload;
}

TEST_F(events, capability_and_bad_arguments)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_vcpu_events ev;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_EXCEPTION_PAYLOAD);
	EXPECT_EQ(1, kt_check_cap(vm->vm_fd, KVM_CAP_EXCEPTION_PAYLOAD));

	/* Not enabled: no VALID_PAYLOAD either way. */
	ASSERT_EQ(0, get_events(vm, &ev));
	EXPECT_EQ(0, ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD);
	EXPECT_EQ(0, ev.exception.pending);
	pending_exception(&ev, 14, true, 2, PF_PAYLOAD);
	EXPECT_EQ(-EINVAL, set_events(vm, &ev));

	EXPECT_EQ(-EINVAL, enable_payload(vm, 1, 1));
	ASSERT_EQ(0, enable_payload(vm, 1, 0));
	ASSERT_EQ(0, get_events(vm, &ev));
	EXPECT_EQ(KVM_VCPUEVENT_VALID_PAYLOAD,
		  ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD);

	/* Vectors above 31 and NMI are no exceptions. */
	pending_exception(&ev, 32, false, 0, 0);
	EXPECT_EQ(-EINVAL, set_events(vm, &ev));
	pending_exception(&ev, 2, false, 0, 0);
	EXPECT_EQ(-EINVAL, set_events(vm, &ev));

	/* Disabled again: the old ABI. */
	ASSERT_EQ(0, enable_payload(vm, 0, 0));
	pending_exception(&ev, 14, true, 2, PF_PAYLOAD);
	EXPECT_EQ(-EINVAL, set_events(vm, &ev));
}

/* A pending #PF keeps its payload until delivery, which sets CR2. */
TEST_F(events, pending_page_fault_with_payload)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_vcpu_events ev;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_EXCEPTION_PAYLOAD);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_events));
	KG_ASSERT_SYNC(vm, 0, 1);
	ASSERT_EQ(0, enable_payload(vm, 1, 0));
	ASSERT_EQ(0, get_events(vm, &ev));
	pending_exception(&ev, 14, true, 2, PF_PAYLOAD);
	ASSERT_EQ(0, set_events(vm, &ev));

	ASSERT_EQ(0, get_events(vm, &ev));
	EXPECT_EQ(1, ev.exception.pending);
	EXPECT_EQ(0, ev.exception.injected);
	EXPECT_EQ(14, ev.exception.nr);
	EXPECT_EQ(1, ev.exception.has_error_code);
	EXPECT_EQ(2, ev.exception.error_code);
	EXPECT_EQ(1, ev.exception_has_payload);
	EXPECT_EQ(PF_PAYLOAD, ev.exception_payload);

	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(1, KG_GUEST(vm, pf_count));
	EXPECT_EQ(PF_PAYLOAD, KG_GUEST(vm, pf_cr2));
	EXPECT_EQ(2, KG_GUEST(vm, pf_err));
	ASSERT_EQ(0, get_events(vm, &ev));
	EXPECT_EQ(0, ev.exception.pending);
	EXPECT_EQ(0, ev.exception.injected);
}

/* A pending #DB's payload goes into DR6 as KVM puts it there. */
TEST_F(events, pending_debug_exception_with_payload)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_vcpu_events ev;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_EXCEPTION_PAYLOAD);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_events));
	KG_ASSERT_SYNC(vm, 0, 1);
	ASSERT_EQ(0, enable_payload(vm, 1, 0));
	ASSERT_EQ(0, get_events(vm, &ev));
	pending_exception(&ev, 1, false, 0, DR6_BS);
	ASSERT_EQ(0, set_events(vm, &ev));
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(1, KG_GUEST(vm, db_count));
	EXPECT_EQ(DR6_ACTIVE_LOW | DR6_BS, KG_GUEST(vm, db_dr6));
}

/*
 * Old ABI: a pending exception is reported as injected, its payload
 * already delivered (here: one the test sets as pending, then turns the
 * capability off before reading it back).
 */
TEST_F(events, old_abi_reports_pending_as_injected)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_vcpu_events ev;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_EXCEPTION_PAYLOAD);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_events));
	KG_ASSERT_SYNC(vm, 0, 1);
	ASSERT_EQ(0, enable_payload(vm, 1, 0));
	ASSERT_EQ(0, get_events(vm, &ev));
	pending_exception(&ev, 14, true, 0, PF_PAYLOAD);
	ASSERT_EQ(0, set_events(vm, &ev));
	ASSERT_EQ(0, enable_payload(vm, 0, 0));

	ASSERT_EQ(0, get_events(vm, &ev));
	EXPECT_EQ(0, ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD);
	EXPECT_EQ(1, ev.exception.injected);
	EXPECT_EQ(14, ev.exception.nr);
	EXPECT_EQ(0, ev.exception_has_payload);
	KG_ASSERT_SYNC(vm, 0, 2);
	EXPECT_EQ(1, KG_GUEST(vm, pf_count));
	EXPECT_EQ(PF_PAYLOAD, KG_GUEST(vm, pf_cr2));
}

TEST_HARNESS_MAIN
