/* hostpci-duplicate for resource mappings: one mapping on several hostpciN lines.
 *
 * qemu-server's choose_hostpci_devices() (QemuServer/PCI.pm) gives each line that names a
 * mapping one of the mapping's devices on the VM's node: a mapping with a single device there
 * is taken as it is, so a second line repeats it ("device '0000:07:00.0' assigned more than
 * once"); of several, each line takes the first one no earlier line took and no other VM holds
 * reserved, and a line that finds none fails ("could not find a free device for 'hostpciN'").
 * The start fails only when the node has fewer (free) devices of the mapping than lines that
 * use it. */
#include "checks.h"
#include "vmdevices.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* mdev lines share a card (choose_hostpci_devices skips them): only whole devices count */
static bool uses_mapping(const struct pve_hostpci_setting *s, const char *name)
{
	return s->raw.set && !s->dev.mdev && s->dev.mapping && strcmp(s->dev.mapping, name) == 0;
}

/* "hostpci0, hostpci2 and hostpci5" */
static char *line_list(const int *lines, size_t n)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
		char *next = xasprintf("%s%shostpci%d", s, sep, lines[i]);
		free(s);
		s = next;
	}
	return s;
}

/* The device Proxmox names when one device is assigned twice: the path's first function
 * (a slot without one starts at function 0). */
static void first_device(const struct pve_mapping_entry *e, char *buf, size_t size)
{
	pve_pci_id_first_function(&e->ids[0], buf, size);
}

static void judge_mapping(const struct checked_config *c, const char *name, const int *lines,
			  size_t n, const struct pve_mappings *mappings, const char *node,
			  const struct host *host, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	unsigned line = vm->hostpci[lines[1]].raw.line;
	struct finding *f;
	if (!mappings || !node) {
		f = findings_add(out, CHECK_HOSTPCI_DUPLICATE, SEVERITY_WARNING, &c->source, line);
		finding_message(
			f,
			"hostpci%d: mapping '%s' is also used by hostpci%d (line %u); "
			"Proxmox gives each line another device of the mapping and "
			"refuses the start when the VM's node has fewer of them than "
			"lines that use it, which pcipt cannot tell: %s",
			lines[1], name, lines[0], vm->hostpci[lines[0]].raw.line,
			!mappings
				? "there is no " PATH_PVE_PCI_MAPPING
				: "the VM's node is not known (its config is not under " PATH_PVE_NODES
				  "/NODE/qemu-server)");
		finding_hint(f, "check that the mapping has a device on the node for each line, "
				"or remove one of the lines");
		return;
	}
	const struct pve_mapping *m = pve_mappings_find(mappings, name);
	if (!m)
		return; /* an unknown mapping fails first: device-missing says so on the host */
	size_t on_node = 0, free_on_node = 0;
	const struct pve_mapping_entry *single = NULL;
	for (size_t k = 0; k < m->entry_count; k++) {
		const struct pve_mapping_entry *e = &m->entries[k];
		if (strcmp(e->node, node) != 0)
			continue;
		on_node++;
		single = e;
		if (!host || vm_mapping_entry_free(e, host, c->config->vmid))
			free_on_node++;
	}
	if (on_node == 0)
		return; /* no device here at all: device-missing on the host */
	char held[80] = "";
	if (host && free_on_node < on_node)
		snprintf(held, sizeof(held), " (%zu of them held by other VMs)",
			 on_node - free_on_node);
	char *all = line_list(lines, n);
	if (on_node == 1) {
		char dev[64];
		first_device(single, dev, sizeof(dev));
		f = findings_add(out, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, &c->source, line);
		finding_device(f, dev);
		finding_message(f,
				"hostpci%d: mapping '%s' has one device on node %s and %s all "
				"use it; Proxmox will refuse to start the VM (\"device '%s' "
				"assigned more than once\")",
				lines[1], name, node, all, dev);
		finding_hint(f,
			     "add another device of node %s to the mapping (Datacenter > "
			     "Resource Mappings), or remove one of the lines",
			     node);
	} else if (free_on_node < n) {
		int failing = lines[free_on_node];
		f = findings_add(out, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, &c->source,
				 vm->hostpci[failing].raw.line);
		finding_message(f,
				"hostpci%d: mapping '%s' has %zu devices on node %s%s and %s "
				"use it; Proxmox will refuse to start the VM (\"could not find a "
				"free device for 'hostpci%d'\")",
				failing, name, on_node, node, held, all, failing);
		finding_hint(f,
			     "add devices of node %s to the mapping, free them, or use the "
			     "mapping on fewer lines",
			     node);
	}
	free(all);
}

void check_mapping_lines(const struct checked_config *c, const struct pve_mappings *mappings,
			 const char *node, const struct host *host, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	bool judged[PVE_MAX_HOSTPCI] = {false};
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (judged[i] || !s->raw.set || s->dev.mdev || !s->dev.mapping)
			continue;
		int lines[PVE_MAX_HOSTPCI];
		size_t n = 0;
		for (int j = i; j < PVE_MAX_HOSTPCI; j++) {
			if (uses_mapping(&vm->hostpci[j], s->dev.mapping)) {
				lines[n++] = j;
				judged[j] = true;
			}
		}
		if (n > 1)
			judge_mapping(c, s->dev.mapping, lines, n, mappings, node, host, out);
	}
}

/* How many host functions hostpci<index> names on this host. */
static size_t functions_of_line(const struct vm_devices *devices, int index)
{
	size_t n = 0;
	for (size_t i = 0; i < devices->count; i++)
		n += devices->items[i].hostpci == index;
	return n;
}

void check_expanded_lines(const struct checked_config *c, const struct vm_devices *devices,
			  struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	bool earlier_igd = false;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set)
			continue;
		const struct pve_hostpci *h = &s->dev;
		/* a list of IDs is judged offline (check_config); here only "00:02" */
		bool slot = h->id_count == 1 && h->ids[0].function < 0;
		bool several = slot && functions_of_line(devices, i) > 1;
		if (several && h->mdev) {
			struct finding *f = findings_add(out, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR,
							 &c->source, s->raw.line);
			finding_device(f, h->ids[0].id);
			finding_message(f,
					"hostpci%d combines mdev=%s with %s, which has %zu "
					"functions on this host; Proxmox will refuse to start the "
					"VM (\"cannot use mediated device with multifunction "
					"device\")",
					i, h->mdev, h->ids[0].id, functions_of_line(devices, i));
			finding_hint(f,
				     "a mediated device lives on one function: name it, e.g. "
				     "`%s.0`",
				     h->ids[0].slot);
		}
		if (h->legacy_igd != 1)
			continue;
		const char *fix = NULL;
		bool earlier = earlier_igd;
		earlier_igd = true;
		/* lists of IDs were judged by check_config */
		if (!slot)
			continue;
		const char *why = legacy_igd_broken_rule(vm, i, earlier, several, &fix);
		if (!why)
			continue;
		struct finding *f = findings_add(out, CHECK_LEGACY_IGD, SEVERITY_ERROR, &c->source,
						 s->raw.line);
		finding_device(f, h->ids[0].id);
		if (several)
			finding_message(f,
					"hostpci%d: %s (%s has %zu functions on this host); "
					"Proxmox will refuse to start the VM",
					i, why, h->ids[0].id, functions_of_line(devices, i));
		else
			finding_message(f, "hostpci%d: %s; Proxmox will refuse to start the VM", i,
					why);
		finding_hint(f, "%s", fix);
	}
}
