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

/* The VMID of every VMID.conf in dir (a qemu-server directory under root), sorted.  0, or
 * -errno (err says why: the directory cannot be listed). */
int pve_dir_vmids(const struct rootfs *root, const char *dir, long **ret, size_t *ret_count,
		  struct pcipt_error *err);

/* The node whose qemu-server directory holds VM vmid's config: as /etc/pve/.vmlist says (pmxcfs
 * keeps it from the nodes' directories: a VMID lives on one node), else, without .vmlist or an
 * entry in it (a copy of /etc/pve), the node of nodes with /etc/pve/nodes/NODE/qemu-server/
 * VMID.conf.  0 with *ret_node malloc'd; -ENOENT when there is no such VM, -EINVAL for a
 * .vmlist that is not pmxcfs' JSON, a container's VMID or configs on several nodes (err says
 * which). */
int pve_vm_node(const struct rootfs *root, const struct pve_nodes *nodes, long vmid,
		char **ret_node, struct pcipt_error *err);

#endif
