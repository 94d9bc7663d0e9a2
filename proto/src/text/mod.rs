//! Protobuf text format and JSON for every generated message.
//!
//! prost messages carry no reflection, so each conversion goes through a
//! `prost_reflect::DynamicMessage` built from the embedded descriptors: the
//! message is encoded to the wire format and decoded dynamically (printing),
//! or parsed dynamically and decoded into the prost type (reading). The wire
//! format is the common ground, so both sides agree field by field.

use std::ops::Range;

use miette::Diagnostic as _;
use prost::{Message, Name};
use prost_reflect::{DynamicMessage, MessageDescriptor, ReflectMessage};

use crate::descriptor_pool;

mod printer;

/// Why a message could not be printed or read.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    /// The message type is not one of this crate's protobuf messages.
    #[error("no protobuf descriptor for message `{0}`")]
    UnknownMessage(String),
    /// The text is not valid text format for the message.
    #[error("{line}:{column}: {message}")]
    Syntax {
        message: String,
        /// Byte range of the offending input, when the parser names one.
        span: Option<Range<usize>>,
        /// 1-based position of `span.start` (of the end of input otherwise).
        line: usize,
        column: usize,
    },
    /// The text is not valid JSON for the message.
    #[error("{line}:{column}: {message}")]
    Json {
        message: String,
        line: usize,
        column: usize,
    },
    /// The encoding of a message does not follow its descriptor; means the
    /// embedded descriptors and the generated code come from different
    /// `.proto` files.
    #[error("message `{name}` has a malformed encoding: {reason}")]
    Wire { name: String, reason: &'static str },
    /// Dynamic and generated message disagree; means the embedded
    /// descriptors and the generated code come from different `.proto` files.
    #[error("message `{name}` does not decode: {source}")]
    Decode {
        name: String,
        source: prost::DecodeError,
    },
}

/// Prints `message` in protobuf text format laid out as protobuf's C++ and
/// Python printers do: one field per line in field-number order, repeated
/// fields as repeated blocks, default values left out.
pub fn to_text<M: Message + Name>(message: &M) -> Result<String, TextError> {
    let descriptor = descriptor::<M>()?;
    printer::print(&descriptor, &message.encode_to_vec()).map_err(|error| TextError::Wire {
        name: M::full_name(),
        reason: error.0,
    })
}

/// Reads a message from protobuf text format.
pub fn from_text<M: Message + Name + Default>(text: &str) -> Result<M, TextError> {
    let descriptor = descriptor::<M>()?;
    check_nesting(text)?;
    let dynamic = DynamicMessage::parse_text_format(descriptor, text).map_err(|error| {
        let span = error
            .labels()
            .and_then(|mut labels| labels.next())
            .map(|label| label.offset()..label.offset() + label.len());
        let offset = span.as_ref().map_or(text.len(), |span| span.start);
        let (line, column) = line_column(text, offset);
        TextError::Syntax {
            message: error.to_string(),
            span,
            line,
            column,
        }
    })?;
    from_dynamic(&dynamic)
}

/// Prints `message` in the canonical protobuf JSON mapping (lowerCamelCase
/// names, 64-bit integers and bytes as strings), indented.
pub fn to_json<M: Message + Name>(message: &M) -> Result<String, TextError> {
    let dynamic = to_dynamic(message)?;
    let mut json = serde_json::to_string_pretty(&dynamic).map_err(|error| TextError::Json {
        message: error.to_string(),
        line: 0,
        column: 0,
    })?;
    json.push('\n');
    Ok(json)
}

/// Reads a message from the protobuf JSON mapping; unknown fields are errors.
pub fn from_json<M: Message + Name + Default>(json: &str) -> Result<M, TextError> {
    let descriptor = descriptor::<M>()?;
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .and_then(|dynamic| deserializer.end().map(|()| dynamic))
        .map_err(|error| TextError::Json {
            message: error.to_string(),
            line: error.line(),
            column: error.column(),
        })?;
    from_dynamic(&dynamic)
}

fn descriptor<M: Name>() -> Result<MessageDescriptor, TextError> {
    let name = M::full_name();
    descriptor_pool()
        .get_message_by_name(&name)
        .ok_or(TextError::UnknownMessage(name))
}

fn to_dynamic<M: Message + Name>(message: &M) -> Result<DynamicMessage, TextError> {
    let descriptor = descriptor::<M>()?;
    DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice()).map_err(|source| {
        TextError::Decode {
            name: M::full_name(),
            source,
        }
    })
}

fn from_dynamic<M: Message + Default>(dynamic: &DynamicMessage) -> Result<M, TextError> {
    M::decode(dynamic.encode_to_vec().as_slice()).map_err(|source| TextError::Decode {
        name: dynamic.descriptor().full_name().to_owned(),
        source,
    })
}

/// Deepest message nesting accepted in text format; protobuf's own parsers
/// use the same limit.
pub const MAX_DEPTH: usize = 100;

/// The text-format parser recurses once per nested message and has no limit
/// of its own, so hostile input could overflow the stack: reject it before
/// parsing. Brackets inside string literals and comments do not count.
fn check_nesting(text: &str) -> Result<(), TextError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'<' | b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let (line, column) = line_column(text, i);
                    return Err(TextError::Syntax {
                        message: format!("messages nested deeper than {MAX_DEPTH} levels"),
                        span: Some(i..i + 1),
                        line,
                        column,
                    });
                }
            }
            b'}' | b'>' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p4::config::v1 as cfg;
    use crate::p4::v1;

    fn sample_p4info() -> cfg::P4Info {
        cfg::P4Info {
            pkg_info: Some(cfg::PkgInfo {
                arch: "v1model".into(),
                ..Default::default()
            }),
            tables: vec![cfg::Table {
                preamble: Some(cfg::Preamble {
                    id: 38116258,
                    name: "IngressI.indirect_ws".into(),
                    alias: "indirect_ws".into(),
                    ..Default::default()
                }),
                match_fields: vec![cfg::MatchField {
                    id: 1,
                    name: "hdr.ipv4.dstAddr".into(),
                    bitwidth: 32,
                    r#match: Some(cfg::match_field::Match::MatchType(
                        cfg::match_field::MatchType::Lpm as i32,
                    )),
                    ..Default::default()
                }],
                size: 1024,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn text_prints_fields_in_number_order_with_enum_names() {
        let text = to_text(&sample_p4info()).unwrap();
        assert_eq!(
            text,
            "pkg_info {\n  arch: \"v1model\"\n}\ntables {\n  preamble {\n    id: 38116258\n    \
             name: \"IngressI.indirect_ws\"\n    alias: \"indirect_ws\"\n  }\n  match_fields {\n    \
             id: 1\n    name: \"hdr.ipv4.dstAddr\"\n    bitwidth: 32\n    match_type: LPM\n  }\n  \
             size: 1024\n}\n"
        );
    }

    #[test]
    fn text_expands_any_sorts_maps_and_escapes_bytes() {
        let status = crate::google::rpc::Status {
            code: 2,
            message: "batch failed".into(),
            details: vec![
                prost_types::Any::from_msg(&v1::Error {
                    canonical_code: 6,
                    message: "entry exists".into(),
                    ..Default::default()
                })
                .unwrap(),
            ],
        };
        assert_eq!(
            to_text(&status).unwrap(),
            "code: 2\nmessage: \"batch failed\"\ndetails {\n  \
             [type.googleapis.com/p4.v1.Error] {\n    canonical_code: 6\n    \
             message: \"entry exists\"\n  }\n}\n"
        );
        let back: crate::google::rpc::Status = from_text(&to_text(&status).unwrap()).unwrap();
        assert_eq!(back, status);

        let mut types = cfg::P4TypeInfo::default();
        for name in ["zeta_t", "alpha_t"] {
            types
                .headers
                .insert(name.into(), cfg::P4HeaderTypeSpec::default());
        }
        let info = cfg::P4Info {
            type_info: Some(types),
            ..Default::default()
        };
        assert_eq!(
            to_text(&info).unwrap(),
            "type_info {\n  headers {\n    key: \"alpha_t\"\n    value {\n    }\n  }\n  \
             headers {\n    key: \"zeta_t\"\n    value {\n    }\n  }\n}\n"
        );

        let packet = v1::PacketOut {
            payload: vec![0x00, b'a', b'"', b'\\', 0x0a, 0xff],
            metadata: vec![],
        };
        assert_eq!(
            to_text(&packet).unwrap(),
            "payload: \"\\000a\\\"\\\\\\n\\377\"\n"
        );
        assert_eq!(
            from_text::<v1::PacketOut>(&to_text(&packet).unwrap()).unwrap(),
            packet
        );
    }

    #[test]
    fn text_round_trips() {
        let p4info = sample_p4info();
        let back: cfg::P4Info = from_text(&to_text(&p4info).unwrap()).unwrap();
        assert_eq!(back, p4info);
    }

    #[test]
    fn bytes_round_trip_through_text_and_json() {
        let request = v1::WriteRequest {
            device_id: 1,
            election_id: Some(crate::uint128(5)),
            updates: vec![v1::Update {
                r#type: v1::update::Type::Insert as i32,
                entity: Some(v1::Entity {
                    entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                        table_id: 33554433,
                        r#match: vec![v1::FieldMatch {
                            field_id: 1,
                            field_match_type: Some(v1::field_match::FieldMatchType::Ternary(
                                v1::field_match::Ternary {
                                    value: vec![0x00, 0x0a, b'"', 0xff],
                                    mask: vec![0xff, 0x00],
                                },
                            )),
                        }],
                        priority: 10,
                        ..Default::default()
                    })),
                }),
            }],
            ..Default::default()
        };
        let text = to_text(&request).unwrap();
        assert_eq!(from_text::<v1::WriteRequest>(&text).unwrap(), request);
        let json = to_json(&request).unwrap();
        assert!(json.contains("\"tableId\": 33554433"), "{json}");
        assert_eq!(from_json::<v1::WriteRequest>(&json).unwrap(), request);
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let error =
            from_text::<cfg::P4Info>("tables {\n  preamble {\n    idd: 3\n  }\n}\n").unwrap_err();
        match error {
            TextError::Syntax {
                line,
                column,
                ref message,
                ..
            } => {
                assert_eq!((line, column), (3, 5), "{message}");
                assert!(message.contains("idd"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unterminated_message_is_an_error_at_end_of_input() {
        let error = from_text::<cfg::P4Info>("tables {\n").unwrap_err();
        assert!(
            matches!(
                error,
                TextError::Syntax {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn json_error_names_line_and_column() {
        let error = from_json::<cfg::P4Info>("{\n  \"tables\": 3\n}").unwrap_err();
        assert!(
            matches!(error, TextError::Json { line: 2, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 10_000;
        let text =
            "type_info { structs { key: \"a\" value { members { type_spec { tuple { members { "
                .to_owned()
                + &"tuple { members { ".repeat(depth)
                + &"} } ".repeat(depth);
        let error = from_text::<cfg::P4Info>(&text).unwrap_err();
        assert!(
            matches!(error, TextError::Syntax { line: 1, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("deeper than 100"), "{error}");
        // Braces inside strings and comments are not nesting.
        let quoted = format!(
            "pkg_info {{ name: \"{}\" # {}\n}}",
            "{".repeat(500),
            "{".repeat(500)
        );
        let info: cfg::P4Info = from_text(&quoted).unwrap();
        assert_eq!(info.pkg_info.unwrap().name.len(), 500);
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
