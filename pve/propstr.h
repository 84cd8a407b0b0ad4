/* Proxmox "property strings": the `key=value,key=value` values of hostpciN, machine, vga...
 *
 * Parsed with the semantics of pve-common's PVE::JSONSchema::parse_property_string: split on
 * ',', blank parts skipped, a part without '=' goes to the schema's default key, duplicate or
 * unknown keys are fatal, booleans accept 1|on|yes|true / 0|off|no|false in any case, and
 * every value is then checked against its type (patterns are anchored at both ends). */
#ifndef PCIPT_PVE_PROPSTR_H
#define PCIPT_PVE_PROPSTR_H

#include <stdbool.h>
#include <stddef.h>

enum prop_type {
	PROP_STRING,
	PROP_BOOLEAN,
	PROP_ENUM,
	PROP_INTEGER,
};

struct prop_schema {
	const char *name; /* NULL ends a schema array */
	enum prop_type type;
	bool default_key;
	/* PROP_STRING: the pattern or format check; returns NULL or Proxmox's complaint */
	const char *(*check)(const char *value);
	const char *const *enum_values; /* PROP_ENUM, NULL-terminated */
	long min, max;                  /* PROP_INTEGER */
};

struct prop_value {
	const struct prop_schema *key;
	char *value; /* booleans normalised to "0" or "1" */
};

struct prop_list {
	struct prop_value *items;
	size_t count;
};

/* Returns 0, or -EINVAL with *ret_error set to a malloc'd message phrased like Proxmox's
 * ("invalid key in comma-separated list property: hidden").  *ret is filled only on success. */
int propstr_parse(const struct prop_schema *schema, const char *text, struct prop_list *ret,
		  char **ret_error);
const char *propstr_get(const struct prop_list *list, const char *name);
void propstr_free(struct prop_list *list);

/* Proxmox's parse_boolean(): 1, 0, or -1 when the word is not a boolean. */
int pve_parse_boolean(const char *word);

/* Common value formats. Each returns NULL when value is valid, else the complaint. */
const char *pve_check_configid(const char *value);   /* pve-configid */
const char *pve_check_volume_id(const char *value);  /* pve-volume-id */

#endif
