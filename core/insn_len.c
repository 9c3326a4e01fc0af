// SPDX-License-Identifier: GPL-2.0
/*
 * Prefix scanning and the lengths of the instructions that SVM
 * intercepts (CPUID, HLT, RDMSR, WRMSR, the 0F 01 group, MOV DR).
 *
 * Pure logic, shared by kvmod.ko and the host unit tests.
 */
#include "insn_len.h"

/**
 * kvmod_insn_prefixes() - scan the prefixes of an instruction
 * @insn: instruction bytes
 * @n: number of valid bytes at @insn
 * @long64: the code segment is 64-bit
 * @p: filled with what was found
 *
 * Return: the offset of the opcode, or -1 when the bytes end (or exceed
 * the 15-byte limit) before an opcode.
 */
int kvmod_insn_prefixes(const u8 *insn, int n, bool long64,
			struct kvmod_prefixes *p)
{
	int i;

	*p = (struct kvmod_prefixes){ .seg = KVMOD_SEG_NONE };
	if (n > KVMOD_INSN_MAX)
		n = KVMOD_INSN_MAX;
	for (i = 0; i < n; i++) {
		switch (insn[i]) {
		case 0x26:
			p->seg = KVMOD_SEG_ES;
			break;
		case 0x2e:
			p->seg = KVMOD_SEG_CS;
			break;
		case 0x36:
			p->seg = KVMOD_SEG_SS;
			break;
		case 0x3e:
			p->seg = KVMOD_SEG_DS;
			break;
		case 0x64:
			p->seg = KVMOD_SEG_FS;
			break;
		case 0x65:
			p->seg = KVMOD_SEG_GS;
			break;
		case 0x66:
			p->opsize = true;
			break;
		case 0x67:
			p->addrsize = true;
			break;
		case 0xf0:
			p->lock = true;
			break;
		case 0xf2:
			p->repne = true;
			p->rep = false;
			break;
		case 0xf3:
			p->rep = true;
			p->repne = false;
			break;
		default:
			/* REX counts only directly before the opcode. */
			if (long64 && (insn[i] & 0xf0) == 0x40) {
				p->rex = insn[i];
				continue;
			}
			p->len = i;
			return i;
		}
		p->rex = 0;
	}
	return -1;
}

/**
 * kvmod_insn_len() - length of an intercepted instruction
 * @insn: instruction bytes
 * @n: number of valid bytes at @insn
 * @long64: the code segment is 64-bit
 *
 * Knows HLT, CPUID, RDMSR, WRMSR, RDTSC, RDPMC, INVD, WBINVD, the
 * register forms of the 0F 01 group (VMRUN ... RDTSCP, XSETBV, MONITOR,
 * MWAIT) and MOV to/from control and debug registers.
 *
 * Return: the length in bytes, or -1 for anything else.
 */
int kvmod_insn_len(const u8 *insn, int n, bool long64)
{
	struct kvmod_prefixes p;
	int op = kvmod_insn_prefixes(insn, n, long64, &p);
	int len;

	if (op < 0)
		return -1;
	if (insn[op] == 0xf4)			/* HLT */
		return op + 1;
	if (insn[op] != 0x0f || op + 1 >= n)
		return -1;
	switch (insn[op + 1]) {
	case 0x08:				/* INVD */
	case 0x09:				/* WBINVD */
	case 0x30:				/* WRMSR */
	case 0x31:				/* RDTSC */
	case 0x32:				/* RDMSR */
	case 0x33:				/* RDPMC */
	case 0xa2:				/* CPUID */
		len = op + 2;
		break;
	case 0x01:
		/* Only the register forms (mod == 3) are intercepted. */
		if (op + 2 >= n || (insn[op + 2] & 0xc0) != 0xc0)
			return -1;
		len = op + 3;
		break;
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x23:
		if (op + 2 >= n)
			return -1;
		len = op + 3;
		break;
	default:
		return -1;
	}
	return len <= KVMOD_INSN_MAX ? len : -1;
}

/*
 * 0F @read_op /r (MOV reg, CRn/DRn) or 0F @read_op+2 /r (MOV CRn/DRn,
 * reg); the mod field is ignored: the operand is always a register.
 */
static int insn_mov_reg(const u8 *insn, int n, bool long64, u8 read_op,
			struct kvmod_mov_reg *m, struct kvmod_prefixes *p)
{
	int op = kvmod_insn_prefixes(insn, n, long64, p);
	u8 modrm;

	if (op < 0 || op + 2 >= n || insn[op] != 0x0f)
		return -1;
	if (insn[op + 1] != read_op && insn[op + 1] != read_op + 2)
		return -1;
	modrm = insn[op + 2];
	m->to_reg = insn[op + 1] == read_op + 2;
	m->reg = ((modrm >> 3) & 7) | ((p->rex & 0x04) ? 8 : 0);
	m->gpr = (modrm & 7) | ((p->rex & 0x01) ? 8 : 0);
	m->len = op + 3;
	return m->len <= KVMOD_INSN_MAX ? 0 : -1;
}

/**
 * kvmod_insn_mov_dr() - decode MOV reg, DRn or MOV DRn, reg
 * @insn: instruction bytes
 * @n: number of valid bytes at @insn
 * @long64: the code segment is 64-bit
 * @m: the decoded operands
 *
 * Return: 0, or -1 when the bytes are not a MOV to/from a debug register.
 */
int kvmod_insn_mov_dr(const u8 *insn, int n, bool long64,
		      struct kvmod_mov_reg *m)
{
	struct kvmod_prefixes p;

	return insn_mov_reg(insn, n, long64, 0x21, m, &p);
}

/**
 * kvmod_insn_mov_cr() - decode MOV reg, CRn or MOV CRn, reg
 * @insn: instruction bytes
 * @n: number of valid bytes at @insn
 * @long64: the code segment is 64-bit
 * @m: the decoded operands
 *
 * CR8 is reached with REX.R, or outside 64-bit mode with a LOCK prefix
 * (AMD's alternative encoding).
 *
 * Return: 0, or -1 when the bytes are not a MOV to/from a control register.
 */
int kvmod_insn_mov_cr(const u8 *insn, int n, bool long64,
		      struct kvmod_mov_reg *m)
{
	struct kvmod_prefixes p;

	if (insn_mov_reg(insn, n, long64, 0x20, m, &p))
		return -1;
	if (p.lock && !long64)
		m->reg |= 8;
	return 0;
}
