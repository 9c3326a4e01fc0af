/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Memory map and ports shared by the benchmark guest (guest.S) and the
 * benchmark VMM (kvm-bench.c).  Plain #defines only: also included by the
 * assembler.
 *
 * The guest runs in 32-bit protected mode with flat segments and paging
 * off.  Every entry point takes its arguments in registers:
 *   ESI  number of operations (> 0)
 *   EDX  the benchmark I/O port
 *   EDI  an address (MMIO address, first page to touch), or g_timer_hlt's
 *        timer count
 *   EAX  the value g_touch writes
 * and ends with an OUT to DONE_PORT.
 */
#ifndef KVM_BENCH_GUEST_H
#define KVM_BENCH_GUEST_H

/* Memslot 0: guest RAM at GPA 0. */
#define GUEST_MEM_SIZE		0x200000
#define GUEST_GDT		0x1000	/* null, code 0x08, data 0x10 */
#define GUEST_IDT		0x2000	/* 256 interrupt gates */
#define GUEST_CODE		0x4000	/* the guest image is copied here */
#define GUEST_CODE_END		0x8000
#define GUEST_COUNTER		0x9000	/* incremented by the IRQ handler */
#define GUEST_STACK		0x10000	/* initial ESP */
#define GUEST_STACK1		0xe000	/* initial ESP of vCPU 1 (ipi) */

#define GUEST_CS		0x08
#define GUEST_DS		0x10

/*
 * Memslot 1: first-touch (4 MiB), touch-1g and dirty-log-1g* (1 GiB, up to
 * 0x50000000).  Paging is off, so the guest reaches every GPA below 4 GiB
 * through its flat segments without page tables.
 */
#define TOUCH_GPA		0x10000000

/* No memslot here: accesses are MMIO. */
#define MMIO_GPA		0xd0000000

/* xAPIC registers (in-kernel irqchip only). */
#define APIC_BASE		0xfee00000
#define APIC_EOI		(APIC_BASE + 0xb0)
#define APIC_SVR		(APIC_BASE + 0xf0)
#define APIC_ICR_LO		(APIC_BASE + 0x300)
#define APIC_ICR_HI		(APIC_BASE + 0x310)
#define APIC_LVTT		(APIC_BASE + 0x320)
#define APIC_TMICT		(APIC_BASE + 0x380)
#define APIC_TDCR		(APIC_BASE + 0x3e0)
#define APIC_ICR_ASSERT		0x4000	/* fixed, physical, no shorthand */
/* g_irq_handler: counts, EOIs.  The ipi workload's answer comes back on it. */
#define IRQ_VECTOR		0x40
/* g_ipi_handler (ipi, vCPU 1): EOIs, sends IRQ_VECTOR to APIC ID 0. */
#define IPI_VECTOR		0x41

/* irqfd: the GSI routed to IRQ_VECTOR on APIC ID 0. */
#define BENCH_GSI		24

#define BENCH_PORT		0x500
#define DONE_PORT		0x501

/* An unknown hypercall number: KVM answers -KVM_ENOSYS in RAX. */
#define HC_UNKNOWN		0x7fff

/*
 * kvmclock-read: the vCPU's struct pvclock_vcpu_time_info, registered by
 * kvm-bench with MSR_KVM_SYSTEM_TIME_NEW; its fields' offsets.
 */
#define PVCLOCK_GPA		0x9100
#define PVCLOCK_VERSION		0
#define PVCLOCK_TSC_TIMESTAMP	8
#define PVCLOCK_SYSTEM_TIME	16
#define PVCLOCK_MUL		24
#define PVCLOCK_SHIFT		28

#ifndef __ASSEMBLER__
/* guest.S: the image and its entry points, all inside the image. */
extern const unsigned char bench_guest_start[], bench_guest_end[];
extern const unsigned char g_cpuid[], g_vmmcall[], g_vmcall[];
extern const unsigned char g_pio_out[], g_pio_in[];
extern const unsigned char g_mmio_write[], g_mmio_read[];
extern const unsigned char g_hlt[], g_touch[], g_halt_forever[];
extern const unsigned char g_irq_wait[], g_irq_handler[];
extern const unsigned char g_ipi_ping[], g_ipi_pong[], g_ipi_handler[];
extern const unsigned char g_timer_hlt[], g_kvmclock_read[];
#endif

#endif
