//! Compiling a policy against the previous revision's `buckets.json`: removing one backend of a
//! pool changes exactly that backend's bucket entries, adding one takes only its share, backend
//! ids survive, a changed table size falls back to a fresh population with a warning, and a
//! damaged `buckets.json` is refused with an error saying what is wrong.

use ddsr_diag::{SourceMap, render_text};
use ddsr_policy::Policy;
use ddsr_tables::buckets::{Buckets, Error};
use ddsr_tables::compile::{self, Options, Output};
use ddsr_tables::diff::diff;

/// One ingress host, one egress host, `servers` servers `s01`...; pool `web` holds the servers
/// of `web` (table size `size`), pool `api` (after `web`, so its backend ids follow) holds
/// s01-s04.
fn policy_text(web: &[u32], size: u32, servers: u32) -> String {
    let mut t = String::from(
        "version: 1\nhosts:\n  in-1: { role: ingress, address: 10.0.0.1 }\n  \
         out-1: { role: egress, address: 10.0.0.2 }\n",
    );
    for i in 1..=servers {
        t.push_str(&format!(
            "  s{i:02}: {{ role: server, address: 10.0.1.{i} }}\n"
        ));
    }
    t.push_str(&format!(
        "pools:\n  web:\n    hashing: {{ algorithm: maglev, table_size: {size} }}\n    backends:\n"
    ));
    for i in web {
        t.push_str(&format!("      - {{ host: s{i:02} }}\n"));
    }
    t.push_str("  api:\n    hashing: { algorithm: maglev, table_size: 13 }\n    backends:\n");
    for i in 1..=4 {
        t.push_str(&format!("      - {{ host: s{i:02} }}\n"));
    }
    t.push_str(
        "vips:\n  www: { address: 192.0.2.80, protocol: tcp, port: 80, pool: web, \
         service_port: 40080 }\n  api: { address: 192.0.2.81, protocol: tcp, port: 443, \
         pool: api, service_port: 40443 }\n",
    );
    t
}

fn policy(sources: &mut SourceMap, text: &str) -> Policy {
    let (p, d) = ddsr_policy::check_source(sources, "test.yaml", text);
    p.unwrap_or_else(|| panic!("{}", render_text(sources, &d.into_vec(), false)))
}

fn compile(text: &str, previous: Option<&Output>) -> (SourceMap, Output) {
    let mut s = SourceMap::new();
    let p = policy(&mut s, text);
    let options = Options {
        // Through the file format, as `ddsr compile --previous` reads it.
        previous: previous.map(|o| Buckets::from_json(&o.buckets.to_json()).unwrap()),
        ..Options::default()
    };
    let out = compile::compile(&p, &options).unwrap_or_else(|d| panic!("{d:?}"));
    (s, out)
}

const S07: &str = "0x0a000107";

fn all16() -> Vec<u32> {
    (1..=16).collect()
}

/// The ingress `backends_v4` entries of `out` as (pool id, bucket) -> backend address (hex).
fn buckets_of(out: &Output) -> Vec<(String, String)> {
    let h = out.hosts.iter().find(|h| h.plan.name == "in-1").unwrap();
    h.entries
        .iter()
        .filter(|e| h.pipeline.tables[e.table].name == "backends_v4")
        .map(|e| {
            let v = ddsr_tables::back::p4runtime::entry_json(&h.pipeline, e);
            (
                v["match"].to_string(),
                v["params"]["addr"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn removing_one_of_16_backends_modifies_exactly_its_bucket_entries() {
    let (_, old) = compile(&policy_text(&all16(), 251, 16), None);
    let without: Vec<u32> = all16().into_iter().filter(|&i| i != 7).collect();
    let (_, new) = compile(&policy_text(&without, 251, 16), Some(&old));
    let owned = buckets_of(&old).iter().filter(|(_, a)| a == S07).count();
    assert!(owned >= 15, "s07 owns {owned} buckets");

    let d = diff(&old, &new);
    let ingress = d.hosts.iter().find(|h| h.host == "in-1").unwrap();
    assert_eq!(ingress.tables.len(), 1, "{}", d.text());
    let t = &ingress.tables[0];
    assert_eq!(t.table, "backends_v4");
    assert_eq!((t.inserts.len(), t.deletes.len()), (0, 0));
    assert_eq!(t.modifies.len(), owned, "{}", d.text());
    for m in &t.modifies {
        assert_eq!(m.old["params"]["addr"], S07);
        assert_ne!(m.new["params"]["addr"], S07);
        // The other backends keep their ids: the new owner's id is its old id.
        let addr = m.new["params"]["addr"].as_str().unwrap();
        let before = old
            .hosts
            .iter()
            .find(|h| h.plan.name == "in-1")
            .map(|h| {
                h.entries
                    .iter()
                    .map(|e| ddsr_tables::back::p4runtime::entry_json(&h.pipeline, e))
                    .find(|v| v["params"]["addr"] == addr)
                    .unwrap()
            })
            .unwrap();
        assert_eq!(
            m.new["params"]["backend_id"],
            before["params"]["backend_id"]
        );
    }
    // Every other host is untouched but s07, which no longer serves the VIP.
    for h in &d.hosts {
        assert!(h.host == "in-1" || h.host == "s07", "{}", d.text());
    }
    let s07 = d.hosts.iter().find(|h| h.host == "s07").unwrap();
    assert!(
        s07.tables
            .iter()
            .all(|t| t.inserts.is_empty() && t.modifies.is_empty()),
        "{}",
        d.text()
    );

    // Plain Maglev, without the previous revision, moves more than s07's buckets.
    let (_, fresh) = compile(&policy_text(&without, 251, 16), None);
    let moved = buckets_of(&old)
        .iter()
        .zip(buckets_of(&fresh))
        .filter(|(a, b)| a.1 != b.1)
        .count();
    assert!(
        moved > owned,
        "plain Maglev moved {moved}, s07 owned {owned}"
    );
}

#[test]
fn adding_a_backend_takes_only_its_share_and_a_free_id() {
    let some: Vec<u32> = (1..=15).collect();
    let (_, old) = compile(&policy_text(&some, 251, 16), None);
    let (_, new) = compile(&policy_text(&all16(), 251, 16), Some(&old));
    let d = diff(&old, &new);
    let ingress = d.hosts.iter().find(|h| h.host == "in-1").unwrap();
    assert_eq!(ingress.tables.len(), 1, "{}", d.text());
    let t = &ingress.tables[0];
    // 251 buckets over 16 equal backends: quotas of 15 or 16.
    assert!((15..=16).contains(&t.modifies.len()), "{}", d.text());
    let s16 = "0x0a000110";
    assert!(t.modifies.iter().all(|m| m.new["params"]["addr"] == s16));
    // s16 gets the lowest id nobody has: after web's 15 and api's 4.
    assert_eq!(t.modifies[0].new["params"]["backend_id"], "0x0013");
    assert_eq!(new.buckets.pools[0].backends[15].backend_id, 19);
}

#[test]
fn a_changed_table_size_is_populated_afresh_with_a_warning() {
    let (_, old) = compile(&policy_text(&all16(), 251, 16), None);
    let text = policy_text(&all16(), 509, 16);
    let (s, new) = compile(&text, Some(&old));
    let (_, fresh) = compile(&text, None);
    assert_eq!(buckets_of(&new), buckets_of(&fresh));
    let rendered = render_text(&s, &new.warnings, false);
    let line = text.lines().position(|l| l == "  web:").unwrap() + 1;
    assert!(
        rendered.starts_with(
            "warning[E0447]: pool `web`: table_size changed from 251 to 509 since the previous \
             revision: its buckets are populated afresh\n"
        ),
        "{rendered}"
    );
    assert!(
        rendered.contains(&format!("test.yaml:{line}:3")),
        "{rendered}"
    );
    assert!(rendered.contains("help: keep table_size 251"), "{rendered}");
    // Pool `api` kept its size: no warning for it, and its buckets are unchanged.
    assert_eq!(new.warnings.len(), 1);
    assert_eq!(new.buckets.pools[1], old.buckets.pools[1]);
}

#[test]
fn buckets_json_round_trips_and_damage_is_refused() {
    let (_, out) = compile(&policy_text(&all16(), 251, 16), None);
    let json = out.buckets.to_json();
    assert!(json.starts_with("{\"format\":1,\"pools\":[{\"pool\":\"web\",\"size\":251,"));
    assert_eq!(json.lines().count(), 1);
    let parsed: Buckets = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, out.buckets);
    let err = |text: &str| Buckets::from_json(text).unwrap_err();
    assert!(matches!(
        err("{\"format\":1,\n\"pools\":[}"),
        Error::Json {
            line: 2,
            column: 10,
            ..
        }
    ));
    assert_eq!(err("{\"format\":2,\"pools\":[]}"), Error::Format(2));
    let pool = |backends: &str, buckets: &str, size: u32| {
        format!(
            "{{\"format\":1,\"pools\":[{{\"pool\":\"p\",\"size\":{size},\"backends\":[{backends}],\
             \"buckets\":[{buckets}]}}]}}"
        )
    };
    let a = "{\"host\":\"a\",\"weight\":1,\"backend_id\":0}";
    let b = "{\"host\":\"b\",\"weight\":1,\"backend_id\":1}";
    let b0 = "{\"host\":\"b\",\"weight\":1,\"backend_id\":0}";
    let big = "{\"host\":\"b\",\"weight\":1,\"backend_id\":65536}";
    assert!(Buckets::from_json(&pool(&format!("{a},{b}"), "0,1,1", 3)).is_ok());
    assert_eq!(
        err(&pool(&format!("{a},{b}"), "0,1", 3)).to_string(),
        "pool `p`: size is 3, but 2 buckets are listed"
    );
    assert_eq!(
        err(&pool(&format!("{a},{b}"), "0,2,1", 3)).to_string(),
        "pool `p`: bucket 1 names backend 2, but there are 2 backends"
    );
    assert_eq!(
        err(&pool(&format!("{a},{b0}"), "0,1,1", 3)).to_string(),
        "backend_id 0 is given to two backends"
    );
    assert_eq!(
        err(&pool(&format!("{a},{big}"), "0,1,1", 3)).to_string(),
        "backend_id 65536 does not fit the programs' 16-bit ids"
    );
    assert_eq!(
        err(&pool(&format!("{a},{b}"), "0,1,1,0,1,0", 6)).to_string(),
        "pool `p`: expected a table size that is a prime or a power of two (at least 2), found 6"
    );
}
