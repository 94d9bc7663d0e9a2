//! The one place that decides in which order changes reach a device so that no flow is
//! black-holed while a load is under way.
//!
//! The order is derived from the table names in the P4Info (the last `.`-separated part, so
//! p4c's qualified names work too), by what each table's entries point into:
//!
//! | tier | tables | why |
//! |---|---|---|
//! | 0 `Target` | `backends_*`, `acl_*`, `responses_*`, `routes_*`, any table not named below | what other entries lead to: Maglev buckets, a VIP's ACL, the way back to the egress host, next hops |
//! | 1 `Service` | `services_*` | a server's or egress host's recognition of a VIP from its service port: it sends packets into the ACL and response tables |
//! | 2 `Entry` | `vip_*`, `port_roles` | where packets enter the program's decisions: a VIP entry names a pool whose buckets must exist; a port role starts the service lookups |
//!
//! Inserts and modifies go tier 0, 1, 2 (a pool's buckets exist before the VIP entry that
//! uses them); deletes go after every insert and modify, tier 2, 1, 0 (a VIP entry goes before
//! its buckets). A Write request holds changes of one phase only, because a device may apply
//! the updates of one request in any order.
//!
//! One exception, because the compiler sizes tables to exactly what they hold: when a table
//! (its P4Info `size`) has no room for its new entries next to the old ones, that table's
//! deletes go first of all (phase `Room`, tier 2, 1, 0). The load can then complete; flows of
//! the entries deleted early (which the new state drops anyway) lose them a little sooner.

/// A table's place in the order; lower tiers are written first and deleted last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Target = 0,
    Service = 1,
    Entry = 2,
}

/// The tier of a table by its P4Info name.
pub fn tier(table_name: &str) -> Tier {
    let name = table_name.rsplit('.').next().unwrap_or(table_name);
    if name.starts_with("vip_") || name == "port_roles" {
        Tier::Entry
    } else if name.starts_with("services_") {
        Tier::Service
    } else {
        Tier::Target
    }
}

/// A step of a load: one direction in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Deletes that make room in full tables, before anything else.
    Room(std::cmp::Reverse<Tier>),
    /// Inserts and modifies of a tier.
    Write(Tier),
    /// Deletes of a tier.
    Delete(std::cmp::Reverse<Tier>),
}

impl Phase {
    /// Phases sort in the order they are applied: room-making deletes by falling tier, every
    /// write phase by rising tier, then every delete phase by falling tier.
    pub fn write(tier: Tier) -> Phase {
        Phase::Write(tier)
    }

    pub fn delete(tier: Tier) -> Phase {
        Phase::Delete(std::cmp::Reverse(tier))
    }

    pub fn room(tier: Tier) -> Phase {
        Phase::Room(std::cmp::Reverse(tier))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_by_name() {
        assert_eq!(tier("vip_v4"), Tier::Entry);
        assert_eq!(tier("Ingress.vip_v6"), Tier::Entry);
        assert_eq!(tier("port_roles"), Tier::Entry);
        assert_eq!(tier("services_v6"), Tier::Service);
        for t in [
            "backends_v4",
            "acl_v6",
            "responses_v4",
            "routes_v6",
            "anything",
        ] {
            assert_eq!(tier(t), Tier::Target, "{t}");
        }
    }

    #[test]
    fn phases_apply_writes_up_then_deletes_down() {
        let mut phases = vec![
            Phase::room(Tier::Target),
            Phase::delete(Tier::Target),
            Phase::room(Tier::Entry),
            Phase::write(Tier::Entry),
            Phase::delete(Tier::Entry),
            Phase::write(Tier::Target),
            Phase::delete(Tier::Service),
            Phase::write(Tier::Service),
        ];
        phases.sort();
        assert_eq!(
            phases,
            [
                Phase::room(Tier::Entry),
                Phase::room(Tier::Target),
                Phase::write(Tier::Target),
                Phase::write(Tier::Service),
                Phase::write(Tier::Entry),
                Phase::delete(Tier::Entry),
                Phase::delete(Tier::Service),
                Phase::delete(Tier::Target),
            ]
        );
    }
}
