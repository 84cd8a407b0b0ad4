/* The one place that knows literal host paths.  Every path here is resolved under the
 * run's root (`--root DIR`, default "/"), so tests and captured hosts work alike. */
#ifndef PCIPT_PATHS_H
#define PCIPT_PATHS_H

/* Proxmox: /etc/pve/qemu-server is pmxcfs' link to nodes/<this node>/qemu-server. */
#define PATH_PVE_QEMU_SERVER "/etc/pve/qemu-server"
#define PATH_PVE_NODES "/etc/pve/nodes"
#define PATH_PVE_PCI_MAPPING "/etc/pve/mapping/pci.cfg"
#define PATH_PVE_STORAGE_CFG "/etc/pve/storage.cfg"

/* QEMU's romfile= is resolved by Proxmox as /usr/share/kvm/<romfile> (QemuServer/PCI.pm). */
#define PATH_KVM_ROM_DIR "/usr/share/kvm"

#define PATH_PCIPT_RULES "/etc/pcipt/rules.yaml"
#define PATH_PCIPT_CONF "/etc/pcipt/pcipt.conf"
#define PATH_PCIPT_STATE_DIR "/run/pcipt"
#define PATH_PCIPT_LOCK "/run/lock/pcipt.lock"

#endif
