#!/usr/bin/env python3
"""Checks one host's compiled entries with the official P4Runtime bindings.

Runs inside the venv made by tests/python/pyenv.py. Arguments: the host's
p4info.txtpb and entries.txtpb. Both are parsed with protobuf's own
text_format (as p4.config.v1.P4Info and p4.v1.WriteRequest); then every
update must insert a table entry whose table, match fields and action exist
in the P4Info, whose match kinds are the field's, and whose values fit the
declared bit widths. Prints one JSON object: {"entries": N, "tables": {...},
"errors": [...]} (errors empty when all is well).
"""

import json
import sys

from google.protobuf import text_format
from p4.config.v1 import p4info_pb2
from p4.v1 import p4runtime_pb2


def fits(value, width):
    return len(value) > 0 and int.from_bytes(value, "big") < (1 << width)


def main():
    p4info = p4info_pb2.P4Info()
    with open(sys.argv[1]) as f:
        text_format.Parse(f.read(), p4info)
    request = p4runtime_pb2.WriteRequest()
    with open(sys.argv[2]) as f:
        text_format.Parse(f.read(), request)

    tables = {t.preamble.id: t for t in p4info.tables}
    actions = {a.preamble.id: a for a in p4info.actions}
    kind_names = {2: "exact", 3: "lpm", 4: "ternary", 5: "range", 6: "optional"}
    errors = []
    counts = {}
    for n, update in enumerate(request.updates):
        if update.type != p4runtime_pb2.Update.INSERT:
            errors.append(f"update {n}: not an INSERT")
            continue
        entry = update.entity.table_entry
        table = tables.get(entry.table_id)
        if table is None:
            errors.append(f"update {n}: no table with id {entry.table_id}")
            continue
        counts[table.preamble.name] = counts.get(table.preamble.name, 0) + 1
        fields = {f.id: f for f in table.match_fields}
        for m in entry.match:
            field = fields.get(m.field_id)
            if field is None:
                errors.append(f"update {n}: table {table.preamble.name} has no field {m.field_id}")
                continue
            kind = m.WhichOneof("field_match_type")
            if kind != kind_names.get(field.match_type):
                errors.append(f"update {n}: field {field.name} is {kind_names.get(field.match_type)}, entry gives {kind}")
                continue
            part = getattr(m, kind)
            values = {
                "exact": [part.value] if kind == "exact" else [],
                "lpm": [part.value] if kind == "lpm" else [],
                "ternary": [part.value, part.mask] if kind == "ternary" else [],
                "range": [part.low, part.high] if kind == "range" else [],
            }.get(kind, [])
            for v in values:
                if not fits(v, field.bitwidth):
                    errors.append(f"update {n}: field {field.name} value {v.hex()} exceeds {field.bitwidth} bits")
            if kind == "lpm" and not 0 <= part.prefix_len <= field.bitwidth:
                errors.append(f"update {n}: field {field.name} prefix {part.prefix_len}")
        refs = {r.id for r in table.action_refs}
        action = entry.action.action
        if action.action_id not in refs or action.action_id not in actions:
            errors.append(f"update {n}: action {action.action_id} is not an action of {table.preamble.name}")
            continue
        params = {p.id: p for p in actions[action.action_id].params}
        if len(action.params) != len(params):
            errors.append(f"update {n}: {len(action.params)} params, action takes {len(params)}")
        for p in action.params:
            spec = params.get(p.param_id)
            if spec is None or not fits(p.value, spec.bitwidth):
                errors.append(f"update {n}: param {p.param_id} does not fit")
        needs_priority = any(f.match_type in (4, 5, 6) for f in table.match_fields)
        if needs_priority != (entry.priority > 0):
            errors.append(f"update {n}: priority {entry.priority} on {table.preamble.name}")
    json.dump({"entries": len(request.updates), "tables": counts, "errors": errors[:20]}, sys.stdout)


main()
