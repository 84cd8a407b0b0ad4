#include "runstate.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNSTATE_MAX_FILE (1024u * 1024)
#define RUNSTATE_MAX_ITEMS 65536

static bool parse_long(const char *s, size_t len, long long *ret)
{
	if (len == 0 || len > 18 || strspn(s, "0123456789") < len)
		return false;
	long long v = 0;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	*ret = v;
	return true;
}

/* m/^($PCIRE)\s(\d+)\s(time|pid)\:(\d+)$/ with a full address, as qemu-server writes */
static bool parse_reservation(const char *line, size_t len, struct host_reservation *r)
{
	char buf[128];
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	char *sp1 = strchr(buf, ' ');
	if (!sp1 || sp1 - buf < 12 || sp1 - buf > HOST_PCI_ADDRESS_MAX)
		return false;
	*sp1 = '\0';
	if (!host_is_pci_address(buf))
		return false;
	char *vmid = sp1 + 1, *sp2 = strchr(vmid, ' ');
	if (!sp2)
		return false;
	long long v;
	if (!parse_long(vmid, (size_t)(sp2 - vmid), &v))
		return false;
	const char *kind = sp2 + 1;
	const char *value;
	if (strncmp(kind, "pid:", 4) == 0) {
		r->by_pid = true;
		value = kind + 4;
	} else if (strncmp(kind, "time:", 5) == 0) {
		r->by_pid = false;
		value = kind + 5;
	} else {
		return false;
	}
	if (!parse_long(value, strlen(value), &r->value))
		return false;
	memcpy(r->address, buf, (size_t)(sp1 - buf) + 1);
	r->vmid = (long)v;
	r->live = false;
	return true;
}

void runstate_parse_reservations(const char *text, struct host_runstate *into)
{
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		struct host_reservation r;
		if (into->reservation_count < RUNSTATE_MAX_ITEMS && parse_reservation(p, len, &r)) {
			into->reservations =
				xrealloc(into->reservations, (into->reservation_count + 1) *
								     sizeof(*into->reservations));
			into->reservations[into->reservation_count++] = r;
		}
		p += len;
		if (*p)
			p++;
	}
}

/* The vfio-pci host= addresses of a QEMU command line (NUL-separated words); false when the
 * process is not the QEMU of vmid ("-id VMID", as qemu-server starts it). */
static bool parse_qemu_cmdline(const char *data, size_t size, long vmid, char ***devices,
			       size_t *count)
{
	bool id_matches = false;
	const char *prev = NULL;
	char want[32];
	snprintf(want, sizeof(want), "%ld", vmid);
	for (size_t off = 0; off < size;) {
		const char *word = data + off;
		size_t len = strnlen(word, size - off);
		if (prev && strcmp(prev, "-id") == 0 && strcmp(word, want) == 0)
			id_matches = true;
		if (strncmp(word, "vfio-pci,", 9) == 0 && prev && strcmp(prev, "-device") == 0) {
			const char *host = strstr(word, ",host=");
			if (host && *count < 256) {
				char addr[HOST_PCI_ADDRESS_MAX + 1];
				size_t alen = strcspn(host + 6, ",");
				if (alen >= 12 && alen <= HOST_PCI_ADDRESS_MAX) {
					memcpy(addr, host + 6, alen);
					addr[alen] = '\0';
					if (host_is_pci_address(addr)) {
						*devices = xrealloc(
							*devices, (*count + 1) * sizeof(**devices));
						(*devices)[(*count)++] = xstrdup(addr);
					}
				}
			}
		}
		prev = word;
		off += len + 1;
	}
	return id_matches;
}

static void load_running(const struct rootfs *root, struct host_runstate *s)
{
	char **names;
	size_t n;
	int listed = rootfs_list(root, PATH_QEMU_RUN_DIR, &names, &n);
	if (listed < 0) {
		if (listed != -ENOENT)
			s->unlisted =
				xasprintf("%s: %s", PATH_QEMU_RUN_DIR, host_list_error(listed));
		return;
	}
	for (size_t i = 0; i < n && s->vm_count < RUNSTATE_MAX_ITEMS; i++) {
		size_t len = strlen(names[i]);
		long long vmid, pid;
		if (len < 5 || strcmp(names[i] + len - 4, ".pid") != 0 ||
		    !parse_long(names[i], len - 4, &vmid))
			continue;
		char *pidfile = xasprintf(PATH_QEMU_RUN_DIR "/%s", names[i]);
		long long value;
		int r = host_read_number(root, pidfile, &value);
		free(pidfile);
		if (r < 0 || value <= 0)
			continue;
		pid = value;
		char *cmdline_path = xasprintf(PATH_PROC "/%lld/cmdline", pid);
		char *data;
		size_t size;
		r = rootfs_read(root, cmdline_path, 0, RUNSTATE_MAX_FILE, &data, &size);
		free(cmdline_path);
		if (r < 0)
			continue;
		char **devices = NULL;
		size_t count = 0;
		if (parse_qemu_cmdline(data, size, (long)vmid, &devices, &count)) {
			s->vms = xrealloc(s->vms, (s->vm_count + 1) * sizeof(*s->vms));
			s->vms[s->vm_count++] =
				(struct host_running_vm){(long)vmid, (long)pid, devices, count};
		} else {
			rootfs_free_names(devices, count);
		}
		free(data);
	}
	rootfs_free_names(names, n);
}

void host_runstate_load(const struct rootfs *root, long long now, struct host_runstate *ret)
{
	struct host_runstate s = {0};
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PCI_RESERVATIONS, 0, RUNSTATE_MAX_FILE, &text, &size) == 0) {
		runstate_parse_reservations(text, &s);
		free(text);
	}
	load_running(root, &s);
	/* qemu-server honours a pid: reservation only while that VM runs with that pid (a pid
	 * file, a QEMU with its -id); else it takes the "leftover" reservation over */
	for (size_t i = 0; i < s.reservation_count; i++) {
		struct host_reservation *r = &s.reservations[i];
		r->live = !r->by_pid && r->value > now;
		for (size_t k = 0; r->by_pid && k < s.vm_count; k++)
			r->live |= s.vms[k].vmid == r->vmid && s.vms[k].pid == r->value;
	}
	*ret = s;
}

void host_runstate_free(struct host_runstate *s)
{
	free(s->reservations);
	for (size_t i = 0; i < s->vm_count; i++)
		rootfs_free_names(s->vms[i].devices, s->vms[i].device_count);
	free(s->vms);
	free(s->unlisted);
	*s = (struct host_runstate){0};
}

long host_runstate_holder(const struct host_runstate *s, const char *address, long vmid,
			  const char **ret_how)
{
	for (size_t i = 0; i < s->reservation_count; i++) {
		const struct host_reservation *r = &s->reservations[i];
		if (r->live && r->vmid != vmid && strcmp(r->address, address) == 0) {
			if (ret_how)
				*ret_how = "reserved";
			return r->vmid;
		}
	}
	for (size_t i = 0; i < s->vm_count; i++) {
		if (s->vms[i].vmid == vmid)
			continue;
		for (size_t k = 0; k < s->vms[i].device_count; k++) {
			if (strcmp(s->vms[i].devices[k], address) == 0) {
				if (ret_how)
					*ret_how = "running";
				return s->vms[i].vmid;
			}
		}
	}
	return -1;
}
