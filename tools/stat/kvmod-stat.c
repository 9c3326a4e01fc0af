// SPDX-License-Identifier: GPL-2.0
/*
 * kvmod-stat: VM exits per VM, vCPU and exit reason, with the host handling
 * latency and the time spent in userspace, from the BPF programs of
 * bpf/kvmod_stat.bpf.c (loaded through a bpftool skeleton, or pinned by
 * bpftool under a bpffs directory).
 *
 * Works on kvmod and on the in-tree KVM alike: both have kvm:kvm_exit and
 * kvm:kvm_entry with the same records. Exit reasons are decoded by the isa
 * field (SVM or VMX) with the tables of the system's <asm/svm.h> and
 * <asm/vmx.h>.
 *
 * Interrupt events, not exits, are counted beside them: interrupts
 * injected (by vector), NMIs injected and HLTs the vCPU slept in
 * (kvmod:kvmod_inj_irq/_inj_nmi/_halt; kvm:kvm_inj_virq/_vcpu_wakeup on
 * the in-tree KVM, which has no NMI tracepoint).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <asm/svm.h>
#include <asm/vmx.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kvmod_stat.h"
#include "kvmod_stat.skel.h"

#define PROG "kvmod-stat"
#define LOADALL "bpftool prog loadall %s %s/progs pinmaps %s/maps"
/* The BPF object for bpftool, relative to this program's directory. */
#define BPF_OBJ_TREE "/../../bpf/kvmod_stat.bpf.o"	/* tools/stat/ */
#define BPF_OBJ_INSTALLED "/../lib/kvmod/kvmod_stat.bpf.o"	/* PREFIX/bin/ */

/* Exit statuses: 0 ok, 1 runtime error, 2 usage error. */
#define EXIT_USAGE	2

enum hist_mode { HIST_NONE, HIST_TOTAL, HIST_REASON };

static struct options {
	long pid;		/* 0: every VM */
	long vcpu;		/* -1: every vCPU */
	double interval;	/* seconds */
	bool interval_given;
	long count;		/* intervals; 0: until interrupted */
	bool once;
	bool cumulative;
	bool json;
	bool all;
	bool verbose;
	enum hist_mode hist;
	const char *pinned;
	const char *output;
	char **cmd;
} opt = {
	.vcpu = -1,
	.interval = 1.0,
	.hist = HIST_TOTAL,
};

static FILE *out;
static char tracefs[64];

/* What is being observed. */
static struct hypervisor {
	bool kvmod;		/* /sys/module/kvmod */
	bool kvm;		/* /sys/module/kvm (in-tree) */
	char name[32];		/* "kvmod" or "kvm" */
	char vendor[64];	/* loaded vendor modules */
} hv;

struct entry {
	struct kvmod_exit_key key;
	struct kvmod_exit_stats s;
};

struct snapshot {
	struct entry *e;
	size_t n;
	double t;		/* CLOCK_MONOTONIC seconds */
};

static void err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char help_text[] =
	"usage: " PROG " [OPTIONS] [-- CMD [ARG...]]\n"
	"       " PROG " attach DIR      attach programs pinned by bpftool under DIR\n"
	"       " PROG " detach DIR      remove the links pinned under DIR/links\n"
	"       " PROG " bpf-object      print the path of the BPF object for bpftool\n"
	"\n"
	"VM exits (kvm:kvm_exit) per VM (pid), vCPU and exit reason: count, rate,\n"
	"host handling latency (exit to next entry: p50, p99, max) and time in\n"
	"userspace for exits that leave the kernel, aggregated in the kernel by BPF;\n"
	"and interrupt events: interrupts injected (by vector), NMIs, HLT sleeps.\n"
	"\n"
	"  -p, --pid PID         only the VM whose VMM process is PID\n"
	"  -v, --vcpu N          only vCPU N\n"
	"  -i, --interval SEC    print every SEC seconds (default 1, fractions ok)\n"
	"  -n, --count N         stop after N intervals\n"
	"  -1, --once            print one cumulative table and exit: after the\n"
	"                        interval, at once with --pinned, or when CMD exits\n"
	"  -C, --cumulative      totals since the start, not per interval\n"
	"  -j, --json            one JSON object per table (one line each)\n"
	"  -H, --hist MODE       histograms: none, total (default), reason\n"
	"  -o, --output FILE     write the tables to FILE instead of stdout\n"
	"  -a, --all             with CMD: every VM, not only CMD's process\n"
	"      --pinned DIR      read the maps pinned under DIR/maps (bpftool\n"
	"                        workflow) instead of loading the programs\n"
	"  -d, --verbose         libbpf debug output\n"
	"  -h, --help\n"
	"\n"
	"With CMD: run it (no shell), observe only its process unless -a or -p,\n"
	"print a cumulative table when it exits and exit with its status.\n"
	"Needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) and kernel BTF.\n";

static void print_help(FILE *f)
{
	fputs(help_text, f);
}

/* ---- small helpers ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static bool parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtol(s, &end, 10);
	return !errno && !*end && *v >= min && *v <= max;
}

static bool parse_double(const char *s, double min, double max, double *v)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && !*end && isfinite(*v) && *v >= min && *v <= max;
}

/* "1.23us": at most 7 characters for anything below 1000 s. */
static const char *fmt_ns(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.*fus", ns < 1e4 ? 2 : ns < 1e5 ? 1 : 0,
			 ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.*fms", ns < 1e7 ? 2 : ns < 1e8 ? 1 : 0,
			 ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

/* ---- exit reason names -------------------------------------------------- */

struct reason_name {
	long long code;
	const char *name;
};

static const struct reason_name svm_reasons[] = { SVM_EXIT_REASONS };
static const struct reason_name vmx_reasons[] = { VMX_EXIT_REASONS };

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *reason_name(char *buf, size_t len, __u32 isa, __u32 code)
{
	const struct reason_name *t;
	size_t i, n;
	__u32 c = code;

	if (isa == KVMOD_STAT_ISA_VMX) {
		t = vmx_reasons;
		n = ARRAY_SIZE(vmx_reasons);
		c = code & 0xffff;
	} else if (isa == KVMOD_STAT_ISA_SVM) {
		t = svm_reasons;
		n = ARRAY_SIZE(svm_reasons);
	} else {
		snprintf(buf, len, "isa%u_0x%x", isa, code);
		return buf;
	}
	for (i = 0; i < n; i++) {
		if ((__u32)t[i].code == c) {
			if (isa == KVMOD_STAT_ISA_VMX &&
			    (code & VMX_EXIT_REASONS_FAILED_VMENTRY))
				snprintf(buf, len, "%s(FAILED_VMENTRY)",
					 t[i].name);
			else
				snprintf(buf, len, "%s", t[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "%s_0x%x", isa == KVMOD_STAT_ISA_VMX ? "vmx" : "svm",
		 code);
	return buf;
}

/* Interrupt events: "irq 0x20", "nmi", "halt". */
static const char *event_name(char *buf, size_t len, __u32 what)
{
	switch (what & ~0xffu) {
	case KVMOD_STAT_EV_IRQ:
		snprintf(buf, len, "irq 0x%02x", what & 0xff);
		break;
	case KVMOD_STAT_EV_NMI:
		snprintf(buf, len, "nmi");
		break;
	case KVMOD_STAT_EV_HALT:
		snprintf(buf, len, "halt");
		break;
	default:
		snprintf(buf, len, "event_0x%x", what);
		break;
	}
	return buf;
}

static const char *isa_name(__u32 isa)
{
	return isa == KVMOD_STAT_ISA_VMX ? "vmx" :
	       isa == KVMOD_STAT_ISA_SVM ? "svm" : "unknown";
}

/* ---- preflight: privileges, BTF, tracefs, hypervisor ------------------- */

static bool have_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	__u64 eff;

	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
	eff = d[0].effective | (__u64)d[1].effective << 32;
	if (eff & (1ULL << CAP_SYS_ADMIN))
		return true;
	return (eff & (1ULL << CAP_BPF)) && (eff & (1ULL << CAP_PERFMON));
}

static int check_privileges(void)
{
	if (have_caps())
		return 0;
	err("permission denied: loading BPF programs and reading tracepoints needs root\n"
	    "  (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); try: sudo " PROG);
	return -1;
}

static int check_btf(void)
{
	if (exists("/sys/kernel/btf/vmlinux"))
		return 0;
	err("this kernel has no BTF (/sys/kernel/btf/vmlinux: %s):\n"
	    "  kvmod-stat keeps per-thread state in BPF task storage, which needs\n"
	    "  a kernel built with CONFIG_DEBUG_INFO_BTF=y", strerror(errno));
	return -1;
}

static int find_tracefs(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (exists(path)) {
			snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
			return 0;
		}
	}
	err("tracefs not found (mount it: mount -t tracefs nodev /sys/kernel/tracing)");
	return -1;
}

static bool event_exists(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/%s/id", tracefs, event);
	return exists(path);
}

static void add_vendor(const char *mod)
{
	char path[128];
	size_t l = strlen(hv.vendor);

	snprintf(path, sizeof(path), "/sys/module/%s", mod);
	if (!exists(path))
		return;
	snprintf(hv.vendor + l, sizeof(hv.vendor) - l, "%s%s", l ? " " : "",
		 mod);
}

/* Which hypervisor provides kvm:kvm_exit; fails when none is loaded. */
static int detect_hypervisor(bool fatal)
{
	hv.kvmod = exists("/sys/module/kvmod");
	hv.kvm = exists("/sys/module/kvm");
	if (hv.kvmod) {
		snprintf(hv.name, sizeof(hv.name), "kvmod");
		add_vendor("kvmod_amd");
		add_vendor("kvmod_intel");
	} else if (hv.kvm) {
		snprintf(hv.name, sizeof(hv.name), "kvm");
		add_vendor("kvm_amd");
		add_vendor("kvm_intel");
	} else {
		snprintf(hv.name, sizeof(hv.name), "none");
	}
	if (!hv.kvmod && !hv.kvm) {
		if (!fatal)
			return 0;
		err("no hypervisor loaded: neither kvmod (/sys/module/kvmod) nor the\n"
		    "  in-tree kvm module is loaded; load one, e.g. modprobe kvmod-amd");
		return -1;
	}
	if (hv.kvmod && hv.kvm)
		err("warning: kvmod and the in-tree kvm are both loaded; kvm:kvm_exit\n"
		    "  belongs to whichever registered it first");
	if (!event_exists("kvm/kvm_exit") || !event_exists("kvm/kvm_entry")) {
		if (!fatal)
			return 0;
		err("%s is loaded but has no kvm:kvm_exit/kvm:kvm_entry tracepoints\n"
		    "  (%s/events/kvm)", hv.name, tracefs);
		return -1;
	}
	if (!hv.vendor[0])
		err("warning: %s is loaded without a vendor module: no VM can run",
		    hv.name);
	return 0;
}

struct field_req {
	const char *event;
	const char *field;
	int offset;
	int size;
};

/* The record fields the BPF programs read, where kvmod_stat.bpf.c reads them. */
static const struct field_req fields[] = {
	{ "kvm/kvm_exit", "exit_reason", 8, 4 },
	{ "kvm/kvm_exit", "isa", 24, 4 },
	{ "kvm/kvm_exit", "vcpu_id", 56, 4 },
	{ "kvm/kvm_entry", "vcpu_id", 8, 4 },
	{ "syscalls/sys_enter_ioctl", "cmd", 24, 8 },
	{ "kvmod/kvmod_inj_irq", "vector", 12, 1 },
	{ "kvmod/kvmod_halt", "start", 12, 1 },
	{ "kvm/kvm_inj_virq", "reinjected", 13, 1 },
	{ "kvm/kvm_vcpu_wakeup", "waited", 16, 1 },
};

/* Find "field:TYPE NAME;\toffset:N;\tsize:S;" in a format file. */
static int field_layout(const char *event, const char *field, int *off,
			int *size)
{
	char path[256], line[512];
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/format", tracefs, event);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "field:"), *semi, *name;
		size_t l;

		if (!p)
			continue;
		semi = strchr(p, ';');
		if (!semi)
			continue;
		/* The field name is the last word before ';' (or '['). */
		name = semi;
		while (name > p && name[-1] != ' ' && name[-1] != '\t')
			name--;
		l = strcspn(name, ";[");
		if (l != strlen(field) || strncmp(name, field, l))
			continue;
		p = strstr(semi, "offset:");
		if (!p || sscanf(p, "offset:%d;", off) != 1)
			break;
		p = strstr(p, "size:");
		if (!p || sscanf(p, "size:%d;", size) != 1)
			break;
		found = 0;
		break;
	}
	fclose(f);
	return found ? -ENOENT : 0;
}

static int check_layouts(void)
{
	size_t i;
	int off, size, r;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field_req *fr = &fields[i];

		if (!event_exists(fr->event))
			continue;
		r = field_layout(fr->event, fr->field, &off, &size);
		if (r) {
			err("%s/events/%s/format: no field %s: %s", tracefs,
			    fr->event, fr->field, strerror(-r));
			return -1;
		}
		if (off != fr->offset || size != fr->size) {
			err("%s: field %s is at offset %d size %d, the BPF programs\n"
			    "  read offset %d size %d (the KVM 6.1 layout): rebuild them",
			    fr->event, fr->field, off, size, fr->offset,
			    fr->size);
			return -1;
		}
	}
	return 0;
}

/*
 * Which programs to attach: those whose tracepoint exists, and the
 * KVM_RUN ioctl one only where the in-tree kvm:kvm_userspace_exit marks the
 * other end (kvmod has its own kvmod:kvmod_userspace_entry).
 */
static bool prog_wanted(const char *sec)
{
	const char *tp;

	if (strncmp(sec, "tracepoint/", 11))
		return false;
	tp = sec + 11;
	if (!strcmp(tp, "syscalls/sys_enter_ioctl"))
		return event_exists("kvm/kvm_userspace_exit") &&
		       event_exists(tp);
	return event_exists(tp);
}

static bool is_event_prog(const char *sec)
{
	return strstr(sec, "_inj_") || strstr(sec, "kvmod_halt") ||
	       strstr(sec, "kvm_vcpu_wakeup");
}

static int preflight(bool need_hypervisor)
{
	if (check_privileges() || find_tracefs() || check_btf())
		return -1;
	if (detect_hypervisor(need_hypervisor))
		return -1;
	if (need_hypervisor && check_layouts())
		return -1;
	return 0;
}

/* ---- libbpf ------------------------------------------------------------- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_DEBUG && !opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static const char *bpf_errstr(int e)
{
	static char buf[128];

	libbpf_strerror(e, buf, sizeof(buf));
	return buf;
}

/* ---- snapshots ---------------------------------------------------------- */

static int key_cmp(const void *a, const void *b)
{
	const struct kvmod_exit_key *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	if (x->isa != y->isa)
		return x->isa < y->isa ? -1 : 1;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return 0;
}

static bool key_selected(const struct kvmod_exit_key *k)
{
	if (opt.pid && k->pid != (__u32)opt.pid)
		return false;
	if (opt.vcpu >= 0 && k->vcpu != (__u32)opt.vcpu)
		return false;
	return true;
}

static int snapshot_read(int map_fd, struct snapshot *sn)
{
	struct kvmod_exit_key key, next, *prev = NULL;
	size_t cap = 64;
	int r;

	sn->n = 0;
	sn->e = malloc(cap * sizeof(*sn->e));
	if (!sn->e)
		return -ENOMEM;
	sn->t = now_s();
	while (!(r = bpf_map_get_next_key(map_fd, prev, &next))) {
		key = next;
		prev = &key;
		if (!key_selected(&key))
			continue;
		if (sn->n == cap) {
			struct entry *e;

			cap *= 2;
			e = realloc(sn->e, cap * sizeof(*sn->e));
			if (!e)
				return -ENOMEM;
			sn->e = e;
		}
		if (bpf_map_lookup_elem(map_fd, &key, &sn->e[sn->n].s))
			continue;	/* deleted meanwhile */
		sn->e[sn->n].key = key;
		sn->n++;
	}
	if (r != -ENOENT)
		return r;
	qsort(sn->e, sn->n, sizeof(*sn->e), key_cmp);
	return 0;
}

static void snapshot_free(struct snapshot *sn)
{
	free(sn->e);
	sn->e = NULL;
	sn->n = 0;
}

/*
 * cur - prev, in place. The maximum of an interval is exact when it is a
 * new maximum, otherwise bounded by the top of its highest log2 bucket.
 */
static void stats_sub(struct kvmod_exit_stats *c,
		      const struct kvmod_exit_stats *p)
{
	int i, top_h = -1, top_u = -1;

	c->count -= p->count;
	c->host_count -= p->host_count;
	c->host_sum_ns -= p->host_sum_ns;
	c->user_count -= p->user_count;
	c->user_sum_ns -= p->user_sum_ns;
	for (i = 0; i < KVMOD_STAT_SLOTS; i++) {
		c->host_hist[i] -= p->host_hist[i];
		c->user_hist[i] -= p->user_hist[i];
		if (c->host_hist[i])
			top_h = i;
		if (c->user_hist[i])
			top_u = i;
	}
	if (c->host_max_ns <= p->host_max_ns) {
		__u64 b = top_h < 0 ? 0 : (2ULL << top_h) - 1;

		c->host_max_ns = b < c->host_max_ns ? b : c->host_max_ns;
	}
	if (c->user_max_ns <= p->user_max_ns) {
		__u64 b = top_u < 0 ? 0 : (2ULL << top_u) - 1;

		c->user_max_ns = b < c->user_max_ns ? b : c->user_max_ns;
	}
}

static void snapshot_delta(struct snapshot *cur, const struct snapshot *prev)
{
	size_t i;

	for (i = 0; i < cur->n; i++) {
		const struct entry *p;

		p = bsearch(&cur->e[i].key, prev->e, prev->n, sizeof(*prev->e),
			    key_cmp);
		if (p)
			stats_sub(&cur->e[i].s, &p->s);
	}
}

static void stats_add(struct kvmod_exit_stats *a,
		      const struct kvmod_exit_stats *b)
{
	int i;

	a->count += b->count;
	a->host_count += b->host_count;
	a->host_sum_ns += b->host_sum_ns;
	a->user_count += b->user_count;
	a->user_sum_ns += b->user_sum_ns;
	if (b->host_max_ns > a->host_max_ns)
		a->host_max_ns = b->host_max_ns;
	if (b->user_max_ns > a->user_max_ns)
		a->user_max_ns = b->user_max_ns;
	for (i = 0; i < KVMOD_STAT_SLOTS; i++) {
		a->host_hist[i] += b->host_hist[i];
		a->user_hist[i] += b->user_hist[i];
	}
}

/* ---- percentiles and histograms ---------------------------------------- */

static __u64 slot_lo(int i)
{
	return i ? 1ULL << i : 0;
}

static __u64 slot_hi(int i)
{
	return (2ULL << i) - 1;
}

/*
 * The q-quantile of a log2 histogram, interpolated linearly inside its
 * bucket and capped by the exact maximum.
 */
static double percentile(const __u64 *hist, __u64 n, __u64 max, double q)
{
	__u64 rank, seen = 0;
	double v;
	int i;

	if (!n)
		return 0;
	rank = (__u64)ceil(q * n);
	if (!rank)
		rank = 1;
	for (i = 0; i < KVMOD_STAT_SLOTS; i++) {
		if (!hist[i])
			continue;
		if (seen + hist[i] >= rank) {
			v = slot_lo(i) + (double)(slot_hi(i) - slot_lo(i)) *
				(rank - seen) / hist[i];
			return v < max ? v : max;
		}
		seen += hist[i];
	}
	return max;
}

static void print_hist(const char *title, const __u64 *hist)
{
	char stars[41];
	__u64 top = 0;
	int i, lo = -1, hi = -1, w;

	for (i = 0; i < KVMOD_STAT_SLOTS; i++) {
		if (!hist[i])
			continue;
		if (lo < 0)
			lo = i;
		hi = i;
		if (hist[i] > top)
			top = hist[i];
	}
	fprintf(out, "\n%s\n", title);
	if (lo < 0) {
		fprintf(out, "     (none)\n");
		return;
	}
	fprintf(out, "%26s : count     distribution\n", "nsecs");
	for (i = lo; i <= hi; i++) {
		w = (int)(hist[i] * 40 / top);
		if (hist[i] && !w)
			w = 1;
		memset(stars, '*', w);
		stars[w] = 0;
		fprintf(out, "%11llu -> %-11llu : %-9llu |%-40s|\n",
			(unsigned long long)slot_lo(i),
			(unsigned long long)slot_hi(i),
			(unsigned long long)hist[i], stars);
	}
}

/* ---- output ------------------------------------------------------------- */

static int row_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->key.pid != y->key.pid)
		return x->key.pid < y->key.pid ? -1 : 1;
	if (x->key.vcpu != y->key.vcpu)
		return x->key.vcpu < y->key.vcpu ? -1 : 1;
	if (x->s.count != y->s.count)
		return x->s.count > y->s.count ? -1 : 1;
	return key_cmp(a, b);
}

static void json_hist(const char *name, const __u64 *hist)
{
	bool first = true;
	int i;

	fprintf(out, ",\"%s\":[", name);
	for (i = 0; i < KVMOD_STAT_SLOTS; i++) {
		if (!hist[i])
			continue;
		fprintf(out, "%s[%llu,%llu,%llu]", first ? "" : ",",
			(unsigned long long)slot_lo(i),
			(unsigned long long)slot_hi(i),
			(unsigned long long)hist[i]);
		first = false;
	}
	fputc(']', out);
}

static void json_rate(__u64 count, double secs)
{
	if (secs > 0)
		fprintf(out, "%.3f", count / secs);
	else
		fprintf(out, "null");
}

static void json_lat(const char *name, __u64 n, __u64 sum, __u64 max,
		     const __u64 *hist)
{
	fprintf(out, ",\"%s\":{\"count\":%llu,\"sum_ns\":%llu,", name,
		(unsigned long long)n, (unsigned long long)sum);
	fprintf(out, "\"p50_ns\":%.0f,\"p99_ns\":%.0f,\"max_ns\":%llu",
		percentile(hist, n, max, 0.50), percentile(hist, n, max, 0.99),
		(unsigned long long)max);
	json_hist("hist", hist);
	fputc('}', out);
}

static void print_json(const struct entry *rows, size_t n,
		       const struct entry *ev, size_t nev,
		       const struct kvmod_exit_stats *tot, double secs,
		       bool cumulative, __u64 dropped)
{
	char name[64];
	time_t t = time(NULL);
	struct tm tm;
	char ts[32];
	size_t i;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "{\"time\":\"%s\",\"hypervisor\":\"%s\",", ts, hv.name);
	fprintf(out, "\"vendor\":\"%s\",\"cumulative\":%s,\"seconds\":",
		hv.vendor, cumulative ? "true" : "false");
	if (secs > 0)
		fprintf(out, "%.3f", secs);
	else
		fprintf(out, "null");
	fprintf(out, ",\"dropped\":%llu,\"exits\":[",
		(unsigned long long)dropped);
	for (i = 0; i < n; i++) {
		const struct entry *e = &rows[i];

		reason_name(name, sizeof(name), e->key.isa, e->key.reason);
		fprintf(out, "%s{\"pid\":%u,\"vcpu\":%u,\"isa\":\"%s\",",
			i ? "," : "", e->key.pid, e->key.vcpu,
			isa_name(e->key.isa));
		fprintf(out, "\"code\":%u,\"reason\":\"%s\",\"count\":%llu,\"rate\":",
			e->key.reason, name, (unsigned long long)e->s.count);
		json_rate(e->s.count, secs);
		json_lat("host", e->s.host_count, e->s.host_sum_ns,
			 e->s.host_max_ns, e->s.host_hist);
		json_lat("user", e->s.user_count, e->s.user_sum_ns,
			 e->s.user_max_ns, e->s.user_hist);
		fputc('}', out);
	}
	fprintf(out, "],\"events\":[");
	for (i = 0; i < nev; i++) {
		__u32 what = ev[i].key.reason;

		event_name(name, sizeof(name), what);
		fprintf(out, "%s{\"pid\":%u,\"vcpu\":%u,\"event\":\"%.*s\",",
			i ? "," : "", ev[i].key.pid, ev[i].key.vcpu,
			(int)strcspn(name, " "), name);
		if ((what & ~0xffu) == KVMOD_STAT_EV_IRQ)
			fprintf(out, "\"vector\":%u,", what & 0xff);
		fprintf(out, "\"count\":%llu,\"rate\":",
			(unsigned long long)ev[i].s.count);
		json_rate(ev[i].s.count, secs);
		fputc('}', out);
	}
	fprintf(out, "],\"total\":{\"count\":%llu,\"rate\":",
		(unsigned long long)tot->count);
	json_rate(tot->count, secs);
	json_lat("host", tot->host_count, tot->host_sum_ns, tot->host_max_ns,
		 tot->host_hist);
	json_lat("user", tot->user_count, tot->user_sum_ns, tot->user_max_ns,
		 tot->user_hist);
	fprintf(out, "}}\n");
}

static void print_table(const struct entry *rows, size_t n,
			const struct entry *ev, size_t nev,
			const struct kvmod_exit_stats *tot, double secs,
			bool cumulative, __u64 dropped)
{
	char name[64], b[6][16], rate[16], title[160];
	time_t t = time(NULL);
	struct tm tm;
	char ts[16];
	size_t i;

	localtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	fprintf(out, "%s  %s%s%s%s  ", ts, hv.name, hv.vendor[0] ? " (" : "",
		hv.vendor, hv.vendor[0] ? ")" : "");
	if (cumulative)
		fprintf(out, "since start");
	else
		fprintf(out, "interval");
	if (secs > 0)
		fprintf(out, " %.2fs  %llu exits (%.1f/s)", secs,
			(unsigned long long)tot->count, tot->count / secs);
	else
		fprintf(out, "  %llu exits", (unsigned long long)tot->count);
	if (dropped)
		fprintf(out, "  [%llu dropped]", (unsigned long long)dropped);
	fputc('\n', out);

	fprintf(out, "%7s %4s %-20s %9s %9s %7s %7s %7s  %8s %7s %7s %7s\n",
		"PID", "VCPU", "REASON", "COUNT", "RATE/s", "P50", "P99", "MAX",
		"USER", "U-P50", "U-P99", "U-MAX");
	for (i = 0; i < n; i++) {
		const struct kvmod_exit_stats *s = &rows[i].s;

		reason_name(name, sizeof(name), rows[i].key.isa,
			    rows[i].key.reason);
		if (secs > 0)
			snprintf(rate, sizeof(rate), "%.1f", s->count / secs);
		else
			snprintf(rate, sizeof(rate), "-");
		fmt_ns(b[0], 16, percentile(s->host_hist, s->host_count,
					    s->host_max_ns, 0.50));
		fmt_ns(b[1], 16, percentile(s->host_hist, s->host_count,
					    s->host_max_ns, 0.99));
		fmt_ns(b[2], 16, s->host_max_ns);
		if (s->user_count) {
			fmt_ns(b[3], 16, percentile(s->user_hist, s->user_count,
						    s->user_max_ns, 0.50));
			fmt_ns(b[4], 16, percentile(s->user_hist, s->user_count,
						    s->user_max_ns, 0.99));
			fmt_ns(b[5], 16, s->user_max_ns);
		} else {
			strcpy(b[3], "-");
			strcpy(b[4], "-");
			strcpy(b[5], "-");
		}
		if (!s->host_count) {
			strcpy(b[0], "-");
			strcpy(b[1], "-");
			strcpy(b[2], "-");
		}
		fprintf(out, "%7u %4u %-20s %9llu %9s %7s %7s %7s  %8llu %7s %7s %7s\n",
			rows[i].key.pid, rows[i].key.vcpu, name,
			(unsigned long long)s->count, rate, b[0], b[1], b[2],
			(unsigned long long)s->user_count, b[3], b[4], b[5]);
	}
	if (!n)
		fprintf(out, "%7s (no exits)\n", "");
	if (nev) {
		fprintf(out, "\ninterrupt events (not exits): injected, by vector; HLTs the vCPU slept in\n");
		fprintf(out, "%7s %4s %-20s %9s %9s\n", "PID", "VCPU", "EVENT",
			"COUNT", "RATE/s");
	}
	for (i = 0; i < nev; i++) {
		if (secs > 0)
			snprintf(rate, sizeof(rate), "%.1f",
				 ev[i].s.count / secs);
		else
			snprintf(rate, sizeof(rate), "-");
		fprintf(out, "%7u %4u %-20s %9llu %9s\n", ev[i].key.pid,
			ev[i].key.vcpu,
			event_name(name, sizeof(name), ev[i].key.reason),
			(unsigned long long)ev[i].s.count, rate);
	}

	if (opt.hist == HIST_TOTAL) {
		print_hist("host handling latency, exit to next entry (all reasons):",
			   tot->host_hist);
		if (tot->user_count)
			print_hist("time in userspace, exits that left the kernel:",
				   tot->user_hist);
	} else if (opt.hist == HIST_REASON) {
		for (i = 0; i < n; i++) {
			const struct entry *e = &rows[i];

			reason_name(name, sizeof(name), e->key.isa,
				    e->key.reason);
			snprintf(title, sizeof(title),
				 "host handling latency, pid %u vcpu %u %s:",
				 e->key.pid, e->key.vcpu, name);
			print_hist(title, e->s.host_hist);
			if (!e->s.user_count)
				continue;
			snprintf(title, sizeof(title),
				 "time in userspace, pid %u vcpu %u %s:",
				 e->key.pid, e->key.vcpu, name);
			print_hist(title, e->s.user_hist);
		}
	}
	fputc('\n', out);
}

/*
 * Print cur (delta against prev unless cumulative). secs: the time the
 * numbers cover, <= 0 when unknown.
 */
static void report(struct snapshot *cur, const struct snapshot *prev,
		   double secs, bool cumulative, __u64 dropped)
{
	struct kvmod_exit_stats tot;
	struct entry *rows, *ev;
	size_t i, n = 0, nev = 0;

	if (!cumulative && prev)
		snapshot_delta(cur, prev);
	/* Exits in rows, interrupt events (in key order) in ev. */
	rows = calloc(cur->n ? 2 * cur->n : 1, sizeof(*rows));
	if (!rows) {
		err("out of memory");
		return;
	}
	ev = rows + cur->n;
	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < cur->n; i++) {
		if (!cur->e[i].s.count && !cur->e[i].s.user_count &&
		    !cur->e[i].s.host_count)
			continue;
		if (cur->e[i].key.isa == KVMOD_STAT_ISA_EVENT) {
			ev[nev++] = cur->e[i];
			continue;
		}
		rows[n++] = cur->e[i];
		stats_add(&tot, &cur->e[i].s);
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	if (opt.json)
		print_json(rows, n, ev, nev, &tot, secs, cumulative, dropped);
	else
		print_table(rows, n, ev, nev, &tot, secs, cumulative, dropped);
	fflush(out);
	free(rows);
}

/* ---- the bpftool workflow: attach / detach pinned programs ------------- */

static int tracepoint_id(const char *tp)
{
	char path[256];
	FILE *f;
	int id = -1;

	snprintf(path, sizeof(path), "%s/events/%s/id", tracefs, tp);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

static int attach_one(const char *dir, const char *prog, const char *tp)
{
	struct perf_event_attr attr;
	char path[PATH_MAX];
	int prog_fd, pfd, link_fd, id, r = -1;

	snprintf(path, sizeof(path), "%s/progs/%s", dir, prog);
	prog_fd = bpf_obj_get(path);
	if (prog_fd < 0) {
		err("%s: %s", path, strerror(errno));
		return -1;
	}
	id = tracepoint_id(tp);
	if (id < 0) {
		err("no tracepoint %s", tp);
		goto out_prog;
	}
	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = id;
	pfd = syscall(SYS_perf_event_open, &attr, -1, 0, -1,
		      PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err("perf_event_open(%s): %s", tp, strerror(errno));
		goto out_prog;
	}
	link_fd = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (link_fd < 0) {
		err("attach %s to %s: %s", prog, tp, strerror(errno));
		goto out_pfd;
	}
	ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
	snprintf(path, sizeof(path), "%s/links/%s", dir, prog);
	if (bpf_obj_pin(link_fd, path)) {
		err("pin %s: %s", path, strerror(errno));
	} else {
		printf("attached %s to %s, link pinned at %s\n", prog, tp,
		       path);
		r = 0;
	}
	close(link_fd);
out_pfd:
	close(pfd);
out_prog:
	close(prog_fd);
	return r;
}

/*
 * The BPF object kvmod-stat embeds, as a file for `bpftool prog loadall`:
 * bpf/ of the source tree when run from tools/stat/, PREFIX/lib/kvmod/ when
 * installed in PREFIX/bin/ (make install). NULL if neither exists.
 */
static const char *bpf_object_path(void)
{
	static const char * const rel[] = {
		BPF_OBJ_TREE, BPF_OBJ_INSTALLED, NULL
	};
	static char path[PATH_MAX];
	char dir[PATH_MAX], cand[PATH_MAX + 64];
	char *slash;
	ssize_t n;
	int i;

	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (i = 0; rel[i]; i++) {
		snprintf(cand, sizeof(cand), "%s%s", dir, rel[i]);
		if (realpath(cand, path) && exists(path))
			return path;
	}
	return NULL;
}

static const char *bpf_object_hint(void)
{
	const char *path = bpf_object_path();

	return path ? path : "kvmod_stat.bpf.o";
}

static int cmd_bpf_object(void)
{
	const char *path = bpf_object_path();

	if (!path) {
		err("no kvmod_stat.bpf.o in bpf/ of the source tree or in PREFIX/lib/kvmod/");
		return 1;
	}
	printf("%s\n", path);
	return 0;
}

static int cmd_detach(const char *dir, bool quiet);

static int cmd_attach(const char *dir)
{
	struct kvmod_stat_bpf *skel;
	struct bpf_program *p;
	char path[PATH_MAX];
	int n = 0, r = 0;

	if (preflight(true))
		return 1;
	snprintf(path, sizeof(path), "%s/progs", dir);
	if (!exists(path)) {
		err("no programs pinned under %s; load them first:\n  " LOADALL,
		    path, bpf_object_hint(), dir, dir);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/links", dir);
	if (exists(path)) {
		err("%s exists: already attached (" PROG " detach %s)", path,
		    dir);
		return 1;
	}
	if (mkdir(path, 0700)) {
		err("mkdir %s: %s", path, strerror(errno));
		return 1;
	}
	/* The skeleton's copy of the object names each program's tracepoint. */
	skel = kvmod_stat_bpf__open();
	if (!skel) {
		err("cannot open the embedded BPF object: %s",
		    strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj) {
		const char *sec = bpf_program__section_name(p);

		/*
		 * The exit programs only: interrupt events are shown when
		 * kvmod-stat loads the programs itself.
		 */
		if (!prog_wanted(sec) || is_event_prog(sec))
			continue;
		if (attach_one(dir, bpf_program__name(p), sec + 11)) {
			r = 1;
			break;
		}
		n++;
	}
	kvmod_stat_bpf__destroy(skel);
	if (r) {
		cmd_detach(dir, true);
		return r;
	}
	printf("%d programs attached on %s%s%s%s; detach: " PROG " detach %s\n",
	       n, hv.name, hv.vendor[0] ? " (" : "", hv.vendor,
	       hv.vendor[0] ? ")" : "", dir);
	return 0;
}

static int cmd_detach(const char *dir, bool quiet)
{
	struct kvmod_stat_bpf *skel;
	struct bpf_program *p;
	char path[PATH_MAX];
	int n = 0;

	if (check_privileges())
		return 1;
	snprintf(path, sizeof(path), "%s/links", dir);
	if (!exists(path)) {
		if (!quiet)
			err("%s: not attached (no %s)", dir, path);
		return 1;
	}
	skel = kvmod_stat_bpf__open();
	if (!skel) {
		err("cannot open the embedded BPF object: %s",
		    strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(p, skel->obj) {
		snprintf(path, sizeof(path), "%s/links/%s", dir,
			 bpf_program__name(p));
		if (!unlink(path))
			n++;
		else if (errno != ENOENT)
			err("unlink %s: %s", path, strerror(errno));
	}
	kvmod_stat_bpf__destroy(skel);
	snprintf(path, sizeof(path), "%s/links", dir);
	if (rmdir(path)) {
		err("rmdir %s: %s", path, strerror(errno));
		return 1;
	}
	if (!quiet)
		printf("detached %d programs; maps stay readable under %s/maps until rm -r %s\n",
		       n, dir, dir);
	return 0;
}

/* ---- main loop ---------------------------------------------------------- */

static pid_t child;
static bool child_reaped;

/* Fork CMD, held back until go() so that it runs only once attached. */
static int spawn(char **argv, int *go_fd)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC)) {
		err("pipe: %s", strerror(errno));
		return -1;
	}
	child = fork();
	if (child < 0) {
		err("fork: %s", strerror(errno));
		return -1;
	}
	if (!child) {
		char c;
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(127);	/* the parent gave up */
		execvp(argv[0], argv);
		fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return 0;
}

static int open_pinned(const char *dir)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/maps/exits", dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err("%s: %s; load the programs first:\n  " LOADALL, path,
		    strerror(errno), bpf_object_hint(), dir, dir);
		return -1;
	}
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.key_size != sizeof(struct kvmod_exit_key) ||
	    info.value_size != sizeof(struct kvmod_exit_stats)) {
		err("%s is not a kvmod_stat exits map of this version", path);
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "cumulative", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "hist", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "pinned", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct kvmod_stat_bpf *skel = NULL;
	struct snapshot prev = { }, cur = { };
	struct bpf_program *p;
	int c, map_fd = -1, go_fd = -1, status = 0, ret = 1, r;
	long intervals = 0;
	double t0;
	sigset_t sigs;
	bool done = false;

	/* Subcommands of the bpftool workflow. */
	if (argc == 2 && !strcmp(argv[1], "bpf-object"))
		return cmd_bpf_object();
	if (argc >= 2 && (!strcmp(argv[1], "attach") ||
			  !strcmp(argv[1], "detach"))) {
		if (argc != 3) {
			print_help(stderr);
			return EXIT_USAGE;
		}
		libbpf_set_print(libbpf_print);
		return argv[1][0] == 'a' ? cmd_attach(argv[2]) :
					   cmd_detach(argv[2], false);
	}

	while ((c = getopt_long(argc, argv, "+p:v:i:n:1CjH:o:adh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_long(optarg, 1, INT_MAX, &opt.pid)) {
				err("--pid wants a process id, not '%s'", optarg);
				return EXIT_USAGE;
			}
			if (kill(opt.pid, 0) && errno == ESRCH) {
				err("--pid %ld: no such process", opt.pid);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			if (!parse_long(optarg, 0, INT_MAX, &opt.vcpu)) {
				err("--vcpu wants a vCPU id (0 or more), not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'i':
			if (!parse_double(optarg, 0.01, 86400, &opt.interval)) {
				err("--interval wants seconds between 0.01 and 86400, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			opt.interval_given = true;
			break;
		case 'n':
			if (!parse_long(optarg, 1, LONG_MAX, &opt.count)) {
				err("--count wants a positive number, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case '1':
			opt.once = true;
			break;
		case 'C':
			opt.cumulative = true;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'H':
			if (!strcmp(optarg, "none")) {
				opt.hist = HIST_NONE;
			} else if (!strcmp(optarg, "total")) {
				opt.hist = HIST_TOTAL;
			} else if (!strcmp(optarg, "reason")) {
				opt.hist = HIST_REASON;
			} else {
				err("--hist wants none, total or reason, not '%s'",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			opt.output = optarg;
			break;
		case 'a':
			opt.all = true;
			break;
		case 'P':
			opt.pinned = optarg;
			break;
		case 'd':
			opt.verbose = true;
			break;
		case 'h':
			print_help(stdout);
			return 0;
		default:
			print_help(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		opt.cmd = &argv[optind];
		if (opt.pinned) {
			err("--pinned reads what is already attached: no CMD");
			return EXIT_USAGE;
		}
	}
	if (opt.all && !opt.cmd) {
		err("--all only makes sense with a CMD");
		return EXIT_USAGE;
	}

	libbpf_set_print(libbpf_print);
	if (preflight(!opt.pinned))
		return 1;

	out = stdout;
	if (opt.output) {
		out = fopen(opt.output, "w");
		if (!out) {
			err("%s: %s", opt.output, strerror(errno));
			return 1;
		}
	}

	/* Signals are taken synchronously, by sigtimedwait() below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	if (opt.pinned) {
		map_fd = open_pinned(opt.pinned);
		if (map_fd < 0)
			goto out;
		if (opt.once) {
			if (snapshot_read(map_fd, &cur)) {
				err("reading %s/maps/exits: %s", opt.pinned,
				    strerror(errno));
				goto out;
			}
			report(&cur, NULL, 0, true, 0);
			ret = 0;
			goto out;
		}
	} else {
		if (opt.cmd && spawn(opt.cmd, &go_fd))
			goto out;
		skel = kvmod_stat_bpf__open();
		if (!skel) {
			err("cannot open the BPF object: %s", strerror(errno));
			goto out;
		}
		if (opt.pid)
			skel->rodata->filter_pid = opt.pid;
		else if (opt.cmd && !opt.all)
			skel->rodata->filter_pid = child;
		if (opt.vcpu >= 0)
			skel->rodata->filter_vcpu = opt.vcpu;
		bpf_object__for_each_program(p, skel->obj) {
			const char *sec = bpf_program__section_name(p);

			bpf_program__set_autoload(p, prog_wanted(sec));
		}
		r = kvmod_stat_bpf__load(skel);
		if (r) {
			if (r == -EPERM || r == -EACCES)
				err("loading the BPF programs: %s (root needed)",
				    bpf_errstr(r));
			else
				err("loading the BPF programs: %s",
				    bpf_errstr(r));
			goto out;
		}
		r = kvmod_stat_bpf__attach(skel);
		if (r) {
			err("attaching the BPF programs: %s", bpf_errstr(r));
			goto out;
		}
		map_fd = bpf_map__fd(skel->maps.exits);
	}

	if (snapshot_read(map_fd, &prev)) {
		err("reading the exits map: %s", strerror(errno));
		goto out;
	}
	t0 = prev.t;
	if (go_fd >= 0) {
		if (write(go_fd, "g", 1) != 1)
			err("cannot start %s", opt.cmd[0]);
		close(go_fd);
		go_fd = -1;
	}

	ret = 0;
	while (!done) {
		struct timespec ts;
		siginfo_t si;
		bool final = false;
		double wait = opt.interval;

		/* With CMD and no -i, only the table at its end. */
		if (opt.cmd && !opt.interval_given)
			wait = 3600;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
		r = sigtimedwait(&sigs, &si, &ts);
		if (r == SIGCHLD) {
			if (waitpid(child, &status, WNOHANG) != child)
				continue;
			child_reaped = true;
			ret = WIFEXITED(status) ? WEXITSTATUS(status) :
						  128 + WTERMSIG(status);
			final = true;
		} else if (r == SIGINT || r == SIGTERM) {
			if (child > 0) {
				/* Let CMD end; its end prints the table. */
				kill(child, r);
				continue;
			}
			if (!opt.once)
				break;
			final = true;
		} else if (r < 0 && errno == EINTR) {
			continue;
		} else if (r < 0 && errno == EAGAIN) {
			if (opt.cmd && !opt.interval_given)
				continue;
			if (opt.once)
				final = true;
		}

		if (snapshot_read(map_fd, &cur)) {
			err("reading the exits map: %s", strerror(errno));
			ret = 1;
			break;
		}
		if (final || opt.once) {
			report(&cur, NULL, cur.t - t0, true,
			       skel ? skel->bss->nr_dropped : 0);
			done = true;
		} else {
			struct snapshot keep = { };
			double secs = cur.t - (opt.cumulative ? t0 : prev.t);

			/* Pinned maps count since they were attached. */
			if (opt.cumulative && opt.pinned)
				secs = 0;

			if (!opt.cumulative) {
				/* Keep the raw numbers for the next delta. */
				keep.e = malloc(cur.n * sizeof(*cur.e) + 1);
				if (!keep.e) {
					err("out of memory");
					ret = 1;
					break;
				}
				memcpy(keep.e, cur.e, cur.n * sizeof(*cur.e));
				keep.n = cur.n;
				keep.t = cur.t;
			}
			report(&cur, &prev, secs, opt.cumulative,
			       skel ? skel->bss->nr_dropped : 0);
			snapshot_free(&prev);
			if (opt.cumulative) {
				prev = cur;
				cur.e = NULL;
			} else {
				prev = keep;
			}
			if (opt.count && ++intervals >= opt.count)
				done = true;
		}
		snapshot_free(&cur);
	}

out:
	if (go_fd >= 0)
		close(go_fd);		/* CMD exits without running */
	if (child > 0 && !child_reaped)
		waitpid(child, &status, 0);
	snapshot_free(&prev);
	snapshot_free(&cur);
	kvmod_stat_bpf__destroy(skel);
	if (opt.pinned && map_fd >= 0)
		close(map_fd);
	if (out && out != stdout)
		fclose(out);
	return ret;
}
