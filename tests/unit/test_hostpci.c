/* pve/hostpci: the hostpciN grammar of QemuServer/PCI.pm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/pciaddr.h"
#include "../../pve/hostpci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct pve_hostpci parse_ok(const char *value)
{
	struct pve_hostpci h;
	struct prop_errors errors;
	int r = pve_hostpci_parse(value, &h, &errors);
	if (r != 0) {
		char *err = prop_errors_text(&errors);
		fail_msg("'%s' rejected: %s", value, err);
	}
	return h;
}

static char *parse_fails(const char *value)
{
	struct pve_hostpci h;
	struct prop_errors errors;
	if (pve_hostpci_parse(value, &h, &errors) == 0) {
		pve_hostpci_free(&h);
		fail_msg("'%s' accepted", value);
	}
	char *err = prop_errors_text(&errors);
	prop_errors_free(&errors);
	return err;
}

static void id_forms(void **state)
{
	(void)state;
	struct pve_hostpci h = parse_ok("01:00");
	assert_int_equal(h.id_count, 1);
	assert_string_equal(h.ids[0].id, "0000:01:00");
	assert_int_equal(h.ids[0].function, -1);
	assert_true(pve_hostpci_is_multifunction(&h));
	pve_hostpci_free(&h);

	h = parse_ok("host=0000:0a:1f.7");
	assert_string_equal(h.ids[0].id, "0000:0a:1f.7");
	assert_string_equal(h.ids[0].slot, "0000:0a:1f");
	assert_int_equal(h.ids[0].bus, 0x0a);
	assert_int_equal(h.ids[0].device, 0x1f);
	assert_int_equal(h.ids[0].function, 7);
	assert_false(pve_hostpci_is_multifunction(&h));
	pve_hostpci_free(&h);

	/* VMD domains have more than four digits */
	h = parse_ok("10000:e1:00.0;10000:e1:00.1");
	assert_int_equal(h.id_count, 2);
	assert_string_equal(h.ids[1].id, "10000:e1:00.1");
	assert_true(pve_hostpci_is_multifunction(&h));
	pve_hostpci_free(&h);
}

static void ids_proxmox_rejects(void **state)
{
	(void)state;
	const char *bad[] = {
		"0A:00.0",  "01:00.0;",    "1:00.0",  "01:0.0",  "01:00.",
		"01:00.00", "000:01:00.0", "01-00.0", "01:00.g", "host=01:00.0;;02:00.0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = parse_fails(bad[i]);
		assert_string_equal(err, "host: value does not match the regex pattern");
		free(err);
	}
}

static void options(void **state)
{
	(void)state;
	struct pve_hostpci h = parse_ok("01:00,pcie=on,x-vga=yes,rombar=0,romfile=vbios.bin,"
					"legacy-igd=false,vendor-id=0x10DE,device-id=0x1b80,"
					"sub-vendor-id=0x1043,sub-device-id=0x85aa,driver=keep");
	assert_int_equal(h.pcie, 1);
	assert_int_equal(h.x_vga, 1);
	assert_int_equal(h.rombar, 0);
	assert_int_equal(h.legacy_igd, 0);
	assert_string_equal(h.romfile, "vbios.bin");
	assert_string_equal(h.vendor_id, "0x10DE");
	assert_int_equal(h.driver, HOSTPCI_DRIVER_KEEP);
	pve_hostpci_free(&h);

	h = parse_ok("mapping=gpu-4090,mdev=nvidia-63");
	assert_int_equal(h.id_count, 0);
	assert_string_equal(h.mapping, "gpu-4090");
	assert_string_equal(h.mdev, "nvidia-63");
	assert_int_equal(h.pcie, -1);
	pve_hostpci_free(&h);

	/* host and mapping together parse; Proxmox refuses them only at start */
	h = parse_ok("01:00.0,mapping=gpu");
	assert_int_equal(h.id_count, 1);
	assert_non_null(h.mapping);
	pve_hostpci_free(&h);
	h = parse_ok("pcie=1");
	assert_int_equal(h.id_count, 0);
	assert_null(h.mapping);
	pve_hostpci_free(&h);
}

static void options_proxmox_rejects(void **state)
{
	(void)state;
	struct {
		const char *value, *error;
	} cases[] = {
		{"01:00.0,multifunction=on", "multifunction: property is not defined in schema and "
					     "the schema does not allow additional properties"},
		{"01:00.0,hidden=1",
		 "hidden: property is not defined in schema and the schema does "
		 "not allow additional properties"},
		{"01:00.0,hidden=1,x-vga=2", "hidden: property is not defined in schema and the "
					     "schema does not allow additional properties; x-vga: "
					     "type check ('boolean') failed - got '2'"},
		{"01:00.0,pcie=1,pcie=0", "duplicate key in comma-separated list property: pcie"},
		{"01:00.0,02:00.0", "duplicate key in comma-separated list property: host"},
		{"01:00.0,x-vga=2", "x-vga: type check ('boolean') failed - got '2'"},
		{"01:00.0,vendor-id=10de", "vendor-id: value does not match the regex pattern"},
		{"01:00.0,driver=nvidia",
		 "driver: value 'nvidia' does not have a value in the enumeration 'vfio, keep'"},
		{"mapping=9gpu", "mapping: invalid format - invalid configuration ID '9gpu'"},
		{"mapping=a", "mapping: invalid format - invalid configuration ID 'a'"},
		{"01:00.0,mdev=a.b", "mdev: value does not match the regex pattern"},
		{"01:00.0,romfile=", "missing key in comma-separated list property"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = parse_fails(cases[i].value);
		assert_string_equal(err, cases[i].error);
		free(err);
	}
}

/* The kernel names domains "%04x": 5 to 8 digits with a leading 0 name no device. */
static void domains_no_device_has(void **state)
{
	(void)state;
	struct pve_pci_id id;
	assert_true(pve_pci_id_parse("00000:01:00.0", 13, &id));
	assert_non_null(pve_pci_id_names_no_device(&id));
	assert_string_equal(id.written, "00000:01:00.0");
	assert_true(pve_pci_id_parse("00001234:01:00", 14, &id));
	assert_non_null(pve_pci_id_names_no_device(&id));
	assert_true(pve_pci_id_parse("10000:01:00.0", 13, &id));
	assert_null(pve_pci_id_names_no_device(&id));
	assert_true(pve_pci_id_parse("0000:01:00.0", 12, &id));
	assert_null(pve_pci_id_names_no_device(&id));
	assert_true(pve_pci_id_parse("01:00.0", 7, &id));
	assert_null(pve_pci_id_names_no_device(&id));
	assert_string_equal(id.written, "01:00.0");
	assert_true(pve_pci_id_parse("123456789:01:00.0", 17, &id));
	assert_non_null(pve_pci_id_names_no_device(&id));
}

static void overlap(void **state)
{
	(void)state;
	struct pve_pci_id a, b, c, d;
	assert_true(pve_pci_id_parse("01:00", 5, &a));
	assert_true(pve_pci_id_parse("0000:01:00.1", 12, &b));
	assert_true(pve_pci_id_parse("01:00.0", 7, &c));
	assert_true(pve_pci_id_parse("0001:01:00.0", 12, &d));
	assert_true(pve_pci_id_overlap(&a, &b));
	assert_true(pve_pci_id_overlap(&c, &a));
	assert_false(pve_pci_id_overlap(&b, &c));
	assert_false(pve_pci_id_overlap(&c, &d)); /* another domain */
	assert_true(pve_pci_id_overlap(&c, &c));
}

/* One grammar for every PCI address pcipt reads; the flags say what a caller requires. */
static void pci_address_grammar(void **state)
{
	(void)state;
	const unsigned hostpci = 0, path = PCI_ADDR_DOMAIN_REQUIRED, sysfs = PCI_ADDR_SYSFS;
	static const struct {
		const char *text;
		unsigned flags;
		bool ok;
	} cases[] = {
		{"01:00.0", hostpci, true},
		{"01:00", hostpci, true},
		{"0000:01:00", hostpci, true},
		{"123456789:01:00.f", hostpci, true},
		{"000:01:00.0", hostpci, false},
		{"01:0A.0", hostpci, false},
		{"01:00.", hostpci, false},
		{"01:00.00", hostpci, false},
		{"0000:01", hostpci, false},
		{"", hostpci, false},
		{"01:00.0", path, false},
		{"0000:07:00", path, true},
		{"10000:07:00.1", path, true},
		{"0000:0A:00", path, false},
		{"0000:01:00.0", sysfs, true},
		{"ffffffff:ff:1f.7", sysfs, true},
		{"100000000:01:00.0", sysfs, false},
		{"0000:01:00.8", sysfs, false},
		{"0000:01:00", sysfs, false},
		{"01:00.0", sysfs, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pci_addr a = {.bus = 999};
		bool ok = pci_addr_parse(cases[i].text, strlen(cases[i].text), cases[i].flags, &a);
		if (ok != cases[i].ok)
			fail_msg("%s with flags %#x: %s", cases[i].text, cases[i].flags,
				 ok ? "accepted" : "refused");
		if (!ok)
			assert_int_equal(a.bus, 999); /* untouched */
	}
	struct pci_addr a;
	assert_true(pci_addr_parse("10000:e1:1f.7", 13, PCI_ADDR_SYSFS, &a));
	assert_int_equal(a.domain_digits, 5);
	assert_int_equal(a.domain, 0x10000);
	assert_int_equal(a.bus, 0xe1);
	assert_int_equal(a.device, 0x1f);
	assert_int_equal(a.function, 7);
	assert_true(pci_addr_parse("01:00", 5, 0, &a));
	assert_int_equal(a.domain_digits, 0);
	assert_int_equal(a.function, -1);
	/* the length bounds the text: a list is parsed one ID at a time */
	assert_true(pci_addr_parse("01:00.0;02:00.0", 7, 0, &a));
}

/* A ';' list of IDs: all of them, or none when one fails. */
static void id_lists(void **state)
{
	(void)state;
	struct pve_pci_id *ids = NULL;
	size_t n = 0;
	assert_int_equal(pve_pci_id_list_parse("0000:08:00.0;0000:08:00.1",
					       PCI_ADDR_DOMAIN_REQUIRED, &ids, &n),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[1].id, "0000:08:00.1");
	free(ids);
	assert_int_equal(
		pve_pci_id_list_parse("0000:08:00.0;08:00.1", PCI_ADDR_DOMAIN_REQUIRED, NULL, NULL),
		-EINVAL);
	assert_int_equal(pve_pci_id_list_parse("0000:08:00.0;08:00.1", 0, NULL, NULL), 0);
	assert_int_equal(pve_pci_id_list_parse("01:00;", 0, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_forms),
		cmocka_unit_test(ids_proxmox_rejects),
		cmocka_unit_test(options),
		cmocka_unit_test(options_proxmox_rejects),
		cmocka_unit_test(overlap),
		cmocka_unit_test(domains_no_device_has),
		cmocka_unit_test(pci_address_grammar),
		cmocka_unit_test(id_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
