//! Classic pcap files (the libpcap format tcpdump reads): a small reader and writer for
//! Ethernet captures. Both byte orders and microsecond or nanosecond timestamps are read;
//! files are written little-endian with microsecond timestamps.

use std::io::{self, Read, Write};

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// Largest record accepted when reading (guards against corrupt lengths).
pub const MAX_RECORD: u32 = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a pcap file (magic {0:#010x})")]
    Magic(u32),
    #[error("record {index}: length {len} exceeds {MAX_RECORD}")]
    Record { index: usize, len: u32 },
    #[error("record {0} is truncated")]
    Truncated(usize),
}

/// One captured packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Timestamp in nanoseconds since the epoch.
    pub ts_ns: u64,
    pub data: Vec<u8>,
}

/// Reads every record of a pcap file.
pub fn read(mut r: impl Read) -> Result<Vec<Record>, PcapError> {
    let mut hdr = [0u8; 24];
    r.read_exact(&mut hdr)?;
    let le = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let be = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let (big, nanos) = match (le, be) {
        (MAGIC_US, _) => (false, false),
        (MAGIC_NS, _) => (false, true),
        (_, MAGIC_US) => (true, false),
        (_, MAGIC_NS) => (true, true),
        _ => return Err(PcapError::Magic(le)),
    };
    let word = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let mut out = Vec::new();
    loop {
        let mut rec = [0u8; 16];
        match r.read_exact(&mut rec) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.into()),
        }
        let (sec, frac, incl) = (word(&rec[0..4]), word(&rec[4..8]), word(&rec[8..12]));
        if incl > MAX_RECORD {
            return Err(PcapError::Record {
                index: out.len(),
                len: incl,
            });
        }
        let mut data = vec![0u8; incl as usize];
        r.read_exact(&mut data)
            .map_err(|_| PcapError::Truncated(out.len()))?;
        let ts_ns = u64::from(sec) * 1_000_000_000
            + if nanos {
                u64::from(frac)
            } else {
                u64::from(frac) * 1000
            };
        out.push(Record { ts_ns, data });
    }
    Ok(out)
}

/// Writes records as an Ethernet pcap file.
pub fn write(mut w: impl Write, records: &[Record]) -> io::Result<()> {
    let mut hdr = Vec::with_capacity(24);
    hdr.extend_from_slice(&MAGIC_US.to_le_bytes());
    hdr.extend_from_slice(&2u16.to_le_bytes());
    hdr.extend_from_slice(&4u16.to_le_bytes());
    hdr.extend_from_slice(&0i32.to_le_bytes());
    hdr.extend_from_slice(&0u32.to_le_bytes());
    hdr.extend_from_slice(&65535u32.to_le_bytes());
    hdr.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    w.write_all(&hdr)?;
    for r in records {
        let sec = (r.ts_ns / 1_000_000_000) as u32;
        let usec = ((r.ts_ns % 1_000_000_000) / 1000) as u32;
        let len = r.data.len() as u32;
        w.write_all(&sec.to_le_bytes())?;
        w.write_all(&usec.to_le_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&len.to_le_bytes())?;
        w.write_all(&r.data)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_input() {
        let recs = vec![
            Record {
                ts_ns: 1_500_000_000_123_000,
                data: vec![1, 2, 3],
            },
            Record {
                ts_ns: 0,
                data: vec![],
            },
        ];
        let mut buf = Vec::new();
        write(&mut buf, &recs).unwrap();
        assert_eq!(&buf[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(buf.len(), 24 + 16 + 3 + 16);
        assert_eq!(read(&buf[..]).unwrap(), recs);
        assert!(matches!(read(&[0u8; 24][..]), Err(PcapError::Magic(0))));
        assert!(matches!(
            read(&buf[..buf.len() - 17]),
            Err(PcapError::Truncated(0))
        ));
        let mut huge = buf[..24].to_vec();
        huge.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        assert!(matches!(
            read(&huge[..]),
            Err(PcapError::Record { index: 0, .. })
        ));
    }
}
