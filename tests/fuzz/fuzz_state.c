/* Fuzz the hook's ledger reader: whatever it accepts is well formed (real PCI addresses,
 * driver names sysfs could show, no address twice, no VM holding a device twice), because
 * post-stop writes those names into sysfs; and what it accepts is written back unchanged. */
#include "fuzz.h"

#include "../../hook/state.h"
#include "../../host/sysfs.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger *l = malloc(sizeof(*l));
	struct pcipt_error err;
	if (ledger_parse((const char *)data, size, l, &err) < 0) {
		if (!err.message[0])
			abort();
		free(l);
		return 0;
	}
	if (l->count > LEDGER_MAX_DEVICES)
		abort();
	for (size_t i = 0; i < l->count; i++) {
		const struct ledger_record *r = &l->records[i];
		if (!host_is_pci_address(r->address))
			abort();
		if (r->driver[0] && !state_driver_name_ok(r->driver))
			abort();
		if (r->holder_count > LEDGER_MAX_HOLDERS)
			abort();
		for (size_t k = 0; k < r->holder_count; k++) {
			if (r->holders[k].vmid < 1 || r->holders[k].since < 0)
				abort();
			for (size_t j = 0; j < k; j++) {
				if (r->holders[j].vmid == r->holders[k].vmid)
					abort();
			}
		}
		for (size_t k = 0; k < i; k++) {
			if (strcmp(r->address, l->records[k].address) == 0)
				abort();
		}
	}
	free(l);
	return 0;
}
