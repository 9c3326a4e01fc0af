/* SPDX-License-Identifier: GPL-2.0 */
/* Names of VMX basic exit reasons. Pure logic. */
#ifndef KVMOD_VMX_EXIT_NAMES_H
#define KVMOD_VMX_EXIT_NAMES_H

#include "pure_types.h"

const char *vmx_exit_name(u32 reason);

#endif /* KVMOD_VMX_EXIT_NAMES_H */
