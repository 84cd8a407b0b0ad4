/* The real kernel interface: sysfs under the run's root. */
#include "kernel.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct write_job {
	const struct rootfs *root;
	const char *path;
	const char *value;
};

static int do_write(void *arg)
{
	const struct write_job *job = arg;
	/* sysfs attributes are plain files: never follow a link or create one */
	int fd = rootfs_open(job->root, job->path, O_WRONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	size_t len = strlen(job->value);
	ssize_t n = write(fd, job->value, len);
	int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	return -e;
}

int kernel_write(const struct rootfs *root, const char *path, const char *value,
		 unsigned timeout_ms)
{
	struct write_job job = {root, path, value};
	return kernel_timed(do_write, &job, timeout_ms);
}

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
