#include "install_hook.h"

#include "../host/host.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"
#include "../pve/storage.h"
#include "../pve/vmconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static bool usable(const struct pve_storage *s, const char *node)
{
	return s->snippets && !s->disabled && s->path && pve_storage_on_node(s, node);
}

/* The storage to put the link on: the one asked for, else `local`, else the first usable one
 * that is not shared (a shared storage also serves nodes that may lack pcipt), else the first
 * usable shared one. */
static const struct pve_storage *choose_storage(const struct pve_storages *storages,
						const char *storage_id, const char *node,
						struct pcipt_error *err)
{
	if (storage_id) {
		const struct pve_storage *s = pve_storages_find(storages, storage_id);
		if (!s)
			error_set(err, -EINVAL, "no storage '%s' in %s", storage_id,
				  PATH_PVE_STORAGE_CFG);
		else if (s->disabled)
			error_set(err, -EINVAL, "storage '%s' is disabled (%s line %u)", storage_id,
				  PATH_PVE_STORAGE_CFG, s->line);
		else if (!s->path)
			error_set(err, -EINVAL, "storage '%s' (%s) holds no files, so no snippets",
				  storage_id, s->type);
		else if (!pve_storage_on_node(s, node))
			error_set(err, -EINVAL,
				  "storage '%s' is not available on node %s (nodes %s)", storage_id,
				  node ? node : "(unknown: no /etc/hostname)", s->nodes);
		else if (!s->snippets)
			error_set(
				err, -EINVAL,
				"storage '%s' does not allow snippets; add them to its content types: "
				"`pvesm set %s --content <its current types>,snippets`",
				storage_id, storage_id);
		else
			return s;
		return NULL;
	}
	const struct pve_storage *local = pve_storages_find(storages, "local");
	if (local && usable(local, node))
		return local;
	for (int shared = 0; shared <= 1; shared++) {
		for (size_t i = 0; i < storages->count; i++) {
			const struct pve_storage *s = &storages->items[i];
			if (usable(s, node) && s->shared == shared)
				return s;
		}
	}
	error_set(
		err, -EINVAL,
		"no storage of this node allows snippets, and Proxmox runs hookscripts only from "
		"one; allow them on local with `pvesm set local --content "
		"iso,vztmpl,backup,snippets` (keep the types it has) or choose one with --storage");
	return NULL;
}

/* The storage's directory must be there, and a network storage mounted on it: a link made in
 * an empty mount point would be hidden by the mount, or the mount would never happen. */
static int check_storage_dir(const struct rootfs *root, const struct pve_storage *s,
			     struct pcipt_error *err)
{
	/* PVE::Storage::Plugin::verify_path refuses a relative path; here it would be taken
	 * from whatever directory pcipt-validate runs in */
	if (s->path[0] != '/')
		return error_set(
			err, -EINVAL,
			"storage '%s' has path '%s', not an absolute path, which Proxmox refuses "
			"(%s line %u); fix it first",
			s->id, s->path, PATH_PVE_STORAGE_CFG, s->line);
	struct stat st, up;
	int r = rootfs_stat(root, s->path, &st);
	if (r < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, r < 0 ? r : -ENOTDIR, "%s, the directory of storage '%s', %s",
				 s->path, s->id, r < 0 ? strerror(-r) : "is not a directory");
	if (!s->network)
		return 0;
	char *parent = xasprintf("%s/..", s->path);
	r = rootfs_stat(root, parent, &up);
	free(parent);
	if (r < 0 || up.st_dev == st.st_dev)
		return error_set(err, -EINVAL,
				 "storage '%s' (%s) is not mounted at %s; check `pvesm status` and "
				 "mount it first",
				 s->id, s->type, s->path);
	return 0;
}

/* The VM's config: whether it names our volume already, or another hookscript. */
static int read_vm_hookscript(const struct rootfs *root, long vmid, const char *volume,
			      bool *ret_set, struct pcipt_error *err)
{
	char *display = pve_vm_config_path(vmid);
	struct pve_config config;
	struct pcipt_error lerr;
	int r = pve_config_load(root, display, display, &config, &lerr);
	if (r < 0) {
		if (lerr.code == -ENOENT)
			error_set(err, r, "no VM %ld on this node: %s does not exist", vmid,
				  display);
		else
			error_set(err, r, "%s: %s", display, lerr.message);
		free(display);
		return r;
	}
	/* the raw line, also one Proxmox drops: qm set would overwrite it */
	const struct pve_entry *e = pve_config_get(&config, "hookscript");
	*ret_set = e && strcmp(e->value, volume) == 0;
	if (e && !*ret_set)
		error_set(
			err, -EINVAL,
			"%s:%u: VM %ld already has the hookscript %s, and Proxmox runs one per VM; "
			"call `%s %ld PHASE` from that script, or remove it with "
			"`qm set %ld --delete hookscript` first",
			display, e->line, vmid, e->value, "pcipt-hook", vmid, vmid);
	pve_config_free(&config);
	free(display);
	return e && !*ret_set ? -EEXIST : 0;
}

/* The directory part of a path: "" for "/x" (the root), "." for a bare name */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
}

/* What is at the snippet path now: nothing, our link, or something to leave alone. */
static int inspect_snippet(const struct rootfs *root, const struct hook_install *p,
			   const char *hook_path, bool *ret_present, struct pcipt_error *err)
{
	*ret_present = false;
	int dir = rootfs_open(root, p->snippets_dir, O_PATH | O_DIRECTORY, 0);
	if (dir == -ENOENT)
		return 0;
	if (dir < 0)
		return error_set(err, dir, "cannot open %s: %s", p->snippets_dir, strerror(-dir));
	struct stat st;
	int r = 0;
	if (fstatat(dir, HOOK_SNIPPET_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		char target[4096];
		ssize_t n = S_ISLNK(st.st_mode)
				    ? readlinkat(dir, HOOK_SNIPPET_NAME, target, sizeof(target) - 1)
				    : -1;
		if (n >= 0) {
			target[n] = '\0';
			*ret_present = strcmp(target, hook_path) == 0;
		}
		if (!*ret_present)
			r = error_set(
				err, -EINVAL,
				"%s exists and is not a link to %s; remove it, or put the link on "
				"another storage with --storage",
				p->snippet_path, hook_path);
	} else if (errno != ENOENT) {
		r = error_set(err, -errno, "cannot look at %s: %s", p->snippet_path,
			      strerror(errno));
	}
	close(dir);
	return r;
}

int hook_install_plan(const struct rootfs *root, long vmid, const char *storage_id,
		      const char *hook_path, struct hook_install *ret, struct pcipt_error *err)
{
	*ret = (struct hook_install){.vmid = vmid};
	struct stat st;
	int r = rootfs_stat(root, hook_path, &st);
	if (r < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return error_set(
			err, -EINVAL,
			"pcipt-hook is not installed at %s (%s); install the pcipt package, or "
			"`make install PREFIX=/usr`",
			hook_path, r < 0 ? strerror(-r) : "not an executable file");
	struct pve_storages storages = {0};
	struct pcipt_error terr;
	r = pve_storages_load(root, PATH_PVE_STORAGE_CFG, &storages, &terr);
	/* absent: Proxmox's own `local`; present and unreadable: no guess where snippets go */
	if (r < 0 && terr.line)
		return error_set(err, r, "%s:%u: %s", PATH_PVE_STORAGE_CFG, terr.line,
				 terr.message);
	if (r < 0)
		return error_set(err, r, "cannot read %s: %s", PATH_PVE_STORAGE_CFG, terr.message);
	char *node = host_node_name(root);
	const struct pve_storage *s = choose_storage(&storages, storage_id, node, err);
	free(node);
	if (s && check_storage_dir(root, s, err) < 0)
		s = NULL;
	if (s) {
		ret->storage = xstrdup(s->id);
		ret->volume = xasprintf("%s:snippets/%s", s->id, HOOK_SNIPPET_NAME);
		if (pve_snippet_path(&storages, ret->volume, &ret->snippet_path, err) == 0) {
			ret->snippets_dir = dir_of(ret->snippet_path);
		} else {
			error_prefix(err, "%s ", ret->volume);
			s = NULL;
		}
	}
	pve_storages_free(&storages);
	if (!s || read_vm_hookscript(root, vmid, ret->volume, &ret->hookscript_set, err) < 0 ||
	    inspect_snippet(root, ret, hook_path, &ret->link_present, err) < 0) {
		hook_install_free(ret);
		return err->code < 0 ? err->code : -EINVAL;
	}
	return 0;
}

/* qm set VMID --hookscript VOLUME; 0 or -1. */
static int run_qm_set(const char *qm, long vmid, const char *volume, struct pcipt_error *err)
{
	char id[24];
	snprintf(id, sizeof(id), "%ld", vmid);
	pid_t pid = fork();
	if (pid < 0)
		return error_set(err, -errno, "cannot run qm: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = {(char *)qm, "set", id, "--hookscript", (char *)volume, NULL};
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return error_set(err, -errno, "waiting for qm: %s", strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return error_set(err, -EINVAL, "`%s` was not found: is this a Proxmox VE node?",
				 qm);
	return error_set(err, -EINVAL, "`qm set %ld --hookscript %s` failed (%s %d)", vmid, volume,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

int hook_install_apply(const struct rootfs *root, const struct hook_install *plan,
		       const char *hook_path, const char *qm, bool *ret_did_link, bool *ret_did_set,
		       struct pcipt_error *err)
{
	*ret_did_link = *ret_did_set = false;
	char *parent = dir_of(plan->snippets_dir);
	const char *slash = strrchr(plan->snippets_dir, '/');
	const char *base = slash ? slash + 1 : plan->snippets_dir;
	int parent_fd = rootfs_open(root, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0);
	int dir_fd = -1, r = 0;
	bool made_dir = false;
	if (parent_fd < 0) {
		r = error_set(err, parent_fd, "cannot open %s: %s", parent, strerror(-parent_fd));
		goto out;
	}
	/* only the snippets directory itself: the storage's own directory was checked */
	made_dir = mkdirat(parent_fd, base, 0755) == 0;
	if (!made_dir && errno != EEXIST) {
		r = error_set(err, -errno, "cannot create %s: %s", plan->snippets_dir,
			      strerror(errno));
		goto out;
	}
	dir_fd = rootfs_open(root, plan->snippets_dir, O_PATH | O_DIRECTORY, 0);
	if (dir_fd < 0) {
		r = error_set(err, dir_fd, "cannot open %s: %s", plan->snippets_dir,
			      strerror(-dir_fd));
		goto undo;
	}
	if (!plan->link_present) {
		if (symlinkat(hook_path, dir_fd, HOOK_SNIPPET_NAME) < 0) {
			r = error_set(err, -errno, "cannot create %s: %s", plan->snippet_path,
				      strerror(errno));
			goto undo;
		}
		*ret_did_link = true;
	}
	if (!plan->hookscript_set && qm) {
		r = run_qm_set(qm, plan->vmid, plan->volume, err);
		if (r < 0)
			goto undo;
		*ret_did_set = true;
	}
	goto out;
undo:
	if (*ret_did_link)
		unlinkat(dir_fd, HOOK_SNIPPET_NAME, 0);
	*ret_did_link = false;
	if (made_dir)
		unlinkat(parent_fd, base, AT_REMOVEDIR);
out:
	if (dir_fd >= 0)
		close(dir_fd);
	if (parent_fd >= 0)
		close(parent_fd);
	free(parent);
	return r;
}

void hook_install_free(struct hook_install *p)
{
	free(p->storage);
	free(p->volume);
	free(p->snippet_path);
	free(p->snippets_dir);
	*p = (struct hook_install){0};
}
