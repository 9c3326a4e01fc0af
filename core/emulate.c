// SPDX-License-Identifier: GPL-2.0
/*
 * Decoder and emulator for the memory-access instructions that reach an
 * MMIO region: see emulate.h for the forms and the calling protocol.
 *
 * Pure logic, shared by kvmod.ko, the host unit tests and a fuzz target.
 * Every loop is bounded by the 15-byte instruction limit or by an
 * operand size of at most 8 bytes.
 */
#include "emulate.h"

#define REX_W	0x08
#define REX_R	0x04
#define REX_X	0x02
#define REX_B	0x01

/* How the opcode byte says the other operand is encoded. */
enum {
	IMM_NONE = 0,
	IMM_B,			/* imm8, sign-extended */
	IMM_Z,			/* imm16 or imm32 (sign-extended to 64) */
};

/* Opcodes whose operation is in the ModRM reg field. */
enum {
	GRP_NONE = 0,
	GRP_1,			/* 80-83: ADD OR ADC SBB AND SUB XOR CMP */
	GRP_3,			/* F6/F7: TEST - NOT NEG (MUL DIV ...) */
	GRP_45,			/* FE/FF: INC DEC (CALL JMP PUSH ...) */
	GRP_8,			/* 0F BA: - - - - BT BTS BTR BTC */
	GRP_9,			/* 0F C7: - CMPXCHG8B (...) */
	GRP_11,			/* C6/C7: MOV */
};

/* What the opcode bytes alone say about the instruction. */
struct opspec {
	u8 op;
	u8 group;
	u8 imm;
	u8 srcsize;		/* MOVZX/MOVSX source size, else 0 */
	u8 fixsize;		/* operand size whatever the prefixes, or 0 */
	bool byteop;		/* 8-bit operand size */
	bool modrm;		/* a ModRM memory operand follows */
	bool regop;		/* the ModRM reg field is a register operand */
	bool mem_dst;
	bool moffs;		/* A0-A3: the address is in the instruction */
	bool string;
	bool aligned;		/* the operand must be aligned to its size */
};

/* Bytes being decoded: at most 15 of them are looked at. */
struct cursor {
	const u8 *bytes;
	int n;
	int pos;
	int overrun;		/* error when an item runs past @n */
};

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : BIT_ULL(8 * size) - 1;
}

static u64 size_msb(unsigned int size)
{
	return BIT_ULL(8 * size - 1);
}

static u64 sign_extend(u64 v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

/* Take @size little-endian bytes. */
static int take(struct cursor *c, unsigned int size, u64 *val)
{
	unsigned int i;
	u64 v = 0;

	if (size > (unsigned int)(c->n - c->pos))
		return c->overrun;
	for (i = size; i > 0; i--)
		v = (v << 8) | c->bytes[c->pos + i - 1];
	c->pos += size;
	*val = v;
	return 0;
}

static int decode_onebyte(u8 b, bool long64, struct opspec *s)
{
	switch (b) {
	case 0x00 ... 0x3f:
		/* ADD OR ADC SBB AND SUB XOR CMP: r/m,r and r,r/m forms */
		if ((b & 7) > 3)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->op = KVMOD_EMUL_OP_ADD + (b >> 3);
		s->byteop = !(b & 1);
		s->mem_dst = !(b & 2);
		s->modrm = true;
		s->regop = true;
		break;
	case 0x63:
		/* MOVSXD in 64-bit mode; ARPL elsewhere */
		if (!long64)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->op = KVMOD_EMUL_OP_MOVSX;
		s->srcsize = 4;
		s->modrm = true;
		s->regop = true;
		break;
	case 0x80 ... 0x83:
		/* 82 is an alias of 80, invalid in 64-bit mode */
		if (b == 0x82 && long64)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->group = GRP_1;
		s->byteop = !(b & 1);
		s->imm = b == 0x81 ? IMM_Z : IMM_B;
		s->mem_dst = true;
		s->modrm = true;
		break;
	case 0x84 ... 0x87:
		/* TEST r/m,r; XCHG r/m,r */
		s->op = b < 0x86 ? KVMOD_EMUL_OP_TEST : KVMOD_EMUL_OP_XCHG;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->modrm = true;
		s->regop = true;
		break;
	case 0x88 ... 0x8b:
		s->op = KVMOD_EMUL_OP_MOV;
		s->byteop = !(b & 1);
		s->mem_dst = !(b & 2);
		s->modrm = true;
		s->regop = true;
		break;
	case 0xa0 ... 0xa3:
		/* MOV AL/rAX, moffs and MOV moffs, AL/rAX */
		s->op = KVMOD_EMUL_OP_MOV;
		s->byteop = !(b & 1);
		s->mem_dst = b & 2;
		s->moffs = true;
		break;
	case 0xa4:
	case 0xa5:
		s->op = KVMOD_EMUL_OP_MOVS;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->string = true;
		break;
	case 0xa6:
	case 0xa7:
		s->op = KVMOD_EMUL_OP_CMPS;
		s->byteop = !(b & 1);
		s->string = true;
		break;
	case 0xaa:
	case 0xab:
		s->op = KVMOD_EMUL_OP_STOS;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->string = true;
		break;
	case 0xac:
	case 0xad:
		s->op = KVMOD_EMUL_OP_LODS;
		s->byteop = !(b & 1);
		s->string = true;
		break;
	case 0xae:
	case 0xaf:
		s->op = KVMOD_EMUL_OP_SCAS;
		s->byteop = !(b & 1);
		s->string = true;
		break;
	case 0xc6:
	case 0xc7:
		s->group = GRP_11;
		s->byteop = !(b & 1);
		s->imm = b == 0xc6 ? IMM_B : IMM_Z;
		s->mem_dst = true;
		s->modrm = true;
		break;
	case 0xf6:
	case 0xf7:
		s->group = GRP_3;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->modrm = true;
		break;
	case 0xfe:
	case 0xff:
		s->group = GRP_45;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->modrm = true;
		break;
	default:
		return -KVMOD_EMUL_E_UNSUPPORTED;
	}
	return 0;
}

/*
 * The 16-byte SSE moves. The mandatory prefix (none, 66 or F3) selects
 * the instruction and with it the alignment rule; F2 forms (MOVSD ...),
 * F3 forms other than MOVDQU (MOVSS ...), the MMX forms without a
 * prefix and 66 together with F2 or F3 are not handled.
 */
static int decode_sse(u8 b, const struct kvmod_prefixes *p,
		      struct opspec *s)
{
	int pfx = p->repne ? 0xf2 : p->rep ? 0xf3 : p->opsize ? 0x66 : 0;

	if ((p->rep || p->repne) && p->opsize)
		return -KVMOD_EMUL_E_UNSUPPORTED;
	switch (b) {
	case 0x10:		/* MOVUPS, MOVUPD xmm, m128 */
	case 0x11:		/* MOVUPS, MOVUPD m128, xmm */
		if (pfx != 0 && pfx != 0x66)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		break;
	case 0x28:		/* MOVAPS, MOVAPD xmm, m128 */
	case 0x29:		/* MOVAPS, MOVAPD m128, xmm */
	case 0x2b:		/* MOVNTPS, MOVNTPD m128, xmm */
		if (pfx != 0 && pfx != 0x66)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->aligned = true;
		break;
	case 0x6f:		/* MOVDQA (66), MOVDQU (F3) xmm, m128 */
	case 0x7f:		/* MOVDQA (66), MOVDQU (F3) m128, xmm */
		if (pfx != 0x66 && pfx != 0xf3)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->aligned = pfx == 0x66;
		break;
	case 0xe7:		/* MOVNTDQ m128, xmm */
		if (pfx != 0x66)
			return -KVMOD_EMUL_E_UNSUPPORTED;
		s->aligned = true;
		break;
	default:
		return -KVMOD_EMUL_E_UNSUPPORTED;
	}
	s->op = KVMOD_EMUL_OP_MOV_SSE;
	s->fixsize = 16;
	s->mem_dst = b != 0x10 && b != 0x28 && b != 0x6f;
	s->modrm = true;
	s->regop = true;
	return 0;
}

static int decode_twobyte(u8 b, const struct kvmod_prefixes *p,
			  struct opspec *s)
{
	switch (b) {
	case 0x10:
	case 0x11:
	case 0x28:
	case 0x29:
	case 0x2b:
	case 0x6f:
	case 0x7f:
	case 0xe7:
		return decode_sse(b, p, s);
	case 0xb0:
	case 0xb1:
		/* CMPXCHG r/m, r */
		s->op = KVMOD_EMUL_OP_CMPXCHG;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->modrm = true;
		s->regop = true;
		break;
	case 0xc0:
	case 0xc1:
		/* XADD r/m, r */
		s->op = KVMOD_EMUL_OP_XADD;
		s->byteop = !(b & 1);
		s->mem_dst = true;
		s->modrm = true;
		s->regop = true;
		break;
	case 0xc7:
		s->group = GRP_9;
		s->fixsize = 8;
		s->mem_dst = true;
		s->modrm = true;
		break;
	case 0xb6:
	case 0xb7:
	case 0xbe:
	case 0xbf:
		s->op = b < 0xb8 ? KVMOD_EMUL_OP_MOVZX : KVMOD_EMUL_OP_MOVSX;
		s->srcsize = (b & 1) ? 2 : 1;
		s->modrm = true;
		s->regop = true;
		break;
	case 0xa3:
	case 0xab:
	case 0xb3:
	case 0xbb:
		/* BT BTS BTR BTC r/m, r */
		s->op = KVMOD_EMUL_OP_BT + ((b >> 3) & 3);
		s->mem_dst = true;
		s->modrm = true;
		s->regop = true;
		break;
	case 0xba:
		s->group = GRP_8;
		s->imm = IMM_B;
		s->mem_dst = true;
		s->modrm = true;
		break;
	default:
		return -KVMOD_EMUL_E_UNSUPPORTED;
	}
	return 0;
}

/* The operation of a group opcode, from the ModRM reg field. */
static int decode_group(struct opspec *s, unsigned int regf)
{
	switch (s->group) {
	case GRP_1:
		s->op = KVMOD_EMUL_OP_ADD + regf;
		return 0;
	case GRP_3:
		/* /1 is an undocumented alias of TEST /0 */
		if (regf <= 1) {
			s->op = KVMOD_EMUL_OP_TEST;
			s->imm = s->byteop ? IMM_B : IMM_Z;
			return 0;
		}
		if (regf == 2 || regf == 3) {
			s->op = regf == 2 ? KVMOD_EMUL_OP_NOT : KVMOD_EMUL_OP_NEG;
			return 0;
		}
		break;
	case GRP_45:
		if (regf <= 1) {
			s->op = regf ? KVMOD_EMUL_OP_DEC : KVMOD_EMUL_OP_INC;
			return 0;
		}
		break;
	case GRP_8:
		if (regf >= 4) {
			s->op = KVMOD_EMUL_OP_BT + regf - 4;
			return 0;
		}
		break;
	case GRP_9:
		if (regf == 1) {
			s->op = KVMOD_EMUL_OP_CMPXCHG8B;
			return 0;
		}
		break;
	case GRP_11:
		if (regf == 0) {
			s->op = KVMOD_EMUL_OP_MOV;
			return 0;
		}
		break;
	default:
		return 0;
	}
	return -KVMOD_EMUL_E_UNSUPPORTED;
}

/* 16-bit addressing: the base and index of each ModRM rm value. */
static const s8 base16[8] = {
	KVMOD_RBX, KVMOD_RBX, KVMOD_RBP, KVMOD_RBP,
	-1, -1, KVMOD_RBP, KVMOD_RBX,
};

static const s8 index16[8] = {
	KVMOD_RSI, KVMOD_RDI, KVMOD_RSI, KVMOD_RDI,
	KVMOD_RSI, KVMOD_RDI, -1, -1,
};

/* The ModRM byte, the SIB byte and the displacement of a memory operand. */
static int decode_modrm(struct cursor *c, struct kvmod_insn *insn,
			bool long64)
{
	unsigned int mod, rm, dispsize = 0;
	bool nobase = false;
	u64 v;
	int ret;

	ret = take(c, 1, &v);
	if (ret)
		return ret;
	insn->modrm = v;
	insn->has_modrm = true;
	mod = insn->modrm >> 6;
	rm = insn->modrm & 7;
	/* A register operand: nothing for the emulator to do. */
	if (mod == 3)
		return -KVMOD_EMUL_E_UNSUPPORTED;

	if (insn->addrsize == 2) {
		if (mod == 0 && rm == 6) {
			nobase = true;
			dispsize = 2;
		} else {
			insn->base = base16[rm];
			insn->index = index16[rm];
			/* rm 4 and 5 use SI/DI alone: make it the base */
			if (insn->base < 0) {
				insn->base = insn->index;
				insn->index = -1;
			}
			dispsize = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		}
		if (insn->base == KVMOD_RBP)
			insn->seg = KVMOD_SEG_SS;
	} else {
		if (rm == 4) {
			unsigned int idx;

			ret = take(c, 1, &v);
			if (ret)
				return ret;
			insn->sib = v;
			insn->has_sib = true;
			insn->scale = 1 << (insn->sib >> 6);
			idx = ((insn->sib >> 3) & 7) | (insn->rex & REX_X ? 8 : 0);
			if (idx != KVMOD_RSP)
				insn->index = idx;
			if ((insn->sib & 7) == 5 && mod == 0)
				nobase = true;
			else
				insn->base = (insn->sib & 7) |
					     (insn->rex & REX_B ? 8 : 0);
		} else if (rm == 5 && mod == 0) {
			nobase = true;
			insn->rip_rel = long64;
		} else {
			insn->base = rm | (insn->rex & REX_B ? 8 : 0);
		}
		if (nobase)
			dispsize = 4;
		else
			dispsize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
		if (insn->base == KVMOD_RSP || insn->base == KVMOD_RBP)
			insn->seg = KVMOD_SEG_SS;
	}

	if (dispsize) {
		ret = take(c, dispsize, &v);
		if (ret)
			return ret;
		insn->disp = sign_extend(v, dispsize);
	}
	return 0;
}

/*
 * The segment override among the prefix bytes @b[0..@len). In 64-bit
 * mode the CS, DS, ES and SS prefixes are null prefixes: they neither
 * override nor cancel an FS or GS prefix before them.
 */
static int seg_override(const u8 *b, int len, bool long64, int last)
{
	int i, seg = KVMOD_SEG_NONE;

	if (!long64)
		return last;
	for (i = 0; i < len; i++) {
		if (b[i] == 0x64)
			seg = KVMOD_SEG_FS;
		else if (b[i] == 0x65)
			seg = KVMOD_SEG_GS;
	}
	return seg;
}

static bool lockable(const struct kvmod_insn *insn)
{
	switch (insn->op) {
	case KVMOD_EMUL_OP_ADD ... KVMOD_EMUL_OP_XOR:
	case KVMOD_EMUL_OP_XCHG ... KVMOD_EMUL_OP_DEC:
	case KVMOD_EMUL_OP_BTS ... KVMOD_EMUL_OP_CMPXCHG8B:
		return insn->mem_dst && insn->has_modrm;
	default:
		return false;
	}
}

/**
 * kvmod_emul_decode() - decode a memory-access instruction
 * @bytes: instruction bytes, starting at CS:RIP
 * @n: number of valid bytes at @bytes (at most 15 are looked at)
 * @mode: processor mode
 * @cs_d: the D bit of the CS descriptor (cache): 32-bit default operand
 *	and address size outside 64-bit mode (false in ordinary real and
 *	virtual-8086 mode); ignored in 64-bit mode
 * @insn: filled with the decoded instruction
 *
 * Knows the legacy, REX, operand-size, address-size and segment
 * prefixes, 16-bit and 32/64-bit (SIB, RIP-relative) addressing, and the
 * instructions listed in emulate.h; only forms with a memory operand are
 * accepted.
 *
 * Return: 0, -KVMOD_EMUL_E_TRUNC when the bytes end inside the
 * instruction, -KVMOD_EMUL_E_UNSUPPORTED for an instruction the emulator
 * does not know (or a register-only form), -KVMOD_EMUL_E_INVALID for one
 * longer than 15 bytes or with a LOCK prefix it does not allow.
 */
int kvmod_emul_decode(const u8 *bytes, int n, enum kvmod_cpu_mode mode,
		      bool cs_d, struct kvmod_insn *insn)
{
	bool long64 = mode == KVMOD_CPU_LONG64;
	struct kvmod_prefixes p;
	struct opspec s = { 0 };
	struct cursor c;
	int ret, seg;
	u64 v;

	*insn = (struct kvmod_insn){
		.mode = mode,
		.seg = KVMOD_SEG_DS,
		.reg = -1,
		.base = -1,
		.index = -1,
		.scale = 1,
	};
	if (n < 0)
		n = 0;
	c.bytes = bytes;
	c.n = n < KVMOD_INSN_MAX ? n : KVMOD_INSN_MAX;
	c.overrun = n >= KVMOD_INSN_MAX ? -KVMOD_EMUL_E_INVALID :
					  -KVMOD_EMUL_E_TRUNC;

	c.pos = kvmod_insn_prefixes(bytes, c.n, long64, &p);
	if (c.pos < 0)
		return c.overrun;
	insn->rex = p.rex;
	insn->lock = p.lock;
	seg = seg_override(bytes, c.pos, long64, p.seg);
	if (long64) {
		insn->opsize = (p.rex & REX_W) ? 8 : p.opsize ? 2 : 4;
		insn->addrsize = p.addrsize ? 4 : 8;
	} else {
		insn->opsize = cs_d != p.opsize ? 4 : 2;
		insn->addrsize = cs_d != p.addrsize ? 4 : 2;
	}

	ret = take(&c, 1, &v);
	if (ret)
		return ret;
	insn->opcode = v;
	if (insn->opcode == 0x0f) {
		ret = take(&c, 1, &v);
		if (ret)
			return ret;
		insn->opcode = v;
		insn->twobyte = true;
		ret = decode_twobyte(insn->opcode, &p, &s);
	} else {
		ret = decode_onebyte(insn->opcode, long64, &s);
	}
	if (ret)
		return ret;

	if (s.modrm) {
		ret = decode_modrm(&c, insn, long64);
		if (ret)
			return ret;
		ret = decode_group(&s, (insn->modrm >> 3) & 7);
		if (ret)
			return ret;
	}

	if (s.byteop)
		insn->opsize = 1;
	if (s.fixsize)
		insn->opsize = s.fixsize;
	/* 0F C7 /1 with REX.W is CMPXCHG16B */
	if (s.op == KVMOD_EMUL_OP_CMPXCHG8B && (p.rex & REX_W))
		return -KVMOD_EMUL_E_UNSUPPORTED;
	insn->memsize = insn->opsize;
	insn->aligned = s.aligned;
	if (s.srcsize && s.srcsize < insn->opsize)
		insn->memsize = s.srcsize;
	insn->op = s.op;
	insn->mem_dst = s.mem_dst;

	if (s.regop) {
		insn->reg = ((insn->modrm >> 3) & 7) | (p.rex & REX_R ? 8 : 0);
		/* without REX, byte registers 4-7 are AH CH DH BH */
		insn->reg_high8 = insn->opsize == 1 && !p.rex &&
				  insn->reg >= 4;
	}

	if (s.moffs) {
		ret = take(&c, insn->addrsize, &v);
		if (ret)
			return ret;
		insn->disp = v;
		insn->reg = KVMOD_RAX;
	}

	if (s.string) {
		insn->rep = p.rep || p.repne;
		/* F2 is REPNE for CMPS and SCAS, a plain REP elsewhere */
		insn->repne = p.repne && (insn->op == KVMOD_EMUL_OP_CMPS ||
					  insn->op == KVMOD_EMUL_OP_SCAS);
		/* STOS and SCAS address ES:rDI only; no override */
		if (insn->op == KVMOD_EMUL_OP_STOS ||
		    insn->op == KVMOD_EMUL_OP_SCAS) {
			insn->seg = KVMOD_SEG_ES;
			seg = KVMOD_SEG_NONE;
		}
		if (insn->op != KVMOD_EMUL_OP_MOVS &&
		    insn->op != KVMOD_EMUL_OP_CMPS)
			insn->reg = KVMOD_RAX;
	}

	if (seg != KVMOD_SEG_NONE)
		insn->seg = seg;

	if (s.imm != IMM_NONE) {
		unsigned int size = s.imm == IMM_B ? 1 :
				    insn->opsize == 2 ? 2 : 4;

		ret = take(&c, size, &v);
		if (ret)
			return ret;
		insn->imm = sign_extend(v, size);
		insn->has_imm = true;
	}

	if (insn->lock && !lockable(insn))
		return -KVMOD_EMUL_E_INVALID;

	insn->len = c.pos;
	return 0;
}

/**
 * kvmod_emul_ea() - effective address of an instruction's memory operand
 * @insn: a decoded instruction
 * @regs: general-purpose registers (enum kvmod_gpr order)
 * @rip_next: RIP of the next instruction, for RIP-relative addressing
 *
 * For BT/BTS/BTR/BTC with a register bit offset this is the address
 * before the offset is applied; for MOVS, LODS and CMPS it is RSI (the
 * source), for STOS and SCAS RDI.
 *
 * Return: the offset in the segment, wrapped to the address size.
 */
u64 kvmod_emul_ea(const struct kvmod_insn *insn, const u64 regs[16],
		  u64 rip_next)
{
	u64 ea;

	switch (insn->op) {
	case KVMOD_EMUL_OP_STOS:
	case KVMOD_EMUL_OP_SCAS:
		ea = regs[KVMOD_RDI];
		break;
	case KVMOD_EMUL_OP_MOVS:
	case KVMOD_EMUL_OP_LODS:
	case KVMOD_EMUL_OP_CMPS:
		ea = regs[KVMOD_RSI];
		break;
	default:
		ea = insn->disp;
		if (insn->base >= 0)
			ea += regs[insn->base & 15];
		if (insn->index >= 0)
			ea += regs[insn->index & 15] * insn->scale;
		if (insn->rip_rel)
			ea += rip_next;
		break;
	}
	return ea & size_mask(insn->addrsize);
}

/**
 * kvmod_emul_gla() - linear address of a segment offset
 * @insn: a decoded instruction (for its mode)
 * @st: the segment bases
 * @seg: the segment (enum kvmod_seg)
 * @ea: the offset in the segment
 *
 * In 64-bit mode only FS and GS have a base; elsewhere the linear address
 * wraps at 4 GiB. Limits are not checked.
 *
 * Return: the guest linear address.
 */
u64 kvmod_emul_gla(const struct kvmod_insn *insn,
		   const struct kvmod_emul_state *st, int seg, u64 ea)
{
	if (seg < KVMOD_SEG_ES || seg > KVMOD_SEG_GS)
		seg = KVMOD_SEG_DS;
	if (insn->mode == KVMOD_CPU_LONG64) {
		if (seg == KVMOD_SEG_FS || seg == KVMOD_SEG_GS)
			ea += st->seg_base[seg];
		return ea;
	}
	return (u32)(st->seg_base[seg] + ea);
}

static u64 reg_get(const u64 *regs, int reg, bool high8, unsigned int size)
{
	if (high8)
		return (regs[(reg - 4) & 15] >> 8) & 0xff;
	return regs[reg & 15] & size_mask(size);
}

/* A 32-bit write zero-extends; 8- and 16-bit writes merge. */
static void reg_put(u64 *regs, int reg, bool high8, unsigned int size,
		    u64 val)
{
	u64 *r = &regs[(high8 ? reg - 4 : reg) & 15];

	if (high8)
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
	else if (size == 4)
		*r = (u32)val;
	else if (size < 4)
		*r = (*r & ~size_mask(size)) | (val & size_mask(size));
	else
		*r = val;
}

static int mem_read(const struct kvmod_emul_ops *ops, void *ctx, u64 gla,
		    unsigned int size, u64 *val)
{
	u8 buf[8] = { 0 };
	unsigned int i;
	u64 v = 0;
	int ret;

	ret = ops->read(ctx, gla, buf, size);
	if (ret)
		return ret;
	for (i = size; i > 0; i--)
		v = (v << 8) | buf[i - 1];
	*val = v;
	return 0;
}

static int mem_write(const struct kvmod_emul_ops *ops, void *ctx, u64 gla,
		     unsigned int size, u64 val)
{
	u8 buf[8];
	unsigned int i;

	for (i = 0; i < size; i++)
		buf[i] = val >> (8 * i);
	return ops->write(ctx, gla, buf, size);
}

/* ZF, SF and PF of a result. */
static u64 flags_szp(u64 res, unsigned int size)
{
	u64 fl = 0;
	u8 p = res;

	if (!(res & size_mask(size)))
		fl |= KVMOD_FL_ZF;
	if (res & size_msb(size))
		fl |= KVMOD_FL_SF;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		fl |= KVMOD_FL_PF;
	return fl;
}

/*
 * @a + @b + @carry, or @a - @b - @carry when @sub, with all six
 * arithmetic flags in *@fl. The carry out of (borrow into) the top bit
 * follows from the top bits of the operands and the result.
 */
static u64 arith(u64 a, u64 b, u64 carry, bool sub, unsigned int size,
		 u64 *fl)
{
	u64 mask = size_mask(size), top = size_msb(size);
	u64 r, c, o;

	a &= mask;
	b &= mask;
	if (sub) {
		r = (a - b - carry) & mask;
		c = (~a & b) | (~(a ^ b) & r);
		o = (a ^ b) & (a ^ r);
	} else {
		r = (a + b + carry) & mask;
		c = (a & b) | ((a | b) & ~r);
		o = (a ^ r) & (b ^ r);
	}
	*fl = flags_szp(r, size) | ((a ^ b ^ r) & KVMOD_FL_AF);
	if (c & top)
		*fl |= KVMOD_FL_CF;
	if (o & top)
		*fl |= KVMOD_FL_OF;
	return r;
}

/* The two-operand arithmetic and logic operations, setting the flags. */
static u64 alu(unsigned int op, u64 a, u64 b, unsigned int size,
	       u64 *rflags)
{
	u64 carry = !!(*rflags & KVMOD_FL_CF);
	u64 mask = size_mask(size);
	u64 r, fl;

	switch (op) {
	case KVMOD_EMUL_OP_ADD:
	case KVMOD_EMUL_OP_ADC:
		r = arith(a, b, op == KVMOD_EMUL_OP_ADC ? carry : 0, false,
			  size, &fl);
		break;
	case KVMOD_EMUL_OP_SUB:
	case KVMOD_EMUL_OP_SBB:
	case KVMOD_EMUL_OP_CMP:
		r = arith(a, b, op == KVMOD_EMUL_OP_SBB ? carry : 0, true,
			  size, &fl);
		break;
	default:
		/* logic: CF and OF clear, AF (undefined) clear */
		if (op == KVMOD_EMUL_OP_OR)
			r = (a | b) & mask;
		else if (op == KVMOD_EMUL_OP_XOR)
			r = (a ^ b) & mask;
		else
			r = a & b & mask;
		fl = flags_szp(r, size);
		break;
	}
	*rflags = (*rflags & ~KVMOD_FL_ARITH) | fl;
	return r;
}

static bool valid_size(unsigned int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* Enough of a decoded instruction to be sure nothing goes out of bounds. */
static bool insn_sane(const struct kvmod_insn *insn)
{
	if (insn->op == KVMOD_EMUL_OP_MOV_SSE) {
		if (insn->opsize != 16 || insn->memsize != 16 ||
		    insn->reg < 0 || insn->reg > 15 || insn->reg_high8)
			return false;
	} else if (!valid_size(insn->opsize) || !valid_size(insn->memsize)) {
		return false;
	}
	if (insn->addrsize < 2 || !valid_size(insn->addrsize))
		return false;
	if (insn->reg < -1 || insn->reg > 15 ||
	    (insn->reg_high8 && (insn->reg < 4 || insn->reg > 7)))
		return false;
	return insn->op > KVMOD_EMUL_OP_NONE && insn->op < KVMOD_EMUL_NR_OPS;
}

static u64 next_rip(const struct kvmod_insn *insn, u64 rip)
{
	rip += insn->len;
	return insn->mode == KVMOD_CPU_LONG64 ? rip : (u32)rip;
}

/*
 * One element of MOVS STOS LODS CMPS SCAS. The reads (source, then for
 * CMPS and SCAS the ES:rDI operand) come before the write, as always.
 */
static int exec_string(const struct kvmod_insn *insn,
		       struct kvmod_emul_state *st,
		       const struct kvmod_emul_ops *ops, void *ctx)
{
	unsigned int op = insn->op, size = insn->memsize;
	unsigned int asz = insn->addrsize;
	bool cmp = op == KVMOD_EMUL_OP_CMPS || op == KVMOD_EMUL_OP_SCAS;
	bool use_si = op == KVMOD_EMUL_OP_MOVS || op == KVMOD_EMUL_OP_LODS ||
		      op == KVMOD_EMUL_OP_CMPS;
	bool use_di = op != KVMOD_EMUL_OP_LODS;
	u64 amask = size_mask(asz);
	u64 step = (st->rflags & KVMOD_FL_DF) ? -(u64)size : size;
	u64 rip_next = next_rip(insn, st->rip);
	u64 count = st->regs[KVMOD_RCX] & amask;
	u64 si = st->regs[KVMOD_RSI] & amask;
	u64 di = st->regs[KVMOD_RDI] & amask;
	u64 di_gla = kvmod_emul_gla(insn, st, KVMOD_SEG_ES, di);
	struct kvmod_emul_state s;
	u64 val, dval = 0;
	int ret;

	if (insn->rep && !count) {
		st->rip = rip_next;
		return 0;
	}

	val = st->regs[KVMOD_RAX];
	if (use_si) {
		ret = mem_read(ops, ctx, kvmod_emul_gla(insn, st, insn->seg, si),
			       size, &val);
		if (ret)
			return ret;
	}
	if (cmp) {
		ret = mem_read(ops, ctx, di_gla, size, &dval);
		if (ret)
			return ret;
	}
	if (op == KVMOD_EMUL_OP_MOVS || op == KVMOD_EMUL_OP_STOS) {
		ret = mem_write(ops, ctx, di_gla, size, val);
		if (ret)
			return ret;
	}

	s = *st;
	if (op == KVMOD_EMUL_OP_LODS)
		reg_put(s.regs, KVMOD_RAX, false, size, val);
	/* CMPS: [rSI] - [rDI]; SCAS: the accumulator - [rDI] */
	if (cmp)
		alu(KVMOD_EMUL_OP_CMP, val, dval, size, &s.rflags);
	if (use_si)
		reg_put(s.regs, KVMOD_RSI, false, asz, si + step);
	if (use_di)
		reg_put(s.regs, KVMOD_RDI, false, asz, di + step);
	ret = 0;
	if (insn->rep) {
		bool zf = s.rflags & KVMOD_FL_ZF;

		reg_put(s.regs, KVMOD_RCX, false, asz, count - 1);
		if (cmp && zf == insn->repne)
			ret = 0;		/* REPE/REPNE condition ends it */
		else if (count != 1)
			ret = KVMOD_EMUL_REP_MORE;
		else
			ret = KVMOD_EMUL_REP_END;
	}
	if (ret != KVMOD_EMUL_REP_MORE)
		s.rip = rip_next;
	*st = s;
	return ret;
}

/* MOVUPS MOVAPS MOVDQU MOVDQA ...: 16 bytes between memory and XMM. */
static int exec_sse(const struct kvmod_insn *insn,
		    struct kvmod_emul_state *st,
		    const struct kvmod_emul_ops *ops, void *ctx)
{
	u64 rip_next = next_rip(insn, st->rip);
	u64 gla = kvmod_emul_gla(insn, st, insn->seg,
				 kvmod_emul_ea(insn, st->regs, rip_next));
	u8 buf[16];
	int ret;

	if (!ops->get_xmm || !ops->put_xmm)
		return -KVMOD_EMUL_E_UNSUPPORTED;
	if (insn->aligned && (gla & 15))
		return -KVMOD_EMUL_E_ALIGN;
	if (insn->mem_dst) {
		ret = ops->get_xmm(ctx, insn->reg, buf);
		if (!ret)
			ret = ops->write(ctx, gla, buf, sizeof(buf));
	} else {
		ret = ops->read(ctx, gla, buf, sizeof(buf));
		if (!ret)
			ret = ops->put_xmm(ctx, insn->reg, buf);
	}
	if (ret)
		return ret;
	st->rip = rip_next;
	return 0;
}

/**
 * kvmod_emul_exec() - execute a decoded instruction
 * @insn: the instruction, from kvmod_emul_decode()
 * @st: registers, RIP, RFLAGS and segment bases; updated on success
 * @ops: guest memory access
 * @ctx: passed to @ops
 *
 * Performs at most two reads (two only for CMPS) and then at most one
 * write through @ops, on guest linear addresses, and changes @st only
 * after all of them succeeded, so an instruction whose read answered
 * KVMOD_EMUL_RETRY can be executed again with the same @st. Flags: ADD
 * ADC SUB SBB CMP NEG XADD CMPXCHG CMPS SCAS set all six arithmetic
 * flags (CMPXCHG, CMPS and SCAS those of a CMP of the accumulator or
 * source with the memory operand), INC and DEC all but CF, AND OR XOR
 * TEST clear CF, OF and AF and set SF, ZF, PF; BT BTS BTR BTC set CF
 * only, CMPXCHG8B ZF only; the others leave RFLAGS alone. CMPXCHG and
 * CMPXCHG8B always write the memory operand (the old value when the
 * comparison fails) and load the accumulator only when it fails. A
 * 32-bit register write zero-extends to 64 bits. REP string instructions
 * run one iteration per call (see emulate.h).
 *
 * Return: 0 when the instruction completed (RIP advanced),
 * KVMOD_EMUL_REP_MORE after a REP iteration with more to go (RIP
 * unchanged), KVMOD_EMUL_REP_END after the iteration that ended a REP
 * instruction by its count (RIP advanced), the nonzero value a callback
 * returned (@st unchanged), -KVMOD_EMUL_E_ALIGN for a misaligned operand
 * of an aligned SSE move (#GP), -KVMOD_EMUL_E_UNSUPPORTED for an SSE
 * move without XMM callbacks, or -KVMOD_EMUL_E_INVALID for an @insn that
 * does not come from the decoder.
 */
int kvmod_emul_exec(const struct kvmod_insn *insn,
		    struct kvmod_emul_state *st,
		    const struct kvmod_emul_ops *ops, void *ctx)
{
	unsigned int size, osize;
	struct kvmod_emul_state s;
	u64 rip_next, ea, gla, src, mval = 0, res = 0, fl;
	bool wr = false;
	int ret;

	if (!insn_sane(insn))
		return -KVMOD_EMUL_E_INVALID;
	if (insn->op >= KVMOD_EMUL_OP_MOVS)
		return exec_string(insn, st, ops, ctx);
	if (insn->op == KVMOD_EMUL_OP_MOV_SSE)
		return exec_sse(insn, st, ops, ctx);

	size = insn->memsize;
	osize = insn->opsize;
	rip_next = next_rip(insn, st->rip);
	ea = kvmod_emul_ea(insn, st->regs, rip_next);
	if (insn->has_imm)
		src = insn->imm;
	else if (insn->reg >= 0)
		src = reg_get(st->regs, insn->reg, insn->reg_high8, osize);
	else
		src = 0;

	/*
	 * The bit offset: an immediate is taken modulo the operand size, a
	 * register one is signed and moves the address by whole operands.
	 */
	if (insn->op >= KVMOD_EMUL_OP_BT && insn->op <= KVMOD_EMUL_OP_BTC) {
		unsigned int shift = osize == 2 ? 4 : osize == 4 ? 5 : 6;

		if (!insn->has_imm) {
			s64 off = sign_extend(src, osize);

			ea += (u64)(off >> shift) * osize;
			ea &= size_mask(insn->addrsize);
		}
		src &= (1u << shift) - 1;
	}
	gla = kvmod_emul_gla(insn, st, insn->seg, ea);

	if (insn->op != KVMOD_EMUL_OP_MOV || !insn->mem_dst) {
		ret = mem_read(ops, ctx, gla, size, &mval);
		if (ret)
			return ret;
	}

	s = *st;
	switch (insn->op) {
	case KVMOD_EMUL_OP_MOV:
		if (insn->mem_dst) {
			res = src;
			wr = true;
		} else {
			reg_put(s.regs, insn->reg, insn->reg_high8, osize, mval);
		}
		break;
	case KVMOD_EMUL_OP_MOVZX:
		reg_put(s.regs, insn->reg, false, osize, mval);
		break;
	case KVMOD_EMUL_OP_MOVSX:
		reg_put(s.regs, insn->reg, false, osize,
			sign_extend(mval, size));
		break;
	case KVMOD_EMUL_OP_ADD ... KVMOD_EMUL_OP_CMP:
		if (insn->mem_dst) {
			res = alu(insn->op, mval, src, osize, &s.rflags);
			wr = insn->op != KVMOD_EMUL_OP_CMP;
		} else {
			res = alu(insn->op, src, mval, osize, &s.rflags);
			if (insn->op != KVMOD_EMUL_OP_CMP)
				reg_put(s.regs, insn->reg, insn->reg_high8,
					osize, res);
		}
		break;
	case KVMOD_EMUL_OP_TEST:
		alu(KVMOD_EMUL_OP_AND, mval, src, osize, &s.rflags);
		break;
	case KVMOD_EMUL_OP_XCHG:
		res = src;
		wr = true;
		reg_put(s.regs, insn->reg, insn->reg_high8, osize, mval);
		break;
	case KVMOD_EMUL_OP_NOT:
		res = ~mval & size_mask(osize);
		wr = true;
		break;
	case KVMOD_EMUL_OP_NEG:
		res = arith(0, mval, 0, true, osize, &fl);
		s.rflags = (s.rflags & ~KVMOD_FL_ARITH) | fl;
		wr = true;
		break;
	case KVMOD_EMUL_OP_INC:
	case KVMOD_EMUL_OP_DEC:
		res = arith(mval, 1, 0, insn->op == KVMOD_EMUL_OP_DEC, osize,
			    &fl);
		s.rflags = (s.rflags & (~KVMOD_FL_ARITH | KVMOD_FL_CF)) |
			   (fl & ~KVMOD_FL_CF);
		wr = true;
		break;
	case KVMOD_EMUL_OP_XADD:
		res = alu(KVMOD_EMUL_OP_ADD, mval, src, osize, &s.rflags);
		reg_put(s.regs, insn->reg, insn->reg_high8, osize, mval);
		wr = true;
		break;
	case KVMOD_EMUL_OP_CMPXCHG:
		/* flags of CMP accumulator, [mem] */
		alu(KVMOD_EMUL_OP_CMP, s.regs[KVMOD_RAX], mval, osize,
		    &s.rflags);
		if (s.rflags & KVMOD_FL_ZF) {
			res = src;
		} else {
			res = mval;
			reg_put(s.regs, KVMOD_RAX, false, osize, mval);
		}
		wr = true;
		break;
	case KVMOD_EMUL_OP_CMPXCHG8B:
		/* EDX:EAX against [mem]; ECX:EBX goes in when equal */
		s.rflags &= ~KVMOD_FL_ZF;
		if (mval == ((u64)(u32)s.regs[KVMOD_RDX] << 32 |
			     (u32)s.regs[KVMOD_RAX])) {
			s.rflags |= KVMOD_FL_ZF;
			res = (u64)(u32)s.regs[KVMOD_RCX] << 32 |
			      (u32)s.regs[KVMOD_RBX];
		} else {
			res = mval;
			reg_put(s.regs, KVMOD_RAX, false, 4, mval);
			reg_put(s.regs, KVMOD_RDX, false, 4, mval >> 32);
		}
		wr = true;
		break;
	default:
		/* BT BTS BTR BTC */
		s.rflags &= ~KVMOD_FL_CF;
		if (mval & BIT_ULL(src))
			s.rflags |= KVMOD_FL_CF;
		if (insn->op == KVMOD_EMUL_OP_BTS)
			res = mval | BIT_ULL(src);
		else if (insn->op == KVMOD_EMUL_OP_BTR)
			res = mval & ~BIT_ULL(src);
		else
			res = mval ^ BIT_ULL(src);
		wr = insn->op != KVMOD_EMUL_OP_BT;
		break;
	}

	if (wr) {
		ret = mem_write(ops, ctx, gla, size, res);
		if (ret)
			return ret;
	}
	s.rip = rip_next;
	*st = s;
	return 0;
}
