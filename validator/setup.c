#include "setup.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "FILE:LINE:COLUMN: error: " in front of err's message, leaving out what is 0; returns its
 * code (never 0: this is a failure whatever the code says). */
static int place_error(struct pcipt_error *err, const char *file)
{
	if (err->line && err->column)
		error_prefix(err, "%s:%u:%u: error: ", file, err->line, err->column);
	else if (err->line)
		error_prefix(err, "%s:%u: error: ", file, err->line);
	else
		error_prefix(err, "%s: error: ", file);
	if (err->code >= 0)
		err->code = -EINVAL;
	return err->code;
}

/* --conf FILE, else ROOT/etc/pcipt/pcipt.conf when it exists, else the defaults. */
int setup_load_settings(const struct rootfs *root, const char *conf, struct settings *ret,
			struct pcipt_error *err)
{
	const char *display = conf ? conf : PATH_PCIPT_CONF;
	/* a file named on the command line is read as given; the node's own under the root */
	const struct rootfs *fs = conf ? rootfs_host() : root;
	if (!conf && !rootfs_exists(root, PATH_PCIPT_CONF)) {
		settings_defaults(ret);
		return 0;
	}
	int r = settings_load(fs, display, ret, err);
	if (r < 0) {
		err->column = 0; /* pcipt.conf's errors name the line only */
		return place_error(err, display);
	}
	return 0;
}

/* The built-in rules, with the rules file on top: --rules FILE, else pcipt.conf's rules (a
 * host path, so under the root), else ROOT/etc/pcipt/rules.yaml when it exists. */
static int load_rules(const struct rootfs *root, const char *rules_file,
		      const struct settings *settings, struct rules *ret, char **ret_display,
		      struct pcipt_error *err)
{
	struct rules builtin;
	if (rules_load_builtin(&builtin, err) < 0)
		return place_error(err, "built-in rules");
	const char *display = rules_file        ? rules_file
			      : settings->rules ? settings->rules
						: PATH_PCIPT_RULES;
	const struct rootfs *fs = rules_file ? rootfs_host() : root;
	if (!rules_file && !settings->rules && !rootfs_exists(root, display)) {
		*ret = builtin;
		*ret_display = xstrdup("built-in rules");
		return 0;
	}
	int r = rules_load(fs, display, &builtin, ret, err);
	rules_free(&builtin);
	if (r < 0)
		return place_error(err, display);
	*ret_display = xstrdup(display);
	return 0;
}

int setup_load(const struct rootfs *root, const char *conf, const char *rules_file,
	       struct settings *settings, struct rules *rules, char **ret_display,
	       struct pcipt_error *err)
{
	int r = setup_load_settings(root, conf, settings, err);
	if (r < 0)
		return r;
	r = load_rules(root, rules_file, settings, rules, ret_display, err);
	if (r < 0)
		settings_free(settings);
	return r;
}
