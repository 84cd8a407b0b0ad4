/* hostpciN: the PCI devices a VM asks for (Proxmox QemuServer/PCI.pm, format pve-qm-hostpci).
 *
 *   hostpciN: [[host=]ID[;ID...]][,device-id=..][,driver=vfio|keep][,legacy-igd=0|1]
 *             [,mapping=NAME][,mdev=TYPE][,pcie=0|1][,rombar=0|1][,romfile=FILE]
 *             [,sub-device-id=..][,sub-vendor-id=..][,vendor-id=..][,x-vga=0|1]
 *
 * IDs are lowercase `[domain:]bus:dev[.fn]`; without a function the ID names every function of
 * the slot ("01:00" = 0000:01:00.*), without a domain it means domain 0000. */
#ifndef PCIPT_PVE_HOSTPCI_H
#define PCIPT_PVE_HOSTPCI_H

#include "propstr.h"

#include <stdbool.h>
#include <stddef.h>

#define PVE_MAX_HOSTPCI 16 /* $MAX_HOSTPCI_DEVICES: hostpci0..hostpci15 */

struct pve_pci_id {
	char id[64];      /* normalised: "0000:01:00.0", or "0000:01:00" for all functions */
	char slot[48];    /* "0000:01:00": the part shared by every function of the card */
	char written[48]; /* as the config writes it ("01:00.0"), for Proxmox's own messages;
			   * longer than 44 characters: cut, with "..." */
	unsigned bus, device;
	int function; /* -1 for the all-functions form */
	/* more than 8 hex digits of domain: Proxmox accepts it, but no host has such a
	 * domain (Linux's are 32-bit); id and slot hold at most 16 of its digits, then "..." */
	bool domain_too_long;
	/* 5 to 8 hex digits with a leading 0 ("00000:01:00.0"): the kernel names domains
	 * "%04x", so no sysfs name starts so and Proxmox finds no device */
	bool domain_zero_padded;
};

/* Why no host can have a device with this ID (Proxmox then refuses the start with "no PCI
 * device found for 'ID'"), or NULL. */
const char *pve_pci_id_names_no_device(const struct pve_pci_id *id);

enum pve_hostpci_driver {
	HOSTPCI_DRIVER_DEFAULT = 0, /* unset: vfio */
	HOSTPCI_DRIVER_VFIO,
	HOSTPCI_DRIVER_KEEP, /* qemu-server 9.0.25+: no reset, no vfio bind */
};

/* Tristate for boolean options: -1 unset, else 0 or 1 as written. */
struct pve_hostpci {
	struct pve_pci_id *ids; /* the host= list, in order */
	size_t id_count;
	char *mapping;
	int pcie, x_vga, legacy_igd, rombar;
	char *romfile, *mdev;
	char *vendor_id, *device_id, *sub_vendor_id, *sub_device_id;
	enum pve_hostpci_driver driver;
};

/* Parse the value of a hostpciN line like Proxmox's config loader does.  Returns 0, or -EINVAL
 * with *ret_errors set to Proxmox's complaints (ret_errors may be NULL); a hostpci line that
 * fails here is dropped by Proxmox. */
int pve_hostpci_parse(const char *value, struct pve_hostpci *ret, struct prop_errors *ret_errors);
void pve_hostpci_free(struct pve_hostpci *h);

/* Whether a hostpci option is typed boolean in $hostpci_fmt (pcie, x-vga, ...). */
bool pve_hostpci_key_is_boolean(const char *key);

/* Parse one ID (the PCIRE pattern); false when it does not match. */
bool pve_pci_id_parse(const char *text, size_t len, struct pve_pci_id *ret);
/* The same with what the caller requires besides (enum pci_addr_flags of lib/pciaddr.h; a
 * pci.cfg path= needs PCI_ADDR_DOMAIN_REQUIRED). */
bool pve_pci_id_parse_as(const char *text, size_t len, unsigned flags, struct pve_pci_id *ret);
/* A ';'-separated list of IDs (host=, a map line's path=), each parsed with flags: 0 with
 * *ret_ids malloc'd and *ret_count of them, or -EINVAL when one does not match.  ret_ids and
 * ret_count may be NULL: the list is only checked. */
int pve_pci_id_list_parse(const char *text, unsigned flags, struct pve_pci_id **ret_ids,
			  size_t *ret_count);

/* The first host function the ID names, as Proxmox's sorted device list has it: the ID itself,
 * or function 0 of the slot ("0000:01:00" -> "0000:01:00.0"). */
void pve_pci_id_first_function(const struct pve_pci_id *id, char *buf, size_t size);

/* Whether two IDs can name the same host function: equal, or one is the all-functions
 * form of the other's slot. */
bool pve_pci_id_overlap(const struct pve_pci_id *a, const struct pve_pci_id *b);

/* More than one device: a list of IDs or an all-functions ID (Proxmox's "multifunction"). */
bool pve_hostpci_is_multifunction(const struct pve_hostpci *h);

#endif
