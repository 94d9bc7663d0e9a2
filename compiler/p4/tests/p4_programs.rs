//! Every P4 program of `p4/` (both architectures; `p4/include/` holds only included parts)
//! goes through what `ddsr p4 build` runs: it parses, checks, lowers to a pipeline that
//! passes validation and reads back from JSON unchanged, and gets its P4Info, with the
//! pipeline's ids equal to the P4Info's. The pipeline records the architecture of the
//! directory the program is in, and each TNA role program has exactly the tables, actions
//! and ids of the v1model program of the same role, so one set of table entries fits both.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ddsr_diag::render_text;
use ddsr_p4::p4info::{Compiled, compile};
use ddsr_p4::syntax::{Options, parse_file};
use ddsr_pipeline::MatchKind;
use ddsr_pipeline::Pipeline;
use ddsr_pipeline::program::Architecture;

const PROGRAMS: &str = "../../p4";

/// Every `.p4` file under `dir`, recursively, except under `include/`.
fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "include") {
                programs(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "p4") {
            out.push(path);
        }
    }
}

fn build(path: &Path) -> Compiled {
    let parsed = parse_file(path, &Options::default());
    assert!(
        !parsed.diagnostics.has_errors(),
        "{}:\n{}",
        path.display(),
        render_text(
            &parsed.sources,
            &parsed.diagnostics.clone().into_vec(),
            false
        )
    );
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    compile(&parsed.program, &name).unwrap_or_else(|d| {
        panic!(
            "{} does not build:\n{}",
            path.display(),
            render_text(&parsed.sources, &d, false)
        )
    })
}

/// Control-plane name -> id of every table of a pipeline and every action a table lists
/// (what table entries name; helper actions a v1model apply block calls are not).
fn tables_and_actions(p: &Pipeline) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for (_, t) in p.tables.iter() {
        out.insert(format!("table {}", t.name), t.id);
        for r in &t.actions {
            let a = &p.actions[r.action];
            out.insert(format!("action {} ({:?})", a.name, r.scope), a.id);
        }
    }
    out
}

#[test]
fn every_program_in_p4_builds_with_its_architecture() {
    let mut files = Vec::new();
    programs(Path::new(PROGRAMS), &mut files);
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            f.strip_prefix(PROGRAMS)
                .unwrap()
                .to_string_lossy()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        [
            "tna/egress.p4",
            "tna/ingress.p4",
            "tna/server.p4",
            "v1model/egress.p4",
            "v1model/ingress.p4",
            "v1model/server.p4"
        ]
    );
    for f in &files {
        let c = build(f);
        let p = &c.lowered.pipeline;
        let want = if f.components().any(|c| c.as_os_str() == "tna") {
            Architecture::Tna
        } else {
            Architecture::V1model
        };
        assert_eq!(p.architecture(), want, "{}", f.display());
        let back = Pipeline::from_json(&p.to_json()).unwrap_or_else(|e| {
            panic!("{}: the JSON does not load: {e}", f.display());
        });
        assert_eq!(&back, p, "{}: JSON round trip", f.display());
        // Every table and action the control plane can name has the P4Info's id.
        let info = &c.p4info;
        for (_, t) in p.tables.iter() {
            let i = info
                .tables
                .iter()
                .find(|x| x.preamble.as_ref().unwrap().name == t.name)
                .unwrap_or_else(|| panic!("{}: table {} not in P4Info", f.display(), t.name));
            assert_eq!(i.preamble.as_ref().unwrap().id, t.id, "{}", t.name);
        }
        for (_, a) in p.actions.iter() {
            let i = info
                .actions
                .iter()
                .find(|x| x.preamble.as_ref().unwrap().name == a.name)
                .unwrap_or_else(|| panic!("{}: action {} not in P4Info", f.display(), a.name));
            assert_eq!(i.preamble.as_ref().unwrap().id, a.id, "{}", a.name);
        }
        for (_, e) in p.externs.iter() {
            assert_ne!(e.id, 0, "{}: extern {} has no id", f.display(), e.name);
        }
    }
}

#[test]
fn tna_roles_have_the_tables_actions_and_ids_of_the_v1model_roles() {
    for role in ["ingress", "server", "egress"] {
        let v1 = build(&Path::new(PROGRAMS).join(format!("v1model/{role}.p4")));
        let tna = build(&Path::new(PROGRAMS).join(format!("tna/{role}.p4")));
        let (v1, tna) = (&v1.lowered.pipeline, &tna.lowered.pipeline);
        assert_eq!(
            tables_and_actions(tna),
            tables_and_actions(v1),
            "{role}: TNA and v1model differ"
        );
        for (_, t) in tna.tables.iter() {
            let h = v1.table_by_name(&t.name).unwrap();
            let v = &v1.tables[h];
            let keys = |t: &ddsr_pipeline::Table| {
                t.keys
                    .iter()
                    .map(|k| (k.name.clone(), k.width))
                    .collect::<Vec<_>>()
            };
            assert_eq!(keys(t), keys(v), "{role}: keys of {}", t.name);
            // Match kinds are equal but where Tofino matches a v1model range as ternary
            // (the server ACL's client port: the table compiler expands ranges).
            for (kt, kv) in t.keys.iter().zip(&v.keys) {
                let ok = kt.match_kind == kv.match_kind
                    || (kt.match_kind == MatchKind::Ternary && kv.match_kind == MatchKind::Range);
                assert!(ok, "{role}: {} key {}", t.name, kt.name);
            }
            assert_eq!(t.size, v.size, "{role}: size of {}", t.name);
        }
    }
}
