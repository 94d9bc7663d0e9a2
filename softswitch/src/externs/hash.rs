//! v1model's hash algorithms, computed as BMv2 computes them, over a byte string.

use ddsr_pipeline::externs::HashAlgorithm;

const fn crc32_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const fn crc16_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u16;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xa001 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32: [u32; 256] = crc32_table();
static CRC16: [u16; 256] = crc16_table();

/// CRC-32/ISO-HDLC (the Ethernet CRC): reflected polynomial 0x04c11db7, init and xorout all ones.
pub fn crc32(data: &[u8]) -> u32 {
    !data
        .iter()
        .fold(!0u32, |c, b| CRC32[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

/// CRC-16/ARC: reflected polynomial 0x8005, init 0, no xorout.
pub fn crc16(data: &[u8]) -> u16 {
    data.iter()
        .fold(0u16, |c, b| CRC16[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

/// The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit
/// big-endian words, an odd final byte padded with zero.
pub fn csum16(data: &[u8]) -> u16 {
    !fold16(sum16(0, data))
}

/// Adds `data`'s 16-bit words to a running 32-bit-folded sum.
pub fn sum16(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

/// Folds carries of a ones' complement sum into 16 bits.
pub fn fold16(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Xor of the 16-bit big-endian words.
pub fn xor16(data: &[u8]) -> u16 {
    data.chunks(2).fold(0u16, |x, c| {
        x ^ u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])
    })
}

/// The data's last 16 bytes as an integer (identity keeps the low bits).
pub fn identity(data: &[u8]) -> u128 {
    data.iter().fold(0u128, |a, b| (a << 8) | u128::from(*b))
}

/// Computes `algorithm` over `data`; `random` takes the next value of `rng`.
pub fn compute(algorithm: HashAlgorithm, data: &[u8], rng: &mut Rng) -> u128 {
    match algorithm {
        HashAlgorithm::Crc32 | HashAlgorithm::Crc32Custom => u128::from(crc32(data)),
        HashAlgorithm::Crc16 | HashAlgorithm::Crc16Custom => u128::from(crc16(data)),
        HashAlgorithm::Csum16 => u128::from(csum16(data)),
        HashAlgorithm::Xor16 => u128::from(xor16(data)),
        HashAlgorithm::Identity => identity(data),
        HashAlgorithm::Random => u128::from(rng.next_u64()),
    }
}

/// A small deterministic generator (xorshift64*) for `random` and the random hash: tests seed
/// it, so runs are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_of_the_catalogued_crcs() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc16(b"123456789"), 0xbb3d);
    }

    #[test]
    fn internet_checksum_of_an_ipv4_header() {
        let hdr = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(csum16(&hdr), 0xb861);
        assert_eq!(csum16(&[0x01]), !0x0100);
        assert_eq!(
            xor16(&[0x12, 0x34, 0x56, 0x78, 0x9a]),
            0x1234 ^ 0x5678 ^ 0x9a00
        );
    }
}
