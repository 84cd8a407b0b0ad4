#include "cmdline.h"

#include "../lib/xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void add_word(struct cmdline *c, size_t *cap, const char *w, size_t n)
{
	xgrow((void **)&c->words, cap, c->count + 1, sizeof(*c->words));
	c->words[c->count++] = xstrndup(w, n);
}

/* Append the words of text to c (kernel rules: double quotes group, are dropped). */
static void split_into(const char *text, struct cmdline *c, size_t *cap)
{
	size_t len = strlen(text);
	char *word = xmalloc(len + 1);
	const char *p = text;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		bool quoted = false;
		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			else
				word[n++] = *p;
			p++;
		}
		add_word(c, cap, word, n);
	}
	free(word);
}

void cmdline_parse(const char *text, struct cmdline *ret)
{
	struct cmdline c = {0};
	size_t cap = 0;
	split_into(text, &c, &cap);
	*ret = c;
}

/* The value of a shell assignment NAME="..." / NAME='...' / NAME=word on one line; malloc'd,
 * or NULL when the line does not assign name. */
static char *assignment(const char *line, const char *name)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "export ", 7) == 0)
		line += 7;
	size_t n = strlen(name);
	if (strncmp(line, name, n) != 0 || line[n] != '=')
		return NULL;
	const char *v = line + n + 1;
	if (*v == '"' || *v == '\'') {
		const char *end = strchr(v + 1, *v);
		return end ? xstrndup(v + 1, (size_t)(end - v - 1)) : xstrdup(v + 1);
	}
	size_t len = strcspn(v, " \t#");
	return xstrndup(v, len);
}

bool cmdline_from_grub_default(const char *text, struct cmdline *ret)
{
	char *linux_words = NULL, *default_words = NULL;
	unsigned default_line = 0, number = 0;
	for (const char *line = text; line && *line;) {
		number++;
		const char *next = strchr(line, '\n');
		char *one = next ? xstrndup(line, (size_t)(next - line)) : xstrdup(line);
		char *v;
		if ((v = assignment(one, "GRUB_CMDLINE_LINUX_DEFAULT"))) {
			free(default_words);
			default_words = v;
			default_line = number;
		} else if ((v = assignment(one, "GRUB_CMDLINE_LINUX"))) {
			free(linux_words);
			linux_words = v;
			if (!default_line)
				default_line = number;
		}
		free(one);
		line = next ? next + 1 : NULL;
	}
	if (!linux_words && !default_words)
		return false;
	/* update-grub puts GRUB_CMDLINE_LINUX first, then GRUB_CMDLINE_LINUX_DEFAULT */
	struct cmdline c = {.line = default_line};
	size_t cap = 0;
	if (linux_words)
		split_into(linux_words, &c, &cap);
	if (default_words)
		split_into(default_words, &c, &cap);
	free(linux_words);
	free(default_words);
	*ret = c;
	return true;
}

const char *cmdline_value(const struct cmdline *c, const char *key)
{
	const char *found = NULL;
	size_t n = strlen(key);
	for (size_t i = 0; i < c->count; i++) {
		const char *w = c->words[i];
		if (strncmp(w, key, n) != 0)
			continue;
		if (w[n] == '=')
			found = w + n + 1;
		else if (w[n] == '\0')
			found = "";
	}
	return found;
}

void cmdline_free(struct cmdline *c)
{
	for (size_t i = 0; i < c->count; i++)
		free(c->words[i]);
	free(c->words);
	c->words = NULL;
	c->count = 0;
}
