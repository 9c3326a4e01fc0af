/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-width types for kvmod's pure-logic files.
 *
 * Files that include only this header (and each other) build unchanged
 * into the kernel modules and into host-side unit tests and fuzz targets.
 */
#ifndef KVMOD_PURE_TYPES_H
#define KVMOD_PURE_TYPES_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/stddef.h>
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#endif

/* ARRAY_SIZE for files that build in userspace too. */
#define KVMOD_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* KVMOD_PURE_TYPES_H */
