/* SPDX-License-Identifier: GPL-2.0 */
#ifndef EXIT_GUEST_H
#define EXIT_GUEST_H

/* The real-mode guest of exit_guest_code.S, position independent. */
extern const unsigned char guest_code[], guest_code_end[];

#endif /* EXIT_GUEST_H */
