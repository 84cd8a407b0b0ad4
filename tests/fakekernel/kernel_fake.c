/* A fake kernel behind hook/kernel.h and lib/kernelio.h, for tests: the sysfs writes of the
 * binder and of pcipt-validate --read-rom act on a fake host tree (tests/fakehost/mkhost.py)
 * the way Linux acts on sysfs, synchronously:
 *
 *   devices/ADDR/driver_override   stores the driver name; a lone "\n" clears it ("(null)")
 *   devices/ADDR/driver/unbind     the driver link and drivers/NAME/ADDR go
 *   drivers_probe                  a device without a driver gets driver_override's driver,
 *                                  else the driver it had when first unbound (its "native"
 *                                  driver, remembered in ROOT/.fakekernel/), else a driver
 *                                  whose new_id lists its ids; links as the kernel makes them
 *   drivers/NAME/new_id            "VVVV DDDD": the driver takes such devices on probe
 *   devices/ADDR/rom               "0\n" turns the ROM off, anything else on (pci_write_rom():
 *                                  off only for 2 bytes starting with '0'); the attribute must
 *                                  exist (mkhost.py's rombar=)
 *
 * and kernel_read() of devices/ADDR/rom gives what pci_read_rom() gives: -EINVAL while the ROM
 * is off; while on, the bytes of ROOT/.fakekernel/rom-ADDR, which a test puts there (as they
 * are: an empty file reads empty, as older kernels read a ROM they cannot map), or -EIO
 * without that file (a ROM the kernel cannot map).  Any other path is read as a plain file.
 *
 * Every write runs through kernel_timed(), like the real one.  Environment:
 *   PCIPT_FAKE_FAIL_WRITE=N   the Nth write of the process fails with EIO, changing nothing
 *   PCIPT_FAKE_FAIL_ERRNO=E   ... with errno E instead (13: EACCES, as for a user not root)
 *   PCIPT_FAKE_HANG_WRITE=N   the Nth write never returns (the timeout must fire); the process
 *                             that hangs leaves a part of itself behind for 30 s, as one stuck
 *                             in the kernel outlives the SIGKILL of the timeout
 *   PCIPT_FAKE_LOG=FILE       every write is appended to FILE as "PATH VALUE", a newline in
 *                             VALUE written as \n
 *   PCIPT_FAKE_NO_MODULES=1   loading a module fails
 *   PCIPT_FAKE_HANG_READ=1    pre-start's reading of the host never returns (a wedged device) */
#include "../../hook/kernel.h"

#include "../../host/sysfs.h"
#include "../../lib/paths.h"
#include "../../lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_STATE_DIR "/.fakekernel"
#define ROM_ATTR "/rom"

static unsigned write_count;

struct fake_write {
	const struct rootfs *root;
	const char *path, *value;
	bool hang;
};

static int env_number(const char *name)
{
	const char *v = getenv(name);
	return v ? atoi(v) : 0;
}

/* "0000:01:00.0" from ".../devices/0000:01:00.0/attr" */
static bool device_of(const char *path, const char *prefix, char *address, size_t size)
{
	size_t pl = strlen(prefix);
	if (strncmp(path, prefix, pl) != 0)
		return false;
	const char *a = path + pl;
	size_t n = strcspn(a, "/");
	if (n >= size)
		return false;
	memcpy(address, a, n);
	address[n] = '\0';
	return host_is_pci_address(address);
}

static int put(const struct rootfs *root, const char *path, const char *value)
{
	int fd = rootfs_open(root, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fd;
	size_t len = strlen(value);
	int r = write(fd, value, len) == (ssize_t)len ? 0 : -EIO;
	return close(fd) == 0 ? r : -errno;
}

/* a symbolic link at path (a host path under root) */
static int link_at(const struct rootfs *root, const char *target, const char *path)
{
	const char *name;
	int dir = rootfs_open_parent(root, path, &name);
	if (dir < 0)
		return dir;
	int r = symlinkat(target, dir, name) < 0 ? -errno : 0;
	close(dir);
	return r;
}

static char *get(const struct rootfs *root, const char *path)
{
	char buf[256];
	return host_read_attr(root, path, buf, sizeof(buf)) < 0 ? NULL : xstrdup(buf);
}

static unsigned depth_of(const char *host_path)
{
	unsigned n = 0;
	for (const char *p = host_path; *p; p++)
		n += *p == '/';
	return n;
}

static char *ups(unsigned n)
{
	char *s = xmalloc(3 * n + 1);
	for (unsigned i = 0; i < n; i++)
		memcpy(s + 3 * i, "../", 3);
	s[3 * n] = '\0';
	return s;
}

static int bind_device(const struct rootfs *root, const char *address, const char *driver)
{
	char *drv_dir = xasprintf(PATH_SYS_PCI_DRIVERS "/%s", driver);
	if (!rootfs_is_dir(root, drv_dir)) {
		free(drv_dir);
		return 0; /* no such driver: the device stays without one */
	}
	char *dev_link = xasprintf(PATH_SYS_PCI_DEVICES "/%s", address);
	char *real = NULL;
	(void)rootfs_resolve(root, dev_link, &real);
	free(dev_link);
	if (!real) {
		free(drv_dir);
		return -ENODEV;
	}
	/* device/driver -> ../../..(to /sys)/bus/pci/drivers/NAME */
	char *up1 = ups(depth_of(real) - 1);
	char *target1 = xasprintf("%s%s", up1, drv_dir + strlen("/sys/"));
	char *link1 = xasprintf("%s/driver", real);
	/* drivers/NAME/ADDR -> ../../../../devices/... */
	char *up2 = ups(depth_of(drv_dir) - 1);
	char *target2 = xasprintf("%s%s", up2, real + strlen("/sys/"));
	char *link2 = xasprintf("%s/%s", drv_dir, address);
	int r = link_at(root, target1, link1);
	if (r == 0)
		r = link_at(root, target2, link2);
	free(up1);
	free(target1);
	free(link1);
	free(up2);
	free(target2);
	free(link2);
	free(real);
	free(drv_dir);
	return r;
}

static int unbind_device(const struct rootfs *root, const char *address)
{
	char *link = xasprintf(PATH_SYS_PCI_DEVICES "/%s/driver", address);
	char driver[128];
	int r = host_read_link_name(root, link, driver, sizeof(driver));
	if (r < 0) {
		free(link);
		return -ENODEV;
	}
	/* remember the first driver a device had: what a plain probe gives it back */
	char *native = xasprintf(FAKE_STATE_DIR "/native-%s", address);
	if (!rootfs_exists(root, native)) {
		(void)rootfs_mkdir(root, FAKE_STATE_DIR, 0755);
		(void)put(root, native, driver);
	}
	free(native);
	char *dev = xasprintf(PATH_SYS_PCI_DEVICES "/%s", address);
	char *real = NULL;
	(void)rootfs_resolve(root, dev, &real);
	char *full1 = real ? xasprintf("%s/driver", real) : NULL;
	char *full2 = xasprintf(PATH_SYS_PCI_DRIVERS "/%s/%s", driver, address);
	r = full1 && rootfs_unlink(root, full1, 0) == 0 ? 0 : -EIO;
	(void)rootfs_unlink(root, full2, 0);
	free(full1);
	free(full2);
	free(real);
	free(dev);
	free(link);
	return r;
}

/* the driver whose new_id lists the device's ids, or NULL */
static char *new_id_driver(const struct rootfs *root, const char *address)
{
	char *vp = xasprintf(PATH_SYS_PCI_DEVICES "/%s/vendor", address);
	char *dp = xasprintf(PATH_SYS_PCI_DEVICES "/%s/device", address);
	char *v = get(root, vp), *d = get(root, dp);
	free(vp);
	free(dp);
	char *found = NULL;
	char **names;
	size_t n;
	if (v && d && rootfs_list(root, FAKE_STATE_DIR, &names, &n) == 0) {
		char want[32];
		snprintf(want, sizeof(want), "%s %s", v + 2, d + 2);
		for (size_t i = 0; i < n && !found; i++) {
			if (strncmp(names[i], "newid-", 6) != 0)
				continue;
			char *p = xasprintf(FAKE_STATE_DIR "/%s", names[i]);
			char *ids = get(root, p);
			if (ids && strcmp(ids, want) == 0)
				found = xstrdup(names[i] + 6);
			free(ids);
			free(p);
		}
		rootfs_free_names(names, n);
	}
	free(v);
	free(d);
	return found;
}

static int probe_device(const struct rootfs *root, const char *address)
{
	char *drv = xasprintf(PATH_SYS_PCI_DEVICES "/%s/driver", address);
	bool bound = rootfs_exists(root, drv);
	free(drv);
	if (bound)
		return 0;
	char *op = xasprintf(PATH_SYS_PCI_DEVICES "/%s/driver_override", address);
	char *override = get(root, op);
	free(op);
	int r = 0;
	if (override && strcmp(override, "(null)") != 0) {
		r = bind_device(root, address, override);
	} else {
		char *id_driver = new_id_driver(root, address);
		char *np = xasprintf(FAKE_STATE_DIR "/native-%s", address);
		char *native = get(root, np);
		free(np);
		/* a dynamic id outranks the driver's own table, as in the kernel's match order */
		if (id_driver)
			r = bind_device(root, address, id_driver);
		else if (native)
			r = bind_device(root, address, native);
		free(id_driver);
		free(native);
	}
	free(override);
	return r;
}

/* Whether path is devices/ADDR/rom, with ADDR in address */
static bool rom_attr_of(const char *path, char *address, size_t size)
{
	return device_of(path, PATH_SYS_PCI_DEVICES "/", address, size) &&
	       strcmp(path + strlen(PATH_SYS_PCI_DEVICES "/") + strlen(address), ROM_ATTR) == 0;
}

/* ROOT/.fakekernel/rom-on-ADDR while the ROM of ADDR is on */
static char *rom_on_path(const char *address)
{
	return xasprintf(FAKE_STATE_DIR "/rom-on-%s", address);
}

static int rom_switch(const struct rootfs *root, const char *path, const char *address,
		      const char *value)
{
	if (!rootfs_exists(root, path))
		return -ENOENT; /* no ROM BAR, no attribute */
	char *on = rom_on_path(address);
	int r;
	if (strcmp(value, "0\n") == 0) {
		r = rootfs_unlink(root, on, 0);
		r = r == -ENOENT ? 0 : r;
	} else {
		(void)rootfs_mkdir(root, FAKE_STATE_DIR, 0755);
		r = put(root, on, "1\n");
	}
	free(on);
	return r;
}

static int do_fake_write(void *arg)
{
	const struct fake_write *w = arg;
	if (w->hang) {
		/* what it inherited stays open as long as it lives */
		if (fork() == 0) {
			sleep(30);
			_exit(0);
		}
		for (;;)
			pause();
	}
	char address[HOST_PCI_ADDRESS_MAX + 1];
	size_t vl = strlen(w->value);
	char *value = xstrdup(w->value);
	if (vl && value[vl - 1] == '\n')
		value[vl - 1] = '\0';
	const char *path = w->path;
	int r;
	size_t pl = strlen(path);
	if (device_of(path, PATH_SYS_PCI_DEVICES "/", address, sizeof(address)) && pl > 16 &&
	    strcmp(path + pl - 16, "/driver_override") == 0) {
		/* the kernel shows the attribute with a newline, "(null)" when unset */
		char *shown = xasprintf("%s\n", value[0] ? value : "(null)");
		r = put(w->root, path, shown);
		free(shown);
	} else if (device_of(path, PATH_SYS_PCI_DEVICES "/", address, sizeof(address)) && pl > 14 &&
		   strcmp(path + pl - 14, "/driver/unbind") == 0) {
		r = strcmp(value, address) == 0 ? unbind_device(w->root, address) : -ENODEV;
	} else if (rom_attr_of(path, address, sizeof(address))) {
		r = rom_switch(w->root, path, address, w->value);
	} else if (strcmp(path, PATH_SYS_PCI_DRIVERS_PROBE) == 0) {
		r = host_is_pci_address(value) ? probe_device(w->root, value) : -EINVAL;
	} else if (strncmp(path, PATH_SYS_PCI_DRIVERS "/", strlen(PATH_SYS_PCI_DRIVERS "/")) == 0 &&
		   pl > 7 && strcmp(path + pl - 7, "/new_id") == 0) {
		const char *name = path + strlen(PATH_SYS_PCI_DRIVERS "/");
		char *n = xstrndup(name, strcspn(name, "/"));
		(void)rootfs_mkdir(w->root, FAKE_STATE_DIR, 0755);
		char *p = xasprintf(FAKE_STATE_DIR "/newid-%s", n);
		r = put(w->root, p, value);
		free(p);
		free(n);
	} else {
		r = -EINVAL; /* an attribute the binder has no business writing */
	}
	free(value);
	return r;
}

int kernel_write(const struct rootfs *root, const char *path, const char *value,
		 unsigned timeout_ms)
{
	write_count++;
	const char *log = getenv("PCIPT_FAKE_LOG");
	if (log) {
		FILE *f = fopen(log, "a");
		if (f) {
			fprintf(f, "%s ", path);
			for (const char *c = value; *c; c++) {
				if (*c == '\n')
					fputs("\\n", f);
				else
					fputc(*c, f);
			}
			fputc('\n', f);
			fclose(f);
		}
	}
	if ((int)write_count == env_number("PCIPT_FAKE_FAIL_WRITE")) {
		int e = env_number("PCIPT_FAKE_FAIL_ERRNO");
		return e > 0 ? -e : -EIO;
	}
	struct fake_write w = {root, path, value,
			       (int)write_count == env_number("PCIPT_FAKE_HANG_WRITE")};
	return kernel_timed(do_fake_write, &w, timeout_ms);
}

int kernel_read(const struct rootfs *root, const char *path, size_t max, char **ret,
		size_t *ret_size)
{
	char address[HOST_PCI_ADDRESS_MAX + 1];
	if (!rom_attr_of(path, address, sizeof(address)))
		return rootfs_read(root, path, O_NOFOLLOW, max, ret, ret_size);
	if (!rootfs_exists(root, path))
		return -ENOENT;
	char *on = rom_on_path(address);
	bool enabled = rootfs_exists(root, on);
	free(on);
	if (!enabled)
		return -EINVAL;
	char *image = xasprintf(FAKE_STATE_DIR "/rom-%s", address);
	int r = rootfs_read(root, image, O_NOFOLLOW, max, ret, ret_size);
	free(image);
	return r == -ENOENT ? -EIO : r;
}

int kernel_load_module(const struct rootfs *root, const char *module, unsigned timeout_ms)
{
	(void)timeout_ms;
	if (getenv("PCIPT_FAKE_NO_MODULES"))
		return -ENOENT;
	if (strcmp(module, "vfio-pci") != 0)
		return -ENOENT;
	int r = rootfs_mkdir(root, PATH_SYS_PCI_DRIVERS "/vfio-pci", 0755);
	return r == -EEXIST ? 0 : r;
}

void kernel_host_read_begins(void)
{
	if (env_number("PCIPT_FAKE_HANG_READ") != 1)
		return;
	for (;;)
		pause(); /* only SIGKILL ends it, as it would a process stuck in the kernel */
}
