//! `ddsr status`: the current revision and what every host's agent last reported.

use serde_json::json;

use crate::store::Store;
use crate::store::layout::{self, RevisionError, Status};

/// A snapshot of the store's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub current: Option<u64>,
    /// Sorted by host.
    pub hosts: Vec<Status>,
}

impl Report {
    /// Hosts whose agent applied the current revision and reports no error.
    pub fn converged(&self) -> usize {
        self.hosts
            .iter()
            .filter(|h| h.applied_revision.is_some() && h.applied_revision == self.current)
            .filter(|h| h.last_error.is_none())
            .count()
    }

    /// One line per host; `now_ms` gives the ages.
    pub fn text(&self, now_ms: u64) -> String {
        let mut s = match self.current {
            Some(n) => format!("current revision: {n}\n"),
            None => "current revision: none published\n".to_string(),
        };
        if self.hosts.is_empty() {
            s.push_str("no agent has reported\n");
            return s;
        }
        let rev = |r: Option<u64>| r.map_or("-".to_string(), |n| n.to_string());
        let width = self
            .hosts
            .iter()
            .map(|h| h.host.len())
            .max()
            .unwrap_or(4)
            .max(4);
        s.push_str(&format!(
            "{:width$}  {:>7}  {:>9}  {:>5}  target / last error\n",
            "host", "applied", "entries", "age"
        ));
        for h in &self.hosts {
            let age = age(now_ms, h.updated_unix_ms);
            let tail = match &h.last_error {
                Some(e) => format!("{}  error: {e}", h.target),
                None => h.target.clone(),
            };
            s.push_str(&format!(
                "{:width$}  {:>7}  {:>9}  {:>5}  {tail}\n",
                h.host,
                rev(h.applied_revision),
                h.entries,
                age
            ));
        }
        s
    }

    pub fn json(&self, now_ms: u64) -> serde_json::Value {
        json!({
            "current_revision": self.current,
            "hosts": self.hosts.iter().map(|h| json!({
                "host": h.host,
                "target": h.target,
                "desired_revision": h.desired_revision,
                "applied_revision": h.applied_revision,
                "entries": h.entries,
                "pipeline_pushed": h.pipeline_pushed,
                "inserted": h.inserted,
                "modified": h.modified,
                "deleted": h.deleted,
                "last_error": h.last_error,
                "updated_unix_ms": h.updated_unix_ms,
                "age_ms": now_ms.saturating_sub(h.updated_unix_ms),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A short age: `12s`, `5m`, `3h`, `2d`.
fn age(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Reads the pointer and every status record.
pub async fn read(store: &dyn Store) -> Result<Report, RevisionError> {
    let current = layout::read_pointer(store).await?.map(|(p, _)| p.revision);
    let mut hosts = layout::read_statuses(store).await?;
    hosts.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(Report { current, hosts })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(host: &str, applied: Option<u64>, error: Option<&str>) -> Status {
        Status {
            host: host.into(),
            target: "p4rt://127.0.0.1:9559".into(),
            desired_revision: Some(2),
            applied_revision: applied,
            entries: 12,
            pipeline_pushed: false,
            inserted: 0,
            modified: 0,
            deleted: 0,
            last_error: error.map(Into::into),
            updated_unix_ms: 1_000,
        }
    }

    #[test]
    fn text_lists_hosts_with_ages_and_errors() {
        let r = Report {
            current: Some(2),
            hosts: vec![
                status("in-1", Some(2), None),
                status("srv-1", Some(1), Some("revision 2 refused: bad hash")),
            ],
        };
        assert_eq!(r.converged(), 1);
        assert_eq!(
            r.text(76_000),
            "current revision: 2\n\
             host   applied    entries    age  target / last error\n\
             in-1         2         12     1m  p4rt://127.0.0.1:9559\n\
             srv-1        1         12     1m  p4rt://127.0.0.1:9559  error: revision 2 refused: bad hash\n"
        );
        let j = r.json(4_000);
        assert_eq!(j["current_revision"], 2);
        assert_eq!(j["hosts"][1]["last_error"], "revision 2 refused: bad hash");
        assert_eq!(j["hosts"][0]["age_ms"], 3_000);
    }

    #[test]
    fn ages_are_short() {
        assert_eq!(age(59_999, 0), "59s");
        assert_eq!(age(3_600_000, 0), "1h");
        assert_eq!(age(0, 5), "0s");
        assert_eq!(age(200_000_000, 0), "2d");
    }
}
