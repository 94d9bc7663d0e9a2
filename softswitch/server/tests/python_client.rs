//! Interop with the official `p4runtime` Python bindings and grpcio (installed from PyPI
//! into the venv `tests/python/pyenv.py` builds): `tests/python/p4runtime_server_client.py`
//! connects to this server, becomes primary, pushes the pipeline and P4Info compiled by ddsr,
//! writes an entry with every match kind, reads it back equal, and decodes the per-update
//! error of a duplicate insert from `grpc-status-details-bin`.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use ddsr_proto::google::rpc::Code;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_programs_the_switch() {
    let (_service, address) = start(None).await;
    let (json, info) = compile(&manifest("tests/p4/match_kinds.p4"));
    let dir = tempfile::tempdir().unwrap();
    let p4info = dir.path().join("p4info.txtpb");
    let pipeline = dir.path().join("pipeline.json");
    std::fs::write(&p4info, ddsr_proto::text::to_text(&info).unwrap()).unwrap();
    std::fs::write(&pipeline, json).unwrap();

    let address = address.trim_start_matches("http://").to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python())
            .arg(manifest("../../tests/python/p4runtime_server_client.py"))
            .args([address.as_str(), &DEVICE.to_string()])
            .arg(&p4info)
            .arg(&pipeline)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the Python client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["capabilities"], "1.5.0");
    assert_eq!(answer["arbitration"], Code::Ok as i32);
    let classify = id_of(&info, "table", "MyIngress.classify");
    let forward = id_of(&info, "action", "MyIngress.forward");
    assert_eq!(
        answer["read"].as_str().unwrap(),
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
    params {{
      param_id: 2
      value: \"\\002\\000\\000\\000\\000\\001\"
    }}
  }}
}}
priority: 5
"
        )
    );
    assert_eq!(answer["duplicate_status"], "UNKNOWN");
    assert_eq!(
        answer["duplicate"],
        serde_json::json!([[
            Code::AlreadyExists as i32,
            "table `MyIngress.classify` already has an entry with this key"
        ]])
    );
}
