#include "mapping.h"

#include "propstr.h"
#include "../lib/pciaddr.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VVVV:DDDD, hex, either case */
static bool parse_id_pair(const char *s, unsigned *a, unsigned *b)
{
	if (strlen(s) != 9 || s[4] != ':' || strspn(s, "0123456789abcdefABCDEF") != 4 ||
	    strspn(s + 5, "0123456789abcdefABCDEF") != 4)
		return false;
	*a = (unsigned)strtoul(s, NULL, 16);
	*b = (unsigned)strtoul(s + 5, NULL, 16);
	return true;
}

static const char *check_id_pair(const char *v)
{
	unsigned a, b;
	return parse_id_pair(v, &a, &b) ? NULL : "value does not match the regex pattern";
}

/* [a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(\.[a-f0-9])?, ';'-separated: the domain is required.
 * Lowercase only ($PCI_RE in PVE::Mapping::PCI; JSONSchema matches patterns case-sensitively),
 * so Proxmox skips a map line with "0000:0A:00" and finds no device for it on this node. */
#define PATH_ID_FLAGS PCI_ADDR_DOMAIN_REQUIRED

static const char *check_path(const char *v)
{
	return pve_pci_id_list_parse(v, PATH_ID_FLAGS, NULL, NULL) < 0
		       ? "value does not match the regex pattern"
		       : NULL;
}

static const struct prop_schema map_schema[] = {
	{.name = "node", .type = PROP_STRING},
	{.name = "id", .type = PROP_STRING, .check = check_id_pair},
	{.name = "subsystem-id", .type = PROP_STRING, .check = check_id_pair},
	{.name = "path", .type = PROP_STRING, .check = check_path},
	{.name = "iommugroup", .type = PROP_INTEGER, .min = 0, .max = 1000000},
	{.name = "description", .type = PROP_STRING},
	{0},
};

static void add_problem(struct pve_mappings *m, size_t *cap, unsigned line, char *message)
{
	xgrow((void **)&m->problems, cap, m->problem_count + 1, sizeof(*m->problems));
	m->problems[m->problem_count++] = (struct pve_mapping_problem){line, message};
}

static int parse_map_line(const char *value, unsigned line, struct pve_mapping_entry *ret,
			  struct pcipt_error *err)
{
	struct prop_list props;
	struct prop_errors errors;
	int r = propstr_parse(map_schema, value, &props, &errors);
	if (r < 0) {
		char *text = prop_errors_text(&errors);
		error_set(err, r, "%s", text);
		free(text);
		prop_errors_free(&errors);
		return r;
	}
	struct pve_mapping_entry e = {.iommu_group = -1, .line = line};
	const char *node = propstr_get(&props, "node"), *id = propstr_get(&props, "id");
	const char *sub = propstr_get(&props, "subsystem-id"), *path = propstr_get(&props, "path");
	const char *group = propstr_get(&props, "iommugroup");
	if (!node || !id || !path) {
		propstr_free(&props);
		return error_set(err, -EINVAL, "a map line needs node=, id= and path=");
	}
	e.node = xstrdup(node);
	e.path = xstrdup(path);
	/* cannot fail: check_path accepted every ID */
	pve_pci_id_list_parse(path, PATH_ID_FLAGS, &e.ids, &e.id_count);
	parse_id_pair(id, &e.vendor, &e.device);
	snprintf(e.id_text, sizeof(e.id_text), "%s", id);
	if (sub) {
		e.has_subsystem = true;
		parse_id_pair(sub, &e.subsystem_vendor, &e.subsystem_device);
		snprintf(e.subsystem_text, sizeof(e.subsystem_text), "%s", sub);
	}
	if (group)
		e.iommu_group = atoi(group);
	propstr_free(&props);
	*ret = e;
	return 0;
}

void pve_mappings_parse(const struct text_file *text, const char *display_path,
			struct pve_mappings *ret)
{
	struct pve_mappings m = {.path = xstrdup(display_path)};
	size_t cap = 0, problem_cap = 0, entry_cap = 0;
	struct pve_mapping *current = NULL;
	for (size_t i = 0; i < text->line_count; i++) {
		const char *line = text->lines[i].text;
		unsigned number = text->lines[i].number;
		const char *first = line + strspn(line, " \t");
		if (!*first) {
			current = NULL; /* a blank line ends a section */
			continue;
		}
		if (*first == '#')
			continue;
		if (first == line) {
			/* section header: the mapping's id (pve-configid) */
			size_t len = strcspn(line, " \t");
			char *name = xstrndup(line, len);
			if (line[len + strspn(line + len, " \t")] || pve_check_configid(name)) {
				add_problem(
					&m, &problem_cap, number,
					xasprintf("'%.60s' is not a mapping name; Proxmox skips "
						  "this section",
						  line));
				free(name);
				current = NULL;
				continue;
			}
			xgrow((void **)&m.items, &cap, m.count + 1, sizeof(*m.items));
			current = &m.items[m.count++];
			*current = (struct pve_mapping){.name = name, .line = number};
			entry_cap = 0;
			continue;
		}
		if (!current)
			continue; /* inside a skipped section */
		size_t klen = strcspn(first, " \t");
		const char *value = first + klen + strspn(first + klen, " \t");
		if (klen == 3 && strncmp(first, "map", 3) == 0) {
			struct pve_mapping_entry e;
			struct pcipt_error why;
			if (parse_map_line(value, number, &e, &why) < 0) {
				add_problem(
					&m, &problem_cap, number,
					xasprintf("map of '%s': %s", current->name, why.message));
				continue;
			}
			xgrow((void **)&current->entries, &entry_cap, current->entry_count + 1,
			      sizeof(*current->entries));
			current->entries[current->entry_count++] = e;
		} else if (klen == 4 && strncmp(first, "mdev", 4) == 0) {
			current->mdev = pve_parse_boolean(value) == 1;
		} else if (klen == 22 && strncmp(first, "live-migration-capable", 22) == 0) {
			current->live_migration_capable = pve_parse_boolean(value) == 1;
		}
	}
	*ret = m;
}

const struct pve_mapping *pve_mappings_find(const struct pve_mappings *m, const char *name)
{
	for (size_t i = 0; m && i < m->count; i++) {
		if (strcmp(m->items[i].name, name) == 0)
			return &m->items[i];
	}
	return NULL;
}

bool pve_mapping_on_node(const struct pve_mapping *m, const char *node)
{
	for (size_t k = 0; k < m->entry_count; k++) {
		if (strcmp(m->entries[k].node, node) == 0)
			return true;
	}
	return false;
}

void pve_mappings_free(struct pve_mappings *m)
{
	for (size_t i = 0; i < m->count; i++) {
		for (size_t k = 0; k < m->items[i].entry_count; k++) {
			free(m->items[i].entries[k].node);
			free(m->items[i].entries[k].path);
			free(m->items[i].entries[k].ids);
		}
		free(m->items[i].entries);
		free(m->items[i].name);
	}
	free(m->items);
	for (size_t i = 0; i < m->problem_count; i++)
		free(m->problems[i].message);
	free(m->problems);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

int pve_mappings_load(const struct rootfs *fs, const char *path, const char *display_path,
		      struct pve_mappings *ret, struct pcipt_error *err)
{
	struct text_file text;
	int r = text_file_load(fs, path, &text, err);
	if (r < 0)
		return r;
	pve_mappings_parse(&text, display_path, ret);
	text_file_free(&text);
	return 0;
}
