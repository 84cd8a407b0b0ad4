/* Fuzz the host snapshot reader, the door to a JSON document another node wrote.
 *
 * A refusal carries its code (-EINVAL, -EFBIG, -E2BIG) and a message.  What the reader
 * accepts keeps the invariants the checks rely on (devices sorted by address, each once, with
 * the numbers of their address; groups sorted by number with sorted members; files sorted; a
 * ROM's kind one of host_mode_kind()'s strings; the counts within the limits); it is written
 * again without error, and that text read and written once more gives the same bytes. */
#include "fuzz.h"

#include "../../host/snapshot.h"
#include "../../host/sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool known_kind(const char *kind)
{
	static const unsigned modes[] = {S_IFIFO, S_IFSOCK, S_IFCHR, S_IFDIR, 0};
	if (!kind)
		return true;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (kind == host_mode_kind(modes[i]))
			return true;
	return false;
}

static void check_invariants(const struct host *h)
{
	if (h->root || !h->origin.snapshot || h->pci.count > HOST_MAX_PCI_DEVICES ||
	    h->iommu.group_count > HOST_MAX_IOMMU_GROUPS || h->files.count > HOST_FILES_MAX)
		abort();
	for (size_t i = 0; i < h->pci.count; i++) {
		const struct host_pci_device *d = &h->pci.devices[i];
		char address[64];
		snprintf(address, sizeof(address), "%04x:%02x:%02x.%u", d->domain, d->bus, d->slot,
			 d->function);
		if (!host_is_pci_address(d->address) || strcmp(address, d->address) != 0 ||
		    d->name || d->iommu_group < -1)
			abort();
		if (i > 0 && strcmp(h->pci.devices[i - 1].address, d->address) >= 0)
			abort();
		if (host_pci_find(&h->pci, d->address) != d)
			abort();
	}
	for (size_t i = 0; i < h->iommu.group_count; i++) {
		const struct host_iommu_group *g = &h->iommu.groups[i];
		if (g->number < 0 || (i > 0 && g[-1].number >= g->number) ||
		    g->region_count > HOST_MAX_GROUP_REGIONS)
			abort();
		for (size_t k = 0; k < g->device_count; k++)
			if (!host_is_pci_address(g->devices[k]) ||
			    (k > 0 && strcmp(g->devices[k - 1], g->devices[k]) >= 0))
				abort();
		for (size_t k = 0; k < g->region_count; k++)
			if (!memchr(g->regions[k].type, '\0', sizeof(g->regions[k].type)))
				abort();
		if (host_iommu_group(&h->iommu, g->number) != g)
			abort();
	}
	if (!h->boot.next_file || !h->boot.apply)
		abort();
	for (size_t i = 0; i < h->files.count; i++) {
		const struct host_file *f = &h->files.items[i];
		if (i > 0 && strcmp(h->files.items[i - 1].path, f->path) > 0)
			abort();
		if (f->rom.rom.count > OPTIONROM_MAX_IMAGES || !known_kind(f->rom.kind) ||
		    strlen(f->digest) % 64 != 0 || f->error > 0)
			abort();
		if (host_files_find(&h->files, f->path) == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct host h;
	struct pcipt_error err = {0};
	int r = host_snapshot_read((const char *)data, size, &h, &err);
	if (r < 0) {
		if ((r != -EINVAL && r != -EFBIG && r != -E2BIG) || err.code != r ||
		    !err.message[0])
			abort();
		return 0;
	}
	check_invariants(&h);
	char *first, *second;
	size_t first_size, second_size;
	if (host_snapshot_write(&h, &first, &first_size, &err) < 0)
		abort();
	host_free(&h);
	if (host_snapshot_read(first, first_size, &h, &err) < 0)
		abort();
	if (host_snapshot_write(&h, &second, &second_size, &err) < 0)
		abort();
	if (first_size != second_size || memcmp(first, second, first_size) != 0)
		abort();
	host_free(&h);
	free(first);
	free(second);
	return 0;
}
