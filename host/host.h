/* A read-only snapshot of the machine: everything the host checks look at, read once under
 * one root.  The checks are pure functions of this snapshot, the VM configs and the rules. */
#ifndef PCIPT_HOST_HOST_H
#define PCIPT_HOST_HOST_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "cmdline.h"
#include "hostuse.h"
#include "iomem.h"
#include "iommu.h"
#include "modules.h"
#include "optionrom.h"
#include "pci.h"
#include "runstate.h"

#include <stdbool.h>
#include <stddef.h>

/* Which file sets the kernel command line of the next boot, and how it is applied. */
enum host_bootloader {
	HOST_BOOT_GRUB,         /* /etc/default/grub, `update-grub` */
	HOST_BOOT_SYSTEMD_BOOT, /* /etc/kernel/cmdline, `proxmox-boot-tool refresh` */
};

struct host_boot {
	struct cmdline running; /* /proc/cmdline */
	bool have_running;
	int running_error;   /* !have_running: why /proc/cmdline could not be read (-errno;
				 * -EINVAL: not a regular file).  Then what the running kernel was
				 * booted with is unknown, never "nothing" */
	struct cmdline next; /* from the bootloader file */
	bool have_next;
	enum host_bootloader loader;
	bool proxmox_boot_tool; /* /etc/kernel/proxmox-boot-uuids: refresh through the tool */
	const char *next_file;  /* host path of the bootloader file (static) */
	const char *apply;      /* the command that applies an edit (static) */
};

struct host {
	const struct rootfs *root;
	char *hostname; /* /etc/hostname; NULL when absent */
	struct host_pci pci;
	struct host_iommu iommu;
	struct host_modules modules;
	struct host_boot boot;
	struct host_iomem iomem;
	struct host_uses uses;
	struct host_runstate runstate;
};

/* Read the host under root.  Fails (-EIO, err says why and names the path) when libpci cannot
 * list the devices, when a file libpci would open is no regular file, or when a directory
 * pcipt lists exists and cannot be listed (too large: more than ROOTFS_MAX_DIR_ENTRIES entries);
 * everything else that is missing is recorded as unknown. */
int host_load(const struct rootfs *root, long long now, struct host *ret, struct pcipt_error *err);
void host_free(struct host *h);

/* IOMMU units exist and devices are in IOMMU groups. */
bool host_iommu_enabled(const struct host *h);

/* An option ROM file as the ROM checks see it. */
struct host_rom {
	int read_error;   /* 0, or -errno: -ENOENT missing, -EFBIG too big... */
	const char *kind; /* read_error -EINVAL or -EISDIR: what the path is instead of a regular
			   * file ("a named pipe", "a socket", "a device", "a directory"), static */
	size_t size;      /* bytes read (0: an empty file, which QEMU refuses) */
	bool parsed;
	struct optionrom rom;
	struct pcipt_error parse_error;
};

#define HOST_ROM_MAX_SIZE (16u * 1024 * 1024) /* the largest PCI expansion ROM BAR */

/* Read and parse the ROM at a host path (under the root). */
void host_rom_load(const struct rootfs *root, const char *path, struct host_rom *ret);

/* This node's name as pmxcfs uses it (/etc/hostname, short form; malloc'd), or NULL. */
char *host_node_name(const struct rootfs *root);

/* A file's existence and mode, for hookscripts: 0, or -errno. */
int host_file_mode(const struct rootfs *root, const char *path, unsigned *ret_mode,
		   bool *ret_regular);

/* Whether a device's driver is one of the drivers a group peer may have and still be free
 * (no driver, vfio-pci, pci-stub...). */
bool host_device_free(const struct host_pci_device *d, const char *const *free_drivers,
		      size_t count);

#endif
