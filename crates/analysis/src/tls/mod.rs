//! TLS over TCP: what a connection's handshake says in the clear (RFC 8446 §4, RFC 5246 §7.4):
//! the server name and ALPN the client asked for, the version and ALPN the server chose, and for
//! TLS ≤ 1.2 the server certificate's subject and issuer. Names learned go to `names`.
//!
//! A stream is claimed when its first payload is a handshake record. Each direction's records are
//! cut from the in-order bytes ([`crate::partial`]) and their handshake fragments concatenated,
//! so a ClientHello or a certificate chain split across records and segments is read whole. A
//! direction stops being read at its ChangeCipherSpec (what follows is encrypted) and a
//! connection once its handshake has said all it will; a stream that stops framing as TLS is
//! given up and counted. QUIC on UDP 443: the ClientHello is read from the client's Initial
//! packets ([`quic`]).
//!
//! Bounded by the memory budget ([`crate::budget::TLS_SESSIONS`] connections reported,
//! [`crate::budget::TLS_HANDSHAKE_BYTES`] of handshake messages held over all connections), with
//! [`MAX_OPEN`] handshakes read at once and [`MAX_HANDSHAKE_BYTES`] per direction.

mod quic;
pub mod report;

use std::net::SocketAddr;

use callscope_wire::der;
use callscope_wire::tls::{
    self as wire_tls, content_type, first_certificate, split_handshakes, split_records,
    version_name, ClientHello, ServerHello, CERTIFICATE, CLIENT_HELLO, MAX_FRAGMENT_LEN,
    RECORD_HEADER_LEN, SERVER_HELLO,
};

use crate::partial::Partial;
use crate::protocols::{FinishContext, NameSeen, NameSource, Place, Protocol, Segment, Shared};
use crate::FastMap;
pub use report::TlsReport;
use report::TlsSession;

/// Connections whose handshake is being read at once; beyond, those past their ClientHello are
/// forgotten first.
pub const MAX_OPEN: usize = 4_096;
/// Handshake bytes kept per direction while a message completes (a certificate chain is a few
/// KiB; 64 KiB is generous).
pub const MAX_HANDSHAKE_BYTES: usize = 64 << 10;

/// One connection, by its two ends in the order of the pair key.
#[derive(Debug, Default)]
struct Connection {
    /// Its entry in the report, once a ClientHello named the client.
    session: Option<usize>,
    /// Handshake bytes per direction not yet cut into messages: [from the lower address, from
    /// the higher].
    pending: [Vec<u8>; 2],
    /// Per direction: past its ChangeCipherSpec, or given up.
    stopped: [bool; 2],
    /// Nothing more to learn.
    done: bool,
}

/// The TLS analyzer.
#[derive(Debug)]
pub struct TlsAnalyzer {
    /// Connections reported.
    max_sessions: usize,
    /// Handshake bytes held over all connections.
    max_pending: usize,
    /// Bytes in the connections' `pending`.
    pending_held: usize,
    report: TlsReport,
    start_ns: Vec<i64>,
    open: FastMap<(SocketAddr, SocketAddr), Connection>,
    records: Partial,
    names: Vec<NameSeen>,
    sessions_dropped: u64,
    /// QUIC connections whose ClientHello is being read, by (client, server).
    quic_open: FastMap<(SocketAddr, SocketAddr), quic::Hello>,
}

impl Default for TlsAnalyzer {
    fn default() -> Self {
        TlsAnalyzer::with_budget(crate::DEFAULT_BUDGET)
    }
}

/// The pair key (lower address first) and the direction of `src` in it.
fn key(src: SocketAddr, dst: SocketAddr) -> ((SocketAddr, SocketAddr), usize) {
    if src <= dst {
        ((src, dst), 0)
    } else {
        ((dst, src), 1)
    }
}

impl TlsAnalyzer {
    fn bytes(&mut self, seg: &Segment<'_>) {
        let (k, dir) = key(seg.src, seg.dst);
        if self.open.get(&k).is_some_and(|c| c.done || c.stopped[dir]) {
            return;
        }
        if !self.open.contains_key(&k) {
            if self.open.len() >= MAX_OPEN {
                self.make_room();
            }
            self.open.insert(k, Connection::default());
        }
        let Some(conn) = self.open.get_mut(&k) else {
            return;
        };
        let mut not_tls = false;
        let max_pending = self.max_pending;
        let held = &mut self.pending_held;
        let dropped = &mut self.report.handshake_bytes_dropped;
        self.records
            .push(seg.src, seg.dst, seg.payload, &mut |data| {
                let split = split_records(data);
                for r in &split.records {
                    match r.content_type {
                        content_type::HANDSHAKE if !conn.stopped[dir] => {
                            let room = MAX_HANDSHAKE_BYTES.saturating_sub(conn.pending[dir].len());
                            let shared_room = max_pending.saturating_sub(*held);
                            let take = r.fragment.len().min(room);
                            if take > shared_room {
                                *dropped += (take - shared_room) as u64;
                            }
                            let take = take.min(shared_room);
                            *held += take;
                            conn.pending[dir].extend_from_slice(&r.fragment[..take]);
                        }
                        content_type::CHANGE_CIPHER_SPEC => conn.stopped[dir] = true,
                        _ => {}
                    }
                }
                if split.error.is_some() {
                    not_tls = true;
                    return None;
                }
                Some(split.consumed)
            });
        if not_tls {
            conn.stopped[dir] = true;
            if conn.session.is_none() {
                self.report.not_tls += 1;
                conn.done = true;
            }
        }
        self.handshake(seg, k, dir);
    }

    /// Reports a connection by its ClientHello (sent `seg.src` → `seg.dst`) and names its
    /// server by the SNI; None when the table is full (counted).
    fn session(&mut self, seg: &Segment<'_>, hello: ClientHello, quic: bool) -> Option<usize> {
        if self.report.sessions.len() >= self.max_sessions {
            self.sessions_dropped += 1;
            return None;
        }
        // GREASE values (RFC 8701: 0x?a?a) are not versions.
        let offered = hello
            .versions
            .iter()
            .copied()
            .filter(|v| v & 0x0f0f != 0x0a0a)
            .max()
            .unwrap_or(hello.legacy_version);
        if let Some(sni) = &hello.server_name {
            self.names.push(NameSeen {
                addr: seg.dst.ip(),
                name: sni.clone(),
                source: NameSource::Sni,
                chain: Vec::new(),
                ts_ns: seg.ts_ns,
                frame: seg.frame,
            });
        }
        self.start_ns.push(seg.ts_ns);
        self.report.sessions.push(TlsSession {
            client: seg.src.into(),
            server: seg.dst.into(),
            sni: hello.server_name,
            alpn_offered: hello.alpn,
            version: version_name(offered).to_owned(),
            quic,
            frame: seg.frame,
            ..TlsSession::default()
        });
        Some(self.report.sessions.len() - 1)
    }

    /// Forgets connections to make room for a new one: first those done or past their
    /// ClientHello (what is left to learn of them is the server's side), then all.
    fn make_room(&mut self) {
        let mut forget: Vec<_> = self
            .open
            .iter()
            .filter(|(_, c)| c.done || c.session.is_some())
            .map(|(k, _)| *k)
            .collect();
        if self.open.len() - forget.len() >= MAX_OPEN {
            forget = self.open.keys().copied().collect();
        }
        for k in forget {
            if let Some(c) = self.open.remove(&k) {
                self.pending_held -= c.pending[0].len() + c.pending[1].len();
            }
            self.records.forget(k.0, k.1);
            self.records.forget(k.1, k.0);
        }
    }

    /// Reads the whole handshake messages waiting in one direction.
    fn handshake(&mut self, seg: &Segment<'_>, k: (SocketAddr, SocketAddr), dir: usize) {
        let Some(conn) = self.open.get_mut(&k) else {
            return;
        };
        let pending = std::mem::take(&mut conn.pending[dir]);
        self.pending_held -= pending.len();
        let (messages, used) = split_handshakes(&pending);
        for (msg_type, body) in messages {
            let Some(conn) = self.open.get_mut(&k) else {
                return;
            };
            match msg_type {
                CLIENT_HELLO if conn.session.is_none() => {
                    let Some(hello) = ClientHello::parse(body) else {
                        continue;
                    };
                    let session = self.session(seg, hello, false);
                    let Some(conn) = self.open.get_mut(&k) else {
                        return;
                    };
                    conn.session = session;
                    if session.is_none() {
                        conn.done = true;
                        break;
                    }
                }
                SERVER_HELLO => {
                    let (Some(i), Some(server)) = (conn.session, ServerHello::parse(body)) else {
                        continue;
                    };
                    let s = &mut self.report.sessions[i];
                    s.version = version_name(server.version).to_owned();
                    s.alpn = server.alpn;
                    // TLS 1.3 encrypts everything after the ServerHello (RFC 8446 §2).
                    if server.version >= 0x0304 {
                        conn.done = true;
                    }
                }
                CERTIFICATE => {
                    let Some(i) = conn.session else {
                        continue;
                    };
                    conn.done = true;
                    let Some(names) = first_certificate(body).and_then(der::certificate_names)
                    else {
                        continue;
                    };
                    let s = &mut self.report.sessions[i];
                    let mut named: Vec<String> = names.subject_common_name.into_iter().collect();
                    for n in names.dns_names {
                        if !named.contains(&n) {
                            named.push(n);
                        }
                    }
                    if let Some(first) = named.first() {
                        self.names.push(NameSeen {
                            addr: seg.src.ip(),
                            name: first.clone(),
                            source: NameSource::Certificate,
                            chain: Vec::new(),
                            ts_ns: seg.ts_ns,
                            frame: seg.frame,
                        });
                    }
                    s.certificate_subject = Some(names.subject);
                    s.certificate_issuer = Some(names.issuer);
                    s.certificate_names = named;
                }
                _ => {}
            }
        }
        if let Some(conn) = self.open.get_mut(&k) {
            if conn.done {
                self.pending_held -= conn.pending[0].len() + conn.pending[1].len();
                conn.pending = Default::default();
                self.records.forget(k.0, k.1);
                self.records.forget(k.1, k.0);
            } else if !conn.stopped[dir] {
                conn.pending[dir] = pending.get(used..).unwrap_or_default().to_vec();
                self.pending_held += conn.pending[dir].len();
            }
        }
    }
}

impl Protocol for TlsAnalyzer {
    fn with_budget(budget: usize) -> Self {
        TlsAnalyzer {
            max_sessions: crate::budget::TLS_SESSIONS.bound(budget),
            max_pending: crate::budget::TLS_HANDSHAKE_BYTES.bound(budget),
            pending_held: 0,
            report: TlsReport::default(),
            start_ns: Vec::new(),
            open: FastMap::default(),
            records: Partial::new(
                RECORD_HEADER_LEN + MAX_FRAGMENT_LEN,
                crate::budget::TLS_HANDSHAKE_BYTES.bound(budget),
                MAX_OPEN,
            ),
            names: Vec::new(),
            sessions_dropped: 0,
            quic_open: FastMap::default(),
        }
    }

    /// QUIC on UDP 443 (the port the first-pass classification calls QUIC): a client Initial
    /// is read for its ClientHello.
    fn udp(&mut self, seg: &Segment<'_>, _shared: &mut Shared) -> Option<&'static str> {
        let on_443 = seg.src.port() == 443 || seg.dst.port() == 443;
        (on_443 && self.quic(seg)).then_some("quic")
    }

    /// A stream whose first payload is a handshake record.
    fn claims_stream(first: &Segment<'_>) -> bool {
        wire_tls::is_record(first.payload) && first.payload[0] == content_type::HANDSHAKE
    }

    fn stream_bytes(&mut self, seg: &Segment<'_>, _shared: &mut Shared) {
        self.bytes(seg);
    }

    fn finish(self: Box<Self>, ctx: &FinishContext) -> Place {
        let mut report = self.report;
        for (s, &ns) in report.sessions.iter_mut().zip(&self.start_ns) {
            s.start = ctx.rel(ns);
        }
        let names = self.names;
        let dropped = self.sessions_dropped;
        Box::new(move |s| {
            s.tls = report;
            s.tls_sessions_dropped = dropped;
            s.names.extend(names);
        })
    }
}

#[cfg(test)]
mod tests;
