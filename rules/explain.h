/* What each check means, in words: what it looks at, why it matters, how to fix it, and the
 * rules key that turns it down (pcipt-validate --explain, the rules of a SARIF report).
 *
 * The text is rules/explain.scd, compiled into the binary; the same file is the CHECKS
 * section of pcipt-rules(5), so the page and the program cannot say different things.  It is
 * scdoc: what the page shows in bold or underlined is plain text here, read by scdoc's own
 * rules for '*', '_' and '\' (an underscore inside a word is a letter).  The device rules
 * have no text of their own: a device rule is explained by showing it as a rules file would
 * give it. */
#ifndef PCIPT_RULES_EXPLAIN_H
#define PCIPT_RULES_EXPLAIN_H

#include "rules.h"

#include <stddef.h>

struct rules_explain {
	char *title;       /* "xvga-ovmf (warning)": the id and its default severity */
	char **paragraphs; /* plain text, each on one line: the one-sentence summary first, then
			    * "Looks at: ...", "Why: ...", "Fix: ...", "Rules: ..." */
	size_t count;
};

/* The text of a catalogue check: 0, or -ENOENT when rules/explain.scd has no entry for it
 * (the unit tests keep one for every check). */
int rules_explain_check(enum check_id check, struct rules_explain *ret);
void rules_explain_free(struct rules_explain *e);

/* The paragraphs, each after indent spaces and wrapped at width columns (0: one line each),
 * separated by empty lines; malloc'd, ending in a newline. */
char *rules_explain_format(const struct rules_explain *e, unsigned indent, unsigned width);

/* One paragraph of scdoc inline markup (lines joined by a space) as plain text, as scdoc and
 * man render it; malloc'd. */
char *rules_explain_plain(const char *scd);

/* A device rule as an entry of a rules file's `devices:` list ("- id: ..."), YAML that loads
 * back into the same rule; malloc'd, every line ending in a newline. */
char *rules_device_yaml(const struct rules_device *d);

/* The ids nearest to id among the catalogue checks and the device rules of rules (NULL:
 * none), by edit distance (a transposition counts one) and containment, best first, the
 * catalogue's order between equals; ids too far to be a slip of the keyboard are left out.
 * Up to max pointers into the catalogue and rules in ret; returns how many. */
size_t rules_closest_ids(const struct rules *rules, const char *id, const char **ret, size_t max);

/* rules/explain.scd's bytes (build/rules_explain.c, made by rules/embed.sh) */
extern const char rules_explain_scd[];
extern const size_t rules_explain_scd_size;

#endif
