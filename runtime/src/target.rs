//! Where a P4Runtime device is: `p4rt://HOST:PORT`, plus the device id and the election id the
//! client arbitrates with.

use std::fmt;
use std::str::FromStr;

/// Device id when none is given: what the softswitch, BMv2's `simple_switch_grpc` and the
/// compiler's `entries.txtpb` use.
pub const DEFAULT_DEVICE_ID: u64 = 1;

/// Election id when none is given: `(high, low) = (0, 1)`, the lowest id that can become
/// primary (zero means "no election id" in P4Runtime).
pub const DEFAULT_ELECTION_ID: (u64, u64) = (0, 1);

/// A P4Runtime device and the identity a client uses on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `HOST:PORT` of the gRPC server.
    pub addr: String,
    pub device_id: u64,
    /// `(high, low)` words of the 128-bit election id; higher wins.
    pub election_id: (u64, u64),
}

/// Why a target address or election id does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("expected `p4rt://HOST:PORT`, found `{0}`")]
    Scheme(String),
    #[error("expected `p4rt://HOST:PORT`, found no port in `{0}`")]
    Port(String),
    #[error("port `{port}` of `{text}` is not a number from 1 to 65535")]
    BadPort { text: String, port: String },
    #[error("expected an election id `HIGH,LOW` or `LOW`, found `{0}`")]
    ElectionId(String),
    #[error("an election id of 0 cannot become primary")]
    ZeroElectionId,
}

impl Target {
    /// The URI tonic connects to.
    pub fn uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The election id as one 128-bit number.
    pub fn election(&self) -> u128 {
        (u128::from(self.election_id.0) << 64) | u128::from(self.election_id.1)
    }
}

impl FromStr for Target {
    type Err = TargetError;

    /// Parses `p4rt://HOST:PORT` (HOST may be a name, an IPv4 address or a bracketed IPv6
    /// address) with the default device and election ids.
    fn from_str(text: &str) -> Result<Target, TargetError> {
        let rest = text
            .strip_prefix("p4rt://")
            .ok_or_else(|| TargetError::Scheme(text.to_owned()))?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.is_empty() || rest.contains('/') {
            return Err(TargetError::Scheme(text.to_owned()));
        }
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| TargetError::Port(text.to_owned()))?;
        // A bare IPv6 address has colons of its own; only the bracketed form is unambiguous.
        if host.is_empty()
            || (host.contains(':') && !(host.starts_with('[') && host.ends_with(']')))
        {
            return Err(TargetError::Port(text.to_owned()));
        }
        match port.parse::<u16>() {
            Ok(p) if p != 0 => {}
            _ => {
                return Err(TargetError::BadPort {
                    text: text.to_owned(),
                    port: port.to_owned(),
                });
            }
        }
        Ok(Target {
            addr: rest.to_owned(),
            device_id: DEFAULT_DEVICE_ID,
            election_id: DEFAULT_ELECTION_ID,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p4rt://{}", self.addr)
    }
}

/// Parses an election id written `HIGH,LOW` or just `LOW`.
pub fn parse_election_id(text: &str) -> Result<(u64, u64), TargetError> {
    let bad = || TargetError::ElectionId(text.to_owned());
    let id = match text.split_once(',') {
        Some((high, low)) => (
            high.trim().parse().map_err(|_| bad())?,
            low.trim().parse().map_err(|_| bad())?,
        ),
        None => (0, text.trim().parse().map_err(|_| bad())?),
    };
    if id == (0, 0) {
        return Err(TargetError::ZeroElectionId);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_forms() {
        let t: Target = "p4rt://127.0.0.1:9559".parse().unwrap();
        assert_eq!(t.addr, "127.0.0.1:9559");
        assert_eq!(t.uri(), "http://127.0.0.1:9559");
        assert_eq!((t.device_id, t.election_id), (1, (0, 1)));
        let t: Target = "p4rt://[::1]:50051/".parse().unwrap();
        assert_eq!(t.addr, "[::1]:50051");
        let t: Target = "p4rt://switch-7.lab:9559".parse().unwrap();
        assert_eq!(t.to_string(), "p4rt://switch-7.lab:9559");
    }

    #[test]
    fn refuses_malformed_targets() {
        let err = |s: &str| s.parse::<Target>().unwrap_err().to_string();
        assert_eq!(
            err("http://1.2.3.4:9559"),
            "expected `p4rt://HOST:PORT`, found `http://1.2.3.4:9559`"
        );
        assert_eq!(
            err("p4rt://1.2.3.4"),
            "expected `p4rt://HOST:PORT`, found no port in `p4rt://1.2.3.4`"
        );
        assert_eq!(
            err("p4rt://::1:9559"),
            "expected `p4rt://HOST:PORT`, found no port in `p4rt://::1:9559`"
        );
        assert_eq!(
            err("p4rt://h:0"),
            "port `0` of `p4rt://h:0` is not a number from 1 to 65535"
        );
        assert_eq!(
            err("p4rt://h:9559/x"),
            "expected `p4rt://HOST:PORT`, found `p4rt://h:9559/x`"
        );
    }

    #[test]
    fn election_ids() {
        assert_eq!(parse_election_id("7"), Ok((0, 7)));
        assert_eq!(parse_election_id("1, 2"), Ok((1, 2)));
        assert_eq!(parse_election_id("0,0"), Err(TargetError::ZeroElectionId));
        assert_eq!(
            parse_election_id("x").unwrap_err().to_string(),
            "expected an election id `HIGH,LOW` or `LOW`, found `x`"
        );
        let t = Target {
            election_id: (1, 2),
            ..("p4rt://h:1".parse().unwrap())
        };
        assert_eq!(t.election(), (1u128 << 64) | 2);
    }
}
