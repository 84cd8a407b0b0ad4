/* A read-only snapshot of the machine: everything the host checks look at, read once under
 * one root.  The checks are pure functions of this snapshot, the VM configs and the rules. */
#ifndef PCIPT_HOST_HOST_H
#define PCIPT_HOST_HOST_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "cmdline.h"
#include "files.h"
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

/* Where the facts came from, and when. */
struct host_origin {
	bool snapshot;        /* read from a snapshot, not from the machine */
	long long taken;      /* the time the machine was read (the `now` of host_load) */
	char *kernel_release; /* /proc/sys/kernel/osrelease; NULL when unreadable */
	long long boot_time;  /* btime of /proc/stat; 0 when unknown */
	char *pcipt_version;  /* of the pcipt that read the machine */
};

struct host {
	const struct rootfs *root; /* NULL for a host read from a snapshot */
	struct host_origin origin;
	char *hostname; /* /etc/hostname; NULL when absent */
	struct host_pci pci;
	struct host_iommu iommu;
	struct host_modules modules;
	struct host_boot boot;
	struct host_iomem iomem;
	struct host_uses uses;
	struct host_runstate runstate;
	struct host_files files; /* filled for a snapshot (host_files_collect, or the reader) */
};

/* What host_load reads beyond the fixed facts: the live parameters of these modules. */
struct host_load_options {
	const char *const *param_modules;
	size_t param_module_count;
};

/* Read the host under root.  Fails (-EIO, err says why and names the path) when libpci cannot
 * list the devices, when a file libpci would open is no regular file, or when a directory
 * pcipt lists exists and cannot be listed (too large: more than ROOTFS_MAX_DIR_ENTRIES entries);
 * everything else that is missing is recorded as unknown. */
int host_load(const struct rootfs *root, long long now, const struct host_load_options *options,
	      struct host *ret, struct pcipt_error *err);
void host_free(struct host *h);

/* IOMMU units exist and devices are in IOMMU groups. */
bool host_iommu_enabled(const struct host *h);

/* The ROM at a host path as this host has it: read now from the machine, or from the
 * snapshot's files (a path under none of its directories: -ENOENT). */
void host_rom_get(const struct host *h, const char *path, struct host_rom *ret);

/* A file's existence and mode the same way: 0, or -errno. */
int host_file_mode_get(const struct host *h, const char *path, unsigned *ret_mode,
		       bool *ret_regular);

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
