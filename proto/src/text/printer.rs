//! The text-format printer. It walks the protobuf wire bytes of a message
//! with its descriptor instead of going through `prost_reflect`'s
//! `DynamicMessage`, whose per-field maps made printing a 10,000-entry
//! `WriteRequest` take half a second; the wire walk is an order of magnitude
//! faster.
//!
//! The layout is the one protobuf's C++ and Python printers produce (and so
//! p4c, BMv2 and p4runtime-shell): fields by field number, one block per
//! repeated element, map entries sorted by key, bytes and strings C-escaped
//! (octal for non-printable bytes), `Any` payloads of known types expanded.
//! The interop test checks the output byte for byte against Python's
//! `text_format.MessageToString`.
//!
//! Input is always the encoding of a generated prost message, so a field
//! without presence appears on the wire only when it differs from its
//! default, exactly the fields a protobuf printer shows.

use std::fmt::Write as _;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

use crate::descriptor_pool;

const INDENT: &str = "  ";

/// Nesting limit; deeper input cannot come from a message prost can decode.
const MAX_DEPTH: usize = 100;

/// A malformed encoding; only possible if the generated code and the
/// embedded descriptors disagree.
#[derive(Debug)]
pub(super) struct WireError(pub(super) &'static str);

pub(super) fn print(descriptor: &MessageDescriptor, wire: &[u8]) -> Result<String, WireError> {
    let mut out = String::with_capacity(wire.len() * 4);
    message(descriptor, wire, 0, &mut out)?;
    Ok(out)
}

/// One field occurrence on the wire.
#[derive(Clone, Copy)]
enum Raw<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn message(
    descriptor: &MessageDescriptor,
    wire: &[u8],
    depth: usize,
    out: &mut String,
) -> Result<(), WireError> {
    if depth > MAX_DEPTH {
        return Err(WireError("message nested too deeply"));
    }
    if descriptor.full_name() == "google.protobuf.Any" && expanded_any(wire, depth, out)? {
        return Ok(());
    }
    let mut fields = fields(wire)?;
    // prost writes fields in declaration order, protobuf printers in number
    // order; the sort is stable so repeated elements keep their order.
    fields.sort_by_key(|(number, _)| *number);
    let mut i = 0;
    while i < fields.len() {
        let number = fields[i].0;
        let end = i + fields[i..].iter().take_while(|(n, _)| *n == number).count();
        if let Some(field) = descriptor.get_field(number) {
            if field.is_map() {
                map(&field, &fields[i..end], depth, out)?;
            } else {
                for (_, raw) in &fields[i..end] {
                    occurrence(&field, *raw, depth, out)?;
                }
            }
        }
        i = end;
    }
    Ok(())
}

/// Prints one wire occurrence, which for a packed repeated field holds
/// several values.
fn occurrence(
    field: &FieldDescriptor,
    raw: Raw<'_>,
    depth: usize,
    out: &mut String,
) -> Result<(), WireError> {
    let kind = field.kind();
    match (&kind, raw) {
        (Kind::Message(inner), Raw::Bytes(bytes)) => {
            line_start(depth, out);
            out.push_str(field.name());
            out.push_str(" {\n");
            message(inner, bytes, depth + 1, out)?;
            line_start(depth, out);
            out.push_str("}\n");
        }
        (Kind::String | Kind::Bytes, Raw::Bytes(bytes)) => {
            scalar_line(field.name(), depth, out, |out| quoted(bytes, out));
        }
        (_, Raw::Bytes(mut packed)) => {
            while !packed.is_empty() {
                let value = match kind {
                    Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => {
                        Raw::Fixed64(u64::from_le_bytes(take::<8>(&mut packed)?))
                    }
                    Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => {
                        Raw::Fixed32(u32::from_le_bytes(take::<4>(&mut packed)?))
                    }
                    _ => Raw::Varint(varint(&mut packed)?),
                };
                scalar_line(field.name(), depth, out, |out| scalar(&kind, value, out));
            }
        }
        (_, value) => scalar_line(field.name(), depth, out, |out| scalar(&kind, value, out)),
    }
    Ok(())
}

fn scalar_line(name: &str, depth: usize, out: &mut String, value: impl FnOnce(&mut String)) {
    line_start(depth, out);
    out.push_str(name);
    out.push_str(": ");
    value(out);
    out.push('\n');
}

fn scalar(kind: &Kind, raw: Raw<'_>, out: &mut String) {
    let _ = match (kind, raw) {
        (Kind::Bool, Raw::Varint(v)) => write!(out, "{}", v != 0),
        // int32 and enums are sign-extended to 64 bits on the wire.
        (Kind::Int32, Raw::Varint(v)) => write!(out, "{}", v as i64 as i32),
        (Kind::Int64, Raw::Varint(v)) => write!(out, "{}", v as i64),
        (Kind::Uint32, Raw::Varint(v)) => write!(out, "{}", v as u32),
        (Kind::Uint64, Raw::Varint(v)) => write!(out, "{v}"),
        (Kind::Sint32, Raw::Varint(v)) => write!(out, "{}", zigzag(v) as i32),
        (Kind::Sint64, Raw::Varint(v)) => write!(out, "{}", zigzag(v)),
        (Kind::Fixed32, Raw::Fixed32(v)) => write!(out, "{v}"),
        (Kind::Sfixed32, Raw::Fixed32(v)) => write!(out, "{}", v as i32),
        (Kind::Float, Raw::Fixed32(v)) => write!(out, "{}", f32::from_bits(v)),
        (Kind::Fixed64, Raw::Fixed64(v)) => write!(out, "{v}"),
        (Kind::Sfixed64, Raw::Fixed64(v)) => write!(out, "{}", v as i64),
        (Kind::Double, Raw::Fixed64(v)) => write!(out, "{}", f64::from_bits(v)),
        (Kind::Enum(e), Raw::Varint(v)) => {
            let number = v as i64 as i32;
            match e.get_value(number) {
                Some(value) => write!(out, "{}", value.name()),
                None => write!(out, "{number}"),
            }
        }
        // A wire type that does not match the field: print the raw number
        // rather than lose it.
        (_, Raw::Varint(v) | Raw::Fixed64(v)) => write!(out, "{v}"),
        (_, Raw::Fixed32(v)) => write!(out, "{v}"),
        (_, Raw::Bytes(b)) => {
            quoted(b, out);
            Ok(())
        }
    };
}

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Map entries sorted by key, each printed as protobuf does: the key unless
/// it is the default, a message value always, a scalar value unless default.
fn map(
    field: &FieldDescriptor,
    entries: &[(u32, Raw<'_>)],
    depth: usize,
    out: &mut String,
) -> Result<(), WireError> {
    let Kind::Message(entry_type) = field.kind() else {
        return Ok(());
    };
    let key_field = entry_type.map_entry_key_field();
    let value_field = entry_type.map_entry_value_field();
    let mut parsed = Vec::with_capacity(entries.len());
    for (_, raw) in entries {
        let Raw::Bytes(bytes) = raw else {
            return Err(WireError("map entry is not length-delimited"));
        };
        let mut key = None;
        let mut value = None;
        for (number, raw) in fields(bytes)? {
            match number {
                1 => key = Some(raw),
                2 => value = Some(raw),
                _ => {}
            }
        }
        parsed.push((SortKey::of(key), key, value));
    }
    // Later duplicates of a key replace earlier ones, as when decoding.
    parsed.reverse();
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    parsed.dedup_by(|a, b| a.0 == b.0);
    for (_, key, value) in parsed {
        line_start(depth, out);
        out.push_str(field.name());
        out.push_str(" {\n");
        if let Some(key) = key.filter(|k| !is_default(*k)) {
            scalar_line("key", depth + 1, out, |out| {
                scalar(&key_field.kind(), key, out)
            });
        }
        match (value_field.kind(), value) {
            (Kind::Message(inner), value) => {
                line_start(depth + 1, out);
                out.push_str("value {\n");
                let bytes = match value {
                    Some(Raw::Bytes(bytes)) => bytes,
                    _ => &[],
                };
                message(&inner, bytes, depth + 2, out)?;
                line_start(depth + 1, out);
                out.push_str("}\n");
            }
            (_, Some(value)) if !is_default(value) => {
                occurrence(&value_field, value, depth + 1, out)?;
            }
            _ => {}
        }
        line_start(depth, out);
        out.push_str("}\n");
    }
    Ok(())
}

/// Map keys are integers, booleans or strings; integers sort by their
/// signed or unsigned value as declared, strings byte-wise.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'a> {
    Number(i128),
    Text(&'a [u8]),
}

impl<'a> SortKey<'a> {
    fn of(raw: Option<Raw<'a>>) -> SortKey<'a> {
        match raw {
            Some(Raw::Varint(v) | Raw::Fixed64(v)) => SortKey::Number(i128::from(v)),
            Some(Raw::Fixed32(v)) => SortKey::Number(i128::from(v)),
            Some(Raw::Bytes(b)) => SortKey::Text(b),
            None => SortKey::Number(0),
        }
    }
}

fn is_default(raw: Raw<'_>) -> bool {
    match raw {
        Raw::Varint(v) | Raw::Fixed64(v) => v == 0,
        Raw::Fixed32(v) => v == 0,
        Raw::Bytes(b) => b.is_empty(),
    }
}

/// Prints `[type_url] { ... }` when the payload's type is known; returns
/// false (print the Any as a plain message) otherwise.
fn expanded_any(wire: &[u8], depth: usize, out: &mut String) -> Result<bool, WireError> {
    let mut type_url: &[u8] = &[];
    let mut value: &[u8] = &[];
    for (number, raw) in fields(wire)? {
        match (number, raw) {
            (1, Raw::Bytes(b)) => type_url = b,
            (2, Raw::Bytes(b)) => value = b,
            _ => {}
        }
    }
    let Ok(type_url) = std::str::from_utf8(type_url) else {
        return Ok(false);
    };
    let Some(payload) = type_url
        .rsplit('/')
        .next()
        .and_then(|name| descriptor_pool().get_message_by_name(name))
    else {
        return Ok(false);
    };
    // Only expand what prints back to the same Any.
    let mut body = String::new();
    if message(&payload, value, depth + 1, &mut body).is_err() {
        return Ok(false);
    }
    line_start(depth, out);
    let _ = writeln!(out, "[{type_url}] {{");
    out.push_str(&body);
    line_start(depth, out);
    out.push_str("}\n");
    Ok(true)
}

/// Splits an encoded message into (field number, value) pairs in wire order.
fn fields(mut wire: &[u8]) -> Result<Vec<(u32, Raw<'_>)>, WireError> {
    let mut fields = Vec::new();
    while !wire.is_empty() {
        let tag = varint(&mut wire)?;
        let number = u32::try_from(tag >> 3).map_err(|_| WireError("field number out of range"))?;
        let raw = match tag & 7 {
            0 => Raw::Varint(varint(&mut wire)?),
            1 => Raw::Fixed64(u64::from_le_bytes(take::<8>(&mut wire)?)),
            2 => {
                let len = usize::try_from(varint(&mut wire)?)
                    .map_err(|_| WireError("length out of range"))?;
                if len > wire.len() {
                    return Err(WireError("length past the end of the message"));
                }
                let (bytes, rest) = wire.split_at(len);
                wire = rest;
                Raw::Bytes(bytes)
            }
            5 => Raw::Fixed32(u32::from_le_bytes(take::<4>(&mut wire)?)),
            _ => return Err(WireError("unsupported wire type")),
        };
        fields.push((number, raw));
    }
    Ok(fields)
}

fn varint(wire: &mut &[u8]) -> Result<u64, WireError> {
    let mut value = 0u64;
    for (i, byte) in wire.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *wire = &wire[i + 1..];
            return Ok(value);
        }
    }
    Err(WireError("truncated or overlong varint"))
}

fn take<const N: usize>(wire: &mut &[u8]) -> Result<[u8; N], WireError> {
    let (head, rest) = wire
        .split_first_chunk::<N>()
        .ok_or(WireError("truncated fixed-width value"))?;
    *wire = rest;
    Ok(*head)
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
