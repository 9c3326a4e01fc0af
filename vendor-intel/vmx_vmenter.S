/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod_vmx_enter(regs, resume): enter the guest once with the current
 * VMCS, through VMLAUNCH (resume == 0) or VMRESUME.
 *
 * Called with interrupts off. The guest's GPRs other than RSP (which is in
 * the VMCS) are loaded from and saved to @regs (kvmod register order). The
 * host's RSP at the VM exit is the one written to HOST_RSP here, and the
 * exit comes back at kvmod_vmx_exit (HOST_RIP); from there the callee-saved
 * registers are popped as after an ordinary call.
 *
 * Returns VMX_ENTER_EXIT (0) after a VM exit, VMX_ENTER_FAIL_INVALID (1)
 * or VMX_ENTER_FAIL_VALID (2) when the instruction failed (see
 * VM_INSTRUCTION_ERROR for the latter), VMX_ENTER_FAULT (3) when it
 * faulted because VMX operation is off.
 *
 * kvmod_vmx_call_nmi(entry): call the host's NMI entry point as the CPU
 * would have for an NMI that arrived here, with an interrupt frame.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/ibt.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#define VMCS_HOST_RSP	0x6c14

#define R_RAX	(0 * 8)
#define R_RCX	(1 * 8)
#define R_RDX	(2 * 8)
#define R_RBX	(3 * 8)
#define R_RBP	(5 * 8)
#define R_RSI	(6 * 8)
#define R_RDI	(7 * 8)
#define R_R8	(8 * 8)
#define R_R9	(9 * 8)
#define R_R10	(10 * 8)
#define R_R11	(11 * 8)
#define R_R12	(12 * 8)
#define R_R13	(13 * 8)
#define R_R14	(14 * 8)
#define R_R15	(15 * 8)

	.text
SYM_FUNC_START(kvmod_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* @regs stays at 0(%rsp) until after the exit. */
	push	%rdi

	/* The exit comes back with this stack. */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lfailed

	/* CF = @resume; nothing below changes CF. */
	bt	$0, %esi

	mov	%rdi, %rax
	mov	R_RCX(%rax), %rcx
	mov	R_RDX(%rax), %rdx
	mov	R_RBX(%rax), %rbx
	mov	R_RBP(%rax), %rbp
	mov	R_RSI(%rax), %rsi
	mov	R_RDI(%rax), %rdi
	mov	R_R8(%rax), %r8
	mov	R_R9(%rax), %r9
	mov	R_R10(%rax), %r10
	mov	R_R11(%rax), %r11
	mov	R_R12(%rax), %r12
	mov	R_R13(%rax), %r13
	mov	R_R14(%rax), %r14
	mov	R_R15(%rax), %r15
	mov	R_RAX(%rax), %rax

	/* Leave no host data in the CPU's buffers (MDS); clobbers ZF. */
	CLEAR_CPU_BUFFERS

	jc	.Lresume

	/* A successful entry continues at kvmod_vmx_exit, not here. */
	UNWIND_HINT_SAVE
.Llaunch:
	vmlaunch
	jmp	.Lfailed
.Lresume:
	vmresume
	jmp	.Lfailed

	_ASM_EXTABLE(.Llaunch, .Lfault)
	_ASM_EXTABLE(.Lresume, .Lfault)

SYM_INNER_LABEL(kvmod_vmx_exit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR

	/* Save the guest's GPRs; RSP went to the VMCS. */
	push	%rax
	mov	8(%rsp), %rax
	pop	R_RAX(%rax)
	mov	%rcx, R_RCX(%rax)
	mov	%rdx, R_RDX(%rax)
	mov	%rbx, R_RBX(%rax)
	mov	%rbp, R_RBP(%rax)
	mov	%rsi, R_RSI(%rax)
	mov	%rdi, R_RDI(%rax)
	mov	%r8, R_R8(%rax)
	mov	%r9, R_R9(%rax)
	mov	%r10, R_R10(%rax)
	mov	%r11, R_R11(%rax)
	mov	%r12, R_R12(%rax)
	mov	%r13, R_R13(%rax)
	mov	%r14, R_R14(%rax)
	mov	%r15, R_R15(%rax)
	xor	%ebx, %ebx			/* VMX_ENTER_EXIT */

.Lout:
	pop	%rax				/* @regs */

	/* Leave no guest values in registers, not even speculatively. */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/*
	 * Before the first return: guest-controlled return predictions must
	 * not reach the host (RSB stuffing where the kernel asks for it)...
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* ...legacy IBRS must be set again after the less privileged guest... */
	ALTERNATIVE "jmp .Lspec_ctrl_done", "", X86_FEATURE_KERNEL_IBRS
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %eax
	mov	PER_CPU_VAR(x86_spec_ctrl_current + 4), %edx
	wrmsr
	lfence
.Lspec_ctrl_done:

	/* ...and the guest's branch history must not steer the host (BHI). */
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov	%ebx, %eax
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lfailed:
	/* CF: VMfailInvalid; ZF: VMfailValid. */
	mov	$2, %ebx			/* VMX_ENTER_FAIL_VALID */
	jnc	.Lout
	mov	$1, %ebx			/* VMX_ENTER_FAIL_INVALID */
	jmp	.Lout

.Lfault:
	mov	$3, %ebx			/* VMX_ENTER_FAULT */
	jmp	.Lout
SYM_FUNC_END(kvmod_vmx_enter)

SYM_FUNC_START(kvmod_vmx_call_nmi)
	push	%rbp
	mov	%rsp, %rbp
	/* The frame an NMI would push: SS, RSP, RFLAGS, CS, then RIP. */
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	CALL_NOSPEC rdi
	/* The handler's IRET restored RSP already; say so to objtool. */
	mov	%rbp, %rsp
	pop	%rbp
	RET
SYM_FUNC_END(kvmod_vmx_call_nmi)
