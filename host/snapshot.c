/* The host model as one JSON document, written and read with json-c.
 *
 * The document (schema "pcipt-host", version 1), one line of JSON without blanks
 * (JSON_C_TO_STRING_PLAIN, '/' not escaped) and a newline.  Keys come in the order below, so
 * the same host always gives the same bytes and two snapshots diff line by line after `jq .`.
 *
 *   {"schema":"pcipt-host","version":1,
 *    "node":"pve1",                           /etc/hostname (short), or null
 *    "origin":{"taken":1700000000,"kernel_release":"6.8.12-4-pve","boot_time":1699990000,
 *              "pcipt_version":"0.1.0"},       kernel_release, pcipt_version: string or null
 *    "pci":{"devices":[DEVICE...],"warnings":["libpci's warning"...]},
 *    "iommu":{"units":[{"name":"dmar0","vendor":"intel","cap":"0xd2008c40660462",
 *                       "ecap":"0xf050da"}],
 *             "acpi_dmar":true,"acpi_ivrs":false,"remapped_irq_chips":true,"cpu":"intel",
 *             "groups":[{"number":1,"devices":["0000:01:00.0","0000:01:00.1"],
 *                        "regions_known":true,
 *                        "regions":[{"start":"0xfee00000","end":"0xfeefffff","type":"msi"}]}],
 *             "problems":["/sys/class/iommu/dmar0/intel-iommu/ecap: not a hex register"]},
 *    "modules":{"loaded":["kvm","vfio"],
 *               "listed":[{"module":"vfio","file":"/etc/modules","line":3}],
 *               "statements":[{"kind":"options","module":"vfio_pci","words":["ids=10de:1b80"],
 *                              "file":"/etc/modprobe.d/vfio.conf","line":1}],
 *               "problems":[{"file":"/etc/modprobe.d/x.conf","line":2,"message":"..."}],
 *               "params":[{"module":"kvm","param":"ignore_msrs","value":"Y"}]},
 *    "boot":{"loader":"grub","proxmox_boot_tool":false,"next_file":"/etc/default/grub",
 *            "apply":"update-grub","have_running":true,"running_error":null,
 *            "running":{"words":["quiet","intel_iommu=on"],"line":0},
 *            "have_next":true,"next":{"words":["quiet"],"line":6}},
 *    "iomem":{"readable":true,
 *             "framebuffers":[{"start":"0xc0000000","end":"0xc07fffff","name":"BOOTFB",
 *                              "line":4}]},
 *    "uses":{"items":[{"address":"0000:02:00.2","kind":"mount","what":"/ (ext4 on ...)"}]},
 *    "runstate":{"reservations":[{"address":"0000:01:00.0","vmid":100,"by_pid":true,
 *                                 "value":4242,"live":true}],
 *                "vms":[{"vmid":100,"pid":4242,"devices":["0000:01:00.0"]}]},
 *    "files":{"dirs":["/usr/share/kvm"],"items":[FILE...]}}
 *
 *   DEVICE  {"address":"0000:01:00.0","vendor":"10de","device":"1b80",
 *            "subsystem_vendor":"1458","subsystem_device":"3702","class":"030000",
 *            "revision":"a1","header_type":0,"is_bridge":false,"driver":"vfio-pci",
 *            "iommu_group":1,"boot_vga":1,"has_reset":true,"reset_method":"flr bus",
 *            "power_state":"D0","d3cold_allowed":1,"sriov_totalvfs":null,"sriov_numvfs":null,
 *            "config_size":4096,"pcie_type":0,"acs":null,"sriov":false,
 *            "bars":[{"start":"0xd0000000","size":"0x1000000","memory":true},null,...]}
 *   FILE    {"path":"/usr/share/kvm/vbios.rom","error":null,"mode":"0644","regular":true,
 *            "digest":"<64 hex digits>",
 *            "rom":{"read_error":null,"kind":null,"size":65536,"parsed":true,
 *                   "images":[{"offset":0,"length":65536,"vendor":"10de","device":"1b80",
 *                              "class":"030000","pcir_revision":3,"code_type":3,"last":true,
 *                              "efi":{"signature_ok":true,"subsystem":11,"machine":"8664",
 *                                     "compression":0}}],
 *                   "parse_error":null}}
 *
 * Values:
 *   - 64-bit addresses and registers (BAR start and size, cap/ecap, region and framebuffer
 *     start/end) are strings "0x" + 1 to 16 lowercase hex digits: a JSON number above 2^53 is
 *     not exact in most readers.
 *   - PCI ids are lowercase hex strings of the width lspci -n prints: vendor, device and the
 *     subsystem ids 4 digits, class 6 (class, subclass, prog-if), revision 2; the same for a
 *     ROM image's vendor, device and class, and the EFI machine type (4).
 *   - null means absent or unknown: no driver, no IOMMU group, an attribute the kernel does not
 *     have (boot_vga, d3cold_allowed, sriov_*, reset_method, power_state), a tristate that
 *     could not be told (acs, sriov, remapped_irq_chips), ecap that could not be read (the
 *     unit's has_ecap), no error.  Tristates are true/false/null.
 *   - pcie_type: the PCI Express capability's Device/Port Type, 0 to 15 (0 endpoint, 1 legacy
 *     endpoint, 4 root port, 5 upstream port, 6 downstream port, 9 root complex integrated
 *     endpoint...), -1 no PCI Express capability, null config space too short to tell.
 *   - bars: always 6 entries; null is an unused BAR (start 0, size 0, memory).
 *   - Enums are words: iommu unit vendor "intel" "amd" "other"; cpu "intel" "amd" "unknown";
 *     statement kind "options" "blacklist" "softdep" "install" "alias"; boot loader "grub"
 *     "systemd-boot"; use kind "mount" "route"; ROM kind (what the path is instead of a
 *     regular file) "named_pipe" "socket" "device" "directory" "not_regular".
 *   - Errors (a file's error, a ROM's read_error, boot.running_error, parse_error.code) are
 *     errno names ("ENOENT"; "E<number>" for one without a name), null for none.
 *   - mode: the permission bits as 4 octal digits ("0644").
 *   - boot.next_file and boot.apply follow from loader and proxmox_boot_tool, as the host
 *     reader picks them; the reader checks them against those.
 *   - parse_error: null, or {"code":"EINVAL","offset":N,"message":"..."} (optionrom_parse's
 *     error; its line and column are always 0).  efi: null when every EFI field is 0 or
 *     false, as for any image that is no EFI image.
 *   - A device's domain, bus, slot and function come from its address, which must be as the
 *     kernel names it ("%04x:%02x:%02x.%u"): they cannot disagree with it.
 *
 * Reading (hostile input: the file comes from another machine through pmxcfs):
 *   - at most HOST_SNAPSHOT_MAX_SIZE bytes (-EFBIG), no NUL byte, strict JSON (no control
 *     character unescaped in a string), nesting at most HOST_SNAPSHOT_MAX_DEPTH; a syntax
 *     error gives its line and column;
 *   - schema "pcipt-host" and version 1 or -EINVAL; members not named here are ignored;
 *   - every member named here is required, with its type and range (-EINVAL naming its JSON
 *     path: "pci.devices[3].vendor: expected 4 lowercase hex digits"); a string at most
 *     HOST_SNAPSHOT_MAX_STRING bytes (fixed-size fields less), without NUL bytes;
 *   - lists no longer than the host reader makes them (-E2BIG): devices HOST_MAX_PCI_DEVICES,
 *     groups HOST_MAX_IOMMU_GROUPS, regions HOST_MAX_GROUP_REGIONS, statements
 *     MODPROBE_MAX_STATEMENTS, files HOST_FILES_MAX, ROM images OPTIONROM_MAX_IMAGES, libpci
 *     warnings 64, a running VM's devices 256, any other list ROOTFS_MAX_DIR_ENTRIES;
 *   - PCI addresses (devices, group members, uses, reservations, running VMs' devices) are
 *     sysfs names (lib/pciaddr.h, PCI_ADDR_SYSFS);
 *   - integers within the ranges the host reader gives them: header_type 0-127, iommu_group
 *     0-999999, boot_vga, d3cold_allowed and sriov_* 0-1000000, config_size 0-4096, lines
 *     0-4294967295, vmid and a reservation's value 0-999999999999999999, pid from 1, taken and
 *     boot_time from 0, ROM sizes, offsets and lengths at most HOST_ROM_MAX_SIZE;
 *   - the order the rest of pcipt relies on is verified, never repaired: a list out of order is
 *     refused (-EINVAL).  In strcmp order: pci.devices by address and each address once,
 *     iommu.groups by number (numerically) and each once, a group's devices and files.dirs
 *     each entry once, files.items by path, modules.loaded, modules.params by (module,
 *     param); other lists keep the order they have.
 *
 * The writer reads its own text back before handing it out: a host holding what the reader
 * refuses (a string longer than HOST_SNAPSHOT_MAX_STRING) is an error there, never a snapshot
 * that no node can read. */
#include "snapshot.h"

#include "sysfs.h"

#include "../lib/paths.h"
#include "../lib/pciaddr.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SNAPSHOT_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Lists the loaders bound by no public limit of their own. */
#define SNAPSHOT_MAX_LIST ROOTFS_MAX_DIR_ENTRIES
#define SNAPSHOT_MAX_PCI_WARNINGS 64    /* host/pci.c keeps libpci's first 64 */
#define SNAPSHOT_MAX_VM_DEVICES 256     /* host/runstate.c: vfio-pci devices of one QEMU */
#define SNAPSHOT_MAX_IOMMU_GROUP 999999 /* host/iommu.c: a group number has 6 digits at most */
#define SNAPSHOT_MAX_VMID 999999999999999999LL /* host/runstate.c: 18 digits at most */
/* json-c saturates an integer too large for 64 bits to INT64_MAX or INT64_MIN: ranges stop
 * short of both, so a saturated number is out of range, never a different value. */
#define SNAPSHOT_MAX_INT (INT64_MAX - 1)

/* --- shared tables --------------------------------------------------------------------------- */

static const char *const iommu_vendor_words[] = {
	[HOST_IOMMU_OTHER] = "other",
	[HOST_IOMMU_INTEL] = "intel",
	[HOST_IOMMU_AMD] = "amd",
};
static const char *const cpu_vendor_words[] = {
	[HOST_CPU_UNKNOWN] = "unknown",
	[HOST_CPU_INTEL] = "intel",
	[HOST_CPU_AMD] = "amd",
};
static const char *const statement_kind_words[] = {
	[MODPROBE_OPTIONS] = "options", [MODPROBE_BLACKLIST] = "blacklist",
	[MODPROBE_SOFTDEP] = "softdep", [MODPROBE_INSTALL] = "install",
	[MODPROBE_ALIAS] = "alias",
};
static const char *const bootloader_words[] = {
	[HOST_BOOT_GRUB] = "grub",
	[HOST_BOOT_SYSTEMD_BOOT] = "systemd-boot",
};
static const char *const use_kind_words[] = {
	[HOST_USE_MOUNT] = "mount",
	[HOST_USE_ROUTE] = "route",
};
#define WORDS(table) (table), (sizeof(table) / sizeof((table)[0]))

/* What a ROM path is instead of a regular file: host_mode_kind()'s static strings (through
 * host_file_kind(), host/files.c), named by the mode that gives each, so a snapshot's kind is
 * the very string a host read from the machine holds. */
static const struct {
	const char *word;
	unsigned mode;
} rom_kinds[] = {
	{"named_pipe", S_IFIFO}, {"socket", S_IFSOCK}, {"device", S_IFCHR},
	{"directory", S_IFDIR},  {"not_regular", 0},
};

/* The bootloader file and the command that applies an edit, as host.c's load_boot picks
 * them. */
static void boot_statics(enum host_bootloader loader, bool proxmox_boot_tool,
			 const char **ret_next_file, const char **ret_apply)
{
	if (loader == HOST_BOOT_SYSTEMD_BOOT) {
		*ret_next_file = PATH_KERNEL_CMDLINE;
		*ret_apply = "proxmox-boot-tool refresh";
	} else {
		*ret_next_file = PATH_GRUB_DEFAULT;
		*ret_apply = proxmox_boot_tool ? "proxmox-boot-tool refresh" : "update-grub";
	}
}

/* --- writing ------------------------------------------------------------------------------- */

/* json-c reports a failed allocation by NULL or -1; pcipt stops there, as xalloc does. */
static json_object *must(json_object *o)
{
	if (!o)
		abort();
	return o;
}

static json_object *new_object(void)
{
	return must(json_object_new_object());
}

static json_object *new_array(void)
{
	return must(json_object_new_array());
}

/* key is a literal: json-c keeps the pointer */
static void put(json_object *o, const char *key, json_object *value)
{
	const unsigned flags = JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT;
	if (json_object_object_add_ex(o, key, value, flags) < 0)
		abort();
}

static void push(json_object *array, json_object *value)
{
	if (json_object_array_add(array, value) < 0)
		abort();
}

static json_object *string_or_null(const char *s)
{
	return s ? must(json_object_new_string(s)) : NULL;
}

static json_object *integer(long long v)
{
	return must(json_object_new_int64(v));
}

static json_object *boolean(bool v)
{
	return must(json_object_new_boolean(v));
}

/* -1 (the struct's "absent") as null */
static json_object *integer_or_null(long long v)
{
	return v == -1 ? NULL : integer(v);
}

static json_object *tristate(enum host_tristate t)
{
	return t == HOST_UNKNOWN ? NULL : boolean(t == HOST_YES);
}

static json_object *hex64(unsigned long long v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", v);
	return must(json_object_new_string(buf));
}

static json_object *hex_id(unsigned v, int digits)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%0*x", digits, v);
	return must(json_object_new_string(buf));
}

/* A value outside the table becomes null, which the reader refuses: the writer's read-back
 * then fails instead of publishing another value. */
static json_object *word(const char *const *table, size_t count, unsigned value)
{
	return value < count && table[value] ? string_or_null(table[value]) : NULL;
}

/* glibc's name of errno e (1 to 255: Linux's errnos end at 133; the kernel's internal ones
 * from 512 have none), or NULL */
static const char *errno_known_name(int e)
{
	return e > 0 && e < 256 ? strerrorname_np(e) : NULL;
}

/* 0 as null, -ENOENT as "ENOENT"; an errno without a name as "E<number>" */
static json_object *errno_name(int e)
{
	if (e == 0)
		return NULL;
	const char *name = errno_known_name(-e);
	if (name)
		return string_or_null(name);
	char buf[24];
	snprintf(buf, sizeof(buf), "E%d", -e);
	return string_or_null(buf);
}

static json_object *string_list(char *const *items, size_t count)
{
	json_object *a = new_array();
	for (size_t i = 0; i < count; i++)
		push(a, string_or_null(items[i]));
	return a;
}

static json_object *write_bar(const struct host_pci_bar *b)
{
	if (b->start == 0 && b->size == 0 && b->memory)
		return NULL;
	json_object *o = new_object();
	put(o, "start", hex64(b->start));
	put(o, "size", hex64(b->size));
	put(o, "memory", boolean(b->memory));
	return o;
}

static json_object *write_device(const struct host_pci_device *d)
{
	json_object *o = new_object();
	put(o, "address", string_or_null(d->address));
	put(o, "vendor", hex_id(d->vendor, 4));
	put(o, "device", hex_id(d->device, 4));
	put(o, "subsystem_vendor", hex_id(d->subsystem_vendor, 4));
	put(o, "subsystem_device", hex_id(d->subsystem_device, 4));
	put(o, "class", hex_id(d->class_code, 6));
	put(o, "revision", hex_id(d->revision, 2));
	put(o, "header_type", integer(d->header_type));
	put(o, "is_bridge", boolean(d->is_bridge));
	put(o, "driver", string_or_null(d->driver));
	put(o, "iommu_group", integer_or_null(d->iommu_group));
	put(o, "boot_vga", integer_or_null(d->boot_vga));
	put(o, "has_reset", boolean(d->has_reset));
	put(o, "reset_method", string_or_null(d->reset_method));
	put(o, "power_state", string_or_null(d->power_state));
	put(o, "d3cold_allowed", integer_or_null(d->d3cold_allowed));
	put(o, "sriov_totalvfs", integer_or_null(d->sriov_totalvfs));
	put(o, "sriov_numvfs", integer_or_null(d->sriov_numvfs));
	put(o, "config_size", integer(d->config_size));
	put(o, "pcie_type", d->pcie_type == HOST_PCIE_UNKNOWN ? NULL : integer(d->pcie_type));
	put(o, "acs", tristate(d->acs));
	put(o, "sriov", tristate(d->sriov));
	json_object *bars = new_array();
	for (size_t i = 0; i < 6; i++)
		push(bars, write_bar(&d->bars[i]));
	put(o, "bars", bars);
	return o;
}

static json_object *write_pci(const struct host_pci *pci)
{
	json_object *o = new_object();
	json_object *devices = new_array();
	for (size_t i = 0; i < pci->count; i++)
		push(devices, write_device(&pci->devices[i]));
	put(o, "devices", devices);
	put(o, "warnings", string_list(pci->warnings, pci->warning_count));
	return o;
}

static json_object *write_iommu(const struct host_iommu *m)
{
	json_object *o = new_object();
	json_object *units = new_array();
	for (size_t i = 0; i < m->unit_count; i++) {
		const struct host_iommu_unit *u = &m->units[i];
		json_object *unit = new_object();
		put(unit, "name", string_or_null(u->name));
		put(unit, "vendor", word(WORDS(iommu_vendor_words), u->vendor));
		put(unit, "cap", hex64(u->cap));
		put(unit, "ecap", u->has_ecap ? hex64(u->ecap) : NULL);
		push(units, unit);
	}
	put(o, "units", units);
	put(o, "acpi_dmar", boolean(m->acpi_dmar));
	put(o, "acpi_ivrs", boolean(m->acpi_ivrs));
	put(o, "remapped_irq_chips", tristate(m->remapped_irq_chips));
	put(o, "cpu", word(WORDS(cpu_vendor_words), m->cpu));
	json_object *groups = new_array();
	for (size_t i = 0; i < m->group_count; i++) {
		const struct host_iommu_group *g = &m->groups[i];
		json_object *group = new_object();
		put(group, "number", integer(g->number));
		put(group, "devices", string_list(g->devices, g->device_count));
		put(group, "regions_known", boolean(g->regions_known));
		json_object *regions = new_array();
		for (size_t k = 0; k < g->region_count; k++) {
			const struct host_region *r = &g->regions[k];
			json_object *region = new_object();
			put(region, "start", hex64(r->start));
			put(region, "end", hex64(r->end));
			put(region, "type", string_or_null(r->type));
			push(regions, region);
		}
		put(group, "regions", regions);
		push(groups, group);
	}
	put(o, "groups", groups);
	put(o, "problems", string_list(m->problems, m->problem_count));
	return o;
}

static json_object *write_modules(const struct host_modules *m)
{
	json_object *o = new_object();
	put(o, "loaded", string_list(m->loaded, m->loaded_count));
	json_object *listed = new_array();
	for (size_t i = 0; i < m->listed_count; i++) {
		json_object *l = new_object();
		put(l, "module", string_or_null(m->listed[i].module));
		put(l, "file", string_or_null(m->listed[i].file));
		put(l, "line", integer(m->listed[i].line));
		push(listed, l);
	}
	put(o, "listed", listed);
	json_object *statements = new_array();
	for (size_t i = 0; i < m->statement_count; i++) {
		const struct modprobe_statement *s = &m->statements[i];
		json_object *st = new_object();
		put(st, "kind", word(WORDS(statement_kind_words), s->kind));
		put(st, "module", string_or_null(s->module));
		put(st, "words", string_list(s->words, s->word_count));
		put(st, "file", string_or_null(s->file));
		put(st, "line", integer(s->line));
		push(statements, st);
	}
	put(o, "statements", statements);
	json_object *problems = new_array();
	for (size_t i = 0; i < m->problem_count; i++) {
		json_object *p = new_object();
		put(p, "file", string_or_null(m->problems[i].file));
		put(p, "line", integer(m->problems[i].line));
		put(p, "message", string_or_null(m->problems[i].message));
		push(problems, p);
	}
	put(o, "problems", problems);
	json_object *params = new_array();
	for (size_t i = 0; i < m->param_count; i++) {
		json_object *p = new_object();
		put(p, "module", string_or_null(m->params[i].module));
		put(p, "param", string_or_null(m->params[i].param));
		put(p, "value", string_or_null(m->params[i].value));
		push(params, p);
	}
	put(o, "params", params);
	return o;
}

static json_object *write_cmdline(const struct cmdline *c)
{
	json_object *o = new_object();
	put(o, "words", string_list(c->words, c->count));
	put(o, "line", integer(c->line));
	return o;
}

static json_object *write_boot(const struct host_boot *b)
{
	const char *next_file, *apply;
	boot_statics(b->loader, b->proxmox_boot_tool, &next_file, &apply);
	json_object *o = new_object();
	put(o, "loader", word(WORDS(bootloader_words), b->loader));
	put(o, "proxmox_boot_tool", boolean(b->proxmox_boot_tool));
	put(o, "next_file", string_or_null(next_file));
	put(o, "apply", string_or_null(apply));
	put(o, "have_running", boolean(b->have_running));
	put(o, "running_error", errno_name(b->running_error));
	put(o, "running", write_cmdline(&b->running));
	put(o, "have_next", boolean(b->have_next));
	put(o, "next", write_cmdline(&b->next));
	return o;
}

static json_object *write_iomem(const struct host_iomem *m)
{
	json_object *o = new_object();
	put(o, "readable", boolean(m->readable));
	json_object *fbs = new_array();
	for (size_t i = 0; i < m->count; i++) {
		const struct host_framebuffer *fb = &m->framebuffers[i];
		json_object *f = new_object();
		put(f, "start", hex64(fb->start));
		put(f, "end", hex64(fb->end));
		put(f, "name", string_or_null(fb->name));
		put(f, "line", integer(fb->line));
		push(fbs, f);
	}
	put(o, "framebuffers", fbs);
	return o;
}

static json_object *write_uses(const struct host_uses *u)
{
	json_object *o = new_object();
	json_object *items = new_array();
	for (size_t i = 0; i < u->count; i++) {
		json_object *it = new_object();
		put(it, "address", string_or_null(u->items[i].address));
		put(it, "kind", word(WORDS(use_kind_words), u->items[i].kind));
		put(it, "what", string_or_null(u->items[i].what));
		push(items, it);
	}
	put(o, "items", items);
	return o;
}

static json_object *write_runstate(const struct host_runstate *s)
{
	json_object *o = new_object();
	json_object *reservations = new_array();
	for (size_t i = 0; i < s->reservation_count; i++) {
		const struct host_reservation *r = &s->reservations[i];
		json_object *res = new_object();
		put(res, "address", string_or_null(r->address));
		put(res, "vmid", integer(r->vmid));
		put(res, "by_pid", boolean(r->by_pid));
		put(res, "value", integer(r->value));
		put(res, "live", boolean(r->live));
		push(reservations, res);
	}
	put(o, "reservations", reservations);
	json_object *vms = new_array();
	for (size_t i = 0; i < s->vm_count; i++) {
		const struct host_running_vm *vm = &s->vms[i];
		json_object *v = new_object();
		put(v, "vmid", integer(vm->vmid));
		put(v, "pid", integer(vm->pid));
		put(v, "devices", string_list(vm->devices, vm->device_count));
		push(vms, v);
	}
	put(o, "vms", vms);
	return o;
}

/* A kind none of the words name is written as it is, which the reader refuses. */
static json_object *rom_kind(const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < sizeof(rom_kinds) / sizeof(rom_kinds[0]); i++)
		if (strcmp(kind, host_mode_kind(rom_kinds[i].mode)) == 0)
			return string_or_null(rom_kinds[i].word);
	return string_or_null(kind);
}

static json_object *write_image(const struct optionrom_image *im)
{
	json_object *o = new_object();
	put(o, "offset", integer((long long)im->offset));
	put(o, "length", integer((long long)im->length));
	put(o, "vendor", hex_id(im->vendor, 4));
	put(o, "device", hex_id(im->device, 4));
	put(o, "class", hex_id(im->class_code, 6));
	put(o, "pcir_revision", integer(im->pcir_revision));
	put(o, "code_type", integer(im->code_type));
	put(o, "last", boolean(im->last));
	json_object *efi = NULL;
	if (im->efi_signature_ok || im->efi_subsystem || im->efi_machine || im->efi_compression) {
		efi = new_object();
		put(efi, "signature_ok", boolean(im->efi_signature_ok));
		put(efi, "subsystem", integer(im->efi_subsystem));
		put(efi, "machine", hex_id(im->efi_machine, 4));
		put(efi, "compression", integer(im->efi_compression));
	}
	put(o, "efi", efi);
	return o;
}

static json_object *write_rom(const struct host_rom *rom)
{
	json_object *o = new_object();
	put(o, "read_error", errno_name(rom->read_error));
	put(o, "kind", rom_kind(rom->kind));
	put(o, "size", integer((long long)rom->size));
	put(o, "parsed", boolean(rom->parsed));
	json_object *images = new_array();
	for (size_t i = 0; i < rom->rom.count && i < OPTIONROM_MAX_IMAGES; i++)
		push(images, write_image(&rom->rom.images[i]));
	put(o, "images", images);
	json_object *pe = NULL;
	if (rom->parse_error.code) {
		pe = new_object();
		put(pe, "code", errno_name(rom->parse_error.code));
		put(pe, "offset", integer((long long)rom->parse_error.offset));
		put(pe, "message", string_or_null(rom->parse_error.message));
	}
	put(o, "parse_error", pe);
	return o;
}

static json_object *write_files(const struct host_files *files)
{
	json_object *o = new_object();
	put(o, "dirs", string_list(files->dirs, files->dir_count));
	json_object *items = new_array();
	for (size_t i = 0; i < files->count; i++) {
		const struct host_file *f = &files->items[i];
		json_object *it = new_object();
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", f->mode);
		put(it, "path", string_or_null(f->path));
		put(it, "error", errno_name(f->error));
		put(it, "mode", string_or_null(mode));
		put(it, "regular", boolean(f->regular));
		put(it, "digest", f->digest[0] ? string_or_null(f->digest) : NULL);
		put(it, "rom", f->is_rom ? write_rom(&f->rom) : NULL);
		push(items, it);
	}
	put(o, "items", items);
	return o;
}

static json_object *write_document(const struct host *h)
{
	json_object *doc = new_object();
	put(doc, "schema", string_or_null(HOST_SNAPSHOT_SCHEMA));
	put(doc, "version", integer(HOST_SNAPSHOT_VERSION));
	put(doc, "node", string_or_null(h->hostname));
	json_object *origin = new_object();
	put(origin, "taken", integer(h->origin.taken));
	put(origin, "kernel_release", string_or_null(h->origin.kernel_release));
	put(origin, "boot_time", integer(h->origin.boot_time));
	put(origin, "pcipt_version", string_or_null(h->origin.pcipt_version));
	put(doc, "origin", origin);
	put(doc, "pci", write_pci(&h->pci));
	put(doc, "iommu", write_iommu(&h->iommu));
	put(doc, "modules", write_modules(&h->modules));
	put(doc, "boot", write_boot(&h->boot));
	put(doc, "iomem", write_iomem(&h->iomem));
	put(doc, "uses", write_uses(&h->uses));
	put(doc, "runstate", write_runstate(&h->runstate));
	put(doc, "files", write_files(&h->files));
	return doc;
}

int host_snapshot_write(const struct host *h, char **ret_text, size_t *ret_size,
			struct pcipt_error *err)
{
	json_object *doc = write_document(h);
	size_t len;
	const char *json = json_object_to_json_string_length(doc, SNAPSHOT_JSON_FLAGS, &len);
	if (!json)
		abort();
	size_t size = len + 1; /* the newline */
	if (size > HOST_SNAPSHOT_MAX_SIZE) {
		json_object_put(doc);
		return error_set(
			err, -EFBIG,
			"the snapshot would be %zu bytes, more than the %d a snapshot may have",
			size, HOST_SNAPSHOT_MAX_SIZE);
	}
	char *text = xmalloc(size + 1);
	memcpy(text, json, len);
	text[len] = '\n';
	text[size] = '\0';
	json_object_put(doc);
	/* what is handed out must read back on every node */
	struct host back;
	int r = host_snapshot_read(text, size, &back, err);
	if (r < 0) {
		free(text);
		error_prefix(err, "the snapshot would not read back: ");
		return r;
	}
	host_free(&back);
	*ret_text = text;
	*ret_size = size;
	return 0;
}

/* --- reading ------------------------------------------------------------------------------- */

#define PATH_SIZE 160 /* a JSON path in a message: "files.items[4095].rom.images[15].efi.machine" */

/* A path too long for the buffer (none of this schema's is) ends in "..." */
static void path_cut(char path[PATH_SIZE], int n)
{
	if (n < 0 || n >= PATH_SIZE)
		memcpy(path + PATH_SIZE - 4, "...", 4);
}

static void member_path(char path[PATH_SIZE], const char *at, const char *key)
{
	path_cut(path, snprintf(path, PATH_SIZE, "%s%s%s", at, at[0] ? "." : "", key));
}

static void element_path(char path[PATH_SIZE], const char *at, const char *key, size_t i)
{
	path_cut(path, snprintf(path, PATH_SIZE, "%s%s%s[%zu]", at, at[0] ? "." : "", key, i));
}

static int bad(struct pcipt_error *err, int code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(struct pcipt_error *err, int code, const char *path, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return error_set(err, code, "%s: %s", path, what);
}

/* The member key of the object o, of type type; NULL for JSON null when null_ok.  path gets
 * its JSON path. */
static int member(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		  json_type type, bool null_ok, const char *expected, char path[PATH_SIZE],
		  json_object **ret)
{
	member_path(path, at, key);
	json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return bad(err, -EINVAL, path, "missing (expected %s)", expected);
	if (!v && null_ok) {
		*ret = NULL;
		return 0;
	}
	if (!v || !json_object_is_type(v, type))
		return bad(err, -EINVAL, path, "expected %s", expected);
	if (type == json_type_string &&
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return bad(err, -EINVAL, path, "contains a NUL character");
	*ret = v;
	return 0;
}

/* A JSON string as a C string: no NUL inside, at most max bytes. */
static int string_value(struct pcipt_error *err, json_object *v, const char *path, size_t max,
			const char **ret)
{
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len)
		return bad(err, -EINVAL, path, "contains a NUL character");
	if (len > max)
		return bad(err, -EINVAL, path, "longer than %zu bytes", max);
	*ret = s;
	return 0;
}

/* A string member (NULL for null when null_ok), not copied: valid while the document is. */
static int get_text(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		    bool null_ok, size_t max, const char **ret)
{
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_string, null_ok,
		       null_ok ? "a string or null" : "a string", path, &v);
	if (r < 0)
		return r;
	if (!v) {
		*ret = NULL;
		return 0;
	}
	return string_value(err, v, path, max, ret);
}

/* A string member copied (malloc'd; NULL for null when null_ok). */
static int get_string(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		      bool null_ok, char **ret)
{
	const char *s;
	int r = get_text(err, o, at, key, null_ok, HOST_SNAPSHOT_MAX_STRING, &s);
	if (r < 0)
		return r;
	*ret = s ? xstrdup(s) : NULL;
	return 0;
}

/* A string member into a fixed buffer of size bytes. */
static int get_string_into(struct pcipt_error *err, json_object *o, const char *at, const char *key,
			   char *buf, size_t size)
{
	const char *s;
	int r = get_text(err, o, at, key, false, size - 1, &s);
	if (r < 0)
		return r;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int get_bool(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		    bool *ret)
{
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_boolean, false, "true or false", path, &v);
	if (r < 0)
		return r;
	*ret = json_object_get_boolean(v);
	return 0;
}

static int get_tristate(struct pcipt_error *err, json_object *o, const char *at, const char *key,
			enum host_tristate *ret)
{
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_boolean, true, "true, false or null", path, &v);
	if (r < 0)
		return r;
	*ret = !v ? HOST_UNKNOWN : json_object_get_boolean(v) ? HOST_YES : HOST_NO;
	return 0;
}

/* An integer member from min to max; null gives null_value when null_ok. */
static int get_integer(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		       long long min, long long max, bool null_ok, long long null_value,
		       long long *ret)
{
	char path[PATH_SIZE];
	char expected[96];
	snprintf(expected, sizeof(expected), "%san integer from %lld to %lld",
		 null_ok ? "null or " : "", min, max);
	json_object *v;
	int r = member(err, o, at, key, json_type_int, null_ok, expected, path, &v);
	if (r < 0)
		return r;
	if (!v) {
		*ret = null_value;
		return 0;
	}
	int64_t n = json_object_get_int64(v);
	if (n < min || n > max)
		return bad(err, -EINVAL, path, "expected %s", expected);
	*ret = n;
	return 0;
}

static int get_int(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		   long long min, long long max, int *ret)
{
	long long v;
	int r = get_integer(err, o, at, key, min, max, false, 0, &v);
	if (r == 0)
		*ret = (int)v;
	return r;
}

/* null as -1, the struct's "absent" */
static int get_int_or_absent(struct pcipt_error *err, json_object *o, const char *at,
			     const char *key, long long max, int *ret)
{
	long long v;
	int r = get_integer(err, o, at, key, 0, max, true, -1, &v);
	if (r == 0)
		*ret = (int)v;
	return r;
}

static int get_unsigned(struct pcipt_error *err, json_object *o, const char *at, const char *key,
			long long max, unsigned *ret)
{
	long long v;
	int r = get_integer(err, o, at, key, 0, max, false, 0, &v);
	if (r == 0)
		*ret = (unsigned)v;
	return r;
}

static int get_size(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		    long long max, size_t *ret)
{
	long long v;
	int r = get_integer(err, o, at, key, 0, max, false, 0, &v);
	if (r == 0)
		*ret = (size_t)v;
	return r;
}

static bool all_hex(const char *s, size_t len)
{
	return strspn(s, "0123456789abcdef") == len;
}

/* "0x" and 1 to 16 lowercase hex digits; null allowed when ret_null is given. */
static int get_hex64(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		     bool *ret_null, unsigned long long *ret)
{
	static const char expected[] = "a hex string such as \"0xfee00000\"";
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_string, ret_null != NULL,
		       ret_null ? "a hex string such as \"0xfee00000\" or null" : expected, path,
		       &v);
	if (r < 0)
		return r;
	if (ret_null)
		*ret_null = !v;
	if (!v) {
		*ret = 0;
		return 0;
	}
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x' || !all_hex(s + 2, len - 2))
		return bad(err, -EINVAL, path, "expected %s", expected);
	*ret = strtoull(s + 2, NULL, 16);
	return 0;
}

/* exactly digits lowercase hex digits */
static int get_hex_id(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		      int digits, unsigned *ret)
{
	char path[PATH_SIZE], expected[48];
	snprintf(expected, sizeof(expected), "%d lowercase hex digits", digits);
	json_object *v;
	int r = member(err, o, at, key, json_type_string, false, expected, path, &v);
	if (r < 0)
		return r;
	const char *s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != (size_t)digits || !all_hex(s, (size_t)digits))
		return bad(err, -EINVAL, path, "expected %s", expected);
	*ret = (unsigned)strtoul(s, NULL, 16);
	return 0;
}

/* One of words (table index in *ret). */
static int get_word(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		    const char *const *words, size_t count, unsigned *ret)
{
	char expected[160] = "one of";
	for (size_t i = 0; i < count; i++) {
		size_t used = strlen(expected);
		snprintf(expected + used, sizeof(expected) - used, "%s \"%s\"", i ? "," : "",
			 words[i]);
	}
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_string, false, expected, path, &v);
	if (r < 0)
		return r;
	const char *s = json_object_get_string(v);
	for (size_t i = 0; i < count; i++) {
		if (strcmp(s, words[i]) == 0) {
			*ret = (unsigned)i;
			return 0;
		}
	}
	return bad(err, -EINVAL, path, "expected %s", expected);
}

/* An errno name as the writer writes it ("ENOENT", or "E<number>") as -errno; null as 0. */
static int get_errno(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		     bool null_ok, int *ret)
{
	static const char expected[] = "an errno name such as \"ENOENT\"";
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_string, null_ok,
		       null_ok ? "an errno name such as \"ENOENT\" or null" : expected, path, &v);
	if (r < 0)
		return r;
	if (!v) {
		*ret = 0;
		return 0;
	}
	const char *s = json_object_get_string(v);
	for (int e = 1; e < 256; e++) {
		const char *name = errno_known_name(e);
		if (name && strcmp(name, s) == 0) {
			*ret = -e;
			return 0;
		}
	}
	/* "E<number>": what the writer gives an errno without a name */
	size_t digits = s[0] == 'E' ? strspn(s + 1, "0123456789") : 0;
	if (digits > 0 && digits <= 4 && s[1] != '0' && !s[1 + digits]) {
		int e = atoi(s + 1);
		if (e < 4096 && !errno_known_name(e)) {
			*ret = -e;
			return 0;
		}
	}
	return bad(err, -EINVAL, path, "expected %s", expected);
}

/* An array member of at most max entries (-E2BIG past it). */
static int get_array(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		     size_t max, json_object **ret, size_t *ret_count)
{
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, key, json_type_array, false, "an array", path, &v);
	if (r < 0)
		return r;
	size_t n = json_object_array_length(v);
	if (n > max)
		return bad(err, -E2BIG, path, "%zu entries, more than the %zu pcipt reads", n, max);
	*ret = v;
	*ret_count = n;
	return 0;
}

static int get_object(struct pcipt_error *err, json_object *o, const char *at, const char *key,
		      bool null_ok, json_object **ret)
{
	char path[PATH_SIZE];
	return member(err, o, at, key, json_type_object, null_ok,
		      null_ok ? "an object or null" : "an object", path, ret);
}

/* Entry i of an array member key, an object; at gets its path. */
static int element_object(struct pcipt_error *err, json_object *array, const char *parent,
			  const char *key, size_t i, char at[PATH_SIZE], json_object **ret)
{
	element_path(at, parent, key, i);
	json_object *v = json_object_array_get_idx(array, i);
	if (!v || !json_object_is_type(v, json_type_object))
		return bad(err, -EINVAL, at, "expected an object");
	*ret = v;
	return 0;
}

/* A lowercase sysfs PCI address: "0000:01:00.0". */
static bool pci_address_ok(const char *s)
{
	return strlen(s) <= HOST_PCI_ADDRESS_MAX && host_is_pci_address(s);
}

enum list_order { ANY_ORDER, SORTED, SORTED_ONCE };

/* An array of strings into *ret (malloc'd, each malloc'd), each a PCI address when
 * addresses.  *ret and *ret_count are set before the first entry is read, so what was read
 * is freed with the rest of the host on failure. */
static int get_string_list(struct pcipt_error *err, json_object *o, const char *at, const char *key,
			   size_t max, bool addresses, enum list_order order, char ***ret,
			   size_t *ret_count)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, at, key, max, &array, &n);
	if (r < 0 || n == 0)
		return r;
	char **items = xcalloc(n, sizeof(*items));
	*ret = items;
	*ret_count = n;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_SIZE];
		element_path(path, at, key, i);
		json_object *v = json_object_array_get_idx(array, i);
		const char *s;
		if (!v || !json_object_is_type(v, json_type_string))
			return bad(err, -EINVAL, path, "expected a string");
		if ((r = string_value(err, v, path, HOST_SNAPSHOT_MAX_STRING, &s)) < 0)
			return r;
		if (addresses && !pci_address_ok(s))
			return bad(err, -EINVAL, path,
				   "expected a PCI address such as \"0000:01:00.0\"");
		if (i > 0 && order != ANY_ORDER) {
			int c = strcmp(items[i - 1], s);
			if (c > 0 || (c == 0 && order == SORTED_ONCE))
				return bad(err, -EINVAL, path,
					   "out of order: the list must be sorted%s",
					   order == SORTED_ONCE ? ", each entry once" : "");
		}
		items[i] = xstrdup(s);
	}
	return 0;
}

/* --- the sections ---------------------------------------------------------------------------- */

static int read_bars(struct pcipt_error *err, json_object *o, const char *at,
		     struct host_pci_bar bars[6])
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, at, "bars", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0)
		return r;
	if (n != 6)
		return error_set(err, -EINVAL, "%s.bars: expected 6 entries, not %zu", at, n);
	for (size_t i = 0; i < 6; i++) {
		char path[PATH_SIZE];
		element_path(path, at, "bars", i);
		json_object *b = json_object_array_get_idx(array, i);
		if (!b) {
			bars[i] = (struct host_pci_bar){.memory = true};
			continue;
		}
		if (!json_object_is_type(b, json_type_object))
			return bad(err, -EINVAL, path, "expected an object or null");
		if ((r = get_hex64(err, b, path, "start", NULL, &bars[i].start)) < 0 ||
		    (r = get_hex64(err, b, path, "size", NULL, &bars[i].size)) < 0 ||
		    (r = get_bool(err, b, path, "memory", &bars[i].memory)) < 0)
			return r;
	}
	return 0;
}

static int read_device(struct pcipt_error *err, json_object *o, const char *at,
		       struct host_pci_device *d)
{
	char path[PATH_SIZE];
	member_path(path, at, "address");
	int r = get_string_into(err, o, at, "address", d->address, sizeof(d->address));
	if (r < 0)
		return r;
	struct pci_addr a;
	char canonical[HOST_PCI_ADDRESS_MAX + 1];
	if (!pci_addr_parse(d->address, strlen(d->address), PCI_ADDR_SYSFS, &a))
		return bad(err, -EINVAL, path, "expected a PCI address such as \"0000:01:00.0\"");
	/* the kernel's name for it, so the numbers below are the address's */
	snprintf(canonical, sizeof(canonical), "%04x:%02x:%02x.%u", (unsigned)a.domain, a.bus,
		 a.device, (unsigned)a.function);
	if (strcmp(canonical, d->address) != 0 || a.device > 0x1f)
		return bad(err, -EINVAL, path, "\"%s\" is not how the kernel names a device",
			   d->address);
	d->domain = a.domain;
	d->bus = a.bus;
	d->slot = a.device;
	d->function = (unsigned)a.function;
	long long pcie_type;
	if ((r = get_hex_id(err, o, at, "vendor", 4, &d->vendor)) < 0 ||
	    (r = get_hex_id(err, o, at, "device", 4, &d->device)) < 0 ||
	    (r = get_hex_id(err, o, at, "subsystem_vendor", 4, &d->subsystem_vendor)) < 0 ||
	    (r = get_hex_id(err, o, at, "subsystem_device", 4, &d->subsystem_device)) < 0 ||
	    (r = get_hex_id(err, o, at, "class", 6, &d->class_code)) < 0 ||
	    (r = get_hex_id(err, o, at, "revision", 2, &d->revision)) < 0 ||
	    (r = get_unsigned(err, o, at, "header_type", 0x7f, &d->header_type)) < 0 ||
	    (r = get_bool(err, o, at, "is_bridge", &d->is_bridge)) < 0 ||
	    (r = get_string(err, o, at, "driver", true, &d->driver)) < 0 ||
	    (r = get_int_or_absent(err, o, at, "iommu_group", SNAPSHOT_MAX_IOMMU_GROUP,
				   &d->iommu_group)) < 0 ||
	    (r = get_int_or_absent(err, o, at, "boot_vga", 1000000, &d->boot_vga)) < 0 ||
	    (r = get_bool(err, o, at, "has_reset", &d->has_reset)) < 0 ||
	    (r = get_string(err, o, at, "reset_method", true, &d->reset_method)) < 0 ||
	    (r = get_string(err, o, at, "power_state", true, &d->power_state)) < 0 ||
	    (r = get_int_or_absent(err, o, at, "d3cold_allowed", 1000000, &d->d3cold_allowed)) <
		    0 ||
	    (r = get_int_or_absent(err, o, at, "sriov_totalvfs", 1000000, &d->sriov_totalvfs)) <
		    0 ||
	    (r = get_int_or_absent(err, o, at, "sriov_numvfs", 1000000, &d->sriov_numvfs)) < 0 ||
	    (r = get_int(err, o, at, "config_size", 0, 4096, &d->config_size)) < 0 ||
	    (r = get_integer(err, o, at, "pcie_type", HOST_PCIE_NONE, 15, true, HOST_PCIE_UNKNOWN,
			     &pcie_type)) < 0 ||
	    (r = get_tristate(err, o, at, "acs", &d->acs)) < 0 ||
	    (r = get_tristate(err, o, at, "sriov", &d->sriov)) < 0)
		return r;
	d->pcie_type = (int)pcie_type;
	return read_bars(err, o, at, d->bars);
}

static int read_pci(struct pcipt_error *err, json_object *doc, struct host_pci *pci)
{
	json_object *o, *array;
	size_t n;
	int r = get_object(err, doc, "", "pci", false, &o);
	if (r < 0 ||
	    (r = get_array(err, o, "pci", "devices", HOST_MAX_PCI_DEVICES, &array, &n)) < 0)
		return r;
	if (n) {
		pci->devices = xcalloc(n, sizeof(*pci->devices));
		pci->count = n;
	}
	for (size_t i = 0; i < n; i++) {
		char at[PATH_SIZE];
		json_object *d;
		if ((r = element_object(err, array, "pci", "devices", i, at, &d)) < 0 ||
		    (r = read_device(err, d, at, &pci->devices[i])) < 0)
			return r;
		if (i > 0 && strcmp(pci->devices[i - 1].address, pci->devices[i].address) >= 0)
			return error_set(err, -EINVAL,
					 "%s.address: out of order: devices must be sorted by "
					 "address, each once",
					 at);
	}
	return get_string_list(err, o, "pci", "warnings", SNAPSHOT_MAX_PCI_WARNINGS, false,
			       ANY_ORDER, &pci->warnings, &pci->warning_count);
}

static int read_units(struct pcipt_error *err, json_object *o, struct host_iommu *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "iommu", "units", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->units = xcalloc(n, sizeof(*m->units));
	m->unit_count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_iommu_unit *u = &m->units[i];
		char at[PATH_SIZE];
		json_object *e;
		unsigned vendor;
		bool no_ecap;
		if ((r = element_object(err, array, "iommu", "units", i, at, &e)) < 0 ||
		    (r = get_string(err, e, at, "name", false, &u->name)) < 0 ||
		    (r = get_word(err, e, at, "vendor", WORDS(iommu_vendor_words), &vendor)) < 0 ||
		    (r = get_hex64(err, e, at, "cap", NULL, &u->cap)) < 0 ||
		    (r = get_hex64(err, e, at, "ecap", &no_ecap, &u->ecap)) < 0)
			return r;
		u->vendor = (enum host_iommu_vendor)vendor;
		u->has_ecap = !no_ecap;
	}
	return 0;
}

static int read_regions(struct pcipt_error *err, json_object *o, const char *at,
			struct host_iommu_group *g)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, at, "regions", HOST_MAX_GROUP_REGIONS, &array, &n);
	if (r < 0 || n == 0)
		return r;
	g->regions = xcalloc(n, sizeof(*g->regions));
	g->region_count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_region *reg = &g->regions[i];
		char rat[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, at, "regions", i, rat, &e)) < 0 ||
		    (r = get_hex64(err, e, rat, "start", NULL, &reg->start)) < 0 ||
		    (r = get_hex64(err, e, rat, "end", NULL, &reg->end)) < 0 ||
		    (r = get_string_into(err, e, rat, "type", reg->type, sizeof(reg->type))) < 0)
			return r;
	}
	return 0;
}

static int read_groups(struct pcipt_error *err, json_object *o, struct host_iommu *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "iommu", "groups", HOST_MAX_IOMMU_GROUPS, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->groups = xcalloc(n, sizeof(*m->groups));
	m->group_count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_iommu_group *g = &m->groups[i];
		char at[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, "iommu", "groups", i, at, &e)) < 0 ||
		    (r = get_int(err, e, at, "number", 0, SNAPSHOT_MAX_IOMMU_GROUP, &g->number)) <
			    0)
			return r;
		if (i > 0 && g[-1].number >= g->number)
			return error_set(
				err, -EINVAL,
				"%s.number: out of order: groups must be sorted by number, "
				"each once",
				at);
		if ((r = get_string_list(err, e, at, "devices", SNAPSHOT_MAX_LIST, true,
					 SORTED_ONCE, &g->devices, &g->device_count)) < 0 ||
		    (r = get_bool(err, e, at, "regions_known", &g->regions_known)) < 0 ||
		    (r = read_regions(err, e, at, g)) < 0)
			return r;
	}
	return 0;
}

static int read_iommu(struct pcipt_error *err, json_object *doc, struct host_iommu *m)
{
	json_object *o;
	unsigned cpu;
	int r;
	if ((r = get_object(err, doc, "", "iommu", false, &o)) < 0 ||
	    (r = read_units(err, o, m)) < 0 ||
	    (r = get_bool(err, o, "iommu", "acpi_dmar", &m->acpi_dmar)) < 0 ||
	    (r = get_bool(err, o, "iommu", "acpi_ivrs", &m->acpi_ivrs)) < 0 ||
	    (r = get_tristate(err, o, "iommu", "remapped_irq_chips", &m->remapped_irq_chips)) < 0 ||
	    (r = get_word(err, o, "iommu", "cpu", WORDS(cpu_vendor_words), &cpu)) < 0 ||
	    (r = read_groups(err, o, m)) < 0)
		return r;
	m->cpu = (enum host_cpu_vendor)cpu;
	return get_string_list(err, o, "iommu", "problems", SNAPSHOT_MAX_LIST, false, ANY_ORDER,
			       &m->problems, &m->problem_count);
}

static int read_listed(struct pcipt_error *err, json_object *o, struct host_modules *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "modules", "listed", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->listed = xcalloc(n, sizeof(*m->listed));
	m->listed_count = n;
	for (size_t i = 0; i < n; i++) {
		struct module_listing *l = &m->listed[i];
		char at[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, "modules", "listed", i, at, &e)) < 0 ||
		    (r = get_string(err, e, at, "module", false, &l->module)) < 0 ||
		    (r = get_string(err, e, at, "file", false, &l->file)) < 0 ||
		    (r = get_unsigned(err, e, at, "line", UINT32_MAX, &l->line)) < 0)
			return r;
	}
	return 0;
}

static int read_statements(struct pcipt_error *err, json_object *o, struct host_modules *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "modules", "statements", MODPROBE_MAX_STATEMENTS, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->statements = xcalloc(n, sizeof(*m->statements));
	m->statement_count = n;
	for (size_t i = 0; i < n; i++) {
		struct modprobe_statement *s = &m->statements[i];
		char at[PATH_SIZE];
		json_object *e;
		unsigned kind;
		if ((r = element_object(err, array, "modules", "statements", i, at, &e)) < 0 ||
		    (r = get_word(err, e, at, "kind", WORDS(statement_kind_words), &kind)) < 0 ||
		    (r = get_string(err, e, at, "module", false, &s->module)) < 0 ||
		    (r = get_string_list(err, e, at, "words", SNAPSHOT_MAX_LIST, false, ANY_ORDER,
					 &s->words, &s->word_count)) < 0 ||
		    (r = get_string(err, e, at, "file", false, &s->file)) < 0 ||
		    (r = get_unsigned(err, e, at, "line", UINT32_MAX, &s->line)) < 0)
			return r;
		s->kind = (enum modprobe_kind)kind;
	}
	return 0;
}

static int read_module_problems(struct pcipt_error *err, json_object *o, struct host_modules *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "modules", "problems", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->problems = xcalloc(n, sizeof(*m->problems));
	m->problem_count = n;
	for (size_t i = 0; i < n; i++) {
		struct modules_problem *p = &m->problems[i];
		char at[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, "modules", "problems", i, at, &e)) < 0 ||
		    (r = get_string(err, e, at, "file", false, &p->file)) < 0 ||
		    (r = get_unsigned(err, e, at, "line", UINT32_MAX, &p->line)) < 0 ||
		    (r = get_string(err, e, at, "message", false, &p->message)) < 0)
			return r;
	}
	return 0;
}

static int read_params(struct pcipt_error *err, json_object *o, struct host_modules *m)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "modules", "params", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	m->params = xcalloc(n, sizeof(*m->params));
	m->param_count = n;
	for (size_t i = 0; i < n; i++) {
		struct module_param *p = &m->params[i];
		char at[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, "modules", "params", i, at, &e)) < 0 ||
		    (r = get_string(err, e, at, "module", false, &p->module)) < 0 ||
		    (r = get_string(err, e, at, "param", false, &p->param)) < 0 ||
		    (r = get_string(err, e, at, "value", false, &p->value)) < 0)
			return r;
		if (i > 0) {
			int c = strcmp(p[-1].module, p->module);
			if (c > 0 || (c == 0 && strcmp(p[-1].param, p->param) > 0))
				return error_set(
					err, -EINVAL,
					"%s: out of order: params must be sorted by module "
					"and param",
					at);
		}
	}
	return 0;
}

static int read_modules(struct pcipt_error *err, json_object *doc, struct host_modules *m)
{
	json_object *o;
	int r;
	if ((r = get_object(err, doc, "", "modules", false, &o)) < 0 ||
	    (r = get_string_list(err, o, "modules", "loaded", SNAPSHOT_MAX_LIST, false, SORTED,
				 &m->loaded, &m->loaded_count)) < 0 ||
	    (r = read_listed(err, o, m)) < 0 || (r = read_statements(err, o, m)) < 0 ||
	    (r = read_module_problems(err, o, m)) < 0)
		return r;
	return read_params(err, o, m);
}

static int read_cmdline(struct pcipt_error *err, json_object *o, const char *key, struct cmdline *c)
{
	char at[PATH_SIZE];
	member_path(at, "boot", key);
	json_object *e;
	int r;
	if ((r = get_object(err, o, "boot", key, false, &e)) < 0 ||
	    (r = get_string_list(err, e, at, "words", SNAPSHOT_MAX_LIST, false, ANY_ORDER,
				 &c->words, &c->count)) < 0)
		return r;
	return get_unsigned(err, e, at, "line", UINT32_MAX, &c->line);
}

/* next_file and apply must be what the loader implies; ret's are the static strings. */
static int check_boot_static(struct pcipt_error *err, json_object *o, const char *key,
			     const char *want, const char **ret)
{
	const char *s;
	int r = get_text(err, o, "boot", key, false, HOST_SNAPSHOT_MAX_STRING, &s);
	if (r < 0)
		return r;
	if (strcmp(s, want) != 0)
		return error_set(err, -EINVAL, "boot.%s: expected \"%s\" for this loader", key,
				 want);
	*ret = want;
	return 0;
}

static int read_boot(struct pcipt_error *err, json_object *doc, struct host_boot *b)
{
	json_object *o;
	unsigned loader;
	int r;
	if ((r = get_object(err, doc, "", "boot", false, &o)) < 0 ||
	    (r = get_word(err, o, "boot", "loader", WORDS(bootloader_words), &loader)) < 0 ||
	    (r = get_bool(err, o, "boot", "proxmox_boot_tool", &b->proxmox_boot_tool)) < 0)
		return r;
	b->loader = (enum host_bootloader)loader;
	const char *next_file, *apply;
	boot_statics(b->loader, b->proxmox_boot_tool, &next_file, &apply);
	if ((r = check_boot_static(err, o, "next_file", next_file, &b->next_file)) < 0 ||
	    (r = check_boot_static(err, o, "apply", apply, &b->apply)) < 0 ||
	    (r = get_bool(err, o, "boot", "have_running", &b->have_running)) < 0 ||
	    (r = get_errno(err, o, "boot", "running_error", true, &b->running_error)) < 0 ||
	    (r = read_cmdline(err, o, "running", &b->running)) < 0 ||
	    (r = get_bool(err, o, "boot", "have_next", &b->have_next)) < 0)
		return r;
	return read_cmdline(err, o, "next", &b->next);
}

static int read_iomem(struct pcipt_error *err, json_object *doc, struct host_iomem *m)
{
	json_object *o, *array;
	size_t n;
	int r;
	if ((r = get_object(err, doc, "", "iomem", false, &o)) < 0 ||
	    (r = get_bool(err, o, "iomem", "readable", &m->readable)) < 0 ||
	    (r = get_array(err, o, "iomem", "framebuffers", SNAPSHOT_MAX_LIST, &array, &n)) < 0 ||
	    n == 0)
		return r;
	m->framebuffers = xcalloc(n, sizeof(*m->framebuffers));
	m->count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_framebuffer *fb = &m->framebuffers[i];
		char at[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, "iomem", "framebuffers", i, at, &e)) < 0 ||
		    (r = get_hex64(err, e, at, "start", NULL, &fb->start)) < 0 ||
		    (r = get_hex64(err, e, at, "end", NULL, &fb->end)) < 0 ||
		    (r = get_string_into(err, e, at, "name", fb->name, sizeof(fb->name))) < 0 ||
		    (r = get_unsigned(err, e, at, "line", UINT32_MAX, &fb->line)) < 0)
			return r;
	}
	return 0;
}

/* A fixed-size address member that must be a sysfs PCI address. */
static int get_address(struct pcipt_error *err, json_object *o, const char *at, char *buf,
		       size_t size)
{
	char path[PATH_SIZE];
	member_path(path, at, "address");
	const char *s;
	int r = get_text(err, o, at, "address", false, HOST_SNAPSHOT_MAX_STRING, &s);
	if (r < 0)
		return r;
	if (strlen(s) >= size || !pci_address_ok(s))
		return bad(err, -EINVAL, path, "expected a PCI address such as \"0000:01:00.0\"");
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int read_uses(struct pcipt_error *err, json_object *doc, struct host_uses *u)
{
	json_object *o, *array;
	size_t n;
	int r;
	if ((r = get_object(err, doc, "", "uses", false, &o)) < 0 ||
	    (r = get_array(err, o, "uses", "items", SNAPSHOT_MAX_LIST, &array, &n)) < 0 || n == 0)
		return r;
	u->items = xcalloc(n, sizeof(*u->items));
	u->count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_use *it = &u->items[i];
		char at[PATH_SIZE];
		json_object *e;
		unsigned kind;
		if ((r = element_object(err, array, "uses", "items", i, at, &e)) < 0 ||
		    (r = get_address(err, e, at, it->address, sizeof(it->address))) < 0 ||
		    (r = get_word(err, e, at, "kind", WORDS(use_kind_words), &kind)) < 0 ||
		    (r = get_string(err, e, at, "what", false, &it->what)) < 0)
			return r;
		it->kind = (enum host_use_kind)kind;
	}
	return 0;
}

static int read_reservations(struct pcipt_error *err, json_object *o, struct host_runstate *s)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "runstate", "reservations", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	s->reservations = xcalloc(n, sizeof(*s->reservations));
	s->reservation_count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_reservation *res = &s->reservations[i];
		char at[PATH_SIZE];
		json_object *e;
		long long vmid;
		if ((r = element_object(err, array, "runstate", "reservations", i, at, &e)) < 0 ||
		    (r = get_address(err, e, at, res->address, sizeof(res->address))) < 0 ||
		    (r = get_integer(err, e, at, "vmid", 0, SNAPSHOT_MAX_VMID, false, 0, &vmid)) <
			    0 ||
		    (r = get_bool(err, e, at, "by_pid", &res->by_pid)) < 0 ||
		    (r = get_integer(err, e, at, "value", 0, SNAPSHOT_MAX_VMID, false, 0,
				     &res->value)) < 0 ||
		    (r = get_bool(err, e, at, "live", &res->live)) < 0)
			return r;
		res->vmid = (long)vmid;
	}
	return 0;
}

static int read_vms(struct pcipt_error *err, json_object *o, struct host_runstate *s)
{
	json_object *array;
	size_t n;
	int r = get_array(err, o, "runstate", "vms", SNAPSHOT_MAX_LIST, &array, &n);
	if (r < 0 || n == 0)
		return r;
	s->vms = xcalloc(n, sizeof(*s->vms));
	s->vm_count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_running_vm *vm = &s->vms[i];
		char at[PATH_SIZE];
		json_object *e;
		long long vmid, pid;
		if ((r = element_object(err, array, "runstate", "vms", i, at, &e)) < 0 ||
		    (r = get_integer(err, e, at, "vmid", 0, SNAPSHOT_MAX_VMID, false, 0, &vmid)) <
			    0 ||
		    (r = get_integer(err, e, at, "pid", 1, SNAPSHOT_MAX_INT, false, 0, &pid)) < 0 ||
		    (r = get_string_list(err, e, at, "devices", SNAPSHOT_MAX_VM_DEVICES, true,
					 ANY_ORDER, &vm->devices, &vm->device_count)) < 0)
			return r;
		vm->vmid = (long)vmid;
		vm->pid = (long)pid;
	}
	return 0;
}

static int read_runstate(struct pcipt_error *err, json_object *doc, struct host_runstate *s)
{
	json_object *o;
	int r;
	if ((r = get_object(err, doc, "", "runstate", false, &o)) < 0 ||
	    (r = read_reservations(err, o, s)) < 0)
		return r;
	return read_vms(err, o, s);
}

/* The kind word as host_mode_kind()'s static string. */
static int get_rom_kind(struct pcipt_error *err, json_object *o, const char *at, const char **ret)
{
	char path[PATH_SIZE];
	json_object *v;
	static const char expected[] = "null or one of \"named_pipe\", \"socket\", \"device\", "
				       "\"directory\", \"not_regular\"";
	int r = member(err, o, at, "kind", json_type_string, true, expected, path, &v);
	if (r < 0)
		return r;
	*ret = NULL;
	if (!v)
		return 0;
	const char *s = json_object_get_string(v);
	for (size_t i = 0; i < sizeof(rom_kinds) / sizeof(rom_kinds[0]); i++) {
		if (strcmp(s, rom_kinds[i].word) == 0) {
			*ret = host_mode_kind(rom_kinds[i].mode);
			return 0;
		}
	}
	return bad(err, -EINVAL, path, "expected %s", expected);
}

static int read_image(struct pcipt_error *err, json_object *o, const char *at,
		      struct optionrom_image *im)
{
	json_object *efi;
	int r;
	if ((r = get_size(err, o, at, "offset", HOST_ROM_MAX_SIZE, &im->offset)) < 0 ||
	    (r = get_size(err, o, at, "length", HOST_ROM_MAX_SIZE, &im->length)) < 0 ||
	    (r = get_hex_id(err, o, at, "vendor", 4, &im->vendor)) < 0 ||
	    (r = get_hex_id(err, o, at, "device", 4, &im->device)) < 0 ||
	    (r = get_hex_id(err, o, at, "class", 6, &im->class_code)) < 0 ||
	    (r = get_unsigned(err, o, at, "pcir_revision", 0xff, &im->pcir_revision)) < 0 ||
	    (r = get_unsigned(err, o, at, "code_type", 0xff, &im->code_type)) < 0 ||
	    (r = get_bool(err, o, at, "last", &im->last)) < 0 ||
	    (r = get_object(err, o, at, "efi", true, &efi)) < 0 || !efi)
		return r;
	char eat[PATH_SIZE];
	member_path(eat, at, "efi");
	if ((r = get_bool(err, efi, eat, "signature_ok", &im->efi_signature_ok)) < 0 ||
	    (r = get_unsigned(err, efi, eat, "subsystem", 0xffff, &im->efi_subsystem)) < 0 ||
	    (r = get_hex_id(err, efi, eat, "machine", 4, &im->efi_machine)) < 0)
		return r;
	return get_unsigned(err, efi, eat, "compression", 0xffff, &im->efi_compression);
}

static int read_parse_error(struct pcipt_error *err, json_object *o, const char *at,
			    struct pcipt_error *pe)
{
	json_object *e;
	int r = get_object(err, o, at, "parse_error", true, &e);
	if (r < 0 || !e)
		return r;
	char eat[PATH_SIZE];
	member_path(eat, at, "parse_error");
	if ((r = get_errno(err, e, eat, "code", false, &pe->code)) < 0 ||
	    (r = get_size(err, e, eat, "offset", HOST_ROM_MAX_SIZE, &pe->offset)) < 0)
		return r;
	return get_string_into(err, e, eat, "message", pe->message, sizeof(pe->message));
}

static int read_rom(struct pcipt_error *err, json_object *o, const char *at, struct host_rom *rom)
{
	json_object *array;
	size_t n;
	int r;
	if ((r = get_errno(err, o, at, "read_error", true, &rom->read_error)) < 0 ||
	    (r = get_rom_kind(err, o, at, &rom->kind)) < 0 ||
	    (r = get_size(err, o, at, "size", HOST_ROM_MAX_SIZE, &rom->size)) < 0 ||
	    (r = get_bool(err, o, at, "parsed", &rom->parsed)) < 0 ||
	    (r = get_array(err, o, at, "images", OPTIONROM_MAX_IMAGES, &array, &n)) < 0)
		return r;
	rom->rom.count = n;
	for (size_t i = 0; i < n; i++) {
		char iat[PATH_SIZE];
		json_object *e;
		if ((r = element_object(err, array, at, "images", i, iat, &e)) < 0 ||
		    (r = read_image(err, e, iat, &rom->rom.images[i])) < 0)
			return r;
	}
	return read_parse_error(err, o, at, &rom->parse_error);
}

/* "0644": the permission bits, 4 octal digits */
static int get_mode(struct pcipt_error *err, json_object *o, const char *at, unsigned *ret)
{
	static const char expected[] = "4 octal digits such as \"0644\"";
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, "mode", json_type_string, false, expected, path, &v);
	if (r < 0)
		return r;
	const char *s = json_object_get_string(v);
	if (json_object_get_string_len(v) != 4 || strspn(s, "01234567") != 4)
		return bad(err, -EINVAL, path, "expected %s", expected);
	*ret = (unsigned)strtoul(s, NULL, 8);
	return 0;
}

static int get_digest(struct pcipt_error *err, json_object *o, const char *at, char digest[65])
{
	static const char expected[] = "64 lowercase hex digits (SHA-256) or null";
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, o, at, "digest", json_type_string, true, expected, path, &v);
	if (r < 0)
		return r;
	digest[0] = '\0';
	if (!v)
		return 0;
	const char *s = json_object_get_string(v);
	if (json_object_get_string_len(v) != 64 || !all_hex(s, 64))
		return bad(err, -EINVAL, path, "expected %s", expected);
	memcpy(digest, s, 65);
	return 0;
}

static int read_files(struct pcipt_error *err, json_object *doc, struct host_files *files)
{
	json_object *o, *array;
	size_t n;
	int r;
	if ((r = get_object(err, doc, "", "files", false, &o)) < 0 ||
	    (r = get_string_list(err, o, "files", "dirs", SNAPSHOT_MAX_LIST, false, SORTED_ONCE,
				 &files->dirs, &files->dir_count)) < 0 ||
	    (r = get_array(err, o, "files", "items", HOST_FILES_MAX, &array, &n)) < 0 || n == 0)
		return r;
	files->items = xcalloc(n, sizeof(*files->items));
	files->count = n;
	for (size_t i = 0; i < n; i++) {
		struct host_file *f = &files->items[i];
		char at[PATH_SIZE];
		json_object *e, *rom;
		if ((r = element_object(err, array, "files", "items", i, at, &e)) < 0 ||
		    (r = get_string(err, e, at, "path", false, &f->path)) < 0 ||
		    (r = get_errno(err, e, at, "error", true, &f->error)) < 0 ||
		    (r = get_mode(err, e, at, &f->mode)) < 0 ||
		    (r = get_bool(err, e, at, "regular", &f->regular)) < 0 ||
		    (r = get_digest(err, e, at, f->digest)) < 0 ||
		    (r = get_object(err, e, at, "rom", true, &rom)) < 0)
			return r;
		if (i > 0 && strcmp(f[-1].path, f->path) > 0)
			return error_set(err, -EINVAL,
					 "%s.path: out of order: files must be sorted by path", at);
		if (rom) {
			char rat[PATH_SIZE];
			member_path(rat, at, "rom");
			f->is_rom = true;
			if ((r = read_rom(err, rom, rat, &f->rom)) < 0)
				return r;
		}
	}
	return 0;
}

static int read_origin(struct pcipt_error *err, json_object *doc, struct host_origin *origin)
{
	json_object *o;
	int r;
	if ((r = get_object(err, doc, "", "origin", false, &o)) < 0 ||
	    (r = get_integer(err, o, "origin", "taken", 0, SNAPSHOT_MAX_INT, false, 0,
			     &origin->taken)) < 0 ||
	    (r = get_string(err, o, "origin", "kernel_release", true, &origin->kernel_release)) <
		    0 ||
	    (r = get_integer(err, o, "origin", "boot_time", 0, SNAPSHOT_MAX_INT, false, 0,
			     &origin->boot_time)) < 0)
		return r;
	return get_string(err, o, "origin", "pcipt_version", true, &origin->pcipt_version);
}

static int read_header(struct pcipt_error *err, json_object *doc)
{
	char path[PATH_SIZE];
	json_object *v;
	int r = member(err, doc, "", "schema", json_type_string, false,
		       "\"" HOST_SNAPSHOT_SCHEMA "\"", path, &v);
	if (r < 0 || strcmp(json_object_get_string(v), HOST_SNAPSHOT_SCHEMA) != 0)
		return error_set(err, -EINVAL,
				 "schema: not a pcipt host snapshot (expected \"%s\")",
				 HOST_SNAPSHOT_SCHEMA);
	r = member(err, doc, "", "version", json_type_int, false, "an integer", path, &v);
	if (r < 0)
		return r;
	int64_t version = json_object_get_int64(v);
	if (version != HOST_SNAPSHOT_VERSION)
		return error_set(err, -EINVAL,
				 "version: %lld, but this pcipt reads version %d snapshots",
				 (long long)version, HOST_SNAPSHOT_VERSION);
	return 0;
}

static int read_document(struct pcipt_error *err, json_object *doc, struct host *h)
{
	int r;
	if ((r = read_header(err, doc)) < 0 ||
	    (r = get_string(err, doc, "", "node", true, &h->hostname)) < 0 ||
	    (r = read_origin(err, doc, &h->origin)) < 0 || (r = read_pci(err, doc, &h->pci)) < 0 ||
	    (r = read_iommu(err, doc, &h->iommu)) < 0 ||
	    (r = read_modules(err, doc, &h->modules)) < 0 ||
	    (r = read_boot(err, doc, &h->boot)) < 0 || (r = read_iomem(err, doc, &h->iomem)) < 0 ||
	    (r = read_uses(err, doc, &h->uses)) < 0 ||
	    (r = read_runstate(err, doc, &h->runstate)) < 0)
		return r;
	return read_files(err, doc, &h->files);
}

/* The offset of a control character inside a string of a document json-c took, or size:
 * JSON wants them escaped (RFC 8259, section 7), json-c's strict mode lets them through. */
static size_t raw_control_character(const char *text, size_t size)
{
	bool in_string = false, escaped = false;
	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!in_string)
			in_string = c == '"';
		else if (c < 0x20)
			return i;
		else if (escaped)
			escaped = false;
		else if (c == '\\')
			escaped = true;
		else if (c == '"')
			in_string = false;
	}
	return size;
}

/* A syntax error at a byte offset, with its line and column. */
static int syntax_error(struct pcipt_error *err, const char *text, size_t offset, const char *what)
{
	unsigned line = 1, column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	return error_set_at(err, -EINVAL, line, column, "not a JSON document: %s (byte %zu)", what,
			    offset);
}

static int parse(const char *text, size_t size, json_object **ret, struct pcipt_error *err)
{
	if (size == 0) /* text may be NULL then */
		return error_set_at(err, -EINVAL, 1, 1, "not a JSON document: the file is empty");
	const char *nul = memchr(text, '\0', size);
	if (nul)
		return syntax_error(err, text, (size_t)(nul - text), "a NUL byte");
	json_tokener *tok = json_tokener_new_ex(HOST_SNAPSHOT_MAX_DEPTH);
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *doc = json_tokener_parse_ex(tok, text, (int)size);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!doc && jerr == json_tokener_continue) {
		/* the end of the input: a value with no end of its own (a number) ends here */
		doc = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = size;
	}
	json_tokener_free(tok);
	if (!doc && jerr == json_tokener_success)
		return syntax_error(err, text, end, "null at the top level");
	if (!doc &&
	    (jerr == json_tokener_continue || jerr == json_tokener_error_parse_eof || end >= size))
		return syntax_error(err, text, size, "the document ends early");
	if (!doc)
		return syntax_error(err, text, end, json_tokener_error_desc(jerr));
	size_t control = raw_control_character(text, size);
	if (control < size) {
		json_object_put(doc);
		return syntax_error(err, text, control, "a control character in a string");
	}
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return error_set_at(err, -EINVAL, 1, 1,
				    "not a pcipt host snapshot: not a JSON object");
	}
	*ret = doc;
	return 0;
}

int host_snapshot_read(const char *text, size_t size, struct host *ret, struct pcipt_error *err)
{
	if (size > HOST_SNAPSHOT_MAX_SIZE)
		return error_set(err, -EFBIG, "%zu bytes, more than the %d a snapshot may have",
				 size, HOST_SNAPSHOT_MAX_SIZE);
	json_object *doc = NULL;
	int r = parse(text, size, &doc, err);
	if (r < 0)
		return r;
	struct host h = {.origin.snapshot = true};
	r = read_document(err, doc, &h);
	json_object_put(doc);
	if (r < 0) {
		host_free(&h);
		return r;
	}
	*ret = h;
	return 0;
}

int host_snapshot_load(const struct rootfs *fs, const char *path, struct host *ret,
		       struct pcipt_error *err)
{
	char *text;
	size_t size;
	int r = rootfs_read(fs, path, 0, HOST_SNAPSHOT_MAX_SIZE, &text, &size);
	if (r == -EFBIG)
		return error_set(err, r, "larger than a snapshot may be (1 MiB)");
	if (r < 0)
		return error_set(err, r, "%s", strerror(-r));
	r = host_snapshot_read(text, size, ret, err);
	free(text);
	return r;
}
