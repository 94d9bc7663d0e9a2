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
use ddsr_tables::back::{Artifact, manifest};
use ddsr_tables::capacity::Limits;
use ddsr_tables::compile::{self, Options, Output};
use ddsr_tables::plan::schema::{self, Program};

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

// ---- the schema is the P4 programs' control-plane interface ----

/// Field widths declared in `headers.p4` and v1model's standard metadata, by `type.field`.
fn widths() -> BTreeMap<String, u16> {
    let text = std::fs::read_to_string(root().join("p4/include/headers.p4")).unwrap();
    let mut out = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("header ").or(t.strip_prefix("struct ")) {
            current = rest.trim_end_matches('{').trim().to_string();
        } else if let Some(rest) = t.strip_prefix("bit<") {
            let (w, name) = rest.split_once('>').unwrap();
            let name = name.trim().split(';').next().unwrap().trim();
            out.insert(format!("{current}.{name}"), w.parse().unwrap());
        }
    }
    out.insert("standard_metadata_t.ingress_port".into(), 9);
    out
}

/// The type of an expression's header: `hdr.ipv4` -> `ipv4_h`, `meta` -> `ddsr_meta_t`.
fn field_width(expr: &str, widths: &BTreeMap<String, u16>) -> u16 {
    let (base, field) = expr.rsplit_once('.').unwrap();
    let ty = match base {
        "meta" => "ddsr_meta_t".to_string(),
        "standard_metadata" => "standard_metadata_t".to_string(),
        b => format!("{}_h", b.strip_prefix("hdr.").unwrap()),
    };
    widths[&format!("{ty}.{field}")]
}

/// The P4 source of a role with its routing include appended (tables of `DdsrRouting`).
fn role_source(role: &str) -> String {
    let mut s = std::fs::read_to_string(root().join(format!("p4/v1model/{role}.p4"))).unwrap();
    if s.contains("DdsrRouting()") {
        s.push_str(&std::fs::read_to_string(root().join("p4/include/v1model/routing.p4")).unwrap());
    }
    s
}

#[test]
fn schema_matches_the_p4_programs() {
    let widths = widths();
    for (role, program) in [
        ("ingress", &schema::INGRESS),
        ("server", &schema::SERVER),
        ("egress", &schema::EGRESS),
    ] {
        let src = role_source(role);
        for t in program.tables {
            let at = src
                .find(&format!("@name(\".{}\")\n    table {} {{", t.name, t.name))
                .unwrap_or_else(|| panic!("{role}: table `{}` with its @name", t.name));
            let body = &src[at..at + src[at..].find("\n    }").unwrap()];
            let keys: Vec<&str> = body
                .lines()
                .skip_while(|l| !l.contains("key = {"))
                .skip(usize::from(!body.contains("key = { ")))
                .take_while(|l| !l.trim().starts_with('}'))
                .collect();
            let keys: Vec<(String, &str, String)> = keys
                .iter()
                .flat_map(|l| l.split(';'))
                .filter(|k| k.contains(": "))
                .map(|k| {
                    let k = k.trim().trim_start_matches("key = {").trim();
                    let (expr, rest) = k.split_once(':').unwrap();
                    let mut words = rest.split_whitespace();
                    let kind = words.next().unwrap().to_string();
                    let name = rest.split('"').nth(1).unwrap();
                    (expr.trim().to_string(), name, kind)
                })
                .collect();
            assert_eq!(keys.len(), t.keys.len(), "{role}.{}: keys {keys:?}", t.name);
            for ((expr, name, kind), spec) in keys.iter().zip(t.keys) {
                assert_eq!(*name, spec.name, "{role}.{}", t.name);
                let want = match spec.kind {
                    MatchKind::Exact => "exact",
                    MatchKind::Lpm => "lpm",
                    MatchKind::Ternary => "ternary",
                    MatchKind::Range => "range",
                    MatchKind::Optional => "optional",
                };
                assert_eq!(kind, want, "{role}.{}.{name}", t.name);
                assert_eq!(
                    field_width(expr, &widths),
                    spec.width,
                    "{role}.{}.{name}",
                    t.name
                );
            }
            for a in t.actions {
                assert!(body.contains(a), "{role}.{}: action {a}", t.name);
            }
            assert!(
                body.contains(&format!("default_action = {}(", t.default_action)),
                "{role}.{}: default {}",
                t.name,
                t.default_action
            );
            match t.size_macro {
                Some(m) => assert!(body.contains(&format!("size = {m};")), "{role}.{}", t.name),
                None => assert!(body.contains(&format!("size = {};", t.fixed_size))),
            }
        }
        for a in program.actions.iter().filter(|a| a.name != "NoAction") {
            let decl = format!("action {}(", a.name);
            let at = src
                .find(&decl)
                .unwrap_or_else(|| panic!("{role}: action `{}`", a.name));
            let params = &src[at + decl.len()..at + src[at..].find(')').unwrap()];
            let got: Vec<(String, u16)> = params
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| {
                    let p = p.trim().strip_prefix("bit<").unwrap();
                    let (w, n) = p.split_once('>').unwrap();
                    (n.trim().to_string(), w.parse().unwrap())
                })
                .collect();
            let want: Vec<(String, u16)> =
                a.params.iter().map(|(n, w)| (n.to_string(), *w)).collect();
            assert_eq!(got, want, "{role}: action `{}`", a.name);
        }
    }
}

#[test]
fn bucket_width_is_the_programs() {
    let widths = widths();
    assert_eq!(
        u32::from(widths["ddsr_meta_t.bucket"]),
        ddsr_tables::plan::BUCKET_BITS
    );
    assert_eq!(
        u32::from(widths["ddsr_meta_t.vip_id"]),
        ddsr_tables::plan::ID_BITS
    );
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
const SNAPSHOT_INLINE_LIMIT: usize = 256 * 1024;

fn pinned(path: String, bytes: Vec<u8>) -> (String, Vec<u8>) {
    use sha2::{Digest, Sha256};
    if bytes.len() <= SNAPSHOT_INLINE_LIMIT {
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
        bmv2: 1 << 24,
        tofino: 1 << 20,
    };
    assert!(compile::compile(&p, &Options { limits }).is_ok());
    let limits = Limits {
        softswitch: 1 << 24,
        bmv2: 300,
        tofino: 1 << 20,
    };
    let d = compile::compile(&p, &Options { limits }).unwrap_err();
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

// ---- schema sanity ----

#[test]
fn every_role_program_builds_a_pipeline_with_p4c_ids() {
    for role in [
        ddsr_policy::ir::Role::Ingress,
        ddsr_policy::ir::Role::Server,
        ddsr_policy::ir::Role::Egress,
    ] {
        let prog = Program::of(role);
        let p = prog.pipeline(|_| 7);
        assert_eq!(p.tables.len(), prog.tables.len());
        for (_, t) in p.tables.iter() {
            assert_eq!(
                t.id,
                ddsr_proto::ids::hashed_id(ddsr_proto::ids::Prefix::Table, &t.name)
            );
            assert_eq!(t.id >> 24, 0x02);
        }
    }
}
