/* Resource mappings for PCI devices: /etc/pve/mapping/pci.cfg (a SectionConfig file,
 * PVE::Mapping::PCI).  A mapping names a device cluster-wide; each `map` line is one
 * alternative on one node, with the ids Proxmox checks against the hardware:
 *
 *   nvidia-gpu
 *   	map id=10de:27b0,iommugroup=16,node=pve,path=0000:07:00,subsystem-id=10de:16fa
 *   	mdev 0
 */
#ifndef PCIPT_PVE_MAPPING_H
#define PCIPT_PVE_MAPPING_H

#include "hostpci.h"
#include "../lib/textfile.h"

#include <stdbool.h>
#include <stddef.h>

struct pve_mapping_entry {
	char *node;
	unsigned vendor, device; /* id=VVVV:DDDD */
	bool has_subsystem;
	unsigned subsystem_vendor, subsystem_device; /* subsystem-id=VVVV:DDDD */
	/* id= and subsystem-id= as written (either case): PVE::Mapping::PCI::assert_valid
	 * compares these strings with sysfs' lowercase ones, so "10DE:1b80" fails there */
	char id_text[10], subsystem_text[10];
	char *path;             /* 0000:07:00 or 0000:07:00.0;0000:07:00.1 */
	struct pve_pci_id *ids; /* path's IDs, in order (at least one) */
	size_t id_count;
	int iommu_group; /* -1 when not given */
	unsigned line;
};

struct pve_mapping {
	char *name;
	unsigned line;
	struct pve_mapping_entry *entries;
	size_t entry_count;
	bool mdev;
	/* live-migration-capable: QEMU may migrate the device live (enable-migration=on) */
	bool live_migration_capable;
};

struct pve_mapping_problem {
	unsigned line;
	char *message;
};

struct pve_mappings {
	char *path; /* as shown to the admin */
	struct pve_mapping *items;
	size_t count;
	struct pve_mapping_problem *problems; /* lines Proxmox would skip, with why */
	size_t problem_count;
};

void pve_mappings_parse(const struct text_file *text, const char *display_path,
			struct pve_mappings *ret);
/* Read and parse the file at path.  Returns 0, or -errno with err filled (-ENOENT: there is
 * no pci.cfg, which is no error for callers: no mappings). */
int pve_mappings_load(const struct rootfs *fs, const char *path, const char *display_path,
		      struct pve_mappings *ret, struct pcipt_error *err);
const struct pve_mapping *pve_mappings_find(const struct pve_mappings *m, const char *name);
/* Whether the mapping has a map line for node (what a migration to node needs). */
bool pve_mapping_on_node(const struct pve_mapping *m, const char *node);
void pve_mappings_free(struct pve_mappings *m);

#endif
