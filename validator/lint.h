/* The offline lint as one step: load the configs and the resource mappings, run every
 * offline check, and let the rules set the severities.  Inputs pcipt cannot read become
 * findings too, so one bad file never hides the others. */
#ifndef PCIPT_VALIDATOR_LINT_H
#define PCIPT_VALIDATOR_LINT_H

#include "../lib/findings.h"
#include "../rules/rules.h"

#include <stdbool.h>
#include <stddef.h>

struct lint_input {
	char *path;    /* where to read it (under the root) */
	char *display; /* how findings name it */
};

/* Appends sorted findings to out.  Returns true when some input could not be read (the run
 * must then exit 2). */
bool lint_offline(const struct lint_input *inputs, size_t count, const char *root,
		  const struct rules *rules, struct findings *out);

#endif
