// SPDX-License-Identifier: GPL-2.0
/*
 * Flat 64-bit long mode for selftest guests; see kt_long.h.
 */
#include <string.h>
#include <linux/kvm.h>

#include "kt_long.h"
#include "kvm_util.h"

#define CR0_PE		(1ULL << 0)
#define CR0_ET		(1ULL << 4)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define PTE_P		0x1ULL
#define PTE_RW		0x2ULL
#define PTE_PS		0x80ULL

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
}

int kt_set_long_mode(int vcpu_fd, uint8_t *mem, uint64_t rip)
{
	uint64_t *pml4 = (uint64_t *)(mem + KT_LONG_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(mem + KT_LONG_PDPT_GPA);
	uint64_t *pd = (uint64_t *)(mem + KT_LONG_PD_GPA);
	struct kvm_sregs s;
	struct kvm_regs regs;
	unsigned int i;
	int r;

	memset(pml4, 0, KT_PAGE_SIZE);
	memset(pdpt, 0, KT_PAGE_SIZE);
	pml4[0] = KT_LONG_PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (KT_LONG_PD_GPA + i * KT_PAGE_SIZE) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;

	r = kt_get_sregs(vcpu_fd, &s);
	if (r)
		return r;
	flat_segment(&s.cs, 0x08, 0xb);
	s.cs.l = 1;
	flat_segment(&s.ds, 0x10, 0x3);
	s.ds.db = 1;
	s.es = s.ds;
	s.fs = s.ds;
	s.gs = s.ds;
	s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.selector = 0x18;
	s.tr.limit = 0x67;
	s.tr.type = 0xb;
	s.tr.present = 1;
	s.cr0 = CR0_PE | CR0_ET | CR0_PG;
	s.cr3 = KT_LONG_PML4_GPA;
	s.cr4 = CR4_PAE;
	s.efer = EFER_LME | EFER_LMA;
	r = kt_set_sregs(vcpu_fd, &s);
	if (r)
		return r;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = KT_STACK_GPA;
	regs.rflags = 0x2;
	return kt_set_regs(vcpu_fd, &regs);
}
