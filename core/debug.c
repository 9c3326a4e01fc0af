// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers and guest debugging.
 *
 * The guest's DR0-3, DR6 and DR7 live in core (vcpu->dr[], dr6, dr7) and
 * are switched lazily, as KVM does. MOV DR exits; the first one after an
 * entry, unless userspace debugs the guest, hands the registers to the
 * guest (debug.guest_owns): the vendor stops intercepting MOV DR, the
 * instruction runs again, and until the next exit the guest uses the
 * real registers (DR0-3 loaded by kvmod_load_guest_db() before entry, DR6
 * and DR7 by the vendor), saved back by kvmod_save_guest_db() after it.
 * Otherwise MOV DR is emulated here. While a breakpoint is armed (an
 * enable bit of DR7) the guest runs with that DR7 (debug.hw_dr7) and its
 * DR0-3 in hardware too, so its breakpoints and watchpoints fire; the
 * host's come back with hw_breakpoint_restore() after the exit. Every
 * #DB exits (both vendors intercept it); its conditions reach
 * kvmod_handle_db(): they go into the guest's DR6 and #DB or, while
 * userspace debugs the guest, end KVM_RUN with KVM_EXIT_DEBUG. DR7.GD of
 * an intercepted MOV DR is emulated here (a #DB with DR6.BD before the
 * instruction); the hardware's DR7 never has it while MOV DR exits.
 *
 * KVM_SET_GUEST_DEBUG, as in KVM: KVM_GUESTDBG_SINGLESTEP sets RFLAGS.TF
 * for each entry, hidden from the guest's registers as seen by userspace,
 * and every single-step trap exits; KVM_GUESTDBG_USE_SW_BP makes INT3 exit
 * (#BP intercepted); KVM_GUESTDBG_USE_HW_BP runs the guest with
 * userspace's DR0-3 and DR7 in place of its own, and their #DBs exit;
 * KVM_GUESTDBG_INJECT_DB/_BP queue a #DB/#BP for the guest;
 * KVM_GUESTDBG_BLOCKIRQ keeps the in-kernel irqchip's interrupts out
 * meanwhile (events.c).
 */
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>

#include "registry.h"
#include "debugreg.h"
#include "insn_len.h"

#define GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
			 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP | \
			 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP | \
			 KVM_GUESTDBG_BLOCKIRQ)

/* #DBs that end KVM_RUN instead of reaching the guest. */
#define GUESTDBG_DB_EXITS	(KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP)

/*
 * What the hardware runs the guest with: userspace's breakpoints replace
 * the guest's while KVM_GUESTDBG_USE_HW_BP is on.
 */
static void debug_compute(struct kvmod_vcpu *vcpu)
{
	struct kvmod_vcpu_debug *d = &vcpu->debug;
	const u64 *db = vcpu->dr;
	u64 dr7 = vcpu->dr7;

	if (d->control & KVM_GUESTDBG_USE_HW_BP) {
		db = d->user_db;
		dr7 = d->user_dr7;
	}
	memcpy(d->eff_db, db, sizeof(d->eff_db));
	d->eff_dr7 = dr7;
	d->hw_dr7 = kvmod_dr7_write(dr7) & ~KVMOD_DR7_GD;
	d->load_db = d->hw_dr7 & KVMOD_DR7_BP_EN;
}

/**
 * kvmod_debug_update() - pass the debug state on to the hardware
 * @vcpu: the vCPU, after a change of its DR0-3/DR7 or of guest debugging
 *
 * The vendor then sets DR7 and the #BP intercept.
 */
void kvmod_debug_update(struct kvmod_vcpu *vcpu)
{
	debug_compute(vcpu);
	vcpu->vm->vendor->update_debug(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_debug_update);

/**
 * kvmod_debug_reset() - the debug registers were reset (creation, INIT,
 *	shutdown); guest debugging stays as userspace set it, as in KVM
 * @vcpu: the vCPU
 *
 * A vCPU being created has no vendor state yet: its vendor reads
 * vcpu->debug when it sets up its VMCB/VMCS.
 */
void kvmod_debug_reset(struct kvmod_vcpu *vcpu)
{
	debug_compute(vcpu);
	if (vcpu->vendor_data)
		vcpu->vm->vendor->update_debug(vcpu);
}

/**
 * kvmod_debug_load_db() - load the guest's DR0-3 for the next entry
 * @vcpu: the vCPU, interrupts disabled (see kvmod_load_guest_db())
 *
 * The host's DR7 goes off first, so that none of its breakpoints fires
 * on a guest address in between.
 */
void kvmod_debug_load_db(struct kvmod_vcpu *vcpu)
{
	const u64 *db = vcpu->debug.eff_db;

	set_debugreg(0, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}
EXPORT_SYMBOL_GPL(kvmod_debug_load_db);

/**
 * kvmod_debug_save_db() - see kvmod_save_guest_db()
 * @vcpu: the vCPU
 * @dr6: the guest's DR6
 * @dr7: the guest's DR7
 */
void kvmod_debug_save_db(struct kvmod_vcpu *vcpu, u64 dr6, u64 dr7)
{
	get_debugreg(vcpu->dr[0], 0);
	get_debugreg(vcpu->dr[1], 1);
	get_debugreg(vcpu->dr[2], 2);
	get_debugreg(vcpu->dr[3], 3);
	vcpu->dr6 = dr6;
	vcpu->dr7 = dr7;
	/* No guest condition left for the host's #DB handler to see. */
	set_debugreg(KVMOD_DR6_ACTIVE_LOW, 6);
	vcpu->debug.guest_owns = false;
	debug_compute(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_debug_save_db);

/* The guest has RTM: DR6 bit 16 is its own. */
static bool guest_has_rtm(struct kvmod_vcpu *vcpu)
{
	return kvmod_guest_has_feature(vcpu, 7, 1, 11);
}

/**
 * kvmod_get_dr() - read a debug register of the guest
 * @vcpu: the vCPU
 * @dr: 0-3, 6 or 7
 * @val: its value
 *
 * Return: 0, or -EINVAL for another number.
 */
int kvmod_get_dr(struct kvmod_vcpu *vcpu, int dr, u64 *val)
{
	switch (dr) {
	case 0 ... 3:
		*val = vcpu->dr[dr];
		return 0;
	case 6:
		*val = vcpu->dr6;
		return 0;
	case 7:
		*val = vcpu->dr7;
		return 0;
	}
	return -EINVAL;
}
EXPORT_SYMBOL_GPL(kvmod_get_dr);

/**
 * kvmod_set_dr() - the guest writes a debug register
 * @vcpu: the vCPU
 * @dr: 0-3, 6 or 7
 * @val: the value
 *
 * DR6 and DR7 keep their fixed bits, as on hardware.
 *
 * Return: 0, or -EINVAL (the guest's #GP) for a DR6/DR7 value above 32
 * bits or another number.
 */
int kvmod_set_dr(struct kvmod_vcpu *vcpu, int dr, u64 val)
{
	switch (dr) {
	case 0 ... 3:
		vcpu->dr[dr] = val;
		break;
	case 6:
		if (!kvmod_dr_value_valid(val))
			return -EINVAL;
		vcpu->dr6 = kvmod_dr6_write(val, guest_has_rtm(vcpu));
		return 0;
	case 7:
		if (!kvmod_dr_value_valid(val))
			return -EINVAL;
		vcpu->dr7 = kvmod_dr7_write(val);
		break;
	default:
		return -EINVAL;
	}
	kvmod_debug_update(vcpu);
	return 0;
}
EXPORT_SYMBOL_GPL(kvmod_set_dr);

/* The address KVM_EXIT_DEBUG reports: CS.base + RIP. */
static u64 linear_rip(struct kvmod_vcpu *vcpu)
{
	struct kvmod_guest_mode mode;
	u64 pc;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	pc = mode.seg_base[KVMOD_SEG_CS] + vcpu->rip;
	return mode.long64 ? pc : (u32)pc;
}

static int exit_debug(struct kvmod_vcpu *vcpu, u32 exception, u64 dr6)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = exception;
	run->debug.arch.pc = linear_rip(vcpu);
	if (exception == X86_TRAP_DB) {
		run->debug.arch.dr6 = dr6;
		run->debug.arch.dr7 = vcpu->debug.eff_dr7;
	}
	return KVMOD_EXIT_USER;
}

/* A #DB for the guest: its DR6 gets the conditions, DR7.GD goes off. */
static void queue_db(struct kvmod_vcpu *vcpu, u64 payload)
{
	vcpu->dr6 = kvmod_dr6_add_payload(vcpu->dr6, payload);
	if (vcpu->dr7 & KVMOD_DR7_GD) {
		vcpu->dr7 &= ~KVMOD_DR7_GD;
		kvmod_debug_update(vcpu);
	}
	kvmod_queue_exception(vcpu, X86_TRAP_DB, false, 0);
}

/**
 * kvmod_handle_db() - the guest raised a #DB (intercepted)
 * @vcpu: the vCPU, RIP where the guest resumes (after a trap, at a fault)
 * @payload: its conditions, active high (B0-B3, BD, BS, BT, RTM; see
 *	debugreg.h)
 *
 * Return: KVMOD_EXIT_USER with KVM_EXIT_DEBUG while userspace single-steps
 * or uses hardware breakpoints, else KVMOD_EXIT_RESUME with the #DB
 * queued for the guest.
 */
int kvmod_handle_db(struct kvmod_vcpu *vcpu, u64 payload)
{
	if (vcpu->debug.control & GUESTDBG_DB_EXITS)
		return exit_debug(vcpu, X86_TRAP_DB,
				  payload | KVMOD_DR6_ACTIVE_LOW);
	queue_db(vcpu, payload);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_handle_db);

/**
 * kvmod_handle_bp() - the guest raised a #BP (intercepted)
 * @vcpu: the vCPU, RIP at the INT3
 *
 * Return: KVMOD_EXIT_USER with KVM_EXIT_DEBUG under
 * KVM_GUESTDBG_USE_SW_BP; otherwise the guest takes its #BP after the
 * INT3 (KVMOD_EXIT_RESUME).
 */
int kvmod_handle_bp(struct kvmod_vcpu *vcpu)
{
	int r;

	if (vcpu->debug.control & KVM_GUESTDBG_USE_SW_BP)
		return exit_debug(vcpu, X86_TRAP_BP, 0);
	r = kvmod_skip_insn(vcpu);
	if (r == KVMOD_EXIT_RESUME)
		kvmod_queue_exception(vcpu, X86_TRAP_BP, false, 0);
	return r;
}
EXPORT_SYMBOL_GPL(kvmod_handle_bp);

/**
 * kvmod_debug_insn_stepped() - kvmod completed an instruction with
 *	RFLAGS.TF set
 * @vcpu: the vCPU, RIP after the instruction
 *
 * The hardware raises no single-step trap for an instruction that exited
 * and was emulated: kvmod does, as KVM does.
 *
 * Return: KVMOD_EXIT_USER with KVM_EXIT_DEBUG (DR6.BS) while userspace
 * single-steps the guest, else KVMOD_EXIT_RESUME with the guest's #DB
 * queued.
 */
int kvmod_debug_insn_stepped(struct kvmod_vcpu *vcpu)
{
	vcpu->debug.insn_stepped = true;
	if (vcpu->debug.control & KVM_GUESTDBG_SINGLESTEP)
		return exit_debug(vcpu, X86_TRAP_DB,
				  KVMOD_DR6_BS | KVMOD_DR6_ACTIVE_LOW);
	queue_db(vcpu, KVMOD_DR6_BS);
	return KVMOD_EXIT_RESUME;
}
EXPORT_SYMBOL_GPL(kvmod_debug_insn_stepped);

/*
 * DR7.GD: a MOV DR faults with DR6.BD before it executes (userspace's
 * DR7 under KVM_GUESTDBG_USE_HW_BP). True when it did: *@r ends the exit.
 */
static bool mov_dr_general_detect(struct kvmod_vcpu *vcpu, int *r)
{
	if (!(vcpu->debug.eff_dr7 & KVMOD_DR7_GD))
		return false;
	if (vcpu->debug.control & KVM_GUESTDBG_USE_HW_BP) {
		*r = exit_debug(vcpu, X86_TRAP_DB,
				KVMOD_DR6_BD | KVMOD_DR6_ACTIVE_LOW);
	} else {
		queue_db(vcpu, KVMOD_DR6_BD);
		*r = KVMOD_EXIT_RESUME;
	}
	return true;
}

/**
 * kvmod_emulate_mov_dr() - MOV to or from a debug register
 * @vcpu: the vCPU
 * @dr: the debug register, 0-7, or -1 when the vendor cannot tell (the
 *	instruction is then decoded here)
 * @gpr: the general-purpose register (when @dr >= 0)
 * @to_dr: MOV to DRn (when @dr >= 0)
 *
 * Return: KVMOD_EXIT_RESUME, KVMOD_EXIT_USER (KVM_EXIT_DEBUG for DR7.GD
 * under KVM_GUESTDBG_USE_HW_BP), or an emulation-failure exit.
 */
int kvmod_emulate_mov_dr(struct kvmod_vcpu *vcpu, int dr, int gpr,
			 bool to_dr)
{
	struct kvmod_guest_mode mode;
	struct kvm_sregs sregs;
	u8 insn[KVMOD_INSN_MAX];
	struct kvmod_mov_reg m;
	bool long64;
	u64 *reg, val;
	int n, r;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	if (dr < 0) {
		n = kvmod_fetch_insn(vcpu, insn, &long64);
		if (n <= 0 || kvmod_insn_mov_dr(insn, n, long64, &m))
			return kvmod_exit_internal(vcpu,
					KVM_INTERNAL_ERROR_EMULATION, 0,
					vcpu->rip);
		dr = m.reg;
		gpr = m.gpr;
		to_dr = m.to_reg;
	}
	if (mode.cpl)
		return kvmod_inject_gp(vcpu);
	/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them undefined. */
	if (dr == 4 || dr == 5) {
		vcpu->vm->vendor->get_sregs(vcpu, &sregs);
		if (sregs.cr4 & X86_CR4_DE)
			return kvmod_inject_ud(vcpu);
		dr += 2;
	}
	if (dr > 7)
		return kvmod_inject_ud(vcpu);
	if (mov_dr_general_detect(vcpu, &r))
		return r;
	/*
	 * Not debugged by userspace: the guest gets the real registers until
	 * the next exit, and this MOV runs again without exiting.
	 */
	if (!vcpu->debug.control) {
		vcpu->debug.guest_owns = true;
		vcpu->vm->vendor->update_debug(vcpu);
		return KVMOD_EXIT_RESUME;
	}
	reg = &vcpu->regs[gpr];
	if (to_dr) {
		val = mode.long64 ? *reg : (u32)*reg;
		if (kvmod_set_dr(vcpu, dr, val))
			return kvmod_inject_gp(vcpu);
	} else {
		kvmod_get_dr(vcpu, dr, &val);
		*reg = mode.long64 ? val : (u32)val;
	}
	return kvmod_skip_insn(vcpu);
}
EXPORT_SYMBOL_GPL(kvmod_emulate_mov_dr);

/**
 * kvmod_get_debugregs() - KVM_GET_DEBUGREGS
 * @vcpu: the vCPU
 * @argp: struct kvm_debugregs to fill in
 *
 * Return: 0 or -EFAULT.
 */
int kvmod_get_debugregs(struct kvmod_vcpu *vcpu,
			struct kvm_debugregs __user *argp)
{
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	memcpy(d.db, vcpu->dr, sizeof(d.db));
	d.dr6 = vcpu->dr6;
	d.dr7 = vcpu->dr7;
	return copy_to_user(argp, &d, sizeof(d)) ? -EFAULT : 0;
}

/**
 * kvmod_set_debugregs() - KVM_SET_DEBUGREGS
 * @vcpu: the vCPU
 * @argp: the struct kvm_debugregs
 *
 * As in KVM, DR6 and DR7 are taken as they are (no fixed bits added).
 *
 * Return: 0, -EFAULT, or -EINVAL for flags or a DR6/DR7 above 32 bits.
 */
int kvmod_set_debugregs(struct kvmod_vcpu *vcpu,
			const struct kvm_debugregs __user *argp)
{
	struct kvm_debugregs d;

	if (copy_from_user(&d, argp, sizeof(d)))
		return -EFAULT;
	if (d.flags || !kvmod_dr_value_valid(d.dr6) ||
	    !kvmod_dr_value_valid(d.dr7))
		return -EINVAL;
	memcpy(vcpu->dr, d.db, sizeof(vcpu->dr));
	vcpu->dr6 = d.dr6;
	vcpu->dr7 = d.dr7;
	kvmod_debug_update(vcpu);
	return 0;
}

/**
 * kvmod_set_guest_debug() - KVM_SET_GUEST_DEBUG
 * @vcpu: the vCPU
 * @argp: the struct kvm_guest_debug
 *
 * Return: 0, -EFAULT, -EINVAL for unknown control bits, or -EBUSY for
 * KVM_GUESTDBG_INJECT_DB/_BP while an exception is on its way.
 */
int kvmod_set_guest_debug(struct kvmod_vcpu *vcpu,
			  const struct kvm_guest_debug __user *argp)
{
	struct kvmod_vcpu_debug *d = &vcpu->debug;
	struct kvm_guest_debug dbg;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	if (dbg.control & ~GUESTDBG_VALID)
		return -EINVAL;
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (vcpu->ev.exception.pending || vcpu->ev.exception.injected)
			return -EBUSY;
		kvmod_queue_exception(vcpu,
				      (dbg.control & KVM_GUESTDBG_INJECT_DB) ?
				      X86_TRAP_DB : X86_TRAP_BP, false, 0);
	}
	d->control = (dbg.control & KVM_GUESTDBG_ENABLE) ? dbg.control : 0;
	if (d->control & KVM_GUESTDBG_USE_HW_BP) {
		memcpy(d->user_db, dbg.arch.debugreg, sizeof(d->user_db));
		d->user_dr7 = dbg.arch.debugreg[7];
	}
	kvmod_debug_update(vcpu);
	/* BLOCKIRQ may have changed: look at the interrupts again. */
	kvmod_make_request(vcpu, KVMOD_REQ_EVENT);
	return 0;
}

/**
 * kvmod_guest_debug_caps() - KVM_CAP_SET_GUEST_DEBUG2
 *
 * Return: the KVM_GUESTDBG_* bits KVM_SET_GUEST_DEBUG takes.
 */
long kvmod_guest_debug_caps(void)
{
	return GUESTDBG_VALID;
}
