/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmod: the interface between core (kvmod.ko) and its components.
 *
 * Core owns the /dev/kvm ABI, VMs, vCPUs, memslots and the run loop.
 * A vendor module (SVM, VMX) and an MMU module register small ops tables;
 * core takes a reference on each component's module for every VM that
 * uses it, so a component in use cannot be unloaded.
 */
#ifndef KVMOD_H
#define KVMOD_H

#include <linux/jump_label.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "pagewalk.h"
#include "x86_regs.h"

#define KVMOD_API_VERSION	12
#define KVMOD_MAX_VCPUS		64
#define KVMOD_MAX_VCPU_ID	1024
#define KVMOD_USER_MEMSLOTS	509
#define KVMOD_MEM_MAX_NR_PAGES	((1ULL << 31) - 1)	/* per memslot, as KVM */
#define KVMOD_MAX_CPUID_ENTRIES	256
#define KVMOD_MAX_IO_MSRS	256

struct kvmod_vm;
struct kvmod_vcpu;

/* The isa field of kvm:kvm_exit. */
#define KVMOD_ISA_VMX		1
#define KVMOD_ISA_SVM		2

/* Page-table formats a vendor may ask the MMU for. */
enum kvmod_pt_format {
	KVMOD_PT_X86_64,	/* AMD NPT: ordinary x86-64 4-level entries */
	KVMOD_PT_EPT,		/* Intel EPT entries */
};

/* What core needs to reach guest memory the way the vCPU would. */
struct kvmod_guest_mode {
	struct kvmod_paging paging;
	u64 seg_base[6];		/* ES, CS, SS, DS, FS, GS */
	bool long64;			/* 64-bit code segment */
	bool cs_db;			/* CS.D: 32-bit default operand size */
	u8 cpl;
};

/* Result of handling one exit: stay in the kernel or go to userspace. */
#define KVMOD_EXIT_RESUME	1
#define KVMOD_EXIT_USER		0

/**
 * struct kvmod_vendor_ops - a hardware virtualization back end
 * @name: short name, e.g. "svm"
 * @owner: the module providing the ops (THIS_MODULE)
 * @vm_init: set up per-VM vendor state; sets @vm->pt_format
 * @vm_destroy: free what @vm_init allocated
 * @vcpu_create: allocate and reset per-vCPU state
 * @vcpu_free: free per-vCPU state
 * @vcpu_run: enter the guest once and handle the exit; returns
 *	KVMOD_EXIT_RESUME, KVMOD_EXIT_USER (vcpu->run filled in) or -errno
 * @get_sregs: read segment, descriptor-table and control registers
 * @set_sregs: write them; -EINVAL for state the vendor cannot accept
 * @get_mode: the paging registers, segment bases, code size and CPL (a
 *	cheap subset of @get_sregs for the exit paths)
 * @get_exit_info: the last exit's reason, qualifications and the event
 *	being delivered, for exit data and tracing
 * @queue_exception: make the guest take an exception at the next entry
 * @set_cr2: set the guest's CR2 (the address of a #PF it is to take)
 * @get_msr: read an MSR of the guest; -EINVAL if not supported
 * @set_msr: write one; @host for KVM_SET_MSRS (fewer checks, e.g. LMA)
 * @exit_name: name of a hardware exit reason, for statistics
 * @nr_exit_codes: size of the exit statistics table (exit codes below it)
 */
struct kvmod_vendor_ops {
	const char *name;
	struct module *owner;
	int (*vm_init)(struct kvmod_vm *vm);
	void (*vm_destroy)(struct kvmod_vm *vm);
	int (*vcpu_create)(struct kvmod_vcpu *vcpu);
	void (*vcpu_free)(struct kvmod_vcpu *vcpu);
	int (*vcpu_run)(struct kvmod_vcpu *vcpu);
	void (*get_sregs)(struct kvmod_vcpu *vcpu, struct kvm_sregs *sregs);
	int (*set_sregs)(struct kvmod_vcpu *vcpu,
			 const struct kvm_sregs *sregs);
	void (*get_mode)(struct kvmod_vcpu *vcpu,
			 struct kvmod_guest_mode *mode);
	void (*get_exit_info)(struct kvmod_vcpu *vcpu, u32 *reason, u64 *info1,
			      u64 *info2, u32 *intr_info, u32 *error_code);
	void (*queue_exception)(struct kvmod_vcpu *vcpu, u8 vector,
				bool has_error, u32 error_code);
	void (*set_cr2)(struct kvmod_vcpu *vcpu, u64 cr2);
	int (*get_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 *data);
	int (*set_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 data, bool host);
	const char *(*exit_name)(u32 code);
	u32 nr_exit_codes;
};

/**
 * struct kvmod_mmu_ops - guest-physical to host-physical translation
 * @name: short name, e.g. "tdp"
 * @owner: the module providing the ops (THIS_MODULE)
 * @vm_init: allocate the VM's translation root in @vm->pt_format
 * @vm_destroy: free all tables and release every host page
 * @page_fault: map the page holding @gpa; 0 when mapped, -ENOENT when
 *	no memslot lets the access through (no slot, or a write to a
 *	read-only slot: the caller emulates it as MMIO), another -errno on
 *	failure. Called in process context of the VM's owner, may sleep.
 * @zap_range: remove the translations of guest frames [@start, @end);
 *	returns with remote TLBs flushed. Called with vm->slots_lock held.
 * @write_protect: take write access away from the guest frames
 *	@gfn + i for each bit i set in @mask (@gfn is 64-aligned) so that
 *	the next write faults; returns whether a translation changed, and
 *	then the caller flushes remote TLBs. Called with vm->slots_lock.
 * @root: the host-physical address of the translation root
 */
struct kvmod_mmu_ops {
	const char *name;
	struct module *owner;
	int (*vm_init)(struct kvmod_vm *vm);
	void (*vm_destroy)(struct kvmod_vm *vm);
	int (*page_fault)(struct kvmod_vm *vm, u64 gpa, bool write);
	void (*zap_range)(struct kvmod_vm *vm, u64 start, u64 end);
	bool (*write_protect)(struct kvmod_vm *vm, u64 gfn, u64 mask);
	u64 (*root)(struct kvmod_vm *vm);
};

struct kvmod_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	u32 flags;			/* KVM_MEM_* */
	unsigned long *dirty_bitmap;	/* with KVM_MEM_LOG_DIRTY_PAGES */
};

/* Counters of the VM's translations, kept by the MMU (debugfs). */
struct kvmod_vm_stat {
	u64 pages_4k;
	u64 pages_2m;
};

struct kvmod_vm {
	refcount_t users;		/* VM fd + one per vCPU */
	struct mm_struct *mm;		/* owner's mm (mmgrab) */
	struct mutex lock;		/* vCPU creation */
	struct mutex slots_lock;	/* memslot changes; the fault path */
	spinlock_t slots_spin;		/* memslot writes, atomic readers */
	struct kvmod_memslot *slots;	/* KVMOD_USER_MEMSLOTS entries */
	int slots_end;			/* highest slot in use + 1 */
	struct kvmod_vcpu *vcpus[KVMOD_MAX_VCPUS];
	int nr_vcpus;
	const struct kvmod_vendor_ops *vendor;
	const struct kvmod_mmu_ops *mmu;
	enum kvmod_pt_format pt_format;
	void *vendor_data;
	void *mmu_data;
	atomic64_t tlb_gen;		/* bumped when translations go away */
	u64 dirty_log_caps;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	struct kvmod_vm_stat stat;
	struct dentry *debugfs;
};

/* What must happen when userspace re-enters after a KVM_EXIT_IO. */
struct kvmod_pio_pending {
	bool active;
	bool in;
	bool string;
	bool rep;
	u8 size;
	u8 addr_bytes;			/* address size of the string op */
	u8 seg;				/* segment of the string source */
	u16 port;
	u32 count;
	u64 exit_rip;			/* RIP of the I/O instruction */
	u64 next_rip;
};

/* A piece of an MMIO access for userspace, at most 8 bytes per exit. */
struct kvmod_mmio_frag {
	u64 gpa;
	u8 off;				/* its bytes in kvmod_mmio_pending.data */
	u8 len;				/* bytes not exchanged yet */
};

#define KVMOD_MMIO_MAX_READS	2	/* CMPS reads two operands */
#define KVMOD_MMIO_MAX_LEN	16	/* SSE moves */
#define KVMOD_MMIO_WRITE_OFF	(KVMOD_MMIO_MAX_READS * KVMOD_MMIO_MAX_LEN)

/*
 * MMIO handed to userspace (KVM_EXIT_MMIO), see mmio.c: the pieces of
 * one access (split where it crosses a page) still to be exchanged, and
 * the reads the instruction made so far, which it gets again when it
 * runs again after a read exit.
 */
struct kvmod_mmio_pending {
	bool active;			/* userspace has not re-entered yet */
	bool is_write;
	u8 nr_frags;
	u8 cur_frag;
	u8 nr_reads;			/* reads done, for the re-run */
	u8 read_len[KVMOD_MMIO_MAX_READS];
	u64 read_gla[KVMOD_MMIO_MAX_READS];
	u64 rip;			/* of the instruction */
	u64 gpa;			/* of the first MMIO piece (traces) */
	struct kvmod_mmio_frag frag[2];
	/* read i at i * KVMOD_MMIO_MAX_LEN, the write at ..._WRITE_OFF */
	u8 data[KVMOD_MMIO_WRITE_OFF + KVMOD_MMIO_MAX_LEN];
};

enum kvmod_vcpu_mode {
	KVMOD_OUTSIDE_GUEST = 0,
	KVMOD_IN_GUEST,
};

struct kvmod_vcpu {
	struct kvmod_vm *vm;
	u32 id;
	struct mutex mutex;		/* serializes vCPU ioctls */
	struct kvm_run *run;		/* page 0 of the vCPU mmap */
	void *pio_data;			/* page 1 of the vCPU mmap */

	/* Guest registers owned by core; the vendor syncs its own copy. */
	u64 regs[KVMOD_NR_GPRS];
	u64 rip;
	u64 rflags;
	u64 dr[4];			/* guest DR0-3 (never in hardware) */
	u64 dr6;
	u64 dr7;

	struct fpu_guest guest_fpu;
	struct kvmod_pio_pending pio;
	struct kvmod_mmio_pending mmio;

	struct kvm_cpuid_entry2 *cpuid_entries;	/* KVM_SET_CPUID2, or NULL */
	u32 cpuid_nent;

	int cpu;			/* CPU of the last entry */
	int mode;			/* enum kvmod_vcpu_mode */
	u64 tlb_gen;			/* vm->tlb_gen at the last flush */

	u64 *exit_stats;		/* per hardware exit code */
	u64 exit_stats_other;
	u64 user_exits[64];		/* per KVM_EXIT_* reason */
	struct dentry *debugfs;

	void *vendor_data;
};

/* registry.c */
int kvmod_register_vendor(const struct kvmod_vendor_ops *ops);
void kvmod_unregister_vendor(const struct kvmod_vendor_ops *ops);
int kvmod_register_mmu(const struct kvmod_mmu_ops *ops);
void kvmod_unregister_mmu(const struct kvmod_mmu_ops *ops);

/* trace.c: see trace_kvm.h and trace_kvmod.h */
DECLARE_STATIC_KEY_FALSE(kvmod_trace_exits);
void kvmod_trace_kvm_entry(struct kvmod_vcpu *vcpu);
void kvmod_trace_kvm_exit(struct kvmod_vcpu *vcpu, u32 isa);
void kvmod_trace_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 data, bool write,
		     bool fault);

/* stats.c */
struct dentry *kvmod_debugfs_root(void);

/* vcpu.c */
void kvmod_vcpu_reset_regs(struct kvmod_vcpu *vcpu);

/* memslot.c */
struct kvmod_memslot *kvmod_gfn_to_memslot(struct kvmod_vm *vm, u64 gfn);
void kvmod_mark_page_dirty(struct kvmod_memslot *slot, u64 gfn);

/* guest_mem.c */
int kvmod_read_guest_phys(struct kvmod_vm *vm, u64 gpa, void *buf,
			  unsigned int len);
int kvmod_write_guest_phys(struct kvmod_vm *vm, u64 gpa, const void *buf,
			   unsigned int len);
int kvmod_read_guest_virt(struct kvmod_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, u32 access);
int kvmod_write_guest_virt(struct kvmod_vcpu *vcpu, u64 gva, const void *buf,
			   unsigned int len);
int kvmod_fetch_insn(struct kvmod_vcpu *vcpu, u8 *buf, bool *long64);

/* run.c: vendor entry/exit protocol and exits */
bool kvmod_vcpu_enter_guest(struct kvmod_vcpu *vcpu);
void kvmod_vcpu_exit_guest(struct kvmod_vcpu *vcpu);
void kvmod_flush_remote_tlbs(struct kvmod_vm *vm);
int kvmod_exit_hlt(struct kvmod_vcpu *vcpu);
int kvmod_exit_shutdown(struct kvmod_vcpu *vcpu);
int kvmod_exit_fail_entry(struct kvmod_vcpu *vcpu, u64 reason);
int kvmod_exit_internal(struct kvmod_vcpu *vcpu, u32 suberror, u64 data0,
			u64 data1);
void kvmod_count_exit(struct kvmod_vcpu *vcpu, u32 code);

/* pio.c */
struct kvmod_pio_exit {
	u16 port;
	u8 size;		/* 1, 2 or 4 */
	u8 addr_bytes;		/* string I/O: 2, 4 or 8 (core decodes) */
	bool in;
	bool string;
	bool rep;
	u64 next_rip;
};

int kvmod_handle_pio(struct kvmod_vcpu *vcpu, const struct kvmod_pio_exit *io);

/* mmio.c */
int kvmod_emulate_mmio(struct kvmod_vcpu *vcpu);

/* cpuid.c */
void kvmod_cpuid(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf, u32 *eax,
		 u32 *ebx, u32 *ecx, u32 *edx);
bool kvmod_guest_has_feature(struct kvmod_vcpu *vcpu, u32 leaf, int reg,
			     int bit);
int kvmod_guest_maxphyaddr(struct kvmod_vcpu *vcpu);

/* msr.c: checks both vendors make on guest MSR writes */
bool kvmod_msr_canonical(u64 addr);
bool kvmod_pat_valid(u64 pat);
bool kvmod_efer_allowed(struct kvmod_vcpu *vcpu, u64 val);

#endif /* KVMOD_H */
