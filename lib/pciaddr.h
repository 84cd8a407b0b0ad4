/* The one grammar of a PCI address, `[DOMAIN:]BB:DD[.F]` in lowercase hex, as Proxmox's
 * PCIRE (QemuServer/PCI.pm, PVE::Mapping::PCI) and sysfs' device names write it.  Callers say
 * with flags which parts they require and which ranges they accept:
 *
 *   hostpciN host=      PCIRE: domain optional (4 or more digits), function optional (0-f)
 *   pci.cfg path=       the same with the domain required
 *   a sysfs name        "0000:01:00.0": domain of 4 to 8 digits, function 0-7, both required
 *
 * Lowercase only everywhere: Proxmox matches its patterns case-sensitively and the kernel
 * names devices "%04x:%02x:%02x.%d". */
#ifndef PCIPT_LIB_PCIADDR_H
#define PCIPT_LIB_PCIADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pci_addr_flags {
	PCI_ADDR_DOMAIN_REQUIRED = 1u << 0,   /* else a missing domain means 0000 */
	PCI_ADDR_FUNCTION_REQUIRED = 1u << 1, /* else a missing function names the whole slot */
	PCI_ADDR_DOMAIN_MAX_8 = 1u << 2,      /* at most 8 digits (Linux's domains are 32-bit) */
	PCI_ADDR_FUNCTION_MAX_7 = 1u << 3,    /* a function the kernel can name (0-7) */
	/* a device name under /sys/bus/pci/devices */
	PCI_ADDR_SYSFS = PCI_ADDR_DOMAIN_REQUIRED | PCI_ADDR_FUNCTION_REQUIRED |
			 PCI_ADDR_DOMAIN_MAX_8 | PCI_ADDR_FUNCTION_MAX_7,
};

struct pci_addr {
	/* digits of the domain as written; 0 when there is none (domain 0000 is meant).  Proxmox
	 * accepts any number of them, so the text is the caller's: text[0..domain_digits). */
	size_t domain_digits;
	uint32_t domain;      /* its value when domain_digits <= 8, else 0 */
	unsigned bus, device; /* 0..ff each: the pattern's two hex digits, not PCI's ranges */
	int function;         /* 0..f; -1 when none is written */
};

/* Parse text[0..len) as a whole; false when it does not match the grammar the flags (enum
 * pci_addr_flags, or'd) select, and then *ret is untouched. */
bool pci_addr_parse(const char *text, size_t len, unsigned flags, struct pci_addr *ret);

#endif
