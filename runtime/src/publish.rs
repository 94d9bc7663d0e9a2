//! `ddsr publish`: one compiled artifact set becomes one immutable revision, and the `current`
//! pointer moves to it in one transaction.
//!
//! The loop is optimistic: read the pointer, compile (the compiler may carry state over from the
//! revision the pointer names, such as the previous bucket assignment, so that removing a
//! backend moves only its buckets), claim the next free revision number, store every artifact,
//! then compare-and-swap the pointer against the bytes read at the start. When another publisher
//! moved the pointer in between, the whole step runs again on top of its revision, so nobody's
//! change is lost and carried state always comes from the revision being replaced. A revision
//! that lost the race stays unreferenced; agents only ever read the one the pointer names.

use std::collections::BTreeMap;

use ddsr_tables::back::Artifact;

use crate::store::Store;
use crate::store::layout::{self, Pointer, RevisionError};

/// How often a publisher retries after losing the pointer race before giving up.
pub const MAX_ATTEMPTS: u32 = 10;

/// How many claimed revision numbers a publisher skips (left by publishers that died) before
/// giving up.
const MAX_SKIPPED: u64 = 1000;

/// What the revision being replaced hands to the compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub revision: u64,
    /// The requested top-level artifacts that revision has, by path.
    pub files: BTreeMap<String, Vec<u8>>,
}

/// A published revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub revision: u64,
    pub previous: Option<u64>,
    pub artifacts: usize,
    pub bytes: usize,
    /// Compile-and-store rounds it took (more than one when another publisher won a race).
    pub attempts: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError<E> {
    #[error("{0}")]
    Compile(E),
    #[error(transparent)]
    Revision(#[from] RevisionError),
    #[error("the pointer kept moving: gave up after {0} attempts")]
    Contention(u32),
    #[error("revision numbers {from} to {to} are all claimed")]
    Exhausted { from: u64, to: u64 },
}

/// Compiles with `compile` (given the carried-over files named in `carry` from the current
/// revision, if any) and publishes the result. A compile error publishes nothing.
pub async fn publish<E, F>(
    store: &dyn Store,
    carry: &[&str],
    mut compile: F,
) -> Result<Published, PublishError<E>>
where
    F: FnMut(Option<&Carried>) -> Result<Vec<Artifact>, E>,
{
    for attempt in 1..=MAX_ATTEMPTS {
        let read = layout::read_pointer(store).await?;
        let carried = match &read {
            Some((pointer, _)) => {
                let mut files = BTreeMap::new();
                for path in carry {
                    if let Some(bytes) = layout::read_shared(store, pointer, path).await? {
                        files.insert((*path).to_string(), bytes);
                    }
                }
                Some(Carried {
                    revision: pointer.revision,
                    files,
                })
            }
            None => None,
        };
        let artifacts = compile(carried.as_ref()).map_err(PublishError::Compile)?;
        let manifest_sha256 = layout::check_set(&artifacts)?;
        let previous = read.as_ref().map(|(p, _)| p.revision);
        let first = previous.unwrap_or(0) + 1;
        let mut n = first;
        while !layout::write_revision(store, n, &artifacts).await? {
            n += 1;
            if n - first > MAX_SKIPPED {
                return Err(PublishError::Exhausted { from: first, to: n });
            }
        }
        let to = Pointer {
            revision: n,
            manifest_sha256,
        };
        let expected = read.as_ref().map(|(_, raw)| raw.as_slice());
        if layout::move_pointer(store, expected, &to).await? {
            return Ok(Published {
                revision: n,
                previous,
                artifacts: artifacts.len(),
                bytes: artifacts.iter().map(|a| a.bytes.len()).sum(),
                attempts: attempt,
            });
        }
        tracing::info!(revision = n, "pointer moved meanwhile; publishing again");
    }
    Err(PublishError::Contention(MAX_ATTEMPTS))
}
