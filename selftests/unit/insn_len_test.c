// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for core/insn_len.c. Every instruction is copied into a
 * heap buffer of exactly its length, so a read past the end is caught
 * by AddressSanitizer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insn_len.h"
#include "unit.h"

static u8 *dup_bytes(const u8 *b, int n)
{
	u8 *p = malloc(n ? n : 1);

	if (!p) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, b, n);
	return p;
}

static void check_len(const char *file, int line, const u8 *b, int n,
		      int want32, int want64)
{
	u8 *p = dup_bytes(b, n);
	int got32 = kvmod_insn_len(p, n, false);
	int got64 = kvmod_insn_len(p, n, true);

	if (got32 != want32)
		unit_fail(file, line, "32-bit length: got %d, want %d",
			  got32, want32);
	if (got64 != want64)
		unit_fail(file, line, "64-bit length: got %d, want %d",
			  got64, want64);
	free(p);
}

#define BYTES(...)	((const u8[]){ __VA_ARGS__ })
#define NBYTES(...)	((int)sizeof(BYTES(__VA_ARGS__)))

/* LEN(length in 32-bit mode, length in 64-bit mode, bytes...) */
#define LEN(w32, w64, ...)						\
	check_len(__FILE__, __LINE__, BYTES(__VA_ARGS__),		\
		  NBYTES(__VA_ARGS__), w32, w64)

/* The same length in both modes. */
#define LEN2(w, ...)	LEN(w, w, __VA_ARGS__)

TEST(insn_len_known_instructions)
{
	LEN2(1, 0xf4);				/* HLT */
	LEN2(2, 0x0f, 0x08);			/* INVD */
	LEN2(2, 0x0f, 0x09);			/* WBINVD */
	LEN2(2, 0x0f, 0x30);			/* WRMSR */
	LEN2(2, 0x0f, 0x31);			/* RDTSC */
	LEN2(2, 0x0f, 0x32);			/* RDMSR */
	LEN2(2, 0x0f, 0x33);			/* RDPMC */
	LEN2(2, 0x0f, 0xa2);			/* CPUID */
	LEN2(3, 0x0f, 0x01, 0xc8);		/* MONITOR */
	LEN2(3, 0x0f, 0x01, 0xc9);		/* MWAIT */
	LEN2(3, 0x0f, 0x01, 0xd0);		/* XGETBV */
	LEN2(3, 0x0f, 0x01, 0xd1);		/* XSETBV */
	LEN2(3, 0x0f, 0x01, 0xd8);		/* VMRUN */
	LEN2(3, 0x0f, 0x01, 0xd9);		/* VMMCALL */
	LEN2(3, 0x0f, 0x01, 0xda);		/* VMLOAD */
	LEN2(3, 0x0f, 0x01, 0xdb);		/* VMSAVE */
	LEN2(3, 0x0f, 0x01, 0xdc);		/* STGI */
	LEN2(3, 0x0f, 0x01, 0xdd);		/* CLGI */
	LEN2(3, 0x0f, 0x01, 0xde);		/* SKINIT */
	LEN2(3, 0x0f, 0x01, 0xdf);		/* INVLPGA */
	LEN2(3, 0x0f, 0x01, 0xf9);		/* RDTSCP */
	LEN2(3, 0x0f, 0x21, 0xc8);		/* MOV EAX, DR1 */
	LEN2(3, 0x0f, 0x20, 0xc0);		/* MOV EAX, CR0 */
	LEN2(3, 0x0f, 0x22, 0xc0);		/* MOV CR0, EAX */
	LEN(-1, 4, 0x44, 0x0f, 0x22, 0xc0);	/* MOV CR8, RAX */
	LEN2(4, 0xf0, 0x0f, 0x22, 0xc0);	/* LOCK MOV CR8, EAX */
	LEN2(3, 0x0f, 0x23, 0xf9);		/* MOV DR7, ECX */
	/* MOV DR ignores mod: no displacement follows. */
	LEN2(3, 0x0f, 0x21, 0x08);
	LEN2(3, 0x0f, 0x23, 0x80);
	/* Bytes after the instruction are not part of it. */
	LEN2(1, 0xf4, 0x90, 0x90);
	LEN2(2, 0x0f, 0xa2, 0x0f, 0xa2);
	LEN2(3, 0x0f, 0x01, 0xd9, 0xff, 0xff);
}

TEST(insn_len_legacy_prefixes)
{
	LEN2(3, 0x66, 0x0f, 0xa2);
	LEN2(4, 0x67, 0x0f, 0x01, 0xd8);	/* VMRUN with address size */
	LEN2(2, 0xf3, 0xf4);
	LEN2(3, 0xf2, 0x0f, 0x30);
	LEN2(3, 0xf0, 0x0f, 0x32);
	LEN2(2, 0x2e, 0xf4);
	LEN2(2, 0x26, 0xf4);
	LEN2(2, 0x36, 0xf4);
	LEN2(2, 0x3e, 0xf4);
	LEN2(2, 0x64, 0xf4);
	LEN2(2, 0x65, 0xf4);
	LEN2(7, 0x26, 0x36, 0x3e, 0x64, 0x65, 0x0f, 0x31);
	LEN2(6, 0x66, 0x67, 0xf3, 0xf2, 0x2e, 0xf4);
	LEN2(5, 0x66, 0x66, 0x0f, 0x21, 0xc0);
}

TEST(insn_len_rex_only_in_64bit_mode)
{
	/* 0x40-0x4f: REX in 64-bit mode, INC/DEC (not intercepted) else. */
	LEN(-1, 3, 0x48, 0x0f, 0x32);
	LEN(-1, 3, 0x48, 0x0f, 0x30);
	LEN(-1, 2, 0x41, 0xf4);
	LEN(-1, 2, 0x40, 0xf4);
	LEN(-1, 2, 0x4f, 0xf4);
	LEN(-1, 4, 0x44, 0x0f, 0x21, 0xc8);
	LEN(-1, 4, 0x4d, 0x0f, 0x23, 0xc0);
	LEN(-1, 4, 0x48, 0x0f, 0x01, 0xf9);
	LEN(-1, 4, 0x66, 0x48, 0x0f, 0x30);
	/* REX before a legacy prefix is ignored but still a byte. */
	LEN(-1, 4, 0x48, 0x66, 0x0f, 0x30);
	/* Two REX bytes. */
	LEN(-1, 3, 0x41, 0x48, 0xf4);
	LEN(-1, -1, 0x48);
	LEN(-1, -1, 0x48, 0x0f);
}

TEST(insn_len_truncated)
{
	u8 one = 0x0f;

	EXPECT_EQ(kvmod_insn_len(&one, 0, false), -1);
	EXPECT_EQ(kvmod_insn_len(&one, 0, true), -1);
	LEN2(-1, 0x0f);
	LEN2(-1, 0x66);
	LEN2(-1, 0x66, 0x0f);
	LEN2(-1, 0x0f, 0x01);
	LEN2(-1, 0x66, 0x0f, 0x01);
	LEN2(-1, 0x0f, 0x21);
	LEN2(-1, 0x0f, 0x23);
	LEN2(-1, 0x26, 0x36, 0x3e, 0x64, 0x65);
	/* A short n hides the bytes after it. */
	EXPECT_EQ(kvmod_insn_len(BYTES(0x0f, 0xa2), 1, false), -1);
	EXPECT_EQ(kvmod_insn_len(BYTES(0x0f, 0x01, 0xd9), 2, true), -1);
	EXPECT_EQ(kvmod_insn_len(BYTES(0x66, 0xf4), 1, true), -1);
}

/* @np copies of @prefix, then @op (@nop bytes); expect @want both modes. */
static void check_prefixed(const char *file, int line, u8 prefix, int np,
			   const u8 *op, int nop, int want)
{
	u8 buf[64];

	memset(buf, prefix, np);
	memcpy(buf + np, op, nop);
	check_len(file, line, buf, np + nop, want, want);
}

#define PREFIXED(prefix, np, want, ...)					\
	check_prefixed(__FILE__, __LINE__, prefix, np,			\
		       BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), want)

TEST(insn_len_15_byte_limit)
{
	u8 buf[40];

	PREFIXED(0x66, 14, 15, 0xf4);
	PREFIXED(0x66, 15, -1, 0xf4);
	PREFIXED(0x2e, 13, 15, 0x0f, 0xa2);
	PREFIXED(0x2e, 14, -1, 0x0f, 0xa2);
	PREFIXED(0xf3, 12, 15, 0x0f, 0x01, 0xd8);
	PREFIXED(0xf3, 13, -1, 0x0f, 0x01, 0xd8);
	PREFIXED(0x67, 12, 15, 0x0f, 0x23, 0xc0);
	PREFIXED(0x67, 13, -1, 0x0f, 0x23, 0xc0);
	PREFIXED(0x66, 30, -1, 0xf4);
	/* 14 prefixes with REX last: 15 bytes in 64-bit mode. */
	memset(buf, 0x66, 13);
	buf[13] = 0x48;
	buf[14] = 0xf4;
	check_len(__FILE__, __LINE__, buf, 15, -1, 15);
	/* Fifteen REX bytes are prefixes only in 64-bit mode. */
	memset(buf, 0x40, 15);
	buf[15] = 0xf4;
	check_len(__FILE__, __LINE__, buf, 16, -1, -1);
	check_len(__FILE__, __LINE__, buf + 1, 15, -1, 15);
}

TEST(insn_len_unknown_opcodes)
{
	LEN2(-1, 0x90);				/* NOP */
	LEN2(-1, 0xcc);				/* INT3 */
	LEN2(-1, 0xec);				/* IN AL, DX */
	LEN2(-1, 0x0f, 0x05);			/* SYSCALL */
	LEN2(-1, 0x0f, 0x0b);			/* UD2 */
	LEN2(-1, 0x0f, 0x34);			/* SYSENTER */
	LEN2(-1, 0x0f, 0xa3, 0xc0);		/* BT */
	/* Memory forms of the 0F 01 group are not intercepted here. */
	LEN2(-1, 0x0f, 0x01, 0x38);		/* INVLPG [EAX] */
	LEN2(-1, 0x0f, 0x01, 0x78, 0x00);	/* INVLPG [EAX+0] */
	LEN2(-1, 0x0f, 0x01, 0xb8, 0, 0, 0, 0);	/* INVLPG [EAX+d32] */
	LEN2(-1, 0x0f, 0x01, 0x10);		/* LGDT [EAX] */
	LEN2(-1, 0x66, 0x90);
	LEN2(-1, 0x0f, 0x0f, 0xa2);
}

static void check_prefixes(const char *file, int line, const u8 *b, int n,
			   bool l64, int want_ret, int want_seg,
			   const char *want_flags, u8 want_rex)
{
	struct kvmod_prefixes p;
	u8 *buf = dup_bytes(b, n);
	int ret = kvmod_insn_prefixes(buf, n, l64, &p);
	char flags[8];
	int i = 0;

	if (p.opsize)
		flags[i++] = 'o';
	if (p.addrsize)
		flags[i++] = 'a';
	if (p.rep)
		flags[i++] = 'r';
	if (p.repne)
		flags[i++] = 'n';
	if (p.lock)
		flags[i++] = 'l';
	flags[i] = 0;
	if (ret != want_ret)
		unit_fail(file, line, "return: got %d, want %d", ret,
			  want_ret);
	if (p.len != (want_ret < 0 ? 0 : want_ret))
		unit_fail(file, line, "len: got %d, want %d", p.len,
			  want_ret < 0 ? 0 : want_ret);
	if (p.seg != want_seg)
		unit_fail(file, line, "seg: got %d, want %d", p.seg,
			  want_seg);
	if (strcmp(flags, want_flags))
		unit_fail(file, line, "flags: got \"%s\", want \"%s\"",
			  flags, want_flags);
	if (p.rex != want_rex)
		unit_fail(file, line, "rex: got 0x%x, want 0x%x", p.rex,
			  want_rex);
	free(buf);
}

/*
 * PFX(long64, return, seg, flags, rex, bytes...); flags: o = 66,
 * a = 67, r = rep (f3), n = repne (f2), l = lock, in that order.
 */
#define PFX(l64, ret, seg, flags, rex, ...)				\
	check_prefixes(__FILE__, __LINE__, BYTES(__VA_ARGS__),		\
		       NBYTES(__VA_ARGS__), l64, ret, seg, flags, rex)

#define NONE	KVMOD_SEG_NONE

TEST(insn_prefixes_decode)
{
	PFX(false, 0, NONE, "", 0, 0xf4);
	PFX(true, 0, NONE, "", 0, 0x0f, 0xa2);
	PFX(false, 1, KVMOD_SEG_ES, "", 0, 0x26, 0xf4);
	PFX(false, 1, KVMOD_SEG_CS, "", 0, 0x2e, 0xf4);
	PFX(false, 1, KVMOD_SEG_SS, "", 0, 0x36, 0xf4);
	PFX(false, 1, KVMOD_SEG_DS, "", 0, 0x3e, 0xf4);
	PFX(false, 1, KVMOD_SEG_FS, "", 0, 0x64, 0xf4);
	PFX(false, 1, KVMOD_SEG_GS, "", 0, 0x65, 0xf4);
	PFX(false, 1, NONE, "o", 0, 0x66, 0xf4);
	PFX(false, 1, NONE, "a", 0, 0x67, 0xf4);
	PFX(false, 1, NONE, "r", 0, 0xf3, 0xf4);
	PFX(false, 1, NONE, "n", 0, 0xf2, 0xf4);
	PFX(false, 1, NONE, "l", 0, 0xf0, 0xf4);
	PFX(true, 6, KVMOD_SEG_GS, "oarl", 0,
	    0xf0, 0x66, 0x65, 0x67, 0xf2, 0xf3, 0x0f, 0x01, 0xd9);
}

TEST(insn_prefixes_last_wins)
{
	PFX(false, 3, KVMOD_SEG_FS, "", 0, 0x26, 0x2e, 0x64, 0xf4);
	PFX(false, 2, KVMOD_SEG_ES, "", 0, 0x65, 0x26, 0xf4);
	PFX(true, 3, KVMOD_SEG_DS, "o", 0, 0x2e, 0x66, 0x3e, 0xf4);
	/* F2 and F3: the later one wins. */
	PFX(false, 2, NONE, "r", 0, 0xf2, 0xf3, 0xf4);
	PFX(false, 2, NONE, "n", 0, 0xf3, 0xf2, 0xf4);
	PFX(false, 3, NONE, "r", 0, 0xf3, 0xf2, 0xf3, 0xf4);
	/* REX: only directly before the opcode, the last one counts. */
	PFX(true, 2, NONE, "o", 0x48, 0x66, 0x48, 0xf4);
	PFX(true, 2, NONE, "o", 0, 0x48, 0x66, 0xf4);
	PFX(true, 2, NONE, "", 0x41, 0x48, 0x41, 0x0f, 0xa2);
	PFX(true, 3, KVMOD_SEG_FS, "", 0x4c, 0x41, 0x64, 0x4c, 0xf4);
	/* In 32-bit mode 0x48 is DEC EAX: the opcode. */
	PFX(false, 0, NONE, "", 0, 0x48, 0x0f, 0xa2);
	PFX(false, 1, NONE, "o", 0, 0x66, 0x41, 0xf4);
}

TEST(insn_prefixes_no_opcode)
{
	u8 buf[20];

	PFX(false, -1, KVMOD_SEG_CS, "o", 0, 0x66, 0x2e);
	PFX(true, -1, NONE, "", 0x48, 0x48);
	EXPECT_EQ(kvmod_insn_prefixes(buf, 0, true,
				      &(struct kvmod_prefixes){ 0 }), -1);
	/* The opcode must be among the first 15 bytes. */
	memset(buf, 0x3e, sizeof(buf));
	buf[14] = 0xf4;
	check_prefixes(__FILE__, __LINE__, buf, 20, false, 14, KVMOD_SEG_DS,
		       "", 0);
	buf[14] = 0x3e;
	buf[15] = 0xf4;
	check_prefixes(__FILE__, __LINE__, buf, 20, false, -1, KVMOD_SEG_DS,
		       "", 0);
}

typedef int (*mov_decoder_t)(const u8 *insn, int n, bool long64,
			     struct kvmod_mov_reg *m);

static void check_mov(const char *file, int line, mov_decoder_t decode,
		      const u8 *b, int n, bool l64, int want_ret, int reg,
		      int gpr, bool to_reg, int len)
{
	struct kvmod_mov_reg m = { -1, -1, false, -1 };
	u8 *buf = dup_bytes(b, n);
	int ret = decode(buf, n, l64, &m);

	free(buf);
	if (ret != want_ret) {
		unit_fail(file, line, "return: got %d, want %d", ret,
			  want_ret);
		return;
	}
	if (ret)
		return;
	if (m.reg != reg || m.gpr != gpr || m.to_reg != to_reg ||
	    m.len != len)
		unit_fail(file, line,
			  "got reg %d gpr %d to_reg %d len %d, want reg %d gpr %d to_reg %d len %d",
			  m.reg, m.gpr, m.to_reg, m.len, reg, gpr, to_reg, len);
}

/* MOVDR(long64, dr, gpr, to_dr, len, bytes...) for a valid decode. */
#define MOVDR(l64, dr, gpr, to_dr, len, ...)				\
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_dr,		\
		  BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), l64, 0, dr,	\
		  gpr, to_dr, len)
#define NOT_MOVDR(l64, ...)						\
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_dr,		\
		  BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), l64, -1, 0, 0, \
		  false, 0)

TEST(insn_mov_dr_decode)
{
	MOVDR(false, 1, 0, false, 3, 0x0f, 0x21, 0xc8);	/* MOV EAX, DR1 */
	MOVDR(false, 7, 1, true, 3, 0x0f, 0x23, 0xf9);	/* MOV DR7, ECX */
	MOVDR(false, 6, 3, false, 3, 0x0f, 0x21, 0xf3);	/* MOV EBX, DR6 */
	MOVDR(true, 0, 7, true, 3, 0x0f, 0x23, 0xc7);	/* MOV DR0, RDI */
	/* mod is ignored: always a register operand. */
	MOVDR(false, 1, 0, false, 3, 0x0f, 0x21, 0x08);
	MOVDR(false, 2, 5, true, 3, 0x0f, 0x23, 0x55);
	/* Prefixes; bytes after the instruction. */
	MOVDR(false, 3, 2, true, 5, 0x2e, 0x66, 0x0f, 0x23, 0xda);
	MOVDR(true, 7, 0, false, 3, 0x0f, 0x21, 0xf8, 0x90, 0x90);
}

TEST(insn_mov_dr_rex)
{
	MOVDR(true, 9, 0, false, 4, 0x44, 0x0f, 0x21, 0xc8);	/* REX.R */
	MOVDR(true, 1, 8, true, 4, 0x41, 0x0f, 0x23, 0xc8);	/* REX.B */
	MOVDR(true, 15, 15, true, 4, 0x45, 0x0f, 0x23, 0xff);
	MOVDR(true, 10, 11, false, 4, 0x4d, 0x0f, 0x21, 0xd3);	/* WRB */
	MOVDR(true, 7, 0, false, 4, 0x48, 0x0f, 0x21, 0xf8);	/* REX.W */
	MOVDR(true, 0, 0, false, 4, 0x42, 0x0f, 0x21, 0xc0);	/* REX.X */
	/* REX followed by a legacy prefix is void. */
	MOVDR(true, 1, 0, false, 5, 0x44, 0x66, 0x0f, 0x21, 0xc8);
	MOVDR(true, 1, 8, false, 5, 0x66, 0x41, 0x0f, 0x21, 0xc8);
	/* In 32-bit mode 0x44 is INC ESP. */
	NOT_MOVDR(false, 0x44, 0x0f, 0x21, 0xc8);
	NOT_MOVDR(false, 0x41, 0x0f, 0x23, 0xc8);
}

TEST(insn_mov_dr_rejects)
{
	u8 buf[20];

	NOT_MOVDR(false, 0x0f, 0x20, 0xc0);	/* MOV from CR0 */
	NOT_MOVDR(true, 0x0f, 0x22, 0xc0);	/* MOV to CR0 */
	NOT_MOVDR(false, 0x0f, 0xa2, 0x00);
	NOT_MOVDR(true, 0x90, 0x0f, 0x21, 0xc0);
	NOT_MOVDR(false, 0x0f, 0x21);		/* truncated */
	NOT_MOVDR(false, 0x0f);
	NOT_MOVDR(true, 0x66, 0x0f, 0x23);
	NOT_MOVDR(true, 0x48);
	/* 15-byte limit. */
	memset(buf, 0x66, 12);
	memcpy(buf + 12, BYTES(0x0f, 0x21, 0xc0), 3);
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_dr, buf, 15, true, 0, 0, 0,
		  false, 15);
	memset(buf, 0x66, 13);
	memcpy(buf + 13, BYTES(0x0f, 0x21, 0xc0), 3);
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_dr, buf, 16, true, -1, 0, 0,
		  false, 0);
}

#define MOVCR(l64, cr, gpr, to_cr, len, ...)				\
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_cr,		\
		  BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), l64, 0, cr,	\
		  gpr, to_cr, len)
#define NOT_MOVCR(l64, ...)						\
	check_mov(__FILE__, __LINE__, kvmod_insn_mov_cr,		\
		  BYTES(__VA_ARGS__), NBYTES(__VA_ARGS__), l64, -1, 0, 0, \
		  false, 0)

TEST(insn_mov_cr_decode)
{
	MOVCR(false, 0, 0, false, 3, 0x0f, 0x20, 0xc0);	/* MOV EAX, CR0 */
	MOVCR(false, 3, 1, true, 3, 0x0f, 0x22, 0xd9);	/* MOV CR3, ECX */
	MOVCR(true, 8, 0, true, 4, 0x44, 0x0f, 0x22, 0xc0);	/* CR8, RAX */
	MOVCR(true, 8, 9, false, 4, 0x45, 0x0f, 0x20, 0xc1);	/* R9, CR8 */
	/* LOCK MOV CR0 is CR8 outside 64-bit mode. */
	MOVCR(false, 8, 2, true, 4, 0xf0, 0x0f, 0x22, 0xc2);
	MOVCR(true, 4, 7, false, 3, 0x0f, 0x20, 0xe7);	/* MOV RDI, CR4 */
	NOT_MOVCR(false, 0x0f, 0x21, 0xc0);		/* a DR */
	NOT_MOVCR(false, 0x0f, 0x22);			/* truncated */
	NOT_MOVCR(true, 0x90, 0x0f, 0x22, 0xc0);
}
