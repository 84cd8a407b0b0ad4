#include "groups.h"

#include "report.h"
#include "vmdevices.h"

#include "../lib/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct claim {
	const char *address;
	long vmid;
	int hostpci;
	const char *file;
	unsigned line;
};

struct claims {
	struct claim *items;
	size_t count;
};

static void collect_claims(const struct groups_vm *vms, size_t n, struct claims *ret)
{
	size_t cap = 0;
	*ret = (struct claims){0};
	for (size_t i = 0; i < n; i++) {
		const struct vm_devices *d = vms[i].devices;
		for (size_t k = 0; k < d->count; k++) {
			xgrow((void **)&ret->items, &cap, ret->count + 1, sizeof(*ret->items));
			ret->items[ret->count++] = (struct claim){
				d->items[k].dev->address, vms[i].config->vmid, d->items[k].hostpci,
				vms[i].display, d->items[k].line};
		}
	}
}

static const char *acs_text(const struct host_pci_device *d)
{
	if (d->acs == HOST_YES)
		return "yes";
	if (d->acs == HOST_NO)
		return "no";
	/* the kernel shows 64 bytes to unprivileged readers; 256 is a conventional device */
	return d->config_size <= 64 ? "unknown (run as root)"
				    : "unknown (no extended config space)";
}

/* ACS matters on the ports above devices: show it for bridges and ports. */
static bool shows_acs(const struct host_pci_device *d)
{
	return d->is_bridge || d->pcie_type == HOST_PCIE_ROOT_PORT ||
	       d->pcie_type == HOST_PCIE_DOWNSTREAM;
}

static void device_text(FILE *out, const struct host_pci *pci, const struct host_pci_device *d,
			const struct claims *c)
{
	fprintf(out, "  %s [%04x:%04x] %s", d->address, d->vendor, d->device,
		host_pci_name(pci, d));
	fprintf(out, " (%s%s", d->driver ? "driver " : "no driver", d->driver ? d->driver : "");
	if (d->is_bridge)
		fputs(", bridge", out);
	if (shows_acs(d))
		fprintf(out, ", ACS %s", acs_text(d));
	fputc(')', out);
	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->items[i].address, d->address) == 0)
			fprintf(out, " <- VM %ld hostpci%d", c->items[i].vmid, c->items[i].hostpci);
	}
	fputc('\n', out);
}

void report_groups_text(FILE *out, const struct host *host, const struct groups_vm *vms,
			size_t vm_count)
{
	struct claims c;
	collect_claims(vms, vm_count, &c);
	const struct host_iommu *m = &host->iommu;
	if (!m->group_count)
		fputs("no IOMMU groups: the IOMMU is off (see `pcipt-validate --host`)\n", out);
	for (size_t g = 0; g < m->group_count; g++) {
		const struct host_iommu_group *grp = &m->groups[g];
		fprintf(out, "IOMMU group %d:\n", grp->number);
		for (size_t i = 0; i < grp->device_count; i++) {
			const struct host_pci_device *d =
				host_pci_find(&host->pci, grp->devices[i]);
			if (d)
				device_text(out, &host->pci, d, &c);
			else
				fprintf(out, "  %s (not readable)\n", grp->devices[i]);
		}
	}
	bool header = false;
	for (size_t i = 0; i < host->pci.count; i++) {
		const struct host_pci_device *d = &host->pci.devices[i];
		if (d->iommu_group >= 0)
			continue;
		if (!header)
			fputs("no IOMMU group:\n", out);
		header = true;
		device_text(out, &host->pci, d, &c);
	}
	free(c.items);
}

static void device_json(FILE *out, const struct host_pci *pci, const struct host_pci_device *d,
			const struct claims *c)
{
	fprintf(out,
		"{\"address\":\"%s\",\"vendor\":\"%04x\",\"device\":\"%04x\","
		"\"subsystem_vendor\":\"%04x\",\"subsystem_device\":\"%04x\","
		"\"class\":\"%06x\",\"name\":",
		d->address, d->vendor, d->device, d->subsystem_vendor, d->subsystem_device,
		d->class_code);
	json_string(out, host_pci_name(pci, d));
	fputs(",\"driver\":", out);
	json_string(out, d->driver);
	fprintf(out, ",\"bridge\":%s,\"acs\":\"%s\",\"claimed_by\":[",
		d->is_bridge ? "true" : "false",
		d->acs == HOST_YES  ? "yes"
		: d->acs == HOST_NO ? "no"
				    : "unknown");
	bool first = true;
	for (size_t i = 0; i < c->count; i++) {
		if (strcmp(c->items[i].address, d->address) != 0)
			continue;
		fprintf(out, "%s{\"vmid\":%ld,\"key\":\"hostpci%d\",\"file\":", first ? "" : ",",
			c->items[i].vmid, c->items[i].hostpci);
		json_string(out, c->items[i].file);
		fprintf(out, ",\"line\":%u}", c->items[i].line);
		first = false;
	}
	fputs("]}", out);
}

void report_groups_json(FILE *out, const struct host *host, const struct groups_vm *vms,
			size_t vm_count)
{
	struct claims c;
	collect_claims(vms, vm_count, &c);
	const struct host_iommu *m = &host->iommu;
	fputs("{\"groups\":[", out);
	for (size_t g = 0; g < m->group_count; g++) {
		const struct host_iommu_group *grp = &m->groups[g];
		fprintf(out, "%s{\"group\":%d,\"devices\":[", g ? "," : "", grp->number);
		bool first = true;
		for (size_t i = 0; i < grp->device_count; i++) {
			const struct host_pci_device *d =
				host_pci_find(&host->pci, grp->devices[i]);
			if (!d)
				continue;
			if (!first)
				fputc(',', out);
			device_json(out, &host->pci, d, &c);
			first = false;
		}
		fputs("]}", out);
	}
	fputs("],\"ungrouped\":[", out);
	bool first = true;
	for (size_t i = 0; i < host->pci.count; i++) {
		const struct host_pci_device *d = &host->pci.devices[i];
		if (d->iommu_group >= 0)
			continue;
		if (!first)
			fputc(',', out);
		device_json(out, &host->pci, d, &c);
		first = false;
	}
	fputs("]}\n", out);
	free(c.items);
}
