//! Interop with P4Runtime clients written by others, installed from PyPI into the venv
//! `tests/python/pyenv.py` builds: the official `p4runtime` bindings with grpcio
//! (`tests/python/p4runtime_server_client.py`) and p4runtime-shell
//! (`tests/python/p4runtime_shell_client.py`).
//!
//! ```text
//!   Python client ──gRPC──▶ Service ──▶ core            port 3 ◀── LLDP frames (this test)
//!        ▲   packet-in ◀── CPU port 255 ◀──┘ └──▶ port 2 ──▶ packet-out seen here
//!        └── "inject" line on stdout / frame count on stdin ──▶ this test
//! ```
//!
//! Both clients first program every host of a policy compiled by the table compiler
//! (`ddsr compile`'s library path) from its `pipeline.json`, `p4info.txtpb` and
//! `entries.txtpb`, reading each host's tables back equal. Both then push
//! `tests/p4/interop.p4`, write an entry with every match kind, action selector members, a
//! weighted group and an entry using it, read them back, receive the packet-ins of the LLDP
//! frames this test sends, send a packet-out and read counters; the test checks exact values.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::*;
use ddsr_proto::google::rpc::Code;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_softswitch::OutPacket;
use ddsr_softswitch_server::Service;

/// How long one client run may take before it is killed.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);
/// The interop program's CPU port.
const CPU_PORT: u16 = 255;
/// How many LLDP frames the test sends once the client is ready for packet-ins.
const FRAMES: u8 = 3;

fn python() -> PathBuf {
    let output = Command::new("python3")
        .arg(manifest("../../tests/python/pyenv.py"))
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 must be installed to run the interop tests");
    assert!(
        output.status.success(),
        "creating the Python venv failed (needs network access to PyPI)"
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// LLDP frame `i`: the interop program's punt table sends it to the CPU.
fn lldp(i: u8) -> Vec<u8> {
    let mut frame = vec![
        0x01, 0x80, 0xc2, 0, 0, 0x0e, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xcc,
    ];
    frame.extend_from_slice(b"lldp");
    frame.push(i);
    frame
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the interop program's pipeline and P4Info into `dir`; returns their paths and the
/// P4Info.
fn interop_program(dir: &Path) -> (PathBuf, PathBuf, p4i::P4Info) {
    let (json, info) = compile(&manifest("tests/p4/interop.p4"));
    let p4info = dir.join("p4info.txtpb");
    let pipeline = dir.join("pipeline.json");
    std::fs::write(&p4info, ddsr_proto::text::to_text(&info).unwrap()).unwrap();
    std::fs::write(&pipeline, json).unwrap();
    (p4info, pipeline, info)
}

/// One host of the compiled policy: its directory of artifacts, entry count and the number
/// of counter cells its program declares.
struct CompiledHost {
    name: String,
    dir: PathBuf,
    entries: usize,
    counter_cells: i64,
}

/// Compiles `policies/web.yaml` into `dir` as `ddsr compile` does (same library calls, same
/// artifact paths). Its Maglev table is shrunk from 65,537 to 307 buckets, the smallest prime
/// the policy checker takes without a warning for three backends: the ingress host would
/// otherwise hold about 200,000 entries, which the pure-Python protobuf runtime of the pinned
/// bindings parses in minutes. Every table and match kind of the policy stays.
fn compile_web(dir: &Path) -> Vec<CompiledHost> {
    let original = std::fs::read_to_string(manifest("../../policies/web.yaml")).unwrap();
    let small = original.replace("table_size: 65537", "table_size: 307");
    assert_ne!(small, original, "web.yaml names its Maglev table size");
    let path = dir.join("web.yaml");
    std::fs::write(&path, small).unwrap();
    let mut sources = ddsr_diag::SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    let policy = policy.unwrap_or_else(|| panic!("web.yaml checks: {diags:?}"));
    let out = ddsr_tables::compile::compile(&policy, &Default::default()).unwrap();
    let root = dir.join("out");
    for a in out.artifacts("") {
        let file = root.join(&a.path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, &a.bytes).unwrap();
    }
    out.hosts
        .iter()
        .map(|h| CompiledHost {
            name: h.plan.name.clone(),
            dir: root.join(&h.plan.name),
            entries: h.entries.len(),
            counter_cells: h.p4info.counters.iter().map(|c| c.size).sum(),
        })
        .collect()
}

/// Runs a client script with `args`. When it prints `inject` the test sends [`FRAMES`]
/// LLDP frames into port 3 and answers with their number; the last line it prints is
/// parsed as JSON. Panics with the client's stderr when it fails or outlives
/// [`CLIENT_LIMIT`].
fn run_client(service: &Service, script: &str, args: Vec<String>) -> serde_json::Value {
    let mut child = Command::new(python())
        .arg(manifest(&format!("../../tests/python/{script}")))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    // Kills a client that hangs, so that reading its stdout ends.
    let watchdog = std::thread::spawn(move || {
        let start = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if start.elapsed() > CLIENT_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let mut last = String::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        if line == "inject" {
            for i in 0..FRAMES {
                assert!(service.inject(3, &lldp(i)), "the pipeline is set");
            }
            writeln!(stdin, "{FRAMES}").unwrap();
            stdin.flush().unwrap();
        }
        last = line;
    }
    let status = watchdog.join().unwrap();
    let errors = errors.join().unwrap();
    match status {
        Some(s) if s.success() => {}
        Some(s) => panic!("{script} failed ({s}): {errors}"),
        None => panic!("{script} ran longer than {CLIENT_LIMIT:?}: {errors}"),
    }
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("{script} printed {last:?}: {e}"))
}

/// The packets that left data ports with exactly `data`, waiting up to 5 s for the first.
fn left_with(sent: &Receiver<OutPacket>, data: &[u8]) -> Vec<OutPacket> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut found = Vec::new();
    while found.is_empty() {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        match sent.recv_timeout(left) {
            Ok(p) if p.data == data => found.push(p),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    found.extend(sent.try_iter().filter(|p| p.data == data));
    found
}

/// The classify entry both clients write, as the server reads it back (canonical values).
fn classify_text(info: &p4i::P4Info) -> String {
    let classify = id_of(info, "table", "MyIngress.classify");
    let forward = id_of(info, "action", "MyIngress.forward");
    format!(
        "table_id: {classify}
match {{
  field_id: 1
  exact {{
    value: \"\\010\\000\"
  }}
}}
match {{
  field_id: 2
  lpm {{
    value: \"\\n\\000\\000\\000\"
    prefix_len: 8
  }}
}}
match {{
  field_id: 3
  ternary {{
    value: \"\\001\"
    mask: \"\\377\"
  }}
}}
match {{
  field_id: 4
  range {{
    low: \"\\001\"
    high: \"\\020\"
  }}
}}
match {{
  field_id: 5
  optional {{
    value: \"\\002\"
  }}
}}
action {{
  action {{
    action_id: {forward}
    params {{
      param_id: 1
      value: \"\\003\"
    }}
  }}
}}
priority: 5
"
    )
}

fn ecmp_text(info: &p4i::P4Info) -> String {
    let ecmp = id_of(info, "table", "MyIngress.ecmp");
    format!(
        "table_id: {ecmp}
match {{
  field_id: 1
  exact {{
    value: \"\\n\\000\\000\\001\"
  }}
}}
action {{
  action_profile_group_id: 7
}}
"
    )
}

/// Checks what both clients report about packet I/O and counters: one packet-in per LLDP
/// frame with the ingress port as metadata, the packet-out leaving port 2 once with its
/// payload, and exact packet and byte counts.
fn check_packet_io(answer: &serde_json::Value, sent: &Receiver<OutPacket>, payload: &[u8]) {
    let expected: Vec<_> = (0..FRAMES)
        .map(|i| serde_json::json!({"payload": hex(&lldp(i)), "metadata": [[1, "03"], [2, "00"]]}))
        .collect();
    assert_eq!(answer["packet_in"], serde_json::json!(expected));
    let out = left_with(sent, payload);
    assert_eq!(out.len(), 1, "the packet-out left once");
    assert_eq!(out[0].port, 2);
    let frame_len = lldp(0).len() as u64;
    assert_eq!(
        answer["counter_port_3"],
        serde_json::json!([FRAMES, u64::from(FRAMES) * frame_len])
    );
    // The packet-out is counted with its 2-byte packet_out header, as it entered the CPU port.
    assert_eq!(
        answer["counter_cpu_port"],
        serde_json::json!([1, payload.len() + 2])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_programs_the_switch() {
    let (service, address) = start(Some(CPU_PORT)).await;
    let (tx, sent) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let dir = tempfile::tempdir().unwrap();
    let hosts = compile_web(dir.path());
    let (p4info, pipeline, info) = interop_program(dir.path());

    let mut args = vec![
        address.trim_start_matches("http://").to_string(),
        DEVICE.to_string(),
        p4info.display().to_string(),
        pipeline.display().to_string(),
    ];
    args.extend(hosts.iter().map(|h| h.dir.display().to_string()));
    let client = service.clone();
    let answer = tokio::task::spawn_blocking(move || {
        run_client(&client, "p4runtime_server_client.py", args)
    })
    .await
    .unwrap();
    assert_eq!(answer["capabilities"], "1.5.0");
    assert_eq!(answer["arbitration"], Code::Ok as i32);

    // Every compiled host's entries went in and read back equal (compared by the client).
    assert_eq!(hosts.len(), 5);
    let ingress = hosts.iter().find(|h| h.name == "edge-1").unwrap();
    assert!(
        ingress.entries > 307,
        "edge-1 has {} entries",
        ingress.entries
    );
    for h in &hosts {
        let seen = &answer["hosts"][&h.name];
        assert_eq!(seen["updates"], h.entries, "{}", h.name);
        assert_eq!(seen["read"], h.entries, "{}", h.name);
        assert_eq!(seen["counter_cells"], h.counter_cells, "{}", h.name);
    }

    // The interop program.
    assert_eq!(answer["classify"], classify_text(&info));
    assert_eq!(answer["ecmp"], ecmp_text(&info));
    let selector = id_of(&info, "action_profile", "MyIngress.ecmp_selector");
    assert_eq!(
        answer["group"],
        format!(
            "action_profile_id: {selector}
group_id: 7
members {{
  member_id: 1
  weight: 1
}}
members {{
  member_id: 2
  weight: 3
}}
max_size: 4
"
        )
    );
    let mut payload = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00];
    payload.extend_from_slice(b"from python");
    check_packet_io(&answer, &sent, &payload);

    assert_eq!(answer["duplicate_status"], "UNKNOWN");
    assert_eq!(
        answer["duplicate"],
        serde_json::json!([[
            Code::AlreadyExists as i32,
            "table `MyIngress.classify` already has an entry with this key"
        ]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p4runtime_shell_programs_the_switch() {
    let (service, address) = start(Some(CPU_PORT)).await;
    let (tx, sent) = std::sync::mpsc::channel();
    service.set_port_sink(tx);
    let dir = tempfile::tempdir().unwrap();
    let hosts = compile_web(dir.path());
    let (p4info, pipeline, info) = interop_program(dir.path());
    let mut args = vec![
        address.trim_start_matches("http://").to_string(),
        DEVICE.to_string(),
        p4info.display().to_string(),
        pipeline.display().to_string(),
    ];
    args.extend(hosts.iter().map(|h| h.dir.display().to_string()));
    let client = service.clone();
    let answer =
        tokio::task::spawn_blocking(move || run_client(&client, "p4runtime_shell_client.py", args))
            .await
            .unwrap();

    // Every compiled host's entries read back equal through the shell (compared by it).
    assert_eq!(hosts.len(), 5);
    for h in &hosts {
        let seen = &answer["hosts"][&h.name];
        assert_eq!(seen["updates"], h.entries, "{}", h.name);
        assert_eq!(seen["read"], h.entries, "{}", h.name);
    }

    // The shell was told to send values padded to full width; the server answers canonical.
    assert_eq!(
        answer["sent_ternary"],
        serde_json::json!(["00000001", "000000ff"])
    );
    assert_eq!(
        answer["classify"],
        serde_json::json!([classify_text(&info)])
    );
    assert_eq!(answer["ecmp"], serde_json::json!([ecmp_text(&info)]));
    let punt = id_of(&info, "table", "MyIngress.punt");
    let send_to_cpu = id_of(&info, "action", "MyIngress.send_to_cpu");
    assert_eq!(
        answer["punt"],
        serde_json::json!([format!(
            "table_id: {punt}
match {{
  field_id: 1
  exact {{
    value: \"\\210\\314\"
  }}
}}
action {{
  action {{
    action_id: {send_to_cpu}
  }}
}}
"
        )])
    );
    let selector = id_of(&info, "action_profile", "MyIngress.ecmp_selector");
    let forward = id_of(&info, "action", "MyIngress.forward");
    let member = |id: u32, port: u8| {
        format!(
            "action_profile_id: {selector}
member_id: {id}
action {{
  action_id: {forward}
  params {{
    param_id: 1
    value: \"\\00{port}\"
  }}
}}
"
        )
    };
    assert_eq!(
        answer["members"],
        serde_json::json!([member(1, 5), member(2, 6)])
    );
    assert_eq!(
        answer["groups"],
        serde_json::json!([format!(
            "action_profile_id: {selector}
group_id: 7
members {{
  member_id: 1
  weight: 1
}}
members {{
  member_id: 2
  weight: 3
}}
"
        )])
    );
    let mut payload = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00];
    payload.extend_from_slice(b"from the shell");
    check_packet_io(&answer, &sent, &payload);
}
