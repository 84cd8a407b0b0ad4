#include "iomem.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define IOMEM_MAX_SIZE (4u * 1024 * 1024)
#define IOMEM_MAX_FRAMEBUFFERS 64

static const char *const framebuffer_names[] = {"BOOTFB", "efifb", "simplefb", "vesafb",
						"simple-framebuffer"};

static bool is_framebuffer(const char *name)
{
	for (size_t i = 0; i < sizeof(framebuffer_names) / sizeof(framebuffer_names[0]); i++) {
		if (strcmp(name, framebuffer_names[i]) == 0)
			return true;
	}
	return false;
}

/* "  c0000000-c0ffffff : BOOTFB" */
static bool parse_line(const char *line, unsigned long long *start, unsigned long long *end,
		       const char **name, size_t *name_len)
{
	while (*line == ' ')
		line++;
	char *p;
	if (!isxdigit((unsigned char)*line))
		return false;
	*start = strtoull(line, &p, 16);
	if (*p != '-' || !isxdigit((unsigned char)p[1]))
		return false;
	*end = strtoull(p + 1, &p, 16);
	if (strncmp(p, " : ", 3) != 0)
		return false;
	*name = p + 3;
	*name_len = strcspn(*name, "\n");
	while (*name_len > 0 && isspace((unsigned char)(*name)[*name_len - 1]))
		(*name_len)--;
	return true;
}

void iomem_parse(const char *text, struct host_iomem *ret)
{
	struct host_iomem m = {0};
	bool nonzero = false;
	unsigned line_number = 0;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		line_number++;
		unsigned long long start, end;
		const char *name;
		size_t name_len;
		if (parse_line(p, &start, &end, &name, &name_len)) {
			if (start || end)
				nonzero = true;
			char buf[32];
			if (name_len < sizeof(buf) && m.count < IOMEM_MAX_FRAMEBUFFERS) {
				memcpy(buf, name, name_len);
				buf[name_len] = '\0';
				if (is_framebuffer(buf)) {
					m.framebuffers =
						xrealloc(m.framebuffers,
							 (m.count + 1) * sizeof(*m.framebuffers));
					struct host_framebuffer *fb = &m.framebuffers[m.count++];
					fb->start = start;
					fb->end = end;
					fb->line = line_number;
					memcpy(fb->name, buf, name_len + 1);
				}
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	m.readable = nonzero;
	*ret = m;
}

void host_iomem_load(const struct rootfs *root, struct host_iomem *ret)
{
	char *text;
	size_t size;
	if (rootfs_read(root, PATH_PROC_IOMEM, 0, IOMEM_MAX_SIZE, &text, &size) < 0) {
		*ret = (struct host_iomem){0};
		return;
	}
	iomem_parse(text, ret);
	free(text);
}

void host_iomem_free(struct host_iomem *m)
{
	free(m->framebuffers);
	*m = (struct host_iomem){0};
}

const struct host_framebuffer *host_iomem_framebuffer_in(const struct host_iomem *m,
							 unsigned long long start,
							 unsigned long long size)
{
	if (!size)
		return NULL;
	/* BAR values come from sysfs `resource`: a broken tree must not make this wrap */
	unsigned long long last = size - 1 > ULLONG_MAX - start ? ULLONG_MAX : start + size - 1;
	for (size_t i = 0; i < m->count; i++) {
		const struct host_framebuffer *fb = &m->framebuffers[i];
		if (fb->start <= last && start <= fb->end)
			return fb;
	}
	return NULL;
}
