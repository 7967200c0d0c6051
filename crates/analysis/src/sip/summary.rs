//! SIP that is not a call: per-Call-ID exchanges (REGISTER, OPTIONS, MESSAGE — SMS over IMS —,
//! SUBSCRIBE/NOTIFY, PUBLISH, REFER) with their ladders, registrations per address of record
//! (RFC 3261 §10: challenges, credentials, granted expiry) and OPTIONS per client/server pair
//! (§11, keep-alive probes).

use crate::FastMap;
use std::net::SocketAddr;

use callscope_wire::sip::Message;

use super::ladder::Arrow;
use super::report::{Exchange, OptionsSummary, Registration};
use super::Seen;
use crate::protocols::FinishContext;

/// The kind of exchange a method starts.
pub fn kind_of(method: &str) -> &'static str {
    match method {
        "REGISTER" => "register",
        "OPTIONS" => "options",
        "MESSAGE" => "message",
        "SUBSCRIBE" | "NOTIFY" => "subscribe",
        "PUBLISH" => "publish",
        "REFER" => "refer",
        _ => "other",
    }
}

/// One non-call Call-ID.
#[derive(Debug)]
pub struct ExchangeTracker {
    call_id: String,
    kind: &'static str,
    from: String,
    to: String,
    first_ns: i64,
    last_ns: i64,
    status: Option<u16>,
    event: Option<String>,
    content_type: Option<String>,
    body_bytes: u64,
    arrows: Vec<Arrow>,
    arrows_dropped: u64,
}

impl ExchangeTracker {
    /// An exchange first seen in `msg`.
    pub fn new(call_id: &str, seen: &Seen<'_>, msg: &Message<'_>) -> ExchangeTracker {
        let method = msg
            .method()
            .or(msg.cseq.as_ref().map(|c| c.method.as_str()))
            .unwrap_or("");
        ExchangeTracker {
            call_id: call_id.to_owned(),
            kind: kind_of(method),
            from: msg.from.as_ref().map(|f| f.uri.clone()).unwrap_or_default(),
            to: msg.to.as_ref().map(|t| t.uri.clone()).unwrap_or_default(),
            first_ns: seen.ts_ns,
            last_ns: seen.ts_ns,
            status: None,
            event: None,
            content_type: None,
            body_bytes: 0,
            arrows: Vec::new(),
            arrows_dropped: 0,
        }
    }

    /// Takes one message; the ladder grows while `room`.
    pub fn on_message(&mut self, seen: &Seen<'_>, msg: &Message<'_>, room: bool) {
        self.last_ns = self.last_ns.max(seen.ts_ns);
        if room {
            self.arrows.push(Arrow::new(seen, msg));
        } else {
            self.arrows_dropped += 1;
        }
        if self.event.is_none() {
            self.event = msg.header("Event").map(str::to_owned);
        }
        match msg.status() {
            Some(code) if code >= 200 => self.status = Some(code),
            Some(_) => {}
            None => {
                if !msg.body.is_empty() {
                    self.body_bytes += msg.body.len() as u64;
                    if self.content_type.is_none() {
                        self.content_type = msg.content_type.clone();
                    }
                }
            }
        }
    }

    /// Ladder arrows kept.
    pub fn arrows(&self) -> usize {
        self.arrows.len()
    }

    /// Gives the last arrow its message's details.
    pub fn attach_details(&mut self, details: super::details::Details) {
        if let Some(last) = self.arrows.last_mut() {
            last.details = Some(details);
        }
    }

    /// The report's exchange.
    pub fn report(self, ctx: &FinishContext) -> Exchange {
        Exchange {
            call_id: self.call_id,
            kind: self.kind.to_owned(),
            from: self.from,
            to: self.to,
            start: ctx.rel(self.first_ns),
            end: ctx.rel(self.last_ns),
            status: self.status,
            event: self.event,
            content_type: self.content_type,
            body_bytes: self.body_bytes,
            messages: self
                .arrows
                .into_iter()
                .map(|a| a.into_report(ctx))
                .collect(),
            messages_dropped: self.arrows_dropped,
        }
    }
}

#[derive(Debug)]
struct RegState {
    report: Registration,
    first_ns: i64,
    last_ns: i64,
}

#[derive(Debug)]
struct OptState {
    report: OptionsSummary,
    first_ns: i64,
    last_ns: i64,
}

/// Registrations and OPTIONS, aggregated.
#[derive(Debug, Default)]
pub struct Summaries {
    registrations: Vec<RegState>,
    reg_index: FastMap<String, usize>,
    options: Vec<OptState>,
    opt_index: FastMap<(SocketAddr, SocketAddr), usize>,
    /// Entries not kept.
    pub dropped: u64,
}

impl Summaries {
    /// Takes a REGISTER or OPTIONS request or response (anything else is ignored).
    pub fn on_message(&mut self, seen: &Seen<'_>, msg: &Message<'_>, max: usize) {
        let Some(cseq) = msg.cseq.as_ref() else {
            return;
        };
        match cseq.method.as_str() {
            "REGISTER" => self.register(seen, msg, max),
            "OPTIONS" => self.options(seen, msg, max),
            _ => {}
        }
    }

    fn register(&mut self, seen: &Seen<'_>, msg: &Message<'_>, max: usize) {
        let Some(aor) = msg.to.as_ref().map(|t| t.uri.clone()) else {
            return;
        };
        let i = match self.reg_index.get(&aor) {
            Some(&i) => i,
            None if self.registrations.len() < max && msg.method().is_some() => {
                self.reg_index.insert(aor.clone(), self.registrations.len());
                self.registrations.push(RegState {
                    report: Registration {
                        aor,
                        client: seen.src.into(),
                        registrar: seen.dst.into(),
                        ..Registration::default()
                    },
                    first_ns: seen.ts_ns,
                    last_ns: seen.ts_ns,
                });
                self.registrations.len() - 1
            }
            None => {
                if msg.method().is_some() {
                    self.dropped += 1;
                }
                return;
            }
        };
        let reg = &mut self.registrations[i];
        reg.last_ns = reg.last_ns.max(seen.ts_ns);
        let contact_expires = msg.contact.as_ref().and_then(|c| c.expires);
        match msg.status() {
            None => {
                let r = &mut reg.report;
                r.requests += 1;
                r.client = seen.src.into();
                r.registrar = seen.dst.into();
                if msg.header("Authorization").is_some()
                    || msg.header("Proxy-Authorization").is_some()
                {
                    r.with_credentials += 1;
                }
                if let Some(c) = &msg.contact {
                    r.contact = Some(c.uri.clone());
                }
                if let Some(ua) = &msg.user_agent {
                    r.user_agent = Some(ua.clone());
                }
                if r.status.is_none() {
                    r.expires = contact_expires.or(msg.expires).or(r.expires);
                }
            }
            Some(code) => {
                let r = &mut reg.report;
                if code == 401 || code == 407 {
                    r.challenges += 1;
                }
                if code >= 200 {
                    r.status = Some(code);
                }
                if (200..300).contains(&code) {
                    r.expires = contact_expires.or(msg.expires).or(r.expires);
                }
            }
        }
    }

    fn options(&mut self, seen: &Seen<'_>, msg: &Message<'_>, max: usize) {
        let request = msg.method().is_some();
        let key = if request {
            (seen.src, seen.dst)
        } else {
            (seen.dst, seen.src)
        };
        let i = match self.opt_index.get(&key) {
            Some(&i) => i,
            None if request && self.options.len() < max => {
                self.opt_index.insert(key, self.options.len());
                self.options.push(OptState {
                    report: OptionsSummary {
                        src: key.0.into(),
                        dst: key.1.into(),
                        ..OptionsSummary::default()
                    },
                    first_ns: seen.ts_ns,
                    last_ns: seen.ts_ns,
                });
                self.options.len() - 1
            }
            None => {
                if request {
                    self.dropped += 1;
                }
                return;
            }
        };
        let o = &mut self.options[i];
        o.last_ns = o.last_ns.max(seen.ts_ns);
        match msg.status() {
            None => o.report.requests += 1,
            Some(code) => {
                o.report.responses += 1;
                if code >= 200 {
                    o.report.status = Some(code);
                }
            }
        }
    }

    /// The report's registrations and OPTIONS summaries.
    pub fn report(self, ctx: &FinishContext) -> (Vec<Registration>, Vec<OptionsSummary>) {
        (
            self.registrations
                .into_iter()
                .map(|r| Registration {
                    start: ctx.rel(r.first_ns),
                    end: ctx.rel(r.last_ns),
                    ..r.report
                })
                .collect(),
            self.options
                .into_iter()
                .map(|o| OptionsSummary {
                    start: ctx.rel(o.first_ns),
                    end: ctx.rel(o.last_ns),
                    ..o.report
                })
                .collect(),
        )
    }
}
