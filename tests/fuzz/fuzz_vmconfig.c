/* Fuzz the whole offline path: bounded text loading (text_file_from_buffer), the
 * parse_vm_config semantics (pve_config_parse), every config-only check, and the cross-VM
 * device-shared check (the same config passed twice).
 *
 * Besides the sanitizers, the target aborts on broken invariants of the findings:
 *   - every finding has a catalogue check id, a real severity, the file name and a message,
 *     and a line inside the file;
 *   - the checks are pure: each copy of the config in the pair run gets exactly the findings
 *     the single run got, plus (for the second copy only) one device-shared finding per
 *     hostpci line that claims whole host devices;
 *   - findings_sort() orders by source, then line;
 *   - the typed hostpciN value kept while reading is the value of the line that won. */
#include "fuzz.h"

#include "../../lib/findings.h"
#include "../../lib/textfile.h"
#include "../../pve/vmconfig.h"
#include "../../validator/checks.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DISPLAY_PATH "/etc/pve/qemu-server/100.conf"

static void check_finding(const struct finding *f, size_t sources, unsigned last_line)
{
	if ((unsigned)f->check >= CHECK_COUNT || !check_id_name(f->check))
		abort();
	if (f->severity < SEVERITY_INFO || f->severity > SEVERITY_ERROR)
		abort();
	if (!f->file || strcmp(f->file, DISPLAY_PATH) != 0)
		abort();
	if (!f->message || !*f->message)
		abort();
	if (f->source >= sources || f->line > last_line || f->vmid != 100)
		abort();
}

static size_t count_check(const struct findings *list, size_t source, enum check_id check,
			  bool matching)
{
	size_t n = 0;
	for (size_t i = 0; i < list->count; i++) {
		const struct finding *f = &list->items[i];
		if (f->source == source && (f->check == check) == matching)
			n++;
	}
	return n;
}

/* hostpci lines that claim whole host functions: each of them is shared with the copy. */
static size_t claiming_lines(const struct pve_config *config)
{
	size_t n = 0;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &config->vm.hostpci[i];
		if (!s->raw.set || s->dev.mdev)
			continue;
		/* ids with an impossible domain overlap nothing, not even their copy */
		for (size_t k = 0; k < s->dev.id_count; k++) {
			if (!s->dev.ids[k].domain_too_long) {
				n++;
				break;
			}
		}
	}
	return n;
}

/* The value kept typed for hostpciN is the one its winning line holds: parsing that line's
 * text again gives the same devices. */
static void check_hostpci_typed(const struct pve_config *config)
{
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &config->vm.hostpci[i];
		if (!s->raw.set) {
			if (s->dev.id_count || s->dev.mapping)
				abort();
			continue;
		}
		struct pve_hostpci again;
		if (pve_hostpci_parse(s->raw.value, &again, NULL) < 0)
			abort();
		if (again.id_count != s->dev.id_count || !again.mapping != !s->dev.mapping ||
		    (again.mapping && strcmp(again.mapping, s->dev.mapping) != 0))
			abort();
		for (size_t k = 0; k < again.id_count; k++) {
			if (strcmp(again.ids[k].id, s->dev.ids[k].id) != 0)
				abort();
		}
		pve_hostpci_free(&again);
	}
}

static void check_sorted(const struct findings *list)
{
	for (size_t i = 1; i < list->count; i++) {
		const struct finding *a = &list->items[i - 1], *b = &list->items[i];
		if (a->source > b->source || (a->source == b->source && a->line > b->line))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_file text;
	struct pcipt_error err;
	if (text_file_from_buffer((const char *)data, size, &text, &err) < 0) {
		if (err.code >= 0 || !err.message[0])
			abort(); /* a refusal is a negative errno with a message */
		return 0;
	}
	/* the file's last line number: a last line without '\n' counts, even when the
	 * loader drops it as empty (a lone trailing "\r") */
	unsigned last_line = 0;
	for (size_t i = 0; i < size; i++)
		last_line += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		last_line++;
	struct pve_config config;
	pve_config_parse(&text, DISPLAY_PATH, &config);
	/* the parsed config must not point into the text it came from */
	text_file_free(&text);
	if (config.vmid != 100 || config.section_count < 1 ||
	    config.sections[0].kind != PVE_SECTION_MAIN)
		abort();
	check_hostpci_typed(&config);

	struct checked_config one[1] = {
		{.config = &config, .source = {config.path, 0, config.vmid}},
	};
	struct findings single;
	findings_init(&single);
	validate_offline(one, 1, &single);
	for (size_t i = 0; i < single.count; i++)
		check_finding(&single.items[i], 1, last_line);
	if (count_check(&single, 0, CHECK_DEVICE_SHARED, true) != 0)
		abort();

	struct checked_config pair[2] = {
		{.config = &config, .source = {config.path, 0, config.vmid}},
		{.config = &config, .source = {config.path, 1, config.vmid}},
	};
	struct findings both;
	findings_init(&both);
	validate_offline(pair, 2, &both);
	for (size_t i = 0; i < both.count; i++)
		check_finding(&both.items[i], 2, last_line);
	size_t own = single.count;
	if (count_check(&both, 0, CHECK_DEVICE_SHARED, false) != own ||
	    count_check(&both, 1, CHECK_DEVICE_SHARED, false) != own ||
	    count_check(&both, 0, CHECK_DEVICE_SHARED, true) != 0 ||
	    count_check(&both, 1, CHECK_DEVICE_SHARED, true) != claiming_lines(&config))
		abort();
	findings_sort(&both);
	check_sorted(&both);
	size_t total = 0;
	for (enum severity s = SEVERITY_OFF; s <= SEVERITY_ERROR; s++)
		total += findings_count(&both, s);
	if (total != both.count)
		abort();

	findings_free(&both);
	findings_free(&single);
	pve_config_free(&config);
	return 0;
}
