/* SPDX-License-Identifier: GPL-2.0 */
/* Names of KVM_EXIT_* reasons. Pure logic. */
#ifndef KVMOD_EXIT_NAMES_H
#define KVMOD_EXIT_NAMES_H

#include "pure_types.h"

const char *kvmod_user_exit_name(u32 reason);

#endif /* KVMOD_EXIT_NAMES_H */
