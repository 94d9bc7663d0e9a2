//! Indexed and direct extern cells: counters, meters, registers (`CounterEntry`,
//! `MeterEntry`, `RegisterEntry`) and the per-entry `DirectCounterEntry` and
//! `DirectMeterEntry`.
//!
//! These entities exist for every index (or every table entry) from the start, so P4Runtime
//! only MODIFYs them: a counter write sets (usually resets) the cell, a meter write
//! configures it (no config: back to unconfigured, which colours everything green), and a
//! register write stores a value. A write without an index applies to every cell.

use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::entry::TableEntry;
use ddsr_pipeline::externs::{Extern, ExternKind};
use ddsr_pipeline::{Table, value};
use ddsr_proto::bytestring;
use ddsr_proto::p4::v1;
use ddsr_softswitch::externs::Count;
use ddsr_softswitch::externs::meter::MeterConfig;

use crate::device::Config;
use crate::error::Error;
use crate::schema::Schema;
use crate::translate;
use crate::write::{Op, Undo, Writer};

fn modify_only(op: Op, what: &str) -> Result<(), Error> {
    if op != Op::Modify {
        return Err(Error::InvalidArgument(format!(
            "{what} entries exist for every index and can only be modified"
        )));
    }
    Ok(())
}

/// The cells an optional index names in an array of `size`.
fn cells(index: Option<&v1::Index>, size: u32, name: &str) -> Result<std::ops::Range<u64>, Error> {
    match index {
        Some(i) if i.index < 0 || i.index >= i64::from(size) => {
            Err(Error::InvalidArgument(format!(
                "index {} is out of range for `{name}` of size {size}",
                i.index
            )))
        }
        Some(i) => Ok(i.index as u64..i.index as u64 + 1),
        None => Ok(0..u64::from(size)),
    }
}

fn size_of(x: &Extern) -> u32 {
    match x.kind {
        ExternKind::Counter { size, .. }
        | ExternKind::Meter { size, .. }
        | ExternKind::Register { size, .. } => size,
        _ => 0,
    }
}

fn count(d: Option<&v1::CounterData>) -> Result<Count, Error> {
    let d = d.cloned().unwrap_or_default();
    if d.packet_count < 0 || d.byte_count < 0 {
        return Err(Error::InvalidArgument(format!(
            "counter data ({} packets, {} bytes) is negative",
            d.packet_count, d.byte_count
        )));
    }
    Ok(Count {
        packets: d.packet_count as u64,
        bytes: d.byte_count as u64,
    })
}

fn counter_data(n: Count) -> v1::CounterData {
    v1::CounterData {
        byte_count: n.bytes as i64,
        packet_count: n.packets as i64,
    }
}

/// A P4Runtime meter config as the core's trTCM parameters.
pub fn meter_config(c: Option<&v1::MeterConfig>) -> Result<Option<MeterConfig>, Error> {
    let Some(c) = c else { return Ok(None) };
    if c.eburst != 0 {
        return Err(Error::InvalidArgument(
            "eburst is for single-rate meters; these are two-rate three-colour meters".into(),
        ));
    }
    let field = |name: &str, v: i64| {
        u64::try_from(v)
            .map_err(|_| Error::InvalidArgument(format!("meter config: {name} {v} is negative")))
    };
    Ok(Some(MeterConfig {
        cir: field("cir", c.cir)?,
        cburst: field("cburst", c.cburst)?,
        pir: field("pir", c.pir)?,
        pburst: field("pburst", c.pburst)?,
    }))
}

fn to_p4_meter(c: MeterConfig) -> v1::MeterConfig {
    v1::MeterConfig {
        cir: c.cir as i64,
        cburst: c.cburst as i64,
        pir: c.pir as i64,
        pburst: c.pburst as i64,
        eburst: 0,
    }
}

fn extern_of(
    map: &std::collections::HashMap<u32, Handle<Extern>>,
    id: u32,
    what: &str,
) -> Result<Handle<Extern>, Error> {
    map.get(&id)
        .copied()
        .ok_or_else(|| Error::NotFound(format!("no {what} with id {id}")))
}

/// The table entry a direct counter or meter entity names; it must exist.
fn direct_key(
    s: &Schema,
    w: &Writer<'_>,
    e: Option<&v1::TableEntry>,
    what: &str,
) -> Result<TableEntry, Error> {
    let e =
        e.ok_or_else(|| Error::InvalidArgument(format!("the {what} entry names no table entry")))?;
    let p = w.switch.pipeline();
    let k = translate::key(s, p, e)?;
    let t = &p.tables[k.table];
    let attached = if what == "direct counter" {
        t.direct_counter
    } else {
        t.direct_meter
    };
    if attached.is_none() {
        return Err(Error::InvalidArgument(format!(
            "table `{}` has no {what}",
            t.name
        )));
    }
    match w.switch.entry(&k) {
        Some(e) => Ok(e),
        None => Err(Error::NotFound(format!(
            "table `{}` has no entry with this key",
            t.name
        ))),
    }
}

impl Writer<'_> {
    pub(crate) fn write_counter(
        &mut self,
        op: Op,
        e: &v1::CounterEntry,
        mut undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        modify_only(op, "counter")?;
        let h = extern_of(&self.schema.counters, e.counter_id, "counter")?;
        let x = &self.switch.pipeline().externs[h];
        let (name, range) = (
            x.name.clone(),
            cells(e.index.as_ref(), size_of(x), &x.name)?,
        );
        let n = count(e.data.as_ref())?;
        for i in range {
            let old = self.switch.counter(&name, i)?;
            self.switch.set_counter(&name, i, n)?;
            if let Some(u) = undo.as_deref_mut() {
                u.push(Undo::Counter(h, i, old));
            }
        }
        Ok(())
    }

    pub(crate) fn write_meter(
        &mut self,
        op: Op,
        e: &v1::MeterEntry,
        mut undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        modify_only(op, "meter")?;
        let h = extern_of(&self.schema.meters, e.meter_id, "meter")?;
        let x = &self.switch.pipeline().externs[h];
        let (name, range) = (
            x.name.clone(),
            cells(e.index.as_ref(), size_of(x), &x.name)?,
        );
        let config = meter_config(e.config.as_ref())?;
        for i in range {
            let old = self.switch.meter_config(&name, i)?;
            self.switch.meter_configure(&name, i, config, self.now_ns)?;
            if let Some(u) = undo.as_deref_mut() {
                u.push(Undo::Meter(h, i, old));
            }
        }
        Ok(())
    }

    pub(crate) fn write_register(
        &mut self,
        op: Op,
        e: &v1::RegisterEntry,
        mut undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        modify_only(op, "register")?;
        let h = extern_of(&self.schema.registers, e.register_id, "register")?;
        let x = &self.switch.pipeline().externs[h];
        let ExternKind::Register { width, size } = x.kind else {
            return Err(Error::NotFound(format!(
                "no register with id {}",
                e.register_id
            )));
        };
        let (name, range) = (x.name.clone(), cells(e.index.as_ref(), size, &x.name)?);
        let bytes = match e.data.as_ref().and_then(|d| d.data.as_ref()) {
            Some(v1::p4_data::Data::Bitstring(b)) => b,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "register `{name}` holds bit<{width}>; the data must be a bitstring"
                )));
            }
        };
        let v = bytestring::check(bytes, u32::from(width))
            .map_err(|e| Error::InvalidArgument(format!("register `{name}`: {e}")))?;
        let v = value::from_bytes(v);
        for i in range {
            let old = self.switch.register_read(&name, i)?;
            self.switch.register_write(&name, i, v)?;
            if let Some(u) = undo.as_deref_mut() {
                u.push(Undo::Register(h, i, old));
            }
        }
        Ok(())
    }

    pub(crate) fn write_direct_counter(
        &mut self,
        op: Op,
        e: &v1::DirectCounterEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        modify_only(op, "direct counter")?;
        let k = direct_key(self.schema, self, e.table_entry.as_ref(), "direct counter")?;
        let n = count(e.data.as_ref())?;
        let old = self.switch.direct_counter(&k).unwrap_or_default();
        self.switch.set_direct_counter(&k, n)?;
        if let Some(u) = undo {
            u.push(Undo::DirectCounter(k, old));
        }
        Ok(())
    }

    pub(crate) fn write_direct_meter(
        &mut self,
        op: Op,
        e: &v1::DirectMeterEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        modify_only(op, "direct meter")?;
        let k = direct_key(self.schema, self, e.table_entry.as_ref(), "direct meter")?;
        let config = meter_config(e.config.as_ref())?;
        let old = self.switch.direct_meter(&k).flatten();
        self.switch.set_direct_meter(&k, config, self.now_ns)?;
        if let Some(u) = undo {
            u.push(Undo::DirectMeter(k, old));
        }
        Ok(())
    }

    pub(crate) fn undo_cell(&mut self, u: Undo) {
        let name = |w: &Self, h: Handle<Extern>| w.switch.pipeline().externs[h].name.clone();
        let _ = match u {
            Undo::Counter(h, i, n) => self.switch.set_counter(&name(self, h), i, n),
            Undo::Meter(h, i, c) => self
                .switch
                .meter_configure(&name(self, h), i, c, self.now_ns),
            Undo::Register(h, i, v) => self.switch.register_write(&name(self, h), i, v),
            Undo::DirectCounter(e, n) => self.switch.set_direct_counter(&e, n),
            Undo::DirectMeter(e, c) => self.switch.set_direct_meter(&e, c, self.now_ns),
            _ => Ok(()),
        };
    }
}

/// The indexed externs a filter names (every one for id 0), in id order.
fn named(
    map: &std::collections::HashMap<u32, Handle<Extern>>,
    id: u32,
    what: &str,
) -> Result<Vec<(u32, Handle<Extern>)>, Error> {
    let mut v: Vec<(u32, Handle<Extern>)> = if id == 0 {
        map.iter().map(|(id, h)| (*id, *h)).collect()
    } else {
        vec![(id, extern_of(map, id, what)?)]
    };
    v.sort_unstable_by_key(|(id, _)| *id);
    Ok(v)
}

pub fn read_counters(
    c: &Config,
    f: &v1::CounterEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    for (id, h) in named(&c.schema.counters, f.counter_id, "counter")? {
        let x = &c.switch.pipeline().externs[h];
        for index in cells(f.index.as_ref(), size_of(x), &x.name)? {
            let n = c.switch.counter(&x.name, index)?;
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                    counter_id: id,
                    index: Some(v1::Index {
                        index: index as i64,
                    }),
                    data: Some(counter_data(n)),
                })),
            });
        }
    }
    Ok(())
}

/// Meter cells; an unconfigured cell reads back without a config.
pub fn read_meters(c: &Config, f: &v1::MeterEntry, out: &mut Vec<v1::Entity>) -> Result<(), Error> {
    for (id, h) in named(&c.schema.meters, f.meter_id, "meter")? {
        let x = &c.switch.pipeline().externs[h];
        for index in cells(f.index.as_ref(), size_of(x), &x.name)? {
            let config = c.switch.meter_config(&x.name, index)?;
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::MeterEntry(v1::MeterEntry {
                    meter_id: id,
                    index: Some(v1::Index {
                        index: index as i64,
                    }),
                    config: config.map(to_p4_meter),
                    counter_data: None,
                })),
            });
        }
    }
    Ok(())
}

pub fn read_registers(
    c: &Config,
    f: &v1::RegisterEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    for (id, h) in named(&c.schema.registers, f.register_id, "register")? {
        let x = &c.switch.pipeline().externs[h];
        for index in cells(f.index.as_ref(), size_of(x), &x.name)? {
            let v = c.switch.register_read(&x.name, index)?;
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::RegisterEntry(v1::RegisterEntry {
                    register_id: id,
                    index: Some(v1::Index {
                        index: index as i64,
                    }),
                    data: Some(v1::P4Data {
                        data: Some(v1::p4_data::Data::Bitstring(bytestring::from_u128(v))),
                    }),
                })),
            });
        }
    }
    Ok(())
}

/// The entries of the tables a direct-resource filter names: every table with the resource
/// for table id 0, every entry of the table without match fields, else the one entry.
fn direct_entries(
    c: &Config,
    f: Option<&v1::TableEntry>,
    has: fn(&Table) -> bool,
    what: &str,
) -> Result<Vec<TableEntry>, Error> {
    let p = c.switch.pipeline();
    let f = f.cloned().unwrap_or_default();
    if f.table_id == 0 {
        let mut tables: Vec<(u32, Handle<Table>)> = c
            .schema
            .tables
            .iter()
            .filter(|(_, t)| has(&p.tables[t.handle]))
            .map(|(id, t)| (*id, t.handle))
            .collect();
        tables.sort_unstable_by_key(|(id, _)| *id);
        return Ok(tables
            .into_iter()
            .flat_map(|(_, h)| c.switch.read(h))
            .collect());
    }
    let t = c
        .schema
        .tables
        .get(&f.table_id)
        .ok_or_else(|| Error::NotFound(format!("no table with id {}", f.table_id)))?;
    if !has(&p.tables[t.handle]) {
        return Err(Error::InvalidArgument(format!(
            "table `{}` has no {what}",
            p.tables[t.handle].name
        )));
    }
    if f.r#match.is_empty() && f.priority == 0 {
        return Ok(c.switch.read(t.handle));
    }
    let k = translate::key(&c.schema, p, &f)?;
    match c.switch.entry(&k) {
        Some(e) => Ok(vec![e]),
        None => Err(Error::NotFound(format!(
            "table `{}` has no entry with this key",
            p.tables[t.handle].name
        ))),
    }
}

/// The table entry a direct resource belongs to, key only, as P4Runtime identifies it.
fn key_only(s: &Schema, c: &Config, e: &TableEntry) -> v1::TableEntry {
    let mut k = translate::to_p4(s, c.switch.pipeline(), e);
    k.action = None;
    k
}

pub fn read_direct_counters(
    c: &Config,
    f: &v1::DirectCounterEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    let entries = direct_entries(
        c,
        f.table_entry.as_ref(),
        |t| t.direct_counter.is_some(),
        "direct counter",
    )?;
    for e in entries {
        let n = c.switch.direct_counter(&e).unwrap_or_default();
        out.push(v1::Entity {
            entity: Some(v1::entity::Entity::DirectCounterEntry(
                v1::DirectCounterEntry {
                    table_entry: Some(key_only(&c.schema, c, &e)),
                    data: Some(counter_data(n)),
                },
            )),
        });
    }
    Ok(())
}

pub fn read_direct_meters(
    c: &Config,
    f: &v1::DirectMeterEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    let entries = direct_entries(
        c,
        f.table_entry.as_ref(),
        |t| t.direct_meter.is_some(),
        "direct meter",
    )?;
    for e in entries {
        let config = c.switch.direct_meter(&e).flatten();
        out.push(v1::Entity {
            entity: Some(v1::entity::Entity::DirectMeterEntry(v1::DirectMeterEntry {
                table_entry: Some(key_only(&c.schema, c, &e)),
                config: config.map(to_p4_meter),
                counter_data: None,
            })),
        });
    }
    Ok(())
}

/// The direct meter config of a table entry, for reads of table entries that ask for it.
pub fn entry_meter(c: &Config, e: &TableEntry) -> Option<v1::MeterConfig> {
    c.switch.direct_meter(e).flatten().map(to_p4_meter)
}
