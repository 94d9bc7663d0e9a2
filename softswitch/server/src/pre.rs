//! The packet replication engine (`PacketReplicationEngineEntry`): multicast groups and clone
//! sessions.
//!
//! Replicas name their port either as P4Runtime 1.4's `port` bytes or as the older
//! `egress_port` number; a group reads back in the form it was written (kept in
//! [`PreExtra`]), with canonical port bytes. Fields the core does not use (a group's
//! `metadata`, a session's `class_of_service`) are kept here too.

use ddsr_pipeline::pre::{CloneSession, MulticastGroup, Replica};
use ddsr_proto::bytestring;
use ddsr_proto::p4::v1;
use v1::packet_replication_engine_entry::Type as Pre;
use v1::replica::PortKind;

use crate::device::Config;
use crate::error::Error;
use crate::write::{Extras, Op, Undo, Writer};

/// What P4Runtime says about a group or session that the core does not keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreExtra {
    /// Replicas were written with the deprecated `egress_port`.
    pub legacy_ports: bool,
    pub metadata: Vec<u8>,
    pub class_of_service: u32,
}

/// The core's replicas and whether the deprecated port form was used.
#[expect(
    deprecated,
    reason = "clients of P4Runtime before 1.4 send `egress_port`"
)]
fn replicas(rs: &[v1::Replica], what: &str) -> Result<(Vec<Replica>, bool), Error> {
    let mut out: Vec<Replica> = Vec::with_capacity(rs.len());
    let mut legacy = None;
    for r in rs {
        let (port, old) = match &r.port_kind {
            Some(PortKind::Port(b)) => {
                let v = bytestring::check(b, 16)
                    .map_err(|e| Error::InvalidArgument(format!("{what}: replica port: {e}")))?;
                (ddsr_pipeline::value::from_bytes(v) as u16, false)
            }
            Some(PortKind::EgressPort(p)) => (
                u16::try_from(*p).map_err(|_| {
                    Error::InvalidArgument(format!("{what}: egress port {p} does not fit 16 bits"))
                })?,
                true,
            ),
            None => {
                return Err(Error::InvalidArgument(format!(
                    "{what}: a replica has no port"
                )));
            }
        };
        if legacy.is_some_and(|l| l != old) {
            return Err(Error::InvalidArgument(format!(
                "{what}: replicas mix `port` and `egress_port`"
            )));
        }
        legacy = Some(old);
        if !r.backup_replicas.is_empty() {
            return Err(Error::Unimplemented(format!(
                "{what}: backup replicas are not supported"
            )));
        }
        let rid = u16::try_from(r.instance).map_err(|_| {
            Error::InvalidArgument(format!(
                "{what}: instance {} does not fit 16 bits",
                r.instance
            ))
        })?;
        let replica = Replica { port, rid };
        if out.contains(&replica) {
            return Err(Error::InvalidArgument(format!(
                "{what}: replica (port {port}, instance {rid}) is given twice"
            )));
        }
        out.push(replica);
    }
    Ok((out, legacy.unwrap_or(false)))
}

#[expect(
    deprecated,
    reason = "a group written with `egress_port` reads back with it"
)]
fn to_p4(rs: &[Replica], legacy: bool) -> Vec<v1::Replica> {
    rs.iter()
        .map(|r| v1::Replica {
            port_kind: Some(if legacy {
                PortKind::EgressPort(u32::from(r.port))
            } else {
                PortKind::Port(bytestring::from_u128(u128::from(r.port)))
            }),
            instance: u32::from(r.rid),
            backup_replicas: Vec::new(),
        })
        .collect()
}

fn exists_check<T>(op: Op, old: &Option<T>, what: &str) -> Result<(), Error> {
    match (op, old) {
        (Op::Insert, Some(_)) => Err(Error::AlreadyExists(format!("{what} already exists"))),
        (Op::Modify | Op::Delete, None) => Err(Error::NotFound(format!("{what} does not exist"))),
        _ => Ok(()),
    }
}

impl Writer<'_> {
    pub(crate) fn write_pre(
        &mut self,
        op: Op,
        e: &v1::PacketReplicationEngineEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        match &e.r#type {
            Some(Pre::MulticastGroupEntry(g)) => self.write_multicast(op, g, undo),
            Some(Pre::CloneSessionEntry(s)) => self.write_clone(op, s, undo),
            None => Err(Error::InvalidArgument(
                "the replication engine entry is empty".into(),
            )),
        }
    }

    fn write_multicast(
        &mut self,
        op: Op,
        g: &v1::MulticastGroupEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        let what = format!("multicast group {}", g.multicast_group_id);
        let id = match u16::try_from(g.multicast_group_id) {
            Ok(0) | Err(_) => {
                return Err(Error::InvalidArgument(format!("{what}: ids are 1..=65535")));
            }
            Ok(id) => id,
        };
        let old = self.switch.multicast_group(id).map(|r| {
            let x = self.extras.multicast.get(&id).cloned().unwrap_or_default();
            (r.to_vec(), x)
        });
        exists_check(op, &old, &what)?;
        if op == Op::Delete {
            self.switch.delete_multicast_group(id)?;
            self.extras.multicast.remove(&id);
        } else {
            let (rs, legacy_ports) = replicas(&g.replicas, &what)?;
            self.switch.set_multicast_group(MulticastGroup {
                group: id,
                replicas: rs,
            })?;
            self.extras.multicast.insert(
                id,
                PreExtra {
                    legacy_ports,
                    metadata: g.metadata.clone(),
                    class_of_service: 0,
                },
            );
        }
        if let Some(u) = undo {
            u.push(Undo::Multicast(id, old));
        }
        Ok(())
    }

    fn write_clone(
        &mut self,
        op: Op,
        s: &v1::CloneSessionEntry,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        let what = format!("clone session {}", s.session_id);
        if s.session_id == 0 {
            return Err(Error::InvalidArgument(format!("{what}: id 0 is reserved")));
        }
        let old = self.switch.clone_session(s.session_id).map(|c| {
            let x = self
                .extras
                .clones
                .get(&s.session_id)
                .cloned()
                .unwrap_or_default();
            (c.clone(), x)
        });
        exists_check(op, &old, &what)?;
        if op == Op::Delete {
            self.switch.delete_clone_session(s.session_id);
            self.extras.clones.remove(&s.session_id);
        } else {
            let (rs, legacy_ports) = replicas(&s.replicas, &what)?;
            let truncate_bytes = match s.packet_length_bytes {
                0 => None,
                n if n < 0 => {
                    return Err(Error::InvalidArgument(format!(
                        "{what}: packet_length_bytes {n} is negative"
                    )));
                }
                n => Some(n as u32),
            };
            self.switch.set_clone_session(CloneSession {
                session: s.session_id,
                replicas: rs,
                truncate_bytes,
            });
            self.extras.clones.insert(
                s.session_id,
                PreExtra {
                    legacy_ports,
                    metadata: Vec::new(),
                    class_of_service: s.class_of_service,
                },
            );
        }
        if let Some(u) = undo {
            u.push(Undo::Clone(s.session_id, old));
        }
        Ok(())
    }

    pub(crate) fn undo_pre(&mut self, u: Undo) {
        match u {
            Undo::Multicast(id, old) => {
                let _ = self.switch.delete_multicast_group(id);
                self.extras.multicast.remove(&id);
                if let Some((replicas, x)) = old {
                    let _ = self.switch.set_multicast_group(MulticastGroup {
                        group: id,
                        replicas,
                    });
                    self.extras.multicast.insert(id, x);
                }
            }
            Undo::Clone(id, old) => {
                self.switch.delete_clone_session(id);
                self.extras.clones.remove(&id);
                if let Some((s, x)) = old {
                    self.switch.set_clone_session(s);
                    self.extras.clones.insert(id, x);
                }
            }
            _ => {}
        }
    }
}

/// Multicast groups (id 0: all) or clone sessions (id 0: all), in id order.
pub fn read(
    c: &Config,
    x: &Extras,
    f: &v1::PacketReplicationEngineEntry,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    let entity = |t: Pre| v1::Entity {
        entity: Some(v1::entity::Entity::PacketReplicationEngineEntry(
            v1::PacketReplicationEngineEntry { r#type: Some(t) },
        )),
    };
    match &f.r#type {
        Some(Pre::MulticastGroupEntry(g)) => {
            let mut groups: Vec<(u16, &[Replica])> = c
                .switch
                .multicast_groups()
                .filter(|(id, _)| {
                    g.multicast_group_id == 0 || u32::from(*id) == g.multicast_group_id
                })
                .collect();
            if groups.is_empty() && g.multicast_group_id != 0 {
                return Err(Error::NotFound(format!(
                    "multicast group {} does not exist",
                    g.multicast_group_id
                )));
            }
            groups.sort_unstable_by_key(|(id, _)| *id);
            for (id, rs) in groups {
                let extra = x.multicast.get(&id).cloned().unwrap_or_default();
                out.push(entity(Pre::MulticastGroupEntry(v1::MulticastGroupEntry {
                    multicast_group_id: u32::from(id),
                    replicas: to_p4(rs, extra.legacy_ports),
                    metadata: extra.metadata,
                })));
            }
        }
        Some(Pre::CloneSessionEntry(s)) => {
            let mut sessions: Vec<&CloneSession> = c
                .switch
                .clone_sessions()
                .filter(|c| s.session_id == 0 || c.session == s.session_id)
                .collect();
            if sessions.is_empty() && s.session_id != 0 {
                return Err(Error::NotFound(format!(
                    "clone session {} does not exist",
                    s.session_id
                )));
            }
            sessions.sort_unstable_by_key(|c| c.session);
            for cs in sessions {
                let extra = x.clones.get(&cs.session).cloned().unwrap_or_default();
                out.push(entity(Pre::CloneSessionEntry(v1::CloneSessionEntry {
                    session_id: cs.session,
                    replicas: to_p4(&cs.replicas, extra.legacy_ports),
                    class_of_service: extra.class_of_service,
                    packet_length_bytes: cs.truncate_bytes.map_or(0, |n| n as i32),
                })));
            }
        }
        None => {
            return Err(Error::InvalidArgument(
                "the replication engine filter is empty; name multicast groups or clone sessions"
                    .into(),
            ));
        }
    }
    Ok(())
}
