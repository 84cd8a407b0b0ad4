/* Fuzz the identity pins' reader: what it accepts is a real PCI address per pin, no address
 * twice on a line, at most PINS_MAX pins; and the format is exact: what it accepts is written
 * back byte for byte, so no two texts mean the same pins. */
#include "fuzz.h"

#include "../../host/sysfs.h"
#include "../../validator/pins.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pins *p = malloc(sizeof(*p));
	struct pcipt_error err;
	if (pins_parse((const char *)data, size, 100, p, &err) < 0) {
		if (!err.message[0] || err.line == 0)
			abort();
		free(p);
		return 0;
	}
	if (p->count > PINS_MAX || p->vmid != 100)
		abort();
	for (size_t i = 0; i < p->count; i++) {
		const struct pin *pin = &p->items[i];
		if (pin->hostpci < 0 || pin->hostpci >= PVE_MAX_HOSTPCI ||
		    !host_is_pci_address(pin->address) ||
		    strlen(pin->line_digest) != PINS_DIGEST_LENGTH || pin->id.vendor > 0xffff ||
		    pin->id.class_code > 0xffffff)
			abort();
		for (size_t k = 0; k < i; k++) {
			if (p->items[k].hostpci == pin->hostpci &&
			    strcmp(p->items[k].address, pin->address) == 0)
				abort();
		}
	}
	char *text = pins_format(p);
	if (strlen(text) != size || memcmp(text, data, size) != 0)
		abort();
	free(text);
	free(p);
	return 0;
}
