/* Typed parsers for the main-section settings pcipt judges besides hostpciN:
 * machine, vga, onboot, hookscript (formats from qemu-server's $confdesc). */
#ifndef PCIPT_PVE_VMOPTIONS_H
#define PCIPT_PVE_VMOPTIONS_H

#include "propstr.h"

#include <stdbool.h>

struct pve_machine {
	char *type;    /* NULL when only options were given */
	char *viommu;  /* "intel" | "virtio" | NULL */
	char *aw_bits; /* as written (a number Proxmox accepts), or NULL */
};

/* Each returns 0, or -EINVAL with *ret_errors set to Proxmox's complaints (may be NULL). */
int pve_machine_parse(const char *value, struct pve_machine *ret, struct prop_errors *ret_errors);
void pve_machine_free(struct pve_machine *m);
/* PVE::QemuServer::Machine::machine_type_is_q35: the type contains "q35". */
bool pve_machine_type_is_q35(const char *type);

/* vga: returns the display type (malloc'd) */
int pve_vga_parse(const char *value, char **ret_type, struct prop_errors *ret_errors);

/* Plain checks for the remaining keys; NULL when valid, else a malloc'd complaint. */
char *pve_check_boolean(const char *value);
char *pve_check_hookscript(const char *value);

#endif
