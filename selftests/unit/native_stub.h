/* SPDX-License-Identifier: GPL-2.0 */
/*
 * native_stub.S: the template of emulate_native_test.c's native-execution
 * stub, to be copied into an executable page; the instruction under test
 * goes into the 15 NOPs at native_slot.
 */
#ifndef KVMOD_NATIVE_STUB_H
#define KVMOD_NATIVE_STUB_H

extern const unsigned char native_tpl[], native_slot[], native_tpl_end[];

#endif
