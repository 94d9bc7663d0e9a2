//! The `compile` driver: validated policy -> plan -> capacity check -> every back end, and the
//! atomic write of the artifact set.
//!
//! Output per host `H` (under `PREFIX/H/`): `program.p4`, `p4info.txtpb`, `entries.txtpb`,
//! `entries.json`, `pipeline.json` (for Tofino hosts the TNA program lowered, which the
//! softswitch runs through its TNA mapping); `bmv2.cli` for BMv2 hosts, `bfrt.json` for Tofino
//! hosts; `PREFIX/buckets.json` (each
//! pool's buckets and backend ids, the next revision's [`Options::previous`]); `manifest.json`
//! at the top lists them all.
//!
//! Each host's `program.p4` is lowered by the P4 front end ([`crate::program`]); its pipeline is
//! `pipeline.json`, its P4Info `p4info.txtpb`, and the plan's entries are resolved against that
//! pipeline, so every entry names a table, key, action and width of the program deployed. A
//! Tofino host's entries are also resolved against its P4Info's control-plane view, and the two
//! must give the same P4Runtime entries (else E0446).
//! Bytes depend only on the policy: hosts, tables and entries come out in policy and program
//! order, JSON objects have sorted keys, and nothing reads the clock or the environment.
//!
//! [`write`] builds the whole set in a fresh sibling directory and renames it into place, so an
//! output directory is either the previous complete set or the new complete set, never a mix.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ddsr_diag::{Code, Diagnostic};
use ddsr_pipeline::{Pipeline, TableEntry};
use ddsr_policy::Policy;
use ddsr_policy::ir::Target;
use ddsr_proto::p4::config::v1::P4Info;

use crate::back::{self, Artifact};
use crate::buckets::{Buckets, Previous};
use crate::capacity::{self, Limits};
use crate::plan::schema::Arch;
use crate::plan::{self, HostPlan, Plan, resolve};
use crate::program;

/// An entry the plan made does not fit the lowered program, or the front end rejects a generated
/// program: a compiler bug, reported, not panicked.
pub const INTERNAL: Code = Code(446);

/// A pool's Maglev table had another size in the previous revision: it is populated afresh
/// (a warning).
pub const REPOPULATED: Code = Code(447);

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// The previous revision's `buckets.json` ([`crate::buckets::Buckets::from_json`]): pools
    /// of unchanged size are updated from it with minimal disruption and backend ids are kept.
    pub previous: Option<Previous>,
}

/// One host's resolved program and entries.
#[derive(Debug, Clone)]
pub struct Host {
    pub plan: HostPlan,
    /// Values of the `sizes.p4` macros for this host.
    pub defines: Vec<(&'static str, u64)>,
    /// `program.p4`: the role program with `defines` set, includes inlined.
    pub source: String,
    /// The front end's lowering of `source`; entries are resolved against it.
    pub pipeline: Arc<Pipeline>,
    /// The P4Info of `source`.
    pub p4info: Arc<P4Info>,
    pub entries: Vec<TableEntry>,
}

/// A compiled policy.
#[derive(Debug, Clone)]
pub struct Output {
    pub plan: Plan,
    pub hosts: Vec<Host>,
    /// `buckets.json`: the input of the next revision's [`Options::previous`].
    pub buckets: Buckets,
    /// Warnings (E0447), with spans in the policy.
    pub warnings: Vec<Diagnostic>,
}

/// The `sizes.p4` values a host needs: what its tables hold, at least 1 (P4 tables and counters
/// cannot be empty).
fn defines(plan: &Plan, host: &HostPlan, policy: &Policy) -> Vec<(&'static str, u64)> {
    let counts = host.counts();
    let most = |tables: [&str; 2]| {
        tables
            .iter()
            .map(|t| counts.get(t).copied().unwrap_or(0) as u64)
            .max()
            .unwrap_or(0)
            .max(1)
    };
    let buckets = match host.role {
        ddsr_policy::ir::Role::Ingress => host.buckets,
        _ => plan::host_buckets(host.target, plan.buckets),
    };
    let mut out = vec![
        ("DDSR_VIPS", (policy.vips.len() as u64).max(1)),
        // Counter indices are backend ids, which may have gaps left by removed backends.
        ("DDSR_BACKENDS", (plan.ids.backends.len() as u64).max(1)),
        ("DDSR_BUCKETS", u64::from(buckets.max(1))),
        ("DDSR_BUCKET_ENTRIES", most(["backends_v4", "backends_v6"])),
        ("DDSR_ACL_ENTRIES", most(["acl_v4", "acl_v6"])),
        ("DDSR_ACL_RULES", plan.ids.rules.len() as u64),
        ("DDSR_ROUTES", most(["routes_v4", "routes_v6"])),
        (
            "DDSR_DEFAULT_PORT",
            u64::from(policy.hosts[host.host].default_port),
        ),
    ];
    if host.program.arch == Arch::Tna {
        // TNA takes the bucket as the low bits of the hash: DDSR_BUCKETS is a power of two.
        out.push((
            "DDSR_BUCKET_BITS",
            u64::from(buckets.max(1).trailing_zeros()),
        ));
    }
    out
}

/// Plans, checks and resolves `policy`; every problem is returned as a diagnostic.
pub fn compile(policy: &Policy, options: &Options) -> Result<Output, Vec<Diagnostic>> {
    let plan = plan::build(policy, options.previous.as_ref())
        .map_err(|e| capacity::plan_errors(policy, &e))?;
    let problems = capacity::check(policy, &plan, &options.limits);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut hosts = Vec::new();
    let mut programs = program::Cache::default();
    let internal = |host: &str, e: &dyn std::fmt::Display| {
        vec![Diagnostic::error(
            INTERNAL,
            format!("internal error: host `{host}`: {e}"),
        )]
    };
    for hp in &plan.hosts {
        let defines = defines(&plan, hp, policy);
        let arch = hp.program.arch;
        let body = back::p4::body(hp.role, arch, &defines);
        let lowered = programs
            .lower(hp.role.as_str(), &body, arch)
            .map_err(|e| internal(&hp.name, &e))?;
        let source = back::p4::header(hp.role, arch, &hp.name) + &body;
        let entries = resolve::all(&lowered.pipeline, &hp.entries)
            .map_err(|e: resolve::Error| internal(&hp.name, &e))?;
        if let Some(cp) = &lowered.control_plane {
            let by_info = resolve::all(cp, &hp.entries)
                .map_err(|e: resolve::Error| internal(&hp.name, &e))?;
            if back::p4runtime::text(cp, &by_info)
                != back::p4runtime::text(&lowered.pipeline, &entries)
            {
                return Err(internal(
                    &hp.name,
                    &"the entries resolved against the lowered program differ from those \
                      resolved against its P4Info",
                ));
            }
        }
        hosts.push(Host {
            plan: hp.clone(),
            defines,
            source,
            pipeline: lowered.pipeline,
            p4info: lowered.p4info,
            entries,
        });
    }
    let warnings = plan
        .repopulated
        .iter()
        .map(|&(pool, before)| {
            let ddsr_policy::ir::Hashing::Maglev { table_size } = policy.pools[pool].hashing;
            Diagnostic::warning(
                REPOPULATED,
                format!(
                    "pool `{}`: table_size changed from {before} to {table_size} since the \
                     previous revision: its buckets are populated afresh",
                    policy.pools[pool].name
                ),
            )
            .primary(
                policy.file,
                policy.pools.span(pool),
                "this pool's table_size",
            )
            .note("most of the pool's flows move to another backend")
            .help(format!(
                "keep table_size {before} to move only the buckets of changed backends"
            ))
        })
        .collect();
    let buckets = plan.buckets(policy);
    Ok(Output {
        plan,
        hosts,
        buckets,
        warnings,
    })
}

impl Output {
    /// Every artifact of every host, paths prefixed with `prefix` (empty, or `name/`).
    pub fn artifacts(&self, prefix: &str) -> Vec<Artifact> {
        let mut out = vec![Artifact::new(
            format!("{prefix}buckets.json"),
            self.buckets.to_json(),
        )];
        for h in &self.hosts {
            let dir = format!("{prefix}{}", h.plan.name);
            out.push(Artifact::new(format!("{dir}/program.p4"), h.source.clone()));
            out.push(Artifact::new(
                format!("{dir}/p4info.txtpb"),
                back::p4::p4info_text(&h.p4info),
            ));
            out.push(Artifact::new(
                format!("{dir}/pipeline.json"),
                h.pipeline.to_json() + "\n",
            ));
            out.push(Artifact::new(
                format!("{dir}/entries.txtpb"),
                back::p4runtime::text(&h.pipeline, &h.entries),
            ));
            out.push(Artifact::new(
                format!("{dir}/entries.json"),
                back::p4runtime::json(&h.pipeline, &h.entries),
            ));
            match h.plan.target {
                Target::Bmv2 => out.push(Artifact::new(
                    format!("{dir}/bmv2.cli"),
                    back::bmv2_cli::commands(&h.pipeline, &h.entries),
                )),
                Target::Tofino => out.push(Artifact::new(
                    format!("{dir}/bfrt.json"),
                    back::bfrt::json(&h.pipeline, &h.entries),
                )),
                Target::Softswitch => {}
            }
        }
        out
    }
}

/// A sibling of `out` that no other process picks: `.<name>.<suffix>-<pid>`.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let parent = out.parent().unwrap_or(Path::new(""));
    parent.join(format!(".{name}.{suffix}-{}", std::process::id()))
}

fn write_all(dir: &Path, artifacts: &[Artifact]) -> io::Result<()> {
    std::fs::create_dir(dir)?;
    for a in artifacts {
        let path = dir.join(&a.path);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        std::fs::write(&path, &a.bytes)?;
    }
    Ok(())
}

/// Writes `artifacts` as the directory `out`, replacing a previous one whole. On error nothing
/// of the new set is left behind and a previous `out` is kept.
pub fn write(out: &Path, artifacts: &[Artifact]) -> io::Result<()> {
    let tmp = sibling(out, "tmp");
    let old = sibling(out, "old");
    if let Err(e) = write_all(&tmp, artifacts) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let had_old = out.exists();
    if had_old && let Err(e) = std::fs::rename(out, &old) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        let _ = std::fs::remove_dir_all(&tmp);
        if had_old {
            let _ = std::fs::rename(&old, out);
        }
        return Err(e);
    }
    if had_old {
        std::fs::remove_dir_all(&old)?;
    }
    Ok(())
}
