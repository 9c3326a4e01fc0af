// SPDX-License-Identifier: GPL-2.0
/*
 * The kvmod demo guest: real mode -> 32-bit protected mode -> 64-bit long
 * mode, printing through COM1 at every stage so that a failing transition
 * is visible.  Linked at GUEST_LOAD (see guest.lds.S) and entered in real
 * mode with CS=0, IP=GUEST_LOAD.  Progress is also written to STAGE_PORT.
 *
 * Exits it provokes on purpose: port I/O (inb, outb, rep outsb, rep insb),
 * CR0/CR3/CR4 writes, CPUID, RDMSR/WRMSR of EFER and a final HLT.
 *
 * With an in-kernel irqchip (the VMM sets PARAM_TICKS) the 64-bit part
 * then takes timer interrupts: an IDT, the local APIC enabled (SVR), its
 * timer periodic at PARAM_TMICT ns (LVTT, TDCR, TMICT), and STI; HLT until
 * PARAM_TICKS interrupts came, each counted and EOIed by the handler.
 * That adds interrupt exits, interrupt windows, HLTs handled in the kernel
 * and APIC MMIO (the EOI writes).  The count goes to TICKS_PORT.
 */
#include "guest.h"

#define CR0_PE		(1 << 0)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define CPUID_LM	(1 << 29)	/* CPUID 0x80000001 EDX */

#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PWT		(1 << 3)
#define PTE_PCD		(1 << 4)
#define PTE_PS		(1 << 7)

#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

	.text

/* ------------------------------------------------------------------ */
	.code16
	.globl	start
start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$GUEST_STACK, %sp

	movb	$STAGE_REAL, %al
	outb	%al, $STAGE_PORT
	movw	$msg_real, %si
	call	puts16
	movw	$msg_to_prot, %si
	call	puts16

	lgdtl	gdt_desc
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$SEL_CODE32, $prot32

/* Print the NUL-terminated string at %ds:%si, one polled outb per byte. */
puts16:
	lodsb
	testb	%al, %al
	jz	2f
	movb	%al, %bl
	movw	$COM1_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	movw	$COM1_BASE, %dx
	movb	%bl, %al
	outb	%al, %dx
	jmp	puts16
2:	ret

/* ------------------------------------------------------------------ */
	.code32
prot32:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	$GUEST_STACK, %esp

	movb	$STAGE_PROT, %al
	outb	%al, $STAGE_PORT
	movl	$msg_prot, %esi
	movl	$msg_prot_len, %ecx
	call	write32

	/*
	 * String input: 16 reads of LSR with one rep insb.  KVM hands OUTS
	 * to userspace a byte at a time but batches INS, so this is what
	 * makes the VMM see an IO exit with count > 1.
	 */
	movl	$insb_buf, %edi
	movl	$16, %ecx
	movw	$COM1_LSR, %dx
	rep insb
	movl	$insb_buf, %esi
	movl	$16, %ecx
1:	lodsb
	cmpb	$(LSR_TEMT | LSR_THRE), %al
	jne	insb_bad
	loop	1b
	movl	$msg_insb, %esi
	movl	$msg_insb_len, %ecx
	call	write32

	/* CPUID leaf 0: the vendor string is in EBX, EDX, ECX. */
	xorl	%eax, %eax
	cpuid
	movl	%ebx, vendor
	movl	%edx, vendor + 4
	movl	%ecx, vendor + 8
	/* Make it printable, in case the hypervisor gave us zeroes. */
	movl	$vendor, %esi
	movl	$12, %ecx
1:	movb	(%esi), %al
	cmpb	$0x20, %al
	jb	2f
	cmpb	$0x7e, %al
	jbe	3f
2:	movb	$'?', (%esi)
3:	incl	%esi
	loop	1b

	movb	$STAGE_CPUID, %al
	outb	%al, $STAGE_PORT
	movl	$msg_cpuid, %esi
	movl	$msg_cpuid_len, %ecx
	call	write32

	/* Long mode needs CPUID 0x80000001 EDX.LM, or WRMSR EFER faults. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$CPUID_LM, %edx
	jz	no_long_mode

	movl	$msg_to_long, %esi
	movl	$msg_to_long_len, %ecx
	call	write32

	/*
	 * Page tables: PML4[0] -> PDPT[0] -> PD, 512 x 2 MiB identity;
	 * PDPT[3] -> PD_HI with only the 2 MiB page of the local APIC,
	 * identity and uncached.
	 */
	movl	$GUEST_PML4, %edi
	movl	$(4 * 4096 / 4), %ecx
	xorl	%eax, %eax
	rep stosl
	movl	$(GUEST_PDPT | PTE_P | PTE_W), GUEST_PML4
	movl	$(GUEST_PD | PTE_P | PTE_W), GUEST_PDPT
	movl	$(GUEST_PD_HI | PTE_P | PTE_W), GUEST_PDPT + 3 * 8
	movl	$((APIC_BASE & 0xffe00000) | PTE_P | PTE_W | PTE_PWT | PTE_PCD | PTE_PS), \
		GUEST_PD_HI + ((APIC_BASE >> 21) & 511) * 8
	movl	$GUEST_PD, %edi
	movl	$(PTE_P | PTE_W | PTE_PS), %eax
	movl	$512, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b

	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$GUEST_PML4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$CR0_PG, %eax
	movl	%eax, %cr0
	ljmp	$SEL_CODE64, $long64

insb_bad:
	movl	$msg_insb_bad, %esi
	movl	$msg_insb_bad_len, %ecx
	call	write32
	jmp	stop32

no_long_mode:
	movl	$msg_no_long, %esi
	movl	$msg_no_long_len, %ecx
	call	write32
stop32:
	hlt
	jmp	stop32

/* Print %ecx bytes at %ds:%esi with a single rep outsb (string I/O). */
write32:
	movw	$COM1_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	movw	$COM1_BASE, %dx
	rep outsb
	ret

/* ------------------------------------------------------------------ */
	.code64
long64:
	movw	$SEL_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	$GUEST_STACK, %rsp

	movb	$STAGE_LONG, %al
	outb	%al, $STAGE_PORT
	leaq	msg_long(%rip), %rsi
	call	puts64

	cmpl	$0, PARAM_TICKS
	je	no_timer
	call	timer_test

	movb	$STAGE_DONE, %al
	outb	%al, $STAGE_PORT
	outb	%al, $EXIT_PORT		/* HLT would not leave the kernel */
	jmp	stop64

no_timer:
	leaq	msg_no_timer(%rip), %rsi
	call	puts64
	movb	$STAGE_DONE, %al
	outb	%al, $STAGE_PORT
stop64:
	cli
1:	hlt
	jmp	1b

/*
 * Take PARAM_TICKS periodic LAPIC timer interrupts, then stop the timer
 * and report the count on TICKS_PORT.  The handler is the only code that
 * runs with interrupts enabled.
 */
timer_test:
	/* IDT: every vector to its stub in vector_stubs, but two. */
	movq	$GUEST_IDT, %rdi
	leaq	vector_stubs(%rip), %rdx
	xorl	%ecx, %ecx
1:	movq	%rdx, %rax
	cmpl	$TIMER_VECTOR, %ecx
	jne	2f
	leaq	timer_handler(%rip), %rax
2:	cmpl	$SPURIOUS_VECTOR, %ecx
	jne	3f
	leaq	spurious_handler(%rip), %rax
3:	call	set_gate
	addq	$16, %rdi
	addq	$VECTOR_STUB_SIZE, %rdx
	incl	%ecx
	cmpl	$256, %ecx
	jb	1b
	lidt	idt_desc(%rip)

	leaq	msg_timer(%rip), %rsi
	call	puts64

	movl	$APIC_BASE, %ebx
	movl	$(APIC_SVR_ENABLE | SPURIOUS_VECTOR), APIC_SVR(%rbx)
	movl	$APIC_TDCR_DIV1, APIC_TDCR(%rbx)
	movl	$(APIC_LVTT_PERIODIC | TIMER_VECTOR), APIC_LVTT(%rbx)

	movb	$STAGE_TIMER, %al
	outb	%al, $STAGE_PORT
	movl	PARAM_TMICT, %eax
	movl	%eax, APIC_TMICT(%rbx)	/* starts the timer */

	/* STI's interrupt shadow covers HLT: no tick is lost in between. */
1:	sti
	hlt
	cli
	movl	ticks(%rip), %eax
	cmpl	PARAM_TICKS, %eax
	jb	1b

	/*
	 * Interrupts stay off from here: a tick counted after the loop's
	 * last check came with IF=0, a hypervisor bug.  Several ticks can
	 * come before a CLI, though (the handler's IRETQ sets IF again).
	 */
	movl	%eax, %ecx
	movl	$(APIC_LVT_MASKED | TIMER_VECTOR), APIC_LVTT(%rbx)
	movl	$0, APIC_TMICT(%rbx)
	movl	ticks(%rip), %eax
	outl	%eax, $TICKS_PORT
	cmpl	%eax, %ecx
	je	1f
	movl	%ecx, %eax
	outl	%eax, $IF0_TICKS_PORT
	jmp	stop64
1:

	leaq	msg_timer_done(%rip), %rsi
	call	puts64
	ret

/* Interrupt gate at %rdi: handler %rax, 64-bit code, DPL 0, no IST. */
set_gate:
	movw	%ax, (%rdi)
	movw	$SEL_CODE64, 2(%rdi)
	movw	$0x8e00, 4(%rdi)	/* present, interrupt gate */
	shrq	$16, %rax
	movw	%ax, 6(%rdi)
	shrq	$16, %rax
	movl	%eax, 8(%rdi)
	movl	$0, 12(%rdi)
	ret

timer_handler:
	pushq	%rax
	incl	ticks(%rip)
	movl	$APIC_BASE, %eax
	movl	$0, APIC_EOI(%rax)
	popq	%rax
	iretq

/* A spurious interrupt is not EOIed. */
spurious_handler:
	incl	spurious(%rip)
	iretq

/*
 * Any other vector: report it on BAD_VECTOR_PORT and stop.  One stub per
 * vector, VECTOR_STUB_SIZE bytes each, pushing its number.
 */
	VECTOR_STUB_SIZE = 16
	.balign	VECTOR_STUB_SIZE
vector_stubs:
	vec = 0
	.rept	256
	.balign	VECTOR_STUB_SIZE
	pushq	$vec
	jmp	bad_vector
	vec = vec + 1
	.endr

bad_vector:
	popq	%rax
	outb	%al, $BAD_VECTOR_PORT
	jmp	stop64

/* Print the NUL-terminated string at %rsi, one polled outb per byte. */
puts64:
	lodsb
	testb	%al, %al
	jz	2f
	movb	%al, %bl
	movw	$COM1_LSR, %dx
1:	inb	%dx, %al
	testb	$LSR_THRE, %al
	jz	1b
	movw	$COM1_BASE, %dx
	movb	%bl, %al
	outb	%al, %dx
	jmp	puts64
2:	ret

/* ------------------------------------------------------------------ */
	.balign	8
gdt:
	.quad	0			/* null */
	.quad	0x00cf9a000000ffff	/* 0x08: code, 32-bit, base 0, 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
	.quad	0x00af9a000000ffff	/* 0x18: code, 64-bit */
gdt_end:

gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

msg_real:
	.asciz	"Hello from a kvmod guest (real mode)\n"
msg_to_prot:
	.asciz	"  switching to 32-bit protected mode\n"
msg_prot:
	.ascii	"Hello from 32-bit protected mode (rep outsb)\n"
	msg_prot_len = . - msg_prot
msg_insb:
	.ascii	"rep insb from LSR: 16 bytes ok\n"
	msg_insb_len = . - msg_insb
msg_insb_bad:
	.ascii	"rep insb from LSR: wrong data, stopping\n"
	msg_insb_bad_len = . - msg_insb_bad
msg_cpuid:
	.ascii	"CPUID vendor: "
vendor:
	.ascii	"????????????\n"
	msg_cpuid_len = . - msg_cpuid
msg_to_long:
	.ascii	"  switching to 64-bit long mode\n"
	msg_to_long_len = . - msg_to_long
msg_no_long:
	.ascii	"CPUID reports no long mode, stopping\n"
	msg_no_long_len = . - msg_no_long
msg_long:
	.asciz	"Hello from 64-bit long mode\n"
msg_no_timer:
	.asciz	"No in-kernel irqchip: no timer interrupts\n"
msg_timer:
	.asciz	"  arming the LAPIC timer (periodic), HLT until the ticks are in\n"
msg_timer_done:
	.asciz	"Timer interrupts taken, LAPIC timer stopped\n"

	.balign	8
idt_desc:
	.word	256 * 16 - 1
	.quad	GUEST_IDT

	.balign	4
ticks:
	.long	0
spurious:
	.long	0

insb_buf:
	.fill	16, 1, 0
