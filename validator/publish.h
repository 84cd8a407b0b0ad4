/* Publishing the host snapshot on the cluster: /etc/pve/nodes/NODE/pcipt-host.json, written
 * the way Proxmox writes its own files on pmxcfs (PVE::File::file_set_contents): a temporary
 * file beside it, created exclusively, written, closed and renamed over the old one, mode 0640
 * (the one mode pmxcfs allows outside priv/).  pmxcfs has no fsync, no links and refuses every
 * write without quorum (EACCES). */
#ifndef PCIPT_VALIDATOR_PUBLISH_H
#define PCIPT_VALIDATOR_PUBLISH_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stddef.h>

/* Write text as NODE's snapshot under root, NODE being the node /etc/hostname names.  0 with
 * *ret_path the host path written (malloc'd), or -errno with err saying why: -EACCES (pmxcfs
 * without quorum), -ENOENT (no /etc/hostname, or no /etc/pve/nodes/NODE: not a Proxmox node,
 * or /etc/pve not mounted), -EFBIG (larger than pmxcfs holds). */
int publish_snapshot(const struct rootfs *root, const char *text, size_t size, char **ret_path,
		     struct pcipt_error *err);

/* Read the machine under root at now (as the host checks read it, with the files a VM may
 * name), write its snapshot and publish it: 0 with *ret_path and *ret_size, or -errno. */
struct rules;
int publish_node_snapshot(const struct rootfs *root, const struct rules *rules, long long now,
			  char **ret_path, size_t *ret_size, struct pcipt_error *err);

#endif
