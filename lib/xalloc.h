/* Allocation that never returns NULL.
 *
 * pcipt is a short-lived command-line tool; the inputs it holds in memory are bounded
 * by explicit limits (1 MiB per file), so running out of memory is not a condition any
 * caller could handle better than stopping.  These wrappers abort with a message. */
#ifndef PCIPT_XALLOC_H
#define PCIPT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow *ptr (an array of *cap elements of elem_size) so that it holds at least need. */
void xgrow(void **ptr, size_t *cap, size_t need, size_t elem_size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
