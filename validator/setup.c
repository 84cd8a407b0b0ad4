#include "setup.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* "FILE:LINE:COLUMN: error: MESSAGE", leaving out what is 0 */
static void place_error(char *error, size_t size, const char *file, unsigned line, unsigned column,
			const char *message)
{
	if (line && column)
		snprintf(error, size, "%s:%u:%u: error: %s", file, line, column, message);
	else if (line)
		snprintf(error, size, "%s:%u: error: %s", file, line, message);
	else
		snprintf(error, size, "%s: error: %s", file, message);
}

/* --conf FILE, else ROOT/etc/pcipt/pcipt.conf when it exists, else the defaults. */
int setup_load_settings(const struct rootfs *root, const char *conf, struct settings *ret,
			char *error, size_t error_size)
{
	const char *display = conf ? conf : PATH_PCIPT_CONF;
	/* a file named on the command line is read as given; the node's own under the root */
	const struct rootfs *fs = conf ? rootfs_host() : root;
	if (!conf && !rootfs_exists(root, PATH_PCIPT_CONF)) {
		settings_defaults(ret);
		return 0;
	}
	struct settings_error err;
	int r = settings_load(fs, display, ret, &err);
	if (r < 0) {
		place_error(error, error_size, display, err.line, 0, err.message);
		return -1;
	}
	return 0;
}

/* The built-in rules, with the rules file on top: --rules FILE, else pcipt.conf's rules (a
 * host path, so under the root), else ROOT/etc/pcipt/rules.yaml when it exists. */
static int load_rules(const struct rootfs *root, const char *rules_file,
		      const struct settings *settings, struct rules *ret, char **ret_display,
		      char *error, size_t error_size)
{
	struct rules builtin;
	struct rules_error err;
	if (rules_load_builtin(&builtin, &err) < 0) {
		place_error(error, error_size, "built-in rules", err.line, err.column, err.message);
		return -1;
	}
	const char *display = rules_file        ? rules_file
			      : settings->rules ? settings->rules
						: PATH_PCIPT_RULES;
	const struct rootfs *fs = rules_file ? rootfs_host() : root;
	if (!rules_file && !settings->rules && !rootfs_exists(root, display)) {
		*ret = builtin;
		*ret_display = xstrdup("built-in rules");
		return 0;
	}
	int r = rules_load(fs, display, &builtin, ret, &err);
	rules_free(&builtin);
	if (r < 0) {
		place_error(error, error_size, display, err.line, err.column, err.message);
		return -1;
	}
	*ret_display = xstrdup(display);
	return 0;
}

int setup_load(const struct rootfs *root, const char *conf, const char *rules_file,
	       struct settings *settings, struct rules *rules, char **ret_display, char *error,
	       size_t error_size)
{
	if (setup_load_settings(root, conf, settings, error, error_size) < 0)
		return -1;
	if (load_rules(root, rules_file, settings, rules, ret_display, error, error_size) < 0) {
		settings_free(settings);
		return -1;
	}
	return 0;
}
