/* Cluster checks: what moving a VM between nodes allows (migration), what HA may do with it
 * (ha-raw-address, ha-target) and the resource mappings' lines for other nodes
 * (mapping-entry).  Pure: configs, pci.cfg, the HA resource and the nodes' host models. */
#include "checks.h"
#include "vmdevices.h"

#include "../lib/paths.h"
#include "../pve/ha.h"
#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether hostpciN is a line Proxmox uses (a parse failure is hostpci-syntax's). */
static bool usable(const struct pve_hostpci_setting *s)
{
	return s->raw.set && (s->dev.mapping || s->dev.id_count);
}

/* "hostpci0, hostpci2": the keys Proxmox lists in its message, in its (key) order. */
static char *join_keys(const struct pve_vm *vm, bool mapped, bool with_names,
		       const struct pve_mappings *mappings, const char *to, int want)
{
	char *list = NULL;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!usable(s) || (s->dev.mapping != NULL) != mapped)
			continue;
		if (mapped) {
			const struct pve_mapping *m = pve_mappings_find(mappings, s->dev.mapping);
			if (!m)
				continue;
			bool on_target = pve_mapping_on_node(m, to);
			/* want 0: no entry on the target; 1: not live-migration-capable */
			if ((want == 0 && on_target) || (want == 1 && m->live_migration_capable))
				continue;
		}
		char *item = with_names ? xasprintf("hostpci%d:%s", i, s->dev.mapping)
					: xasprintf("hostpci%d", i);
		char *next = list ? xasprintf("%s, %s", list, item) : item;
		if (list) {
			free(list);
			free(item);
		}
		list = next;
	}
	return list;
}

void check_migration(const struct checked_config *c, const char *from, const char *to, int running,
		     const struct pve_mappings *mappings, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	long vmid = c->source.vmid;
	/* QemuMigrate::prepare: local devices first (one message for all), then mapped devices
	 * without an entry on the target, then, live, mapped devices that cannot move live */
	char *local = join_keys(vm, false, false, mappings, to, -1);
	char *missing = join_keys(vm, true, false, mappings, to, 0);
	char *not_live = join_keys(vm, true, true, mappings, to, 1);
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!usable(s))
			continue;
		struct finding *f;
		if (!s->dev.mapping) {
			if (running == 1) {
				f = findings_add(out, CHECK_MIGRATION, SEVERITY_ERROR, &c->source,
						 s->raw.line);
				finding_message(
					f,
					"hostpci%d: VM %ld runs on %s and passes a raw address "
					"(%s): Proxmox never migrates it live to %s (\"can't "
					"migrate VM which uses local devices: %s\"), not even "
					"with --force",
					i, vmid, from, s->raw.value, to, local);
				finding_hint(
					f,
					"shut the VM down and migrate it offline (`qm migrate %ld "
					"%s --force`, as root@pam), or pass the card through a "
					"resource mapping with an entry for %s",
					vmid, to, to);
			} else {
				f = findings_add(out, CHECK_MIGRATION, SEVERITY_WARNING, &c->source,
						 s->raw.line);
				finding_message(
					f,
					"hostpci%d: a raw address (%s) is a local device: Proxmox "
					"migrates VM %ld from %s to %s only while it is stopped and "
					"with --force (\"can't migrate VM which uses local devices: "
					"%s\"), and on %s the address means whatever card sits "
					"there",
					i, s->raw.value, vmid, from, to, local, to);
				finding_hint(
					f,
					"`qm migrate %ld %s --force` (root@pam; HA's moves pass "
					"it); a resource mapping names the card on each node "
					"instead",
					vmid, to);
			}
			continue;
		}
		const struct pve_mapping *m = pve_mappings_find(mappings, s->dev.mapping);
		if (!m)
			continue; /* device-missing says the mapping does not exist */
		if (!pve_mapping_on_node(m, to)) {
			f = findings_add(out, CHECK_MIGRATION, SEVERITY_ERROR, &c->source,
					 s->raw.line);
			finding_message(f,
					"hostpci%d: resource mapping '%s' has no device on %s: "
					"Proxmox refuses to migrate VM %ld there (\"can't migrate "
					"to '%s': missing mapped devices %s\")",
					i, m->name, to, vmid, to, missing);
			finding_hint(f,
				     "add %s's card to mapping '%s' under Datacenter > Resource "
				     "Mappings",
				     to, m->name);
		} else if (running == 1 && !m->live_migration_capable) {
			f = findings_add(out, CHECK_MIGRATION, SEVERITY_ERROR, &c->source,
					 s->raw.line);
			finding_message(
				f,
				"hostpci%d: VM %ld runs on %s, and resource mapping '%s' is "
				"not live-migration-capable: Proxmox refuses to migrate it "
				"live to %s (\"can't live migrate running VM which uses "
				"following mapped devices: %s\")",
				i, vmid, from, m->name, to, not_live);
			finding_hint(f,
				     "migrate it offline (shut down first), or, if the card and "
				     "its driver support migration, set live-migration-capable on "
				     "mapping '%s'",
				     m->name);
		}
	}
	free(local);
	free(missing);
	free(not_live);
}

void check_ha_raw_address(const struct checked_config *c, const struct pve_ha_resource *res,
			  struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!usable(s) || s->dev.mapping)
			continue;
		struct finding *f = findings_add(out, CHECK_HA_RAW_ADDRESS, SEVERITY_WARNING,
						 &c->source, s->raw.line);
		finding_message(f,
				"hostpci%d: VM %ld is HA-managed (state %s, %s line %u) and passes "
				"a raw address (%s): when HA recovers or moves it, its config "
				"moves to another node and the address means whatever card sits "
				"there",
				i, res->vmid, pve_ha_state_name(res->state), PATH_PVE_HA_RESOURCES,
				res->line, s->raw.value);
		finding_hint(f, "pass the card through a resource mapping (Datacenter > Resource "
				"Mappings) with an entry for each node HA may use: Proxmox then "
				"checks the card's ids on the node before the VM starts");
	}
}

void report_ha_target(const struct checked_config *c, const struct pve_ha_resource *res,
		      const char *home, const char *node, const char *why_there,
		      const struct finding *reason, size_t more, struct findings *out)
{
	struct finding *f = findings_add(out, CHECK_HA_TARGET, SEVERITY_ERROR, &c->source,
					 reason->file && c->source.file &&
							 strcmp(reason->file, c->source.file) == 0
						 ? reason->line
						 : 0);
	if (reason->device)
		finding_device(f, reason->device);
	char others[48] = "";
	if (more)
		snprintf(others, sizeof(others), " (and %zu more error%s)", more,
			 more == 1 ? "" : "s");
	finding_message(f,
			"VM %ld (on %s) is HA-managed (state %s) and HA may recover or move it "
			"to node %s (%s), where it cannot start: %s [%s]%s",
			res->vmid, home, pve_ha_state_name(res->state), node, why_there,
			reason->message ? reason->message : "", check_id_name(reason->check),
			others);
	finding_hint(f,
		     "keep the VM off %s with a strict node-affinity rule (PVE 9) or a "
		     "restricted HA group (PVE 8) of the nodes where it starts, or make it "
		     "start there (`pcipt-validate --target %s %ld` says everything)",
		     node, node, res->vmid);
}

void check_mapping_entries(const struct pve_mappings *mappings, const struct source_ref *src,
			   const char *node, const struct host *host, struct findings *out)
{
	for (size_t i = 0; i < mappings->count; i++) {
		const struct pve_mapping *m = &mappings->items[i];
		for (size_t k = 0; k < m->entry_count; k++) {
			const struct pve_mapping_entry *e = &m->entries[k];
			if (strcmp(e->node, node) != 0)
				continue;
			char *why = vm_mapping_entry_mismatch(e, &host->pci);
			if (!why)
				continue;
			struct finding *f = findings_add(out, CHECK_MAPPING_ENTRY, SEVERITY_ERROR,
							 src, e->line);
			finding_message(f,
					"mapping '%s': the map line for node %s does not match "
					"what %s has: %s; every VM that passes '%s' fails to start "
					"on %s (\"PCI device mapping invalid (hardware probably "
					"changed)\")",
					m->name, node, node, why, m->name, node);
			finding_hint(f,
				     "edit the mapping under Datacenter > Resource Mappings to the "
				     "card %s has now, or remove the line",
				     node);
			free(why);
		}
	}
}
