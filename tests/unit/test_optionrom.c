/* host/optionrom: the PCIR walk over synthetic images and the real ROMs in
 * ../shared/testdata/roms (skipped with a message when that folder is absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/optionrom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* One image of `units` 512-byte blocks at rom+offset. */
static void make_image(uint8_t *rom, size_t offset, unsigned units, unsigned vendor,
		       unsigned device, unsigned code_type, int last)
{
	uint8_t *img = rom + offset;
	img[0] = 0x55;
	img[1] = 0xaa;
	img[2] = (uint8_t)units;
	if (code_type == OPTIONROM_CODE_EFI) {
		put16(img + 4, OPTIONROM_EFI_SIGNATURE);
		put16(img + 8, 0x0b);
		put16(img + 0x0a, OPTIONROM_EFI_MACHINE_X64);
	}
	put16(img + 0x18, 0x40);
	uint8_t *p = img + 0x40;
	memcpy(p, "PCIR", 4);
	put16(p + 4, vendor);
	put16(p + 6, device);
	put16(p + 0x0a, 0x18);
	p[0x0c] = 3;
	p[0x0f] = 0x03; /* display controller */
	put16(p + 0x10, units);
	p[0x14] = (uint8_t)code_type;
	p[0x15] = last ? 0x80 : 0;
}

static void legacy_plus_efi_chain(void **state)
{
	(void)state;
	uint8_t rom[2048] = {0};
	make_image(rom, 0, 2, 0x10de, 0x1b80, OPTIONROM_CODE_X86, 0);
	make_image(rom, 1024, 2, 0x10de, 0x1b80, OPTIONROM_CODE_EFI, 1);
	struct optionrom r;
	struct pcipt_error err;
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.images[0].code_type, OPTIONROM_CODE_X86);
	assert_int_equal(r.images[0].length, 1024);
	assert_false(r.images[0].last);
	assert_int_equal(r.images[1].offset, 1024);
	assert_int_equal(r.images[1].class_code, 0x030000);
	assert_true(r.images[1].efi_signature_ok);
	assert_ptr_equal(optionrom_efi_image(&r), &r.images[1]);
	/* padding after the last image is fine */
	uint8_t padded[4096] = {0};
	memcpy(padded, rom, sizeof(rom));
	assert_int_equal(optionrom_parse(padded, sizeof(padded), &r, &err), 0);
	assert_int_equal(r.count, 2);
}

static void bad_roms_are_refused(void **state)
{
	(void)state;
	struct optionrom r;
	struct pcipt_error err;
	uint8_t rom[1024] = {0};

	assert_int_equal(optionrom_parse((const uint8_t *)"MZ\x90\x00", 4, &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "PE/COFF"));
	assert_int_equal(optionrom_parse(rom, 0, &r, &err), -EINVAL);
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "no 0x55AA"));

	make_image(rom, 0, 4, 1, 2, 0, 1); /* claims 2048 bytes in a 1024-byte file */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "truncated"));

	make_image(rom, 0, 0, 1, 2, 0, 0); /* length 0: would loop */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "loop"));

	make_image(rom, 0, 2, 1, 2, 0, 0); /* not last, file ends */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "not marked last"));

	make_image(rom, 0, 2, 1, 2, 0, 1);
	put16(rom + 0x18, 0xfff0); /* PCIR pointer outside */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "outside the file"));

	make_image(rom, 0, 2, 1, 2, 0, 1);
	rom[0x40] = 'X'; /* no PCIR */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "PCIR"));

	assert_int_equal(optionrom_parse(rom, 0x10, &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "truncated"));
}

static void too_many_images(void **state)
{
	(void)state;
	size_t n = OPTIONROM_MAX_IMAGES + 1;
	uint8_t *rom = calloc(n, 512);
	for (size_t i = 0; i < n; i++)
		make_image(rom, i * 512, 1, 1, 2, 0, i + 1 == n);
	struct optionrom r;
	struct pcipt_error err;
	assert_int_equal(optionrom_parse(rom, n * 512, &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "more than"));
	free(rom);
}

/* The byte that makes the first n bytes at p sum to 0, put in the last of them */
static void fix_checksum(uint8_t *p, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i + 1 < n; i++)
		sum += p[i];
	p[n - 1] = (uint8_t)(0x100 - (sum & 0xff));
}

static void what_each_firmware_runs(void **state)
{
	(void)state;
	uint8_t rom[3072] = {0};
	/* another card's x86 image first: SeaBIOS passes over it to the one for its device */
	make_image(rom, 0, 2, 0x10de, 0x1b81, OPTIONROM_CODE_X86, 0);
	make_image(rom, 1024, 2, 0x10de, 0x1b80, OPTIONROM_CODE_X86, 0);
	make_image(rom, 2048, 2, 0x10de, 0x1b80, OPTIONROM_CODE_EFI, 1);
	struct optionrom r;
	struct pcipt_error err;
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
	assert_ptr_equal(optionrom_seabios_image(&r, 0x10de, 0x1b80), &r.images[1]);
	assert_ptr_equal(optionrom_seabios_image(&r, 0x10de, 0x1b81), &r.images[0]);
	assert_null(optionrom_seabios_image(&r, 0x1002, 0x1b80));
	/* OVMF runs an x64 or an EBC image, whatever its ids */
	assert_ptr_equal(optionrom_ovmf_image(&r), &r.images[2]);
	static const unsigned machines[][2] = {
		{OPTIONROM_EFI_MACHINE_X64, 1},  {OPTIONROM_EFI_MACHINE_EBC, 1},
		{OPTIONROM_EFI_MACHINE_AA64, 0}, {OPTIONROM_EFI_MACHINE_IA32, 0},
		{OPTIONROM_EFI_MACHINE_IA64, 0},
	};
	for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
		put16(rom + 2048 + 0x0a, machines[i][0]);
		assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
		assert_true((optionrom_ovmf_image(&r) != NULL) == machines[i][1]);
	}
	put16(rom + 2048 + 0x0a, OPTIONROM_EFI_MACHINE_X64);
	/* drivers only, compressed or not, as EDK2's PCI bus loads them */
	static const unsigned kinds[][3] = {
		{OPTIONROM_EFI_RUNTIME_DRIVER, 0, 1},
		{OPTIONROM_EFI_BOOT_SERVICE_DRIVER, 1, 1},
		{OPTIONROM_EFI_APPLICATION, 0, 0},
		{OPTIONROM_EFI_BOOT_SERVICE_DRIVER, 2, 0},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		put16(rom + 2048 + 8, kinds[i][0]);
		put16(rom + 2048 + 0x0c, kinds[i][1]);
		assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
		assert_true((optionrom_ovmf_image(&r) != NULL) == kinds[i][2]);
	}
	put16(rom + 2048 + 8, OPTIONROM_EFI_BOOT_SERVICE_DRIVER);
	put16(rom + 2048 + 0x0c, 0);
	put16(rom + 2048 + 4, 0x0ef0); /* not the EFI signature */
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
	assert_null(optionrom_ovmf_image(&r));

	assert_string_equal(optionrom_efi_subsystem_name(10), "EFI application");
	assert_string_equal(optionrom_efi_subsystem_name(11), "boot service driver");
	assert_string_equal(optionrom_efi_subsystem_name(12), "runtime driver");
	assert_null(optionrom_efi_subsystem_name(13));
	assert_string_equal(optionrom_efi_machine_name(0x014c), "IA-32");
	assert_string_equal(optionrom_efi_machine_name(0x0200), "Itanium");
	assert_string_equal(optionrom_efi_machine_name(0x0ebc), "EBC");
	assert_string_equal(optionrom_efi_machine_name(0x8664), "x64");
	assert_string_equal(optionrom_efi_machine_name(0xaa64), "ARM64");
	assert_null(optionrom_efi_machine_name(0x1234));
}

static void checksums_as_seabios_sums(void **state)
{
	(void)state;
	uint8_t rom[2048] = {0};
	make_image(rom, 0, 2, 0x10de, 0x1b80, OPTIONROM_CODE_X86, 0);
	make_image(rom, 1024, 2, 0x10de, 0x1b80, OPTIONROM_CODE_EFI, 1);
	struct optionrom r;
	struct pcipt_error err;
	fix_checksum(rom, 1024);
	assert_int_equal(optionrom_parse(rom, sizeof(rom), &r, &err), 0);
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), 0);
	rom[100] += 1; /* one byte one more: the sum one more */
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), 1);
	rom[100] -= 1;
	/* the x86 sum covers what the size byte says, which SeaBIOS copies: one block of two */
	rom[2] = 1;
	unsigned first = 0;
	for (size_t i = 0; i < 512; i++)
		first += rom[i];
	assert_true((first & 0xff) != 0);
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), first & 0xff);
	fix_checksum(rom, 512);
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), 0);
	rom[2] = 0; /* nothing to run */
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), -ERANGE);
	rom[2] = 3; /* past the image */
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[0]), -ERANGE);
	/* any other image is summed whole */
	unsigned sum = 0;
	for (size_t i = 1024; i < 2048; i++)
		sum += rom[i];
	assert_int_equal(optionrom_image_checksum(rom, sizeof(rom), &r.images[1]), sum & 0xff);
	/* an image of a longer ROM does not reach past a shorter one */
	assert_int_equal(optionrom_image_checksum(rom, 1500, &r.images[1]), -ERANGE);
}

/* ../shared/testdata/roms, relative to the repository top where the tests run */
static uint8_t *read_shared_rom(const char *name, size_t *size)
{
	const char *dir = getenv("PCIPT_SHARED_TESTDATA");
	char path[512];
	snprintf(path, sizeof(path), "%s/roms/%s", dir ? dir : "../shared/testdata", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "# %s is absent: real-ROM test skipped\n", path);
		return NULL;
	}
	uint8_t *data = malloc(1 << 20);
	*size = fread(data, 1, 1 << 20, f);
	fclose(f);
	return data;
}

static void real_roms(void **state)
{
	(void)state;
	size_t size;
	uint8_t *legacy = read_shared_rom("amd-1002-1636-legacy-only.rom", &size);
	if (!legacy)
		skip();
	struct optionrom r;
	struct pcipt_error err;
	assert_int_equal(optionrom_parse(legacy, size, &r, &err), 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.images[0].vendor, 0x1002);
	assert_int_equal(r.images[0].device, 0x1636);
	assert_int_equal(r.images[0].code_type, OPTIONROM_CODE_X86);
	assert_int_equal(r.images[0].length, 54784);
	assert_int_equal(r.images[0].class_code, 0x030000);
	assert_true(r.images[0].last);
	assert_null(optionrom_efi_image(&r)); /* legacy only: no good for OVMF */
	assert_null(optionrom_ovmf_image(&r));
	assert_ptr_equal(optionrom_seabios_image(&r, 0x1002, 0x1636), &r.images[0]);
	assert_int_equal(optionrom_image_checksum(legacy, size, &r.images[0]), 0);
	free(legacy);

	uint8_t *gop = read_shared_rom("amd-gop-efi-only.rom", &size);
	assert_non_null(gop);
	assert_int_equal(optionrom_parse(gop, size, &r, &err), 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.images[0].vendor, 0x03ea);
	assert_int_equal(r.images[0].device, 0x0665);
	assert_int_equal(r.images[0].code_type, OPTIONROM_CODE_EFI);
	assert_true(r.images[0].efi_signature_ok);
	assert_int_equal(r.images[0].efi_subsystem, 0x0b);
	assert_int_equal(r.images[0].efi_machine, OPTIONROM_EFI_MACHINE_X64);
	assert_ptr_equal(optionrom_efi_image(&r), &r.images[0]);
	assert_ptr_equal(optionrom_ovmf_image(&r), &r.images[0]);
	assert_null(optionrom_seabios_image(&r, 0x03ea, 0x0665));
	assert_string_equal(optionrom_efi_subsystem_name(r.images[0].efi_subsystem),
			    "boot service driver");
	/* its bytes do not sum to 0: nothing checks an EFI image's sum */
	assert_int_equal(optionrom_image_checksum(gop, size, &r.images[0]), 0xec);
	/* every truncation of a real ROM is refused, none crashes */
	for (size_t cut = 0; cut < size; cut += 257)
		assert_int_equal(optionrom_parse(gop, cut, &r, &err), -EINVAL);
	free(gop);

	uint8_t *efi = read_shared_rom("amd-gop-driver.efi", &size);
	assert_non_null(efi);
	assert_int_equal(optionrom_parse(efi, size, &r, &err), -EINVAL);
	assert_non_null(strstr(err.message, "PE/COFF executable (an .efi driver)"));
	free(efi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(legacy_plus_efi_chain),
		cmocka_unit_test(bad_roms_are_refused),
		cmocka_unit_test(too_many_images),
		cmocka_unit_test(what_each_firmware_runs),
		cmocka_unit_test(checksums_as_seabios_sums),
		cmocka_unit_test(real_roms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
