/* host/snapshot: the host model written as JSON and read back field for field, byte-identical
 * when written again; real fake hosts (the CLI fixtures, the 256-device bench host) through the
 * same round trip; and the reader's refusals of hostile documents, each with its code and the
 * JSON path of what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../host/snapshot.h"
#include "../../host/sysfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- a host with every kind of field filled ------------------------------------------------ */

static char **strings(size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	char **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static void set_device(struct host_pci_device *d, const char *address, unsigned vendor,
		       unsigned device, unsigned class_code)
{
	*d = (struct host_pci_device){0};
	snprintf(d->address, sizeof(d->address), "%s", address);
	unsigned domain, bus, slot, function;
	assert_int_equal(sscanf(address, "%x:%x:%x.%u", &domain, &bus, &slot, &function), 4);
	d->domain = domain;
	d->bus = bus;
	d->slot = slot;
	d->function = function;
	d->vendor = vendor;
	d->device = device;
	d->class_code = class_code;
	d->iommu_group = -1;
	d->boot_vga = -1;
	d->d3cold_allowed = -1;
	d->sriov_totalvfs = d->sriov_numvfs = -1;
	d->config_size = 4096;
	d->pcie_type = HOST_PCIE_ENDPOINT;
	d->acs = HOST_UNKNOWN;
	d->sriov = HOST_NO;
	for (int i = 0; i < 6; i++)
		d->bars[i].memory = true;
}

static void build_pci(struct host_pci *pci)
{
	pci->count = 4;
	pci->devices = calloc(pci->count, sizeof(*pci->devices));
	struct host_pci_device *d = pci->devices;
	set_device(&d[0], "0000:00:1c.0", 0x8086, 0xa33c, 0x060400);
	d[0].header_type = 1;
	d[0].is_bridge = true;
	d[0].driver = strdup("pcieport");
	d[0].iommu_group = 7;
	d[0].pcie_type = HOST_PCIE_ROOT_PORT;
	d[0].acs = HOST_YES;
	d[0].bars[0] = (struct host_pci_bar){.start = 0xe000, .size = 0x100, .memory = false};
	set_device(&d[1], "0000:01:00.0", 0x10de, 0x1b80, 0x030000);
	d[1].subsystem_vendor = 0x1458;
	d[1].subsystem_device = 0x3702;
	d[1].revision = 0xa1;
	d[1].driver = strdup("vfio-pci");
	d[1].iommu_group = 1;
	d[1].boot_vga = 1;
	d[1].has_reset = true;
	d[1].reset_method = strdup("flr bus");
	d[1].power_state = strdup("D0");
	d[1].d3cold_allowed = 1;
	d[1].bars[0] =
		(struct host_pci_bar){.start = 0xf6000000, .size = 0x1000000, .memory = true};
	/* a 64-bit prefetchable BAR at the top of the address space: above 2^53 */
	d[1].bars[1] = (struct host_pci_bar){
		.start = 0xfffffffff0000000ull, .size = 0x10000000, .memory = true};
	d[1].bars[3] = (struct host_pci_bar){.start = 0x7fc0000000ull, .size = 0, .memory = true};
	set_device(&d[2], "0000:02:00.0", 0x8086, 0x1533, 0x020000);
	d[2].iommu_group = 2;
	d[2].sriov = HOST_YES;
	d[2].sriov_totalvfs = 7;
	d[2].sriov_numvfs = 0;
	d[2].reset_method = strdup(""); /* the attribute exists and names no method */
	d[2].pcie_type = HOST_PCIE_UNKNOWN;
	d[2].config_size = 64;
	/* Intel VMD: a domain of five digits */
	set_device(&d[3], "10000:e1:00.0", 0x144d, 0xa808, 0x010802);
	d[3].pcie_type = HOST_PCIE_NONE;
	d[3].config_size = 256;
	d[3].acs = HOST_NO;
	pci->warnings = strings(2, "pcilib: sysfs_read_vpd: read failed: Input/output error",
				"tab\there \"quoted\" back\\slash /path é");
	pci->warning_count = 2;
}

static void build_iommu(struct host_iommu *m)
{
	m->unit_count = 3;
	m->units = calloc(m->unit_count, sizeof(*m->units));
	m->units[0] = (struct host_iommu_unit){strdup("dmar0"), HOST_IOMMU_INTEL, true,
					       0xd2008c40660462ull, 0xf050daull};
	m->units[1] = (struct host_iommu_unit){strdup("dmar1"), HOST_IOMMU_INTEL, false,
					       0xffffffffffffffffull, 0};
	m->units[2] = (struct host_iommu_unit){strdup("ivhd0"), HOST_IOMMU_AMD, false, 0, 0};
	m->acpi_dmar = true;
	m->remapped_irq_chips = HOST_UNKNOWN;
	m->cpu = HOST_CPU_AMD;
	m->group_count = 3;
	m->groups = calloc(m->group_count, sizeof(*m->groups));
	m->groups[0] = (struct host_iommu_group){.number = 1,
						 .devices = strings(1, "0000:01:00.0"),
						 .device_count = 1,
						 .regions_known = true};
	m->groups[0].region_count = 2;
	m->groups[0].regions = calloc(2, sizeof(struct host_region));
	m->groups[0].regions[0] =
		(struct host_region){.start = 0xfee00000, .end = 0xfeefffff, .type = "msi"};
	m->groups[0].regions[1] = (struct host_region){
		.start = 0x8000000000000000ull, .end = 0xffffffffffffffffull, .type = "direct"};
	m->groups[1] =
		(struct host_iommu_group){.number = 7,
					  .devices = strings(2, "0000:00:1c.0", "0000:02:00.0"),
					  .device_count = 2};
	m->groups[2] = (struct host_iommu_group){.number = 999999, .regions_known = true};
	m->problems = strings(1, "/sys/class/iommu/dmar1/intel-iommu/ecap: not a hex register");
	m->problem_count = 1;
}

static void build_modules(struct host_modules *m)
{
	m->loaded = strings(3, "kvm", "vfio", "vfio_pci");
	m->loaded_count = 3;
	m->listed_count = 2;
	m->listed = calloc(2, sizeof(*m->listed));
	m->listed[0] = (struct module_listing){strdup("vfio"), strdup("/etc/modules"), 1};
	m->listed[1] = (struct module_listing){strdup("vfio_pci"),
					       strdup("/etc/modules-load.d/vfio.conf"), 3};
	static const enum modprobe_kind kinds[] = {MODPROBE_OPTIONS, MODPROBE_BLACKLIST,
						   MODPROBE_SOFTDEP, MODPROBE_INSTALL,
						   MODPROBE_ALIAS};
	m->statement_count = 5;
	m->statements = calloc(5, sizeof(*m->statements));
	for (size_t i = 0; i < 5; i++) {
		m->statements[i].kind = kinds[i];
		m->statements[i].file = strdup("/etc/modprobe.d/vfio.conf");
		m->statements[i].line = (unsigned)(i + 1);
	}
	m->statements[0].module = strdup("vfio_pci");
	m->statements[0].words = strings(2, "ids=10de:1b80,10de:10f0", "disable_vga=1");
	m->statements[0].word_count = 2;
	m->statements[1].module = strdup("nouveau");
	m->statements[2].module = strdup("nvidia");
	m->statements[2].words = strings(4, "pre:", "vfio_pci", "post:", "nvidia_drm");
	m->statements[2].word_count = 4;
	m->statements[3].module = strdup("nouveau");
	m->statements[3].words = strings(1, "/bin/false");
	m->statements[3].word_count = 1;
	m->statements[4].module = strdup("vfio_pci");
	m->statements[4].words = strings(1, "pci:v000010DEd00001B80sv*sd*bc*sc*i*");
	m->statements[4].word_count = 1;
	m->problem_count = 2;
	m->problems = calloc(2, sizeof(*m->problems));
	m->problems[0] = (struct modules_problem){strdup("/etc/modprobe.d/x.conf"), 2,
						  strdup("unknown command \"frobnicate\"")};
	m->problems[1] =
		(struct modules_problem){strdup("/lib/modprobe.d"), 0, strdup("cannot be listed")};
	m->param_count = 3;
	m->params = calloc(3, sizeof(*m->params));
	m->params[0] = (struct module_param){strdup("kvm"), strdup("ignore_msrs"), strdup("Y")};
	m->params[1] =
		(struct module_param){strdup("kvm"), strdup("report_ignored_msrs"), strdup("N")};
	m->params[2] = (struct module_param){strdup("vfio_iommu_type1"),
					     strdup("allow_unsafe_interrupts"), strdup("")};
}

static void build_boot(struct host_boot *b, enum host_bootloader loader, bool pbt)
{
	b->loader = loader;
	b->proxmox_boot_tool = pbt;
	if (loader == HOST_BOOT_SYSTEMD_BOOT) {
		b->next_file = "/etc/kernel/cmdline";
		b->apply = "proxmox-boot-tool refresh";
	} else {
		b->next_file = "/etc/default/grub";
		b->apply = pbt ? "proxmox-boot-tool refresh" : "update-grub";
	}
	b->have_running = loader == HOST_BOOT_GRUB;
	b->running_error = b->have_running ? 0 : -EACCES;
	if (b->have_running) {
		b->running.words = strings(3, "BOOT_IMAGE=/boot/vmlinuz", "quiet", "a b");
		b->running.count = 3;
	}
	b->have_next = true;
	b->next.words = strings(2, "quiet", "intel_iommu=on");
	b->next.count = 2;
	b->next.line = loader == HOST_BOOT_GRUB ? 6 : 1;
}

static void build_files(struct host_files *files)
{
	files->dirs = strings(2, "/usr/share/kvm", "/var/lib/vz/snippets");
	files->dir_count = 2;
	files->count = 5;
	files->items = calloc(5, sizeof(*files->items));
	struct host_file *f = files->items;
	/* a parsed ROM: an x86 image, then an EFI one */
	f[0].path = strdup("/usr/share/kvm/gtx1080.rom");
	f[0].mode = 0644;
	f[0].regular = true;
	f[0].is_rom = true;
	memset(f[0].digest, 'a', 64);
	f[0].digest[63] = '9';
	f[0].rom.size = 131072;
	f[0].rom.parsed = true;
	f[0].rom.rom.count = 2;
	f[0].rom.rom.images[0] = (struct optionrom_image){.offset = 0,
							  .length = 65536,
							  .vendor = 0x10de,
							  .device = 0x1b80,
							  .class_code = 0x030000,
							  .pcir_revision = 3,
							  .code_type = OPTIONROM_CODE_X86};
	f[0].rom.rom.images[1] = (struct optionrom_image){.offset = 65536,
							  .length = 65536,
							  .vendor = 0x10de,
							  .device = 0x1b80,
							  .class_code = 0x030000,
							  .pcir_revision = 3,
							  .code_type = OPTIONROM_CODE_EFI,
							  .last = true,
							  .efi_signature_ok = true,
							  .efi_subsystem = 11,
							  .efi_machine = OPTIONROM_EFI_MACHINE_X64,
							  .efi_compression = 1};
	/* a file that is no ROM */
	f[1].path = strdup("/usr/share/kvm/notes.txt");
	f[1].mode = 0600;
	f[1].regular = true;
	f[1].is_rom = true;
	memset(f[1].digest, '0', 64);
	f[1].rom.size = 12;
	f[1].rom.parse_error = (struct pcipt_error){
		.code = -EINVAL, .offset = 0x18, .message = "no 0x55AA signature at offset 0"};
	/* a named pipe: read_error -EINVAL and host_mode_kind()'s static string */
	f[2].path = strdup("/usr/share/kvm/pipe.rom");
	f[2].mode = 0644;
	f[2].is_rom = true;
	f[2].rom.read_error = -EINVAL;
	f[2].rom.kind = host_mode_kind(S_IFIFO);
	/* one that could not be looked at */
	f[3].path = strdup("/usr/share/kvm/secret.rom");
	f[3].error = -EACCES;
	f[3].is_rom = true;
	f[3].rom.read_error = -EACCES;
	/* a hookscript */
	f[4].path = strdup("/var/lib/vz/snippets/hook.pl");
	f[4].mode = 04755;
	f[4].regular = true;
}

static void build_host(struct host *h, enum host_bootloader loader, bool pbt)
{
	*h = (struct host){0};
	h->origin = (struct host_origin){.taken = 1700000000,
					 .kernel_release = strdup("6.8.12-4-pve"),
					 .boot_time = 1699990000,
					 .pcipt_version = strdup("0.1.0")};
	h->hostname = strdup("pve1");
	build_pci(&h->pci);
	build_iommu(&h->iommu);
	build_modules(&h->modules);
	build_boot(&h->boot, loader, pbt);
	h->iomem.readable = true;
	h->iomem.count = 2;
	h->iomem.framebuffers = calloc(2, sizeof(*h->iomem.framebuffers));
	h->iomem.framebuffers[0] = (struct host_framebuffer){
		.start = 0xf6000000, .end = 0xf67fffff, .name = "BOOTFB", .line = 4};
	h->iomem.framebuffers[1] = (struct host_framebuffer){
		.start = 0x4000000000ull, .end = 0x40007fffffull, .name = "efifb", .line = 9};
	h->uses.count = 2;
	h->uses.items = calloc(2, sizeof(*h->uses.items));
	h->uses.items[0] = (struct host_use){"0000:02:00.0", HOST_USE_ROUTE,
					     strdup("vmbr0 (default route, over eno1)")};
	h->uses.items[1] =
		(struct host_use){"10000:e1:00.0", HOST_USE_MOUNT,
				  strdup("/ (ext4 on /dev/mapper/pve-root, dm-1 over nvme0n1p3)")};
	struct host_runstate *s = &h->runstate;
	s->reservation_count = 2;
	s->reservations = calloc(2, sizeof(*s->reservations));
	s->reservations[0] = (struct host_reservation){"0000:01:00.0", 100, true, 4242, true};
	s->reservations[1] =
		(struct host_reservation){"0000:02:00.0", 101, false, 999999999999999999LL, false};
	s->vm_count = 2;
	s->vms = calloc(2, sizeof(*s->vms));
	s->vms[0] = (struct host_running_vm){100, 4242, strings(1, "0000:01:00.0"), 1};
	s->vms[1] = (struct host_running_vm){102, 77, NULL, 0};
	build_files(&h->files);
}

/* --- comparing ------------------------------------------------------------------------------ */

static void same_string(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		same_string(a[i], b[i]);
}

static void same_device(const struct host_pci_device *a, const struct host_pci_device *b)
{
	assert_string_equal(a->address, b->address);
	assert_int_equal(a->domain, b->domain);
	assert_int_equal(a->bus, b->bus);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->function, b->function);
	assert_int_equal(a->vendor, b->vendor);
	assert_int_equal(a->device, b->device);
	assert_int_equal(a->subsystem_vendor, b->subsystem_vendor);
	assert_int_equal(a->subsystem_device, b->subsystem_device);
	assert_int_equal(a->class_code, b->class_code);
	assert_int_equal(a->revision, b->revision);
	assert_int_equal(a->header_type, b->header_type);
	assert_int_equal(a->is_bridge, b->is_bridge);
	same_string(a->driver, b->driver);
	assert_int_equal(a->iommu_group, b->iommu_group);
	assert_int_equal(a->boot_vga, b->boot_vga);
	assert_int_equal(a->has_reset, b->has_reset);
	same_string(a->reset_method, b->reset_method);
	same_string(a->power_state, b->power_state);
	assert_int_equal(a->d3cold_allowed, b->d3cold_allowed);
	assert_int_equal(a->sriov_totalvfs, b->sriov_totalvfs);
	assert_int_equal(a->sriov_numvfs, b->sriov_numvfs);
	assert_int_equal(a->config_size, b->config_size);
	assert_int_equal(a->pcie_type, b->pcie_type);
	assert_int_equal(a->acs, b->acs);
	assert_int_equal(a->sriov, b->sriov);
	for (int i = 0; i < 6; i++) {
		assert_true(a->bars[i].start == b->bars[i].start);
		assert_true(a->bars[i].size == b->bars[i].size);
		assert_int_equal(a->bars[i].memory, b->bars[i].memory);
	}
}

static void same_iommu(const struct host_iommu *a, const struct host_iommu *b)
{
	assert_int_equal(a->unit_count, b->unit_count);
	for (size_t i = 0; i < a->unit_count; i++) {
		same_string(a->units[i].name, b->units[i].name);
		assert_int_equal(a->units[i].vendor, b->units[i].vendor);
		assert_int_equal(a->units[i].has_ecap, b->units[i].has_ecap);
		assert_true(a->units[i].cap == b->units[i].cap);
		assert_true(a->units[i].ecap == b->units[i].ecap);
	}
	assert_int_equal(a->acpi_dmar, b->acpi_dmar);
	assert_int_equal(a->acpi_ivrs, b->acpi_ivrs);
	assert_int_equal(a->remapped_irq_chips, b->remapped_irq_chips);
	assert_int_equal(a->cpu, b->cpu);
	assert_int_equal(a->group_count, b->group_count);
	for (size_t i = 0; i < a->group_count; i++) {
		const struct host_iommu_group *x = &a->groups[i], *y = &b->groups[i];
		assert_int_equal(x->number, y->number);
		same_strings(x->devices, x->device_count, y->devices, y->device_count);
		assert_int_equal(x->regions_known, y->regions_known);
		assert_int_equal(x->region_count, y->region_count);
		for (size_t k = 0; k < x->region_count; k++) {
			assert_true(x->regions[k].start == y->regions[k].start);
			assert_true(x->regions[k].end == y->regions[k].end);
			assert_string_equal(x->regions[k].type, y->regions[k].type);
		}
	}
	same_strings(a->problems, a->problem_count, b->problems, b->problem_count);
}

static void same_modules(const struct host_modules *a, const struct host_modules *b)
{
	same_strings(a->loaded, a->loaded_count, b->loaded, b->loaded_count);
	assert_int_equal(a->listed_count, b->listed_count);
	for (size_t i = 0; i < a->listed_count; i++) {
		same_string(a->listed[i].module, b->listed[i].module);
		same_string(a->listed[i].file, b->listed[i].file);
		assert_int_equal(a->listed[i].line, b->listed[i].line);
	}
	assert_int_equal(a->statement_count, b->statement_count);
	for (size_t i = 0; i < a->statement_count; i++) {
		const struct modprobe_statement *x = &a->statements[i], *y = &b->statements[i];
		assert_int_equal(x->kind, y->kind);
		same_string(x->module, y->module);
		same_strings(x->words, x->word_count, y->words, y->word_count);
		same_string(x->file, y->file);
		assert_int_equal(x->line, y->line);
	}
	assert_int_equal(a->problem_count, b->problem_count);
	for (size_t i = 0; i < a->problem_count; i++) {
		same_string(a->problems[i].file, b->problems[i].file);
		assert_int_equal(a->problems[i].line, b->problems[i].line);
		same_string(a->problems[i].message, b->problems[i].message);
	}
	assert_int_equal(a->param_count, b->param_count);
	for (size_t i = 0; i < a->param_count; i++) {
		same_string(a->params[i].module, b->params[i].module);
		same_string(a->params[i].param, b->params[i].param);
		same_string(a->params[i].value, b->params[i].value);
	}
	assert_null(b->unlisted);
}

static void same_cmdline(const struct cmdline *a, const struct cmdline *b)
{
	same_strings(a->words, a->count, b->words, b->count);
	assert_int_equal(a->line, b->line);
}

static void same_boot(const struct host_boot *a, const struct host_boot *b)
{
	same_cmdline(&a->running, &b->running);
	assert_int_equal(a->have_running, b->have_running);
	assert_int_equal(a->running_error, b->running_error);
	same_cmdline(&a->next, &b->next);
	assert_int_equal(a->have_next, b->have_next);
	assert_int_equal(a->loader, b->loader);
	assert_int_equal(a->proxmox_boot_tool, b->proxmox_boot_tool);
	assert_string_equal(a->next_file, b->next_file);
	assert_string_equal(a->apply, b->apply);
}

static void same_rom(const struct host_rom *a, const struct host_rom *b)
{
	assert_int_equal(a->read_error, b->read_error);
	/* the very static string host_mode_kind() gives */
	assert_ptr_equal(a->kind, b->kind);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->parsed, b->parsed);
	assert_int_equal(a->rom.count, b->rom.count);
	for (size_t i = 0; i < a->rom.count; i++) {
		const struct optionrom_image *x = &a->rom.images[i], *y = &b->rom.images[i];
		assert_int_equal(x->offset, y->offset);
		assert_int_equal(x->length, y->length);
		assert_int_equal(x->vendor, y->vendor);
		assert_int_equal(x->device, y->device);
		assert_int_equal(x->class_code, y->class_code);
		assert_int_equal(x->pcir_revision, y->pcir_revision);
		assert_int_equal(x->code_type, y->code_type);
		assert_int_equal(x->last, y->last);
		assert_int_equal(x->efi_signature_ok, y->efi_signature_ok);
		assert_int_equal(x->efi_subsystem, y->efi_subsystem);
		assert_int_equal(x->efi_machine, y->efi_machine);
		assert_int_equal(x->efi_compression, y->efi_compression);
	}
	assert_int_equal(a->parse_error.code, b->parse_error.code);
	assert_int_equal(a->parse_error.offset, b->parse_error.offset);
	assert_string_equal(a->parse_error.message, b->parse_error.message);
}

static void same_host(const struct host *a, const struct host *b)
{
	assert_null(b->root);
	assert_true(b->origin.snapshot);
	assert_true(a->origin.taken == b->origin.taken);
	same_string(a->origin.kernel_release, b->origin.kernel_release);
	assert_true(a->origin.boot_time == b->origin.boot_time);
	same_string(a->origin.pcipt_version, b->origin.pcipt_version);
	same_string(a->hostname, b->hostname);
	assert_int_equal(a->pci.count, b->pci.count);
	for (size_t i = 0; i < a->pci.count; i++) {
		same_device(&a->pci.devices[i], &b->pci.devices[i]);
		assert_null(b->pci.devices[i].name);
	}
	same_strings(a->pci.warnings, a->pci.warning_count, b->pci.warnings, b->pci.warning_count);
	same_iommu(&a->iommu, &b->iommu);
	same_modules(&a->modules, &b->modules);
	same_boot(&a->boot, &b->boot);
	assert_int_equal(a->iomem.readable, b->iomem.readable);
	assert_int_equal(a->iomem.count, b->iomem.count);
	for (size_t i = 0; i < a->iomem.count; i++) {
		const struct host_framebuffer *x = &a->iomem.framebuffers[i],
					      *y = &b->iomem.framebuffers[i];
		assert_true(x->start == y->start);
		assert_true(x->end == y->end);
		assert_string_equal(x->name, y->name);
		assert_int_equal(x->line, y->line);
	}
	assert_int_equal(a->uses.count, b->uses.count);
	for (size_t i = 0; i < a->uses.count; i++) {
		assert_string_equal(a->uses.items[i].address, b->uses.items[i].address);
		assert_int_equal(a->uses.items[i].kind, b->uses.items[i].kind);
		same_string(a->uses.items[i].what, b->uses.items[i].what);
	}
	assert_null(b->uses.unlisted);
	const struct host_runstate *x = &a->runstate, *y = &b->runstate;
	assert_int_equal(x->reservation_count, y->reservation_count);
	for (size_t i = 0; i < x->reservation_count; i++) {
		assert_string_equal(x->reservations[i].address, y->reservations[i].address);
		assert_int_equal(x->reservations[i].vmid, y->reservations[i].vmid);
		assert_int_equal(x->reservations[i].by_pid, y->reservations[i].by_pid);
		assert_true(x->reservations[i].value == y->reservations[i].value);
		assert_int_equal(x->reservations[i].live, y->reservations[i].live);
	}
	assert_int_equal(x->vm_count, y->vm_count);
	for (size_t i = 0; i < x->vm_count; i++) {
		assert_int_equal(x->vms[i].vmid, y->vms[i].vmid);
		assert_int_equal(x->vms[i].pid, y->vms[i].pid);
		same_strings(x->vms[i].devices, x->vms[i].device_count, y->vms[i].devices,
			     y->vms[i].device_count);
	}
	assert_null(y->unlisted);
	same_strings(a->files.dirs, a->files.dir_count, b->files.dirs, b->files.dir_count);
	assert_int_equal(a->files.count, b->files.count);
	for (size_t i = 0; i < a->files.count; i++) {
		const struct host_file *f = &a->files.items[i], *g = &b->files.items[i];
		same_string(f->path, g->path);
		assert_int_equal(f->error, g->error);
		assert_int_equal(f->mode, g->mode);
		assert_int_equal(f->regular, g->regular);
		assert_int_equal(f->is_rom, g->is_rom);
		assert_string_equal(f->digest, g->digest);
		if (f->is_rom)
			same_rom(&f->rom, &g->rom);
	}
}

/* write h, read it back, compare, write again: the same bytes.  The text is returned. */
static char *round_trip(const struct host *h, size_t *ret_size)
{
	char *text = NULL;
	size_t size = 0;
	struct pcipt_error err = {0};
	int r = host_snapshot_write(h, &text, &size, &err);
	if (r < 0)
		fail_msg("write: %s", err.message);
	assert_int_equal(size, strlen(text));
	assert_true(size > 0 && text[size - 1] == '\n');
	assert_null(memchr(text, '\n', size - 1)); /* one line */
	struct host back;
	r = host_snapshot_read(text, size, &back, &err);
	if (r < 0)
		fail_msg("read: %s", err.message);
	same_host(h, &back);
	char *again = NULL;
	size_t again_size = 0;
	assert_int_equal(host_snapshot_write(&back, &again, &again_size, &err), 0);
	assert_int_equal(again_size, size);
	assert_memory_equal(again, text, size);
	free(again);
	host_free(&back);
	*ret_size = size;
	return text;
}

static void every_field_survives(void **state)
{
	(void)state;
	struct host h;
	build_host(&h, HOST_BOOT_GRUB, false);
	size_t size;
	char *text = round_trip(&h, &size);
	/* 64-bit values as hex strings, exactly */
	assert_non_null(strstr(text, "\"start\":\"0xfffffffff0000000\",\"size\":\"0x10000000\""));
	assert_non_null(strstr(text, "\"end\":\"0xffffffffffffffff\""));
	assert_non_null(strstr(text, "\"cap\":\"0xffffffffffffffff\",\"ecap\":null"));
	assert_non_null(strstr(text, "\"address\":\"10000:e1:00.0\""));
	assert_non_null(strstr(text, "\"kind\":\"named_pipe\""));
	assert_non_null(strstr(text, "\"error\":\"EACCES\""));
	assert_non_null(strstr(text, "\"mode\":\"4755\""));
	/* paths are written as they are: no "\/" */
	assert_non_null(strstr(text, "\"/usr/share/kvm/gtx1080.rom\""));
	assert_true(strncmp(text, "{\"schema\":\"pcipt-host\",\"version\":1,\"node\":\"pve1\",",
			    48) == 0);

	/* the same host gives the same bytes */
	char *second;
	size_t second_size;
	struct pcipt_error err;
	assert_int_equal(host_snapshot_write(&h, &second, &second_size, &err), 0);
	assert_int_equal(second_size, size);
	assert_memory_equal(second, text, size);
	free(second);

	/* a snapshot's files answer the host's questions */
	struct host back;
	assert_int_equal(host_snapshot_read(text, size, &back, &err), 0);
	struct host_rom rom;
	host_rom_get(&back, "/usr/share/kvm/pipe.rom", &rom);
	assert_int_equal(rom.read_error, -EINVAL);
	assert_ptr_equal(rom.kind, host_mode_kind(S_IFIFO));
	assert_string_equal(rom.kind, "a named pipe");
	host_rom_get(&back, "/usr/share/kvm/gtx1080.rom", &rom);
	assert_true(rom.parsed);
	assert_non_null(optionrom_efi_image(&rom.rom));
	host_rom_get(&back, "/usr/share/kvm/absent.rom", &rom);
	assert_int_equal(rom.read_error, -ENOENT);
	unsigned mode;
	bool regular;
	assert_int_equal(host_file_mode_get(&back, "/var/lib/vz/snippets/hook.pl", &mode, &regular),
			 0);
	assert_int_equal(mode, 04755);
	assert_true(regular);
	assert_int_equal(host_file_mode_get(&back, "/usr/share/kvm/secret.rom", &mode, &regular),
			 -EACCES);
	assert_non_null(host_pci_find(&back.pci, "0000:02:00.0"));
	assert_non_null(host_iommu_group(&back.iommu, 7));
	assert_string_equal(host_module_param(&back.modules, "kvm", "ignore_msrs"), "Y");
	host_free(&back);
	free(text);
	host_free(&h);
}

/* next_file and apply come back as the loader picks them, for each loader */
static void bootloaders_survive(void **state)
{
	(void)state;
	static const struct {
		enum host_bootloader loader;
		bool pbt;
		const char *next_file, *apply;
	} cases[] = {
		{HOST_BOOT_GRUB, false, "/etc/default/grub", "update-grub"},
		{HOST_BOOT_GRUB, true, "/etc/default/grub", "proxmox-boot-tool refresh"},
		{HOST_BOOT_SYSTEMD_BOOT, true, "/etc/kernel/cmdline", "proxmox-boot-tool refresh"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct host h;
		build_host(&h, cases[i].loader, cases[i].pbt);
		size_t size;
		char *text = round_trip(&h, &size);
		struct host back;
		struct pcipt_error err;
		assert_int_equal(host_snapshot_read(text, size, &back, &err), 0);
		assert_int_equal(back.boot.loader, cases[i].loader);
		assert_string_equal(back.boot.next_file, cases[i].next_file);
		assert_string_equal(back.boot.apply, cases[i].apply);
		assert_int_equal(back.boot.have_running, cases[i].loader == HOST_BOOT_GRUB);
		assert_int_equal(back.boot.running_error,
				 cases[i].loader == HOST_BOOT_GRUB ? 0 : -EACCES);
		host_free(&back);
		free(text);
		host_free(&h);
	}
}

static void empty_host_survives(void **state)
{
	(void)state;
	struct host h = {0};
	h.pci.devices = NULL;
	h.boot.next_file = "/etc/default/grub";
	h.boot.apply = "update-grub";
	size_t size;
	char *text = round_trip(&h, &size);
	assert_non_null(strstr(text, "\"node\":null"));
	free(text);
}

/* What the reader would refuse is never written. */
static void writer_refuses_what_cannot_be_read(void **state)
{
	(void)state;
	struct host h;
	build_host(&h, HOST_BOOT_GRUB, false);
	char *long_word = malloc(HOST_SNAPSHOT_MAX_STRING + 2);
	memset(long_word, 'x', HOST_SNAPSHOT_MAX_STRING + 1);
	long_word[HOST_SNAPSHOT_MAX_STRING + 1] = '\0';
	free(h.boot.next.words[1]);
	h.boot.next.words[1] = long_word;
	char *text = (char *)"untouched";
	size_t size = 7;
	struct pcipt_error err;
	assert_int_equal(host_snapshot_write(&h, &text, &size, &err), -EINVAL);
	assert_non_null(strstr(err.message, "boot.next.words[1]: longer than 4096 bytes"));
	assert_string_equal(text, "untouched");
	assert_int_equal(size, 7);
	host_free(&h);

	/* unsorted devices */
	build_host(&h, HOST_BOOT_GRUB, false);
	struct host_pci_device d = h.pci.devices[0];
	h.pci.devices[0] = h.pci.devices[1];
	h.pci.devices[1] = d;
	assert_int_equal(host_snapshot_write(&h, &text, &size, &err), -EINVAL);
	assert_non_null(strstr(err.message, "pci.devices[1].address: out of order"));
	host_free(&h);

	/* larger than pmxcfs holds */
	build_host(&h, HOST_BOOT_GRUB, false);
	h.iommu.problems = realloc(h.iommu.problems, 300 * sizeof(char *));
	for (size_t i = 1; i < 300; i++) {
		h.iommu.problems[i] = malloc(4001);
		memset(h.iommu.problems[i], 'p', 4000);
		h.iommu.problems[i][4000] = '\0';
	}
	h.iommu.problem_count = 300;
	assert_int_equal(host_snapshot_write(&h, &text, &size, &err), -EFBIG);
	assert_non_null(strstr(err.message, "more than the 1048576"));
	assert_string_equal(text, "untouched");
	host_free(&h);
}

/* --- real fake hosts ------------------------------------------------------------------------ */

static const char *const param_modules[] = {"kvm", "vfio_iommu_type1", "vfio_pci"};
static const char *const rom_dirs[] = {"/usr/share/kvm"};
static const char *const snippet_dirs[] = {"/var/lib/vz/snippets"};

static void run(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

/* Load the fake host at root as pcipt-validate --snapshot would, round-trip it. */
static size_t round_trip_root(const char *root)
{
	struct rootfs *fs;
	assert_int_equal(rootfs_new(root, &fs), 0);
	struct host_load_options options = {param_modules, 3};
	struct host h;
	struct pcipt_error err;
	if (host_load(fs, 1700000000, &options, &h, &err) < 0)
		fail_msg("%s: %s", root, err.message);
	assert_int_equal(host_files_collect(fs, rom_dirs, 1, snippet_dirs, 1, &h.files, &err), 0);
	size_t size;
	char *text = round_trip(&h, &size);
	free(text);
	host_free(&h);
	rootfs_free(fs);
	return size;
}

/* The CLI's fixture hosts (built as tests/cli/host_helpers.bash builds them): ROMs of every
 * sort, a named pipe and a socket where a ROM should be, reserved regions, interrupt
 * remapping, SR-IOV, devices in use by VMs and by the host itself, hookscripts, modprobe.d. */
static void fixture_hosts_survive(void **state)
{
	(void)state;
	static const char *const scenarios[] = {
		"roms",
		"romfile-not-regular",
		"rmrr",
		"in-use",
		"host-critical",
		"sriov-pf",
		"hookscript",
		"vfio-modules",
		"iommu-disabled-reboot",
		"interrupt-remapping-ecap",
		"modules-conf-dangling",
		"fifo-sweep",
	};
	char tmpl[] = "/tmp/pcipt-test-snapshot-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		char cmd[2048];
		snprintf(cmd, sizeof(cmd),
			 "set -e; f=tests/fixtures/host; s=%s/%s.spec; : >$s; "
			 "case $(head -n 1 $f/%s/host.spec) in '# standalone'*) ;; "
			 "'# own boot'*) cat $f/base-machine.spec >>$s ;; "
			 "*) cat $f/base-boot.spec $f/base-machine.spec >>$s ;; esac; "
			 "cat $f/%s/host.spec >>$s; "
			 "python3 tests/fakehost/mkhost.py $s %s/%s >/dev/null",
			 dir, scenarios[i], scenarios[i], scenarios[i], dir, scenarios[i]);
		run(cmd);
		char root[600];
		snprintf(root, sizeof(root), "%s/%s", dir, scenarios[i]);
		round_trip_root(root);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run(cmd);
}

/* The 256-device bench host fits a quarter of what pmxcfs holds. */
static void bench_host_is_compact(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/pcipt-test-snapshot-XXXXXX";
	char *dir = mkdtemp(tmpl);
	assert_non_null(dir);
	char cmd[1200];
	snprintf(cmd, sizeof(cmd),
		 "tests/bench/gen-host.sh %s/spec && "
		 "python3 tests/fakehost/mkhost.py %s/spec %s/root >/dev/null",
		 dir, dir, dir);
	run(cmd);
	char root[600];
	snprintf(root, sizeof(root), "%s/root", dir);
	size_t size = round_trip_root(root);
	print_message("bench host: 256 devices, %zu bytes\n", size);
	assert_true(size <= 256 * 1024);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run(cmd);
}

/* --- hostile documents ---------------------------------------------------------------------- */

/* text with the first `from` replaced by `to` (malloc'd); from must occur */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	if (!at)
		fail_msg("\"%s\" not in the snapshot", from);
	size_t head = (size_t)(at - text), flen = strlen(from), tlen = strlen(to);
	char *out = malloc(strlen(text) - flen + tlen + 1);
	memcpy(out, text, head);
	memcpy(out + head, to, tlen);
	strcpy(out + head + tlen, at + flen);
	return out;
}

/* The reader refuses text with code, a message containing want, and leaves *ret alone. */
static void refused_n(const char *text, size_t size, int code, const char *want)
{
	struct host ret;
	memset(&ret, 0xa5, sizeof(ret));
	struct host pristine;
	memset(&pristine, 0xa5, sizeof(pristine));
	struct pcipt_error err = {0};
	int r = host_snapshot_read(text, size, &ret, &err);
	if (r != code || !strstr(err.message, want))
		fail_msg("expected %d \"%s\", got %d \"%s\"", code, want, r, err.message);
	assert_int_equal(err.code, code);
	assert_memory_equal(&ret, &pristine, sizeof(ret));
}

static void refused(const char *text, int code, const char *want)
{
	refused_n(text, strlen(text), code, want);
}

/* The snapshot of the hand-built host with from replaced by to is refused. */
static void edited_refused(const char *good, const char *from, const char *to, int code,
			   const char *want)
{
	char *bad = replace(good, from, to);
	refused(bad, code, want);
	free(bad);
}

static char *good_snapshot(void)
{
	struct host h;
	build_host(&h, HOST_BOOT_GRUB, false);
	char *text;
	size_t size;
	struct pcipt_error err;
	assert_int_equal(host_snapshot_write(&h, &text, &size, &err), 0);
	host_free(&h);
	return text;
}

static void syntax_errors_have_a_place(void **state)
{
	(void)state;
	refused("not json", -EINVAL, "not a JSON document");
	refused("", -EINVAL, "the file is empty");
	refused_n(NULL, 0, -EINVAL, "the file is empty");
	refused("  \n", -EINVAL, "ends early");
	refused("null", -EINVAL, "not a JSON document");
	refused("[1,2]", -EINVAL, "not a JSON object");
	refused("{\"schema\":\"pcipt-host\",} ", -EINVAL, "not a JSON document");
	refused("{} {}", -EINVAL, "not a JSON document");
	refused("{\"a\":NaN}", -EINVAL, "schema");
	refused_n("{\"schema\":\0}", 12, -EINVAL, "a NUL byte");
	/* JSON wants control characters in strings escaped */
	refused("{\"schema\":\"pcipt-host\",\"node\":\"a\tb\"}", -EINVAL,
		"a control character in a string (byte 32)");
	refused("{\"schema\":\"pcipt-host\",\"node\":\"\\\"\x01\"}", -EINVAL,
		"a control character in a string (byte 33)");
	refused("{\"schema\":\"pcipt-host\",\n\t\"node\":\"a\\tb\"}", -EINVAL, "version: missing");

	/* line and column of the error */
	struct host ret;
	struct pcipt_error err;
	const char *lines = "{\n  \"schema\": \"pcipt-host\",\n  \"version\" 1\n}";
	assert_int_equal(host_snapshot_read(lines, strlen(lines), &ret, &err), -EINVAL);
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 13);
	assert_non_null(strstr(err.message, "byte 40"));

	/* truncated */
	char *good = good_snapshot();
	refused_n(good, strlen(good) / 2, -EINVAL, "ends early");

	/* nested 1000 deep */
	char *deep = malloc(2001);
	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	deep[2000] = '\0';
	refused(deep, -EINVAL, "nesting too deep");
	free(deep);

	/* 2 MB: refused before a byte is parsed */
	size_t big = 2 * 1024 * 1024;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	refused_n(huge, big, -EFBIG, "more than the 1048576");
	free(huge);
	free(good);
}

static void wrong_schema_or_version(void **state)
{
	(void)state;
	char *good = good_snapshot();
	edited_refused(good, "\"schema\":\"pcipt-host\"", "\"schema\":\"pcipt-vm\"", -EINVAL,
		       "schema: not a pcipt host snapshot");
	edited_refused(good, "\"schema\":\"pcipt-host\",", "", -EINVAL, "schema");
	edited_refused(good, "\"version\":1", "\"version\":2", -EINVAL,
		       "version: 2, but this pcipt reads version 1");
	edited_refused(good, "\"version\":1", "\"version\":\"1\"", -EINVAL,
		       "version: expected an integer");
	refused("{\"schema\":\"pcipt-host\",\"version\":1}", -EINVAL, "node: missing");
	free(good);
}

static void fields_checked_by_path(void **state)
{
	(void)state;
	char *good = good_snapshot();
	/* the first device is 0000:00:1c.0, the second 0000:01:00.0 */
	edited_refused(good, "\"address\":\"0000:00:1c.0\"", "\"address\":\"0000:00:1c\"", -EINVAL,
		       "pci.devices[0].address: expected a PCI address");
	edited_refused(good, "\"address\":\"0000:00:1c.0\"", "\"address\":\"0000:00:1C.0\"",
		       -EINVAL, "pci.devices[0].address: expected a PCI address");
	edited_refused(good, "\"address\":\"0000:00:1c.0\"", "\"address\":\"00000:00:1c.0\"",
		       -EINVAL, "pci.devices[0].address: \"00000:00:1c.0\" is not how the kernel");
	edited_refused(good, "\"address\":\"0000:00:1c.0\"", "\"address\":\"0000:00:3f.0\"",
		       -EINVAL, "pci.devices[0].address: \"0000:00:3f.0\" is not how the kernel");
	edited_refused(good, "\"address\":\"0000:00:1c.0\"", "\"address\":\"0000:01:00.0\"",
		       -EINVAL, "pci.devices[1].address: out of order");
	edited_refused(good, "\"vendor\":\"8086\"", "\"vendor\":32902", -EINVAL,
		       "pci.devices[0].vendor: expected 4 lowercase hex digits");
	edited_refused(good, "\"vendor\":\"8086\",", "", -EINVAL, "pci.devices[0].vendor: missing");
	edited_refused(good, "\"class\":\"030000\"", "\"class\":\"30000\"", -EINVAL,
		       "pci.devices[1].class: expected 6 lowercase hex digits");
	edited_refused(good, "\"iommu_group\":7", "\"iommu_group\":-2", -EINVAL,
		       "pci.devices[0].iommu_group: expected null or an integer from 0 to 999999");
	edited_refused(good, "\"iommu_group\":7", "\"iommu_group\":-1", -EINVAL,
		       "pci.devices[0].iommu_group");
	edited_refused(good, "\"iommu_group\":7", "\"iommu_group\":7.0", -EINVAL,
		       "pci.devices[0].iommu_group");
	edited_refused(good, "\"iommu_group\":7", "\"iommu_group\":99999999999999999999999",
		       -EINVAL, "pci.devices[0].iommu_group");
	edited_refused(good, "\"acs\":true", "\"acs\":\"yes\"", -EINVAL,
		       "pci.devices[0].acs: expected true, false or null");
	edited_refused(good, "\"pcie_type\":4", "\"pcie_type\":16", -EINVAL,
		       "pci.devices[0].pcie_type");
	edited_refused(good, "\"bars\":[{", "\"bars\":[null,{", -EINVAL,
		       "pci.devices[0].bars: expected 6 entries, not 7");
	edited_refused(good, "\"start\":\"0xe000\"", "\"start\":\"0x\"", -EINVAL,
		       "pci.devices[0].bars[0].start: expected a hex string");
	edited_refused(good, "\"start\":\"0xe000\"", "\"start\":\"0x1ffffffffffffffff\"", -EINVAL,
		       "pci.devices[0].bars[0].start: expected a hex string");
	edited_refused(good, "\"node\":\"pve1\"", "\"node\":5", -EINVAL,
		       "node: expected a string or null");
	edited_refused(good, "\"node\":\"pve1\"", "\"node\":\"pve\\u00001\"", -EINVAL,
		       "node: contains a NUL character");
	edited_refused(good, "\"ecap\":\"0xf050da\"", "\"ecap\":\"0x\"", -EINVAL,
		       "iommu.units[0].ecap: expected a hex string");
	edited_refused(good, "\"ecap\":\"0xf050da\"", "\"ecap\":\"0xf050dz\"", -EINVAL,
		       "iommu.units[0].ecap: expected a hex string");
	edited_refused(good, "\"ecap\":\"0xf050da\"", "\"ecap\":\"f050da\"", -EINVAL,
		       "iommu.units[0].ecap");
	edited_refused(good, "\"vendor\":\"intel\"", "\"vendor\":\"via\"", -EINVAL,
		       "iommu.units[0].vendor: expected one of \"other\", \"intel\", \"amd\"");
	edited_refused(good, "\"number\":7", "\"number\":1", -EINVAL,
		       "iommu.groups[1].number: out of order");
	edited_refused(good, "\"devices\":[\"0000:00:1c.0\",\"0000:02:00.0\"]",
		       "\"devices\":[\"0000:02:00.0\",\"0000:00:1c.0\"]", -EINVAL,
		       "iommu.groups[1].devices[1]: out of order");
	edited_refused(good, "\"devices\":[\"0000:00:1c.0\",\"0000:02:00.0\"]",
		       "\"devices\":[\"0000:00:1c.0\",\"garbage\"]", -EINVAL,
		       "iommu.groups[1].devices[1]: expected a PCI address");
	edited_refused(good, "\"type\":\"msi\"", "\"type\":\"a-region-type-of-24-chars\"", -EINVAL,
		       "iommu.groups[0].regions[0].type: longer than 23 bytes");
	edited_refused(good, "\"kind\":\"softdep\"", "\"kind\":\"remove\"", -EINVAL,
		       "modules.statements[2].kind: expected one of");
	edited_refused(good, "\"loaded\":[\"kvm\",\"vfio\"", "\"loaded\":[\"vfio\",\"kvm\"",
		       -EINVAL, "modules.loaded[1]: out of order");
	edited_refused(good, "\"param\":\"ignore_msrs\"", "\"param\":\"zzz\"", -EINVAL,
		       "modules.params[1]: out of order");
	edited_refused(good, "\"line\":3}", "\"line\":-3}", -EINVAL,
		       "modules.listed[1].line: expected an integer from 0 to 4294967295");
	edited_refused(good, "\"apply\":\"update-grub\"", "\"apply\":\"rm -rf /\"", -EINVAL,
		       "boot.apply: expected \"update-grub\" for this loader");
	edited_refused(good, "\"loader\":\"grub\"", "\"loader\":\"lilo\"", -EINVAL,
		       "boot.loader: expected one of \"grub\", \"systemd-boot\"");
	edited_refused(good, "\"running_error\":null", "\"running_error\":\"ENOTANERRNO\"", -EINVAL,
		       "boot.running_error: expected an errno name");
	edited_refused(good, "\"running_error\":null", "\"running_error\":\"\"", -EINVAL,
		       "boot.running_error: expected an errno name");
	edited_refused(good, "\"name\":\"BOOTFB\"", "\"name\":\"a-framebuffer-name-of-32-bytes!!\"",
		       -EINVAL, "iomem.framebuffers[0].name: longer than 31 bytes");
	edited_refused(good, "\"kind\":\"route\"", "\"kind\":\"bridge\"", -EINVAL,
		       "uses.items[0].kind");
	edited_refused(good, "\"address\":\"0000:02:00.0\",\"kind\"",
		       "\"address\":\"0000:02:00.0 \",\"kind\"", -EINVAL,
		       "uses.items[0].address: expected a PCI address");
	edited_refused(good, "\"vmid\":100,\"by_pid\"", "\"vmid\":-100,\"by_pid\"", -EINVAL,
		       "runstate.reservations[0].vmid");
	edited_refused(good, "\"pid\":77", "\"pid\":0", -EINVAL, "runstate.vms[1].pid");
	edited_refused(good, "\"mode\":\"0644\"", "\"mode\":\"644\"", -EINVAL,
		       "files.items[0].mode: expected 4 octal digits");
	edited_refused(good, "\"mode\":\"0644\"", "\"mode\":\"0648\"", -EINVAL,
		       "files.items[0].mode");
	edited_refused(good, "\"digest\":\"aaaa", "\"digest\":\"Aaaa", -EINVAL,
		       "files.items[0].digest: expected 64 lowercase hex digits");
	edited_refused(good, "\"kind\":\"named_pipe\"", "\"kind\":\"a named pipe\"", -EINVAL,
		       "files.items[2].rom.kind");
	edited_refused(good, "\"machine\":\"8664\"", "\"machine\":\"x64\"", -EINVAL,
		       "files.items[0].rom.images[1].efi.machine: expected 4 lowercase hex digits");
	edited_refused(good, "\"code\":\"EINVAL\"", "\"code\":null", -EINVAL,
		       "files.items[1].rom.parse_error.code");
	edited_refused(good, "\"path\":\"/usr/share/kvm/notes.txt\"", "\"path\":\"/zzz\"", -EINVAL,
		       "files.items[2].path: out of order");
	edited_refused(good, "\"dirs\":[\"/usr/share/kvm\",",
		       "\"dirs\":[\"/usr/share/kvm\",\"/a\",", -EINVAL,
		       "files.dirs[1]: out of order");
	edited_refused(good, "\"files\":{", "\"files\":[],\"x\":{", -EINVAL,
		       "files: expected an object");

	/* strings no longer than HOST_SNAPSHOT_MAX_STRING */
	char *long_value = malloc(HOST_SNAPSHOT_MAX_STRING + 16);
	strcpy(long_value, "\"node\":\"");
	memset(long_value + 8, 'n', HOST_SNAPSHOT_MAX_STRING + 1);
	strcpy(long_value + 8 + HOST_SNAPSHOT_MAX_STRING + 1, "\"");
	edited_refused(good, "\"node\":\"pve1\"", long_value, -EINVAL,
		       "node: longer than 4096 bytes");
	free(long_value);
	free(good);
}

/* Lists longer than the host reader makes them: -E2BIG before an entry is read. */
static void counts_are_bounded(void **state)
{
	(void)state;
	char *good = good_snapshot();
	size_t n = HOST_MAX_PCI_DEVICES + 1;
	char *many = malloc(n * 3 + 64);
	char *p = many + sprintf(many, "\"pci\":{\"devices\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{}", i ? "," : "");
	strcpy(p, "],\"x\":[");
	edited_refused(good, "\"pci\":{\"devices\":[", many, -E2BIG,
		       "pci.devices: 16385 entries, more than the 16384 pcipt reads");
	free(many);

	char images[17 * 3 + 32];
	p = images + sprintf(images, "\"images\":[");
	for (size_t i = 0; i < OPTIONROM_MAX_IMAGES + 1; i++)
		p += sprintf(p, "%s{}", i ? "," : "");
	strcpy(p, "],\"x\":[");
	edited_refused(good, "\"images\":[", images, -E2BIG,
		       "files.items[0].rom.images: 17 entries, more than the 16");
	free(good);
}

/* Members a later version of the same schema may add are passed over. */
static void unknown_members_ignored(void **state)
{
	(void)state;
	char *good = good_snapshot();
	char *a = replace(good, "\"node\":", "\"future\":{\"x\":[1,2,{\"y\":null}]},\"node\":");
	char *b = replace(a, "\"is_bridge\":", "\"numa_node\":0,\"is_bridge\":");
	struct host h;
	struct pcipt_error err;
	assert_int_equal(host_snapshot_read(b, strlen(b), &h, &err), 0);
	char *text;
	size_t size;
	assert_int_equal(host_snapshot_write(&h, &text, &size, &err), 0);
	assert_string_equal(text, good);
	free(text);
	host_free(&h);
	free(a);
	free(b);
	free(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_survives),
		cmocka_unit_test(bootloaders_survive),
		cmocka_unit_test(empty_host_survives),
		cmocka_unit_test(writer_refuses_what_cannot_be_read),
		cmocka_unit_test(fixture_hosts_survive),
		cmocka_unit_test(bench_host_is_compact),
		cmocka_unit_test(syntax_errors_have_a_place),
		cmocka_unit_test(wrong_schema_or_version),
		cmocka_unit_test(fields_checked_by_path),
		cmocka_unit_test(counts_are_bounded),
		cmocka_unit_test(unknown_members_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
