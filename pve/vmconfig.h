/* A Proxmox VM config (/etc/pve/qemu-server/VMID.conf), parsed the way qemu-server's
 * parse_vm_config() reads it, into plain structs that remember the line of every value.
 *
 * The typed view (struct pve_vm) is what Proxmox itself ends up with: lines Proxmox would drop
 * (unknown keys, values that fail their format) are dropped here too and recorded as problems,
 * and for duplicate keys the last one wins.  Checks therefore see the VM Proxmox would start. */
#ifndef PCIPT_PVE_VMCONFIG_H
#define PCIPT_PVE_VMCONFIG_H

#include "args.h"
#include "hostpci.h"
#include "../lib/error.h"
#include "../lib/textfile.h"

#include <stdbool.h>
#include <stddef.h>

enum pve_section_kind {
	PVE_SECTION_MAIN,
	PVE_SECTION_PENDING,
	PVE_SECTION_CLOUDINIT,
	PVE_SECTION_FLEECING,
	PVE_SECTION_SNAPSHOT,
	PVE_SECTION_UNKNOWN, /* skipped by Proxmox up to the next header */
};

struct pve_entry {
	char *key;
	char *value;
	unsigned line;
};

struct pve_section {
	enum pve_section_kind kind;
	char *name;    /* snapshot name, or the header text of an unknown section */
	unsigned line; /* of the header; 0 for the main section */
	struct pve_entry *entries;
	size_t entry_count, entry_capacity;
	char *description; /* the column-0 '#' lines, URL-decoded, joined with '\n' */
	size_t description_length, description_capacity;
	char *delete_list; /* [PENDING] only */
};

enum pve_problem_kind {
	PVE_PROBLEM_UNPARSEABLE,      /* not a header, comment, or key line */
	PVE_PROBLEM_INDENTED_COMMENT, /* '#' not in column 0 */
	PVE_PROBLEM_UNKNOWN_KEY,
	PVE_PROBLEM_BAD_VALUE,     /* the value fails the key's format */
	PVE_PROBLEM_DUPLICATE_KEY, /* an earlier line with the same key is overridden */
	PVE_PROBLEM_DELETE_OUTSIDE_PENDING,
	PVE_PROBLEM_IGNORED_VALUE, /* bios: kept by Proxmox, but a value it does not act on */
	PVE_PROBLEM_UNKNOWN_SECTION,
	PVE_PROBLEM_CRLF,
	PVE_PROBLEM_ARGS_QUOTING, /* args: that cannot be split into words */
	/* the line ends in "snapstate: prepare|delete": parse_vm_config's unanchored
	 * snapshot-state match takes it before any key, and the line's own key is lost */
	PVE_PROBLEM_SNAPSTATE_MARKER,
	PVE_PROBLEM_KIND_COUNT, /* the number of kinds; not a kind */
};

struct pve_problem {
	enum pve_problem_kind kind;
	enum pve_section_kind section;
	unsigned line;
	unsigned other_line;       /* DUPLICATE_KEY: the line that wins */
	char *key;                 /* NULL when the line has no key */
	char *detail;              /* Proxmox's own complaint, or the offending text */
	char *value;               /* BAD_VALUE: the rejected value */
	struct prop_errors errors; /* BAD_VALUE: the complaints as data (detail joins them) */
};

/* A setting from the main section, as Proxmox keeps it. */
struct pve_setting {
	bool set;
	unsigned line;
	const char *value; /* points into the main section's entry */
};

struct pve_hostpci_setting {
	struct pve_setting raw;
	struct pve_hostpci dev; /* valid when raw.set: the value of that line, parsed once */
};

enum pve_bios { PVE_BIOS_SEABIOS, PVE_BIOS_OVMF };

struct pve_vm {
	struct pve_hostpci_setting hostpci[PVE_MAX_HOSTPCI];
	struct pve_setting machine;
	char *machine_type;    /* NULL: Proxmox's default for x86, i440fx ("pc") */
	bool machine_is_q35;   /* Proxmox: the type matches /q35/ */
	char *machine_viommu;  /* intel | virtio | NULL */
	char *machine_aw_bits; /* a number as written, or NULL */
	struct pve_setting bios;
	enum pve_bios bios_type;
	struct pve_setting vga;
	char *vga_type; /* NULL when vga is unset */
	struct pve_setting args;
	struct pve_args args_words;
	struct pve_setting hookscript;
	struct pve_setting efidisk0;
	struct pve_setting onboot;
	bool onboot_enabled;
	struct pve_setting lock;
};

struct pve_config {
	char *path; /* as shown to the admin */
	long vmid;  /* from the file name VMID.conf; -1 when the name is not one */
	struct pve_section *sections; /* [0] is the main section */
	size_t section_count;
	struct pve_problem *problems; /* in line order */
	size_t problem_count;
	struct pve_vm vm; /* typed view of the main section */
};

/* Parse a config already in memory.  Never fails on content: every problem Proxmox would
 * warn about is recorded in ret->problems. */
void pve_config_parse(const struct text_file *text, const char *display_path,
		      struct pve_config *ret);

/* Load and parse path; display_path is what messages call it.  Returns 0, or a negative errno
 * with err filled (the file is unreadable, too large, has a NUL byte or invalid UTF-8). */
int pve_config_load(const struct rootfs *fs, const char *path, const char *display_path,
		    struct pve_config *ret, struct pcipt_error *err);

void pve_config_free(struct pve_config *config);

/* Where Proxmox keeps the config of VM vmid on this node: "/etc/pve/qemu-server/VMID.conf", a
 * host path (read through the run's rootfs).  malloc'd. */
char *pve_vm_config_path(long vmid);
/* The same in node's directory of the cluster: /etc/pve/nodes/NODE/qemu-server/VMID.conf */
char *pve_node_vm_config_path(const char *node, long vmid);

/* VMID from a file name "100.conf" (any directory); -1 when it is not one. */
long pve_vmid_from_path(const char *path);
/* VMID from "100"; -1 when it is not one. */
long pve_vmid_parse(const char *s);

/* Where Proxmox would look up the main-section entry for key, or NULL. */
const struct pve_entry *pve_config_get(const struct pve_config *config, const char *key);

/* The key of the config's line number line (any section): of the entry there, overridden by a
 * later one or not, or of the line Proxmox drops there (an unknown key, a value it rejects).
 * NULL for a line without a key (a header, a comment, a blank or unparseable line) and for 0. */
const char *pve_config_line_key(const struct pve_config *config, unsigned line);

#endif
