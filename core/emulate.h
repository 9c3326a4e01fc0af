/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoder and emulator for the x86 memory-access instructions a guest
 * uses on device registers (MMIO): MOV, MOVZX/MOVSX/MOVSXD, the string
 * instructions MOVS/STOS/LODS/CMPS/SCAS, the arithmetic, logic and
 * bit-test instructions with a memory operand, XCHG, XADD, CMPXCHG and
 * CMPXCHG8B, and the 16-byte SSE moves (MOVUPS/MOVUPD, MOVAPS/MOVAPD,
 * MOVDQU, MOVDQA, MOVNTPS/MOVNTPD, MOVNTDQ).
 *
 * Pure logic: no kernel dependencies, no allocation, no global state.
 *
 * Use:
 *
 *   1. Fetch up to 15 instruction bytes at CS:RIP (through the guest's
 *      page tables) and call kvmod_emul_decode(). A negative return
 *      means the instruction is not one the emulator knows (report an
 *      emulation failure); -KVMOD_EMUL_E_TRUNC means more bytes are
 *      needed (for example the fetch stopped at a page boundary).
 *
 *   2. Call kvmod_emul_exec() with the register state and callbacks that
 *      read and write guest linear memory (and, for the SSE moves, XMM
 *      registers). Each instruction makes at most two reads (CMPS reads
 *      both of its operands, the others read at most one) and then at
 *      most one write, and the state is changed only after all of them
 *      succeeded. So a read callback may answer KVMOD_EMUL_RETRY when the
 *      data is not there yet (an MMIO read that must go to userspace):
 *      exec returns KVMOD_EMUL_RETRY with the state untouched, the caller
 *      exits to userspace, and later calls exec again with the same
 *      instruction and state; the read callback then answers the reads
 *      the instruction made before, in the same order, with the data they
 *      had (it must not perform the device access again). A write
 *      callback may record the data for an MMIO exit and return 0; any
 *      nonzero return from a callback aborts the instruction with the
 *      state untouched and is passed back.
 *
 *   3. A REP string instruction runs one iteration per call: RSI, RDI
 *      and RCX are updated and RIP stays on the instruction while the
 *      count is not zero (exec returns KVMOD_EMUL_REP_MORE); the
 *      caller may call exec again or simply re-enter the guest, which
 *      executes the instruction again with the updated registers. The
 *      iteration that brings the count to zero returns
 *      KVMOD_EMUL_REP_END (RIP advanced); REPE/REPNE CMPS and SCAS
 *      that stop on ZF return 0.
 *
 * Not checked here: segment limits and rights, alignment checks other
 * than those of the aligned SSE moves, canonical addresses, page
 * crossing (the callbacks see the linear address and length of each
 * access and may check or split them).
 */
#ifndef KVMOD_EMULATE_H
#define KVMOD_EMULATE_H

#include "pure_types.h"
#include "insn_len.h"
#include "x86_regs.h"

/* Processor mode of the instruction. */
enum kvmod_cpu_mode {
	KVMOD_CPU_REAL = 0,	/* real-address or virtual-8086 mode */
	KVMOD_CPU_PROT,		/* protected or compatibility mode */
	KVMOD_CPU_LONG64,	/* 64-bit mode (EFER.LMA and CS.L) */
};

/* RFLAGS bits the emulator reads or writes. */
#define KVMOD_FL_CF	BIT_ULL(0)
#define KVMOD_FL_PF	BIT_ULL(2)
#define KVMOD_FL_AF	BIT_ULL(4)
#define KVMOD_FL_ZF	BIT_ULL(6)
#define KVMOD_FL_SF	BIT_ULL(7)
#define KVMOD_FL_DF	BIT_ULL(10)
#define KVMOD_FL_OF	BIT_ULL(11)
#define KVMOD_FL_ARITH	(KVMOD_FL_CF | KVMOD_FL_PF | KVMOD_FL_AF | \
			 KVMOD_FL_ZF | KVMOD_FL_SF | KVMOD_FL_OF)

/* Decode errors, returned negated. */
#define KVMOD_EMUL_E_TRUNC	1	/* the bytes end inside the instruction */
#define KVMOD_EMUL_E_UNSUPPORTED 2	/* not an instruction the emulator knows */
#define KVMOD_EMUL_E_INVALID	3	/* longer than 15 bytes, or a bad LOCK */
#define KVMOD_EMUL_E_ALIGN	4	/* misaligned aligned-SSE operand (#GP) */

/* Positive results of kvmod_emul_exec() (and KVMOD_EMUL_RETRY of read). */
#define KVMOD_EMUL_RETRY	1	/* read data not there yet: call again */
#define KVMOD_EMUL_REP_MORE	2	/* one REP iteration done, more remain */
#define KVMOD_EMUL_REP_END	3	/* the REP count ran out: done */

/* The widest access the emulator makes (the SSE moves). */
#define KVMOD_EMUL_MAX_ACCESS	16

/*
 * The operation. ADD .. CMP are in the order of the ModRM reg field of
 * opcodes 80-83, and BT .. BTC in the order of 0F BA /4 .. /7; the
 * string instructions come last.
 */
enum kvmod_emul_op {
	KVMOD_EMUL_OP_NONE = 0,
	KVMOD_EMUL_OP_ADD,
	KVMOD_EMUL_OP_OR,
	KVMOD_EMUL_OP_ADC,
	KVMOD_EMUL_OP_SBB,
	KVMOD_EMUL_OP_AND,
	KVMOD_EMUL_OP_SUB,
	KVMOD_EMUL_OP_XOR,
	KVMOD_EMUL_OP_CMP,
	KVMOD_EMUL_OP_TEST,
	KVMOD_EMUL_OP_MOV,
	KVMOD_EMUL_OP_MOVZX,
	KVMOD_EMUL_OP_MOVSX,
	KVMOD_EMUL_OP_XCHG,
	KVMOD_EMUL_OP_NOT,
	KVMOD_EMUL_OP_NEG,
	KVMOD_EMUL_OP_INC,
	KVMOD_EMUL_OP_DEC,
	KVMOD_EMUL_OP_BT,
	KVMOD_EMUL_OP_BTS,
	KVMOD_EMUL_OP_BTR,
	KVMOD_EMUL_OP_BTC,
	KVMOD_EMUL_OP_XADD,
	KVMOD_EMUL_OP_CMPXCHG,
	KVMOD_EMUL_OP_CMPXCHG8B,
	KVMOD_EMUL_OP_MOV_SSE,		/* 16 bytes between XMM and memory */
	KVMOD_EMUL_OP_MOVS,
	KVMOD_EMUL_OP_STOS,
	KVMOD_EMUL_OP_LODS,
	KVMOD_EMUL_OP_CMPS,
	KVMOD_EMUL_OP_SCAS,
	KVMOD_EMUL_NR_OPS,
};

/**
 * struct kvmod_insn - a decoded instruction
 * @len: length in bytes, prefixes included (1-15)
 * @op: enum kvmod_emul_op
 * @mode: enum kvmod_cpu_mode it was decoded for
 * @opsize: operand size in bytes (1, 2, 4 or 8; 16 for the SSE moves);
 *	for MOVZX/MOVSX the size of the destination register; 8 for
 *	CMPXCHG8B in every mode
 * @memsize: bytes accessed at the memory operand (equal to @opsize except
 *	for MOVZX/MOVSX/MOVSXD, where it is the source size)
 * @addrsize: address size in bytes (2, 4 or 8)
 * @seg: segment of the memory operand (enum kvmod_seg); for MOVS and
 *	CMPS the source, the destination is always ES
 * @opcode: the opcode byte (the byte after 0F for two-byte opcodes)
 * @twobyte: the opcode has the 0F escape
 * @rex: the REX prefix, or 0
 * @modrm: the ModRM byte, if @has_modrm
 * @sib: the SIB byte, if @has_sib
 * @has_modrm: the instruction has a ModRM byte
 * @has_sib: the instruction has a SIB byte
 * @rep: a REP (F3) or REPNE (F2) prefix on a string instruction
 * @repne: CMPS or SCAS with REPNE (F2): it stops when ZF is set (with
 *	F3, REPE, when it is clear); false for the other instructions
 * @lock: a LOCK prefix
 * @aligned: the memory operand must be aligned to its size (MOVAPS,
 *	MOVDQA, MOVNTDQ ...), else the instruction raises #GP
 * @mem_dst: the memory operand is the first (destination) operand; false
 *	when it is only a source (MOV/ALU reg, mem; MOVZX; LODS)
 * @has_imm: the other operand is @imm rather than register @reg
 * @reg: register operand (0-15; an XMM register for the SSE moves), or
 *	-1 when there is none
 * @reg_high8: @reg names AH, CH, DH or BH (@reg is then 4-7)
 * @base: base register of the memory operand, or -1
 * @index: index register of the memory operand, or -1
 * @scale: index scale (1, 2, 4 or 8)
 * @rip_rel: the address is relative to the next instruction's RIP
 * @disp: displacement sign-extended to 64 bits, or the moffs offset
 * @imm: immediate, sign-extended to 64 bits (BT/BTS/BTR/BTC use it
 *	modulo the operand size in bits)
 */
struct kvmod_insn {
	u8 len;
	u8 op;
	u8 mode;
	u8 opsize;
	u8 memsize;
	u8 addrsize;
	s8 seg;
	u8 opcode;
	bool twobyte;
	u8 rex;
	u8 modrm;
	u8 sib;
	bool has_modrm;
	bool has_sib;
	bool rep;
	bool repne;
	bool lock;
	bool aligned;
	bool mem_dst;
	bool has_imm;
	s8 reg;
	bool reg_high8;
	s8 base;
	s8 index;
	u8 scale;
	bool rip_rel;
	u64 disp;
	u64 imm;
};

/**
 * struct kvmod_emul_state - the vCPU state the emulator reads and changes
 * @regs: general-purpose registers (enum kvmod_gpr order)
 * @rip: address of the instruction (offset in CS)
 * @rflags: RFLAGS
 * @seg_base: segment bases (enum kvmod_seg order); in 64-bit mode only
 *	the FS and GS bases are used
 */
struct kvmod_emul_state {
	u64 regs[16];
	u64 rip;
	u64 rflags;
	u64 seg_base[6];
};

/**
 * struct kvmod_emul_ops - guest memory access for kvmod_emul_exec()
 * @read: read @len (1, 2, 4, 8 or 16) bytes of guest linear memory at
 *	@gla into @buf, little-endian; return 0, KVMOD_EMUL_RETRY, or a
 *	negative error
 * @write: write @len bytes from @buf to guest linear memory at @gla;
 *	return 0 or a nonzero code that aborts the instruction
 * @get_xmm: copy the 16 bytes of XMM register @reg (0-15) to @val;
 *	return 0 or a nonzero code that aborts the instruction
 * @put_xmm: set XMM register @reg from @val (the last step of an SSE
 *	load, after its read succeeded); return 0 or a nonzero code
 *
 * @get_xmm and @put_xmm may be NULL: the SSE moves then fail with
 * -KVMOD_EMUL_E_UNSUPPORTED.
 */
struct kvmod_emul_ops {
	int (*read)(void *ctx, u64 gla, void *buf, unsigned int len);
	int (*write)(void *ctx, u64 gla, const void *buf, unsigned int len);
	int (*get_xmm)(void *ctx, unsigned int reg, u8 *val);
	int (*put_xmm)(void *ctx, unsigned int reg, const u8 *val);
};

int kvmod_emul_decode(const u8 *bytes, int n, enum kvmod_cpu_mode mode,
		      bool cs_d, struct kvmod_insn *insn);
u64 kvmod_emul_ea(const struct kvmod_insn *insn, const u64 regs[16],
		  u64 rip_next);
u64 kvmod_emul_gla(const struct kvmod_insn *insn,
		   const struct kvmod_emul_state *st, int seg, u64 ea);
int kvmod_emul_exec(const struct kvmod_insn *insn,
		    struct kvmod_emul_state *st,
		    const struct kvmod_emul_ops *ops, void *ctx);

#endif /* KVMOD_EMULATE_H */
