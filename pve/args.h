/* `args:` — extra QEMU arguments, stored verbatim by Proxmox and split into words with shell
 * quoting rules (PVE::Tools::split_args) when the QEMU command line is built.  Later checks look
 * at the words: `-machine pc,max-ram-below-4g=1G`, `-set device.hostpci0.x-igd-gms=...`. */
#ifndef PCIPT_PVE_ARGS_H
#define PCIPT_PVE_ARGS_H

#include "../lib/error.h"

#include <stddef.h>

struct pve_args {
	char **words;
	size_t count;
};

/* Split like Text::ParseWords::shellwords: blanks separate, a backslash escapes the next
 * character outside quotes and inside "...", and is kept verbatim inside '...'.  Returns 0,
 * or -EINVAL with
 * err saying which: an unbalanced quote or a trailing backslash. */
int pve_args_split(const char *text, struct pve_args *ret, struct pcipt_error *err);
void pve_args_free(struct pve_args *args);

/* The word after the first occurrence of option (e.g. "-machine"), or NULL. */
const char *pve_args_option_value(const struct pve_args *args, const char *option);

#endif
