/* device-identity: the card behind a raw hostpci address against the one pinned at the VM's
 * last start on this node (validator/pins.h).  Pure: the pins were read beforehand. */
#include "checks.h"
#include "pins.h"

#include "../lib/xalloc.h"

#include <stdlib.h>

void check_device_identity(const struct checked_config *c, const struct pins *pins,
			   const struct host *host, struct findings *out)
{
	const struct pve_vm *vm = &c->config->vm;
	long vmid = c->source.vmid;
	for (size_t i = 0; i < pins->count; i++) {
		const struct pin *pin = &pins->items[i];
		if (!pin_is_live(pin, vm))
			continue; /* the line was edited, or is gone: its pins ended */
		const struct host_pci_device *d = host_pci_find(&host->pci, pin->address);
		if (!d)
			continue; /* device-missing, when the line names nothing any more */
		struct pin_identity now;
		pin_identity_of(d, &now);
		if (pin_identity_equal(&pin->id, &now))
			continue;
		char *was = pin_identity_describe(&pin->id, &host->pci);
		char *is = pin_identity_describe(&now, &host->pci);
		unsigned line = vm->hostpci[pin->hostpci].raw.line;
		struct finding *f =
			findings_add(out, CHECK_DEVICE_IDENTITY, SEVERITY_ERROR, &c->source, line);
		finding_device(f, d->address);
		finding_message(f,
				"hostpci%d: %s was %s when VM %ld last started; it is now %s: the "
				"card behind the address changed (a card added or removed moves "
				"bus numbers), and the VM would get this one",
				pin->hostpci, d->address, was, vmid, is);
		finding_hint(f,
			     "if the card was swapped on purpose, run `pcipt-validate "
			     "--accept-identity %ld`; else find the VM's card with `lspci -Dnn` "
			     "and fix hostpci%d, or pass it through a resource mapping (which "
			     "follows the card's ids)",
			     vmid, pin->hostpci);
		free(was);
		free(is);
	}
}
