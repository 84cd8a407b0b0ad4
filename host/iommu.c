#include "iommu.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROC_INTERRUPTS_MAX (16u * 1024 * 1024) /* thousands of CPUs times hundreds of irqs */

static void add_problem(struct host_iommu *m, char *message)
{
	m->problems = xrealloc(m->problems, (m->problem_count + 1) * sizeof(*m->problems));
	m->problems[m->problem_count++] = message;
}

static int read_hex_register(const struct rootfs *root, const char *path, unsigned long long *ret)
{
	char buf[64];
	int r = host_read_attr(root, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 16);
	if (errno || end == buf || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A directory that exists and cannot be listed (too large, unreadable) is an input pcipt
 * cannot read, never an IOMMU that is off: -errno with err naming it.  An absent one is. */
static int list_error(int r, const char *path, struct pcipt_error *err)
{
	return error_set(err, r, "%s: %s", path, host_list_error(r));
}

static int load_units(const struct rootfs *root, struct host_iommu *m, struct pcipt_error *err)
{
	char **names;
	size_t n;
	int listed = rootfs_list(root, PATH_SYS_IOMMU_CLASS, &names, &n);
	if (listed == -ENOENT)
		return 0;
	if (listed < 0)
		return list_error(listed, PATH_SYS_IOMMU_CLASS, err);
	m->units = xcalloc(n ? n : 1, sizeof(*m->units));
	for (size_t i = 0; i < n; i++) {
		struct host_iommu_unit *u = &m->units[m->unit_count++];
		u->name = xstrdup(names[i]);
		char *intel = xasprintf(PATH_SYS_IOMMU_CLASS "/%s/intel-iommu", names[i]);
		char *amd = xasprintf(PATH_SYS_IOMMU_CLASS "/%s/amd-iommu", names[i]);
		if (rootfs_is_dir(root, intel)) {
			u->vendor = HOST_IOMMU_INTEL;
			char *ecap = xasprintf("%s/ecap", intel), *cap = xasprintf("%s/cap", intel);
			int r = read_hex_register(root, ecap, &u->ecap);
			u->has_ecap = r == 0;
			if (r < 0)
				add_problem(m, xasprintf("%s: %s", ecap,
							 r == -EINVAL ? "not a hex register"
								      : strerror(-r)));
			(void)read_hex_register(root, cap, &u->cap);
			free(ecap);
			free(cap);
		} else if (rootfs_is_dir(root, amd) || strncmp(names[i], "ivhd", 4) == 0) {
			u->vendor = HOST_IOMMU_AMD;
		}
		free(intel);
		free(amd);
	}
	rootfs_free_names(names, n);
	return 0;
}

/* Any irq chip named IR-... (IR-PCI-MSI, IR-IO-APIC, IR-PCI-MSIX-...) means the kernel routes
 * interrupts through the IOMMU's remapping table. */
static enum host_tristate find_remapped_irq_chips(const struct rootfs *root)
{
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_INTERRUPTS, 0, PROC_INTERRUPTS_MAX, &text, &size) < 0)
		return HOST_UNKNOWN;
	enum host_tristate found = HOST_NO;
	for (const char *p = text; (p = strstr(p, "IR-")); p += 3) {
		if (p == text || isspace((unsigned char)p[-1])) {
			found = HOST_YES;
			break;
		}
	}
	free(text);
	return found;
}

static enum host_cpu_vendor read_cpu_vendor(const struct rootfs *root)
{
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_CPUINFO, 0, 16u * 1024 * 1024, &text, &size) < 0)
		return HOST_CPU_UNKNOWN;
	enum host_cpu_vendor v = HOST_CPU_UNKNOWN;
	const char *p = strstr(text, "vendor_id");
	if (p) {
		const char *line_end = strchr(p, '\n');
		const char *intel = strstr(p, "GenuineIntel"), *amd = strstr(p, "AuthenticAMD");
		if (intel && (!line_end || intel < line_end))
			v = HOST_CPU_INTEL;
		else if (amd && (!line_end || amd < line_end))
			v = HOST_CPU_AMD;
	}
	free(text);
	return v;
}

static void parse_regions(const char *text, struct host_iommu_group *g)
{
	const char *p = text;
	while (*p && g->region_count < HOST_MAX_GROUP_REGIONS) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[160];
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			struct host_region r = {0};
			char type[24];
			if (sscanf(line, "%llx %llx %23s", &r.start, &r.end, type) == 3) {
				snprintf(r.type, sizeof(r.type), "%s", type);
				g->regions = xrealloc(g->regions,
						      (g->region_count + 1) * sizeof(*g->regions));
				g->regions[g->region_count++] = r;
			}
		}
		p += len + (eol ? 1 : 0);
	}
}

static int compare_groups(const void *a, const void *b)
{
	const struct host_iommu_group *x = a, *y = b;
	return (x->number > y->number) - (x->number < y->number);
}

static bool parse_group_number(const char *s, int *ret)
{
	/* the kernel names groups by plain decimal numbers: "01" is not group 1 */
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 6 || (s[0] == '0' && s[1]))
		return false;
	*ret = atoi(s);
	return true;
}

static int load_groups(const struct rootfs *root, struct host_iommu *m, struct pcipt_error *err)
{
	char **names;
	size_t n;
	int r = rootfs_list(root, PATH_SYS_IOMMU_GROUPS, &names, &n);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return list_error(r, PATH_SYS_IOMMU_GROUPS, err);
	m->groups = xcalloc(n ? n : 1, sizeof(*m->groups));
	for (size_t i = 0; i < n && r == 0; i++) {
		int number;
		if (!parse_group_number(names[i], &number))
			continue;
		if (m->group_count == HOST_MAX_IOMMU_GROUPS) {
			r = error_set(err, -E2BIG,
				      "%s: more than %d IOMMU groups, more than pcipt reads",
				      PATH_SYS_IOMMU_GROUPS, HOST_MAX_IOMMU_GROUPS);
			break;
		}
		struct host_iommu_group *g = &m->groups[m->group_count++];
		g->number = number;
		char *dir = xasprintf(PATH_SYS_IOMMU_GROUPS "/%s/devices", names[i]);
		char **members;
		size_t count;
		int lr = rootfs_list(root, dir, &members, &count);
		if (lr == 0) {
			g->devices = xcalloc(count ? count : 1, sizeof(*g->devices));
			for (size_t k = 0; k < count; k++) {
				if (host_is_pci_address(members[k]))
					g->devices[g->device_count++] = xstrdup(members[k]);
			}
			rootfs_free_names(members, count);
		} else if (lr != -ENOENT) {
			r = list_error(lr, dir, err);
		}
		free(dir);
		char *regions = xasprintf(PATH_SYS_IOMMU_GROUPS "/%s/reserved_regions", names[i]);
		char *text;
		size_t size;
		if (rootfs_read(root, regions, 0, 64 * 1024, &text, &size) == 0) {
			g->regions_known = true;
			parse_regions(text, g);
			free(text);
		}
		free(regions);
	}
	rootfs_free_names(names, n);
	if (m->group_count > 1)
		qsort(m->groups, m->group_count, sizeof(*m->groups), compare_groups);
	return r;
}

int host_iommu_load(const struct rootfs *root, struct host_iommu *ret, struct pcipt_error *err)
{
	struct host_iommu m = {0};
	int r = load_units(root, &m, err);
	if (r == 0) {
		m.acpi_dmar = rootfs_exists(root, PATH_ACPI_DMAR);
		m.acpi_ivrs = rootfs_exists(root, PATH_ACPI_IVRS);
		m.remapped_irq_chips = find_remapped_irq_chips(root);
		m.cpu = read_cpu_vendor(root);
		r = load_groups(root, &m, err);
	}
	if (r < 0) {
		host_iommu_free(&m);
		return r;
	}
	*ret = m;
	return 0;
}

void host_iommu_free(struct host_iommu *m)
{
	for (size_t i = 0; i < m->unit_count; i++)
		free(m->units[i].name);
	free(m->units);
	for (size_t i = 0; i < m->group_count; i++) {
		rootfs_free_names(m->groups[i].devices, m->groups[i].device_count);
		free(m->groups[i].regions);
	}
	free(m->groups);
	for (size_t i = 0; i < m->problem_count; i++)
		free(m->problems[i]);
	free(m->problems);
	*m = (struct host_iommu){0};
}

const struct host_iommu_group *host_iommu_group(const struct host_iommu *m, int number)
{
	struct host_iommu_group key = {.number = number};
	return m->group_count
		       ? bsearch(&key, m->groups, m->group_count, sizeof(key), compare_groups)
		       : NULL;
}

const struct host_region *host_group_direct_region(const struct host_iommu_group *g)
{
	for (size_t i = 0; i < g->region_count; i++) {
		if (strcmp(g->regions[i].type, "direct") == 0)
			return &g->regions[i];
	}
	return NULL;
}
