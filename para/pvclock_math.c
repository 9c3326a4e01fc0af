// SPDX-License-Identifier: GPL-2.0
/*
 * kvmclock arithmetic (see pvclock_math.h). A guest converts a TSC delta
 * to nanoseconds by shifting it by shift (left when positive, right
 * when negative), multiplying by mul and keeping bits 95:32 of the
 * product. The host picks mul in [2^31, 2^32) for the best precision.
 */
#include "pvclock_math.h"

#define NSEC_PER_SECOND	1000000000ULL
#define MUL_MIN		BIT_ULL(31)
#define MUL_LIMIT	BIT_ULL(32)

/**
 * kvmod_pvclock_scale_for() - the scale for a TSC running at @hz
 * @hz: TSC ticks per second
 * @s: the scale
 *
 * Return: false when @hz is 0 or beyond what the format can express.
 */
bool kvmod_pvclock_scale_for(u64 hz, struct kvmod_pvclock_scale *s)
{
	const u64 num = NSEC_PER_SECOND << 32;
	int shift = 0;
	u64 div, mul;

	if (!hz)
		return false;
	for (;;) {
		div = shift >= 0 ? hz << shift : hz >> -shift;
		/* Shifting left must not lose bits, nor right leave nothing. */
		if (!div || (shift > 0 && (div >> shift) != hz))
			return false;
		mul = num / div;
		if (mul >= MUL_LIMIT) {
			if (++shift > 31)
				return false;
		} else if (mul < MUL_MIN) {
			if (--shift < -31)
				return false;
		} else {
			break;
		}
	}
	s->mul = (u32)mul;
	s->shift = (s8)shift;
	return true;
}

/**
 * kvmod_pvclock_scale_delta() - nanoseconds of a TSC delta
 * @delta: TSC ticks
 * @s: the scale
 *
 * Return: ((@delta shifted by shift) * mul) >> 32, as the guest computes
 * it (the shifted delta keeps 64 bits).
 */
u64 kvmod_pvclock_scale_delta(u64 delta, const struct kvmod_pvclock_scale *s)
{
	if (s->shift < 0)
		delta >>= -s->shift;
	else
		delta <<= s->shift;
	return (u64)(((__uint128_t)delta * s->mul) >> 32);
}

/**
 * kvmod_pvclock_read() - the guest's kvmclock at TSC value @tsc
 * @t: what the pvclock structure holds
 * @tsc: the guest's TSC
 *
 * Return: system_time plus the scaled ticks since tsc_timestamp.
 */
u64 kvmod_pvclock_read(const struct kvmod_pvclock_time *t, u64 tsc)
{
	return t->system_time +
	       kvmod_pvclock_scale_delta(tsc - t->tsc_timestamp, &t->scale);
}
