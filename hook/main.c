/* pcipt-hook: the Proxmox VE hookscript.  Proxmox runs it as `pcipt-hook VMID PHASE`, as root,
 * with stdin at EOF and stdout/stderr in the task log, while the VM's config lock is held.
 *
 *   pre-start   validate the VM against this host; any error: print the findings and exit 1,
 *               which aborts the start; else bind its devices to vfio-pci
 *   post-stop   the VM no longer holds its devices: every device no VM holds goes back to
 *               its host driver (also after a crash: the ledger is all it needs)
 *   post-start, pre-stop   nothing */
#include "bind.h"
#include "kernel.h"
#include "state.h"

#include "../lib/findings.h"
#include "../lib/paths.h"
#include "../lib/settings.h"
#include "../lib/xalloc.h"
#include "../pve/vmconfig.h"
#include "../validator/lint.h"
#include "../validator/pins.h"
#include "../validator/publish.h"
#include "../validator/report.h"
#include "../validator/setup.h"
#include "../validator/vmdevices.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifndef PCIPT_VERSION
#define PCIPT_VERSION "unknown"
#endif

#define LOCK_WAIT_MS (300 * 1000) /* another VM's hook binding a large group */

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_TROUBLE = 2 };

struct hook_options {
	const char *root_dir; /* --root DIR, "/" by default */
	struct rootfs *root;  /* opened on root_dir once the options are read */
	const char *rules, *conf;
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
	o->root_dir = "/";
	int c;
	while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			o->root_dir = optarg;
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

/* The devices to bind, with the drivers they have now: the devices the checks judged. */
static int plan_devices(const struct hook_options *o, const struct settings *settings,
			const struct rules *rules, const struct host *host,
			const struct vm_devices *devices, struct bind_set *ret,
			const struct log_ctx *log)
{
	bool peers =
		settings->bind_group_peers && rules->bind.group_peers == RULES_BIND_GROUP_PEERS;
	if (bind_plan(host, devices, peers, ret) < 0) {
		log_error(log, "VM %ld would bind more than %d devices; refusing", o->vmid,
			  LEDGER_MAX_DEVICES);
		return -1;
	}
	return 0;
}

/* The checks pcipt-validate VMID runs; findings go to stderr (the task log).  When the start
 * may go on, the plan of the bind, made from the devices the checks resolved: the config and
 * pci.cfg are read once, so what is bound is what was judged; and the identity pins of the
 * cards its raw addresses get (*ret_pinned: there are pins to write).  Returns the exit
 * status: 0 when the start may go on. */
static int validate_vm(const struct hook_options *o, const struct settings *settings,
		       const struct rules *rules, const struct host *host,
		       struct bind_set *ret_plan, struct pins *ret_pins, bool *ret_pinned,
		       const struct log_ctx *log)
{
	struct lint_input input = {.fs = o->root, .path = pve_vm_config_path(o->vmid)};
	input.display = xstrdup(input.path);
	struct findings findings;
	findings_init(&findings);
	struct lint_prepared prepared;
	lint_prepare(&input, 1, o->root, host, false, &prepared, &findings);
	lint_prepare_identity(&prepared, o->root, &findings);
	int r = lint_check_prepared(&prepared, rules, &findings);
	struct report_options ro = {.color = false, .errors_only = false, .rules = rules};
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
	/* a config that was read is the one input (r == 0) */
	if (status == EXIT_OK &&
	    plan_devices(o, settings, rules, host, &prepared.devices[0], ret_plan, log) < 0)
		status = EXIT_TROUBLE;
	*ret_pinned = false;
	if (status == EXIT_OK) {
		*ret_pinned = pins_from_devices(&prepared.configs[0].vm, o->vmid,
						&prepared.devices[0], ret_pins) == 0;
		if (!*ret_pinned)
			log_line((void *)log, "warning: the VM gets more functions than pcipt "
					      "pins; its identity pins stay as they are");
	}
	lint_prepared_free(&prepared);
	findings_free(&findings);
	free(input.path);
	free(input.display);
	return status;
}

/* One run's view of the ledger: read under the lock, changed in memory, written back before
 * any sysfs write that depends on it and at the end. */
struct ledger_run {
	const struct hook_options *o;
	const struct log_ctx *log;
	struct bind_options bo;
	struct ledger *ledger;
	long long now;
	bool give_back; /* restore_on_stop and the rules' bind: allow it */
};

static int ledger_run_open(struct ledger_run *lr, const struct hook_options *o,
			   const struct settings *settings, const struct log_ctx *log)
{
	*lr = (struct ledger_run){
		.o = o,
		.log = log,
		.bo = {o->root, settings->bind_timeout * 1000, o->dry_run, log_line, (void *)log},
		.ledger = xcalloc(1, sizeof(struct ledger)),
		.now = (long long)time(NULL),
		.give_back = settings->restore_on_stop,
	};
	struct pcipt_error err;
	bool legacy = false;
	if (ledger_read(o->root, lr->ledger, &err) < 0 ||
	    ledger_take_legacy(o->root, o->vmid, lr->now, lr->ledger, &legacy, &err) < 0) {
		log_error(log, "%s; remove it once the devices are where they belong", err.message);
		free(lr->ledger);
		return -1;
	}
	if (legacy)
		log_line((void *)log, "taking over the state file of an earlier pcipt version");
	return 0;
}

static int ledger_run_save(struct ledger_run *lr)
{
	if (lr->o->dry_run)
		return 0;
	struct pcipt_error err;
	if (ledger_write(lr->o->root, lr->ledger, &err) < 0) {
		log_error(lr->log, "%s", err.message);
		return -1;
	}
	ledger_forget_legacy(lr->o->root, lr->o->vmid);
	return 0;
}

/* Whether a holder still holds: its QEMU runs (Proxmox's pid file names a live process whose
 * command line is that VM's), or its pre-start was less than LEDGER_GRACE_SECONDS ago. */
static bool holder_live(const struct ledger_holder *h, const struct host_runstate *rs,
			long long now)
{
	for (size_t i = 0; i < rs->vm_count; i++) {
		if (rs->vms[i].vmid == h->vmid)
			return true;
	}
	return now - h->since < LEDGER_GRACE_SECONDS;
}

/* Drop the holders that died without a post-stop.  When the running VMs cannot be known, none
 * is judged dead: a device stays on vfio-pci rather than being taken from a running VM. */
static void drop_dead_holders(struct ledger_run *lr)
{
	struct host_runstate rs;
	host_runstate_load(lr->o->root, lr->now, &rs);
	if (rs.unlisted) {
		log_error(lr->log,
			  "%s: which VMs run is unknown, so no holder of a device is judged "
			  "dead now",
			  rs.unlisted);
		host_runstate_free(&rs);
		return;
	}
	for (size_t i = 0; i < lr->ledger->count; i++) {
		struct ledger_record *rec = &lr->ledger->records[i];
		for (size_t k = 0; k < rec->holder_count;) {
			const struct ledger_holder *h = &rec->holders[k];
			if (holder_live(h, &rs, lr->now)) {
				k++;
				continue;
			}
			char line[200];
			snprintf(
				line, sizeof(line),
				"VM %ld no longer holds %s: no QEMU runs for it, and its pre-start "
				"was %lld s ago",
				h->vmid, rec->address, lr->now - h->since);
			log_line((void *)lr->log, line);
			ledger_release(rec, h->vmid);
		}
	}
	host_runstate_free(&rs);
}

static void release_vm(struct ledger_run *lr, long vmid)
{
	for (size_t i = 0; i < lr->ledger->count; i++)
		ledger_release(&lr->ledger->records[i], vmid);
}

/* Give back every device no VM holds, last bound first, and drop its record once it is back.
 * Returns how many could not be given back (their records stay, and each is named). */
static size_t give_back_unheld(struct ledger_run *lr)
{
	size_t left = 0;
	for (size_t i = lr->ledger->count; i-- > 0;) {
		struct ledger_record *rec = &lr->ledger->records[i];
		if (rec->holder_count)
			continue;
		if (!lr->give_back) {
			char line[160];
			snprintf(line, sizeof(line), "%s stays on vfio-pci: restore_on_stop is off",
				 rec->address);
			log_line((void *)lr->log, line);
			ledger_drop(lr->ledger, i);
			continue;
		}
		struct pcipt_error e;
		if (bind_give_back(&lr->bo, rec->address, rec->driver, &e) < 0) {
			log_error(lr->log, "%s was not given back to %s: %s", rec->address,
				  rec->driver[0] ? rec->driver : "no driver", e.message);
			left++;
			continue;
		}
		ledger_drop(lr->ledger, i);
	}
	return left;
}

/* The VM holds the devices of its plan (new records keep the driver each has now), and no
 * longer the ones it held before that are not in it.  false when the ledger is full. */
static bool hold_plan(struct ledger_run *lr, const struct bind_set *plan)
{
	long vmid = lr->o->vmid;
	for (size_t i = 0; i < lr->ledger->count; i++) {
		struct ledger_record *rec = &lr->ledger->records[i];
		bool planned = false;
		for (size_t k = 0; k < plan->count && !planned; k++)
			planned = strcmp(plan->devices[k].address, rec->address) == 0;
		if (!planned)
			ledger_release(rec, vmid);
	}
	for (size_t k = 0; k < plan->count; k++) {
		struct ledger_record *rec =
			ledger_take(lr->ledger, plan->devices[k].address, plan->devices[k].driver);
		if (!rec || !ledger_hold(rec, vmid, lr->now))
			return false;
	}
	return true;
}

static long long ms_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000LL + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* What the checking child reports: the exit status of the checks, the plan, and the pins. */
struct judgement {
	int status;
	struct bind_set plan;
	struct pins pins;
	bool pinned;
};

/* Read the host, check the VM and plan the bind in a child process that the deadline can
 * abandon: a config-space read of a wedged device can stall inside the kernel, where no
 * signal reaches it, and Proxmox waits for a hookscript without any limit.  The child has no
 * copy of the lock (lock_acquire: every child drops it), so one stuck for good holds no other
 * start.  Returns the exit status. */
static int judge_in_child(const struct hook_options *o, const struct settings *settings,
			  const struct rules *rules, const struct log_ctx *log, long long now,
			  long long timeout_ms, struct judgement *ret)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_error(log, "cannot make a pipe: %s", strerror(errno));
		return EXIT_TROUBLE;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t child = fork();
	if (child < 0) {
		log_error(log, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return EXIT_TROUBLE;
	}
	if (child == 0) {
		close(fds[0]);
		kernel_host_read_begins();
		struct judgement *j = xcalloc(1, sizeof(*j));
		struct host host;
		struct pcipt_error herr;
		if (lint_read_host(o->root, rules, now, &host, &herr) < 0) {
			log_error(log, "cannot read the host: %s", herr.message);
			j->status = EXIT_TROUBLE;
		} else {
			j->status = validate_vm(o, settings, rules, &host, &j->plan, &j->pins,
						&j->pinned, log);
			host_free(&host);
		}
		fflush(stdout);
		fflush(stderr);
		const char *p = (const char *)j;
		size_t left = sizeof(*j);
		while (left) {
			ssize_t n = write(fds[1], p, left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				_exit(1);
			p += n;
			left -= (size_t)n;
		}
		_exit(0);
	}
	close(fds[1]);
	struct judgement *j = xcalloc(1, sizeof(*j));
	size_t got = 0;
	bool timed_out = false;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (got < sizeof(*j)) {
		long long left = timeout_ms - ms_since(&start);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd p = {fds[0], POLLIN, 0};
		int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			timed_out = true;
			break;
		}
		ssize_t n = r < 0 ? -1 : read(fds[0], (char *)j + got, sizeof(*j) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the child ended without a judgement */
		got += (size_t)n;
	}
	close(fds[0]);
	int status;
	if (got == sizeof(*j)) {
		(void)waitpid(child, NULL, 0);
		status = j->status;
		*ret = *j;
	} else if (timed_out) {
		/* one stuck in the kernel ignores the signal until it leaves: not waited for */
		kill(child, SIGKILL);
		(void)waitpid(child, NULL, WNOHANG);
		log_error(log,
			  "VM %ld must not start: pre-start did not finish within %u s "
			  "(prestart_deadline): reading the host did not return; a device that "
			  "does not answer (a wedged GPU) can stall config-space reads in the "
			  "kernel",
			  o->vmid, settings->prestart_deadline);
		status = EXIT_REFUSED;
	} else {
		int ws = 0;
		(void)waitpid(child, &ws, 0);
		log_error(log, "checking the host failed: the checking process %s %d",
			  WIFSIGNALED(ws) ? "was killed by signal" : "exited with",
			  WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
		status = EXIT_TROUBLE;
	}
	free(j);
	return status;
}

/* Devices changed drivers: the node's published snapshot (pcipt-snapshot(5)) is made new, so
 * the other nodes judge against what this one has now.  Best effort: a start or a stop never
 * fails for it, and a node without /etc/pve/nodes/NODE (no Proxmox node, pmxcfs not mounted)
 * has nothing to publish to and says nothing. */
static void republish(const struct hook_options *o, const struct rules *rules,
		      const struct log_ctx *log)
{
	if (o->dry_run)
		return;
	char *path = NULL;
	size_t size = 0;
	struct pcipt_error err;
	if (publish_node_snapshot(o->root, rules, (long long)time(NULL), &path, &size, &err) < 0) {
		if (err.code != -ENOENT) {
			char line[sizeof(err.message) + 64];
			snprintf(line, sizeof(line),
				 "note: the host snapshot was not published: %s", err.message);
			log_line((void *)log, line);
		}
		return;
	}
	free(path);
}

/* The VM's identity pins (validator/pins.h).  A failure does not fail the start, which the
 * checks allowed; it is said, and the next start checks against the pins as they were. */
static void write_pins(const struct hook_options *o, const struct pins *pins,
		       const struct log_ctx *log)
{
	struct pcipt_error err;
	if (pins_write(o->root, pins, false, &err) == 0)
		return;
	char *host_path = pins_path(o->vmid);
	char *shown = rootfs_display_path(o->root, host_path);
	char place[32] = "";
	if (err.line)
		snprintf(place, sizeof(place), ":%u", err.line);
	char *line = xasprintf("warning: VM %ld's identity pins were not written: %s%s: %s",
			       o->vmid, shown, place, err.message);
	log_line((void *)log, line);
	free(line);
	free(shown);
	free(host_path);
}

static int pre_start(const struct hook_options *o, const struct settings *settings,
		     const struct rules *rules, const struct log_ctx *log)
{
	/* prestart_deadline covers the whole phase, the wait for the lock included */
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long long deadline_ms = settings->prestart_deadline * 1000LL;
	/* the lock first: the host this run checks is the host it binds on */
	struct pcipt_error err;
	unsigned lock_wait = deadline_ms < LOCK_WAIT_MS ? (unsigned)deadline_ms : LOCK_WAIT_MS;
	int lock = o->dry_run ? -1 : lock_acquire(o->root, lock_wait, &err);
	if (!o->dry_run && lock < 0) {
		log_error(log, "%s", err.message);
		return EXIT_REFUSED;
	}
	struct ledger_run lr;
	if (ledger_run_open(&lr, o, settings, log) < 0) {
		lock_release(lock);
		return EXIT_TROUBLE;
	}
	drop_dead_holders(&lr);
	struct judgement *j = xcalloc(1, sizeof(*j));
	struct bind_set *plan = &j->plan;
	int status =
		judge_in_child(o, settings, rules, log, lr.now, deadline_ms - ms_since(&start), j);
	if (status == EXIT_OK && !hold_plan(&lr, plan)) {
		log_error(log, "the ledger has no room for VM %ld's devices; refusing", o->vmid);
		status = EXIT_TROUBLE;
	}
	if (status != EXIT_OK)
		release_vm(&lr, o->vmid); /* a refused start holds nothing */
	/* devices nobody holds any more go back before this VM's bind (the ledger says so
	 * first) */
	size_t left = give_back_unheld(&lr);
	if (ledger_run_save(&lr) < 0 && status == EXIT_OK)
		status = EXIT_REFUSED;
	if (status == EXIT_OK && plan->count == 0) {
		log_line((void *)log, "no device to bind");
	} else if (status == EXIT_OK) {
		bool undone;
		/* no write may run past the deadline either */
		long long left_ms = deadline_ms - ms_since(&start);
		if (left_ms < lr.bo.timeout_ms)
			lr.bo.timeout_ms = left_ms > 1000 ? (unsigned)left_ms : 1000;
		log_bind_start(log, plan->count, settings->bind_timeout);
		if (bind_to_vfio(&lr.bo, plan, &undone, &err) < 0) {
			log_error(log, "VM %ld must not start: %s", o->vmid, err.message);
			/* a write that hung may still land: the VM keeps holding its devices
			 * until its grace period is over, and a later run gives them back */
			if (undone)
				release_vm(&lr, o->vmid);
			else
				log_error(log,
					  "a write may still land: VM %ld holds its devices for "
					  "%d s more, then any pcipt-hook run gives them back "
					  "(or now: pcipt-hook %ld post-stop)",
					  o->vmid, LEDGER_GRACE_SECONDS, o->vmid);
			left += give_back_unheld(&lr);
			ledger_run_save(&lr);
			status = EXIT_REFUSED;
		}
	}
	if (left && status == EXIT_OK)
		log_error(log, "%zu device%s of other VMs could not be given back (named above)",
			  left, left > 1 ? "s" : "");
	/* the start goes on: the cards it gets are the ones the next start must find */
	if (status == EXIT_OK && j->pinned && !o->dry_run)
		write_pins(o, &j->pins, log);
	bool bound = status == EXIT_OK && plan->count > 0;
	free(j);
	free(lr.ledger);
	lock_release(lock);
	if (bound)
		republish(o, rules, log);
	return status;
}

static int post_stop(const struct hook_options *o, const struct settings *settings,
		     const struct rules *rules, const struct log_ctx *log)
{
	struct pcipt_error err;
	int lock = o->dry_run ? -1 : lock_acquire(o->root, LOCK_WAIT_MS, &err);
	if (!o->dry_run && lock < 0) {
		log_error(log, "%s", err.message);
		return EXIT_REFUSED;
	}
	struct ledger_run lr;
	if (ledger_run_open(&lr, o, settings, log) < 0) {
		lock_release(lock);
		return EXIT_REFUSED;
	}
	bool held = false;
	for (size_t i = 0; i < lr.ledger->count; i++)
		held |= ledger_holds(&lr.ledger->records[i], o->vmid);
	release_vm(&lr, o->vmid);
	drop_dead_holders(&lr);
	for (size_t i = 0; held && i < lr.ledger->count; i++) {
		const struct ledger_record *rec = &lr.ledger->records[i];
		if (rec->holder_count) {
			char line[160];
			snprintf(line, sizeof(line), "%s stays on vfio-pci: VM %ld holds it too",
				 rec->address, rec->holders[0].vmid);
			log_line((void *)log, line);
		}
	}
	if (!held)
		log_line((void *)log, "nothing to give back");
	size_t left = give_back_unheld(&lr);
	int status = ledger_run_save(&lr) < 0 || left ? EXIT_REFUSED : EXIT_OK;
	if (left)
		log_error(log,
			  "%zu device%s not given back (named above); the ledger keeps them: "
			  "the next pcipt-hook run tries again",
			  left, left > 1 ? "s" : "");
	free(lr.ledger);
	lock_release(lock);
	if (held)
		republish(o, rules, log);
	return status;
}

/* post-stop after setup_load() failed: pcipt.conf if it is readable, else the defaults, and
 * the built-in rules.  0 or -1. */
static int fallback_setup(const struct hook_options *o, struct settings *settings,
			  struct rules *rules)
{
	struct pcipt_error err;
	bool defaults = setup_load_settings(o->root, o->conf, settings, &err) < 0;
	if (defaults)
		settings_defaults(settings);
	struct pcipt_error rerr;
	if (rules_load_builtin(rules, &rerr) < 0) {
		settings_free(settings);
		return -1;
	}
	fprintf(stderr, "pcipt-hook: giving the devices back with %s and the built-in rules\n",
		defaults ? "the default settings" : "pcipt.conf");
	return 0;
}

static void hook_options_free(struct hook_options *o)
{
	rootfs_free(o->root);
}

int main(int argc, char **argv)
{
	_cleanup_(hook_options_free) struct hook_options o = {0};
	int status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	int r = rootfs_new(o.root_dir, &o.root);
	if (r < 0) {
		fprintf(stderr, "pcipt-hook: --root %s: %s\n", o.root_dir, strerror(-r));
		return EXIT_TROUBLE;
	}
	if (strcmp(o.phase, "post-start") == 0 || strcmp(o.phase, "pre-stop") == 0)
		return EXIT_OK;
	struct settings settings;
	struct rules rules;
	char *rules_display = NULL;
	struct pcipt_error err;
	if (setup_load(o.root, o.conf, o.rules, &settings, &rules, &rules_display, &err) < 0) {
		fprintf(stderr, "pcipt-hook: %s\n", err.message);
		/* a start is refused; but a stop must not strand the devices on vfio-pci because
		 * a file was broken in the meantime */
		if (strcmp(o.phase, "post-stop") != 0 || fallback_setup(&o, &settings, &rules) < 0)
			return EXIT_TROUBLE;
	}
	free(rules_display);
	if (settings.sets_state_dir)
		fprintf(stderr,
			"pcipt-hook: warning: pcipt.conf: state_dir is no longer read: the "
			"ledger is always %s/ledger\n",
			PATH_PCIPT_STATE_DIR);
	if (settings.sets_lock_file)
		fprintf(stderr,
			"pcipt-hook: warning: pcipt.conf: lock_file is no longer read: the "
			"lock is always %s\n",
			PATH_PCIPT_LOCK);
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
						   : post_stop(&o, &settings, &rules, &log);
	if (log.syslog)
		closelog();
	settings_free(&settings);
	rules_free(&rules);
	if (fflush(stdout) != 0)
		status = EXIT_TROUBLE;
	return status;
}
