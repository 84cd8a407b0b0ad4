/* The real kernel interface: sysfs under the run's root. */
#include "kernel.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/rootpath.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct write_job {
	const char *full_path;
	const char *value;
};

static int do_write(void *arg)
{
	const struct write_job *job = arg;
	/* sysfs attributes are plain files: never follow a link or create one */
	int fd = open(job->full_path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t len = strlen(job->value);
	ssize_t n = write(fd, job->value, len);
	int e = n < 0 ? errno : (size_t)n != len ? EIO : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	return -e;
}

int kernel_write(const char *root, const char *path, const char *value, unsigned timeout_ms)
{
	char *full = root_join(root, path);
	struct write_job job = {full, value};
	int r = kernel_timed(do_write, &job, timeout_ms);
	free(full);
	return r;
}

static int do_modprobe(void *arg)
{
	execl(PATH_MODPROBE, "modprobe", (const char *)arg, (char *)NULL);
	return -errno;
}

int kernel_load_module(const char *root, const char *module, unsigned timeout_ms)
{
	if (strcmp(root, "/") != 0)
		return -EOPNOTSUPP; /* a captured or fake host has no modules to load */
	return kernel_timed(do_modprobe, (void *)module, timeout_ms);
}

void kernel_host_read_begins(void)
{
}
