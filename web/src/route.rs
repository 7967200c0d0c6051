//! The page's address: which view is open, read from and written to the URL fragment
//! (`#/calls/<call-id>`), so back/forward, reload and bookmarks work from any sub-path and the
//! fragment never reaches a server. Numbers in addresses are 1-based, as the page shows them.

/// A view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// Capture facts, timeline and one card per section.
    #[default]
    Overview,
    /// IKE tunnels; one when `Some(index)` (0-based here, 1-based in the address).
    Tunnels(Option<usize>),
    /// SIP calls; one call's ladder by Call-ID, with a message selected (0-based).
    Calls(Option<String>, Option<usize>),
    /// STUN/TURN.
    Nat,
    /// RTP streams; one stream's plots.
    Media(Option<usize>),
    /// Hierarchy, conversations, endpoints.
    Network,
    /// Names for addresses, DNS questions, TLS handshakes.
    Names,
    /// Processes; one by pid.
    Processes(Option<u32>),
    /// An address the page does not know.
    NotFound(String),
}

/// The sections, in tab order: route, tab title, address.
pub const SECTIONS: [(&str, &str); 8] = [
    ("overview", "Overview"),
    ("tunnels", "Tunnels"),
    ("calls", "Calls"),
    ("nat", "NAT traversal"),
    ("media", "Media"),
    ("network", "Network"),
    ("names", "Names"),
    ("processes", "Processes"),
];

/// Percent-encodes a path segment (RFC 3986 §2.3: unreserved characters stay).
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes a percent-encoded segment; invalid escapes stay as written.
pub fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A 1-based number in an address, 0-based here; digits only.
fn number(segment: &str) -> Option<usize> {
    if segment.is_empty() || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 1)
        .map(|n| n - 1)
}

impl Route {
    /// The route of a URL fragment (`#/calls/abc`, `/calls/abc` or empty); anything else, extra
    /// segments included, is [`Route::NotFound`].
    pub fn parse(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let path = path.strip_suffix('/').unwrap_or(path);
        let parts: Vec<&str> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').collect()
        };
        let parsed = match parts.as_slice() {
            [] | ["overview"] => Some(Route::Overview),
            ["tunnels"] => Some(Route::Tunnels(None)),
            ["tunnels", n] => number(n).map(|i| Route::Tunnels(Some(i))),
            ["calls"] => Some(Route::Calls(None, None)),
            ["calls", id] if !id.is_empty() => Some(Route::Calls(Some(decode(id)), None)),
            ["calls", id, m] if !id.is_empty() => {
                number(m).map(|m| Route::Calls(Some(decode(id)), Some(m)))
            }
            ["nat"] => Some(Route::Nat),
            ["media"] => Some(Route::Media(None)),
            ["media", n] => number(n).map(|i| Route::Media(Some(i))),
            ["network"] => Some(Route::Network),
            ["names"] => Some(Route::Names),
            ["processes"] => Some(Route::Processes(None)),
            ["processes", pid] if pid.bytes().all(|b| b.is_ascii_digit()) => {
                pid.parse().ok().map(|p| Route::Processes(Some(p)))
            }
            _ => None,
        };
        parsed.unwrap_or_else(|| Route::NotFound(hash.to_owned()))
    }

    /// The fragment for this route, with its `#`.
    pub fn href(&self) -> String {
        match self {
            Route::Overview => "#/".into(),
            Route::Tunnels(None) => "#/tunnels".into(),
            Route::Tunnels(Some(i)) => format!("#/tunnels/{}", i + 1),
            Route::Calls(None, _) => "#/calls".into(),
            Route::Calls(Some(id), None) => format!("#/calls/{}", encode(id)),
            Route::Calls(Some(id), Some(m)) => format!("#/calls/{}/{}", encode(id), m + 1),
            Route::Nat => "#/nat".into(),
            Route::Media(None) => "#/media".into(),
            Route::Media(Some(i)) => format!("#/media/{}", i + 1),
            Route::Network => "#/network".into(),
            Route::Names => "#/names".into(),
            Route::Processes(None) => "#/processes".into(),
            Route::Processes(Some(pid)) => format!("#/processes/{pid}"),
            Route::NotFound(hash) => hash.clone(),
        }
    }

    /// The section's key in [`SECTIONS`].
    pub fn section(&self) -> &'static str {
        match self {
            Route::Overview | Route::NotFound(_) => "overview",
            Route::Tunnels(_) => "tunnels",
            Route::Calls(..) => "calls",
            Route::Nat => "nat",
            Route::Media(_) => "media",
            Route::Network => "network",
            Route::Names => "names",
            Route::Processes(_) => "processes",
        }
    }

    /// The route of a section key.
    pub fn of_section(key: &str) -> Route {
        Route::parse(key)
    }

    /// The route one level up (Escape closes a detail): a message → its call, a call → the list.
    pub fn up(&self) -> Option<Route> {
        match self {
            Route::Calls(Some(id), Some(_)) => Some(Route::Calls(Some(id.clone()), None)),
            Route::Calls(Some(_), None) => Some(Route::Calls(None, None)),
            Route::Tunnels(Some(_)) => Some(Route::Tunnels(None)),
            Route::Media(Some(_)) => Some(Route::Media(None)),
            Route::Processes(Some(_)) => Some(Route::Processes(None)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_round_trips_through_its_address() {
        let routes = [
            Route::Overview,
            Route::Tunnels(None),
            Route::Tunnels(Some(0)),
            Route::Calls(None, None),
            Route::Calls(Some("a84b4c76e66710@pc33.atlanta.com".into()), None),
            Route::Calls(Some("weird/id %#?&=".into()), Some(4)),
            Route::Nat,
            Route::Media(None),
            Route::Media(Some(11)),
            Route::Network,
            Route::Names,
            Route::Processes(None),
            Route::Processes(Some(4242)),
        ];
        for r in routes {
            assert_eq!(Route::parse(&r.href()), r, "{}", r.href());
        }
    }

    #[test]
    fn addresses_read_as_people_write_them() {
        assert_eq!(Route::parse(""), Route::Overview);
        assert_eq!(Route::parse("#"), Route::Overview);
        assert_eq!(Route::parse("#/tunnels/2"), Route::Tunnels(Some(1)));
        assert_eq!(
            Route::parse("#/calls/abc%40host/3"),
            Route::Calls(Some("abc@host".into()), Some(2))
        );
        assert_eq!(
            Route::parse("#/media/0"),
            Route::NotFound("#/media/0".into())
        );
        assert_eq!(
            Route::parse("#/nowhere"),
            Route::NotFound("#/nowhere".into())
        );
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(Route::parse("#/calls/"), Route::Calls(None, None));
        for bad in [
            "#/tunnels/1/x",
            "#/media/+3",
            "#/nat/x",
            "#/overview/x",
            "#/calls//2",
            "#/processes/-1",
        ] {
            assert_eq!(Route::parse(bad), Route::NotFound(bad.into()), "{bad}");
        }
    }

    #[test]
    fn escape_goes_one_level_up() {
        let msg = Route::Calls(Some("x".into()), Some(1));
        assert_eq!(msg.up(), Some(Route::Calls(Some("x".into()), None)));
        assert_eq!(
            msg.up().and_then(|r| r.up()),
            Some(Route::Calls(None, None))
        );
        assert_eq!(Route::Overview.up(), None);
    }
}
