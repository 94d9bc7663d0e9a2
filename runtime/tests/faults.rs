//! The issue's fault list, each against real parts: etcd started by the test on loopback (or
//! the `dir:` store), softswitch P4Runtime devices on loopback ports in this process (a crash is
//! simulated by dropping the server and binding a fresh, empty one to the same port), and the
//! agent's own loop (a kill aborts it wherever it is).
//!
//! ```text
//!   publish ──> store (etcd | dir) ──watch/read──> agent ──P4Runtime──> softswitch
//!                      ^                             │
//!                      └────────── status ───────────┘
//! ```

mod store_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsr_runtime::publish;
use ddsr_runtime::store::layout::{self, Pointer};
use ddsr_runtime::store::{self, Options, Store};
use store_support::{
    Agent, Etcd, Switch, compile, etcd_available, eventually, expected, host_artifacts, policy,
    status_of,
};

const SERVERS: [&str; 3] = ["srv-a", "srv-b", "srv-c"];

async fn dir_store(tmp: &tempfile::TempDir) -> Arc<dyn Store> {
    let options = Options {
        poll: Some(Duration::from_millis(50)),
        ..Options::default()
    };
    store::open(&format!("dir:{}", tmp.path().display()), &options)
        .await
        .unwrap()
}

async fn publish_text(s: &dyn Store, text: &str) -> u64 {
    publish::publish(s, &[], |_| compile(text))
        .await
        .unwrap()
        .revision
}

/// Waits until the host's status reports `revision` applied without error and the device
/// holds exactly `want`.
async fn applied(s: &dyn Store, switch: &Switch, host: &str, revision: u64, want: &[Vec<u8>]) {
    applied_within(Duration::from_secs(60), s, switch, host, revision, want).await;
}

async fn applied_within(
    limit: Duration,
    s: &dyn Store,
    switch: &Switch,
    host: &str,
    revision: u64,
    want: &[Vec<u8>],
) {
    eventually(
        limit,
        &format!("{host} applies revision {revision}"),
        || async {
            let st = status_of(s, host).await?;
            (st.applied_revision == Some(revision) && st.last_error.is_none()).then_some(())?;
            (switch.read_back().await? == want).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_down_for_10_s_leaves_forwarding_alone_and_the_agent_catches_up() {
    if !etcd_available() {
        return;
    }
    let mut etcd = Etcd::start();
    let s = store::open(&etcd.url(), &Options::default()).await.unwrap();
    let switch = Switch::start().await;
    let v1 = compile(&policy(&SERVERS, 257, 1)).unwrap();
    let rev1 = publish_text(&*s, &policy(&SERVERS, 257, 1)).await;
    let agent = Agent::spawn(
        s.clone(),
        "in-1",
        switch.target(1),
        Duration::from_secs(1),
        500,
    );
    let want1 = expected(&host_artifacts(&v1, "in-1"));
    applied(&*s, &switch, "in-1", rev1, &want1).await;

    etcd.stop();
    let down = Instant::now();
    while down.elapsed() < Duration::from_secs(10) {
        assert_eq!(
            switch.read_back().await.as_ref(),
            Some(&want1),
            "entries stay while etcd is down"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    etcd.restart();

    // A publish after the restart: one backend fewer.
    let text2 = policy(&SERVERS[..2], 257, 1);
    let v2 = compile(&text2).unwrap();
    let rev2 = eventually(Duration::from_secs(20), "publish after restart", || async {
        publish::publish(&*s, &[], |_| compile(&text2)).await.ok()
    })
    .await
    .revision;
    assert_eq!(rev2, rev1 + 1);
    let want2 = expected(&host_artifacts(&v2, "in-1"));
    assert_ne!(want1, want2);
    applied(&*s, &switch, "in-1", rev2, &want2).await;
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_softswitch_gets_pipeline_and_entries_again() {
    let tmp = tempfile::tempdir().unwrap();
    let s = dir_store(&tmp).await;
    let mut switch = Switch::start().await;
    let text = policy(&SERVERS, 257, 1);
    let rev = publish_text(&*s, &text).await;
    let want = expected(&host_artifacts(&compile(&text).unwrap(), "srv-a"));
    let agent = Agent::spawn(
        s.clone(),
        "srv-a",
        switch.target(1),
        Duration::from_millis(300),
        500,
    );
    applied(&*s, &switch, "srv-a", rev, &want).await;

    switch.kill().await;
    // While the device is gone the agent reports it and keeps going.
    eventually(
        Duration::from_secs(20),
        "the outage is reported",
        || async {
            let st = status_of(&*s, "srv-a").await?;
            st.last_error?.contains("cannot connect").then_some(())
        },
    )
    .await;
    switch.restart().await;
    assert_eq!(
        switch.read_back().await,
        None,
        "no pipeline after the restart"
    );
    applied(&*s, &switch, "srv-a", rev, &want).await;
    let st = status_of(&*s, "srv-a").await.unwrap();
    assert!(st.pipeline_pushed, "{st:?}");
    assert_eq!(st.inserted, want.len());
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_with_errors_is_refused_at_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let s = dir_store(&tmp).await;
    let rev = publish_text(&*s, &policy(&SERVERS, 257, 1)).await;
    let before = s.list("ddsr/").await.unwrap();
    let bad = policy(&SERVERS, 256, 1);
    let err = publish::publish(&*s, &[], |_| compile(&bad))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("error[E0020]: table_size 256 is not prime\n   ┌─ policy.yaml:11:47\n"),
        "{err}"
    );
    assert_eq!(s.list("ddsr/").await.unwrap(), before, "nothing stored");
    let (p, _) = layout::read_pointer(&*s).await.unwrap().unwrap();
    assert_eq!(p.revision, rev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_artifact_is_refused_and_the_device_keeps_the_last_good_entries() {
    if !etcd_available() {
        return;
    }
    let etcd = Etcd::start();
    let s = store::open(&etcd.url(), &Options::default()).await.unwrap();
    let switch = Switch::start().await;
    let text1 = policy(&SERVERS, 257, 1);
    let rev1 = publish_text(&*s, &text1).await;
    let want1 = expected(&host_artifacts(&compile(&text1).unwrap(), "in-1"));
    let agent = Agent::spawn(
        s.clone(),
        "in-1",
        switch.target(1),
        Duration::from_millis(500),
        500,
    );
    applied(&*s, &switch, "in-1", rev1, &want1).await;

    // Revision 2 is stored whole, then one chunk is changed before the pointer moves.
    let set2 = compile(&policy(&SERVERS[..2], 257, 1)).unwrap();
    let sha = layout::check_set(&set2).unwrap();
    assert!(layout::write_revision(&*s, 2, &set2).await.unwrap());
    let key = layout::chunk_key(2, "in-1/entries.txtpb", 0);
    let mut chunk = s.get(&key).await.unwrap().unwrap();
    let at = chunk.len() / 2;
    chunk[at] ^= 1;
    s.put(&key, &chunk).await.unwrap();
    let (_, raw) = layout::read_pointer(&*s).await.unwrap().unwrap();
    let to = Pointer {
        revision: 2,
        manifest_sha256: sha,
    };
    assert!(layout::move_pointer(&*s, Some(&raw), &to).await.unwrap());

    let st = eventually(
        Duration::from_secs(30),
        "the hash error is reported",
        || async {
            let st = status_of(&*s, "in-1").await?;
            (st.desired_revision == Some(2) && st.last_error.is_some()).then_some(st)
        },
    )
    .await;
    let error = st.last_error.unwrap();
    assert!(
        error.starts_with(
            "revision 2 refused: `ddsr/revisions/2/files/in-1/entries.txtpb/00000`: SHA-256 \
             mismatch for `in-1/entries.txtpb`"
        ),
        "{error}"
    );
    assert_eq!(st.applied_revision, Some(rev1));
    assert_eq!(
        switch.read_back().await.unwrap(),
        want1,
        "last good entries kept"
    );
    // The other hosts' artifacts of revision 2 are intact: their agents would apply them.
    let p = layout::read_pointer(&*s).await.unwrap().unwrap().0;
    assert!(layout::read_host(&*s, &p, "srv-a").await.is_ok());
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_load_converges_on_rerun_with_no_duplicates_or_orphans() {
    // 4 pools x 50,021 buckets on the ingress host: just over 200,000 entries (a debug build
    // uses 4 x 5,003 to stay quick).
    let size = if cfg!(debug_assertions) {
        5_003
    } else {
        50_021
    };
    let tmp = tempfile::tempdir().unwrap();
    let s = dir_store(&tmp).await;
    // 30 ms per Write of 1,000 entries: the load takes at least 6 s (0.6 s in debug builds),
    // so the kill below lands in its middle on any machine.
    let switch = Switch::slowed(Duration::from_millis(30)).await;
    // Revision 1 (a small one) first, so that the big load also has entries to delete.
    let small = policy(&SERVERS, 257, 1);
    let rev1 = publish_text(&*s, &small).await;
    let agent = Agent::spawn(
        s.clone(),
        "in-1",
        switch.target(1),
        Duration::from_secs(60),
        1000,
    );
    let want1 = expected(&host_artifacts(&compile(&small).unwrap(), "in-1"));
    applied(&*s, &switch, "in-1", rev1, &want1).await;

    let big = policy(&SERVERS, size, 4);
    let want = expected(&host_artifacts(&compile(&big).unwrap(), "in-1"));
    assert!(want.len() > 4 * size as usize, "{}", want.len());
    let rev2 = publish_text(&*s, &big).await;
    // Kill the agent once the device holds a part of the new entries.
    let partial = eventually(
        Duration::from_secs(120),
        "the load is under way",
        || async {
            let n = switch.read_back().await?.len();
            (n > want.len() / 5).then_some(n)
        },
    )
    .await;
    agent.kill().await;
    // A Write already sent when the agent died may still land (as with a killed process);
    // after that nothing may change. Regression: the agent's step once ran as a detached task
    // and went on loading after the agent was gone (at 30 ms per batch, 30 batches a second).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let left = switch.read_back().await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        switch.read_back().await.unwrap().len(),
        left.len(),
        "the device changed after the agent was killed"
    );
    assert!(
        left.len() < want.len(),
        "killed mid-load: {} of {} entries",
        left.len(),
        want.len()
    );
    assert!(left.len() >= partial);

    let started = Instant::now();
    let agent = Agent::spawn(
        s.clone(),
        "in-1",
        switch.target(2),
        Duration::from_secs(60),
        1000,
    );
    applied_within(Duration::from_secs(180), &*s, &switch, "in-1", rev2, &want).await;
    let st = status_of(&*s, "in-1").await.unwrap();
    assert!(!st.pipeline_pushed, "the same program stays: {st:?}");
    assert_eq!(st.entries, want.len());
    // Only what was missing or stale was written.
    let kept = left
        .iter()
        .filter(|e| want.binary_search(e).is_ok())
        .count();
    assert_eq!(st.inserted + st.modified, want.len() - kept, "{st:?}");
    assert_eq!(st.deleted + kept + st.modified, left.len(), "{st:?}");
    eprintln!(
        "rerun converged {} entries ({} already there) in {:?}",
        want.len(),
        kept,
        started.elapsed()
    );
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_for_one_device_only_the_primary_writes() {
    let tmp1 = tempfile::tempdir().unwrap();
    let tmp2 = tempfile::tempdir().unwrap();
    let s1 = dir_store(&tmp1).await;
    let s2 = dir_store(&tmp2).await;
    let switch = Switch::start().await;
    // The two stores want different entries on the same host, so the device shows who wrote.
    let text1 = policy(&SERVERS, 257, 1);
    let text2 = policy(&SERVERS[..2], 257, 1);
    let rev1 = publish_text(&*s1, &text1).await;
    publish_text(&*s2, &text2).await;
    let want1 = expected(&host_artifacts(&compile(&text1).unwrap(), "in-1"));
    let primary = Agent::spawn(
        s1.clone(),
        "in-1",
        switch.target(10),
        Duration::from_millis(300),
        500,
    );
    applied(&*s1, &switch, "in-1", rev1, &want1).await;
    let backup = Agent::spawn(
        s2.clone(),
        "in-1",
        switch.target(5),
        Duration::from_millis(300),
        500,
    );
    let st = eventually(Duration::from_secs(20), "the backup reports", || async {
        status_of(&*s2, "in-1")
            .await
            .filter(|st| st.last_error.is_some())
    })
    .await;
    assert!(
        st.last_error.as_deref().unwrap().contains("not primary"),
        "{st:?}"
    );
    assert_eq!(st.applied_revision, None);
    // Several resync periods later the device still holds the primary's entries.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(switch.read_back().await.unwrap(), want1);
    let st = status_of(&*s1, "in-1").await.unwrap();
    assert_eq!((st.applied_revision, st.last_error), (Some(rev1), None));
    backup.shutdown().await;
    primary.shutdown().await;
}

/// Regression: the first event of every watch carries the pointer the agent's first step has
/// already applied, and it used to trigger a second full step (re-reading and diffing every
/// entry). A 200,000-entry host was then still busy when asked to stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_agent_steps_again_only_when_the_pointer_moves() {
    use ddsr_runtime::agent::{self, Config};
    use ddsr_runtime::load::{LoadOptions, PushPipeline};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let tmp = tempfile::tempdir().unwrap();
    let s = dir_store(&tmp).await;
    let switch = Switch::start().await;
    let text1 = policy(&SERVERS, 257, 1);
    let rev1 = publish_text(&*s, &text1).await;
    let want1 = expected(&host_artifacts(&compile(&text1).unwrap(), "in-1"));
    let steps = Arc::new(AtomicUsize::new(0));
    let counted = steps.clone();
    let config = Config {
        host: "in-1".into(),
        target: switch.target(1),
        resync: Duration::from_secs(600),
        load: LoadOptions {
            push_pipeline: PushPipeline::IfDifferent,
            dry_run: false,
            batch_size: 500,
            progress: false,
        },
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(agent::run(
        s.clone(),
        config,
        async {
            let _ = stopped.await;
        },
        move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
        },
    ));
    applied(&*s, &switch, "in-1", rev1, &want1).await;
    // The store is polled every 50 ms: a second of quiet gives the watch 20 chances.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(steps.load(Ordering::SeqCst), 1, "one step for one revision");

    let text2 = policy(&SERVERS[..2], 257, 1);
    let rev2 = publish_text(&*s, &text2).await;
    let want2 = expected(&host_artifacts(&compile(&text2).unwrap(), "in-1"));
    applied(&*s, &switch, "in-1", rev2, &want2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        steps.load(Ordering::SeqCst),
        2,
        "one more step for the new revision"
    );

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the agent stops within 10 s")
        .expect("the agent task ends cleanly");
}
