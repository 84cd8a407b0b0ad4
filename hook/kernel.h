/* The kernel interface the binder uses: sysfs writes that move a device between drivers
 * (kernel_write() of lib/kernelio.h, which pcipt-validate --read-rom shares), and the reads
 * that verify them.  hook/kernel.c loads modules on the real kernel; the tests link
 * tests/fakekernel/kernel_fake.c instead, which makes the same writes behave on a fake tree
 * (driver links move) and can fail or hang any one of them.
 *
 * Every write runs in a child process under a timeout (kernel_timed()): a driver whose
 * unbind hangs must not hang the VM start with it. */
#ifndef PCIPT_HOOK_KERNEL_H
#define PCIPT_HOOK_KERNEL_H

#include "../lib/kernelio.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

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

#endif
