#!/usr/bin/env python3
"""Drives a P4Runtime server with p4runtime-shell, scripted.

Runs inside the venv made by pyenv.py. Usage:

  p4runtime_shell_client.py ADDRESS DEVICE_ID P4INFO_TXTPB DEVICE_CONFIG HOST_DIR...

First, for each host compiled by `ddsr compile` (HOST_DIR holds its
p4info.txtpb, pipeline.json and entries.txtpb): sets that pipeline through the
shell's setup (which also reads the P4Info back with
GetForwardingPipelineConfig), writes the compiled WriteRequest with the
shell's client, reads every table back through the shell's TableEntry and
checks it holds exactly the entries written (in canonical form).

Then, with the interop program and the shell's option to send byte strings
padded to full width (the legacy form servers must still accept): writes in
the shell's own notation an entry with every match kind, two action selector
members, a weighted group, an entry using it and a punt entry sending LLDP to
the CPU, and reads them back through the shell. Then prints the line `inject`
and waits for a line on stdin holding the number of LLDP frames the test sent
into port 3; collects that many packet-ins, sends a packet-out to port 2,
waits until the counter of the CPU port has counted it and reads the counter
of port 3. The last line printed is one JSON object of what was read back,
messages in protobuf text format.
"""

import json
import sys
import time

import p4runtime_sh.shell as sh
from google.protobuf import text_format
from p4.v1 import p4runtime_pb2

from p4runtime_server_client import canonical_entry, serialized

CPU_PORT = 255


def text(entity):
    return text_format.MessageToString(entity.msg())


def counter_cell(index):
    counter = sh.CounterEntry("MyIngress.port_packets")
    counter.index = index
    cells = list(counter.read())
    if len(cells) != 1:
        raise SystemExit(f"counter cell {index} read as {len(cells)} cells")
    return [cells[0].packet_count, cells[0].byte_count]


def compiled_host(address, device_id, host_dir):
    """One compiled host's pipeline and entries, written and read back through the shell."""
    sh.setup(device_id=device_id, grpc_addr=address, election_id=(0, 1),
             config=sh.FwdPipeConfig(f"{host_dir}/p4info.txtpb", f"{host_dir}/pipeline.json"),
             verbose=False)
    compiled = p4runtime_pb2.WriteRequest()
    with open(f"{host_dir}/entries.txtpb") as f:
        text_format.Parse(f.read(), compiled)
    sh.client.write(compiled)
    read = []
    for table in sh.P4Objects(sh.P4Type.table):
        read.extend(e.msg() for e in sh.TableEntry(table.name).read())
    written = [canonical_entry(u.entity.table_entry) for u in compiled.updates]
    if serialized(read) != serialized(written):
        raise SystemExit(f"{host_dir}: tables differ: wrote {len(written)}, read {len(read)}")
    sh.teardown()
    return {"updates": len(compiled.updates), "read": len(read)}


def main():
    address, device_id, p4info, config, *host_dirs = sys.argv[1:]
    hosts = {d.rstrip("/").rsplit("/", 1)[-1]: compiled_host(address, int(device_id), d)
             for d in host_dirs}

    sh.global_options["canonical_bytestrings"] = False
    sh.setup(device_id=int(device_id), grpc_addr=address, election_id=(0, 1),
             config=sh.FwdPipeConfig(p4info, config), verbose=False)

    te = sh.TableEntry("MyIngress.classify")(action="MyIngress.forward")
    te.match["hdr.ethernet.ether_type"] = "0x0800"
    te.match["hdr.ipv4.dst_addr"] = "10.0.0.0/8"
    te.match["hdr.ipv4.src_addr"] = "0.0.0.1&&&0.0.0.255"
    te.match["hdr.ipv4.ttl"] = "1..16"
    te.match["standard_metadata.ingress_port"] = "2"
    te.action["port"] = "3"
    te.priority = 5
    sent = {m.field_id: m for m in te.msg().match}
    te.insert()

    for member_id, port in [(1, "5"), (2, "6")]:
        m = sh.ActionProfileMember("MyIngress.ecmp_selector")(
            member_id=member_id, action="MyIngress.forward")
        m.action["port"] = port
        m.insert()
    g = sh.ActionProfileGroup("MyIngress.ecmp_selector")(group_id=7)
    g.add(1, weight=1)
    g.add(2, weight=3)
    g.insert()
    ecmp = sh.TableEntry("MyIngress.ecmp")
    ecmp.match["hdr.ipv4.dst_addr"] = "10.0.0.1"
    ecmp.group_id = 7
    ecmp.insert()
    punt = sh.TableEntry("MyIngress.punt")(action="MyIngress.send_to_cpu")
    punt.match["hdr.ethernet.ether_type"] = "0x88cc"
    punt.insert()

    result = {
        "hosts": hosts,
        "sent_ternary": [sent[3].ternary.value.hex(), sent[3].ternary.mask.hex()],
        "classify": [text(e) for e in sh.TableEntry("MyIngress.classify").read()],
        "ecmp": [text(e) for e in sh.TableEntry("MyIngress.ecmp").read()],
        "punt": [text(e) for e in sh.TableEntry("MyIngress.punt").read()],
        "members": [text(m) for m in sh.ActionProfileMember("MyIngress.ecmp_selector").read()],
        "groups": [text(g) for g in sh.ActionProfileGroup("MyIngress.ecmp_selector").read()],
    }

    packet_in = sh.PacketIn()
    print("inject", flush=True)
    frames = int(sys.stdin.readline())
    packets = []
    deadline = time.monotonic() + 10
    while len(packets) < frames and time.monotonic() < deadline:
        packets.extend(packet_in.sniff(timeout=0.2))
    result["packet_in"] = [{
        "payload": p.packet.payload.hex(),
        "metadata": [[m.metadata_id, m.value.hex()] for m in p.packet.metadata],
    } for p in packets]

    out = sh.PacketOut(payload=bytes.fromhex("0200000000020200000000090800") + b"from the shell")
    out.metadata["egress_port"] = "2"
    out.metadata["_pad"] = "0"
    out.send()
    deadline = time.monotonic() + 10
    while counter_cell(CPU_PORT)[0] == 0:
        if time.monotonic() > deadline:
            raise SystemExit("the packet-out was not counted within 10 s")
        time.sleep(0.01)
    result["counter_cpu_port"] = counter_cell(CPU_PORT)
    result["counter_port_3"] = counter_cell(3)
    sh.teardown()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
