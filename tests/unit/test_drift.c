/* host/drift: the changes between two readings of one host, one scenario per kind, on small
 * hand-built hosts (a GPU alone in group 14, the PCH's LPC bridge and audio in group 9, SATA in
 * 5, a NIC in 15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/drift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS GROUP DRIVER", "-": no group, no driver */
static const char *const base_devices[] = {
	"0000:00:00.0 8086:3ec2 8086:3ec2 060000 0 skl_uncore",
	"0000:00:17.0 8086:a352 8086:a352 010601 5 ahci",
	"0000:00:1f.0 8086:a305 8086:a305 060100 9 -",
	"0000:00:1f.3 8086:a348 8086:a348 040300 9 snd_hda_intel",
	"0000:01:00.0 10de:1b80 1458:3702 030000 14 vfio-pci",
	"0000:01:00.1 10de:10f0 1458:3702 040300 14 vfio-pci",
	"0000:02:00.0 8086:1533 8086:0000 020000 15 igb",
};
#define BASE_COUNT (sizeof(base_devices) / sizeof(base_devices[0]))

static const char *const base_cmdline[] = {"BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve", "ro", "quiet",
					   "intel_iommu=on", "iommu=pt"};

static int compare_addresses(const void *a, const void *b)
{
	return strcmp(((const struct host_pci_device *)a)->address,
		      ((const struct host_pci_device *)b)->address);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A host of these devices (in any order), with an IOMMU that remaps interrupts when any
 * device has a group, booted with words. */
static void make_host(struct host *h, const char *const *specs, size_t n, const char *const *words,
		      size_t word_count)
{
	*h = (struct host){0};
	h->pci.devices = calloc(n ? n : 1, sizeof(*h->pci.devices));
	h->pci.count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_pci_device *d = &h->pci.devices[i];
		unsigned vendor, device, sv, sd, class_code;
		char address[HOST_PCI_ADDRESS_MAX + 1], group[16], driver[32];
		assert_int_equal(sscanf(specs[i], "%16s %x:%x %x:%x %x %15s %31s", address, &vendor,
					&device, &sv, &sd, &class_code, group, driver),
				 8);
		snprintf(d->address, sizeof(d->address), "%s", address);
		d->vendor = vendor;
		d->device = device;
		d->subsystem_vendor = sv;
		d->subsystem_device = sd;
		d->class_code = class_code;
		d->iommu_group = strcmp(group, "-") == 0 ? -1 : atoi(group);
		d->driver = strcmp(driver, "-") == 0 ? NULL : strdup(driver);
		d->boot_vga = d->d3cold_allowed = d->sriov_totalvfs = d->sriov_numvfs = -1;
	}
	qsort(h->pci.devices, n, sizeof(*h->pci.devices), compare_addresses);
	/* the groups, sorted by number, each with its members sorted */
	struct host_iommu *m = &h->iommu;
	m->groups = calloc(n ? n : 1, sizeof(*m->groups));
	for (int number = 0; number < 1000; number++) {
		struct host_iommu_group *g = &m->groups[m->group_count];
		for (size_t i = 0; i < n; i++) {
			if (h->pci.devices[i].iommu_group != number)
				continue;
			g->devices = realloc(g->devices, (g->device_count + 1) * sizeof(char *));
			g->devices[g->device_count++] = strdup(h->pci.devices[i].address);
		}
		if (g->device_count) {
			g->number = number;
			qsort(g->devices, g->device_count, sizeof(char *), compare_strings);
			m->group_count++;
		}
	}
	if (m->group_count) {
		m->units = calloc(1, sizeof(*m->units));
		m->units[0] =
			(struct host_iommu_unit){strdup("dmar0"), HOST_IOMMU_INTEL, false, 0, 0};
		m->unit_count = 1;
		m->remapped_irq_chips = HOST_YES;
	} else {
		m->remapped_irq_chips = HOST_NO;
	}
	if (words) {
		h->boot.have_running = true;
		h->boot.running.words = calloc(word_count ? word_count : 1, sizeof(char *));
		for (size_t i = 0; i < word_count; i++)
			h->boot.running.words[i] = strdup(words[i]);
		h->boot.running.count = word_count;
	}
	h->hostname = strdup("pve");
}

static void make_base(struct host *h)
{
	make_host(h, base_devices, BASE_COUNT, base_cmdline, 5);
}

/* The base devices with the one at address replaced by spec (NULL: left out), and extra
 * added (NULL: none). */
static void make_edited(struct host *h, const char *address, const char *spec, const char *extra)
{
	const char *specs[BASE_COUNT + 1];
	size_t n = 0;
	for (size_t i = 0; i < BASE_COUNT; i++) {
		if (address && strncmp(base_devices[i], address, strlen(address)) == 0) {
			if (spec)
				specs[n++] = spec;
		} else {
			specs[n++] = base_devices[i];
		}
	}
	if (extra)
		specs[n++] = extra;
	make_host(h, specs, n, base_cmdline, 5);
}

static void compare(const struct host *old, const struct host *new, struct host_drift *d)
{
	host_drift_compare(old, new, d);
}

static void expect_change(const struct host_drift_change *c, enum host_drift_kind kind,
			  const char *old_address, const char *new_address, const char *old_text,
			  const char *new_text)
{
	assert_string_equal(host_drift_kind_name(c->kind), host_drift_kind_name(kind));
	if (old_address)
		assert_string_equal(c->old_address, old_address);
	else
		assert_null(c->old_address);
	if (new_address)
		assert_string_equal(c->new_address, new_address);
	else
		assert_null(c->new_address);
	if (old_text)
		assert_string_equal(c->old_text, old_text);
	else
		assert_null(c->old_text);
	if (new_text)
		assert_string_equal(c->new_text, new_text);
	else
		assert_null(c->new_text);
}

static void free_hosts(struct host *a, struct host *b, struct host_drift *d)
{
	host_drift_free(d);
	host_free(a);
	host_free(b);
}

static void same_host_no_change(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_base(&b);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 0);
	free_hosts(&a, &b, &d);
}

static void appeared_and_vanished(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	/* the NIC is gone, a NVMe drive came in another slot */
	make_edited(&b, "0000:02:00.0", NULL, "0000:03:00.0 144d:a808 144d:a801 010802 16 nvme");
	compare(&a, &b, &d);
	assert_int_equal(d.count, 2);
	expect_change(&d.changes[0], HOST_DRIFT_VANISHED, "0000:02:00.0", NULL,
		      "8086:1533 subsystem 8086:0000 class 020000", NULL);
	expect_change(&d.changes[1], HOST_DRIFT_APPEARED, NULL, "0000:03:00.0", NULL,
		      "144d:a808 subsystem 144d:a801 class 010802");
	assert_false(host_drift_host_wide(&d.changes[0]));
	free_hosts(&a, &b, &d);
}

static void moved_to_another_slot(void **state)
{
	(void)state;
	static const char *const moved[] = {
		"0000:00:00.0 8086:3ec2 8086:3ec2 060000 0 skl_uncore",
		"0000:00:17.0 8086:a352 8086:a352 010601 5 ahci",
		"0000:00:1f.0 8086:a305 8086:a305 060100 9 -",
		"0000:00:1f.3 8086:a348 8086:a348 040300 9 snd_hda_intel",
		"0000:02:00.0 8086:1533 8086:0000 020000 15 igb",
		/* the GPU in the next slot, now beside the SATA controller's group */
		"0000:03:00.0 10de:1b80 1458:3702 030000 5 vfio-pci",
		"0000:03:00.1 10de:10f0 1458:3702 040300 5 vfio-pci",
	};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, moved, 7, base_cmdline, 5);
	compare(&a, &b, &d);
	/* two moves, no vanish or appearance; the groups of the devices kept in place did not
	 * change (00:17.0 alone among them in 5), so no group change either */
	assert_int_equal(d.count, 2);
	expect_change(&d.changes[0], HOST_DRIFT_MOVED, "0000:01:00.0", "0000:03:00.0",
		      "10de:1b80 subsystem 1458:3702 class 030000",
		      "10de:1b80 subsystem 1458:3702 class 030000");
	expect_change(&d.changes[1], HOST_DRIFT_MOVED, "0000:01:00.1", "0000:03:00.1",
		      "10de:10f0 subsystem 1458:3702 class 040300",
		      "10de:10f0 subsystem 1458:3702 class 040300");
	/* the move reaches where the device was and is, and its new group peers */
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:01:00.0"));
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:03:00.0"));
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:03:00.1"));
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:00:17.0"));
	assert_false(host_drift_touches(&d.changes[0], &a, &b, "0000:02:00.0"));
	assert_false(host_drift_touches(&d.changes[0], &a, &b, "0000:00:1f.3"));
	free_hosts(&a, &b, &d);
}

static void two_alike_do_not_move(void **state)
{
	(void)state;
	/* two identical NICs: which went where cannot be told, so no move is claimed */
	static const char *const before[] = {
		"0000:02:00.0 8086:1533 8086:0000 020000 15 igb",
		"0000:02:00.1 8086:1533 8086:0000 020000 15 igb",
	};
	static const char *const after[] = {
		"0000:04:00.0 8086:1533 8086:0000 020000 15 igb",
		"0000:04:00.1 8086:1533 8086:0000 020000 15 igb",
	};
	struct host a, b;
	struct host_drift d;
	make_host(&a, before, 2, NULL, 0);
	make_host(&b, after, 2, NULL, 0);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 4);
	expect_change(&d.changes[0], HOST_DRIFT_VANISHED, "0000:02:00.0", NULL,
		      "8086:1533 subsystem 8086:0000 class 020000", NULL);
	expect_change(&d.changes[1], HOST_DRIFT_VANISHED, "0000:02:00.1", NULL,
		      "8086:1533 subsystem 8086:0000 class 020000", NULL);
	expect_change(&d.changes[2], HOST_DRIFT_APPEARED, NULL, "0000:04:00.0", NULL,
		      "8086:1533 subsystem 8086:0000 class 020000");
	expect_change(&d.changes[3], HOST_DRIFT_APPEARED, NULL, "0000:04:00.1", NULL,
		      "8086:1533 subsystem 8086:0000 class 020000");
	free_hosts(&a, &b, &d);
}

static void another_device_at_an_address(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	/* an AMD card where the NVIDIA one was: the same address, group and driver */
	make_edited(&b, "0000:01:00.0", "0000:01:00.0 1002:67df 1da2:e353 030000 14 vfio-pci",
		    NULL);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	expect_change(&d.changes[0], HOST_DRIFT_REPLACED, "0000:01:00.0", "0000:01:00.0",
		      "10de:1b80 subsystem 1458:3702 class 030000",
		      "1002:67df subsystem 1da2:e353 class 030000");
	free_hosts(&a, &b, &d);
	/* the subsystem alone tells two cards apart as well */
	make_base(&a);
	make_edited(&b, "0000:01:00.0", "0000:01:00.0 10de:1b80 1043:85a4 030000 14 vfio-pci",
		    NULL);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.changes[0].kind, HOST_DRIFT_REPLACED);
	free_hosts(&a, &b, &d);
}

static void driver_changed(void **state)
{
	(void)state;
	static const char *const after[] = {
		"0000:00:00.0 8086:3ec2 8086:3ec2 060000 0 skl_uncore",
		"0000:00:17.0 8086:a352 8086:a352 010601 5 ahci",
		"0000:00:1f.0 8086:a305 8086:a305 060100 9 lpc_ich",
		"0000:00:1f.3 8086:a348 8086:a348 040300 9 snd_hda_intel",
		"0000:01:00.0 10de:1b80 1458:3702 030000 14 nouveau",
		"0000:01:00.1 10de:10f0 1458:3702 040300 14 vfio-pci",
		"0000:02:00.0 8086:1533 8086:0000 020000 15 igb",
	};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, after, 7, base_cmdline, 5);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 2);
	expect_change(&d.changes[0], HOST_DRIFT_DRIVER, "0000:00:1f.0", "0000:00:1f.0", "no driver",
		      "lpc_ich");
	expect_change(&d.changes[1], HOST_DRIFT_DRIVER, "0000:01:00.0", "0000:01:00.0", "vfio-pci",
		      "nouveau");
	/* a driver change reaches the device's group peers, and nothing else */
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:00:1f.3"));
	assert_false(host_drift_touches(&d.changes[0], &a, &b, "0000:01:00.0"));
	assert_true(host_drift_touches(&d.changes[1], &a, &b, "0000:01:00.1"));
	assert_false(host_drift_touches(&d.changes[1], &a, &b, "0000:00:17.0"));
	free_hosts(&a, &b, &d);
}

static void group_split(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_edited(&b, "0000:00:1f.3", "0000:00:1f.3 8086:a348 8086:a348 040300 20 snd_hda_intel",
		    NULL);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	const struct host_drift_change *c = &d.changes[0];
	expect_change(c, HOST_DRIFT_GROUP_SPLIT, NULL, NULL, "group 9: 0000:00:1f.0, 0000:00:1f.3",
		      "group 9: 0000:00:1f.0; group 20: 0000:00:1f.3");
	assert_int_equal(c->old_group, 9);
	assert_int_equal(c->new_group, -1);
	assert_int_equal(c->device_count, 2);
	assert_string_equal(c->devices[0], "0000:00:1f.0");
	assert_string_equal(c->devices[1], "0000:00:1f.3");
	assert_true(host_drift_touches(c, &a, &b, "0000:00:1f.3"));
	assert_false(host_drift_touches(c, &a, &b, "0000:01:00.0"));
	free_hosts(&a, &b, &d);
}

static void groups_merged(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	/* a firmware update: the SATA controller joins the GPU's group */
	make_edited(&b, "0000:00:17.0", "0000:00:17.0 8086:a352 8086:a352 010601 14 ahci", NULL);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	const struct host_drift_change *c = &d.changes[0];
	expect_change(c, HOST_DRIFT_GROUP_MERGED, NULL, NULL,
		      "group 5: 0000:00:17.0; group 14: 0000:01:00.0, 0000:01:00.1",
		      "group 14: 0000:00:17.0, 0000:01:00.0, 0000:01:00.1");
	assert_int_equal(c->old_group, -1);
	assert_int_equal(c->new_group, 14);
	assert_int_equal(c->device_count, 3);
	assert_string_equal(c->devices[0], "0000:00:17.0");
	assert_true(host_drift_touches(c, &a, &b, "0000:01:00.0"));
	assert_true(host_drift_touches(c, &a, &b, "0000:00:17.0"));
	assert_false(host_drift_touches(c, &a, &b, "0000:00:1f.3"));
	free_hosts(&a, &b, &d);
}

static void group_renumbered(void **state)
{
	(void)state;
	static const char *const after[] = {
		"0000:00:00.0 8086:3ec2 8086:3ec2 060000 0 skl_uncore",
		"0000:00:17.0 8086:a352 8086:a352 010601 5 ahci",
		"0000:00:1f.0 8086:a305 8086:a305 060100 9 -",
		"0000:00:1f.3 8086:a348 8086:a348 040300 9 snd_hda_intel",
		"0000:01:00.0 10de:1b80 1458:3702 030000 15 vfio-pci",
		"0000:01:00.1 10de:10f0 1458:3702 040300 15 vfio-pci",
		"0000:02:00.0 8086:1533 8086:0000 020000 16 igb",
	};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, after, 7, base_cmdline, 5);
	compare(&a, &b, &d);
	/* the same partition, other numbers: a mapping's iommugroup= no longer matches */
	assert_int_equal(d.count, 2);
	expect_change(&d.changes[0], HOST_DRIFT_GROUP_RENUMBERED, NULL, NULL,
		      "group 14: 0000:01:00.0, 0000:01:00.1",
		      "group 15: 0000:01:00.0, 0000:01:00.1");
	assert_int_equal(d.changes[0].old_group, 14);
	assert_int_equal(d.changes[0].new_group, 15);
	expect_change(&d.changes[1], HOST_DRIFT_GROUP_RENUMBERED, NULL, NULL,
		      "group 15: 0000:02:00.0", "group 16: 0000:02:00.0");
	/* old group 15 (the NIC) and new group 15 (the GPU) are two groups: the number alone
	 * names no device */
	assert_false(host_drift_touches(&d.changes[1], &a, &b, "0000:01:00.0"));
	assert_true(host_drift_touches(&d.changes[0], &a, &b, "0000:01:00.1"));
	free_hosts(&a, &b, &d);
}

static void iommu_off(void **state)
{
	(void)state;
	static const char *const off[] = {
		"0000:00:00.0 8086:3ec2 8086:3ec2 060000 - skl_uncore",
		"0000:00:17.0 8086:a352 8086:a352 010601 - ahci",
		"0000:00:1f.0 8086:a305 8086:a305 060100 - -",
		"0000:00:1f.3 8086:a348 8086:a348 040300 - snd_hda_intel",
		"0000:01:00.0 10de:1b80 1458:3702 030000 - vfio-pci",
		"0000:01:00.1 10de:10f0 1458:3702 040300 - vfio-pci",
		"0000:02:00.0 8086:1533 8086:0000 020000 - igb",
	};
	static const char *const words[] = {"BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve", "ro", "quiet",
					    "iommu=pt"};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, off, 7, words, 4);
	compare(&a, &b, &d);
	/* no group change: without groups there is no partition to compare */
	assert_int_equal(d.count, 3);
	expect_change(&d.changes[0], HOST_DRIFT_IOMMU, NULL, NULL, "on", "off");
	expect_change(&d.changes[1], HOST_DRIFT_INTERRUPT_REMAPPING, NULL, NULL, "on", "off");
	expect_change(&d.changes[2], HOST_DRIFT_CMDLINE, NULL, NULL,
		      "BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve ro quiet intel_iommu=on iommu=pt",
		      "BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve ro quiet iommu=pt");
	assert_string_equal(d.changes[2].detail, "removed intel_iommu=on");
	for (size_t i = 0; i < 3; i++) {
		assert_true(host_drift_host_wide(&d.changes[i]));
		assert_true(host_drift_touches(&d.changes[i], &a, &b, "0000:02:00.0"));
	}
	host_drift_free(&d);
	/* and back on */
	compare(&b, &a, &d);
	assert_int_equal(d.count, 3);
	expect_change(&d.changes[0], HOST_DRIFT_IOMMU, NULL, NULL, "off", "on");
	assert_string_equal(d.changes[2].detail, "added intel_iommu=on");
	free_hosts(&a, &b, &d);
}

static void unknown_is_no_change(void **state)
{
	(void)state;
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, base_devices, BASE_COUNT, NULL, 0);
	b.iommu.remapped_irq_chips = HOST_UNKNOWN;
	/* /proc/cmdline and /proc/interrupts unreadable now: unknown, not changed */
	compare(&a, &b, &d);
	assert_int_equal(d.count, 0);
	free_hosts(&a, &b, &d);
}

static void cmdline_words(void **state)
{
	(void)state;
	static const char *const words[] = {"BOOT_IMAGE=/boot/vmlinuz-6.8.12-5-pve",
					    "ro",
					    "quiet",
					    "intel_iommu=on",
					    "iommu=pt",
					    "pcie_acs_override=downstream"};
	static const char *const reordered[] = {"BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve", "ro",
						"intel_iommu=on", "quiet", "iommu=pt"};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, base_devices, BASE_COUNT, words, 6);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.changes[0].detail,
			    "removed BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve; added "
			    "BOOT_IMAGE=/boot/vmlinuz-6.8.12-5-pve pcie_acs_override=downstream");
	free_hosts(&a, &b, &d);
	make_base(&a);
	make_host(&b, base_devices, BASE_COUNT, reordered, 5);
	compare(&a, &b, &d);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.changes[0].detail, "the same words in another order");
	free_hosts(&a, &b, &d);
}

static void changes_in_order(void **state)
{
	(void)state;
	static const char *const after[] = {
		"0000:00:00.0 8086:3ec2 8086:3ec2 060000 0 skl_uncore",
		"0000:00:17.0 8086:a352 8086:a352 010601 14 ahci",
		"0000:00:1f.0 8086:a305 8086:a305 060100 9 -",
		"0000:00:1f.3 8086:a348 8086:a348 040300 20 snd_hda_intel",
		"0000:01:00.0 10de:1b80 1458:3702 030000 14 nouveau",
		"0000:01:00.1 10de:10f0 1458:3702 040300 14 vfio-pci",
		"0000:05:00.0 8086:1533 8086:0000 020000 15 igb",
	};
	static const char *const words[] = {"ro"};
	struct host a, b;
	struct host_drift d;
	make_base(&a);
	make_host(&b, after, 7, words, 1);
	compare(&a, &b, &d);
	static const enum host_drift_kind want[] = {
		HOST_DRIFT_CMDLINE,     HOST_DRIFT_DRIVER,       HOST_DRIFT_MOVED,
		HOST_DRIFT_GROUP_SPLIT, HOST_DRIFT_GROUP_MERGED,
	};
	assert_int_equal(d.count, 5);
	for (size_t i = 0; i < d.count; i++)
		assert_string_equal(host_drift_kind_name(d.changes[i].kind),
				    host_drift_kind_name(want[i]));
	assert_string_equal(d.changes[1].old_address, "0000:01:00.0");
	assert_string_equal(d.changes[2].new_address, "0000:05:00.0");
	assert_int_equal(d.changes[3].old_group, 9);
	assert_int_equal(d.changes[4].new_group, 14);
	free_hosts(&a, &b, &d);
}

static void kind_names(void **state)
{
	(void)state;
	assert_string_equal(host_drift_kind_name(HOST_DRIFT_APPEARED), "appeared");
	assert_string_equal(host_drift_kind_name(HOST_DRIFT_GROUP_SPLIT), "group-split");
	assert_string_equal(host_drift_kind_name(HOST_DRIFT_INTERRUPT_REMAPPING),
			    "interrupt-remapping");
	assert_string_equal(host_drift_kind_name(HOST_DRIFT_CMDLINE), "cmdline");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_host_no_change),
		cmocka_unit_test(appeared_and_vanished),
		cmocka_unit_test(moved_to_another_slot),
		cmocka_unit_test(two_alike_do_not_move),
		cmocka_unit_test(another_device_at_an_address),
		cmocka_unit_test(driver_changed),
		cmocka_unit_test(group_split),
		cmocka_unit_test(groups_merged),
		cmocka_unit_test(group_renumbered),
		cmocka_unit_test(iommu_off),
		cmocka_unit_test(unknown_is_no_change),
		cmocka_unit_test(cmdline_words),
		cmocka_unit_test(changes_in_order),
		cmocka_unit_test(kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
