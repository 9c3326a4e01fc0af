// SPDX-License-Identifier: GPL-2.0
/*
 * Binary statistics: KVM_GET_STATS_FD on VM and vCPU fds, in the layout of
 * the KVM API documentation (Documentation/virt/kvm/api.rst): a struct
 * kvm_stats_header, the id string ("kvm-<pid>", "kvm-<pid>/vcpu-<id>") in
 * name_size bytes, the descriptors (struct kvm_stats_desc, each followed
 * by name_size bytes of name), then the data block of u64 values, read
 * live at every read.
 *
 * The counters carry KVM's names where kvmod counts the same thing, then
 * kvmod's own: the hardware exits by reason ("exit_<vendor name>", and
 * "exit_other" for codes without a name) and the returns of KVM_RUN by
 * KVM_EXIT_* reason ("user_exit_<name>", "user_exit_other"). The vCPU list
 * depends on the vendor, so the tables are built when it registers.
 */
#include <linux/anon_inodes.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "registry.h"
#include "exit_names.h"

#define NAME_SIZE	KVMOD_STATS_ID_SIZE	/* the header's name_size */
#define DESC_SIZE	(sizeof(struct kvm_stats_desc) + NAME_SIZE)

/* Where a descriptor's values come from. */
enum stat_src {
	SRC_VM,		/* u64s @arg bytes into struct kvmod_vm_stat */
	SRC_VCPU,	/* u64s @arg bytes into struct kvmod_vcpu_stat */
	SRC_EXITS,	/* every hardware exit */
	SRC_EXIT,	/* hardware exits with code @arg */
	SRC_EXIT_OTHER,	/* hardware exits with a code without a name */
	SRC_USER,	/* KVM_RUN returns with exit reason @arg */
	SRC_USER_OTHER,	/* KVM_RUN returns with a reason without a name */
};

struct stat_item {
	u8 src;
	u16 size;	/* u64s */
	u32 arg;
	u32 offset;	/* bytes into the data block */
};

struct stats_table {
	struct kvm_stats_header header;
	u32 nr;
	u32 data_size;			/* bytes */
	struct stat_item *items;	/* @nr */
	u8 *descs;			/* @nr entries of DESC_SIZE bytes */
	unsigned long *unnamed_exits;	/* codes counted in exit_other */
	u64 unnamed_user;		/* reasons counted in user_exit_other */
	u32 nr_exit_codes;
};

static struct stats_table *tables[KVMOD_STATS_NR_KINDS];

#define COUNTER		(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | \
			 KVM_STATS_BASE_POW10)
#define ICOUNTER	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_NONE | \
			 KVM_STATS_BASE_POW10)
#define TIME_NS		(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | \
			 KVM_STATS_BASE_POW10)
#define LOGHIST_NS	(KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS | \
			 KVM_STATS_BASE_POW10)
#define IBOOLEAN	(KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN | \
			 KVM_STATS_BASE_POW10)

struct named_stat {
	const char *name;
	u32 flags;
	s16 exponent;
	u16 size;
	u8 src;
	u32 arg;
};

#define VM_STAT(n, fl)	{ #n, fl, 0, 1, SRC_VM, \
			  offsetof(struct kvmod_vm_stat, n) }
#define VCPU_STAT(n, fl, e, sz) { #n, fl, e, sz, SRC_VCPU, \
				  offsetof(struct kvmod_vcpu_stat, n) }
#define VCPU_COUNTER(n)	VCPU_STAT(n, COUNTER, 0, 1)

/* In in-tree KVM's order (virt/kvm and arch/x86/kvm/x86.c). */
static const struct named_stat vm_stats[] = {
	VM_STAT(remote_tlb_flush, COUNTER),
	VM_STAT(remote_tlb_flush_requests, COUNTER),
	VM_STAT(pages_4k, ICOUNTER),
	VM_STAT(pages_2m, ICOUNTER),
};

static const struct named_stat vcpu_stats[] = {
	VCPU_COUNTER(halt_wakeup),
	VCPU_STAT(halt_wait_ns, TIME_NS, -9, 1),
	VCPU_STAT(halt_wait_hist, LOGHIST_NS, -9, KVMOD_STAT_HIST_BUCKETS),
	VCPU_STAT(blocking, IBOOLEAN, 0, 1),
	VCPU_COUNTER(pf_taken),
	VCPU_COUNTER(pf_fixed),
	VCPU_COUNTER(pf_emulate),
	VCPU_COUNTER(pf_guest),
	VCPU_COUNTER(tlb_flush),
	{ "exits", COUNTER, 0, 1, SRC_EXITS, 0 },
	VCPU_COUNTER(io_exits),
	{ "mmio_exits", COUNTER, 0, 1, SRC_USER, KVM_EXIT_MMIO },
	VCPU_COUNTER(signal_exits),
	VCPU_COUNTER(irq_window_exits),
	VCPU_COUNTER(nmi_window_exits),
	VCPU_COUNTER(halt_exits),
	{ "request_irq_exits", COUNTER, 0, 1, SRC_USER,
	  KVM_EXIT_IRQ_WINDOW_OPEN },
	VCPU_COUNTER(irq_exits),
	VCPU_COUNTER(insn_emulation),
	VCPU_COUNTER(insn_emulation_fail),
	VCPU_COUNTER(hypercalls),
	VCPU_COUNTER(irq_injections),
	VCPU_COUNTER(nmi_injections),
	VCPU_COUNTER(req_event),
};

#define NR_USER_EXITS	ARRAY_SIZE(((struct kvmod_vcpu *)0)->user_exits)

/*
 * A counter's name: vendor names are "DE excp", "IO_INSTRUCTION": they
 * become "de_excp", "io_instruction".
 */
static void make_name(char *buf, const char *prefix, const char *name)
{
	char *p;

	snprintf(buf, NAME_SIZE, "%s%s", prefix, name);
	for (p = buf; *p; p++)
		*p = isalnum(*p) ? tolower(*p) : '_';
}

/* Add a descriptor to @t; its data follows the previous one's. */
static void table_add(struct stats_table *t, const char *name, u32 flags,
		      s16 exponent, u16 size, u8 src, u32 arg)
{
	struct kvm_stats_desc *d = (void *)(t->descs + t->nr * DESC_SIZE);
	struct stat_item *it = &t->items[t->nr];

	d->flags = flags;
	d->exponent = exponent;
	d->size = size;
	d->offset = t->data_size;
	d->bucket_size = 0;
	strscpy(d->name, name, NAME_SIZE);
	it->src = src;
	it->size = size;
	it->arg = arg;
	it->offset = t->data_size;
	t->data_size += size * sizeof(u64);
	t->nr++;
}

static bool table_has(const struct stats_table *t, const char *name)
{
	u32 i;

	for (i = 0; i < t->nr; i++) {
		const struct kvm_stats_desc *d =
			(const void *)(t->descs + i * DESC_SIZE);

		if (!strcmp(d->name, name))
			return true;
	}
	return false;
}

static void table_free(struct stats_table *t)
{
	if (!t)
		return;
	bitmap_free(t->unnamed_exits);
	kvfree(t->descs);
	kvfree(t->items);
	kfree(t);
}

static struct stats_table *table_alloc(u32 max, u32 nr_exit_codes)
{
	struct stats_table *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return NULL;
	t->items = kvcalloc(max, sizeof(*t->items), GFP_KERNEL);
	t->descs = kvzalloc(max * DESC_SIZE, GFP_KERNEL);
	t->unnamed_exits = bitmap_zalloc(nr_exit_codes + 1, GFP_KERNEL);
	t->nr_exit_codes = nr_exit_codes;
	if (!t->items || !t->descs || !t->unnamed_exits) {
		table_free(t);
		return NULL;
	}
	return t;
}

static void table_add_named(struct stats_table *t,
			    const struct named_stat *s, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		table_add(t, s[i].name, s[i].flags, s[i].exponent,
			  s[i].size, s[i].src, s[i].arg);
}

static void table_finish(struct stats_table *t)
{
	t->header.flags = 0;
	t->header.name_size = NAME_SIZE;
	t->header.num_desc = t->nr;
	t->header.id_offset = sizeof(t->header);
	t->header.desc_offset = t->header.id_offset + NAME_SIZE;
	t->header.data_offset = t->header.desc_offset + t->nr * DESC_SIZE;
}

static struct stats_table *build_vcpu_table(const struct kvmod_vendor_ops *v)
{
	u32 max = ARRAY_SIZE(vcpu_stats) + v->nr_exit_codes + 1 +
		  NR_USER_EXITS + 1;
	struct stats_table *t = table_alloc(max, v->nr_exit_codes);
	char name[NAME_SIZE];
	u32 code, r;

	if (!t)
		return NULL;
	table_add_named(t, vcpu_stats, ARRAY_SIZE(vcpu_stats));
	for (code = 0; code < v->nr_exit_codes; code++) {
		const char *n = v->exit_name(code);

		if (n)
			make_name(name, "exit_", n);
		if (!n || table_has(t, name)) {
			set_bit(code, t->unnamed_exits);
			continue;
		}
		table_add(t, name, COUNTER, 0, 1, SRC_EXIT, code);
	}
	table_add(t, "exit_other", COUNTER, 0, 1, SRC_EXIT_OTHER, 0);
	for (r = 0; r < NR_USER_EXITS; r++) {
		const char *n = kvmod_user_exit_name(r);

		if (!n) {
			t->unnamed_user |= BIT_ULL(r);
			continue;
		}
		make_name(name, "user_exit_", n);
		table_add(t, name, COUNTER, 0, 1, SRC_USER, r);
	}
	table_add(t, "user_exit_other", COUNTER, 0, 1, SRC_USER_OTHER, 0);
	table_finish(t);
	return t;
}

static struct stats_table *build_vm_table(void)
{
	struct stats_table *t = table_alloc(ARRAY_SIZE(vm_stats), 0);

	if (!t)
		return NULL;
	table_add_named(t, vm_stats, ARRAY_SIZE(vm_stats));
	table_finish(t);
	return t;
}

/**
 * kvmod_stats_init() - build the statistics descriptors for a vendor
 * @vendor: the vendor registering (its exit codes and their names)
 *
 * Without them (no memory), KVM_CAP_BINARY_STATS_FD reads 0 and
 * KVM_GET_STATS_FD is unknown; everything else works.
 */
void kvmod_stats_init(const struct kvmod_vendor_ops *vendor)
{
	tables[KVMOD_STATS_VM] = build_vm_table();
	tables[KVMOD_STATS_VCPU] = build_vcpu_table(vendor);
	if (!tables[KVMOD_STATS_VM] || !tables[KVMOD_STATS_VCPU]) {
		pr_warn("kvmod: no memory for the statistics descriptors\n");
		kvmod_stats_exit();
	}
}

/**
 * kvmod_stats_exit() - free what kvmod_stats_init() built
 *
 * Called when the vendor goes; no VM (and so no stats fd) is left then.
 */
void kvmod_stats_exit(void)
{
	int k;

	for (k = 0; k < KVMOD_STATS_NR_KINDS; k++) {
		table_free(tables[k]);
		tables[k] = NULL;
	}
}

/**
 * kvmod_stats_available() - KVM_CAP_BINARY_STATS_FD
 *
 * Return: true when the descriptors exist.
 */
bool kvmod_stats_available(void)
{
	return tables[KVMOD_STATS_VM] && tables[KVMOD_STATS_VCPU];
}

/**
 * kvmod_stats_count() - the number of descriptors of a kind
 * @kind: KVMOD_STATS_VM or KVMOD_STATS_VCPU
 *
 * Return: the count, 0 when the descriptors do not exist.
 */
u32 kvmod_stats_count(enum kvmod_stats_kind kind)
{
	return tables[kind] ? tables[kind]->nr : 0;
}

/**
 * kvmod_stats_desc() - a descriptor, with its name
 * @kind: KVMOD_STATS_VM or KVMOD_STATS_VCPU
 * @i: below kvmod_stats_count(@kind)
 *
 * Return: the descriptor.
 */
const struct kvm_stats_desc *kvmod_stats_desc(enum kvmod_stats_kind kind,
					      u32 i)
{
	return (const void *)(tables[kind]->descs + i * DESC_SIZE);
}

static u64 sum_exits(const struct kvmod_vcpu *vcpu, const unsigned long *only,
		     u32 nr)
{
	u64 sum = READ_ONCE(vcpu->exit_stats_other);
	u32 code;

	for (code = 0; code < nr; code++)
		if (!only || test_bit(code, only))
			sum += READ_ONCE(vcpu->exit_stats[code]);
	return sum;
}

/* The values of item @it of vCPU @vcpu (vCPU table @t) into @out. */
static void vcpu_item(const struct stats_table *t,
		      const struct kvmod_vcpu *vcpu,
		      const struct stat_item *it, u64 *out)
{
	const u64 *field;
	u64 sum = 0;
	u32 i;

	switch (it->src) {
	case SRC_VCPU:
		field = (const void *)&vcpu->stat + it->arg;
		for (i = 0; i < it->size; i++)
			out[i] = READ_ONCE(field[i]);
		return;
	case SRC_EXITS:
		*out = sum_exits(vcpu, NULL, t->nr_exit_codes);
		return;
	case SRC_EXIT:
		*out = READ_ONCE(vcpu->exit_stats[it->arg]);
		return;
	case SRC_EXIT_OTHER:
		*out = sum_exits(vcpu, t->unnamed_exits, t->nr_exit_codes);
		return;
	case SRC_USER:
		*out = READ_ONCE(vcpu->user_exits[it->arg]);
		return;
	case SRC_USER_OTHER:
		for (i = 0; i < NR_USER_EXITS; i++)
			if (t->unnamed_user & BIT_ULL(i))
				sum += READ_ONCE(vcpu->user_exits[i]);
		*out = sum;
		return;
	}
}

static void vm_item(const struct kvmod_vm *vm, const struct stat_item *it,
		    u64 *out)
{
	const u64 *field = (const void *)&vm->stat + it->arg;
	u32 i;

	for (i = 0; i < it->size; i++)
		out[i] = READ_ONCE(field[i]);
}

/**
 * kvmod_stats_vm_value() - the first value of a VM descriptor
 * @vm: the VM
 * @i: the descriptor, below kvmod_stats_count(KVMOD_STATS_VM)
 *
 * Return: the value (debugfs shows one number per counter).
 */
u64 kvmod_stats_vm_value(const struct kvmod_vm *vm, u32 i)
{
	const struct stat_item *it = &tables[KVMOD_STATS_VM]->items[i];
	u64 v[KVMOD_STAT_HIST_BUCKETS];

	vm_item(vm, it, v);
	return v[0];
}

/**
 * kvmod_stats_vcpu_value() - the first value of a vCPU descriptor
 * @vcpu: the vCPU
 * @i: the descriptor, below kvmod_stats_count(KVMOD_STATS_VCPU)
 *
 * Return: the value.
 */
u64 kvmod_stats_vcpu_value(const struct kvmod_vcpu *vcpu, u32 i)
{
	const struct stats_table *t = tables[KVMOD_STATS_VCPU];
	u64 v[KVMOD_STAT_HIST_BUCKETS];

	vcpu_item(t, vcpu, &t->items[i], v);
	return v[0];
}

/* The data block of a VM or a vCPU, live. */
static void fill_data(const struct stats_table *t, enum kvmod_stats_kind kind,
		      const void *obj, u64 *data)
{
	u32 i;

	for (i = 0; i < t->nr; i++) {
		const struct stat_item *it = &t->items[i];
		u64 *out = data + it->offset / sizeof(u64);

		if (kind == KVMOD_STATS_VM)
			vm_item(obj, it, out);
		else
			vcpu_item(t, obj, it, out);
	}
}

/* Copy the part of [@start, @start + @len) that lies in [@pos, @end). */
static void copy_part(u8 *buf, loff_t pos, loff_t end, loff_t start,
		      const void *src, size_t len)
{
	loff_t from = max_t(loff_t, pos, start);
	loff_t to = min_t(loff_t, end, start + len);

	if (from < to)
		memcpy(buf + (from - pos), src + (from - start), to - from);
}

/*
 * The file is the header, the id, the descriptors and the data, one after
 * the other, as KVM's: any range can be read, from any offset; reads end
 * at the end of the data.
 */
static ssize_t stats_read(enum kvmod_stats_kind kind, const void *obj,
			  const char *id, char __user *ubuf, size_t size,
			  loff_t *ppos)
{
	const struct stats_table *t = tables[kind];
	const struct kvm_stats_header *h = &t->header;
	loff_t total = h->data_offset + t->data_size;
	loff_t pos = *ppos, end;
	char id_buf[NAME_SIZE] = { };
	u64 *data = NULL;
	u8 *buf;
	size_t len;

	if (pos < 0)
		return -EINVAL;
	if (pos >= total || !size)
		return 0;
	len = min_t(loff_t, size, total - pos);
	end = pos + len;
	buf = kvzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (end > h->data_offset) {
		data = kvzalloc(t->data_size, GFP_KERNEL);
		if (!data) {
			kvfree(buf);
			return -ENOMEM;
		}
		fill_data(t, kind, obj, data);
	}
	strscpy(id_buf, id, sizeof(id_buf));
	copy_part(buf, pos, end, 0, h, sizeof(*h));
	copy_part(buf, pos, end, h->id_offset, id_buf, NAME_SIZE);
	copy_part(buf, pos, end, h->desc_offset, t->descs, t->nr * DESC_SIZE);
	if (data)
		copy_part(buf, pos, end, h->data_offset, data, t->data_size);
	kvfree(data);
	if (copy_to_user(ubuf, buf, len)) {
		kvfree(buf);
		return -EFAULT;
	}
	kvfree(buf);
	*ppos = end;
	return len;
}

static ssize_t vm_stats_read(struct file *file, char __user *buf,
			     size_t size, loff_t *ppos)
{
	struct kvmod_vm *vm = file->private_data;

	return stats_read(KVMOD_STATS_VM, vm, vm->stats_id, buf, size, ppos);
}

static ssize_t vcpu_stats_read(struct file *file, char __user *buf,
			       size_t size, loff_t *ppos)
{
	struct kvmod_vcpu *vcpu = file->private_data;

	return stats_read(KVMOD_STATS_VCPU, vcpu, vcpu->stats_id, buf, size,
			  ppos);
}

static int vm_stats_release(struct inode *inode, struct file *file)
{
	kvmod_vm_put(file->private_data);
	return 0;
}

static int vcpu_stats_release(struct inode *inode, struct file *file)
{
	struct kvmod_vcpu *vcpu = file->private_data;

	kvmod_vm_put(vcpu->vm);
	return 0;
}

/* As KVM's: read-only, pread at any offset, lseek leaves the offset. */
static const struct file_operations vm_stats_fops = {
	.owner = THIS_MODULE,
	.read = vm_stats_read,
	.release = vm_stats_release,
	.llseek = noop_llseek,
};

static const struct file_operations vcpu_stats_fops = {
	.owner = THIS_MODULE,
	.read = vcpu_stats_read,
	.release = vcpu_stats_release,
	.llseek = noop_llseek,
};

/* The new fd holds a reference on @vm (as on the vCPU's VM). */
static int stats_fd(struct kvmod_vm *vm, const char *name,
		    const struct file_operations *fops, void *priv)
{
	struct file *file;
	int fd;

	if (!kvmod_stats_available())
		return -ENOTTY;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	file = anon_inode_getfile(name, fops, priv, O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	refcount_inc(&vm->users);
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/**
 * kvmod_vm_get_stats_fd() - KVM_GET_STATS_FD on a VM fd
 * @vm: the VM
 *
 * Return: a new read-only fd ("kvm-vm-stats"), or -errno.
 */
int kvmod_vm_get_stats_fd(struct kvmod_vm *vm)
{
	return stats_fd(vm, "kvm-vm-stats", &vm_stats_fops, vm);
}

/**
 * kvmod_vcpu_get_stats_fd() - KVM_GET_STATS_FD on a vCPU fd
 * @vcpu: the vCPU
 *
 * Return: a new read-only fd ("kvm-vcpu-stats:<id>"), or -errno.
 */
int kvmod_vcpu_get_stats_fd(struct kvmod_vcpu *vcpu)
{
	char name[32];

	snprintf(name, sizeof(name), "kvm-vcpu-stats:%u", vcpu->id);
	return stats_fd(vcpu->vm, name, &vcpu_stats_fops, vcpu);
}
