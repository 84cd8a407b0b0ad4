/* pcipt-hook: the Proxmox VE hookscript.  Proxmox runs it as `pcipt-hook VMID PHASE`, as root,
 * with stdin at EOF and stdout/stderr in the task log, while the VM's config lock is held.
 *
 *   pre-start   validate the VM against this host; any error: print the findings and exit 1,
 *               which aborts the start; else bind its devices to vfio-pci
 *   post-stop   give every device recorded at pre-start back to its driver (also after a
 *               crash: the state file is all it needs)
 *   post-start, pre-stop   nothing */
#include "bind.h"
#include "kernel.h"
#include "state.h"

#include "../lib/findings.h"
#include "../lib/paths.h"
#include "../lib/rootpath.h"
#include "../lib/settings.h"
#include "../lib/xalloc.h"
#include "../pve/mapping.h"
#include "../pve/vmconfig.h"
#include "../validator/lint.h"
#include "../validator/report.h"
#include "../validator/setup.h"
#include "../validator/vmdevices.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifndef PCIPT_VERSION
#define PCIPT_VERSION "unknown"
#endif

#define LOCK_WAIT_MS (300 * 1000) /* another VM's hook binding a large group */

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_TROUBLE = 2 };

struct hook_options {
	const char *root, *rules, *conf;
	bool dry_run;
	long vmid;
	const char *phase;
};

struct log_ctx {
	bool syslog;
	bool dry_run;
};

static void log_line(void *ctx, const char *message)
{
	const struct log_ctx *l = ctx;
	if (l->dry_run) {
		printf("%s\n", message);
		return;
	}
	fprintf(stderr, "pcipt-hook: %s\n", message);
	if (l->syslog)
		syslog(LOG_INFO, "%s", message);
}

/* Said before the first write: how many devices, and how long one write may take. */
static void log_bind_start(const struct log_ctx *l, size_t count, unsigned timeout)
{
	char line[128];
	snprintf(line, sizeof(line),
		 "binding %zu device%s to vfio-pci (each write may take up to %u s)", count,
		 count > 1 ? "s" : "", timeout);
	log_line((void *)l, line);
}

__attribute__((format(printf, 2, 3))) static void log_error(const struct log_ctx *l,
							    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = NULL;
	if (vasprintf(&m, fmt, ap) >= 0) {
		fprintf(stderr, "pcipt-hook: error: %s\n", m);
		if (l->syslog)
			syslog(LOG_ERR, "%s", m);
		free(m);
	}
	va_end(ap);
}

static void usage(FILE *out)
{
	fputs("Usage: pcipt-hook [options] VMID PHASE\n"
	      "\n"
	      "The Proxmox VE hookscript of pcipt: at pre-start, check the VM against this host\n"
	      "and bind its devices to vfio-pci (any error aborts the start); at post-stop, give\n"
	      "the devices back to the drivers they had.\n"
	      "\n"
	      "  PHASE            pre-start | post-start | pre-stop | post-stop\n"
	      "  --root DIR       resolve every host path under DIR\n"
	      "  --rules FILE     rules file (default /etc/pcipt/rules.yaml, else built in)\n"
	      "  --conf FILE      settings file (default /etc/pcipt/pcipt.conf)\n"
	      "  --dry-run        print the sysfs writes, change nothing\n"
	      "  --version        print the version\n"
	      "  --help           print this help\n"
	      "\n"
	      "Exit status: 0 the start may go on (or the phase is done), 1 the start is refused\n"
	      "or a device could not be bound or given back, 2 usage error or unreadable input.\n",
	      out);
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct hook_options *o)
{
	enum { OPT_ROOT = 256, OPT_RULES, OPT_CONF, OPT_DRY_RUN, OPT_VERSION, OPT_HELP };
	static const struct option long_options[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"rules", required_argument, NULL, OPT_RULES},
		{"conf", required_argument, NULL, OPT_CONF},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	o->root = "/";
	int c;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			o->root = optarg;
			break;
		case OPT_RULES:
			o->rules = optarg;
			break;
		case OPT_CONF:
			o->conf = optarg;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_VERSION:
			printf("pcipt-hook %s\n", PCIPT_VERSION);
			return EXIT_OK;
		case OPT_HELP:
			usage(stdout);
			return EXIT_OK;
		default:
			fputs("Try 'pcipt-hook --help' for more information.\n", stderr);
			return EXIT_TROUBLE;
		}
	}
	if (argc - optind != 2) {
		fputs("pcipt-hook: expected VMID and PHASE\n"
		      "Try 'pcipt-hook --help' for more information.\n",
		      stderr);
		return EXIT_TROUBLE;
	}
	o->vmid = pve_vmid_parse(argv[optind]);
	if (o->vmid < 0) {
		fprintf(stderr, "pcipt-hook: '%s' is not a VMID\n", argv[optind]);
		return EXIT_TROUBLE;
	}
	o->phase = argv[optind + 1];
	static const char *const phases[] = {"pre-start", "post-start", "pre-stop", "post-stop"};
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (strcmp(o->phase, phases[i]) == 0)
			return -1;
	}
	fprintf(stderr,
		"pcipt-hook: unknown phase '%s' (pre-start, post-start, pre-stop, post-stop)\n",
		o->phase);
	return EXIT_TROUBLE;
}

/* The checks pcipt-validate VMID runs; findings go to stderr (the task log).  Returns the
 * exit status: 0 when the start may go on. */
static int validate_vm(const struct hook_options *o, const struct rules *rules,
		       const struct host *host, const struct log_ctx *log)
{
	struct lint_input input = {
		.path = NULL,
		.display = xasprintf(PATH_PVE_QEMU_SERVER "/%ld.conf", o->vmid),
	};
	input.path = root_join(o->root, input.display);
	struct findings findings;
	findings_init(&findings);
	int r = lint_loaded_host(&input, 1, host, rules, false, &findings);
	struct report_options ro = {.color = false, .errors_only = false};
	report_text(stderr, &findings, &ro);
	size_t errors = findings_count(&findings, SEVERITY_ERROR);
	int status = EXIT_OK;
	if (r > 0) {
		status = EXIT_TROUBLE;
	} else if (errors) {
		log_error(log, "VM %ld must not start: %zu error%s above", o->vmid, errors,
			  errors > 1 ? "s" : "");
		status = EXIT_REFUSED;
	}
	findings_free(&findings);
	free(input.path);
	free(input.display);
	return status;
}

/* A state left by a run that never reached post-stop (a crash, a kill -9) holds the drivers
 * the devices had before it: its records win, and devices it lists that this run does not
 * bind stay listed, so that post-stop gives them back too.  A state that cannot be read is
 * not overwritten: the start is refused.  0 or -1. */
static int merge_earlier_state(const struct hook_options *o, const struct settings *settings,
			       struct hook_state *plan, const struct log_ctx *log)
{
	struct hook_state *old = xcalloc(1, sizeof(*old));
	struct hook_error err;
	int r = state_read(o->root, settings->state_dir, o->vmid, old, &err);
	if (r == -ENOENT) {
		free(old);
		return 0;
	}
	if (r < 0) {
		log_error(log, "%s; remove it once the devices are where they belong", err.message);
		free(old);
		return -1;
	}
	for (size_t k = 0; k < old->count; k++) {
		size_t i = 0;
		while (i < plan->count && strcmp(plan->devices[i].address, old->devices[k].address))
			i++;
		if (i == plan->count) {
			if (plan->count == STATE_MAX_DEVICES) {
				log_error(log, "more than %d devices with an earlier state",
					  STATE_MAX_DEVICES);
				free(old);
				return -1;
			}
			plan->count++;
		}
		plan->devices[i] = old->devices[k];
	}
	free(old);
	return 0;
}

/* The devices to bind, with the drivers they have (or had, by an earlier state). */
static int plan_devices(const struct hook_options *o, const struct settings *settings,
			const struct rules *rules, const struct host *host, struct hook_state *ret,
			const struct log_ctx *log)
{
	char *display = xasprintf(PATH_PVE_QEMU_SERVER "/%ld.conf", o->vmid);
	char *path = root_join(o->root, display);
	struct pve_config config;
	struct pve_load_error lerr;
	int r = pve_config_load(path, display, &config, &lerr);
	free(path);
	if (r < 0) {
		log_error(log, "%s: %s", display, lerr.message);
		free(display);
		return -1;
	}
	/* the checks have reported an unreadable pci.cfg already; here it only maps nothing */
	struct pve_mappings mappings = {0};
	char *mpath = root_join(o->root, PATH_PVE_PCI_MAPPING);
	struct text_error terr;
	bool have_mappings = pve_mappings_load(mpath, PATH_PVE_PCI_MAPPING, &mappings, &terr) == 0;
	free(mpath);
	struct vm_devices devices;
	vm_devices_resolve(&config.vm, o->vmid, host, have_mappings ? &mappings : NULL, &devices);
	bool peers = settings->bind_group_peers && rules->bind.group_peers == RULES_BIND_GROUP_PEERS;
	ret->vmid = o->vmid;
	int r2 = bind_plan(host, &devices, peers, ret);
	if (r2 < 0)
		log_error(log, "VM %ld would bind more than %d devices; refusing", o->vmid,
			  STATE_MAX_DEVICES);
	else
		r2 = merge_earlier_state(o, settings, ret, log);
	vm_devices_free(&devices);
	if (have_mappings)
		pve_mappings_free(&mappings);
	pve_config_free(&config);
	free(display);
	return r2 < 0 ? -1 : 0;
}

static int pre_start(const struct hook_options *o, const struct settings *settings,
		     const struct rules *rules, const struct log_ctx *log)
{
	/* the lock first: the host this run checks is the host it binds on */
	struct hook_error err;
	int lock = o->dry_run ? -1 : lock_acquire(o->root, settings->lock_file, LOCK_WAIT_MS, &err);
	if (!o->dry_run && lock < 0) {
		log_error(log, "%s", err.message);
		return EXIT_REFUSED;
	}
	struct host host;
	struct host_error herr;
	if (host_load(o->root, (long long)time(NULL), &host, &herr) < 0) {
		log_error(log, "cannot read the host: %s", herr.message);
		lock_release(lock);
		return EXIT_TROUBLE;
	}
	int status = validate_vm(o, rules, &host, log);
	struct hook_state *state = xcalloc(1, sizeof(*state));
	if (status == EXIT_OK && plan_devices(o, settings, rules, &host, state, log) < 0)
		status = EXIT_TROUBLE;
	host_free(&host);
	if (status != EXIT_OK) {
		free(state);
		lock_release(lock);
		return status;
	}
	struct bind_options bo = {o->root, settings->bind_timeout * 1000, o->dry_run, log_line,
				  (void *)log};
	status = EXIT_OK;
	if (state->count == 0) {
		log_line((void *)log, "no device to bind");
	} else if (!o->dry_run && state_write(o->root, settings->state_dir, state, &err) < 0) {
		log_error(log, "%s", err.message);
		status = EXIT_REFUSED;
	} else {
		bool undone;
		log_bind_start(log, state->count, settings->bind_timeout);
		if (bind_to_vfio(&bo, state, &undone, &err) < 0) {
			log_error(log, "VM %ld must not start: %s", o->vmid, err.message);
			struct hook_error rerr;
			if (!undone)
				log_error(log, "not every device could be given back; the state stays for "
					       "post-stop (pcipt-hook %ld post-stop)",
					  o->vmid);
			else if (!o->dry_run &&
				 state_remove(o->root, settings->state_dir, o->vmid, &rerr) < 0)
				log_error(log, "%s", rerr.message);
			status = EXIT_REFUSED;
		}
	}
	free(state);
	lock_release(lock);
	return status;
}

static int post_stop(const struct hook_options *o, const struct settings *settings,
		     const struct log_ctx *log)
{
	struct hook_error err;
	int lock = o->dry_run ? -1 : lock_acquire(o->root, settings->lock_file, LOCK_WAIT_MS, &err);
	if (!o->dry_run && lock < 0) {
		log_error(log, "%s", err.message);
		return EXIT_REFUSED;
	}
	struct hook_state *state = xcalloc(1, sizeof(*state));
	int r = state_read(o->root, settings->state_dir, o->vmid, state, &err);
	int status = EXIT_OK;
	if (r == -ENOENT) {
		log_line((void *)log, "nothing to give back");
	} else if (r < 0) {
		log_error(log, "%s", err.message);
		status = EXIT_REFUSED;
	} else if (!settings->restore_on_stop) {
		log_line((void *)log, "restore_on_stop is off: the devices stay on vfio-pci");
		if (!o->dry_run && state_remove(o->root, settings->state_dir, o->vmid, &err) < 0)
			log_error(log, "%s", err.message);
	} else {
		struct bind_options bo = {o->root, settings->bind_timeout * 1000, o->dry_run,
					  log_line, (void *)log};
		if (bind_restore(&bo, state, &err) < 0) {
			/* the state stays: a second post-stop (or an admin) can finish the job */
			log_error(log, "%s", err.message);
			status = EXIT_REFUSED;
		} else if (!o->dry_run &&
			   state_remove(o->root, settings->state_dir, o->vmid, &err) < 0) {
			log_error(log, "%s", err.message);
			status = EXIT_REFUSED;
		}
	}
	free(state);
	lock_release(lock);
	return status;
}

/* post-stop after setup_load() failed: pcipt.conf if it is readable, else the defaults, and
 * the built-in rules.  0 or -1. */
static int fallback_setup(const struct hook_options *o, struct settings *settings,
			  struct rules *rules)
{
	char error[600];
	bool defaults = setup_load_settings(o->root, o->conf, settings, error, sizeof(error)) < 0;
	if (defaults)
		settings_defaults(settings);
	struct rules_error rerr;
	if (rules_load_builtin(rules, &rerr) < 0) {
		settings_free(settings);
		return -1;
	}
	fprintf(stderr, "pcipt-hook: giving the devices back with %s and the built-in rules\n",
		defaults ? "the default settings" : "pcipt.conf");
	return 0;
}

int main(int argc, char **argv)
{
	struct hook_options o = {0};
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	if (strcmp(o.phase, "post-start") == 0 || strcmp(o.phase, "pre-stop") == 0)
		return EXIT_OK;
	struct settings settings;
	struct rules rules;
	char *rules_display = NULL;
	char error[600];
	if (setup_load(o.root, o.conf, o.rules, &settings, &rules, &rules_display, error,
		       sizeof(error)) < 0) {
		fprintf(stderr, "pcipt-hook: %s\n", error);
		/* a start is refused; but a stop must not strand the devices on vfio-pci because
		 * a file was broken in the meantime */
		if (strcmp(o.phase, "post-stop") != 0 || fallback_setup(&o, &settings, &rules) < 0)
			return EXIT_TROUBLE;
	}
	free(rules_display);
	/* pcipt.conf and the rules' bind: both have a say: either can keep devices on vfio-pci
	 * after the stop, and the shorter timeout is the limit */
	settings.restore_on_stop = settings.restore_on_stop && rules.bind.restore_on_stop;
	if (rules.bind.timeout_seconds && rules.bind.timeout_seconds < settings.bind_timeout)
		settings.bind_timeout = rules.bind.timeout_seconds;
	struct log_ctx log = {settings.log == SETTINGS_LOG_SYSLOG && !o.dry_run, o.dry_run};
	if (log.syslog)
		openlog("pcipt-hook", LOG_PID, LOG_DAEMON);
	if (getenv("PVE_MIGRATED_FROM"))
		log_line(&log, "the VM arrives by migration; checking and binding as for a start");
	status = strcmp(o.phase, "pre-start") == 0 ? pre_start(&o, &settings, &rules, &log)
						   : post_stop(&o, &settings, &log);
	if (log.syslog)
		closelog();
	settings_free(&settings);
	rules_free(&rules);
	if (fflush(stdout) != 0)
		status = EXIT_TROUBLE;
	return status;
}
