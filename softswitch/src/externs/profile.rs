//! Action profiles and selectors: members (an action with arguments) and groups of members.
//! A selector picks a group member as BMv2 does: `hash(selector keys) % group size`, members
//! in the order they were added to the group.

use std::collections::HashMap;

use ddsr_pipeline::entry::{ActionCall, ProfileGroup, ProfileMember};

use crate::table::Bound;

#[derive(Debug, Clone)]
pub struct Profile {
    pub size: u32,
    pub members: HashMap<u32, (ProfileMember, Bound)>,
    pub groups: HashMap<u32, ProfileGroup>,
}

/// Why a profile write was refused (P4Runtime status in brackets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("member {0} already exists")]
    MemberExists(u32),
    #[error("no member {0}")]
    NoMember(u32),
    #[error("group {0} already exists")]
    GroupExists(u32),
    #[error("no group {0}")]
    NoGroup(u32),
    #[error("the profile is full ({0} members)")]
    Full(u32),
    #[error("member {0} is still used by a group or an entry")]
    InUse(u32),
}

impl Profile {
    pub fn new(size: u32) -> Profile {
        Profile {
            size,
            members: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    pub fn insert_member(&mut self, m: ProfileMember, bound: Bound) -> Result<(), ProfileError> {
        if self.members.contains_key(&m.member) {
            return Err(ProfileError::MemberExists(m.member));
        }
        if self.members.len() >= self.size as usize {
            return Err(ProfileError::Full(self.size));
        }
        self.members.insert(m.member, (m, bound));
        Ok(())
    }

    pub fn modify_member(&mut self, m: ProfileMember, bound: Bound) -> Result<(), ProfileError> {
        match self.members.get_mut(&m.member) {
            Some(slot) => {
                *slot = (m, bound);
                Ok(())
            }
            None => Err(ProfileError::NoMember(m.member)),
        }
    }

    pub fn delete_member(&mut self, member: u32) -> Result<(), ProfileError> {
        if self.groups.values().any(|g| g.members.contains(&member)) {
            return Err(ProfileError::InUse(member));
        }
        self.members
            .remove(&member)
            .map(|_| ())
            .ok_or(ProfileError::NoMember(member))
    }

    pub fn write_group(&mut self, g: ProfileGroup, insert: bool) -> Result<(), ProfileError> {
        if let Some(m) = g.members.iter().find(|m| !self.members.contains_key(m)) {
            return Err(ProfileError::NoMember(*m));
        }
        match (insert, self.groups.contains_key(&g.group)) {
            (true, true) => Err(ProfileError::GroupExists(g.group)),
            (false, false) => Err(ProfileError::NoGroup(g.group)),
            _ => {
                self.groups.insert(g.group, g);
                Ok(())
            }
        }
    }

    pub fn delete_group(&mut self, group: u32) -> Result<(), ProfileError> {
        self.groups
            .remove(&group)
            .map(|_| ())
            .ok_or(ProfileError::NoGroup(group))
    }

    /// The action of a member.
    pub fn member(&self, member: u32) -> Option<&Bound> {
        self.members.get(&member).map(|(_, b)| b)
    }

    /// The member of `group` that `hash` selects, as BMv2: `hash % size`.
    pub fn select(&self, group: u32, hash: u64) -> Option<&Bound> {
        let g = self.groups.get(&group)?;
        if g.members.is_empty() {
            return None;
        }
        let m = g.members[(hash % g.members.len() as u64) as usize];
        self.member(m)
    }

    /// The call a member runs, for reads.
    pub fn member_call(&self, member: u32) -> Option<&ActionCall> {
        self.members.get(&member).map(|(m, _)| &m.action)
    }
}
