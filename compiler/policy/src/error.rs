//! Everything the policy front end reports, as one typed enum carrying spans, and its conversion
//! into [`Diagnostic`]s, which happens here and nowhere else.
//!
//! Codes are stable: a code is never reused for another meaning. Each has a page
//! `docs/errors/EXXXX.md`.

use std::net::IpAddr;

use ddsr_diag::{Code, Diagnostic, FileId, Severity, Span};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Syntax { span: Span, message: String },
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        span: Span,
        first: Span,
        key: String,
    },
    #[error("unknown field `{field}` in {context}")]
    UnknownField {
        span: Span,
        field: String,
        context: &'static str,
        suggestion: Option<&'static str>,
        expected: &'static [&'static str],
    },
    #[error("expected {expected}, found {found}")]
    WrongType {
        span: Span,
        expected: &'static str,
        found: &'static str,
    },
    #[error("missing field `{field}` in {context}")]
    MissingField {
        span: Span,
        field: &'static str,
        context: &'static str,
    },
    #[error("unsupported policy version: expected 1, found {found}")]
    Version { span: Span, found: String },
    #[error("invalid IP address: {reason}")]
    Address {
        span: Span,
        reason: String,
        help: Option<String>,
    },
    #[error("`{text}` has host bits set")]
    HostBits {
        span: Span,
        text: String,
        network: String,
    },
    #[error("prefix length out of range: {reason}")]
    PrefixLength { span: Span, reason: String },
    #[error("{what} `{addr}` is {why}")]
    UnusableAddress {
        span: Span,
        what: &'static str,
        addr: IpAddr,
        why: &'static str,
    },
    #[error("expected {what} in {min}..={max}, found {found}")]
    OutOfRange {
        span: Span,
        what: &'static str,
        min: u32,
        max: u32,
        found: i128,
    },
    #[error("inverted port range `{lo}-{hi}`")]
    InvertedRange { span: Span, lo: u16, hi: u16 },
    #[error("service_port {port} is already used by VIP `{other}`")]
    DuplicateServicePort {
        span: Span,
        first: Span,
        port: u16,
        other: String,
    },
    #[error("VIP {address} {protocol}/{port} is already defined by VIP `{other}`")]
    DuplicateVip {
        span: Span,
        first: Span,
        address: IpAddr,
        protocol: &'static str,
        port: u16,
        other: String,
    },
    #[error("unknown {kind} `{name}`")]
    UnknownReference {
        span: Span,
        kind: &'static str,
        name: String,
        suggestion: Option<String>,
    },
    #[error("expected a host of role server, found `{host}` of role {role}")]
    NotServer {
        span: Span,
        host: String,
        role: &'static str,
        role_span: Span,
    },
    #[error("host `{host}` is listed twice in pool `{pool}`")]
    DuplicateBackend {
        span: Span,
        first: Span,
        host: String,
        pool: String,
    },
    #[error("pool `{pool}` has no backend with a weight above 0")]
    NoBackend { span: Span, pool: String },
    #[error("expected a weight in 0..=65535, found {found}")]
    Weight { span: Span, found: i128 },
    #[error("table_size {size} is {why}")]
    TableSize {
        span: Span,
        size: i128,
        why: String,
        help: String,
    },
    #[error("table_size {size} is small for {backends} backends")]
    TableSizeSmall {
        span: Span,
        size: u32,
        backends: usize,
    },
    #[error("{family} VIP `{vip}` cannot be served: {why}")]
    FamilyMismatch {
        span: Span,
        other: Option<Span>,
        other_label: String,
        family: &'static str,
        vip: String,
        why: String,
    },
    #[error("VIPs are defined but no host has role {role}")]
    MissingRole { span: Span, role: &'static str },
    #[error("address {addr} is already used by host `{other}`")]
    DuplicateHostAddress {
        span: Span,
        first: Span,
        addr: IpAddr,
        other: String,
    },
    #[error("duplicate rule name `{name}` in ACL `{acl}`")]
    DuplicateRule {
        span: Span,
        first: Span,
        name: String,
        acl: String,
    },
    #[error("`{field}` given for protocol {protocol}, which has no ports")]
    PortsWithoutPorts {
        span: Span,
        protocol_span: Option<Span>,
        field: &'static str,
        protocol: &'static str,
    },
    #[error(
        "rule `{rule}` never matches: rule `{by}` before it matches all its packets and {by_action}s them"
    )]
    ShadowedRule {
        span: Span,
        by_span: Span,
        rule: String,
        by: String,
        by_action: &'static str,
    },
    #[error("rule `{rule}` is redundant: rule `{by}` before it already matches all its packets")]
    RedundantRule {
        span: Span,
        by_span: Span,
        rule: String,
        by: String,
    },
    #[error("{kind} `{name}` is never used")]
    Unreferenced {
        span: Span,
        kind: &'static str,
        name: String,
    },
    #[error("policy exceeds the parser's resource budget: {message}")]
    Budget { span: Span, message: String },
    #[error("unknown {what} `{found}`")]
    UnknownValue {
        span: Span,
        what: &'static str,
        found: String,
        expected: &'static [&'static str],
        suggestion: Option<&'static str>,
    },
    #[error("invalid MAC address `{text}`")]
    Mac { span: Span, text: String },
    #[error("empty `{field}` list would match nothing")]
    EmptyList { span: Span, field: &'static str },
}

impl Error {
    pub fn code(&self) -> Code {
        Code(match self {
            Error::Syntax { .. } => 1,
            Error::DuplicateKey { .. } => 2,
            Error::UnknownField { .. } => 3,
            Error::WrongType { .. } => 4,
            Error::MissingField { .. } => 5,
            Error::Version { .. } => 6,
            Error::Address { .. } => 7,
            Error::HostBits { .. } => 8,
            Error::PrefixLength { .. } => 9,
            Error::UnusableAddress { .. } => 10,
            Error::OutOfRange { .. } => 11,
            Error::InvertedRange { .. } => 12,
            Error::DuplicateServicePort { .. } => 13,
            Error::DuplicateVip { .. } => 14,
            Error::UnknownReference { .. } => 15,
            Error::NotServer { .. } => 16,
            Error::DuplicateBackend { .. } => 17,
            Error::NoBackend { .. } => 18,
            Error::Weight { .. } => 19,
            Error::TableSize { .. } => 20,
            Error::TableSizeSmall { .. } => 21,
            Error::FamilyMismatch { .. } => 22,
            Error::MissingRole { .. } => 23,
            Error::DuplicateHostAddress { .. } => 24,
            Error::DuplicateRule { .. } => 25,
            Error::PortsWithoutPorts { .. } => 26,
            Error::ShadowedRule { .. } => 27,
            Error::RedundantRule { .. } => 28,
            Error::Unreferenced { .. } => 29,
            Error::Budget { .. } => 30,
            Error::UnknownValue { .. } => 31,
            Error::Mac { .. } => 32,
            Error::EmptyList { .. } => 33,
        })
    }

    pub fn severity(&self) -> Severity {
        match self {
            Error::TableSizeSmall { .. }
            | Error::RedundantRule { .. }
            | Error::Unreferenced { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Error::Syntax { span, .. }
            | Error::DuplicateKey { span, .. }
            | Error::UnknownField { span, .. }
            | Error::WrongType { span, .. }
            | Error::MissingField { span, .. }
            | Error::Version { span, .. }
            | Error::Address { span, .. }
            | Error::HostBits { span, .. }
            | Error::PrefixLength { span, .. }
            | Error::UnusableAddress { span, .. }
            | Error::OutOfRange { span, .. }
            | Error::InvertedRange { span, .. }
            | Error::DuplicateServicePort { span, .. }
            | Error::DuplicateVip { span, .. }
            | Error::UnknownReference { span, .. }
            | Error::NotServer { span, .. }
            | Error::DuplicateBackend { span, .. }
            | Error::NoBackend { span, .. }
            | Error::Weight { span, .. }
            | Error::TableSize { span, .. }
            | Error::TableSizeSmall { span, .. }
            | Error::FamilyMismatch { span, .. }
            | Error::MissingRole { span, .. }
            | Error::DuplicateHostAddress { span, .. }
            | Error::DuplicateRule { span, .. }
            | Error::PortsWithoutPorts { span, .. }
            | Error::ShadowedRule { span, .. }
            | Error::RedundantRule { span, .. }
            | Error::Unreferenced { span, .. }
            | Error::Budget { span, .. }
            | Error::UnknownValue { span, .. }
            | Error::Mac { span, .. }
            | Error::EmptyList { span, .. } => *span,
        }
    }

    pub fn to_diagnostic(&self, file: FileId) -> Diagnostic {
        let d = Diagnostic::new(self.severity(), self.code(), self.to_string());
        let span = self.span();
        match self {
            Error::Syntax { .. } => d.primary(file, span, "here"),
            Error::DuplicateKey { first, key, .. } => d
                .primary(file, span, "duplicate key")
                .secondary(file, *first, "first defined here")
                .help(format!("remove or rename one of the two `{key}` entries")),
            Error::UnknownField {
                suggestion, expected, ..
            } => {
                let d = d.primary(file, span, "unknown field");
                match suggestion {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.note(format!("expected one of: {}", expected.join(", "))),
                }
            }
            Error::WrongType { expected, .. } => d.primary(file, span, format!("expected {expected}")),
            Error::MissingField { field, .. } => d
                .primary(file, span, format!("`{field}` is required here"))
                .help(format!("add `{field}: ...`")),
            Error::Version { .. } => d
                .primary(file, span, "unsupported version")
                .help("write `version: 1`"),
            Error::Address { help, .. } => {
                let d = d.primary(file, span, "not an IP address");
                match help {
                    Some(h) => d.help(h.clone()),
                    None => d,
                }
            }
            Error::HostBits { network, .. } => d
                .primary(file, span, "host bits set")
                .help(format!("write `{network}`")),
            Error::PrefixLength { .. } => d.primary(file, span, "prefix length out of range"),
            Error::UnusableAddress { .. } => d
                .primary(file, span, "unusable address")
                .note("a VIP or host address must be a unicast address other than loopback"),
            Error::OutOfRange { .. } => d.primary(file, span, "out of range"),
            Error::InvertedRange { lo, hi, .. } => d
                .primary(file, span, "start is above end")
                .help(format!("write `{hi}-{lo}`")),
            Error::DuplicateServicePort { first, .. } => d
                .primary(file, span, "service_port used twice")
                .secondary(file, *first, "first used here")
                .note("server and egress hosts recognise a VIP by its service_port alone, so it must be unique"),
            Error::DuplicateVip { first, .. } => d
                .primary(file, span, "defined again here")
                .secondary(file, *first, "first defined here"),
            Error::UnknownReference { kind, suggestion, .. } => {
                let d = d.primary(file, span, format!("no {kind} of this name"));
                match suggestion {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
            Error::NotServer { role_span, .. } => d
                .primary(file, span, "not a server host")
                .secondary(file, *role_span, "role given here"),
            Error::DuplicateBackend { first, .. } => d
                .primary(file, span, "listed again here")
                .secondary(file, *first, "first listed here"),
            Error::NoBackend { .. } => d
                .primary(file, span, "no backend can receive flows")
                .help("give at least one backend a weight of 1 or more"),
            Error::Weight { .. } => d.primary(file, span, "weight out of range"),
            Error::TableSize { help, .. } => d.primary(file, span, "bad table_size").help(help.clone()),
            Error::TableSizeSmall { backends, .. } => d
                .primary(file, span, "small lookup table")
                .note("Maglev spreads flows evenly only when the table is much larger than the backend count")
                .help(format!(
                    "use a prime of at least {} (100 x backends), such as 65537",
                    100 * backends
                )),
            Error::FamilyMismatch { other, other_label, .. } => {
                let d = d.primary(file, span, "VIP address");
                match other {
                    Some(o) => d.secondary(file, *o, other_label.clone()),
                    None => d,
                }
            }
            Error::MissingRole { role, .. } => d
                .primary(file, span, "VIPs defined here")
                .help(format!("add a host with `role: {role}`")),
            Error::DuplicateHostAddress { first, .. } => d
                .primary(file, span, "address used again here")
                .secondary(file, *first, "first used here"),
            Error::DuplicateRule { first, .. } => d
                .primary(file, span, "rule name used again here")
                .secondary(file, *first, "first used here"),
            Error::PortsWithoutPorts { protocol_span, .. } => {
                let d = d.primary(file, span, "ports given here");
                let d = match protocol_span {
                    Some(p) => d.secondary(file, *p, "protocol given here"),
                    None => d.note("a rule without `protocol` matches every protocol"),
                };
                d.help("set `protocol: tcp` or `protocol: udp`, or remove the ports")
            }
            Error::ShadowedRule { by_span, .. } => d
                .primary(file, span, "this rule never matches")
                .secondary(file, *by_span, "because this earlier rule matches all its packets")
                .help("move the rule above the earlier one, or remove it"),
            Error::RedundantRule { by_span, .. } => d
                .primary(file, span, "this rule never matches")
                .secondary(file, *by_span, "this earlier rule already has the same effect")
                .help("remove the rule"),
            Error::Unreferenced { kind, .. } => d
                .primary(file, span, format!("no VIP uses this {kind}"))
                .help("reference it from a VIP or remove it"),
            Error::Budget { .. } => d.primary(file, span, "budget exceeded here"),
            Error::UnknownValue {
                expected, suggestion, ..
            } => {
                let d = d
                    .primary(file, span, "unknown value")
                    .note(format!("expected one of: {}", expected.join(", ")));
                match suggestion {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
            Error::Mac { .. } => d
                .primary(file, span, "not a MAC address")
                .help("write six two-digit hex octets separated by colons, like `02:00:00:00:00:01`"),
            Error::EmptyList { field, .. } => d
                .primary(file, span, "empty list")
                .help(format!("remove `{field}` to match any value, or list at least one")),
        }
    }
}
