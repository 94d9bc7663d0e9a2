//! `buckets.json`: what a compile decided that the next revision must keep to disturb as few
//! flows as possible. Per pool (by name): the Maglev table size, the backends with their weights
//! and `backend_id`s, and the backend of every bucket.
//!
//! Given to [`crate::compile::Options::previous`], it makes each pool of the same size use
//! [`crate::passes::maglev::update`] instead of a fresh population, so removing a backend moves
//! only that backend's buckets, and keeps every surviving (pool, backend)'s `backend_id`, so the
//! other backends' entries and counters stay as they are. A pool whose size changed is populated
//! afresh (a warning says so); pools and backends that are new get ids nobody uses.
//!
//! Format (`format: 1`), one line of JSON:
//! `{"format":1,"pools":[{"pool":NAME,"size":N,"backends":[{"host":H,"weight":W,
//! "backend_id":ID}...],"buckets":[INDEX...]}...]}` where `buckets[b]` indexes `backends`.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::passes::maglev;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    pub host: String,
    pub weight: u32,
    pub backend_id: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub pool: String,
    pub size: u32,
    pub backends: Vec<Backend>,
    /// Bucket -> index into `backends`.
    pub buckets: Vec<u32>,
}

/// The contents of one `buckets.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buckets {
    pub format: u32,
    pub pools: Vec<Pool>,
}

/// A `buckets.json` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("expected format 1, found {0}")]
    Format(u32),
    #[error("pool `{0}` is listed twice")]
    DuplicatePool(String),
    #[error("pool `{pool}`: size is {size}, but {buckets} buckets are listed")]
    Size {
        pool: String,
        size: u32,
        buckets: usize,
    },
    #[error("backend_id {0} is given to two backends")]
    DuplicateId(u32),
    #[error("backend_id {0} does not fit the programs' 16-bit ids")]
    IdRange(u32),
    #[error("pool `{pool}`: {source}")]
    Table {
        pool: String,
        #[source]
        source: maglev::Error,
    },
}

/// A previous revision's tables, checked and indexed for the planner.
#[derive(Debug, Clone, Default)]
pub struct Previous {
    tables: HashMap<String, maglev::Table>,
    ids: HashMap<(String, String), u32>,
}

impl Previous {
    /// The previous Maglev table of the pool named `pool`.
    pub fn table(&self, pool: &str) -> Option<&maglev::Table> {
        self.tables.get(pool)
    }

    /// The previous `backend_id` of `host` in the pool named `pool`.
    pub fn backend_id(&self, pool: &str, host: &str) -> Option<u32> {
        self.ids.get(&(pool.to_string(), host.to_string())).copied()
    }
}

impl Buckets {
    /// Parses and checks a `buckets.json`.
    pub fn from_json(text: &str) -> Result<Previous, Error> {
        let b: Buckets = serde_json::from_str(text).map_err(|e| Error::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        b.previous()
    }

    /// Checks this revision's buckets and indexes them as the next revision's input.
    pub fn previous(&self) -> Result<Previous, Error> {
        if self.format != 1 {
            return Err(Error::Format(self.format));
        }
        let mut prev = Previous::default();
        let mut ids = BTreeSet::new();
        for p in &self.pools {
            if prev.tables.contains_key(&p.pool) {
                return Err(Error::DuplicatePool(p.pool.clone()));
            }
            if p.buckets.len() != p.size as usize {
                return Err(Error::Size {
                    pool: p.pool.clone(),
                    size: p.size,
                    buckets: p.buckets.len(),
                });
            }
            for b in &p.backends {
                if b.backend_id >= 1 << crate::plan::ID_BITS {
                    return Err(Error::IdRange(b.backend_id));
                }
                if !ids.insert(b.backend_id) {
                    return Err(Error::DuplicateId(b.backend_id));
                }
                prev.ids
                    .insert((p.pool.clone(), b.host.clone()), b.backend_id);
            }
            let backends = p
                .backends
                .iter()
                .map(|b| maglev::Backend::new(&b.host, b.weight))
                .collect();
            let table =
                maglev::Table::from_parts(backends, p.buckets.clone()).map_err(|source| {
                    Error::Table {
                        pool: p.pool.clone(),
                        source,
                    }
                })?;
            prev.tables.insert(p.pool.clone(), table);
        }
        Ok(prev)
    }

    /// `buckets.json`, one line and a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain structs serialise") + "\n"
    }
}
