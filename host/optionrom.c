#include "optionrom.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define IMAGE_UNIT 512
#define PCIR_MIN_LENGTH 0x18 /* through the indicator byte and the reserved word */

static int fail(struct pcipt_error *err, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pcipt_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vset_at(err, -EINVAL, 0, 0, fmt, ap);
	va_end(ap);
	err->offset = offset;
	return -EINVAL;
}

static unsigned u16_at(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned u32_at(const uint8_t *p)
{
	return u16_at(p) | (unsigned)u16_at(p + 2) << 16;
}

const char *optionrom_code_type_name(unsigned code_type)
{
	switch (code_type) {
	case OPTIONROM_CODE_X86:
		return "x86 BIOS";
	case OPTIONROM_CODE_OPEN_FIRMWARE:
		return "Open Firmware";
	case OPTIONROM_CODE_HP_PA_RISC:
		return "HP PA-RISC";
	case OPTIONROM_CODE_EFI:
		return "EFI";
	}
	return "unknown";
}

const char *optionrom_efi_subsystem_name(unsigned subsystem)
{
	switch (subsystem) {
	case OPTIONROM_EFI_APPLICATION:
		return "EFI application";
	case OPTIONROM_EFI_BOOT_SERVICE_DRIVER:
		return "boot service driver";
	case OPTIONROM_EFI_RUNTIME_DRIVER:
		return "runtime driver";
	}
	return NULL;
}

const char *optionrom_efi_machine_name(unsigned machine)
{
	switch (machine) {
	case OPTIONROM_EFI_MACHINE_IA32:
		return "IA-32";
	case OPTIONROM_EFI_MACHINE_IA64:
		return "Itanium";
	case OPTIONROM_EFI_MACHINE_EBC:
		return "EBC";
	case OPTIONROM_EFI_MACHINE_X64:
		return "x64";
	case OPTIONROM_EFI_MACHINE_AA64:
		return "ARM64";
	}
	return NULL;
}

/* Why the first bytes are not an option ROM, for the common mistakes. */
static int not_a_rom(const uint8_t *data, size_t size, struct pcipt_error *err)
{
	if (size >= 2 && data[0] == 'M' && data[1] == 'Z')
		return fail(err, 0,
			    "a PE/COFF executable (an .efi driver), not an option ROM: no "
			    "0x55AA signature");
	if (size == 0)
		return fail(err, 0, "empty file, not an option ROM");
	return fail(err, 0, "no 0x55AA signature at offset 0: not an option ROM");
}

int optionrom_parse(const uint8_t *data, size_t size, struct optionrom *ret,
		    struct pcipt_error *err)
{
	struct optionrom rom = {0};
	size_t offset = 0;
	if (size < 2 || data[0] != 0x55 || data[1] != 0xaa)
		return not_a_rom(data, size, err);
	for (;;) {
		if (rom.count == OPTIONROM_MAX_IMAGES)
			return fail(err, offset, "more than %d images", OPTIONROM_MAX_IMAGES);
		if (size - offset < 0x1a)
			return fail(err, offset, "image header at 0x%zx is truncated", offset);
		const uint8_t *img = data + offset;
		if (img[0] != 0x55 || img[1] != 0xaa)
			return fail(err, offset,
				    "image at 0x%zx has no 0x55AA signature (the "
				    "previous image is not marked last)",
				    offset);
		size_t pcir = u16_at(img + 0x18);
		if (pcir < 0x1a || pcir > size - offset || size - offset - pcir < PCIR_MIN_LENGTH)
			return fail(err, offset + 0x18,
				    "PCI data structure pointer 0x%zx of the image at 0x%zx is "
				    "outside the file",
				    pcir, offset);
		const uint8_t *p = img + pcir;
		if (memcmp(p, "PCIR", 4) != 0)
			return fail(err, offset + pcir, "no \"PCIR\" signature at 0x%zx",
				    offset + pcir);
		struct optionrom_image *im = &rom.images[rom.count];
		im->offset = offset;
		im->vendor = u16_at(p + 4);
		im->device = u16_at(p + 6);
		im->pcir_revision = p[0x0c];
		im->class_code = (unsigned)p[0x0f] << 16 | (unsigned)p[0x0e] << 8 | p[0x0d];
		im->length = (size_t)u16_at(p + 0x10) * IMAGE_UNIT;
		im->code_type = p[0x14];
		im->last = (p[0x15] & 0x80) != 0;
		if (im->length == 0)
			return fail(err, offset + pcir + 0x10,
				    "image at 0x%zx has length 0 (the chain would loop)", offset);
		if (im->length > size - offset)
			return fail(err, offset,
				    "image at 0x%zx claims %zu bytes but the file has %zu left: "
				    "truncated",
				    offset, im->length, size - offset);
		if (im->code_type == OPTIONROM_CODE_EFI) {
			im->efi_signature_ok = u32_at(img + 4) == OPTIONROM_EFI_SIGNATURE;
			im->efi_subsystem = u16_at(img + 8);
			im->efi_machine = u16_at(img + 0x0a);
			im->efi_compression = u16_at(img + 0x0c);
		}
		rom.count++;
		if (im->last)
			break;
		offset += im->length;
		if (offset >= size)
			return fail(err, offset,
				    "image at 0x%zx is not marked last, but the file ends after it",
				    im->offset);
	}
	*ret = rom;
	return 0;
}

const struct optionrom_image *optionrom_efi_image(const struct optionrom *rom)
{
	for (size_t i = 0; i < rom->count; i++) {
		const struct optionrom_image *im = &rom->images[i];
		if (im->code_type == OPTIONROM_CODE_EFI && im->efi_signature_ok &&
		    im->efi_machine == OPTIONROM_EFI_MACHINE_X64)
			return im;
	}
	return NULL;
}

int optionrom_image_checksum(const uint8_t *data, size_t size, const struct optionrom_image *im)
{
	size_t span = im->length;
	if (im->offset > size || span > size - im->offset)
		return -ERANGE; /* not an image of this ROM */
	if (im->code_type == OPTIONROM_CODE_X86) {
		span = (size_t)data[im->offset + 2] * IMAGE_UNIT;
		if (span == 0 || span > im->length)
			return -ERANGE;
	}
	unsigned sum = 0;
	for (size_t i = 0; i < span; i++)
		sum += data[im->offset + i];
	return (int)(sum & 0xff);
}

const struct optionrom_image *optionrom_seabios_image(const struct optionrom *rom, unsigned vendor,
						      unsigned device)
{
	for (size_t i = 0; i < rom->count; i++) {
		const struct optionrom_image *im = &rom->images[i];
		if (im->code_type == OPTIONROM_CODE_X86 && im->vendor == vendor &&
		    im->device == device)
			return im;
	}
	return NULL;
}

const struct optionrom_image *optionrom_ovmf_image(const struct optionrom *rom)
{
	for (size_t i = 0; i < rom->count; i++) {
		const struct optionrom_image *im = &rom->images[i];
		if (im->code_type == OPTIONROM_CODE_EFI && im->efi_signature_ok &&
		    (im->efi_subsystem == OPTIONROM_EFI_BOOT_SERVICE_DRIVER ||
		     im->efi_subsystem == OPTIONROM_EFI_RUNTIME_DRIVER) &&
		    im->efi_compression <= 1 &&
		    (im->efi_machine == OPTIONROM_EFI_MACHINE_X64 ||
		     im->efi_machine == OPTIONROM_EFI_MACHINE_EBC))
			return im;
	}
	return NULL;
}
