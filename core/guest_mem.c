// SPDX-License-Identifier: GPL-2.0
/*
 * Access to guest memory from core, through the memslots.
 *
 * Guest-physical accesses become user accesses to the slot's backing
 * memory in the calling process, which must be the VM's owner (every
 * vCPU ioctl checks that), so nothing outside a memslot is reachable.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "registry.h"
#include "insn_len.h"

static void __user *slot_to_user(struct kvmod_memslot *s, u64 gpa)
{
	return (void __user *)(unsigned long)(s->userspace_addr +
		(((gpa >> PAGE_SHIFT) - s->base_gfn) << PAGE_SHIFT) +
		(gpa & ~PAGE_MASK));
}

/*
 * Copy to or from guest-physical memory, one page at a time. A write to
 * a read-only slot finds no memory there (-ENOENT, like a hole: it is
 * MMIO for the caller) and a write that lands is logged as dirty.
 */
static int guest_phys_copy(struct kvmod_vm *vm, u64 gpa, void *buf,
			   unsigned int len, bool write)
{
	int r = 0;

	mutex_lock(&vm->slots_lock);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - (gpa & ~PAGE_MASK));
		struct kvmod_memslot *s;
		unsigned long left;

		s = kvmod_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
		if (!s || (write && (s->flags & KVM_MEM_READONLY))) {
			r = -ENOENT;
			break;
		}
		if (write)
			left = copy_to_user(slot_to_user(s, gpa), buf, chunk);
		else
			left = copy_from_user(buf, slot_to_user(s, gpa), chunk);
		if (left) {
			r = -EFAULT;
			break;
		}
		if (write)
			kvmod_mark_page_dirty(s, gpa >> PAGE_SHIFT);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	mutex_unlock(&vm->slots_lock);
	return r;
}

/**
 * kvmod_read_guest_phys() - read guest-physical memory
 * @vm: the VM; called from the owner's process context
 * @gpa: guest-physical address
 * @buf: destination
 * @len: bytes to read
 *
 * Return: 0, -ENOENT when a byte is outside every memslot, -EFAULT when
 * the backing memory is not accessible.
 */
int kvmod_read_guest_phys(struct kvmod_vm *vm, u64 gpa, void *buf,
			  unsigned int len)
{
	return guest_phys_copy(vm, gpa, buf, len, false);
}
EXPORT_SYMBOL_GPL(kvmod_read_guest_phys);

/**
 * kvmod_write_guest_phys() - write guest-physical memory
 * @vm: the VM; called from the owner's process context
 * @gpa: guest-physical address
 * @buf: source
 * @len: bytes to write
 *
 * Return: as kvmod_read_guest_phys().
 */
int kvmod_write_guest_phys(struct kvmod_vm *vm, u64 gpa, const void *buf,
			   unsigned int len)
{
	return guest_phys_copy(vm, gpa, (void *)buf, len, true);
}
EXPORT_SYMBOL_GPL(kvmod_write_guest_phys);

static int walk_read(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	return kvmod_read_guest_phys(ctx, gpa, buf, len);
}

static int guest_virt_copy(struct kvmod_vcpu *vcpu,
			   const struct kvmod_guest_mode *mode, u64 gva,
			   void *buf, unsigned int len, u32 access)
{
	u32 err;
	int r;

	if (mode->cpl == 3)
		access |= KVMOD_ACC_USER;
	while (len) {
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;

		if (kvmod_walk_gva(&mode->paging, gva, access, walk_read,
				   vcpu->vm, &gpa, &err) != KVMOD_WALK_OK)
			return -EFAULT;
		if (access & KVMOD_ACC_WRITE)
			r = kvmod_write_guest_phys(vcpu->vm, gpa, buf, chunk);
		else
			r = kvmod_read_guest_phys(vcpu->vm, gpa, buf, chunk);
		if (r)
			return r;
		gva += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

int kvmod_read_guest_virt(struct kvmod_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, u32 access)
{
	struct kvmod_guest_mode mode;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	return guest_virt_copy(vcpu, &mode, gva, buf, len,
			       access & ~KVMOD_ACC_WRITE);
}
EXPORT_SYMBOL_GPL(kvmod_read_guest_virt);

/**
 * kvmod_write_guest_virt() - write guest memory at a linear address
 * @vcpu: the vCPU whose paging mode and CPL apply
 * @gva: guest linear address
 * @buf: source
 * @len: bytes to write
 *
 * Return: 0, or -errno when a page is not mapped, not writable or not
 * backed.
 */
int kvmod_write_guest_virt(struct kvmod_vcpu *vcpu, u64 gva, const void *buf,
			   unsigned int len)
{
	struct kvmod_guest_mode mode;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	return guest_virt_copy(vcpu, &mode, gva, (void *)buf, len,
			       KVMOD_ACC_WRITE);
}
EXPORT_SYMBOL_GPL(kvmod_write_guest_virt);

/**
 * kvmod_fetch_insn() - read the bytes of the instruction at CS:RIP
 * @vcpu: the vCPU
 * @buf: at least KVMOD_INSN_MAX bytes
 * @long64: set when the code segment is 64-bit
 *
 * Return: the number of bytes read (fewer than KVMOD_INSN_MAX when the
 * instruction is close to unmapped memory), or -errno when none could.
 */
int kvmod_fetch_insn(struct kvmod_vcpu *vcpu, u8 *buf, bool *long64)
{
	struct kvmod_guest_mode mode;
	u64 linear;
	int n;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	*long64 = mode.long64;
	linear = (*long64 ? 0 : mode.seg_base[KVMOD_SEG_CS]) + vcpu->rip;
	if (!*long64)
		linear = (u32)linear;
	for (n = KVMOD_INSN_MAX; n > 0; n--) {
		if (!guest_virt_copy(vcpu, &mode, linear, buf, n,
				     KVMOD_ACC_FETCH))
			return n;
		/* Retry shorter only when the tail crosses into a new page. */
		if (((linear + n - 1) ^ linear) < PAGE_SIZE)
			break;
	}
	return -EFAULT;
}
EXPORT_SYMBOL_GPL(kvmod_fetch_insn);

/**
 * kvmod_translate() - KVM_TRANSLATE: a guest linear address to physical
 * @vcpu: the vCPU whose paging mode applies
 * @tr: linear_address in; physical_address and valid out
 *
 * As in-tree KVM, writeable is always 1 and usermode 0.
 *
 * Return: 0.
 */
int kvmod_translate(struct kvmod_vcpu *vcpu, struct kvm_translation *tr)
{
	struct kvmod_guest_mode mode;
	u64 gpa;
	u32 err;
	int r;

	vcpu->vm->vendor->get_mode(vcpu, &mode);
	r = kvmod_walk_gva(&mode.paging, tr->linear_address, 0, walk_read,
			   vcpu->vm, &gpa, &err);
	tr->physical_address = r == KVMOD_WALK_OK ? gpa : ~0ULL;
	tr->valid = r == KVMOD_WALK_OK;
	tr->writeable = 1;
	tr->usermode = 0;
	return 0;
}
