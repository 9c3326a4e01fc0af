// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for core/insn_len.c.
 *
 * Input: a mode byte (bit 0: 64-bit code segment), then instruction
 * bytes; the bytes end exactly where libFuzzer's buffer ends, so any
 * read past n is caught by AddressSanitizer.
 *
 * Checks: kvmod_insn_prefixes() stops at a non-prefix byte within the
 * first 15; a length is -1 or 1..min(n, 15), lies past the prefixes, and
 * is found again from exactly that many bytes; REX only in 64-bit mode;
 * a MOV DR decode agrees with the length, has register numbers 0-15
 * (0-7 outside 64-bit mode) and the direction of its opcode.
 */
#include <stdio.h>
#include <stdlib.h>

#include "insn_len.h"
#include "fuzz_check.h"

static bool is_prefix(u8 b, bool long64)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return long64 && (b & 0xf0) == 0x40;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kvmod_prefixes p;
	struct kvmod_mov_reg m;
	const u8 *insn;
	bool long64;
	int n, op, len, ret, max, i;

	if (size < 1 || size > 64)
		return 0;
	long64 = data[0] & 1;
	insn = data + 1;
	n = size - 1;
	max = n < KVMOD_INSN_MAX ? n : KVMOD_INSN_MAX;

	op = kvmod_insn_prefixes(insn, n, long64, &p);
	CHECK(op >= -1 && op < max);
	CHECK(p.len == (op < 0 ? 0 : op));
	CHECK(p.seg >= KVMOD_SEG_NONE && p.seg <= KVMOD_SEG_GS);
	CHECK(!(p.rep && p.repne));
	CHECK(p.rex == 0 || (long64 && (p.rex & 0xf0) == 0x40));
	for (i = 0; i < (op < 0 ? max : op); i++)
		CHECK(is_prefix(insn[i], long64));
	if (op >= 0)
		CHECK(!is_prefix(insn[op], long64));

	len = kvmod_insn_len(insn, n, long64);
	CHECK(len == -1 || (len >= 1 && len <= max));
	if (len > 0) {
		CHECK(op >= 0 && len > op);
		CHECK(kvmod_insn_len(insn, len, long64) == len);
		CHECK(kvmod_insn_len(insn, len - 1, long64) == -1);
	}

	ret = kvmod_insn_mov_dr(insn, n, long64, &m);
	CHECK(ret == 0 || ret == -1);
	if (ret == 0) {
		CHECK(m.len == len);
		CHECK(insn[op] == 0x0f);
		CHECK(m.to_reg == (insn[op + 1] == 0x23));
		CHECK(m.reg >= 0 && m.reg < (long64 ? 16 : 8));
		CHECK(m.gpr >= 0 && m.gpr < (long64 ? 16 : 8));
	} else if (len > 0 && insn[op] == 0x0f) {
		CHECK(insn[op + 1] != 0x21 && insn[op + 1] != 0x23);
	}
	return 0;
}
