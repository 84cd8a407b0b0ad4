#include "rootpath.h"

#include "xalloc.h"

#include <string.h>

char *root_join(const char *root, const char *path)
{
	size_t len = strlen(root);
	while (len > 0 && root[len - 1] == '/')
		len--;
	return xasprintf("%.*s%s", (int)len, root, path);
}
