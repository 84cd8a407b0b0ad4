#include "pins.h"

#include "vmdevices.h"

#include "../host/sysfs.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PINS_HEADER "pcipt-identity 1"
#define PINS_MAX_SIZE (64 * 1024) /* PINS_MAX lines of about 120 bytes, and room */
#define PINS_MAX_LINE 160
#define PINS_EXPECTED "expected 'hostpciN DIGEST ADDRESS VENDOR:DEVICE SUBVENDOR:SUBDEVICE CLASS'"

_Static_assert(SHA256_DIGEST_STRING_LENGTH == PINS_DIGEST_LENGTH + 1, "a SHA-256 in hex");

void pin_identity_of(const struct host_pci_device *d, struct pin_identity *ret)
{
	*ret = (struct pin_identity){d->vendor, d->device, d->subsystem_vendor, d->subsystem_device,
				     d->class_code};
}

bool pin_identity_equal(const struct pin_identity *a, const struct pin_identity *b)
{
	return a->vendor == b->vendor && a->device == b->device &&
	       a->subsystem_vendor == b->subsystem_vendor &&
	       a->subsystem_device == b->subsystem_device && a->class_code == b->class_code;
}

char *pin_identity_describe(const struct pin_identity *id, const struct host_pci *pci)
{
	/* a card that may be on no host any more: named from pci.ids by its ids, as
	 * host_pci_name names a device (it caches the name in the device it is given) */
	struct host_pci_device d = {.vendor = id->vendor,
				    .device = id->device,
				    .subsystem_vendor = id->subsystem_vendor,
				    .subsystem_device = id->subsystem_device,
				    .class_code = id->class_code};
	char *s = xasprintf("%04x:%04x (subsystem %04x:%04x, class %06x, %s)", id->vendor,
			    id->device, id->subsystem_vendor, id->subsystem_device, id->class_code,
			    host_pci_name(pci, &d));
	free(d.name);
	return s;
}

void pins_line_digest(const char *value, char ret[PINS_DIGEST_LENGTH + 1])
{
	SHA256Data((const uint8_t *)value, strlen(value), ret);
}

static bool pinned(const struct pins *p, int hostpci, const char *address)
{
	for (size_t i = 0; i < p->count; i++) {
		if (p->items[i].hostpci == hostpci && strcmp(p->items[i].address, address) == 0)
			return true;
	}
	return false;
}

/* A line Proxmox takes its devices from by address: host=, not mapping= */
static bool raw_line(const struct pve_vm *vm, int hostpci)
{
	if (hostpci < 0 || hostpci >= PVE_MAX_HOSTPCI)
		return false;
	const struct pve_hostpci_setting *s = &vm->hostpci[hostpci];
	return s->raw.set && s->raw.value && !s->dev.mapping && s->dev.id_count > 0;
}

int pins_from_devices(const struct pve_vm *vm, long vmid, const struct vm_devices *devices,
		      struct pins *ret)
{
	ret->vmid = vmid;
	ret->count = 0;
	for (size_t i = 0; i < devices->count; i++) {
		const struct vm_device *vd = &devices->items[i];
		if (vd->map || !raw_line(vm, vd->hostpci) ||
		    pinned(ret, vd->hostpci, vd->dev->address))
			continue;
		if (ret->count == PINS_MAX)
			return -E2BIG;
		struct pin *pin = &ret->items[ret->count++];
		memset(pin, 0, sizeof(*pin));
		pin->hostpci = vd->hostpci;
		pins_line_digest(vm->hostpci[vd->hostpci].raw.value, pin->line_digest);
		snprintf(pin->address, sizeof(pin->address), "%s", vd->dev->address);
		pin_identity_of(vd->dev, &pin->id);
	}
	return 0;
}

bool pin_is_live(const struct pin *pin, const struct pve_vm *vm)
{
	if (!raw_line(vm, pin->hostpci))
		return false;
	char digest[PINS_DIGEST_LENGTH + 1];
	pins_line_digest(vm->hostpci[pin->hostpci].raw.value, digest);
	return strcmp(digest, pin->line_digest) == 0;
}

char *pins_path(long vmid)
{
	return xasprintf(PATH_PCIPT_IDENTITY_DIR "/%ld", vmid);
}

/* --- the text ---------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(struct pcipt_error *err, unsigned line,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, -EINVAL, line, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The next line without its '\n' into buf; false when there is no '\n' or it does not fit. */
static bool take_line(const char **p, const char *end, char *buf, size_t size, const char **why)
{
	const char *eol = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = eol ? (size_t)(eol - *p) : (size_t)(end - *p);
	if (n >= size) {
		*why = "too long for a pin";
		return false;
	}
	if (!eol) {
		*why = "no line end (the file was cut short)";
		return false;
	}
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = eol + 1;
	return true;
}

/* exactly digits lowercase hex digits */
static bool hex_exactly(const char *s, size_t digits, unsigned *ret)
{
	if (strlen(s) != digits || strspn(s, "0123456789abcdef") != digits)
		return false;
	*ret = (unsigned)strtoul(s, NULL, 16);
	return true;
}

/* "VVVV:DDDD" */
static bool id_pair(char *s, unsigned *a, unsigned *b)
{
	char *colon = strchr(s, ':');
	if (!colon)
		return false;
	*colon = '\0';
	return hex_exactly(s, 4, a) && hex_exactly(colon + 1, 4, b);
}

/* "hostpciN" with N 0..15 as Proxmox writes it (no leading zero) */
static bool hostpci_key(const char *s, int *ret)
{
	if (strncmp(s, "hostpci", 7) != 0)
		return false;
	const char *n = s + 7;
	size_t len = strlen(n);
	if (len < 1 || len > 2 || strspn(n, "0123456789") != len || (len == 2 && n[0] == '0'))
		return false;
	int v = atoi(n);
	if (v >= PVE_MAX_HOSTPCI)
		return false;
	*ret = v;
	return true;
}

static int parse_pin(char *line, unsigned number, struct pins *p, struct pcipt_error *err)
{
	/* six fields, one space apart: a doubled space or a trailing one is no file of ours */
	char *fields[6];
	size_t n = 0;
	for (char *s = line;; s++) {
		if (n == 6)
			return fail(err, number, PINS_EXPECTED);
		fields[n++] = s;
		s = strchr(s, ' ');
		if (!s)
			break;
		*s = '\0';
	}
	struct pin pin = {0};
	if (n != 6 || !hostpci_key(fields[0], &pin.hostpci) ||
	    strlen(fields[1]) != PINS_DIGEST_LENGTH ||
	    strspn(fields[1], "0123456789abcdef") != PINS_DIGEST_LENGTH ||
	    strlen(fields[2]) > HOST_PCI_ADDRESS_MAX || !host_is_pci_address(fields[2]) ||
	    !id_pair(fields[3], &pin.id.vendor, &pin.id.device) ||
	    !id_pair(fields[4], &pin.id.subsystem_vendor, &pin.id.subsystem_device) ||
	    !hex_exactly(fields[5], 6, &pin.id.class_code))
		return fail(err, number, PINS_EXPECTED);
	memcpy(pin.line_digest, fields[1], PINS_DIGEST_LENGTH + 1);
	memcpy(pin.address, fields[2], strlen(fields[2]) + 1);
	if (pinned(p, pin.hostpci, pin.address))
		return fail(err, number, "hostpci%d %s is pinned twice", pin.hostpci, pin.address);
	if (p->count == PINS_MAX)
		return fail(err, number, "more than %d pins", PINS_MAX);
	p->items[p->count++] = pin;
	return 0;
}

int pins_parse(const char *text, size_t size, long vmid, struct pins *ret, struct pcipt_error *err)
{
	const char *nul = memchr(text, '\0', size);
	if (nul) {
		unsigned line = 1;
		for (const char *c = text; c < nul; c++)
			line += *c == '\n';
		return fail(err, line, "a NUL byte: not pcipt's identity pins");
	}
	const char *p = text, *end = text + size, *why;
	char line[PINS_MAX_LINE];
	if (size == 0)
		return fail(err, 1,
			    "empty: not pcipt's identity pins (expected '" PINS_HEADER "')");
	if (!take_line(&p, end, line, sizeof(line), &why))
		return fail(err, 1, "%s", why);
	if (strcmp(line, PINS_HEADER) != 0)
		return fail(err, 1, "not pcipt's identity pins (expected '" PINS_HEADER "')");
	if (!take_line(&p, end, line, sizeof(line), &why))
		return fail(err, 2, "%s", why);
	char expected[32];
	snprintf(expected, sizeof(expected), "vmid %ld", vmid);
	if (strcmp(line, expected) != 0)
		return fail(err, 2, "expected '%s'", expected);
	struct pins *pins = xcalloc(1, sizeof(*pins));
	pins->vmid = vmid;
	unsigned number = 2;
	int r = 0;
	while (r == 0 && p < end) {
		number++;
		if (!take_line(&p, end, line, sizeof(line), &why))
			r = fail(err, number, "%s", why);
		else
			r = parse_pin(line, number, pins, err);
	}
	if (r == 0)
		*ret = *pins;
	free(pins);
	return r;
}

char *pins_format(const struct pins *p)
{
	size_t cap = 64 + p->count * PINS_MAX_LINE;
	char *text = xmalloc(cap), *s = text;
	s += snprintf(s, cap, PINS_HEADER "\nvmid %ld\n", p->vmid);
	for (size_t i = 0; i < p->count; i++) {
		const struct pin *pin = &p->items[i];
		s += snprintf(s, cap - (size_t)(s - text),
			      "hostpci%d %s %s %04x:%04x %04x:%04x %06x\n", pin->hostpci,
			      pin->line_digest, pin->address, pin->id.vendor, pin->id.device,
			      pin->id.subsystem_vendor, pin->id.subsystem_device,
			      pin->id.class_code);
	}
	return text;
}

/* --- the file ---------------------------------------------------------------------------- */

int pins_read(const struct rootfs *root, long vmid, struct pins *ret, struct pcipt_error *err)
{
	ret->vmid = vmid;
	ret->count = 0;
	error_clear(err);
	int dir = rootfs_open_state_dir(root, PATH_PCIPT_IDENTITY_DIR, false, 0755, err);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	char name[24];
	snprintf(name, sizeof(name), "%ld", vmid);
	/* O_NONBLOCK: a named pipe put there never makes a start wait */
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int e = errno;
	close(dir);
	int r = 0;
	struct stat st;
	if (fd < 0 && e == ENOENT) {
		r = 0;
	} else if (fd < 0) {
		r = -e;
		if (e == ELOOP)
			error_set(err, r, "a symbolic link; refusing it");
		else
			error_set(err, r, "cannot read it: %s", strerror(e));
	} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = error_set(err, -EINVAL, "not a regular file; refusing it");
	} else if (st.st_mode & 022) {
		/* what another user could have written decides nothing */
		r = error_set(err, -EPERM,
			      "mode %04o: writable by others than its owner; refusing it",
			      (unsigned)(st.st_mode & 07777));
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		r = error_set(err, -EPERM, "owned by uid %u, neither root nor uid %u; refusing it",
			      (unsigned)st.st_uid, (unsigned)geteuid());
	} else {
		char *text;
		size_t size;
		r = rootfs_read_fd(fd, PINS_MAX_SIZE, &text, &size);
		if (r == -EFBIG)
			error_set(err, r, "larger than pcipt ever writes there; refusing it");
		else if (r < 0)
			error_set(err, r, "cannot read it: %s", strerror(-r));
		else {
			r = pins_parse(text, size, vmid, ret, err);
			free(text);
		}
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int pins_write(const struct rootfs *root, const struct pins *p, bool replace_unreadable,
	       struct pcipt_error *err)
{
	error_clear(err);
	if (!replace_unreadable) {
		struct pins *old = xmalloc(sizeof(*old));
		int r = pins_read(root, p->vmid, old, err);
		free(old);
		if (r < 0) {
			size_t n = strlen(err->message);
			snprintf(err->message + n, sizeof(err->message) - n, "; not replaced");
			return r;
		}
	}
	char name[24];
	snprintf(name, sizeof(name), "%ld", p->vmid);
	int dir = rootfs_open_state_dir(root, PATH_PCIPT_IDENTITY_DIR, p->count > 0, 0755, err);
	if (dir == -ENOENT)
		return 0; /* nothing pinned, and nothing to remove */
	if (dir < 0)
		return dir;
	int r;
	const char *doing;
	if (p->count == 0) {
		doing = "remove";
		r = unlinkat(dir, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	} else {
		doing = "write";
		char *text = pins_format(p);
		r = rootfs_replace_at(dir, name, text, strlen(text), 0644);
		free(text);
	}
	close(dir);
	if (r < 0)
		error_set(err, r, "cannot %s it: %s", doing, strerror(-r));
	return r;
}
