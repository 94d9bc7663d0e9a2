//! The device state a P4Runtime server manages: the committed forwarding config with its
//! switch core, a saved (not yet committed) config, and the per-entry data P4Runtime carries
//! that the data plane does not use.
//!
//! Invariant: `extras` describes entries of the committed switch only; it is reset whenever a
//! config is committed and carried over entry by entry by RECONCILE_AND_COMMIT.

use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::entry::{ActionCall, EntryAction, TableEntry};
use ddsr_pipeline::{Pipeline, Table};
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch::{LoadError, Switch};
use v1::write_request::Atomicity;

use crate::digest::Digests;
use crate::error::Error;
use crate::schema::Schema;
use crate::stats::{PortDrops, Stats};
use crate::translate;
use crate::write::{Extras, Writer};
use crate::{cells, digest, pre, profile};

/// A verified forwarding config, ready to commit.
pub struct Config {
    pub info: p4i::P4Info,
    pub device_config: Vec<u8>,
    pub cookie: Option<v1::forwarding_pipeline_config::Cookie>,
    pub schema: Schema,
    pub switch: Switch,
    /// Pipeline drops by ingress port since this config was committed.
    pub port_drops: PortDrops,
}

impl Config {
    /// Checks that the config can run: the device config is our pipeline JSON or P4 source
    /// the front end compiles, and the P4Info describes that pipeline.
    pub fn verify(c: &v1::ForwardingPipelineConfig) -> Result<Config, Error> {
        let info = c
            .p4info
            .clone()
            .ok_or_else(|| Error::InvalidArgument("the config has no P4Info".into()))?;
        let pipeline = pipeline_of(&c.p4_device_config)?;
        let schema = Schema::new(&info, &pipeline).map_err(Error::InvalidArgument)?;
        // A TNA pipeline loads through the softswitch's TNA mapping; one it cannot run is a
        // config this device does not implement, not a lack of room.
        let switch = Switch::new(pipeline).map_err(|e| {
            let why = format!("cannot load the pipeline: {e}");
            match e {
                LoadError::Tna(_) => Error::Unimplemented(why),
                _ => Error::ResourceExhausted(why),
            }
        })?;
        Ok(Config {
            info,
            device_config: c.p4_device_config.clone(),
            cookie: c.cookie,
            schema,
            switch,
            port_drops: PortDrops::default(),
        })
    }

    fn pipeline(&self) -> &Pipeline {
        self.switch.pipeline()
    }
}

fn pipeline_of(bytes: &[u8]) -> Result<Pipeline, Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::InvalidArgument(format!(
            "the device config is neither pipeline JSON nor P4 source: {e}"
        ))
    })?;
    if text.trim().is_empty() {
        return Err(Error::InvalidArgument("the device config is empty".into()));
    }
    if text.trim_start().starts_with('{') {
        return Pipeline::from_json(text)
            .map_err(|e| Error::InvalidArgument(format!("pipeline JSON: {e}")));
    }
    let parsed = ddsr_p4::syntax::parse_str("device_config.p4", text, &Default::default());
    let render = |d: &[ddsr_diag::Diagnostic]| {
        Error::InvalidArgument(ddsr_diag::render_text(&parsed.sources, d, false))
    };
    if parsed.diagnostics.has_errors() {
        return Err(render(&parsed.diagnostics.clone().into_vec()));
    }
    ddsr_p4::p4info::compile(&parsed.program, "program")
        .map(|c| c.lowered.pipeline)
        .map_err(|d| render(&d))
}

#[derive(Default)]
pub struct Device {
    committed: Option<Config>,
    saved: Option<Config>,
    extras: Extras,
    digests: Digests,
}

impl Device {
    pub fn config(&self) -> Option<&Config> {
        self.committed.as_ref()
    }

    /// Runs one packet through the committed switch at `now_ns`; digest lists that became
    /// ready go to `lists`. Returns false when no pipeline is set.
    pub fn process(
        &mut self,
        port: u16,
        data: &[u8],
        now_ns: u64,
        out: &mut ddsr_softswitch::Output,
        lists: &mut Vec<v1::DigestList>,
    ) -> bool {
        let Some(c) = self.committed.as_mut() else {
            return false;
        };
        c.switch.process(port, data, now_ns, out, None);
        c.port_drops.count(port, &out.drops);
        if !out.digests.is_empty() {
            self.digests
                .push(c, &self.extras, &out.digests, now_ns, lists);
        }
        true
    }

    /// Digest lists due at `now_ns`, and when the next one falls due.
    pub fn digests_due(&mut self, now_ns: u64, lists: &mut Vec<v1::DigestList>) -> Option<u64> {
        let c = self.committed.as_ref()?;
        self.digests.due(c, &self.extras, now_ns, lists);
        self.digests.next_deadline(&self.extras)
    }

    /// A controller acknowledged a digest list.
    pub fn digest_ack(&mut self, a: &v1::DigestListAck) -> Result<(), Error> {
        self.digests.ack(a)
    }

    /// The committed pipeline's counters; `None` when no pipeline is set.
    pub fn stats(&self) -> Option<Stats> {
        let c = self.committed.as_ref()?;
        Some(Stats::of(&c.switch, &c.port_drops))
    }

    /// The committed switch core, for the packet path.
    pub fn switch_mut(&mut self) -> Option<&mut Switch> {
        self.committed.as_mut().map(|c| &mut c.switch)
    }

    /// SetForwardingPipelineConfig after the caller checked who is asking.
    pub fn set_pipeline(
        &mut self,
        action: v1::set_forwarding_pipeline_config_request::Action,
        config: Option<&v1::ForwardingPipelineConfig>,
    ) -> Result<(), Error> {
        use v1::set_forwarding_pipeline_config_request::Action as A;
        let given =
            || config.ok_or_else(|| Error::InvalidArgument("the request has no config".into()));
        match action {
            A::Unspecified => Err(Error::InvalidArgument("no action given".into())),
            A::Verify => Config::verify(given()?).map(drop),
            A::VerifyAndSave => {
                self.saved = Some(Config::verify(given()?)?);
                Ok(())
            }
            A::VerifyAndCommit => {
                let c = Config::verify(given()?)?;
                self.commit(c);
                Ok(())
            }
            A::Commit => {
                let c = self.saved.take().ok_or_else(|| {
                    Error::FailedPrecondition("COMMIT without a saved config".into())
                })?;
                self.commit(c);
                Ok(())
            }
            A::ReconcileAndCommit => {
                let mut c = Config::verify(given()?)?;
                let extras = self.carry_over(&mut c)?;
                self.committed = Some(c);
                self.saved = None;
                self.extras = extras;
                self.digests.clear();
                Ok(())
            }
        }
    }

    fn commit(&mut self, c: Config) {
        self.extras = Extras::default();
        self.digests.clear();
        self.committed = Some(c);
        self.saved = None;
    }

    /// Re-installs the control plane's entries (every entry of a table without const entries)
    /// and default actions into `new`, matching tables and actions by name; fails if any of
    /// them does not fit the new program.
    fn carry_over(&self, new: &mut Config) -> Result<Extras, Error> {
        let Some(old) = &self.committed else {
            return Ok(Extras::default());
        };
        let (op, np) = (old.pipeline(), new.pipeline().clone());
        let call = |c: &ActionCall| -> Result<ActionCall, Error> {
            let name = &op.actions[c.action].name;
            let action = np.action_by_name(name).ok_or_else(|| {
                Error::InvalidArgument(format!("reconcile: action `{name}` is gone"))
            })?;
            Ok(ActionCall {
                action,
                args: c.args.clone(),
            })
        };
        let table = |h: Handle<Table>| -> Result<Handle<Table>, Error> {
            let name = &op.tables[h].name;
            np.table_by_name(name)
                .ok_or_else(|| Error::InvalidArgument(format!("reconcile: table `{name}` is gone")))
        };
        let fail = |e: ddsr_softswitch::ControlError| {
            Error::InvalidArgument(format!("reconcile: an existing entry does not fit: {e}"))
        };
        let mut extras = Extras::default();
        for (h, t) in op.tables.iter() {
            let written = if t.entries_const {
                Vec::new()
            } else {
                old.switch.read(h)
            };
            for e in written {
                let meta = self.extras.meta(&e).cloned();
                let action = match e.action {
                    EntryAction::Action(c) => EntryAction::Action(call(&c)?),
                    other => other,
                };
                let e = TableEntry {
                    table: table(h)?,
                    matches: e.matches,
                    priority: e.priority,
                    action,
                };
                // The new program's own initial entries are installed already; ours replace them.
                if new.switch.contains(&e) {
                    new.switch.modify(e.clone()).map_err(fail)?;
                } else {
                    new.switch.insert(e.clone()).map_err(fail)?;
                }
                if let Some(m) = meta {
                    extras.meta.insert((e.table, e.matches, e.priority), m);
                }
            }
            let current = old.switch.default_action(h);
            if t.default_const || current == Some(&t.default_action) {
                continue;
            }
            if let Some(c) = current {
                new.switch.set_default(table(h)?, call(c)?).map_err(fail)?;
            }
        }
        Ok(extras)
    }

    fn committed(&self) -> Result<&Config, Error> {
        self.committed
            .as_ref()
            .ok_or_else(|| Error::FailedPrecondition("no forwarding pipeline is set".into()))
    }

    /// Applies a batch at `now_ns` on the packet path's clock; one result per update, in
    /// order (see [`Writer::batch`]).
    pub fn write(
        &mut self,
        updates: &[v1::Update],
        atomicity: Atomicity,
        now_ns: u64,
    ) -> Result<Vec<Result<(), Error>>, Error> {
        let c = self
            .committed
            .as_mut()
            .ok_or_else(|| Error::FailedPrecondition("no forwarding pipeline is set".into()))?;
        let mut w = Writer {
            switch: &mut c.switch,
            schema: &c.schema,
            extras: &mut self.extras,
            now_ns,
        };
        Ok(w.batch(updates, atomicity))
    }

    /// The entities matching one Read filter.
    pub fn read(&self, filter: &v1::Entity, out: &mut Vec<v1::Entity>) -> Result<(), Error> {
        use v1::entity::Entity as E;
        let c = self.committed()?;
        match &filter.entity {
            Some(E::TableEntry(f)) => self.read_entries(c, f, out),
            Some(E::CounterEntry(f)) => cells::read_counters(c, f, out),
            Some(E::DirectCounterEntry(f)) => cells::read_direct_counters(c, f, out),
            Some(E::MeterEntry(f)) => cells::read_meters(c, f, out),
            Some(E::DirectMeterEntry(f)) => cells::read_direct_meters(c, f, out),
            Some(E::RegisterEntry(f)) => cells::read_registers(c, f, out),
            Some(E::ActionProfileMember(f)) => profile::read_members(c, f, out),
            Some(E::ActionProfileGroup(f)) => profile::read_groups(c, &self.extras, f, out),
            Some(E::PacketReplicationEngineEntry(f)) => pre::read(c, &self.extras, f, out),
            Some(E::DigestEntry(f)) => digest::read(c, &self.extras, f, out),
            Some(E::ValueSetEntry(_)) => Err(Error::Unimplemented(
                "parser value sets cannot be read yet".into(),
            )),
            Some(E::ExternEntry(_)) => Err(Error::Unimplemented(
                "this architecture has no extern entries".into(),
            )),
            None => Err(Error::InvalidArgument("the entity is empty".into())),
        }
    }

    fn read_entries(
        &self,
        c: &Config,
        f: &v1::TableEntry,
        out: &mut Vec<v1::Entity>,
    ) -> Result<(), Error> {
        let p = c.switch.pipeline();
        let mut tables: Vec<(u32, Handle<Table>)> = if f.table_id == 0 {
            if !f.r#match.is_empty() {
                return Err(Error::InvalidArgument(
                    "match fields need a table id".into(),
                ));
            }
            c.schema
                .tables
                .iter()
                .map(|(id, t)| (*id, t.handle))
                .collect()
        } else {
            let t = c
                .schema
                .tables
                .get(&f.table_id)
                .ok_or_else(|| Error::NotFound(format!("no table with id {}", f.table_id)))?;
            vec![(f.table_id, t.handle)]
        };
        tables.sort_by_key(|(id, _)| *id);
        let wanted = if f.r#match.is_empty() {
            None
        } else {
            Some(translate::key(&c.schema, p, f)?)
        };
        let push = |out: &mut Vec<v1::Entity>, e: v1::TableEntry| {
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(e)),
            })
        };
        for (id, h) in tables {
            let table = &p.tables[h];
            if f.is_default_action {
                let call = c.switch.default_action(h).unwrap_or(&table.default_action);
                push(
                    out,
                    v1::TableEntry {
                        table_id: id,
                        action: Some(v1::TableAction {
                            r#type: Some(v1::table_action::Type::Action(translate::to_p4_action(
                                &c.schema, call,
                            ))),
                        }),
                        is_default_action: true,
                        ..Default::default()
                    },
                );
                continue;
            }
            for m in c.switch.read(h) {
                if let Some(w) = &wanted
                    && (w.matches != m.matches || w.priority != m.priority)
                {
                    continue;
                }
                let mut e = translate::to_p4(&c.schema, p, &m);
                if let Some(x) = self.extras.meta(&m) {
                    e.metadata = x.metadata.clone();
                    e.idle_timeout_ns = x.idle_timeout_ns;
                }
                e.is_const = table.entries_const;
                if f.meter_config.is_some() {
                    e.meter_config = cells::entry_meter(c, &m);
                }
                if f.counter_data.is_some()
                    && let Some(n) = c.switch.direct_counter(&m)
                {
                    e.counter_data = Some(v1::CounterData {
                        byte_count: n.bytes as i64,
                        packet_count: n.packets as i64,
                    });
                }
                push(out, e);
            }
        }
        Ok(())
    }
}
