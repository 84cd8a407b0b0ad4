#include "sysfs.h"

#include "../lib/pciaddr.h"
#include "../lib/rootpath.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* -EISDIR for a directory, -EINVAL for anything else that is no regular file. */
static int not_regular(mode_t mode)
{
	return S_ISDIR(mode) ? -EISDIR : -EINVAL;
}

/* Read at most max bytes of a file; one byte more tells "too big" apart from "exactly max".
 * Works for sysfs and procfs files, whose st_size is meaningless.  Only a regular file is
 * read: O_NONBLOCK makes opening a named pipe return at once (without it, open(2) waits for
 * a writer), and the descriptor's own type decides. */
static int read_bounded(const char *full, size_t max, char **ret, size_t *ret_size)
{
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		int e = -errno;
		/* open(2) refuses a socket with ENXIO: it is no file, not a missing device */
		if (e == -ENXIO && stat(full, &st) == 0 && !S_ISREG(st.st_mode))
			return not_regular(st.st_mode);
		return e;
	}
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return not_regular(st.st_mode);
	}
	size_t cap = max < 4096 ? max + 1 : 4096, size = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (size == cap) {
			if (cap > max)
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = read(fd, buf + size, cap - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			free(buf);
			return e;
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	close(fd);
	if (size > max) {
		free(buf);
		return -E2BIG;
	}
	buf[size] = '\0';
	*ret = buf;
	*ret_size = size;
	return 0;
}

int host_read_file(const char *root, const char *path, size_t max, char **ret, size_t *ret_size)
{
	char *full = root_join(root, path);
	int r = read_bounded(full, max, ret, ret_size);
	free(full);
	return r;
}

int host_read_attr(const char *root, const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	char *data;
	size_t n;
	int r = host_read_file(root, path, size - 1, &data, &n);
	if (r < 0)
		return r;
	if (memchr(data, '\0', n)) {
		free(data);
		return -EILSEQ;
	}
	while (n > 0 && isspace((unsigned char)data[n - 1]))
		n--;
	memcpy(buf, data, n);
	buf[n] = '\0';
	free(data);
	return (int)n;
}

int host_read_number(const char *root, const char *path, long long *ret)
{
	char buf[64];
	int r = host_read_attr(root, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	const char *s = buf;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -EINVAL;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int host_read_link_name(const char *root, const char *path, char *buf, size_t size)
{
	char *full = root_join(root, path);
	char target[PATH_MAX];
	ssize_t n = readlink(full, target, sizeof(target) - 1);
	int e = errno;
	free(full);
	if (n < 0)
		return e == EINVAL ? -EINVAL : -e;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	const char *base = strrchr(target, '/');
	base = base ? base + 1 : target;
	size_t len = strlen(base);
	if (len == 0 || len >= size)
		return -E2BIG;
	memcpy(buf, base, len + 1);
	return (int)len;
}

char *host_resolve(const char *root, const char *path)
{
	char *full = root_join(root, path);
	char *real = realpath(full, NULL);
	free(full);
	if (!real)
		return NULL;
	char *real_root = realpath(root, NULL);
	if (!real_root) {
		free(real);
		return NULL;
	}
	size_t rl = strlen(real_root);
	char *ret = NULL;
	if (strcmp(real_root, "/") == 0)
		ret = xstrdup(real);
	else if (strncmp(real, real_root, rl) == 0 && (real[rl] == '/' || real[rl] == '\0'))
		ret = xstrdup(real[rl] ? real + rl : "/");
	free(real);
	free(real_root);
	return ret;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int host_list_dir(const char *root, const char *path, char ***ret_names, size_t *ret_count)
{
	char *full = root_join(root, path);
	DIR *d = opendir(full);
	int e = errno;
	free(full);
	if (!d)
		return -e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *ent;
	while ((ent = readdir(d))) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		if (n == HOST_MAX_DIR_ENTRIES) {
			closedir(d);
			host_free_names(names, n);
			return -E2BIG;
		}
		xgrow((void **)&names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(ent->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	*ret_names = names;
	*ret_count = n;
	return 0;
}

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

const char *host_list_error(int r)
{
	return r == -E2BIG ? "more than " STRINGIFY(HOST_MAX_DIR_ENTRIES) " entries" : strerror(-r);
}

const char *host_read_error(int r)
{
	return r == -EINVAL ? "not a regular file" : r == -E2BIG ? "too large" : strerror(-r);
}

void host_free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

const char *host_mode_kind(unsigned mode)
{
	if (S_ISREG(mode))
		return NULL;
	return S_ISFIFO(mode)			? "a named pipe"
	       : S_ISSOCK(mode)			? "a socket"
	       : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
	       : S_ISDIR(mode)			? "a directory"
						: "no regular file";
}

const char *host_file_kind(const char *root, const char *path)
{
	char *full = root_join(root, path);
	struct stat st;
	int r = stat(full, &st);
	free(full);
	return r == 0 ? host_mode_kind(st.st_mode) : NULL;
}

bool host_exists(const char *root, const char *path)
{
	char *full = root_join(root, path);
	bool r = access(full, F_OK) == 0;
	free(full);
	return r;
}

bool host_is_dir(const char *root, const char *path)
{
	char *full = root_join(root, path);
	struct stat st;
	bool r = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
	free(full);
	return r;
}

bool host_is_pci_address(const char *s)
{
	struct pci_addr a;
	return pci_addr_parse(s, strlen(s), PCI_ADDR_SYSFS, &a);
}
