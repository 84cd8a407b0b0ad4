#include "findings.h"

#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *severity_name(enum severity s)
{
	switch (s) {
	case SEVERITY_ERROR:
		return "error";
	case SEVERITY_WARNING:
		return "warning";
	case SEVERITY_INFO:
		return "info";
	case SEVERITY_OFF:
		break;
	}
	return "off";
}

void findings_init(struct findings *list)
{
	memset(list, 0, sizeof(*list));
}

void findings_free(struct findings *list)
{
	for (size_t i = 0; i < list->count; i++) {
		struct finding *f = &list->items[i];
		free(f->file);
		free(f->device);
		free(f->node);
		free(f->message);
		free(f->hint);
	}
	free(list->items);
	findings_init(list);
}

struct finding *findings_add(struct findings *list, enum check_id check, enum severity severity,
			     const struct source_ref *src, unsigned line)
{
	xgrow((void **)&list->items, &list->capacity, list->count + 1, sizeof(*list->items));
	struct finding *f = &list->items[list->count];
	memset(f, 0, sizeof(*f));
	f->check = check;
	f->severity = severity;
	f->file = xstrdup(src->file ? src->file : "-");
	f->source = src->index;
	f->line = line;
	f->vmid = src->vmid;
	f->order = list->count;
	list->count++;
	return f;
}

struct finding *findings_add_device_rule(struct findings *list, size_t rule, enum severity severity,
					 const struct source_ref *src, unsigned line)
{
	struct finding *f = findings_add(list, CHECK_DEVICE_RULE, severity, src, line);
	f->rule = rule;
	return f;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return xstrdup("(out of memory)");
	return s;
}

void finding_message(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->message);
	f->message = vformat(fmt, ap);
	va_end(ap);
}

void finding_hint(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(f->hint);
	f->hint = vformat(fmt, ap);
	va_end(ap);
}

void finding_device(struct finding *f, const char *device)
{
	free(f->device);
	f->device = device ? xstrdup(device) : NULL;
}

void findings_move(struct findings *dst, struct findings *src)
{
	size_t base = 0;
	for (size_t i = 0; i < dst->count; i++)
		base = dst->items[i].order >= base ? dst->items[i].order + 1 : base;
	for (size_t i = 0; i < src->count; i++) {
		xgrow((void **)&dst->items, &dst->capacity, dst->count + 1, sizeof(*dst->items));
		struct finding *f = &dst->items[dst->count++];
		*f = src->items[i];
		f->order = base + src->items[i].order;
	}
	free(src->items);
	findings_init(src);
}

void finding_node(struct finding *f, const char *node)
{
	free(f->node);
	f->node = node ? xstrdup(node) : NULL;
}

static int compare_findings(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	/* qsort is not stable: insertion order breaks the remaining ties */
	return x->order < y->order ? -1 : (x->order > y->order);
}

void findings_sort(struct findings *list)
{
	if (list->count > 1)
		qsort(list->items, list->count, sizeof(*list->items), compare_findings);
}

size_t findings_count(const struct findings *list, enum severity severity)
{
	size_t n = 0;
	for (size_t i = 0; i < list->count; i++)
		n += list->items[i].severity == severity;
	return n;
}

void findings_remove_off(struct findings *list)
{
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		struct finding *f = &list->items[i];
		if (f->severity == SEVERITY_OFF) {
			free(f->file);
			free(f->device);
			free(f->node);
			free(f->message);
			free(f->hint);
			continue;
		}
		list->items[kept++] = *f;
	}
	list->count = kept;
}
