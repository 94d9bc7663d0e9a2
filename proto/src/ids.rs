//! P4Info ids and aliases, assigned the way p4c assigns them, so that a
//! P4Info produced by ddsr and one produced by p4c for the same program agree
//! and controllers written against either keep working.
//!
//! An id is `(prefix << 24) | low24`: the prefix byte names the kind of object
//! ([`Prefix`]), and `low24` is the low 24 bits of the Jenkins one-at-a-time
//! hash of the object's fully qualified control-plane name. Ids given with
//! `@id` are reserved first; the other names of each kind are then processed
//! in sorted (byte-wise) order, and a name whose id is taken probes linearly
//! through the following 24-bit values of its own prefix. Sorting makes the
//! result independent of declaration order.

use std::collections::{BTreeMap, HashMap, HashSet};

/// The kind byte at the top of every P4Info id (`p4.config.v1.P4Ids.Prefix`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Prefix {
    Action = 0x01,
    Table = 0x02,
    ValueSet = 0x03,
    ControllerHeader = 0x04,
    ActionProfile = 0x11,
    Counter = 0x12,
    DirectCounter = 0x13,
    Meter = 0x14,
    DirectMeter = 0x15,
    Register = 0x16,
    Digest = 0x17,
}

impl Prefix {
    pub const ALL: [Prefix; 11] = [
        Prefix::Action,
        Prefix::Table,
        Prefix::ValueSet,
        Prefix::ControllerHeader,
        Prefix::ActionProfile,
        Prefix::Counter,
        Prefix::DirectCounter,
        Prefix::Meter,
        Prefix::DirectMeter,
        Prefix::Register,
        Prefix::Digest,
    ];

    /// The prefix as the top byte of a 32-bit id.
    pub const fn bits(self) -> u32 {
        (self as u32) << 24
    }

    /// The kind of object an id names, if its top byte is a known prefix.
    pub fn of_id(id: u32) -> Option<Prefix> {
        let byte = (id >> 24) as u8;
        Prefix::ALL.into_iter().find(|p| *p as u8 == byte)
    }

    /// Lower-case name used in diagnostics ("table", "direct counter").
    pub const fn describe(self) -> &'static str {
        match self {
            Prefix::Action => "action",
            Prefix::Table => "table",
            Prefix::ValueSet => "value set",
            Prefix::ControllerHeader => "controller header",
            Prefix::ActionProfile => "action profile",
            Prefix::Counter => "counter",
            Prefix::DirectCounter => "direct counter",
            Prefix::Meter => "meter",
            Prefix::DirectMeter => "direct meter",
            Prefix::Register => "register",
            Prefix::Digest => "digest",
        }
    }
}

/// Bob Jenkins' one-at-a-time hash, the hash p4c applies to names.
pub fn jenkins_one_at_a_time(key: &[u8]) -> u32 {
    let mut hash: u32 = 0;
    for &byte in key {
        hash = hash.wrapping_add(u32::from(byte));
        hash = hash.wrapping_add(hash << 10);
        hash ^= hash >> 6;
    }
    hash = hash.wrapping_add(hash << 3);
    hash ^= hash >> 11;
    hash.wrapping_add(hash << 15)
}

/// The id `name` gets when nothing else collides with it.
pub fn hashed_id(prefix: Prefix, name: &str) -> u32 {
    prefix.bits() | (jenkins_one_at_a_time(name.as_bytes()) & 0x00ff_ffff)
}

/// A problem with the ids of a program; the caller attaches the source span
/// of the declaration named in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("@id {value} of {} `{name}` does not fit in 32 bits", .prefix.describe())]
    TooLarge {
        prefix: Prefix,
        name: String,
        value: u64,
    },
    #[error(
        "@id {id:#010x} of {} `{name}` has prefix {:#04x}, expected {:#04x}",
        .prefix.describe(), .id >> 24, *.prefix as u8
    )]
    WrongPrefix {
        prefix: Prefix,
        name: String,
        id: u32,
    },
    #[error("@id {id:#010x} is given to both `{first}` and `{second}`")]
    Duplicate {
        id: u32,
        first: String,
        second: String,
    },
    #[error("{} `{name}` is declared twice with different @id values", .prefix.describe())]
    Conflicting { prefix: Prefix, name: String },
    #[error("no free {} id left for `{name}`", .prefix.describe())]
    Exhausted { prefix: Prefix, name: String },
}

/// Collects the named objects of a program, then assigns all ids at once.
#[derive(Debug, Default)]
pub struct Allocator {
    /// Objects by kind and name; `Some` for an `@id`, already prefixed.
    symbols: BTreeMap<(Prefix, String), Option<u32>>,
    /// Owner of every `@id` reserved so far.
    reserved: HashMap<u32, String>,
    errors: Vec<IdError>,
}

impl Allocator {
    pub fn new() -> Allocator {
        Allocator::default()
    }

    /// Registers an object with its fully qualified control-plane name and
    /// its `@id` value, if any. An `@id` without prefix byte gets `prefix`;
    /// one with a prefix byte must carry exactly `prefix`. Registering the
    /// same object again is allowed (a table applied twice) and ignored.
    pub fn add(&mut self, prefix: Prefix, name: &str, annotated: Option<u64>) {
        let id = match annotated.map(|value| self.prefixed(prefix, name, value)) {
            Some(Some(id)) => Some(id),
            // The error is recorded; the object still gets a hashed id so that
            // later stages can go on and report their own errors.
            Some(None) | None => None,
        };
        let key = (prefix, name.to_owned());
        if let Some(existing) = self.symbols.get(&key) {
            if id.is_some() && *existing != id {
                self.errors.push(IdError::Conflicting {
                    prefix,
                    name: name.to_owned(),
                });
            }
            return;
        }
        if let Some(id) = id {
            if let Some(first) = self.reserved.get(&id) {
                self.errors.push(IdError::Duplicate {
                    id,
                    first: first.clone(),
                    second: name.to_owned(),
                });
                self.symbols.insert(key, None);
                return;
            }
            self.reserved.insert(id, name.to_owned());
        }
        self.symbols.insert(key, id);
    }

    fn prefixed(&mut self, prefix: Prefix, name: &str, value: u64) -> Option<u32> {
        let Ok(id) = u32::try_from(value) else {
            self.errors.push(IdError::TooLarge {
                prefix,
                name: name.to_owned(),
                value,
            });
            return None;
        };
        if id >> 24 != 0 && id >> 24 != prefix as u32 {
            self.errors.push(IdError::WrongPrefix {
                prefix,
                name: name.to_owned(),
                id,
            });
            return None;
        }
        Some(id | prefix.bits())
    }

    /// Assigns the ids; returns every error found, not just the first.
    pub fn finish(self) -> Result<Ids, Vec<IdError>> {
        let mut errors = self.errors;
        let mut taken: HashSet<u32> = self.reserved.keys().copied().collect();
        let mut ids = BTreeMap::new();
        // BTreeMap order is (prefix, name) with names compared byte-wise,
        // which is the order p4c hashes them in.
        for ((prefix, name), annotated) in self.symbols {
            let id = match annotated {
                Some(id) => id,
                None => match probe(prefix, hashed_id(prefix, &name), |id| taken.contains(&id)) {
                    Some(id) => id,
                    None => {
                        errors.push(IdError::Exhausted { prefix, name });
                        continue;
                    }
                },
            };
            taken.insert(id);
            ids.insert((prefix, name), id);
        }
        if errors.is_empty() {
            Ok(Ids { ids })
        } else {
            Err(errors)
        }
    }
}

/// First id at or after `start` that is not taken, wrapping within the prefix.
fn probe(prefix: Prefix, start: u32, taken: impl Fn(u32) -> bool) -> Option<u32> {
    (0..=0x00ff_ffff_u32)
        .map(|step| prefix.bits() | (start.wrapping_add(step) & 0x00ff_ffff))
        .find(|id| !taken(*id))
}

/// The assigned ids, looked up by kind and fully qualified name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    ids: BTreeMap<(Prefix, String), u32>,
}

impl Ids {
    pub fn get(&self, prefix: Prefix, name: &str) -> Option<u32> {
        self.ids.get(&(prefix, name.to_owned())).copied()
    }

    /// Every object with its id, ordered by kind then name.
    pub fn iter(&self) -> impl Iterator<Item = (Prefix, &str, u32)> + '_ {
        self.ids
            .iter()
            .map(|((prefix, name), id)| (*prefix, name.as_str(), *id))
    }
}

/// Aliases as p4c makes them: the shortest dot-separated suffix of a fully
/// qualified name that no other name of the program (of any kind) ends with.
#[derive(Debug, Default)]
pub struct Aliases {
    names: HashSet<String>,
    /// How many distinct names end with each suffix.
    suffix_counts: HashMap<String, usize>,
}

impl Aliases {
    pub fn new() -> Aliases {
        Aliases::default()
    }

    pub fn add(&mut self, name: &str) {
        if !self.names.insert(name.to_owned()) {
            return;
        }
        for suffix in suffixes(name) {
            *self.suffix_counts.entry(suffix.to_owned()).or_default() += 1;
        }
    }

    /// The alias of `name`; `name` itself when it was not added or when no
    /// shorter suffix is unique.
    pub fn alias<'a>(&self, name: &'a str) -> &'a str {
        suffixes(name)
            .find(|suffix| self.suffix_counts.get(*suffix).is_some_and(|n| *n < 2))
            .unwrap_or(name)
    }
}

/// "a.b.c" -> "c", "b.c", "a.b.c".
fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    name.rmatch_indices('.')
        .map(move |(i, _)| &name[i + 1..])
        .chain(std::iter::once(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_ids_match_p4c() {
        // Published p4c outputs (BMv2 tests and tutorials).
        assert_eq!(hashed_id(Prefix::Table, "IngressI.indirect_ws"), 38116258);
        assert_eq!(hashed_id(Prefix::Action, "NoAction"), 21257015);
    }

    #[test]
    fn jenkins_reference_vectors() {
        // Values from the published description of the hash.
        assert_eq!(jenkins_one_at_a_time(b"a"), 0xca2e_9442);
        assert_eq!(
            jenkins_one_at_a_time(b"The quick brown fox jumps over the lazy dog"),
            0x519e_91f5
        );
        assert_eq!(jenkins_one_at_a_time(b""), 0);
    }

    #[test]
    fn allocator_reserves_annotated_ids_first_and_probes_in_name_order() {
        let natural = hashed_id(Prefix::Table, "c.t2");
        let mut alloc = Allocator::new();
        // Declared after t2 but takes t2's natural id through @id.
        alloc.add(Prefix::Table, "c.t2", None);
        alloc.add(
            Prefix::Table,
            "c.pinned",
            Some(u64::from(natural & 0xff_ffff)),
        );
        alloc.add(Prefix::Action, "NoAction", None);
        let ids = alloc.finish().unwrap();
        assert_eq!(ids.get(Prefix::Table, "c.pinned"), Some(natural));
        assert_eq!(ids.get(Prefix::Table, "c.t2"), Some(natural + 1));
        assert_eq!(ids.get(Prefix::Action, "NoAction"), Some(21257015));
        assert_eq!(ids.iter().count(), 3);
    }

    #[test]
    fn probing_wraps_within_the_prefix() {
        let start = Prefix::Counter.bits() | 0x00ff_fff0;
        // Everything from `start` to the top of the prefix is taken.
        let top_taken = |id: u32| id & 0x00ff_ffff >= 0x00ff_fff0;
        assert_eq!(
            probe(Prefix::Counter, start, top_taken),
            Some(Prefix::Counter.bits())
        );
        assert_eq!(probe(Prefix::Counter, start, |_| false), Some(start));
        assert_eq!(probe(Prefix::Counter, start, |_| true), None);
    }

    #[test]
    fn allocation_does_not_depend_on_declaration_order() {
        let names = ["b.t", "a.t", "c.t", "a.u"];
        let mut forward = Allocator::new();
        let mut backward = Allocator::new();
        for n in names {
            forward.add(Prefix::Table, n, None);
        }
        for n in names.iter().rev() {
            backward.add(Prefix::Table, n, None);
        }
        assert_eq!(forward.finish().unwrap(), backward.finish().unwrap());
    }

    #[test]
    fn id_annotation_errors_are_all_reported() {
        let mut alloc = Allocator::new();
        alloc.add(Prefix::Table, "t1", Some(0x0100_0001));
        alloc.add(Prefix::Table, "t2", Some(1 << 40));
        alloc.add(Prefix::Table, "t3", Some(5));
        alloc.add(Prefix::Table, "t4", Some(0x0200_0005));
        let errors = alloc.finish().unwrap_err();
        assert_eq!(
            errors,
            [
                IdError::WrongPrefix {
                    prefix: Prefix::Table,
                    name: "t1".into(),
                    id: 0x0100_0001
                },
                IdError::TooLarge {
                    prefix: Prefix::Table,
                    name: "t2".into(),
                    value: 1 << 40
                },
                IdError::Duplicate {
                    id: 0x0200_0005,
                    first: "t3".into(),
                    second: "t4".into()
                },
            ]
        );
        assert_eq!(
            errors[0].to_string(),
            "@id 0x01000001 of table `t1` has prefix 0x01, expected 0x02"
        );
    }

    #[test]
    fn prefix_of_id() {
        assert_eq!(Prefix::of_id(38116258), Some(Prefix::Table));
        assert_eq!(Prefix::of_id(0x1700_0001), Some(Prefix::Digest));
        assert_eq!(Prefix::of_id(0x0500_0001), None);
    }

    #[test]
    fn aliases_are_shortest_unique_suffixes() {
        let mut aliases = Aliases::new();
        for n in ["s.c1.t", "s.c2.t", "s.c1.u", "NoAction"] {
            aliases.add(n);
        }
        assert_eq!(aliases.alias("s.c1.t"), "c1.t");
        assert_eq!(aliases.alias("s.c2.t"), "c2.t");
        assert_eq!(aliases.alias("s.c1.u"), "u");
        assert_eq!(aliases.alias("NoAction"), "NoAction");
    }
}
