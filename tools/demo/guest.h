/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory map and ports shared by the demo guest (guest.S, guest.lds.S) and
 * the VMM (kvmod-demo.c).  Plain #defines only: this file is also run
 * through the preprocessor for assembly and the linker script.
 */
#ifndef KVMOD_DEMO_GUEST_H
#define KVMOD_DEMO_GUEST_H

/* One memslot of guest RAM at GPA 0. */
#define GUEST_MEM_SIZE	0x200000

/* The flat guest binary is loaded here and entered in real mode at 0:LOAD. */
#define GUEST_LOAD	0x1000
/* Initial stack top; the binary must end below GUEST_LOAD_END. */
#define GUEST_STACK	0x8000
#define GUEST_LOAD_END	0x7000

/* Long mode page tables, built by the guest itself. */
#define GUEST_PML4	0x10000
#define GUEST_PDPT	0x11000
#define GUEST_PD	0x12000		/* 0-1 GiB, RAM */
#define GUEST_PD_HI	0x13000		/* 3-4 GiB, for the local APIC page */
/* The guest's 64-bit IDT: 256 gates of 16 bytes. */
#define GUEST_IDT	0x14000

/*
 * Parameters the VMM writes into guest memory before the first KVM_RUN
 * (32-bit words).  TICKS 0: no in-kernel irqchip, no timer test.
 */
#define GUEST_PARAMS	0x600
#define PARAM_TICKS	(GUEST_PARAMS + 0)	/* timer interrupts to wait for */
#define PARAM_TMICT	(GUEST_PARAMS + 4)	/* LAPIC timer initial count */

/*
 * xAPIC registers (MMIO at APIC_BASE).  The timer runs at the APIC bus
 * clock of KVM, 1 GHz: with TDCR = APIC_TDCR_DIV1, TMICT counts ns.
 */
#define APIC_BASE	0xfee00000
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SVR_ENABLE		(1 << 8)
#define APIC_LVT_MASKED		(1 << 16)
#define APIC_LVTT_PERIODIC	(1 << 17)
#define APIC_TDCR_DIV1		0xb

#define TIMER_VECTOR	0x20
#define SPURIOUS_VECTOR	0xff

/* 16550 UART at COM1: 8 registers, THR at +0, LSR at +5. */
#define COM1_BASE	0x3f8
#define COM1_LSR	(COM1_BASE + 5)
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

/* POST code port: the guest writes its stage number here. */
#define STAGE_PORT	0x80

#define STAGE_REAL	1	/* running in real mode */
#define STAGE_PROT	2	/* reached 32-bit protected mode */
#define STAGE_CPUID	3	/* executed CPUID, vendor printed */
#define STAGE_LONG	4	/* reached 64-bit long mode */
#define STAGE_DONE	5	/* all done, about to HLT */
/* After STAGE_LONG, with an irqchip; numbered last to keep DONE at 5. */
#define STAGE_TIMER	6	/* LAPIC timer armed, waiting for ticks */

/* outl: the number of timer interrupts the guest took. */
#define TICKS_PORT	0x81
/*
 * outb: the guest is done.  With an in-kernel irqchip HLT stays in the
 * kernel (the vCPU sleeps until an interrupt), so the guest ends with a
 * write here instead; without one, it ends with HLT as before.
 */
#define EXIT_PORT	0x82
/* outb: the vector of an unexpected exception or interrupt. */
#define BAD_VECTOR_PORT	0x83
/*
 * outl: the tick count at the wait loop's last check (with IF=0), written
 * only when the count grew after it: timer interrupts with IF=0.
 */
#define IF0_TICKS_PORT	0x84

#endif
