//! Action profile members and groups (`ActionProfileMember`, `ActionProfileGroup`).
//!
//! The core keeps a group as a list of member ids in which a member appears once per unit of
//! weight (BMv2's selection: `hash % list length`); P4Runtime's `(member, weight)` pairs are
//! expanded on write and counted back on read, in the order members first appear, so a
//! group written with distinct members reads back identical. A group's `max_size` is kept
//! here because the core has no use for it.

use ddsr_pipeline::arena::Handle;
use ddsr_pipeline::entry::{EntryAction, ProfileGroup, ProfileMember};
use ddsr_pipeline::externs::Extern;
use ddsr_pipeline::table::Implementation;
use ddsr_proto::p4::v1;

use crate::device::Config;
use crate::error::Error;
use crate::schema::ProfileIds;
use crate::translate;
use crate::write::{Extras, Op, Undo, Writer};

fn profile(c: &crate::schema::Schema, id: u32) -> Result<&ProfileIds, Error> {
    c.profiles
        .get(&id)
        .ok_or_else(|| Error::NotFound(format!("no action profile with id {id}")))
}

/// Whether any table entry of a table using `profile` runs `what`.
fn referenced(w: &Writer<'_>, profile: Handle<Extern>, what: &EntryAction) -> bool {
    let p = w.switch.pipeline();
    p.tables
        .iter()
        .filter(|(_, t)| {
            matches!(t.implementation,
                Implementation::ActionProfile(h) | Implementation::ActionSelector(h) if h == profile)
        })
        .any(|(h, _)| w.switch.read(h).iter().any(|e| &e.action == what))
}

impl Writer<'_> {
    pub(crate) fn write_member(
        &mut self,
        op: Op,
        m: &v1::ActionProfileMember,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        let ids = profile(self.schema, m.action_profile_id)?;
        let h = ids.handle;
        let old = self
            .switch
            .profile(h)
            .and_then(|p| p.members.get(&m.member_id))
            .map(|(pm, _)| pm.clone());
        let name = || self.switch.pipeline().externs[h].name.clone();
        match (op, &old) {
            (Op::Insert, Some(_)) => {
                return Err(Error::AlreadyExists(format!(
                    "`{}` already has member {}",
                    name(),
                    m.member_id
                )));
            }
            (Op::Modify | Op::Delete, None) => {
                return Err(Error::NotFound(format!(
                    "`{}` has no member {}",
                    name(),
                    m.member_id
                )));
            }
            _ => {}
        }
        match op {
            Op::Insert | Op::Modify => {
                let a = m.action.as_ref().ok_or_else(|| {
                    Error::InvalidArgument(format!("member {} has no action", m.member_id))
                })?;
                let call = translate::action(self.schema, self.switch.pipeline(), a)?;
                let member = ProfileMember {
                    profile: h,
                    member: m.member_id,
                    action: call,
                };
                if op == Op::Insert {
                    let size = self.switch.profile(h).map_or(0, |p| p.size);
                    if self.switch.profile(h).map_or(0, |p| p.members.len()) >= size as usize {
                        return Err(Error::ResourceExhausted(format!(
                            "`{}` is full ({size} members)",
                            name()
                        )));
                    }
                    self.switch.insert_member(member)?;
                } else {
                    self.switch.modify_member(member)?;
                }
            }
            Op::Delete => {
                let in_group = self
                    .switch
                    .profile(h)
                    .is_some_and(|p| p.groups.values().any(|g| g.members.contains(&m.member_id)));
                if in_group
                    || referenced(
                        self,
                        h,
                        &EntryAction::Member {
                            member: m.member_id,
                        },
                    )
                {
                    return Err(Error::FailedPrecondition(format!(
                        "member {} of `{}` is still used by a group or a table entry",
                        m.member_id,
                        name()
                    )));
                }
                self.switch.delete_member(h, m.member_id)?;
            }
        }
        if let Some(u) = undo {
            u.push(Undo::Member(h, m.member_id, old));
        }
        Ok(())
    }

    pub(crate) fn write_group(
        &mut self,
        op: Op,
        g: &v1::ActionProfileGroup,
        undo: Option<&mut Vec<Undo>>,
    ) -> Result<(), Error> {
        let ids = profile(self.schema, g.action_profile_id)?;
        let (h, max) = (ids.handle, ids.max_group_size);
        let name = self.switch.pipeline().externs[h].name.clone();
        if !ids.selector {
            return Err(Error::InvalidArgument(format!(
                "`{name}` is an action profile without a selector and has no groups"
            )));
        }
        let old = self
            .switch
            .profile(h)
            .and_then(|p| p.groups.get(&g.group_id))
            .cloned()
            .map(|pg| {
                let size = self.extras.group_max.get(&(h, g.group_id)).copied();
                (pg, size)
            });
        match (op, &old) {
            (Op::Insert, Some(_)) => {
                return Err(Error::AlreadyExists(format!(
                    "`{name}` already has group {}",
                    g.group_id
                )));
            }
            (Op::Modify | Op::Delete, None) => {
                return Err(Error::NotFound(format!(
                    "`{name}` has no group {}",
                    g.group_id
                )));
            }
            _ => {}
        }
        if op == Op::Delete {
            if referenced(self, h, &EntryAction::Group { group: g.group_id }) {
                return Err(Error::FailedPrecondition(format!(
                    "group {} of `{name}` is still used by a table entry",
                    g.group_id
                )));
            }
            self.switch.delete_group(h, g.group_id)?;
            self.extras.group_max.remove(&(h, g.group_id));
        } else {
            // The max size is fixed when the group is created.
            let limit = match (&old, g.max_size) {
                (_, n) if n < 0 => {
                    return Err(Error::InvalidArgument(format!(
                        "group {}: max_size {n} is negative",
                        g.group_id
                    )));
                }
                (Some((_, Some(n))), _) => *n,
                (Some((_, None)), _) => 0,
                (None, n) => n,
            };
            if limit as u32 > max {
                return Err(Error::ResourceExhausted(format!(
                    "group {}: max_size {limit} is above `{name}`'s largest group size {max}",
                    g.group_id
                )));
            }
            let cap = if limit == 0 { max } else { limit as u32 };
            let mut members = Vec::new();
            for m in &g.members {
                if m.weight <= 0 {
                    return Err(Error::InvalidArgument(format!(
                        "group {} member {}: weight {} is not positive",
                        g.group_id, m.member_id, m.weight
                    )));
                }
                if m.watch_kind.is_some() {
                    return Err(Error::Unimplemented(format!(
                        "group {} member {}: watch ports are not supported",
                        g.group_id, m.member_id
                    )));
                }
                if members.contains(&m.member_id) {
                    return Err(Error::InvalidArgument(format!(
                        "group {}: member {} is given twice",
                        g.group_id, m.member_id
                    )));
                }
                if !self
                    .switch
                    .profile(h)
                    .is_some_and(|p| p.members.contains_key(&m.member_id))
                {
                    return Err(Error::NotFound(format!(
                        "group {}: `{name}` has no member {}",
                        g.group_id, m.member_id
                    )));
                }
                members.push(m.member_id);
            }
            let total: u64 = g.members.iter().map(|m| m.weight as u64).sum();
            if total > u64::from(cap) {
                return Err(Error::ResourceExhausted(format!(
                    "group {}: total weight {total} is above its max size {cap}",
                    g.group_id
                )));
            }
            let mut expanded = Vec::with_capacity(total as usize);
            for m in &g.members {
                expanded.extend(std::iter::repeat_n(m.member_id, m.weight as usize));
            }
            self.switch.write_group(
                ProfileGroup {
                    profile: h,
                    group: g.group_id,
                    members: expanded,
                },
                op == Op::Insert,
            )?;
            if limit > 0 {
                self.extras.group_max.insert((h, g.group_id), limit);
            }
        }
        if let Some(u) = undo {
            u.push(Undo::Group(h, g.group_id, old));
        }
        Ok(())
    }

    pub(crate) fn undo_member(
        &mut self,
        h: Handle<Extern>,
        member: u32,
        old: Option<ProfileMember>,
    ) {
        let exists = self
            .switch
            .profile(h)
            .is_some_and(|p| p.members.contains_key(&member));
        let _ = match (old, exists) {
            (Some(m), true) => self.switch.modify_member(m),
            (Some(m), false) => self.switch.insert_member(m),
            (None, _) => self.switch.delete_member(h, member),
        };
    }

    pub(crate) fn undo_group(
        &mut self,
        h: Handle<Extern>,
        group: u32,
        old: Option<(ProfileGroup, Option<i32>)>,
    ) {
        let exists = self
            .switch
            .profile(h)
            .is_some_and(|p| p.groups.contains_key(&group));
        self.extras.group_max.remove(&(h, group));
        let _ = match old {
            Some((g, max)) => {
                if let Some(n) = max {
                    self.extras.group_max.insert((h, group), n);
                }
                self.switch.write_group(g, !exists)
            }
            None => self.switch.delete_group(h, group),
        };
    }
}

/// The profiles a filter names (all for id 0), in id order.
fn profiles(c: &Config, id: u32) -> Result<Vec<(u32, Handle<Extern>)>, Error> {
    let mut v: Vec<(u32, Handle<Extern>)> = if id == 0 {
        c.schema
            .profiles
            .iter()
            .map(|(id, p)| (*id, p.handle))
            .collect()
    } else {
        vec![(id, profile(&c.schema, id)?.handle)]
    };
    v.sort_unstable_by_key(|(id, _)| *id);
    Ok(v)
}

/// Members matching a filter: profile id 0 means every profile, member id 0 every member.
pub fn read_members(
    c: &Config,
    f: &v1::ActionProfileMember,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    for (id, h) in profiles(c, f.action_profile_id)? {
        let Some(p) = c.switch.profile(h) else {
            continue;
        };
        let mut ids: Vec<u32> = p
            .members
            .keys()
            .copied()
            .filter(|m| f.member_id == 0 || *m == f.member_id)
            .collect();
        ids.sort_unstable();
        for m in ids {
            let (pm, _) = &p.members[&m];
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::ActionProfileMember(
                    v1::ActionProfileMember {
                        action_profile_id: id,
                        member_id: m,
                        action: Some(translate::to_p4_action(&c.schema, &pm.action)),
                    },
                )),
            });
        }
    }
    Ok(())
}

/// Groups matching a filter: profile id 0 means every profile, group id 0 every group.
pub fn read_groups(
    c: &Config,
    x: &Extras,
    f: &v1::ActionProfileGroup,
    out: &mut Vec<v1::Entity>,
) -> Result<(), Error> {
    for (id, h) in profiles(c, f.action_profile_id)? {
        let Some(p) = c.switch.profile(h) else {
            continue;
        };
        let mut ids: Vec<u32> = p
            .groups
            .keys()
            .copied()
            .filter(|g| f.group_id == 0 || *g == f.group_id)
            .collect();
        ids.sort_unstable();
        for g in ids {
            let mut members: Vec<v1::action_profile_group::Member> = Vec::new();
            for m in &p.groups[&g].members {
                match members.iter_mut().find(|x| x.member_id == *m) {
                    Some(x) => x.weight += 1,
                    None => members.push(v1::action_profile_group::Member {
                        member_id: *m,
                        weight: 1,
                        watch_kind: None,
                    }),
                }
            }
            out.push(v1::Entity {
                entity: Some(v1::entity::Entity::ActionProfileGroup(
                    v1::ActionProfileGroup {
                        action_profile_id: id,
                        group_id: g,
                        members,
                        max_size: x.group_max.get(&(h, g)).copied().unwrap_or(0),
                    },
                )),
            });
        }
    }
    Ok(())
}
