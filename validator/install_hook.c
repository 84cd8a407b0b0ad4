#include "install_hook.h"

#include "../lib/paths.h"
#include "../lib/rootpath.h"
#include "../lib/xalloc.h"
#include "../pve/storage.h"
#include "../pve/vmconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(char *error, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *error, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error, size, fmt, ap);
	va_end(ap);
	return -1;
}

static bool usable(const struct pve_storage *s)
{
	return s->snippets && !s->disabled && s->path;
}

/* The storage to put the link on: the one asked for, else `local`, else the first usable. */
static const struct pve_storage *choose_storage(const struct pve_storages *storages,
					       const char *storage_id, char *error, size_t size)
{
	if (storage_id) {
		const struct pve_storage *s = pve_storages_find(storages, storage_id);
		if (!s)
			fail(error, size, "no storage '%s' in %s", storage_id, PATH_PVE_STORAGE_CFG);
		else if (s->disabled)
			fail(error, size, "storage '%s' is disabled (%s line %u)", storage_id,
			     PATH_PVE_STORAGE_CFG, s->line);
		else if (!s->path)
			fail(error, size, "storage '%s' (%s) holds no files, so no snippets", storage_id,
			     s->type);
		else if (!s->snippets)
			fail(error, size,
			     "storage '%s' does not allow snippets; add them to its content types: "
			     "`pvesm set %s --content <its current types>,snippets`",
			     storage_id, storage_id);
		else
			return s;
		return NULL;
	}
	const struct pve_storage *local = pve_storages_find(storages, "local");
	if (local && usable(local))
		return local;
	for (size_t i = 0; i < storages->count; i++) {
		if (usable(&storages->items[i]))
			return &storages->items[i];
	}
	fail(error, size,
	     "no storage of this node allows snippets, and Proxmox runs hookscripts only from "
	     "one; allow them on local with `pvesm set local --content "
	     "iso,vztmpl,backup,snippets` (keep the types it has) or choose one with --storage");
	return NULL;
}

/* The VM's config: whether it names our volume already, or another hookscript. */
static int read_vm_hookscript(const char *root, long vmid, const char *volume, bool *ret_set,
			      char *error, size_t size)
{
	char *display = xasprintf("%s/%ld.conf", PATH_PVE_QEMU_SERVER, vmid);
	char *path = root_join(root, display);
	struct pve_config config;
	struct pve_load_error lerr;
	int r = pve_config_load(path, display, &config, &lerr);
	free(path);
	if (r < 0) {
		if (lerr.code == -ENOENT)
			fail(error, size, "no VM %ld on this node: %s does not exist", vmid, display);
		else
			fail(error, size, "%s: %s", display, lerr.message);
		free(display);
		return -1;
	}
	/* the raw line, also one Proxmox drops: qm set would overwrite it */
	const struct pve_entry *e = pve_config_get(&config, "hookscript");
	*ret_set = e && strcmp(e->value, volume) == 0;
	if (e && !*ret_set)
		fail(error, size,
		     "%s:%u: VM %ld already has the hookscript %s, and Proxmox runs one per VM; "
		     "call `%s %ld PHASE` from that script, or remove it with "
		     "`qm set %ld --delete hookscript` first",
		     display, e->line, vmid, e->value, "pcipt-hook", vmid, vmid);
	pve_config_free(&config);
	free(display);
	return e && !*ret_set ? -1 : 0;
}

/* What is at the snippet path now: nothing, our link, or something to leave alone. */
static int inspect_snippet(const char *root, const char *snippet_path, const char *hook_path,
			   bool *ret_present, char *error, size_t size)
{
	char *full = root_join(root, snippet_path);
	struct stat st;
	int r = 0;
	*ret_present = false;
	if (lstat(full, &st) == 0) {
		char target[4096];
		ssize_t n = S_ISLNK(st.st_mode) ? readlink(full, target, sizeof(target) - 1) : -1;
		if (n >= 0) {
			target[n] = '\0';
			*ret_present = strcmp(target, hook_path) == 0;
		}
		if (!*ret_present)
			r = fail(error, size,
				 "%s exists and is not a link to %s; remove it, or put the link on "
				 "another storage with --storage",
				 snippet_path, hook_path);
	} else if (errno != ENOENT) {
		r = fail(error, size, "cannot look at %s: %s", snippet_path, strerror(errno));
	}
	free(full);
	return r;
}

int hook_install_plan(const char *root, long vmid, const char *storage_id, const char *hook_path,
		      struct hook_install *ret, char *error, size_t error_size)
{
	*ret = (struct hook_install){.vmid = vmid};
	struct stat st;
	int r = root_stat(root, hook_path, &st);
	if (r < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return fail(error, error_size,
			    "pcipt-hook is not installed at %s (%s); install the pcipt package, or "
			    "`make install PREFIX=/usr`",
			    hook_path, r < 0 ? strerror(-r) : "not an executable file");
	struct pve_storages storages = {0};
	char *cfg = root_join(root, PATH_PVE_STORAGE_CFG);
	pve_storages_load(cfg, &storages);
	free(cfg);
	const struct pve_storage *s = choose_storage(&storages, storage_id, error, error_size);
	if (s) {
		ret->storage = xstrdup(s->id);
		ret->volume = xasprintf("%s:snippets/%s", s->id, HOOK_SNIPPET_NAME);
		const char *why = NULL;
		ret->snippet_path = pve_snippet_path(&storages, ret->volume, &why);
	}
	pve_storages_free(&storages);
	if (!s || !ret->snippet_path ||
	    read_vm_hookscript(root, vmid, ret->volume, &ret->hookscript_set, error, error_size) < 0 ||
	    inspect_snippet(root, ret->snippet_path, hook_path, &ret->link_present, error,
			    error_size) < 0) {
		hook_install_free(ret);
		return -1;
	}
	return 0;
}

/* mkdir -p of path's directory, below root. */
static int make_parent_dirs(const char *root, const char *path, char *error, size_t size)
{
	char *full = root_join(root, path);
	size_t skip = strlen(full) - strlen(path);
	char *slash = strrchr(full, '/');
	*slash = '\0';
	int r = 0;
	for (char *p = full + skip + 1;; p++) {
		bool end = *p == '\0';
		if (*p == '/' || end) {
			char saved = *p;
			*p = '\0';
			if (mkdir(full, 0755) < 0 && errno != EEXIST)
				r = fail(error, size, "cannot create %s: %s", full + skip,
					 strerror(errno));
			*p = saved;
			if (r < 0 || end)
				break;
		}
	}
	free(full);
	return r;
}

/* qm set VMID --hookscript VOLUME; 0 or -1. */
static int run_qm_set(long vmid, const char *volume, char *error, size_t size)
{
	char id[24];
	snprintf(id, sizeof(id), "%ld", vmid);
	pid_t pid = fork();
	if (pid < 0)
		return fail(error, size, "cannot run qm: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = {"qm", "set", id, "--hookscript", (char *)volume, NULL};
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fail(error, size, "waiting for qm: %s", strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return fail(error, size, "`qm` was not found in PATH: is this a Proxmox VE node?");
	return fail(error, size, "`qm set %ld --hookscript %s` failed (%s %d)", vmid, volume,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

int hook_install_apply(const char *root, const struct hook_install *plan, const char *hook_path,
		       bool *ret_did_link, bool *ret_did_set, char *error, size_t error_size)
{
	*ret_did_link = *ret_did_set = false;
	if (!plan->link_present) {
		if (make_parent_dirs(root, plan->snippet_path, error, error_size) < 0)
			return -1;
		char *full = root_join(root, plan->snippet_path);
		int r = symlink(hook_path, full);
		int e = errno;
		free(full);
		if (r < 0)
			return fail(error, error_size, "cannot create %s: %s", plan->snippet_path,
				    strerror(e));
		*ret_did_link = true;
	}
	if (!plan->hookscript_set) {
		if (run_qm_set(plan->vmid, plan->volume, error, error_size) < 0) {
			if (*ret_did_link) {
				char *full = root_join(root, plan->snippet_path);
				unlink(full);
				free(full);
				*ret_did_link = false;
			}
			return -1;
		}
		*ret_did_set = true;
	}
	return 0;
}

void hook_install_free(struct hook_install *p)
{
	free(p->storage);
	free(p->volume);
	free(p->snippet_path);
	*p = (struct hook_install){0};
}
