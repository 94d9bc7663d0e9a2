//! The configuration store: where `ddsr publish` puts compiled revisions and where every host's
//! agent finds its desired state and reports its status.
//!
//! [`Store`] is a small key-value interface over `/`-separated string keys with exactly the
//! operations publish, agent and status need: plain reads, listing by prefix, create-if-absent
//! for the immutable revision objects, a compare-and-swap for the mutable `current` pointer
//! (one transaction), plain puts for status records, and a watch that only *triggers* re-reads.
//! Two backends implement it: [`dir`] (a local directory, no daemon) and [`etcd`] (etcd v3).
//! [`layout`] places revisions, the pointer and status records on top of it; the key layout is
//! documented in `docs/store.md`.
//!
//! Invariants every backend keeps:
//! - a key written by [`Store::create`] is never changed by `create` again (it answers `false`);
//! - [`Store::swap`] changes the key only when its current value is the expected one, atomically
//!   with the comparison;
//! - a reader never sees a partly written value.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

pub mod dir;
pub mod etcd;
pub mod layout;

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid store URL `{url}`: {why}")]
    Url { url: String, why: String },
    #[error("invalid key `{key}`: {why}")]
    Key { key: String, why: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("etcd: {0}")]
    Etcd(#[from] etcd_client::Error),
    #[error("cannot read `{path}`: {why}")]
    Read { path: String, why: String },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// What a watch reports. Events are triggers: after any of them the watcher re-reads what it
/// needs, because a backend may merge changes or lose history (etcd compaction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The watched key now holds this value (`None`: deleted).
    Changed(Option<Vec<u8>>),
    /// The watch was re-established after the store was unreachable; changes may have been
    /// missed.
    Reconnected,
    /// The store is unreachable; the watch keeps retrying with bounded backoff.
    Lost(String),
}

/// The receiving end of a watch. Dropping it ends the background task that feeds it.
pub type Watch = mpsc::Receiver<Event>;

/// The operations publish, agent and status need from a configuration store.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// The value of `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error>;

    /// Every key that starts with `prefix` (which ends with `/`), sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error>;

    /// Stores `value` under `key` unless the key exists. Returns whether it was stored.
    async fn create(&self, key: &str, value: &[u8]) -> Result<bool, Error>;

    /// Sets `key` to `value` if its current value is `expected` (`None`: the key is absent), in
    /// one transaction. Returns whether it was set.
    async fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool, Error>;

    /// Sets `key` to `value` unconditionally.
    async fn put(&self, key: &str, value: &[u8]) -> Result<(), Error>;

    /// Watches `key`: the first event is its current value (or [`Event::Lost`]), then one event
    /// per change, reconnect or outage, until the receiver is dropped.
    fn watch(&self, key: &str) -> Watch;

    /// The store's URL without secrets, for messages.
    fn describe(&self) -> String;
}

/// Credentials and TLS files for etcd, from command-line options; each overrides the URL's
/// query parameter of the same meaning.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub user: Option<String>,
    pub password: Option<String>,
    /// PEM file of the CA that signed etcd's certificate; implies TLS.
    pub ca: Option<PathBuf>,
    /// PEM files of a client certificate and its key (mutual TLS).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// How often the directory backend polls a watched key.
    pub poll: Option<Duration>,
}

/// Opens the store named by `url`: `dir:PATH` or `etcd://HOST:PORT[,HOST:PORT...][?query]`
/// (query keys `user`, `password`, `ca`, `cert`, `key`, `tls=1`; `etcds://` means TLS).
pub async fn open(url: &str, options: &Options) -> Result<Arc<dyn Store>, Error> {
    if let Some(path) = url.strip_prefix("dir:") {
        if path.is_empty() {
            return Err(Error::Url {
                url: url.into(),
                why: "expected a directory after `dir:`".into(),
            });
        }
        let poll = options.poll.unwrap_or(dir::POLL);
        return Ok(Arc::new(dir::Dir::open(PathBuf::from(path), poll)?));
    }
    if url.starts_with("etcd://") || url.starts_with("etcds://") {
        let config = etcd::Config::parse(url, options)?;
        return Ok(Arc::new(etcd::Etcd::connect(config).await?));
    }
    Err(Error::Url {
        url: url.into(),
        why: "expected `dir:PATH` or `etcd://HOST:PORT`".into(),
    })
}

/// Checks a key: `/`-separated non-empty segments, none `.` or `..` or starting with `.`
/// (the directory backend keeps its temporary files there), no NUL.
pub(crate) fn check_key(key: &str) -> Result<(), Error> {
    let bad = |why: &str| {
        Err(Error::Key {
            key: key.into(),
            why: why.into(),
        })
    };
    if key.is_empty() {
        return bad("empty key");
    }
    if key.contains('\0') {
        return bad("NUL in key");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return bad("empty segment");
        }
        if segment.starts_with('.') {
            return bad("a segment starts with `.`");
        }
    }
    Ok(())
}

/// Backoff for reconnect loops: doubles from 100 ms up to `max`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(max: Duration) -> Self {
        Backoff {
            next: Duration::from_millis(100),
            max,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = Duration::from_millis(100);
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(check_key("ddsr/revisions/1/files/in-1/entries.txtpb/00000").is_ok());
        for (key, why) in [
            ("", "empty key"),
            ("a//b", "empty segment"),
            ("a/", "empty segment"),
            ("a/../b", "a segment starts with `.`"),
            ("a/.tmp", "a segment starts with `.`"),
            ("a\0b", "NUL in key"),
        ] {
            match check_key(key) {
                Err(Error::Key { why: w, .. }) => assert_eq!(w, why, "{key:?}"),
                other => panic!("{key:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_bound() {
        let mut b = Backoff::new(Duration::from_millis(500));
        let d: Vec<u128> = (0..5).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 500, 500]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 100);
    }

    #[tokio::test]
    async fn bad_urls_are_refused() {
        for (url, why) in [
            ("redis://x", "expected `dir:PATH` or `etcd://HOST:PORT`"),
            ("dir:", "expected a directory after `dir:`"),
            ("etcd://", "expected HOST:PORT endpoints"),
            ("etcd://h:1?colour=red", "unknown query key `colour`"),
            ("etcd://h:1,,h:2", "empty endpoint"),
        ] {
            match open(url, &Options::default()).await {
                Err(Error::Url { why: w, .. }) => assert_eq!(w, why, "{url}"),
                other => panic!("{url}: {other:?}"),
            }
        }
    }
}
