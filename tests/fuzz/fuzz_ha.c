/* Fuzz the HA configuration reader (/etc/pve/ha/resources.cfg, rules.cfg, groups.cfg): the
 * input is read as all three files at once, so each reader meets every section type.  Every
 * resource it keeps is a VM id Proxmox accepts, every rule it keeps has an id, and a VM's rule
 * is one of the rules that name it. */
#include "fuzz.h"

#include "../../lib/textfile.h"
#include "../../pve/ha.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_file text;
	struct pcipt_error err;
	if (text_file_from_buffer((const char *)data, size, &text, &err) < 0)
		return 0;
	struct pve_ha ha;
	pve_ha_parse(&text, &text, &text, &ha);
	text_file_free(&text);
	for (size_t i = 0; i < ha.resource_count; i++) {
		const struct pve_ha_resource *r = &ha.resources[i];
		if (r->vmid < 100 || r->vmid > 999999999 || !r->line || r->state > PVE_HA_IGNORED)
			abort();
		const struct pve_ha_affinity *a = pve_ha_affinity_of(&ha, r->vmid);
		if (a) {
			bool names = false;
			for (size_t k = 0; k < a->vmid_count; k++)
				names |= a->vmids[k] == r->vmid;
			if (!names || a->disabled || !a->node_count)
				abort();
		}
	}
	for (size_t i = 0; i < ha.rule_count; i++) {
		const struct pve_ha_affinity *a = &ha.rules[i];
		if (!a->id || !*a->id || !a->file || !a->line)
			abort();
		for (size_t k = 0; k < a->node_count; k++) {
			if (!*a->nodes[k] || strchr(a->nodes[k], ',') || strchr(a->nodes[k], ':'))
				abort();
		}
	}
	pve_ha_free(&ha);
	return 0;
}
