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
		cmocka_unit_test(real_roms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
