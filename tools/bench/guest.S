// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark guest: one small loop per workload, 32-bit protected mode,
 * flat segments, no paging.  Position independent (relative jumps only),
 * copied by kvm-bench to GUEST_CODE and entered at GUEST_CODE + (entry -
 * bench_guest_start).  Register conventions are in guest.h.
 */
#include "guest.h"

/*
 * With EBP != 0 (kvm-bench --dither, for perf), spin 1..512 iterations of
 * a pseudo-random length before each operation, so that the periodic
 * sampling of perf under -icount cannot lock onto one phase of the loop.
 * With EBP == 0 it costs two instructions.  Clobbers ECX.
 */
.macro	DITHER
	testl	%ebp, %ebp
	jz	2f
	imull	$1103515245, %ebp, %ebp
	addl	$12345, %ebp
	movl	%ebp, %ecx
	shrl	$23, %ecx
	incl	%ecx
3:	decl	%ecx
	jnz	3b
2:
.endm

	.section .rodata
	.code32
	.balign	16
	.globl	bench_guest_start
	.globl	bench_guest_end
bench_guest_start:

/* The end of every workload: tell the VMM, never fall through. */
guest_done:
	movw	$DONE_PORT, %dx
	outb	%al, %dx
	hlt
	jmp	guest_done

/* CPUID leaf 0: exits to the hypervisor, handled in the kernel. */
	.globl	g_cpuid
g_cpuid:
1:	DITHER
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	cpuid
	decl	%esi
	jnz	1b
	jmp	guest_done

/* VMMCALL (AMD) with an unknown hypercall number; EAX keeps the result. */
	.globl	g_vmmcall
g_vmmcall:
1:	DITHER
	movl	$HC_UNKNOWN, %eax
	.byte	0x0f, 0x01, 0xd9		/* vmmcall */
	decl	%esi
	jnz	1b
	jmp	guest_done

/*
 * kvmclock-read: read the guest's clock from the pvclock structure the
 * way a guest kernel does, without an exit: version (retry while odd),
 * RDTSC, the TSC delta scaled by tsc_shift and tsc_to_system_mul (the
 * low 32 bits of the shifted delta, enough for the counting), plus
 * system_time, and the version again (retry if it changed). The result
 * goes to GUEST_COUNTER.
 */
	.globl	g_kvmclock_read
g_kvmclock_read:
1:	DITHER
2:	movl	PVCLOCK_GPA + PVCLOCK_VERSION, %ebx
	testl	$1, %ebx
	jnz	2b
	rdtsc
	subl	PVCLOCK_GPA + PVCLOCK_TSC_TIMESTAMP, %eax
	movsbl	PVCLOCK_GPA + PVCLOCK_SHIFT, %ecx
	testl	%ecx, %ecx
	js	3f
	shll	%cl, %eax
	jmp	4f
3:	negl	%ecx
	shrl	%cl, %eax
4:	mull	PVCLOCK_GPA + PVCLOCK_MUL
	addl	PVCLOCK_GPA + PVCLOCK_SYSTEM_TIME, %edx
	cmpl	PVCLOCK_GPA + PVCLOCK_VERSION, %ebx
	jne	2b
	movl	%edx, GUEST_COUNTER
	decl	%esi
	jnz	1b
	jmp	guest_done

/* VMCALL (Intel), same contract. */
	.globl	g_vmcall
g_vmcall:
1:	DITHER
	movl	$HC_UNKNOWN, %eax
	.byte	0x0f, 0x01, 0xc1		/* vmcall */
	decl	%esi
	jnz	1b
	jmp	guest_done

/* One-byte OUT to BENCH_PORT: an exit to userspace each. */
	.globl	g_pio_out
g_pio_out:
1:	DITHER
	outb	%al, %dx
	decl	%esi
	jnz	1b
	jmp	guest_done

/* One-byte IN from BENCH_PORT. */
	.globl	g_pio_in
g_pio_in:
1:	DITHER
	inb	%dx, %al
	decl	%esi
	jnz	1b
	jmp	guest_done

/* 32-bit store to an address without a memslot. */
	.globl	g_mmio_write
g_mmio_write:
1:	DITHER
	movl	%eax, (%edi)
	decl	%esi
	jnz	1b
	jmp	guest_done

/* 32-bit load from an address without a memslot. */
	.globl	g_mmio_read
g_mmio_read:
1:	DITHER
	movl	(%edi), %eax
	decl	%esi
	jnz	1b
	jmp	guest_done

/* HLT with interrupts off: with a userspace irqchip each one exits. */
	.globl	g_hlt
g_hlt:
1:	DITHER
	hlt
	decl	%esi
	jnz	1b
	jmp	guest_done

/* Write EAX to one word per 4 KiB page, ESI pages from EDI on. */
	.globl	g_touch
g_touch:
1:	DITHER
	movl	%eax, (%edi)
	addl	$4096, %edi
	decl	%esi
	jnz	1b
	jmp	guest_done

/* Halt for good (in-kernel irqchip, IF=0: only a signal gets out). */
	.globl	g_halt_forever
g_halt_forever:
1:	hlt
	jmp	1b

/*
 * Enable the xAPIC, then halt with interrupts on; every IRQ_VECTOR
 * interrupt bumps GUEST_COUNTER and returns to the halt.
 */
	.globl	g_irq_wait
g_irq_wait:
	movl	$0x1ff, APIC_SVR
1:	sti
	hlt
	jmp	1b

	.globl	g_irq_handler
g_irq_handler:
	incl	GUEST_COUNTER
	movl	$0, APIC_EOI
	iret

/*
 * ipi, vCPU 0: enable the xAPIC, aim the ICR at APIC ID 1, then per
 * operation send IPI_VECTOR and halt with interrupts on until vCPU 1's
 * answer (IRQ_VECTOR, g_irq_handler) has bumped GUEST_COUNTER.
 */
	.globl	g_ipi_ping
g_ipi_ping:
	movl	$0x1ff, APIC_SVR
	movl	$(1 << 24), APIC_ICR_HI
1:	DITHER
	cli
	movl	GUEST_COUNTER, %ebx
	movl	$(APIC_ICR_ASSERT | IPI_VECTOR), APIC_ICR_LO
2:	sti
	hlt
	cli
	cmpl	GUEST_COUNTER, %ebx
	je	2b
	decl	%esi
	jnz	1b
	jmp	guest_done

/* ipi, vCPU 1: enable the xAPIC, aim the ICR at APIC ID 0, halt for good. */
	.globl	g_ipi_pong
g_ipi_pong:
	movl	$0x1ff, APIC_SVR
	movl	$0, APIC_ICR_HI
1:	sti
	hlt
	jmp	1b

/* IPI_VECTOR on vCPU 1: EOI, answer vCPU 0. */
	.globl	g_ipi_handler
g_ipi_handler:
	movl	$0, APIC_EOI
	movl	$(APIC_ICR_ASSERT | IRQ_VECTOR), APIC_ICR_LO
	iret

/*
 * LAPIC timer: enable the xAPIC, one-shot timer on IRQ_VECTOR, divide by
 * 1; per operation write EDI to TMICT and halt with interrupts on until
 * g_irq_handler has counted the interrupt (and EOId it).
 */
	.globl	g_timer_hlt
g_timer_hlt:
	movl	$0x1ff, APIC_SVR
	movl	$0xb, APIC_TDCR
	movl	$IRQ_VECTOR, APIC_LVTT
1:	DITHER
	cli
	movl	GUEST_COUNTER, %ebx
	movl	%edi, APIC_TMICT
2:	sti
	hlt
	cli
	cmpl	GUEST_COUNTER, %ebx
	je	2b
	decl	%esi
	jnz	1b
	jmp	guest_done

bench_guest_end:

	.section .note.GNU-stack, "", @progbits
