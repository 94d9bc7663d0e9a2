//! Parsing with serde-saphyr under a budget, then the duplicate-key walk.

use std::collections::HashMap;

use ddsr_diag::Span;
use serde_saphyr::{DuplicateKeyPolicy, MessageFormatter, UserMessageFormatter};

use super::node::{Node, Value, key_text};
use crate::error::Error;

/// Largest policy accepted, so a huge file is refused before any work. 64 MiB holds well over
/// the 10,000-VIP benchmark policy (about 10 MiB).
pub const MAX_INPUT_BYTES: usize = 64 << 20;

/// Most YAML events (scalars, collection starts and ends, alias replays) parsed. Bounds memory
/// and time for alias bombs, whose text is tiny but whose expansion is not.
pub const MAX_EVENTS: usize = 8_000_000;

/// Most YAML nodes (scalars and collections, alias expansions included).
pub const MAX_NODES: usize = 4_000_000;

/// Most events copied for anchors and replayed through aliases. Real policies use aliases for
/// a few shared lists; an alias bomb needs millions.
pub const MAX_ALIAS_EVENTS: usize = 50_000;

/// Deepest nesting accepted; the policy language needs 5, and it bounds recursion.
const MAX_DEPTH: usize = 32;

/// Maps with more keys than this are checked for duplicates with a hash map, smaller ones by
/// comparing pairs (faster for the two to six keys most policy mappings have).
const SMALL_MAP: usize = 12;

/// Parses one YAML document. On success, duplicate keys found anywhere are also returned.
pub fn parse(text: &str) -> Result<(Node, Vec<Error>), Error> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(Error::Budget {
            span: Span::new(0, 0),
            message: format!(
                "the file has {} bytes, the limit is {MAX_INPUT_BYTES}",
                text.len()
            ),
        });
    }
    let budget = serde_saphyr::budget! {
        max_events: MAX_EVENTS,
        max_nodes: MAX_NODES,
        max_depth: MAX_DEPTH,
        max_documents: 1,
        max_recorded_anchor_events: MAX_ALIAS_EVENTS,
    };
    let mut options = serde_saphyr::options! {
        budget: budget,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    };
    options.alias_limits.max_total_replayed_events = MAX_ALIAS_EVENTS;
    let root: Node = match serde_saphyr::from_str_with_options(text, options) {
        Ok(n) => n,
        Err(e) => return Err(convert(text, &e)),
    };
    let mut dups = Vec::new();
    duplicates(&root, &mut dups);
    Ok((root, dups))
}

fn convert(text: &str, mut e: &serde_saphyr::Error) -> Error {
    // The location of a wrapped error is the wrapper's; its kind is the inner error's.
    let location = e.location();
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = e
    {
        e = error;
    }
    let message = UserMessageFormatter.format_message(e).into_owned();
    let span = location
        .or_else(|| e.location())
        .map(|l| {
            let at = byte_offset(text, l.line(), l.column());
            let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
            Span::from(at..end)
        })
        .unwrap_or_default();
    let over_budget = matches!(
        e,
        serde_saphyr::Error::Budget { .. }
            | serde_saphyr::Error::AliasReplayLimitExceeded { .. }
            | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
            | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
            | serde_saphyr::Error::AliasReplayCounterOverflow { .. }
    );
    let message = lower_first(
        message
            .strip_prefix("YAML document too large or too complex: ")
            .unwrap_or(&message),
    );
    if over_budget {
        Error::Budget { span, message }
    } else {
        Error::Syntax { span, message }
    }
}

/// House style: messages start in lower case (acronyms such as "YAML" are kept).
fn lower_first(s: &str) -> String {
    let s = s.trim().trim_end_matches('.');
    let mut c = s.chars();
    match (c.next(), c.next()) {
        (None, _) => "invalid YAML".to_owned(),
        (Some(_), Some(second)) if second.is_uppercase() => s.to_owned(),
        (Some(f), _) => f.to_lowercase().chain(s.chars().skip(1)).collect(),
    }
}

/// Byte offset of a one-based line and character column, clamped to the text.
fn byte_offset(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[offset..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let col = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    offset
        + line_text[..line_end]
            .char_indices()
            .nth(col)
            .map_or(line_end, |(i, _)| i)
}

/// Reports every repeated key of every mapping, pointing back at its first definition.
/// Recursion depth is bounded by the parser's depth budget.
fn duplicates(node: &Node, out: &mut Vec<Error>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| duplicates(n, out)),
        Value::Map(entries) => {
            if entries.len() <= SMALL_MAP {
                for (i, (k, _)) in entries.iter().enumerate() {
                    let Some(t) = key_text(k) else { continue };
                    if let Some((first, _)) = entries[..i]
                        .iter()
                        .find(|(f, _)| key_text(f).as_deref() == Some(t.as_str()))
                    {
                        out.push(dup(k, first, t));
                    }
                }
            } else {
                let mut seen: HashMap<String, &Node> = HashMap::with_capacity(entries.len());
                for (k, _) in entries {
                    let Some(t) = key_text(k) else { continue };
                    match seen.get(&t) {
                        Some(first) => out.push(dup(k, first, t)),
                        None => {
                            seen.insert(t, k);
                        }
                    }
                }
            }
            for (k, v) in entries {
                duplicates(k, out);
                duplicates(v, out);
            }
        }
        _ => {}
    }
}

fn dup(key: &Node, first: &Node, text: String) -> Error {
    Error::DuplicateKey {
        span: key.span,
        first: first.span,
        key: text,
    }
}
