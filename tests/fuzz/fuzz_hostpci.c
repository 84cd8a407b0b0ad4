/* Fuzz the hostpciN value grammar (pve_hostpci_parse: property string + PCI id list).
 *
 * Besides the sanitizers, the target aborts on broken invariants:
 *   - a rejected value always comes with a non-empty complaint;
 *   - every accepted id re-parses from its normalised text to the same id (except ids with
 *     an impossible, shortened domain, which overlap nothing);
 *   - overlap is reflexive and symmetric;
 *   - multifunction means "several ids, or one all-functions id". */
#include "fuzz.h"

#include "../../pve/hostpci.h"

#include <stdlib.h>
#include <string.h>

static void check_id(const struct pve_pci_id *id)
{
	struct pve_pci_id again;
	if (id->domain_too_long) {
		if (pve_pci_id_overlap(id, id))
			abort();
		return;
	}
	if (!pve_pci_id_parse(id->id, strlen(id->id), &again))
		abort();
	if (strcmp(again.id, id->id) != 0 || strcmp(again.slot, id->slot) != 0 ||
	    again.bus != id->bus || again.device != id->device || again.function != id->function)
		abort();
	if (strncmp(id->id, id->slot, strlen(id->slot)) != 0)
		abort();
}

static void check_hostpci(const struct pve_hostpci *h)
{
	bool multi = pve_hostpci_is_multifunction(h);
	bool expected = h->id_count > 1 || (h->id_count == 1 && h->ids[0].function < 0);
	if (multi != expected)
		abort();
	for (size_t i = 0; i < h->id_count; i++) {
		check_id(&h->ids[i]);
		if (!h->ids[i].domain_too_long && !pve_pci_id_overlap(&h->ids[i], &h->ids[i]))
			abort();
		for (size_t k = 0; k < h->id_count; k++) {
			if (pve_pci_id_overlap(&h->ids[i], &h->ids[k]) !=
			    pve_pci_id_overlap(&h->ids[k], &h->ids[i]))
				abort();
		}
	}
	if (h->driver != HOSTPCI_DRIVER_DEFAULT && h->driver != HOSTPCI_DRIVER_VFIO &&
	    h->driver != HOSTPCI_DRIVER_KEEP)
		abort();
	const int tristates[] = {h->pcie, h->x_vga, h->legacy_igd, h->rombar};
	for (size_t i = 0; i < sizeof(tristates) / sizeof(tristates[0]); i++) {
		if (tristates[i] < -1 || tristates[i] > 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a config line cannot hold a NUL byte: the loader refuses the file */
	if (memchr(data, '\0', size))
		return 0;
	char *value = malloc(size + 1);
	if (!value)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';

	struct pve_hostpci h;
	struct prop_errors errors = {NULL, 12345};
	if (pve_hostpci_parse(value, &h, &errors) == 0) {
		if (errors.items || errors.count != 12345)
			abort(); /* success leaves the errors alone */
		check_hostpci(&h);
		pve_hostpci_free(&h);
	} else {
		if (!errors.count)
			abort(); /* a rejection always says why */
		for (size_t i = 0; i < errors.count; i++) {
			const struct prop_error *e = &errors.items[i];
			if (!e->message || !*e->message)
				abort();
			/* an error about one key names it in front, as check_object does */
			if (e->key &&
			    (e->kind == PROP_ERROR_UNKNOWN_KEY ||
			     e->kind == PROP_ERROR_BAD_VALUE) &&
			    (strncmp(e->message, e->key, strlen(e->key)) != 0 ||
			     e->message[strlen(e->key)] != ':'))
				abort();
			/* sorted by key, as pcipt lists them */
			if (i > 0 && errors.items[i - 1].key && e->key &&
			    strcmp(errors.items[i - 1].key, e->key) > 0)
				abort();
		}
		prop_errors_free(&errors);
	}
	free(value);
	return 0;
}
