//! Link layers: strip the link header a capture's interface type implies and say what follows.
//!
//! Each decoder returns the protocol names it passed (for the protocol hierarchy, in tshark's
//! spelling), what comes next, and any process metadata the link header carried (PKTAP).

mod ethernet;
mod null;
mod pktap;
mod sll;

pub use pktap::PktapMeta;

/// LINKTYPE_* values (tcpdump.org/linktypes.html) that callscope decodes; others are kept as
/// `Unknown` so that nothing is lost on the way through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// BSD loopback: a 4-byte address family in the writer's byte order (0).
    Null,
    /// Ethernet, with 802.1Q / QinQ tags (1).
    Ethernet,
    /// Raw IP (12 on OpenBSD, 14 on some, 101 everywhere).
    Raw,
    /// OpenBSD loopback: the family in network byte order (108).
    Loop,
    /// Linux cooked capture v1 (113).
    LinuxSll,
    /// Apple PKTAP (258; 149 in files from older macOS).
    Pktap,
    /// Raw IPv4 (228).
    Ipv4,
    /// Raw IPv6 (229).
    Ipv6,
    /// Linux cooked capture v2 (276).
    LinuxSll2,
    /// Anything else.
    Unknown(u32),
}

impl From<u32> for LinkType {
    fn from(v: u32) -> Self {
        match v {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            149 | 258 => LinkType::Pktap,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Unknown(other),
        }
    }
}

impl LinkType {
    /// The name tcpdump and tshark use for it (`EN10MB`, `NULL`, …).
    pub fn name(self) -> String {
        match self {
            LinkType::Null => "NULL".into(),
            LinkType::Ethernet => "EN10MB".into(),
            LinkType::Raw => "RAW".into(),
            LinkType::Loop => "LOOP".into(),
            LinkType::LinuxSll => "LINUX_SLL".into(),
            LinkType::Pktap => "PKTAP".into(),
            LinkType::Ipv4 => "IPV4".into(),
            LinkType::Ipv6 => "IPV6".into(),
            LinkType::LinuxSll2 => "LINUX_SLL2".into(),
            LinkType::Unknown(v) => format!("LINKTYPE_{v}"),
        }
    }
}

/// What follows a link header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// An EtherType (IEEE 802): 0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, …
    EtherType(u16),
    /// An IP packet whose version nibble decides (RAW, NULL with an IP family).
    Ip,
    /// Something we do not decode (an unknown family or 802.3 LLC, say).
    Other,
}

/// Most link-layer protocols a path holds (Ethernet, up to eight VLAN tags, LLC; PKTAP before).
const MAX_LINK_PATH: usize = 12;

/// The names a [`LinkPath`] holds, in tshark's spelling.
const LINK_NAMES: [&str; 8] = ["?", "eth", "vlan", "llc", "pktap", "null", "raw", "sll"];

/// The link-layer protocols a frame passed, outermost first, without allocating per frame.
///
/// Stored as small numbers into [`LINK_NAMES`] so that a decoded link layer stays a few words
/// and moves without a memory copy call: this value is built for every frame.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkPath {
    names: [u8; MAX_LINK_PATH],
    len: u8,
}

fn name_number(name: &str) -> u8 {
    LINK_NAMES
        .iter()
        .position(|n| *n == name)
        .map_or(0, |i| i as u8)
}

impl LinkPath {
    /// A path of the given names (extra names past the capacity are dropped).
    pub fn of(names: &[&'static str]) -> Self {
        let mut path = LinkPath::default();
        for name in names {
            path.push(name);
        }
        path
    }

    /// Appends a name (ignored when full; a name outside [`LINK_NAMES`] reads as `?`).
    pub fn push(&mut self, name: &'static str) {
        if usize::from(self.len) < MAX_LINK_PATH {
            self.names[usize::from(self.len)] = name_number(name);
            self.len += 1;
        }
    }

    /// Puts a name in front (the last one falls off when full).
    pub fn push_front(&mut self, name: &'static str) {
        self.names.copy_within(0..MAX_LINK_PATH - 1, 1);
        self.names[0] = name_number(name);
        self.len = (self.len + 1).min(MAX_LINK_PATH as u8);
    }

    /// Names held.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// No name held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The names, outermost first.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names[..usize::from(self.len)]
            .iter()
            .map(|&n| LINK_NAMES[usize::from(n)])
    }
}

impl std::fmt::Debug for LinkPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq<Vec<&'static str>> for LinkPath {
    fn eq(&self, other: &Vec<&'static str>) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

/// A decoded link layer.
#[derive(Debug, Clone)]
pub struct LinkLayer<'a> {
    /// Protocols passed, outermost first, in tshark's names (`eth`, `vlan`, `null`, `sll`, …).
    pub path: LinkPath,
    /// What the payload is.
    pub next: Next,
    /// The bytes after the link header(s).
    pub payload: &'a [u8],
    /// Process metadata from a PKTAP header (boxed: rare, and it would make every frame's
    /// link layer larger).
    pub pktap: Option<Box<PktapMeta>>,
}

/// Why a link header could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Fewer bytes than the header needs.
    #[error("{layer} header truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Which header.
        layer: &'static str,
        /// Bytes required.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// A link type callscope does not decode.
    #[error("unsupported link type {0}")]
    Unsupported(u32),
    /// A PKTAP header that nests too deep or names itself.
    #[error("pktap: {0}")]
    BadPktap(&'static str),
}

/// Strips the link header of `link_type` from `data`.
pub fn decode(link_type: u32, data: &[u8]) -> Result<LinkLayer<'_>, LinkError> {
    decode_with_depth(link_type, data, 0)
}

fn decode_with_depth(link_type: u32, data: &[u8], depth: u8) -> Result<LinkLayer<'_>, LinkError> {
    match LinkType::from(link_type) {
        LinkType::Ethernet => ethernet::decode(data),
        LinkType::Null => null::decode(data, false),
        LinkType::Loop => null::decode(data, true),
        LinkType::Raw => Ok(LinkLayer {
            path: LinkPath::of(&["raw"]),
            next: Next::Ip,
            payload: data,
            pktap: None,
        }),
        LinkType::Ipv4 => Ok(LinkLayer {
            path: LinkPath::of(&["raw"]),
            next: Next::EtherType(0x0800),
            payload: data,
            pktap: None,
        }),
        LinkType::Ipv6 => Ok(LinkLayer {
            path: LinkPath::of(&["raw"]),
            next: Next::EtherType(0x86dd),
            payload: data,
            pktap: None,
        }),
        LinkType::LinuxSll => sll::decode_v1(data),
        LinkType::LinuxSll2 => sll::decode_v2(data),
        LinkType::Pktap => {
            if depth > 0 {
                return Err(LinkError::BadPktap("a PKTAP header inside a PKTAP header"));
            }
            let (meta, inner_type, inner) = pktap::decode(data)?;
            let mut layer = decode_with_depth(inner_type, inner, depth + 1)?;
            layer.path.push_front("pktap");
            layer.pktap = Some(Box::new(meta));
            Ok(layer)
        }
        LinkType::Unknown(v) => Err(LinkError::Unsupported(v)),
    }
}

fn need(layer: &'static str, data: &[u8], need: usize) -> Result<(), LinkError> {
    if data.len() < need {
        Err(LinkError::Truncated {
            layer,
            need,
            have: data.len(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
