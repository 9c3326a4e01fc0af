/* SPDX-License-Identifier: GPL-2.0 */
/* Linker script for the demo guest: one flat image at GUEST_LOAD. */
#include "guest.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(start)

SECTIONS
{
	. = GUEST_LOAD;
	.text : {
		*(.text*)
		*(.rodata*)
		*(.data*)
		*(.bss*)
	}
	guest_image_end = .;

	/DISCARD/ : {
		*(.note*)
		*(.comment)
		*(.eh_frame)
	}
}

ASSERT(guest_image_end <= GUEST_LOAD_END, "demo guest too large for its load area")
