//! Memory-mapped AF_PACKET rings (`PACKET_MMAP`, `TPACKET_V2`): one receive ring and one
//! transmit ring per port, shared with the kernel, so that frames cross the user/kernel
//! boundary without a system call each.
//!
//! A ring is `frames` slots of `frame_size` bytes. Each slot starts with a `tpacket2_hdr`
//! whose first word, `tp_status`, says who owns the slot:
//! - receive: the kernel fills a slot and then sets `TP_STATUS_USER`; we read it and hand it
//!   back by storing `TP_STATUS_KERNEL`;
//! - transmit: a slot is ours while `TP_STATUS_AVAILABLE`; we write a frame and store
//!   `TP_STATUS_SEND_REQUEST`; one `send()` makes the kernel transmit every requested slot and
//!   set each back to available once the frame has left.
//!
//! The status word is only ever touched through an `AtomicU32` (acquire when taking a slot,
//! release when handing it over), so the frame bytes and the other header fields are read or
//! written only while the slot is ours. The safe types here ([`RxRing`], [`TxRing`]) hand out
//! byte views of a slot only while they own it, one slot at a time (`&mut self`).
//!
//! Two sockets per port: the receive socket (protocol `ETH_P_ALL`, the outgoing-frame filter
//! of [`super::port`], promiscuous membership) and the transmit socket (bound with protocol 0,
//! so it receives nothing). Sizes are bounded: [`RX_BYTES`] and [`TX_BYTES`] per port.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

/// Bytes of the receive ring of one port (the kernel buffer of the socket path was 4 MiB too).
pub const RX_BYTES: usize = 4 << 20;
/// Bytes of the transmit ring of one port.
pub const TX_BYTES: usize = 1 << 20;
/// Ring blocks are allocated by the kernel in one piece each; 64 KiB is a multiple of every
/// page size Linux uses and small enough to allocate on a fragmented machine.
const BLOCK: usize = 1 << 16;
/// Largest slot: interfaces with a larger MTU (loopback) get frames cut at this size, which
/// the receive side counts as errors.
const MAX_SLOT: usize = 1 << 17;

/// `sizeof(struct tpacket2_hdr)` rounded to `TPACKET_ALIGNMENT`: where a transmit slot's frame
/// starts (no `PACKET_TX_HAS_OFF`), and where `struct sockaddr_ll` starts in a receive slot.
const TX_DATA: usize = 32;
/// Headroom the kernel leaves before a received frame (`tp_mac` is about 66 with V2), plus the
/// 4 bytes of a VLAN tag we put back in, rounded up.
const SLOT_OVERHEAD: usize = 128;

/// The `tpacket2_hdr` of one slot, without its status word (which is atomic and lives in
/// [`RxFrame`] / [`TxRing`]). Offsets are those of the kernel's struct minus the 4 bytes of
/// `tp_status`; fields are in native byte order.
struct Header<T>(T);

impl<T: AsRef<[u8]>> Header<T> {
    fn u16_at(&self, at: usize) -> u16 {
        let b = self.0.as_ref();
        u16::from_ne_bytes([b[at], b[at + 1]])
    }
    fn u32_at(&self, at: usize) -> u32 {
        let b = self.0.as_ref();
        u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }
    /// `tp_len`: the frame's length on the wire.
    fn len(&self) -> usize {
        self.u32_at(0) as usize
    }
    /// `tp_snaplen`: the bytes of it in the slot.
    fn snaplen(&self) -> usize {
        self.u32_at(4) as usize
    }
    /// `tp_mac`: offset of the frame from the start of the slot.
    fn mac(&self) -> usize {
        usize::from(self.u16_at(8))
    }
    fn vlan_tci(&self) -> u16 {
        self.u16_at(20)
    }
    fn vlan_tpid(&self) -> u16 {
        self.u16_at(22)
    }
    /// `sll_pkttype` of the `sockaddr_ll` that follows the header.
    fn pkttype(&self) -> u8 {
        self.0.as_ref()[TX_DATA - 4 + 10]
    }
}

impl<T: AsMut<[u8]>> Header<T> {
    fn set_len(&mut self, len: u32) {
        self.0.as_mut()[0..4].copy_from_slice(&len.to_ne_bytes());
        self.0.as_mut()[4..8].copy_from_slice(&len.to_ne_bytes());
    }
}

/// Slot size and count of one ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub frame_size: usize,
    pub frames: usize,
}

impl Geometry {
    /// Slots big enough for a frame of `mtu` bytes of payload (plus Ethernet and VLAN headers
    /// and the kernel's headroom) in a ring of about `bytes`, at least 64 slots.
    pub fn for_mtu(mtu: usize, bytes: usize) -> Geometry {
        let frame_size = (mtu + SLOT_OVERHEAD)
            .next_power_of_two()
            .clamp(2048, MAX_SLOT);
        let block = frame_size.max(BLOCK);
        let blocks = (bytes / block).max(64 * frame_size / block).max(1);
        Geometry {
            frame_size,
            frames: blocks * (block / frame_size),
        }
    }

    fn block(&self) -> usize {
        self.frame_size.max(BLOCK)
    }

    fn bytes(&self) -> usize {
        self.frame_size * self.frames
    }

    fn request(&self) -> libc::tpacket_req {
        let block = self.block();
        libc::tpacket_req {
            tp_block_size: block as u32,
            tp_block_nr: (self.bytes() / block) as u32,
            tp_frame_size: self.frame_size as u32,
            tp_frame_nr: self.frames as u32,
        }
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn setsockopt<T>(fd: RawFd, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: `value` is a live, initialised `T` and the length passed is its size, so the
    // kernel reads only memory of `value`.
    check(unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_PACKET,
            name,
            (value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    })
}

/// Binds a packet socket to interface `index`, receiving frames of `protocol` (network
/// order; 0 receives nothing).
fn bind(fd: RawFd, index: u32, protocol: u16) -> io::Result<()> {
    let addr = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: protocol.to_be(),
        sll_ifindex: index as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    // SAFETY: `addr` is a complete `sockaddr_ll` and the length is its size.
    check(unsafe {
        libc::bind(
            fd,
            (&addr as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    })
}

/// The MTU of the interface called `name`.
fn mtu(fd: RawFd, name: &str) -> io::Result<usize> {
    // SAFETY: `ifreq` is plain old data for which all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    if name.len() >= req.ifr_name.len() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    for (d, s) in req.ifr_name.iter_mut().zip(name.bytes()) {
        *d = s as libc::c_char;
    }
    // SAFETY: SIOCGIFMTU reads the NUL-terminated name and writes `ifru_mtu` of `req`, which
    // lives across the call.
    check(unsafe { libc::ioctl(fd, libc::SIOCGIFMTU, &mut req) })?;
    // SAFETY: the ioctl succeeded, so it wrote the `ifru_mtu` member of the union.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    Ok(usize::try_from(mtu).unwrap_or(0))
}

/// A ring mapped from a packet socket; unmapped on drop.
struct Mapping {
    base: NonNull<u8>,
    geometry: Geometry,
}

// SAFETY: the mapping is plain memory owned by this value; which side may touch a slot is
// decided by its status word, accessed atomically, not by the thread.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Sets up the ring `option` (`PACKET_RX_RING` / `PACKET_TX_RING`) on `fd` and maps it.
    fn new(fd: RawFd, option: libc::c_int, geometry: Geometry) -> io::Result<Mapping> {
        setsockopt(fd, option, &geometry.request())?;
        // SAFETY: a fresh shared mapping of the ring just configured on `fd`; the kernel
        // checks the length against the ring, and nothing else refers to the new range.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                geometry.bytes(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap gave null"))?;
        Ok(Mapping { base, geometry })
    }

    /// Slot `i`'s status word and the rest of its bytes.
    ///
    /// The status word may be written by the kernel at any time and is only accessed
    /// atomically. The returned bytes must only be read or written while the status says the
    /// slot is ours; the `&mut self` borrow makes the views of at most one slot live.
    fn slot(&mut self, i: usize) -> (&AtomicU32, &mut [u8]) {
        let g = self.geometry;
        assert!(i < g.frames, "slot {i} of {}", g.frames);
        // SAFETY: `i * frame_size + frame_size <= bytes`, the mapped length, and slots start
        // at multiples of `frame_size` (a multiple of 16), so the status word is aligned for
        // `AtomicU32`. The mapping lives as long as `self`, which the borrows are tied to.
        // The bytes after the status word are disjoint from it; the kernel writes them only
        // while it owns the slot (see above), so no access races with ours.
        unsafe {
            let p = self.base.as_ptr().add(i * g.frame_size);
            let status = AtomicU32::from_ptr(p.cast());
            let rest = std::slice::from_raw_parts_mut(p.add(4), g.frame_size - 4);
            (status, rest)
        }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base` and the length are those `mmap` returned, and no view of the region
        // outlives `self` (they borrow it).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.geometry.bytes());
        }
    }
}

/// A port's receive ring and its socket.
pub struct RxRing {
    map: Mapping,
    next: usize,
    socket: Socket,
}

/// A received frame, owned until dropped (then handed back to the kernel).
pub struct RxFrame<'a> {
    status: &'a AtomicU32,
    flags: u32,
    slot: &'a mut [u8],
    next: &'a mut usize,
    frames: usize,
}

impl RxRing {
    /// The socket, for `poll`.
    pub fn fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }

    /// The next frame the kernel has filled, if any.
    pub fn take(&mut self) -> Option<RxFrame<'_>> {
        let frames = self.map.geometry.frames;
        let (status, slot) = self.map.slot(self.next);
        // Acquire: the kernel's writes of the header and frame happen before it sets USER.
        let flags = status.load(Ordering::Acquire);
        if flags & libc::TP_STATUS_USER == 0 {
            return None;
        }
        Some(RxFrame {
            status,
            flags,
            slot,
            next: &mut self.next,
            frames,
        })
    }
}

impl RxFrame<'_> {
    fn header(&self) -> Header<&[u8]> {
        Header(&*self.slot)
    }

    /// The kernel looped back a frame this host sent (the socket's filter refuses those, so
    /// this is a second line).
    pub fn outgoing(&self) -> bool {
        self.header().pkttype() == libc::PACKET_OUTGOING
    }

    /// The frame is longer than the slot and was cut.
    pub fn truncated(&self) -> bool {
        let h = self.header();
        h.snaplen() < h.len()
    }

    /// The frame as it was on the wire: the kernel takes a VLAN tag out of the data into the
    /// header (`skb_vlan_untag`), and this puts it back in place, using 4 bytes of the slot's
    /// headroom. `None` if the header points outside the slot.
    pub fn data(&mut self) -> Option<&[u8]> {
        let h = self.header();
        // The slot starts 4 bytes into the kernel's slot (the status word is not in it).
        let mac = h.mac().checked_sub(4)?;
        let len = h.snaplen();
        let end = mac.checked_add(len).filter(|e| *e <= self.slot.len())?;
        if self.flags & libc::TP_STATUS_VLAN_VALID == 0 || len < 12 {
            return Some(&self.slot[mac..end]);
        }
        let tpid = if self.flags & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
            h.vlan_tpid()
        } else {
            0x8100
        };
        let tci = h.vlan_tci();
        // Headroom before `mac` is the kernel's padding after `sockaddr_ll`, ours to use.
        let start = mac.checked_sub(4).filter(|s| *s >= TX_DATA - 4 + 20)?;
        self.slot.copy_within(mac..mac + 12, start);
        self.slot[start + 12..start + 14].copy_from_slice(&tpid.to_be_bytes());
        self.slot[start + 14..start + 16].copy_from_slice(&tci.to_be_bytes());
        Some(&self.slot[start..end])
    }
}

impl Drop for RxFrame<'_> {
    fn drop(&mut self) {
        // Release: our reads (and the tag we wrote) happen before the kernel may refill it.
        self.status.store(libc::TP_STATUS_KERNEL, Ordering::Release);
        *self.next = (*self.next + 1) % self.frames;
    }
}

/// What [`TxRing::push`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// In the ring, sent by the next [`TxRing::flush`].
    Queued,
    /// The next slot is still being sent; flush and try again later.
    Full,
    /// Longer than the interface's MTU allows or than a slot, or shorter than an Ethernet
    /// header: the kernel would refuse it.
    Refused,
}

/// A port's transmit ring and its socket.
pub struct TxRing {
    map: Mapping,
    next: usize,
    /// Slots requested since the last flush.
    pending: usize,
    /// The interface's MTU: the kernel refuses frames longer than it plus the Ethernet
    /// header (plus 4 for a VLAN-tagged frame).
    mtu: usize,
    socket: Socket,
}

impl TxRing {
    /// Frames waiting for [`TxRing::flush`].
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Copies `frame` into the next slot and requests its transmission.
    pub fn push(&mut self, frame: &[u8]) -> Push {
        let tagged =
            frame.len() >= 14 && matches!([frame[12], frame[13]], [0x81, 0x00] | [0x88, 0xa8]);
        let max = self.mtu + if tagged { 18 } else { 14 };
        if frame.len() < 14 || frame.len() > max {
            return Push::Refused;
        }
        let frames = self.map.geometry.frames;
        let (status, slot) = self.map.slot(self.next);
        // Acquire: the kernel is done reading the slot before it marks it available. A slot
        // left in WRONG_FORMAT (not with PACKET_LOSS set, but harmless) is free as well.
        let s = status.load(Ordering::Acquire);
        if s & (libc::TP_STATUS_SEND_REQUEST | libc::TP_STATUS_SENDING) != 0 {
            return Push::Full;
        }
        let data = TX_DATA - 4;
        let Some(dst) = slot.get_mut(data..data + frame.len()) else {
            return Push::Refused;
        };
        dst.copy_from_slice(frame);
        Header(&mut *slot).set_len(frame.len() as u32);
        // Release: the frame and its length are written before the kernel may read them.
        status.store(libc::TP_STATUS_SEND_REQUEST, Ordering::Release);
        self.next = (self.next + 1) % frames;
        self.pending += 1;
        Push::Queued
    }

    /// Asks the kernel to send every requested slot, without waiting for them to leave.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending == 0 {
            return Ok(());
        }
        self.pending = 0;
        match self.socket.send_with_flags(&[], libc::MSG_DONTWAIT) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The rings of one port.
pub struct Rings {
    pub rx: RxRing,
    pub tx: TxRing,
}

/// Opens both rings on the interface `name` with index `index`. `filter` is installed on the
/// receive socket before it is bound (see [`super::port`]).
pub fn open(name: &str, index: u32, filter: &[socket2::SockFilter]) -> io::Result<Rings> {
    let version = libc::tpacket_versions::TPACKET_V2 as libc::c_int;

    // Transmit first: its socket also tells the MTU, which sizes both rings.
    let tx_socket = Socket::new(Domain::PACKET, Type::RAW, None)?;
    let fd = tx_socket.as_raw_fd();
    let mtu = mtu(fd, name)?;
    setsockopt(fd, libc::PACKET_VERSION, &version)?;
    // A frame the kernel cannot send is skipped (its slot made available) instead of stopping
    // the ring at it; `push` already refuses the frames we know it would.
    let on: libc::c_int = 1;
    setsockopt(fd, libc::PACKET_LOSS, &on)?;
    let tx_map = Mapping::new(fd, libc::PACKET_TX_RING, Geometry::for_mtu(mtu, TX_BYTES))?;
    bind(fd, index, 0)?;

    let rx_socket = Socket::new(Domain::PACKET, Type::RAW, None)?;
    let fd = rx_socket.as_raw_fd();
    rx_socket.attach_filter(filter)?;
    setsockopt(fd, libc::PACKET_VERSION, &version)?;
    let rx_map = Mapping::new(fd, libc::PACKET_RX_RING, Geometry::for_mtu(mtu, RX_BYTES))?;
    bind(fd, index, libc::ETH_P_ALL as u16)?;
    let promisc = libc::packet_mreq {
        mr_ifindex: index as i32,
        mr_type: libc::PACKET_MR_PROMISC as u16,
        mr_alen: 0,
        mr_address: [0; 8],
    };
    setsockopt(fd, libc::PACKET_ADD_MEMBERSHIP, &promisc)?;

    Ok(Rings {
        rx: RxRing {
            map: rx_map,
            next: 0,
            socket: rx_socket,
        },
        tx: TxRing {
            map: tx_map,
            next: 0,
            pending: 0,
            mtu,
            socket: tx_socket,
        },
    })
}

/// Waits up to `timeout` until one of `fds` has something to read; returns how many do
/// (0 on timeout or interruption); each one's `revents` says which.
pub fn poll_readable(fds: &mut [libc::pollfd], timeout: Duration) -> io::Result<usize> {
    for p in fds.iter_mut() {
        p.events = libc::POLLIN;
        p.revents = 0;
    }
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `fds` is a live slice of `pollfd` and its length is passed with it.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(0)
        } else {
            Err(e)
        };
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_fits_the_mtu_and_stays_bounded() {
        let g = Geometry::for_mtu(1500, RX_BYTES);
        assert_eq!(
            g,
            Geometry {
                frame_size: 2048,
                frames: 2048
            }
        );
        assert_eq!(g.bytes(), RX_BYTES);
        let r = g.request();
        assert_eq!((r.tp_block_size, r.tp_block_nr), (65_536, 64));
        let jumbo = Geometry::for_mtu(9000, RX_BYTES);
        assert_eq!(
            jumbo,
            Geometry {
                frame_size: 16_384,
                frames: 256
            }
        );
        // Loopback's 64 KiB MTU: slots capped, at least 64 of them, ring still bounded.
        let lo = Geometry::for_mtu(65_536, TX_BYTES);
        assert_eq!(
            lo,
            Geometry {
                frame_size: MAX_SLOT,
                frames: 64
            }
        );
        assert_eq!(lo.request().tp_block_size as usize, MAX_SLOT);
    }

    #[test]
    fn header_fields_at_the_kernel_offsets() {
        // A tpacket2_hdr without its status word, then sockaddr_ll at 32 - 4.
        let mut b = [0u8; 64];
        b[0..4].copy_from_slice(&1514u32.to_ne_bytes());
        b[4..8].copy_from_slice(&1500u32.to_ne_bytes());
        b[8..10].copy_from_slice(&66u16.to_ne_bytes());
        b[20..22].copy_from_slice(&0x0064u16.to_ne_bytes());
        b[22..24].copy_from_slice(&0x88a8u16.to_ne_bytes());
        b[28 + 10] = libc::PACKET_OUTGOING;
        let h = Header(&b[..]);
        assert_eq!((h.len(), h.snaplen(), h.mac()), (1514, 1500, 66));
        assert_eq!((h.vlan_tci(), h.vlan_tpid(), h.pkttype()), (100, 0x88a8, 4));
        let mut h = Header(&mut b[..]);
        h.set_len(60);
        assert_eq!((h.len(), h.snaplen()), (60, 60));
    }
}
