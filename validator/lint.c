#include "lint.h"

#include "checks.h"
#include "groups.h"
#include "pins.h"
#include "vmdevices.h"

#include "../host/snapshot.h"
#include "../lib/paths.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"
#include "../pve/mapping.h"
#include "../pve/vmconfig.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The hint for a storage.cfg that cannot be read: the config hints, but for pmxcfs' file */
/* "cannot read WHAT: WHY (column N); CONSEQUENCE" */
static void say_unreadable(struct finding *f, const char *what, const char *why, unsigned column,
			   const char *consequence)
{
	if (column)
		finding_message(f, "cannot read %s: %s (column %u); %s", what, why, column,
				consequence);
	else
		finding_message(f, "cannot read %s: %s; %s", what, why, consequence);
}

static const char *storage_error_hint(int code)
{
	switch (-code) {
	case EFBIG:
	case E2BIG:
		return "storage.cfg is a few KiB; check /etc/pve/storage.cfg and the cluster file "
		       "system (pmxcfs)";
	case EISDIR:
	case EINVAL:
		return "/etc/pve/storage.cfg must be a regular file; check the cluster file system "
		       "(pmxcfs)";
	default:
		return load_error_hint(code);
	}
}

/* ROOT/etc/pve/mapping/pci.cfg, when there is one.  Returns true when it was read (problems
 * in it become findings), false when absent or unreadable (then *unreadable is set). */
static bool load_mappings(const struct rootfs *root, size_t source_index, struct pve_mappings *ret,
			  struct findings *out, bool *unreadable)
{
	struct pcipt_error terr;
	int r = pve_mappings_load(root, PATH_PVE_PCI_MAPPING, PATH_PVE_PCI_MAPPING, ret, &terr);
	if (r == -ENOENT)
		return false;
	struct source_ref src = {PATH_PVE_PCI_MAPPING, source_index, -1};
	if (r < 0) {
		*unreadable = true;
		struct finding *f =
			findings_add(out, CHECK_CONFIG_SYNTAX, SEVERITY_ERROR, &src, terr.line);
		finding_message(f,
				"cannot read the resource mappings: %s; mapped devices were not "
				"checked",
				terr.message);
		finding_hint(f, "%s", load_error_hint(terr.code));
		return false;
	}
	for (size_t i = 0; i < ret->problem_count; i++) {
		struct finding *f = findings_add(out, CHECK_CONFIG_SYNTAX, SEVERITY_WARNING, &src,
						 ret->problems[i].line);
		finding_message(f, "%s", ret->problems[i].message);
		finding_hint(f, "edit the mapping under Datacenter > Resource Mappings");
	}
	return true;
}

/* ROOT/etc/pve/storage.cfg (where hookscripts live), or what Proxmox assumes without one.
 * Returns false when it exists and cannot be read: that is a finding and *unreadable, never
 * "only local". */
static bool load_storages(const struct rootfs *root, size_t source_index, struct pve_storages *ret,
			  struct findings *out, bool *unreadable)
{
	struct pcipt_error terr;
	int r = pve_storages_load(root, PATH_PVE_STORAGE_CFG, ret, &terr);
	if (r == 0)
		return true;
	*unreadable = true;
	struct source_ref src = {PATH_PVE_STORAGE_CFG, source_index, -1};
	struct finding *f = findings_add(out, CHECK_CONFIG_SYNTAX, SEVERITY_ERROR, &src, terr.line);
	say_unreadable(f, "the storage definitions", terr.message, terr.column,
		       "hookscripts were not checked");
	finding_hint(f, "%s", storage_error_hint(terr.code));
	return false;
}

/* Load every input; unreadable ones become findings.  Returns the number loaded. */
static size_t load_configs(const struct lint_input *inputs, size_t count, size_t first_index,
			   struct pve_config *configs, struct checked_config *checked,
			   struct findings *out, bool *unreadable)
{
	size_t loaded = 0;
	for (size_t i = 0; i < count; i++) {
		struct source_ref src = {inputs[i].display, first_index + i,
					 pve_vmid_from_path(inputs[i].path)};
		struct pcipt_error err;
		if (pve_config_load(inputs[i].fs, inputs[i].path, inputs[i].display,
				    &configs[loaded], &err) < 0) {
			*unreadable = true;
			struct finding *f = findings_add(out, CHECK_CONFIG_SYNTAX, SEVERITY_ERROR,
							 &src, err.line);
			say_unreadable(f, "this file", err.message, err.column,
				       "nothing in it was checked");
			finding_hint(f, "%s", load_error_hint(err.code));
			continue;
		}
		checked[loaded] =
			(struct checked_config){.config = &configs[loaded], .source = src};
		loaded++;
	}
	return loaded;
}

static void free_configs(struct pve_config *configs, struct checked_config *checked, size_t loaded)
{
	for (size_t i = 0; i < loaded; i++)
		pve_config_free(&configs[i]);
	free(configs);
	free(checked);
}

/* Where the offline lint looks for the node of each config: ROOT/etc/pve/nodes, resolved
 * once, and the last config directory resolved (configs of one directory come together). */
struct node_finder {
	const struct rootfs *root;
	char *nodes_real; /* /etc/pve/nodes with its links followed; NULL: no node is known */
	char *dir, *dir_real;
};

static void node_finder_init(struct node_finder *nf, const struct rootfs *root)
{
	nf->root = root;
	nf->nodes_real = NULL;
	(void)rootfs_resolve(root, PATH_PVE_NODES, &nf->nodes_real);
	nf->dir = nf->dir_real = NULL;
}

static void node_finder_free(struct node_finder *nf)
{
	free(nf->nodes_real);
	free(nf->dir);
	free(nf->dir_real);
}

/* The directory dir of a config read through fs, with its links followed, as a host path
 * inside the root; NULL when it is not inside (a file named on the command line elsewhere). */
static char *config_dir_real(const struct node_finder *nf, const struct rootfs *fs, const char *dir)
{
	char *real = NULL;
	if (fs != rootfs_host() || rootfs_is_host(nf->root)) {
		(void)rootfs_resolve(nf->root, dir, &real);
		return real;
	}
	/* a file named on the command line: where it really is, which may be under the root */
	char *host_real = realpath(dir, NULL);
	if (host_real)
		(void)rootfs_inside(nf->root, host_real, &real);
	free(host_real);
	return real;
}

/* The node a stored config belongs to: NODE of ROOT/etc/pve/nodes/NODE/qemu-server/VMID.conf
 * when the config's directory is that one (ROOT/etc/pve/qemu-server is pmxcfs' link to it),
 * or when exactly one node's directory holds a VMID.conf (a copy of /etc/pve keeps
 * qemu-server as a copy of the local node's directory).  NULL: unknown. */
static char *config_node(struct node_finder *nf, const struct rootfs *fs, const char *path,
			 long vmid)
{
	if (!nf->nodes_real)
		return NULL;
	const char *slash = strrchr(path, '/');
	char *dir =
		slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	if (!nf->dir || strcmp(nf->dir, dir) != 0) {
		free(nf->dir);
		free(nf->dir_real);
		nf->dir = dir;
		nf->dir_real = config_dir_real(nf, fs, dir);
	} else {
		free(dir);
	}
	size_t len = strlen(nf->nodes_real);
	const char *real = nf->dir_real;
	if (real && strncmp(real, nf->nodes_real, len) == 0 && real[len] == '/') {
		const char *name = real + len + 1;
		size_t n = strcspn(name, "/");
		if (strcmp(name + n, "/qemu-server") == 0)
			return xstrndup(name, n);
	}
	if (vmid < 0)
		return NULL;
	char **names;
	size_t count;
	if (rootfs_list(nf->root, PATH_PVE_NODES, &names, &count) < 0)
		return NULL;
	char *found = NULL;
	size_t holders = 0;
	for (size_t i = 0; i < count; i++) {
		if (names[i][0] == '.')
			continue;
		char *conf = pve_node_vm_config_path(names[i], vmid);
		if (rootfs_exists(nf->root, conf) && holders++ == 0)
			found = xstrdup(names[i]);
		free(conf);
	}
	rootfs_free_names(names, count);
	if (holders > 1) {
		free(found);
		found = NULL;
	}
	return found;
}

struct offline_lint {
	const struct rules *rules;
	lint_findings_done *done;
	void *ctx;
	size_t next_index; /* the source index of the next input */
	bool unreadable;
	struct pve_mappings mappings;
	const struct pve_mappings *m; /* &mappings, or NULL: there is no pci.cfg */
	struct findings mapping_findings;
	/* device-shared is the one check across configs: it keeps what they claim, not them */
	struct shared_claims *seen;
	struct node_finder nf;
};

struct offline_lint *lint_offline_begin(const struct rootfs *root, const struct rules *rules,
					size_t input_count, lint_findings_done *done, void *ctx)
{
	struct offline_lint *lint = xmalloc(sizeof(*lint));
	*lint = (struct offline_lint){.rules = rules, .done = done, .ctx = ctx};
	/* resource mappings are cluster-wide config: the offline lint reads them too (first:
	 * the checks of each config need them); their findings come after every config's */
	findings_init(&lint->mapping_findings);
	if (load_mappings(root, input_count, &lint->mappings, &lint->mapping_findings,
			  &lint->unreadable))
		lint->m = &lint->mappings;
	lint->seen = shared_claims_new();
	node_finder_init(&lint->nf, root);
	return lint;
}

void lint_offline_config(struct offline_lint *lint, const struct lint_input *input)
{
	struct findings out;
	findings_init(&out);
	struct pve_config config;
	struct checked_config checked;
	if (load_configs(input, 1, lint->next_index++, &config, &checked, &out,
			 &lint->unreadable)) {
		const struct rules *rules = lint->rules;
		check_config(&checked, rules, &out);
		check_device_rules(&checked, rules, lint->m, &out);
		check_device_shared_next(lint->seen, &checked, &out);
		char *node = config_node(&lint->nf, input->fs, input->path, config.vmid);
		check_mapping_lines(&checked, lint->m, node, NULL, &out);
		free(node);
		rules_apply(rules, &out);
		apply_device_overrides(&checked, 1, rules, lint->m, &out);
		pve_config_free(&config);
	}
	findings_sort(&out);
	lint->done(&out, lint->ctx);
	findings_free(&out);
}

bool lint_offline_end(struct offline_lint *lint)
{
	node_finder_free(&lint->nf);
	shared_claims_free(lint->seen);
	rules_apply(lint->rules, &lint->mapping_findings);
	findings_sort(&lint->mapping_findings);
	lint->done(&lint->mapping_findings, lint->ctx);
	findings_free(&lint->mapping_findings);
	if (lint->m)
		pve_mappings_free(&lint->mappings);
	bool unreadable = lint->unreadable;
	free(lint);
	return unreadable;
}

void vm_files_gather(const struct pve_vm *vm, const struct host_view *view,
		     const struct rules *rules, struct vm_files *ret)
{
	*ret = (struct vm_files){0};
	const struct host *host = view->host;
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++) {
		const struct pve_hostpci_setting *s = &vm->hostpci[i];
		if (!s->raw.set || !s->dev.romfile)
			continue;
		ret->rom_path[i] = romfile_host_path(rules, s->dev.romfile);
		if (ret->rom_path[i])
			host_rom_get(host, ret->rom_path[i], &ret->rom[i]);
	}
	/* no storages: storage.cfg could not be read, and that finding says so */
	if (vm->hookscript.set && view->storages) {
		if (pve_snippet_path(view->storages, vm->hookscript.value, &ret->hook_path,
				     &ret->hook_unresolved) == 0)
			ret->hook_error = host_file_mode_get(host, ret->hook_path, &ret->hook_mode,
							     &ret->hook_regular);
	}
}

void vm_files_free(struct vm_files *f)
{
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++)
		free(f->rom_path[i]);
	free(f->hook_path);
}

int lint_read_host(const struct rootfs *root, const struct rules *rules, long long now,
		   struct host *ret, struct pcipt_error *err)
{
	/* the parameters the host checks read themselves (xvga-device, interrupt-remapping) */
	char **modules = NULL;
	size_t cap = 0, n = 0;
	xgrow((void **)&modules, &cap, 2, sizeof(*modules));
	modules[n++] = xstrdup("vfio_pci");
	modules[n++] = xstrdup("vfio_iommu_type1");
	/* and every module a device rule's host_module_params names ("kvm.ignore_msrs=1") */
	for (size_t i = 0; rules && i < rules->device_count; i++) {
		const struct rules_string_list *l = &rules->devices[i].host_module_params;
		for (size_t k = 0; k < l->count; k++) {
			const char *dot = strchr(l->items[k], '.');
			if (!dot)
				continue;
			xgrow((void **)&modules, &cap, n + 1, sizeof(*modules));
			modules[n++] = xstrndup(l->items[k], (size_t)(dot - l->items[k]));
		}
	}
	struct host_load_options options = {(const char *const *)modules, n};
	int r = host_load(root, now, &options, ret, err);
	for (size_t i = 0; i < n; i++)
		free(modules[i]);
	free(modules);
	return r;
}

static void say_age(char *buf, size_t size, long long seconds)
{
	if (seconds >= 2 * 86400)
		snprintf(buf, size, "%lld days", seconds / 86400);
	else if (seconds >= 2 * 3600)
		snprintf(buf, size, "%lld hours", seconds / 3600);
	else
		snprintf(buf, size, "%lld minutes", seconds / 60);
}

int lint_read_node_snapshot(const struct rootfs *root, const char *node, long long now,
			    unsigned max_age, enum severity severity, struct host *ret,
			    struct findings *out, bool *unreadable)
{
	char *path = xasprintf("%s/%s/%s", PATH_PVE_NODES, node, PCIPT_SNAPSHOT_NAME);
	struct source_ref src = {path, 0, -1};
	struct pcipt_error err;
	int r = host_snapshot_load(root, path, ret, &err);
	struct finding *f;
	if (r == -ENOENT) {
		f = findings_add(out, CHECK_NODE_SNAPSHOT, severity, &src, 0);
		finding_message(
			f,
			"node %s has published no snapshot of its host, so its VMs cannot be "
			"judged against it",
			node);
		finding_hint(
			f,
			"run `pcipt-validate --publish` on %s (the package's pcipt-publish.timer "
			"does every hour); a node that is down or has no quorum cannot publish",
			node);
		free(path);
		return 1;
	}
	if (r < 0) {
		*unreadable = true;
		f = findings_add(out, CHECK_NODE_SNAPSHOT, severity, &src, err.line);
		finding_message(f, "the snapshot of node %s cannot be read: %s", node, err.message);
		finding_hint(f, "publish it again on %s: `pcipt-validate --publish`", node);
		free(path);
		return 1;
	}
	long long age = now - ret->origin.taken;
	if (age > (long long)max_age) {
		char how_old[32], limit[32];
		say_age(how_old, sizeof(how_old), age);
		say_age(limit, sizeof(limit), max_age);
		f = findings_add(out, CHECK_NODE_SNAPSHOT, severity, &src, 0);
		finding_message(
			f,
			"the snapshot of node %s is %s old, older than snapshot_max_age (%s): "
			"what %s has now may differ from what the VMs are judged against",
			node, how_old, limit, node);
		finding_hint(f,
			     "check that pcipt-publish.timer runs on %s and that it has quorum "
			     "(`pvecm status`), or publish now: `pcipt-validate --publish`",
			     node);
	}
	free(path);
	return 0;
}

static int collect_files(const struct rootfs *root, const struct rules *rules, struct host *host,
			 struct pcipt_error *err)
{
	const char *const *rom_dirs;
	size_t rom_dir_count;
	romfile_roots(rules, &rom_dirs, &rom_dir_count);
	/* an unreadable storage.cfg: the hookscript check does not run, so no snippets matter */
	struct pve_storages storages = {0};
	struct pcipt_error ignored;
	char **snippet_dirs = NULL;
	size_t snippet_dir_count = 0;
	if (pve_storages_load(root, PATH_PVE_STORAGE_CFG, &storages, &ignored) == 0) {
		snippet_dirs = xcalloc(storages.count ? storages.count : 1, sizeof(*snippet_dirs));
		for (size_t i = 0; i < storages.count; i++) {
			char *dir = pve_storage_snippets_dir(&storages.items[i]);
			if (dir)
				snippet_dirs[snippet_dir_count++] = dir;
		}
		pve_storages_free(&storages);
	}
	int r = host_files_collect(root, rom_dirs, rom_dir_count, (const char *const *)snippet_dirs,
				   snippet_dir_count, &host->files, err);
	for (size_t i = 0; i < snippet_dir_count; i++)
		free(snippet_dirs[i]);
	free(snippet_dirs);
	return r;
}

int lint_snapshot_text(const struct rootfs *root, const struct rules *rules, long long now,
		       char **ret_text, size_t *ret_size, struct pcipt_error *err)
{
	struct host host;
	int r = lint_read_host(root, rules, now, &host, err);
	if (r < 0)
		return r;
	r = collect_files(root, rules, &host, err);
	if (r == 0)
		r = host_snapshot_write(&host, ret_text, ret_size, err);
	host_free(&host);
	return r;
}

void lint_prepare(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		  const struct host *host, bool host_only, struct lint_prepared *ret,
		  struct findings *out)
{
	struct lint_prepared p = {.host = host};
	p.configs = xcalloc(count ? count : 1, sizeof(*p.configs));
	p.checked = xcalloc(count ? count : 1, sizeof(*p.checked));
	p.count = load_configs(inputs, count, 1, p.configs, p.checked, out, &p.unreadable);
	for (size_t i = 0; i < p.count; i++)
		p.checked[i].slots_expanded = true;
	p.have_mappings =
		!host_only && load_mappings(root, count + 1, &p.mappings, out, &p.unreadable);
	p.have_storages =
		!host_only && load_storages(root, count + 2, &p.storages, out, &p.unreadable);
	p.devices = xcalloc(p.count ? p.count : 1, sizeof(*p.devices));
	for (size_t i = 0; i < p.count; i++)
		vm_devices_resolve(&p.configs[i].vm, p.checked[i].source.vmid, host,
				   p.have_mappings ? &p.mappings : NULL, &p.devices[i]);
	p.next_source = count + 3;
	*ret = p;
}

void lint_prepare_identity(struct lint_prepared *p, const struct rootfs *root, struct findings *out)
{
	p->pins = xcalloc(p->count ? p->count : 1, sizeof(*p->pins));
	for (size_t i = 0; i < p->count; i++) {
		long vmid = p->checked[i].source.vmid;
		struct pcipt_error err;
		if (vmid < 0 || pins_read(root, vmid, &p->pins[i], &err) == 0)
			continue;
		/* after every config: the pin files' findings, each in its own file */
		char *path = pins_path(vmid);
		struct source_ref src = {path, p->next_source + i, vmid};
		struct finding *f =
			findings_add(out, CHECK_DEVICE_IDENTITY, SEVERITY_ERROR, &src, err.line);
		finding_message(
			f,
			"VM %ld's identity pins cannot be used: %s; the cards behind its raw "
			"hostpci addresses cannot be compared with those of its last start",
			vmid, err.message);
		finding_hint(f,
			     "see what is behind each address (`lspci -Dnn`), then pin it: "
			     "`pcipt-validate --accept-identity %ld` (pcipt-hook never replaces "
			     "this file itself)",
			     vmid);
		free(path);
	}
}

void lint_prepared_free(struct lint_prepared *p)
{
	for (size_t i = 0; i < p->count; i++)
		vm_devices_free(&p->devices[i]);
	free(p->devices);
	free(p->pins);
	free_configs(p->configs, p->checked, p->count);
	if (p->have_mappings)
		pve_mappings_free(&p->mappings);
	if (p->have_storages)
		pve_storages_free(&p->storages);
	*p = (struct lint_prepared){0};
}

void lint_keep_onboot(const struct lint_prepared *p, struct findings *list)
{
	for (size_t i = 0; i < list->count; i++) {
		struct finding *f = &list->items[i];
		for (size_t k = 0; f->vmid >= 0 && k < p->count; k++) {
			/* the pins' findings are the VM's too, in a file of their own */
			if (p->checked[k].source.vmid == f->vmid &&
			    !p->configs[k].vm.onboot_enabled)
				f->severity = SEVERITY_OFF;
		}
	}
	findings_remove_off(list);
}

int lint_check_prepared(const struct lint_prepared *p, const struct rules *rules,
			struct findings *out)
{
	const struct host *host = p->host;
	struct host_view view = {host, p->have_mappings ? &p->mappings : NULL,
				 p->have_storages ? &p->storages : NULL, 0};
	/* host-wide findings first: an IOMMU that is off explains everything after it */
	check_host_readiness(&view, out);
	/* device rules need the host's view of each device: not the offline, mapping-only pass */
	validate_offline_rules(p->checked, p->count, rules, NULL, out);
	for (size_t i = 0; i < p->count; i++) {
		struct vm_files files;
		vm_files_gather(&p->configs[i].vm, &view, rules, &files);
		check_vm_on_host(&p->checked[i], &p->devices[i], &view, &files, rules, out);
		check_mapping_lines(&p->checked[i], view.mappings, host->hostname, host, out);
		if (p->pins)
			check_device_identity(&p->checked[i], &p->pins[i], host, out);
		vm_files_free(&files);
	}
	rules_apply(rules, out);
	apply_device_overrides_on_host(host, rules, out);
	findings_sort(out);
	return p->unreadable ? 1 : 0;
}

int lint_loaded_host(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		     const struct host *host, const struct rules *rules, bool host_only,
		     struct findings *out)
{
	struct lint_prepared p;
	lint_prepare(inputs, count, root, host, host_only, &p, out);
	int r = lint_check_prepared(&p, rules, out);
	lint_prepared_free(&p);
	return r;
}

void lint_groups(const struct lint_input *inputs, size_t count, const struct rootfs *root,
		 const struct host *host, bool json, FILE *out)
{
	/* an unreadable config claims nothing (the lint of that VM says why), and an unreadable
	 * pci.cfg maps nothing */
	struct findings ignored;
	findings_init(&ignored);
	struct lint_prepared p;
	lint_prepare(inputs, count, root, host, false, &p, &ignored);
	findings_free(&ignored);
	struct groups_vm *vms = xcalloc(p.count ? p.count : 1, sizeof(*vms));
	for (size_t i = 0; i < p.count; i++)
		vms[i] = (struct groups_vm){&p.configs[i], p.checked[i].source.file, &p.devices[i]};
	if (json)
		report_groups_json(out, host, vms, p.count);
	else
		report_groups_text(out, host, vms, p.count);
	free(vms);
	lint_prepared_free(&p);
}

void lint_inputs_free(struct lint_input *inputs, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(inputs[i].path);
		free(inputs[i].display);
	}
	free(inputs);
}
