//! The lab against a real kernel: two hosts on a bridge that forwards only to static entries.
//!
//! ```text
//!   [a] eth0 ---- pa [br in lan] pb ---- eth0 [b]
//!   10.9.0.1                              10.9.0.2
//! ```

use std::time::Duration;

use ddsr_netns::{Lab, is_root, remove_stale};

fn needs_root() -> bool {
    if is_root() {
        return true;
    }
    assert!(
        std::env::var("DDSR_REQUIRE_NETNS").as_deref() != Ok("1"),
        "DDSR_REQUIRE_NETNS=1 but not running as root"
    );
    eprintln!("skipped: needs root");
    false
}

const MAC_A: &str = "02:00:00:00:09:01";
const MAC_B: &str = "02:00:00:00:09:02";

fn build(lab: &mut Lab) -> (ddsr_netns::Ns, ddsr_netns::Ns) {
    let a = lab.ns("a").unwrap();
    let b = lab.ns("b").unwrap();
    let lan = lab.ns("lan").unwrap();
    lab.veth((&a, "eth0"), (&lan, "pa"), false).unwrap();
    lab.veth((&b, "eth0"), (&lan, "pb"), false).unwrap();
    lab.bridge(&lan, "br", &["pa", "pb"]).unwrap();
    for (ns, mac, addr) in [(&a, MAC_A, "10.9.0.1/24"), (&b, MAC_B, "10.9.0.2/24")] {
        lab.mac(ns, "eth0", mac).unwrap();
        lab.addr(ns, "eth0", addr).unwrap();
        lab.up(ns, "eth0").unwrap();
    }
    lab.fdb(&lan, MAC_A, "pa").unwrap();
    lab.fdb(&lan, MAC_B, "pb").unwrap();
    (a, b)
}

/// Whether a TCP connection from `from` to `to` port 7 is answered at all: a listener accepts it,
/// a closed port refuses it; only a frame lost on the way times out.
fn reaches(lab: &Lab, from: &ddsr_netns::Ns, to: &str) -> bool {
    let script = format!(
        "import socket\ntry:\n socket.create_connection(('{to}', 7), timeout=1)\nexcept ConnectionRefusedError:\n pass\n"
    );
    lab.exec(from, &["python3", "-c", &script], Duration::from_secs(10))
        .is_ok()
}

#[test]
fn static_bridge_forwards_known_macs_only_and_cleanup_removes_everything() {
    if !needs_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut lab = Lab::new("netns-lab", dir.path()).unwrap();
    let prefix = lab.prefix().to_owned();
    let (a, b) = build(&mut lab);

    // The bridge floods nothing, so ARP cannot resolve: only static neighbours work.
    assert!(
        !reaches(&lab, &a, "10.9.0.2"),
        "ARP must not cross the bridge"
    );
    lab.neigh(&a, "10.9.0.2", MAC_B, "eth0").unwrap();
    lab.neigh(&b, "10.9.0.1", MAC_A, "eth0").unwrap();
    assert!(reaches(&lab, &a, "10.9.0.2"));
    // A frame to a MAC without an entry is dropped, not flooded.
    lab.neigh(&a, "10.9.0.2", "02:00:00:00:09:99", "eth0")
        .unwrap();
    assert!(!reaches(&lab, &a, "10.9.0.2"));

    let p = lab
        .spawn(&b, "echo", &["sh", "-c", "echo ready; exec sleep 300"])
        .unwrap();
    assert!(lab.wait_log(p, "ready", Duration::from_secs(10)).is_ok());
    let pid = lab.child(p).unwrap().id();

    let errors = lab.cleanup();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        remove_stale(&prefix).unwrap().is_empty(),
        "namespaces left behind"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "process {pid} left behind"
    );
}

#[test]
fn a_panic_still_removes_namespaces_and_processes() {
    if !needs_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut prefix = String::new();
    let mut pid = 0;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut lab = Lab::new("netns-panic", dir.path()).unwrap();
        prefix = lab.prefix().to_owned();
        let (_, b) = build(&mut lab);
        let p = lab.spawn(&b, "sleep", &["sleep", "300"]).unwrap();
        pid = lab.child(p).unwrap().id();
        // A process the lab did not spawn itself, left running in one of its namespaces.
        lab.exec(
            &b,
            &["sh", "-c", "sleep 300 >/dev/null 2>&1 &"],
            Duration::from_secs(5),
        )
        .unwrap();
        panic!("assertion failed in the middle of a test");
    }));
    assert!(r.is_err());
    assert!(
        remove_stale(&prefix).unwrap().is_empty(),
        "namespaces left behind"
    );
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
