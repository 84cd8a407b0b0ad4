#!/usr/bin/env python3
"""mkhost.py SPEC DESTDIR -- build a fake host root for pcipt from a short spec.

DESTDIR is created (it must not exist, or be empty).  The tree is laid out like the Linux
kernel's sysfs and procfs, so libpci's sysfs backend (lspci -A linux-sysfs -O
sysfs.path=DESTDIR/sys/bus/pci) reads it as it reads a real machine, plus the files of a
Proxmox VE node (/etc/pve, /run/qemu-server, /usr/share/kvm).

An error in the spec prints "SPEC:LINE: error: ..." on stderr and exits with status 2.

Spec format
-----------
One directive a line.  Blank lines and lines starting with "#" are ignored; " #" (blank, then
"#") starts a comment that runs to the end of the line.  A line whose last word is "<<EOF"
starts a here-document: its body is every following line up to a line that is exactly "EOF",
taken verbatim.  A directive may refer only to things declared above it.  Addresses are
DDDD:BB:DD.F or BB:DD.F (domain 0000); ids and classes are hex (an "0x" prefix is allowed).

  cpu intel|amd                 /proc/cpuinfo, 2 processors, vendor_id GenuineIntel or
                                AuthenticAMD (vmx or svm in flags)
  cmdline WORDS...              /proc/cmdline: the rest of the line and "\\n"
  grub WORDS...                 /etc/default/grub: GRUB_DEFAULT=0, GRUB_CMDLINE_LINUX_DEFAULT="WORDS",
                                GRUB_CMDLINE_LINUX=""
  kernel-cmdline WORDS...       /etc/kernel/cmdline (proxmox-boot-tool, systemd-boot)
  hostname NAME                 /etc/hostname.  With a hostname, /etc/pve is laid out as pmxcfs
                                shows it: qemu-server -> nodes/NAME/qemu-server, local -> nodes/NAME
  acpi DMAR|IVRS [flags=0xN]    /sys/firmware/acpi/tables/DMAR or IVRS: an ACPI table header with
                                that signature, the table's fixed fields (DMAR flags default 0x1,
                                INTR_REMAP; IVRS IVinfo default 0x0) and one DRHD/IVHD entry
  iommu NAME intel [cap=0xHEX] [ecap=0xHEX] [address=0xHEX]
                                /sys/devices/virtual/iommu/NAME/intel-iommu/{version,address,cap,
                                ecap,domains_supported,domains_used} (values as the kernel prints
                                them: "%llx\\n", no 0x) and /sys/class/iommu/NAME.  Defaults:
                                cap=0xd2008c40660462 ecap=0xf050da (interrupt remapping, bit 3, set)
  iommu NAME amd [cap=0xHEX] [features=0xHEX[:0xHEX]] [dev=ADDR]
                                /sys/devices/.../ADDR/iommu/NAME/amd-iommu/{cap,features} (the
                                kernel parents an AMD unit on its PCI function, default
                                0000:00:00.2, which must be declared as a device) and
                                /sys/class/iommu/NAME.  AMD units are named ivhdN.
                                A device in an IOMMU group gets an "iommu" link to a unit (option
                                iommu=NAME, default the last unit declared) and the unit a
                                devices/ADDR link back.
  interrupts CHIP...            /proc/interrupts: the kernel's header for CPU0 CPU1 and lines
                                whose chip column is each CHIP.  An *-IO-APIC chip gives the
                                timer/i8042/acpi lines; an MSI chip without an address
                                ("IR-PCI-MSI") is given per device, "IR-PCI-MSI-0000:01:00.0",
                                for up to 4 devices with a driver; any other CHIP one line as is
  module NAME [builtin] [PARAM=VALUE...]
                                /sys/module/NAME/ with parameters/ (PARAM files holding VALUE and
                                "\\n"), and for a loadable module initstate "live", refcnt and
                                holders/.  vfio_pci and pci_stub also register their PCI
                                drivers (/sys/bus/pci/drivers/vfio-pci, pci-stub); a PCI driver
                                dir gets a "module" link when the module is declared
  device ADDR VVVV:DDDD class=CCCCCC [options]
      subsys=VVVV:DDDD  subsystem ids (default: VVVV:DDDD for endpoints, 0000:0000 for bridges;
                        a bridge's go into an SSVID capability, as the kernel reads them)
      rev=HH            revision (default 00)
      irq=N             irq attribute and interrupt line (default 16)
      group=N           IOMMU group: iommu_group link, /sys/kernel/iommu_groups/N
      iommu=NAME        the IOMMU unit of the device (see iommu)
      driver=NAME       driver link, /sys/bus/pci/drivers/NAME/{ADDR,bind,unbind,new_id,remove_id}
      parent=ADDR       the bridge above the device; its secondary bus must be the device's bus.
                        Without parent= a device on bus B sits behind the bridge declared above
                        with secondary bus B; on bus 00 (or with rootbus) it sits on the root bus
      rootbus           the device is on a root bus of its own: /sys/devices/pciDDDD:BB
      bridge            a PCI-to-PCI bridge (class 0604xx): header type 1 and a pci_bus/DDDD:SS
                        directory; secbus=HH secondary bus (default: one above the highest bus
                        used so far)
      pcie=root|upstream|downstream|endpoint|legacy|integrated
                        PCI Express capability with that device/port type.  Default: a bridge
                        on a root bus is a root port, below a root or downstream port an
                        upstream port, below an upstream port a downstream port; any other
                        device on a root bus is an integrated endpoint (RCiEP), one behind a
                        bridge an endpoint
      nopcie            no PCI Express capability (conventional PCI: 256-byte config)
      acs[=disabled]    ACS extended capability (ID 0x000d); "disabled" has the capability with
                        nothing enabled in its control register
      sriov=TOTAL/NUM   SR-IOV extended capability (ID 0x0010), sriov_totalvfs, sriov_numvfs,
                        sriov_offset, sriov_stride, sriov_vf_device, sriov_drivers_autoprobe
      physfn=ADDR       the device is a VF of that PF: physfn link, virtfnN link in the PF
      boot_vga=0|1      boot_vga (VGA-class devices only, which always have it; default 0)
      reset=M[,M...]|none  reset_method "M M" and a reset file; none: neither file.  Default
                        "flr" for PCIe endpoints (FLR advertised in DevCap), "pm" for
                        conventional devices (NoSoftRst- in the PM capability), none for bridges
      power=D0|D3hot|D3cold  power_state (default D0); d3cold_allowed=0|1 (default 1)
      bar0..bar5=0xSTART-0xEND[:mem32|mem64|pref32|pref64|io]
                        resource lines and BAR registers (default kind mem32).  A 64-bit BAR
                        also takes the next BAR register; sizes are powers of two
      rombar=0xSTART-0xEND  expansion ROM resource (line 6), ROM BAR register and "rom" file
      config=64|256|4096  size of the config file (default 4096 with a PCIe capability, 256
                        without).  64 is what a reader without CAP_SYS_ADMIN gets
  device-link PATH TARGET       any extra symbolic link (PATH in the fake root, TARGET verbatim)
  group-regions N <<EOF         /sys/kernel/iommu_groups/N/reserved_regions (default: one
                                "0x00000000fee00000 0x00000000feefffff msi" line)
  block NAME MAJ:MIN on ADDR [nvme-multipath]
                                a disk on a storage controller: .../ADDR/nvme/nvmeK/NAME for NVMe
                                (class 0108xx; nvme-multipath: the namespace disk under
                                /sys/devices/virtual/nvme-subsystem/nvme-subsysK as kernels with
                                native NVMe multipath show it), .../ADDR/virtioK/block/NAME for
                                virtio (vendor 1af4), else .../ADDR/ataN/hostM/targetM:0:0/
                                M:0:0:0/block/NAME; /sys/dev/block/MAJ:MIN, /sys/class/block/NAME,
                                /sys/block/NAME, dev, size, ro, removable, holders/, slaves/
  block NAME MAJ:MIN part-of DISK  a partition (directory in the disk's, partition, start; no
                                /sys/block entry, as in the kernel)
  block NAME MAJ:MIN dm SLAVE[,SLAVE] [name=MAPNAME]
                                device-mapper: /sys/devices/virtual/block/NAME with dm/name
                                (default NAME), dm/uuid, slaves/SLAVE and SLAVE's holders/NAME
  mount MOUNTPOINT MAJ:MIN FSTYPE SOURCE
                                a /proc/self/mountinfo line ("ID PARENT MAJ:MIN / MOUNTPOINT
                                rw,relatime shared:N - FSTYPE SOURCE rw") and /proc/self/mounts
                                (/proc/mounts -> self/mounts, /proc/self a directory)
  net NAME on ADDR              a NIC: /sys/devices/.../ADDR/net/NAME, /sys/class/net/NAME
  net NAME bridge|bond|vlan [lower A[,B...]]
                                /sys/devices/virtual/net/NAME with lower_A links and A's
                                upper_NAME (and, for bridge and bond, master) links back; a
                                bridge has bridge/ and brif/A -> A's brport/, a bond bonding/slaves
  route default IFNAME [via=IPV4] [net=IPV4/LEN]
                                /proc/net/route: the kernel's header, a default route (flags 0003)
                                and the local subnet (default via 192.168.1.1, net 192.168.1.0/24)
  reservation ADDR VMID time:EPOCH|pid:PID
                                a line of /run/qemu-server/pci-id-reservations (lines sorted
                                by address, as qemu-server writes the file)
  running VMID PID [ADDR...]    /run/qemu-server/VMID.pid and /proc/PID/{cmdline,stat}: a kvm
                                command line with -pidfile and one -device vfio-pci,host=ADDR,...
                                per ADDR
  vm VMID <<EOF                 /etc/pve/qemu-server/VMID.conf
  file PATH [mode=0NNN] <<EOF   any file with that content
  copy PATH FROM [mode=0NNN]    a copy of FROM (relative to the spec's directory, or absolute)
  rom PATH VVVV:DDDD type=T[,T...] [class=CCCCCC] [efi-machine=0xNNNN]
      [bad=nosig|nopcir|truncated|loop]
                                a PCI option ROM: one image per code type T (0 x86 BIOS, 3 EFI),
                                0x55AA, PCIR with ids, class (default: the declared device's, else
                                030000), length, code type and last-image bit.  bad= breaks it:
                                nosig (no 0x55AA), nopcir (bad PCIR signature), truncated (file
                                ends inside the last image), loop (first image of length 0, not last)
  special PATH fifo|socket      a named pipe or a socket inode (mknod, no listener) at PATH: what
                                a broken capture or a hostile root may hold where a file belongs

file, copy, rom and special are written last and replace anything generated at the same path.
Words cannot hold blanks (a mount point with a blank needs a file directive).

Every device gets what the kernel shows for it: vendor, device, subsystem_vendor,
subsystem_device ("0x%04x"), class ("0x%06x"), revision ("0x%02x"), irq, enable (1 with a
driver, else 0), numa_node (-1), local_cpus, local_cpulist, modalias, uevent, driver_override
("(null)"), power_state, d3cold_allowed, power/, link speed and width (PCIe links), resource
(13 lines, 17 for a bridge, as a kernel with CONFIG_PCI_IOV writes them), config (ids, command,
status with the capability list bit, class, header type with the multi-function bit when other
functions share the slot, BARs, subsystem ids, interrupt pin, PM and MSI capabilities, the PCIe
capability at 0x70, extended capabilities from 0x100), a subsystem link and its
/sys/bus/pci/devices/ADDR link.  An IOMMU group also has a type file ("DMA-FQ").
"""

import os
import posixpath
import re
import stat
import struct
import sys

# --- spec reading ------------------------------------------------------------------------


class SpecError(Exception):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


class Directive:
    """One spec line: its number, its words, the raw text after the keyword, a heredoc body."""

    def __init__(self, line, words, rest, body):
        self.line = line
        self.name = words[0]
        self.args = words[1:]
        self.rest = rest
        self.body = body

    def error(self, message):
        return SpecError(self.line, message)


COMMENT = re.compile(r"\s#.*$")


def read_spec(text):
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    directives = []
    i = 0
    while i < len(lines):
        number = i + 1
        raw = lines[i]
        i += 1
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = COMMENT.sub("", stripped).strip()
        words = stripped.split()
        body = None
        if words[-1] == "<<EOF":
            words.pop()
            stripped = stripped[: stripped.rfind("<<EOF")].rstrip()
            collected = []
            while i < len(lines) and lines[i] != "EOF":
                collected.append(lines[i])
                i += 1
            if i >= len(lines):
                raise SpecError(number, "here-document is not closed by a line 'EOF'")
            i += 1
            body = "".join(l + "\n" for l in collected)
        elif "<<" in words[-1]:
            raise SpecError(number, "a here-document starts with a last word of exactly '<<EOF'")
        if not words:
            raise SpecError(number, "'<<EOF' without a directive")
        rest = stripped[len(words[0]):].strip()
        directives.append(Directive(number, words, rest, body))
    return directives


class Options:
    """key=value and bare-flag words of one directive; rejects unknown and repeated ones."""

    def __init__(self, d, words, keys=(), flags=()):
        self.values = {}
        self.flags = set()
        for w in words:
            if "=" in w:
                key, value = w.split("=", 1)
                if key not in keys:
                    raise d.error(f"{d.name}: unknown option '{key}='")
                if key in self.values:
                    raise d.error(f"{d.name}: option '{key}' given twice")
                if value == "":
                    raise d.error(f"{d.name}: option '{key}=' needs a value")
                self.values[key] = value
            else:
                if w not in flags:
                    raise d.error(f"{d.name}: unknown option '{w}'")
                if w in self.flags:
                    raise d.error(f"{d.name}: option '{w}' given twice")
                self.flags.add(w)

    def get(self, key, default=None):
        return self.values.get(key, default)


# --- value parsers -------------------------------------------------------------------------

ADDR_RE = re.compile(r"^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")
IDS_RE = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")
DEVNUM_RE = re.compile(r"^(\d+):(\d+)$")


def parse_addr(d, text):
    m = ADDR_RE.match(text)
    if not m or int(m.group(3), 16) > 0x1F:
        raise d.error(f"{d.name}: '{text}' is not a PCI address (DDDD:BB:DD.F)")
    domain = int(m.group(1) or "0", 16)
    return "%04x:%02x:%02x.%d" % (domain, int(m.group(2), 16), int(m.group(3), 16), int(m.group(4)))


def parse_ids(d, text, what="ids"):
    m = IDS_RE.match(text)
    if not m:
        raise d.error(f"{d.name}: {what} '{text}' are not VVVV:DDDD")
    return int(m.group(1), 16), int(m.group(2), 16)


def parse_hex(d, text, what, digits=None, maximum=None):
    t = text[2:] if text.lower().startswith("0x") else text
    if not t or not re.fullmatch(r"[0-9a-fA-F]+", t) or (digits and len(t) != digits):
        want = f"{digits} hex digits" if digits else "a hex number"
        raise d.error(f"{d.name}: {what} '{text}' is not {want}")
    value = int(t, 16)
    if maximum is not None and value > maximum:
        raise d.error(f"{d.name}: {what} '{text}' is too large")
    return value


def parse_int(d, text, what, minimum=0, maximum=None):
    if not re.fullmatch(r"\d+", text):
        raise d.error(f"{d.name}: {what} '{text}' is not a decimal number")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        raise d.error(f"{d.name}: {what} {value} is out of range")
    return value


def parse_devnum(d, text):
    m = DEVNUM_RE.match(text)
    if not m:
        raise d.error(f"{d.name}: '{text}' is not MAJ:MIN")
    return int(m.group(1)), int(m.group(2))


def parse_ipv4(d, text):
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise d.error(f"{d.name}: '{text}' is not an IPv4 address")
    return [int(p) for p in parts]


def parse_fake_path(d, text):
    if not text.startswith("/") or "\0" in text:
        raise d.error(f"{d.name}: path '{text}' must be absolute")
    norm = posixpath.normpath(text)
    if norm.startswith("//"):
        norm = norm[1:]
    if norm == "/" or ".." in text.split("/"):
        raise d.error(f"{d.name}: path '{text}' must name a file below / without '..'")
    return norm


# --- the fake root -------------------------------------------------------------------------


def kernfs_link_target(link_path, target_path):
    """The relative target sysfs gives a link (kernfs_get_target_path): climb from the link's
    directory to the nearest directory that is a strict ancestor of the target, then down."""
    base = posixpath.dirname(link_path)
    ups = 0
    while base != "/sys":
        if target_path.startswith(base + "/"):
            break
        ups += 1
        base = posixpath.dirname(base)
    return "../" * ups + target_path[len(base) + 1:]


class Tree:
    """Writes into the fake root; every path is absolute as on the host ("/sys/...")."""

    def __init__(self, root):
        self.root = os.path.realpath(root)

    def real(self, path):
        real = os.path.join(self.root, path.lstrip("/"))
        parent = os.path.realpath(os.path.dirname(real))
        if parent != self.root and not parent.startswith(self.root + "/"):
            raise RuntimeError(f"{path} leads out of the fake root")
        return real

    def mkdir(self, path):
        os.makedirs(self.real(path), exist_ok=True)

    def write(self, path, data, mode=0o644):
        real = self.real(path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        if os.path.islink(real):
            raise RuntimeError(f"{path} is a symbolic link; not writing through it")
        if os.path.lexists(real):
            os.unlink(real)  # a later directive replaces it, even a read-only attribute
        fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def special(self, path, kind):
        real = self.real(path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if os.path.islink(real):
            raise RuntimeError(f"{path} is a symbolic link; not replacing it")
        if os.path.lexists(real):
            os.unlink(real)
        if kind == "fifo":
            os.mkfifo(real, 0o644)
        else:
            # a socket inode without a listener: mknod(2) makes one for any user, and no
            # path length limit of AF_UNIX applies
            os.mknod(real, 0o644 | stat.S_IFSOCK)

    def symlink(self, path, target):
        real = self.real(path)
        os.makedirs(os.path.dirname(real), exist_ok=True)
        if os.path.lexists(real):
            if os.path.islink(real) and os.readlink(real) == target:
                return
            raise RuntimeError(f"{path} exists already")
        os.symlink(target, real)

    def sysfs_link(self, path, target_path):
        self.symlink(path, kernfs_link_target(path, target_path))

    def exists(self, path):
        return os.path.lexists(os.path.join(self.root, path.lstrip("/")))


# --- the host model ------------------------------------------------------------------------

PCIE_TYPES = {
    "endpoint": 0x0,
    "legacy": 0x1,
    "root": 0x4,
    "upstream": 0x5,
    "downstream": 0x6,
    "integrated": 0x9,
}
RESET_METHODS = ("device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus")

# Kernel resource flags (include/linux/ioport.h) with the BAR's own low bits, as
# /sys/bus/pci/devices/*/resource prints them.
BAR_KINDS = {
    "mem32": (0x00040200, 0x0),
    "mem64": (0x00140204, 0x4),
    "pref32": (0x00042208, 0x8),
    "pref64": (0x0014220C, 0xC),
    "io": (0x00040101, 0x1),
}
ROM_FLAGS = 0x00046200  # IORESOURCE_MEM | PREFETCH | READONLY | SIZEALIGN


class Bar:
    def __init__(self, start, end, kind):
        self.start, self.end, self.kind = start, end, kind


class Device:
    def __init__(self, line, addr):
        self.line = line
        self.addr = addr
        dom, bus, rest = addr.split(":")
        slot, fn = rest.split(".")
        self.domain, self.bus, self.slot, self.fn = int(dom, 16), int(bus, 16), int(slot, 16), int(fn)
        self.vendor = self.device = self.cls = 0
        self.subsys = None
        self.rev = 0
        self.irq = 16
        self.group = None
        self.iommu = None
        self.driver = None
        self.parent = None
        self.children = []
        self.bridge = False
        self.secbus = None
        self.pcie = None
        self.acs = None
        self.sriov = None
        self.physfn = None
        self.vfs = []
        self.boot_vga = None
        self.reset = []
        self.power = "D0"
        self.d3cold_allowed = 1
        self.bars = {}
        self.rombar = None
        self.config_size = None
        self.dir = None
        self.net_count = 0

    @property
    def slot_key(self):
        return (self.domain, self.bus, self.slot)

    @property
    def root_dir(self):
        return "/sys/devices/pci%04x:%02x" % (self.domain, self.bus)


class Host:
    """Everything the spec declares, checked as it is read; written out by render()."""

    def __init__(self, spec_dir):
        self.spec_dir = spec_dir
        self.singletons = {}
        self.acpi = {}
        self.iommus = {}
        self.interrupt_chips = None
        self.modules = {}
        self.devices = {}
        self.links = []
        self.group_regions = {}
        self.blocks = {}
        self.mounts = []
        self.nets = {}
        self.routes = []
        self.reservations = {}
        self.running = {}
        self.vms = {}
        self.files = []
        self.specials = []
        self.nvme_ctrl = {}
        self.disk_counter = 0
        self.nvme_subsys = 0
        self.virtio_counter = 0

    # -- one function per directive --------------------------------------------------------

    def singleton(self, d):
        if d.name in self.singletons:
            raise d.error(f"{d.name}: given twice (first on line {self.singletons[d.name][0]})")

    def d_cpu(self, d):
        self.singleton(d)
        if len(d.args) != 1 or d.args[0] not in ("intel", "amd"):
            raise d.error("cpu: expected 'cpu intel' or 'cpu amd'")
        self.singletons["cpu"] = (d.line, d.args[0])

    def d_cmdline(self, d):
        self.singleton(d)
        if not d.rest:
            raise d.error("cmdline: needs the kernel command line")
        self.singletons["cmdline"] = (d.line, d.rest)

    def d_grub(self, d):
        self.singleton(d)
        if '"' in d.rest:
            raise d.error('grub: the words may not contain \'"\'')
        self.singletons["grub"] = (d.line, d.rest)

    def d_kernel_cmdline(self, d):
        self.singleton(d)
        if not d.rest:
            raise d.error("kernel-cmdline: needs the kernel command line")
        self.singletons["kernel-cmdline"] = (d.line, d.rest)

    def d_hostname(self, d):
        self.singleton(d)
        if len(d.args) != 1 or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]*", d.args[0]):
            raise d.error("hostname: expected one host name")
        self.singletons["hostname"] = (d.line, d.args[0])

    def d_acpi(self, d):
        if not d.args or d.args[0] not in ("DMAR", "IVRS"):
            raise d.error("acpi: expected 'acpi DMAR' or 'acpi IVRS'")
        sig = d.args[0]
        if sig in self.acpi:
            raise d.error(f"acpi: {sig} given twice")
        opts = Options(d, d.args[1:], keys=("flags",))
        default = 0x1 if sig == "DMAR" else 0x0
        flags = parse_hex(d, opts.get("flags"), "flags", maximum=0xFFFFFFFF) if opts.get("flags") else default
        self.acpi[sig] = flags

    def d_iommu(self, d):
        if len(d.args) < 2 or d.args[1] not in ("intel", "amd"):
            raise d.error("iommu: expected 'iommu NAME intel|amd [options]'")
        name, kind = d.args[0], d.args[1]
        if not re.fullmatch(r"[a-z]+[0-9]+", name):
            raise d.error(f"iommu: '{name}' is not a unit name like dmar0 or ivhd0")
        if name in self.iommus:
            raise d.error(f"iommu: {name} declared twice")
        unit = {"line": d.line, "name": name, "kind": kind, "devices": []}
        if kind == "intel":
            opts = Options(d, d.args[2:], keys=("cap", "ecap", "address"))
            unit["cap"] = parse_hex(d, opts.get("cap", "0xd2008c40660462"), "cap")
            unit["ecap"] = parse_hex(d, opts.get("ecap", "0xf050da"), "ecap")
            n = sum(1 for u in self.iommus.values() if u["kind"] == "intel")
            unit["address"] = parse_hex(d, opts.get("address", "0x%x" % (0xFED90000 + 0x1000 * n)), "address")
            unit["dir"] = "/sys/devices/virtual/iommu/" + name
        else:
            opts = Options(d, d.args[2:], keys=("cap", "features", "dev"))
            unit["cap"] = parse_hex(d, opts.get("cap", "0x190b0f"), "cap", maximum=0xFFFFFFFF)
            feats = opts.get("features", "0x58f77ef22294ade:0x0").split(":")
            if len(feats) > 2:
                raise d.error("iommu: features is EFR or EFR:EFR2")
            unit["features"] = [parse_hex(d, f, "features") for f in feats] + ([0] if len(feats) == 1 else [])
            unit["dev"] = parse_addr(d, opts.get("dev", "0000:00:00.2"))
        self.iommus[name] = unit

    def d_interrupts(self, d):
        if self.interrupt_chips is not None:
            raise d.error("interrupts: given twice")
        if not d.args:
            raise d.error("interrupts: name at least one irq chip (e.g. IR-PCI-MSI IR-IO-APIC)")
        self.interrupt_chips = list(d.args)

    def d_module(self, d):
        if not d.args or not re.fullmatch(r"[A-Za-z0-9_]+", d.args[0]):
            raise d.error("module: expected 'module NAME [builtin] [PARAM=VALUE...]'")
        name = d.args[0]
        if name in self.modules:
            raise d.error(f"module: {name} declared twice")
        params = {}
        builtin = False
        for w in d.args[1:]:
            if w == "builtin":
                builtin = True
                continue
            if "=" not in w:
                raise d.error(f"module: '{w}' is not PARAM=VALUE")
            key, value = w.split("=", 1)
            if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                raise d.error(f"module: '{key}' is not a parameter name")
            if key in params:
                raise d.error(f"module: parameter {key} given twice")
            params[key] = value
        self.modules[name] = {"builtin": builtin, "params": params}

    def d_device(self, d):
        if len(d.args) < 2:
            raise d.error("device: expected 'device ADDR VVVV:DDDD class=CCCCCC [options]'")
        addr = parse_addr(d, d.args[0])
        if addr in self.devices:
            raise d.error(f"device: {addr} declared twice (first on line {self.devices[addr].line})")
        dev = Device(d.line, addr)
        dev.vendor, dev.device = parse_ids(d, d.args[1])
        opts = Options(
            d,
            d.args[2:],
            keys=("class", "subsys", "rev", "irq", "group", "iommu", "driver", "parent", "secbus", "pcie",
                  "acs", "sriov", "physfn", "boot_vga", "reset", "power", "d3cold_allowed", "rombar",
                  "config", "bar0", "bar1", "bar2", "bar3", "bar4", "bar5"),
            flags=("bridge", "nopcie", "acs", "rootbus"),
        )
        if "class" not in opts.values:
            raise d.error("device: class=CCCCCC is required")
        dev.cls = parse_hex(d, opts.get("class"), "class", digits=6)
        dev.bridge = "bridge" in opts.flags
        if dev.bridge and dev.cls >> 8 != 0x0604:
            raise d.error("device: a bridge has class 0604xx (PCI-to-PCI bridge)")
        if not dev.bridge and dev.cls >> 8 == 0x0604:
            raise d.error("device: class 0604xx is a PCI-to-PCI bridge; add 'bridge'")
        if opts.get("subsys"):
            dev.subsys = parse_ids(d, opts.get("subsys"), "subsystem ids")
        elif not dev.bridge:
            dev.subsys = (dev.vendor, dev.device)
        dev.rev = parse_hex(d, opts.get("rev", "00"), "rev", maximum=0xFF)
        dev.irq = parse_int(d, opts.get("irq", "16"), "irq", maximum=0xFFFF)
        if opts.get("group") is not None:
            dev.group = parse_int(d, opts.get("group"), "group", maximum=1000000)
        if opts.get("iommu"):
            if opts.get("iommu") not in self.iommus:
                raise d.error(f"device: iommu unit {opts.get('iommu')} is not declared above")
            if dev.group is None:
                raise d.error("device: iommu= needs group= (only devices in a group have a unit)")
            dev.iommu = opts.get("iommu")
        if opts.get("driver"):
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", opts.get("driver")):
                raise d.error(f"device: '{opts.get('driver')}' is not a driver name")
            dev.driver = opts.get("driver")
        self.device_place(d, dev, opts)
        self.device_pcie(d, dev, opts)
        self.device_features(d, dev, opts)
        self.device_bars(d, dev, opts)
        self.devices[addr] = dev

    def device_place(self, d, dev, opts):
        if opts.get("parent"):
            paddr = parse_addr(d, opts.get("parent"))
            parent = self.devices.get(paddr)
            if not parent:
                raise d.error(f"device: parent {paddr} is not declared above")
            if not parent.bridge:
                raise d.error(f"device: parent {paddr} is not a bridge")
            if parent.secbus != dev.bus or parent.domain != dev.domain:
                raise d.error(
                    f"device: {dev.addr} is on bus {dev.bus:02x} but bridge {paddr} leads to bus {parent.secbus:02x}")
            dev.parent = parent
        elif "rootbus" not in opts.flags and dev.bus != 0:
            for cand in self.devices.values():
                if cand.bridge and cand.domain == dev.domain and cand.secbus == dev.bus:
                    dev.parent = cand
                    break
            else:
                raise d.error(
                    f"device: no bridge declared above leads to bus {dev.bus:02x} "
                    f"(declare it with secbus={dev.bus:02x} first, or say rootbus)")
        if dev.parent and "rootbus" in opts.flags:
            raise d.error("device: rootbus and parent= exclude each other")
        if dev.parent:
            dev.parent.children.append(dev)
        if opts.get("secbus") and not dev.bridge:
            raise d.error("device: secbus= is for bridges")
        if dev.bridge:
            used = {x.secbus for x in self.devices.values() if x.bridge and x.domain == dev.domain}
            if opts.get("secbus"):
                dev.secbus = parse_hex(d, opts.get("secbus"), "secbus", maximum=0xFF)
                if dev.secbus in used:
                    raise d.error(f"device: another bridge leads to bus {dev.secbus:02x} already")
            else:
                buses = [x.bus for x in self.devices.values() if x.domain == dev.domain] + [dev.bus]
                buses += [b for b in used if b is not None]
                dev.secbus = max(buses) + 1
                if dev.secbus > 0xFF:
                    raise d.error("device: no bus number left for the bridge; give secbus=")
            if dev.secbus <= dev.bus:
                raise d.error("device: a bridge's secondary bus must be above its own bus")
            taken = [x for x in self.devices.values() if x.domain == dev.domain and x.bus == dev.secbus]
            if taken:
                raise d.error(f"device: bus {dev.secbus:02x} already holds {taken[0].addr} (on a root bus)")
        if opts.get("physfn"):
            pf = self.devices.get(parse_addr(d, opts.get("physfn")))
            if not pf:
                raise d.error(f"device: physfn {opts.get('physfn')} is not declared above")
            if not pf.sriov:
                raise d.error(f"device: physfn {pf.addr} has no sriov=")
            dev.physfn = pf
            pf.vfs.append(dev)
        dev.dir = (dev.parent.dir if dev.parent else dev.root_dir) + "/" + dev.addr

    def device_pcie(self, d, dev, opts):
        if "nopcie" in opts.flags:
            if opts.get("pcie"):
                raise d.error("device: pcie= and nopcie exclude each other")
            for what in ("acs", "sriov"):
                if opts.get(what) or what in opts.flags:
                    raise d.error(f"device: {what} is a PCI Express extended capability; drop nopcie")
            dev.pcie = None
        elif opts.get("pcie"):
            if opts.get("pcie") not in PCIE_TYPES:
                raise d.error(f"device: pcie={opts.get('pcie')} is not one of {'|'.join(PCIE_TYPES)}")
            dev.pcie = opts.get("pcie")
            is_port = dev.pcie in ("root", "upstream", "downstream")
            if is_port != dev.bridge:
                raise d.error(f"device: pcie={dev.pcie} is {'only' if is_port else 'not'} for bridges")
        elif dev.bridge:
            ptype = dev.parent.pcie if dev.parent else None
            dev.pcie = "upstream" if ptype in ("root", "downstream") else "downstream" if ptype == "upstream" else "root"
        else:
            dev.pcie = "endpoint" if dev.parent else "integrated"
        size = opts.get("config")
        if size is None:
            dev.config_size = 4096 if dev.pcie else 256
        elif size in ("64", "256", "4096"):
            dev.config_size = int(size)
        else:
            raise d.error("device: config= is 64, 256 or 4096")
        if dev.config_size < 4096 and (opts.get("acs") or "acs" in opts.flags or opts.get("sriov")):
            raise d.error("device: extended capabilities need config=4096")

    def device_features(self, d, dev, opts):
        if "acs" in opts.flags and opts.get("acs"):
            raise d.error("device: 'acs' given twice")
        if "acs" in opts.flags:
            dev.acs = "on"
        elif opts.get("acs"):
            if opts.get("acs") != "disabled":
                raise d.error("device: acs takes no value but 'disabled'")
            dev.acs = "disabled"
        if opts.get("sriov"):
            m = re.fullmatch(r"(\d+)/(\d+)", opts.get("sriov"))
            if not m or int(m.group(2)) > int(m.group(1)) or int(m.group(1)) > 0xFFFF:
                raise d.error("device: sriov= is TOTAL/NUM with NUM <= TOTAL")
            if dev.bridge:
                raise d.error("device: a bridge has no SR-IOV")
            dev.sriov = (int(m.group(1)), int(m.group(2)))
        is_vga = dev.cls >> 8 in (0x0300, 0x0001)
        if opts.get("boot_vga") is not None:
            if not is_vga:
                raise d.error("device: boot_vga exists only for VGA-class devices (class 0300xx)")
            if opts.get("boot_vga") not in ("0", "1"):
                raise d.error("device: boot_vga is 0 or 1")
            dev.boot_vga = int(opts.get("boot_vga"))
        elif is_vga:
            dev.boot_vga = 0
        reset = opts.get("reset")
        if reset is None:
            dev.reset = [] if dev.bridge else ["flr"] if dev.pcie else ["pm"]
        elif reset == "none":
            dev.reset = []
        else:
            dev.reset = reset.split(",")
            for m in dev.reset:
                if m not in RESET_METHODS:
                    raise d.error(f"device: reset method '{m}' is not one of {' '.join(RESET_METHODS)}")
            if len(set(dev.reset)) != len(dev.reset):
                raise d.error("device: a reset method is listed twice")
        power = opts.get("power", "D0")
        if power not in ("D0", "D3hot", "D3cold"):
            raise d.error("device: power= is D0, D3hot or D3cold")
        dev.power = power
        d3 = opts.get("d3cold_allowed", "1")
        if d3 not in ("0", "1"):
            raise d.error("device: d3cold_allowed is 0 or 1")
        dev.d3cold_allowed = int(d3)

    def device_bars(self, d, dev, opts):
        limit = 2 if dev.bridge else 6
        for i in range(6):
            spec = opts.get(f"bar{i}")
            if spec is None:
                continue
            if i >= limit:
                raise d.error(f"device: a bridge has only bar0 and bar1 (bar{i} given)")
            start, end, kind = self.parse_range(d, f"bar{i}", spec, kinds=True)
            if kind in ("mem64", "pref64"):
                if i + 1 >= limit:
                    raise d.error(f"device: 64-bit bar{i} needs bar{i + 1}'s register too")
                if opts.get(f"bar{i + 1}") is not None:
                    raise d.error(f"device: bar{i} is 64-bit, so bar{i + 1} is its upper half")
            elif end > 0xFFFFFFFF:
                raise d.error(f"device: bar{i} is above 4 GiB; make it :mem64 or :pref64")
            if kind == "io" and end > 0xFFFF:
                raise d.error(f"device: I/O bar{i} must lie below 0x10000")
            prev = dev.bars.get(i - 1)
            if prev and prev.kind in ("mem64", "pref64"):
                raise d.error(f"device: bar{i} is the upper half of 64-bit bar{i - 1}")
            dev.bars[i] = Bar(start, end, kind)
        if opts.get("rombar"):
            start, end, _ = self.parse_range(d, "rombar", opts.get("rombar"), kinds=False)
            if end > 0xFFFFFFFF:
                raise d.error("device: the ROM BAR is 32-bit")
            dev.rombar = (start, end)

    @staticmethod
    def parse_range(d, what, spec, kinds):
        kind = "mem32"
        if ":" in spec:
            if not kinds:
                raise d.error(f"device: {what} takes no kind")
            spec, kind = spec.split(":", 1)
            if kind not in BAR_KINDS:
                raise d.error(f"device: {what} kind '{kind}' is not one of {'|'.join(BAR_KINDS)}")
        m = re.fullmatch(r"0x([0-9a-fA-F]+)-0x([0-9a-fA-F]+)", spec)
        if not m:
            raise d.error(f"device: {what} is 0xSTART-0xEND")
        start, end = int(m.group(1), 16), int(m.group(2), 16)
        size = end - start + 1
        if end <= start or size & (size - 1) or start % size:
            raise d.error(f"device: {what} must be a naturally aligned power-of-two range")
        return start, end, kind

    def d_device_link(self, d):
        if len(d.args) != 2:
            raise d.error("device-link: expected 'device-link PATH TARGET'")
        self.links.append((d.line, parse_fake_path(d, d.args[0]), d.args[1]))

    def d_group_regions(self, d):
        if len(d.args) != 1 or d.body is None:
            raise d.error("group-regions: expected 'group-regions N <<EOF'")
        group = parse_int(d, d.args[0], "group")
        if group in self.group_regions:
            raise d.error(f"group-regions: group {group} given twice")
        for n, line in enumerate(d.body.splitlines()):
            if not re.fullmatch(r"0x[0-9a-f]{16} 0x[0-9a-f]{16} (direct|direct-relaxable|reserved|msi)", line):
                raise SpecError(d.line + 1 + n,
                                "group-regions: a line is '0x%016llx 0x%016llx TYPE' "
                                "(direct, direct-relaxable, reserved, msi)")
        self.group_regions[group] = (d.line, d.body)

    def d_block(self, d):
        if len(d.args) < 4:
            raise d.error("block: expected 'block NAME MAJ:MIN on ADDR|part-of DISK|dm SLAVES'")
        name, how = d.args[0], d.args[2]
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise d.error(f"block: '{name}' is not a block device name")
        if name in self.blocks:
            raise d.error(f"block: {name} declared twice")
        devnum = parse_devnum(d, d.args[1])
        for other in self.blocks.values():
            if other["devnum"] == devnum:
                raise d.error(f"block: {d.args[1]} is {other['name']}'s already")
        blk = {"name": name, "devnum": devnum, "holders": [], "parts": [], "ctrl_dir": None}
        if how == "on":
            opts = Options(d, d.args[4:], flags=("nvme-multipath",))
            addr = parse_addr(d, d.args[3])
            dev = self.devices.get(addr)
            if not dev:
                raise d.error(f"block: device {addr} is not declared above")
            if dev.cls >> 16 != 0x01:
                raise d.error(f"block: {addr} is not a storage controller (class 01xxxx)")
            blk["kind"] = "disk"
            blk["dir"], blk["ctrl_dir"] = self.disk_dir(d, dev, name, "nvme-multipath" in opts.flags)
        elif how == "part-of":
            if len(d.args) != 4:
                raise d.error("block: expected 'block NAME MAJ:MIN part-of DISK'")
            disk = self.blocks.get(d.args[3])
            if not disk or disk["kind"] != "disk":
                raise d.error(f"block: disk {d.args[3]} is not declared above")
            blk["kind"] = "part"
            blk["disk"] = disk
            blk["partno"] = len(disk["parts"]) + 1
            disk["parts"].append(blk)
            blk["dir"] = disk["dir"] + "/" + name
        elif how == "dm":
            opts = Options(d, d.args[4:], keys=("name",))
            slaves = []
            for s in d.args[3].split(","):
                slave = self.blocks.get(s)
                if not slave:
                    raise d.error(f"block: slave {s} is not declared above")
                if slave in slaves:
                    raise d.error(f"block: slave {s} listed twice")
                slaves.append(slave)
            blk["kind"] = "dm"
            blk["slaves"] = slaves
            blk["dm_name"] = opts.get("name", name)
            for s in slaves:
                s["holders"].append(blk)
            blk["dir"] = "/sys/devices/virtual/block/" + name
        else:
            raise d.error(f"block: '{how}' is not on, part-of or dm")
        blk["line"] = d.line
        self.blocks[name] = blk

    def disk_dir(self, d, dev, name, multipath):
        if dev.cls >> 8 == 0x0108:
            if dev.addr not in self.nvme_ctrl:
                self.nvme_ctrl[dev.addr] = (len(self.nvme_ctrl), self.nvme_subsys)
                self.nvme_subsys += 1
            ctrl, subsys = self.nvme_ctrl[dev.addr]
            ctrl_dir = f"{dev.dir}/nvme/nvme{ctrl}"
            if multipath:
                return f"/sys/devices/virtual/nvme-subsystem/nvme-subsys{subsys}/{name}", ctrl_dir
            return f"{ctrl_dir}/{name}", ctrl_dir
        if multipath:
            raise d.error("block: nvme-multipath is for NVMe controllers (class 0108xx)")
        if dev.vendor == 0x1AF4:
            n = self.virtio_counter
            self.virtio_counter += 1
            return f"{dev.dir}/virtio{n}/block/{name}", None
        n = self.disk_counter
        self.disk_counter += 1
        return f"{dev.dir}/ata{n + 1}/host{n}/target{n}:0:0/{n}:0:0:0/block/{name}", None

    def d_mount(self, d):
        if len(d.args) != 4:
            raise d.error("mount: expected 'mount MOUNTPOINT MAJ:MIN FSTYPE SOURCE'")
        point = d.args[0] if d.args[0] == "/" else parse_fake_path(d, d.args[0])
        if any(m["point"] == point for m in self.mounts):
            raise d.error(f"mount: {point} mounted twice")
        self.mounts.append({"point": point, "devnum": parse_devnum(d, d.args[1]), "fstype": d.args[2],
                            "source": d.args[3]})

    def d_net(self, d):
        if len(d.args) < 2:
            raise d.error("net: expected 'net NAME on ADDR' or 'net NAME bridge|bond|vlan [lower A,B]'")
        name, kind = d.args[0], d.args[1]
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,15}", name):
            raise d.error(f"net: '{name}' is not an interface name (at most 15 characters)")
        if name in self.nets:
            raise d.error(f"net: {name} declared twice")
        nic = {"name": name, "kind": kind, "lowers": [], "uppers": [], "master": None,
               "ifindex": len(self.nets) + 2}
        if kind == "on":
            if len(d.args) != 3:
                raise d.error("net: expected 'net NAME on ADDR'")
            addr = parse_addr(d, d.args[2])
            dev = self.devices.get(addr)
            if not dev:
                raise d.error(f"net: device {addr} is not declared above")
            nic["dev"] = dev
            nic["dir"] = f"{dev.dir}/net/{name}"
        elif kind in ("bridge", "bond", "vlan"):
            rest = d.args[2:]
            if rest:
                if len(rest) != 2 or rest[0] != "lower":
                    raise d.error(f"net: expected 'net {name} {kind} lower A[,B...]'")
                for lname in rest[1].split(","):
                    lower = self.nets.get(lname)
                    if not lower:
                        raise d.error(f"net: lower device {lname} is not declared above")
                    if lower in nic["lowers"]:
                        raise d.error(f"net: {lname} listed twice")
                    if kind != "vlan" and lower["master"]:
                        raise d.error(f"net: {lname} is enslaved to {lower['master']['name']} already")
                    nic["lowers"].append(lower)
            if kind == "vlan" and len(nic["lowers"]) != 1:
                raise d.error("net: a vlan has exactly one lower device")
            for lower in nic["lowers"]:
                lower["uppers"].append(nic)
                if kind != "vlan":
                    lower["master"] = nic
            nic["dir"] = f"/sys/devices/virtual/net/{name}"
        else:
            raise d.error(f"net: '{kind}' is not on, bridge, bond or vlan")
        self.nets[name] = nic

    def d_route(self, d):
        if len(d.args) < 2 or d.args[0] != "default":
            raise d.error("route: expected 'route default IFNAME [via=IPV4] [net=IPV4/LEN]'")
        if d.args[1] not in self.nets:
            raise d.error(f"route: interface {d.args[1]} is not declared above")
        opts = Options(d, d.args[2:], keys=("via", "net"))
        via = parse_ipv4(d, opts.get("via", "192.168.1.1"))
        net = opts.get("net", "192.168.1.0/24")
        m = re.fullmatch(r"([0-9.]+)/(\d+)", net)
        if not m or int(m.group(2)) > 32:
            raise d.error("route: net= is IPV4/LEN")
        self.routes.append({"ifname": d.args[1], "via": via, "net": parse_ipv4(d, m.group(1)),
                            "len": int(m.group(2))})

    def d_reservation(self, d):
        if len(d.args) != 3:
            raise d.error("reservation: expected 'reservation ADDR VMID time:EPOCH|pid:PID'")
        addr = parse_addr(d, d.args[0])
        vmid = parse_int(d, d.args[1], "vmid", minimum=100, maximum=999999999)
        if not re.fullmatch(r"(time|pid):\d+", d.args[2]):
            raise d.error("reservation: the third word is time:EPOCH or pid:PID")
        if addr in self.reservations:
            raise d.error(f"reservation: {addr} reserved twice (qemu-server keeps one line per device)")
        self.reservations[addr] = f"{addr} {vmid} {d.args[2]}\n"

    def d_running(self, d):
        if len(d.args) < 2:
            raise d.error("running: expected 'running VMID PID [ADDR...]'")
        vmid = parse_int(d, d.args[0], "vmid", minimum=100, maximum=999999999)
        pid = parse_int(d, d.args[1], "pid", minimum=1, maximum=4194304)
        if vmid in self.running:
            raise d.error(f"running: VM {vmid} given twice")
        if any(r["pid"] == pid for r in self.running.values()):
            raise d.error(f"running: pid {pid} used twice")
        self.running[vmid] = {"pid": pid, "addrs": [parse_addr(d, a) for a in d.args[2:]]}

    def d_vm(self, d):
        if len(d.args) != 1 or d.body is None:
            raise d.error("vm: expected 'vm VMID <<EOF'")
        vmid = parse_int(d, d.args[0], "vmid", minimum=100, maximum=999999999)
        if vmid in self.vms:
            raise d.error(f"vm: {vmid} given twice")
        self.vms[vmid] = d.body

    def d_file(self, d):
        if not d.args or d.body is None:
            raise d.error("file: expected 'file PATH [mode=0NNN] <<EOF'")
        opts = Options(d, d.args[1:], keys=("mode",))
        self.files.append((d.line, parse_fake_path(d, d.args[0]), d.body.encode(), self.parse_mode(d, opts)))

    def d_copy(self, d):
        if len(d.args) < 2:
            raise d.error("copy: expected 'copy PATH FROM [mode=0NNN]'")
        opts = Options(d, d.args[2:], keys=("mode",))
        src = d.args[1] if os.path.isabs(d.args[1]) else os.path.join(self.spec_dir, d.args[1])
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError as e:
            raise d.error(f"copy: cannot read {src}: {e.strerror}")
        self.files.append((d.line, parse_fake_path(d, d.args[0]), data, self.parse_mode(d, opts)))

    @staticmethod
    def parse_mode(d, opts):
        mode = opts.get("mode", "0644")
        if not re.fullmatch(r"0?[0-7]{3}", mode):
            raise d.error(f"{d.name}: mode= is octal like 0644")
        return int(mode, 8)

    def d_rom(self, d):
        if len(d.args) < 3:
            raise d.error("rom: expected 'rom PATH VVVV:DDDD type=T[,T...] [options]'")
        path = parse_fake_path(d, d.args[0])
        vendor, device = parse_ids(d, d.args[1])
        opts = Options(d, d.args[2:], keys=("type", "class", "efi-machine", "bad"))
        if not opts.get("type"):
            raise d.error("rom: type= is required (0 x86 BIOS, 3 EFI)")
        types = []
        for t in opts.get("type").split(","):
            if t not in ("0", "1", "2", "3"):
                raise d.error(f"rom: code type '{t}' is not 0, 1, 2 or 3")
            types.append(int(t))
        if opts.get("class"):
            cls = parse_hex(d, opts.get("class"), "class", digits=6)
        else:
            match = [x for x in self.devices.values() if (x.vendor, x.device) == (vendor, device)]
            cls = match[0].cls if match else 0x030000
        machine = parse_hex(d, opts.get("efi-machine", "0x8664"), "efi-machine", maximum=0xFFFF)
        bad = opts.get("bad")
        if bad not in (None, "nosig", "nopcir", "truncated", "loop"):
            raise d.error("rom: bad= is nosig, nopcir, truncated or loop")
        if bad == "loop" and len(types) < 2:
            raise d.error("rom: bad=loop needs at least two images (type=0,3)")
        self.files.append((d.line, path, build_rom(vendor, device, cls, types, machine, bad), 0o644))

    def d_special(self, d):
        if len(d.args) != 2 or d.args[1] not in ("fifo", "socket"):
            raise d.error("special: expected 'special PATH fifo|socket'")
        self.specials.append((d.line, parse_fake_path(d, d.args[0]), d.args[1]))

    DIRECTIVES = {
        "cpu": d_cpu, "cmdline": d_cmdline, "grub": d_grub, "kernel-cmdline": d_kernel_cmdline,
        "hostname": d_hostname, "acpi": d_acpi, "iommu": d_iommu, "interrupts": d_interrupts,
        "module": d_module, "device": d_device, "device-link": d_device_link,
        "group-regions": d_group_regions, "block": d_block, "mount": d_mount, "net": d_net,
        "route": d_route, "reservation": d_reservation, "running": d_running, "vm": d_vm,
        "file": d_file, "copy": d_copy, "rom": d_rom, "special": d_special,
    }
    HEREDOC = {"group-regions", "vm", "file"}

    def apply(self, d):
        handler = self.DIRECTIVES.get(d.name)
        if not handler:
            raise d.error(f"unknown directive '{d.name}'")
        if d.body is not None and d.name not in self.HEREDOC:
            raise d.error(f"{d.name}: takes no here-document")
        handler(self, d)

    def finish(self):
        """Checks that need the whole spec."""
        groups = {dev.group for dev in self.devices.values() if dev.group is not None}
        for group, (line, _) in self.group_regions.items():
            if group not in groups:
                raise SpecError(line, f"group-regions: no device is in group {group}")
        for unit in self.iommus.values():
            if unit["kind"] == "amd":
                dev = self.devices.get(unit["dev"])
                if not dev:
                    raise SpecError(unit["line"], f"iommu: {unit['name']}'s PCI function {unit['dev']} "
                                                  "is not declared (device 0000:00:00.2 1022:XXXX class=080600)")
                unit["dir"] = f"{dev.dir}/iommu/{unit['name']}"
        if self.iommus:
            last = list(self.iommus)[-1]
            hosts = {u["dev"] for u in self.iommus.values() if u["kind"] == "amd"}
            for dev in self.devices.values():
                # an AMD unit's own PCI function is not translated by it (and holds the unit's
                # "iommu" directory where other devices have the link)
                if dev.group is not None and dev.addr not in hosts:
                    dev.iommu = dev.iommu or last
                    self.iommus[dev.iommu]["devices"].append(dev)


# --- binary images -------------------------------------------------------------------------


def acpi_table(sig, body):
    length = 36 + len(body)
    header = struct.pack("<4sIBB6s8sI4sI", sig.encode(), length, 1, 0, b"PCIPT ", b"FAKEHOST", 1, b"PCPT", 1)
    table = bytearray(header + body)
    table[9] = (-sum(table)) & 0xFF
    return bytes(table)


def build_acpi(sig, flags):
    if sig == "DMAR":
        # host address width 39 bits (stored minus one), flags, 10 reserved bytes, then one
        # DRHD (type 0) with INCLUDE_PCI_ALL for segment 0.
        body = struct.pack("<BB10x", 38, flags)
        body += struct.pack("<HHBxHQ", 0, 16, 0x01, 0, 0xFED91000)
    else:
        # IVinfo, 8 reserved bytes, then one IVHD (type 0x10) for the IOMMU at 00:00.2.
        body = struct.pack("<I8x", flags)
        body += struct.pack("<BBHHHQHHI", 0x10, 0xB0, 24, 0x0002, 0x40, 0xFD200000, 0, 0, 0)
    return acpi_table(sig, body)


def build_rom(vendor, device, cls, types, machine, bad):
    """PCI Firmware Spec 3.0 option ROM: images of 2 KiB, each 0x55AA + PCIR data structure."""
    images = []
    for n, code_type in enumerate(types):
        last = n == len(types) - 1
        size = 2048
        img = bytearray(size)
        img[0:2] = b"\x55\xaa"
        img[2] = size // 512  # initialization size
        pcir = 0x1C
        if code_type == 3:
            struct.pack_into("<IHHH", img, 0x04, 0x0EF1, 0x0B, machine, 0)  # EFI signature, subsystem,
            struct.pack_into("<H", img, 0x16, 0x40)  # machine type, compression; image offset
            img[0x40:0x42] = b"MZ"
        else:
            img[3:6] = b"\xeb\x4b\x90"  # jmp to the (empty) init code
        struct.pack_into("<H", img, 0x18, pcir)
        struct.pack_into("<4sHHHHB", img, pcir, b"PCIR", vendor, device, 0, 0x1C, 3)
        img[pcir + 0x0D:pcir + 0x10] = bytes([cls & 0xFF, (cls >> 8) & 0xFF, cls >> 16])
        length = size // 512
        if bad == "loop" and n == 0:
            length = 0
        struct.pack_into("<HHBBH", img, pcir + 0x10, length, 1, code_type, 0x80 if last else 0, length)
        if bad == "nosig" and n == 0:
            img[0:2] = b"\x00\x00"
        if bad == "nopcir" and n == 0:
            img[pcir:pcir + 4] = b"PCIX"
        if code_type == 0:
            img[-1] = (-sum(img[:-1])) & 0xFF  # legacy images sum to zero
        images.append(bytes(img))
    rom = b"".join(images)
    if bad == "truncated":
        rom = rom[: len(rom) - 1024]
    return rom


class Config:
    """Configuration space of one function, built capability by capability."""

    def __init__(self, size):
        self.data = bytearray(max(size, 4096))
        self.size = size
        self.last_cap = None

    def u8(self, off, v):
        self.data[off] = v & 0xFF

    def u16(self, off, v):
        struct.pack_into("<H", self.data, off, v & 0xFFFF)

    def u32(self, off, v):
        struct.pack_into("<I", self.data, off, v & 0xFFFFFFFF)

    def cap(self, off, cap_id):
        """Link a standard capability at off into the list that starts at 0x34."""
        self.u8(off, cap_id)
        self.u8(off + 1, 0)
        if self.last_cap is None:
            self.u8(0x34, off)
            self.u16(0x06, 0x0010)  # status: capabilities list
        else:
            self.u8(self.last_cap + 1, off)
        self.last_cap = off

    def bytes(self):
        return bytes(self.data[: self.size])


def build_config(dev, multifunction):
    cfg = Config(dev.config_size)
    cfg.u16(0x00, dev.vendor)
    cfg.u16(0x02, dev.device)
    command = 0
    if any(b.kind == "io" for b in dev.bars.values()):
        command |= 0x1
    if any(b.kind != "io" for b in dev.bars.values()) or dev.rombar:
        command |= 0x2
    if dev.bridge:
        command |= 0x7  # I/O, memory, bus master: a bridge forwards all three
    elif dev.driver:
        command |= 0x4 | 0x400  # bus master, INTx disabled (the driver uses MSI)
    cfg.u16(0x04, command)
    cfg.u8(0x08, dev.rev)
    cfg.u8(0x09, dev.cls)
    cfg.u16(0x0A, dev.cls >> 8)
    cfg.u8(0x0C, 0x10)  # cache line size 64 bytes
    cfg.u8(0x0E, (0x01 if dev.bridge else 0x00) | (0x80 if multifunction else 0))
    for i, bar in dev.bars.items():
        low = (bar.start & (0xFFFFFFFC if bar.kind == "io" else 0xFFFFFFF0)) | BAR_KINDS[bar.kind][1]
        cfg.u32(0x10 + 4 * i, low)
        if bar.kind in ("mem64", "pref64"):
            cfg.u32(0x14 + 4 * i, bar.start >> 32)
    if dev.bridge:
        cfg.u8(0x18, dev.bus)
        cfg.u8(0x19, dev.secbus)
        cfg.u8(0x1A, subordinate_bus(dev))
        cfg.u16(0x1C, 0x00F0)  # I/O window closed (base above limit)
        cfg.u32(0x20, 0x0000FFF0)  # memory window closed
        cfg.u32(0x24, 0x0001FFF1)  # prefetchable window closed, 64-bit capable
        if dev.rombar:
            cfg.u32(0x38, dev.rombar[0])
    else:
        if dev.subsys:
            cfg.u16(0x2C, dev.subsys[0])
            cfg.u16(0x2E, dev.subsys[1])
        if dev.rombar:
            cfg.u32(0x30, dev.rombar[0])
    cfg.u8(0x3C, dev.irq)
    cfg.u8(0x3D, 0x01)  # INTA#
    # Power management: version 3; NoSoftRst+ unless the spec offers a PM reset.
    cfg.cap(0x40, 0x01)
    cfg.u16(0x42, 0x0003)
    pmcsr = {"D0": 0, "D3hot": 3, "D3cold": 3}[dev.power]
    cfg.u16(0x44, pmcsr | (0 if "pm" in dev.reset else 0x0008))
    # MSI, 64-bit address, disabled.
    cfg.cap(0x50, 0x05)
    cfg.u16(0x52, 0x0080)
    if dev.bridge and dev.subsys:
        cfg.cap(0x60, 0x0D)  # bridge subsystem vendor ids (the kernel reads them here)
        cfg.u16(0x64, dev.subsys[0])
        cfg.u16(0x66, dev.subsys[1])
    if dev.pcie:
        express_cap(cfg, dev)
    if dev.config_size == 4096:
        extended_caps(cfg, dev)
    return cfg.bytes()


def express_cap(cfg, dev):
    base = 0x70
    cfg.cap(base, 0x10)
    ptype = PCIE_TYPES[dev.pcie]
    has_slot = dev.pcie in ("root", "downstream")
    cfg.u16(base + 0x02, 0x0002 | ptype << 4 | (0x0100 if has_slot else 0))
    devcap = 0x1 | 1 << 15  # MaxPayload 256, role-based error reporting
    if "flr" in dev.reset and dev.pcie in ("endpoint", "legacy", "integrated"):
        devcap |= 1 << 28  # function level reset
    cfg.u32(base + 0x04, devcap)
    cfg.u16(base + 0x08, 0x2810)
    if dev.pcie != "integrated":
        width = 16 if dev.cls >> 16 == 0x03 or dev.bridge else 4
        lnkcap = 0x3 | width << 4 | 0x3 << 10 | (dev.slot if dev.bridge else 0) << 24
        if has_slot:
            lnkcap |= 1 << 20  # data link layer link active reporting
        cfg.u32(base + 0x0C, lnkcap)
        cfg.u16(base + 0x10, 0x0040)
        cfg.u16(base + 0x12, 0x3 | width << 4 | 0x1000 | (0x2000 if has_slot else 0))
        cfg.u32(base + 0x2C, 0x0E)  # supported link speeds 2.5-8 GT/s
        cfg.u16(base + 0x30, 0x3)
    if has_slot:
        cfg.u32(base + 0x14, (dev.slot + 1) << 19 | 0x60 << 7 | 0x40)
    cfg.u32(base + 0x24, 0x0000081F if dev.pcie != "integrated" else 0x10)


def extended_caps(cfg, dev):
    # the chain starts at 0x100 (PCI_CFG_SPACE_SIZE); ACS takes 8 bytes, SR-IOV 0x40
    caps = []
    off = 0x100
    if dev.acs:
        caps.append((off, 0x000D))
        off += 0x10
    if dev.sriov:
        caps.append((off, 0x0010))
    for n, (off, cap_id) in enumerate(caps):
        nxt = caps[n + 1][0] if n + 1 < len(caps) else 0
        cfg.u32(off, cap_id | 1 << 16 | nxt << 20)
        if cap_id == 0x000D:
            cfg.u16(off + 4, 0x001F)  # SV TB RR CR UF
            cfg.u16(off + 6, 0x001D if dev.acs == "on" else 0)
        else:
            total, num = dev.sriov
            cfg.u16(off + 0x08, 0x0009 if num else 0)  # VF enable, VF memory space
            cfg.u16(off + 0x0C, total)
            cfg.u16(off + 0x0E, total)
            cfg.u16(off + 0x10, num)
            cfg.u16(off + 0x14, SRIOV_OFFSET)
            cfg.u16(off + 0x16, SRIOV_STRIDE)
            cfg.u16(off + 0x1A, vf_device_id(dev))
            cfg.u32(off + 0x1C, 0x553)
            cfg.u32(off + 0x20, 0x1)


def vf_device_id(pf):
    """The VF device ID the PF advertises: its declared VFs' id, else its own."""
    return pf.vfs[0].device if pf.vfs else pf.device


SRIOV_OFFSET = 0x80
SRIOV_STRIDE = 2


def subordinate_bus(dev):
    sub = dev.secbus
    for child in dev.children:
        if child.bridge:
            sub = max(sub, subordinate_bus(child))
    return sub


# --- rendering -----------------------------------------------------------------------------

CPU_FLAGS_COMMON = (
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse "
    "sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid "
    "pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand "
    "lahf_lm abm 3dnowprefetch bmi1 avx2 smep bmi2 rdseed adx smap clflushopt xsaveopt xsavec "
    "xgetbv1 xsaves")
CPUS = {
    "intel": {
        "vendor_id": "GenuineIntel", "cpu family": "6", "model": "158",
        "model name": "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", "stepping": "10", "microcode": "0xf8",
        "cache size": "12288 KB", "cpuid level": "22",
        "flags": CPU_FLAGS_COMMON + " ss tm pbe dts acpi pdcm pcid tsc_deadline_timer vmx est tm2 "
                 "erms invpcid mpx rtm arat pln pts hwp md_clear flush_l1d arch_capabilities",
        "vmx flags": "vnmi preemption_timer invvpid ept_x_only ept_ad ept_1gb flexpriority tsc_offset "
                     "vtpr mtf vapic ept vpid unrestricted_guest ple pml ept_mode_based_exec",
        "bugs": "spectre_v1 spectre_v2 spec_store_bypass swapgs itlb_multihit srbds mmio_stale_data",
        "bogomips": "6399.96", "address sizes": "39 bits physical, 48 bits virtual",
    },
    "amd": {
        "vendor_id": "AuthenticAMD", "cpu family": "25", "model": "33",
        "model name": "AMD Ryzen 9 5950X 16-Core Processor", "stepping": "0", "microcode": "0xa201016",
        "cache size": "512 KB", "cpuid level": "16",
        "flags": CPU_FLAGS_COMMON + " mmxext fxsr_opt cmp_legacy svm extapic cr8_legacy sse4a "
                 "misalignsse osvw ibs skinit wdt tce topoext perfctr_core npt lbrv svm_lock "
                 "nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold "
                 "avic v_vmsave_vmload vgif v_spec_ctrl",
        "bugs": "sysret_ss_attrs spectre_v1 spectre_v2 spec_store_bypass srso",
        "bogomips": "6800.17", "address sizes": "48 bits physical, 48 bits virtual",
    },
}


def render_cpuinfo(vendor):
    """arch/x86/kernel/cpu/proc.c show_cpuinfo(): keys shorter than 8 characters take two tabs."""
    c = CPUS[vendor]
    out = []
    for n in range(2):
        rows = [
            ("processor", str(n)), ("vendor_id", c["vendor_id"]), ("cpu family", c["cpu family"]),
            ("model", c["model"]), ("model name", c["model name"]), ("stepping", c["stepping"]),
            ("microcode", c["microcode"]), ("cpu MHz", "3400.000"), ("cache size", c["cache size"]),
            ("physical id", "0"), ("siblings", "2"), ("core id", str(n)), ("cpu cores", "2"),
            ("apicid", str(2 * n)), ("initial apicid", str(2 * n)), ("fpu", "yes"),
            ("fpu_exception", "yes"), ("cpuid level", c["cpuid level"]), ("wp", "yes"),
            ("flags", c["flags"]),
        ]
        if "vmx flags" in c:
            rows.append(("vmx flags", c["vmx flags"]))
        rows += [("bugs", c["bugs"]), ("bogomips", c["bogomips"]), ("clflush size", "64"),
                 ("cache_alignment", "64"), ("address sizes", c["address sizes"])]
        for key, value in rows:
            out.append(key + ("\t" if len(key) >= 8 else "\t\t") + ": " + value + "\n")
        out.append("power management:\n\n")
    return "".join(out)


class Renderer:
    def __init__(self, host, tree):
        self.h = host
        self.t = tree

    def run(self):
        h = self.h
        self.etc_and_proc()
        self.pci_bus()
        for dev in h.devices.values():
            self.device(dev)
        self.iommu_groups()
        self.iommu_units()
        self.acpi()
        self.modules()
        self.interrupts()
        self.blocks()
        self.mounts()
        self.nets()
        self.routes()
        self.qemu_server()
        for line, path, target in h.links:
            try:
                self.t.symlink(path, target)
            except (RuntimeError, OSError) as e:
                raise SpecError(line, f"device-link: {e}")
        for line, path, data, mode in h.files:
            try:
                self.t.write(path, data, mode)
            except (RuntimeError, OSError) as e:
                raise SpecError(line, f"cannot write {path}: {e}")
        for line, path, kind in h.specials:
            try:
                self.t.special(path, kind)
            except (RuntimeError, OSError) as e:
                raise SpecError(line, f"cannot make {path}: {e}")

    # -- /etc, /proc basics -----------------------------------------------------------------

    def etc_and_proc(self):
        h, t = self.h, self.t
        s = {k: v[1] for k, v in h.singletons.items()}
        if "cpu" in s:
            t.write("/proc/cpuinfo", render_cpuinfo(s["cpu"]), 0o444)
        if "cmdline" in s:
            t.write("/proc/cmdline", s["cmdline"] + "\n", 0o444)
        if "grub" in s:
            t.write("/etc/default/grub", GRUB_TEMPLATE.format(words=s["grub"]))
        if "kernel-cmdline" in s:
            t.write("/etc/kernel/cmdline", s["kernel-cmdline"] + "\n")
        if "hostname" in s:
            node = s["hostname"]
            t.write("/etc/hostname", node + "\n")
            t.mkdir(f"/etc/pve/nodes/{node}/qemu-server")
            t.mkdir(f"/etc/pve/nodes/{node}/lxc")
            t.symlink("/etc/pve/local", f"nodes/{node}")
            t.symlink("/etc/pve/qemu-server", f"nodes/{node}/qemu-server")
            t.symlink("/etc/pve/lxc", f"nodes/{node}/lxc")
        t.mkdir("/proc/self")

    # -- PCI --------------------------------------------------------------------------------

    def pci_bus(self):
        t = self.t
        t.mkdir("/sys/bus/pci/devices")
        t.mkdir("/sys/bus/pci/drivers")
        t.mkdir("/sys/bus/pci/slots")
        t.write("/sys/bus/pci/drivers_autoprobe", "1\n", 0o644)
        t.write("/sys/bus/pci/drivers_probe", "", 0o200)
        t.write("/sys/bus/pci/rescan", "", 0o200)
        t.write("/sys/bus/pci/resource_alignment", "\n", 0o644)
        t.write("/sys/bus/pci/uevent", "", 0o200)
        roots = sorted({dev.root_dir for dev in self.h.devices.values() if not dev.parent})
        for root in roots:
            busname = root[len("/sys/devices/pci"):]
            t.write(root + "/uevent", "", 0o644)
            self.bus_dir(root, busname)
        if "vfio_pci" in self.h.modules:
            self.driver_dir("vfio-pci")
        if "pci_stub" in self.h.modules:
            self.driver_dir("pci-stub")

    def bus_dir(self, owner_dir, busname):
        t = self.t
        d = f"{owner_dir}/pci_bus/{busname}"
        t.write(d + "/cpuaffinity", "3\n", 0o444)
        t.write(d + "/cpulistaffinity", "0-1\n", 0o444)
        t.write(d + "/rescan", "", 0o200)
        t.write(d + "/uevent", "", 0o644)
        t.mkdir(d + "/power")
        t.sysfs_link(d + "/device", owner_dir)
        t.sysfs_link(d + "/subsystem", "/sys/class/pci_bus")
        t.sysfs_link(f"/sys/class/pci_bus/{busname}", d)

    def driver_dir(self, name):
        t = self.t
        d = f"/sys/bus/pci/drivers/{name}"
        if t.exists(d):
            return
        for f in ("bind", "unbind", "new_id", "remove_id", "uevent"):
            t.write(f"{d}/{f}", "", 0o200)
        module = name.replace("-", "_")
        if module in self.h.modules:
            t.sysfs_link(f"{d}/module", f"/sys/module/{module}")
            t.sysfs_link(f"/sys/module/{module}/drivers/pci:{name}", d)

    def device(self, dev):
        t, d = self.t, dev.dir
        mf = sum(1 for x in self.h.devices.values() if x.slot_key == dev.slot_key) > 1
        sub = dev.subsys or (0, 0)
        attrs = {
            "vendor": "0x%04x\n" % dev.vendor,
            "device": "0x%04x\n" % dev.device,
            "subsystem_vendor": "0x%04x\n" % sub[0],
            "subsystem_device": "0x%04x\n" % sub[1],
            "class": "0x%06x\n" % dev.cls,
            "revision": "0x%02x\n" % dev.rev,
            "irq": "%u\n" % dev.irq,
            "local_cpus": "3\n",
            "local_cpulist": "0-1\n",
            "modalias": "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n"
                        % (dev.vendor, dev.device, sub[0], sub[1], dev.cls >> 16, (dev.cls >> 8) & 0xFF,
                           dev.cls & 0xFF),
            "numa_node": "-1\n",
            "power_state": dev.power + "\n",
            "dma_mask_bits": "64\n",
            "consistent_dma_mask_bits": "64\n",
            "ari_enabled": "0\n",
            "resource": self.resource_file(dev),
        }
        for name, value in attrs.items():
            t.write(f"{d}/{name}", value, 0o444)
        rw = {
            "enable": "1\n" if dev.driver else "0\n",
            "driver_override": "(null)\n",
            "d3cold_allowed": "%u\n" % dev.d3cold_allowed,
            "broken_parity_status": "0\n",
            "msi_bus": "1\n",
            "uevent": self.uevent(dev, sub),
        }
        for name, value in rw.items():
            t.write(f"{d}/{name}", value, 0o644)
        t.write(f"{d}/config", build_config(dev, mf), 0o644)
        t.write(f"{d}/remove", "", 0o200)
        t.write(f"{d}/rescan", "", 0o200)
        t.write(f"{d}/power/control", "auto\n" if dev.power != "D0" else "on\n", 0o644)
        t.write(f"{d}/power/runtime_status", "active\n" if dev.power == "D0" else "suspended\n", 0o444)
        if dev.boot_vga is not None:
            t.write(f"{d}/boot_vga", "%u\n" % dev.boot_vga, 0o444)
        if dev.reset:
            t.write(f"{d}/reset_method", " ".join(dev.reset) + "\n", 0o644)
            t.write(f"{d}/reset", "", 0o200)
        for i, bar in dev.bars.items():
            t.write(f"{d}/resource{i}", "", 0o600)
            if bar.kind in ("pref32", "pref64"):
                t.write(f"{d}/resource{i}_wc", "", 0o600)
        if dev.rombar:
            t.write(f"{d}/rom", "", 0o600)
        if dev.pcie and dev.pcie != "integrated":
            gt = "8.0 GT/s PCIe\n"
            width = "16\n" if dev.cls >> 16 == 0x03 or dev.bridge else "4\n"
            for name, value in (("current_link_speed", gt), ("max_link_speed", gt),
                                ("current_link_width", width), ("max_link_width", width)):
                t.write(f"{d}/{name}", value, 0o444)
        if dev.sriov:
            total, num = dev.sriov
            for name, value in (("sriov_totalvfs", "%u\n" % total), ("sriov_offset", "%u\n" % SRIOV_OFFSET),
                                ("sriov_stride", "%u\n" % SRIOV_STRIDE), ("sriov_vf_device", "%x\n" % vf_device_id(dev))):
                t.write(f"{d}/{name}", value, 0o444)
            t.write(f"{d}/sriov_numvfs", "%u\n" % num, 0o644)
            t.write(f"{d}/sriov_drivers_autoprobe", "1\n", 0o644)
        if dev.physfn:
            t.sysfs_link(f"{d}/physfn", dev.physfn.dir)
            t.sysfs_link(f"{dev.physfn.dir}/virtfn{dev.physfn.vfs.index(dev)}", d)
        t.sysfs_link(f"{d}/subsystem", "/sys/bus/pci")
        t.sysfs_link(f"/sys/bus/pci/devices/{dev.addr}", d)
        if dev.driver:
            self.driver_dir(dev.driver)
            drv = f"/sys/bus/pci/drivers/{dev.driver}"
            t.sysfs_link(f"{d}/driver", drv)
            t.sysfs_link(f"{drv}/{dev.addr}", d)
        if dev.group is not None:
            t.sysfs_link(f"{d}/iommu_group", f"/sys/kernel/iommu_groups/{dev.group}")
            t.sysfs_link(f"/sys/kernel/iommu_groups/{dev.group}/devices/{dev.addr}", d)
        if dev.bridge:
            t.write(f"{d}/secondary_bus_number", "%u\n" % dev.secbus, 0o444)
            t.write(f"{d}/subordinate_bus_number", "%u\n" % subordinate_bus(dev), 0o444)
            self.bus_dir(d, "%04x:%02x" % (dev.domain, dev.secbus))

    @staticmethod
    def resource_file(dev):
        # resource_show(): PCI_BRIDGE_RESOURCES lines for an endpoint, DEVICE_COUNT_RESOURCE for a
        # bridge -- 13 and 17 with CONFIG_PCI_IOV (6 BARs, ROM, 6 IOV BARs, 4 bridge windows).
        lines = [(0, 0, 0)] * (17 if dev.bridge else 13)
        for i, bar in dev.bars.items():
            lines[i] = (bar.start, bar.end, BAR_KINDS[bar.kind][0])
        if dev.rombar:
            lines[6] = (dev.rombar[0], dev.rombar[1], ROM_FLAGS)
        return "".join("0x%016x 0x%016x 0x%016x\n" % line for line in lines)

    @staticmethod
    def uevent(dev, sub):
        lines = []
        if dev.driver:
            lines.append(f"DRIVER={dev.driver}")
        lines += [
            "PCI_CLASS=%04X" % dev.cls,
            "PCI_ID=%04X:%04X" % (dev.vendor, dev.device),
            "PCI_SUBSYS_ID=%04X:%04X" % sub,
            f"PCI_SLOT_NAME={dev.addr}",
            "MODALIAS=pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X"
            % (dev.vendor, dev.device, sub[0], sub[1], dev.cls >> 16, (dev.cls >> 8) & 0xFF, dev.cls & 0xFF),
        ]
        return "\n".join(lines) + "\n"

    # -- IOMMU ------------------------------------------------------------------------------

    def iommu_groups(self):
        groups = sorted({dev.group for dev in self.h.devices.values() if dev.group is not None})
        self.t.mkdir("/sys/kernel/iommu_groups")
        for g in groups:
            base = f"/sys/kernel/iommu_groups/{g}"
            regions = self.h.group_regions.get(g, (None, "0x00000000fee00000 0x00000000feefffff msi\n"))[1]
            self.t.write(f"{base}/reserved_regions", regions, 0o444)
            self.t.write(f"{base}/type", "DMA-FQ\n", 0o644)

    def iommu_units(self):
        t = self.t
        t.mkdir("/sys/class/iommu")
        for unit in self.h.iommus.values():
            d = unit["dir"]
            if unit["kind"] == "intel":
                g = d + "/intel-iommu"
                cap = unit["cap"]
                ndoms = 1 << (4 + 2 * (cap & 0x7))
                for name, value in (("version", "1:0\n"), ("address", "%x\n" % unit["address"]),
                                    ("cap", "%x\n" % cap), ("ecap", "%x\n" % unit["ecap"]),
                                    ("domains_supported", "%d\n" % ndoms),
                                    ("domains_used", "%d\n" % (1 + len(unit["devices"])))):
                    t.write(f"{g}/{name}", value, 0o444)
            else:
                g = d + "/amd-iommu"
                t.write(f"{g}/cap", "%x\n" % unit["cap"], 0o444)
                t.write(f"{g}/features", "%x:%x\n" % tuple(unit["features"]), 0o444)
            t.mkdir(d + "/devices")
            t.mkdir(d + "/power")
            t.write(d + "/uevent", "", 0o644)
            t.sysfs_link(d + "/subsystem", "/sys/class/iommu")
            t.sysfs_link(f"/sys/class/iommu/{unit['name']}", d)
            for dev in unit["devices"]:
                t.sysfs_link(f"{d}/devices/{dev.addr}", dev.dir)
                t.sysfs_link(f"{dev.dir}/iommu", d)

    def acpi(self):
        for sig, flags in self.h.acpi.items():
            self.t.write(f"/sys/firmware/acpi/tables/{sig}", build_acpi(sig, flags), 0o400)

    # -- modules, interrupts ----------------------------------------------------------------

    def modules(self):
        t = self.t
        for name, mod in self.h.modules.items():
            d = f"/sys/module/{name}"
            t.mkdir(d + "/parameters")
            for key, value in mod["params"].items():
                t.write(f"{d}/parameters/{key}", value + "\n", 0o644)
            if not mod["builtin"]:
                t.write(d + "/initstate", "live\n", 0o444)
                t.write(d + "/refcnt", "0\n", 0o444)
                t.mkdir(d + "/holders")
            t.write(d + "/uevent", "", 0o200)

    def interrupts(self):
        chips = self.h.interrupt_chips
        if chips is None:
            return
        prec = 3
        rows = []  # (irq, chip, hwirq, flow, action)
        next_irq = 24
        with_driver = [d for d in self.h.devices.values() if d.driver and d.cls >> 16 != 0x06][:4]
        ioapic_done = False
        for chip in chips:
            if chip.endswith("IO-APIC"):
                if not ioapic_done:
                    rows += [(0, chip, 2, "edge", "timer"), (1, chip, 1, "edge", "i8042"),
                             (8, chip, 8, "edge", "rtc0"), (9, chip, 9, "fasteoi", "acpi")]
                    ioapic_done = True
                else:
                    rows.append((12, chip, 12, "edge", "i8042"))
            elif re.search(r"PCI-MSI(X)?$", chip) and with_driver:
                for dev in with_driver:
                    action = f"vfio-msi[0]({dev.addr})" if dev.driver == "vfio-pci" else dev.driver
                    rows.append((next_irq, f"{chip}-{dev.addr}", 0, "edge", action))
                    next_irq += 1
            elif chip == "DMAR-MSI":
                for n, unit in enumerate(u for u in self.h.iommus.values() if u["kind"] == "intel"):
                    rows.append((next_irq, chip, n, "edge", unit["name"]))
                    next_irq += 1
            else:
                rows.append((next_irq, chip, 0, "edge", "PCIe PME"))
                next_irq += 1
        rows.sort(key=lambda r: r[0])
        out = [" " * (prec + 8) + "".join("CPU%-8d" % c for c in range(2)) + "\n"]
        for irq, chip, hwirq, flow, action in rows:
            out.append("%*d: %10u %10u  %8s %*d-%-8s  %s\n" % (prec, irq, 12 * irq + 3, 0, chip, prec, hwirq,
                                                                flow, action))
        self.t.write("/proc/interrupts", "".join(out), 0o444)

    # -- block devices, mounts --------------------------------------------------------------

    def blocks(self):
        t = self.t
        for blk in self.h.blocks.values():
            d, ctrl_dir = blk["dir"], blk["ctrl_dir"]
            major, minor = blk["devnum"]
            name = blk["name"]
            devtype = "partition" if blk["kind"] == "part" else "disk"
            t.write(f"{d}/dev", f"{major}:{minor}\n", 0o444)
            t.write(f"{d}/size", "%d\n" % (1953525168 if blk["kind"] != "part" else 1048576 * blk["partno"]), 0o444)
            t.write(f"{d}/ro", "0\n", 0o444)
            uevent = f"MAJOR={major}\nMINOR={minor}\nDEVNAME={name}\nDEVTYPE={devtype}\n"
            if blk["kind"] == "part":
                uevent += f"PARTN={blk['partno']}\n"
                t.write(f"{d}/partition", "%d\n" % blk["partno"], 0o444)
                t.write(f"{d}/start", "%d\n" % (2048 + 1048576 * (blk["partno"] - 1)), 0o444)
            else:
                t.write(f"{d}/removable", "0\n", 0o444)
                t.mkdir(f"{d}/slaves")
                t.sysfs_link(f"/sys/block/{name}", d)
                if blk["kind"] == "disk":
                    self.disk_device_link(d, ctrl_dir)
            t.write(f"{d}/uevent", uevent, 0o644)
            t.mkdir(f"{d}/holders")
            t.sysfs_link(f"{d}/subsystem", "/sys/class/block")
            t.sysfs_link(f"/sys/class/block/{name}", d)
            t.sysfs_link(f"/sys/dev/block/{major}:{minor}", d)
            if ctrl_dir:
                t.sysfs_link(f"{ctrl_dir}/device", posixpath.dirname(posixpath.dirname(ctrl_dir)))
                t.sysfs_link(f"/sys/class/nvme/{posixpath.basename(ctrl_dir)}", ctrl_dir)
            if blk["kind"] == "dm":
                t.write(f"{d}/dm/name", blk["dm_name"] + "\n", 0o444)
                t.write(f"{d}/dm/uuid", "LVM-pcipt%s\n" % blk["dm_name"].replace("-", ""), 0o444)
                t.write(f"{d}/dm/suspended", "0\n", 0o444)
        for blk in self.h.blocks.values():
            for holder in blk["holders"]:
                t.sysfs_link(f"{holder['dir']}/slaves/{blk['name']}", blk["dir"])
                t.sysfs_link(f"{blk['dir']}/holders/{holder['name']}", holder["dir"])

    def disk_device_link(self, d, ctrl_dir):
        """A disk's "device" link: its SCSI device, virtio device, NVMe controller or, with
        native NVMe multipath, the NVMe subsystem (which links its controllers)."""
        t = self.t
        parent = posixpath.dirname(d)
        if not ctrl_dir:
            t.sysfs_link(f"{d}/device", posixpath.dirname(parent))  # .../0:0:0:0/block/sda
        elif d.startswith(ctrl_dir + "/"):
            t.sysfs_link(f"{d}/device", ctrl_dir)
        else:
            t.sysfs_link(f"{parent}/{posixpath.basename(ctrl_dir)}", ctrl_dir)
            t.sysfs_link(f"{d}/device", parent)
            t.sysfs_link(f"/sys/class/nvme-subsystem/{posixpath.basename(parent)}", parent)

    def mounts(self):
        if not self.h.mounts:
            return
        info, mounts = [], []
        ids = {}
        for n, m in enumerate(self.h.mounts):
            mnt_id = 25 + n
            parent = 1
            best = -1
            for point, pid in ids.items():
                prefix = point.rstrip("/") + "/"
                if (point == "/" or m["point"].startswith(prefix)) and len(point) > best:
                    parent, best = pid, len(point)
            ids[m["point"]] = mnt_id
            major, minor = m["devnum"]
            point = mangle(m["point"])
            source = mangle(m["source"])
            info.append(f"{mnt_id} {parent} {major}:{minor} / {point} rw,relatime shared:{n + 1} - "
                        f"{m['fstype']} {source} rw\n")
            mounts.append(f"{source} {point} {m['fstype']} rw,relatime 0 0\n")
        self.t.write("/proc/self/mountinfo", "".join(info), 0o444)
        self.t.write("/proc/self/mounts", "".join(mounts), 0o444)
        self.t.symlink("/proc/mounts", "self/mounts")

    # -- network ----------------------------------------------------------------------------

    def nets(self):
        t = self.t
        for nic in self.h.nets.values():
            d = nic["dir"]
            n = nic["ifindex"]
            mac = "52:54:00:%02x:%02x:%02x" % (0x12, n >> 8, n & 0xFF)
            for name, value in (("address", mac + "\n"), ("addr_len", "6\n"), ("ifindex", "%d\n" % n),
                                ("iflink", "%d\n" % n), ("mtu", "1500\n"), ("type", "1\n"),
                                ("flags", "0x1003\n"), ("operstate", "up\n"), ("carrier", "1\n")):
                t.write(f"{d}/{name}", value, 0o444)
            t.write(f"{d}/uevent", f"INTERFACE={nic['name']}\nIFINDEX={n}\n", 0o644)
            t.sysfs_link(f"{d}/subsystem", "/sys/class/net")
            t.sysfs_link(f"/sys/class/net/{nic['name']}", d)
            if nic["kind"] == "on":
                t.sysfs_link(f"{d}/device", nic["dev"].dir)
            if nic["kind"] == "bridge":
                t.write(f"{d}/bridge/stp_state", "0\n", 0o644)
                t.write(f"{d}/bridge/forward_delay", "0\n", 0o644)
                t.write(f"{d}/bridge/bridge_id", "8000.%s\n" % mac.replace(":", ""), 0o444)
                t.mkdir(f"{d}/brif")
            if nic["kind"] == "bond":
                t.write(f"{d}/bonding/slaves", " ".join(l["name"] for l in nic["lowers"]) + "\n", 0o644)
                t.write(f"{d}/bonding/mode", "active-backup 1\n", 0o644)
        for nic in self.h.nets.values():
            for lower in nic["lowers"]:
                # netdev_adjacent_sysfs_add(): lower_X in the upper, upper_Y in the lower
                t.sysfs_link(f"{nic['dir']}/lower_{lower['name']}", lower["dir"])
                t.sysfs_link(f"{lower['dir']}/upper_{nic['name']}", nic["dir"])
                if nic["kind"] != "vlan":
                    t.sysfs_link(f"{lower['dir']}/master", nic["dir"])
                if nic["kind"] == "bridge":
                    brport = f"{lower['dir']}/brport"
                    t.write(f"{brport}/state", "3\n", 0o644)
                    t.sysfs_link(f"{brport}/bridge", nic["dir"])
                    t.sysfs_link(f"{nic['dir']}/brif/{lower['name']}", brport)
                if nic["kind"] == "bond":
                    t.write(f"{lower['dir']}/bonding_slave/state", "active\n", 0o444)

    def routes(self):
        if not self.h.routes:
            return

        def hexaddr(octets):
            # the kernel prints the __be32 as a host-order (little-endian) number
            return "%08X" % struct.unpack("<I", bytes(octets))[0]

        def line(*fields):
            return ("%s\t%s\t%s\t%s\t%d\t%u\t%d\t%s\t%d\t%u\t%u" % fields).ljust(127) + "\n"

        out = ["%-127s\n" % "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"]
        for r in self.h.routes:
            mask = (0xFFFFFFFF << (32 - r["len"])) & 0xFFFFFFFF
            mask_octets = list(struct.pack(">I", mask))
            net = [a & b for a, b in zip(r["net"], mask_octets)]
            out.append(line(r["ifname"], "00000000", hexaddr(r["via"]), "0003", 0, 0, 0, "00000000", 0, 0, 0))
            out.append(line(r["ifname"], hexaddr(net), "00000000", "0001", 0, 0, 0, hexaddr(mask_octets), 0, 0, 0))
        self.t.write("/proc/net/route", "".join(out), 0o444)

    # -- Proxmox run state, VM configs ------------------------------------------------------

    def qemu_server(self):
        h, t = self.h, self.t
        if h.reservations:
            # PVE/QemuServer/PCI.pm writes "$pci_id $vmid pid:$pid" (VM started) or
            # "$pci_id $vmid time:$expiry" (start in progress) lines, sorted by PCI id, and reads
            # them back with m/^($PCIRE)\s(\d+)\s(time|pid)\:(\d+)$/ -- one line per device.
            t.write("/run/qemu-server/pci-id-reservations", "".join(h.reservations[a] for a in sorted(h.reservations)))
        for vmid, run in h.running.items():
            pid = run["pid"]
            t.write(f"/run/qemu-server/{vmid}.pid", f"{pid}\n")
            argv = kvm_argv(vmid, run["addrs"])
            t.write(f"/proc/{pid}/cmdline", "".join(a + "\0" for a in argv), 0o444)
            t.write(f"/proc/{pid}/stat", f"{pid} (kvm) S 1 {pid} {pid} 0 -1 138412352 0 0 0 0 0 0 0 0 20 0 "
                                         f"{6 + len(run['addrs'])} 0 {1000 + pid} 0 0\n", 0o444)
            t.write(f"/proc/{pid}/comm", "kvm\n", 0o644)
        for vmid, body in h.vms.items():
            t.write(f"/etc/pve/qemu-server/{vmid}.conf", body, 0o640)


def kvm_argv(vmid, addrs):
    """What qemu-server's config_to_command starts, trimmed to the parts pcipt and
    PVE::QemuServer::Helpers::vm_running_locally look at (-id, -pidfile, -device vfio-pci).
    The functions of one slot are one hostpciN entry (hostpci0: 0000:01:00), each slot its own
    entry on its own PCIe root port, as print_hostpci_devices() emits them for pcie=1."""
    run = "/var/run/qemu-server"
    argv = ["/usr/bin/kvm", "-id", str(vmid), "-name", f"vm{vmid},debug-threads=on", "-no-shutdown",
            "-chardev", f"socket,id=qmp,path={run}/{vmid}.qmp,server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
            "-pidfile", f"{run}/{vmid}.pid", "-daemonize",
            "-smp", "4,sockets=1,cores=4,maxcpus=4", "-nodefaults", "-m", "8192",
            "-machine", "type=pc-q35-8.1+pve0"]
    slots = {}
    for addr in addrs:
        slots.setdefault(addr.rsplit(".", 1)[0], []).append(addr)
    for i, functions in enumerate(slots.values()):
        port = f"ich9-pcie-port-{i + 1}"
        if i > 3:  # the first four root ports come with qemu-server's pve-q35 config
            slot = "%x.%d" % (0x10 + (i - 4) // 8, (i - 4) % 8)  # print_pcie_root_port(): 10.0 .. 11.3
            argv += ["-device", f"pcie-root-port,id={port},addr={slot},x-speed=16,x-width=32,"
                                f"multifunction=on,bus=pcie.0,port={i + 1},chassis={i + 1}"]
        multi = len(functions) > 1
        for j, addr in enumerate(functions):
            mf = f".{j}" if multi else ""
            dev = f"vfio-pci,host={addr},id=hostpci{i}{mf},bus={port},addr=0x0{mf}"
            if multi and j == 0:
                dev += ",multifunction=on"
            argv += ["-device", dev]
    return argv


def mangle(path):
    """seq_path()/mangle(): space, tab, newline and backslash as octal escapes."""
    return "".join("\\%03o" % ord(c) if c in " \t\n\\" else c for c in path)


GRUB_TEMPLATE = """\
# If you change this file, run 'update-grub' afterwards to update
# /boot/grub/grub.cfg.
# For full documentation of the options in this file, see:
#   info -f grub -n 'Simple configuration'

GRUB_DEFAULT=0
GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="Proxmox VE"
GRUB_CMDLINE_LINUX_DEFAULT="{words}"
GRUB_CMDLINE_LINUX=""
"""


# --- main ----------------------------------------------------------------------------------


def main(argv):
    if len(argv) != 3 or argv[1].startswith("-"):
        print("usage: mkhost.py SPEC DESTDIR", file=sys.stderr)
        return 2
    spec, dest = argv[1], argv[2]
    try:
        with open(spec, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        print(f"mkhost.py: cannot read {spec}: {e}", file=sys.stderr)
        return 2
    if os.path.lexists(dest) and (not os.path.isdir(dest) or os.path.islink(dest) or os.listdir(dest)):
        print(f"mkhost.py: {dest} exists and is not an empty directory", file=sys.stderr)
        return 2
    host = Host(os.path.dirname(os.path.abspath(spec)))
    try:
        for d in read_spec(text):
            host.apply(d)
        host.finish()
        os.makedirs(dest, exist_ok=True)
        Renderer(host, Tree(dest)).run()
    except SpecError as e:
        print(f"{spec}:{e.line}: error: {e.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
