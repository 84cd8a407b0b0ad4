/* Host paths resolved under a root directory ("/" on a real host, `--root DIR` in tests and
 * for captured hosts). */
#ifndef PCIPT_ROOTPATH_H
#define PCIPT_ROOTPATH_H

#include <sys/stat.h>

/* root + path, without a doubled '/'; malloc'd.  path must be absolute. */
char *root_join(const char *root, const char *path);

/* stat(2) of path as a process chrooted to root would see it: a symbolic link's absolute
 * target, and "..", stay under root (openat2's RESOLVE_IN_ROOT).  A hookscript in a captured
 * host is typically such a link (/var/lib/vz/snippets/pcipt-hook -> /usr/lib/pcipt/...).
 * 0, or a negative errno. */
int root_stat(const char *root, const char *path, struct stat *ret);

/* open(2) of path resolved the same way (flags such as O_PATH | O_DIRECTORY): a descriptor,
 * or a negative errno.  Kernels before 5.6, and seccomp filters that do not know openat2,
 * get a plain join under root instead, where an absolute link target leads out of it. */
int root_open(const char *root, const char *path, int flags);

#endif
