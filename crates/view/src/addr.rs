//! Addresses as the report writes them (`1.2.3.4:5060`, `[fd00::1]:5060`, `1.2.3.4`): split into
//! address and port, and ordered numerically (so `10.0.0.9` sorts before `10.0.0.10`).

use std::net::IpAddr;

/// An address's order: IPv4 before IPv6, then by address bits, then by port; text that is no
/// address sorts after all addresses, by its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddrKey {
    /// A parsed address: family (4 or 6), bits, port (0 when absent).
    Ip(u8, u128, u16),
    /// Anything else.
    Text(String),
}

/// Splits `1.2.3.4:5060`, `[fd00::1]:5060`, `1.2.3.4` or `fd00::1` into address and port.
pub fn split(text: &str) -> Option<(IpAddr, Option<u16>)> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some((ip, None));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, port) = rest.split_once("]:")?;
        return Some((ip.parse().ok()?, Some(port.parse().ok()?)));
    }
    let (ip, port) = text.rsplit_once(':')?;
    Some((ip.parse().ok()?, Some(port.parse().ok()?)))
}

/// The address part of `ip:port` (the text itself when it has no port).
pub fn host(text: &str) -> &str {
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split_once(']').map_or(text, |(ip, _)| ip);
    }
    match text.rsplit_once(':') {
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        Some((ip, _)) if !ip.contains(':') => ip,
        _ => text,
    }
}

/// The sort key of an address text.
pub fn key(text: &str) -> AddrKey {
    match split(text) {
        Some((IpAddr::V4(v4), port)) => {
            AddrKey::Ip(4, u128::from(u32::from(v4)), port.unwrap_or(0))
        }
        Some((IpAddr::V6(v6), port)) => AddrKey::Ip(6, u128::from(v6), port.unwrap_or(0)),
        None => AddrKey::Text(text.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_host_and_port() {
        assert_eq!(host("10.0.0.1:5060"), "10.0.0.1");
        assert_eq!(host("[fd00::1]:5060"), "fd00::1");
        assert_eq!(host("fd00::1"), "fd00::1");
        assert_eq!(host("10.0.0.1"), "10.0.0.1");
        assert_eq!(split("[fd00::1]:5060").unwrap().1, Some(5060));
        assert_eq!(split("nonsense"), None);
    }

    #[test]
    fn addresses_sort_by_number_not_text() {
        let mut v = vec!["10.0.0.10:1", "fd00::1", "10.0.0.9:2", "x", "10.0.0.9:1"];
        v.sort_by_key(|a| key(a));
        assert_eq!(
            v,
            ["10.0.0.9:1", "10.0.0.9:2", "10.0.0.10:1", "fd00::1", "x"]
        );
    }
}
