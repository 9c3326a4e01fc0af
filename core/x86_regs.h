/* SPDX-License-Identifier: GPL-2.0 */
/*
 * General-purpose register numbers in the x86 encoding order, shared by
 * core (struct kvmod_vcpu::regs) and the pure emulator. Pure logic.
 */
#ifndef KVMOD_X86_REGS_H
#define KVMOD_X86_REGS_H

enum kvmod_gpr {
	KVMOD_RAX = 0,
	KVMOD_RCX,
	KVMOD_RDX,
	KVMOD_RBX,
	KVMOD_RSP,
	KVMOD_RBP,
	KVMOD_RSI,
	KVMOD_RDI,
	KVMOD_R8,
	KVMOD_R9,
	KVMOD_R10,
	KVMOD_R11,
	KVMOD_R12,
	KVMOD_R13,
	KVMOD_R14,
	KVMOD_R15,
	KVMOD_NR_GPRS,
};

#endif /* KVMOD_X86_REGS_H */
