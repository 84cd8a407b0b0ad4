/* host/cmdline: the running and the next kernel command lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/cmdline.h"

#include <string.h>

static void proc_cmdline(void **state)
{
	(void)state;
	struct cmdline c;
	cmdline_parse("BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=/dev/mapper/pve-root ro quiet "
		      "intel_iommu=on iommu=pt dyndbg=\"file a.c +p\" intel_iommu=off\n",
		      &c);
	assert_int_equal(c.count, 8);
	assert_string_equal(c.words[6], "dyndbg=file a.c +p");
	/* the last one wins, as for the kernel */
	assert_string_equal(cmdline_value(&c, "intel_iommu"), "off");
	assert_string_equal(cmdline_value(&c, "iommu"), "pt");
	assert_string_equal(cmdline_value(&c, "quiet"), "");
	assert_null(cmdline_value(&c, "amd_iommu"));
	assert_null(cmdline_value(&c, "intel")); /* a prefix is not a key */
	cmdline_free(&c);
}

static void grub_default(void **state)
{
	(void)state;
	const char *grub = "# If you change this file, run 'update-grub' afterwards\n"
			   "GRUB_DEFAULT=0\n"
			   "GRUB_TIMEOUT=5\n"
			   "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
			   "GRUB_CMDLINE_LINUX=\"\"\n"
			   "#GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on\"\n"
			   "GRUB_CMDLINE_LINUX_DEFAULT='quiet intel_iommu=on iommu=pt'\n";
	struct cmdline c;
	assert_true(cmdline_from_grub_default(grub, &c));
	assert_int_equal(c.line, 7);
	assert_int_equal(c.count, 3);
	assert_string_equal(cmdline_value(&c, "intel_iommu"), "on");
	cmdline_free(&c);
	assert_false(cmdline_from_grub_default("GRUB_DEFAULT=0\n", &c));
	assert_true(cmdline_from_grub_default("GRUB_CMDLINE_LINUX=amd_iommu=on", &c));
	assert_string_equal(cmdline_value(&c, "amd_iommu"), "on");
	cmdline_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_cmdline),
		cmocka_unit_test(grub_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
