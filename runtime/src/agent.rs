//! `ddsr agent`: keeps one device converged to its host's artifacts in the current revision.
//!
//! The agent is a reconcile loop, not an event follower: every trigger (start, a change of the
//! `current` pointer, a store reconnect, a retry after a failure, the resync period) leads to
//! the same full step: read the pointer, read every artifact of the host in that revision and
//! check it against the manifest's SHA-256, converge the device with
//! [`crate::load::converge`] (pushing the pipeline when the device runs another one or none),
//! and write a [`Status`]. Watch events may be merged or lost (etcd compacts history), so they
//! only say "look again". Because each step starts from the device's actual contents, a device
//! that restarted empty, an interrupted load, or hand-made drift are all repaired the same way.
//!
//! A revision that fails its hash check is refused: the device is converged to the last good
//! revision instead (so drift is still repaired) and the error is reported. Failures that may go
//! away by themselves (store or device unreachable, not primary) are retried with a bounded
//! backoff; a refused revision is looked at again on the next trigger.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use crate::artifacts::HostArtifacts;
use crate::load::{LoadOptions, Summary, converge};
use crate::store::layout::{self, Pointer, RevisionError, Status};
use crate::store::{Backoff, Event, Store};
use crate::target::Target;

/// Default resync period.
pub const RESYNC: Duration = Duration::from_secs(30);

/// Longest wait between retries after a failure.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub target: Target,
    pub resync: Duration,
    pub load: LoadOptions,
}

/// Why one reconcile step did not apply the current revision.
#[derive(Debug, thiserror::Error)]
enum StepError {
    /// The revision itself is bad; retrying will not help until it changes.
    #[error("revision {revision} refused: {why}")]
    Refused { revision: u64, why: String },
    /// The store or the device failed; worth retrying soon.
    #[error("{0}")]
    Transient(String),
}

/// The last revision the device was converged to, kept to repair drift while a newer revision
/// is refused.
struct Good {
    revision: u64,
    artifacts: HostArtifacts,
}

struct Agent {
    store: Arc<dyn Store>,
    config: Config,
    good: Option<Good>,
    /// The pointer's raw bytes as the last step that needs no retry read them: a watch event
    /// carrying the same bytes (the first event of every new watch does) is not a change.
    settled: Option<Vec<u8>>,
}

impl Agent {
    async fn desired(&self, pointer: &Pointer) -> Result<HostArtifacts, StepError> {
        let refused = |why: String| StepError::Refused {
            revision: pointer.revision,
            why,
        };
        let files = match layout::read_host(&*self.store, pointer, &self.config.host).await {
            Ok(files) => files,
            Err(RevisionError::Store(e)) => return Err(StepError::Transient(e.to_string())),
            Err(e) => return Err(refused(e.to_string())),
        };
        HostArtifacts::from_files(|name| files.get(name).cloned())
            .map_err(|e| refused(e.to_string()))
    }

    async fn converge(&self, artifacts: &HostArtifacts) -> Result<Summary, StepError> {
        converge(&self.config.target, artifacts, &self.config.load)
            .await
            .map_err(|e| StepError::Transient(e.to_string()))
    }

    /// One full reconcile step; returns the status to report and whether to retry soon.
    async fn step(&mut self) -> (Status, bool) {
        let mut status = Status {
            host: self.config.host.clone(),
            target: self.config.target.to_string(),
            desired_revision: None,
            applied_revision: self.good.as_ref().map(|g| g.revision),
            entries: self.good.as_ref().map_or(0, |g| g.artifacts.entries.len()),
            pipeline_pushed: false,
            inserted: 0,
            modified: 0,
            deleted: 0,
            last_error: None,
            updated_unix_ms: 0,
        };
        self.settled = None;
        let (pointer, raw) = match layout::read_pointer(&*self.store).await {
            Ok(Some(read)) => read,
            Ok(None) => {
                status.last_error = Some("no revision has been published".into());
                return (status, false);
            }
            Err(e) => {
                status.last_error = Some(format!("store: {e}"));
                return (status, true);
            }
        };
        status.desired_revision = Some(pointer.revision);
        let result = match self.desired(&pointer).await {
            Ok(artifacts) => match self.converge(&artifacts).await {
                Ok(summary) => {
                    self.good = Some(Good {
                        revision: pointer.revision,
                        artifacts,
                    });
                    Ok(summary)
                }
                Err(e) => Err(e),
            },
            Err(refused @ StepError::Refused { .. }) => {
                // Keep the device on the last good revision, repairing drift there.
                if let Some(good) = &self.good
                    && let Err(e) = self.converge(&good.artifacts).await
                {
                    tracing::warn!(error = %e, "cannot restore the last good revision");
                }
                Err(refused)
            }
            Err(e) => Err(e),
        };
        status.applied_revision = self.good.as_ref().map(|g| g.revision);
        status.entries = self.good.as_ref().map_or(0, |g| g.artifacts.entries.len());
        match result {
            Ok(s) => {
                status.pipeline_pushed = s.pipeline_pushed;
                status.inserted = s.inserted;
                status.modified = s.modified;
                status.deleted = s.deleted;
                self.settled = Some(raw);
                (status, false)
            }
            Err(e) => {
                let retry = matches!(e, StepError::Transient(_));
                if !retry {
                    self.settled = Some(raw);
                }
                status.last_error = Some(e.to_string());
                (status, retry)
            }
        }
    }
}

/// Runs the agent until `shutdown` completes. `report` sees every status it writes (for the
/// command line to print). Store and device outages never end it.
pub async fn run(
    store: Arc<dyn Store>,
    config: Config,
    shutdown: impl Future<Output = ()>,
    mut report: impl FnMut(&Status),
) {
    let resync = config.resync.max(Duration::from_millis(100));
    let mut agent = Agent {
        store: store.clone(),
        config,
        good: None,
        settled: None,
    };
    let mut watch = store.watch(layout::CURRENT);
    let mut backoff = Backoff::new(MAX_BACKOFF);
    // The first step runs at once; later ones when triggered or due.
    let mut due = Instant::now();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            event = watch.recv() => match event {
                Some(Event::Changed(v)) => {
                    if v.is_none() || v != agent.settled {
                        due = Instant::now();
                    }
                }
                Some(Event::Reconnected) => due = Instant::now(),
                Some(Event::Lost(why)) => {
                    tracing::warn!(store = store.describe(), why, "store unreachable");
                    continue;
                }
                None => {
                    // The watch task ended (it only does when its receiver is dropped); make a
                    // new one rather than running blind.
                    watch = store.watch(layout::CURRENT);
                    continue;
                }
            },
            () = sleep_until(due) => {}
        }
        if Instant::now() < due {
            continue;
        }
        // The step runs as a task of its own so that a stop is honoured at once even while
        // the step is in a long stretch of CPU work (parsing and diffing 200,000 entries):
        // the task is aborted and the device is left as a killed agent leaves it, which the
        // next run repairs.
        let mut running = AbortOnDrop(tokio::spawn(async move {
            let r = agent.step().await;
            (agent, r)
        }));
        let (mut status, retry) = tokio::select! {
            // Returning drops `running`, which aborts the step.
            () = &mut shutdown => return,
            joined = &mut running.0 => match joined {
                Ok((back, r)) => {
                    agent = back;
                    r
                }
                // Only a panic in the step gets here; an agent must not outlive it silently.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            },
        };
        status.updated_unix_ms = layout::now_unix_ms();
        report(&status);
        // A status that could not be written is written again by the next step, soon.
        let unsent = match layout::write_status(&*store, &status).await {
            Ok(()) => false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot write status");
                true
            }
        };
        due = if retry || unsent {
            Instant::now() + backoff.next_delay()
        } else {
            backoff.reset();
            Instant::now() + resync
        };
    }
}

/// A spawned task that is aborted when its handle is dropped: a detached step would go on
/// writing to the device after the agent that ran it was stopped or dropped (as a killed agent
/// is in tests).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
