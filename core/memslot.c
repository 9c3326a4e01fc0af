// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: guest-physical ranges backed by the VM owner's memory.
 *
 * All changes and the lookups of the fault path hold vm->slots_lock; the
 * entries are written under vm->slots_spin too, for readers that cannot
 * sleep (the MMU's notifier). A change that removes or moves memory, or
 * turns dirty logging on or off, zaps the slot's translations, and the
 * MMU flushes every vCPU's TLB before it returns.
 *
 * A slot with KVM_MEM_LOG_DIRTY_PAGES has a bitmap, one bit per page,
 * set by guest writes (write faults in the MMU, writes by core's
 * emulation) and read by the dirty-log ioctls, all under slots_lock.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "registry.h"

/**
 * kvmod_gfn_to_memslot() - find the memslot holding a guest frame
 * @vm: the VM; the caller holds vm->slots_lock
 * @gfn: guest frame number
 *
 * Return: the memslot, or NULL when no slot covers @gfn.
 */
struct kvmod_memslot *kvmod_gfn_to_memslot(struct kvmod_vm *vm, u64 gfn)
{
	int i, end = READ_ONCE(vm->slots_end);

	for (i = 0; i < end; i++) {
		struct kvmod_memslot *s = &vm->slots[i];

		if (s->npages && gfn >= s->base_gfn &&
		    gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(kvmod_gfn_to_memslot);

/**
 * kvmod_mark_page_dirty() - record a guest write for dirty logging
 * @slot: the memslot holding @gfn; the caller holds vm->slots_lock
 * @gfn: guest frame number the guest (or core on its behalf) wrote
 */
void kvmod_mark_page_dirty(struct kvmod_memslot *slot, u64 gfn)
{
	if (slot->dirty_bitmap && !WARN_ON_ONCE(gfn - slot->base_gfn >=
						 slot->npages))
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}
EXPORT_SYMBOL_GPL(kvmod_mark_page_dirty);

/* Bytes of a dirty bitmap: whole longs, as KVM_GET_DIRTY_LOG copies. */
unsigned long kvmod_dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / 8;
}

static unsigned long *alloc_dirty_bitmap(struct kvmod_vm *vm, u64 npages)
{
	unsigned long *bitmap;

	bitmap = kvzalloc(kvmod_dirty_bitmap_bytes(npages), GFP_KERNEL_ACCOUNT);
	if (bitmap && (vm->dirty_log_caps & KVM_DIRTY_LOG_INITIALLY_SET))
		bitmap_set(bitmap, 0, npages);
	return bitmap;
}

/* The VM is going away: free what its slots own. */
void kvmod_free_memslots(struct kvmod_vm *vm)
{
	int i;

	for (i = 0; i < KVMOD_USER_MEMSLOTS; i++)
		kvfree(vm->slots[i].dirty_bitmap);
	kvfree(vm->slots);
}

static bool slots_overlap(struct kvmod_vm *vm, int skip, u64 base, u64 npages)
{
	int i;

	for (i = 0; i < vm->slots_end; i++) {
		struct kvmod_memslot *s = &vm->slots[i];

		if (i == skip || !s->npages)
			continue;
		if (base < s->base_gfn + s->npages &&
		    s->base_gfn < base + npages)
			return true;
	}
	return false;
}

static int check_region(const struct kvm_userspace_memory_region *mem)
{
	u32 slot = mem->slot & 0xffff;
	u32 as_id = mem->slot >> 16;

	/* kvmod has no SMM address space. */
	if (as_id || slot >= KVMOD_USER_MEMSLOTS)
		return -EINVAL;
	if (mem->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	if (!mem->memory_size)
		return 0;	/* a delete: the other fields do not matter */
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	/*
	 * Within the host's physical-address width (what nested paging can
	 * translate; 48 bits at most for 4-level tables), as in-tree KVM;
	 * 2^31 - 1 pages at most.
	 */
	if ((mem->guest_phys_addr + mem->memory_size) >
	    (1ULL << min_t(int, boot_cpu_data.x86_phys_bits, 48)) ||
	    (mem->memory_size >> PAGE_SHIFT) > KVMOD_MEM_MAX_NR_PAGES)
		return -EINVAL;
	if (mem->userspace_addr + mem->memory_size < mem->userspace_addr ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	return 0;
}

int kvmod_set_memory_region(struct kvmod_vm *vm,
			    const struct kvm_userspace_memory_region *mem)
{
	unsigned long *bitmap = NULL, *old_bitmap;
	struct kvmod_memslot *s;
	u64 base, npages;
	int r;

	r = check_region(mem);
	if (r)
		return r;

	s = &vm->slots[mem->slot & 0xffff];
	base = mem->guest_phys_addr >> PAGE_SHIFT;
	npages = mem->memory_size >> PAGE_SHIFT;

	mutex_lock(&vm->slots_lock);
	if (!npages) {
		/* Delete. */
		if (!s->npages) {
			r = -EINVAL;
			goto out;
		}
	} else if (s->npages) {
		/* Change: only the base (a move) and flags may change... */
		if (mem->userspace_addr != s->userspace_addr ||
		    npages != s->npages) {
			r = -EINVAL;
			goto out;
		}
		/* ...and a slot stays read-only or writable for its life. */
		if ((mem->flags ^ s->flags) & KVM_MEM_READONLY) {
			r = -EINVAL;
			goto out;
		}
		if (base != s->base_gfn &&
		    slots_overlap(vm, mem->slot, base, npages)) {
			r = -EEXIST;
			goto out;
		}
	} else if (slots_overlap(vm, mem->slot, base, npages)) {
		/* Create. */
		r = -EEXIST;
		goto out;
	}

	if (npages && (mem->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		bitmap = s->npages ? s->dirty_bitmap : NULL;
		if (!bitmap)
			bitmap = alloc_dirty_bitmap(vm, npages);
		if (!bitmap) {
			r = -ENOMEM;
			goto out;
		}
	}

	/*
	 * Drop the translations of a deleted or moved slot while the slot is
	 * still there for the MMU notifier to see; no fault can map them
	 * again before the change, as faults take slots_lock. Turning dirty
	 * logging on or off remaps the slot too: with logging, pages are
	 * mapped 4 KiB at a time and writable only once found dirty.
	 */
	if (s->npages &&
	    (!npages || base != s->base_gfn ||
	     ((mem->flags ^ s->flags) & KVM_MEM_LOG_DIRTY_PAGES)))
		vm->mmu->zap_range(vm, s->base_gfn, s->base_gfn + s->npages);

	old_bitmap = s->npages ? s->dirty_bitmap : NULL;
	spin_lock(&vm->slots_spin);
	if (!npages) {
		s->npages = 0;
		s->dirty_bitmap = NULL;
	} else {
		s->base_gfn = base;
		s->npages = npages;
		s->userspace_addr = mem->userspace_addr;
		s->flags = mem->flags;
		s->dirty_bitmap = bitmap;
	}
	/* Lookups scan only up to the highest slot in use. */
	while (vm->slots_end && !vm->slots[vm->slots_end - 1].npages)
		WRITE_ONCE(vm->slots_end, vm->slots_end - 1);
	if (npages && (mem->slot & 0xffff) >= vm->slots_end)
		WRITE_ONCE(vm->slots_end, (mem->slot & 0xffff) + 1);
	spin_unlock(&vm->slots_spin);
	if (old_bitmap != bitmap)
		kvfree(old_bitmap);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
