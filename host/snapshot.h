/* The host model as data: one JSON document (pcipt-snapshot(5)) holding every fact the host
 * checks read, written by `pcipt-validate --snapshot` and published on pmxcfs, read back by
 * `--host-snapshot FILE` so any node, or a CI job with a copy of /etc/pve, can judge a VM
 * against a host it is not running on.
 *
 * Written and read with json-c.  The reader is the tool's door to input another machine
 * wrote, so it keeps pcipt's limits: the file no larger than pmxcfs holds, a nesting depth,
 * counts and string lengths bounded, every field checked for its type and range, unknown
 * fields of the same schema version ignored, another major version refused. */
#ifndef PCIPT_HOST_SNAPSHOT_H
#define PCIPT_HOST_SNAPSHOT_H

#include "../lib/error.h"

#include "host.h"

#include <stddef.h>

#define HOST_SNAPSHOT_SCHEMA "pcipt-host"
#define HOST_SNAPSHOT_VERSION 1
#define HOST_SNAPSHOT_MAX_SIZE (1024 * 1024) /* pmxcfs refuses a larger file */
#define HOST_SNAPSHOT_MAX_DEPTH 16
#define HOST_SNAPSHOT_MAX_STRING 4096

/* h as one JSON document (malloc'd, NUL-terminated, ending in a newline) in *ret_text.  0, or
 * -EFBIG when it would be larger than HOST_SNAPSHOT_MAX_SIZE (err says how large), or the
 * -EINVAL or -E2BIG of host_snapshot_read() when h holds what the reader refuses (a string
 * longer than HOST_SNAPSHOT_MAX_STRING, a list out of order): the text is read back before it
 * is handed out, so no node is given a snapshot it cannot read.  The same host gives the same
 * bytes.  *ret_text and *ret_size are untouched on failure. */
int host_snapshot_write(const struct host *h, char **ret_text, size_t *ret_size,
			struct pcipt_error *err);

/* Parse a snapshot into *ret: a host with root NULL and origin.snapshot set, whose files
 * answer host_rom_get() and host_file_mode_get().  0, or -EINVAL (not JSON, another schema or
 * major version, a field of the wrong type or out of range: err names it by its JSON path and
 * says what was expected), -EFBIG (larger than HOST_SNAPSHOT_MAX_SIZE), -E2BIG (more entries
 * than the host reader itself accepts); *ret is untouched on failure. */
int host_snapshot_read(const char *text, size_t size, struct host *ret, struct pcipt_error *err);

/* The same from the file at path, read through fs (bounded by HOST_SNAPSHOT_MAX_SIZE): 0, or
 * -errno with err saying why (-ENOENT: there is none). */
int host_snapshot_load(const struct rootfs *fs, const char *path, struct host *ret,
		       struct pcipt_error *err);

#endif
