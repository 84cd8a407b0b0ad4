/* Every check id pcipt knows, with the parameters a rules file may give it.  Severities here
 * are what the check's code means by a primary finding; the severity a finding ends up with
 * comes from the rules (rules/default.yaml unless the admin says otherwise). */
#include "rules.h"

#include <string.h>

static const char *const rom_params[] = {"rom_roots", NULL};
static const char *const isolation_params[] = {"free_drivers", NULL};

const struct rules_check_info rules_check_catalogue[] = {
	/* config checks (also --offline) */
	{"config-syntax", SEVERITY_WARNING, NULL},
	{"hostpci-syntax", SEVERITY_ERROR, NULL},
	{"hostpci-duplicate", SEVERITY_ERROR, NULL},
	{"device-shared", SEVERITY_ERROR, NULL},
	{"pcie-needs-q35", SEVERITY_ERROR, NULL},
	{"xvga-ovmf", SEVERITY_WARNING, NULL},
	{"machine-options", SEVERITY_ERROR, NULL},
	{"legacy-igd", SEVERITY_ERROR, NULL},
	{"romfile-path", SEVERITY_ERROR, rom_params},
	{"hookscript-missing", SEVERITY_ERROR, NULL},
	/* host checks */
	{"iommu-disabled", SEVERITY_ERROR, NULL},
	{"interrupt-remapping", SEVERITY_ERROR, NULL},
	{"unsafe-interrupts", SEVERITY_WARNING, NULL},
	{"vfio-modules", SEVERITY_WARNING, NULL},
	{"device-missing", SEVERITY_ERROR, NULL},
	{"device-ids", SEVERITY_ERROR, NULL},
	{"group-isolation", SEVERITY_ERROR, isolation_params},
	{"acs-override", SEVERITY_WARNING, NULL},
	{"host-critical", SEVERITY_ERROR, NULL},
	{"sriov-pf", SEVERITY_ERROR, NULL},
	{"boot-vga", SEVERITY_WARNING, NULL},
	{"romfile-missing", SEVERITY_ERROR, NULL},
	{"romfile-format", SEVERITY_WARNING, NULL},
	{"rom-uefi", SEVERITY_WARNING, NULL},
	{"reset-method", SEVERITY_WARNING, NULL},
	{"bus-reset-scope", SEVERITY_WARNING, NULL},
	{"d3cold", SEVERITY_WARNING, NULL},
	{"rmrr", SEVERITY_ERROR, NULL},
	{"in-use", SEVERITY_ERROR, NULL},
	{"xvga-device", SEVERITY_ERROR, NULL},
};

size_t rules_check_count(void)
{
	return sizeof(rules_check_catalogue) / sizeof(rules_check_catalogue[0]);
}

int rules_check_index(const char *id)
{
	for (size_t i = 0; i < rules_check_count(); i++) {
		if (strcmp(rules_check_catalogue[i].id, id) == 0)
			return (int)i;
	}
	return -1;
}
