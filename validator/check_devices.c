/* Device rules from the rules file, applied to the devices a VM passes.
 *
 * Offline there is no sysfs to read, so a device is known by what Proxmox's own files say: a
 * resource mapping (mapping=NAME) carries vendor, device and subsystem ids.  A rule that
 * matches on something not known (a class, say) does not match: pcipt never guesses. */
#include "checks.h"
#include "vmdevices.h"

#include "../lib/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct device_identity {
	unsigned vendor, device;
	bool has_subsystem;
	unsigned subsystem_vendor, subsystem_device;
	bool has_class;
	unsigned class_code;
	char label[320]; /* "10de:102d (mapping k80)", "0000:01:00.0 (NVIDIA ...)" */
};

static bool field_matches(const struct rules_id_match *m, bool known, unsigned value)
{
	if (!m->mask)
		return true;
	return known && (value & m->mask) == m->value;
}

static bool rule_matches(const struct rules_device *r, const struct device_identity *d)
{
	return field_matches(&r->vendor, true, d->vendor) &&
	       field_matches(&r->device, true, d->device) &&
	       field_matches(&r->subsystem_vendor, d->has_subsystem, d->subsystem_vendor) &&
	       field_matches(&r->subsystem_device, d->has_subsystem, d->subsystem_device) &&
	       field_matches(&r->class_code, d->has_class, d->class_code);
}

static bool rule_applies(const struct rules_device *r, const struct pve_vm *vm,
			 const struct pve_hostpci *h)
{
	if (r->when_x_vga >= 0 && (h->x_vga == 1) != (r->when_x_vga == 1))
		return false;
	if (r->when_bios &&
	    strcmp(r->when_bios, vm->bios_type == PVE_BIOS_OVMF ? "ovmf" : "seabios") != 0)
		return false;
	return true;
}

/* The words appear in args, in order and next to each other. */
static bool args_contain(const struct pve_args *args, const struct rules_string_list *words)
{
	if (!words->count)
		return true;
	for (size_t i = 0; i + words->count <= args->count; i++) {
		size_t k = 0;
		while (k < words->count && strcmp(args->words[i + k], words->items[k]) == 0)
			k++;
		if (k == words->count)
			return true;
	}
	return false;
}

static char *join_words(const struct rules_string_list *l)
{
	size_t len = 1;
	for (size_t i = 0; i < l->count; i++)
		len += strlen(l->items[i]) + 1;
	char *s = xmalloc(len);
	s[0] = '\0';
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, l->items[i]);
	}
	return s;
}

static bool mapping_is_multifunction(const struct pve_mapping_entry *e)
{
	/* a path without a function, or a ';' list, passes several functions */
	return e->id_count > 1 || e->ids[0].function < 0;
}

/* What the VM lacks for rule r, as a malloc'd phrase; NULL when nothing offline can tell. */
static char *vm_shortfall(const struct rules_device *r, const struct pve_vm *vm,
			  const struct pve_hostpci *h, const struct pve_mapping_entry *e,
			  int passes_all_functions)
{
	if (r->vm_machine && strcmp(r->vm_machine, "q35") == 0 && !vm->machine_is_q35)
		return xstrdup("needs `machine: q35`");
	if (r->vm_machine && strcmp(r->vm_machine, "pc") == 0 && vm->machine_is_q35)
		return xstrdup("needs the i440fx machine type (`machine: pc`)");
	if (r->vm_bios && strcmp(r->vm_bios, vm->bios_type == PVE_BIOS_OVMF ? "ovmf" : "seabios"))
		return xasprintf("needs `bios: %s`", r->vm_bios);
	if (r->vm_args.count && !args_contain(&vm->args_words, &r->vm_args)) {
		char *w = join_words(&r->vm_args);
		char *s = xasprintf("needs `%s` in the VM's args:", w);
		free(w);
		return s;
	}
	for (size_t i = 0; vm->vga_type && i < r->vm_vga_not.count; i++) {
		if (strcmp(vm->vga_type, r->vm_vga_not.items[i]) == 0)
			return xasprintf("conflicts with the emulated display `vga: %s`",
					 vm->vga_type);
	}
	/* -1: not known from the host; then the config's form must say "every function" */
	if (passes_all_functions < 0)
		passes_all_functions =
			e ? mapping_is_multifunction(e) : pve_hostpci_is_multifunction(h);
	if (r->vm_all_functions && !passes_all_functions)
		return xstrdup("should be passed with all its functions");
	return NULL;
}

static bool has_requirements(const struct rules_device *r)
{
	return r->vm_machine || r->vm_bios || r->vm_args.count || r->vm_vga_not.count ||
	       r->vm_all_functions || r->host_module_params.count || r->host_drivers_unused.count;
}

static bool has_vm_requirements(const struct rules_device *r)
{
	return r->vm_machine || r->vm_bios || r->vm_args.count || r->vm_vga_not.count ||
	       r->vm_all_functions;
}

static void apply_rules_to_device(const struct checked_config *c, const struct rules *rules,
				  int index, const struct pve_hostpci_setting *s,
				  const struct device_identity *d,
				  const struct pve_mapping_entry *e, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	for (size_t i = 0; i < rules->device_count; i++) {
		const struct rules_device *r = &rules->devices[i];
		if (!rule_matches(r, d) || !rule_applies(r, vm, &s->dev))
			continue;
		char *lack = vm_shortfall(r, vm, &s->dev, e, -1);
		/* A rule without requirements is a note about the hardware; one with only host
		 * requirements needs the host and waits for host mode. */
		if (!lack && (has_vm_requirements(r) || has_requirements(r)))
			continue;
		struct finding *f =
			findings_add_device_rule(out, i, r->severity, &c->source, s->raw.line);
		if (lack)
			finding_message(f, "hostpci%d: %s %s %s", index, r->name, d->label, lack);
		else
			finding_message(f, "hostpci%d: %s %s", index, r->name, d->label);
		finding_hint(f, "%s", r->hint);
		free(lack);
	}
}

/* Call fn for every distinct device identity a VM's mapped hostpci lines name.  Offline the
 * only source of ids is the resource mapping; alternatives on several nodes are usually the
 * same model, so each distinct vendor:device is visited once per line. */
static void for_each_mapped_device(const struct checked_config *c,
				   const struct pve_mappings *mappings,
				   void (*fn)(int index, const struct pve_hostpci_setting *s,
					      const struct device_identity *d,
					      const struct pve_mapping_entry *e, void *ctx),
				   void *ctx)
{
	const struct pve_vm *vm = &c->config->vm;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || !s->dev.mapping)
			continue;
		const struct pve_mapping *m = pve_mappings_find(mappings, s->dev.mapping);
		if (!m)
			continue;
		for (size_t k = 0; k < m->entry_count; k++) {
			const struct pve_mapping_entry *e = &m->entries[k];
			bool seen = false;
			for (size_t j = 0; j < k && !seen; j++)
				seen = m->entries[j].vendor == e->vendor &&
				       m->entries[j].device == e->device;
			if (seen)
				continue;
			struct device_identity d = {
				.vendor = e->vendor,
				.device = e->device,
				.has_subsystem = e->has_subsystem,
				.subsystem_vendor = e->subsystem_vendor,
				.subsystem_device = e->subsystem_device,
			};
			snprintf(d.label, sizeof(d.label), "(%04x:%04x, mapping %s)", e->vendor,
				 e->device, m->name);
			fn(i, s, &d, e, ctx);
		}
	}
}

struct rules_pass {
	const struct checked_config *config;
	const struct rules *rules;
	struct findings *out;
};

static void rules_for_device(int index, const struct pve_hostpci_setting *s,
			     const struct device_identity *d, const struct pve_mapping_entry *e,
			     void *ctx)
{
	const struct rules_pass *p = ctx;
	apply_rules_to_device(p->config, p->rules, index, s, d, e, p->out);
}

void check_device_rules(const struct checked_config *c, const struct rules *rules,
			const struct pve_mappings *mappings, struct findings *out)
{
	if (!rules || !rules->device_count || !mappings)
		return;
	struct rules_pass p = {c, rules, out};
	for_each_mapped_device(c, mappings, rules_for_device, &p);
}

struct override_pass {
	const struct checked_config *config;
	const struct rules *rules;
	struct findings *list;
};

static void overrides_for_device(int index, const struct pve_hostpci_setting *s,
				 const struct device_identity *d, const struct pve_mapping_entry *e,
				 void *ctx)
{
	(void)index;
	(void)e;
	const struct override_pass *p = ctx;
	for (size_t r = 0; r < p->rules->device_count; r++) {
		const struct rules_device *rule = &p->rules->devices[r];
		if (!rule->override_count || !rule_matches(rule, d))
			continue;
		for (size_t i = 0; i < p->list->count; i++) {
			struct finding *f = &p->list->items[i];
			if (f->source != p->config->source.index || f->line != s->raw.line)
				continue;
			for (size_t o = 0; o < rule->override_count; o++) {
				if (rule->overrides[o].check == f->check)
					f->severity = rule->overrides[o].severity;
			}
		}
	}
}

void apply_device_overrides(const struct checked_config *configs, size_t count,
			    const struct rules *rules, const struct pve_mappings *mappings,
			    struct findings *list)
{
	if (!rules || !mappings)
		return;
	for (size_t c = 0; c < count; c++) {
		struct override_pass p = {&configs[c], rules, list};
		for_each_mapped_device(&configs[c], mappings, overrides_for_device, &p);
	}
	findings_remove_off(list);
}

/* --- on the host: ids and class from sysfs, host requirements from modules --------------- */

/* The ids of a host device; its label (with the pci.ids name) is left empty: it is made when
 * a finding needs it (label_host_device). */
static void identity_of(const struct host_pci_device *d, struct device_identity *ret)
{
	*ret = (struct device_identity){
		.vendor = d->vendor,
		.device = d->device,
		.has_subsystem = true,
		.subsystem_vendor = d->subsystem_vendor,
		.subsystem_device = d->subsystem_device,
		.has_class = true,
		.class_code = d->class_code >> 8, /* rules match class and subclass */
	};
}

static void label_host_device(const struct host_pci *pci, const struct host_pci_device *d,
			      struct device_identity *ret)
{
	snprintf(ret->label, sizeof(ret->label), "%s (%s)", d->address, host_pci_name(pci, d));
}

/* Module parameters read as booleans ("Y"/"N") or numbers: "1" wants Y or 1. */
static bool param_value_is(const char *have, const char *want)
{
	if (strcmp(have, want) == 0)
		return true;
	if (strcmp(want, "1") == 0)
		return strcmp(have, "Y") == 0 || strcmp(have, "y") == 0;
	if (strcmp(want, "0") == 0)
		return strcmp(have, "N") == 0 || strcmp(have, "n") == 0;
	return false;
}

/* "kvm.ignore_msrs=1": NULL when the host has it, else what is missing. */
static char *module_param_shortfall(const struct host *h, const char *requirement)
{
	const char *dot = strchr(requirement, '.'), *eq = strchr(requirement, '=');
	if (!dot || !eq || eq < dot)
		return NULL; /* the rules loader checked the shape */
	char *module = xstrndup(requirement, (size_t)(dot - requirement));
	char *param = xstrndup(dot + 1, (size_t)(eq - dot - 1));
	const char *want = eq + 1;
	module_name_normalise(module);
	const char *live = host_module_param(&h->modules, module, param);
	bool live_ok = live != NULL;
	const struct modprobe_statement *st = NULL;
	const char *configured = host_module_option(&h->modules, module, param, &st);
	char *why = NULL;
	if (live_ok && param_value_is(live, want))
		why = NULL;
	else if (configured && param_value_is(configured, want))
		why = live_ok ? xasprintf("has `options %s %s=%s` in %s:%u, but the running module "
					  "still has %s (reboot or reload %s)",
					  module, param, configured, st->file, st->line, live,
					  module)
			      : NULL;
	else if (live_ok)
		why = xasprintf("wants %s (now %s.%s is %s)", requirement, module, param, live);
	else
		why = xasprintf("wants %s", requirement);
	free(module);
	free(param);
	return why;
}

static bool ids_list_has(const char *list, unsigned vendor, unsigned device)
{
	char want[16];
	snprintf(want, sizeof(want), "%04x:%04x", vendor, device);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len >= 9 && strncasecmp(p, want, 9) == 0 && (len == 9 || p[9] == ':'))
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* drivers_unused: the device must not be driven by one of these host drivers. */
static char *driver_shortfall(const struct host *h, const struct rules_device *r,
			      const struct host_pci_device *d)
{
	if (!d->driver)
		return NULL;
	char *driver = xstrdup(d->driver);
	module_name_normalise(driver);
	bool listed = false;
	for (size_t i = 0; i < r->host_drivers_unused.count && !listed; i++) {
		char *name = xstrdup(r->host_drivers_unused.items[i]);
		module_name_normalise(name);
		listed = strcmp(name, driver) == 0;
		free(name);
	}
	char *why = NULL;
	if (listed) {
		const struct modprobe_statement *st = host_module_blacklisted(&h->modules, driver);
		const struct modprobe_statement *ids_st = NULL;
		const char *ids = host_module_option(&h->modules, "vfio_pci", "ids", &ids_st);
		if (!st && ids && ids_list_has(ids, d->vendor, d->device))
			st = ids_st;
		if (st)
			why = xasprintf(
				"is still driven by the host's %s although %s:%u keeps it "
				"from the host: run `update-initramfs -u -k all` and reboot",
				d->driver, st->file, st->line);
		else
			why = xasprintf("is driven by the host's %s", d->driver);
	}
	free(driver);
	return why;
}

/* Whether the hostpci line of vd passes every function the host has in vd's slot. */
static int passes_all_functions(const struct host_pci *pci, const struct vm_device *vd,
				const struct vm_devices *devices)
{
	const struct host_pci_device *d = vd->dev;
	size_t on_line = 0;
	for (size_t i = 0; i < devices->count; i++) {
		const struct host_pci_device *o = devices->items[i].dev;
		if (devices->items[i].hostpci == vd->hostpci && o->domain == d->domain &&
		    o->bus == d->bus && o->slot == d->slot)
			on_line++;
	}
	return on_line >= host_pci_slot_functions(pci, d);
}

static void apply_rules_on_host(const struct checked_config *c, const struct host_view *view,
				const struct rules *rules, const struct vm_device *vd,
				const struct vm_devices *devices, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	const struct pve_hostpci *h = &vm->hostpci[vd->hostpci].dev;
	struct device_identity d;
	identity_of(vd->dev, &d);
	for (size_t i = 0; i < rules->device_count; i++) {
		const struct rules_device *r = &rules->devices[i];
		if (!rule_matches(r, &d) || !rule_applies(r, vm, h))
			continue;
		char *lack = vm_shortfall(r, vm, h, vd->map,
					  passes_all_functions(&view->host->pci, vd, devices));
		for (size_t k = 0; !lack && k < r->host_module_params.count; k++)
			lack = module_param_shortfall(view->host, r->host_module_params.items[k]);
		if (!lack && r->host_drivers_unused.count)
			lack = driver_shortfall(view->host, r, vd->dev);
		if (!lack && has_requirements(r))
			continue;
		struct finding *f =
			findings_add_device_rule(out, i, r->severity, &c->source, vd->line);
		finding_device(f, vd->dev->address);
		label_host_device(&view->host->pci, vd->dev, &d);
		if (lack)
			finding_message(f, "hostpci%d: %s %s %s", vd->hostpci, r->name, d.label,
					lack);
		else
			finding_message(f, "hostpci%d: %s %s", vd->hostpci, r->name, d.label);
		finding_hint(f, "%s", r->hint);
		free(lack);
	}
}

void check_device_rules_on_host(const struct checked_config *c, const struct host_view *view,
				const struct vm_devices *devices, const struct rules *rules,
				struct findings *out)
{
	if (!rules || !rules->device_count)
		return;
	for (size_t i = 0; i < devices->count; i++) {
		const struct vm_device *vd = &devices->items[i];
		/* rules are about cards: one finding per card, from its first function */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = devices->items[j].hostpci == vd->hostpci &&
			       devices->items[j].dev->vendor == vd->dev->vendor &&
			       devices->items[j].dev->device == vd->dev->device;
		if (!seen)
			apply_rules_on_host(c, view, rules, vd, devices, out);
	}
}

void apply_device_overrides_on_host(const struct host *host, const struct rules *rules,
				    struct findings *list)
{
	if (!rules)
		return;
	for (size_t i = 0; i < list->count; i++) {
		struct finding *f = &list->items[i];
		const struct host_pci_device *dev =
			f->device ? host_pci_find(&host->pci, f->device) : NULL;
		if (!dev)
			continue;
		struct device_identity d;
		identity_of(dev, &d);
		for (size_t r = 0; r < rules->device_count; r++) {
			const struct rules_device *rule = &rules->devices[r];
			if (!rule->override_count || !rule_matches(rule, &d))
				continue;
			for (size_t o = 0; o < rule->override_count; o++) {
				if (rule->overrides[o].check == f->check)
					f->severity = rule->overrides[o].severity;
			}
		}
	}
	findings_remove_off(list);
}
