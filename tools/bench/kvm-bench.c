// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-bench: exit-path micro-benchmarks against any KVM device node.
 *
 * Each workload runs a small guest loop (guest.S, 32-bit protected mode,
 * flat, no paging) or a loop of ioctls, and is timed with CLOCK_MONOTONIC
 * around the loop.  A workload is run once to warm up, then --repeat times;
 * the result per run is nanoseconds per operation, and the report gives the
 * median, min and max over the runs.  Under `tools/testvm --icount` the test
 * VM's clock advances one nanosecond per emulated instruction, so these are
 * exact instruction counts.
 *
 * The 1 GiB workloads (touch-1g, dirty-log-1g) run once without a warm-up
 * (they are deterministic under -icount and take seconds of host time
 * each); --iterations does not change them.
 *
 * A workload the hypervisor cannot do (a capability it lacks, an ioctl it
 * rejects, an exit the workload does not expect, a wrong hypercall result,
 * a wrong dirty bitmap) is reported as "unsupported" with the reason,
 * never as a number.
 *
 * Only <linux/kvm.h> is used, so the same binary measures the in-tree KVM
 * and kvmod.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <linux/types.h>

#include "guest.h"

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define MAX_REPEAT		100
#define DEFAULT_REPEAT		7
#define DEFAULT_TIMEOUT		60
#define DEFAULT_FLOOR	"/sys/kernel/debug/kvmod/vmrun_floor"
#define KVM_ENOSYS_RESULT	((u32)-1000)	/* -KVM_ENOSYS */
#define PAGE_SIZE_4K		4096UL
/* The 1 GiB workloads: memslot 1 from TOUCH_GPA, one bit per 4 KiB page. */
#define BIG_SIZE		0x40000000UL
#define BIG_PAGES		(BIG_SIZE / PAGE_SIZE_4K)
/* What the touch loops write (EAX), checked in every page afterwards. */
#define TOUCH_VALUE		0x6b766d64

enum status {
	ST_OK,
	ST_UNSUPPORTED,		/* the hypervisor cannot do this (yet) */
	ST_NA,			/* not applicable here (floor of another) */
	ST_ERROR,		/* the benchmark itself failed */
};

static const char * const status_names[] = {
	[ST_OK]			= "ok",
	[ST_UNSUPPORTED]	= "unsupported",
	[ST_NA]			= "n/a",
	[ST_ERROR]		= "error",
};

struct options {
	const char *dev;
	const char *json;
	const char *only;
	const char *label;
	const char *floor;
	unsigned int repeat;
	unsigned long iterations;	/* 0: each workload's default */
	unsigned int timeout;		/* seconds per run */
	bool dither;			/* guest loops spin a random while */
	bool list;
};

struct vm {
	int fd;
	int vcpu_fd;
	struct kvm_run *run;
	int vcpu1_fd;			/* the ipi workload's second vCPU */
	struct kvm_run *run1;
	u8 *mem;
	bool irqchip;
};

struct waker;

/* State of one workload while it runs. */
struct bctx {
	const struct workload *w;
	enum status status;
	char reason[200];
	struct vm vm;
	bool have_vm;
	u8 *big;			/* dirty-log-1g*: memslot 1, BIG_SIZE */
	unsigned long *bitmap;		/* and KVM_GET_DIRTY_LOG's buffer */
	u32 eax;			/* the guest's EAX on entry */
	unsigned long user_exits;	/* exits to userspace, last run */
	struct waker *waker;
	int max_vcpus;
	double idle_ns;			/* timer-hlt: CPU idle per op, last run */
	int efd;			/* ioeventfd-*, irqfd: the eventfd */
};

struct workload {
	const char *name;
	const char *desc;
	unsigned long iterations;	/* default operations per run */
	/* optional: once before the runs (builds the VM) */
	int (*prepare)(struct bctx *c);
	/* one run of n operations: ns per operation */
	int (*run)(struct bctx *c, unsigned long n, double *ns);
	/* optional: after the runs, also after a failure */
	void (*finish)(struct bctx *c);
	const unsigned char *entry;	/* guest loop, if any */
	bool irqchip;			/* the VM needs an in-kernel irqchip */
	unsigned int vcpus;		/* 0 or 1: one vCPU; 2: two */
	bool idle;			/* record the CPU's idle time per op */
	bool no_halt_poll;		/* KVM_CAP_HALT_POLL 0 where supported */
	/* The heavy (1 GiB) workloads: */
	unsigned int max_runs;		/* at most this many runs (0: --repeat) */
	bool no_warmup;			/* no untimed first run */
	bool fixed;			/* --iterations does not apply */
	bool wall_marks;		/* "kvm-bench: timed" lines, see wall_mark() */
	bool reuses_dirty_vm;		/* takes the previous workload's VM */
	unsigned long pages_per_op;	/* 4 KiB pages one operation covers */
};

struct result {
	enum status status;
	char reason[200];
	unsigned long iterations;
	unsigned int runs;
	double ns[MAX_REPEAT];
	double median, min, max;
	unsigned long user_exits;
	double idle_ns[MAX_REPEAT];	/* workloads with .idle */
	double idle_median;
};

static struct options opt = {
	.dev = "/dev/kvm",
	.label = "kvm",
	.floor = DEFAULT_FLOOR,
	.repeat = DEFAULT_REPEAT,
	.timeout = DEFAULT_TIMEOUT,
};

static int sys_fd = -1;
static long run_size;
static bool intel;
static atomic_int timed_out;	/* set by SIGALRM */

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static int set_status(struct bctx *c, enum status st, const char *fmt,
		      va_list ap)
{
	if (c->status == ST_OK) {
		c->status = st;
		vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	}
	return -1;
}

/* The hypervisor cannot do it: report, return -1. */
static int unsupported(struct bctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(c, ST_UNSUPPORTED, fmt, ap);
	va_end(ap);
	return -1;
}

/* The benchmark failed: report, return -1. */
static int failed(struct bctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_status(c, ST_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

/* An ioctl failed: ENOTTY/EINVAL/EOPNOTSUPP mean the hypervisor lacks it. */
static int ioctl_failed(struct bctx *c, const char *what)
{
	int e = errno;

	if (e == ENOTTY || e == EINVAL || e == EOPNOTSUPP)
		return unsupported(c, "%s: %s", what, strerror(e));
	return failed(c, "%s: %s", what, strerror(e));
}

static const char *exit_name(unsigned int reason)
{
	static const char * const names[] = {
		[KVM_EXIT_UNKNOWN]		= "UNKNOWN",
		[KVM_EXIT_EXCEPTION]		= "EXCEPTION",
		[KVM_EXIT_IO]			= "IO",
		[KVM_EXIT_HYPERCALL]		= "HYPERCALL",
		[KVM_EXIT_DEBUG]		= "DEBUG",
		[KVM_EXIT_HLT]			= "HLT",
		[KVM_EXIT_MMIO]			= "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN]	= "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN]		= "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY]		= "FAIL_ENTRY",
		[KVM_EXIT_INTR]			= "INTR",
		[KVM_EXIT_SET_TPR]		= "SET_TPR",
		[KVM_EXIT_TPR_ACCESS]		= "TPR_ACCESS",
		[KVM_EXIT_NMI]			= "NMI",
		[KVM_EXIT_INTERNAL_ERROR]	= "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT]		= "SYSTEM_EVENT",
		[KVM_EXIT_X86_RDMSR]		= "X86_RDMSR",
		[KVM_EXIT_X86_WRMSR]		= "X86_WRMSR",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

/* An exit the workload did not ask for: the hypervisor cannot do it. */
static int unexpected_exit(struct bctx *c, struct kvm_run *run)
{
	struct kvm_regs regs;
	char where[40] = "";

	if (ioctl(c->vm.vcpu_fd, KVM_GET_REGS, &regs) == 0)
		snprintf(where, sizeof(where), " at rip 0x%llx",
			 (unsigned long long)regs.rip);

	switch (run->exit_reason) {
	case KVM_EXIT_INTERNAL_ERROR:
		return unsupported(c, "exit INTERNAL_ERROR (suberror %u)%s",
				   run->internal.suberror, where);
	case KVM_EXIT_IO:
		return unsupported(c, "exit IO port 0x%x%s", run->io.port,
				   where);
	case KVM_EXIT_MMIO:
		return unsupported(c, "exit MMIO at 0x%llx%s",
				   (unsigned long long)run->mmio.phys_addr,
				   where);
	case KVM_EXIT_FAIL_ENTRY:
		return unsupported(c, "exit FAIL_ENTRY (0x%llx)", (unsigned long long)
				   run->fail_entry.hardware_entry_failure_reason);
	default:
		return unsupported(c, "exit %s (%u)%s",
				   exit_name(run->exit_reason),
				   run->exit_reason, where);
	}
}

/* ------------------------------------------------------------------------
 * The VM: one 2 MiB memslot at GPA 0, one vCPU in flat protected mode.
 */

static void set_seg(struct kvm_segment *s, uint16_t sel, u8 type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

/* A 32-bit interrupt gate, DPL 0, to handler. */
static void set_gate(u8 *mem, unsigned int vector,
		     const unsigned char *handler)
{
	u32 *idt = (u32 *)(mem + GUEST_IDT);
	u32 off = GUEST_CODE + (handler - bench_guest_start);

	idt[vector * 2] = (GUEST_CS << 16) | (off & 0xffff);
	idt[vector * 2 + 1] = (off & 0xffff0000) | 0x8e00;
}

static void write_descriptors(u8 *mem)
{
	u64 *gdt = (u64 *)(mem + GUEST_GDT);

	gdt[0] = 0;
	gdt[GUEST_CS >> 3] = 0x00cf9b000000ffffULL;	/* code, 32-bit, flat */
	gdt[GUEST_DS >> 3] = 0x00cf93000000ffffULL;	/* data, flat */
	set_gate(mem, IRQ_VECTOR, g_irq_handler);
	set_gate(mem, IPI_VECTOR, g_ipi_handler);
}

static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->run1)
		munmap(vm->run1, run_size);
	if (vm->vcpu1_fd >= 0)
		close(vm->vcpu1_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->mem)
		munmap(vm->mem, GUEST_MEM_SIZE);
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
	vm->vcpu_fd = -1;
	vm->vcpu1_fd = -1;
}

/* vCPU id in flat 32-bit protected mode, its kvm_run mapped. */
static int vcpu_create(struct bctx *c, struct vm *vm, unsigned int id,
		       int *fd, struct kvm_run **run)
{
	struct kvm_sregs sregs;

	*fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (*fd < 0)
		return failed(c, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	*run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (*run == MAP_FAILED) {
		*run = NULL;
		return failed(c, "mmap kvm_run: %s", strerror(errno));
	}

	if (ioctl(*fd, KVM_GET_SREGS, &sregs) < 0)
		return failed(c, "KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&sregs.cs, GUEST_CS, 0xb);
	set_seg(&sregs.ds, GUEST_DS, 0x3);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.gdt.base = GUEST_GDT;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = GUEST_IDT;
	sregs.idt.limit = 256 * 8 - 1;
	sregs.cr0 = 0x11;	/* PE, ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(*fd, KVM_SET_SREGS, &sregs) < 0)
		return failed(c, "KVM_SET_SREGS: %s", strerror(errno));
	return 0;
}

static int vm_create(struct bctx *c, struct vm *vm, bool irqchip,
		     unsigned int vcpus)
{
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	size_t len = bench_guest_end - bench_guest_start;

	memset(vm, 0, sizeof(*vm));
	vm->vcpu_fd = -1;
	vm->vcpu1_fd = -1;
	vm->fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return failed(c, "KVM_CREATE_VM: %s", strerror(errno));

	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return failed(c, "mmap guest memory: %s", strerror(errno));
	}
	if (len > GUEST_CODE_END - GUEST_CODE)
		return failed(c, "guest image too large (%zu bytes)", len);
	memcpy(vm->mem + GUEST_CODE, bench_guest_start, len);
	write_descriptors(vm->mem);

	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return failed(c, "KVM_SET_USER_MEMORY_REGION: %s",
			      strerror(errno));

	if (irqchip) {
		if (ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
			return unsupported(c, "no KVM_CAP_IRQCHIP");
		if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
			return ioctl_failed(c, "KVM_CREATE_IRQCHIP");
		vm->irqchip = true;
	}

	if (vcpu_create(c, vm, 0, &vm->vcpu_fd, &vm->run))
		return -1;
	if (vcpus < 2)
		return 0;
	if (vcpu_create(c, vm, 1, &vm->vcpu1_fd, &vm->run1))
		return -1;
	/*
	 * With an in-kernel irqchip an AP waits for INIT/SIPI: start it in
	 * protected mode right away instead.
	 */
	if (ioctl(vm->vcpu1_fd, KVM_SET_MP_STATE, &mp) < 0)
		return ioctl_failed(c, "KVM_SET_MP_STATE (vCPU 1)");
	return 0;
}

static int set_entry_on(struct bctx *c, int vcpu_fd, u32 esp,
			const unsigned char *entry, unsigned long n, u32 edi)
{
	struct kvm_regs regs = { 0 };

	regs.rip = GUEST_CODE + (entry - bench_guest_start);
	regs.rsi = n;
	regs.rdx = BENCH_PORT;
	regs.rdi = edi;
	regs.rax = c->eax;
	regs.rsp = esp;
	regs.rbp = opt.dither ? 0x2545f491 : 0;	/* DITHER seed in guest.S */
	regs.rflags = 0x2;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return failed(c, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

static int set_entry(struct bctx *c, const unsigned char *entry,
		     unsigned long n, u32 edi)
{
	return set_entry_on(c, c->vm.vcpu_fd, GUEST_STACK, entry, n, edi);
}

/*
 * Finish the pending OUT to DONE_PORT before the next KVM_SET_REGS: an
 * exit to userspace is complete only once KVM_RUN is entered again (the
 * KVM API), here with immediate_exit so that no guest code runs.
 */
static int complete_exit(struct bctx *c)
{
	int r;

	c->vm.run->immediate_exit = 1;
	r = ioctl(c->vm.vcpu_fd, KVM_RUN, 0);
	c->vm.run->immediate_exit = 0;
	if (r == 0)
		return unexpected_exit(c, c->vm.run);
	if (errno != EINTR)
		return ioctl_failed(c, "KVM_RUN with immediate_exit");
	return 0;
}

/*
 * Run the guest from entry until it reports DONE_PORT, answering the exits
 * the loops make (IO on BENCH_PORT, MMIO at MMIO_GPA, HLT).  Only the
 * KVM_RUN loop is timed.
 */
static int guest_loop(struct bctx *c, const unsigned char *entry,
		      unsigned long n, u32 edi, double *ns)
{
	struct kvm_run *run = c->vm.run;
	unsigned long exits = 0;
	u64 t0, t1;

	if (set_entry(c, entry, n, edi))
		return -1;
	t0 = now_ns();
	for (;;) {
		if (ioctl(c->vm.vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && timed_out)
				return failed(c, "timed out after %u s",
					      opt.timeout);
			if (errno == EINTR)
				continue;
			return ioctl_failed(c, "KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (run->io.port == DONE_PORT)
				goto done;
			if (run->io.port != BENCH_PORT)
				return unexpected_exit(c, run);
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset((u8 *)run + run->io.data_offset, 0,
				       run->io.size * run->io.count);
			break;
		case KVM_EXIT_MMIO:
			if (run->mmio.phys_addr != MMIO_GPA)
				return unexpected_exit(c, run);
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			if (entry != g_hlt)
				return unexpected_exit(c, run);
			break;
		default:
			return unexpected_exit(c, run);
		}
		exits++;
	}
done:
	t1 = now_ns();
	c->user_exits = exits;
	*ns = (double)(t1 - t0) / n;
	return complete_exit(c);
}

static int prepare_vm(struct bctx *c)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL };

	c->have_vm = true;
	if (vm_create(c, &c->vm, c->w->irqchip, c->w->vcpus))
		return -1;
	/*
	 * A halted vCPU of in-tree KVM polls for up to halt_poll_ns (200 us)
	 * before it sleeps: where that would only burn the wait for a timer
	 * as instructions, turn it off for the VM (kvmod does not poll).
	 */
	if (c->w->no_halt_poll &&
	    ioctl(c->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) > 0 &&
	    ioctl(c->vm.fd, KVM_ENABLE_CAP, &cap) < 0)
		return failed(c, "KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, 0): %s",
			      strerror(errno));
	return 0;
}

static void finish_vm(struct bctx *c)
{
	if (c->have_vm)
		vm_destroy(&c->vm);
	c->have_vm = false;
}

/* A guest loop that must not exit to userspace before it is done. */
static int run_in_kernel(struct bctx *c, unsigned long n, double *ns)
{
	if (guest_loop(c, c->w->entry, n, 0, ns))
		return -1;
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu ops",
				   c->user_exits, n);
	return 0;
}

/* A guest loop with one exit to userspace per operation. */
static int run_user_exit(struct bctx *c, unsigned long n, double *ns)
{
	if (guest_loop(c, c->w->entry, n, MMIO_GPA, ns))
		return -1;
	if (c->user_exits != n)
		return unsupported(c, "%lu exits to userspace for %lu ops",
				   c->user_exits, n);
	return 0;
}

static int run_hypercall(struct bctx *c, unsigned long n, double *ns)
{
	struct kvm_regs regs;

	if (guest_loop(c, intel ? g_vmcall : g_vmmcall, n, 0, ns))
		return -1;
	if (ioctl(c->vm.vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return failed(c, "KVM_GET_REGS: %s", strerror(errno));
	if ((u32)regs.rax != KVM_ENOSYS_RESULT)
		return unsupported(c, "hypercall returned 0x%x, not -KVM_ENOSYS",
				   (u32)regs.rax);
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu ops",
				   c->user_exits, n);
	return 0;
}

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

/*
 * kvmclock-read: the vCPU's kvmclock registered at PVCLOCK_GPA (by the
 * VMM, as a guest's first WRMSR would), then the guest reads it, no exit.
 */
static int run_kvmclock_read(struct bctx *c, unsigned long n, double *ns)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1 };
	u32 version;

	m.e.index = MSR_KVM_SYSTEM_TIME_NEW;
	m.e.data = PVCLOCK_GPA | 1;
	if (ioctl(c->vm.vcpu_fd, KVM_SET_MSRS, &m) != 1)
		return unsupported(c, "no kvmclock (MSR_KVM_SYSTEM_TIME_NEW)");
	if (guest_loop(c, g_kvmclock_read, n, 0, ns))
		return -1;
	memcpy(&version, c->vm.mem + PVCLOCK_GPA + PVCLOCK_VERSION,
	       sizeof(version));
	if (!version || (version & 1))
		return unsupported(c, "pvclock version %u after the run", version);
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu ops",
				   c->user_exits, n);
	return 0;
}

/*
 * Around the timed part of each run of a workload with .wall_marks, so
 * that tools/bench/bench, which timestamps these lines on the host, can
 * leave the untimed setup out of the workload's wall time.
 */
static void wall_mark(struct bctx *c, const char *what)
{
	if (c->w->wall_marks)
		say("kvm-bench: timed %s %s\n", c->w->name, what);
}

/* Anonymous memory nobody touched yet, in 4 KiB pages only. */
static u8 *fresh_mem(struct bctx *c, size_t len)
{
	void *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		failed(c, "mmap %zu bytes: %s", len, strerror(errno));
		return NULL;
	}
	/* One fault per 4 KiB page, for both hypervisors. */
	if (madvise(mem, len, MADV_NOHUGEPAGE)) {
		failed(c, "MADV_NOHUGEPAGE: %s", strerror(errno));
		munmap(mem, len);
		return NULL;
	}
	return mem;
}

/* Memslot 1 at TOUCH_GPA: len bytes at mem, or none when len is 0. */
static int set_slot1(struct bctx *c, void *mem, size_t len, u32 flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.flags = flags,
		.guest_phys_addr = TOUCH_GPA,
		.memory_size = len,
		.userspace_addr = (uintptr_t)mem,
	};

	if (!ioctl(c->vm.fd, KVM_SET_USER_MEMORY_REGION, &region))
		return 0;
	if (!len)
		return failed(c, "deleting memslot 1: %s", strerror(errno));
	if (flags && errno == EINVAL)
		return unsupported(c, "memslot flags 0x%x: %s", flags,
				   strerror(errno));
	return failed(c, "KVM_SET_USER_MEMORY_REGION, %zu bytes: %s", len,
		      strerror(errno));
}

/*
 * The guest writes TOUCH_VALUE to each of the first n pages of memslot 1,
 * without exits to userspace; *ns per page.
 */
static int touch_pages(struct bctx *c, unsigned long n, double *ns)
{
	int r;

	c->eax = TOUCH_VALUE;
	r = guest_loop(c, g_touch, n, TOUCH_GPA, ns);
	c->eax = 0;
	if (r)
		return -1;
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu pages",
				   c->user_exits, n);
	return 0;
}

/* Every page the guest touched holds what it wrote (not timed). */
static int check_touched(struct bctx *c, const u8 *mem, unsigned long n)
{
	unsigned long i;
	u32 v;

	for (i = 0; i < n; i++) {
		memcpy(&v, mem + i * PAGE_SIZE_4K, sizeof(v));
		if (v != TOUCH_VALUE)
			return unsupported(c, "page %lu of %lu holds 0x%x, the guest wrote 0x%x",
					   i, n, v, TOUCH_VALUE);
	}
	return 0;
}

/* Fresh, never touched memory in memslot 1 for every run. */
static int run_first_touch(struct bctx *c, unsigned long n, double *ns)
{
	size_t len = n * PAGE_SIZE_4K;
	u8 *mem;
	int r;

	mem = fresh_mem(c, len);
	if (!mem)
		return -1;
	r = set_slot1(c, mem, len, 0);
	if (r)
		goto out;
	wall_mark(c, "begin");
	r = touch_pages(c, n, ns);
	wall_mark(c, "end");
	if (!r)
		r = check_touched(c, mem, n);
	if (set_slot1(c, NULL, 0, 0))
		r = -1;
out:
	munmap(mem, len);
	return r;
}

/* ------------------------------------------------------------------------
 * KVM_GET_DIRTY_LOG over a 1 GiB memslot.  dirty-log-1g hands its VM, all
 * pages collected, to dirty-log-1g-clean when that runs next (kept_dirty),
 * so that 1 GiB is written only once; otherwise each builds its own.
 */

struct dirty_vm {
	struct vm vm;
	u8 *mem;
	unsigned long *bitmap;
};

static struct dirty_vm kept_dirty;

static void dirty_vm_free(struct dirty_vm *d)
{
	/* The VM first: it holds references to the pages. */
	if (d->vm.fd > 0)
		vm_destroy(&d->vm);
	if (d->mem)
		munmap(d->mem, BIG_SIZE);
	free(d->bitmap);
	memset(d, 0, sizeof(*d));
}

/* One KVM_GET_DIRTY_LOG of memslot 1 into c->bitmap. */
static int get_dirty_log(struct bctx *c)
{
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = c->bitmap };

	if (ioctl(c->vm.fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return ioctl_failed(c, "KVM_GET_DIRTY_LOG");
	return 0;
}

/*
 * The last KVM_GET_DIRTY_LOG said dirty exactly: every page (all), or
 * the nr pages in pages[] (none when nr is 0).
 */
static int check_bitmap(struct bctx *c, bool all, const unsigned long *pages,
			unsigned int nr)
{
	const unsigned long bits = 8 * sizeof(long);
	unsigned long i, want, bad, set = 0, wrong = BIG_PAGES;
	unsigned int j;

	for (i = 0; i < BIG_PAGES / bits; i++) {
		want = all ? ~0UL : 0;
		for (j = 0; j < nr; j++)
			if (pages[j] / bits == i)
				want |= 1UL << (pages[j] % bits);
		set += __builtin_popcountl(c->bitmap[i]);
		bad = c->bitmap[i] ^ want;
		if (bad && wrong == BIG_PAGES)
			wrong = i * bits + __builtin_ctzl(bad);
	}
	if (wrong == BIG_PAGES)
		return 0;
	return unsupported(c, "GET_DIRTY_LOG: %lu of %lu pages dirty, not %lu; first wrong: %lu",
			   set, BIG_PAGES, all ? BIG_PAGES : nr, wrong);
}

/*
 * After a collection: guest writes to a few pages fault again (they were
 * write-protected), and the next KVM_GET_DIRTY_LOG names exactly those.
 */
static int check_protected(struct bctx *c)
{
	static const unsigned long pages[] = { 0, 1, 64, 12345, BIG_PAGES - 1 };
	unsigned int i;
	double ns;

	for (i = 0; i < ARRAY_SIZE(pages); i++)
		if (guest_loop(c, g_touch, 1, TOUCH_GPA + pages[i] * PAGE_SIZE_4K,
			       &ns))
			return -1;
	if (get_dirty_log(c))
		return -1;
	return check_bitmap(c, false, pages, ARRAY_SIZE(pages));
}

/*
 * A VM whose memslot 1 is 1 GiB of fresh memory logging dirty pages.  For
 * dirty-log-1g-clean also with every page written and collected, unless
 * dirty-log-1g left such a VM behind.
 */
static int prepare_dirty(struct bctx *c)
{
	double ns;

	if (c->w->reuses_dirty_vm && kept_dirty.mem) {
		c->vm = kept_dirty.vm;
		c->have_vm = true;
		c->big = kept_dirty.mem;
		c->bitmap = kept_dirty.bitmap;
		memset(&kept_dirty, 0, sizeof(kept_dirty));
		return 0;
	}
	if (prepare_vm(c))
		return -1;
	c->bitmap = calloc(BIG_PAGES / 8, 1);
	if (!c->bitmap)
		return failed(c, "out of memory");
	c->big = fresh_mem(c, BIG_SIZE);
	if (!c->big)
		return -1;
	if (set_slot1(c, c->big, BIG_SIZE, KVM_MEM_LOG_DIRTY_PAGES))
		return -1;
	if (!c->w->reuses_dirty_vm)
		return 0;
	if (touch_pages(c, BIG_PAGES, &ns) || get_dirty_log(c) ||
	    check_bitmap(c, true, NULL, 0))
		return -1;
	return check_protected(c);
}

/*
 * The guest writes every page (not timed; the first time these are first
 * touches, later write-protection faults), then one timed
 * KVM_GET_DIRTY_LOG returns all 262144 bits and write-protects the pages
 * (checked after, not timed).
 */
static int run_dirty_log(struct bctx *c, unsigned long n, double *ns)
{
	double touch_ns;
	u64 t0, t1;

	if (n != 1)
		return failed(c, "one KVM_GET_DIRTY_LOG per run, not %lu", n);
	if (touch_pages(c, BIG_PAGES, &touch_ns) ||
	    check_touched(c, c->big, BIG_PAGES))
		return -1;
	wall_mark(c, "begin");
	t0 = now_ns();
	if (get_dirty_log(c))
		return -1;
	t1 = now_ns();
	wall_mark(c, "end");
	*ns = (double)(t1 - t0);
	if (check_bitmap(c, true, NULL, 0))
		return -1;
	return check_protected(c);
}

/* n KVM_GET_DIRTY_LOG calls with no page dirty. */
static int run_dirty_log_clean(struct bctx *c, unsigned long n, double *ns)
{
	unsigned long i;
	u64 t0, t1;

	wall_mark(c, "begin");
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (get_dirty_log(c))
			return -1;
	t1 = now_ns();
	wall_mark(c, "end");
	*ns = (double)(t1 - t0) / n;
	return check_bitmap(c, false, NULL, 0);
}

/* Keep a good dirty-log-1g VM for dirty-log-1g-clean, free it otherwise. */
static void finish_dirty(struct bctx *c)
{
	struct dirty_vm d = { .vm = c->vm, .mem = c->big, .bitmap = c->bitmap };

	c->have_vm = false;
	c->big = NULL;
	c->bitmap = NULL;
	if (c->status == ST_OK && !c->w->reuses_dirty_vm)
		kept_dirty = d;
	else
		dirty_vm_free(&d);
}

static int run_vm_create(struct bctx *c, unsigned long n, double *ns)
{
	u64 t0, t1;
	unsigned long i;
	int fd;

	t0 = now_ns();
	for (i = 0; i < n; i++) {
		fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
		if (fd < 0)
			return failed(c, "KVM_CREATE_VM: %s", strerror(errno));
		close(fd);
	}
	t1 = now_ns();
	*ns = (double)(t1 - t0) / n;
	return 0;
}

static int run_vcpu_create(struct bctx *c, unsigned long n, double *ns)
{
	int fds[256];
	u64 t0, t1;
	unsigned long i, made = 0;
	int vm_fd, r = 0;

	if (n > ARRAY_SIZE(fds) || n > (unsigned long)c->max_vcpus)
		return failed(c, "%lu vCPUs per VM: more than %d allowed", n,
			      c->max_vcpus);
	vm_fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
		return failed(c, "KVM_CREATE_VM: %s", strerror(errno));
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		fds[i] = ioctl(vm_fd, KVM_CREATE_VCPU, i);
		if (fds[i] < 0) {
			r = failed(c, "KVM_CREATE_VCPU %lu: %s", i,
				   strerror(errno));
			break;
		}
		made++;
	}
	t1 = now_ns();
	for (i = 0; i < made; i++)
		close(fds[i]);
	close(vm_fd);
	if (!r)
		*ns = (double)(t1 - t0) / n;
	return r;
}

static int prepare_vcpu_create(struct bctx *c)
{
	long max = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	c->max_vcpus = max > 0 ? max : 1;
	return 0;
}

/* kvmod's bare VMRUN/#VMEXIT loop, in the kernel (debugfs). */
static int run_floor(struct bctx *c, unsigned long n, double *ns)
{
	unsigned long long iters, total;
	char line[160];
	ssize_t len;
	int fd;

	fd = open(opt.floor, O_WRONLY);
	if (fd < 0) {
		if (errno == ENOENT) {
			c->status = ST_NA;
			snprintf(c->reason, sizeof(c->reason), "no %s",
				 opt.floor);
			return -1;
		}
		return failed(c, "%s: %s", opt.floor, strerror(errno));
	}
	len = dprintf(fd, "%lu\n", n);
	close(fd);
	if (len < 0)
		return failed(c, "writing %s: %s", opt.floor, strerror(errno));
	fd = open(opt.floor, O_RDONLY);
	if (fd < 0)
		return failed(c, "%s: %s", opt.floor, strerror(errno));
	len = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (len <= 0)
		return failed(c, "reading %s: %s", opt.floor,
			      len ? strerror(errno) : "empty");
	line[len] = 0;
	if (sscanf(line, "iterations %llu ns_total %llu", &iters, &total) != 2 ||
	    iters != n)
		return failed(c, "%s says '%.60s'", opt.floor, line);
	*ns = (double)total / n;
	return 0;
}

/* ------------------------------------------------------------------------
 * Halted vCPUs with an in-kernel irqchip: a second thread runs the vCPU.
 */

struct waker {
	pthread_t thread;
	atomic_int tid;
	atomic_int in_run;	/* 1 from just before KVM_RUN to its return */
	atomic_int stop;
	atomic_int err;		/* errno, or -1 - exit reason, of a bad return */
	u64 t_return;		/* CLOCK_MONOTONIC of the last return */
	int efd;		/* one count per return */
	struct bctx *c;
	int vcpu_fd;		/* the vCPU the thread runs */
	struct kvm_run *run;
};

static void kick_handler(int sig)
{
	(void)sig;
}

static void *vcpu_thread(void *arg)
{
	struct waker *wk = arg;
	struct kvm_run *run = wk->run;
	u64 one = 1;
	int r;

	atomic_store(&wk->tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&wk->stop)) {
		atomic_store(&wk->in_run, 1);
		r = ioctl(wk->vcpu_fd, KVM_RUN, 0);
		wk->t_return = now_ns();
		atomic_store(&wk->in_run, 0);
		if (r < 0 && errno != EINTR)
			atomic_store(&wk->err, errno);
		else if (r == 0 && run->exit_reason != KVM_EXIT_INTR)
			atomic_store(&wk->err, -1 - (int)run->exit_reason);
		if (write(wk->efd, &one, sizeof(one)) < 0)
			atomic_store(&wk->err, errno);
		if (atomic_load(&wk->err))
			break;
	}
	return NULL;
}

static int waker_error(struct bctx *c, struct waker *wk)
{
	int e = atomic_load(&wk->err);

	if (e > 0) {
		errno = e;
		return ioctl_failed(c, "KVM_RUN");
	}
	if (wk->vcpu_fd != c->vm.vcpu_fd)
		return unsupported(c, "vCPU 1: exit %s (%u)",
				   exit_name(wk->run->exit_reason),
				   wk->run->exit_reason);
	return unexpected_exit(c, wk->run);
}

/* The state letter of the vCPU thread from /proc (S: sleeping). */
static char thread_state(int tid)
{
	char path[64], buf[256], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return '?';
	buf[len] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait until the vCPU thread sleeps inside KVM_RUN (the guest halted). */
static int wait_halted(struct bctx *c, struct waker *wk)
{
	u64 limit = now_ns() + opt.timeout * 1000000000ULL;

	for (;;) {
		if (atomic_load(&wk->err))
			return waker_error(c, wk);
		if (atomic_load(&wk->in_run) && atomic_load(&wk->tid) &&
		    thread_state(atomic_load(&wk->tid)) == 'S')
			return 0;
		if (now_ns() > limit || timed_out)
			return failed(c, "the vCPU did not halt within %u s",
				      opt.timeout);
		sched_yield();
	}
}

/*
 * A thread that runs vcpu_fd from entry (stack at esp) and waits until
 * the guest has halted in the kernel.
 */
static int start_waker(struct bctx *c, int vcpu_fd, struct kvm_run *run,
		       u32 esp, const unsigned char *entry)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	struct waker *wk;
	sigset_t block, old;
	int r;

	if (set_entry_on(c, vcpu_fd, esp, entry, 1, 0))
		return -1;

	wk = calloc(1, sizeof(*wk));
	if (!wk)
		return failed(c, "out of memory");
	wk->c = c;
	wk->vcpu_fd = vcpu_fd;
	wk->run = run;
	wk->efd = eventfd(0, 0);
	if (wk->efd < 0) {
		free(wk);
		return failed(c, "eventfd: %s", strerror(errno));
	}
	sigaction(SIGUSR1, &sa, NULL);
	/* Timeouts (SIGALRM) belong to the main thread. */
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = pthread_create(&wk->thread, NULL, vcpu_thread, wk);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		close(wk->efd);
		free(wk);
		return failed(c, "pthread_create: %s", strerror(r));
	}
	c->waker = wk;
	return wait_halted(c, wk);
}

static int prepare_waker(struct bctx *c)
{
	if (prepare_vm(c))
		return -1;
	if (c->w->entry == g_irq_wait &&
	    ioctl(c->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0)
		return unsupported(c, "no KVM_CAP_SIGNAL_MSI");
	return start_waker(c, c->vm.vcpu_fd, c->vm.run, GUEST_STACK,
			   c->w->entry);
}

/* ipi: vCPU 1 in a thread, halted in g_ipi_pong; vCPU 0 is the caller's. */
static int prepare_ipi(struct bctx *c)
{
	if (prepare_vm(c))
		return -1;
	return start_waker(c, c->vm.vcpu1_fd, c->vm.run1, GUEST_STACK1,
			   g_ipi_pong);
}

static void finish_waker(struct bctx *c)
{
	struct waker *wk = c->waker;
	struct timespec ts;

	if (wk) {
		atomic_store(&wk->stop, 1);
		/* Kick until the thread has seen stop and left. */
		do {
			pthread_kill(wk->thread, SIGUSR1);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
		} while (pthread_timedjoin_np(wk->thread, NULL, &ts) == ETIMEDOUT);
		close(wk->efd);
		free(wk);
		c->waker = NULL;
	}
	finish_vm(c);
}

/*
 * pthread_kill() of a vCPU thread halted in the kernel to its KVM_RUN
 * returning EINTR, as seen by that thread.
 */
static int run_hlt_signal(struct bctx *c, unsigned long n, double *ns)
{
	struct waker *wk = c->waker;
	u64 sum = 0, t0, cnt;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (wait_halted(c, wk))
			return -1;
		t0 = now_ns();
		pthread_kill(wk->thread, SIGUSR1);
		if (read(wk->efd, &cnt, sizeof(cnt)) != sizeof(cnt))
			return failed(c, "eventfd read: %s", strerror(errno));
		if (atomic_load(&wk->err))
			return waker_error(c, wk);
		sum += wk->t_return - t0;
	}
	*ns = (double)sum / n;
	return 0;
}

/* Interrupts the guest's handler has counted. */
static u32 guest_counter(struct bctx *c)
{
	return __atomic_load_n((u32 *)(c->vm.mem + GUEST_COUNTER),
			       __ATOMIC_ACQUIRE);
}

/* One interrupt for the halted guest of hlt-irq or irqfd. */
static int send_msi(struct bctx *c)
{
	struct kvm_msi msi = {
		.address_lo = APIC_BASE,	/* physical, APIC ID 0 */
		.data = IRQ_VECTOR,		/* fixed, edge */
	};
	int r = ioctl(c->vm.fd, KVM_SIGNAL_MSI, &msi);

	if (r < 0)
		return ioctl_failed(c, "KVM_SIGNAL_MSI");
	if (r == 0)
		return unsupported(c, "KVM_SIGNAL_MSI: not delivered");
	return 0;
}

static int send_irqfd(struct bctx *c)
{
	u64 one = 1;

	if (write(c->efd, &one, sizeof(one)) != sizeof(one))
		return failed(c, "eventfd write: %s", strerror(errno));
	return 0;
}

/*
 * An interrupt (send) to a halted vCPU until the guest's handler has
 * counted it (the guest EOIs and halts again right after).
 */
static int irq_round_trips(struct bctx *c, unsigned long n, double *ns,
			   int (*send)(struct bctx *c))
{
	struct waker *wk = c->waker;
	u64 sum = 0, t0;
	unsigned long i;
	u32 start;

	for (i = 0; i < n; i++) {
		if (wait_halted(c, wk))
			return -1;
		start = guest_counter(c);
		t0 = now_ns();
		if (send(c))
			return -1;
		while (guest_counter(c) == start) {
			if (atomic_load(&wk->err))
				return waker_error(c, wk);
			if (timed_out)
				return failed(c, "no interrupt within %u s",
					      opt.timeout);
			sched_yield();
		}
		sum += now_ns() - t0;
	}
	*ns = (double)sum / n;
	return 0;
}

static int run_hlt_irq(struct bctx *c, unsigned long n, double *ns)
{
	return irq_round_trips(c, n, ns, send_msi);
}

static int run_irqfd(struct bctx *c, unsigned long n, double *ns)
{
	return irq_round_trips(c, n, ns, send_irqfd);
}

/*
 * IPI round trips: vCPU 0 (this thread) sends IPI_VECTOR to vCPU 1 and
 * halts until vCPU 1's handler has answered with IRQ_VECTOR.  vCPU 1's
 * thread stays in KVM_RUN.
 */
static int run_ipi(struct bctx *c, unsigned long n, double *ns)
{
	struct waker *wk = c->waker;
	u32 start = guest_counter(c);

	if (run_in_kernel(c, n, ns)) {
		/* vCPU 0 waits in vain when vCPU 1 failed: say why. */
		if (atomic_load(&wk->err)) {
			c->status = ST_OK;
			waker_error(c, wk);
		}
		return -1;
	}
	if (atomic_load(&wk->err))
		return waker_error(c, wk);
	if (guest_counter(c) - start != n)
		return unsupported(c, "%u answers counted for %lu IPIs",
				   guest_counter(c) - start, n);
	return 0;
}

/*
 * Idle time of the CPUs in ns: the sum of the tick's idle_sleeptime in
 * /proc/timer_list (updated whenever a CPU leaves idle; the caller's CPU
 * is not idle while it reads).  -1 if not available.
 */
static double idle_ns(void)
{
	char line[256];
	unsigned long long v;
	double sum = 0;
	bool found = false;
	FILE *f;

	f = fopen("/proc/timer_list", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " .idle_sleeptime : %llu nsecs", &v) == 1) {
			sum += v;
			found = true;
		}
	fclose(f);
	return found ? sum : -1;
}

/*
 * One-shot LAPIC timer of TIMER_HLT_NS to a halted vCPU.  The vCPU sleeps
 * until the timer fires and the one CPU of the test VM idles meanwhile;
 * under -icount idle time is not instructions, so with one CPU online the
 * result is elapsed minus idle time, per operation (the idle time goes to
 * c->idle_ns).
 */
#define TIMER_HLT_NS	20000
static int run_timer_hlt(struct bctx *c, unsigned long n, double *ns)
{
	u32 start = guest_counter(c);
	double i0, i1;

	i0 = idle_ns();
	if (i0 < 0)
		return failed(c, "no idle_sleeptime in /proc/timer_list");
	if (guest_loop(c, c->w->entry, n, TIMER_HLT_NS, ns))
		return -1;
	i1 = idle_ns();
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu ops",
				   c->user_exits, n);
	if (guest_counter(c) - start != n)
		return unsupported(c, "%u interrupts counted for %lu timers",
				   guest_counter(c) - start, n);
	/* Each operation waits for at least the timer's period. */
	if (*ns < TIMER_HLT_NS)
		return unsupported(c, "%.0f ns per op: timer shorter than %d ns",
				   *ns, TIMER_HLT_NS);
	c->idle_ns = (i1 - i0) / n;
	if (sysconf(_SC_NPROCESSORS_ONLN) == 1)
		*ns -= c->idle_ns;
	return 0;
}

/* ------------------------------------------------------------------------
 * Eventfds: guest writes that signal an ioeventfd in the kernel, and an
 * irqfd that interrupts a halted guest.
 */

/*
 * ioeventfd-pio and ioeventfd-mmio: the guest's OUT to BENCH_PORT or
 * store to MMIO_GPA signals an eventfd, with no exit to userspace.
 */
static int prepare_ioeventfd(struct bctx *c)
{
	bool pio = c->w->entry == g_pio_out;
	struct kvm_ioeventfd io = {
		.addr = pio ? BENCH_PORT : MMIO_GPA,
		.len = pio ? 1 : 4,
		.flags = pio ? KVM_IOEVENTFD_FLAG_PIO : 0,
	};

	if (prepare_vm(c))
		return -1;
	if (ioctl(c->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0)
		return unsupported(c, "no KVM_CAP_IOEVENTFD");
	c->efd = eventfd(0, EFD_NONBLOCK);
	if (c->efd < 0)
		return failed(c, "eventfd: %s", strerror(errno));
	io.fd = c->efd;
	if (ioctl(c->vm.fd, KVM_IOEVENTFD, &io) < 0)
		return ioctl_failed(c, "KVM_IOEVENTFD");
	return 0;
}

/* The eventfd's count since the last call (0 when not signalled). */
static int eventfd_take(struct bctx *c, u64 *count)
{
	*count = 0;
	if (read(c->efd, count, sizeof(*count)) == sizeof(*count) ||
	    errno == EAGAIN)
		return 0;
	return failed(c, "eventfd read: %s", strerror(errno));
}

static int run_ioeventfd(struct bctx *c, unsigned long n, double *ns)
{
	u64 count;

	if (eventfd_take(c, &count))
		return -1;
	if (guest_loop(c, c->w->entry, n, MMIO_GPA, ns))
		return -1;
	if (c->user_exits)
		return unsupported(c, "%lu exits to userspace for %lu writes",
				   c->user_exits, n);
	if (eventfd_take(c, &count))
		return -1;
	if (count != n)
		return unsupported(c, "eventfd signalled %llu times for %lu writes",
				   (unsigned long long)count, n);
	return 0;
}

static void finish_eventfd(struct bctx *c)
{
	if (c->waker)
		finish_waker(c);
	else
		finish_vm(c);
	if (c->efd >= 0)
		close(c->efd);
	c->efd = -1;
}

/*
 * irqfd: BENCH_GSI routed to an MSI for APIC ID 0 with IRQ_VECTOR, an
 * irqfd on it, and the guest halted in g_irq_wait.
 */
static int prepare_irqfd(struct bctx *c)
{
	struct kvm_irq_routing *table;
	struct kvm_irqfd irqfd = { .gsi = BENCH_GSI };
	int r;

	if (prepare_vm(c))
		return -1;
	if (ioctl(c->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		return unsupported(c, "no KVM_CAP_IRQFD");
	if (ioctl(c->vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0)
		return unsupported(c, "no KVM_CAP_IRQ_ROUTING");
	table = calloc(1, sizeof(*table) + sizeof(table->entries[0]));
	if (!table)
		return failed(c, "out of memory");
	table->nr = 1;
	table->entries[0].gsi = BENCH_GSI;
	table->entries[0].type = KVM_IRQ_ROUTING_MSI;
	table->entries[0].u.msi.address_lo = APIC_BASE;	/* APIC ID 0 */
	table->entries[0].u.msi.data = IRQ_VECTOR;	/* fixed, edge */
	r = ioctl(c->vm.fd, KVM_SET_GSI_ROUTING, table);
	free(table);
	if (r < 0)
		return ioctl_failed(c, "KVM_SET_GSI_ROUTING");
	c->efd = eventfd(0, 0);
	if (c->efd < 0)
		return failed(c, "eventfd: %s", strerror(errno));
	irqfd.fd = c->efd;
	if (ioctl(c->vm.fd, KVM_IRQFD, &irqfd) < 0)
		return ioctl_failed(c, "KVM_IRQFD");
	return start_waker(c, c->vm.vcpu_fd, c->vm.run, GUEST_STACK,
			   g_irq_wait);
}

/* ------------------------------------------------------------------------
 * The workloads, in table order.
 */

#define GUEST_LOOP(fn, e)	\
	.prepare = prepare_vm, .run = fn, .finish = finish_vm, .entry = e
#define HALTED(fn, e)		\
	.prepare = prepare_waker, .run = fn, .finish = finish_waker, \
	.entry = e, .irqchip = true
/* 1 GiB and deterministic under -icount: one run, no warm-up. */
#define HEAVY			\
	.max_runs = 1, .no_warmup = true, .fixed = true, .wall_marks = true

static const struct workload workloads[] = {
	{ "cpuid", "CPUID leaf 0, handled in the kernel", 5000,
	  GUEST_LOOP(run_in_kernel, g_cpuid) },
	{ "hypercall", "VMMCALL/VMCALL, unknown nr (-KVM_ENOSYS), in the kernel",
	  5000, GUEST_LOOP(run_hypercall, NULL) },
	{ "kvmclock-read", "guest reads kvmclock (pvclock), no exit", 5000,
	  GUEST_LOOP(run_kvmclock_read, NULL) },
	{ "pio-out", "1-byte OUT, exit to userspace", 5000,
	  GUEST_LOOP(run_user_exit, g_pio_out) },
	{ "pio-in", "1-byte IN, exit to userspace", 5000,
	  GUEST_LOOP(run_user_exit, g_pio_in) },
	{ "mmio-write", "4-byte store, no memslot: exit to userspace", 2000,
	  GUEST_LOOP(run_user_exit, g_mmio_write) },
	{ "mmio-read", "4-byte load, no memslot: exit to userspace", 2000,
	  GUEST_LOOP(run_user_exit, g_mmio_read) },
	{ "hlt-user", "HLT, userspace irqchip: KVM_EXIT_HLT and re-enter", 5000,
	  GUEST_LOOP(run_user_exit, g_hlt) },
	{ "hlt-signal", "halted in the kernel (irqchip), woken by a signal", 500,
	  HALTED(run_hlt_signal, g_halt_forever) },
	{ "hlt-irq", "halted in the kernel (irqchip), woken by an MSI", 500,
	  HALTED(run_hlt_irq, g_irq_wait) },
	{ "irqfd", "halted in the kernel (irqchip), woken by an irqfd (MSI route)",
	  500, .prepare = prepare_irqfd, .run = run_irqfd,
	  .finish = finish_eventfd, .irqchip = true },
	{ "ioeventfd-pio", "1-byte OUT signals an ioeventfd, no exit to userspace",
	  5000, .prepare = prepare_ioeventfd, .run = run_ioeventfd,
	  .finish = finish_eventfd, .entry = g_pio_out },
	{ "ioeventfd-mmio", "4-byte store signals an ioeventfd, no exit to userspace",
	  2000, .prepare = prepare_ioeventfd, .run = run_ioeventfd,
	  .finish = finish_eventfd, .entry = g_mmio_write },
	{ "ipi", "IPI round trip between two vCPUs (irqchip, xAPIC ICR)", 1000,
	  .prepare = prepare_ipi, .run = run_ipi, .finish = finish_waker,
	  .entry = g_ipi_ping, .irqchip = true, .vcpus = 2 },
	{ "timer-hlt", "LAPIC one-shot timer to a halted vCPU, EOI (busy ns)",
	  1000, .prepare = prepare_vm, .run = run_timer_hlt,
	  .finish = finish_vm, .entry = g_timer_hlt, .irqchip = true,
	  .idle = true, .no_halt_poll = true },
	{ "first-touch", "guest write to a never-touched 4 KiB page", 1024,
	  GUEST_LOOP(run_first_touch, NULL), .pages_per_op = 1 },
	{ "touch-1g", "guest write to each never-touched 4 KiB page of 1 GiB",
	  BIG_PAGES, GUEST_LOOP(run_first_touch, NULL), HEAVY,
	  .pages_per_op = 1 },
	{ "dirty-log-1g", "KVM_GET_DIRTY_LOG of 1 GiB, every page dirty", 1,
	  .prepare = prepare_dirty, .run = run_dirty_log,
	  .finish = finish_dirty, HEAVY, .pages_per_op = BIG_PAGES },
	{ "dirty-log-1g-clean", "KVM_GET_DIRTY_LOG of 1 GiB, no page dirty", 50,
	  .prepare = prepare_dirty, .run = run_dirty_log_clean,
	  .finish = finish_dirty, .fixed = true, .wall_marks = true,
	  .reuses_dirty_vm = true, .pages_per_op = BIG_PAGES },
	{ "vm-create", "KVM_CREATE_VM + close (create and destroy)", 20, .run = run_vm_create },
	{ "vcpu-create", "KVM_CREATE_VCPU (8 per VM)", 8,
	  .prepare = prepare_vcpu_create, .run = run_vcpu_create },
	{ "floor", "kvmod debugfs vmrun_floor: bare VMRUN/#VMEXIT", 20000,
	  .run = run_floor },
};

#define NR_WORKLOADS	ARRAY_SIZE(workloads)

/* ------------------------------------------------------------------------
 * Driver, report.
 */

static void alarm_handler(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(const double *v, unsigned int n, double *min,
			double *max)
{
	double s[MAX_REPEAT];

	memcpy(s, v, n * sizeof(s[0]));
	qsort(s, n, sizeof(s[0]), cmp_double);
	if (min)
		*min = s[0];
	if (max)
		*max = s[n - 1];
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void summarize(struct result *res)
{
	res->median = median_of(res->ns, res->runs, &res->min, &res->max);
	res->idle_median = median_of(res->idle_ns, res->runs, NULL, NULL);
}

static void run_workload(const struct workload *w, struct result *res)
{
	struct bctx c = { .w = w, .status = ST_OK };
	unsigned long n = opt.iterations && !w->fixed ? opt.iterations :
			  w->iterations;
	unsigned int runs = opt.repeat, i;
	double ns;

	c.vm.fd = -1;
	c.vm.vcpu_fd = -1;
	c.vm.vcpu1_fd = -1;
	c.efd = -1;
	memset(res, 0, sizeof(*res));
	res->iterations = n;
	if (w->max_runs && runs > w->max_runs)
		runs = w->max_runs;
	timed_out = 0;
	alarm(opt.timeout);
	if (w->prepare && w->prepare(&c))
		goto out;
	/* Run 0 warms up (first faults, caches) and is not counted. */
	for (i = w->no_warmup ? 1 : 0; i <= runs; i++) {
		timed_out = 0;
		alarm(opt.timeout);
		if (w->run(&c, n, &ns))
			goto out;
		if (i > 0) {
			res->idle_ns[res->runs] = c.idle_ns;
			res->ns[res->runs++] = ns;
		}
	}
	res->user_exits = c.user_exits;
	summarize(res);
out:
	alarm(0);
	timed_out = 0;
	if (w->finish)
		w->finish(&c);
	res->status = c.status;
	snprintf(res->reason, sizeof(res->reason), "%s", c.reason);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int write_json(const char *path, const struct workload **sel,
		      const struct result *res, unsigned int nsel)
{
	struct utsname u;
	unsigned int i, j;
	FILE *f;

	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kvm-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uname(&u);
	fprintf(f, "{\n  \"tool\": \"kvm-bench\",\n  \"label\": ");
	json_string(f, opt.label);
	fprintf(f, ",\n  \"device\": ");
	json_string(f, opt.dev);
	fprintf(f, ",\n  \"kernel\": ");
	json_string(f, u.release);
	fprintf(f, ",\n  \"clock\": \"CLOCK_MONOTONIC\",\n  \"repeat\": %u,\n",
		opt.repeat);
	fprintf(f, "  \"dither\": %s,\n", opt.dither ? "true" : "false");
	fprintf(f, "  \"workloads\": [\n");
	for (i = 0; i < nsel; i++) {
		const struct result *r = &res[i];

		fprintf(f, "    {\"name\": ");
		json_string(f, sel[i]->name);
		fprintf(f, ", \"description\": ");
		json_string(f, sel[i]->desc);
		fprintf(f, ", \"status\": \"%s\"", status_names[r->status]);
		if (r->status == ST_OK) {
			fprintf(f, ", \"iterations\": %lu, \"runs\": %u",
				r->iterations, r->runs);
			fprintf(f, ", \"warmup_runs\": %d, \"wall_marks\": %s",
				sel[i]->no_warmup ? 0 : 1,
				sel[i]->wall_marks ? "true" : "false");
			if (sel[i]->pages_per_op)
				fprintf(f, ", \"pages_per_op\": %lu",
					sel[i]->pages_per_op);
			fprintf(f, ", \"median_ns\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f",
				r->median, r->min, r->max);
			fprintf(f, ", \"user_exits_per_run\": %lu, \"samples_ns\": [",
				r->user_exits);
			for (j = 0; j < r->runs; j++)
				fprintf(f, "%s%.1f", j ? ", " : "", r->ns[j]);
			fprintf(f, "]");
			if (sel[i]->idle) {
				fprintf(f, ", \"idle_median_ns\": %.1f, \"idle_samples_ns\": [",
					r->idle_median);
				for (j = 0; j < r->runs; j++)
					fprintf(f, "%s%.1f", j ? ", " : "",
						r->idle_ns[j]);
				fprintf(f, "]");
			}
		} else {
			fprintf(f, ", \"reason\": ");
			json_string(f, r->reason);
		}
		fprintf(f, "}%s\n", i + 1 < nsel ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "kvm-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Is name in the comma-separated list? */
static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (*p) {
		const char *e = strchrnul(p, ',');

		if ((size_t)(e - p) == len && !strncmp(p, name, len))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: kvm-bench [options]\n"
		"  --dev PATH        KVM device node (default /dev/kvm)\n"
		"  --json FILE       write the results as JSON\n"
		"  --repeat N        measured runs per workload (default %d, max %d)\n"
		"  --only A,B,...    run only these workloads\n"
		"  --iterations N    operations per run (default: per workload)\n"
		"  --label NAME      name of the hypervisor in the JSON (default kvm)\n"
		"  --floor PATH      kvmod's vmrun_floor file (default %s)\n"
		"  --timeout SEC     per run (default %d)\n"
		"  --dither          guest loops add 2..1024 pseudo-random instructions\n"
		"                    per op (for perf under -icount; not for timing)\n"
		"  --list            list the workloads\n",
		DEFAULT_REPEAT, MAX_REPEAT, DEFAULT_FLOOR, DEFAULT_TIMEOUT);
}

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || !*s || !v) {
		fprintf(stderr, "kvm-bench: %s wants a positive number, not '%s'\n",
			what, s);
		exit(2);
	}
	return v;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "json", required_argument, NULL, 'j' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "label", required_argument, NULL, 'l' },
		{ "floor", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dither", no_argument, NULL, 'D' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			opt.dev = optarg;
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'r':
			opt.repeat = parse_num(optarg, "--repeat");
			if (opt.repeat > MAX_REPEAT) {
				fprintf(stderr, "kvm-bench: --repeat at most %d\n",
					MAX_REPEAT);
				exit(2);
			}
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 'n':
			opt.iterations = parse_num(optarg, "--iterations");
			break;
		case 'l':
			opt.label = optarg;
			break;
		case 'f':
			opt.floor = optarg;
			break;
		case 't':
			opt.timeout = parse_num(optarg, "--timeout");
			break;
		case 'D':
			opt.dither = true;
			break;
		case 'L':
			opt.list = true;
			break;
		case 'h':
			print_usage(stdout);
			exit(0);
		default:
			print_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		print_usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static struct result res[NR_WORKLOADS];
	const struct workload *sel[NR_WORKLOADS];
	struct sigaction sa = { .sa_handler = alarm_handler };
	unsigned int i, nsel = 0, a, b, c, d;
	bool error = false;
	char vendor[13];

	parse_options(argc, argv);
	for (i = 0; i < NR_WORKLOADS; i++) {
		if (opt.only && !in_list(opt.only, workloads[i].name))
			continue;
		sel[nsel++] = &workloads[i];
	}
	if (opt.only) {
		/* Every name must exist. */
		const char *p = opt.only;

		while (*p) {
			const char *e = strchrnul(p, ',');
			bool found = false;

			for (i = 0; i < NR_WORKLOADS; i++)
				if (strlen(workloads[i].name) == (size_t)(e - p) &&
				    !strncmp(workloads[i].name, p, e - p))
					found = true;
			if (!found) {
				fprintf(stderr, "kvm-bench: no workload '%.*s' (see --list)\n",
					(int)(e - p), p);
				return 2;
			}
			p = *e ? e + 1 : e;
		}
	}
	if (opt.list) {
		for (i = 0; i < nsel; i++)
			printf("%-18s %6lu ops/run  %s\n", sel[i]->name,
			       sel[i]->iterations, sel[i]->desc);
		return 0;
	}

	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = 0;
	intel = !strcmp(vendor, "GenuineIntel");

	sys_fd = open(opt.dev, O_RDWR | O_CLOEXEC);
	if (sys_fd < 0) {
		fprintf(stderr, "kvm-bench: %s: %s\n", opt.dev, strerror(errno));
		return 1;
	}
	if (ioctl(sys_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvm-bench: %s: not KVM API version %d\n",
			opt.dev, KVM_API_VERSION);
		return 1;
	}
	run_size = ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (long)sizeof(struct kvm_run)) {
		fprintf(stderr, "kvm-bench: KVM_GET_VCPU_MMAP_SIZE: %s\n",
			strerror(errno));
		return 1;
	}
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: KVM_RUN returns */

	say("kvm-bench: %s on %s (%s), %u runs per workload after a warm-up%s\n",
	    opt.label, opt.dev, vendor, opt.repeat,
	    opt.dither ? ", guest loops dithered" : "");
	for (i = 0; i < nsel; i++) {
		struct result *r = &res[i];

		say("kvm-bench: begin %s\n", sel[i]->name);
		run_workload(sel[i], r);
		/* dirty-log-1g's VM only for a dirty-log-1g-clean right after. */
		if (kept_dirty.mem &&
		    (i + 1 == nsel || !sel[i + 1]->reuses_dirty_vm))
			dirty_vm_free(&kept_dirty);
		if (r->status == ST_OK && sel[i]->idle)
			say("kvm-bench: end %s ok %lux%u median %.1f min %.1f max %.1f ns/op, idle %.1f ns/op\n",
			    sel[i]->name, r->iterations, r->runs, r->median,
			    r->min, r->max, r->idle_median);
		else if (r->status == ST_OK)
			say("kvm-bench: end %s ok %lux%u median %.1f min %.1f max %.1f ns/op\n",
			    sel[i]->name, r->iterations, r->runs, r->median,
			    r->min, r->max);
		else
			say("kvm-bench: end %s %s: %s\n", sel[i]->name,
			    status_names[r->status], r->reason);
		if (r->status == ST_ERROR)
			error = true;
	}
	if (opt.json && write_json(opt.json, sel, res, nsel))
		return 1;
	return error ? 1 : 0;
}
