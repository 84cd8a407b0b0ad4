#include "cluster.h"

#include "../lib/paths.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#define MEMBERS_MAX_DEPTH 8 /* {"nodelist": {"pve1": {...}}}: three levels deep */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A node name as a directory of /etc/pve/nodes can hold it. */
static bool node_name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* 0 with ret filled from .members (ret->from_members false: it has no nodelist), or -errno */
static int from_members(const char *text, size_t size, struct pve_nodes *ret,
			struct pcipt_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(MEMBERS_MAX_DEPTH);
	if (!tok)
		return error_set(err, -ENOMEM, "cannot parse %s", PATH_PVE_MEMBERS);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *root = json_tokener_parse_ex(tok, text, (int)size);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		return error_set(err, -EINVAL, "%s: not JSON: %s", PATH_PVE_MEMBERS,
				 json_tokener_error_desc(jerr));
	}
	int r = 0;
	struct json_object *list = NULL;
	if (!json_object_is_type(root, json_type_object)) {
		r = error_set(err, -EINVAL, "%s: not a JSON object", PATH_PVE_MEMBERS);
	} else if (json_object_object_get_ex(root, "nodelist", &list)) {
		if (!json_object_is_type(list, json_type_object)) {
			r = error_set(err, -EINVAL, "%s: nodelist is not an object",
				      PATH_PVE_MEMBERS);
		} else if (json_object_object_length(list) > PVE_MAX_NODES) {
			r = error_set(err, -E2BIG, "%s: more than %d nodes", PATH_PVE_MEMBERS,
				      PVE_MAX_NODES);
		} else {
			size_t n = 0;
			char **names = xcalloc((size_t)json_object_object_length(list) + 1,
					       sizeof(*names));
			json_object_object_foreach(list, name, value)
			{
				(void)value;
				if (!node_name_ok(name)) {
					r = error_set(err, -EINVAL, "%s: '%.60s' is no node name",
						      PATH_PVE_MEMBERS, name);
					break;
				}
				names[n++] = xstrdup(name);
			}
			if (r < 0) {
				for (size_t i = 0; i < n; i++)
					free(names[i]);
				free(names);
			} else {
				qsort(names, n, sizeof(*names), compare_names);
				*ret = (struct pve_nodes){names, n, true};
			}
		}
	}
	json_object_put(root);
	return r;
}

int pve_nodes_load(const struct rootfs *root, struct pve_nodes *ret, struct pcipt_error *err)
{
	struct pve_nodes nodes = {0};
	char *text;
	size_t size;
	struct pcipt_error terr;
	int r = text_file_read(root, PATH_PVE_MEMBERS, &text, &size, &terr);
	if (r == 0) {
		r = from_members(text, size, &nodes, err);
		free(text);
		if (r < 0)
			return r;
		if (nodes.from_members) {
			*ret = nodes;
			return 0;
		}
	} else if (r != -ENOENT) {
		return error_set(err, r, "%s: %s", PATH_PVE_MEMBERS, terr.message);
	}
	char **names;
	size_t n;
	r = rootfs_list(root, PATH_PVE_NODES, &names, &n);
	if (r == -ENOENT) {
		*ret = (struct pve_nodes){0};
		return 0;
	}
	if (r < 0)
		return error_set(err, r, "%s: %s", PATH_PVE_NODES, strerror(-r));
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		char *dir = xasprintf("%s/%s", PATH_PVE_NODES, names[i]);
		bool is_dir = rootfs_is_dir(root, dir);
		free(dir);
		if (is_dir && kept < PVE_MAX_NODES)
			names[kept++] = names[i];
		else
			free(names[i]);
	}
	*ret = (struct pve_nodes){names, kept, false};
	return 0;
}

void pve_nodes_free(struct pve_nodes *nodes)
{
	for (size_t i = 0; i < nodes->count; i++)
		free(nodes->names[i]);
	free(nodes->names);
	*nodes = (struct pve_nodes){0};
}

bool pve_nodes_has(const struct pve_nodes *nodes, const char *name)
{
	for (size_t i = 0; i < nodes->count; i++)
		if (strcmp(nodes->names[i], name) == 0)
			return true;
	return false;
}
