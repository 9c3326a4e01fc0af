/* SPDX-License-Identifier: GPL-2.0 */
/* Core-internal: component lookup and the /dev/kvm device. */
#ifndef KVMOD_REGISTRY_H
#define KVMOD_REGISTRY_H

#include "kvmod.h"

struct kvmod_components {
	const struct kvmod_vendor_ops *vendor;
	const struct kvmod_mmu_ops *mmu;
	const struct kvmod_component_ops *comps[KVMOD_NR_COMPONENTS];
};

int kvmod_components_get(struct kvmod_components *c);
void kvmod_components_put(struct kvmod_components *c);
int kvmod_get_components(struct kvmod_vm *vm);
void kvmod_put_components(struct kvmod_vm *vm);
long kvmod_components_check_extension(struct kvmod_vm *vm, long cap);
void kvmod_components_cpuid(struct kvmod_vm *vm, u32 leaf, u32 subleaf,
			    u32 regs[4]);
const struct kvm_cpuid_entry2 *
kvmod_components_cpuid_leaf(struct kvmod_vm *vm, u32 leaf, u32 subleaf);
u32 kvmod_components_cpuid_leaves(struct kvm_cpuid_entry2 *list, u32 max);
u32 kvmod_components_msr_indices(u32 *list, u32 max);

/* main.c */
int kvmod_dev_register(void);
void kvmod_dev_unregister(void);
long kvmod_check_extension(struct kvmod_vm *vm, long cap);

/* vm.c */
int kvmod_create_vm(unsigned long type);
void kvmod_vm_put(struct kvmod_vm *vm);

/* memslot.c */
int kvmod_set_memory_region(struct kvmod_vm *vm,
			    const struct kvm_userspace_memory_region *mem);
unsigned long kvmod_dirty_bitmap_bytes(u64 npages);
void kvmod_free_memslots(struct kvmod_vm *vm);

/* dirty_log.c */
int kvmod_get_dirty_log(struct kvmod_vm *vm, struct kvm_dirty_log *log);
int kvmod_clear_dirty_log(struct kvmod_vm *vm,
			  struct kvm_clear_dirty_log *log);
int kvmod_vm_enable_cap(struct kvmod_vm *vm, const struct kvm_enable_cap *cap);

/* vm_ctl.c */
long kvmod_vm_ctl_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			unsigned long arg);

/* vcpu.c */
int kvmod_create_vcpu(struct kvmod_vm *vm, unsigned long id);
void kvmod_get_regs(struct kvmod_vcpu *vcpu, struct kvm_regs *r);
void kvmod_set_regs(struct kvmod_vcpu *vcpu, const struct kvm_regs *r);
void kvmod_get_sregs(struct kvmod_vcpu *vcpu, struct kvm_sregs *s);
int kvmod_set_sregs_checked(struct kvmod_vcpu *vcpu,
			    const struct kvm_sregs *s);

/* vcpu_ctl.c */
int kvmod_set_signal_mask(struct kvmod_vcpu *vcpu,
			  struct kvm_signal_mask __user *argp);
void kvmod_sigset_activate(struct kvmod_vcpu *vcpu);
void kvmod_sigset_deactivate(struct kvmod_vcpu *vcpu);
int kvmod_sync_regs_in(struct kvmod_vcpu *vcpu);
void kvmod_sync_regs_out(struct kvmod_vcpu *vcpu);
int kvmod_tpr_access_reporting(struct kvmod_vcpu *vcpu,
			       struct kvm_tpr_access_ctl __user *argp);
int kvmod_vcpu_enable_cap(struct kvmod_vcpu *vcpu,
			  struct kvm_enable_cap __user *argp);
void kvmod_vcpu_destroy(struct kvmod_vcpu *vcpu);

/* run.c */
int kvmod_vcpu_run(struct kvmod_vcpu *vcpu);

/* mp_state.c */
bool kvmod_vcpu_accept_init_sipi(struct kvmod_vcpu *vcpu);
void kvmod_get_mp_state(struct kvmod_vcpu *vcpu, struct kvm_mp_state *mp);
int kvmod_set_mp_state(struct kvmod_vcpu *vcpu, const struct kvm_mp_state *mp);

/* io_bus.c */
int kvmod_io_bus_init(struct kvmod_vm *vm);
void kvmod_io_bus_destroy(struct kvmod_vm *vm);
int kvmod_io_bus_access(struct kvmod_vcpu *vcpu, enum kvmod_bus idx,
			u64 addr, int len, void *val, bool write);
int kvmod_io_bus_ensure(struct kvmod_vm *vm, enum kvmod_bus idx);

/* ioeventfd.c */
int kvmod_ioeventfd(struct kvmod_vm *vm, const struct kvm_ioeventfd *args);
bool kvmod_ioeventfd_write(struct kvmod_vm *vm, enum kvmod_bus idx,
			   u64 addr, int len, const void *val);
void kvmod_ioeventfd_destroy(struct kvmod_vm *vm);

/* coalesced_mmio.c */
struct page *kvmod_coalesced_ring_page(struct kvmod_vm *vm);
long kvmod_coalesced_ioctl(struct kvmod_vm *vm, unsigned int ioctl,
			   void __user *argp);
void kvmod_coalesced_destroy(struct kvmod_vm *vm);

/* events.c */
int kvmod_enable_exception_payload(struct kvmod_vm *vm,
				   const struct kvm_enable_cap *cap);
void kvmod_inject_events(struct kvmod_vcpu *vcpu);
bool kvmod_ready_for_interrupt(struct kvmod_vcpu *vcpu);
int kvmod_vcpu_interrupt(struct kvmod_vcpu *vcpu, u32 irq);
void kvmod_process_nmis(struct kvmod_vcpu *vcpu);
void kvmod_get_vcpu_events(struct kvmod_vcpu *vcpu,
			   struct kvm_vcpu_events *ev);
int kvmod_set_vcpu_events(struct kvmod_vcpu *vcpu,
			  const struct kvm_vcpu_events *ev);

/* debug.c */
int kvmod_get_debugregs(struct kvmod_vcpu *vcpu,
			struct kvm_debugregs __user *argp);
int kvmod_set_debugregs(struct kvmod_vcpu *vcpu,
			const struct kvm_debugregs __user *argp);
int kvmod_set_guest_debug(struct kvmod_vcpu *vcpu,
			  const struct kvm_guest_debug __user *argp);
long kvmod_guest_debug_caps(void);
void kvmod_debug_reset(struct kvmod_vcpu *vcpu);

/**
 * kvmod_debug_before_run() - set RFLAGS.TF for KVM_GUESTDBG_SINGLESTEP
 * @vcpu: the vCPU, before the vendor enters (on the path of every entry)
 */
static inline void kvmod_debug_before_run(struct kvmod_vcpu *vcpu)
{
	if (likely(!(vcpu->debug.control & KVM_GUESTDBG_SINGLESTEP)) ||
	    (vcpu->rflags & X86_EFLAGS_TF))
		return;
	vcpu->rflags |= X86_EFLAGS_TF;
	vcpu->debug.tf_set = true;
}

/**
 * kvmod_debug_after_run() - hide kvmod's RFLAGS.TF from the guest's
 *	registers again (KVM_GET_REGS, the next entry's decisions)
 * @vcpu: the vCPU, back from the vendor
 */
static inline void kvmod_debug_after_run(struct kvmod_vcpu *vcpu)
{
	if (likely(!vcpu->debug.tf_set))
		return;
	vcpu->rflags &= ~X86_EFLAGS_TF;
	vcpu->debug.tf_set = false;
}

/* cpuid.c */
void kvmod_cpuid_init(void);
int kvmod_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
int kvmod_set_cpuid2(struct kvmod_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
int kvmod_get_cpuid2(struct kvmod_vcpu *vcpu, struct kvm_cpuid2 __user *argp);
u64 kvmod_guest_cr4_allowed(struct kvmod_vcpu *vcpu);

/* tsc.c */
void kvmod_tsc_vcpu_init(struct kvmod_vcpu *vcpu);
int kvmod_tsc_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int kvmod_tsc_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);
int kvmod_set_tsc_khz(struct kvmod_vcpu *vcpu, u32 khz);

/* mce.c */
void kvmod_mce_vcpu_init(struct kvmod_vcpu *vcpu);
int kvmod_get_mce_cap_supported(u64 __user *argp);
int kvmod_setup_mce(struct kvmod_vcpu *vcpu, u64 __user *argp);
int kvmod_set_mce(struct kvmod_vcpu *vcpu, struct kvm_x86_mce __user *argp);
int kvmod_mce_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host);
int kvmod_mce_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);

/* msr_platform.c */
void kvmod_platform_msr_init(struct kvmod_vcpu *vcpu);
bool kvmod_cpuid_faulting(struct kvmod_vcpu *vcpu);
int kvmod_platform_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val);
int kvmod_platform_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			   bool host);

/* msr.c */
int kvmod_get_msr_index_list(struct kvm_msr_list __user *argp);
int kvmod_vcpu_msrs(struct kvmod_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool write);

/* feature_msr.c */
int kvmod_get_msr_feature_index_list(struct kvm_msr_list __user *argp);
int kvmod_get_feature_msrs(struct kvm_msrs __user *argp);
int kvmod_get_emulated_cpuid(struct kvm_cpuid2 __user *argp);

/* fpu.c */
int kvmod_get_fpu(struct kvmod_vcpu *vcpu, struct kvm_fpu *fpu);
int kvmod_set_fpu(struct kvmod_vcpu *vcpu, const struct kvm_fpu *fpu);

/* xsave.c */
void kvmod_xsave_init(void);
u64 kvmod_supported_xcr0(void);
u32 kvmod_xstate_size(u64 xcr0);
long kvmod_xsave2_size(void);
long kvmod_xsave_ioctl(struct kvmod_vcpu *vcpu, unsigned int ioctl,
		       void __user *argp);

/* guest_mem.c */
int kvmod_translate(struct kvmod_vcpu *vcpu, struct kvm_translation *tr);

/* pio.c */
int kvmod_complete_pio(struct kvmod_vcpu *vcpu);

/**
 * kvmod_complete_pio_fast() - kvmod_complete_pio() with its common case,
 *	an OUT whose RIP userspace left alone, inline (KVM_RUN's path)
 * @vcpu: the vCPU
 *
 * Return: as kvmod_complete_pio().
 */
static inline int kvmod_complete_pio_fast(struct kvmod_vcpu *vcpu)
{
	struct kvmod_pio_pending *p = &vcpu->pio;

	if (unlikely(p->in || p->string || vcpu->rip != p->exit_rip))
		return kvmod_complete_pio(vcpu);
	p->active = false;
	kvmod_advance_rip(vcpu, p->next_rip);
	return 0;
}

/* mmio.c */
int kvmod_complete_mmio(struct kvmod_vcpu *vcpu);

/* stats.c */
int kvmod_debugfs_init(void);
void kvmod_debugfs_exit(void);
void kvmod_debugfs_vm_add(struct kvmod_vm *vm, int fd);
void kvmod_debugfs_vm_remove(struct kvmod_vm *vm);
void kvmod_debugfs_vcpu_add(struct kvmod_vcpu *vcpu);
void kvmod_debugfs_kvm_init(void);
void kvmod_debugfs_kvm_exit(void);

/* stats_fd.c: KVM_GET_STATS_FD and the counters' descriptors */
enum kvmod_stats_kind {
	KVMOD_STATS_VM,
	KVMOD_STATS_VCPU,
	KVMOD_STATS_NR_KINDS,
};

void kvmod_stats_init(const struct kvmod_vendor_ops *vendor);
void kvmod_stats_exit(void);
bool kvmod_stats_available(void);
u32 kvmod_stats_count(enum kvmod_stats_kind kind);
const struct kvm_stats_desc *kvmod_stats_desc(enum kvmod_stats_kind kind,
					      u32 i);
u64 kvmod_stats_vm_value(const struct kvmod_vm *vm, u32 i);
u64 kvmod_stats_vcpu_value(const struct kvmod_vcpu *vcpu, u32 i);
int kvmod_vm_get_stats_fd(struct kvmod_vm *vm);
int kvmod_vcpu_get_stats_fd(struct kvmod_vcpu *vcpu);

#endif /* KVMOD_REGISTRY_H */
