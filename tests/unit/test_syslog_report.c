/* validator/syslog_report: the message each finding is logged as, its priority, and the run's
 * summary, through a sink that keeps them (pcipt-validate's calls syslog(3)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../validator/checks.h"
#include "../../validator/syslog_report.h"

#include "../../pve/vmconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static void priorities(void **state)
{
	(void)state;
	assert_int_equal(syslog_priority(SEVERITY_ERROR), LOG_ERR);
	assert_int_equal(syslog_priority(SEVERITY_WARNING), LOG_WARNING);
	assert_int_equal(syslog_priority(SEVERITY_INFO), LOG_INFO);
}

static struct finding *add(struct findings *list, enum check_id check, enum severity severity,
			   const char *file, long vmid, unsigned line, const char *message)
{
	struct source_ref src = {file, 0, vmid};
	struct finding *f = findings_add(list, check, severity, &src, line);
	finding_message(f, "%s", message);
	finding_hint(f, "the hint, never logged");
	return f;
}

static void assert_text(const struct finding *f, const char *key, const char *want)
{
	char *text = syslog_finding_text(f, check_id_name(f->check), key);
	assert_string_equal(text, want);
	free(text);
}

static void finding_texts(void **state)
{
	(void)state;
	struct findings l;
	findings_init(&l);
	const char *conf = "/etc/pve/qemu-server/100.conf";
	/* the key of the line comes first; the message does not say it twice */
	struct finding *f = add(&l, CHECK_GROUP_ISOLATION, SEVERITY_ERROR, conf, 100, 1,
				"hostpci0: 0000:00:1f.3 shares IOMMU group 9 with 0000:00:1f.4");
	assert_text(f, "hostpci0",
		    "VM 100 hostpci0: [group-isolation] 0000:00:1f.3 shares IOMMU group 9 with "
		    "0000:00:1f.4");
	/* a message that names its key otherwise keeps it; another key is no prefix */
	f = add(&l, CHECK_PCIE_NEEDS_Q35, SEVERITY_ERROR, conf, 100, 2,
		"hostpci0 sets pcie=1 but the machine type is the default i440fx (pc)");
	assert_text(f, "hostpci0",
		    "VM 100 hostpci0: [pcie-needs-q35] hostpci0 sets pcie=1 but the machine type "
		    "is the default i440fx (pc)");
	f = add(&l, CHECK_DEVICE_SHARED, SEVERITY_WARNING, conf, 100, 3,
		"hostpci1: 0000:01:00 is also passed to VM 101 by hostpci10");
	assert_text(f, "hostpci10",
		    "VM 100 hostpci10: [device-shared] hostpci1: 0000:01:00 is also passed to VM "
		    "101 by hostpci10");
	/* no key (the whole file, or a file that is not the config): the VM alone */
	f = add(&l, CHECK_CONFIG_SYNTAX, SEVERITY_ERROR, conf, 100, 0,
		"cannot read this file: NUL byte in a text file");
	assert_text(f, NULL,
		    "VM 100: [config-syntax] cannot read this file: NUL byte in a text file");
	/* no VM: the file, and the line when there is one */
	f = add(&l, CHECK_IOMMU_DISABLED, SEVERITY_ERROR, "/sys/class/iommu", -1, 0,
		"no IOMMU is active");
	assert_text(f, NULL, "/sys/class/iommu: [iommu-disabled] no IOMMU is active");
	f = add(&l, CHECK_VFIO_MODULES, SEVERITY_WARNING, "/etc/modprobe.d/vfio.conf", -1, 3,
		"vfio_pci is neither loaded nor listed to load at boot");
	assert_text(f, NULL,
		    "/etc/modprobe.d/vfio.conf:3: [vfio-modules] vfio_pci is neither loaded nor "
		    "listed to load at boot");
	/* judged against another node: said before the message, as in the text report */
	f = add(&l, CHECK_DRIFT, SEVERITY_ERROR, conf, 100, 1, "hostpci0: a device moved");
	finding_node(f, "pve2");
	assert_text(f, "hostpci0", "VM 100 hostpci0: [drift] node pve2: a device moved");
	findings_free(&l);
}

struct kept {
	int priority[16];
	char *message[16];
	size_t count;
};

static void keep(int priority, const char *message, void *ctx)
{
	struct kept *k = ctx;
	assert_true(k->count < 16);
	k->priority[k->count] = priority;
	k->message[k->count++] = strdup(message);
}

static void kept_free(struct kept *k)
{
	for (size_t i = 0; i < k->count; i++)
		free(k->message[i]);
}

static void report_with_keys(void **state)
{
	(void)state;
	const char *conf = "/etc/pve/qemu-server/100.conf";
	const char *text = "onboot: 1\n"
			   "hostpci0: 0000:00:1f.3\n"
			   "hostpci1: 0000:02:00.0,pcie=1\n";
	struct text_file t;
	struct pcipt_error err;
	assert_int_equal(text_file_from_buffer(text, strlen(text), &t, &err), 0);
	struct pve_config config;
	pve_config_parse(&t, conf, &config);
	text_file_free(&t);
	/* the config as lint_prepare leaves it: source 0 */
	struct checked_config checked = {&config, {conf, 0, 100}, true};
	struct lint_prepared p = {.configs = &config, .checked = &checked, .count = 1};

	struct findings l;
	findings_init(&l);
	add(&l, CHECK_GROUP_ISOLATION, SEVERITY_ERROR, conf, 100, 2, "hostpci0: shares group 9");
	add(&l, CHECK_DEVICE_SHARED, SEVERITY_WARNING, conf, 100, 3, "hostpci1: also VM 101's");
	add(&l, CHECK_CONFIG_SYNTAX, SEVERITY_INFO, conf, 100, 1, "onboot: fine");
	add(&l, CHECK_CONFIG_SYNTAX, SEVERITY_OFF, conf, 100, 1, "silenced by the rules");
	/* another file of the VM (its identity pins: source 1): no key of the config */
	struct source_ref pins = {"/var/lib/pcipt/identity/100", 1, 100};
	finding_message(findings_add(&l, CHECK_DEVICE_IDENTITY, SEVERITY_ERROR, &pins, 2),
			"pins cannot be used");

	struct kept k = {0};
	struct report_options opt = {0};
	struct syslog_report r;
	syslog_report_begin(&r, &opt, keep, &k);
	syslog_report_findings(&r, &l, &p);
	syslog_report_end(&r, "pcipt-validate --all --onboot --syslog");
	assert_int_equal(k.count, 5);
	assert_int_equal(k.priority[0], LOG_ERR);
	assert_string_equal(k.message[0], "VM 100 hostpci0: [group-isolation] shares group 9");
	assert_int_equal(k.priority[1], LOG_WARNING);
	assert_string_equal(k.message[1], "VM 100 hostpci1: [device-shared] also VM 101's");
	assert_int_equal(k.priority[2], LOG_INFO);
	assert_string_equal(k.message[2], "VM 100 onboot: [config-syntax] fine");
	assert_int_equal(k.priority[3], LOG_ERR);
	assert_string_equal(k.message[3], "VM 100: [device-identity] pins cannot be used");
	assert_int_equal(k.priority[4], LOG_NOTICE);
	assert_string_equal(k.message[4],
			    "pcipt-validate --all --onboot --syslog: 2 errors, 1 warning, 1 info; "
			    "without --syslog it prints each with its hint");
	assert_int_equal(r.errors, 2);
	kept_free(&k);

	/* -q: errors only, counted as shown; without the configs, no keys */
	k = (struct kept){0};
	opt.errors_only = true;
	syslog_report_begin(&r, &opt, keep, &k);
	syslog_report_findings(&r, &l, NULL);
	syslog_report_end(&r, "pcipt-validate -q --syslog 100");
	assert_int_equal(k.count, 3);
	assert_string_equal(k.message[0], "VM 100: [group-isolation] hostpci0: shares group 9");
	assert_string_equal(k.message[2],
			    "pcipt-validate -q --syslog 100: 2 errors, 0 warnings, 0 infos; "
			    "without --syslog it prints each with its hint");
	kept_free(&k);

	/* nothing to say: the summary alone, so the journal shows the check ran */
	k = (struct kept){0};
	struct findings none;
	findings_init(&none);
	syslog_report_begin(&r, &opt, keep, &k);
	syslog_report_findings(&r, &none, &p);
	syslog_report_end(&r, "pcipt-validate --boot-diff --syslog");
	assert_int_equal(k.count, 1);
	assert_int_equal(k.priority[0], LOG_NOTICE);
	assert_string_equal(k.message[0], "pcipt-validate --boot-diff --syslog: no findings");
	kept_free(&k);

	findings_free(&l);
	pve_config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(priorities),
		cmocka_unit_test(finding_texts),
		cmocka_unit_test(report_with_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
