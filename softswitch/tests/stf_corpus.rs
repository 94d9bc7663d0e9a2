//! The STF corpus: every `tests/stf/<topic>/*.stf` passes on `tests/stf/<topic>/program.p4`
//! compiled by the P4 front end (or, for the two topics without one, on the hand-built program
//! of that name), and the runner reports failures (missing, unexpected and differing packets,
//! bad commands) with the details a person needs.

use std::path::Path;

use ddsr_p4::syntax::{Options, parse_file};
use ddsr_pipeline::Pipeline;
use ddsr_softswitch::programs::{l2_switch, l4_lb, router};
use ddsr_softswitch::{Switch, stf};

/// The topic's program: `program.p4` through the P4 front end, else a hand-built one.
fn program(dir: &Path) -> Result<Pipeline, String> {
    let source = dir.join("program.p4");
    if source.exists() {
        let parsed = parse_file(&source, &Options::default());
        if !parsed.diagnostics.is_empty() {
            return Err(ddsr_diag::render_text(
                &parsed.sources,
                &parsed.diagnostics.clone().into_vec(),
                false,
            ));
        }
        return ddsr_p4::p4info::compile(&parsed.program, "program")
            .map(|c| c.lowered.pipeline)
            .map_err(|d| ddsr_diag::render_text(&parsed.sources, &d, false));
    }
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("router") => Ok(router()),
        Some("l4_lb") => Ok(l4_lb()),
        Some("l2_switch") => Ok(l2_switch()),
        other => Err(format!("no program.p4 and no hand-built program {other:?}")),
    }
}

fn run_text(p: Pipeline, text: &str) -> stf::Report {
    let cmds = stf::parse(text).unwrap_or_else(|e| panic!("{e:?}"));
    let mut sw = Switch::new(p).unwrap();
    stf::run(&mut sw, &cmds)
}

#[test]
fn corpus_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stf");
    let (mut on_p4, mut on_rust) = (0, 0);
    let mut failures = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|d| d.unwrap().path())
        .filter(|d| d.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let pipeline = match program(&dir) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: does not compile:\n{e}", dir.display()));
                continue;
            }
        };
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|f| f.unwrap().path())
            .filter(|f| f.extension().is_some_and(|e| e == "stf"))
            .collect();
        files.sort();
        for f in files {
            let r = run_text(pipeline.clone(), &std::fs::read_to_string(&f).unwrap());
            if dir.join("program.p4").exists() {
                on_p4 += 1;
            } else {
                on_rust += 1;
            }
            if !r.passed() {
                failures.push(format!("{}:\n{}", f.display(), r.failures.join("\n")));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(on_p4 >= 60, "found {on_p4} STF tests on P4 programs");
    assert!(
        on_rust >= 16,
        "found {on_rust} STF tests on hand-built programs"
    );
}

const ROUTE: &str = "add ipv4_lpm dst_addr:0x0a000000/8 set_nhop(dmac:0x11, port:1)\n";
const PKT: &str = "packet 3 00000000000b 00000000000a 0800 450000281234400040060000c0a8010a0a000001 9c400050000000010000000050180fff00000000\n";

#[test]
fn failures_name_port_packet_line_and_bytes() {
    // Wrong destination MAC expected on port 1, and a packet expected on port 2 that never comes.
    let text = format!("{ROUTE}{PKT}expect 1 000000000012 **\nexpect 2 00\n");
    let r = run_text(router(), &text);
    assert!(!r.passed());
    assert_eq!(r.failures.len(), 2, "{:#?}", r.failures);
    assert!(
        r.failures[0].starts_with("port 1, packet 1 (expected at line 3) differs:"),
        "{}",
        r.failures[0]
    );
    assert!(
        r.failures[0].contains("0000 expected 00 00 00 00 00 12 **"),
        "{}",
        r.failures[0]
    );
    assert!(
        r.failures[0].contains("0000 actual   00 00 00 00 00 11 00"),
        "{}",
        r.failures[0]
    );
    assert!(r.failures[0].contains("^^"), "{}", r.failures[0]);
    assert_eq!(
        r.failures[1],
        "port 2: missing packet 1 (expected at line 4): 00"
    );
}

#[test]
fn unexpected_packets_and_exact_lengths_fail() {
    let r = run_text(router(), &format!("{ROUTE}{PKT}"));
    assert_eq!(r.failures.len(), 1);
    assert!(
        r.failures[0].starts_with("port 1: unexpected packet 1: 000000000011"),
        "{}",
        r.failures[0]
    );
    let r = run_text(router(), &format!("{ROUTE}{PKT}expect 1 000000000011 $\n"));
    assert!(
        r.failures[0].contains("expected 6 bytes, found 54"),
        "{}",
        r.failures[0]
    );
}

#[test]
fn bad_commands_report_their_line() {
    let text = "add no_such_table k:1 a()\nadd ipv4_lpm dst_addr:0x0a000000/8 set_nhop(port:1)\nadd acl src_addr:1 nope()\ncheck_counter port_packets(1) == 9\n";
    let r = run_text(router(), text);
    assert_eq!(
        r.failures,
        vec![
            "line 1: no table named `no_such_table`",
            "line 2: action `MyIngress.set_nhop` needs the argument `dmac`",
            "line 3: no action of this table named `nope`",
            "line 4: counter `MyIngress.port_packets`[1] is 0, expected == 9",
        ]
    );
    let r = run_text(
        router(),
        "setdefault MyIngress.ipv4_lpm drop()\nsetdefault acl deny()\nregister_read r 0 0\n",
    );
    assert_eq!(r.failures, vec!["line 3: no extern named `r`"]);
    assert!(
        stf::resolve("table", ["a.t", "b.t"].into_iter(), "t")
            .unwrap_err()
            .contains("ambiguous")
    );
}

#[test]
fn digest_log_and_profile_failures_are_reported() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/stf");
    let digests = program(&root.join("digest_log")).unwrap();
    let probe = "000000000002 000000000001 88b5 09 01 000000000000 0000 0000 00000000";
    // A wrong digest value and a log line that differs.
    let text = format!(
        "packet 3 {probe}\nexpect 1 {probe}\nexpect_digest learn_t 0x1 0x3 0x8\nexpect_log a=9 b=2\n"
    );
    let r = run_text(digests.clone(), &text);
    assert_eq!(
        r.failures,
        vec![
            "digest 1 (expected at line 3) differs: expected `learn_t 0x1 0x3 0x8`, found `learn_t 0x1 0x3 0x9`",
            "log 1 (expected at line 4) differs: expected `a=9 b=2`, found `a=9 b=1`",
        ]
    );
    // Digests and logs nobody expected fail like unexpected packets.
    let r = run_text(digests, &format!("packet 3 {probe}\nexpect 1 {probe}\n"));
    assert_eq!(
        r.failures,
        vec![
            "unexpected digest 1: `learn_t 0x1 0x3 0x9`",
            "unexpected log 1: `a=9 b=1`",
        ]
    );
    let profiles = program(&root.join("action_profiles")).unwrap();
    let r = run_text(
        profiles,
        "add by_profile hdr.probe.a:1 to_port(port:1, v:0)\nmember_add nope 1 to_port(port:1, v:0)\ngroup_add prof 1 1\nmeter_config prof 0 1 1 1 1\n",
    );
    assert_eq!(r.failures.len(), 4, "{:#?}", r.failures);
    assert!(
        r.failures[0]
            .starts_with("line 1: expected `member(ID)` or `group(ID)`, found `to_port(...)`"),
        "{}",
        r.failures[0]
    );
    assert_eq!(r.failures[1], "line 2: no extern named `nope`");
    assert!(r.failures[2].starts_with("line 3: "), "{}", r.failures[2]);
    assert!(
        r.failures[3].starts_with("line 4: ") && r.failures[3].contains("meter"),
        "{}",
        r.failures[3]
    );
}
