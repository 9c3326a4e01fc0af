// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's extended state: KVM_GET/SET_XSAVE, KVM_GET_XSAVE2,
 * KVM_GET/SET_XCRS with good and bad arguments; XSETBV in the guest
 * (valid values take effect in the CPU, XGETBV reads them back and AVX
 * faults without XCR0.YMM; invalid ones are #GP); CPUID.1:ECX.OSXSAVE
 * and CPUID.0xD.0:EBX following CR4 and XCR0; an XSAVE image taken and
 * changed while the guest holds live SSE/AVX state in YMM15, which the
 * guest then reads; KVM_SET_SREGS refusing CR4.OSXSAVE without XSAVE in
 * the vCPU's CPUID (or the host), and KVM_SET_CPUID2 refusing a new
 * model after KVM_RUN.
 *
 * The AVX parts need AVX in the test VM's CPU (tools/testvm gives QEMU
 * "+xsave,+avx"); without it the round trip uses the SSE half (XMM15)
 * only and the XSETBV parts are skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define CR4_OSXSAVE	(1ULL << 18)
#define XF_FP		1ULL
#define XF_SSE		2ULL
#define XF_YMM		4ULL

/* Offsets in the (non-compacted) XSAVE image. */
#define XS_MXCSR	24
#define XS_XMM(n)	(160 + 16 * (n))
#define XS_XSTATE_BV	512
#define XS_YMMH(n)	(576 + 16 * (n))

#define NR_GP_TESTS	4

static uint8_t pat_a[32] __attribute__((aligned(32)));
static uint8_t out[32] __attribute__((aligned(32)));
static volatile uint64_t gp_count;
static volatile uint64_t ud_count;
static volatile uint64_t use_avx;
static volatile uint64_t xsetbv_exits;

extern const char avx_ud_insn[], avx_ud_after[];

static void gp_handler(struct kg_frame *f)
{
	gp_count++;
	f->rip += 3;		/* XSETBV: 0f 01 d1 */
}

static void ud_handler(struct kg_frame *f)
{
	GUEST_ASSERT_EQ(f->rip, (uint64_t)avx_ud_insn);
	ud_count++;
	f->rip = (uint64_t)avx_ud_after;
}

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static inline void xsetbv(uint32_t index, uint64_t v)
{
	asm volatile("xsetbv" :: "c"(index), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}

static uint32_t cpuid_reg(uint32_t leaf, uint32_t sub, int reg)
{
	uint32_t r[4];

	kg_cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
	return r[reg];
}

static void guest_xsave(void)
{
	uint64_t cr4, full = XF_FP | XF_SSE;

	GUEST_ASSERT(!(cpuid_reg(1, 0, KG_ECX) & (1U << 27)));
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" :: "r"(cr4 | CR4_OSXSAVE));
	/* OSXSAVE in CPUID follows CR4; XCR0 is its reset value. */
	GUEST_ASSERT(cpuid_reg(1, 0, KG_ECX) & (1U << 27));
	GUEST_ASSERT_EQ(xgetbv0(), XF_FP);
	GUEST_ASSERT_EQ(cpuid_reg(0xd, 0, KG_EBX), 576);

	xsetbv(0, XF_FP | XF_SSE);
	/* The host looks whether the hypervisor saw it (KVM_GET_XCRS). */
	GUEST_SYNC(10);
	if (use_avx)
		full |= XF_YMM;
	if (!xsetbv_exits) {
		/* The host gave the vCPU the full XCR0 with KVM_SET_XCRS. */
		GUEST_ASSERT_EQ(xgetbv0(), full);
	} else {
		GUEST_ASSERT_EQ(xgetbv0(), XF_FP | XF_SSE);
		GUEST_ASSERT_EQ(cpuid_reg(0xd, 0, KG_EBX), 576);
	}
	if (use_avx && xsetbv_exits) {
		/* AVX with XCR0.YMM clear is #UD: XCR0 is the guest's. */
		asm volatile("avx_ud_insn: vmovdqu %0, %%ymm15\n\t"
			     "avx_ud_after:" :: "m"(pat_a) : "memory");
		GUEST_ASSERT_EQ(ud_count, 1);
		xsetbv(0, full);
		GUEST_ASSERT_EQ(xgetbv0(), full);
		GUEST_ASSERT_EQ(cpuid_reg(0xd, 0, KG_EBX), 832);
	}
	/* No x87, YMM without SSE, XCR1, a reserved bit: #GP each. */
	xsetbv(0, XF_SSE);
	xsetbv(0, XF_FP | XF_YMM);
	xsetbv(1, XF_FP);
	xsetbv(0, full | (1ULL << 62));
	GUEST_ASSERT_EQ(gp_count, NR_GP_TESTS);
	GUEST_ASSERT_EQ(xgetbv0(), full);

	/* Live state across the host's GET/SET_XSAVE. */
	if (use_avx) {
		asm volatile("vmovdqu %0, %%ymm15" :: "m"(pat_a));
		GUEST_SYNC(1);
		asm volatile("vmovdqu %%ymm15, %0" : "=m"(out));
	} else {
		asm volatile("movdqu %0, %%xmm15" :: "m"(pat_a));
		GUEST_SYNC(1);
		asm volatile("movdqu %%xmm15, %0" : "=m"(out));
	}
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* Does the CPU this runs on (the test VM's) have AVX enabled by the OS? */
static bool host_avx(void)
{
	uint32_t a, b, c, d, lo, hi;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(1), "c"(0));
	if (!(c & (1U << 27)) || !(c & (1U << 28)))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

static bool host_xsave(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
			 : "a"(1), "c"(0));
	return c & (1U << 27);
}

FIXTURE(xsave) {
	struct kg_vm vm;
};

FIXTURE_SETUP(xsave)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
}

FIXTURE_TEARDOWN(xsave)
{
	kg_vm_destroy(&self->vm);
}

TEST_F(xsave, caps)
{
	int fd = self->vm.sys_fd;

	EXPECT_EQ(1, kt_check_cap(fd, KVM_CAP_XSAVE));
	EXPECT_EQ(host_xsave() ? 1 : 0, kt_check_cap(fd, KVM_CAP_XCRS));
	EXPECT_LE((int)sizeof(struct kvm_xsave),
		  kt_check_cap(fd, KVM_CAP_XSAVE2));
	EXPECT_LE((int)sizeof(struct kvm_xsave),
		  kt_check_cap(self->vm.vm_fd, KVM_CAP_XSAVE2));
}

TEST_F(xsave, bad_arguments)
{
	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	struct kvm_xcrs xcrs;
	int vfd;

	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	vfd = self->vm.v[0].fd;
	ASSERT_NE(NULL, xs);

	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_GET_XSAVE, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_SET_XSAVE, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_GET_XSAVE2, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_GET_XCRS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(vfd, KVM_SET_XCRS, 8));

	ASSERT_EQ(0, ioctl(vfd, KVM_GET_XSAVE, xs));
	EXPECT_EQ(0, kt_ioctl_errno(vfd, KVM_SET_XSAVE, (unsigned long)xs));
	/* A component no host offers (bit 62), an MXCSR reserved bit. */
	*(uint64_t *)((uint8_t *)xs->region + XS_XSTATE_BV) |= 1ULL << 62;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XSAVE,
					 (unsigned long)xs));
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_XSAVE, xs));
	/* With SSE state present, its MXCSR is checked. */
	*(uint64_t *)((uint8_t *)xs->region + XS_XSTATE_BV) |= XF_SSE;
	xs->region[XS_MXCSR / 4] |= 1U << 31;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XSAVE,
					 (unsigned long)xs));

	memset(&xcrs, 0, sizeof(xcrs));
	if (!host_xsave()) {
		EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
						 (unsigned long)&xcrs));
		ASSERT_EQ(0, ioctl(vfd, KVM_GET_XCRS, &xcrs));
		EXPECT_EQ(0, xcrs.nr_xcrs);
		free(xs);
		return;
	}
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_XCRS, &xcrs));
	EXPECT_EQ(1, xcrs.nr_xcrs);
	EXPECT_EQ(0, xcrs.xcrs[0].xcr);
	EXPECT_EQ(XF_FP, xcrs.xcrs[0].value);

	xcrs.nr_xcrs = 1;
	xcrs.flags = 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
					 (unsigned long)&xcrs));
	xcrs.flags = 0;
	xcrs.nr_xcrs = KVM_MAX_XCRS + 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
					 (unsigned long)&xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].value = 0;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
					 (unsigned long)&xcrs));
	xcrs.xcrs[0].value = XF_FP | XF_YMM;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
					 (unsigned long)&xcrs));
	xcrs.xcrs[0].value = XF_FP | XF_SSE | (1ULL << 62);
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_XCRS,
					 (unsigned long)&xcrs));
	xcrs.xcrs[0].value = XF_FP | XF_SSE;
	EXPECT_EQ(0, kt_ioctl_errno(vfd, KVM_SET_XCRS,
				    (unsigned long)&xcrs));
	memset(&xcrs, 0, sizeof(xcrs));
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_XCRS, &xcrs));
	EXPECT_EQ(XF_FP | XF_SSE, xcrs.xcrs[0].value);
	free(xs);
}

static void set_xcr0(struct __test_metadata *_metadata, int vfd, uint64_t v)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].value = v;
	ASSERT_EQ(0, ioctl(vfd, KVM_SET_XCRS, &xcrs));
}

/* The guest's XSETBVs, then its YMM15 changed under it. */
TEST_F(xsave, guest_state_round_trip)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_xsave *xs = calloc(1, sizeof(*xs));
	uint8_t *img = (uint8_t *)xs->region, want[32];
	struct kvm_xcrs xcrs;
	uint8_t *xs2;
	int i, size2;

	if (!host_xsave())
		SKIP(return, "no XSAVE in the test VM's CPU");
	ASSERT_EQ(0, kg_vcpu_add(vm, 0, guest_xsave));
	if (!kg_cpuid_has(vm, 1, KG_ECX, 26))
		SKIP(return, "XSAVE not in the supported CPUID");
	use_avx = host_avx() && kg_cpuid_has(vm, 1, KG_ECX, 28);
	if (!use_avx)
		TH_LOG("no AVX: the round trip checks XMM15 only");
	KG_GUEST(vm, use_avx) = use_avx;
	for (i = 0; i < 32; i++) {
		KG_GUEST(vm, pat_a[i]) = 0xa0 + i;
		want[i] = 0x50 + 3 * i;
	}
	kg_set_handler(vm, 13, gp_handler);
	kg_set_handler(vm, 6, ud_handler);
	KG_ASSERT_SYNC(vm, 0, 10);
	/*
	 * QEMU's TCG does not make XSETBV exit from an SVM guest: it loads
	 * XCR0 itself, and kvm-amd and kvmod-amd alike never see it (and
	 * load their own copy at the next entry, after any exit). Then the
	 * host sets the XCR0 the rest of the test needs, and only what the
	 * CPU does (#GP) is checked of XSETBV.
	 */
	memset(&xcrs, 0, sizeof(xcrs));
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_XCRS, &xcrs));
	xsetbv_exits = xcrs.xcrs[0].value == (XF_FP | XF_SSE);
	if (!xsetbv_exits) {
		TH_LOG("XSETBV did not exit to the hypervisor (QEMU TCG SVM?)");
		set_xcr0(_metadata, vm->v[0].fd, use_avx ? 7 : 3);
	}
	KG_GUEST(vm, xsetbv_exits) = xsetbv_exits;
	KG_ASSERT_SYNC(vm, 0, 1);
	memset(&xcrs, 0, sizeof(xcrs));
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_XCRS, &xcrs));
	EXPECT_EQ(use_avx ? 7 : 3, xcrs.xcrs[0].value);

	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_XSAVE, xs));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0xa0 + i, img[XS_XMM(15) + i]);
	if (use_avx) {
		EXPECT_TRUE(*(uint64_t *)(img + XS_XSTATE_BV) & XF_YMM);
		for (i = 0; i < 16; i++)
			EXPECT_EQ(0xa0 + 16 + i, img[XS_YMMH(15) + i]);
	}
	/* KVM_GET_XSAVE2 gives the same image in the larger buffer. */
	size2 = kt_check_cap(vm->vm_fd, KVM_CAP_XSAVE2);
	ASSERT_LE((int)sizeof(*xs), size2);
	xs2 = calloc(1, size2);
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_XSAVE2, xs2));
	EXPECT_EQ(0, memcmp(xs2, xs, sizeof(*xs)));
	free(xs2);

	memcpy(img + XS_XMM(15), want, 16);
	if (use_avx)
		memcpy(img + XS_YMMH(15), want + 16, 16);
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_SET_XSAVE, xs));
	KG_ASSERT_SYNC(vm, 0, 2);
	for (i = 0; i < (use_avx ? 32 : 16); i++)
		EXPECT_EQ(want[i], KG_GUEST(vm, out[i]));
	KG_ASSERT_DONE(vm, 0);
	free(xs);
}

static void clear_cpuid_bit(struct kvm_cpuid2 *c, uint32_t leaf, int reg,
			    int bit)
{
	struct kvm_cpuid_entry2 *e = kt_cpuid_find(c, leaf, 0);

	if (!e)
		return;
	if (reg == KG_EBX)
		e->ebx &= ~(1U << bit);
	else
		e->ecx &= ~(1U << bit);
}

/* KVM_SET_SREGS: CR4 bits as the vCPU's CPUID (and the host) allow. */
TEST_F(xsave, sregs_cr4_follows_cpuid)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid2 *c;
	struct kvm_sregs s;
	size_t size;
	int vfd;

	ASSERT_EQ(0, kg_vcpu_create(vm, 0));
	vfd = vm->v[0].fd;
	ASSERT_EQ(0, ioctl(vfd, KVM_GET_SREGS, &s));
	/* Bits no vCPU here has: 5-level paging (LA57), bit 63. */
	s.cr4 |= 1ULL << 12;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_SREGS,
					 (unsigned long)&s));
	s.cr4 &= ~(1ULL << 12);
	s.cr4 |= 1ULL << 63;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_SREGS,
					 (unsigned long)&s));
	s.cr4 &= ~(1ULL << 63);

	s.cr4 |= CR4_OSXSAVE;
	EXPECT_EQ(host_xsave() && kg_cpuid_has(vm, 1, KG_ECX, 26) ? 0 :
		  EINVAL, kt_ioctl_errno(vfd, KVM_SET_SREGS,
					 (unsigned long)&s));

	/* Without XSAVE (and SMEP) in the vCPU's CPUID: refused. */
	size = sizeof(*c) + vm->cpuid->nent * sizeof(c->entries[0]);
	c = malloc(size);
	ASSERT_NE(NULL, c);
	memcpy(c, vm->cpuid, size);
	clear_cpuid_bit(c, 1, KG_ECX, 26);
	clear_cpuid_bit(c, 1, KG_ECX, 27);
	clear_cpuid_bit(c, 7, KG_EBX, 7);
	ASSERT_EQ(0, kt_set_cpuid(vfd, c));
	/*
	 * As KVM: a new CPUID before KVM_RUN leaves CR4 as it is (after
	 * KVM_RUN only the same CPUID is accepted: cpuid_fixed_after_run).
	 */
	if (host_xsave() && kg_cpuid_has(vm, 1, KG_ECX, 26)) {
		struct kvm_sregs now;

		ASSERT_EQ(0, ioctl(vfd, KVM_GET_SREGS, &now));
		EXPECT_EQ(CR4_OSXSAVE, now.cr4 & CR4_OSXSAVE);
	}
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_SREGS,
					 (unsigned long)&s));
	s.cr4 &= ~CR4_OSXSAVE;
	s.cr4 |= 1ULL << 20;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(vfd, KVM_SET_SREGS,
					 (unsigned long)&s));
	s.cr4 &= ~(1ULL << 20);
	EXPECT_EQ(0, kt_ioctl_errno(vfd, KVM_SET_SREGS, (unsigned long)&s));
	free(c);
}

static void guest_done(void)
{
	GUEST_DONE();
}

/* After KVM_RUN, KVM_SET_CPUID2 takes only the same table again. */
TEST_F(xsave, cpuid_fixed_after_run)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_cpuid2 *c;
	size_t size;

	ASSERT_EQ(0, kg_vcpu_add(vm, 0, guest_done));
	size = sizeof(*c) + vm->cpuid->nent * sizeof(c->entries[0]);
	c = malloc(size);
	ASSERT_NE(NULL, c);
	memcpy(c, vm->cpuid, size);
	/* Before running: any table. */
	clear_cpuid_bit(c, 1, KG_ECX, 26);
	ASSERT_EQ(0, kt_set_cpuid(vm->v[0].fd, c));
	ASSERT_EQ(0, kt_set_cpuid(vm->v[0].fd, vm->cpuid));
	KG_ASSERT_DONE(vm, 0);
	EXPECT_EQ(0, kt_set_cpuid(vm->v[0].fd, vm->cpuid));
	c->entries[0].eax ^= 1;
	EXPECT_EQ(-EINVAL, kt_set_cpuid(vm->v[0].fd, c));
	free(c);
}

TEST_HARNESS_MAIN
