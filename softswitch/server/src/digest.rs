//! Digests: their configuration (`DigestEntry`) and the lists sent to the primary client
//! (`DigestList`, acknowledged with `DigestListAck`).
//!
//! A digest extern only reaches the controller once a `DigestEntry` configures it. Digests
//! then collect in one pending list per digest, sent when it holds `max_list_size` digests
//! (0: no limit) or when its oldest digest has waited `max_timeout_ns` (0: at once). A digest
//! equal to one sent but not yet acknowledged is suppressed until the ack comes or
//! `ack_timeout_ns` passes, which is what lets a learning controller see each new address
//! once.
//!
//! Invariant: every list id in `unacked_lists` names digests that are keys of `unacked`.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use ddsr_pipeline::Pipeline;
use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::externs::{Extern, ExternKind};
use ddsr_proto::bytestring;
use ddsr_proto::p4::v1;

use crate::device::Config;
use crate::error::Error;
use crate::write::{Extras, Op, Undo, Writer};

/// A digest's batching configuration, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestConfig {
    pub max_timeout_ns: u64,
    pub max_list_size: u32,
    pub ack_timeout_ns: u64,
}

impl DigestConfig {
    fn of(c: Option<&v1::digest_entry::Config>) -> Result<DigestConfig, Error> {
        let c = c.ok_or_else(|| Error::InvalidArgument("the digest entry has no config".into()))?;
        let field = |name: &str, v: i64| {
            u64::try_from(v).map_err(|_| {
                Error::InvalidArgument(format!("digest config: {name} {v} is negative"))
            })
        };
        Ok(DigestConfig {
            max_timeout_ns: field("max_timeout_ns", c.max_timeout_ns)?,
            max_list_size: u32::try_from(c.max_list_size).map_err(|_| {
                Error::InvalidArgument(format!(
                    "digest config: max_list_size {} is negative",
                    c.max_list_size
                ))
            })?,
            ack_timeout_ns: field("ack_timeout_ns", c.ack_timeout_ns)?,
        })
    }

    fn to_p4(self) -> v1::digest_entry::Config {
        v1::digest_entry::Config {
            max_timeout_ns: self.max_timeout_ns as i64,
            max_list_size: self.max_list_size as i32,
            ack_timeout_ns: self.ack_timeout_ns as i64,
        }
    }
}

impl Writer<'_> {
    pub(crate) fn write_digest(
        &mut self,
        op: Op,
        e: &v1::DigestEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        if !self.schema.digests.contains_key(&e.digest_id) {
            return Err(Error::NotFound(format!(
                "no digest with id {}",
                e.digest_id
            )));
        }
        let old = self.extras.digests.get(&e.digest_id).copied();
        let what = format!("digest {}", e.digest_id);
        match (op, old) {
            (Op::Insert, Some(_)) => {
                return Err(Error::AlreadyExists(format!(
                    "{what} is configured already"
                )));
            }
            (Op::Modify | Op::Delete, None) => {
                return Err(Error::NotFound(format!("{what} is not configured")));
            }
            (Op::Delete, Some(_)) => {
                self.extras.digests.remove(&e.digest_id);
            }
            (Op::Insert | Op::Modify, _) => {
                let c = DigestConfig::of(e.config.as_ref())?;
                self.extras.digests.insert(e.digest_id, c);
            }
        }
        if let Some(u) = undo {
            u.push(Undo::Digest(e.digest_id, old));
        }
        Ok(())
    }
}

/// Configured digests (id 0: all), in id order.
pub fn read(
    c: &Config,
    x: &Extras,
    f: &v1::DigestEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    if f.digest_id != 0 && !c.schema.digests.contains_key(&f.digest_id) {
        return Err(Error::NotFound(format!(
            "no digest with id {}",
            f.digest_id
        )));
    }
    let mut ids: Vec<u32> = x
        .digests
        .keys()
        .copied()
        .filter(|id| f.digest_id == 0 || *id == f.digest_id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        out.push(v1::Entity {
            entity: Some(v1::entity::Entity::DigestEntry(v1::DigestEntry {
                digest_id: id,
                config: Some(x.digests[&id].to_p4()),
            })),
        });
    }
    Ok(())
}

/// A sent list: when it was sent and its digests.
type SentList = (u64, Vec<Vec<u128>>);

struct Pending {
    since_ns: u64,
    values: Vec<Vec<u128>>,
}

/// Lists being filled and lists awaiting their ack.
#[derive(Default)]
pub struct Digests {
    pending: HashMap<u32, Pending>,
    /// Sent digests not yet acknowledged: when they were sent.
    unacked: HashMap<(u32, Vec<u128>), u64>,
    /// Sent lists awaiting their ack, by (digest id, list id).
    unacked_lists: HashMap<(u32, u64), SentList>,
    next_list: u64,
}

/// Unacknowledged lists kept at most; the oldest are forgotten first (a controller that
/// never acks must not grow the server without bound).
const MAX_UNACKED_LISTS: usize = 4096;

/// The P4Runtime struct-like form of one digest's values.
fn data(p: &Pipeline, h: Handle<Extern>, values: &[u128]) -> v1::P4Data {
    let ExternKind::Digest { fields } = &p.externs[h].kind else {
        return v1::P4Data::default();
    };
    let members = fields
        .iter()
        .zip(values)
        .map(|(f, v)| {
            let v = v & ddsr_pipeline::value::mask(f.ty.width());
            v1::P4Data {
                data: Some(v1::p4_data::Data::Bitstring(bytestring::from_u128(v))),
            }
        })
        .collect();
    v1::P4Data {
        data: Some(v1::p4_data::Data::Struct(v1::P4StructLike { members })),
    }
}

fn epoch_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

impl Digests {
    /// Forgets everything (a new pipeline was committed).
    pub fn clear(&mut self) {
        *self = Digests::default();
    }

    /// Takes the digests one packet produced; returns the lists now ready to send.
    pub fn push(
        &mut self,
        c: &Config,
        x: &Extras,
        digests: &[ddsr_softswitch::exec::Digest],
        now_ns: u64,
        ready: &mut Vec<v1::DigestList>,
    ) {
        for d in digests {
            let Some(&id) = c.schema.digest_ids.get(&d.digest) else {
                continue;
            };
            let Some(cfg) = x.digests.get(&id) else {
                continue;
            };
            let key = (id, d.values.clone());
            if let Some(sent) = self.unacked.get(&key) {
                if now_ns.saturating_sub(*sent) < cfg.ack_timeout_ns {
                    continue;
                }
                self.unacked.remove(&key);
            }
            let p = self.pending.entry(id).or_insert_with(|| Pending {
                since_ns: now_ns,
                values: Vec::new(),
            });
            if p.values.contains(&d.values) {
                continue;
            }
            p.values.push(d.values.clone());
            let full = cfg.max_list_size != 0 && p.values.len() >= cfg.max_list_size as usize;
            if full || cfg.max_timeout_ns == 0 {
                self.send(c, id, now_ns, ready);
            }
        }
    }

    /// Lists whose oldest digest has waited long enough (or whose digest lost its config);
    /// also forgets sent lists whose ack timeout has passed.
    pub fn due(&mut self, c: &Config, x: &Extras, now_ns: u64, ready: &mut Vec<v1::DigestList>) {
        let expired: Vec<(u32, u64)> = self
            .unacked_lists
            .iter()
            .filter(|((id, _), (sent, _))| {
                x.digests
                    .get(id)
                    .is_none_or(|c| now_ns.saturating_sub(*sent) >= c.ack_timeout_ns)
            })
            .map(|(k, _)| *k)
            .collect();
        for k in expired {
            self.forget(k);
        }
        let mut ids: Vec<u32> = self.pending.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            match x.digests.get(&id) {
                None => {
                    self.pending.remove(&id);
                }
                Some(cfg)
                    if now_ns.saturating_sub(self.pending[&id].since_ns) >= cfg.max_timeout_ns =>
                {
                    self.send(c, id, now_ns, ready);
                }
                Some(_) => {}
            }
        }
    }

    /// When the next pending list falls due, if any.
    pub fn next_deadline(&self, x: &Extras) -> Option<u64> {
        self.pending
            .iter()
            .filter_map(|(id, p)| x.digests.get(id).map(|c| p.since_ns + c.max_timeout_ns))
            .min()
    }

    fn send(&mut self, c: &Config, id: u32, now_ns: u64, ready: &mut Vec<v1::DigestList>) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let h = c.schema.digests[&id];
        self.next_list += 1;
        let list_id = self.next_list;
        let p4 = c.switch.pipeline();
        ready.push(v1::DigestList {
            digest_id: id,
            list_id,
            data: p.values.iter().map(|v| data(p4, h, v)).collect(),
            timestamp: epoch_ns(),
        });
        for v in &p.values {
            self.unacked.insert((id, v.clone()), now_ns);
        }
        self.unacked_lists.insert((id, list_id), (now_ns, p.values));
        if self.unacked_lists.len() > MAX_UNACKED_LISTS
            && let Some(&oldest) = self.unacked_lists.keys().min_by_key(|(_, l)| *l)
        {
            self.forget(oldest);
        }
    }

    fn forget(&mut self, list: (u32, u64)) -> bool {
        let Some((_, values)) = self.unacked_lists.remove(&list) else {
            return false;
        };
        for v in values {
            self.unacked.remove(&(list.0, v));
        }
        true
    }

    /// A controller's ack: the list's digests may be sent again.
    pub fn ack(&mut self, a: &v1::DigestListAck) -> Result<(), Error> {
        if self.forget((a.digest_id, a.list_id)) {
            Ok(())
        } else {
            Err(Error::NotFound(format!(
                "digest {} has no unacknowledged list {}",
                a.digest_id, a.list_id
            )))
        }
    }
}
