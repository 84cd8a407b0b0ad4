#include "report.h"

#include "../lib/xalloc.h"
#include "../rules/explain.h"
#include "../rules/rules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#ifndef PCIPT_VERSION
#define PCIPT_VERSION "unknown"
#endif

static bool shown(const struct finding *f, const struct report_options *opt)
{
	if (f->severity == SEVERITY_OFF)
		return false;
	return !opt->errors_only || f->severity == SEVERITY_ERROR;
}

static const char *severity_color(enum severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "\033[1;31m";
	case SEVERITY_WARNING:
		return "\033[1;33m";
	default:
		return "\033[1;36m";
	}
}

static void print_text(FILE *out, const struct finding *f, const struct report_options *opt)
{
	if (f->line)
		fprintf(out, "%s:%u: ", f->file, f->line);
	else
		fprintf(out, "%s: ", f->file);
	if (opt->color)
		fprintf(out, "%s%s\033[0m", severity_color(f->severity),
			severity_name(f->severity));
	else
		fputs(severity_name(f->severity), out);
	fputs(": ", out);
	if (f->node)
		fprintf(out, "node %s: ", f->node);
	fprintf(out, "%s [%s]\n", f->message ? f->message : "", rules_finding_id(opt->rules, f));
	if (f->hint)
		fprintf(out, "    hint: %s\n", f->hint);
}

/* Strings are UTF-8 already (inputs are validated); escape what JSON requires. */
void json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct finding *f, const struct report_options *opt)
{
	fputs("{\"check\":", out);
	json_string(out, rules_finding_id(opt->rules, f));
	fputs(",\"severity\":", out);
	json_string(out, severity_name(f->severity));
	fputs(",\"file\":", out);
	json_string(out, f->file);
	if (f->line)
		fprintf(out, ",\"line\":%u", f->line);
	else
		fputs(",\"line\":null", out);
	if (f->vmid >= 0)
		fprintf(out, ",\"vmid\":%ld", f->vmid);
	else
		fputs(",\"vmid\":null", out);
	fputs(",\"device\":", out);
	json_string(out, f->device);
	if (f->node) {
		/* only in --target's findings: every other finding belongs to its file's node */
		fputs(",\"node\":", out);
		json_string(out, f->node);
	}
	fputs(",\"message\":", out);
	json_string(out, f->message);
	fputs(",\"hint\":", out);
	json_string(out, f->hint);
	fputc('}', out);
}

/* --- SARIF 2.1.0 ------------------------------------------------------------------------ */

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *sarif_level(enum severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "error";
	case SEVERITY_WARNING:
		return "warning";
	case SEVERITY_INFO:
		return "note";
	default:
		return "none";
	}
}

/* A reportingDescriptor: the level is the one the rules in effect give (a check they turn
 * off is disabled). */
static void sarif_rule(FILE *out, const char *id, const char *summary, const char *full,
		       const char *help, enum severity level)
{
	fputs("{\"id\":", out);
	json_string(out, id);
	fputs(",\"shortDescription\":{\"text\":", out);
	json_string(out, summary);
	fputs("},\"fullDescription\":{\"text\":", out);
	json_string(out, full);
	fputs("},\"help\":{\"text\":", out);
	json_string(out, help);
	fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"%s}}", sarif_level(level),
		level == SEVERITY_OFF ? ",\"enabled\":false" : "");
}

/* Every catalogue check, with its --explain text as help, then the device rules of the rules
 * in effect: known before the first result, so the log is printed as the findings come. */
static void sarif_rules(FILE *out, const struct rules *rules)
{
	for (int i = 0; i < CHECK_COUNT; i++) {
		const char *id = check_id_name((enum check_id)i);
		enum severity level =
			rules ? rules->checks[i].severity : rules_check_catalogue[i].code_severity;
		fputs(i ? ",\n" : "\n", out);
		struct rules_explain e;
		if (rules_explain_check((enum check_id)i, &e) < 0) {
			sarif_rule(out, id, id, id, id, level); /* the unit tests keep a text */
			continue;
		}
		char *body = rules_explain_format(&e, 0, 0);
		char *help = xasprintf("%s\n\n%s", e.title, body);
		/* the summary, then what the check looks at */
		sarif_rule(out, id, e.count ? e.paragraphs[0] : id,
			   e.count > 1 ? e.paragraphs[1] : id, help, level);
		free(help);
		free(body);
		rules_explain_free(&e);
	}
	for (size_t i = 0; rules && i < rules->device_count; i++) {
		const struct rules_device *d = &rules->devices[i];
		char *yaml = rules_device_yaml(d);
		char *help = xasprintf("device rule %s (%s), as a rules file gives it:\n\n%s",
				       d->id, d->builtin ? "built in" : "of the rules file", yaml);
		fputs(",\n", out);
		sarif_rule(out, d->id, d->name, d->hint ? d->hint : d->name, help, d->severity);
		free(help);
		free(yaml);
	}
}

static bool named_on_command_line(const char *file, const struct report_options *opt)
{
	for (size_t i = 0; i < opt->given_count; i++) {
		if (strcmp(opt->given[i], file) == 0)
			return true;
	}
	return false;
}

/* The finding's file as a user in the current directory opens it: a file named on the command
 * line as it was named, a host path under --root DIR as DIR joined with it (so code scanning
 * finds `cluster-backup/etc/pve/qemu-server/100.conf` in the repository), else the path
 * itself.  Written as a URI reference (RFC 3986): what a path may not hold percent-encoded,
 * and a colon in a relative path's first segment too, which would read as a scheme. */
static void sarif_uri(FILE *out, const char *file, const struct report_options *opt)
{
	char *path;
	const char *root = opt->root;
	size_t n = root ? strlen(root) : 0;
	while (n > 0 && root[n - 1] == '/')
		n--; /* "/" (the machine's own root) is none */
	if (n && file[0] == '/' && !named_on_command_line(file, opt)) {
		path = xasprintf("%.*s%s", (int)n, root, file);
	} else {
		path = xstrdup(file);
	}
	const char *p = path;
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		p += strspn(p, "/");
	}
	bool first_segment = p[0] != '/';
	fputc('"', out);
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/')
			first_segment = false;
		if ((c < 0x80 && (isalnum(c) || strchr("-._~!$&'()*+,;=@/", c))) ||
		    (c == ':' && !first_segment))
			fputc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
	fputc('"', out);
	free(path);
}

static void print_sarif(FILE *out, const struct finding *f, const struct report_options *opt)
{
	fputs("{\"ruleId\":", out);
	json_string(out, rules_finding_id(opt->rules, f));
	if (f->check < CHECK_COUNT)
		fprintf(out, ",\"ruleIndex\":%d", (int)f->check);
	else if (f->check == CHECK_DEVICE_RULE && opt->rules && f->rule < opt->rules->device_count)
		fprintf(out, ",\"ruleIndex\":%zu", (size_t)CHECK_COUNT + f->rule);
	fprintf(out, ",\"level\":\"%s\",\"message\":{\"text\":", sarif_level(f->severity));
	/* the text output's words: the node judged against, the message, the hint */
	char *text = xasprintf("%s%s%s%s%s", f->node ? "node " : "", f->node ? f->node : "",
			       f->node ? ": " : "", f->message ? f->message : "",
			       f->hint ? "\nhint: " : "");
	char *full = f->hint ? xasprintf("%s%s", text, f->hint) : NULL;
	json_string(out, full ? full : text);
	free(full);
	free(text);
	fputs("},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
	sarif_uri(out, f->file ? f->file : "", opt);
	fputc('}', out);
	if (f->line)
		fprintf(out, ",\"region\":{\"startLine\":%u}", f->line);
	fputs("}}]}", out);
}

void report_begin(struct report *r, FILE *out, const struct report_options *opt,
		  enum report_format format)
{
	*r = (struct report){.out = out, .opt = *opt, .format = format, .first = true};
	if (format == REPORT_JSON) {
		fputs("{\"findings\":[", out);
	} else if (format == REPORT_SARIF) {
		fputs("{\"version\":\"2.1.0\",\"$schema\":\"" SARIF_SCHEMA
		      "\",\"runs\":[{\"tool\":{"
		      "\"driver\":{\"name\":\"pcipt-validate\",\"version\":",
		      out);
		json_string(out, PCIPT_VERSION);
		fputs(",\"rules\":[", out);
		sarif_rules(out, opt->rules);
		fputs("\n]}},\"results\":[", out);
	}
}

void report_findings(struct report *r, const struct findings *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct finding *f = &list->items[i];
		if (!shown(f, &r->opt))
			continue;
		r->errors += f->severity == SEVERITY_ERROR;
		r->warnings += f->severity == SEVERITY_WARNING;
		r->infos += f->severity == SEVERITY_INFO;
		if (r->format == REPORT_TEXT) {
			print_text(r->out, f, &r->opt);
			continue;
		}
		fputs(r->first ? "\n" : ",\n", r->out);
		if (r->format == REPORT_SARIF)
			print_sarif(r->out, f, &r->opt);
		else
			print_json(r->out, f, &r->opt);
		r->first = false;
	}
}

void report_end(struct report *r)
{
	if (r->format == REPORT_JSON)
		fprintf(r->out,
			"%s],\"summary\":{\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu}}\n",
			r->first ? "" : "\n", r->errors, r->warnings, r->infos);
	else if (r->format == REPORT_SARIF)
		fprintf(r->out, "%s]}]}\n", r->first ? "" : "\n");
}

void report_text(FILE *out, const struct findings *list, const struct report_options *opt)
{
	struct report r;
	report_begin(&r, out, opt, REPORT_TEXT);
	report_findings(&r, list);
	report_end(&r);
}

void report_json(FILE *out, const struct findings *list, const struct report_options *opt)
{
	struct report r;
	report_begin(&r, out, opt, REPORT_JSON);
	report_findings(&r, list);
	report_end(&r);
}
