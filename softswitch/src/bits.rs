//! Bit-field access over byte buffers: the (bit offset, width) accessor that P4 `bit<N>` fields
//! need, MSB first as on the wire. Bytes outside the buffer read as zero and are never written,
//! so a caller that forgot a bounds check gets wrong bits, never a panic.

fn mask(bits: usize) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Reads `width` (<= 128) bits starting at bit `off`.
pub fn read(buf: &[u8], off: usize, width: u16) -> u128 {
    let w = usize::from(width);
    if w == 0 {
        return 0;
    }
    let first = off / 8;
    let skip = off % 8;
    if skip + w <= 128
        && let Some(win) = buf.get(first..first + 16)
    {
        // Fast path: one 16-byte big-endian load covers the field.
        let v = u128::from_be_bytes(win.try_into().expect("16 bytes"));
        return (v << skip) >> (128 - w);
    }
    let nbytes = (skip + w).div_ceil(8);
    if nbytes <= 16 {
        let mut v = 0u128;
        for i in 0..nbytes {
            v = (v << 8) | u128::from(buf.get(first + i).copied().unwrap_or(0));
        }
        let tail = nbytes * 8 - skip - w;
        return (v >> tail) & mask(w);
    }
    let mut v = 0u128;
    for i in 0..w {
        let bit = off + i;
        let byte = buf.get(bit / 8).copied().unwrap_or(0);
        v = (v << 1) | u128::from((byte >> (7 - bit % 8)) & 1);
    }
    v
}

/// Writes the low `width` (<= 128) bits of `v` at bit `off`, keeping the neighbouring bits.
pub fn write(buf: &mut [u8], off: usize, width: u16, v: u128) {
    let w = usize::from(width);
    if w == 0 {
        return;
    }
    let v = v & mask(w);
    let first = off / 8;
    let skip = off % 8;
    if skip == 0 && w % 8 == 0 {
        let n = w / 8;
        let be = v.to_be_bytes();
        if let Some(dst) = buf.get_mut(first..first + n) {
            dst.copy_from_slice(&be[16 - n..]);
        }
        return;
    }
    if skip + w <= 128
        && let Some(win) = buf.get_mut(first..first + 16)
    {
        // Fast path: read-modify-write one 16-byte big-endian window.
        let cur = u128::from_be_bytes((&*win).try_into().expect("16 bytes"));
        let tail = 128 - skip - w;
        let m = mask(w) << tail;
        win.copy_from_slice(&((cur & !m) | (v << tail)).to_be_bytes());
        return;
    }
    let nbytes = (skip + w).div_ceil(8);
    if nbytes <= 16 {
        let mut cur = 0u128;
        for i in 0..nbytes {
            cur = (cur << 8) | u128::from(buf.get(first + i).copied().unwrap_or(0));
        }
        let tail = nbytes * 8 - skip - w;
        let m = mask(w) << tail;
        cur = (cur & !m) | (v << tail);
        for i in (0..nbytes).rev() {
            if let Some(b) = buf.get_mut(first + i) {
                *b = cur as u8;
            }
            cur >>= 8;
        }
        return;
    }
    for i in 0..w {
        let bit = off + i;
        let set = (v >> (w - 1 - i)) & 1 == 1;
        if let Some(b) = buf.get_mut(bit / 8) {
            let m = 1u8 << (7 - bit % 8);
            if set {
                *b |= m;
            } else {
                *b &= !m;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_unaligned_fields() {
        let buf = [0x45, 0x00, 0x00, 0x54, 0xab, 0xcd];
        assert_eq!(read(&buf, 0, 4), 4);
        assert_eq!(read(&buf, 4, 4), 5);
        assert_eq!(read(&buf, 16, 16), 0x54);
        assert_eq!(read(&buf, 36, 8), 0xbc);
        assert_eq!(read(&buf, 44, 8), 0xd0, "bits past the end read as zero");
        let mut out = [0u8; 6];
        write(&mut out, 0, 4, 4);
        write(&mut out, 4, 4, 5);
        write(&mut out, 16, 16, 0x54);
        write(&mut out, 36, 8, 0xbc);
        assert_eq!(out, [0x45, 0, 0, 0x54, 0x0b, 0xc0]);
        write(&mut out, 44, 8, 0xff);
        assert_eq!(out[5], 0xcf, "writes past the end are dropped");
    }

    #[test]
    fn wide_unaligned_fields_use_the_bit_loop() {
        let mut buf = [0u8; 20];
        let v = 0x0123_4567_89ab_cdef_0011_2233_4455_6677u128;
        write(&mut buf, 3, 128, v);
        assert_eq!(read(&buf, 3, 128), v);
        write(&mut buf, 5, 121, 1);
        assert_eq!(read(&buf, 5, 121), 1);
        assert_eq!(read(&buf, 3, 2), (v >> 126) & 3);
    }
}
