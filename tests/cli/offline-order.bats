#!/usr/bin/env bats
# The order of the offline lint's output, whole: findings by input, then line, then the order
# the checks found them; device-shared on the later of two VMs, naming the earlier; the
# resource mappings' findings after every config; the JSON summary after the last finding.

load offline_helpers

ORDER=$CLI_FIXTURES/device-shared-order
RULES=$PCIPT_FIXTURES/rules
# the same configs given last-first, with a missing one among them
REVERSED=(706.conf 705.conf 704.conf 799.conf 703.conf 702.conf 701.conf 700.conf)

@test "device-shared across VMs in VMID order: each finding on the later VM, among that VM's other findings" {
	lint_scenario device-shared-order 1
}

@test "device-shared across VMs in VMID order, as JSON with its summary" {
	validate --offline --root "$ORDER" --all --format json
	expect_status 1
	expect_output "$ORDER/expected.json"
}

@test "device-shared across VMs given last-first: the findings move to the VMs given later" {
	cd "$ORDER/etc/pve/qemu-server"
	validate --offline --root "$ORDER" --config "${REVERSED[@]}"
	expect_status 2
	expect_output "$ORDER/expected-reversed.txt"
	validate --offline --root "$ORDER" --config "${REVERSED[@]}" --format json
	expect_status 2
	expect_output "$ORDER/expected-reversed.json"
}

@test "-q in JSON counts only the errors shown" {
	cd "$ORDER/etc/pve/qemu-server"
	validate --offline --root "$ORDER" --config "${REVERSED[@]}" -q --format json
	expect_status 2
	expect_output "$ORDER/expected-reversed-quiet.json"
}

@test "rules that soften device-shared and turn a check off keep the order and the summary" {
	validate --offline --root "$ORDER" --all --rules "$RULES/shared-milder.yaml" --format json
	expect_status 0
	expect_output "$ORDER/expected-milder.json"
}

@test "JSON with no findings is an empty list and a zero summary" {
	validate --offline --root "$CLI_FIXTURES/clean-passthrough" --all --format json
	expect_status 0
	[ "$(cat "$out")" = '{"findings":[],"summary":{"errors":0,"warnings":0,"infos":0}}' ]
}
