/* pcipt-validate: check Proxmox VM configs for PCI passthrough problems before a start. */
#include "checks.h"
#include "diff.h"
#include "install_hook.h"
#include "lint.h"
#include "lint_cluster.h"
#include "pins.h"
#include "publish.h"
#include "readrom.h"
#include "report.h"
#include "setup.h"
#include "syslog_report.h"
#include "vmdevices.h"

#include "../host/host.h"
#include "../host/snapshot.h"
#include "../host/sysfs.h"
#include "../lib/findings.h"
#include "../lib/paths.h"
#include "../lib/settings.h"
#include "../lib/xalloc.h"
#include "../pve/cluster.h"
#include "../pve/vmconfig.h"
#include "../rules/explain.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
/* where `make install` (and the package) put pcipt-hook; set from PREFIX at build time */
#ifndef PCIPT_HOOK_PATH
#define PCIPT_HOOK_PATH "/usr/lib/pcipt/pcipt-hook"
#endif

enum { EXIT_CLEAN = 0, EXIT_FINDINGS = 1, EXIT_TROUBLE = 2 };

enum output_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF };

struct options {
	bool offline, all, host, groups, quiet, config_files, check_rules, install_hook, snapshot;
	bool publish, boot_diff;
	bool onboot;               /* --all --onboot: the VMs that start with the node */
	bool syslog;               /* --syslog: the findings to syslog(3), not stdout */
	char *command;             /* --syslog: the command line, for the summary */
	bool accept_identity;      /* --accept-identity VMID: pin the cards there now */
	const char *host_snapshot; /* --host-snapshot FILE: the host's facts from FILE */
	const char *node;          /* --node NODE: its VMs, against its published snapshot */
	const char *target;        /* --target NODE: VMs of any node, against NODE */
	bool all_nodes;            /* --all-nodes: every VM of every node, and the cluster */
	const char *diff_old;      /* --diff OLD NEW [VMID...]: NEW is positional[0] */
	const char *explain;       /* --explain ID: a check's text, or a device rule */
	int explain_count;
	const char *read_rom;                       /* --read-rom ADDR, as given */
	char rom_address[HOST_PCI_ADDRESS_MAX + 1]; /* ... as sysfs names it */
	const char *rom_output; /* -o NAME: the ROM written in the ROM directory */
	bool format_given;
	const char *root_dir; /* --root DIR, "/" by default */
	struct rootfs *root;  /* opened on root_dir once the options are read */
	const char *storage;  /* --install-hook --storage ID */
	const char *rules, *conf;
	enum output_format format;
	int color;      /* -1 auto, 0 never, 1 always, -2 not given (pcipt.conf decides) */
	char **configs; /* --config FILE arguments */
	size_t config_count;
	char **positional;
	size_t positional_count;
	const char **given; /* the files named on the command line, read as given (SARIF) */
	size_t given_count;
};

static void usage(FILE *out)
{
	fputs("Usage: pcipt-validate [options] VMID...\n"
	      "       pcipt-validate [options] --config FILE...\n"
	      "       pcipt-validate [options] --all [--onboot]\n"
	      "       pcipt-validate --host | --groups\n"
	      "       pcipt-validate --install-hook [--storage ID] VMID\n"
	      "       pcipt-validate --node NODE VMID...\n"
	      "       pcipt-validate --target NODE VMID...\n"
	      "       pcipt-validate --all-nodes\n"
	      "       pcipt-validate --snapshot | --publish\n"
	      "       pcipt-validate --accept-identity VMID\n"
	      "       pcipt-validate --diff OLD NEW [VMID...] | --boot-diff\n"
	      "       pcipt-validate --explain ID\n"
	      "       pcipt-validate --read-rom ADDR [-o NAME]\n"
	      "\n"
	      "Check Proxmox VE VM configs for PCI passthrough problems before the VM starts.\n"
	      "\n"
	      "  --offline          config-only checks, no host state (CI lint); needs no root\n"
	      "  --root DIR         resolve every host path under DIR\n"
	      "  --config FILE      validate this config file (more files may follow)\n"
	      "  --all              every VM config of this node (ROOT/etc/pve/qemu-server)\n"
	      "  --onboot           with --all: only the VMs Proxmox starts at boot\n"
	      "                     (onboot: 1), and the host\n"
	      "  --rules FILE       rules file (default /etc/pcipt/rules.yaml, else built in)\n"
	      "  --check-rules      validate the rules file and exit\n"
	      "  --install-hook     make pcipt-hook the VM's hookscript: a link in a storage's\n"
	      "                     snippets directory, then `qm set VMID --hookscript`\n"
	      "  --storage ID       the storage for --install-hook (default local)\n"
	      "  --snapshot         print what pcipt knows of this host as JSON\n"
	      "                     (pcipt-snapshot(5))\n"
	      "  --node NODE        the VMs of cluster node NODE, judged against the snapshot\n"
	      "                     NODE published (this node: the machine)\n"
	      "  --target NODE      would these VMs (of any node) start on NODE, and may\n"
	      "                     they move there (migration, HA)\n"
	      "  --all-nodes        every VM of every node against its node, and what HA and\n"
	      "                     the resource mappings may do across the cluster\n"
	      "  --publish          write that snapshot to /etc/pve/nodes/NODE/pcipt-host.json\n"
	      "                     for the other nodes of the cluster\n"
	      "  --accept-identity  pin the cards now behind the VM's raw hostpci addresses\n"
	      "                     (a card swapped on purpose: device-identity)\n"
	      "  --diff OLD NEW     what changed between two snapshots of a node, and which of\n"
	      "                     its VMs each change breaks (all of them, or the VMIDs)\n"
	      "  --boot-diff        the same for the snapshot the last boot kept in\n"
	      "                     /var/lib/pcipt/last-boot.json and this machine now, then\n"
	      "                     keep this boot's there (pcipt-boot-check.service)\n"
	      "  --explain ID       what a check looks at, why it matters, how to fix it and\n"
	      "                     the rules key that turns it down; a device rule's match,\n"
	      "                     requirements and hint\n"
	      "  --syslog           log each finding through syslog instead of printing it:\n"
	      "                     \"VM 100 hostpci0: [group-isolation] ...\"\n"
	      "  --read-rom ADDR    read the card's own option ROM (as root): its images and\n"
	      "                     what SeaBIOS and OVMF make of them\n"
	      "  -o, --output NAME  with --read-rom: write it as NAME in the ROM directory\n"
	      "                     (/usr/share/kvm), for romfile=NAME\n"
	      "  --host-snapshot FILE\n"
	      "                     judge against the host FILE describes instead of this\n"
	      "                     machine (VMIDs, --all, --host, --groups)\n"
	      "  --conf FILE        settings file (default /etc/pcipt/pcipt.conf)\n"
	      "  --format text|json|sarif\n"
	      "                     output format (default text); SARIF 2.1.0 for code\n"
	      "                     scanning\n"
	      "  --color auto|always|never\n"
	      "  -q, --quiet        show errors only\n"
	      "  --version          print the version\n"
	      "  --help             print this help\n"
	      "\n"
	      "Exit status: 0 no errors (warnings allowed), 1 errors found,\n"
	      "2 usage error or input pcipt could not read.\n",
	      out);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("pcipt-validate: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'pcipt-validate --help' for more information.\n", stderr);
	return EXIT_TROUBLE;
}

enum {
	OPT_OFFLINE = 256,
	OPT_ROOT,
	OPT_CONFIG,
	OPT_ALL,
	OPT_ALL_NODES,
	OPT_HOST,
	OPT_GROUPS,
	OPT_RULES,
	OPT_CHECK_RULES,
	OPT_INSTALL_HOOK,
	OPT_STORAGE,
	OPT_CONF,
	OPT_FORMAT,
	OPT_COLOR,
	OPT_VERSION,
	OPT_HELP,
	OPT_SNAPSHOT,
	OPT_HOST_SNAPSHOT,
	OPT_PUBLISH,
	OPT_NODE,
	OPT_TARGET,
	OPT_ACCEPT_IDENTITY,
	OPT_DIFF,
	OPT_BOOT_DIFF,
	OPT_EXPLAIN,
	OPT_ONBOOT,
	OPT_SYSLOG,
	OPT_READ_ROM,
};

static const struct option long_options[] = {
	{"offline", no_argument, NULL, OPT_OFFLINE},
	{"root", required_argument, NULL, OPT_ROOT},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"all", no_argument, NULL, OPT_ALL},
	{"all-nodes", no_argument, NULL, OPT_ALL_NODES},
	{"host", no_argument, NULL, OPT_HOST},
	{"groups", no_argument, NULL, OPT_GROUPS},
	{"rules", required_argument, NULL, OPT_RULES},
	{"check-rules", no_argument, NULL, OPT_CHECK_RULES},
	{"install-hook", no_argument, NULL, OPT_INSTALL_HOOK},
	{"storage", required_argument, NULL, OPT_STORAGE},
	{"conf", required_argument, NULL, OPT_CONF},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"color", required_argument, NULL, OPT_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"help", no_argument, NULL, OPT_HELP},
	{"snapshot", no_argument, NULL, OPT_SNAPSHOT},
	{"publish", no_argument, NULL, OPT_PUBLISH},
	{"node", required_argument, NULL, OPT_NODE},
	{"target", required_argument, NULL, OPT_TARGET},
	{"host-snapshot", required_argument, NULL, OPT_HOST_SNAPSHOT},
	{"accept-identity", no_argument, NULL, OPT_ACCEPT_IDENTITY},
	{"diff", required_argument, NULL, OPT_DIFF},
	{"boot-diff", no_argument, NULL, OPT_BOOT_DIFF},
	{"explain", required_argument, NULL, OPT_EXPLAIN},
	{"onboot", no_argument, NULL, OPT_ONBOOT},
	{"syslog", no_argument, NULL, OPT_SYSLOG},
	{"read-rom", required_argument, NULL, OPT_READ_ROM},
	{"output", required_argument, NULL, 'o'},
	{NULL, 0, NULL, 0},
};

/* --read-rom ADDR [-o NAME]: one function, nothing else to do; -1 to go on, else 2. */
static int check_read_rom(struct options *o)
{
	if (o->offline || o->all || o->config_files || o->host || o->groups || o->check_rules ||
	    o->install_hook || o->snapshot || o->publish || o->host_snapshot || o->node ||
	    o->target || o->all_nodes || o->accept_identity || o->diff_old || o->boot_diff ||
	    o->onboot || o->syslog || o->positional_count)
		return usage_error("--read-rom takes one address and no VMIDs, files or other "
				   "mode%s",
				   "");
	if (o->format_given || o->color != -2 || o->quiet)
		return usage_error("--read-rom takes no --format, --color or --quiet%s", "");
	int r = readrom_address(o->read_rom, o->rom_address, sizeof(o->rom_address));
	if (r == -EISDIR) {
		char msg[128];
		snprintf(msg, sizeof(msg),
			 "--read-rom %.32s names a slot: give one function, as %.32s.0",
			 o->read_rom, o->read_rom);
		return usage_error("%s", msg);
	}
	if (r < 0)
		return usage_error("--read-rom '%s' is not a PCI address", o->read_rom);
	const char *name = o->rom_output;
	/* a file of the ROM directory, which romfile=NAME names */
	if (name &&
	    (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		return usage_error("-o takes a file name for the ROM directory, not '%s'", name);
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	o->root_dir = "/";
	o->color = -2;
	o->configs = xcalloc((size_t)argc, sizeof(*o->configs));
	int c;
	while ((c = getopt_long(argc, argv, "qo:", long_options, NULL)) != -1) {
		switch (c) {
		case OPT_OFFLINE:
			o->offline = true;
			break;
		case OPT_ROOT:
			if (!*optarg)
				return usage_error("--root needs a directory%s", "");
			o->root_dir = optarg;
			break;
		case OPT_CONFIG:
			o->config_files = true;
			o->configs[o->config_count++] = optarg;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_ALL_NODES:
			o->all_nodes = true;
			break;
		case OPT_HOST:
			o->host = true;
			break;
		case OPT_GROUPS:
			o->groups = true;
			break;
		case OPT_RULES:
			o->rules = optarg;
			break;
		case OPT_CHECK_RULES:
			o->check_rules = true;
			break;
		case OPT_INSTALL_HOOK:
			o->install_hook = true;
			break;
		case OPT_STORAGE:
			o->storage = optarg;
			break;
		case OPT_CONF:
			o->conf = optarg;
			break;
		case OPT_FORMAT:
			o->format_given = true;
			if (strcmp(optarg, "text") == 0)
				o->format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o->format = FORMAT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				o->format = FORMAT_SARIF;
			else
				return usage_error("--format must be text, json or sarif, not '%s'",
						   optarg);
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				o->color = -1;
			else if (strcmp(optarg, "always") == 0)
				o->color = 1;
			else if (strcmp(optarg, "never") == 0)
				o->color = 0;
			else
				return usage_error(
					"--color must be auto, always or never, not '%s'", optarg);
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_SNAPSHOT:
			o->snapshot = true;
			break;
		case OPT_PUBLISH:
			o->publish = true;
			break;
		case OPT_NODE:
		case OPT_TARGET:
			/* a directory name of /etc/pve/nodes */
			if (!*optarg || strchr(optarg, '/') || strcmp(optarg, ".") == 0 ||
			    strcmp(optarg, "..") == 0)
				return usage_error("'%s' is not a node name", optarg);
			if (c == OPT_NODE)
				o->node = optarg;
			else
				o->target = optarg;
			break;
		case OPT_ACCEPT_IDENTITY:
			o->accept_identity = true;
			break;
		case OPT_DIFF:
			if (!*optarg)
				return usage_error("--diff needs two snapshot files%s", "");
			o->diff_old = optarg;
			break;
		case OPT_BOOT_DIFF:
			o->boot_diff = true;
			break;
		case OPT_EXPLAIN:
			o->explain = optarg;
			o->explain_count++;
			break;
		case OPT_ONBOOT:
			o->onboot = true;
			break;
		case OPT_SYSLOG:
			o->syslog = true;
			break;
		case OPT_READ_ROM:
			o->read_rom = optarg;
			break;
		case 'o':
			o->rom_output = optarg;
			break;
		case OPT_HOST_SNAPSHOT:
			if (!*optarg)
				return usage_error("--host-snapshot needs a file%s", "");
			o->host_snapshot = optarg;
			break;
		case OPT_VERSION:
			printf("pcipt-validate %s\n", PCIPT_VERSION);
			return EXIT_CLEAN;
		case OPT_HELP:
			usage(stdout);
			return EXIT_CLEAN;
		default:
			fputs("Try 'pcipt-validate --help' for more information.\n", stderr);
			return EXIT_TROUBLE;
		}
	}
	o->positional = argv + optind;
	o->positional_count = (size_t)(argc - optind);
	if (o->storage && !o->install_hook)
		return usage_error("--storage goes with --install-hook%s", "");
	/* --root, --rules and --conf say which rules are in effect: the device rules explained */
	if (o->explain) {
		if (o->explain_count > 1 || o->positional_count || o->offline || o->all ||
		    o->config_files || o->host || o->groups || o->check_rules || o->install_hook ||
		    o->snapshot || o->publish || o->host_snapshot || o->node || o->target ||
		    o->all_nodes || o->diff_old || o->boot_diff || o->accept_identity ||
		    o->onboot || o->syslog || o->read_rom || o->format_given || o->color != -2 ||
		    o->quiet)
			return usage_error(
				"--explain takes one check or device rule id and no other "
				"mode%s",
				"");
		return -1;
	}
	/* whether a VM starts at boot is a question for the node's VMs on their host; the
	 * checks of a shared device need every VM, so --all reads them all and says less */
	if (o->onboot && (!o->all || o->offline))
		return usage_error("--onboot goes with --all, against the host (not --offline)%s",
				   "");
	/* the findings of this node's VMs and host, which pcipt-boot-check.service logs */
	if (o->syslog &&
	    (o->offline || o->target || o->all_nodes || o->groups || o->snapshot || o->publish ||
	     o->check_rules || o->install_hook || o->accept_identity || o->read_rom))
		return usage_error("--syslog logs the findings of VMIDs, --config, --all, --host, "
				   "--node, --diff or --boot-diff%s",
				   "");
	if (o->syslog && o->format_given)
		return usage_error("--syslog logs each finding as one message: no --format%s", "");
	if (o->rom_output && !o->read_rom)
		return usage_error("-o NAME goes with --read-rom%s", "");
	if (o->read_rom)
		return check_read_rom(o);
	if (o->accept_identity) {
		if (o->offline || o->all || o->config_files || o->host || o->groups ||
		    o->check_rules || o->install_hook || o->snapshot || o->publish ||
		    o->host_snapshot || o->node || o->target || o->all_nodes || o->diff_old ||
		    o->boot_diff || o->positional_count != 1)
			return usage_error("--accept-identity takes one VMID and no other mode%s",
					   "");
		if (o->rules || o->conf || o->format_given || o->color != -2 || o->quiet)
			return usage_error("--accept-identity takes no --rules, --conf, --format, "
					   "--color or --quiet%s",
					   "");
		if (pve_vmid_parse(o->positional[0]) < 0)
			return usage_error("'%s' is not a VMID", o->positional[0]);
		return -1;
	}
	if (o->boot_diff) {
		if (o->diff_old || o->offline || o->all || o->config_files || o->host ||
		    o->groups || o->snapshot || o->publish || o->host_snapshot || o->node ||
		    o->target || o->all_nodes || o->install_hook || o->check_rules ||
		    o->positional_count)
			return usage_error("--boot-diff takes no VMIDs, files or other mode%s", "");
		return -1;
	}
	if (o->diff_old) {
		if (o->offline || o->all || o->config_files || o->host || o->groups ||
		    o->snapshot || o->publish || o->host_snapshot || o->node || o->install_hook ||
		    o->check_rules || o->target || o->all_nodes)
			return usage_error("--diff OLD NEW takes VMIDs and no other mode%s", "");
		if (!o->positional_count || !*o->positional[0])
			return usage_error("--diff needs two snapshot files: OLD NEW%s", "");
		for (size_t i = 1; i < o->positional_count; i++) {
			if (pve_vmid_parse(o->positional[i]) < 0)
				return usage_error("'%s' is not a VMID", o->positional[i]);
		}
		return -1;
	}
	bool other_mode = o->offline || o->all || o->config_files || o->host || o->groups ||
			  o->snapshot || o->publish || o->host_snapshot || o->install_hook ||
			  o->check_rules;
	if (o->node && (other_mode || o->target || o->all_nodes || !o->positional_count))
		return usage_error("--node NODE takes VMIDs and no other mode%s", "");
	if (o->target && (other_mode || o->all_nodes || !o->positional_count))
		return usage_error("--target NODE takes VMIDs and no other mode%s", "");
	if (o->all_nodes && (other_mode || o->positional_count))
		return usage_error("--all-nodes takes no VMIDs, files or other mode%s", "");
	for (size_t i = 0; o->target && i < o->positional_count; i++) {
		if (pve_vmid_parse(o->positional[i]) < 0)
			return usage_error("'%s' is not a VMID", o->positional[i]);
	}
	if (o->target || o->all_nodes)
		return -1;
	if (o->publish && o->snapshot)
		return usage_error(
			"--snapshot prints the snapshot, --publish writes it: one or the "
			"other%s",
			"");
	if (o->host_snapshot &&
	    (o->offline || o->install_hook || o->snapshot || o->publish || o->check_rules))
		return usage_error("--host-snapshot goes with VMIDs, --all, --host or --groups%s",
				   "");
	if (o->snapshot || o->publish) {
		const char *mode = o->snapshot ? "--snapshot" : "--publish";
		if (o->offline || o->all || o->config_files || o->host || o->groups ||
		    o->check_rules || o->install_hook || o->positional_count)
			return usage_error("%s takes no VMIDs, files or other mode", mode);
		if (o->format_given && o->format != FORMAT_JSON)
			return usage_error("--snapshot prints JSON only%s", "");
		return -1;
	}
	if (o->install_hook) {
		if (o->offline || o->all || o->config_files || o->host || o->groups ||
		    o->check_rules || o->positional_count != 1)
			return usage_error("--install-hook takes one VMID and no other mode%s", "");
		if (o->rules || o->conf || o->format_given || o->color != -2 || o->quiet)
			return usage_error("--install-hook takes no --rules, --conf, --format, "
					   "--color or --quiet%s",
					   "");
		if (pve_vmid_parse(o->positional[0]) < 0)
			return usage_error("'%s' is not a VMID", o->positional[0]);
		return -1;
	}
	if (o->check_rules) {
		if (o->all || o->config_files || o->positional_count)
			return usage_error("--check-rules takes no VMIDs or files%s", "");
		if (o->format == FORMAT_SARIF)
			return usage_error("--check-rules prints no findings: no --format sarif%s",
					   "");
		return -1;
	}
	if (o->host || o->groups) {
		const char *mode = o->host ? "--host" : "--groups";
		if (o->host && o->groups)
			return usage_error("--host and --groups are separate runs%s", "");
		if (o->offline)
			return usage_error("%s reads the host; it cannot run --offline", mode);
		if (o->all || o->config_files || o->positional_count)
			return usage_error("%s takes no VMIDs or files", mode);
		if (o->groups && o->format == FORMAT_SARIF)
			return usage_error("--groups prints text or JSON, not SARIF%s", "");
		return -1;
	}
	if (o->all && (o->config_files || o->positional_count))
		return usage_error("--all takes no VMIDs or files%s", "");
	if (!o->all && !o->config_files && !o->positional_count)
		return usage_error("nothing to check: give VMIDs, --config FILE... or --all%s", "");
	return -1;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The VMID of every VMID.conf under ROOT/etc/pve/qemu-server, in order.  A node may hold
 * thousands of configs: the list keeps numbers, node_config_input makes each input. */
static int list_node_vmids(const struct rootfs *root, long **ret, size_t *ret_count)
{
	struct pcipt_error err;
	if (pve_dir_vmids(root, PATH_PVE_QEMU_SERVER, ret, ret_count, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		return -1;
	}
	return 0;
}

/* ROOT/etc/pve/qemu-server/VMID.conf (a VMID has that one name: no leading zero) */
static void node_config_input(const struct rootfs *root, long vmid, struct lint_input *ret)
{
	ret->fs = root;
	ret->path = pve_vm_config_path(vmid);
	ret->display = xstrdup(ret->path);
}

/* Every VMID.conf under ROOT/etc/pve/qemu-server, by VMID. */
static int list_node_configs(const struct rootfs *root, struct lint_input **ret, size_t *ret_count)
{
	long *vmids;
	size_t n;
	if (list_node_vmids(root, &vmids, &n) < 0)
		return -1;
	struct lint_input *inputs = xcalloc(n, sizeof(*inputs));
	for (size_t i = 0; i < n; i++)
		node_config_input(root, vmids[i], &inputs[i]);
	free(vmids);
	*ret = inputs;
	*ret_count = n;
	return 0;
}

/* The offline lint's findings, printed as each config is done */
static void print_findings(const struct findings *list, void *ctx)
{
	report_findings(ctx, list);
}

/* Settings and rules as setup_load() finds them; prints why not and returns -1. */
static int load_setup(const struct options *o, struct settings *settings, struct rules *rules,
		      char **ret_display)
{
	struct pcipt_error err;
	if (setup_load(o->root, o->conf, o->rules, settings, rules, ret_display, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	return 0;
}

/* --node NODE names a node of the cluster (pve/cluster.h); prints why not and returns -1. */
static int check_node(const struct rootfs *root, const char *node)
{
	struct pve_nodes nodes;
	struct pcipt_error err;
	if (pve_nodes_load(root, &nodes, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		return -1;
	}
	bool known = pve_nodes_has(&nodes, node);
	if (!known && nodes.from_members)
		fprintf(stderr,
			"pcipt-validate: no node %s in this cluster: the nodelist of %s does not name "
			"it (a directory %s/%s is what a removed node leaves)\n",
			node, PATH_PVE_MEMBERS, PATH_PVE_NODES, node);
	else if (!known)
		fprintf(stderr,
			"pcipt-validate: no node %s in this cluster: %s/%s does not exist\n", node,
			PATH_PVE_NODES, node);
	pve_nodes_free(&nodes);
	return known ? 0 : -1;
}

/* Whether node is the one this machine is (/etc/hostname under the root): its VMs are judged
 * against the machine, another node's against the snapshot it published. */
static bool is_local_node(const struct rootfs *root, const char *node)
{
	char *self = host_node_name(root);
	bool local = self && strcmp(self, node) == 0;
	free(self);
	return local;
}

/* A snapshot named on the command line, read as given (not under --root).  Prints why not,
 * with the line and column of what is wrong, and returns -1. */
static int load_snapshot_file(const char *file, struct host *ret)
{
	struct pcipt_error err;
	if (host_snapshot_load(rootfs_host(), file, ret, &err) == 0)
		return 0;
	if (err.line)
		fprintf(stderr, "pcipt-validate: %s:%u:%u: %s\n", file, err.line, err.column,
			err.message);
	else
		fprintf(stderr, "pcipt-validate: %s: %s\n", file, err.message);
	return -1;
}

/* When a snapshot was taken, "2024-05-01 12:00:00 UTC", for a note */
static void say_taken(long long when, char *buf, size_t size)
{
	time_t taken = (time_t)when;
	struct tm tm;
	snprintf(buf, size, "at an unknown time");
	if (taken > 0 && gmtime_r(&taken, &tm))
		strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* The host a host mode judges: the snapshot --host-snapshot names, else the machine under
 * --root, read now.  Prints why not and returns -1. */
static int read_host(const struct options *o, const struct rules *rules, struct host *ret)
{
	struct pcipt_error err;
	if (o->host_snapshot) {
		if (load_snapshot_file(o->host_snapshot, ret) < 0)
			return -1;
		/* what depends on the clock (reservations, running VMs: in-use) is as of then */
		char when[32];
		say_taken(ret->origin.taken, when, sizeof(when));
		fprintf(stderr,
			"pcipt-validate: note: the host is node %s as its snapshot %s describes it, "
			"taken %s; reservations and running VMs are as of then\n",
			ret->hostname ? ret->hostname : "(unnamed)", o->host_snapshot, when);
		return 0;
	}
	if (lint_read_host(o->root, rules, (long long)time(NULL), ret, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		return -1;
	}
	return 0;
}

/* --snapshot: the host model, with the files a VM may name, as one JSON document; --publish:
 * the same written for the cluster. */
static int print_snapshot(const struct options *o, const struct rules *rules)
{
	struct pcipt_error err;
	if (o->publish) {
		char *path = NULL;
		size_t size = 0;
		if (publish_node_snapshot(o->root, rules, (long long)time(NULL), &path, &size,
					  &err) < 0) {
			fprintf(stderr, "pcipt-validate: %s\n", err.message);
			return EXIT_TROUBLE;
		}
		printf("published %s (%zu bytes)\n", path, size);
		free(path);
		return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
	}
	char *text = NULL;
	size_t size = 0;
	if (lint_snapshot_text(o->root, rules, (long long)time(NULL), &text, &size, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		return EXIT_TROUBLE;
	}
	bool written = fwrite(text, 1, size, stdout) == size;
	free(text);
	return written && fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
}

/* --groups: the host's IOMMU groups and which of this node's VMs claim each device. */
static int show_groups(const struct options *o)
{
	struct lint_input *inputs = NULL;
	size_t count = 0;
	bool have_configs = rootfs_exists(o->root, PATH_PVE_QEMU_SERVER);
	if (have_configs && list_node_configs(o->root, &inputs, &count) < 0)
		return EXIT_TROUBLE;
	struct host host;
	if (read_host(o, NULL, &host) < 0) {
		lint_inputs_free(inputs, count);
		return EXIT_TROUBLE;
	}
	lint_groups(inputs, count, o->root, &host, o->format == FORMAT_JSON, stdout);
	host_free(&host);
	lint_inputs_free(inputs, count);
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
}

/* How findings are printed: the format, colour, -q, the rules the checks ran with, and for
 * SARIF where the files are (--root as given, the files named on the command line). */
static enum report_format report_format(const struct options *o)
{
	return o->format == FORMAT_SARIF  ? REPORT_SARIF
	       : o->format == FORMAT_JSON ? REPORT_JSON
					  : REPORT_TEXT;
}

static struct report_options report_options_for(const struct options *o, const struct rules *rules)
{
	return (struct report_options){
		.color = o->color == 1 || (o->color < 0 && o->format == FORMAT_TEXT && isatty(1)),
		.errors_only = o->quiet,
		.rules = rules,
		.root = o->root_dir,
		.given = o->given,
		.given_count = o->given_count,
	};
}

/* --all-nodes hands its findings list by list; printed once all are in, so a run that fails
 * half-way prints no half report */
static void keep_findings(const struct findings *list, void *ctx)
{
	findings_move(ctx, (struct findings *)list);
}

/* --target NODE VMID... and --all-nodes (validator/lint_cluster.h). */
static int judge_cluster(const struct options *o, const struct rules *rules,
			 const struct report_options *ro, unsigned max_age)
{
	struct cluster_run run = {o->root, rules, (long long)time(NULL), max_age};
	struct findings found;
	findings_init(&found);
	struct pcipt_error err;
	int r;
	if (o->target) {
		long *vmids = xcalloc(o->positional_count, sizeof(*vmids));
		for (size_t i = 0; i < o->positional_count; i++)
			vmids[i] = pve_vmid_parse(o->positional[i]);
		r = lint_target(&run, o->target, vmids, o->positional_count, &found, &err);
		free(vmids);
	} else {
		r = lint_all_nodes(&run, keep_findings, &found, &err);
	}
	if (r < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		findings_free(&found);
		return EXIT_TROUBLE;
	}
	struct report report;
	report_begin(&report, stdout, ro, report_format(o));
	report_findings(&report, &found);
	report_end(&report);
	findings_free(&found);
	int status = r > 0 ? EXIT_TROUBLE : report.errors ? EXIT_FINDINGS : EXIT_CLEAN;
	return fflush(stdout) == 0 ? status : EXIT_TROUBLE;
}

/* --install-hook: the link and `qm set`, each said as it is done. */
static int install_hook(const struct options *o)
{
	long vmid = pve_vmid_parse(o->positional[0]);
	struct hook_install plan;
	struct pcipt_error err;
	bool linked, set;
	/* under --root the node's own qm must not change a real VM: PCIPT_QM names a stand-in
	 * (the tests'), else the command is only printed */
	const char *qm = rootfs_is_host(o->root) ? "qm" : getenv("PCIPT_QM");
	if (qm && !*qm)
		qm = NULL;
	if (hook_install_plan(o->root, vmid, o->storage, PCIPT_HOOK_PATH, &plan, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		return EXIT_TROUBLE;
	}
	if (hook_install_apply(o->root, &plan, PCIPT_HOOK_PATH, qm, &linked, &set, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		hook_install_free(&plan);
		return EXIT_TROUBLE;
	}
	printf("%s %s -> %s\n", linked ? "linked" : "already linked:", plan.snippet_path,
	       PCIPT_HOOK_PATH);
	if (set)
		printf("ran qm set %ld --hookscript %s\n", vmid, plan.volume);
	else if (plan.hookscript_set)
		printf("VM %ld already has hookscript: %s\n", vmid, plan.volume);
	else
		printf("not run under --root (run it on the node): qm set %ld --hookscript %s\n",
		       vmid, plan.volume);
	if (set || plan.hookscript_set)
		printf("pcipt-hook now checks VM %ld before every start; run `pcipt-validate %ld` "
		       "to see what it would say\n",
		       vmid, vmid);
	hook_install_free(&plan);
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
}

/* The pin of hostpci's line digest at address in p, or NULL. */
static const struct pin *find_pin(const struct pins *p, const struct pin *like)
{
	for (size_t i = 0; i < p->count; i++) {
		const struct pin *o = &p->items[i];
		if (o->hostpci == like->hostpci && strcmp(o->line_digest, like->line_digest) == 0 &&
		    strcmp(o->address, like->address) == 0)
			return o;
	}
	return NULL;
}

/* --accept-identity: the VM's pins made the cards its raw hostpci addresses have now, each
 * change said (old -> new).  A pin file that cannot be read is replaced: the admin asked. */
static int accept_identity(const struct options *o)
{
	long vmid = pve_vmid_parse(o->positional[0]);
	struct host host;
	if (read_host(o, NULL, &host) < 0)
		return EXIT_TROUBLE;
	struct lint_input input;
	node_config_input(o->root, vmid, &input);
	struct findings findings;
	findings_init(&findings);
	struct lint_prepared p;
	lint_prepare(&input, 1, o->root, &host, false, &p, &findings);
	struct pins *old = xmalloc(sizeof(*old)), *now = xmalloc(sizeof(*now));
	struct pcipt_error err;
	char *path = pins_path(vmid);
	int status = EXIT_CLEAN;
	int r;
	if (p.count == 0) {
		/* the config could not be read: its finding says why */
		for (size_t i = 0; i < findings.count; i++) {
			if (findings.items[i].severity == SEVERITY_ERROR)
				fprintf(stderr, "pcipt-validate: %s: %s\n", findings.items[i].file,
					findings.items[i].message);
		}
		status = EXIT_TROUBLE;
	} else if (pins_from_devices(&p.configs[0].vm, vmid, &p.devices[0], now) < 0) {
		fprintf(stderr, "pcipt-validate: VM %ld gets more than %d functions; none pinned\n",
			vmid, PINS_MAX);
		status = EXIT_TROUBLE;
	} else if ((r = pins_read(o->root, vmid, old, &err)) == 0 && old->count == 0) {
		printf("VM %ld has no identity pins: nothing to accept (pcipt-hook pins its cards at "
		       "its next start)\n",
		       vmid);
	} else {
		if (r < 0) {
			old->count = 0;
			if (err.line)
				printf("replacing %s, which cannot be used: line %u: %s\n", path,
				       err.line, err.message);
			else
				printf("replacing %s, which cannot be used: %s\n", path,
				       err.message);
		}
		for (size_t i = 0; i < now->count; i++) {
			const struct pin *n = &now->items[i];
			const struct pin *was = find_pin(old, n);
			char *is = pin_identity_describe(&n->id, &host.pci);
			if (!was) {
				printf("hostpci%d: %s: pinned %s\n", n->hostpci, n->address, is);
			} else if (pin_identity_equal(&was->id, &n->id)) {
				printf("hostpci%d: %s: %s, unchanged\n", n->hostpci, n->address,
				       is);
			} else {
				char *before = pin_identity_describe(&was->id, &host.pci);
				printf("hostpci%d: %s: %s -> %s\n", n->hostpci, n->address, before,
				       is);
				free(before);
			}
			free(is);
		}
		for (size_t i = 0; i < old->count; i++) {
			const struct pin *was = &old->items[i];
			if (find_pin(now, was))
				continue;
			char *before = pin_identity_describe(&was->id, &host.pci);
			printf("hostpci%d: %s: %s, no longer pinned (the line changed, or the VM gets "
			       "no device there now)\n",
			       was->hostpci, was->address, before);
			free(before);
		}
		if (pins_write(o->root, now, true, &err) < 0) {
			fprintf(stderr, "pcipt-validate: %s: %s\n", path, err.message);
			status = EXIT_TROUBLE;
		} else if (now->count) {
			printf("VM %ld: %zu function%s pinned in %s\n", vmid, now->count,
			       now->count > 1 ? "s" : "", path);
		} else {
			printf("VM %ld: no raw hostpci address on this host; %s removed\n", vmid,
			       path);
		}
	}
	free(path);
	free(old);
	free(now);
	lint_prepared_free(&p);
	findings_free(&findings);
	free(input.path);
	free(input.display);
	host_free(&host);
	if (fflush(stdout) != 0)
		status = EXIT_TROUBLE;
	return status;
}

/* A node name from a snapshot, before it names a directory: pmxcfs' nodes/NODE */
static bool valid_node_name(const char *node)
{
	return *node && !strchr(node, '/') && strcmp(node, ".") != 0 && strcmp(node, "..") != 0;
}

/* The configs of node's VMs (/etc/pve/nodes/NODE/qemu-server; this node's when the snapshots
 * name none): the VMIDs given, else every one there.  Returns -1 after saying why not. */
static int node_vm_inputs(const struct rootfs *root, const char *node, char *const *vmids,
			  size_t vmid_count, struct lint_input **ret, size_t *ret_count)
{
	char *dir = node ? xasprintf("%s/%s/qemu-server", PATH_PVE_NODES, node)
			 : xstrdup(PATH_PVE_QEMU_SERVER);
	long *ids = NULL;
	size_t n = 0;
	if (vmid_count) {
		ids = xcalloc(vmid_count, sizeof(*ids));
		for (size_t i = 0; i < vmid_count; i++)
			ids[n++] = pve_vmid_parse(vmids[i]);
	} else if (!rootfs_exists(root, dir)) {
		/* a copy of two snapshots without the cluster's /etc/pve: the changes alone */
		fprintf(stderr,
			"pcipt-validate: note: %s does not exist: no VM is judged, every change is "
			"info\n",
			dir);
	} else {
		struct pcipt_error err;
		if (pve_dir_vmids(root, dir, &ids, &n, &err) < 0) {
			fprintf(stderr, "pcipt-validate: %s\n", err.message);
			free(dir);
			return -1;
		}
	}
	struct lint_input *inputs = xcalloc(n ? n : 1, sizeof(*inputs));
	for (size_t i = 0; i < n; i++) {
		inputs[i].fs = root;
		inputs[i].path = xasprintf("%s/%ld.conf", dir, ids[i]);
		inputs[i].display = xstrdup(inputs[i].path);
	}
	free(ids);
	free(dir);
	*ret = inputs;
	*ret_count = n;
	return 0;
}

/* --syslog: the messages of validator/syslog_report.h to syslog(3) */
static void log_to_syslog(int priority, const char *message, void *ctx)
{
	(void)ctx;
	syslog(priority, "%s", message);
}

static void syslog_begin(struct syslog_report *log, const struct report_options *ro)
{
	/* the ident journalctl shows, and the facility of pcipt-hook */
	openlog("pcipt-validate", LOG_PID, LOG_DAEMON);
	syslog_report_begin(log, ro, log_to_syslog, NULL);
}

static void syslog_end(struct syslog_report *log, const struct options *o)
{
	syslog_report_end(log, o->command);
	closelog();
}

/* The command line as run, "pcipt-validate --all --onboot --syslog", for --syslog's summary */
static char *command_line(int argc, char **argv)
{
	size_t size = sizeof("pcipt-validate");
	for (int i = 1; i < argc; i++)
		size += strlen(argv[i]) + 1;
	char *line = xmalloc(size);
	strcpy(line, "pcipt-validate");
	for (int i = 1; i < argc; i++) {
		strcat(line, " ");
		strcat(line, argv[i]);
	}
	return line;
}

/* The findings of a --diff or --boot-diff as the options say; the exit status. */
static int print_report(const struct options *o, const struct rules *rules,
			const struct findings *findings, bool unreadable)
{
	struct report_options ro = report_options_for(o, rules);
	size_t errors;
	if (o->syslog) {
		/* a drift finding names the VM's hostpci line in its message */
		struct syslog_report log;
		syslog_begin(&log, &ro);
		syslog_report_findings(&log, findings, NULL);
		syslog_end(&log, o);
		errors = log.errors;
	} else {
		struct report report;
		report_begin(&report, stdout, &ro, report_format(o));
		report_findings(&report, findings);
		report_end(&report);
		errors = report.errors;
	}
	int status = unreadable ? EXIT_TROUBLE : errors ? EXIT_FINDINGS : EXIT_CLEAN;
	return fflush(stdout) == 0 ? status : EXIT_TROUBLE;
}

/* The drift from old to new judged against the node's VMs, printed as findings. */
static int report_diff(const struct options *o, const struct rules *rules, struct host *old,
		       const char *old_file, struct host *new, const char *new_file,
		       char *const *vmids, size_t vmid_count)
{
	const char *node = new->hostname;
	if (!same_text(old->hostname, node)) {
		fprintf(stderr,
			"pcipt-validate: %s names node %s, %s names node %s: a diff compares two "
			"snapshots of one node\n",
			old_file, old->hostname ? old->hostname : "(none)", new_file,
			node ? node : "(none)");
		return EXIT_TROUBLE;
	}
	if (node && !valid_node_name(node)) {
		fprintf(stderr, "pcipt-validate: %s: '%s' is no node name\n", new_file, node);
		return EXIT_TROUBLE;
	}
	struct lint_input *inputs;
	size_t count;
	if (node_vm_inputs(o->root, node, vmids, vmid_count, &inputs, &count) < 0)
		return EXIT_TROUBLE;
	struct findings findings;
	findings_init(&findings);
	struct diff_sides sides = {old, new, old_file, new_file, node};
	bool unreadable = diff_judge(&sides, inputs, count, o->root, rules, &findings) > 0;
	int status = print_report(o, rules, &findings, unreadable);
	findings_free(&findings);
	lint_inputs_free(inputs, count);
	return status;
}

/* --diff OLD NEW [VMID...] */
static int run_diff(const struct options *o, const struct rules *rules)
{
	const char *old_file = o->diff_old, *new_file = o->positional[0];
	struct host old, new;
	if (load_snapshot_file(old_file, &old) < 0)
		return EXIT_TROUBLE;
	if (load_snapshot_file(new_file, &new) < 0) {
		host_free(&old);
		return EXIT_TROUBLE;
	}
	int status = report_diff(o, rules, &old, old_file, &new, new_file, o->positional + 1,
				 o->positional_count - 1);
	host_free(&old);
	host_free(&new);
	return status;
}

/* --boot-diff: the snapshot the last boot kept against the machine now, then this boot's kept
 * for the next, also when the two could not be compared (else every later boot would compare
 * with the same unreadable file).  The unit that runs it at boot (pcipt-boot-check.service)
 * ignores the exit status: the findings are for the journal, the boot goes on. */
static int run_boot_diff(const struct options *o, const struct rules *rules)
{
	struct pcipt_error err;
	char *text = NULL;
	size_t size = 0;
	struct host now, before;
	if (lint_snapshot_text(o->root, rules, (long long)time(NULL), &text, &size, &err) < 0 ||
	    host_snapshot_read(text, size, &now, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		free(text);
		return EXIT_TROUBLE;
	}
	int status;
	int r = host_snapshot_load(o->root, PATH_PCIPT_LAST_BOOT, &before, &err);
	if (r == -ENOENT) {
		fprintf(stderr,
			"pcipt-validate: note: no snapshot of an earlier boot in %s: nothing to "
			"compare; this boot's is kept for the next\n",
			PATH_PCIPT_LAST_BOOT);
		struct findings none;
		findings_init(&none);
		status = print_report(o, rules, &none, false);
	} else if (r < 0) {
		if (err.line)
			fprintf(stderr, "pcipt-validate: %s:%u:%u: %s; this boot's replaces it\n",
				PATH_PCIPT_LAST_BOOT, err.line, err.column, err.message);
		else
			fprintf(stderr, "pcipt-validate: %s: %s; this boot's replaces it\n",
				PATH_PCIPT_LAST_BOOT, err.message);
		status = EXIT_TROUBLE;
	} else if (!same_text(before.hostname, now.hostname)) {
		fprintf(stderr,
			"pcipt-validate: the snapshot of the earlier boot (%s) names node %s, this "
			"boot node %s: nothing compared\n",
			PATH_PCIPT_LAST_BOOT, before.hostname ? before.hostname : "(none)",
			now.hostname ? now.hostname : "(none)");
		host_free(&before);
		status = EXIT_TROUBLE;
	} else {
		char when[32];
		say_taken(before.origin.taken, when, sizeof(when));
		fprintf(stderr,
			"pcipt-validate: note: node %s as of %s (kernel %s) compared with the "
			"machine now (kernel %s)\n",
			now.hostname ? now.hostname : "(unnamed)", when,
			before.origin.kernel_release ? before.origin.kernel_release : "unknown",
			now.origin.kernel_release ? now.origin.kernel_release : "unknown");
		/* the findings of a change that breaks no VM name the file this boot's
		 * snapshot is kept in */
		status = report_diff(o, rules, &before, PATH_PCIPT_LAST_BOOT, &now,
				     PATH_PCIPT_LAST_BOOT, NULL, 0);
		host_free(&before);
	}
	host_free(&now);
	if (diff_keep_boot_snapshot(o->root, text, size, &err) < 0) {
		fprintf(stderr, "pcipt-validate: %s\n", err.message);
		status = EXIT_TROUBLE;
	}
	free(text);
	return status;
}

/* --explain of a catalogue check: its text (rules/explain.scd, pcipt-rules(5)'s CHECKS), and
 * the severity the rules in effect give it when that is not the built-in one. */
static int explain_check(enum check_id check, const struct rules *rules, const char *rules_display)
{
	struct rules_explain e;
	if (rules_explain_check(check, &e) < 0) {
		fprintf(stderr, "pcipt-validate: %s has no text\n", check_id_name(check));
		return EXIT_TROUBLE;
	}
	char *body = rules_explain_format(&e, 4, 80);
	printf("%s\n%s", e.title, body);
	free(body);
	rules_explain_free(&e);
	const struct rules_check *c = &rules->checks[check];
	if (c->severity != rules_check_catalogue[check].code_severity)
		printf("\nIn effect: %s, set by %s line %u.\n", severity_name(c->severity),
		       rules_display, c->line);
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
}

/* --explain ID: a check, or a device rule of the rules in effect as a rules file gives it;
 * for an id that is neither, the nearest ones. */
static int explain(const char *id, const struct rules *rules, const char *rules_display)
{
	int check = check_id_from_name(id);
	if (check >= 0)
		return explain_check((enum check_id)check, rules, rules_display);
	for (size_t i = 0; i < rules->device_count; i++) {
		const struct rules_device *d = &rules->devices[i];
		if (strcmp(d->id, id) != 0)
			continue;
		if (d->builtin)
			printf("# device rule of the built-in rules; to change it, copy it into the "
			       "devices: list of\n# %s (that list replaces the built-in one)\n",
			       PATH_PCIPT_RULES);
		else
			printf("# device rule of %s, line %u\n", rules_display, d->line);
		char *yaml = rules_device_yaml(d);
		fputs(yaml, stdout);
		free(yaml);
		return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_TROUBLE;
	}
	const char *near[3];
	size_t n = rules_closest_ids(rules, id, near, 3);
	fprintf(stderr, "pcipt-validate: no check or device rule '%s'", id);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "; did you mean: ", near[i]);
	fputs(n ? "\n" : " (pcipt-rules(5) lists the checks)\n", stderr);
	return EXIT_TROUBLE;
}

/* The files read as given, not under --root: --config FILE..., --diff OLD NEW, --host-snapshot
 * FILE; a SARIF log names them as they were named. */
static void collect_given_files(struct options *o)
{
	o->given = xcalloc(o->config_count + o->positional_count + 2, sizeof(*o->given));
	for (size_t i = 0; i < o->config_count; i++)
		o->given[o->given_count++] = o->configs[i];
	for (size_t i = 0; o->config_files && i < o->positional_count; i++)
		o->given[o->given_count++] = o->positional[i];
	if (o->diff_old) {
		o->given[o->given_count++] = o->diff_old;
		o->given[o->given_count++] = o->positional[0];
	}
	if (o->host_snapshot)
		o->given[o->given_count++] = o->host_snapshot;
}

static void say_rom_trouble(enum readrom_trouble trouble, const struct pcipt_error *err)
{
	fprintf(stderr, "pcipt-validate: %s\n", err->message);
	for (const char *const *hint = readrom_hints(trouble); *hint; hint++)
		fprintf(stderr, "    hint: %s\n", *hint);
}

/* The ROM directory -o writes in: the rules' first romfile-path rom_roots (default
 * /usr/share/kvm), without a trailing slash.  malloc'd. */
static char *rom_directory(const struct rules *rules)
{
	const char *const *roots;
	size_t count;
	romfile_roots(rules, &roots, &count);
	size_t len = strlen(roots[0]);
	while (len > 1 && roots[0][len - 1] == '/')
		len--;
	return xstrndup(roots[0], len);
}

/* --read-rom ADDR [-o NAME]: the card's own ROM turned on, read and off again, its images and
 * what SeaBIOS and OVMF make of them; 1 when neither runs any.  -o NAME writes it in the ROM
 * directory, never over anything there (checked before the card is touched, and again by the
 * write itself). */
static int read_rom(const struct options *o)
{
	struct settings settings;
	struct rules rules;
	char *rules_display = NULL;
	if (load_setup(o, &settings, &rules, &rules_display) < 0)
		return EXIT_TROUBLE;
	free(rules_display);
	unsigned timeout_ms = settings.bind_timeout * 1000;
	settings_free(&settings);
	char *dir = o->rom_output ? rom_directory(&rules) : NULL;
	rules_free(&rules);
	char *path =
		dir ? xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir, o->rom_output) : NULL;
	struct readrom_card card;
	struct readrom rom = {0};
	enum readrom_trouble trouble;
	struct pcipt_error err;
	struct stat st;
	int status = EXIT_TROUBLE;
	if (readrom_card(o->root, o->rom_address, &card, &trouble, &err) < 0) {
		say_rom_trouble(trouble, &err);
	} else if (dir && !rootfs_is_dir(o->root, dir)) {
		fprintf(stderr, "pcipt-validate: the ROM directory %s does not exist\n", dir);
	} else if (path && rootfs_lstat(o->root, path, &st) == 0) {
		fprintf(stderr,
			"pcipt-validate: %s exists: choose another name (nothing is replaced)\n",
			path);
	} else if (readrom_read(o->root, &card, timeout_ms, &rom, &trouble, &err) < 0) {
		say_rom_trouble(trouble, &err);
	} else {
		status = readrom_print(stdout, &card, &rom) ? EXIT_CLEAN : EXIT_FINDINGS;
		int r = path ? rootfs_create_new(o->root, path, rom.data, rom.size, 0644) : 0;
		if (r == -EEXIST) {
			fprintf(stderr,
				"pcipt-validate: %s exists: choose another name (nothing is "
				"replaced)\n",
				path);
			status = EXIT_TROUBLE;
		} else if (r < 0) {
			fprintf(stderr, "pcipt-validate: cannot write %s: %s\n", path,
				strerror(-r));
			status = EXIT_TROUBLE;
		} else if (path) {
			char *value = readrom_romfile_value(dir, o->rom_output);
			printf("wrote %s (%zu bytes)\n", path, rom.size);
			printf("use it as: hostpciN: %s,romfile=%s\n", card.address, value);
			free(value);
		}
		if (rom.off_error < 0) {
			fprintf(stderr,
				"pcipt-validate: %s: cannot turn its ROM off again: %s; write 0 to %s "
				"by hand\n",
				card.address,
				rom.off_error == -ETIMEDOUT ? "the write did not finish in time"
							    : strerror(-rom.off_error),
				card.rom_path);
			status = EXIT_TROUBLE;
		}
		readrom_free(&rom);
		if (fflush(stdout) != 0)
			status = EXIT_TROUBLE;
	}
	readrom_card_free(&card);
	free(path);
	free(dir);
	return status;
}

static void options_free(struct options *o)
{
	free(o->given);
	free(o->configs);
	free(o->command);
	rootfs_free(o->root);
}

int main(int argc, char **argv)
{
	_cleanup_(options_free) struct options o = {0};
	int status = parse_options(argc, argv, &o);
	if (status < 0 && o.syslog)
		o.command = command_line(argc, argv);
	if (status < 0) {
		collect_given_files(&o);
		int r = rootfs_new(o.root_dir, &o.root);
		if (r < 0) {
			fprintf(stderr, "pcipt-validate: --root %s: %s\n", o.root_dir,
				strerror(-r));
			status = EXIT_TROUBLE;
		}
	}
	if (status < 0 && o.install_hook)
		status = install_hook(&o);
	if (status < 0 && o.accept_identity)
		status = accept_identity(&o);
	if (status < 0 && o.read_rom)
		status = read_rom(&o);
	if (status >= 0)
		return status;
	if ((o.node && check_node(o.root, o.node) < 0) ||
	    (o.target && check_node(o.root, o.target) < 0))
		return EXIT_TROUBLE;
	struct settings settings;
	struct rules rules;
	char *rules_display = NULL;
	if (load_setup(&o, &settings, &rules, &rules_display) < 0)
		return EXIT_TROUBLE;
	if (o.color == -2)
		o.color = settings.color == SETTINGS_COLOR_ALWAYS  ? 1
			  : settings.color == SETTINGS_COLOR_NEVER ? 0
								   : -1;
	unsigned snapshot_max_age = settings.snapshot_max_age;
	settings_free(&settings);
	if (o.explain) {
		status = explain(o.explain, &rules, rules_display);
		rules_free(&rules);
		free(rules_display);
		return status;
	}
	if (o.check_rules) {
		size_t set = 0;
		for (size_t i = 0; i < rules_check_count(); i++)
			set += rules.checks[i].set;
		printf("%s: ok (%zu checks configured, %zu device rules)\n", rules_display, set,
		       rules.device_count);
		rules_free(&rules);
		free(rules_display);
		return EXIT_CLEAN;
	}
	free(rules_display);
	if (o.diff_old || o.boot_diff) {
		status = o.diff_old ? run_diff(&o, &rules) : run_boot_diff(&o, &rules);
		rules_free(&rules);
		return status;
	}
	struct report_options ro = report_options_for(&o, &rules);
	if (o.target || o.all_nodes) {
		status = judge_cluster(&o, &rules, &ro, snapshot_max_age);
		rules_free(&rules);
		return status;
	}

	struct lint_input *inputs = NULL;
	size_t input_count = 0;
	long *vmids = NULL; /* --all --offline: each config's input is made when it is checked */
	size_t vmid_count = 0;
	if (o.host || o.groups || o.snapshot || o.publish) {
		/* no configs */
	} else if (o.all) {
		int r = o.offline ? list_node_vmids(o.root, &vmids, &vmid_count)
				  : list_node_configs(o.root, &inputs, &input_count);
		if (r < 0) {
			rules_free(&rules);
			return EXIT_TROUBLE;
		}
	} else {
		size_t total = o.config_count + o.positional_count;
		inputs = xcalloc(total, sizeof(*inputs));
		for (size_t i = 0; i < o.config_count; i++) {
			inputs[input_count].fs = rootfs_host();
			inputs[input_count].path = xstrdup(o.configs[i]);
			inputs[input_count++].display = xstrdup(o.configs[i]);
		}
		for (size_t i = 0; i < o.positional_count; i++) {
			const char *arg = o.positional[i];
			if (o.config_files) {
				inputs[input_count].fs = rootfs_host();
				inputs[input_count].path = xstrdup(arg);
				inputs[input_count++].display = xstrdup(arg);
			} else if (pve_vmid_parse(arg) > 0) {
				inputs[input_count].fs = o.root;
				inputs[input_count].path =
					o.node ? pve_node_vm_config_path(o.node,
									 pve_vmid_parse(arg))
					       : pve_vm_config_path(pve_vmid_parse(arg));
				inputs[input_count].display = xstrdup(inputs[input_count].path);
				input_count++;
			} else {
				lint_inputs_free(inputs, input_count);
				rules_free(&rules);
				return usage_error(
					"'%s' is not a VMID (use --config FILE for files)", arg);
			}
		}
	}

	if (o.snapshot || o.publish) {
		status = print_snapshot(&o, &rules);
		rules_free(&rules);
		return status;
	}
	if (o.groups) {
		status = show_groups(&o);
		rules_free(&rules);
		free(inputs);
		return status;
	}

	struct report report;
	struct findings findings;
	findings_init(&findings);
	bool unreadable;
	if (o.offline) {
		/* printed config by config as the lint goes */
		report_begin(&report, stdout, &ro, report_format(&o));
		struct offline_lint *lint = lint_offline_begin(
			o.root, &rules, vmids ? vmid_count : input_count, print_findings, &report);
		for (size_t i = 0; i < input_count; i++)
			lint_offline_config(lint, &inputs[i]);
		/* --all: each of the node's configs named only when its turn comes */
		for (size_t i = 0; i < vmid_count; i++) {
			struct lint_input node_config;
			node_config_input(o.root, vmids[i], &node_config);
			lint_offline_config(lint, &node_config);
			free(node_config.path);
			free(node_config.display);
		}
		unreadable = lint_offline_end(lint);
	} else {
		struct host host;
		struct findings node_findings;
		findings_init(&node_findings);
		bool have_host = true;
		unreadable = false;
		/* the pins are this node's (validator/pins.h): judged for its own VMs against
		 * the machine, not for files named on the command line or another host */
		bool other_node = o.node && !is_local_node(o.root, o.node);
		bool judge_identity = !other_node && !o.host_snapshot && !o.config_files && !o.host;
		if (other_node) {
			have_host = lint_read_node_snapshot(o.root, o.node, (long long)time(NULL),
							    snapshot_max_age, SEVERITY_ERROR, &host,
							    &node_findings, &unreadable) == 0;
			rules_apply(&rules, &node_findings);
		} else if (read_host(&o, &rules, &host) < 0) {
			lint_inputs_free(inputs, input_count);
			findings_free(&findings);
			rules_free(&rules);
			return EXIT_TROUBLE;
		}
		/* kept until the findings are out: --syslog names the key of their lines */
		struct lint_prepared p = {0};
		if (have_host) {
			lint_prepare(inputs, input_count, o.root, &host, o.host, &p, &findings);
			if (judge_identity)
				lint_prepare_identity(&p, o.root, &findings);
			unreadable |= lint_check_prepared(&p, &rules, &findings) > 0;
			if (o.onboot)
				lint_keep_onboot(&p, &findings);
		}
		/* --syslog takes no --format: report_begin and report_end print nothing */
		report_begin(&report, stdout, &ro, report_format(&o));
		if (o.syslog) {
			struct syslog_report log;
			syslog_begin(&log, &ro);
			syslog_report_findings(&log, &node_findings, NULL);
			syslog_report_findings(&log, &findings, &p);
			syslog_end(&log, &o);
			report.errors = log.errors;
		} else {
			report_findings(&report, &node_findings);
			report_findings(&report, &findings);
		}
		findings_free(&node_findings);
		lint_prepared_free(&p);
		if (have_host)
			host_free(&host);
	}
	report_end(&report);

	/* errors are shown even with -q, so the report counted every one */
	status = unreadable ? EXIT_TROUBLE : report.errors ? EXIT_FINDINGS : EXIT_CLEAN;
	if (fflush(stdout) != 0)
		status = EXIT_TROUBLE;

	lint_inputs_free(inputs, input_count);
	free(vmids);
	findings_free(&findings);
	rules_free(&rules);
	return status;
}
