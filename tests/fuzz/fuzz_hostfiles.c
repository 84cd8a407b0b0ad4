/* Fuzz the readers of host files that a broken kernel tree, a hostile container root or a
 * writable /etc/pve could hand pcipt: /proc/iomem, /proc/self/mountinfo, qemu-server's
 * pci-id-reservations and /etc/pve/storage.cfg.
 *
 * Every parser runs on every input (no selector byte): the files are all line-based text, the
 * seeds stay the plain files a host holds, and a mutation of one kind of file is still a
 * hostile input for the others.  The string parsers get a NUL-terminated copy; the storage
 * reader goes through text_file_from_buffer with the raw bytes and is skipped when the buffer
 * is refused (too large, a NUL byte, invalid UTF-8).
 *
 * What must hold: framebuffers carry a known name and a line inside the input, and each one is
 * found in its own range; a mountinfo line parsed into small buffers parses the same into large
 * ones, fits them, and took its device from a "MAJOR:MINOR" field; reservations have a full PCI
 * address and are held by another VM only once live; storages have a type, an id and a line
 * (but the implied `local`), and a snippet path is the storage's path plus the volume name. */
#include "fuzz.h"

#include "../../host/hostuse.h"
#include "../../host/iomem.h"
#include "../../host/runstate.h"
#include "../../host/sysfs.h"
#include "../../lib/textfile.h"
#include "../../pve/storage.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xcopy(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static unsigned count_lines(const char *text)
{
	unsigned lines = 1;
	for (const char *p = text; *p; p++)
		if (*p == '\n')
			lines++;
	return lines;
}

/* --- /proc/iomem -------------------------------------------------------------------------- */

static const char *const framebuffer_names[] = {"BOOTFB", "efifb", "simplefb", "vesafb",
						"simple-framebuffer"};

static bool known_framebuffer(const char *name)
{
	for (size_t i = 0; i < sizeof(framebuffer_names) / sizeof(framebuffer_names[0]); i++)
		if (strcmp(name, framebuffer_names[i]) == 0)
			return true;
	return false;
}

/* BARs of a few sizes and places: a GPU's VRAM window, a 64-bit prefetchable BAR above 4 GiB,
 * the top of the address space (start + size wraps) and everything. */
static const struct {
	unsigned long long start, size;
} bars[] = {
	{0xc0000000ull, 0x10000000ull},
	{0xe0000000ull, 0x1000000ull},
	{0x7fc0000000ull, 0x10000000ull},
	{0xfffffffffffff000ull, 0x1000ull},
	{0xfffffffffffff000ull, 0x2000ull},
	{0, ~0ull},
	{0, 0},
};

static void fuzz_iomem(const char *text)
{
	unsigned lines = count_lines(text);
	struct host_iomem m;
	iomem_parse(text, &m);
	if (m.count > 0 && !m.framebuffers)
		abort();
	for (size_t i = 0; i < m.count; i++) {
		const struct host_framebuffer *fb = &m.framebuffers[i];
		if (memchr(fb->name, '\0', sizeof(fb->name)) == NULL ||
		    !known_framebuffer(fb->name))
			abort();
		if (fb->line == 0 || fb->line > lines)
			abort();
		/* a real address is what makes the file readable */
		if ((fb->start || fb->end) && !m.readable)
			abort();
		if (fb->start <= fb->end && !host_iomem_framebuffer_in(&m, fb->start, 1))
			abort();
	}
	for (size_t i = 0; i < sizeof(bars) / sizeof(bars[0]); i++) {
		const struct host_framebuffer *fb =
			host_iomem_framebuffer_in(&m, bars[i].start, bars[i].size);
		if (!fb)
			continue;
		if (bars[i].size == 0 || fb < m.framebuffers || fb >= m.framebuffers + m.count)
			abort();
	}
	host_iomem_free(&m);
	if (m.framebuffers || m.count || m.readable)
		abort();
}

/* --- /proc/self/mountinfo ----------------------------------------------------------------- */

/* The third field, as the kernel prints it: "%u:%u". */
static bool device_field_well_formed(const char *line)
{
	const char *p = line;
	for (int field = 0; field < 2; field++) {
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	size_t len = strcspn(p, " ");
	size_t major = strspn(p, "0123456789");
	if (major == 0 || major >= len || p[major] != ':')
		return false;
	size_t minor = strspn(p + major + 1, "0123456789");
	return minor > 0 && major + 1 + minor == len;
}

static void mountinfo_one(const char *line)
{
	unsigned major, minor, big_major, big_minor;
	char mp[8], fstype[8], source[8];
	char big_mp[4096], big_fstype[4096], big_source[4096];
	int small = mountinfo_parse_line(line, &major, &minor, mp, sizeof(mp), fstype,
					 sizeof(fstype), source, sizeof(source));
	int big = mountinfo_parse_line(line, &big_major, &big_minor, big_mp, sizeof(big_mp),
				       big_fstype, sizeof(big_fstype), big_source,
				       sizeof(big_source));
	if ((small != 0 && small != -EINVAL) || (big != 0 && big != -EINVAL))
		abort();
	if (small == 0) {
		if (big != 0 || major != big_major || minor != big_minor ||
		    strcmp(mp, big_mp) != 0 || strcmp(fstype, big_fstype) != 0 ||
		    strcmp(source, big_source) != 0)
			abort();
	}
	if (big != 0)
		return;
	if (!big_fstype[0] || strchr(big_fstype, ' '))
		abort();
	if (!device_field_well_formed(line))
		abort();
}

static void fuzz_mountinfo(const char *text)
{
	/* one line at a time, NUL-terminated, as host_uses_load hands them over */
	char *copy = xcopy(text, strlen(text));
	for (char *line = copy; line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		mountinfo_one(line);
		line = eol ? eol + 1 : NULL;
	}
	free(copy);
}

/* --- /run/qemu-server/pci-id-reservations ------------------------------------------------- */

static void fuzz_reservations(const char *text)
{
	unsigned lines = count_lines(text);
	struct host_runstate s = {0};
	runstate_parse_reservations(text, &s);
	if (s.reservation_count > lines || (s.reservation_count > 0 && !s.reservations))
		abort();
	for (size_t i = 0; i < s.reservation_count; i++) {
		const struct host_reservation *r = &s.reservations[i];
		if (!host_is_pci_address(r->address) || r->vmid < 0 || r->value < 0 || r->live)
			abort();
		/* parsed liveness is left false: nothing holds a device yet */
		if (host_runstate_holder(&s, r->address, -1, NULL) != -1)
			abort();
	}
	for (size_t i = 0; i < s.reservation_count; i++)
		s.reservations[i].live = true;
	for (size_t i = 0; i < s.reservation_count; i++) {
		const struct host_reservation *r = &s.reservations[i];
		const char *how = NULL;
		long holder = host_runstate_holder(&s, r->address, -1, &how);
		if (holder < 0 || !how || strcmp(how, "reserved") != 0)
			abort();
		/* the asking VM never holds against itself */
		if (host_runstate_holder(&s, r->address, r->vmid, NULL) == r->vmid)
			abort();
	}
	if (host_runstate_holder(&s, "0000:01:00.0", 100, NULL) == 100)
		abort();
	host_runstate_free(&s);
	if (s.reservations || s.reservation_count || s.vms || s.vm_count)
		abort();
}

/* --- /etc/pve/storage.cfg ----------------------------------------------------------------- */

static void check_snippet(const struct pve_storages *s, const char *volume)
{
	struct pcipt_error why = {0};
	char *path = NULL;
	if (pve_snippet_path(s, volume, &path, &why) < 0) {
		if (path || why.code != -EINVAL || !why.message[0])
			abort();
		return;
	}
	/* STORAGE:snippets/NAME lands at the storage's path + "/snippets/NAME", or in the
	 * directory content-dirs gives: path + "/" + DIR + "/NAME" */
	const char *colon = strchr(volume, ':');
	if (!colon)
		abort();
	char *id = xcopy(volume, (size_t)(colon - volume));
	const struct pve_storage *st = pve_storages_find(s, id);
	free(id);
	if (!st || !st->path)
		abort();
	size_t plen = strlen(st->path);
	if (strncmp(path, st->path, plen) != 0 || path[plen] != '/')
		abort();
	const char *rest = path + plen + 1;
	if (st->snippets_dir) {
		size_t dlen = strlen(st->snippets_dir);
		if (strncmp(rest, st->snippets_dir, dlen) != 0 || rest[dlen] != '/' ||
		    strcmp(rest + dlen + 1, colon + 1 + 9) != 0)
			abort();
	} else if (strcmp(rest, colon + 1) != 0) {
		abort();
	}
	free(path);
}

static void fuzz_storage(const uint8_t *data, size_t size)
{
	struct text_file text;
	struct pcipt_error err;
	if (text_file_from_buffer((const char *)data, size, &text, &err) < 0)
		return;
	struct pve_storages s;
	pve_storages_parse(&text, &s);
	if (s.count > 0 && !s.items)
		abort();
	for (size_t i = 0; i < s.count; i++) {
		const struct pve_storage *st = &s.items[i];
		if (!st->type || !st->type[0] || !st->id || !st->id[0] || strpbrk(st->id, " \t") ||
		    st->line > text.line_count)
			abort();
		/* only the `local` storage Proxmox always has may come from no line */
		if (st->line == 0 &&
		    (strcmp(st->id, "local") != 0 || strcmp(st->type, "dir") != 0 || !st->path ||
		     strcmp(st->path, "/var/lib/vz") != 0))
			abort();
		/* a content-dirs directory stays under the storage: relative, no ".." */
		if (st->snippets_dir &&
		    (!st->snippets_dir[0] || st->snippets_dir[0] == '/' ||
		     strcmp(st->snippets_dir, "..") == 0 ||
		     strncmp(st->snippets_dir, "../", 3) == 0 || strstr(st->snippets_dir, "/../") ||
		     (strlen(st->snippets_dir) >= 3 &&
		      strcmp(st->snippets_dir + strlen(st->snippets_dir) - 3, "/..") == 0)))
			abort();
		if (strcmp(st->type, "nfs") == 0 && !st->shared)
			abort();
		const struct pve_storage *found = pve_storages_find(&s, st->id);
		if (!found || found > st || strcmp(found->id, st->id) != 0)
			abort();
		size_t idlen = strlen(st->id);
		char *volume = malloc(idlen + sizeof(":snippets/hook.pl"));
		if (!volume)
			abort();
		memcpy(volume, st->id, idlen);
		memcpy(volume + idlen, ":snippets/hook.pl", sizeof(":snippets/hook.pl"));
		check_snippet(&s, volume);
		free(volume);
	}
	static const char *const volumes[] = {
		"local:snippets/hook.pl",
		"nas:snippets/gpu-reset.sh",
		"local-lvm:snippets/x",
		"local:snippets/",
		"local:snippets/a/b",
		"local:iso/x.iso",
		":snippets/hook.pl",
		"hook.pl",
		"",
	};
	for (size_t i = 0; i < sizeof(volumes) / sizeof(volumes[0]); i++)
		check_snippet(&s, volumes[i]);
	pve_storages_free(&s);
	text_file_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xcopy((const char *)data, size);
	fuzz_iomem(text);
	fuzz_mountinfo(text);
	fuzz_reservations(text);
	free(text);
	fuzz_storage(data, size);
	return 0;
}
