/* The offline lint as one step: load the configs and the resource mappings, run every
 * offline check, and let the rules set the severities.  Inputs pcipt cannot read become
 * findings too, so one bad file never hides the others. */
#ifndef PCIPT_VALIDATOR_LINT_H
#define PCIPT_VALIDATOR_LINT_H

#include "../lib/rootfs.h"

#include "../lib/findings.h"
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

/* Appends sorted findings to out.  Returns true when some input could not be read (the run
 * must then exit 2). */
bool lint_offline(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		  const struct rules *rules, struct findings *out);

/* The same checks plus every host check, against the host under root (`now` decides which
 * Proxmox reservations are live).  host_only: no configs, host readiness alone (--host).
 * Returns 0, 1 when some input could not be read, or -1 when the host itself cannot be read
 * (error says why). */
int lint_host(const struct lint_input *inputs, size_t count, const struct rootfs *root,
	      const struct rules *rules, bool host_only, long long now, struct findings *out,
	      char *error, size_t error_size);

/* The same over a host already read (pcipt-hook reads it once, under its lock).  Returns 0,
 * or 1 when some input could not be read. */
struct host;
int lint_loaded_host(const struct lint_input *inputs, size_t count, const struct host *host,
		     const struct rules *rules, bool host_only, struct findings *out);

/* --groups: print the host's IOMMU groups (text or JSON) with the VMs among inputs that
 * claim each device (a mapping's alternative as chosen at `now`).  Returns 0, or -1 when the host cannot be read (error says why). */
int lint_groups(const struct lint_input *inputs, size_t count, const struct rootfs *root, bool json,
		long long now, FILE *out, char *error, size_t error_size);

#endif
