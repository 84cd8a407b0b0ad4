/* Small reads of what the kernel exposes, on top of lib/rootfs: attribute files and the
 * symbolic links of sysfs.
 *
 * Every path is absolute as on the host ("/sys/bus/pci/devices/0000:01:00.0/driver") and is
 * read through the run's rootfs.  Reads are bounded: an attribute bigger than the caller's
 * buffer is an error (-E2BIG), never a silent truncation.  Nothing here prints; failures are
 * -errno. */
#ifndef PCIPT_HOST_SYSFS_H
#define PCIPT_HOST_SYSFS_H

#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

/* Read a small file into buf (NUL-terminated, trailing newlines and blanks removed).  Returns
 * its length, or -errno (-E2BIG when it does not fit, -EILSEQ when it holds a NUL byte, -EISDIR
 * for a directory, -EINVAL for a named pipe, socket or device: only regular files are read,
 * and reading never blocks on one that is not). */
int host_read_attr(const struct rootfs *root, const char *path, char *buf, size_t size);

/* The same for the attribute name of a directory opened once (rootfs_open(), O_PATH): a
 * device's attributes read without resolving its path each time. */
int host_read_attr_at(int dir, const char *name, char *buf, size_t size);
int host_read_number_at(int dir, const char *name, long long *ret);

/* An attribute holding one number ("0x10de", "1", "-1"): base 0 for strtoll rules.  -EINVAL
 * when the content is not exactly one number. */
int host_read_number(const struct rootfs *root, const char *path, long long *ret);

/* The last component of a symbolic link's target ("driver" -> "vfio-pci").  -EINVAL when
 * path is not a link. */
int host_read_link_name(const struct rootfs *root, const char *path, char *buf, size_t size);
/* The same for the link name in the directory dir (see host_read_attr_at). */
int host_read_link_name_at(int dir, const char *name, char *buf, size_t size);

/* A PCI device's sysfs attribute as a host path: "/sys/bus/pci/devices/ADDRESS/ATTR"
 * (attr NULL: the device directory).  The one place that builds one.  malloc'd. */
char *host_device_path(const char *address, const char *attr);

/* Why rootfs_list() failed, for messages: "more than 65536 entries", else strerror(-r). */
const char *host_list_error(int r);
/* Why rootfs_read() or host_read_attr() failed, for messages: "not a regular file" (-EINVAL),
 * "too large" (-EFBIG, -E2BIG), else strerror(-r). */
const char *host_read_error(int r);

/* What a file that is no regular file is, for messages: "a named pipe", "a socket", "a
 * device", "a directory"; NULL for a regular file or one that cannot be looked at.  stat(2),
 * which never blocks on a pipe. */
const char *host_file_kind(const struct rootfs *root, const char *path);
/* The same for a mode from stat(2) */
const char *host_mode_kind(unsigned mode);

/* "0000:01:00.0" and nothing else (lowercase hex, as sysfs writes it); the domain has 4 to 8
 * digits (Intel VMD puts devices in domains like 10000). */
#define HOST_PCI_ADDRESS_MAX 16 /* 8-digit domain: "ffffffff:ff:1f.7" */
bool host_is_pci_address(const char *s);

#endif
