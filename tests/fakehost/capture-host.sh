#!/usr/bin/env bash
# capture-host.sh DESTDIR -- copy what pcipt reads from this host into DESTDIR, laid out as a
# root for `pcipt-validate --root DESTDIR` (and lspci -A linux-sysfs -O
# sysfs.path=DESTDIR/sys/bus/pci).
#
# Read-only on the host.  Symbolic links of sysfs are copied as the same relative links, in the
# same (canonical) directories, so they resolve inside DESTDIR as they do on the host.  Nothing
# is ever written through a symbolic link or outside DESTDIR: every directory is checked with
# realpath before anything is created in it, and a link whose target would lead out of DESTDIR
# is left out.  Missing or unreadable files are skipped.  Run as root for full PCI config space
# (an unprivileged reader gets 64 bytes), the ACPI tables, /etc/pve and /run/qemu-server.
#
# Captured: the PCI devices of /sys/bus/pci/devices (attributes, config, driver, iommu_group and
# iommu links, the /sys/devices nesting and pci_bus directories), drivers, slots, IOMMU groups
# and units, the first 48 bytes of the ACPI DMAR/IVRS tables, the names of /sys/module (and the
# parameters of the KVM and VFIO modules), block devices (dev, dm, slaves/holders), network
# interfaces (lower/upper/master, bridge ports, bonds), /proc/{cmdline,iomem,interrupts,cpuinfo,
# net/route,net/ipv6_route,self/mountinfo,self/mounts}, boot configuration, module
# configuration, /etc/pve VM configs and mappings, /run/qemu-server with /proc/PID/cmdline of
# the running VMs, and option ROMs in /usr/share/kvm (*.rom, *.bin, up to 4 MiB each).
set -euo pipefail
umask 022

usage() {
	echo "usage: capture-host.sh DESTDIR" >&2
	exit 2
}
[ $# -eq 1 ] || usage
case $1 in -*) usage ;; esac
if [ -e "$1" ] || [ -L "$1" ]; then
	if [ -L "$1" ] || [ ! -d "$1" ] || [ -n "$(ls -A -- "$1")" ]; then
		echo "capture-host.sh: $1 exists and is not an empty directory" >&2
		exit 2
	fi
fi
mkdir -p -- "$1"
dest=$(cd -- "$1" && pwd -P)
[ "$dest" != / ] || { echo "capture-host.sh: refusing to capture into /" >&2; exit 2; }

PCI_ATTRS="vendor device subsystem_vendor subsystem_device class revision irq resource config
	enable boot_vga reset_method power_state d3cold_allowed sriov_numvfs sriov_totalvfs
	sriov_offset sriov_stride sriov_vf_device driver_override numa_node modalias label
	local_cpus local_cpulist current_link_speed current_link_width max_link_speed
	max_link_width secondary_bus_number subordinate_bus_number uevent power/control
	power/runtime_status"
PCI_LINKS="driver iommu_group iommu subsystem physfn"
PARAM_MODULES="kvm kvm_intel kvm_amd vfio vfio_pci vfio_iommu_type1 vfio_pci_core pci_stub"
ROM_MAX=4194304

n_pci=0 n_groups=0 n_units=0 n_tables=0 n_modules=0 n_params=0 n_block=0 n_net=0 n_files=0
n_vms=0 n_running=0 n_roms=0 n_skipped=0

warn() { echo "capture-host.sh: $*" >&2; }

# inside PATH: PATH is DESTDIR or below it
inside() {
	case $1 in "$dest" | "$dest"/*) return 0 ;; *) return 1 ;; esac
}

# destdir HOSTDIR: create DESTDIR/HOSTDIR after resolving what of it exists already (a link
# made earlier, e.g. lib -> usr/lib), and set DIR to the real directory.  Fails when it would
# lie outside DESTDIR.  Results are remembered (DESTDIR only grows), so a known directory costs
# no process.
declare -A made
DIR=
destdir() {
	local real
	if [ -n "${made[$1]:-}" ]; then
		DIR=${made[$1]}
		return 0
	fi
	real=$(realpath -m -- "$dest/$1") || return 1
	if ! inside "$real"; then
		warn "not creating $1: it leads out of $dest"
		return 1
	fi
	mkdir -p -- "$real" || return 1
	made[$1]=$real
	DIR=$real
}

# put_file SRC DIR NAME [MODE]: copy the content of host file SRC to DIR/NAME (DIR made by
# destdir) and give it SRC's mode (or MODE).  sysfs and procfs files are read with cat (their
# size is not their length).  A failed read leaves nothing behind.
put_file() {
	local src=$1 out=$2/$3
	[ -L "$out" ] && { warn "not writing through link $out"; return 1; }
	if cat -- "$src" >"$out" 2>/dev/null; then
		if [ -n "${4:-}" ]; then
			chmod -- "$4" "$out"
		else
			chmod --reference="$src" -- "$out" 2>/dev/null || true
		fi
		return 0
	fi
	rm -f -- "$out"
	return 1
}

# lexical PATH: sets REPLY to PATH with "." and ".." resolved by text alone (realpath -m -s
# without the fork)
lexical() {
	local part
	local -a parts out=()
	IFS=/ read -r -a parts <<<"$1"
	for part in "${parts[@]}"; do
		case $part in
		'' | .) ;;
		..) [ ${#out[@]} -eq 0 ] || unset 'out[${#out[@]}-1]' ;;
		*) out+=("$part") ;;
		esac
	done
	local IFS=/
	REPLY="/${out[*]}"
}

# put_link HOSTLINK: recreate the symbolic link HOSTLINK at the same place in DESTDIR, with the
# same target, when that target (taken literally) stays inside DESTDIR.
put_link() {
	local link=$1 target dir
	target=$(readlink -- "$link") || return 1
	case $target in /*)
		warn "left out $link: absolute target $target"
		n_skipped=$((n_skipped + 1))
		return 1 ;;
	esac
	destdir "${link%/*}" || return 1
	dir=$DIR
	lexical "$dir/$target"
	if ! inside "$REPLY"; then
		warn "left out $link: $target leads out of the capture"
		n_skipped=$((n_skipped + 1))
		return 1
	fi
	[ -e "$dir/${link##*/}" ] || [ -L "$dir/${link##*/}" ] && return 0
	ln -s -T -- "$target" "$dir/${link##*/}"
}

# mirror_path HOSTPATH: for every directory on the way to HOSTPATH that is a symbolic link on
# the host (merged /usr: /lib -> usr/lib; pmxcfs: /etc/pve/qemu-server -> nodes/NODE/...),
# make the same link in DESTDIR.  An absolute target is made relative, as inside a chroot.
mirror_path() {
	local path=$1 sofar="" comp target dir
	local IFS=/
	for comp in ${path#/}; do
		[ -n "$comp" ] || continue
		if [ -L "$sofar/$comp" ]; then
			target=$(readlink -- "$sofar/$comp")
			case $target in /*) target=$(realpath -m -s --relative-to="${sofar:-/}" -- "$target") ;; esac
			destdir "${sofar:-/}" || return 1
			dir=$DIR
			if [ ! -e "$dir/$comp" ] && [ ! -L "$dir/$comp" ] && inside "$(realpath -m -s -- "$dir/$target")"; then
				ln -s -T -- "$target" "$dir/$comp"
			fi
		fi
		sofar=$sofar/$comp
	done
}

# copy_plain HOSTFILE [MAXSIZE]: a file as the host has it (through mirror_path), counted by
# the caller when it returns 0.  A symbolic link stays a link (an absolute target made
# relative, as inside a chroot; /dev/null, a masked modprobe.d or modules-load.d file, kept as
# it is) and the regular file it leads to is copied too.  Files above MAXSIZE bytes (default
# 1 MiB) are left out.
copy_plain() {
	local f=$1 max=${2:-1048576} dir target real
	[ -e "$f" ] || [ -L "$f" ] || return 1
	mirror_path "${f%/*}"
	destdir "${f%/*}" || return 1
	dir=$DIR
	if [ -L "$f" ]; then
		target=$(readlink -- "$f")
		if [ "$target" != /dev/null ]; then
			case $target in /*) target=$(realpath -m -s --relative-to="${f%/*}" -- "$target") ;; esac
			lexical "$dir/$target"
			inside "$REPLY" || { warn "left out $f: $target leads out of the capture"; return 1; }
		fi
		[ -e "$dir/${f##*/}" ] || [ -L "$dir/${f##*/}" ] || ln -s -T -- "$target" "$dir/${f##*/}"
		[ "$target" != /dev/null ] || return 0
		real=$(readlink -f -- "$f") || return 0
		[ -f "$real" ] && copy_plain "$real" "$max" || true
		return 0
	fi
	[ -f "$f" ] || return 1
	if [ "$(stat -c %s -- "$f")" -gt "$max" ]; then
		warn "left out $f: larger than $max bytes"
		n_skipped=$((n_skipped + 1))
		return 1
	fi
	[ -e "$dir/${f##*/}" ] && return 0
	put_file "$f" "$dir" "${f##*/}"
}

# copy_dir_files HOSTDIR [PATTERN]: the regular files (and /dev/null links) of one directory
copy_dir_files() {
	local d=$1 pat=${2:-*} f
	[ -d "$d" ] || return 0
	for f in "$d"/$pat; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		copy_plain "$f" && n_files=$((n_files + 1))
	done
	return 0
}

# copy_attrs HOSTDIR NAMES...: readable attribute files of one sysfs directory, with their
# modes (one stat and one chmod per mode for the whole directory)
copy_attrs() {
	local d=$1 dir name sub mode out
	local -a present=()
	local -A modes=() bymode=()
	shift
	destdir "$d" || return 0
	dir=$DIR
	for name in "$@"; do
		[ -f "$d/$name" ] && present+=("$d/$name")
	done
	[ ${#present[@]} -gt 0 ] || return 0
	while read -r mode name; do
		modes[$name]=$mode
	done < <(stat -c '%a %n' -- "${present[@]}" 2>/dev/null)
	for name in "${present[@]}"; do
		case ${name#"$d"/} in
		*/*) destdir "${name%/*}" || continue; sub=$DIR ;;
		*) sub=$dir ;;
		esac
		out=$sub/${name##*/}
		[ -L "$out" ] && continue
		if cat -- "$name" >"$out" 2>/dev/null; then
			mode=${modes[$name]:-444}
			bymode[$mode]+="$out"$'\n'
		else
			rm -f -- "$out"
		fi
	done
	for mode in "${!bymode[@]}"; do
		mapfile -t present <<<"${bymode[$mode]%$'\n'}"
		chmod -- "$mode" "${present[@]}" || true
	done
	return 0
}

# touch_like HOSTFILE DIR: an empty file with HOSTFILE's mode (write-only attributes: reset,
# bind, unbind...; their presence is what matters)
touch_like() {
	local src=$1 out=$2/${1##*/}
	[ -e "$src" ] || return 0
	[ -L "$out" ] && return 0
	: >"$out"
	chmod --reference="$src" -- "$out" 2>/dev/null || true
}

copy_links() {
	local d=$1 name
	shift
	for name in "$@"; do
		[ -L "$d/$name" ] && put_link "$d/$name" || true
	done
}

# --- PCI ------------------------------------------------------------------------------------

capture_pci() {
	local link canon dir name
	[ -d /sys/bus/pci/devices ] || { warn "no /sys/bus/pci/devices"; return 0; }
	destdir /sys/bus/pci/devices
	for link in /sys/bus/pci/devices/*; do
		[ -L "$link" ] || continue
		canon=$(readlink -f -- "$link")
		case $canon in /sys/devices/*) ;; *) warn "skipping $link: not under /sys/devices"; continue ;; esac
		destdir "$canon" || continue
		dir=$DIR
		# shellcheck disable=SC2086
		copy_attrs "$canon" $PCI_ATTRS
		touch_like "$canon/reset" "$dir"
		touch_like "$canon/remove" "$dir"
		touch_like "$canon/rescan" "$dir"
		[ -e "$canon/rom" ] && touch_like "$canon/rom" "$dir"
		# shellcheck disable=SC2086
		copy_links "$canon" $PCI_LINKS
		for name in "$canon"/virtfn*; do
			[ -L "$name" ] && put_link "$name" || true
		done
		put_link "$link" || true
		n_pci=$((n_pci + 1))
	done
	# the buses: host bridges' and bridges' pci_bus directories
	for link in /sys/class/pci_bus/*; do
		[ -L "$link" ] || continue
		canon=$(readlink -f -- "$link")
		copy_attrs "$canon" cpuaffinity cpulistaffinity
		copy_links "$canon" device subsystem
		put_link "$link" || true
	done
	for dir in /sys/bus/pci/slots/*; do
		[ -f "$dir/address" ] && copy_attrs "$dir" address
	done
	destdir /sys/bus/pci
	dir=$DIR
	for name in drivers_autoprobe resource_alignment; do
		[ -f "/sys/bus/pci/$name" ] && { put_file "/sys/bus/pci/$name" "$dir" "$name" || true; }
	done
	touch_like /sys/bus/pci/drivers_probe "$dir"
	touch_like /sys/bus/pci/rescan "$dir"
	for link in /sys/bus/pci/drivers/*; do
		[ -d "$link" ] || continue
		destdir "$link" || continue
		dir=$DIR
		for name in bind unbind new_id remove_id uevent; do
			touch_like "$link/$name" "$dir"
		done
		for name in "$link"/*; do
			[ -L "$name" ] || continue
			case ${name##*/} in
			module) put_link "$name" || true ;;
			*:*:*.*) put_link "$name" || true ;;
			esac
		done
	done
}

capture_iommu() {
	local g link canon dir name
	if [ -d /sys/kernel/iommu_groups ]; then
		destdir /sys/kernel/iommu_groups
		for g in /sys/kernel/iommu_groups/*; do
			[ -d "$g" ] || continue
			copy_attrs "$g" reserved_regions type
			destdir "$g/devices" || continue
			for link in "$g"/devices/*; do
				[ -L "$link" ] && put_link "$link" || true
			done
			n_groups=$((n_groups + 1))
		done
	fi
	if [ -d /sys/class/iommu ]; then
		destdir /sys/class/iommu
		for link in /sys/class/iommu/*; do
			[ -L "$link" ] || continue
			canon=$(readlink -f -- "$link")
			for dir in "$canon"/intel-iommu "$canon"/amd-iommu; do
				[ -d "$dir" ] || continue
				local -a attrs=()
				for name in "$dir"/*; do
					[ -f "$name" ] && attrs+=("${name##*/}")
				done
				[ ${#attrs[@]} -eq 0 ] || copy_attrs "$dir" "${attrs[@]}"
			done
			destdir "$canon/devices" || continue
			for name in "$canon"/devices/*; do
				[ -L "$name" ] && put_link "$name" || true
			done
			put_link "$link" || true
			n_units=$((n_units + 1))
		done
	fi
	for name in DMAR IVRS; do
		[ -e "/sys/firmware/acpi/tables/$name" ] || continue
		destdir /sys/firmware/acpi/tables || continue
		dir=$DIR
		# the signature and header say the table exists; the rest is not needed
		if head -c 48 -- "/sys/firmware/acpi/tables/$name" >"$dir/$name" 2>/dev/null; then
			chmod 0400 -- "$dir/$name"
			n_tables=$((n_tables + 1))
		else
			rm -f -- "$dir/$name"
			warn "cannot read /sys/firmware/acpi/tables/$name (not root?)"
		fi
	done
}

capture_modules() {
	local m name dir
	local -a names=()
	[ -d /sys/module ] || return 0
	destdir /sys/module || return 0
	dir=$DIR
	for m in /sys/module/*; do
		[ -d "$m" ] && names+=("$dir/${m##*/}")
	done
	[ ${#names[@]} -gt 0 ] || return 0
	mkdir -p -- "${names[@]}"
	for m in /sys/module/*; do
		[ -d "$m" ] || continue
		made[$m]=$dir/${m##*/}
		[ -f "$m/initstate" ] && copy_attrs "$m" initstate refcnt
		n_modules=$((n_modules + 1))
	done
	for name in $PARAM_MODULES; do
		m=/sys/module/$name
		[ -d "$m/parameters" ] || continue
		local -a params=()
		for dir in "$m"/parameters/*; do
			[ -f "$dir" ] && params+=("${dir##*/}")
		done
		destdir "$m/parameters" || continue
		[ ${#params[@]} -gt 0 ] && copy_attrs "$m/parameters" "${params[@]}"
		for dir in "$m"/drivers/*; do
			[ -L "$dir" ] && put_link "$dir" || true
		done
		n_params=$((n_params + 1))
	done
}

capture_block() {
	local link canon name
	for link in /sys/class/block/* /sys/class/nvme/* /sys/class/nvme-subsystem/*; do
		[ -L "$link" ] || continue
		canon=$(readlink -f -- "$link")
		case $link in
		/sys/class/block/*)
			copy_attrs "$canon" dev size ro removable partition start uevent dm/name dm/uuid dm/suspended
			destdir "$canon/holders" || true
			for name in "$canon"/slaves/* "$canon"/holders/* "$canon"/device; do
				[ -L "$name" ] && put_link "$name" || true
			done
			[ -d "$canon/slaves" ] && destdir "$canon/slaves"
			n_block=$((n_block + 1))
			;;
		*)
			copy_attrs "$canon" dev
			for name in "$canon"/*; do
				case ${name##*/} in device | nvme[0-9]*) [ -L "$name" ] && put_link "$name" || true ;; esac
			done
			;;
		esac
		put_link "$link" || true
	done
	for link in /sys/dev/block/* /sys/block/*; do
		[ -L "$link" ] && put_link "$link" || true
	done
}

capture_net() {
	local link canon name
	for link in /sys/class/net/*; do
		[ -L "$link" ] || continue
		canon=$(readlink -f -- "$link")
		copy_attrs "$canon" address addr_len ifindex iflink mtu type flags operstate carrier uevent \
			bridge/stp_state bridge/bridge_id bonding/slaves bonding/mode brport/state bonding_slave/state
		for name in "$canon"/device "$canon"/master "$canon"/lower_* "$canon"/upper_* \
			"$canon"/brif/* "$canon"/brport/bridge; do
			[ -L "$name" ] && put_link "$name" || true
		done
		put_link "$link" || true
		n_net=$((n_net + 1))
	done
}

# --- procfs, configuration, Proxmox -------------------------------------------------------------

capture_proc() {
	local f dir pid
	for f in /proc/cmdline /proc/iomem /proc/interrupts /proc/cpuinfo /proc/net/route \
		/proc/net/ipv6_route; do
		[ -r "$f" ] || continue
		destdir "${f%/*}" || continue
		dir=$DIR
		put_file "$f" "$dir" "${f##*/}" && n_files=$((n_files + 1))
	done
	# /proc/self is this reader: a real directory in the capture; /proc/mounts -> self/mounts
	destdir /proc/self || return 0
	dir=$DIR
	for f in mountinfo mounts; do
		put_file "/proc/self/$f" "$dir" "$f" && n_files=$((n_files + 1))
	done
	[ -L "$dest/proc/mounts" ] || ln -s -T self/mounts "$dest/proc/mounts"
	for f in /run/qemu-server/*.pid; do
		[ -f "$f" ] || continue
		pid=$(head -n 1 -- "$f" 2>/dev/null || true)
		case $pid in '' | *[!0-9]*) continue ;; esac
		[ -r "/proc/$pid/cmdline" ] || continue
		destdir "/proc/$pid" || continue
		dir=$DIR
		put_file "/proc/$pid/cmdline" "$dir" cmdline || true
		put_file "/proc/$pid/stat" "$dir" stat || true
		put_file "/proc/$pid/comm" "$dir" comm || true
		n_running=$((n_running + 1))
	done
}

capture_config() {
	local f d
	for f in /etc/default/grub /etc/kernel/cmdline /etc/kernel/proxmox-boot-uuids /etc/hostname \
		/etc/modules; do
		copy_plain "$f" && n_files=$((n_files + 1)) || true
	done
	for d in /etc/modules-load.d /run/modules-load.d /usr/local/lib/modules-load.d \
		/usr/lib/modules-load.d /lib/modules-load.d /etc/modprobe.d /run/modprobe.d \
		/usr/local/lib/modprobe.d /lib/modprobe.d /usr/lib/modprobe.d; do
		mirror_path "$d"
		copy_dir_files "$d"
	done
	# Proxmox: VM configs of every node, this node's links (pmxcfs), mappings, storage
	for f in /etc/pve/local /etc/pve/qemu-server /etc/pve/lxc; do
		mirror_path "$f/."
	done
	for d in /etc/pve/nodes/*/qemu-server; do
		[ -d "$d" ] || continue
		for f in "$d"/*.conf; do
			copy_plain "$f" && n_vms=$((n_vms + 1)) || true
		done
	done
	if [ ! -d /etc/pve/nodes ]; then
		for f in /etc/pve/qemu-server/*.conf; do
			copy_plain "$f" && n_vms=$((n_vms + 1)) || true
		done
	fi
	for f in /etc/pve/mapping/pci.cfg /etc/pve/storage.cfg /run/qemu-server/pci-id-reservations; do
		copy_plain "$f" && n_files=$((n_files + 1)) || true
	done
	copy_dir_files /run/qemu-server '*.pid'
	# udev's entries of block devices: which disks are members of which ZFS pool
	copy_dir_files /run/udev/data 'b*'
}

# option ROMs: a link stays a link and its file is copied (copy_plain), up to 4 MiB each
capture_roms() {
	local f
	[ -d /usr/share/kvm ] || return 0
	for f in /usr/share/kvm/*.rom /usr/share/kvm/*.bin; do
		[ -e "$f" ] || continue
		copy_plain "$f" "$ROM_MAX" && n_roms=$((n_roms + 1))
	done
	return 0
}

capture_pci
capture_iommu
capture_modules
capture_block
capture_net
capture_proc
capture_config
capture_roms

cat <<EOF
captured into $dest:
  PCI devices:       $n_pci
  IOMMU groups:      $n_groups
  IOMMU units:       $n_units
  ACPI tables:       $n_tables (DMAR/IVRS headers)
  modules:           $n_modules ($n_params with parameters copied)
  block devices:     $n_block
  network interfaces: $n_net
  files:             $n_files (procfs, boot and module configuration)
  VM configs:        $n_vms
  running VMs:       $n_running
  option ROMs:       $n_roms
  left out:          $n_skipped
use it:
  pcipt-validate --root $dest --all
  tar czf host.tgz -C $dest .
EOF
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not run as root: PCI config space holds 64 bytes a device (no capabilities)," \
		"and root-only files (ACPI tables, /etc/pve, /run/qemu-server) may be missing"
fi
