//! Benchmark: time from `publish` to every agent applied, for a one-backend change.
//!
//! Three softswitch devices (ingress `in-1`, server `srv-a`, egress `eg-1`) in this process,
//! each with its agent, and a store (`dir` in a temporary directory, or a real `etcd` started on
//! loopback). One VIP whose pool has 16 backends and a 65,537-slot Maglev table. Each round
//! removes one backend (or puts it back), publishes (compile + store + pointer swap), and waits
//! until all three agents report the new revision applied (status polled every 5 ms).
//!
//! `cargo run --release -p ddsr-runtime --example publish_latency -- [dir|etcd] [ROUNDS]`

#[path = "../tests/store_support/mod.rs"]
mod store_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsr_runtime::publish;
use ddsr_runtime::store::{self, Options, Store};
use store_support::{Agent, Etcd, Switch, compile, policy, status_of};

const HOSTS: [&str; 3] = ["in-1", "srv-a", "eg-1"];

async fn all_applied(s: &dyn Store, revision: u64) -> Vec<usize> {
    loop {
        let mut writes = Vec::new();
        for h in HOSTS {
            match status_of(s, h).await {
                Some(st) if st.applied_revision == Some(revision) && st.last_error.is_none() => {
                    writes.push(st.inserted + st.modified + st.deleted);
                }
                _ => break,
            }
        }
        if writes.len() == HOSTS.len() {
            return writes;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "dir".into());
    let rounds: usize = args
        .next()
        .map_or(6, |r| r.parse().expect("ROUNDS is a number"));
    let tmp = tempfile::tempdir().unwrap();
    let etcd;
    let s: Arc<dyn Store> = match kind.as_str() {
        "dir" => store::open(
            &format!("dir:{}", tmp.path().display()),
            &Options {
                poll: Some(Duration::from_millis(20)),
                ..Options::default()
            },
        )
        .await
        .unwrap(),
        "etcd" => {
            etcd = Etcd::start();
            store::open(&etcd.url(), &Options::default()).await.unwrap()
        }
        other => panic!("expected `dir` or `etcd`, found `{other}`"),
    };
    let names: Vec<String> = (b'a'..=b'p')
        .map(|c| format!("srv-{}", c as char))
        .collect();
    let all: Vec<&str> = names.iter().map(String::as_str).collect();
    let fewer = &all[..15];

    let mut switches = Vec::new();
    let mut agents = Vec::new();
    for h in HOSTS {
        let sw = Switch::start().await;
        agents.push(Agent::spawn(
            s.clone(),
            h,
            sw.target(1),
            Duration::from_secs(30),
            5_000,
        ));
        switches.push(sw);
    }
    let text = policy(&all, 65_537, 1);
    let t0 = Instant::now();
    let first = publish::publish(&*s, &[], |_| compile(&text))
        .await
        .unwrap();
    let t1 = Instant::now();
    let writes = all_applied(&*s, first.revision).await;
    println!(
        "store {kind}: first revision {} ({} bytes): publish {} ms, fresh devices converged {} ms later (writes {writes:?})",
        first.revision,
        first.bytes,
        ms(t1 - t0),
        ms(t1.elapsed())
    );
    println!(
        "round | change | publish ms | to all applied ms | total ms | writes in-1, srv-a, eg-1"
    );
    let mut totals = Vec::new();
    for round in 1..=rounds {
        let (backends, change) = if round % 2 == 1 {
            (fewer, "remove srv-p")
        } else {
            (&all[..], "add srv-p")
        };
        let text = policy(backends, 65_537, 1);
        let t0 = Instant::now();
        let p = publish::publish(&*s, &[], |_| compile(&text))
            .await
            .unwrap();
        let t1 = Instant::now();
        let writes = all_applied(&*s, p.revision).await;
        let t2 = Instant::now();
        totals.push(t2 - t0);
        println!(
            "{round:5} | {change:12} | {:>10} | {:>17} | {:>8} | {writes:?}",
            ms(t1 - t0),
            ms(t2 - t1),
            ms(t2 - t0)
        );
    }
    totals.sort();
    println!(
        "median publish-to-all-applied: {} ms over {rounds} rounds",
        ms(totals[totals.len() / 2])
    );
    for a in agents {
        a.shutdown().await;
    }
}
