//! Front-end behaviour beyond single checks: budgets, ordering, JSON output, robustness.

use ddsr_diag::{SourceMap, render_json};
use proptest::prelude::*;

fn check(text: &str) -> (bool, Vec<ddsr_diag::Diagnostic>, SourceMap) {
    let mut sm = SourceMap::new();
    let (p, d) = ddsr_policy::check_source(&mut sm, "p.yaml", text);
    (p.is_some(), d.into_vec(), sm)
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let text = format!(
        "version: 1\n#{}\n",
        "x".repeat(ddsr_policy::front::MAX_INPUT_BYTES)
    );
    let (ok, diags, _) = check(&text);
    assert!(!ok);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code.to_string(), "E0030");
    assert!(
        diags[0].message.contains("the limit is 67108864"),
        "{}",
        diags[0].message
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!(
        "version: 1\nhosts: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (ok, diags, _) = check(&text);
    assert!(!ok);
    assert!(
        ["E0030", "E0001"].contains(&diags[0].code.to_string().as_str()),
        "{diags:?}"
    );
}

#[test]
fn every_error_is_reported_in_source_order() {
    let text = "version: 1\nhosts:\n  a: { role: sever, address: 10.0.0.1 }\n  b: { role: server, address: 10.0.0.300 }\nvips:\n  v: { address: 203.0.113.1, protocol: tcp, port: 0, pool: p, service_port: 1 }\n";
    let (ok, diags, sm) = check(text);
    assert!(!ok);
    let got: Vec<_> = diags
        .iter()
        .map(|d| {
            let (f, s) = d.position().unwrap();
            let (l, c) = sm.line_col(f, s.start);
            (d.code.to_string(), l, c)
        })
        .collect();
    let want = [
        ("E0031", 3, 14),
        ("E0007", 4, 31),
        ("E0011", 6, 51),
        ("E0015", 6, 60),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(c, l, col)| (c.to_string(), *l, *col))
        .collect();
    assert_eq!(got, want);
    assert_eq!(diags[0].help, ["did you mean `server`?"]);
}

#[test]
fn json_output_carries_position_code_and_labels() {
    let text = "version: 1\nhosts:\n  a: { role: ingress, address: 192.0.2.1 }\n  b: { role: egress, address: 192.0.2.1 }\n";
    let (_, diags, sm) = check(text);
    let json = render_json(&sm, &diags);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    let d = &lines[0];
    assert_eq!(d["code"], "E0024");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        (d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("p.yaml"), Some(4), Some(31))
    );
    assert_eq!(
        d["start"].as_u64().unwrap() as usize,
        text.rfind("192.0.2.1").unwrap()
    );
    assert_eq!(d["labels"][1]["message"], "first used here");
    assert_eq!(d["labels"][1]["line"], 3);
}

#[test]
fn warnings_alone_still_give_a_policy() {
    let text = "version: 1\nhosts:\n  s: { role: server, address: 10.0.0.1 }\npools:\n  spare: { backends: [{ host: s }] }\n";
    let (ok, diags, _) = check(text);
    assert!(ok);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, ddsr_diag::Severity::Warning);
}

#[test]
fn unreadable_file_is_one_diagnostic() {
    let mut sm = SourceMap::new();
    let (p, d) = ddsr_policy::check_file(&mut sm, std::path::Path::new("/nonexistent/policy.yaml"));
    assert!(p.is_none());
    let d = d.into_vec();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, ddsr_policy::READ_ERROR);
}

const WEB: &str = include_str!("../../../policies/web.yaml");

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random edits of a valid policy never panic, and a policy comes back exactly when no
    /// error was reported.
    #[test]
    fn edited_policies_never_panic(edits in prop::collection::vec((0usize..2000, any::<u8>(), 0u8..3), 1..8)) {
        let mut bytes = WEB.as_bytes().to_vec();
        for (at, byte, kind) in edits {
            let at = at % (bytes.len() + 1);
            match kind {
                0 => bytes.insert(at, byte % 128),
                1 if at < bytes.len() => { bytes.remove(at); }
                _ if at < bytes.len() => bytes[at] = byte % 128,
                _ => {}
            }
        }
        let text = String::from_utf8(bytes).unwrap();
        let (ok, diags, sm) = check(&text);
        prop_assert_eq!(ok, !diags.iter().any(|d| d.severity == ddsr_diag::Severity::Error));
        let _ = ddsr_diag::render_text(&sm, &diags, false);
    }
}
