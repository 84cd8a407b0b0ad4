#include "pci.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* --- libpci's callbacks, contained ------------------------------------------------------
 * libpci calls error() for anything it cannot go on from (a device directory without its
 * `resource` file, an unreadable sysfs dir) and expects it not to return.  The scan runs
 * under setjmp; error() copies the message and jumps back, and the scan then frees what
 * libpci allocated.  Warnings are collected, never printed. */
static jmp_buf *scan_jump;
static char scan_error[256];
static char **scan_warnings;
static size_t scan_warning_count, scan_warning_cap;

__attribute__((noreturn, format(printf, 1, 2))) static void pci_error_trap(char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	vsnprintf(scan_error, sizeof(scan_error), msg, ap);
	va_end(ap);
	longjmp(*scan_jump, 1);
}

__attribute__((format(printf, 1, 2))) static void pci_warning_keep(char *msg, ...)
{
	if (scan_warning_count >= 64) /* enough to explain; a broken tree may warn per byte */
		return;
	va_list ap;
	va_start(ap, msg);
	char buf[256];
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	xgrow((void **)&scan_warnings, &scan_warning_cap, scan_warning_count + 1,
	      sizeof(*scan_warnings));
	scan_warnings[scan_warning_count++] = xstrdup(buf);
}

__attribute__((format(printf, 1, 2))) static void pci_debug_ignore(char *msg, ...)
{
	(void)msg;
}

/* --- sysfs attributes libpci does not read ---------------------------------------------- */
/* Attributes of one device, read relative to its directory, opened once per device: each
 * read is one component under a directory already resolved inside the root. */
static int read_int_attr(int dev, const char *attr)
{
	long long v;
	int r = host_read_number_at(dev, attr, &v);
	return r < 0 || v < -1 || v > 1000000 ? -1 : (int)v;
}

static char *read_string_attr(int dev, const char *attr)
{
	char buf[256];
	return host_read_attr_at(dev, attr, buf, sizeof(buf)) < 0 ? NULL : xstrdup(buf);
}

/* the last component of a link's target ("driver" -> "vfio-pci") */
static char *read_link_attr(int dev, const char *attr)
{
	char buf[256];
	return host_read_link_name_at(dev, attr, buf, sizeof(buf)) < 0 ? NULL : xstrdup(buf);
}

static bool attr_is(int dev, const char *attr, bool dir)
{
	struct stat st;
	return fstatat(dev, attr, &st, AT_SYMLINK_NOFOLLOW) == 0 && (!dir || S_ISDIR(st.st_mode));
}

static void read_sysfs_attributes(int dev, struct host_pci_device *d)
{
	d->is_bridge = attr_is(dev, "pci_bus", true);
	/* the kernel makes boot_vga only for VGA-class devices and sriov_* only for functions
	 * with an SR-IOV capability: skip the reads that cannot succeed (a scan's cost is its
	 * system calls) */
	d->boot_vga = (d->class_code >> 16) == 0x03 ? read_int_attr(dev, "boot_vga") : -1;
	d->has_reset = attr_is(dev, "reset", false);
	d->reset_method = read_string_attr(dev, "reset_method");
	d->power_state = read_string_attr(dev, "power_state");
	d->d3cold_allowed = read_int_attr(dev, "d3cold_allowed");
	d->sriov_totalvfs = d->sriov != HOST_NO ? read_int_attr(dev, "sriov_totalvfs") : -1;
	d->sriov_numvfs = d->sriov != HOST_NO ? read_int_attr(dev, "sriov_numvfs") : -1;
}

/* --- config space ------------------------------------------------------------------------ */

/* Read as much of the config space as the kernel lets us into config: 4096 bytes (PCIe,
 * root), 256 (conventional, root) or 64 (any device, unprivileged reader); returns how much, 0
 * when not even the header can be read.  The kernel cuts a read at what the reader may see, and
 * libpci fails a short block read, so the first size that reads whole is the readable size.
 * What was read becomes libpci's cache of the device (as lspci does), so the header and the
 * capability walk that follow cost no system call each. */
static int read_config_space(struct pci_dev *dev, u8 config[4096])
{
	static const int sizes[] = {4096, 256, 64};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (pci_read_block(dev, 0, config, sizes[i])) {
			pci_setup_cache(dev, config, sizes[i]);
			return sizes[i];
		}
	}
	return 0;
}

static void read_capabilities(struct pci_dev *dev, struct host_pci_device *d)
{
	d->pcie_type = HOST_PCIE_UNKNOWN;
	d->acs = HOST_UNKNOWN;
	d->sriov = HOST_UNKNOWN;
	if (d->config_size < 256)
		return; /* the capability list lives past the first 64 bytes */
	pci_fill_info(dev, PCI_FILL_CAPS | (d->config_size >= 4096 ? PCI_FILL_EXT_CAPS : 0));
	struct pci_cap *exp = pci_find_cap(dev, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (!exp) {
		d->pcie_type = HOST_PCIE_NONE;
		/* ACS and SR-IOV are PCI Express extended capabilities */
		d->acs = HOST_NO;
		d->sriov = HOST_NO;
		return;
	}
	d->pcie_type = (pci_read_word(dev, exp->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;
	if (d->config_size >= 4096) {
		d->acs = pci_find_cap(dev, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED) ? HOST_YES
										 : HOST_NO;
		d->sriov = pci_find_cap(dev, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED) ? HOST_YES
										     : HOST_NO;
	}
}

static char *lookup_name(struct pci_access *pacc, const struct host_pci_device *d)
{
	char buf[512];
	const char *name =
		pacc ? pci_lookup_name(pacc, buf, sizeof(buf),
				       PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE |
					       PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
				       d->vendor, d->device)
		     : NULL;
	if (name)
		return xstrdup(name);
	char vbuf[256];
	const char *vendor = pacc ? pci_lookup_name(pacc, vbuf, sizeof(vbuf),
						    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS |
							    PCI_LOOKUP_NO_HWDB,
						    d->vendor)
				  : NULL;
	if (vendor)
		return xasprintf("%s device %04x", vendor, d->device);
	return xasprintf("%s %04x:%04x", host_pci_class_name(d->class_code), d->vendor, d->device);
}

static void drop_warnings(void);

struct host_pci_names {
	struct pci_access *pacc; /* NULL once libpci gave up on pci.ids */
};

const char *host_pci_name(const struct host_pci *pci, const struct host_pci_device *d)
{
	if (d->name)
		return d->name;
	/* the names and their database are a cache: filling it does not change the scan */
	struct host_pci *cache = (struct host_pci *)pci;
	if (!cache->names) {
		cache->names = xcalloc(1, sizeof(*cache->names));
		cache->names->pacc = pci_alloc();
		cache->names->pacc->error = pci_error_trap;
		cache->names->pacc->warning = pci_warning_keep;
		cache->names->pacc->debug = pci_debug_ignore;
	}
	char *name = NULL;
	jmp_buf jump;
	scan_jump = &jump;
	if (setjmp(jump) == 0) {
		name = lookup_name(cache->names->pacc, d);
	} else {
		/* a pci.ids libpci cannot parse: no names from it, not for any device */
		pci_cleanup(cache->names->pacc);
		cache->names->pacc = NULL;
		name = lookup_name(NULL, d);
	}
	scan_jump = NULL;
	drop_warnings();
	((struct host_pci_device *)d)->name = name;
	return name;
}

static void copy_device(const struct rootfs *root, struct pci_dev *dev, struct host_pci_device *d)
{
	/* driver and iommu_group are links read below with one readlink() each: libpci's
	 * PCI_FILL_DRIVER/IOMMU_GROUP resolve them with realpath(), a readlink() per path
	 * component, which is most of a scan's system calls */
	pci_fill_info(dev, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS |
				   PCI_FILL_BASES | PCI_FILL_SIZES);
	snprintf(d->address, sizeof(d->address), "%04x:%02x:%02x.%u", (unsigned)dev->domain,
		 dev->bus, dev->dev, dev->func);
	d->domain = (unsigned)dev->domain;
	d->bus = dev->bus;
	d->slot = dev->dev;
	d->function = dev->func;
	d->vendor = dev->vendor_id;
	d->device = dev->device_id;
	d->subsystem_vendor = dev->subsys_vendor_id;
	d->subsystem_device = dev->subsys_id;
	d->class_code = ((unsigned)dev->device_class << 8) | dev->prog_if;
	d->revision = dev->rev_id;
	/* libpci keeps a pointer to the cache: it lives until the device is copied */
	u8 config[4096];
	d->config_size = read_config_space(dev, config);
	d->header_type = d->config_size ? pci_read_byte(dev, PCI_HEADER_TYPE) & 0x7f : 0;
	char *dir = host_device_path(d->address, NULL);
	int sysdir = rootfs_open(root, dir, O_PATH | O_DIRECTORY, 0);
	free(dir);
	d->driver = sysdir >= 0 ? read_link_attr(sysdir, "driver") : NULL;
	char *group = sysdir >= 0 ? read_link_attr(sysdir, "iommu_group") : NULL;
	char *end = NULL;
	long g = group ? strtol(group, &end, 10) : -1;
	d->iommu_group = group && *group && !*end && g >= 0 && g < 1000000 ? (int)g : -1;
	free(group);
	for (int i = 0; i < 6; i++) {
		pciaddr_t base = dev->base_addr[i];
		bool io = base & PCI_BASE_ADDRESS_SPACE_IO;
		d->bars[i].memory = !io;
		d->bars[i].start = io ? base & PCI_ADDR_IO_MASK : base & PCI_ADDR_MEM_MASK;
		d->bars[i].size = dev->size[i];
	}
	read_capabilities(dev, d);
	pci_setup_cache(dev, NULL, 0);
	if (sysdir >= 0) {
		read_sysfs_attributes(sysdir, d);
		close(sysdir);
	} else {
		d->boot_vga = d->d3cold_allowed = d->sriov_totalvfs = d->sriov_numvfs = -1;
	}
}

static int compare_devices(const void *a, const void *b)
{
	const struct host_pci_device *x = a, *y = b;
	return strcmp(x->address, y->address);
}

static void free_devices(struct host_pci_device *devices, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(devices[i].name);
		free(devices[i].driver);
		free(devices[i].reset_method);
		free(devices[i].power_state);
	}
	free(devices);
}

/* --- what libpci will open, looked at first -------------------------------------------------
 * libpci's sysfs backend opens the files of a device directory with a plain open(2) and
 * read(2) (pciutils lib/sysfs.c: sysfs_get_string, sysfs_get_resources, sysfs_setup).  A named
 * pipe in place of one of them blocks that open forever, inside pci_scan_bus() or
 * pci_fill_info(), where no timeout reaches; sysfs itself only has regular files.  So before
 * libpci opens anything, every file it may open for pcipt is looked at with stat(2), which
 * never blocks, and anything but a regular file ends the scan (a missing one libpci reports
 * itself).  The files: vendor and device (PCI_FILL_IDENT), class and revision
 * (PCI_FILL_CLASS, PCI_FILL_CLASS_EXT), subsystem_vendor and subsystem_device
 * (PCI_FILL_SUBSYS), resource (PCI_FILL_BASES, PCI_FILL_SIZES), irq (read at scan time by
 * pciutils before 3.8), config (every config space read).  modalias, label, numa_node, vpd
 * and slots/ are opened only for fill flags and reads pcipt never asks for. */
static const char *const libpci_files[] = {
	"vendor",           "device",   "class", "revision", "subsystem_vendor",
	"subsystem_device", "resource", "irq",   "config",
};

static bool is_libpci_file(const char *name)
{
	for (size_t i = 0; i < sizeof(libpci_files) / sizeof(libpci_files[0]); i++)
		if (strcmp(name, libpci_files[i]) == 0)
			return true;
	return false;
}

/* dir: a device directory as a host path.  0, or -EINVAL with err naming the file.  One
 * listing gives each file's type; only a link or a filesystem that does not give types costs a
 * stat, of the very path libpci will open (a link is judged by what open(2) would reach). */
static int check_device_files(const struct rootfs *root, const char *dir, struct pcipt_error *err)
{
	struct rootfs_entry *entries;
	size_t n;
	if (rootfs_list_entries(root, dir, &entries, &n) < 0)
		return 0; /* libpci's own open of a file in it fails and says so */
	int r = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (entries[i].type == DT_REG || !is_libpci_file(entries[i].name))
			continue;
		mode_t mode = DTTOIF(entries[i].type);
		if (entries[i].type == DT_LNK || entries[i].type == DT_UNKNOWN) {
			char *path = xasprintf("%s/%s", dir, entries[i].name);
			char *opened = rootfs_display_path(root, path);
			struct stat st;
			int s = stat(opened, &st);
			free(opened);
			free(path);
			if (s < 0)
				continue; /* a dangling link: libpci's open fails and says so */
			mode = st.st_mode;
		}
		if (!S_ISREG(mode))
			r = error_set(err, -EINVAL,
				      "%s/%s is %s, not a regular file (libpci reads it without a "
				      "timeout)",
				      dir, entries[i].name, host_mode_kind(mode));
	}
	rootfs_free_entries(entries, n);
	return r;
}

static int check_libpci_files(const struct rootfs *root, struct pcipt_error *err)
{
	/* sysfs (kernfs) makes only regular files, directories and links: on the live tree
	 * there is nothing to look at, and a host's start does not pay for it */
	int devices = rootfs_open(root, PATH_SYS_PCI_DEVICES, O_PATH | O_DIRECTORY, 0);
	struct statfs fs;
	bool live = devices >= 0 && fstatfs(devices, &fs) == 0 && fs.f_type == SYSFS_MAGIC;
	if (devices >= 0)
		close(devices);
	if (live)
		return 0;
	char **names;
	size_t n;
	int r = rootfs_list(root, PATH_SYS_PCI_DEVICES, &names, &n);
	if (r < 0) {
		return error_set(err, r, "%s: %s", PATH_SYS_PCI_DEVICES, host_list_error(r));
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		unsigned domain, bus, slot;
		int function;
		/* libpci skips names starting with '.', and refuses one it cannot parse before it
		 * opens any file */
		if (names[i][0] == '.' ||
		    sscanf(names[i], "%x:%x:%x.%d", &domain, &bus, &slot, &function) < 4)
			continue;
		/* the files it opens are named from the parsed numbers (struct pci_dev keeps bus,
		 * slot and function in a u8), not from the directory entry */
		char *dir =
			xasprintf(PATH_SYS_PCI_DEVICES "/%04x:%02x:%02x.%d", (int)domain,
				  (unsigned char)bus, (unsigned char)slot, (unsigned char)function);
		r = check_device_files(root, dir, err);
		free(dir);
	}
	rootfs_free_names(names, n);
	return r;
}

static void drop_warnings(void)
{
	for (size_t i = 0; i < scan_warning_count; i++)
		free(scan_warnings[i]);
	free(scan_warnings);
	scan_warnings = NULL;
	scan_warning_count = scan_warning_cap = 0;
}

int host_pci_scan(const struct rootfs *root, struct host_pci *ret, struct pcipt_error *err)
{
	bool present = rootfs_is_dir(root, PATH_SYS_PCI_DEVICES);
	if (!present) {
		*ret = (struct host_pci){0};
		return 0;
	}
	int checked = check_libpci_files(root, err);
	if (checked < 0) {
		err->code = checked == -E2BIG ? -E2BIG : -EIO;
		return err->code;
	}
	/* libpci opens the device files itself, by name under this path */
	char *sysfs_path = rootfs_display_path(root, PATH_SYS_PCI_BUS);

	/* everything changed between setjmp and a longjmp back is volatile or static */
	struct pci_access *volatile pacc = NULL;
	struct host_pci_device *volatile devices = NULL;
	volatile size_t count = 0;
	volatile int result = 0;
	jmp_buf jump;
	scan_jump = &jump;
	scan_error[0] = '\0';
	if (setjmp(jump) == 0) {
		pacc = pci_alloc();
		pacc->error = pci_error_trap;
		pacc->warning = pci_warning_keep;
		pacc->debug = pci_debug_ignore;
		pacc->method = PCI_ACCESS_SYS_BUS_PCI;
		if (pci_set_param(pacc, "sysfs.path", sysfs_path) < 0)
			pci_error_trap("libpci has no sysfs.path parameter");
		pci_init(pacc);
		pci_scan_bus(pacc);
		size_t n = 0;
		for (struct pci_dev *dev = pacc->devices; dev; dev = dev->next)
			n++;
		if (n > HOST_MAX_PCI_DEVICES) {
			snprintf(scan_error, sizeof(scan_error),
				 "%zu PCI devices, more than the %d pcipt reads", n,
				 HOST_MAX_PCI_DEVICES);
			result = -E2BIG;
		} else {
			devices = xcalloc(n ? n : 1, sizeof(*devices));
			for (struct pci_dev *dev = pacc->devices; dev; dev = dev->next) {
				/* counted before copying, so a jump frees exactly what exists */
				count++;
				copy_device(root, dev, &devices[count - 1]);
			}
		}
	} else {
		result = -EIO;
	}
	scan_jump = NULL;
	if (pacc)
		pci_cleanup(pacc);
	free(sysfs_path);
	if (result < 0) {
		error_set(err, result, "%s", scan_error[0] ? scan_error : "libpci failed");
		free_devices(devices, count);
		drop_warnings();
		return result;
	}
	if (count > 1)
		qsort(devices, count, sizeof(*devices), compare_devices);
	*ret = (struct host_pci){.devices = devices,
				 .count = count,
				 .warnings = scan_warnings,
				 .warning_count = scan_warning_count};
	scan_warnings = NULL;
	scan_warning_count = scan_warning_cap = 0;
	return 0;
}

void host_pci_free(struct host_pci *pci)
{
	if (pci->names && pci->names->pacc)
		pci_cleanup(pci->names->pacc);
	free(pci->names);
	free_devices(pci->devices, pci->count);
	for (size_t i = 0; i < pci->warning_count; i++)
		free(pci->warnings[i]);
	free(pci->warnings);
	*pci = (struct host_pci){0};
}

const struct host_pci_device *host_pci_find(const struct host_pci *pci, const char *address)
{
	struct host_pci_device key;
	snprintf(key.address, sizeof(key.address), "%s", address);
	return pci->count ? bsearch(&key, pci->devices, pci->count, sizeof(key), compare_devices)
			  : NULL;
}

size_t host_pci_slot_functions(const struct host_pci *pci, const struct host_pci_device *d)
{
	size_t n = 0;
	for (size_t i = 0; i < pci->count; i++) {
		const struct host_pci_device *o = &pci->devices[i];
		n += o->domain == d->domain && o->bus == d->bus && o->slot == d->slot;
	}
	return n;
}

const char *host_pci_class_name(unsigned class_code)
{
	static const char *const names[] = {
		"unclassified device",
		"mass storage controller",
		"network controller",
		"display controller",
		"multimedia controller",
		"memory controller",
		"bridge",
		"communication controller",
		"system peripheral",
		"input device",
		"docking station",
		"processor",
		"serial bus controller",
		"wireless controller",
		"intelligent controller",
		"satellite controller",
		"encryption controller",
		"signal processing controller",
		"processing accelerator",
	};
	unsigned base = class_code >> 16;
	return base < sizeof(names) / sizeof(names[0]) ? names[base] : "device";
}
