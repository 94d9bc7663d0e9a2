//! Packet-out and packet-in: the `@controller_header("packet_out")` / `("packet_in")`
//! headers the P4Info describes, packed in front of the payload MSB first, as the program's
//! parser and deparser see them on the CPU port.

use ddsr_proto::bytestring;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;

use crate::error::Error;

fn header<'a>(info: &'a p4i::P4Info, name: &str) -> Option<&'a p4i::ControllerPacketMetadata> {
    info.controller_packet_metadata
        .iter()
        .find(|c| c.preamble.as_ref().is_some_and(|p| p.name == name))
}

fn width(m: &p4i::controller_packet_metadata::Metadata) -> Result<u32, Error> {
    match u32::try_from(m.bitwidth) {
        Ok(w @ 1..=128) => Ok(w),
        _ => Err(Error::Unimplemented(format!(
            "controller metadata `{}` of {} bits is not supported (1..=128)",
            m.name, m.bitwidth
        ))),
    }
}

/// The bytes entering the CPU port for a packet-out: packed `packet_out` header, then payload.
/// Programs without a `packet_out` header get the payload unchanged.
pub fn encode_out(info: &p4i::P4Info, p: &v1::PacketOut) -> Result<Vec<u8>, Error> {
    let Some(h) = header(info, "packet_out") else {
        if let Some(m) = p.metadata.first() {
            return Err(Error::InvalidArgument(format!(
                "the program has no packet_out header, found metadata id {}",
                m.metadata_id
            )));
        }
        return Ok(p.payload.clone());
    };
    let mut bits = Bits::default();
    for field in &h.metadata {
        let w = width(field)?;
        let given = p
            .metadata
            .iter()
            .find(|m| m.metadata_id == field.id)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("packet-out metadata `{}` is missing", field.name))
            })?;
        let v = bytestring::check(&given.value, w).map_err(|e| {
            Error::InvalidArgument(format!("packet-out metadata `{}`: {e}", field.name))
        })?;
        bits.push(v.iter().fold(0u128, |a, b| (a << 8) | u128::from(*b)), w);
    }
    if let Some(m) = p
        .metadata
        .iter()
        .find(|m| !h.metadata.iter().any(|f| f.id == m.metadata_id))
    {
        return Err(Error::InvalidArgument(format!(
            "packet_out has no metadata with id {}",
            m.metadata_id
        )));
    }
    if !bits.len.is_multiple_of(8) {
        return Err(Error::InvalidArgument(format!(
            "packet_out is {} bits, not a whole number of bytes",
            bits.len
        )));
    }
    let mut out = bits.bytes;
    out.extend_from_slice(&p.payload);
    Ok(out)
}

/// The packet-in message for bytes leaving through the CPU port, or `None` when the packet is
/// shorter than the `packet_in` header.
pub fn decode_in(info: &p4i::P4Info, data: &[u8]) -> Option<v1::PacketIn> {
    let Some(h) = header(info, "packet_in") else {
        return Some(v1::PacketIn {
            payload: data.to_vec(),
            metadata: Vec::new(),
        });
    };
    let mut at = 0u32;
    let mut metadata = Vec::with_capacity(h.metadata.len());
    for field in &h.metadata {
        let w = width(field).ok()?;
        let v = read_bits(data, at, w)?;
        at += w;
        metadata.push(v1::PacketMetadata {
            metadata_id: field.id,
            value: bytestring::from_u128(v),
        });
    }
    let skip = at.div_ceil(8) as usize;
    Some(v1::PacketIn {
        payload: data.get(skip..)?.to_vec(),
        metadata,
    })
}

#[derive(Default)]
struct Bits {
    bytes: Vec<u8>,
    len: u32,
}

impl Bits {
    fn push(&mut self, v: u128, width: u32) {
        for i in (0..width).rev() {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if (v >> i) & 1 == 1 {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
}

fn read_bits(data: &[u8], at: u32, width: u32) -> Option<u128> {
    let mut v = 0u128;
    for bit in at..at + width {
        let byte = *data.get((bit / 8) as usize)?;
        v = (v << 1) | u128::from((byte >> (7 - bit % 8)) & 1);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> p4i::P4Info {
        let field = |id, name: &str, bitwidth| p4i::controller_packet_metadata::Metadata {
            id,
            name: name.into(),
            bitwidth,
            ..Default::default()
        };
        let header = |name: &str, metadata| p4i::ControllerPacketMetadata {
            preamble: Some(p4i::Preamble {
                name: name.into(),
                ..Default::default()
            }),
            metadata,
        };
        p4i::P4Info {
            controller_packet_metadata: vec![
                header(
                    "packet_out",
                    vec![field(1, "egress_port", 9), field(2, "_pad", 7)],
                ),
                header(
                    "packet_in",
                    vec![
                        field(1, "ingress_port", 9),
                        field(2, "_pad", 7),
                        field(3, "reason", 16),
                    ],
                ),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn packet_out_header_is_packed_msb_first() {
        let out = v1::PacketOut {
            payload: vec![0xaa, 0xbb],
            metadata: vec![
                v1::PacketMetadata {
                    metadata_id: 1,
                    value: vec![0x01, 0x03],
                },
                v1::PacketMetadata {
                    metadata_id: 2,
                    value: vec![0],
                },
            ],
        };
        // 9-bit port 0x103 = 1_0000_0011 then 7 zero bits.
        assert_eq!(encode_out(&info(), &out).unwrap(), [0x81, 0x80, 0xaa, 0xbb]);
    }

    #[test]
    fn packet_out_errors_name_the_field() {
        let mut out = v1::PacketOut {
            payload: vec![],
            metadata: vec![v1::PacketMetadata {
                metadata_id: 1,
                value: vec![0x02, 0x00],
            }],
        };
        assert_eq!(
            encode_out(&info(), &out).unwrap_err(),
            Error::InvalidArgument(
                "packet-out metadata `egress_port`: value needs 10 bits, more than the field's 9"
                    .into()
            )
        );
        out.metadata[0].value = vec![1];
        assert_eq!(
            encode_out(&info(), &out).unwrap_err(),
            Error::InvalidArgument("packet-out metadata `_pad` is missing".into())
        );
    }

    #[test]
    fn packet_in_header_is_unpacked_to_canonical_values() {
        let p = decode_in(&info(), &[0x81, 0x80, 0x00, 0x07, 0xee]).unwrap();
        assert_eq!(p.payload, [0xee]);
        let values: Vec<(u32, Vec<u8>)> = p
            .metadata
            .iter()
            .map(|m| (m.metadata_id, m.value.clone()))
            .collect();
        assert_eq!(values, [(1, vec![1, 3]), (2, vec![0]), (3, vec![7])]);
        assert!(decode_in(&info(), &[0x81, 0x80, 0x00]).is_none());
    }
}
