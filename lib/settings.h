/* pcipt.conf: pcipt's own settings (libconfuse), read through a pre-pass that makes the file
 * safe and its errors exact.
 *
 * libconfuse 3.3 counts lines wrongly after comments, accepts a section left open at the end
 * of the file, expands ${VAR} from the environment, and has include() for pulling in other
 * files.  The pre-pass validates the text (size, UTF-8, NUL), blanks out comments while
 * keeping every newline (so libconfuse's line numbers are the file's), and refuses braces,
 * ${...} and include before libconfuse sees a byte. */
#ifndef PCIPT_SETTINGS_H
#define PCIPT_SETTINGS_H

#include "error.h"
#include "rootfs.h"

#include <stdbool.h>
#include <stddef.h>

enum settings_log { SETTINGS_LOG_SYSLOG, SETTINGS_LOG_STDERR };
enum settings_color { SETTINGS_COLOR_AUTO, SETTINGS_COLOR_ALWAYS, SETTINGS_COLOR_NEVER };

struct settings {
	char *rules;                /* rules file; NULL: the default lookup */
	unsigned bind_timeout;      /* seconds one sysfs write may take, 1..600 */
	unsigned prestart_deadline; /* seconds the whole pre-start may take, 10..3600 */
	unsigned
		snapshot_max_age; /* seconds a node's published snapshot stays current, 60..31536000 */
	bool restore_on_stop;
	bool bind_group_peers;
	enum settings_log log;
	enum settings_color color;
	/* settings an older pcipt read and this one ignores: the ledger and the lock are at fixed
	 * places, so that post-stop finds them whatever the file says by then */
	bool sets_state_dir, sets_lock_file;
};

/* A day: the package publishes every hour, so a snapshot a day old means a node that stopped
 * publishing (down, out of quorum, pcipt removed). */
#define SETTINGS_SNAPSHOT_MAX_AGE 86400

/* The defaults, as if pcipt.conf were absent. */
void settings_defaults(struct settings *ret);

/* Parse text (a whole pcipt.conf).  Returns 0, or a negative errno with err filled; *ret is
 * untouched on failure. */
int settings_parse(const char *text, size_t size, struct settings *ret, struct pcipt_error *err);
int settings_load(const struct rootfs *fs, const char *path, struct settings *ret,
		  struct pcipt_error *err);

void settings_free(struct settings *s);

#endif
