/* Firmware framebuffers in /proc/iomem.  When the host boots on a GPU, the firmware's
 * framebuffer (BOOTFB, efifb, simplefb, vesafb) claims a range inside one of the card's BARs;
 * vfio-pci then cannot reserve that BAR ("BAR 3: can't reserve"), which is the seed's
 * video=efifb:off / initcall_blacklist=sysfb_init advice.
 *
 * Without CAP_SYS_ADMIN the kernel shows every address as 0: then the ranges are unknown. */
#ifndef PCIPT_HOST_IOMEM_H
#define PCIPT_HOST_IOMEM_H

#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

struct host_framebuffer {
	unsigned long long start, end; /* inclusive */
	char name[32];
	unsigned line;
};

struct host_iomem {
	bool readable; /* the file was read and shows real addresses */
	struct host_framebuffer *framebuffers;
	size_t count;
};

/* Parse the text of /proc/iomem. */
void iomem_parse(const char *text, struct host_iomem *ret);
/* Read ROOT/proc/iomem (absent or unreadable: readable = false). */
void host_iomem_load(const struct rootfs *root, struct host_iomem *ret);
void host_iomem_free(struct host_iomem *iomem);

/* The framebuffer overlapping [start, start+size), or NULL. */
const struct host_framebuffer *host_iomem_framebuffer_in(const struct host_iomem *iomem,
							 unsigned long long start,
							 unsigned long long size);

#endif
