//! The text-format printer. prost-reflect's own printer writes repeated
//! message fields as `[ {...}, {...} ]` lists; that is valid text format but
//! unlike what protobuf's C++ and Python printers (and so p4c, BMv2 and
//! p4runtime-shell) write and what people diff against. This printer follows
//! their layout: fields by field number, one block per repeated element, map
//! entries sorted by key, bytes as C-escaped strings, known `Any` payloads
//! expanded.

use std::fmt::Write as _;

use prost::Message as _;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, MapKey, ReflectMessage, Value};

use crate::descriptor_pool;

const INDENT: &str = "  ";

pub(super) fn print(message: &DynamicMessage) -> String {
    let mut out = String::new();
    fields(message, 0, &mut out);
    out
}

fn fields(message: &DynamicMessage, depth: usize, out: &mut String) {
    if let Some((type_url, payload)) = expanded_any(message) {
        line_start(depth, out);
        let _ = writeln!(out, "[{type_url}] {{");
        fields(&payload, depth + 1, out);
        line_start(depth, out);
        out.push_str("}\n");
        return;
    }
    let mut descriptors: Vec<FieldDescriptor> = message.descriptor().fields().collect();
    descriptors.sort_by_key(FieldDescriptor::number);
    for field in descriptors.iter().filter(|f| message.has_field(f)) {
        match &*message.get_field(field) {
            Value::List(items) => {
                for item in items {
                    entry(field.name(), item, field, depth, out);
                }
            }
            Value::Map(map) => {
                let mut entries: Vec<(&MapKey, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (key, value) in entries {
                    map_entry(field, key, value, depth, out);
                }
            }
            value => entry(field.name(), value, field, depth, out),
        }
    }
}

fn entry(name: &str, value: &Value, field: &FieldDescriptor, depth: usize, out: &mut String) {
    line_start(depth, out);
    out.push_str(name);
    match value {
        Value::Message(inner) => {
            out.push_str(" {\n");
            fields(inner, depth + 1, out);
            line_start(depth, out);
            out.push_str("}\n");
        }
        scalar => {
            out.push_str(": ");
            scalar_value(scalar, &field.kind(), out);
            out.push('\n');
        }
    }
}

fn map_entry(field: &FieldDescriptor, key: &MapKey, value: &Value, depth: usize, out: &mut String) {
    let Kind::Message(entry_type) = field.kind() else {
        return;
    };
    line_start(depth, out);
    out.push_str(field.name());
    out.push_str(" {\n");
    line_start(depth + 1, out);
    out.push_str("key: ");
    match key {
        MapKey::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        MapKey::I32(v) => push_display(out, v),
        MapKey::I64(v) => push_display(out, v),
        MapKey::U32(v) => push_display(out, v),
        MapKey::U64(v) => push_display(out, v),
        MapKey::String(s) => quoted(s.as_bytes(), out),
    }
    out.push('\n');
    entry(
        "value",
        value,
        &entry_type.map_entry_value_field(),
        depth + 1,
        out,
    );
    line_start(depth, out);
    out.push_str("}\n");
}

fn scalar_value(value: &Value, kind: &Kind, out: &mut String) {
    match value {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::I32(v) => push_display(out, v),
        Value::I64(v) => push_display(out, v),
        Value::U32(v) => push_display(out, v),
        Value::U64(v) => push_display(out, v),
        Value::F32(v) => push_display(out, v),
        Value::F64(v) => push_display(out, v),
        Value::String(s) => quoted(s.as_bytes(), out),
        Value::Bytes(b) => quoted(b, out),
        Value::EnumNumber(number) => match kind {
            Kind::Enum(e) => match e.get_value(*number) {
                Some(v) => out.push_str(v.name()),
                None => push_display(out, number),
            },
            _ => push_display(out, number),
        },
        Value::Message(_) | Value::List(_) | Value::Map(_) => {}
    }
}

fn push_display(out: &mut String, value: impl std::fmt::Display) {
    let _ = write!(out, "{value}");
}

/// A double-quoted string with C escapes, as protobuf's printers write it:
/// printable ASCII stays, everything else becomes a three-digit octal escape.
fn quoted(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
}

fn line_start(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str(INDENT);
    }
}

/// The payload of a `google.protobuf.Any` whose type this crate knows.
fn expanded_any(message: &DynamicMessage) -> Option<(String, DynamicMessage)> {
    if message.descriptor().full_name() != "google.protobuf.Any" {
        return None;
    }
    let any = message.transcode_to::<prost_types::Any>().ok()?;
    let type_name = any.type_url.rsplit('/').next()?;
    let descriptor = descriptor_pool().get_message_by_name(type_name)?;
    let payload = DynamicMessage::decode(descriptor, any.value.as_slice()).ok()?;
    // Re-encoding must give the same bytes, or the expansion would not read
    // back to the same Any.
    (payload.encode_to_vec() == any.value).then_some((any.type_url, payload))
}
