//! IP addresses replaced by stable pseudonyms that keep their class: the same address always
//! becomes the same pseudonym within a report, a private address stays private (10/8, fd00::/8),
//! a carrier-grade NAT address stays in 100.64/10, link-local in 169.254/16 or fe80::/10, and a
//! public one becomes a documentation address (198.51.100/24, 203.0.113/24, 192.0.2/24, then
//! 198.18/15; 2001:db8::/32), so that nothing routable is invented, and no pseudonym is another
//! address of the same report. Loopback, broadcast, unspecified and multicast addresses name
//! nobody and are kept (but for IPv6 solicited-node multicast, which carries a host's low bits);
//! so are ports. The report's `class` fields keep the original class.
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

/// Masking could not be done (the report did not go through JSON); nothing is shared then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskError(pub String);

/// Public IPv4 pseudonyms: the documentation networks, then the benchmarking one (base, size).
const PUBLIC_V4: [(u32, u32); 4] = [
    (0xc633_6400, 254),     // 198.51.100.0/24
    (0xcb00_7100, 254),     // 203.0.113.0/24
    (0xc000_0200, 254),     // 192.0.2.0/24
    (0xc612_0000, 131_070), // 198.18.0.0/15
];

/// A pool of pseudonyms: a prefix, and how many addresses it has (numbers wrap within it).
#[derive(Clone, Copy)]
enum Pool {
    V4(u32, u32),
    V6(u128, u32),
    PublicV4,
}

impl Pool {
    fn nth(self, n: u32) -> IpAddr {
        match self {
            Pool::V4(base, size) => IpAddr::V4(Ipv4Addr::from(base + (n - 1) % size + 1)),
            Pool::V6(base, size) => {
                IpAddr::V6(Ipv6Addr::from(base + u128::from((n - 1) % size + 1)))
            }
            Pool::PublicV4 => {
                let total: u32 = PUBLIC_V4.iter().map(|p| p.1).sum();
                let mut n = (n - 1) % total + 1;
                for (base, size) in PUBLIC_V4 {
                    if n <= size {
                        return IpAddr::V4(Ipv4Addr::from(base + n));
                    }
                    n -= size;
                }
                IpAddr::V4(Ipv4Addr::from(PUBLIC_V4[0].0 + 1))
            }
        }
    }
}

/// The pool for an address of this class, or None to keep it (it names nobody).
fn pool(ip: IpAddr) -> Option<(&'static str, Pool)> {
    match (ip, class(ip)) {
        (_, "loopback" | "broadcast" | "this-network" | "unspecified") => None,
        (IpAddr::V4(_), "multicast") => None,
        // Solicited-node multicast (RFC 4291 §2.7.1) carries the host's low 24 bits.
        (IpAddr::V6(v6), "multicast")
            if u128::from(v6) >> 24 == 0x00ff_0200_0000_0000_0000_0000_01ff =>
        {
            Some((
                "v6-solicited",
                Pool::V6(0xff02_0000_0000_0000_0000_0001_ff00_0000, 0xff_ffff),
            ))
        }
        (IpAddr::V6(_), "multicast") => None,
        (IpAddr::V4(_), "private") => Some(("v4-private", Pool::V4(0x0a00_0000, 0xff_fffe))),
        (IpAddr::V4(_), "cgnat") => Some(("v4-cgnat", Pool::V4(0x6440_0000, 0x3f_fffe))),
        (IpAddr::V4(_), "link-local") => Some(("v4-link-local", Pool::V4(0xa9fe_0000, 0xfffe))),
        (IpAddr::V4(_), _) => Some(("v4-public", Pool::PublicV4)),
        (IpAddr::V6(_), "ula") => Some(("v6-ula", Pool::V6(0xfd00 << 112, u32::MAX))),
        (IpAddr::V6(_), "link-local") => Some(("v6-link-local", Pool::V6(0xfe80 << 112, u32::MAX))),
        (IpAddr::V6(_), _) => Some(("v6-public", Pool::V6(0x2001_0db8 << 96, u32::MAX))),
    }
}

impl AddressMasker {
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

    /// The pseudonym of an address (itself for addresses that name nobody); an IPv4-mapped
    /// IPv6 address gets its IPv4 address's pseudonym, mapped.
    pub fn ip(&mut self, ip: IpAddr) -> IpAddr {
        if let IpAddr::V6(v6) = ip {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return match self.ip(IpAddr::V4(v4)) {
                    IpAddr::V4(p) => IpAddr::V6(p.to_ipv6_mapped()),
                    p => p,
                };
            }
        }
        if let Some(p) = self.seen.get(&ip) {
            return *p;
        }
        let p = match pool(ip) {
            None => ip,
            Some((name, pool)) => self.fresh(name, pool),
        };
        self.seen.insert(ip, p);
        p
    }

    /// The next pseudonym from a pool that is not an address of the text (when the pool runs
    /// out, numbers wrap and two hosts may share one).
    fn fresh(&mut self, name: &'static str, pool: Pool) -> IpAddr {
        for _ in 0..1_000_000 {
            let n = self.next.entry(name).or_insert(0);
            *n = n.wrapping_add(1).max(1);
            let candidate = pool.nth(*n);
            if !self.taken.contains(&candidate) {
                return candidate;
            }
        }
        pool.nth(1)
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

/// The addresses in a text: (offset, length, address), in order, not overlapping. IPv6 first
/// (runs of hex digits and colons, trimmed of a stray leading `:` and trailing `:`/`.`), then
/// IPv4 wherever four dotted numbers stand with no digit on either side, so `sip:10.0.0.1`,
/// `10.0.0.1.5060` (tcpdump's port) and `host-10.0.0.1.` are all found.
fn addresses(s: &str) -> Vec<(usize, usize, IpAddr)> {
    let b = s.as_bytes();
    let mut found: Vec<(usize, usize, IpAddr)> = Vec::new();
    // IPv6.
    let mut i = 0;
    while i < b.len() {
        let is_v6 = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
        if is_v6(b[i]) && (i == 0 || !is_v6(b[i - 1])) {
            let end = i + b[i..].iter().take_while(|&&c| is_v6(c)).count();
            let mut lo = i;
            let mut hi = end;
            if b[lo] == b':' && b.get(lo + 1) != Some(&b':') {
                lo += 1;
            }
            while hi > lo
                && (b[hi - 1] == b'.' || (b[hi - 1] == b':' && !(hi >= 2 && b[hi - 2] == b':')))
            {
                hi -= 1;
            }
            let run = &s[lo..hi];
            if run.bytes().filter(|&c| c == b':').count() >= 2 {
                if let Ok(v6) = run.parse::<Ipv6Addr>() {
                    found.push((lo, hi - lo, IpAddr::V6(v6)));
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    // IPv4, outside the IPv6 addresses found.
    let inside = |at: usize| found.iter().any(|&(o, l, _)| at >= o && at < o + l);
    let mut v4 = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()) && !inside(i) {
            if let Some(len) = dotted_quad(&b[i..]) {
                if let Ok(ip) = s[i..i + len].parse::<Ipv4Addr>() {
                    v4.push((i, len, IpAddr::V4(ip)));
                    i += len;
                    continue;
                }
            }
        }
        i += 1;
    }
    found.extend(v4);
    callscope_analysis::order::sort_by_key(&mut found, |f| f.0);
    found
}

/// The length of `d.d.d.d` (1–3 digits each) at the start of `b`, when no digit follows.
fn dotted_quad(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    for part in 0..4 {
        let digits = b[at..]
            .iter()
            .take(4)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 3 {
            return None;
        }
        at += digits;
        if part < 3 {
            if b.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
    }
    (!b.get(at).is_some_and(u8::is_ascii_digit)).then_some(at)
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

/// Replaces every IP address in the report; an error (and the report untouched) when it cannot.
///
/// The report goes through JSON text rather than `to_value`/`from_value`: the page's wasm then
/// holds one serializer and one deserializer of the report types, not two of each (~300 kB).
pub fn mask(report: &mut Report) -> Result<(), MaskError> {
    let error = |e: serde_json::Error| MaskError(e.to_string());
    let mut value: Value =
        serde_json::from_str(&crate::json::to_string(&*report).map_err(error)?).map_err(error)?;
    let mut m = AddressMasker::default();
    strings(&mut value, &mut |s| m.reserve(s));
    strings(&mut value, &mut |s| *s = m.text(s));
    *report =
        serde_json::from_str(&crate::json::to_string(&value).map_err(error)?).map_err(error)?;
    Ok(())
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
            m.text(
                "[fd12:3456::1]:5060 [2a00:1450::5]:443 fe80::abcd%en0 ff02::1:ff12:3456 ff02::fb"
            ),
            "[fd00::1]:5060 [2001:db8::1]:443 fe80::1%en0 ff02::1:ff00:1 ff02::fb"
        );
        assert_eq!(
            m.text("::ffff:10.1.2.3"),
            "::ffff:10.0.0.1",
            "a mapped address is its IPv4 address"
        );
    }

    #[test]
    fn addresses_are_found_wherever_they_hide() {
        let mut m = AddressMasker::default();
        assert_eq!(
            m.text("SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK1;rport"),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport"
        );
        assert_eq!(
            m.text("105090259-446faf7a@192.168.1.2"),
            "105090259-446faf7a@10.0.0.1"
        );
        assert_eq!(
            m.text("<sip:192.168.1.2:5060;lr>"),
            "<sip:10.0.0.1:5060;lr>"
        );
        assert_eq!(m.text("c=IN IP4:192.168.1.2"), "c=IN IP4:10.0.0.1");
        assert_eq!(
            m.text("192.168.1.2.5060 > 192.168.1.3.53: and 192.168.1.2."),
            "10.0.0.1.5060 > 10.0.0.2.53: and 10.0.0.1."
        );
        assert_eq!(
            m.text("ip-host-192.168.1.2.nip.io"),
            "ip-host-10.0.0.1.nip.io"
        );
        assert_eq!(
            m.text("sip:[fd12:3456::2]:5061 fd12:3456::2."),
            "sip:[fd00::1]:5061 fd00::1."
        );
        assert_eq!(m.text("sip:alice@example.com"), "sip:alice@example.com");
        assert_eq!(
            m.text("12:34:56.789 1.2.3 0xdeadbeef aa:bb:cc:dd:ee:ff 1234.5.6.7"),
            "12:34:56.789 1.2.3 0xdeadbeef aa:bb:cc:dd:ee:ff 1234.5.6.7"
        );
    }

    #[test]
    fn no_pseudonym_is_another_hosts_real_address() {
        let mut r = Report::default();
        for a in ["10.0.0.2", "10.0.0.1", "198.51.100.1", "8.8.8.8"] {
            r.endpoints.push(callscope_analysis::report::Endpoint {
                addr: a.parse().unwrap(),
                ..Default::default()
            });
        }
        // An address inside text is masked too.
        r.names.push(callscope_analysis::report::Name {
            name: "sip:10.0.0.3".into(),
            ..Default::default()
        });
        let originals: Vec<_> = r.endpoints.iter().map(|e| e.addr).collect();
        mask(&mut r).unwrap();
        for e in &r.endpoints {
            assert!(
                !originals.contains(&e.addr),
                "{} is an original address",
                e.addr
            );
        }
        // 10.0.0.1–3 are real: the pseudonyms of the three private hosts are .4, .5 and .6.
        assert_eq!(r.names[0].name, "sip:10.0.0.6");
    }

    #[test]
    fn a_whole_report_is_masked_and_keeps_its_classes() {
        let mut r = Report::default();
        r.endpoints.push(callscope_analysis::report::Endpoint {
            addr: "203.0.113.77".parse().unwrap(),
            class: "documentation".into(),
            ..Default::default()
        });
        r.endpoints.push(callscope_analysis::report::Endpoint {
            addr: "81.2.3.4".parse().unwrap(),
            class: "global".into(),
            ..Default::default()
        });
        mask(&mut r).unwrap();
        assert_eq!(r.endpoints[0].addr.to_string(), "198.51.100.1");
        assert_eq!(r.endpoints[1].addr.to_string(), "198.51.100.2");
        assert_eq!(r.endpoints[1].class, "global");
    }
}
