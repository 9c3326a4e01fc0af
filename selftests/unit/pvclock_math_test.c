// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for para/pvclock_math.c: kvmclock scale factors and the
 * guest's time computed from them.
 */
#include "pvclock_math.h"
#include "unit.h"

/* Nanoseconds of @ticks at @hz, exactly. */
static u64 exact_ns(u64 ticks, u64 hz)
{
	return (u64)((__uint128_t)ticks * 1000000000ULL / hz);
}

TEST(one_ghz_is_identity)
{
	struct kvmod_pvclock_scale s;

	EXPECT_TRUE(kvmod_pvclock_scale_for(1000000000ULL, &s));
	EXPECT_EQ(s.mul, 1U << 31);
	EXPECT_EQ(s.shift, 1);
	EXPECT_EQ(kvmod_pvclock_scale_delta(123456789ULL, &s), 123456789ULL);
}

TEST(mul_in_range_and_precise)
{
	static const u64 rates[] = {
		1000000ULL, 33333333ULL, 1193182ULL, 999999999ULL,
		2100000000ULL, 2899999000ULL, 3600000000ULL, 5000000000ULL,
		100000000000ULL,
	};
	unsigned int i;

	for (i = 0; i < KVMOD_ARRAY_SIZE(rates); i++) {
		struct kvmod_pvclock_scale s;
		u64 ticks = rates[i] * 10;	/* ten seconds */
		u64 ns, want = exact_ns(ticks, rates[i]);

		EXPECT_TRUE(kvmod_pvclock_scale_for(rates[i], &s));
		EXPECT_TRUE(s.mul >= (1U << 31));
		ns = kvmod_pvclock_scale_delta(ticks, &s);
		/* Within 1 ppm plus rounding, and never ahead. */
		EXPECT_TRUE(ns <= want + 1);
		EXPECT_TRUE(want - ns <= want / 1000000 + 2);
	}
}

TEST(bad_rates)
{
	struct kvmod_pvclock_scale s;

	EXPECT_FALSE(kvmod_pvclock_scale_for(0, &s));
	EXPECT_TRUE(kvmod_pvclock_scale_for(1, &s));
	EXPECT_EQ(kvmod_pvclock_scale_delta(3, &s), 3000000000ULL);
	EXPECT_TRUE(kvmod_pvclock_scale_for(1ULL << 40, &s));
	EXPECT_TRUE(s.shift < 0);
	/* 2^64 Hz would need a right shift beyond 31. */
	EXPECT_FALSE(kvmod_pvclock_scale_for(~0ULL, &s));
}

TEST(read_is_linear_from_timestamp)
{
	struct kvmod_pvclock_time t = {
		.tsc_timestamp = 1000000,
		.system_time = 5000000000ULL,
	};

	EXPECT_TRUE(kvmod_pvclock_scale_for(2000000000ULL, &t.scale));
	EXPECT_EQ(kvmod_pvclock_read(&t, 1000000), 5000000000ULL);
	EXPECT_EQ(kvmod_pvclock_read(&t, 1000000 + 2000000000ULL),
		  6000000000ULL);
	/* Monotonic in the TSC. */
	EXPECT_TRUE(kvmod_pvclock_read(&t, 1000001) <=
		    kvmod_pvclock_read(&t, 1000002));
}
