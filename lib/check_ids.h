/* Check ids: every check pcipt knows, as an enum.
 *
 * Code names a check by its enum value, so a misspelt id is a compile error rather than a
 * finding that silently escapes the rules.  The kebab-case id users see (in output, in rules
 * files, in pcipt-rules(5)) comes from the one list below; the rules side of a check (its
 * severity, its parameters) is rules/catalogue.c, indexed by this enum.
 *
 * Ids are stable: scripts and rules files outside pcipt depend on them. */
#ifndef PCIPT_CHECK_IDS_H
#define PCIPT_CHECK_IDS_H

/* CHECK(ENUM_NAME, "kebab-case-id"), in the order of pcipt-rules(5). */
#define PCIPT_CHECK_LIST(CHECK)                                                                    \
	/* config checks (also --offline) */                                                       \
	CHECK(CONFIG_SYNTAX, "config-syntax")                                                      \
	CHECK(HOSTPCI_SYNTAX, "hostpci-syntax")                                                    \
	CHECK(HOSTPCI_DUPLICATE, "hostpci-duplicate")                                              \
	CHECK(DEVICE_SHARED, "device-shared")                                                      \
	CHECK(PCIE_NEEDS_Q35, "pcie-needs-q35")                                                    \
	CHECK(XVGA_OVMF, "xvga-ovmf")                                                              \
	CHECK(MACHINE_OPTIONS, "machine-options")                                                  \
	CHECK(LEGACY_IGD, "legacy-igd")                                                            \
	CHECK(ROMFILE_PATH, "romfile-path")                                                        \
	CHECK(HOOKSCRIPT_MISSING, "hookscript-missing")                                            \
	/* host checks */                                                                          \
	CHECK(IOMMU_DISABLED, "iommu-disabled")                                                    \
	CHECK(INTERRUPT_REMAPPING, "interrupt-remapping")                                          \
	CHECK(UNSAFE_INTERRUPTS, "unsafe-interrupts")                                              \
	CHECK(VFIO_MODULES, "vfio-modules")                                                        \
	CHECK(DEVICE_MISSING, "device-missing")                                                    \
	CHECK(DEVICE_IDS, "device-ids")                                                            \
	CHECK(GROUP_ISOLATION, "group-isolation")                                                  \
	CHECK(ACS_OVERRIDE, "acs-override")                                                        \
	CHECK(HOST_CRITICAL, "host-critical")                                                      \
	CHECK(SRIOV_PF, "sriov-pf")                                                                \
	CHECK(BOOT_VGA, "boot-vga")                                                                \
	CHECK(ROMFILE_MISSING, "romfile-missing")                                                  \
	CHECK(ROMFILE_FORMAT, "romfile-format")                                                    \
	CHECK(ROM_UEFI, "rom-uefi")                                                                \
	CHECK(RESET_METHOD, "reset-method")                                                        \
	CHECK(BUS_RESET_SCOPE, "bus-reset-scope")                                                  \
	CHECK(D3COLD, "d3cold")                                                                    \
	CHECK(RMRR, "rmrr")                                                                        \
	CHECK(IN_USE, "in-use")                                                                    \
	CHECK(XVGA_DEVICE, "xvga-device")                                                          \
	/* cluster checks */                                                                       \
	CHECK(NODE_SNAPSHOT, "node-snapshot")                                                      \
	CHECK(MIGRATION, "migration")                                                              \
	CHECK(HA_TARGET, "ha-target")                                                              \
	CHECK(HA_RAW_ADDRESS, "ha-raw-address")                                                    \
	CHECK(MAPPING_ENTRY, "mapping-entry")                                                      \
	CHECK(DEVICE_IDENTITY, "device-identity")                                                  \
	CHECK(DRIFT, "drift")

enum check_id {
#define PCIPT_CHECK_ENUM(name, id) CHECK_##name,
	PCIPT_CHECK_LIST(PCIPT_CHECK_ENUM)
#undef PCIPT_CHECK_ENUM
		CHECK_COUNT, /* the number of catalogue checks; not a check */
	/* Not a catalogue check: a finding of a device rule of the rules file.  Its id is the
	 * rule's own (struct finding.rule says which rule). */
	CHECK_DEVICE_RULE,
};

/* The kebab-case id of a catalogue check; NULL for CHECK_DEVICE_RULE and anything else
 * outside the catalogue. */
const char *check_id_name(enum check_id check);

/* The catalogue check with this kebab-case id; -1 when there is none. */
int check_id_from_name(const char *name);

#endif
