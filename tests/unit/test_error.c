/* lib/error: the one error convention, and every library keeping it (the code it returns is
 * the code in err, with the words and, where there is one, the place). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../hook/state.h"
#include "../../host/optionrom.h"
#include "../../lib/error.h"
#include "../../lib/settings.h"
#include "../../lib/textfile.h"
#include "../../pve/args.h"
#include "../../rules/rules.h"
#include "../../rules/yaml_tree.h"

#include <errno.h>
#include <string.h>

static void set_returns_its_code_and_clears_the_place(void **state)
{
	(void)state;
	struct pcipt_error e = {.line = 7, .column = 3, .offset = 9};
	assert_int_equal(error_set(&e, -ENOENT, "no %s", "file"), -ENOENT);
	assert_int_equal(e.code, -ENOENT);
	assert_string_equal(e.message, "no file");
	assert_int_equal(e.line, 0);
	assert_int_equal(e.column, 0);
	assert_int_equal(e.offset, 0);
	assert_int_equal(error_set_at(&e, -EINVAL, 4, 2, "bad"), -EINVAL);
	assert_int_equal(e.line, 4);
	assert_int_equal(e.column, 2);
	/* a caller that wants only the code passes NULL */
	assert_int_equal(error_set(NULL, -EIO, "ignored"), -EIO);
	error_prefix(NULL, "x");
	error_clear(&e);
	assert_int_equal(e.code, 0);
	assert_string_equal(e.message, "");
}

static void prefix_keeps_the_context_and_cuts_the_end(void **state)
{
	(void)state;
	struct pcipt_error e;
	error_set_at(&e, -E2BIG, 3, 0, "line too long");
	error_prefix(&e, "%s: ", "pci.cfg");
	assert_string_equal(e.message, "pci.cfg: line too long");
	assert_int_equal(e.line, 3); /* the place stays */
	assert_int_equal(e.code, -E2BIG);

	char long_text[2 * sizeof(e.message)];
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	error_set(&e, -EINVAL, "%s", long_text);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	error_prefix(&e, "context: ");
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	assert_memory_equal(e.message, "context: xxx", 12);
}

/* Each library's failure: the return value is err.code, the message is set, and the place
 * is filled where the input has one. */
static void libraries_return_the_code_they_report(void **state)
{
	(void)state;
	struct pcipt_error e;

	struct text_file tf;
	memset(&e, 0, sizeof(e));
	int r = text_file_from_buffer("a\nb\0c\n", 6, &tf, &e);
	assert_int_equal(r, -EILSEQ);
	assert_int_equal(e.code, r);
	assert_int_equal(e.line, 2);
	assert_true(e.column > 0);

	struct settings s;
	const char *conf = "bind_timeout = 5\nnonsense = 1\n";
	memset(&e, 0, sizeof(e));
	r = settings_parse(conf, strlen(conf), &s, &e);
	assert_true(r < 0);
	assert_int_equal(e.code, r);
	assert_int_equal(e.line, 2);
	assert_true(e.message[0]);

	struct rules rules;
	const char *yaml = "version: 1\nchecks:\n  no-such-check: error\n";
	memset(&e, 0, sizeof(e));
	r = rules_parse(yaml, strlen(yaml), NULL, &rules, &e);
	assert_true(r < 0);
	assert_int_equal(e.code, r);
	assert_int_equal(e.line, 3);
	assert_non_null(strstr(e.message, "no-such-check"));

	struct yaml_node *root;
	memset(&e, 0, sizeof(e));
	r = yaml_tree_parse("a: [1,\n", 7, &root, &e);
	assert_true(r < 0);
	assert_int_equal(e.code, r);
	assert_true(e.line > 0);

	struct optionrom rom;
	uint8_t not_a_rom[1024] = {0x55, 0xaa, 0x02};
	memset(&e, 0, sizeof(e));
	r = optionrom_parse(not_a_rom, sizeof(not_a_rom), &rom, &e);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(e.code, r);
	assert_true(e.message[0]);

	struct pve_args args;
	memset(&e, 0, sizeof(e));
	r = pve_args_split("-cpu 'host", &args, &e);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(e.code, r);
	assert_string_equal(e.message, "unbalanced single quote");

	struct ledger ledger;
	const char *corrupt = "this is no ledger\n";
	memset(&e, 0, sizeof(e));
	r = ledger_parse(corrupt, strlen(corrupt), &ledger, &e);
	assert_true(r < 0);
	assert_int_equal(e.code, r);
	assert_true(e.message[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_returns_its_code_and_clears_the_place),
		cmocka_unit_test(prefix_keeps_the_context_and_cuts_the_end),
		cmocka_unit_test(libraries_return_the_code_they_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
