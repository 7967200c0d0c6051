//! Ladder data: one arrow per message (frame, time, sender, receiver, label), exactly what a
//! ladder diagram needs, for calls and the other exchanges alike.

use std::net::SocketAddr;

use callscope_wire::sip::{Message, StartLine};

use super::details::Details;
use super::report::LadderMessage;
use super::Seen;
use crate::flows::Transport;
use crate::protocols::FinishContext;

/// A ladder arrow before times are made relative.
#[derive(Debug, Clone)]
pub struct Arrow {
    /// Frame.
    pub frame: u64,
    /// Capture time, ns.
    pub ts_ns: i64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// See [`label`].
    pub label: String,
    /// Request method.
    pub method: Option<String>,
    /// Response status.
    pub status: Option<u16>,
    /// `1 INVITE`.
    pub cseq: String,
    /// `udp` or `tcp`.
    pub transport: Transport,
    /// Resent, as tshark says.
    pub retransmission: bool,
    /// Carries SDP.
    pub sdp: bool,
    /// Start line and main header fields, attached by the analyzer while its budget lasts.
    pub details: Option<Details>,
}

impl Arrow {
    /// The arrow for a message.
    pub fn new(seen: &Seen<'_>, msg: &Message<'_>) -> Arrow {
        Arrow {
            frame: seen.frame,
            ts_ns: seen.ts_ns,
            src: seen.src,
            dst: seen.dst,
            label: label(msg, seen.sdp.is_some()),
            method: msg.method().map(str::to_owned),
            status: msg.status(),
            cseq: msg
                .cseq
                .as_ref()
                .map(|c| format!("{} {}", c.seq, c.method))
                .unwrap_or_default(),
            transport: seen.transport,
            retransmission: seen.resent,
            sdp: seen.sdp.is_some(),
            details: None,
        }
    }

    /// The report's arrow (the arrow is used up: its strings move into the report).
    pub fn into_report(self, ctx: &FinishContext) -> LadderMessage {
        let (start_line, headers) = self
            .details
            .map(|d| (d.start_line, d.headers))
            .unwrap_or_default();
        LadderMessage {
            frame: self.frame,
            time: ctx.rel(self.ts_ns),
            src: crate::addr::Socket(self.src),
            dst: crate::addr::Socket(self.dst),
            label: self.label,
            method: self.method,
            status: self.status,
            cseq: self.cseq,
            transport: self.transport,
            retransmission: self.retransmission,
            sdp: self.sdp,
            start_line,
            headers,
        }
    }
}

/// A ladder label: `INVITE (SDP)`, `180 Ringing`, `200 OK (SDP)`.
pub fn label(msg: &Message<'_>, sdp: bool) -> String {
    let base = match &msg.start {
        StartLine::Request { method, .. } => method.clone(),
        StartLine::Response { code, reason } if reason.is_empty() => {
            format!("{code} {}", default_reason(*code))
        }
        StartLine::Response { code, reason } => format!("{code} {reason}"),
    };
    if sdp {
        format!("{base} (SDP)")
    } else {
        base
    }
}

/// RFC 3261 §21 reason phrases for senders that leave them out.
fn default_reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => "",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_message_and_its_sdp() {
        let m = callscope_wire::sip::parse(b"SIP/2.0 200 OK\r\nCall-ID: a\r\n\r\n").unwrap();
        assert_eq!(label(&m, true), "200 OK (SDP)");
        let m = callscope_wire::sip::parse(b"SIP/2.0 486\r\nCall-ID: a\r\n\r\n").unwrap();
        assert_eq!(label(&m, false), "486 Busy Here");
        let m = callscope_wire::sip::parse(b"BYE sip:a@b SIP/2.0\r\n\r\n").unwrap();
        assert_eq!(label(&m, false), "BYE");
    }
}
