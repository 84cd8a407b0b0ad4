/* pve/mapping: /etc/pve/mapping/pci.cfg as PVE::Mapping::PCI reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../pve/mapping.h"

#include <string.h>

static void sections_map_lines_and_problems(void **state)
{
	(void)state;
	const char *cfg =
		"# comment\n"
		"nvidia-gpu\n"
		"\tmap id=10de:27B0,iommugroup=16,node=pve,path=0000:07:00,subsystem-id=10de:16fa\n"
		"\tmap id=10de:27b0,node=pve2,path=0000:08:00.0;0000:08:00.1\n"
		"\tmdev 1\n"
		"\n"
		"Bad Name\n"
		"\tmap id=1234:5678,node=pve,path=0000:01:00.0\n"
		"\n"
		"nic\n"
		"\tmap id=8086:1572,node=pve\n"
		"\tmap id=8086:1572,node=pve,path=01:00.0\n"
		"\tmap id=8086:1572,node=pve,path=0000:03:00.0,color=blue\n";
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(cfg, strlen(cfg), &f, &e), 0);
	struct pve_mappings m;
	pve_mappings_parse(&f, "/etc/pve/mapping/pci.cfg", &m);
	text_file_free(&f);
	assert_int_equal(m.count, 2);
	const struct pve_mapping *gpu = pve_mappings_find(&m, "nvidia-gpu");
	assert_non_null(gpu);
	assert_true(gpu->mdev);
	assert_int_equal(gpu->entry_count, 2);
	assert_int_equal(gpu->entries[0].vendor, 0x10de);
	assert_int_equal(gpu->entries[0].device, 0x27b0);
	assert_true(gpu->entries[0].has_subsystem);
	assert_int_equal(gpu->entries[0].subsystem_device, 0x16fa);
	assert_int_equal(gpu->entries[0].iommu_group, 16);
	assert_int_equal(gpu->entries[0].line, 3);
	assert_string_equal(gpu->entries[1].path, "0000:08:00.0;0000:08:00.1");
	/* path= is kept as typed IDs too: the resolver never parses it again */
	assert_int_equal(gpu->entries[0].id_count, 1);
	assert_string_equal(gpu->entries[0].ids[0].slot, "0000:07:00");
	assert_int_equal(gpu->entries[0].ids[0].function, -1);
	assert_int_equal(gpu->entries[1].id_count, 2);
	assert_string_equal(gpu->entries[1].ids[0].id, "0000:08:00.0");
	assert_int_equal(gpu->entries[1].ids[1].function, 1);
	assert_int_equal(gpu->entries[1].iommu_group, -1);
	assert_null(pve_mappings_find(&m, "Bad Name"));
	const struct pve_mapping *nic = pve_mappings_find(&m, "nic");
	assert_int_equal(nic->entry_count, 0);
	/* the bad section, and three bad map lines of nic */
	assert_int_equal(m.problem_count, 4);
	assert_int_equal(m.problems[0].line, 7);
	assert_non_null(strstr(m.problems[1].message, "needs node=, id= and path="));
	assert_non_null(strstr(m.problems[2].message, "path: value does not match"));
	assert_non_null(strstr(m.problems[3].message, "color: property is not defined in schema"));
	pve_mappings_free(&m);
}

/* PVE::Mapping::PCI: path= is "[a-f0-9]{4,}:[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?" and nothing
 * else (JSONSchema anchors the pattern, and it is case-sensitive), so a map line with
 * uppercase hex in its path is one Proxmox skips; id= and subsystem-id= take either case
 * ([0-9A-Fa-f]) and are kept as written, since assert_valid compares them as text. */
static void uppercase_hex_as_proxmox_reads_it(void **state)
{
	(void)state;
	const char *cfg = "gpu\n"
			  "\tmap id=10de:1b80,node=pve,path=0000:0A:00,subsystem-id=1458:37a2\n"
			  "\tmap id=10de:1b80,node=pve,path=0000:0a:00.0;0000:0a:0B.1\n"
			  "\tmap id=10de:1b80,node=pve,path=0000:0a:00.A\n"
			  "\tmap id=10DE:1b80,node=pve,path=0000:0a:00,subsystem-id=1458:37A2\n";
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(cfg, strlen(cfg), &f, &e), 0);
	struct pve_mappings m;
	pve_mappings_parse(&f, "/etc/pve/mapping/pci.cfg", &m);
	text_file_free(&f);
	assert_int_equal(m.problem_count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(m.problems[i].line, i + 2);
		assert_non_null(strstr(m.problems[i].message,
				       "path: value does not match the regex pattern"));
	}
	const struct pve_mapping *gpu = pve_mappings_find(&m, "gpu");
	assert_int_equal(gpu->entry_count, 1);
	assert_int_equal(gpu->entries[0].line, 5);
	assert_string_equal(gpu->entries[0].id_text, "10DE:1b80");
	assert_string_equal(gpu->entries[0].subsystem_text, "1458:37A2");
	assert_int_equal(gpu->entries[0].vendor, 0x10de);
	pve_mappings_free(&m);
}

/* live-migration-capable (pve-guest-common >= 5.1.7): a boolean of the section, 0 by default;
 * PVE::Mapping::PCI reads it with the usual boolean words. */
static void live_migration_capable_is_read(void **state)
{
	(void)state;
	const char *cfg = "aa\n"
			  "\tlive-migration-capable 1\n"
			  "\tmap id=10de:1b80,node=pve,path=0000:0a:00\n"
			  "\n"
			  "bb\n"
			  "\tmap id=10de:1b80,node=pve,path=0000:0b:00\n"
			  "\n"
			  "cc\n"
			  "\tlive-migration-capable yes\n"
			  "\n"
			  "dd\n"
			  "\tlive-migration-capable 0\n";
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(cfg, strlen(cfg), &f, &e), 0);
	struct pve_mappings m;
	pve_mappings_parse(&f, "/etc/pve/mapping/pci.cfg", &m);
	text_file_free(&f);
	assert_true(pve_mappings_find(&m, "aa")->live_migration_capable);
	assert_false(pve_mappings_find(&m, "bb")->live_migration_capable);
	assert_true(pve_mappings_find(&m, "cc")->live_migration_capable);
	assert_false(pve_mappings_find(&m, "dd")->live_migration_capable);
	pve_mappings_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sections_map_lines_and_problems),
		cmocka_unit_test(uppercase_hex_as_proxmox_reads_it),
		cmocka_unit_test(live_migration_capable_is_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
