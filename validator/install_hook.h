/* `pcipt-validate --install-hook VMID`: register pcipt-hook as a VM's hookscript the way
 * Proxmox wants it.  Proxmox runs a hookscript only from a storage's snippets directory
 * (`hookscript: STORAGE:snippets/NAME`), so the installed program gets a symbolic link there
 * (upgrades of the package then reach every VM) and `qm set VMID --hookscript VOLUME` records
 * it in the VM config, under pmxcfs' lock as any other config change. */
#ifndef PCIPT_INSTALL_HOOK_H
#define PCIPT_INSTALL_HOOK_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

#define HOOK_SNIPPET_NAME "pcipt-hook"

struct hook_install {
	long vmid;
	char *storage;       /* storage id */
	char *volume;        /* STORAGE:snippets/pcipt-hook */
	char *snippet_path;  /* the volume's host path (without the root) */
	char *snippets_dir;  /* its directory */
	bool link_present;   /* the link is there already */
	bool hookscript_set; /* the VM's config names the volume already */
};

/* Decide what to do, changing nothing: the storage (storage_id, else `local`, else the first
 * enabled storage of this node with snippets, unshared ones first), the link, whether the VM
 * needs `qm set`.  Refuses (-errno, err filled with the reason and the fix) when no storage takes
 * snippets, the storage's directory is missing or (NFS, CIFS, CephFS, GlusterFS) not mounted,
 * the VM has no config on this node or another hookscript, the snippet path holds something
 * else, or hook_path is not an installed executable.  Every path is resolved inside root. */
int hook_install_plan(const struct rootfs *root, long vmid, const char *storage_id,
		      const char *hook_path, struct hook_install *ret, struct pcipt_error *err);

/* Carry the plan out: the snippets directory (its last component only), the link to
 * hook_path, then `QM set VMID --hookscript VOLUME` unless the config has it already or qm is
 * NULL.  When qm fails, the link and a directory this run made are removed again.  0 or -errno
 * with err filled; *ret_did_link / *ret_did_set say what changed. */
int hook_install_apply(const struct rootfs *root, const struct hook_install *plan,
		       const char *hook_path, const char *qm, bool *ret_did_link, bool *ret_did_set,
		       struct pcipt_error *err);

void hook_install_free(struct hook_install *p);

#endif
