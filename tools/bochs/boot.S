/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Boot sector of the Bochs test VM (tools/testvm-bochs).
 *
 * Bochs puts the kernel, the initramfs and the boot data into guest RAM
 * itself (one bochsrc "optramimage"), so nothing needs to be read from a
 * disk and nothing is decompressed: this sector only hands the machine to
 * the kernel's PVH entry point (the ELF note XEN_ELFNOTE_PHYS32_ENTRY of
 * vmlinux), which wants 32-bit flat protected mode, paging off and EBX
 * pointing to a struct hvm_start_info.
 *
 * Bochs 2.7 backs guest RAM with 128 KiB blocks handed out in the order the
 * guest first touches them, and loads a RAM image linearly into that pool
 * starting at the block of its load address.  Block i of the image is
 * therefore seen by whichever guest block is touched i-th after it, not at
 * load address + i * 128 KiB.  testvm-bochs lays the image out for that:
 *
 *   chunk 0        the first 128 KiB of the guest range (base)
 *   chunks 1..P    padding; each starts with PAD_MAGIC and its number
 *   chunks P+1..   the rest of the guest range, in address order
 *
 * The BIOS takes a few pool blocks for the memory it uses; they hold
 * padding.  This code touches fresh blocks after the guest range (scratch)
 * until one holds padding chunk P, then touches the guest range in address
 * order, so that each of its blocks receives its own chunk.  The boot
 * data's start_info magic then proves the layout.
 *
 * Before that, in real mode: the A20 gate is opened and the BIOS E820 map
 * is collected into the hvm_memmap_table_entry array at MEMMAP (24-byte
 * entries, the same layout), whose count goes into start_info.
 *
 * Failures are reported on Bochs' port 0xe9 and end Bochs with a triple
 * fault (reset_on_triple_fault=0 makes that a panic).
 *
 * Parameters (little-endian dwords at PARAMS, patched in by testvm-bochs):
 *   base      guest address of the range (128 KiB aligned)
 *   nchunks   its size in 128 KiB chunks
 *   npad      P, the number of padding chunks
 *   scratch   first scratch block (after the range)
 *   bootdata  guest address of the struct hvm_start_info
 *   entry     PVH entry point
 */

#define CHUNK		0x20000
#define PAD_MAGIC	0x444150ca	/* "\xcaPAD" */
#define START_MAGIC	0x336ec578	/* XEN_HVM_START_MAGIC_VALUE */
#define SI_MEMMAP_ENTRIES 48		/* offsetof(hvm_start_info, memmap_entries) */
#define MEMMAP		0x6000
#define SMAP		0x534d4150	/* "SMAP" */
#define PARAMS		0x1e4

	.code16
	.text
	.globl	_start
_start:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp

	/* Fast A20 gate. */
	inb	$0x92, %al
	orb	$0x02, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	/* E820 map into MEMMAP; ESI counts the entries. */
	movw	$MEMMAP, %di
	xorl	%ebx, %ebx
	xorl	%esi, %esi
e820_next:
	movl	$0xe820, %eax
	movl	$24, %ecx
	movl	$SMAP, %edx
	int	$0x15
	jc	e820_done
	cmpl	$SMAP, %eax
	jne	e820_done
	movl	$0, %es:20(%di)		/* reserved field of the entry */
	incl	%esi
	addw	$24, %di
	testl	%ebx, %ebx
	jnz	e820_next
e820_done:

	lgdt	gdt_desc
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $protected

	.code32
protected:
	movl	$0x10, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* Use up the padding: fresh scratch blocks until chunk npad. */
	movl	$msg_pad, %edx
	movl	p_scratch, %edi
	movl	p_npad, %ecx
burn:
	cmpl	$PAD_MAGIC, (%edi)
	jne	fail
	cmpl	%ecx, 4(%edi)
	je	burnt
	ja	fail
	addl	$CHUNK, %edi
	jmp	burn
burnt:
	/* Touch the rest of the guest range in address order. */
	movl	p_base, %edi
	movl	p_nchunks, %ecx
touch:
	decl	%ecx
	jz	touched
	addl	$CHUNK, %edi
	movl	(%edi), %eax
	jmp	touch
touched:
	movl	$msg_data, %edx
	movl	p_bootdata, %ebx
	cmpl	$START_MAGIC, (%ebx)
	jne	fail
	movl	%esi, SI_MEMMAP_ENTRIES(%ebx)
	jmp	*p_entry

fail:
	movb	(%edx), %al
	testb	%al, %al
	jz	die
	outb	%al, $0xe9
	incl	%edx
	jmp	fail
die:
	lidt	idt_null
	int3

msg_pad:
	.asciz	"\nbochs boot: RAM image padding not found\n"
msg_data:
	.asciz	"\nbochs boot: RAM image out of order\n"

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code, base 0, 4 GiB */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, 4 GiB */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt
idt_null:
	.word	0
	.long	0

	.org	PARAMS
p_base:		.long	0
p_nchunks:	.long	0
p_npad:		.long	0
p_scratch:	.long	0
p_bootdata:	.long	0
p_entry:	.long	0

	.org	0x1fe
	.byte	0x55, 0xaa
