#include "check_ids.h"

#include <string.h>

static const char *const names[] = {
#define PCIPT_CHECK_NAME(name, id) [CHECK_##name] = id,
	PCIPT_CHECK_LIST(PCIPT_CHECK_NAME)
#undef PCIPT_CHECK_NAME
};

_Static_assert(sizeof(names) / sizeof(names[0]) == CHECK_COUNT, "one id per check");

const char *check_id_name(enum check_id check)
{
	return (unsigned)check < CHECK_COUNT ? names[check] : NULL;
}

int check_id_from_name(const char *name)
{
	for (int i = 0; i < CHECK_COUNT; i++) {
		if (strcmp(names[i], name) == 0)
			return i;
	}
	return -1;
}
