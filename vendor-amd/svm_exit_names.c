// SPDX-License-Identifier: GPL-2.0
/*
 * Names of SVM exit codes, from the SVM_EXIT_REASONS list of the
 * <asm/svm.h> UAPI header. Pure logic: builds in the module and in
 * host unit tests.
 */
/* SVM_EXIT_REASONS names exception vectors from <asm/kvm.h>. */
#include <asm/kvm.h>
#include <asm/svm.h>

#include "svm_exit_names.h"

struct svm_exit_name_entry {
	unsigned int code;
	const char *name;
};

static const struct svm_exit_name_entry svm_exit_names[] = {
	SVM_EXIT_REASONS
};

/**
 * svm_exit_name() - the name of an SVM exit code
 * @code: the VMCB EXITCODE (low 32 bits)
 *
 * Return: the name, or NULL for a code without one.
 */
const char *svm_exit_name(u32 code)
{
	size_t i;

	for (i = 0; i < KVMOD_ARRAY_SIZE(svm_exit_names); i++)
		if (svm_exit_names[i].code == code)
			return svm_exit_names[i].name;
	return NULL;
}
