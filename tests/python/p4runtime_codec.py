#!/usr/bin/env python3
"""Reads and writes P4Runtime messages with the official Python bindings.

Runs inside the venv made by pyenv.py. Commands (input on stdin, one JSON
object on stdout):

  parse-text MESSAGE   text format in; the message parsed by
                       google.protobuf.text_format, re-emitted as
                       {"binary": hex of SerializeToString,
                        "text": text_format.MessageToString,
                        "json": json_format.MessageToDict}
  parse-binary MESSAGE hex of the wire format in; same output
  descriptors          no input; every message of the P4Runtime files with
                       its fields by number (number, name, type, label, type
                       name, oneof) and every enum with its values

MESSAGE is a full protobuf name such as p4.config.v1.P4Info.
"""

import json
import sys

from google.protobuf import json_format, text_format
from google.rpc import code_pb2, status_pb2
from p4.config.v1 import p4info_pb2, p4types_pb2
from p4.v1 import p4data_pb2, p4runtime_pb2

FILES = [p4info_pb2, p4types_pb2, p4data_pb2, p4runtime_pb2, status_pb2, code_pb2]


def message_class(full_name):
    for module in FILES:
        descriptor = module.DESCRIPTOR
        package = descriptor.package + "."
        if full_name.startswith(package):
            outer, *inner = full_name[len(package):].split(".")
            cls = getattr(module, outer, None)
            for part in inner:
                cls = getattr(cls, part, None) if cls is not None else None
            if cls is not None:
                return cls
    raise SystemExit(f"unknown message {full_name}")


def report(message):
    return {
        "binary": message.SerializeToString(deterministic=True).hex(),
        "text": text_format.MessageToString(message),
        "json": json_format.MessageToDict(message),
    }


def describe_message(descriptor, out):
    out["messages"][descriptor.full_name] = [
        {
            "number": f.number,
            "name": f.name,
            "type": f.type,
            "label": f.label,
            "type_name": (f.message_type or f.enum_type).full_name
            if (f.message_type or f.enum_type) else "",
            "oneof": f.containing_oneof.name if f.containing_oneof else "",
        }
        for f in sorted(descriptor.fields, key=lambda f: f.number)
    ]
    for enum in descriptor.enum_types:
        describe_enum(enum, out)
    for nested in descriptor.nested_types:
        describe_message(nested, out)


def describe_enum(descriptor, out):
    out["enums"][descriptor.full_name] = {v.name: v.number for v in descriptor.values}


def descriptors():
    out = {"messages": {}, "enums": {}}
    for module in FILES:
        for message in module.DESCRIPTOR.message_types_by_name.values():
            describe_message(message, out)
        for enum in module.DESCRIPTOR.enum_types_by_name.values():
            describe_enum(enum, out)
    return out


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "descriptors":
        result = descriptors()
    elif command == "parse-text" and len(argv) == 3:
        message = message_class(argv[2])()
        text_format.Parse(sys.stdin.read(), message)
        result = report(message)
    elif command == "parse-binary" and len(argv) == 3:
        message = message_class(argv[2])()
        message.ParseFromString(bytes.fromhex(sys.stdin.read().strip()))
        result = report(message)
    else:
        raise SystemExit(__doc__)
    json.dump(result, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
