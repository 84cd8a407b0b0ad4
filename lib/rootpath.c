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

static int stat_joined(const char *root, const char *path, struct stat *ret)
{
	char *full = root_join(root, path);
	int r = stat(full, ret) < 0 ? -errno : 0;
	free(full);
	return r;
}

int root_stat(const char *root, const char *path, struct stat *ret)
{
	if (strcmp(root, "/") == 0)
		return stat(path, ret) < 0 ? -errno : 0;
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	int fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
	int e = errno;
	close(dir);
	if (fd < 0) {
		/* kernels before 5.6, or a seccomp filter that does not know openat2: the plain
		 * join, where an absolute link target leads out of root */
		if (e == ENOSYS || e == EPERM)
			return stat_joined(root, path, ret);
		return -e;
	}
	int r = fstat(fd, ret) < 0 ? -errno : 0;
	close(fd);
	return r;
}
