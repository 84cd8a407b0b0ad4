/* The checks: pure functions of (VM configs, later host and rules) that append findings.
 * Check ids are stable; tests and scripts outside the repo depend on them. */
#ifndef PCIPT_VALIDATOR_CHECKS_H
#define PCIPT_VALIDATOR_CHECKS_H

#include "../lib/findings.h"
#include "../pve/mapping.h"
#include "../pve/vmconfig.h"
#include "../rules/rules.h"

#include <stddef.h>

/* One config, as the checks see it: the parsed file and how findings name it. */
struct checked_config {
	const struct pve_config *config;
	struct source_ref source;
};

/* Config-only checks of one VM (config-syntax, hostpci-syntax, hostpci-duplicate,
 * pcie-needs-q35, xvga-ovmf, legacy-igd, romfile-path).  rules may be NULL: the checks then use
 * their built-in parameters. */
void check_config(const struct checked_config *c, const struct rules *rules, struct findings *out);

/* device-shared: the same host device in two of the given VMs. */
void check_device_shared(const struct checked_config *configs, size_t count,
			 struct findings *out);

/* Device rules (rules->devices) for the devices a VM passes through a resource mapping. */
void check_device_rules(const struct checked_config *c, const struct rules *rules,
			const struct pve_mappings *mappings, struct findings *out);

/* After rules_apply(): a device rule's `overrides` set the severity of the other findings
 * on the hostpci line of a matching device (findings turned off are removed). */
void apply_device_overrides(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *list);

/* Run every offline check over the given configs, with the parameters and device rules of
 * rules (NULL: the built-in parameters, no device rules) and the resource mappings (NULL:
 * none); severities are the checks' own until rules_apply(). */
void validate_offline_rules(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *out);
/* The same without rules. */
void validate_offline(const struct checked_config *configs, size_t count, struct findings *out);

#endif
