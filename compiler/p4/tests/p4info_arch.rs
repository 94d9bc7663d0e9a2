//! P4Info read straight from the checked program (`ddsr_p4::p4info::info`), for
//! architectures the pipeline IR does not run: every TNA program of the corpus
//! (`compiler/tests/p4/tna/`) and of `p4/tna/` yields a P4Info equal to its snapshot in
//! `compiler/tests/p4/snapshots/tna/` (`DDSR_BLESS=1` rewrites them), with bf-p4c's names
//! (`pipe.Control.object`, global `@name(".x")`) and p4c's ids. For v1model programs the
//! checked-program reader agrees with the one that reads the lowered pipeline.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use ddsr_diag::render_text;
use ddsr_p4::syntax::{Options, parse_file};
use ddsr_proto::ids::{Prefix, hashed_id};
use ddsr_proto::p4::config::v1::{P4Info, Preamble};

const TESTS: &str = "../tests/p4";
const PROGRAMS: &str = "../../p4";

fn options() -> Options {
    Options {
        include_dirs: vec![Path::new(PROGRAMS).join("include")],
        ..Options::default()
    }
}

fn p4_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "p4"))
        .collect();
    out.sort();
    out
}

fn info(path: &Path) -> Result<P4Info, String> {
    let parsed = parse_file(path, &options());
    if parsed.diagnostics.has_errors() {
        return Err(render_text(
            &parsed.sources,
            &parsed.diagnostics.clone().into_vec(),
            false,
        ));
    }
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    ddsr_p4::p4info::info(&parsed.program, &name)
        .map(|i| i.p4info)
        .map_err(|d| render_text(&parsed.sources, &d, false))
}

/// Name -> id of every object with a preamble, by kind.
fn ids(info: &P4Info) -> BTreeMap<(Prefix, String), u32> {
    let mut out = BTreeMap::new();
    let mut add = |prefix: Prefix, p: &Option<Preamble>| {
        let p = p.as_ref().unwrap();
        assert_eq!(p.id, hashed_id(prefix, &p.name), "id of {}", p.name);
        out.insert((prefix, p.name.clone()), p.id);
    };
    info.tables
        .iter()
        .for_each(|x| add(Prefix::Table, &x.preamble));
    info.actions
        .iter()
        .for_each(|x| add(Prefix::Action, &x.preamble));
    info.action_profiles
        .iter()
        .for_each(|x| add(Prefix::ActionProfile, &x.preamble));
    info.counters
        .iter()
        .for_each(|x| add(Prefix::Counter, &x.preamble));
    info.direct_counters
        .iter()
        .for_each(|x| add(Prefix::DirectCounter, &x.preamble));
    info.meters
        .iter()
        .for_each(|x| add(Prefix::Meter, &x.preamble));
    info.direct_meters
        .iter()
        .for_each(|x| add(Prefix::DirectMeter, &x.preamble));
    info.registers
        .iter()
        .for_each(|x| add(Prefix::Register, &x.preamble));
    info.digests
        .iter()
        .for_each(|x| add(Prefix::Digest, &x.preamble));
    info.value_sets
        .iter()
        .for_each(|x| add(Prefix::ValueSet, &x.preamble));
    out
}

fn names(info: &P4Info, prefix: Prefix) -> Vec<String> {
    ids(info)
        .into_keys()
        .filter(|(p, _)| *p == prefix)
        .map(|(_, n)| n)
        .collect()
}

#[test]
fn tna_programs_match_their_snapshots() {
    let mut files = p4_files(&Path::new(TESTS).join("tna"));
    files.extend(p4_files(&Path::new(PROGRAMS).join("tna")));
    assert!(files.len() >= 4, "only {} TNA programs", files.len());
    let snapshots = Path::new(TESTS).join("snapshots/tna");
    let bless = std::env::var_os("DDSR_BLESS").is_some();
    if bless {
        fs::create_dir_all(&snapshots).unwrap();
    }
    let mut failures = String::new();
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        match info(f) {
            Ok(info) => {
                assert_eq!(info.pkg_info.as_ref().unwrap().arch, "tna");
                ids(&info);
                let text = ddsr_p4::p4info::to_text(&info).unwrap();
                let snap = snapshots.join(format!("{stem}.p4info.txtpb"));
                if bless {
                    fs::write(&snap, &text).unwrap();
                } else if fs::read_to_string(&snap).ok().as_deref() != Some(text.as_str()) {
                    failures.push_str(&format!("{}: differs from the snapshot\n", snap.display()));
                }
            }
            Err(rendered) => failures.push_str(&format!("{}:\n{rendered}\n", f.display())),
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

/// The ingress role's objects all carry global `@name`s, so the names are the same as the
/// v1model program's and so are the ids.
#[test]
fn tna_ingress_role_has_the_v1model_names_and_ids() {
    let tna = info(&Path::new(PROGRAMS).join("tna/ingress.p4")).unwrap();
    let v1 = info(&Path::new(PROGRAMS).join("v1model/ingress.p4")).unwrap();
    assert_eq!(
        names(&tna, Prefix::Table),
        [
            "backends_v4",
            "backends_v6",
            "routes_v4",
            "routes_v6",
            "vip_v4",
            "vip_v6"
        ]
    );
    let t = ids(&tna);
    assert_eq!(t[&(Prefix::Table, "vip_v4".to_string())], 47549601);
    assert_eq!(t[&(Prefix::Action, "NoAction".to_string())], 21257015);
    assert_eq!(
        names(&tna, Prefix::Counter),
        ["backend_packets", "vip_packets"]
    );
    let v = ids(&v1);
    for (key, id) in &t {
        if key.0 == Prefix::Table || key.0 == Prefix::Action {
            assert_eq!(v.get(key), Some(id), "{key:?} differs from v1model");
        }
    }
    let vip = tna
        .tables
        .iter()
        .find(|x| x.preamble.as_ref().unwrap().name == "vip_v4")
        .unwrap();
    let fields: Vec<(&str, i32)> = vip
        .match_fields
        .iter()
        .map(|m| (m.name.as_str(), m.bitwidth))
        .collect();
    assert_eq!(
        fields,
        [("dst_addr", 32), ("protocol", 8), ("dst_port", 16)]
    );
    assert_eq!(
        vip.const_default_action_id,
        t[&(Prefix::Action, "NoAction".to_string())]
    );
}

#[test]
fn tna_resources_are_named_by_pipeline_and_control() {
    let info = info(&Path::new(TESTS).join("tna/01_tna_resources.p4")).unwrap();
    let id = ids(&info);
    let get = |p: Prefix, n: &str| {
        *id.get(&(p, n.to_string()))
            .unwrap_or_else(|| panic!("no {p:?} {n}"))
    };
    assert_eq!(
        names(&info, Prefix::Table),
        [
            "pipe.TnaEgress.port_mac",
            "pipe.TnaIngress.acl",
            "pipe.TnaIngress.mac",
            "pipe.TnaIngress.multipath",
            "pipe.TnaIngress.nexthop",
        ],
        "the table never applied is left out"
    );
    assert_eq!(
        names(&info, Prefix::Action),
        [
            "NoAction",
            "drop",
            "pipe.TnaEgress.rewrite_src",
            "pipe.TnaIngress.forward",
            "pipe.TnaIngress.learn",
            "pipe.TnaIngress.set_color",
            "pipe.TnaIngress.set_nexthop",
        ]
    );
    let table = |n: &str| {
        info.tables
            .iter()
            .find(|t| t.preamble.as_ref().unwrap().name == n)
            .unwrap()
    };
    let mac = table("pipe.TnaIngress.mac");
    assert_eq!(mac.size, 4096);
    assert_eq!(mac.idle_timeout_behavior, 1, "NOTIFY_CONTROL");
    assert_eq!(
        mac.direct_resource_ids,
        [get(Prefix::DirectCounter, "pipe.TnaIngress.mac_hits")]
    );
    assert_eq!(
        info.direct_counters[0].direct_table_id,
        mac.preamble.as_ref().unwrap().id
    );
    assert_eq!(
        info.direct_counters[0].spec.as_ref().unwrap().unit,
        3,
        "BOTH"
    );
    let acl = table("pipe.TnaIngress.acl");
    assert_eq!(acl.const_default_action_id, get(Prefix::Action, "drop"));
    assert_eq!(
        acl.direct_resource_ids,
        [get(Prefix::DirectMeter, "pipe.TnaIngress.acl_rate")]
    );
    let m: Vec<(&str, i32)> = acl
        .match_fields
        .iter()
        .map(|f| (f.name.as_str(), f.bitwidth))
        .collect();
    assert_eq!(m, [("src", 32), ("proto", 8)]);
    // Selector keys feed the selector's hash, not the match.
    let mp = table("pipe.TnaIngress.multipath");
    assert_eq!(mp.match_fields.len(), 1);
    assert_eq!(mp.match_fields[0].name, "hdr.ipv4.dst_addr");
    let ecmp = get(Prefix::ActionProfile, "pipe.TnaIngress.ecmp");
    assert_eq!(mp.implementation_id, ecmp);
    let prof = |n: &str| {
        info.action_profiles
            .iter()
            .find(|p| p.preamble.as_ref().unwrap().name == n)
            .unwrap()
    };
    assert!(prof("pipe.TnaIngress.ecmp").with_selector);
    assert_eq!(prof("pipe.TnaIngress.ecmp").size, 256);
    assert_eq!(
        prof("pipe.TnaIngress.ecmp").table_ids,
        [mp.preamble.as_ref().unwrap().id]
    );
    assert!(!prof("pipe.TnaIngress.nexthops").with_selector);
    // No default action: NoAction, default-only, as p4c adds it.
    let nh = table("pipe.TnaIngress.nexthop");
    let last = nh.action_refs.last().unwrap();
    assert_eq!((last.id, last.scope), (get(Prefix::Action, "NoAction"), 2));
    assert_eq!(info.counters[0].size, 1024);
    assert_eq!(
        info.meters[0].preamble.as_ref().unwrap().name,
        "pipe.TnaIngress.policer"
    );
    assert_eq!(info.meters[0].size, 256);
    let reg = &info.registers[0];
    assert_eq!(
        reg.preamble.as_ref().unwrap().name,
        "pipe.TnaIngress.last_seen"
    );
    assert_eq!(reg.size, 2048);
    assert_eq!(
        info.digests[0].preamble.as_ref().unwrap().name,
        "pipe.TnaIngressDeparser.learned"
    );
    let learn = &info.type_info.as_ref().unwrap().structs["learn_t"];
    let widths: Vec<(&str, i32)> = learn
        .members
        .iter()
        .map(|m| {
            let w = match &m.type_spec.as_ref().unwrap().type_spec {
                Some(ddsr_proto::p4::config::v1::p4_data_type_spec::TypeSpec::Bitstring(b)) => {
                    match &b.type_spec {
                        Some(
                            ddsr_proto::p4::config::v1::p4_bitstring_like_type_spec::TypeSpec::Bit(
                                x,
                            ),
                        ) => x.bitwidth,
                        other => panic!("{other:?}"),
                    }
                }
                other => panic!("{other:?}"),
            };
            (m.name.as_str(), w)
        })
        .collect();
    assert_eq!(widths, [("src_addr", 48), ("port", 9)]);
    assert_eq!(
        info.value_sets[0].preamble.as_ref().unwrap().name,
        "pipe.TnaIngressParser.ip_types"
    );
    assert_eq!(info.value_sets[0].size, 4);
}

/// On v1model programs the checked-program reader gives the same P4Info as the reader of
/// the lowered pipeline (used by `p4info::info` for v1model).
#[test]
fn v1model_role_programs_agree_with_the_lowered_reader() {
    for f in p4_files(&Path::new(PROGRAMS).join("v1model")) {
        let parsed = parse_file(&f, &options());
        assert!(!parsed.diagnostics.has_errors());
        let (checked, _) = ddsr_p4::sema::check(&parsed.program);
        let direct = ddsr_p4::p4info::arch::build(&parsed.program, &checked, "x").unwrap();
        let lowered = ddsr_p4::p4info::compile(&parsed.program, "x")
            .unwrap()
            .p4info;
        assert_eq!(
            ddsr_p4::p4info::to_text(&direct).unwrap(),
            ddsr_p4::p4info::to_text(&lowered).unwrap(),
            "{}",
            f.display()
        );
    }
}
