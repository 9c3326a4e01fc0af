// SPDX-License-Identifier: GPL-2.0
/*
 * Cross-check of core/emulate.c against the host CPU.
 *
 * Every 64-bit form the emulator knows is executed natively and emulated
 * from the same random state, and the two results must agree: the 16
 * general-purpose registers, the RFLAGS bits the instruction defines
 * (and DF), the memory around the operands and the 16 XMM registers.
 *
 * Native execution: the instruction is copied into an executable page,
 * between a prologue that loads the registers, RFLAGS and XMM0-15 from a
 * context and an epilogue that stores them back (native_stub.S). The
 * memory operand is [rbx] (the register operand DL/DH/DX/EDX/RDX or
 * XMM2/XMM10), string instructions use RSI/RDI/RCX; all of them point
 * into one buffer (the second half of that page), which the emulator's
 * callbacks see at the same linear addresses, in a copy. REP instructions
 * run to the end natively and one iteration per kvmod_emul_exec() call
 * emulated.
 *
 * Needs an x86-64 host that allows a writable and executable mapping;
 * otherwise the tests say so and pass without checking.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "emulate.h"
#include "native_stub.h"
#include "unit.h"

#if defined(__x86_64__)

/* The context the native stub loads and stores (its offsets are in asm). */
struct nctx {
	u64 regs[16];		/* 0: enum kvmod_gpr order; RSP is not used */
	u64 rflags;		/* 128 */
	u8 xmm[16][16];		/* 136 */
};

#define BUF_SIZE	1024
#define MEM_OFF		512	/* [rbx] in the middle of the buffer */
#define SRC_OFF		256	/* RSI of string instructions */
#define DST_OFF		768	/* RDI */

static u8 *page;		/* the stub, executable */
static bool native_ok;
static u8 *nbuf;		/* native memory: the second half of the page */
static u8 ebuf[BUF_SIZE];	/* the emulator's copy */
static u8 exmm[16][16];		/* the emulator's XMM registers */
static u64 seed = 0x6b766d6f64ULL;
static int mismatches;

static bool native_setup(void)
{
	static bool tried;

	if (tried)
		return native_ok;
	tried = true;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		printf("# no executable mapping: native cross-check skipped\n");
		return false;
	}
	memcpy(page, native_tpl, native_tpl_end - native_tpl);
	nbuf = page + 2048;
	native_ok = true;
	return true;
}

static void native_run(const u8 *insn, int len, struct nctx *c)
{
	u8 *slot = page + (native_slot - native_tpl);

	memset(slot, 0x90, 15);
	memcpy(slot, insn, len);
	__builtin___clear_cache((char *)page, (char *)page + 4096);
	((void (*)(struct nctx *))(void *)page)(c);
}

static u64 rnd(void)
{
	u64 z = (seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random operand value, often one at an edge of some operand size. */
static u64 rnd_val(void)
{
	static const u64 edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, ~0ULL, 0x0f, 0x10, 0xfffe,
	};
	u64 r = rnd();

	switch (r & 7) {
	case 0:
	case 1:
		return edges[(r >> 8) % KVMOD_ARRAY_SIZE(edges)];
	case 2:
		return (r >> 8) & 0x1f;
	default:
		return rnd();
	}
}

static int e_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	u64 off = gla - (u64)(unsigned long)nbuf;

	(void)ctx;
	if (off >= BUF_SIZE || len > BUF_SIZE - off)
		return -14;
	memcpy(buf, ebuf + off, len);
	return 0;
}

static int e_write(void *ctx, u64 gla, const void *buf, unsigned int len)
{
	u64 off = gla - (u64)(unsigned long)nbuf;

	(void)ctx;
	if (off >= BUF_SIZE || len > BUF_SIZE - off)
		return -14;
	memcpy(ebuf + off, buf, len);
	return 0;
}

static int e_get_xmm(void *ctx, unsigned int reg, u8 *val)
{
	(void)ctx;
	memcpy(val, exmm[reg & 15], 16);
	return 0;
}

static int e_put_xmm(void *ctx, unsigned int reg, const u8 *val)
{
	(void)ctx;
	memcpy(exmm[reg & 15], val, 16);
	return 0;
}

static const struct kvmod_emul_ops eops = {
	.read = e_read,
	.write = e_write,
	.get_xmm = e_get_xmm,
	.put_xmm = e_put_xmm,
};

/* Details of the first mismatches only. */
#define NPRINT(...)							\
	do {								\
		if (mismatches < 20)					\
			printf(__VA_ARGS__);				\
	} while (0)

static void dump(const char *what, const u8 *b, int n)
{
	int i;

	printf("#     %s:", what);
	for (i = 0; i < n; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

/*
 * Run @b natively and emulated from @in and @mem; @undef: RFLAGS bits the
 * instruction leaves undefined. Return whether the results agree.
 */
static bool check_one(const char *name, const u8 *b, int n,
		      const struct nctx *in, u64 undef)
{
	struct kvmod_emul_state st = { 0 };
	struct kvmod_insn insn;
	struct nctx out = *in;
	u64 cmp = (KVMOD_FL_ARITH | KVMOD_FL_DF) & ~undef;
	bool ok = true;
	int i, ret;

	memcpy(ebuf, nbuf, BUF_SIZE);
	memcpy(exmm, in->xmm, sizeof(exmm));
	native_run(b, n, &out);

	ret = kvmod_emul_decode(b, n, KVMOD_CPU_LONG64, false, &insn);
	if (ret || insn.len != n) {
		NPRINT("#   %s: decode %d len %d\n", name, ret, insn.len);
		ok = false;
		goto report;
	}
	memcpy(st.regs, in->regs, sizeof(st.regs));
	st.rflags = in->rflags;
	st.rip = 0x1000;
	ret = KVMOD_EMUL_REP_MORE;
	for (i = 0; i < 64 && ret == KVMOD_EMUL_REP_MORE; i++)
		ret = kvmod_emul_exec(&insn, &st, &eops, NULL);
	if (ret != 0 && ret != KVMOD_EMUL_REP_END) {
		NPRINT("#   %s: exec %d after %d calls\n", name, ret, i);
		ok = false;
	}
	if (st.rip != 0x1000ULL + n) {
		NPRINT("#   %s: rip %#llx\n", name, (unsigned long long)st.rip);
		ok = false;
	}
	for (i = 0; i < 16; i++) {
		if (i != KVMOD_RSP && st.regs[i] != out.regs[i]) {
			NPRINT("#   %s: reg %d native %#llx emulated %#llx (in %#llx)\n",
			       name, i, (unsigned long long)out.regs[i],
			       (unsigned long long)st.regs[i],
			       (unsigned long long)in->regs[i]);
			ok = false;
		}
	}
	if ((st.rflags ^ out.rflags) & cmp) {
		NPRINT("#   %s: rflags native %#llx emulated %#llx (in %#llx, compared %#llx)\n",
		       name, (unsigned long long)out.rflags,
		       (unsigned long long)st.rflags,
		       (unsigned long long)in->rflags,
		       (unsigned long long)cmp);
		ok = false;
	}
	if (memcmp(nbuf, ebuf, BUF_SIZE)) {
		for (i = 0; i < BUF_SIZE && nbuf[i] == ebuf[i]; i++)
			;
		NPRINT("#   %s: memory differs at buffer offset %d: native %02x emulated %02x\n",
		       name, i, nbuf[i], ebuf[i]);
		ok = false;
	}
	if (memcmp(out.xmm, exmm, sizeof(exmm))) {
		NPRINT("#   %s: XMM registers differ\n", name);
		ok = false;
	}
report:
	if (!ok && mismatches < 20)
		dump("instruction", b, n);
	if (!ok && ++mismatches == 20)
		printf("#   (further mismatches not shown)\n");
	return ok;
}

/* Random registers, flags and XMM, memory from @fill(). */
static void rnd_state(struct nctx *c)
{
	int i;

	for (i = 0; i < 16; i++)
		c->regs[i] = rnd_val();
	c->regs[KVMOD_RSP] = 0;
	/* IF is set in user mode and cannot be changed by POPF */
	c->rflags = 0x202 | (rnd() & KVMOD_FL_ARITH);
	for (i = 0; i < 16; i++) {
		u64 v[2] = { rnd(), rnd() };

		memcpy(c->xmm[i], v, 16);
	}
	for (i = 0; i < BUF_SIZE; i += 8) {
		u64 v = (rnd() & 3) ? rnd() : rnd_val();

		memcpy(nbuf + i, &v, 8);
	}
}

static u64 buf_addr(unsigned int off)
{
	return (u64)(unsigned long)nbuf + off;
}

/* A form: its bytes (an immediate, if any, is filled in at random). */
struct form {
	const char *name;
	u8 b[15];
	u8 n;
	u8 imm;			/* bytes of immediate at the end of b */
	u64 undef;		/* undefined RFLAGS bits */
	u8 align;		/* [rbx] aligned to this (default 1..8 random) */
};

#define FORM(name, imm, undef, align, ...)				\
	{ name, { __VA_ARGS__ }, sizeof((u8[]){ __VA_ARGS__ }), imm,	\
	  undef, align }

#define NRUNS	300

static void run_forms(const struct form *f, size_t count,
		      void (*setup)(const struct form *, struct nctx *))
{
	struct nctx c;
	u8 b[15];
	size_t k;
	int i, j, n, fails = 0;

	if (!native_setup())
		return;
	for (k = 0; k < count; k++) {
		for (i = 0; i < NRUNS; i++) {
			rnd_state(&c);
			memcpy(b, f[k].b, f[k].n);
			n = f[k].n;
			for (j = 0; j < f[k].imm; j++)
				b[n - f[k].imm + j] = rnd_val() >> (8 * j);
			if (f[k].align)
				c.regs[KVMOD_RBX] = buf_addr(MEM_OFF);
			else
				c.regs[KVMOD_RBX] = buf_addr(MEM_OFF + (rnd() & 7));
			if (setup)
				setup(&f[k], &c);
			if (!check_one(f[k].name, b, n, &c, f[k].undef))
				fails++;
		}
	}
	if (fails)
		unit_fail(__FILE__, __LINE__, "%d of %zu runs differ", fails,
			  count * NRUNS);
}

#define AF	KVMOD_FL_AF
#define FL_BT_UNDEF	(KVMOD_FL_ARITH & ~KVMOD_FL_CF)

/* The eight ALU operations in every form and size. */
TEST(native_alu)
{
	static const char *const names[8] = {
		"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp",
	};
	static const u8 pfx[3] = { 0, 0x66, 0x48 };
	struct form f[8 * 16];
	size_t n = 0;
	int op, p, d;

	for (op = 0; op < 8; op++) {
		u64 undef = (op == 1 || op == 4 || op == 6) ? AF : 0;

		/* r/m8,r8 / r8,r/m8 with DL and DH */
		for (d = 0; d < 2; d++) {
			f[n++] = (struct form)FORM(names[op], 0, undef, 0,
						   op * 8 + 2 * d, 0x13);
			f[n++] = (struct form)FORM(names[op], 0, undef, 0,
						   op * 8 + 2 * d, 0x33);
		}
		/* r/m,r and r,r/m in 16, 32 and 64 bits */
		for (p = 0; p < 3; p++) {
			for (d = 0; d < 2; d++) {
				struct form *x = &f[n++];

				*x = (struct form)FORM(names[op], 0, undef, 0,
						       0);
				x->n = 0;
				if (pfx[p])
					x->b[x->n++] = pfx[p];
				x->b[x->n++] = op * 8 + 1 + 2 * d;
				x->b[x->n++] = 0x13;
			}
		}
	}
	run_forms(f, n, NULL);

	/* immediates: 80, 81 (16/32/64), 83 (16/32/64) */
	n = 0;
	for (op = 0; op < 8; op++) {
		u64 undef = (op == 1 || op == 4 || op == 6) ? AF : 0;
		u8 modrm = 0x03 | op << 3;

		f[n++] = (struct form)FORM(names[op], 1, undef, 0,
					   0x80, modrm, 0);
		f[n++] = (struct form)FORM(names[op], 2, undef, 0,
					   0x66, 0x81, modrm, 0, 0);
		f[n++] = (struct form)FORM(names[op], 4, undef, 0,
					   0x81, modrm, 0, 0, 0, 0);
		f[n++] = (struct form)FORM(names[op], 4, undef, 0,
					   0x48, 0x81, modrm, 0, 0, 0, 0);
		f[n++] = (struct form)FORM(names[op], 1, undef, 0,
					   0x66, 0x83, modrm, 0);
		f[n++] = (struct form)FORM(names[op], 1, undef, 0,
					   0x83, modrm, 0);
		f[n++] = (struct form)FORM(names[op], 1, undef, 0,
					   0x48, 0x83, modrm, 0);
	}
	run_forms(f, n, NULL);
}

/* LOCK-prefixed read-modify-write forms, aligned (no split locks). */
TEST(native_lock)
{
	static const struct form f[] = {
		FORM("lock add", 0, 0, 8, 0xf0, 0x01, 0x13),
		FORM("lock or", 0, AF, 8, 0xf0, 0x66, 0x09, 0x13),
		FORM("lock adc", 0, 0, 8, 0xf0, 0x48, 0x11, 0x13),
		FORM("lock sbb", 0, 0, 8, 0xf0, 0x18, 0x33),
		FORM("lock and", 1, AF, 8, 0xf0, 0x80, 0x23, 0),
		FORM("lock sub", 1, 0, 8, 0xf0, 0x48, 0x83, 0x2b, 0),
		FORM("lock xor", 4, AF, 8, 0xf0, 0x81, 0x33, 0, 0, 0, 0),
		FORM("lock not", 0, 0, 8, 0xf0, 0xf7, 0x13),
		FORM("lock neg", 0, 0, 8, 0xf0, 0x48, 0xf7, 0x1b),
		FORM("lock inc", 0, 0, 8, 0xf0, 0xfe, 0x03),
		FORM("lock dec", 0, 0, 8, 0xf0, 0x66, 0xff, 0x0b),
		FORM("lock xchg", 0, 0, 8, 0xf0, 0x87, 0x13),
		FORM("lock bts", 1, FL_BT_UNDEF, 8,
		     0xf0, 0x0f, 0xba, 0x2b, 0),
		FORM("lock btr", 1, FL_BT_UNDEF, 8,
		     0xf0, 0x48, 0x0f, 0xba, 0x33, 0),
		FORM("lock btc", 1, FL_BT_UNDEF, 8,
		     0xf0, 0x66, 0x0f, 0xba, 0x3b, 0),
		FORM("lock xadd", 0, 0, 8, 0xf0, 0x0f, 0xc1, 0x13),
		FORM("lock xadd b", 0, 0, 8, 0xf0, 0x0f, 0xc0, 0x33),
		FORM("lock cmpxchg", 0, 0, 8, 0xf0, 0x48, 0x0f, 0xb1, 0x13),
		FORM("lock cmpxchg8b", 0, 0, 8, 0xf0, 0x0f, 0xc7, 0x0b),
	};

	run_forms(f, KVMOD_ARRAY_SIZE(f), NULL);
}

/* TEST, XCHG, NOT, NEG, INC, DEC, MOV, MOVZX, MOVSX, MOVSXD. */
TEST(native_unary_mov)
{
	static const struct form f[] = {
		FORM("test", 0, AF, 0, 0x84, 0x13),
		FORM("test", 0, AF, 0, 0x84, 0x33),
		FORM("test", 0, AF, 0, 0x66, 0x85, 0x13),
		FORM("test", 0, AF, 0, 0x85, 0x13),
		FORM("test", 0, AF, 0, 0x48, 0x85, 0x13),
		FORM("test imm", 1, AF, 0, 0xf6, 0x03, 0),
		FORM("test imm", 1, AF, 0, 0xf6, 0x0b, 0),	/* /1 */
		FORM("test imm", 2, AF, 0, 0x66, 0xf7, 0x03, 0, 0),
		FORM("test imm", 4, AF, 0, 0xf7, 0x03, 0, 0, 0, 0),
		FORM("test imm", 4, AF, 0, 0x48, 0xf7, 0x03, 0, 0, 0, 0),
		FORM("xchg", 0, 0, 0, 0x86, 0x13),
		FORM("xchg", 0, 0, 0, 0x86, 0x33),
		FORM("xchg", 0, 0, 0, 0x66, 0x87, 0x13),
		FORM("xchg", 0, 0, 0, 0x87, 0x13),
		FORM("xchg", 0, 0, 0, 0x48, 0x87, 0x13),
		FORM("not", 0, 0, 0, 0xf6, 0x13),
		FORM("not", 0, 0, 0, 0x66, 0xf7, 0x13),
		FORM("not", 0, 0, 0, 0xf7, 0x13),
		FORM("not", 0, 0, 0, 0x48, 0xf7, 0x13),
		FORM("neg", 0, 0, 0, 0xf6, 0x1b),
		FORM("neg", 0, 0, 0, 0x66, 0xf7, 0x1b),
		FORM("neg", 0, 0, 0, 0xf7, 0x1b),
		FORM("neg", 0, 0, 0, 0x48, 0xf7, 0x1b),
		FORM("inc", 0, 0, 0, 0xfe, 0x03),
		FORM("inc", 0, 0, 0, 0x66, 0xff, 0x03),
		FORM("inc", 0, 0, 0, 0xff, 0x03),
		FORM("inc", 0, 0, 0, 0x48, 0xff, 0x03),
		FORM("dec", 0, 0, 0, 0xfe, 0x0b),
		FORM("dec", 0, 0, 0, 0x66, 0xff, 0x0b),
		FORM("dec", 0, 0, 0, 0xff, 0x0b),
		FORM("dec", 0, 0, 0, 0x48, 0xff, 0x0b),
		FORM("mov", 0, 0, 0, 0x88, 0x13),
		FORM("mov", 0, 0, 0, 0x88, 0x33),
		FORM("mov", 0, 0, 0, 0x40, 0x88, 0x33),	/* sil */
		FORM("mov", 0, 0, 0, 0x66, 0x89, 0x13),
		FORM("mov", 0, 0, 0, 0x89, 0x13),
		FORM("mov", 0, 0, 0, 0x4c, 0x89, 0x13),	/* r10 */
		FORM("mov", 0, 0, 0, 0x8a, 0x13),
		FORM("mov", 0, 0, 0, 0x8a, 0x33),
		FORM("mov", 0, 0, 0, 0x66, 0x8b, 0x13),
		FORM("mov", 0, 0, 0, 0x8b, 0x13),
		FORM("mov", 0, 0, 0, 0x48, 0x8b, 0x13),
		FORM("mov imm", 1, 0, 0, 0xc6, 0x03, 0),
		FORM("mov imm", 2, 0, 0, 0x66, 0xc7, 0x03, 0, 0),
		FORM("mov imm", 4, 0, 0, 0xc7, 0x03, 0, 0, 0, 0),
		FORM("mov imm", 4, 0, 0, 0x48, 0xc7, 0x03, 0, 0, 0, 0),
		FORM("mov disp", 1, 0, 0, 0x8b, 0x53, 0),
		FORM("movzx", 0, 0, 0, 0x0f, 0xb6, 0x13),
		FORM("movzx", 0, 0, 0, 0x66, 0x0f, 0xb6, 0x13),
		FORM("movzx", 0, 0, 0, 0x48, 0x0f, 0xb6, 0x13),
		FORM("movzx", 0, 0, 0, 0x0f, 0xb7, 0x13),
		FORM("movzx", 0, 0, 0, 0x48, 0x0f, 0xb7, 0x13),
		FORM("movsx", 0, 0, 0, 0x0f, 0xbe, 0x13),
		FORM("movsx", 0, 0, 0, 0x66, 0x0f, 0xbe, 0x13),
		FORM("movsx", 0, 0, 0, 0x48, 0x0f, 0xbe, 0x13),
		FORM("movsx", 0, 0, 0, 0x0f, 0xbf, 0x13),
		FORM("movsx", 0, 0, 0, 0x48, 0x0f, 0xbf, 0x13),
		FORM("movsxd", 0, 0, 0, 0x48, 0x63, 0x13),
		FORM("movsxd", 0, 0, 0, 0x63, 0x13),
	};

	run_forms(f, KVMOD_ARRAY_SIZE(f), NULL);
}

/* A register bit offset that keeps the access inside the buffer. */
static void small_rdx(const struct form *f, struct nctx *c)
{
	(void)f;
	c->regs[KVMOD_RDX] = (rnd() & 0x1ff) - 0x100;
	c->regs[KVMOD_RCX] = rnd() & 0x1f;	/* for [rbx+rcx*2] */
}

/* BT BTS BTR BTC with register and immediate bit offsets; SIB. */
TEST(native_bt)
{
	static const struct form f[] = {
		FORM("bt", 0, FL_BT_UNDEF, 0, 0x66, 0x0f, 0xa3, 0x13),
		FORM("bt", 0, FL_BT_UNDEF, 0, 0x0f, 0xa3, 0x13),
		FORM("bt", 0, FL_BT_UNDEF, 0, 0x48, 0x0f, 0xa3, 0x13),
		FORM("bts", 0, FL_BT_UNDEF, 0, 0x66, 0x0f, 0xab, 0x13),
		FORM("bts", 0, FL_BT_UNDEF, 0, 0x0f, 0xab, 0x13),
		FORM("btr", 0, FL_BT_UNDEF, 0, 0x0f, 0xb3, 0x13),
		FORM("btr", 0, FL_BT_UNDEF, 0, 0x48, 0x0f, 0xb3, 0x13),
		FORM("btc", 0, FL_BT_UNDEF, 0, 0x66, 0x0f, 0xbb, 0x13),
		FORM("btc", 0, FL_BT_UNDEF, 0, 0x48, 0x0f, 0xbb, 0x13),
		FORM("bt imm", 1, FL_BT_UNDEF, 0, 0x0f, 0xba, 0x23, 0),
		FORM("bts imm", 1, FL_BT_UNDEF, 0,
		     0x66, 0x0f, 0xba, 0x2b, 0),
		FORM("btr imm", 1, FL_BT_UNDEF, 0,
		     0x48, 0x0f, 0xba, 0x33, 0),
		FORM("btc imm", 1, FL_BT_UNDEF, 0, 0x0f, 0xba, 0x3b, 0),
		FORM("mov sib", 0, 0, 0, 0x8b, 0x14, 0x4b),	/* [rbx+rcx*2] */
		FORM("add sib", 1, 0, 0, 0x01, 0x54, 0xcb, 0),
	};

	run_forms(f, KVMOD_ARRAY_SIZE(f), small_rdx);
}

/* Make the comparison of CMPXCHG and CMPXCHG8B succeed half the time. */
static void cmpxchg_equal(const struct form *f, struct nctx *c)
{
	u64 mem;

	(void)f;
	if (rnd() & 1)
		return;
	memcpy(&mem, nbuf + (c->regs[KVMOD_RBX] - buf_addr(0)), 8);
	c->regs[KVMOD_RAX] = (c->regs[KVMOD_RAX] & ~0xffffffffULL) |
			     (rnd() & 1 ? mem : (u32)mem);
	if (rnd() & 1)
		c->regs[KVMOD_RAX] = mem;
	c->regs[KVMOD_RDX] = (c->regs[KVMOD_RDX] & ~0xffffffffULL) |
			     (mem >> 32);
}

/* XADD, CMPXCHG and CMPXCHG8B of every size. */
TEST(native_xadd_cmpxchg)
{
	static const struct form f[] = {
		FORM("xadd", 0, 0, 0, 0x0f, 0xc0, 0x13),
		FORM("xadd", 0, 0, 0, 0x0f, 0xc0, 0x33),
		FORM("xadd", 0, 0, 0, 0x66, 0x0f, 0xc1, 0x13),
		FORM("xadd", 0, 0, 0, 0x0f, 0xc1, 0x13),
		FORM("xadd", 0, 0, 0, 0x48, 0x0f, 0xc1, 0x13),
		FORM("cmpxchg", 0, 0, 0, 0x0f, 0xb0, 0x13),
		FORM("cmpxchg", 0, 0, 0, 0x0f, 0xb0, 0x33),
		FORM("cmpxchg", 0, 0, 0, 0x40, 0x0f, 0xb0, 0x33),
		FORM("cmpxchg", 0, 0, 0, 0x66, 0x0f, 0xb1, 0x13),
		FORM("cmpxchg", 0, 0, 0, 0x0f, 0xb1, 0x13),
		FORM("cmpxchg", 0, 0, 0, 0x48, 0x0f, 0xb1, 0x13),
		FORM("cmpxchg", 0, 0, 0, 0x4c, 0x0f, 0xb1, 0x0b),
		FORM("cmpxchg8b", 0, 0, 0, 0x0f, 0xc7, 0x0b),
		FORM("cmpxchg8b", 0, 0, 0, 0x66, 0x0f, 0xc7, 0x0b),
	};

	run_forms(f, KVMOD_ARRAY_SIZE(f), cmpxchg_equal);
}

/*
 * String operands: RSI and RDI near the middle of their areas, a count of
 * 0-5, either direction, and destination data that often equals the
 * source, so that REPE and REPNE stop at different places.
 */
static void string_regs(const struct form *f, struct nctx *c)
{
	int i;

	(void)f;
	c->regs[KVMOD_RSI] = buf_addr(SRC_OFF + (rnd() & 15));
	c->regs[KVMOD_RDI] = buf_addr(DST_OFF + (rnd() & 15));
	c->regs[KVMOD_RCX] = rnd() % 6;
	if (rnd() & 1)
		c->rflags |= KVMOD_FL_DF;
	if (rnd() & 1) {
		memcpy(nbuf + DST_OFF - 64, nbuf + SRC_OFF - 64, 160);
		for (i = 0; i < 3; i++)
			nbuf[DST_OFF - 64 + rnd() % 160] ^= 1 << (rnd() & 7);
	}
	if (rnd() & 1)
		c->regs[KVMOD_RAX] = nbuf[DST_OFF + (rnd() & 31)] *
				     0x0101010101010101ULL;
}

TEST(native_string)
{
	static const u8 ops1[] = {
		0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	static const u8 reps[] = { 0, 0xf3, 0xf2 };
	static const u8 sizes[] = { 0, 0x66, 0x48 };
	struct form f[10 * 3 * 3];
	size_t n = 0, i, r, s;

	for (i = 0; i < KVMOD_ARRAY_SIZE(ops1); i++) {
		for (r = 0; r < 3; r++) {
			for (s = 0; s < 3; s++) {
				struct form *x = &f[n];

				if (!(ops1[i] & 1) && s)
					continue;
				*x = (struct form)FORM("string", 0, 0, 0, 0);
				x->n = 0;
				if (reps[r])
					x->b[x->n++] = reps[r];
				if (sizes[s])
					x->b[x->n++] = sizes[s];
				x->b[x->n++] = ops1[i];
				n++;
			}
		}
	}
	run_forms(f, n, string_regs);
}

/* The SSE moves with XMM2 and XMM10; [rbx] aligned for the aligned ones. */
TEST(native_sse)
{
	static const struct form f[] = {
		FORM("movups", 0, 0, 0, 0x0f, 0x10, 0x13),
		FORM("movups", 0, 0, 0, 0x0f, 0x11, 0x13),
		FORM("movupd", 0, 0, 0, 0x66, 0x0f, 0x10, 0x13),
		FORM("movupd", 0, 0, 0, 0x66, 0x44, 0x0f, 0x11, 0x13),
		FORM("movaps", 0, 0, 16, 0x0f, 0x28, 0x13),
		FORM("movaps", 0, 0, 16, 0x44, 0x0f, 0x29, 0x13),
		FORM("movapd", 0, 0, 16, 0x66, 0x0f, 0x28, 0x13),
		FORM("movapd", 0, 0, 16, 0x66, 0x0f, 0x29, 0x13),
		FORM("movntps", 0, 0, 16, 0x0f, 0x2b, 0x13),
		FORM("movntpd", 0, 0, 16, 0x66, 0x0f, 0x2b, 0x13),
		FORM("movdqa", 0, 0, 16, 0x66, 0x0f, 0x6f, 0x13),
		FORM("movdqa", 0, 0, 16, 0x66, 0x44, 0x0f, 0x7f, 0x13),
		FORM("movdqu", 0, 0, 0, 0xf3, 0x44, 0x0f, 0x6f, 0x13),
		FORM("movdqu", 0, 0, 0, 0xf3, 0x0f, 0x7f, 0x13),
		FORM("movdqu rex.w", 0, 0, 0, 0xf3, 0x48, 0x0f, 0x6f, 0x13),
		FORM("movntdq", 0, 0, 16, 0x66, 0x0f, 0xe7, 0x13),
	};

	run_forms(f, KVMOD_ARRAY_SIZE(f), NULL);
}

#else

TEST(native_cross_check)
{
	printf("# not an x86-64 host: native cross-check skipped\n");
}

#endif
