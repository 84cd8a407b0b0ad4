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

/* Scope-bound cleanup, as in kmod and systemd: `_cleanup_free_ char *p = ...;` frees p on
 * every way out of the block, so a function with several exits needs no free chain. */
#define _cleanup_(fn) __attribute__((cleanup(fn)))
#define _cleanup_free_ _cleanup_(freep)
void freep(void *p); /* free(*(void **)p) */

#endif
