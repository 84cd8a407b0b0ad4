/* lib/rootfs: every path resolves inside the root, with openat2 and by hand alike. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree {
	char dir[PATH_MAX];     /* the root */
	char outside[PATH_MAX]; /* a file beside the root, which nothing may reach */
	struct rootfs *fs;
};

static void put(const char *root, const char *path, const char *text)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s", root, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *root, const char *path)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s", root, path);
	assert_int_equal(mkdir(full, 0755), 0);
}

static void ln(const char *root, const char *target, const char *path)
{
	char full[PATH_MAX];
	snprintf(full, sizeof(full), "%s%s", root, path);
	assert_int_equal(symlink(target, full), 0);
}

/* root/etc/secret "inside", a secret beside the root "outside", and links that try to leave */
static int setup(void **state, bool by_hand)
{
	struct tree *t = calloc(1, sizeof(*t));
	char base[] = "/tmp/pcipt-rootfs-XXXXXX";
	if (!t || !mkdtemp(base))
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/root", base);
	snprintf(t->outside, sizeof(t->outside), "%s/secret", base);
	mk(base, "/root");
	mk(t->dir, "/etc");
	mk(t->dir, "/sys");
	mk(t->dir, "/sys/devices");
	mk(t->dir, "/sys/devices/dev0");
	mk(t->dir, "/sys/bus");
	put(t->dir, "/etc/secret", "inside\n");
	put(base, "/secret", "outside\n");
	put(t->dir, "/sys/devices/dev0/vendor", "0x10de\n");
	ln(t->dir, "/etc/secret", "/abs-link");                /* absolute: the root's /etc */
	ln(t->dir, "../../../../../../secret", "/etc/dotdot"); /* ".." stops at the root */
	ln(t->dir, t->outside, "/etc/full-outside");    /* the real path of the outside file */
	ln(t->dir, "../devices/dev0", "/sys/bus/dev0"); /* a relative sysfs-like link */
	ln(t->dir, "loop2", "/loop1");
	ln(t->dir, "loop1", "/loop2");
	if (rootfs_new(t->dir, &t->fs) < 0)
		return -1;
	if (by_hand)
		rootfs_walk_by_hand(t->fs);
	*state = t;
	return 0;
}

static int setup_openat2(void **state)
{
	return setup(state, false);
}

static int setup_by_hand(void **state)
{
	return setup(state, true);
}

static int teardown(void **state)
{
	struct tree *t = *state;
	rootfs_free(t->fs);
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	unlink(t->outside);
	char *slash = strrchr(t->dir, '/');
	*slash = '\0';
	rmdir(t->dir);
	free(t);
	return 0;
}

static void read_text(struct rootfs *fs, const char *path, const char *want)
{
	char *data;
	size_t size;
	assert_int_equal(rootfs_read(fs, path, 0, 4096, &data, &size), 0);
	assert_string_equal(data, want);
	free(data);
}

static void links_never_leave_the_root(void **state)
{
	struct tree *t = *state;
	read_text(t->fs, "/etc/secret", "inside\n");
	read_text(t->fs, "/abs-link", "inside\n");
	/* ".." past the root is the root: root/secret does not exist */
	char *data;
	size_t size;
	assert_int_equal(rootfs_read(t->fs, "/etc/dotdot", 0, 4096, &data, &size), -ENOENT);
	/* the outside file's real path, taken as a path inside the root, is not there */
	assert_int_equal(rootfs_read(t->fs, "/etc/full-outside", 0, 4096, &data, &size), -ENOENT);
	assert_int_equal(rootfs_read(t->fs, "/../secret", 0, 4096, &data, &size), -ENOENT);
	read_text(t->fs, "/sys/bus/dev0/vendor", "0x10de\n");
	assert_int_equal(rootfs_read(t->fs, "/loop1", 0, 4096, &data, &size), -ELOOP);
}

static void nofollow_refuses_a_final_link(void **state)
{
	struct tree *t = *state;
	char *data;
	size_t size;
	assert_int_equal(rootfs_read(t->fs, "/abs-link", O_NOFOLLOW, 4096, &data, &size), -ELOOP);
	struct stat st;
	assert_int_equal(rootfs_lstat(t->fs, "/abs-link", &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(rootfs_stat(t->fs, "/abs-link", &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void reads_are_bounded(void **state)
{
	struct tree *t = *state;
	char *data;
	size_t size;
	assert_int_equal(rootfs_read(t->fs, "/etc/secret", 0, 7, &data, &size), 0);
	assert_int_equal(size, 7);
	free(data);
	assert_int_equal(rootfs_read(t->fs, "/etc/secret", 0, 6, &data, &size), -EFBIG);
	assert_int_equal(rootfs_read(t->fs, "/etc", 0, 6, &data, &size), -EISDIR);
	char fifo[PATH_MAX + 16];
	snprintf(fifo, sizeof(fifo), "%s/etc/fifo", t->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(rootfs_read(t->fs, "/etc/fifo", 0, 6, &data, &size), -EINVAL);
}

static void links_resolve_to_host_paths(void **state)
{
	struct tree *t = *state;
	char buf[64];
	assert_int_equal(rootfs_readlink(t->fs, "/sys/bus/dev0", buf, sizeof(buf)), 15);
	assert_string_equal(buf, "../devices/dev0");
	assert_int_equal(rootfs_readlink(t->fs, "/etc/secret", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(rootfs_readlink(t->fs, "/sys/bus/dev0", buf, 4), -ENAMETOOLONG);
	char *real;
	assert_int_equal(rootfs_resolve(t->fs, "/sys/bus/dev0", &real), 0);
	assert_string_equal(real, "/sys/devices/dev0");
	free(real);
	assert_int_equal(rootfs_resolve(t->fs, "/abs-link", &real), 0);
	assert_string_equal(real, "/etc/secret");
	free(real);
}

static void lists_sorted(void **state)
{
	struct tree *t = *state;
	char **names;
	size_t n;
	assert_int_equal(rootfs_list(t->fs, "/", &names, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(names[0], "abs-link");
	assert_string_equal(names[1], "etc");
	assert_string_equal(names[4], "sys");
	rootfs_free_names(names, n);
	assert_int_equal(rootfs_list(t->fs, "/etc/secret", &names, &n), -ENOTDIR);

	/* the same listing with the types the directory gives (the filesystems the tests run on
	 * all give them; DT_UNKNOWN is for those that do not) */
	struct rootfs_entry *entries;
	assert_int_equal(rootfs_list_entries(t->fs, "/", &entries, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(entries[0].name, "abs-link");
	assert_int_equal(entries[0].type, DT_LNK);
	assert_string_equal(entries[1].name, "etc");
	assert_int_equal(entries[1].type, DT_DIR);
	rootfs_free_entries(entries, n);
	assert_int_equal(rootfs_list_entries(t->fs, "/etc", &entries, &n), 0);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(entries[i].name, "secret") == 0)
			found = entries[i].type == DT_REG;
	assert_true(found);
	rootfs_free_entries(entries, n);

	/* an empty directory: nothing, and nothing to free wrongly */
	mk(t->dir, "/empty");
	assert_int_equal(rootfs_list(t->fs, "/empty", &names, &n), 0);
	assert_int_equal(n, 0);
	rootfs_free_names(names, n);
}

static void writes_stay_inside(void **state)
{
	struct tree *t = *state;
	/* a link planted where a directory should be leads inside the root, never outside */
	char out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s/../written", t->dir);
	ln(t->dir, out, "/etc/planted");
	assert_int_equal(rootfs_replace(t->fs, "/etc/planted/x", "a", 1, 0600), -ENOENT);
	assert_int_equal(access(out, F_OK), -1);
	/* replacing a link replaces the link, not what it points at */
	assert_int_equal(rootfs_replace(t->fs, "/abs-link", "new\n", 4, 0600), 0);
	read_text(t->fs, "/etc/secret", "inside\n");
	read_text(t->fs, "/abs-link", "new\n");
	assert_int_equal(rootfs_mkdir(t->fs, "/run", 0755), 0);
	assert_true(rootfs_is_dir(t->fs, "/run"));
	assert_int_equal(rootfs_mkdir(t->fs, "/run", 0755), -EEXIST);
	assert_int_equal(rootfs_unlink(t->fs, "/run", AT_REMOVEDIR), 0);
	assert_false(rootfs_exists(t->fs, "/run"));
	assert_int_equal(rootfs_unlink(t->fs, "/abs-link", 0), 0);
	assert_int_equal(rootfs_unlink(t->fs, "/", 0), -EINVAL);
}

static void new_files_never_replace(void **state)
{
	struct tree *t = *state;
	mode_t old = umask(077);
	assert_int_equal(rootfs_create_new(t->fs, "/etc/card.rom", "abc", 3, 0644), 0);
	umask(old);
	struct stat st;
	assert_int_equal(rootfs_stat(t->fs, "/etc/card.rom", &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644); /* the mode asked for, whatever the umask */
	read_text(t->fs, "/etc/card.rom", "abc");
	/* a file, a link, a dangling link: each stays as it is */
	assert_int_equal(rootfs_create_new(t->fs, "/etc/card.rom", "new", 3, 0644), -EEXIST);
	read_text(t->fs, "/etc/card.rom", "abc");
	assert_int_equal(rootfs_create_new(t->fs, "/abs-link", "new", 3, 0644), -EEXIST);
	read_text(t->fs, "/etc/secret", "inside\n");
	ln(t->dir, "/etc/nowhere", "/etc/dangling");
	assert_int_equal(rootfs_create_new(t->fs, "/etc/dangling", "new", 3, 0644), -EEXIST);
	assert_false(rootfs_exists(t->fs, "/etc/nowhere"));
	/* a link planted where the directory should be leads nowhere outside */
	char out[PATH_MAX + 16];
	snprintf(out, sizeof(out), "%s/../written", t->dir);
	ln(t->dir, out, "/etc/planted");
	assert_int_equal(rootfs_create_new(t->fs, "/etc/planted/x", "a", 1, 0644), -ENOENT);
	assert_int_equal(access(out, F_OK), -1);
	assert_int_equal(rootfs_create_new(t->fs, "/none/x", "a", 1, 0644), -ENOENT);
	/* no temporary file is left behind */
	char **names;
	size_t n;
	assert_int_equal(rootfs_list(t->fs, "/etc", &names, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(names[i][0] != '.');
	rootfs_free_names(names, n);
}

static void the_host_and_display_paths(void **state)
{
	struct tree *t = *state;
	const struct rootfs *host = rootfs_host();
	assert_true(rootfs_is_host(host));
	assert_false(rootfs_is_host(t->fs));
	char *data;
	size_t size;
	/* the host context reads the machine's own files (the outside secret) */
	assert_int_equal(rootfs_read(host, t->outside, 0, 4096, &data, &size), 0);
	assert_string_equal(data, "outside\n");
	free(data);
	char *shown = rootfs_display_path(t->fs, "/etc/secret");
	assert_true(strlen(shown) > strlen("/etc/secret"));
	assert_string_equal(shown + strlen(shown) - strlen("/etc/secret"), "/etc/secret");
	free(shown);
	struct rootfs *none;
	assert_int_equal(rootfs_new("/nonexistent-pcipt-root", &none), -ENOENT);
	assert_int_equal(rootfs_new(t->outside, &none), -ENOTDIR);
}

#define BOTH(test)                                                                                 \
	cmocka_unit_test_setup_teardown(test, setup_openat2, teardown),                            \
		cmocka_unit_test_setup_teardown(test, setup_by_hand, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(links_never_leave_the_root),
		BOTH(nofollow_refuses_a_final_link),
		BOTH(reads_are_bounded),
		BOTH(links_resolve_to_host_paths),
		BOTH(lists_sorted),
		BOTH(writes_stay_inside),
		BOTH(new_files_never_replace),
		BOTH(the_host_and_display_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
