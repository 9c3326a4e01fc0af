/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC's pure logic: the xAPIC register page (MMIO) and the
 * x2APIC MSRs, the IA32_APIC_BASE mode transitions, interrupt
 * acceptance, priority (TPR/PPR/ISR) and acknowledgment, IPIs out of
 * the ICR, destination matching, and the timer's arithmetic, behaving as
 * in-tree KVM (Linux 6.1) does for a guest.
 *
 * Nothing here sleeps, allocates, takes locks or touches a vCPU: the
 * caller (kvmod-irqchip's wiring) passes the time as nanoseconds, does
 * what the returned struct kvmod_lapic_effects asks (IPIs, EOIs to the
 * IOAPIC, (re)arming a host timer, re-evaluating pending interrupts) and
 * delivers NMI/SMI/INIT/SIPI/ExtINT itself.
 *
 * The wiring, as KVM does it:
 *  - call kvmod_lapic_reset() once (it sets the timer divider), then
 *    kvmod_lapic_set_config() whenever CPUID/MCG_CAP change;
 *  - before entering the guest with interrupts open, inject
 *    kvmod_lapic_pending()'s vector and call kvmod_lapic_ack() when it
 *    actually injects it (not when the injection is only requested);
 *  - IPIs (effects.ipi) and IOAPIC/MSI messages: for each vCPU whose
 *    APIC kvmod_lapic_match_dest() accepts (source = the sender's APIC
 *    for IPIs, so SH_SELF reaches only it), fixed goes to
 *    kvmod_lapic_accept(); lowest priority to one of the matching
 *    software-enabled APICs, the (vector % n)-th (KVM's vector
 *    hashing); NMI/SMI to the vCPU; INIT unless level && !assert (a
 *    de-assert is ignored), then kvmod_lapic_init_signal() and
 *    INIT_RECEIVED; SIPI records the vector for a vCPU waiting for it;
 *  - the PIC's INTR goes to the vCPUs whose kvmod_lapic_accepts_pic_intr()
 *    (KVM: the BSP); LINT1 (NMI) via kvmod_lapic_local_deliver();
 *  - after every write with effects.timer, cancel the host timer and
 *    arm it at kvmod_lapic_timer_next() or, converted from the guest
 *    TSC, kvmod_lapic_timer_tsc_deadline(); when it fires call
 *    kvmod_lapic_timer_expired() and re-arm from timer_next();
 *  - effects.eoi with eoi_level && !eoi_suppressed: EOI the IOAPIC.
 */
#ifndef KVMOD_LAPIC_H
#define KVMOD_LAPIC_H

#include "pure_types.h"
#include "irq_msg.h"
#include "apic_map.h"

struct kvm_lapic_state;

/* The register page that KVM_GET_LAPIC/KVM_SET_LAPIC exchange. */
#define KVMOD_APIC_REG_SIZE	0x400

/* Register offsets in the page (x2APIC MSR = 0x800 + offset / 16). */
#define KVMOD_APIC_ID		0x020
#define KVMOD_APIC_LVR		0x030
#define KVMOD_APIC_TPR		0x080
#define KVMOD_APIC_APR		0x090
#define KVMOD_APIC_PPR		0x0a0
#define KVMOD_APIC_EOI		0x0b0
#define KVMOD_APIC_RRR		0x0c0
#define KVMOD_APIC_LDR		0x0d0
#define KVMOD_APIC_DFR		0x0e0
#define KVMOD_APIC_SVR		0x0f0
#define KVMOD_APIC_ISR		0x100	/* 8 words, every 0x10 */
#define KVMOD_APIC_TMR		0x180
#define KVMOD_APIC_IRR		0x200
#define KVMOD_APIC_ESR		0x280
#define KVMOD_APIC_LVTCMCI	0x2f0
#define KVMOD_APIC_ICR		0x300
#define KVMOD_APIC_ICR2		0x310
#define KVMOD_APIC_LVTT		0x320
#define KVMOD_APIC_LVTTHMR	0x330
#define KVMOD_APIC_LVTPC	0x340
#define KVMOD_APIC_LVT0		0x350
#define KVMOD_APIC_LVT1		0x360
#define KVMOD_APIC_LVTERR	0x370
#define KVMOD_APIC_TMICT	0x380
#define KVMOD_APIC_TMCCT	0x390
#define KVMOD_APIC_TDCR		0x3e0
#define KVMOD_APIC_SELF_IPI	0x3f0	/* x2APIC only */

#define KVMOD_APIC_MSR_BASE	0x800
#define KVMOD_APIC_MSR_LAST	0x8ff
#define KVMOD_MSR_TSC_DEADLINE	0x6e0

/* IA32_APIC_BASE (MSR 0x1b) */
#define KVMOD_APIC_BASE_BSP	BIT_ULL(8)
#define KVMOD_APIC_BASE_EXTD	BIT_ULL(10)	/* x2APIC mode */
#define KVMOD_APIC_BASE_EN	BIT_ULL(11)
#define KVMOD_APIC_BASE_DEFAULT	0xfee00000ULL

/* The version register: version 0x14, bits 23:16 max LVT, bit 24. */
#define KVMOD_APIC_VERSION	0x14
#define KVMOD_APIC_LVR_DIRECTED_EOI	BIT(24)

/* SVR */
#define KVMOD_APIC_SVR_ENABLED	BIT(8)
#define KVMOD_APIC_SVR_DIRECTED_EOI	BIT(12)	/* EOI broadcast suppression */

/* ESR */
#define KVMOD_APIC_ESR_SEND_ILLEGAL	BIT(5)
#define KVMOD_APIC_ESR_RECV_ILLEGAL	BIT(6)

/* LVT entries */
#define KVMOD_APIC_LVT_VECTOR	0xffu
#define KVMOD_APIC_LVT_MODE_SHIFT	8	/* bits 10:8, KVMOD_DM_* */
#define KVMOD_APIC_LVT_PENDING	BIT(12)
#define KVMOD_APIC_LVT_POLARITY	BIT(13)
#define KVMOD_APIC_LVT_REMOTE_IRR	BIT(14)
#define KVMOD_APIC_LVT_LEVEL	BIT(15)
#define KVMOD_APIC_LVT_MASKED	BIT(16)
#define KVMOD_APIC_LVTT_ONESHOT	0
#define KVMOD_APIC_LVTT_PERIODIC	BIT(17)
#define KVMOD_APIC_LVTT_TSCDEADLINE	BIT(18)
#define KVMOD_APIC_LVTT_MODE	(BIT(17) | BIT(18))

/* ICR */
#define KVMOD_APIC_ICR_LOGICAL	BIT(11)
#define KVMOD_APIC_ICR_BUSY	BIT(12)
#define KVMOD_APIC_ICR_ASSERT	BIT(14)
#define KVMOD_APIC_ICR_LEVEL	BIT(15)
#define KVMOD_APIC_ICR_SH_SHIFT	18

/* LVT indices, as KVM numbers them (and counts them in the LVR). */
#define KVMOD_LVT_TIMER		0
#define KVMOD_LVT_THERMAL	1
#define KVMOD_LVT_PERF		2
#define KVMOD_LVT_LINT0		3
#define KVMOD_LVT_LINT1		4
#define KVMOD_LVT_ERROR		5
#define KVMOD_LVT_CMCI		6
#define KVMOD_LVT_NR		7

/* KVM's min_timer_period_us (200) for periodic timers, in ns. */
#define KVMOD_APIC_MIN_PERIOD_NS	200000

/* What the host timer of the APIC is armed for (timer_armed). */
#define KVMOD_APIC_TIMER_OFF	0
#define KVMOD_APIC_TIMER_NS	1	/* at timer_target (ns) */
#define KVMOD_APIC_TIMER_TSC	2	/* at tsc_deadline (guest TSC) */

/*
 * Per-VM/per-vCPU settings that KVM takes from CPUID, MCG_CAP, quirks
 * and KVM_CAP_X2APIC_API. All false is KVM's default before KVM_SET_CPUID
 * (6 LVTs, no TSC-deadline mode, no directed EOI, quirks on).
 */
struct kvmod_lapic_config {
	bool cmci;		/* MCG_CAP.CMCI_P: LVT CMCI exists (7 LVTs) */
	bool tsc_deadline;	/* CPUID.1:ECX[24]: LVTT bit 18 writable */
	bool directed_eoi;	/* LVR bit 24; KVM: CPUID x2APIC && split */
	bool lvtpc_auto_mask;	/* Intel-compatible guest: LVTPC masks itself */
	bool x2apic_format;	/* KVM_X2APIC_API_USE_32BIT_IDS */
	bool no_broadcast_quirk; /* KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK */
	bool no_lint0_quirk;	/* KVM_X86_QUIRK_LINT0_REENABLED disabled */
};

struct kvmod_lapic {
	/* The KVM_GET/SET_LAPIC page; TMCCT (0x390) is computed on reads. */
	u8 regs[KVMOD_APIC_REG_SIZE];
	u64 apic_base;		/* IA32_APIC_BASE */
	u32 vcpu_id;		/* the x2APIC ID */
	bool reset_bsp;		/* the BSP at RESET (LINT0 quirk at INIT) */
	u32 esr_pending;	/* errors seen since the last ESR write */
	u32 arb_prio;		/* lowest-priority acceptances since reset */
	struct kvmod_lapic_config cfg;

	/* Timer: derived from LVTT/TMICT/TDCR, KVM's kvm_timer. */
	u32 divide;		/* 1..128, from TDCR */
	u32 timer_mode;		/* LVTT mode bits as last applied */
	u8 timer_armed;		/* KVMOD_APIC_TIMER_* */
	s64 timer_period;	/* ns, 0: no period */
	s64 timer_target;	/* absolute ns of the (next) expiry */
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE, TSC-deadline mode */
};

/*
 * What a register or MSR write asks of the wiring. The caller zeroes it
 * before the call; the flags accumulate.
 */
struct kvmod_lapic_effects {
	bool ipi;		/* send ipi_msg (from the ICR or SELF_IPI) */
	struct kvmod_irq_msg ipi_msg;
	bool eoi;		/* EOI cleared ISR bit eoi_vector */
	u8 eoi_vector;
	bool eoi_level;		/* its TMR bit was set (level-triggered) */
	bool eoi_suppressed;	/* SVR bit 12: no EOI broadcast for level */
	bool timer;		/* timer stopped/reprogrammed: re-arm it */
	bool eval;		/* PPR fell or IRR grew: look at pending() */
	bool lvt;		/* an LVT or the SVR changed (LINT0/LINT1) */
	bool map;		/* ID, LDR, DFR, SVR enable or mode changed */
	bool mode;		/* APIC base enable/x2APIC bits changed */
};

int kvmod_lapic_pv_eoi_vector(const struct kvmod_lapic *l);
void kvmod_lapic_eoi(struct kvmod_lapic *l, struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_reset() - RESET (power-on) state, as KVM at vCPU creation.
 * @l: the APIC; l->cfg is kept, everything else set anew
 * @vcpu_id: the vCPU's id: x2APIC ID, xAPIC ID (low 8 bits) << 24
 * @bsp: the BSP: APIC base 0xfee00900, else 0xfee00800
 *
 * All LVTs masked (LINT0 ExtINT unmasked on the BSP unless
 * cfg.no_lint0_quirk), SVR 0xff, DFR all ones, TPR/LDR/ICR/IRR/ISR/TMR
 * zero, timer stopped.
 */
void kvmod_lapic_reset(struct kvmod_lapic *l, u32 vcpu_id, bool bsp);

/**
 * kvmod_lapic_init_signal() - the state after an INIT signal.
 * @l: the APIC
 *
 * As RESET, but the APIC base, the ID and (in x2APIC mode) the LDR are
 * kept; the wiring calls it when it processes a pending INIT.
 */
void kvmod_lapic_init_signal(struct kvmod_lapic *l);

/**
 * kvmod_lapic_set_config() - apply new CPUID/MCG_CAP/capability settings.
 * @l: the APIC
 * @cfg: the settings; LVR is recomputed, a newly present CMCI LVT masked
 */
void kvmod_lapic_set_config(struct kvmod_lapic *l,
			    const struct kvmod_lapic_config *cfg);

/**
 * kvmod_lapic_set_base() - write IA32_APIC_BASE.
 * @l: the APIC
 * @value: the new MSR value
 * @host: host-initiated (KVM_SET_MSRS/SREGS): no mode-transition checks
 * @x2apic_allowed: the guest's CPUID has x2APIC (else bit 10 reserved)
 * @maxphyaddr: guest MAXPHYADDR; base bits at and above it are reserved
 * @fx: effects (mode, map)
 *
 * Return: 0, or -1 for #GP: reserved bits, x2APIC without enable, and
 * for the guest x2APIC -> xAPIC or disabled -> x2APIC. Enabling sets
 * the xAPIC ID to vcpu_id << 24; entering x2APIC sets ID = vcpu_id and
 * LDR = (id >> 4) << 16 | 1 << (id & 15). Disabling keeps the state.
 */
int kvmod_lapic_set_base(struct kvmod_lapic *l, u64 value, bool host,
			 bool x2apic_allowed, u8 maxphyaddr,
			 struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_hw_enabled() - IA32_APIC_BASE enable bit.
 * @l: the APIC
 *
 * Return: true if the APIC is enabled in the APIC base MSR.
 */
bool kvmod_lapic_hw_enabled(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_sw_enabled() - SVR APIC software enable bit.
 * @l: the APIC
 *
 * Return: true if SVR bit 8 is set.
 */
bool kvmod_lapic_sw_enabled(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_map_entry() - the APIC's addressing state, for the map
 * @l: the APIC
 * @e: filled in
 */
void kvmod_lapic_map_entry(const struct kvmod_lapic *l,
			   struct kvmod_apic_map_entry *e);

/**
 * kvmod_lapic_x2apic_mode() - whether the APIC is in x2APIC mode.
 * @l: the APIC
 *
 * Return: true if the APIC base has both the enable and EXTD bits.
 */
bool kvmod_lapic_x2apic_mode(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_read() - a 4-byte xAPIC MMIO read.
 * @l: the APIC
 * @offset: offset in the 4 KiB page
 * @now: current time, ns (for TMCCT)
 *
 * Return: the register; 0 for reserved, write-only or misaligned
 * (offset & 0xf) offsets; all ones while the APIC is hardware-disabled
 * or in x2APIC mode (KVM's MMIO hole quirk).
 */
u32 kvmod_lapic_read(struct kvmod_lapic *l, u32 offset, s64 now);

/**
 * kvmod_lapic_write() - a 4-byte xAPIC MMIO write.
 * @l: the APIC
 * @offset: offset in the 4 KiB page; ignored unless 16-byte aligned
 * @val: the value
 * @now: current time, ns
 * @fx: effects
 *
 * Writes to read-only or reserved registers, and all writes while the
 * APIC is hardware-disabled or in x2APIC mode, are ignored.
 */
void kvmod_lapic_write(struct kvmod_lapic *l, u32 offset, u32 val, s64 now,
		       struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_mmio_read() - an xAPIC MMIO read of any size, as KVM.
 * @l: the APIC
 * @offset: offset in the 4 KiB page
 * @len: 1, 2 or 4 (anything else reads zeros)
 * @data: @len bytes out
 * @now: current time, ns
 *
 * Bytes (offset & 0xf) .. +len of the register at offset & ~0xf; zeros
 * if that crosses bit 31 or the register is not readable; all ones while
 * hardware-disabled or in x2APIC mode.
 */
void kvmod_lapic_mmio_read(struct kvmod_lapic *l, u32 offset, u32 len,
			   void *data, s64 now);

/**
 * kvmod_lapic_mmio_write() - an xAPIC MMIO write of any size, as KVM.
 * @l: the APIC
 * @offset: offset in the 4 KiB page
 * @len: access size; only 4-byte writes at 16-byte aligned offsets act
 * @data: @len bytes
 * @now: current time, ns
 * @fx: effects
 */
void kvmod_lapic_mmio_write(struct kvmod_lapic *l, u32 offset, u32 len,
			    const void *data, s64 now,
			    struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_rdmsr() - RDMSR of an x2APIC MSR (0x800-0x8ff).
 * @l: the APIC
 * @msr: the MSR
 * @val: the value out
 * @now: current time, ns
 *
 * Return: 0, or -1 for #GP: not in x2APIC mode, DFR, ICR2, ARBPRI,
 * write-only (EOI, SELF_IPI) or reserved registers.
 */
int kvmod_lapic_rdmsr(struct kvmod_lapic *l, u32 msr, u64 *val, s64 now);

/**
 * kvmod_lapic_wrmsr() - WRMSR of an x2APIC MSR (0x800-0x8ff).
 * @l: the APIC
 * @msr: the MSR
 * @val: the value
 * @now: current time, ns
 * @fx: effects
 *
 * Return: 0, or -1 for #GP: not in x2APIC mode, read-only or reserved
 * registers, ID, LDR, DFR, ICR2, bits 63:32 set (but ICR), ICR reserved
 * bits (31:20, 17:16, 13), non-zero ESR, SELF_IPI bits 31:8.
 */
int kvmod_lapic_wrmsr(struct kvmod_lapic *l, u32 msr, u64 val, s64 now,
		      struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_get_tsc_deadline() - RDMSR IA32_TSC_DEADLINE.
 * @l: the APIC
 *
 * Return: the armed deadline in TSC-deadline mode, else 0.
 */
u64 kvmod_lapic_get_tsc_deadline(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_set_tsc_deadline() - WRMSR IA32_TSC_DEADLINE.
 * @l: the APIC
 * @tsc: the deadline (guest TSC); 0 disarms
 * @fx: effects (timer)
 *
 * Ignored unless hardware-enabled and in TSC-deadline mode.
 */
void kvmod_lapic_set_tsc_deadline(struct kvmod_lapic *l, u64 tsc,
				  struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_match_dest() - whether an interrupt message targets @l.
 * @l: the candidate target
 * @msg: the message
 * @source: the APIC that sent it (an IPI), or NULL (IOAPIC, MSI)
 *
 * Shorthands (self: l == source, all, all-but-self), physical (0xff or,
 * in x2APIC mode, 0xffffffff broadcast; IDs above 0xff match the
 * x2APIC ID), logical flat/cluster per DFR, x2APIC cluster. A
 * hardware-disabled APIC matches nothing; a software-disabled one no
 * logical non-broadcast destination (as KVM's APIC map).
 *
 * Return: true if @l is a destination.
 */
bool kvmod_lapic_match_dest(const struct kvmod_lapic *l,
			    const struct kvmod_irq_msg *msg,
			    const struct kvmod_lapic *source);

/**
 * kvmod_lapic_accept() - a fixed or lowest-priority interrupt arrives.
 * @l: the target
 * @msg: the message (vector, level, assert)
 *
 * Sets the IRR bit and the TMR bit to the trigger mode. A vector below
 * 16 sets ESR "receive illegal vector" (and signals the error LVT) and
 * is dropped. Other delivery modes are the wiring's.
 *
 * Return: 1 newly pending, 0 already pending (KVM counts both as
 * delivered), -1 dropped: APIC hardware- or software-disabled, level
 * de-assert, illegal vector, or not fixed/lowest-priority.
 */
int kvmod_lapic_accept(struct kvmod_lapic *l, const struct kvmod_irq_msg *msg);

/**
 * kvmod_lapic_arb_prio() - KVM's arbitration counter.
 * @l: the APIC
 *
 * Return: lowest-priority interrupts accepted since reset/set_state;
 * without vector hashing KVM picks the matching APIC with the smallest.
 */
u32 kvmod_lapic_arb_prio(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_local_deliver() - signal an LVT (LINT0/1, thermal, perf...).
 * @l: the APIC
 * @which: KVMOD_LVT_*
 *
 * Nothing if hardware-disabled, masked or absent. A fixed LVT is
 * accepted here; with cfg.lvtpc_auto_mask the perf LVT then masks itself.
 *
 * Return: -1 nothing delivered, KVMOD_DM_FIXED put in IRR, or the LVT's
 * delivery mode (NMI, SMI, INIT, ExtINT, ...) for the wiring to act on.
 */
int kvmod_lapic_local_deliver(struct kvmod_lapic *l, unsigned int which);

/**
 * kvmod_lapic_pending() - the interrupt to inject, if any.
 * @l: the APIC
 *
 * Return: the highest IRR vector whose priority class is above PPR's,
 * or -1 (also when hardware-disabled).
 */
int kvmod_lapic_pending(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_ack() - the CPU takes the pending interrupt.
 * @l: the APIC
 *
 * Return: pending()'s vector, moved from IRR to ISR (PPR raised), or -1.
 */
int kvmod_lapic_ack(struct kvmod_lapic *l);

/**
 * kvmod_lapic_vapic_word() - the TPR word of KVM_SET_VAPIC_ADDR's area
 * @l: the APIC
 *
 * Return: TPR in bits 7:0, the priority class of the highest in-service
 * vector in bits 15:12, the highest requested vector in bits 31:24.
 */
u32 kvmod_lapic_vapic_word(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_get_cr8() - CR8 as the guest reads it.
 * @l: the APIC
 *
 * Return: TPR[7:4].
 */
u8 kvmod_lapic_get_cr8(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_set_cr8() - a guest CR8 write.
 * @l: the APIC
 * @cr8: bits 3:0 become TPR[7:4], TPR[3:0] cleared; PPR updated
 */
void kvmod_lapic_set_cr8(struct kvmod_lapic *l, u8 cr8);

/**
 * kvmod_lapic_set_tpr() - set the TPR whatever the APIC's mode
 * @l: the APIC
 * @tpr: the new TPR
 * @fx: effects (the PPR fell: look at pending interrupts)
 *
 * For the VAPIC area's TPR, which KVM applies even to an APIC that is
 * disabled or in x2APIC mode.
 */
void kvmod_lapic_set_tpr(struct kvmod_lapic *l, u8 tpr,
			 struct kvmod_lapic_effects *fx);

/**
 * kvmod_lapic_lvt() - an LVT register.
 * @l: the APIC
 * @which: KVMOD_LVT_*
 *
 * Return: its value; masked (KVMOD_APIC_LVT_MASKED) if absent/unknown.
 */
u32 kvmod_lapic_lvt(const struct kvmod_lapic *l, unsigned int which);

/**
 * kvmod_lapic_accepts_pic_intr() - whether the PIC's INTR reaches this CPU.
 * @l: the APIC
 *
 * Return: true if hardware-disabled, or LINT0 is unmasked ExtINT.
 */
bool kvmod_lapic_accepts_pic_intr(const struct kvmod_lapic *l);

/**
 * kvmod_lapic_timer_next() - when a one-shot/periodic timer fires next.
 * @l: the APIC
 * @expires_ns: absolute time out
 *
 * Return: true if the host timer is to be armed at *@expires_ns.
 */
bool kvmod_lapic_timer_next(const struct kvmod_lapic *l, s64 *expires_ns);

/**
 * kvmod_lapic_timer_tsc_deadline() - the armed TSC deadline.
 * @l: the APIC
 * @tsc: the guest TSC value out
 *
 * Return: true if armed in TSC-deadline mode: the wiring converts *@tsc
 * to host time, or calls timer_expired() now if it has passed.
 */
bool kvmod_lapic_timer_tsc_deadline(const struct kvmod_lapic *l, u64 *tsc);

/**
 * kvmod_lapic_timer_expired() - the host timer fired.
 * @l: the APIC
 * @now: current time, ns
 *
 * Signals the timer LVT (nothing if masked), then re-arms a periodic
 * timer one period after the previous expiry (not before @now); a
 * one-shot or TSC-deadline timer is done. Nothing if not armed.
 *
 * Return: as kvmod_lapic_local_deliver() for the timer LVT.
 */
int kvmod_lapic_timer_expired(struct kvmod_lapic *l, s64 now);

/**
 * kvmod_lapic_get_state() - KVM_GET_LAPIC.
 * @l: the APIC
 * @s: the page out: the registers, TMCCT the current count; in x2APIC
 *     mode without cfg.x2apic_format the ID as id << 24
 * @now: current time, ns
 */
void kvmod_lapic_get_state(const struct kvmod_lapic *l,
			   struct kvm_lapic_state *s, s64 now);

/**
 * kvmod_lapic_set_state() - KVM_SET_LAPIC.
 * @l: the APIC (its APIC base stays)
 * @s: the page
 * @now: current time, ns
 * @fx: effects (timer, eval, lvt, map)
 *
 * Copies the page; in x2APIC mode the ID is taken as id >> 24 (or must
 * equal vcpu_id with cfg.x2apic_format) and the LDR derived from it.
 * LVR and PPR are recomputed, the timer restarted from TMICT with the
 * remaining count from TMCCT (then TMCCT reads as computed).
 *
 * Return: 0, or -1 (x2APIC format ID other than vcpu_id).
 */
int kvmod_lapic_set_state(struct kvmod_lapic *l,
			  const struct kvm_lapic_state *s, s64 now,
			  struct kvmod_lapic_effects *fx);

#endif /* KVMOD_LAPIC_H */
