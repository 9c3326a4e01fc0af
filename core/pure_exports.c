// SPDX-License-Identifier: GPL-2.0
/*
 * Exports of core's pure-logic helpers to the component modules. The
 * pure files themselves stay free of kernel macros so that they build
 * unchanged into host unit tests.
 */
#include <linux/export.h>

#include "insn_len.h"
#include "pagewalk.h"
#include "sregs_check.h"

EXPORT_SYMBOL_GPL(kvmod_insn_prefixes);
EXPORT_SYMBOL_GPL(kvmod_insn_len);
EXPORT_SYMBOL_GPL(kvmod_insn_mov_dr);
EXPORT_SYMBOL_GPL(kvmod_insn_mov_cr);
EXPORT_SYMBOL_GPL(kvmod_walk_gva);
EXPORT_SYMBOL_GPL(kvmod_sregs_valid);
