#include "vmdevices.h"

#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void add_device(struct vm_devices *d, size_t *cap, int index, unsigned line,
		       const struct host_pci_device *dev, const struct pve_mapping_entry *map,
		       const struct pve_hostpci *h)
{
	for (size_t i = 0; i < d->count; i++) {
		if (d->items[i].hostpci == index && d->items[i].dev == dev)
			return; /* "01:00;01:00.0" names one function twice: hostpci-duplicate */
	}
	xgrow((void **)&d->items, cap, d->count + 1, sizeof(*d->items));
	d->items[d->count++] = (struct vm_device){
		.hostpci = index,
		.line = line,
		.dev = dev,
		.map = map,
		.mdev = h->mdev != NULL,
		.keep = h->driver == HOSTPCI_DRIVER_KEEP,
	};
}

static void add_problem(struct vm_devices *d, int index, unsigned line,
			enum vm_device_problem_kind kind, char *detail, unsigned map_line)
{
	d->problems = xrealloc(d->problems, (d->problem_count + 1) * sizeof(*d->problems));
	d->problems[d->problem_count++] =
		(struct vm_device_problem){index, line, kind, detail, map_line};
}

/* Whether the host function at address is one the ID names: the same function, or any
 * function of the slot for an ID without one ("01:00" names 0000:01:00.*). */
static bool id_names(const struct pve_pci_id *id, const char *address)
{
	if (id->function >= 0)
		return strcmp(address, id->id) == 0;
	size_t slot_len = strlen(id->slot);
	return strncmp(address, id->slot, slot_len) == 0 && address[slot_len] == '.';
}

/* Every host function an ID names; false when there is none. */
static bool add_id(struct vm_devices *d, size_t *cap, int index, unsigned line,
		   const struct pve_pci_id *id, const struct host_pci *pci,
		   const struct pve_mapping_entry *map, const struct pve_hostpci *h)
{
	if (id->domain_too_long)
		return false;
	if (id->function >= 0) {
		const struct host_pci_device *dev = host_pci_find(pci, id->id);
		if (dev)
			add_device(d, cap, index, line, dev, map, h);
		return dev != NULL;
	}
	bool found = false;
	for (size_t i = 0; i < pci->count; i++) {
		const struct host_pci_device *dev = &pci->devices[i];
		if (id_names(id, dev->address)) {
			add_device(d, cap, index, line, dev, map, h);
			found = true;
		}
	}
	return found;
}

/* Why two ids that differ only in case differ for Proxmox */
#define CASE_NOTE " (Proxmox compares the text, and sysfs writes lowercase hex)"

/* PVE::Mapping::PCI::assert_valid (pve-guest-common): each path's id and subsystem-id against
 * sysfs, the IOMMU group of the first path only; a property sysfs has but the map line lacks
 * is an error too ("no 'subsystem-id' for device").  The ids are compared as strings
 * ("$correct_prop ne $configured_prop"), sysfs' lowercase "10de:1b80" with the map line's
 * text, so "10DE:1b80" fails there.  NULL when it holds, else what differs. */
char *vm_mapping_entry_mismatch(const struct pve_mapping_entry *e, const struct host_pci *pci)
{
	const struct pve_pci_id *ids = e->ids;
	for (size_t i = 0; i < e->id_count; i++) {
		const struct host_pci_device *dev = NULL;
		if (ids[i].function >= 0) {
			dev = host_pci_find(pci, ids[i].id);
		} else {
			char first[64];
			snprintf(first, sizeof(first), "%s.0", ids[i].slot);
			dev = host_pci_find(pci, first);
		}
		if (!dev)
			return xasprintf("there is no device %s", ids[i].id);
		char have[16];
		snprintf(have, sizeof(have), "%04x:%04x", dev->vendor, dev->device);
		if (strcmp(have, e->id_text) != 0)
			return xasprintf("%s is %s, the mapping says id=%s%s", dev->address, have,
					 e->id_text,
					 strcasecmp(have, e->id_text) == 0 ? CASE_NOTE : "");
		/* in Proxmox's order: id, iommugroup, subsystem-id */
		if (i == 0 && e->iommu_group != dev->iommu_group) {
			if (e->iommu_group < 0)
				return xasprintf(
					"the mapping has no iommugroup, and %s is in IOMMU "
					"group %d",
					dev->address, dev->iommu_group);
			if (dev->iommu_group < 0)
				return xasprintf("%s is in no IOMMU group, the mapping says "
						 "iommugroup=%d",
						 dev->address, e->iommu_group);
			return xasprintf("%s is in IOMMU group %d, the mapping says iommugroup=%d",
					 dev->address, dev->iommu_group, e->iommu_group);
		}
		if (!e->has_subsystem)
			return xasprintf("the mapping has no subsystem-id, and %s has %04x:%04x",
					 dev->address, dev->subsystem_vendor,
					 dev->subsystem_device);
		snprintf(have, sizeof(have), "%04x:%04x", dev->subsystem_vendor,
			 dev->subsystem_device);
		if (strcmp(have, e->subsystem_text) != 0)
			return xasprintf("%s has subsystem %s, the mapping says subsystem-id=%s%s",
					 dev->address, have, e->subsystem_text,
					 strcasecmp(have, e->subsystem_text) == 0 ? CASE_NOTE : "");
	}
	return NULL;
}

/* Whether every function an alternative names is free of other VMs. */
static bool alternative_free(const struct pve_pci_id *ids, size_t n, const struct host *host,
			     long vmid)
{
	for (size_t i = 0; i < host->pci.count; i++) {
		const struct host_pci_device *dev = &host->pci.devices[i];
		for (size_t k = 0; k < n; k++) {
			if (id_names(&ids[k], dev->address) &&
			    host_runstate_holder(&host->runstate, dev->address, vmid, NULL) >= 0)
				return false;
		}
	}
	return true;
}

/* Whether an earlier line of this VM already took a device of the alternative (qemu-server's
 * $used in choose_hostpci_devices). */
static bool alternative_used(const struct pve_pci_id *ids, size_t n, const struct vm_devices *d)
{
	for (size_t i = 0; i < d->count; i++) {
		const char *address = d->items[i].dev->address;
		for (size_t k = 0; k < n; k++) {
			if (id_names(&ids[k], address))
				return true;
		}
	}
	return false;
}

bool vm_mapping_entry_free(const struct pve_mapping_entry *e, const struct host *host, long vmid)
{
	return alternative_free(e->ids, e->id_count, host, vmid);
}

static void resolve_mapping(struct vm_devices *d, size_t *cap, int index, unsigned line,
			    const struct pve_hostpci *h, const struct host *host,
			    const struct pve_mappings *mappings, long vmid)
{
	const struct pve_mapping *m = mappings ? pve_mappings_find(mappings, h->mapping) : NULL;
	if (!m) {
		add_problem(d, index, line, VM_MAPPING_UNKNOWN, xstrdup(h->mapping), 0);
		return;
	}
	const char *node = host->hostname;
	const struct pve_mapping_entry *chosen = NULL, *first = NULL;
	for (size_t k = 0; k < m->entry_count; k++) {
		const struct pve_mapping_entry *e = &m->entries[k];
		if (!node || strcmp(e->node, node) != 0)
			continue;
		/* qemu-server checks every alternative on this node and dies on the first that
		 * does not match the hardware */
		char *why = vm_mapping_entry_mismatch(e, &host->pci);
		if (why) {
			add_problem(d, index, line, VM_MAPPING_INVALID, why, e->line);
			return;
		}
		if (!first)
			first = e;
		/* then it takes the first alternative no earlier line took and no other VM uses or
		 * holds reserved (one alternative alone is taken as it is) */
		if (!chosen && !alternative_used(e->ids, e->id_count, d) &&
		    alternative_free(e->ids, e->id_count, host, vmid))
			chosen = e;
	}
	if (!first) {
		add_problem(d, index, line, VM_MAPPING_NOT_ON_NODE, xstrdup(node ? node : "?"), 0);
		return;
	}
	/* none free: the first one stands for all, and in-use says who holds it */
	const struct pve_mapping_entry *e = chosen ? chosen : first;
	for (size_t i = 0; i < e->id_count; i++)
		add_id(d, cap, index, line, &e->ids[i], &host->pci, e, h);
}

void vm_devices_resolve(const struct pve_vm *vm, long vmid, const struct host *host,
			const struct pve_mappings *mappings, struct vm_devices *ret)
{
	const struct host_pci *pci = &host->pci;
	struct vm_devices d = {0};
	size_t cap = 0;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set)
			continue;
		if (s->dev.mapping) {
			resolve_mapping(&d, &cap, i, s->raw.line, &s->dev, host, mappings, vmid);
			continue;
		}
		for (size_t k = 0; k < s->dev.id_count; k++) {
			if (!add_id(&d, &cap, i, s->raw.line, &s->dev.ids[k], pci, NULL, &s->dev))
				add_problem(&d, i, s->raw.line, VM_DEVICE_MISSING,
					    xstrdup(s->dev.ids[k].id), 0);
		}
	}
	*ret = d;
}

void vm_devices_free(struct vm_devices *d)
{
	for (size_t i = 0; i < d->problem_count; i++)
		free(d->problems[i].detail);
	free(d->problems);
	free(d->items);
	*d = (struct vm_devices){0};
}

bool vm_devices_has(const struct vm_devices *d, const char *address)
{
	for (size_t i = 0; i < d->count; i++) {
		if (strcmp(d->items[i].dev->address, address) == 0)
			return true;
	}
	return false;
}
