//! DNS messages (RFC 1035 §4.1; mDNS RFC 6762 and LLMNR RFC 4795 share the format), decoded by
//! the `simple-dns` crate into the few values that name addresses: the questions asked and the
//! A/AAAA/CNAME/SRV/NAPTR/PTR answers. Header fields are read here, so that a message whose
//! sections do not decode still says who asked what and with which response code.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::RData;
use simple_dns::Packet;

use crate::bytes::be16;

/// The fixed header's length (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;

/// A decoded DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Transaction id, matching a response to its query.
    pub id: u16,
    /// QR: a response.
    pub response: bool,
    /// RCODE (RFC 1035 §4.1.1; 3 is NXDOMAIN). The extended bits of EDNS are not added.
    pub rcode: u8,
    /// TC: the response was cut to fit (the client retries over TCP).
    pub truncated: bool,
    /// The questions.
    pub questions: Vec<Question>,
    /// The answer section's records this crate names; others are skipped.
    pub answers: Vec<Answer>,
    /// Whether the sections decoded (false: only the header and this flag are known).
    pub sections_decoded: bool,
}

/// A question: a name and the record type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name, without its final dot.
    pub name: String,
    /// QTYPE (1 A, 28 AAAA, 5 CNAME, 33 SRV, 35 NAPTR, 12 PTR, 65 HTTPS, …).
    pub qtype: u16,
}

/// An answer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The owner name, without its final dot.
    pub name: String,
    /// Seconds it may be cached.
    pub ttl: u32,
    /// What it says.
    pub data: AnswerData,
}

/// What an answer record says, for the types that name things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerData {
    /// A or AAAA (RFC 1035 §3.4.1, RFC 3596): the name's address.
    Address(IpAddr),
    /// CNAME (RFC 1035 §3.3.1): the name is an alias of this one.
    Alias(String),
    /// SRV (RFC 2782): a service at this host and port.
    Service {
        /// Target host.
        target: String,
        /// Port.
        port: u16,
    },
    /// NAPTR (RFC 3403 §4.1): services (`SIP+D2U`, `x-3gpp-ims:…`) and the name to look up next.
    Naptr {
        /// The services field.
        services: String,
        /// The replacement name (empty when a regexp is used instead).
        replacement: String,
    },
    /// PTR (RFC 1035 §3.3.12): the name an address (or service) points to.
    Pointer(String),
}

/// Whether a payload can be a DNS message: a full header, a standard query, notify or update
/// opcode (RFC 6895 §2.2), and section counts the payload could hold (a question is at least 5
/// bytes, a record at least 11).
pub fn looks_like(payload: &[u8]) -> bool {
    let (Some(flags), Some(qd), Some(an), Some(ns), Some(ar)) = (
        be16(payload, 2),
        be16(payload, 4),
        be16(payload, 6),
        be16(payload, 8),
        be16(payload, 10),
    ) else {
        return false;
    };
    let opcode = (flags >> 11) & 0xf;
    let room = payload.len() - HEADER_LEN;
    let records = usize::from(an) + usize::from(ns) + usize::from(ar);
    matches!(opcode, 0 | 4 | 5) && usize::from(qd) * 5 + records * 11 <= room
}

/// Decodes a DNS message. `None` when the header is missing or implausible ([`looks_like`]);
/// a message whose sections do not decode keeps its header with `sections_decoded` false.
pub fn parse(payload: &[u8]) -> Option<Message> {
    if !looks_like(payload) {
        return None;
    }
    let flags = be16(payload, 2)?;
    let mut message = Message {
        id: be16(payload, 0)?,
        response: flags & 0x8000 != 0,
        rcode: (flags & 0xf) as u8,
        truncated: flags & 0x0200 != 0,
        questions: Vec::new(),
        answers: Vec::new(),
        sections_decoded: false,
    };
    if let Ok(packet) = Packet::parse(payload) {
        message.questions = packet
            .questions
            .iter()
            .map(|q| Question {
                name: name_text(&q.qname.to_string()),
                qtype: u16::from(q.qtype),
            })
            .collect();
        message.answers = packet
            .answers
            .iter()
            .filter_map(|rr| {
                answer_data(&rr.rdata).map(|data| Answer {
                    name: name_text(&rr.name.to_string()),
                    ttl: rr.ttl,
                    data,
                })
            })
            .collect();
        message.sections_decoded = true;
    }
    Some(message)
}

fn answer_data(rdata: &RData<'_>) -> Option<AnswerData> {
    Some(match rdata {
        RData::A(a) => AnswerData::Address(IpAddr::V4(Ipv4Addr::from(a.address))),
        RData::AAAA(a) => AnswerData::Address(IpAddr::V6(Ipv6Addr::from(a.address))),
        RData::CNAME(c) => AnswerData::Alias(name_text(&c.0.to_string())),
        RData::SRV(s) => AnswerData::Service {
            target: name_text(&s.target.to_string()),
            port: s.port,
        },
        RData::NAPTR(n) => AnswerData::Naptr {
            services: String::try_from(n.services.clone())
                .map(|s| text(&s))
                .unwrap_or_default(),
            replacement: name_text(&n.replacement.to_string()),
        },
        RData::PTR(p) => AnswerData::Pointer(name_text(&p.0.to_string())),
        _ => return None,
    })
}

/// A name as shown: without the root's final dot.
fn name_text(name: &str) -> String {
    text(name.strip_suffix('.').unwrap_or(name))
}

/// Labels may hold any byte (RFC 2181 §11): control characters become U+FFFD, so a name never
/// carries terminal escapes.
fn text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// DNS over TCP (RFC 1035 §4.2.2; RFC 7766): each message is preceded by its two-byte length.
/// Returns the complete messages at the start of `stream` and the bytes they took.
pub fn split_tcp(stream: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut messages = Vec::new();
    let mut at = 0;
    while let Some(len) = be16(stream, at) {
        let start = at + 2;
        let Some(message) = stream.get(start..start + usize::from(len)) else {
            break;
        };
        messages.push(message);
        at = start + usize::from(len);
    }
    (messages, at)
}

/// The mnemonic of a response code (RFC 6895 §2.3).
pub fn rcode_name(rcode: u8) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        _ => "RCODE?",
    }
}

/// The mnemonic of a record type (RFC 6895 §3.1), for the types callscope shows.
pub fn type_name(qtype: u16) -> &'static str {
    match qtype {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        15 => "MX",
        16 => "TXT",
        28 => "AAAA",
        33 => "SRV",
        35 => "NAPTR",
        64 => "SVCB",
        65 => "HTTPS",
        255 => "ANY",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use simple_dns::rdata::{A, AAAA, CNAME, NAPTR, SRV};
    use simple_dns::{
        CharacterString, Name, PacketFlag, ResourceRecord, CLASS, QCLASS, QTYPE, TYPE,
    };

    fn query(name: &str, ty: TYPE) -> Vec<u8> {
        let mut p = Packet::new_query(0x1234);
        p.questions.push(simple_dns::Question::new(
            Name::new_unchecked(name),
            QTYPE::TYPE(ty),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        p.build_bytes_vec().unwrap()
    }

    fn reply(name: &str, answers: Vec<ResourceRecord<'static>>) -> Vec<u8> {
        let mut p = Packet::new_reply(0x1234);
        p.questions.push(simple_dns::Question::new(
            Name::new_unchecked(name),
            QTYPE::TYPE(TYPE::A),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        p.answers = answers;
        p.build_bytes_vec_compressed().unwrap()
    }

    fn rr(name: &'static str, rdata: RData<'static>) -> ResourceRecord<'static> {
        ResourceRecord::new(Name::new_unchecked(name), CLASS::IN, 300, rdata)
    }

    #[test]
    fn a_query_names_its_question() {
        let m = parse(&query(
            "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org",
            TYPE::A,
        ))
        .unwrap();
        assert_eq!(m.id, 0x1234);
        assert!(!m.response);
        assert_eq!(
            m.questions,
            vec![Question {
                name: "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org".into(),
                qtype: 1
            }]
        );
        assert!(m.answers.is_empty());
    }

    #[test]
    fn a_response_gives_the_naming_records_and_skips_the_rest() {
        let bytes = reply(
            "www.example.com",
            vec![
                rr(
                    "www.example.com",
                    RData::CNAME(CNAME(Name::new_unchecked("edge.example.net"))),
                ),
                rr(
                    "edge.example.net",
                    RData::A(A {
                        address: 0xc000_0207,
                    }),
                ),
                rr(
                    "edge.example.net",
                    RData::AAAA(AAAA {
                        address: 0x2001_0db8_0000_0000_0000_0000_0000_0001,
                    }),
                ),
                rr(
                    "_sip._udp.ims.example",
                    RData::SRV(SRV {
                        priority: 1,
                        weight: 1,
                        port: 5060,
                        target: Name::new_unchecked("pcscf.ims.example"),
                    }),
                ),
                rr(
                    "ims.example",
                    RData::NAPTR(NAPTR {
                        order: 10,
                        preference: 10,
                        flags: CharacterString::new(b"s").unwrap(),
                        services: CharacterString::new(b"SIP+D2U").unwrap(),
                        regexp: CharacterString::new(b"").unwrap(),
                        replacement: Name::new_unchecked("_sip._udp.ims.example"),
                    }),
                ),
                rr(
                    "x.example",
                    RData::TXT(simple_dns::rdata::TXT::new().with_string("hi").unwrap()),
                ),
            ],
        );
        let m = parse(&bytes).unwrap();
        assert!(m.response && m.sections_decoded);
        assert_eq!(m.rcode, 0);
        let data: Vec<_> = m.answers.iter().map(|a| a.data.clone()).collect();
        assert_eq!(
            data,
            vec![
                AnswerData::Alias("edge.example.net".into()),
                AnswerData::Address("192.0.2.7".parse().unwrap()),
                AnswerData::Address("2001:db8::1".parse().unwrap()),
                AnswerData::Service {
                    target: "pcscf.ims.example".into(),
                    port: 5060
                },
                AnswerData::Naptr {
                    services: "SIP+D2U".into(),
                    replacement: "_sip._udp.ims.example".into()
                },
            ]
        );
        assert_eq!(m.answers[1].name, "edge.example.net");
        assert_eq!(m.answers[1].ttl, 300);
    }

    #[test]
    fn an_error_response_keeps_its_code() {
        let mut p = Packet::new_reply(7);
        *p.rcode_mut() = simple_dns::RCODE::NameError;
        p.set_flags(PacketFlag::RESPONSE);
        let m = parse(&p.build_bytes_vec().unwrap()).unwrap();
        assert_eq!((m.rcode, rcode_name(m.rcode)), (3, "NXDOMAIN"));
    }

    #[test]
    fn undecodable_sections_keep_the_header() {
        let mut bytes = query("example.com", TYPE::A);
        bytes.truncate(bytes.len() - 3);
        let m = parse(&bytes).unwrap();
        assert!(!m.sections_decoded);
        assert_eq!(m.id, 0x1234);
    }

    #[test]
    fn implausible_headers_are_not_dns() {
        assert!(parse(&[0; 11]).is_none());
        let mut claims_too_much = query("example.com", TYPE::A);
        claims_too_much[6] = 0xff; // 65,280 answers in a few bytes
        assert!(!looks_like(&claims_too_much));
        assert!(!looks_like(b"INVITE sip:bob@example.com SIP/2.0\r\n"));
    }

    #[test]
    fn control_characters_in_names_are_replaced() {
        let m = parse(&query("a\u{1b}[2J.example", TYPE::A)).unwrap();
        assert_eq!(m.questions[0].name, "a\u{fffd}[2J.example");
    }

    #[test]
    fn tcp_messages_are_split_on_their_length_prefix() {
        let q = query("example.com", TYPE::A);
        let mut stream = Vec::new();
        for _ in 0..2 {
            stream.extend_from_slice(&(q.len() as u16).to_be_bytes());
            stream.extend_from_slice(&q);
        }
        stream.extend_from_slice(&[0, 40, 1, 2]);
        let (messages, used) = split_tcp(&stream);
        assert_eq!(messages, vec![&q[..], &q[..]]);
        assert_eq!(used, 2 * (q.len() + 2));
    }
}
