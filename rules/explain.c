#include "explain.h"

#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string (the texts here are small and built once). */
struct text {
	char *s;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	xgrow((void **)&t->s, &t->cap, t->len + n + 1, 1);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("pcipt: out of memory\n", stderr);
		abort();
	}
	text_add(t, s, (size_t)n);
	free(s);
}

static char *text_take(struct text *t)
{
	if (!t->s)
		return xstrdup("");
	return t->s;
}

/* --- the checks' text ------------------------------------------------------------------- */

/* scdoc's parse_text() (scdoc 1.11), less the roff: '*' always opens or closes bold; '_' opens
 * underline after a character that is not a letter or digit and closes it before one, else it
 * is a letter itself; '\' takes the next character as it is.  As in scdoc, neither markup
 * characters nor escaped ones count as the last character seen. */
char *rules_explain_plain(const char *scd)
{
	char *out = xmalloc(strlen(scd) + 1), *o = out;
	unsigned char last = ' ';
	bool underline = false;
	for (const char *p = scd; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\' && p[1]) {
			*o++ = *++p;
		} else if (c == '*') {
			/* bold: nothing to show */
		} else if (c == '_') {
			unsigned char next = (unsigned char)p[1];
			if (!isalnum(last) || (underline && !isalnum(next)))
				underline = !underline;
			else
				*o++ = '_';
		} else {
			*o++ = (char)c;
			last = c;
		}
	}
	*o = '\0';
	return out;
}

/* The line at p (up to its newline or the end), and where the next one starts. */
static size_t line_at(const char *p, const char *end, const char **ret_next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = (size_t)((nl ? nl : end) - p);
	*ret_next = nl ? nl + 1 : end;
	return len;
}

/* The entry of id: its line "*ID* (...)" at the left margin. */
static const char *find_entry(const char *id, const char *end, size_t *ret_len)
{
	size_t n = strlen(id);
	for (const char *p = rules_explain_scd, *next; p < end; p = next) {
		size_t len = line_at(p, end, &next);
		if (len > n + 3 && p[0] == '*' && memcmp(p + 1, id, n) == 0 &&
		    memcmp(p + 1 + n, "* (", 3) == 0) {
			*ret_len = len;
			return p;
		}
	}
	return NULL;
}

static void add_paragraph(struct rules_explain *e, struct text *para)
{
	if (!para->len)
		return;
	e->paragraphs = xrealloc(e->paragraphs, (e->count + 1) * sizeof(*e->paragraphs));
	e->paragraphs[e->count++] = rules_explain_plain(para->s);
	para->len = 0;
}

int rules_explain_check(enum check_id check, struct rules_explain *ret)
{
	const char *id = check_id_name(check);
	const char *end = rules_explain_scd + rules_explain_scd_size;
	size_t len;
	const char *entry = id ? find_entry(id, end, &len) : NULL;
	if (!entry)
		return -ENOENT;
	struct rules_explain e = {0};
	char *title = xstrndup(entry, len);
	e.title = rules_explain_plain(title);
	free(title);
	/* the paragraphs: lines indented by a tab, blank lines between, up to the next line at
	 * the left margin; a paragraph's lines are one line of text, as in the man page */
	struct text para = {0};
	const char *next;
	for (const char *p = entry + len + 1; p < end; p = next) {
		size_t n = line_at(p, end, &next);
		if (n == 0) {
			add_paragraph(&e, &para);
			continue;
		}
		if (p[0] != '\t')
			break;
		if (para.len)
			text_puts(&para, " ");
		text_add(&para, p + 1, n - 1);
	}
	add_paragraph(&e, &para);
	free(para.s);
	*ret = e;
	return 0;
}

void rules_explain_free(struct rules_explain *e)
{
	free(e->title);
	for (size_t i = 0; i < e->count; i++)
		free(e->paragraphs[i]);
	free(e->paragraphs);
	memset(e, 0, sizeof(*e));
}

/* s's words from after indent spaces on, a new line where the next word would pass width */
static void wrap(struct text *t, const char *s, unsigned indent, unsigned width)
{
	static const char spaces[] = "                ";
	size_t pad = indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1;
	size_t column = 0;
	while (*s) {
		s += strspn(s, " ");
		size_t n = strcspn(s, " ");
		if (!n)
			break;
		if (column && width && column + 1 + n > width) {
			text_puts(t, "\n");
			column = 0;
		}
		if (!column) {
			text_add(t, spaces, pad);
			column = pad;
		} else {
			text_puts(t, " ");
			column++;
		}
		text_add(t, s, n);
		column += n;
		s += n;
	}
	text_puts(t, "\n");
}

char *rules_explain_format(const struct rules_explain *e, unsigned indent, unsigned width)
{
	struct text t = {0};
	for (size_t i = 0; i < e->count; i++) {
		if (i)
			text_puts(&t, "\n");
		wrap(&t, e->paragraphs[i], indent, width);
	}
	return text_take(&t);
}

/* --- a device rule as YAML -------------------------------------------------------------- */

/* What a plain scalar may be, inside a flow collection too: letters, digits, spaces within,
 * and a few characters YAML gives no meaning there; a leading '-' only before a letter. */
static bool plain_scalar(const char *s)
{
	size_t n = strlen(s);
	if (!n || s[0] == ' ' || s[n - 1] == ' ' || (s[0] == '-' && !isalpha((unsigned char)s[1])))
		return false;
	for (const char *p = s; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr(" ._/=+-()", *p))
			return false;
	}
	return true;
}

/* s as a YAML scalar: plain where it can be, else double-quoted with YAML's escapes */
static void add_scalar(struct text *t, const char *s)
{
	if (plain_scalar(s)) {
		text_puts(t, s);
		return;
	}
	text_puts(t, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			text_puts(t, "\\");
			text_add(t, (const char *)p, 1);
		} else if (*p == '\n') {
			text_puts(t, "\\n");
		} else if (*p == '\t') {
			text_puts(t, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			text_printf(t, "\\x%02x", *p);
		} else {
			text_add(t, (const char *)p, 1);
		}
	}
	text_puts(t, "\"");
}

static void add_list(struct text *t, const char *key, const struct rules_string_list *l)
{
	if (!l->count)
		return;
	text_printf(t, "    %s: [", key);
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			text_puts(t, ", ");
		add_scalar(t, l->items[i]);
	}
	text_puts(t, "]\n");
}

static void add_match(struct text *t, bool *first, const char *key, const struct rules_id_match *m)
{
	if (!m->mask)
		return;
	text_printf(t, "%s%s: 0x%04x", *first ? "" : ", ", key, m->value);
	if (m->mask != 0xffff)
		text_printf(t, "/0x%04x", m->mask);
	*first = false;
}

/* A hint folded over lines (`>-`) reads back as it was when its words are separated by one
 * space each and it has nothing but printable characters. */
static bool foldable(const char *s)
{
	if (!*s || s[0] == ' ' || s[strlen(s) - 1] == ' ' || strstr(s, "  "))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

char *rules_device_yaml(const struct rules_device *d)
{
	struct text t = {0};
	text_puts(&t, "- id: ");
	add_scalar(&t, d->id);
	text_puts(&t, "\n  name: ");
	add_scalar(&t, d->name);
	text_puts(&t, "\n  match: {");
	bool first = true;
	add_match(&t, &first, "vendor", &d->vendor);
	add_match(&t, &first, "device", &d->device);
	add_match(&t, &first, "subsystem_vendor", &d->subsystem_vendor);
	add_match(&t, &first, "subsystem_device", &d->subsystem_device);
	add_match(&t, &first, "class", &d->class_code);
	text_puts(&t, "}\n");
	if (d->when_x_vga >= 0 || d->when_bios) {
		text_puts(&t, "  when: {");
		if (d->when_x_vga >= 0)
			text_puts(&t, d->when_x_vga ? "x_vga: true" : "x_vga: false");
		if (d->when_bios) {
			text_puts(&t, d->when_x_vga >= 0 ? ", bios: " : "bios: ");
			add_scalar(&t, d->when_bios);
		}
		text_puts(&t, "}\n");
	}
	if (d->vm_machine || d->vm_bios || d->vm_args.count || d->vm_vga_not.count ||
	    d->vm_all_functions) {
		text_puts(&t, "  vm:\n");
		if (d->vm_machine) {
			text_puts(&t, "    machine: ");
			add_scalar(&t, d->vm_machine);
			text_puts(&t, "\n");
		}
		if (d->vm_bios) {
			text_puts(&t, "    bios: ");
			add_scalar(&t, d->vm_bios);
			text_puts(&t, "\n");
		}
		add_list(&t, "args", &d->vm_args);
		add_list(&t, "vga_not", &d->vm_vga_not);
		if (d->vm_all_functions)
			text_puts(&t, "    all_functions: true\n");
	}
	if (d->host_module_params.count || d->host_drivers_unused.count) {
		text_puts(&t, "  host:\n");
		add_list(&t, "module_params", &d->host_module_params);
		add_list(&t, "drivers_unused", &d->host_drivers_unused);
	}
	text_printf(&t, "  severity: %s\n", severity_name(d->severity));
	text_puts(&t, "  hint: ");
	if (d->hint && foldable(d->hint)) {
		/* as rules/default.yaml writes its hints */
		text_puts(&t, ">-\n");
		wrap(&t, d->hint, 4, 88);
	} else {
		add_scalar(&t, d->hint ? d->hint : "");
		text_puts(&t, "\n");
	}
	if (d->override_count) {
		text_puts(&t, "  overrides: {");
		for (size_t i = 0; i < d->override_count; i++)
			text_printf(&t, "%s%s: %s", i ? ", " : "",
				    check_id_name(d->overrides[i].check),
				    severity_name(d->overrides[i].severity));
		text_puts(&t, "}\n");
	}
	return text_take(&t);
}

/* --- the nearest ids -------------------------------------------------------------------- */

/* ids are at most 64 characters (rules.c); a longer query is no slip of the keyboard */
#define NEAR_MAX_LEN 128

/* Edits from a to b, a transposition of two neighbours counting one (the optimal string
 * alignment distance), letters compared without case. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t rows[3][NEAR_MAX_LEN + 1];
	size_t *before = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			bool same = tolower((unsigned char)a[i - 1]) == b[j - 1];
			size_t best = prev[j - 1] + !same;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == b[j - 2] &&
			    tolower((unsigned char)a[i - 2]) == b[j - 1] &&
			    before[j - 2] + 1 < best)
				best = before[j - 2] + 1;
			cur[j] = best;
		}
		size_t *t = before;
		before = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

size_t rules_closest_ids(const struct rules *rules, const char *id, const char **ret, size_t max)
{
	size_t len = strlen(id);
	if (!len || len > NEAR_MAX_LEN || !max)
		return 0;
	/* a slip: a third of the letters wrong, at least two; an id that contains what was
	 * typed comes right after an exact-but-one */
	size_t limit = len / 3 > 2 ? len / 3 : 2;
	size_t scores[8];
	if (max > 8)
		max = 8;
	size_t found = 0;
	size_t devices = rules ? rules->device_count : 0;
	for (size_t i = 0; i < (size_t)CHECK_COUNT + devices; i++) {
		const char *name = i < CHECK_COUNT ? check_id_name((enum check_id)i)
						   : rules->devices[i - CHECK_COUNT].id;
		if (strlen(name) > NEAR_MAX_LEN)
			continue;
		size_t score = edit_distance(id, name);
		if (len >= 3 && strstr(name, id) && score > 1)
			score = 1;
		if (score > limit)
			continue;
		/* kept sorted by score, the earlier id first between equals */
		size_t at = found;
		while (at > 0 && scores[at - 1] > score)
			at--;
		if (at >= max)
			continue;
		size_t last = found < max ? found : max - 1;
		for (size_t k = last; k > at; k--) {
			scores[k] = scores[k - 1];
			ret[k] = ret[k - 1];
		}
		scores[at] = score;
		ret[at] = name;
		if (found < max)
			found++;
	}
	return found;
}
