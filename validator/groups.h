/* `pcipt-validate --groups`: every IOMMU group of the host, its devices with names and
 * drivers, and which VM configs of this node claim each device. */
#ifndef PCIPT_VALIDATOR_GROUPS_H
#define PCIPT_VALIDATOR_GROUPS_H

#include "../host/host.h"
#include "../pve/vmconfig.h"

#include <stdbool.h>
#include <stdio.h>

struct vm_devices;
struct groups_vm {
	const struct pve_config *config;
	const char *display;              /* how to name its file */
	const struct vm_devices *devices; /* what it claims on the host (lint_prepare) */
};

void report_groups_text(FILE *out, const struct host *host, const struct groups_vm *vms,
			size_t vm_count);
void report_groups_json(FILE *out, const struct host *host, const struct groups_vm *vms,
			size_t vm_count);

#endif
