//! P4Runtime v1 protobuf messages and gRPC service, with protobuf text format.
//!
//! The `.proto` files under `proto/` were written for ddsr from the P4Runtime
//! v1 specification, with the specification's package names and field numbers
//! (release 1.5.0), so messages built here are wire- and text-compatible with
//! every P4Runtime client and server. `build.rs` compiles them with protox (no
//! system `protoc`) and generates:
//!
//! - prost messages in [`p4::config::v1`] (P4Info), [`p4::v1`] (the runtime API)
//!   and [`google::rpc`] (`Status`, `Code`);
//! - the tonic service: [`P4RuntimeServer`] with its [`P4Runtime`] trait for
//!   servers, and [`P4RuntimeClient`] for clients.
//!
//! The compiled descriptors are embedded ([`FILE_DESCRIPTOR_SET`],
//! [`descriptor_pool`]); [`text`] uses them to print and parse any message in
//! the protobuf text format (`.txtpb`, what p4c and p4runtime-shell read) and
//! in the canonical protobuf JSON mapping. [`ids`] computes P4Info ids the way
//! p4c does; [`bytestring`] checks and canonicalises the big-endian byte
//! strings P4Runtime uses for `bit<W>` values.
//!
//! Invariant: every generated message type has its descriptor in the embedded
//! pool under its full name (`prost::Name::full_name`), which is what lets
//! [`text`] handle any of them.

pub mod bytestring;
pub mod ids;
pub mod text;

use std::sync::LazyLock;

use prost_reflect::DescriptorPool;

/// Messages generated from the `.proto` files, in their protobuf packages.
pub mod p4 {
    /// `p4.config.v1`: P4Info and the P4 type descriptions.
    pub mod config {
        #[allow(clippy::all, rust_2018_idioms)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/p4.config.v1.rs"));
        }
    }
    /// `p4.v1`: the P4Runtime service, entities and stream messages.
    #[allow(clippy::all, rust_2018_idioms)]
    pub mod v1 {
        include!(concat!(env!("OUT_DIR"), "/p4.v1.rs"));
    }
}

/// `google.rpc`: the gRPC error model used inside P4Runtime messages.
pub mod google {
    #[allow(clippy::all, rust_2018_idioms)]
    pub mod rpc {
        include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    }
}

pub use p4::v1::p4_runtime_client::P4RuntimeClient;
pub use p4::v1::p4_runtime_server::{P4Runtime, P4RuntimeServer};

/// The encoded `FileDescriptorSet` of every `.proto` file of the crate and its
/// imports (including `google/protobuf/any.proto`).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/p4runtime_descriptor.bin"));

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    // The bytes were produced by protox from the same files in build.rs, so
    // they only fail to decode if the build itself is broken; the unit test
    // `pool_holds_every_message` exercises this on every test run.
    DescriptorPool::decode(FILE_DESCRIPTOR_SET)
        .expect("descriptor set embedded by build.rs is valid")
});

/// Reflection over all messages of the crate, decoded once.
pub fn descriptor_pool() -> &'static DescriptorPool {
    &POOL
}

/// A P4Runtime `Uint128` (election ids) from a native integer.
pub fn uint128(value: u128) -> p4::v1::Uint128 {
    p4::v1::Uint128 {
        high: (value >> 64) as u64,
        low: value as u64,
    }
}

impl From<p4::v1::Uint128> for u128 {
    fn from(value: p4::v1::Uint128) -> u128 {
        (u128::from(value.high) << 64) | u128::from(value.low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_holds_every_message() {
        let pool = descriptor_pool();
        for name in [
            "p4.config.v1.P4Info",
            "p4.config.v1.P4TypeInfo",
            "p4.v1.WriteRequest",
            "p4.v1.StreamMessageResponse",
            "p4.v1.P4Data",
            "google.rpc.Status",
            "google.protobuf.Any",
        ] {
            assert!(pool.get_message_by_name(name).is_some(), "{name} missing");
        }
        assert!(pool.get_enum_by_name("google.rpc.Code").is_some());
        let service = pool.get_service_by_name("p4.v1.P4Runtime").unwrap();
        let methods: Vec<_> = service.methods().map(|m| m.name().to_owned()).collect();
        assert_eq!(
            methods,
            [
                "Write",
                "Read",
                "SetForwardingPipelineConfig",
                "GetForwardingPipelineConfig",
                "StreamChannel",
                "Capabilities"
            ]
        );
    }

    #[test]
    fn uint128_splits_high_and_low_words() {
        let v = uint128((7u128 << 64) | 9);
        assert_eq!((v.high, v.low), (7, 9));
        assert_eq!(u128::from(v), (7u128 << 64) | 9);
    }

    #[test]
    fn any_type_url_uses_the_usual_domain() {
        let any = prost_types::Any::from_msg(&p4::v1::Error::default()).unwrap();
        assert_eq!(any.type_url, "type.googleapis.com/p4.v1.Error");
    }
}
