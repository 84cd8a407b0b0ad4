/* validator/pins: the identity pins of a VM's raw hostpci addresses, their file, and the
 * device-identity check that compares them with the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../validator/checks.h"
#include "../../validator/pins.h"
#include "../../validator/vmdevices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGEST_A "6f2f5d0c3b9e7a8d1c4b2a0918273645564738291a0b0c0d0e0f101112131415"
#define DIGEST_B "0000000000000000000000000000000000000000000000000000000000000001"

static const char two_pins[] = "pcipt-identity 1\n"
			       "vmid 100\n"
			       "hostpci0 " DIGEST_A " 0000:01:00.0 10de:1b80 1458:3702 030000\n"
			       "hostpci3 " DIGEST_B " 0000:01:00.1 10de:10f0 1458:3702 040300\n";

static void make_two(struct pins *p)
{
	memset(p, 0, sizeof(*p));
	p->vmid = 100;
	p->count = 2;
	p->items[0] = (struct pin){
		0, DIGEST_A, "0000:01:00.0", {0x10de, 0x1b80, 0x1458, 0x3702, 0x030000}};
	p->items[1] = (struct pin){
		3, DIGEST_B, "0000:01:00.1", {0x10de, 0x10f0, 0x1458, 0x3702, 0x040300}};
}

static void assert_pins_equal(const struct pins *a, const struct pins *b)
{
	assert_int_equal(a->vmid, b->vmid);
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		assert_int_equal(a->items[i].hostpci, b->items[i].hostpci);
		assert_string_equal(a->items[i].line_digest, b->items[i].line_digest);
		assert_string_equal(a->items[i].address, b->items[i].address);
		assert_true(pin_identity_equal(&a->items[i].id, &b->items[i].id));
	}
}

static void format_and_parse_round_trip(void **state)
{
	(void)state;
	struct pins *p = malloc(sizeof(*p)), *back = malloc(sizeof(*back));
	make_two(p);
	char *text = pins_format(p);
	assert_string_equal(text, two_pins);
	struct pcipt_error err;
	assert_int_equal(pins_parse(text, strlen(text), 100, back, &err), 0);
	assert_pins_equal(p, back);
	free(text);
	/* no pin at all is a file too (pins_write removes it instead of writing it) */
	const char *empty = "pcipt-identity 1\nvmid 100\n";
	assert_int_equal(pins_parse(empty, strlen(empty), 100, back, &err), 0);
	assert_int_equal(back->count, 0);
	free(p);
	free(back);
}

/* Every text that is not exactly what pins_format writes is refused, with its line. */
static void hostile_files_are_refused_with_their_line(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		unsigned line;
		const char *says;
	} cases[] = {
		{"", 1, "not pcipt's identity pins"},
		{"pcipt-identity 2\nvmid 100\n", 1, "expected 'pcipt-identity 1'"},
		{"pcipt-ledger 1\nvmid 100\n", 1, "expected 'pcipt-identity 1'"},
		{"pcipt-identity 1", 1, "no line end"},
		{"pcipt-identity 1\nvmid 101\n", 2, "expected 'vmid 100'"},
		{"pcipt-identity 1\nvmid 100", 2, "no line end"},
		{"pcipt-identity 1\nvmid 0100\n", 2, "expected 'vmid 100'"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000",
		 3, "no line end"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10DE:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci16 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci01 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0  " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000 x\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\r\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 6f2f 0000:01:00.0 10de:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00 10de:1b80 1458:3702 030000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 03000\n",
		 3, "expected 'hostpciN"},
		{"pcipt-identity 1\nvmid 100\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\nhostpci0 " DIGEST_A
		 " 0000:01:00.0 10de:1b80 1458:3702 030000\n",
		 4, "pinned twice"},
		{"pcipt-identity 1\nvmid 100\nhost\0pci0\n", 3, "NUL byte"},
	};
	struct pins *p = malloc(sizeof(*p));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pcipt_error err;
		size_t size = strlen(cases[i].text);
		if (strstr(cases[i].says, "NUL")) /* the text runs on past its NUL */
			size += 1 + strlen(cases[i].text + size + 1);
		int r = pins_parse(cases[i].text, size, 100, p, &err);
		if (r != -EINVAL || err.line != cases[i].line ||
		    !strstr(err.message, cases[i].says))
			fail_msg("case %zu: %d line %u: %s", i, r, err.line, err.message);
	}
	free(p);
}

/* A line longer than any pin, and more pins than a VM can have, are refused, not cut. */
static void oversized_files_are_refused(void **state)
{
	(void)state;
	struct pins *p = malloc(sizeof(*p));
	struct pcipt_error err;
	size_t cap = 64 * 1024;
	char *text = calloc(1, cap);
	strcpy(text, "pcipt-identity 1\nvmid 100\nhostpci0 ");
	memset(text + strlen(text), 'a', 10000);
	strcat(text, "\n");
	assert_int_equal(pins_parse(text, strlen(text), 100, p, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, "too long"));
	strcpy(text, "pcipt-identity 1\nvmid 100\n");
	for (unsigned i = 0; i <= PINS_MAX; i++)
		snprintf(text + strlen(text), cap - strlen(text),
			 "hostpci%u " DIGEST_A " 0000:%02x:%02x.%u 10de:1b80 1458:3702 030000\n",
			 i % 16, i / 32, i % 32 / 8, i % 8);
	assert_int_equal(pins_parse(text, strlen(text), 100, p, &err), -EINVAL);
	assert_int_equal(err.line, PINS_MAX + 3);
	assert_non_null(strstr(err.message, "more than 256 pins"));
	free(text);
	free(p);
}

/* --- the file under a root ------------------------------------------------------------- */

struct tree {
	char dir[PATH_MAX];
	struct rootfs *fs;
};

static int setup_tree(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/pcipt-pins-XXXXXX");
	if (!mkdtemp(t->dir) || rootfs_new(t->dir, &t->fs) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown_tree(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	rootfs_free(t->fs);
	int r = system(cmd);
	free(t);
	return r == 0 ? 0 : -1;
}

static char *file_of(const struct tree *t, const char *path)
{
	char *full = malloc(PATH_MAX);
	snprintf(full, PATH_MAX, "%s%s", t->dir, path);
	return full;
}

static void put(const struct tree *t, const char *path, const char *text, mode_t mode)
{
	char *full = file_of(t, path);
	FILE *f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(full, mode), 0);
	free(full);
}

static char *slurp(const struct tree *t, const char *path)
{
	char *full = file_of(t, path);
	FILE *f = fopen(full, "r");
	free(full);
	if (!f)
		return NULL;
	char *buf = calloc(1, 128 * 1024);
	size_t n = fread(buf, 1, 128 * 1024 - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void written_then_read_back(void **state)
{
	struct tree *t = *state;
	struct pins *p = malloc(sizeof(*p)), *back = malloc(sizeof(*back));
	struct pcipt_error err;
	/* nothing there (not even /var/lib): no pins */
	assert_int_equal(pins_read(t->fs, 100, back, &err), 0);
	assert_int_equal(back->count, 0);
	make_two(p);
	assert_int_equal(pins_write(t->fs, p, false, &err), 0);
	char *text = slurp(t, "/var/lib/pcipt/identity/100");
	assert_string_equal(text, two_pins);
	free(text);
	struct stat st;
	char *full = file_of(t, "/var/lib/pcipt/identity/100");
	assert_int_equal(stat(full, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(pins_read(t->fs, 100, back, &err), 0);
	assert_pins_equal(p, back);
	/* another VM's file is another file */
	assert_int_equal(pins_read(t->fs, 101, back, &err), 0);
	assert_int_equal(back->count, 0);
	/* no pin left: the file goes */
	p->count = 0;
	assert_int_equal(pins_write(t->fs, p, false, &err), 0);
	assert_int_equal(stat(full, &st), -1);
	free(full);
	char *path = pins_path(100);
	assert_string_equal(path, "/var/lib/pcipt/identity/100");
	free(path);
	free(p);
	free(back);
}

/* A file pcipt did not write, or cannot trust, is refused by the reader and left alone by
 * the writer, unless the admin asks for it to be replaced. */
static void foreign_files_are_refused_and_never_replaced_unasked(void **state)
{
	struct tree *t = *state;
	struct pins *p = malloc(sizeof(*p)), *back = malloc(sizeof(*back));
	struct pcipt_error err;
	make_two(p);
	assert_int_equal(pins_write(t->fs, p, false, &err), 0);
	const char *corrupt = "pcipt-identity 1\nvmid 100\nhostpci0 garbage\n";
	put(t, "/var/lib/pcipt/identity/100", corrupt, 0644);
	assert_int_equal(pins_read(t->fs, 100, back, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(pins_write(t->fs, p, false, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_non_null(strstr(err.message, "not replaced"));
	char *text = slurp(t, "/var/lib/pcipt/identity/100");
	assert_string_equal(text, corrupt);
	free(text);
	assert_int_equal(pins_write(t->fs, p, true, &err), 0);
	assert_int_equal(pins_read(t->fs, 100, back, &err), 0);
	assert_pins_equal(p, back);

	/* writable by others: anyone could have written it */
	char *full = file_of(t, "/var/lib/pcipt/identity/100");
	assert_int_equal(chmod(full, 0666), 0);
	assert_int_equal(pins_read(t->fs, 100, back, &err), -EPERM);
	assert_non_null(strstr(err.message, "writable by others"));
	assert_int_equal(chmod(full, 0644), 0);

	/* larger than pcipt ever writes */
	char *big = malloc(70 * 1024);
	memset(big, '#', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	put(t, "/var/lib/pcipt/identity/100", big, 0644);
	free(big);
	assert_int_equal(pins_read(t->fs, 100, back, &err), -EFBIG);
	assert_non_null(strstr(err.message, "larger than"));

	/* a link is never followed, and replacing it leaves its target alone */
	put(t, "/target", two_pins, 0644);
	assert_int_equal(unlink(full), 0);
	assert_int_equal(symlink("/target", full), 0);
	assert_int_equal(pins_read(t->fs, 100, back, &err), -ELOOP);
	assert_non_null(strstr(err.message, "symbolic link"));
	assert_int_equal(pins_write(t->fs, p, false, &err), -ELOOP);
	p->items[0].id.device = 0x1b81;
	assert_int_equal(pins_write(t->fs, p, true, &err), 0);
	text = slurp(t, "/target");
	assert_string_equal(text, two_pins);
	free(text);
	struct stat st;
	assert_int_equal(lstat(full, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* the directory must be one, not a link someone put in its place */
	char *dir = file_of(t, "/var/lib/pcipt/identity");
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir '%s/elsewhere' && ln -s /elsewhere '%s'",
		 dir, t->dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(pins_read(t->fs, 100, back, &err), -ENOTDIR);
	assert_non_null(strstr(err.message, "not a directory"));
	assert_int_equal(pins_write(t->fs, p, true, &err), -ENOTDIR);
	free(dir);
	free(full);
	free(p);
	free(back);
}

/* --- what is pinned, and the check ----------------------------------------------------- */

static struct rootfs *empty_root;
static char empty_dir[] = "/tmp/pcipt-pins-host-XXXXXX";

/* A GPU 0000:01:00.0 and its audio function 0000:01:00.1, and a NIC 0000:02:00.0; the
 * devices are h->pci's, freed with host_pci_free (which closes pci.ids too). */
static struct host_pci_device *fake_host(struct host *h)
{
	static char node[] = "pve";
	memset(h, 0, sizeof(*h));
	struct host_pci_device *devices = calloc(3, sizeof(*devices));
	h->root = empty_root;
	h->hostname = node;
	static const struct {
		const char *address;
		unsigned bus, function, vendor, device, class_code;
	} d[] = {
		{"0000:01:00.0", 1, 0, 0x10de, 0x1b80, 0x030000},
		{"0000:01:00.1", 1, 1, 0x10de, 0x10f0, 0x040300},
		{"0000:02:00.0", 2, 0, 0x8086, 0x1533, 0x020000},
	};
	for (size_t i = 0; i < 3; i++) {
		snprintf(devices[i].address, sizeof(devices[i].address), "%s", d[i].address);
		devices[i].bus = d[i].bus;
		devices[i].function = d[i].function;
		devices[i].vendor = d[i].vendor;
		devices[i].device = d[i].device;
		devices[i].subsystem_vendor = 0x1458;
		devices[i].subsystem_device = 0x3702;
		devices[i].class_code = d[i].class_code;
		devices[i].iommu_group = (int)d[i].bus;
	}
	h->pci.devices = devices;
	h->pci.count = 3;
	return devices;
}

static void parse_config(const char *text, struct pve_config *ret)
{
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(text, strlen(text), &f, &e), 0);
	pve_config_parse(&f, "/etc/pve/qemu-server/100.conf", ret);
	text_file_free(&f);
}

static void parse_mappings(const char *text, struct pve_mappings *ret)
{
	struct text_file f;
	struct pcipt_error e;
	assert_int_equal(text_file_from_buffer(text, strlen(text), &f, &e), 0);
	pve_mappings_parse(&f, "/etc/pve/mapping/pci.cfg", ret);
	text_file_free(&f);
}

/* The pins of the config text as it starts on host. */
static void pin_config(const char *text, const struct host *host, struct pins *ret)
{
	struct pve_mappings mappings;
	parse_mappings("nic\n\tmap id=8086:1533,node=pve,path=0000:02:00.0,"
		       "subsystem-id=1458:3702\n",
		       &mappings);
	struct pve_config config;
	parse_config(text, &config);
	struct vm_devices d;
	vm_devices_resolve(&config.vm, 100, host, &mappings, &d);
	assert_int_equal(pins_from_devices(&config.vm, 100, &d, ret), 0);
	vm_devices_free(&d);
	pve_config_free(&config);
	pve_mappings_free(&mappings);
}

/* The device-identity findings of the config text on host, against pins. */
static void judge(const char *text, const struct host *host, const struct pins *pins,
		  struct findings *out)
{
	struct pve_config config;
	parse_config(text, &config);
	struct checked_config c = {&config, {"/etc/pve/qemu-server/100.conf", 1, 100}, true};
	findings_init(out);
	check_device_identity(&c, pins, host, out);
	pve_config_free(&config);
}

/* Every function a host= line gets is pinned with the digest of its line; a mapping= line
 * is not (Proxmox checks a mapping's ids itself). */
static void raw_functions_are_pinned_mappings_are_not(void **state)
{
	(void)state;
	struct host host;
	fake_host(&host);
	struct pins *p = malloc(sizeof(*p));
	pin_config("hostpci0: 01:00,pcie=1\nhostpci1: mapping=nic\nmachine: q35\n", &host, p);
	assert_int_equal(p->vmid, 100);
	assert_int_equal(p->count, 2);
	char digest[PINS_DIGEST_LENGTH + 1];
	/* echo -n '01:00,pcie=1' | sha256sum */
	pins_line_digest("01:00,pcie=1", digest);
	assert_string_equal(digest,
			    "f871c84bf981720dfc622ec3fe1d816c5a4c1e8a9751bbf8d357e7933e3bc02f");
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(p->items[i].hostpci, 0);
		assert_string_equal(p->items[i].line_digest, digest);
	}
	assert_string_equal(p->items[0].address, "0000:01:00.0");
	assert_string_equal(p->items[1].address, "0000:01:00.1");
	assert_int_equal(p->items[1].id.class_code, 0x040300);
	assert_int_equal(p->items[1].id.subsystem_vendor, 0x1458);
	free(p);
	host_pci_free(&host.pci);
}

static void another_card_behind_the_address_is_an_error_naming_both(void **state)
{
	(void)state;
	struct host host;
	struct host_pci_device *devices = fake_host(&host);
	struct pins *p = malloc(sizeof(*p));
	const char *config = "hostpci0: 01:00,pcie=1\nmachine: q35\n";
	pin_config(config, &host, p);
	struct findings out;
	judge(config, &host, p, &out);
	assert_int_equal(out.count, 0);
	findings_free(&out);
	/* an HBA in the GPU's place */
	devices[0].vendor = 0x1000;
	devices[0].device = 0x0097;
	devices[0].subsystem_vendor = 0x1000;
	devices[0].subsystem_device = 0x3090;
	devices[0].class_code = 0x010700;
	judge(config, &host, p, &out);
	assert_int_equal(out.count, 1);
	const struct finding *f = &out.items[0];
	assert_int_equal(f->check, CHECK_DEVICE_IDENTITY);
	assert_int_equal(f->severity, SEVERITY_ERROR);
	assert_int_equal(f->line, 1);
	assert_string_equal(f->device, "0000:01:00.0");
	assert_non_null(strstr(f->message, "hostpci0: 0000:01:00.0 was 10de:1b80 (subsystem "
					   "1458:3702, class 030000, "));
	assert_non_null(strstr(f->message, "when VM 100 last started; it is now 1000:0097 "
					   "(subsystem 1000:3090, class 010700, "));
	assert_non_null(strstr(f->hint, "pcipt-validate --accept-identity 100"));
	findings_free(&out);
	/* only the subsystem differs: another card too (another vendor's board of the chip) */
	devices[0] = devices[2];
	snprintf(devices[0].address, sizeof(devices[0].address), "0000:01:00.0");
	devices[0].bus = 1;
	devices[0].vendor = 0x10de;
	devices[0].device = 0x1b80;
	devices[0].class_code = 0x030000;
	devices[0].subsystem_vendor = 0x10de;
	judge(config, &host, p, &out);
	assert_int_equal(out.count, 1);
	findings_free(&out);
	free(p);
	host_pci_free(&host.pci);
}

/* Editing the line ends its pins; a line now a mapping, or gone, has none; a device gone from
 * the address is device-missing's to report. */
static void a_changed_line_ends_its_pins(void **state)
{
	(void)state;
	struct host host;
	struct host_pci_device *devices = fake_host(&host);
	struct pins *p = malloc(sizeof(*p));
	pin_config("hostpci0: 01:00,pcie=1\nmachine: q35\n", &host, p);
	devices[1].device = 0x10f1;
	struct findings out;
	judge("hostpci0: 01:00,pcie=1\nmachine: q35\n", &host, p, &out);
	assert_int_equal(out.count, 1);
	assert_string_equal(out.items[0].device, "0000:01:00.1");
	findings_free(&out);
	judge("machine: q35\nhostpci0: 01:00,pcie=1,rombar=0\n", &host, p, &out);
	assert_int_equal(out.count, 0);
	findings_free(&out);
	judge("hostpci0: mapping=nic\n", &host, p, &out);
	assert_int_equal(out.count, 0);
	findings_free(&out);
	judge("hostpci1: 01:00,pcie=1\n", &host, p, &out);
	assert_int_equal(out.count, 0);
	findings_free(&out);
	/* the same value on another line number is the same line: still pinned */
	judge("machine: q35\n\nhostpci0: 01:00,pcie=1\n", &host, p, &out);
	assert_int_equal(out.count, 1);
	assert_int_equal(out.items[0].line, 3);
	findings_free(&out);
	host.pci.count = 1; /* 01:00.1 is gone */
	judge("hostpci0: 01:00,pcie=1\nmachine: q35\n", &host, p, &out);
	assert_int_equal(out.count, 0);
	findings_free(&out);
	host.pci.count = 3;
	free(p);
	host_pci_free(&host.pci);
}

static int make_empty_root(void **state)
{
	(void)state;
	return mkdtemp(empty_dir) && rootfs_new(empty_dir, &empty_root) == 0 ? 0 : -1;
}

static int remove_empty_root(void **state)
{
	(void)state;
	rootfs_free(empty_root);
	return rmdir(empty_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_and_parse_round_trip),
		cmocka_unit_test(hostile_files_are_refused_with_their_line),
		cmocka_unit_test(oversized_files_are_refused),
		cmocka_unit_test_setup_teardown(written_then_read_back, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(
			foreign_files_are_refused_and_never_replaced_unasked, setup_tree,
			teardown_tree),
		cmocka_unit_test(raw_functions_are_pinned_mappings_are_not),
		cmocka_unit_test(another_card_behind_the_address_is_an_error_naming_both),
		cmocka_unit_test(a_changed_line_ends_its_pins),
	};
	return cmocka_run_group_tests(tests, make_empty_root, remove_empty_root);
}
