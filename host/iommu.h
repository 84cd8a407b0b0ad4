/* The IOMMU as the kernel set it up: its units (/sys/class/iommu: Intel DMAR units with their
 * capability registers, AMD IVHD units), whether the firmware describes one at all (ACPI DMAR
 * or IVRS table), whether interrupts are remapped (IR- irq chips in /proc/interrupts), the
 * CPU vendor (which kernel parameter and firmware option a hint must name), and the IOMMU
 * groups with their members and reserved regions. */
#ifndef PCIPT_HOST_IOMMU_H
#define PCIPT_HOST_IOMMU_H

#include "../lib/error.h"
#include "../lib/rootfs.h"

#include "pci.h"

#include <stdbool.h>
#include <stddef.h>

#define HOST_MAX_IOMMU_GROUPS 16384
#define HOST_MAX_GROUP_REGIONS 256

/* Intel VT-d extended capability register: bit 3 = Interrupt Remapping support (VT-d spec
 * 11.4.3); the kernel prints the register in intel-iommu/ecap. */
#define INTEL_ECAP_INTERRUPT_REMAPPING (1ULL << 3)

enum host_iommu_vendor { HOST_IOMMU_OTHER, HOST_IOMMU_INTEL, HOST_IOMMU_AMD };

struct host_iommu_unit {
	char *name; /* dmar0, ivhd0 */
	enum host_iommu_vendor vendor;
	bool has_ecap; /* Intel: the ecap register could be read */
	unsigned long long cap, ecap;
};

/* A line of a group's reserved_regions: "0x00000000fee00000 0x00000000feefffff msi" */
struct host_region {
	unsigned long long start, end;
	char type[24]; /* direct, direct-relaxable, reserved, msi */
};

struct host_iommu_group {
	int number;
	char **devices; /* addresses, sorted */
	size_t device_count;
	struct host_region *regions;
	size_t region_count;
	bool regions_known; /* reserved_regions was readable */
};

enum host_cpu_vendor { HOST_CPU_UNKNOWN, HOST_CPU_INTEL, HOST_CPU_AMD };

struct host_iommu {
	struct host_iommu_unit *units;
	size_t unit_count;
	bool acpi_dmar, acpi_ivrs;
	enum host_tristate remapped_irq_chips; /* UNKNOWN: /proc/interrupts unreadable */
	enum host_cpu_vendor cpu;
	struct host_iommu_group *groups; /* sorted by number */
	size_t group_count;
	char **problems; /* what could not be read, for a note in the report */
	size_t problem_count;
};

/* Read the units and groups under root.  Absent directories are no error (no IOMMU is
 * active); one that exists and cannot be listed (more than ROOTFS_MAX_DIR_ENTRIES entries, more
 * than HOST_MAX_IOMMU_GROUPS groups, unreadable) is an input pcipt cannot read: -errno with
 * err naming it, *ret untouched. */
int host_iommu_load(const struct rootfs *root, struct host_iommu *ret, struct pcipt_error *err);
void host_iommu_free(struct host_iommu *iommu);

const struct host_iommu_group *host_iommu_group(const struct host_iommu *iommu, int number);

/* A region the kernel must keep identity-mapped ("direct": an RMRR that is not relaxable);
 * NULL when there is none. */
const struct host_region *host_group_direct_region(const struct host_iommu_group *g);

#endif
