//! P4Runtime binary strings: how `bit<W>` values travel in `bytes` fields
//! (match values, action parameters, packet metadata, register cells).
//!
//! Values are big-endian. The canonical form, which servers return on read
//! and clients should send, is the shortest string holding the value: no
//! leading zero bytes, but at least one byte (zero is `[0x00]`). A string may
//! be longer than canonical only by leading zero bytes, and its value must fit
//! in the declared width.

/// Why a byte string is not a valid `bit<W>` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ByteStringError {
    #[error("empty byte string; zero is written as one 0x00 byte")]
    Empty,
    #[error("value needs {needed} bits, more than the field's {width}")]
    TooWide { needed: u32, width: u32 },
}

/// The canonical form of a big-endian value: leading zero bytes removed,
/// keeping one byte for zero.
pub fn canonical(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    if first == bytes.len() {
        &bytes[bytes.len().saturating_sub(1)..]
    } else {
        &bytes[first..]
    }
}

/// Number of significant bits of a big-endian value.
pub fn significant_bits(bytes: &[u8]) -> u32 {
    let value = canonical(bytes);
    match value.first() {
        Some(&top) if top != 0 => (value.len() as u32 - 1) * 8 + (8 - top.leading_zeros()),
        _ => 0,
    }
}

/// Checks that `bytes` is a valid value for a `bit<width>` field and returns
/// its canonical form.
pub fn check(bytes: &[u8], width: u32) -> Result<&[u8], ByteStringError> {
    if bytes.is_empty() {
        return Err(ByteStringError::Empty);
    }
    let needed = significant_bits(bytes);
    if needed > width {
        return Err(ByteStringError::TooWide { needed, width });
    }
    Ok(canonical(bytes))
}

/// The canonical byte string of an integer.
pub fn from_u128(value: u128) -> Vec<u8> {
    canonical(&value.to_be_bytes()).to_vec()
}

/// The value padded with leading zeros to exactly `ceil(width / 8)` bytes,
/// the fixed-width layout data planes work with.
pub fn padded(bytes: &[u8], width: u32) -> Result<Vec<u8>, ByteStringError> {
    let value = check(bytes, width)?;
    let len = width.div_ceil(8) as usize;
    let mut out = vec![0; len.saturating_sub(value.len())];
    // A zero value is one 0x00 byte, which a zero-width field cannot hold;
    // skip it so that `bit<0>` gives an empty string.
    let value = if len < value.len() {
        &value[value.len() - len..]
    } else {
        value
    };
    out.extend_from_slice(value);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_strips_leading_zeros_but_keeps_one_byte() {
        assert_eq!(canonical(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(canonical(&[0, 0, 0]), &[0]);
        assert_eq!(canonical(&[0x80]), &[0x80]);
        assert_eq!(canonical(&[]), &[] as &[u8]);
    }

    #[test]
    fn width_checks_count_significant_bits() {
        assert_eq!(significant_bits(&[0x01, 0xff]), 9);
        assert_eq!(significant_bits(&[0, 0]), 0);
        assert_eq!(check(&[0x01, 0xff], 9), Ok(&[0x01, 0xff][..]));
        assert_eq!(
            check(&[0x02, 0x00], 9),
            Err(ByteStringError::TooWide {
                needed: 10,
                width: 9
            })
        );
        assert_eq!(check(&[0, 0, 0, 5], 3), Ok(&[5][..]));
        assert_eq!(check(&[], 8), Err(ByteStringError::Empty));
    }

    #[test]
    fn integers_and_padding() {
        assert_eq!(from_u128(0), vec![0]);
        assert_eq!(from_u128(443), vec![0x01, 0xbb]);
        assert_eq!(padded(&[0x01, 0xbb], 32).unwrap(), vec![0, 0, 0x01, 0xbb]);
        assert_eq!(padded(&[0, 0, 0, 7], 9).unwrap(), vec![0, 7]);
        assert_eq!(padded(&[0], 0).unwrap(), Vec::<u8>::new());
        assert!(padded(&[1], 0).is_err());
    }
}
