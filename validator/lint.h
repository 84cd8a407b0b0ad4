/* The lints: offline (config by config, streamed), against a host (one preparation step,
 * lint_prepare, that pcipt-validate and pcipt-hook share), and --groups.  Every file is read
 * through a rootfs.  Inputs pcipt cannot read become findings too, so one bad file never
 * hides the others. */
#ifndef PCIPT_VALIDATOR_LINT_H
#define PCIPT_VALIDATOR_LINT_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "../lib/findings.h"
#include "../pve/mapping.h"
#include "../pve/storage.h"
#include "../rules/rules.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct lint_input {
	const struct rootfs *fs; /* what path is read through: the run's root for a node's
				  * configs, rootfs_host() for files named on the command line */
	char *path;              /* a path of fs */
	char *display;           /* how findings name it */
};

/* Free count inputs (their path and display) and the array. */
void lint_inputs_free(struct lint_input *inputs, size_t count);

/* Where the offline lint hands its findings: each input's as soon as it is checked (sorted,
 * severities final; the list is freed when done returns), in input order, then the resource
 * mappings'.  So the output is the same as one sorted list. */
typedef void lint_findings_done(const struct findings *list, void *ctx);

/* The offline lint, one config at a time: lint_offline_begin (reads the resource mappings;
 * input_count: how many inputs will follow), lint_offline_config for each input in order,
 * lint_offline_end.  No config is kept once its findings are handed to done, and the inputs
 * may be made as they are needed: memory stays flat however many configs there are.
 * lint_offline_end returns true when some input could not be read (the run must then exit
 * 2). */
struct offline_lint;
struct offline_lint *lint_offline_begin(const struct rootfs *root, const struct rules *rules,
					size_t input_count, lint_findings_done *done, void *ctx);
void lint_offline_config(struct offline_lint *lint, const struct lint_input *input);
bool lint_offline_end(struct offline_lint *lint);

/* Read the machine under root for the host checks (`now` decides which Proxmox reservations
 * are live), with what the rules need beyond the fixed facts: the live parameters of the
 * modules they name, and of vfio_pci and vfio_iommu_type1.  0, or -errno (err says why). */
struct host;
int lint_read_host(const struct rootfs *root, const struct rules *rules, long long now,
		   struct host *ret, struct pcipt_error *err);

/* --node NODE: the host NODE published (/etc/pve/nodes/NODE/pcipt-host.json, read under root).
 * Returns 0 with *ret read (a node-snapshot finding in out when it is older than max_age
 * seconds at now), or 1 when there is nothing to judge against: none was published, or it
 * cannot be read (then *unreadable is set: the run exits 2).  The finding says which, with
 * severity: an error where the verdict needs the node, a warning in a survey of the cluster. */
int lint_read_node_snapshot(const struct rootfs *root, const char *node, long long now,
			    unsigned max_age, enum severity severity, struct host *ret,
			    struct findings *out, bool *unreadable);

/* The snapshot of the machine under root (pcipt-snapshot(5)) in *ret_text: the host as
 * lint_read_host reads it at now, with every file under the rules' ROM directories and under
 * the snippets directory of each storage of ROOT/etc/pve/storage.cfg that holds files, so a
 * VM's romfile and hookscript can be judged from it.  0, or -errno (err says why). */
int lint_snapshot_text(const struct rootfs *root, const struct rules *rules, long long now,
		       char **ret_text, size_t *ret_size, struct pcipt_error *err);

/* The same checks plus every host check, against a host read from the machine or from a
 * snapshot.  host_only: no configs, host readiness alone (--host).  Returns 0, or 1 when some
 * input could not be read. */
int lint_loaded_host(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		     const struct host *host, const struct rules *rules, bool host_only,
		     struct findings *out);

/* What the host checks and pcipt-hook's bind plan work from, read and resolved once: the
 * configs, pci.cfg and storage.cfg, and each VM's devices on the host as qemu-server would
 * take them at start.  lint_check_prepared() and the plan use this one value, so the devices
 * the checks judge are the devices that get bound. */
struct checked_config;
struct pve_config;
struct vm_devices;
struct pins;
struct lint_prepared {
	const struct host *host;
	struct pve_config *configs;     /* the inputs that could be read, in input order */
	struct checked_config *checked; /* [i]: configs[i], and how findings name it */
	struct vm_devices *devices;     /* [i]: the devices configs[i] names on host */
	size_t count;
	struct pve_mappings mappings; /* when have_mappings; else there is no pci.cfg to use */
	bool have_mappings;
	struct pve_storages storages; /* when have_storages */
	bool have_storages;
	bool unreadable; /* some input could not be read: the run must exit 2 */
	/* [i]: configs[i]'s identity pins, when lint_prepare_identity read them; NULL: the
	 * run does not judge device-identity */
	struct pins *pins;
	size_t next_source; /* the first source index lint_prepare left unused */
};

/* Read the inputs and pci.cfg and storage.cfg under root (the node's /etc/pve, which a host
 * read from a snapshot does not have), and resolve each VM's devices
 * on host.  Inputs that cannot be read and lines Proxmox skips become findings in out.
 * host_only: host readiness alone (--host), neither pci.cfg nor storage.cfg is read. */
void lint_prepare(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		  const struct host *host, bool host_only, struct lint_prepared *ret,
		  struct findings *out);
/* device-identity for the prepared VMs: each one's identity pins of this node read under root
 * (/var/lib/pcipt/identity/VMID, validator/pins.h), for lint_check_prepared to compare with
 * the host.  Only for a host that is this machine, and VMs that are this node's: the pins
 * are the node's own.  A pin file that cannot be read or is not pcipt's is a device-identity
 * error in out, with its file and line (the cards cannot be compared then). */
void lint_prepare_identity(struct lint_prepared *p, const struct rootfs *root,
			   struct findings *out);
/* Every host check over prepared inputs, severities set by rules, findings sorted.  Returns 0,
 * or 1 when some input could not be read. */
int lint_check_prepared(const struct lint_prepared *p, const struct rules *rules,
			struct findings *out);
void lint_prepared_free(struct lint_prepared *p);

/* --all --onboot: drop from list the findings of the prepared VMs Proxmox does not start at
 * boot (onboot unset, 0, or a value Proxmox drops).  The host's findings (no VM) stay: they
 * stop every VM; so do those of a config that could not be read: whether it starts at boot is
 * not known. */
void lint_keep_onboot(const struct lint_prepared *p, struct findings *list);

/* --groups: print the host's IOMMU groups (text or JSON) with the VMs among inputs that
 * claim each device (a mapping's alternative as chosen when the host was read). */
void lint_groups(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		 const struct host *host, bool json, FILE *out);

#endif
