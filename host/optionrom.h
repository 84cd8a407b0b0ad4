/* PCI option ROM images (the `romfile=` of a hostpci line, or a card's dumped ROM).
 *
 * A ROM is a chain of images.  Each starts with 0x55 0xAA and points (u16 at 0x18) to a PCI
 * Data Structure, "PCIR", that gives the vendor and device it is for, the class, the image
 * length in 512-byte units, the code type (0 x86 BIOS, 3 EFI) and, in bit 7 of its indicator
 * byte, whether it is the last image.  EFI images carry 0x0EF1, the EFI subsystem and the
 * machine type (0x8664 x64, 0xAA64 AArch64) in their header.  OVMF can only run an EFI image;
 * SeaBIOS only an x86 one.  Pure bytes to struct: no I/O here. */
#ifndef PCIPT_HOST_OPTIONROM_H
#define PCIPT_HOST_OPTIONROM_H

#include "../lib/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTIONROM_MAX_IMAGES 16

enum optionrom_code_type {
	OPTIONROM_CODE_X86 = 0,
	OPTIONROM_CODE_OPEN_FIRMWARE = 1,
	OPTIONROM_CODE_HP_PA_RISC = 2,
	OPTIONROM_CODE_EFI = 3,
};

#define OPTIONROM_EFI_SIGNATURE 0x0ef1
#define OPTIONROM_EFI_MACHINE_IA32 0x014c
#define OPTIONROM_EFI_MACHINE_IA64 0x0200
#define OPTIONROM_EFI_MACHINE_EBC 0x0ebc
#define OPTIONROM_EFI_MACHINE_X64 0x8664
#define OPTIONROM_EFI_MACHINE_AA64 0xaa64

/* the EFI image's subsystem (PE/COFF's, as the UEFI spec's PCI option ROM header has it) */
enum optionrom_efi_subsystem {
	OPTIONROM_EFI_APPLICATION = 10,
	OPTIONROM_EFI_BOOT_SERVICE_DRIVER = 11,
	OPTIONROM_EFI_RUNTIME_DRIVER = 12,
};

struct optionrom_image {
	size_t offset, length; /* bytes */
	unsigned vendor, device;
	unsigned class_code; /* 24 bits: base class, subclass, programming interface */
	unsigned pcir_revision;
	unsigned code_type; /* enum optionrom_code_type, or another value as found */
	bool last;
	/* code type 3 only */
	bool efi_signature_ok;
	unsigned efi_subsystem, efi_machine, efi_compression;
};

struct optionrom {
	struct optionrom_image images[OPTIONROM_MAX_IMAGES];
	size_t count;
};

/* Walk every image.  Returns 0, or -EINVAL (not a ROM, truncated, looping, too many images)
 * with err filled; *ret is untouched on failure. */
int optionrom_parse(const uint8_t *data, size_t size, struct optionrom *ret,
		    struct pcipt_error *err);

/* The image a device can use under OVMF: code type 3 with a valid signature and an x64
 * machine type; NULL when there is none. */
const struct optionrom_image *optionrom_efi_image(const struct optionrom *rom);

const char *optionrom_code_type_name(unsigned code_type);
/* "EFI application", "boot service driver", "runtime driver"; NULL for another value */
const char *optionrom_efi_subsystem_name(unsigned subsystem);
/* "IA-32", "Itanium", "EBC", "x64", "ARM64"; NULL for another value */
const char *optionrom_efi_machine_name(unsigned machine);

/* The 8-bit sum of an image's bytes, 0 when its checksum is good, from the ROM (data, size) it
 * was parsed from.  An x86 image is summed as SeaBIOS sums it (is_valid_rom() in optionroms.c):
 * 512 times its size byte (offset 2), the part the BIOS copies and runs; any other image
 * whole.  -ERANGE when an x86 image's size byte is 0 or reaches past the image. */
int optionrom_image_checksum(const uint8_t *data, size_t size, const struct optionrom_image *im);

/* The image SeaBIOS takes from a device's ROM: the first x86 image whose PCIR names the
 * device's vendor and device (map_pcirom() in optionroms.c: it skips any other); NULL when
 * there is none.  SeaBIOS then refuses it when its checksum is bad. */
const struct optionrom_image *optionrom_seabios_image(const struct optionrom *rom, unsigned vendor,
						      unsigned device);

/* The first image OVMF can run: EFI, with a valid signature, a boot service or runtime driver,
 * uncompressed or EFI-compressed, for x64 or for EBC (OVMF carries the EBC interpreter,
 * EbcDxe), as EDK2's PCI bus driver picks them (ProcessOpRomImage()), whatever ids its PCIR
 * names.  NULL when there is none. */
const struct optionrom_image *optionrom_ovmf_image(const struct optionrom *rom);

#endif
