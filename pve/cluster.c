#include "cluster.h"

#include "../lib/paths.h"
#include "vmconfig.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBERS_MAX_DEPTH 8 /* {"nodelist": {"pve1": {...}}}: three levels deep */
#define VMLIST_MAX_DEPTH 8  /* {"ids": {"100": {...}}}: three levels deep too */

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A node name as a directory of /etc/pve/nodes can hold it. */
static bool node_name_ok(const char *name)
{
	return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Strict JSON text of a pmxcfs file as one object; NULL with err set. */
static struct json_object *parse_object(const char *path, const char *text, size_t size, int depth,
					struct pcipt_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	if (!tok) {
		error_set(err, -ENOMEM, "cannot parse %s", path);
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *root = json_tokener_parse_ex(tok, text, (int)size);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (!root || jerr != json_tokener_success) {
		json_object_put(root);
		error_set(err, -EINVAL, "%s: not JSON: %s", path, json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		error_set(err, -EINVAL, "%s: not a JSON object", path);
		return NULL;
	}
	return root;
}

/* 0 with ret filled from .members (ret->from_members false: it has no nodelist), or -errno */
static int from_members(const char *text, size_t size, struct pve_nodes *ret,
			struct pcipt_error *err)
{
	struct json_object *root =
		parse_object(PATH_PVE_MEMBERS, text, size, MEMBERS_MAX_DEPTH, err);
	if (!root)
		return err->code;
	int r = 0;
	struct json_object *list = NULL;
	if (json_object_object_get_ex(root, "nodelist", &list)) {
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

/* The node .vmlist names for vmid: 0 with *ret_node, 1 when it names none, or -errno. */
static int node_from_vmlist(const char *text, size_t size, long vmid, char **ret_node,
			    struct pcipt_error *err)
{
	struct json_object *root = parse_object(PATH_PVE_VMLIST, text, size, VMLIST_MAX_DEPTH, err);
	if (!root)
		return err->code;
	char key[24];
	snprintf(key, sizeof(key), "%ld", vmid);
	struct json_object *ids, *entry, *node, *type;
	int r = 1;
	if (!json_object_object_get_ex(root, "ids", &ids) ||
	    !json_object_is_type(ids, json_type_object)) {
		r = error_set(err, -EINVAL, "%s: no ids object", PATH_PVE_VMLIST);
	} else if (json_object_object_get_ex(ids, key, &entry)) {
		if (!json_object_is_type(entry, json_type_object) ||
		    !json_object_object_get_ex(entry, "node", &node) ||
		    !json_object_is_type(node, json_type_string) ||
		    !node_name_ok(json_object_get_string(node)))
			r = error_set(err, -EINVAL, "%s: the entry of %s names no node",
				      PATH_PVE_VMLIST, key);
		else if (json_object_object_get_ex(entry, "type", &type) &&
			 json_object_is_type(type, json_type_string) &&
			 strcmp(json_object_get_string(type), "qemu") != 0)
			r = error_set(err, -EINVAL, "%ld is a container (%s) on node %s, not a VM",
				      vmid, json_object_get_string(type),
				      json_object_get_string(node));
		else {
			*ret_node = xstrdup(json_object_get_string(node));
			r = 0;
		}
	}
	json_object_put(root);
	return r;
}

int pve_vm_node(const struct rootfs *root, const struct pve_nodes *nodes, long vmid,
		char **ret_node, struct pcipt_error *err)
{
	char *text;
	size_t size;
	struct pcipt_error terr;
	int r = text_file_read(root, PATH_PVE_VMLIST, &text, &size, &terr);
	if (r == 0) {
		r = node_from_vmlist(text, size, vmid, ret_node, err);
		free(text);
		if (r <= 0)
			return r;
	} else if (r != -ENOENT) {
		return error_set(err, r, "%s: %s", PATH_PVE_VMLIST, terr.message);
	}
	char *found = NULL;
	for (size_t i = 0; i < nodes->count; i++) {
		char *path = pve_node_vm_config_path(nodes->names[i], vmid);
		bool there = rootfs_exists(root, path);
		free(path);
		if (!there)
			continue;
		if (found) {
			r = error_set(err, -EINVAL,
				      "VM %ld has a config on node %s and on node %s (pmxcfs keeps "
				      "one: is this copy of /etc/pve torn?)",
				      vmid, found, nodes->names[i]);
			free(found);
			return r;
		}
		found = xstrdup(nodes->names[i]);
	}
	if (!found)
		return error_set(err, -ENOENT, "there is no VM %ld on any node of this cluster",
				 vmid);
	*ret_node = found;
	return 0;
}

static int compare_vmids(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

int pve_dir_vmids(const struct rootfs *root, const char *dir, long **ret, size_t *ret_count,
		  struct pcipt_error *err)
{
	char **names;
	size_t count;
	int r = rootfs_list(root, dir, &names, &count);
	if (r < 0) {
		char *shown = rootfs_display_path(root, dir);
		if (r == -E2BIG)
			error_set(err, r, "cannot read %s: more than %d entries", shown,
				  ROOTFS_MAX_DIR_ENTRIES);
		else
			error_set(err, r, "cannot read %s: %s", shown, strerror(-r));
		free(shown);
		return r;
	}
	long *vmids = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < count; i++) {
		long vmid = pve_vmid_from_path(names[i]);
		if (vmid < 0)
			continue;
		xgrow((void **)&vmids, &cap, n + 1, sizeof(*vmids));
		vmids[n++] = vmid;
	}
	rootfs_free_names(names, count);
	if (n > 1)
		qsort(vmids, n, sizeof(*vmids), compare_vmids);
	*ret = vmids;
	*ret_count = n;
	return 0;
}
