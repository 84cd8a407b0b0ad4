/* device-shared: one host device named by two VMs.  Proxmox checks this only for running VMs
 * (pci-id-reservations); two stopped VMs that share a card fail at the second start. */
#include "checks.h"

#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdint.h>
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

/* What the VMs before one claim share with it. */
struct sharing {
	const struct claim *named;   /* the earlier claim the finding names */
	size_t other_vms;            /* distinct earlier VMs that claim an overlapping device */
	bool other_onboot;
};

static void report_sharing(const struct checked_config *configs, const struct claim *mine,
			   const struct sharing *sh, struct findings *out)
{
	const struct checked_config *me = &configs[mine->config];
	const struct checked_config *them = &configs[sh->named->config];
	bool both_onboot = me->config->vm.onboot_enabled && sh->other_onboot;
	struct finding *f = findings_add(out, "device-shared",
					 both_onboot ? SEVERITY_ERROR : SEVERITY_WARNING,
					 &me->source, mine->line);
	const char *shown = mine->id->function < 0 ? sh->named->id->id : mine->id->id;
	finding_device(f, shown);
	char other[40];
	if (them->source.vmid >= 0)
		snprintf(other, sizeof(other), "VM %ld", them->source.vmid);
	else
		snprintf(other, sizeof(other), "another VM");
	char more[48] = "";
	if (sh->other_vms > 1)
		snprintf(more, sizeof(more), " and %zu more VM%s", sh->other_vms - 1,
			 sh->other_vms > 2 ? "s" : "");
	if (both_onboot) {
		finding_message(f, "hostpci%d: %s is also passed to %s by hostpci%d (%s:%u)%s; "
				   "this VM and another one have onboot: 1, so whichever starts "
				   "second at boot will fail",
				mine->hostpci, shown, other, sh->named->hostpci, them->source.file,
				sh->named->line, more);
		finding_hint(f, "give the device to one VM only, or set `onboot: 0` on all but "
				"one of them");
	} else {
		finding_message(f, "hostpci%d: %s is also passed to %s by hostpci%d (%s:%u)%s; "
				   "only one of them can run at a time",
				mine->hostpci, shown, other, sh->named->hostpci, them->source.file,
				sh->named->line, more);
		finding_hint(f, "fine if you never run them together; otherwise give the device "
				"to one VM only");
	}
}

/* A hostpci line already reported (it can collide on several slots). */
struct reported {
	size_t config;
	int hostpci;
};

static int compare_reported(const void *a, const void *b)
{
	const struct reported *x = a, *y = b;
	if (x->config != y->config)
		return x->config < y->config ? -1 : 1;
	return x->hostpci - y->hostpci;
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
			/* mediated devices are slices meant to be shared */
			if (!s->raw.set || s->dev.mdev)
				continue;
			for (size_t k = 0; k < s->dev.id_count; k++) {
				xgrow((void **)&claims, &cap, n + 1, sizeof(*claims));
				claims[n++] = (struct claim){&s->dev.ids[k], c, i, s->raw.line};
			}
		}
	}
	if (n < 2) {
		free(claims);
		return;
	}
	/* Sorting by slot, then VM, puts every claim that can overlap next to each other:
	 * the comparisons stay within one card. */
	qsort(claims, n, sizeof(*claims), compare_claims);
	struct reported *done = NULL;
	size_t ndone = 0, done_cap = 0;
	for (size_t start = 0; start < n;) {
		size_t end = start + 1;
		while (end < n && strcmp(claims[end].id->slot, claims[start].id->slot) == 0)
			end++;
		for (size_t j = start + 1; j < end; j++) {
			struct sharing sh = {0};
			size_t last_config = SIZE_MAX;
			for (size_t i = start; i < j && claims[i].config < claims[j].config; i++) {
				if (!pve_pci_id_overlap(claims[i].id, claims[j].id))
					continue;
				bool onboot = configs[claims[i].config].config->vm.onboot_enabled;
				/* name the first VM, or the first one that also starts at boot */
				if (!sh.named || (onboot && !sh.other_onboot))
					sh.named = &claims[i];
				sh.other_onboot |= onboot;
				if (claims[i].config != last_config) {
					sh.other_vms++;
					last_config = claims[i].config;
				}
			}
			if (!sh.named)
				continue;
			struct reported key = {claims[j].config, claims[j].hostpci};
			if (ndone && bsearch(&key, done, ndone, sizeof(*done), compare_reported))
				continue;
			report_sharing(configs, &claims[j], &sh, out);
			/* keep done sorted: claims arrive in slot order, not VM order */
			xgrow((void **)&done, &done_cap, ndone + 1, sizeof(*done));
			size_t pos = ndone;
			while (pos > 0 && compare_reported(&done[pos - 1], &key) > 0) {
				done[pos] = done[pos - 1];
				pos--;
			}
			done[pos] = key;
			ndone++;
		}
		start = end;
	}
	free(done);
	free(claims);
}

void validate_offline_rules(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *out)
{
	for (size_t i = 0; i < count; i++) {
		check_config(&configs[i], rules, out);
		check_device_rules(&configs[i], rules, mappings, out);
	}
	check_device_shared(configs, count, out);
}

void validate_offline(const struct checked_config *configs, size_t count, struct findings *out)
{
	validate_offline_rules(configs, count, NULL, NULL, out);
}
