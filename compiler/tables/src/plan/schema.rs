//! What the plan needs of each role program in `p4/`: its tables (keys with widths and match
//! kinds, actions, size macro) and actions (parameters with widths), by the names the programs
//! give them with `@name`. There is one program per role and architecture: v1model
//! (`p4/v1model/`, softswitch and BMv2 hosts) and TNA (`p4/tna/`, Tofino hosts); they share
//! every name and width, and differ only where Tofino's TCAM needs it (the server's ACL matches
//! the client port as ternary instead of range).
//!
//! Entries are resolved against the P4 front end's lowering of the real program
//! ([`crate::program`]), never against this table; it exists so the plan can name tables and
//! actions statically and the capacity check knows each table's size macro. A test compares it
//! with the lowered programs, so a renamed table or a changed width in `p4/` fails the tests
//! rather than the compile.

use ddsr_pipeline::MatchKind;
use ddsr_policy::ir::{Role, Target};

/// The P4 architecture a role program is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `p4/v1model/`: the softswitch and BMv2.
    V1model,
    /// `p4/tna/`: Tofino.
    Tna,
}

impl Arch {
    pub fn of(target: Target) -> Arch {
        match target {
            Target::Softswitch | Target::Bmv2 => Arch::V1model,
            Target::Tofino => Arch::Tna,
        }
    }

    /// The folder of `p4/` holding the role programs.
    pub fn dir(self) -> &'static str {
        match self {
            Arch::V1model => "v1model",
            Arch::Tna => "tna",
        }
    }
}

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
    pub arch: Arch,
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
    arch: Arch::V1model,
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

const fn acl_keys(addr: u16, port: MatchKind) -> [KeySpec; 3] {
    [
        key("vip_id", 16, Exact),
        key("src_addr", addr, Ternary),
        key("src_port", 16, port),
    ]
}

const ACL_KEYS_V4: [KeySpec; 3] = acl_keys(32, Range);
const ACL_KEYS_V6: [KeySpec; 3] = acl_keys(128, Range);
const ACL_KEYS_V4_TERNARY: [KeySpec; 3] = acl_keys(32, Ternary);
const ACL_KEYS_V6_TERNARY: [KeySpec; 3] = acl_keys(128, Ternary);

/// The server's client ACL: (vip_id, client address, client port).
const fn acl_table(name: &'static str, keys: &'static [KeySpec]) -> TableSpec {
    sized(
        name,
        keys,
        &["acl_allow", "acl_deny"],
        "acl_miss",
        "DDSR_ACL_ENTRIES",
    )
}

/// The server program's tables with the given ACL tables.
const fn server_tables(acl_v4: TableSpec, acl_v6: TableSpec) -> [TableSpec; 7] {
    [
        TableSpec {
            name: "port_roles",
            keys: PORT_ROLE_KEYS,
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
        acl_v4,
        acl_v6,
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
    ]
}

const PORT_ROLE_KEYS: &[KeySpec] = &[key("ingress_port", 9, Exact)];

const SERVER_TABLES: [TableSpec; 7] = server_tables(
    acl_table("acl_v4", &ACL_KEYS_V4),
    acl_table("acl_v6", &ACL_KEYS_V6),
);

/// Tofino's TCAM has no range match: the ACL takes the client port as ternary.
const SERVER_TABLES_TNA: [TableSpec; 7] = server_tables(
    acl_table("acl_v4", &ACL_KEYS_V4_TERNARY),
    acl_table("acl_v6", &ACL_KEYS_V6_TERNARY),
);

/// `p4/v1model/server.p4`.
pub const SERVER: Program = Program {
    role: Role::Server,
    arch: Arch::V1model,
    tables: &SERVER_TABLES,
    actions: SERVER_ACTIONS,
};

/// `p4/tna/server.p4`.
pub const SERVER_TNA: Program = Program {
    role: Role::Server,
    arch: Arch::Tna,
    tables: &SERVER_TABLES_TNA,
    actions: SERVER_ACTIONS,
};

/// `p4/tna/ingress.p4`.
pub const INGRESS_TNA: Program = Program {
    arch: Arch::Tna,
    ..INGRESS
};

/// `p4/tna/egress.p4`.
pub const EGRESS_TNA: Program = Program {
    arch: Arch::Tna,
    ..EGRESS
};

const SERVER_ACTIONS: &[ActionSpec] = &[
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
];

/// `p4/v1model/egress.p4`.
pub const EGRESS: Program = Program {
    role: Role::Egress,
    arch: Arch::V1model,
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
    /// The role program a host of `target` runs.
    pub fn of(role: Role, target: Target) -> &'static Program {
        match (role, Arch::of(target)) {
            (Role::Ingress, Arch::V1model) => &INGRESS,
            (Role::Server, Arch::V1model) => &SERVER,
            (Role::Egress, Arch::V1model) => &EGRESS,
            (Role::Ingress, Arch::Tna) => &INGRESS_TNA,
            (Role::Server, Arch::Tna) => &SERVER_TNA,
            (Role::Egress, Arch::Tna) => &EGRESS_TNA,
        }
    }

    pub fn table(&self, name: &str) -> Option<&'static TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&'static ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }
}
