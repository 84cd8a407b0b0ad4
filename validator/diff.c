#include "diff.h"

#include "checks.h"
#include "vmdevices.h"

#include "../host/drift.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One reading of the node, with the VMs judged against it. */
struct judged {
	struct lint_prepared p;
	struct findings prep;  /* lint_prepare's: inputs that could not be read */
	struct findings found; /* the host checks' */
	bool unreadable;
};

/* Judge the inputs against h as it is apart from what runs on it: which VMs run and which
 * devices are reserved changes every hour and is no drift of the host (a snapshot taken while
 * VM 100 ran would make VM 101, which shares its card, look broken by the boot after). */
static void judge(struct host *h, const struct lint_input *inputs, size_t count,
		  const struct rootfs *root, const struct rules *rules, struct judged *ret)
{
	struct host_runstate running = h->runstate;
	h->runstate = (struct host_runstate){0};
	findings_init(&ret->prep);
	findings_init(&ret->found);
	lint_prepare(inputs, count, root, h, false, &ret->p, &ret->prep);
	ret->unreadable = lint_check_prepared(&ret->p, rules, &ret->found) > 0;
	h->runstate = running;
}

static void judged_free(struct judged *j)
{
	lint_prepared_free(&j->p);
	findings_free(&j->prep);
	findings_free(&j->found);
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The same error, whatever its words: the same check on the same line of the same file about
 * the same device.  A group-isolation error that names another peer after the change is
 * still the error the VM had (its message names the group's number and members). */
static bool same_error(const struct finding *a, const struct finding *b)
{
	return a->check == b->check && a->rule == b->rule && a->line == b->line &&
	       a->vmid == b->vmid && same_text(a->file, b->file) && same_text(a->device, b->device);
}

static bool is_new_error(const struct finding *f, const struct findings *old)
{
	if (f->severity != SEVERITY_ERROR)
		return false;
	for (size_t i = 0; i < old->count; i++) {
		if (old->items[i].severity == SEVERITY_ERROR && same_error(f, &old->items[i]))
			return false;
	}
	return true;
}

/* A VM of the node as both readings see it. */
struct judged_vm {
	const struct checked_config *checked;
	const struct vm_devices *old_devices, *new_devices; /* NULL: not loaded on that side */
	const struct finding **errors;                      /* new under the new reading */
	bool *by_device; /* [k]: errors[k] is reached by a change of a device or group */
	size_t error_count;
	bool passes; /* it has a hostpci device on either side */
};

static bool vm_devices_on_line(const struct vm_devices *d, unsigned line, const char *address)
{
	for (size_t i = 0; d && i < d->count; i++) {
		if (d->items[i].line == line && strcmp(d->items[i].dev->address, address) == 0)
			return true;
	}
	return false;
}

/* The device of e that change c reaches, or NULL: e's own device, and the devices of the
 * hostpci line e is on, as either reading resolves it (a card gone from its slot leaves the
 * line without a device in the new reading: the old one names it).  The change's own address
 * comes first when the line has it. */
static const char *reached_device(const struct host_drift_change *c, const struct finding *e,
				  const struct judged_vm *vm, const struct host *old,
				  const struct host *new)
{
	const struct vm_devices *sides[] = {vm->old_devices, vm->new_devices};
	const char *own[] = {c->old_address, c->new_address};
	for (size_t k = 0; k < 2; k++) {
		if (!own[k])
			continue;
		if (same_text(e->device, own[k]))
			return own[k];
		for (size_t s = 0; s < 2; s++) {
			if (vm_devices_on_line(sides[s], e->line, own[k]))
				return own[k];
		}
	}
	if (e->device && host_drift_touches(c, old, new, e->device))
		return e->device;
	for (size_t s = 0; s < 2; s++) {
		const struct vm_devices *d = sides[s];
		for (size_t i = 0; d && i < d->count; i++) {
			const char *a = d->items[i].dev->address;
			if (d->items[i].line == e->line && host_drift_touches(c, old, new, a))
				return a;
		}
	}
	return NULL;
}

/* The first device the VM passes, for a host-wide error */
static const char *first_device(const struct judged_vm *vm)
{
	if (vm->new_devices && vm->new_devices->count)
		return vm->new_devices->items[0].dev->address;
	if (vm->old_devices && vm->old_devices->count)
		return vm->old_devices->items[0].dev->address;
	return NULL;
}

/* "0000:01:00.0 (NVIDIA Corporation GP104 [GeForce GTX 1080])" as h names it */
static char *device_words(const struct host *h, const char *address)
{
	const struct host_pci_device *d = address ? host_pci_find(&h->pci, address) : NULL;
	if (!d)
		return xstrdup(address ? address : "?");
	return xasprintf("%s (%s)", address, host_pci_name(&h->pci, d));
}

static const char *device_name(const struct host *h, const char *address)
{
	const struct host_pci_device *d = address ? host_pci_find(&h->pci, address) : NULL;
	return d ? host_pci_name(&h->pci, d) : "?";
}

static char *join_with(char *const *items, size_t count, const char *separator)
{
	size_t len = 1;
	for (size_t i = 0; i < count; i++)
		len += strlen(items[i]) + strlen(separator);
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < count; i++)
		strcat(strcat(s, i ? separator : ""), items[i]);
	return s;
}

/* What changed, in words, with the devices' names as the reading that has them gives them. */
static char *describe_change(const struct host_drift_change *c, const struct host *old,
			     const struct host *new)
{
	char *a, *b, *s;
	switch (c->kind) {
	case HOST_DRIFT_IOMMU:
		return xasprintf("the IOMMU is now %s (was %s)", c->new_text, c->old_text);
	case HOST_DRIFT_INTERRUPT_REMAPPING:
		return xasprintf("interrupt remapping is now %s (was %s)", c->new_text,
				 c->old_text);
	case HOST_DRIFT_CMDLINE:
		return xasprintf("the kernel command line changed: %s", c->detail);
	case HOST_DRIFT_APPEARED:
		return xasprintf("a device appeared at %s: %s (%s)", c->new_address,
				 device_name(new, c->new_address), c->new_text);
	case HOST_DRIFT_VANISHED:
		return xasprintf("the device at %s vanished: %s (%s)", c->old_address,
				 device_name(old, c->old_address), c->old_text);
	case HOST_DRIFT_MOVED:
		a = device_words(old, c->old_address);
		s = xasprintf("%s moved to %s", a, c->new_address);
		free(a);
		return s;
	case HOST_DRIFT_REPLACED:
		return xasprintf("another device at %s: %s (%s), was %s (%s)", c->new_address,
				 device_name(new, c->new_address), c->new_text,
				 device_name(old, c->old_address), c->old_text);
	case HOST_DRIFT_DRIVER:
		a = device_words(new, c->new_address);
		s = xasprintf("the driver of %s changed from %s to %s", a, c->old_text,
			      c->new_text);
		free(a);
		return s;
	case HOST_DRIFT_GROUP_SPLIT:
		return xasprintf("IOMMU group %d split: %s", c->old_group, c->new_text);
	case HOST_DRIFT_GROUP_MERGED:
		return xasprintf("IOMMU groups merged into group %d (%s)", c->new_group,
				 c->old_text);
	case HOST_DRIFT_GROUP_RENUMBERED:
		b = join_with(c->devices, c->device_count, ", ");
		s = xasprintf("IOMMU group %d is now group %d (%s)", c->old_group, c->new_group, b);
		free(b);
		return s;
	}
	return xstrdup("?");
}

/* The errors a change causes in one VM, as the finding says them. */
struct caused {
	const struct finding **errors;
	size_t count, cap;
	const char *device; /* the VM's device the first one is about */
	unsigned line;      /* the first one's line in the VM's config, 0: none there */
};

static void caused_add(struct caused *k, const struct finding *e, const char *device,
		       const struct judged_vm *vm)
{
	xgrow((void **)&k->errors, &k->cap, k->count + 1, sizeof(*k->errors));
	k->errors[k->count++] = e;
	if (!k->device)
		k->device = device;
	if (!k->line && e->source == vm->checked->source.index)
		k->line = e->line;
}

/* "VM 100 hostpci0: ... (group-isolation); VM 100 passes 0000:01:00.0: ... (iommu-disabled)" */
static char *caused_text(const struct caused *k, const struct judged_vm *vm,
			 const struct rules *rules)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return xstrdup("(out of memory)");
	long vmid = vm->checked->source.vmid;
	for (size_t i = 0; i < k->count; i++) {
		const struct finding *e = k->errors[i];
		const char *message = e->message ? e->message : "";
		if (i)
			fputs("; ", f);
		if (e->source != vm->checked->source.index && first_device(vm))
			fprintf(f, "VM %ld passes %s: ", vmid, first_device(vm));
		else if (strncmp(message, "hostpci", 7) == 0)
			fprintf(f, "VM %ld ", vmid);
		else
			fprintf(f, "VM %ld: ", vmid);
		fprintf(f, "%s (%s)", message, rules_finding_id(rules, e));
	}
	fclose(f);
	return text;
}

static void add_vm_finding(struct findings *out, const char *node, const char *what,
			   const struct caused *k, const struct judged_vm *vm,
			   const struct rules *rules)
{
	struct finding *f =
		findings_add(out, CHECK_DRIFT, SEVERITY_ERROR, &vm->checked->source, k->line);
	char *text = caused_text(k, vm, rules);
	finding_message(f, "node %s: %s: %s", node, what, text);
	free(text);
	finding_device(f, k->device ? k->device : first_device(vm));
	if (k->errors[0]->hint)
		finding_hint(f, "%s", k->errors[0]->hint);
}

/* The VMs of the new reading, each with the errors it has now and had not before. */
static struct judged_vm *new_errors(const struct judged *old, const struct judged *new,
				    const struct host_drift *drift, const struct host *old_host,
				    const struct host *new_host,
				    const struct finding ***ret_host_errors,
				    size_t *ret_host_error_count)
{
	struct judged_vm *vms = xcalloc(new->p.count ? new->p.count : 1, sizeof(*vms));
	for (size_t i = 0; i < new->p.count; i++) {
		struct judged_vm *vm = &vms[i];
		vm->checked = &new->p.checked[i];
		vm->new_devices = &new->p.devices[i];
		for (size_t j = 0; j < old->p.count; j++) {
			if (old->p.checked[j].source.index == vm->checked->source.index)
				vm->old_devices = &old->p.devices[j];
		}
		vm->passes = vm->new_devices->count || vm->new_devices->problem_count ||
			     (vm->old_devices && vm->old_devices->count);
	}
	const struct finding **host_errors = NULL;
	size_t host_count = 0, host_cap = 0;
	for (size_t e = 0; e < new->found.count; e++) {
		const struct finding *f = &new->found.items[e];
		if (!is_new_error(f, &old->found))
			continue;
		struct judged_vm *vm = NULL;
		for (size_t i = 0; i < new->p.count && !vm; i++) {
			if (f->source == vms[i].checked->source.index)
				vm = &vms[i];
		}
		if (!vm) {
			/* not about one VM: the IOMMU, interrupt remapping, a mapping file */
			xgrow((void **)&host_errors, &host_cap, host_count + 1,
			      sizeof(*host_errors));
			host_errors[host_count++] = f;
			continue;
		}
		vm->errors = xrealloc(vm->errors, (vm->error_count + 1) * sizeof(*vm->errors));
		vm->by_device = xrealloc(vm->by_device, (vm->error_count + 1) * sizeof(bool));
		bool by_device = false;
		for (size_t c = 0; c < drift->count && !by_device; c++)
			by_device = !host_drift_host_wide(&drift->changes[c]) &&
				    reached_device(&drift->changes[c], f, vm, old_host, new_host);
		vm->errors[vm->error_count] = f;
		vm->by_device[vm->error_count++] = by_device;
	}
	*ret_host_errors = host_errors;
	*ret_host_error_count = host_count;
	return vms;
}

/* The errors of vm that change c causes: for a change of a device or a group, the new errors
 * it reaches; for a host-wide one, the new errors no such change reaches and, when the VM
 * passes a device, the new errors about no VM. */
static void errors_caused(const struct host_drift_change *c, const struct judged_vm *vm,
			  const struct finding *const *host_errors, size_t host_count,
			  const struct host *old, const struct host *new, struct caused *ret)
{
	*ret = (struct caused){0};
	bool host_wide = host_drift_host_wide(c);
	for (size_t k = 0; k < vm->error_count; k++) {
		const struct finding *e = vm->errors[k];
		if (host_wide) {
			if (!vm->by_device[k])
				caused_add(ret, e, e->device, vm);
			continue;
		}
		const char *device = reached_device(c, e, vm, old, new);
		if (device)
			caused_add(ret, e, device, vm);
	}
	for (size_t k = 0; host_wide && vm->passes && k < host_count; k++)
		caused_add(ret, host_errors[k], first_device(vm), vm);
}

static void copy_finding(struct findings *out, const struct finding *f)
{
	struct source_ref src = {f->file, f->source, f->vmid};
	struct finding *g =
		f->check == CHECK_DEVICE_RULE
			? findings_add_device_rule(out, f->rule, f->severity, &src, f->line)
			: findings_add(out, f->check, f->severity, &src, f->line);
	finding_message(g, "%s", f->message ? f->message : "");
	if (f->hint)
		finding_hint(g, "%s", f->hint);
	finding_device(g, f->device);
}

/* What the findings of one run share. */
struct diff_run {
	const char *node;
	const struct host *old, *new;
	struct judged_vm *vms;
	size_t vm_count;
	const struct finding **host_errors; /* new errors about no VM */
	size_t host_count;
	const struct rules *rules;
	struct source_ref new_src; /* the new snapshot: where a change that breaks no VM goes */
	struct findings *out;
};

/* The changes first..end (one, or the host-wide ones together): an error on each VM they
 * break, else info on the new snapshot for each. */
static void report_changes(const struct diff_run *r, const struct host_drift *drift, size_t first,
			   size_t end, char *const *what)
{
	char *joined = join_with(what + first, end - first, "; ");
	bool broke = false;
	for (size_t i = 0; i < r->vm_count; i++) {
		struct caused k;
		errors_caused(&drift->changes[first], &r->vms[i], r->host_errors, r->host_count,
			      r->old, r->new, &k);
		if (k.count) {
			add_vm_finding(r->out, r->node, joined, &k, &r->vms[i], r->rules);
			broke = true;
		}
		free(k.errors);
	}
	free(joined);
	for (size_t c = first; !broke && c < end; c++) {
		const struct host_drift_change *change = &drift->changes[c];
		struct finding *f =
			findings_add(r->out, CHECK_DRIFT, SEVERITY_INFO, &r->new_src, 0);
		finding_message(f, "node %s: %s", r->node, what[c]);
		finding_device(f, change->new_address ? change->new_address : change->old_address);
	}
}

/* A VM's new errors that no change compared explains (a file it names, the devices the host
 * runs on): said, never passed over. */
static void report_unexplained(const struct diff_run *r)
{
	for (size_t i = 0; i < r->vm_count; i++) {
		const struct judged_vm *vm = &r->vms[i];
		struct caused k = {0};
		for (size_t e = 0; e < vm->error_count; e++) {
			if (!vm->by_device[e])
				caused_add(&k, vm->errors[e], vm->errors[e]->device, vm);
		}
		for (size_t e = 0; vm->passes && e < r->host_count; e++)
			caused_add(&k, r->host_errors[e], first_device(vm), vm);
		if (k.count)
			add_vm_finding(r->out, r->node, "a change pcipt does not compare", &k, vm,
				       r->rules);
		free(k.errors);
	}
}

int diff_judge(const struct diff_sides *s, const struct lint_input *inputs, size_t count,
	       const struct rootfs *root, const struct rules *rules, struct findings *out)
{
	struct host_drift drift;
	host_drift_compare(s->old, s->new, &drift);
	struct judged old, new;
	judge(s->old, inputs, count, root, rules, &old);
	judge(s->new, inputs, count, root, rules, &new);

	/* inputs that cannot be read: the same on both sides, said once */
	rules_apply(rules, &new.prep);
	for (size_t i = 0; i < new.prep.count; i++) {
		if (new.prep.items[i].severity == SEVERITY_ERROR)
			copy_finding(out, &new.prep.items[i]);
	}

	size_t first = out->count;
	struct diff_run r = {
		.node = s->node ? s->node : "(unnamed)",
		.old = s->old,
		.new = s->new,
		.vm_count = new.p.count,
		.rules = rules,
		.new_src = {s->new_file, 0, -1},
		.out = out,
	};
	r.vms = new_errors(&old, &new, &drift, s->old, s->new, &r.host_errors, &r.host_count);
	char **what = xcalloc(drift.count ? drift.count : 1, sizeof(*what));
	for (size_t c = 0; c < drift.count; c++)
		what[c] = describe_change(&drift.changes[c], s->old, s->new);
	/* the host-wide changes (first in drift's order) break a VM together: which of the
	 * IOMMU, interrupt remapping and the command line a VM's error is owed to cannot be
	 * told apart (intel_iommu=on gone from the command line turns the IOMMU off) */
	size_t host_wide = 0;
	while (host_wide < drift.count && host_drift_host_wide(&drift.changes[host_wide]))
		host_wide++;
	if (host_wide)
		report_changes(&r, &drift, 0, host_wide, what);
	for (size_t c = host_wide; c < drift.count; c++)
		report_changes(&r, &drift, c, c + 1, what);
	/* with a host-wide change, the errors no device change reaches are its */
	if (!host_wide)
		report_unexplained(&r);

	/* the rules set the severity of the errors; a change that breaks no VM stays info
	 * whatever they say, unless they turn the check off */
	bool off = rules && rules->checks && rules->checks[CHECK_DRIFT].severity == SEVERITY_OFF;
	enum severity error = rules_severity(rules, CHECK_DRIFT, SEVERITY_ERROR);
	for (size_t i = first; i < out->count; i++) {
		struct finding *f = &out->items[i];
		f->severity = off                            ? SEVERITY_OFF
			      : f->severity == SEVERITY_INFO ? SEVERITY_INFO
							     : error;
	}
	findings_remove_off(out);
	findings_sort(out);

	for (size_t c = 0; c < drift.count; c++)
		free(what[c]);
	free(what);
	for (size_t i = 0; i < r.vm_count; i++) {
		free(r.vms[i].errors);
		free(r.vms[i].by_device);
	}
	free(r.vms);
	free(r.host_errors);
	bool unreadable = old.unreadable || new.unreadable;
	judged_free(&old);
	judged_free(&new);
	host_drift_free(&drift);
	return unreadable ? 1 : 0;
}

int diff_keep_boot_snapshot(const struct rootfs *root, const char *text, size_t size,
			    struct pcipt_error *err)
{
	/* the snapshot holds nothing secret: the same facts every node of the cluster reads */
	rootfs_mkdir_parents(root, PATH_PCIPT_LAST_BOOT, 0755);
	int r = rootfs_replace(root, PATH_PCIPT_LAST_BOOT, text, size, 0644);
	if (r < 0)
		return error_set(err, r, "cannot keep this boot's snapshot in %s: %s",
				 PATH_PCIPT_LAST_BOOT, strerror(-r));
	return 0;
}
