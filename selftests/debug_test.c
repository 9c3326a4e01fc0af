// SPDX-License-Identifier: GPL-2.0
/*
 * Debug registers and guest debugging: KVM_GET/SET_DEBUGREGS (round trip,
 * what the guest sees, fixed bits, bad arguments), the guest's own
 * hardware watchpoint and instruction breakpoint reaching its #DB handler
 * with the right DR6, its own RFLAGS.TF over an instruction that exits,
 * KVM_SET_GUEST_DEBUG single-stepping (over CPUID too, and with
 * KVM_GUESTDBG_BLOCKIRQ), INT3 with and without KVM_GUESTDBG_USE_SW_BP,
 * userspace's hardware breakpoints (KVM_GUESTDBG_USE_HW_BP, DR7.GD),
 * KVM_GUESTDBG_INJECT_DB, bad control flags, and the debug registers
 * saved mid-run and restored into a new VM, where the guest's watchpoint
 * still fires. What the AMD test bed cannot do: see tcg_svm().
 */
#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "guest.h"

#define DB_VEC		1
#define BP_VEC		3
#define GP_VEC		13

#define DR6_INIT	0xffff0ff0ULL	/* no condition reported */
#define DR6_BD		(1ULL << 13)
#define DR6_BS		(1ULL << 14)
#define DR7_INIT	0x400ULL
#define DR7_GD		(1ULL << 13)
#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_IF	(1ULL << 9)
#define RFLAGS_RF	(1ULL << 16)

/* DR7 bits of breakpoint @n: local/global enable, R/W and LEN fields. */
#define DR7_L(n)	(1ULL << (2 * (n)))
#define DR7_G(n)	(1ULL << (2 * (n) + 1))
#define DR7_RW(n, v)	((uint64_t)(v) << (16 + 4 * (n)))
#define DR7_LEN(n, v)	((uint64_t)(v) << (18 + 4 * (n)))
#define DR7_WRITE	1
#define DR7_LEN4	3

/* A 4-byte write watchpoint in slot @n. */
#define DR7_WATCH(n)	(DR7_L(n) | DR7_RW(n, DR7_WRITE) | DR7_LEN(n, DR7_LEN4))

#define KVM_GUESTDBG_ALL	0x001f0003U

#define GET_DR(n)							\
	({								\
		uint64_t __v;						\
		asm volatile("mov %%dr" #n ", %0" : "=r"(__v));		\
		__v;							\
	})
#define SET_DR(n, v)							\
	do {								\
		uint64_t __v = (uint64_t)(v);				\
		asm volatile("mov %0, %%dr" #n :: "r"(__v) : "memory");	\
	} while (0)

/* ---- guest ---- */

static volatile uint32_t wp_var;
static volatile uint32_t other_var;
static volatile uint64_t db_count, db_dr6, db_rip;
static volatile uint64_t bp_count, bp_rip;
static volatile uint64_t gp_count;

extern const char wp_after[], ibp_insn[], sw_bp1[], sw_bp2[], sw_bp2_after[];
extern const char hw_bp[], hw_wp_after[], gd_insn[], mig_after[];
extern const char ss_code[], ss_1[], ss_2[], ss_3[], ss_4[], ss_5[];
extern const char ss_6[], ss_7[], ss_8[], ss_9[], ss_10[], tf_after[];

/*
 * The guest's #DB handler: counts, keeps DR6 and where the guest was,
 * clears DR6's conditions and sets RF (an instruction breakpoint would
 * fault again otherwise). A runaway breakpoint is disarmed.
 */
static void db_handler(struct kg_frame *f)
{
	db_count++;
	db_dr6 = GET_DR(6);
	db_rip = f->rip;
	SET_DR(6, 0);
	f->rflags |= RFLAGS_RF;
	f->rflags &= ~RFLAGS_TF;
	if (db_count > 8)
		SET_DR(7, 0);
}

static void bp_handler(struct kg_frame *f)
{
	bp_count++;
	bp_rip = f->rip;
}

/* #GP from MOV DR: skip the 3-byte MOV. */
static void gp_skip_mov_dr(struct kg_frame *f)
{
	gp_count++;
	f->rip += 3;
}

static __attribute__((noinline, noclone)) void write_wp_var(uint32_t v)
{
	asm volatile("movl %1, %0\n"
		     ".globl wp_after\n"
		     "wp_after:"
		     : "=m"(wp_var) : "r"(v) : "memory");
}

/* What the guest sees of KVM_SET_DEBUGREGS, and its own writes. */
static void guest_dr_values(void)
{
	GUEST_SYNC(GET_DR(0));
	GUEST_SYNC(GET_DR(1));
	GUEST_SYNC(GET_DR(2));
	GUEST_SYNC(GET_DR(3));
	GUEST_SYNC(GET_DR(6));
	GUEST_SYNC(GET_DR(7));
	/* CR4.DE is clear: DR4 and DR5 are DR6 and DR7. */
	GUEST_ASSERT_EQ(GET_DR(4), GET_DR(6));
	GUEST_ASSERT_EQ(GET_DR(5), GET_DR(7));
	/* Fixed bits: DR6 reads its reserved bits as one, DR7 bit 10. */
	SET_DR(6, 0);
	SET_DR(7, 0);
	GUEST_SYNC(GET_DR(6));
	GUEST_SYNC(GET_DR(7));
	/* Bits 63:32 of DR6/DR7: #GP (3-byte MOVs), nothing written. */
	asm volatile("mov %0, %%dr7" :: "a"(1ULL << 32) : "memory");
	asm volatile("mov %0, %%dr6" :: "a"(1ULL << 40) : "memory");
	GUEST_SYNC(gp_count);
	GUEST_SYNC(GET_DR(7));
	/* Something for the host to read back (nothing armed). */
	SET_DR(1, 0x1234000ULL);
	SET_DR(7, DR7_INIT | DR7_RW(1, 3) | DR7_LEN(1, 1));
	GUEST_SYNC(2);
}

/* The guest's own watchpoint and instruction breakpoint. */
static void guest_own_breakpoints(void)
{
	SET_DR(0, &wp_var);
	SET_DR(7, DR7_INIT | DR7_WATCH(0));
	other_var = 1;			/* not watched */
	(void)wp_var;			/* a read: not watched */
	GUEST_SYNC(db_count);
	write_wp_var(5);
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_dr6);
	GUEST_SYNC(db_rip);
	GUEST_SYNC(GET_DR(6));		/* the handler cleared it */

	/* An instruction breakpoint: a fault, at the instruction. */
	SET_DR(1, ibp_insn);
	SET_DR(7, DR7_INIT | DR7_L(1));
	asm volatile(".globl ibp_insn\n"
		     "ibp_insn: nop" ::: "memory");
	SET_DR(7, DR7_INIT);
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_dr6);
	GUEST_SYNC(db_rip);
}

/*
 * Steps: nop; mov; add; lea; jmp; xchg; mov; mov; xor; cpuid (ss_1 ...
 * ss_10: CPUID exits, and is emulated), then reports.
 */
void ss_report(uint64_t eax, uint64_t ecx);

void ss_report(uint64_t eax, uint64_t ecx)
{
	GUEST_ASSERT_EQ(eax, 5);
	GUEST_ASSERT_EQ(ecx, 2);
	GUEST_ASSERT_EQ(kg_rflags() & RFLAGS_TF, 0);
	GUEST_SYNC(db_count);
	GUEST_DONE();
}

asm(".pushsection .text\n"
	".globl ss_code\n"
	"ss_code:\n\t"
	"nop\n"
	".globl ss_1\n"
	"ss_1:\n\t"
	"mov $1, %eax\n"
	".globl ss_2\n"
	"ss_2:\n\t"
	"add %eax, %eax\n"
	".globl ss_3\n"
	"ss_3:\n\t"
	"lea 3(%rax), %ecx\n"
	".globl ss_4\n"
	"ss_4:\n\t"
	"jmp ss_5\n\t"
	"ud2\n"
	".globl ss_5\n"
	"ss_5:\n\t"
	"xchg %eax, %ecx\n"
	".globl ss_6\n"
	"ss_6:\n\t"
	"mov %rax, %rdi\n"
	".globl ss_7\n"
	"ss_7:\n\t"
	"mov %rcx, %rsi\n"
	".globl ss_8\n"
	"ss_8:\n\t"
	"xor %eax, %eax\n"
	".globl ss_9\n"
	"ss_9:\n\t"
	"cpuid\n"
	".globl ss_10\n"
	"ss_10:\n\t"
	"and $-16, %rsp\n\t"
	"call ss_report\n\t"
	"ud2\n"
	".popsection");

/*
 * The guest's own TF over CPUID, which exits: its #DB comes after the
 * CPUID, with DR6.BS.
 */
static void guest_own_tf(void)
{
	uint32_t a, b, c, d;

	asm volatile("pushf\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popf\n\t"
		     "cpuid\n"
		     ".globl tf_after\n"
		     "tf_after:\n\t"
		     : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0)
		     : "memory");
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_dr6);
	GUEST_SYNC(db_rip);
	GUEST_SYNC(kg_rflags() & RFLAGS_TF);
}

/*
 * Maps the page of ss_code (and the page tables on the way) before the
 * stepping starts: Bochs's VMX leaves a single-step #DB pending after an
 * EPT violation on an instruction fetch with RFLAGS.TF set, the
 * instruction not executed (in-tree kvm-intel meets it too).
 */
static void guest_ss_prefault(void)
{
	GUEST_SYNC(*(volatile const uint8_t *)ss_code);
	GUEST_ABORT("not moved to ss_code", 0, 0);
}

/* INT3 under KVM_GUESTDBG_USE_SW_BP, then without; its own #DB. */
static void guest_sw_bp(void)
{
	SET_DR(0, &wp_var);
	SET_DR(7, DR7_INIT | DR7_WATCH(0));
	write_wp_var(1);		/* the guest's own #DB */
	asm volatile(".globl sw_bp1\n"
		     "sw_bp1: int3" ::: "memory");
	GUEST_SYNC(bp_count);
	GUEST_SYNC(db_count);
	asm volatile(".globl sw_bp2\n"
		     "sw_bp2: int3\n"
		     ".globl sw_bp2_after\n"
		     "sw_bp2_after:" ::: "memory");
	GUEST_SYNC(bp_count);
	GUEST_SYNC(bp_rip);
}

/* Userspace's breakpoints replace the guest's own meanwhile. */
static void guest_hw_bp(void)
{
	SET_DR(3, &other_var);
	SET_DR(7, DR7_INIT | DR7_WATCH(3));
	GUEST_SYNC(1);
	asm volatile(".globl hw_bp\n"
		     "hw_bp: nop" ::: "memory");
	asm volatile("movl $7, %0\n"
		     ".globl hw_wp_after\n"
		     "hw_wp_after:"
		     : "=m"(wp_var) :: "memory");
	GUEST_SYNC(GET_DR(7));
	GUEST_SYNC(GET_DR(3));
	GUEST_SYNC(db_count);
	/* Its own watchpoint works again. */
	other_var = 3;
	SET_DR(7, DR7_INIT);
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_dr6);
}

static void guest_general_detect(void)
{
	GUEST_SYNC(1);
	asm volatile(".globl gd_insn\n"
		     "gd_insn: mov %%dr0, %%rax" ::: "rax");
	GUEST_SYNC(2);
}

/* A watchpoint armed before a migration fires after it. */
static void guest_migrate(void)
{
	SET_DR(0, &wp_var);
	SET_DR(2, 0x5000);
	SET_DR(7, DR7_INIT | DR7_WATCH(0));
	GUEST_SYNC(1);
	asm volatile("movl $9, %0\n"
		     ".globl mig_after\n"
		     "mig_after:"
		     : "=m"(wp_var) :: "memory");
	SET_DR(7, DR7_INIT);
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_dr6);
	GUEST_SYNC(db_rip);
}

/*
 * KVM_GUESTDBG_BLOCKIRQ: the host steps bi_code with RFLAGS.IF set and
 * an interrupt pending in the local APIC; none is taken meanwhile.
 */
#define IRQ_VEC		0x50

static volatile uint64_t irq_seen;

extern const char bi_code[], bi_1[], bi_2[], bi_3[], bi_4[];

static void irq_handler(struct kg_frame *f)
{
	irq_seen++;
	xapic_write(APIC_EOI, 0);
}

static void guest_blockirq(void)
{
	xapic_enable();
	xapic_write(APIC_ICR, APIC_DEST_SELF | APIC_DM_FIXED | IRQ_VEC);
	/* bi_code's page mapped first: see guest_ss_prefault(). */
	GUEST_SYNC(irq_seen + *(volatile const uint8_t *)bi_code - 0x90);
	GUEST_ABORT("not moved to bi_code", 0, 0);
}

void bi_report(void);

void bi_report(void)
{
	GUEST_SYNC(irq_seen);
	kg_sti();
	asm volatile("nop" ::: "memory");
	kg_cli();
	GUEST_SYNC(irq_seen);
	GUEST_DONE();
}

asm(".pushsection .text\n"
	".globl bi_code\n"
	"bi_code:\n\t"
	"nop\n"
	".globl bi_1\n"
	"bi_1:\n\t"
	"nop\n"
	".globl bi_2\n"
	"bi_2:\n\t"
	"nop\n"
	".globl bi_3\n"
	"bi_3:\n\t"
	"cli\n"
	".globl bi_4\n"
	"bi_4:\n\t"
	"and $-16, %rsp\n\t"
	"call bi_report\n\t"
	"ud2\n"
	".popsection");

/* KVM_GUESTDBG_INJECT_DB while the guest reports. */
static void guest_inject(void)
{
	GUEST_SYNC(db_count);
	GUEST_SYNC(db_count);
}

/* ---- host ---- */

FIXTURE(debug) {
	struct kg_vm vm;
};

FIXTURE_SETUP(debug)
{
	ASSERT_EQ(0, kg_vm_create(&self->vm, 0));
	ASSERT_EQ(0, kg_vcpu_create(&self->vm, 0));
	kg_set_handler(&self->vm, DB_VEC, db_handler);
	kg_set_handler(&self->vm, BP_VEC, bp_handler);
	kg_set_handler(&self->vm, GP_VEC, gp_skip_mov_dr);
}

FIXTURE_TEARDOWN(debug)
{
	kg_vm_destroy(&self->vm);
}

/* Run and require KVM_EXIT_DEBUG for @exception at @pc. */
static void expect_debug_exit(struct __test_metadata *_metadata,
			      struct kg_vm *vm, uint32_t exception,
			      const void *pc)
{
	struct kvm_run *run = vm->v[0].run;
	struct kg_ucall uc;
	int st = kg_run(vm, 0, &uc);

	if (st != KG_OTHER || run->exit_reason != KVM_EXIT_DEBUG)
		kg_report(vm, 0, st, &uc);
	ASSERT_EQ(KG_OTHER, st);
	ASSERT_EQ(KVM_EXIT_DEBUG, run->exit_reason);
	EXPECT_EQ(exception, run->debug.arch.exception);
	EXPECT_EQ((uint64_t)pc, run->debug.arch.pc);
}

static void set_guest_debug(struct __test_metadata *_metadata,
			    struct kg_vm *vm, uint32_t control,
			    const uint64_t *debugreg)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	if (debugreg)
		memcpy(dbg.arch.debugreg, debugreg, sizeof(dbg.arch.debugreg));
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_SET_GUEST_DEBUG, &dbg));
}

/*
 * Under QEMU's TCG with its emulated SVM (the AMD test bed), two things
 * a nested guest cannot have, with kvmod-amd and in-tree kvm-amd alike:
 *  - INT3 never makes a #BP intercept: TCG checks the software-interrupt
 *    intercept for it (raise_interrupt2() with is_int set);
 *  - VMRUN takes DR7 from the VMCB without arming TCG's breakpoints
 *    (helper_vmrun() assigns env->dr[7], no cpu_x86_update_dr7()): only
 *    breakpoints armed by a MOV to DR7 that TCG itself executed fire, so
 *    breakpoints set by userspace never do (in-tree kvm-amd even crashes
 *    QEMU with them), while the guest's own work when its MOV DR7 runs
 *    without an exit (lazy switching, as both do), and TCG's stay armed
 *    until a MOV to DR7 changes them: a watchpoint left armed by a VM
 *    that is gone even crashes QEMU (kvmod-amd and kvm-amd alike), so
 *    the tests here disarm theirs. Nor does TCG implement DR7.GD, on
 *    which in-tree kvm-amd relies.
 * Intel's VMX in Bochs has none of this.
 */
static bool tcg_svm(void)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(0, a, b, c, d);
	if (b != 0x68747541)		/* "Auth" enticAMD */
		return false;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	return !strcmp(sig, "TCGTCGTCGTCG");
}

#define TCG_SVM_SKIP(what)						\
	do {								\
		if (tcg_svm())						\
			SKIP(return, "QEMU TCG's nested SVM: " what);	\
	} while (0)

/* The guest's OUT completes in the next KVM_RUN: finish it first. */
static void complete_guest_call(struct __test_metadata *_metadata,
				struct kg_vm *vm)
{
	vm->v[0].run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(vm->v[0].fd, vm->v[0].run));
	vm->v[0].run->immediate_exit = 0;
}

TEST(capabilities)
{
	int fd = kt_open_dev();
	long mask;

	ASSERT_LE(0, fd);
	EXPECT_LT(0, kt_check_cap(fd, KVM_CAP_DEBUGREGS));
	EXPECT_LT(0, kt_check_cap(fd, KVM_CAP_SET_GUEST_DEBUG));
	mask = kt_check_cap(fd, KVM_CAP_SET_GUEST_DEBUG2);
	if (mask > 0)
		EXPECT_EQ(KVM_GUESTDBG_ALL, mask);
	close(fd);
}

TEST_F(debug, debugregs_round_trip)
{
	struct kg_vm *vm = &self->vm;
	int fd = vm->v[0].fd;
	struct kvm_debugregs d, g;
	int i;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_DEBUGREGS);
	/* The reset values. */
	memset(&g, 0xa5, sizeof(g));
	ASSERT_EQ(0, ioctl(fd, KVM_GET_DEBUGREGS, &g));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, g.db[i]);
	EXPECT_EQ(DR6_INIT, g.dr6);
	EXPECT_EQ(DR7_INIT, g.dr7);
	EXPECT_EQ(0, g.flags);

	memset(&d, 0, sizeof(d));
	d.db[0] = 0x1000;
	d.db[1] = 0xffffffff81000000ULL;
	d.db[2] = 0x7ffff000;
	d.db[3] = 0x40;
	d.dr6 = DR6_INIT | 1;
	d.dr7 = DR7_INIT | DR7_G(2) | DR7_RW(2, 3) | DR7_LEN(2, 3);
	ASSERT_EQ(0, ioctl(fd, KVM_SET_DEBUGREGS, &d));
	memset(&g, 0xa5, sizeof(g));
	ASSERT_EQ(0, ioctl(fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0, memcmp(d.db, g.db, sizeof(d.db)));
	EXPECT_EQ(d.dr6, g.dr6);
	EXPECT_EQ(d.dr7, g.dr7);
	EXPECT_EQ(0, g.flags);

	/* The guest reads the same values (the armed DR2 never fires). */
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_dr_values));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(d.db[i], KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(d.dr6, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(d.dr7, KG_SYNC_VALUE(vm, 0));
	/* Its writes of 0 keep the fixed bits. */
	EXPECT_EQ(DR6_INIT, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR7_INIT, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));	/* two #GPs */
	EXPECT_EQ(DR7_INIT, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));
	ASSERT_EQ(0, ioctl(fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0x1234000ULL, g.db[1]);
	EXPECT_EQ(DR7_INIT | DR7_RW(1, 3) | DR7_LEN(1, 1), g.dr7);
	EXPECT_EQ(DR6_INIT, g.dr6);
}

TEST_F(debug, debugregs_bad_arguments)
{
	int fd = self->vm.v[0].fd;
	struct kvm_debugregs d, g;

	KT_REQUIRE_CAP(self->vm.sys_fd, KVM_CAP_DEBUGREGS);
	memset(&d, 0, sizeof(d));
	d.db[0] = 0x2000;
	d.dr6 = DR6_INIT;
	d.dr7 = DR7_INIT;
	d.flags = 1;
	EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_DEBUGREGS,
					 (unsigned long)&d));
	d.flags = 0;
	d.dr6 = DR6_INIT | (1ULL << 32);
	EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_DEBUGREGS,
					 (unsigned long)&d));
	d.dr6 = DR6_INIT;
	d.dr7 = DR7_INIT | (1ULL << 63);
	EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_DEBUGREGS,
					 (unsigned long)&d));
	/* Nothing of the refused calls stuck. */
	ASSERT_EQ(0, ioctl(fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0, g.db[0]);
	EXPECT_EQ(DR7_INIT, g.dr7);
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_SET_DEBUGREGS, 8));
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_GET_DEBUGREGS, 8));
}

/* The guest's watchpoint and instruction breakpoint reach its handler. */
TEST_F(debug, guest_own_breakpoints)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_own_breakpoints));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR6_INIT | 1, KG_SYNC_VALUE(vm, 0));	/* B0 */
	EXPECT_EQ((uint64_t)wp_after, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR6_INIT, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR6_INIT | 2, KG_SYNC_VALUE(vm, 0));	/* B1 */
	EXPECT_EQ((uint64_t)ibp_insn, KG_SYNC_VALUE(vm, 0));
}

TEST_F(debug, single_step)
{
	static const char *const steps[] = {
		ss_1, ss_2, ss_3, ss_4, ss_5, ss_6, ss_7, ss_8, ss_9, ss_10,
	};
	struct kg_vm *vm = &self->vm;
	struct kvm_run *run = vm->v[0].run;
	struct kvm_regs regs;
	unsigned int i;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_ss_prefault));
	EXPECT_EQ(0x90, KG_SYNC_VALUE(vm, 0));	/* the NOP */
	complete_guest_call(_metadata, vm);
	ASSERT_EQ(0, kt_get_regs(vm->v[0].fd, &regs));
	regs.rip = (uint64_t)ss_code;
	ASSERT_EQ(0, kt_set_regs(vm->v[0].fd, &regs));
	set_guest_debug(_metadata, vm,
			KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP, NULL);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		expect_debug_exit(_metadata, vm, DB_VEC, steps[i]);
		EXPECT_EQ(DR6_INIT | DR6_BS, run->debug.arch.dr6);
		EXPECT_EQ(DR7_INIT, run->debug.arch.dr7);
		/* TF is kvmod's, not in the guest's registers. */
		ASSERT_EQ(0, kt_get_regs(vm->v[0].fd, &regs));
		EXPECT_EQ((uint64_t)steps[i], regs.rip);
		EXPECT_EQ(0, regs.rflags & RFLAGS_TF);
	}
	set_guest_debug(_metadata, vm, 0, NULL);
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* no guest #DB */
	KG_ASSERT_DONE(vm, 0);
}

TEST_F(debug, guest_single_step_over_exit)
{
	struct kg_vm *vm = &self->vm;

	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_own_tf));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR6_INIT | DR6_BS, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ((uint64_t)tf_after, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
}

TEST_F(debug, software_breakpoint)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_regs regs;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	TCG_SVM_SKIP("INT3 makes no #BP intercept");
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_sw_bp));
	set_guest_debug(_metadata, vm,
			KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP, NULL);
	expect_debug_exit(_metadata, vm, BP_VEC, sw_bp1);
	ASSERT_EQ(0, kt_get_regs(vm->v[0].fd, &regs));
	EXPECT_EQ((uint64_t)sw_bp1, regs.rip);
	regs.rip++;
	ASSERT_EQ(0, kt_set_regs(vm->v[0].fd, &regs));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));	/* no guest #BP */
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));	/* its own #DB */
	/* Without USE_SW_BP, INT3 is the guest's. */
	set_guest_debug(_metadata, vm, KVM_GUESTDBG_ENABLE, NULL);
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ((uint64_t)sw_bp2_after, KG_SYNC_VALUE(vm, 0));
}

TEST_F(debug, hardware_breakpoint_from_userspace)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_run *run = vm->v[0].run;
	struct kvm_debugregs g;
	uint64_t dr[8] = { 0 };
	uint64_t guest_dr7 = DR7_INIT | DR7_WATCH(3);

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	TCG_SVM_SKIP("VMRUN does not arm the VMCB's DR7");
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_hw_bp));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));

	/* An instruction breakpoint: exits at the instruction. */
	dr[0] = (uint64_t)hw_bp;
	dr[7] = DR7_INIT | DR7_G(0);
	set_guest_debug(_metadata, vm,
			KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr);
	expect_debug_exit(_metadata, vm, DB_VEC, hw_bp);
	EXPECT_EQ(DR6_INIT | 1, run->debug.arch.dr6);
	EXPECT_EQ(dr[7], run->debug.arch.dr7);
	/* The guest's own registers are untouched. */
	ASSERT_EQ(0, ioctl(vm->v[0].fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(guest_dr7, g.dr7);
	EXPECT_EQ((uint64_t)&other_var, g.db[3]);
	EXPECT_EQ(DR6_INIT, g.dr6);

	/* A write watchpoint in DR1: exits after the write. */
	memset(dr, 0, sizeof(dr));
	dr[1] = (uint64_t)&wp_var;
	dr[7] = DR7_INIT | DR7_G(1) | DR7_RW(1, DR7_WRITE) |
		DR7_LEN(1, DR7_LEN4);
	set_guest_debug(_metadata, vm,
			KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr);
	expect_debug_exit(_metadata, vm, DB_VEC, hw_wp_after);
	EXPECT_EQ(DR6_INIT | 2, run->debug.arch.dr6);
	EXPECT_EQ(dr[7], run->debug.arch.dr7);

	set_guest_debug(_metadata, vm, 0, NULL);
	EXPECT_EQ(guest_dr7, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ((uint64_t)&other_var, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(DR6_INIT | 8, KG_SYNC_VALUE(vm, 0));	/* B3 */
}

/* DR7.GD of userspace's DR7: a MOV DR exits with DR6.BD, before it runs. */
TEST_F(debug, general_detect_from_userspace)
{
	struct kg_vm *vm = &self->vm;
	struct kvm_run *run = vm->v[0].run;
	uint64_t dr[8] = { 0 };

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	/* kvmod emulates DR7.GD; in-tree kvm-amd leaves it to the CPU. */
	if (!kt_is_kvmod())
		TCG_SVM_SKIP("no DR7.GD in TCG");
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_general_detect));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
	dr[7] = DR7_INIT | DR7_GD;
	set_guest_debug(_metadata, vm,
			KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP, dr);
	expect_debug_exit(_metadata, vm, DB_VEC, gd_insn);
	EXPECT_EQ(DR6_INIT | DR6_BD, run->debug.arch.dr6);
	set_guest_debug(_metadata, vm, 0, NULL);
	EXPECT_EQ(2, KG_SYNC_VALUE(vm, 0));
	EXPECT_EQ(0, KG_GUEST(vm, db_count));
}

/* Saved mid-run, restored into a new VM: the watchpoint still fires. */
TEST_F(debug, save_restore_watchpoint)
{
	struct kg_vm *src = &self->vm, dst;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_vcpu_events ev;
	struct kvm_debugregs d, g;

	KT_REQUIRE_CAP(src->sys_fd, KVM_CAP_DEBUGREGS);
	/*
	 * The restored DR7 is only in the VMCB: under TCG it would fire
	 * only by the source guest's leftover breakpoint, and that crashes
	 * QEMU later on (see tcg_svm()).
	 */
	TCG_SVM_SKIP("VMRUN does not arm the VMCB's DR7");
	ASSERT_EQ(0, kg_vcpu_enter(src, 0, guest_migrate));
	EXPECT_EQ(1, KG_SYNC_VALUE(src, 0));
	complete_guest_call(_metadata, src);
	ASSERT_EQ(0, kt_get_regs(src->v[0].fd, &regs));
	ASSERT_EQ(0, kt_get_sregs(src->v[0].fd, &sregs));
	ASSERT_EQ(0, ioctl(src->v[0].fd, KVM_GET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(src->v[0].fd, KVM_GET_DEBUGREGS, &d));
	EXPECT_EQ((uint64_t)&wp_var, d.db[0]);
	EXPECT_EQ(0x5000, d.db[2]);
	EXPECT_EQ(DR7_INIT | DR7_WATCH(0), d.dr7);

	ASSERT_EQ(0, kg_vm_create(&dst, 0));
	ASSERT_EQ(0, kg_vcpu_create(&dst, 0));
	memcpy(dst.low, src->low, KG_LOW_SIZE);
	ASSERT_EQ(src->image_size, dst.image_size);
	memcpy(dst.image, src->image, dst.image_size);

	ASSERT_EQ(0, kt_set_sregs(dst.v[0].fd, &sregs));
	ASSERT_EQ(0, kt_set_regs(dst.v[0].fd, &regs));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_SET_VCPU_EVENTS, &ev));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_SET_DEBUGREGS, &d));
	ASSERT_EQ(0, ioctl(dst.v[0].fd, KVM_GET_DEBUGREGS, &g));
	EXPECT_EQ(0, memcmp(&d, &g, sizeof(d)));

	EXPECT_EQ(1, KG_SYNC_VALUE(&dst, 0));
	EXPECT_EQ(DR6_INIT | 1, KG_SYNC_VALUE(&dst, 0));
	EXPECT_EQ((uint64_t)mig_after, KG_SYNC_VALUE(&dst, 0));
	kg_vm_destroy(&dst);
}

TEST_F(debug, inject_db)
{
	struct kg_vm *vm = &self->vm;
	int fd = vm->v[0].fd;
	struct kvm_guest_debug dbg;

	KT_REQUIRE_CAP(vm->sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	ASSERT_EQ(0, kg_vcpu_enter(vm, 0, guest_inject));
	EXPECT_EQ(0, KG_SYNC_VALUE(vm, 0));
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_INJECT_DB;
	ASSERT_EQ(0, ioctl(fd, KVM_SET_GUEST_DEBUG, &dbg));
	/* One exception at a time. */
	EXPECT_EQ(EBUSY, kt_ioctl_errno(fd, KVM_SET_GUEST_DEBUG,
					(unsigned long)&dbg));
	EXPECT_EQ(1, KG_SYNC_VALUE(vm, 0));
}

TEST(single_step_blockirq)
{
	static const char *const steps[] = { bi_1, bi_2, bi_3, bi_4 };
	struct kvm_guest_debug dbg;
	struct kvm_regs regs;
	struct kg_vm vm;
	unsigned int i;
	int fd;

	fd = kt_open_dev();
	ASSERT_LE(0, fd);
	if (kt_check_cap(fd, KVM_CAP_IRQCHIP) <= 0 ||
	    !(kt_check_cap(fd, KVM_CAP_SET_GUEST_DEBUG2) &
	      KVM_GUESTDBG_BLOCKIRQ)) {
		close(fd);
		SKIP(return, "no KVM_CAP_IRQCHIP or no KVM_GUESTDBG_BLOCKIRQ");
	}
	close(fd);
	ASSERT_EQ(0, kg_vm_create(&vm, KG_IRQCHIP));
	ASSERT_EQ(0, kg_vcpu_add(&vm, 0, guest_blockirq));
	kg_set_handler(&vm, IRQ_VEC, irq_handler);
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));
	complete_guest_call(_metadata, &vm);
	ASSERT_EQ(0, kt_get_regs(vm.v[0].fd, &regs));
	regs.rip = (uint64_t)bi_code;
	regs.rflags |= RFLAGS_IF;
	ASSERT_EQ(0, kt_set_regs(vm.v[0].fd, &regs));
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
		      KVM_GUESTDBG_BLOCKIRQ;
	ASSERT_EQ(0, ioctl(vm.v[0].fd, KVM_SET_GUEST_DEBUG, &dbg));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		expect_debug_exit(_metadata, &vm, DB_VEC, steps[i]);
		EXPECT_EQ(DR6_INIT | DR6_BS, vm.v[0].run->debug.arch.dr6);
	}
	dbg.control = 0;
	ASSERT_EQ(0, ioctl(vm.v[0].fd, KVM_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(0, KG_SYNC_VALUE(&vm, 0));	/* none while stepped */
	EXPECT_EQ(1, KG_SYNC_VALUE(&vm, 0));	/* then it comes */
	KG_ASSERT_DONE(&vm, 0);
	kg_vm_destroy(&vm);
}

TEST_F(debug, guest_debug_bad_flags)
{
	int fd = self->vm.v[0].fd;
	struct kvm_guest_debug dbg;
	unsigned int bit;

	KT_REQUIRE_CAP(self->vm.sys_fd, KVM_CAP_SET_GUEST_DEBUG);
	/*
	 * Upstream KVM refuses control bits it does not know; in-tree KVM
	 * of Linux 6.1 takes them (measured), so only kvmod is held to it.
	 */
	if (!kt_is_kvmod())
		SKIP(return, "Linux 6.1's KVM does not check the control bits");
	memset(&dbg, 0, sizeof(dbg));
	for (bit = 0; bit < 32; bit++) {
		dbg.control = KVM_GUESTDBG_ENABLE | (1U << bit);
		if (KVM_GUESTDBG_ALL & (1U << bit))
			continue;
		EXPECT_EQ(EINVAL, kt_ioctl_errno(fd, KVM_SET_GUEST_DEBUG,
						 (unsigned long)&dbg));
	}
	EXPECT_EQ(EFAULT, kt_ioctl_errno(fd, KVM_SET_GUEST_DEBUG, 8));
	dbg.control = 0;
	EXPECT_EQ(0, kt_ioctl_errno(fd, KVM_SET_GUEST_DEBUG,
				    (unsigned long)&dbg));
}

TEST_HARNESS_MAIN
