#include "modules.h"

#include "../lib/paths.h"
#include "../lib/textfile.h"
#include "../lib/xalloc.h"
#include "cmdline.h"
#include "sysfs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Problems are bounded like statements: past this, one entry says so and the rest go. */
#define MODULES_MAX_PROBLEMS 1024

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
static const char statement_limit_message[] = "more than " STRINGIFY(
	MODPROBE_MAX_STATEMENTS) " modprobe statements; the rest are not read";
static const char listing_limit_message[] = "more than " STRINGIFY(
	MODPROBE_MAX_STATEMENTS) " modules listed to load; the rest are not read";

/* Longest piece of a user's line quoted back in a message. */
#define QUOTE_MAX 64

void module_name_normalise(char *name)
{
	for (; *name; name++)
		if (*name == '-')
			*name = '_';
}

/* Module (and kernel parameter) names: '-' and '_' are the same character (kmod's
 * modname_normalize, the kernel's parameq).  a has a_len bytes, b is NUL-terminated. */
static bool names_equal_n(const char *a, size_t a_len, const char *b)
{
	for (size_t i = 0; i < a_len; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y || y == '\0')
			return false;
	}
	return b[a_len] == '\0';
}

static bool names_equal(const char *a, const char *b)
{
	return names_equal_n(a, strlen(a), b);
}

/* The arrays of struct host_modules carry no capacity: it is 8, then the power of two at or
 * above the count, so an array is grown exactly when its count reaches one of those. */
static void *grow(void *array, size_t count, size_t elem_size)
{
	if (count == 0)
		return xrealloc(array, 8 * elem_size);
	if (count >= 8 && (count & (count - 1)) == 0)
		return xrealloc(array, 2 * count * elem_size);
	return array;
}

/* Takes message. */
static void add_problem(struct host_modules *m, const char *file, unsigned line, char *message)
{
	if (m->problem_count > MODULES_MAX_PROBLEMS) {
		free(message);
		return;
	}
	if (m->problem_count == MODULES_MAX_PROBLEMS) {
		free(message);
		message = xasprintf("more than %d problems; the rest are not reported",
				    MODULES_MAX_PROBLEMS);
		line = 0;
	}
	m->problems = grow(m->problems, m->problem_count, sizeof(*m->problems));
	m->problems[m->problem_count++] = (struct modules_problem){
		.file = xstrdup(file),
		.line = line,
		.message = message,
	};
}

static bool has_problem(const struct host_modules *m, const char *message)
{
	for (size_t i = 0; i < m->problem_count; i++)
		if (strcmp(m->problems[i].message, message) == 0)
			return true;
	return false;
}

/* Whether one more entry fits under MODPROBE_MAX_STATEMENTS; the first time it does not, one
 * problem says so (a later call finds that problem and adds no other). */
static bool room_for(struct host_modules *m, size_t count, const char *limit_message,
		     const char *file, unsigned line)
{
	if (count < MODPROBE_MAX_STATEMENTS)
		return true;
	if (!has_problem(m, limit_message))
		add_problem(m, file, line, xstrdup(limit_message));
	return false;
}

/* A NUL byte cuts a line short in kmod and systemd alike; pcipt skips the whole file rather
 * than guess.  Returns true (after adding the problem) when text holds one. */
static bool refuse_nul(const char *text, size_t size, const char *file, struct host_modules *m)
{
	const char *nul = memchr(text, '\0', size);
	if (!nul)
		return false;
	unsigned line = 1;
	for (const char *p = text; p < nul; p++)
		if (*p == '\n')
			line++;
	add_problem(m, file, line, xstrdup("contains a NUL byte; the file is skipped"));
	return true;
}

/* --- modprobe.d --------------------------------------------------------------------------- */

/* The words of s split on any of seps, copied. */
static size_t split_words(char *s, const char *seps, char ***ret)
{
	char **words = NULL;
	size_t count = 0;
	char *save = NULL;
	for (char *w = strtok_r(s, seps, &save); w; w = strtok_r(NULL, seps, &save)) {
		words = grow(words, count, sizeof(*words));
		words[count++] = xstrdup(w);
	}
	*ret = words;
	return count;
}

static void free_words(char **words, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(words[i]);
	free(words);
}

static void add_statement(struct host_modules *m, enum modprobe_kind kind, const char *module,
			  char **words, size_t word_count, const char *file, unsigned line)
{
	m->statements = grow(m->statements, m->statement_count, sizeof(*m->statements));
	struct modprobe_statement *s = &m->statements[m->statement_count++];
	*s = (struct modprobe_statement){
		.kind = kind,
		.module = xstrdup(module),
		.words = words,
		.word_count = word_count,
		.file = xstrdup(file),
		.line = line,
	};
	module_name_normalise(s->module);
}

/* kmod splits the command and the module name on blanks only (strtok with "\t "). */
#define KMOD_BLANKS "\t "

static void problem_ignored(struct host_modules *m, const char *file, unsigned line,
			    const char *what)
{
	add_problem(m, file, line, xasprintf("%s (modprobe ignores the line)", what));
}

/* One logical line (continuations joined).  Returns false when the statement limit stops
 * the file. */
static bool parse_modprobe_line(char *line, unsigned number, const char *file,
				struct host_modules *m)
{
	const char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	/* kmod takes only a '#' in the first column as a comment and reports an indented one as
	 * a bad line; it ignores both, so pcipt skips both quietly. */
	if (*p == '\0' || *p == '#')
		return true;

	char *save = NULL;
	const char *cmd = strtok_r(line, KMOD_BLANKS, &save);
	if (!cmd)
		return true; /* only a CR, vertical tab or form feed */
	enum modprobe_kind kind;
	if (strcmp(cmd, "options") == 0) {
		kind = MODPROBE_OPTIONS;
	} else if (strcmp(cmd, "blacklist") == 0) {
		kind = MODPROBE_BLACKLIST;
	} else if (strcmp(cmd, "softdep") == 0) {
		kind = MODPROBE_SOFTDEP;
	} else if (strcmp(cmd, "install") == 0 || strcmp(cmd, "remove") == 0) {
		kind = MODPROBE_INSTALL;
	} else if (strcmp(cmd, "alias") == 0) {
		kind = MODPROBE_ALIAS;
	} else if (strcmp(cmd, "include") == 0 || strcmp(cmd, "config") == 0) {
		char *what = xasprintf("'%s' is not supported by kmod's modprobe", cmd);
		problem_ignored(m, file, number, what);
		free(what);
		return true;
	} else {
		char *what = xasprintf("unknown command '%.*s'", QUOTE_MAX, cmd);
		problem_ignored(m, file, number, what);
		free(what);
		return true;
	}
	bool remove = strcmp(cmd, "remove") == 0;

	char *wildcard = NULL;
	if (kind == MODPROBE_ALIAS && !(wildcard = strtok_r(NULL, KMOD_BLANKS, &save))) {
		problem_ignored(m, file, number, "'alias' without a name");
		return true;
	}
	char *module = strtok_r(NULL, KMOD_BLANKS, &save);
	if (!module) {
		char *what = kind == MODPROBE_ALIAS
				     ? xasprintf("'alias %.*s' without a module name", QUOTE_MAX,
						 wildcard)
				     : xasprintf("'%s' without a module name", cmd);
		problem_ignored(m, file, number, what);
		free(what);
		return true;
	}
	/* What follows the module name, as strtok_r left it. */
	char *rest = save;

	char **words = NULL;
	size_t word_count = 0;
	const char *missing = NULL;
	switch (kind) {
	case MODPROBE_OPTIONS: {
		/* modprobe hands the text to the kernel, whose parse_args() splits it like a
		 * command line: any white space (a CR too), double quotes grouping. */
		struct cmdline c;
		cmdline_parse(rest, &c);
		words = c.words;
		/* "" gives an empty word, which names no parameter */
		for (size_t i = 0; i < c.count; i++) {
			if (c.words[i][0])
				words[word_count++] = c.words[i];
			else
				free(c.words[i]);
		}
		missing = "parameters";
		break;
	}
	case MODPROBE_SOFTDEP:
		/* kmod splits the dependencies on isspace() */
		word_count = split_words(rest, " \t\n\v\f\r", &words);
		for (size_t i = 0; i < word_count; i++)
			if (strcmp(words[i], "pre:") != 0 && strcmp(words[i], "post:") != 0)
				module_name_normalise(words[i]);
		missing = "dependencies";
		break;
	case MODPROBE_INSTALL:
		word_count = split_words(rest, KMOD_BLANKS, &words);
		missing = "a command";
		break;
	case MODPROBE_ALIAS:
		/* words after the module are ignored by kmod */
		words = xmalloc(sizeof(*words));
		words[0] = xstrdup(wildcard);
		word_count = 1;
		break;
	case MODPROBE_BLACKLIST:
		/* words after the module are ignored by kmod; kept for a reader */
		word_count = split_words(rest, KMOD_BLANKS, &words);
		break;
	}
	if (missing && word_count == 0) {
		char *what = xasprintf("'%s %.*s' without %s", cmd, QUOTE_MAX, module, missing);
		problem_ignored(m, file, number, what);
		free(what);
		free_words(words, word_count);
		return true;
	}
	/* `remove` runs a command when the module is unloaded: nothing pcipt checks. */
	if (remove) {
		free_words(words, word_count);
		return true;
	}
	if (!room_for(m, m->statement_count, statement_limit_message, file, number)) {
		free_words(words, word_count);
		return false;
	}
	add_statement(m, kind, module, words, word_count, file, number);
	return true;
}

void modprobe_parse(const char *text, size_t size, const char *display_path,
		    struct host_modules *into)
{
	if (refuse_nul(text, size, display_path, into))
		return;

	/* kmod (getline_wrapped) keeps the CR of a CR LF line end as part of the line, so
	 * "blacklist nouveau\r" blacklists a module named "nouveau\r".  Said once per file. */
	const char *crlf = memmem(text, size, "\r\n", 2);
	if (crlf) {
		unsigned line = 1;
		for (const char *p = text; p < crlf; p++)
			if (*p == '\n')
				line++;
		add_problem(
			into, display_path, line,
			xstrdup("the line ends in CR LF: modprobe keeps the CR as part of the "
				"last word (\"blacklist nouveau\\r\" does not blacklist nouveau)"));
	}

	char *buf = xmalloc(size + 1);
	size_t pos = 0;
	unsigned number = 0; /* physical lines consumed */
	while (pos < size) {
		unsigned first = number + 1;
		size_t n = 0;
		/* As kmod reads a line: a backslash takes the next character literally, and a
		 * backslash before a newline joins the next line. */
		while (pos < size) {
			char c = text[pos++];
			if (c == '\n') {
				number++;
				break;
			}
			if (c == '\\') {
				if (pos == size)
					break;
				c = text[pos++];
				if (c == '\n') {
					number++;
					continue;
				}
			}
			buf[n++] = c;
		}
		buf[n] = '\0';
		if (!parse_modprobe_line(buf, first, display_path, into))
			break;
	}
	free(buf);
}

/* --- modules-load.d ----------------------------------------------------------------------- */

void modules_load_parse(const char *text, size_t size, const char *display_path,
			struct host_modules *into)
{
	if (refuse_nul(text, size, display_path, into))
		return;
	size_t pos = 0;
	unsigned number = 0;
	while (pos < size) {
		/* systemd's read_line(): "\n", "\r" and "\r\n" each end a line */
		size_t start = pos;
		while (pos < size && text[pos] != '\n' && text[pos] != '\r')
			pos++;
		size_t end = pos;
		if (pos < size && text[pos] == '\r' && pos + 1 < size && text[pos + 1] == '\n')
			pos++;
		if (pos < size)
			pos++;
		number++;

		while (start < end && isspace((unsigned char)text[start]))
			start++;
		while (end > start && isspace((unsigned char)text[end - 1]))
			end--;
		if (start == end || text[start] == '#' || text[start] == ';')
			continue;
		size_t name_end = start;
		while (name_end < end && !isspace((unsigned char)text[name_end]))
			name_end++;
		if (!room_for(into, into->listed_count, listing_limit_message, display_path,
			      number))
			return;
		if (name_end < end) {
			/* systemd-modules-load (which also reads /etc/modules, through the
			 * /etc/modules-load.d/modules.conf link Debian ships) takes the whole
			 * line as one module name. */
			int len = end - start > QUOTE_MAX ? QUOTE_MAX : (int)(end - start);
			add_problem(
				into, display_path, number,
				xasprintf("'%.*s': systemd-modules-load takes the whole line as a "
					  "module name and will not find it; module parameters "
					  "belong in an 'options' line in /etc/modprobe.d",
					  len, text + start));
		}
		into->listed = grow(into->listed, into->listed_count, sizeof(*into->listed));
		struct module_listing *l = &into->listed[into->listed_count++];
		*l = (struct module_listing){
			.module = xstrndup(text + start, name_end - start),
			.file = xstrdup(display_path),
			.line = number,
		};
		module_name_normalise(l->module);
	}
}

/* --- reading the host --------------------------------------------------------------------- */

typedef void parse_fn(const char *text, size_t size, const char *display_path,
		      struct host_modules *into);

/* A configuration file linked to /dev/null is masked (systemd's rule; kmod reads it as an
 * empty file, the same in effect). */
static bool masked(const struct rootfs *root, const char *path)
{
	char name[16];
	return host_read_link_name(root, path, name, sizeof(name)) >= 0 &&
	       strcmp(name, "null") == 0;
}

static void read_config_file(const struct rootfs *root, const char *path, bool missing_ok,
			     parse_fn *parse, struct host_modules *m)
{
	char *data;
	size_t size;
	int r = rootfs_read(root, path, 0, TEXT_MAX_FILE_SIZE, &data, &size);
	if (r == -ENOENT && missing_ok)
		return;
	/* a link to /dev/null masks the file; under a root other than "/" the link's target is
	 * looked for inside it, where there may be no /dev/null at all */
	if ((r == -EINVAL || r == -ENOENT) && masked(root, path))
		return;
	if (r == -EFBIG) {
		add_problem(m, path, 0,
			    xasprintf("larger than %d bytes; not read", TEXT_MAX_FILE_SIZE));
		return;
	}
	if (r == -EINVAL) {
		add_problem(m, path, 0, xstrdup("not a regular file; not read"));
		return;
	}
	if (r < 0) {
		add_problem(m, path, 0, xasprintf("cannot be read: %s", strerror(-r)));
		return;
	}
	parse(data, size, path, m);
	free(data);
}

struct conf_file {
	char *name;
	size_t dir; /* index into the directory list: lower wins */
};

static int compare_conf_files(const void *a, const void *b)
{
	const struct conf_file *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->dir > y->dir) - (x->dir < y->dir);
}

static bool is_conf_name(const char *name)
{
	size_t len = strlen(name);
	return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

/* The *.conf files of dirs as kmod (conf_files_list) and systemd (conf_files_list_strv) merge
 * them: one list in name order, a name in an earlier directory hiding it in a later one.
 * Each file is read with parse, except one resolving to skip_real (may be NULL).  missing_ok:
 * a listed name that leads nowhere (a dangling link) is skipped quietly, as
 * systemd-modules-load does (apply_file() with ignore_enoent); kmod instead logs "failed to
 * open" for it, so for modprobe.d it stays a problem. */
static void read_config_dirs(const struct rootfs *root, const char *const *dirs, size_t dir_count,
			     const char *skip_real, bool missing_ok, parse_fn *parse,
			     struct host_modules *m)
{
	struct conf_file *files = NULL;
	size_t count = 0;
	for (size_t d = 0; d < dir_count; d++) {
		char **names;
		size_t n;
		int r = rootfs_list(root, dirs[d], &names, &n);
		if (r == -ENOENT)
			continue;
		if (r == -E2BIG && !m->unlisted)
			m->unlisted = xasprintf("%s: %s", dirs[d], host_list_error(r));
		if (r < 0) {
			add_problem(m, dirs[d], 0,
				    xasprintf("cannot be listed: %s",
					      r == -E2BIG ? "too many entries" : strerror(-r)));
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (!is_conf_name(names[i])) {
				free(names[i]);
				continue;
			}
			files = grow(files, count, sizeof(*files));
			files[count++] = (struct conf_file){.name = names[i], .dir = d};
		}
		free(names);
	}
	if (count > 1)
		qsort(files, count, sizeof(*files), compare_conf_files);
	for (size_t i = 0; i < count; i++) {
		if (i > 0 && strcmp(files[i].name, files[i - 1].name) == 0)
			continue; /* hidden by the same name in an earlier directory */
		char *path = xasprintf("%s/%s", dirs[files[i].dir], files[i].name);
		char *real = NULL;
		if (skip_real)
			(void)rootfs_resolve(root, path, &real);
		if (!real || strcmp(real, skip_real) != 0)
			read_config_file(root, path, missing_ok, parse, m);
		free(real);
		free(path);
	}
	for (size_t i = 0; i < count; i++)
		free(files[i].name);
	free(files);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void read_loaded(const struct rootfs *root, struct host_modules *m)
{
	char **names;
	size_t n;
	int r = rootfs_list(root, PATH_SYS_MODULE, &names, &n);
	if (r == -ENOENT)
		return; /* no /sys/module (a captured host without it): nothing loaded */
	if (r == -E2BIG && !m->unlisted)
		m->unlisted = xasprintf("%s: %s", PATH_SYS_MODULE, host_list_error(r));
	if (r < 0) {
		add_problem(m, PATH_SYS_MODULE, 0,
			    xasprintf("cannot be listed: %s",
				      r == -E2BIG ? "too many entries" : strerror(-r)));
		return;
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", PATH_SYS_MODULE, names[i]);
		bool dir = rootfs_is_dir(root, path);
		free(path);
		if (!dir) {
			free(names[i]);
			continue;
		}
		module_name_normalise(names[i]);
		names[kept++] = names[i];
	}
	if (kept > 1)
		qsort(names, kept, sizeof(*names), compare_strings);
	if (kept == 0) {
		free(names);
		names = NULL;
	}
	m->loaded = names;
	m->loaded_count = kept;
}

/* One path component: no '/', not empty, not "." or "..". */
static bool is_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

#define MODULE_MAX_PARAMS 256
#define MODULE_PARAM_MAX_LENGTH 4096

static int compare_params(const void *a, const void *b)
{
	const struct module_param *x = a, *y = b;
	int c = strcmp(x->module, y->module);
	return c ? c : strcmp(x->param, y->param);
}

/* Every readable parameter of a loaded module (a write-only one, or one longer than
 * MODULE_PARAM_MAX_LENGTH, is left out: a check then finds it unknown, as before). */
static void read_params(const struct rootfs *root, const char *module, struct host_modules *m,
			size_t *cap)
{
	char *dir = xasprintf("%s/%s/parameters", PATH_SYS_MODULE, module);
	char **names;
	size_t n;
	if (rootfs_list(root, dir, &names, &n) < 0) {
		free(dir);
		return;
	}
	char *value = xmalloc(MODULE_PARAM_MAX_LENGTH);
	for (size_t i = 0; i < n && i < MODULE_MAX_PARAMS; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		int r = is_name(names[i])
				? host_read_attr(root, path, value, MODULE_PARAM_MAX_LENGTH)
				: -EINVAL;
		free(path);
		if (r < 0)
			continue;
		xgrow((void **)&m->params, cap, m->param_count + 1, sizeof(*m->params));
		m->params[m->param_count++] =
			(struct module_param){xstrdup(module), xstrdup(names[i]), xstrdup(value)};
	}
	free(value);
	rootfs_free_names(names, n);
	free(dir);
}

static void read_wanted_params(const struct rootfs *root, const char *const *modules, size_t count,
			       struct host_modules *m)
{
	size_t cap = 0;
	for (size_t i = 0; i < count; i++) {
		char *name = xstrdup(modules[i]);
		module_name_normalise(name);
		/* a module asked for twice is read once (one without parameters is looked at
		 * again, and still has none) */
		bool seen = false;
		for (size_t k = 0; k < m->param_count && !seen; k++)
			seen = strcmp(m->params[k].module, name) == 0;
		if (!seen && is_name(name) && host_module_loaded(m, name))
			read_params(root, name, m, &cap);
		free(name);
	}
	if (m->param_count > 1)
		qsort(m->params, m->param_count, sizeof(*m->params), compare_params);
}

int host_modules_load(const struct rootfs *root, const char *const *param_modules,
		      size_t param_module_count, struct host_modules *ret)
{
	static const char *const modules_load_dirs[] = {
		PATH_MODULES_LOAD_D_ETC, PATH_MODULES_LOAD_D_RUN, PATH_MODULES_LOAD_D_USR_LOCAL,
		PATH_MODULES_LOAD_D_USR, PATH_MODULES_LOAD_D_LIB,
	};
	static const char *const modprobe_dirs[] = {
		PATH_MODPROBE_D_ETC, PATH_MODPROBE_D_RUN, PATH_MODPROBE_D_USR_LOCAL,
		PATH_MODPROBE_D_LIB, PATH_MODPROBE_D_USR,
	};
	struct host_modules m = {0};
	read_loaded(root, &m);
	read_wanted_params(root, param_modules, param_module_count, &m);

	read_config_file(root, PATH_ETC_MODULES, true, modules_load_parse, &m);
	/* Debian links /etc/modules-load.d/modules.conf to ../modules: read once, as
	 * /etc/modules.  Without /etc/modules the link dangles, which systemd-modules-load
	 * skips without a word. */
	char *etc_modules = NULL;
	(void)rootfs_resolve(root, PATH_ETC_MODULES, &etc_modules);
	read_config_dirs(root, modules_load_dirs,
			 sizeof(modules_load_dirs) / sizeof(modules_load_dirs[0]), etc_modules,
			 true, modules_load_parse, &m);
	free(etc_modules);

	read_config_dirs(root, modprobe_dirs, sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]),
			 NULL, false, modprobe_parse, &m);
	*ret = m;
	return 0;
}

void host_modules_free(struct host_modules *m)
{
	for (size_t i = 0; i < m->loaded_count; i++)
		free(m->loaded[i]);
	free(m->loaded);
	for (size_t i = 0; i < m->listed_count; i++) {
		free(m->listed[i].module);
		free(m->listed[i].file);
	}
	free(m->listed);
	for (size_t i = 0; i < m->statement_count; i++) {
		struct modprobe_statement *s = &m->statements[i];
		free(s->module);
		free_words(s->words, s->word_count);
		free(s->file);
	}
	free(m->statements);
	for (size_t i = 0; i < m->param_count; i++) {
		free(m->params[i].module);
		free(m->params[i].param);
		free(m->params[i].value);
	}
	free(m->params);
	for (size_t i = 0; i < m->problem_count; i++) {
		free(m->problems[i].file);
		free(m->problems[i].message);
	}
	free(m->problems);
	free(m->unlisted);
	*m = (struct host_modules){0};
}

/* --- questions ---------------------------------------------------------------------------- */

bool host_module_loaded(const struct host_modules *m, const char *module)
{
	for (size_t i = 0; i < m->loaded_count; i++)
		if (names_equal(m->loaded[i], module))
			return true;
	return false;
}

const struct module_listing *host_module_listed(const struct host_modules *m, const char *module)
{
	for (size_t i = 0; i < m->listed_count; i++)
		if (names_equal(m->listed[i].module, module))
			return &m->listed[i];
	return NULL;
}

const struct modprobe_statement *host_module_blacklisted(const struct host_modules *m,
							 const char *module)
{
	const struct modprobe_statement *found = NULL;
	for (size_t i = 0; i < m->statement_count; i++) {
		const struct modprobe_statement *s = &m->statements[i];
		if (s->kind == MODPROBE_BLACKLIST && names_equal(s->module, module))
			found = s;
	}
	return found;
}

const char *host_module_option(const struct host_modules *m, const char *module, const char *param,
			       const struct modprobe_statement **ret_statement)
{
	const char *value = NULL;
	const struct modprobe_statement *from = NULL;
	for (size_t i = 0; i < m->statement_count; i++) {
		const struct modprobe_statement *s = &m->statements[i];
		if (s->kind != MODPROBE_OPTIONS || !names_equal(s->module, module))
			continue;
		for (size_t k = 0; k < s->word_count; k++) {
			const char *w = s->words[k];
			const char *eq = strchr(w, '=');
			if (names_equal_n(w, eq ? (size_t)(eq - w) : strlen(w), param)) {
				value = eq ? eq + 1 : "";
				from = s;
			}
		}
	}
	if (ret_statement)
		*ret_statement = from;
	return value;
}

bool module_param_true(const char *v)
{
	return v[0] == '1' || v[0] == 'y' || v[0] == 'Y' || v[0] == 't' || v[0] == 'T' ||
	       ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N'));
}

const char *host_module_param(const struct host_modules *m, const char *module, const char *param)
{
	char *name = xstrdup(module);
	module_name_normalise(name);
	const char *value = NULL;
	for (size_t i = 0; i < m->param_count && !value; i++) {
		if (strcmp(m->params[i].module, name) == 0 &&
		    strcmp(m->params[i].param, param) == 0)
			value = m->params[i].value;
	}
	free(name);
	return value;
}
