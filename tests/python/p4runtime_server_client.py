#!/usr/bin/env python3
"""Drives a P4Runtime server with the official Python bindings and grpcio.

Runs inside the venv made by pyenv.py. Usage:

  p4runtime_server_client.py ADDRESS DEVICE_ID P4INFO_TXTPB DEVICE_CONFIG HOST_DIR...

Connects, becomes primary with election id 1 and checks the API version.

Part 1, hosts compiled by `ddsr compile`: each HOST_DIR holds a host's
p4info.txtpb, pipeline.json and entries.txtpb as the compiler wrote them.
For each host: pushes its pipeline (VERIFY_AND_COMMIT), writes its compiled
WriteRequest in batches, reads every table back and checks it holds exactly
the entries written (values compared in the canonical form a server answers
with), and reads every counter cell.

Part 2, the interop program (P4INFO_TXTPB, DEVICE_CONFIG): pushes it, writes
an entry with every match kind, two action selector members, a weighted group
and an entry using the group, and a punt entry sending LLDP to the CPU; reads
them all back equal. Then prints the line `inject` and waits for a line on
stdin: meanwhile the test sends LLDP frames into port 3, each of which must
arrive as a packet-in (how many is the number on that line). Sends a
packet-out to port 2, waits until the counter of the CPU port has counted it,
reads the counter of port 3, inserts the classify entry again and decodes the
per-update error.

The last line printed is one JSON object with what it saw (see main).
"""

import json
import queue
import sys
import threading
import time

import grpc
from google.protobuf import text_format
from google.rpc import status_pb2
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc

ELECTION = p4runtime_pb2.Uint128(high=0, low=1)
BATCH = 2000
CPU_PORT = 255
PACKET_OUT_PAYLOAD = bytes.fromhex("0200000000020200000000090800") + b"from python"


class Client:
    def __init__(self, address, device_id):
        self.device_id = device_id
        self.channel = grpc.insecure_channel(address)
        self.stub = p4runtime_pb2_grpc.P4RuntimeStub(self.channel)
        self.requests = queue.Queue()
        self.replies = queue.Queue()
        self.stream = self.stub.StreamChannel(iter(self.requests.get, None))
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        try:
            for reply in self.stream:
                self.replies.put(reply)
        except grpc.RpcError:
            pass

    def arbitrate(self):
        request = p4runtime_pb2.StreamMessageRequest()
        request.arbitration.device_id = self.device_id
        request.arbitration.election_id.CopyFrom(ELECTION)
        self.requests.put(request)
        return self.next("arbitration").arbitration.status.code

    def next(self, kind, timeout=10):
        """The next stream message of `kind`, skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.replies.get(timeout=max(0.0, deadline - time.monotonic()))
            if reply.WhichOneof("update") == kind:
                return reply

    def push(self, p4info, device_config):
        request = p4runtime_pb2.SetForwardingPipelineConfigRequest(
            device_id=self.device_id,
            election_id=ELECTION,
            action=p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
        )
        request.config.p4info.CopyFrom(p4info)
        request.config.p4_device_config = device_config
        self.stub.SetForwardingPipelineConfig(request)

    def write(self, updates):
        request = p4runtime_pb2.WriteRequest(device_id=self.device_id, election_id=ELECTION)
        request.updates.extend(updates)
        self.stub.Write(request)

    def read(self, fill):
        request = p4runtime_pb2.ReadRequest(device_id=self.device_id)
        fill(request.entities.add())
        return [e for response in self.stub.Read(request) for e in response.entities]

    def close(self):
        self.requests.put(None)
        self.channel.close()


def canonical(value):
    """P4Runtime's canonical byte string: no leading zero bytes, at least one byte."""
    value = value.lstrip(b"\0")
    return value or b"\0"


def canonical_entry(entry):
    """The form a server answers with: canonical values, match fields by id."""
    e = p4runtime_pb2.TableEntry()
    e.CopyFrom(entry)
    fields = sorted(e.match, key=lambda m: m.field_id)
    del e.match[:]
    for m in fields:
        kind = m.WhichOneof("field_match_type")
        if kind == "exact":
            m.exact.value = canonical(m.exact.value)
        elif kind == "lpm":
            m.lpm.value = canonical(m.lpm.value)
        elif kind == "ternary":
            m.ternary.value = canonical(m.ternary.value)
            m.ternary.mask = canonical(m.ternary.mask)
        elif kind == "range":
            m.range.low = canonical(m.range.low)
            m.range.high = canonical(m.range.high)
        elif kind == "optional":
            m.optional.value = canonical(m.optional.value)
        e.match.add().CopyFrom(m)
    if e.action.WhichOneof("type") == "action":
        for p in e.action.action.params:
            p.value = canonical(p.value)
    return e


def serialized(entries):
    return sorted(e.SerializeToString(deterministic=True) for e in entries)


def load_p4info(path):
    p4info = p4info_pb2.P4Info()
    with open(path) as f:
        text_format.Parse(f.read(), p4info)
    return p4info


def compiled_host(client, host_dir):
    """Part 1: one compiled host's pipeline and entries, written and read back."""
    with open(f"{host_dir}/pipeline.json", "rb") as f:
        client.push(load_p4info(f"{host_dir}/p4info.txtpb"), f.read())

    compiled = p4runtime_pb2.WriteRequest()
    with open(f"{host_dir}/entries.txtpb") as f:
        text_format.Parse(f.read(), compiled)
    updates = list(compiled.updates)
    kinds = {(u.type, u.entity.WhichOneof("entity")) for u in updates}
    if kinds - {(p4runtime_pb2.Update.INSERT, "table_entry")}:
        raise SystemExit(f"{host_dir}: expected only table entry inserts, found {kinds}")
    for i in range(0, len(updates), BATCH):
        client.write(updates[i:i + BATCH])
    written = [canonical_entry(u.entity.table_entry) for u in updates]
    read = [e.table_entry for e in client.read(lambda e: e.table_entry.SetInParent())]
    if serialized(read) != serialized(written):
        raise SystemExit(f"{host_dir}: tables differ: wrote {len(written)}, read {len(read)}")
    counters = client.read(lambda e: e.counter_entry.SetInParent())
    return {
        "updates": len(updates),
        "read": len(read),
        "tables": len({e.table_id for e in read}),
        "counter_cells": len(counters),
    }


def classify_entry(table, forward):
    """One entry of `MyIngress.classify` with a value of every match kind."""
    field = {m.name: m.id for m in table.match_fields}
    entry = p4runtime_pb2.TableEntry(table_id=table.preamble.id, priority=5)
    m = entry.match.add(field_id=field["hdr.ethernet.ether_type"])
    m.exact.value = b"\x08\x00"
    m = entry.match.add(field_id=field["hdr.ipv4.dst_addr"])
    m.lpm.value = b"\x0a\x00\x00\x00"
    m.lpm.prefix_len = 8
    m = entry.match.add(field_id=field["hdr.ipv4.src_addr"])
    m.ternary.value = b"\x01"
    m.ternary.mask = b"\xff"
    m = entry.match.add(field_id=field["hdr.ipv4.ttl"])
    m.range.low = b"\x01"
    m.range.high = b"\x10"
    m = entry.match.add(field_id=field["standard_metadata.ingress_port"])
    m.optional.value = b"\x02"
    entry.action.action.action_id = forward
    entry.action.action.params.add(param_id=1, value=b"\x03")
    return entry


def insert(fill):
    update = p4runtime_pb2.Update(type=p4runtime_pb2.Update.INSERT)
    fill(update.entity)
    return update


def counter_cell(client, counter_id, index):
    cells = client.read(lambda e: e.counter_entry.CopyFrom(p4runtime_pb2.CounterEntry(
        counter_id=counter_id, index=p4runtime_pb2.Index(index=index))))
    if len(cells) != 1:
        raise SystemExit(f"counter {counter_id}[{index}] read as {cells}")
    data = cells[0].counter_entry.data
    return [data.packet_count, data.byte_count]


def interop_program(client, p4info_path, config_path):
    """Part 2: every match kind, an action selector group, packet I/O, counters."""
    p4info = load_p4info(p4info_path)
    with open(config_path, "rb") as f:
        client.push(p4info, f.read())
    tables = {t.preamble.name: t for t in p4info.tables}
    actions = {a.preamble.name: a.preamble.id for a in p4info.actions}
    profile = {p.preamble.name: p.preamble.id for p in p4info.action_profiles}
    counters = {c.preamble.name: c.preamble.id for c in p4info.counters}
    forward = actions["MyIngress.forward"]

    entry = classify_entry(tables["MyIngress.classify"], forward)
    selector = profile["MyIngress.ecmp_selector"]
    members = []
    for member_id, port in [(1, b"\x05"), (2, b"\x06")]:
        member = p4runtime_pb2.ActionProfileMember(action_profile_id=selector, member_id=member_id)
        member.action.action_id = forward
        member.action.params.add(param_id=1, value=port)
        members.append(member)
    group = p4runtime_pb2.ActionProfileGroup(action_profile_id=selector, group_id=7, max_size=4)
    group.members.add(member_id=1, weight=1)
    group.members.add(member_id=2, weight=3)
    ecmp = p4runtime_pb2.TableEntry(table_id=tables["MyIngress.ecmp"].preamble.id)
    ecmp.match.add(field_id=1).exact.value = b"\x0a\x00\x00\x01"
    ecmp.action.action_profile_group_id = 7
    punt = p4runtime_pb2.TableEntry(table_id=tables["MyIngress.punt"].preamble.id)
    punt.match.add(field_id=1).exact.value = b"\x88\xcc"
    punt.action.action.action_id = actions["MyIngress.send_to_cpu"]

    client.write([insert(lambda e, m=m: e.action_profile_member.CopyFrom(m)) for m in members]
                 + [insert(lambda e: e.action_profile_group.CopyFrom(group))])
    client.write([insert(lambda e, t=t: e.table_entry.CopyFrom(t)) for t in (entry, ecmp, punt)])

    result = {}
    read = [e.table_entry for e in client.read(lambda e: e.table_entry.SetInParent())]
    if serialized(read) != serialized([entry, ecmp, punt]):
        raise SystemExit(f"tables read back differ: {read}")
    result["classify"] = text_format.MessageToString(
        next(e for e in read if e.table_id == entry.table_id))
    result["ecmp"] = text_format.MessageToString(
        next(e for e in read if e.table_id == ecmp.table_id))
    read = [e.action_profile_member
            for e in client.read(lambda e: e.action_profile_member.SetInParent())]
    if sorted(read, key=lambda m: m.member_id) != members:
        raise SystemExit(f"members read back differ: {read}")
    read = [e.action_profile_group
            for e in client.read(lambda e: e.action_profile_group.SetInParent())]
    if read != [group]:
        raise SystemExit(f"groups read back differ: {read}")
    result["group"] = text_format.MessageToString(read[0])

    print("inject", flush=True)
    frames = int(sys.stdin.readline())
    result["packet_in"] = []
    for _ in range(frames):
        packet_in = client.next("packet").packet
        result["packet_in"].append({
            "payload": packet_in.payload.hex(),
            "metadata": [[m.metadata_id, m.value.hex()] for m in packet_in.metadata],
        })
    out = p4runtime_pb2.StreamMessageRequest()
    out.packet.payload = PACKET_OUT_PAYLOAD
    out.packet.metadata.add(metadata_id=1, value=b"\x02")
    out.packet.metadata.add(metadata_id=2, value=b"\x00")
    client.requests.put(out)

    port_packets = counters["MyIngress.port_packets"]
    deadline = time.monotonic() + 10
    while counter_cell(client, port_packets, CPU_PORT)[0] == 0:
        if time.monotonic() > deadline:
            raise SystemExit("the packet-out was not counted within 10 s")
        time.sleep(0.01)
    result["counter_cpu_port"] = counter_cell(client, port_packets, CPU_PORT)
    result["counter_port_3"] = counter_cell(client, port_packets, 3)

    try:
        client.write([insert(lambda e: e.table_entry.CopyFrom(entry))])
        raise SystemExit("duplicate insert succeeded")
    except grpc.RpcError as e:
        details = dict(e.trailing_metadata()).get("grpc-status-details-bin")
        status = status_pb2.Status.FromString(details)
        errors = []
        for any_error in status.details:
            error = p4runtime_pb2.Error()
            any_error.Unpack(error)
            errors.append([error.canonical_code, error.message])
        result["duplicate"] = errors
        result["duplicate_status"] = e.code().name
    return result


def main():
    address, device_id, p4info_path, config_path, *host_dirs = sys.argv[1:]
    client = Client(address, int(device_id))
    result = {
        "capabilities": client.stub.Capabilities(
            p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version,
        "arbitration": client.arbitrate(),
    }
    result["hosts"] = {d.rstrip("/").rsplit("/", 1)[-1]: compiled_host(client, d)
                       for d in host_dirs}
    result.update(interop_program(client, p4info_path, config_path))
    client.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
