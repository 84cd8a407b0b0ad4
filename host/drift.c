#include "drift.h"

#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *host_drift_kind_name(enum host_drift_kind kind)
{
	switch (kind) {
	case HOST_DRIFT_IOMMU:
		return "iommu";
	case HOST_DRIFT_INTERRUPT_REMAPPING:
		return "interrupt-remapping";
	case HOST_DRIFT_CMDLINE:
		return "cmdline";
	case HOST_DRIFT_APPEARED:
		return "appeared";
	case HOST_DRIFT_VANISHED:
		return "vanished";
	case HOST_DRIFT_MOVED:
		return "moved";
	case HOST_DRIFT_REPLACED:
		return "replaced";
	case HOST_DRIFT_DRIVER:
		return "driver";
	case HOST_DRIFT_GROUP_SPLIT:
		return "group-split";
	case HOST_DRIFT_GROUP_MERGED:
		return "group-merged";
	case HOST_DRIFT_GROUP_RENUMBERED:
		return "group-renumbered";
	}
	return "unknown";
}

bool host_drift_host_wide(const struct host_drift_change *c)
{
	return c->kind == HOST_DRIFT_IOMMU || c->kind == HOST_DRIFT_INTERRUPT_REMAPPING ||
	       c->kind == HOST_DRIFT_CMDLINE;
}

static bool is_group_change(const struct host_drift_change *c)
{
	return c->kind == HOST_DRIFT_GROUP_SPLIT || c->kind == HOST_DRIFT_GROUP_MERGED ||
	       c->kind == HOST_DRIFT_GROUP_RENUMBERED;
}

static struct host_drift_change *add_change(struct host_drift *d, size_t *cap,
					    enum host_drift_kind kind)
{
	xgrow((void **)&d->changes, cap, d->count + 1, sizeof(*d->changes));
	struct host_drift_change *c = &d->changes[d->count++];
	*c = (struct host_drift_change){.kind = kind, .old_group = -1, .new_group = -1};
	return c;
}

/* --- devices ------------------------------------------------------------------------------ */

static bool same_identity(const struct host_pci_device *a, const struct host_pci_device *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsystem_vendor == b->subsystem_vendor &&
	       a->subsystem_device == b->subsystem_device && a->class_code == b->class_code;
}

static int compare_identity(const struct host_pci_device *a, const struct host_pci_device *b)
{
	const unsigned x[] = {a->vendor, a->device, a->subsystem_vendor, a->subsystem_device,
			      a->class_code};
	const unsigned y[] = {b->vendor, b->device, b->subsystem_vendor, b->subsystem_device,
			      b->class_code};
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++) {
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	}
	return 0;
}

static int compare_device_identity(const void *a, const void *b)
{
	const struct host_pci_device *x = *(const struct host_pci_device *const *)a;
	const struct host_pci_device *y = *(const struct host_pci_device *const *)b;
	int c = compare_identity(x, y);
	return c ? c : strcmp(x->address, y->address);
}

/* as lspci -n names a device, with what tells two cards of one model apart */
static char *identity_text(const struct host_pci_device *d)
{
	return xasprintf("%04x:%04x subsystem %04x:%04x class %06x", d->vendor, d->device,
			 d->subsystem_vendor, d->subsystem_device, d->class_code);
}

static char *driver_text(const struct host_pci_device *d)
{
	return xstrdup(d->driver ? d->driver : "no driver");
}

static bool same_driver(const struct host_pci_device *a, const struct host_pci_device *b)
{
	if (!a->driver || !b->driver)
		return !a->driver && !b->driver;
	return strcmp(a->driver, b->driver) == 0;
}

/* A device present at one side only, waiting to be matched with one of the other side. */
struct lone {
	const struct host_pci_device **items;
	size_t count, cap;
};

static void lone_add(struct lone *l, const struct host_pci_device *d)
{
	xgrow((void **)&l->items, &l->cap, l->count + 1, sizeof(*l->items));
	l->items[l->count++] = d;
}

/* How many of l (sorted by identity) have d's identity, and the first of them. */
static size_t lone_count(const struct lone *l, const struct host_pci_device *d, size_t *ret_first)
{
	size_t lo = 0, hi = l->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (compare_identity(l->items[mid], d) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0;
	while (lo + n < l->count && same_identity(l->items[lo + n], d))
		n++;
	*ret_first = lo;
	return n;
}

/* A device present in both hosts: at the same address (kept), or moved. */
struct pair {
	const struct host_pci_device *old, *new;
};

static void device_change(struct host_drift *d, size_t *cap, enum host_drift_kind kind,
			  const struct host_pci_device *old, const struct host_pci_device *new)
{
	struct host_drift_change *c = add_change(d, cap, kind);
	if (old)
		c->old_address = xstrdup(old->address);
	if (new)
		c->new_address = xstrdup(new->address);
	if (kind == HOST_DRIFT_DRIVER) {
		c->old_text = driver_text(old);
		c->new_text = driver_text(new);
		return;
	}
	if (old)
		c->old_text = identity_text(old);
	if (new)
		c->new_text = identity_text(new);
}

static const char *change_address(const struct host_drift_change *c)
{
	return c->old_address ? c->old_address : c->new_address;
}

static int compare_device_changes(const void *a, const void *b)
{
	const struct host_drift_change *x = a, *y = b;
	int c = strcmp(change_address(x), change_address(y));
	if (c)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Walk both device lists (sorted by address): kept pairs into *kept, moves matched by unique
 * identity, and the device changes appended to d in address order. */
static void compare_devices(const struct host_pci *old, const struct host_pci *new,
			    struct host_drift *d, size_t *cap, struct pair **ret_kept,
			    size_t *ret_kept_count)
{
	struct pair *kept = xcalloc(old->count ? old->count : 1, sizeof(*kept));
	size_t kept_count = 0;
	struct lone gone = {0}, came = {0};
	size_t first = d->count;
	size_t i = 0, j = 0;
	while (i < old->count || j < new->count) {
		int c = i == old->count ? 1
			: j == new->count
				? -1
				: strcmp(old->devices[i].address, new->devices[j].address);
		if (c < 0) {
			lone_add(&gone, &old->devices[i++]);
		} else if (c > 0) {
			lone_add(&came, &new->devices[j++]);
		} else {
			const struct host_pci_device *a = &old->devices[i++],
						     *b = &new->devices[j++];
			if (!same_identity(a, b)) {
				device_change(d, cap, HOST_DRIFT_REPLACED, a, b);
				continue;
			}
			kept[kept_count++] = (struct pair){a, b};
			if (!same_driver(a, b))
				device_change(d, cap, HOST_DRIFT_DRIVER, a, b);
		}
	}
	/* a move: the one device of an identity gone and the one of it come.  Two cards of one
	 * model that both changed place cannot be told apart, so they stay gone and come. */
	if (gone.count > 1)
		qsort(gone.items, gone.count, sizeof(*gone.items), compare_device_identity);
	if (came.count > 1)
		qsort(came.items, came.count, sizeof(*came.items), compare_device_identity);
	bool *matched = xcalloc(came.count ? came.count : 1, sizeof(*matched));
	for (size_t k = 0; k < gone.count; k++) {
		const struct host_pci_device *a = gone.items[k];
		size_t gone_first, came_first;
		if (lone_count(&gone, a, &gone_first) != 1 ||
		    lone_count(&came, a, &came_first) != 1) {
			device_change(d, cap, HOST_DRIFT_VANISHED, a, NULL);
			continue;
		}
		const struct host_pci_device *b = came.items[came_first];
		matched[came_first] = true;
		device_change(d, cap, HOST_DRIFT_MOVED, a, b);
		if (!same_driver(a, b))
			device_change(d, cap, HOST_DRIFT_DRIVER, a, b);
	}
	for (size_t k = 0; k < came.count; k++) {
		if (!matched[k])
			device_change(d, cap, HOST_DRIFT_APPEARED, NULL, came.items[k]);
	}
	free(matched);
	free(gone.items);
	free(came.items);
	if (d->count - first > 1)
		qsort(d->changes + first, d->count - first, sizeof(*d->changes),
		      compare_device_changes);
	*ret_kept = kept;
	*ret_kept_count = kept_count;
}

/* --- groups ------------------------------------------------------------------------------- */

/* A device kept at its address, with a group on both sides. */
struct grouped {
	const char *address;
	int old_group, new_group;
};

static int compare_by_old(const void *a, const void *b)
{
	const struct grouped *x = a, *y = b;
	if (x->old_group != y->old_group)
		return x->old_group < y->old_group ? -1 : 1;
	if (x->new_group != y->new_group)
		return x->new_group < y->new_group ? -1 : 1;
	return strcmp(x->address, y->address);
}

static int compare_by_new(const void *a, const void *b)
{
	const struct grouped *x = a, *y = b;
	if (x->new_group != y->new_group)
		return x->new_group < y->new_group ? -1 : 1;
	if (x->old_group != y->old_group)
		return x->old_group < y->old_group ? -1 : 1;
	return strcmp(x->address, y->address);
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* g[first..end) share a group on one side; "group N: a, b; group M: c" of their groups on the
 * other side (by_new: the new groups), which come in order. */
static char *groups_text(const struct grouped *g, size_t first, size_t end, bool by_new)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xstrdup("(out of memory)");
	int last = -1;
	for (size_t k = first; k < end; k++) {
		int number = by_new ? g[k].new_group : g[k].old_group;
		if (k == first || number != last)
			fprintf(f, "%sgroup %d: %s", k == first ? "" : "; ", number, g[k].address);
		else
			fprintf(f, ", %s", g[k].address);
		last = number;
	}
	fclose(f);
	return text;
}

/* The same, all of them under one number. */
static char *one_group_text(const struct grouped *g, size_t first, size_t end, int number)
{
	char **addresses = xcalloc(end - first, sizeof(*addresses));
	for (size_t k = first; k < end; k++)
		addresses[k - first] = (char *)g[k].address;
	qsort(addresses, end - first, sizeof(*addresses), compare_strings);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		free(addresses);
		return xstrdup("(out of memory)");
	}
	fprintf(f, "group %d: ", number);
	for (size_t k = 0; k < end - first; k++)
		fprintf(f, "%s%s", k ? ", " : "", addresses[k]);
	fclose(f);
	free(addresses);
	return text;
}

static void set_devices(struct host_drift_change *c, const struct grouped *g, size_t first,
			size_t end)
{
	c->device_count = end - first;
	c->devices = xcalloc(c->device_count, sizeof(*c->devices));
	for (size_t k = first; k < end; k++)
		c->devices[k - first] = xstrdup(g[k].address);
	qsort(c->devices, c->device_count, sizeof(*c->devices), compare_strings);
}

/* Of the run g[first..end), sorted by one side's group and then the other's: whether the
 * other side has more than one group. */
static bool run_spreads(const struct grouped *g, size_t first, size_t end, bool other_new)
{
	for (size_t k = first + 1; k < end; k++) {
		if (other_new ? g[k].new_group != g[first].new_group
			      : g[k].old_group != g[first].old_group)
			return true;
	}
	return false;
}

static int group_change_number(const struct host_drift_change *c)
{
	return c->kind == HOST_DRIFT_GROUP_MERGED ? c->new_group : c->old_group;
}

static int compare_group_changes(const void *a, const void *b)
{
	const struct host_drift_change *x = a, *y = b;
	int m = group_change_number(x), n = group_change_number(y);
	if (m != n)
		return m < n ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* Splits, merges and renumberings of the partition of the kept devices into groups. */
static void compare_groups(const struct pair *kept, size_t kept_count, struct host_drift *d,
			   size_t *cap)
{
	struct grouped *g = xcalloc(kept_count ? kept_count : 1, sizeof(*g));
	size_t n = 0;
	for (size_t k = 0; k < kept_count; k++) {
		if (kept[k].old->iommu_group < 0 || kept[k].new->iommu_group < 0)
			continue;
		g[n++] = (struct grouped){kept[k].old->address, kept[k].old->iommu_group,
					  kept[k].new->iommu_group};
	}
	size_t first_change = d->count;
	/* by new group: merges (several old groups in one new) */
	qsort(g, n, sizeof(*g), compare_by_new);
	int *merged = xcalloc(n ? n : 1, sizeof(*merged)); /* their numbers, ascending */
	size_t merged_count = 0;
	for (size_t first = 0, end; first < n; first = end) {
		for (end = first + 1; end < n && g[end].new_group == g[first].new_group; end++)
			;
		if (!run_spreads(g, first, end, false))
			continue;
		struct host_drift_change *c = add_change(d, cap, HOST_DRIFT_GROUP_MERGED);
		c->new_group = g[first].new_group;
		c->old_text = groups_text(g, first, end, false);
		c->new_text = one_group_text(g, first, end, c->new_group);
		set_devices(c, g, first, end);
		merged[merged_count++] = c->new_group;
	}
	/* by old group: splits (one old group in several new), and renumberings (one old group
	 * wholly in one new group of another number that holds no other old group) */
	qsort(g, n, sizeof(*g), compare_by_old);
	for (size_t first = 0, end; first < n; first = end) {
		for (end = first + 1; end < n && g[end].old_group == g[first].old_group; end++)
			;
		if (run_spreads(g, first, end, true)) {
			struct host_drift_change *c = add_change(d, cap, HOST_DRIFT_GROUP_SPLIT);
			c->old_group = g[first].old_group;
			c->old_text = one_group_text(g, first, end, c->old_group);
			c->new_text = groups_text(g, first, end, true);
			set_devices(c, g, first, end);
			continue;
		}
		int to = g[first].new_group;
		/* a new group that also holds devices of another old group is a merge */
		if (to == g[first].old_group ||
		    bsearch(&to, merged, merged_count, sizeof(*merged), compare_ints))
			continue;
		struct host_drift_change *c = add_change(d, cap, HOST_DRIFT_GROUP_RENUMBERED);
		c->old_group = g[first].old_group;
		c->new_group = to;
		c->old_text = one_group_text(g, first, end, c->old_group);
		c->new_text = one_group_text(g, first, end, to);
		set_devices(c, g, first, end);
	}
	if (d->count - first_change > 1)
		qsort(d->changes + first_change, d->count - first_change, sizeof(*d->changes),
		      compare_group_changes);
	free(merged);
	free(g);
}

/* --- host-wide ---------------------------------------------------------------------------- */

static char *join_words(char *const *words, size_t count)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xstrdup("(out of memory)");
	for (size_t i = 0; i < count; i++)
		fprintf(f, "%s%s", i ? " " : "", words[i]);
	fclose(f);
	return text;
}

/* The words of a not in b, counted as a multiset (a word twice in a and once in b is once
 * "removed"), in a's order; NULL when none. */
static char *words_missing(const struct cmdline *a, const struct cmdline *b)
{
	bool *used = xcalloc(b->count ? b->count : 1, sizeof(*used));
	char **missing = xcalloc(a->count ? a->count : 1, sizeof(*missing));
	size_t n = 0;
	for (size_t i = 0; i < a->count; i++) {
		size_t k = 0;
		while (k < b->count && (used[k] || strcmp(a->words[i], b->words[k]) != 0))
			k++;
		if (k < b->count)
			used[k] = true;
		else
			missing[n++] = a->words[i];
	}
	char *text = n ? join_words(missing, n) : NULL;
	free(missing);
	free(used);
	return text;
}

static bool same_words(const struct cmdline *a, const struct cmdline *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->words[i], b->words[i]) != 0)
			return false;
	}
	return true;
}

static void compare_cmdline(const struct host_boot *old, const struct host_boot *new,
			    struct host_drift *d, size_t *cap)
{
	/* an unreadable /proc/cmdline is unknown, never "booted with nothing" */
	if (!old->have_running || !new->have_running || same_words(&old->running, &new->running))
		return;
	struct host_drift_change *c = add_change(d, cap, HOST_DRIFT_CMDLINE);
	c->old_text = join_words(old->running.words, old->running.count);
	c->new_text = join_words(new->running.words, new->running.count);
	char *removed = words_missing(&old->running, &new->running);
	char *added = words_missing(&new->running, &old->running);
	if (removed && added)
		c->detail = xasprintf("removed %s; added %s", removed, added);
	else if (removed)
		c->detail = xasprintf("removed %s", removed);
	else if (added)
		c->detail = xasprintf("added %s", added);
	else
		c->detail = xstrdup("the same words in another order");
	free(removed);
	free(added);
}

static void on_off_change(struct host_drift *d, size_t *cap, enum host_drift_kind kind, bool was,
			  bool is)
{
	if (was == is)
		return;
	struct host_drift_change *c = add_change(d, cap, kind);
	c->old_text = xstrdup(was ? "on" : "off");
	c->new_text = xstrdup(is ? "on" : "off");
}

void host_drift_compare(const struct host *old, const struct host *new, struct host_drift *ret)
{
	struct host_drift d = {0};
	size_t cap = 0;
	on_off_change(&d, &cap, HOST_DRIFT_IOMMU, host_iommu_enabled(old), host_iommu_enabled(new));
	enum host_tristate was = old->iommu.remapped_irq_chips, is = new->iommu.remapped_irq_chips;
	if (was != HOST_UNKNOWN && is != HOST_UNKNOWN)
		on_off_change(&d, &cap, HOST_DRIFT_INTERRUPT_REMAPPING, was == HOST_YES,
			      is == HOST_YES);
	compare_cmdline(&old->boot, &new->boot, &d, &cap);
	struct pair *kept;
	size_t kept_count;
	compare_devices(&old->pci, &new->pci, &d, &cap, &kept, &kept_count);
	compare_groups(kept, kept_count, &d, &cap);
	free(kept);
	*ret = d;
}

void host_drift_free(struct host_drift *d)
{
	for (size_t i = 0; i < d->count; i++) {
		struct host_drift_change *c = &d->changes[i];
		free(c->old_address);
		free(c->new_address);
		for (size_t k = 0; k < c->device_count; k++)
			free(c->devices[k]);
		free(c->devices);
		free(c->old_text);
		free(c->new_text);
		free(c->detail);
	}
	free(d->changes);
	*d = (struct host_drift){0};
}

/* --- what a change reaches ---------------------------------------------------------------- */

static int group_of(const struct host *h, const char *address)
{
	const struct host_pci_device *dev = address ? host_pci_find(&h->pci, address) : NULL;
	return dev ? dev->iommu_group : -1;
}

/* Whether the group of address in h is one of the groups in h of c's devices. */
static bool shares_group_of_devices(const struct host_drift_change *c, const struct host *h,
				    int group)
{
	if (group < 0)
		return false;
	for (size_t k = 0; k < c->device_count; k++) {
		if (group_of(h, c->devices[k]) == group)
			return true;
	}
	return false;
}

bool host_drift_touches(const struct host_drift_change *c, const struct host *old,
			const struct host *new, const char *address)
{
	if (host_drift_host_wide(c))
		return true;
	int was = group_of(old, address), is = group_of(new, address);
	if (is_group_change(c)) {
		if ((c->old_group >= 0 && was == c->old_group) ||
		    (c->new_group >= 0 && is == c->new_group))
			return true;
		/* a split's new groups, a merge's old ones */
		return shares_group_of_devices(c, old, was) || shares_group_of_devices(c, new, is);
	}
	if ((c->old_address && strcmp(address, c->old_address) == 0) ||
	    (c->new_address && strcmp(address, c->new_address) == 0))
		return true;
	/* the device's group peers, where it was and where it is */
	int old_peer = group_of(old, c->old_address), new_peer = group_of(new, c->new_address);
	return (old_peer >= 0 && was == old_peer) || (new_peer >= 0 && is == new_peer);
}
