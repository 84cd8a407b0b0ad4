/* Fuzz the kernel command line readers: words never hold the double quotes that group them,
 * a value found is the tail of one of the words, and a GRUB default file gives words only when
 * it says it found an assignment. */
#include "fuzz.h"

#include "../../host/cmdline.h"

#include <stdlib.h>
#include <string.h>

static void check_words(const struct cmdline *c)
{
	if (c->count > 0 && !c->words)
		abort();
	for (size_t i = 0; i < c->count; i++)
		if (!c->words[i] || strchr(c->words[i], '"'))
			abort();
}

/* value must point into one of c's words, after "key=" or at the end of a bare "key". */
static void check_value(const struct cmdline *c, const char *key)
{
	const char *v = cmdline_value(c, key);
	if (!v)
		return;
	size_t n = strlen(key);
	for (size_t i = 0; i < c->count; i++) {
		const char *w = c->words[i];
		if (strncmp(w, key, n) != 0)
			continue;
		if ((w[n] == '=' && v == w + n + 1) || (w[n] == '\0' && *v == '\0'))
			return;
	}
	abort();
}

static void check_keys(const struct cmdline *c)
{
	check_value(c, "intel_iommu");
	check_value(c, "iommu");
	check_value(c, "vfio-pci.ids");
	if (c->count > 0) {
		/* the key of the first word */
		const char *w = c->words[0];
		char *key = strndup(w, strcspn(w, "="));
		if (!key)
			abort();
		check_value(c, key);
		if (!cmdline_value(c, key))
			abort();
		free(key);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';

	struct cmdline c;
	cmdline_parse(text, &c);
	check_words(&c);
	check_keys(&c);
	cmdline_free(&c);
	if (c.words || c.count)
		abort();

	if (cmdline_from_grub_default(text, &c)) {
		check_words(&c);
		check_keys(&c);
		if (!strstr(text, "GRUB_CMDLINE_LINUX"))
			abort();
		cmdline_free(&c);
	}
	free(text);
	return 0;
}
