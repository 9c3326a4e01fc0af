// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for core/emulate.c.
 *
 * Input: a mode byte (bits 0-1: real, protected, 64-bit; bit 2: CS.D),
 * 8 bytes that seed the registers, then instruction bytes; these end
 * exactly where libFuzzer's buffer ends, so any read past n is caught by
 * AddressSanitizer. Guest memory is a 4 KiB page that every linear
 * address maps onto (an access crossing its end faults).
 *
 * Checks: a decode result is 0 or one of the three errors; a decoded
 * length is 1..min(n, 15), the same instruction decodes from exactly
 * that many bytes, and one byte fewer is "truncated"; the fields are in
 * range. Execution (up to 8 REP iterations) makes at most two reads (two
 * only for CMPS) and then at most one write per call, of 1, 2, 4 or 8
 * bytes (16 for the SSE moves, which also use XMM registers 0-15); it
 * changes no RFLAGS bit outside the six arithmetic ones; RIP moves past
 * the instruction exactly when it completes; and a run whose every read
 * first answers KVMOD_EMUL_RETRY (reads done before are answered again
 * from a log, as kvmod's MMIO code does) leaves the state, the XMM
 * registers and memory untouched on each retry and then ends exactly like
 * a run without retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"
#include "fuzz_check.h"

#define PAGE	4096u

struct fctx {
	u8 mem[PAGE];
	u8 xmm[16][16];
	int reads, writes;
	bool retry;		/* answer each new read with RETRY first */
	bool retried;
	/* reads done, answered again on the next call */
	int nlog, rpos;
	u64 log_gla[2];
	unsigned int log_len[2];
	u8 log_data[2][16];
};

static bool valid_len(unsigned int len)
{
	return len == 1 || len == 2 || len == 4 || len == 8 || len == 16;
}

static int f_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	struct fctx *f = ctx;
	unsigned int off = gla & (PAGE - 1);
	int i = f->rpos;

	CHECK(valid_len(len));
	CHECK(f->reads < 2 && f->writes == 0);
	f->reads++;
	if (i < f->nlog) {
		CHECK(f->log_gla[i] == gla && f->log_len[i] == len);
		memcpy(buf, f->log_data[i], len);
		f->rpos++;
		return 0;
	}
	if (off + len > PAGE)
		return -14;
	memcpy(buf, f->mem + off, len);
	if (f->retry) {
		/* as if it went to userspace: logged, then RETRY */
		f->log_gla[i] = gla;
		f->log_len[i] = len;
		memcpy(f->log_data[i], buf, len);
		f->nlog++;
		f->retried = true;
		return KVMOD_EMUL_RETRY;
	}
	return 0;
}

static int f_write(void *ctx, u64 gla, const void *buf, unsigned int len)
{
	struct fctx *f = ctx;
	unsigned int off = gla & (PAGE - 1);

	CHECK(valid_len(len));
	CHECK(f->writes == 0);
	f->writes++;
	if (off + len > PAGE)
		return -14;
	memcpy(f->mem + off, buf, len);
	return 0;
}

static int f_get_xmm(void *ctx, unsigned int reg, u8 *val)
{
	struct fctx *f = ctx;

	CHECK(reg < 16);
	memcpy(val, f->xmm[reg], 16);
	return 0;
}

static int f_put_xmm(void *ctx, unsigned int reg, const u8 *val)
{
	struct fctx *f = ctx;

	CHECK(reg < 16);
	CHECK(f->reads == 1 && f->writes == 0);
	memcpy(f->xmm[reg], val, 16);
	return 0;
}

static const struct kvmod_emul_ops fops = {
	.read = f_read,
	.write = f_write,
	.get_xmm = f_get_xmm,
	.put_xmm = f_put_xmm,
};

static u64 splitmix(u64 *s)
{
	u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool same_insn(const struct kvmod_insn *a, const struct kvmod_insn *b)
{
	return a->len == b->len && a->op == b->op && a->mode == b->mode &&
	       a->opsize == b->opsize && a->memsize == b->memsize &&
	       a->addrsize == b->addrsize && a->seg == b->seg &&
	       a->reg == b->reg && a->reg_high8 == b->reg_high8 &&
	       a->base == b->base && a->index == b->index &&
	       a->scale == b->scale && a->rip_rel == b->rip_rel &&
	       a->disp == b->disp && a->imm == b->imm &&
	       a->has_imm == b->has_imm && a->mem_dst == b->mem_dst &&
	       a->rep == b->rep && a->repne == b->repne &&
	       a->lock == b->lock && a->aligned == b->aligned;
}

static void check_fields(const struct kvmod_insn *in, int n)
{
	int max = n < KVMOD_INSN_MAX ? n : KVMOD_INSN_MAX;

	CHECK(in->len >= 1 && in->len <= max);
	CHECK(in->op > KVMOD_EMUL_OP_NONE && in->op < KVMOD_EMUL_NR_OPS);
	CHECK(valid_len(in->opsize) && valid_len(in->memsize));
	CHECK(in->memsize <= in->opsize);
	CHECK((in->opsize == 16) == (in->op == KVMOD_EMUL_OP_MOV_SSE));
	CHECK(!in->aligned || in->op == KVMOD_EMUL_OP_MOV_SSE);
	CHECK(!in->repne || in->rep);
	CHECK(in->addrsize == 2 || in->addrsize == 4 || in->addrsize == 8);
	CHECK((in->addrsize == 8) == (in->mode == KVMOD_CPU_LONG64) ||
	      in->addrsize == 4);
	CHECK(in->opsize != 8 || in->mode == KVMOD_CPU_LONG64 ||
	      in->op == KVMOD_EMUL_OP_CMPXCHG8B);
	CHECK(in->seg >= KVMOD_SEG_ES && in->seg <= KVMOD_SEG_GS);
	CHECK(in->reg >= -1 && in->reg <= 15);
	CHECK(in->base >= -1 && in->base <= 15);
	CHECK(in->index >= -1 && in->index <= 15 && in->index != KVMOD_RSP);
	CHECK(in->scale == 1 || in->scale == 2 || in->scale == 4 ||
	      in->scale == 8);
	CHECK(!in->reg_high8 || (in->reg >= 4 && in->reg <= 7 && !in->rex));
	CHECK(!in->rip_rel || in->mode == KVMOD_CPU_LONG64);
	if (in->mode != KVMOD_CPU_LONG64)
		CHECK(in->reg <= 7 && in->base <= 7 && in->index <= 7);
}

static u64 next_rip(const struct kvmod_insn *in, u64 rip)
{
	rip += in->len;
	return in->mode == KVMOD_CPU_LONG64 ? rip : (u32)rip;
}

/* What every call must leave behind. */
static void check_after(const struct kvmod_insn *in, int ret,
			const struct kvmod_emul_state *old,
			const struct kvmod_emul_state *st)
{
	CHECK(ret == 0 || ret == KVMOD_EMUL_REP_MORE ||
	      ret == KVMOD_EMUL_REP_END || ret == -14 ||
	      ret == -KVMOD_EMUL_E_ALIGN);
	CHECK(ret != KVMOD_EMUL_REP_END || in->rep);
	CHECK(ret != -KVMOD_EMUL_E_ALIGN || in->aligned);
	if (ret < 0) {
		CHECK(!memcmp(old, st, sizeof(*st)));
		return;
	}
	CHECK(!((old->rflags ^ st->rflags) & ~KVMOD_FL_ARITH));
	CHECK(!memcmp(old->seg_base, st->seg_base, sizeof(st->seg_base)));
	if (ret == KVMOD_EMUL_REP_MORE) {
		CHECK(in->rep);
		CHECK(st->rip == old->rip);
	} else {
		CHECK(st->rip == next_rip(in, old->rip));
	}
}

static struct fctx fa, fb;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kvmod_emul_state sa, sb, old;
	struct kvmod_insn in, again;
	enum kvmod_cpu_mode mode;
	u8 xmm_old[16][16];
	const u8 *bytes;
	int n, ret, rb, i, k;
	u64 seed;
	bool d;

	if (size < 9 || size > 9 + 32)
		return 0;
	mode = (data[0] & 3) == 3 ? KVMOD_CPU_LONG64 : data[0] & 3;
	d = data[0] & 4;
	memcpy(&seed, data + 1, 8);
	bytes = data + 9;
	n = size - 9;

	ret = kvmod_emul_decode(bytes, n, mode, d, &in);
	CHECK(ret == 0 || ret == -KVMOD_EMUL_E_TRUNC ||
	      ret == -KVMOD_EMUL_E_UNSUPPORTED ||
	      ret == -KVMOD_EMUL_E_INVALID);
	if (ret == -KVMOD_EMUL_E_TRUNC)
		CHECK(n < KVMOD_INSN_MAX);
	if (ret)
		return 0;
	check_fields(&in, n);
	CHECK(kvmod_emul_decode(bytes, in.len, mode, d, &again) == 0);
	CHECK(same_insn(&in, &again));
	CHECK(kvmod_emul_decode(bytes, in.len - 1, mode, d, &again) ==
	      -KVMOD_EMUL_E_TRUNC);

	/* The state: random registers with a small count in RCX. */
	memset(&sa, 0, sizeof(sa));
	for (i = 0; i < 16; i++)
		sa.regs[i] = splitmix(&seed);
	sa.regs[KVMOD_RCX] &= 7;
	sa.rip = splitmix(&seed);
	if (mode != KVMOD_CPU_LONG64)
		sa.rip = (u32)sa.rip;
	sa.rflags = 2 | (splitmix(&seed) & (KVMOD_FL_ARITH | KVMOD_FL_DF));
	for (i = 0; i < 6; i++)
		sa.seg_base[i] = splitmix(&seed);
	sb = sa;
	for (i = 0; i < (int)PAGE; i += 8) {
		u64 v = splitmix(&seed);

		memcpy(fa.mem + i, &v, 8);
	}
	memcpy(fb.mem, fa.mem, PAGE);
	for (i = 0; i < 32; i++) {
		u64 v = splitmix(&seed);

		memcpy(&fa.xmm[i / 2][(i & 1) * 8], &v, 8);
	}
	memcpy(fb.xmm, fa.xmm, sizeof(fa.xmm));

	(void)kvmod_emul_ea(&in, sa.regs, sa.rip + in.len);

	for (i = 0; i < 8; i++) {
		/* reference run */
		old = sa;
		fa.reads = 0;
		fa.writes = 0;
		fa.retry = false;
		fa.nlog = 0;
		fa.rpos = 0;
		ret = kvmod_emul_exec(&in, &sa, &fops, &fa);
		check_after(&in, ret, &old, &sa);

		/* the same, with each new read answered by RETRY first */
		old = sb;
		memcpy(xmm_old, fb.xmm, sizeof(xmm_old));
		fb.retry = true;
		fb.nlog = 0;
		for (k = 0; k < 3; k++) {
			fb.reads = 0;
			fb.writes = 0;
			fb.rpos = 0;
			fb.retried = false;
			rb = kvmod_emul_exec(&in, &sb, &fops, &fb);
			if (!fb.retried)
				break;
			CHECK(rb == KVMOD_EMUL_RETRY);
			CHECK(fb.writes == 0);
			CHECK(!memcmp(&old, &sb, sizeof(sb)));
			CHECK(!memcmp(xmm_old, fb.xmm, sizeof(xmm_old)));
		}
		CHECK(!fb.retried);
		CHECK(rb == ret);
		CHECK(!memcmp(&sa, &sb, sizeof(sa)));
		CHECK(!memcmp(fa.mem, fb.mem, PAGE));
		CHECK(!memcmp(fa.xmm, fb.xmm, sizeof(fa.xmm)));
		CHECK(fa.reads == fb.reads && fa.writes == fb.writes);
		if (ret != KVMOD_EMUL_REP_MORE)
			break;
		CHECK(sa.regs[KVMOD_RCX] != old.regs[KVMOD_RCX]);
	}
	return 0;
}
