/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmclock arithmetic, without kernel dependencies (host unit-tested in
 * selftests/unit/pvclock_math_test.c): the scale factor a guest uses to
 * turn TSC ticks into nanoseconds, and the time a pvclock structure
 * gives for a TSC value, computed exactly as a guest computes it.
 */
#ifndef KVMOD_PVCLOCK_MATH_H
#define KVMOD_PVCLOCK_MATH_H

#include "pure_types.h"

/* The scale of struct pvclock_vcpu_time_info: ns = (ticks <<> shift) * mul >> 32. */
struct kvmod_pvclock_scale {
	u32 mul;
	s8 shift;
};

/* What a guest reads from its pvclock structure (the time part). */
struct kvmod_pvclock_time {
	u64 tsc_timestamp;
	u64 system_time;
	struct kvmod_pvclock_scale scale;
};

bool kvmod_pvclock_scale_for(u64 hz, struct kvmod_pvclock_scale *s);
u64 kvmod_pvclock_scale_delta(u64 delta, const struct kvmod_pvclock_scale *s);
u64 kvmod_pvclock_read(const struct kvmod_pvclock_time *t, u64 tsc);

#endif /* KVMOD_PVCLOCK_MATH_H */
