/* Host paths resolved under a root directory ("/" on a real host, `--root DIR` in tests and
 * for captured hosts). */
#ifndef PCIPT_ROOTPATH_H
#define PCIPT_ROOTPATH_H

/* root + path, without a doubled '/'; malloc'd.  path must be absolute. */
char *root_join(const char *root, const char *path);

#endif
