// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID as a kvmod guest sees it: the host's answers with everything
 * kvmod does not virtualize taken out and the hypervisor bit set.
 */
#include <asm/processor.h>

#include "kvmod.h"
#include "trace_kvmod.h"

/* Leaf 1 ECX features a guest must not see. */
#define L1_ECX_HIDE	(BIT(3) |	/* MONITOR */		\
			 BIT(5) |	/* VMX */		\
			 BIT(6) |	/* SMX */		\
			 BIT(7) |	/* EST */		\
			 BIT(8) |	/* TM2 */		\
			 BIT(15) |	/* PDCM */		\
			 BIT(18) |	/* DCA */		\
			 BIT(21) |	/* x2APIC */		\
			 BIT(24) |	/* TSC deadline */	\
			 BIT(26) |	/* XSAVE */		\
			 BIT(27) |	/* OSXSAVE */		\
			 BIT(28))	/* AVX */
#define L1_ECX_HYPERVISOR	BIT(31)
/* Leaf 1 EDX: APIC (no in-kernel APIC yet), ACPI, TM, PBE. */
#define L1_EDX_HIDE	(BIT(9) | BIT(22) | BIT(29) | BIT(31))
/* Leaf 7 EBX: keep only features that need no state or host help. */
#define L7_EBX_KEEP	(BIT(0) |	/* FSGSBASE */		\
			 BIT(3) |	/* BMI1 */		\
			 BIT(7) |	/* SMEP */		\
			 BIT(8) |	/* BMI2 */		\
			 BIT(9) |	/* ERMS */		\
			 BIT(18) |	/* RDSEED */		\
			 BIT(19) |	/* ADX */		\
			 BIT(20) |	/* SMAP */		\
			 BIT(23) |	/* CLFLUSHOPT */	\
			 BIT(29))	/* SHA */
/* 0x80000001 ECX: SVM, SKINIT, WDT, LWP, TOPOEXT, perf counters. */
#define E1_ECX_HIDE	(BIT(2) | BIT(12) | BIT(13) | BIT(15) | BIT(22) | \
			 BIT(23) | BIT(24) | BIT(28))

/**
 * kvmod_cpuid() - answer a guest CPUID
 * @vcpu: the vCPU executing CPUID
 * @leaf: EAX at the CPUID
 * @subleaf: ECX at the CPUID
 * @eax: result
 * @ebx: result
 * @ecx: result
 * @edx: result
 */
void kvmod_cpuid(struct kvmod_vcpu *vcpu, u32 leaf, u32 subleaf, u32 *eax,
		 u32 *ebx, u32 *ecx, u32 *edx)
{
	u32 max_basic = cpuid_eax(0);
	u32 max_ext = cpuid_eax(0x80000000);

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf < 0x80000000 ? leaf > max_basic : leaf > max_ext)
		goto out;

	switch (leaf) {
	case 0:
		cpuid(0, eax, ebx, ecx, edx);
		*eax = min_t(u32, *eax, 7);
		break;
	case 1:
		cpuid(1, eax, ebx, ecx, edx);
		*ecx &= ~L1_ECX_HIDE;
		*ecx |= L1_ECX_HYPERVISOR;
		*edx &= ~L1_EDX_HIDE;
		/* Initial APIC ID and one logical processor per package. */
		*ebx = (*ebx & 0x0000ffff) | (vcpu->id << 24) | (1 << 16);
		break;
	case 2:
	case 4:
		cpuid_count(leaf, subleaf, eax, ebx, ecx, edx);
		break;
	case 7:
		if (subleaf == 0) {
			cpuid_count(7, 0, eax, ebx, ecx, edx);
			*eax = 0;
			*ebx &= L7_EBX_KEEP;
			*ecx = 0;
			*edx = 0;
		}
		break;
	case 0x80000000:
		cpuid(leaf, eax, ebx, ecx, edx);
		*eax = min_t(u32, *eax, 0x80000008);
		break;
	case 0x80000001:
		cpuid(leaf, eax, ebx, ecx, edx);
		*ecx &= ~E1_ECX_HIDE;
		break;
	case 0x80000002:
	case 0x80000003:
	case 0x80000004:
	case 0x80000005:
	case 0x80000006:
		cpuid(leaf, eax, ebx, ecx, edx);
		break;
	case 0x80000008:
		cpuid(leaf, eax, ebx, ecx, edx);
		*eax &= 0xffff;		/* address sizes only */
		*ebx = 0;
		*ecx = 0;
		break;
	default:
		break;
	}
out:
	trace_kvmod_cpuid(vcpu->id, leaf, subleaf, *eax, *ebx, *ecx, *edx);
}
EXPORT_SYMBOL_GPL(kvmod_cpuid);
