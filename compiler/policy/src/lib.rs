//! Policy front end: policy YAML in, validated [`ir::Policy`] or diagnostics out.
//!
//! Stages, each in its own module:
//! 1. [`front`]: YAML text -> tree of spanned nodes, under a resource budget (input size, event
//!    count, nesting depth, alias replay), with duplicate keys found at every depth.
//! 2. [`lower`]: tree -> IR. Field names and value types are checked, literals parsed, names
//!    resolved into typed [`arena::Handle`]s, and ACLs checked for shadowed rules ([`shadow`]).
//! 3. [`valid`]: checks across items (unique addresses, VIPs and service ports, address
//!    families along the DSR path, required roles, unused pools and ACLs).
//!
//! [`synth`] generates large valid policies for benchmarks.
//!
//! Problems are values of [`error::Error`], converted to [`ddsr_diag::Diagnostic`]s in one place
//! and returned sorted by position. The central structure is [`ir::Policy`]: arenas of hosts,
//! pools, ACLs and VIPs. Invariant: a `Policy` is only returned when no error was found, and
//! then every handle in it is in bounds, every VIP's pool has a backend of weight > 0, and every
//! backend is a server with an address of the VIP's family.

pub mod arena;
pub mod error;
pub mod front;
pub mod ir;
pub mod lower;
pub mod net;
pub mod shadow;
pub mod synth;
pub mod valid;

use std::path::Path;

use ddsr_diag::{Code, Diagnostic, Diagnostics, SourceMap};

pub use error::Error;
pub use ir::Policy;

/// Code of the diagnostic for a policy file that cannot be read.
pub const READ_ERROR: Code = Code(34);

/// Checks one policy text. `name` is what diagnostics print as its file name.
///
/// Returns every problem, errors and warnings, sorted by position, and the policy when there
/// is no error (warnings do not prevent it).
pub fn check_source(
    sources: &mut SourceMap,
    name: &str,
    text: &str,
) -> (Option<Policy>, Diagnostics) {
    let file = sources.add(name, text);
    let mut errors = Vec::new();
    let policy = match front::parse(text) {
        Err(e) => {
            errors.push(e);
            None
        }
        Ok((root, dups)) => {
            errors.extend(dups);
            let (policy, facts) = lower::lower(&root, file, &mut errors);
            valid::check(&policy, &facts, &mut errors);
            Some(policy)
        }
    };
    let mut diags: Diagnostics = errors
        .iter()
        .map(|e| e.to_diagnostic(file))
        .collect::<Vec<_>>()
        .into();
    diags.sort();
    let policy = policy.filter(|_| !diags.has_errors());
    (policy, diags)
}

/// Reads and checks one policy file; a file that cannot be read gives one diagnostic.
pub fn check_file(sources: &mut SourceMap, path: &Path) -> (Option<Policy>, Diagnostics) {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) if bytes.len() > front::MAX_INPUT_BYTES => {
            let e = Error::Budget {
                span: ddsr_diag::Span::new(0, 0),
                message: format!(
                    "the file has {} bytes, the limit is {}",
                    bytes.len(),
                    front::MAX_INPUT_BYTES
                ),
            };
            let file = sources.add(name, "");
            (None, vec![e.to_diagnostic(file)].into())
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => check_source(sources, &name, &text),
            Err(e) => {
                let file = sources.add(name, "");
                let d = Diagnostic::error(
                    READ_ERROR,
                    format!(
                        "cannot read policy: not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                )
                .primary(file, ddsr_diag::Span::new(0, 0), "in this file");
                (None, vec![d].into())
            }
        },
        Err(e) => {
            let d = Diagnostic::error(READ_ERROR, format!("cannot read policy `{name}`: {e}"));
            (None, vec![d].into())
        }
    }
}
