// SPDX-License-Identifier: GPL-2.0
/*
 * exit_guest: a VMM whose real-mode guest makes an exact number of exits,
 * for the kvmod-stat tests.
 *
 *   exit_guest [-d DEV] [-p N] [-c M]     N x OUT 0x80, M x CPUID, HLT
 *   exit_guest [-d DEV] -b K              time K CPUID exits (ns per exit)
 *   exit_guest ... -w FILE                then print the vCPU's binary
 *                                         statistics and keep the VM until
 *                                         FILE exists (the kvm_stat tests)
 *
 * The guest (exit_guest_code.S) runs at 0:0x1000 in real mode. It is given N in ESI, M in EDI
 * and, in EBP, whether to bracket the CPUID loop with OUT 0x81 markers.
 * Every OUT is a KVM_EXIT_IO (one exit to userspace each); CPUID is
 * handled in the kernel. The program checks that it saw exactly N OUTs to
 * port 0x80 and one HLT, prints what it saw and exits 0, or 1 on anything
 * unexpected.
 *
 * -b K runs the guest three times in the same VM: M = K (warm-up: maps the
 * pages), M = 0 (baseline) and M = K, timing each between the two
 * markers with CLOCK_MONOTONIC; it prints (T(K) - T(0)) / K.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "exit_guest.h"

#define MEM_SIZE	0x10000
#define CODE_GPA	0x1000
#define PORT_COUNT	0x80
#define PORT_MARK	0x81

struct vm {
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	unsigned char *mem;
};

struct result {
	unsigned long pio;	/* OUTs to PORT_COUNT */
	unsigned long marks;	/* OUTs to PORT_MARK */
	unsigned long hlt;
	double mark_ns[2];	/* CLOCK_MONOTONIC at the two markers */
};

static void die(const char *what)
{
	fprintf(stderr, "exit_guest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void vm_create(struct vm *vm, const char *dev)
{
	struct kvm_userspace_memory_region region = { };
	int size;

	vm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0)
		die(dev);
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM");
	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED)
		die("mmap guest memory");
	memcpy(vm->mem + CODE_GPA, guest_code, guest_code_end - guest_code);
	region.memory_size = MEM_SIZE;
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	size = ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE");
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die("mmap kvm_run");
}

/* Start the guest over with the given counts; returns what it did. */
static int vm_go(struct vm *vm, unsigned long n, unsigned long m, bool mark,
		 struct result *res)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 2;
	regs.rsi = n;
	regs.rdi = m;
	regs.rbp = mark;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");

	memset(res, 0, sizeof(*res));
	for (;;) {
		struct kvm_run *r = vm->run;

		if (ioctl(vm->vcpu_fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		switch (r->exit_reason) {
		case KVM_EXIT_IO:
			if (r->io.direction != KVM_EXIT_IO_OUT ||
			    r->io.count != 1)
				goto bad;
			if (r->io.port == PORT_COUNT) {
				res->pio++;
			} else if (r->io.port == PORT_MARK &&
				   res->marks < 2) {
				res->mark_ns[res->marks++] = now_ns();
			} else {
				goto bad;
			}
			break;
		case KVM_EXIT_HLT:
			res->hlt++;
			return 0;
		case KVM_EXIT_INTR:
			break;
		default:
			goto bad;
		}
	}
bad:
	fprintf(stderr, "exit_guest: unexpected exit %u (io port 0x%x dir %u count %u)\n",
		vm->run->exit_reason, vm->run->io.port, vm->run->io.direction,
		vm->run->io.count);
	return -1;
}

/*
 * The vCPU's counters of one value from its KVM_GET_STATS_FD, one
 * "exit_guest: stat NAME VALUE" line each; nothing without the ioctl.
 */
static void print_stats(struct vm *vm)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *descs;
	uint32_t i;
	int fd;

	fd = ioctl(vm->vcpu_fd, KVM_GET_STATS_FD, 0);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		goto out;
	if (pread(fd, descs, h.num_desc * dsz, h.desc_offset) ==
	    (ssize_t)(h.num_desc * dsz)) {
		for (i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (void *)(descs + i * dsz);
			uint64_t v;

			if (d->size != 1 ||
			    pread(fd, &v, 8, h.data_offset + d->offset) != 8)
				continue;
			printf("exit_guest: stat %.*s %llu\n",
			       (int)h.name_size, d->name,
			       (unsigned long long)v);
		}
	}
	free(descs);
out:
	close(fd);
}

/* Keep the VM alive until @file exists (at most two minutes). */
static void hold(const char *file)
{
	int i;

	printf("exit_guest: holding until %s exists\n", file);
	fflush(stdout);
	for (i = 0; i < 2400 && access(file, F_OK); i++)
		usleep(50000);
}

static bool parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return *s && *s != '-' && !*end && !errno && *v <= 0xffffffffUL;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: exit_guest [-d DEV] [-p N] [-c M]   N x OUT, M x CPUID, HLT\n"
		"       exit_guest [-d DEV] -b K            ns per CPUID exit\n"
		"       -w FILE: then print the stats fd, wait for FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = getenv("KVM_DEV") ? getenv("KVM_DEV") : "/dev/kvm";
	unsigned long n = 0, m = 0, bench = 0;
	const char *hold_file = NULL;
	struct result res, base;
	struct vm vm;
	int c;

	while ((c = getopt(argc, argv, "d:p:c:b:w:")) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 'p':
			if (!parse_ul(optarg, &n))
				print_usage();
			break;
		case 'c':
			if (!parse_ul(optarg, &m))
				print_usage();
			break;
		case 'b':
			if (!parse_ul(optarg, &bench) || !bench)
				print_usage();
			break;
		case 'w':
			hold_file = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc)
		print_usage();

	vm_create(&vm, dev);
	if (bench) {
		if (vm_go(&vm, 0, bench, true, &res) ||
		    vm_go(&vm, 0, 0, true, &base) ||
		    vm_go(&vm, 0, bench, true, &res))
			return 1;
		if (res.marks != 2 || base.marks != 2) {
			fprintf(stderr, "exit_guest: markers missing\n");
			return 1;
		}
		printf("cpuid_exits=%lu loop_ns=%.0f base_ns=%.0f ns_per_exit=%.2f\n",
		       bench, res.mark_ns[1] - res.mark_ns[0],
		       base.mark_ns[1] - base.mark_ns[0],
		       ((res.mark_ns[1] - res.mark_ns[0]) -
			(base.mark_ns[1] - base.mark_ns[0])) / bench);
		return 0;
	}
	if (vm_go(&vm, n, m, false, &res))
		return 1;
	printf("exit_guest: pid=%d pio=%lu cpuid=%lu hlt=%lu\n", getpid(),
	       res.pio, m, res.hlt);
	if (res.pio != n || res.hlt != 1 || res.marks) {
		fprintf(stderr, "exit_guest: expected %lu OUTs and one HLT\n",
			n);
		return 1;
	}
	if (hold_file) {
		print_stats(&vm);
		hold(hold_file);
	}
	return 0;
}
