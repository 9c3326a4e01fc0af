/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod-para.ko: KVM's paravirtual interface for kvmod guests.
 */
#ifndef KVMOD_PARA_H
#define KVMOD_PARA_H

#include <linux/kvm_para.h>
#include <linux/mutex.h>
#include <asm/pvclock-abi.h>

#include "kvmod.h"
#include "pvclock_math.h"

/* What a VM's kvmclock counts from, and what its guests asked for. */
struct para_vm {
	struct mutex lock;		/* clock changes, wall clock writes */
	/*
	 * The master clock: one host (TSC, boot-time ns) pair for every
	 * vCPU, so all vCPUs compute one and the same clock from their
	 * (synchronised) TSCs. kvmclock ns = host ns + kvmclock_offset.
	 */
	u64 master_tsc;
	s64 master_ns;
	s64 kvmclock_offset;
	bool stable;			/* the flags last given to the guests */
	bool boot_vcpu_old_kvmclock;	/* vCPU 0 uses MSR_KVM_SYSTEM_TIME */
	u64 wall_clock_msr;		/* MSR_KVM_WALL_CLOCK(_NEW) */
	u64 hypercall_exit;		/* KVM_CAP_EXIT_HYPERCALL: HC bits */
};

struct para_vcpu {
	u64 system_time_msr;		/* MSR_KVM_SYSTEM_TIME(_NEW) */
	bool stop_request;		/* KVM_KVMCLOCK_CTRL */
	bool hypercall_long;		/* the pending hypercall exit's mode */
	u64 seed_state_gpa;		/* seed ABI: registered state, or 0 */
	u64 poll_control;		/* MSR_KVM_POLL_CONTROL */
	u64 steal_time_msr;		/* MSR_KVM_STEAL_TIME */
	u64 pv_eoi_msr;			/* MSR_KVM_PV_EOI_EN as written */
};

static inline struct para_vm *to_para_vm(struct kvmod_vm *vm)
{
	return vm->para_data;
}

static inline struct para_vcpu *to_para_vcpu(struct kvmod_vcpu *vcpu)
{
	return vcpu->para_data;
}

/* kvmclock.c */
int para_vm_init(struct kvmod_vm *vm);
bool para_host_tsc_clock(void);
int para_clock_register(void);
void para_clock_unregister(void);
int para_get_clock(struct kvmod_vm *vm, struct kvm_clock_data *data);
int para_set_clock(struct kvmod_vm *vm, const struct kvm_clock_data *data);
int para_kvmclock_ctrl(struct kvmod_vcpu *vcpu);
void para_clock_update(struct kvmod_vcpu *vcpu);
int para_kvmclock_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int para_kvmclock_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			  bool host);

/* steal_time.c */
int para_steal_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int para_steal_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val);
void para_steal_update(struct kvmod_vcpu *vcpu);

/* hypercall.c */
int para_hypercall(struct kvmod_vcpu *vcpu);
int para_hypercall_to_user(struct kvmod_vcpu *vcpu, bool long64);

/* seed_abi.c */
int para_seed_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int para_seed_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val);
int para_seed_hypercall(struct kvmod_vcpu *vcpu, bool long64);

#endif /* KVMOD_PARA_H */
