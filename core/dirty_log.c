// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.
 *
 * A page found dirty is writable in the guest until userspace collects
 * its bit; collecting it write-protects the page again, so that the next
 * guest write faults and sets the bit anew. Without manual protection,
 * KVM_GET_DIRTY_LOG collects every bit it returns; with it, the bits stay
 * set until KVM_CLEAR_DIRTY_LOG clears (and protects) the pages named.
 * The bitmaps, the fault path and these ioctls all hold vm->slots_lock.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "registry.h"

static struct kvmod_memslot *dirty_log_slot(struct kvmod_vm *vm, u32 id,
					    int *err)
{
	struct kvmod_memslot *s;

	/* x86 has two address spaces; kvmod has no slots in the second. */
	if ((id >> 16) > 1 || (id & 0xffff) >= KVMOD_USER_MEMSLOTS) {
		*err = -EINVAL;
		return NULL;
	}
	s = &vm->slots[id & 0xffff];
	if ((id >> 16) || !s->npages || !s->dirty_bitmap) {
		*err = -ENOENT;
		return NULL;
	}
	return s;
}

/*
 * Clear the bits of @mask in the word of the bitmap covering the slot's
 * pages [@first, @first + 64) and write-protect the pages that were
 * dirty. Returns whether a translation changed.
 */
static bool collect_word(struct kvmod_vm *vm, struct kvmod_memslot *s,
			 u64 first, unsigned long mask)
{
	unsigned long *word = &s->dirty_bitmap[first / BITS_PER_LONG];

	mask &= *word;
	if (!mask)
		return false;
	*word &= ~mask;
	return vm->mmu->write_protect(vm, s->base_gfn + first, mask);
}

/**
 * kvmod_get_dirty_log() - KVM_GET_DIRTY_LOG
 * @vm: the VM
 * @log: slot and the user buffer for its bitmap
 *
 * Return: 0, -EINVAL for a bad slot number, -ENOENT when the slot is not
 * logging dirty pages, -EFAULT when the buffer cannot be written.
 */
int kvmod_get_dirty_log(struct kvmod_vm *vm, struct kvm_dirty_log *log)
{
	bool manual = vm->dirty_log_caps & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	unsigned long *copy = NULL;
	struct kvmod_memslot *s;
	unsigned long bytes;
	bool flush = false;
	u64 i;
	int r = 0;

	mutex_lock(&vm->slots_lock);
	s = dirty_log_slot(vm, log->slot, &r);
	if (!s)
		goto out;
	bytes = kvmod_dirty_bitmap_bytes(s->npages);
	if (!manual) {
		/* Snapshot, then collect: the guest may dirty pages again. */
		copy = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
		if (!copy) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(copy, s->dirty_bitmap, bytes);
		for (i = 0; i < bytes / sizeof(long); i++)
			if (copy[i])
				flush |= collect_word(vm, s, i * BITS_PER_LONG,
						      copy[i]);
		/* Nothing reported clean may stay writable in a TLB. */
		if (flush)
			kvmod_flush_remote_tlbs(vm);
	}
	if (copy_to_user(log->dirty_bitmap, manual ? s->dirty_bitmap : copy,
			 bytes))
		r = -EFAULT;
out:
	mutex_unlock(&vm->slots_lock);
	kvfree(copy);
	return r;
}

/**
 * kvmod_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG
 * @vm: the VM
 * @log: slot, the first page (a multiple of 64), the number of pages and a
 *	bitmap of the pages to clear and write-protect
 *
 * Return: 0, -EINVAL for a bad slot number or range, -ENOENT when the slot
 * is not logging dirty pages, -EFAULT when the bitmap cannot be read.
 */
int kvmod_clear_dirty_log(struct kvmod_vm *vm,
			  struct kvm_clear_dirty_log *log)
{
	unsigned long *mask = NULL;
	struct kvmod_memslot *s;
	unsigned long bytes;
	bool flush = false;
	u64 i, left;
	int r = 0;

	if (log->first_page & 63)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	s = dirty_log_slot(vm, log->slot, &r);
	if (!s)
		goto out;
	/* A partial word only at the end of the slot. */
	left = s->npages - min_t(u64, log->first_page, s->npages);
	if (log->first_page > s->npages || log->num_pages > left ||
	    (log->num_pages < left && (log->num_pages & 63))) {
		r = -EINVAL;
		goto out;
	}
	bytes = kvmod_dirty_bitmap_bytes(log->num_pages);
	if (!bytes)
		goto out;
	mask = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!mask) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(mask, log->dirty_bitmap, bytes)) {
		r = -EFAULT;
		goto out;
	}
	/* Bits past the slot's end are never set, so they clear nothing. */
	for (i = 0; i < bytes / sizeof(long); i++)
		flush |= collect_word(vm, s, log->first_page + i * BITS_PER_LONG,
				      mask[i]);
	if (flush)
		kvmod_flush_remote_tlbs(vm);
out:
	mutex_unlock(&vm->slots_lock);
	kvfree(mask);
	return r;
}

/**
 * kvmod_vm_enable_cap() - KVM_ENABLE_CAP on a VM fd
 * @vm: the VM
 * @cap: the capability and its arguments
 *
 * Only KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 can be enabled: args[0] holds
 * KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, with KVM_DIRTY_LOG_INITIALLY_SET
 * allowed beside it (0 turns manual protection off again).
 *
 * Return: 0, or -EINVAL for another capability, flags or options.
 */
int kvmod_vm_enable_cap(struct kvmod_vm *vm, const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (cap->cap != KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 || cap->flags)
		return -EINVAL;
	if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed |= KVM_DIRTY_LOG_INITIALLY_SET;
	if (cap->args[0] & ~allowed)
		return -EINVAL;
	mutex_lock(&vm->slots_lock);
	vm->dirty_log_caps = cap->args[0];
	mutex_unlock(&vm->slots_lock);
	return 0;
}
