/* The HA configuration of a cluster (/etc/pve/ha/), as pve-ha-manager reads it, for one
 * question: on which nodes may HA start a VM?
 *
 *   resources.cfg   vm: 100            which VMs HA manages, and in which state
 *                   	state started
 *                   	group gpu        (PVE 8)
 *   groups.cfg      group: gpu          PVE 8's node groups
 *                   	nodes pve1:2,pve2
 *                   	restricted 1
 *   rules.cfg       node-affinity: r1   PVE 9's rules
 *                   	resources vm:100,vm:101
 *                   	nodes pve1:2,pve2
 *                   	strict 1
 *
 * All three are SectionConfig files: `type: id` at column 0, indented `key value` lines, a
 * blank line ends a section, `#` lines are comments; a section of an unknown type is skipped,
 * a value that does not parse is dropped with its key.  PVE 9 still reads groups.cfg until the
 * cluster has migrated it (each group becomes the rule `ha-group-NAME`), so both are read. */
#ifndef PCIPT_PVE_HA_H
#define PCIPT_PVE_HA_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

enum pve_ha_state {
	PVE_HA_STARTED, /* also "enabled", and the default */
	PVE_HA_STOPPED,
	PVE_HA_DISABLED, /* never recovered */
	PVE_HA_IGNORED,  /* out of HA's hands */
};

struct pve_ha_resource {
	long vmid;
	unsigned line; /* of its `vm: ID` header in resources.cfg */
	enum pve_ha_state state;
	char *group; /* PVE 8's group, or NULL */
};

/* A node-affinity rule, from rules.cfg or made of a group of groups.cfg as PVE 9 makes it. */
struct pve_ha_affinity {
	char *id; /* the rule's id; "ha-group-NAME" for a group */
	const char *file;
	unsigned line;
	char **nodes; /* as listed, priorities dropped */
	size_t node_count;
	bool strict; /* strict 1, or a restricted group */
	long *vmids; /* the VMs it names */
	size_t vmid_count;
	bool disabled; /* disable 1 */
};

struct pve_ha {
	struct pve_ha_resource *resources; /* in file order */
	size_t resource_count;
	struct pve_ha_affinity *rules; /* rules.cfg's node-affinity rules, then the groups' */
	size_t rule_count;
};

/* Parse the three files' texts (NULL: the file is absent). */
struct text_file;
void pve_ha_parse(const struct text_file *resources, const struct text_file *rules,
		  const struct text_file *groups, struct pve_ha *ret);

/* Read the three files under root; a missing file is an empty one.  0, or -errno with err
 * saying which file and why (too large, not text). */
int pve_ha_load(const struct rootfs *root, struct pve_ha *ret, struct pcipt_error *err);
void pve_ha_free(struct pve_ha *ha);

/* "started", "stopped", "disabled" or "ignored" */
const char *pve_ha_state_name(enum pve_ha_state state);

/* The resource of vmid, or NULL when HA does not manage it. */
const struct pve_ha_resource *pve_ha_find(const struct pve_ha *ha, long vmid);

/* Whether HA moves the VM to another node when its node fails: started and stopped ones are
 * recovered, disabled and ignored ones are not. */
bool pve_ha_recovers(const struct pve_ha_resource *r);

/* The node-affinity rule that binds vmid, or NULL when none does: no enabled rule names it, or
 * several do (pve-ha-manager then drops all of them: "Drop rule ..."), so HA may use every
 * node. */
const struct pve_ha_affinity *pve_ha_affinity_of(const struct pve_ha *ha, long vmid);

#endif
