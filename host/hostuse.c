#include "hostuse.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOUNTINFO_MAX_SIZE (16u * 1024 * 1024)
#define ROUTE_MAX_SIZE (16u * 1024 * 1024)
#define HOSTUSE_MAX_ITEMS 4096

/* The PCI device a sysfs device path sits under: its last PCI-address component. */
static bool pci_address_in_path(const char *path, char out[HOST_PCI_ADDRESS_MAX + 1])
{
	bool found = false;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len >= 12 && len <= HOST_PCI_ADDRESS_MAX) {
			char part[HOST_PCI_ADDRESS_MAX + 1];
			memcpy(part, p, len);
			part[len] = '\0';
			if (host_is_pci_address(part)) {
				memcpy(out, part, len + 1);
				found = true;
			}
		}
		p += len;
	}
	return found;
}

static void add_use(struct host_uses *u, const char *address, enum host_use_kind kind,
		    const char *what)
{
	if (u->count >= HOSTUSE_MAX_ITEMS)
		return;
	for (size_t i = 0; i < u->count; i++) {
		if (u->items[i].kind == kind && strcmp(u->items[i].address, address) == 0 &&
		    strcmp(u->items[i].what, what) == 0)
			return;
	}
	u->items = xrealloc(u->items, (u->count + 1) * sizeof(*u->items));
	struct host_use *it = &u->items[u->count++];
	snprintf(it->address, sizeof(it->address), "%s", address);
	it->kind = kind;
	it->what = xstrdup(what);
}

/* One trace (a mount or a route) follows links through /sys; a hostile or broken tree can
 * make them a loop or a fan (a bridge listing itself as its lower device eight times).  Each
 * trace visits a real path once and at most HOSTUSE_MAX_VISITS paths in all. */
struct trace {
	char *visited[HOSTUSE_MAX_VISITS];
	size_t count;
};

/* false when real was seen already or the budget is spent; else records it */
static bool trace_visit(struct trace *t, const char *real)
{
	for (size_t i = 0; i < t->count; i++) {
		if (strcmp(t->visited[i], real) == 0)
			return false;
	}
	if (t->count == HOSTUSE_MAX_VISITS)
		return false;
	t->visited[t->count++] = xstrdup(real);
	return true;
}

static void trace_done(struct trace *t)
{
	for (size_t i = 0; i < t->count; i++)
		free(t->visited[i]);
	t->count = 0;
}

/* --- block devices ------------------------------------------------------------------------ */

/* rootfs_list() on a trace: a directory too large to list is remembered, not skipped */
static int list_traced(const struct rootfs *root, const char *path, char ***ret_names,
		       size_t *ret_count, struct host_uses *u)
{
	int r = rootfs_list(root, path, ret_names, ret_count);
	if (r == -E2BIG && !u->unlisted)
		u->unlisted = xasprintf("%s: %s", path, host_list_error(r));
	return r;
}

/* Follow a block device (a sysfs path) down to the PCI devices under it.  chain names the
 * stacked devices seen so far, for the message. */
static void trace_block(const struct rootfs *root, const char *sys_path, const char *what,
			const char *chain, unsigned depth, struct trace *t, struct host_uses *u)
{
	if (depth > HOSTUSE_MAX_DEPTH)
		return;
	char *real = NULL;
	(void)rootfs_resolve(root, sys_path, &real);
	if (!real)
		return;
	if (!trace_visit(t, real)) {
		free(real);
		return;
	}
	char address[HOST_PCI_ADDRESS_MAX + 1];
	const char *name = strrchr(real, '/');
	name = name ? name + 1 : real;
	char *next_chain = *chain ? xasprintf("%s over %s", chain, name) : xstrdup(name);
	if (pci_address_in_path(real, address)) {
		char *full = xasprintf("%s, %s", what, next_chain);
		add_use(u, address, HOST_USE_MOUNT, full);
		free(full);
	} else if (strstr(real, "/nvme-subsystem/")) {
		/* native NVMe multipath: the disk hangs off its subsystem, whose nvmeN entries
		 * lead to the controllers (and their PCI functions) */
		const char *sub = strstr(real, "/nvme-subsystem/") + strlen("/nvme-subsystem/");
		char *subsystem = xstrndup(real, (size_t)(sub - real) + strcspn(sub, "/"));
		char **names;
		size_t n;
		if (list_traced(root, subsystem, &names, &n, u) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (strncmp(names[i], "nvme", 4) != 0 || !names[i][4] ||
				    strspn(names[i] + 4, "0123456789") != strlen(names[i] + 4))
					continue;
				char *ctrl = xasprintf("%s/%s", subsystem, names[i]);
				trace_block(root, ctrl, what, next_chain, depth + 1, t, u);
				free(ctrl);
			}
			rootfs_free_names(names, n);
		}
		free(subsystem);
	} else {
		char *slaves_dir = xasprintf("%s/slaves", real);
		char **names;
		size_t n;
		if (list_traced(root, slaves_dir, &names, &n, u) == 0) {
			for (size_t i = 0; i < n; i++) {
				char *slave = xasprintf("%s/%s", slaves_dir, names[i]);
				trace_block(root, slave, what, next_chain, depth + 1, t, u);
				free(slave);
			}
			rootfs_free_names(names, n);
		}
		free(slaves_dir);
	}
	free(next_chain);
	free(real);
}

static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* One unsigned decimal number of a field, no sign or blanks, at most UINT_MAX. */
static bool parse_uint(const char *start, size_t len, unsigned *ret)
{
	if (len == 0 || len > 10)
		return false;
	unsigned long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (start[i] < '0' || start[i] > '9')
			return false;
		v = v * 10 + (unsigned)(start[i] - '0');
	}
	if (v > UINT_MAX)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* The whole third field as the kernel prints it (show_mountinfo: "%u:%u"): nothing may
 * follow the minor number ("8:2x" names no device). */
static bool parse_device_field(const char *start, size_t len, unsigned *major, unsigned *minor)
{
	const char *colon = memchr(start, ':', len);
	if (!colon)
		return false;
	size_t major_len = (size_t)(colon - start);
	return parse_uint(start, major_len, major) &&
	       parse_uint(colon + 1, len - major_len - 1, minor);
}

static bool copy_field(const char *start, size_t len, char *out, size_t size)
{
	if (len == 0 || len >= size)
		return false;
	memcpy(out, start, len);
	out[len] = '\0';
	return true;
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
int mountinfo_parse_line(const char *line, unsigned *major, unsigned *minor, char *mount_point,
			 size_t mp_size, char *fstype, size_t fs_size, char *source,
			 size_t src_size)
{
	const char *fields[64];
	size_t lens[64], n = 0;
	for (const char *p = line; *p && *p != '\n' && n < 64;) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		fields[n] = p;
		lens[n] = strcspn(p, " \n");
		p += lens[n++];
	}
	size_t sep = 0;
	for (size_t i = 6; i < n; i++) {
		if (lens[i] == 1 && fields[i][0] == '-') {
			sep = i;
			break;
		}
	}
	if (n < 7 || !sep || sep + 2 >= n) /* fstype and source follow the separator */
		return -EINVAL;
	if (!parse_device_field(fields[2], lens[2], major, minor))
		return -EINVAL;
	if (!copy_field(fields[4], lens[4], mount_point, mp_size) ||
	    !copy_field(fields[sep + 1], lens[sep + 1], fstype, fs_size) ||
	    !copy_field(fields[sep + 2], lens[sep + 2], source, src_size))
		return -EINVAL;
	unescape_octal(mount_point);
	unescape_octal(source);
	return 0;
}

/* Whether a udev database entry (/run/udev/data/bMAJ:MIN) says the block device is a member
 * of the ZFS pool named pool. */
static bool udev_zfs_member_of(const struct rootfs *root, const char *entry, const char *pool)
{
	char *path = xasprintf(PATH_UDEV_DATA "/%s", entry);
	char *text;
	size_t size;
	int r = rootfs_read(root, path, 0, 64 * 1024, &text, &size);
	free(path);
	if (r < 0)
		return false;
	char *label = xasprintf("\nE:ID_FS_LABEL=%s\n", pool);
	/* the file starts with its own first line; a leading newline lets strstr match it too */
	char *framed = xasprintf("\n%s\n", text);
	bool member = strstr(framed, "\nE:ID_FS_TYPE=zfs_member\n") && strstr(framed, label);
	free(framed);
	free(label);
	free(text);
	return member;
}

/* A ZFS dataset ("rpool/ROOT/pve-1") has an anonymous device number: its disks are the block
 * devices udev knows as members of the pool (ID_FS_TYPE=zfs_member, ID_FS_LABEL=POOL), which
 * is how the default Proxmox ZFS install is traced to its controllers. */
static void trace_zfs_dataset(const struct rootfs *root, const char *source, const char *what,
			      struct host_uses *u)
{
	char *pool = xstrndup(source, strcspn(source, "/"));
	char **names;
	size_t n;
	if (*pool && list_traced(root, PATH_UDEV_DATA, &names, &n, u) == 0) {
		struct trace t = {0};
		for (size_t i = 0; i < n; i++) {
			unsigned major, minor;
			char end;
			if (sscanf(names[i], "b%u:%u%c", &major, &minor, &end) != 2 ||
			    !udev_zfs_member_of(root, names[i], pool))
				continue;
			char *sys = xasprintf(PATH_SYS_DEV_BLOCK "/%u:%u", major, minor);
			trace_block(root, sys, what, "", 0, &t, u);
			free(sys);
		}
		trace_done(&t);
		rootfs_free_names(names, n);
	}
	free(pool);
}

static void load_mounts(const struct rootfs *root, struct host_uses *u)
{
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_MOUNTINFO, 0, MOUNTINFO_MAX_SIZE, &text, &size) < 0)
		return;
	for (char *line = text; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		unsigned major, minor;
		char mp[512], fstype[64], source[512];
		/* major 0 is the kernel's anonymous devices: proc and tmpfs, but also ZFS datasets
		 * and btrfs subvolumes, whose disks are found another way */
		if (mountinfo_parse_line(line, &major, &minor, mp, sizeof(mp), fstype,
					 sizeof(fstype), source, sizeof(source)) == 0) {
			char *what = xasprintf("%s (%s on %s", mp, fstype, source);
			char *sys = NULL;
			if (major != 0)
				sys = xasprintf(PATH_SYS_DEV_BLOCK "/%u:%u", major, minor);
			else if (strcmp(fstype, "btrfs") == 0 && strncmp(source, "/dev/", 5) == 0 &&
				 !strchr(source + 5, '/'))
				sys = xasprintf(PATH_SYS_CLASS_BLOCK "/%s", source + 5);
			else if (strcmp(fstype, "zfs") == 0)
				trace_zfs_dataset(root, source, what, u);
			if (sys) {
				struct trace t = {0};
				trace_block(root, sys, what, "", 0, &t, u);
				trace_done(&t);
				free(sys);
			}
			free(what);
		}
		line = eol ? eol + 1 : NULL;
	}
	free(text);
}

/* Close the parenthesis opened by load_mounts in every mount use. */
static void finish_mount_texts(struct host_uses *u)
{
	for (size_t i = 0; i < u->count; i++) {
		if (u->items[i].kind != HOST_USE_MOUNT)
			continue;
		char *closed = xasprintf("%s)", u->items[i].what);
		free(u->items[i].what);
		u->items[i].what = closed;
	}
}

/* --- network ------------------------------------------------------------------------------ */

static void trace_interface(const struct rootfs *root, const char *ifname, const char *what,
			    const char *chain, unsigned depth, struct trace *t, struct host_uses *u)
{
	if (depth > HOSTUSE_MAX_DEPTH || strchr(ifname, '/') || ifname[0] == '.')
		return;
	char *path = xasprintf(PATH_SYS_CLASS_NET "/%s", ifname);
	char *real = NULL;
	(void)rootfs_resolve(root, path, &real);
	free(path);
	if (!real)
		return;
	if (!trace_visit(t, real)) {
		free(real);
		return;
	}
	char *next_chain = depth == 0 ? xstrdup("")
			   : *chain   ? xasprintf("%s, %s", chain, ifname)
				      : xstrdup(ifname);
	char address[HOST_PCI_ADDRESS_MAX + 1];
	if (pci_address_in_path(real, address)) {
		char *full = *next_chain ? xasprintf("%s, over %s)", what, next_chain)
					 : xasprintf("%s)", what);
		add_use(u, address, HOST_USE_ROUTE, full);
		free(full);
	} else {
		char **names;
		size_t n;
		if (list_traced(root, real, &names, &n, u) == 0) {
			for (size_t i = 0; i < n; i++) {
				if (strncmp(names[i], "lower_", 6) == 0)
					trace_interface(root, names[i] + 6, what, next_chain,
							depth + 1, t, u);
			}
			rootfs_free_names(names, n);
		}
	}
	free(next_chain);
	free(real);
}

static void add_route_interface(char ***names, size_t *count, const char *ifname)
{
	for (size_t i = 0; i < *count; i++) {
		if (strcmp((*names)[i], ifname) == 0)
			return;
	}
	if (*count >= 64)
		return;
	*names = xrealloc(*names, (*count + 1) * sizeof(**names));
	(*names)[(*count)++] = xstrdup(ifname);
}

/* Interfaces of default routes: /proc/net/route lines with destination and mask 0 and the
 * RTF_UP flag; /proc/net/ipv6_route lines for ::/0. */
static void default_route_interfaces(const struct rootfs *root, char ***names, size_t *count)
{
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_ROUTE, 0, ROUTE_MAX_SIZE, &text, &size) == 0) {
		char *save = NULL;
		bool header = true;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (header) {
				header = false;
				continue;
			}
			char ifname[64];
			unsigned dest, gateway, flags, mask;
			int refcnt, use, metric;
			if (sscanf(line, "%63s %x %x %x %d %d %d %x", ifname, &dest, &gateway,
				   &flags, &refcnt, &use, &metric, &mask) == 8 &&
			    dest == 0 && mask == 0 && (flags & 1))
				add_route_interface(names, count, ifname);
		}
		free(text);
	}
	if (rootfs_read(root, PATH_PROC_IPV6_ROUTE, 0, ROUTE_MAX_SIZE, &text, &size) == 0) {
		char *save = NULL;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char dest[40], plen[4], ifname[64];
			/* dest plen src splen nexthop metric refcnt use flags devname */
			if (sscanf(line, "%39s %3s %*s %*s %*s %*s %*s %*s %*s %63s", dest, plen,
				   ifname) == 3 &&
			    strspn(dest, "0") == 32 && strcmp(plen, "00") == 0 &&
			    strcmp(ifname, "lo") != 0)
				add_route_interface(names, count, ifname);
		}
		free(text);
	}
}

static void load_routes(const struct rootfs *root, struct host_uses *u)
{
	char **names = NULL;
	size_t count = 0;
	default_route_interfaces(root, &names, &count);
	for (size_t i = 0; i < count; i++) {
		char *what = xasprintf("%s (the interface of the default route", names[i]);
		struct trace t = {0};
		trace_interface(root, names[i], what, "", 0, &t, u);
		trace_done(&t);
		free(what);
	}
	rootfs_free_names(names, count);
}

void host_uses_load(const struct rootfs *root, struct host_uses *ret)
{
	struct host_uses u = {0};
	load_mounts(root, &u);
	finish_mount_texts(&u);
	load_routes(root, &u);
	*ret = u;
}

void host_uses_free(struct host_uses *u)
{
	for (size_t i = 0; i < u->count; i++)
		free(u->items[i].what);
	free(u->items);
	free(u->unlisted);
	*u = (struct host_uses){0};
}

const struct host_use *host_uses_find(const struct host_uses *u, const char *address)
{
	for (size_t i = 0; i < u->count; i++) {
		if (strcmp(u->items[i].address, address) == 0)
			return &u->items[i];
	}
	return NULL;
}
