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
#include <linux/rcuwait.h>
#include <linux/refcount.h>
#include <linux/signal_types.h>
#include <linux/spinlock.h>
#include <linux/thread_info.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/processor-flags.h>

#include "mtrr_check.h"
#include "pagewalk.h"
#include "x86_regs.h"

#define KVMOD_API_VERSION	12
#define KVMOD_MAX_VCPUS		1024
#define KVMOD_MAX_VCPU_ID	4096
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

/* An event for the guest, as core hands it to the vendor. */
enum kvmod_event_type {
	KVMOD_EVENT_EXCEPTION,
	KVMOD_EVENT_NMI,
	KVMOD_EVENT_IRQ,
	KVMOD_EVENT_SOFT_IRQ,		/* INTn being re-delivered */
};

struct kvmod_event {
	u8 type;			/* enum kvmod_event_type */
	u8 vector;
	bool has_error;
	u32 error;
	u8 insn_len;			/* soft interrupts: INTn's length */
};

/*
 * The vCPU's events, owned by core (events.c), saved and restored by
 * KVM_GET/SET_VCPU_EVENTS. "pending": to be delivered when allowed;
 * "injected": was being delivered when the guest last exited, and is
 * delivered again at the next entry whatever the guest's state.
 */
struct kvmod_vcpu_events {
	struct {
		bool pending;
		bool injected;
		u8 vector;
		bool has_error;
		u32 error;
		bool has_payload;	/* CR2 for #PF, DR6 bits for #DB */
		u64 payload;
	} exception;
	struct {
		bool injected;
		bool soft;
		u8 vector;
		u8 insn_len;
	} irq;
	struct {
		u8 pending;		/* at most 2: one runs, one waits */
		bool injected;
	} nmi;
};

/* vCPU requests (kvmod_make_request()), handled before every entry. */
#define KVMOD_REQ_EVENT		0	/* re-evaluate pending events */
#define KVMOD_REQ_TRIPLE_FAULT	1	/* shutdown: KVM_EXIT_SHUTDOWN */
#define KVMOD_REQ_IOAPIC_EOI	2	/* KVM_EXIT_IOAPIC_EOI (split irqchip) */
#define KVMOD_REQ_TLB_FLUSH	3	/* flush the guest's TLB before entry */
#define KVMOD_REQ_CLOCK_UPDATE	4	/* guest time changed: components' */
#define KVMOD_REQ_REPORT_TPR_ACCESS 5	/* KVM_EXIT_TPR_ACCESS */

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
 * @set_cr2: set the guest's CR2 (the address of a #PF it is to take)
 * @inject_event: deliver @ev at the next entry (core decides which event
 *	and when: see events.c)
 * @nmi_allowed: no NMI blocking and no interrupt shadow
 * @get_nmi_mask: NMIs blocked (an NMI handler runs until its IRET)
 * @set_nmi_mask: block or unblock NMIs
 * @set_windows: exit as soon as an interrupt (@irq) or an NMI (@nmi)
 *	could be delivered; called before every entry with what core wants
 * @get_interrupt_shadow: KVM_X86_SHADOW_INT_STI / _MOV_SS bits
 * @set_interrupt_shadow: set them (0 ends the shadow); keeps
 *	vcpu->interrupt_shadow in step
 * @get_msr: read an MSR of the guest; -EINVAL if not supported
 * @set_msr: write one; @host for KVM_SET_MSRS (fewer checks, e.g. LMA)
 * @update_debug: guest debugging or the debug registers changed: intercept
 *	#BP while KVM_GUESTDBG_USE_SW_BP is on, MOV DR unless
 *	vcpu->debug.guest_owns, and run the guest with DR7 =
 *	vcpu->debug.hw_dr7 (debug.c; DR0-3 are loaded at each entry by
 *	kvmod_load_guest_db(), and saved by kvmod_save_guest_db() while the
 *	guest owns them)
 * @set_tsc_offset: program the guest's TSC offset (guest TSC = host TSC +
 *	offset); core keeps the value (tsc.c)
 * @hypercall_insn: the vendor's hypercall instruction (VMMCALL or
 *	VMCALL), written over the other one when a guest runs that
 * @mcg_cap_reserved: IA32_MCG_CAP bits KVM_X86_SETUP_MCE accepts but the
 *	vendor drops (SVM keeps bits 8:0 only, as KVM's svm_setup_mce())
 * @keeps_hsave_pa: MSR_VM_HSAVE_PA holds a page address (SVM); without
 *	it the MSR reads as zero and ignores writes
 * @osvw_from_host: a new vCPU's OSVW MSRs pass on the host's (SVM: at
 *	least 3 IDs, errata 400 and 415 fixed); without it they start at 0
 * @ucode_rev: IA32_UCODE_REV of a new vCPU (KVM: 0x01000065 on SVM,
 *	0x100000000 on VMX)
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
	void (*set_cr2)(struct kvmod_vcpu *vcpu, u64 cr2);
	void (*inject_event)(struct kvmod_vcpu *vcpu,
			     const struct kvmod_event *ev);
	bool (*nmi_allowed)(struct kvmod_vcpu *vcpu);
	bool (*get_nmi_mask)(struct kvmod_vcpu *vcpu);
	void (*set_nmi_mask)(struct kvmod_vcpu *vcpu, bool masked);
	void (*set_windows)(struct kvmod_vcpu *vcpu, bool irq, bool nmi);
	u8 (*get_interrupt_shadow)(struct kvmod_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct kvmod_vcpu *vcpu, u8 shadow);
	int (*get_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 *data);
	int (*set_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 data, bool host);
	void (*update_debug)(struct kvmod_vcpu *vcpu);
	void (*set_tsc_offset)(struct kvmod_vcpu *vcpu, u64 offset);
	u8 hypercall_insn[3];
	u64 mcg_cap_reserved;
	bool keeps_hsave_pa;
	bool osvw_from_host;
	u64 ucode_rev;
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

/* Bits a component adds to a CPUID leaf (subleaf 0). */
struct kvmod_cpuid_bits {
	u32 leaf;
	u8 reg;				/* 0-3: EAX, EBX, ECX, EDX */
	u32 set;
};

/**
 * struct kvmod_component_ops - an optional component (irqchip, para)
 * @name: short name, e.g. "irqchip"
 * @owner: the module providing the ops (THIS_MODULE)
 * @check_extension: its capability answers; 0 for capabilities not its
 *	own. @vm is NULL on the system fd.
 * @vm_ioctl: its VM ioctls; -ENOTTY for the others
 * @vcpu_ioctl: its vCPU ioctls, with the vCPU's mutex held; -ENOTTY for
 *	the others
 * @vcpu_create: a vCPU was created (before userspace can run it)
 * @vcpu_init_signal: the vCPU takes an INIT: its paravirtual state goes
 *	back to the reset values (areas the guest registered are dropped)
 * @vcpu_destroy: free what the component attached to the vCPU
 * @cpuid_changed: KVM_SET_CPUID2 gave the vCPU a new CPUID table: derive
 *	what depends on it (with the vCPU's mutex held)
 * @vm_destroy: free what it attached to the VM (no vCPU runs; their
 *	@vcpu_destroy calls come after)
 * @cpuid_bits: CPUID bits the component implements, offered on top of
 *	the host's (@nr_cpuid_bits entries)
 * @nr_cpuid_bits: entries at @cpuid_bits
 * @cpuid_leaves: whole CPUID leaves from 0x40000000 up (the hypervisor
 *	range) the component answers (@nr_cpuid_leaves entries), offered by
 *	KVM_GET_SUPPORTED_CPUID; the guest sees them when userspace puts
 *	them into its KVM_SET_CPUID2 table
 * @nr_cpuid_leaves: entries at @cpuid_leaves
 * @get_msr: its MSRs, asked after the irqchip's and core's; -ENOENT for
 *	the others
 * @set_msr: write one of them; -ENOENT for the others
 * @msr_indices: its MSRs userspace saves and restores, added to
 *	KVM_GET_MSR_INDEX_LIST (@nr_msr_indices entries)
 * @nr_msr_indices: entries at @msr_indices
 * @hypercall: VMCALL/VMMCALL with the vCPU's registers in core; returns
 *	KVMOD_EXIT_RESUME or KVMOD_EXIT_USER. Without it the guest gets #UD.
 * @clock_update: KVMOD_REQ_CLOCK_UPDATE was taken before an entry (the
 *	guest's TSC or clock changed, it moved to another host CPU, or its
 *	thread waited for one: kvmclock and steal time)
 *
 * Every VM pins the components registered when it was created, and asks
 * them in order of their kind.
 */
struct kvmod_component_ops {
	const char *name;
	struct module *owner;
	long (*check_extension)(struct kvmod_vm *vm, long cap);
	long (*vm_ioctl)(struct kvmod_vm *vm, unsigned int ioctl,
			 unsigned long arg);
	long (*vcpu_ioctl)(struct kvmod_vcpu *vcpu, unsigned int ioctl,
			   unsigned long arg);
	int (*vcpu_create)(struct kvmod_vcpu *vcpu);
	void (*vcpu_init_signal)(struct kvmod_vcpu *vcpu);
	void (*vcpu_destroy)(struct kvmod_vcpu *vcpu);
	void (*cpuid_changed)(struct kvmod_vcpu *vcpu);
	void (*vm_destroy)(struct kvmod_vm *vm);
	const struct kvmod_cpuid_bits *cpuid_bits;
	unsigned int nr_cpuid_bits;
	const struct kvm_cpuid_entry2 *cpuid_leaves;
	unsigned int nr_cpuid_leaves;
	int (*get_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host);
	int (*set_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);
	const u32 *msr_indices;
	unsigned int nr_msr_indices;
	int (*hypercall)(struct kvmod_vcpu *vcpu);
	void (*clock_update)(struct kvmod_vcpu *vcpu);
};

enum kvmod_component_kind {
	KVMOD_COMPONENT_IRQCHIP,
	KVMOD_COMPONENT_PARA,
	KVMOD_NR_COMPONENTS,
};

/**
 * struct kvmod_irqchip_ops - an in-kernel interrupt controller, as core's
 *	event delivery sees it (set in vm->irqchip by KVM_CREATE_IRQCHIP)
 * @pending_vector: the interrupt the vCPU's controllers want delivered
 *	now, or -1 (nothing changes)
 * @ack: that interrupt is being delivered: its vector, now in service,
 *	or -1 when it went away
 * @has_wakeup: something that ends a halt (an interrupt the guest takes,
 *	NMI, INIT or SIPI)
 * @get_msr: its MSRs (APIC base, x2APIC, TSC deadline); -ENOENT for
 *	others
 * @set_msr: write one; -ENOENT for others
 * @local_mmio: an MMIO access that may be for the vCPU's own local APIC
 *	(its page moves with the vCPU's APIC base); 0 when handled,
 *	-EOPNOTSUPP when not its own
 * @init_signal: the vCPU takes an INIT: its local APIC too
 * @user_interrupt: KVM_INTERRUPT with a split irqchip: an ExtINT from
 *	userspace's PIC; 0, or -EEXIST while the last one waits
 * @before_entry: before an entry, while vcpu->pv_eoi_msr is enabled or
 *	vcpu->vapic_addr set: offer the guest an EOI by memory for the
 *	interrupt it handles; mirror the TPR into the VAPIC area when the
 *	events were looked at for this entry (vcpu->vapic_sync)
 * @after_exit: after the exit, before it is handled (see
 *	kvmod_vcpu_after_exit()): the guest took the PV EOI offer (EOI it)
 *	or not (withdraw it); the TPR from the VAPIC area
 * @send_ipi_bitmap: KVM_HC_SEND_IPI: the IPI of ICR low word @icr (vector,
 *	delivery mode, level; physical destination) to APIC ID @min + i for
 *	each bit i of @bitmap; returns how many APICs accepted it
 */
struct kvmod_irqchip_ops {
	int (*pending_vector)(struct kvmod_vcpu *vcpu);
	int (*ack)(struct kvmod_vcpu *vcpu);
	bool (*has_wakeup)(struct kvmod_vcpu *vcpu);
	int (*get_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host);
	int (*set_msr)(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);
	int (*local_mmio)(struct kvmod_vcpu *vcpu, u64 addr, int len,
			  void *val, bool write);
	void (*init_signal)(struct kvmod_vcpu *vcpu);
	int (*user_interrupt)(struct kvmod_vcpu *vcpu, u8 vector);
	int (*send_ipi_bitmap)(struct kvmod_vm *vm, u64 bitmap, u64 min,
			       u32 icr);
	void (*before_entry)(struct kvmod_vcpu *vcpu);
	void (*after_exit)(struct kvmod_vcpu *vcpu);
};

/* The I/O bus (io_bus.c): ports and MMIO claimed by in-kernel devices. */
enum kvmod_bus {
	KVMOD_PIO_BUS,
	KVMOD_MMIO_BUS,
	KVMOD_NR_BUSES,
};

struct kvmod_io_device;

/**
 * struct kvmod_io_ops - a device on the I/O bus
 * @read: fill @val with @len bytes from @addr; 0, or -EOPNOTSUPP to let
 *	the access go to userspace after all
 * @write: take @len bytes at @val written to @addr; the same returns
 *
 * Called from the vCPU's thread in process context (may sleep), inside
 * an SRCU read section of the VM's buses.
 */
struct kvmod_io_ops {
	int (*read)(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		    u64 addr, int len, void *val);
	int (*write)(struct kvmod_io_device *dev, struct kvmod_vcpu *vcpu,
		     u64 addr, int len, const void *val);
};

struct kvmod_io_device {
	const struct kvmod_io_ops *ops;
};

struct kvmod_io_bus;
struct kvmod_ioeventfds;
struct kvmod_coalesced;

struct kvmod_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	u32 flags;			/* KVM_MEM_* */
	unsigned long *dirty_bitmap;	/* with KVM_MEM_LOG_DIRTY_PAGES */
};

/*
 * A VM's counters (KVM_GET_STATS_FD and debugfs, stats_fd.c), with the
 * names and meanings of in-tree KVM's: the translations the MMU keeps by
 * size, and remote TLB flushes (all of them; those that interrupted a
 * vCPU in the guest).
 */
struct kvmod_vm_stat {
	u64 pages_4k;
	u64 pages_2m;
	u64 remote_tlb_flush_requests;
	u64 remote_tlb_flush;
};

/* Buckets of a logarithmic histogram: bucket i counts fls64(value) == i. */
#define KVMOD_STAT_HIST_BUCKETS	32

/*
 * A vCPU's counters, named and counted as in-tree KVM's (stats_fd.c lists
 * them with their meanings); plain increments by the vCPU's own thread,
 * except halt_wakeup (the waker's).
 */
struct kvmod_vcpu_stat {
	u64 halt_wakeup;
	u64 halt_wait_ns;
	u64 halt_wait_hist[KVMOD_STAT_HIST_BUCKETS];
	u64 blocking;
	u64 pf_taken;
	u64 pf_fixed;
	u64 pf_emulate;
	u64 pf_guest;
	u64 tlb_flush;
	u64 io_exits;
	u64 signal_exits;
	u64 irq_window_exits;
	u64 nmi_window_exits;
	u64 halt_exits;
	u64 irq_exits;
	u64 insn_emulation;
	u64 insn_emulation_fail;
	u64 hypercalls;
	u64 irq_injections;
	u64 nmi_injections;
	u64 req_event;
};

/* "kvm-<pid>/vcpu-<id>", the id string of a stats fd, as KVM's */
#define KVMOD_STATS_ID_SIZE	48

/*
 * The last TSC write of a VM (tsc.c), to which a later write within a
 * second of the expected value (or a new vCPU) is matched, as KVM does.
 */
struct kvmod_vm_tsc {
	spinlock_t lock;		/* the fields below */
	u64 last_write;			/* guest TSC value written */
	s64 last_ns;			/* boot-time ns of that write */
	u32 last_khz;
	u64 cur_offset;			/* offset of the current generation */
	u64 generation;			/* bumped by an unmatched write */
	int nr_matched;			/* vCPUs that joined it, minus one */
};

struct kvmod_vm {
	refcount_t users;		/* VM fd + one per vCPU */
	struct mm_struct *mm;		/* owner's mm (mmgrab) */
	struct mutex lock;		/* vCPU creation */
	struct mutex slots_lock;	/* memslot changes; the fault path */
	spinlock_t slots_spin;		/* memslot writes, atomic readers */
	struct kvmod_memslot *slots;	/* KVMOD_USER_MEMSLOTS entries */
	int slots_end;			/* highest slot in use + 1 */
	struct xarray vcpu_array;	/* by creation order, 0..nr_vcpus-1 */
	int nr_vcpus;
	int created_vcpus;		/* @lock: being made or made */
	const struct kvmod_vendor_ops *vendor;
	const struct kvmod_mmu_ops *mmu;
	const struct kvmod_component_ops *components[KVMOD_NR_COMPONENTS];
	u64 cpuid_leaves;		/* leaves < 64 the components add to */
	const struct kvmod_irqchip_ops *irqchip;	/* or NULL */
	void *irqchip_data;
	bool pic_in_kernel;		/* not split: no KVM_INTERRUPT */
	struct kvmod_io_bus __rcu *buses[KVMOD_NR_BUSES];	/* @bus_lock */
	struct mutex bus_lock;		/* changes of @buses */
	struct srcu_struct io_srcu;	/* readers of @buses */
	struct kvmod_ioeventfds __rcu *ioeventfds[KVMOD_NR_BUSES]; /* ditto */
	struct kvmod_coalesced *coalesced;	/* coalesced_mmio.c, or NULL */
	enum kvmod_pt_format pt_format;
	void *vendor_data;
	void *mmu_data;
	u64 dirty_log_caps;		/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	bool exception_payload;		/* KVM_CAP_EXCEPTION_PAYLOAD enabled */
	u64 tss_addr;			/* KVM_SET_TSS_ADDR (vm_ctl.c) */
	u64 identity_map_addr;		/* KVM_SET_IDENTITY_MAP_ADDR */
	u32 bsp_vcpu_id;		/* KVM_SET_BOOT_CPU_ID, default 0 */
	struct kvmod_vm_tsc tsc;	/* TSC synchronisation (tsc.c) */
	void *para_data;		/* kvmod-para's VM state */
	struct kvmod_vm_stat stat;
	char stats_id[KVMOD_STATS_ID_SIZE];	/* "kvm-<pid>" */
	struct dentry *debugfs;
	struct dentry *kvm_debugfs;	/* debugfs kvm/<pid>-<fd>, kvm_stat's */
	void *kvm_debugfs_files;	/* what its files read (stats.c) */
	struct list_head stats_node;	/* in stats.c's list of VMs */
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

/* Machine-check banks a vCPU may have (KVM_CAP_MCE). */
#define KVMOD_MAX_MCE_BANKS	32

/* A vCPU's machine-check architecture (mce.c). */
struct kvmod_vcpu_mce {
	u64 mcg_cap;			/* IA32_MCG_CAP, bank count in 7:0 */
	u64 mcg_ctl;
	u64 mcg_status;
	u64 hwcr;			/* AMD HWCR: McStatusWrEn */
	u64 banks[KVMOD_MAX_MCE_BANKS * 4];	/* MCi_CTL/STATUS/ADDR/MISC */
};

/*
 * Guest debugging (KVM_SET_GUEST_DEBUG) and what the hardware runs the
 * guest with, derived by debug.c from it and the guest's own registers.
 */
struct kvmod_vcpu_debug {
	u32 control;			/* KVM_GUESTDBG_*, 0 when off */
	u64 user_db[4];			/* KVM_GUESTDBG_USE_HW_BP: DR0-3 */
	u64 user_dr7;			/* ... and DR7 */
	u64 eff_db[4];			/* DR0-3 while the guest runs */
	u64 eff_dr7;			/* DR7 the guest runs under */
	u64 hw_dr7;			/* in hardware: GD is emulated */
	bool load_db;			/* a breakpoint is armed: load DR0-3 */
	/* Until the next exit, MOV DR runs without exits (see debug.c). */
	bool guest_owns;
	bool tf_set;			/* kvmod set RFLAGS.TF to single-step */
	/*
	 * kvmod raised the single-step trap of an instruction it emulated:
	 * none the hardware recorded for it may stay pending (VMX clears
	 * it at the next entry).
	 */
	bool insn_stepped;
};

enum kvmod_vcpu_mode {
	KVMOD_OUTSIDE_GUEST = 0,
	KVMOD_IN_GUEST,
	KVMOD_EXITING_GUEST,		/* kicked: leave the guest */
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
	/*
	 * Set by the vendor at each exit: the address of the next
	 * instruction when the hardware tells it (0: core decodes), and
	 * whether an interrupt shadow is on (so that completing an
	 * instruction asks the vendor to end it only then).
	 */
	u64 next_rip;
	u8 interrupt_shadow;
	u64 dr[4];			/* guest DR0-3 (debug.c) */
	u64 dr6;
	u64 dr7;
	struct kvmod_vcpu_debug debug;

	struct fpu_guest guest_fpu;
	u64 xcr0;			/* the guest's XCR0 (xsave.c) */
	bool xcr0_loaded;		/* in the CPU now, instead of the host's */
	struct kvmod_pio_pending pio;
	struct kvmod_mmio_pending mmio;

	struct kvm_cpuid_entry2 *cpuid_entries;	/* KVM_SET_CPUID2, or NULL */
	u32 cpuid_nent;

	int cpu;			/* CPU of the last entry */
	int mode;			/* enum kvmod_vcpu_mode */
	bool tlb_flush;			/* KVMOD_REQ_TLB_FLUSH taken, not done */
	unsigned long requests;		/* KVMOD_REQ_* bits, atomic */

	/* Events (events.c); only the vCPU's own thread changes them. */
	struct kvmod_vcpu_events ev;
	bool irq_window_exit;		/* userspace asked for the window */
	u64 apic_base;			/* IA32_APIC_BASE */
	u64 cr8;			/* TPR bits 7:4 as CR8 (vendor syncs) */
	u32 mp_state;			/* KVM_MP_STATE_* */
	bool init_pending;		/* INIT signal, set by other threads */
	bool sipi_pending;
	u8 sipi_vector;
	struct rcuwait wait;		/* a halted vCPU blocks here */

	u64 *exit_stats;		/* per hardware exit code */
	u64 exit_stats_other;
	u64 user_exits[64];		/* per KVM_EXIT_* reason */
	struct kvmod_vcpu_stat stat;
	char stats_id[KVMOD_STATS_ID_SIZE];
	struct dentry *debugfs;

	void *vendor_data;
	void *irqchip_data;		/* its local APIC (kvmod-irqchip) */
	atomic_t nmi_queued;		/* NMIs sent by other threads */
	u8 eoi_exit_vector;		/* split irqchip: KVM_EXIT_IOAPIC_EOI */
	u64 microcode_version;		/* IA32_UCODE_REV (feature_msr.c) */
	struct kvmod_mtrr_state mtrr;	/* MTRRs, kept for the guest only */
	struct kvmod_vcpu_mce mce;	/* machine-check MSRs (mce.c) */
	struct {			/* msr_platform.c */
		u64 misc_enable;
		u64 power_ctl;
		u64 osvw_length;
		u64 osvw_status;
		u64 hsave_pa;		/* SVM's VM_HSAVE_PA, kept only */
		u64 platform_info;	/* MSR_PLATFORM_INFO */
		u64 misc_features;	/* MISC_FEATURES_ENABLES */
	} platform;
	bool sigset_active;		/* KVM_SET_SIGNAL_MASK (vcpu_ctl.c) */
	sigset_t sigset;		/* blocked during KVM_RUN */

	/* Guest time (tsc.c): guest TSC = host TSC + tsc_offset. */
	u64 tsc_offset;
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u32 tsc_khz;			/* KVM_GET/SET_TSC_KHZ */
	u64 tsc_generation;		/* vm->tsc.generation it matched */
	int clock_cpu;			/* host CPU of the last clock update */
	bool clock_tracked;		/* a component follows CPU moves */
	/*
	 * A component accounts the time the vCPU's thread waited for a
	 * host CPU (steal time): a change of its run_delay since
	 * @last_run_delay makes a KVMOD_REQ_CLOCK_UPDATE.
	 */
	bool steal_tracked;
	u64 last_run_delay;
	void *para_data;		/* kvmod-para's vCPU state */
	/*
	 * A component's exit to userspace (KVM_EXIT_HYPERCALL) finished at
	 * the next KVM_RUN; it returns like a vendor's vcpu_run.
	 */
	int (*complete_user_exit)(struct kvmod_vcpu *vcpu);
	bool pv_unhalted;		/* KVM_HC_KICK_CPU ends the next halt */
	u64 pv_eoi_msr;			/* MSR_KVM_PV_EOI_EN (irqchip's) */
	u64 vapic_addr;			/* KVM_SET_VAPIC_ADDR (irqchip's) */
	/* Events were looked at before this entry: write the VAPIC area. */
	bool vapic_sync;
	/* The irqchip's before_entry ran: its after_exit is due. */
	bool irqchip_exit_due;
	bool tpr_access_reporting;	/* KVM_TPR_ACCESS_REPORTING */
};

/**
 * kvmod_get_vcpu() - the vCPU created @i-th in a VM
 * @vm: the VM
 * @i: below smp_load_acquire(&vm->nr_vcpus)
 *
 * Return: the vCPU; lockless (vCPUs live as long as their VM).
 */
static inline struct kvmod_vcpu *kvmod_get_vcpu(struct kvmod_vm *vm, int i)
{
	return xa_load(&vm->vcpu_array, i);
}

/**
 * kvmod_vcpu_is_bsp() - is this the VM's boot CPU (KVM_SET_BOOT_CPU_ID)?
 * @vcpu: the vCPU
 *
 * Return: whether it starts runnable, with BSP set in its APIC base.
 */
static inline bool kvmod_vcpu_is_bsp(struct kvmod_vcpu *vcpu)
{
	return vcpu->id == vcpu->vm->bsp_vcpu_id;
}

/**
 * kvmod_get_apic_base() - the guest's IA32_APIC_BASE
 * @vcpu: the vCPU
 *
 * Return: the value (kvm_run.apic_base, KVM_GET_SREGS).
 */
static inline u64 kvmod_get_apic_base(struct kvmod_vcpu *vcpu)
{
	return vcpu->apic_base;
}

/**
 * kvmod_get_cr8() - the guest's task priority (CR8)
 * @vcpu: the vCPU
 *
 * Return: CR8 (kvm_run.cr8, KVM_GET_SREGS).
 */
static inline u64 kvmod_get_cr8(struct kvmod_vcpu *vcpu)
{
	return vcpu->cr8;
}

/**
 * kvmod_interrupt_allowed() - may the guest take a maskable interrupt?
 * @vcpu: the vCPU (its RFLAGS and interrupt shadow as of the last exit)
 *
 * Return: RFLAGS.IF is set and no STI/MOV SS shadow is on.
 */
static inline bool kvmod_interrupt_allowed(struct kvmod_vcpu *vcpu)
{
	return (vcpu->rflags & X86_EFLAGS_IF) && !vcpu->interrupt_shadow;
}

/**
 * kvmod_advance_rip() - complete the current instruction
 * @vcpu: the vCPU
 * @next_rip: the address of the next instruction
 *
 * Ends an interrupt shadow (STI, MOV SS) as the CPU would.
 */
static inline void kvmod_advance_rip(struct kvmod_vcpu *vcpu, u64 next_rip)
{
	vcpu->rip = next_rip;
	if (unlikely(vcpu->interrupt_shadow))
		vcpu->vm->vendor->set_interrupt_shadow(vcpu, 0);
}

/* registry.c */
int kvmod_register_vendor(const struct kvmod_vendor_ops *ops);
void kvmod_unregister_vendor(const struct kvmod_vendor_ops *ops);
int kvmod_register_mmu(const struct kvmod_mmu_ops *ops);
void kvmod_unregister_mmu(const struct kvmod_mmu_ops *ops);
int kvmod_register_component(enum kvmod_component_kind kind,
			     const struct kvmod_component_ops *ops);
void kvmod_unregister_component(enum kvmod_component_kind kind,
				const struct kvmod_component_ops *ops);

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
#define KVMOD_ENTER_FLUSH_TLB	1	/* flush the guest's TLB, then enter */
#define KVMOD_ENTER_CANCEL	(-1)	/* requests or a signal: do not enter */
void kvmod_vcpu_clock_check(struct kvmod_vcpu *vcpu);
/**
 * kvmod_vcpu_enter_guest() - mark a vCPU as entering the guest
 * @vcpu: the vCPU, on this CPU with interrupts disabled
 *
 * Return: KVMOD_ENTER_CANCEL when a request or a signal arrived since
 * core prepared the entry (the vendor then returns KVMOD_EXIT_RESUME
 * without entering, and core's loop handles it); otherwise
 * KVMOD_ENTER_FLUSH_TLB when the guest's TLB entries must be flushed
 * before entry, or 0. Inline: on the path of every entry.
 */
static inline int kvmod_vcpu_enter_guest(struct kvmod_vcpu *vcpu)
{
	if (unlikely(vcpu->clock_tracked || vcpu->steal_tracked))
		kvmod_vcpu_clock_check(vcpu);
	WRITE_ONCE(vcpu->mode, KVMOD_IN_GUEST);
	/*
	 * Pairs with the barriers in kvmod_flush_remote_tlbs() and
	 * kvmod_vcpu_kick(): either this sees their update, or they see
	 * IN_GUEST and send an IPI.
	 */
	smp_mb();
	if (READ_ONCE(vcpu->requests) ||
	    (read_thread_flags() & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL |
				    _TIF_NEED_RESCHED))) {
		WRITE_ONCE(vcpu->mode, KVMOD_OUTSIDE_GUEST);
		return KVMOD_ENTER_CANCEL;
	}
	if (likely(!vcpu->tlb_flush))
		return 0;
	vcpu->tlb_flush = false;
	return KVMOD_ENTER_FLUSH_TLB;
}

void kvmod_flush_remote_tlbs(struct kvmod_vm *vm);
int kvmod_exit_hlt(struct kvmod_vcpu *vcpu);
void kvmod_report_tpr_access(struct kvmod_vcpu *vcpu, bool write);
int kvmod_exit_shutdown(struct kvmod_vcpu *vcpu);
int kvmod_exit_fail_entry(struct kvmod_vcpu *vcpu, u64 reason);
int kvmod_exit_internal(struct kvmod_vcpu *vcpu, u32 suberror, u64 data0,
			u64 data1);

/**
 * kvmod_vcpu_exit_guest() - mark a vCPU as out of the guest
 * @vcpu: the vCPU, still with interrupts disabled
 *
 * Inline: on the path of every exit.
 */
static inline void kvmod_vcpu_exit_guest(struct kvmod_vcpu *vcpu)
{
	/* Everything the guest did happens-before a kicker seeing this. */
	smp_store_release(&vcpu->mode, KVMOD_OUTSIDE_GUEST);
}

/**
 * kvmod_vcpu_after_exit() - the in-kernel APIC's look at guest memory
 * @vcpu: the vCPU, preemptible, after an exit and before the vendor
 *	handles it
 *
 * What the guest left for the APIC while it ran (a PV EOI, the VAPIC
 * area's TPR) is taken before the exit is handled, as KVM does, so that
 * the exit's own APIC accesses come after it. Nothing to do unless
 * the irqchip's before_entry ran for this entry; core calls it again
 * after an entry the vendor cancelled.
 */
static inline void kvmod_vcpu_after_exit(struct kvmod_vcpu *vcpu)
{
	if (likely(!vcpu->irqchip_exit_due))
		return;
	vcpu->irqchip_exit_due = false;
	vcpu->vm->irqchip->after_exit(vcpu);
}

/**
 * kvmod_count_exit() - count a hardware exit for the statistics
 * @vcpu: the vCPU
 * @code: the vendor's exit code
 * @nr_codes: the vendor's nr_exit_codes (a constant of the caller, so
 *	that the bound costs no loads)
 *
 * Inline: on the path of every exit.
 */
static inline void kvmod_count_exit(struct kvmod_vcpu *vcpu, u32 code,
				    u32 nr_codes)
{
	if (likely(code < nr_codes))
		vcpu->exit_stats[code]++;
	else
		vcpu->exit_stats_other++;
}

/* io_bus.c */
int kvmod_io_bus_register(struct kvmod_vm *vm, enum kvmod_bus idx, u64 addr,
			  u64 len, struct kvmod_io_device *dev);
void kvmod_io_bus_unregister(struct kvmod_vm *vm, enum kvmod_bus idx,
			     struct kvmod_io_device *dev);

/* request.c: vCPU requests and kicks */
void kvmod_make_request(struct kvmod_vcpu *vcpu, int req);
bool kvmod_check_request(struct kvmod_vcpu *vcpu, int req);
void kvmod_vcpu_kick(struct kvmod_vcpu *vcpu);

/* mp_state.c: INIT and SIPI */
void kvmod_vcpu_send_init(struct kvmod_vcpu *vcpu);
void kvmod_vcpu_send_sipi(struct kvmod_vcpu *vcpu, u8 vector);
void kvmod_vcpu_send_nmi(struct kvmod_vcpu *vcpu);

/* events.c: exceptions, NMIs and interrupts for the guest */
void kvmod_queue_exception(struct kvmod_vcpu *vcpu, u8 vector,
			   bool has_error, u32 error);
void kvmod_queue_page_fault(struct kvmod_vcpu *vcpu, u64 cr2, u32 error);
void kvmod_event_interrupted(struct kvmod_vcpu *vcpu,
			     const struct kvmod_event *ev);
void kvmod_event_deferred(struct kvmod_vcpu *vcpu,
			  const struct kvmod_event *ev);
void kvmod_nmi_window_open(struct kvmod_vcpu *vcpu);
bool kvmod_event_delivering(struct kvmod_vcpu *vcpu);

/* debug.c: debug registers and guest debugging */
void kvmod_debug_update(struct kvmod_vcpu *vcpu);
int kvmod_get_dr(struct kvmod_vcpu *vcpu, int dr, u64 *val);
int kvmod_set_dr(struct kvmod_vcpu *vcpu, int dr, u64 val);
int kvmod_handle_db(struct kvmod_vcpu *vcpu, u64 payload);
int kvmod_handle_bp(struct kvmod_vcpu *vcpu);
int kvmod_debug_insn_stepped(struct kvmod_vcpu *vcpu);
void kvmod_debug_load_db(struct kvmod_vcpu *vcpu);
void kvmod_debug_save_db(struct kvmod_vcpu *vcpu, u64 dr6, u64 dr7);

/**
 * kvmod_load_guest_db() - put the guest's DR0-3 into the hardware
 * @vcpu: the vCPU, about to enter, with interrupts disabled
 *
 * Only while a breakpoint is armed (vcpu->debug.load_db) or the guest
 * owns the registers; DR6 and DR7 are the vendor's to load (VMCB, VMCS,
 * or by hand). The vendor restores the host's with
 * hw_breakpoint_restore() after the exit.
 */
static inline void kvmod_load_guest_db(struct kvmod_vcpu *vcpu)
{
	if (unlikely(vcpu->debug.load_db || vcpu->debug.guest_owns))
		kvmod_debug_load_db(vcpu);
}

/**
 * kvmod_save_guest_db() - take back the registers the guest owned
 * @vcpu: the vCPU, right after the exit, interrupts still disabled
 * @dr6: the guest's DR6 as the hardware holds it now
 * @dr7: and its DR7
 *
 * Return: true when it did (the guest owned them): the vendor then makes
 * MOV DR exit again and loads vcpu->debug.hw_dr7, as in update_debug.
 */
static inline bool kvmod_save_guest_db(struct kvmod_vcpu *vcpu, u64 dr6,
				       u64 dr7)
{
	if (likely(!vcpu->debug.guest_owns))
		return false;
	kvmod_debug_save_db(vcpu, dr6, dr7);
	return true;
}

/* exit.c: exits handled the same way on every vendor */
int kvmod_emulate_cpuid(struct kvmod_vcpu *vcpu);
int kvmod_emulate_halt(struct kvmod_vcpu *vcpu);
int kvmod_emulate_rdmsr(struct kvmod_vcpu *vcpu);
int kvmod_emulate_wrmsr(struct kvmod_vcpu *vcpu);
int kvmod_emulate_hypercall(struct kvmod_vcpu *vcpu);
int kvmod_handle_ud(struct kvmod_vcpu *vcpu);
int kvmod_emulate_mov_dr(struct kvmod_vcpu *vcpu, int dr, int gpr,
			 bool to_dr);
int kvmod_emulate_set_cr8(struct kvmod_vcpu *vcpu, u64 val);
int kvmod_handle_gpa_fault(struct kvmod_vcpu *vcpu, u64 gpa, bool write,
			   u64 error_code);
int kvmod_inject_ud(struct kvmod_vcpu *vcpu);
int kvmod_inject_gp(struct kvmod_vcpu *vcpu);
int kvmod_skip_insn(struct kvmod_vcpu *vcpu);
int kvmod_exit_irq_window(struct kvmod_vcpu *vcpu);
int kvmod_exit_nmi_window(struct kvmod_vcpu *vcpu);

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
void kvmod_cpuid_lookup(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf,
			u32 r[4]);

/* xsave.c: the guest's XCR0 */
extern u64 kvmod_host_xcr0;
DECLARE_STATIC_KEY_FALSE(kvmod_xcr0_unguarded);
int kvmod_emulate_xsetbv(struct kvmod_vcpu *vcpu);
void kvmod_switch_xcr0(struct kvmod_vcpu *vcpu, bool guest);
void kvmod_xcr0_check_unguarded(struct kvmod_vcpu *vcpu);

/**
 * kvmod_load_guest_xcr0() - give the CPU the guest's XCR0 for entry
 * @vcpu: the vCPU, interrupts disabled, its FPU state loaded
 * @guest_cr4: the CR4 it enters with
 *
 * As KVM: only with CR4.OSXSAVE does the guest see XCR0 at all, and it
 * is switched only when it differs from the host's. Inline: on the path
 * of every entry.
 */
static inline void kvmod_load_guest_xcr0(struct kvmod_vcpu *vcpu,
					 u64 guest_cr4)
{
	if (unlikely(guest_cr4 & X86_CR4_OSXSAVE) &&
	    vcpu->xcr0 != kvmod_host_xcr0)
		kvmod_switch_xcr0(vcpu, true);
}

/**
 * kvmod_load_host_xcr0() - put the host's XCR0 back after the exit
 * @vcpu: the vCPU, interrupts still disabled
 * @guest_cr4: the guest's CR4, where its XSETBV may not have exited (SVM
 *	under an outer hypervisor); 0 where XSETBV always exits (VMX)
 *
 * Inline: on the path of every exit.
 */
static inline void kvmod_load_host_xcr0(struct kvmod_vcpu *vcpu,
					u64 guest_cr4)
{
	if (static_branch_unlikely(&kvmod_xcr0_unguarded) &&
	    (guest_cr4 & X86_CR4_OSXSAVE))
		kvmod_xcr0_check_unguarded(vcpu);
	if (unlikely(vcpu->xcr0_loaded))
		kvmod_switch_xcr0(vcpu, false);
}

/* tsc.c: the guest's TSC */
u64 kvmod_guest_tsc(struct kvmod_vcpu *vcpu, u64 host_tsc);
bool kvmod_tsc_all_matched(struct kvmod_vm *vm);
void kvmod_clock_update_all(struct kvmod_vm *vm);

/* msr.c: guest MSRs, and checks both vendors make on writes */
int kvmod_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val, bool host);
int kvmod_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val, bool host);

bool kvmod_msr_canonical(u64 addr);
bool kvmod_pat_valid(u64 pat);
bool kvmod_efer_allowed(struct kvmod_vcpu *vcpu, u64 val);

#endif /* KVMOD_H */
