#include "ha.h"

#include "propstr.h"

#include "../lib/paths.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One section of a SectionConfig file while it is read. */
struct section {
	char *type, *id;
	unsigned line;
};

/* A header `type: id` at column 0 (SectionConfig::parse_section_header: "^(\S+):\s*(\S+)\s*$") */
static bool parse_header(const char *line, struct section *ret)
{
	size_t tlen = strcspn(line, ": \t");
	if (!tlen || line[tlen] != ':')
		return false;
	const char *id = line + tlen + 1;
	id += strspn(id, " \t");
	size_t ilen = strcspn(id, " \t");
	if (!ilen || id[ilen + strspn(id + ilen, " \t")])
		return false;
	ret->type = xstrndup(line, tlen);
	ret->id = xstrndup(id, ilen);
	return true;
}

static void section_free(struct section *s)
{
	free(s->type);
	free(s->id);
	*s = (struct section){0};
}

/* A VMID as pve-ha-manager's vm resources name them ("^[1-9][0-9]+$", at most 9 digits as
 * qemu-server allows); -1 otherwise. */
static long parse_vmid(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 9 || s[0] < '1' || s[0] > '9' || strspn(s, "0123456789") != n)
		return -1;
	return strtol(s, NULL, 10);
}

/* `nodes pve1:2,pve2`: the names, priorities dropped (Tools::parse_node_priority).  false when
 * an element does not parse: the value is then dropped, as check_value would drop it. */
static bool parse_nodes(const char *value, char ***ret, size_t *ret_count)
{
	char **nodes = NULL;
	size_t n = 0, cap = 0;
	const char *p = value;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *item = xstrndup(p, len);
		char *colon = strchr(item, ':');
		if (colon) {
			*colon = '\0';
			const char *pri = colon + 1;
			if (*pri == '-')
				pri++;
			if (!*pri || strspn(pri, "0123456789") != strlen(pri))
				*item = '\0';
		}
		if (!*item || pve_check_configid(item)) {
			free(item);
			for (size_t i = 0; i < n; i++)
				free(nodes[i]);
			free(nodes);
			return false;
		}
		xgrow((void **)&nodes, &cap, n + 1, sizeof(*nodes));
		nodes[n++] = item;
		p += len;
		if (*p == ',')
			p++;
	}
	*ret = nodes;
	*ret_count = n;
	return n > 0;
}

/* `resources vm:100,vm:101` (a bare number is a VM too); only VMs are kept, containers are not
 * pcipt's. */
static void parse_resources(const char *value, long **ret, size_t *ret_count)
{
	long *vmids = NULL;
	size_t n = 0, cap = 0;
	const char *p = value;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *item = xstrndup(p, len);
		const char *id = strncmp(item, "vm:", 3) == 0 ? item + 3 : item;
		long vmid = parse_vmid(id);
		if (vmid > 0) {
			xgrow((void **)&vmids, &cap, n + 1, sizeof(*vmids));
			vmids[n++] = vmid;
		}
		free(item);
		p += len;
		if (*p == ',')
			p++;
	}
	*ret = vmids;
	*ret_count = n;
}

/* What the readers of the three files do with each section and key. */
struct reader {
	struct pve_ha *ha;
	size_t resource_cap, rule_cap;
	struct group { /* groups.cfg, until the resources say which are used */
		char *name;
		unsigned line;
		char **nodes;
		size_t node_count;
		bool restricted;
	} * groups;
	size_t group_count, group_cap;
};

enum file_kind { FILE_RESOURCES, FILE_GROUPS, FILE_RULES };

/* Start a section; false when this file has no such type (the section is skipped). */
static bool begin_section(struct reader *r, enum file_kind kind, const char *file,
			  const struct section *s)
{
	struct pve_ha *ha = r->ha;
	switch (kind) {
	case FILE_RESOURCES: {
		long vmid = parse_vmid(s->id);
		if (strcmp(s->type, "vm") != 0 || vmid < 0)
			return false;
		xgrow((void **)&ha->resources, &r->resource_cap, ha->resource_count + 1,
		      sizeof(*ha->resources));
		ha->resources[ha->resource_count++] =
			(struct pve_ha_resource){.vmid = vmid, .line = s->line};
		return true;
	}
	case FILE_GROUPS:
		if (strcmp(s->type, "group") != 0 || pve_check_configid(s->id))
			return false;
		xgrow((void **)&r->groups, &r->group_cap, r->group_count + 1, sizeof(*r->groups));
		r->groups[r->group_count++] =
			(struct group){.name = xstrdup(s->id), .line = s->line};
		return true;
	case FILE_RULES:
		/* resource-affinity rules move VMs together or apart, never onto other nodes */
		if (strcmp(s->type, "node-affinity") != 0 || pve_check_configid(s->id))
			return false;
		xgrow((void **)&ha->rules, &r->rule_cap, ha->rule_count + 1, sizeof(*ha->rules));
		ha->rules[ha->rule_count++] = (struct pve_ha_affinity){
			.id = xstrdup(s->id), .file = file, .line = s->line};
		return true;
	}
	return false;
}

static void set_key(struct reader *r, enum file_kind kind, const char *key, const char *value)
{
	struct pve_ha *ha = r->ha;
	switch (kind) {
	case FILE_RESOURCES: {
		struct pve_ha_resource *res = &ha->resources[ha->resource_count - 1];
		if (strcmp(key, "state") == 0) {
			if (strcmp(value, "started") == 0 || strcmp(value, "enabled") == 0)
				res->state = PVE_HA_STARTED;
			else if (strcmp(value, "stopped") == 0)
				res->state = PVE_HA_STOPPED;
			else if (strcmp(value, "disabled") == 0)
				res->state = PVE_HA_DISABLED;
			else if (strcmp(value, "ignored") == 0)
				res->state = PVE_HA_IGNORED;
		} else if (strcmp(key, "group") == 0 && !pve_check_configid(value)) {
			free(res->group);
			res->group = xstrdup(value);
		}
		return;
	}
	case FILE_GROUPS: {
		struct group *g = &r->groups[r->group_count - 1];
		if (strcmp(key, "nodes") == 0) {
			char **nodes;
			size_t n;
			if (parse_nodes(value, &nodes, &n)) {
				for (size_t i = 0; i < g->node_count; i++)
					free(g->nodes[i]);
				free(g->nodes);
				g->nodes = nodes;
				g->node_count = n;
			}
		} else if (strcmp(key, "restricted") == 0) {
			g->restricted = pve_parse_boolean(value) == 1;
		}
		return;
	}
	case FILE_RULES: {
		struct pve_ha_affinity *a = &ha->rules[ha->rule_count - 1];
		if (strcmp(key, "nodes") == 0) {
			char **nodes;
			size_t n;
			if (parse_nodes(value, &nodes, &n)) {
				for (size_t i = 0; i < a->node_count; i++)
					free(a->nodes[i]);
				free(a->nodes);
				a->nodes = nodes;
				a->node_count = n;
			}
		} else if (strcmp(key, "resources") == 0) {
			free(a->vmids);
			parse_resources(value, &a->vmids, &a->vmid_count);
		} else if (strcmp(key, "strict") == 0) {
			a->strict = pve_parse_boolean(value) == 1;
		} else if (strcmp(key, "disable") == 0) {
			a->disabled = pve_parse_boolean(value) == 1;
		}
		return;
	}
	}
}

/* SectionConfig::parse_config over one file's text. */
static void parse_text(const struct text_file *text, const char *path, enum file_kind kind,
		       struct reader *r)
{
	bool in_section = false;
	for (size_t i = 0; i < text->line_count; i++) {
		const char *line = text->lines[i].text;
		const char *first = line + strspn(line, " \t");
		if (!*first) {
			in_section = false; /* a blank line ends a section */
			continue;
		}
		if (*line == '#')
			continue;
		if (first == line) {
			struct section s = {.line = text->lines[i].number};
			in_section = parse_header(line, &s) && begin_section(r, kind, path, &s);
			section_free(&s);
			continue;
		}
		if (!in_section)
			continue;
		size_t klen = strcspn(first, " \t");
		char *key = xstrndup(first, klen);
		char *value = xstrdup(first + klen + strspn(first + klen, " \t"));
		size_t vlen = strlen(value);
		while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
			value[--vlen] = '\0';
		/* a bare key is a boolean set to 1 */
		set_key(r, kind, key, vlen ? value : "1");
		free(key);
		free(value);
	}
}

/* PVE 9 turns each group into a node-affinity rule of the resources that name it
 * (Groups::migrate_groups_to_rules): "ha-group-NAME", strict when restricted. */
static void groups_to_rules(struct reader *r)
{
	struct pve_ha *ha = r->ha;
	for (size_t g = 0; g < r->group_count; g++) {
		struct group *group = &r->groups[g];
		struct pve_ha_affinity a = {
			.id = xasprintf("ha-group-%s", group->name),
			.file = PATH_PVE_HA_GROUPS,
			.line = group->line,
			.nodes = group->nodes,
			.node_count = group->node_count,
			.strict = group->restricted,
		};
		group->nodes = NULL;
		group->node_count = 0;
		size_t cap = 0;
		for (size_t i = 0; i < ha->resource_count; i++) {
			const struct pve_ha_resource *res = &ha->resources[i];
			if (res->group && strcmp(res->group, group->name) == 0) {
				xgrow((void **)&a.vmids, &cap, a.vmid_count + 1, sizeof(*a.vmids));
				a.vmids[a.vmid_count++] = res->vmid;
			}
		}
		/* a group of no nodes (its nodes did not parse) is no rule */
		if (!a.node_count)
			a.disabled = true;
		xgrow((void **)&ha->rules, &r->rule_cap, ha->rule_count + 1, sizeof(*ha->rules));
		ha->rules[ha->rule_count++] = a;
	}
}

static void free_groups(struct reader *r)
{
	for (size_t g = 0; g < r->group_count; g++) {
		for (size_t i = 0; i < r->groups[g].node_count; i++)
			free(r->groups[g].nodes[i]);
		free(r->groups[g].nodes);
		free(r->groups[g].name);
	}
	free(r->groups);
}

void pve_ha_parse(const struct text_file *resources, const struct text_file *rules,
		  const struct text_file *groups, struct pve_ha *ret)
{
	struct pve_ha ha = {0};
	struct reader r = {.ha = &ha};
	if (resources)
		parse_text(resources, PATH_PVE_HA_RESOURCES, FILE_RESOURCES, &r);
	if (rules)
		parse_text(rules, PATH_PVE_HA_RULES, FILE_RULES, &r);
	if (groups)
		parse_text(groups, PATH_PVE_HA_GROUPS, FILE_GROUPS, &r);
	groups_to_rules(&r);
	free_groups(&r);
	/* a rule without nodes or resources is refused by the schema: no rule */
	for (size_t i = 0; i < ha.rule_count; i++) {
		if (!ha.rules[i].node_count || !ha.rules[i].vmid_count)
			ha.rules[i].disabled = true;
	}
	*ret = ha;
}

int pve_ha_load(const struct rootfs *root, struct pve_ha *ret, struct pcipt_error *err)
{
	static const char *const paths[] = {PATH_PVE_HA_RESOURCES, PATH_PVE_HA_RULES,
					    PATH_PVE_HA_GROUPS};
	struct text_file text[3];
	bool have[3] = {false, false, false};
	int r = 0;
	for (size_t i = 0; i < 3 && r == 0; i++) {
		r = text_file_load(root, paths[i], &text[i], err);
		have[i] = r == 0;
		if (r == -ENOENT)
			r = 0; /* a missing file is an empty one */
		else if (r < 0)
			error_prefix(err, "%s", paths[i]);
	}
	if (r == 0)
		pve_ha_parse(have[0] ? &text[0] : NULL, have[1] ? &text[1] : NULL,
			     have[2] ? &text[2] : NULL, ret);
	for (size_t i = 0; i < 3; i++) {
		if (have[i])
			text_file_free(&text[i]);
	}
	return r;
}

void pve_ha_free(struct pve_ha *ha)
{
	for (size_t i = 0; i < ha->resource_count; i++)
		free(ha->resources[i].group);
	free(ha->resources);
	for (size_t i = 0; i < ha->rule_count; i++) {
		for (size_t k = 0; k < ha->rules[i].node_count; k++)
			free(ha->rules[i].nodes[k]);
		free(ha->rules[i].nodes);
		free(ha->rules[i].vmids);
		free(ha->rules[i].id);
	}
	free(ha->rules);
	*ha = (struct pve_ha){0};
}

const char *pve_ha_state_name(enum pve_ha_state state)
{
	static const char *const names[] = {
		[PVE_HA_STARTED] = "started",
		[PVE_HA_STOPPED] = "stopped",
		[PVE_HA_DISABLED] = "disabled",
		[PVE_HA_IGNORED] = "ignored",
	};
	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

const struct pve_ha_resource *pve_ha_find(const struct pve_ha *ha, long vmid)
{
	for (size_t i = 0; i < ha->resource_count; i++) {
		if (ha->resources[i].vmid == vmid)
			return &ha->resources[i];
	}
	return NULL;
}

bool pve_ha_recovers(const struct pve_ha_resource *r)
{
	return r->state == PVE_HA_STARTED || r->state == PVE_HA_STOPPED;
}

static bool rule_names(const struct pve_ha_affinity *a, long vmid)
{
	for (size_t i = 0; i < a->vmid_count; i++) {
		if (a->vmids[i] == vmid)
			return true;
	}
	return false;
}

/* How many enabled rules name vmid. */
static size_t rules_naming(const struct pve_ha *ha, long vmid)
{
	size_t n = 0;
	for (size_t i = 0; i < ha->rule_count; i++)
		n += !ha->rules[i].disabled && rule_names(&ha->rules[i], vmid);
	return n;
}

const struct pve_ha_affinity *pve_ha_affinity_of(const struct pve_ha *ha, long vmid)
{
	const struct pve_ha_affinity *found = NULL;
	for (size_t i = 0; i < ha->rule_count; i++) {
		const struct pve_ha_affinity *a = &ha->rules[i];
		if (a->disabled || !rule_names(a, vmid))
			continue;
		if (found)
			return NULL; /* two rules for one VM: both are dropped */
		found = a;
	}
	/* NodeAffinity::check_single_resource_reference drops every rule that names a resource
	 * some other rule names too, so a rule can fall for another VM's sake */
	for (size_t i = 0; found && i < found->vmid_count; i++) {
		if (rules_naming(ha, found->vmids[i]) > 1)
			return NULL;
	}
	return found;
}
