#include "publish.h"

#include "lint.h"

#include "../host/host.h"
#include "../host/snapshot.h"
#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PUBLISH_TRIES 3 /* file_set_contents tries three temporary names */

static int refused(struct pcipt_error *err, int r, const char *path)
{
	if (r == -EACCES || r == -EPERM)
		return error_set(err, r,
				 "cannot write %s: %s; pmxcfs refuses every write while this node "
				 "has no quorum (`pvecm status`), so the snapshot is not published",
				 path, strerror(-r));
	return error_set(err, r, "cannot write %s: %s", path, strerror(-r));
}

int publish_snapshot(const struct rootfs *root, const char *text, size_t size, char **ret_path,
		     struct pcipt_error *err)
{
	if (size > HOST_SNAPSHOT_MAX_SIZE)
		return error_set(err, -EFBIG,
				 "the snapshot is %zu bytes, more than pmxcfs holds in a file (%d)",
				 size, HOST_SNAPSHOT_MAX_SIZE);
	char *node = host_node_name(root);
	if (!node)
		return error_set(
			err, -ENOENT,
			"%s names no node, so there is no /etc/pve/nodes/NODE to publish in",
			PATH_HOSTNAME);
	char *dir = xasprintf("%s/%s", PATH_PVE_NODES, node);
	char *path = xasprintf("%s/%s", dir, PCIPT_SNAPSHOT_NAME);
	free(node);
	int r = 0;
	int dfd = rootfs_open(root, dir, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0) {
		r = dfd == -ENOENT ? error_set(err, dfd,
					       "%s does not exist: this is not a Proxmox VE node, "
					       "or /etc/pve is not mounted (pve-cluster)",
					       dir)
				   : refused(err, dfd, dir);
		goto out;
	}
	char tmp[64 + sizeof(PCIPT_SNAPSHOT_NAME)];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", PCIPT_SNAPSHOT_NAME, (long)getpid());
	int fd = -1;
	for (int i = 0; i < PUBLISH_TRIES && fd < 0; i++) {
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd < 0 && errno == EEXIST)
			(void)unlinkat(dfd, tmp, 0); /* a stale one of a process gone */
		else if (fd < 0)
			break;
	}
	if (fd < 0) {
		r = refused(err, -errno, path);
		goto close_dir;
	}
	r = rootfs_write_all(fd, text, size);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* no fsync: pmxcfs has none, and each write is already a synchronous cluster message */
	if (r == 0 && renameat(dfd, tmp, dfd, PCIPT_SNAPSHOT_NAME) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		refused(err, r, path);
	}
close_dir:
	close(dfd);
out:
	free(dir);
	if (r == 0)
		*ret_path = path;
	else
		free(path);
	return r;
}

int publish_node_snapshot(const struct rootfs *root, const struct rules *rules, long long now,
			  char **ret_path, size_t *ret_size, struct pcipt_error *err)
{
	char *text = NULL;
	size_t size = 0;
	int r = lint_snapshot_text(root, rules, now, &text, &size, err);
	if (r == 0)
		r = publish_snapshot(root, text, size, ret_path, err);
	free(text);
	if (r == 0)
		*ret_size = size;
	return r;
}
