/* The nodes of the cluster, as Proxmox lists them (PVE::Cluster::get_nodelist): the keys of
 * the `nodelist` of /etc/pve/.members (pmxcfs writes it from corosync's membership), else, on
 * a node that is no cluster member (a standalone node's .members has no nodelist) or a copy of
 * /etc/pve without .members, the directories of /etc/pve/nodes.  With a nodelist, a directory
 * of /etc/pve/nodes it does not name is a node removed long ago (pvecm delnode leaves its
 * directory): not a node. */
#ifndef PCIPT_PVE_CLUSTER_H
#define PCIPT_PVE_CLUSTER_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

#define PVE_MAX_NODES 1024 /* corosync's own limit is far below */

struct pve_nodes {
	char **names; /* sorted */
	size_t count;
	bool from_members; /* the nodelist of .members, not the directories */
};

/* Read them under root.  0, or -errno with err saying why (.members that is not the JSON
 * pmxcfs writes, more than PVE_MAX_NODES nodes, /etc/pve/nodes unreadable). */
int pve_nodes_load(const struct rootfs *root, struct pve_nodes *ret, struct pcipt_error *err);
void pve_nodes_free(struct pve_nodes *nodes);

bool pve_nodes_has(const struct pve_nodes *nodes, const char *name);

#endif
