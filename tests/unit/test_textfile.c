/* lib/textfile: limits and validation before any parser sees a byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/textfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int load(const char *buf, size_t len, struct text_file *f, struct pcipt_error *e)
{
	return text_file_from_buffer(buf, len, f, e);
}

static void splits_lines_and_keeps_numbers(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	const char *s = "a: 1\n\nb: 2";
	assert_int_equal(load(s, strlen(s), &f, &e), 0);
	assert_int_equal(f.line_count, 3);
	assert_string_equal(f.lines[0].text, "a: 1");
	assert_string_equal(f.lines[1].text, "");
	assert_int_equal(f.lines[2].number, 3);
	assert_string_equal(f.lines[2].text, "b: 2");
	assert_int_equal(f.first_crlf_line, 0);
	text_file_free(&f);
}

static void strips_crlf_and_remembers_first(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	const char *s = "a: 1\nb: 2\r\nc: 3\r\n";
	assert_int_equal(load(s, strlen(s), &f, &e), 0);
	assert_int_equal(f.line_count, 3);
	assert_string_equal(f.lines[1].text, "b: 2");
	assert_true(f.lines[1].crlf);
	assert_false(f.lines[0].crlf);
	assert_int_equal(f.first_crlf_line, 2);
	text_file_free(&f);
}

static void rejects_nul_with_line_and_column(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	const char s[] = "a: 1\nbc\0d\n";
	assert_int_equal(load(s, sizeof(s) - 1, &f, &e), -EILSEQ);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.column, 3);
	assert_non_null(strstr(e.message, "NUL"));
}

static void rejects_invalid_utf8(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	/* a Latin-1 'é', an overlong '/', a UTF-16 surrogate, a truncated sequence */
	const char *bad[] = {"name: caf\xe9\n", "x: \xc0\xaf\n", "x: \xed\xa0\x80\n",
			     "x: \xe2\x82"};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(load(bad[i], strlen(bad[i]), &f, &e), -EILSEQ);
		assert_int_equal(e.line, 1);
		assert_non_null(strstr(e.message, "UTF-8"));
	}
	const char *good = "name: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n";
	assert_int_equal(load(good, strlen(good), &f, &e), 0);
	text_file_free(&f);
}

static void rejects_long_line(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	size_t n = TEXT_MAX_LINE_LENGTH + 10;
	char *s = malloc(n + 8);
	memcpy(s, "a: 1\n", 5);
	memset(s + 5, 'x', n);
	assert_int_equal(load(s, n + 5, &f, &e), -E2BIG);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.message, "longer than"));
	/* exactly at the limit is fine */
	assert_int_equal(load(s, 5 + TEXT_MAX_LINE_LENGTH, &f, &e), 0);
	text_file_free(&f);
	free(s);
}

static void rejects_huge_file(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	size_t n = TEXT_MAX_FILE_SIZE + 1;
	char *s = malloc(n);
	for (size_t i = 0; i < n; i++)
		s[i] = (i % 80 == 79) ? '\n' : 'a';
	assert_int_equal(load(s, n, &f, &e), -EFBIG);
	assert_int_equal(e.line, 0);
	free(s);
}

static void load_refuses_directories_and_missing_files(void **state)
{
	(void)state;
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_load(rootfs_host(), "/", &f, &e), -EISDIR);
	assert_int_equal(text_file_load(rootfs_host(), "/nonexistent/pcipt/x.conf", &f, &e),
			 -ENOENT);
	assert_int_equal(text_file_load(rootfs_host(), "/dev/null", &f, &e), -EINVAL);
	assert_non_null(strstr(e.message, "regular"));
}

/* A named pipe (no writer: a blocking open would wait forever) and a socket (open(2) says
 * ENXIO) where a config belongs are "not a regular file", and reading them never blocks. */
static void load_refuses_pipes_and_sockets(void **state)
{
	(void)state;
	char dir[] = "/tmp/pcipt-test-text-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pipe_path[64], socket_path[64];
	snprintf(pipe_path, sizeof(pipe_path), "%s/100.conf", dir);
	snprintf(socket_path, sizeof(socket_path), "%s/101.conf", dir);
	assert_int_equal(mkfifo(pipe_path, 0644), 0);
	assert_int_equal(mknod(socket_path, S_IFSOCK | 0644, 0), 0);
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_load(rootfs_host(), pipe_path, &f, &e), -EINVAL);
	assert_string_equal(e.message, "not a regular file");
	assert_int_equal(text_file_load(rootfs_host(), socket_path, &f, &e), -EINVAL);
	assert_string_equal(e.message, "not a regular file");
	unlink(pipe_path);
	unlink(socket_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_lines_and_keeps_numbers),
		cmocka_unit_test(strips_crlf_and_remembers_first),
		cmocka_unit_test(rejects_nul_with_line_and_column),
		cmocka_unit_test(rejects_invalid_utf8),
		cmocka_unit_test(rejects_long_line),
		cmocka_unit_test(rejects_huge_file),
		cmocka_unit_test(load_refuses_directories_and_missing_files),
		cmocka_unit_test(load_refuses_pipes_and_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
