/* The keys qemu-server accepts in a VM config, and the value check each one gets when the
 * config is loaded (PVE::QemuServer::check_type).  A key not listed here is dropped by Proxmox
 * with "unknown setting". */
#ifndef PCIPT_PVE_KEYS_H
#define PCIPT_PVE_KEYS_H

#include <stdbool.h>

enum pve_key_status {
	PVE_KEY_UNKNOWN,
	PVE_KEY_VALID,
	PVE_KEY_SNAPSHOT_ONLY, /* written by Proxmox into snapshot sections only */
};

enum pve_key_status pve_key_status(const char *key);

/* check_type for key's value: NULL when Proxmox accepts it, else a malloc'd complaint.
 * Only the keys pcipt models are checked in depth; other known keys are accepted as Proxmox
 * stores them. */
char *pve_key_check_value(const char *key, const char *value);

/* hostpciN: N in 0..15, or -1 when key is not a hostpci key. */
int pve_hostpci_index(const char *key);

#endif
