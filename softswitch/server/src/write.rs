//! Applying P4Runtime `Write` updates to a switch core, one at a time, each with the record
//! needed to take it back.
//!
//! [`Writer`] borrows what a batch touches: the switch, the id maps of its P4Info and the
//! [`Extras`] the core does not keep. Both the gRPC service (through `Device`) and the one-call
//! loader ([`crate::load`]) drive it, so a compiled `entries.txtpb` and a controller's Write
//! take the same path.
//!
//! Invariant: an [`Undo`] is applied only to the state right after its update succeeded and in
//! reverse order, so undoing cannot fail; batches that must be atomic undo every applied
//! update before the lock that guards the switch is released.

use std::collections::HashMap;

use ddsr_pipeline::Table;
use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_pipeline::externs::Extern;
use ddsr_pipeline::pre::{CloneSession, Replica};
use ddsr_pipeline::table::Implementation;
use ddsr_proto::p4::v1;
use ddsr_softswitch::Switch;
use ddsr_softswitch::externs::Count;
use ddsr_softswitch::externs::meter::MeterConfig;
use v1::write_request::Atomicity;

use crate::digest::DigestConfig;
use crate::error::Error;
use crate::pre::PreExtra;
use crate::schema::Schema;
use crate::translate;

/// P4Runtime fields of a table entry that the data plane does not use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub metadata: Vec<u8>,
    pub idle_timeout_ns: i64,
}

impl Meta {
    fn of(e: &v1::TableEntry) -> Option<Meta> {
        (!e.metadata.is_empty() || e.idle_timeout_ns != 0).then(|| Meta {
            metadata: e.metadata.clone(),
            idle_timeout_ns: e.idle_timeout_ns,
        })
    }
}

/// An entry's identity in its table: what P4Runtime calls the key.
pub type Key = (Handle<Table>, Vec<FieldMatch>, i32);

fn key_of(e: &TableEntry) -> Key {
    (e.table, e.matches.clone(), e.priority)
}

/// Control-plane state the switch core does not hold.
///
/// Entries without metadata or idle timeout have no record, so a bulk load of plain entries
/// costs no copy of their keys.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub meta: HashMap<Key, Meta>,
    /// `max_size` of groups written with one, by (profile, group).
    pub group_max: HashMap<(Handle<Extern>, u32), i32>,
    pub multicast: HashMap<u16, PreExtra>,
    pub clones: HashMap<u32, PreExtra>,
    /// Configured digests by P4Info id; a digest without one is not sent.
    pub digests: HashMap<u32, DigestConfig>,
}

impl Extras {
    /// The recorded fields of an entry (defaults when none were written).
    pub fn meta(&self, e: &TableEntry) -> Option<&Meta> {
        if self.meta.is_empty() {
            return None;
        }
        self.meta.get(&key_of(e))
    }

    fn set_meta(&mut self, e: &TableEntry, m: Option<Meta>) -> Option<Meta> {
        match m {
            Some(m) => self.meta.insert(key_of(e), m),
            None if self.meta.is_empty() => None,
            None => self.meta.remove(&key_of(e)),
        }
    }
}

/// How to take back one applied update.
#[derive(Debug)]
pub enum Undo {
    /// An inserted entry: delete it.
    Delete(TableEntry),
    /// A modified entry: put back its action and fields.
    Modify(TableEntry, Option<Meta>),
    /// A deleted entry: insert it again.
    Insert(TableEntry, Option<Meta>),
    /// A changed default action.
    Default(Handle<Table>, ActionCall),
    /// A profile member as it was (`None`: it did not exist).
    Member(Handle<Extern>, u32, Option<ProfileMember>),
    /// A group as it was, with its `max_size` when one was written.
    Group(Handle<Extern>, u32, Option<(ProfileGroup, Option<i32>)>),
    Counter(Handle<Extern>, u64, Count),
    Meter(Handle<Extern>, u64, Option<MeterConfig>),
    Register(Handle<Extern>, u64, u128),
    DirectCounter(TableEntry, Count),
    DirectMeter(TableEntry, Option<MeterConfig>),
    Multicast(u16, Option<(Vec<Replica>, PreExtra)>),
    Clone(u32, Option<(CloneSession, PreExtra)>),
    Digest(u32, Option<DigestConfig>),
}

/// An update's type, UNSPECIFIED and unknown values refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Modify,
    Delete,
}

impl Op {
    fn of(ty: i32) -> Result<Op, Error> {
        use v1::update::Type;
        match Type::try_from(ty) {
            Ok(Type::Insert) => Ok(Op::Insert),
            Ok(Type::Modify) => Ok(Op::Modify),
            Ok(Type::Delete) => Ok(Op::Delete),
            _ => Err(Error::InvalidArgument(format!(
                "update type {ty} is invalid"
            ))),
        }
    }
}

/// One batch's view of the device.
pub struct Writer<'a> {
    pub switch: &'a mut Switch,
    pub schema: &'a Schema,
    pub extras: &'a mut Extras,
    /// The packet path's clock, for meters configured by this batch.
    pub now_ns: u64,
}

impl Writer<'_> {
    /// Applies a batch; one result per update, in order. With ROLLBACK_ON_ERROR and
    /// DATAPLANE_ATOMIC the first failure undoes every applied update; applied and unattempted
    /// updates then report ABORTED and the failing one its own error.
    pub fn batch(
        &mut self,
        updates: &[v1::Update],
        atomicity: Atomicity,
    ) -> Vec<Result<(), Error>> {
        let mut results = Vec::with_capacity(updates.len());
        if atomicity == Atomicity::ContinueOnError {
            for u in updates {
                results.push(self.apply(u, None));
            }
            return results;
        }
        let mut undo = Vec::with_capacity(updates.len());
        for (i, u) in updates.iter().enumerate() {
            if let Err(e) = self.apply(u, Some(&mut undo)) {
                let applied = undo.len();
                self.undo_all(undo);
                results.extend(
                    (0..applied)
                        .map(|_| Err(Error::Aborted(format!("rolled back: update {i} failed")))),
                );
                results.push(Err(e));
                results.extend(
                    (i + 1..updates.len())
                        .map(|_| Err(Error::Aborted(format!("not applied: update {i} failed")))),
                );
                return results;
            }
        }
        results.resize_with(updates.len(), || Ok(()));
        results
    }

    /// Applies one update; when `undo` is given, pushes how to take it back.
    pub fn apply(&mut self, u: &v1::Update, undo: Option<&mut Vec<Undo>>) -> Result<(), Error> {
        let ty = Op::of(u.r#type)?;
        let entity = u
            .entity
            .as_ref()
            .and_then(|e| e.entity.as_ref())
            .ok_or_else(|| Error::InvalidArgument("the update has no entity".into()))?;
        use v1::entity::Entity as E;
        match entity {
            E::TableEntry(e) if e.is_default_action => self.write_default(ty, e, undo),
            E::TableEntry(e) => self.write_entry(ty, e, undo),
            E::ActionProfileMember(m) => self.write_member(ty, m, undo),
            E::ActionProfileGroup(g) => self.write_group(ty, g, undo),
            E::CounterEntry(c) => self.write_counter(ty, c, undo),
            E::DirectCounterEntry(c) => self.write_direct_counter(ty, c, undo),
            E::MeterEntry(m) => self.write_meter(ty, m, undo),
            E::DirectMeterEntry(m) => self.write_direct_meter(ty, m, undo),
            E::RegisterEntry(r) => self.write_register(ty, r, undo),
            E::PacketReplicationEngineEntry(p) => self.write_pre(ty, p, undo),
            E::DigestEntry(d) => self.write_digest(ty, d, undo),
            E::ValueSetEntry(_) => Err(Error::Unimplemented(
                "parser value sets cannot be written yet".into(),
            )),
            E::ExternEntry(_) => Err(Error::Unimplemented(
                "this architecture has no extern entries".into(),
            )),
        }
    }

    /// Takes back applied updates, last first.
    pub fn undo_all(&mut self, undo: Vec<Undo>) {
        for u in undo.into_iter().rev() {
            self.undo(u);
        }
    }

    fn undo(&mut self, u: Undo) {
        // Each undo reverses an update that just succeeded on the same state, so it cannot fail.
        let _ = match u {
            Undo::Delete(e) => {
                self.extras.set_meta(&e, None);
                self.switch.delete(&e)
            }
            Undo::Modify(e, m) => {
                self.extras.set_meta(&e, m);
                self.switch.modify(e)
            }
            Undo::Insert(e, m) => {
                self.extras.set_meta(&e, m);
                self.switch.insert(e)
            }
            Undo::Default(h, call) => self.switch.set_default(h, call),
            Undo::Member(h, m, old) => {
                self.undo_member(h, m, old);
                Ok(())
            }
            Undo::Group(h, g, old) => {
                self.undo_group(h, g, old);
                Ok(())
            }
            u @ (Undo::Counter(..)
            | Undo::Meter(..)
            | Undo::Register(..)
            | Undo::DirectCounter(..)
            | Undo::DirectMeter(..)) => {
                self.undo_cell(u);
                Ok(())
            }
            u @ (Undo::Multicast(..) | Undo::Clone(..)) => {
                self.undo_pre(u);
                Ok(())
            }
            Undo::Digest(id, old) => {
                match old {
                    Some(c) => self.extras.digests.insert(id, c),
                    None => self.extras.digests.remove(&id),
                };
                Ok(())
            }
        };
    }

    fn write_default(
        &mut self,
        ty: Op,
        e: &v1::TableEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        if ty != Op::Modify {
            return Err(Error::InvalidArgument(
                "a default entry can only be modified".into(),
            ));
        }
        if !e.r#match.is_empty() || e.priority != 0 {
            return Err(Error::InvalidArgument(
                "a default entry has no match fields and no priority".into(),
            ));
        }
        let t = self
            .schema
            .tables
            .get(&e.table_id)
            .ok_or_else(|| Error::NotFound(format!("no table with id {}", e.table_id)))?;
        let h = t.handle;
        let p = self.switch.pipeline();
        let call = match e.action.as_ref().and_then(|a| a.r#type.as_ref()) {
            None => p.tables[h].default_action.clone(),
            Some(v1::table_action::Type::Action(a)) => translate::action(self.schema, p, a)?,
            Some(_) => {
                return Err(Error::InvalidArgument(
                    "a default entry takes an action, not a profile member or group".into(),
                ));
            }
        };
        let old = self
            .switch
            .default_action(h)
            .cloned()
            .unwrap_or_else(|| p.tables[h].default_action.clone());
        self.switch.set_default(h, call)?;
        if let Some(u) = undo {
            u.push(Undo::Default(h, old));
        }
        Ok(())
    }

    /// Refuses an entry naming a profile member or group that does not exist.
    fn check_target(&self, m: &TableEntry) -> Result<(), Error> {
        let t = &self.switch.pipeline().tables[m.table];
        let (Implementation::ActionProfile(h) | Implementation::ActionSelector(h)) =
            t.implementation
        else {
            return Ok(());
        };
        let profile = self.switch.profile(h);
        let name = &self.switch.pipeline().externs[h].name;
        match m.action {
            EntryAction::Member { member }
                if !profile.is_some_and(|p| p.members.contains_key(&member)) =>
            {
                Err(Error::NotFound(format!("`{name}` has no member {member}")))
            }
            EntryAction::Group { group }
                if !profile.is_some_and(|p| p.groups.contains_key(&group)) =>
            {
                Err(Error::NotFound(format!("`{name}` has no group {group}")))
            }
            _ => Ok(()),
        }
    }

    fn write_entry(
        &mut self,
        ty: Op,
        e: &v1::TableEntry,
        mut undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        let p = self.switch.pipeline();
        let meter = crate::cells::meter_config(e.meter_config.as_ref())?;
        if meter.is_some()
            && let Some(t) = self.schema.tables.get(&e.table_id)
            && p.tables[t.handle].direct_meter.is_none()
        {
            return Err(Error::InvalidArgument(format!(
                "table `{}` has no direct meter to configure",
                p.tables[t.handle].name
            )));
        }
        let key = match ty {
            Op::Insert => {
                let m = translate::entry(self.schema, p, e)?;
                self.check_target(&m)?;
                let meta = Meta::of(e);
                match undo.as_deref_mut() {
                    Some(u) => {
                        self.switch.insert(m.clone())?;
                        self.extras.set_meta(&m, meta);
                        u.push(Undo::Delete(m.clone()));
                        Some(m)
                    }
                    None if meta.is_some() || meter.is_some() => {
                        self.switch.insert(m.clone())?;
                        self.extras.set_meta(&m, meta);
                        Some(m)
                    }
                    None => {
                        self.switch.insert(m)?;
                        None
                    }
                }
            }
            Op::Modify => {
                let m = translate::entry(self.schema, p, e)?;
                self.check_target(&m)?;
                let old = undo.is_some().then(|| self.switch.entry(&m)).flatten();
                let key = m.clone();
                self.switch.modify(m)?;
                let old_meta = self.extras.set_meta(&key, Meta::of(e));
                if let (Some(u), Some(old)) = (undo.as_deref_mut(), old) {
                    if meter.is_some() {
                        let config = self.switch.direct_meter(&key).flatten();
                        u.push(Undo::DirectMeter(key.clone(), config));
                    }
                    u.push(Undo::Modify(old, old_meta));
                }
                Some(key)
            }
            Op::Delete => {
                let m = translate::key(self.schema, p, e)?;
                let old = undo.is_some().then(|| self.switch.entry(&m)).flatten();
                self.switch.delete(&m)?;
                let old_meta = self.extras.set_meta(&m, None);
                if let (Some(u), Some(old)) = (undo, old) {
                    u.push(Undo::Insert(old, old_meta));
                }
                return Ok(());
            }
        };
        if let (Some(config), Some(k)) = (meter, key) {
            self.switch
                .set_direct_meter(&k, Some(config), self.now_ns)?;
        }
        Ok(())
    }
}
