//! IP addresses replaced by stable pseudonyms that keep their class: the same address always
//! becomes the same pseudonym within a report, a private address stays private (10/8, fd00::/8),
//! a carrier-grade NAT address stays in 100.64/10, link-local in 169.254/16 or fe80::/10, and a
//! public one becomes a documentation address (198.51.100/24, 203.0.113/24, 192.0.2/24, then
//! 198.18/15; 2001:db8::/32), so that nothing routable is invented. Loopback, multicast,
//! broadcast and unspecified addresses name nobody and are kept; so are ports. The report's
//! `class` fields keep the original class.
//!
//! Every string of the report is scanned (addresses hide in Call-IDs, Via headers and SDP as
//! much as in address fields), through its JSON form.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use callscope_analysis::addr::class;
use callscope_analysis::Report;
use serde_json::Value;

/// Pseudonyms handed out so far.
#[derive(Debug, Default)]
pub struct AddressMasker {
    seen: HashMap<IpAddr, IpAddr>,
    next: HashMap<&'static str, u32>,
    /// Addresses of the text being masked: no pseudonym may be one of them (a pseudonym that
    /// is another host's real address would confuse the reader).
    taken: std::collections::HashSet<IpAddr>,
}

/// Public IPv4 pseudonyms: the documentation networks, then the benchmarking one.
const PUBLIC_V4: [([u8; 4], u32); 4] = [
    ([198, 51, 100, 0], 254),
    ([203, 0, 113, 0], 254),
    ([192, 0, 2, 0], 254),
    ([198, 18, 0, 0], 131_070),
];

impl AddressMasker {
    fn take(&mut self, pool: &'static str) -> u32 {
        let n = self.next.entry(pool).or_insert(0);
        *n += 1;
        *n
    }

    /// Notes the addresses in a text, so that no pseudonym will be one of them.
    pub fn reserve(&mut self, s: &str) {
        for (_, _, ip) in addresses(s) {
            self.taken.insert(ip);
            if let IpAddr::V6(v6) = ip {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    self.taken.insert(IpAddr::V4(v4));
                }
            }
        }
    }

    /// The pseudonym of an address (itself for addresses that name nobody).
    pub fn ip(&mut self, ip: IpAddr) -> IpAddr {
        if let Some(p) = self.seen.get(&ip) {
            return *p;
        }
        let p = match ip {
            IpAddr::V4(v4) => IpAddr::V4(self.v4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V6(self.v4(v4).to_ipv6_mapped()),
                None => IpAddr::V6(self.v6(v6)),
            },
        };
        self.seen.insert(ip, p);
        p
    }

    /// The next pseudonym from a pool that is not an address of the text.
    fn fresh(&mut self, pool: &'static str, make: impl Fn(u32) -> IpAddr) -> IpAddr {
        loop {
            let candidate = make(self.take(pool));
            if !self.taken.contains(&candidate) || self.next.get(pool).is_some_and(|&n| n > 1 << 24)
            {
                return candidate;
            }
        }
    }

    fn v4(&mut self, ip: Ipv4Addr) -> Ipv4Addr {
        let offset = |base: [u8; 4], n: u32| {
            IpAddr::V4(Ipv4Addr::from(
                u32::from(Ipv4Addr::from(base)).wrapping_add(n),
            ))
        };
        let fresh = match class(IpAddr::V4(ip)) {
            "loopback" | "multicast" | "broadcast" | "this-network" => return ip,
            "private" => self.fresh("v4-private", |n| offset([10, 0, 0, 0], n)),
            "cgnat" => self.fresh("v4-cgnat", |n| offset([100, 64, 0, 0], n)),
            "link-local" => self.fresh("v4-link-local", |n| offset([169, 254, 0, 0], n)),
            _ => self.fresh("v4-public", |n| {
                let mut n = n;
                for (base, size) in PUBLIC_V4 {
                    if n <= size {
                        return offset(base, n);
                    }
                    n -= size;
                }
                offset([198, 18, 0, 0], n % 131_070 + 1)
            }),
        };
        match fresh {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => ip,
        }
    }

    fn v6(&mut self, ip: Ipv6Addr) -> Ipv6Addr {
        let offset = |base: u128, n: u32| IpAddr::V6(Ipv6Addr::from(base + u128::from(n)));
        let fresh = match class(IpAddr::V6(ip)) {
            "loopback" | "multicast" | "unspecified" => return ip,
            "ula" => self.fresh("v6-ula", |n| offset(0xfd00 << 112, n)),
            "link-local" => self.fresh("v6-link-local", |n| offset(0xfe80 << 112, n)),
            _ => self.fresh("v6-public", |n| offset(0x2001_0db8 << 96, n)),
        };
        match fresh {
            IpAddr::V6(v6) => v6,
            IpAddr::V4(_) => ip,
        }
    }

    /// A text with every address in it replaced.
    pub fn text(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut copied = 0;
        for (at, len, ip) in addresses(s) {
            out.push_str(&s[copied..at]);
            out.push_str(&self.ip(ip).to_string());
            copied = at + len;
        }
        out.push_str(&s[copied..]);
        out
    }
}

/// The addresses in a text: (offset, length, address).
fn addresses(s: &str) -> Vec<(usize, usize, IpAddr)> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !is_addr_byte(b[i - 1]);
        if boundary && is_addr_byte(b[i]) {
            let end = i + b[i..].iter().take_while(|&&c| is_addr_byte(c)).count();
            if let Some((ip, len)) = address_at(&s[i..end]) {
                found.push((i, len, ip));
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

fn is_addr_byte(c: u8) -> bool {
    c.is_ascii_hexdigit() || c == b':' || c == b'.'
}

/// The address a run of address characters starts with, and its length: an IPv6 address (the
/// whole run, or the run less a `:port` IPv4 form), or a dotted IPv4 address (optionally
/// followed by `:port`).
fn address_at(run: &str) -> Option<(IpAddr, usize)> {
    if run.bytes().filter(|&c| c == b':').count() >= 2 {
        if let Ok(v6) = run.parse::<Ipv6Addr>() {
            return Some((IpAddr::V6(v6), run.len()));
        }
    }
    // IPv4: four dotted numbers, then the end of the run or a `:`.
    let end = run.find(':').unwrap_or(run.len());
    let head = &run[..end];
    let v4 = head.parse::<Ipv4Addr>().ok()?;
    Some((IpAddr::V4(v4), head.len()))
}

/// Every string of a JSON value that could hold an address.
fn strings(value: &mut Value, f: &mut dyn FnMut(&mut String)) {
    match value {
        Value::String(s) if s.bytes().any(|c| c == b'.' || c == b':') => f(s),
        Value::Array(items) => items.iter_mut().for_each(|v| strings(v, f)),
        Value::Object(map) => map.values_mut().for_each(|v| strings(v, f)),
        _ => {}
    }
}

/// Replaces every IP address in the report.
pub fn mask(report: &mut Report) {
    let Ok(mut value) = serde_json::to_value(&*report) else {
        return;
    };
    let mut m = AddressMasker::default();
    strings(&mut value, &mut |s| m.reserve(s));
    strings(&mut value, &mut |s| *s = m.text(s));
    if let Ok(masked) = serde_json::from_value(value) {
        *report = masked;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_get_stable_pseudonyms_of_their_class() {
        let mut m = AddressMasker::default();
        assert_eq!(
            m.text("10.1.2.3:5060 → 8.8.8.8:53"),
            "10.0.0.1:5060 → 198.51.100.1:53"
        );
        assert_eq!(
            m.text("8.8.8.8"),
            "198.51.100.1",
            "the same address, the same pseudonym"
        );
        assert_eq!(
            m.text("100.70.1.1 169.254.9.9 127.0.0.1 224.0.0.251"),
            "100.64.0.1 169.254.0.1 127.0.0.1 224.0.0.251"
        );
        assert_eq!(
            m.text("[fd12:3456::1]:5060 [2a00:1450::5]:443 fe80::1%en0"),
            "[fd00::1]:5060 [2001:db8::1]:443 fe80::1%en0"
        );
        assert_eq!(m.text("::ffff:192.168.1.9"), "::ffff:10.0.0.2");
    }

    #[test]
    fn addresses_in_headers_and_call_ids_are_found_and_other_text_is_kept() {
        let mut m = AddressMasker::default();
        assert_eq!(
            m.text("SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK1;rport"),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport"
        );
        assert_eq!(
            m.text("105090259-446faf7a@192.168.1.2"),
            "105090259-446faf7a@10.0.0.1"
        );
        assert_eq!(m.text("sip:alice@example.com"), "sip:alice@example.com");
        assert_eq!(
            m.text("12:34:56.789 1.2.3 0xdeadbeef aa:bb:cc:dd:ee:ff"),
            "12:34:56.789 1.2.3 0xdeadbeef aa:bb:cc:dd:ee:ff"
        );
    }

    #[test]
    fn no_pseudonym_is_another_hosts_real_address() {
        let mut r = Report::default();
        for a in ["10.0.0.2", "10.0.0.1", "198.51.100.1", "8.8.8.8"] {
            r.endpoints.push(callscope_analysis::report::Endpoint {
                addr: a.into(),
                ..Default::default()
            });
        }
        let originals: Vec<String> = r.endpoints.iter().map(|e| e.addr.clone()).collect();
        mask(&mut r);
        for e in &r.endpoints {
            assert!(
                !originals.contains(&e.addr),
                "{} is an original address",
                e.addr
            );
        }
    }

    #[test]
    fn a_whole_report_is_masked_and_keeps_its_classes() {
        let mut r = Report::default();
        r.endpoints.push(callscope_analysis::report::Endpoint {
            addr: "203.0.113.77".into(),
            class: "documentation".into(),
            ..Default::default()
        });
        r.endpoints.push(callscope_analysis::report::Endpoint {
            addr: "81.2.3.4".into(),
            class: "global".into(),
            ..Default::default()
        });
        mask(&mut r);
        assert_eq!(r.endpoints[0].addr, "198.51.100.1");
        assert_eq!(r.endpoints[1].addr, "198.51.100.2");
        assert_eq!(r.endpoints[1].class, "global");
    }
}
