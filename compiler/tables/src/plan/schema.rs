//! The control-plane interface of each role program in `p4/`: its tables (keys with widths and
//! match kinds, actions, size macro) and actions (parameters with widths), by the names the
//! programs give them with `@name`.
//!
//! This is the one place where names become handles: [`Program::pipeline`] builds a
//! control-plane-only [`Pipeline`] (tables and actions, no control flow) against which entries
//! are resolved, checked ([`ddsr_pipeline::TableEntry::check`]) and looked up, and from which
//! P4Info is written. A test compares it with the P4 sources, so a renamed table or a changed
//! width in `p4/` fails the build's tests instead of producing entries the switch rejects.

use ddsr_pipeline::{Builder, MatchKind, Pipeline};
use ddsr_policy::ir::Role;

/// One key of a table: control-plane name, width in bits, match kind.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub name: &'static str,
    pub width: u16,
    pub kind: MatchKind,
}

#[derive(Debug, Clone, Copy)]
pub struct TableSpec {
    pub name: &'static str,
    pub keys: &'static [KeySpec],
    /// Actions entries may use; the default action is not among them.
    pub actions: &'static [&'static str],
    pub default_action: &'static str,
    /// The `sizes.p4` macro the table's `size` is, or `None` for a fixed size.
    pub size_macro: Option<&'static str>,
    /// The size when `size_macro` is `None`.
    pub fixed_size: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub params: &'static [(&'static str, u16)],
}

/// The control-plane interface of one role program.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    pub role: Role,
    pub tables: &'static [TableSpec],
    pub actions: &'static [ActionSpec],
}

const fn key(name: &'static str, width: u16, kind: MatchKind) -> KeySpec {
    KeySpec { name, width, kind }
}

const fn sized(
    name: &'static str,
    keys: &'static [KeySpec],
    actions: &'static [&'static str],
    default_action: &'static str,
    size_macro: &'static str,
) -> TableSpec {
    TableSpec {
        name,
        keys,
        actions,
        default_action,
        size_macro: Some(size_macro),
        fixed_size: 0,
    }
}

use MatchKind::{Exact, Lpm, Range, Ternary};

const VIP_KEYS_V4: &[KeySpec] = &[
    key("dst_addr", 32, Exact),
    key("protocol", 8, Exact),
    key("dst_port", 16, Exact),
];
const VIP_KEYS_V6: &[KeySpec] = &[
    key("dst_addr", 128, Exact),
    key("protocol", 8, Exact),
    key("dst_port", 16, Exact),
];
const RESPONSE_KEYS_V4: &[KeySpec] = &[
    key("src_addr", 32, Exact),
    key("protocol", 8, Exact),
    key("src_port", 16, Exact),
];
const RESPONSE_KEYS_V6: &[KeySpec] = &[
    key("src_addr", 128, Exact),
    key("protocol", 8, Exact),
    key("src_port", 16, Exact),
];
const BUCKET_KEYS: &[KeySpec] = &[key("pool_id", 16, Exact), key("bucket", 24, Exact)];

const ROUTE_TABLES: [TableSpec; 2] = [
    sized(
        "routes_v4",
        &[key("dst_addr", 32, Lpm)],
        &["route", "default_port"],
        "default_port",
        "DDSR_ROUTES",
    ),
    sized(
        "routes_v6",
        &[key("dst_addr", 128, Lpm)],
        &["route", "default_port"],
        "default_port",
        "DDSR_ROUTES",
    ),
];

const ROUTE_ACTIONS: [ActionSpec; 2] = [
    ActionSpec {
        name: "route",
        params: &[("port", 9), ("next_hop_mac", 48)],
    },
    ActionSpec {
        name: "default_port",
        params: &[],
    },
];

/// `p4/v1model/ingress.p4`.
pub const INGRESS: Program = Program {
    role: Role::Ingress,
    tables: &[
        sized("vip_v4", VIP_KEYS_V4, &["to_pool"], "NoAction", "DDSR_VIPS"),
        sized("vip_v6", VIP_KEYS_V6, &["to_pool"], "NoAction", "DDSR_VIPS"),
        sized(
            "backends_v4",
            BUCKET_KEYS,
            &["to_backend_v4"],
            "drop",
            "DDSR_BUCKET_ENTRIES",
        ),
        sized(
            "backends_v6",
            BUCKET_KEYS,
            &["to_backend_v6"],
            "drop",
            "DDSR_BUCKET_ENTRIES",
        ),
        ROUTE_TABLES[0],
        ROUTE_TABLES[1],
    ],
    actions: &[
        ActionSpec {
            name: "NoAction",
            params: &[],
        },
        ActionSpec {
            name: "drop",
            params: &[],
        },
        ActionSpec {
            name: "to_pool",
            params: &[("vip_id", 16), ("pool_id", 16), ("service_port", 16)],
        },
        ActionSpec {
            name: "to_backend_v4",
            params: &[("backend_id", 16), ("addr", 32)],
        },
        ActionSpec {
            name: "to_backend_v6",
            params: &[("backend_id", 16), ("addr", 128)],
        },
        ROUTE_ACTIONS[0],
        ROUTE_ACTIONS[1],
    ],
};

/// `p4/v1model/server.p4`.
pub const SERVER: Program = Program {
    role: Role::Server,
    tables: &[
        TableSpec {
            name: "port_roles",
            keys: &[key("ingress_port", 9, Exact)],
            actions: &["from_fabric", "from_host"],
            default_action: "drop",
            size_macro: None,
            fixed_size: 16,
        },
        sized(
            "services_v4",
            VIP_KEYS_V4,
            &["to_vip_v4"],
            "NoAction",
            "DDSR_VIPS",
        ),
        sized(
            "services_v6",
            VIP_KEYS_V6,
            &["to_vip_v6"],
            "NoAction",
            "DDSR_VIPS",
        ),
        sized(
            "acl_v4",
            &[
                key("vip_id", 16, Exact),
                key("src_addr", 32, Ternary),
                key("src_port", 16, Range),
            ],
            &["acl_allow", "acl_deny"],
            "acl_miss",
            "DDSR_ACL_ENTRIES",
        ),
        sized(
            "acl_v6",
            &[
                key("vip_id", 16, Exact),
                key("src_addr", 128, Ternary),
                key("src_port", 16, Range),
            ],
            &["acl_allow", "acl_deny"],
            "acl_miss",
            "DDSR_ACL_ENTRIES",
        ),
        sized(
            "responses_v4",
            RESPONSE_KEYS_V4,
            &["to_egress_v4"],
            "NoAction",
            "DDSR_VIPS",
        ),
        sized(
            "responses_v6",
            RESPONSE_KEYS_V6,
            &["to_egress_v6"],
            "NoAction",
            "DDSR_VIPS",
        ),
    ],
    actions: &[
        ActionSpec {
            name: "NoAction",
            params: &[],
        },
        ActionSpec {
            name: "drop",
            params: &[],
        },
        ActionSpec {
            name: "from_fabric",
            params: &[("host_port", 9)],
        },
        ActionSpec {
            name: "from_host",
            params: &[("fabric_port", 9)],
        },
        ActionSpec {
            name: "to_vip_v4",
            params: &[("vip_id", 16), ("vip_addr", 32), ("vip_port", 16)],
        },
        ActionSpec {
            name: "to_vip_v6",
            params: &[("vip_id", 16), ("vip_addr", 128), ("vip_port", 16)],
        },
        ActionSpec {
            name: "acl_allow",
            params: &[("rule_id", 32)],
        },
        ActionSpec {
            name: "acl_deny",
            params: &[("rule_id", 32)],
        },
        ActionSpec {
            name: "acl_miss",
            params: &[],
        },
        ActionSpec {
            name: "to_egress_v4",
            params: &[("vip_id", 16), ("egress_addr", 32), ("service_port", 16)],
        },
        ActionSpec {
            name: "to_egress_v6",
            params: &[("vip_id", 16), ("egress_addr", 128), ("service_port", 16)],
        },
    ],
};

/// `p4/v1model/egress.p4`.
pub const EGRESS: Program = Program {
    role: Role::Egress,
    tables: &[
        sized(
            "services_v4",
            VIP_KEYS_V4,
            &["to_client_v4"],
            "NoAction",
            "DDSR_VIPS",
        ),
        sized(
            "services_v6",
            VIP_KEYS_V6,
            &["to_client_v6"],
            "NoAction",
            "DDSR_VIPS",
        ),
        ROUTE_TABLES[0],
        ROUTE_TABLES[1],
    ],
    actions: &[
        ActionSpec {
            name: "NoAction",
            params: &[],
        },
        ActionSpec {
            name: "to_client_v4",
            params: &[("vip_id", 16), ("vip_addr", 32), ("vip_port", 16)],
        },
        ActionSpec {
            name: "to_client_v6",
            params: &[("vip_id", 16), ("vip_addr", 128), ("vip_port", 16)],
        },
        ROUTE_ACTIONS[0],
        ROUTE_ACTIONS[1],
    ],
};

impl Program {
    pub fn of(role: Role) -> &'static Program {
        match role {
            Role::Ingress => &INGRESS,
            Role::Server => &SERVER,
            Role::Egress => &EGRESS,
        }
    }

    pub fn table(&self, name: &str) -> Option<&'static TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&'static ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// A pipeline holding only this program's tables and actions, with table sizes from
    /// `size_of` (given the size macro). Each table's keys read fields of a metadata instance
    /// named after the table, which exists only so that keys have a typed expression.
    pub fn pipeline(&self, size_of: impl Fn(&TableSpec) -> u32) -> Pipeline {
        let mut b = Builder::new(self.role.as_str());
        let actions: Vec<_> = self
            .actions
            .iter()
            .map(|a| (a.name, b.action(a.name, a.params, Vec::new())))
            .collect();
        let handle = |name: &str| {
            actions
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, h)| *h)
                .unwrap_or_else(|| panic!("schema action `{name}` is declared"))
        };
        for t in self.tables {
            let fields: Vec<(&str, u16)> = t.keys.iter().map(|k| (k.name, k.width)).collect();
            let ty = b.header_type(&format!("{}_key_t", t.name), &fields);
            b.metadata(&format!("key.{}", t.name), ty);
            let paths: Vec<String> = t
                .keys
                .iter()
                .map(|k| format!("key.{}.{}", t.name, k.name))
                .collect();
            let keys: Vec<(&str, MatchKind)> = paths
                .iter()
                .zip(t.keys)
                .map(|(p, k)| (p.as_str(), k.kind))
                .collect();
            let mut refs: Vec<_> = t.actions.iter().map(|a| handle(a)).collect();
            let default = handle(t.default_action);
            // A default action that entries may not use is `@defaultonly` and `const`; the
            // routes' `default_port` is both an entry action and a changeable default.
            let default_only = !t.actions.contains(&t.default_action);
            if default_only {
                refs.push(default);
            }
            let h = b.table(t.name, &keys, &refs, default, size_of(t));
            let table = b.table_mut(h);
            for (k, spec) in table.keys.iter_mut().zip(t.keys) {
                k.name = spec.name.to_string();
            }
            if default_only && let Some(r) = table.actions.last_mut() {
                r.scope = ddsr_pipeline::table::ActionScope::DefaultOnly;
            }
            table.default_const = default_only;
            table.id = ddsr_proto::ids::hashed_id(ddsr_proto::ids::Prefix::Table, t.name);
        }
        let mut p = b.pipeline().clone();
        for h in p.actions.handles() {
            let a = &mut p.actions[h];
            a.id = ddsr_proto::ids::hashed_id(ddsr_proto::ids::Prefix::Action, &a.name);
        }
        p
    }
}
