/* Small rooted reads of what the kernel exposes: attribute files, symbolic links and
 * directories under /sys and /proc (and a few small files under /etc, /run).
 *
 * Every path is absolute as on the host ("/sys/bus/pci/devices/0000:01:00.0/driver") and is
 * read under the run's root.  Reads are bounded: an attribute bigger than the caller's buffer
 * is an error (-E2BIG), never a silent truncation.  Nothing here prints; failures are -errno. */
#ifndef PCIPT_HOST_SYSFS_H
#define PCIPT_HOST_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#define HOST_MAX_DIR_ENTRIES 65536 /* more than any real /sys directory pcipt lists */

/* Read a small file into buf (NUL-terminated, trailing newlines and blanks removed).  Returns
 * its length, or -errno (-E2BIG when it does not fit, -EILSEQ when it holds a NUL byte, -EISDIR
 * for a directory, -EINVAL for a named pipe, socket or device: only regular files are read,
 * and reading never blocks on one that is not). */
int host_read_attr(const char *root, const char *path, char *buf, size_t size);

/* The same for a file of any size up to max bytes, malloc'd (*ret_size without the NUL). */
int host_read_file(const char *root, const char *path, size_t max, char **ret, size_t *ret_size);

/* An attribute holding one number ("0x10de", "1", "-1"): base 0 for strtoll rules.  -EINVAL
 * when the content is not exactly one number. */
int host_read_number(const char *root, const char *path, long long *ret);

/* The last component of a symbolic link's target ("driver" -> "vfio-pci").  -EINVAL when
 * path is not a link. */
int host_read_link_name(const char *root, const char *path, char *buf, size_t size);

/* Where path leads after every link is followed, as a host path ("/sys/devices/pci0000:00/...").
 * NULL when it does not exist or leads out of the root.  malloc'd. */
char *host_resolve(const char *root, const char *path);

/* Names in a directory, sorted, without "." and "..".  -E2BIG past HOST_MAX_DIR_ENTRIES. */
int host_list_dir(const char *root, const char *path, char ***ret_names, size_t *ret_count);
/* Why host_list_dir() failed, for messages: "more than 65536 entries", else strerror(-r). */
const char *host_list_error(int r);
/* Why host_read_file() or host_read_attr() failed, for messages: "not a regular file" (-EINVAL),
 * "too large" (-E2BIG), else strerror(-r). */
const char *host_read_error(int r);
void host_free_names(char **names, size_t count);

/* What a file that is no regular file is, for messages: "a named pipe", "a socket", "a
 * device", "a directory"; NULL for a regular file or one that cannot be looked at.  stat(2),
 * which never blocks on a pipe. */
const char *host_file_kind(const char *root, const char *path);
/* The same for a mode from stat(2) */
const char *host_mode_kind(unsigned mode);

bool host_exists(const char *root, const char *path);
bool host_is_dir(const char *root, const char *path);

/* "0000:01:00.0" and nothing else (lowercase hex, as sysfs writes it); the domain has 4 to 8
 * digits (Intel VMD puts devices in domains like 10000). */
#define HOST_PCI_ADDRESS_MAX 16 /* 8-digit domain: "ffffffff:ff:1f.7" */
bool host_is_pci_address(const char *s);

#endif
