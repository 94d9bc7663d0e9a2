//! Strict parsing of the address literals a policy contains.
//!
//! Strict because a lenient parser turns typos into different addresses: `010.0.0.1` is 8.0.0.1 to
//! some tools and 10.0.0.1 to others, so leading zeros are refused rather than guessed.

use std::net::IpAddr;

use crate::ir::{Family, Mac, Prefix};

/// Why an address literal was refused; the caller attaches the span.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("`{0}` has a leading zero in an IPv4 octet")]
    LeadingZero(String),
    #[error("`{0}` is not an IPv4 or IPv6 address")]
    Invalid(String),
    #[error("`{text}` has prefix length {len}, but {family} prefixes are at most {max} bits")]
    Length {
        text: String,
        len: String,
        family: &'static str,
        max: u8,
    },
    #[error("`{text}` has host bits set")]
    HostBits { text: String, network: Prefix },
}

pub fn parse_ip(text: &str) -> Result<IpAddr, AddrError> {
    if let Ok(a) = text.parse::<IpAddr>() {
        return Ok(a);
    }
    let looks_v4 = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if looks_v4
        && text
            .split('.')
            .any(|o| o.len() > 1 && o.starts_with('0') && o.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(AddrError::LeadingZero(text.to_owned()));
    }
    Err(AddrError::Invalid(text.to_owned()))
}

/// Parses `ADDR/LEN`; a bare address is the host prefix of its family (`/32` or `/128`).
pub fn parse_prefix(text: &str) -> Result<Prefix, AddrError> {
    let (addr_text, len_text) = match text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (text, None),
    };
    let addr = parse_ip(addr_text)?;
    let family = Family::of(addr);
    let max = family.bits();
    let len = match len_text {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max && (l == "0" || !l.starts_with('0')) => n,
            _ => {
                return Err(AddrError::Length {
                    text: text.to_owned(),
                    len: l.to_owned(),
                    family: family.name(),
                    max,
                });
            }
        },
    };
    let prefix = Prefix { addr, len };
    let network = masked(prefix);
    if network != prefix {
        return Err(AddrError::HostBits {
            text: text.to_owned(),
            network,
        });
    }
    Ok(prefix)
}

/// The prefix with its host bits cleared.
pub fn masked(p: Prefix) -> Prefix {
    let addr = match p.addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(p.len)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(p.len)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    };
    Prefix { addr, len: p.len }
}

/// Parses six colon-separated hex octets, e.g. `02:00:00:00:00:01`.
pub fn parse_mac(text: &str) -> Option<Mac> {
    let mut out = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut out {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(Mac(out))
}

/// Why an address cannot be a VIP or a host address, if it cannot.
pub fn unusable(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V4(a) if a.is_loopback() => Some("a loopback address"),
        IpAddr::V4(a) if a.is_multicast() => Some("a multicast address"),
        IpAddr::V4(a) if a.is_broadcast() => Some("the broadcast address"),
        IpAddr::V6(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(a) if a.is_loopback() => Some("a loopback address"),
        IpAddr::V6(a) if a.is_multicast() => Some("a multicast address"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(parse_ip("10.0.0.1"), Ok("10.0.0.1".parse().unwrap()));
        assert_eq!(
            parse_ip("010.0.0.1"),
            Err(AddrError::LeadingZero("010.0.0.1".into()))
        );
        assert_eq!(
            parse_ip("10.0.0.256"),
            Err(AddrError::Invalid("10.0.0.256".into()))
        );
        assert_eq!(parse_ip("2001:db8::1"), Ok("2001:db8::1".parse().unwrap()));
        assert!(parse_ip("").is_err());
    }

    #[test]
    fn prefixes() {
        let p = parse_prefix("198.51.100.0/22").unwrap();
        assert_eq!((p.to_string(), p.len), ("198.51.100.0/22".into(), 22));
        assert_eq!(parse_prefix("10.0.0.1").unwrap().len, 32);
        assert_eq!(parse_prefix("2001:db8::1").unwrap().len, 128);
        assert_eq!(parse_prefix("0.0.0.0/0").unwrap().len, 0);
        match parse_prefix("10.0.0.1/24") {
            Err(AddrError::HostBits { network, .. }) => {
                assert_eq!(network.to_string(), "10.0.0.0/24")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_prefix("10.0.0.0/33"),
            Err(AddrError::Length { max: 32, .. })
        ));
        assert!(matches!(
            parse_prefix("10.0.0.0/08"),
            Err(AddrError::Length { .. })
        ));
        assert!(matches!(
            parse_prefix("2001:db8::/129"),
            Err(AddrError::Length { max: 128, .. })
        ));
        assert!(matches!(
            parse_prefix("2001:db8::1/32"),
            Err(AddrError::HostBits { .. })
        ));
    }

    #[test]
    fn macs_and_usability() {
        assert_eq!(
            parse_mac("02:00:00:00:00:0a"),
            Some(Mac([2, 0, 0, 0, 0, 10]))
        );
        assert_eq!(parse_mac("02:00:00:00:00"), None);
        assert_eq!(parse_mac("02:00:00:00:00:00:00"), None);
        assert_eq!(parse_mac("2:0:0:0:0:0"), None);
        assert_eq!(
            unusable("224.0.0.1".parse().unwrap()),
            Some("a multicast address")
        );
        assert_eq!(
            unusable("255.255.255.255".parse().unwrap()),
            Some("the broadcast address")
        );
        assert_eq!(unusable("::1".parse().unwrap()), Some("a loopback address"));
        assert_eq!(unusable("203.0.113.10".parse().unwrap()), None);
    }
}
