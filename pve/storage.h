/* Storage definitions (/etc/pve/storage.cfg, PVE::Storage's SectionConfig), as far as pcipt
 * needs them: where a `hookscript: STORAGE:snippets/NAME` volume lives on this node.
 *
 *   dir: local
 *   	path /var/lib/vz
 *   	content iso,vztmpl,backup,snippets
 */
#ifndef PCIPT_PVE_STORAGE_H
#define PCIPT_PVE_STORAGE_H

#include "../lib/error.h"
#include "../lib/textfile.h"

#include <stdbool.h>
#include <stddef.h>

struct pve_storage {
	char *type; /* dir, nfs, cifs, cephfs, lvmthin, zfspool... */
	char *id;
	char *path;    /* NULL when the type has none */
	bool snippets; /* content includes snippets */
	bool disabled;
	bool network; /* NFS, CIFS, CephFS, GlusterFS: mounted at path by Proxmox */
	bool shared;  /* the same storage on every node (every network storage, or `shared 1`) */
	char *nodes;  /* `nodes` list, comma separated; NULL: every node */
	char *snippets_dir; /* `content-dirs snippets=DIR`, relative to path; NULL: "snippets" */
	unsigned line;
};

struct pve_storages {
	struct pve_storage *items;
	size_t count;
};

void pve_storages_parse(const struct text_file *text, struct pve_storages *ret);
/* What Proxmox assumes without a storage.cfg: `dir: local` at /var/lib/vz. */
void pve_storages_default(struct pve_storages *ret);
/* The storage.cfg at path; without one (-ENOENT), what Proxmox assumes (pve_storages_default),
 * and 0.  One that exists and cannot be read (not a regular file, not UTF-8, too large...) is
 * no "only local": -errno with err filled, *ret untouched. */
int pve_storages_load(const struct rootfs *fs, const char *path, struct pve_storages *ret,
		      struct pcipt_error *err);
const struct pve_storage *pve_storages_find(const struct pve_storages *s, const char *id);
void pve_storages_free(struct pve_storages *s);

/* Whether the storage is configured for this node (no `nodes` list, or node in it). */
bool pve_storage_on_node(const struct pve_storage *s, const char *node);

/* The host directory of the storage's snippets (malloc'd), or NULL when it holds no files or
 * its path is not absolute. */
char *pve_storage_snippets_dir(const struct pve_storage *s);

/* The host path of a snippets volume "STORAGE:snippets/NAME" in *ret_path (malloc'd): 0, or
 * -EINVAL with err saying why Proxmox would refuse it (the words follow the volume: "local:x
 * is not a volume id ..."); also when the storage's path is not absolute, which pve-storage
 * refuses (pve-storage-path, verify_path). */
int pve_snippet_path(const struct pve_storages *s, const char *volume, char **ret_path,
		     struct pcipt_error *err);

#endif
