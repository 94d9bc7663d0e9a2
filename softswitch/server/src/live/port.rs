//! One switch port on one Linux interface: an AF_PACKET socket in promiscuous mode.
//!
//! The socket is created here (not by pnet) so that two things happen before it is bound to the
//! interface: a classic BPF filter that refuses frames the kernel loops back to packet sockets
//! because this host sent them (`PACKET_OUTGOING`; without it every frame the switch sends
//! would come back in as received), and a larger receive buffer. It is created with protocol 0,
//! which receives nothing until pnet binds it to the interface with `ETH_P_ALL`, so no frame of
//! another interface slips in before the bind.

use std::io;
use std::str::FromStr;
use std::time::Duration;

use pnet_datalink::{Channel, DataLinkReceiver, DataLinkSender, NetworkInterface};
use socket2::{Domain, SockFilter, Socket, Type};

/// Largest frame a port receives whole; the core refuses deparsed packets above 16 KiB anyway,
/// and the test setups turn segmentation offloads off so frames stay at the MTU.
pub const MAX_FRAME: usize = 65_536;

/// Kernel receive buffer asked for per port (the kernel caps it at `net.core.rmem_max`).
const RECV_BUFFER: usize = 4 << 20;

/// A `--port N=IFACE` argument: switch port `port` is the interface `iface`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub port: u16,
    pub iface: String,
}

/// Largest port number v1model's 9-bit `egress_spec` can name; 511 is the drop port.
pub const MAX_PORT: u16 = 510;

impl FromStr for PortSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<PortSpec, String> {
        let (port, iface) = s
            .split_once('=')
            .ok_or_else(|| format!("expected PORT=IFACE, found `{s}`"))?;
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p <= MAX_PORT)
            .ok_or_else(|| {
                format!("expected a port number from 0 to {MAX_PORT}, found `{port}`")
            })?;
        if iface.is_empty() || iface.len() > 15 || iface.contains(['/', ' ', '=']) {
            return Err(format!("`{iface}` is not a Linux interface name"));
        }
        Ok(PortSpec {
            port,
            iface: iface.to_string(),
        })
    }
}

/// Classic BPF: accept the whole frame unless its packet type is `PACKET_OUTGOING`.
///
/// `ld` of the ancillary word `SKF_AD_OFF + SKF_AD_PKTTYPE` loads the skb's packet type; the
/// jump skips to the refusing `ret #0` when it equals 4 (`PACKET_OUTGOING`).
pub(super) fn not_outgoing() -> [SockFilter; 4] {
    const BPF_LD_W_ABS: u16 = 0x20;
    const BPF_JMP_JEQ_K: u16 = 0x15;
    const BPF_RET_K: u16 = 0x06;
    const SKF_AD_PKTTYPE: u32 = 0xffff_f000 + 4;
    const PACKET_OUTGOING: u32 = 4;
    [
        SockFilter::new(BPF_LD_W_ABS, 0, 0, SKF_AD_PKTTYPE),
        SockFilter::new(BPF_JMP_JEQ_K, 1, 0, PACKET_OUTGOING),
        SockFilter::new(BPF_RET_K, 0, 0, u32::MAX),
        SockFilter::new(BPF_RET_K, 0, 0, 0),
    ]
}

/// The two halves of an open port.
pub(super) struct Open {
    pub tx: Box<dyn DataLinkSender>,
    pub rx: Box<dyn DataLinkReceiver>,
}

/// Finds `name` among this network namespace's interfaces.
pub(super) fn interface(name: &str) -> Option<NetworkInterface> {
    pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == name)
}

/// Opens a promiscuous AF_PACKET socket on `iface`. `poll` bounds how long a receive waits
/// (so threads notice shutdown), `send_wait` how long a send waits for room in the queue.
pub(super) fn open(
    iface: &NetworkInterface,
    poll: Duration,
    send_wait: Duration,
) -> io::Result<Open> {
    let socket = Socket::new(Domain::PACKET, Type::RAW, None)?;
    socket.attach_filter(&not_outgoing())?;
    socket.set_recv_buffer_size(RECV_BUFFER)?;
    let config = pnet_datalink::Config {
        read_buffer_size: MAX_FRAME,
        write_buffer_size: MAX_FRAME,
        read_timeout: Some(poll),
        write_timeout: Some(send_wait),
        promiscuous: true,
        socket_fd: Some(std::os::fd::IntoRawFd::into_raw_fd(socket)),
        ..Default::default()
    };
    match pnet_datalink::channel(iface, config)? {
        Channel::Ethernet(tx, rx) => Ok(Open { tx, rx }),
        _ => Err(io::Error::other("pnet gave a non-Ethernet channel")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs() {
        assert_eq!(
            "3=veth0".parse::<PortSpec>(),
            Ok(PortSpec {
                port: 3,
                iface: "veth0".into()
            })
        );
        assert_eq!(
            "veth0".parse::<PortSpec>(),
            Err("expected PORT=IFACE, found `veth0`".into())
        );
        assert_eq!(
            "511=veth0".parse::<PortSpec>(),
            Err("expected a port number from 0 to 510, found `511`".into())
        );
        assert_eq!(
            "1=".parse::<PortSpec>(),
            Err("`` is not a Linux interface name".into())
        );
        assert_eq!(
            "1=averylonginterfacename".parse::<PortSpec>(),
            Err("`averylonginterfacename` is not a Linux interface name".into())
        );
    }
}
