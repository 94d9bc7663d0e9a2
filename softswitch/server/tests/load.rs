//! The one-call loader on real compiler output: `policies/web.yaml` compiled by the table
//! compiler, each host's `entries.txtpb` and `p4info.txtpb` artifacts applied to a switch
//! running that host's pipeline.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use ddsr_pipeline::{Handle, Pipeline, Table, TableEntry};
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_softswitch::Switch;
use ddsr_softswitch_server::{Error, apply_write_request, parse_write_request};
use ddsr_tables::compile::{Host, Output, compile};

/// The compiled policy and its artifacts by path, built once for all tests of this file.
struct Web {
    out: Output,
    files: HashMap<String, String>,
}

fn web() -> &'static Web {
    static WEB: OnceLock<Web> = OnceLock::new();
    WEB.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies/web.yaml");
        let mut sources = ddsr_diag::SourceMap::new();
        let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
        let policy = policy.unwrap_or_else(|| panic!("web.yaml checks: {diags:?}"));
        let out = compile(&policy, &Default::default()).expect("web.yaml compiles");
        let files = out
            .artifacts("")
            .into_iter()
            .map(|a| (a.path, String::from_utf8(a.bytes).unwrap()))
            .collect();
        Web { out, files }
    })
}

/// The text of one artifact of `host`.
fn artifact(web: &Web, host: &Host, file: &str) -> String {
    let path = format!("{}/{file}", host.plan.name);
    web.files
        .get(&path)
        .unwrap_or_else(|| panic!("no artifact {path}"))
        .clone()
}

fn p4info(out: &Web, host: &Host) -> p4i::P4Info {
    ddsr_proto::text::from_text(&artifact(out, host, "p4info.txtpb")).unwrap()
}

/// Every table's entries, sorted so that two switches compare regardless of slot order.
fn contents(sw: &Switch) -> HashMap<Handle<Table>, Vec<TableEntry>> {
    sw.pipeline()
        .tables
        .iter()
        .map(|(h, _)| {
            let mut v = sw.read(h);
            v.sort_by_cached_key(|e| format!("{e:?}"));
            (h, v)
        })
        .collect()
}

#[test]
fn every_host_of_web_loads_and_reads_back_the_compiled_entries() {
    let out = web();
    assert_eq!(out.out.hosts.len(), 5);
    for host in &out.out.hosts {
        let req = parse_write_request(&artifact(out, host, "entries.txtpb")).unwrap();
        assert_eq!(req.updates.len(), host.entries.len(), "{}", host.plan.name);
        let mut sw = Switch::new(Pipeline::clone(&host.pipeline)).unwrap();
        let n = apply_write_request(&mut sw, &p4info(out, host), &req).unwrap();
        assert_eq!(n, host.entries.len(), "{}", host.plan.name);
        // What the switch holds is exactly the compiler's entry model for this host.
        let mut expected = contents(&Switch::new(Pipeline::clone(&host.pipeline)).unwrap());
        for e in &host.entries {
            expected.get_mut(&e.table).unwrap().push(e.clone());
        }
        for v in expected.values_mut() {
            v.sort_by_cached_key(|e| format!("{e:?}"));
        }
        assert_eq!(contents(&sw), expected, "{}", host.plan.name);
    }
}

#[test]
fn bad_text_and_a_foreign_p4info_are_refused() {
    let err = parse_write_request("device_id: 1\nupdates {\n  type: UPSERT\n}\n").unwrap_err();
    let Error::InvalidArgument(m) = &err else {
        panic!("{err:?}")
    };
    assert!(m.starts_with("WriteRequest text: 3:9: "), "{m}");

    let out = web();
    let hosts = &out.out.hosts;
    let (a, b) = (&hosts[0], &hosts[hosts.len() - 1]);
    assert_ne!(a.plan.role, b.plan.role, "two different role programs");
    let req = parse_write_request(&artifact(out, a, "entries.txtpb")).unwrap();
    let mut sw = Switch::new(Pipeline::clone(&a.pipeline)).unwrap();
    let err = apply_write_request(&mut sw, &p4info(out, b), &req).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidArgument(m) if m.contains("is not in the pipeline")),
        "{err:?}"
    );
}
