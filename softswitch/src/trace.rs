//! The per-packet trace: what the parser extracted, each table's result, drops and outputs, as
//! human-readable lines or JSON. Collected only when asked for, so the hot path pays one branch.

use std::fmt;

use serde::Serialize;

use crate::drop::DropReason;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Packet {
        port: u16,
        length: usize,
        instance_type: u32,
    },
    State {
        parser_state: String,
    },
    Extract {
        header: String,
        fields: Vec<(String, String)>,
    },
    ParserError {
        error: String,
    },
    Control {
        control: String,
    },
    Table {
        table: String,
        hit: bool,
        action: String,
        args: Vec<String>,
        /// The matched entry's key, one text per key field.
        key: Vec<String>,
    },
    Clone {
        session: u32,
    },
    Resubmit,
    Recirculate,
    Multicast {
        group: u16,
        copies: usize,
    },
    Drop {
        reason: DropReason,
    },
    Output {
        port: u16,
        length: usize,
    },
    Log {
        message: String,
    },
    Digest {
        digest: String,
    },
}

/// The events of one call to [`crate::Switch::process`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Trace {
    pub events: Vec<Event>,
}

impl Trace {
    pub fn push(&mut self, e: Event) {
        self.events.push(e);
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.events).expect("events serialize")
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Packet {
                port,
                length,
                instance_type,
            } => write!(
                f,
                "packet in: port {port}, {length} bytes, instance type {instance_type}"
            ),
            Event::State { parser_state } => write!(f, "  parser state {parser_state}"),
            Event::Extract { header, fields } => {
                write!(f, "    extract {header}:")?;
                for (n, v) in fields {
                    write!(f, " {n}={v}")?;
                }
                Ok(())
            }
            Event::ParserError { error } => write!(f, "  parser error {error}"),
            Event::Control { control } => write!(f, "  control {control}"),
            Event::Table {
                table,
                hit,
                action,
                args,
                key,
            } => {
                if *hit {
                    write!(
                        f,
                        "    table {table}: hit [{}] -> {action}({})",
                        key.join(", "),
                        args.join(", ")
                    )
                } else {
                    write!(
                        f,
                        "    table {table}: miss -> default {action}({})",
                        args.join(", ")
                    )
                }
            }
            Event::Clone { session } => write!(f, "  clone to session {session}"),
            Event::Resubmit => write!(f, "  resubmit"),
            Event::Recirculate => write!(f, "  recirculate"),
            Event::Multicast { group, copies } => {
                write!(f, "  multicast group {group}: {copies} copies")
            }
            Event::Drop { reason } => write!(f, "  drop: {reason}"),
            Event::Output { port, length } => write!(f, "  out: port {port}, {length} bytes"),
            Event::Log { message } => write!(f, "    log: {message}"),
            Event::Digest { digest } => write!(f, "    digest {digest}"),
        }
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.events {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}
