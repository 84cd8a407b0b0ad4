/* Findings: what a check concluded about one place in one file.
 *
 * A finding carries a check (enum check_id), a severity, the file and line it is about, and two
 * human texts: the message (what is wrong and what Proxmox will do about it) and the hint
 * (how to fix it).  Checks append findings; only the programs' main() print them. */
#ifndef PCIPT_FINDINGS_H
#define PCIPT_FINDINGS_H

#include "check_ids.h"

#include <stddef.h>

enum severity {
	SEVERITY_OFF = 0, /* a rules file silenced the check */
	SEVERITY_INFO,
	SEVERITY_WARNING,
	SEVERITY_ERROR,
};

const char *severity_name(enum severity s);

/* Where findings come from: one input file, numbered in the order the admin gave them. */
struct source_ref {
	const char *file; /* path as the admin knows it (host path, not the --root one) */
	size_t index;     /* position among the inputs; output is ordered by it */
	long vmid;        /* -1 when not known */
};

struct finding {
	enum check_id check; /* CHECK_DEVICE_RULE: a device rule's finding, see rule */
	size_t rule;         /* CHECK_DEVICE_RULE: the rule's index among the loaded rules'
			     * devices (an index, not a pointer: findings may outlive the rules);
			     * the id it prints with comes from those rules */
	enum severity severity;
	char *file;
	size_t source; /* source_ref.index */
	unsigned line; /* 1-based; 0 when the finding is about the whole file */
	long vmid;     /* -1 when not known */
	char *device;  /* e.g. "0000:01:00.0"; NULL when not about one device */
	char *node;    /* the cluster node the file was judged against when that is not the
			* node it belongs to (--target NODE); NULL otherwise */
	char *message;
	char *hint;   /* NULL when there is nothing to add */
	size_t order; /* insertion order, keeps sorting stable */
};

struct findings {
	struct finding *items;
	size_t count;
	size_t capacity;
};

void findings_init(struct findings *list);
void findings_free(struct findings *list);

/* Append a finding of a catalogue check; message and hint are set with
 * finding_message()/finding_hint(). */
struct finding *findings_add(struct findings *list, enum check_id check, enum severity severity,
			     const struct source_ref *src, unsigned line);
/* The same for a device rule: rule is its index among the loaded rules' devices. */
struct finding *findings_add_device_rule(struct findings *list, size_t rule, enum severity severity,
					 const struct source_ref *src, unsigned line);
void finding_message(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_hint(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_device(struct finding *f, const char *device);
void finding_node(struct finding *f, const char *node);

/* Move every finding of src to the end of dst (after dst's in insertion order); src is left
 * empty. */
void findings_move(struct findings *dst, struct findings *src);

/* Sort by source index, then line, then insertion order. */
void findings_sort(struct findings *list);

size_t findings_count(const struct findings *list, enum severity severity);

/* Drop the findings whose severity is SEVERITY_OFF. */
void findings_remove_off(struct findings *list);

#endif
