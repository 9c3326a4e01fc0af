// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walker for the legacy 2-level (optionally with 4 MiB
 * pages), PAE 3-level and long-mode 4/5-level formats.
 *
 * Pure logic, shared by kvmod.ko and the host unit tests.
 */
#include "pagewalk.h"

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_PS		BIT_ULL(7)
#define PTE_NX		BIT_ULL(63)
#define PTE_ADDR_MASK	0x000ffffffffff000ULL
#define PTE_PAE_RSVD	0x7ff0000000000000ULL	/* bits 62:52 under PAE */
#define PAGE_4K_MASK	0xfffULL

struct walk_state {
	const struct kvmod_paging *pg;
	u32 access;
	bool writable;
	bool user;
	bool executable;
};

static int walk_fault(u32 access, bool present, u32 extra, u32 *error)
{
	*error = (access & (KVMOD_ACC_WRITE | KVMOD_ACC_USER |
			    KVMOD_ACC_FETCH)) | extra;
	if (present)
		*error |= KVMOD_PF_PRESENT;
	return KVMOD_WALK_PAGE_FAULT;
}

/* Accumulate the permissions of one paging-structure entry. */
static void walk_accumulate(struct walk_state *ws, u64 pte, bool has_nx)
{
	if (!(pte & PTE_RW))
		ws->writable = false;
	if (!(pte & PTE_US))
		ws->user = false;
	if (has_nx && (pte & PTE_NX))
		ws->executable = false;
}

static int walk_check(const struct walk_state *ws, u32 *error)
{
	u32 acc = ws->access;
	bool wp = ws->pg->cr0 & KVMOD_CR0_WP;

	if ((acc & KVMOD_ACC_USER) && !ws->user)
		return walk_fault(acc, true, 0, error);
	if ((acc & KVMOD_ACC_WRITE) && !ws->writable &&
	    ((acc & KVMOD_ACC_USER) || wp))
		return walk_fault(acc, true, 0, error);
	if ((acc & KVMOD_ACC_FETCH) && !ws->executable)
		return walk_fault(acc, true, 0, error);
	return KVMOD_WALK_OK;
}

static int walk_legacy(struct walk_state *ws, u64 gva, kvmod_read_gpa_t read,
		       void *ctx, u64 *gpa, u32 *error)
{
	u32 pde, pte;
	u64 addr;
	u32 va = (u32)gva;

	addr = (ws->pg->cr3 & 0xfffff000ULL) + ((va >> 22) & 0x3ff) * 4;
	if (read(ctx, addr, &pde, 4))
		return KVMOD_WALK_NO_MEMORY;
	if (!(pde & PTE_P))
		return walk_fault(ws->access, false, 0, error);
	walk_accumulate(ws, pde, false);

	if ((pde & PTE_PS) && (ws->pg->cr4 & KVMOD_CR4_PSE)) {
		/* 4 MiB page; PSE-36 puts address bits 39:32 in 20:13. */
		u64 base = (pde & 0xffc00000ULL) |
			   ((u64)((pde >> 13) & 0xff) << 32);

		if (pde & BIT(21))
			return walk_fault(ws->access, true, KVMOD_PF_RSVD,
					  error);
		*gpa = base | (va & 0x3fffff);
		return walk_check(ws, error);
	}

	addr = (pde & 0xfffff000ULL) + ((va >> 12) & 0x3ff) * 4;
	if (read(ctx, addr, &pte, 4))
		return KVMOD_WALK_NO_MEMORY;
	if (!(pte & PTE_P))
		return walk_fault(ws->access, false, 0, error);
	walk_accumulate(ws, pte, false);
	*gpa = (pte & 0xfffff000ULL) | (va & PAGE_4K_MASK);
	return walk_check(ws, error);
}

/*
 * Reserved bits of a 64-bit entry: NX without EFER.NXE, and under
 * (legacy) PAE paging bits 62:52 too.
 */
static bool pte_reserved(u64 pte, bool nxe, bool pae)
{
	return (!nxe && (pte & PTE_NX)) || (pae && (pte & PTE_PAE_RSVD));
}

/*
 * Walk the 64-bit-entry levels (PAE page directory and below, or the
 * whole long-mode hierarchy). @level is the level of @table: 1 = PT,
 * 2 = PD, 3 = PDPT, 4 = PML4, 5 = PML5.
 */
static int walk_64(struct walk_state *ws, u64 table, int level, u64 gva,
		   kvmod_read_gpa_t read, void *ctx, u64 *gpa, u32 *error)
{
	bool nxe = ws->pg->efer & KVMOD_EFER_NXE;
	bool pae = !(ws->pg->efer & KVMOD_EFER_LMA);
	u64 pte;

	for (;; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		u64 addr = (table & PTE_ADDR_MASK) +
			   ((gva >> shift) & 0x1ff) * 8;

		if (read(ctx, addr, &pte, 8))
			return KVMOD_WALK_NO_MEMORY;
		if (!(pte & PTE_P))
			return walk_fault(ws->access, false, 0, error);
		if (pte_reserved(pte, nxe, pae))
			return walk_fault(ws->access, true, KVMOD_PF_RSVD,
					  error);
		walk_accumulate(ws, pte, nxe);

		if (level == 1 || ((level == 2 || level == 3) &&
				   (pte & PTE_PS))) {
			u64 size = 1ULL << shift;
			u64 base = pte & PTE_ADDR_MASK & ~(size - 1);

			if (level > 1 && (pte & PTE_ADDR_MASK & (size - 1) &
					  ~0x1000ULL))
				return walk_fault(ws->access, true,
						  KVMOD_PF_RSVD, error);
			*gpa = base | (gva & (size - 1));
			return walk_check(ws, error);
		}
		if ((level == 4 || level == 5) && (pte & PTE_PS))
			return walk_fault(ws->access, true, KVMOD_PF_RSVD,
					  error);
		table = pte;
	}
}

static int walk_pae(struct walk_state *ws, u64 gva, kvmod_read_gpa_t read,
		    void *ctx, u64 *gpa, u32 *error)
{
	u32 va = (u32)gva;
	u64 pdpte;
	u64 addr = (ws->pg->cr3 & 0xffffffe0ULL) + ((va >> 30) & 3) * 8;

	if (read(ctx, addr, &pdpte, 8))
		return KVMOD_WALK_NO_MEMORY;
	if (!(pdpte & PTE_P))
		return walk_fault(ws->access, false, 0, error);
	/*
	 * PAE PDPTEs carry no access rights. Their reserved bits are checked
	 * when the CPU loads them (MOV CR3 on Intel), not on each walk, and a
	 * CPU may set the Accessed bit (bit 5) in one it used, as QEMU's does:
	 * like in-tree KVM's walker, look at the present bit and the address
	 * only (bits 62:52 are never an address).
	 */
	if (pdpte & PTE_PAE_RSVD)
		return walk_fault(ws->access, true, KVMOD_PF_RSVD, error);
	return walk_64(ws, pdpte & (PTE_P | PTE_ADDR_MASK), 2, va, read, ctx,
		       gpa, error);
}

static bool gva_canonical(u64 gva, unsigned int bits)
{
	s64 v = (s64)(gva << (64 - bits)) >> (64 - bits);

	return (u64)v == gva;
}

/**
 * kvmod_walk_gva() - translate a guest linear address
 * @pg: the guest's CR0, CR3, CR4 and EFER
 * @gva: the linear address
 * @access: KVMOD_ACC_* bits describing the access
 * @read: reads guest-physical memory (page-table entries)
 * @ctx: passed to @read
 * @gpa: on success, the guest-physical address
 * @error: on KVMOD_WALK_PAGE_FAULT, the x86 #PF error code
 *
 * Accessed and dirty bits are not updated.
 *
 * Return: an enum kvmod_walk_result value.
 */
int kvmod_walk_gva(const struct kvmod_paging *pg, u64 gva, u32 access,
		   kvmod_read_gpa_t read, void *ctx, u64 *gpa, u32 *error)
{
	struct walk_state ws = {
		.pg = pg,
		.access = access,
		.writable = true,
		.user = true,
		.executable = true,
	};

	*error = 0;
	/* The I/D error-code bit exists only when NX is in effect. */
	if (!(pg->efer & KVMOD_EFER_NXE) || !(pg->cr4 & KVMOD_CR4_PAE))
		ws.access &= ~KVMOD_ACC_FETCH;
	if (!(pg->cr0 & KVMOD_CR0_PG)) {
		*gpa = (pg->efer & KVMOD_EFER_LMA) ? gva : (u32)gva;
		return KVMOD_WALK_OK;
	}
	if (pg->efer & KVMOD_EFER_LMA) {
		bool la57 = pg->cr4 & KVMOD_CR4_LA57;

		if (!gva_canonical(gva, la57 ? 57 : 48))
			return KVMOD_WALK_NONCANONICAL;
		return walk_64(&ws, pg->cr3, la57 ? 5 : 4, gva, read, ctx,
			       gpa, error);
	}
	if (pg->cr4 & KVMOD_CR4_PAE)
		return walk_pae(&ws, gva, read, ctx, gpa, error);
	return walk_legacy(&ws, gva, read, ctx, gpa, error);
}
