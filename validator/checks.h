/* The checks: functions of (VM configs, the host snapshot, the rules) that append findings.
 * Check ids are stable (lib/check_ids.h); tests and scripts outside the repo depend on them.
 *
 * Nearly everything a check looks at was read before it runs (host_load, vm_files_gather).
 * Three reads still happen inside checks, through the host's rootfs: the live module
 * parameters of xvga-device, unsafe-interrupts and a device rule's module option, and
 * describe(), which names devices from pci.ids through libpci. */
#ifndef PCIPT_VALIDATOR_CHECKS_H
#define PCIPT_VALIDATOR_CHECKS_H

#include "../host/host.h"
#include "../lib/findings.h"
#include "../pve/mapping.h"
#include "../pve/storage.h"
#include "../pve/vmconfig.h"
#include "../rules/rules.h"

#include <stddef.h>

/* One config, as the checks see it: the parsed file and how findings name it. */
struct checked_config {
	const struct pve_config *config;
	struct source_ref source;
	/* on a host: the rules that hang on how a slot without a function ("00:02") expands
	 * are judged by check_expanded_lines, not by check_config */
	bool slots_expanded;
};

/* Config-only checks of one VM (config-syntax, hostpci-syntax, hostpci-duplicate,
 * pcie-needs-q35, xvga-ovmf, legacy-igd, romfile-path).  rules may be NULL: the checks then use
 * their built-in parameters. */
void check_config(const struct checked_config *c, const struct rules *rules, struct findings *out);

/* The first of Proxmox's legacy-igd rules (parse_hostpci_devices, in its order) that
 * hostpci<index> breaks, or NULL; *ret_fix says how to mend it.  multifunction: the line names
 * several devices. */
const char *legacy_igd_broken_rule(const struct pve_vm *vm, int index, bool earlier_igd,
				   bool multifunction, const char **ret_fix);

/* Start-time rules that hang on how a slot without a function ("00:02") expands on this
 * host: mdev= and legacy-igd=1 refuse several functions. */
struct vm_devices;
void check_expanded_lines(const struct checked_config *c, const struct vm_devices *devices,
			  struct findings *out);

/* hostpci-duplicate for one mapping on several hostpciN lines, judged for node (the live
 * node on a host, the node whose directory holds the config offline; NULL: not known) from
 * mappings (NULL: there is no pci.cfg) and, with host, from which of its devices are free. */
void check_mapping_lines(const struct checked_config *c, const struct pve_mappings *mappings,
			 const char *node, const struct host *host, struct findings *out);

/* device-shared: the same host device in two of the given VMs. */
void check_device_shared(const struct checked_config *configs, size_t count, struct findings *out);

/* device-shared one VM at a time, for a lint that keeps no config once it is checked: what
 * the VMs judged so far claim, card by card (which VM, line and id a finding would name). */
struct shared_claims;
struct shared_claims *shared_claims_new(void);
void shared_claims_free(struct shared_claims *seen);
/* device-shared findings of c, which go on c's lines and name VMs judged before it; then c's
 * claims join seen.  Over configs in order, the same findings as check_device_shared. */
void check_device_shared_next(struct shared_claims *seen, const struct checked_config *c,
			      struct findings *out);

/* Device rules (rules->devices) for the devices a VM passes through a resource mapping. */
void check_device_rules(const struct checked_config *c, const struct rules *rules,
			const struct pve_mappings *mappings, struct findings *out);

/* After rules_apply(): a device rule's `overrides` set the severity of the other findings
 * on the hostpci line of a matching device (findings turned off are removed). */
void apply_device_overrides(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *list);

/* Run every offline check over the given configs, with the parameters and device rules of
 * rules (NULL: the built-in parameters, no device rules) and the resource mappings (NULL:
 * none); severities are the checks' own until rules_apply(). */
void validate_offline_rules(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *out);
/* The same without rules. */
void validate_offline(const struct checked_config *configs, size_t count, struct findings *out);

/* The resolved path of a romfile= under the ROM directory when romfile-path accepts it
 * (malloc'd), else NULL. */
char *romfile_host_path(const struct rules *rules, const char *romfile);
/* The rules' ROM directories (romfile-path: rom_roots), or Proxmox's own (/usr/share/kvm). */
void romfile_roots(const struct rules *rules, const char *const **ret, size_t *ret_count);

/* --- host checks ------------------------------------------------------------------------ */

/* The host as the host checks see it. */
struct host_view {
	const struct host *host;
	const struct pve_mappings *mappings; /* NULL: no pci.cfg */
	const struct pve_storages *storages;
	size_t source_index; /* ordering of host-wide findings (before the configs) */
};

/* Files a VM names on the host (option ROMs, the hookscript), read before the checks run. */
struct vm_files {
	char *rom_path[PVE_MAX_HOSTPCI]; /* NULL: no romfile, or romfile-path refused it */
	struct host_rom rom[PVE_MAX_HOSTPCI];
	char *hook_path; /* the hookscript on this host; NULL when unresolved, and then */
	struct pcipt_error hook_unresolved; /* says why (code 0: it was not looked up) */
	int hook_error;                     /* stat() of hook_path: 0 or -errno */
	unsigned hook_mode;
	bool hook_regular;
};

void vm_files_gather(const struct pve_vm *vm, const struct host_view *view,
		     const struct rules *rules, struct vm_files *ret);
void vm_files_free(struct vm_files *f);

/* Host readiness: iommu-disabled, interrupt-remapping, unsafe-interrupts, vfio-modules,
 * acs-override. */
void check_host_readiness(const struct host_view *view, struct findings *out);

/* Every host check of one VM: device-missing, device-ids, group-isolation, host-critical,
 * sriov-pf, boot-vga, romfile-*, rom-uefi, reset-method, bus-reset-scope, d3cold, rmrr,
 * in-use, hookscript-missing and the device rules with what the host has.  devices: the VM's
 * devices on this host (vm_devices_resolve), the ones pcipt-hook binds. */
struct vm_devices;
void check_vm_on_host(const struct checked_config *c, const struct vm_devices *devices,
		      const struct host_view *view, const struct vm_files *files,
		      const struct rules *rules, struct findings *out);

/* Device rules for the devices the VM passes on this host (ids and class from sysfs, host
 * requirements against modules and modprobe.d). */
struct vm_devices;
void check_device_rules_on_host(const struct checked_config *c, const struct host_view *view,
				const struct vm_devices *devices, const struct rules *rules,
				struct findings *out);

/* device-identity: each live pin of the VM (validator/pins.h: its hostpciN line unchanged since
 * the start that wrote it) against the device at its address on host now.  Another identity
 * there is an error naming both; no device there is device-missing's to report. */
struct pins;
void check_device_identity(const struct checked_config *c, const struct pins *pins,
			   const struct host *host, struct findings *out);

/* --- cluster checks --------------------------------------------------------------------- */

/* migration: what moving VM c from node `from` to node `to` allows, as QemuMigrate::prepare
 * judges it (raw addresses: offline with --force only, never live; mapped devices: an entry
 * for `to`, live also live-migration-capable).  running: 1 the VM runs, 0 it does not, -1 not
 * known (judged as stopped).  mappings may be NULL (no pci.cfg). */
void check_migration(const struct checked_config *c, const char *from, const char *to, int running,
		     const struct pve_mappings *mappings, struct findings *out);

/* ha-raw-address: each raw hostpciN line of an HA-managed VM (res). */
struct pve_ha_resource;
void check_ha_raw_address(const struct checked_config *c, const struct pve_ha_resource *res,
			  struct findings *out);

/* ha-target: HA may put the VM of c (res; now on node home) on node, which the rules allow
 * as why_there says, and there reason (an error of the VM's checks against node, with more
 * errors besides) stops its start. */
void report_ha_target(const struct checked_config *c, const struct pve_ha_resource *res,
		      const char *home, const char *node, const char *why_there,
		      const struct finding *reason, size_t more, struct findings *out);

/* mapping-entry: every map line of mappings for node that PVE::Mapping::PCI::assert_valid
 * refuses against host (node's model); findings on src (pci.cfg) at the map line. */
void check_mapping_entries(const struct pve_mappings *mappings, const struct source_ref *src,
			   const char *node, const struct host *host, struct findings *out);

/* After rules_apply() in host mode: `overrides` for the findings about a matching device. */
void apply_device_overrides_on_host(const struct host *host, const struct rules *rules,
				    struct findings *list);

#endif
