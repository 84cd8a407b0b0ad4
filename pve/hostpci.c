#include "hostpci.h"

#include "propstr.h"
#include "../lib/pciaddr.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCIRE = (?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])? (QemuServer/PCI.pm), with
 * what the caller requires besides (flags) */
bool pve_pci_id_parse_as(const char *text, size_t len, unsigned flags, struct pve_pci_id *ret)
{
	struct pci_addr a;
	if (!pci_addr_parse(text, len, flags, &a))
		return false;
	memset(ret, 0, sizeof(*ret));
	/* the domain's digits as written; "0000" when there is none */
	const char *domain = a.domain_digits ? text : "0000";
	size_t domain_len = a.domain_digits ? a.domain_digits : 4;
	if (domain_len > 8) {
		/* Proxmox accepts it; no host has it.  Kept short for messages. */
		ret->domain_too_long = true;
		snprintf(ret->slot, sizeof(ret->slot), "%.*s%s:%02x:%02x",
			 (int)(domain_len > 16 ? 16 : domain_len), domain,
			 domain_len > 16 ? "..." : "", a.bus, a.device);
	} else {
		snprintf(ret->slot, sizeof(ret->slot), "%.*s:%02x:%02x", (int)domain_len, domain,
			 a.bus, a.device);
	}
	if (a.function >= 0)
		snprintf(ret->id, sizeof(ret->id), "%s.%x", ret->slot, (unsigned)a.function & 0xfu);
	else
		snprintf(ret->id, sizeof(ret->id), "%s", ret->slot);
	size_t shown = len < sizeof(ret->written) - 3 ? len : 44;
	memcpy(ret->written, text, shown);
	strcpy(ret->written + shown, shown < len ? "..." : "");
	ret->domain_zero_padded = domain_len > 4 && domain_len <= 8 && domain[0] == '0';
	ret->bus = a.bus;
	ret->device = a.device;
	ret->function = a.function;
	return true;
}

bool pve_pci_id_parse(const char *text, size_t len, struct pve_pci_id *ret)
{
	return pve_pci_id_parse_as(text, len, 0, ret);
}

int pve_pci_id_list_parse(const char *text, unsigned flags, struct pve_pci_id **ret_ids,
			  size_t *ret_count)
{
	size_t max = 1;
	for (const char *p = text; *p; p++)
		max += *p == ';';
	struct pve_pci_id *ids = ret_ids ? xcalloc(max, sizeof(*ids)) : NULL;
	struct pve_pci_id scratch;
	size_t n = 0;
	for (const char *p = text;;) {
		size_t len = strcspn(p, ";");
		if (!pve_pci_id_parse_as(p, len, flags, ids ? &ids[n] : &scratch)) {
			free(ids);
			return -EINVAL;
		}
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	if (ret_ids)
		*ret_ids = ids;
	if (ret_count)
		*ret_count = n;
	return 0;
}

const char *pve_pci_id_names_no_device(const struct pve_pci_id *id)
{
	if (id->domain_too_long)
		return "PCI domains have at most 8 hex digits";
	if (id->domain_zero_padded)
		return "the kernel writes a PCI domain as 4 hex digits, or more only without a "
		       "leading 0";
	if (id->device > 0x1f || id->function > 7)
		return "device numbers end at 1f, functions at 7";
	return NULL;
}

void pve_pci_id_first_function(const struct pve_pci_id *id, char *buf, size_t size)
{
	if (id->function >= 0)
		snprintf(buf, size, "%s", id->id);
	else
		snprintf(buf, size, "%s.0", id->slot);
}

bool pve_pci_id_overlap(const struct pve_pci_id *a, const struct pve_pci_id *b)
{
	/* shortened domains cannot be compared, and name no device anyway */
	if (a->domain_too_long || b->domain_too_long)
		return false;
	if (strcmp(a->slot, b->slot) != 0)
		return false;
	return a->function < 0 || b->function < 0 || a->function == b->function;
}

bool pve_hostpci_is_multifunction(const struct pve_hostpci *h)
{
	return h->id_count > 1 || (h->id_count == 1 && h->ids[0].function < 0);
}

static const char *check_host_list(const char *value)
{
	return pve_pci_id_list_parse(value, 0, NULL, NULL) < 0
		       ? "value does not match the regex pattern"
		       : NULL;
}

static const char *check_romfile(const char *value)
{
	return strpbrk(value, ",;") ? "value does not match the regex pattern" : NULL;
}

static const char *check_mdev(const char *value)
{
	return strpbrk(value, "/.:") ? "value does not match the regex pattern" : NULL;
}

/* ^0x[0-9a-fA-F]{4}$ */
static const char *check_hex_id(const char *value)
{
	if (strlen(value) != 6 || value[0] != '0' || value[1] != 'x' ||
	    strspn(value + 2, "0123456789abcdefABCDEF") != 4)
		return "value does not match the regex pattern";
	return NULL;
}

/* in $hostpci_fmt's order: Proxmox lists them so in its complaint */
static const char *const driver_values[] = {"vfio", "keep", NULL};

static const struct prop_schema hostpci_schema[] = {
	{.name = "host", .type = PROP_STRING, .default_key = true, .check = check_host_list},
	{.name = "device-id", .type = PROP_STRING, .check = check_hex_id},
	{.name = "driver", .type = PROP_ENUM, .enum_values = driver_values},
	{.name = "legacy-igd", .type = PROP_BOOLEAN},
	{.name = "mapping",
	 .type = PROP_STRING,
	 .check = pve_check_configid,
	 .check_is_format = true},
	{.name = "mdev", .type = PROP_STRING, .check = check_mdev},
	{.name = "pcie", .type = PROP_BOOLEAN},
	{.name = "rombar", .type = PROP_BOOLEAN},
	{.name = "romfile", .type = PROP_STRING, .check = check_romfile},
	{.name = "sub-device-id", .type = PROP_STRING, .check = check_hex_id},
	{.name = "sub-vendor-id", .type = PROP_STRING, .check = check_hex_id},
	{.name = "vendor-id", .type = PROP_STRING, .check = check_hex_id},
	{.name = "x-vga", .type = PROP_BOOLEAN},
	{0},
};

bool pve_hostpci_key_is_boolean(const char *key)
{
	for (const struct prop_schema *k = hostpci_schema; k->name; k++) {
		if (strcmp(k->name, key) == 0)
			return k->type == PROP_BOOLEAN;
	}
	return false;
}

static int tristate(const struct prop_list *props, const char *name)
{
	const char *v = propstr_get(props, name);
	return v ? v[0] == '1' : -1;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int pve_hostpci_parse(const char *value, struct pve_hostpci *ret, struct prop_errors *ret_errors)
{
	struct prop_list props;
	int r = propstr_parse(hostpci_schema, value, &props, ret_errors);
	if (r < 0)
		return r;

	struct pve_hostpci h = {0};
	const char *host = propstr_get(&props, "host");
	/* cannot fail: check_host_list accepted every ID */
	if (host)
		pve_pci_id_list_parse(host, 0, &h.ids, &h.id_count);
	h.mapping = dup_or_null(propstr_get(&props, "mapping"));
	h.pcie = tristate(&props, "pcie");
	h.x_vga = tristate(&props, "x-vga");
	h.legacy_igd = tristate(&props, "legacy-igd");
	h.rombar = tristate(&props, "rombar");
	h.romfile = dup_or_null(propstr_get(&props, "romfile"));
	h.mdev = dup_or_null(propstr_get(&props, "mdev"));
	h.vendor_id = dup_or_null(propstr_get(&props, "vendor-id"));
	h.device_id = dup_or_null(propstr_get(&props, "device-id"));
	h.sub_vendor_id = dup_or_null(propstr_get(&props, "sub-vendor-id"));
	h.sub_device_id = dup_or_null(propstr_get(&props, "sub-device-id"));
	const char *driver = propstr_get(&props, "driver");
	if (driver)
		h.driver = strcmp(driver, "keep") == 0 ? HOSTPCI_DRIVER_KEEP : HOSTPCI_DRIVER_VFIO;
	propstr_free(&props);
	*ret = h;
	return 0;
}

void pve_hostpci_free(struct pve_hostpci *h)
{
	free(h->ids);
	free(h->mapping);
	free(h->romfile);
	free(h->mdev);
	free(h->vendor_id);
	free(h->device_id);
	free(h->sub_vendor_id);
	free(h->sub_device_id);
	memset(h, 0, sizeof(*h));
}
