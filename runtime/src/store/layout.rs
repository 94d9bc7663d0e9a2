//! Where revisions, the `current` pointer and status records live in a [`Store`], and how they
//! are written and read back with every byte checked (key layout: `docs/store.md`).
//!
//! ```text
//! ddsr/current                               {"revision": N, "manifest_sha256": "..."}
//! ddsr/revisions/N/revision.json             claim of N: format, chunk size, creation time
//! ddsr/revisions/N/files/PATH/KKKKK          artifact PATH (as in the compile output), in chunks
//! ddsr/status/HOST                           the host agent's last report
//! ```
//!
//! A revision is immutable: `revision.json` is created exclusively (two publishers never share
//! an N), every chunk is created exclusively, and nothing rewrites them. Artifacts are split into
//! chunks of at most [`CHUNK`] bytes because etcd refuses requests over 1.5 MiB by default. The
//! pointer names the manifest's SHA-256 and the manifest names every artifact's, so a reader that
//! starts from `current` checks every byte it uses against a chain of hashes.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use ddsr_tables::back::Artifact;
use ddsr_tables::back::manifest::sha256;
use serde::{Deserialize, Serialize};

use super::{Error, Store};

pub const CURRENT: &str = "ddsr/current";
pub const STATUS_PREFIX: &str = "ddsr/status/";
pub const MANIFEST: &str = "manifest.json";

/// Largest chunk a publisher writes: well under etcd's default request limit of 1.5 MiB.
pub const CHUNK: usize = 1 << 20;

/// What `ddsr/current` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub revision: u64,
    pub manifest_sha256: String,
}

/// What `ddsr/revisions/N/revision.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionInfo {
    pub format: u32,
    pub chunk_bytes: usize,
    pub created_unix_ms: u64,
}

/// One artifact as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub path: String,
    pub bytes: usize,
    pub sha256: String,
}

/// The part of `manifest.json` a reader needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub artifacts: Vec<Listed>,
}

/// A host agent's report, in `ddsr/status/HOST`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub host: String,
    pub target: String,
    /// The revision `current` named at the last attempt.
    pub desired_revision: Option<u64>,
    /// The last revision the device was converged to.
    pub applied_revision: Option<u64>,
    /// Entries the desired state of the applied revision has.
    pub entries: usize,
    pub pipeline_pushed: bool,
    pub inserted: usize,
    pub modified: usize,
    pub deleted: usize,
    pub last_error: Option<String>,
    pub updated_unix_ms: u64,
}

/// Reading or writing a revision failed.
#[derive(Debug, thiserror::Error)]
pub enum RevisionError {
    #[error(transparent)]
    Store(#[from] Error),
    #[error("`{key}`: {why}")]
    Corrupt { key: String, why: String },
    #[error("revision {revision} has no artifacts for host `{host}`")]
    NoHost { revision: u64, host: String },
    #[error("the artifact set has no manifest.json")]
    NoManifest,
    #[error("`{path}` is not what manifest.json lists")]
    Unlisted { path: String },
}

pub fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub fn revision_prefix(n: u64) -> String {
    format!("ddsr/revisions/{n}/")
}

pub fn info_key(n: u64) -> String {
    format!("ddsr/revisions/{n}/revision.json")
}

pub fn chunk_key(n: u64, path: &str, k: usize) -> String {
    format!("ddsr/revisions/{n}/files/{path}/{k:05}")
}

pub fn status_key(host: &str) -> String {
    format!("{STATUS_PREFIX}{host}")
}

fn corrupt(key: impl Into<String>, why: impl Into<String>) -> RevisionError {
    RevisionError::Corrupt {
        key: key.into(),
        why: why.into(),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(key: &str, bytes: &[u8]) -> Result<T, RevisionError> {
    serde_json::from_slice(bytes).map_err(|e| corrupt(key, e.to_string()))
}

/// Number of chunks an artifact of `bytes` bytes takes (an empty one still has one).
fn chunks(bytes: usize, chunk: usize) -> usize {
    bytes.div_ceil(chunk).max(1)
}

/// The pointer and its raw bytes (for a compare-and-swap), if any revision was published.
pub async fn read_pointer(store: &dyn Store) -> Result<Option<(Pointer, Vec<u8>)>, RevisionError> {
    match store.get(CURRENT).await? {
        Some(raw) => Ok(Some((parse(CURRENT, &raw)?, raw))),
        None => Ok(None),
    }
}

/// Moves the pointer from `expected` (raw bytes as read; `None`: no revision yet) to `to` in one
/// transaction. Returns whether it moved.
pub async fn move_pointer(
    store: &dyn Store,
    expected: Option<&[u8]>,
    to: &Pointer,
) -> Result<bool, RevisionError> {
    let value = serde_json::to_vec(to).expect("pointers serialise");
    Ok(store.swap(CURRENT, expected, &value).await?)
}

/// Checks that `artifacts` hold a manifest listing exactly them, and returns the manifest's hash.
pub fn check_set(artifacts: &[Artifact]) -> Result<String, RevisionError> {
    let manifest = artifacts
        .iter()
        .find(|a| a.path == MANIFEST)
        .ok_or(RevisionError::NoManifest)?;
    let listed: Manifest = parse(MANIFEST, &manifest.bytes)?;
    let by_path: BTreeMap<&str, &Listed> = listed
        .artifacts
        .iter()
        .map(|l| (l.path.as_str(), l))
        .collect();
    for a in artifacts.iter().filter(|a| a.path != MANIFEST) {
        let ok = by_path
            .get(a.path.as_str())
            .is_some_and(|l| l.bytes == a.bytes.len() && l.sha256 == sha256(&a.bytes));
        if !ok {
            return Err(RevisionError::Unlisted {
                path: a.path.clone(),
            });
        }
    }
    if by_path.len() + 1 != artifacts.len() {
        return Err(corrupt(MANIFEST, "lists artifacts that are not in the set"));
    }
    Ok(sha256(&manifest.bytes))
}

/// Claims revision `n` and stores every artifact under it. Returns `false`, having written
/// nothing, when `n` is already claimed.
pub async fn write_revision(
    store: &dyn Store,
    n: u64,
    artifacts: &[Artifact],
) -> Result<bool, RevisionError> {
    let info = RevisionInfo {
        format: 1,
        chunk_bytes: CHUNK,
        created_unix_ms: now_unix_ms(),
    };
    let info = serde_json::to_vec(&info).expect("revision info serialises");
    if !store.create(&info_key(n), &info).await? {
        return Ok(false);
    }
    for a in artifacts {
        let parts: Vec<&[u8]> = if a.bytes.is_empty() {
            vec![&[]]
        } else {
            a.bytes.chunks(CHUNK).collect()
        };
        for (k, part) in parts.into_iter().enumerate() {
            let key = chunk_key(n, &a.path, k);
            if !store.create(&key, part).await? {
                return Err(corrupt(key, "already exists in a revision just claimed"));
            }
        }
    }
    Ok(true)
}

/// Reads one artifact of revision `n` and checks its size and hash against `listed`.
async fn read_artifact(
    store: &dyn Store,
    n: u64,
    chunk: usize,
    listed: &Listed,
) -> Result<Vec<u8>, RevisionError> {
    let mut bytes = Vec::with_capacity(listed.bytes);
    for k in 0..chunks(listed.bytes, chunk) {
        let key = chunk_key(n, &listed.path, k);
        let part = store
            .get(&key)
            .await?
            .ok_or_else(|| corrupt(&key, "missing chunk"))?;
        bytes.extend_from_slice(&part);
    }
    if bytes.len() != listed.bytes {
        return Err(corrupt(
            chunk_key(n, &listed.path, 0),
            format!(
                "`{}` has {} bytes, the manifest lists {}",
                listed.path,
                bytes.len(),
                listed.bytes
            ),
        ));
    }
    let got = sha256(&bytes);
    if got != listed.sha256 {
        return Err(corrupt(
            chunk_key(n, &listed.path, 0),
            format!(
                "SHA-256 mismatch for `{}`: manifest {}, stored {got}",
                listed.path, listed.sha256
            ),
        ));
    }
    Ok(bytes)
}

/// A revision's manifest (checked against the pointer's hash) and chunk size.
pub async fn read_manifest(
    store: &dyn Store,
    pointer: &Pointer,
) -> Result<(Manifest, usize), RevisionError> {
    let n = pointer.revision;
    let info_key = info_key(n);
    let info: RevisionInfo = parse(
        &info_key,
        &store
            .get(&info_key)
            .await?
            .ok_or_else(|| corrupt(&info_key, "missing"))?,
    )?;
    if info.format != 1 || info.chunk_bytes == 0 {
        return Err(corrupt(
            &info_key,
            format!(
                "unsupported format {} or chunk size {}",
                info.format, info.chunk_bytes
            ),
        ));
    }
    // The manifest's size is not known before reading it: read chunks until one is short.
    let mut raw = Vec::new();
    for k in 0.. {
        let key = chunk_key(n, MANIFEST, k);
        match store.get(&key).await? {
            Some(part) => {
                let short = part.len() < info.chunk_bytes;
                raw.extend_from_slice(&part);
                if short {
                    break;
                }
            }
            None if k > 0 => break,
            None => return Err(corrupt(key, "missing chunk")),
        }
    }
    let got = sha256(&raw);
    if got != pointer.manifest_sha256 {
        return Err(corrupt(
            chunk_key(n, MANIFEST, 0),
            format!(
                "SHA-256 mismatch for `manifest.json`: pointer {}, stored {got}",
                pointer.manifest_sha256
            ),
        ));
    }
    Ok((parse(&chunk_key(n, MANIFEST, 0), &raw)?, info.chunk_bytes))
}

/// Every artifact of `host` in the revision the pointer names, by file name (`program.p4`, ...),
/// each checked against the manifest.
pub async fn read_host(
    store: &dyn Store,
    pointer: &Pointer,
    host: &str,
) -> Result<BTreeMap<String, Vec<u8>>, RevisionError> {
    let (manifest, chunk) = read_manifest(store, pointer).await?;
    let dir = format!("{host}/");
    let mut files = BTreeMap::new();
    for listed in &manifest.artifacts {
        let Some(name) = listed.path.strip_prefix(&dir) else {
            continue;
        };
        let bytes = read_artifact(store, pointer.revision, chunk, listed).await?;
        files.insert(name.to_string(), bytes);
    }
    if files.is_empty() {
        return Err(RevisionError::NoHost {
            revision: pointer.revision,
            host: host.into(),
        });
    }
    Ok(files)
}

/// Artifacts at the top of a revision (not under a host), such as `buckets.json`, checked.
pub async fn read_shared(
    store: &dyn Store,
    pointer: &Pointer,
    path: &str,
) -> Result<Option<Vec<u8>>, RevisionError> {
    let (manifest, chunk) = read_manifest(store, pointer).await?;
    match manifest.artifacts.iter().find(|l| l.path == path) {
        Some(listed) => Ok(Some(
            read_artifact(store, pointer.revision, chunk, listed).await?,
        )),
        None => Ok(None),
    }
}

pub async fn write_status(store: &dyn Store, status: &Status) -> Result<(), Error> {
    let value = serde_json::to_vec_pretty(status).expect("status serialises");
    store.put(&status_key(&status.host), &value).await
}

/// Every host's status; a record that does not parse is reported by key.
pub async fn read_statuses(store: &dyn Store) -> Result<Vec<Status>, RevisionError> {
    let mut out = Vec::new();
    for key in store.list(STATUS_PREFIX).await? {
        if let Some(raw) = store.get(&key).await? {
            out.push(parse(&key, &raw)?);
        }
    }
    Ok(out)
}
