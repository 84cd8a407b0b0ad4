/* Identity pins: which card was behind each raw hostpciN address of a VM when it last started
 * on this node, so that a card added or removed elsewhere (which moves bus numbers) cannot
 * hand the VM another device behind the same `hostpci0: 01:00`.
 *
 * pcipt-hook writes a VM's pins at each start it lets go on; the device-identity check
 * compares them with the host; `pcipt-validate --accept-identity VMID` rewrites them.  Only
 * `host=` lines are pinned, one pin per function the VM gets (`01:00` pins every function of
 * the card): a `mapping=` line carries its ids in pci.cfg, and Proxmox checks those itself.
 *
 * A pin is keyed by the hostpciN line it came from, by a digest of the line's value: editing
 * the line ends its pins.  One file per VM, ROOT/var/lib/pcipt/identity/VMID (state that must
 * survive a reboot, and the node's own: another node's cards are not these):
 *
 *   pcipt-identity 1
 *   vmid 101
 *   hostpci0 SHA256-HEX-OF-THE-VALUE 0000:03:00.0 10de:1b80 1458:3702 030000
 *   hostpci0 SHA256-HEX-OF-THE-VALUE 0000:03:00.1 10de:10f0 1458:3702 040300
 *
 * (vendor:device, subsystem vendor:device, class with prog-if; lowercase hex).  Written
 * atomically (a temporary file, fsync, rename), created without following links, mode 0644.
 * A file that is not a regular file of root's or ours, writable by group or others, or not in
 * exactly this format is refused with the reason (and the line), never half-trusted, and never
 * replaced unasked. */
#ifndef PCIPT_VALIDATOR_PINS_H
#define PCIPT_VALIDATOR_PINS_H

#include "../host/pci.h"
#include "../lib/error.h"
#include "../lib/rootfs.h"
#include "../pve/vmconfig.h"

#include <stdbool.h>
#include <stddef.h>

#define PINS_MAX 256          /* functions of one VM: 16 lines, each some cards */
#define PINS_DIGEST_LENGTH 64 /* SHA-256, hex */

/* What tells one card from another at the same address. */
struct pin_identity {
	unsigned vendor, device, subsystem_vendor, subsystem_device;
	unsigned class_code; /* 24 bits: class, subclass, prog-if */
};

struct pin {
	int hostpci; /* N of hostpciN */
	char line_digest[PINS_DIGEST_LENGTH + 1];
	char address[HOST_PCI_ADDRESS_MAX + 1];
	struct pin_identity id;
};

struct pins {
	long vmid;
	struct pin items[PINS_MAX];
	size_t count;
};

void pin_identity_of(const struct host_pci_device *d, struct pin_identity *ret);
bool pin_identity_equal(const struct pin_identity *a, const struct pin_identity *b);

/* "10de:1b80 (subsystem 1458:3702, class 030000, NVIDIA Corporation GP104 [GeForce GTX
 * 1080])", the name from pci (pci.ids); malloc'd. */
char *pin_identity_describe(const struct pin_identity *id, const struct host_pci *pci);

/* The key of a hostpciN line: the SHA-256 of its value as Proxmox keeps it, hex. */
void pins_line_digest(const char *value, char ret[PINS_DIGEST_LENGTH + 1]);

/* The pins of vm as it starts now: each function a `host=` line of vm gets on this host
 * (devices: vm_devices_resolve of vm).  0, or -E2BIG past PINS_MAX. */
struct vm_devices;
int pins_from_devices(const struct pve_vm *vm, long vmid, const struct vm_devices *devices,
		      struct pins *ret);

/* The pins of the line hostpciN of vm whose value is the one pinned: the pin is live.  false
 * when the line is gone, is a mapping now, or was edited. */
bool pin_is_live(const struct pin *pin, const struct pve_vm *vm);

/* The host path of vmid's file (/var/lib/pcipt/identity/VMID), malloc'd. */
char *pins_path(long vmid);

/* Parse a pin file's text for vmid.  0, or -EINVAL with err (err->line: the line). */
int pins_parse(const char *text, size_t size, long vmid, struct pins *ret, struct pcipt_error *err);
/* The text of a pin file, malloc'd. */
char *pins_format(const struct pins *p);

/* Read vmid's pins under root: 0 (ret->count 0 when there are none), or -errno with err
 * saying why: -EINVAL for a text not in the format (err->line: the line), a link (-ELOOP), a
 * file writable by others or of another user (-EPERM), -EFBIG, -ENOTDIR for a directory that
 * is not one.  The messages are about the file without naming it (the caller puts its name
 * and err->line in front), except for the directory's. */
int pins_read(const struct rootfs *root, long vmid, struct pins *ret, struct pcipt_error *err);

/* Make p the pins of p->vmid (no pin: the file is removed).  A file there that pins_read
 * refuses is left alone (its error, "; not replaced" added) unless replace_unreadable: the
 * admin asked for it.  0, or -errno with err. */
int pins_write(const struct rootfs *root, const struct pins *p, bool replace_unreadable,
	       struct pcipt_error *err);

#endif
