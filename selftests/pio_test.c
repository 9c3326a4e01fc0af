// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O exits (KVM_EXIT_IO): IN and OUT of 1, 2 and 4 bytes with the
 * data checked both ways, and REP INS/OUTS string I/O, which KVM may split
 * into any number of exits.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define KT_GUEST_LABEL(name)	extern const unsigned char name[]
/* Guest address of @label inside code block @code loaded at KT_CODE_GPA. */
#define GPA_OF(code, label)	(KT_CODE_GPA + (uint64_t)((label) - (code)))

/* ---- guest code ---- */

KT_GUEST_LABEL(out8_insn);
KT_GUEST_LABEL(out16_insn);
KT_GUEST_LABEL(out32_insn);
KT_GUEST_LABEL(outdx_insn);
KT_GUEST_LABEL(outs_hlt);
KT_GUEST_CODE16(outs,
	"mov $0x12, %al\n"
	"out8_insn:\n\t"
	"out %al, $0x10\n\t"
	"mov $0x3456, %ax\n"
	"out16_insn:\n\t"
	"out %ax, $0x11\n\t"
	"mov $0x789abcde, %eax\n"
	"out32_insn:\n\t"
	"out %eax, $0x12\n\t"
	/* Ports above 0xff go through DX. */
	"mov $0xfff0, %dx\n\t"
	"mov $0xa5, %al\n"
	"outdx_insn:\n\t"
	"out %al, (%dx)\n"
	"outs_hlt:\n\t"
	"hlt\n\t");

/*
 * Each IN is stored to memory and echoed with an OUT to the next port,
 * so the test sees the value both in guest memory and in an exit.
 */
KT_GUEST_LABEL(in8_insn);
KT_GUEST_LABEL(in8_done);
KT_GUEST_LABEL(in16_insn);
KT_GUEST_LABEL(in32_insn);
KT_GUEST_CODE16(ins,
	"in8_insn:\n\t"
	"in $0x20, %al\n"
	"in8_done:\n\t"
	"mov %al, 0x2000\n\t"
	"out %al, $0x21\n"
	"in16_insn:\n\t"
	"in $0x22, %ax\n\t"
	"mov %ax, 0x2002\n\t"
	"out %ax, $0x23\n"
	"in32_insn:\n\t"
	"in $0x24, %eax\n\t"
	"mov %eax, 0x2004\n\t"
	"out %eax, $0x25\n\t"
	"mov $0x1234, %dx\n\t"
	"in (%dx), %al\n\t"
	"mov %al, 0x2008\n\t"
	"hlt\n\t");

/* REP OUTSB/OUTSW/OUTSL from DS:SI, REP INSB/INSW to ES:DI. */
#define OUTSB_SRC	0x2000
#define OUTSB_LEN	300
#define OUTSW_SRC	0x2400
#define OUTSW_CNT	100
#define OUTSL_SRC	0x2600
#define OUTSL_CNT	50
#define INSB_DST	0x2f00	/* crosses the page boundary at 0x3000 */
#define INSB_LEN	2000
#define INSW_DST	0x4000
#define INSW_CNT	600

KT_GUEST_CODE16(outsb,
	"cld\n\t"
	"mov $0x2000, %si\n\t"
	"mov $300, %cx\n\t"
	"mov $0x40, %dx\n\t"
	"rep outsb\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(outsw,
	"cld\n\t"
	"mov $0x2400, %si\n\t"
	"mov $100, %cx\n\t"
	"mov $0x41, %dx\n\t"
	"rep outsw\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(outsl,
	"cld\n\t"
	"mov $0x2600, %si\n\t"
	"mov $50, %cx\n\t"
	"mov $0x42, %dx\n\t"
	"rep outsl\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(insb,
	"cld\n\t"
	"mov $0x2f00, %di\n\t"
	"mov $2000, %cx\n\t"
	"mov $0x43, %dx\n\t"
	"rep insb\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(insw,
	"cld\n\t"
	"mov $0x4000, %di\n\t"
	"mov $600, %cx\n\t"
	"mov $0x44, %dx\n\t"
	"rep insw\n\t"
	"hlt\n\t");

/* REP with CX = 0 does nothing: no exit before the HLT. */
KT_GUEST_CODE16(outsb_zero,
	"cld\n\t"
	"mov $0x2000, %si\n\t"
	"xor %cx, %cx\n\t"
	"mov $0x40, %dx\n\t"
	"rep outsb\n\t"
	"hlt\n\t");

/* ---- helpers ---- */

FIXTURE(pio) {
	struct kt_guest g;
};

FIXTURE_SETUP(pio)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(pio)
{
	kt_guest_destroy(&self->g);
}

static void load(struct kt_guest *g, const unsigned char *code, size_t len)
{
	kt_put_code(g->mem, KT_CODE_GPA, code, len);
}

static uint64_t rip_of(struct __test_metadata *_metadata, struct kt_guest *g)
{
	struct kvm_regs regs;

	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	return regs.rip;
}

/* Run until the next exit and check it is an I/O exit as described. */
static void expect_io(struct __test_metadata *_metadata, struct kt_guest *g,
		      uint8_t dir, uint16_t port, uint8_t size)
{
	int r = kt_run(g->vcpu_fd, g->run);

	ASSERT_EQ(KVM_EXIT_IO, r) TH_LOG("exit %d (%s), wanted IO port %#x",
					 r, r >= 0 ? kt_exit_name(r) : "-",
					 port);
	EXPECT_EQ(dir, g->run->io.direction);
	EXPECT_EQ(port, g->run->io.port);
	EXPECT_EQ(size, g->run->io.size);
	EXPECT_EQ(1, g->run->io.count);
	/* The data lies within the mapped kvm_run area. */
	EXPECT_GE(g->run_size, g->run->io.data_offset + size);
	EXPECT_LE(sizeof(struct kvm_run), g->run->io.data_offset);
}

static void expect_hlt(struct __test_metadata *_metadata, struct kt_guest *g)
{
	int r = kt_run(g->vcpu_fd, g->run);

	ASSERT_EQ(KVM_EXIT_HLT, r) TH_LOG("exit %d (%s)", r,
					  r >= 0 ? kt_exit_name(r) : "-");
}

/* ---- single IN/OUT ---- */

/*
 * At an I/O exit, before the next KVM_RUN, in-tree KVM reports RIP at the
 * I/O instruction itself; it is advanced when userspace re-enters KVM_RUN
 * (api.rst: the operation completes on re-entry).  Checked below.
 */
TEST_F(pio, out_each_size)
{
	struct kt_guest *g = &self->g;
	uint32_t v32;
	uint16_t v16;

	load(g, outs, KT_CODE_LEN(outs));

	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x10, 1);
	EXPECT_EQ(0x12, *kt_io_data(g->run));
	EXPECT_EQ(GPA_OF(outs, out8_insn), rip_of(_metadata, g));

	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x11, 2);
	memcpy(&v16, kt_io_data(g->run), 2);
	EXPECT_EQ(0x3456, v16);
	EXPECT_EQ(GPA_OF(outs, out16_insn), rip_of(_metadata, g));

	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x12, 4);
	memcpy(&v32, kt_io_data(g->run), 4);
	EXPECT_EQ(0x789abcde, v32);
	EXPECT_EQ(GPA_OF(outs, out32_insn), rip_of(_metadata, g));

	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0xfff0, 1);
	EXPECT_EQ(0xa5, *kt_io_data(g->run));
	EXPECT_EQ(GPA_OF(outs, outdx_insn), rip_of(_metadata, g));

	expect_hlt(_metadata, g);
	/* HLT is complete at its exit: RIP is past it. */
	EXPECT_EQ(GPA_OF(outs, outs_hlt) + 1, rip_of(_metadata, g));
}

TEST_F(pio, in_each_size)
{
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;
	uint32_t v32 = 0xfedcba98;
	uint16_t v16 = 0x4321;

	load(g, ins, KT_CODE_LEN(ins));
	/* IN AL must leave the rest of EAX alone. */
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	regs.rax = 0x11223344aabbccddULL;
	ASSERT_EQ(0, kt_set_regs(g->vcpu_fd, &regs));

	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x20, 1);
	EXPECT_EQ(GPA_OF(ins, in8_insn), rip_of(_metadata, g));
	*kt_io_data(g->run) = 0x9c;
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x21, 1);
	EXPECT_EQ(0x9c, *kt_io_data(g->run));
	EXPECT_EQ(0x9c, g->mem[0x2000]);
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	EXPECT_EQ(0x11223344aabbcc9cULL, regs.rax);

	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x22, 2);
	EXPECT_EQ(GPA_OF(ins, in16_insn), rip_of(_metadata, g));
	memcpy(kt_io_data(g->run), &v16, 2);
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x23, 2);
	EXPECT_EQ(0, memcmp(kt_io_data(g->run), &v16, 2));
	EXPECT_EQ(0, memcmp(g->mem + 0x2002, &v16, 2));

	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x24, 4);
	EXPECT_EQ(GPA_OF(ins, in32_insn), rip_of(_metadata, g));
	memcpy(kt_io_data(g->run), &v32, 4);
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x25, 4);
	EXPECT_EQ(0, memcmp(kt_io_data(g->run), &v32, 4));
	EXPECT_EQ(0, memcmp(g->mem + 0x2004, &v32, 4));

	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x1234, 1);
	*kt_io_data(g->run) = 0x77;
	expect_hlt(_metadata, g);
	EXPECT_EQ(0x77, g->mem[0x2008]);
}

/*
 * api.rst: re-entering KVM_RUN with immediate_exit set completes a pending
 * IN without running further guest code.
 */
TEST_F(pio, in_completed_by_immediate_exit)
{
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;

	load(g, ins, KT_CODE_LEN(ins));
	expect_io(_metadata, g, KVM_EXIT_IO_IN, 0x20, 1);
	*kt_io_data(g->run) = 0x3c;

	g->run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, kt_run(g->vcpu_fd, g->run));
	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	EXPECT_EQ(0x3c, regs.rax & 0xff);
	EXPECT_EQ(GPA_OF(ins, in8_done), regs.rip);
	EXPECT_EQ(0, g->mem[0x2000]);

	g->run->immediate_exit = 0;
	expect_io(_metadata, g, KVM_EXIT_IO_OUT, 0x21, 1);
	EXPECT_EQ(0x3c, *kt_io_data(g->run));
	EXPECT_EQ(0x3c, g->mem[0x2000]);
}

/* ---- string I/O ---- */

struct str_io {
	uint8_t dir;
	uint16_t port;
	uint8_t size;
	size_t len;		/* total bytes */
	uint8_t *buf;		/* OUT: collected; IN: supplied */
	unsigned int exits;
	unsigned int max_count;
};

/*
 * Run until HLT, handling the string I/O exits of @io however KVM splits
 * them: every exit must be for io->port/size/direction with count >= 1,
 * and together they must move exactly io->len bytes.
 */
static void run_string_io(struct __test_metadata *_metadata,
			  struct kt_guest *g, struct str_io *io)
{
	size_t done = 0, n;
	int r;

	for (;;) {
		r = kt_run(g->vcpu_fd, g->run);
		if (r == KVM_EXIT_HLT)
			break;
		ASSERT_EQ(KVM_EXIT_IO, r) TH_LOG("exit %d (%s) after %zu bytes",
						 r, r >= 0 ? kt_exit_name(r) : "-",
						 done);
		ASSERT_EQ(io->dir, g->run->io.direction);
		ASSERT_EQ(io->port, g->run->io.port);
		ASSERT_EQ(io->size, g->run->io.size);
		ASSERT_LE(1, g->run->io.count);
		n = (size_t)g->run->io.count * io->size;
		ASSERT_GE(g->run_size, g->run->io.data_offset + n);
		ASSERT_GE(io->len, done + n) TH_LOG("more data than the guest has");
		if (io->dir == KVM_EXIT_IO_OUT)
			memcpy(io->buf + done, kt_io_data(g->run), n);
		else
			memcpy(kt_io_data(g->run), io->buf + done, n);
		done += n;
		io->exits++;
		if (g->run->io.count > io->max_count)
			io->max_count = g->run->io.count;
	}
	EXPECT_EQ(io->len, done);
	TH_LOG("%s port %#x size %u: %zu bytes in %u exits, max count %u",
	       io->dir == KVM_EXIT_IO_OUT ? "OUTS" : "INS", io->port,
	       io->size, done, io->exits, io->max_count);
}

static void pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 8));
}

/* After a finished REP string op: CX = 0, SI/DI past the data, HLT done. */
static void expect_final_regs(struct __test_metadata *_metadata,
			      struct kt_guest *g, const unsigned char *code,
			      size_t code_len, uint64_t rsi, uint64_t rdi)
{
	struct kvm_regs regs;

	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	EXPECT_EQ(0, regs.rcx);
	if (rsi) {
		EXPECT_EQ(rsi, regs.rsi);
	}
	if (rdi) {
		EXPECT_EQ(rdi, regs.rdi);
	}
	/* HLT is the last byte of each snippet. */
	EXPECT_EQ(KT_CODE_GPA + code_len, regs.rip);
}

static void outs_test(struct __test_metadata *_metadata, struct kt_guest *g,
		      const unsigned char *code, size_t code_len,
		      uint16_t port, uint8_t size, uint64_t src, size_t len)
{
	uint8_t got[1024];
	struct str_io io = {
		.dir = KVM_EXIT_IO_OUT, .port = port, .size = size,
		.len = len, .buf = got,
	};

	ASSERT_GE(sizeof(got), len);
	memset(got, 0, sizeof(got));
	pattern(g->mem + src, len, port);
	load(g, code, code_len);
	run_string_io(_metadata, g, &io);
	EXPECT_EQ(0, memcmp(got, g->mem + src, len));
	expect_final_regs(_metadata, g, code, code_len, src + len, 0);
}

TEST_F(pio, rep_outsb)
{
	outs_test(_metadata, &self->g, outsb, KT_CODE_LEN(outsb), 0x40, 1,
		  OUTSB_SRC, OUTSB_LEN);
}

TEST_F(pio, rep_outsw)
{
	outs_test(_metadata, &self->g, outsw, KT_CODE_LEN(outsw), 0x41, 2,
		  OUTSW_SRC, OUTSW_CNT * 2);
}

TEST_F(pio, rep_outsl)
{
	outs_test(_metadata, &self->g, outsl, KT_CODE_LEN(outsl), 0x42, 4,
		  OUTSL_SRC, OUTSL_CNT * 4);
}

static void ins_test(struct __test_metadata *_metadata, struct kt_guest *g,
		     const unsigned char *code, size_t code_len,
		     uint16_t port, uint8_t size, uint64_t dst, size_t len)
{
	uint8_t want[4096];
	struct str_io io = {
		.dir = KVM_EXIT_IO_IN, .port = port, .size = size,
		.len = len, .buf = want,
	};

	ASSERT_GE(sizeof(want), len);
	pattern(want, len, port);
	/* Guard bytes either side must stay untouched. */
	g->mem[dst - 1] = 0xee;
	g->mem[dst + len] = 0xee;
	load(g, code, code_len);
	run_string_io(_metadata, g, &io);
	EXPECT_EQ(0, memcmp(want, g->mem + dst, len));
	EXPECT_EQ(0xee, g->mem[dst - 1]);
	EXPECT_EQ(0xee, g->mem[dst + len]);
	expect_final_regs(_metadata, g, code, code_len, 0, dst + len);
}

TEST_F(pio, rep_insb)
{
	ins_test(_metadata, &self->g, insb, KT_CODE_LEN(insb), 0x43, 1,
		 INSB_DST, INSB_LEN);
}

TEST_F(pio, rep_insw)
{
	ins_test(_metadata, &self->g, insw, KT_CODE_LEN(insw), 0x44, 2,
		 INSW_DST, INSW_CNT * 2);
}

TEST_F(pio, rep_outsb_count_zero)
{
	struct kt_guest *g = &self->g;

	load(g, outsb_zero, KT_CODE_LEN(outsb_zero));
	expect_hlt(_metadata, g);
	expect_final_regs(_metadata, g, outsb_zero, KT_CODE_LEN(outsb_zero),
			  0x2000, 0);
}

/*
 * An IN whose exit userspace abandons: it moves RIP elsewhere before
 * re-entering. The IN must not complete (AL keeps its value) and the
 * guest must continue at the new RIP, as with in-tree KVM.
 */
KT_GUEST_CODE16(in_redirect,
	"mov $0x77, %al\n\t"
	"in $0x21, %al\n\t"
	"out %al, $0x10\n\t"
	"hlt\n"
	"in_redirect_target:\n\t"
	"out %al, $0x11\n\t"
	"hlt\n\t");
extern const unsigned char in_redirect_target[];

TEST_F(pio, rip_moved_after_exit)
{
	struct kt_guest *g = &self->g;
	struct kvm_regs regs;

	load(g, in_redirect, KT_CODE_LEN(in_redirect));
	ASSERT_EQ(KVM_EXIT_IO, kt_run(g->vcpu_fd, g->run));
	ASSERT_EQ(KVM_EXIT_IO_IN, g->run->io.direction);
	ASSERT_EQ(0x21, g->run->io.port);
	*((uint8_t *)g->run + g->run->io.data_offset) = 0x99;

	ASSERT_EQ(0, kt_get_regs(g->vcpu_fd, &regs));
	regs.rip = KT_CODE_GPA + (in_redirect_target - in_redirect);
	ASSERT_EQ(0, kt_set_regs(g->vcpu_fd, &regs));

	ASSERT_EQ(KVM_EXIT_IO, kt_run(g->vcpu_fd, g->run));
	EXPECT_EQ(KVM_EXIT_IO_OUT, g->run->io.direction);
	EXPECT_EQ(0x11, g->run->io.port);
	EXPECT_EQ(0x77, *((uint8_t *)g->run + g->run->io.data_offset));
	EXPECT_EQ(KVM_EXIT_HLT, kt_run(g->vcpu_fd, g->run));
}

TEST_HARNESS_MAIN
