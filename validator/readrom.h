/* pcipt-validate --read-rom: a card's own option ROM, read as the kernel lets root read it
 * (echo 1 > rom; cat rom; echo 0 > rom), its images, and what SeaBIOS and OVMF make of them.
 *
 * The ROM is turned on and off through the kernel-write layer the hook's binds go through
 * (lib/kernelio.h: each write timed; the tests link a fake kernel that serves a ROM image), and
 * always turned off again, also when the read fails.  Nothing here prints but readrom_print(),
 * which writes the report to the stream it is given. */
#ifndef PCIPT_VALIDATOR_READROM_H
#define PCIPT_VALIDATOR_READROM_H

#include "../host/optionrom.h"
#include "../host/sysfs.h"
#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Option ROMs are at most a few MiB; the kernel maps at most the ROM BAR */
#define READROM_MAX_SIZE ((size_t)16 << 20)

/* What kept the ROM from being read, for the advice that goes with it */
enum readrom_trouble {
	READROM_NO_DEVICE = 1, /* no such PCI device */
	READROM_NO_ROM_BAR,    /* no rom attribute: the device has no expansion ROM BAR */
	READROM_NOT_ROOT,      /* the kernel said EACCES or EPERM */
	READROM_UNREADABLE,    /* the kernel gave no ROM: EIO, nothing, all ones, no 0x55AA */
	READROM_FAILED,        /* any other failure (a write that timed out, ...) */
};

struct readrom_card {
	char address[HOST_PCI_ADDRESS_MAX + 1];
	bool have_ids; /* vendor and device could be read */
	unsigned vendor, device;
	bool boot_vga;
	char driver[64]; /* "" when none */
	char *rom_path;  /* the rom attribute, a host path; malloc'd */
};

struct readrom {
	uint8_t *data;
	size_t size;
	struct optionrom rom;
	int off_error; /* -errno when turning the ROM off again failed after a good read */
};

/* ADDR as given on the command line, in the forms a hostpci line takes ("01:00.0",
 * "0000:01:00.0", lib/pciaddr.h) but naming one function, as sysfs names the device, in buf
 * (HOST_PCI_ADDRESS_MAX + 1 bytes).  0; -EINVAL when it is no address, -EISDIR when it names a
 * whole slot. */
int readrom_address(const char *text, char *buf, size_t size);

/* The device at address (sysfs form, "0000:01:00.0") and its rom attribute.  0, or -errno with
 * *trouble READROM_NO_DEVICE or READROM_NO_ROM_BAR and err filled.  Free with
 * readrom_card_free() either way. */
int readrom_card(const struct rootfs *root, const char *address, struct readrom_card *ret,
		 enum readrom_trouble *trouble, struct pcipt_error *err);
void readrom_card_free(struct readrom_card *card);

/* "0000:01:00.0 (1002:1636, driver amdgpu, boot GPU)", for messages; buf of size */
void readrom_card_describe(const struct readrom_card *card, char *buf, size_t size);

/* Turn the card's ROM on ("1\n" to its rom attribute), read it whole, at most READROM_MAX_SIZE
 * bytes, turn it off again ("0\n": pci_write_rom() turns it off only for those two bytes), also
 * when the read failed, and parse it.  0 with ret filled (ret->off_error says whether the ROM
 * stayed on), or -errno with *trouble and err filled (the card described in err's message). */
int readrom_read(const struct rootfs *root, const struct readrom_card *card, unsigned timeout_ms,
		 struct readrom *ret, enum readrom_trouble *trouble, struct pcipt_error *err);
void readrom_free(struct readrom *r);

/* What to do about a trouble: hint lines, NULL-terminated. */
const char *const *readrom_hints(enum readrom_trouble trouble);

/* Every image (offset, ids, class, code type, last, the EFI header's fields, the checksum)
 * and the verdicts of SeaBIOS and OVMF, to out.  Returns whether either runs an image. */
bool readrom_print(FILE *out, const struct readrom_card *card, const struct readrom *r);

/* The romfile= value naming name in the directory dir (a host path): qemu-server puts
 * "/usr/share/kvm/" in front of it.  malloc'd. */
char *readrom_romfile_value(const char *dir, const char *name);

#endif
