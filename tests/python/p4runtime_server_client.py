#!/usr/bin/env python3
"""Drives a P4Runtime server with the official Python bindings and grpcio.

Runs inside the venv made by pyenv.py. Usage:

  p4runtime_server_client.py ADDRESS DEVICE_ID P4INFO_TXTPB DEVICE_CONFIG

Connects, becomes primary with election id 1, pushes the pipeline
(VERIFY_AND_COMMIT), inserts one entry of MyIngress.classify using every match
kind, reads the table back and checks the entry is the same message, then
inserts it again and checks the per-update error. Prints one JSON object:
{"arbitration": code, "read": text of the entry read back,
 "duplicate": [[code, message] per update], "capabilities": version}.
"""

import json
import queue
import sys

import grpc
from google.protobuf import text_format
from google.rpc import code_pb2, status_pb2
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2, p4runtime_pb2_grpc


def ids(p4info):
    tables = {t.preamble.name: t for t in p4info.tables}
    actions = {a.preamble.name: a for a in p4info.actions}
    return tables, actions


def main():
    address, device_id, p4info_path, config_path = sys.argv[1:5]
    device_id = int(device_id)
    p4info = p4info_pb2.P4Info()
    with open(p4info_path) as f:
        text_format.Parse(f.read(), p4info)
    with open(config_path, "rb") as f:
        device_config = f.read()

    channel = grpc.insecure_channel(address)
    stub = p4runtime_pb2_grpc.P4RuntimeStub(channel)
    result = {}
    result["capabilities"] = stub.Capabilities(
        p4runtime_pb2.CapabilitiesRequest()).p4runtime_api_version

    requests = queue.Queue()
    arbitration = p4runtime_pb2.StreamMessageRequest()
    arbitration.arbitration.device_id = device_id
    arbitration.arbitration.election_id.high = 0
    arbitration.arbitration.election_id.low = 1
    requests.put(arbitration)
    stream = stub.StreamChannel(iter(requests.get, None))
    reply = next(stream)
    result["arbitration"] = reply.arbitration.status.code

    election = p4runtime_pb2.Uint128(high=0, low=1)
    set_config = p4runtime_pb2.SetForwardingPipelineConfigRequest(
        device_id=device_id,
        election_id=election,
        action=p4runtime_pb2.SetForwardingPipelineConfigRequest.VERIFY_AND_COMMIT,
    )
    set_config.config.p4info.CopyFrom(p4info)
    set_config.config.p4_device_config = device_config
    stub.SetForwardingPipelineConfig(set_config)

    tables, actions = ids(p4info)
    table = tables["MyIngress.classify"]
    field = {m.name: m.id for m in table.match_fields}
    forward = actions["MyIngress.forward"]
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
    entry.action.action.action_id = forward.preamble.id
    entry.action.action.params.add(param_id=1, value=b"\x03")
    entry.action.action.params.add(param_id=2, value=b"\x02\x00\x00\x00\x00\x01")

    write = p4runtime_pb2.WriteRequest(device_id=device_id, election_id=election)
    update = write.updates.add(type=p4runtime_pb2.Update.INSERT)
    update.entity.table_entry.CopyFrom(entry)
    stub.Write(write)

    read = p4runtime_pb2.ReadRequest(device_id=device_id)
    read.entities.add().table_entry.table_id = table.preamble.id
    entities = [e for response in stub.Read(read) for e in response.entities]
    if len(entities) != 1 or entities[0].table_entry != entry:
        print("read back differs:", entities, file=sys.stderr)
        return 1
    result["read"] = text_format.MessageToString(entities[0].table_entry)

    try:
        stub.Write(write)
        print("duplicate insert succeeded", file=sys.stderr)
        return 1
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
    requests.put(None)
    channel.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
