/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prefix scanning and length decoding for the few instructions kvmod-amd
 * intercepts and must step over when the CPU gives no next-RIP
 * (SVM without NRIP save), plus MOV to/from debug registers.
 *
 * Pure logic: no kernel dependencies.
 */
#ifndef KVMOD_INSN_LEN_H
#define KVMOD_INSN_LEN_H

#include "pure_types.h"

#define KVMOD_INSN_MAX	15

/* Segment register numbers, in the x86 encoding order. */
enum kvmod_seg {
	KVMOD_SEG_ES = 0,
	KVMOD_SEG_CS,
	KVMOD_SEG_SS,
	KVMOD_SEG_DS,
	KVMOD_SEG_FS,
	KVMOD_SEG_GS,
	KVMOD_SEG_NONE = -1,
};

struct kvmod_prefixes {
	int len;		/* bytes of prefixes (legacy + REX) */
	int seg;		/* enum kvmod_seg override, or KVMOD_SEG_NONE */
	bool opsize;		/* 0x66 */
	bool addrsize;		/* 0x67 */
	bool rep;		/* 0xf3 */
	bool repne;		/* 0xf2 */
	bool lock;		/* 0xf0 */
	u8 rex;			/* REX byte in 64-bit mode, else 0 */
};

int kvmod_insn_prefixes(const u8 *insn, int n, bool long64,
			struct kvmod_prefixes *p);
int kvmod_insn_len(const u8 *insn, int n, bool long64);

/* MOV to or from a control or debug register. */
struct kvmod_mov_reg {
	int reg;		/* control or debug register number */
	int gpr;		/* general-purpose register number (0-15) */
	bool to_reg;		/* MOV CRn/DRn, reg (a write) */
	int len;
};

int kvmod_insn_mov_dr(const u8 *insn, int n, bool long64,
		      struct kvmod_mov_reg *m);
int kvmod_insn_mov_cr(const u8 *insn, int n, bool long64,
		      struct kvmod_mov_reg *m);

#endif /* KVMOD_INSN_LEN_H */
