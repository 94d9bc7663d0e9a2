//! `compile` end to end: the role schema against the P4 sources, the artifact snapshots of the
//! compile corpus, determinism, atomic output, capacity errors, the BMv2 priority mirror,
//! `explain` and `diff`.
//!
//! Snapshots live in `compiler/tests/snapshots/compile/`: for each `NAME.yaml` there, either
//! `NAME/` holds every artifact, or `NAME.stderr` the rendered diagnostics of a policy that does
//! not compile. `DDSR_BLESS=1 cargo test -p ddsr-tables --test compile` rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ddsr_diag::{SourceMap, render_text};
use ddsr_pipeline::MatchKind;
use ddsr_policy::Policy;
use ddsr_policy::ir::{Role, Target};
use ddsr_tables::back::{Artifact, manifest};
use ddsr_tables::capacity::Limits;
use ddsr_tables::compile::{self, Options, Output};
use ddsr_tables::plan::schema::{Arch, Program};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    root().join("compiler/tests/snapshots/compile")
}

fn load(sources: &mut SourceMap, name: &str, text: &str) -> Policy {
    let (p, diags) = ddsr_policy::check_source(sources, name, text);
    p.unwrap_or_else(|| panic!("{name} rejected: {diags:?}"))
}

fn lab() -> (SourceMap, Policy) {
    let mut s = SourceMap::new();
    let text = std::fs::read_to_string(corpus().join("lab.yaml")).unwrap();
    let p = load(&mut s, "lab.yaml", &text);
    (s, p)
}

fn compile_ok(p: &Policy) -> Output {
    compile::compile(p, &Options::default()).unwrap_or_else(|d| panic!("{d:?}"))
}

// ---- the schema is the lowered P4 programs' control-plane interface ----

/// The role program with the default sizes of `sizes.p4`, lowered by the P4 front end.
fn lowered(role: Role) -> ddsr_tables::program::Lowered {
    lowered_for(role, Target::Softswitch)
}

/// The role program a host of `target` runs, with the default sizes: lowered (v1model), or its
/// P4Info as a control-plane pipeline (TNA).
fn lowered_for(role: Role, target: Target) -> ddsr_tables::program::Lowered {
    let arch = Arch::of(target);
    let body = ddsr_tables::back::p4::body(role, arch, &[]);
    ddsr_tables::program::lower(role.as_str(), &body, arch).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn schema_matches_the_lowered_p4_programs() {
    for (role, target) in [Role::Ingress, Role::Server, Role::Egress]
        .into_iter()
        .flat_map(|r| [(r, Target::Softswitch), (r, Target::Tofino)])
    {
        let program = Program::of(role, target);
        let l = lowered_for(role, target);
        let role = (role, target);
        let p = &l.pipeline;
        for spec in program.tables {
            let t = &p.tables[p
                .table_by_name(spec.name)
                .unwrap_or_else(|| panic!("{role:?}: no table `{}`", spec.name))];
            let keys: Vec<(&str, u16, MatchKind)> = t
                .keys
                .iter()
                .map(|k| (k.name.as_str(), k.width, k.match_kind))
                .collect();
            let want: Vec<(&str, u16, MatchKind)> = spec
                .keys
                .iter()
                .map(|k| (k.name, k.width, k.kind))
                .collect();
            assert_eq!(keys, want, "{role:?}.{}", spec.name);
            let actions: Vec<&str> = t
                .actions
                .iter()
                .map(|r| p.actions[r.action].name.as_str())
                .collect();
            for a in spec.actions {
                assert!(actions.contains(a), "{role:?}.{}: action {a}", spec.name);
            }
            assert_eq!(
                p.actions[t.default_action.action].name, spec.default_action,
                "{role:?}.{}",
                spec.name
            );
            if spec.size_macro.is_none() {
                assert_eq!(t.size, spec.fixed_size, "{role:?}.{}", spec.name);
            }
            assert_eq!(
                t.id,
                ddsr_proto::ids::hashed_id(ddsr_proto::ids::Prefix::Table, spec.name),
                "{role:?}.{}: p4c's id",
                spec.name
            );
        }
        for a in program.actions {
            let h = p
                .action_by_name(a.name)
                .unwrap_or_else(|| panic!("{role:?}: no action `{}`", a.name));
            let got: Vec<(&str, u16)> = p.actions[h]
                .params
                .iter()
                .map(|x| (x.name.as_str(), x.width))
                .collect();
            let want: Vec<(&str, u16)> = a.params.to_vec();
            assert_eq!(got, want, "{role:?}: action `{}`", a.name);
        }
    }
}

#[test]
fn bucket_width_is_the_programs() {
    let l = lowered(Role::Ingress);
    let t = &l.pipeline.tables[l.pipeline.table_by_name("backends_v4").unwrap()];
    assert_eq!(u32::from(t.keys[1].width), ddsr_tables::plan::BUCKET_BITS);
    assert_eq!(u32::from(t.keys[0].width), ddsr_tables::plan::ID_BITS);
}

// ---- snapshots ----

fn artifacts_of(name: &str, text: &str) -> Result<Vec<Artifact>, String> {
    let mut s = SourceMap::new();
    let (p, diags) = ddsr_policy::check_source(&mut s, name, text);
    let Some(p) = p else {
        return Err(render_text(&s, &diags.into_vec(), false));
    };
    match compile::compile(&p, &Options::default()) {
        Ok(out) => {
            let mut a = out.artifacts("");
            let m = manifest::manifest(&[(name.to_string(), text.to_string())], &a);
            a.push(m);
            Ok(a)
        }
        Err(d) => Err(render_text(&s, &d, false)),
    }
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Artifacts above this size are pinned by their SHA-256 (`NAME.sha256`) instead of being checked
/// in whole: a 65537-bucket pool alone makes tens of megabytes of entries, which would bloat the
/// repository while a hash pins every byte just as well. The small artifacts stay readable.
/// `pipeline.json` (about 100 KB per host) is always pinned: it is the P4 front end's lowering
/// of `program.p4`, whose readable snapshots are the front end's (`compiler/tests/p4/`).
const SNAPSHOT_INLINE_LIMIT: usize = 256 * 1024;

fn pinned(path: String, bytes: Vec<u8>) -> (String, Vec<u8>) {
    use sha2::{Digest, Sha256};
    if bytes.len() <= SNAPSHOT_INLINE_LIMIT && !path.ends_with("pipeline.json") {
        return (path, bytes);
    }
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (
        format!("{path}.sha256"),
        format!("{hex}  {} bytes\n", bytes.len()).into_bytes(),
    )
}

/// The policies of the compile corpus and of `policies/`, with the snapshot base name.
fn snapshot_inputs() -> Vec<(String, PathBuf)> {
    let mut v = Vec::new();
    for dir in [corpus(), root().join("policies")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for f in files {
            let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
            let name = if dir == corpus() {
                stem
            } else {
                format!("policies-{stem}")
            };
            v.push((name, f));
        }
    }
    v
}

#[test]
fn snapshots() {
    let bless = std::env::var_os("DDSR_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, path) in snapshot_inputs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = format!("{name}.yaml");
        let dir = corpus().join(&name);
        let stderr = corpus().join(format!("{name}.stderr"));
        match artifacts_of(&shown, &text) {
            Ok(artifacts) => {
                let got: BTreeMap<String, Vec<u8>> = artifacts
                    .into_iter()
                    .map(|a| pinned(a.path, a.bytes))
                    .collect();
                if bless {
                    let _ = std::fs::remove_dir_all(&dir);
                    let _ = std::fs::remove_file(&stderr);
                    for (p, b) in &got {
                        let f = dir.join(p);
                        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
                        std::fs::write(f, b).unwrap();
                    }
                } else if files_under(&dir) != got {
                    failures.push(format!("{name}: artifacts differ from {}", dir.display()));
                }
            }
            Err(rendered) => {
                if bless {
                    let _ = std::fs::remove_dir_all(&dir);
                    std::fs::write(&stderr, &rendered).unwrap();
                } else if std::fs::read_to_string(&stderr).ok().as_deref() != Some(&rendered) {
                    failures.push(format!("{name}: diagnostics differ:\n{rendered}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(rerun with DDSR_BLESS=1 to accept)",
        failures.join("\n")
    );
}

#[test]
fn output_is_deterministic() {
    let text = std::fs::read_to_string(corpus().join("lab.yaml")).unwrap();
    let a = artifacts_of("lab.yaml", &text).unwrap();
    let b = artifacts_of("lab.yaml", &text).unwrap();
    assert!(a == b, "two compiles of one policy differ");
    // Reordering a pool's backends changes nothing in the tables (Maglev sorts by name).
    let swapped = text.replace(
        "      - { host: s1, weight: 2 }\n      - { host: s2, weight: 1 }",
        "      - { host: s2, weight: 1 }\n      - { host: s1, weight: 2 }",
    );
    assert_ne!(swapped, text);
    let c = artifacts_of("lab.yaml", &swapped).unwrap();
    let ingress = |v: &[Artifact]| {
        v.iter()
            .find(|x| x.path == "in-1/entries.txtpb")
            .unwrap()
            .bytes
            .clone()
    };
    assert!(
        ingress(&a) == ingress(&c),
        "backend order changed the ingress entries"
    );
}

// ---- atomic output ----

#[test]
fn write_replaces_the_directory_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let first = vec![
        Artifact::new("h/a.txt", "one"),
        Artifact::new("manifest.json", "{}"),
    ];
    compile::write(&out, &first).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("h/a.txt")).unwrap(), "one");
    // A second set replaces the first entirely: no stale file survives.
    compile::write(&out, &[Artifact::new("g/b.txt", "two")]).unwrap();
    assert!(!out.join("h/a.txt").exists());
    assert_eq!(std::fs::read_to_string(out.join("g/b.txt")).unwrap(), "two");
    // An artifact that cannot be written (a file where a directory must go) fails the whole
    // set: the previous output stays and no temporary directory is left behind.
    let bad = vec![
        Artifact::new("x/ok.txt", "fine"),
        Artifact::new("x/ok.txt/under", "impossible"),
    ];
    assert!(compile::write(&out, &bad).is_err());
    assert_eq!(std::fs::read_to_string(out.join("g/b.txt")).unwrap(), "two");
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["out".to_string()]);
    // An OUT whose parent does not exist is an error, and creates nothing.
    let missing = tmp.path().join("no/such/dir/out");
    assert!(compile::write(&missing, &first).is_err());
    assert!(!tmp.path().join("no").exists());
}

// ---- capacity ----

#[test]
fn a_table_over_the_target_limit_names_table_limit_and_contributors() {
    let (s, p) = lab();
    // The softswitch hosts (out-1 and three servers) stay below 400 entries per table.
    let limits = Limits {
        softswitch: 400,
        ..Limits::default()
    };
    assert!(
        compile::compile(
            &p,
            &Options {
                limits,
                ..Options::default()
            }
        )
        .is_ok()
    );
    let limits = Limits {
        bmv2: 300,
        ..Limits::default()
    };
    let d = compile::compile(
        &p,
        &Options {
            limits,
            ..Options::default()
        },
    )
    .unwrap_err();
    let text = render_text(&s, &d, false);
    assert_eq!(d.len(), 1, "{text}");
    assert!(
        text.contains(
            "error[E0440]: table `backends_v4` of host `in-1` needs 502 entries, but the bmv2 \
             target's limit is 300"
        ),
        "{text}"
    );
    // The largest contributors, each at its pool's definition: both IPv4 pools give 251
    // buckets (the IPv6-only pool `six` is in backends_v6).
    let yaml = std::fs::read_to_string(corpus().join("lab.yaml")).unwrap();
    let line = yaml.lines().position(|l| l == "  big:").unwrap() + 1;
    assert!(text.contains(&format!("lab.yaml:{line}:3")), "{text}");
    assert!(!text.contains("pool `six`"), "{text}");
    assert!(text.contains("pool `big` needs 251 entries"), "{text}");
    assert!(text.contains("pool `small` needs 251 entries"), "{text}");
}

/// Regression: the ingress program's bucket field was 16 bits wide, so the 65537-bucket pools of
/// the example policies (the table size the policy language documents) were refused with E0443.
/// The field is 24 bits now (the policy front end's largest table size is 2^24): every bucket,
/// including bucket 65536, gets its own entry.
#[test]
fn a_65537_bucket_pool_gets_every_bucket_including_65536() {
    let text = std::fs::read_to_string(root().join("policies/web.yaml")).unwrap();
    let mut s = SourceMap::new();
    let p = load(&mut s, "web.yaml", &text);
    let out = compile_ok(&p);
    let ingress = out
        .hosts
        .iter()
        .find(|h| h.plan.role == ddsr_policy::ir::Role::Ingress)
        .unwrap();
    let buckets: Vec<Vec<u8>> = ingress
        .entries
        .iter()
        .filter(|e| ingress.pipeline.tables[e.table].name == "backends_v4")
        .map(|e| match &e.matches[1] {
            ddsr_pipeline::FieldMatch::Exact { value } => value.clone(),
            other => panic!("bucket key is not exact: {other:?}"),
        })
        .collect();
    assert_eq!(buckets.len(), 65537);
    assert!(
        buckets.contains(&vec![0x01, 0x00, 0x00]),
        "no entry for bucket 65536"
    );
    assert!(
        buckets.iter().all(|b| b.len() == 3),
        "bucket keys are 24 bits wide"
    );
}

// ---- back ends ----

#[test]
fn bmv2_priorities_mirror_p4runtime_priorities() {
    let (_, p) = lab();
    let out = compile_ok(&p);
    let s1 = out.hosts.iter().find(|h| h.plan.name == "s1").unwrap();
    let cli = ddsr_tables::back::bmv2_cli::commands(&s1.pipeline, &s1.entries);
    let acl: Vec<(&str, i64)> = cli
        .lines()
        .filter(|l| l.starts_with("table_add acl_v4 "))
        .map(|l| {
            let prio = l.rsplit(' ').next().unwrap().parse().unwrap();
            (l, prio)
        })
        .collect();
    let entries: Vec<i32> = s1
        .entries
        .iter()
        .filter(|e| s1.pipeline.tables[e.table].name == "acl_v4")
        .map(|e| e.priority)
        .collect();
    assert_eq!(acl.len(), entries.len());
    let top = *entries.iter().max().unwrap();
    for ((line, b), p4rt) in acl.iter().zip(&entries) {
        assert_eq!(*b, i64::from(top + 1 - p4rt), "{line}");
    }
    // The highest P4Runtime priority is BMv2's 1, the lowest is BMv2's largest.
    assert!(acl.iter().any(|(_, b)| *b == 1));
    assert!(
        cli.contains("table_add port_roles from_fabric 0x0000 => 0x0001\n"),
        "{cli}"
    );
}

#[test]
fn program_p4_sets_sizes_and_inlines_includes_once() {
    let (_, p) = lab();
    let out = compile_ok(&p);
    let a = out.artifacts("");
    let prog = |path: &str| {
        String::from_utf8(a.iter().find(|x| x.path == path).unwrap().bytes.clone()).unwrap()
    };
    let ingress = prog("in-1/program.p4");
    assert!(ingress.contains("#define DDSR_VIPS 5\n"), "{ingress}");
    assert!(ingress.contains("#define DDSR_BUCKETS 251\n"));
    assert!(ingress.contains("#define DDSR_BUCKET_ENTRIES 502\n"));
    assert!(ingress.contains("#define DDSR_ROUTES 1\n"));
    assert!(!ingress.contains("#include \""));
    assert_eq!(ingress.matches("header ipv4_h {").count(), 1);
    assert!(ingress.contains("#include <v1model.p4>"));
    let server = prog("s1/program.p4");
    // 8 rules in 2 ACLs, 2 defaults, 1 open id.
    assert!(server.contains("#define DDSR_ACL_RULES 11\n"), "{server}");
}

#[test]
fn explain_agrees_with_the_reference_and_says_why() {
    let (_, p) = lab();
    let out = compile_ok(&p);
    let pkt =
        ddsr_tables::explain::parse_packet("tcp 198.51.100.77:1500 -> 192.0.2.80:80").unwrap();
    let text = ddsr_tables::explain::explain(&p, &out, &pkt, Some(7));
    assert!(
        text.contains("VIP `http` (vip_id 0), pool `big` (pool_id 0), service port 40080"),
        "{text}"
    );
    assert!(text.contains("bucket 7 (given with --bucket)"), "{text}");
    assert!(
        text.contains("acl_v4: deny, dropped (rule_id 0, priority 268435457)"),
        "{text}"
    );
    assert!(
        text.contains("why: rule `scanner` of ACL `shared`: matches src in [198.51.100.77/32]"),
        "{text}"
    );
    assert!(text.ends_with("reference evaluator: agrees\n"), "{text}");
    let pkt = ddsr_tables::explain::parse_packet("tcp 198.51.100.1:1500 -> 192.0.2.80:80").unwrap();
    let text = ddsr_tables::explain::explain(&p, &out, &pkt, None);
    assert!(text.contains("why: rule `web` of ACL `shared`"), "{text}");
    assert!(
        text.contains("the egress host sends 192.0.2.80:80 -> 198.51.100.1:1500"),
        "{text}"
    );
    let pkt = ddsr_tables::explain::parse_packet("udp 192.0.2.200:53 -> 192.0.2.53:53").unwrap();
    let text = ddsr_tables::explain::explain(&p, &out, &pkt, None);
    assert!(
        text.contains("no rule of ACL `shared` matches and its default is deny"),
        "{text}"
    );
    for bad in [
        "tcp 1.2.3.4:5 -> ",
        "icmp 1.2.3.4:5 -> 5.6.7.8:9",
        "tcp 1.2.3.4:5 -> [::1]:9",
    ] {
        assert!(ddsr_tables::explain::parse_packet(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_bucket_hash_is_crc32() {
    // The check value of CRC-32/ISO-HDLC.
    assert_eq!(ddsr_tables::explain::crc32(b"123456789"), 0xcbf4_3926);
}

#[test]
fn diff_reports_inserts_modifies_and_deletes() {
    let (_, p) = lab();
    let text = std::fs::read_to_string(corpus().join("lab.yaml")).unwrap();
    let changed = text
        .replace(
            "      - { name: icmp, action: allow, protocol: icmp }\n",
            "",
        )
        .replace(
            "{ name: scanner, action: deny, src: [198.51.100.77] }",
            "{ name: scanner, action: allow, src: [198.51.100.77] }",
        )
        .replace(
            "port: 9999, pool: small, service_port: 40999",
            "port: 9999, pool: small, service_port: 40998",
        );
    let mut s = SourceMap::new();
    let q = load(&mut s, "new.yaml", &changed);
    let d = ddsr_tables::diff::diff(&compile_ok(&p), &compile_ok(&q));
    let same = ddsr_tables::diff::diff(&compile_ok(&p), &compile_ok(&p));
    assert!(same.is_empty());
    let t = d.text();
    // The open VIP's new service port: the ingress VIP entry keeps its key and changes its
    // action (a modify); the egress entry is keyed by the service port (insert + delete).
    assert!(
        t.contains("host in-1\n  vip_v4: 0 inserts, 1 modifies, 0 deletes"),
        "{t}"
    );
    assert!(
        t.contains("host out-1\n  services_v4: 1 inserts, 0 modifies, 1 deletes"),
        "{t}"
    );
    let json: serde_json::Value = serde_json::from_str(&d.json()).unwrap();
    assert_eq!(json["hosts"][0]["host"], "in-1");
    // The scanner rule flips from deny to allow in place (same key and priority): a modify for
    // each of the two VIPs of ACL `shared` that server s1 serves.
    let s1 = json["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "s1")
        .unwrap();
    let acl = s1["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "acl_v4")
        .unwrap();
    let flips: Vec<&serde_json::Value> = acl["modifies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["old"]["match"]["src_addr"]["ternary"] == "0xc633644d")
        .collect();
    assert_eq!(flips.len(), 2, "{t}");
    for m in flips {
        assert_eq!(m["old"]["action"], "acl_deny");
        assert_eq!(m["new"]["action"], "acl_allow");
    }
    // Rules above the removed one keep their priorities: no insert or delete for them.
    for e in acl["inserts"].as_array().unwrap() {
        assert!(
            e["priority"].as_i64().unwrap() <= 1 + ((1 << 24) - 4) * 16,
            "{e}"
        );
    }
}

// ---- entries against the front end's P4Info and pipeline ----

/// Every entry of `entries.txtpb` (parsed back as a `p4.v1.WriteRequest`) names a table, match
/// fields, an action the table allows and parameters that exist in the host's `p4info.txtpb`
/// (parsed back as a `P4Info`), each value exactly `ceil(bitwidth / 8)` bytes; and
/// `pipeline.json` loads (and validates) as the softswitch loads it, with the P4Info's ids.
#[test]
fn every_entry_resolves_against_the_hosts_p4info_and_pipeline_loads() {
    use ddsr_proto::p4::config::v1::P4Info;
    use ddsr_proto::p4::v1::{WriteRequest, entity::Entity, field_match::FieldMatchType};
    let bytes = |bits: i32| (bits as usize).div_ceil(8);
    let mut hosts = 0;
    let mut checked = 0usize;
    for (name, path) in snapshot_inputs() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(artifacts) = artifacts_of(&name, &text) else {
            continue;
        };
        let file = |p: &str| {
            artifacts
                .iter()
                .find(|a| a.path == p)
                .map(|a| String::from_utf8(a.bytes.clone()).unwrap())
        };
        for a in artifacts
            .iter()
            .filter(|a| a.path.ends_with("/entries.txtpb"))
        {
            let dir = a.path.trim_end_matches("entries.txtpb");
            let info: P4Info =
                ddsr_proto::text::from_text(&file(&format!("{dir}p4info.txtpb")).unwrap())
                    .unwrap_or_else(|e| panic!("{name}/{dir}p4info.txtpb: {e}"));
            let write: WriteRequest =
                ddsr_proto::text::from_text(std::str::from_utf8(&a.bytes).unwrap())
                    .unwrap_or_else(|e| panic!("{name}/{}: {e}", a.path));
            // Tofino hosts' pipeline.json is the lowered TNA program, with the same ids.
            let pipeline = file(&format!("{dir}pipeline.json")).map(|json| {
                ddsr_pipeline::Pipeline::from_json(&json)
                    .unwrap_or_else(|e| panic!("{name}/{dir}pipeline.json: {e}"))
            });
            assert!(pipeline.is_some(), "{name}/{dir}: pipeline.json");
            let tna = pipeline.as_ref().unwrap().architecture()
                == ddsr_pipeline::program::Architecture::Tna;
            assert_eq!(
                tna,
                file(&format!("{dir}bfrt.json")).is_some(),
                "{name}/{dir}: bfrt.json exactly for TNA programs"
            );
            hosts += 1;
            for u in &write.updates {
                let Some(Entity::TableEntry(e)) = u.entity.as_ref().and_then(|x| x.entity.clone())
                else {
                    panic!("{name}/{}: an update that is not a table entry", a.path);
                };
                let t = info
                    .tables
                    .iter()
                    .find(|t| t.preamble.as_ref().unwrap().id == e.table_id)
                    .unwrap_or_else(|| panic!("{name}/{dir}: no table id {}", e.table_id));
                let tname = &t.preamble.as_ref().unwrap().name;
                if let Some(pipeline) = &pipeline {
                    let pt = &pipeline.tables[pipeline.table_by_name(tname).unwrap()];
                    assert_eq!(pt.id, e.table_id, "{name}/{dir}{tname}: pipeline id");
                }
                for m in &e.r#match {
                    let f = t
                        .match_fields
                        .iter()
                        .find(|f| f.id == m.field_id)
                        .unwrap_or_else(|| panic!("{name}/{dir}{tname}: field {}", m.field_id));
                    let n = bytes(f.bitwidth);
                    let values: Vec<&Vec<u8>> = match m.field_match_type.as_ref().unwrap() {
                        FieldMatchType::Exact(x) => vec![&x.value],
                        FieldMatchType::Lpm(x) => vec![&x.value],
                        FieldMatchType::Ternary(x) => vec![&x.value, &x.mask],
                        FieldMatchType::Range(x) => vec![&x.low, &x.high],
                        FieldMatchType::Optional(x) => vec![&x.value],
                        other => panic!("{name}/{dir}{tname}: {other:?}"),
                    };
                    for v in values {
                        assert_eq!(v.len(), n, "{name}/{dir}{tname}.{}", f.name);
                    }
                }
                let ddsr_proto::p4::v1::table_action::Type::Action(call) =
                    e.action.as_ref().unwrap().r#type.as_ref().unwrap()
                else {
                    panic!("{name}/{dir}{tname}: not a direct action");
                };
                assert!(
                    t.action_refs.iter().any(|r| r.id == call.action_id),
                    "{name}/{dir}{tname}: action {} not in the table",
                    call.action_id
                );
                let action = info
                    .actions
                    .iter()
                    .find(|x| x.preamble.as_ref().unwrap().id == call.action_id)
                    .unwrap();
                assert_eq!(
                    call.params.len(),
                    action.params.len(),
                    "{name}/{dir}{tname}"
                );
                for prm in &call.params {
                    let spec = action.params.iter().find(|x| x.id == prm.param_id).unwrap();
                    assert_eq!(prm.value.len(), bytes(spec.bitwidth), "{name}/{dir}{tname}");
                }
                checked += 1;
            }
            // Counters the program declares are in its P4Info.
            if name == "lab" && dir == "s1/" {
                let counters: Vec<&str> = info
                    .counters
                    .iter()
                    .map(|c| c.preamble.as_ref().unwrap().name.as_str())
                    .collect();
                assert!(counters.contains(&"acl_packets"), "{counters:?}");
            }
        }
    }
    assert!(hosts >= 20, "{hosts} hosts checked");
    assert!(checked > 1000, "{checked} entries checked");
}

// ---- Tofino hosts ----

fn tofino_policy() -> (SourceMap, Policy) {
    let mut s = SourceMap::new();
    let text = std::fs::read_to_string(root().join("policies/tofino.yaml")).unwrap();
    let p = load(&mut s, "tofino.yaml", &text);
    (s, p)
}

fn artifact(out: &Output, path: &str) -> Option<String> {
    out.artifacts("")
        .into_iter()
        .find(|a| a.path == path)
        .map(|a| String::from_utf8(a.bytes).unwrap())
}

#[test]
fn tofino_hosts_get_tna_programs_bfrt_json_and_a_tna_pipeline_json() {
    let (_, p) = tofino_policy();
    let out = compile_ok(&p);
    for host in ["tor-in", "tor-out", "nic-a", "nic-b"] {
        let prog = artifact(&out, &format!("{host}/program.p4")).unwrap();
        assert!(prog.contains("#include <tna.p4>"), "{host}");
        assert!(prog.contains(" from p4/tna/"), "{host}");
        assert!(
            artifact(&out, &format!("{host}/bfrt.json")).is_some(),
            "{host}"
        );
        let pipeline = artifact(&out, &format!("{host}/pipeline.json")).unwrap();
        let pipeline = ddsr_pipeline::Pipeline::from_json(&pipeline).unwrap();
        assert_eq!(
            pipeline.architecture(),
            ddsr_pipeline::program::Architecture::Tna,
            "{host}"
        );
        assert!(
            artifact(&out, &format!("{host}/entries.txtpb")).is_some(),
            "{host}"
        );
    }
    assert!(artifact(&out, "nic-c/pipeline.json").is_some());
    assert!(artifact(&out, "nic-c/bfrt.json").is_none());
    assert!(
        artifact(&out, "nic-c/program.p4")
            .unwrap()
            .contains("#include <v1model.p4>")
    );
    // Tofino takes the bucket from the low bits of the hash: 1021 slots over 2^10 buckets.
    let ingress = artifact(&out, "tor-in/program.p4").unwrap();
    assert!(ingress.contains("#define DDSR_BUCKETS 1024\n"), "{ingress}");
    assert!(
        ingress.contains("#define DDSR_BUCKET_BITS 10\n"),
        "{ingress}"
    );
    assert!(
        ingress.contains("#define DDSR_BUCKET_ENTRIES 1024\n"),
        "{ingress}"
    );
    let tor = out.hosts.iter().find(|h| h.plan.name == "tor-in").unwrap();
    assert_eq!(tor.plan.buckets, 1024);
    // Every bucket 1021..1023 repeats slot b % 1021.
    let slots = &out.plan.maglev[0];
    let backends: Vec<u128> = tor
        .plan
        .entries
        .iter()
        .filter(|e| e.table == "backends_v4")
        .map(|e| e.args[0])
        .collect();
    assert_eq!(backends.len(), 1024);
    assert_eq!(backends[1021..], backends[..3]);
    assert_eq!(slots.size(), 1021);
    // The TNA sources instantiate their pipeline as the name bfrt.json uses.
    for role in [Role::Ingress, Role::Server, Role::Egress] {
        let body = ddsr_tables::back::p4::body(role, Arch::Tna, &[]);
        let decl = format!(") {};", ddsr_tables::back::bfrt::PIPE);
        assert!(body.contains(&decl), "{role:?}");
    }
}

#[test]
fn tofino_acl_ports_are_ternary_with_24_bit_priorities() {
    let (_, p) = tofino_policy();
    let out = compile_ok(&p);
    let nic_a = out.hosts.iter().find(|h| h.plan.name == "nic-a").unwrap();
    let nic_c = out.hosts.iter().find(|h| h.plan.name == "nic-c").unwrap();
    let acl = |h: &compile::Host| -> Vec<ddsr_tables::plan::Entry> {
        h.plan
            .entries
            .iter()
            .filter(|e| e.table == "acl_v4")
            .cloned()
            .collect()
    };
    let (tofino, soft) = (acl(nic_a), acl(nic_c));
    use ddsr_tables::plan::Match;
    assert!(
        soft.iter()
            .all(|e| matches!(e.matches[2], Match::Range { .. }))
    );
    assert!(
        tofino
            .iter()
            .all(|e| matches!(e.matches[2], Match::Ternary { .. }))
    );
    // "1024-5000" and "32768-60999" are no prefixes: the TCAM needs more entries than ranges.
    assert!(
        tofino.len() > soft.len(),
        "{} vs {}",
        tofino.len(),
        soft.len()
    );
    for e in &tofino {
        let Match::Ternary { value, mask } = e.matches[2] else {
            unreachable!()
        };
        assert_eq!(value & !mask, 0, "{e:?}");
        // A port mask is a prefix mask: ones, then zeros.
        assert_eq!(
            (mask as u16).leading_ones() + (mask as u16).trailing_zeros(),
            16
        );
        assert!(e.priority > 0 && e.priority < 1 << 24, "{e:?}");
    }
    // Rule 1 (`partners`) on Tofino: 1 + (2^20 - 1 - 1) * 16.
    assert!(
        tofino
            .iter()
            .any(|e| e.priority == 1 + ((1 << 20) - 2) * 16)
    );
    // Every (client address, port) answers alike on both servers: both lowerings are exact.
    let first = |entries: &[ddsr_tables::plan::Entry], addr: u128, port: u128| {
        entries
            .iter()
            .filter(|e| {
                let Match::Ternary { value, mask } = e.matches[1] else {
                    unreachable!()
                };
                let port_ok = match e.matches[2] {
                    Match::Ternary { value, mask } => port & mask == value,
                    Match::Range { lo, hi } => lo <= port && port <= hi,
                    _ => unreachable!(),
                };
                addr & mask == value && port_ok
            })
            .max_by_key(|e| e.priority)
            .map(|e| (e.action, e.args.clone()))
    };
    for addr in [
        0xc633_6442u128,
        0xc633_6401,
        0xc633_6481,
        0xcb00_7105,
        0x0a00_0001,
    ] {
        for port in [
            0u128, 80, 1023, 1024, 1500, 5000, 5001, 32767, 32768, 60999, 61000, 65535,
        ] {
            assert_eq!(
                first(&tofino, addr, port),
                first(&soft, addr, port),
                "{addr:#x}:{port}"
            );
        }
    }
}

#[test]
fn bfrt_json_names_every_entry_with_bfrt_priorities() {
    let (_, p) = tofino_policy();
    let out = compile_ok(&p);
    for h in out.hosts.iter().filter(|h| h.plan.target == Target::Tofino) {
        let bfrt: serde_json::Value =
            serde_json::from_str(&artifact(&out, &format!("{}/bfrt.json", h.plan.name)).unwrap())
                .unwrap();
        let json: serde_json::Value = serde_json::from_str(
            &artifact(&out, &format!("{}/entries.json", h.plan.name)).unwrap(),
        )
        .unwrap();
        assert_eq!(bfrt["format"], 1);
        let flat: Vec<(String, &serde_json::Value)> = bfrt["tables"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| {
                let name = t["name"].as_str().unwrap().to_string();
                t["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |e| (name.clone(), e))
            })
            .collect();
        let entries = json["entries"].as_array().unwrap();
        assert_eq!(flat.len(), entries.len(), "{}", h.plan.name);
        for ((table, b), e) in flat.iter().zip(entries) {
            assert_eq!(*table, format!("pipe.{}", e["table"].as_str().unwrap()));
            assert_eq!(b["action"], e["action"]);
            assert_eq!(b["data"], e["params"]);
            let key = b["key"].as_object().unwrap();
            for (name, m) in e["match"].as_object().unwrap() {
                let k = &key[name];
                if let Some(v) = m.get("exact") {
                    assert_eq!(k["value"], *v);
                } else if let Some(v) = m.get("ternary") {
                    assert_eq!((&k["value"], &k["mask"]), (v, &m["mask"]));
                } else if let Some(v) = m.get("lpm") {
                    assert_eq!((&k["value"], &k["prefix_len"]), (v, &m["prefix_len"]));
                } else {
                    panic!("{}: unexpected match {m}", h.plan.name);
                }
            }
            let prio = e["priority"].as_i64().unwrap();
            match key.get("$MATCH_PRIORITY") {
                Some(k) => {
                    let bfrt = i64::from_str_radix(&k["value"].as_str().unwrap()[2..], 16).unwrap();
                    assert_eq!(bfrt, (1 << 24) - 1 - prio, "{table}");
                }
                None => assert_eq!(prio, 0, "{table}"),
            }
        }
        // Earlier rules rank first: BfRt's lower value wins.
        let prios: Vec<i64> = flat
            .iter()
            .filter_map(|(_, b)| b["key"].get("$MATCH_PRIORITY"))
            .map(|k| i64::from_str_radix(&k["value"].as_str().unwrap()[2..], 16).unwrap())
            .collect();
        assert!(prios.is_sorted(), "{}: {prios:?}", h.plan.name);
    }
}

#[test]
fn a_tofino_acl_over_the_tcam_limit_is_e0440_with_the_key_width() {
    let (s, p) = tofino_policy();
    let out = compile_ok(&p);
    let needed = out
        .hosts
        .iter()
        .find(|h| h.plan.name == "nic-a")
        .unwrap()
        .plan
        .counts()["acl_v4"];
    // acl_v4's key is 16 + 32 + 16 = 64 bits: two 44-bit TCAM rows per entry.
    let limits = Limits {
        tofino_tcam_rows: 2 * (needed as u64 - 1),
        ..Limits::default()
    };
    let d = compile::compile(
        &p,
        &Options {
            limits,
            ..Options::default()
        },
    )
    .unwrap_err();
    let text = render_text(&s, &d, false);
    // Both Tofino servers; the softswitch server nic-c matches ranges in host memory.
    assert_eq!(d.len(), 2, "{text}");
    for host in ["nic-a", "nic-b"] {
        assert!(
            text.contains(&format!(
                "error[E0440]: table `acl_v4` of host `{host}` needs {needed} entries, but the \
                 tofino target's TCAM limit for its 64-bit key is {}",
                needed - 1
            )),
            "{text}"
        );
    }
    let yaml = std::fs::read_to_string(root().join("policies/tofino.yaml")).unwrap();
    let line = yaml
        .lines()
        .position(|l| l.contains("name: partners"))
        .unwrap()
        + 1;
    assert!(text.contains(&format!("tofino.yaml:{line}:9")), "{text}");
}

#[test]
fn explain_walks_tofino_hosts_with_their_bucket_count() {
    let (_, p) = tofino_policy();
    let out = compile_ok(&p);
    let pkt =
        ddsr_tables::explain::parse_packet("tcp 198.51.100.7:4097 -> 203.0.113.20:443").unwrap();
    let text = ddsr_tables::explain::explain(&p, &out, &pkt, None);
    assert!(text.contains("(CRC-32 of the 5-tuple mod 1024)"), "{text}");
    // What `ddsr explain --bucket` checks its argument against (it used to take any number
    // and show a bucket past the table as a miss).
    assert_eq!(ddsr_tables::explain::bucket_count(&p, &out), Some(1024));
    assert!(
        text.contains("why: rule `partners` of ACL `api-clients`"),
        "{text}"
    );
    assert!(text.ends_with("reference evaluator: agrees\n"), "{text}");
    // Port 5001 is outside both ranges: the ternary entries do not match it.
    let pkt =
        ddsr_tables::explain::parse_packet("tcp 198.51.100.7:5001 -> 203.0.113.20:443").unwrap();
    let text = ddsr_tables::explain::explain(&p, &out, &pkt, Some(1023));
    assert!(text.contains("bucket 1023 (given with --bucket)"), "{text}");
    assert!(
        text.contains("no rule of ACL `api-clients` matches and its default is deny"),
        "{text}"
    );
    assert!(text.ends_with("reference evaluator: agrees\n"), "{text}");
}
