/* rules/: the YAML rules loader (limits, hostile files, schema errors with key paths) and how
 * rules set the severities of findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../rules/rules.h"
#include "../../rules/yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse(const char *text, struct rules *ret, struct pcipt_error *err)
{
	return rules_parse(text, strlen(text), NULL, ret, err);
}

/* text must be refused with a message containing words, at line:column */
static void assert_refused(const char *text, size_t size, const char *words, unsigned line,
			   unsigned column)
{
	struct rules r;
	struct pcipt_error err;
	int rc = rules_parse(text, size, NULL, &r, &err);
	if (rc == 0) {
		rules_free(&r);
		fail_msg("accepted; expected '%s'", words);
	}
	if (!strstr(err.message, words))
		fail_msg("message '%s' lacks '%s'", err.message, words);
	if (line && (err.line != line || err.column != column))
		fail_msg("'%s' at %u:%u, expected %u:%u", err.message, err.line, err.column, line,
			 column);
}

static void builtin_rules_load_and_match_the_catalogue(void **state)
{
	(void)state;
	struct rules r;
	struct pcipt_error err;
	if (rules_load_builtin(&r, &err) < 0)
		fail_msg("built-in rules: %u:%u: %s", err.line, err.column, err.message);
	/* every check is configured by the default file, at its code's own level */
	for (size_t i = 0; i < rules_check_count(); i++) {
		if (!r.checks[i].set)
			fail_msg("default rules leave out %s", check_id_name((enum check_id)i));
		if (r.checks[i].severity != rules_check_catalogue[i].code_severity)
			fail_msg("%s: default severity differs from the code's",
				 check_id_name((enum check_id)i));
	}
	assert_true(r.device_count >= 5);
	const struct rules_device *nvidia = NULL, *k80 = NULL;
	for (size_t i = 0; i < r.device_count; i++) {
		if (strcmp(r.devices[i].id, "nvidia-ignore-msrs") == 0)
			nvidia = &r.devices[i];
		if (strcmp(r.devices[i].id, "nvidia-k80-ram-below-4g") == 0)
			k80 = &r.devices[i];
	}
	assert_non_null(nvidia);
	assert_int_equal(nvidia->vendor.value, 0x10de);
	assert_int_equal(nvidia->class_code.value, 0x0300);
	assert_int_equal(nvidia->class_code.mask, 0xff00);
	assert_string_equal(nvidia->host_module_params.items[0], "kvm.ignore_msrs=1");
	assert_non_null(k80);
	assert_int_equal(k80->device.value, 0x102d);
	assert_string_equal(k80->vm_args.items[1], "pc,max-ram-below-4g=1G");
	/* no timeout in the built-in rules: pcipt.conf's bind_timeout alone decides unless a rules
	 * file sets one */
	assert_int_equal(r.bind.timeout_seconds, 0);
	assert_true(r.bind.restore_on_stop);
	rules_free(&r);
}

static void overlay_keeps_base_and_replaces_devices(void **state)
{
	(void)state;
	struct rules base, r;
	struct pcipt_error err;
	assert_int_equal(rules_load_builtin(&base, &err), 0);
	const char *text = "version: 1\n"
			   "checks:\n"
			   "  xvga-ovmf: error\n"
			   "  group-isolation: {severity: warning, free_drivers: [vfio-pci]}\n"
			   "devices: []\n"
			   "bind: {timeout: 30, restore_on_stop: no}\n";
	assert_int_equal(rules_parse(text, strlen(text), &base, &r, &err), 0);
	int x = rules_check_index("xvga-ovmf"), g = rules_check_index("group-isolation"),
	    p = rules_check_index("pcie-needs-q35");
	assert_int_equal(r.checks[x].severity, SEVERITY_ERROR);
	assert_int_equal(r.checks[x].line, 3);
	assert_int_equal(r.checks[g].severity, SEVERITY_WARNING);
	assert_int_equal(r.checks[g].params[0].count, 1);
	assert_int_equal(r.checks[p].severity, SEVERITY_ERROR); /* from base */
	assert_int_equal(r.device_count, 0);
	assert_int_equal(r.bind.timeout_seconds, 30);
	assert_false(r.bind.restore_on_stop);
	assert_int_equal(r.bind.group_peers, RULES_BIND_GROUP_PEERS); /* from base */
	rules_free(&r);
	rules_free(&base);
}

static void yaml_11_words_are_read_deliberately(void **state)
{
	(void)state;
	struct rules r;
	struct pcipt_error err;
	/* plain `off` is the severity off, not YAML 1.1's false; yes/on are booleans where a
	 * boolean is expected; hex and decimal ids are both numbers */
	const char *text = "version: 1\n"
			   "checks: {d3cold: off, rmrr: 'off'}\n"
			   "bind: {restore_on_stop: on}\n"
			   "devices:\n"
			   "- {id: a, name: A, hint: h, match: {vendor: 4318, device: 0x102D}}\n";
	assert_int_equal(parse(text, &r, &err), 0);
	assert_int_equal(r.checks[rules_check_index("d3cold")].severity, SEVERITY_OFF);
	assert_int_equal(r.checks[rules_check_index("rmrr")].severity, SEVERITY_OFF);
	assert_true(r.bind.restore_on_stop);
	assert_int_equal(r.devices[0].vendor.value, 0x10de);
	assert_int_equal(r.devices[0].device.value, 0x102d);
	rules_free(&r);
}

static void schema_errors_name_the_key_path(void **state)
{
	(void)state;
	const char *dev = "version: 1\n"
			  "devices:\n"
			  "  - {id: a, name: A, hint: h, match: {vendor: 0x10de}}\n"
			  "  - id: b\n"
			  "    name: B\n"
			  "    hint: h\n"
			  "    match:\n"
			  "      vendor: nvidia\n";
	assert_refused(dev, strlen(dev), "devices[1].match.vendor: expected an id", 8, 15);
	const char *cases[][2] = {
		{"version: 2\n", "version: this pcipt reads rules version 1"},
		{"checks: {}\n", "missing key 'version'"},
		{"version: 1\nextra: 1\n", "unknown key 'extra'"},
		{"version: 1\nchecks: {no-such-check: error}\n",
		 "checks.no-such-check: unknown check id"},
		{"version: 1\nchecks: {d3cold: fatal}\n",
		 "checks.d3cold: expected error, warning, info or off"},
		{"version: 1\nchecks: {d3cold: [error]}\n",
		 "checks.d3cold: expected a severity or a mapping"},
		{"version: 1\nchecks: {d3cold: {severity: error, roots: [a]}}\n",
		 "checks.d3cold: unknown key 'roots'"},
		{"version: 1\nchecks: {group-isolation: {free_drivers: vfio-pci}}\n",
		 "checks.group-isolation.free_drivers: expected a list"},
		{"version: 1\nbind: {timeout: 0}\n", "bind.timeout: expected a number of seconds"},
		{"version: 1\nbind: {restore_on_stop: maybe}\n",
		 "bind.restore_on_stop: expected true or false"},
		{"version: 1\nbind: {group_peers: steal}\n",
		 "bind.group_peers: expected bind or refuse"},
		{"version: 1\ndevices: {}\n", "devices: expected a list, got a mapping"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h}]\n",
		 "devices[0]: missing key 'match'"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {}}]\n",
		 "devices[0].match: give at least one"},
		{"version: 1\ndevices: [{id: A_1, name: A, hint: h, match: {vendor: 1}}]\n",
		 "devices[0].id: 'A_1' is not a lowercase kebab-case id"},
		{"version: 1\ndevices: [{id: rmrr, name: A, hint: h, match: {vendor: 1}}]\n",
		 "is a check id"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 1}}, {id: a, name: B, hint: h, match: {vendor: 2}}]\n",
		 "devices[1]: id 'a' is already used by devices[0]"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {class: 0x0301/0xff00}}]\n",
		 "bits outside the mask"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 0x10000}}]\n",
		 "up to 0xffff"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 1}, host: {module_params: [ignore_msrs]}}]\n",
		 "devices[0].host.module_params[0]: expected module.parameter=value"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 1}, when: {bios: uefi}}]\n",
		 "devices[0].when.bios: expected seabios or ovmf"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 1}, overrides: {nope: off}}]\n",
		 "devices[0].overrides.nope: unknown check id"},
		{"version: 1\ndevices: [{id: a, name: A, hint: h, match: {vendor: 1}, overrides: {rmrr: maybe}}]\n",
		 "devices[0].overrides.rmrr: expected error, warning, info or off"},
		{"", "the rules file is empty"},
		{"- 1\n", "expected a mapping, got a list"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_refused(cases[i][0], strlen(cases[i][0]), cases[i][1], 0, 0);
}

/* An unknown key is answered with every key the place allows, whole, however long the list;
 * and every parameter the catalogue gives a check is one a rules file can set. */
static void unknown_keys_name_every_allowed_key(void **state)
{
	(void)state;
	const char *device =
		"version: 1\n"
		"devices: [{id: a, name: A, hint: h, match: {vendor: 1}, colour: red}]\n";
	assert_refused(device, strlen(device),
		       "unknown key 'colour' (expected one of: id, name, match, when, vm, host, "
		       "severity, hint, overrides)",
		       0, 0);
	const char *check = "version: 1\n"
			    "checks: {group-isolation: {severity: error, drivers: [a]}}\n";
	assert_refused(check, strlen(check),
		       "unknown key 'drivers' (expected one of: severity, free_drivers)", 0, 0);
	for (size_t i = 0; i < rules_check_count(); i++) {
		const struct rules_check_info *info = &rules_check_catalogue[i];
		for (size_t k = 0; info->params && info->params[k]; k++) {
			char yaml[256];
			snprintf(yaml, sizeof(yaml), "version: 1\nchecks: {%s: {%s: [x]}}\n",
				 check_id_name((enum check_id)i), info->params[k]);
			struct rules r;
			struct pcipt_error err;
			if (parse(yaml, &r, &err) != 0)
				fail_msg("%s: %s", yaml, err.message);
			rules_free(&r);
		}
	}
}

static void hostile_yaml_is_refused(void **state)
{
	(void)state;
	/* billion laughs: refused at the first anchor, nothing is expanded */
	const char *laughs = "version: 1\n"
			     "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
			     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
	assert_refused(laughs, strlen(laughs), "anchors (&a) are not allowed", 2, 4);
	assert_refused("version: 1\nchecks: *x\n", 21, "aliases (*x) are not allowed", 0, 0);
	assert_refused("version: !!int 1\n", 17, "tags (tag:yaml.org,2002:int) are not allowed", 1,
		       10);
	assert_refused("%TAG !e! tag:example.com,2000:\n---\nversion: 1\n", 46, "%TAG directives",
		       0, 0);
	assert_refused("version: 1\nversion: 1\n", 22, "duplicate key 'version' (first on line 1)",
		       2, 1);
	assert_refused("version: 1\n---\nversion: 1\n", 26, "only one YAML document", 0, 0);
	assert_refused("? [a]\n: 1\n", 10, "mapping keys must be plain strings", 0, 0);
	assert_refused("version: 1\nchecks: {d3cold: error\n", 34, "", 0, 0);
	assert_refused("version: \"a\0b\"\n", 15, "NUL", 0, 0);
	assert_refused("version: caf\xe9\n", 14, "invalid UTF-8", 1, 13);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void deep_nesting_is_refused_early(void **state)
{
	(void)state;
	/* 100,000 levels, one per line (a single line would hit the line limit first) */
	size_t n = 100000;
	char *deep = malloc(2 * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(deep + 2 * i, "[\n", 2);
	deep[2 * n] = '\0';
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_refused(deep, 2 * n, "nesting deeper than 64 levels", 65, 1);
	/* generous bound for a sanitizer build; the point is that it stops at level 65 */
	assert_true(seconds_since(&t0) < 1.0);
	free(deep);
	/* 64 levels are fine for the tree (the schema then refuses the shape) */
	struct yaml_node *root = NULL;
	struct pcipt_error yerr;
	char ok[200] = "";
	for (int i = 0; i < 64; i++)
		strcat(ok, "[");
	for (int i = 0; i < 64; i++)
		strcat(ok, "]");
	assert_int_equal(yaml_tree_parse(ok, strlen(ok), &root, &yerr), 0);
	yaml_tree_free(root);
}

static void size_limits(void **state)
{
	(void)state;
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 1);
	memset(big, '#', n);
	for (size_t i = 79; i < n; i += 80)
		big[i] = '\n';
	big[n] = '\0';
	assert_refused(big, n, "larger than", 0, 0);
	/* binary junk */
	for (size_t i = 0; i < 4096; i++)
		big[i] = (char)(i * 7 + 3);
	assert_refused(big, 4096, "", 0, 0);
	free(big);
}

static void severities_follow_the_rules(void **state)
{
	(void)state;
	struct rules r;
	struct pcipt_error err;
	const char *text = "version: 1\nchecks: {xvga-ovmf: error, device-shared: warning, "
			   "config-syntax: off}\n";
	assert_int_equal(parse(text, &r, &err), 0);
	/* primary findings take the rules' severity */
	assert_int_equal(rules_severity(&r, CHECK_XVGA_OVMF, SEVERITY_WARNING), SEVERITY_ERROR);
	assert_int_equal(rules_severity(&r, CHECK_DEVICE_SHARED, SEVERITY_ERROR), SEVERITY_WARNING);
	/* milder ones stay one step below */
	assert_int_equal(rules_severity(&r, CHECK_DEVICE_SHARED, SEVERITY_WARNING), SEVERITY_INFO);
	/* a file pcipt could not read cannot be silenced */
	assert_int_equal(rules_severity(&r, CHECK_CONFIG_SYNTAX, SEVERITY_ERROR), SEVERITY_ERROR);
	assert_int_equal(rules_severity(&r, CHECK_CONFIG_SYNTAX, SEVERITY_WARNING), SEVERITY_OFF);
	/* a device rule's finding keeps the severity its rule gave it */
	assert_int_equal(rules_severity(&r, CHECK_DEVICE_RULE, SEVERITY_INFO), SEVERITY_INFO);

	struct findings list;
	findings_init(&list);
	struct source_ref src = {"/etc/pve/qemu-server/100.conf", 0, 100};
	findings_add(&list, CHECK_CONFIG_SYNTAX, SEVERITY_WARNING, &src, 1);
	findings_add(&list, CHECK_XVGA_OVMF, SEVERITY_WARNING, &src, 2);
	findings_add(&list, CHECK_CONFIG_SYNTAX, SEVERITY_WARNING, &src, 3);
	rules_apply(&r, &list);
	assert_int_equal(list.count, 1);
	assert_int_equal(list.items[0].check, CHECK_XVGA_OVMF);
	assert_int_equal(list.items[0].severity, SEVERITY_ERROR);
	findings_free(&list);
	rules_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_rules_load_and_match_the_catalogue),
		cmocka_unit_test(unknown_keys_name_every_allowed_key),
		cmocka_unit_test(overlay_keeps_base_and_replaces_devices),
		cmocka_unit_test(yaml_11_words_are_read_deliberately),
		cmocka_unit_test(schema_errors_name_the_key_path),
		cmocka_unit_test(hostile_yaml_is_refused),
		cmocka_unit_test(deep_nesting_is_refused_early),
		cmocka_unit_test(size_limits),
		cmocka_unit_test(severities_follow_the_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
