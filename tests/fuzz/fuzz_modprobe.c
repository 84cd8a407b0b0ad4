/* Fuzz the modprobe.d and modules-load readers on the same input: every statement and listing
 * they keep has a normalised, non-empty module name, the file it came from and a line inside
 * the input; every problem has a message; the lookups agree with what was kept. */
#include "fuzz.h"

#include "../../host/modules.h"

#include <stdlib.h>
#include <string.h>

#define FILE_NAME "/etc/modprobe.d/fuzz.conf"

static void check_name(const char *name)
{
	if (!name || !name[0] || strchr(name, '-'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	unsigned lines = 1;
	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n' || data[i] == '\r')
			lines++;

	struct host_modules m = {0};
	modprobe_parse(text, size, FILE_NAME, &m);
	modules_load_parse(text, size, FILE_NAME, &m);
	if (m.statement_count > MODPROBE_MAX_STATEMENTS || m.listed_count > MODPROBE_MAX_STATEMENTS)
		abort();
	for (size_t i = 0; i < m.statement_count; i++) {
		const struct modprobe_statement *s = &m.statements[i];
		check_name(s->module);
		if (strcmp(s->file, FILE_NAME) != 0 || s->line == 0 || s->line > lines)
			abort();
		if (s->word_count > 0 && !s->words)
			abort();
		for (size_t k = 0; k < s->word_count; k++)
			if (!s->words[k] || !s->words[k][0])
				abort();
		if ((s->kind == MODPROBE_OPTIONS || s->kind == MODPROBE_SOFTDEP ||
		     s->kind == MODPROBE_INSTALL) &&
		    s->word_count == 0)
			abort();
		if (s->kind == MODPROBE_ALIAS && s->word_count != 1)
			abort();
		if (s->kind == MODPROBE_BLACKLIST && !host_module_blacklisted(&m, s->module))
			abort();
		if (s->kind == MODPROBE_OPTIONS) {
			/* the first parameter of the module's last options line has a value */
			const char *w = s->words[0];
			size_t key = strcspn(w, "=");
			char *param = strndup(w, key);
			if (!param)
				abort();
			if (key > 0 && !host_module_option(&m, s->module, param, NULL))
				abort();
			free(param);
		}
	}
	for (size_t i = 0; i < m.listed_count; i++) {
		check_name(m.listed[i].module);
		if (m.listed[i].line == 0 || m.listed[i].line > lines)
			abort();
		if (!host_module_listed(&m, m.listed[i].module))
			abort();
	}
	for (size_t i = 0; i < m.problem_count; i++)
		if (!m.problems[i].file || !m.problems[i].message || !m.problems[i].message[0] ||
		    m.problems[i].line > lines)
			abort();
	host_modules_free(&m);
	if (m.statements || m.statement_count || m.problems || m.listed)
		abort();
	return 0;
}
