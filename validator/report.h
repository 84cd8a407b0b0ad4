/* Printing findings: compiler-style text with an indented hint, or one JSON document. */
#ifndef PCIPT_VALIDATOR_REPORT_H
#define PCIPT_VALIDATOR_REPORT_H

#include "../lib/findings.h"

#include <stdbool.h>
#include <stdio.h>

struct rules;
struct report_options {
	bool color;        /* ANSI colours on the severity word */
	bool errors_only;  /* -q */
	const struct rules *rules; /* the rules the checks ran with: device rules' ids */
};

void report_text(FILE *out, const struct findings *list, const struct report_options *opt);
void report_json(FILE *out, const struct findings *list, const struct report_options *opt);

/* s as a JSON string literal (quotes and escapes; NULL prints null). */
void json_string(FILE *out, const char *s);

#endif
