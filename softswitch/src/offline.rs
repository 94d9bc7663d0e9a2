//! Offline runs: packets from pcap captures through a switch, in timestamp order, into
//! per-port captures (what `ddsr softswitch run --pcap-in/--pcap-out` does).

use std::collections::BTreeMap;

use ddsr_pipeline::TableEntry;

use crate::DropReason;
use crate::pcap::Record;
use crate::switch::{ControlError, Output, Switch};
use crate::trace::Trace;

/// What an offline run produced.
#[derive(Debug, Default)]
pub struct Run {
    /// Packets sent, per egress port, stamped with the time of the packet that caused them.
    pub outputs: BTreeMap<u16, Vec<Record>>,
    /// One trace per input packet when tracing was asked for.
    pub traces: Vec<Trace>,
    pub drops: BTreeMap<DropReason, u64>,
    pub received: u64,
    pub digests: u64,
    pub logs: Vec<String>,
}

/// Sends every record of `inputs` (port, capture) through `sw` in timestamp order (ties in
/// argument order).
pub fn run(sw: &mut Switch, inputs: &[(u16, Vec<Record>)], trace: bool) -> Run {
    let mut all: Vec<(u64, usize, u16, &[u8])> = Vec::new();
    for (i, (port, recs)) in inputs.iter().enumerate() {
        for r in recs {
            all.push((r.ts_ns, i, *port, &r.data));
        }
    }
    all.sort_by_key(|(ts, i, _, _)| (*ts, *i));
    let mut run = Run::default();
    let mut out = Output::default();
    for (ts, _, port, data) in all {
        out.clear();
        let mut t = Trace::default();
        sw.process(port, data, ts, &mut out, trace.then_some(&mut t));
        run.received += 1;
        for p in out.packets() {
            run.outputs.entry(p.port).or_default().push(Record {
                ts_ns: ts,
                data: p.data.clone(),
            });
        }
        for d in &out.drops {
            *run.drops.entry(*d).or_default() += 1;
        }
        run.digests += out.digests.len() as u64;
        run.logs.append(&mut out.logs);
        if trace {
            run.traces.push(t);
        }
    }
    run
}

/// Why an entries file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EntriesError {
    #[error("entries JSON {line}:{column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("entry {index}: {error}")]
    Entry { index: usize, error: ControlError },
}

/// Inserts the entries of a JSON array in the shared entry model, stopping at the first error.
pub fn load_entries(sw: &mut Switch, json: &str) -> Result<usize, EntriesError> {
    let entries: Vec<TableEntry> =
        serde_json::from_str(json).map_err(|e| EntriesError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    let n = entries.len();
    for (index, e) in entries.into_iter().enumerate() {
        sw.insert(e)
            .map_err(|error| EntriesError::Entry { index, error })?;
    }
    Ok(n)
}
