#include "state.h"

#include "../lib/rootpath.h"
#include "../lib/xalloc.h"

#include <ctype.h>
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

#define STATE_MAX_SIZE (64 * 1024)

__attribute__((format(printf, 2, 3))) static int fail(struct hook_error *err, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool state_driver_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n < STATE_MAX_DRIVER &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static char *state_path(const char *root, const char *dir, long vmid)
{
	char *d = root_join(root, dir);
	char *p = xasprintf("%s/%ld.state", d, vmid);
	free(d);
	return p;
}

/* The directories above path (a full path), made 0755 where missing: /run/lock and /run exist
 * on a real host, a fake or captured root may lack them. */
static void make_parents(const char *full)
{
	char *copy = xstrdup(full);
	for (char *p = copy + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		(void)mkdir(copy, 0755);
		*p = '/';
	}
	free(copy);
}

/* The state directory exists and is a real directory (not a link someone planted). */
static int ensure_dir(const char *full, struct hook_error *err)
{
	make_parents(full);
	if (mkdir(full, 0700) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(err->message, sizeof(err->message), "cannot create %s: %s", full,
			 strerror(e));
		return -e;
	}
	struct stat st;
	if (lstat(full, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err->message, sizeof(err->message),
			 "%s is not a directory (a link or a file is in its place)", full);
		return -ENOTDIR;
	}
	return 0;
}

int state_write(const char *root, const char *dir, const struct hook_state *s,
		struct hook_error *err)
{
	char *d = root_join(root, dir);
	int r = ensure_dir(d, err);
	if (r < 0) {
		free(d);
		return r;
	}
	char *final = xasprintf("%s/%ld.state", d, s->vmid);
	char *tmp = xasprintf("%s/.%ld.state.%ld", d, s->vmid, (long)getpid());
	/* O_EXCL with O_NOFOLLOW: a planted file or link at the name makes this fail */
	(void)unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(err->message, sizeof(err->message), "cannot create %s: %s", tmp,
			 strerror(-r));
		goto out;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		(void)unlink(tmp);
		snprintf(err->message, sizeof(err->message), "cannot write %s: %s", tmp,
			 strerror(-r));
		goto out;
	}
	fprintf(f, "pcipt-state 1\nvmid %ld\n", s->vmid);
	for (size_t i = 0; i < s->count; i++)
		fprintf(f, "device %s %s\n", s->devices[i].address,
			s->devices[i].driver[0] ? s->devices[i].driver : "-");
	bool ok = fflush(f) == 0 && fsync(fd) == 0;
	int e = errno;
	if (fclose(f) != 0 && ok) {
		ok = false;
		e = errno;
	}
	if (!ok || rename(tmp, final) < 0) {
		r = -(ok ? errno : e);
		snprintf(err->message, sizeof(err->message), "cannot write %s: %s", final,
			 strerror(-r));
		(void)unlink(tmp);
		goto out;
	}
	int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd); /* the rename itself survives a crash */
		close(dfd);
	}
	r = 0;
out:
	free(final);
	free(tmp);
	free(d);
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

int state_parse(const char *text, size_t size, long vmid, struct hook_state *ret,
		struct hook_error *err)
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
	    sscanf(line, "vmid %ld%c", &file_vmid, &extra) != 1 || file_vmid <= 0)
		return fail(err, "line 2: expected 'vmid N'");
	if (file_vmid != vmid)
		return fail(err, "line 2: the state is VM %ld's, not VM %ld's", file_vmid, vmid);
	struct hook_state *s = xcalloc(1, sizeof(*s));
	s->vmid = vmid;
	unsigned number = 2;
	while (p < end) {
		number++;
		char address[HOST_PCI_ADDRESS_MAX + 2], driver[STATE_MAX_DRIVER + 1];
		if (!take_line(&p, end, line, sizeof(line)) ||
		    sscanf(line, "device %17s %64s%c", address, driver, &extra) != 2 ||
		    strncmp(line, "device ", 7) != 0) {
			free(s);
			return fail(err, "line %u: expected 'device ADDRESS DRIVER'", number);
		}
		if (!host_is_pci_address(address) ||
		    (strcmp(driver, "-") != 0 && !state_driver_name_ok(driver))) {
			free(s);
			return fail(err, "line %u: not a PCI address and a driver name", number);
		}
		for (size_t i = 0; i < s->count; i++) {
			if (strcmp(s->devices[i].address, address) == 0) {
				free(s);
				return fail(err, "line %u: %s is listed twice", number, address);
			}
		}
		if (s->count == STATE_MAX_DEVICES) {
			free(s);
			return fail(err, "more than %d devices", STATE_MAX_DEVICES);
		}
		struct bind_record *rec = &s->devices[s->count++];
		/* both lengths are checked above */
		memcpy(rec->address, address, strlen(address) + 1);
		if (strcmp(driver, "-") != 0)
			memcpy(rec->driver, driver, strlen(driver) + 1);
	}
	*ret = *s;
	free(s);
	return 0;
}

int state_read(const char *root, const char *dir, long vmid, struct hook_state *ret,
	       struct hook_error *err)
{
	char *path = state_path(root, dir, vmid);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			snprintf(err->message, sizeof(err->message),
				 "%s is a symbolic link; refusing it", path);
		else
			snprintf(err->message, sizeof(err->message), "cannot read %s: %s", path,
				 strerror(e));
		free(path);
		return -e;
	}
	struct stat st;
	int r = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = fail(err, "%s is not a regular file; refusing it", path);
	} else if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		r = fail(err, "%s is not pcipt's (owner uid %u, mode %04o; expected uid %u, mode "
			      "0600); refusing it",
			 path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
			 (unsigned)geteuid());
	} else if (st.st_size > STATE_MAX_SIZE) {
		r = fail(err, "%s is %lld bytes, more than any state pcipt writes; refusing it",
			 path, (long long)st.st_size);
	}
	if (r == 0) {
		char *buf = xmalloc(STATE_MAX_SIZE + 1);
		ssize_t n = read(fd, buf, STATE_MAX_SIZE);
		if (n < 0) {
			r = -errno;
			snprintf(err->message, sizeof(err->message), "cannot read %s: %s", path,
				 strerror(-r));
		} else {
			struct hook_error perr;
			r = state_parse(buf, (size_t)n, vmid, ret, &perr);
			if (r < 0)
				snprintf(err->message, sizeof(err->message),
					 "%.150s is corrupt (%.140s); refusing it", path,
					 perr.message);
		}
		free(buf);
	}
	close(fd);
	free(path);
	return r;
}

int state_remove(const char *root, const char *dir, long vmid, struct hook_error *err)
{
	char *path = state_path(root, dir, vmid);
	int r = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	if (r < 0)
		snprintf(err->message, sizeof(err->message), "cannot remove %s: %s", path,
			 strerror(-r));
	free(path);
	return r;
}

int lock_acquire(const char *root, const char *path, unsigned timeout_ms, struct hook_error *err)
{
	char *full = root_join(root, path);
	make_parents(full);
	int fd = open(full, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err->message, sizeof(err->message), "cannot open the lock %s: %s", full,
			 strerror(e));
		free(full);
		return -e;
	}
	/* /run/lock is writable by everyone: a file someone else made there is not our lock */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err->message, sizeof(err->message),
			 "the lock %s is not a regular file of uid %u; remove it", full,
			 (unsigned)geteuid());
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
			snprintf(err->message, sizeof(err->message), "cannot lock %s: %s", full,
				 strerror(e));
			close(fd);
			free(full);
			return -e;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms = (now.tv_sec - start.tv_sec) * 1000LL +
			       (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= timeout_ms) {
			snprintf(err->message, sizeof(err->message),
				 "another pcipt-hook has held %s for %u s", full, timeout_ms / 1000);
			close(fd);
			free(full);
			return -ETIMEDOUT;
		}
		struct timespec pause = {0, 10000000}; /* 10 ms */
		nanosleep(&pause, NULL);
	}
	free(full);
	return fd;
}

void lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}
