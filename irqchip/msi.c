// SPDX-License-Identifier: GPL-2.0
/*
 * x86 MSI address/data decoding as KVM does it. See msi.h.
 */
#include "msi.h"

bool kvmod_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		      bool x2apic_format, struct kvmod_irq_msg *msg)
{
	u32 dest;

	if (!kvmod_msi_valid(address_hi, x2apic_format))
		return false;

	dest = (address_lo & KVMOD_MSI_ADDR_DEST_MASK) >>
	       KVMOD_MSI_ADDR_DEST_SHIFT;
	if (x2apic_format)
		dest |= address_hi & KVMOD_MSI_ADDR_HI_DEST_MASK;

	msg->dest = dest;
	msg->vector = (u8)(data & KVMOD_MSI_DATA_VECTOR_MASK);
	msg->delivery_mode = (u8)((data & KVMOD_MSI_DATA_DM_MASK) >>
				  KVMOD_MSI_DATA_DM_SHIFT);
	msg->shorthand = KVMOD_SH_NONE;
	msg->logical = !!(address_lo & KVMOD_MSI_ADDR_DEST_LOGICAL);
	msg->level = !!(data & KVMOD_MSI_DATA_LEVEL);
	msg->assert = true;
	msg->redirect_hint = !!(address_lo & KVMOD_MSI_ADDR_REDIR_HINT);
	return true;
}
