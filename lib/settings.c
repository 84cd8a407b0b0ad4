#include "settings.h"

#include "paths.h"
#include "textfile.h"
#include "xalloc.h"

#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A setting an older pcipt had: still accepted (a file that sets it is no error), never used. */
#define RETIRED_SETTING(name) CFG_STR(name, NULL, CFGF_NODEFAULT)

void settings_defaults(struct settings *ret)
{
	*ret = (struct settings){
		.rules = NULL,
		.bind_timeout = 10,
		.prestart_deadline = 300,
		.snapshot_max_age = SETTINGS_SNAPSHOT_MAX_AGE,
		.restore_on_stop = true,
		.bind_group_peers = true,
		.log = SETTINGS_LOG_SYSLOG,
		.color = SETTINGS_COLOR_AUTO,
	};
}

void settings_free(struct settings *s)
{
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

/* The pre-pass over buf (NUL-terminated, modified in place): comments become blanks with their
 * newlines kept; braces, ${ and include are refused with the line they are on. */
static int prepass(char *buf, struct pcipt_error *err)
{
	unsigned line = 1;
	char quote = 0;
	bool statement_start = true;
	for (char *p = buf; *p; p++) {
		if (*p == '\n') {
			line++;
			statement_start = true;
			if (quote)
				return error_set_at(err, -EINVAL, line - 1, 0,
						    "string is not closed on its line");
			continue;
		}
		if (quote) {
			if (*p == '\\' && p[1] && p[1] != '\n')
				p++;
			else if (*p == quote)
				quote = 0;
			else if (*p == '$' && p[1] == '{' && quote == '"')
				return error_set_at(
					err, -EINVAL, line, 0,
					"${...} is not expanded in pcipt.conf (libconfuse would "
					"read the environment); write the value itself");
			continue;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				*p++ = ' ';
			p--;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			unsigned start = line;
			p[0] = p[1] = ' ';
			p += 2;
			while (*p && !(p[0] == '*' && p[1] == '/')) {
				if (*p == '\n')
					line++;
				else
					*p = ' ';
				p++;
			}
			if (!*p)
				return error_set_at(err, -EINVAL, start, 0,
						    "comment opened here is not closed");
			p[0] = p[1] = ' ';
			p++;
			continue;
		}
		if (*p == '"' || *p == '\'') {
			quote = *p;
			statement_start = false;
			continue;
		}
		if (*p == '{' || *p == '}')
			return error_set_at(err, -EINVAL, line, 0,
					    "pcipt.conf has no sections: '%c' is not allowed", *p);
		if (*p == '$' && p[1] == '{')
			return error_set_at(
				err, -EINVAL, line, 0,
				"${...} is not expanded in pcipt.conf (libconfuse would read the "
				"environment); write the value itself");
		if (statement_start && strncmp(p, "include", 7) == 0 &&
		    (p[7] == '(' || p[7] == ' ' || p[7] == '\t' || p[7] == '\0' || p[7] == '\n'))
			return error_set_at(
				err, -EINVAL, line, 0,
				"include is not supported in pcipt.conf; put every setting in "
				"this file");
		if (*p == ';')
			statement_start = true;
		else if (*p != ' ' && *p != '\t' && *p != '\r')
			statement_start = false;
	}
	if (quote)
		return error_set_at(err, -EINVAL, line, 0, "string is not closed");
	return 0;
}

/* libconfuse reports through a callback; keep the first message and its line. */
struct capture {
	struct pcipt_error *err;
	bool seen;
};

/* cfg_t carries no user pointer in libconfuse 3.3: the capture in effect during one
 * cfg_parse_buf() call (pcipt is single-threaded). */
static struct capture *current_capture;

static void capture_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct capture *c = current_capture;
	if (!c || c->seen)
		return;
	c->seen = true;
	error_vset_at(c->err, -EINVAL, cfg ? (unsigned)cfg->line : 0, 0, fmt, ap);
}

static int pick(const char *value, const char *const *words, unsigned line, const char *key,
		struct pcipt_error *err)
{
	for (int i = 0; words[i]; i++) {
		if (strcmp(words[i], value) == 0)
			return i;
	}
	return error_set_at(err, -EINVAL, line, 0, "%s must be %s or %s%s%s, not '%.60s'", key,
			    words[0], words[1], words[2] ? " or " : "", words[2] ? words[2] : "",
			    value);
}

int settings_parse(const char *text, size_t size, struct settings *ret, struct pcipt_error *err)
{
	error_clear(err);
	struct text_file tf;
	int r = text_file_from_buffer(text, size, &tf, err);
	if (r < 0)
		return r;
	text_file_free(&tf);
	char *buf = xstrndup(text, size);
	r = prepass(buf, err);
	if (r < 0) {
		free(buf);
		return r;
	}

	cfg_opt_t opts[] = {
		CFG_STR("rules", NULL, CFGF_NONE),
		RETIRED_SETTING("state_dir"),
		RETIRED_SETTING("lock_file"),
		CFG_INT("bind_timeout", 10, CFGF_NONE),
		CFG_INT("prestart_deadline", 300, CFGF_NONE),
		CFG_INT("snapshot_max_age", SETTINGS_SNAPSHOT_MAX_AGE, CFGF_NONE),
		CFG_BOOL("restore_on_stop", cfg_true, CFGF_NONE),
		CFG_BOOL("bind_group_peers", cfg_true, CFGF_NONE),
		CFG_STR("log", "syslog", CFGF_NONE),
		CFG_STR("color", "auto", CFGF_NONE),
		CFG_END(),
	};
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	if (!cfg) {
		free(buf);
		return error_set_at(err, -ENOMEM, 0, 0, "cannot initialise libconfuse");
	}
	struct capture capture = {err, false};
	current_capture = &capture;
	cfg_set_error_function(cfg, capture_error);
	int parsed = cfg_parse_buf(cfg, buf);
	current_capture = NULL;
	free(buf);
	if (parsed != CFG_SUCCESS) {
		if (!capture.seen)
			error_set_at(err, -EINVAL, 0, 0, "cannot parse the file");
		cfg_free(cfg);
		return -EINVAL;
	}

	static const char *const log_words[] = {"syslog", "stderr", NULL};
	static const char *const color_words[] = {"auto", "always", "never", NULL};
	struct settings s = {0};
	r = 0;
	long timeout = cfg_getint(cfg, "bind_timeout");
	long deadline = cfg_getint(cfg, "prestart_deadline");
	long max_age = cfg_getint(cfg, "snapshot_max_age");
	int log = pick(cfg_getstr(cfg, "log"), log_words, 0, "log", err);
	int color = log < 0 ? log : pick(cfg_getstr(cfg, "color"), color_words, 0, "color", err);
	const char *rules = cfg_getstr(cfg, "rules");
	if (log < 0 || color < 0) {
		r = -EINVAL;
	} else if (timeout < 1 || timeout > 600) {
		r = error_set_at(err, -EINVAL, 0, 0,
				 "bind_timeout must be 1 to 600 seconds, not %ld", timeout);
	} else if (deadline < 10 || deadline > 3600) {
		r = error_set_at(err, -EINVAL, 0, 0,
				 "prestart_deadline must be 10 to 3600 seconds, not %ld", deadline);
	} else if (max_age < 60 || max_age > 31536000) {
		r = error_set_at(err, -EINVAL, 0, 0,
				 "snapshot_max_age must be 60 to 31536000 seconds, not %ld",
				 max_age);
	} else if (rules && rules[0] != '/') {
		r = error_set_at(err, -EINVAL, 0, 0, "rules must be an absolute path, not '%.60s'",
				 rules);
	}
	if (r == 0) {
		s.rules = rules ? xstrdup(rules) : NULL;
		s.bind_timeout = (unsigned)timeout;
		s.prestart_deadline = (unsigned)deadline;
		s.snapshot_max_age = (unsigned)max_age;
		s.sets_state_dir = cfg_size(cfg, "state_dir") > 0;
		s.sets_lock_file = cfg_size(cfg, "lock_file") > 0;
		s.restore_on_stop = cfg_getbool(cfg, "restore_on_stop");
		s.bind_group_peers = cfg_getbool(cfg, "bind_group_peers");
		s.log = (enum settings_log)log;
		s.color = (enum settings_color)color;
		*ret = s;
	}
	cfg_free(cfg);
	return r;
}

int settings_load(const struct rootfs *fs, const char *path, struct settings *ret,
		  struct pcipt_error *err)
{
	char *data;
	size_t size;
	error_clear(err);
	int r = text_file_read(fs, path, &data, &size, err);
	if (r < 0)
		return r;
	r = settings_parse(data, size, ret, err);
	free(data);
	return r;
}
