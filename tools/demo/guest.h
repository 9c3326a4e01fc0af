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
#define GUEST_PD	0x12000

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
#define STAGE_DONE	5	/* all output done, about to HLT */

#endif
