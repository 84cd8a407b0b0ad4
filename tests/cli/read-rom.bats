#!/usr/bin/env bats
# pcipt-validate --read-rom ADDR [-o NAME]: the card's own ROM, turned on, read and turned off
# again through the fake kernel of tests/fakekernel (the program is pcipt-validate-fake), with
# the real ROM images of ../shared/testdata/roms behind the rom attribute.

load host_helpers

: "${PCIPT_VALIDATE_FAKE:=$BATS_TEST_DIRNAME/../../build/san/pcipt-validate-fake}"
ROMS=$BATS_TEST_DIRNAME/../../../shared/testdata/roms
EXPECT=$PCIPT_FIXTURES/host/read-rom

# readrom ARGS...: pcipt-validate-fake, stdout in $out, stderr in $err, status in $status
readrom() {
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
	"$PCIPT_VALIDATE_FAKE" "$@" >"$out" 2>"$err" || status=$?
}

need_roms() {
	[ -d "$ROMS" ] || skip "no real ROM images in $ROMS"
}

# behind ADDR FILE: the fake kernel serves FILE as the ROM of ADDR
behind() {
	cp "$2" "$root/.fakekernel/rom-$1"
}

setup() {
	build_host read-rom
	log=$BATS_TEST_TMPDIR/writes
	export PCIPT_FAKE_LOG=$log
	: >"$log"
}

# turned_on_and_off ADDR: the only writes were "1\n" then "0\n" to ADDR's rom attribute
turned_on_and_off() {
	printf '/sys/bus/pci/devices/%s/rom 1\\n\n/sys/bus/pci/devices/%s/rom 0\\n\n' "$1" "$1" |
		diff -u - "$log"
}

@test "the real vBIOS of an AMD iGPU: one x86 image SeaBIOS runs, none for OVMF; the ROM turned on, read, turned off" {
	need_roms
	behind 0000:00:08.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	readrom --root "$root" --read-rom 0000:00:08.0
	expect_status 0
	expect_output "$EXPECT/legacy.txt"
	[ ! -s "$err" ]
	turned_on_and_off 0000:00:08.0
	# and it is off: the fake kernel, like Linux, refuses to read a ROM that is off
	[ ! -e "$root/.fakekernel/rom-on-0000:00:08.0" ]
}

@test "the real AMD GOP ROM: one EFI x64 boot service driver OVMF runs, nothing for SeaBIOS" {
	need_roms
	behind 0000:00:09.0 "$ROMS/amd-gop-efi-only.rom"
	readrom --root "$root" --read-rom 0000:00:09.0
	expect_status 0
	expect_output "$EXPECT/gop.txt"
	turned_on_and_off 0000:00:09.0
}

@test "two images, x86 and EFI Byte Code (OVMF runs EBC too); the short address is the same device" {
	readrom --root "$root" --read-rom 00:0a.0
	expect_status 0
	expect_output "$EXPECT/two-images.txt"
	turned_on_and_off 0000:00:0a.0
}

@test "SeaBIOS skips an x86 image made for another card and refuses one with a bad checksum: neither firmware, exit 1" {
	need_roms
	behind 0000:00:09.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	readrom --root "$root" --read-rom 0000:00:09.0
	expect_status 1
	grep -qx "SeaBIOS: no x86 image for this card's 1002:67df (image 0 is for 1002:1636); SeaBIOS skips an image made for another device" "$out"
	grep -q '^OVMF: no EFI image for x64 or EBC' "$out"
	# one byte changed: the sum SeaBIOS checks is no longer 0
	behind 0000:00:08.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	printf '\001' | dd of="$root/.fakekernel/rom-0000:00:08.0" bs=1 seek=1000 conv=notrunc status=none
	readrom --root "$root" --read-rom 0000:00:08.0
	expect_status 1
	grep -q '^image 0 at 0x0: 1002:1636, .*, checksum bad (sum 0x' "$out"
	grep -q "^SeaBIOS: image 0's checksum is bad; SeaBIOS refuses it" "$out"
}

@test "a ROM the kernel cannot read (EIO, nothing, all ones, no 0x55AA, a bare .efi): the advice, exit 2, the ROM off again" {
	need_roms
	head -c 65536 /dev/zero | tr '\0' '\377' >"$BATS_TEST_TMPDIR/ones"
	head -c 4096 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	: >"$BATS_TEST_TMPDIR/empty"
	local what file
	for what in eio empty ones zeros efi; do
		rm -f "$root/.fakekernel/rom-0000:00:08.0"
		case $what in
		eio) ;;
		empty) behind 0000:00:08.0 "$BATS_TEST_TMPDIR/empty" ;;
		ones) behind 0000:00:08.0 "$BATS_TEST_TMPDIR/ones" ;;
		zeros) behind 0000:00:08.0 "$BATS_TEST_TMPDIR/zeros" ;;
		efi) behind 0000:00:08.0 "$ROMS/amd-gop-driver.efi" ;;
		esac
		: >"$log"
		readrom --root "$root" --read-rom 0000:00:08.0
		expect_status 2
		[ ! -s "$out" ] || { echo "$what: stdout:"; cat "$out"; return 1; }
		case $what in
		eio) grep -q '^pcipt-validate: 0000:00:08.0 (1002:1636, driver amdgpu, boot GPU): the kernel could not read its ROM: Input/output error$' "$err" ;;
		empty) grep -q ': the kernel could not read its ROM: it gave 0 bytes$' "$err" ;;
		ones) grep -q ': the kernel could not read its ROM: it gave 65536 bytes of 0xff (a ROM that is not there)$' "$err" ;;
		zeros) grep -q ': the kernel could not read its ROM: no 0x55AA signature at offset 0: not an option ROM$' "$err" ;;
		efi) grep -q ': the kernel could not read its ROM: a PE/COFF executable' "$err" ;;
		esac || { echo "$what:"; cat "$err"; return 1; }
		grep -q '^    hint: the boot GPU' "$err"
		grep -q '^    hint: a card in use' "$err"
		turned_on_and_off 0000:00:08.0 || { echo "after $what"; return 1; }
	done
}

@test "a device without a rom attribute has no ROM BAR: nothing is written, exit 2" {
	readrom --root "$root" --read-rom 0000:02:00.0
	expect_status 2
	grep -q '^pcipt-validate: 0000:02:00.0 (8086:1533, driver igb) has no ROM BAR: no /sys/bus/pci/devices/0000:02:00.0/rom$' "$err"
	grep -q '^    hint: ' "$err"
	[ ! -s "$log" ]
}

@test "an address that is no device, a whole slot, or no address: exit 2, nothing written" {
	readrom --root "$root" --read-rom 0000:05:00.0
	expect_status 2
	grep -qx 'pcipt-validate: no PCI device 0000:05:00.0 (no /sys/bus/pci/devices/0000:05:00.0)' "$err"
	readrom --root "$root" --read-rom 00:08
	expect_status 2
	grep -q "^pcipt-validate: --read-rom 00:08 names a slot: give one function, as 00:08.0" "$err"
	local bad
	for bad in xyz 00:08.8 0000:00:08.0.1 '' 00:G8.0; do
		readrom --root "$root" --read-rom "$bad"
		expect_status 2
		grep -q "^pcipt-validate: --read-rom '$bad' is not a PCI address" "$err" ||
			{ echo "$bad:"; cat "$err"; return 1; }
	done
	[ ! -s "$log" ]
}

@test "failed writes: not root (EACCES) says so and turns the ROM off all the same; a failed turn-off is exit 2 after the report" {
	PCIPT_FAKE_FAIL_WRITE=1 PCIPT_FAKE_FAIL_ERRNO=13 readrom --root "$root" --read-rom 0000:00:0a.0
	expect_status 2
	grep -q '^pcipt-validate: 0000:00:0a.0 (8086:10d3, driver e1000e): cannot turn its ROM on: Permission denied$' "$err"
	grep -q '^    hint: run it as root' "$err"
	[ ! -s "$out" ]
	turned_on_and_off 0000:00:0a.0
	: >"$log"
	PCIPT_FAKE_FAIL_WRITE=2 readrom --root "$root" --read-rom 0000:00:0a.0
	expect_status 2
	expect_output "$EXPECT/two-images.txt"
	grep -qx 'pcipt-validate: 0000:00:0a.0: cannot turn its ROM off again: Input/output error; write 0 to /sys/bus/pci/devices/0000:00:0a.0/rom by hand' "$err"
	turned_on_and_off 0000:00:0a.0
}

@test "-o NAME: written in --root's ROM directory, mode 0644, never over what is there, ready for romfile=" {
	need_roms
	behind 0000:00:08.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	mkdir -p "$root/usr/share/kvm"
	umask 077
	readrom --root "$root" --read-rom 0000:00:08.0 -o amd-igpu.rom
	expect_status 0
	head -n 4 "$out" | diff -u "$EXPECT/legacy.txt" -
	tail -n 2 "$out" | diff -u - <(printf '%s\n' \
		'wrote /usr/share/kvm/amd-igpu.rom (54784 bytes)' \
		'use it as: hostpciN: 0000:00:08.0,romfile=amd-igpu.rom')
	cmp "$ROMS/amd-1002-1636-legacy-only.rom" "$root/usr/share/kvm/amd-igpu.rom"
	[ "$(stat -c %a "$root/usr/share/kvm/amd-igpu.rom")" = 644 ]
	[ "$(ls -A "$root/usr/share/kvm")" = amd-igpu.rom ]
	turned_on_and_off 0000:00:08.0
	# the romfile-* checks take it as this card's ROM
	printf 'hostpci0: 0000:00:08.0,romfile=amd-igpu.rom\n' >"$root/etc/pve/qemu-server/120.conf"
	validate --root "$root" 120
	no_match '\[romfile-' "$out"

	# a second time: refused before the card is touched, the file as it was
	: >"$log"
	readrom --root "$root" --read-rom 0000:00:08.0 --output amd-igpu.rom
	expect_status 2
	grep -qx 'pcipt-validate: /usr/share/kvm/amd-igpu.rom exists: choose another name (nothing is replaced)' "$err"
	[ ! -s "$log" ]
	cmp "$ROMS/amd-1002-1636-legacy-only.rom" "$root/usr/share/kvm/amd-igpu.rom"
	# a dangling link there counts as something there
	ln -s /nowhere "$root/usr/share/kvm/link.rom"
	readrom --root "$root" --read-rom 0000:00:08.0 -o link.rom
	expect_status 2
	[ ! -e "$root/nowhere" ]
}

@test "-o NAME: no ROM directory, an unreadable ROM: nothing written, exit 2; the rules' first rom_roots is the directory" {
	need_roms
	behind 0000:00:08.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	readrom --root "$root" --read-rom 0000:00:08.0 -o igpu.rom
	expect_status 2
	grep -qx 'pcipt-validate: the ROM directory /usr/share/kvm does not exist' "$err"
	[ ! -s "$log" ]
	mkdir -p "$root/usr/share/kvm" "$root/opt/vbios"
	behind 0000:00:08.0 "$ROMS/amd-gop-driver.efi"
	readrom --root "$root" --read-rom 0000:00:08.0 -o igpu.rom
	expect_status 2
	[ -z "$(ls -A "$root/usr/share/kvm")" ]
	behind 0000:00:08.0 "$ROMS/amd-1002-1636-legacy-only.rom"
	printf 'version: 1\nchecks:\n  romfile-path:\n    rom_roots: [/opt/vbios/, /usr/share/kvm]\n' \
		>"$BATS_TEST_TMPDIR/rules.yaml"
	readrom --root "$root" --rules "$BATS_TEST_TMPDIR/rules.yaml" --read-rom 0000:00:08.0 -o igpu.rom
	expect_status 0
	cmp "$ROMS/amd-1002-1636-legacy-only.rom" "$root/opt/vbios/igpu.rom"
	grep -qx 'wrote /opt/vbios/igpu.rom (54784 bytes)' "$out"
	# Proxmox puts /usr/share/kvm/ in front of romfile=
	grep -qx 'use it as: hostpciN: 0000:00:08.0,romfile=../../../opt/vbios/igpu.rom' "$out"
}

@test "usage: -o needs --read-rom and a plain file name; --read-rom takes no VMIDs, files, other modes or --format" {
	local args
	for args in "-o x.rom 100" "--read-rom 00:08.0 100" "--read-rom 00:08.0 --all" \
		"--read-rom 00:08.0 --host" "--read-rom 00:08.0 --offline" "--read-rom 00:08.0 --format json" \
		"--read-rom 00:08.0 --snapshot" "--read-rom 00:08.0 --config x.conf" \
		"--read-rom 00:08.0 -o a/b.rom" "--read-rom 00:08.0 -o ." "--read-rom 00:08.0 -o .." \
		"--read-rom 00:08.0 --storage local" "--read-rom"; do
		# shellcheck disable=SC2086 # args is a list of words
		readrom --root "$root" $args
		expect_status 2 || { echo "args: $args"; return 1; }
		grep -q "Try 'pcipt-validate --help'" "$err" || { echo "args: $args"; cat "$err"; return 1; }
	done
	readrom --root "$root" --read-rom 00:08.0 -o ''
	expect_status 2
	[ ! -s "$log" ]
	validate --help
	grep -q -- '--read-rom ADDR' "$out"
}
