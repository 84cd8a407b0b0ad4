#include "vmconfig.h"

#include "keys.h"
#include "propstr.h"
#include "vmoptions.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* digits then suffix: 1 to 9 digits, no leading zero (Proxmox's VMIDs are 100..999999999) */
static long vmid_with_suffix(const char *s, const char *suffix)
{
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || digits > 9 || strcmp(s + digits, suffix) != 0 || s[0] == '0')
		return -1;
	return strtol(s, NULL, 10);
}

char *pve_vm_config_path(long vmid)
{
	return xasprintf("%s/%ld.conf", PATH_PVE_QEMU_SERVER, vmid);
}

char *pve_node_vm_config_path(const char *node, long vmid)
{
	return xasprintf("%s/%s/qemu-server/%ld.conf", PATH_PVE_NODES, node, vmid);
}

long pve_vmid_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	return vmid_with_suffix(base ? base + 1 : path, ".conf");
}

long pve_vmid_parse(const char *s)
{
	return vmid_with_suffix(s, "");
}

static void add_problem(struct pve_config *c, size_t *cap, enum pve_problem_kind kind,
			enum pve_section_kind section, unsigned line, const char *key,
			char *detail /* taken */)
{
	xgrow((void **)&c->problems, cap, c->problem_count + 1, sizeof(*c->problems));
	c->problems[c->problem_count++] = (struct pve_problem){
		.kind = kind,
		.section = section,
		.line = line,
		.key = key ? xstrdup(key) : NULL,
		.detail = detail,
	};
}

static struct pve_section *add_section(struct pve_config *c, size_t *cap,
				       enum pve_section_kind kind, const char *name, unsigned line)
{
	xgrow((void **)&c->sections, cap, c->section_count + 1, sizeof(*c->sections));
	struct pve_section *s = &c->sections[c->section_count++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = name ? xstrdup(name) : NULL;
	s->line = line;
	return s;
}

/* Store key=value in the section; the last of duplicate keys wins, as in a Perl hash. */
static struct pve_entry *set_entry(struct pve_section *s, const char *key, const char *value,
				   unsigned line, unsigned *ret_overridden_line)
{
	*ret_overridden_line = 0;
	for (size_t i = 0; i < s->entry_count; i++) {
		struct pve_entry *e = &s->entries[i];
		if (strcmp(e->key, key) == 0) {
			*ret_overridden_line = e->line;
			free(e->value);
			e->value = xstrdup(value);
			e->line = line;
			return e;
		}
	}
	xgrow((void **)&s->entries, &s->entry_capacity, s->entry_count + 1, sizeof(*s->entries));
	struct pve_entry *e = &s->entries[s->entry_count++];
	*e = (struct pve_entry){xstrdup(key), xstrdup(value), line};
	return e;
}

/* PVE::Tools::decode_text: %XX escapes.  Appends in amortised constant time: a 1 MiB file of
 * '#' lines must not turn quadratic. */
static void append_description(struct pve_section *s, const char *text)
{
	size_t len = strlen(text);
	xgrow((void **)&s->description, &s->description_capacity, s->description_length + len + 2,
	      1);
	char *out = s->description + s->description_length;
	for (const char *p = text; *p; p++) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = {p[1], p[2], 0};
			char c = (char)strtol(hex, NULL, 16);
			/* a decoded NUL would cut the description short; keep it escaped */
			if (c) {
				*out++ = c;
				p += 2;
				continue;
			}
		}
		*out++ = *p;
	}
	*out++ = '\n';
	*out = '\0';
	s->description_length = (size_t)(out - s->description);
}

static bool is_blank_line(const char *s)
{
	for (; *s; s++) {
		if (!isspace((unsigned char)*s))
			return false;
	}
	return true;
}

/* "[NAME]" followed by optional blanks; returns NAME's length, 0 when not a header. */
static size_t header_name(const char *line, const char **ret_name)
{
	if (line[0] != '[')
		return 0;
	const char *close = strchr(line, ']');
	if (!close || close == line + 1 || !is_blank_line(close + 1))
		return 0;
	*ret_name = line + 1;
	return (size_t)(close - line - 1);
}

/* Snapshot names: [a-z][a-z0-9_\-]+ (case-insensitive, as parse_vm_config matches) */
static bool is_snapshot_name(const char *s, size_t n)
{
	if (n < 2 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* Length of a key matching ^[a-z][a-z_\-]*\d* followed by ':', or 0. */
static size_t key_length(const char *line)
{
	const char *p = line;
	if (*p < 'a' || *p > 'z')
		return 0;
	p++;
	while ((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == ':' ? (size_t)(p - line) : 0;
}

/* ^([a-z][a-z_\-]*\d*):\s*(.+?)\s*$ — returns false when the line does not match. */
static bool split_key_line(char *line, char **ret_key, char **ret_value)
{
	size_t klen = key_length(line);
	if (!klen)
		return false;
	char *p = line + klen;
	*p++ = '\0';
	if (!*p)
		return false;
	char *end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (end == p) {
		/* only blanks after the colon: Perl's lazy (.+?) still takes the last one */
		p = end + strlen(end) - 1;
		*ret_key = line;
		*ret_value = p;
		return true;
	}
	while (isspace((unsigned char)*p))
		p++;
	*end = '\0';
	*ret_key = line;
	*ret_value = p;
	return true;
}

static void build_typed_view(struct pve_config *c, size_t *problem_cap);

/* parse_vm_config's m/snapstate:\s*(prepare|delete)\s*$/, unanchored at the start */
static bool ends_in_snapstate_marker(const char *line)
{
	const char *end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	size_t word;
	if ((size_t)(end - line) >= 7 && strncmp(end - 7, "prepare", 7) == 0)
		word = 7;
	else if ((size_t)(end - line) >= 6 && strncmp(end - 6, "delete", 6) == 0)
		word = 6;
	else
		return false;
	const char *p = end - word;
	while (p > line && isspace((unsigned char)p[-1]))
		p--;
	return (size_t)(p - line) >= 10 && strncmp(p - 10, "snapstate:", 10) == 0;
}

void pve_config_parse(const struct text_file *text, const char *display_path,
		      struct pve_config *ret)
{
	struct pve_config c = {0};
	size_t section_cap = 0, problem_cap = 0;
	c.path = xstrdup(display_path);
	c.vmid = pve_vmid_from_path(display_path);
	add_section(&c, &section_cap, PVE_SECTION_MAIN, NULL, 0);
	size_t current = 0;
	/* copy of a line, modified in place while splitting */
	char *buf = NULL;
	size_t buf_cap = 0;

	if (text->first_crlf_line)
		add_problem(&c, &problem_cap, PVE_PROBLEM_CRLF, PVE_SECTION_MAIN,
			    text->first_crlf_line, NULL, NULL);

	for (size_t i = 0; i < text->line_count; i++) {
		const struct text_line *tl = &text->lines[i];
		const char *line = tl->text;
		unsigned number = tl->number;
		if (is_blank_line(line))
			continue;

		const char *name;
		size_t name_len = header_name(line, &name);
		if (name_len) {
			enum pve_section_kind kind;
			if (name_len == 7 && strncasecmp(name, "PENDING", 7) == 0)
				kind = PVE_SECTION_PENDING;
			else if (name_len == 17 && strncasecmp(name, "special:cloudinit", 17) == 0)
				kind = PVE_SECTION_CLOUDINIT;
			else if (name_len == 16 && strncasecmp(name, "special:fleecing", 16) == 0)
				kind = PVE_SECTION_FLEECING;
			else if (is_snapshot_name(name, name_len))
				kind = PVE_SECTION_SNAPSHOT;
			else
				kind = PVE_SECTION_UNKNOWN;
			char *n = xstrndup(name, name_len);
			add_section(&c, &section_cap, kind, n, number);
			current = c.section_count - 1;
			/* reported with the main section: a stray header hides the current
			 * config's lines that follow it */
			if (kind == PVE_SECTION_UNKNOWN)
				add_problem(&c, &problem_cap, PVE_PROBLEM_UNKNOWN_SECTION,
					    PVE_SECTION_MAIN, number, NULL, xstrdup(n));
			free(n);
			continue;
		}
		struct pve_section *s = &c.sections[current];
		if (s->kind == PVE_SECTION_UNKNOWN)
			continue; /* Proxmox skips an unknown section up to the next header */

		if (line[0] == '#') {
			append_description(s, line + 1);
			continue;
		}

		if (strncmp(line, "description:", 12) != 0 && ends_in_snapstate_marker(line)) {
			size_t klen = key_length(line);
			char *k = klen ? xstrndup(line, klen) : NULL;
			if (k && strcmp(k, "snapstate") == 0) {
				/* Proxmox's own marker, written while a snapshot is made */
				unsigned overridden;
				set_entry(s, "snapstate",
					  line + klen + 1 + strspn(line + klen + 1, " \t"), number,
					  &overridden);
			} else {
				add_problem(&c, &problem_cap, PVE_PROBLEM_SNAPSTATE_MARKER, s->kind,
					    number, k, xstrdup(line));
			}
			free(k);
			continue;
		}
		xgrow((void **)&buf, &buf_cap, tl->length + 1, 1);
		memcpy(buf, line, tl->length + 1);
		char *key, *value;
		int hostpci = -1;
		struct pve_hostpci typed = {0};
		if (!split_key_line(buf, &key, &value)) {
			const char *first = line + strspn(line, " \t");
			enum pve_problem_kind kind = *first == '#' ? PVE_PROBLEM_INDENTED_COMMENT
								   : PVE_PROBLEM_UNPARSEABLE;
			/* name the key when it is well-formed (the value is what failed), so an
			 * empty hostpciN line is recognised as one */
			char *k = NULL;
			size_t klen = key_length(line);
			if (klen)
				k = xstrndup(line, klen);
			add_problem(&c, &problem_cap, kind, s->kind, number, k, xstrdup(line));
			free(k);
			continue;
		}
		if (strcmp(key, "delete") == 0) {
			if (s->kind == PVE_SECTION_PENDING) {
				free(s->delete_list);
				s->delete_list = xstrdup(value);
			} else {
				add_problem(&c, &problem_cap, PVE_PROBLEM_DELETE_OUTSIDE_PENDING,
					    s->kind, number, key, xstrdup(value));
			}
			continue;
		}
		if (strcmp(key, "description") == 0) {
			/* parse_vm_config: description: lines join the '#' lines, unchecked */
			append_description(s, value);
			continue;
		}
		/* [special:cloudinit] is informative and not validated; [special:fleecing] has a
		 * schema of its own that pcipt does not judge */
		if (s->kind != PVE_SECTION_CLOUDINIT && s->kind != PVE_SECTION_FLEECING) {
			if (!pve_key_is_known(key)) {
				add_problem(&c, &problem_cap, PVE_PROBLEM_UNKNOWN_KEY, s->kind,
					    number, key, xasprintf("unknown setting '%s'", key));
				continue;
			}
			struct prop_errors errors;
			/* the main section's hostpciN lines are kept typed, parsed this once */
			hostpci = s->kind == PVE_SECTION_MAIN ? pve_hostpci_index(key) : -1;
			if (pve_key_check_value(key, value, hostpci >= 0 ? &typed : NULL, &errors) <
			    0) {
				add_problem(&c, &problem_cap, PVE_PROBLEM_BAD_VALUE, s->kind,
					    number, key, prop_errors_text(&errors));
				c.problems[c.problem_count - 1].value = xstrdup(value);
				c.problems[c.problem_count - 1].errors = errors;
				continue;
			}
		}
		if (strcmp(key, "cdrom") == 0)
			key = "ide2"; /* Proxmox's alias */
		unsigned overridden;
		set_entry(s, key, value, number, &overridden);
		if (hostpci >= 0) {
			/* with its line: the last line of a key wins, its value with it */
			pve_hostpci_free(&c.vm.hostpci[hostpci].dev);
			c.vm.hostpci[hostpci].dev = typed;
		}
		if (overridden) {
			add_problem(&c, &problem_cap, PVE_PROBLEM_DUPLICATE_KEY, s->kind,
				    overridden, key, NULL);
			c.problems[c.problem_count - 1].other_line = number;
		}
	}
	free(buf);
	build_typed_view(&c, &problem_cap);
	*ret = c;
}

const struct pve_entry *pve_config_get(const struct pve_config *config, const char *key)
{
	const struct pve_section *s = &config->sections[0];
	for (size_t i = 0; i < s->entry_count; i++) {
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	}
	return NULL;
}

static struct pve_setting setting(const struct pve_config *c, const char *key)
{
	const struct pve_entry *e = pve_config_get(c, key);
	if (!e)
		return (struct pve_setting){0};
	return (struct pve_setting){true, e->line, e->value};
}

/* Every value below passed pve_key_check_value() while loading, so the typed parsers
 * cannot fail here.  The hostpciN values were kept typed then (vm->hostpci[i].dev). */
static void build_typed_view(struct pve_config *c, size_t *problem_cap)
{
	struct pve_vm *vm = &c->vm;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		char key[24];
		snprintf(key, sizeof(key), "hostpci%d", i);
		vm->hostpci[i].raw = setting(c, key);
	}
	vm->machine = setting(c, "machine");
	if (vm->machine.set) {
		struct pve_machine m = {0};
		if (pve_machine_parse(vm->machine.value, &m, NULL) == 0) {
			vm->machine_type = m.type;
			vm->machine_viommu = m.viommu;
			vm->machine_aw_bits = m.aw_bits;
		}
	}
	vm->machine_is_q35 = pve_machine_type_is_q35(vm->machine_type);
	vm->bios = setting(c, "bios");
	vm->bios_type = PVE_BIOS_SEABIOS;
	if (vm->bios.set) {
		/* check_type leaves enums alone: any value is stored, and only "ovmf" (quotes
		 * stripped) selects OVMF when the VM starts */
		char *bios = pve_unquote(vm->bios.value);
		if (strcmp(bios, "ovmf") == 0)
			vm->bios_type = PVE_BIOS_OVMF;
		else if (strcmp(bios, "seabios") != 0)
			add_problem(c, problem_cap, PVE_PROBLEM_IGNORED_VALUE, PVE_SECTION_MAIN,
				    vm->bios.line, "bios", xstrdup(bios));
		free(bios);
	}
	vm->vga = setting(c, "vga");
	if (vm->vga.set)
		pve_vga_parse(vm->vga.value, &vm->vga_type, NULL);
	vm->args = setting(c, "args");
	if (vm->args.set) {
		struct pcipt_error why;
		if (pve_args_split(vm->args.value, &vm->args_words, &why) < 0)
			add_problem(c, problem_cap, PVE_PROBLEM_ARGS_QUOTING, PVE_SECTION_MAIN,
				    vm->args.line, "args", xstrdup(why.message));
	}
	vm->hookscript = setting(c, "hookscript");
	vm->efidisk0 = setting(c, "efidisk0");
	vm->onboot = setting(c, "onboot");
	vm->onboot_enabled = vm->onboot.set && pve_parse_boolean(vm->onboot.value) == 1;
	vm->lock = setting(c, "lock");
}

const char *pve_config_line_key(const struct pve_config *c, unsigned line)
{
	if (!line)
		return NULL;
	for (size_t i = 0; i < c->section_count; i++) {
		const struct pve_section *s = &c->sections[i];
		for (size_t k = 0; k < s->entry_count; k++) {
			if (s->entries[k].line == line)
				return s->entries[k].key;
		}
	}
	for (size_t i = 0; i < c->problem_count; i++) {
		if (c->problems[i].line == line && c->problems[i].key)
			return c->problems[i].key;
	}
	return NULL;
}

int pve_config_load(const struct rootfs *fs, const char *path, const char *display_path,
		    struct pve_config *ret, struct pcipt_error *err)
{
	struct text_file text;
	int r = text_file_load(fs, path, &text, err);
	if (r < 0)
		return r;
	pve_config_parse(&text, display_path, ret);
	text_file_free(&text);
	return 0;
}

void pve_config_free(struct pve_config *c)
{
	for (size_t i = 0; i < c->section_count; i++) {
		struct pve_section *s = &c->sections[i];
		for (size_t k = 0; k < s->entry_count; k++) {
			free(s->entries[k].key);
			free(s->entries[k].value);
		}
		free(s->entries);
		free(s->name);
		free(s->description);
		free(s->delete_list);
	}
	free(c->sections);
	for (size_t i = 0; i < c->problem_count; i++) {
		free(c->problems[i].key);
		free(c->problems[i].detail);
		free(c->problems[i].value);
		prop_errors_free(&c->problems[i].errors);
	}
	free(c->problems);
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++)
		pve_hostpci_free(&c->vm.hostpci[i].dev);
	free(c->vm.machine_type);
	free(c->vm.machine_viommu);
	free(c->vm.machine_aw_bits);
	free(c->vm.vga_type);
	pve_args_free(&c->vm.args_words);
	free(c->path);
	memset(c, 0, sizeof(*c));
}
