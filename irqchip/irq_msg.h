/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An interrupt message on the way to local APICs: what an IOAPIC
 * redirection entry, an MSI or a LAPIC's ICR asks for. Shared by the
 * pure IOAPIC, MSI and LAPIC logic and by kvmod-irqchip's delivery code.
 */
#ifndef KVMOD_IRQ_MSG_H
#define KVMOD_IRQ_MSG_H

#include "pure_types.h"

/* Delivery modes (ICR, redirection entries, MSI data bits 10:8). */
#define KVMOD_DM_FIXED		0
#define KVMOD_DM_LOWEST		1
#define KVMOD_DM_SMI		2
#define KVMOD_DM_NMI		4
#define KVMOD_DM_INIT		5
#define KVMOD_DM_SIPI		6
#define KVMOD_DM_EXTINT		7

/* Destination shorthands (ICR bits 19:18). */
#define KVMOD_SH_NONE		0
#define KVMOD_SH_SELF		1
#define KVMOD_SH_ALL		2
#define KVMOD_SH_OTHERS		3

struct kvmod_irq_msg {
	u32 dest;		/* APIC ID, or logical MDA */
	u8 vector;
	u8 delivery_mode;	/* KVMOD_DM_* */
	u8 shorthand;		/* KVMOD_SH_* (ICR only) */
	bool logical;		/* destination mode */
	bool level;		/* level-triggered */
	bool assert;		/* level: asserted (INIT de-assert is 0) */
	bool redirect_hint;	/* MSI RH */
};

#endif /* KVMOD_IRQ_MSG_H */
