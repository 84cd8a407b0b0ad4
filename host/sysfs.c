#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/pciaddr.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* data (n bytes, malloc'd, freed here) as an attribute in buf: no NUL byte, trailing blanks
 * and newlines removed; its length or -errno */
static int attr_into(int r, char *data, size_t n, char *buf)
{
	if (r == -EFBIG)
		r = -E2BIG; /* bigger than the caller's buffer */
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

int host_read_attr(const struct rootfs *root, const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	char *data = NULL;
	size_t n = 0;
	int r = rootfs_read(root, path, 0, size - 1, &data, &n);
	return attr_into(r, data, n, buf);
}

int host_read_attr_at(int dir, const char *name, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	char *data = NULL;
	size_t n = 0;
	int r = rootfs_read_at(dir, name, size - 1, &data, &n);
	return attr_into(r, data, n, buf);
}

/* buf (an attribute's text) as exactly one number */
static int number_of(const char *buf, long long *ret)
{
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

int host_read_number(const struct rootfs *root, const char *path, long long *ret)
{
	char buf[64];
	int r = host_read_attr(root, path, buf, sizeof(buf));
	return r < 0 ? r : number_of(buf, ret);
}

int host_read_number_at(int dir, const char *name, long long *ret)
{
	char buf[64];
	int r = host_read_attr_at(dir, name, buf, sizeof(buf));
	return r < 0 ? r : number_of(buf, ret);
}

/* target (n bytes, NUL-terminated) as its last component in buf */
static int link_name_into(char *target, int n, char *buf, size_t size)
{
	if (n < 0)
		return n;
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

int host_read_link_name(const struct rootfs *root, const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	int n = rootfs_readlink(root, path, target, sizeof(target));
	return link_name_into(target, n, buf, size);
}

int host_read_link_name_at(int dir, const char *name, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dir, name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	return link_name_into(target, (int)n, buf, size);
}

char *host_device_path(const char *address, const char *attr)
{
	return attr ? xasprintf(PATH_SYS_PCI_DEVICES "/%s/%s", address, attr)
		    : xasprintf(PATH_SYS_PCI_DEVICES "/%s", address);
}

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

const char *host_list_error(int r)
{
	return r == -E2BIG ? "more than " STRINGIFY(ROOTFS_MAX_DIR_ENTRIES) " entries"
			   : strerror(-r);
}

const char *host_read_error(int r)
{
	return r == -EINVAL                 ? "not a regular file"
	       : r == -EFBIG || r == -E2BIG ? "too large"
					    : strerror(-r);
}

const char *host_mode_kind(unsigned mode)
{
	if (S_ISREG(mode))
		return NULL;
	return S_ISFIFO(mode)                   ? "a named pipe"
	       : S_ISSOCK(mode)                 ? "a socket"
	       : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
	       : S_ISDIR(mode)                  ? "a directory"
						: "no regular file";
}

const char *host_file_kind(const struct rootfs *root, const char *path)
{
	struct stat st;
	return rootfs_stat(root, path, &st) == 0 ? host_mode_kind(st.st_mode) : NULL;
}

bool host_is_pci_address(const char *s)
{
	struct pci_addr a;
	return pci_addr_parse(s, strlen(s), PCI_ADDR_SYSFS, &a);
}
