/* validator: config-only checks as pure functions over parsed configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../rules/yaml_tree.h"
#include "../../validator/checks.h"
#include "../../validator/vmdevices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_VMS 4

struct run {
	struct pve_config configs[MAX_VMS];
	struct checked_config checked[MAX_VMS];
	struct findings findings;
};

/* Validate up to MAX_VMS configs named 100.conf, 101.conf... */
static struct run *validate(const char *const *texts, size_t n)
{
	struct run *r = calloc(1, sizeof(*r));
	findings_init(&r->findings);
	for (size_t i = 0; i < n; i++) {
		struct text_file f;
		struct pcipt_error e;
		assert_int_equal(text_file_from_buffer(texts[i], strlen(texts[i]), &f, &e), 0);
		char path[64];
		snprintf(path, sizeof(path), "/etc/pve/qemu-server/%zu.conf", 100 + i);
		pve_config_parse(&f, path, &r->configs[i]);
		text_file_free(&f);
		r->checked[i] = (struct checked_config){
			.config = &r->configs[i],
			.source = {r->configs[i].path, i, r->configs[i].vmid}};
	}
	validate_offline(r->checked, n, &r->findings);
	findings_sort(&r->findings);
	return r;
}

static struct run *validate_one(const char *text)
{
	return validate(&text, 1);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < MAX_VMS; i++) {
		if (r->configs[i].path)
			pve_config_free(&r->configs[i]);
	}
	findings_free(&r->findings);
	free(r);
}

/* The run produced exactly one finding, with this check, severity and line. */
static const struct finding *only(struct run *r, enum check_id check, enum severity s,
				  unsigned line)
{
	if (r->findings.count != 1) {
		for (size_t i = 0; i < r->findings.count; i++)
			print_message("  %u [%s] %s\n", r->findings.items[i].line,
				      check_id_name(r->findings.items[i].check),
				      r->findings.items[i].message);
		fail_msg("expected 1 finding, got %zu", r->findings.count);
	}
	const struct finding *f = &r->findings.items[0];
	assert_int_equal(f->check, check);
	assert_int_equal(f->severity, s);
	assert_int_equal(f->line, line);
	assert_non_null(f->hint);
	return f;
}

static void clean_configs_have_no_findings(void **state)
{
	(void)state;
	const char *good[] = {
		"bios: ovmf\nmachine: q35\nhostpci0: 0000:01:00,pcie=1\nvga: none\n",
		"hostpci0: 00:02.0,legacy-igd=1\nvga: none\n",
		"hostpci0: 04:00.0\nhostpci1: mapping=nic-x710,pcie=0\n",
		"machine: q35\nhostpci0: 01:00.0,pcie=1,x-vga=1\nhostpci1: 01:00.1,pcie=1\n",
		"hostpci0: 01:00,romfile=vbios/gtx1080.rom\n",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct run *r = validate_one(good[i]);
		if (r->findings.count)
			fail_msg("config %zu: %s", i, r->findings.items[0].message);
		run_free(r);
	}
}

static void pcie_without_q35(void **state)
{
	(void)state;
	struct run *r = validate_one("cores: 2\nhostpci0: 01:00.0,pcie=1\n");
	const struct finding *f = only(r, CHECK_PCIE_NEEDS_Q35, SEVERITY_ERROR, 2);
	assert_non_null(strstr(f->message, "q35 machine model is not enabled"));
	run_free(r);
	/* a machine line Proxmox drops leaves the VM on i440fx */
	r = validate_one("machine: q35,bogus=1\nhostpci0: 01:00.0,pcie=1\n");
	assert_int_equal(r->findings.count, 2);
	assert_int_equal(r->findings.items[0].check, CHECK_CONFIG_SYNTAX);
	assert_int_equal(r->findings.items[1].check, CHECK_PCIE_NEEDS_Q35);
	run_free(r);
}

static void xvga_with_ovmf_is_a_warning(void **state)
{
	(void)state;
	struct run *r = validate_one("bios: ovmf\nmachine: q35\nhostpci0: 01:00,pcie=1,x-vga=on\n");
	only(r, CHECK_XVGA_OVMF, SEVERITY_WARNING, 3);
	run_free(r);
}

static void duplicates_within_a_vm(void **state)
{
	(void)state;
	struct run *r = validate_one("hostpci0: 01:00\nhostpci3: 0000:01:00.1\n");
	const struct finding *f = only(r, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, 2);
	assert_string_equal(f->device, "0000:01:00.1");
	assert_non_null(strstr(f->message, "hostpci0 (line 1)"));
	run_free(r);
	r = validate_one("hostpci0: 01:00.0;02:00.0;01:00.0\n");
	only(r, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, 1);
	run_free(r);
	/* one finding per line, counting the rest */
	r = validate_one("hostpci0: 01:00\nhostpci1: 01:00.1;01:00.2;01:00.1\n");
	f = only(r, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, 2);
	assert_non_null(strstr(f->message, "0000:01:00.1 is already assigned by hostpci0 (line 1) "
					   "(and 2 more)"));
	run_free(r);
	r = validate_one("hostpci0: 01:00.0\nhostpci1: 01:00.1\nhostpci2: 0001:01:00.0\n");
	assert_int_equal(r->findings.count, 0);
	run_free(r);
	/* mediated devices are slices of one card: Proxmox skips them in this check */
	r = validate_one("hostpci0: 01:00.0,mdev=nvidia-63\nhostpci1: 01:00.0,mdev=nvidia-63\n");
	assert_int_equal(r->findings.count, 0);
	run_free(r);
}

static void shared_between_vms(void **state)
{
	(void)state;
	const char *both_onboot[] = {"onboot: 1\nhostpci0: 01:00\n",
				     "onboot: 1\nhostpci2: 01:00.0;01:00.1\n"};
	struct run *r = validate(both_onboot, 2);
	const struct finding *f = only(r, CHECK_DEVICE_SHARED, SEVERITY_ERROR, 2);
	assert_int_equal(f->vmid, 101);
	assert_non_null(strstr(f->message, "VM 100"));
	run_free(r);
	const char *one_onboot[] = {"onboot: 1\nhostpci0: 01:00.0\n", "hostpci0: 01:00.0\n",
				    "hostpci0: 01:00.1\n"};
	r = validate(one_onboot, 3);
	only(r, CHECK_DEVICE_SHARED, SEVERITY_WARNING, 1);
	assert_int_equal(r->findings.items[0].vmid, 101);
	run_free(r);
	/* three VMs on one card: one finding per later VM, naming the first and counting */
	const char *three[] = {"hostpci0: 01:00\n", "hostpci0: 01:00.0\n", "hostpci0: 01:00.0\n"};
	r = validate(three, 3);
	assert_int_equal(r->findings.count, 2);
	assert_non_null(strstr(r->findings.items[1].message, "VM 100"));
	assert_non_null(strstr(r->findings.items[1].message, "and 1 more VM;"));
	run_free(r);
	const char *mdev[] = {"onboot: 1\nhostpci0: 01:00.0,mdev=nvidia-63\n",
			      "onboot: 1\nhostpci0: 01:00.0,mdev=nvidia-63\n"};
	r = validate(mdev, 2);
	assert_int_equal(r->findings.count, 0);
	run_free(r);
}

static void host_and_mapping_rules(void **state)
{
	(void)state;
	struct run *r = validate_one("hostpci0: 01:00.0,mapping=gpu\n");
	const struct finding *f = only(r, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, 1);
	assert_non_null(strstr(f->message, "Cannot set both 'host' and 'mapping'."));
	run_free(r);
	r = validate_one("hostpci0: pcie=1\nmachine: q35\n");
	f = only(r, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, 1);
	assert_non_null(strstr(f->message, "Either 'host' or 'mapping' must be set."));
	run_free(r);
}

static void legacy_igd_rules(void **state)
{
	(void)state;
	struct {
		const char *config;
		const char *words;
	} cases[] = {
		{"hostpci0: 00:02.0,legacy-igd=1\n", "VGA mode to be 'none'"},
		{"vga: none,memory=16\nhostpci0: 00:02.0,legacy-igd=1\n", "VGA mode to be 'none'"},
		{"vga: none\nhostpci0: 00:02.0,legacy-igd=1,rombar=0\n", "rombar"},
		{"vga: none\nhostpci0: 00:02.0,legacy-igd=1,x-vga=1\n", "x-vga"},
		{"vga: none\nhostpci0: 00:02.0,legacy-igd=1,mdev=i915-GVTg_V5_4\n", "mdev"},
		{"vga: none\nmachine: q35\nhostpci0: 00:02.0,legacy-igd=1\n", "q35"},
		{"vga: none\nhostpci0: 00:02.0;00:02.1,legacy-igd=1\n", "multifunction"},
		{"vga: none\nhostpci0: 01:00.0,legacy-igd=1\n", "00:02.0"},
		{"vga: none\nhostpci0: 00:02.1,legacy-igd=1\n", "00:02.0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run *r = validate_one(cases[i].config);
		if (r->findings.count != 1 || r->findings.items[0].check != CHECK_LEGACY_IGD ||
		    !strstr(r->findings.items[0].message, cases[i].words))
			fail_msg("case %zu: expected legacy-igd about '%s'", i, cases[i].words);
		run_free(r);
	}
	/* Proxmox matches the id against /02\.0$/ only */
	struct run *r = validate_one("vga: none\nhostpci0: 0000:05:02.0,legacy-igd=1\n");
	assert_int_equal(r->findings.count, 0);
	run_free(r);
	/* "00:02" is several devices only where the host has several functions: offline,
	 * nothing to say (it starts at function 0, so the 02.0 rule holds) */
	r = validate_one("vga: none\nhostpci0: 00:02,legacy-igd=1\n");
	assert_int_equal(r->findings.count, 0);
	run_free(r);
	r = validate_one("vga: none\nhostpci0: 00:02.0,legacy-igd=1\n"
			 "hostpci1: 00:02.0,legacy-igd=1\n");
	/* the second legacy-igd line is both a duplicate and a second legacy device */
	assert_int_equal(r->findings.count, 2);
	run_free(r);
}

static void romfile_paths(void **state)
{
	(void)state;
	struct run *r = validate_one("hostpci0: 01:00,romfile=/usr/share/kvm/vbios.bin\n");
	const struct finding *f = only(r, CHECK_ROMFILE_PATH, SEVERITY_ERROR, 1);
	assert_non_null(strstr(f->message, "/usr/share/kvm//usr/share/kvm/vbios.bin"));
	run_free(r);
	r = validate_one("hostpci0: 01:00,romfile=../../../etc/shadow\n");
	only(r, CHECK_ROMFILE_PATH, SEVERITY_ERROR, 1);
	run_free(r);
	/* out and back in resolves inside; a sibling with the same prefix is outside */
	r = validate_one("hostpci0: 01:00,romfile=a/../../kvm/x.rom\n");
	only(r, CHECK_ROMFILE_PATH, SEVERITY_WARNING, 1);
	run_free(r);
	r = validate_one("hostpci0: 01:00,romfile=../kvm2/x.rom\n");
	f = only(r, CHECK_ROMFILE_PATH, SEVERITY_ERROR, 1);
	assert_non_null(strstr(f->message, "resolves to /usr/share/kvm2/x.rom"));
	run_free(r);
	r = validate_one("hostpci0: 01:00,romfile=roms/../x.rom\n");
	only(r, CHECK_ROMFILE_PATH, SEVERITY_WARNING, 1);
	run_free(r);
}

static void snapshots_are_not_judged(void **state)
{
	(void)state;
	struct run *r = validate_one("hostpci0: 01:00.0\n[old]\nhostpci0: 01:00.0,pcie=1\n"
				     "bogus: 1\n[PENDING]\nhostpci1: XX\n");
	assert_int_equal(r->findings.count, 0);
	run_free(r);
}

static void parse_config(const char *text, struct pve_config *ret)
{
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(text, strlen(text), &f, &e), 0);
	pve_config_parse(&f, "/etc/pve/qemu-server/100.conf", ret);
	text_file_free(&f);
}

static void parse_mappings(const char *text, struct pve_mappings *ret)
{
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(text, strlen(text), &f, &e), 0);
	pve_mappings_parse(&f, "/etc/pve/mapping/pci.cfg", ret);
	text_file_free(&f);
}

/* lib/findings.h: a finding's check id outlives whatever produced it.  A device rule's id
 * lives in the rules; the findings must stay readable after the rules are freed. */
static void device_rule_findings_outlive_the_rules(void **state)
{
	(void)state;
	const char *yaml = "version: 1\n"
			   "devices:\n"
			   "  - id: test-gpu-wants-q35\n"
			   "    name: test GPU\n"
			   "    match: {vendor: 0x10de}\n"
			   "    vm: {machine: q35}\n"
			   "    severity: warning\n"
			   "    hint: use q35\n";
	struct rules rules;
	struct pcipt_error rerr;
	assert_int_equal(rules_parse(yaml, strlen(yaml), NULL, &rules, &rerr), 0);
	struct pve_mappings mappings;
	parse_mappings("gpu\n\tmap id=10de:1b80,node=pve,path=0000:01:00\n", &mappings);
	struct pve_config config;
	parse_config("hostpci0: mapping=gpu\n", &config);
	struct checked_config checked = {&config, {config.path, 0, config.vmid}, false};
	struct findings out;
	findings_init(&out);
	validate_offline_rules(&checked, 1, &rules, &mappings, &out);
	/* the finding names its rule by index; its id comes from the rules it ran with */
	size_t found = 0;
	for (size_t i = 0; i < out.count; i++) {
		if (out.items[i].check != CHECK_DEVICE_RULE)
			continue;
		assert_int_equal(out.items[i].rule, 0);
		assert_string_equal(rules_finding_id(&rules, &out.items[i]), "test-gpu-wants-q35");
		found++;
	}
	assert_int_equal(found, 1);
	/* nothing in a finding points into the rules: freeing them first leaves the findings
	 * whole (the sanitizers watch the reads and the frees below) */
	rules_free(&rules);
	for (size_t i = 0; i < out.count; i++)
		assert_non_null(out.items[i].message);
	findings_free(&out);
	pve_config_free(&config);
	pve_mappings_free(&mappings);
}

/* An empty directory as the host's root: every file a check may read is missing. */
static struct rootfs *empty_root;
static char empty_dir[] = "/tmp/pcipt-checks-XXXXXX";

static int make_empty_root(void **state)
{
	(void)state;
	return mkdtemp(empty_dir) && rootfs_new(empty_dir, &empty_root) == 0 ? 0 : -1;
}

static int remove_empty_root(void **state)
{
	(void)state;
	rootfs_free(empty_root);
	return rmdir(empty_dir);
}

/* A host of n GPUs 0000:NN:00.0 (10de:1b80, subsystem 1458:3702, group NN), node "pve". */
static void fake_host(struct host *h, struct host_pci_device *devices, size_t n)
{
	static char node[] = "pve";
	memset(h, 0, sizeof(*h));
	h->root = empty_root;
	h->hostname = node;
	for (size_t i = 0; i < n; i++) {
		struct host_pci_device *d = &devices[i];
		memset(d, 0, sizeof(*d));
		snprintf(d->address, sizeof(d->address), "0000:%02zx:00.0", i + 1);
		d->bus = (unsigned)(i + 1);
		d->vendor = 0x10de;
		d->device = 0x1b80;
		d->subsystem_vendor = 0x1458;
		d->subsystem_device = 0x3702;
		d->iommu_group = (int)(i + 1);
	}
	h->pci.devices = devices;
	h->pci.count = n;
}

/* A map line's path may list any number of functions (pci.cfg has no limit but its line
 * length): assert_valid checks every one, and the VM gets every one. */
static void mapping_paths_are_never_cut(void **state)
{
	(void)state;
	enum { N = 40 };
	struct host_pci_device devices[N];
	struct host host;
	fake_host(&host, devices, N);
	char cfg[2048] =
		"gpus\n\tmap id=10de:1b80,iommugroup=1,node=pve,subsystem-id=1458:3702,path=";
	for (size_t i = 0; i < N; i++)
		snprintf(cfg + strlen(cfg), sizeof(cfg) - strlen(cfg), "%s0000:%02zx:00.0",
			 i ? ";" : "", i + 1);
	strcat(cfg, "\n");
	struct pve_mappings mappings;
	parse_mappings(cfg, &mappings);
	assert_int_equal(mappings.problem_count, 0);
	struct pve_config config;
	parse_config("hostpci0: mapping=gpus\n", &config);
	struct vm_devices d;
	vm_devices_resolve(&config.vm, 100, &host, &mappings, &d);
	assert_int_equal(d.problem_count, 0);
	assert_int_equal(d.count, N);
	assert_string_equal(d.items[N - 1].dev->address, "0000:28:00.0");
	vm_devices_free(&d);
	/* the last function is another card now: Proxmox refuses the mapping */
	devices[N - 1].device = 0x1b81;
	vm_devices_resolve(&config.vm, 100, &host, &mappings, &d);
	assert_int_equal(d.problem_count, 1);
	assert_int_equal(d.problems[0].kind, VM_MAPPING_INVALID);
	assert_non_null(strstr(d.problems[0].detail, "0000:28:00.0 is 10de:1b81"));
	vm_devices_free(&d);
	pve_config_free(&config);
	pve_mappings_free(&mappings);
}

static bool is_kebab_case(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return false;
	for (const char *p = s; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  (*p == '-' && p[1] && p[1] != '-');
		if (!ok)
			return false;
	}
	return true;
}

/* Code can emit nothing but an enum check_id (a string does not compile), so every id a code
 * path can emit is one of these: each has a catalogue row with a real severity and a
 * kebab-case id of its own, and rules/default.yaml configures each of them and nothing
 * else.  pcipt-rules(5) and the CLI's "37 checks configured" count the same catalogue. */
static void every_check_id_is_in_the_catalogue(void **state)
{
	(void)state;
	assert_int_equal(CHECK_COUNT, 37);
	assert_int_equal(rules_check_count(), CHECK_COUNT);
	for (int i = 0; i < CHECK_COUNT; i++) {
		const char *id = check_id_name((enum check_id)i);
		if (!is_kebab_case(id))
			fail_msg("check %d: '%s' is not a kebab-case id", i, id ? id : "(none)");
		assert_int_equal(check_id_from_name(id), i);
		for (int k = 0; k < i; k++) {
			if (strcmp(check_id_name((enum check_id)k), id) == 0)
				fail_msg("checks %d and %d share the id %s", k, i, id);
		}
		const struct rules_check_info *info = &rules_check_catalogue[i];
		if (info->code_severity < SEVERITY_INFO || info->code_severity > SEVERITY_ERROR)
			fail_msg("%s has no catalogue row (severity %d)", id, info->code_severity);
		assert_int_equal(rules_check_index(id), i);
	}
	/* a device rule's finding is no catalogue check: its id lives in the rules */
	assert_null(check_id_name(CHECK_COUNT));
	assert_null(check_id_name(CHECK_DEVICE_RULE));
	assert_int_equal(check_id_from_name("no-such-check"), -1);
	assert_int_equal(rules_check_index("no-such-check"), -1);

	/* rules/default.yaml: checks: names every catalogue id once, and nothing else */
	struct yaml_node *root;
	struct pcipt_error err;
	assert_int_equal(yaml_tree_parse(rules_builtin_yaml, rules_builtin_yaml_size, &root, &err),
			 0);
	const struct yaml_node *checks = yaml_tree_get(root, "checks");
	assert_non_null(checks);
	assert_int_equal(checks->kind, YAML_NODE_MAPPING);
	bool named[CHECK_COUNT] = {false};
	for (size_t k = 0; k < checks->count; k++) {
		const char *id = checks->keys[k]->value;
		int i = check_id_from_name(id);
		if (i < 0)
			fail_msg("default.yaml:%u configures '%s', which no code emits",
				 checks->keys[k]->line, id);
		assert_false(named[i]);
		named[i] = true;
	}
	for (int i = 0; i < CHECK_COUNT; i++) {
		if (!named[i])
			fail_msg("default.yaml leaves out %s", check_id_name((enum check_id)i));
	}
	yaml_tree_free(root);
}

/* A finding's id as output prints it: a catalogue check's own, a device rule's from the rules
 * the checks ran with; the rules set the severity of the first and leave the second's. */
static void findings_print_with_their_check_id(void **state)
{
	(void)state;
	const char *yaml = "version: 1\n"
			   "checks: {xvga-ovmf: error}\n"
			   "devices:\n"
			   "  - {id: first-rule, name: A, hint: h, match: {vendor: 1}}\n"
			   "  - {id: second-rule, name: B, hint: h, match: {vendor: 2}}\n";
	struct rules rules;
	struct pcipt_error rerr;
	assert_int_equal(rules_parse(yaml, strlen(yaml), NULL, &rules, &rerr), 0);
	struct source_ref src = {"100.conf", 0, 100};
	struct findings list;
	findings_init(&list);
	findings_add(&list, CHECK_XVGA_OVMF, SEVERITY_WARNING, &src, 1);
	findings_add_device_rule(&list, 1, SEVERITY_INFO, &src, 2);
	assert_string_equal(rules_finding_id(&rules, &list.items[0]), "xvga-ovmf");
	assert_string_equal(rules_finding_id(&rules, &list.items[1]), "second-rule");
	rules_apply(&rules, &list);
	assert_int_equal(list.count, 2);
	assert_int_equal(list.items[0].severity, SEVERITY_ERROR);
	assert_int_equal(list.items[1].severity, SEVERITY_INFO);
	findings_free(&list);
	rules_free(&rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clean_configs_have_no_findings),
		cmocka_unit_test(pcie_without_q35),
		cmocka_unit_test(xvga_with_ovmf_is_a_warning),
		cmocka_unit_test(duplicates_within_a_vm),
		cmocka_unit_test(shared_between_vms),
		cmocka_unit_test(host_and_mapping_rules),
		cmocka_unit_test(legacy_igd_rules),
		cmocka_unit_test(romfile_paths),
		cmocka_unit_test(snapshots_are_not_judged),
		cmocka_unit_test(every_check_id_is_in_the_catalogue),
		cmocka_unit_test(findings_print_with_their_check_id),
		cmocka_unit_test(device_rule_findings_outlive_the_rules),
		cmocka_unit_test(mapping_paths_are_never_cut),
	};
	return cmocka_run_group_tests(tests, make_empty_root, remove_empty_root);
}
