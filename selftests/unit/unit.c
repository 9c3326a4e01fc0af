// SPDX-License-Identifier: GPL-2.0
/*
 * Runner for the host unit tests: runs every registered TEST in
 * registration order. Exit status 1 if any test failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "unit.h"

static struct unit_test *first, **tail = &first;
static int cur_failed;

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	cur_failed = 1;
}

int main(void)
{
	struct unit_test *t;
	int n = 0, i = 0, failed = 0;

	for (t = first; t; t = t->next)
		n++;
	printf("1..%d\n", n);
	fflush(stdout);
	for (t = first; t; t = t->next) {
		cur_failed = 0;
		t->fn();
		printf("%sok %d %s\n", cur_failed ? "not " : "", ++i, t->name);
		fflush(stdout);
		failed += cur_failed;
	}
	printf("# %d passed, %d failed\n", n - failed, failed);
	return failed ? 1 : 0;
}
