/* Bounded, validated loading of small text files (VM configs, pci.cfg, storage.cfg, rules,
 * pcipt.conf), read through a rootfs.
 *
 * Everything pcipt parses comes from files an admin (or an attacker with write access to
 * /etc/pve) controls, so the loader enforces limits before any parser sees a byte: a size
 * limit, a line-length limit, no NUL bytes, valid UTF-8.  A limit hit is an error with the
 * line and column, never a silent truncation. */
#ifndef PCIPT_TEXTFILE_H
#define PCIPT_TEXTFILE_H

#include "error.h"
#include "rootfs.h"

#include <stdbool.h>
#include <stddef.h>

#define TEXT_MAX_FILE_SIZE (1024 * 1024) /* 1 MiB: the largest file pmxcfs would hold too */
#define TEXT_MAX_LINE_LENGTH (64 * 1024)

struct text_line {
	char *text; /* NUL-terminated, without the line end */
	size_t length;
	unsigned number; /* 1-based */
	bool crlf;       /* ended in "\r\n" */
};

struct text_file {
	char *data;
	size_t size;
	struct text_line *lines;
	size_t line_count;
	unsigned first_crlf_line; /* 0 when there is none */
};

/* Read path through fs (no more than TEXT_MAX_FILE_SIZE bytes; must be a regular file) and
 * split it.  Returns 0, or a negative errno with err filled in; *ret is untouched on failure. */
int text_file_load(const struct rootfs *fs, const char *path, struct text_file *ret,
		   struct pcipt_error *err);

/* Only the bounded read (rootfs_read: regular file, size limit), with err saying why it
 * failed: *ret_data is NUL-terminated at *ret_size and unchecked otherwise. */
int text_file_read(const struct rootfs *fs, const char *path, char **ret_data, size_t *ret_size,
		   struct pcipt_error *err);

/* The same checks on a buffer (copied). */
int text_file_from_buffer(const char *buf, size_t size, struct text_file *ret,
			  struct pcipt_error *err);

void text_file_free(struct text_file *file);

#endif
