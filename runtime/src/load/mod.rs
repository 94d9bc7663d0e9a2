//! Converging one device to a host's compiled entries.
//!
//! [`converge`] becomes primary, pushes the pipeline when asked or needed (reconciling the
//! device's entries into the new program when it can), reads every entry
//! of every table the P4Info names (and the default entries the desired set sets), compares by
//! entry key ([`key`]: table, canonical match fields, priority) and applies inserts, modifies
//! and deletes in batches in the order [`order`] documents. Entries are compared and written
//! in canonical form, so a second run against an unchanged device writes nothing.
//!
//! Each batch is one Write with ROLLBACK_ON_ERROR: a failing update leaves the device as it
//! was before that batch. A target that does not implement that atomicity (it answers
//! UNIMPLEMENTED) gets CONTINUE_ON_ERROR for the whole load. A failure stops the load; the
//! batches before it stay applied, and the next run picks up from there.

pub mod diff;
pub mod key;
pub mod order;

use std::collections::HashSet;

use ddsr_proto::p4::v1;
use indicatif::{ProgressBar, ProgressStyle};

use v1::set_forwarding_pipeline_config_request::Action as SetAction;

use crate::artifacts::HostArtifacts;
use crate::p4rt::schema::Schema;
use crate::p4rt::{Client, P4rtError, update_errors};
use crate::target::Target;

pub use diff::{Change, Op};

/// Whether `converge` sets the device's forwarding pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushPipeline {
    /// Never; the device must already run the program.
    Never,
    /// When the device has no pipeline, or its cookie (or, without a cookie, its P4Info)
    /// differs from the artifacts'. A device that has one gets RECONCILE_AND_COMMIT first
    /// (entries kept, then converged); if it refuses, VERIFY_AND_COMMIT and a full load.
    IfDifferent,
    /// Always; the push clears every entry, so the load then inserts everything.
    Always,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub push_pipeline: PushPipeline,
    /// Compute the changes and write nothing (no pipeline push either); the [`Summary`] then
    /// says what a real run would do.
    pub dry_run: bool,
    /// Updates per Write request (at least 1).
    pub batch_size: usize,
    /// Show a progress bar on stderr for loads of at least [`PROGRESS_MIN`] writes (hidden
    /// when stderr is not a terminal).
    pub progress: bool,
}

/// Fewest writes for which a progress bar is shown.
pub const PROGRESS_MIN: usize = 2_000;

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            push_pipeline: PushPipeline::IfDifferent,
            dry_run: false,
            batch_size: 5_000,
            progress: false,
        }
    }
}

/// What a load did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pipeline_pushed: bool,
    /// The push kept the device's entries (RECONCILE_AND_COMMIT); with `dry_run`, assumed.
    pub pipeline_reconciled: bool,
    pub inserted: usize,
    pub modified: usize,
    pub deleted: usize,
    pub unchanged: usize,
    /// Every change, in the order applied.
    pub diff: Vec<Change>,
}

impl Summary {
    /// Number of entry writes (inserts, modifies and deletes).
    pub fn writes(&self) -> usize {
        self.inserted + self.modified + self.deleted
    }
}

/// One update the device refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub op: Op,
    pub table: String,
    /// The entry by name (see [`Schema::show`]).
    pub entry: String,
    /// `google.rpc.Code` name.
    pub code: String,
    pub message: String,
}

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("desired entry {index}: {reason}")]
    Desired { index: usize, reason: String },
    /// Boxed: the error travels through every `Result` of a load.
    #[error(transparent)]
    P4rt(Box<P4rtError>),
    #[error("{target} has no forwarding pipeline; push one (--push-pipeline)")]
    NoPipeline { target: String },
    #[error(
        "{target} runs another program: its P4Info has no table `{table}` with id {id}; push the pipeline (--push-pipeline)"
    )]
    OtherProgram {
        target: String,
        table: String,
        id: u32,
    },
    #[error("the pipeline must be pushed but the artifacts hold no device config")]
    NoDeviceConfig,
    #[error("{}", write_message(.failures, .status, *.batch, *.applied))]
    Write {
        /// 1-based number of the failing Write request.
        batch: usize,
        /// Updates applied by earlier requests (they stay applied).
        applied: usize,
        /// The refused updates, in request order.
        failures: Vec<Failure>,
        /// The Write's own status, for a request refused as a whole.
        status: String,
    },
}

impl From<P4rtError> for LoadError {
    fn from(e: P4rtError) -> LoadError {
        LoadError::P4rt(Box::new(e))
    }
}

fn write_message(failures: &[Failure], status: &str, batch: usize, applied: usize) -> String {
    let mut s = format!("write {batch} failed");
    match failures.first() {
        Some(f) => {
            let op = match f.op {
                Op::Insert => "insert",
                Op::Modify => "modify",
                Op::Delete => "delete",
            };
            s.push_str(&format!(
                ": {op} of `{}` refused: {}: {}",
                f.entry, f.code, f.message
            ));
            if failures.len() > 1 {
                s.push_str(&format!(" (and {} more)", failures.len() - 1));
            }
        }
        None => s.push_str(&format!(": {status}")),
    }
    if applied > 0 {
        s.push_str(&format!("; {applied} earlier updates stay applied"));
    }
    s
}

/// The desired entries in canonical form, checked against the P4Info: table entries only,
/// INSERT (or MODIFY for default entries), known tables and fields, no key twice.
pub fn desired_entries(
    schema: &Schema,
    artifacts: &HostArtifacts,
) -> Result<Vec<v1::TableEntry>, LoadError> {
    let mut seen = HashSet::with_capacity(artifacts.entries.len());
    let mut out = Vec::with_capacity(artifacts.entries.len());
    for (index, u) in artifacts.entries.iter().enumerate() {
        let bad = |reason: String| LoadError::Desired { index, reason };
        let Some(v1::entity::Entity::TableEntry(e)) =
            u.entity.as_ref().and_then(|e| e.entity.as_ref())
        else {
            return Err(bad("not a table entry".into()));
        };
        let table = schema
            .tables
            .get(&e.table_id)
            .ok_or_else(|| bad(format!("table id {} is not in the P4Info", e.table_id)))?;
        let ty = v1::update::Type::try_from(u.r#type).unwrap_or(v1::update::Type::Unspecified);
        let expected = if e.is_default_action {
            v1::update::Type::Modify
        } else {
            v1::update::Type::Insert
        };
        if ty != expected {
            return Err(bad(format!(
                "expected {} for `{}`, found {}",
                expected.as_str_name(),
                table.name,
                ty.as_str_name()
            )));
        }
        if let Some(m) = e
            .r#match
            .iter()
            .find(|m| !table.fields.contains_key(&m.field_id))
        {
            return Err(bad(format!(
                "table `{}` has no match field {}",
                table.name, m.field_id
            )));
        }
        let entry = key::canonical_entry(e, Some(table));
        if !seen.insert(key::key(&entry)) {
            return Err(bad(format!("`{}` is given twice", schema.show(&entry))));
        }
        out.push(entry);
    }
    Ok(out)
}

/// Brings the device at `target` to exactly the entries of `desired`.
pub async fn converge(
    target: &Target,
    desired: &HostArtifacts,
    opts: &LoadOptions,
) -> Result<Summary, LoadError> {
    let schema = Schema::new(&desired.p4info);
    let wanted = desired_entries(&schema, desired)?;
    let mut client = Client::connect(target).await?;
    let cookie = desired.cookie();
    let held = client.pipeline().await?;
    let push = match opts.push_pipeline {
        PushPipeline::Always => true,
        PushPipeline::IfDifferent => held.as_ref().is_none_or(|c| match &c.cookie {
            Some(k) => k.cookie != cookie,
            None => c.p4info.as_ref() != Some(&desired.p4info),
        }),
        PushPipeline::Never => {
            let held = held.as_ref().ok_or_else(|| LoadError::NoPipeline {
                target: target.to_string(),
            })?;
            check_same_tables(target, &schema, held.p4info.as_ref())?;
            false
        }
    };
    if push && desired.device_config.is_none() {
        return Err(LoadError::NoDeviceConfig);
    }
    let config = v1::ForwardingPipelineConfig {
        p4info: Some(desired.p4info.clone()),
        p4_device_config: desired.device_config.clone().unwrap_or_default(),
        cookie: Some(v1::forwarding_pipeline_config::Cookie { cookie }),
    };
    // A program change with entries in place (another table size, say) is hitless when the
    // device can carry its entries over; only `Always`, or a device that cannot, starts empty.
    let reconcile = push && opts.push_pipeline == PushPipeline::IfDifferent && held.is_some();
    let reconciled = reconcile
        && (opts.dry_run
            || match client
                .set_pipeline(config.clone(), SetAction::ReconcileAndCommit)
                .await
            {
                Ok(()) => true,
                Err(e) => {
                    tracing::info!(target = client.target(), error = %e, "reconcile refused; committing afresh");
                    false
                }
            });
    let current = if push && !reconciled {
        if !opts.dry_run {
            client
                .set_pipeline(config, SetAction::VerifyAndCommit)
                .await?;
        }
        // A freshly committed pipeline holds no entries.
        Vec::new()
    } else {
        read_current(&mut client, &schema, &wanted).await?
    };
    let diff = diff::diff(&schema, &wanted, &current);
    let mut summary = Summary {
        pipeline_pushed: push,
        pipeline_reconciled: reconciled,
        unchanged: diff.unchanged,
        ..Summary::default()
    };
    for c in &diff.changes {
        match c.op {
            Op::Insert => summary.inserted += 1,
            Op::Modify => summary.modified += 1,
            Op::Delete => summary.deleted += 1,
        }
    }
    if !opts.dry_run {
        apply(&mut client, &schema, &diff.changes, opts).await?;
    }
    summary.diff = diff.changes;
    Ok(summary)
}

/// Refuses a device whose P4Info lacks one of the desired tables: its program is another one.
fn check_same_tables(
    target: &Target,
    schema: &Schema,
    held: Option<&ddsr_proto::p4::config::v1::P4Info>,
) -> Result<(), LoadError> {
    let Some(held) = held else { return Ok(()) };
    let ids: HashSet<u32> = held
        .tables
        .iter()
        .filter_map(|t| t.preamble.as_ref().map(|p| p.id))
        .collect();
    match schema.table_ids.iter().find(|id| !ids.contains(id)) {
        Some(&id) => Err(LoadError::OtherProgram {
            target: target.to_string(),
            table: schema.table_name(id),
            id,
        }),
        None => Ok(()),
    }
}

/// Every entry of every table of the P4Info, plus the default entries of the tables whose
/// default the desired set sets; canonical, without const entries (nobody can change them).
async fn read_current(
    client: &mut Client,
    schema: &Schema,
    wanted: &[v1::TableEntry],
) -> Result<Vec<v1::TableEntry>, LoadError> {
    let filter = |table_id, is_default_action| v1::Entity {
        entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
            table_id,
            is_default_action,
            ..Default::default()
        })),
    };
    let mut filters: Vec<v1::Entity> = schema.table_ids.iter().map(|&t| filter(t, false)).collect();
    let mut defaults: Vec<u32> = wanted
        .iter()
        .filter(|e| e.is_default_action)
        .map(|e| e.table_id)
        .collect();
    defaults.dedup();
    filters.extend(defaults.into_iter().map(|t| filter(t, true)));
    let read = client.read(filters).await?;
    Ok(read
        .iter()
        .filter(|e| !e.is_const)
        .map(|e| key::canonical_entry(e, schema.tables.get(&e.table_id)))
        .collect())
}

/// Writes `changes` (already in order) in batches that never mix phases.
async fn apply(
    client: &mut Client,
    schema: &Schema,
    changes: &[Change],
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    use v1::write_request::Atomicity;
    let batch_size = opts.batch_size.max(1);
    let bar = if opts.progress && changes.len() >= PROGRESS_MIN {
        let bar = ProgressBar::new(changes.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} writes ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut atomicity = Atomicity::RollbackOnError;
    let mut applied = 0;
    let mut batch = 0;
    for group in changes.chunk_by(|a, b| a.phase() == b.phase()) {
        for chunk in group.chunks(batch_size) {
            batch += 1;
            let updates: Vec<v1::Update> = chunk.iter().map(Change::update).collect();
            let mut result = client.write(updates.clone(), atomicity).await;
            if atomicity == Atomicity::RollbackOnError
                && matches!(&result, Err(s) if s.code() == tonic::Code::Unimplemented && update_errors(s).is_none())
            {
                tracing::warn!(
                    target = client.target(),
                    "the target does not implement ROLLBACK_ON_ERROR; writing with CONTINUE_ON_ERROR"
                );
                atomicity = Atomicity::ContinueOnError;
                result = client.write(updates, atomicity).await;
            }
            if let Err(status) = result {
                bar.abandon();
                let failures = update_errors(&status)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|e| e.code != "ABORTED" || atomicity == Atomicity::ContinueOnError)
                    .filter_map(|e| {
                        let c = chunk.get(e.index)?;
                        Some(Failure {
                            op: c.op,
                            table: c.table.clone(),
                            entry: schema.show(&c.entry),
                            code: e.code,
                            message: e.message,
                        })
                    })
                    .collect();
                return Err(LoadError::Write {
                    batch,
                    applied,
                    failures,
                    status: format!(
                        "{}: {}",
                        crate::p4rt::code_name(status.code() as i32),
                        status.message()
                    ),
                });
            }
            applied += chunk.len();
            bar.inc(chunk.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(())
}
