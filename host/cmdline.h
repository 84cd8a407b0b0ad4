/* Kernel command lines: the one that runs (/proc/cmdline) and the ones that will run after
 * the next boot (GRUB_CMDLINE_LINUX[_DEFAULT] in /etc/default/grub for GRUB, /etc/kernel/cmdline
 * for proxmox-boot-tool with systemd-boot).  A hint for iommu-disabled must say which file to
 * edit, and that a refresh and a reboot are needed when they differ.  Pure text to words. */
#ifndef PCIPT_HOST_CMDLINE_H
#define PCIPT_HOST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

struct cmdline {
	char **words;
	size_t count;
	unsigned line; /* where the words came from in their file (0: not from a file) */
};

/* Split a kernel command line: blanks separate words, double quotes group ("a b" keeps the
 * blank, the quotes go), as the kernel's next_arg() does. */
void cmdline_parse(const char *text, struct cmdline *ret);

/* From the text of /etc/default/grub: the words of GRUB_CMDLINE_LINUX and
 * GRUB_CMDLINE_LINUX_DEFAULT together (the last assignment of each wins, as in a shell), with
 * the line of the _DEFAULT one when present.  Returns false when neither is assigned. */
bool cmdline_from_grub_default(const char *text, struct cmdline *ret);

/* The value of key ("intel_iommu" finds "intel_iommu=on" -> "on"; a bare "iommu" word gives
 * ""), the last occurrence winning as for the kernel; NULL when absent. */
const char *cmdline_value(const struct cmdline *c, const char *key);

void cmdline_free(struct cmdline *c);

#endif
