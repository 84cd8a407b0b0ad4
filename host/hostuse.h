/* What the host itself needs a PCI device for: the controllers under its mounted
 * filesystems (through partitions, device-mapper and md: `slaves/`, so the default Proxmox
 * LVM root is traced to its disk controller) and the NIC under the default route (through a
 * bridge such as vmbr0, a bond or a VLAN: the `lower_*` links).  Passing such a device to a VM
 * takes the host's disk or network away the moment vfio-pci binds it. */
#ifndef PCIPT_HOST_HOSTUSE_H
#define PCIPT_HOST_HOSTUSE_H

#include "../lib/rootfs.h"

#include "sysfs.h"

#include <stddef.h>

#define HOSTUSE_MAX_DEPTH 8    /* stacked block devices or interfaces pcipt follows */
#define HOSTUSE_MAX_VISITS 256 /* sysfs paths one mount or route may lead through */

enum host_use_kind { HOST_USE_MOUNT, HOST_USE_ROUTE };

struct host_use {
	char address[HOST_PCI_ADDRESS_MAX + 1]; /* the PCI device */
	enum host_use_kind kind;
	char *what; /* "/ (ext4 on /dev/mapper/pve-root, dm-0 over sda3)",
				 * "vmbr0 (default route, over bond0, eno1)" */
};

struct host_uses {
	struct host_use *items;
	size_t count;
	char *unlisted; /* "PATH: more than 65536 entries": a directory on a trace too large to
			 * list, an input pcipt cannot read (the host load fails); NULL when none */
};

/* Read ROOT/proc/self/mountinfo, ROOT/proc/net/route and ipv6_route, and follow them through
 * ROOT/sys.  What cannot be traced is left out, but a directory too large to list is named
 * in ret->unlisted. */
void host_uses_load(const struct rootfs *root, struct host_uses *ret);
void host_uses_free(struct host_uses *uses);

/* The first use of address, or NULL. */
const struct host_use *host_uses_find(const struct host_uses *uses, const char *address);

/* Parsing helpers, exposed for tests: the major:minor, mount point and source of one
 * mountinfo line (mount point unescaped: "\040" is a blank); 0 or -EINVAL. */
int mountinfo_parse_line(const char *line, unsigned *major, unsigned *minor, char *mount_point,
			 size_t mp_size, char *fstype, size_t fs_size, char *source,
			 size_t src_size);

#endif
