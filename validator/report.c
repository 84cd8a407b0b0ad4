#include "report.h"

#include "../rules/rules.h"

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

void report_begin(struct report *r, FILE *out, const struct report_options *opt, bool json)
{
	*r = (struct report){.out = out, .opt = *opt, .json = json, .first = true};
	if (json)
		fputs("{\"findings\":[", out);
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
		if (!r->json) {
			print_text(r->out, f, &r->opt);
			continue;
		}
		fputs(r->first ? "\n" : ",\n", r->out);
		print_json(r->out, f, &r->opt);
		r->first = false;
	}
}

void report_end(struct report *r)
{
	if (r->json)
		fprintf(r->out,
			"%s],\"summary\":{\"errors\":%zu,\"warnings\":%zu,\"infos\":%zu}}\n",
			r->first ? "" : "\n", r->errors, r->warnings, r->infos);
}

void report_text(FILE *out, const struct findings *list, const struct report_options *opt)
{
	struct report r;
	report_begin(&r, out, opt, false);
	report_findings(&r, list);
	report_end(&r);
}

void report_json(FILE *out, const struct findings *list, const struct report_options *opt)
{
	struct report r;
	report_begin(&r, out, opt, true);
	report_findings(&r, list);
	report_end(&r);
}
