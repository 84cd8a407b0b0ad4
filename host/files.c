#include "files.h"

#include "sysfs.h"

#include "../lib/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <sha2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The ROM's bytes: read, parsed and (digest non-NULL) digested. */
static void rom_read(const struct rootfs *root, const char *path, struct host_rom *ret,
		     char digest[SHA256_DIGEST_STRING_LENGTH])
{
	*ret = (struct host_rom){0};
	char *data;
	size_t size;
	int r = rootfs_read(root, path, 0, HOST_ROM_MAX_SIZE, &data, &size);
	if (r < 0) {
		ret->read_error = r == -E2BIG ? -EFBIG : r;
		if (r == -EINVAL || r == -EISDIR)
			ret->kind = host_file_kind(root, path);
		return;
	}
	ret->size = size;
	ret->parsed =
		optionrom_parse((const uint8_t *)data, size, &ret->rom, &ret->parse_error) == 0;
	if (digest)
		SHA256Data((const uint8_t *)data, size, digest);
	free(data);
}

void host_rom_load(const struct rootfs *root, const char *path, struct host_rom *ret)
{
	rom_read(root, path, ret, NULL);
}

static int compare_files(const void *a, const void *b)
{
	return strcmp(((const struct host_file *)a)->path, ((const struct host_file *)b)->path);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct collect {
	const struct rootfs *root;
	struct host_files *files;
	size_t cap;
	int error;
	struct pcipt_error *err;
};

static void add_file(struct collect *c, const char *path, bool rom)
{
	if (c->files->count == HOST_FILES_MAX) {
		c->error = error_set(c->err, -E2BIG,
				     "more than %d files under the ROM and snippet directories",
				     HOST_FILES_MAX);
		return;
	}
	struct host_file f = {.path = xstrdup(path)};
	struct stat st;
	int r = rootfs_stat(c->root, path, &st);
	if (r < 0) {
		f.error = r;
	} else {
		f.mode = st.st_mode & 07777;
		f.regular = S_ISREG(st.st_mode);
	}
	if (rom) {
		f.is_rom = true;
		char digest[SHA256_DIGEST_STRING_LENGTH] = "";
		rom_read(c->root, path, &f.rom, digest);
		memcpy(f.digest, digest, sizeof(f.digest));
	}
	xgrow((void **)&c->files->items, &c->cap, c->files->count + 1, sizeof(*c->files->items));
	c->files->items[c->files->count++] = f;
}

/* Every entry below dir, depth directories deep at most; a directory (also one a link leads
 * to) is walked, anything else is a file.  The listing gives each entry's type: only a link,
 * or a filesystem that does not say, costs a stat to tell. */
static void walk(struct collect *c, const char *dir, bool rom, int depth)
{
	struct rootfs_entry *entries;
	size_t n;
	int r = rootfs_list_entries(c->root, dir, &entries, &n);
	if (r == -E2BIG) {
		c->error = error_set(c->err, r, "%s: %s", dir, host_list_error(r));
		return;
	}
	if (r < 0)
		return; /* absent or no directory: nothing in it */
	for (size_t i = 0; i < n && !c->error; i++) {
		char *path = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, entries[i].name);
		unsigned char type = entries[i].type;
		bool is_dir = type == DT_DIR || ((type == DT_LNK || type == DT_UNKNOWN) &&
						 rootfs_is_dir(c->root, path));
		if (is_dir) {
			if (depth > 1)
				walk(c, path, rom, depth - 1);
		} else {
			add_file(c, path, rom);
		}
		free(path);
	}
	rootfs_free_entries(entries, n);
}

static bool already_listed(const struct host_files *files, const char *dir)
{
	for (size_t i = 0; i < files->dir_count; i++)
		if (strcmp(files->dirs[i], dir) == 0)
			return true;
	return false;
}

int host_files_collect(const struct rootfs *root, const char *const *rom_dirs, size_t rom_dir_count,
		       const char *const *snippet_dirs, size_t snippet_dir_count,
		       struct host_files *ret, struct pcipt_error *err)
{
	struct host_files files = {0};
	struct collect c = {.root = root, .files = &files, .err = err};
	size_t dir_cap = 0;
	for (size_t i = 0; i < rom_dir_count + snippet_dir_count && !c.error; i++) {
		bool rom = i < rom_dir_count;
		const char *dir = rom ? rom_dirs[i] : snippet_dirs[i - rom_dir_count];
		if (already_listed(&files, dir))
			continue;
		xgrow((void **)&files.dirs, &dir_cap, files.dir_count + 1, sizeof(*files.dirs));
		files.dirs[files.dir_count++] = xstrdup(dir);
		walk(&c, dir, rom, HOST_FILES_MAX_DEPTH);
	}
	if (c.error) {
		host_files_free(&files);
		return c.error;
	}
	if (files.count > 1)
		qsort(files.items, files.count, sizeof(*files.items), compare_files);
	if (files.dir_count > 1)
		qsort(files.dirs, files.dir_count, sizeof(*files.dirs), compare_strings);
	*ret = files;
	return 0;
}

void host_files_free(struct host_files *files)
{
	for (size_t i = 0; i < files->count; i++)
		free(files->items[i].path);
	free(files->items);
	for (size_t i = 0; i < files->dir_count; i++)
		free(files->dirs[i]);
	free(files->dirs);
	*files = (struct host_files){0};
}

const struct host_file *host_files_find(const struct host_files *files, const char *path)
{
	if (!files->count)
		return NULL;
	struct host_file key = {.path = (char *)path};
	return bsearch(&key, files->items, files->count, sizeof(*files->items), compare_files);
}

bool host_files_listed(const struct host_files *files, const char *path)
{
	for (size_t i = 0; i < files->dir_count; i++) {
		size_t len = strlen(files->dirs[i]);
		if (strncmp(path, files->dirs[i], len) == 0 && path[len] == '/')
			return true;
	}
	return false;
}
