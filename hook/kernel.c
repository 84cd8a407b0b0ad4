/* The real kernel interface of the hook: modules loaded with modprobe.  Its sysfs writes are
 * lib/kernelio.c's, which pcipt-validate links too. */
#include "kernel.h"

#include "../lib/paths.h"

#include <errno.h>
#include <unistd.h>

static int do_modprobe(void *arg)
{
	execl(PATH_MODPROBE, "modprobe", (const char *)arg, (char *)NULL);
	return -errno;
}

int kernel_load_module(const struct rootfs *root, const char *module, unsigned timeout_ms)
{
	if (!rootfs_is_host(root))
		return -EOPNOTSUPP; /* a captured or fake host has no modules to load */
	return kernel_timed(do_modprobe, (void *)module, timeout_ms);
}

void kernel_host_read_begins(void)
{
}
