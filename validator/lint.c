#include "lint.h"

#include "checks.h"

#include "../lib/paths.h"
#include "../lib/rootpath.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"
#include "../pve/mapping.h"
#include "../pve/vmconfig.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static const char *load_error_hint(int code)
{
	switch (-code) {
	case ENOENT:
		return "check the VMID or the path";
	case EACCES:
	case EPERM:
		return "run pcipt-validate as root or give it read access to the file";
	case EFBIG:
		return "a VM config is a few KiB; check that this is the right file";
	case E2BIG:
		return "a VM config has one setting per line; check that this is the right file";
	case EISDIR:
		return "give the config file, not its directory";
	case ELOOP:
		return "the path is a loop of symbolic links; point it at the real file";
	case EILSEQ:
		return "save the file as plain UTF-8 text without NUL bytes";
	case EINVAL:
		return "give a regular file; pipes and devices are never read";
	default:
		return "check the file and the disk it is on";
	}
}

/* ROOT/etc/pve/mapping/pci.cfg, when there is one.  Returns true when it was read (problems
 * in it become findings), false when absent or unreadable (then *unreadable is set). */
static bool load_mappings(const char *root, size_t source_index, struct pve_mappings *ret,
			  struct findings *out, bool *unreadable)
{
	char *path = root_join(root, PATH_PVE_PCI_MAPPING);
	bool present = access(path, F_OK) == 0;
	struct text_file text;
	struct text_error terr;
	int r = present ? text_file_load(path, &text, &terr) : 0;
	free(path);
	if (!present)
		return false;
	struct source_ref src = {PATH_PVE_PCI_MAPPING, source_index, -1};
	if (r < 0) {
		*unreadable = true;
		struct finding *f = findings_add(out, "config-syntax", SEVERITY_ERROR, &src, terr.line);
		finding_message(f, "cannot read the resource mappings: %s; mapped devices were not "
				   "checked",
				terr.message);
		finding_hint(f, "%s", load_error_hint(terr.code));
		return false;
	}
	pve_mappings_parse(&text, PATH_PVE_PCI_MAPPING, ret);
	text_file_free(&text);
	for (size_t i = 0; i < ret->problem_count; i++) {
		struct finding *f = findings_add(out, "config-syntax", SEVERITY_WARNING, &src,
						 ret->problems[i].line);
		finding_message(f, "%s", ret->problems[i].message);
		finding_hint(f, "edit the mapping under Datacenter > Resource Mappings");
	}
	return true;
}

bool lint_offline(const struct lint_input *inputs, size_t count, const char *root,
		  const struct rules *rules, struct findings *out)
{
	struct pve_config *configs = xcalloc(count, sizeof(*configs));
	struct checked_config *checked = xcalloc(count, sizeof(*checked));
	size_t loaded = 0;
	bool unreadable = false;
	for (size_t i = 0; i < count; i++) {
		struct source_ref src = {inputs[i].display, i, pve_vmid_from_path(inputs[i].path)};
		struct pve_load_error err;
		if (pve_config_load(inputs[i].path, inputs[i].display, &configs[loaded], &err) < 0) {
			unreadable = true;
			struct finding *f =
				findings_add(out, "config-syntax", SEVERITY_ERROR, &src, err.line);
			if (err.column)
				finding_message(f, "cannot read this file: %s (column %u); nothing in "
						   "it was checked",
						err.message, err.column);
			else
				finding_message(f, "cannot read this file: %s; nothing in it was "
						   "checked",
						err.message);
			finding_hint(f, "%s", load_error_hint(err.code));
			continue;
		}
		checked[loaded] = (struct checked_config){&configs[loaded], src};
		loaded++;
	}
	/* resource mappings are cluster-wide config: the offline lint reads them too */
	struct pve_mappings mappings = {0};
	bool have_mappings = load_mappings(root, count, &mappings, out, &unreadable);
	const struct pve_mappings *m = have_mappings ? &mappings : NULL;

	validate_offline_rules(checked, loaded, rules, m, out);
	rules_apply(rules, out);
	apply_device_overrides(checked, loaded, rules, m, out);
	findings_sort(out);

	for (size_t i = 0; i < loaded; i++)
		pve_config_free(&configs[i]);
	free(configs);
	free(checked);
	if (have_mappings)
		pve_mappings_free(&mappings);
	return unreadable;
}
