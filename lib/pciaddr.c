#include "pciaddr.h"

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static unsigned hex_value(const char *s, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 16 + (unsigned)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return v;
}

/* (?:[a-f0-9]{4,}:)?[a-f0-9]{2}:[a-f0-9]{2}(?:\.[a-f0-9])?, anchored at both ends */
bool pci_addr_parse(const char *text, size_t len, unsigned flags, struct pci_addr *ret)
{
	const char *p = text, *end = text + len;
	size_t domain_digits = 0;

	/* A domain is present when a run of 4+ hex digits is followed by ':' (a bus is two
	 * digits, so the run cannot be the bus) */
	size_t run = 0;
	while (p + run < end && is_lower_hex(p[run]))
		run++;
	if (run >= 4 && p + run < end && p[run] == ':') {
		domain_digits = run;
		p += run + 1;
	}
	if (domain_digits == 0 && (flags & PCI_ADDR_DOMAIN_REQUIRED))
		return false;
	if (domain_digits > 8 && (flags & PCI_ADDR_DOMAIN_MAX_8))
		return false;
	if (end - p < 5 || !is_lower_hex(p[0]) || !is_lower_hex(p[1]) || p[2] != ':' ||
	    !is_lower_hex(p[3]) || !is_lower_hex(p[4]))
		return false;
	int function = -1;
	if (end - p > 5) {
		if (end - p != 7 || p[5] != '.' || !is_lower_hex(p[6]))
			return false;
		function = (int)hex_value(p + 6, 1);
	}
	if (function < 0 && (flags & PCI_ADDR_FUNCTION_REQUIRED))
		return false;
	if (function > 7 && (flags & PCI_ADDR_FUNCTION_MAX_7))
		return false;
	*ret = (struct pci_addr){
		.domain_digits = domain_digits,
		.domain = domain_digits <= 8 ? hex_value(text, domain_digits) : 0,
		.bus = hex_value(p, 2),
		.device = hex_value(p + 3, 2),
		.function = function,
	};
	return true;
}
