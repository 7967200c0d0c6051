//! Addresses as a table sorts them: by number (so `10.0.0.9` sorts before `10.0.0.10`), IPv4
//! before IPv6, then by port; a column may hold addresses with ports or without.

use std::net::IpAddr;

use callscope_analysis::report::{Ip, Socket};

/// An address's order: family (4 or 6), address bits, port (0 when it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddrKey(u8, u128, u16);

impl AddrKey {
    fn of(ip: IpAddr, port: u16) -> AddrKey {
        match ip {
            IpAddr::V4(v4) => AddrKey(4, u128::from(u32::from(v4)), port),
            IpAddr::V6(v6) => AddrKey(6, u128::from(v6), port),
        }
    }
}

impl From<Socket> for AddrKey {
    fn from(a: Socket) -> AddrKey {
        AddrKey::of(a.ip(), a.port())
    }
}

impl From<Ip> for AddrKey {
    fn from(ip: Ip) -> AddrKey {
        AddrKey::of(ip.0, 0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_sort_by_number_not_text() {
        let mut v: Vec<Socket> = ["10.0.0.10:1", "[fd00::1]:1", "10.0.0.9:2", "10.0.0.9:1"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        callscope_analysis::order::sort_by_key(&mut v, |&a| AddrKey::from(a));
        let text: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["10.0.0.9:1", "10.0.0.9:2", "10.0.0.10:1", "[fd00::1]:1"]
        );
        let ip: Ip = "10.0.0.9".parse().unwrap();
        assert!(AddrKey::from(ip) < AddrKey::from(v[0]));
    }
}
