/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flat 64-bit long mode for selftest guests: the first 4 GiB of
 * guest-physical memory identity-mapped with 2 MiB pages, page tables in
 * the slot at GPA 0 that kt_guest_create() makes.
 */
#ifndef KVMOD_SELFTESTS_KT_LONG_H
#define KVMOD_SELFTESTS_KT_LONG_H

#include <stdint.h>

/* Page tables in slot 0 (KT_MEM_SIZE is 64 KiB). */
#define KT_LONG_PML4_GPA	0xa000UL
#define KT_LONG_PDPT_GPA	0xb000UL
#define KT_LONG_PD_GPA		0xc000UL	/* 4 tables: 0xc000-0xffff */
#define KT_LONG_MAP_SIZE	(4ULL << 30)

/*
 * Write the page tables into @mem (the host view of GPA 0) and put vCPU
 * @vcpu_fd in 64-bit mode, CPL 0, with RIP = @rip, RSP = KT_STACK_GPA and
 * RFLAGS = 0x2. 0 or -errno.
 */
int kt_set_long_mode(int vcpu_fd, uint8_t *mem, uint64_t rip);

#endif /* KVMOD_SELFTESTS_KT_LONG_H */
