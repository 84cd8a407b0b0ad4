# Shared setup for the pcipt-hook tests: the program over the fake kernel of tests/fakekernel
# (sysfs writes that move driver links, and fail or hang on demand), and its fake host.
load host_helpers

: "${PCIPT_HOOK_FAKE:=$BATS_TEST_DIRNAME/../../build/san/pcipt-hook-fake}"

# hook ARGS...: run pcipt-hook-fake, stdout in $out, stderr in $err, status in $status
hook() {
	out=$BATS_TEST_TMPDIR/stdout err=$BATS_TEST_TMPDIR/stderr status=0
	"$PCIPT_HOOK_FAKE" "$@" >"$out" 2>"$err" || status=$?
}

# the whole fake tree but the fake kernel's own memory: types, modes, link targets, contents
# the host's state: every file but the fake kernel's own, the node's published snapshot,
# which pcipt-hook makes new after every bind and give-back (its own test is in hook.bats),
# and the identity pins each start writes, which outlive the stop (tests in identity.bats)
tree() {
	(cd "$root" && find . -path ./.fakekernel -prune -o -path './etc/pve/nodes/*/pcipt-host.json' \
		-prune -o -path ./var/lib/pcipt -prune -o -printf '%p %y %m %l\n' | sort &&
		find . -path ./.fakekernel -prune -o -path './etc/pve/nodes/*/pcipt-host.json' -prune \
			-o -path ./var/lib/pcipt -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

driver_of() {
	basename "$(readlink "$root/sys/bus/pci/devices/$1/driver")"
}

setup_hook_host() {
	build_host hook-gpu
	# the ledger's directory and the lock exist on a running host; with them the tree can be
	# compared whole
	mkdir -p "$root/run/pcipt" "$root/run/lock" && chmod 700 "$root/run/pcipt"
	# and the package's /var/lib/pcipt, where each start leaves its identity pins
	mkdir -p "$root/var/lib/pcipt"
	: >"$root/run/lock/pcipt.lock" && chmod 600 "$root/run/lock/pcipt.lock"
}
