/* The one place that knows literal host paths.  Every path here is resolved under the
 * run's root (`--root DIR`, default "/"), so tests and captured hosts work alike. */
#ifndef PCIPT_PATHS_H
#define PCIPT_PATHS_H

/* Proxmox: /etc/pve/qemu-server is pmxcfs' link to nodes/<this node>/qemu-server. */
#define PATH_PVE_QEMU_SERVER "/etc/pve/qemu-server"
#define PATH_PVE_NODES "/etc/pve/nodes"
#define PATH_PVE_MEMBERS "/etc/pve/.members"
#define PATH_PVE_VMLIST "/etc/pve/.vmlist"
#define PATH_PVE_HA_RESOURCES "/etc/pve/ha/resources.cfg"
#define PATH_PVE_HA_GROUPS "/etc/pve/ha/groups.cfg"
#define PATH_PVE_HA_RULES "/etc/pve/ha/rules.cfg"
#define PCIPT_SNAPSHOT_NAME "pcipt-host.json" /* in /etc/pve/nodes/NODE/ */
#define PATH_PVE_PCI_MAPPING "/etc/pve/mapping/pci.cfg"
#define PATH_PVE_STORAGE_CFG "/etc/pve/storage.cfg"

/* QEMU's romfile= is resolved by Proxmox as /usr/share/kvm/<romfile> (QemuServer/PCI.pm). */
#define PATH_KVM_ROM_DIR "/usr/share/kvm"

/* What the kernel shows (host/). */
#define PATH_SYS_PCI_BUS "/sys/bus/pci"
#define PATH_SYS_PCI_DEVICES "/sys/bus/pci/devices"
#define PATH_SYS_PCI_DRIVERS "/sys/bus/pci/drivers"
#define PATH_SYS_IOMMU_CLASS "/sys/class/iommu"
#define PATH_SYS_IOMMU_GROUPS "/sys/kernel/iommu_groups"
#define PATH_ACPI_DMAR "/sys/firmware/acpi/tables/DMAR"
#define PATH_ACPI_IVRS "/sys/firmware/acpi/tables/IVRS"
#define PATH_SYS_DEV_BLOCK "/sys/dev/block"
#define PATH_SYS_CLASS_NET "/sys/class/net"
#define PATH_SYS_CLASS_BLOCK "/sys/class/block"
#define PATH_UDEV_DATA "/run/udev/data" /* udev's database: ZFS pool members */
#define PATH_PROC "/proc"
#define PATH_PROC_CMDLINE "/proc/cmdline"
#define PATH_PROC_CPUINFO "/proc/cpuinfo"
#define PATH_PROC_INTERRUPTS "/proc/interrupts"
#define PATH_PROC_IOMEM "/proc/iomem"
#define PATH_PROC_MOUNTINFO "/proc/self/mountinfo"
#define PATH_PROC_OSRELEASE "/proc/sys/kernel/osrelease"
#define PATH_PROC_STAT "/proc/stat"
#define PATH_PROC_ROUTE "/proc/net/route"
#define PATH_PROC_IPV6_ROUTE "/proc/net/ipv6_route"

/* Boot configuration: the kernel command line of the next boot. */
#define PATH_GRUB_DEFAULT "/etc/default/grub"
#define PATH_KERNEL_CMDLINE "/etc/kernel/cmdline"
#define PATH_PROXMOX_BOOT_UUIDS "/etc/kernel/proxmox-boot-uuids"
#define PATH_HOSTNAME "/etc/hostname"

/* qemu-server's run state (QemuServer/PCI.pm, Helpers.pm). */
#define PATH_QEMU_RUN_DIR "/run/qemu-server"
#define PATH_PCI_RESERVATIONS "/run/qemu-server/pci-id-reservations"

#define PATH_PCIPT_RULES "/etc/pcipt/rules.yaml"
#define PATH_PCIPT_CONF "/etc/pcipt/pcipt.conf"
#define PATH_PCIPT_STATE_DIR "/run/pcipt"
/* --boot-diff: the snapshot of the last boot it ran in, compared with the next one's */
#define PATH_PCIPT_LAST_BOOT "/var/lib/pcipt/last-boot.json"
#define PATH_PCIPT_LOCK "/run/lock/pcipt.lock"
/* state that must survive a reboot: the identity pins of raw hostpci addresses (validator/pins) */
#define PATH_PCIPT_LIB_DIR "/var/lib/pcipt"
#define PATH_PCIPT_IDENTITY_DIR PATH_PCIPT_LIB_DIR "/identity"
#define PATH_MODPROBE "/sbin/modprobe"
#define PATH_SYS_PCI_DRIVERS_PROBE "/sys/bus/pci/drivers_probe"

/* Kernel modules (host/modules): loaded ones, the ones systemd-modules-load loads at boot
 * (modules-load.d(5), in systemd's directory order) and modprobe's configuration
 * (modprobe.d(5), in kmod's directory order).  A file name in an earlier directory hides the
 * same name in a later one. */
#define PATH_SYS_MODULE "/sys/module"
#define PATH_ETC_MODULES "/etc/modules"
#define PATH_MODULES_LOAD_D_ETC "/etc/modules-load.d"
#define PATH_MODULES_LOAD_D_RUN "/run/modules-load.d"
#define PATH_MODULES_LOAD_D_USR_LOCAL "/usr/local/lib/modules-load.d"
#define PATH_MODULES_LOAD_D_USR "/usr/lib/modules-load.d"
#define PATH_MODULES_LOAD_D_LIB "/lib/modules-load.d"
#define PATH_MODPROBE_D_ETC "/etc/modprobe.d"
#define PATH_MODPROBE_D_RUN "/run/modprobe.d"
#define PATH_MODPROBE_D_USR_LOCAL "/usr/local/lib/modprobe.d"
#define PATH_MODPROBE_D_LIB "/lib/modprobe.d"
#define PATH_MODPROBE_D_USR "/usr/lib/modprobe.d"

#endif
