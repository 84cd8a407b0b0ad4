/* Printing findings: compiler-style text with an indented hint, or one JSON document. */
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
};

void report_text(FILE *out, const struct findings *list, const struct report_options *opt);
void report_json(FILE *out, const struct findings *list, const struct report_options *opt);

/* The same output printed as the findings come, in batches (the offline lint hands over each
 * config's when it is checked): report_begin, report_findings for each batch in order,
 * report_end (the JSON summary).  The counts are of the findings shown. */
struct report {
	FILE *out;
	struct report_options opt;
	bool json;
	bool first; /* no finding printed yet */
	size_t errors, warnings, infos;
};
void report_begin(struct report *r, FILE *out, const struct report_options *opt, bool json);
void report_findings(struct report *r, const struct findings *list);
void report_end(struct report *r);

/* s as a JSON string literal (quotes and escapes; NULL prints null). */
void json_string(FILE *out, const char *s);

#endif
