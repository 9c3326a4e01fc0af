/* SPDX-License-Identifier: GPL-2.0 */
/* Names of SVM exit codes. Pure logic. */
#ifndef KVMOD_SVM_EXIT_NAMES_H
#define KVMOD_SVM_EXIT_NAMES_H

#include "pure_types.h"

const char *svm_exit_name(u32 code);

#endif /* KVMOD_SVM_EXIT_NAMES_H */
