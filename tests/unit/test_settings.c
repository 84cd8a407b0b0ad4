/* lib/settings: pcipt.conf through libconfuse, with the pre-pass that pins libconfuse 3.3's
 * four known problems (line numbers after comments, unclosed sections, ${VAR} expansion from
 * the environment, include()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_refused_n(const char *text, size_t size, unsigned line, const char *words)
{
	struct settings s;
	struct pcipt_error err;
	if (settings_parse(text, size, &s, &err) == 0) {
		settings_free(&s);
		fail_msg("accepted: %s", text);
	}
	if (!strstr(err.message, words))
		fail_msg("message '%s' lacks '%s'", err.message, words);
	if (err.line != line)
		fail_msg("'%s' reported on line %u, expected %u", err.message, err.line, line);
}

static void assert_refused(const char *text, unsigned line, const char *words)
{
	assert_refused_n(text, strlen(text), line, words);
}

static void defaults_and_values(void **state)
{
	(void)state;
	struct settings s;
	struct pcipt_error err;
	settings_defaults(&s);
	assert_null(s.rules);
	assert_false(s.sets_state_dir);
	assert_int_equal(s.bind_timeout, 10);
	assert_int_equal(s.prestart_deadline, 300);
	assert_int_equal(s.snapshot_max_age, 86400);
	assert_true(s.restore_on_stop);
	settings_free(&s);

	const char *text = "# pcipt settings\n"
			   "rules = \"/etc/pcipt/strict.yaml\"\n"
			   "state_dir = /run/pcipt-test   // trailing comment\n"
			   "bind_timeout = 30\n"
			   "snapshot_max_age = 3600\n"
			   "restore_on_stop = false\n"
			   "bind_group_peers = no\n"
			   "log = stderr\n"
			   "color = never\n"
			   "lock_file = \"/run/lock/p#not-a-comment\"\n";
	assert_int_equal(settings_parse(text, strlen(text), &s, &err), 0);
	assert_string_equal(s.rules, "/etc/pcipt/strict.yaml");
	/* retired: accepted, said, never used */
	assert_true(s.sets_state_dir);
	assert_true(s.sets_lock_file);
	assert_int_equal(s.bind_timeout, 30);
	assert_int_equal(s.snapshot_max_age, 3600);
	assert_false(s.restore_on_stop);
	assert_false(s.bind_group_peers);
	assert_int_equal(s.log, SETTINGS_LOG_STDERR);
	assert_int_equal(s.color, SETTINGS_COLOR_NEVER);
	settings_free(&s);
}

/* libconfuse 3.3 reported this unknown option on line 8 (block comment) and line 7 (line
 * comments); the file has it on line 5 and line 3. */
static void line_numbers_are_right_after_comments(void **state)
{
	(void)state;
	assert_refused("# c\n/* a\nb\nc */\nbogus = 1\n", 5, "no such option 'bogus'");
	assert_refused("// x\n// y\nbogus = 1", 3, "no such option 'bogus'");
	assert_refused("# one\n# two\n# three\nbind_timeout = 12abc\n", 4,
		       "invalid integer value for option 'bind_timeout'");
	assert_refused("log = syslog\n/* never closed\n", 2, "comment opened here is not closed");
}

/* libconfuse accepts `name {` left open at the end of the file. */
static void unclosed_sections_are_refused(void **state)
{
	(void)state;
	assert_refused("log = stderr\nsection {\n", 2, "pcipt.conf has no sections");
	assert_refused("}\n", 1, "no sections");
}

/* libconfuse expands ${VAR} from the environment, quoted or not. */
static void environment_is_never_read(void **state)
{
	(void)state;
	setenv("PCIPT_TEST_SECRET", "/tmp/evil", 1);
	assert_refused("rules = \"${PCIPT_TEST_SECRET}/r.yaml\"\n", 1, "${...} is not expanded");
	assert_refused("\n\nrules = ${PCIPT_TEST_SECRET}\n", 3, "${...} is not expanded");
	/* inside single quotes libconfuse does not expand: the text stays as written */
	struct settings s;
	struct pcipt_error err;
	const char *text = "rules = '/etc/pcipt/${literally}.yaml'\n";
	assert_int_equal(settings_parse(text, strlen(text), &s, &err), 0);
	assert_string_equal(s.rules, "/etc/pcipt/${literally}.yaml");
	settings_free(&s);
}

/* include() would read any file on the host. */
static void include_is_refused(void **state)
{
	(void)state;
	assert_refused("log = stderr\ninclude(\"/etc/shadow\")\n", 2, "include is not supported");
	assert_refused("include \"../../etc/passwd\"\n", 1, "include is not supported");
}

static void bad_values(void **state)
{
	(void)state;
	assert_refused("log = journal\n", 0, "log must be syslog or stderr, not 'journal'");
	assert_refused("color = rainbow\n", 0, "color must be auto or always or never");
	assert_refused("bind_timeout = 0\n", 0, "bind_timeout must be 1 to 600 seconds");
	assert_refused("rules = etc/rules.yaml\n", 0, "rules must be an absolute path");
	assert_refused("prestart_deadline = 5\n", 0,
		       "prestart_deadline must be 10 to 3600 seconds");
	assert_refused("snapshot_max_age = 59\n", 0,
		       "snapshot_max_age must be 60 to 31536000 seconds");
	assert_refused("restore_on_stop = maybe\n", 1, "invalid boolean value");
	assert_refused("rules = \"/a\nb\"\n", 1, "string is not closed");
	assert_refused_n("rules = /a\0b\n", 12, 1, "NUL");
	assert_refused("rules = caf\xe9\n", 1, "UTF-8");
}

static void huge_file_is_refused(void **state)
{
	(void)state;
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 1);
	memset(big, '#', n);
	big[n] = '\0';
	struct settings s;
	struct pcipt_error err;
	assert_true(settings_parse(big, n, &s, &err) < 0);
	assert_non_null(strstr(err.message, "larger than"));
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_values),
		cmocka_unit_test(line_numbers_are_right_after_comments),
		cmocka_unit_test(unclosed_sections_are_refused),
		cmocka_unit_test(environment_is_never_read),
		cmocka_unit_test(include_is_refused),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(huge_file_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
