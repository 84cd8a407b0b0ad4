/* What the real and the fake kernel interface share: the reads that verify a binding (the
 * timed child process every write runs in is lib/kernelio_timed.c). */
#include "kernel.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdlib.h>

#include <errno.h>

int kernel_driver(const struct rootfs *root, const char *address, char *buf, size_t size)
{
	char *dev = host_device_path(address, NULL);
	bool present = rootfs_exists(root, dev);
	free(dev);
	if (!present)
		return -ENODEV; /* gone, not "without a driver" */
	char *path = host_device_path(address, "driver");
	int r = host_read_link_name(root, path, buf, size);
	free(path);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r < 0 ? r : 0;
}

bool kernel_driver_registered(const struct rootfs *root, const char *driver)
{
	char *path = xasprintf(PATH_SYS_PCI_DRIVERS "/%s", driver);
	bool r = rootfs_is_dir(root, path);
	free(path);
	return r;
}
