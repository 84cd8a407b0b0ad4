/* Config-only checks: everything that can be known from one VM config alone. */
#include "checks.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"
#include "../pve/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct finding *report(const struct checked_config *c, struct findings *out,
			      enum check_id check, enum severity severity, unsigned line)
{
	return findings_add(out, check, severity, &c->source, line);
}

/* What Proxmox does when it drops a line, for the keys whose loss changes the VM. */
static const char *consequence_of_dropping(const char *key)
{
	if (!key)
		return "Proxmox will ignore this line";
	if (strcmp(key, "machine") == 0)
		return "Proxmox will ignore this line and start the VM with the default machine "
		       "type (i440fx)";
	if (strcmp(key, "bios") == 0)
		return "Proxmox will ignore this line and boot the VM with SeaBIOS";
	if (strcmp(key, "vga") == 0)
		return "Proxmox will ignore this line and give the VM its default display";
	if (strcmp(key, "onboot") == 0)
		return "Proxmox will ignore this line and not start the VM at boot";
	if (strcmp(key, "hookscript") == 0)
		return "Proxmox will ignore this line and run no hookscript for this VM";
	if (strcmp(key, "args") == 0)
		return "Proxmox will ignore this line and pass no extra arguments to QEMU";
	return "Proxmox will ignore this line";
}

static bool has_upper_hex(const char *s)
{
	for (; *s; s++) {
		if (*s >= 'A' && *s <= 'F')
			return true;
	}
	return false;
}

static char *lowercase(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return l;
}

/* The slot as an admin writes it: "01:00" for domain 0000, "0001:01:00" otherwise. */
static const char *short_slot(const struct pve_pci_id *id)
{
	return strncmp(id->slot, "0000:", 5) == 0 ? id->slot + 5 : id->slot;
}

/* The first id of a value like "01:00.0,..." or "host=0000:01:00.0;...", if it parses. */
static bool first_id(const char *value, struct pve_pci_id *ret)
{
	if (strncmp(value, "host=", 5) == 0)
		value += 5;
	return pve_pci_id_parse(value, strcspn(value, ",;"), ret);
}

/* The hint for a hostpciN value Proxmox rejects, from the kind and key of its first
 * complaint. */
static void hint_for_bad_hostpci(struct finding *f, const char *key, const char *value,
				 const struct prop_errors *errors)
{
	struct pve_pci_id id;
	const struct prop_error *e = errors->count ? &errors->items[0] : NULL;
	const char *k = e && e->key ? e->key : "";
	if (!e) {
		finding_hint(f, "see the hostpci[n] section of qm.conf(5) for the format");
		return;
	}
	switch (e->kind) {
	case PROP_ERROR_DUPLICATE_KEY:
		finding_hint(f, "give each option once on the line");
		return;
	case PROP_ERROR_MISSING_KEY:
	case PROP_ERROR_NO_DEFAULT:
		finding_hint(f, "every option is written key=value with both parts, e.g. "
				"`romfile=vbios.bin`");
		return;
	case PROP_ERROR_UNKNOWN_KEY:
		if (strcmp(k, "multifunction") == 0)
			finding_hint(f,
				     "drop multifunction=...: an address without a function "
				     "(`%s: %s`) passes every function of the card",
				     key, first_id(value, &id) ? short_slot(&id) : "01:00");
		else if (strcmp(k, "hidden") == 0)
			finding_hint(f, "hidden= is a CPU option, not a hostpci one: set it with "
					"`cpu: host,hidden=1`");
		else
			finding_hint(f, "hostpci options are device-id, driver, legacy-igd, "
					"mapping, mdev, pcie, rombar, romfile, sub-device-id, "
					"sub-vendor-id, vendor-id and x-vga");
		return;
	case PROP_ERROR_BAD_VALUE:
		break;
	}
	if (pve_hostpci_key_is_boolean(k)) {
		finding_hint(f, "write booleans as 1/0, on/off, yes/no or true/false");
	} else if (strcmp(k, "host") == 0 && has_upper_hex(value)) {
		char *l = lowercase(value);
		finding_hint(f, "Proxmox matches PCI addresses in lowercase only: `%s: %s`", key,
			     l);
		free(l);
	} else if (strcmp(k, "host") == 0) {
		finding_hint(f, "write the address as `lspci -D` shows it: 0000:01:00.0, 01:00.0, "
				"or 01:00 for every function; separate several with ';'");
	} else if (strlen(k) > 3 && strcmp(k + strlen(k) - 3, "-id") == 0) {
		finding_hint(f,
			     "write ids as 0x followed by four hex digits, e.g. vendor-id=0x10de");
	} else if (strcmp(k, "mapping") == 0) {
		finding_hint(f, "a mapping name starts with a letter and has letters, digits, "
				"'-' and '_' (see Datacenter > Resource Mappings)");
	} else {
		finding_hint(f, "see the hostpci[n] section of qm.conf(5) for the format");
	}
}

/* What the VM loses when Proxmox drops a hostpciN line: nothing when another line of the
 * same key stays in effect (Proxmox skips the bad line and keeps the good one). */
static void hostpci_drop_consequence(const struct checked_config *c, const char *key, unsigned line,
				     char *buf, size_t size)
{
	int i = pve_hostpci_index(key);
	const struct pve_hostpci_setting *s = i >= 0 ? &c->config->vm.hostpci[i] : NULL;
	if (s && s->raw.set && s->raw.line != line)
		snprintf(buf, size,
			 "Proxmox will ignore this %s line and start the VM with the "
			 "device of line %u (%s: %.60s)",
			 key, s->raw.line, key, s->raw.value);
	else
		snprintf(buf, size,
			 "Proxmox will ignore this %s line and start the VM without "
			 "the device",
			 key);
}

/* --- config problems: how each kind of line Proxmox drops or misreads is reported ------- */

static bool is_hostpci_key(const char *key)
{
	return key && strncmp(key, "hostpci", 7) == 0;
}

static void say_unparseable(struct finding *f, const struct checked_config *c,
			    const struct pve_problem *p)
{
	(void)c;
	finding_message(f, "cannot parse \"%.80s\"%s; Proxmox will ignore this line", p->detail,
			strlen(p->detail) > 80 ? "..." : "");
	finding_hint(f, "settings are written `key: value` with a lowercase key; "
			"description lines start with '#' in column 0");
}

static void say_hostpci_unparseable(struct finding *f, const struct checked_config *c,
				    const struct pve_problem *p)
{
	(void)c;
	if (is_hostpci_key(p->key)) {
		finding_message(f,
				"%s has no value; Proxmox will ignore this %s line and start "
				"the VM without the device",
				p->key, p->key);
		finding_hint(f, "name the device: `%s: 01:00.0`", p->key);
		return;
	}
	/* hostpci0x:, hostpci 0: ... a device the admin meant to pass */
	finding_message(f,
			"cannot parse \"%.80s\"%s; Proxmox will ignore this line and start "
			"the VM without the device",
			p->detail, strlen(p->detail) > 80 ? "..." : "");
	finding_hint(f, "write it as `hostpciN: 01:00.0` with N from 0 to %d", PVE_MAX_HOSTPCI - 1);
}

static void say_indented_comment(struct finding *f, const struct checked_config *c,
				 const struct pve_problem *p)
{
	(void)c;
	(void)p;
	finding_message(f, "comment does not start in column 0; Proxmox cannot parse it and "
			   "will ignore this line");
	finding_hint(f, "move '#' to the first column (the line then becomes part of the VM's "
			"description) or delete the line");
}

static void say_unknown_key(struct finding *f, const struct checked_config *c,
			    const struct pve_problem *p)
{
	(void)c;
	finding_message(f, "unknown setting '%s'; Proxmox will ignore this line", p->key);
	finding_hint(f, "remove the line; QEMU options Proxmox does not know belong in `args:`");
}

static void say_hostpci_unknown_key(struct finding *f, const struct checked_config *c,
				    const struct pve_problem *p)
{
	(void)c;
	finding_message(f,
			"unknown setting '%s': Proxmox knows hostpci0 to hostpci%d only; it "
			"will ignore this line and start the VM without the device",
			p->key, PVE_MAX_HOSTPCI - 1);
	finding_hint(f, "use a free index between hostpci0 and hostpci%d", PVE_MAX_HOSTPCI - 1);
}

static void say_bad_value(struct finding *f, const struct checked_config *c,
			  const struct pve_problem *p)
{
	(void)c;
	finding_message(f, "%s: %s; %s", p->key, p->detail, consequence_of_dropping(p->key));
	finding_hint(f, "see the %s entry of qm.conf(5) for the values Proxmox accepts", p->key);
}

static void say_hostpci_bad_value(struct finding *f, const struct checked_config *c,
				  const struct pve_problem *p)
{
	char consequence[200];
	hostpci_drop_consequence(c, p->key, p->line, consequence, sizeof(consequence));
	finding_message(f, "%s: %s; %s", p->key, p->detail, consequence);
	hint_for_bad_hostpci(f, p->key, p->value, &p->errors);
}

static void say_duplicate_key(struct finding *f, const struct checked_config *c,
			      const struct pve_problem *p)
{
	(void)c;
	finding_message(f,
			"%s is set again on line %u; Proxmox uses the last one and ignores "
			"this line",
			p->key, p->other_line);
	finding_hint(f, "delete one of the two %s lines", p->key);
}

static void say_delete_outside_pending(struct finding *f, const struct checked_config *c,
				       const struct pve_problem *p)
{
	(void)c;
	(void)p;
	finding_message(f, "'delete:' is only allowed in the [PENDING] section; Proxmox will "
			   "ignore this line");
	finding_hint(f, "remove the line; to remove a setting, delete its line or use "
			"`qm set VMID --delete KEY`");
}

static void say_ignored_bios(struct finding *f, const struct checked_config *c,
			     const struct pve_problem *p)
{
	(void)c;
	finding_message(f,
			"bios: '%s' is neither seabios nor ovmf; Proxmox keeps the line but "
			"boots the VM with SeaBIOS",
			p->detail);
	finding_hint(f, "write `bios: ovmf` for UEFI, or `bios: seabios`");
}

static void say_unknown_section(struct finding *f, const struct checked_config *c,
				const struct pve_problem *p)
{
	(void)c;
	finding_message(f,
			"unknown section [%s]; Proxmox will skip every line up to the next "
			"section header",
			p->detail);
	finding_hint(f, "sections are [PENDING], [special:cloudinit], [special:fleecing] and "
			"snapshot names ([a-z][a-z0-9_-]+)");
}

static void say_crlf(struct finding *f, const struct checked_config *c, const struct pve_problem *p)
{
	(void)p;
	finding_message(f, "Windows (CRLF) line ends; Proxmox reads the file, but its own writes "
			   "will mix line ends");
	finding_hint(f, "convert the file: `sed -i 's/\\r$//' %s`", c->source.file);
}

static void say_snapstate_marker(struct finding *f, const struct checked_config *c,
				 const struct pve_problem *p)
{
	const char *tail = p->detail + strlen(p->detail);
	while (tail > p->detail && strncmp(tail, "snapstate:", 10) != 0)
		tail--;
	char lost[200];
	if (is_hostpci_key(p->key))
		hostpci_drop_consequence(c, p->key, p->line, lost, sizeof(lost));
	else
		snprintf(lost, sizeof(lost), "%s", consequence_of_dropping(p->key));
	finding_message(f,
			"%s%sthe line ends in \"%s\", which Proxmox's config loader takes for "
			"its snapshot-state marker: the line is not read as %s; %s",
			p->key ? p->key : "", p->key ? ": " : "", tail,
			p->key ? p->key : "a setting", lost);
	finding_hint(f, "remove \"%s\" from the end of the line (a value may not end in it)", tail);
}

static void say_args_quoting(struct finding *f, const struct checked_config *c,
			     const struct pve_problem *p)
{
	(void)c;
	finding_message(f,
			"args: %s; Proxmox cannot split the line into words and will pass "
			"none of them to QEMU",
			p->detail);
	finding_hint(f, "balance the quotes in args:");
}

/* How one kind of problem becomes a finding: its check, its severity, and what it says. */
struct problem_report {
	enum check_id check;
	enum severity severity;
	void (*say)(struct finding *f, const struct checked_config *c, const struct pve_problem *p);
};

/* One row per kind of problem.  A hostpciN line is a device the admin meant to pass: losing it
 * changes the VM, so the kinds that drop one have a hostpci-syntax form (say NULL: the kind
 * reads the same for every key). */
static const struct {
	struct problem_report setting, hostpci;
} problem_reports[] = {
	[PVE_PROBLEM_UNPARSEABLE] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						 say_unparseable},
				     .hostpci = {CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR,
						 say_hostpci_unparseable}},
	[PVE_PROBLEM_INDENTED_COMMENT] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						      say_indented_comment}},
	[PVE_PROBLEM_UNKNOWN_KEY] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						 say_unknown_key},
				     .hostpci = {CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR,
						 say_hostpci_unknown_key}},
	[PVE_PROBLEM_BAD_VALUE] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
					       say_bad_value},
				   .hostpci = {CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR,
					       say_hostpci_bad_value}},
	[PVE_PROBLEM_DUPLICATE_KEY] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						   say_duplicate_key}},
	[PVE_PROBLEM_DELETE_OUTSIDE_PENDING] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
							    say_delete_outside_pending}},
	[PVE_PROBLEM_IGNORED_VALUE] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						   say_ignored_bios}},
	[PVE_PROBLEM_UNKNOWN_SECTION] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						     say_unknown_section}},
	[PVE_PROBLEM_CRLF] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING, say_crlf}},
	[PVE_PROBLEM_ARGS_QUOTING] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						  say_args_quoting}},
	[PVE_PROBLEM_SNAPSTATE_MARKER] = {.setting = {CHECK_CONFIG_SYNTAX, SEVERITY_WARNING,
						      say_snapstate_marker}},
};

_Static_assert(sizeof(problem_reports) / sizeof(problem_reports[0]) == PVE_PROBLEM_KIND_COUNT,
	       "one row per kind of config problem");

/* The problem is about a hostpciN line: its key says so, or, for a line that does not parse,
 * its text (hostpci0x:, hostpci 0: ...). */
static bool about_hostpci(const struct pve_problem *p)
{
	if (is_hostpci_key(p->key))
		return true;
	return p->kind == PVE_PROBLEM_UNPARSEABLE && strncmp(p->detail, "hostpci", 7) == 0;
}

static void report_problem(const struct checked_config *c, const struct pve_problem *p,
			   struct findings *out)
{
	/* Only the current config is judged; snapshots and pending changes are parsed only. */
	if (p->section != PVE_SECTION_MAIN || (unsigned)p->kind >= PVE_PROBLEM_KIND_COUNT)
		return;
	const struct problem_report *r = &problem_reports[p->kind].hostpci;
	if (!r->say || !about_hostpci(p))
		r = &problem_reports[p->kind].setting;
	r->say(report(c, out, r->check, r->severity, p->line), c, p);
}

static void report_problems(const struct checked_config *c, struct findings *out)
{
	for (size_t i = 0; i < c->config->problem_count; i++)
		report_problem(c, &c->config->problems[i], out);
}

static const char *machine_description(const struct pve_vm *vm)
{
	return vm->machine_type ? vm->machine_type : "the default i440fx (pc)";
}

/* Start-time rules of parse_hostpci()/parse_hostpci_devices() that a stored line can break. */
static void check_hostpci_lines(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set)
			continue;
		const struct pve_hostpci *h = &s->dev;
		struct finding *f;
		if (h->id_count && h->mapping) {
			f = report(c, out, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, s->raw.line);
			finding_message(f,
					"hostpci%d sets both host and mapping; Proxmox will refuse "
					"to start the VM (\"Cannot set both 'host' and "
					"'mapping'.\")",
					i);
			finding_hint(f,
				     "keep one of them: `hostpci%d: mapping=%s` or "
				     "`hostpci%d: %s`",
				     i, h->mapping, i, h->ids[0].id);
		} else if (!h->id_count && !h->mapping) {
			f = report(c, out, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, s->raw.line);
			finding_message(f,
					"hostpci%d names no device (neither host nor mapping); "
					"Proxmox will refuse to start the VM (\"Either 'host' "
					"or 'mapping' must be set.\")",
					i);
			if (s->raw.value[strspn(s->raw.value, " \t,")])
				finding_hint(f,
					     "put the device's address first: "
					     "`hostpci%d: 01:00.0,%s`",
					     i, s->raw.value);
			else
				finding_hint(f, "name the device: `hostpci%d: 01:00.0`", i);
		}
		for (size_t k = 0; k < h->id_count; k++) {
			const struct pve_pci_id *id = &h->ids[k];
			const char *why = pve_pci_id_names_no_device(id);
			if (!why)
				continue;
			f = report(c, out, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, s->raw.line);
			finding_message(
				f,
				"hostpci%d: no PCI device can have the address %s (%s); "
				"Proxmox will refuse to start the VM (\"no PCI device found "
				"for '%s'\")",
				i, id->id, why, id->written);
			finding_device(f, id->id);
			finding_hint(f, "copy the address from `lspci -D`");
		}
		/* a slot without a function is expanded over the devices the host has: only a
		 * list of IDs is known to be several devices without one */
		if (h->mdev && h->id_count > 1) {
			f = report(c, out, CHECK_HOSTPCI_SYNTAX, SEVERITY_ERROR, s->raw.line);
			finding_message(
				f,
				"hostpci%d combines mdev=%s with several functions; Proxmox "
				"will refuse to start the VM (\"cannot use mediated "
				"device with multifunction device\")",
				i, h->mdev);
			finding_hint(f,
				     "a mediated device lives on one function: name it, e.g. "
				     "`%s.0`",
				     h->ids[0].slot);
		}
	}
}

/* A line that takes a whole host function: mediated devices (mdev=) are slices of a card
 * that several hostpci lines and VMs may share, and choose_hostpci_devices skips them. */
static bool takes_whole_device(const struct pve_hostpci_setting *s)
{
	return s->raw.set && !s->dev.mdev;
}

/* One host id named by a hostpci line, in the order Proxmox reads them. */
struct id_claim {
	const struct pve_pci_id *id;
	int hostpci;
	size_t order;
};

static int compare_id_claims(const void *a, const void *b)
{
	const struct id_claim *x = a, *y = b;
	int r = strcmp(x->id->slot, y->id->slot);
	if (r)
		return r;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* The first repeat on one hostpci line, and how many there are. */
struct line_repeat {
	const struct id_claim *repeat, *earlier;
	size_t count;
};

/* Within one slot, in reading order: the earliest claim that overlaps c among those before
 * it.  The all-functions form overlaps every function, so three trackers answer it without
 * comparing claims pairwise (a line may list thousands of ids). */
struct slot_trackers {
	const struct id_claim *first_any, *first_all_functions, *first_function[16];
};

static const struct id_claim *earlier_overlap(const struct slot_trackers *t,
					      const struct id_claim *c)
{
	if (c->id->function < 0)
		return t->first_any;
	const struct id_claim *a = t->first_all_functions, *b = t->first_function[c->id->function];
	if (!a)
		return b;
	if (!b)
		return a;
	return a->order < b->order ? a : b;
}

static void track(struct slot_trackers *t, const struct id_claim *c)
{
	if (!t->first_any)
		t->first_any = c;
	if (c->id->function < 0) {
		if (!t->first_all_functions)
			t->first_all_functions = c;
	} else if (!t->first_function[c->id->function]) {
		t->first_function[c->id->function] = c;
	}
}

static void report_repeat(const struct checked_config *c, const struct line_repeat *r,
			  struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	int i = r->repeat->hostpci, j = r->earlier->hostpci;
	const struct pve_pci_id *id = r->repeat->id;
	struct finding *f =
		report(c, out, CHECK_HOSTPCI_DUPLICATE, SEVERITY_ERROR, vm->hostpci[i].raw.line);
	finding_device(f, id->id);
	char more[48] = "";
	if (r->count > 1)
		snprintf(more, sizeof(more), " (and %zu more)", r->count - 1);
	/* the device Proxmox names: the function both claims share, or the slot's first */
	const struct pve_pci_id *earlier = r->earlier->id;
	char dev[64];
	pve_pci_id_first_function(id->function < 0 && earlier->function >= 0 ? earlier : id, dev,
				  sizeof(dev));
	if (i == j)
		finding_message(f,
				"hostpci%d lists %s twice%s; Proxmox will refuse to start the VM "
				"(\"device '%s' assigned more than once\")",
				i, id->id, more, dev);
	else
		finding_message(f,
				"hostpci%d: %s is already assigned by hostpci%d (line %u)%s; "
				"Proxmox will refuse to start the VM (\"device '%s' assigned more "
				"than once\")",
				i, id->id, j, vm->hostpci[j].raw.line, more, dev);
	finding_hint(f,
		     "remove one of them; an address without a function (`%s`) already "
		     "passes every function of the card",
		     short_slot(id));
}

/* Proxmox: "device '$id' assigned more than once" (QemuServer/PCI.pm). */
static void check_hostpci_duplicates(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	struct id_claim *claims = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!takes_whole_device(s))
			continue;
		for (size_t k = 0; k < s->dev.id_count; k++) {
			if (s->dev.ids[k].domain_too_long)
				continue; /* names no device; reported by hostpci-syntax */
			xgrow((void **)&claims, &cap, n + 1, sizeof(*claims));
			claims[n] = (struct id_claim){&s->dev.ids[k], i, n};
			n++;
		}
	}
	struct line_repeat repeats[PVE_MAX_HOSTPCI] = {0};
	if (n > 1)
		qsort(claims, n, sizeof(*claims), compare_id_claims);
	for (size_t start = 0; start < n;) {
		struct slot_trackers t = {0};
		size_t end = start;
		for (; end < n && strcmp(claims[end].id->slot, claims[start].id->slot) == 0;
		     end++) {
			const struct id_claim *earlier = earlier_overlap(&t, &claims[end]);
			track(&t, &claims[end]);
			if (!earlier)
				continue;
			struct line_repeat *r = &repeats[claims[end].hostpci];
			if (!r->repeat || claims[end].order < r->repeat->order) {
				r->repeat = &claims[end];
				r->earlier = earlier;
			}
			r->count++;
		}
		start = end;
	}
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		if (repeats[i].repeat)
			report_repeat(c, &repeats[i], out);
	}
	free(claims);
}

/* The last main-section line for key that Proxmox drops, or NULL. */
static const struct pve_problem *dropped_line(const struct pve_config *config, const char *key)
{
	const struct pve_problem *found = NULL;
	for (size_t i = 0; i < config->problem_count; i++) {
		const struct pve_problem *p = &config->problems[i];
		if (p->kind == PVE_PROBLEM_BAD_VALUE && p->section == PVE_SECTION_MAIN && p->key &&
		    strcmp(p->key, key) == 0)
			found = p;
	}
	return found;
}

/* Proxmox: die "q35 machine model is not enabled" if pcie && !q35 (QemuServer/PCI.pm). */
static void check_pcie_needs_q35(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	if (vm->machine_is_q35)
		return;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || s->dev.pcie != 1)
			continue;
		struct finding *f =
			report(c, out, CHECK_PCIE_NEEDS_Q35, SEVERITY_ERROR, s->raw.line);
		finding_message(f,
				"hostpci%d sets pcie=1 but the machine type is %s; Proxmox "
				"will refuse to start the VM (\"q35 machine model is not "
				"enabled\")",
				i, machine_description(vm));
		const struct pve_problem *dropped = dropped_line(c->config, "machine");
		if (dropped)
			finding_hint(f,
				     "fix the machine line (line %u), which Proxmox ignores, so "
				     "that it names a q35 type, or drop pcie=1",
				     dropped->line);
		else if (vm->machine.set && !vm->machine_type)
			finding_hint(f,
				     "add the type to line %u: `machine: q35,%s`, or drop pcie=1",
				     vm->machine.line, vm->machine.value);
		else if (vm->machine.set)
			finding_hint(f,
				     "change line %u to `machine: q35` (or a pc-q35-* version), or "
				     "drop pcie=1",
				     vm->machine.line);
		else
			finding_hint(f,
				     "add `machine: q35` (Windows guests may need reactivation), "
				     "or drop pcie=1");
	}
}

/* Proxmox emits x-vga=on only when bios != ovmf (QemuServer/PCI.pm). */
static void check_xvga_ovmf(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	if (vm->bios_type != PVE_BIOS_OVMF)
		return;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || s->dev.x_vga != 1)
			continue;
		struct finding *f = report(c, out, CHECK_XVGA_OVMF, SEVERITY_WARNING, s->raw.line);
		finding_message(f,
				"hostpci%d sets x-vga=1 with bios: ovmf (line %u); Proxmox "
				"drops x-vga for OVMF, so the card is passed without VGA "
				"emulation",
				i, vm->bios.line);
		finding_hint(f, "with OVMF the card's UEFI (GOP) ROM drives the display: remove "
				"x-vga, or use SeaBIOS if the card has no UEFI ROM");
	}
}

const char *legacy_igd_broken_rule(const struct pve_vm *vm, int index, bool earlier_igd,
				   bool multifunction, const char **ret_fix)
{
	const struct pve_hostpci *h = &vm->hostpci[index].dev;
	if (earlier_igd) {
		*ret_fix = "keep legacy-igd=1 on the integrated GPU's line only";
		return "only one device can be assigned in legacy-igd mode";
	}
	if (!vm->vga.set || strcmp(vm->vga.value, "none") != 0) {
		*ret_fix = "set `vga: none` (exactly, with no options)";
		return "legacy IGD assignment requires VGA mode to be 'none'";
	}
	if (h->rombar == 0) {
		*ret_fix = "remove rombar=0";
		return "legacy IGD assignment requires rombar to be enabled";
	}
	if (h->x_vga == 1) {
		*ret_fix = "remove x-vga=1";
		return "legacy IGD assignment is not compatible with x-vga";
	}
	if (h->mdev) {
		*ret_fix = "remove mdev= (or drop legacy-igd=1 to use GVT-g)";
		return "legacy IGD assignment is not compatible with mdev";
	}
	if (vm->machine_is_q35) {
		*ret_fix = "use the i440fx machine type (`machine: pc` or remove machine:)";
		return "legacy IGD assignment is not compatible with q35";
	}
	if (multifunction) {
		*ret_fix = "pass the GPU function alone: `0000:00:02.0`";
		return "legacy IGD assignment is not compatible with multifunction devices";
	}
	if (h->id_count == 1 && (h->ids[0].device != 2 || h->ids[0].function > 0)) {
		/* Proxmox tests the first device's id against /02\.0$/ only: any bus passes,
		 * and "00:02" starts with function 0 */
		*ret_fix = "legacy-igd=1 is for Intel integrated graphics at 0000:00:02.0; drop it "
			   "for other devices";
		return "legacy IGD assignment only works for devices on host bus 00:02.0";
	}
	return NULL;
}

/* The legacy-igd rules of QemuServer/PCI.pm's parse_hostpci_devices(), in its order.  A slot
 * without a function ("00:02") is several devices only when the host has several functions
 * there: the host checks judge that (check_expanded_lines). */
static void check_legacy_igd(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	int first = -1;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || s->dev.legacy_igd != 1)
			continue;
		const char *fix = NULL;
		bool earlier = first >= 0;
		if (first < 0)
			first = i;
		if (c->slots_expanded && s->dev.id_count == 1 && s->dev.ids[0].function < 0)
			continue;
		const char *why = legacy_igd_broken_rule(vm, i, earlier, s->dev.id_count > 1, &fix);
		if (!why)
			continue;
		struct finding *f = report(c, out, CHECK_LEGACY_IGD, SEVERITY_ERROR, s->raw.line);
		finding_message(f, "hostpci%d: %s; Proxmox will refuse to start the VM", i, why);
		finding_hint(f, "%s", fix);
	}
}

/* Lexically resolve dir + "/" + rel ('.' and '..' folded, no symlinks: offline there is no
 * file system to ask).  Returns a malloc'd absolute path. */
static char *resolve_lexically(const char *dir, const char *rel)
{
	char *joined = xasprintf("%s/%s", dir, rel);
	char *out = xmalloc(strlen(joined) + 2);
	size_t n = 0;
	for (const char *p = joined; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--; /* the slash before the dropped component */
		} else {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	free(joined);
	return out;
}

static bool is_below(const char *path, const char *dir)
{
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	return strncmp(path, dir, len) == 0 && (path[len] == '/' || (len == 1 && dir[0] == '/'));
}

/* A path whose last component is ".", ".." or empty ("x/") names a directory whatever the
 * file system holds. */
static bool names_directory(const char *path)
{
	const char *last = strrchr(path, '/');
	last = last ? last + 1 : path;
	return !*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0;
}

void romfile_roots(const struct rules *rules, const char *const **ret, size_t *ret_count)
{
	static const char *const builtin[] = {PATH_KVM_ROM_DIR};
	const struct rules_check *check = rules ? &rules->checks[CHECK_ROMFILE_PATH] : NULL;
	if (check && check->params && check->params[0].count) {
		*ret = (const char *const *)check->params[0].items;
		*ret_count = check->params[0].count;
		return;
	}
	*ret = builtin;
	*ret_count = 1;
}

char *romfile_host_path(const struct rules *rules, const char *romfile)
{
	if (romfile[strspn(romfile, " \t")] == '\0' || romfile[0] == '/' ||
	    names_directory(romfile))
		return NULL;
	const char *const *roots;
	size_t nroots;
	romfile_roots(rules, &roots, &nroots);
	char *resolved = resolve_lexically(PATH_KVM_ROM_DIR, romfile);
	for (size_t k = 0; k < nroots; k++) {
		if (is_below(resolved, roots[k]))
			return resolved;
	}
	free(resolved);
	return NULL;
}

/* Proxmox passes romfile=/usr/share/kvm/<romfile> to QEMU without checking it. */
static void check_romfile_path(const struct checked_config *c, const struct rules *rules,
			       struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	const char *const *roots;
	size_t nroots;
	romfile_roots(rules, &roots, &nroots);
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || !s->dev.romfile)
			continue;
		const char *rom = s->dev.romfile;
		struct finding *f;
		if (rom[strspn(rom, " \t")] == '\0') {
			f = report(c, out, CHECK_ROMFILE_PATH, SEVERITY_ERROR, s->raw.line);
			finding_message(f,
					"hostpci%d: romfile is blank; QEMU will look for "
					"'%s/%s' and the VM will fail to start",
					i, PATH_KVM_ROM_DIR, rom);
			finding_hint(f, "name a ROM file in %s: `romfile=vbios.bin`",
				     PATH_KVM_ROM_DIR);
			continue;
		}
		if (rom[0] == '/') {
			f = report(c, out, CHECK_ROMFILE_PATH, SEVERITY_ERROR, s->raw.line);
			finding_message(f,
					"hostpci%d: romfile=%s is an absolute path, but Proxmox "
					"always prepends %s/: QEMU will look for %s/%s and the "
					"VM will fail to start",
					i, rom, PATH_KVM_ROM_DIR, PATH_KVM_ROM_DIR, rom);
			const char *base = strrchr(rom, '/') + 1;
			finding_hint(f, "copy the ROM into %s/ and name it alone: `romfile=%s`",
				     PATH_KVM_ROM_DIR, *base ? base : "vbios.bin");
			continue;
		}
		char *resolved = resolve_lexically(PATH_KVM_ROM_DIR, rom);
		if (names_directory(rom)) {
			f = report(c, out, CHECK_ROMFILE_PATH, SEVERITY_ERROR, s->raw.line);
			finding_message(f,
					"hostpci%d: romfile=%s names a directory (%s), not a "
					"file; QEMU cannot load a directory as the card's ROM and "
					"the VM will fail to start",
					i, rom, resolved);
			finding_hint(
				f, "name the ROM file itself: `romfile=vbios.bin` for %s/vbios.bin",
				PATH_KVM_ROM_DIR);
			free(resolved);
			continue;
		}
		bool inside = false;
		for (size_t k = 0; k < nroots && !inside; k++)
			inside = is_below(resolved, roots[k]);
		if (!inside) {
			f = report(c, out, CHECK_ROMFILE_PATH, SEVERITY_ERROR, s->raw.line);
			finding_message(
				f,
				"hostpci%d: romfile=%s resolves to %s, outside the ROM "
				"director%s (%s%s); pcipt refuses ROM images from elsewhere",
				i, rom, resolved, nroots > 1 ? "ies" : "y", roots[0],
				nroots > 1 ? ", ..." : "");
			finding_hint(f, "copy the ROM into %s/ and name it alone",
				     PATH_KVM_ROM_DIR);
		} else if (strstr(rom, "..")) {
			f = report(c, out, CHECK_ROMFILE_PATH, SEVERITY_WARNING, s->raw.line);
			finding_message(f,
					"hostpci%d: romfile=%s contains '..'; it resolves to %s, "
					"which is allowed but hard to read",
					i, rom, resolved);
			finding_hint(f, "name the file by its plain path below %s/",
				     PATH_KVM_ROM_DIR);
		}
		free(resolved);
	}
}

/* QEMU's own refusal of a machine: option Proxmox keeps.  qemu-server passes aw-bits to the
 * vIOMMU device (intel-iommu or virtio-iommu-pci) as written. */
static void check_machine_options(const struct checked_config *c, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	const char *aw = vm->machine_aw_bits;
	if (!aw || !vm->machine_viommu)
		return;
	struct finding *f;
	const char *digits = aw[0] == '+' ? aw + 1 : aw;
	if (!*digits || strspn(digits, "0123456789") != strlen(digits)) {
		f = report(c, out, CHECK_MACHINE_OPTIONS, SEVERITY_ERROR, vm->machine.line);
		finding_message(f,
				"machine: aw-bits=%s is not a whole number; Proxmox keeps the "
				"line (aw-bits is a number to it), but QEMU refuses the value "
				"and the VM will fail to start (QEMU 7.2: \"Parameter 'aw-bits' "
				"expects integer\")",
				aw);
		finding_hint(f, "write a whole number of address bits: aw-bits=%s",
			     strcmp(vm->machine_viommu, "intel") == 0 ? "39 or aw-bits=48" : "48");
		return;
	}
	long bits = strtol(aw, NULL, 10);
	if (strcmp(vm->machine_viommu, "intel") == 0 && bits != 39 && bits != 48) {
		f = report(c, out, CHECK_MACHINE_OPTIONS, SEVERITY_ERROR, vm->machine.line);
		finding_message(f,
				"machine: aw-bits=%s with viommu=intel; QEMU's Intel vIOMMU "
				"refuses it and the VM will fail to start (\"Supported values "
				"for aw-bits are: 39, 48\")",
				aw);
		finding_hint(f, "use aw-bits=39 or aw-bits=48 with viommu=intel, or viommu=virtio");
	}
}

void check_config(const struct checked_config *c, const struct rules *rules, struct findings *out)
{
	report_problems(c, out);
	check_hostpci_lines(c, out);
	check_hostpci_duplicates(c, out);
	check_pcie_needs_q35(c, out);
	check_xvga_ovmf(c, out);
	check_machine_options(c, out);
	check_legacy_igd(c, out);
	check_romfile_path(c, rules, out);
}
