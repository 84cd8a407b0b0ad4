/* The host devices a VM's hostpciN lines name, on this host: `host=` ids (an ID without a
 * function names every function of the slot) and `mapping=` names resolved through
 * /etc/pve/mapping/pci.cfg for this node, as qemu-server resolves them at start.  Shared by
 * the host checks, `--groups` and the binder. */
#ifndef PCIPT_VALIDATOR_VMDEVICES_H
#define PCIPT_VALIDATOR_VMDEVICES_H

#include "../host/host.h"
#include "../pve/mapping.h"
#include "../pve/vmconfig.h"

#include <stdbool.h>
#include <stddef.h>

struct vm_device {
	int hostpci;                         /* N of hostpciN */
	unsigned line;                       /* the hostpciN line */
	const struct host_pci_device *dev;   /* on this host */
	const struct pve_mapping_entry *map; /* the mapping entry it came from, or NULL */
	bool mdev;                           /* a mediated device is made from it */
	bool keep;                           /* driver=keep: Proxmox leaves its driver alone */
};

enum vm_device_problem_kind {
	VM_DEVICE_MISSING,      /* an ID matches no device */
	VM_MAPPING_UNKNOWN,     /* mapping=NAME not in pci.cfg */
	VM_MAPPING_NOT_ON_NODE, /* no map line for this node */
	VM_MAPPING_INVALID,     /* assert_valid would die: ids, subsystem or group differ */
};

struct vm_device_problem {
	int hostpci;
	unsigned line;
	enum vm_device_problem_kind kind;
	char *detail;      /* what differs / which id */
	unsigned map_line; /* VM_MAPPING_INVALID: the map line in pci.cfg */
};

struct vm_devices {
	struct vm_device *items; /* in hostpci order, then address order */
	size_t count;
	struct vm_device_problem *problems;
	size_t problem_count;
};

/* Mappings resolve for host->hostname (none: every mapped line is VM_MAPPING_NOT_ON_NODE);
 * of several valid alternatives the first one no other VM than vmid holds is taken, as
 * qemu-server does at start. */
void vm_devices_resolve(const struct pve_vm *vm, long vmid, const struct host *host,
			const struct pve_mappings *mappings, struct vm_devices *ret);
void vm_devices_free(struct vm_devices *d);

/* Whether no VM but vmid holds (runs with, or has reserved) a device of the map line. */
bool vm_mapping_entry_free(const struct pve_mapping_entry *e, const struct host *host, long vmid);

/* What PVE::Mapping::PCI::assert_valid finds wrong with map line e on the host with these
 * devices (ids and subsystem ids compared as text, the IOMMU group of the first path): NULL
 * when it holds, else why, malloc'd. */
char *vm_mapping_entry_mismatch(const struct pve_mapping_entry *e, const struct host_pci *pci);

/* Whether the VM passes address (any hostpci line). */
bool vm_devices_has(const struct vm_devices *d, const char *address);

#endif
