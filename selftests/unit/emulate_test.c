// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for core/emulate.c.
 *
 * Guest linear memory is a fake 64 KiB RAM at MEM_BASE, plus an MMIO
 * window at MMIO_BASE whose reads answer KVMOD_EMUL_RETRY until the test
 * supplies the data; XMM registers are an array. Every expected value
 * below was worked out by hand from the instruction-set reference
 * (operand sizes, sign and zero extension, carry/overflow/adjust/parity
 * rules); emulate_native_test.c checks the same forms against the CPU.
 */
#include <stdio.h>
#include <string.h>

#include "emulate.h"
#include "unit.h"

#define MEM_BASE	0x10000ULL
#define MEM_SIZE	0x10000u
#define MMIO_BASE	0xfed00000ULL
#define MMIO_SIZE	0x1000u
#define RIP0		0x1000ULL

#define EFAULT_	(-14)

/* RFLAGS bits, short */
#define R1	0x2ULL			/* the always-one bit */
#define FC	KVMOD_FL_CF
#define FP	KVMOD_FL_PF
#define FA	KVMOD_FL_AF
#define FZ	KVMOD_FL_ZF
#define FS	KVMOD_FL_SF
#define FD	KVMOD_FL_DF
#define FO	KVMOD_FL_OF
#define FI	0x200ULL		/* IF, never touched */

#define L64	KVMOD_CPU_LONG64
#define PROT	KVMOD_CPU_PROT
#define REAL	KVMOD_CPU_REAL

#define NO	(-1)
#define ES	KVMOD_SEG_ES
#define CS	KVMOD_SEG_CS
#define SS	KVMOD_SEG_SS
#define DS	KVMOD_SEG_DS
#define FSEG	KVMOD_SEG_FS
#define GS	KVMOD_SEG_GS

#define RAX	KVMOD_RAX
#define RCX	KVMOD_RCX
#define RDX	KVMOD_RDX
#define RBX	KVMOD_RBX
#define RSP	KVMOD_RSP
#define RBP	KVMOD_RBP
#define RSI	KVMOD_RSI
#define RDI	KVMOD_RDI

#define OP(x)	KVMOD_EMUL_OP_##x

#define E_TRUNC	(-KVMOD_EMUL_E_TRUNC)
#define E_UNSUP	(-KVMOD_EMUL_E_UNSUPPORTED)
#define E_INVAL	(-KVMOD_EMUL_E_INVALID)

/* ------------------------------------------------------------------ */
/* Fake guest memory and access log                                    */

struct access {
	bool write;
	u64 gla;
	unsigned int len;
	u64 val;		/* data written or read (the low 8 bytes) */
	int ret;
};

static struct {
	u8 ram[MEM_SIZE];
	struct access log[16];
	int nlog;
	int reads, writes;	/* successful ones */
	/* MMIO read completion, as userspace would supply it */
	bool mmio_ready;
	u64 mmio_data;
	u8 mmio_hi[8];		/* bytes 8-15 of a 16-byte read */
	u64 mmio_addr;
	unsigned int mmio_len;
	int mmio_exits;
	int write_ret;		/* forced result of the write callback */
	u8 wdata[16];		/* the data of the last write */
	u8 xmm[16][16];
	int xmm_gets, xmm_puts;
} m;

static struct kvmod_insn insn;
static struct kvmod_emul_state st;

static bool in_ram(u64 gla, unsigned int len)
{
	return gla >= MEM_BASE && gla - MEM_BASE <= MEM_SIZE - len;
}

static bool in_mmio(u64 gla)
{
	return gla >= MMIO_BASE && gla - MMIO_BASE < MMIO_SIZE;
}

static u64 le(const void *buf, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, buf, len);
	return v;
}

static void log_access(bool write, u64 gla, unsigned int len, u64 val,
		       int ret)
{
	if (m.nlog < (int)ARRAY_SIZE(m.log))
		m.log[m.nlog++] = (struct access){ write, gla, len, val, ret };
}

static int t_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	int ret = 0;

	(void)ctx;
	if (len != 1 && len != 2 && len != 4 && len != 8 && len != 16) {
		ret = -22;
	} else if (in_mmio(gla)) {
		if (!m.mmio_ready) {
			m.mmio_addr = gla;
			m.mmio_len = len;
			m.mmio_exits++;
			ret = KVMOD_EMUL_RETRY;
		} else if (gla != m.mmio_addr || len != m.mmio_len) {
			ret = -5;
		} else {
			memcpy(buf, &m.mmio_data, len < 8 ? len : 8);
			if (len == 16)
				memcpy((u8 *)buf + 8, m.mmio_hi, 8);
			m.mmio_ready = false;
		}
	} else if (!in_ram(gla, len)) {
		ret = EFAULT_;
	} else {
		memcpy(buf, m.ram + (gla - MEM_BASE), len);
	}
	if (!ret)
		m.reads++;
	log_access(false, gla, len, ret ? 0 : le(buf, len < 8 ? len : 8),
		   ret);
	return ret;
}

static int t_write(void *ctx, u64 gla, const void *buf, unsigned int len)
{
	int ret = m.write_ret;

	(void)ctx;
	if (ret)
		;
	else if (len != 1 && len != 2 && len != 4 && len != 8 && len != 16)
		ret = -22;
	else if (in_mmio(gla))
		;			/* recorded in the log only */
	else if (!in_ram(gla, len))
		ret = EFAULT_;
	else
		memcpy(m.ram + (gla - MEM_BASE), buf, len);
	if (!ret) {
		m.writes++;
		memcpy(m.wdata, buf, len);
	}
	log_access(true, gla, len, le(buf, len < 8 ? len : 8), ret);
	return ret;
}

static int t_get_xmm(void *ctx, unsigned int reg, u8 *val)
{
	(void)ctx;
	if (reg > 15)
		return -22;
	memcpy(val, m.xmm[reg], 16);
	m.xmm_gets++;
	return 0;
}

static int t_put_xmm(void *ctx, unsigned int reg, const u8 *val)
{
	(void)ctx;
	if (reg > 15)
		return -22;
	memcpy(m.xmm[reg], val, 16);
	m.xmm_puts++;
	return 0;
}

static const struct kvmod_emul_ops ops = {
	.read = t_read,
	.write = t_write,
	.get_xmm = t_get_xmm,
	.put_xmm = t_put_xmm,
};

static void reset(void)
{
	memset(&m, 0, sizeof(m));
	memset(&st, 0, sizeof(st));
	st.rip = RIP0;
	st.rflags = R1;
}

static void put(u64 gla, u64 val, unsigned int len)
{
	memcpy(m.ram + (gla - MEM_BASE), &val, len);
}

static u64 get(u64 gla, unsigned int len)
{
	u64 v = 0;

	memcpy(&v, m.ram + (gla - MEM_BASE), len);
	return v;
}

static void clear_log(void)
{
	m.nlog = 0;
	m.reads = 0;
	m.writes = 0;
}

static void expect_same_state(int line, const struct kvmod_emul_state *a)
{
	if (memcmp(a, &st, sizeof(st)))
		unit_fail(__FILE__, line, "state changed");
}

/* Decode @b (which must be exactly one instruction) and execute it once. */
static int run_at(int line, enum kvmod_cpu_mode mode, bool d, const u8 *b,
		  int n)
{
	int ret;

	clear_log();
	ret = kvmod_emul_decode(b, n, mode, d, &insn);
	if (ret) {
		unit_fail(__FILE__, line, "decode: %d", ret);
		return -1000;
	}
	if (insn.len != n)
		unit_fail(__FILE__, line, "len %d, want %d", insn.len, n);
	return kvmod_emul_exec(&insn, &st, &ops, NULL);
}

#define INSN(...)	((const u8[]){ __VA_ARGS__ })
#define INSN_LEN(...)	((int)sizeof(INSN(__VA_ARGS__)))
#define DECODE(mode, d, out, ...)					\
	kvmod_emul_decode(INSN(__VA_ARGS__), INSN_LEN(__VA_ARGS__), mode, d, out)
#define RUN(mode, d, ...)						\
	run_at(__LINE__, mode, d, INSN(__VA_ARGS__), INSN_LEN(__VA_ARGS__))
#define RUN64(...)	RUN(L64, false, __VA_ARGS__)
#define RUN32(...)	RUN(PROT, true, __VA_ARGS__)
#define RUN16(...)	RUN(REAL, false, __VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Decoding: every form, the fields it decodes to                      */

#define M_DST	0x01	/* mem_dst */
#define M_IMM	0x02	/* has_imm */
#define M_HI8	0x04	/* reg_high8 */
#define M_RIP	0x08	/* rip_rel */
#define M_REP	0x10
#define M_LOCK	0x20
#define M_REPNE	0x40
#define M_ALIGN	0x80

struct dcase {
	const char *what;
	u8 mode;
	bool d;
	u8 b[15];
	u8 n;
	u8 op, opsize, memsize, addrsize;
	s8 seg, reg, base, index;
	u8 scale;
	u64 disp, imm;
	u8 flags;
};

static const struct dcase dcases[] = {
	/* 64-bit mode: MOV, register forms */
	{ "mov [rbx],eax", L64, 0, {0x89, 0x03}, 2,
	  OP(MOV), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "mov [rbx],rax", L64, 0, {0x48, 0x89, 0x03}, 3,
	  OP(MOV), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "mov [rbx],ax", L64, 0, {0x66, 0x89, 0x03}, 3,
	  OP(MOV), 2, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "mov [rbx],ah", L64, 0, {0x88, 0x23}, 2,
	  OP(MOV), 1, 1, 8, DS, 4, RBX, NO, 1, 0, 0, M_DST | M_HI8 },
	{ "mov [rbx],spl", L64, 0, {0x40, 0x88, 0x23}, 3,
	  OP(MOV), 1, 1, 8, DS, 4, RBX, NO, 1, 0, 0, M_DST },
	{ "mov [rbx],r8b", L64, 0, {0x44, 0x88, 0x03}, 3,
	  OP(MOV), 1, 1, 8, DS, 8, RBX, NO, 1, 0, 0, M_DST },
	{ "rex.w 66: rex.w wins", L64, 0, {0x66, 0x48, 0x89, 0x03}, 4,
	  OP(MOV), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "rex before 66 is dropped", L64, 0, {0x48, 0x66, 0x89, 0x03}, 4,
	  OP(MOV), 2, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "mov eax,[rbx+0x10]", L64, 0, {0x8b, 0x43, 0x10}, 3,
	  OP(MOV), 4, 4, 8, DS, RAX, RBX, NO, 1, 0x10, 0, 0 },
	{ "mov al,[rbx-0x10]", L64, 0, {0x8a, 0x43, 0xf0}, 3,
	  OP(MOV), 1, 1, 8, DS, RAX, RBX, NO, 1, -16ULL, 0, 0 },
	{ "mov r9,[rsp+0x100]", L64, 0,
	  {0x4c, 0x8b, 0x8c, 0x24, 0x00, 0x01, 0x00, 0x00}, 8,
	  OP(MOV), 8, 8, 8, SS, 9, RSP, NO, 1, 0x100, 0, 0 },
	{ "mov eax,[rcx*4+0x1000]", L64, 0,
	  {0x8b, 0x04, 0x8d, 0x00, 0x10, 0x00, 0x00}, 7,
	  OP(MOV), 4, 4, 8, DS, RAX, NO, RCX, 4, 0x1000, 0, 0 },
	{ "mov eax,[rax+r12*8]", L64, 0, {0x42, 0x8b, 0x04, 0xe0}, 4,
	  OP(MOV), 4, 4, 8, DS, RAX, RAX, 12, 8, 0, 0, 0 },
	{ "mov eax,[rax] via sib", L64, 0, {0x8b, 0x04, 0x20}, 3,
	  OP(MOV), 4, 4, 8, DS, RAX, RAX, NO, 1, 0, 0, 0 },
	{ "mov eax,[r13+0]", L64, 0, {0x41, 0x8b, 0x45, 0x00}, 4,
	  OP(MOV), 4, 4, 8, DS, RAX, 13, NO, 1, 0, 0, 0 },
	{ "mov eax,[r12]", L64, 0, {0x41, 0x8b, 0x04, 0x24}, 4,
	  OP(MOV), 4, 4, 8, DS, RAX, 12, NO, 1, 0, 0, 0 },
	{ "mov eax,[r13*2+0x10]: sib base 101 mod 0", L64, 0,
	  {0x43, 0x8b, 0x04, 0x6d, 0x10, 0x00, 0x00, 0x00}, 8,
	  OP(MOV), 4, 4, 8, DS, RAX, NO, 13, 2, 0x10, 0, 0 },
	{ "mov eax,[rip+0x10]", L64, 0, {0x8b, 0x05, 0x10, 0, 0, 0}, 6,
	  OP(MOV), 4, 4, 8, DS, RAX, NO, NO, 1, 0x10, 0, M_RIP },
	{ "mov eax,[eip-4]", L64, 0,
	  {0x67, 0x8b, 0x05, 0xfc, 0xff, 0xff, 0xff}, 7,
	  OP(MOV), 4, 4, 4, DS, RAX, NO, NO, 1, -4ULL, 0, M_RIP },
	{ "mov eax,[ebx]", L64, 0, {0x67, 0x8b, 0x03}, 3,
	  OP(MOV), 4, 4, 4, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "mov eax,fs:[rbx]", L64, 0, {0x64, 0x8b, 0x03}, 3,
	  OP(MOV), 4, 4, 8, FSEG, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "ss: is a null prefix in 64-bit mode", L64, 0, {0x36, 0x8b, 0x03}, 3,
	  OP(MOV), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "ds: does not cancel fs: in 64-bit mode", L64, 0,
	  {0x64, 0x3e, 0x8b, 0x03}, 4,
	  OP(MOV), 4, 4, 8, FSEG, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "gs: then fs: gives fs:", L64, 0, {0x65, 0x64, 0x8b, 0x03}, 4,
	  OP(MOV), 4, 4, 8, FSEG, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "es: on [rbp] keeps the SS default in 64-bit mode", L64, 0,
	  {0x26, 0x8b, 0x45, 0x00}, 4,
	  OP(MOV), 4, 4, 8, SS, RAX, RBP, NO, 1, 0, 0, 0 },
	{ "p32: the last segment prefix wins", PROT, 1,
	  {0x64, 0x3e, 0x8b, 0x03}, 4,
	  OP(MOV), 4, 4, 4, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "mov rax,gs:[0x28]", L64, 0,
	  {0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00}, 9,
	  OP(MOV), 8, 8, 8, GS, RAX, NO, NO, 1, 0x28, 0, 0 },
	{ "mov r15,[rbp-8]", L64, 0, {0x4c, 0x8b, 0x7d, 0xf8}, 4,
	  OP(MOV), 8, 8, 8, SS, 15, RBP, NO, 1, -8ULL, 0, 0 },
	{ "mov rax,[rbx+0x12345678]", L64, 0,
	  {0x48, 0x8b, 0x83, 0x78, 0x56, 0x34, 0x12}, 7,
	  OP(MOV), 8, 8, 8, DS, RAX, RBX, NO, 1, 0x12345678, 0, 0 },
	{ "mov rax,[rbx-0x80000000]", L64, 0,
	  {0x48, 0x8b, 0x83, 0x00, 0x00, 0x00, 0x80}, 7,
	  OP(MOV), 8, 8, 8, DS, RAX, RBX, NO, 1, 0xffffffff80000000ULL, 0, 0 },

	/* MOV immediate and moffs */
	{ "mov dword [rbx],imm32", L64, 0,
	  {0xc7, 0x03, 0x78, 0x56, 0x34, 0x12}, 6,
	  OP(MOV), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 0x12345678, M_DST | M_IMM },
	{ "mov qword [rbx],-1", L64, 0,
	  {0x48, 0xc7, 0x03, 0xff, 0xff, 0xff, 0xff}, 7,
	  OP(MOV), 8, 8, 8, DS, NO, RBX, NO, 1, 0, -1ULL, M_DST | M_IMM },
	{ "mov word [rbx],imm16", L64, 0, {0x66, 0xc7, 0x03, 0x34, 0x12}, 5,
	  OP(MOV), 2, 2, 8, DS, NO, RBX, NO, 1, 0, 0x1234, M_DST | M_IMM },
	{ "mov byte [rbx],0x80", L64, 0, {0xc6, 0x03, 0x80}, 3,
	  OP(MOV), 1, 1, 8, DS, NO, RBX, NO, 1, 0, -128ULL, M_DST | M_IMM },
	{ "mov byte [rip+8],1", L64, 0,
	  {0xc6, 0x05, 0x08, 0x00, 0x00, 0x00, 0x01}, 7,
	  OP(MOV), 1, 1, 8, DS, NO, NO, NO, 1, 8, 1, M_DST | M_IMM | M_RIP },
	{ "mov eax,moffs64", L64, 0,
	  {0xa1, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, 9,
	  OP(MOV), 4, 4, 8, DS, RAX, NO, NO, 1, 0x1122334455667788ULL, 0, 0 },
	{ "mov al,moffs32", L64, 0, {0x67, 0xa0, 0x44, 0x33, 0x22, 0x11}, 6,
	  OP(MOV), 1, 1, 4, DS, RAX, NO, NO, 1, 0x11223344, 0, 0 },
	{ "mov moffs64,rax", L64, 0,
	  {0x48, 0xa3, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}, 10,
	  OP(MOV), 8, 8, 8, DS, RAX, NO, NO, 1, 0x0102030405060708ULL, 0,
	  M_DST },
	{ "mov gs:moffs64,al", L64, 0,
	  {0x65, 0xa2, 0x10, 0, 0, 0, 0, 0, 0, 0}, 10,
	  OP(MOV), 1, 1, 8, GS, RAX, NO, NO, 1, 0x10, 0, M_DST },

	/* MOVZX, MOVSX, MOVSXD */
	{ "movzx eax,byte [rbx]", L64, 0, {0x0f, 0xb6, 0x03}, 3,
	  OP(MOVZX), 4, 1, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movzx ax,byte [rbx]", L64, 0, {0x66, 0x0f, 0xb6, 0x03}, 4,
	  OP(MOVZX), 2, 1, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movzx rax,word [rbx]", L64, 0, {0x48, 0x0f, 0xb7, 0x03}, 4,
	  OP(MOVZX), 8, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movzx r10d,byte [rbx]", L64, 0, {0x44, 0x0f, 0xb6, 0x13}, 4,
	  OP(MOVZX), 4, 1, 8, DS, 10, RBX, NO, 1, 0, 0, 0 },
	{ "movsx eax,byte [rbx]", L64, 0, {0x0f, 0xbe, 0x03}, 3,
	  OP(MOVSX), 4, 1, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movsx rax,word [rbx]", L64, 0, {0x48, 0x0f, 0xbf, 0x03}, 4,
	  OP(MOVSX), 8, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movsxd rax,dword [rbx]", L64, 0, {0x48, 0x63, 0x03}, 3,
	  OP(MOVSX), 8, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "movsxd eax,dword [rbx]", L64, 0, {0x63, 0x03}, 2,
	  OP(MOVSX), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },

	/* string instructions */
	{ "movsb", L64, 0, {0xa4}, 1,
	  OP(MOVS), 1, 1, 8, DS, NO, NO, NO, 1, 0, 0, M_DST },
	{ "movsq", L64, 0, {0x48, 0xa5}, 2,
	  OP(MOVS), 8, 8, 8, DS, NO, NO, NO, 1, 0, 0, M_DST },
	{ "rep movsw", L64, 0, {0xf3, 0x66, 0xa5}, 3,
	  OP(MOVS), 2, 2, 8, DS, NO, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "repne movsd acts as rep", L64, 0, {0xf2, 0xa5}, 2,
	  OP(MOVS), 4, 4, 8, DS, NO, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "fs movsb", L64, 0, {0x64, 0xa4}, 2,
	  OP(MOVS), 1, 1, 8, FSEG, NO, NO, NO, 1, 0, 0, M_DST },
	{ "rep stosq", L64, 0, {0xf3, 0x48, 0xab}, 3,
	  OP(STOS), 8, 8, 8, ES, RAX, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "rep stosb a32", L64, 0, {0x67, 0xf3, 0xaa}, 3,
	  OP(STOS), 1, 1, 4, ES, RAX, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "fs stosb: no override", L64, 0, {0x64, 0xaa}, 2,
	  OP(STOS), 1, 1, 8, ES, RAX, NO, NO, 1, 0, 0, M_DST },
	{ "lodsb", L64, 0, {0xac}, 1,
	  OP(LODS), 1, 1, 8, DS, RAX, NO, NO, 1, 0, 0, 0 },
	{ "gs lodsd", L64, 0, {0x65, 0xad}, 2,
	  OP(LODS), 4, 4, 8, GS, RAX, NO, NO, 1, 0, 0, 0 },

	/* arithmetic and logic with a register */
	{ "add [rbx],eax", L64, 0, {0x01, 0x03}, 2,
	  OP(ADD), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "add eax,[rbx]", L64, 0, {0x03, 0x03}, 2,
	  OP(ADD), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "or [rbx],ah", L64, 0, {0x08, 0x23}, 2,
	  OP(OR), 1, 1, 8, DS, 4, RBX, NO, 1, 0, 0, M_DST | M_HI8 },
	{ "adc [rbx],rax", L64, 0, {0x48, 0x11, 0x03}, 3,
	  OP(ADC), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "sbb ax,[rbx]", L64, 0, {0x66, 0x1b, 0x03}, 3,
	  OP(SBB), 2, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "and [rbx],r9d", L64, 0, {0x44, 0x21, 0x0b}, 3,
	  OP(AND), 4, 4, 8, DS, 9, RBX, NO, 1, 0, 0, M_DST },
	{ "sub [rbx],esi", L64, 0, {0x29, 0x33}, 2,
	  OP(SUB), 4, 4, 8, DS, RSI, RBX, NO, 1, 0, 0, M_DST },
	{ "xor sil,[rbx]", L64, 0, {0x40, 0x32, 0x33}, 3,
	  OP(XOR), 1, 1, 8, DS, RSI, RBX, NO, 1, 0, 0, 0 },
	{ "xor dh,[rbx]", L64, 0, {0x32, 0x33}, 2,
	  OP(XOR), 1, 1, 8, DS, RSI, RBX, NO, 1, 0, 0, M_HI8 },
	{ "cmp [rbx],eax", L64, 0, {0x39, 0x03}, 2,
	  OP(CMP), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "cmp eax,[rbx]", L64, 0, {0x3b, 0x03}, 2,
	  OP(CMP), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, 0 },

	/* arithmetic and logic with an immediate */
	{ "add byte [rbx],1", L64, 0, {0x80, 0x03, 0x01}, 3,
	  OP(ADD), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "or byte [rbx],1", L64, 0, {0x80, 0x0b, 0x01}, 3,
	  OP(OR), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "adc byte [rbx],0x80", L64, 0, {0x80, 0x13, 0x80}, 3,
	  OP(ADC), 1, 1, 8, DS, NO, RBX, NO, 1, 0, -128ULL, M_DST | M_IMM },
	{ "sbb byte [rbx],1", L64, 0, {0x80, 0x1b, 0x01}, 3,
	  OP(SBB), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "and dword [rbx],0xff", L64, 0,
	  {0x81, 0x23, 0xff, 0x00, 0x00, 0x00}, 6,
	  OP(AND), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 0xff, M_DST | M_IMM },
	{ "sub dword [rbx],1", L64, 0, {0x83, 0x2b, 0x01}, 3,
	  OP(SUB), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "xor byte [rbx],1", L64, 0, {0x80, 0x33, 0x01}, 3,
	  OP(XOR), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "cmp qword [rbx],-1", L64, 0, {0x48, 0x83, 0x3b, 0xff}, 4,
	  OP(CMP), 8, 8, 8, DS, NO, RBX, NO, 1, 0, -1ULL, M_DST | M_IMM },
	{ "cmp qword [rbx],imm32 sign-extended", L64, 0,
	  {0x48, 0x81, 0x3b, 0x00, 0x00, 0x00, 0x80}, 7,
	  OP(CMP), 8, 8, 8, DS, NO, RBX, NO, 1, 0, 0xffffffff80000000ULL,
	  M_DST | M_IMM },
	{ "add word [rbx],0x1234", L64, 0, {0x66, 0x81, 0x03, 0x34, 0x12}, 5,
	  OP(ADD), 2, 2, 8, DS, NO, RBX, NO, 1, 0, 0x1234, M_DST | M_IMM },
	{ "lock add dword [rbx],1", L64, 0, {0xf0, 0x83, 0x03, 0x01}, 4,
	  OP(ADD), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 1,
	  M_DST | M_IMM | M_LOCK },

	/* TEST, XCHG, NOT, NEG, INC, DEC */
	{ "test [rbx],al", L64, 0, {0x84, 0x03}, 2,
	  OP(TEST), 1, 1, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "test [rbx],rax", L64, 0, {0x48, 0x85, 0x03}, 3,
	  OP(TEST), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "test dword [rbx],imm32", L64, 0,
	  {0xf7, 0x03, 0x78, 0x56, 0x34, 0x12}, 6,
	  OP(TEST), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 0x12345678,
	  M_DST | M_IMM },
	{ "test byte [rbx],1 (f6 /1)", L64, 0, {0xf6, 0x0b, 0x01}, 3,
	  OP(TEST), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "test word [rbx],imm16", L64, 0, {0x66, 0xf7, 0x03, 0x34, 0x12}, 5,
	  OP(TEST), 2, 2, 8, DS, NO, RBX, NO, 1, 0, 0x1234, M_DST | M_IMM },
	{ "xchg [rbx],al", L64, 0, {0x86, 0x03}, 2,
	  OP(XCHG), 1, 1, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "xchg [rbx],rax", L64, 0, {0x48, 0x87, 0x03}, 3,
	  OP(XCHG), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "lock xchg [rbx],r11w", L64, 0, {0xf0, 0x66, 0x44, 0x87, 0x1b}, 5,
	  OP(XCHG), 2, 2, 8, DS, 11, RBX, NO, 1, 0, 0, M_DST | M_LOCK },
	{ "not byte [rbx]", L64, 0, {0xf6, 0x13}, 2,
	  OP(NOT), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 0, M_DST },
	{ "neg dword [rbx]", L64, 0, {0xf7, 0x1b}, 2,
	  OP(NEG), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 0, M_DST },
	{ "inc byte [rbx]", L64, 0, {0xfe, 0x03}, 2,
	  OP(INC), 1, 1, 8, DS, NO, RBX, NO, 1, 0, 0, M_DST },
	{ "inc word [rbx]", L64, 0, {0x66, 0xff, 0x03}, 3,
	  OP(INC), 2, 2, 8, DS, NO, RBX, NO, 1, 0, 0, M_DST },
	{ "dec qword [rbx]", L64, 0, {0x48, 0xff, 0x0b}, 3,
	  OP(DEC), 8, 8, 8, DS, NO, RBX, NO, 1, 0, 0, M_DST },

	/* bit tests */
	{ "bt [rbx],eax", L64, 0, {0x0f, 0xa3, 0x03}, 3,
	  OP(BT), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "bts [rbx],rax", L64, 0, {0x48, 0x0f, 0xab, 0x03}, 4,
	  OP(BTS), 8, 8, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "btr [rbx],ax", L64, 0, {0x66, 0x0f, 0xb3, 0x03}, 4,
	  OP(BTR), 2, 2, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "btc [rbx],eax", L64, 0, {0x0f, 0xbb, 0x03}, 3,
	  OP(BTC), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "bt dword [rbx],5", L64, 0, {0x0f, 0xba, 0x23, 0x05}, 4,
	  OP(BT), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 5, M_DST | M_IMM },
	{ "bts dword [rbx],5", L64, 0, {0x0f, 0xba, 0x2b, 0x05}, 4,
	  OP(BTS), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 5, M_DST | M_IMM },
	{ "btr dword [rbx],5", L64, 0, {0x0f, 0xba, 0x33, 0x05}, 4,
	  OP(BTR), 4, 4, 8, DS, NO, RBX, NO, 1, 0, 5, M_DST | M_IMM },
	{ "btc qword [rbx],5", L64, 0, {0x48, 0x0f, 0xba, 0x3b, 0x05}, 5,
	  OP(BTC), 8, 8, 8, DS, NO, RBX, NO, 1, 0, 5, M_DST | M_IMM },
	{ "lock bts [rbx],eax", L64, 0, {0xf0, 0x0f, 0xab, 0x03}, 4,
	  OP(BTS), 4, 4, 8, DS, RAX, RBX, NO, 1, 0, 0, M_DST | M_LOCK },

	/* the 15-byte limit exactly */
	{ "11 prefixes + mov word [rbx],imm16", L64, 0,
	  {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	   0xc7, 0x03, 0x34, 0x12}, 15,
	  OP(MOV), 2, 2, 8, DS, NO, RBX, NO, 1, 0, 0x1234, M_DST | M_IMM },

	/* 32-bit protected mode (CS.D = 1) */
	{ "p32 mov [ebx],eax", PROT, 1, {0x89, 0x03}, 2,
	  OP(MOV), 4, 4, 4, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "p32 mov [ebx],ax", PROT, 1, {0x66, 0x89, 0x03}, 3,
	  OP(MOV), 2, 2, 4, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "p32 mov [bx],eax (a16)", PROT, 1, {0x67, 0x89, 0x07}, 3,
	  OP(MOV), 4, 4, 2, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "p32 mov eax,[ebp+8]", PROT, 1, {0x8b, 0x45, 0x08}, 3,
	  OP(MOV), 4, 4, 4, SS, RAX, RBP, NO, 1, 8, 0, 0 },
	{ "p32 mov eax,[0x1000]: no RIP-relative", PROT, 1,
	  {0x8b, 0x05, 0x00, 0x10, 0x00, 0x00}, 6,
	  OP(MOV), 4, 4, 4, DS, RAX, NO, NO, 1, 0x1000, 0, 0 },
	{ "p32 mov eax,moffs32", PROT, 1, {0xa1, 0x00, 0x10, 0x00, 0x00}, 5,
	  OP(MOV), 4, 4, 4, DS, RAX, NO, NO, 1, 0x1000, 0, 0 },
	{ "p32 mov [esp+4],eax", PROT, 1, {0x89, 0x44, 0x24, 0x04}, 4,
	  OP(MOV), 4, 4, 4, SS, RAX, RSP, NO, 1, 4, 0, M_DST },
	{ "p32 add byte [ebx],1 (82)", PROT, 1, {0x82, 0x03, 0x01}, 3,
	  OP(ADD), 1, 1, 4, DS, NO, RBX, NO, 1, 0, 1, M_DST | M_IMM },
	{ "p32 rep movsd", PROT, 1, {0xf3, 0xa5}, 2,
	  OP(MOVS), 4, 4, 4, DS, NO, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "p32 es movsb: source es", PROT, 1, {0x26, 0xa4}, 2,
	  OP(MOVS), 1, 1, 4, ES, NO, NO, NO, 1, 0, 0, M_DST },
	{ "p32 movzx eax,word [ebx]", PROT, 1, {0x0f, 0xb7, 0x03}, 3,
	  OP(MOVZX), 4, 2, 4, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "p32 bt [ebx],eax", PROT, 1, {0x0f, 0xa3, 0x03}, 3,
	  OP(BT), 4, 4, 4, DS, RAX, RBX, NO, 1, 0, 0, M_DST },

	/* 16-bit code (real mode, or protected mode with CS.D = 0) */
	{ "r16 mov [bx],ax", REAL, 0, {0x89, 0x07}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "r16 mov [bx],eax", REAL, 0, {0x66, 0x89, 0x07}, 3,
	  OP(MOV), 4, 4, 2, DS, RAX, RBX, NO, 1, 0, 0, M_DST },
	{ "r16 mov ax,[bx+si]", REAL, 0, {0x8b, 0x00}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, RSI, 1, 0, 0, 0 },
	{ "r16 mov ax,[bx+di]", REAL, 0, {0x8b, 0x01}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, RDI, 1, 0, 0, 0 },
	{ "r16 mov ax,[bp+si]", REAL, 0, {0x8b, 0x02}, 2,
	  OP(MOV), 2, 2, 2, SS, RAX, RBP, RSI, 1, 0, 0, 0 },
	{ "r16 mov ax,[bp+di]", REAL, 0, {0x8b, 0x03}, 2,
	  OP(MOV), 2, 2, 2, SS, RAX, RBP, RDI, 1, 0, 0, 0 },
	{ "r16 mov ax,[si]", REAL, 0, {0x8b, 0x04}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RSI, NO, 1, 0, 0, 0 },
	{ "r16 mov ax,[di]", REAL, 0, {0x8b, 0x05}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RDI, NO, 1, 0, 0, 0 },
	{ "r16 mov ax,[0x1234]", REAL, 0, {0x8b, 0x06, 0x34, 0x12}, 4,
	  OP(MOV), 2, 2, 2, DS, RAX, NO, NO, 1, 0x1234, 0, 0 },
	{ "r16 mov ax,[bx]", REAL, 0, {0x8b, 0x07}, 2,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "r16 mov ax,[bp-2]", REAL, 0, {0x8b, 0x46, 0xfe}, 3,
	  OP(MOV), 2, 2, 2, SS, RAX, RBP, NO, 1, -2ULL, 0, 0 },
	{ "r16 mov ax,[bx+0x1234]", REAL, 0, {0x8b, 0x87, 0x34, 0x12}, 4,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, NO, 1, 0x1234, 0, 0 },
	{ "r16 mov ax,[bx+si-0x8000]", REAL, 0, {0x8b, 0x80, 0x00, 0x80}, 4,
	  OP(MOV), 2, 2, 2, DS, RAX, RBX, RSI, 1, -0x8000ULL, 0, 0 },
	{ "r16 mov ax,moffs16", REAL, 0, {0xa1, 0x34, 0x12}, 3,
	  OP(MOV), 2, 2, 2, DS, RAX, NO, NO, 1, 0x1234, 0, 0 },
	{ "r16 mov ax,[ebx] (a32)", REAL, 0, {0x67, 0x8b, 0x03}, 3,
	  OP(MOV), 2, 2, 4, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "r16 mov ax,[ebp+eax*2+0] (a32)", REAL, 0,
	  {0x67, 0x8b, 0x44, 0x45, 0x00}, 5,
	  OP(MOV), 2, 2, 4, SS, RAX, RBP, RAX, 2, 0, 0, 0 },
	{ "r16 mov ax,es:[bx]", REAL, 0, {0x26, 0x8b, 0x07}, 3,
	  OP(MOV), 2, 2, 2, ES, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "r16 mov ax,ds:[bp+si]", REAL, 0, {0x3e, 0x8b, 0x02}, 3,
	  OP(MOV), 2, 2, 2, DS, RAX, RBP, RSI, 1, 0, 0, 0 },
	{ "r16 mov word [bx],imm16", REAL, 0, {0xc7, 0x07, 0x34, 0x12}, 4,
	  OP(MOV), 2, 2, 2, DS, NO, RBX, NO, 1, 0, 0x1234, M_DST | M_IMM },
	{ "r16 mov dword [bx],imm32", REAL, 0,
	  {0x66, 0xc7, 0x07, 0x78, 0x56, 0x34, 0x12}, 7,
	  OP(MOV), 4, 4, 2, DS, NO, RBX, NO, 1, 0, 0x12345678, M_DST | M_IMM },
	{ "r16 or word [bx],-1 (83)", REAL, 0, {0x83, 0x0f, 0xff}, 3,
	  OP(OR), 2, 2, 2, DS, NO, RBX, NO, 1, 0, -1ULL, M_DST | M_IMM },
	{ "r16 rep movsb", REAL, 0, {0xf3, 0xa4}, 2,
	  OP(MOVS), 1, 1, 2, DS, NO, NO, NO, 1, 0, 0, M_DST | M_REP },
	{ "p16 movzx ax,byte [bx]", PROT, 0, {0x0f, 0xb6, 0x07}, 3,
	  OP(MOVZX), 2, 1, 2, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "p16 movzx eax,word [bx]", PROT, 0, {0x66, 0x0f, 0xb7, 0x07}, 4,
	  OP(MOVZX), 4, 2, 2, DS, RAX, RBX, NO, 1, 0, 0, 0 },
	{ "r32 (CS.D=1 in real mode) mov [ebx],eax", REAL, 1, {0x89, 0x03}, 2,
	  OP(MOV), 4, 4, 4, DS, RAX, RBX, NO, 1, 0, 0, M_DST },

	/* XADD, CMPXCHG, CMPXCHG8B */
	{ "xadd [rbx],edx", L64, 0, {0x0f, 0xc1, 0x13}, 3,
	  OP(XADD), 4, 4, 8, DS, RDX, RBX, NO, 1, 0, 0, M_DST },
	{ "lock xadd [rbx],dh", L64, 0, {0xf0, 0x0f, 0xc0, 0x33}, 4,
	  OP(XADD), 1, 1, 8, DS, 6, RBX, NO, 1, 0, 0,
	  M_DST | M_HI8 | M_LOCK },
	{ "cmpxchg [rbx],ecx", L64, 0, {0x0f, 0xb1, 0x0b}, 3,
	  OP(CMPXCHG), 4, 4, 8, DS, RCX, RBX, NO, 1, 0, 0, M_DST },
	{ "lock cmpxchg [rbx],cl", L64, 0, {0xf0, 0x0f, 0xb0, 0x0b}, 4,
	  OP(CMPXCHG), 1, 1, 8, DS, RCX, RBX, NO, 1, 0, 0, M_DST | M_LOCK },
	{ "cmpxchg [rbx],r9w", L64, 0, {0x66, 0x44, 0x0f, 0xb1, 0x0b}, 5,
	  OP(CMPXCHG), 2, 2, 8, DS, 9, RBX, NO, 1, 0, 0, M_DST },
	{ "lock cmpxchg [rbx+8],rcx", L64, 0,
	  {0xf0, 0x48, 0x0f, 0xb1, 0x4b, 0x08}, 6,
	  OP(CMPXCHG), 8, 8, 8, DS, RCX, RBX, NO, 1, 8, 0, M_DST | M_LOCK },
	{ "r16 cmpxchg [bx],ah", REAL, 0, {0x0f, 0xb0, 0x27}, 3,
	  OP(CMPXCHG), 1, 1, 2, DS, 4, RBX, NO, 1, 0, 0, M_DST | M_HI8 },
	{ "r16 cmpxchg8b [bx+si]", REAL, 0, {0x0f, 0xc7, 0x08}, 3,
	  OP(CMPXCHG8B), 8, 8, 2, DS, NO, RBX, RSI, 1, 0, 0, M_DST },
	{ "p32 lock cmpxchg8b [ebp]: 66 ignored", PROT, 1,
	  {0xf0, 0x66, 0x0f, 0xc7, 0x4d, 0x00}, 6,
	  OP(CMPXCHG8B), 8, 8, 4, SS, NO, RBP, NO, 1, 0, 0, M_DST | M_LOCK },
	{ "cmpxchg8b [rdi]", L64, 0, {0x0f, 0xc7, 0x0f}, 3,
	  OP(CMPXCHG8B), 8, 8, 8, DS, NO, RDI, NO, 1, 0, 0, M_DST },

	/* CMPS and SCAS */
	{ "cmpsb", L64, 0, {0xa6}, 1,
	  OP(CMPS), 1, 1, 8, DS, NO, NO, NO, 1, 0, 0, 0 },
	{ "r16 repe cmpsw", REAL, 0, {0xf3, 0xa7}, 2,
	  OP(CMPS), 2, 2, 2, DS, NO, NO, NO, 1, 0, 0, M_REP },
	{ "repne cmpsd fs:", L64, 0, {0x64, 0xf2, 0xa7}, 3,
	  OP(CMPS), 4, 4, 8, FSEG, NO, NO, NO, 1, 0, 0, M_REP | M_REPNE },
	{ "a32 repe cmpsq", L64, 0, {0x67, 0xf3, 0x48, 0xa7}, 4,
	  OP(CMPS), 8, 8, 4, DS, NO, NO, NO, 1, 0, 0, M_REP },
	{ "f2 then f3: repe", L64, 0, {0xf2, 0xf3, 0xa6}, 3,
	  OP(CMPS), 1, 1, 8, DS, NO, NO, NO, 1, 0, 0, M_REP },
	{ "scasb", L64, 0, {0xae}, 1,
	  OP(SCAS), 1, 1, 8, ES, RAX, NO, NO, 1, 0, 0, 0 },
	{ "repne scasq", L64, 0, {0xf2, 0x48, 0xaf}, 3,
	  OP(SCAS), 8, 8, 8, ES, RAX, NO, NO, 1, 0, 0, M_REP | M_REPNE },
	{ "p32 fs: scasw: no override", PROT, 1, {0x64, 0x66, 0xaf}, 3,
	  OP(SCAS), 2, 2, 4, ES, RAX, NO, NO, 1, 0, 0, 0 },

	/* 16-byte SSE moves */
	{ "movups xmm1,[rbx]", L64, 0, {0x0f, 0x10, 0x0b}, 3,
	  OP(MOV_SSE), 16, 16, 8, DS, 1, RBX, NO, 1, 0, 0, 0 },
	{ "movupd [rbx],xmm1", L64, 0, {0x66, 0x0f, 0x11, 0x0b}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 1, RBX, NO, 1, 0, 0, M_DST },
	{ "movaps xmm9,[rax]", L64, 0, {0x44, 0x0f, 0x28, 0x08}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 9, RAX, NO, 1, 0, 0, M_ALIGN },
	{ "movapd [rbx],xmm0", L64, 0, {0x66, 0x0f, 0x29, 0x03}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 0, RBX, NO, 1, 0, 0, M_DST | M_ALIGN },
	{ "movntps [rbx],xmm0", L64, 0, {0x0f, 0x2b, 0x03}, 3,
	  OP(MOV_SSE), 16, 16, 8, DS, 0, RBX, NO, 1, 0, 0, M_DST | M_ALIGN },
	{ "movntpd [rbx],xmm7", L64, 0, {0x66, 0x0f, 0x2b, 0x3b}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 7, RBX, NO, 1, 0, 0, M_DST | M_ALIGN },
	{ "movdqa xmm15,[rip+0x10]", L64, 0,
	  {0x66, 0x44, 0x0f, 0x6f, 0x3d, 0x10, 0, 0, 0}, 9,
	  OP(MOV_SSE), 16, 16, 8, DS, 15, NO, NO, 1, 0x10, 0,
	  M_RIP | M_ALIGN },
	{ "movdqa [rbx],xmm3", L64, 0, {0x66, 0x0f, 0x7f, 0x1b}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 3, RBX, NO, 1, 0, 0, M_DST | M_ALIGN },
	{ "movdqu [rbx],xmm2", L64, 0, {0xf3, 0x0f, 0x7f, 0x13}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 2, RBX, NO, 1, 0, 0, M_DST },
	{ "movdqu xmm0,gs:[rbx]: rex.w ignored", L64, 0,
	  {0x65, 0xf3, 0x48, 0x0f, 0x6f, 0x03}, 6,
	  OP(MOV_SSE), 16, 16, 8, GS, 0, RBX, NO, 1, 0, 0, 0 },
	{ "movntdq [rbx],xmm3", L64, 0, {0x66, 0x0f, 0xe7, 0x1b}, 4,
	  OP(MOV_SSE), 16, 16, 8, DS, 3, RBX, NO, 1, 0, 0, M_DST | M_ALIGN },
	{ "r16 movdqu xmm0,[bx]", REAL, 0, {0xf3, 0x0f, 0x6f, 0x07}, 4,
	  OP(MOV_SSE), 16, 16, 2, DS, 0, RBX, NO, 1, 0, 0, 0 },
	{ "p32 movaps xmm7,[ebp+4]", PROT, 1, {0x0f, 0x28, 0x7d, 0x04}, 4,
	  OP(MOV_SSE), 16, 16, 4, SS, 7, RBP, NO, 1, 4, 0, M_ALIGN },
};

#define DFAIL(fmt, ...)	unit_fail(__FILE__, __LINE__, "%s: " fmt,	\
				  c->what, __VA_ARGS__)

TEST(decode_forms)
{
	const struct dcase *c;
	struct kvmod_insn t;
	int ret;

	for (c = dcases; c < dcases + ARRAY_SIZE(dcases); c++) {
		ret = kvmod_emul_decode(c->b, c->n, c->mode, c->d, &insn);
		if (ret) {
			DFAIL("decode returned %d", ret);
			continue;
		}
		if (insn.len != c->n)
			DFAIL("len %d want %d", insn.len, c->n);
		if (insn.op != c->op)
			DFAIL("op %d want %d", insn.op, c->op);
		if (insn.opsize != c->opsize || insn.memsize != c->memsize ||
		    insn.addrsize != c->addrsize)
			DFAIL("sizes op %d mem %d addr %d, want %d %d %d",
			      insn.opsize, insn.memsize, insn.addrsize,
			      c->opsize, c->memsize, c->addrsize);
		if (insn.seg != c->seg)
			DFAIL("seg %d want %d", insn.seg, c->seg);
		if (insn.reg != c->reg)
			DFAIL("reg %d want %d", insn.reg, c->reg);
		if (insn.base != c->base || insn.index != c->index ||
		    insn.scale != c->scale)
			DFAIL("base %d index %d scale %d, want %d %d %d",
			      insn.base, insn.index, insn.scale,
			      c->base, c->index, c->scale);
		if (insn.disp != c->disp)
			DFAIL("disp %#llx want %#llx",
			      (unsigned long long)insn.disp,
			      (unsigned long long)c->disp);
		if (insn.imm != c->imm)
			DFAIL("imm %#llx want %#llx",
			      (unsigned long long)insn.imm,
			      (unsigned long long)c->imm);
		if (insn.mem_dst != !!(c->flags & M_DST) ||
		    insn.has_imm != !!(c->flags & M_IMM) ||
		    insn.reg_high8 != !!(c->flags & M_HI8) ||
		    insn.rip_rel != !!(c->flags & M_RIP) ||
		    insn.rep != !!(c->flags & M_REP) ||
		    insn.lock != !!(c->flags & M_LOCK) ||
		    insn.repne != !!(c->flags & M_REPNE) ||
		    insn.aligned != !!(c->flags & M_ALIGN))
			DFAIL("flags dst %d imm %d hi8 %d rip %d rep %d lock %d rne %d al %d, %#x",
			      insn.mem_dst, insn.has_imm, insn.reg_high8,
			      insn.rip_rel, insn.rep, insn.lock, insn.repne,
			      insn.aligned, c->flags);
		if (insn.mode != c->mode)
			DFAIL("mode %d", insn.mode);

		/* One byte short: truncated. */
		ret = kvmod_emul_decode(c->b, c->n - 1, c->mode, c->d, &t);
		if (ret != E_TRUNC)
			DFAIL("n-1 bytes: %d, want E_TRUNC", ret);
	}
}

/* Trailing bytes after the instruction are not part of it. */
TEST(decode_ignores_trailing_bytes)
{
	static const u8 b[15] = { 0x89, 0x03, 0x90, 0x90, 0x90, 0x90 };

	EXPECT_EQ(kvmod_emul_decode(b, sizeof(b), L64, false, &insn), 0);
	EXPECT_EQ(insn.len, 2);
	EXPECT_EQ(kvmod_emul_decode(b, 100, L64, false, &insn), 0);
	EXPECT_EQ(insn.len, 2);
}

struct ecase {
	const char *what;
	u8 mode;
	bool d;
	u8 b[16];
	u8 n;
	int err;
};

static const struct ecase ecases[] = {
	{ "empty", L64, 0, {0}, 0, E_TRUNC },
	{ "0f", L64, 0, {0x0f}, 1, E_TRUNC },
	{ "rex only", L64, 0, {0x48}, 1, E_TRUNC },
	{ "prefixes only", L64, 0, {0x66, 0x66, 0xf3}, 3, E_TRUNC },
	{ "89", L64, 0, {0x89}, 1, E_TRUNC },
	{ "89 04 (sib missing)", L64, 0, {0x89, 0x04}, 2, E_TRUNC },
	{ "disp32 missing", L64, 0, {0x89, 0x04, 0x25}, 3, E_TRUNC },
	{ "disp32 short", L64, 0, {0x89, 0x04, 0x25, 0, 0, 0}, 6, E_TRUNC },
	{ "imm32 short", L64, 0, {0xc7, 0x03, 0x78, 0x56}, 4, E_TRUNC },
	{ "moffs64 short", L64, 0, {0xa1, 0, 0, 0, 0}, 5, E_TRUNC },
	{ "bt imm8 missing", L64, 0, {0x0f, 0xba, 0x23}, 3, E_TRUNC },
	{ "r16 disp16 short", REAL, 0, {0x8b, 0x06, 0x34}, 3, E_TRUNC },
	{ "14 bytes of a 15-byte insn", L64, 0,
	  {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	   0xc7, 0x03, 0x34}, 14, E_TRUNC },

	{ "nop", L64, 0, {0x90}, 1, E_UNSUP },
	{ "hlt", L64, 0, {0xf4}, 1, E_UNSUP },
	{ "ud2", L64, 0, {0x0f, 0x0b}, 2, E_UNSUP },
	{ "mov eax,eax (no memory)", L64, 0, {0x8b, 0xc0}, 2, E_UNSUP },
	{ "add [rax],eax reg form", L64, 0, {0x01, 0xc0}, 2, E_UNSUP },
	{ "movzx eax,al", L64, 0, {0x0f, 0xb6, 0xc0}, 3, E_UNSUP },
	{ "c6 /1", L64, 0, {0xc6, 0x0b, 0x00}, 3, E_UNSUP },
	{ "c7 /7", L64, 0, {0xc7, 0x3b, 0, 0, 0, 0}, 6, E_UNSUP },
	{ "mul byte [rbx]", L64, 0, {0xf6, 0x23}, 2, E_UNSUP },
	{ "idiv dword [rbx]", L64, 0, {0xf7, 0x3b}, 2, E_UNSUP },
	{ "call [rbx]", L64, 0, {0xff, 0x13}, 2, E_UNSUP },
	{ "push [rbx]", L64, 0, {0xff, 0x33}, 2, E_UNSUP },
	{ "fe /2", L64, 0, {0xfe, 0x13}, 2, E_UNSUP },
	{ "0f ba /0", L64, 0, {0x0f, 0xba, 0x03, 0x01}, 4, E_UNSUP },
	{ "82 in 64-bit mode", L64, 0, {0x82, 0x03, 0x01}, 3, E_UNSUP },
	{ "arpl in 32-bit mode", PROT, 1, {0x63, 0x03}, 2, E_UNSUP },
	{ "inc eax (40) in 32-bit mode", PROT, 1, {0x40}, 1, E_UNSUP },
	{ "48 is dec eax in 32-bit mode", PROT, 1, {0x48, 0x89, 0x03}, 3,
	  E_UNSUP },
	{ "add al,1", L64, 0, {0x04, 0x01}, 2, E_UNSUP },
	{ "push es", PROT, 1, {0x06}, 1, E_UNSUP },
	{ "insb", L64, 0, {0x6c}, 1, E_UNSUP },
	{ "cmpxchg16b [rbx]", L64, 0, {0x48, 0x0f, 0xc7, 0x0b}, 4, E_UNSUP },
	{ "0f c7 /2", L64, 0, {0x0f, 0xc7, 0x13}, 3, E_UNSUP },
	{ "cmpxchg8b reg form", PROT, 1, {0x0f, 0xc7, 0xc8}, 3, E_UNSUP },
	{ "movss xmm0,[rbx]", L64, 0, {0xf3, 0x0f, 0x10, 0x03}, 4, E_UNSUP },
	{ "movsd xmm0,[rbx]", L64, 0, {0xf2, 0x0f, 0x10, 0x03}, 4, E_UNSUP },
	{ "movq mm0,[rbx]", L64, 0, {0x0f, 0x6f, 0x03}, 3, E_UNSUP },
	{ "f2 0f 6f", L64, 0, {0xf2, 0x0f, 0x6f, 0x03}, 4, E_UNSUP },
	{ "66 f3 0f 6f", L64, 0, {0x66, 0xf3, 0x0f, 0x6f, 0x03}, 5, E_UNSUP },
	{ "movntq [rbx],mm0", L64, 0, {0x0f, 0xe7, 0x03}, 3, E_UNSUP },
	{ "movntdq reg form", L64, 0, {0x66, 0x0f, 0xe7, 0xc0}, 4, E_UNSUP },
	{ "vmovdqu xmm0,[rbx]", L64, 0, {0xc5, 0xfa, 0x6f, 0x03}, 4, E_UNSUP },
	{ "pop [rbx]", L64, 0, {0x8f, 0x03}, 2, E_UNSUP },
	{ "mov [rbx],es", L64, 0, {0x8c, 0x03}, 2, E_UNSUP },
	{ "lea eax,[rbx]", L64, 0, {0x8d, 0x03}, 2, E_UNSUP },

	{ "lock mov", L64, 0, {0xf0, 0x89, 0x03}, 3, E_INVAL },
	{ "lock cmp", L64, 0, {0xf0, 0x39, 0x03}, 3, E_INVAL },
	{ "lock add eax,[rbx]", L64, 0, {0xf0, 0x03, 0x03}, 3, E_INVAL },
	{ "lock test", L64, 0, {0xf0, 0x85, 0x03}, 3, E_INVAL },
	{ "lock bt", L64, 0, {0xf0, 0x0f, 0xa3, 0x03}, 4, E_INVAL },
	{ "lock movsb", L64, 0, {0xf0, 0xa4}, 2, E_INVAL },
	{ "lock cmpsb", L64, 0, {0xf0, 0xa6}, 2, E_INVAL },
	{ "lock movdqu", L64, 0, {0xf0, 0xf3, 0x0f, 0x7f, 0x03}, 5, E_INVAL },
	{ "lock mov moffs", L64, 0, {0xf0, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0}, 10,
	  E_INVAL },
	{ "15 prefixes", L64, 0,
	  {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	   0x66, 0x66, 0x66, 0x66}, 15, E_INVAL },
	{ "16-byte instruction", L64, 0,
	  {0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	   0x66, 0xc7, 0x03, 0x34, 0x12}, 16, E_INVAL },
};

TEST(decode_errors)
{
	const struct ecase *c;
	int ret;

	for (c = ecases; c < ecases + ARRAY_SIZE(ecases); c++) {
		ret = kvmod_emul_decode(c->b, c->n, c->mode, c->d, &insn);
		if (ret != c->err)
			DFAIL("got %d want %d", ret, c->err);
	}
}

/* ------------------------------------------------------------------ */
/* Effective and linear addresses                                      */

static int ea_of(enum kvmod_cpu_mode mode, bool d, const u8 *b, int n,
		 const u64 *regs, u64 rip_next, u64 *ea)
{
	int ret = kvmod_emul_decode(b, n, mode, d, &insn);

	*ea = ret ? ~0ULL : kvmod_emul_ea(&insn, regs, rip_next);
	return ret;
}

#define EA(mode, d, rip_next, ...)					\
	({								\
		u64 ea_;						\
		EXPECT_EQ(ea_of(mode, d, INSN(__VA_ARGS__),		\
				INSN_LEN(__VA_ARGS__), regs, rip_next,	\
				&ea_), 0);				\
		ea_;							\
	})

TEST(effective_address)
{
	u64 regs[16] = { 0 };

	regs[RAX] = 0x100;
	regs[RBX] = 0x2000;
	regs[RCX] = 3;
	regs[RSI] = 0x10;
	regs[RDI] = 0x20;
	regs[RBP] = 0x3000;
	regs[12] = 0x40;
	regs[13] = 0x50;

	/* [rbx+rcx*4] */
	EXPECT_EQ(EA(L64, 0, 0, 0x8b, 0x04, 0x8b), 0x200c);
	/* [rbx-0x10] */
	EXPECT_EQ(EA(L64, 0, 0, 0x8b, 0x43, 0xf0), 0x1ff0);
	/* [rax+r12*8] */
	EXPECT_EQ(EA(L64, 0, 0, 0x42, 0x8b, 0x04, 0xe0), 0x300);
	/* [r13*2+0x10] */
	EXPECT_EQ(EA(L64, 0, 0, 0x43, 0x8b, 0x04, 0x6d, 0x10, 0, 0, 0),
		  0xb0);
	/* [rip+0x10] with the next RIP 0x1006 */
	EXPECT_EQ(EA(L64, 0, 0x1006, 0x8b, 0x05, 0x10, 0, 0, 0), 0x1016);
	/* [rip-0x2000]: wraps below zero in 64 bits */
	EXPECT_EQ(EA(L64, 0, 0x1006, 0x8b, 0x05, 0x00, 0xe0, 0xff, 0xff),
		  0xfffffffffffff006ULL);
	/* [eip-0x2000]: the same with a32 wraps at 4 GiB */
	EXPECT_EQ(EA(L64, 0, 0x1007, 0x67, 0x8b, 0x05, 0x00, 0xe0, 0xff,
		     0xff), 0xfffff007ULL);
	/* [ebx] with bits above 32 in RBX */
	regs[RBX] = 0x100000010ULL;
	EXPECT_EQ(EA(L64, 0, 0, 0x67, 0x8b, 0x03), 0x10);
	/* moffs64 */
	EXPECT_EQ(EA(L64, 0, 0, 0xa1, 8, 7, 6, 5, 4, 3, 2, 1),
		  0x0102030405060708ULL);
	/* 32-bit mode: [ebx+0x7fffffff] wraps at 4 GiB */
	regs[RBX] = 0x80000010;
	EXPECT_EQ(EA(PROT, 1, 0, 0x8b, 0x83, 0xff, 0xff, 0xff, 0x7f), 0xf);

	/* 16-bit: [bx+si] wraps at 64 KiB */
	regs[RBX] = 0xfff0;
	regs[RSI] = 0x20;
	EXPECT_EQ(EA(REAL, 0, 0, 0x8b, 0x00), 0x10);
	/* [bp-2] with BP 0 */
	regs[RBP] = 0;
	EXPECT_EQ(EA(REAL, 0, 0, 0x8b, 0x46, 0xfe), 0xfffe);
	/* [bx+di+0x10] ignores bits above 16 of the registers */
	regs[RBX] = 0xabcd0100;
	regs[RDI] = 0x12340002;
	EXPECT_EQ(EA(REAL, 0, 0, 0x8b, 0x41, 0x10), 0x112);
	/* string: MOVS/LODS address RSI, STOS RDI, at the address size */
	regs[RSI] = 0x1234567890ULL;
	regs[RDI] = 0xabcdef0123ULL;
	EXPECT_EQ(EA(L64, 0, 0, 0xa4), 0x1234567890ULL);
	EXPECT_EQ(EA(L64, 0, 0, 0xaa), 0xabcdef0123ULL);
	EXPECT_EQ(EA(L64, 0, 0, 0x67, 0xac), 0x34567890);
	EXPECT_EQ(EA(REAL, 0, 0, 0xac), 0x7890);
}

TEST(linear_address)
{
	struct kvmod_emul_state s = { 0 };

	s.seg_base[ES] = 0x5000;
	s.seg_base[DS] = 0x6000;
	s.seg_base[FSEG] = 0x7fff00000000ULL;
	s.seg_base[GS] = 0xffff880000000000ULL;

	/* 64-bit mode: only FS and GS have a base */
	DECODE(L64, false, &insn, 0x8b, 0x03);
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, DS, 0x100), 0x100);
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, ES, 0x100), 0x100);
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, FSEG, 0x100), 0x7fff00000100ULL);
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, GS, 0x100),
		  0xffff880000000100ULL);

	/* 32-bit mode: base + offset, wrapping at 4 GiB */
	DECODE(PROT, true, &insn, 0x8b, 0x03);
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, DS, 0x100), 0x6100);
	s.seg_base[DS] = 0xfffff000;
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, DS, 0x2000), 0x1000);

	/* real mode: base (selector * 16) + offset */
	DECODE(REAL, false, &insn, 0x8b, 0x07);
	s.seg_base[SS] = 0xffff0;
	EXPECT_EQ(kvmod_emul_gla(&insn, &s, SS, 0xffff), 0x10ffef);
}

/* ------------------------------------------------------------------ */
/* Execution: table of one-instruction cases in 64-bit mode.           */
/* RBX = MEM_BASE; the register operand is RAX/EAX/AX/AL (or AH); the  */
/* 8 bytes at [rbx] are checked whole, so any access wider than the    */
/* operand shows up.                                                   */

#define ACC_R	1
#define ACC_W	2
#define RW	(ACC_R | ACC_W)

struct xcase {
	const char *what;
	u8 b[15];
	u8 n;
	u64 mem, rax, fl;
	u64 mem_after, rax_after, fl_after;
	u8 acc;
};

static void run_xcases(const struct xcase *cases, size_t count)
{
	const struct xcase *c;
	int ret;

	for (c = cases; c < cases + count; c++) {
		reset();
		st.regs[RBX] = MEM_BASE;
		st.regs[RAX] = c->rax;
		st.rflags = c->fl;
		put(MEM_BASE, c->mem, 8);
		put(MEM_BASE + 8, 0x5555555555555555ULL, 8);
		ret = kvmod_emul_decode(c->b, c->n, L64, false, &insn);
		if (ret || insn.len != c->n) {
			DFAIL("decode %d len %d", ret, insn.len);
			continue;
		}
		ret = kvmod_emul_exec(&insn, &st, &ops, NULL);
		if (ret)
			DFAIL("exec returned %d", ret);
		if (get(MEM_BASE, 8) != c->mem_after)
			DFAIL("mem %#llx want %#llx",
			      (unsigned long long)get(MEM_BASE, 8),
			      (unsigned long long)c->mem_after);
		if (get(MEM_BASE + 8, 8) != 0x5555555555555555ULL)
			DFAIL("mem+8 %#llx", (unsigned long long)
			      get(MEM_BASE + 8, 8));
		if (st.regs[RAX] != c->rax_after)
			DFAIL("rax %#llx want %#llx",
			      (unsigned long long)st.regs[RAX],
			      (unsigned long long)c->rax_after);
		if (st.rflags != c->fl_after)
			DFAIL("rflags %#llx want %#llx",
			      (unsigned long long)st.rflags,
			      (unsigned long long)c->fl_after);
		if (st.rip != RIP0 + c->n)
			DFAIL("rip %#llx", (unsigned long long)st.rip);
		if (st.regs[RBX] != MEM_BASE || st.regs[RCX] || st.regs[RSI])
			DFAIL("other registers changed: rbx %#llx",
			      (unsigned long long)st.regs[RBX]);
		if (m.reads != !!(c->acc & ACC_R) ||
		    m.writes != !!(c->acc & ACC_W))
			DFAIL("%d reads %d writes, want acc %d",
			      m.reads, m.writes, c->acc);
		if (m.nlog && (m.log[0].gla != MEM_BASE ||
			       m.log[0].len != insn.memsize))
			DFAIL("access at %#llx len %u",
			      (unsigned long long)m.log[0].gla, m.log[0].len);
	}
}

static const struct xcase mov_cases[] = {
	{ "mov [rbx],rax", {0x48, 0x89, 0x03}, 3,
	  0, 0x1122334455667788ULL, R1,
	  0x1122334455667788ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov [rbx],eax", {0x89, 0x03}, 2,
	  0xaaaaaaaaaaaaaaaaULL, 0x1122334455667788ULL, R1,
	  0xaaaaaaaa55667788ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov [rbx],ax", {0x66, 0x89, 0x03}, 3,
	  0xaaaaaaaaaaaaaaaaULL, 0x1122334455667788ULL, R1,
	  0xaaaaaaaaaaaa7788ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov [rbx],al", {0x88, 0x03}, 2,
	  0xaaaaaaaaaaaaaaaaULL, 0x1122334455667788ULL, R1,
	  0xaaaaaaaaaaaaaa88ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov [rbx],ah", {0x88, 0x23}, 2,
	  0xaaaaaaaaaaaaaaaaULL, 0x1122334455667788ULL, R1,
	  0xaaaaaaaaaaaaaa77ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov rax,[rbx]", {0x48, 0x8b, 0x03}, 3,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0x1122334455667788ULL, R1, ACC_R },
	{ "mov eax,[rbx] zero-extends", {0x8b, 0x03}, 2,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0x55667788, R1, ACC_R },
	{ "mov ax,[rbx] merges", {0x66, 0x8b, 0x03}, 3,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0xffffffffffff7788ULL, R1, ACC_R },
	{ "mov al,[rbx] merges", {0x8a, 0x03}, 2,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0xffffffffffffff88ULL, R1, ACC_R },
	{ "mov ah,[rbx]", {0x8a, 0x23}, 2,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0xffffffffffff88ffULL, R1, ACC_R },
	{ "mov byte [rbx],0xab", {0xc6, 0x03, 0xab}, 3,
	  0, 7, R1, 0xab, 7, R1, ACC_W },
	{ "mov word [rbx],0x1234", {0x66, 0xc7, 0x03, 0x34, 0x12}, 5,
	  0, 7, R1, 0x1234, 7, R1, ACC_W },
	{ "mov dword [rbx],0x12345678", {0xc7, 0x03, 0x78, 0x56, 0x34, 0x12},
	  6, -1ULL, 7, R1, 0xffffffff12345678ULL, 7, R1, ACC_W },
	{ "mov qword [rbx],imm32 negative",
	  {0x48, 0xc7, 0x03, 0x78, 0x56, 0x34, 0xf2}, 7,
	  0, 7, R1, 0xfffffffff2345678ULL, 7, R1, ACC_W },
	{ "mov qword [rbx],imm32 positive",
	  {0x48, 0xc7, 0x03, 0x78, 0x56, 0x34, 0x12}, 7,
	  -1ULL, 7, R1, 0x12345678, 7, R1, ACC_W },
	{ "mov eax,moffs64",
	  {0xa1, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 9,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0x55667788, R1, ACC_R },
	{ "mov al,moffs64",
	  {0xa0, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 9,
	  0x1122334455667788ULL, -1ULL, R1,
	  0x1122334455667788ULL, 0xffffffffffffff88ULL, R1, ACC_R },
	{ "mov moffs64,rax",
	  {0x48, 0xa3, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 10,
	  0, 0x1122334455667788ULL, R1,
	  0x1122334455667788ULL, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov moffs64,ax",
	  {0x66, 0xa3, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 10,
	  0, 0x1122334455667788ULL, R1,
	  0x7788, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov moffs32,al", {0x67, 0xa2, 0x00, 0x00, 0x01, 0x00}, 6,
	  0, 0x1122334455667788ULL, R1,
	  0x88, 0x1122334455667788ULL, R1, ACC_W },
	{ "mov [rbx],eax keeps flags", {0x89, 0x03}, 2,
	  0, 1, R1 | FC | FZ | FD | FI | FO,
	  1, 1, R1 | FC | FZ | FD | FI | FO, ACC_W },
};

TEST(exec_mov)
{
	run_xcases(mov_cases, ARRAY_SIZE(mov_cases));
}

/* [rbx] holds 81 82 83 84 85 86 87 88; RAX starts as 0x1111... */
#define MX	0x8887868584838281ULL
#define R11_	0x1111111111111111ULL

static const struct xcase movx_cases[] = {
	{ "movzx eax,byte", {0x0f, 0xb6, 0x03}, 3,
	  MX, R11_, R1, MX, 0x81, R1, ACC_R },
	{ "movzx ax,byte", {0x66, 0x0f, 0xb6, 0x03}, 4,
	  MX, R11_, R1, MX, 0x1111111111110081ULL, R1, ACC_R },
	{ "movzx rax,byte", {0x48, 0x0f, 0xb6, 0x03}, 4,
	  MX, R11_, R1, MX, 0x81, R1, ACC_R },
	{ "movzx eax,word", {0x0f, 0xb7, 0x03}, 3,
	  MX, R11_, R1, MX, 0x8281, R1, ACC_R },
	{ "movzx ax,word", {0x66, 0x0f, 0xb7, 0x03}, 4,
	  MX, R11_, R1, MX, 0x1111111111118281ULL, R1, ACC_R },
	{ "movzx rax,word", {0x48, 0x0f, 0xb7, 0x03}, 4,
	  MX, R11_, R1, MX, 0x8281, R1, ACC_R },
	{ "movsx eax,byte", {0x0f, 0xbe, 0x03}, 3,
	  MX, R11_, R1, MX, 0xffffff81, R1, ACC_R },
	{ "movsx ax,byte", {0x66, 0x0f, 0xbe, 0x03}, 4,
	  MX, R11_, R1, MX, 0x111111111111ff81ULL, R1, ACC_R },
	{ "movsx rax,byte", {0x48, 0x0f, 0xbe, 0x03}, 4,
	  MX, R11_, R1, MX, 0xffffffffffffff81ULL, R1, ACC_R },
	{ "movsx eax,word", {0x0f, 0xbf, 0x03}, 3,
	  MX, R11_, R1, MX, 0xffff8281, R1, ACC_R },
	{ "movsx rax,word", {0x48, 0x0f, 0xbf, 0x03}, 4,
	  MX, R11_, R1, MX, 0xffffffffffff8281ULL, R1, ACC_R },
	{ "movsxd rax,dword", {0x48, 0x63, 0x03}, 3,
	  MX, R11_, R1, MX, 0xffffffff84838281ULL, R1, ACC_R },
	{ "movsxd eax,dword", {0x63, 0x03}, 2,
	  MX, R11_, R1, MX, 0x84838281, R1, ACC_R },
	{ "movsx eax,byte positive", {0x0f, 0xbe, 0x03}, 3,
	  0x7f, R11_, R1, 0x7f, 0x7f, R1, ACC_R },
	{ "movsxd rax,dword positive", {0x48, 0x63, 0x03}, 3,
	  0x800000007fffffffULL, R11_, R1,
	  0x800000007fffffffULL, 0x7fffffff, R1, ACC_R },
};

TEST(exec_movzx_movsx)
{
	run_xcases(movx_cases, ARRAY_SIZE(movx_cases));
}

static const struct xcase add_cases[] = {
	{ "add [rbx],al: signed overflow", {0x00, 0x03}, 2,
	  0x7f, 0x01, R1, 0x80, 0x01, R1 | FO | FS | FA, RW },
	{ "add [rbx],al: carry to zero", {0x00, 0x03}, 2,
	  0x55ff, 0x01, R1, 0x5500, 0x01, R1 | FC | FP | FA | FZ, RW },
	{ "add [rbx],ax", {0x66, 0x01, 0x03}, 3,
	  0x8000, 0x8000, R1, 0, 0x8000, R1 | FC | FP | FZ | FO, RW },
	{ "add [rbx],eax", {0x01, 0x03}, 2,
	  0x7fffffff, 1, R1, 0x80000000, 1, R1 | FP | FA | FS | FO, RW },
	{ "add [rbx],rax", {0x48, 0x01, 0x03}, 3,
	  -1ULL, 2, R1, 1, 2, R1 | FC | FA, RW },
	{ "add eax,[rbx]", {0x03, 0x03}, 2,
	  0x20, 0xaaaaaaaa00000010ULL, R1, 0x20, 0x30, R1 | FP, ACC_R },
	{ "add ah,[rbx]", {0x02, 0x23}, 2,
	  0x01, 0x1234, R1, 0x01, 0x1334, R1, ACC_R },
	{ "add qword [rbx],-1", {0x48, 0x83, 0x03, 0xff}, 4,
	  5, 0, R1, 4, 0, R1 | FC | FA, RW },
	{ "add dword [rbx],0x80000000", {0x81, 0x03, 0, 0, 0, 0x80}, 6,
	  0x80000000, 0, R1, 0, 0, R1 | FC | FP | FZ | FO, RW },
	{ "add byte [rbx],0xff", {0x80, 0x03, 0xff}, 3,
	  1, 0, R1, 0, 0, R1 | FC | FP | FA | FZ, RW },
	{ "add word [rbx],-128", {0x66, 0x83, 0x03, 0x80}, 4,
	  0x0080, 0, R1, 0, 0, R1 | FC | FP | FZ, RW },
	{ "add keeps DF and IF", {0x01, 0x03}, 2,
	  1, 1, R1 | FD | FI | FC | FZ, 2, 1, R1 | FD | FI, RW },
};

static const struct xcase or_cases[] = {
	{ "or [rbx],al", {0x08, 0x03}, 2,
	  0x0f, 0xf0, R1 | FC | FA | FO, 0xff, 0xf0, R1 | FP | FS, RW },
	{ "or [rbx],ax zero", {0x66, 0x09, 0x03}, 3,
	  0, 0, R1 | FC | FA | FO, 0, 0, R1 | FP | FZ, RW },
	{ "or [rbx],eax", {0x09, 0x03}, 2,
	  0x10000, 1, R1 | FC | FA | FO, 0x10001, 1, R1, RW },
	{ "or [rbx],rax", {0x48, 0x09, 0x03}, 3,
	  0x8000000000000000ULL, 0, R1 | FC | FA | FO,
	  0x8000000000000000ULL, 0, R1 | FP | FS, RW },
	{ "or eax,[rbx]", {0x0b, 0x03}, 2,
	  2, 0xffffffff00000001ULL, R1 | FC | FA | FO, 2, 3, R1 | FP, ACC_R },
	{ "or byte [rbx],1", {0x80, 0x0b, 0x01}, 3,
	  0x80, 0, R1 | FC | FA | FO, 0x81, 0, R1 | FP | FS, RW },
	{ "or dword [rbx],-1", {0x83, 0x0b, 0xff}, 3,
	  0x1234, 0, R1, 0xffffffff, 0, R1 | FP | FS, RW },
	{ "or qword [rbx],imm32", {0x48, 0x81, 0x0b, 0, 0, 0, 0x80}, 7,
	  1, 0, R1, 0xffffffff80000001ULL, 0, R1 | FS, RW },
};

static const struct xcase adc_cases[] = {
	{ "adc [rbx],al with CF", {0x10, 0x03}, 2,
	  0xfe, 1, R1 | FC, 0, 1, R1 | FC | FP | FA | FZ, RW },
	{ "adc [rbx],eax without CF", {0x11, 0x03}, 2,
	  0x7fffffff, 0, R1, 0x7fffffff, 0, R1 | FP, RW },
	{ "adc [rbx],rax with CF", {0x48, 0x11, 0x03}, 3,
	  0x7fffffffffffffffULL, 0, R1 | FC,
	  0x8000000000000000ULL, 0, R1 | FP | FA | FS | FO, RW },
	{ "adc word [rbx],-1 with CF", {0x66, 0x83, 0x13, 0xff}, 4,
	  0, 0, R1 | FC, 0, 0, R1 | FC | FP | FA | FZ, RW },
	{ "adc al,[rbx] with CF", {0x12, 0x03}, 2,
	  0x20, 0x10, R1 | FC, 0x20, 0x31, R1, ACC_R },
};

static const struct xcase sbb_cases[] = {
	{ "sbb [rbx],al with CF", {0x18, 0x03}, 2,
	  0, 0, R1 | FC, 0xff, 0, R1 | FC | FP | FA | FS, RW },
	{ "sbb [rbx],eax with CF", {0x19, 0x03}, 2,
	  0x80000000, 0, R1 | FC, 0x7fffffff, 0, R1 | FP | FA | FO, RW },
	{ "sbb [rbx],rax with CF", {0x48, 0x19, 0x03}, 3,
	  5, 4, R1 | FC, 0, 4, R1 | FP | FZ, RW },
	{ "sbb byte [rbx],1", {0x80, 0x1b, 0x01}, 3,
	  0x80, 0, R1, 0x7f, 0, R1 | FA | FO, RW },
	{ "sbb [rbx],ax", {0x66, 0x19, 0x03}, 3,
	  0x100, 1, R1, 0xff, 1, R1 | FP | FA, RW },
	{ "sbb ax,[rbx] with CF", {0x66, 0x1b, 0x03}, 3,
	  1, 0x5555555555550003ULL, R1 | FC, 1, 0x5555555555550001ULL, R1,
	  ACC_R },
};

static const struct xcase and_cases[] = {
	{ "and [rbx],al", {0x20, 0x03}, 2,
	  0xf0, 0x0f, R1 | FC | FA | FO, 0, 0x0f, R1 | FP | FZ, RW },
	{ "and [rbx],ax", {0x66, 0x21, 0x03}, 3,
	  0xff00, 0x8f0f, R1 | FC | FA | FO, 0x8f00, 0x8f0f, R1 | FP | FS, RW },
	{ "and [rbx],eax", {0x21, 0x03}, 2,
	  0x12345678, 0xff, R1, 0x78, 0xff, R1 | FP, RW },
	{ "and [rbx],rax", {0x48, 0x21, 0x03}, 3,
	  -1ULL, 0x8000000000000001ULL, R1,
	  0x8000000000000001ULL, 0x8000000000000001ULL, R1 | FS, RW },
	{ "and eax,[rbx]", {0x23, 0x03}, 2,
	  0xf0, 0xffffffffffffff0fULL, R1 | FO, 0xf0, 0, R1 | FP | FZ, ACC_R },
	{ "and dword [rbx],0xff", {0x81, 0x23, 0xff, 0, 0, 0}, 6,
	  0x11111111deadbeefULL, 0, R1, 0x11111111000000efULL, 0, R1, RW },
	{ "and qword [rbx],-16", {0x48, 0x83, 0x23, 0xf0}, 4,
	  0x123, 0, R1, 0x120, 0, R1, RW },
	{ "and byte [rbx],0x0f", {0x80, 0x23, 0x0f}, 3,
	  0x3c, 0, R1, 0x0c, 0, R1 | FP, RW },
};

static const struct xcase sub_cases[] = {
	{ "sub [rbx],al", {0x28, 0x03}, 2,
	  0, 1, R1, 0xff, 1, R1 | FC | FP | FA | FS, RW },
	{ "sub [rbx],eax", {0x29, 0x03}, 2,
	  0x80000000, 1, R1, 0x7fffffff, 1, R1 | FP | FA | FO, RW },
	{ "sub [rbx],ax", {0x66, 0x29, 0x03}, 3,
	  0x1234, 0x1234, R1, 0, 0x1234, R1 | FP | FZ, RW },
	{ "sub [rbx],rax", {0x48, 0x29, 0x03}, 3,
	  5, 7, R1, 0xfffffffffffffffeULL, 7, R1 | FC | FA | FS, RW },
	{ "sub eax,[rbx]", {0x2b, 0x03}, 2,
	  3, 10, R1, 3, 7, R1, ACC_R },
	{ "sub qword [rbx],1", {0x48, 0x83, 0x2b, 0x01}, 4,
	  0, 0, R1, -1ULL, 0, R1 | FC | FP | FA | FS, RW },
	{ "sub byte [rbx],0x80", {0x80, 0x2b, 0x80}, 3,
	  0x7f, 0, R1, 0xff, 0, R1 | FC | FP | FS | FO, RW },
};

static const struct xcase xor_cases[] = {
	{ "xor [rbx],al", {0x30, 0x03}, 2,
	  0x5a, 0x5a, R1 | FC | FA | FO, 0, 0x5a, R1 | FP | FZ, RW },
	{ "xor [rbx],eax", {0x31, 0x03}, 2,
	  0xffffffff, 0xffff, R1 | FC | FA | FO,
	  0xffff0000, 0xffff, R1 | FP | FS, RW },
	{ "xor rax,[rbx]", {0x48, 0x33, 0x03}, 3,
	  0xff00ff00ff00ff00ULL, -1ULL, R1,
	  0xff00ff00ff00ff00ULL, 0x00ff00ff00ff00ffULL, R1 | FP, ACC_R },
	{ "xor dword [rbx],1", {0x83, 0x33, 0x01}, 3,
	  1, 0, R1, 0, 0, R1 | FP | FZ, RW },
	{ "xor [rbx],ax", {0x66, 0x31, 0x03}, 3,
	  0x8001, 1, R1, 0x8000, 1, R1 | FP | FS, RW },
};

static const struct xcase cmp_cases[] = {
	{ "cmp [rbx],al", {0x38, 0x03}, 2,
	  0x10, 0x20, R1, 0x10, 0x20, R1 | FC | FP | FS, ACC_R },
	{ "cmp al,[rbx]", {0x3a, 0x03}, 2,
	  0x20, 0x10, R1, 0x20, 0x10, R1 | FC | FP | FS, ACC_R },
	{ "cmp eax,[rbx]", {0x3b, 0x03}, 2,
	  0x10, 0x20, R1, 0x10, 0x20, R1, ACC_R },
	{ "cmp qword [rbx],-1", {0x48, 0x83, 0x3b, 0xff}, 4,
	  -1ULL, 0, R1, -1ULL, 0, R1 | FP | FZ, ACC_R },
	{ "cmp word [rbx],0x8000", {0x66, 0x81, 0x3b, 0x00, 0x80}, 5,
	  0x7fff, 0, R1, 0x7fff, 0, R1 | FC | FP | FS | FO, ACC_R },
	{ "cmp byte [rbx],1", {0x80, 0x3b, 0x01}, 3,
	  1, 0, R1 | FC, 1, 0, R1 | FP | FZ, ACC_R },
	{ "cmp rax,[rbx]", {0x48, 0x3b, 0x03}, 3,
	  1, 0, R1, 1, 0, R1 | FC | FP | FA | FS, ACC_R },
};

static const struct xcase test_cases[] = {
	{ "test [rbx],al", {0x84, 0x03}, 2,
	  0x80, 0x80, R1 | FC | FA | FO, 0x80, 0x80, R1 | FS, ACC_R },
	{ "test [rbx],eax", {0x85, 0x03}, 2,
	  0x0f0f0f0f, 0xf0f0f0f0, R1, 0x0f0f0f0f, 0xf0f0f0f0, R1 | FP | FZ,
	  ACC_R },
	{ "test [rbx],ax", {0x66, 0x85, 0x03}, 3,
	  0x8000, 0xffff, R1, 0x8000, 0xffff, R1 | FP | FS, ACC_R },
	{ "test [rbx],rax", {0x48, 0x85, 0x03}, 3,
	  0x8000000000000000ULL, -1ULL, R1,
	  0x8000000000000000ULL, -1ULL, R1 | FP | FS, ACC_R },
	{ "test byte [rbx],1", {0xf6, 0x03, 0x01}, 3,
	  3, 0, R1 | FZ, 3, 0, R1, ACC_R },
	{ "test dword [rbx],0x80000000", {0xf7, 0x03, 0, 0, 0, 0x80}, 6,
	  0x80000000, 0, R1, 0x80000000, 0, R1 | FP | FS, ACC_R },
	{ "test qword [rbx],-1", {0x48, 0xf7, 0x03, 0xff, 0xff, 0xff, 0xff},
	  7, 0x8000000000000000ULL, 0, R1,
	  0x8000000000000000ULL, 0, R1 | FP | FS, ACC_R },
	{ "test word [rbx],0x8000", {0x66, 0xf7, 0x03, 0x00, 0x80}, 5,
	  0x7fff, 0, R1, 0x7fff, 0, R1 | FP | FZ, ACC_R },
	{ "test [rbx],ah", {0x84, 0x23}, 2,
	  0x01, 0x0100, R1, 0x01, 0x0100, R1, ACC_R },
};

static const struct xcase xchg_cases[] = {
	{ "xchg [rbx],al", {0x86, 0x03}, 2,
	  0x11, 0xffffffffffffff22ULL, R1, 0x22, 0xffffffffffffff11ULL, R1,
	  RW },
	{ "xchg [rbx],ah", {0x86, 0x23}, 2,
	  0x11, 0x2200, R1, 0x22, 0x1100, R1, RW },
	{ "xchg [rbx],ax", {0x66, 0x87, 0x03}, 3,
	  0x1111, 0xffffffffffff2222ULL, R1, 0x2222, 0xffffffffffff1111ULL,
	  R1, RW },
	{ "xchg [rbx],eax", {0x87, 0x03}, 2,
	  0xaaaaaaaa11111111ULL, 0xffffffff22222222ULL, R1,
	  0xaaaaaaaa22222222ULL, 0x11111111, R1, RW },
	{ "xchg [rbx],rax", {0x48, 0x87, 0x03}, 3, 1, 2, R1, 2, 1, R1, RW },
	{ "xchg rax,[rbx] (reg first)", {0x48, 0x87, 0x03}, 3,
	  3, 4, R1 | FC, 4, 3, R1 | FC, RW },
};

#define ALLF	(R1 | FC | FP | FA | FZ | FS | FO)

static const struct xcase unary_cases[] = {
	{ "not byte", {0xf6, 0x13}, 2, 0xaa0f, 0, ALLF, 0xaaf0, 0, ALLF, RW },
	{ "not word", {0x66, 0xf7, 0x13}, 3, 0x00ff, 0, R1, 0xff00, 0, R1,
	  RW },
	{ "not dword", {0xf7, 0x13}, 2, 0, 0, R1, 0xffffffff, 0, R1, RW },
	{ "not qword", {0x48, 0xf7, 0x13}, 3,
	  0x0123456789abcdefULL, 0, R1, 0xfedcba9876543210ULL, 0, R1, RW },
	{ "neg byte 1", {0xf6, 0x1b}, 2,
	  1, 0, R1, 0xff, 0, R1 | FC | FP | FA | FS, RW },
	{ "neg byte 0x80", {0xf6, 0x1b}, 2,
	  0x80, 0, R1, 0x80, 0, R1 | FC | FS | FO, RW },
	{ "neg dword 0", {0xf7, 0x1b}, 2,
	  0, 0, R1 | FC, 0, 0, R1 | FP | FZ, RW },
	{ "neg qword 5", {0x48, 0xf7, 0x1b}, 3,
	  5, 0, R1, 0xfffffffffffffffbULL, 0, R1 | FC | FA | FS, RW },
	{ "neg word 0x8000", {0x66, 0xf7, 0x1b}, 3,
	  0x8000, 0, R1, 0x8000, 0, R1 | FC | FP | FS | FO, RW },
	{ "inc byte keeps CF", {0xfe, 0x03}, 2,
	  0x7f, 0, R1 | FC, 0x80, 0, R1 | FC | FA | FS | FO, RW },
	{ "dec byte does not set CF", {0xfe, 0x0b}, 2,
	  0, 0, R1, 0xff, 0, R1 | FP | FA | FS, RW },
	{ "inc word wraps", {0x66, 0xff, 0x03}, 3,
	  0xffff, 0, R1, 0, 0, R1 | FP | FA | FZ, RW },
	{ "inc dword", {0xff, 0x03}, 2, 0xf, 0, R1, 0x10, 0, R1 | FA, RW },
	{ "dec qword keeps CF", {0x48, 0xff, 0x0b}, 3,
	  0x8000000000000000ULL, 0, R1 | FC,
	  0x7fffffffffffffffULL, 0, R1 | FC | FP | FA | FO, RW },
};

#define NOCF	(ALLF & ~FC)

static const struct xcase bt_cases[] = {
	{ "bt [rbx],eax set", {0x0f, 0xa3, 0x03}, 3,
	  0x20, 5, NOCF, 0x20, 5, ALLF, ACC_R },
	{ "bt [rbx],eax clear", {0x0f, 0xa3, 0x03}, 3,
	  0x20, 4, ALLF, 0x20, 4, NOCF, ACC_R },
	{ "bts [rbx],eax", {0x0f, 0xab, 0x03}, 3,
	  0, 3, R1 | FC, 8, 3, R1, RW },
	{ "btr [rbx],eax", {0x0f, 0xb3, 0x03}, 3,
	  0xff, 7, R1, 0x7f, 7, R1 | FC, RW },
	{ "btc [rbx],eax", {0x0f, 0xbb, 0x03}, 3,
	  0, 31, R1, 0x80000000, 31, R1, RW },
	{ "bts [rbx],rax bit 63", {0x48, 0x0f, 0xab, 0x03}, 4,
	  0, 63, R1, 0x8000000000000000ULL, 63, R1, RW },
	{ "btr [rbx],ax bit 15", {0x66, 0x0f, 0xb3, 0x03}, 4,
	  0xffffffff, 15, R1, 0xffff7fff, 15, R1 | FC, RW },
	{ "bt dword [rbx],0x25: imm mod 32", {0x0f, 0xba, 0x23, 0x25}, 4,
	  0x20, 0, R1, 0x20, 0, R1 | FC, ACC_R },
	{ "bts word [rbx],17: imm mod 16", {0x66, 0x0f, 0xba, 0x2b, 0x11}, 5,
	  0, 0, R1, 2, 0, R1, RW },
	{ "btr qword [rbx],63", {0x48, 0x0f, 0xba, 0x33, 0x3f}, 5,
	  0x8000000000000001ULL, 0, R1, 1, 0, R1 | FC, RW },
	{ "btc dword [rbx],0", {0x0f, 0xba, 0x3b, 0x00}, 4,
	  1, 0, R1, 0, 0, R1 | FC, RW },
	{ "btc qword [rbx],0xff: imm mod 64", {0x48, 0x0f, 0xba, 0x3b, 0xff},
	  5, 0, 0, R1, 0x8000000000000000ULL, 0, R1, RW },
};

static const struct xcase xadd_cases[] = {
	{ "xadd [rbx],eax", {0x0f, 0xc1, 0x03}, 3,
	  1, 0xaaaaaaaa7fffffffULL, R1 | FC,
	  0x80000000, 1, R1 | FO | FS | FA | FP, RW },
	{ "xadd [rbx],al", {0x0f, 0xc0, 0x03}, 3,
	  0xaaaaaaaaaaaaaa80ULL, 0x5555555555555580ULL, R1,
	  0xaaaaaaaaaaaaaa00ULL, 0x5555555555555580ULL,
	  R1 | FC | FZ | FP | FO, RW },
	{ "xadd [rbx],ah", {0x0f, 0xc0, 0x23}, 3,
	  0xaaaaaaaaaaaaaa01ULL, 0x1234, R1 | FZ,
	  0xaaaaaaaaaaaaaa13ULL, 0x0134, R1, RW },
	{ "xadd [rbx],rax", {0x48, 0x0f, 0xc1, 0x03}, 3 + 1,
	  -1ULL, 1, R1, 0, -1ULL, R1 | FC | FZ | FP | FA, RW },
	{ "lock xadd [rbx],ax", {0xf0, 0x66, 0x0f, 0xc1, 0x03}, 5,
	  0xaaaaaaaaaaaa7fffULL, 0x5555555555550001ULL, R1 | FD | FI,
	  0xaaaaaaaaaaaa8000ULL, 0x5555555555557fffULL,
	  R1 | FD | FI | FO | FS | FA | FP, RW },
};

TEST(exec_xadd)
{
	run_xcases(xadd_cases, ARRAY_SIZE(xadd_cases));
}

TEST(exec_add)
{
	run_xcases(add_cases, ARRAY_SIZE(add_cases));
}

TEST(exec_or)
{
	run_xcases(or_cases, ARRAY_SIZE(or_cases));
}

TEST(exec_adc)
{
	run_xcases(adc_cases, ARRAY_SIZE(adc_cases));
}

TEST(exec_sbb)
{
	run_xcases(sbb_cases, ARRAY_SIZE(sbb_cases));
}

TEST(exec_and)
{
	run_xcases(and_cases, ARRAY_SIZE(and_cases));
}

TEST(exec_sub)
{
	run_xcases(sub_cases, ARRAY_SIZE(sub_cases));
}

TEST(exec_xor)
{
	run_xcases(xor_cases, ARRAY_SIZE(xor_cases));
}

TEST(exec_cmp)
{
	run_xcases(cmp_cases, ARRAY_SIZE(cmp_cases));
}

TEST(exec_test)
{
	run_xcases(test_cases, ARRAY_SIZE(test_cases));
}

TEST(exec_xchg)
{
	run_xcases(xchg_cases, ARRAY_SIZE(xchg_cases));
}

TEST(exec_not_neg_inc_dec)
{
	run_xcases(unary_cases, ARRAY_SIZE(unary_cases));
}

TEST(exec_bt_imm_and_in_range)
{
	run_xcases(bt_cases, ARRAY_SIZE(bt_cases));
}

/*
 * CMPXCHG: [rbx] against the accumulator, the new value from DL/DH/DX/
 * EDX/RDX. The memory operand is always read once and written once (the
 * old value when the comparison fails); the accumulator changes only on
 * failure; the flags are those of CMP accumulator, [rbx].
 */
struct ccase {
	const char *what;
	u8 b[8];
	u8 n;
	u64 mem, rax, rdx, fl;
	u64 mem_after, rax_after, fl_after;
};

static const struct ccase cmpxchg_cases[] = {
	{ "cmpxchg [rbx],dl: equal", {0x0f, 0xb0, 0x13}, 3,
	  0xaaaaaaaaaaaaaa11ULL, 0x5555555555555511ULL, 0x22, R1 | FC,
	  0xaaaaaaaaaaaaaa22ULL, 0x5555555555555511ULL, R1 | FZ | FP },
	{ "cmpxchg [rbx],dl: AL 0x80, [rbx] 0x7f", {0x0f, 0xb0, 0x13}, 3,
	  0xaaaaaaaaaaaaaa7fULL, 0x5555555555555580ULL, 0x22, R1,
	  0xaaaaaaaaaaaaaa7fULL, 0x555555555555557fULL, R1 | FO | FA },
	{ "cmpxchg [rbx],dh", {0x0f, 0xb0, 0x33}, 3,
	  0xaaaaaaaaaaaaaa11ULL, 0x11, 0x3300, R1,
	  0xaaaaaaaaaaaaaa33ULL, 0x11, R1 | FZ | FP },
	{ "cmpxchg [rbx],dx: not equal", {0x66, 0x0f, 0xb1, 0x13}, 4,
	  0xaaaaaaaaaaaa8000ULL, 0x5555555555550001ULL, 0x1234, R1 | FZ,
	  0xaaaaaaaaaaaa8000ULL, 0x5555555555558000ULL, R1 | FC | FS | FO },
	{ "cmpxchg [rbx],edx: equal keeps RAX[63:32]", {0x0f, 0xb1, 0x13}, 3,
	  0xaaaaaaaa12345678ULL, 0xffffffff12345678ULL, 0x9abcdef0, R1,
	  0xaaaaaaaa9abcdef0ULL, 0xffffffff12345678ULL, R1 | FZ | FP },
	{ "cmpxchg [rbx],edx: not equal zero-extends", {0x0f, 0xb1, 0x13}, 3,
	  0xaaaaaaaa00000002ULL, 0xffffffff00000001ULL, 7, R1,
	  0xaaaaaaaa00000002ULL, 2, R1 | FC | FP | FA | FS },
	{ "lock cmpxchg [rbx],rdx: equal", {0xf0, 0x48, 0x0f, 0xb1, 0x13}, 5,
	  0x8000000000000000ULL, 0x8000000000000000ULL, 1, R1 | FS,
	  1, 0x8000000000000000ULL, R1 | FZ | FP },
	{ "cmpxchg [rbx],rdx: not equal", {0x48, 0x0f, 0xb1, 0x13}, 4,
	  0, 1, 5, R1 | FZ | FC, 0, 0, R1 },
	{ "cmpxchg keeps DF and IF", {0x0f, 0xb1, 0x13}, 3,
	  0x80000000, 0x80000000, 0, R1 | FD | FI,
	  0, 0x80000000, R1 | FD | FI | FZ | FP },
};

TEST(exec_cmpxchg)
{
	const struct ccase *c;
	int ret;

	for (c = cmpxchg_cases; c < cmpxchg_cases + ARRAY_SIZE(cmpxchg_cases);
	     c++) {
		reset();
		st.regs[RBX] = MEM_BASE;
		st.regs[RAX] = c->rax;
		st.regs[RDX] = c->rdx;
		st.rflags = c->fl;
		put(MEM_BASE, c->mem, 8);
		put(MEM_BASE + 8, 0x5555555555555555ULL, 8);
		ret = kvmod_emul_decode(c->b, c->n, L64, false, &insn);
		if (ret || insn.len != c->n || insn.op != OP(CMPXCHG)) {
			DFAIL("decode %d len %d", ret, insn.len);
			continue;
		}
		ret = kvmod_emul_exec(&insn, &st, &ops, NULL);
		if (ret)
			DFAIL("exec returned %d", ret);
		if (get(MEM_BASE, 8) != c->mem_after)
			DFAIL("mem %#llx want %#llx",
			      (unsigned long long)get(MEM_BASE, 8),
			      (unsigned long long)c->mem_after);
		if (get(MEM_BASE + 8, 8) != 0x5555555555555555ULL)
			DFAIL("mem+8 %#llx",
			      (unsigned long long)get(MEM_BASE + 8, 8));
		if (st.regs[RAX] != c->rax_after)
			DFAIL("rax %#llx want %#llx",
			      (unsigned long long)st.regs[RAX],
			      (unsigned long long)c->rax_after);
		if (st.regs[RDX] != c->rdx || st.regs[RBX] != MEM_BASE)
			DFAIL("rdx %#llx", (unsigned long long)st.regs[RDX]);
		if (st.rflags != c->fl_after)
			DFAIL("rflags %#llx want %#llx",
			      (unsigned long long)st.rflags,
			      (unsigned long long)c->fl_after);
		if (st.rip != RIP0 + c->n)
			DFAIL("rip %#llx", (unsigned long long)st.rip);
		if (m.nlog != 2 || m.log[0].write || !m.log[1].write ||
		    m.log[0].gla != MEM_BASE || m.log[1].gla != MEM_BASE ||
		    m.log[0].len != insn.opsize || m.log[1].len != insn.opsize)
			DFAIL("%d accesses, want a read and a write of %d",
			      m.nlog, insn.opsize);
	}
}

/* CMPXCHG8B [rdi]: EDX:EAX against the qword, ECX:EBX stored if equal. */
TEST(exec_cmpxchg8b)
{
	reset();
	st.regs[RDI] = MEM_BASE;
	st.regs[RAX] = 0xffffffff11111111ULL;
	st.regs[RDX] = 0xffffffff22222222ULL;
	st.regs[RBX] = 0xaaaaaaaa33333333ULL;
	st.regs[RCX] = 0xbbbbbbbb44444444ULL;
	st.rflags = R1 | FC | FS;
	put(MEM_BASE, 0x2222222211111111ULL, 8);
	EXPECT_EQ(RUN64(0x0f, 0xc7, 0x0f), 0);
	EXPECT_EQ(get(MEM_BASE, 8), 0x4444444433333333ULL);
	EXPECT_EQ(st.regs[RAX], 0xffffffff11111111ULL);
	EXPECT_EQ(st.regs[RDX], 0xffffffff22222222ULL);
	EXPECT_EQ(st.rflags, R1 | FC | FS | FZ);	/* only ZF changes */
	EXPECT_EQ(m.nlog, 2);
	EXPECT_EQ(m.log[0].len, 8);
	EXPECT_EQ(m.log[1].write, true);
	EXPECT_EQ(m.log[1].len, 8);

	/* not equal: EDX:EAX loaded (zero-extended), the old value written */
	put(MEM_BASE, 0x0102030405060708ULL, 8);
	EXPECT_EQ(RUN64(0xf0, 0x0f, 0xc7, 0x0f), 0);	/* with LOCK */
	EXPECT_EQ(get(MEM_BASE, 8), 0x0102030405060708ULL);
	EXPECT_EQ(m.log[1].write, true);
	EXPECT_EQ(m.log[1].val, 0x0102030405060708ULL);
	EXPECT_EQ(st.regs[RAX], 0x05060708);
	EXPECT_EQ(st.regs[RDX], 0x01020304);
	EXPECT_EQ(st.rflags, R1 | FC | FS);

	/* 16-bit code: [bx+si], still 8 bytes; 66 changes nothing */
	reset();
	st.seg_base[DS] = MEM_BASE;
	st.regs[RBX] = 0x10;
	st.regs[RSI] = 0x8;
	st.regs[RAX] = 0x89abcdef;
	st.regs[RDX] = 0x01234567;
	st.regs[RCX] = 0x11;
	put(MEM_BASE + 0x18, 0x0123456789abcdefULL, 8);
	EXPECT_EQ(RUN16(0x66, 0x0f, 0xc7, 0x08), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x18);
	EXPECT_EQ(get(MEM_BASE + 0x18, 8), 0x0000001100000010ULL);
	EXPECT_EQ(st.rflags, R1 | FZ);
}

/* ------------------------------------------------------------------ */
/* Execution: registers, addressing, modes                             */

TEST(exec_byte_registers)
{
	/* without REX, 4-7 are AH CH DH BH; with REX, SPL BPL SIL DIL */
	reset();
	st.regs[RBX] = MEM_BASE;
	st.regs[RSP] = 0x1122;
	st.regs[RSI] = 0x3344;
	EXPECT_EQ(RUN64(0x88, 0x23), 0);		/* mov [rbx],ah */
	EXPECT_EQ(get(MEM_BASE, 1), 0x00);
	EXPECT_EQ(RUN64(0x40, 0x88, 0x23), 0);		/* mov [rbx],spl */
	EXPECT_EQ(get(MEM_BASE, 1), 0x22);
	EXPECT_EQ(RUN64(0x88, 0x33), 0);		/* mov [rbx],dh */
	EXPECT_EQ(get(MEM_BASE, 1), 0x00);
	EXPECT_EQ(RUN64(0x40, 0x88, 0x33), 0);		/* mov [rbx],sil */
	EXPECT_EQ(get(MEM_BASE, 1), 0x44);
	EXPECT_EQ(RUN64(0x88, 0x3b), 0);		/* mov [rbx],bh */
	EXPECT_EQ(get(MEM_BASE, 1), 0x00);

	/* loads into BH, DIL, R15B, R9W, R12D */
	put(MEM_BASE, 0xa5, 1);
	st.regs[RDI] = -1ULL;
	st.regs[15] = -1ULL;
	st.regs[9] = -1ULL;
	st.regs[12] = -1ULL;
	EXPECT_EQ(RUN64(0x8a, 0x3b), 0);		/* mov bh,[rbx] */
	EXPECT_EQ(st.regs[RBX], MEM_BASE | 0xa500);
	st.regs[RBX] = MEM_BASE;
	EXPECT_EQ(RUN64(0x40, 0x8a, 0x3b), 0);		/* mov dil,[rbx] */
	EXPECT_EQ(st.regs[RDI], 0xffffffffffffffa5ULL);
	EXPECT_EQ(RUN64(0x44, 0x8a, 0x3b), 0);		/* mov r15b,[rbx] */
	EXPECT_EQ(st.regs[15], 0xffffffffffffffa5ULL);
	put(MEM_BASE, 0x12345678, 4);
	EXPECT_EQ(RUN64(0x66, 0x44, 0x8b, 0x0b), 0);	/* mov r9w,[rbx] */
	EXPECT_EQ(st.regs[9], 0xffffffffffff5678ULL);
	EXPECT_EQ(RUN64(0x44, 0x8b, 0x23), 0);		/* mov r12d,[rbx] */
	EXPECT_EQ(st.regs[12], 0x12345678);
	/* [r8] with R8 as base, value into r8 */
	st.regs[8] = MEM_BASE;
	EXPECT_EQ(RUN64(0x4d, 0x8b, 0x00), 0);		/* mov r8,[r8] */
	EXPECT_EQ(st.regs[8], 0x12345678);
}

TEST(exec_addressing_64)
{
	reset();
	/* [rbx+rcx*8+0x10] */
	st.regs[RBX] = MEM_BASE;
	st.regs[RCX] = 2;
	put(MEM_BASE + 0x20, 0xcafe, 2);
	EXPECT_EQ(RUN64(0x66, 0x8b, 0x44, 0xcb, 0x10), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x20);
	EXPECT_EQ(st.regs[RAX], 0xcafe);

	/* RIP-relative: rip 0x1000, len 6, disp 0xf000 -> 0x10006 */
	st.rip = 0x1000;
	put(MEM_BASE + 6, 0x11223344, 4);
	EXPECT_EQ(RUN64(0x8b, 0x05, 0x00, 0xf0, 0x00, 0x00), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 6);
	EXPECT_EQ(st.regs[RAX], 0x11223344);
	EXPECT_EQ(st.rip, 0x1006);

	/* a32: [ebx] ignores bits 63:32 of RBX */
	st.regs[RBX] = 0xdead000000000000ULL | MEM_BASE;
	EXPECT_EQ(RUN64(0x67, 0xc6, 0x03, 0x5a), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(get(MEM_BASE, 1), 0x5a);

	/* FS and GS add their base; DS/ES/SS/CS overrides add nothing */
	st.seg_base[FSEG] = 0x100;
	st.seg_base[GS] = 0x200;
	st.seg_base[DS] = 0x300;
	st.seg_base[ES] = 0x400;
	st.regs[RBX] = MEM_BASE;
	EXPECT_EQ(RUN64(0x64, 0xc6, 0x03, 1), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x100);
	EXPECT_EQ(RUN64(0x65, 0xc6, 0x03, 1), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x200);
	EXPECT_EQ(RUN64(0x26, 0xc6, 0x03, 1), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(RUN64(0xc6, 0x03, 1), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);

	/* gs:moffs64 */
	EXPECT_EQ(RUN64(0x65, 0xa2, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x200);
}

TEST(exec_prot32)
{
	reset();
	st.seg_base[DS] = MEM_BASE;
	st.seg_base[SS] = MEM_BASE + 0x1000;
	st.seg_base[ES] = MEM_BASE + 0x2000;
	st.regs[RAX] = 0xffffffff87654321ULL;

	/* mov [ebx+4],eax: DS base added */
	st.regs[RBX] = 0;
	EXPECT_EQ(RUN32(0x89, 0x43, 0x04), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 4);
	EXPECT_EQ(get(MEM_BASE + 4, 4), 0x87654321);
	EXPECT_EQ(st.rip, RIP0 + 3);

	/* mov ax,[ebp+0]: SS */
	put(MEM_BASE + 0x1000, 0xbeef, 2);
	st.regs[RBP] = 0;
	EXPECT_EQ(RUN32(0x66, 0x8b, 0x45, 0x00), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x1000);
	EXPECT_EQ(st.regs[RAX], 0xffffffff8765beefULL);

	/* es: override */
	put(MEM_BASE + 0x2000, 0x42, 1);
	EXPECT_EQ(RUN32(0x26, 0x8a, 0x03), 0);
	EXPECT_EQ(st.regs[RAX] & 0xff, 0x42);

	/* mov eax,[0x10]: disp32, not RIP-relative */
	put(MEM_BASE + 0x10, 0x01020304, 4);
	EXPECT_EQ(RUN32(0x8b, 0x05, 0x10, 0, 0, 0), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x10);
	EXPECT_EQ(st.regs[RAX], 0x01020304);

	/* moffs32 */
	EXPECT_EQ(RUN32(0xa3, 0x20, 0, 0, 0), 0);
	EXPECT_EQ(get(MEM_BASE + 0x20, 4), 0x01020304);

	/* linear address wraps at 4 GiB: base 0xffff0000 + 0x20000 */
	st.seg_base[DS] = 0xffff0000;
	st.regs[RBX] = 0x20000;
	EXPECT_EQ(RUN32(0xc6, 0x03, 0x77), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(get(MEM_BASE, 1), 0x77);

	/* EIP wraps at 4 GiB */
	st.rip = 0xfffffffe;
	EXPECT_EQ(RUN32(0xc6, 0x03, 0x77), 0);
	EXPECT_EQ(st.rip, 1);

	/* add byte [ebx],1 with the 82 alias */
	EXPECT_EQ(RUN32(0x82, 0x03, 0x01), 0);
	EXPECT_EQ(get(MEM_BASE, 1), 0x78);
}

TEST(exec_real16)
{
	reset();
	st.seg_base[DS] = MEM_BASE;
	st.seg_base[SS] = MEM_BASE + 0x100;
	st.seg_base[ES] = MEM_BASE + 0x200;
	st.regs[RAX] = 0xaaaaaaaaaaaa1234ULL;

	/* mov [bx],ax */
	st.regs[RBX] = 0x10;
	EXPECT_EQ(RUN16(0x89, 0x07), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x10);
	EXPECT_EQ(m.log[0].len, 2);
	EXPECT_EQ(get(MEM_BASE + 0x10, 2), 0x1234);

	/* mov eax,[bx]: 66 gives 32 bits, written zero-extended */
	put(MEM_BASE + 0x10, 0xdeadbeef, 4);
	EXPECT_EQ(RUN16(0x66, 0x8b, 0x07), 0);
	EXPECT_EQ(st.regs[RAX], 0xdeadbeef);

	/* mov ax,[bp+2]: SS */
	put(MEM_BASE + 0x100 + 0x12, 0x5678, 2);
	st.regs[RBP] = 0x10;
	EXPECT_EQ(RUN16(0x8b, 0x46, 0x02), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x112);
	EXPECT_EQ(st.regs[RAX], 0xdead5678);

	/* [bx+2] with BX 0xffff wraps to offset 1 */
	st.regs[RBX] = 0xffff;
	EXPECT_EQ(RUN16(0x8b, 0x47, 0x02), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 1);

	/* es: override, and mov word [bx],imm16 */
	st.regs[RBX] = 0;
	st.rip = RIP0;
	EXPECT_EQ(RUN16(0x26, 0xc7, 0x07, 0xcd, 0xab), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x200);
	EXPECT_EQ(get(MEM_BASE + 0x200, 2), 0xabcd);
	EXPECT_EQ(st.rip, RIP0 + 5);

	/* moffs16 */
	EXPECT_EQ(RUN16(0xa0, 0x00, 0x02), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x200);

	/* or word [bx],-1 with the 16-bit flags */
	EXPECT_EQ(RUN16(0x83, 0x0f, 0xff), 0);
	EXPECT_EQ(get(MEM_BASE, 2), 0xffff);
	EXPECT_EQ(st.rflags, R1 | FP | FS);
}

/* BT with a register offset addresses whole operands around [rbx]. */
TEST(exec_bt_register_offset)
{
	u64 base = MEM_BASE + 0x100;

	reset();
	st.regs[RBX] = base;

	/* bt [rbx],eax with 37: dword at +4, bit 5 */
	put(base + 4, 0x20, 4);
	st.regs[RAX] = 37;
	EXPECT_EQ(RUN64(0x0f, 0xa3, 0x03), 0);
	EXPECT_EQ(m.log[0].gla, base + 4);
	EXPECT_EQ(m.log[0].len, 4);
	EXPECT_EQ(st.rflags, R1 | FC);

	/* -1 as a 32-bit offset: dword at -4, bit 31; upper RAX ignored */
	put(base - 4, 0x80000000, 4);
	st.regs[RAX] = 0x12345678ffffffffULL;
	st.rflags = R1;
	EXPECT_EQ(RUN64(0x0f, 0xa3, 0x03), 0);
	EXPECT_EQ(m.log[0].gla, base - 4);
	EXPECT_EQ(st.rflags, R1 | FC);

	/* bts word: ax = -16 -> word at -2, bit 0 */
	put(base - 2, 0, 2);
	st.regs[RAX] = 0xfff0;
	EXPECT_EQ(RUN64(0x66, 0x0f, 0xab, 0x03), 0);
	EXPECT_EQ(m.log[0].gla, base - 2);
	EXPECT_EQ(m.log[1].write, true);
	EXPECT_EQ(m.log[1].gla, base - 2);
	EXPECT_EQ(get(base - 2, 2), 1);
	EXPECT_EQ(st.rflags, R1);

	/* btr qword with 127: qword at +8, bit 63 */
	put(base + 8, 0x8000000000000001ULL, 8);
	st.regs[RAX] = 127;
	EXPECT_EQ(RUN64(0x48, 0x0f, 0xb3, 0x03), 0);
	EXPECT_EQ(m.log[0].gla, base + 8);
	EXPECT_EQ(get(base + 8, 8), 1);
	EXPECT_EQ(st.rflags, R1 | FC);

	/* btc qword with -65: floor(-65 / 64) = -2 -> qword at -16, bit 63 */
	put(base - 16, 0, 8);
	st.regs[RAX] = -65ULL;
	EXPECT_EQ(RUN64(0x48, 0x0f, 0xbb, 0x03), 0);
	EXPECT_EQ(m.log[0].gla, base - 16);
	EXPECT_EQ(get(base - 16, 8), 0x8000000000000000ULL);
	EXPECT_EQ(st.rflags, R1);

	/* 16-bit address size wraps the adjusted offset */
	reset();
	st.seg_base[DS] = MEM_BASE;
	st.regs[RBX] = 0;
	st.regs[RAX] = 0xffe0;			/* -32: word at -4 */
	put(MEM_BASE + 0xfffc, 0x1, 2);
	EXPECT_EQ(RUN16(0x0f, 0xa3, 0x07), 0);	/* bt [bx],ax */
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0xfffc);
	EXPECT_EQ(st.rflags, R1 | FC);
}

/* ------------------------------------------------------------------ */
/* String instructions                                                 */

TEST(exec_movs)
{
	reset();
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	put(MEM_BASE, 0x0807060504030201ULL, 8);

	EXPECT_EQ(RUN64(0xa4), 0);			/* movsb */
	EXPECT_EQ(m.nlog, 2);
	EXPECT_EQ(m.log[0].write, false);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(m.log[1].write, true);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x100);
	EXPECT_EQ(m.log[1].len, 1);
	EXPECT_EQ(get(MEM_BASE + 0x100, 1), 0x01);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 1);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x101);
	EXPECT_EQ(st.rip, RIP0 + 1);

	EXPECT_EQ(RUN64(0x66, 0xa5), 0);		/* movsw */
	EXPECT_EQ(get(MEM_BASE + 0x101, 2), 0x0302);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 3);

	EXPECT_EQ(RUN64(0xa5), 0);			/* movsd */
	EXPECT_EQ(get(MEM_BASE + 0x103, 4), 0x07060504);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x107);

	/* movsq backwards (DF = 1) */
	st.rflags = R1 | FD;
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x200;
	EXPECT_EQ(RUN64(0x48, 0xa5), 0);
	EXPECT_EQ(get(MEM_BASE + 0x200, 8), 0x0807060504030201ULL);
	EXPECT_EQ(st.regs[RSI], MEM_BASE - 8);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x1f8);
	EXPECT_EQ(st.rflags, R1 | FD);

	/* fs: source; destination stays ES (base 0 in 64-bit mode) */
	st.rflags = R1;
	st.seg_base[FSEG] = 0x40;
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x300;
	EXPECT_EQ(RUN64(0x64, 0xa4), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x40);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x300);
}

TEST(exec_rep_movs_one_iteration_per_call)
{
	int i, ret;

	reset();
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	st.regs[RCX] = 3;
	put(MEM_BASE, 0x0807060504030201ULL, 8);
	put(MEM_BASE + 8, 0x0c0b0a09, 4);

	EXPECT_EQ(DECODE(L64, false, &insn, 0xf3, 0xa5), 0);
	for (i = 0; i < 3; i++) {
		clear_log();
		ret = kvmod_emul_exec(&insn, &st, &ops, NULL);
		EXPECT_EQ(ret, i < 2 ? KVMOD_EMUL_REP_MORE : KVMOD_EMUL_REP_END);
		EXPECT_EQ(m.reads, 1);
		EXPECT_EQ(m.writes, 1);
		EXPECT_EQ(st.regs[RCX], 2 - i);
		EXPECT_EQ(st.regs[RSI], MEM_BASE + 4 * (i + 1));
		EXPECT_EQ(st.rip, i < 2 ? RIP0 : RIP0 + 2);
	}
	EXPECT_EQ(get(MEM_BASE + 0x100, 8), 0x0807060504030201ULL);
	EXPECT_EQ(get(MEM_BASE + 0x108, 4), 0x0c0b0a09);

	/* RCX = 0: nothing accessed, RIP advanced */
	clear_log();
	st.rip = RIP0;
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(m.nlog, 0);
	EXPECT_EQ(st.rip, RIP0 + 2);
	EXPECT_EQ(st.regs[RCX], 0);

	/* a32: only ECX counts; 0x100000000 is zero */
	st.rip = RIP0;
	st.regs[RCX] = 0x100000000ULL;
	EXPECT_EQ(RUN64(0x67, 0xf3, 0xa4), 0);
	EXPECT_EQ(m.nlog, 0);
	EXPECT_EQ(st.regs[RCX], 0x100000000ULL);
	EXPECT_EQ(st.rip, RIP0 + 3);

	/* a32 with ECX 1: ESI/EDI/ECX written as 32-bit registers */
	st.rip = RIP0;
	st.regs[RCX] = 0xffffffff00000001ULL;
	st.regs[RSI] = 0xffffffff00000000ULL | MEM_BASE;
	st.regs[RDI] = 0xffffffff00000000ULL | (MEM_BASE + 0x400);
	EXPECT_EQ(RUN64(0x67, 0xf3, 0xa4), KVMOD_EMUL_REP_END);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x400);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 1);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x401);
	EXPECT_EQ(st.rip, RIP0 + 3);
}

TEST(exec_stos_lods)
{
	reset();
	st.regs[RAX] = 0x1122334455667788ULL;
	st.regs[RDI] = MEM_BASE;
	st.regs[RCX] = 2;

	/* rep stosb, two calls */
	EXPECT_EQ(RUN64(0xf3, 0xaa), KVMOD_EMUL_REP_MORE);
	EXPECT_EQ(m.log[0].write, true);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(st.rip, RIP0);
	EXPECT_EQ(RUN64(0xf3, 0xaa), KVMOD_EMUL_REP_END);
	EXPECT_EQ(get(MEM_BASE, 4), 0x8888);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 2);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.rip, RIP0 + 2);

	/* stosw, stosd, stosq */
	st.regs[RDI] = MEM_BASE + 0x10;
	EXPECT_EQ(RUN64(0x66, 0xab), 0);
	EXPECT_EQ(get(MEM_BASE + 0x10, 4), 0x7788);
	EXPECT_EQ(RUN64(0xab), 0);
	EXPECT_EQ(get(MEM_BASE + 0x12, 4), 0x55667788);
	EXPECT_EQ(RUN64(0x48, 0xab), 0);
	EXPECT_EQ(get(MEM_BASE + 0x16, 8), 0x1122334455667788ULL);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x1e);

	/* stos ignores a segment override: ES, and in 32-bit mode its base */
	st.seg_base[ES] = MEM_BASE;
	st.seg_base[FSEG] = MEM_BASE + 0x1000;
	st.regs[RDI] = 0x40;
	EXPECT_EQ(RUN32(0x64, 0xaa), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x40);

	/* lodsb merges, lodsd zero-extends, lodsq; no writes */
	put(MEM_BASE + 0x80, 0xf1f2f3f4f5f6f7f8ULL, 8);
	st.regs[RSI] = MEM_BASE + 0x80;
	st.regs[RAX] = -1ULL;
	EXPECT_EQ(RUN64(0xac), 0);
	EXPECT_EQ(m.writes, 0);
	EXPECT_EQ(st.regs[RAX], 0xfffffffffffffff8ULL);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 0x81);
	st.regs[RSI] = MEM_BASE + 0x80;
	EXPECT_EQ(RUN64(0xad), 0);
	EXPECT_EQ(st.regs[RAX], 0xf5f6f7f8);
	st.regs[RSI] = MEM_BASE + 0x80;
	EXPECT_EQ(RUN64(0x48, 0xad), 0);
	EXPECT_EQ(st.regs[RAX], 0xf1f2f3f4f5f6f7f8ULL);
	st.rflags = R1 | FD;
	st.regs[RSI] = MEM_BASE + 0x80;
	EXPECT_EQ(RUN64(0x66, 0xad), 0);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 0x7e);
	/* rep lodsb with RCX 1 */
	st.regs[RCX] = 1;
	EXPECT_EQ(RUN64(0xf3, 0xac), KVMOD_EMUL_REP_END);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 0x7d);
}

TEST(exec_string_16bit)
{
	reset();
	st.seg_base[DS] = MEM_BASE;
	st.seg_base[ES] = MEM_BASE + 0x1000;
	st.regs[RSI] = 0xabcd0000ULL;		/* SI 0 */
	st.regs[RDI] = 0x12340100ULL;		/* DI 0x100 */
	st.regs[RCX] = 0x55550001ULL;		/* CX 1 */
	put(MEM_BASE, 0x99, 1);

	EXPECT_EQ(RUN16(0xf3, 0xa4), KVMOD_EMUL_REP_END); /* rep movsb */
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x1100);
	EXPECT_EQ(get(MEM_BASE + 0x1100, 1), 0x99);
	/* only the low 16 bits change */
	EXPECT_EQ(st.regs[RSI], 0xabcd0001ULL);
	EXPECT_EQ(st.regs[RDI], 0x12340101ULL);
	EXPECT_EQ(st.regs[RCX], 0x55550000ULL);
	EXPECT_EQ(st.rip, RIP0 + 2);

	/* SI wraps at 64 KiB */
	st.regs[RSI] = 0xabcdffffULL;
	EXPECT_EQ(RUN16(0xac), 0);			/* lodsb */
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0xffff);
	EXPECT_EQ(st.regs[RSI], 0xabcd0000ULL);

	/* CX 0 with upper bits set: nothing */
	st.regs[RCX] = 0x10000;
	EXPECT_EQ(RUN16(0xf3, 0xaa), 0);
	EXPECT_EQ(m.nlog, 0);
}

/* CMPS: [rSI] - [rDI], the source read first; SCAS: rAX - ES:[rDI]. */
TEST(exec_cmps_scas)
{
	reset();
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	st.regs[RAX] = 0x1122334455667788ULL;
	put(MEM_BASE, 0x05, 1);
	put(MEM_BASE + 0x100, 0x07, 1);

	EXPECT_EQ(RUN64(0xa6), 0);			/* cmpsb */
	EXPECT_EQ(m.nlog, 2);
	EXPECT_EQ(m.writes, 0);
	EXPECT_EQ(m.log[0].write, false);
	EXPECT_EQ(m.log[0].gla, MEM_BASE);
	EXPECT_EQ(m.log[1].write, false);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x100);
	EXPECT_EQ(st.rflags, R1 | FC | FA | FS);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 1);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x101);
	EXPECT_EQ(st.regs[RAX], 0x1122334455667788ULL);
	EXPECT_EQ(st.rip, RIP0 + 1);

	/* cmpsw downwards, equal */
	put(MEM_BASE + 1, 0xbeef, 2);
	put(MEM_BASE + 0x101, 0xbeef, 2);
	st.rflags = R1 | FD | FC;
	EXPECT_EQ(RUN64(0x66, 0xa7), 0);
	EXPECT_EQ(m.log[0].len, 2);
	EXPECT_EQ(st.rflags, R1 | FD | FZ | FP);
	EXPECT_EQ(st.regs[RSI], MEM_BASE - 1);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0xff);

	/* cmpsd with fs: on the source; cmpsq */
	st.rflags = R1;
	st.seg_base[FSEG] = 0x40;
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x200;
	put(MEM_BASE + 0x40, 0x80000000, 4);
	put(MEM_BASE + 0x200, 1, 4);
	EXPECT_EQ(RUN64(0x64, 0xa7), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x40);
	EXPECT_EQ(m.log[1].gla, MEM_BASE + 0x200);
	EXPECT_EQ(st.rflags, R1 | FO | FA | FP);
	put(MEM_BASE + 4, 0, 8);
	put(MEM_BASE + 0x204, 1, 8);
	st.regs[RSI] = MEM_BASE + 4;
	EXPECT_EQ(RUN64(0x48, 0xa7), 0);
	EXPECT_EQ(st.rflags, R1 | FC | FP | FA | FS);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 0xc);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x20c);

	/* scasb: AL - [rdi]; RSI untouched; an fs: prefix is ignored */
	st.regs[RDI] = MEM_BASE + 0x300;
	st.regs[RSI] = 0x77;
	put(MEM_BASE + 0x300, 0x88, 1);
	EXPECT_EQ(RUN64(0x64, 0xae), 0);
	EXPECT_EQ(m.nlog, 1);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x300);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x301);
	EXPECT_EQ(st.regs[RSI], 0x77);
	/* scasq */
	put(MEM_BASE + 0x301, 0x1122334455667789ULL, 8);
	EXPECT_EQ(RUN64(0x48, 0xaf), 0);
	EXPECT_EQ(m.log[0].len, 8);
	EXPECT_EQ(st.rflags, R1 | FC | FP | FA | FS);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x309);

	/* 16-bit: scasw at ES:DI, DI wraps; cmpsb with SI wrapping */
	reset();
	st.seg_base[ES] = MEM_BASE;
	st.seg_base[DS] = MEM_BASE + 0x1000;
	st.regs[RDI] = 0xabcdfffe;
	st.regs[RAX] = 0x1234;
	put(MEM_BASE + 0xfffe, 0x1234, 2);
	EXPECT_EQ(RUN16(0xaf), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0xfffe);
	EXPECT_EQ(st.regs[RDI], 0xabcd0000ULL);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);
	st.regs[RSI] = 0xffff;
	put(MEM_BASE + 0x1000 + 0xffff - 0x1000, 0, 1);
	EXPECT_EQ(RUN16(0x26, 0xa6), 0);		/* es: cmpsb */
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0xffff);
	EXPECT_EQ(m.log[1].gla, MEM_BASE);
	EXPECT_EQ(st.regs[RSI], 0);
	EXPECT_EQ(st.regs[RDI], 0xabcd0001ULL);
}

/* Run @insn until it completes; the results of each call in @rets. */
static int run_rep(int *rets, int max)
{
	int i, ret = KVMOD_EMUL_REP_MORE;

	for (i = 0; i < max && ret == KVMOD_EMUL_REP_MORE; i++) {
		ret = kvmod_emul_exec(&insn, &st, &ops, NULL);
		rets[i] = ret;
	}
	return i;
}

/*
 * REPE/REPNE: a CMPS or SCAS that stops on ZF completes (0, RIP past
 * it); one that runs out of count ends with KVMOD_EMUL_REP_END.
 */
TEST(exec_rep_cmps_scas)
{
	static const u8 src[] = { 1, 2, 3, 4 };
	static const u8 dst[] = { 1, 2, 9, 4 };
	int rets[8];

	reset();
	memcpy(m.ram, src, sizeof(src));
	memcpy(m.ram + 0x100, dst, sizeof(dst));
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	st.regs[RCX] = 4;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xf3, 0xa6), 0);	/* repe */
	EXPECT_EQ(run_rep(rets, 8), 3);
	EXPECT_EQ(rets[0], KVMOD_EMUL_REP_MORE);
	EXPECT_EQ(rets[1], KVMOD_EMUL_REP_MORE);
	EXPECT_EQ(rets[2], 0);
	EXPECT_EQ(st.regs[RCX], 1);
	EXPECT_EQ(st.regs[RSI], MEM_BASE + 3);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 0x103);
	EXPECT_EQ(st.rip, RIP0 + 2);
	EXPECT_EQ(st.rflags, R1 | FC | FP | FA | FS);	/* 3 - 9 = 0xfa */

	/* the RIP stays while it repeats */
	st.rip = RIP0;
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	st.regs[RCX] = 4;
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL),
		  KVMOD_EMUL_REP_MORE);
	EXPECT_EQ(st.rip, RIP0);
	EXPECT_EQ(st.regs[RCX], 3);

	/* repe running out of count: all equal */
	st.rip = RIP0;
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MEM_BASE + 0x100;
	st.regs[RCX] = 2;
	EXPECT_EQ(run_rep(rets, 8), 2);
	EXPECT_EQ(rets[1], KVMOD_EMUL_REP_END);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.rip, RIP0 + 2);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);

	/* the last element differs: the ZF condition ends it, not the count */
	st.rip = RIP0;
	st.regs[RSI] = MEM_BASE + 2;
	st.regs[RDI] = MEM_BASE + 0x102;
	st.regs[RCX] = 1;
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.rip, RIP0 + 2);

	/* RCX 0: nothing read, RIP advanced, flags kept */
	st.rip = RIP0;
	st.rflags = R1 | FO;
	clear_log();
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(m.nlog, 0);
	EXPECT_EQ(st.rip, RIP0 + 2);
	EXPECT_EQ(st.rflags, R1 | FO);

	/* repne cmpsb stops at the first equal pair (element 4) */
	st.rip = RIP0;
	st.regs[RSI] = MEM_BASE + 2;
	st.regs[RDI] = MEM_BASE + 0x102;
	st.regs[RCX] = 5;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xf2, 0xa6), 0);
	EXPECT_EQ(run_rep(rets, 8), 2);
	EXPECT_EQ(rets[1], 0);
	EXPECT_EQ(st.regs[RCX], 3);
	EXPECT_EQ(st.rflags & FZ, FZ);
	EXPECT_EQ(st.rip, RIP0 + 2);

	/* repne scasb looks for AL = 3 */
	st.rip = RIP0;
	st.regs[RAX] = 0x103;
	st.regs[RDI] = MEM_BASE;
	st.regs[RCX] = 10;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xf2, 0xae), 0);
	EXPECT_EQ(run_rep(rets, 8), 3);
	EXPECT_EQ(rets[2], 0);
	EXPECT_EQ(st.regs[RCX], 7);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 3);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);

	/* repe scasw, a32: only ECX counts and is written */
	st.rip = RIP0;
	st.regs[RAX] = 0x0201;
	st.regs[RDI] = MEM_BASE;
	st.regs[RCX] = 0x500000001ULL;
	EXPECT_EQ(DECODE(L64, false, &insn, 0x67, 0xf3, 0x66, 0xaf), 0);
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL),
		  KVMOD_EMUL_REP_END);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 2);
	EXPECT_EQ(st.rip, RIP0 + 4);
}

/* The 16-byte SSE moves: one access of 16 bytes, XMM through the ops. */
TEST(exec_sse)
{
	struct kvmod_emul_ops no_xmm = { .read = t_read, .write = t_write };
	struct kvmod_emul_state before;
	int i;

	reset();
	for (i = 0; i < 16; i++) {
		m.xmm[1][i] = i;
		m.xmm[9][i] = 0xe0 + i;
	}
	st.regs[RBX] = MEM_BASE + 0x10;
	st.rflags = R1 | FC;

	EXPECT_EQ(RUN64(0x0f, 0x11, 0x0b), 0);	/* movups [rbx],xmm1 */
	EXPECT_EQ(m.nlog, 1);
	EXPECT_EQ(m.log[0].write, true);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x10);
	EXPECT_EQ(m.log[0].len, 16);
	EXPECT_EQ(memcmp(m.ram + 0x10, m.xmm[1], 16), 0);
	EXPECT_EQ(st.rip, RIP0 + 3);
	EXPECT_EQ(st.rflags, R1 | FC);
	EXPECT_EQ(m.xmm_gets, 1);

	/* movaps xmm9,[rbx]; movdqa [rbx+0x10],xmm9 */
	EXPECT_EQ(RUN64(0x44, 0x0f, 0x28, 0x0b), 0);
	EXPECT_EQ(m.log[0].write, false);
	EXPECT_EQ(m.log[0].len, 16);
	EXPECT_EQ(memcmp(m.xmm[9], m.xmm[1], 16), 0);
	EXPECT_EQ(m.xmm_puts, 1);
	EXPECT_EQ(RUN64(0x66, 0x44, 0x0f, 0x7f, 0x4b, 0x10), 0);
	EXPECT_EQ(memcmp(m.ram + 0x20, m.xmm[1], 16), 0);

	/* movdqu works unaligned; movdqa, movaps, movntdq fault (#GP) */
	st.regs[RBX] = MEM_BASE + 0x31;
	EXPECT_EQ(RUN64(0xf3, 0x0f, 0x7f, 0x0b), 0);
	EXPECT_EQ(memcmp(m.ram + 0x31, m.xmm[1], 16), 0);
	EXPECT_EQ(RUN64(0x66, 0x0f, 0x10, 0x13), 0);	/* movupd xmm2 */
	EXPECT_EQ(memcmp(m.xmm[2], m.xmm[1], 16), 0);
	before = st;
	EXPECT_EQ(RUN64(0x66, 0x0f, 0x6f, 0x03), -KVMOD_EMUL_E_ALIGN);
	EXPECT_EQ(RUN64(0x0f, 0x29, 0x03), -KVMOD_EMUL_E_ALIGN);
	EXPECT_EQ(RUN64(0x66, 0x0f, 0xe7, 0x03), -KVMOD_EMUL_E_ALIGN);
	EXPECT_EQ(RUN64(0x0f, 0x2b, 0x03), -KVMOD_EMUL_E_ALIGN);
	EXPECT_EQ(m.nlog, 0);
	expect_same_state(__LINE__, &before);

	/* alignment is of the linear address: DS base + offset */
	reset();
	memset(m.xmm[3], 0x5a, 16);
	st.seg_base[DS] = MEM_BASE + 8;
	st.regs[RBX] = 8;
	EXPECT_EQ(RUN32(0x66, 0x0f, 0x7f, 0x1b), 0);	/* movdqa [ebx],xmm3 */
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x10);
	st.regs[RBX] = 4;
	EXPECT_EQ(RUN32(0x66, 0x0f, 0x7f, 0x1b), -KVMOD_EMUL_E_ALIGN);

	/* RIP-relative movdqa xmm15,[rip+0x20]: rip 0x10000, len 9 */
	reset();
	for (i = 0; i < 16; i++)
		m.ram[0x29 + 7 + i] = 0x30 + i;
	st.rip = MEM_BASE;
	EXPECT_EQ(RUN64(0x66, 0x44, 0x0f, 0x6f, 0x3d, 0x27, 0, 0, 0), 0);
	EXPECT_EQ(m.log[0].gla, MEM_BASE + 0x30);
	EXPECT_EQ(m.xmm[15][0], 0x30);
	EXPECT_EQ(m.xmm[15][15], 0x3f);
	EXPECT_EQ(st.rip, MEM_BASE + 9);

	/* without XMM callbacks the SSE moves are not emulated */
	st.regs[RBX] = MEM_BASE;
	EXPECT_EQ(DECODE(L64, false, &insn, 0x0f, 0x10, 0x03), 0);
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &no_xmm, NULL), E_UNSUP);
}

/* ------------------------------------------------------------------ */
/* Restart: reads that must wait for userspace                         */

TEST(restart_load)
{
	struct kvmod_emul_state before;

	reset();
	st.regs[RBX] = MMIO_BASE + 0x10;
	st.regs[RAX] = 0x0fffffffffffffffULL;
	st.rflags = R1 | FC;
	before = st;

	/* add rax,[rbx]: first the exit, then the data */
	EXPECT_EQ(RUN64(0x48, 0x03, 0x03), KVMOD_EMUL_RETRY);
	expect_same_state(__LINE__, &before);
	EXPECT_EQ(m.mmio_exits, 1);
	EXPECT_EQ(m.mmio_addr, MMIO_BASE + 0x10);
	EXPECT_EQ(m.mmio_len, 8);
	EXPECT_EQ(m.writes, 0);

	m.mmio_ready = true;
	m.mmio_data = 1;
	clear_log();
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(m.mmio_exits, 1);
	EXPECT_EQ(st.regs[RAX], 0x1000000000000000ULL);
	EXPECT_EQ(st.rflags, R1 | FP | FA);
	EXPECT_EQ(st.rip, RIP0 + 3);
}

TEST(restart_read_modify_write)
{
	struct kvmod_emul_state before;

	reset();
	st.regs[RBX] = MMIO_BASE;
	before = st;

	/* or dword [rbx],1 */
	EXPECT_EQ(RUN64(0x83, 0x0b, 0x01), KVMOD_EMUL_RETRY);
	expect_same_state(__LINE__, &before);
	EXPECT_EQ(m.writes, 0);
	EXPECT_EQ(m.nlog, 1);

	m.mmio_ready = true;
	m.mmio_data = 0x80000010;
	clear_log();
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(m.nlog, 2);
	EXPECT_EQ(m.log[1].write, true);
	EXPECT_EQ(m.log[1].gla, MMIO_BASE);
	EXPECT_EQ(m.log[1].len, 4);
	EXPECT_EQ(m.log[1].val, 0x80000011);
	EXPECT_EQ(st.rflags, R1 | FP | FS);
	EXPECT_EQ(st.rip, RIP0 + 3);

	/* xchg [rbx],eax: the register changes only once */
	st.regs[RAX] = 0x77;
	before = st;
	EXPECT_EQ(RUN64(0x87, 0x03), KVMOD_EMUL_RETRY);
	expect_same_state(__LINE__, &before);
	EXPECT_EQ(m.writes, 0);
	m.mmio_ready = true;
	m.mmio_data = 0x55;
	clear_log();
	EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL), 0);
	EXPECT_EQ(st.regs[RAX], 0x55);
	EXPECT_EQ(m.log[1].val, 0x77);
	EXPECT_EQ(m.writes, 1);
}

TEST(restart_rep_movs_from_mmio)
{
	struct kvmod_emul_state before;
	int i, ret;

	reset();
	st.regs[RSI] = MMIO_BASE;
	st.regs[RDI] = MEM_BASE;
	st.regs[RCX] = 2;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xf3, 0x66, 0xa5), 0);
	for (i = 0; i < 2; i++) {
		before = st;
		clear_log();
		EXPECT_EQ(kvmod_emul_exec(&insn, &st, &ops, NULL),
			  KVMOD_EMUL_RETRY);
		expect_same_state(__LINE__, &before);
		EXPECT_EQ(m.writes, 0);
		EXPECT_EQ(m.mmio_addr, MMIO_BASE + 2 * i);
		EXPECT_EQ(m.mmio_len, 2);

		m.mmio_ready = true;
		m.mmio_data = 0xa0a0 + i;
		ret = kvmod_emul_exec(&insn, &st, &ops, NULL);
		EXPECT_EQ(ret, i ? KVMOD_EMUL_REP_END : KVMOD_EMUL_REP_MORE);
		EXPECT_EQ(m.writes, 1);
	}
	EXPECT_EQ(m.mmio_exits, 2);
	EXPECT_EQ(get(MEM_BASE, 4), 0xa0a1a0a0);
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.regs[RSI], MMIO_BASE + 4);
	EXPECT_EQ(st.regs[RDI], MEM_BASE + 4);
	EXPECT_EQ(st.rip, RIP0 + 3);
}

/*
 * Reads answered again from a log on the next call, as kvmod's MMIO code
 * does: a new MMIO read goes out (RETRY), the test supplies its data with
 * rl_supply(), and the next call gets every earlier read back in order.
 */
static struct {
	int n, pos;
	u64 gla[2];
	unsigned int len[2];
	u8 data[2][16];
} rl;

static int r_read(void *ctx, u64 gla, void *buf, unsigned int len)
{
	int ret;

	if (rl.pos < rl.n) {
		if (rl.gla[rl.pos] != gla || rl.len[rl.pos] != len)
			return -5;
		memcpy(buf, rl.data[rl.pos++], len);
		m.reads++;
		return 0;
	}
	if (rl.n == 2)
		return -7;
	if (in_mmio(gla)) {
		rl.gla[rl.n] = gla;
		rl.len[rl.n] = len;
		m.mmio_addr = gla;
		m.mmio_len = len;
		m.mmio_exits++;
		return KVMOD_EMUL_RETRY;
	}
	ret = t_read(ctx, gla, buf, len);
	if (!ret) {
		rl.gla[rl.n] = gla;
		rl.len[rl.n] = len;
		memcpy(rl.data[rl.n], buf, len);
		rl.n++;
		rl.pos++;
	}
	return ret;
}

static void rl_supply(u64 lo, u64 hi)
{
	memcpy(rl.data[rl.n], &lo, 8);
	memcpy(rl.data[rl.n] + 8, &hi, 8);
	rl.n++;
}

static int rl_exec(void)
{
	static const struct kvmod_emul_ops rops = {
		.read = r_read,
		.write = t_write,
		.get_xmm = t_get_xmm,
		.put_xmm = t_put_xmm,
	};

	rl.pos = 0;
	clear_log();
	return kvmod_emul_exec(&insn, &st, &rops, NULL);
}

/* CMPS with both operands in MMIO: two exits, then the comparison. */
TEST(restart_cmps_two_reads)
{
	struct kvmod_emul_state before;
	int i;

	reset();
	memset(&rl, 0, sizeof(rl));
	st.regs[RSI] = MMIO_BASE + 0x10;
	st.regs[RDI] = MMIO_BASE + 0x20;
	st.regs[RCX] = 2;
	before = st;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xf3, 0x66, 0xa7), 0);

	EXPECT_EQ(rl_exec(), KVMOD_EMUL_RETRY);
	EXPECT_EQ(m.mmio_addr, MMIO_BASE + 0x10);	/* the source first */
	EXPECT_EQ(m.mmio_len, 2);
	expect_same_state(__LINE__, &before);
	rl_supply(0x1234, 0);
	EXPECT_EQ(rl_exec(), KVMOD_EMUL_RETRY);
	EXPECT_EQ(m.mmio_addr, MMIO_BASE + 0x20);
	EXPECT_EQ(m.reads, 1);
	expect_same_state(__LINE__, &before);
	rl_supply(0x1234, 0);
	EXPECT_EQ(rl_exec(), KVMOD_EMUL_REP_MORE);
	EXPECT_EQ(m.reads, 2);
	EXPECT_EQ(m.writes, 0);
	EXPECT_EQ(m.mmio_exits, 2);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);
	EXPECT_EQ(st.regs[RCX], 1);
	EXPECT_EQ(st.regs[RSI], MMIO_BASE + 0x12);
	EXPECT_EQ(st.regs[RDI], MMIO_BASE + 0x22);
	EXPECT_EQ(st.rip, RIP0);

	/* next element: a fresh log; they differ, RCX runs out anyway */
	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(rl_exec(), KVMOD_EMUL_RETRY);
		rl_supply(i ? 0x8000 : 0x0001, 0);
	}
	EXPECT_EQ(rl_exec(), 0);			/* ZF clear ends it */
	EXPECT_EQ(st.rflags, R1 | FC | FS | FO);	/* 0x0001 - 0x8000 */
	EXPECT_EQ(st.regs[RCX], 0);
	EXPECT_EQ(st.rip, RIP0 + 3);
	EXPECT_EQ(m.mmio_exits, 4);

	/* source in RAM, destination in MMIO: one exit, the RAM read logged */
	reset();
	memset(&rl, 0, sizeof(rl));
	put(MEM_BASE, 0x42, 1);
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MMIO_BASE;
	EXPECT_EQ(DECODE(L64, false, &insn, 0xa6), 0);
	EXPECT_EQ(rl_exec(), KVMOD_EMUL_RETRY);
	put(MEM_BASE, 0x99, 1);		/* too late: the first value counts */
	rl_supply(0x42, 0);
	EXPECT_EQ(rl_exec(), 0);
	EXPECT_EQ(st.rflags, R1 | FZ | FP);
	EXPECT_EQ(m.mmio_exits, 1);
}

/* An SSE load from MMIO: XMM changes only when the data is there. */
TEST(restart_sse_load)
{
	struct kvmod_emul_state before;
	u8 zero[16] = { 0 };

	reset();
	memset(&rl, 0, sizeof(rl));
	st.regs[RAX] = MMIO_BASE + 0x40;
	before = st;
	EXPECT_EQ(DECODE(L64, false, &insn, 0x66, 0x0f, 0x6f, 0x30), 0);
	EXPECT_EQ(rl_exec(), KVMOD_EMUL_RETRY);
	EXPECT_EQ(m.mmio_len, 16);
	EXPECT_EQ(m.xmm_puts, 0);
	EXPECT_EQ(memcmp(m.xmm[6], zero, 16), 0);
	expect_same_state(__LINE__, &before);
	rl_supply(0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL);
	EXPECT_EQ(rl_exec(), 0);
	EXPECT_EQ(m.xmm_puts, 1);
	EXPECT_EQ(m.xmm[6][0], 0x00);
	EXPECT_EQ(m.xmm[6][15], 0x0f);
	EXPECT_EQ(st.rip, RIP0 + 4);
}

TEST(mmio_writes_and_faults)
{
	struct kvmod_emul_state before;

	/* a store to MMIO needs no data back: one write, done */
	reset();
	st.regs[RBX] = MMIO_BASE + 8;
	st.regs[RAX] = 0xdeadbeefcafef00dULL;
	EXPECT_EQ(RUN64(0x48, 0x89, 0x03), 0);
	EXPECT_EQ(m.nlog, 1);
	EXPECT_EQ(m.log[0].write, true);
	EXPECT_EQ(m.log[0].gla, MMIO_BASE + 8);
	EXPECT_EQ(m.log[0].len, 8);
	EXPECT_EQ(m.log[0].val, 0xdeadbeefcafef00dULL);

	/* movs RAM -> MMIO */
	put(MEM_BASE, 0x12345678, 4);
	st.regs[RSI] = MEM_BASE;
	st.regs[RDI] = MMIO_BASE;
	EXPECT_EQ(RUN64(0xa5), 0);
	EXPECT_EQ(m.log[1].gla, MMIO_BASE);
	EXPECT_EQ(m.log[1].val, 0x12345678);

	/* a failing read or write leaves the state alone */
	st.regs[RBX] = 0x1000;			/* not mapped */
	before = st;
	EXPECT_EQ(RUN64(0x83, 0x03, 0x01), EFAULT_);
	expect_same_state(__LINE__, &before);
	EXPECT_EQ(RUN64(0x89, 0x03), EFAULT_);
	expect_same_state(__LINE__, &before);

	st.regs[RBX] = MEM_BASE;
	put(MEM_BASE, 5, 4);
	m.write_ret = -99;
	before = st;
	EXPECT_EQ(RUN64(0x87, 0x03), -99);	/* xchg: read ok, write fails */
	expect_same_state(__LINE__, &before);
	EXPECT_EQ(get(MEM_BASE, 4), 5);
	st.regs[RCX] = 4;
	before = st;
	EXPECT_EQ(RUN64(0xf3, 0xa4), -99);	/* rep movsb */
	expect_same_state(__LINE__, &before);
	m.write_ret = 0;
}

TEST(exec_rejects_bad_insn)
{
	struct kvmod_insn bad;

	reset();
	memset(&bad, 0, sizeof(bad));
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	EXPECT_EQ(DECODE(L64, false, &bad, 0x89, 0x03), 0);
	bad.memsize = 16;
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	bad.memsize = 4;
	bad.reg = 16;
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	bad.reg = 0;
	bad.op = KVMOD_EMUL_NR_OPS;
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	/* an SSE move must be 16 bytes to an XMM register, and only it */
	EXPECT_EQ(DECODE(L64, false, &bad, 0x0f, 0x10, 0x03), 0);
	bad.memsize = 8;
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	bad.memsize = 16;
	bad.reg = -1;
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	bad.reg = 0;
	bad.op = OP(CMPXCHG);
	EXPECT_EQ(kvmod_emul_exec(&bad, &st, &ops, NULL), E_INVAL);
	EXPECT_EQ(m.nlog, 0);
	EXPECT_EQ(st.rip, RIP0);
}
