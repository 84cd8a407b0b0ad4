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

/* check_prop: "value 'x' does not have a value in the enumeration 'a, b'" */
static char *join_enum(const char *const *values)
{
	size_t len = 1;
	for (const char *const *v = values; *v; v++)
		len += strlen(*v) + 2;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (const char *const *v = values; *v; v++) {
		if (v != values)
			strcat(s, ", ");
		strcat(s, *v);
	}
	return s;
}

/* JSONSchema's is_integer() and is_number() */
static bool is_integer(const char *v)
{
	if (*v == '+' || *v == '-')
		v++;
	return *v && strspn(v, "0123456789") == strlen(v);
}

static bool is_number(const char *v)
{
	if (*v == '+' || *v == '-')
		v++;
	size_t before = strspn(v, "0123456789");
	const char *p = v + before;
	size_t after = 0;
	if (*p == '.') {
		after = strspn(p + 1, "0123456789");
		p += 1 + after;
	}
	if (before == 0 && after == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t exp = strspn(p, "0123456789");
		if (!exp)
			return false;
		p += exp;
	}
	return *p == '\0';
}

/* minimum/maximum as check_prop compares them (numerically; huge values are out of range) */
static char *check_range(const struct prop_schema *key, const char *v)
{
	double n = strtod(v, NULL);
	if (n < (double)key->min)
		return xasprintf("%s: value must have a minimum value of %ld", key->name, key->min);
	if (n > (double)key->max)
		return xasprintf("%s: value must have a maximum value of %ld", key->name, key->max);
	return NULL;
}

/* Check one value against its type, as check_object()/check_prop() would; returns a
 * malloc'd complaint or NULL. */
static char *check_value(const struct prop_schema *key, const char *v)
{
	switch (key->type) {
	case PROP_BOOLEAN:
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
			return xasprintf("%s: type check ('boolean') failed - got '%s'", key->name,
					 v);
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
	case PROP_INTEGER:
		if (!is_integer(v))
			return xasprintf("%s: type check ('integer') failed - got '%s'", key->name,
					 v);
		return check_range(key, v);
	case PROP_NUMBER:
		if (!is_number(v))
			return xasprintf("%s: type check ('number') failed - got '%s'", key->name,
					 v);
		return check_range(key, v);
	case PROP_STRING:
		if (key->check) {
			const char *why = key->check(v);
			if (why && key->check_is_format)
				return xasprintf("%s: invalid format - %s '%s'", key->name, why, v);
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

static bool is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!isspace((unsigned char)s[i]))
			return false;
	}
	return true;
}

void prop_errors_add(struct prop_errors *errors, enum prop_error_kind kind, const char *key,
		     const char *message)
{
	errors->items = xrealloc(errors->items, (errors->count + 1) * sizeof(*errors->items));
	errors->items[errors->count++] =
		(struct prop_error){kind, key ? xstrdup(key) : NULL, xstrdup(message)};
}

const struct prop_error *prop_errors_find(const struct prop_errors *errors,
					  enum prop_error_kind kind)
{
	for (size_t i = 0; i < errors->count; i++) {
		if (errors->items[i].kind == kind)
			return &errors->items[i];
	}
	return NULL;
}

char *prop_errors_text(const struct prop_errors *errors)
{
	size_t len = 1;
	for (size_t i = 0; i < errors->count; i++)
		len += strlen(errors->items[i].message) + 2;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < errors->count; i++) {
		if (i)
			strcat(s, "; ");
		strcat(s, errors->items[i].message);
	}
	return s;
}

void prop_errors_free(struct prop_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++) {
		free(errors->items[i].key);
		free(errors->items[i].message);
	}
	free(errors->items);
	*errors = (struct prop_errors){0};
}

/* One key=value of the split: key is NULL for a key the schema does not have (name keeps
 * it then). */
struct raw_part {
	const struct prop_schema *key;
	char *name;
	char *value;
};

static int compare_errors_by_key(const void *a, const void *b)
{
	const struct prop_error *x = a, *y = b;
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* The split of parse_property_string(): dies on a duplicate or missing key, keeps unknown
 * keys.  Returns false with *error set when it dies. */
static bool split_parts(const struct prop_schema *schema, const char *text, struct raw_part **ret,
			size_t *ret_count, struct prop_errors *errors)
{
	struct raw_part *parts = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	const struct prop_schema *default_key = find_default_key(schema);
	bool default_used = false;
	for (const char *part = text; ok;) {
		size_t len = strcspn(part, ",");
		const char *next = part[len] ? part + len + 1 : NULL;
		if (!is_blank(part, len)) {
			const char *eq = memchr(part, '=', len);
			char *name, *value;
			const struct prop_schema *key;
			if (eq && eq > part && (size_t)(eq - part) + 1 < len) {
				size_t klen = (size_t)(eq - part);
				name = xstrndup(part, klen);
				value = xstrndup(eq + 1, len - klen - 1);
				key = find_key(schema, part, klen);
			} else if (!eq) {
				if (!default_key || default_used) {
					/* a second bare value names the default key again */
					char *msg =
						default_key
							? xasprintf(
								  "duplicate key in comma-separated "
								  "list property: %s",
								  default_key->name)
							: xstrdup("value without key, but schema does "
								  "not define a default key");
					prop_errors_add(errors,
							default_key ? PROP_ERROR_DUPLICATE_KEY
								    : PROP_ERROR_NO_DEFAULT,
							default_key ? default_key->name : NULL,
							msg);
					free(msg);
					ok = false;
					break;
				}
				default_used = true;
				name = xstrdup(default_key->name);
				value = xstrndup(part, len);
				key = default_key;
			} else {
				prop_errors_add(errors, PROP_ERROR_MISSING_KEY, NULL,
						"missing key in comma-separated list property");
				ok = false;
				break;
			}
			/* a known key is its schema entry: compare those; names only for the
			 * unknown ones */
			bool again = false;
			for (size_t i = 0; i < n && !again; i++)
				again = key ? parts[i].key == key
					    : !parts[i].key && strcmp(parts[i].name, name) == 0;
			if (again) {
				char *msg = xasprintf("duplicate key in comma-separated list "
						      "property: %s",
						      name);
				prop_errors_add(errors, PROP_ERROR_DUPLICATE_KEY, name, msg);
				free(msg);
				free(name);
				free(value);
				ok = false;
				break;
			}
			if (key == default_key && key)
				default_used = true;
			if (key && key->type == PROP_BOOLEAN) {
				int b = pve_parse_boolean(value);
				if (b >= 0) {
					free(value);
					value = xstrdup(b ? "1" : "0");
				}
			}
			xgrow((void **)&parts, &cap, n + 1, sizeof(*parts));
			parts[n++] = (struct raw_part){key, name, value};
		}
		if (!next)
			break;
		part = next;
	}
	*ret = parts;
	*ret_count = n;
	return ok;
}

int propstr_parse(const struct prop_schema *schema, const char *text, struct prop_list *ret,
		  struct prop_errors *ret_errors)
{
	struct prop_errors errors = {0};
	struct raw_part *parts;
	size_t n;
	if (split_parts(schema, text, &parts, &n, &errors)) {
		/* check_object: every key at fault, unknown ones included */
		for (size_t i = 0; i < n; i++) {
			char *why;
			if (!parts[i].key) {
				why = xasprintf("%s: property is not defined in schema and the "
						"schema does not allow additional properties",
						parts[i].name);
				prop_errors_add(&errors, PROP_ERROR_UNKNOWN_KEY, parts[i].name,
						why);
				free(why);
			} else if ((why = check_value(parts[i].key, parts[i].value))) {
				prop_errors_add(&errors, PROP_ERROR_BAD_VALUE, parts[i].name, why);
				free(why);
			}
		}
		if (errors.count > 1)
			qsort(errors.items, errors.count, sizeof(*errors.items),
			      compare_errors_by_key);
	}
	struct prop_list list = {0};
	if (!errors.count) {
		list.items = xcalloc(n ? n : 1, sizeof(*list.items));
		for (size_t i = 0; i < n; i++) {
			list.items[list.count++] =
				(struct prop_value){parts[i].key, parts[i].value};
			parts[i].value = NULL;
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(parts[i].name);
		free(parts[i].value);
	}
	free(parts);
	if (errors.count) {
		if (ret_errors)
			*ret_errors = errors;
		else
			prop_errors_free(&errors);
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
