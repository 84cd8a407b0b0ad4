/* The kernel interface the binder uses: sysfs writes that move a device between drivers, and
 * the reads that verify them.  hook/kernel.c talks to the real kernel under a root; the tests
 * link tests/fakekernel/kernel_fake.c instead, which makes the same writes behave on a fake
 * tree (driver links move) and can fail or hang any one of them.
 *
 * Every write runs in a child process under a timeout (kernel_timed_write): a driver whose
 * unbind hangs must not hang the VM start with it. */
#ifndef PCIPT_HOOK_KERNEL_H
#define PCIPT_HOOK_KERNEL_H

#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

/* Write value to the sysfs attribute path (a host path, resolved under root).  Returns 0 or
 * -errno; -ETIMEDOUT when the write did not finish within timeout_ms. */
int kernel_write(const struct rootfs *root, const char *path, const char *value,
		 unsigned timeout_ms);

/* The driver bound to address now: 0 with buf "" when none, -ENODEV when the device is gone,
 * or -errno. */
int kernel_driver(const struct rootfs *root, const char *address, char *buf, size_t size);

/* Whether the PCI driver is registered (/sys/bus/pci/drivers/NAME exists). */
bool kernel_driver_registered(const struct rootfs *root, const char *driver);

/* Load a module (modprobe); only on the real root "/".  0 or -errno. */
int kernel_load_module(const struct rootfs *root, const char *module, unsigned timeout_ms);

/* Called in the child process that reads the host at pre-start, before it reads anything: the
 * real kernel does nothing here; the fake one can stall there on demand, as a config-space
 * read of a wedged device stalls inside the kernel where no signal reaches it. */
void kernel_host_read_begins(void);

/* Run op(arg) in a child process and wait at most timeout_ms for it: the op's result comes
 * back through a pipe, never as an exit status (a program the op runs that exits 1 is -EIO,
 * not -EPERM).  Returns 0, -errno from the op, or -ETIMEDOUT (the child is killed; one stuck
 * in the kernel is left behind). */
int kernel_timed(int (*op)(void *arg), void *arg, unsigned timeout_ms);

#endif
