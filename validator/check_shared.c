/* device-shared: one host device named by two VMs.  Proxmox checks this only for running VMs
 * (pci-id-reservations); two stopped VMs that share a card fail at the second start. */
#include "checks.h"

#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct claim {
	const struct pve_pci_id *id;
	size_t config; /* index into the configs array */
	int hostpci;
	unsigned line;
};

static int compare_claims(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int r = strcmp(x->id->slot, y->id->slot);
	if (r)
		return r;
	if (x->config != y->config)
		return x->config < y->config ? -1 : 1;
	return x->hostpci - y->hostpci;
}

struct claim_pair {
	struct claim first, second; /* first.config < second.config */
};

static int compare_pairs(const void *a, const void *b)
{
	const struct claim_pair *x = a, *y = b;
	if (x->second.config != y->second.config)
		return x->second.config < y->second.config ? -1 : 1;
	if (x->second.hostpci != y->second.hostpci)
		return x->second.hostpci - y->second.hostpci;
	if (x->first.config != y->first.config)
		return x->first.config < y->first.config ? -1 : 1;
	if (x->first.hostpci != y->first.hostpci)
		return x->first.hostpci - y->first.hostpci;
	return strcmp(x->first.id->id, y->first.id->id);
}

static bool same_lines(const struct claim_pair *x, const struct claim_pair *y)
{
	return x->first.config == y->first.config && x->first.hostpci == y->first.hostpci &&
	       x->second.config == y->second.config && x->second.hostpci == y->second.hostpci;
}

static void report_pair(const struct checked_config *configs, const struct claim *first,
			const struct claim *second, struct findings *out)
{
	const struct checked_config *a = &configs[first->config], *b = &configs[second->config];
	bool both_onboot = a->config->vm.onboot_enabled && b->config->vm.onboot_enabled;
	/* report on the later VM, naming the earlier one */
	struct finding *f = findings_add(out, "device-shared",
					 both_onboot ? SEVERITY_ERROR : SEVERITY_WARNING,
					 &b->source, second->line);
	const char *shown = second->id->function < 0 ? first->id->id : second->id->id;
	finding_device(f, shown);
	char other[32];
	if (a->source.vmid >= 0)
		snprintf(other, sizeof(other), "VM %ld", a->source.vmid);
	else
		snprintf(other, sizeof(other), "another VM");
	if (both_onboot) {
		finding_message(f, "hostpci%d: %s is also passed to %s by hostpci%d (%s:%u); both "
				   "have onboot: 1, so whichever starts second at boot will fail",
				second->hostpci, shown, other, first->hostpci, a->source.file,
				first->line);
		finding_hint(f, "give the device to one VM only, or set `onboot: 0` on one of "
				"them");
	} else {
		finding_message(f, "hostpci%d: %s is also passed to %s by hostpci%d (%s:%u); only "
				   "one of the two VMs can run at a time",
				second->hostpci, shown, other, first->hostpci, a->source.file,
				first->line);
		finding_hint(f, "fine if you never run them together; otherwise give the device "
				"to one VM only");
	}
}

void check_device_shared(const struct checked_config *configs, size_t count,
			 struct findings *out)
{
	struct claim *claims = NULL;
	size_t n = 0, cap = 0;
	for (size_t c = 0; c < count; c++) {
		const struct pve_vm *vm = &configs[c].config->vm;
		for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
			const struct pve_hostpci_setting *s = &vm->hostpci[i];
			if (!s->raw.set)
				continue;
			for (size_t k = 0; k < s->dev.id_count; k++) {
				xgrow((void **)&claims, &cap, n + 1, sizeof(*claims));
				claims[n++] = (struct claim){&s->dev.ids[k], c, i, s->raw.line};
			}
		}
	}
	/* Sorting by slot puts every claim that can overlap next to each other, so the
	 * pairwise comparison stays within one card: n log n for thousands of VMs. */
	qsort(claims, n, sizeof(*claims), compare_claims);
	struct claim_pair *pairs = NULL;
	size_t npairs = 0, pairs_cap = 0;
	for (size_t start = 0; start < n;) {
		size_t end = start + 1;
		while (end < n && strcmp(claims[end].id->slot, claims[start].id->slot) == 0)
			end++;
		for (size_t j = start; j < end; j++) {
			for (size_t i = start; i < j; i++) {
				if (claims[i].config == claims[j].config ||
				    !pve_pci_id_overlap(claims[i].id, claims[j].id))
					continue;
				xgrow((void **)&pairs, &pairs_cap, npairs + 1, sizeof(*pairs));
				pairs[npairs++] = (struct claim_pair){claims[i], claims[j]};
			}
		}
		start = end;
	}
	/* One finding per pair of hostpci lines, however many functions they share. */
	qsort(pairs, npairs, sizeof(*pairs), compare_pairs);
	for (size_t k = 0; k < npairs; k++) {
		if (k > 0 && same_lines(&pairs[k - 1], &pairs[k]))
			continue;
		report_pair(configs, &pairs[k].first, &pairs[k].second, out);
	}
	free(pairs);
	free(claims);
}

void validate_offline(const struct checked_config *configs, size_t count, struct findings *out)
{
	for (size_t i = 0; i < count; i++)
		check_config(&configs[i], out);
	check_device_shared(configs, count, out);
}
