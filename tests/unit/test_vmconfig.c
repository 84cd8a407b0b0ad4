/* pve/vmconfig: parse_vm_config semantics and the typed view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../pve/vmconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pve_config parse(const char *text)
{
	struct text_file f;
	struct pcipt_error e;
	if (text_file_from_buffer(text, strlen(text), &f, &e) != 0)
		fail_msg("text rejected: %s", e.message);
	struct pve_config c;
	pve_config_parse(&f, "/etc/pve/qemu-server/100.conf", &c);
	text_file_free(&f);
	return c;
}

static const struct pve_problem *problem_at(const struct pve_config *c, unsigned line)
{
	for (size_t i = 0; i < c->problem_count; i++) {
		if (c->problems[i].line == line)
			return &c->problems[i];
	}
	return NULL;
}

static void sections_and_description(void **state)
{
	(void)state;
	struct pve_config c = parse("#My%20VM\n"
				    "#second line\n"
				    "cores: 2\n"
				    "hostpci0: 01:00\n"
				    "\n"
				    "[PENDING]\n"
				    "delete: hostpci0\n"
				    "memory: 4096\n"
				    "[special:cloudinit]\n"
				    "anything-goes: here\n"
				    "[before-upgrade]\n"
				    "hostpci0: 02:00.0\n"
				    "snaptime: 1700000000\n");
	assert_int_equal(c.vmid, 100);
	assert_int_equal(c.section_count, 4);
	assert_int_equal(c.sections[0].kind, PVE_SECTION_MAIN);
	assert_string_equal(c.sections[0].description, "My VM\nsecond line\n");
	assert_int_equal(c.sections[1].kind, PVE_SECTION_PENDING);
	assert_string_equal(c.sections[1].delete_list, "hostpci0");
	assert_int_equal(c.sections[2].kind, PVE_SECTION_CLOUDINIT);
	assert_int_equal(c.sections[2].entry_count, 1); /* not validated */
	assert_int_equal(c.sections[3].kind, PVE_SECTION_SNAPSHOT);
	assert_string_equal(c.sections[3].name, "before-upgrade");
	assert_int_equal(c.sections[3].line, 11);
	/* the typed view is the main section only */
	assert_true(c.vm.hostpci[0].raw.set);
	assert_string_equal(c.vm.hostpci[0].dev.ids[0].id, "0000:01:00");
	assert_int_equal(c.vm.hostpci[0].raw.line, 4);
	assert_int_equal(c.problem_count, 0);
	pve_config_free(&c);
}

/* parse_vm_config matches m/snapstate:\s*(prepare|delete)\s*$/ anywhere in a line, before
 * any key: the line's own key is lost; a description line and the marker itself are not. */
static void snapstate_marker_swallows_the_line(void **state)
{
	(void)state;
	struct pve_config c = parse("hostpci0: 01:00.0,romfile=x snapstate:delete\n"  /* 1 */
				    "args: -x snapstate: prepare  \n"                 /* 2 */
				    "description: ends in snapstate: delete\n"        /* 3 */
				    "snapstate: prepare\n"                            /* 4 */
				    "hostpci1: 02:00.0,romfile=snapstate:deleted\n"); /* 5 */
	assert_int_equal(problem_at(&c, 1)->kind, PVE_PROBLEM_SNAPSTATE_MARKER);
	assert_string_equal(problem_at(&c, 1)->key, "hostpci0");
	assert_int_equal(problem_at(&c, 2)->kind, PVE_PROBLEM_SNAPSTATE_MARKER);
	assert_string_equal(problem_at(&c, 2)->key, "args");
	assert_null(problem_at(&c, 3));
	assert_null(problem_at(&c, 4));
	assert_null(problem_at(&c, 5));
	assert_false(c.vm.hostpci[0].raw.set);
	assert_false(c.vm.args.set);
	assert_true(c.vm.hostpci[1].raw.set);
	pve_config_free(&c);
}

/* aw-bits is a number to Proxmox: 39.5 keeps the machine line (and q35) */
static void machine_keys_typed_as_proxmox_does(void **state)
{
	(void)state;
	struct pve_config c = parse("machine: q35,viommu=intel,aw-bits=39.5\n");
	assert_int_equal(c.problem_count, 0);
	assert_true(c.vm.machine_is_q35);
	assert_string_equal(c.vm.machine_aw_bits, "39.5");
	pve_config_free(&c);
	c = parse("machine: q35,aw-bits=x\n");
	assert_int_equal(problem_at(&c, 1)->kind, PVE_PROBLEM_BAD_VALUE);
	assert_string_equal(problem_at(&c, 1)->detail,
			    "aw-bits: type check ('number') failed - got 'x'");
	assert_int_equal(problem_at(&c, 1)->errors.count, 1);
	assert_int_equal(problem_at(&c, 1)->errors.items[0].kind, PROP_ERROR_BAD_VALUE);
	assert_string_equal(problem_at(&c, 1)->errors.items[0].key, "aw-bits");
	assert_false(c.vm.machine_is_q35);
	pve_config_free(&c);
}

static void dropped_lines_become_problems(void **state)
{
	(void)state;
	struct pve_config c = parse("hostpci0: 01:00.0,multifunction=on\n" /* 1 */
				    "  # indented\n"                       /* 2 */
				    "hidden: 1\n"                          /* 3 */
				    "vga: none:\n"                         /* 4 */
				    "this line has no colon\n"             /* 5 */
				    "delete: net0\n"                       /* 6 */
				    "hostpci16: 02:00.0\n"                 /* 7 */
				    "machine: q35,foo=bar\n"               /* 8 */
				    "hostpci1:\n"                          /* 9 */
				    "[special:unknown]\n"                  /* 10 */
				    "hostpci2: 03:00.0\n");                /* 11 */
	assert_int_equal(problem_at(&c, 1)->kind, PVE_PROBLEM_BAD_VALUE);
	assert_string_equal(
		problem_at(&c, 1)->detail,
		"multifunction: property is not defined in schema and the schema does not "
		"allow additional properties");
	assert_int_equal(problem_at(&c, 2)->kind, PVE_PROBLEM_INDENTED_COMMENT);
	assert_int_equal(problem_at(&c, 3)->kind, PVE_PROBLEM_UNKNOWN_KEY);
	assert_int_equal(problem_at(&c, 4)->kind, PVE_PROBLEM_BAD_VALUE);
	assert_int_equal(problem_at(&c, 5)->kind, PVE_PROBLEM_UNPARSEABLE);
	assert_int_equal(problem_at(&c, 6)->kind, PVE_PROBLEM_DELETE_OUTSIDE_PENDING);
	assert_int_equal(problem_at(&c, 7)->kind, PVE_PROBLEM_UNKNOWN_KEY);
	assert_int_equal(problem_at(&c, 8)->kind, PVE_PROBLEM_BAD_VALUE);
	assert_int_equal(problem_at(&c, 9)->kind, PVE_PROBLEM_UNPARSEABLE);
	assert_string_equal(problem_at(&c, 9)->key, "hostpci1");
	assert_int_equal(problem_at(&c, 10)->kind, PVE_PROBLEM_UNKNOWN_SECTION);
	assert_null(problem_at(&c, 11)); /* skipped with its unknown section */
	/* what Proxmox keeps: nothing of the above */
	assert_false(c.vm.hostpci[0].raw.set);
	assert_false(c.vm.hostpci[2].raw.set);
	assert_false(c.vm.machine.set);
	assert_false(c.vm.machine_is_q35);
	assert_false(c.vm.vga.set);
	pve_config_free(&c);
}

static void last_duplicate_wins(void **state)
{
	(void)state;
	struct pve_config c = parse("machine: q35\n"
				    "hostpci0: 01:00.0\n"
				    "machine: pc-i440fx-8.1\n"
				    "hostpci0: 02:00.0,pcie=1\n"
				    "hostpci0: BAD\n");
	assert_string_equal(c.vm.machine_type, "pc-i440fx-8.1");
	assert_false(c.vm.machine_is_q35);
	assert_string_equal(c.vm.hostpci[0].dev.ids[0].id, "0000:02:00.0");
	assert_int_equal(c.vm.hostpci[0].raw.line, 4);
	const struct pve_problem *p = problem_at(&c, 1);
	assert_int_equal(p->kind, PVE_PROBLEM_DUPLICATE_KEY);
	assert_int_equal(p->other_line, 3);
	assert_int_equal(problem_at(&c, 2)->kind, PVE_PROBLEM_DUPLICATE_KEY);
	assert_int_equal(problem_at(&c, 5)->kind, PVE_PROBLEM_BAD_VALUE);
	pve_config_free(&c);
}

static void typed_settings(void **state)
{
	(void)state;
	struct pve_config c =
		parse("machine: pc-q35-8.1+pve0,viommu=intel\n"
		      "bios: ovmf\n"
		      "vga: virtio,memory=64\n"
		      "onboot: yes\n"
		      "lock: backup\n"
		      "hookscript: local:snippets/pcipt-hook\n"
		      "efidisk0: local-lvm:vm-100-disk-0,efitype=4m\n"
		      "args: -machine pc,max-ram-below-4g=1G -set 'device.hostpci0.x-igd-gms=0x2'\n"
		      "cdrom: none,media=cdrom\n");
	assert_true(c.vm.machine_is_q35);
	assert_string_equal(c.vm.machine_viommu, "intel");
	assert_int_equal(c.vm.bios_type, PVE_BIOS_OVMF);
	assert_string_equal(c.vm.vga_type, "virtio");
	assert_true(c.vm.onboot_enabled);
	assert_string_equal(c.vm.lock.value, "backup");
	assert_string_equal(c.vm.hookscript.value, "local:snippets/pcipt-hook");
	assert_int_equal(c.vm.efidisk0.line, 7);
	assert_int_equal(c.vm.args_words.count, 4);
	assert_string_equal(pve_args_option_value(&c.vm.args_words, "-machine"),
			    "pc,max-ram-below-4g=1G");
	assert_string_equal(c.vm.args_words.words[3], "device.hostpci0.x-igd-gms=0x2");
	assert_non_null(pve_config_get(&c, "ide2")); /* cdrom is an alias */
	assert_int_equal(c.problem_count, 0);
	pve_config_free(&c);
}

static void machine_types(void **state)
{
	(void)state;
	const char *good[] = {"pc",
			      "q35",
			      "pc-i440fx-2.12",
			      "pc-2.12",
			      "pc-q35-9.0+pve1.pxe",
			      "pc-i440fx-8.1.pxe",
			      "virt",
			      "virt-8.1+pve0",
			      "viommu=virtio"};
	const char *bad[] = {"i440fx",         "pc-q35", "q35-8.1",        "pc-q35-8",
			     "pc-q35-8.1+pve", "Q35",    "pc-q35-8.1.iso", "q35,viommu=amd"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char line[80];
		snprintf(line, sizeof(line), "machine: %s\n", good[i]);
		struct pve_config c = parse(line);
		if (c.problem_count)
			fail_msg("'%s' rejected", good[i]);
		pve_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[80];
		snprintf(line, sizeof(line), "machine: %s\n", bad[i]);
		struct pve_config c = parse(line);
		if (c.problem_count != 1 || c.problems[0].kind != PVE_PROBLEM_BAD_VALUE)
			fail_msg("'%s' accepted", bad[i]);
		pve_config_free(&c);
	}
}

static void keys(void **state)
{
	(void)state;
	const char *good[] = {
		"net31: virtio",   "unused255: local:1", "scsi30: local:1", "ide3: none",
		"usb4: host=1-1",  "serial3: socket",    "numa0: cpus=0",   "numa: 1",
		"smbios1: uuid=x", "parent: snap1"};
	const char *bad[] = {"net32: virtio",     "ide4: none",   "net01: virtio",   "smbios0: x",
			     "efidisk1: local:1", "Memory: 1024", "hostpci: 01:00.0"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct pve_config c = parse(good[i]);
		if (c.problem_count)
			fail_msg("'%s' rejected: %s", good[i], c.problems[0].detail);
		pve_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pve_config c = parse(bad[i]);
		if (c.problem_count != 1)
			fail_msg("'%s' accepted", bad[i]);
		pve_config_free(&c);
	}
}

static void crlf_and_args_quoting(void **state)
{
	(void)state;
	struct pve_config c = parse("cores: 2\r\nargs: -cpu 'host\r\n");
	assert_int_equal(c.problem_count, 2);
	assert_int_equal(problem_at(&c, 1)->kind, PVE_PROBLEM_CRLF);
	assert_int_equal(problem_at(&c, 2)->kind, PVE_PROBLEM_ARGS_QUOTING);
	assert_string_equal(pve_config_get(&c, "cores")->value, "2");
	pve_config_free(&c);
}

/* check_type at load time leaves enums of plain strings alone (QemuServer.pm) */
static void enums_are_kept_but_booleans_are_checked(void **state)
{
	(void)state;
	struct pve_config c = parse("bios: uefi\nlock: whatever\nonboot: maybe\n");
	assert_true(c.vm.bios.set);
	assert_int_equal(c.vm.bios_type, PVE_BIOS_SEABIOS);
	assert_int_equal(problem_at(&c, 1)->kind, PVE_PROBLEM_IGNORED_VALUE);
	assert_true(c.vm.lock.set);
	assert_null(problem_at(&c, 2));
	assert_false(c.vm.onboot.set);
	assert_int_equal(problem_at(&c, 3)->kind, PVE_PROBLEM_BAD_VALUE);
	pve_config_free(&c);
	c = parse("bios: \"ovmf\"\n");
	assert_int_equal(c.vm.bios_type, PVE_BIOS_OVMF);
	assert_int_equal(c.problem_count, 0);
	pve_config_free(&c);
}

static void perl_regex_edges(void **state)
{
	(void)state;
	/* ":\s*(.+?)\s*$" keeps one blank when only blanks follow the colon */
	struct pve_config c = parse("hostpci0:   \nhostpci1:\nname: a\rb\ndescription: note%21\n");
	assert_true(c.vm.hostpci[0].raw.set);
	assert_string_equal(c.vm.hostpci[0].raw.value, " ");
	assert_int_equal(c.vm.hostpci[0].dev.id_count, 0);
	assert_int_equal(problem_at(&c, 2)->kind, PVE_PROBLEM_UNPARSEABLE);
	assert_int_equal(problem_at(&c, 3)->kind, PVE_PROBLEM_BAD_VALUE);
	assert_string_equal(problem_at(&c, 3)->detail, "property contains a line feed");
	assert_string_equal(c.sections[0].description, "note!\n");
	pve_config_free(&c);
}

/* Expected words as Perl's Text::ParseWords::shellwords gives them. */
static void args_split_like_shellwords(void **state)
{
	(void)state;
	struct {
		const char *text;
		const char *joined; /* words joined with '|', NULL: shellwords returns nothing */
	} cases[] = {
		{"-cpu 'host", NULL},   {"a\\ b \"c\\\"d\" 'e f' \\", NULL},
		{"\"a\\nb\"", "anb"},   {"'a\\'b'", "a\\'b"},
		{"a\\xb", "axb"},       {"-set \"x=$y\"", "-set|x=$y"},
		{"a\"b\"c d", "abc|d"}, {"a#b c", "a#b|c"},
		{"a\tb", "a|b"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pve_args a;
		struct pcipt_error why = {0};
		int r = pve_args_split(cases[i].text, &a, &why);
		if (!cases[i].joined) {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(why.code, -EINVAL);
			assert_true(why.message[0]);
			continue;
		}
		assert_int_equal(r, 0);
		char joined[128] = "";
		for (size_t k = 0; k < a.count; k++) {
			if (k)
				strcat(joined, "|");
			strcat(joined, a.words[k]);
		}
		assert_string_equal(joined, cases[i].joined);
		pve_args_free(&a);
	}
}

static void vmid_from_path(void **state)
{
	(void)state;
	assert_int_equal(pve_vmid_from_path("/etc/pve/qemu-server/100.conf"), 100);
	assert_int_equal(pve_vmid_from_path("999999999.conf"), 999999999);
	assert_int_equal(pve_vmid_from_path("/x/0100.conf"), -1);
	assert_int_equal(pve_vmid_from_path("/x/100.conf.bak"), -1);
	assert_int_equal(pve_vmid_from_path("/x/vm.conf"), -1);
	/* the one place a VM's config path is made, and its round trip */
	char *path = pve_vm_config_path(100);
	assert_string_equal(path, "/etc/pve/qemu-server/100.conf");
	assert_int_equal(pve_vmid_from_path(path), 100);
	free(path);
}

/* Which key a line holds, for a finding on it: kept, overridden or dropped by Proxmox alike */
static void line_keys(void **state)
{
	(void)state;
	struct pve_config c = parse("hostpci0: 01:00.0\n"                  /* 1 */
				    "#a note\n"                            /* 2 */
				    "hostpci1: 02:00.0,multifunction=on\n" /* 3 */
				    "hostpci0: 03:00.0\n"                  /* 4 */
				    "this line has no colon\n"             /* 5 */
				    "\n"                                   /* 6 */
				    "[PENDING]\n"                          /* 7 */
				    "hostpci2: 04:00.0\n"                  /* 8 */
				    "onboot: maybe\n");                    /* 9 */
	assert_string_equal(pve_config_line_key(&c, 1), "hostpci0");
	assert_null(pve_config_line_key(&c, 2));
	assert_string_equal(pve_config_line_key(&c, 3), "hostpci1");
	assert_string_equal(pve_config_line_key(&c, 4), "hostpci0");
	assert_null(pve_config_line_key(&c, 5));
	assert_null(pve_config_line_key(&c, 6));
	assert_null(pve_config_line_key(&c, 7));
	assert_string_equal(pve_config_line_key(&c, 8), "hostpci2");
	assert_string_equal(pve_config_line_key(&c, 9), "onboot");
	/* a finding about the whole file, or past its end */
	assert_null(pve_config_line_key(&c, 0));
	assert_null(pve_config_line_key(&c, 10));
	pve_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_and_description),
		cmocka_unit_test(dropped_lines_become_problems),
		cmocka_unit_test(snapstate_marker_swallows_the_line),
		cmocka_unit_test(machine_keys_typed_as_proxmox_does),
		cmocka_unit_test(last_duplicate_wins),
		cmocka_unit_test(typed_settings),
		cmocka_unit_test(machine_types),
		cmocka_unit_test(keys),
		cmocka_unit_test(crlf_and_args_quoting),
		cmocka_unit_test(enums_are_kept_but_booleans_are_checked),
		cmocka_unit_test(perl_regex_edges),
		cmocka_unit_test(args_split_like_shellwords),
		cmocka_unit_test(vmid_from_path),
		cmocka_unit_test(line_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
