#!/usr/bin/env bash
# selftest.sh -- check that the fake hosts of mkhost.py and the captures of capture-host.sh read
# like a real machine: libpci's sysfs backend (lspci -A linux-sysfs) must list every device with
# its ids, class, driver, IOMMU group and capabilities; every link must resolve inside the root
# in the kernel's own relative form; the procfs and Proxmox files must have the kernel's and
# qemu-server's formats; spec errors must be reported as SPEC:LINE.  Prints TAP; exits 1 when a
# test fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkhost="python3 $here/mkhost.py"

count=0 failed=0
ok() {
	count=$((count + 1))
	echo "ok $count - $1"
}
not_ok() {
	count=$((count + 1))
	failed=$((failed + 1))
	echo "not ok $count - $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | head -n 20 | sed 's/^/#   /'
}
# check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "$out"; fi
}

# lspci on the fake root ROOT; fails on any message but libkmod's (this machine's modules)
flspci() {
	local root=$1 status
	shift
	lspci -A linux-sysfs -O sysfs.path="$root/sys/bus/pci" "$@" 2>"$work/lspci.err"
	status=$?
	if grep -v 'Unable to load libkmod resources' "$work/lspci.err" >&2; then return 1; fi
	return $status
}
has() { grep -qF -- "$2" <<<"$1" || { echo "missing: $2"; return 1; }; }
lacks() { ! grep -qF -- "$2" <<<"$1" || { echo "unexpected: $2"; return 1; }; }
link_is() {
	local got
	got=$(readlink -- "$1") || { echo "$1 is not a link"; return 1; }
	[ "$got" = "$2" ] || { echo "$1 -> $got, expected $2"; return 1; }
}
same_file() { [ "$(readlink -f -- "$1")" = "$(readlink -f -- "$2")" ] || { echo "$1 does not lead to $2"; return 1; }; }

# links_inside [-c] ROOT [EXCEPT...]: every link below ROOT resolves inside ROOT and exists,
# but the ones named (paths in the root).  -c (a capture): a link may dangle where the same
# link dangles on this machine.
links_inside() {
	local capture=0 root l target rel bad=0
	[ "$1" = -c ] && { capture=1; shift; }
	root=$1
	shift
	while IFS= read -r -d '' l; do
		rel=${l#"$root"}
		case " $* " in *" $rel "*) continue ;; esac
		target=$(readlink -f -- "$l") || target="(unresolvable)"
		case $target in "$root" | "$root"/*) ;; *) echo "out: $l -> $(readlink -- "$l")"; bad=1; continue ;; esac
		[ -e "$l" ] && continue
		[ $capture = 1 ] && [ -L "$rel" ] && [ ! -e "$rel" ] && continue
		echo "dangling: $l -> $(readlink -- "$l")"
		bad=1
	done < <(find "$root" -type l -print0)
	return $bad
}

# --- the example host ----------------------------------------------------------------------
spec=$here/example.spec
root=$work/example
check "mkhost.py builds example.spec" $mkhost "$spec" "$root"

# what the spec declares: ADDR VENDOR DEVICE CLASS REV SUBSYS DRIVER GROUP per device
awk '$1 == "device" {
	rev = "00"; sub_ = $3; drv = "-"; grp = "-"
	for (i = 4; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "class") cls = kv[2]
		if (kv[1] == "rev") rev = kv[2]
		if (kv[1] == "subsys") sub_ = kv[2]
		if (kv[1] == "driver") drv = kv[2]
		if (kv[1] == "group") grp = kv[2]
		if ($i == "bridge" && sub_ == $3) sub_ = "-"
	}
	print $2, $3, cls, rev, sub_, drv, grp
}' "$spec" | sed 's/bridge//' >"$work/declared"

listed=$(flspci "$root" -D -n | awk '{print $1}' | sort)
check "lspci lists exactly the $(wc -l <"$work/declared") declared devices" \
	diff <(awk '{print $1}' "$work/declared" | sort) <(printf '%s\n' "$listed")

while read -r addr ids cls rev subsys drv grp; do
	desc="$addr read by libpci: $ids class ${cls:0:4} rev $rev subsystem $subsys driver $drv group $grp"
	mm=$(flspci "$root" -D -n -mm -s "$addr")
	verbose=$(flspci "$root" -D -nn -v -s "$addr")
	want="$addr \"${cls:0:4}\" \"${ids%:*}\" \"${ids#*:}\""
	[ "$rev" = 00 ] || want="$want -r$rev"
	errors=""
	case $mm in "$want"*) ;; *) errors="lspci -mm: $mm; expected $want" ;; esac
	if [ "$subsys" != - ]; then
		case $mm in *"\"${subsys%:*}\" \"${subsys#*:}\"") ;; *) errors="$errors subsystem: $mm" ;; esac
	fi
	if [ "$drv" != - ]; then
		grep -q "Kernel driver in use: $drv\$" <<<"$verbose" || errors="$errors no 'Kernel driver in use: $drv'"
	else
		grep -q "Kernel driver in use" <<<"$verbose" && errors="$errors a driver where none is declared"
	fi
	if [ "$grp" != - ]; then
		grep -q "IOMMU group $grp\$\|IOMMU group: $grp\$\|IOMMU group $grp," <<<"$verbose" ||
			errors="$errors no IOMMU group $grp"
	fi
	if [ -z "$errors" ]; then ok "$desc"; else not_ok "$desc" "$errors"; fi
done <"$work/declared"

caps_of() { flspci "$root" -vvv -s "$1"; }
check "PCIe root port with ACS enabled (00:01.0)" bash -c '
	v=$1; grep -qF "Express (v2) Root Port (Slot+)" <<<"$v" && grep -qF "[100 v1] Access Control Services" <<<"$v" &&
	grep -qP "ACSCtl:\tSrcValid\+ TransBlk- ReqRedir\+ CmpltRedir\+ UpstreamFwd\+" <<<"$v"' _ "$(caps_of 00:01.0)"
check "ACS present but disabled (00:1d.0)" bash -c '
	grep -qP "ACSCtl:\tSrcValid- TransBlk- ReqRedir- CmpltRedir- UpstreamFwd-" <<<"$1"' _ "$(caps_of 00:1d.0)"
check "switch: upstream port 04:00.0, downstream port 05:01.0, bus numbers 04-06" bash -c '
	grep -qF "Express (v2) Upstream Port" <<<"$1" && grep -qF "Express (v2) Downstream Port (Slot+)" <<<"$2" &&
	grep -qF "Bus: primary=00, secondary=04, subordinate=06" <<<"$3"' _ \
	"$(caps_of 04:00.0)" "$(caps_of 05:01.0)" "$(caps_of 00:1d.0)"
check "GPU is a legacy endpoint advertising FLR, with its ROM BAR" bash -c '
	grep -qF "Express (v2) Legacy Endpoint" <<<"$1" && grep -qF "FLReset+" <<<"$1" &&
	grep -qF "Expansion ROM at f7000000 [disabled] [size=512K]" <<<"$1" &&
	grep -qF "Region 1: Memory at e0000000 (64-bit, prefetchable) [size=256M]" <<<"$1"' _ "$(caps_of 01:00.0)"
check "NVMe is an endpoint, the iGPU an integrated endpoint, SATA conventional PCI" bash -c '
	grep -qF "Express (v2) Endpoint" <<<"$1" && grep -qF "Root Complex Integrated Endpoint" <<<"$2" &&
	! grep -qF "Express" <<<"$3" && grep -qF "Power Management version 3" <<<"$3"' _ \
	"$(caps_of 02:00.0)" "$(caps_of 00:02.0)" "$(caps_of 00:17.0)"
check "SR-IOV PF: capability with 7 VFs, 2 enabled; VF device id from its VFs" bash -c '
	grep -qF "Single Root I/O Virtualization (SR-IOV)" <<<"$1" &&
	grep -qF "Initial VFs: 7, Total VFs: 7, Number of VFs: 2" <<<"$1" && grep -qF "Device ID: 1520" <<<"$1"' _ \
	"$(caps_of 03:00.0)"
check "config=64 reads as an unprivileged reader sees it" bash -c '
	grep -qF "Capabilities: <access denied>" <<<"$1"' _ "$(caps_of 06:00.0)"
check "multi-function slot 00:1f has the header type bit, single functions not" bash -c '
	[ "$(setpci -A linux-sysfs -O sysfs.path="$1/sys/bus/pci" -s 00:1f.0 HEADER_TYPE)" = 80 ] &&
	[ "$(setpci -A linux-sysfs -O sysfs.path="$1/sys/bus/pci" -s 00:01.0 HEADER_TYPE)" = 01 ] &&
	[ "$(setpci -A linux-sysfs -O sysfs.path="$1/sys/bus/pci" -s 02:00.0 HEADER_TYPE)" = 00 ]' _ "$root"
tree=$(flspci "$root" -t)
check "lspci -t nests the devices under their bridges" bash -c '
	grep -qF -- "+-01.0-[01]--+-00.0" <<<"$1" && grep -qF -- "+-1d.0-[04-06]----00.0-[05-06]----01.0-[06]----00.0" <<<"$1" &&
	grep -qF -- "+-1c.4-[03]--+-00.0" <<<"$1"' _ "$tree"

S=$root/sys
check "every link resolves inside the root" links_inside "$root" \
	/sys/devices/pci0000:00/0000:00:02.0/firmware_node
check "PCI links have the kernel's relative form" bash -c "
	$(declare -f link_is)
	d=\$1/devices/pci0000:00/0000:00:01.0/0000:01:00.0
	link_is \$1/bus/pci/devices/0000:01:00.0 ../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0 &&
	link_is \$d/iommu_group ../../../../kernel/iommu_groups/14 &&
	link_is \$d/driver ../../../../bus/pci/drivers/vfio-pci &&
	link_is \$d/iommu ../../../virtual/iommu/dmar1 &&
	link_is \$1/bus/pci/drivers/vfio-pci/0000:01:00.0 ../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0 &&
	link_is \$1/kernel/iommu_groups/14/devices/0000:01:00.1 ../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.1 &&
	link_is \$1/devices/pci0000:00/pci_bus/0000:00/device ../../../pci0000:00 &&
	link_is \$1/devices/pci0000:00/0000:00:01.0/pci_bus/0000:01/device ../../../0000:00:01.0 &&
	link_is \$1/class/iommu/dmar1 ../../devices/virtual/iommu/dmar1 &&
	link_is \$1/devices/pci0000:00/0000:00:1c.4/0000:03:10.0/physfn ../0000:03:00.0" _ "$S"
check "block and net links have the kernel's relative form" bash -c "
	$(declare -f link_is)
	sda=pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda
	link_is \$1/dev/block/8:3 ../../devices/\$sda/sda3 &&
	link_is \$1/block/sda ../devices/\$sda &&
	link_is \$1/devices/\$sda/device ../../../0:0:0:0 &&
	link_is \$1/devices/virtual/block/dm-1/slaves/sda3 ../../../../\$sda/sda3 &&
	link_is \$1/devices/\$sda/sda3/holders/dm-1 ../../../../../../../../../../virtual/block/dm-1 &&
	link_is \$1/class/block/nvme0n1 ../../devices/pci0000:00/0000:00:1c.0/0000:02:00.0/nvme/nvme0/nvme0n1 &&
	link_is \$1/class/net/vmbr0/lower_bond0 ../bond0 &&
	link_is \$1/class/net/bond0/lower_enp3s0f0 ../../../pci0000:00/0000:00:1c.4/0000:03:00.0/net/enp3s0f0 &&
	link_is \$1/class/net/enp3s0f0/master ../../../../../virtual/net/bond0 &&
	link_is \$1/class/net/enp3s0f0/device ../../../0000:03:00.0 &&
	link_is \$1/class/net/vmbr0/brif/bond0 ../../bond0/brport" _ "$S"
check "links lead where the kernel's do" bash -c "
	$(declare -f same_file)
	same_file \$1/bus/pci/devices/0000:01:00.0/iommu_group \$1/kernel/iommu_groups/14 &&
	same_file \$1/dev/block/253:1/slaves/sda3/../device/../../../.. \$1/devices/pci0000:00/0000:00:17.0 &&
	same_file \$1/class/net/vmbr0/lower_bond0/lower_enp3s0f1/device \$1/bus/pci/devices/0000:03:00.1 &&
	same_file \$1/class/iommu/dmar0/devices/0000:00:02.0 \$1/bus/pci/devices/0000:00:02.0" _ "$S"

check "sysfs attribute formats (ids, class, modalias, resource lines, reset, sriov)" bash -c '
	d=$1/bus/pci/devices/0000:01:00.0
	[ "$(cat $d/vendor $d/device $d/class $d/revision $d/subsystem_vendor)" = "$(printf "0x10de\n0x1b80\n0x030000\n0xa1\n0x1458")" ] &&
	[ "$(cat $d/modalias)" = pci:v000010DEd00001B80sv00001458sd00003702bc03sc00i00 ] &&
	[ "$(wc -l <$d/resource)" = 13 ] && [ "$(wc -l <$1/bus/pci/devices/0000:00:01.0/resource)" = 17 ] &&
	[ "$(sed -n 2p $d/resource)" = "0x00000000e0000000 0x00000000efffffff 0x000000000014220c" ] &&
	[ "$(cat $d/reset_method)" = "flr bus" ] && [ -e $d/reset ] && [ "$(cat $d/boot_vga)" = 0 ] &&
	[ "$(cat $d/driver_override)" = "(null)" ] && [ "$(stat -c %s $d/config)" = 4096 ] &&
	[ ! -e $1/bus/pci/devices/0000:06:00.0/reset_method ] && [ ! -e $1/bus/pci/devices/0000:00:17.0/boot_vga ] &&
	[ "$(stat -c %s $1/bus/pci/devices/0000:00:17.0/config)" = 256 ] &&
	[ "$(cat $1/bus/pci/devices/0000:03:00.0/sriov_totalvfs $1/bus/pci/devices/0000:03:00.0/sriov_numvfs)" = "$(printf "7\n2")" ] &&
	[ "$(cat $1/bus/pci/devices/0000:03:10.2/power_state)" = D3cold ]' _ "$S"
check "IOMMU units and groups (values without 0x, reserved regions)" bash -c '
	[ "$(cat $1/class/iommu/dmar1/intel-iommu/ecap)" = f050da ] &&
	[ "$(cat $1/class/iommu/dmar1/intel-iommu/cap)" = d2008c40660462 ] &&
	[ "$(cat $1/kernel/iommu_groups/14/reserved_regions)" = "0x00000000fee00000 0x00000000feefffff msi" ] &&
	grep -qx "0x000000007b800000 0x000000007fffffff direct" $1/kernel/iommu_groups/2/reserved_regions &&
	[ "$(head -c 4 $1/firmware/acpi/tables/DMAR)" = DMAR ] &&
	[ $(( ( $(od -An -tu1 -v $1/firmware/acpi/tables/DMAR | tr -s " " "\n" | grep -v "^$" | paste -sd+) ) % 256 )) = 0 ]' _ "$S"
check "modules: parameters, loaded and built-in, vfio-pci driver registered" bash -c '
	[ "$(cat $1/module/kvm/parameters/ignore_msrs)" = Y ] && [ "$(cat $1/module/vfio_pci/initstate)" = live ] &&
	[ -d $1/module/vfio/parameters ] && [ ! -e $1/module/pcieport/initstate ] &&
	[ -e $1/bus/pci/drivers/vfio-pci/bind ] && [ -L $1/bus/pci/drivers/vfio-pci/module ]' _ "$S"

P=$root/proc
check "/proc/net/route has the kernel's header, padding and default route" bash -c '
	[ "$(head -n 1 $1/net/route)" = "$(printf "%-127s" "$(printf "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT")")" ] &&
	[ "$(awk "length(\$0) != 127" $1/net/route | wc -l)" = 0 ] &&
	awk -F"\t" "\$2 == \"00000000\" && \$3 == \"0101A8C0\" && \$4 == \"0003\" && \$1 == \"vmbr0\" {f=1} END {exit !f}" $1/net/route' _ "$P"
check "/proc/self/mountinfo and /proc/mounts" bash -c '
	grep -qx "25 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/pve-root rw" $1/self/mountinfo &&
	grep -qx "27 25 259:1 / /mnt/fast rw,relatime shared:3 - xfs /dev/nvme0n1p1 rw" $1/self/mountinfo &&
	[ -d $1/self ] && [ ! -L $1/self ] && grep -q "^/dev/sda2 /boot/efi vfat " $1/mounts' _ "$P"
check "/proc/interrupts: header and IR- chips in the chip column" bash -c '
	[ "$(head -n 1 $1/interrupts)" = "           CPU0       CPU1       " ] &&
	awk "\$4 == \"IR-IO-APIC\" {a=1} \$4 ~ /^IR-PCI-MSI-0000:/ {b=1} END {exit !(a && b)}" $1/interrupts' _ "$P"
check "/proc/cpuinfo: two GenuineIntel processors with vmx" bash -c '
	[ "$(grep -c "^vendor_id	: GenuineIntel$" $1/cpuinfo)" = 2 ] && grep -q "^flags		: .* vmx " $1/cpuinfo' _ "$P"
check "qemu-server state: reservations in PCI.pm's format, kvm command line of VM 100" bash -c '
	[ "$(grep -cE "^([a-f0-9]{4}:)?[a-f0-9]{2}:[a-f0-9]{2}(\.[a-f0-9])? [0-9]+ (time|pid):[0-9]+$" $1/run/qemu-server/pci-id-reservations)" = 3 ] &&
	[ "$(cat $1/run/qemu-server/100.pid)" = 4242 ] &&
	tr "\0" "\n" <$1/proc/4242/cmdline | grep -qx "vfio-pci,host=0000:01:00.0,id=hostpci0.0,bus=ich9-pcie-port-1,addr=0x0.0,multifunction=on" &&
	tr "\0" "\n" <$1/proc/4242/cmdline | grep -A1 -x -- -pidfile | grep -qx /var/run/qemu-server/100.pid' _ "$root"
check "Proxmox files: pmxcfs links, VM configs, boot files, copied and literal files" bash -c '
	[ "$(readlink $1/etc/pve/qemu-server)" = nodes/pve1/qemu-server ] &&
	grep -qx "hostpci0: 0000:01:00,pcie=1,romfile=gtx1070.rom" $1/etc/pve/nodes/pve1/qemu-server/100.conf &&
	grep -qx "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet intel_iommu=on iommu=pt\"" $1/etc/default/grub &&
	grep -q " intel_iommu=on iommu=pt$" $1/proc/cmdline && [ "$(cat $1/etc/hostname)" = pve1 ] &&
	[ -x $1/var/lib/vz/snippets/pcipt-hook ] && cmp -s $1/proc/iomem "$2/example-iomem.txt" &&
	grep -qx "	path /var/lib/vz" $1/etc/pve/storage.cfg' _ "$root" "$here"
check "option ROMs: images, PCIR ids, code types, EFI header, broken variants" python3 - "$root/usr/share/kvm" <<'PY'
import struct, sys
d = sys.argv[1]
def images(path):
    rom = open(path, "rb").read()
    out, off = [], 0
    while off < len(rom) and len(out) < 8:
        assert rom[off:off + 2] == b"\x55\xaa", f"{path}: no 0x55AA at {off:#x}"
        pcir = off + struct.unpack_from("<H", rom, off + 0x18)[0]
        assert rom[pcir:pcir + 4] == b"PCIR", f"{path}: no PCIR"
        vendor, device = struct.unpack_from("<HH", rom, pcir + 4)
        length, _, ctype, ind = struct.unpack_from("<HHBB", rom, pcir + 0x10)
        out.append((vendor, device, ctype, ind, rom[off + 4:off + 6]))
        if ind & 0x80 or length == 0:
            break
        off += length * 512
    return out, rom
imgs, rom = images(f"{d}/gtx1070.rom")
assert [(i[0], i[1], i[2], i[3]) for i in imgs] == [(0x10DE, 0x1B80, 0, 0), (0x10DE, 0x1B80, 3, 0x80)], imgs
assert imgs[1][4] == b"\xf1\x0e" and rom[2048 + 0x0A:2048 + 0x0C] == b"\x64\x86", "EFI header"
assert sum(rom[:2048]) % 256 == 0, "legacy image checksum"
imgs, _ = images(f"{d}/broken.rom")
assert struct.unpack_from("<H", open(f"{d}/broken.rom", "rb").read(), 0x1C + 0x10)[0] == 0, "loop: length 0"
PY

# --- an AMD host, NVMe with native multipath -----------------------------------------------
cat >"$work/amd.spec" <<'SPEC'
cpu amd
cmdline BOOT_IMAGE=/boot/vmlinuz-6.8.12-4-pve root=ZFS=rpool/ROOT/pve-1 boot=zfs quiet
acpi IVRS
device 0000:00:00.0 1022:1480 class=060000 nopcie group=0
device 0000:00:00.2 1022:1481 class=080600 nopcie
device 0000:00:01.1 1022:1483 class=060400 bridge group=2 driver=pcieport
device 0000:01:00.0 144d:a80a class=010802 group=2 driver=nvme
iommu ivhd0 amd
interrupts IR-PCI-MSI IR-IO-APIC
block nvme0n1 259:0 on 0000:01:00.0 nvme-multipath
SPEC
amd=$work/amd
check "mkhost.py builds an AMD host" $mkhost "$work/amd.spec" "$amd"
check "AMD IOMMU unit lives under its PCI function, class link and features" bash -c "
	$(declare -f link_is)
	link_is \$1/sys/class/iommu/ivhd0 ../../devices/pci0000:00/0000:00:00.2/iommu/ivhd0 &&
	[ \"\$(cat \$1/sys/class/iommu/ivhd0/amd-iommu/features)\" = 58f77ef22294ade:0 ] &&
	link_is \$1/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/iommu ../../0000:00:00.2/iommu/ivhd0 &&
	grep -q 'AuthenticAMD' \$1/proc/cpuinfo && [ \"\$(head -c 4 \$1/sys/firmware/acpi/tables/IVRS)\" = IVRS ]" _ "$amd"
check "native NVMe multipath: disk in the subsystem, controller link to the PCI device" bash -c "
	$(declare -f link_is same_file)
	link_is \$1/sys/block/nvme0n1 ../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1 &&
	same_file \$1/sys/block/nvme0n1/device/nvme0/device \$1/sys/bus/pci/devices/0000:01:00.0" _ "$amd"
check "every link of the AMD host resolves inside it" links_inside "$amd"

# --- spec errors -------------------------------------------------------------------------
# expect_error DESCRIPTION LINE MESSAGE-PART SPEC: SPEC (printf %b escapes) fails with
# "SPEC:LINE: error: ...MESSAGE-PART..." and status 2
expect_error() {
	local desc=$1 line=$2 part=$3 bad=$work/bad.spec out status
	printf '%b' "$4" >"$bad"
	rm -rf "$work/bad"
	out=$($mkhost "$bad" "$work/bad" 2>&1)
	status=$?
	if [ $status -eq 2 ] && grep -qF -- "$bad:$line: error: " <<<"$out" && grep -qF -- "$part" <<<"$out"; then
		ok "spec error: $desc"
	else
		not_ok "spec error: $desc" "status $status: $out"
	fi
}
expect_error "unknown directive" 2 "unknown directive 'frobnicate'" 'cpu intel\nfrobnicate 1\n'
expect_error "duplicate device address" 2 "declared twice" \
	'device 00:02.0 8086:3e92 class=030000\ndevice 0000:00:02.0 8086:3e92 class=030000\n'
expect_error "disk on a missing device" 3 "not declared above" '# disks\n\nblock sda 8:0 on 0000:00:17.0\n'
expect_error "unknown option" 1 "unknown option 'colour='" 'device 0000:00:02.0 8086:3e92 class=030000 colour=red\n'
expect_error "device behind no bridge" 1 "no bridge" 'device 0000:01:00.0 10de:1b80 class=030000 group=14\n'
expect_error "regions of a group without devices" 2 "no device is in group 7" \
	'device 0000:00:02.0 8086:3e92 class=030000 group=2\ngroup-regions 7 <<EOF\n0x0000000000000000 0x0000000000000fff direct\nEOF\n'
expect_error "unclosed here-document" 2 "not closed" 'cpu amd\nvm 100 <<EOF\nmemory: 512\n'
expect_error "boot_vga on a non-VGA device" 1 "boot_vga" 'device 0000:00:17.0 8086:a352 class=010601 boot_vga=1\n'
expect_error "NIC on a missing device" 1 "not declared above" 'net eth0 on 0000:00:19.0\n'
check "mkhost.py refuses a DESTDIR that is not empty" bash -c '$1 "$2" "$3" 2>/dev/null; [ $? -eq 2 ]' _ \
	"$mkhost" "$spec" "$root"

# --- capture of this machine -------------------------------------------------------------
cap=$work/capture
if [ -d /sys/bus/pci/devices ]; then
	check "capture-host.sh captures this machine" "$here/capture-host.sh" "$cap"
	check "lspci -n on the capture equals lspci -n on the host" diff <(lspci -n 2>&1) <(flspci "$cap" -n)
	check "lspci -nnvvv on the capture equals the host's" diff <(lspci -nnvvv 2>&1 | grep -v libkmod) <(flspci "$cap" -nnvvv)
	check "lspci -tv on the capture equals the host's" diff <(lspci -tv 2>&1) <(flspci "$cap" -tv)
	check "every link of the capture resolves inside it" links_inside -c "$cap"
	check "capture-host.sh refuses a DESTDIR that is not empty" bash -c '! "$1" "$2" >/dev/null 2>&1' _ \
		"$here/capture-host.sh" "$cap"
else
	ok "capture-host.sh # SKIP no /sys/bus/pci on this machine"
fi

echo "1..$count"
[ $failed -eq 0 ]
