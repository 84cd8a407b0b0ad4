/* Files a VM may name on the host, beyond the fixed facts: option ROMs under the ROM
 * directories of the rules and hookscripts in the storages' snippets directories.  A host read
 * from the machine reads the one file a VM names; a snapshot holds every file of those
 * directories, read here. */
#ifndef PCIPT_HOST_FILES_H
#define PCIPT_HOST_FILES_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "optionrom.h"

#include <stdbool.h>
#include <stddef.h>

/* An option ROM file as the ROM checks see it. */
struct host_rom {
	int read_error;   /* 0, or -errno: -ENOENT missing, -EFBIG too big... */
	const char *kind; /* read_error -EINVAL or -EISDIR: what the path is instead of a regular
			   * file ("a named pipe", "a socket", "a device", "a directory"), static */
	size_t size;      /* bytes read (0: an empty file, which QEMU refuses) */
	bool parsed;
	struct optionrom rom;
	struct pcipt_error parse_error;
};

#define HOST_ROM_MAX_SIZE (16u * 1024 * 1024) /* the largest PCI expansion ROM BAR */

/* A file a VM may name on the host: an option ROM under a ROM directory of the rules, or a
 * hookscript in a storage's snippets directory. */
struct host_file {
	char *path;    /* host path: "/usr/share/kvm/vbios.rom" */
	int error;     /* 0, or -errno of its stat */
	unsigned mode; /* permission bits (st_mode & 07777) */
	bool regular;
	bool is_rom; /* under a ROM directory: rom holds it read and parsed */
	struct host_rom rom;
	char digest[65]; /* SHA-256 of a ROM's bytes, hex; "" when not read */
};

/* The files of a snapshot.  A host read from the machine answers for a file when it is asked
 * (it reads that one file); a host read from a snapshot answers from what the snapshot holds:
 * every file under the directories it lists, so any other name there does not exist. */
struct host_files {
	struct host_file *items; /* sorted by path */
	size_t count;
	char **dirs; /* the directories listed, host paths, sorted */
	size_t dir_count;
};

#define HOST_FILES_MAX 4096 /* files under the ROM and snippet directories of a snapshot */

/* Read and parse the ROM at a host path (under the root). */
void host_rom_load(const struct rootfs *root, const char *path, struct host_rom *ret);

/* For a snapshot: read every file (to HOST_FILES_MAX, HOST_FILES_MAX_DEPTH directories deep)
 * under rom_dirs (read and parsed as ROMs, with their digest) and snippet_dirs (mode only) into
 * *ret.  Directories that do not exist are listed as empty. */
#define HOST_FILES_MAX_DEPTH 4
int host_files_collect(const struct rootfs *root, const char *const *rom_dirs, size_t rom_dir_count,
		       const char *const *snippet_dirs, size_t snippet_dir_count,
		       struct host_files *ret, struct pcipt_error *err);
void host_files_free(struct host_files *files);

/* The file at path in files (sorted), or NULL. */
const struct host_file *host_files_find(const struct host_files *files, const char *path);

/* Whether path lies in one of the listed directories (at any depth). */
bool host_files_listed(const struct host_files *files, const char *path);

#endif
