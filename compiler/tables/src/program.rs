//! A host's role program as the P4 front end sees it: `program.p4` (the role source with the
//! host's sizes defined and includes inlined) preprocessed, parsed, checked and lowered by
//! `ddsr-p4`, giving the pipeline IR the softswitch runs (`pipeline.json`) and the P4Info a
//! controller uses (`p4info.txtpb`). Entries are resolved against this lowered pipeline, so they
//! name exactly the tables, keys, actions and widths of the program that is deployed.
//!
//! Lowering depends only on the program text, and hosts of one role with the same sizes share
//! it: [`Cache`] lowers each distinct text once (a thousand servers with equal sizes cost one
//! front-end run).

use std::collections::HashMap;
use std::sync::Arc;

use ddsr_diag::render_text;
use ddsr_p4::p4info;
use ddsr_p4::syntax;
use ddsr_pipeline::Pipeline;
use ddsr_proto::p4::config::v1::P4Info;

/// A lowered role program.
#[derive(Debug, Clone)]
pub struct Lowered {
    pub pipeline: Arc<Pipeline>,
    pub p4info: Arc<P4Info>,
}

/// The front end rejected a generated program: a bug in `p4/` or in the front end, reported with
/// the front end's rendered diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the P4 front end rejects the generated `{name}` program:\n{rendered}")]
pub struct Error {
    pub name: String,
    pub rendered: String,
}

/// Lowers the self-contained program `text`; `name` is the program's name in its P4Info.
pub fn lower(name: &str, text: &str) -> Result<Lowered, Error> {
    let parsed = syntax::parse_str("program.p4", text, &syntax::Options::default());
    let fail = |diags: &[ddsr_diag::Diagnostic]| Error {
        name: name.to_string(),
        rendered: render_text(&parsed.sources, diags, false),
    };
    if parsed.diagnostics.has_errors() {
        return Err(fail(&parsed.diagnostics.clone().into_vec()));
    }
    let compiled = p4info::compile(&parsed.program, name).map_err(|d| fail(&d))?;
    Ok(Lowered {
        pipeline: Arc::new(compiled.lowered.pipeline),
        p4info: Arc::new(compiled.p4info),
    })
}

/// Lowered programs by (name, text).
#[derive(Debug, Default)]
pub struct Cache {
    lowered: HashMap<(String, String), Lowered>,
}

impl Cache {
    pub fn lower(&mut self, name: &str, text: &str) -> Result<Lowered, Error> {
        let key = (name.to_string(), text.to_string());
        if let Some(l) = self.lowered.get(&key) {
            return Ok(l.clone());
        }
        let l = lower(name, text)?;
        self.lowered.insert(key, l.clone());
        Ok(l)
    }
}
