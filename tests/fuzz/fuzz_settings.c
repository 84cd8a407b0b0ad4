/* Fuzz the pcipt.conf reader: the pre-pass and libconfuse behind it. */
#include "fuzz.h"

#include "../../lib/settings.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	struct pcipt_error err;
	if (settings_parse((const char *)data, size, &s, &err) < 0) {
		if (!err.message[0])
			abort();
		return 0;
	}
	if (s.bind_timeout < 1 || s.bind_timeout > 600 || s.prestart_deadline < 10 ||
	    s.prestart_deadline > 3600 || (s.rules && s.rules[0] != '/'))
		abort(); /* accepted settings are always in range */
	settings_free(&s);
	return 0;
}
