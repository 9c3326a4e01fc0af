/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoding of x86 MSI messages (address and data words) into interrupt
 * messages for the local APICs, as KVM does for KVM_SIGNAL_MSI, MSI
 * routes and irqfds, including KVM's x2APIC API format
 * (KVM_X2APIC_API_USE_32BIT_IDS: destination bits 31:8 in address_hi).
 */
#ifndef KVMOD_MSI_H
#define KVMOD_MSI_H

#include "pure_types.h"
#include "irq_msg.h"

/* address_lo */
#define KVMOD_MSI_ADDR_DEST_LOGICAL	BIT(2)
#define KVMOD_MSI_ADDR_REDIR_HINT	BIT(3)
#define KVMOD_MSI_ADDR_DEST_SHIFT	12	/* bits 19:12 */
#define KVMOD_MSI_ADDR_DEST_MASK	0x000ff000U
/* address_hi, x2APIC API format: destination bits 31:8 */
#define KVMOD_MSI_ADDR_HI_DEST_MASK	0xffffff00U
#define KVMOD_MSI_ADDR_HI_RESERVED	0x000000ffU

/* data */
#define KVMOD_MSI_DATA_VECTOR_MASK	0x000000ffU
#define KVMOD_MSI_DATA_DM_SHIFT		8	/* bits 10:8, KVMOD_DM_* */
#define KVMOD_MSI_DATA_DM_MASK		0x00000700U
#define KVMOD_MSI_DATA_ASSERT		BIT(14)	/* ignored by KVM */
#define KVMOD_MSI_DATA_LEVEL		BIT(15)

/**
 * kvmod_msi_valid() - would KVM accept this MSI?
 * @address_hi: the high address word
 * @x2apic_format: the VM enabled KVM_X2APIC_API_USE_32BIT_IDS
 *
 * KVM refuses (-EINVAL, for KVM_SIGNAL_MSI, a KVM_SET_GSI_ROUTING MSI
 * entry and a delivery through a route) an MSI whose address_hi has any
 * of bits 7:0 set when the x2APIC format is on. Nothing else is checked:
 * in particular address_lo need not be 0xfeexxxxx.
 *
 * Return: true if valid.
 */
static inline bool kvmod_msi_valid(u32 address_hi, bool x2apic_format)
{
	return !(x2apic_format && (address_hi & KVMOD_MSI_ADDR_HI_RESERVED));
}

/**
 * kvmod_msi_decode() - decode an MSI into an interrupt message
 * @address_lo: the low address word
 * @address_hi: the high address word
 * @data: the data word
 * @x2apic_format: the VM enabled KVM_X2APIC_API_USE_32BIT_IDS
 * @msg: filled in (when valid): dest = address_lo bits 19:12, OR'ed
 *	with address_hi bits 31:8 in x2APIC format (address_hi is ignored
 *	otherwise); logical = address_lo bit 2; redirect_hint = bit 3;
 *	vector = data bits 7:0; delivery_mode = data bits 10:8; level =
 *	data bit 15; assert = true (KVM ignores data bit 14); no shorthand
 *
 * Return: kvmod_msi_valid(); @msg is untouched when false.
 */
bool kvmod_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		      bool x2apic_format, struct kvmod_irq_msg *msg);

#endif /* KVMOD_MSI_H */
