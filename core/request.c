// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU requests and kicks.
 *
 * Anyone (another vCPU, a timer, an ioctl) asks a vCPU for work with
 * kvmod_make_request() and then kicks it: a vCPU in the guest is sent an
 * IPI, which makes it exit; a halted one is woken. The vCPU looks at its
 * requests before every entry, with interrupts disabled and after it has
 * published IN_GUEST (kvmod_vcpu_enter_guest()), so a request made at any
 * moment is either seen there or met by a kick that forces an exit.
 */
#include <linux/sched.h>
#include <linux/smp.h>

#include "kvmod.h"

/**
 * kvmod_make_request() - ask a vCPU to do something before it next enters
 * @vcpu: the vCPU
 * @req: a KVMOD_REQ_* number
 *
 * The caller kicks the vCPU when it may be in the guest or halted.
 */
void kvmod_make_request(struct kvmod_vcpu *vcpu, int req)
{
	/* Whatever the request is about is visible before the bit. */
	smp_mb__before_atomic();
	set_bit(req, &vcpu->requests);
}
EXPORT_SYMBOL_GPL(kvmod_make_request);

/**
 * kvmod_check_request() - take a request
 * @vcpu: the vCPU, on its own thread
 * @req: a KVMOD_REQ_* number
 *
 * Return: true (and the request is cleared) when it was made.
 */
bool kvmod_check_request(struct kvmod_vcpu *vcpu, int req)
{
	if (!test_bit(req, &vcpu->requests))
		return false;
	clear_bit(req, &vcpu->requests);
	/* Pairs with kvmod_make_request(): see what the request is about. */
	smp_mb__after_atomic();
	return true;
}
EXPORT_SYMBOL_GPL(kvmod_check_request);

/**
 * kvmod_vcpu_kick() - make a vCPU look at its requests soon
 * @vcpu: the vCPU
 *
 * Wakes it if it is halted, and interrupts its CPU if it is in the guest.
 * Callable from any context, interrupts disabled included.
 */
void kvmod_vcpu_kick(struct kvmod_vcpu *vcpu)
{
	int cpu, me;

	/* KVM's halt_wakeup: a halted vCPU was woken. */
	if (rcuwait_wake_up(&vcpu->wait))
		vcpu->stat.halt_wakeup++;
	/* Order the request before reading the mode (enter_guest pairs). */
	smp_mb();
	if (cmpxchg(&vcpu->mode, KVMOD_IN_GUEST, KVMOD_EXITING_GUEST) !=
	    KVMOD_IN_GUEST)
		return;
	cpu = READ_ONCE(vcpu->cpu);
	me = get_cpu();
	if (cpu != me && cpu >= 0 && (unsigned int)cpu < nr_cpu_ids &&
	    cpu_online(cpu))
		smp_send_reschedule(cpu);
	put_cpu();
}
EXPORT_SYMBOL_GPL(kvmod_vcpu_kick);
