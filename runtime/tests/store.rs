//! The store contract, one test body run on both backends: `dir:` in a temporary directory and
//! etcd started by the test on loopback.

mod store_support;

use std::sync::Arc;
use std::time::Duration;

use ddsr_runtime::publish::{self, PublishError};
use ddsr_runtime::store::layout::{self, CHUNK, Pointer, RevisionError};
use ddsr_runtime::store::{self, Event, Options, Store};
use ddsr_tables::back::Artifact;
use ddsr_tables::back::manifest::{manifest, sha256};
use store_support::{Etcd, etcd_available};

async fn next(w: &mut store::Watch) -> Event {
    tokio::time::timeout(Duration::from_secs(10), w.recv())
        .await
        .expect("a watch event within 10 s")
        .expect("the watch stays open")
}

/// A compiled-looking artifact set: two hosts, one artifact over two chunks, one empty.
fn artifact_set(tag: &str) -> Vec<Artifact> {
    let big: Vec<u8> = (0..CHUNK * 2 + 17).map(|i| (i % 251) as u8).collect();
    let mut set = vec![
        Artifact::new("in-1/entries.txtpb", big),
        Artifact::new("in-1/p4info.txtpb", format!("# {tag}\n")),
        Artifact::new("in-1/empty.txt", ""),
        Artifact::new("srv-1/entries.txtpb", format!("srv {tag}\n")),
    ];
    let m = manifest(&[("p.yaml".into(), tag.into())], &set);
    set.push(m);
    set
}

async fn contract(s: Arc<dyn Store>) {
    // Plain keys.
    assert_eq!(s.get("ddsr/x").await.unwrap(), None);
    assert!(s.list("ddsr/").await.unwrap().is_empty());
    assert!(s.create("ddsr/r/1/a", b"one").await.unwrap());
    assert!(!s.create("ddsr/r/1/a", b"two").await.unwrap());
    assert_eq!(
        s.get("ddsr/r/1/a").await.unwrap().as_deref(),
        Some(&b"one"[..])
    );
    s.put("ddsr/status/h", b"s1").await.unwrap();
    s.put("ddsr/status/h", b"s2").await.unwrap();
    assert_eq!(
        s.get("ddsr/status/h").await.unwrap().as_deref(),
        Some(&b"s2"[..])
    );
    assert!(s.create("ddsr/r/1/b/c", b"").await.unwrap());
    assert_eq!(
        s.get("ddsr/r/1/b/c").await.unwrap().as_deref(),
        Some(&b""[..])
    );
    assert_eq!(
        s.list("ddsr/r/").await.unwrap(),
        ["ddsr/r/1/a", "ddsr/r/1/b/c"]
    );
    assert!(matches!(
        s.get("ddsr/../x").await,
        Err(store::Error::Key { .. })
    ));

    // Compare-and-swap.
    assert!(s.swap("ddsr/p", None, b"1").await.unwrap());
    assert!(!s.swap("ddsr/p", None, b"2").await.unwrap());
    assert!(!s.swap("ddsr/p", Some(b"0"), b"2").await.unwrap());
    assert!(s.swap("ddsr/p", Some(b"1"), b"2").await.unwrap());
    assert_eq!(s.get("ddsr/p").await.unwrap().as_deref(), Some(&b"2"[..]));

    // Concurrent increments through swap lose no update; concurrent creates have one winner.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..8 {
                loop {
                    let old = s.get("ddsr/counter").await.unwrap();
                    let n: u32 = old
                        .as_deref()
                        .map_or(0, |b| std::str::from_utf8(b).unwrap().parse().unwrap());
                    let new = (n + 1).to_string();
                    if s.swap("ddsr/counter", old.as_deref(), new.as_bytes())
                        .await
                        .unwrap()
                    {
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        s.get("ddsr/counter").await.unwrap().as_deref(),
        Some(&b"48"[..])
    );
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.create("ddsr/once", &[i]).await.unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);

    // Watch: the current value first, then each change.
    let mut w = s.watch("ddsr/w");
    assert_eq!(next(&mut w).await, Event::Changed(None));
    s.put("ddsr/w", b"a").await.unwrap();
    assert_eq!(next(&mut w).await, Event::Changed(Some(b"a".to_vec())));
    assert!(s.swap("ddsr/w", Some(b"a"), b"b").await.unwrap());
    assert_eq!(next(&mut w).await, Event::Changed(Some(b"b".to_vec())));
    drop(w);

    // Revisions: chunked artifacts read back equal; hash checks catch a changed chunk.
    let set = artifact_set("v1");
    let msha = layout::check_set(&set).unwrap();
    assert!(layout::write_revision(&*s, 7, &set).await.unwrap());
    assert!(!layout::write_revision(&*s, 7, &set).await.unwrap());
    let p = Pointer {
        revision: 7,
        manifest_sha256: msha.clone(),
    };
    let files = layout::read_host(&*s, &p, "in-1").await.unwrap();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["empty.txt", "entries.txtpb", "p4info.txtpb"]
    );
    assert_eq!(files["entries.txtpb"], set[0].bytes);
    assert_eq!(files["empty.txt"], b"");
    assert_eq!(
        s.list("ddsr/revisions/7/files/in-1/entries.txtpb/")
            .await
            .unwrap(),
        [
            "ddsr/revisions/7/files/in-1/entries.txtpb/00000",
            "ddsr/revisions/7/files/in-1/entries.txtpb/00001",
            "ddsr/revisions/7/files/in-1/entries.txtpb/00002"
        ]
    );
    match layout::read_host(&*s, &p, "edge-9").await {
        Err(RevisionError::NoHost { revision: 7, host }) => assert_eq!(host, "edge-9"),
        other => panic!("{other:?}"),
    }
    s.put(
        "ddsr/revisions/7/files/in-1/entries.txtpb/00001",
        b"tampered",
    )
    .await
    .unwrap();
    let err = layout::read_host(&*s, &p, "in-1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "`ddsr/revisions/7/files/in-1/entries.txtpb/00000`: `in-1/entries.txtpb` has 1048601 \
         bytes, the manifest lists 2097169"
    );
    s.put(
        "ddsr/revisions/7/files/srv-1/entries.txtpb/00000",
        b"srv v2\n",
    )
    .await
    .unwrap();
    let err = layout::read_host(&*s, &p, "srv-1").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`ddsr/revisions/7/files/srv-1/entries.txtpb/00000`: SHA-256 mismatch for \
             `srv-1/entries.txtpb`: manifest {}, stored {}",
            sha256(b"srv v1\n"),
            sha256(b"srv v2\n")
        )
    );
    let wrong = Pointer {
        revision: 7,
        manifest_sha256: sha256(b"other"),
    };
    assert!(matches!(
        layout::read_host(&*s, &wrong, "in-1").await,
        Err(RevisionError::Corrupt { .. })
    ));
}

async fn publishing(s: Arc<dyn Store>) {
    // A compile error publishes nothing.
    let r = publish::publish(&*s, &["buckets.json"], |_| {
        Err::<Vec<Artifact>, _>("bad policy")
    })
    .await;
    assert!(matches!(r, Err(PublishError::Compile("bad policy"))));
    assert!(s.list("ddsr/").await.unwrap().is_empty());

    // A set whose manifest does not list it is refused before anything is stored.
    let r = publish::publish(&*s, &[], |_| {
        let mut set = artifact_set("v1");
        set[1].bytes.push(b'!');
        Ok::<_, &str>(set)
    })
    .await;
    match r {
        Err(PublishError::Revision(RevisionError::Unlisted { path })) => {
            assert_eq!(path, "in-1/p4info.txtpb");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.list("ddsr/").await.unwrap().is_empty());

    // First and second revision; the second compile sees what the first carried.
    let first = publish::publish(&*s, &["buckets.json"], |carried| {
        assert_eq!(carried, None);
        let mut set = artifact_set("v1");
        set.pop();
        set.push(Artifact::new("buckets.json", "{\"v\":1}"));
        let m = manifest(&[], &set);
        set.push(m);
        Ok::<_, &str>(set)
    })
    .await
    .unwrap();
    assert_eq!(
        (first.revision, first.previous, first.attempts),
        (1, None, 1)
    );
    let second = publish::publish(&*s, &["buckets.json"], |carried| {
        let c = carried.expect("a previous revision");
        assert_eq!(c.revision, 1);
        assert_eq!(c.files["buckets.json"], b"{\"v\":1}");
        Ok::<_, &str>(artifact_set("v2"))
    })
    .await
    .unwrap();
    assert_eq!((second.revision, second.previous), (2, Some(1)));
    let (p, _) = layout::read_pointer(&*s).await.unwrap().unwrap();
    assert_eq!(p.revision, 2);
    assert_eq!(
        layout::read_host(&*s, &p, "srv-1").await.unwrap()["entries.txtpb"],
        b"srv v2\n"
    );

    // Racing publishers both land, on distinct revisions, and the pointer names the later one.
    let (a, b) = tokio::join!(
        publish::publish(&*s, &[], |_| Ok::<_, &str>(artifact_set("a"))),
        publish::publish(&*s, &[], |_| Ok::<_, &str>(artifact_set("b"))),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.revision, b.revision);
    let (p, _) = layout::read_pointer(&*s).await.unwrap().unwrap();
    assert_eq!(p.revision, a.revision.max(b.revision));
    let later = if a.revision > b.revision { &a } else { &b };
    assert_eq!(later.previous, Some(a.revision.min(b.revision)));
}

#[tokio::test]
async fn dir_store_keeps_the_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let options = Options {
        poll: Some(Duration::from_millis(20)),
        ..Options::default()
    };
    let url = format!("dir:{}", tmp.path().join("a").display());
    contract(store::open(&url, &options).await.unwrap()).await;
    let url = format!("dir:{}", tmp.path().join("b").display());
    publishing(store::open(&url, &options).await.unwrap()).await;
    // No temporary file is left behind.
    let mut stack = vec![tmp.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(".tmp"),
                "left behind: {}",
                e.path().display()
            );
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
}

#[tokio::test]
async fn etcd_store_keeps_the_contract() {
    if !etcd_available() {
        return;
    }
    let etcd = Etcd::start();
    let s = store::open(&etcd.url(), &Options::default()).await.unwrap();
    contract(s).await;
    let other = Etcd::start();
    publishing(
        store::open(&other.url(), &Options::default())
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn etcd_watch_reports_the_outage_and_catches_up() {
    if !etcd_available() {
        return;
    }
    let mut etcd = Etcd::start();
    let s = store::open(&etcd.url(), &Options::default()).await.unwrap();
    s.put("ddsr/current", b"1").await.unwrap();
    let mut w = s.watch("ddsr/current");
    assert_eq!(next(&mut w).await, Event::Changed(Some(b"1".to_vec())));
    etcd.stop();
    assert!(matches!(next(&mut w).await, Event::Lost(_)));
    etcd.restart();
    s.put("ddsr/current", b"2").await.unwrap();
    // After the outage: Reconnected, then the value as read (the put may come before or after
    // the re-read, so it is either in that value or in one more event).
    let mut events = Vec::new();
    loop {
        let e = next(&mut w).await;
        let done = e == Event::Changed(Some(b"2".to_vec()));
        if !matches!(e, Event::Lost(_)) {
            events.push(e);
        }
        if done {
            break;
        }
    }
    assert_eq!(events[0], Event::Reconnected);
}
