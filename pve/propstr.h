/* Proxmox "property strings": the `key=value,key=value` values of hostpciN, machine, vga...
 *
 * Parsed with the semantics of pve-common's PVE::JSONSchema::parse_property_string: split on
 * ',', blank parts skipped, a part without '=' goes to the schema's default key, a duplicate or
 * missing key ends the parse at once, booleans accept 1|on|yes|true / 0|off|no|false in any
 * case.  An unknown key does not end it: its "invalid key" die never fires (the alias lookup
 * before it autovivifies the schema entry), so the parse goes on, and check_object() then
 * reports every key at fault: the unknown ones and every value that fails its type, enum,
 * range, pattern or format (patterns are anchored at both ends). */
#ifndef PCIPT_PVE_PROPSTR_H
#define PCIPT_PVE_PROPSTR_H

#include <stdbool.h>
#include <stddef.h>

enum prop_type {
	PROP_STRING,
	PROP_BOOLEAN,
	PROP_ENUM,
	PROP_INTEGER,
	PROP_NUMBER, /* JSONSchema's is_number(): [+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)? */
};

struct prop_schema {
	const char *name; /* NULL ends a schema array */
	enum prop_type type;
	bool default_key;
	/* PROP_STRING: the pattern or format check; returns NULL or Proxmox's complaint */
	const char *(*check)(const char *value);
	/* check is a registered format (pve-configid ...): check_prop words its complaint
	 * "K: invalid format - COMPLAINT 'VALUE'" */
	bool check_is_format;
	const char *const *enum_values; /* PROP_ENUM, NULL-terminated */
	long min, max;                  /* PROP_INTEGER, PROP_NUMBER */
};

struct prop_value {
	const struct prop_schema *key;
	char *value; /* booleans normalised to "0" or "1" */
};

struct prop_list {
	struct prop_value *items;
	size_t count;
};

/* What is wrong with a value, as data: hints are chosen from the kind and the key, never
 * by matching the message. */
enum prop_error_kind {
	PROP_ERROR_DUPLICATE_KEY, /* "duplicate key in comma-separated list property: K" */
	PROP_ERROR_MISSING_KEY,   /* "missing key in comma-separated list property" */
	PROP_ERROR_NO_DEFAULT,  /* "value without key, but schema does not define a default key" */
	PROP_ERROR_UNKNOWN_KEY, /* "K: property is not defined in schema and ..." */
	PROP_ERROR_BAD_VALUE,   /* K's value fails its type, enum, range, pattern or format */
};

struct prop_error {
	enum prop_error_kind kind;
	char *key;     /* the key at fault; NULL for MISSING_KEY, NO_DEFAULT and plain values */
	char *message; /* Proxmox's words, "K: " in front where Proxmox puts it */
};

struct prop_errors {
	struct prop_error *items;
	size_t count;
};

/* Returns 0, or -EINVAL with *ret_errors filled: one error when the split dies (duplicate or
 * missing key), else every error check_object() finds, sorted by key.  *ret is filled only on
 * success; ret_errors may be NULL. */
int propstr_parse(const struct prop_schema *schema, const char *text, struct prop_list *ret,
		  struct prop_errors *ret_errors);
/* The messages joined with "; " (malloc'd), as Proxmox lists them one per line. */
char *prop_errors_text(const struct prop_errors *errors);
/* Append an error (key and message are copied). */
void prop_errors_add(struct prop_errors *errors, enum prop_error_kind kind, const char *key,
		     const char *message);
/* The first error of kind, or NULL. */
const struct prop_error *prop_errors_find(const struct prop_errors *errors,
					  enum prop_error_kind kind);
void prop_errors_free(struct prop_errors *errors);
const char *propstr_get(const struct prop_list *list, const char *name);
void propstr_free(struct prop_list *list);

/* Proxmox's parse_boolean(): 1, 0, or -1 when the word is not a boolean. */
int pve_parse_boolean(const char *word);

/* Common value formats. Each returns NULL when value is valid, else the complaint. */
const char *
pve_check_configid(const char *value); /* pve-configid, as format: "invalid format - ..." */
const char *pve_check_volume_id(const char *value); /* pve-volume-id */

#endif
