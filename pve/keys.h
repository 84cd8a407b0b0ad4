/* The keys qemu-server accepts in a VM config, and the value check each one gets when the
 * config is loaded (PVE::QemuServer::check_type).  A key not listed here is dropped by Proxmox
 * with "unknown setting".
 *
 * check_type at load time is narrow: booleans and integers are type-checked, values with a
 * `format` (hostpciN, machine, vga, hookscript, drives...) are parsed; enums, patterns and
 * ranges of plain strings are NOT checked there, so `bios: uefi` is kept (and means SeaBIOS). */
#ifndef PCIPT_PVE_KEYS_H
#define PCIPT_PVE_KEYS_H

#include "hostpci.h"
#include "propstr.h"

#include <stdbool.h>

bool pve_key_is_known(const char *key);

/* check_type for key's value: 0 when Proxmox keeps the line, else -EINVAL with *ret set to
 * its complaints (Proxmox warns and drops the line).  Of the format-backed keys, those pcipt
 * models are parsed in depth; other known keys are accepted as Proxmox would store them.
 * A hostpciN value kept is handed over typed in *ret_hostpci (pve_hostpci_free() it) when
 * ret_hostpci is not NULL, so that it is parsed once; untouched otherwise. */
int pve_key_check_value(const char *key, const char *value, struct pve_hostpci *ret_hostpci,
			struct prop_errors *ret);

/* hostpciN: N in 0..15, or -1 when key is not a hostpci key. */
int pve_hostpci_index(const char *key);

/* check_type's treatment of a string without a format: surrounding double quotes go.
 * Returns a malloc'd copy. */
char *pve_unquote(const char *value);

#endif
