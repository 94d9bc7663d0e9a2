//! Extern instances (stateful objects the control plane can name) and the algorithms the
//! stateless v1model externs use.

use serde::{Deserialize, Serialize};

use crate::types::{FieldRef, Ty};

/// A named extern instance, e.g. `MyIngress.port_counter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extern {
    /// Control-plane name as p4c gives it (`Control.instance`).
    pub name: String,
    /// P4Info id when known, 0 otherwise.
    #[serde(default)]
    pub id: u32,
    pub kind: ExternKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExternKind {
    /// `counter(size, type)`: indexed by `count(index)`.
    Counter { size: u32, unit: CounterUnit },
    /// `direct_counter(type)`: one cell per entry of the table that names it.
    DirectCounter { unit: CounterUnit },
    /// `meter(size, type)`: trTCM (RFC 2698) cells returning a colour.
    Meter { size: u32, unit: MeterUnit },
    /// `direct_meter<T>(type)`: one meter per entry of the table that names it.
    DirectMeter { unit: MeterUnit },
    /// `register<T>(size)`: cells of `width` bits.
    Register { size: u32, width: u16 },
    /// `action_profile(size)`: members shared by the tables that name it.
    ActionProfile { size: u32 },
    /// `action_selector(algorithm, size, output_width)`: members and weighted groups; a group
    /// member is chosen by hashing the table's selector keys.
    ActionSelector {
        size: u32,
        algorithm: HashAlgorithm,
        output_width: u16,
    },
    /// `digest<T>(receiver, data)`: the type of the learned data, field by field.
    Digest { fields: Vec<DigestField> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DigestField {
    pub name: String,
    pub ty: Ty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterUnit {
    Packets,
    Bytes,
    PacketsAndBytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeterUnit {
    Packets,
    Bytes,
}

/// v1model's `HashAlgorithm`, computed as BMv2 computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgorithm {
    /// CRC-32 (IEEE, reflected, init and final xor 0xffffffff).
    Crc32,
    /// CRC-32 without reflection, init 0xffffffff, final xor 0xffffffff.
    Crc32Custom,
    /// CRC-16/ARC (poly 0x8005, reflected, init 0).
    Crc16,
    /// CRC-16 custom: as `crc16`.
    Crc16Custom,
    /// A pseudo-random value (not a function of the data).
    Random,
    /// The data itself, truncated.
    Identity,
    /// The ones'-complement 16-bit Internet checksum (RFC 1071).
    Csum16,
    /// Xor of the data's 16-bit words.
    Xor16,
}

/// `clone`'s and `clone_preserving_field_list`'s first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloneKind {
    #[serde(rename = "i2e")]
    I2E,
    #[serde(rename = "e2e")]
    E2E,
}

/// The metadata fields tagged `@field_list(id)`, preserved across resubmit, recirculate and clone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldList {
    pub id: u8,
    pub fields: Vec<FieldRef>,
}
