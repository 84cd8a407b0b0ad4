/* device-shared: one host device named by two VMs.  Proxmox checks this only for running VMs
 * (pci-id-reservations); two stopped VMs that share a card fail at the second start.
 *
 * The finding goes on the later VM's line and names an earlier VM, so the VMs are judged one
 * at a time in input order, each against what the VMs before it claim; then its own claims
 * join those.  What is kept of them is a summary per card, never the configs: the offline lint
 * checks any number of VMs and keeps only this. */
#include "checks.h"

#include "../lib/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A claim kept because a finding may name it: an index into shared_claims.claims.  Claims are
 * kept in the order they are met (VM by VM; on one card, by hostpci line, then as the line
 * lists them), so of two on one card the smaller index is the earlier. */
#define NO_CLAIM SIZE_MAX

/* What a finding says of the earlier claim it names. */
struct kept_claim {
	size_t vm; /* index into shared_claims.vms */
	int hostpci;
	unsigned line;
	char id[sizeof(((struct pve_pci_id *)NULL)->id)];
};

/* The VM of a kept claim. */
struct kept_vm {
	char *file;
	long vmid;
};

/* What the VMs before the current one claim on one card.  The all-functions form overlaps
 * every function, so counts per function answer "who shares this with me" without comparing
 * claims pairwise: a hostile config may list thousands of ids on one card. */
struct card_state {
	char slot[sizeof(((struct pve_pci_id *)NULL)->slot)];
	size_t vms_any, vms_all_functions, vms_function[16], vms_both[16];
	size_t first_any, first_all, first_function[16]; /* NO_CLAIM: none yet */
	size_t onboot_any, onboot_all, onboot_function[16];
};

struct shared_claims {
	struct card_state *cards;
	size_t card_count, card_cap;
	size_t *index; /* open addressing by slot: 1 + the card's position in cards, 0: free */
	size_t index_size;
	struct kept_claim *claims;
	size_t claim_count, claim_cap;
	struct kept_vm *vms;
	size_t vm_count, vm_cap;
};

struct shared_claims *shared_claims_new(void)
{
	return xcalloc(1, sizeof(struct shared_claims));
}

void shared_claims_free(struct shared_claims *seen)
{
	if (!seen)
		return;
	for (size_t i = 0; i < seen->vm_count; i++)
		free(seen->vms[i].file);
	free(seen->vms);
	free(seen->claims);
	free(seen->cards);
	free(seen->index);
	free(seen);
}

static size_t slot_hash(const char *slot)
{
	size_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)slot; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* Where slot's card is, or the free place it would take, in an index of `size` places. */
static size_t index_place(const struct shared_claims *seen, const size_t *index, size_t size,
			  const char *slot)
{
	size_t at = slot_hash(slot) & (size - 1);
	while (index[at] && strcmp(seen->cards[index[at] - 1].slot, slot) != 0)
		at = (at + 1) & (size - 1);
	return at;
}

static struct card_state *card_find(const struct shared_claims *seen, const char *slot)
{
	if (!seen->index_size)
		return NULL;
	size_t at = index_place(seen, seen->index, seen->index_size, slot);
	return seen->index[at] ? &seen->cards[seen->index[at] - 1] : NULL;
}

static struct card_state *card_get(struct shared_claims *seen, const char *slot)
{
	struct card_state *found = card_find(seen, slot);
	if (found)
		return found;
	/* at most half full, so probes stay short */
	if (2 * (seen->card_count + 1) > seen->index_size) {
		size_t size = seen->index_size ? 2 * seen->index_size : 64;
		size_t *index = xcalloc(size, sizeof(*index));
		for (size_t c = 0; c < seen->card_count; c++)
			index[index_place(seen, index, size, seen->cards[c].slot)] = c + 1;
		free(seen->index);
		seen->index = index;
		seen->index_size = size;
	}
	xgrow((void **)&seen->cards, &seen->card_cap, seen->card_count + 1, sizeof(*seen->cards));
	struct card_state *st = &seen->cards[seen->card_count++];
	memset(st, 0, sizeof(*st));
	snprintf(st->slot, sizeof(st->slot), "%s", slot);
	st->first_any = st->first_all = st->onboot_any = st->onboot_all = NO_CLAIM;
	for (int f = 0; f < 16; f++)
		st->first_function[f] = st->onboot_function[f] = NO_CLAIM;
	seen->index[index_place(seen, seen->index, seen->index_size, slot)] = seen->card_count;
	return st;
}

/* One claim of the VM being judged. */
struct claim {
	const struct pve_pci_id *id;
	int hostpci;
	unsigned line;
	size_t order; /* position among the VM's claims: by hostpci line, then as listed */
};

static int compare_claims(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int r = strcmp(x->id->slot, y->id->slot);
	if (r)
		return r;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* What the VMs before one claim share with it. */
struct sharing {
	size_t named;     /* the earlier claim the finding names; NO_CLAIM: none overlaps */
	size_t other_vms; /* distinct earlier VMs that claim an overlapping device */
	bool other_onboot;
};

static void report_sharing(const struct shared_claims *seen, const struct checked_config *me,
			   const struct claim *mine, const struct sharing *sh, struct findings *out)
{
	const struct kept_claim *named = &seen->claims[sh->named];
	const struct kept_vm *them = &seen->vms[named->vm];
	bool both_onboot = me->config->vm.onboot_enabled && sh->other_onboot;
	struct finding *f = findings_add(out, CHECK_DEVICE_SHARED,
					 both_onboot ? SEVERITY_ERROR : SEVERITY_WARNING,
					 &me->source, mine->line);
	const char *shown = mine->id->function < 0 ? named->id : mine->id->id;
	finding_device(f, shown);
	char other[40];
	if (them->vmid >= 0)
		snprintf(other, sizeof(other), "VM %ld", them->vmid);
	else
		snprintf(other, sizeof(other), "another VM");
	char more[48] = "";
	if (sh->other_vms > 1)
		snprintf(more, sizeof(more), " and %zu more VM%s", sh->other_vms - 1,
			 sh->other_vms > 2 ? "s" : "");
	if (both_onboot) {
		finding_message(f,
				"hostpci%d: %s is also passed to %s by hostpci%d (%s:%u)%s; "
				"this VM and another one have onboot: 1, so whichever starts "
				"second at boot will fail",
				mine->hostpci, shown, other, named->hostpci, them->file,
				named->line, more);
		finding_hint(f, "give the device to one VM only, or set `onboot: 0` on all but "
				"one of them");
	} else {
		finding_message(f,
				"hostpci%d: %s is also passed to %s by hostpci%d (%s:%u)%s; "
				"only one of them can run at a time",
				mine->hostpci, shown, other, named->hostpci, them->file,
				named->line, more);
		finding_hint(f, "fine if you never run them together; otherwise give the device "
				"to one VM only");
	}
}

static size_t earliest(size_t a, size_t b)
{
	return a < b ? a : b; /* NO_CLAIM is the largest */
}

static struct sharing shared_with_earlier(const struct card_state *st, const struct claim *c)
{
	struct sharing sh = {NO_CLAIM, 0, false};
	int f = c->id->function;
	if (f < 0) {
		sh.other_vms = st->vms_any;
		sh.named = st->onboot_any != NO_CLAIM ? st->onboot_any : st->first_any;
		sh.other_onboot = st->onboot_any != NO_CLAIM;
	} else {
		sh.other_vms = st->vms_all_functions + st->vms_function[f] - st->vms_both[f];
		size_t onboot = earliest(st->onboot_all, st->onboot_function[f]);
		sh.named = onboot != NO_CLAIM ? onboot
					      : earliest(st->first_all, st->first_function[f]);
		sh.other_onboot = onboot != NO_CLAIM;
	}
	return sh;
}

/* The VM being added: its kept record, made when the first of its claims is kept. */
struct adding {
	const struct checked_config *config;
	size_t vm; /* index into shared_claims.vms; SIZE_MAX until one is kept */
};

static size_t keep_claim(struct shared_claims *seen, struct adding *a, const struct claim *c)
{
	if (a->vm == SIZE_MAX) {
		const char *file = a->config->source.file;
		xgrow((void **)&seen->vms, &seen->vm_cap, seen->vm_count + 1, sizeof(*seen->vms));
		seen->vms[seen->vm_count] =
			(struct kept_vm){file ? xstrdup(file) : NULL, a->config->source.vmid};
		a->vm = seen->vm_count++;
	}
	xgrow((void **)&seen->claims, &seen->claim_cap, seen->claim_count + 1,
	      sizeof(*seen->claims));
	struct kept_claim *k = &seen->claims[seen->claim_count];
	*k = (struct kept_claim){.vm = a->vm, .hostpci = c->hostpci, .line = c->line};
	snprintf(k->id, sizeof(k->id), "%s", c->id->id);
	return seen->claim_count++;
}

/* Add one VM's claims on the card (claims[begin..end)) to the state; keep the claims a later
 * finding may name. */
static void add_vm(struct shared_claims *seen, struct card_state *st, struct adding *a,
		   const struct claim *begin, const struct claim *end)
{
	bool onboot = a->config->config->vm.onboot_enabled;
	bool all = false;
	unsigned functions = 0;
	for (const struct claim *c = begin; c < end; c++) {
		int f = c->id->function;
		size_t *first = f < 0 ? &st->first_all : &st->first_function[f];
		size_t *first_onboot = f < 0 ? &st->onboot_all : &st->onboot_function[f];
		size_t *unset[4];
		int n = 0;
		if (st->first_any == NO_CLAIM)
			unset[n++] = &st->first_any;
		if (onboot && st->onboot_any == NO_CLAIM)
			unset[n++] = &st->onboot_any;
		if (*first == NO_CLAIM)
			unset[n++] = first;
		if (onboot && *first_onboot == NO_CLAIM)
			unset[n++] = first_onboot;
		if (n) {
			size_t kept = keep_claim(seen, a, c);
			for (int i = 0; i < n; i++)
				*unset[i] = kept;
		}
		if (f < 0)
			all = true;
		else
			functions |= 1u << f;
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

void check_device_shared_next(struct shared_claims *seen, const struct checked_config *c,
			      struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	struct claim *claims = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		/* mediated devices are slices meant to be shared */
		if (!s->raw.set || s->dev.mdev)
			continue;
		for (size_t k = 0; k < s->dev.id_count; k++) {
			if (s->dev.ids[k].domain_too_long)
				continue; /* names no device */
			xgrow((void **)&claims, &cap, n + 1, sizeof(*claims));
			claims[n] = (struct claim){&s->dev.ids[k], i, s->raw.line, n};
			n++;
		}
	}
	/* Card by card in slot order: one finding per hostpci line, however many cards and
	 * functions it shares, is the first one met so */
	if (n > 1)
		qsort(claims, n, sizeof(*claims), compare_claims);
	bool reported[PVE_MAX_HOSTPCI] = {false};
	struct adding a = {c, SIZE_MAX};
	for (size_t begin = 0; begin < n;) {
		size_t end = begin;
		while (end < n && strcmp(claims[end].id->slot, claims[begin].id->slot) == 0)
			end++;
		struct card_state *st = card_get(seen, claims[begin].id->slot);
		for (size_t j = begin; st->vms_any && j < end; j++) {
			struct sharing sh = shared_with_earlier(st, &claims[j]);
			if (sh.named == NO_CLAIM || reported[claims[j].hostpci])
				continue;
			report_sharing(seen, c, &claims[j], &sh, out);
			reported[claims[j].hostpci] = true;
		}
		add_vm(seen, st, &a, &claims[begin], &claims[end]);
		begin = end;
	}
	free(claims);
}

void check_device_shared(const struct checked_config *configs, size_t count, struct findings *out)
{
	struct shared_claims *seen = shared_claims_new();
	for (size_t c = 0; c < count; c++)
		check_device_shared_next(seen, &configs[c], out);
	shared_claims_free(seen);
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
