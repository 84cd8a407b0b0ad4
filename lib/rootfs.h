/* One rooted view of the file system: every read, stat, list and write pcipt does of its own
 * goes through a struct rootfs.
 *
 * A rootfs is "/" on a live host, or the directory of `--root DIR` (a test tree, a captured
 * host).  Paths are always host paths ("/sys/bus/pci/devices/0000:01:00.0/driver").  Under a
 * root other than "/" a path is resolved as a process chrooted there would resolve it
 * (openat2's RESOLVE_IN_ROOT): an absolute symbolic link and ".." stay inside the root, so
 * nothing of the machine outside the root is ever read or written.  On the live host paths
 * resolve as open(2) resolves them; callers add O_NOFOLLOW where a link must be refused.
 *
 * The model is util-linux's path_cxt: one context opened once, carrying the root's directory
 * descriptor, instead of string joins scattered over the callers.  Every function returns 0
 * (or a descriptor, a length) or a negative errno; nothing here prints. */
#ifndef PCIPT_ROOTFS_H
#define PCIPT_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define ROOTFS_MAX_DIR_ENTRIES 65536 /* more than any real directory pcipt lists */

struct rootfs;

/* Open root ("/" or a directory).  -ENOTDIR, -ENOENT... when it is no directory. */
int rootfs_new(const char *root, struct rootfs **ret);
void rootfs_free(struct rootfs *fs);

/* The machine's own "/", for the files an admin names on the command line (--rules, --conf,
 * --config), which are read as given even under --root.  Never freed. */
const struct rootfs *rootfs_host(void);

/* The root as given ("/", "tests/host"), for libpci's sysfs path and for messages. */
const char *rootfs_root(const struct rootfs *fs);

/* Resolve by hand from now on, as on a kernel without openat2 (before Linux 5.6, or behind a
 * seccomp filter that does not know it): the fallback, made reachable for its tests. */
void rootfs_walk_by_hand(struct rootfs *fs);
bool rootfs_is_host(const struct rootfs *fs);

/* root + path as a string, for what is not opened by pcipt itself: libpci's sysfs path, and
 * names in messages.  malloc'd.  Never open the result: that would leave the root. */
char *rootfs_display_path(const struct rootfs *fs, const char *path);

/* A real path of the machine (realpath(3) of a file named on the command line) as a host path
 * inside fs ("/etc/pve/nodes/a" for ROOT/etc/pve/nodes/a), malloc'd in *ret; -EXDEV when it
 * is outside the root. */
int rootfs_inside(const struct rootfs *fs, const char *real_path, char **ret);

/* open(2) of a host path: a descriptor (O_CLOEXEC always added), or -errno. */
int rootfs_open(const struct rootfs *fs, const char *path, int flags, mode_t mode);

/* The directory holding path, opened O_PATH (for the *at() calls), with *ret_name pointing
 * at path's last component.  -EINVAL for "/" itself or a path ending in "/". */
int rootfs_open_parent(const struct rootfs *fs, const char *path, const char **ret_name);

int rootfs_stat(const struct rootfs *fs, const char *path, struct stat *ret);  /* follows */
int rootfs_lstat(const struct rootfs *fs, const char *path, struct stat *ret); /* the link */
bool rootfs_exists(const struct rootfs *fs, const char *path);
bool rootfs_is_dir(const struct rootfs *fs, const char *path);

/* The one bounded reader: at most max bytes of a regular file, malloc'd and NUL-terminated
 * (*ret_size without the NUL).  Sizes are not trusted (sysfs and procfs lie about them): one
 * byte past max is read to tell "too large" from "exactly max".  -EFBIG when larger, -EISDIR
 * for a directory, -EINVAL for a named pipe, socket or device (opened O_NONBLOCK, so a FIFO
 * never blocks the reader).  flags may add O_NOFOLLOW. */
int rootfs_read(const struct rootfs *fs, const char *path, int flags, size_t max, char **ret,
		size_t *ret_size);
/* The same for name, one component, in the directory dir (a descriptor rootfs_open() gave):
 * never a link (O_NOFOLLOW), so it cannot lead out of where dir is.  Reading many files of
 * one directory (a device's sysfs attributes) this way resolves the directory once. */
int rootfs_read_at(int dir, const char *name, size_t max, char **ret, size_t *ret_size);
/* The same on an open descriptor (checked to be a regular file first). */
int rootfs_read_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* A symbolic link's target (NUL-terminated); -EINVAL when path is no link, -ENAMETOOLONG
 * when it does not fit. */
int rootfs_readlink(const struct rootfs *fs, const char *path, char *buf, size_t size);

/* Where path leads after every link is followed, as a host path ("/sys/devices/..."):
 * malloc'd in *ret. */
int rootfs_resolve(const struct rootfs *fs, const char *path, char **ret);

/* Names in a directory, sorted, without "." and "..".  -E2BIG past ROOTFS_MAX_DIR_ENTRIES. */
int rootfs_list(const struct rootfs *fs, const char *path, char ***ret_names, size_t *ret_count);
void rootfs_free_names(char **names, size_t count);

/* The same with each entry's type as the directory gives it (DT_REG, DT_LNK, ...; DT_UNKNOWN
 * where the filesystem does not say, and then only a stat can tell): one listing instead of a
 * stat per name. */
struct rootfs_entry {
	char *name;
	unsigned char type;
};
int rootfs_list_entries(const struct rootfs *fs, const char *path, struct rootfs_entry **ret,
			size_t *ret_count);
void rootfs_free_entries(struct rootfs_entry *entries, size_t count);

int rootfs_mkdir(const struct rootfs *fs, const char *path, mode_t mode);

/* A directory of pcipt's own state (path under root), opened O_PATH for the *at() calls: a
 * real directory, never a link or a file someone put in its place.  create: make it with mode
 * (and its parents 0755) when missing.  Returns the descriptor; -ENOENT when it is not there
 * and not to be made; other failures -errno with err saying why. */
struct pcipt_error;
int rootfs_open_state_dir(const struct rootfs *root, const char *path, bool create, mode_t mode,
			  struct pcipt_error *err);
/* The directories above path, made with mode where missing (a fake or captured root may lack
 * /run/lock); what cannot be made is left for the caller's own open to report. */
void rootfs_mkdir_parents(const struct rootfs *fs, const char *path, mode_t mode);
/* unlink(2); flags AT_REMOVEDIR removes a directory */
int rootfs_unlink(const struct rootfs *fs, const char *path, int flags);

/* Write all of data to fd (a short write is retried): 0, or -errno. */
int rootfs_write_all(int fd, const void *data, size_t size);

/* Replace path's content atomically: a new file beside it (O_EXCL, mode), written, fsync'd and
 * renamed over path, then the directory fsync'd.  A link at path is replaced, not followed. */
int rootfs_replace(const struct rootfs *fs, const char *path, const void *data, size_t size,
		   mode_t mode);
/* The same for name in the directory dir (a descriptor the caller opened and checked). */
int rootfs_replace_at(int dir, const char *name, const void *data, size_t size, mode_t mode);

/* Create path with data, never replacing anything: a new file beside it (O_EXCL), written,
 * given mode whatever the umask, fsync'd and hard-linked to path, which fails with -EEXIST
 * when anything is at path (a link too, dangling or not); then the temporary name removed and
 * the directory fsync'd.  Nobody sees path half-written.  A file system without hard links
 * gets a rename that refuses to replace (RENAME_NOREPLACE) instead. */
int rootfs_create_new(const struct rootfs *fs, const char *path, const void *data, size_t size,
		      mode_t mode);

#endif
