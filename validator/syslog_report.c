#include "syslog_report.h"

#include "checks.h"

#include "../lib/xalloc.h"
#include "../pve/vmconfig.h"
#include "../rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

int syslog_priority(enum severity severity)
{
	switch (severity) {
	case SEVERITY_ERROR:
		return LOG_ERR;
	case SEVERITY_WARNING:
		return LOG_WARNING;
	default:
		return LOG_INFO;
	}
}

char *syslog_finding_text(const struct finding *f, const char *id, const char *key)
{
	const char *message = f->message ? f->message : "";
	size_t key_length = key ? strlen(key) : 0;
	/* "hostpci0: 0000:01:00.0 shares ..." on the hostpci0 line: the key is said once */
	if (key && strncmp(message, key, key_length) == 0 && message[key_length] == ':' &&
	    message[key_length + 1] == ' ')
		message += key_length + 2;
	char *where;
	if (f->vmid >= 0)
		where = key ? xasprintf("VM %ld %s", f->vmid, key) : xasprintf("VM %ld", f->vmid);
	else if (f->line)
		where = xasprintf("%s:%u", f->file, f->line);
	else
		where = xstrdup(f->file);
	char *text = f->node ? xasprintf("%s: [%s] node %s: %s", where, id, f->node, message)
			     : xasprintf("%s: [%s] %s", where, id, message);
	free(where);
	return text;
}

void syslog_report_begin(struct syslog_report *r, const struct report_options *opt,
			 syslog_sink *sink, void *ctx)
{
	*r = (struct syslog_report){.sink = sink, .ctx = ctx, .opt = *opt};
}

/* The key of f's line in the config it was checked from; NULL for a finding of another file
 * (the host's, a VM's identity pins) or of no line. */
static const char *line_key(const struct lint_prepared *p, const struct finding *f)
{
	for (size_t i = 0; p && i < p->count; i++) {
		if (p->checked[i].source.index == f->source)
			return pve_config_line_key(p->checked[i].config, f->line);
	}
	return NULL;
}

void syslog_report_findings(struct syslog_report *r, const struct findings *list,
			    const struct lint_prepared *prepared)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct finding *f = &list->items[i];
		if (f->severity == SEVERITY_OFF ||
		    (r->opt.errors_only && f->severity != SEVERITY_ERROR))
			continue;
		r->errors += f->severity == SEVERITY_ERROR;
		r->warnings += f->severity == SEVERITY_WARNING;
		r->infos += f->severity == SEVERITY_INFO;
		char *text = syslog_finding_text(f, rules_finding_id(r->opt.rules, f),
						 line_key(prepared, f));
		r->sink(syslog_priority(f->severity), text, r->ctx);
		free(text);
	}
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

void syslog_report_end(struct syslog_report *r, const char *command)
{
	char *text;
	if (!r->errors && !r->warnings && !r->infos)
		text = xasprintf("%s: no findings", command);
	else
		text = xasprintf("%s: %zu error%s, %zu warning%s, %zu info%s; without --syslog it "
				 "prints each with its hint",
				 command, r->errors, plural(r->errors), r->warnings,
				 plural(r->warnings), r->infos, plural(r->infos));
	r->sink(LOG_NOTICE, text, r->ctx);
	free(text);
}
