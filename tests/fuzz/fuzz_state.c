/* Fuzz the hook's state file reader: whatever it accepts is well formed (real PCI addresses,
 * driver names sysfs could show, no address twice), because post-stop writes those names
 * into sysfs. */
#include "fuzz.h"

#include "../../hook/state.h"
#include "../../host/sysfs.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hook_state *s = malloc(sizeof(*s));
	struct hook_error err;
	if (state_parse((const char *)data, size, 100, s, &err) < 0) {
		if (!err.message[0])
			abort();
		free(s);
		return 0;
	}
	if (s->vmid != 100 || s->count > STATE_MAX_DEVICES)
		abort();
	for (size_t i = 0; i < s->count; i++) {
		if (!host_is_pci_address(s->devices[i].address))
			abort();
		if (s->devices[i].driver[0] && !state_driver_name_ok(s->devices[i].driver))
			abort();
		for (size_t k = 0; k < i; k++) {
			if (strcmp(s->devices[i].address, s->devices[k].address) == 0)
				abort();
		}
	}
	free(s);
	return 0;
}
