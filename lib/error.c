#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int error_vset_at(struct pcipt_error *err, int code, unsigned line, unsigned column,
		  const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->line = line;
	err->column = column;
	err->offset = 0;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return code;
}

int error_set(struct pcipt_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, code, 0, 0, fmt, ap);
	va_end(ap);
	return code;
}

int error_set_at(struct pcipt_error *err, int code, unsigned line, unsigned column, const char *fmt,
		 ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, code, line, column, fmt, ap);
	va_end(ap);
	return code;
}

void error_prefix(struct pcipt_error *err, const char *fmt, ...)
{
	if (!err)
		return;
	char joined[sizeof(err->message)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t used = (size_t)n < sizeof(joined) ? (size_t)n : sizeof(joined) - 1;
	size_t room = sizeof(joined) - 1 - used;
	size_t keep = strnlen(err->message, sizeof(err->message));
	if (keep > room)
		keep = room; /* the end of a too-long message goes, never the context */
	memcpy(joined + used, err->message, keep);
	joined[used + keep] = '\0';
	memcpy(err->message, joined, sizeof(joined));
}

void error_clear(struct pcipt_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}
