//! Retransmission detection as tshark 4.0 does it (`sip_is_packet_resend` in packet-sip.c), so
//! that `sip.resent` equals `-z sip,stat`'s "resent SIP messages".
//!
//! Per Call-ID and directed address/port pair, remember the last CSeq number, its method, and
//! whether a request, a provisional or a final response was seen for it. Over UDP only:
//! - a request is resent when it repeats the remembered CSeq and method right after a request
//!   (ACK and CANCEL never count);
//! - a final response is resent when it repeats the remembered CSeq, method and status after a
//!   final response.
//!
//! A new CSeq number resets the entry. Bounded: past `max` entries no new pair is remembered
//! (and nothing on it is flagged), counted in `dropped`.

use crate::FastMap;
use std::net::SocketAddr;

/// What was last seen for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Nothing,
    Request,
    Provisional,
    Final(u16),
}

#[derive(Debug)]
struct Entry {
    cseq: u32,
    method: String,
    seen: Seen,
}

/// A message as the detector needs it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// Call-ID.
    pub call_id: &'a str,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// CSeq number.
    pub cseq: u32,
    /// CSeq method.
    pub method: &'a str,
    /// `None` for a request, the status for a response.
    pub status: Option<u16>,
}

/// The detector's memory.
#[derive(Debug)]
pub struct Resend {
    entries: FastMap<(String, SocketAddr, SocketAddr), Entry>,
    max: usize,
    /// Keys not remembered because the table was full.
    pub dropped: u64,
    /// The Call-ID of the key being looked up, in a buffer kept from one message to the next
    /// (a new `String` per message was most of this step's work).
    call_id: String,
}

impl Resend {
    /// A detector remembering at most `max` keys.
    pub fn new(max: usize) -> Self {
        Resend {
            entries: FastMap::default(),
            max,
            dropped: 0,
            call_id: String::new(),
        }
    }

    /// Whether `m` (carried over UDP) is a resend; updates the memory.
    pub fn observe(&mut self, m: Observed<'_>) -> bool {
        let mut key = (std::mem::take(&mut self.call_id), m.src, m.dst);
        key.0.clear();
        key.0.push_str(m.call_id);
        if let Some(entry) = self.entries.get_mut(&key) {
            self.call_id = key.0;
            return entry.update(&m);
        }
        if self.entries.len() >= self.max {
            self.dropped += 1;
            self.call_id = key.0;
            return false;
        }
        self.entries
            .entry(key)
            .or_insert(Entry {
                cseq: m.cseq,
                method: m.method.to_owned(),
                seen: Seen::Nothing,
            })
            .update(&m)
    }
}

impl Entry {
    /// Whether `m` is a resend of what this key saw last; remembers `m`.
    fn update(&mut self, m: &Observed<'_>) -> bool {
        if self.cseq != m.cseq {
            self.cseq = m.cseq;
            self.method = m.method.to_owned();
            self.seen = Seen::Nothing;
        }
        let same = self.method == m.method;
        let resent = match m.status {
            None => same && self.seen == Seen::Request && m.method != "ACK" && m.method != "CANCEL",
            Some(code) => same && code >= 200 && self.seen == Seen::Final(code),
        };
        self.seen = match m.status {
            None => Seen::Request,
            Some(code) if code >= 200 => Seen::Final(code),
            Some(_) => Seen::Provisional,
        };
        resent
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn obs(
        src: &str,
        dst: &str,
        cseq: u32,
        method: &'static str,
        status: Option<u16>,
    ) -> Observed<'static> {
        Observed {
            call_id: "c",
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            cseq,
            method,
            status,
        }
    }

    const A: &str = "10.0.0.1:5060";
    const B: &str = "10.0.0.2:5060";

    #[test]
    fn a_repeated_request_is_a_resend() {
        let mut r = Resend::new(16);
        assert!(!r.observe(obs(A, B, 1, "INVITE", None)));
        assert!(r.observe(obs(A, B, 1, "INVITE", None)));
        assert!(r.observe(obs(A, B, 1, "INVITE", None)));
    }

    #[test]
    fn ack_cancel_and_a_new_cseq_are_not() {
        let mut r = Resend::new(16);
        assert!(!r.observe(obs(A, B, 1, "INVITE", None)));
        assert!(!r.observe(obs(A, B, 1, "CANCEL", None)));
        assert!(!r.observe(obs(A, B, 1, "CANCEL", None)));
        assert!(!r.observe(obs(A, B, 1, "ACK", None)));
        assert!(!r.observe(obs(A, B, 2, "INVITE", None)));
    }

    #[test]
    fn a_repeated_final_response_is_a_resend_but_provisionals_are_not() {
        let mut r = Resend::new(16);
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(100))));
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(100))));
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(200))));
        assert!(r.observe(obs(B, A, 1, "INVITE", Some(200))));
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(481))));
    }

    #[test]
    fn a_full_table_flags_nothing_new() {
        let mut r = Resend::new(1);
        assert!(!r.observe(obs(A, B, 1, "INVITE", None)));
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(200))));
        assert!(!r.observe(obs(B, A, 1, "INVITE", Some(200))));
        assert_eq!(r.dropped, 2);
    }
}
