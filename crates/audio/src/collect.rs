//! The second pass: reads the capture again and keeps, per requested stream, its RTP packets
//! (header fields and payload) with their arrival times. Nothing else is kept, and no more than
//! the audio bound allows.

use std::collections::HashMap;
use std::net::SocketAddr;

use callscope_wire::link;
use callscope_wire::net::{self, Network, Transport};
use callscope_wire::rtp::Packet as RtpPacket;
use callscope_wire::stun::channel_data_lax;
use callscope_wire::{ReadError, Reader};

use crate::request::Request;

/// Seconds of packets kept past the bound (a late packet may still play inside it).
const SLACK_SECONDS: f64 = 2.0;
/// Payload bytes kept at most, whatever the bound in time: an hour of G.711 both ways is 58 MB,
/// and a capture can claim a million packets in a second.
pub const MAX_PAYLOAD_BYTES: usize = 128 << 20;

/// One RTP packet of a stream.
#[derive(Debug, Clone)]
pub struct Received {
    /// Arrival, ms since the capture's first frame.
    pub arrival_ms: f64,
    /// Its frame number.
    pub frame: u64,
    pub seq: u16,
    pub timestamp: u32,
    pub pt: u8,
    pub marker: bool,
    pub payload: Vec<u8>,
}

/// Where a requested stream's packets go: (channel, track, SSRC).
type Target = (usize, usize, u32);

/// The packets of each requested stream, by (channel, track).
pub struct Collector {
    reader: Reader,
    /// (source, destination) → (channel, track, SSRC) of the requested streams on it.
    wanted: HashMap<(SocketAddr, SocketAddr), Vec<Target>>,
    /// Per channel, per track.
    pub received: Vec<Vec<Vec<Received>>>,
    origin_ns: Option<i64>,
    /// Arrival of the first requested packet (ms), where the bound starts.
    first_ms: Option<f64>,
    max_ms: f64,
    /// Packets past the bound in time, not kept.
    pub beyond_time: u64,
    /// Packets past [`MAX_PAYLOAD_BYTES`], not kept.
    pub beyond_bytes: u64,
    /// Payload bytes kept.
    kept_bytes: usize,
    /// Frames read.
    pub frames: u64,
}

impl Collector {
    /// A collector for `request`'s streams.
    pub fn new(request: &Request) -> Collector {
        let mut wanted: HashMap<_, Vec<_>> = HashMap::new();
        let received = request
            .channels
            .iter()
            .enumerate()
            .map(|(c, ch)| {
                for (t, track) in ch.tracks.iter().enumerate() {
                    wanted
                        .entry((track.src, track.dst))
                        .or_default()
                        .push((c, t, track.ssrc));
                }
                vec![Vec::new(); ch.tracks.len()]
            })
            .collect();
        Collector {
            reader: Reader::new(),
            wanted,
            received,
            origin_ns: None,
            first_ms: None,
            max_ms: (request.max_seconds.max(0.0) + SLACK_SECONDS) * 1000.0,
            beyond_time: 0,
            beyond_bytes: 0,
            kept_bytes: 0,
            frames: 0,
        }
    }

    /// Reads the next bytes of the capture.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ReadError> {
        let Collector {
            reader,
            wanted,
            received,
            origin_ns,
            first_ms,
            max_ms,
            beyond_time,
            beyond_bytes,
            kept_bytes,
            frames,
        } = self;
        reader.push(chunk, &mut |frame| {
            *frames += 1;
            let origin = *origin_ns.get_or_insert(frame.ts_ns);
            let Some((src, dst, payload)) = udp(frame.link_type, frame.data) else {
                return;
            };
            let Some(targets) = wanted.get(&(src, dst)) else {
                return;
            };
            // RTP relayed by TURN arrives as ChannelData (RFC 8656 §12.4, first bits 01).
            let payload = match payload.first() {
                Some(b) if b >> 6 == 1 => channel_data_lax(payload).unwrap_or_default(),
                _ => payload,
            };
            let Ok(rtp) = RtpPacket::new_checked(payload) else {
                return;
            };
            let Some(&(c, t, _)) = targets.iter().find(|(_, _, s)| *s == rtp.ssrc()) else {
                return;
            };
            let arrival_ms = frame.ts_ns.saturating_sub(origin) as f64 / 1e6;
            let first = *first_ms.get_or_insert(arrival_ms);
            if arrival_ms - first > *max_ms {
                *beyond_time += 1;
                return;
            }
            if *kept_bytes + rtp.payload().len() > MAX_PAYLOAD_BYTES {
                *beyond_bytes += 1;
                return;
            }
            *kept_bytes += rtp.payload().len();
            received[c][t].push(Received {
                arrival_ms,
                frame: frame.index,
                seq: rtp.sequence(),
                timestamp: rtp.timestamp(),
                pt: rtp.payload_type(),
                marker: rtp.marker(),
                payload: rtp.payload().to_vec(),
            });
        })
    }

    /// Ends reading; says how it ended (a capture cut short still gives what was read).
    pub fn finish(&mut self) -> callscope_wire::capture::Ending {
        self.reader.finish()
    }
}

/// The addresses and payload of a UDP datagram (first fragments and whole datagrams only).
fn udp(link_type: u32, data: &[u8]) -> Option<(SocketAddr, SocketAddr, &[u8])> {
    let link = link::decode(link_type, data).ok()?;
    let Ok(Network::Ip(ip)) = net::decode_network(link.next, link.payload) else {
        return None;
    };
    if ip.fragment.is_some() {
        return None;
    }
    match net::decode_transport(ip.protocol, ip.payload).ok()? {
        Transport::Udp {
            src_port,
            dst_port,
            payload,
        } => Some((
            SocketAddr::new(ip.src, src_port),
            SocketAddr::new(ip.dst, dst_port),
            payload,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Channel, PayloadType, Track};
    use callscope_wire::testing::{ethernet, ip_udp, Pcap};

    fn rtp(seq: u16) -> Vec<u8> {
        let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7];
        p[2..4].copy_from_slice(&seq.to_be_bytes());
        p[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        p.extend([0xff; 160]);
        p
    }

    /// RTP relayed by TURN (ChannelData on channel 0x4001) is collected like plain RTP, and
    /// packets of other SSRCs or flows are not.
    #[test]
    fn channel_data_and_plain_rtp_are_collected() {
        let (a, b) = (
            "10.0.0.1:40000"
                .parse()
                .unwrap_or(SocketAddr::from(([0; 4], 0))),
            "10.0.0.2:3478"
                .parse()
                .unwrap_or(SocketAddr::from(([0; 4], 0))),
        );
        let mut pcap = Pcap::new(1);
        for seq in 0..3u16 {
            let mut cd = vec![0x40, 0x01];
            let inner = rtp(seq);
            cd.extend((inner.len() as u16).to_be_bytes());
            cd.extend(inner);
            pcap.record(i64::from(seq) * 20_000, &ethernet(&ip_udp(a, b, &cd)));
        }
        pcap.record(60_000, &ethernet(&ip_udp(a, b, &rtp(3))));
        let mut other = rtp(4);
        other[11] = 8; // another SSRC
        pcap.record(80_000, &ethernet(&ip_udp(a, b, &other)));
        pcap.record(90_000, &ethernet(&ip_udp(b, a, &rtp(5))));
        let request = Request::new(vec![Channel {
            label: "a".into(),
            tracks: vec![Track {
                src: a,
                dst: b,
                ssrc: 7,
                payload_types: vec![PayloadType {
                    pt: 0,
                    name: "PCMU".into(),
                    clock: 8000,
                }],
                srtp: false,
            }],
        }]);
        let mut c = Collector::new(&request);
        c.feed(pcap.bytes()).unwrap_or_default();
        let got: Vec<(u16, f64, usize)> = c.received[0][0]
            .iter()
            .map(|r| (r.seq, r.arrival_ms, r.payload.len()))
            .collect();
        assert_eq!(
            got,
            [
                (0, 0.0, 160),
                (1, 20.0, 160),
                (2, 40.0, 160),
                (3, 60.0, 160)
            ]
        );
        assert_eq!(c.frames, 6);
    }
}
