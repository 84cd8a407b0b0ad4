/* The host's PCI devices, read through libpci (pciutils) with its sysfs backend pointed at
 * ROOT/sys/bus/pci, plus the sysfs attributes libpci does not read (boot_vga, reset_method,
 * power_state, d3cold_allowed, sriov_*, the pci_bus directory of bridges).
 *
 * libpci reports fatal problems through an error callback that must not return; this module
 * is the one place that installs it, jumps out of libpci, copies what it needs and cleans up,
 * so callers only ever see a return value.  Plain copied data: no libpci type leaks out. */
#ifndef PCIPT_HOST_PCI_H
#define PCIPT_HOST_PCI_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "sysfs.h"

#include <stdbool.h>
#include <stddef.h>

#define HOST_MAX_PCI_DEVICES 16384

enum host_tristate { HOST_UNKNOWN = -1, HOST_NO = 0, HOST_YES = 1 };

/* PCI Express Device/Port Type (PCIe capability, flags bits 7:4) */
#define HOST_PCIE_NONE (-1)    /* no PCI Express capability */
#define HOST_PCIE_UNKNOWN (-2) /* config space not readable far enough to tell */
#define HOST_PCIE_ENDPOINT 0x0
#define HOST_PCIE_LEGACY_ENDPOINT 0x1
#define HOST_PCIE_ROOT_PORT 0x4
#define HOST_PCIE_UPSTREAM 0x5
#define HOST_PCIE_DOWNSTREAM 0x6
#define HOST_PCIE_ROOT_INTEGRATED 0x9

struct host_pci_bar {
	unsigned long long start, size; /* size 0: unused */
	bool memory;
};

struct host_pci_device {
	char address[HOST_PCI_ADDRESS_MAX + 1]; /* "0000:01:00.0" */
	unsigned domain, bus, slot, function;
	unsigned vendor, device, subsystem_vendor, subsystem_device;
	unsigned class_code; /* 24 bits: class, subclass, prog-if */
	unsigned revision;
	unsigned header_type; /* 0 normal, 1 bridge, 2 CardBus */
	bool is_bridge;       /* has a pci_bus directory: how Proxmox tells bridges apart */
	char *name;           /* cache of host_pci_name(); NULL until asked for */
	char *driver;         /* NULL: no driver bound */
	int iommu_group;      /* -1: none */
	int boot_vga;         /* -1: no boot_vga attribute (not a VGA device) */
	bool has_reset;       /* the kernel offers a reset (a `reset` attribute exists) */
	char *reset_method;   /* NULL: attribute absent (older kernel); "" none; "flr bus" */
	char *power_state;    /* NULL: attribute absent */
	int d3cold_allowed;   /* -1: attribute absent */
	int sriov_totalvfs, sriov_numvfs; /* -1: not an SR-IOV physical function */
	int config_size;                  /* config bytes readable; 64 when not run as root */
	int pcie_type;                    /* HOST_PCIE_* */
	enum host_tristate acs;           /* ACS extended capability */
	enum host_tristate sriov;         /* SR-IOV extended capability */
	struct host_pci_bar bars[6];
};

struct host_pci_names; /* the pci.ids database, opened on first use */

struct host_pci {
	struct host_pci_device *devices; /* sorted by address */
	size_t count;
	struct host_pci_names *names;
	char **warnings; /* libpci's warnings, copied */
	size_t warning_count;
};

/* Scan ROOT/sys/bus/pci/devices.  Returns 0, or -EIO (libpci gave up, or a file libpci would
 * open is no regular file and would block it; err says why and names the file), -E2BIG (more
 * than HOST_MAX_PCI_DEVICES, or a directory too large to list); *ret is untouched on failure.
 * A tree without /sys/bus/pci/devices is an empty host, not an error. */
int host_pci_scan(const struct rootfs *root, struct host_pci *ret, struct pcipt_error *err);
void host_pci_free(struct host_pci *pci);

const struct host_pci_device *host_pci_find(const struct host_pci *pci, const char *address);

/* d's name from pci.ids ("NVIDIA Corporation GP104 [GeForce GTX 1080]"), else its vendor's
 * name and the device id, else its class and ids; never NULL.  Looked up when first asked
 * for: parsing pci.ids costs more than reading every device of a host, and only the devices a
 * report mentions need a name.  A pci.ids libpci cannot read gives the fallback names. */
const char *host_pci_name(const struct host_pci *pci, const struct host_pci_device *d);

/* How many functions the host has in d's slot (d included). */
size_t host_pci_slot_functions(const struct host_pci *pci, const struct host_pci_device *d);

/* "Ethernet controller" etc. for the base class; "device" for unknown ones. */
const char *host_pci_class_name(unsigned class_code);

#endif
