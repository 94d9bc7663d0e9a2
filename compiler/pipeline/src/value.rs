//! Bit-vector values and their JSON spelling.
//!
//! Constants in the IR are at most [`MAX_WIDTH`] bits wide and held as `u128` (two's complement
//! for `int<N>`, always reduced to N bits). Table-entry values are big-endian byte strings of
//! exactly `ceil(width / 8)` bytes whose unused high bits are zero, which is what P4Runtime calls
//! the canonical form. In JSON both are hex strings (`"0x0a000001"`, `"0a000001"`), because JSON
//! numbers lose precision above 2^53 in many readers.

use serde::{Deserialize, Deserializer, Serializer};

/// Widest `bit<N>`/`int<N>` the IR and the softswitch support.
pub const MAX_WIDTH: u16 = 128;

/// Widest `varbit<N>` the IR and the softswitch support (IPv4 options need 320, TCP options 320).
pub const MAX_VARBIT_WIDTH: u16 = 2048;

/// All-ones mask of `width` bits (`width` <= 128).
pub const fn mask(width: u16) -> u128 {
    if width >= 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}

/// Number of bytes that hold `width` bits.
pub const fn byte_len(width: u16) -> usize {
    (width as usize).div_ceil(8)
}

/// Sign-extends the low `width` bits of `v` to an `i128`.
pub const fn sign_extend(v: u128, width: u16) -> i128 {
    if width == 0 {
        return 0;
    }
    if width >= 128 {
        return v as i128;
    }
    let shift = 128 - width as u32;
    ((v << shift) as i128) >> shift
}

/// Big-endian bytes of the low `width` bits of `v`, in canonical length.
pub fn to_bytes(v: u128, width: u16) -> Vec<u8> {
    let n = byte_len(width);
    let be = (v & mask(width)).to_be_bytes();
    be[16 - n.min(16)..].to_vec()
}

/// The value of big-endian `bytes` (at most 16 of them carry; leading bytes beyond 16 are ignored
/// only when zero, which validation of entries guarantees).
pub fn from_bytes(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

/// Whether `bytes` is the canonical encoding of a `width`-bit value.
pub fn is_canonical(bytes: &[u8], width: u16) -> bool {
    if bytes.len() != byte_len(width) {
        return false;
    }
    let spare = (bytes.len() * 8) as u32 - u32::from(width);
    spare == 0
        || bytes
            .first()
            .is_none_or(|b| u32::from(*b) >> (8 - spare) == 0)
}

/// Serde adapter: `u128` as a `"0x..."` hex string (a plain JSON integer is accepted too).
pub mod hex_u128 {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Int(u64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Int(v) => Ok(u128::from(v)),
            Repr::Text(t) => parse_u128(&t).map_err(serde::de::Error::custom),
        }
    }
}

/// Parses `0x`-hex, `0b`-binary or decimal text into a `u128`.
pub fn parse_u128(text: &str) -> Result<u128, String> {
    let t = text.trim().replace('_', "");
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        (b, 2)
    } else {
        (t.as_str(), 10)
    };
    u128::from_str_radix(digits, radix)
        .map_err(|e| format!("expected an integer of at most 128 bits, found `{text}` ({e})"))
}

/// Serde adapter: byte strings as lower-case hex without prefix.
pub mod hex_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = String::deserialize(d)?;
        decode(&t).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for `Option<Vec<u8>>` as hex or null.
pub mod hex_bytes_opt {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(t) => decode(&t).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

/// Serde adapter for `Vec<Vec<u8>>` as a list of hex strings.
pub mod hex_bytes_vec {
    use super::*;
    use serde::ser::SerializeSeq;

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(&encode(b))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|t| decode(t).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes of an even-length hex string (an optional `0x` prefix is accepted).
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let t = text.strip_prefix("0x").unwrap_or(text);
    if !t.len().is_multiple_of(2) {
        return Err(format!(
            "expected an even number of hex digits, found `{text}`"
        ));
    }
    (0..t.len())
        .step_by(2)
        .map(|i| {
            t.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("expected hex digits, found `{text}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_sign_extension() {
        assert_eq!(mask(0), 0);
        assert_eq!(mask(9), 0x1ff);
        assert_eq!(mask(128), u128::MAX);
        assert_eq!(sign_extend(0xff, 8), -1);
        assert_eq!(sign_extend(0x7f, 8), 127);
        assert_eq!(sign_extend(0x100, 9), -256);
    }

    #[test]
    fn bytes_round_trip_in_canonical_length() {
        assert_eq!(to_bytes(0x1ff, 9), vec![0x01, 0xff]);
        assert_eq!(to_bytes(0x0a000001, 32), vec![10, 0, 0, 1]);
        assert_eq!(from_bytes(&[1, 0xff]), 0x1ff);
        assert!(is_canonical(&[0x01, 0xff], 9));
        assert!(!is_canonical(&[0x02, 0xff], 9));
        assert!(!is_canonical(&[0xff], 9));
        assert_eq!(decode("0a0b").unwrap(), vec![10, 11]);
        assert!(decode("0a0").is_err());
        assert!(decode("zz").is_err());
        assert_eq!(parse_u128("0x10").unwrap(), 16);
        assert_eq!(parse_u128("0b101").unwrap(), 5);
        assert!(parse_u128("x").is_err());
    }
}
