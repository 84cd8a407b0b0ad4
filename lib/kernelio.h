/* The writes pcipt makes to the kernel, and the reads with a side effect in the kernel, for
 * both programs: pcipt-hook moves devices between drivers (hook/bind.c), pcipt-validate
 * --read-rom turns a card's ROM on, reads it and turns it off (validator/readrom.c).
 *
 * lib/kernelio.c talks to the real kernel under a root and is linked into each program beside
 * its main.c, never into libpcipt.a; the tests link tests/fakekernel/kernel_fake.c in its
 * place, which acts on a fake tree the way the kernel acts on sysfs and can fail or hang any
 * write.  lib/kernelio_timed.c, shared by both, runs each write in a child process under a
 * timeout: a driver whose unbind hangs must not hang a VM start with it. */
#ifndef PCIPT_LIB_KERNELIO_H
#define PCIPT_LIB_KERNELIO_H

#include "rootfs.h"

#include <stddef.h>

/* Write value to the sysfs attribute path (a host path, resolved under root).  Returns 0 or
 * -errno; -ETIMEDOUT when the write did not finish within timeout_ms. */
int kernel_write(const struct rootfs *root, const char *path, const char *value,
		 unsigned timeout_ms);

/* Read all of the attribute path (a host path, resolved under root, never through a link),
 * at most max bytes, into *ret (malloc'd, NUL-terminated; *ret_size without the NUL).
 * -EFBIG when it holds more; else 0 or the -errno the kernel gave (a ROM not enabled reads
 * -EINVAL, one the kernel cannot map -EIO). */
int kernel_read(const struct rootfs *root, const char *path, size_t max, char **ret,
		size_t *ret_size);

/* Run op(arg) in a child process and wait at most timeout_ms for it: the op's result comes
 * back through a pipe, never as an exit status (a program the op runs that exits 1 is -EIO,
 * not -EPERM).  Returns 0, -errno from the op, or -ETIMEDOUT (the child is killed; one stuck
 * in the kernel is left behind). */
int kernel_timed(int (*op)(void *arg), void *arg, unsigned timeout_ms);

#endif
