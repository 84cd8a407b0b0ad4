/* Drift: what changed between two readings of one host (two snapshots of a node, the previous
 * boot's and this one's).  A kernel or firmware update reshuffles IOMMU groups, a card moved
 * to another slot changes its address, a driver claims a device vfio-pci held: each such
 * change is one entry here, as data.  Which VM a change breaks is the validator's to judge;
 * this module only compares, and never prints.
 *
 * A device is known by its identity: vendor:device, subsystem vendor:device and class (the
 * revision is left out: firmware updates change it and it names no other card).  The same
 * identity gone at one address and come at another, once on each side, moved; a group
 * change is a change of the partition of the devices present at the same address in both. */
#ifndef PCIPT_HOST_DRIFT_H
#define PCIPT_HOST_DRIFT_H

#include "host.h"

#include <stdbool.h>
#include <stddef.h>

enum host_drift_kind {
	/* host-wide: they concern every device the host passes through */
	HOST_DRIFT_IOMMU,               /* the IOMMU went on or off */
	HOST_DRIFT_INTERRUPT_REMAPPING, /* IR- irq chips came or went */
	HOST_DRIFT_CMDLINE,             /* the running kernel's command line */
	/* one device */
	HOST_DRIFT_APPEARED, /* new_address: a device where there was none */
	HOST_DRIFT_VANISHED, /* old_address: no device there any more */
	HOST_DRIFT_MOVED,    /* old_address -> new_address, the same identity */
	HOST_DRIFT_REPLACED, /* old_address == new_address: another device there */
	HOST_DRIFT_DRIVER,   /* the device's driver (old_address -> new_address) */
	/* IOMMU groups of the devices present at the same address in both */
	HOST_DRIFT_GROUP_SPLIT,      /* old_group's devices are now in several groups */
	HOST_DRIFT_GROUP_MERGED,     /* new_group holds devices of several old groups */
	HOST_DRIFT_GROUP_RENUMBERED, /* the same devices, group old_group now new_group */
};

struct host_drift_change {
	enum host_drift_kind kind;
	char *old_address, *new_address; /* the device in old and in new; NULL when none */
	int old_group, new_group;        /* group changes (see the kinds); -1 otherwise */
	char **devices; /* group changes: the devices present in both it concerns, sorted */
	size_t device_count;
	/* what was and what is, in words: an identity ("10de:1b80 subsystem 1458:3702 class
	 * 030000"), a driver ("vfio-pci", "no driver"), "on"/"off", a command line, groups
	 * ("group 9: 0000:00:1f.0, 0000:00:1f.3; group 20: 0000:00:1f.4"); NULL: nothing */
	char *old_text, *new_text;
	char *detail; /* HOST_DRIFT_CMDLINE: the words removed and added; else NULL */
};

struct host_drift {
	struct host_drift_change *changes; /* host-wide first, then devices by address, then
					    * groups by number */
	size_t count;
};

/* The changes from old to new (both read from the machine or from snapshots).  Every change
 * is listed once: a moved device is no vanish and appearance as well.  Groups are compared
 * only where both hosts have groups (an IOMMU switched off is HOST_DRIFT_IOMMU, not every
 * group vanishing); interrupt remapping and the command line only where both are known. */
void host_drift_compare(const struct host *old, const struct host *new, struct host_drift *ret);
void host_drift_free(struct host_drift *d);

/* "appeared", "vanished", "moved", "replaced", "driver", "group-split", "group-merged",
 * "group-renumbered", "iommu", "interrupt-remapping", "cmdline" */
const char *host_drift_kind_name(enum host_drift_kind kind);

bool host_drift_host_wide(const struct host_drift_change *c);

/* Whether c concerns the device at address (in old or in new): the device itself, or a
 * member, on either side, of an IOMMU group the change touches (a driver or device change
 * reaches its group peers: they decide whether the group can be passed).  Always true for a
 * host-wide change. */
bool host_drift_touches(const struct host_drift_change *c, const struct host *old,
			const struct host *new, const char *address);

#endif
