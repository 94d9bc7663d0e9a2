//! `policies/schema.json` (for editors) must describe exactly the fields the front end accepts.

use std::collections::BTreeSet;

use ddsr_policy::lower;
use serde_json::Value;

fn keys(v: &Value) -> BTreeSet<String> {
    v["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn set(fields: &[&str]) -> BTreeSet<String> {
    fields.iter().map(|s| s.to_string()).collect()
}

#[test]
fn schema_fields_match_the_front_end() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let d = &schema["definitions"];
    assert_eq!(keys(&schema), set(lower::ROOT_FIELDS));
    assert_eq!(keys(&d["host"]), set(lower::HOST_FIELDS));
    assert_eq!(
        keys(&d["host"]["properties"]["routes"]["items"]),
        set(lower::ROUTE_FIELDS)
    );
    assert_eq!(keys(&d["pool"]), set(lower::POOL_FIELDS));
    assert_eq!(
        keys(&d["pool"]["properties"]["hashing"]),
        set(lower::HASHING_FIELDS)
    );
    assert_eq!(
        keys(&d["pool"]["properties"]["backends"]["items"]),
        set(lower::BACKEND_FIELDS)
    );
    assert_eq!(keys(&d["acl"]), set(lower::ACL_FIELDS));
    assert_eq!(keys(&d["rule"]), set(lower::RULE_FIELDS));
    assert_eq!(keys(&d["vip"]), set(lower::VIP_FIELDS));
    for def in ["host", "pool", "acl", "rule", "vip"] {
        assert_eq!(d[def]["additionalProperties"], Value::Bool(false), "{def}");
    }
    assert_eq!(
        d["pool"]["properties"]["hashing"]["properties"]["table_size"]["default"],
        lower::DEFAULT_TABLE_SIZE
    );
    assert_eq!(
        d["host"]["properties"]["default_port"]["maximum"],
        lower::MAX_SWITCH_PORT
    );
}
