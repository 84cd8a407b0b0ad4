#include "vmoptions.h"

#include "propstr.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* \d+(\.\d+)+ ; advances *p past it */
static bool match_version(const char **p)
{
	const char *s = *p;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	int dots = 0;
	while (*s == '.' && isdigit((unsigned char)s[1])) {
		s++;
		while (isdigit((unsigned char)*s))
			s++;
		dots++;
	}
	if (!dots)
		return false;
	*p = s;
	return true;
}

/* (\+pve\d+)? */
static void match_pve_suffix(const char **p)
{
	if (strncmp(*p, "+pve", 4) == 0 && isdigit((unsigned char)(*p)[4])) {
		*p += 4;
		while (isdigit((unsigned char)**p))
			(*p)++;
	}
}

/* Proxmox's machine type pattern, anchored:
 * (pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35|pc-q35-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?
 *  |virt(?:-\d+(\.\d+)+)?(\+pve\d+)?) */
static const char *match_machine_type(const char *v);

/* check_prop order: the pattern first, then maxLength 40 */
static const char *check_machine_type(const char *v)
{
	const char *why = match_machine_type(v);
	if (!why && strlen(v) > 40)
		return "value may only be 40 characters long";
	return why;
}

static const char *match_machine_type(const char *v)
{
	static const char *const bad = "value does not match the regex pattern";
	if (strcmp(v, "pc") == 0 || strcmp(v, "q35") == 0 || strcmp(v, "virt") == 0)
		return NULL;
	const char *p;
	if (strncmp(v, "virt", 4) == 0) {
		p = v + 4;
		if (*p == '-') {
			p++;
			if (!match_version(&p))
				return bad;
		}
		match_pve_suffix(&p);
		return *p ? bad : NULL;
	}
	if (strncmp(v, "pc-i440fx-", 10) == 0)
		p = v + 10;
	else if (strncmp(v, "pc-q35-", 7) == 0)
		p = v + 7;
	else if (strncmp(v, "pc-", 3) == 0)
		p = v + 3;
	else
		return bad;
	if (!match_version(&p))
		return bad;
	match_pve_suffix(&p);
	if (strcmp(p, ".pxe") == 0)
		p += 4;
	return *p ? bad : NULL;
}

static const char *const viommu_values[] = {"intel", "virtio", NULL};

static const struct prop_schema machine_schema[] = {
	{.name = "type", .type = PROP_STRING, .default_key = true, .check = check_machine_type},
	{.name = "viommu", .type = PROP_ENUM, .enum_values = viommu_values},
	{.name = "enable-s3", .type = PROP_BOOLEAN},
	{.name = "enable-s4", .type = PROP_BOOLEAN},
	/* a number (32 - 64) in $machine_fmt: 39.5 is kept, and QEMU refuses it at start */
	{.name = "aw-bits", .type = PROP_NUMBER, .min = 32, .max = 64},
	{0},
};

int pve_machine_parse(const char *value, struct pve_machine *ret, struct prop_errors *ret_errors)
{
	struct prop_list props;
	int r = propstr_parse(machine_schema, value, &props, ret_errors);
	if (r < 0)
		return r;
	const char *type = propstr_get(&props, "type");
	const char *viommu = propstr_get(&props, "viommu");
	const char *aw_bits = propstr_get(&props, "aw-bits");
	ret->type = type ? xstrdup(type) : NULL;
	ret->viommu = viommu ? xstrdup(viommu) : NULL;
	ret->aw_bits = aw_bits ? xstrdup(aw_bits) : NULL;
	propstr_free(&props);
	return 0;
}

void pve_machine_free(struct pve_machine *m)
{
	free(m->type);
	free(m->viommu);
	free(m->aw_bits);
	m->type = m->viommu = m->aw_bits = NULL;
}

bool pve_machine_type_is_q35(const char *type)
{
	return type && strstr(type, "q35");
}

static const char *const vga_types[] = {
	"cirrus",  "qxl",     "qxl2", "qxl3",   "qxl4",      "none",   "serial0", "serial1",
	"serial2", "serial3", "std",  "virtio", "virtio-gl", "vmware", NULL,
};
static const char *const clipboard_values[] = {"vnc", NULL};

static const struct prop_schema vga_schema[] = {
	{.name = "type", .type = PROP_ENUM, .default_key = true, .enum_values = vga_types},
	{.name = "memory", .type = PROP_INTEGER, .min = 4, .max = 512},
	{.name = "clipboard", .type = PROP_ENUM, .enum_values = clipboard_values},
	{0},
};

int pve_vga_parse(const char *value, char **ret_type, struct prop_errors *ret_errors)
{
	struct prop_list props;
	int r = propstr_parse(vga_schema, value, &props, ret_errors);
	if (r < 0)
		return r;
	const char *type = propstr_get(&props, "type");
	*ret_type = xstrdup(type ? type : "std");
	propstr_free(&props);
	return 0;
}

char *pve_check_boolean(const char *value)
{
	return pve_parse_boolean(value) < 0
		       ? xasprintf("type check ('boolean') failed - got '%s'", value)
		       : NULL;
}

char *pve_check_hookscript(const char *value)
{
	const char *why = pve_check_volume_id(value);
	return why ? xasprintf("%s '%s'", why, value) : NULL;
}
