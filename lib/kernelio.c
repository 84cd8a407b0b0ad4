/* The real kernel: sysfs under the run's root.  Linked into pcipt-hook and pcipt-validate
 * beside their main.c, not into libpcipt.a, so that the tests can link the fake kernel of
 * tests/fakekernel in its place. */
#include "kernelio.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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

int kernel_read(const struct rootfs *root, const char *path, size_t max, char **ret,
		size_t *ret_size)
{
	return rootfs_read(root, path, O_NOFOLLOW, max, ret, ret_size);
}
