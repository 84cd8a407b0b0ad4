#include "rootpath.h"

#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

char *root_join(const char *root, const char *path)
{
	size_t len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	return xasprintf("%.*s%s", (int)len, root, path);
}

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture; glibc before 2.32 lacks it */
#endif

int root_open(const char *root, const char *path, int flags)
{
	if (strcmp(root, "/") == 0) {
		int fd = open(path, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	struct open_how how = {.flags = (unsigned)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT};
	int fd = -1, e = 0;
	/* EAGAIN: a rename or mount raced the walk over ".."; the kernel asks for a retry */
	for (int attempt = 0; attempt < 4; attempt++) {
		fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
		e = errno;
		if (fd >= 0 || e != EAGAIN)
			break;
	}
	close(dir);
	if (fd >= 0)
		return fd;
	if (e == ENOSYS || e == EPERM) {
		char *full = root_join(root, path);
		fd = open(full, flags | O_CLOEXEC);
		e = errno;
		free(full);
		return fd < 0 ? -e : fd;
	}
	return -e;
}

int root_stat(const char *root, const char *path, struct stat *ret)
{
	int fd = root_open(root, path, O_PATH);
	if (fd < 0)
		return fd;
	int r = fstat(fd, ret) < 0 ? -errno : 0;
	close(fd);
	return r;
}
