/* Rules file → struct rules: the schema walk over a bounded YAML tree. */
#include "rules.h"

#include "yaml_tree.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULES_MAX_DEVICES 4096
#define RULES_MAX_LIST 256
#define RULES_MAX_STRING 4096

/* The walk's context: where errors go and the key path to the node being read. */
struct walk {
	struct pcipt_error *err;
	char path[256];
	int failed;
};

static int fail(struct walk *w, const struct yaml_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct walk *w, const struct yaml_node *n, const char *fmt, ...)
{
	if (w->failed)
		return -EINVAL;
	w->failed = 1;
	char msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->path[0])
		error_set_at(w->err, -EINVAL, n ? n->line : 0, n ? n->column : 0, "%s: %s", w->path,
			     msg);
	else
		error_set_at(w->err, -EINVAL, n ? n->line : 0, n ? n->column : 0, "%s", msg);
	return -EINVAL;
}

/* Path handling: push returns the old length, pop restores it. */
static size_t push_key(struct walk *w, const char *key)
{
	size_t len = strlen(w->path);
	snprintf(w->path + len, sizeof(w->path) - len, "%s%.60s", len ? "." : "", key);
	return len;
}

static size_t push_index(struct walk *w, size_t i)
{
	size_t len = strlen(w->path);
	snprintf(w->path + len, sizeof(w->path) - len, "[%zu]", i);
	return len;
}

static void pop(struct walk *w, size_t len)
{
	w->path[len] = '\0';
}

static const char *kind_name(const struct yaml_node *n)
{
	switch (n->kind) {
	case YAML_NODE_SCALAR:
		return "a single value";
	case YAML_NODE_SEQUENCE:
		return "a list";
	case YAML_NODE_MAPPING:
		break;
	}
	return "a mapping";
}

static int expect_kind(struct walk *w, const struct yaml_node *n, enum yaml_node_kind kind)
{
	static const char *const names[] = {"a single value", "a list", "a mapping"};
	if (n->kind != kind)
		return fail(w, n, "expected %s, got %s", names[kind], kind_name(n));
	return 0;
}

/* Every key of mapping n must be one of allowed (NULL-terminated).  The message lists them
 * all, in a buffer sized for them. */
static int check_keys(struct walk *w, const struct yaml_node *n, const char *const *allowed)
{
	for (size_t i = 0; i < n->count; i++) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, n->keys[i]->value) != 0)
			a++;
		if (*a)
			continue;
		size_t size = 1;
		for (a = allowed; *a; a++)
			size += strlen(*a) + 2;
		char *list = xmalloc(size);
		size_t used = 0;
		for (a = allowed; *a; a++)
			used += (size_t)snprintf(list + used, size - used, "%s%s", used ? ", " : "",
						 *a);
		list[used] = '\0';
		int r = fail(w, n->keys[i], "unknown key '%.60s' (expected one of: %s)",
			     n->keys[i]->value, list);
		free(list);
		return r;
	}
	return 0;
}

static int read_string(struct walk *w, const struct yaml_node *n, char **ret)
{
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	if (strlen(n->value) > RULES_MAX_STRING)
		return fail(w, n, "longer than %d characters", RULES_MAX_STRING);
	if (n->plain && n->value[0] == '\0')
		return fail(w, n, "expected a value, got nothing");
	free(*ret);
	*ret = xstrdup(n->value);
	return 0;
}

/* Booleans are read deliberately: the YAML 1.1 words (yes/no/on/off) as well as true/false,
 * quoted or not, and nothing else: `maybe` is an error, not a string. */
static int read_bool(struct walk *w, const struct yaml_node *n, bool *ret)
{
	static const char *const yes[] = {"true", "yes", "on"};
	static const char *const no[] = {"false", "no", "off"};
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(n->value, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(n->value, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return fail(w, n, "expected true or false, got '%.40s'", n->value);
}

/* error | warning | info | off.  A plain `off` is the word off here, not YAML 1.1's false. */
static int read_severity(struct walk *w, const struct yaml_node *n, enum severity *ret)
{
	static const struct {
		const char *name;
		enum severity s;
	} words[] = {{"error", SEVERITY_ERROR},
		     {"warning", SEVERITY_WARNING},
		     {"info", SEVERITY_INFO},
		     {"off", SEVERITY_OFF}};
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(n->value, words[i].name) == 0) {
			*ret = words[i].s;
			return 0;
		}
	}
	return fail(w, n, "expected error, warning, info or off, got '%.40s'", n->value);
}

/* 0x10de or 4318, at most 0xffff. */
static bool parse_u16(const char *s, size_t len, unsigned *ret)
{
	unsigned long v = 0;
	size_t i = 0;
	int base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len || len - i > 6)
		return false;
	for (; i < len; i++) {
		int d;
		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return false;
		v = v * (unsigned long)base + (unsigned long)d;
	}
	if (v > 0xffff)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* VALUE or VALUE/MASK */
static int read_id_match(struct walk *w, const struct yaml_node *n, struct rules_id_match *ret)
{
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	const char *s = n->value;
	const char *slash = strchr(s, '/');
	unsigned value, mask = 0xffff;
	size_t vlen = slash ? (size_t)(slash - s) : strlen(s);
	if (!parse_u16(s, vlen, &value) ||
	    (slash && !parse_u16(slash + 1, strlen(slash + 1), &mask)))
		return fail(w, n,
			    "expected an id such as 0x10de (hex) or 4318 (decimal), optionally "
			    "with a mask (0x0300/0xff00), up to 0xffff; got '%.40s'",
			    s);
	if (mask == 0)
		return fail(w, n, "a mask of 0 matches every device; leave the key out instead");
	if (value & ~mask)
		return fail(w, n, "0x%04x has bits outside the mask 0x%04x", value, mask);
	*ret = (struct rules_id_match){value, mask};
	return 0;
}

static void string_list_free(struct rules_string_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int read_string_list(struct walk *w, const struct yaml_node *n,
			    struct rules_string_list *ret)
{
	if (expect_kind(w, n, YAML_NODE_SEQUENCE))
		return -EINVAL;
	if (n->count > RULES_MAX_LIST)
		return fail(w, n, "more than %d items", RULES_MAX_LIST);
	struct rules_string_list l = {xcalloc(n->count, sizeof(char *)), 0};
	for (size_t i = 0; i < n->count; i++) {
		size_t mark = push_index(w, i);
		int r = read_string(w, n->items[i], &l.items[l.count]);
		pop(w, mark);
		if (r) {
			string_list_free(&l);
			return r;
		}
		l.count++;
	}
	string_list_free(ret);
	*ret = l;
	return 0;
}

static void check_free(struct rules_check *c, const struct rules_check_info *info)
{
	if (!c->params)
		return;
	size_t n = 0;
	while (info->params && info->params[n])
		n++;
	for (size_t i = 0; i < n; i++)
		string_list_free(&c->params[i]);
	free(c->params);
	c->params = NULL;
}

static int read_check(struct walk *w, const struct yaml_node *n,
		      const struct rules_check_info *info, struct rules_check *c)
{
	if (n->kind == YAML_NODE_SCALAR) {
		if (read_severity(w, n, &c->severity))
			return -EINVAL;
		c->set = true;
		c->line = n->line;
		return 0;
	}
	if (n->kind != YAML_NODE_MAPPING)
		return fail(w, n, "expected a severity or a mapping with severity and parameters");
	size_t nparams = 0;
	while (info->params && info->params[nparams])
		nparams++;
	/* "severity", every parameter the catalogue gives the check, NULL */
	const char **allowed = xcalloc(nparams + 2, sizeof(*allowed));
	allowed[0] = "severity";
	for (size_t i = 0; i < nparams; i++)
		allowed[i + 1] = info->params[i];
	int bad_key = check_keys(w, n, allowed);
	free(allowed);
	if (bad_key)
		return -EINVAL;
	const struct yaml_node *sev = yaml_tree_get(n, "severity");
	if (sev) {
		size_t mark = push_key(w, "severity");
		int r = read_severity(w, sev, &c->severity);
		pop(w, mark);
		if (r)
			return r;
		c->set = true;
		c->line = sev->line;
	}
	for (size_t i = 0; i < nparams; i++) {
		const struct yaml_node *p = yaml_tree_get(n, info->params[i]);
		if (!p)
			continue;
		size_t mark = push_key(w, info->params[i]);
		int r = read_string_list(w, p, &c->params[i]);
		pop(w, mark);
		if (r)
			return r;
	}
	return 0;
}

static int read_checks(struct walk *w, const struct yaml_node *n, struct rules *rules)
{
	if (expect_kind(w, n, YAML_NODE_MAPPING))
		return -EINVAL;
	for (size_t i = 0; i < n->count; i++) {
		const char *id = n->keys[i]->value;
		int index = rules_check_index(id);
		size_t mark = push_key(w, id);
		int r = index < 0 ? fail(w, n->keys[i], "unknown check id '%.60s'", id)
				  : read_check(w, n->items[i], &rules_check_catalogue[index],
					       &rules->checks[index]);
		pop(w, mark);
		if (r)
			return r;
	}
	return 0;
}

static bool is_kebab_id(const char *s)
{
	if (!islower((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return false;
	}
	return strlen(s) <= 64;
}

static void device_free(struct rules_device *d)
{
	free(d->id);
	free(d->name);
	free(d->when_bios);
	free(d->vm_machine);
	free(d->vm_bios);
	string_list_free(&d->vm_args);
	string_list_free(&d->vm_vga_not);
	string_list_free(&d->host_module_params);
	string_list_free(&d->host_drivers_unused);
	free(d->hint);
	free(d->overrides);
	memset(d, 0, sizeof(*d));
}

/* Read the optional child key of mapping n with reader; returns 0 when absent. */
#define READ_CHILD(w, n, key, reader, target)                                                      \
	({                                                                                         \
		const struct yaml_node *child_ = yaml_tree_get((n), (key));                        \
		int r_ = 0;                                                                        \
		if (child_) {                                                                      \
			size_t mark_ = push_key((w), (key));                                       \
			r_ = reader((w), child_, (target));                                        \
			pop((w), mark_);                                                           \
		}                                                                                  \
		r_;                                                                                \
	})

static int read_bios_word(struct walk *w, const struct yaml_node *n, char **ret)
{
	if (read_string(w, n, ret))
		return -EINVAL;
	if (strcmp(*ret, "seabios") != 0 && strcmp(*ret, "ovmf") != 0)
		return fail(w, n, "expected seabios or ovmf, got '%.40s'", *ret);
	return 0;
}

static int read_match(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	static const char *const keys[] = {"vendor",           "device", "subsystem_vendor",
					   "subsystem_device", "class",  NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	if (n->count == 0)
		return fail(w, n,
			    "give at least one of vendor, device, subsystem_vendor, "
			    "subsystem_device, class");
	if (READ_CHILD(w, n, "vendor", read_id_match, &d->vendor) ||
	    READ_CHILD(w, n, "device", read_id_match, &d->device) ||
	    READ_CHILD(w, n, "subsystem_vendor", read_id_match, &d->subsystem_vendor) ||
	    READ_CHILD(w, n, "subsystem_device", read_id_match, &d->subsystem_device) ||
	    READ_CHILD(w, n, "class", read_id_match, &d->class_code))
		return -EINVAL;
	return 0;
}

static int read_when(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	static const char *const keys[] = {"x_vga", "bios", NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	bool x_vga = false;
	const struct yaml_node *xv = yaml_tree_get(n, "x_vga");
	if (READ_CHILD(w, n, "x_vga", read_bool, &x_vga) ||
	    READ_CHILD(w, n, "bios", read_bios_word, &d->when_bios))
		return -EINVAL;
	if (xv)
		d->when_x_vga = x_vga;
	return 0;
}

static int read_vm(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	static const char *const keys[] = {"machine", "bios",          "args",
					   "vga_not", "all_functions", NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	if (READ_CHILD(w, n, "machine", read_string, &d->vm_machine) ||
	    READ_CHILD(w, n, "bios", read_bios_word, &d->vm_bios) ||
	    READ_CHILD(w, n, "args", read_string_list, &d->vm_args) ||
	    READ_CHILD(w, n, "vga_not", read_string_list, &d->vm_vga_not) ||
	    READ_CHILD(w, n, "all_functions", read_bool, &d->vm_all_functions))
		return -EINVAL;
	if (d->vm_machine && strcmp(d->vm_machine, "q35") != 0 && strcmp(d->vm_machine, "pc") != 0)
		return fail(w, yaml_tree_get(n, "machine"), "expected q35 or pc, got '%.40s'",
			    d->vm_machine);
	return 0;
}

/* module.param=value, e.g. kvm.ignore_msrs=1 */
static bool is_module_param(const char *s)
{
	const char *dot = strchr(s, '.'), *eq = strchr(s, '=');
	return dot && eq && dot > s && eq > dot + 1 && eq[1];
}

static int read_host(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	static const char *const keys[] = {"module_params", "drivers_unused", NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	if (READ_CHILD(w, n, "module_params", read_string_list, &d->host_module_params) ||
	    READ_CHILD(w, n, "drivers_unused", read_string_list, &d->host_drivers_unused))
		return -EINVAL;
	const struct yaml_node *mp = yaml_tree_get(n, "module_params");
	for (size_t i = 0; i < d->host_module_params.count; i++) {
		if (!is_module_param(d->host_module_params.items[i])) {
			size_t mark = push_key(w, "module_params");
			size_t mark2 = push_index(w, i);
			int r = fail(w, mp->items[i],
				     "expected module.parameter=value, got '%.60s'",
				     d->host_module_params.items[i]);
			pop(w, mark2);
			pop(w, mark);
			return r;
		}
	}
	return 0;
}

/* overrides: {CHECK-ID: SEVERITY, ...} */
static int read_overrides(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	if (expect_kind(w, n, YAML_NODE_MAPPING))
		return -EINVAL;
	d->overrides = xcalloc(n->count, sizeof(*d->overrides));
	for (size_t i = 0; i < n->count; i++) {
		const char *id = n->keys[i]->value;
		int index = rules_check_index(id);
		size_t mark = push_key(w, id);
		int r = index < 0 ? fail(w, n->keys[i], "unknown check id '%.60s'", id)
				  : read_severity(w, n->items[i], &d->overrides[i].severity);
		pop(w, mark);
		if (r)
			return r;
		d->overrides[i].check = (enum check_id)index;
		d->override_count++;
	}
	return 0;
}

static int read_device(struct walk *w, const struct yaml_node *n, struct rules_device *d)
{
	static const char *const keys[] = {"id",   "name",     "match", "when",      "vm",
					   "host", "severity", "hint",  "overrides", NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	static const char *const required[] = {"id", "name", "match", "hint"};
	for (size_t i = 0; i < 4; i++) {
		if (!yaml_tree_get(n, required[i]))
			return fail(w, n, "missing key '%s'", required[i]);
	}
	d->line = n->line;
	d->when_x_vga = -1;
	d->severity = SEVERITY_WARNING;
	if (READ_CHILD(w, n, "id", read_string, &d->id))
		return -EINVAL;
	if (!is_kebab_id(d->id) || rules_check_index(d->id) >= 0) {
		size_t mark = push_key(w, "id");
		int r = fail(w, yaml_tree_get(n, "id"),
			     rules_check_index(d->id) >= 0
				     ? "'%.60s' is a check id; give the device rule its own id"
				     : "'%.60s' is not a lowercase kebab-case id",
			     d->id);
		pop(w, mark);
		return r;
	}
	if (READ_CHILD(w, n, "name", read_string, &d->name) ||
	    READ_CHILD(w, n, "match", read_match, d) || READ_CHILD(w, n, "when", read_when, d) ||
	    READ_CHILD(w, n, "vm", read_vm, d) || READ_CHILD(w, n, "host", read_host, d) ||
	    READ_CHILD(w, n, "severity", read_severity, &d->severity) ||
	    READ_CHILD(w, n, "hint", read_string, &d->hint) ||
	    READ_CHILD(w, n, "overrides", read_overrides, d))
		return -EINVAL;
	return 0;
}

static int read_devices(struct walk *w, const struct yaml_node *n, struct rules *rules)
{
	if (expect_kind(w, n, YAML_NODE_SEQUENCE))
		return -EINVAL;
	if (n->count > RULES_MAX_DEVICES)
		return fail(w, n, "more than %d device rules", RULES_MAX_DEVICES);
	struct rules_device *devices = xcalloc(n->count, sizeof(*devices));
	size_t count = 0;
	int r = 0;
	for (size_t i = 0; i < n->count && !r; i++) {
		size_t mark = push_index(w, i);
		r = read_device(w, n->items[i], &devices[i]);
		count = i + 1;
		for (size_t k = 0; !r && k < i; k++) {
			if (strcmp(devices[k].id, devices[i].id) == 0)
				r = fail(w, n->items[i],
					 "id '%.60s' is already used by devices[%zu]",
					 devices[i].id, k);
		}
		pop(w, mark);
	}
	if (r) {
		for (size_t i = 0; i < count; i++)
			device_free(&devices[i]);
		free(devices);
		return r;
	}
	for (size_t i = 0; i < rules->device_count; i++)
		device_free(&rules->devices[i]);
	free(rules->devices);
	rules->devices = devices;
	rules->device_count = count;
	return 0;
}

static int read_group_peers(struct walk *w, const struct yaml_node *n, enum rules_group_peers *ret)
{
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	if (strcmp(n->value, "bind") == 0)
		*ret = RULES_BIND_GROUP_PEERS;
	else if (strcmp(n->value, "refuse") == 0)
		*ret = RULES_REFUSE_GROUP_PEERS;
	else
		return fail(w, n, "expected bind or refuse, got '%.40s'", n->value);
	return 0;
}

static int read_timeout(struct walk *w, const struct yaml_node *n, unsigned *ret)
{
	unsigned v;
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	if (!parse_u16(n->value, strlen(n->value), &v) || strncmp(n->value, "0x", 2) == 0 ||
	    v < 1 || v > 600)
		return fail(w, n, "expected a number of seconds from 1 to 600, got '%.40s'",
			    n->value);
	*ret = v;
	return 0;
}

static int read_bind(struct walk *w, const struct yaml_node *n, struct rules *rules)
{
	static const char *const keys[] = {"group_peers", "restore_on_stop", "timeout", NULL};
	if (expect_kind(w, n, YAML_NODE_MAPPING) || check_keys(w, n, keys))
		return -EINVAL;
	if (READ_CHILD(w, n, "group_peers", read_group_peers, &rules->bind.group_peers) ||
	    READ_CHILD(w, n, "restore_on_stop", read_bool, &rules->bind.restore_on_stop) ||
	    READ_CHILD(w, n, "timeout", read_timeout, &rules->bind.timeout_seconds))
		return -EINVAL;
	return 0;
}

static int read_version(struct walk *w, const struct yaml_node *n, struct rules *rules)
{
	(void)rules;
	if (expect_kind(w, n, YAML_NODE_SCALAR))
		return -EINVAL;
	if (strcmp(n->value, "1") != 0)
		return fail(w, n, "this pcipt reads rules version 1, not '%.20s'", n->value);
	return 0;
}

/* A fresh rules struct: base's settings copied deeply, or the empty defaults. */
static void rules_copy(const struct rules *base, struct rules *ret)
{
	size_t n = rules_check_count();
	ret->checks = xcalloc(n, sizeof(*ret->checks));
	for (size_t i = 0; i < n; i++) {
		const struct rules_check_info *info = &rules_check_catalogue[i];
		size_t nparams = 0;
		while (info->params && info->params[nparams])
			nparams++;
		struct rules_check *c = &ret->checks[i];
		c->severity = info->code_severity;
		c->params = nparams ? xcalloc(nparams, sizeof(*c->params)) : NULL;
		if (!base)
			continue;
		const struct rules_check *b = &base->checks[i];
		c->severity = b->severity;
		c->set = b->set;
		c->line = b->line;
		for (size_t p = 0; p < nparams; p++) {
			c->params[p].count = b->params[p].count;
			c->params[p].items = xcalloc(b->params[p].count, sizeof(char *));
			for (size_t k = 0; k < b->params[p].count; k++)
				c->params[p].items[k] = xstrdup(b->params[p].items[k]);
		}
	}
	ret->bind = base ? base->bind : (struct rules_bind){RULES_BIND_GROUP_PEERS, true, 0};
	if (!base || !base->device_count)
		return;
	ret->devices = xcalloc(base->device_count, sizeof(*ret->devices));
	ret->device_count = base->device_count;
	for (size_t i = 0; i < base->device_count; i++) {
		const struct rules_device *b = &base->devices[i];
		struct rules_device *d = &ret->devices[i];
		*d = *b;
		d->id = xstrdup(b->id);
		d->name = xstrdup(b->name);
		d->when_bios = b->when_bios ? xstrdup(b->when_bios) : NULL;
		d->vm_machine = b->vm_machine ? xstrdup(b->vm_machine) : NULL;
		d->vm_bios = b->vm_bios ? xstrdup(b->vm_bios) : NULL;
		d->hint = b->hint ? xstrdup(b->hint) : NULL;
		if (b->override_count) {
			d->overrides = xcalloc(b->override_count, sizeof(*d->overrides));
			memcpy(d->overrides, b->overrides,
			       b->override_count * sizeof(*d->overrides));
		}
		struct rules_string_list *lists[] = {&d->vm_args, &d->vm_vga_not,
						     &d->host_module_params,
						     &d->host_drivers_unused};
		for (size_t l = 0; l < 4; l++) {
			struct rules_string_list src = *lists[l];
			lists[l]->items = xcalloc(src.count, sizeof(char *));
			for (size_t k = 0; k < src.count; k++)
				lists[l]->items[k] = xstrdup(src.items[k]);
		}
	}
}

int rules_parse(const char *text, size_t size, const struct rules *base, struct rules *ret,
		struct pcipt_error *err)
{
	error_clear(err);
	struct text_file tf;
	int r = text_file_from_buffer(text, size, &tf, err);
	if (r < 0)
		return r;
	text_file_free(&tf);

	struct yaml_node *root = NULL;
	r = yaml_tree_parse(text, size, &root, err);
	if (r < 0)
		return r;
	struct walk w = {.err = err};
	struct rules rules = {0};
	rules_copy(base, &rules);
	static const char *const top_keys[] = {"version", "checks", "devices", "bind", NULL};
	if (!root) {
		r = fail(&w, NULL, "the rules file is empty (it needs at least `version: 1`)");
	} else if (expect_kind(&w, root, YAML_NODE_MAPPING) || check_keys(&w, root, top_keys)) {
		r = -EINVAL;
	} else if (!yaml_tree_get(root, "version")) {
		r = fail(&w, root, "missing key 'version' (this pcipt reads `version: 1`)");
	} else {
		r = READ_CHILD(&w, root, "version", read_version, &rules);
		if (!r)
			r = READ_CHILD(&w, root, "checks", read_checks, &rules);
		if (!r)
			r = READ_CHILD(&w, root, "devices", read_devices, &rules);
		if (!r)
			r = READ_CHILD(&w, root, "bind", read_bind, &rules);
	}
	yaml_tree_free(root);
	if (r) {
		rules_free(&rules);
		return -EINVAL;
	}
	*ret = rules;
	return 0;
}

int rules_load(const struct rootfs *fs, const char *path, const struct rules *base,
	       struct rules *ret, struct pcipt_error *err)
{
	char *data;
	size_t size;
	error_clear(err);
	int r = text_file_read(fs, path, &data, &size, err);
	if (r < 0)
		return r;
	r = rules_parse(data, size, base, ret, err);
	free(data);
	return r;
}

int rules_load_builtin(struct rules *ret, struct pcipt_error *err)
{
	int r = rules_parse(rules_builtin_yaml, rules_builtin_yaml_size, NULL, ret, err);
	for (size_t i = 0; r == 0 && i < ret->device_count; i++)
		ret->devices[i].builtin = true;
	return r;
}

void rules_free(struct rules *rules)
{
	if (rules->checks) {
		for (size_t i = 0; i < rules_check_count(); i++)
			check_free(&rules->checks[i], &rules_check_catalogue[i]);
		free(rules->checks);
	}
	for (size_t i = 0; i < rules->device_count; i++)
		device_free(&rules->devices[i]);
	free(rules->devices);
	memset(rules, 0, sizeof(*rules));
}

static enum severity one_step_milder(enum severity s)
{
	return s == SEVERITY_ERROR ? SEVERITY_WARNING
	       : s == SEVERITY_OFF ? SEVERITY_OFF
				   : SEVERITY_INFO;
}

enum severity rules_severity(const struct rules *rules, enum check_id check, enum severity natural)
{
	if ((unsigned)check >= CHECK_COUNT || !rules)
		return natural;
	enum severity code = rules_check_catalogue[check].code_severity,
		      set = rules->checks[check].severity;
	/* above the check's own level: a file pcipt could not read at all, which no rules
	 * file can make acceptable */
	if (natural > code)
		return natural;
	return natural == code ? set : one_step_milder(set);
}

void rules_apply(const struct rules *rules, struct findings *list)
{
	for (size_t i = 0; i < list->count; i++) {
		struct finding *f = &list->items[i];
		f->severity = rules_severity(rules, f->check, f->severity);
	}
	findings_remove_off(list);
}

const char *rules_finding_id(const struct rules *rules, const struct finding *f)
{
	if (f->check != CHECK_DEVICE_RULE)
		return check_id_name(f->check);
	/* findings of device rules come only from checks given these rules */
	if (!rules || f->rule >= rules->device_count)
		return "device-rule";
	return rules->devices[f->rule].id;
}
