//! SDP in calls: offer/answer roles (RFC 3264 §4–§6), the report's view of each description, and
//! the media endpoints published in [`Shared::media`] for the RTP analyzer.

use std::net::{IpAddr, SocketAddr};

use callscope_wire::sdp::{self, Sdp};

use super::report::{Codec, SdpMedia};
use crate::protocols::{MediaExpectation, RtpMap, Shared};

/// Tracks which SDP answers which, per call (RFC 3264, RFC 6337 §2): an SDP in an INVITE or
/// UPDATE is an offer, answered by the SDP in a response of the same transaction (same top Via
/// branch and CSeq); a response with SDP to a request without one (an offerless INVITE) is an
/// offer, answered by the ACK or PRACK. A response repeating its transaction's answer (a 200
/// after a reliable 183) is still an answer. Keying by transaction, not by address, keeps the
/// legs apart when a proxy or B2BUA forwards the same call over one address pair.
#[derive(Debug, Default)]
pub struct OfferAnswer {
    /// Offers in requests waiting for their answer: (branch, CSeq number).
    in_requests: Vec<(String, u32)>,
    /// Transactions whose offer was answered.
    answered: Vec<(String, u32)>,
    /// Offers in responses waiting for the ACK/PRACK: CSeq number.
    in_responses: Vec<u32>,
}

/// Most outstanding offers remembered per call.
const MAX_PENDING: usize = 16;

fn push_bounded<T>(list: &mut Vec<T>, item: T) {
    if list.len() >= MAX_PENDING {
        list.remove(0);
    }
    list.push(item);
}

impl OfferAnswer {
    /// The role of an SDP in a request (`method` set) or a response (`method` None), in the
    /// transaction with top Via `branch` and CSeq number `cseq`.
    pub fn role(&mut self, method: Option<&str>, branch: &str, cseq: u32) -> &'static str {
        let key = (branch.to_owned(), cseq);
        match method {
            Some("ACK") => {
                if let Some(i) = self.in_responses.iter().position(|&c| c == cseq) {
                    self.in_responses.remove(i);
                }
                "answer"
            }
            Some("PRACK") => {
                // PRACK has its own CSeq; RAck names the response. The oldest offer is the one.
                if !self.in_responses.is_empty() {
                    self.in_responses.remove(0);
                }
                "answer"
            }
            Some(_) => {
                push_bounded(&mut self.in_requests, key);
                "offer"
            }
            None => {
                if let Some(i) = self.in_requests.iter().position(|k| *k == key) {
                    self.in_requests.remove(i);
                    push_bounded(&mut self.answered, key);
                    "answer"
                } else if self.answered.contains(&key) {
                    "answer"
                } else {
                    push_bounded(&mut self.in_responses, cseq);
                    "offer"
                }
            }
        }
    }
}

/// The payload types of an RTP media section with names and clock rates: `a=rtpmap`, else
/// RFC 3551's static table.
pub fn codecs(m: &sdp::Media) -> Vec<Codec> {
    if !m.is_rtp() {
        return Vec::new();
    }
    m.formats
        .iter()
        .filter_map(|f| f.parse::<u8>().ok())
        .map(|pt| match m.rtpmap.iter().find(|r| r.pt == pt) {
            Some(r) => Codec {
                pt,
                name: r.encoding.clone(),
                clock: r.clock,
                channels: r.channels,
            },
            None => {
                let (name, clock) = sdp::static_payload(pt).unwrap_or(("", 0));
                Codec {
                    pt,
                    name: name.to_owned(),
                    clock,
                    channels: None,
                }
            }
        })
        .collect()
}

/// The report's view of each `m=` section.
pub fn media_report(s: &Sdp) -> Vec<SdpMedia> {
    s.media
        .iter()
        .map(|m| SdpMedia {
            media: m.media.clone(),
            address: s.connection_for(m).map(|c| c.address.clone()),
            port: m.port,
            port_count: m.port_count,
            proto: m.proto.clone(),
            formats: m.formats.clone(),
            codecs: codecs(m),
            rtcp_port: m.rtcp_port,
            rtcp_mux: m.rtcp_mux,
            direction: s.direction_for(m).name().to_owned(),
            ptime: m.ptime,
        })
        .collect()
}

/// Publishes the media endpoints of `s` (connection address + port, port not 0, address not
/// unspecified): RTP profiles, and `image` (T.38 over UDPTL) so that the RTP analyzer knows a
/// port moved away from RTP after a re-INVITE, as tshark does. `call_id` is the SIP call's;
/// without one (a gateway controller's H.248), an endpoint keeps the call it had. Returns how
/// many could not be published (table full).
pub fn publish(s: &Sdp, call_id: Option<&str>, frame: u64, shared: &mut Shared, max: usize) -> u64 {
    let mut dropped = 0;
    for m in s
        .media
        .iter()
        .filter(|m| (m.is_rtp() || m.media == "image") && m.port != 0)
    {
        let Some(ip) = s.connection_for(m).and_then(|c| c.ip()) else {
            continue;
        };
        if ip.is_unspecified() {
            continue;
        }
        let addr = SocketAddr::new(unmap(ip), m.port);
        if !shared.media.contains_key(&addr) && shared.media.len() >= max {
            dropped += 1;
            continue;
        }
        let rtpmap = codecs(m)
            .into_iter()
            .filter(|c| c.clock != 0)
            .map(|c| RtpMap {
                pt: c.pt,
                codec: c.name,
                clock: c.clock,
            })
            .collect();
        let call_id = match (call_id, shared.media.get(&addr)) {
            (Some(id), _) => id.to_owned(),
            (None, Some(known)) => known.call_id.clone(),
            (None, None) => String::new(),
        };
        shared.media.insert(
            addr,
            MediaExpectation {
                call_id,
                frame,
                media: m.media.clone(),
                rtpmap,
                rtcp_mux: m.rtcp_mux,
            },
        );
    }
    dropped
}

/// IPv4-mapped IPv6 addresses as IPv4, as packets carry them.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_offer_in_a_request_is_answered_in_its_responses() {
        let mut oa = OfferAnswer::default();
        assert_eq!(oa.role(Some("INVITE"), "z9hG4bK1", 1), "offer");
        assert_eq!(oa.role(None, "z9hG4bK1", 1), "answer", "183");
        assert_eq!(
            oa.role(None, "z9hG4bK1", 1),
            "answer",
            "200 repeating the 183's answer"
        );
        assert_eq!(oa.role(Some("INVITE"), "z9hG4bK5", 5), "offer", "re-INVITE");
        assert_eq!(oa.role(None, "z9hG4bK5", 5), "answer");
    }

    #[test]
    fn an_offerless_invite_gets_its_answer_in_the_ack() {
        let mut oa = OfferAnswer::default();
        assert_eq!(oa.role(None, "z9hG4bK2", 20), "offer");
        assert_eq!(oa.role(Some("ACK"), "z9hG4bK3", 20), "answer");
    }

    #[test]
    fn two_legs_over_one_address_pair_stay_apart() {
        let mut oa = OfferAnswer::default();
        assert_eq!(oa.role(Some("INVITE"), "leg1", 1), "offer");
        assert_eq!(oa.role(Some("INVITE"), "leg2", 1), "offer");
        assert_eq!(oa.role(None, "leg2", 1), "answer");
        assert_eq!(oa.role(None, "leg1", 1), "answer");
    }

    #[test]
    fn rtp_media_is_published_with_codecs() {
        let s = sdp::parse(
            b"v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtcp-mux\r\nm=image 5000 udptl t38\r\nm=video 0 RTP/AVP 96\r\n",
        )
        .unwrap();
        let mut shared = Shared::default();
        assert_eq!(publish(&s, Some("cid"), 7, &mut shared, 10), 0);
        assert_eq!(shared.media.len(), 2);
        assert_eq!(shared.media[&addr("10.0.0.9:5000")].media, "image");
        let e = &shared.media[&addr("10.0.0.9:4000")];
        assert_eq!(e.call_id, "cid");
        assert!(e.rtcp_mux);
        assert_eq!(
            e.rtpmap,
            vec![
                RtpMap {
                    pt: 0,
                    codec: "PCMU".into(),
                    clock: 8000
                },
                RtpMap {
                    pt: 101,
                    codec: "telephone-event".into(),
                    clock: 8000
                }
            ]
        );
    }

    #[test]
    fn a_full_table_counts_what_it_drops() {
        let s = sdp::parse(b"v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 4000 RTP/AVP 0\r\n").unwrap();
        let mut shared = Shared::default();
        assert_eq!(publish(&s, Some("cid"), 7, &mut shared, 0), 1);
        assert!(shared.media.is_empty());
    }
}
