#include "bind.h"

#include "kernel.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"
#include "../validator/vmdevices.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VFIO_DRIVER "vfio-pci"

__attribute__((format(printf, 2, 3))) static void say(const struct bind_options *o, const char *fmt,
						      ...)
{
	if (!o->say)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *m = NULL;
	if (vasprintf(&m, fmt, ap) >= 0) {
		o->say(o->ctx, m);
		free(m);
	}
	va_end(ap);
}

static bool in_state(const struct bind_set *s, const char *address)
{
	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->devices[i].address, address) == 0)
			return true;
	}
	return false;
}

static void plan_add(struct bind_set *s, const struct host_pci_device *d, bool *overflow)
{
	if (in_state(s, d->address))
		return;
	if (s->count == LEDGER_MAX_DEVICES) {
		*overflow = true;
		return;
	}
	struct bind_record *r = &s->devices[s->count++];
	memset(r, 0, sizeof(*r));
	memcpy(r->address, d->address, strlen(d->address) + 1);
	if (d->driver && state_driver_name_ok(d->driver))
		memcpy(r->driver, d->driver, strlen(d->driver) + 1);
}

int bind_plan(const struct host *host, const struct vm_devices *devices, bool group_peers,
	      struct bind_set *ret)
{
	ret->count = 0;
	bool overflow = false;
	for (size_t i = 0; i < devices->count; i++) {
		const struct vm_device *vd = &devices->items[i];
		if (vd->keep || vd->mdev)
			continue;
		plan_add(ret, vd->dev, &overflow);
		if (!group_peers)
			continue;
		const struct host_iommu_group *g =
			host_iommu_group(&host->iommu, vd->dev->iommu_group);
		for (size_t k = 0; g && k < g->device_count; k++) {
			const struct host_pci_device *p = host_pci_find(&host->pci, g->devices[k]);
			/* Proxmox leaves bridges alone; a device the host runs on is refused by
			 * host-critical before it gets here, and never touched by the binder */
			if (p && !p->is_bridge && !host_uses_find(&host->uses, p->address))
				plan_add(ret, p, &overflow);
		}
	}
	return overflow ? -E2BIG : 0;
}

/* One sysfs write, said first; in a dry run only said. */
static int step(const struct bind_options *o, const char *path, const char *value, const char *what,
		const char *address, struct pcipt_error *err)
{
	say(o, "%s: %s: write '%s' to %s", address, what, strcmp(value, "\n") == 0 ? "\\n" : value,
	    path);
	if (o->dry_run)
		return 0;
	int r = kernel_write(o->root, path, value, o->timeout_ms);
	if (r == -ETIMEDOUT)
		error_set(err, r, "%s: %s: writing %s did not finish within %u s: the driver hangs",
			  address, what, path, o->timeout_ms / 1000);
	else if (r < 0)
		error_set(err, r, "%s: %s: writing %s failed: %s", address, what, path,
			  strerror(-r));
	return r;
}

static int verify_driver(const struct bind_options *o, const char *address, const char *want,
			 struct pcipt_error *err)
{
	if (o->dry_run)
		return 0;
	char now[STATE_MAX_DRIVER];
	int r = kernel_driver(o->root, address, now, sizeof(now));
	if (r < 0) {
		error_set(err, r, "%s: cannot read its driver: %s", address, strerror(-r));
		return r;
	}
	if (strcmp(now, want) != 0) {
		error_set(err, -EIO,
			  "%s: after probing, its driver is %s, "
			  "not %s",
			  address, now[0] ? now : "none", want[0] ? want : "none");
		return -EIO;
	}
	say(o, "%s: now on %s", address, want[0] ? want : "no driver");
	return 0;
}

/* Give one device back to `driver` ("" none): override, unbind, probe, check, clear. */
int bind_give_back(const struct bind_options *o, const char *address, const char *driver,
		   struct pcipt_error *err)
{
	char now[STATE_MAX_DRIVER] = "";
	if (!o->dry_run) {
		int r = kernel_driver(o->root, address, now, sizeof(now));
		if (r == -ENODEV) {
			say(o,
			    "%s: the device is gone (removed or hot-unplugged); nothing to give back",
			    address);
			return 0;
		}
		if (r < 0) {
			error_set(err, r, "%s: cannot read its driver: %s", address, strerror(-r));
			return r;
		}
		/* unbinding from vfio-pci towards a driver that is not there would leave the
		 * device with none: load it, or leave the device where it is */
		if (driver[0] && strcmp(now, driver) != 0 &&
		    !kernel_driver_registered(o->root, driver)) {
			(void)kernel_load_module(o->root, driver, o->timeout_ms);
			if (!kernel_driver_registered(o->root, driver)) {
				error_set(err, -ENOENT,
					  "%s: its driver %s is not loaded (`modprobe %s` did not "
					  "register it); the device stays on %s",
					  address, driver, driver, now[0] ? now : "no driver");
				return -ENOENT;
			}
		}
	}
	char *override = host_device_path(address, "driver_override");
	char *unbind = host_device_path(address, "driver/unbind");
	int r = 0;
	if (!o->dry_run && strcmp(now, driver) == 0) {
		/* already there; only the override this run may have set goes */
		r = step(o, override, "\n", "clear driver_override", address, err);
		goto out;
	}
	/* the override first: a dynamic id (new_id) in vfio-pci must not win the probe */
	r = step(o, override, driver[0] ? driver : "\n",
		 driver[0] ? "set driver_override to the original driver" : "clear driver_override",
		 address, err);
	if (r == 0 && (o->dry_run || now[0]))
		r = step(o, unbind, address, "unbind", address, err);
	if (r == 0 && driver[0])
		r = step(o, PATH_SYS_PCI_DRIVERS_PROBE, address, "probe", address, err);
	if (r == 0)
		r = verify_driver(o, address, driver, err);
	if (r == 0 && driver[0])
		r = step(o, override, "\n", "clear driver_override", address, err);
out:
	free(override);
	free(unbind);
	return r;
}

static int ensure_vfio_registered(const struct bind_options *o, struct pcipt_error *err)
{
	if (kernel_driver_registered(o->root, VFIO_DRIVER))
		return 0;
	say(o, "load the vfio-pci module: %s vfio-pci", PATH_MODPROBE);
	if (o->dry_run)
		return 0;
	int r = kernel_load_module(o->root, "vfio-pci", o->timeout_ms);
	if (r == 0 && kernel_driver_registered(o->root, VFIO_DRIVER))
		return 0;
	error_set(err, r < 0 ? r : -ENOENT,
		  "vfio-pci is not loaded and `modprobe vfio-pci` failed: %s",
		  r < 0 ? strerror(-r) : "no vfio-pci driver after loading");
	return r < 0 ? r : -ENOENT;
}

/* Bind one device.  before gets the driver it has now (what an undo goes back to, which may
 * differ from the state's record of an earlier run); *ret_changed tells whether anything was
 * written. */
static int bind_one(const struct bind_options *o, const struct bind_record *rec, char *before,
		    bool *ret_changed, struct pcipt_error *err)
{
	*ret_changed = false;
	memcpy(before, rec->driver, STATE_MAX_DRIVER);
	if (!o->dry_run) {
		int r = kernel_driver(o->root, rec->address, before, STATE_MAX_DRIVER);
		if (r < 0) {
			error_set(err, r, "%s: cannot read its driver: %s", rec->address,
				  strerror(-r));
			return r;
		}
	}
	if (strcmp(before, VFIO_DRIVER) == 0) {
		say(o, "%s: already on vfio-pci", rec->address);
		return 0;
	}
	char *override = host_device_path(rec->address, "driver_override");
	char *unbind = host_device_path(rec->address, "driver/unbind");
	int r = step(o, override, VFIO_DRIVER, "set driver_override", rec->address, err);
	*ret_changed = true;
	if (r == 0 && before[0])
		r = step(o, unbind, rec->address, "unbind from its driver", rec->address, err);
	if (r == 0)
		r = step(o, PATH_SYS_PCI_DRIVERS_PROBE, rec->address, "probe", rec->address, err);
	if (r == 0)
		r = verify_driver(o, rec->address, VFIO_DRIVER, err);
	free(override);
	free(unbind);
	return r;
}

int bind_to_vfio(const struct bind_options *o, const struct bind_set *s, bool *ret_undone,
		 struct pcipt_error *err)
{
	*ret_undone = true;
	int r = ensure_vfio_registered(o, err);
	if (r < 0)
		return r;
	char(*before)[STATE_MAX_DRIVER] = xcalloc(s->count ? s->count : 1, sizeof(*before));
	size_t done = 0;
	bool hung = false;
	for (; done < s->count; done++) {
		bool changed;
		r = bind_one(o, &s->devices[done], before[done], &changed, err);
		if (r < 0) {
			hung = r == -ETIMEDOUT;
			if (changed && !hung)
				done++; /* this one is half-done: undo it too */
			break;
		}
	}
	if (r == 0) {
		free(before);
		return 0;
	}
	/* all or nothing: undo this run's changes, last first.  A write that timed out may still
	 * finish in the kernel after any undo, so that device is left to post-stop. */
	say(o, "binding failed (%s); giving every device back", err->message);
	if (hung)
		*ret_undone = false;
	for (size_t i = done; i-- > 0;) {
		if (strcmp(before[i], VFIO_DRIVER) == 0)
			continue;
		struct pcipt_error undo;
		if (bind_give_back(o, s->devices[i].address, before[i], &undo) < 0) {
			say(o, "undo failed: %s", undo.message);
			*ret_undone = false;
		}
	}
	free(before);
	return r;
}
