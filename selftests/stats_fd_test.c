// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics (KVM_GET_STATS_FD, KVM_CAP_BINARY_STATS_FD) of VMs and
 * vCPUs, in the layout of the KVM API documentation: the header, the id
 * string, every descriptor (names unique and terminated, flags, exponents,
 * sizes, offsets tiling the data block), KVM's counters present and moving
 * as a guest does port I/O, CPUID, MMIO, HLT, takes a signal and halts in
 * the kernel until an NMI wakes it; reads at any offset (pread and read,
 * lseek leaving the offset), write refused, bad arguments, the fd working
 * after the VM and vCPU fds are closed, and the same numbers in debugfs
 * kvm/<pid>-<fd>/ (kvm_stat's files). Runs on kvmod and on in-tree KVM.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kt_harness.h"
#include "kvm_util.h"

#define KT_GUEST_LABEL(name)	extern const unsigned char name[]
#define XSTR(x)		STR(x)
#define STR(x)		#x

#define N_PIO		17
#define N_CPUID		23
#define N_MMIO		11
#define PORT_PIO	0x80
#define PORT_NMI	0x81	/* the NMI handler */
#define PORT_WOKEN	0x82	/* after the halt */
#define MMIO_GPA	0xd0010ULL

/* N_PIO OUTs, N_CPUID CPUIDs, N_MMIO MMIO writes, then HLT. */
KT_GUEST_CODE16(counted,
	"mov $" XSTR(N_PIO) ", %cx\n"
	"1:\n\t"
	"out %al, $0x80\n\t"
	"dec %cx\n\t"
	"jnz 1b\n\t"
	"mov $" XSTR(N_CPUID) ", %si\n"
	"2:\n\t"
	"xor %eax, %eax\n\t"
	"cpuid\n\t"
	"dec %si\n\t"
	"jnz 2b\n\t"
	"mov $0xd000, %bx\n\t"
	"mov %bx, %ds\n\t"
	"mov $" XSTR(N_MMIO) ", %cx\n"
	"3:\n\t"
	"movb $0x5a, 0x10\n\t"
	"dec %cx\n\t"
	"jnz 3b\n\t"
	"xor %bx, %bx\n\t"
	"mov %bx, %ds\n\t"
	"hlt\n\t");

KT_GUEST_CODE16(spin,
	"1:\n\t"
	"jmp 1b\n\t");

/* Halts with interrupts off; an NMI (handler nmi_handler) wakes it. */
KT_GUEST_LABEL(nmi_handler);
KT_GUEST_CODE16(halt_nmi,
	"cli\n\t"
	"hlt\n\t"
	"out %al, $0x82\n\t"
	"1:\n\t"
	"hlt\n\t"
	"jmp 1b\n"
	"nmi_handler:\n\t"
	"out %al, $0x81\n\t"
	"iret\n\t");

/* ---- reading a stats fd ---- */

struct stats {
	int fd;
	struct kvm_stats_header h;
	char *id;
	char *descs;		/* num_desc entries of desc_size bytes */
	size_t desc_size;
	size_t data_size;	/* sum of the sizes, in bytes */
};

static struct kvm_stats_desc *desc_at(const struct stats *s, uint32_t i)
{
	return (struct kvm_stats_desc *)(s->descs + i * s->desc_size);
}

/* Read header, id and descriptors of @fd: 0 or -errno. */
static int stats_load(struct stats *s, int fd)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	if (pread(fd, &s->h, sizeof(s->h), 0) != sizeof(s->h))
		return -EIO;
	if (!s->h.name_size || s->h.name_size > 4096 || s->h.num_desc > 100000)
		return -EINVAL;
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->id = calloc(1, s->h.name_size + 1);
	s->descs = calloc(s->h.num_desc ? s->h.num_desc : 1, s->desc_size);
	if (!s->id || !s->descs)
		return -ENOMEM;
	if (pread(fd, s->id, s->h.name_size, s->h.id_offset) !=
	    (ssize_t)s->h.name_size)
		return -EIO;
	if (pread(fd, s->descs, s->h.num_desc * s->desc_size,
		  s->h.desc_offset) != (ssize_t)(s->h.num_desc * s->desc_size))
		return -EIO;
	for (i = 0; i < s->h.num_desc; i++)
		s->data_size += desc_at(s, i)->size * sizeof(uint64_t);
	return 0;
}

static void stats_free(struct stats *s)
{
	free(s->id);
	free(s->descs);
	s->id = NULL;
	s->descs = NULL;
}

static struct kvm_stats_desc *stats_find(const struct stats *s,
					 const char *name)
{
	uint32_t i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strncmp(desc_at(s, i)->name, name, s->h.name_size))
			return desc_at(s, i);
	return NULL;
}

/* The first value of counter @name, or ~0 when there is none. */
static uint64_t sval(const struct stats *s, const char *name)
{
	struct kvm_stats_desc *d = stats_find(s, name);
	uint64_t v;

	if (!d || pread(s->fd, &v, sizeof(v), s->h.data_offset + d->offset) !=
	    sizeof(v))
		return ~0ULL;
	return v;
}

/* Sum of the buckets of histogram @name. */
static uint64_t hist_sum(const struct stats *s, const char *name)
{
	struct kvm_stats_desc *d = stats_find(s, name);
	uint64_t v[256], sum = 0;
	int i;

	if (!d || d->size > 256 ||
	    pread(s->fd, v, d->size * 8, s->h.data_offset + d->offset) !=
	    d->size * 8)
		return ~0ULL;
	for (i = 0; i < d->size; i++)
		sum += v[i];
	return sum;
}

static int get_stats_fd(int fd)
{
	int r = ioctl(fd, KVM_GET_STATS_FD, 0);

	return r < 0 ? -errno : r;
}

/* Every check on the layout of one stats fd. */
static void check_layout(struct __test_metadata *_metadata, int fd,
			 const char *want_id, const char *const *names)
{
	struct stats s;
	size_t data_words, i, j;
	uint8_t *used;
	uint64_t *data;

	ASSERT_EQ(0, stats_load(&s, fd));
	/* The header, as in-tree KVM lays it out. */
	EXPECT_EQ(0, s.h.flags);
	EXPECT_EQ(48, s.h.name_size);
	EXPECT_EQ(sizeof(s.h), s.h.id_offset);
	EXPECT_EQ(s.h.id_offset + s.h.name_size, s.h.desc_offset);
	EXPECT_EQ(s.h.desc_offset + s.h.num_desc * s.desc_size,
		  s.h.data_offset);
	ASSERT_LT(0, s.h.num_desc);
	/* The id string, terminated. */
	EXPECT_LT(strnlen(s.id, s.h.name_size), s.h.name_size);
	EXPECT_STREQ(want_id, s.id);

	data_words = s.data_size / 8;
	used = calloc(data_words, 1);
	ASSERT_NE(NULL, used);
	for (i = 0; i < s.h.num_desc; i++) {
		struct kvm_stats_desc *d = desc_at(&s, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
		uint32_t base = d->flags & KVM_STATS_BASE_MASK;
		size_t len = strnlen(d->name, s.h.name_size);

		EXPECT_LT(len, s.h.name_size) TH_LOG("descriptor %zu", i);
		EXPECT_LT(0, len) TH_LOG("descriptor %zu has no name", i);
		if (len >= s.h.name_size)
			continue;
		for (j = 0; j < len; j++) {
			char c = d->name[j];

			EXPECT_TRUE((c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '_')
				TH_LOG("%s: character %#x", d->name, c);
		}
		for (j = 0; j < i; j++)
			EXPECT_NE(0, strcmp(desc_at(&s, j)->name, d->name))
				TH_LOG("%s twice", d->name);
		EXPECT_EQ(0, d->flags & ~(KVM_STATS_TYPE_MASK |
					  KVM_STATS_UNIT_MASK |
					  KVM_STATS_BASE_MASK));
		EXPECT_LE(type, KVM_STATS_TYPE_MAX) TH_LOG("%s", d->name);
		EXPECT_LE(unit, KVM_STATS_UNIT_MAX) TH_LOG("%s", d->name);
		EXPECT_LE(base, KVM_STATS_BASE_MAX) TH_LOG("%s", d->name);
		switch (unit) {
		case KVM_STATS_UNIT_SECONDS:
			EXPECT_GE(0, d->exponent) TH_LOG("%s", d->name);
			break;
		case KVM_STATS_UNIT_BOOLEAN:
			EXPECT_EQ(0, d->exponent) TH_LOG("%s", d->name);
			break;
		default:
			EXPECT_LE(0, d->exponent) TH_LOG("%s", d->name);
		}
		EXPECT_LT(0, d->size) TH_LOG("%s", d->name);
		/* A bucket size for linear histograms only. */
		EXPECT_EQ(type == KVM_STATS_TYPE_LINEAR_HIST,
			  d->bucket_size != 0) TH_LOG("%s", d->name);
		if (type != KVM_STATS_TYPE_LINEAR_HIST &&
		    type != KVM_STATS_TYPE_LOG_HIST) {
			EXPECT_EQ(1, d->size) TH_LOG("%s", d->name);
		}
		/* Inside the data block, aligned, no two overlapping. */
		EXPECT_EQ(0, d->offset % 8) TH_LOG("%s", d->name);
		EXPECT_LE(d->offset + d->size * 8, s.data_size)
			TH_LOG("%s: offset %u size %u", d->name, d->offset,
			       d->size);
		if (d->offset % 8 || d->offset + d->size * 8 > s.data_size)
			continue;
		for (j = 0; j < d->size; j++) {
			EXPECT_EQ(0, used[d->offset / 8 + j])
				TH_LOG("%s overlaps", d->name);
			used[d->offset / 8 + j] = 1;
		}
	}
	/* The descriptors tile the data block exactly. */
	for (i = 0; i < data_words; i++)
		EXPECT_EQ(1, used[i]) TH_LOG("data word %zu unused", i);
	free(used);
	/* KVM's counters that both hypervisors keep. */
	for (i = 0; names[i]; i++) {
		struct kvm_stats_desc *d = stats_find(&s, names[i]);

		EXPECT_NE(NULL, d) TH_LOG("no %s", names[i]);
		if (d && strcmp(names[i], "blocking") &&
		    strcmp(names[i], "halt_wait_ns") &&
		    strcmp(names[i], "halt_wait_hist") &&
		    strncmp(names[i], "pages_", 6)) {
			EXPECT_EQ(KVM_STATS_TYPE_CUMULATIVE,
				  d->flags & KVM_STATS_TYPE_MASK)
				TH_LOG("%s", names[i]);
		}
	}
	/* The whole data block in one read, then nothing after it. */
	data = malloc(s.data_size + 64);
	ASSERT_NE(NULL, data);
	EXPECT_EQ((ssize_t)s.data_size,
		  pread(fd, data, s.data_size + 64, s.h.data_offset));
	EXPECT_EQ(0, pread(fd, data, 64, s.h.data_offset + s.data_size));
	free(data);
	stats_free(&s);
}

static const char *const vm_names[] = {
	"remote_tlb_flush", "remote_tlb_flush_requests", "pages_4k",
	"pages_2m", NULL,
};

static const char *const vcpu_names[] = {
	"halt_wakeup", "halt_wait_ns", "halt_wait_hist", "blocking",
	"pf_taken", "pf_fixed", "pf_emulate", "pf_guest", "tlb_flush",
	"exits", "io_exits", "mmio_exits", "signal_exits", "irq_window_exits",
	"nmi_window_exits", "halt_exits", "request_irq_exits", "irq_exits",
	"insn_emulation", "insn_emulation_fail", "hypercalls",
	"irq_injections", "nmi_injections", "req_event", NULL,
};

FIXTURE(stats) {
	struct kt_guest g;
};

FIXTURE_SETUP(stats)
{
	ASSERT_EQ(0, kt_guest_create(&self->g, NULL, 0));
}

FIXTURE_TEARDOWN(stats)
{
	kt_guest_destroy(&self->g);
}

TEST_F(stats, capability)
{
	EXPECT_EQ(1, kt_check_cap(self->g.sys_fd, KVM_CAP_BINARY_STATS_FD));
	EXPECT_EQ(1, kt_check_cap(self->g.vm_fd, KVM_CAP_BINARY_STATS_FD));
}

TEST_F(stats, vm_layout)
{
	char id[64];
	int fd = get_stats_fd(self->g.vm_fd);

	ASSERT_LE(0, fd);
	snprintf(id, sizeof(id), "kvm-%d", getpid());
	check_layout(_metadata, fd, id, vm_names);
	close(fd);
}

TEST_F(stats, vcpu_layout)
{
	char id[64];
	int fd = get_stats_fd(self->g.vcpu_fd);

	ASSERT_LE(0, fd);
	snprintf(id, sizeof(id), "kvm-%d/vcpu-0", getpid());
	check_layout(_metadata, fd, id, vcpu_names);
	close(fd);
}

/* The fd: read-only, close-on-exec, its anonymous inode's name. */
TEST_F(stats, fd_properties)
{
	char path[64], link[128];
	int fd, i;
	ssize_t n;

	for (i = 0; i < 2; i++) {
		fd = get_stats_fd(i ? self->g.vcpu_fd : self->g.vm_fd);
		ASSERT_LE(0, fd);
		EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
		EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		ASSERT_LT(0, n);
		link[n] = 0;
		EXPECT_STREQ(i ? "anon_inode:kvm-vcpu-stats:0" :
			     "anon_inode:kvm-vm-stats", link);
		/* Not writable, not mappable, no ioctls. */
		EXPECT_EQ(-1, write(fd, "x", 1));
		EXPECT_EQ(EBADF, errno);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
					   fd, 0));
		EXPECT_EQ(ENODEV, errno);
		EXPECT_EQ(ENOTTY, kt_ioctl_errno(fd, KVM_GET_STATS_FD, 0));
		EXPECT_EQ(ENOTTY, kt_ioctl_errno(fd, KVM_RUN, 0));
		close(fd);
	}
}

/* pread at any offset gives the same bytes as one read of everything. */
TEST_F(stats, read_offsets)
{
	static const size_t lens[] = { 1, 3, 7, 8, 13, 64, 100, 4096 };
	unsigned char *all, *part;
	struct stats s;
	void *bad;
	size_t total, off, k;
	int fd, fd2;
	off_t pos;

	fd = get_stats_fd(self->g.vcpu_fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stats_load(&s, fd));
	total = s.h.data_offset + s.data_size;
	all = calloc(1, total + 4096);
	part = calloc(1, total + 4096);
	ASSERT_NE(NULL, all);
	ASSERT_NE(NULL, part);
	/* A huge count at 0 reads exactly the file (the vCPU is idle). */
	ASSERT_EQ((ssize_t)total, pread(fd, all, total + 4096, 0));
	EXPECT_EQ(0, memcmp(all, &s.h, sizeof(s.h)));
	for (k = 0; k < ARRAY_SIZE(lens); k++) {
		for (off = 0; off < total; off += 1 + (off * 7) % 61) {
			size_t want = lens[k] < total - off ? lens[k] :
				      total - off;

			memset(part, 0xcc, lens[k]);
			ASSERT_EQ((ssize_t)want, pread(fd, part, lens[k], off))
				TH_LOG("offset %zu length %zu", off, lens[k]);
			ASSERT_EQ(0, memcmp(part, all + off, want))
				TH_LOG("offset %zu length %zu", off, lens[k]);
		}
	}
	/* At and beyond the end: nothing. A negative offset: EINVAL. */
	EXPECT_EQ(0, pread(fd, part, 8, total));
	EXPECT_EQ(0, pread(fd, part, 8, total + 1));
	EXPECT_EQ(0, pread(fd, part, 8, 1LL << 40));
	EXPECT_EQ(-1, pread(fd, part, 8, -8));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, pread(fd, part, 0, 0));
	/* A bad buffer: EFAULT, in any part of the file. */
	bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bad);
	EXPECT_EQ(-1, pread(fd, bad, 16, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pread(fd, bad, 16, s.h.data_offset));
	EXPECT_EQ(EFAULT, errno);
	munmap(bad, 4096);

	/* read() goes on from the file offset; lseek leaves it (KVM's). */
	fd2 = get_stats_fd(self->g.vcpu_fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(5, read(fd2, part, 5));
	pos = lseek(fd2, 100, SEEK_SET);
	EXPECT_EQ(5, pos);
	EXPECT_EQ(5, lseek(fd2, 0, SEEK_CUR));
	ASSERT_EQ(20, read(fd2, part + 5, 20));
	EXPECT_EQ(0, memcmp(part, all, 25));
	for (off = 25; off < total; off += 333) {
		size_t want = total - off > 333 ? 333 : total - off;

		ASSERT_EQ((ssize_t)want, read(fd2, part, 333));
		EXPECT_EQ(0, memcmp(part, all + off, want));
	}
	EXPECT_EQ(0, read(fd2, part, 10));
	/* The other fd's offset did not move. */
	ASSERT_EQ(8, read(fd, part, 8));
	EXPECT_EQ(0, memcmp(part, all, 8));
	close(fd2);
	close(fd);
	free(all);
	free(part);
	stats_free(&s);
}

/* The ioctl's errors; its argument is ignored, as KVM's. */
TEST_F(stats, bad_arguments)
{
	int fd, status;
	pid_t pid;

	/* The system fd has none (kvmod: ENOTTY; KVM 6.1: EINVAL). */
	EXPECT_EQ(kt_is_kvmod() ? ENOTTY : EINVAL,
		  kt_ioctl_errno(self->g.sys_fd, KVM_GET_STATS_FD, 0));
	fd = ioctl(self->g.vm_fd, KVM_GET_STATS_FD, 0x1234);
	EXPECT_LE(0, fd);
	close(fd);
	fd = ioctl(self->g.vcpu_fd, KVM_GET_STATS_FD, -1L);
	EXPECT_LE(0, fd);
	close(fd);
	/* A VM belongs to the process that made it. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(kt_ioctl_errno(self->g.vm_fd, KVM_GET_STATS_FD, 0) ==
		      EIO && kt_ioctl_errno(self->g.vcpu_fd, KVM_GET_STATS_FD,
					     0) == EIO ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

struct run_counts {
	unsigned int pio, mmio, hlt, other, runs;
};

static void run_counted(struct __test_metadata *_metadata,
			struct kt_guest *g, struct run_counts *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	kt_put_code(g->mem, KT_CODE_GPA, counted, KT_CODE_LEN(counted));
	ASSERT_EQ(0, kt_set_real_mode(g->vcpu_fd, KT_CODE_GPA));
	for (;;) {
		r = kt_run(g->vcpu_fd, g->run);
		c->runs++;
		if (r == KVM_EXIT_HLT) {
			c->hlt++;
			break;
		}
		if (r == KVM_EXIT_IO && g->run->io.port == PORT_PIO) {
			c->pio++;
		} else if (r == KVM_EXIT_MMIO && g->run->mmio.is_write &&
			   g->run->mmio.phys_addr == MMIO_GPA) {
			c->mmio++;
		} else {
			c->other++;
			ASSERT_TRUE(0) TH_LOG("exit %d (%s)", r,
					      r >= 0 ? kt_exit_name(r) : "-");
		}
	}
	ASSERT_EQ(N_PIO, c->pio);
	ASSERT_EQ(N_MMIO, c->mmio);
}

/* How much counter @name grew from snapshot @b to @a. */
static uint64_t delta(const struct stats *b, const struct stats *a,
		      const char *name)
{
	return sval(a, name) - sval(b, name);
}

#define DELTA(name)	delta(&before, &after, name)

TEST_F(stats, counters_move)
{
	struct stats before, after, vm;
	struct run_counts c;
	uint64_t named = 0;
	uint32_t i;
	int fd, vm_fd;

	fd = get_stats_fd(self->g.vcpu_fd);
	ASSERT_LE(0, fd);
	vm_fd = get_stats_fd(self->g.vm_fd);
	ASSERT_LE(0, vm_fd);
	ASSERT_EQ(0, stats_load(&before, fd));
	ASSERT_EQ(0, stats_load(&after, fd));
	/* "before": a snapshot; the same fd serves "after", live. */
	before.fd = open("/dev/null", O_RDONLY);
	{
		int tmp = memfd_create("before", 0);
		uint64_t *data = malloc(before.h.data_offset +
					before.data_size);

		ASSERT_LE(0, tmp);
		ASSERT_EQ((ssize_t)(before.h.data_offset + before.data_size),
			  pread(fd, data, before.h.data_offset +
				before.data_size, 0));
		ASSERT_EQ((ssize_t)(before.h.data_offset + before.data_size),
			  write(tmp, data, before.h.data_offset +
				before.data_size));
		free(data);
		close(before.fd);
		before.fd = tmp;
	}
	run_counted(_metadata, &self->g, &c);

	EXPECT_EQ(N_PIO, DELTA("io_exits"));
	EXPECT_EQ(N_MMIO, DELTA("mmio_exits"));
	EXPECT_EQ(1, DELTA("halt_exits"));
	EXPECT_LE(N_PIO + N_CPUID + N_MMIO + 1, DELTA("exits"));
	EXPECT_LE(N_MMIO, DELTA("insn_emulation"));
	EXPECT_EQ(0, DELTA("insn_emulation_fail"));
	EXPECT_LE(1, DELTA("pf_taken"));
	EXPECT_EQ(0, DELTA("signal_exits"));
	EXPECT_EQ(0, DELTA("request_irq_exits"));
	EXPECT_EQ(0, DELTA("hypercalls"));
	EXPECT_EQ(0, sval(&after, "blocking"));
	ASSERT_EQ(0, stats_load(&vm, vm_fd));
	EXPECT_LE(1, sval(&vm, "pages_4k"));

	if (kt_is_kvmod()) {
		/* kvmod's own: exits by reason, returns of KVM_RUN. */
		/* The vendor's names: SVM's, else VMX's. */
		bool svm = stats_find(&after, "exit_npf");

		EXPECT_EQ(N_PIO, DELTA(svm ? "exit_io" :
				       "exit_io_instruction"));
		EXPECT_EQ(N_CPUID, DELTA("exit_cpuid"));
		EXPECT_EQ(1, DELTA("exit_hlt"));
		if (svm) {
			EXPECT_LE(N_MMIO, DELTA("exit_npf"));
		} else {
			EXPECT_LE(N_MMIO, DELTA("exit_ept_violation") +
				  DELTA("exit_ept_misconfig"));
		}
		EXPECT_EQ(N_PIO, DELTA("user_exit_io"));
		EXPECT_EQ(N_MMIO, DELTA("user_exit_mmio"));
		EXPECT_EQ(1, DELTA("user_exit_hlt"));
		EXPECT_EQ(N_MMIO, DELTA("pf_emulate"));
		/* exits is the sum of the exits by reason. */
		for (i = 0; i < after.h.num_desc; i++)
			if (!strncmp(desc_at(&after, i)->name, "exit_", 5))
				named += sval(&after, desc_at(&after, i)->name);
		EXPECT_EQ(sval(&after, "exits"), named);
		named = 0;
		for (i = 0; i < after.h.num_desc; i++)
			if (!strncmp(desc_at(&after, i)->name, "user_exit_",
				     10))
				named += DELTA(desc_at(&after, i)->name);
		EXPECT_EQ(c.runs, named);
	}
	close(before.fd);
	stats_free(&before);
	stats_free(&after);
	stats_free(&vm);
	close(vm_fd);
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A signal ends KVM_RUN with EINTR: signal_exits, KVM_EXIT_INTR. */
TEST_F(stats, signal_exit)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	struct stats s;
	uint64_t sig0, intr0 = 0;
	int fd, r;

	fd = get_stats_fd(self->g.vcpu_fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stats_load(&s, fd));
	sig0 = sval(&s, "signal_exits");
	if (kt_is_kvmod())
		intr0 = sval(&s, "user_exit_intr");
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	kt_put_code(self->g.mem, KT_CODE_GPA, spin, KT_CODE_LEN(spin));
	ASSERT_EQ(0, kt_set_real_mode(self->g.vcpu_fd, KT_CODE_GPA));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	r = kt_run(self->g.vcpu_fd, self->g.run);
	EXPECT_EQ(-EINTR, r);
	EXPECT_EQ(sig0 + 1, sval(&s, "signal_exits"));
	EXPECT_LE(1, sval(&s, "exits"));
	EXPECT_TRUE(!kt_is_kvmod() ||
		    sval(&s, "user_exit_intr") == intr0 + 1);
	signal(SIGALRM, SIG_DFL);
	stats_free(&s);
	close(fd);
}

/* The fd keeps the VM: it reads the same after every other fd is gone. */
TEST_F(stats, outlives_vm)
{
	struct stats vs, ms;
	struct run_counts c;
	uint64_t io, flushes;
	int vfd, mfd;

	vfd = get_stats_fd(self->g.vcpu_fd);
	mfd = get_stats_fd(self->g.vm_fd);
	ASSERT_LE(0, vfd);
	ASSERT_LE(0, mfd);
	run_counted(_metadata, &self->g, &c);
	ASSERT_EQ(0, stats_load(&vs, vfd));
	ASSERT_EQ(0, stats_load(&ms, mfd));
	io = sval(&vs, "io_exits");
	flushes = sval(&ms, "remote_tlb_flush_requests");
	EXPECT_LE(N_PIO, io);
	EXPECT_LE(1, sval(&ms, "pages_4k"));
	kt_guest_destroy(&self->g);
	memset(&self->g, 0, sizeof(self->g));
	self->g.sys_fd = -1;
	self->g.vm_fd = -1;
	self->g.vcpu_fd = -1;
	EXPECT_EQ(io, sval(&vs, "io_exits"));
	/* The guest memory was unmapped: no page is mapped any more. */
	EXPECT_EQ(0, sval(&ms, "pages_4k"));
	EXPECT_LE(flushes, sval(&ms, "remote_tlb_flush_requests"));
	stats_free(&vs);
	ASSERT_EQ(0, stats_load(&vs, vfd));
	EXPECT_EQ(io, sval(&vs, "io_exits"));
	close(vfd);
	EXPECT_NE(~0ULL, sval(&ms, "remote_tlb_flush"));
	close(mfd);
	EXPECT_EQ(-1, fcntl(mfd, F_GETFD));
	stats_free(&vs);
	stats_free(&ms);
}

/* debugfs kvm/<pid>-<vm fd>/<name>: the same numbers (kvm_stat's). */
TEST_F(stats, debugfs_files)
{
	struct stats vs, ms;
	struct run_counts c;
	char dir[128], path[256], buf[64];
	int vfd, mfd, k, checked = 0;
	uint32_t i;

	snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d", getpid(),
		 self->g.vm_fd);
	if (access(dir, F_OK))
		SKIP(return, "no %s (debugfs)", dir);
	run_counted(_metadata, &self->g, &c);
	vfd = get_stats_fd(self->g.vcpu_fd);
	mfd = get_stats_fd(self->g.vm_fd);
	ASSERT_EQ(0, stats_load(&vs, vfd));
	ASSERT_EQ(0, stats_load(&ms, mfd));
	for (k = 0; k < 2; k++) {
		struct stats *s = k ? &vs : &ms;

		for (i = 0; i < s->h.num_desc; i++) {
			struct kvm_stats_desc *d = desc_at(s, i);
			FILE *f;

			if (d->size != 1)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->name);
			f = fopen(path, "r");
			EXPECT_NE(NULL, f) TH_LOG("%s", path);
			if (!f)
				continue;
			EXPECT_NE(NULL, fgets(buf, sizeof(buf), f));
			fclose(f);
			EXPECT_EQ(sval(s, d->name), strtoull(buf, NULL, 10))
				TH_LOG("%s", d->name);
			checked++;
		}
	}
	EXPECT_LT(20, checked);
	/* The sum over every VM, where the tool finds the names. */
	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/io_exits");
	EXPECT_EQ(0, access(path, R_OK));
	stats_free(&vs);
	stats_free(&ms);
	close(vfd);
	close(mfd);
}

/*
 * Halting in the kernel (in-kernel irqchip): blocking while asleep, an NMI
 * (an MSI from another thread) wakes the vCPU: halt_wakeup, halt_wait_ns
 * and its histogram, nmi_injections.
 */
struct halt_ctx {
	int vcpu_fd;
	struct kvm_run *run;
	int exits[3];
};

static void *halt_thread(void *arg)
{
	struct halt_ctx *h = arg;
	int i;

	for (i = 0; i < 3; i++) {
		int r = kt_run(h->vcpu_fd, h->run);

		h->exits[i] = r == KVM_EXIT_IO ? h->run->io.port : -1000 + r;
		if (r != KVM_EXIT_IO || h->run->io.port == PORT_WOKEN)
			break;
	}
	return NULL;
}

TEST(halt_in_kernel)
{
	struct kvm_msi nmi = {
		.address_lo = 0xfee00000,
		.data = 4 << 8,		/* delivery mode NMI */
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_lapic_state lapic;
	struct halt_ctx h = { };
	struct stats s;
	uint32_t svr;
	int delivered;
	uint64_t wait0, hist0, wake0, inj0;
	pthread_t t;
	uint16_t ivt[2];
	int sys_fd, vm_fd, fd, i;
	long size;
	void *mem;

	sys_fd = kt_open_dev();
	ASSERT_LE(0, sys_fd);
	if (kt_check_cap(sys_fd, KVM_CAP_IRQCHIP) <= 0 ||
	    kt_check_cap(sys_fd, KVM_CAP_SIGNAL_MSI) <= 0)
		SKIP(return, "no in-kernel irqchip with KVM_SIGNAL_MSI");
	vm_fd = kt_create_vm(sys_fd);
	ASSERT_LE(0, vm_fd);
	ASSERT_EQ(0, ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0));
	mem = kt_add_mem(vm_fd, 0, 0, KT_MEM_SIZE);
	ASSERT_NE(NULL, mem);
	h.vcpu_fd = kt_create_vcpu(vm_fd, 0);
	ASSERT_LE(0, h.vcpu_fd);
	size = kt_run_size(sys_fd);
	ASSERT_LT(0, size);
	h.run = kt_map_run(h.vcpu_fd, size);
	ASSERT_NE(NULL, h.run);
	kt_put_code(mem, KT_CODE_GPA, halt_nmi, KT_CODE_LEN(halt_nmi));
	ivt[0] = KT_CODE_GPA + (nmi_handler - halt_nmi);
	ivt[1] = 0;
	memcpy((char *)mem + 2 * 4, ivt, sizeof(ivt));
	ASSERT_EQ(0, kt_set_real_mode(h.vcpu_fd, KT_CODE_GPA));
	/*
	 * Software-enable the local APIC (SVR bit 8): in-tree KVM delivers
	 * no MSI to a software-disabled one.
	 */
	ASSERT_EQ(0, ioctl(h.vcpu_fd, KVM_GET_LAPIC, &lapic));
	memcpy(&svr, lapic.regs + 0xf0, 4);
	svr |= 0x100;
	memcpy(lapic.regs + 0xf0, &svr, 4);
	ASSERT_EQ(0, ioctl(h.vcpu_fd, KVM_SET_LAPIC, &lapic));

	fd = get_stats_fd(h.vcpu_fd);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, stats_load(&s, fd));
	wait0 = sval(&s, "halt_wait_ns");
	hist0 = hist_sum(&s, "halt_wait_hist");
	wake0 = sval(&s, "halt_wakeup");
	inj0 = sval(&s, "nmi_injections");
	ASSERT_EQ(0, pthread_create(&t, NULL, halt_thread, &h));
	/* Asleep in the kernel: blocking reads 1 (wait up to 10 s). */
	for (i = 0; i < 1000 && sval(&s, "blocking") != 1; i++)
		usleep(10000);
	EXPECT_EQ(1, sval(&s, "blocking"));
	EXPECT_EQ(1, sval(&s, "halt_exits"));
	usleep(50000);
	delivered = ioctl(vm_fd, KVM_SIGNAL_MSI, &nmi);
	EXPECT_LE(1, delivered);
	if (delivered < 1) {
		/* Get the vCPU's thread out of its halt: a signal. */
		ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
		pthread_kill(t, SIGUSR1);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(PORT_NMI, h.exits[0]);
	EXPECT_EQ(PORT_WOKEN, h.exits[1]);
	EXPECT_EQ(0, sval(&s, "blocking"));
	EXPECT_EQ(wake0 + 1, sval(&s, "halt_wakeup"));
	/* At least one: an injection an exit interrupts is made again. */
	EXPECT_LE(inj0 + 1, sval(&s, "nmi_injections"));
	EXPECT_EQ(hist0 + 1, hist_sum(&s, "halt_wait_hist"));
	/* It slept for 50 ms at least. */
	EXPECT_LE(wait0 + 50000000ULL, sval(&s, "halt_wait_ns"));
	stats_free(&s);
	close(fd);
	munmap(h.run, size);
	close(h.vcpu_fd);
	close(vm_fd);
	munmap(mem, KT_MEM_SIZE);
	close(sys_fd);
}

TEST_HARNESS_MAIN
