/* The one way pcipt's libraries report a failure.
 *
 * A function that can fail returns 0 (or a count) on success and a negative errno on failure,
 * and fills the caller's struct pcipt_error with the same code and the words for a human: the
 * message, and the line and column (or byte offset) when the failure is about a place in an
 * input.  Libraries never print; the two programs' main.c put the file name in front and print.
 *
 * Problems that are the subject of pcipt's work (a bad key in a VM config, a group that is not
 * isolated) are not errors: they are findings (lib/findings.h), and the parsers that meet them
 * (pve/propstr.h) hand them over as data with a kind. */
#ifndef PCIPT_ERROR_H
#define PCIPT_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct pcipt_error {
	int code;        /* negative errno; 0 while nothing failed */
	unsigned line;   /* 1-based; 0 when not about a line */
	unsigned column; /* 1-based byte column; 0 when not about a column */
	size_t offset;   /* byte offset in a binary input (an option ROM); 0 otherwise */
	char message[512];
};

/* Fill err (which may be NULL: the caller only wants the code) and return code, so a failure
 * reads `return error_set(err, -EINVAL, "...")`.  The place fields are cleared. */
int error_set(struct pcipt_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The same, about a line and column of a text input. */
int error_set_at(struct pcipt_error *err, int code, unsigned line, unsigned column, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));

/* The va_list form, for a module's own wrapper that fills the place from its input. */
int error_vset_at(struct pcipt_error *err, int code, unsigned line, unsigned column,
		  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Put context in front of a message already set ("pci.cfg: " + "line too long"). */
void error_prefix(struct pcipt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Back to "nothing failed". */
void error_clear(struct pcipt_error *err);

#endif
