/* Fuzz the option ROM walk: every accepted ROM's images lie inside the buffer, in order. */
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
	}
	if (rom.count == 0 || !rom.images[rom.count - 1].last)
		abort();
	return 0;
}
