/* rules/explain: every check has its text (what, why, fix, rules key) in rules/explain.scd,
 * the markup is read as scdoc reads it, a device rule is shown as YAML that loads back into
 * the same rule, and an unknown id finds its nearest neighbours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../rules/explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void every_check_has_what_why_fix_and_rules(void **state)
{
	(void)state;
	for (int i = 0; i < CHECK_COUNT; i++) {
		const char *id = check_id_name((enum check_id)i);
		struct rules_explain e;
		if (rules_explain_check((enum check_id)i, &e) < 0)
			fail_msg("%s: no entry in rules/explain.scd", id);
		/* "ID (SEVERITY" with the catalogue's default severity */
		char *title = NULL;
		if (asprintf(&title, "%s (%s", id,
			     severity_name(rules_check_catalogue[i].code_severity)) < 0)
			fail();
		if (!starts_with(e.title, title) || !strchr(",)", e.title[strlen(title)]))
			fail_msg("title '%s', expected '%s)'", e.title, title);
		free(title);
		if (e.count < 5)
			fail_msg("%s: %zu paragraphs", id, e.count);
		/* a summary of one sentence, then the four parts in order */
		const char *const parts[] = {"Looks at: ", "Why: ", "Fix: ", "Rules: "};
		for (size_t k = 0; k < 4; k++) {
			if (starts_with(e.paragraphs[0], parts[k]))
				fail_msg("%s: no summary before '%s'", id, parts[k]);
		}
		size_t p = 0;
		for (size_t k = 1; k < e.count && p < 4; k++)
			p += starts_with(e.paragraphs[k], parts[p]);
		if (p != 4)
			fail_msg("%s: no '%s' paragraph in order", id, parts[p]);
		const char *rules = e.paragraphs[e.count - 1];
		char *key = NULL;
		if (asprintf(&key, "checks: {%s: ", id) < 0)
			fail();
		if (!starts_with(rules, "Rules: ") || !strstr(rules, key) ||
		    !strstr(rules, "/etc/pcipt/rules.yaml"))
			fail_msg("%s: the last paragraph does not give the rules key: %s", id,
				 rules);
		free(key);
		for (size_t k = 0; k < e.count; k++) {
			for (const char *c = e.paragraphs[k]; *c; c++) {
				if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
					fail_msg("%s: not printable ASCII: %s", id,
						 e.paragraphs[k]);
			}
			if (strstr(e.paragraphs[k], "  ") || strchr("* ", e.paragraphs[k][0]))
				fail_msg("%s: markup or spaces left: %s", id, e.paragraphs[k]);
		}
		rules_explain_free(&e);
	}
}

/* one entry per catalogue check: no entry under a misspelt or retired id */
static void the_text_has_no_other_entries(void **state)
{
	(void)state;
	size_t entries = 0;
	const char *p = rules_explain_scd;
	while (p < rules_explain_scd + rules_explain_scd_size) {
		const char *end = strchr(p, '\n');
		if (!end)
			end = rules_explain_scd + rules_explain_scd_size;
		if (*p == '*') {
			char id[80];
			size_t n = (size_t)(strchr(p + 1, '*') - (p + 1));
			assert_true(n < sizeof(id));
			memcpy(id, p + 1, n);
			id[n] = '\0';
			if (check_id_from_name(id) != (int)entries)
				fail_msg("entry %zu is '%s', not %s (lib/check_ids.h's order)",
					 entries, id, check_id_name((enum check_id)entries));
			entries++;
		}
		p = end + 1;
	}
	assert_int_equal(entries, CHECK_COUNT);
}

static void assert_plain(const char *scd, const char *want)
{
	char *got = rules_explain_plain(scd);
	if (strcmp(got, want) != 0)
		fail_msg("'%s' reads as '%s', expected '%s'", scd, got, want);
	free(got);
}

/* scdoc 1.11's parse_text(): '*' always toggles bold; '_' toggles underline after a character
 * that is not a letter or digit, or closes it before one; '\' takes the next character as it
 * is.  Its quirk is kept: '*' and '_' are not "the last character", so in *hostpci*_N_ the '_'
 * follows 'i' and is a letter. */
static void markup_reads_as_scdoc_renders_it(void **state)
{
	(void)state;
	assert_plain("*bold* and _/etc/pve/storage.cfg_.", "bold and /etc/pve/storage.cfg.");
	assert_plain("*allow_unsafe_interrupts* on", "allow_unsafe_interrupts on");
	assert_plain("_/sys/module/vfio_pci/parameters/disable_vga_,",
		     "/sys/module/vfio_pci/parameters/disable_vga,");
	assert_plain("_key=value_ x_y _a_b_.", "key=value x_y a_b.");
	assert_plain("*hostpci*_N_", "hostpci_N_");
	assert_plain("\\*a and \\\\ b", "*a and \\ b");
	assert_plain("_STORAGE_*:snippets/*_NAME_", "STORAGE:snippets/NAME");
	assert_plain("*qm set* _VMID_ *--*_KEY_", "qm set VMID --KEY");
	assert_plain("", "");
}

static void paragraphs_wrap_at_the_width(void **state)
{
	(void)state;
	struct rules_explain e;
	assert_int_equal(rules_explain_check(CHECK_HOSTPCI_SYNTAX, &e), 0);
	char *text = rules_explain_format(&e, 4, 60);
	char *flat = rules_explain_format(&e, 0, 0);
	/* the same words, lines of at most 60 columns indented by 4, paragraphs apart */
	size_t lines = 0, blank = 0;
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		size_t len = (size_t)(nl - line);
		if (len == 0) {
			blank++;
		} else {
			if (len > 60 || strncmp(line, "    ", 4) != 0 || line[4] == ' ')
				fail_msg("line '%.*s'", (int)len, line);
			lines++;
		}
		line = nl + 1;
	}
	assert_int_equal(blank, e.count - 1);
	assert_true(lines > e.count);
	size_t flat_lines = 0;
	for (const char *c = flat; *c; c++)
		flat_lines += *c == '\n';
	assert_int_equal(flat_lines, 2 * e.count - 1);
	/* words as they were */
	char *a = text, *b = flat;
	for (;;) {
		a += strspn(a, " \n");
		b += strspn(b, " \n");
		size_t la = strcspn(a, " \n"), lb = strcspn(b, " \n");
		if (la != lb || strncmp(a, b, la) != 0)
			fail_msg("'%.*s' and '%.*s'", (int)la, a, (int)lb, b);
		if (!la)
			break;
		a += la;
		b += lb;
	}
	free(text);
	free(flat);
	rules_explain_free(&e);
}

static void assert_list_equal(const struct rules_string_list *a, const struct rules_string_list *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++)
		assert_string_equal(a->items[i], b->items[i]);
}

static void assert_same_text(const char *a, const char *b)
{
	if (a || b) {
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
	}
}

/* d shown as YAML and read back is d */
static void assert_round_trip(const struct rules_device *d)
{
	char *yaml = rules_device_yaml(d);
	char *file = NULL;
	if (asprintf(&file, "version: 1\ndevices:\n%s", yaml) < 0)
		fail();
	struct rules r;
	struct pcipt_error err;
	if (rules_parse(file, strlen(file), NULL, &r, &err) < 0)
		fail_msg("%u:%u: %s in\n%s", err.line, err.column, err.message, file);
	assert_int_equal(r.device_count, 1);
	const struct rules_device *e = &r.devices[0];
	assert_string_equal(e->id, d->id);
	assert_string_equal(e->name, d->name);
	const struct rules_id_match *ma[] = {&d->vendor, &d->device, &d->subsystem_vendor,
					     &d->subsystem_device, &d->class_code};
	const struct rules_id_match *mb[] = {&e->vendor, &e->device, &e->subsystem_vendor,
					     &e->subsystem_device, &e->class_code};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(ma[i]->value, mb[i]->value);
		assert_int_equal(ma[i]->mask, mb[i]->mask);
	}
	assert_int_equal(e->when_x_vga, d->when_x_vga);
	assert_same_text(e->when_bios, d->when_bios);
	assert_same_text(e->vm_machine, d->vm_machine);
	assert_same_text(e->vm_bios, d->vm_bios);
	assert_list_equal(&e->vm_args, &d->vm_args);
	assert_list_equal(&e->vm_vga_not, &d->vm_vga_not);
	assert_int_equal(e->vm_all_functions, d->vm_all_functions);
	assert_list_equal(&e->host_module_params, &d->host_module_params);
	assert_list_equal(&e->host_drivers_unused, &d->host_drivers_unused);
	assert_int_equal(e->severity, d->severity);
	assert_same_text(e->hint, d->hint);
	assert_int_equal(e->override_count, d->override_count);
	for (size_t i = 0; i < d->override_count; i++) {
		assert_int_equal(e->overrides[i].check, d->overrides[i].check);
		assert_int_equal(e->overrides[i].severity, d->overrides[i].severity);
	}
	/* and shows as the same text again */
	char *again = rules_device_yaml(e);
	assert_string_equal(again, yaml);
	free(again);
	rules_free(&r);
	free(file);
	free(yaml);
}

static void device_rules_show_as_yaml_that_loads_back(void **state)
{
	(void)state;
	struct rules builtin;
	struct pcipt_error err;
	assert_int_equal(rules_load_builtin(&builtin, &err), 0);
	for (size_t i = 0; i < builtin.device_count; i++)
		assert_round_trip(&builtin.devices[i]);
	char *k80 = NULL;
	for (size_t i = 0; i < builtin.device_count; i++) {
		if (strcmp(builtin.devices[i].id, "nvidia-k80-ram-below-4g") == 0)
			k80 = rules_device_yaml(&builtin.devices[i]);
	}
	assert_non_null(k80);
	assert_string_equal(k80, "- id: nvidia-k80-ram-below-4g\n"
				 "  name: NVIDIA Tesla K80\n"
				 "  match: {vendor: 0x10de, device: 0x102d}\n"
				 "  vm:\n"
				 "    args: [-machine, \"pc,max-ram-below-4g=1G\"]\n"
				 "  severity: warning\n"
				 "  hint: >-\n"
				 "    The Tesla K80 is reported to need `args: -machine "
				 "pc,max-ram-below-4g=1G` in the VM\n"
				 "    config.\n");
	free(k80);
	rules_free(&builtin);

	/* what a plain scalar cannot carry is quoted */
	static const char odd[] =
		"version: 1\n"
		"devices:\n"
		"  - id: odd-one\n"
		"    name: \"a: name # with \\\"quotes\\\", [brackets] and \\\\\"\n"
		"    match: {subsystem_vendor: 0x1043, subsystem_device: 0x8000/0xf000, class: 4}\n"
		"    when: {x_vga: false, bios: seabios}\n"
		"    vm: {machine: pc, bios: ovmf, vga_not: [std, \"{x}\"], all_functions: true,\n"
		"         args: [\"-a b\", \"#c\", \"\", yes, -d]}\n"
		"    host: {module_params: [kvm.ignore_msrs=1], drivers_unused: [snd_hda_intel]}\n"
		"    severity: off\n"
		"    hint: \"two\\nlines,  double spaces and a tab\\there \"\n"
		"    overrides: {group-isolation: info, reset-method: off}\n";
	struct rules r;
	if (rules_parse(odd, strlen(odd), NULL, &r, &err) < 0)
		fail_msg("%u:%u: %s", err.line, err.column, err.message);
	assert_round_trip(&r.devices[0]);
	rules_free(&r);
}

static void unknown_ids_find_their_neighbours(void **state)
{
	(void)state;
	struct rules builtin;
	struct pcipt_error err;
	assert_int_equal(rules_load_builtin(&builtin, &err), 0);
	const char *near[3];
	assert_int_equal(rules_closest_ids(&builtin, "xvga-ovfm", near, 3) > 0, 1);
	assert_string_equal(near[0], "xvga-ovmf");
	size_t n = rules_closest_ids(&builtin, "shared", near, 3);
	assert_true(n >= 1);
	assert_string_equal(near[0], "device-shared");
	assert_true(rules_closest_ids(&builtin, "gpu-host-drivers", near, 3) >= 1);
	assert_string_equal(near[0], "gpu-host-driver");
	assert_int_equal(rules_closest_ids(&builtin, "gpu-", near, 1), 1);
	assert_int_equal(rules_closest_ids(&builtin, "zzzzzzzzzzzzzzzz", near, 3), 0);
	assert_int_equal(rules_closest_ids(NULL, "gpu-host-drivers", near, 3), 0);
	assert_int_equal(rules_closest_ids(NULL, "iommu-disable", near, 3), 1);
	assert_string_equal(near[0], "iommu-disabled");
	/* a very long id is compared too, within bounds */
	char longid[5000];
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(rules_closest_ids(&builtin, longid, near, 3), 0);
	rules_free(&builtin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_check_has_what_why_fix_and_rules),
		cmocka_unit_test(the_text_has_no_other_entries),
		cmocka_unit_test(markup_reads_as_scdoc_renders_it),
		cmocka_unit_test(paragraphs_wrap_at_the_width),
		cmocka_unit_test(device_rules_show_as_yaml_that_loads_back),
		cmocka_unit_test(unknown_ids_find_their_neighbours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
