// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU state beyond REGS/SREGS: KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2 /
 * KVM_GET_CPUID2 (applied to the guest's CPUID), KVM_GET_MSR_INDEX_LIST,
 * KVM_GET_MSRS / KVM_SET_MSRS, KVM_GET_FPU / KVM_SET_FPU (seen by the
 * guest) and KVM_TRANSLATE, with their error cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_SYSENTER_EIP	0x176
#define MSR_PAT			0x277

/* CPUID leaf 0, then EBX, EDX, ECX (the vendor string) out to port 0x10. */
KT_GUEST_CODE16(cpuid_vendor,
	"xor %eax, %eax\n\t"
	"xor %ecx, %ecx\n\t"
	"cpuid\n\t"
	"mov %ebx, %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov %edx, %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov %ecx, %eax\n\t"
	"out %eax, $0x10\n\t"
	"mov $0x40000123, %eax\n\t"
	"cpuid\n\t"
	"or %ebx, %eax\n\t"
	"or %ecx, %eax\n\t"
	"or %edx, %eax\n\t"
	"out %eax, $0x11\n\t"
	"hlt\n\t");

/* XMM0's low dword and MXCSR out to port 0x10 (needs CR4.OSFXSR). */
KT_GUEST_CODE16(fpu_show,
	"movd %xmm0, %eax\n\t"
	"out %eax, $0x10\n\t"
	"stmxcsr 0x2000\n\t"
	"mov 0x2000, %eax\n\t"
	"out %eax, $0x10\n\t"
	"hlt\n\t");

/* Expectations where kvmod deliberately differs from in-tree KVM 6.1. */
static bool is_kvmod(void)
{
	return access("/sys/module/kvmod", F_OK) == 0;
}

static struct kvm_cpuid2 *cpuid_alloc(int nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      nent * sizeof(struct kvm_cpuid_entry2));

	c->nent = nent;
	return c;
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, __u32 fn)
{
	__u32 i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static uint32_t out32(struct __test_metadata *_metadata, struct kt_guest *g,
		      uint16_t port)
{
	uint32_t v;

	EXPECT_EQ(KVM_EXIT_IO, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(port, g->run->io.port);
	EXPECT_EQ(4, g->run->io.size);
	memcpy(&v, kt_io_data(g->run), 4);
	return v;
}

FIXTURE(state) {
	struct kt_guest g;
};

FIXTURE_SETUP(state)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(state)
{
	kt_guest_destroy(&self->g);
}

TEST_F(state, supported_cpuid)
{
	struct kvm_cpuid2 *c = cpuid_alloc(1);
	struct kvm_cpuid_entry2 *e;
	__u32 i;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->g.sys_fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(E2BIG, errno);
	free(c);

	c = cpuid_alloc(256);
	ASSERT_EQ(0, ioctl(self->g.sys_fd, KVM_GET_SUPPORTED_CPUID, c));
	ASSERT_GT(c->nent, 2);
	ASSERT_LE(c->nent, 256);
	e = find_leaf(c, 0);
	ASSERT_NE(NULL, e);
	EXPECT_GE(e->eax, 1);
	e = find_leaf(c, 0x80000001);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->edx & (1u << 29));	/* long mode */
	/* kvmod offers no nested virtualization (in-tree KVM does). */
	if (is_kvmod())
		EXPECT_FALSE(e->ecx & (1u << 2));
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 7)
			EXPECT_TRUE(c->entries[i].flags &
				    KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	EXPECT_EQ(-1, ioctl(self->g.sys_fd, KVM_GET_SUPPORTED_CPUID,
			    (void *)8));
	free(c);
}

TEST_F(state, set_cpuid2_applies)
{
	struct kt_guest *g = &self->g;
	struct kvm_cpuid2 *c = cpuid_alloc(1), *back;

	c->entries[0] = (struct kvm_cpuid_entry2){
		.function = 0, .eax = 1,
		.ebx = 0x6f6d766b, .edx = 0x73657464, .ecx = 0x33323174,
	};
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_SET_CPUID2, c));

	/* nent is not written back (in-tree KVM 6.1's ABI). */
	back = cpuid_alloc(4);
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_GET_CPUID2, back));
	EXPECT_EQ(4, back->nent);
	EXPECT_EQ(0, back->entries[0].function);
	EXPECT_EQ(0x6f6d766b, back->entries[0].ebx);
	back->nent = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_GET_CPUID2, back));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, back->nent);

	kt_put_code(g->mem, KT_CODE_GPA, cpuid_vendor,
		    KT_CODE_LEN(cpuid_vendor));
	EXPECT_EQ(0x6f6d766b, out32(_metadata, g, 0x10));
	EXPECT_EQ(0x73657464, out32(_metadata, g, 0x10));
	EXPECT_EQ(0x33323174, out32(_metadata, g, 0x10));
	/* A leaf the table does not have reads as zeros. */
	EXPECT_EQ(0, out32(_metadata, g, 0x11));
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(g->vcpu_fd, g->run));

	free(c);
	c = cpuid_alloc(100000);
	errno = 0;
	EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_SET_CPUID2, c));
	EXPECT_EQ(E2BIG, errno);
	free(c);
	free(back);
}

TEST_F(state, msr_index_list)
{
	struct kvm_msr_list *l = calloc(1, sizeof(*l) + 1024 * sizeof(__u32));
	__u32 i, n;
	bool lstar = false, star = false;

	l->nmsrs = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->g.sys_fd, KVM_GET_MSR_INDEX_LIST, l));
	EXPECT_EQ(E2BIG, errno);
	n = l->nmsrs;
	ASSERT_GT(n, 0);
	ASSERT_LE(n, 1024);
	l->nmsrs = 1024;
	ASSERT_EQ(0, ioctl(self->g.sys_fd, KVM_GET_MSR_INDEX_LIST, l));
	EXPECT_EQ(n, l->nmsrs);
	for (i = 0; i < l->nmsrs; i++) {
		lstar |= l->indices[i] == MSR_LSTAR;
		star |= l->indices[i] == MSR_STAR;
	}
	EXPECT_TRUE(lstar);
	EXPECT_TRUE(star);
	free(l);
}

TEST_F(state, msrs_round_trip)
{
	static const struct { __u32 index; __u64 data; } set[] = {
		{ MSR_STAR, 0x0023001000000000ULL },
		{ MSR_LSTAR, 0xffffffff81000000ULL },
		{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
		{ MSR_SYSENTER_EIP, 0x1234 },
		{ MSR_PAT, 0x0007040600070406ULL },
	};
	int n = sizeof(set) / sizeof(set[0]), i;
	struct kvm_msrs *m = calloc(1, sizeof(*m) +
				    (n + 1) * sizeof(struct kvm_msr_entry));

	m->nmsrs = n;
	for (i = 0; i < n; i++) {
		m->entries[i].index = set[i].index;
		m->entries[i].data = set[i].data;
	}
	ASSERT_EQ(n, ioctl(self->g.vcpu_fd, KVM_SET_MSRS, m));
	for (i = 0; i < n; i++)
		m->entries[i].data = 0;
	ASSERT_EQ(n, ioctl(self->g.vcpu_fd, KVM_GET_MSRS, m));
	for (i = 0; i < n; i++)
		EXPECT_EQ(set[i].data, m->entries[i].data);

	/* Processing stops at an MSR that does not exist. */
	m->nmsrs = 2;
	m->entries[0].index = MSR_STAR;
	m->entries[1].index = 0xdeadbeef;
	EXPECT_EQ(1, ioctl(self->g.vcpu_fd, KVM_GET_MSRS, m));
	/* A non-canonical LSTAR is refused. */
	m->nmsrs = 1;
	m->entries[0].index = MSR_LSTAR;
	m->entries[0].data = 0x8000000000000000ULL;
	EXPECT_EQ(0, ioctl(self->g.vcpu_fd, KVM_SET_MSRS, m));
	m->nmsrs = 100000;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->g.vcpu_fd, KVM_GET_MSRS, m));
	EXPECT_EQ(E2BIG, errno);
	free(m);
}

TEST_F(state, fpu_reaches_guest)
{
	struct kt_guest *g = &self->g;
	struct kvm_fpu fpu, back;
	struct kvm_sregs sregs;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80 | 0x6000;	/* round toward zero */
	fpu.xmm[0][0] = 0x78;
	fpu.xmm[0][1] = 0x56;
	fpu.xmm[0][2] = 0x34;
	fpu.xmm[0][3] = 0x12;
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_SET_FPU, &fpu));
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_GET_FPU, &back));
	/* In-tree KVM 6.1 ignores mxcsr in KVM_SET/GET_FPU; kvmod does not. */
	if (is_kvmod())
		EXPECT_EQ(fpu.mxcsr, back.mxcsr);
	EXPECT_EQ(fpu.fcw, back.fcw);
	EXPECT_EQ(0, memcmp(fpu.xmm, back.xmm, sizeof(fpu.xmm)));

	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &sregs));
	sregs.cr4 |= 1 << 9;		/* OSFXSR */
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &sregs));
	kt_put_code(g->mem, KT_CODE_GPA, fpu_show, KT_CODE_LEN(fpu_show));
	EXPECT_EQ(0x12345678, out32(_metadata, g, 0x10));
	EXPECT_EQ(is_kvmod() ? 0x7f80 : 0x1f80, out32(_metadata, g, 0x10));
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_GET_FPU, (void *)8));
	EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_SET_FPU, (void *)8));
	/* kvmod refuses MXCSR bits the CPU lacks (in-tree ignores mxcsr). */
	if (is_kvmod()) {
		fpu.mxcsr = 0xffffffff;
		errno = 0;
		EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_SET_FPU, &fpu));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(state, translate)
{
	struct kt_guest *g = &self->g;
	struct kvm_translation tr = { .linear_address = 0x1234 };
	struct kvm_sregs sregs;
	uint32_t *pd = (uint32_t *)(g->mem + 0x3000);
	uint32_t *pt = (uint32_t *)(g->mem + 0x4000);

	/* Paging off: identity. */
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_TRANSLATE, &tr));
	EXPECT_EQ(1, tr.valid);
	EXPECT_EQ(0x1234, tr.physical_address);

	/* 32-bit paging: linear 0x400000 -> 0x5000; 0x401000 unmapped. */
	memset(pd, 0, 4096);
	memset(pt, 0, 4096);
	pd[1] = 0x4000 | 3;
	pt[0] = 0x5000 | 3;
	ASSERT_EQ(0, kt_get_sregs(g->vcpu_fd, &sregs));
	sregs.cr3 = 0x3000;
	sregs.cr0 |= 0x80000001;	/* PG, PE */
	ASSERT_EQ(0, kt_set_sregs(g->vcpu_fd, &sregs));
	tr.linear_address = 0x400abc;
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_TRANSLATE, &tr));
	EXPECT_EQ(1, tr.valid);
	EXPECT_EQ(0x5abc, tr.physical_address);
	tr.linear_address = 0x401000;
	ASSERT_EQ(0, ioctl(g->vcpu_fd, KVM_TRANSLATE, &tr));
	EXPECT_EQ(0, tr.valid);
	EXPECT_EQ(-1, ioctl(g->vcpu_fd, KVM_TRANSLATE, (void *)8));
}

TEST_HARNESS_MAIN
