/* host/modules: the modprobe.d grammar as kmod reads it, modules-load lists as systemd reads
 * them, and the whole reading of a fake host root built in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/modules.h"
#include "../../lib/textfile.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF "/etc/modprobe.d/test.conf"

static struct host_modules parse(const char *text)
{
	struct host_modules m = {0};
	modprobe_parse(text, strlen(text), CONF, &m);
	return m;
}

/* The problem on line whose message holds words; fails when there is none. */
static const struct modules_problem *problem_at(const struct host_modules *m, const char *file,
						unsigned line, const char *words)
{
	for (size_t i = 0; i < m->problem_count; i++) {
		const struct modules_problem *p = &m->problems[i];
		if (p->line == line && strcmp(p->file, file) == 0 && strstr(p->message, words))
			return p;
	}
	for (size_t i = 0; i < m->problem_count; i++)
		print_message("problem: %s:%u: %s\n", m->problems[i].file, m->problems[i].line,
			      m->problems[i].message);
	fail_msg("no problem '%s' at %s:%u", words, file, line);
	return NULL;
}

static void options_with_several_params(void **state)
{
	(void)state;
	struct host_modules m =
		parse("options vfio-pci ids=10de:1b80,10de:10f0 disable_vga=1 nointxmask\n"
		      "options kvm ignore_msrs=1 report_ignored_msrs=0 dyndbg=\"+p file a.c\"\n");
	assert_int_equal(m.statement_count, 2);
	assert_int_equal(m.problem_count, 0);
	const struct modprobe_statement *s = &m.statements[0];
	assert_int_equal(s->kind, MODPROBE_OPTIONS);
	assert_string_equal(s->module, "vfio_pci");
	assert_string_equal(s->file, CONF);
	assert_int_equal(s->line, 1);
	assert_int_equal(s->word_count, 3);
	assert_string_equal(s->words[0], "ids=10de:1b80,10de:10f0");

	const struct modprobe_statement *from = NULL;
	assert_string_equal(host_module_option(&m, "vfio-pci", "ids", &from),
			    "10de:1b80,10de:10f0");
	assert_ptr_equal(from, s);
	assert_string_equal(host_module_option(&m, "vfio_pci", "disable_vga", NULL), "1");
	/* the kernel's parameq() takes '-' for '_' in parameter names as well */
	assert_string_equal(host_module_option(&m, "vfio_pci", "disable-vga", NULL), "1");
	/* a bare word: the parameter is given without a value */
	assert_string_equal(host_module_option(&m, "vfio_pci", "nointxmask", NULL), "");
	assert_null(host_module_option(&m, "vfio_pci", "ids=10de", NULL));
	assert_null(host_module_option(&m, "vfio_pci", "disable", NULL));
	assert_null(host_module_option(&m, "kvm", "ids", &from));
	assert_null(from);
	/* the kernel splits options like a command line: double quotes group */
	assert_int_equal(m.statements[1].word_count, 3);
	assert_string_equal(host_module_option(&m, "kvm", "dyndbg", NULL), "+p file a.c");
	host_modules_free(&m);
	assert_int_equal(m.statement_count, 0);
	assert_null(m.statements);
}

static void continuation_lines(void **state)
{
	(void)state;
	struct host_modules m = parse("options kvm \\\n"
				      "\tignore_msrs=1 \\\n"
				      "\treport_ignored_msrs=0\n"
				      "blacklist nouv\\\n"
				      "eau\n"
				      "unknown1\n");
	assert_int_equal(m.statement_count, 2);
	assert_int_equal(m.statements[0].line, 1); /* the first line of the statement */
	assert_int_equal(m.statements[0].word_count, 2);
	assert_string_equal(host_module_option(&m, "kvm", "report_ignored_msrs", NULL), "0");
	/* kmod joins without adding a blank */
	assert_int_equal(m.statements[1].line, 4);
	assert_string_equal(m.statements[1].module, "nouveau");
	/* line numbers count the joined lines */
	problem_at(&m, CONF, 6, "unknown command 'unknown1'");
	host_modules_free(&m);

	/* a backslash takes the next character literally: "\\\\" at a line end does not join */
	m = parse("install snd_hda_intel /bin/echo \\\\\n"
		  "blacklist snd_hda_intel\n");
	assert_int_equal(m.statement_count, 2);
	assert_string_equal(m.statements[0].words[1], "\\");
	assert_int_equal(m.statements[1].line, 2);
	host_modules_free(&m);
}

static void comments_and_blank_lines(void **state)
{
	(void)state;
	struct host_modules m =
		parse("# blacklist radeon\n"
		      "   # indented comment\n"
		      "\n"
		      " \t \n"
		      "blacklist nouveau # not a comment for kmod\n"
		      "# a comment ending in a backslash swallows the next line \\\n"
		      "blacklist amdgpu\n");
	assert_int_equal(m.problem_count, 0);
	assert_int_equal(m.statement_count, 1);
	assert_int_equal(m.statements[0].line, 5);
	assert_string_equal(m.statements[0].module, "nouveau");
	/* kmod has no trailing comments: the words are there (and ignored by blacklist) */
	assert_int_equal(m.statements[0].word_count, 6);
	assert_string_equal(m.statements[0].words[0], "#");
	assert_null(host_module_blacklisted(&m, "radeon"));
	assert_null(host_module_blacklisted(&m, "amdgpu"));
	host_modules_free(&m);
}

static void blacklist_statements(void **state)
{
	(void)state;
	struct host_modules m = parse("blacklist nouveau\n"
				      "blacklist snd-hda-intel\n"
				      "blacklist\tnouveau\n");
	assert_int_equal(m.statement_count, 3);
	assert_int_equal(m.statements[1].kind, MODPROBE_BLACKLIST);
	assert_string_equal(m.statements[1].module, "snd_hda_intel");
	assert_int_equal(m.statements[1].word_count, 0);
	const struct modprobe_statement *s = host_module_blacklisted(&m, "nouveau");
	assert_non_null(s);
	assert_int_equal(s->line, 3); /* the last one */
	assert_ptr_equal(host_module_blacklisted(&m, "snd_hda_intel"), &m.statements[1]);
	assert_ptr_equal(host_module_blacklisted(&m, "snd-hda-intel"), &m.statements[1]);
	assert_null(host_module_blacklisted(&m, "snd_hda"));
	assert_null(host_module_blacklisted(&m, "nouveau2"));
	host_modules_free(&m);
}

static void softdep_pre_and_post(void **state)
{
	(void)state;
	struct host_modules m = parse("softdep nvidia-drm pre: vfio-pci\tpost: snd-hda-intel\n"
				      "softdep drm post: ast\n");
	assert_int_equal(m.statement_count, 2);
	const struct modprobe_statement *s = &m.statements[0];
	assert_int_equal(s->kind, MODPROBE_SOFTDEP);
	assert_string_equal(s->module, "nvidia_drm");
	assert_int_equal(s->word_count, 4);
	assert_string_equal(s->words[0], "pre:");
	assert_string_equal(s->words[1], "vfio_pci");
	assert_string_equal(s->words[2], "post:");
	assert_string_equal(s->words[3], "snd_hda_intel");
	assert_int_equal(m.statements[1].word_count, 2);
	host_modules_free(&m);
}

static void install_with_a_command(void **state)
{
	(void)state;
	struct host_modules m = parse("install nouveau /bin/false\n"
				      "install snd-hda-intel /sbin/modprobe vfio-pci; "
				      "/sbin/modprobe --ignore-install snd-hda-intel\n"
				      "remove vfio_pci /bin/true\n");
	/* `remove` is accepted and not kept */
	assert_int_equal(m.problem_count, 0);
	assert_int_equal(m.statement_count, 2);
	assert_int_equal(m.statements[0].kind, MODPROBE_INSTALL);
	assert_string_equal(m.statements[0].module, "nouveau");
	assert_int_equal(m.statements[0].word_count, 1);
	assert_string_equal(m.statements[0].words[0], "/bin/false");
	const struct modprobe_statement *s = &m.statements[1];
	assert_string_equal(s->module, "snd_hda_intel");
	assert_int_equal(s->word_count, 5);
	/* the command is the user's text: not normalised */
	assert_string_equal(s->words[1], "vfio-pci;");
	assert_string_equal(s->words[4], "snd-hda-intel");
	host_modules_free(&m);
}

static void alias_statement(void **state)
{
	(void)state;
	struct host_modules m = parse("alias pci:v000010DEd*sv*sd*bc03sc*i* vfio-pci\n"
				      "alias my-gpu nouveau extra words\n");
	assert_int_equal(m.statement_count, 2);
	const struct modprobe_statement *s = &m.statements[0];
	assert_int_equal(s->kind, MODPROBE_ALIAS);
	assert_string_equal(s->module, "vfio_pci");
	assert_int_equal(s->word_count, 1);
	assert_string_equal(s->words[0], "pci:v000010DEd*sv*sd*bc03sc*i*");
	/* the alias itself is kept as written */
	assert_string_equal(m.statements[1].words[0], "my-gpu");
	assert_int_equal(m.statements[1].word_count, 1);
	host_modules_free(&m);
}

static void unknown_command_is_a_problem(void **state)
{
	(void)state;
	struct host_modules m = parse("blacklist nouveau\n"
				      "\n"
				      "blaclist radeon\n"
				      "include /etc/modprobe.d/other\n"
				      "Options kvm ignore_msrs=1\n");
	assert_int_equal(m.statement_count, 1);
	assert_int_equal(m.problem_count, 3);
	const struct modules_problem *p = problem_at(&m, CONF, 3, "unknown command 'blaclist'");
	assert_non_null(strstr(p->message, "modprobe ignores"));
	problem_at(&m, CONF, 4, "'include' is not supported");
	/* commands are case-sensitive */
	problem_at(&m, CONF, 5, "unknown command 'Options'");
	assert_null(host_module_blacklisted(&m, "radeon"));
	host_modules_free(&m);
}

static void missing_module_or_arguments(void **state)
{
	(void)state;
	struct host_modules m = parse("blacklist\n"
				      "options\n"
				      "options kvm\n"
				      "options kvm   \n"
				      "install nouveau\n"
				      "alias\n"
				      "alias pci:v*\n"
				      "softdep drm\n"
				      "remove vfio_pci\n"
				      "blacklist  \t\n"
				      "options kvm \"\"\n");
	assert_int_equal(m.statement_count, 0);
	assert_int_equal(m.problem_count, 11);
	problem_at(&m, CONF, 1, "'blacklist' without a module name");
	problem_at(&m, CONF, 2, "'options' without a module name");
	problem_at(&m, CONF, 3, "'options kvm' without parameters");
	problem_at(&m, CONF, 4, "'options kvm' without parameters");
	problem_at(&m, CONF, 5, "'install nouveau' without a command");
	problem_at(&m, CONF, 6, "'alias' without a name");
	problem_at(&m, CONF, 7, "'alias pci:v*' without a module name");
	problem_at(&m, CONF, 8, "'softdep drm' without dependencies");
	problem_at(&m, CONF, 9, "'remove vfio_pci' without a command");
	problem_at(&m, CONF, 10, "'blacklist' without a module name");
	/* an empty quoted word names no parameter */
	problem_at(&m, CONF, 11, "'options kvm' without parameters");
	host_modules_free(&m);
}

static void dash_is_underscore(void **state)
{
	(void)state;
	char name[] = "snd-hda-codec-hdmi";
	module_name_normalise(name);
	assert_string_equal(name, "snd_hda_codec_hdmi");
	struct host_modules m = parse("options snd-hda-intel enable_msi=1\n");
	assert_string_equal(m.statements[0].module, "snd_hda_intel");
	assert_string_equal(host_module_option(&m, "snd_hda_intel", "enable_msi", NULL), "1");
	assert_string_equal(host_module_option(&m, "snd-hda-intel", "enable_msi", NULL), "1");
	assert_null(host_module_option(&m, "snd_hda", "enable_msi", NULL));
	host_modules_free(&m);
}

static void the_last_option_wins(void **state)
{
	(void)state;
	struct host_modules m = {0};
	const char *a = "options kvm ignore_msrs=0 report_ignored_msrs=0\n";
	const char *b = "options kvm ignore_msrs=1\n"
			"options kvm-amd npt=1\n";
	modprobe_parse(a, strlen(a), "/etc/modprobe.d/a.conf", &m);
	modprobe_parse(b, strlen(b), "/etc/modprobe.d/b.conf", &m);
	const struct modprobe_statement *from = NULL;
	assert_string_equal(host_module_option(&m, "kvm", "ignore_msrs", &from), "1");
	assert_string_equal(from->file, "/etc/modprobe.d/b.conf");
	assert_int_equal(from->line, 1);
	/* a parameter only the first file gives still comes from it */
	assert_string_equal(host_module_option(&m, "kvm", "report_ignored_msrs", &from), "0");
	assert_string_equal(from->file, "/etc/modprobe.d/a.conf");
	host_modules_free(&m);

	/* on one line too: modprobe passes both, the module keeps the last */
	m = parse("options kvm ignore_msrs=1 ignore_msrs=0\n");
	assert_string_equal(host_module_option(&m, "kvm", "ignore_msrs", NULL), "0");
	host_modules_free(&m);
}

/* Pinned: kmod keeps the CR of a CR LF line end, so the CR becomes part of the last word.
 * pcipt reads the line as kmod does and says so once per file. */
static void crlf_line_ends_are_reported(void **state)
{
	(void)state;
	struct host_modules m = parse("# written on Windows\r\n"
				      "blacklist nouveau\r\n"
				      "options kvm ignore_msrs=1\r\n"
				      "\r\n");
	assert_int_equal(m.problem_count, 1);
	const struct modules_problem *p = problem_at(&m, CONF, 1, "CR LF");
	assert_non_null(strstr(p->message, "does not blacklist"));
	assert_int_equal(m.statement_count, 2);
	/* as for kmod, the blacklisted name is "nouveau\r" */
	assert_string_equal(m.statements[0].module, "nouveau\r");
	assert_null(host_module_blacklisted(&m, "nouveau"));
	/* the kernel splits options on any white space, the CR included */
	assert_string_equal(host_module_option(&m, "kvm", "ignore_msrs", NULL), "1");
	host_modules_free(&m);
}

static void nul_byte_skips_the_file(void **state)
{
	(void)state;
	static const char text[] = "blacklist nouveau\nblacklist rad\0eon\nblacklist amdgpu\n";
	struct host_modules m = {0};
	modprobe_parse(text, sizeof(text) - 1, CONF, &m);
	assert_int_equal(m.statement_count, 0);
	assert_int_equal(m.problem_count, 1);
	problem_at(&m, CONF, 2, "contains a NUL byte");
	modules_load_parse(text, sizeof(text) - 1, "/etc/modules", &m);
	assert_int_equal(m.listed_count, 0);
	problem_at(&m, "/etc/modules", 2, "contains a NUL byte");
	host_modules_free(&m);
}

static void statement_limit(void **state)
{
	(void)state;
	const char line[] = "blacklist a\n";
	size_t n = MODPROBE_MAX_STATEMENTS + 2, len = sizeof(line) - 1;
	char *text = malloc(n * len + 1);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * len, line, len);
	text[n * len] = '\0';
	struct host_modules m = {0};
	modprobe_parse(text, n * len, CONF, &m);
	assert_int_equal(m.statement_count, MODPROBE_MAX_STATEMENTS);
	assert_int_equal(m.problem_count, 1);
	problem_at(&m, CONF, MODPROBE_MAX_STATEMENTS + 1, "the rest are not read");
	/* a second file adds nothing, not even a second problem */
	modprobe_parse(line, len, "/etc/modprobe.d/more.conf", &m);
	assert_int_equal(m.statement_count, MODPROBE_MAX_STATEMENTS);
	assert_int_equal(m.problem_count, 1);
	host_modules_free(&m);
	free(text);
}

static void modules_load_lists(void **state)
{
	(void)state;
	const char *text = "# /etc/modules: kernel modules to load at boot time.\n"
			   "; a systemd comment\n"
			   "\n"
			   "vfio\n"
			   "  vfio-iommu-type1\t\n"
			   "vfio_pci\r\n"
			   "kvm ignore_msrs=1\n"
			   "   # indented comment\n";
	struct host_modules m = {0};
	modules_load_parse(text, strlen(text), "/etc/modules", &m);
	assert_int_equal(m.listed_count, 4);
	assert_string_equal(m.listed[0].module, "vfio");
	assert_int_equal(m.listed[0].line, 4);
	assert_string_equal(m.listed[1].module, "vfio_iommu_type1");
	/* CR LF line ends are fine here: systemd strips white space */
	assert_string_equal(m.listed[2].module, "vfio_pci");
	assert_int_equal(m.listed[2].line, 6);
	assert_string_equal(m.listed[3].module, "kvm");
	assert_string_equal(m.listed[3].file, "/etc/modules");
	/* systemd-modules-load would look for a module named "kvm ignore_msrs=1" */
	assert_int_equal(m.problem_count, 1);
	problem_at(&m, "/etc/modules", 7, "'kvm ignore_msrs=1'");
	const struct module_listing *l = host_module_listed(&m, "vfio-iommu-type1");
	assert_ptr_equal(l, &m.listed[1]);
	assert_null(host_module_listed(&m, "vfio_iommu"));
	host_modules_free(&m);
}

/* --- a fake host root ------------------------------------------------------------------------ */

static char root[64];
static struct rootfs *fs; /* on root */

static void make_dirs(const char *path)
{
	char *p = strdup(path);
	assert_non_null(p);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	free(p);
}

static char *full_path(const char *rel)
{
	size_t n = strlen(root) + strlen(rel) + 1;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s%s", root, rel);
	return p;
}

static void write_file_n(const char *rel, const char *content, size_t size)
{
	char *path = full_path(rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	make_dirs(path);
	*slash = '/';
	FILE *f = fopen(path, "wb");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fwrite(content, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void write_file(const char *rel, const char *content)
{
	write_file_n(rel, content, strlen(content));
}

static void make_dir(const char *rel)
{
	char *path = full_path(rel);
	make_dirs(path);
	free(path);
}

static void make_link(const char *target, const char *rel)
{
	char *path = full_path(rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	make_dirs(path);
	*slash = '/';
	if (symlink(target, path) < 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
	free(path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int make_root(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "%s", "/tmp/pcipt-modules-XXXXXX");
	return mkdtemp(root) && rootfs_new(root, &fs) == 0 ? 0 : -1;
}

static int remove_root(void **state)
{
	(void)state;
	rootfs_free(fs);
	return nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void a_proxmox_host(void **state)
{
	(void)state;
	make_dir("/sys/module/vfio/parameters");
	make_dir("/sys/module/vfio_pci");
	make_dir("/sys/module/kvm/parameters");
	write_file("/sys/module/kvm/parameters/ignore_msrs", "Y\n");
	write_file("/sys/module/not-a-module", ""); /* a file, not a module directory */

	write_file("/etc/modules", "# /etc/modules\nvfio\nvfio_iommu_type1\n");
	/* Debian's link: its modules are read once, as /etc/modules */
	make_link("../modules", "/etc/modules-load.d/modules.conf");
	write_file("/etc/modules-load.d/vfio.conf", "vfio-pci\n");
	write_file("/usr/lib/modules-load.d/vfio.conf", "hidden_by_etc\n");
	write_file("/usr/lib/modules-load.d/zfs.conf", "zfs\n");
	write_file("/etc/modules-load.d/README", "not a .conf file\n");

	write_file("/etc/modprobe.d/vfio.conf",
		   "options vfio-pci ids=10de:1b80,10de:10f0 disable_vga=1\n"
		   "softdep nvidia pre: vfio-pci\n");
	write_file("/etc/modprobe.d/kvm.conf", "options kvm ignore_msrs=1\n");
	write_file("/etc/modprobe.d/pve-blacklist.conf",
		   "# nvidiafb see bugreport https://bugzilla.proxmox.com/show_bug.cgi?id=701\n"
		   "blacklist nvidiafb\n"
		   "blacklist nouveau\n");
	write_file("/etc/modprobe.d/.hidden.conf", "blacklist hidden\n");
	write_file("/etc/modprobe.d/vfio.conf.dpkg-old", "blacklist old\n");
	/* same name as /etc/modprobe.d/vfio.conf: hidden by it */
	write_file("/lib/modprobe.d/vfio.conf", "options vfio-pci ids=ffff:ffff\n");
	/* files of all directories are read in one name order */
	write_file("/lib/modprobe.d/aliases.conf", "alias char-major-10-175 agpgart\n");
	write_file("/run/modprobe.d/zz-last.conf", "options kvm ignore_msrs=0\n");

	struct host_modules m;
	/* the live parameters of the modules asked for, read with the rest; "nouveau" is not
	 * loaded, "..", "kvm" twice and "vfio-pci" spelt with a dash test the names */
	static const char *const wanted[] = {"kvm", "nouveau", "..", "kvm", "vfio-pci"};
	assert_int_equal(host_modules_load(fs, wanted, 5, &m), 0);
	for (size_t i = 0; i < m.problem_count; i++)
		print_message("problem: %s:%u: %s\n", m.problems[i].file, m.problems[i].line,
			      m.problems[i].message);
	assert_int_equal(m.problem_count, 0);

	assert_int_equal(m.loaded_count, 3);
	assert_string_equal(m.loaded[0], "kvm");
	assert_string_equal(m.loaded[1], "vfio");
	assert_string_equal(m.loaded[2], "vfio_pci");
	assert_true(host_module_loaded(&m, "vfio-pci"));
	assert_false(host_module_loaded(&m, "not_a_module"));
	assert_false(host_module_loaded(&m, "nouveau"));

	assert_int_equal(m.listed_count, 4);
	assert_string_equal(m.listed[0].file, "/etc/modules");
	assert_int_equal(m.listed[0].line, 2);
	assert_string_equal(m.listed[2].module, "vfio_pci");
	assert_string_equal(m.listed[2].file, "/etc/modules-load.d/vfio.conf");
	assert_string_equal(m.listed[3].file, "/usr/lib/modules-load.d/zfs.conf");
	assert_null(host_module_listed(&m, "hidden_by_etc"));
	assert_ptr_equal(host_module_listed(&m, "vfio_iommu_type1"), &m.listed[1]);

	/* aliases.conf, kvm.conf, pve-blacklist.conf, vfio.conf, zz-last.conf */
	assert_int_equal(m.statement_count, 7);
	assert_string_equal(m.statements[0].file, "/lib/modprobe.d/aliases.conf");
	assert_string_equal(m.statements[1].file, "/etc/modprobe.d/kvm.conf");
	assert_string_equal(m.statements[5].file, "/etc/modprobe.d/vfio.conf");
	assert_int_equal(m.statements[5].kind, MODPROBE_SOFTDEP);
	assert_string_equal(m.statements[6].file, "/run/modprobe.d/zz-last.conf");
	const struct modprobe_statement *from;
	assert_string_equal(host_module_option(&m, "vfio_pci", "ids", &from),
			    "10de:1b80,10de:10f0");
	assert_string_equal(from->file, "/etc/modprobe.d/vfio.conf");
	assert_int_equal(from->line, 1);
	/* zz-last.conf comes last, wherever its directory is */
	assert_string_equal(host_module_option(&m, "kvm", "ignore_msrs", NULL), "0");
	const struct modprobe_statement *b = host_module_blacklisted(&m, "nouveau");
	assert_non_null(b);
	assert_string_equal(b->file, "/etc/modprobe.d/pve-blacklist.conf");
	assert_int_equal(b->line, 3);
	assert_null(host_module_blacklisted(&m, "hidden"));
	assert_null(host_module_blacklisted(&m, "old"));

	assert_string_equal(host_module_param(&m, "kvm", "ignore_msrs"), "Y");
	assert_null(host_module_param(&m, "kvm", "no_such"));
	assert_null(host_module_param(&m, "nouveau", "modeset"));
	assert_null(host_module_param(&m, "..", "ignore_msrs"));
	assert_null(host_module_param(&m, "kvm", "../x"));
	assert_null(host_module_param(&m, "kvm", ""));
	/* kvm once, though asked for twice; sorted by module and parameter */
	size_t kvm = 0;
	for (size_t i = 0; i < m.param_count; i++) {
		kvm += strcmp(m.params[i].module, "kvm") == 0 &&
		       strcmp(m.params[i].param, "ignore_msrs") == 0;
		if (i)
			assert_true(strcmp(m.params[i - 1].module, m.params[i].module) < 0 ||
				    (strcmp(m.params[i - 1].module, m.params[i].module) == 0 &&
				     strcmp(m.params[i - 1].param, m.params[i].param) < 0));
	}
	assert_int_equal(kvm, 1);
	host_modules_free(&m);

	/* a module not asked for: its parameters are not read */
	assert_int_equal(host_modules_load(fs, NULL, 0, &m), 0);
	assert_null(host_module_param(&m, "kvm", "ignore_msrs"));
	host_modules_free(&m);
}

static void an_empty_root(void **state)
{
	(void)state;
	struct host_modules m;
	assert_int_equal(host_modules_load(fs, NULL, 0, &m), 0);
	assert_int_equal(m.loaded_count, 0);
	assert_int_equal(m.listed_count, 0);
	assert_int_equal(m.statement_count, 0);
	assert_int_equal(m.problem_count, 0);
	assert_false(host_module_loaded(&m, "vfio"));
	assert_null(host_module_option(&m, "kvm", "ignore_msrs", NULL));
	host_modules_free(&m);
}

static void unreadable_files_are_problems(void **state)
{
	(void)state;
	make_dir("/etc/modprobe.d/dir.conf");
	char *big = malloc(TEXT_MAX_FILE_SIZE + 1);
	assert_non_null(big);
	memset(big, '#', TEXT_MAX_FILE_SIZE + 1);
	write_file_n("/etc/modprobe.d/big.conf", big, TEXT_MAX_FILE_SIZE + 1);
	free(big);
	write_file("/etc/modprobe.d/ok.conf", "blacklist nouveau\n");
	make_link("/nonexistent/target.conf", "/etc/modprobe.d/dangling.conf");
	/* linked to /dev/null: masked, quietly, and it hides the vendor's file */
	make_link("/dev/null", "/etc/modprobe.d/blacklist-vendor.conf");
	write_file("/lib/modprobe.d/blacklist-vendor.conf", "blacklist vfio_pci\n");
	make_dir("/etc/modules-load.d/x.conf");

	struct host_modules m;
	assert_int_equal(host_modules_load(fs, NULL, 0, &m), 0);
	assert_int_equal(m.statement_count, 1);
	assert_null(host_module_blacklisted(&m, "vfio_pci"));
	assert_int_equal(m.problem_count, 4);
	problem_at(&m, "/etc/modprobe.d/dir.conf", 0, "Is a directory");
	problem_at(&m, "/etc/modprobe.d/big.conf", 0, "larger than");
	problem_at(&m, "/etc/modprobe.d/dangling.conf", 0, "cannot be read");
	problem_at(&m, "/etc/modules-load.d/x.conf", 0, "Is a directory");
	host_modules_free(&m);

	if (geteuid() != 0) {
		char *path = full_path("/etc/modprobe.d/ok.conf");
		assert_int_equal(chmod(path, 0), 0);
		free(path);
		assert_int_equal(host_modules_load(fs, NULL, 0, &m), 0);
		problem_at(&m, "/etc/modprobe.d/ok.conf", 0, "Permission denied");
		assert_int_equal(m.statement_count, 0);
		host_modules_free(&m);
	}
}

/* Debian ships /etc/modules-load.d/modules.conf -> ../modules; without /etc/modules the link
 * dangles, and systemd-modules-load skips a listed file it cannot find (apply_file() with
 * ignore_enoent): nothing to report.  A file that is there but unreadable still is. */
static void a_dangling_modules_conf_link_is_skipped(void **state)
{
	(void)state;
	make_link("../modules", "/etc/modules-load.d/modules.conf");
	make_link("/nonexistent/vfio.conf", "/usr/lib/modules-load.d/vfio.conf");
	write_file("/etc/modules-load.d/kvm.conf", "kvm\n");
	make_dir("/etc/modules-load.d/dir.conf");

	struct host_modules m;
	assert_int_equal(host_modules_load(fs, NULL, 0, &m), 0);
	assert_int_equal(m.listed_count, 1);
	assert_string_equal(m.listed[0].module, "kvm");
	assert_int_equal(m.problem_count, 1);
	problem_at(&m, "/etc/modules-load.d/dir.conf", 0, "Is a directory");
	host_modules_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_with_several_params),
		cmocka_unit_test(continuation_lines),
		cmocka_unit_test(comments_and_blank_lines),
		cmocka_unit_test(blacklist_statements),
		cmocka_unit_test(softdep_pre_and_post),
		cmocka_unit_test(install_with_a_command),
		cmocka_unit_test(alias_statement),
		cmocka_unit_test(unknown_command_is_a_problem),
		cmocka_unit_test(missing_module_or_arguments),
		cmocka_unit_test(dash_is_underscore),
		cmocka_unit_test(the_last_option_wins),
		cmocka_unit_test(crlf_line_ends_are_reported),
		cmocka_unit_test(nul_byte_skips_the_file),
		cmocka_unit_test(statement_limit),
		cmocka_unit_test(modules_load_lists),
		cmocka_unit_test_setup_teardown(a_proxmox_host, make_root, remove_root),
		cmocka_unit_test_setup_teardown(an_empty_root, make_root, remove_root),
		cmocka_unit_test_setup_teardown(unreadable_files_are_problems, make_root,
						remove_root),
		cmocka_unit_test_setup_teardown(a_dangling_modules_conf_link_is_skipped, make_root,
						remove_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
