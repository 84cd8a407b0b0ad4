/* What both programs load before anything else: pcipt.conf (--conf FILE, else
 * ROOT/etc/pcipt/pcipt.conf when present, else the defaults) and the rules (the built-in
 * rules with --rules FILE, pcipt.conf's `rules`, or ROOT/etc/pcipt/rules.yaml on top). */
#ifndef PCIPT_VALIDATOR_SETUP_H
#define PCIPT_VALIDATOR_SETUP_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "../lib/settings.h"
#include "../rules/rules.h"

#include <stddef.h>

/* Returns 0, or -errno with err's message the line to print ("FILE:LINE: error: ...").
 * *ret_display names the rules file ("built-in rules" when there is none). */
int setup_load(const struct rootfs *root, const char *conf, const char *rules_file,
	       struct settings *settings, struct rules *rules, char **ret_display,
	       struct pcipt_error *err);

/* pcipt.conf alone, as setup_load() finds it: 0, or -errno with err filled. */
int setup_load_settings(const struct rootfs *root, const char *conf, struct settings *ret,
			struct pcipt_error *err);

#endif
