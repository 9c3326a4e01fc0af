// SPDX-License-Identifier: GPL-2.0
/*
 * Model-specific MSRs that guests touch while they probe the platform,
 * answered as in-tree KVM answers them: northbridge, power and
 * microcode-loader MSRs that read as zero and ignore writes, fixed
 * frequency and cache-control values, the performance counters of a
 * vCPU without a PMU, and the few such MSRs that keep what is written
 * (MISC_ENABLE, POWER_CTL, AMD's OS-visible workarounds and, on SVM,
 * the host save area's address). CPUID faulting as KVM offers it to
 * every guest: PLATFORM_INFO says it is there, MISC_FEATURES_ENABLES
 * turns it on, and CPUID then #GPs outside ring 0 (exit.c).
 */
#include <linux/minmax.h>
#include <linux/mm.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>

#include "registry.h"

/* MISC_ENABLE bits the guest reads but cannot change. */
#define MISC_ENABLE_RO			(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
					 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define OSVW_CPUID_BIT			9	/* CPUID 0x80000001 ECX */

/* Read as zero, writes ignored. */
static bool zero_and_ignored(u32 msr)
{
	switch (msr) {
	case MSR_AMD64_NB_CFG:
	case MSR_AMD64_BU_CFG2:
	case MSR_AMD64_DC_CFG:
	case MSR_AMD64_TW_CFG:
	case MSR_F15H_EX_CFG:
		return true;
	}
	return false;
}

/* Read as zero; a write is refused (#GP). */
static bool zero_read_only(u32 msr)
{
	switch (msr) {
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_EBL_CR_POWERON:
	case MSR_IA32_LASTBRANCHFROMIP:
	case MSR_IA32_LASTBRANCHTOIP:
	case MSR_IA32_LASTINTFROMIP:
	case MSR_IA32_LASTINTTOIP:
	case MSR_AMD64_SYSCFG:
	case MSR_K8_TSEG_ADDR:
	case MSR_K8_TSEG_MASK:
	case MSR_K8_INT_PENDING_MSG:
	case MSR_IA32_PERF_CTL:
	case MSR_RAPL_POWER_UNIT:
	case MSR_PP0_ENERGY_STATUS:
	case MSR_PP1_ENERGY_STATUS:
	case MSR_PKG_ENERGY_STATUS:
	case MSR_DRAM_ENERGY_STATUS:
		return true;
	}
	return false;
}

/* The legacy performance counters: no PMU, so zero and writes dropped. */
static bool legacy_pmu(u32 msr)
{
	return (msr >= MSR_K7_EVNTSEL0 && msr <= MSR_K7_EVNTSEL3) ||
	       (msr >= MSR_K7_PERFCTR0 && msr <= MSR_K7_PERFCTR3) ||
	       (msr >= MSR_P6_PERFCTR0 && msr <= MSR_P6_PERFCTR1) ||
	       (msr >= MSR_P6_EVNTSEL0 && msr <= MSR_P6_EVNTSEL1);
}

static bool has_osvw(struct kvmod_vcpu *vcpu)
{
	return kvmod_guest_has_feature(vcpu, 0x80000001, 2, OSVW_CPUID_BIT);
}

/*
 * The OSVW MSRs of a new vCPU on SVM, as KVM: the host's IDs (at most
 * 4, at least 3 offered) with errata 400 and 415 (bits 1, 2) fixed, as
 * HLT and I/O are intercepted; erratum 298 (bit 0) assumed present on
 * a family 10h host that says nothing.
 */
static void osvw_init(struct kvmod_vcpu *vcpu)
{
	u64 len = 0, status = 0;

	vcpu->platform.osvw_length = 0;
	vcpu->platform.osvw_status = 0;
	if (!vcpu->vm->vendor->osvw_from_host)
		return;
	if (!boot_cpu_has(X86_FEATURE_OSVW) ||
	    rdmsrl_safe(MSR_AMD64_OSVW_ID_LENGTH, &len) ||
	    rdmsrl_safe(MSR_AMD64_OSVW_STATUS, &status)) {
		len = 0;
		status = 0;
	}
	len = min_t(u64, len, 4);
	status &= BIT_ULL(len) - 1;
	vcpu->platform.osvw_length = max_t(u64, len, 3);
	vcpu->platform.osvw_status = status & ~6ULL;
	if (!len && boot_cpu_data.x86 == 0x10)
		vcpu->platform.osvw_status |= 1;
}

/**
 * kvmod_platform_msr_init() - the platform MSRs of a new vCPU
 * @vcpu: the vCPU
 */
void kvmod_platform_msr_init(struct kvmod_vcpu *vcpu)
{
	vcpu->platform.misc_enable = MISC_ENABLE_RO;
	vcpu->platform.power_ctl = 0;
	osvw_init(vcpu);
	vcpu->platform.hsave_pa = 0;
	vcpu->platform.platform_info = MSR_PLATFORM_INFO_CPUID_FAULT;
	vcpu->platform.misc_features = 0;
}

/**
 * kvmod_cpuid_faulting() - does CPUID outside ring 0 raise #GP?
 * @vcpu: the vCPU
 *
 * Return: whether the guest turned CPUID faulting on.
 */
bool kvmod_cpuid_faulting(struct kvmod_vcpu *vcpu)
{
	return vcpu->platform.misc_features &
	       MSR_MISC_FEATURES_ENABLES_CPUID_FAULT;
}

/**
 * kvmod_platform_get_msr() - read a platform MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 *
 * Return: 0; -EINVAL (#GP) for the OSVW MSRs without the CPUID bit;
 * -ENOENT when @msr is not one of these.
 */
int kvmod_platform_get_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 *val)
{
	if (zero_and_ignored(msr) || zero_read_only(msr) || legacy_pmu(msr) ||
	    msr == MSR_FAM10H_MMIO_CONF_BASE) {
		*val = 0;
		return 0;
	}
	switch (msr) {
	case MSR_PLATFORM_INFO:
		*val = vcpu->platform.platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*val = vcpu->platform.misc_features;
		return 0;
	case MSR_FSB_FREQ:
		*val = 3;
		return 0;
	case MSR_EBC_FREQUENCY_ID:
		/* Core clock / bus clock ratio 1: no division by zero. */
		*val = 1ULL << 24;
		return 0;
	case MSR_IA32_PERF_STATUS:
		*val = 1000ULL | (4ULL << 40);
		return 0;
	case MSR_K7_CLK_CTL:
		*val = 0x20000000;
		return 0;
	case MSR_IA32_BBL_CR_CTL3:
		*val = 0xbe702111;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*val = vcpu->platform.misc_enable;
		return 0;
	case MSR_IA32_POWER_CTL:
		*val = vcpu->platform.power_ctl;
		return 0;
	case MSR_VM_HSAVE_PA:
		*val = vcpu->platform.hsave_pa;
		return 0;
	case MSR_AMD64_OSVW_ID_LENGTH:
	case MSR_AMD64_OSVW_STATUS:
		if (!has_osvw(vcpu))
			return -EINVAL;
		*val = msr == MSR_AMD64_OSVW_STATUS ?
		       vcpu->platform.osvw_status : vcpu->platform.osvw_length;
		return 0;
	}
	return -ENOENT;
}

/*
 * VM_HSAVE_PA: on SVM a page address (the guest's write of anything
 * else #GPs; the VMM's, which may restore what an old kernel accepted,
 * is aligned down); elsewhere writes are dropped.
 */
static int set_hsave_pa(struct kvmod_vcpu *vcpu, u64 val, bool host)
{
	if (!vcpu->vm->vendor->keeps_hsave_pa)
		return 0;
	if (!host && (!PAGE_ALIGNED(val) ||
		      val >> kvmod_guest_maxphyaddr(vcpu)))
		return -EINVAL;
	vcpu->platform.hsave_pa = val & PAGE_MASK;
	return 0;
}

/**
 * kvmod_platform_set_msr() - write a platform MSR
 * @vcpu: the vCPU
 * @msr: the MSR index
 * @val: the value
 * @host: KVM_SET_MSRS rather than the guest's WRMSR
 *
 * Return: 0; -EINVAL (#GP) for a read-only MSR, a MISC_ENABLE write
 * that changes a read-only bit, a non-zero MMIO_CONF_BASE, a
 * MISC_FEATURES_ENABLES bit other than CPUID faulting (or that one
 * while PLATFORM_INFO does not offer it), a guest's PLATFORM_INFO
 * write, the OSVW MSRs without the CPUID bit, a guest's VM_HSAVE_PA
 * that is no page address; -ENOENT when @msr is not one of these.
 */
int kvmod_platform_set_msr(struct kvmod_vcpu *vcpu, u32 msr, u64 val,
			   bool host)
{
	if (zero_and_ignored(msr) || legacy_pmu(msr))
		return 0;
	if (zero_read_only(msr))
		return -EINVAL;
	switch (msr) {
	case MSR_IA32_UCODE_WRITE:
	case MSR_AMD64_PATCH_LOADER:
	case MSR_K7_CLK_CTL:
	case MSR_IA32_BBL_CR_CTL3:
		return 0;
	case MSR_FAM10H_MMIO_CONF_BASE:
		return val ? -EINVAL : 0;
	case MSR_PLATFORM_INFO:
		/* The VMM's; it may not withdraw faulting while it is on. */
		if (!host || (!(val & MSR_PLATFORM_INFO_CPUID_FAULT) &&
			      kvmod_cpuid_faulting(vcpu)))
			return -EINVAL;
		vcpu->platform.platform_info = val;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		if ((val & ~MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) ||
		    ((val & MSR_MISC_FEATURES_ENABLES_CPUID_FAULT) &&
		     !(vcpu->platform.platform_info &
		       MSR_PLATFORM_INFO_CPUID_FAULT)))
			return -EINVAL;
		vcpu->platform.misc_features = val;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		if (!host) {
			if ((vcpu->platform.misc_enable ^ val) & MISC_ENABLE_RO)
				return -EINVAL;
			/* EMON reads as it was; writes to it are dropped. */
			val = (val & ~MSR_IA32_MISC_ENABLE_EMON) |
			      (vcpu->platform.misc_enable &
			       MSR_IA32_MISC_ENABLE_EMON);
		}
		vcpu->platform.misc_enable = val;
		return 0;
	case MSR_IA32_POWER_CTL:
		vcpu->platform.power_ctl = val;
		return 0;
	case MSR_VM_HSAVE_PA:
		return set_hsave_pa(vcpu, val, host);
	case MSR_AMD64_OSVW_ID_LENGTH:
	case MSR_AMD64_OSVW_STATUS:
		if (!has_osvw(vcpu))
			return -EINVAL;
		if (msr == MSR_AMD64_OSVW_STATUS)
			vcpu->platform.osvw_status = val;
		else
			vcpu->platform.osvw_length = val;
		return 0;
	}
	return -ENOENT;
}
