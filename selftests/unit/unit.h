/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal host unit-test harness for kvmod's pure-logic files.
 *
 *   TEST(name) { EXPECT_EQ(f(1), 2); }
 *
 * Every TEST registers itself; unit.c's main() runs them in order and
 * prints TAP-style lines: "ok N name" or "not ok N name", with each
 * failed check as "#   file:line: ..." before it. A failed check does
 * not stop its test.
 */
#ifndef KVMOD_UNIT_H
#define KVMOD_UNIT_H

#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define TEST(name)							\
	static void name(void);						\
	static struct unit_test unit_test_##name = { #name, name, NULL }; \
	static void __attribute__((constructor)) unit_add_##name(void)	\
	{								\
		unit_register(&unit_test_##name);			\
	}								\
	static void name(void)

/* Compare as 64-bit integers; both values are printed on failure. */
#define EXPECT_EQ(got, want)						\
	do {								\
		unsigned long long got_ = (unsigned long long)(got);	\
		unsigned long long want_ = (unsigned long long)(want);	\
		if (got_ != want_)					\
			unit_fail(__FILE__, __LINE__,			\
				  "%s == %s: got %lld (0x%llx), want %lld (0x%llx)", \
				  #got, #want, (long long)got_, got_,	\
				  (long long)want_, want_);		\
	} while (0)

#define EXPECT_TRUE(cond)						\
	do {								\
		if (!(cond))						\
			unit_fail(__FILE__, __LINE__, "%s is false", #cond); \
	} while (0)

#define EXPECT_FALSE(cond)						\
	do {								\
		if (cond)						\
			unit_fail(__FILE__, __LINE__, "%s is true", #cond); \
	} while (0)

#define EXPECT_STREQ(got, want)						\
	do {								\
		const char *got_ = (got);				\
		const char *want_ = (want);				\
		if (!got_ || strcmp(got_, want_))			\
			unit_fail(__FILE__, __LINE__,			\
				  "%s: got \"%s\", want \"%s\"", #got,	\
				  got_ ? got_ : "(null)", want_);	\
	} while (0)

#define EXPECT_NULL(ptr)						\
	do {								\
		const void *ptr_ = (ptr);				\
		if (ptr_)						\
			unit_fail(__FILE__, __LINE__, "%s: not NULL", #ptr); \
	} while (0)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* KVMOD_UNIT_H */
