//! The switch: a loaded pipeline, its tables and extern state, the packet replication engine,
//! and the traffic manager that moves each packet through ingress, replication and egress with
//! v1model (simple_switch) semantics.
//!
//! Sans-IO: [`Switch::process`] takes one received packet and the current time and appends the
//! packets to send, the drops and the digests to an [`Output`]; ports, threads and sockets are
//! somebody else's business.

use std::collections::{HashMap, VecDeque};

use ddsr_pipeline::entry::{ActionCall, ProfileGroup, ProfileMember, check_call};
use ddsr_pipeline::externs::{CloneKind, ExternKind};
use ddsr_pipeline::pre::{CloneSession, MulticastGroup, Replica};
use ddsr_pipeline::program::V1Switch;
use ddsr_pipeline::v1model::{DROP_PORT, instance_type};
use ddsr_pipeline::{Handle, Pipeline, Table, TableEntry};
use thiserror::Error;

use crate::code::Code;
use crate::drop::DropReason;
use crate::exec::{Digest, Effects, Exec, Flow, Pkt, ValueSetState};
use crate::externs::hash::Rng;
use crate::externs::meter::MeterConfig;
use crate::externs::{Count, ExternState};
use crate::layout::Layout;
use crate::phv::Phv;
use crate::table::{Bound, TableError, TableState};
use crate::tna::TnaError;
use crate::trace::{Event, Trace};

/// Ingress passes (resubmit, recirculate) one received packet may take.
pub const MAX_PASSES: u32 = 16;

/// Largest counter, meter or register array or table a pipeline may declare.
pub const MAX_CELLS: u32 = 1 << 24;

/// A packet leaving the switch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutPacket {
    pub port: u16,
    pub data: Vec<u8>,
}

/// What processing produced; reuse one `Output` across calls to avoid allocating.
#[derive(Debug, Default)]
pub struct Output {
    packets: Vec<OutPacket>,
    len: usize,
    pub drops: Vec<DropReason>,
    pub digests: Vec<Digest>,
    pub logs: Vec<String>,
}

impl Output {
    pub fn clear(&mut self) {
        self.len = 0;
        self.drops.clear();
        self.digests.clear();
        self.logs.clear();
    }

    pub fn packets(&self) -> &[OutPacket] {
        &self.packets[..self.len]
    }

    fn push(&mut self, port: u16, data: &[u8]) {
        if self.len == self.packets.len() {
            self.packets.push(OutPacket::default());
        }
        let p = &mut self.packets[self.len];
        p.port = port;
        p.data.clear();
        p.data.extend_from_slice(data);
        self.len += 1;
    }
}

/// Counters of the whole switch.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub received: u64,
    pub sent: u64,
    pub drops: [u64; DropReason::ALL.len()],
}

/// Why a pipeline could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error(transparent)]
    Pipeline(#[from] ddsr_pipeline::LoadError),
    #[error("`{name}` declares {size} cells; the softswitch supports at most {MAX_CELLS}")]
    TooLarge { name: String, size: u32 },
    #[error("the TNA pipeline cannot run on the softswitch: {0}")]
    Tna(#[from] TnaError),
}

/// Why a control-plane request was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ControlError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("no {kind} named `{name}`")]
    Unknown { kind: &'static str, name: String },
    #[error("`{name}` is not a {expected}")]
    Kind {
        name: String,
        expected: &'static str,
    },
    #[error("index {index} is out of range for `{name}` of size {size}")]
    Index {
        name: String,
        index: u64,
        size: usize,
    },
    #[error("{0}")]
    Profile(String),
    #[error("multicast group {0} {1}")]
    Multicast(u16, &'static str),
}

/// A packet waiting for a pass through the pipeline.
#[derive(Debug, Default)]
struct Job {
    pkt: Pkt,
    phv: Option<Phv>,
    port: u16,
    instance_type: u32,
    /// Ingress jobs: preserved metadata (slot, value) from resubmit/recirculate.
    preserved: Vec<(u32, u128)>,
    egress: bool,
    rid: u16,
    passes: u32,
    /// `truncate()` called in ingress: applies when the packet (or each replica) leaves.
    truncate: Option<u32>,
}

/// Reused buffers.
#[derive(Debug, Default)]
struct Scratch {
    args: Vec<u128>,
    key: Vec<u128>,
    bytes: Vec<u8>,
    fx: Effects,
    /// Jobs are boxed so that queueing one moves a pointer, not the whole job.
    queue: VecDeque<Box<Job>>,
    #[expect(
        clippy::vec_box,
        reason = "jobs move between the queue and this pool; boxes make that a pointer move"
    )]
    spare_jobs: Vec<Box<Job>>,
}

pub struct Switch {
    p: Pipeline,
    /// The pipeline's v1model binding (a TNA pipeline is held as its v1model mapping).
    pk: V1Switch,
    layout: Layout,
    /// Controls and actions compiled at load; `None` runs the interpreter (the oracle).
    code: Option<Code>,
    tables: Vec<TableState>,
    externs: Vec<ExternState>,
    value_sets: ValueSetState,
    mcast: HashMap<u16, Vec<Replica>>,
    clones: HashMap<u32, CloneSession>,
    rng: Rng,
    phv: Phv,
    scratch: Scratch,
    pub stats: Stats,
}

impl Switch {
    /// Loads a validated pipeline (tables get their fast indexes). A TNA pipeline runs through
    /// [`crate::tna::to_v1model`] (same tables, actions and ids, so the same entries load);
    /// what that mapping cannot run is refused with [`LoadError::Tna`].
    pub fn new(p: Pipeline) -> Result<Switch, LoadError> {
        ddsr_pipeline::valid::validate(&p).map_err(ddsr_pipeline::LoadError::from)?;
        let p = match p.package.tna() {
            Some(_) => crate::tna::to_v1model(&p)?,
            None => p,
        };
        let pk = p.package.v1switch().ok_or(TnaError::NotTna)?;
        for (_, e) in p.externs.iter() {
            let size = match e.kind {
                ExternKind::Counter { size, .. }
                | ExternKind::Meter { size, .. }
                | ExternKind::Register { size, .. }
                | ExternKind::ActionProfile { size }
                | ExternKind::ActionSelector { size, .. } => size,
                _ => 0,
            };
            if size > MAX_CELLS {
                return Err(LoadError::TooLarge {
                    name: e.name.clone(),
                    size,
                });
            }
        }
        let layout = Layout::new(&p, pk.standard_metadata);
        let code = Some(Code::new(&p, &layout));
        let mut sw = Switch {
            pk,
            code,
            tables: p
                .tables
                .iter()
                .map(|(h, t)| TableState::new(h, t))
                .collect(),
            externs: ExternState::for_pipeline(&p),
            value_sets: vec![Vec::new(); p.value_sets.len()],
            phv: Phv::new(&layout, p.stacks.len()),
            layout,
            mcast: HashMap::new(),
            clones: HashMap::new(),
            rng: Rng::new(0x5eed),
            scratch: Scratch::default(),
            stats: Stats::default(),
            p,
        };
        sw.install_const_entries()?;
        Ok(sw)
    }

    /// Runs controls and actions through the IR interpreter (`true`) instead of the code
    /// compiled at load (`false`, the default). The interpreter is the reference the compiled
    /// code is tested against.
    pub fn set_interpreted(&mut self, interpreted: bool) {
        self.code = (!interpreted).then(|| Code::new(&self.p, &self.layout));
    }

    fn install_const_entries(&mut self) -> Result<(), LoadError> {
        for (h, t) in self.p.tables.iter() {
            for e in &t.entries {
                // Const entries were checked by validation; a full table is the only failure.
                if self.tables[h.index()].insert(t, e.clone()).is_err() {
                    return Err(LoadError::TooLarge {
                        name: t.name.clone(),
                        size: t.entries.len() as u32,
                    });
                }
            }
        }
        Ok(())
    }

    /// Replaces every table index with the linear-scan oracle (for differential tests).
    pub fn use_reference_tables(&mut self) {
        for (h, t) in self.p.tables.iter() {
            let entries = self.tables[h.index()].entries();
            let mut st = TableState::reference(t);
            st.default = self.tables[h.index()].default.clone();
            st.default_call = self.tables[h.index()].default_call.clone();
            for e in entries {
                st.insert(t, e).expect("entries fit as before");
            }
            self.tables[h.index()] = st;
        }
    }

    /// The pipeline the switch runs: for a TNA pipeline, its v1model mapping.
    pub fn pipeline(&self) -> &Pipeline {
        &self.p
    }

    /// Seeds the generator behind `random` and the random hash.
    pub fn seed(&mut self, seed: u64) {
        self.rng = Rng::new(seed);
    }

    // ----- data plane -----

    /// Processes one packet received on `port` at `now_ns`, appending results to `out`.
    pub fn process(
        &mut self,
        port: u16,
        data: &[u8],
        now_ns: u64,
        out: &mut Output,
        mut trace: Option<&mut Trace>,
    ) {
        self.stats.received += 1;
        if data.is_empty() {
            self.drop(DropReason::Empty, out, trace.as_deref_mut());
            return;
        }
        let mut job = self.scratch.spare_jobs.pop().unwrap_or_default();
        job.pkt.load(data);
        job.phv = None;
        job.port = port;
        job.instance_type = instance_type::NORMAL;
        job.preserved.clear();
        job.egress = false;
        job.rid = 0;
        job.passes = 0;
        job.truncate = None;
        self.scratch.queue.push_back(job);
        while let Some(mut job) = self.scratch.queue.pop_front() {
            if job.egress {
                self.egress(&mut job, now_ns, out, trace.as_deref_mut());
            } else {
                self.ingress(&mut job, now_ns, out, trace.as_deref_mut());
            }
            self.scratch.spare_jobs.push(job);
        }
    }

    fn drop(&mut self, reason: DropReason, out: &mut Output, trace: Option<&mut Trace>) {
        self.stats.drops[reason.index()] += 1;
        out.drops.push(reason);
        if let Some(t) = trace {
            t.push(Event::Drop { reason });
        }
    }

    fn exec<'s>(
        &'s mut self,
        pkt: &'s mut Pkt,
        now: u64,
        trace: Option<&'s mut Trace>,
    ) -> Exec<'s> {
        Exec {
            p: &self.p,
            layout: &self.layout,
            tables: &mut self.tables,
            externs: &mut self.externs,
            value_sets: &self.value_sets,
            rng: &mut self.rng,
            phv: &mut self.phv,
            pkt,
            fx: &mut self.scratch.fx,
            trace,
            code: self.code.as_ref(),
            now,
            args: &mut self.scratch.args,
            key: &mut self.scratch.key,
            bytes: &mut self.scratch.bytes,
            action: None,
            cursor: 0,
            parse_error: None,
        }
    }

    fn get(&self, slot: u32) -> u128 {
        self.phv.slots[slot as usize]
    }

    fn set(&mut self, slot: Option<u32>, v: u128) {
        if let Some(s) = slot {
            let w = self.layout.slot_ty[s as usize].width();
            self.phv.slots[s as usize] = v & ddsr_pipeline::value::mask(w);
        }
    }

    fn ingress(
        &mut self,
        job: &mut Job,
        now: u64,
        out: &mut Output,
        mut trace: Option<&mut Trace>,
    ) {
        let std = self.layout.std;
        self.phv.reset(&self.layout);
        self.scratch.fx.reset(self.p.externs.len());
        let len = job.pkt.len();
        if let Some(t) = trace.as_deref_mut() {
            t.push(Event::Packet {
                port: job.port,
                length: len,
                instance_type: job.instance_type,
            });
        }
        for (s, v) in &job.preserved {
            self.phv.slots[*s as usize] = *v;
        }
        self.set(Some(std.ingress_port), u128::from(job.port));
        self.set(Some(std.instance_type), u128::from(job.instance_type));
        self.set(Some(std.packet_length), len as u128);
        self.set(std.ingress_global_timestamp, u128::from(now / 1000));
        let pk = self.pk;
        let assert_failed = {
            let mut ex = self.exec(&mut job.pkt, now, trace.as_deref_mut());
            ex.parse();
            for c in [pk.verify_checksum, pk.ingress] {
                let ctl = &ex.p.controls[c];
                if ex.trace.is_some() {
                    let name = ctl.name.clone();
                    if let Some(t) = ex.trace.as_deref_mut() {
                        t.push(Event::Control { control: name });
                    }
                }
                if ex.control(c) == Flow::Exit && ex.fx.assert_failed {
                    break;
                }
            }
            ex.fx.assert_failed
        };
        self.collect(out);
        if assert_failed {
            self.drop(DropReason::Assert, out, trace);
            return;
        }
        let fx_clone = self.scratch.fx.clone.take();
        let resubmit = self.scratch.fx.resubmit.take();
        let truncate = self.scratch.fx.truncate.take();
        // Ingress changes only the PHV, never the bytes (the deparser runs after egress), so
        // `job.pkt` still holds the packet as received for I2E clones and resubmit.
        if let Some((CloneKind::I2E, session, fl)) = fx_clone {
            self.clone_to(
                session,
                fl,
                &job.pkt,
                instance_type::INGRESS_CLONE,
                job,
                out,
                trace.as_deref_mut(),
            );
        }
        if let Some(fl) = resubmit {
            if job.passes + 1 >= MAX_PASSES {
                self.drop(DropReason::PassLimit, out, trace);
                return;
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(Event::Resubmit);
            }
            let mut next = self.new_job();
            next.pkt.load(job.pkt.bytes());
            next.port = job.port;
            next.instance_type = instance_type::RESUBMIT;
            next.passes = job.passes + 1;
            self.preserve(fl, &mut next.preserved);
            self.scratch.queue.push_back(next);
            return;
        }
        let mcast = std.mcast_grp.map_or(0, |s| self.get(s) as u16);
        let egress_spec = self.get(std.egress_spec) as u16;
        if mcast != 0 {
            let Some(replicas) = self.mcast.get(&mcast).cloned() else {
                self.drop(DropReason::NoMulticastGroup, out, trace);
                return;
            };
            if let Some(t) = trace.as_deref_mut() {
                t.push(Event::Multicast {
                    group: mcast,
                    copies: replicas.len(),
                });
            }
            for r in replicas {
                let mut next = self.new_job();
                next.pkt.copy_from(&job.pkt);
                next.phv = Some(self.phv.clone());
                next.port = r.port;
                next.rid = r.rid;
                next.instance_type = instance_type::REPLICATION;
                next.egress = true;
                next.passes = job.passes;
                next.truncate = truncate;
                self.scratch.queue.push_back(next);
            }
            return;
        }
        if egress_spec == DROP_PORT {
            self.drop(DropReason::Ingress, out, trace);
            return;
        }
        // Unicast: egress runs right away on the same PHV and buffer (no copy).
        job.port = egress_spec;
        job.rid = 0;
        job.phv = None;
        job.truncate = truncate;
        self.egress(job, now, out, trace);
    }

    fn new_job(&mut self) -> Box<Job> {
        let mut j = self.scratch.spare_jobs.pop().unwrap_or_default();
        j.phv = None;
        j.preserved.clear();
        j.egress = false;
        j.rid = 0;
        j.passes = 0;
        j.truncate = None;
        j
    }

    /// Metadata of field list `fl` as (slot, value) pairs.
    fn preserve(&self, fl: Option<u8>, into: &mut Vec<(u32, u128)>) {
        into.clear();
        let Some(id) = fl else { return };
        for list in self.p.field_lists.iter().filter(|l| l.id == id) {
            for f in &list.fields {
                if let Some(s) = self.layout.resolve(&self.p, &self.phv.next, *f) {
                    into.push((s, self.get(s)));
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn clone_to(
        &mut self,
        session: u32,
        fl: Option<u8>,
        pkt: &Pkt,
        itype: u32,
        job: &Job,
        out: &mut Output,
        trace: Option<&mut Trace>,
    ) {
        let Some(s) = self.clones.get(&session).cloned() else {
            self.drop(DropReason::NoCloneSession, out, trace);
            return;
        };
        if let Some(t) = trace {
            t.push(Event::Clone { session });
        }
        for r in &s.replicas {
            let mut next = self.new_job();
            next.pkt.load(pkt.bytes());
            if let Some(n) = s.truncate_bytes {
                let keep = (n as usize).min(next.pkt.len());
                next.pkt.end = next.pkt.head + keep;
            }
            next.port = r.port;
            next.rid = r.rid;
            next.instance_type = itype;
            next.egress = true;
            next.passes = job.passes;
            // Clones are reparsed at egress; their preserved fields ride along.
            self.preserve(fl, &mut next.preserved);
            self.scratch.queue.push_back(next);
        }
    }

    fn egress(&mut self, job: &mut Job, now: u64, out: &mut Output, mut trace: Option<&mut Trace>) {
        let std = self.layout.std;
        let pk = self.pk;
        self.scratch.fx.reset(self.p.externs.len());
        if let Some(phv) = job.phv.take() {
            self.phv.copy_from(&phv);
        } else if job.instance_type == instance_type::INGRESS_CLONE
            || job.instance_type == instance_type::EGRESS_CLONE
        {
            // A clone starts from the packet bytes: parse them again with fresh metadata.
            self.phv.reset(&self.layout);
            self.set(Some(std.ingress_port), u128::from(job.port));
            let mut ex = self.exec(&mut job.pkt, now, None);
            ex.parse();
            for (s, v) in &job.preserved {
                self.phv.slots[*s as usize] = *v;
            }
        }
        self.set(Some(std.egress_port), u128::from(job.port));
        self.set(std.egress_rid, u128::from(job.rid));
        self.set(Some(std.instance_type), u128::from(job.instance_type));
        self.set(std.egress_global_timestamp, u128::from(now / 1000));
        self.set(Some(std.packet_length), job.pkt.len() as u128);
        // Egress may drop with mark_to_drop; start from a neutral egress_spec.
        self.set(Some(std.egress_spec), u128::from(job.port));
        let (assert_failed, ok) = {
            let mut ex = self.exec(&mut job.pkt, now, trace.as_deref_mut());
            let mut failed = false;
            for c in [pk.egress, pk.compute_checksum] {
                let ctl = &ex.p.controls[c];
                if ex.trace.is_some() {
                    let name = ctl.name.clone();
                    if let Some(t) = ex.trace.as_deref_mut() {
                        t.push(Event::Control { control: name });
                    }
                }
                if c == pk.compute_checksum && ex.get(std.egress_spec) == u128::from(DROP_PORT) {
                    break;
                }
                if ex.control(c) == Flow::Exit && ex.fx.assert_failed {
                    failed = true;
                    break;
                }
            }
            let ok = failed || ex.get(std.egress_spec) == u128::from(DROP_PORT) || ex.deparse();
            (failed, ok)
        };
        self.collect(out);
        if assert_failed {
            self.drop(DropReason::Assert, out, trace);
            return;
        }
        let fx_clone = self.scratch.fx.clone.take();
        let recirc = self.scratch.fx.recirculate.take();
        // A truncate() in egress replaces one from ingress.
        let truncate = self.scratch.fx.truncate.take().or(job.truncate);
        if let Some((CloneKind::E2E, session, fl)) = fx_clone {
            let pkt = std::mem::take(&mut job.pkt);
            self.clone_to(
                session,
                fl,
                &pkt,
                instance_type::EGRESS_CLONE,
                job,
                out,
                trace.as_deref_mut(),
            );
            job.pkt = pkt;
        }
        if self.get(std.egress_spec) == u128::from(DROP_PORT) {
            self.drop(DropReason::Egress, out, trace);
            return;
        }
        if !ok {
            self.drop(DropReason::TooLarge, out, trace);
            return;
        }
        if let Some(fl) = recirc {
            if job.passes + 1 >= MAX_PASSES {
                self.drop(DropReason::PassLimit, out, trace);
                return;
            }
            if let Some(t) = trace.as_deref_mut() {
                t.push(Event::Recirculate);
            }
            let mut next = self.new_job();
            next.pkt.load(job.pkt.bytes());
            next.port = job.port;
            next.instance_type = instance_type::RECIRC;
            next.passes = job.passes + 1;
            self.preserve(fl, &mut next.preserved);
            self.scratch.queue.push_back(next);
            return;
        }
        let data = job.pkt.bytes();
        let n = truncate.map_or(data.len(), |t| (t as usize).min(data.len()));
        out.push(job.port, &data[..n]);
        self.stats.sent += 1;
        if let Some(t) = trace {
            t.push(Event::Output {
                port: job.port,
                length: n,
            });
        }
    }

    fn collect(&mut self, out: &mut Output) {
        out.digests.append(&mut self.scratch.fx.digests);
        out.logs.append(&mut self.scratch.fx.logs);
    }

    // ----- control plane -----

    pub fn table(&self, name: &str) -> Result<Handle<Table>, ControlError> {
        self.p
            .table_by_name(name)
            .ok_or_else(|| ControlError::Unknown {
                kind: "table",
                name: name.into(),
            })
    }

    fn extern_named(
        &self,
        name: &str,
    ) -> Result<Handle<ddsr_pipeline::externs::Extern>, ControlError> {
        self.p
            .extern_by_name(name)
            .ok_or_else(|| ControlError::Unknown {
                kind: "extern",
                name: name.into(),
            })
    }

    fn writable(&self, t: &Table) -> Result<(), ControlError> {
        if t.entries_const {
            return Err(TableError::Const(t.name.clone()).into());
        }
        Ok(())
    }

    pub fn insert(&mut self, e: TableEntry) -> Result<(), ControlError> {
        e.check(&self.p).map_err(TableError::from)?;
        let t = &self.p.tables[e.table];
        self.writable(t)?;
        self.tables[e.table.index()].insert(t, e)?;
        Ok(())
    }

    pub fn modify(&mut self, e: TableEntry) -> Result<(), ControlError> {
        e.check(&self.p).map_err(TableError::from)?;
        let t = &self.p.tables[e.table];
        self.writable(t)?;
        self.tables[e.table.index()].modify(t, e)?;
        Ok(())
    }

    pub fn delete(&mut self, e: &TableEntry) -> Result<(), ControlError> {
        let t = self.p.tables.get(e.table).ok_or(ControlError::Unknown {
            kind: "table",
            name: format!("#{}", e.table.raw()),
        })?;
        self.writable(t)?;
        self.tables[e.table.index()].delete(t, e)?;
        Ok(())
    }

    /// Entries of a table in insertion-slot order.
    pub fn read(&self, table: Handle<Table>) -> Vec<TableEntry> {
        self.tables
            .get(table.index())
            .map(TableState::entries)
            .unwrap_or_default()
    }

    /// How often the packet path looked each table up since the pipeline was loaded, in
    /// table order.
    pub fn lookups(&self) -> impl Iterator<Item = (&Table, crate::table::Lookups)> {
        self.p
            .tables
            .iter()
            .map(|(h, t)| (t, self.tables[h.index()].lookups()))
    }

    /// The installed entry with the key (matches and priority) of `e`, as written. Owned:
    /// compact tables rebuild it from the packed key and the interned action.
    pub fn entry(&self, e: &TableEntry) -> Option<TableEntry> {
        self.tables.get(e.table.index())?.entry(e)
    }

    /// Whether an entry with the key (matches and priority) of `e` is installed.
    pub fn contains(&self, e: &TableEntry) -> bool {
        self.tables
            .get(e.table.index())
            .is_some_and(|t| t.contains(e))
    }

    /// The direct counter of an entry.
    pub fn direct_counter(&self, e: &TableEntry) -> Option<Count> {
        self.p.tables.get(e.table)?.direct_counter?;
        self.tables.get(e.table.index())?.counter(e)
    }

    /// Sets the direct counter of an entry (P4Runtime writes it to reset it).
    pub fn set_direct_counter(&mut self, e: &TableEntry, count: Count) -> Result<(), ControlError> {
        let missing = self.missing(e)?;
        if let Some(c) = self.tables[e.table.index()].counter_mut(e).ok_or(missing)? {
            *c = count;
        }
        Ok(())
    }

    /// The configuration of an entry's direct meter (`None` inside: unconfigured, all green).
    pub fn direct_meter(&self, e: &TableEntry) -> Option<Option<MeterConfig>> {
        self.p.tables.get(e.table)?.direct_meter?;
        self.tables.get(e.table.index())?.meter_config(e)
    }

    /// The error for a missing entry of `e`'s table, or the error for a missing table.
    fn missing(&self, e: &TableEntry) -> Result<ControlError, ControlError> {
        let t = self.p.tables.get(e.table).ok_or(ControlError::Unknown {
            kind: "table",
            name: format!("#{}", e.table.raw()),
        })?;
        Ok(TableError::NotFound(t.name.clone()).into())
    }

    pub fn set_direct_meter(
        &mut self,
        e: &TableEntry,
        config: Option<MeterConfig>,
        now_ns: u64,
    ) -> Result<(), ControlError> {
        let missing = self.missing(e)?;
        if let Some(m) = self.tables[e.table.index()].meter_mut(e).ok_or(missing)? {
            m.configure(config, now_ns);
        }
        Ok(())
    }

    pub fn set_default(
        &mut self,
        table: Handle<Table>,
        call: ActionCall,
    ) -> Result<(), ControlError> {
        let t = self.p.tables.get(table).ok_or(ControlError::Unknown {
            kind: "table",
            name: format!("#{}", table.raw()),
        })?;
        if t.default_const {
            return Err(TableError::ConstDefault(t.name.clone()).into());
        }
        check_call(&self.p, t, &call, true).map_err(TableError::from)?;
        let st = &mut self.tables[table.index()];
        st.default = Bound::from_call(&call);
        st.default_call = call;
        Ok(())
    }

    pub fn default_action(&self, table: Handle<Table>) -> Option<&ActionCall> {
        self.tables.get(table.index()).map(|t| &t.default_call)
    }

    fn profile_mut(
        &mut self,
        h: Handle<ddsr_pipeline::externs::Extern>,
    ) -> Result<&mut crate::externs::profile::Profile, ControlError> {
        match self.externs.get_mut(h.index()) {
            Some(ExternState::Profile(p)) => Ok(p),
            _ => Err(ControlError::Kind {
                name: self
                    .p
                    .externs
                    .get(h)
                    .map_or_else(|| format!("#{}", h.raw()), |e| e.name.clone()),
                expected: "action profile or selector",
            }),
        }
    }

    /// The members and groups of an action profile or selector.
    pub fn profile(
        &self,
        h: Handle<ddsr_pipeline::externs::Extern>,
    ) -> Option<&crate::externs::profile::Profile> {
        match self.externs.get(h.index()) {
            Some(ExternState::Profile(p)) => Some(p),
            _ => None,
        }
    }

    pub fn insert_member(&mut self, m: ProfileMember) -> Result<(), ControlError> {
        m.check(&self.p).map_err(TableError::from)?;
        let b = Bound::from_call(&m.action);
        self.profile_mut(m.profile)?
            .insert_member(m, b)
            .map_err(|e| ControlError::Profile(e.to_string()))
    }

    pub fn modify_member(&mut self, m: ProfileMember) -> Result<(), ControlError> {
        m.check(&self.p).map_err(TableError::from)?;
        let b = Bound::from_call(&m.action);
        self.profile_mut(m.profile)?
            .modify_member(m, b)
            .map_err(|e| ControlError::Profile(e.to_string()))
    }

    pub fn delete_member(
        &mut self,
        profile: Handle<ddsr_pipeline::externs::Extern>,
        member: u32,
    ) -> Result<(), ControlError> {
        self.profile_mut(profile)?
            .delete_member(member)
            .map_err(|e| ControlError::Profile(e.to_string()))
    }

    pub fn write_group(&mut self, g: ProfileGroup, insert: bool) -> Result<(), ControlError> {
        self.profile_mut(g.profile)?
            .write_group(g, insert)
            .map_err(|e| ControlError::Profile(e.to_string()))
    }

    pub fn delete_group(
        &mut self,
        profile: Handle<ddsr_pipeline::externs::Extern>,
        group: u32,
    ) -> Result<(), ControlError> {
        self.profile_mut(profile)?
            .delete_group(group)
            .map_err(|e| ControlError::Profile(e.to_string()))
    }

    pub fn counter(&self, name: &str, index: u64) -> Result<Count, ControlError> {
        let h = self.extern_named(name)?;
        match &self.externs[h.index()] {
            ExternState::Counter(c) => c.get(index as usize).copied().ok_or(ControlError::Index {
                name: name.into(),
                index,
                size: c.len(),
            }),
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "counter",
            }),
        }
    }

    /// Sets one counter cell (P4Runtime writes counters to reset them).
    pub fn set_counter(
        &mut self,
        name: &str,
        index: u64,
        count: Count,
    ) -> Result<(), ControlError> {
        let h = self.extern_named(name)?;
        match &mut self.externs[h.index()] {
            ExternState::Counter(c) => {
                let size = c.len();
                *c.get_mut(index as usize).ok_or(ControlError::Index {
                    name: name.into(),
                    index,
                    size,
                })? = count;
                Ok(())
            }
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "counter",
            }),
        }
    }

    pub fn register_read(&self, name: &str, index: u64) -> Result<u128, ControlError> {
        let h = self.extern_named(name)?;
        match &self.externs[h.index()] {
            ExternState::Register(c) => c.get(index as usize).copied().ok_or(ControlError::Index {
                name: name.into(),
                index,
                size: c.len(),
            }),
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "register",
            }),
        }
    }

    pub fn register_write(
        &mut self,
        name: &str,
        index: u64,
        value: u128,
    ) -> Result<(), ControlError> {
        let h = self.extern_named(name)?;
        let width = match self.p.externs[h].kind {
            ExternKind::Register { width, .. } => width,
            _ => 0,
        };
        match &mut self.externs[h.index()] {
            ExternState::Register(c) => {
                let size = c.len();
                let cell = c.get_mut(index as usize).ok_or(ControlError::Index {
                    name: name.into(),
                    index,
                    size,
                })?;
                *cell = value & ddsr_pipeline::value::mask(width);
                Ok(())
            }
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "register",
            }),
        }
    }

    pub fn meter_configure(
        &mut self,
        name: &str,
        index: u64,
        config: Option<MeterConfig>,
        now_ns: u64,
    ) -> Result<(), ControlError> {
        let h = self.extern_named(name)?;
        match &mut self.externs[h.index()] {
            ExternState::Meter(c) => {
                let size = c.len();
                c.get_mut(index as usize)
                    .ok_or(ControlError::Index {
                        name: name.into(),
                        index,
                        size,
                    })?
                    .configure(config, now_ns);
                Ok(())
            }
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "meter",
            }),
        }
    }

    /// The configuration of one meter cell (`None` inside: unconfigured, all green).
    pub fn meter_config(
        &self,
        name: &str,
        index: u64,
    ) -> Result<Option<MeterConfig>, ControlError> {
        let h = self.extern_named(name)?;
        match &self.externs[h.index()] {
            ExternState::Meter(c) => {
                c.get(index as usize)
                    .map(|m| m.config())
                    .ok_or(ControlError::Index {
                        name: name.into(),
                        index,
                        size: c.len(),
                    })
            }
            _ => Err(ControlError::Kind {
                name: name.into(),
                expected: "meter",
            }),
        }
    }

    /// Creates or replaces a multicast group (group 0 means "no multicast" and is refused).
    pub fn set_multicast_group(&mut self, g: MulticastGroup) -> Result<(), ControlError> {
        if g.group == 0 {
            return Err(ControlError::Multicast(0, "is reserved"));
        }
        self.mcast.insert(g.group, g.replicas);
        Ok(())
    }

    pub fn delete_multicast_group(&mut self, group: u16) -> Result<(), ControlError> {
        self.mcast
            .remove(&group)
            .map(|_| ())
            .ok_or(ControlError::Multicast(group, "does not exist"))
    }

    pub fn multicast_group(&self, group: u16) -> Option<&[Replica]> {
        self.mcast.get(&group).map(Vec::as_slice)
    }

    /// Every multicast group, in no particular order.
    pub fn multicast_groups(&self) -> impl Iterator<Item = (u16, &[Replica])> {
        self.mcast.iter().map(|(g, r)| (*g, r.as_slice()))
    }

    pub fn clone_session(&self, session: u32) -> Option<&CloneSession> {
        self.clones.get(&session)
    }

    /// Every clone session, in no particular order.
    pub fn clone_sessions(&self) -> impl Iterator<Item = &CloneSession> {
        self.clones.values()
    }

    pub fn set_clone_session(&mut self, s: CloneSession) {
        self.clones.insert(s.session, s);
    }

    pub fn delete_clone_session(&mut self, session: u32) -> bool {
        self.clones.remove(&session).is_some()
    }

    /// Adds a member (value, mask per element) to a parser value set.
    pub fn value_set_add(
        &mut self,
        name: &str,
        value: Vec<u128>,
        mask: Vec<u128>,
    ) -> Result<(), ControlError> {
        let (h, vs) = self
            .p
            .value_sets
            .iter()
            .find(|(_, v)| v.name == name)
            .ok_or_else(|| ControlError::Unknown {
                kind: "value set",
                name: name.into(),
            })?;
        if value.len() != vs.fields.len() || mask.len() != vs.fields.len() {
            return Err(ControlError::Kind {
                name: name.into(),
                expected: "member with one value and mask per element",
            });
        }
        let members = &mut self.value_sets[h.index()];
        if members.len() >= vs.size as usize {
            return Err(TableError::Full {
                table: name.into(),
                size: vs.size,
            }
            .into());
        }
        members.push((value, mask));
        Ok(())
    }
}
