/* lib/kernelio.c, the real kernel interface both programs link: a write lands whole in the
 * attribute under the root, never through a link; a read is whole and bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/kernelio.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree {
	char dir[PATH_MAX];
	struct rootfs *fs;
};

static void put(const struct tree *t, const char *path, const char *text)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s", t->dir, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char base[] = "/tmp/pcipt-kernelio-XXXXXX";
	if (!t || !mkdtemp(base))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s", base);
	char sys[PATH_MAX];
	snprintf(sys, sizeof(sys), "%s/sys", base);
	if (mkdir(sys, 0755) < 0 || rootfs_new(t->dir, &t->fs) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	rootfs_free(t->fs);
	free(t);
	return 0;
}

static void write_lands_whole(void **state)
{
	struct tree *t = *state;
	put(t, "/sys/rom", "");
	assert_int_equal(kernel_write(t->fs, "/sys/rom", "1\n", 10000), 0);
	char *data;
	size_t size;
	assert_int_equal(kernel_read(t->fs, "/sys/rom", 16, &data, &size), 0);
	assert_int_equal(size, 2);
	assert_memory_equal(data, "1\n", 2);
	free(data);
	/* an attribute that is not there is not made */
	assert_int_equal(kernel_write(t->fs, "/sys/none", "1\n", 10000), -ENOENT);
	assert_int_equal(kernel_read(t->fs, "/sys/none", 16, &data, &size), -ENOENT);
}

static void never_through_a_link(void **state)
{
	struct tree *t = *state;
	put(t, "/sys/target", "x");
	char link[PATH_MAX + 16];
	snprintf(link, sizeof(link), "%s/sys/link", t->dir);
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(kernel_write(t->fs, "/sys/link", "1\n", 10000), -ELOOP);
	char *data;
	size_t size;
	assert_int_equal(kernel_read(t->fs, "/sys/link", 16, &data, &size), -ELOOP);
}

static void reads_are_bounded(void **state)
{
	struct tree *t = *state;
	put(t, "/sys/big", "0123456789abcdefX");
	char *data;
	size_t size;
	assert_int_equal(kernel_read(t->fs, "/sys/big", 16, &data, &size), -EFBIG);
	assert_int_equal(kernel_read(t->fs, "/sys/big", 17, &data, &size), 0);
	assert_int_equal(size, 17);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_lands_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(never_through_a_link, setup, teardown),
		cmocka_unit_test_setup_teardown(reads_are_bounded, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
