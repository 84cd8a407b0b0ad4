/* The rules: what is checked, how severe each finding is, and what pcipt knows about
 * specific hardware, loaded from a YAML rules file (schema in pcipt-rules(5)).
 *
 * Loading is all or nothing: a file with any error yields no rules at all, and the error
 * names the file, line, column and key path (`devices[3].match.vendor`). */
#ifndef PCIPT_RULES_RULES_H
#define PCIPT_RULES_RULES_H

#include "../lib/findings.h"
#include "../lib/error.h"
#include "../lib/rootfs.h"

#include <stdbool.h>
#include <stddef.h>

/* A configurable check (its id is check_id_name() of its index): the severity its code means
 * by a primary finding, and the parameters a rules file may give it. */
struct rules_check_info {
	enum severity code_severity;
	const char *const *params; /* NULL-terminated names of list-of-string parameters */
};

/* Indexed by enum check_id, CHECK_COUNT entries (rules/catalogue.c). */
extern const struct rules_check_info rules_check_catalogue[];
size_t rules_check_count(void);
/* the check (an index into the catalogue) a rules file names by id, or -1 */
int rules_check_index(const char *id);

struct rules_string_list {
	char **items;
	size_t count;
};

struct rules_check {
	enum severity severity;
	bool set;      /* given by a rules file (else the built-in default applies) */
	unsigned line; /* where it was set */
	struct rules_string_list *params; /* one per catalogue parameter, same order */
};

/* VALUE or VALUE/MASK over a 16-bit id or class; mask 0 means "not given". */
struct rules_id_match {
	unsigned value, mask;
};

struct rules_device {
	char *id; /* stable kebab-case id: the check id of its findings */
	char *name;
	unsigned line;
	bool builtin; /* one of the built-in rules' (rules/default.yaml), not a rules file's */
	struct rules_id_match vendor, device, subsystem_vendor, subsystem_device, class_code;
	int when_x_vga;  /* -1 any, else 0/1 */
	char *when_bios; /* NULL: any */
	/* what the VM must have */
	char *vm_machine; /* "q35" */
	char *vm_bios;
	struct rules_string_list vm_args;    /* words that must appear, in order */
	struct rules_string_list vm_vga_not; /* display types that conflict */
	bool vm_all_functions;
	/* what the host must have */
	struct rules_string_list host_module_params;  /* "kvm.ignore_msrs=1" */
	struct rules_string_list host_drivers_unused; /* blacklisted or ids claimed by vfio-pci */
	enum severity severity;
	char *hint;
	/* per-device severities of other checks: findings about a matching device */
	struct rules_override {
		enum check_id check; /* a catalogue check */
		enum severity severity;
	} * overrides;
	size_t override_count;
};

enum rules_group_peers { RULES_BIND_GROUP_PEERS, RULES_REFUSE_GROUP_PEERS };

struct rules_bind {
	enum rules_group_peers group_peers;
	bool restore_on_stop;
	unsigned timeout_seconds; /* 0: not set, pcipt.conf's bind_timeout alone decides */
};

struct rules {
	struct rules_check *checks; /* rules_check_count() entries, catalogue order */
	struct rules_device *devices;
	size_t device_count;
	struct rules_bind bind;
};

/* Load text (a whole rules file) on top of base (NULL: nothing).  Checks the file leaves out
 * keep base's settings; a `devices:` list replaces base's; `bind:` keys override one by one.
 * Returns 0, or -EINVAL (-EFBIG, -EILSEQ...) with err filled and *ret untouched. */
int rules_parse(const char *text, size_t size, const struct rules *base, struct rules *ret,
		struct pcipt_error *err);
/* The same from a file. */
int rules_load(const struct rootfs *fs, const char *path, const struct rules *base,
	       struct rules *ret, struct pcipt_error *err);
/* The rules compiled into the binary (rules/default.yaml). */
int rules_load_builtin(struct rules *ret, struct pcipt_error *err);
extern const char rules_builtin_yaml[];
extern const size_t rules_builtin_yaml_size;

void rules_free(struct rules *rules);

/* Severity for a finding of check whose code chose `natural`: a primary finding (natural
 * at the code's own level) gets the rules' severity, a milder one one step below it, and one
 * above it (a file pcipt could not read) keeps its own.  A device rule's finding
 * (CHECK_DEVICE_RULE) keeps natural: the rule gave it. */
enum severity rules_severity(const struct rules *rules, enum check_id check, enum severity natural);

/* Apply rules_severity() to every finding; findings turned off are removed. */
void rules_apply(const struct rules *rules, struct findings *list);

/* The id a finding prints with: its catalogue check's, or for a device rule's finding the
 * id of that rule in rules (the rules its checks ran with). */
const char *rules_finding_id(const struct rules *rules, const struct finding *f);

#endif
