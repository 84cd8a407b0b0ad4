/* Binding a VM's devices to vfio-pci and giving them back.
 *
 * Per device: record its driver; write "vfio-pci" to driver_override; unbind it; ask
 * drivers_probe; check that the driver link names vfio-pci.  Never new_id: it would make
 * vfio-pci grab every device with the same ids.  All or nothing: when a step fails, what this
 * run changed is undone in reverse order.  Giving back sets driver_override to the original
 * driver before probing, so that a dynamic id Proxmox's own binding left in vfio-pci (new_id)
 * cannot win, then clears the override.  Nothing here prints: every step goes to the say()
 * callback, which the program logs; with dry_run the steps are only said. */
#ifndef PCIPT_HOOK_BIND_H
#define PCIPT_HOOK_BIND_H

#include "../lib/rootfs.h"

#include "state.h"

#include "../host/host.h"

#include <stdbool.h>

struct vm_devices;

/* A device to bind, with the driver it has now ("" none). */
struct bind_record {
	char address[HOST_PCI_ADDRESS_MAX + 1];
	char driver[STATE_MAX_DRIVER];
};

struct bind_set {
	struct bind_record devices[LEDGER_MAX_DEVICES];
	size_t count;
};

struct bind_options {
	const struct rootfs *root;
	unsigned timeout_ms; /* per sysfs write */
	bool dry_run;
	void (*say)(void *ctx, const char *message);
	void *ctx;
};

/* The devices to bind: the VM's (not driver=keep, not mediated devices) and, with
 * group_peers, the other members of their IOMMU groups (never bridges, never a device the
 * host runs on), each with the driver it has now.  Returns 0, or -E2BIG when there are more
 * than LEDGER_MAX_DEVICES. */
int bind_plan(const struct host *host, const struct vm_devices *devices, bool group_peers,
	      struct bind_set *ret);

/* Bind every device of s to vfio-pci.  0, or -errno with err saying which step of which
 * device failed; the devices are then as they were, unless *ret_undone is false (an undo
 * failed, or a write hung and may still land): then the state must stay for post-stop. */
int bind_to_vfio(const struct bind_options *o, const struct bind_set *s, bool *ret_undone,
		 struct pcipt_error *err);

/* Give one device back to driver ("" none: it stays unbound).  A device that is gone is
 * given back already.  0, or -errno with err saying what failed. */
int bind_give_back(const struct bind_options *o, const char *address, const char *driver,
		   struct pcipt_error *err);

#endif
