/* The rules side of every check (lib/check_ids.h): the severity its code means by a primary
 * finding, and the parameters a rules file may give it.  The severity a finding ends up with
 * comes from the rules (rules/default.yaml unless the admin says otherwise). */
#include "rules.h"

static const char *const rom_params[] = {"rom_roots", NULL};
static const char *const isolation_params[] = {"free_drivers", NULL};

/* Indexed by enum check_id: a check left out here would read as SEVERITY_OFF (the unit tests
 * refuse that), one too many or too few fails the assertion below. */
const struct rules_check_info rules_check_catalogue[] = {
	/* config checks (also --offline) */
	[CHECK_CONFIG_SYNTAX] = {SEVERITY_WARNING, NULL},
	[CHECK_HOSTPCI_SYNTAX] = {SEVERITY_ERROR, NULL},
	[CHECK_HOSTPCI_DUPLICATE] = {SEVERITY_ERROR, NULL},
	[CHECK_DEVICE_SHARED] = {SEVERITY_ERROR, NULL},
	[CHECK_PCIE_NEEDS_Q35] = {SEVERITY_ERROR, NULL},
	[CHECK_XVGA_OVMF] = {SEVERITY_WARNING, NULL},
	[CHECK_MACHINE_OPTIONS] = {SEVERITY_ERROR, NULL},
	[CHECK_LEGACY_IGD] = {SEVERITY_ERROR, NULL},
	[CHECK_ROMFILE_PATH] = {SEVERITY_ERROR, rom_params},
	[CHECK_HOOKSCRIPT_MISSING] = {SEVERITY_ERROR, NULL},
	/* host checks */
	[CHECK_IOMMU_DISABLED] = {SEVERITY_ERROR, NULL},
	[CHECK_INTERRUPT_REMAPPING] = {SEVERITY_ERROR, NULL},
	[CHECK_UNSAFE_INTERRUPTS] = {SEVERITY_WARNING, NULL},
	[CHECK_VFIO_MODULES] = {SEVERITY_WARNING, NULL},
	[CHECK_DEVICE_MISSING] = {SEVERITY_ERROR, NULL},
	[CHECK_DEVICE_IDS] = {SEVERITY_ERROR, NULL},
	[CHECK_GROUP_ISOLATION] = {SEVERITY_ERROR, isolation_params},
	[CHECK_ACS_OVERRIDE] = {SEVERITY_WARNING, NULL},
	[CHECK_HOST_CRITICAL] = {SEVERITY_ERROR, NULL},
	[CHECK_SRIOV_PF] = {SEVERITY_ERROR, NULL},
	[CHECK_BOOT_VGA] = {SEVERITY_WARNING, NULL},
	[CHECK_ROMFILE_MISSING] = {SEVERITY_ERROR, NULL},
	[CHECK_ROMFILE_FORMAT] = {SEVERITY_WARNING, NULL},
	[CHECK_ROM_UEFI] = {SEVERITY_WARNING, NULL},
	[CHECK_RESET_METHOD] = {SEVERITY_WARNING, NULL},
	[CHECK_BUS_RESET_SCOPE] = {SEVERITY_WARNING, NULL},
	[CHECK_D3COLD] = {SEVERITY_WARNING, NULL},
	[CHECK_RMRR] = {SEVERITY_ERROR, NULL},
	[CHECK_IN_USE] = {SEVERITY_ERROR, NULL},
	[CHECK_XVGA_DEVICE] = {SEVERITY_ERROR, NULL},
	[CHECK_NODE_SNAPSHOT] = {SEVERITY_ERROR, NULL},
	[CHECK_MIGRATION] = {SEVERITY_ERROR, NULL},
	[CHECK_HA_TARGET] = {SEVERITY_ERROR, NULL},
	[CHECK_HA_RAW_ADDRESS] = {SEVERITY_WARNING, NULL},
	[CHECK_MAPPING_ENTRY] = {SEVERITY_ERROR, NULL},
	[CHECK_DEVICE_IDENTITY] = {SEVERITY_ERROR, NULL},
	/* errors for a change that breaks a VM; the changes that break none are info, set as
	 * such by the drift judge whatever this severity is (a rules file can only turn them
	 * off) */
	[CHECK_DRIFT] = {SEVERITY_ERROR, NULL},
};

_Static_assert(sizeof(rules_check_catalogue) / sizeof(rules_check_catalogue[0]) == CHECK_COUNT,
	       "one catalogue row per check id");

size_t rules_check_count(void)
{
	return CHECK_COUNT;
}

int rules_check_index(const char *id)
{
	return check_id_from_name(id);
}
