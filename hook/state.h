/* What pcipt-hook changed, so that it can be undone: the per-device ledger
 * (/run/pcipt/ledger), and the lock that serialises hooks (/run/lock/pcipt.lock).  Both are at
 * fixed places under the root, so that post-stop finds them whatever pcipt.conf says by then.
 *
 * The ledger has a record for each device pcipt moved off a host driver: the driver to give
 * it back to, and the VMs that hold it now, each with the time of the pre-start that took it:
 *
 *   pcipt-ledger 1
 *   device 0000:03:00.0 nouveau 101:1764716400 103:1764716410
 *   device 0000:03:00.1 snd_hda_intel 101:1764716400 103:1764716410
 *   device 0000:04:00.0 - 105:1764716500       ("-": it had no driver)
 *
 * Invariants: a record is written before the first sysfs write that moves its device; the
 * driver it names is the host's, never vfio-pci unless the device was there before pcipt; a
 * device goes back only when no live VM holds it; a record is dropped only once its device is
 * back (or the admin turned giving back off).  A ledger without records is removed.  Written
 * atomically (a temporary file, fsync, rename), created without following links, mode 0600; a
 * ledger that is not a regular file of ours, mode 0600, in exactly this format is refused,
 * never half-trusted.
 *
 * The previous version kept one file per VM (/run/pcipt/VMID.state: "pcipt-state 1", "vmid N",
 * "device ADDRESS DRIVER"): such a file is read once, taken into the ledger and removed. */
#ifndef PCIPT_HOOK_STATE_H
#define PCIPT_HOOK_STATE_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "../host/sysfs.h"

#include <stdbool.h>
#include <stddef.h>

#define LEDGER_MAX_DEVICES 256
#define LEDGER_MAX_HOLDERS 64
#define STATE_MAX_DRIVER 64

/* A holder whose QEMU does not run is live this long after its pre-start: Proxmox starts QEMU
 * after the hook, and runs no post-stop when the start fails after it. */
#define LEDGER_GRACE_SECONDS 300

struct ledger_holder {
	long vmid;
	long long since; /* the pre-start that took the device, seconds since the epoch */
};

struct ledger_record {
	char address[HOST_PCI_ADDRESS_MAX + 1];
	char driver[STATE_MAX_DRIVER]; /* the host driver to give it back to; "" none */
	struct ledger_holder holders[LEDGER_MAX_HOLDERS];
	size_t holder_count;
};

struct ledger {
	struct ledger_record records[LEDGER_MAX_DEVICES];
	size_t count;
};

/* An empty ledger when there is none (0).  A ledger that is there but unreadable, foreign or
 * corrupt: -errno with err saying why; nothing may act on it then. */
int ledger_read(const struct rootfs *root, struct ledger *ret, struct pcipt_error *err);
/* Write it (remove it when it has no record). */
int ledger_write(const struct rootfs *root, const struct ledger *l, struct pcipt_error *err);
/* Parse a ledger's text; exposed for tests and fuzzing.  0 or -EINVAL with err. */
int ledger_parse(const char *text, size_t size, struct ledger *ret, struct pcipt_error *err);

struct ledger_record *ledger_find(struct ledger *l, const char *address);
/* The record of address, made with driver when there is none; NULL when the ledger is full. */
struct ledger_record *ledger_take(struct ledger *l, const char *address, const char *driver);
/* vmid holds rec since since (a holder already there gets the new time); false when full. */
bool ledger_hold(struct ledger_record *rec, long vmid, long long since);
bool ledger_holds(const struct ledger_record *rec, long vmid);
void ledger_release(struct ledger_record *rec, long vmid);
void ledger_drop(struct ledger *l, size_t index);

/* The previous version's per-VM state of vmid, taken into l (its drivers for devices l has no
 * record of, vmid as their holder since since).  0 (also when there is none: *ret_found
 * false), or -errno with err (the file stays).  ledger_forget_legacy() removes it once the
 * ledger that took it is written. */
int ledger_take_legacy(const struct rootfs *root, long vmid, long long since, struct ledger *l,
		       bool *ret_found, struct pcipt_error *err);
void ledger_forget_legacy(const struct rootfs *root, long vmid);

/* Take the hooks' lock, waiting at most timeout_ms.  Returns the descriptor that holds it
 * (closed in every child process the hook forks, and on exec), or -errno (-ETIMEDOUT) with err
 * filled. */
int lock_acquire(const struct rootfs *root, unsigned timeout_ms, struct pcipt_error *err);
void lock_release(int fd);

/* A driver name as sysfs shows it: [A-Za-z0-9_.-], 1 to STATE_MAX_DRIVER-1 characters. */
bool state_driver_name_ok(const char *name);

#endif
