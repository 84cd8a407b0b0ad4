#include "state.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static int fail(struct pcipt_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, -EINVAL, 0, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool state_driver_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n < STATE_MAX_DRIVER &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		       n;
}

#define LEDGER_NAME "ledger"
#define LEDGER_MAX_SIZE (LEDGER_MAX_DEVICES * 1024)
#define LEGACY_MAX_SIZE (64 * 1024)

/* Write text to name in the state directory atomically (0600, see rootfs_replace_at). */
static int write_atomically(const struct rootfs *root, const char *name, const char *text,
			    struct pcipt_error *err)
{
	int dir = rootfs_open_state_dir(root, PATH_PCIPT_STATE_DIR, true, 0700, err);
	if (dir < 0)
		return dir;
	int r = rootfs_replace_at(dir, name, text, strlen(text), 0600);
	close(dir);
	if (r < 0) {
		char *shown = rootfs_display_path(root, PATH_PCIPT_STATE_DIR);
		error_set(err, r, "cannot write %s/%s: %s", shown, name, strerror(-r));
		free(shown);
	}
	return r;
}

/* Read a file pcipt wrote in the state directory: not a link, a regular file of ours, mode
 * 0600, at most max bytes.  -ENOENT when there is none; other failures say why (path: how
 * messages name it). */
static int read_ours(const struct rootfs *root, const char *name, const char *path, size_t max,
		     char **ret, size_t *ret_size, struct pcipt_error *err)
{
	int dir = rootfs_open_state_dir(root, PATH_PCIPT_STATE_DIR, false, 0700, err);
	if (dir < 0)
		return dir;
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	int e = errno;
	close(dir);
	if (fd < 0) {
		if (e == ELOOP)
			error_set(err, -e, "%s is a symbolic link; refusing it", path);
		else
			error_set(err, -e, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = fail(err, "%s is not a regular file; refusing it", path);
	} else if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		r = fail(err,
			 "%s is not pcipt's (owner uid %u, mode %04o; expected uid %u, mode "
			 "0600); refusing it",
			 path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			 (unsigned)geteuid());
	} else if ((unsigned long long)st.st_size > max) {
		r = fail(err, "%s is %lld bytes, more than pcipt ever writes there; refusing it",
			 path, (long long)st.st_size);
	}
	if (r == 0) {
		char *buf = xmalloc(max + 1);
		ssize_t n = read(fd, buf, max);
		if (n < 0) {
			r = -errno;
			error_set(err, r, "cannot read %s: %s", path, strerror(-r));
			free(buf);
		} else {
			buf[n] = '\0';
			*ret = buf;
			*ret_size = (size_t)n;
		}
	}
	close(fd);
	return r;
}

static bool take_line(const char **p, const char *end, char *buf, size_t size)
{
	const char *eol = memchr(*p, '\n', (size_t)(end - *p));
	if (!eol)
		return false;
	size_t n = (size_t)(eol - *p);
	if (n >= size)
		return false;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = eol + 1;
	return true;
}

/* "101:1764716400" */
static bool parse_holder(const char *word, struct ledger_holder *ret)
{
	char *end;
	errno = 0;
	long vmid = strtol(word, &end, 10);
	if (errno || end == word || *end != ':' || vmid < 1 || vmid > 999999999 || word[0] == '0' ||
	    !isdigit((unsigned char)word[0]))
		return false;
	const char *t = end + 1;
	long long since = strtoll(t, &end, 10);
	if (errno || end == t || *end || since < 0 || !isdigit((unsigned char)t[0]))
		return false;
	*ret = (struct ledger_holder){vmid, since};
	return true;
}

static int parse_record(char *line, unsigned number, struct ledger *l, struct pcipt_error *err)
{
	char *save = NULL;
	char *word = strtok_r(line, " ", &save);
	char *address = strtok_r(NULL, " ", &save), *driver = strtok_r(NULL, " ", &save);
	if (!word || strcmp(word, "device") != 0 || !address || !driver)
		return fail(err, "line %u: expected 'device ADDRESS DRIVER VMID:TIME...'", number);
	if (strlen(address) > HOST_PCI_ADDRESS_MAX || !host_is_pci_address(address) ||
	    (strcmp(driver, "-") != 0 && !state_driver_name_ok(driver)))
		return fail(err, "line %u: not a PCI address and a driver name", number);
	if (ledger_find(l, address))
		return fail(err, "line %u: %s is listed twice", number, address);
	if (l->count == LEDGER_MAX_DEVICES)
		return fail(err, "more than %d devices", LEDGER_MAX_DEVICES);
	struct ledger_record *rec = &l->records[l->count++];
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->address, address, strlen(address) + 1);
	if (strcmp(driver, "-") != 0)
		memcpy(rec->driver, driver, strlen(driver) + 1);
	for (char *h; (h = strtok_r(NULL, " ", &save));) {
		struct ledger_holder holder;
		if (!parse_holder(h, &holder))
			return fail(err, "line %u: '%.40s' is not VMID:TIME", number, h);
		if (ledger_holds(rec, holder.vmid))
			return fail(err, "line %u: VM %ld holds %s twice", number, holder.vmid,
				    address);
		if (rec->holder_count == LEDGER_MAX_HOLDERS)
			return fail(err, "line %u: more than %d holders", number,
				    LEDGER_MAX_HOLDERS);
		rec->holders[rec->holder_count++] = holder;
	}
	return 0;
}

int ledger_parse(const char *text, size_t size, struct ledger *ret, struct pcipt_error *err)
{
	const char *p = text, *end = text + size;
	char line[LEDGER_MAX_HOLDERS * 24 + 128];
	if (memchr(text, '\0', size))
		return fail(err, "contains a NUL byte");
	if (!take_line(&p, end, line, sizeof(line)) || strcmp(line, "pcipt-ledger 1") != 0)
		return fail(err, "line 1: not a pcipt ledger (expected 'pcipt-ledger 1')");
	struct ledger *l = xcalloc(1, sizeof(*l));
	unsigned number = 1;
	int r = 0;
	while (r == 0 && p < end) {
		number++;
		if (!take_line(&p, end, line, sizeof(line)))
			r = fail(err, "line %u: too long, or no line end", number);
		else
			r = parse_record(line, number, l, err);
	}
	if (r == 0)
		*ret = *l;
	free(l);
	return r;
}

int ledger_read(const struct rootfs *root, struct ledger *ret, struct pcipt_error *err)
{
	char *path = rootfs_display_path(root, PATH_PCIPT_STATE_DIR "/" LEDGER_NAME);
	char *text;
	size_t size;
	int r = read_ours(root, LEDGER_NAME, path, LEDGER_MAX_SIZE, &text, &size, err);
	if (r == -ENOENT) {
		ret->count = 0;
		r = 0;
	} else if (r == 0) {
		struct pcipt_error perr;
		r = ledger_parse(text, size, ret, &perr);
		if (r < 0)
			error_set(err, r, "%.150s is corrupt (%.140s); refusing it", path,
				  perr.message);
		free(text);
	}
	free(path);
	return r;
}

/* Remove name from the state directory; none there is fine. */
static int remove_ours(const struct rootfs *root, const char *name, struct pcipt_error *err)
{
	int dir = rootfs_open_state_dir(root, PATH_PCIPT_STATE_DIR, false, 0700, err);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return dir;
	int r = unlinkat(dir, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	close(dir);
	if (r < 0) {
		char *shown = rootfs_display_path(root, PATH_PCIPT_STATE_DIR);
		error_set(err, r, "cannot remove %s/%s: %s", shown, name, strerror(-r));
		free(shown);
	}
	return r;
}

int ledger_write(const struct rootfs *root, const struct ledger *l, struct pcipt_error *err)
{
	if (l->count == 0)
		return remove_ours(root, LEDGER_NAME, err);
	size_t cap = 32 + l->count * (HOST_PCI_ADDRESS_MAX + STATE_MAX_DRIVER + 16 +
				      LEDGER_MAX_HOLDERS * 32);
	char *text = xmalloc(cap), *p = text;
	p += sprintf(p, "pcipt-ledger 1\n");
	for (size_t i = 0; i < l->count; i++) {
		const struct ledger_record *rec = &l->records[i];
		p += sprintf(p, "device %s %s", rec->address, rec->driver[0] ? rec->driver : "-");
		for (size_t k = 0; k < rec->holder_count; k++)
			p += sprintf(p, " %ld:%lld", rec->holders[k].vmid, rec->holders[k].since);
		*p++ = '\n';
		*p = '\0';
	}
	int r = write_atomically(root, LEDGER_NAME, text, err);
	free(text);
	return r;
}

struct ledger_record *ledger_find(struct ledger *l, const char *address)
{
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->records[i].address, address) == 0)
			return &l->records[i];
	}
	return NULL;
}

struct ledger_record *ledger_take(struct ledger *l, const char *address, const char *driver)
{
	struct ledger_record *rec = ledger_find(l, address);
	if (rec)
		return rec;
	if (l->count == LEDGER_MAX_DEVICES || strlen(address) > HOST_PCI_ADDRESS_MAX)
		return NULL;
	rec = &l->records[l->count++];
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->address, address, strlen(address) + 1);
	if (driver && state_driver_name_ok(driver))
		memcpy(rec->driver, driver, strlen(driver) + 1);
	return rec;
}

bool ledger_holds(const struct ledger_record *rec, long vmid)
{
	for (size_t i = 0; i < rec->holder_count; i++) {
		if (rec->holders[i].vmid == vmid)
			return true;
	}
	return false;
}

bool ledger_hold(struct ledger_record *rec, long vmid, long long since)
{
	for (size_t i = 0; i < rec->holder_count; i++) {
		if (rec->holders[i].vmid == vmid) {
			rec->holders[i].since = since;
			return true;
		}
	}
	if (rec->holder_count == LEDGER_MAX_HOLDERS)
		return false;
	rec->holders[rec->holder_count++] = (struct ledger_holder){vmid, since};
	return true;
}

void ledger_release(struct ledger_record *rec, long vmid)
{
	for (size_t i = 0; i < rec->holder_count; i++) {
		if (rec->holders[i].vmid == vmid) {
			memmove(&rec->holders[i], &rec->holders[i + 1],
				(rec->holder_count - i - 1) * sizeof(rec->holders[0]));
			rec->holder_count--;
			return;
		}
	}
}

void ledger_drop(struct ledger *l, size_t index)
{
	memmove(&l->records[index], &l->records[index + 1],
		(l->count - index - 1) * sizeof(l->records[0]));
	l->count--;
}

/* --- the previous version's per-VM state ------------------------------------------------- */

/* VMID.state, its name in the state directory */
#define LEGACY_NAME_MAX 32
static void legacy_name(long vmid, char name[LEGACY_NAME_MAX])
{
	snprintf(name, LEGACY_NAME_MAX, "%ld.state", vmid);
}

/* how messages name it */
static char *legacy_path(const struct rootfs *root, long vmid)
{
	char name[LEGACY_NAME_MAX];
	legacy_name(vmid, name);
	char *host = xasprintf(PATH_PCIPT_STATE_DIR "/%s", name);
	char *p = rootfs_display_path(root, host);
	free(host);
	return p;
}

/* "pcipt-state 1", "vmid N", then "device ADDRESS DRIVER" lines */
static int legacy_parse(const char *text, size_t size, long vmid, struct ledger *l, long long since,
			struct pcipt_error *err)
{
	const char *p = text, *end = text + size;
	char line[256];
	if (memchr(text, '\0', size))
		return fail(err, "contains a NUL byte");
	if (!take_line(&p, end, line, sizeof(line)) || strcmp(line, "pcipt-state 1") != 0)
		return fail(err, "line 1: not a pcipt state file (expected 'pcipt-state 1')");
	long file_vmid;
	char extra;
	if (!take_line(&p, end, line, sizeof(line)) ||
	    sscanf(line, "vmid %ld%c", &file_vmid, &extra) != 1 || file_vmid != vmid)
		return fail(err, "line 2: expected 'vmid %ld'", vmid);
	unsigned number = 2;
	while (p < end) {
		number++;
		char address[HOST_PCI_ADDRESS_MAX + 2], driver[STATE_MAX_DRIVER + 1];
		if (!take_line(&p, end, line, sizeof(line)) ||
		    sscanf(line, "device %17s %64s%c", address, driver, &extra) != 2 ||
		    strncmp(line, "device ", 7) != 0 || !host_is_pci_address(address) ||
		    (strcmp(driver, "-") != 0 && !state_driver_name_ok(driver)))
			return fail(err, "line %u: expected 'device ADDRESS DRIVER'", number);
		/* a record the ledger has already knows the host driver better */
		struct ledger_record *rec =
			ledger_take(l, address, strcmp(driver, "-") == 0 ? NULL : driver);
		if (!rec || !ledger_hold(rec, vmid, since))
			return fail(err, "more than %d devices or holders", LEDGER_MAX_DEVICES);
	}
	return 0;
}

int ledger_take_legacy(const struct rootfs *root, long vmid, long long since, struct ledger *l,
		       bool *ret_found, struct pcipt_error *err)
{
	*ret_found = false;
	char *path = legacy_path(root, vmid);
	char name[LEGACY_NAME_MAX];
	legacy_name(vmid, name);
	char *text;
	size_t size;
	int r = read_ours(root, name, path, LEGACY_MAX_SIZE, &text, &size, err);
	if (r == -ENOENT) {
		free(path);
		return 0;
	}
	if (r == 0) {
		struct ledger *copy = xmalloc(sizeof(*copy));
		*copy = *l;
		struct pcipt_error perr;
		r = legacy_parse(text, size, vmid, copy, since, &perr);
		if (r < 0)
			error_set(err, r, "%.150s is corrupt (%.140s); refusing it", path,
				  perr.message);
		else
			*l = *copy;
		free(copy);
		free(text);
		*ret_found = r == 0;
	}
	free(path);
	return r;
}

void ledger_forget_legacy(const struct rootfs *root, long vmid)
{
	char name[LEGACY_NAME_MAX];
	legacy_name(vmid, name);
	struct pcipt_error ignored;
	(void)remove_ours(root, name, &ignored);
}

/* The lock this process holds.  A flock belongs to the open file, which fork() shares with the
 * child: a child stuck in the kernel (a sysfs write that never returns, a config-space read of
 * a wedged device) would keep every other hook of the node waiting after its parent gave up
 * on it and exited.  So every child closes its copy first thing (pthread_atfork). */
static int held_lock = -1;

static void drop_lock_in_child(void)
{
	if (held_lock >= 0) {
		close(held_lock);
		held_lock = -1;
	}
}

int lock_acquire(const struct rootfs *root, unsigned timeout_ms, struct pcipt_error *err)
{
	static bool registered;
	if (!registered) {
		registered = pthread_atfork(NULL, NULL, drop_lock_in_child) == 0;
		if (!registered) {
			error_set(err, -ENOMEM,
				  "cannot arrange for child processes to drop the lock");
			return -ENOMEM;
		}
	}
	char *full = rootfs_display_path(root, PATH_PCIPT_LOCK);
	rootfs_mkdir_parents(root, PATH_PCIPT_LOCK, 0755);
	int fd = rootfs_open(root, PATH_PCIPT_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK,
			     0600);
	if (fd < 0) {
		int e = -fd;
		error_set(err, -e, "cannot open the lock %s: %s", full, strerror(e));
		free(full);
		return -e;
	}
	/* /run/lock is writable by everyone: a file someone else made there is not our lock */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		error_set(err, -EPERM, "the lock %s is not a regular file of uid %u; remove it",
			  full, (unsigned)geteuid());
		close(fd);
		free(full);
		return -EPERM;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			error_set(err, -e, "cannot lock %s: %s", full, strerror(e));
			close(fd);
			free(full);
			return -e;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms = (now.tv_sec - start.tv_sec) * 1000LL +
			       (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			error_set(err, -ETIMEDOUT, "another pcipt-hook has held %s for %u s", full,
				  timeout_ms / 1000);
			close(fd);
			free(full);
			return -ETIMEDOUT;
		}
		struct timespec pause = {0, 10000000}; /* 10 ms */
		nanosleep(&pause, NULL);
	}
	free(full);
	held_lock = fd;
	return fd;
}

void lock_release(int fd)
{
	if (fd >= 0) {
		if (fd == held_lock)
			held_lock = -1;
		close(fd); /* closing drops the flock */
	}
}
