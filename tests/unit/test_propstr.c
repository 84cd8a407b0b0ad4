/* pve/propstr: Proxmox's parse_property_string semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../pve/propstr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const colours[] = {"red", "green", NULL};

static const char *no_digits(const char *v)
{
	return strpbrk(v, "0123456789") ? "value does not match the regex pattern" : NULL;
}

static const struct prop_schema schema[] = {
	{.name = "name", .type = PROP_STRING, .default_key = true, .check = no_digits},
	{.name = "on", .type = PROP_BOOLEAN},
	{.name = "colour", .type = PROP_ENUM, .enum_values = colours},
	{.name = "size", .type = PROP_INTEGER, .min = 4, .max = 512},
	{0},
};

static char *parse_error(const char *text)
{
	struct prop_list l;
	struct prop_errors errors;
	if (propstr_parse(schema, text, &l, &errors) == 0) {
		propstr_free(&l);
		return NULL;
	}
	char *err = prop_errors_text(&errors);
	prop_errors_free(&errors);
	return err;
}

static void assert_error(const char *text, const char *expected)
{
	char *err = parse_error(text);
	assert_non_null(err);
	assert_string_equal(err, expected);
	free(err);
}

static void default_key_and_booleans(void **state)
{
	(void)state;
	struct prop_list l;
	assert_int_equal(propstr_parse(schema, "abc,on=YES,colour=red,,size=16", &l, NULL), 0);
	assert_string_equal(propstr_get(&l, "name"), "abc");
	assert_string_equal(propstr_get(&l, "on"), "1");
	assert_string_equal(propstr_get(&l, "colour"), "red");
	assert_string_equal(propstr_get(&l, "size"), "16");
	propstr_free(&l);
	for (const char *const *w = (const char *const[]){"1", "on", "Yes", "TRUE", NULL}; *w; w++)
		assert_int_equal(pve_parse_boolean(*w), 1);
	for (const char *const *w = (const char *const[]){"0", "off", "No", "false", NULL}; *w; w++)
		assert_int_equal(pve_parse_boolean(*w), 0);
	assert_int_equal(pve_parse_boolean("2"), -1);
	assert_int_equal(pve_parse_boolean(""), -1);
}

static void proxmox_messages(void **state)
{
	(void)state;
	/* an unknown key does not end the parse: check_object names it */
	assert_error("abc,hidden=1", "hidden: property is not defined in schema and the schema "
				     "does not allow additional properties");
	assert_error("abc,on=1,on=0", "duplicate key in comma-separated list property: on");
	assert_error("abc,name=def", "duplicate key in comma-separated list property: name");
	assert_error("abc,def", "duplicate key in comma-separated list property: name");
	assert_error("abc,on=", "missing key in comma-separated list property");
	assert_error("=x", "missing key in comma-separated list property");
	assert_error("on=maybe", "on: type check ('boolean') failed - got 'maybe'");
	assert_error("colour=blue",
		     "colour: value 'blue' does not have a value in the enumeration 'red, green'");
	assert_error("size=2", "size: value must have a minimum value of 4");
	assert_error("size=1024", "size: value must have a maximum value of 512");
	assert_error("size=12k", "size: type check ('integer') failed - got '12k'");
	assert_error("a1", "name: value does not match the regex pattern");
	/* keys are not trimmed */
	assert_error("abc, on=1", " on: property is not defined in schema and the schema does not "
				  "allow additional properties");
}

/* Proxmox's order: the split dies at a duplicate or missing key even after an unknown one;
 * otherwise every key at fault is listed, sorted by key. */
static void every_error_of_a_value(void **state)
{
	(void)state;
	assert_error("abc,hidden=1,on=1,on=0",
		     "duplicate key in comma-separated list property: on");
	assert_error("abc,hidden=1,on=", "missing key in comma-separated list property");
	assert_error("a1,size=2,on=maybe,zzz=1",
		     "name: value does not match the regex pattern; "
		     "on: type check ('boolean') failed - got 'maybe'; "
		     "size: value must have a minimum value of 4; "
		     "zzz: property is not defined in schema and the schema does not allow "
		     "additional properties");
	struct prop_list l;
	struct prop_errors errors;
	assert_int_equal(propstr_parse(schema, "abc,zzz=1,colour=blue", &l, &errors), -EINVAL);
	assert_int_equal(errors.count, 2);
	assert_int_equal(errors.items[0].kind, PROP_ERROR_BAD_VALUE);
	assert_string_equal(errors.items[0].key, "colour");
	assert_int_equal(errors.items[1].kind, PROP_ERROR_UNKNOWN_KEY);
	assert_string_equal(errors.items[1].key, "zzz");
	assert_non_null(prop_errors_find(&errors, PROP_ERROR_UNKNOWN_KEY));
	assert_null(prop_errors_find(&errors, PROP_ERROR_DUPLICATE_KEY));
	prop_errors_free(&errors);
	assert_int_equal(propstr_parse(schema, "abc,on=1,on=0", &l, &errors), -EINVAL);
	assert_int_equal(errors.count, 1);
	assert_int_equal(errors.items[0].kind, PROP_ERROR_DUPLICATE_KEY);
	assert_string_equal(errors.items[0].key, "on");
	prop_errors_free(&errors);
}

/* JSONSchema's number type: is_number(), then minimum and maximum */
static const struct prop_schema number_schema[] = {
	{.name = "bits", .type = PROP_NUMBER, .min = 32, .max = 64},
	{0},
};

static void numbers(void **state)
{
	(void)state;
	const char *good[] = {"bits=39.5",  "bits=48",  "bits=+40",
			      "bits=4.8e1", "bits=40.", "bits=64"};
	const char *bad[][2] = {
		{"bits=39,5", "value without key, but schema does not define a default key"},
		{"bits=abc", "bits: type check ('number') failed - got 'abc'"},
		{"bits=.", "bits: type check ('number') failed - got '.'"},
		{"bits=1e", "bits: type check ('number') failed - got '1e'"},
		{"bits=31.9", "bits: value must have a minimum value of 32"},
		{"bits=64.5", "bits: value must have a maximum value of 64"},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct prop_list l;
		assert_int_equal(propstr_parse(number_schema, good[i], &l, NULL), 0);
		propstr_free(&l);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prop_list l;
		struct prop_errors errors;
		assert_int_equal(propstr_parse(number_schema, bad[i][0], &l, &errors), -EINVAL);
		char *text = prop_errors_text(&errors);
		assert_string_equal(text, bad[i][1]);
		free(text);
		prop_errors_free(&errors);
	}
}

static void value_may_contain_equals(void **state)
{
	(void)state;
	struct prop_list l;
	assert_int_equal(propstr_parse(schema, "name=a=b", &l, NULL), 0);
	assert_string_equal(propstr_get(&l, "name"), "a=b");
	propstr_free(&l);
}

static void formats(void **state)
{
	(void)state;
	assert_null(pve_check_configid("gpu-1"));
	assert_null(pve_check_configid("My_GPU"));
	assert_non_null(pve_check_configid("g"));
	assert_non_null(pve_check_configid("1gpu"));
	assert_non_null(pve_check_configid("gpu.1"));
	assert_null(pve_check_volume_id("local:snippets/pcipt-hook"));
	assert_null(pve_check_volume_id("nfs-1.store:snippets/x"));
	assert_non_null(pve_check_volume_id("local"));
	assert_non_null(pve_check_volume_id(":snippets/x"));
	assert_non_null(pve_check_volume_id("local:"));
	assert_non_null(pve_check_volume_id("/var/lib/vz/snippets/x"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(default_key_and_booleans), cmocka_unit_test(proxmox_messages),
		cmocka_unit_test(every_error_of_a_value),   cmocka_unit_test(numbers),
		cmocka_unit_test(value_may_contain_equals), cmocka_unit_test(formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
