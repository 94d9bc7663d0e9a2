//! Packet construction and checking for the tests, independent of the switch's own code: the
//! checksum here is a separate RFC 1071 implementation.
#![allow(dead_code)]

pub const MAC_A: [u8; 6] = [0x00, 0x00, 0x00, 0x00, 0x00, 0x0a];
pub const MAC_B: [u8; 6] = [0x00, 0x00, 0x00, 0x00, 0x00, 0x0b];

/// RFC 1071 checksum, written independently of the switch.
pub fn inet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        sum += (u32::from(data[i]) << 8) | u32::from(data[i + 1]);
        i += 2;
    }
    if i < data.len() {
        sum += u32::from(data[i]) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub struct Flow {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub ttl: u8,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            src: [192, 168, 1, 10],
            dst: [10, 0, 0, 1],
            sport: 40000,
            dport: 80,
            proto: 6,
            ttl: 64,
        }
    }
}

/// Ethernet + IPv4 + TCP/UDP with valid checksums and `payload`.
pub fn packet(f: &Flow, payload: &[u8]) -> Vec<u8> {
    let l4_len = if f.proto == 6 { 20 } else { 8 } + payload.len();
    let total = 20 + l4_len;
    let mut p = Vec::new();
    p.extend_from_slice(&MAC_B);
    p.extend_from_slice(&MAC_A);
    p.extend_from_slice(&[0x08, 0x00]);
    let ip_start = p.len();
    p.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0x12,
        0x34,
        0x40,
        0,
        f.ttl,
        f.proto,
        0,
        0,
    ]);
    p.extend_from_slice(&f.src);
    p.extend_from_slice(&f.dst);
    let c = inet_checksum(&p[ip_start..ip_start + 20]);
    p[ip_start + 10..ip_start + 12].copy_from_slice(&c.to_be_bytes());
    let l4 = p.len();
    p.extend_from_slice(&f.sport.to_be_bytes());
    p.extend_from_slice(&f.dport.to_be_bytes());
    if f.proto == 6 {
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        p.extend_from_slice(&(l4_len as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
    }
    p.extend_from_slice(payload);
    let c = l4_checksum(&p);
    let at = if f.proto == 6 { l4 + 16 } else { l4 + 6 };
    p[at..at + 2].copy_from_slice(&c.to_be_bytes());
    p
}

/// The TCP/UDP checksum the packet should carry (computed with its checksum field zeroed).
pub fn l4_checksum(p: &[u8]) -> u16 {
    let ip = &p[14..34];
    let proto = ip[9];
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let l4 = &p[34..14 + total];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&ip[12..20]);
    pseudo.extend_from_slice(&[0, proto]);
    pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
    let mut seg = l4.to_vec();
    let at = if proto == 6 { 16 } else { 6 };
    seg[at] = 0;
    seg[at + 1] = 0;
    pseudo.extend_from_slice(&seg);
    inet_checksum(&pseudo)
}

/// Whether the IPv4 header checksum and the TCP/UDP checksum of `p` are valid.
pub fn checksums_valid(p: &[u8]) -> bool {
    let ip_ok = inet_checksum(&p[14..34]) == 0;
    let proto = p[14 + 9];
    let at = if proto == 6 { 34 + 16 } else { 34 + 6 };
    let l4_ok = u16::from_be_bytes([p[at], p[at + 1]]) == l4_checksum(p);
    ip_ok && l4_ok
}
