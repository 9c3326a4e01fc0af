// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-demo: a tiny VMM written against nothing but <linux/kvm.h>.
 *
 * One VM, one 2 MiB memslot at GPA 0, one vCPU started in real mode at
 * 0:GUEST_LOAD running the embedded guest (guest.S), a minimal 16550 UART
 * at COM1 and a POST code port at 0x80.  With KVM_CAP_IRQCHIP the VM gets
 * an in-kernel irqchip (KVM_CREATE_IRQCHIP) and the guest takes LAPIC
 * timer interrupts before it is done.  Runs until the guest halts (or,
 * with the irqchip, writes EXIT_PORT), then prints the exit profile.  Any
 * unexpected exit is reported with the vCPU state and makes the program
 * exit non-zero.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "guest.h"

extern const unsigned char guest_image[], guest_image_end[];

#define NR_EXIT_REASONS	64

struct vm {
	int sys_fd;
	int vm_fd;
	int vcpu_fd;
	unsigned char *mem;
	struct kvm_run *run;
	size_t run_size;
};

struct profile {
	unsigned long exits[NR_EXIT_REASONS];
	unsigned long exits_other;	/* reasons beyond the table */
	unsigned long io_in;
	unsigned long io_out;
	unsigned long io_string;	/* IO exits with count > 1 */
	unsigned long io_items;		/* sum of count over all IO exits */
	unsigned long runs;
	double wall;			/* seconds, first KVM_RUN to the end */
	double in_run;			/* seconds spent inside KVM_RUN */
	unsigned long guest_bytes;	/* bytes written to the UART */
	int stage;			/* last POST code */
	bool irqchip;			/* KVM_CREATE_IRQCHIP done */
	bool ticks_reported;		/* the guest wrote TICKS_PORT */
	uint32_t ticks;			/* timer interrupts the guest took */
	double timer_start;		/* STAGE_TIMER written */
	double timer_ms;		/* from STAGE_TIMER to TICKS_PORT */
	int bad_vector;			/* from BAD_VECTOR_PORT, -1: none */
	bool if0_ticks_reported;	/* the guest wrote IF0_TICKS_PORT */
	uint32_t if0_ticks;		/* ticks at its loop's last check */
	bool exit_port;			/* the guest wrote EXIT_PORT */
};

struct options {
	const char *dev;
	const char *stats_dir;
	const char *json;
	const char *guest;
	unsigned int timeout;
	unsigned int ticks;		/* timer interrupts to ask for */
	unsigned int tick_us;		/* timer period */
	bool no_irqchip;
	bool quiet;
};

struct uart {
	uint8_t lcr;
	uint8_t ier;
	uint8_t mcr;
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
};

static const char * const exit_names[NR_EXIT_REASONS] = {
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
	[KVM_EXIT_WATCHDOG]		= "WATCHDOG",
	[KVM_EXIT_EPR]			= "EPR",
	[KVM_EXIT_SYSTEM_EVENT]		= "SYSTEM_EVENT",
	[KVM_EXIT_IOAPIC_EOI]		= "IOAPIC_EOI",
	[KVM_EXIT_HYPERV]		= "HYPERV",
#ifdef KVM_EXIT_X86_RDMSR
	[KVM_EXIT_X86_RDMSR]		= "X86_RDMSR",
	[KVM_EXIT_X86_WRMSR]		= "X86_WRMSR",
#endif
#ifdef KVM_EXIT_DIRTY_RING_FULL
	[KVM_EXIT_DIRTY_RING_FULL]	= "DIRTY_RING_FULL",
#endif
#ifdef KVM_EXIT_AP_RESET_HOLD
	[KVM_EXIT_AP_RESET_HOLD]	= "AP_RESET_HOLD",
#endif
#ifdef KVM_EXIT_X86_BUS_LOCK
	[KVM_EXIT_X86_BUS_LOCK]		= "X86_BUS_LOCK",
#endif
#ifdef KVM_EXIT_XEN
	[KVM_EXIT_XEN]			= "XEN",
#endif
#ifdef KVM_EXIT_NOTIFY
	[KVM_EXIT_NOTIFY]		= "NOTIFY",
#endif
};

static const char * const stage_names[] = {
	[0]		= "not started",
	[STAGE_REAL]	= "real mode",
	[STAGE_PROT]	= "32-bit protected mode",
	[STAGE_CPUID]	= "CPUID",
	[STAGE_LONG]	= "64-bit long mode",
	[STAGE_DONE]	= "done",
	[STAGE_TIMER]	= "waiting for timer interrupts",
};

static volatile sig_atomic_t timed_out;
static struct kvm_run *alarm_run;

static const char *exit_name(unsigned int reason)
{
	if (reason < NR_EXIT_REASONS && exit_names[reason])
		return exit_names[reason];
	return "?";
}

static const char *stage_name(int stage)
{
	if (stage >= 0 && stage <= STAGE_TIMER)
		return stage_names[stage];
	return "unknown";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "kvmod-demo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void die_errno(const char *what)
{
	error("%s: %s", what, strerror(errno));
	exit(1);
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	/* Makes a KVM_RUN that has not entered the guest yet return at once. */
	if (alarm_run)
		alarm_run->immediate_exit = 1;
}

/* --- vCPU state dump, for every failure ------------------------------- */

static void dump_segment(const char *name, const struct kvm_segment *s)
{
	fprintf(stderr,
		"  %-4s sel %04x base %016llx limit %08x type %x p %u dpl %u db %u s %u l %u g %u\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->present, s->dpl, s->db, s->s, s->l, s->g);
}

static void dump_vcpu(struct vm *vm)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd, KVM_GET_REGS, &r) < 0) {
		error("KVM_GET_REGS: %s", strerror(errno));
	} else {
		fprintf(stderr, "vCPU registers:\n");
		fprintf(stderr, "  rip %016llx rflags %016llx\n",
			r.rip, r.rflags);
		fprintf(stderr, "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
			r.rax, r.rbx, r.rcx, r.rdx);
		fprintf(stderr, "  rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n",
			r.rsi, r.rdi, r.rsp, r.rbp);
	}

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		error("KVM_GET_SREGS: %s", strerror(errno));
		return;
	}
	fprintf(stderr, "  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n",
		s.cr0, s.cr2, s.cr3, s.cr4);
	fprintf(stderr, "  efer %016llx gdt %016llx/%04x idt %016llx/%04x\n",
		s.efer, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
	dump_segment("cs", &s.cs);
	dump_segment("ds", &s.ds);
	dump_segment("ss", &s.ss);
}

/* --- devices ----------------------------------------------------------- */

static void uart_out(struct uart *u, unsigned int reg, uint8_t val,
		     const struct options *opt, struct profile *prof)
{
	bool dlab = u->lcr & 0x80;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = val;
		} else {
			prof->guest_bytes++;
			if (!opt->quiet)
				putchar(val);
		}
		break;
	case 1:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val;
		break;
	case 3:
		u->lcr = val;
		break;
	case 4:
		u->mcr = val;
		break;
	case 7:
		u->scr = val;
		break;
	default:
		/* FCR and the read-only LSR/MSR: ignored */
		break;
	}
}

static uint8_t uart_in(struct uart *u, unsigned int reg)
{
	switch (reg) {
	case 2:
		return 0x01;		/* IIR: no interrupt pending */
	case 5:
		return LSR_TEMT | LSR_THRE;
	default:
		(void)u;
		return 0;
	}
}

static void port_out(struct uart *u, uint16_t port, uint8_t val,
		     const struct options *opt, struct profile *prof)
{
	if (port >= COM1_BASE && port < COM1_BASE + 8) {
		uart_out(u, port - COM1_BASE, val, opt, prof);
	} else if (port == STAGE_PORT) {
		prof->stage = val;
		if (val == STAGE_TIMER)
			prof->timer_start = now();
	} else if (port == EXIT_PORT) {
		prof->exit_port = true;
	} else if (port == BAD_VECTOR_PORT) {
		prof->bad_vector = val;
	}
	/* anything else: ignored */
}

static uint8_t port_in(struct uart *u, uint16_t port)
{
	if (port >= COM1_BASE && port < COM1_BASE + 8)
		return uart_in(u, port - COM1_BASE);
	return 0xff;
}

/*
 * One KVM_EXIT_IO: count items of size bytes each at run + data_offset.
 * A wider access is split into byte accesses to consecutive ports, like
 * an 8-bit device on the ISA bus sees it.
 */
static void handle_io(struct vm *vm, struct uart *u, const struct options *opt,
		      struct profile *prof)
{
	struct kvm_run *run = vm->run;
	unsigned char *data = (unsigned char *)run + run->io.data_offset;
	uint32_t i, j;

	if (run->io.direction == KVM_EXIT_IO_OUT)
		prof->io_out++;
	else
		prof->io_in++;
	if (run->io.count > 1)
		prof->io_string++;
	prof->io_items += run->io.count;

	/* The tick count: one 32-bit OUT. */
	if (run->io.port == TICKS_PORT && run->io.size == 4 &&
	    run->io.direction == KVM_EXIT_IO_OUT) {
		memcpy(&prof->ticks, data, 4);
		prof->ticks_reported = true;
		if (prof->timer_start)
			prof->timer_ms = (now() - prof->timer_start) * 1e3;
		return;
	}
	if (run->io.port == IF0_TICKS_PORT && run->io.size == 4 &&
	    run->io.direction == KVM_EXIT_IO_OUT) {
		memcpy(&prof->if0_ticks, data, 4);
		prof->if0_ticks_reported = true;
		return;
	}

	for (i = 0; i < run->io.count; i++) {
		for (j = 0; j < run->io.size; j++, data++) {
			if (run->io.direction == KVM_EXIT_IO_OUT)
				port_out(u, run->io.port + j, *data, opt, prof);
			else
				*data = port_in(u, run->io.port + j);
		}
	}
}

/* --- VM setup ------------------------------------------------------------ */

static void setup_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *cpuid = NULL;
	unsigned int nent = 64;

	for (;;) {
		free(cpuid);
		cpuid = calloc(1, sizeof(*cpuid) +
			       nent * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid)
			die_errno("calloc");
		cpuid->nent = nent;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG || nent >= 4096) {
			error("warning: KVM_GET_SUPPORTED_CPUID: %s (guest CPUID stays empty, long mode will not work)",
			      strerror(errno));
			free(cpuid);
			return;
		}
		nent *= 2;
	}

	if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		error("warning: KVM_SET_CPUID2: %s (long mode will not work)",
		      strerror(errno));
	free(cpuid);
}

/*
 * An in-kernel irqchip (PIC, IOAPIC, a LAPIC per vCPU), before the vCPU
 * is created.  Returns whether the VM has one.
 */
static bool setup_irqchip(struct vm *vm, const struct options *opt)
{
	int ret;

	if (opt->no_irqchip) {
		error("note: --no-irqchip: no in-kernel irqchip, no timer interrupts");
		return false;
	}
	ret = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	if (ret <= 0) {
		error("note: no KVM_CAP_IRQCHIP (%s): no in-kernel irqchip, no timer interrupts",
		      ret < 0 ? strerror(errno) : "extension not available");
		return false;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		error("warning: KVM_CREATE_IRQCHIP: %s (no timer interrupts)",
		      strerror(errno));
		return false;
	}
	return true;
}

static void write_u32(struct vm *vm, uint64_t gpa, uint32_t val)
{
	memcpy(vm->mem + gpa, &val, sizeof(val));
}

static void setup_vm(struct vm *vm, const struct options *opt,
		     const unsigned char *image, size_t image_size,
		     struct profile *prof)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int ret, mmap_size;

	vm->sys_fd = open(opt->dev, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		error("open %s: %s", opt->dev, strerror(errno));
		exit(1);
	}

	ret = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (ret < 0)
		die_errno("KVM_GET_API_VERSION");
	if (ret != KVM_API_VERSION) {
		error("KVM_GET_API_VERSION: %d, expected %d", ret,
		      KVM_API_VERSION);
		exit(1);
	}

	do {
		vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		die_errno("KVM_CREATE_VM");

	vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		die_errno("mmap guest memory");

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = GUEST_MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die_errno("KVM_SET_USER_MEMORY_REGION");

	memcpy(vm->mem + GUEST_LOAD, image, image_size);

	prof->irqchip = setup_irqchip(vm, opt);
	/* The LAPIC timer counts ns with TDCR = divide by 1. */
	write_u32(vm, PARAM_TICKS, prof->irqchip ? opt->ticks : 0);
	write_u32(vm, PARAM_TMICT, opt->tick_us * 1000);

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die_errno("KVM_CREATE_VCPU");

	mmap_size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0)
		die_errno("KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)mmap_size < sizeof(struct kvm_run)) {
		error("KVM_GET_VCPU_MMAP_SIZE: %d is smaller than struct kvm_run",
		      mmap_size);
		exit(1);
	}
	vm->run_size = mmap_size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die_errno("mmap kvm_run");

	setup_cpuid(vm);

	/* Real mode, CS:IP = 0:GUEST_LOAD, all data segments at 0. */
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		die_errno("KVM_GET_SREGS");
	sregs.cs.selector = 0;
	sregs.cs.base = 0;
	sregs.ds = sregs.cs;
	sregs.ds.type = 3;		/* read/write data, accessed */
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		die_errno("KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD;
	regs.rsp = GUEST_STACK;
	regs.rflags = 0x2;		/* bit 1 is always set */
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		die_errno("KVM_SET_REGS");
}

/* --- run loop ------------------------------------------------------------ */

static void report_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t i;

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		error("KVM_EXIT_SHUTDOWN: the guest triple-faulted");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		error("KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason 0x%llx",
		      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		error("KVM_EXIT_INTERNAL_ERROR: suberror %u%s, ndata %u",
		      run->internal.suberror,
		      run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
		      " (emulation failure)" : "",
		      run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, "  data[%u] 0x%llx\n", i,
				(unsigned long long)run->internal.data[i]);
		break;
	case KVM_EXIT_MMIO:
		error("KVM_EXIT_MMIO: %s of %u bytes at GPA 0x%llx (no MMIO devices)",
		      run->mmio.is_write ? "write" : "read", run->mmio.len,
		      (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_UNKNOWN:
		error("KVM_EXIT_UNKNOWN: hardware_exit_reason 0x%llx",
		      (unsigned long long)run->hw.hardware_exit_reason);
		break;
	case KVM_EXIT_EXCEPTION:
		error("KVM_EXIT_EXCEPTION: exception %u error_code 0x%x",
		      run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		error("KVM_EXIT_SYSTEM_EVENT: type %u", run->system_event.type);
		break;
#ifdef KVM_EXIT_X86_RDMSR
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		error("KVM_EXIT_%s: msr 0x%x (not requested by this VMM)",
		      exit_name(run->exit_reason), run->msr.index);
		break;
#endif
	default:
		error("unexpected exit reason %u (KVM_EXIT_%s)",
		      run->exit_reason, exit_name(run->exit_reason));
		break;
	}
	dump_vcpu(vm);
}

/* Returns 0 when the guest halted after finishing, 1 otherwise. */
static int run_vcpu(struct vm *vm, const struct options *opt,
		    struct profile *prof)
{
	struct uart uart = { 0 };
	double start, t;
	int ret;

	start = now();
	for (;;) {
		if (timed_out) {
			error("timeout: guest still running after %u s",
			      opt->timeout);
			dump_vcpu(vm);
			ret = 1;
			break;
		}

		t = now();
		ret = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		prof->in_run += now() - t;
		prof->runs++;
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				prof->exits[KVM_EXIT_INTR]++;
				vm->run->immediate_exit = 0;
				continue;
			}
			error("KVM_RUN: %s", strerror(errno));
			dump_vcpu(vm);
			ret = 1;
			break;
		}

		if (vm->run->exit_reason < NR_EXIT_REASONS)
			prof->exits[vm->run->exit_reason]++;
		else
			prof->exits_other++;

		if (vm->run->exit_reason == KVM_EXIT_IO) {
			handle_io(vm, &uart, opt, prof);
			if (prof->bad_vector >= 0) {
				error("guest took unexpected vector %d (%s) in stage %d (%s)",
				      prof->bad_vector,
				      prof->bad_vector < 32 ? "exception" :
				      "interrupt", prof->stage,
				      stage_name(prof->stage));
				dump_vcpu(vm);
				ret = 1;
				break;
			}
			if (prof->if0_ticks_reported) {
				error("guest took timer interrupts with RFLAGS.IF=0: %u ticks at its last check with interrupts off, %u in the end",
				      prof->if0_ticks, prof->ticks);
				dump_vcpu(vm);
				ret = 1;
				break;
			}
			if (!prof->exit_port)
				continue;
		}
		if (vm->run->exit_reason == KVM_EXIT_HLT || prof->exit_port) {
			if (prof->stage == STAGE_DONE && prof->irqchip &&
			    !opt->guest && prof->ticks < opt->ticks) {
				error("guest took %u timer interrupts, expected %u",
				      prof->ticks, opt->ticks);
				ret = 1;
			} else if (prof->stage == STAGE_DONE) {
				ret = 0;
			} else {
				error("guest halted early, in stage %d (%s)",
				      prof->stage, stage_name(prof->stage));
				dump_vcpu(vm);
				ret = 1;
			}
			break;
		}
		report_exit(vm);
		ret = 1;
		break;
	}
	prof->wall = now() - start;
	fflush(stdout);
	return ret;
}

/* --- reporting ----------------------------------------------------------- */

static void print_profile(const struct profile *prof)
{
	unsigned int i;

	printf("\nexit profile (exits to userspace):\n");
	for (i = 0; i < NR_EXIT_REASONS; i++) {
		if (!prof->exits[i])
			continue;
		if (i == KVM_EXIT_IO) {
			printf("  %-20s %8lu\n", "IO_IN", prof->io_in);
			printf("  %-20s %8lu\n", "IO_OUT", prof->io_out);
		} else {
			printf("  %-20s %8lu\n", exit_name(i), prof->exits[i]);
		}
	}
	if (prof->exits_other)
		printf("  %-20s %8lu\n", "(other)", prof->exits_other);
	printf("  string IO exits: %lu, IO items: %lu, UART bytes: %lu\n",
	       prof->io_string, prof->io_items, prof->guest_bytes);
	printf("  KVM_RUN calls: %lu, wall time: %.3f ms (in KVM_RUN %.3f ms)\n",
	       prof->runs, prof->wall * 1e3, prof->in_run * 1e3);
	printf("  guest stage: %d (%s)\n", prof->stage, stage_name(prof->stage));
}

static void print_timer(const struct profile *prof, const struct options *opt)
{
	printf("\n");
	if (!prof->irqchip) {
		printf("no in-kernel irqchip: the guest took no timer interrupts\n");
		return;
	}
	if (!prof->ticks_reported) {
		printf("in-kernel irqchip, but the guest reported no timer interrupts\n");
		return;
	}
	printf("guest took %u timer interrupts in %.3f ms (LAPIC timer, periodic, %u us: %.3f ms expected)\n",
	       prof->ticks, prof->timer_ms, opt->tick_us,
	       prof->ticks * opt->tick_us / 1e3);
}

static void json_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* A decimal integer stays a number, anything else becomes a string. */
static void json_value(FILE *f, const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) < 20) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	json_string(f, s);
	fputc('"', f);
}

static void json_profile(FILE *f, const struct profile *prof, int status)
{
	unsigned int i;

	fprintf(f, "{\n  \"status\": %d,\n  \"stage\": %d,\n", status,
		prof->stage);
	fprintf(f, "  \"irqchip\": %s,\n", prof->irqchip ? "true" : "false");
	if (prof->ticks_reported)
		fprintf(f, "  \"timer_ticks\": %u,\n  \"timer_ms\": %.3f,\n",
			prof->ticks, prof->timer_ms);
	fprintf(f, "  \"kvm_run_calls\": %lu,\n", prof->runs);
	fprintf(f, "  \"wall_ms\": %.3f,\n  \"in_kvm_run_ms\": %.3f,\n",
		prof->wall * 1e3, prof->in_run * 1e3);
	fprintf(f, "  \"io_string\": %lu,\n  \"io_items\": %lu,\n",
		prof->io_string, prof->io_items);
	fprintf(f, "  \"exits\": {");
	fprintf(f, "\n    \"IO_IN\": %lu,\n    \"IO_OUT\": %lu",
		prof->io_in, prof->io_out);
	for (i = 0; i < NR_EXIT_REASONS; i++) {
		if (i == KVM_EXIT_IO || !prof->exits[i])
			continue;
		fprintf(f, ",\n    \"%s\": %lu", exit_name(i), prof->exits[i]);
	}
	if (prof->exits_other)
		fprintf(f, ",\n    \"other\": %lu", prof->exits_other);
	fprintf(f, "\n  }");
}

/* Print a value, indenting any further lines under the first. */
static void print_value(const char *name, const char *val)
{
	printf("  %s: ", name);
	for (; *val; val++) {
		putchar(*val);
		if (*val == '\n')
			printf("    ");
	}
	putchar('\n');
}

static int stats_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Read a small file into buf, without the trailing newlines. */
static int read_stat(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	return 0;
}

/*
 * Expand %p (our pid) and %v (the VM fd) in a stats directory pattern,
 * e.g. /sys/kernel/debug/kvmod/%p-%v/vcpu0 for kvmod's per-vCPU counters.
 */
static void expand_stats_dir(const char *pat, int vm_fd, char *out,
			     size_t size)
{
	size_t len = 0;

	for (; *pat && len + 16 < size; pat++) {
		if (pat[0] == '%' && pat[1] == 'p') {
			len += snprintf(out + len, size - len, "%d", getpid());
			pat++;
		} else if (pat[0] == '%' && pat[1] == 'v') {
			len += snprintf(out + len, size - len, "%d", vm_fd);
			pat++;
		} else {
			out[len++] = *pat;
		}
	}
	out[len] = '\0';
}

/*
 * Print every regular file in dir as "name: contents".  Kept generic: the
 * directory may hold in-kernel counters of any kind (e.g. from debugfs).
 */
static void print_stats_dir(const char *dir, FILE *json)
{
	struct dirent **list;
	char path[4096], buf[4096];
	struct stat st;
	int i, n, first = 1;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		error("note: stats dir %s not found, no in-kernel exit profile",
		      dir);
		return;
	}
	n = scandir(dir, &list, stats_filter, alphasort);
	if (n < 0) {
		error("scandir %s: %s", dir, strerror(errno));
		return;
	}

	printf("\nin-kernel exit profile (%s):\n", dir);
	if (json)
		fprintf(json, ",\n  \"in_kernel\": {");
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    read_stat(path, buf, sizeof(buf)) == 0) {
			print_value(list[i]->d_name, buf);
			if (json) {
				fprintf(json, "%s\n    \"", first ? "" : ",");
				json_string(json, list[i]->d_name);
				fprintf(json, "\": ");
				json_value(json, buf);
				first = 0;
			}
		}
		free(list[i]);
	}
	free(list);
	if (json)
		fprintf(json, "\n  }");
}

/* --- main ---------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmod-demo [options]\n"
		"  --dev PATH        KVM device to use (default /dev/kvm)\n"
		"  --stats-dir DIR   after the run, print every file in DIR\n"
		"                    (%%p: our pid, %%v: the VM fd)\n"
		"                    as the in-kernel exit profile\n"
		"  --json FILE       also write the exit profile as JSON\n"
		"  --quiet           do not print the guest's output\n"
		"  --timeout SEC     give up after SEC seconds (default 30, 0: never)\n"
		"  --ticks N         timer interrupts the guest waits for (default 100)\n"
		"  --tick-us US      LAPIC timer period (default 1000)\n"
		"  --no-irqchip      no in-kernel irqchip: no timer interrupts\n"
		"  --guest FILE      run this flat binary instead of the built-in\n"
		"                    guest (loaded and entered at 0:0x%x)\n"
		"  --help            this text\n", GUEST_LOAD);
}

static unsigned char *load_file(const char *path, size_t *size)
{
	unsigned char *buf;
	struct stat st;
	size_t max = GUEST_MEM_SIZE - GUEST_LOAD;
	FILE *f;

	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) < 0) {
		error("%s: %s", path, strerror(errno));
		exit(1);
	}
	if ((size_t)st.st_size > max) {
		error("%s: %lld bytes do not fit in guest memory (max %zu)",
		      path, (long long)st.st_size, max);
		exit(1);
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		die_errno("malloc");
	if (fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		error("%s: short read", path);
		exit(1);
	}
	fclose(f);
	*size = st.st_size;
	return buf;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "dev",	required_argument,	NULL, 'd' },
		{ "stats-dir",	required_argument,	NULL, 's' },
		{ "json",	required_argument,	NULL, 'j' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "guest",	required_argument,	NULL, 'g' },
		{ "ticks",	required_argument,	NULL, 'T' },
		{ "tick-us",	required_argument,	NULL, 'U' },
		{ "no-irqchip",	no_argument,		NULL, 'N' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long val;
	int c;

	opt->dev = "/dev/kvm";
	opt->timeout = 30;
	opt->ticks = 100;
	opt->tick_us = 1000;

	while ((c = getopt_long(argc, argv, "d:s:j:qt:g:T:U:Nh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->dev = optarg;
			break;
		case 's':
			opt->stats_dir = optarg;
			break;
		case 'j':
			opt->json = optarg;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 't':
			val = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || val < 0 ||
			    val > 86400) {
				error("bad --timeout %s", optarg);
				exit(2);
			}
			opt->timeout = val;
			break;
		case 'g':
			opt->guest = optarg;
			break;
		case 'T':
			val = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || val < 1 ||
			    val > 1000000) {
				error("bad --ticks %s", optarg);
				exit(2);
			}
			opt->ticks = val;
			break;
		case 'U':
			/* TMICT is 32 bits of ns */
			val = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || val < 1 ||
			    val > 4000000) {
				error("bad --tick-us %s", optarg);
				exit(2);
			}
			opt->tick_us = val;
			break;
		case 'N':
			opt->no_irqchip = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc) {
		error("unexpected argument %s", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	const unsigned char *image = guest_image;
	size_t image_size = guest_image_end - guest_image;
	unsigned char *loaded = NULL;
	struct profile prof = { .bad_vector = -1 };
	struct options opt = { 0 };
	struct sigaction sa;
	struct vm vm;
	FILE *json = NULL;
	int status;

	parse_options(argc, argv, &opt);

	if (opt.guest) {
		loaded = load_file(opt.guest, &image_size);
		image = loaded;
	}

	setup_vm(&vm, &opt, image, image_size, &prof);
	free(loaded);

	if (opt.timeout) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN returns EINTR */
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGALRM, &sa, NULL) < 0)
			die_errno("sigaction");
		alarm_run = vm.run;
		alarm(opt.timeout);
	}

	status = run_vcpu(&vm, &opt, &prof);
	alarm(0);

	print_profile(&prof);
	if (!opt.guest)
		print_timer(&prof, &opt);

	if (opt.json) {
		json = fopen(opt.json, "w");
		if (!json) {
			error("%s: %s", opt.json, strerror(errno));
			status = 1;
		} else {
			json_profile(json, &prof, status);
		}
	}

	/* Read the stats while the VM still exists: per-VM counters vanish with it. */
	if (opt.stats_dir) {
		char dir[2048];

		expand_stats_dir(opt.stats_dir, vm.vm_fd, dir, sizeof(dir));
		print_stats_dir(dir, json);
	}

	if (json) {
		fprintf(json, "\n}\n");
		if (fclose(json) != 0) {
			error("%s: %s", opt.json, strerror(errno));
			status = 1;
		}
	}
	fflush(stdout);

	munmap(vm.run, vm.run_size);
	close(vm.vcpu_fd);
	close(vm.vm_fd);
	munmap(vm.mem, GUEST_MEM_SIZE);
	close(vm.sys_fd);

	if (status)
		error("FAILED");
	return status;
}
