#include "args.h"

#include "../lib/xalloc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int pve_args_split(const char *text, struct pve_args *ret, struct pcipt_error *err)
{
	struct pve_args a = {0};
	size_t cap = 0;
	size_t len = strlen(text);
	char *word = xmalloc(len + 1);
	const char *p = text;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		size_t n = 0;
		while (*p && !is_blank(*p)) {
			if (*p == '\'') {
				/* Text::ParseWords: inside '...' a backslash pair is kept verbatim
				 * and does not end the quote */
				p++;
				while (*p && *p != '\'') {
					if (*p == '\\' && p[1])
						word[n++] = *p++;
					word[n++] = *p++;
				}
				if (*p != '\'') {
					error_set(err, -EINVAL, "unbalanced single quote");
					goto fail;
				}
				p++;
			} else if (*p == '"') {
				/* inside "...", a backslash escapes any character */
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						p++;
					word[n++] = *p++;
				}
				if (*p != '"') {
					error_set(err, -EINVAL, "unbalanced double quote");
					goto fail;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1]) {
					error_set(err, -EINVAL, "trailing backslash");
					goto fail;
				}
				word[n++] = p[1];
				p += 2;
			} else {
				word[n++] = *p++;
			}
		}
		xgrow((void **)&a.words, &cap, a.count + 1, sizeof(*a.words));
		a.words[a.count++] = xstrndup(word, n);
	}
	free(word);
	*ret = a;
	return 0;
fail:
	free(word);
	pve_args_free(&a);
	return -EINVAL;
}

void pve_args_free(struct pve_args *args)
{
	for (size_t i = 0; i < args->count; i++)
		free(args->words[i]);
	free(args->words);
	args->words = NULL;
	args->count = 0;
}

const char *pve_args_option_value(const struct pve_args *args, const char *option)
{
	for (size_t i = 0; i + 1 < args->count; i++) {
		if (strcmp(args->words[i], option) == 0)
			return args->words[i + 1];
	}
	return NULL;
}
