/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest of exit_guest.c, 16-bit real mode, position independent:
 * ESI x OUT to port 0x80, then EDI x CPUID (leaf 0), then HLT. When EBP is
 * not zero, an OUT to port 0x81 before and after the CPUID loop lets the
 * VMM time it.
 */
	.section .rodata
	.globl guest_code
	.globl guest_code_end
guest_code:
	.code16
	testl	%esi, %esi
	jz	2f
1:	outb	%al, $0x80
	decl	%esi
	jnz	1b
2:	testl	%ebp, %ebp
	jz	3f
	outb	%al, $0x81
3:	testl	%edi, %edi
	jz	5f
4:	xorl	%eax, %eax
	cpuid
	decl	%edi
	jnz	4b
5:	testl	%ebp, %ebp
	jz	6f
	outb	%al, $0x81
6:	hlt
	jmp	6b
	.code64
guest_code_end:
	.section .note.GNU-stack, "", @progbits
