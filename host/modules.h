/* Kernel modules: what is loaded now (/sys/module), what will be loaded at boot (/etc/modules,
 * /etc/modules-load.d/ *.conf), their parameters now (/sys/module/M/parameters/P) and the
 * modprobe configuration (modprobe.d: options, blacklist, softdep, install, alias) with the
 * file and line of each statement, so a hint can point at the exact place to edit.
 *
 * Module names compare with '-' and '_' as the same character, as kmod does ("vfio-pci" is
 * "vfio_pci").  Reading is rooted and bounded; a file pcipt cannot read becomes a problem
 * entry, never a silent gap. */
#ifndef PCIPT_HOST_MODULES_H
#define PCIPT_HOST_MODULES_H

#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

#define MODPROBE_MAX_STATEMENTS 65536

enum modprobe_kind {
	MODPROBE_OPTIONS,   /* options MODULE k=v ...   */
	MODPROBE_BLACKLIST, /* blacklist MODULE          */
	MODPROBE_SOFTDEP,   /* softdep MODULE pre: ... post: ... */
	MODPROBE_INSTALL,   /* install MODULE COMMAND... */
	MODPROBE_ALIAS,     /* alias WILDCARD MODULE     */
};

struct modprobe_statement {
	enum modprobe_kind kind;
	char *module; /* normalised: '-' replaced by '_' (for alias: the target module) */
	char **words; /* the rest of the line, split on blanks (options: "k=v" words;
			* install: the command words; softdep: "pre:", names, "post:", names;
			* alias: the wildcard) */
	size_t word_count;
	char *file;    /* host path, e.g. "/etc/modprobe.d/vfio.conf" */
	unsigned line; /* 1-based; a statement continued with '\' has its first line */
};

/* A line the reader could not use (unknown command, missing module name, unreadable file). */
struct modules_problem {
	char *file;
	unsigned line; /* 0: about the whole file */
	char *message;
};

/* A module listed to load at boot. */
struct module_listing {
	char *module; /* normalised */
	char *file;
	unsigned line;
};

/* A live module parameter (/sys/module/MODULE/parameters/PARAM), read with the host. */
struct module_param {
	char *module; /* normalised */
	char *param;
	char *value; /* the text without its line end ("Y", "N", "1") */
};

struct host_modules {
	char **loaded; /* names of /sys/module/ * directories, normalised, sorted */
	size_t loaded_count;
	struct module_listing *listed; /* /etc/modules, then /etc/modules-load.d/ *.conf */
	size_t listed_count;
	struct modprobe_statement *statements; /* in the order modprobe reads them */
	size_t statement_count;
	struct modules_problem *problems;
	size_t problem_count;
	struct module_param *params; /* every parameter of the modules asked for, sorted */
	size_t param_count;
	char *unlisted; /* "PATH: more than 65536 entries": a directory too large to list, an
			 * input pcipt cannot read (the host load fails); NULL when none */
};

/* Parse the text of one modprobe.d file (display_path names it in statements and problems).
 * Comments (#) and blank lines are skipped, a trailing '\' joins the next line. */
void modprobe_parse(const char *text, size_t size, const char *display_path,
		    struct host_modules *into);

/* Parse one modules-load file (/etc/modules or a modules-load.d file): one module per line,
 * '#' and ';' comments; words after the name are module parameters (allowed in /etc/modules)
 * and are ignored here. */
void modules_load_parse(const char *text, size_t size, const char *display_path,
			struct host_modules *into);

/* Read everything under root (a directory too large to list: ret->unlisted), and the live
 * parameters of each module in param_modules (normalised names) that is loaded.  modprobe.d
 * directories are read like kmod does:
 * /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d, /lib/modprobe.d,
 * /usr/lib/modprobe.d; a file name in an earlier directory hides the same name in a later
 * one; files are read in name order; only names ending in ".conf" count.  Returns 0 (problems
 * go into ret->problems). */
int host_modules_load(const struct rootfs *root, const char *const *param_modules,
		      size_t param_module_count, struct host_modules *ret);
void host_modules_free(struct host_modules *m);

bool host_module_loaded(const struct host_modules *m, const char *module);
/* The first listing of module, or NULL. */
const struct module_listing *host_module_listed(const struct host_modules *m, const char *module);
/* The last "blacklist module" statement, or NULL. */
const struct modprobe_statement *host_module_blacklisted(const struct host_modules *m,
							 const char *module);
/* The value a modprobe.d `options` line gives module's parameter (last one wins, as modprobe
 * passes them all and the module keeps the last); NULL when none.  *ret_statement (may be
 * NULL) gets the statement. */
const char *host_module_option(const struct host_modules *m, const char *module, const char *param,
			       const struct modprobe_statement **ret_statement);
/* The live value of /sys/module/MODULE/parameters/PARAM as read with the host (e.g. "Y", "N",
 * "1"); NULL when the module is not loaded, has no such parameter, or was not asked for. */
const char *host_module_param(const struct host_modules *m, const char *module, const char *param);

/* A module parameter's boolean as the kernel's kstrtobool() reads it, from modprobe.d or from
 * /sys/module: 1, y, Y, t, T, on, ON... are true; anything else is false. */
bool module_param_true(const char *value);

/* "vfio-pci" -> "vfio_pci" in place. */
void module_name_normalise(char *name);

#endif
