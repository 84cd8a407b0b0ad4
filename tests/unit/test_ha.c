/* pve/ha: /etc/pve/ha/{resources,groups,rules}.cfg as pve-ha-manager reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../pve/ha.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tree {
	char dir[64];
	struct rootfs *fs;
};

static void put(struct tree *t, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/etc/pve/ha/%s", t->dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/pcipt-ha-XXXXXX");
	if (!t || !mkdtemp(t->dir))
		return -1;
	char path[128];
	const char *parts[] = {"/etc", "/etc/pve", "/etc/pve/ha"};
	size_t len = strlen(t->dir);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%.*s%s", (int)len, t->dir, parts[i]);
		if (mkdir(path, 0755) < 0)
			return -1;
	}
	if (rootfs_new(t->dir, &t->fs) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	rootfs_free(t->fs);
	free(t);
	return 0;
}

static void no_files_no_resources(void **state)
{
	struct tree *t = *state;
	struct pve_ha ha;
	struct pcipt_error err;
	assert_int_equal(pve_ha_load(t->fs, &ha, &err), 0);
	assert_int_equal(ha.resource_count, 0);
	assert_null(pve_ha_find(&ha, 100));
	assert_null(pve_ha_affinity_of(&ha, 100));
	pve_ha_free(&ha);
}

/* states, the defaults, comments, a skipped section, a container */
static void resources_as_pve_ha_manager_reads_them(void **state)
{
	struct tree *t = *state;
	put(t, "resources.cfg",
	    "# HA\n"
	    "vm: 100\n"
	    "\tstate started\n"
	    "\tgroup gpu\n"
	    "\n"
	    "vm: 101\n"
	    "\n"
	    "vm: 102\n"
	    "\tstate disabled\n"
	    "\n"
	    "vm: 103\n"
	    "\tstate ignored\n"
	    "\n"
	    "vm: 104\n"
	    "\tstate stopped\n"
	    "\n"
	    "vm: 105\n"
	    "\tstate enabled\n"
	    "\n"
	    "vm: 106\n"
	    "\tstate bogus\n"
	    "\n"
	    "ct: 200\n"
	    "\tstate started\n"
	    "\n"
	    "vm: 0100\n"
	    "\tstate started\n");
	struct pve_ha ha;
	struct pcipt_error err;
	assert_int_equal(pve_ha_load(t->fs, &ha, &err), 0);
	assert_int_equal(ha.resource_count, 7);
	const struct pve_ha_resource *r = pve_ha_find(&ha, 100);
	assert_int_equal(r->state, PVE_HA_STARTED);
	assert_string_equal(r->group, "gpu");
	assert_int_equal(r->line, 2);
	assert_int_equal(pve_ha_find(&ha, 101)->state, PVE_HA_STARTED);
	assert_int_equal(pve_ha_find(&ha, 102)->state, PVE_HA_DISABLED);
	assert_int_equal(pve_ha_find(&ha, 103)->state, PVE_HA_IGNORED);
	assert_int_equal(pve_ha_find(&ha, 104)->state, PVE_HA_STOPPED);
	assert_int_equal(pve_ha_find(&ha, 105)->state, PVE_HA_STARTED);
	/* a value that does not parse is dropped: the default stays */
	assert_int_equal(pve_ha_find(&ha, 106)->state, PVE_HA_STARTED);
	assert_null(pve_ha_find(&ha, 200));
	assert_true(pve_ha_recovers(pve_ha_find(&ha, 104)));
	assert_false(pve_ha_recovers(pve_ha_find(&ha, 102)));
	assert_false(pve_ha_recovers(pve_ha_find(&ha, 103)));
	pve_ha_free(&ha);
}

/* PVE 9 rules, PVE 8 groups turned into rules, disabled rules, and the drop of every rule
 * that names a VM another rule names too */
static void node_affinity_from_rules_and_groups(void **state)
{
	struct tree *t = *state;
	put(t, "resources.cfg",
	    "vm: 100\n\tgroup gpu\n\n"
	    "vm: 101\n\n"
	    "vm: 102\n\tgroup gpu\n\n"
	    "vm: 103\n\tgroup nosuch\n\n"
	    "vm: 104\n\n"
	    "vm: 105\n\n"
	    "vm: 106\n");
	put(t, "groups.cfg",
	    "group: gpu\n"
	    "\tnodes pve1:2,pve2\n"
	    "\trestricted 1\n");
	put(t, "rules.cfg",
	    "node-affinity: pin101\n"
	    "\tresources vm:101\n"
	    "\tnodes pve3\n"
	    "\tstrict\n"
	    "\n"
	    "node-affinity: loose\n"
	    "\tresources vm:104,vm:105\n"
	    "\tnodes pve1\n"
	    "\n"
	    "node-affinity: also105\n"
	    "\tresources vm:105\n"
	    "\tnodes pve2\n"
	    "\n"
	    "node-affinity: off\n"
	    "\tresources vm:106\n"
	    "\tnodes pve1\n"
	    "\tstrict 1\n"
	    "\tdisable 1\n"
	    "\n"
	    "resource-affinity: together\n"
	    "\tresources vm:100,vm:101\n"
	    "\taffinity positive\n");
	struct pve_ha ha;
	struct pcipt_error err;
	assert_int_equal(pve_ha_load(t->fs, &ha, &err), 0);
	const struct pve_ha_affinity *a = pve_ha_affinity_of(&ha, 100);
	assert_non_null(a);
	assert_string_equal(a->id, "ha-group-gpu");
	assert_true(a->strict);
	assert_int_equal(a->node_count, 2);
	assert_string_equal(a->nodes[0], "pve1");
	assert_string_equal(a->nodes[1], "pve2");
	assert_ptr_equal(pve_ha_affinity_of(&ha, 102), a);
	a = pve_ha_affinity_of(&ha, 101);
	assert_string_equal(a->id, "pin101");
	assert_true(a->strict);
	assert_int_equal(a->line, 1);
	/* a group groups.cfg does not have: every node */
	assert_null(pve_ha_affinity_of(&ha, 103));
	/* 105 is in two rules: both are dropped, and with "loose" 104's rule too */
	assert_null(pve_ha_affinity_of(&ha, 105));
	assert_null(pve_ha_affinity_of(&ha, 104));
	assert_null(pve_ha_affinity_of(&ha, 106));
	pve_ha_free(&ha);
}

static void unreadable_file_says_which(void **state)
{
	struct tree *t = *state;
	char big[200];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(t, "rules.cfg", "node-affinity: a\n\tnodes \xff\n");
	struct pve_ha ha = {.resource_count = 42};
	struct pcipt_error err;
	int r = pve_ha_load(t->fs, &ha, &err);
	assert_true(r < 0);
	assert_int_equal(r, err.code);
	assert_non_null(strstr(err.message, "/etc/pve/ha/rules.cfg"));
	assert_int_equal(ha.resource_count, 42); /* untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_files_no_resources, setup, teardown),
		cmocka_unit_test_setup_teardown(resources_as_pve_ha_manager_reads_them, setup,
						teardown),
		cmocka_unit_test_setup_teardown(node_affinity_from_rules_and_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unreadable_file_says_which, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
