/* Fuzz the option ROM walk: every accepted ROM's images lie inside the buffer, in order, and
 * their checksums and the firmwares' picks stay inside them. */
#include "fuzz.h"

#include "../../host/optionrom.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct optionrom rom;
	struct pcipt_error err;
	if (optionrom_parse(data, size, &rom, &err) < 0) {
		if (!err.message[0])
			abort();
		return 0;
	}
	size_t end = 0;
	for (size_t i = 0; i < rom.count; i++) {
		const struct optionrom_image *im = &rom.images[i];
		if (im->offset < end || im->length == 0 || im->offset + im->length > size)
			abort();
		end = im->offset + im->length;
		/* the sum reads inside the image, or says the size byte reaches past it */
		int sum = optionrom_image_checksum(data, size, im);
		if (sum > 0xff || (sum < 0 && im->code_type != OPTIONROM_CODE_X86))
			abort();
	}
	if (rom.count == 0 || !rom.images[rom.count - 1].last)
		abort();
	/* what --read-rom says of each firmware is one of the images */
	const struct optionrom_image *ovmf = optionrom_ovmf_image(&rom);
	const struct optionrom_image *seabios =
		optionrom_seabios_image(&rom, rom.images[0].vendor, rom.images[0].device);
	if ((ovmf && (ovmf < rom.images || ovmf >= rom.images + rom.count)) ||
	    (seabios && (seabios < rom.images || seabios >= rom.images + rom.count)))
		abort();
	return 0;
}
