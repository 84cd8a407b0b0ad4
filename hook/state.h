/* What pre-start changed, so that post-stop can undo it: one state file per VM in state_dir
 * (/run/pcipt/VMID.state), and the lock that serialises hooks.
 *
 * The state is written before the first sysfs write, atomically (a temporary file, fsync,
 * rename), created without following links, mode 0600: post-stop restores from it alone,
 * also after a kill -9 between binding and exit.  A state file that is not a regular file of
 * ours, mode 0600, in exactly this format is refused, never half-trusted:
 *
 *   pcipt-state 1
 *   vmid 100
 *   device 0000:01:00.0 nouveau
 *   device 0000:01:00.1 -           (no driver before)
 */
#ifndef PCIPT_HOOK_STATE_H
#define PCIPT_HOOK_STATE_H

#include "../host/sysfs.h"

#include <stddef.h>

#define STATE_MAX_DEVICES 256
#define STATE_MAX_DRIVER 64

struct bind_record {
	char address[HOST_PCI_ADDRESS_MAX + 1];
	char driver[STATE_MAX_DRIVER]; /* the driver before pre-start; "" none */
};

struct hook_state {
	long vmid;
	struct bind_record devices[STATE_MAX_DEVICES];
	size_t count;
};

struct hook_error {
	char message[320];
};

/* dir is a host path (state_dir), resolved under root; it is created (0700) when missing. */
int state_write(const char *root, const char *dir, const struct hook_state *s,
		struct hook_error *err);
/* -ENOENT when there is no state for vmid (nothing to restore); other failures say why. */
int state_read(const char *root, const char *dir, long vmid, struct hook_state *ret,
	       struct hook_error *err);
int state_remove(const char *root, const char *dir, long vmid, struct hook_error *err);

/* Parse a state file's text; exposed for tests and fuzzing.  0 or -EINVAL with err. */
int state_parse(const char *text, size_t size, long vmid, struct hook_state *ret,
		struct hook_error *err);

/* Take the hooks' lock (a host path under root, created 0600), waiting at most timeout_ms.
 * Returns the descriptor that holds it, or -errno (-ETIMEDOUT) with err filled. */
int lock_acquire(const char *root, const char *path, unsigned timeout_ms, struct hook_error *err);
void lock_release(int fd);

/* A driver name as sysfs shows it: [A-Za-z0-9_.-], 1 to STATE_MAX_DRIVER-1 characters. */
bool state_driver_name_ok(const char *name);

#endif
