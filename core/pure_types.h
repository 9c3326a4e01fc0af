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
#include <linux/types.h>
#include <linux/stddef.h>
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
#endif

#endif /* KVMOD_PURE_TYPES_H */
