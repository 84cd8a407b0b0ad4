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
	struct finding *f = findings_add(out, CHECK_DEVICE_SHARED,
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

/* What the VMs before the current one claim on one card.  The all-functions form overlaps
 * every function, so counts per function answer "who shares this with me" without comparing
 * claims pairwise: a hostile config may list thousands of ids on one card. */
struct card_state {
	size_t vms_any, vms_all_functions, vms_function[16], vms_both[16];
	const struct claim *first_any, *first_all, *first_function[16];
	const struct claim *onboot_any, *onboot_all, *onboot_function[16];
};

static const struct claim *earliest(const struct claim *a, const struct claim *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b; /* claims are sorted by VM within a card */
}

static struct sharing shared_with_earlier(const struct card_state *st, const struct claim *c)
{
	struct sharing sh = {0};
	int f = c->id->function;
	if (f < 0) {
		sh.other_vms = st->vms_any;
		sh.named = st->onboot_any ? st->onboot_any : st->first_any;
		sh.other_onboot = st->onboot_any != NULL;
	} else {
		sh.other_vms = st->vms_all_functions + st->vms_function[f] - st->vms_both[f];
		const struct claim *onboot = earliest(st->onboot_all, st->onboot_function[f]);
		sh.named = onboot ? onboot : earliest(st->first_all, st->first_function[f]);
		sh.other_onboot = onboot != NULL;
	}
	return sh;
}

/* Add one VM's claims on the card (claims[begin..end)) to the state. */
static void add_vm(struct card_state *st, const struct checked_config *configs,
		   const struct claim *begin, const struct claim *end)
{
	bool onboot = configs[begin->config].config->vm.onboot_enabled;
	bool all = false;
	unsigned functions = 0;
	for (const struct claim *c = begin; c < end; c++) {
		int f = c->id->function;
		if (!st->first_any)
			st->first_any = c;
		if (onboot && !st->onboot_any)
			st->onboot_any = c;
		if (f < 0) {
			all = true;
			if (!st->first_all)
				st->first_all = c;
			if (onboot && !st->onboot_all)
				st->onboot_all = c;
		} else {
			functions |= 1u << f;
			if (!st->first_function[f])
				st->first_function[f] = c;
			if (onboot && !st->onboot_function[f])
				st->onboot_function[f] = c;
		}
	}
	st->vms_any++;
	st->vms_all_functions += all;
	for (int f = 0; f < 16; f++) {
		if (functions & (1u << f)) {
			st->vms_function[f]++;
			st->vms_both[f] += all;
		}
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
			/* mediated devices are slices meant to be shared */
			if (!s->raw.set || s->dev.mdev)
				continue;
			for (size_t k = 0; k < s->dev.id_count; k++) {
				if (s->dev.ids[k].domain_too_long)
					continue; /* names no device */
				xgrow((void **)&claims, &cap, n + 1, sizeof(*claims));
				claims[n++] = (struct claim){&s->dev.ids[k], c, i, s->raw.line};
			}
		}
	}
	if (n < 2) {
		free(claims);
		return;
	}
	/* Sorting by card (slot), then VM, puts every claim that can overlap side by side. */
	qsort(claims, n, sizeof(*claims), compare_claims);
	/* one finding per hostpci line, however many cards and functions it shares */
	bool *reported = xcalloc(count * PVE_MAX_HOSTPCI, sizeof(*reported));
	for (size_t start = 0; start < n;) {
		size_t end = start;
		while (end < n && strcmp(claims[end].id->slot, claims[start].id->slot) == 0)
			end++;
		struct card_state st = {0};
		for (size_t vm_begin = start; vm_begin < end;) {
			size_t vm_end = vm_begin;
			while (vm_end < end && claims[vm_end].config == claims[vm_begin].config)
				vm_end++;
			for (size_t j = vm_begin; st.vms_any && j < vm_end; j++) {
				bool *done = &reported[claims[j].config * PVE_MAX_HOSTPCI +
						       (size_t)claims[j].hostpci];
				struct sharing sh = shared_with_earlier(&st, &claims[j]);
				if (!sh.named || *done)
					continue;
				report_sharing(configs, &claims[j], &sh, out);
				*done = true;
			}
			add_vm(&st, configs, &claims[vm_begin], &claims[vm_end]);
			vm_begin = vm_end;
		}
		start = end;
	}
	free(reported);
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
