/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK() for the libFuzzer targets: an invariant that must hold for
 * every input; a violation prints where and aborts, which libFuzzer
 * reports as a crash and keeps the input of.
 */
#ifndef KVMOD_FUZZ_CHECK_H
#define KVMOD_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif /* KVMOD_FUZZ_CHECK_H */
