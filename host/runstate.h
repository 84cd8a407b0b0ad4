/* Which VMs hold PCI devices right now, as qemu-server records it:
 * /run/qemu-server/pci-id-reservations ("ID VMID pid:PID" once QEMU runs, "ID VMID time:EPOCH"
 * for the start window; QemuServer/PCI.pm), and the running VMs' QEMU command lines
 * (/run/qemu-server/VMID.pid + /proc/PID/cmdline, `-device vfio-pci,host=ADDR`), which also
 * shows devices passed through `args:` that qemu-server never reserved. */
#ifndef PCIPT_HOST_RUNSTATE_H
#define PCIPT_HOST_RUNSTATE_H

#include "../lib/rootfs.h"

#include "sysfs.h"

#include <stdbool.h>
#include <stddef.h>

struct host_reservation {
	char address[HOST_PCI_ADDRESS_MAX + 1]; /* as written: "0000:01:00.0" */
	long vmid;
	bool by_pid;     /* pid: held while that process lives; else time: until then */
	long long value; /* the pid or the epoch */
	bool live;       /* the pid runs, or the time has not passed */
};

struct host_running_vm {
	long vmid;
	long pid;
	char **devices; /* vfio-pci host= addresses on its command line */
	size_t device_count;
};

struct host_runstate {
	struct host_reservation *reservations;
	size_t reservation_count;
	struct host_running_vm *vms;
	size_t vm_count;
	char *unlisted; /* "/run/qemu-server: ...": the directory exists and cannot be listed
			 * (too large, unreadable), so which VMs run is unknown; NULL when read */
};

/* now: the current time (a parameter so tests can pin it). */
void host_runstate_load(const struct rootfs *root, long long now, struct host_runstate *ret);
void host_runstate_free(struct host_runstate *s);

/* Parse the reservations file text (lines not in Proxmox's format are skipped, as Proxmox
 * skips them); liveness is left false. */
void runstate_parse_reservations(const char *text, struct host_runstate *into);

/* Another VM (not vmid) that holds address: through a live reservation or a running QEMU.
 * Returns that VM's id, or -1; *ret_how (may be NULL) says how ("reserved", "running"). */
long host_runstate_holder(const struct host_runstate *s, const char *address, long vmid,
			  const char **ret_how);

#endif
