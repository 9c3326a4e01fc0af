// SPDX-License-Identifier: GPL-2.0
/*
 * The "seed ABI": KVM's first paravirtual interface, as merged into
 * Linux 2.6.23 (include/linux/kvm_para.h of 2007), still answered for
 * guests written against it:
 *
 * - RDMSR of MSR_KVM_API_MAGIC (0x87655678) succeeds: a KVM host (plain
 *   hardware raises #GP); it reads the address last registered, or 0;
 * - WRMSR of MSR_KVM_API_MAGIC registers the vCPU's page-aligned
 *   struct kvm_vcpu_para_state (guest_version, host_version, size, ret,
 *   hypercall_gpa). The host writes host_version = 1; a guest_version
 *   above 1, or a hypercall_gpa outside guest memory, gets ret =
 *   -KVM_EINVAL (that ABI's KVM_EINVAL is 1); otherwise the three bytes
 *   at hypercall_gpa become the hypercall instruction of the CPU the VM
 *   runs on (VMCALL or VMMCALL) and ret = 0. A state address that is not
 *   page aligned or not guest memory raises #GP;
 * - a registered vCPU's hypercalls follow that ABI's convention: in
 *   64-bit mode the number in RAX and the arguments in RDI, RSI, RDX,
 *   RCX, R8, R9; otherwise the number in EBX and the arguments in EAX,
 *   ECX, EDX, ESI, EDI, EBP. The ABI defined no hypercall of its own
 *   (__NR_hypercalls 0) and the host of the time gave each one to
 *   userspace, as KVM_EXIT_HYPERCALL; so does this, with the result
 *   userspace puts in hypercall.ret going to RAX.
 */
#include <linux/mm.h>

#include "para.h"

#define SEED_MSR_API_MAGIC	0x87655678
#define SEED_API_VERSION	1
#define SEED_KVM_EINVAL		1

/* struct kvm_vcpu_para_state as the guest lays it out. */
struct seed_para_state {
	u32 guest_version;
	u32 host_version;
	u32 size;
	u32 ret;
	u64 hypercall_gpa;
};

/* Answer the registration in the guest's state page. */
static void seed_answer(struct kvmod_vm *vm, u64 gpa, u32 ret)
{
	u32 host_version = SEED_API_VERSION;

	kvmod_write_guest_phys(vm, gpa + offsetof(struct seed_para_state,
						  host_version),
			       &host_version, sizeof(host_version));
	kvmod_write_guest_phys(vm, gpa + offsetof(struct seed_para_state, ret),
			       &ret, sizeof(ret));
}

static int seed_register(struct kvmod_vcpu *vcpu, u64 gpa)
{
	const u8 *insn = vcpu->vm->vendor->hypercall_insn;
	struct kvmod_vm *vm = vcpu->vm;
	struct seed_para_state st;

	if (!PAGE_ALIGNED(gpa) ||
	    kvmod_read_guest_phys(vm, gpa, &st, sizeof(st)))
		return -EINVAL;
	if (st.guest_version > SEED_API_VERSION ||
	    kvmod_write_guest_phys(vm, st.hypercall_gpa, insn, 3)) {
		seed_answer(vm, gpa, -SEED_KVM_EINVAL);
		return 0;
	}
	to_para_vcpu(vcpu)->seed_state_gpa = gpa;
	seed_answer(vm, gpa, 0);
	return 0;
}

/**
 * para_seed_get_msr() - RDMSR of MSR_KVM_API_MAGIC
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the registered state's address, or 0
 *
 * Return: 0, or -ENOENT for other MSRs.
 */
int para_seed_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	if (msr != SEED_MSR_API_MAGIC)
		return -ENOENT;
	*val = to_para_vcpu(vcpu)->seed_state_gpa;
	return 0;
}

/**
 * para_seed_set_msr() - WRMSR of MSR_KVM_API_MAGIC: registration
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the guest-physical address of its struct kvm_vcpu_para_state
 *
 * Return: 0, -EINVAL (#GP) for an address that cannot hold the state,
 * or -ENOENT for other MSRs.
 */
int para_seed_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val)
{
	if (msr != SEED_MSR_API_MAGIC)
		return -ENOENT;
	return seed_register(vcpu, val);
}

/**
 * para_seed_hypercall() - a hypercall of a vCPU that registered
 * @vcpu: the vCPU
 * @long64: in 64-bit mode
 *
 * Return: KVMOD_EXIT_USER (KVM_EXIT_HYPERCALL).
 */
int para_seed_hypercall(struct kvmod_vcpu *vcpu, bool long64)
{
	static const int regs64[] = {
		KVMOD_RDI, KVMOD_RSI, KVMOD_RDX, KVMOD_RCX, KVMOD_R8, KVMOD_R9,
	};
	static const int regs32[] = {
		KVMOD_RAX, KVMOD_RCX, KVMOD_RDX, KVMOD_RSI, KVMOD_RDI, KVMOD_RBP,
	};
	struct kvm_run *run = vcpu->run;
	int i;

	memset(&run->hypercall, 0, sizeof(run->hypercall));
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = long64 ? vcpu->regs[KVMOD_RAX] :
				     (u32)vcpu->regs[KVMOD_RBX];
	for (i = 0; i < 6; i++)
		run->hypercall.args[i] = long64 ? vcpu->regs[regs64[i]] :
					 (u32)vcpu->regs[regs32[i]];
	run->hypercall.longmode = long64;
	return para_hypercall_to_user(vcpu, long64);
}
