/* The lints of a cluster: a VM judged against another node (--target) and every VM of every
 * node with the checks only a cluster has (--all-nodes).  Every node's facts come from what it
 * published on pmxcfs (/etc/pve/nodes/NODE/pcipt-host.json), the local node's from the machine;
 * everything is read under the run's root, so a copy of /etc/pve is a cluster too. */
#ifndef PCIPT_VALIDATOR_LINT_CLUSTER_H
#define PCIPT_VALIDATOR_LINT_CLUSTER_H

#include "lint.h"

#include "../lib/error.h"
#include "../lib/findings.h"
#include "../lib/rootfs.h"
#include "../rules/rules.h"

#include <stddef.h>

struct cluster_run {
	const struct rootfs *root;
	const struct rules *rules;
	long long now;
	unsigned max_age; /* snapshot_max_age */
};

/* --target NODE VMID...: would each VM start on NODE, and may it move there?  Each VM's config
 * is found wherever it lives (pve_vm_node); its checks run against NODE (the findings of a VM
 * that lives elsewhere name NODE), its mappings' entries for NODE, and the move itself
 * (migration).  Findings in out, severities set, sorted.  Returns 0, 1 when some input could
 * not be read (exit 2), or -errno with err saying why nothing could be judged (no such VM, the
 * machine unreadable). */
int lint_target(const struct cluster_run *run, const char *target, const long *vmids, size_t count,
		struct findings *out, struct pcipt_error *err);

/* --all-nodes: every VM of every node against its node (node-snapshot a warning here), then
 * mapping-entry, ha-raw-address and ha-target.  Findings go to done list by list: each node's,
 * in node order, then the cluster's.  Returns 0, 1 when some input could not be read, or
 * -errno with err (the nodes, the HA files or the machine cannot be read). */
int lint_all_nodes(const struct cluster_run *run, lint_findings_done *done, void *ctx,
		   struct pcipt_error *err);

#endif
