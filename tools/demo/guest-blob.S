// SPDX-License-Identifier: GPL-2.0
/* Embed the flat guest image (GUEST_BIN, a path string) into the VMM. */

	.section .rodata
	.balign	16
	.globl	guest_image
	.globl	guest_image_end
guest_image:
	.incbin	GUEST_BIN
guest_image_end:

	.section .note.GNU-stack, "", @progbits
