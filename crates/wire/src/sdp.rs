//! SDP (RFC 8866) session descriptions as SIP carries them in offers and answers (RFC 3264): the
//! connection address (§5.7 `c=`), media lines (§5.14 `m=`) with ports and formats, `a=rtpmap`
//! (§6.6) codec names and clock rates, `a=rtcp` (RFC 3605), `a=rtcp-mux` (RFC 5761 §5.1.1) and the
//! direction attributes (§6.7). Decoding is lax: unknown lines are skipped, a line that cannot
//! be read is listed in [`Sdp::problems`].

/// Media direction (RFC 8866 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `a=sendrecv` (the default).
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn parse(attr: &str) -> Option<Direction> {
        Some(match attr {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (§5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// `IN`.
    pub net_type: String,
    /// `IP4` or `IP6`.
    pub addr_type: String,
    /// The address as written, without a multicast `/ttl` suffix.
    pub address: String,
}

impl Connection {
    /// The address as an IP address, when it is one.
    pub fn ip(&self) -> Option<std::net::IpAddr> {
        self.address.parse().ok()
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (§6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub pt: u8,
    /// Encoding name as written.
    pub encoding: String,
    /// Clock rate, Hz.
    pub clock: u32,
    /// Channels (audio), when given.
    pub channels: Option<u8>,
}

/// One `m=` section (§5.14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// `audio`, `video`, `image`, `application`, …
    pub media: String,
    /// Transport port (0 = rejected or disabled stream, RFC 3264 §6).
    pub port: u16,
    /// `/<number of ports>`, when given.
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, …
    pub proto: String,
    /// Formats (RTP payload type numbers for RTP profiles).
    pub formats: Vec<String>,
    /// Media-level `c=`.
    pub connection: Option<Connection>,
    /// `a=rtpmap` lines.
    pub rtpmap: Vec<RtpMap>,
    /// RFC 3605 `a=rtcp:<port>`.
    pub rtcp_port: Option<u16>,
    /// RFC 5761 `a=rtcp-mux`.
    pub rtcp_mux: bool,
    /// Media-level direction attribute.
    pub direction: Option<Direction>,
    /// `a=ptime`, ms.
    pub ptime: Option<u32>,
}

impl Media {
    /// True for the RTP profiles (`RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`, `UDP/TLS/RTP/SAVPF`, …).
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
    }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (§5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Username (`-` when none).
    pub username: String,
    /// Session id.
    pub session_id: String,
    /// Session version (increments on every new offer, RFC 3264 §8).
    pub version: String,
    /// Address.
    pub address: String,
}

/// A session description.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sdp {
    /// `o=`.
    pub origin: Option<Origin>,
    /// `s=`.
    pub session_name: Option<String>,
    /// Session-level `c=`.
    pub connection: Option<Connection>,
    /// Session-level direction.
    pub direction: Option<Direction>,
    /// `m=` sections in order.
    pub media: Vec<Media>,
    /// Lines that could not be read.
    pub problems: Vec<String>,
}

/// Why bytes are not SDP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The description does not start with `v=` (§5.1).
    #[error("SDP does not start with v=")]
    NoVersion,
}

impl Sdp {
    /// The connection that applies to a media section: its own `c=`, else the session's (§5.7).
    pub fn connection_for<'a>(&'a self, media: &'a Media) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }

    /// The direction that applies to a media section (media level, else session level, else
    /// `sendrecv`, §6.7).
    pub fn direction_for(&self, media: &Media) -> Direction {
        media
            .direction
            .or(self.direction)
            .unwrap_or(Direction::SendRecv)
    }
}

/// Most media sections read from one description.
const MAX_MEDIA: usize = 64;
/// Most attributes kept per media section.
const MAX_RTPMAP: usize = 64;

/// Decodes a session description.
pub fn parse(bytes: &[u8]) -> Result<Sdp, SdpError> {
    let text = crate::text::lossy(bytes);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).trim_end())
        .filter(|l| !l.is_empty());
    match lines.next() {
        Some(l) if l.starts_with("v=") => {}
        _ => return Err(SdpError::NoVersion),
    }
    let mut sdp = Sdp::default();
    for line in lines {
        let Some((kind, value)) = line.split_once('=') else {
            sdp.problems
                .push(format!("line without '=': {}", clip(line)));
            continue;
        };
        let in_media = !sdp.media.is_empty();
        match kind {
            "o" => sdp.origin = origin(value),
            "s" => sdp.session_name = Some(value.to_owned()),
            "c" => match connection(value) {
                Some(c) => match sdp.media.last_mut() {
                    Some(m) => m.connection = Some(c),
                    None => sdp.connection = Some(c),
                },
                None => sdp.problems.push(format!("bad c= line: {}", clip(value))),
            },
            "m" => match media(value) {
                Some(m) if sdp.media.len() < MAX_MEDIA => sdp.media.push(m),
                Some(_) => {}
                None => sdp.problems.push(format!("bad m= line: {}", clip(value))),
            },
            "a" => {
                let (name, arg) = value.split_once(':').unwrap_or((value, ""));
                if let Some(d) = Direction::parse(name) {
                    match sdp.media.last_mut() {
                        Some(m) => m.direction = Some(d),
                        None => sdp.direction = Some(d),
                    }
                    continue;
                }
                let Some(m) = sdp.media.last_mut().filter(|_| in_media) else {
                    continue;
                };
                match name {
                    "rtpmap" => match rtpmap(arg) {
                        Some(r) if m.rtpmap.len() < MAX_RTPMAP => m.rtpmap.push(r),
                        Some(_) => {}
                        None => sdp.problems.push(format!("bad rtpmap: {}", clip(arg))),
                    },
                    "rtcp" => {
                        m.rtcp_port = arg.split_whitespace().next().and_then(|p| p.parse().ok())
                    }
                    "rtcp-mux" => m.rtcp_mux = true,
                    "ptime" => m.ptime = arg.trim().parse().ok(),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(sdp)
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

fn origin(value: &str) -> Option<Origin> {
    let f: Vec<&str> = value.split_whitespace().collect();
    (f.len() == 6).then(|| Origin {
        username: f[0].to_owned(),
        session_id: f[1].to_owned(),
        version: f[2].to_owned(),
        address: f[5].to_owned(),
    })
}

fn connection(value: &str) -> Option<Connection> {
    let mut f = value.split_whitespace();
    let (Some(net), Some(addr_type), Some(addr)) = (f.next(), f.next(), f.next()) else {
        return None;
    };
    Some(Connection {
        net_type: net.to_owned(),
        addr_type: addr_type.to_owned(),
        address: addr.split('/').next().unwrap_or(addr).to_owned(),
    })
}

fn media(value: &str) -> Option<Media> {
    let mut f = value.split_whitespace();
    let (Some(kind), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
        return None;
    };
    let (port, count) = match port.split_once('/') {
        Some((p, n)) => (p, Some(n.parse().ok()?)),
        None => (port, None),
    };
    Some(Media {
        media: kind.to_owned(),
        port: port.parse().ok()?,
        port_count: count,
        proto: proto.to_owned(),
        formats: f.take(MAX_RTPMAP).map(str::to_owned).collect(),
        connection: None,
        rtpmap: Vec::new(),
        rtcp_port: None,
        rtcp_mux: false,
        direction: None,
        ptime: None,
    })
}

fn rtpmap(arg: &str) -> Option<RtpMap> {
    let (pt, rest) = arg.trim().split_once(char::is_whitespace)?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next()?.trim();
    let clock = parts.next()?.trim().parse().ok()?;
    let channels = parts.next().and_then(|c| c.trim().parse().ok());
    Some(RtpMap {
        pt: pt.parse().ok()?,
        encoding: encoding.to_owned(),
        clock,
        channels,
    })
}

/// RFC 3551 §6 static payload types: encoding name and clock rate.
pub fn static_payload(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        4 => ("G723", 8000),
        5 => ("DVI4", 8000),
        6 => ("DVI4", 16000),
        7 => ("LPC", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        10 | 11 => ("L16", 44100),
        12 => ("QCELP", 8000),
        13 => ("CN", 8000),
        14 => ("MPA", 90000),
        15 => ("G728", 8000),
        16 => ("DVI4", 11025),
        17 => ("DVI4", 22050),
        18 => ("G729", 8000),
        25 => ("CelB", 90000),
        26 => ("JPEG", 90000),
        28 => ("nv", 90000),
        31 => ("H261", 90000),
        32 => ("MPV", 90000),
        33 => ("MP2T", 90000),
        34 => ("H263", 90000),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static OFFER: &[u8] = b"v=0\r\n\
o=user1 53655765 2353687637 IN IP4 10.99.3.1\r\n\
s=-\r\n\
c=IN IP4 10.99.3.1\r\n\
t=0 0\r\n\
a=sendrecv\r\n\
m=audio 6000 RTP/AVP 0 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=ptime:20\r\n\
m=video 0 RTP/AVP 96\r\n\
c=IN IP6 fd00::2\r\n\
a=rtpmap:96 H264/90000\r\n\
a=rtcp:5003 IN IP4 10.0.0.1\r\n\
a=rtcp-mux\r\n\
a=inactive\r\n";

    #[test]
    fn an_offer_decodes() {
        let sdp = parse(OFFER).unwrap();
        assert_eq!(sdp.origin.as_ref().unwrap().version, "2353687637");
        assert_eq!(sdp.connection.as_ref().unwrap().address, "10.99.3.1");
        assert_eq!(sdp.media.len(), 2);
        let audio = &sdp.media[0];
        assert_eq!((audio.media.as_str(), audio.port), ("audio", 6000));
        assert_eq!(audio.formats, ["0", "101"]);
        assert_eq!(audio.rtpmap[1].encoding, "telephone-event");
        assert_eq!(audio.rtpmap[1].clock, 8000);
        assert_eq!(audio.ptime, Some(20));
        assert!(audio.is_rtp());
        assert_eq!(sdp.direction_for(audio), Direction::SendRecv);
        assert_eq!(
            sdp.connection_for(audio).unwrap().ip(),
            Some("10.99.3.1".parse().unwrap())
        );
        let video = &sdp.media[1];
        assert_eq!(sdp.connection_for(video).unwrap().address, "fd00::2");
        assert_eq!(video.rtcp_port, Some(5003));
        assert!(video.rtcp_mux);
        assert_eq!(sdp.direction_for(video), Direction::Inactive);
        assert!(sdp.problems.is_empty());
    }

    #[test]
    fn port_counts_and_t38_decode() {
        let sdp = parse(b"v=0\nm=image 16756/2 udptl t38\nc=IN IP4 224.2.1.1/127\n").unwrap();
        let m = &sdp.media[0];
        assert_eq!((m.port, m.port_count), (16756, Some(2)));
        assert!(!m.is_rtp());
        assert_eq!(m.connection.as_ref().unwrap().address, "224.2.1.1");
    }

    #[test]
    fn bad_lines_are_problems_not_errors() {
        let sdp = parse(b"v=0\r\nm=audio x RTP/AVP 0\r\na=rtpmap:zz\r\njunk\r\n").unwrap();
        assert!(sdp.media.is_empty());
        assert_eq!(sdp.problems.len(), 2);
    }

    #[test]
    fn not_sdp_is_an_error() {
        assert_eq!(parse(b"hello"), Err(SdpError::NoVersion));
        assert_eq!(parse(b""), Err(SdpError::NoVersion));
    }

    #[test]
    fn static_payload_types_have_clock_rates() {
        assert_eq!(static_payload(8), Some(("PCMA", 8000)));
        assert_eq!(static_payload(9), Some(("G722", 8000)));
        assert_eq!(static_payload(96), None);
    }
}
