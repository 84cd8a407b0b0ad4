/* Host readiness: what every passthrough on this machine needs, whatever the VM. */
#include "checks.h"

#include "../lib/paths.h"
#include "../lib/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct finding *report(const struct host_view *v, struct findings *out, enum check_id check,
			      enum severity severity, const char *file, unsigned line)
{
	struct source_ref src = {file, v->source_index, -1};
	return findings_add(out, check, severity, &src, line);
}

/* Whose IOMMU the hints must name.  The firmware's ACPI table says which IOMMU the machine has
 * (DMAR: Intel VT-d, IVRS: AMD-Vi); the CPU vendor says it only when there is no table or both:
 * a nested Proxmox on an AMD CPU may well have an Intel IOMMU (QEMU's `-device intel-iommu`,
 * Proxmox's `viommu=intel`), and then intel_iommu= is the word that matters. */
static bool is_amd(const struct host *h)
{
	if (h->iommu.acpi_dmar != h->iommu.acpi_ivrs)
		return h->iommu.acpi_ivrs;
	return h->iommu.cpu == HOST_CPU_AMD;
}

static bool word_is(const struct cmdline *c, const char *key, const char *value)
{
	const char *v = cmdline_value(c, key);
	return v && strcmp(v, value) == 0;
}

/* Where the next boot's command line comes from, for hints: "/etc/default/grub (line 6)". */
static char *next_boot_place(const struct host_boot *b)
{
	if (b->loader == HOST_BOOT_GRUB)
		return b->have_next && b->next.line
			       ? xasprintf("GRUB_CMDLINE_LINUX_DEFAULT in %s (line %u)",
					   b->next_file, b->next.line)
			       : xasprintf("GRUB_CMDLINE_LINUX_DEFAULT in %s", b->next_file);
	return xstrdup(b->next_file);
}

static void check_iommu_enabled(const struct host_view *v, struct findings *out)
{
	const struct host *h = v->host;
	if (host_iommu_enabled(h))
		return;
	const struct host_boot *b = &h->boot;
	/* Intel needs intel_iommu=on (default on only in some kernels, Proxmox's 6.8 among
	 * them); the AMD IOMMU is on unless switched off, and amd_iommu has no "on" value */
	bool amd = is_amd(h);
	const char *word = "intel_iommu=on";
	const char *key = amd ? "amd_iommu" : "intel_iommu";
	const char *firmware = amd ? "AMD-Vi/IOMMU (often \"IOMMU\" or \"SVM\" in AMD CBS/NBIO)"
				   : "VT-d (Intel Virtualization Technology for Directed I/O)";
	bool table = amd ? h->iommu.acpi_ivrs : h->iommu.acpi_dmar;
	bool running_on = b->have_running && (amd || word_is(&b->running, key, "on"));
	bool running_off = b->have_running && (word_is(&b->running, key, "off") ||
					       word_is(&b->running, "iommu", "off"));
	bool next_on = b->have_next && word_is(&b->next, key, "on");
	bool next_off = b->have_next &&
			(word_is(&b->next, key, "off") || word_is(&b->next, "iommu", "off"));
	char *place = next_boot_place(b);

	struct finding *f =
		report(v, out, CHECK_IOMMU_DISABLED, SEVERITY_ERROR, PATH_SYS_IOMMU_CLASS, 0);
	if (h->iommu.unit_count > 0)
		finding_message(f, "the IOMMU has units but no IOMMU groups: the kernel is not "
				   "isolating devices, and Proxmox cannot pass any through");
	else if (!table)
		finding_message(f,
				"no IOMMU is active, and the firmware describes none (no ACPI "
				"%s table): PCI passthrough is impossible until %s is enabled",
				amd ? "IVRS" : "DMAR", firmware);
	else if (running_off)
		finding_message(f, "no IOMMU is active: the running kernel was booted with %s",
				word_is(&b->running, key, "off")
					? (amd ? "amd_iommu=off" : "intel_iommu=off")
					: "iommu=off");
	else if (!b->have_running)
		/* what the running kernel was booted with is unknown: no cause is asserted */
		finding_message(f,
				"no IOMMU is active, and the running kernel's command line cannot "
				"be read (%s: %s): %s is unknown",
				PATH_PROC_CMDLINE, host_read_error(b->running_error),
				amd ? "whether it was booted with amd_iommu=off or iommu=off"
				    : "whether it has intel_iommu=on");
	else if (!running_on && next_on)
		finding_message(f,
				"no IOMMU is active: %s is set for the next boot but not in the "
				"running kernel's command line (/proc/cmdline)",
				word);
	else if (!running_on)
		finding_message(f, "no IOMMU is active: the kernel command line lacks %s", word);
	else if (amd)
		finding_message(f, "no IOMMU is active although the firmware has an IVRS table and "
				   "the AMD IOMMU is on by default");
	else
		finding_message(f, "no IOMMU is active although the kernel was booted with %s",
				word);

	if (h->iommu.unit_count > 0)
		finding_hint(f, "check `dmesg | grep -e DMAR -e IOMMU` for why the kernel gave up");
	else if (!table)
		finding_hint(f, "enable %s in the firmware setup, then boot again", firmware);
	else if (running_off || next_off)
		finding_hint(f, "remove the off switch from %s, run `%s` and reboot", place,
			     b->apply);
	else if (!b->have_running && amd)
		finding_hint(f,
			     "check `cat %s`; with amd_iommu=off or iommu=off there, run `%s` "
			     "and reboot (%s has neither)",
			     PATH_PROC_CMDLINE, b->apply, place);
	else if (!b->have_running && next_on)
		finding_hint(f,
			     "check `cat %s`; without %s there, run `%s` and reboot (%s has "
			     "it already)",
			     PATH_PROC_CMDLINE, word, b->apply, place);
	else if (!b->have_running)
		finding_hint(f,
			     "check `cat %s`; without %s there, add it to %s, run `%s` and "
			     "reboot",
			     PATH_PROC_CMDLINE, word, place, b->apply);
	else if (!running_on && next_on)
		finding_hint(f, "%s already has it: run `%s` if you have not, then reboot", place,
			     b->apply);
	else if (!running_on)
		finding_hint(f, "add %s to %s, run `%s` and reboot", word, place, b->apply);
	else
		finding_hint(f,
			     "check that %s is enabled in the firmware setup and look at "
			     "`dmesg | grep -e DMAR -e IOMMU -e AMD-Vi`",
			     firmware);
	free(place);
}

/* vfio_iommu_type1's allow_unsafe_interrupts, live ("Y"/"N") */
static bool unsafe_interrupts_allowed(const struct host *h)
{
	const char *value =
		host_module_param(&h->modules, "vfio_iommu_type1", "allow_unsafe_interrupts");
	return value && module_param_true(value);
}

static void check_interrupt_remapping(const struct host_view *v, struct findings *out)
{
	const struct host *h = v->host;
	if (!host_iommu_enabled(h))
		return; /* iommu-disabled says it first */
	bool unsafe = unsafe_interrupts_allowed(h);
	enum severity sev = unsafe ? SEVERITY_WARNING : SEVERITY_ERROR;
	const char *consequence =
		unsafe ? "vfio accepts it only because allow_unsafe_interrupts is on"
		       : "vfio refuses to pass devices through (\"No interrupt remapping support\")";
	const char *hint = "use a platform whose IOMMU remaps interrupts; if you accept that a "
			   "guest can then inject interrupts into the host, add `options "
			   "vfio_iommu_type1 allow_unsafe_interrupts=1` to "
			   "/etc/modprobe.d/iommu_unsafe_interrupts.conf and reboot";
	for (size_t i = 0; i < h->iommu.unit_count; i++) {
		const struct host_iommu_unit *u = &h->iommu.units[i];
		if (u->vendor != HOST_IOMMU_INTEL || !u->has_ecap ||
		    (u->ecap & INTEL_ECAP_INTERRUPT_REMAPPING))
			continue;
		char *file = xasprintf(PATH_SYS_IOMMU_CLASS "/%s/intel-iommu/ecap", u->name);
		struct finding *f = report(v, out, CHECK_INTERRUPT_REMAPPING, sev, file, 0);
		finding_message(f,
				"IOMMU unit %s cannot remap interrupts (ecap %llx: bit 3 is "
				"clear); %s",
				u->name, u->ecap, consequence);
		finding_hint(f, "%s", hint);
		free(file);
		return;
	}
	if (h->iommu.remapped_irq_chips == HOST_NO) {
		const struct cmdline *run = &h->boot.running;
		const char *why = !h->boot.have_running ? ""
				  : word_is(run, "intremap", "off")
					  ? " (the kernel was booted with intremap=off)"
				  : word_is(run, "intremap", "nosid") ? ""
				  : cmdline_value(run, "nointremap")
					  ? " (the kernel was booted with nointremap)"
					  : "";
		struct finding *f =
			report(v, out, CHECK_INTERRUPT_REMAPPING, sev, PATH_PROC_INTERRUPTS, 0);
		finding_message(f,
				"interrupts are not remapped: no IR- irq chip (IR-PCI-MSI, "
				"IR-IO-APIC) in /proc/interrupts%s; %s",
				why, consequence);
		if (*why)
			finding_hint(f,
				     "remove that word from the kernel command line (%s), run `%s` "
				     "and reboot",
				     h->boot.next_file, h->boot.apply);
		else
			finding_hint(f, "%s", hint);
	}
}

static void check_unsafe_interrupts(const struct host_view *v, struct findings *out)
{
	const struct host *h = v->host;
	const struct modprobe_statement *st = NULL;
	const char *configured =
		host_module_option(&h->modules, "vfio_iommu_type1", "allow_unsafe_interrupts", &st);
	bool live = unsafe_interrupts_allowed(h);
	bool set = configured && module_param_true(configured);
	if (!live && !set)
		return;
	struct finding *f = report(v, out, CHECK_UNSAFE_INTERRUPTS, SEVERITY_WARNING,
				   set ? st->file
				       : PATH_SYS_MODULE "/vfio_iommu_type1/parameters/"
							 "allow_unsafe_interrupts",
				   set ? st->line : 0);
	finding_message(f,
			"vfio_iommu_type1 allow_unsafe_interrupts is %s: a passed-through "
			"device can inject interrupts into the host (MSI attacks)",
			live ? "on" : "set for the next load");
	finding_hint(f,
		     "needed only on platforms without interrupt remapping; where the IOMMU "
		     "remaps interrupts, remove the option%s and reboot",
		     set ? " from this file" : "");
}

static void check_vfio_modules(const struct host_view *v, struct findings *out)
{
	const struct host *h = v->host;
	if (h->modules.loaded_count == 0)
		return; /* no /sys/module to look at: nothing is known */
	static const char *const needed[] = {"vfio", "vfio_iommu_type1", "vfio_pci"};
	char missing[96] = "";
	size_t n = 0;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (host_module_loaded(&h->modules, needed[i]) ||
		    host_module_listed(&h->modules, needed[i]))
			continue;
		if (n++)
			strcat(missing, ", ");
		strcat(missing, needed[i]);
	}
	if (!n)
		return;
	/* Proxmox runs `modprobe vfio-pci` itself at start (SysFSTools), so this is no reason
	 * for a failed start; but binding by hand or by pcipt-hook needs them */
	struct finding *f =
		report(v, out, CHECK_VFIO_MODULES, SEVERITY_WARNING, PATH_ETC_MODULES, 0);
	finding_message(f, "%s %s neither loaded nor listed to load at boot", missing,
			n > 1 ? "are" : "is");
	finding_hint(f, "add the lines vfio, vfio_iommu_type1 and vfio_pci to /etc/modules, run "
			"`update-initramfs -u -k all` and reboot (or `modprobe vfio_pci` for now)");
}

static void check_acs_override(const struct host_view *v, struct findings *out)
{
	const struct host_boot *b = &v->host->boot;
	const char *value =
		b->have_running ? cmdline_value(&b->running, "pcie_acs_override") : NULL;
	if (!value)
		return;
	struct finding *f =
		report(v, out, CHECK_ACS_OVERRIDE, SEVERITY_WARNING, PATH_PROC_CMDLINE, 0);
	finding_message(f,
			"the kernel runs with pcie_acs_override=%s: the IOMMU groups pcipt "
			"sees are split by the override, not by the hardware, and devices in "
			"them may still reach each other by DMA",
			value);
	finding_hint(f, "prefer a slot whose group is isolated (`pcipt-validate --groups`); keep "
			"the override only if you accept that a VM may reach the host's devices");
}

/* Lines modprobe or systemd-modules-load skip: an option or blacklist there does nothing. */
static void report_module_config_problems(const struct host_view *v, struct findings *out)
{
	const struct host_modules *m = &v->host->modules;
	for (size_t i = 0; i < m->problem_count; i++) {
		const struct modules_problem *p = &m->problems[i];
		struct finding *f =
			report(v, out, CHECK_CONFIG_SYNTAX, SEVERITY_WARNING, p->file, p->line);
		finding_message(f, "%s", p->message);
		finding_hint(f, "fix or remove the line; then `update-initramfs -u -k all` and "
				"reboot for it to take effect");
	}
}

void check_host_readiness(const struct host_view *v, struct findings *out)
{
	report_module_config_problems(v, out);
	check_iommu_enabled(v, out);
	check_interrupt_remapping(v, out);
	check_unsafe_interrupts(v, out);
	check_vfio_modules(v, out);
	check_acs_override(v, out);
}
