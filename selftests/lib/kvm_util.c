// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the kvmod selftests; see kvm_util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kvm_util.h"

const char *kt_dev_path(void)
{
	const char *p = getenv("KVM_DEV");

	return p && *p ? p : "/dev/kvm";
}

int kt_open_dev(void)
{
	int fd = open(kt_dev_path(), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kt_create_vm(int sys_fd)
{
	int fd = ioctl(sys_fd, KVM_CREATE_VM, 0);

	return fd < 0 ? -errno : fd;
}

void *kt_add_mem(int vm_fd, uint32_t slot, uint64_t gpa, size_t size)
{
	struct kvm_userspace_memory_region region;
	void *mem;
	int err;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return NULL;

	memset(&region, 0, sizeof(region));
	region.slot = slot;
	region.guest_phys_addr = gpa;
	region.memory_size = size;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		err = errno;
		munmap(mem, size);
		errno = err;
		return NULL;
	}
	return mem;
}

int kt_create_vcpu(int vm_fd, unsigned long id)
{
	int fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);

	return fd < 0 ? -errno : fd;
}

long kt_run_size(int sys_fd)
{
	int size = ioctl(sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	return size < 0 ? -errno : size;
}

struct kvm_run *kt_map_run(int vcpu_fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vcpu_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void kt_put_code(void *mem, uint64_t gpa, const void *code, size_t len)
{
	memcpy((uint8_t *)mem + gpa, code, len);
}

int kt_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	return ioctl(vcpu_fd, KVM_GET_REGS, regs) < 0 ? -errno : 0;
}

int kt_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return ioctl(vcpu_fd, KVM_SET_REGS, regs) < 0 ? -errno : 0;
}

int kt_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	return ioctl(vcpu_fd, KVM_GET_SREGS, sregs) < 0 ? -errno : 0;
}

int kt_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu_fd, KVM_SET_SREGS, sregs) < 0 ? -errno : 0;
}

static void real_mode_seg(struct kvm_segment *s, uint8_t type)
{
	s->base = 0;
	s->limit = 0xffff;
	s->selector = 0;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 0;
	s->s = 1;
	s->l = 0;
	s->g = 0;
	s->avl = 0;
	s->unusable = 0;
}

int kt_set_real_mode(int vcpu_fd, uint64_t rip)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r;

	r = kt_get_sregs(vcpu_fd, &sregs);
	if (r)
		return r;
	real_mode_seg(&sregs.cs, 0xb);	/* code, execute/read, accessed */
	real_mode_seg(&sregs.ds, 0x3);	/* data, read/write, accessed */
	real_mode_seg(&sregs.es, 0x3);
	real_mode_seg(&sregs.fs, 0x3);
	real_mode_seg(&sregs.gs, 0x3);
	real_mode_seg(&sregs.ss, 0x3);
	r = kt_set_sregs(vcpu_fd, &sregs);
	if (r)
		return r;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = KT_STACK_GPA;
	regs.rflags = 0x2;	/* bit 1 is reserved and always set */
	return kt_set_regs(vcpu_fd, &regs);
}

int kt_run(int vcpu_fd, struct kvm_run *run)
{
	if (ioctl(vcpu_fd, KVM_RUN, 0) < 0)
		return -errno;
	return run->exit_reason;
}

const char *kt_exit_name(uint32_t reason)
{
	static const char * const names[] = {
		[KVM_EXIT_UNKNOWN] = "UNKNOWN",
		[KVM_EXIT_EXCEPTION] = "EXCEPTION",
		[KVM_EXIT_IO] = "IO",
		[KVM_EXIT_HYPERCALL] = "HYPERCALL",
		[KVM_EXIT_DEBUG] = "DEBUG",
		[KVM_EXIT_HLT] = "HLT",
		[KVM_EXIT_MMIO] = "MMIO",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[KVM_EXIT_SHUTDOWN] = "SHUTDOWN",
		[KVM_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[KVM_EXIT_INTR] = "INTR",
		[KVM_EXIT_SET_TPR] = "SET_TPR",
		[KVM_EXIT_TPR_ACCESS] = "TPR_ACCESS",
		[KVM_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[KVM_EXIT_SYSTEM_EVENT] = "SYSTEM_EVENT",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "?";
}

void kt_guest_destroy(struct kt_guest *g)
{
	if (g->run)
		munmap(g->run, g->run_size);
	if (g->vcpu_fd >= 0)
		close(g->vcpu_fd);
	if (g->vm_fd >= 0)
		close(g->vm_fd);
	if (g->mem)
		munmap(g->mem, KT_MEM_SIZE);
	if (g->sys_fd >= 0)
		close(g->sys_fd);
	g->run = NULL;
	g->mem = NULL;
	g->vcpu_fd = g->vm_fd = g->sys_fd = -1;
}

int kt_guest_create(struct kt_guest *g, const void *code, size_t len)
{
	const char *step;
	long size;
	int r;

	memset(g, 0, sizeof(*g));
	g->sys_fd = g->vm_fd = g->vcpu_fd = -1;

	step = "open device";
	r = kt_open_dev();
	if (r < 0)
		goto fail;
	g->sys_fd = r;

	step = "KVM_CREATE_VM";
	r = kt_create_vm(g->sys_fd);
	if (r < 0)
		goto fail;
	g->vm_fd = r;

	step = "KVM_SET_USER_MEMORY_REGION";
	g->mem = kt_add_mem(g->vm_fd, 0, 0, KT_MEM_SIZE);
	if (!g->mem) {
		r = -errno;
		goto fail;
	}

	step = "KVM_CREATE_VCPU";
	r = kt_create_vcpu(g->vm_fd, 0);
	if (r < 0)
		goto fail;
	g->vcpu_fd = r;

	step = "KVM_GET_VCPU_MMAP_SIZE";
	size = kt_run_size(g->sys_fd);
	if (size < 0) {
		r = size;
		goto fail;
	}
	g->run_size = size;

	step = "mmap kvm_run";
	g->run = kt_map_run(g->vcpu_fd, g->run_size);
	if (!g->run) {
		r = -errno;
		goto fail;
	}

	if (code)
		kt_put_code(g->mem, KT_CODE_GPA, code, len);

	step = "set real mode";
	r = kt_set_real_mode(g->vcpu_fd, KT_CODE_GPA);
	if (r)
		goto fail;
	return 0;

fail:
	fprintf(stderr, "# %s: %s (%s): %s\n", __func__, step, kt_dev_path(),
		strerror(-r));
	kt_guest_destroy(g);
	return r;
}
