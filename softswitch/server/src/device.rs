//! The device state a P4Runtime server manages: the committed forwarding config with its
//! switch core, a saved (not yet committed) config, and the per-entry data P4Runtime carries
//! that the data plane does not use.
//!
//! Invariant: `extra` has exactly one record for each entry the control plane wrote into
//! the committed switch (const entries have none), holding the entry's current action, so a
//! failed atomic batch can be undone without asking the core.

use std::collections::HashMap;

use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_pipeline::externs::ExternKind;
use ddsr_pipeline::{Pipeline, Table};
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch::Switch;
use v1::write_request::Atomicity;

use crate::error::Error;
use crate::schema::Schema;
use crate::translate;

/// A verified forwarding config, ready to commit.
pub struct Config {
    pub info: p4i::P4Info,
    pub device_config: Vec<u8>,
    pub cookie: Option<v1::forwarding_pipeline_config::Cookie>,
    pub schema: Schema,
    pub switch: Switch,
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
        let switch = Switch::new(pipeline)
            .map_err(|e| Error::ResourceExhausted(format!("cannot load the pipeline: {e}")))?;
        Ok(Config {
            info,
            device_config: c.p4_device_config.clone(),
            cookie: c.cookie,
            schema,
            switch,
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

/// P4Runtime fields of an entry the core does not keep.
#[derive(Debug, Clone)]
struct Extra {
    action: EntryAction,
    metadata: Vec<u8>,
    idle_timeout_ns: i64,
}

type Key = (Handle<Table>, Vec<FieldMatch>, i32);

fn key_of(e: &TableEntry) -> Key {
    (e.table, e.matches.clone(), e.priority)
}

/// How to take back one applied update.
enum Undo {
    Delete(TableEntry),
    Restore(TableEntry, Extra, bool),
    Default(Handle<Table>, ActionCall),
}

#[derive(Default)]
pub struct Device {
    committed: Option<Config>,
    saved: Option<Config>,
    extra: HashMap<Key, Extra>,
}

impl Device {
    pub fn config(&self) -> Option<&Config> {
        self.committed.as_ref()
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
                let extra = self.carry_over(&mut c)?;
                self.committed = Some(c);
                self.saved = None;
                self.extra = extra;
                Ok(())
            }
        }
    }

    fn commit(&mut self, c: Config) {
        self.extra = initial_extra(c.pipeline());
        self.committed = Some(c);
        self.saved = None;
    }

    /// Re-installs the control plane's entries and default actions into `new`, matching
    /// tables and actions by name; fails if any of them does not fit the new program.
    fn carry_over(&self, new: &mut Config) -> Result<HashMap<Key, Extra>, Error> {
        let Some(old) = &self.committed else {
            return Ok(HashMap::new());
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
        let mut extra = initial_extra(&np);
        for ((h, matches, priority), x) in &self.extra {
            let action = match &x.action {
                EntryAction::Action(c) => EntryAction::Action(call(c)?),
                other => other.clone(),
            };
            let e = TableEntry {
                table: table(*h)?,
                matches: matches.clone(),
                priority: *priority,
                action: action.clone(),
            };
            let k = key_of(&e);
            // The new program's own initial entries are installed already; ours replace them.
            if extra.contains_key(&k) {
                new.switch.modify(e).map_err(fail)?;
            } else {
                new.switch.insert(e).map_err(fail)?;
            }
            extra.insert(
                k,
                Extra {
                    action,
                    ..x.clone()
                },
            );
        }
        for (h, t) in op.tables.iter() {
            let current = old.switch.default_action(h);
            if t.default_const || current == Some(&t.default_action) {
                continue;
            }
            if let Some(c) = current {
                new.switch.set_default(table(h)?, call(c)?).map_err(fail)?;
            }
        }
        Ok(extra)
    }

    fn committed(&self) -> Result<&Config, Error> {
        self.committed
            .as_ref()
            .ok_or_else(|| Error::FailedPrecondition("no forwarding pipeline is set".into()))
    }

    /// Applies a batch; one result per update, in order.
    pub fn write(
        &mut self,
        updates: &[v1::Update],
        atomicity: Atomicity,
    ) -> Result<Vec<Result<(), Error>>, Error> {
        self.committed()?;
        let mut results = Vec::with_capacity(updates.len());
        if atomicity == Atomicity::ContinueOnError {
            for u in updates {
                results.push(self.apply(u).map(drop));
            }
            return Ok(results);
        }
        // Every update runs under the caller's lock, which the packet path also takes, so a
        // rolled-back batch is never seen by packets: ROLLBACK_ON_ERROR is DATAPLANE_ATOMIC.
        let mut undo = Vec::with_capacity(updates.len());
        for (i, u) in updates.iter().enumerate() {
            match self.apply(u) {
                Ok(x) => undo.push(x),
                Err(e) => {
                    let applied = undo.len();
                    for x in undo.into_iter().rev() {
                        self.undo(x);
                    }
                    results.extend(
                        (0..applied).map(|_| {
                            Err(Error::Aborted(format!("rolled back: update {i} failed")))
                        }),
                    );
                    results.push(Err(e));
                    results.extend(
                        (i + 1..updates.len()).map(|_| {
                            Err(Error::Aborted(format!("not applied: update {i} failed")))
                        }),
                    );
                    return Ok(results);
                }
            }
        }
        results.resize_with(updates.len(), || Ok(()));
        Ok(results)
    }

    fn apply(&mut self, u: &v1::Update) -> Result<Undo, Error> {
        use v1::update::Type;
        let ty = Type::try_from(u.r#type)
            .ok()
            .filter(|t| *t != Type::Unspecified)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("update type {} is invalid", u.r#type))
            })?;
        let entity = u
            .entity
            .as_ref()
            .and_then(|e| e.entity.as_ref())
            .ok_or_else(|| Error::InvalidArgument("the update has no entity".into()))?;
        match entity {
            v1::entity::Entity::TableEntry(e) if e.is_default_action => self.write_default(ty, e),
            v1::entity::Entity::TableEntry(e) => self.write_entry(ty, e),
            _ => Err(Error::Unimplemented(
                "only table entries can be written so far".into(),
            )),
        }
    }

    fn write_default(&mut self, ty: v1::update::Type, e: &v1::TableEntry) -> Result<Undo, Error> {
        if ty != v1::update::Type::Modify {
            return Err(Error::InvalidArgument(
                "a default entry can only be modified".into(),
            ));
        }
        if !e.r#match.is_empty() || e.priority != 0 {
            return Err(Error::InvalidArgument(
                "a default entry has no match fields and no priority".into(),
            ));
        }
        let c = self.committed.as_mut().expect("checked by write");
        let t = c
            .schema
            .tables
            .get(&e.table_id)
            .ok_or_else(|| Error::NotFound(format!("no table with id {}", e.table_id)))?;
        let h = t.handle;
        let call = match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
            None => c.switch.pipeline().tables[h].default_action.clone(),
            Some(v1::table_action::Type::Action(a)) => {
                translate::action(&c.schema, c.switch.pipeline(), a)?
            }
            Some(_) => {
                return Err(Error::InvalidArgument(
                    "a default entry takes an action, not a profile member or group".into(),
                ));
            }
        };
        let old = c
            .switch
            .default_action(h)
            .cloned()
            .unwrap_or_else(|| c.switch.pipeline().tables[h].default_action.clone());
        c.switch.set_default(h, call)?;
        Ok(Undo::Default(h, old))
    }

    fn write_entry(&mut self, ty: v1::update::Type, e: &v1::TableEntry) -> Result<Undo, Error> {
        use v1::update::Type;
        let c = self.committed.as_mut().expect("checked by write");
        let p = c.switch.pipeline();
        let extra = |m: &TableEntry| Extra {
            action: m.action.clone(),
            metadata: e.metadata.clone(),
            idle_timeout_ns: e.idle_timeout_ns,
        };
        match ty {
            Type::Insert => {
                let m = translate::entry(&c.schema, p, e)?;
                let x = extra(&m);
                c.switch.insert(m.clone())?;
                self.extra.insert(key_of(&m), x);
                Ok(Undo::Delete(m))
            }
            Type::Modify => {
                let m = translate::entry(&c.schema, p, e)?;
                let x = extra(&m);
                let k = key_of(&m);
                c.switch.modify(m)?;
                let old = self
                    .extra
                    .insert(k.clone(), x)
                    .expect("written entries have extra");
                Ok(Undo::Restore(entry_of(k, &old), old, true))
            }
            Type::Delete => {
                let m = translate::key(&c.schema, p, e)?;
                c.switch.delete(&m)?;
                let k = key_of(&m);
                let old = self.extra.remove(&k).expect("written entries have extra");
                Ok(Undo::Restore(entry_of(k, &old), old, false))
            }
            Type::Unspecified => unreachable!("rejected by apply"),
        }
    }

    fn undo(&mut self, u: Undo) {
        let Some(c) = self.committed.as_mut() else {
            return;
        };
        // Each undo reverses an update that just succeeded on the same state, so it cannot fail.
        let _ = match u {
            Undo::Delete(e) => {
                self.extra.remove(&key_of(&e));
                c.switch.delete(&e)
            }
            Undo::Restore(e, x, modified) => {
                self.extra.insert(key_of(&e), x);
                if modified {
                    c.switch.modify(e)
                } else {
                    c.switch.insert(e)
                }
            }
            Undo::Default(h, call) => c.switch.set_default(h, call),
        };
    }

    /// The entities matching one Read filter.
    pub fn read(&self, filter: &v1::Entity, out: &mut Vec<v1::Entity>) -> Result<(), Error> {
        let c = self.committed()?;
        match &filter.entity {
            Some(v1::entity::Entity::TableEntry(f)) => self.read_entries(c, f, out),
            Some(v1::entity::Entity::CounterEntry(f)) => read_counters(c, f, out),
            Some(_) => Err(Error::Unimplemented(
                "only table entries and counters can be read so far".into(),
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
                if let Some(x) = self.extra.get(&key_of(&m)) {
                    e.metadata = x.metadata.clone();
                    e.idle_timeout_ns = x.idle_timeout_ns;
                }
                e.is_const = table.entries_const;
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

/// Records for a program's modifiable initial entries (`entries` without `const`), which the
/// control plane may modify or delete like its own.
fn initial_extra(p: &Pipeline) -> HashMap<Key, Extra> {
    p.tables
        .iter()
        .filter(|(_, t)| !t.entries_const)
        .flat_map(|(_, t)| &t.entries)
        .map(|e| {
            (
                key_of(e),
                Extra {
                    action: e.action.clone(),
                    metadata: Vec::new(),
                    idle_timeout_ns: 0,
                },
            )
        })
        .collect()
}

fn entry_of((table, matches, priority): Key, x: &Extra) -> TableEntry {
    TableEntry {
        table,
        matches,
        priority,
        action: x.action.clone(),
    }
}

fn read_counters(c: &Config, f: &v1::CounterEntry, out: &mut Vec<v1::Entity>) -> Result<(), Error> {
    let p = c.switch.pipeline();
    let mut ids: Vec<u32> = if f.counter_id == 0 {
        c.schema.counters.keys().copied().collect()
    } else if c.schema.counters.contains_key(&f.counter_id) {
        vec![f.counter_id]
    } else {
        return Err(Error::NotFound(format!(
            "no counter with id {}",
            f.counter_id
        )));
    };
    ids.sort_unstable();
    for id in ids {
        let x = &p.externs[c.schema.counters[&id]];
        let ExternKind::Counter { size, .. } = x.kind else {
            continue;
        };
        let cells = match &f.index {
            Some(i) if i.index < 0 || i.index >= i64::from(size) => {
                return Err(Error::InvalidArgument(format!(
                    "index {} is out of range for `{}` of size {size}",
                    i.index, x.name
                )));
            }
            Some(i) => i.index as u64..i.index as u64 + 1,
            None => 0..u64::from(size),
        };
        for index in cells {
            let n = c.switch.counter(&x.name, index)?;
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                    counter_id: id,
                    index: Some(v1::Index {
                        index: index as i64,
                    }),
                    data: Some(v1::CounterData {
                        byte_count: n.bytes as i64,
                        packet_count: n.packets as i64,
                    }),
                })),
            });
        }
    }
    Ok(())
}
