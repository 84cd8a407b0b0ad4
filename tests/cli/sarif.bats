#!/usr/bin/env bats
# --format sarif: SARIF 2.1.0 wherever findings are printed, for code scanning in CI.  The
# structure SARIF 2.1.0 requires is asserted here (no schema file in the repository), and each
# run's results are held against the JSON output of the same run: one result per finding, its
# check as the rule, its severity as the level, its file as the path a user in the current
# directory opens (under --root DIR: DIR joined with it), its line as the region.

load cluster_helpers

top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# sarif_like_json SARIF JSON ROOT [GIVEN...]: SARIF is a valid SARIF 2.1.0 log of the findings
# of JSON; ROOT is --root as given ("" for none), GIVEN the files named on the command line
sarif_like_json() {
	TOP=$top python3 - "$@" <<'PY'
import json, os, re, sys
from urllib.parse import unquote

sarif_file, json_file, root, given = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
text = open(sarif_file).read()
d = json.loads(text)
assert d["version"] == "2.1.0", d.get("version")
assert d["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json", d.get("$schema")
assert isinstance(d["runs"], list) and len(d["runs"]) == 1, "one run"
run = d["runs"][0]
driver = run["tool"]["driver"]
assert driver["name"] == "pcipt-validate"
assert re.fullmatch(r"\d+\.\d+\.\d+", driver["version"]), driver["version"]
rules = driver["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), "rule ids are unique"
for r in rules:
    for key in ("shortDescription", "fullDescription", "help"):
        assert r[key]["text"].strip(), (r["id"], key)
    assert r["defaultConfiguration"]["level"] in ("error", "warning", "note", "none"), r
catalogue = [l.split('"')[1] for l in open(os.environ["TOP"] + "/lib/check_ids.h") if re.match(r'\s*CHECK\([A-Z0-9_]+, "', l)]
assert len(catalogue) == 37 and ids[:37] == catalogue, "every check of the catalogue, in order"
for r in rules[:37]:
    assert r["help"]["text"].startswith(r["id"] + " ("), r["id"]
    assert "Looks at: " in r["help"]["text"] and "Rules: checks: {%s: " % r["id"] in r["help"]["text"]

results = run["results"]
findings = json.load(open(json_file))["findings"]
assert len(results) == len(findings), (len(results), len(findings))
levels = {"error": "error", "warning": "warning", "info": "note"}
for res, f in zip(results, findings):
    assert res["ruleId"] == f["check"], (res["ruleId"], f["check"])
    assert res["ruleId"] in ids, res["ruleId"]
    assert ids[res["ruleIndex"]] == res["ruleId"], res
    assert res["level"] == levels[f["severity"]], (res["level"], f["severity"])
    message = res["message"]["text"]
    assert message.strip() and f["message"] in message, message
    if f["hint"]:
        assert message.endswith("\nhint: " + f["hint"]), message
    if "node" in f:
        assert message.startswith("node %s: " % f["node"]), message
    locations = res["locations"]
    assert len(locations) == 1, locations
    where = locations[0]["physicalLocation"]
    uri = where["artifactLocation"]["uri"]
    # a URI reference: nothing RFC 3986 leaves out of a path, a valid escape for the rest
    assert re.fullmatch(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})+", uri), uri
    assert not re.match(r"[^/]*:", uri) or uri.startswith("/"), "no scheme-like first segment: " + uri
    path = f["file"]
    if root and path.startswith("/") and path not in given:
        path = root.rstrip("/") + path
    while path.startswith("./"):
        path = path[2:]
    assert unquote(uri) == path, (uri, path)
    if f["line"] is None:
        assert "region" not in where, where
    else:
        assert where["region"]["startLine"] == f["line"], (where, f["line"])
print(len(results))
PY
}

# run: pcipt-validate ARGS twice, as SARIF into $BATS_TEST_TMPDIR/sarif and as JSON into
# $BATS_TEST_TMPDIR/json; both exit with STATUS
both() {
	local status_wanted=$1
	shift
	validate "$@" --format sarif
	expect_status "$status_wanted"
	cp "$out" "$BATS_TEST_TMPDIR/sarif"
	validate "$@" --format json
	expect_status "$status_wanted"
	cp "$out" "$BATS_TEST_TMPDIR/json"
}

@test "offline --all under --root cluster-backup: paths as the repository has them, lines, levels" {
	cd "$BATS_TEST_TMPDIR"
	cp -r "$CLI_FIXTURES/mixed" cluster-backup
	both 1 --offline --root cluster-backup --all
	run sarif_like_json sarif json cluster-backup
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$output" -ge 4 ]
	python3 - sarif <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
first = run["results"][0]
assert first["ruleId"] == "pcie-needs-q35" and first["level"] == "error", first
loc = first["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"] == "cluster-backup/etc/pve/qemu-server/1001.conf", loc
assert loc["region"] == {"startLine": 2}, loc
assert first["message"]["text"].startswith("hostpci0 sets pcie=1 but the machine type is"), first
levels = {r["ruleId"]: r["level"] for r in run["results"]}
assert levels["xvga-ovmf"] == "warning", levels
rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
assert rules["xvga-ovmf"]["defaultConfiguration"]["level"] == "warning"
assert rules["pcie-needs-q35"]["defaultConfiguration"]["level"] == "error"
assert rules["pcie-needs-q35"]["shortDescription"]["text"] == "pcie=1 on a VM whose machine type is not q35."
PY
	# ./DIR and DIR/ name the same files; an absolute DIR stays absolute
	both 1 --offline --root ./cluster-backup/ --all
	run sarif_like_json sarif json ./cluster-backup/
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -qF '"uri":"cluster-backup/etc/pve/qemu-server/1001.conf"' sarif
	both 1 --offline --root "$BATS_TEST_TMPDIR/cluster-backup" --all
	run sarif_like_json sarif json "$BATS_TEST_TMPDIR/cluster-backup"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "SARIF follows the rules in effect: levels, a silenced check, -q" {
	cd "$BATS_TEST_TMPDIR"
	cp -r "$CLI_FIXTURES/mixed" cluster-backup
	printf 'version: 1\nchecks:\n  xvga-ovmf: error\n  romfile-path: off\n' >ci.yaml
	both 1 --offline --root cluster-backup --all --rules ci.yaml
	run sarif_like_json sarif json cluster-backup
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	python3 - sarif <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
assert rules["xvga-ovmf"]["defaultConfiguration"]["level"] == "error"
assert rules["romfile-path"]["defaultConfiguration"] == {"level": "none", "enabled": False}
assert not [r for r in run["results"] if r["ruleId"] == "romfile-path"]
assert [r for r in run["results"] if r["ruleId"] == "xvga-ovmf"][0]["level"] == "error"
PY
	both 1 --offline --root cluster-backup --all -q
	run sarif_like_json sarif json cluster-backup
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	no_match '"level":"(warning|note)","message"' sarif
}

@test "--config files: the paths as given, percent-encoded where a URI needs it" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p "my configs"
	cp "$CLI_FIXTURES/mixed/etc/pve/qemu-server/1001.conf" "my configs/a#1.conf"
	cp "$CLI_FIXTURES/mixed/etc/pve/qemu-server/1007.conf" "$BATS_TEST_TMPDIR/b.conf"
	# --root does not move the files named on the command line
	both 1 --offline --root "$CLI_FIXTURES/mixed" --config "my configs/a#1.conf" "$BATS_TEST_TMPDIR/b.conf"
	run sarif_like_json sarif json "$CLI_FIXTURES/mixed" "my configs/a#1.conf" "$BATS_TEST_TMPDIR/b.conf"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -qF '"uri":"my%20configs/a%231.conf"' sarif
	grep -qF "\"uri\":\"$BATS_TEST_TMPDIR/b.conf\"" sarif
	# a relative path whose first segment has a colon would read as a scheme
	cp "$BATS_TEST_TMPDIR/b.conf" "c:d.conf"
	both 0 --offline --config "c:d.conf"
	grep -qF '"uri":"c%3Ad.conf"' sarif
	run sarif_like_json sarif json "" "c:d.conf"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	# no findings: a valid log with no results
	printf 'name: fine\n' >fine.conf
	both 0 --offline --config fine.conf
	run sarif_like_json sarif json ""
	[ "$status" -eq 0 ] && [ "$output" = 0 ] || { echo "$output"; return 1; }
}

@test "host mode (VMIDs): device rules are rules of the log too; host-wide findings have no line" {
	build_host device-rules
	both 0 --root "$root" 100 101 102
	run sarif_like_json "$BATS_TEST_TMPDIR/sarif" "$BATS_TEST_TMPDIR/json" "$root"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	python3 - "$BATS_TEST_TMPDIR/sarif" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
gpu = rules["gpu-host-driver"]
assert gpu["shortDescription"]["text"] == "GPU passed as the VM's primary display", gpu
assert gpu["fullDescription"]["text"].startswith("Keep the host off the card"), gpu
assert "- id: gpu-host-driver\n" in gpu["help"]["text"] and "drivers_unused: [radeon," in gpu["help"]["text"], gpu
assert gpu["defaultConfiguration"]["level"] == "warning"
assert len(rules) == 37 + 7, len(rules)
assert "gpu-host-driver" in {r["ruleId"] for r in run["results"]}
PY
	build_host iommu-disabled-firmware
	both 1 --root "$root" --host
	run sarif_like_json "$BATS_TEST_TMPDIR/sarif" "$BATS_TEST_TMPDIR/json" "$root"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	grep -qF "\"uri\":\"$root/sys/class/iommu\"}}}]}" "$BATS_TEST_TMPDIR/sarif"
}

@test "--all-nodes, --node and --target: every finding of the cluster with its file under --root" {
	make_cluster hook-mapping
	rm "$root/etc/pve/nodes/pve/qemu-server/100.conf"
	both 1 --root "$root" --all-nodes
	run sarif_like_json "$BATS_TEST_TMPDIR/sarif" "$BATS_TEST_TMPDIR/json" "$root"
	[ "$status" -eq 0 ] && [ "$output" -ge 1 ] || { echo "$output"; return 1; }
	grep -qF "\"uri\":\"$root/etc/pve/nodes/pve/qemu-server/" "$BATS_TEST_TMPDIR/sarif"
	both 1 --root "$root" --node pve2 100 111
	run sarif_like_json "$BATS_TEST_TMPDIR/sarif" "$BATS_TEST_TMPDIR/json" "$root"
	[ "$status" -eq 0 ] && [ "$output" -ge 1 ] || { echo "$output"; return 1; }
	# --target: a finding judged against another node names it
	both 1 --root "$root" --target pve2 102
	run sarif_like_json "$BATS_TEST_TMPDIR/sarif" "$BATS_TEST_TMPDIR/json" "$root"
	[ "$status" -eq 0 ] && [ "$output" -ge 1 ] || { echo "$output"; return 1; }
	grep -qF '"message":{"text":"node pve2: ' "$BATS_TEST_TMPDIR/sarif"
}

@test "--diff: a change that breaks no VM is a note on the new snapshot, named as given" {
	build_host clean
	validate --root "$root" --snapshot
	expect_status 0
	cd "$BATS_TEST_TMPDIR"
	cp "$out" old.json
	# the NIC at 02:00.0 vanished (its IOMMU group with it)
	jq -c '.pci.devices |= map(select(.address != "0000:02:00.0"))
		| .iommu.groups |= map(.devices |= map(select(. != "0000:02:00.0")))
		| .iommu.groups |= map(select(.devices | length > 0))' old.json >new.json
	both 0 --root "$root" --diff old.json new.json
	run sarif_like_json sarif json "$root" old.json new.json
	[ "$status" -eq 0 ] && [ "$output" -ge 1 ] || { echo "$output"; cat sarif; return 1; }
	grep -qF '"ruleId":"drift","ruleIndex":36,"level":"note"' sarif
	grep -qF '"uri":"new.json"}}}]}' sarif
	# --boot-diff: the first boot has nothing to compare, a log without results
	validate --root "$root" --boot-diff --format sarif
	expect_status 0
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["runs"][0]["results"] == []' "$out"
}

@test "--format sarif only where findings are printed" {
	validate --offline --all --format xml
	expect_status 2
	grep -qF "format must be text, json or sarif, not 'xml'" "$err"
	build_host clean
	local args
	for args in "--groups" "--snapshot" "--publish" "--check-rules" "--explain d3cold" \
		"--install-hook 100" "--accept-identity 100"; do
		# shellcheck disable=SC2086
		validate --root "$root" $args --format sarif
		expect_status 2
		[ ! -s "$out" ] || { echo "$args:"; cat "$out"; return 1; }
		grep -qE "SARIF|--format|JSON only|no other mode" "$err" || { echo "$args:"; cat "$err"; return 1; }
	done
}
