/* Printing findings: compiler-style text with an indented hint, one JSON document, or a SARIF
 * 2.1.0 log for code scanning in CI. */
#ifndef PCIPT_VALIDATOR_REPORT_H
#define PCIPT_VALIDATOR_REPORT_H

#include "../lib/findings.h"

#include <stdbool.h>
#include <stdio.h>

struct rules;
struct report_options {
	bool color;                /* ANSI colours on the severity word */
	bool errors_only;          /* -q */
	const struct rules *rules; /* the rules the checks ran with: device rules' ids */
	/* SARIF: where a finding's file is for a user in the current directory.  A host path
	 * is under root (--root DIR as given; NULL or "/": the machine's own), except the files
	 * named on the command line, which are read as given. */
	const char *root;
	const char *const *given;
	size_t given_count;
};

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_SARIF };

void report_text(FILE *out, const struct findings *list, const struct report_options *opt);
void report_json(FILE *out, const struct findings *list, const struct report_options *opt);

/* The same output printed as the findings come, in batches (the offline lint hands over each
 * config's when it is checked): report_begin (SARIF: the tool and every rule the results
 * may name), report_findings for each batch in order, report_end (the JSON summary, the end
 * of the SARIF log).  The counts are of the findings shown. */
struct report {
	FILE *out;
	struct report_options opt;
	enum report_format format;
	bool first; /* no finding printed yet */
	size_t errors, warnings, infos;
};
void report_begin(struct report *r, FILE *out, const struct report_options *opt,
		  enum report_format format);
void report_findings(struct report *r, const struct findings *list);
void report_end(struct report *r);

/* s as a JSON string literal (quotes and escapes; NULL prints null). */
void json_string(FILE *out, const char *s);

#endif
