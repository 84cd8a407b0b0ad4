#include "storage.h"

#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORAGE_MAX_ITEMS 4096

/* Types whose volumes are files under a path; network types mount at /mnt/pve/ID unless
 * `path` says otherwise (PVE::Storage::*Plugin). */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool type_in(const char *type, const char *const *types, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(type, types[i]) == 0)
			return true;
	}
	return false;
}

static void finish(struct pve_storage *s)
{
	static const char *const file_types[] = {"dir",    "nfs",       "cifs",
						 "cephfs", "glusterfs", "btrfs"};
	static const char *const network_types[] = {"nfs", "cifs", "cephfs", "glusterfs"};
	s->network = type_in(s->type, network_types, COUNT(network_types));
	/* network storages are shared whatever the config says (their plugins' `shared`) */
	s->shared |= s->network;
	if (!s->path && type_in(s->type, file_types, COUNT(file_types)) &&
	    strcmp(s->type, "dir") != 0)
		s->path = xasprintf("/mnt/pve/%s", s->id);
}

static bool list_has(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ", ");
		if (len == wl && strncmp(p, word, wl) == 0)
			return true;
		p += len;
		p += strspn(p, ", ");
	}
	return false;
}

static bool has_dotdot(const char *path)
{
	for (const char *p = path; *p; p += strcspn(p, "/"), p += *p == '/') {
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return true;
	}
	return false;
}

/* The directory `content-dirs` (VTYPE=DIR,...) gives vtype, or NULL.  pve-storage takes DIR
 * relative to the storage path; one that is absolute or climbs with ".." is ignored here, as
 * pve-storage refuses such a config. */
static char *content_dir(const char *value, size_t vlen, const char *vtype)
{
	char *list = xstrndup(value, vlen), *found = NULL;
	size_t tl = strlen(vtype);
	for (char *item = strtok(list, ","); item && !found; item = strtok(NULL, ",")) {
		while (*item == ' ')
			item++;
		if (strncmp(item, vtype, tl) != 0 || item[tl] != '=')
			continue;
		const char *dir = item + tl + 1;
		if (*dir && *dir != '/' && !has_dotdot(dir))
			found = xstrdup(dir);
	}
	free(list);
	return found;
}

void pve_storages_parse(const struct text_file *text, struct pve_storages *ret)
{
	struct pve_storages s = {0};
	size_t cap = 0;
	struct pve_storage *cur = NULL;
	for (size_t i = 0; i < text->line_count; i++) {
		const char *line = text->lines[i].text;
		if (*line == '#')
			continue;
		if (*line && !isspace((unsigned char)*line)) {
			/* "TYPE: ID" starts a section */
			if (cur)
				finish(cur);
			cur = NULL;
			const char *colon = strchr(line, ':');
			if (!colon || s.count >= STORAGE_MAX_ITEMS)
				continue;
			const char *id = colon + 1;
			while (*id == ' ' || *id == '\t')
				id++;
			size_t idlen = strcspn(id, " \t");
			if (idlen == 0 || colon == line)
				continue;
			xgrow((void **)&s.items, &cap, s.count + 1, sizeof(*s.items));
			cur = &s.items[s.count++];
			*cur = (struct pve_storage){.type = xstrndup(line, (size_t)(colon - line)),
						    .id = xstrndup(id, idlen),
						    .line = text->lines[i].number};
			continue;
		}
		if (!cur)
			continue;
		while (isspace((unsigned char)*line))
			line++;
		size_t klen = strcspn(line, " \t");
		const char *value = line + klen;
		while (*value == ' ' || *value == '\t')
			value++;
		size_t vlen = strlen(value);
		while (vlen && isspace((unsigned char)value[vlen - 1]))
			vlen--;
		if (klen == 4 && strncmp(line, "path", 4) == 0) {
			free(cur->path);
			cur->path = xstrndup(value, vlen);
		} else if (klen == 7 && strncmp(line, "content", 7) == 0) {
			char *v = xstrndup(value, vlen);
			cur->snippets = list_has(v, "snippets");
			free(v);
		} else if (klen == 7 && strncmp(line, "disable", 7) == 0) {
			cur->disabled = vlen == 0 || value[0] == '1';
		} else if (klen == 6 && strncmp(line, "shared", 6) == 0) {
			cur->shared = vlen == 0 || value[0] == '1';
		} else if (klen == 5 && strncmp(line, "nodes", 5) == 0) {
			free(cur->nodes);
			cur->nodes = xstrndup(value, vlen);
		} else if (klen == 12 && strncmp(line, "content-dirs", 12) == 0) {
			free(cur->snippets_dir);
			cur->snippets_dir = content_dir(value, vlen, "snippets");
		}
	}
	if (cur)
		finish(cur);
	/* PVE::Storage::Plugin::parse_config always has `local`, a dir at /var/lib/vz */
	bool has_local = false;
	for (size_t i = 0; i < s.count; i++)
		has_local |= strcmp(s.items[i].id, "local") == 0;
	if (!has_local) {
		xgrow((void **)&s.items, &cap, s.count + 1, sizeof(*s.items));
		s.items[s.count++] = (struct pve_storage){.type = xstrdup("dir"),
							  .id = xstrdup("local"),
							  .path = xstrdup("/var/lib/vz"),
							  .snippets = true};
	}
	*ret = s;
}

void pve_storages_default(struct pve_storages *ret)
{
	ret->items = xcalloc(1, sizeof(*ret->items));
	ret->items[0] = (struct pve_storage){.type = xstrdup("dir"),
					     .id = xstrdup("local"),
					     .path = xstrdup("/var/lib/vz"),
					     .snippets = true};
	ret->count = 1;
}

int pve_storages_load(const struct rootfs *fs, const char *path, struct pve_storages *ret,
		      struct pcipt_error *err)
{
	struct text_file text;
	int r = text_file_load(fs, path, &text, err);
	if (r == -ENOENT) {
		pve_storages_default(ret);
		return 0;
	}
	if (r < 0)
		return r;
	pve_storages_parse(&text, ret);
	text_file_free(&text);
	return 0;
}

const struct pve_storage *pve_storages_find(const struct pve_storages *s, const char *id)
{
	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->items[i].id, id) == 0)
			return &s->items[i];
	}
	return NULL;
}

void pve_storages_free(struct pve_storages *s)
{
	for (size_t i = 0; i < s->count; i++) {
		free(s->items[i].type);
		free(s->items[i].id);
		free(s->items[i].path);
		free(s->items[i].nodes);
		free(s->items[i].snippets_dir);
	}
	free(s->items);
	*s = (struct pve_storages){0};
}

int pve_snippet_path(const struct pve_storages *s, const char *volume, char **ret_path,
		     struct pcipt_error *err)
{
	const char *colon = strchr(volume, ':');
	if (!colon)
		return error_set(err, -EINVAL, "is not a volume id (STORAGE:snippets/NAME)");
	char *id = xstrndup(volume, (size_t)(colon - volume));
	const struct pve_storage *st = pve_storages_find(s, id);
	free(id);
	const char *volname = colon + 1;
	/* PVE::Storage::Plugin::parse_volname: snippets/NAME with no further directory */
	if (strncmp(volname, "snippets/", 9) != 0 || !volname[9] || strchr(volname + 9, '/'))
		return error_set(err, -EINVAL, "is not in the snippets directory of its storage");
	if (!st)
		return error_set(err, -EINVAL,
				 "names a storage that /etc/pve/storage.cfg does not define");
	if (!st->path)
		return error_set(err, -EINVAL,
				 "is on a storage that holds no files (no snippets directory)");
	/* PVE::Storage::Plugin::verify_path: "value does not look like a valid absolute path";
	 * resolved here it would name a place relative to whatever directory */
	if (st->path[0] != '/')
		return error_set(
			err, -EINVAL,
			"is on a storage whose path is not absolute, which Proxmox refuses");
	char *dir = pve_storage_snippets_dir(st);
	*ret_path = xasprintf("%s/%s", dir, volname + 9);
	free(dir);
	return 0;
}

char *pve_storage_snippets_dir(const struct pve_storage *s)
{
	if (!s->path || s->path[0] != '/')
		return NULL;
	/* PVE::Storage::Plugin::get_subdir: content-dirs, else the type's own directory */
	return xasprintf("%s/%s", s->path, s->snippets_dir ? s->snippets_dir : "snippets");
}

bool pve_storage_on_node(const struct pve_storage *s, const char *node)
{
	return !s->nodes || (node && list_has(s->nodes, node));
}
