#include "lint_cluster.h"

#include "checks.h"

#include "../host/host.h"
#include "../host/runstate.h"
#include "../host/snapshot.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"
#include "../pve/cluster.h"
#include "../pve/ha.h"
#include "../pve/mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void config_input(const struct rootfs *root, const char *node, long vmid,
			 struct lint_input *ret)
{
	ret->fs = root;
	ret->path = pve_node_vm_config_path(node, vmid);
	ret->display = xstrdup(ret->path);
}

static bool is_node(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The host of node: the machine for the local node, else the snapshot node published (a
 * node-snapshot finding of severity in out when it has none, or an old one).  0 with *ret,
 * 1 when there is none, or -errno (the machine cannot be read). */
static int node_host(const struct cluster_run *run, const char *node, const char *local,
		     enum severity severity, struct host *ret, struct findings *out,
		     bool *unreadable, struct pcipt_error *err)
{
	if (is_node(node, local))
		return lint_read_host(run->root, run->rules, run->now, ret, err);
	return lint_read_node_snapshot(run->root, node, run->now, run->max_age, severity, ret, out,
				       unreadable);
}

/* Which VMs run on a node a --target run moves VMs from, read once per node: the machine's QEMU
 * processes for the local node, else the running VMs of the node's snapshot (as of its time). */
struct source_node {
	const char *name;
	bool local, read;         /* read: the runstate below is there */
	struct host_runstate own; /* the local node's */
	struct host snapshot;     /* another node's */
};

/* Whether VM vmid runs on node (sources: the nodes read so far, *count of them, room for one
 * more).  1, 0, or -1 when nothing says. */
static int vm_running(const struct cluster_run *run, struct source_node *sources, size_t *count,
		      const char *node, const char *local, long vmid)
{
	struct source_node *s = NULL;
	for (size_t i = 0; i < *count && !s; i++) {
		if (strcmp(sources[i].name, node) == 0)
			s = &sources[i];
	}
	if (!s) {
		s = &sources[(*count)++];
		*s = (struct source_node){.name = node, .local = is_node(node, local)};
		if (s->local) {
			host_runstate_load(run->root, run->now, &s->own);
			s->read = true;
		} else {
			char *path =
				xasprintf("%s/%s/%s", PATH_PVE_NODES, node, PCIPT_SNAPSHOT_NAME);
			struct pcipt_error err;
			s->read = host_snapshot_load(run->root, path, &s->snapshot, &err) == 0;
			free(path);
		}
	}
	if (!s->read)
		return -1;
	const struct host_runstate *rs = s->local ? &s->own : &s->snapshot.runstate;
	int running = rs->unlisted ? -1 : 0;
	for (size_t i = 0; i < rs->vm_count; i++) {
		if (rs->vms[i].vmid == vmid)
			running = 1;
	}
	return running;
}

static void sources_free(struct source_node *sources, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (sources[i].read && sources[i].local)
			host_runstate_free(&sources[i].own);
		else if (sources[i].read)
			host_free(&sources[i].snapshot);
	}
	free(sources);
}

int lint_target(const struct cluster_run *run, const char *target, const long *vmids, size_t count,
		struct findings *out, struct pcipt_error *err)
{
	struct pve_nodes nodes;
	int r = pve_nodes_load(run->root, &nodes, err);
	if (r < 0)
		return r;
	char *local = host_node_name(run->root);
	char **homes = xcalloc(count ? count : 1, sizeof(*homes));
	struct lint_input *inputs = xcalloc(count ? count : 1, sizeof(*inputs));
	size_t made = 0;
	for (; made < count; made++) {
		r = pve_vm_node(run->root, &nodes, vmids[made], &homes[made], err);
		if (r < 0)
			goto done;
		config_input(run->root, homes[made], vmids[made], &inputs[made]);
	}
	bool unreadable = false, any_away = false;
	for (size_t i = 0; i < count; i++)
		any_away |= !is_node(homes[i], target);
	struct findings found;
	findings_init(&found);
	struct host host;
	r = node_host(run, target, local, SEVERITY_ERROR, &host, &found, &unreadable, err);
	if (r < 0) {
		findings_free(&found);
		goto done;
	}
	rules_apply(run->rules, &found);
	findings_move(out, &found);
	if (r == 0) {
		struct lint_prepared p;
		lint_prepare(inputs, count, run->root, &host, false, &p, &found);
		unreadable |= lint_check_prepared(&p, run->rules, &found) > 0;
		/* a VM judged away from its node: its findings say against which node */
		for (size_t i = 0; i < found.count; i++) {
			struct finding *f = &found.items[i];
			size_t input = f->source - 1;
			bool away = f->source >= 1 && f->source <= count
					    ? !is_node(homes[input], target)
					    : any_away;
			if (away)
				finding_node(f, target);
		}
		struct findings moves;
		findings_init(&moves);
		struct source_node *sources = xcalloc(p.count ? p.count : 1, sizeof(*sources));
		size_t source_count = 0;
		for (size_t k = 0; k < p.count; k++) {
			size_t i = p.checked[k].source.index - 1;
			if (is_node(homes[i], target))
				continue; /* nothing moves */
			int running =
				vm_running(run, sources, &source_count, homes[i], local, vmids[i]);
			check_migration(&p.checked[k], homes[i], target, running,
					p.have_mappings ? &p.mappings : NULL, &moves);
		}
		sources_free(sources, source_count);
		rules_apply(run->rules, &moves);
		findings_move(&found, &moves);
		findings_sort(&found);
		findings_move(out, &found);
		lint_prepared_free(&p);
		host_free(&host);
	}
	r = unreadable ? 1 : 0;
done:
	for (size_t i = 0; i < count; i++)
		free(homes[i]);
	free(homes);
	lint_inputs_free(inputs, made);
	free(local);
	pve_nodes_free(&nodes);
	return r;
}

/* --- --all-nodes ------------------------------------------------------------------------- */

struct node_state {
	const char *name;
	struct host host;
	bool have; /* host read */
};

/* An error a VM has on its own node already: on another node it says nothing new. */
struct home_error {
	long vmid;
	enum check_id check;
	unsigned line;
};

struct survey {
	const struct cluster_run *run;
	struct pve_nodes nodes;
	char *local;
	struct node_state *states;
	struct pve_ha ha;
	struct { /* where each VM lives */
		long vmid;
		size_t node;
	} * homes;
	size_t home_count, home_cap;
	struct home_error *errors;
	size_t error_count, error_cap;
	bool unreadable;
};

static const char *home_of(const struct survey *s, long vmid)
{
	for (size_t i = 0; i < s->home_count; i++) {
		if (s->homes[i].vmid == vmid)
			return s->nodes.names[s->homes[i].node];
	}
	return NULL;
}

static bool known_at_home(const struct survey *s, long vmid, const struct finding *f)
{
	for (size_t i = 0; i < s->error_count; i++) {
		const struct home_error *e = &s->errors[i];
		if (e->vmid == vmid && e->check == f->check && e->line == f->line)
			return true;
	}
	return false;
}

static void remember_home_errors(struct survey *s, const struct findings *found, long vmid,
				 size_t source)
{
	for (size_t i = 0; i < found->count; i++) {
		const struct finding *f = &found->items[i];
		if (f->severity != SEVERITY_ERROR || (f->source != source && f->source != 0))
			continue;
		xgrow((void **)&s->errors, &s->error_cap, s->error_count + 1, sizeof(*s->errors));
		s->errors[s->error_count++] = (struct home_error){vmid, f->check, f->line};
	}
}

/* One node: its snapshot (or machine), then its VMs against it, with ha-raw-address for the
 * HA-managed ones.  Returns 0, or -errno (err). */
static int survey_node(struct survey *s, size_t n, lint_findings_done *done, void *ctx,
		       struct pcipt_error *err)
{
	const struct cluster_run *run = s->run;
	struct node_state *ns = &s->states[n];
	struct findings list;
	findings_init(&list);
	int r = node_host(run, ns->name, s->local, SEVERITY_WARNING, &ns->host, &list,
			  &s->unreadable, err);
	if (r < 0)
		return r;
	ns->have = r == 0;
	rules_apply(run->rules, &list);
	char *dir = xasprintf("%s/%s/qemu-server", PATH_PVE_NODES, ns->name);
	long *vmids = NULL;
	size_t count = 0;
	r = rootfs_exists(run->root, dir) ? pve_dir_vmids(run->root, dir, &vmids, &count, err) : 0;
	free(dir);
	if (r < 0) {
		findings_free(&list);
		return r;
	}
	for (size_t i = 0; i < count; i++) {
		xgrow((void **)&s->homes, &s->home_cap, s->home_count + 1, sizeof(*s->homes));
		s->homes[s->home_count].vmid = vmids[i];
		s->homes[s->home_count++].node = n;
	}
	if (ns->have && count) {
		struct lint_input *inputs = xcalloc(count, sizeof(*inputs));
		for (size_t i = 0; i < count; i++)
			config_input(run->root, ns->name, vmids[i], &inputs[i]);
		struct findings found, ha;
		findings_init(&found);
		findings_init(&ha);
		struct lint_prepared p;
		lint_prepare(inputs, count, run->root, &ns->host, false, &p, &found);
		/* this node's identity pins, as `--node` of this node judges them */
		if (is_node(ns->name, s->local))
			lint_prepare_identity(&p, run->root, &found);
		s->unreadable |= lint_check_prepared(&p, run->rules, &found) > 0;
		for (size_t k = 0; k < p.count; k++) {
			long vmid = p.checked[k].source.vmid;
			const struct pve_ha_resource *res = pve_ha_find(&s->ha, vmid);
			if (!res || !pve_ha_recovers(res))
				continue;
			check_ha_raw_address(&p.checked[k], res, &ha);
			remember_home_errors(s, &found, vmid, p.checked[k].source.index);
		}
		rules_apply(run->rules, &ha);
		findings_move(&found, &ha);
		findings_sort(&found);
		findings_move(&list, &found);
		lint_prepared_free(&p);
		lint_inputs_free(inputs, count);
	}
	free(vmids);
	if (list.count)
		done(&list, ctx);
	findings_free(&list);
	return 0;
}

/* Why HA may put the VM on node (NULL: it may not), as the rules say. */
static char *why_there(const struct survey *s, long vmid, const char *node)
{
	const struct pve_ha_affinity *a = pve_ha_affinity_of(&s->ha, vmid);
	if (!a)
		return xstrdup("no node-affinity rule or HA group limits where it runs");
	bool group = strcmp(a->file, PATH_PVE_HA_GROUPS) == 0;
	const char *name = group ? a->id + strlen("ha-group-") : a->id;
	bool listed = false;
	for (size_t i = 0; i < a->node_count; i++)
		listed |= strcmp(a->nodes[i], node) == 0;
	if (listed)
		return group ? xasprintf("%sHA group '%s' lists it", a->strict ? "restricted " : "",
					 name)
			     : xasprintf("%snode-affinity rule '%s' lists it",
					 a->strict ? "strict " : "", name);
	if (a->strict)
		return NULL;
	return group ? xasprintf("HA group '%s' is not restricted: HA uses any node when "
				 "the group's are down",
				 name)
		     : xasprintf("node-affinity rule '%s' is not strict: HA uses any node when "
				 "the rule's are down",
				 name);
}

/* ha-target against node m: the HA-managed VMs of other nodes HA may put there, judged
 * against m's host. */
static void survey_ha_target(struct survey *s, size_t m, struct findings *out)
{
	const struct cluster_run *run = s->run;
	const char *node = s->nodes.names[m];
	struct lint_input *inputs = xcalloc(s->ha.resource_count + 1, sizeof(*inputs));
	size_t *resource_of = xcalloc(s->ha.resource_count + 1, sizeof(*resource_of));
	char **whys = xcalloc(s->ha.resource_count + 1, sizeof(*whys));
	size_t count = 0;
	for (size_t i = 0; i < s->ha.resource_count; i++) {
		const struct pve_ha_resource *res = &s->ha.resources[i];
		const char *home = home_of(s, res->vmid);
		if (!pve_ha_recovers(res) || !home || strcmp(home, node) == 0)
			continue;
		char *why = why_there(s, res->vmid, node);
		if (!why)
			continue;
		config_input(run->root, home, res->vmid, &inputs[count]);
		resource_of[count] = i;
		whys[count++] = why;
	}
	if (count) {
		struct findings found;
		findings_init(&found);
		struct lint_prepared p;
		lint_prepare(inputs, count, run->root, &s->states[m].host, false, &p, &found);
		s->unreadable |= lint_check_prepared(&p, run->rules, &found) > 0;
		for (size_t k = 0; k < p.count; k++) {
			size_t input = p.checked[k].source.index - 1;
			const struct pve_ha_resource *res = &s->ha.resources[resource_of[input]];
			bool has_passthrough = false;
			for (int h = 0; h < PVE_MAX_HOSTPCI; h++)
				has_passthrough |= p.configs[k].vm.hostpci[h].raw.set;
			if (!has_passthrough)
				continue;
			const struct finding *reason = NULL;
			size_t more = 0;
			for (size_t i = 0; i < found.count; i++) {
				const struct finding *f = &found.items[i];
				/* two VMs that share a card on their own nodes do not meet
				 * on m: device-shared is about the configs, not the move */
				if (f->severity != SEVERITY_ERROR ||
				    (f->source != p.checked[k].source.index && f->source != 0) ||
				    f->check == CHECK_DEVICE_SHARED ||
				    known_at_home(s, res->vmid, f))
					continue;
				if (reason)
					more++;
				else
					reason = f;
			}
			if (!reason)
				continue;
			/* ordered by the HA resources' order, whichever lint found it */
			struct checked_config c = p.checked[k];
			c.source.index = 1 + resource_of[input];
			report_ha_target(&c, res, home_of(s, res->vmid), node, whys[input], reason,
					 more, out);
		}
		findings_free(&found);
		lint_prepared_free(&p);
	}
	for (size_t i = 0; i < count; i++)
		free(whys[i]);
	free(whys);
	free(resource_of);
	lint_inputs_free(inputs, count);
}

int lint_all_nodes(const struct cluster_run *run, lint_findings_done *done, void *ctx,
		   struct pcipt_error *err)
{
	struct survey s = {.run = run};
	int r = pve_nodes_load(run->root, &s.nodes, err);
	if (r < 0)
		return r;
	r = pve_ha_load(run->root, &s.ha, err);
	if (r < 0) {
		pve_nodes_free(&s.nodes);
		return r;
	}
	s.local = host_node_name(run->root);
	s.states = xcalloc(s.nodes.count + 1, sizeof(*s.states));
	size_t surveyed = 0;
	for (; surveyed < s.nodes.count; surveyed++) {
		s.states[surveyed].name = s.nodes.names[surveyed];
		r = survey_node(&s, surveyed, done, ctx, err);
		if (r < 0)
			goto out;
	}
	struct findings cluster;
	findings_init(&cluster);
	/* mapping-entry: the map lines of the other nodes; this node's are device-ids' */
	struct pve_mappings mappings;
	struct pcipt_error ignored; /* an unreadable pci.cfg is each node's lint's finding */
	if (pve_mappings_load(run->root, PATH_PVE_PCI_MAPPING, PATH_PVE_PCI_MAPPING, &mappings,
			      &ignored) == 0) {
		struct source_ref src = {PATH_PVE_PCI_MAPPING, 0, -1};
		for (size_t n = 0; n < s.nodes.count; n++) {
			if (s.states[n].have && !is_node(s.nodes.names[n], s.local))
				check_mapping_entries(&mappings, &src, s.nodes.names[n],
						      &s.states[n].host, &cluster);
		}
		pve_mappings_free(&mappings);
	}
	for (size_t n = 0; n < s.nodes.count; n++) {
		if (s.states[n].have)
			survey_ha_target(&s, n, &cluster);
	}
	rules_apply(run->rules, &cluster);
	findings_sort(&cluster);
	if (cluster.count)
		done(&cluster, ctx);
	findings_free(&cluster);
	r = s.unreadable ? 1 : 0;
out:
	for (size_t n = 0; n < s.nodes.count; n++) {
		if (s.states[n].have)
			host_free(&s.states[n].host);
	}
	free(s.states);
	free(s.homes);
	free(s.errors);
	free(s.local);
	pve_ha_free(&s.ha);
	pve_nodes_free(&s.nodes);
	return r;
}
