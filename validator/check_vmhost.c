/* Host checks of one VM: its devices as this machine has them.  Pure: the host snapshot,
 * the files the VM names (read beforehand into struct vm_files) and the rules. */
#include "checks.h"
#include "vmdevices.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vm_check {
	const struct checked_config *c;
	const struct host_view *view;
	const struct host *host;
	const struct vm_devices *devices;
	const struct rules *rules;
	struct findings *out;
};

static struct finding *report(const struct vm_check *k, enum check_id check, enum severity sev,
			      unsigned line, const struct host_pci_device *dev)
{
	struct finding *f = findings_add(k->out, check, sev, &k->c->source, line);
	if (dev)
		finding_device(f, dev->address);
	return f;
}

/* "0000:01:00.0 (NVIDIA Corporation GP104 [GeForce GTX 1080])".  Only for a finding being
 * written: the name comes from pci.ids, which libpci reads whole on the first lookup (a third
 * of a host check's time), so a check that may report nothing describes nothing first. */
static char *describe(const struct vm_check *k, const struct host_pci_device *d)
{
	return xasprintf("%s (%s)", d->address, host_pci_name(&k->host->pci, d));
}

/* "0000:00:1f.3 (Intel Corporation SATA controller, driver ahci)" */
static char *describe_with_driver(const struct vm_check *k, const struct host_pci_device *d)
{
	const char *name = host_pci_name(&k->host->pci, d);
	return d->driver ? xasprintf("%s (%s, driver %s)", d->address, name, d->driver)
			 : xasprintf("%s (%s, no driver)", d->address, name);
}

/* --- resolution: device-missing, device-ids ---------------------------------------------- */

static void report_resolution(const struct vm_check *k)
{
	for (size_t i = 0; i < k->devices->problem_count; i++) {
		const struct vm_device_problem *p = &k->devices->problems[i];
		const struct pve_hostpci *h = &k->c->config->vm.hostpci[p->hostpci].dev;
		struct finding *f;
		switch (p->kind) {
		case VM_DEVICE_MISSING:
			f = report(k, CHECK_DEVICE_MISSING, SEVERITY_ERROR, p->line, NULL);
			finding_message(f,
					"hostpci%d: there is no PCI device %s on this host; "
					"Proxmox will fail to start the VM",
					p->hostpci, p->detail);
			finding_hint(f, "check the address with `lspci -D` (cards move when slots "
					"or firmware settings change) or pass the device through a "
					"resource mapping");
			break;
		case VM_MAPPING_UNKNOWN:
			f = report(k, CHECK_DEVICE_MISSING, SEVERITY_ERROR, p->line, NULL);
			finding_message(f,
					"hostpci%d: resource mapping '%s' does not exist in %s; "
					"Proxmox will fail to start the VM",
					p->hostpci, p->detail, PATH_PVE_PCI_MAPPING);
			finding_hint(f, "create it under Datacenter > Resource Mappings or fix the "
					"name");
			break;
		case VM_MAPPING_NOT_ON_NODE:
			f = report(k, CHECK_DEVICE_MISSING, SEVERITY_ERROR, p->line, NULL);
			finding_message(f,
					"hostpci%d: resource mapping '%s' has no device on this "
					"node (%s); Proxmox will fail to start the VM here",
					p->hostpci, h->mapping, p->detail);
			finding_hint(f, "add this node's device to the mapping under Datacenter > "
					"Resource Mappings");
			break;
		case VM_MAPPING_INVALID:
			f = report(k, CHECK_DEVICE_IDS, SEVERITY_ERROR, p->line, NULL);
			finding_message(f,
					"hostpci%d: resource mapping '%s' (%s line %u) does not "
					"match the hardware: %s; Proxmox refuses to start the VM "
					"(\"PCI device mapping invalid (hardware probably "
					"changed)\")",
					p->hostpci, h->mapping, PATH_PVE_PCI_MAPPING, p->map_line,
					p->detail);
			finding_hint(f, "edit the mapping under Datacenter > Resource Mappings to "
					"the device now in that slot, or put the card back");
			break;
		}
	}
}

/* --- groups: group-isolation, host-critical, rmrr ---------------------------------------- */

static void free_drivers(const struct rules *rules, const char *const **ret, size_t *count)
{
	static const char *const builtin[] = {"vfio-pci", "pci-stub"};
	const struct rules_check *check = rules ? &rules->checks[CHECK_GROUP_ISOLATION] : NULL;
	if (check && check->params && check->params[0].count) {
		*ret = (const char *const *)check->params[0].items;
		*count = check->params[0].count;
		return;
	}
	*ret = builtin;
	*count = 2;
}

static bool group_done(int *done, size_t *n, int group)
{
	for (size_t i = 0; i < *n; i++) {
		if (done[i] == group)
			return true;
	}
	done[(*n)++] = group;
	return false;
}

static void check_group(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	const struct host_iommu_group *g = host_iommu_group(&k->host->iommu, d->iommu_group);
	if (!g)
		return;
	const char *const *frees;
	size_t nfree;
	free_drivers(k->rules, &frees, &nfree);
	char *peers = NULL;
	size_t npeers = 0;
	for (size_t i = 0; i < g->device_count; i++) {
		const struct host_pci_device *p = host_pci_find(&k->host->pci, g->devices[i]);
		if (!p || p->is_bridge || vm_devices_has(k->devices, p->address) ||
		    host_device_free(p, frees, nfree))
			continue;
		char *desc = describe_with_driver(k, p);
		char *joined = peers ? xasprintf("%s, %s", peers, desc) : xstrdup(desc);
		free(peers);
		free(desc);
		peers = joined;
		npeers++;
	}
	if (npeers) {
		char *self = describe(k, d);
		struct finding *f = report(k, CHECK_GROUP_ISOLATION, SEVERITY_ERROR, vd->line, d);
		if (vd->keep)
			finding_message(f,
					"hostpci%d: %s shares IOMMU group %d with %s; with "
					"driver=keep Proxmox binds nothing, and QEMU refuses a "
					"group whose devices are not all on vfio-pci (\"group is "
					"not viable\")",
					vd->hostpci, self, g->number, peers);
		else
			finding_message(f,
					"hostpci%d: %s shares IOMMU group %d with %s; Proxmox "
					"binds every device of the group to vfio-pci at start, so "
					"the host loses %s",
					vd->hostpci, self, g->number, peers,
					npeers > 1 ? "them" : "it");
		finding_hint(f,
			     "pass the whole group to this VM, move the card to another slot, or "
			     "see `pcipt-validate --groups`");
		free(self);
	}
	free(peers);

	const struct host_region *r = host_group_direct_region(g);
	if (r) {
		char *self = describe(k, d);
		struct finding *f = report(k, CHECK_RMRR, SEVERITY_ERROR, vd->line, d);
		finding_message(f,
				"hostpci%d: IOMMU group %d of %s has a firmware-reserved "
				"direct-mapped range %llx-%llx (an RMRR, or an IVMD on AMD); "
				"the kernel refuses to attach it to a VM (\"Firmware has "
				"requested this device have a 1:1 IOMMU mapping\", before 6.3 "
				"\"ineligible for IOMMU domain attach due to platform RMRR "
				"requirement\")",
				vd->hostpci, g->number, self, r->start, r->end);
		finding_hint(f, "check for a firmware update or setting that drops the RMRR for "
				"this slot (often a \"shared memory\"/management feature of the "
				"NIC or GPU), or use another slot");
		free(self);
	}
}

static void check_host_critical(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	const struct host_use *use = host_uses_find(&k->host->uses, d->address);
	if (use) {
		char *self = describe(k, d);
		struct finding *f = report(k, CHECK_HOST_CRITICAL, SEVERITY_ERROR, vd->line, d);
		finding_message(f,
				"hostpci%d: %s carries the host's %s %s; binding it to vfio-pci "
				"at start takes that away from the host",
				vd->hostpci, self,
				use->kind == HOST_USE_MOUNT ? "filesystem" : "network", use->what);
		finding_hint(f,
			     "never pass a device the host runs on; pick another device, or "
			     "move the host's %s off it first",
			     use->kind == HOST_USE_MOUNT ? "storage" : "network");
		free(self);
	}
	const struct host_iommu_group *g = host_iommu_group(&k->host->iommu, d->iommu_group);
	for (size_t i = 0; g && i < g->device_count; i++) {
		const struct host_pci_device *p = host_pci_find(&k->host->pci, g->devices[i]);
		if (!p || p == d || p->is_bridge || vm_devices_has(k->devices, p->address))
			continue;
		const struct host_use *pu = host_uses_find(&k->host->uses, p->address);
		if (!pu)
			continue;
		char *self = describe(k, d), *peer = describe(k, p);
		struct finding *f = report(k, CHECK_HOST_CRITICAL, SEVERITY_ERROR, vd->line, d);
		finding_message(f,
				"hostpci%d: %s is in IOMMU group %d with %s, which carries the "
				"host's %s %s; Proxmox binds the whole group to vfio-pci at "
				"start",
				vd->hostpci, self, g->number, peer,
				pu->kind == HOST_USE_MOUNT ? "filesystem" : "network", pu->what);
		finding_hint(f, "move the card to a slot in another IOMMU group "
				"(`pcipt-validate --groups`)");
		free(self);
		free(peer);
	}
}

/* --- per device ---------------------------------------------------------------------------- */

static void check_sriov(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	if (vd->mdev || d->sriov_numvfs <= 0)
		return;
	char *self = describe(k, d);
	struct finding *f = report(k, CHECK_SRIOV_PF, SEVERITY_ERROR, vd->line, d);
	finding_message(f,
			"hostpci%d: %s is an SR-IOV physical function with %d virtual "
			"function%s enabled; binding it to vfio-pci destroys them and every "
			"user of them loses its device",
			vd->hostpci, self, d->sriov_numvfs, d->sriov_numvfs > 1 ? "s" : "");
	finding_hint(f,
		     "pass one of its virtual functions instead, or disable them first "
		     "(echo 0 > " PATH_SYS_PCI_DEVICES "/%s/sriov_numvfs)",
		     d->address);
	free(self);
}

static void check_boot_vga(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	if (d->boot_vga != 1)
		return;
	const struct host_iomem *iomem = &k->host->iomem;
	const struct host_boot *b = &k->host->boot;
	char *self = NULL; /* described only for a finding: see describe() */
	if (!iomem->readable) {
		struct finding *f = report(k, CHECK_BOOT_VGA, SEVERITY_INFO, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: %s is the GPU the host booted on; whether a firmware "
				"framebuffer still holds its memory is unknown (run as root to "
				"read /proc/iomem)",
				vd->hostpci, self);
		finding_hint(f, "run pcipt-validate as root");
		free(self);
		return;
	}
	for (int i = 0; i < 6; i++) {
		const struct host_pci_bar *bar = &d->bars[i];
		if (!bar->memory || !bar->size)
			continue;
		const struct host_framebuffer *fb =
			host_iomem_framebuffer_in(iomem, bar->start, bar->size);
		if (!fb)
			continue;
		struct finding *f = report(k, CHECK_BOOT_VGA, SEVERITY_WARNING, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: %s is the GPU the host booted on, and the firmware "
				"framebuffer %s holds %llx-%llx inside its BAR %d; vfio-pci "
				"cannot claim it (\"BAR %d: can't reserve\") and the guest gets "
				"a black screen",
				vd->hostpci, self, fb->name, fb->start, fb->end, i, i);
		finding_hint(f,
			     "add initcall_blacklist=sysfb_init (kernels before 5.15: "
			     "video=efifb:off video=vesafb:off) to %s, run `%s` and reboot; or "
			     "make another GPU primary in the firmware setup",
			     b->next_file, b->apply);
		break;
	}
	free(self);
}

static void check_reset(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	if (vd->mdev)
		return;
	bool none = d->reset_method ? d->reset_method[0] == '\0' : !d->has_reset;
	char *self = NULL; /* described only for a finding: see describe() */
	if (none) {
		struct finding *f = report(k, CHECK_RESET_METHOD, SEVERITY_WARNING, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: %s offers no reset method; after the VM stops or "
				"reboots the device keeps its state and may not work again until "
				"the host reboots",
				vd->hostpci, self);
		finding_hint(f, "known for some GPUs (the \"reset bug\"): look for a vendor-reset "
				"module for this card, or plan to reboot the host between uses");
	} else if (d->reset_method && strcmp(d->reset_method, "bus") == 0) {
		char *others = NULL;
		for (size_t i = 0; i < k->host->pci.count; i++) {
			const struct host_pci_device *p = &k->host->pci.devices[i];
			if (p->domain != d->domain || p->bus != d->bus || p == d ||
			    vm_devices_has(k->devices, p->address))
				continue;
			char *joined = others ? xasprintf("%s, %s", others, p->address)
					      : xstrdup(p->address);
			free(others);
			others = joined;
		}
		if (others) {
			struct finding *f =
				report(k, CHECK_BUS_RESET_SCOPE, SEVERITY_WARNING, vd->line, d);
			self = describe(k, d);
			finding_message(f,
					"hostpci%d: %s can only be reset through its bus, which "
					"also holds %s, not passed to this VM; vfio-pci refuses a "
					"bus reset that would hit devices it does not own, so the "
					"device keeps its state from one VM start to the next",
					vd->hostpci, self, others);
			finding_hint(f,
				     "pass every device on that bus to this VM, or move the card "
				     "to a slot of its own");
			free(others);
		}
	}
	free(self);
}

static void check_power(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	if (!d->power_state || strcmp(d->power_state, "D3cold") != 0)
		return;
	char *self = describe(k, d);
	struct finding *f = report(k, CHECK_D3COLD, SEVERITY_WARNING, vd->line, d);
	finding_message(f,
			"hostpci%d: %s is powered off (D3cold); some devices do not come "
			"back from D3cold and the VM start fails or the guest sees a dead "
			"device",
			vd->hostpci, self);
	finding_hint(f,
		     "keep it out of D3cold: echo 0 > " PATH_SYS_PCI_DEVICES "/%s/d3cold_allowed "
		     "(or `options vfio-pci disable_idle_d3=1` in /etc/modprobe.d/vfio.conf)",
		     d->address);
	free(self);
}

/* A group peer another VM holds: Proxmox binds the group, QEMU cannot open it (busy). */
static void check_peers_in_use(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	const struct host_iommu_group *g = host_iommu_group(&k->host->iommu, d->iommu_group);
	for (size_t i = 0; g && i < g->device_count; i++) {
		const struct host_pci_device *p = host_pci_find(&k->host->pci, g->devices[i]);
		if (!p || p == d || vm_devices_has(k->devices, p->address))
			continue;
		long holder = host_runstate_holder(&k->host->runstate, p->address,
						   k->c->source.vmid, NULL);
		if (holder < 0)
			continue;
		char *self = describe(k, d), *peer = describe(k, p);
		struct finding *f = report(k, CHECK_IN_USE, SEVERITY_ERROR, vd->line, d);
		finding_message(f,
				"hostpci%d: %s is in IOMMU group %d with %s, which VM %ld holds; "
				"a group belongs to one VM at a time, so this VM cannot start "
				"while VM %ld runs",
				vd->hostpci, self, g->number, peer, holder, holder);
		finding_hint(f,
			     "stop VM %ld first, or move one of the cards to another IOMMU group",
			     holder);
		free(self);
		free(peer);
	}
}

static void check_in_use(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	const char *how = NULL;
	long holder = host_runstate_holder(&k->host->runstate, d->address, k->c->source.vmid, &how);
	if (holder < 0) {
		check_peers_in_use(k, vd);
		return;
	}
	char *self = describe(k, d);
	struct finding *f = report(k, CHECK_IN_USE, SEVERITY_ERROR, vd->line, d);
	if (strcmp(how, "reserved") == 0)
		finding_message(f,
				"hostpci%d: %s is reserved by VM %ld; Proxmox will refuse to "
				"start this VM (\"PCI device '%s' already in use by VMID "
				"'%ld'\", or \"is currently reserved for use by VMID '%ld'\" while "
				"that VM starts)",
				vd->hostpci, self, holder, d->address, holder, holder);
	else
		finding_message(f, "hostpci%d: %s is in use by the running VM %ld", vd->hostpci,
				self, holder);
	finding_hint(f, "stop VM %ld first, or give this VM another device", holder);
	free(self);
}

/* --- x-vga ----------------------------------------------------------------------------------- */

/* Class and subclass of a VGA-compatible controller: the only devices vfio-pci gives a VGA
 * region (vfio_pci_is_vga(): pdev->class >> 8 == PCI_CLASS_DISPLAY_VGA), and then only while
 * its disable_vga parameter is off. */
#define PCI_CLASS_DISPLAY_VGA 0x0300
#define PCI_CLASS_DISPLAY_3D 0x0302

/* What QEMU says when x-vga=on meets a device without a VGA region (hw/vfio/pci.c:
 * vfio_populate_vga()'s error, then the hint vfio_populate_device() appends); verified with
 * QEMU 7.2 on a NIC and with vfio-pci disable_vga=1.  %s: the device's address. */
#define QEMU_NO_VGA_REGION                                                                         \
	"(\"vfio %s: failed getting region info for VGA region index 8: Invalid argument\", "      \
	"\"device does not support requested feature x-vga\")"

#define DISABLE_VGA_PARAM PATH_SYS_MODULE "/vfio_pci/parameters/disable_vga"

static void check_xvga_vga_region(const struct vm_check *k, const struct vm_device *vd)
{
	const struct host_pci_device *d = vd->dev;
	const struct host *h = k->host;
	char *self = NULL; /* described only for a finding: see describe() */
	struct finding *f;
	unsigned cls = d->class_code >> 8;
	if (cls != PCI_CLASS_DISPLAY_VGA) {
		f = report(k, CHECK_XVGA_DEVICE, SEVERITY_ERROR, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: x-vga=1 on %s, which is not a VGA controller (class "
				"%04x, not 0300): vfio-pci gives it no VGA region, and QEMU "
				"refuses to start the VM " QEMU_NO_VGA_REGION,
				vd->hostpci, self, cls, d->address);
		if (cls == PCI_CLASS_DISPLAY_3D)
			finding_hint(f,
				     "a 3D controller (class 0302: a compute GPU, or a laptop's "
				     "render-only GPU) has no VGA function and cannot be the VM's "
				     "boot display: remove x-vga=1 from hostpci%d and keep an "
				     "emulated display (vga:)",
				     vd->hostpci);
		else
			finding_hint(f,
				     "x-vga=1 (\"Primary GPU\") is for a VGA-class GPU (class "
				     "0300) only: remove it from hostpci%d",
				     vd->hostpci);
		free(self);
		return;
	}

	/* vfio-pci's disable_vga (a parameter of vfio_pci; S_IRUGO, so readable in /sys/module)
	 * holds for every device it drives.  Live when the module is loaded; otherwise the
	 * modprobe.d options it will be loaded with (Proxmox runs `modprobe vfio-pci` at start). */
	const char *live = host_module_param(&h->modules, "vfio_pci", "disable_vga");
	bool loaded = live != NULL;
	const struct modprobe_statement *st = NULL;
	const char *configured = host_module_option(&h->modules, "vfio_pci", "disable_vga", &st);
	bool set = configured && module_param_true(configured);
	bool live_on = loaded && module_param_true(live);
	const char *ovmf_way = "or give this VM bios: ovmf (Proxmox then drops x-vga; the card "
			       "needs a UEFI ROM)";
	if (live_on || (!loaded && set)) {
		char *where = set ? xasprintf("%s:%u", st->file, st->line)
				  : xasprintf(DISABLE_VGA_PARAM " is %s", live);
		f = report(k, CHECK_XVGA_DEVICE, SEVERITY_ERROR, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: x-vga=1 on %s, but vfio-pci %s with disable_vga=1 "
				"(%s): it gives no card a VGA region, and QEMU refuses to start "
				"the VM " QEMU_NO_VGA_REGION,
				vd->hostpci, self, loaded ? "runs" : "will load", where,
				d->address);
		if (set)
			finding_hint(f,
				     "remove disable_vga=1 from %s (line %u), run "
				     "`update-initramfs -u -k all`%s; %s",
				     st->file, st->line, loaded ? " and reboot" : "", ovmf_way);
		else
			finding_hint(f,
				     "no modprobe.d file sets it now: rebuild the initramfs "
				     "(`update-initramfs -u -k all`), take vfio_pci.disable_vga=1 "
				     "off the kernel command line if it is there, and reboot; %s",
				     ovmf_way);
		free(where);
	} else if (loaded && set) {
		f = report(k, CHECK_XVGA_DEVICE, SEVERITY_WARNING, vd->line, d);
		self = describe(k, d);
		finding_message(f,
				"hostpci%d: x-vga=1 on %s: vfio-pci runs without disable_vga "
				"now, but %s:%u sets disable_vga=1 for its next load (the next "
				"boot); then it gives no card a VGA region, and QEMU refuses "
				"x-vga (\"device does not support requested feature x-vga\")",
				vd->hostpci, self, st->file, st->line);
		finding_hint(f,
			     "remove disable_vga=1 from %s (line %u) and run "
			     "`update-initramfs -u -k all`; %s",
			     st->file, st->line, ovmf_way);
	}
	free(self);
}

/* x-vga=1 needs a VGA region.  Proxmox passes x-vga=on only where it keeps it: on the first
 * function of the line, and not with bios=ovmf (QemuServer/PCI.pm, print_hostpci_devices). */
static void check_xvga(const struct vm_check *k)
{
	const struct pve_vm *vm = &k->c->config->vm;
	if (vm->bios_type == PVE_BIOS_OVMF)
		return; /* xvga-ovmf says that x-vga is dropped */
	int done = -1;
	for (size_t i = 0; i < k->devices->count; i++) {
		const struct vm_device *vd = &k->devices->items[i];
		if (vd->hostpci == done)
			continue;
		done = vd->hostpci; /* items are in hostpci order: this is the line's first */
		/* a mediated device's regions come from its vendor driver, not from the parent
		 * pcipt can see */
		if (vm->hostpci[vd->hostpci].dev.x_vga == 1 && !vd->mdev)
			check_xvga_vga_region(k, vd);
	}
}

/* --- ROM files ----------------------------------------------------------------------------- */

static bool rom_has_code(const struct optionrom *rom, unsigned type)
{
	for (size_t i = 0; i < rom->count; i++) {
		if (rom->images[i].code_type == type)
			return true;
	}
	return false;
}

/* What a readable romfile QEMU cannot use costs.  QEMU loads any readable file into the ROM BAR
 * and starts the VM (a file of zeros included); the guest firmware walks the images and skips
 * one without 0x55AA and PCIR, or made for other ids (SeaBIOS's map_pcirom compares vendor and
 * device).  So the card works, without what its ROM would have done before the guest's driver
 * loads. */
#define ROM_SKIPPED                                                                                \
	"the card runs without its option ROM (a primary GPU may stay dark until the guest's "     \
	"driver loads)"

static void check_rom(const struct vm_check *k, const struct vm_files *files, int index)
{
	const struct pve_hostpci_setting *s = &k->c->config->vm.hostpci[index];
	const char *path = files->rom_path[index];
	if (!s->raw.set || !path)
		return;
	const struct host_rom *rom = &files->rom[index];
	struct finding *f;
	/* QEMU refuses a romfile it cannot find or read, and an empty one (pci_add_option_rom():
	 * "romfile \"%s\" is empty"); whatever else it can read, it loads */
	if (rom->read_error || rom->size == 0) {
		f = report(k, CHECK_ROMFILE_MISSING, SEVERITY_ERROR, s->raw.line, NULL);
		if (!rom->read_error)
			finding_message(f,
					"hostpci%d: romfile=%s: %s is empty; QEMU refuses to "
					"start the VM (\"romfile \"%s\" is empty\")",
					index, s->dev.romfile, path, path);
		else if (rom->read_error == -ENOENT)
			finding_message(f,
					"hostpci%d: romfile=%s: %s does not exist; QEMU will "
					"fail to start the VM",
					index, s->dev.romfile, path);
		else if (rom->kind)
			/* never opened for reading: a named pipe would block the reader */
			finding_message(f,
					"hostpci%d: romfile=%s: %s is %s, not a regular file; "
					"QEMU cannot load a ROM from it",
					index, s->dev.romfile, path, rom->kind);
		else
			finding_message(f, "hostpci%d: romfile=%s: cannot read %s: %s", index,
					s->dev.romfile, path,
					rom->read_error == -EFBIG ? "larger than any PCI option ROM"
								  : strerror(-rom->read_error));
		finding_hint(f,
			     "put the card's ROM image at %s (from the vendor, or dumped "
			     "from the card on a host that does not use it)",
			     path);
		return;
	}
	if (!rom->parsed) {
		f = report(k, CHECK_ROMFILE_FORMAT, SEVERITY_WARNING, s->raw.line, NULL);
		finding_message(f,
				"hostpci%d: romfile=%s is not a PCI option ROM: %s; QEMU starts "
				"the VM with it and the guest firmware skips what it cannot "
				"parse: " ROM_SKIPPED,
				index, s->dev.romfile, rom->parse_error.message);
		finding_hint(f, "use an image that starts with 0x55 0xAA and has a PCIR structure; "
				"a dump from a flashing tool may carry a header to strip");
		return;
	}
	const struct optionrom *r = &rom->rom;
	for (size_t i = 0; i < k->devices->count; i++) {
		const struct vm_device *vd = &k->devices->items[i];
		if (vd->hostpci != index || vd->dev->function != 0)
			continue;
		bool vendor = false, device = false;
		for (size_t m = 0; m < r->count; m++) {
			vendor |= r->images[m].vendor == vd->dev->vendor;
			device |= r->images[m].vendor == vd->dev->vendor &&
				  r->images[m].device == vd->dev->device;
		}
		if (!device) {
			char *self = describe(k, vd->dev);
			/* same vendor: one step milder, an EFI driver in it may well take
			 * the card (a GOP driver often serves a whole family) */
			f = report(k, CHECK_ROMFILE_FORMAT,
				   vendor ? SEVERITY_INFO : SEVERITY_WARNING, s->raw.line, vd->dev);
			finding_message(
				f,
				"hostpci%d: romfile=%s is for %04x:%04x, but %s is "
				"%04x:%04x%s",
				index, s->dev.romfile, r->images[0].vendor, r->images[0].device,
				self, vd->dev->vendor, vd->dev->device,
				vendor ? " (same vendor: fine only if the vendor made one ROM "
					 "for both)"
				       : "; QEMU starts the VM with it, but the guest "
					 "firmware runs no image made for another card: " ROM_SKIPPED);
			finding_hint(f, "use the ROM of this exact card");
			free(self);
		}
		break;
	}
	bool ovmf = k->c->config->vm.bios_type == PVE_BIOS_OVMF;
	if (ovmf && !optionrom_efi_image(r)) {
		f = report(k, CHECK_ROM_UEFI, SEVERITY_WARNING, s->raw.line, NULL);
		finding_message(f,
				"hostpci%d: romfile=%s has no x64 EFI image (code type 3); "
				"with bios: ovmf the card shows nothing until the guest's driver "
				"loads",
				index, s->dev.romfile);
		finding_hint(f, "use a ROM with a UEFI (GOP) image for this card, or bios: "
				"seabios");
	} else if (!ovmf && !rom_has_code(r, OPTIONROM_CODE_X86)) {
		f = report(k, CHECK_ROM_UEFI, SEVERITY_WARNING, s->raw.line, NULL);
		finding_message(f,
				"hostpci%d: romfile=%s has no x86 legacy image (code type 0); "
				"SeaBIOS cannot run it",
				index, s->dev.romfile);
		finding_hint(f, "use bios: ovmf with this ROM, or a ROM with a legacy image");
	}
}

/* --- hookscript ------------------------------------------------------------------------------ */

static void check_hookscript(const struct vm_check *k, const struct vm_files *files)
{
	const struct pve_vm *vm = &k->c->config->vm;
	if (!vm->hookscript.set)
		return;
	const char *volume = vm->hookscript.value;
	struct finding *f;
	if (!files->hook_path) {
		if (!files->hook_unresolved.code)
			return; /* a value Proxmox drops: config-syntax says so */
		f = report(k, CHECK_HOOKSCRIPT_MISSING, SEVERITY_ERROR, vm->hookscript.line, NULL);
		finding_message(f, "hookscript %s %s; Proxmox will refuse to start the VM", volume,
				files->hook_unresolved.message);
		finding_hint(f,
			     "put the script in a storage's snippets directory and set it with "
			     "`qm set %ld --hookscript local:snippets/NAME`",
			     k->c->source.vmid);
		return;
	}
	const char *why = NULL;
	if (files->hook_error == -ENOENT)
		why = "does not exist";
	else if (files->hook_error)
		why = strerror(-files->hook_error);
	else if (!files->hook_regular)
		why = "is not a regular file";
	else if (!(files->hook_mode & 0111))
		why = "is not executable";
	if (!why)
		return;
	f = report(k, CHECK_HOOKSCRIPT_MISSING, SEVERITY_ERROR, vm->hookscript.line, NULL);
	finding_message(f, "hookscript %s: %s %s; Proxmox will refuse to start the VM", volume,
			files->hook_path, why);
	if (files->hook_error == 0 && files->hook_regular)
		finding_hint(f, "chmod +x %s", files->hook_path);
	else
		finding_hint(f, "install the script at %s (mode 0755) or fix the volume id",
			     files->hook_path);
}

void check_vm_on_host(const struct checked_config *c, const struct vm_devices *devices,
		      const struct host_view *view, const struct vm_files *files,
		      const struct rules *rules, struct findings *out)
{
	struct vm_check k = {c, view, view->host, devices, rules, out};
	report_resolution(&k);
	check_expanded_lines(c, devices, out);
	int *groups_done = xcalloc(devices->count + 1, sizeof(int));
	size_t ngroups = 0;
	for (size_t i = 0; i < devices->count; i++) {
		const struct vm_device *vd = &devices->items[i];
		bool first_of_address = true;
		for (size_t j = 0; j < i; j++)
			first_of_address &= devices->items[j].dev != vd->dev;
		if (!first_of_address)
			continue; /* the same function on two lines: hostpci-duplicate */
		if (vd->dev->iommu_group >= 0 && !vd->mdev &&
		    !group_done(groups_done, &ngroups, vd->dev->iommu_group))
			check_group(&k, vd);
		else if (vd->dev->iommu_group < 0 && host_iommu_enabled(view->host)) {
			char *self = describe(&k, vd->dev);
			struct finding *f = report(&k, CHECK_GROUP_ISOLATION, SEVERITY_ERROR,
						   vd->line, vd->dev);
			finding_message(f,
					"hostpci%d: %s is in no IOMMU group; vfio-pci cannot "
					"take it",
					vd->hostpci, self);
			finding_hint(f, "check `dmesg | grep -i iommu` for this device");
			free(self);
		}
		check_host_critical(&k, vd);
		check_sriov(&k, vd);
		check_boot_vga(&k, vd);
		check_reset(&k, vd);
		check_power(&k, vd);
		check_in_use(&k, vd);
	}
	free(groups_done);
	check_xvga(&k);
	for (int i = 0; i < PVE_MAX_HOSTPCI; i++)
		check_rom(&k, files, i);
	check_hookscript(&k, files);
	check_device_rules_on_host(c, view, devices, rules, out);
}
