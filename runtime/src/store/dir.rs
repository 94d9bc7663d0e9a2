//! `dir:PATH`: the store as a local directory, one file per key, no daemon.
//!
//! Every write goes to a hidden temporary file in the key's directory, is fsynced, and then
//! appears under its name in one step: [`Store::create`] hard-links it (which fails when the name
//! exists, so creation is exclusive even between processes), [`Store::put`] renames it over the
//! old file. The directory is fsynced after either, so a crash leaves the old or the new value,
//! never a torn one. [`Store::swap`] holds an advisory lock on `PATH/.lock` across compare and
//! rename; the kernel drops the lock when a process dies, so a killed publisher blocks nobody.
//! Watches poll the key's file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::{Error, Event, Store, Watch, check_key};

/// Default polling period of a watch.
pub const POLL: Duration = Duration::from_millis(200);

/// Distinguishes temporary files of concurrent writes within one process.
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct Dir {
    root: PathBuf,
    poll: Duration,
}

impl Dir {
    /// Opens (and creates if needed) the store directory `root`.
    pub fn open(root: PathBuf, poll: Duration) -> Result<Self, Error> {
        fs::create_dir_all(&root).map_err(|e| Error::io(&root, e))?;
        Ok(Dir { root, poll })
    }

    fn path(&self, key: &str) -> Result<PathBuf, Error> {
        check_key(key)?;
        Ok(self.root.join(key))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(Dir) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || f(this))
            .await
            .map_err(|e| Error::io(&self.root, io::Error::other(e)))?
    }
}

fn read(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        // A key that is a directory (a prefix of other keys) holds no value.
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Writes `value` to a fresh fsynced temporary file next to `path` and returns its name.
fn temp(path: &Path, value: &[u8]) -> Result<PathBuf, Error> {
    let dir = path.parent().expect("keys have a parent under the root");
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    let written = f.write_all(value).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    Ok(tmp)
}

fn replace(path: &Path, value: &[u8]) -> Result<(), Error> {
    let tmp = temp(path, value)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    sync_dir(path.parent().expect("keys have a parent"))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).expect("walked under the root");
            let key: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(key.join("/"));
        }
    }
    Ok(())
}

#[async_trait]
impl Store for Dir {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(key)?;
        self.blocking(move |_| read(&path)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let Some(dir_key) = prefix.strip_suffix('/') else {
            return Err(Error::Key {
                key: prefix.into(),
                why: "a listed prefix ends with `/`".into(),
            });
        };
        let dir = self.path(dir_key)?;
        self.blocking(move |this| {
            let mut keys = Vec::new();
            walk(&this.root, &dir, &mut keys)?;
            keys.sort();
            Ok(keys)
        })
        .await
    }

    async fn create(&self, key: &str, value: &[u8]) -> Result<bool, Error> {
        let path = self.path(key)?;
        let value = value.to_vec();
        self.blocking(move |_| {
            let tmp = temp(&path, &value)?;
            let linked = fs::hard_link(&tmp, &path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {
                    sync_dir(path.parent().expect("keys have a parent"))?;
                    Ok(true)
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(Error::io(&path, e)),
            }
        })
        .await
    }

    async fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<bool, Error> {
        let path = self.path(key)?;
        let expected = expected.map(<[u8]>::to_vec);
        let value = value.to_vec();
        self.blocking(move |this| {
            let lock_path = this.root.join(".lock");
            let lock = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| Error::io(&lock_path, e))?;
            lock.lock().map_err(|e| Error::io(&lock_path, e))?;
            let swapped = if read(&path)? == expected {
                replace(&path, &value).map(|()| true)
            } else {
                Ok(false)
            };
            // Closing the file releases the lock too; unlocking first keeps the hold short.
            let _ = lock.unlock();
            swapped
        })
        .await
    }

    async fn put(&self, key: &str, value: &[u8]) -> Result<(), Error> {
        let path = self.path(key)?;
        let value = value.to_vec();
        self.blocking(move |_| replace(&path, &value)).await
    }

    fn watch(&self, key: &str) -> Watch {
        let (tx, rx) = mpsc::channel(16);
        let path = self.path(key);
        let poll = self.poll;
        tokio::spawn(async move {
            let path = match path {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send(Event::Lost(e.to_string())).await;
                    return;
                }
            };
            // `None` before the first read, so that the first event always reports the value.
            let mut seen: Option<Result<Option<Vec<u8>>, String>> = None;
            loop {
                let p = path.clone();
                let now = tokio::task::spawn_blocking(move || read(&p).map_err(|e| e.to_string()))
                    .await
                    .unwrap_or_else(|e| Err(e.to_string()));
                if seen.as_ref() != Some(&now) {
                    let event = match &now {
                        Ok(v) => match &seen {
                            Some(Err(_)) => Event::Reconnected,
                            _ => Event::Changed(v.clone()),
                        },
                        Err(e) => Event::Lost(e.clone()),
                    };
                    let reconnected = event == Event::Reconnected;
                    if tx.send(event).await.is_err() {
                        return;
                    }
                    if reconnected
                        && let Ok(v) = &now
                        && tx.send(Event::Changed(v.clone())).await.is_err()
                    {
                        return;
                    }
                    seen = Some(now);
                }
                tokio::select! {
                    () = tokio::time::sleep(poll) => {}
                    () = tx.closed() => return,
                }
            }
        });
        rx
    }

    fn describe(&self) -> String {
        format!("dir:{}", self.root.display())
    }
}
