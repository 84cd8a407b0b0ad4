/* What the real and the fake kernel interface share: the timed child process and the reads
 * that verify a binding. */
#include "kernel.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdlib.h>

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int kernel_timed(int (*op)(void *arg), void *arg, unsigned timeout_ms)
{
	pid_t child = fork();
	if (child < 0)
		return -errno;
	if (child == 0) {
		int r = op(arg);
		_exit(r < 0 ? (-r & 0xff) : 0);
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int status;
		pid_t w = waitpid(child, &status, WNOHANG);
		if (w == child) {
			if (WIFEXITED(status))
				return -WEXITSTATUS(status);
			return -EINTR; /* killed by a signal */
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms = (now.tv_sec - start.tv_sec) * 1000LL +
			       (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			/* a child blocked in the kernel (an unbind that never returns) ignores the
			 * signal until it leaves; do not wait for it */
			kill(child, SIGKILL);
			(void)waitpid(child, &status, WNOHANG);
			return -ETIMEDOUT;
		}
		struct timespec pause = {0, 1000000}; /* 1 ms */
		nanosleep(&pause, NULL);
	}
}

int kernel_driver(const char *root, const char *address, char *buf, size_t size)
{
	char *dev = xasprintf(PATH_SYS_PCI_DEVICES "/%s", address);
	bool present = host_exists(root, dev);
	free(dev);
	if (!present)
		return -ENODEV; /* gone, not "without a driver" */
	char *path = xasprintf(PATH_SYS_PCI_DEVICES "/%s/driver", address);
	int r = host_read_link_name(root, path, buf, size);
	free(path);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r < 0 ? r : 0;
}

bool kernel_driver_registered(const char *root, const char *driver)
{
	char *path = xasprintf(PATH_SYS_PCI_DRIVERS "/%s", driver);
	bool r = host_is_dir(root, path);
	free(path);
	return r;
}
