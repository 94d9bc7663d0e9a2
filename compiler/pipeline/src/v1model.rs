//! What the v1model architecture fixes: the `standard_metadata_t` fields the switch reads and
//! writes, and the values of `instance_type`.

use crate::types::{Field, HeaderType, Ty};

/// Fields of `standard_metadata_t` with their widths. The switch addresses them by name; a
/// pipeline's standard metadata type must have every field marked required and may omit the
/// others (the switch then neither reads nor writes them).
pub const STANDARD_METADATA: [(&str, u16, bool); 18] = [
    ("ingress_port", 9, true),
    ("egress_spec", 9, true),
    ("egress_port", 9, true),
    ("instance_type", 32, true),
    ("packet_length", 32, true),
    ("enq_timestamp", 32, false),
    ("enq_qdepth", 19, false),
    ("deq_timedelta", 32, false),
    ("deq_qdepth", 19, false),
    ("ingress_global_timestamp", 48, false),
    ("egress_global_timestamp", 48, false),
    ("mcast_grp", 16, false),
    ("egress_rid", 16, false),
    ("checksum_error", 1, false),
    ("parser_error", crate::program::ERROR_WIDTH, false),
    ("priority", 3, false),
    ("recirculate_flag", 32, false),
    ("clone_spec", 32, false),
];

/// The `standard_metadata_t` type with every field of [`STANDARD_METADATA`].
pub fn standard_metadata_type() -> HeaderType {
    HeaderType {
        name: "standard_metadata_t".into(),
        fields: STANDARD_METADATA
            .iter()
            .map(|(n, w, _)| Field {
                name: (*n).into(),
                ty: Ty::Bit(*w),
            })
            .collect(),
    }
}

/// The port that drops a packet when written to `egress_spec` (BMv2's default drop port).
pub const DROP_PORT: u16 = 511;

/// `standard_metadata.instance_type` values as BMv2 sets them.
pub mod instance_type {
    pub const NORMAL: u32 = 0;
    pub const INGRESS_CLONE: u32 = 1;
    pub const EGRESS_CLONE: u32 = 2;
    pub const COALESCED: u32 = 3;
    pub const RECIRC: u32 = 4;
    pub const REPLICATION: u32 = 5;
    pub const RESUBMIT: u32 = 6;
}
