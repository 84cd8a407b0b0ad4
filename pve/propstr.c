#include "propstr.h"

#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int pve_parse_boolean(const char *word)
{
	static const char *const yes[] = {"1", "on", "yes", "true"};
	static const char *const no[] = {"0", "off", "no", "false"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(word, yes[i]) == 0)
			return 1;
		if (strcasecmp(word, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* pve-configid: ^[a-z][a-z0-9_-]+$, case-insensitive (pve-common JSONSchema.pm) */
const char *pve_check_configid(const char *value)
{
	if (!isalpha((unsigned char)value[0]) || !value[1])
		return "invalid configuration ID";
	for (const char *p = value + 1; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return "invalid configuration ID";
	}
	return NULL;
}

/* pve-storage-id: ^[a-z][a-z0-9\-\_\.]*[a-z0-9]$ (case-insensitive) */
static bool is_storage_id(const char *s, size_t n)
{
	if (n < 2 || !isalpha((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* pve-volume-id: STORAGE:VOLNAME with a storage id before the first colon and a
 * non-empty rest (PVE::JSONSchema::parse_volume_id) */
const char *pve_check_volume_id(const char *value)
{
	const char *colon = strchr(value, ':');
	if (!colon || !colon[1] || !is_storage_id(value, (size_t)(colon - value)))
		return "unable to parse volume ID";
	return NULL;
}

static bool in_enum(const char *const *values, const char *v)
{
	for (; *values; values++) {
		if (strcmp(*values, v) == 0)
			return true;
	}
	return false;
}

static char *join_enum(const char *const *values)
{
	size_t len = 1;
	for (const char *const *v = values; *v; v++)
		len += strlen(*v) + 1;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (const char *const *v = values; *v; v++) {
		if (v != values)
			strcat(s, " ");
		strcat(s, *v);
	}
	return s;
}

/* Check one value against its type, as check_object()/check_type() would; returns a
 * malloc'd complaint or NULL. */
static char *check_value(const struct prop_schema *key, const char *v)
{
	switch (key->type) {
	case PROP_BOOLEAN:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return xasprintf("%s: type check ('boolean') failed - got '%s'", key->name, v);
		return NULL;
	case PROP_ENUM:
		if (!in_enum(key->enum_values, v)) {
			char *all = join_enum(key->enum_values);
			char *msg = xasprintf("%s: value '%s' does not have a value in the "
					      "enumeration '%s'",
					      key->name, v, all);
			free(all);
			return msg;
		}
		return NULL;
	case PROP_INTEGER: {
		const char *p = v;
		if (*p == '-' || *p == '+')
			p++;
		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 15)
			return xasprintf("%s: type check ('integer') failed - got '%s'", key->name, v);
		long n = strtol(v, NULL, 10);
		if (n < key->min)
			return xasprintf("%s: value must have a minimum value of %ld", key->name,
					 key->min);
		if (n > key->max)
			return xasprintf("%s: value must have a maximum value of %ld", key->name,
					 key->max);
		return NULL;
	}
	case PROP_STRING:
		if (key->check) {
			const char *why = key->check(v);
			if (why)
				return xasprintf("%s: %s", key->name, why);
		}
		return NULL;
	}
	return NULL;
}

static const struct prop_schema *find_key(const struct prop_schema *schema, const char *name,
					  size_t len)
{
	for (const struct prop_schema *k = schema; k->name; k++) {
		if (strlen(k->name) == len && strncmp(k->name, name, len) == 0)
			return k;
	}
	return NULL;
}

static const struct prop_schema *find_default_key(const struct prop_schema *schema)
{
	for (const struct prop_schema *k = schema; k->name; k++) {
		if (k->default_key)
			return k;
	}
	return NULL;
}

static struct prop_value *lookup(struct prop_list *list, const struct prop_schema *key)
{
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].key == key)
			return &list->items[i];
	}
	return NULL;
}

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isspace((unsigned char)s[i]))
			return false;
	}
	return true;
}

int propstr_parse(const struct prop_schema *schema, const char *text, struct prop_list *ret,
		  char **ret_error)
{
	struct prop_list list = {0};
	size_t cap = 0;
	char *error = NULL;
	const struct prop_schema *default_key = find_default_key(schema);

	for (const char *part = text; !error;) {
		size_t len = strcspn(part, ",");
		const char *next = part[len] ? part + len + 1 : NULL;
		if (!is_blank(part, len)) {
			const char *eq = memchr(part, '=', len);
			const struct prop_schema *key;
			const char *value;
			size_t value_len;
			if (eq && eq > part && (size_t)(eq - part) + 1 < len) {
				size_t klen = (size_t)(eq - part);
				key = find_key(schema, part, klen);
				if (!key) {
					error = xasprintf("invalid key in comma-separated list "
							  "property: %.*s",
							  (int)klen, part);
					break;
				}
				if (lookup(&list, key)) {
					error = xasprintf("duplicate key in comma-separated list "
							  "property: %s",
							  key->name);
					break;
				}
				value = eq + 1;
				value_len = len - klen - 1;
			} else if (!eq) {
				if (!default_key) {
					error = xstrdup("value without key, but schema does not "
							"define a default key");
					break;
				}
				if (lookup(&list, default_key)) {
					error = xasprintf("duplicate key in comma-separated list "
							  "property: %s",
							  default_key->name);
					break;
				}
				key = default_key;
				value = part;
				value_len = len;
			} else {
				error = xstrdup("missing key in comma-separated list property");
				break;
			}
			char *v = xstrndup(value, value_len);
			if (key->type == PROP_BOOLEAN) {
				int b = pve_parse_boolean(v);
				if (b >= 0) {
					free(v);
					v = xstrdup(b ? "1" : "0");
				}
			}
			xgrow((void **)&list.items, &cap, list.count + 1, sizeof(*list.items));
			list.items[list.count++] = (struct prop_value){key, v};
		}
		if (!next)
			break;
		part = next;
	}
	/* Proxmox checks all values after splitting; report the first complaint. */
	for (size_t i = 0; !error && i < list.count; i++)
		error = check_value(list.items[i].key, list.items[i].value);
	if (error) {
		propstr_free(&list);
		*ret_error = error;
		return -EINVAL;
	}
	*ret = list;
	return 0;
}

const char *propstr_get(const struct prop_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i].key->name, name) == 0)
			return list->items[i].value;
	}
	return NULL;
}

void propstr_free(struct prop_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i].value);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}
