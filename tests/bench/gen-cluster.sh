#!/usr/bin/env bash
# gen-cluster.sh SNAPSHOT DIR NODES VMS: a copy of a cluster's /etc/pve for make bench, as CI
# would lint it: NODES nodes (pve01...) that each published SNAPSHOT (the 256-device bench
# host) under their own name, VMS VM configs spread over them, each passing one card (a raw
# address or, every third VM, a resource mapping with an entry on every node), one VM in
# ten HA-managed (every fifth of those kept on its node by a strict node-affinity rule), and
# a .members nodelist.  No /etc/hostname: every node is judged from its snapshot.
set -eu
snapshot=${1:?usage: gen-cluster.sh SNAPSHOT DIR NODES VMS}
dir=${2:?}
nodes=${3:?}
vms=${4:?}
python3 - "$snapshot" "$dir" "$nodes" "$vms" <<'PY'
import json, os, sys, time
snapshot, root, nodes, vms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pve = os.path.join(root, "etc/pve")
base = json.load(open(snapshot))
names = ["pve%02d" % (n + 1) for n in range(nodes)]
for name in names:
    d = os.path.join(pve, "nodes", name, "qemu-server")
    os.makedirs(d, exist_ok=True)
    s = dict(base, node=name)
    s["origin"] = dict(base["origin"], taken=int(time.time()))
    with open(os.path.join(pve, "nodes", name, "pcipt-host.json"), "w") as f:
        f.write(json.dumps(s, separators=(",", ":")) + "\n")
members = {"nodename": names[0], "version": 3,
           "cluster": {"name": "bench", "version": 1, "nodes": nodes, "quorate": 1},
           "nodelist": {name: {"id": i + 1, "online": 1} for i, name in enumerate(names)}}
with open(os.path.join(pve, ".members"), "w") as f:
    json.dump(members, f)
# the cards of the bench host: buses 0x01..0x40, one card per bus (GPU + audio) in group
# bus - 1; the cards of buses 01 and 02 carry the default route and the root disk
os.makedirs(os.path.join(pve, "mapping"), exist_ok=True)
os.makedirs(os.path.join(pve, "ha"), exist_ok=True)
with open(os.path.join(pve, "mapping/pci.cfg"), "w") as f:
    for bus in range(3, 0x41):
        card = bus - 1
        f.write("card%d\n" % bus)
        for name in names:
            f.write("\tmap id=10de:1b80,iommugroup=%d,node=%s,path=0000:%02x:00,"
                    "subsystem-id=1458:3702\n" % (card, name, bus))
        f.write("\n")
resources, rules = [], []
for i in range(vms):
    vmid = 1000 + i
    node = names[i % nodes]
    bus = 3 + (i // nodes) % 62  # one card per VM of a node, while there are cards
    line = ("mapping=card%d" % bus) if i % 3 == 0 else "0000:%02x:00" % bus
    with open(os.path.join(pve, "nodes", node, "qemu-server", "%d.conf" % vmid), "w") as f:
        f.write("bios: ovmf\nhostpci0: %s,pcie=1\nmachine: q35\nmemory: 4096\nname: vm%d\n"
                % (line, vmid))
    if i % 10 == 0:
        resources.append("vm: %d\n\tstate started\n" % vmid)
        if i % 50 == 0:
            rules.append("node-affinity: keep%d\n\tresources vm:%d\n\tnodes %s\n\tstrict 1\n"
                         % (vmid, vmid, node))
with open(os.path.join(pve, "ha/resources.cfg"), "w") as f:
    f.write("\n".join(resources))
with open(os.path.join(pve, "ha/rules.cfg"), "w") as f:
    f.write("\n".join(rules))
PY
