/* Fuzz the resource-mapping reader (/etc/pve/mapping/pci.cfg): every mapping it keeps has a
 * valid name, and every map line it keeps has a node and a path, and the path's IDs typed. */
#include "fuzz.h"

#include "../../lib/textfile.h"
#include "../../pve/mapping.h"
#include "../../pve/propstr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct text_file text;
	struct pcipt_error err;
	if (text_file_from_buffer((const char *)data, size, &text, &err) < 0)
		return 0;
	struct pve_mappings m;
	pve_mappings_parse(&text, "/etc/pve/mapping/pci.cfg", &m);
	text_file_free(&text);
	for (size_t i = 0; i < m.count; i++) {
		if (pve_check_configid(m.items[i].name) ||
		    pve_mappings_find(&m, m.items[i].name) == NULL)
			abort();
		for (size_t k = 0; k < m.items[i].entry_count; k++) {
			const struct pve_mapping_entry *e = &m.items[i].entries[k];
			if (!e->node || !e->path || e->vendor > 0xffff || e->device > 0xffff ||
			    e->id_count < 1 || e->id_count > strlen(e->path) / 10 + 1)
				abort();
			/* the path's IDs, typed: each names a domain (path= requires one) */
			for (size_t j = 0; j < e->id_count; j++) {
				if (strncmp(e->ids[j].written, e->ids[j].slot, 4) != 0 ||
				    strchr(e->ids[j].id, ';'))
					abort();
			}
		}
	}
	for (size_t i = 0; i < m.problem_count; i++) {
		if (!m.problems[i].message || !m.problems[i].line)
			abort();
	}
	pve_mappings_free(&m);
	return 0;
}
