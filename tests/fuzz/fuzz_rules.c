/* Fuzz the rules loader: bounded text checks, the libyaml event walk into a tree, and the
 * schema walk; a rules file that loads must also load again on top of itself. */
#include "fuzz.h"

#include "../../rules/rules.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules rules;
	struct pcipt_error err;
	if (rules_parse((const char *)data, size, NULL, &rules, &err) < 0) {
		if (!err.message[0])
			abort(); /* a refusal always says why */
		return 0;
	}
	struct rules again;
	if (rules_parse((const char *)data, size, &rules, &again, &err) < 0)
		abort(); /* accepted once, accepted on top of itself */
	if (again.device_count != rules.device_count)
		abort();
	rules_free(&again);
	rules_free(&rules);
	return 0;
}
