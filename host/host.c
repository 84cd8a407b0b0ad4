#include "host.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMDLINE_MAX_SIZE (64u * 1024)

static void load_boot(const struct rootfs *root, struct host_boot *b)
{
	char *text;
	size_t size;
	b->running_error = rootfs_read(root, PATH_PROC_CMDLINE, 0, CMDLINE_MAX_SIZE, &text, &size);
	if (b->running_error == 0) {
		cmdline_parse(text, &b->running);
		b->have_running = true;
		free(text);
	}
	b->proxmox_boot_tool = rootfs_exists(root, PATH_PROXMOX_BOOT_UUIDS);
	/* proxmox-boot-tool with systemd-boot reads /etc/kernel/cmdline; GRUB (also when
	 * proxmox-boot-tool manages it) reads /etc/default/grub */
	if (rootfs_read(root, PATH_KERNEL_CMDLINE, 0, CMDLINE_MAX_SIZE, &text, &size) == 0) {
		b->loader = HOST_BOOT_SYSTEMD_BOOT;
		b->next_file = PATH_KERNEL_CMDLINE;
		b->apply = "proxmox-boot-tool refresh";
		cmdline_parse(text, &b->next);
		b->next.line = 1;
		b->have_next = true;
		free(text);
		return;
	}
	b->loader = HOST_BOOT_GRUB;
	b->next_file = PATH_GRUB_DEFAULT;
	b->apply = b->proxmox_boot_tool ? "proxmox-boot-tool refresh" : "update-grub";
	if (rootfs_read(root, PATH_GRUB_DEFAULT, 0, CMDLINE_MAX_SIZE, &text, &size) == 0) {
		b->have_next = cmdline_from_grub_default(text, &b->next);
		free(text);
	}
}

char *host_node_name(const struct rootfs *root)
{
	char buf[256];
	if (host_read_attr(root, PATH_HOSTNAME, buf, sizeof(buf)) <= 0)
		return NULL;
	/* a FQDN in /etc/hostname: pmxcfs uses the short name for nodes/NAME */
	buf[strcspn(buf, ". \t\n")] = '\0';
	return buf[0] ? xstrdup(buf) : NULL;
}

/* The kernel release and the boot time (btime of /proc/stat), for the snapshot's reader to
 * tell which boot of which kernel the facts are from. */
static void load_origin(const struct rootfs *root, long long now, struct host_origin *o)
{
	o->taken = now;
	o->pcipt_version = xstrdup(PCIPT_VERSION);
	char buf[256];
	if (host_read_attr(root, PATH_PROC_OSRELEASE, buf, sizeof(buf)) > 0)
		o->kernel_release = xstrdup(buf);
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_STAT, 0, 1024 * 1024, &text, &size) == 0) {
		const char *btime = strstr(text, "\nbtime ");
		long long v;
		char *end;
		if (btime && (v = strtoll(btime + 7, &end, 10)) > 0 && (*end == '\n' || !*end))
			o->boot_time = v;
		free(text);
	}
}

int host_load(const struct rootfs *root, long long now, const struct host_load_options *options,
	      struct host *ret, struct pcipt_error *err)
{
	static const struct host_load_options none = {0};
	if (!options)
		options = &none;
	struct host h = {.root = root};
	if (host_pci_scan(root, &h.pci, err) < 0) {
		error_prefix(err, "cannot list the PCI devices: ");
		err->code = -EIO;
		return -EIO;
	}
	if (host_iommu_load(root, &h.iommu, err) < 0) {
		host_pci_free(&h.pci);
		err->code = -EIO;
		return -EIO;
	}
	host_modules_load(root, options->param_modules, options->param_module_count, &h.modules);
	load_origin(root, now, &h.origin);
	load_boot(root, &h.boot);
	host_iomem_load(root, &h.iomem);
	host_uses_load(root, &h.uses);
	host_runstate_load(root, now, &h.runstate);
	h.hostname = host_node_name(root);
	/* a directory too large to list is an input pcipt cannot read, never an empty one */
	const char *unlisted = h.modules.unlisted ? h.modules.unlisted
			       : h.uses.unlisted  ? h.uses.unlisted
						  : h.runstate.unlisted;
	if (unlisted) {
		error_set(err, -EIO, "%s", unlisted);
		host_free(&h);
		return -EIO;
	}
	*ret = h;
	return 0;
}

void host_free(struct host *h)
{
	host_pci_free(&h->pci);
	host_iommu_free(&h->iommu);
	host_modules_free(&h->modules);
	cmdline_free(&h->boot.running);
	cmdline_free(&h->boot.next);
	host_iomem_free(&h->iomem);
	host_uses_free(&h->uses);
	host_runstate_free(&h->runstate);
	host_files_free(&h->files);
	free(h->origin.kernel_release);
	free(h->origin.pcipt_version);
	free(h->hostname);
}

int host_file_mode(const struct rootfs *root, const char *path, unsigned *ret_mode,
		   bool *ret_regular)
{
	struct stat st;
	int r = rootfs_stat(root, path, &st);
	if (r < 0)
		return r;
	*ret_mode = st.st_mode & 07777;
	*ret_regular = S_ISREG(st.st_mode);
	return 0;
}

void host_rom_get(const struct host *h, const char *path, struct host_rom *ret)
{
	if (h->root) {
		host_rom_load(h->root, path, ret);
		return;
	}
	const struct host_file *f = host_files_find(&h->files, path);
	if (f && f->is_rom)
		*ret = f->rom;
	else
		*ret = (struct host_rom){.read_error = f ? -EINVAL : -ENOENT, .kind = NULL};
}

int host_file_mode_get(const struct host *h, const char *path, unsigned *ret_mode,
		       bool *ret_regular)
{
	if (h->root)
		return host_file_mode(h->root, path, ret_mode, ret_regular);
	const struct host_file *f = host_files_find(&h->files, path);
	if (!f)
		return -ENOENT;
	if (f->error < 0)
		return f->error;
	*ret_mode = f->mode;
	*ret_regular = f->regular;
	return 0;
}

bool host_device_free(const struct host_pci_device *d, const char *const *free_drivers,
		      size_t count)
{
	if (!d->driver)
		return true;
	for (size_t i = 0; i < count; i++) {
		if (strcmp(d->driver, free_drivers[i]) == 0)
			return true;
	}
	return false;
}

bool host_iommu_enabled(const struct host *h)
{
	/* Proxmox's check_iommu_support() asks only that /sys/class/iommu is not empty; without
	 * groups the kernel isolates nothing either */
	return h->iommu.unit_count > 0 && h->iommu.group_count > 0;
}
