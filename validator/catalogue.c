#include "checks.h"

#include <string.h>

/* Default severities; a finding may be milder than its check's default when the same check
 * covers both a start failure and a mere oddity (device-shared: error only when both VMs
 * start on boot). */
const struct check_info check_catalogue[] = {
	{"config-syntax", SEVERITY_WARNING, "a line Proxmox cannot parse or rejects and drops"},
	{"hostpci-syntax", SEVERITY_ERROR, "a hostpciN value Proxmox drops or refuses at start"},
	{"hostpci-duplicate", SEVERITY_ERROR, "the same host function assigned twice in one VM"},
	{"device-shared", SEVERITY_ERROR, "the same host device assigned to two VMs"},
	{"pcie-needs-q35", SEVERITY_ERROR, "pcie=1 without a q35 machine type"},
	{"xvga-ovmf", SEVERITY_WARNING, "x-vga with bios ovmf (Proxmox drops x-vga)"},
	{"legacy-igd", SEVERITY_ERROR, "legacy-igd assignment outside Proxmox's rules"},
	{"romfile-path", SEVERITY_ERROR, "romfile that does not resolve inside /usr/share/kvm"},
	{NULL, SEVERITY_OFF, NULL},
};

const struct check_info *check_lookup(const char *id)
{
	for (const struct check_info *c = check_catalogue; c->id; c++) {
		if (strcmp(c->id, id) == 0)
			return c;
	}
	return NULL;
}
