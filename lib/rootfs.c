#include "rootfs.h"

#include "error.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture; glibc before 2.32 lacks it */
#endif

struct rootfs {
	char *root;      /* as given, without trailing '/' except for "/" itself */
	char *real;      /* the root's canonical path, for rootfs_resolve() */
	int dir_fd;      /* O_PATH | O_DIRECTORY of the root; -1 for the live host */
	bool no_openat2; /* the kernel (or a seccomp filter) refused openat2: walk by hand */
};

static struct rootfs host_fs = {.root = (char *)"/", .real = (char *)"/", .dir_fd = -1};

const struct rootfs *rootfs_host(void)
{
	return &host_fs;
}

int rootfs_new(const char *root, struct rootfs **ret)
{
	size_t len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	struct rootfs *fs = xcalloc(1, sizeof(*fs));
	fs->root = xstrndup(root, len);
	fs->dir_fd = -1;
	if (strcmp(fs->root, "/") == 0) {
		fs->real = xstrdup("/");
		*ret = fs;
		return 0;
	}
	int fd = open(fs->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		free(fs->root);
		free(fs);
		return e;
	}
	fs->dir_fd = fd;
	fs->real = realpath(fs->root, NULL);
	if (!fs->real) {
		int e = -errno;
		rootfs_free(fs);
		return e;
	}
	*ret = fs;
	return 0;
}

void rootfs_free(struct rootfs *fs)
{
	if (!fs || fs == &host_fs)
		return;
	if (fs->dir_fd >= 0)
		close(fs->dir_fd);
	free(fs->root);
	free(fs->real);
	free(fs);
}

const char *rootfs_root(const struct rootfs *fs)
{
	return fs->root;
}

void rootfs_walk_by_hand(struct rootfs *fs)
{
	fs->no_openat2 = true;
}

bool rootfs_is_host(const struct rootfs *fs)
{
	return fs->dir_fd < 0;
}

char *rootfs_display_path(const struct rootfs *fs, const char *path)
{
	if (rootfs_is_host(fs))
		return xstrdup(path);
	return xasprintf("%s%s%s", fs->root, path[0] == '/' ? "" : "/", path);
}

/* --- resolution inside the root ------------------------------------------------------------ */

#define MAX_LINKS 40 /* the kernel's own limit on links followed in one lookup */

/* Without openat2: walk the path a component at a time from the root's descriptor, following
 * links by hand, with ".." stopping at the root.  This is what RESOLVE_IN_ROOT does in the
 * kernel, less its protection against a rename racing the walk, which only matters for a
 * root that someone else changes while pcipt reads it. */
static int walk_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	int stack[PATH_MAX / 2];
	size_t depth = 0;
	int links = 0, result;
	char *rest = xstrdup(path);
	size_t pos = 0;
	stack[0] = root_fd;

	for (;;) {
		while (rest[pos] == '/')
			pos++;
		if (!rest[pos]) {
			/* the path names the directory reached so far (the root, or one ending in '/') */
			result = openat(stack[depth], ".", flags | O_CLOEXEC, mode);
			result = result < 0 ? -errno : result;
			break;
		}
		size_t len = strcspn(rest + pos, "/");
		char name[NAME_MAX + 1];
		if (len > NAME_MAX) {
			result = -ENAMETOOLONG;
			break;
		}
		memcpy(name, rest + pos, len);
		name[len] = '\0';
		pos += len;
		size_t after = pos + strspn(rest + pos, "/");
		bool last = rest[after] == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if (depth > 0)
				close(stack[depth--]);
			continue;
		}
		struct stat st;
		bool follow = !last || !(flags & O_NOFOLLOW);
		if (fstatat(stack[depth], name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode) && follow) {
			if (++links > MAX_LINKS) {
				result = -ELOOP;
				break;
			}
			char target[PATH_MAX];
			ssize_t n = readlinkat(stack[depth], name, target, sizeof(target) - 1);
			if (n < 0) {
				result = -errno;
				break;
			}
			target[n] = '\0';
			if (target[0] == '/') {
				while (depth > 0)
					close(stack[depth--]);
			}
			char *spliced = xasprintf("%s/%s", target, rest + pos);
			free(rest);
			rest = spliced;
			pos = 0;
			continue;
		}
		if (last) {
			result = openat(stack[depth], name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
			result = result < 0 ? -errno : result;
			break;
		}
		if (depth + 1 >= sizeof(stack) / sizeof(stack[0])) {
			result = -ENAMETOOLONG;
			break;
		}
		int fd = openat(stack[depth], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			result = -errno;
			break;
		}
		stack[++depth] = fd;
	}
	while (depth > 0)
		close(stack[depth--]);
	free(rest);
	return result;
}

int rootfs_open(const struct rootfs *fs, const char *path, int flags, mode_t mode)
{
	if (rootfs_is_host(fs)) {
		int fd = open(path, flags | O_CLOEXEC, mode);
		return fd < 0 ? -errno : fd;
	}
	if (!fs->no_openat2) {
		struct open_how how = {
			.flags = (unsigned long long)(unsigned)(flags | O_CLOEXEC),
			.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
			.resolve = RESOLVE_IN_ROOT,
		};
		/* EAGAIN: a rename or mount raced the walk over ".."; the kernel asks for a retry */
		for (int attempt = 0; attempt < 4; attempt++) {
			int fd = (int)syscall(SYS_openat2, fs->dir_fd, path, &how, sizeof(how));
			if (fd >= 0)
				return fd;
			if (errno == EAGAIN)
				continue;
			if (errno != ENOSYS && errno != EPERM)
				return -errno;
			break;
		}
		/* ENOSYS (before Linux 5.6) or EPERM (a seccomp filter that predates it); EPERM may
		 * also be a real answer, which the walk below gives again */
		((struct rootfs *)fs)->no_openat2 = errno == ENOSYS;
	}
	return walk_in_root(fs->dir_fd, path, flags, mode);
}

int rootfs_open_parent(const struct rootfs *fs, const char *path, const char **ret_name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	const char *name = slash + 1;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	char *dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	int fd = rootfs_open(fs, dir, O_PATH | O_DIRECTORY, 0);
	free(dir);
	if (fd >= 0)
		*ret_name = name;
	return fd;
}

static int stat_at(const struct rootfs *fs, const char *path, struct stat *ret, bool follow)
{
	if (rootfs_is_host(fs))
		return (follow ? stat(path, ret) : lstat(path, ret)) < 0 ? -errno : 0;
	int fd = rootfs_open(fs, path, O_PATH | (follow ? 0 : O_NOFOLLOW), 0);
	if (fd < 0)
		return fd;
	int r = fstat(fd, ret) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int rootfs_stat(const struct rootfs *fs, const char *path, struct stat *ret)
{
	return stat_at(fs, path, ret, true);
}

int rootfs_lstat(const struct rootfs *fs, const char *path, struct stat *ret)
{
	return stat_at(fs, path, ret, false);
}

bool rootfs_exists(const struct rootfs *fs, const char *path)
{
	struct stat st;
	return rootfs_stat(fs, path, &st) == 0;
}

bool rootfs_is_dir(const struct rootfs *fs, const char *path)
{
	struct stat st;
	return rootfs_stat(fs, path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- reading ----------------------------------------------------------------------------- */

static int not_regular(mode_t mode)
{
	return S_ISDIR(mode) ? -EISDIR : -EINVAL;
}

int rootfs_read_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return not_regular(st.st_mode);
	/* grow as the data comes: procfs and sysfs files report sizes read() does not return */
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
			free(buf);
			return e;
		}
		if (n == 0)
			break;
		size += (size_t)n;
		/* all the bytes a file on disk says it has: the read that would return 0 is
		 * spared.  procfs (size 0) and sysfs (size 4096 for any attribute) never claim
		 * what they hold, so their files are read to the end as before. */
		if (st.st_size > 0 && size == (size_t)st.st_size)
			break;
	}
	if (size > max) {
		free(buf);
		return -EFBIG;
	}
	buf[size] = '\0';
	*ret = buf;
	*ret_size = size;
	return 0;
}

int rootfs_read(const struct rootfs *fs, const char *path, int flags, size_t max, char **ret,
		size_t *ret_size)
{
	/* O_NONBLOCK: opening a named pipe returns at once instead of waiting for a writer */
	int fd = rootfs_open(fs, path, O_RDONLY | O_NOCTTY | O_NONBLOCK | flags, 0);
	if (fd < 0) {
		struct stat st;
		/* open(2) refuses a socket with ENXIO: it is no file, not a missing device */
		if (fd == -ENXIO && rootfs_stat(fs, path, &st) == 0 && !S_ISREG(st.st_mode))
			return not_regular(st.st_mode);
		return fd;
	}
	int r = rootfs_read_fd(fd, max, ret, ret_size);
	close(fd);
	return r;
}

int rootfs_read_at(int dir, const char *name, size_t max, char **ret, size_t *ret_size)
{
	if (strchr(name, '/'))
		return -EINVAL;
	int fd = openat(dir, name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		struct stat st;
		if (e == -ENXIO && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode))
			return not_regular(st.st_mode);
		return e;
	}
	int r = rootfs_read_fd(fd, max, ret, ret_size);
	close(fd);
	return r;
}

int rootfs_readlink(const struct rootfs *fs, const char *path, char *buf, size_t size)
{
	if (size == 0)
		return -EINVAL;
	int fd = rootfs_open(fs, path, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	/* an empty name reads the link an O_PATH descriptor stands for (Linux 2.6.39) */
	ssize_t n = readlinkat(fd, "", buf, size);
	int e = errno;
	close(fd);
	if (n < 0)
		return e == ENOENT ? -EINVAL : -e; /* ENOENT: the descriptor is no link */
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}

int rootfs_inside(const struct rootfs *fs, const char *real_path, char **ret)
{
	if (strcmp(fs->real, "/") == 0) {
		*ret = xstrdup(real_path);
		return 0;
	}
	size_t rl = strlen(fs->real);
	if (strncmp(real_path, fs->real, rl) != 0 ||
	    (real_path[rl] != '/' && real_path[rl] != '\0'))
		return -EXDEV;
	*ret = xstrdup(real_path[rl] ? real_path + rl : "/");
	return 0;
}

int rootfs_resolve(const struct rootfs *fs, const char *path, char **ret)
{
	if (rootfs_is_host(fs)) {
		char *real = realpath(path, NULL);
		if (!real)
			return -errno;
		*ret = real;
		return 0;
	}
	int fd = rootfs_open(fs, path, O_PATH, 0);
	if (fd < 0)
		return fd;
	char proc[64], real[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, real, sizeof(real) - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	real[n] = '\0';
	/* the descriptor is inside the root, so its path starts with the root's */
	return rootfs_inside(fs, real, ret);
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct rootfs_entry *)a)->name,
		      ((const struct rootfs_entry *)b)->name);
}

void rootfs_free_entries(struct rootfs_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(entries[i].name);
	free(entries);
}

/* getdents64 straight on the descriptor: readdir's fdopendir would add an fstat and two fcntl
 * calls to every listing, and a host scan lists a directory per IOMMU group */
static int read_entries(int fd, struct rootfs_entry **ret, size_t *ret_count)
{
	struct rootfs_entry *entries = NULL;
	size_t n = 0, cap = 0;
	char buf[32768];
	for (;;) {
		ssize_t got = getdents64(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = -errno;
			rootfs_free_entries(entries, n);
			return e;
		}
		if (got == 0)
			break;
		for (ssize_t off = 0; off < got;) {
			const struct dirent64 *ent = (const struct dirent64 *)(buf + off);
			off += ent->d_reclen;
			if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
				continue;
			if (n == ROOTFS_MAX_DIR_ENTRIES) {
				rootfs_free_entries(entries, n);
				return -E2BIG;
			}
			xgrow((void **)&entries, &cap, n + 1, sizeof(*entries));
			entries[n++] = (struct rootfs_entry){xstrdup(ent->d_name), ent->d_type};
		}
	}
	if (n > 1)
		qsort(entries, n, sizeof(*entries), compare_entries);
	*ret = entries;
	*ret_count = n;
	return 0;
}

int rootfs_list_entries(const struct rootfs *fs, const char *path, struct rootfs_entry **ret,
			size_t *ret_count)
{
	int fd = rootfs_open(fs, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int r = read_entries(fd, ret, ret_count);
	close(fd);
	return r;
}

int rootfs_list(const struct rootfs *fs, const char *path, char ***ret_names, size_t *ret_count)
{
	struct rootfs_entry *entries;
	size_t n;
	int r = rootfs_list_entries(fs, path, &entries, &n);
	if (r < 0)
		return r;
	char **names = xcalloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = entries[i].name; /* the names move; only the array goes */
	free(entries);
	*ret_names = names;
	*ret_count = n;
	return 0;
}

void rootfs_free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

/* --- writing ----------------------------------------------------------------------------- */

int rootfs_mkdir(const struct rootfs *fs, const char *path, mode_t mode)
{
	const char *name;
	int dir = rootfs_open_parent(fs, path, &name);
	if (dir < 0)
		return dir;
	int r = mkdirat(dir, name, mode) < 0 ? -errno : 0;
	close(dir);
	return r;
}

void rootfs_mkdir_parents(const struct rootfs *fs, const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	for (char *p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		(void)rootfs_mkdir(fs, copy, mode);
		*p = '/';
	}
	free(copy);
}

int rootfs_unlink(const struct rootfs *fs, const char *path, int flags)
{
	const char *name;
	int dir = rootfs_open_parent(fs, path, &name);
	if (dir < 0)
		return dir;
	int r = unlinkat(dir, name, flags) < 0 ? -errno : 0;
	close(dir);
	return r;
}

int rootfs_write_all(int fd, const void *data, size_t size)
{
	const char *p = data;
	while (size > 0) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int rootfs_replace(const struct rootfs *fs, const char *path, const void *data, size_t size,
		   mode_t mode)
{
	const char *name;
	int dir = rootfs_open_parent(fs, path, &name);
	if (dir < 0)
		return dir;
	int r = rootfs_replace_at(dir, name, data, size, mode);
	close(dir);
	return r;
}

int rootfs_replace_at(int dir, const char *name, const void *data, size_t size, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	if (snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* O_EXCL with O_NOFOLLOW: a file or link planted at the temporary name makes this fail */
	(void)unlinkat(dir, tmp, 0);
	int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int r = rootfs_write_all(fd, data, size);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dir, tmp, dir, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dir, tmp, 0);
		return r;
	}
	/* the rename itself survives a crash once the directory is on disk */
	int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
}

int rootfs_open_state_dir(const struct rootfs *root, const char *path, bool create, mode_t mode,
			  struct pcipt_error *err)
{
	char *shown = rootfs_display_path(root, path);
	if (create) {
		rootfs_mkdir_parents(root, path, 0755);
		int r = rootfs_mkdir(root, path, mode);
		if (r < 0 && r != -EEXIST) {
			error_set(err, r, "cannot create %s: %s", shown, strerror(-r));
			free(shown);
			return r;
		}
	}
	int fd = rootfs_open(root, path, O_PATH | O_DIRECTORY | O_NOFOLLOW, 0);
	if (fd == -ENOENT && !create) {
		free(shown);
		return fd;
	}
	if (fd < 0) {
		struct stat st;
		if (fd == -ENOTDIR || fd == -ELOOP ||
		    (rootfs_lstat(root, path, &st) == 0 && !S_ISDIR(st.st_mode))) {
			error_set(err, -ENOTDIR,
				  "%s is not a directory (a link or a file is in its place)",
				  shown);
			fd = -ENOTDIR;
		} else {
			error_set(err, fd, "cannot open %s: %s", shown, strerror(-fd));
		}
	}
	free(shown);
	return fd;
}

int rootfs_create_new(const struct rootfs *fs, const char *path, const void *data, size_t size,
		      mode_t mode)
{
	const char *name;
	int dir = rootfs_open_parent(fs, path, &name);
	if (dir < 0)
		return dir;
	char tmp[NAME_MAX + 1];
	struct stat st;
	int r = 0;
	if (snprintf(tmp, sizeof(tmp), ".%s.%ld", name, (long)getpid()) >= (int)sizeof(tmp))
		r = -ENAMETOOLONG;
	else if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = -EEXIST; /* said before anything is written; the link below says it again */
	int fd = -1;
	if (r == 0) {
		(void)unlinkat(dir, tmp, 0); /* what a run of the same pid left */
		fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0)
			r = -errno;
	}
	if (fd >= 0) {
		r = rootfs_write_all(fd, data, size);
		if (r == 0 && fchmod(fd, mode) < 0)
			r = -errno;
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		/* link(2), unlike rename(2), never replaces what is at name */
		if (r == 0 && linkat(dir, tmp, dir, name, 0) < 0) {
			r = -errno;
			if (r == -EPERM || r == -EOPNOTSUPP || r == -ENOSYS)
				r = renameat2(dir, tmp, dir, name, RENAME_NOREPLACE) < 0 ? -errno
											 : 0;
		}
		(void)unlinkat(dir, tmp, 0);
	}
	if (r == 0) {
		int dfd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	close(dir);
	return r;
}
