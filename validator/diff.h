/* --diff and --boot-diff: the changes between two readings of one node (host/drift.h) judged
 * against the node's VMs.  Each VM is judged by the host checks against both readings; a
 * change breaks a VM when the VM has an error under the new reading it did not have under the
 * old one, and the change reaches a device the VM passes (host_drift_touches) or concerns the
 * whole host.  Findings of the check drift: an error on the VM's config for each VM a change
 * breaks, naming the node, the change, and the error it causes; info on the new snapshot for a
 * change that breaks none. */
#ifndef PCIPT_VALIDATOR_DIFF_H
#define PCIPT_VALIDATOR_DIFF_H

#include "lint.h"

#include "../host/host.h"
#include "../lib/error.h"
#include "../lib/findings.h"
#include "../lib/rootfs.h"
#include "../rules/rules.h"

#include <stddef.h>

/* The two readings: hosts read from snapshots (or the machine), how findings name them, and
 * the node they are of (NULL: they name none).  The hosts' run state is set aside while the
 * VMs are judged and put back after. */
struct diff_sides {
	struct host *old, *new;
	const char *old_file, *new_file;
	const char *node;
};

/* The drift findings of s for the VMs of inputs (read under root, as lint_prepare reads them),
 * severities set by rules (a change that breaks no VM stays info), sorted.  Which VMs run and
 * which devices are reserved is left out of both judgements: that is no drift of the host.
 * Inputs that cannot be read are findings too.  Returns 0, or 1 when some input could not be
 * read (the run must exit 2). */
int diff_judge(const struct diff_sides *s, const struct lint_input *inputs, size_t count,
	       const struct rootfs *root, const struct rules *rules, struct findings *out);

/* --boot-diff: text (this boot's snapshot) kept in /var/lib/pcipt/last-boot.json under root
 * for the next boot to compare with: written beside it and renamed over it (a link there is
 * replaced, not followed), mode 0644, the directory made 0755 where missing.  0, or -errno
 * with err saying why. */
int diff_keep_boot_snapshot(const struct rootfs *root, const char *text, size_t size,
			    struct pcipt_error *err);

#endif
