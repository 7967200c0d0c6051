//! Calls: the INVITE dialogs of one Call-ID, as plain state machines.
//!
//! - [`transition`] moves a call's [`Phase`] on each [`CallEvent`] (RFC 3261 §13, §15, §9).
//! - [`CallTracker`] keeps what the report needs: transactions matched by Via branch and CSeq
//!   (§17.1.3), dialogs by tags (§12, one per To tag when an INVITE forks), offer/answer roles,
//!   timings (post-dial delay, setup, talk time), who hung up, and the ladder.

use std::net::SocketAddr;

use callscope_wire::sdp::Sdp;
use callscope_wire::sip::Message;

use super::ladder::{label, Arrow};
use super::media::{self, OfferAnswer};
use super::report::{self, CallState, Dialog, DialogState, SdpMessage, Transaction};
use super::Seen;
use crate::flows::Transport;
use crate::protocols::FinishContext;

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// INVITE sent, nothing back yet.
    Calling,
    /// 100 Trying (or another 1xx that is not ringing).
    Proceeding,
    /// 180 Ringing / 183 Session Progress.
    Ringing,
    /// 2xx to the INVITE.
    Answered,
    /// BYE after the answer.
    Ended,
    /// CANCEL before the answer.
    Cancelled,
    /// 401/407: the caller must retry with credentials.
    Challenged(u16),
    /// Final 3xx/4xx/6xx.
    Rejected(u16),
    /// 408 or 5xx.
    Failed(u16),
}

/// What moves a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEvent {
    /// An INVITE (first, retried after a challenge, or a re-INVITE).
    Invite,
    /// 1xx to an INVITE.
    Provisional(u16),
    /// 2xx to an INVITE.
    Answer,
    /// 3xx–6xx to an INVITE.
    Failure(u16),
    /// CANCEL.
    Cancel,
    /// BYE.
    Bye,
}

/// The call state machine.
pub fn transition(phase: Phase, event: CallEvent) -> Phase {
    use CallEvent as E;
    use Phase as P;
    let established = matches!(phase, P::Answered | P::Ended);
    match event {
        E::Invite if established => phase,
        E::Invite => P::Calling,
        E::Provisional(code) => match phase {
            P::Calling | P::Proceeding | P::Ringing if matches!(code, 180..=183) => P::Ringing,
            P::Calling => P::Proceeding,
            other => other,
        },
        E::Answer if established => phase,
        E::Answer => P::Answered,
        E::Failure(_) if established || phase == P::Cancelled => phase,
        E::Failure(code @ (401 | 407)) => P::Challenged(code),
        E::Failure(code @ (408 | 500..=599)) => P::Failed(code),
        E::Failure(code) => P::Rejected(code),
        E::Cancel => match phase {
            P::Calling | P::Proceeding | P::Ringing => P::Cancelled,
            other => other,
        },
        E::Bye => match phase {
            P::Cancelled | P::Rejected(_) | P::Failed(_) | P::Challenged(_) => phase,
            _ => P::Ended,
        },
    }
}

/// The report's state name and, for unsuccessful calls, the status behind it.
pub fn state_name(phase: Phase) -> (CallState, Option<u16>) {
    match phase {
        Phase::Calling | Phase::Proceeding | Phase::Ringing => (CallState::InProgress, None),
        Phase::Answered | Phase::Ended => (CallState::Answered, None),
        Phase::Cancelled => (CallState::Cancelled, None),
        Phase::Challenged(c) | Phase::Rejected(c) => (CallState::Rejected, Some(c)),
        Phase::Failed(c) => (CallState::Failed, Some(c)),
    }
}

#[derive(Debug)]
struct Tx {
    report: Transaction,
    ts_ns: i64,
    /// The CSeq method, which with the top Via's branch and the CSeq number identifies it among
    /// the call's transactions (RFC 3261 §17.2.3); the report's method is the request line's.
    method_key: String,
}

impl Tx {
    /// Whether this is the transaction of `branch` ("" without one), `seq` and `method`.
    fn is(&self, branch: &str, seq: u32, method: &str) -> bool {
        self.report.cseq == seq
            && self.method_key == method
            && self.report.branch.as_deref().unwrap_or_default() == branch
    }
}

#[derive(Debug)]
struct SdpSeen {
    report: SdpMessage,
    ts_ns: i64,
}

/// Pushes onto a call's list, starting it with room for one: most calls in a large capture have
/// one transaction, one dialog and a few arrows, and a list's first push otherwise makes room
/// for four (a third of an unanswered call's memory was such unused room).
fn push_lean<T>(list: &mut Vec<T>, item: T) {
    if list.capacity() == 0 {
        list.reserve_exact(1);
    }
    list.push(item);
}

/// Per-call bounds.
#[derive(Debug, Clone, Copy)]
pub struct CallLimits {
    /// Ladder arrows kept.
    pub arrows: usize,
    /// Transactions kept.
    pub transactions: usize,
    /// Dialogs kept.
    pub dialogs: usize,
    /// SDP bodies kept.
    pub sdp: usize,
    /// User-Agent values kept.
    pub user_agents: usize,
}

/// Everything known about one call.
#[derive(Debug)]
pub struct CallTracker {
    call_id: String,
    phase: Phase,
    saw_invite: bool,
    from: String,
    to: String,
    caller: String,
    callee: String,
    caller_name: Option<String>,
    asserted_identity: Option<String>,
    contact: Option<String>,
    caller_addr: SocketAddr,
    callee_addr: SocketAddr,
    transport: Transport,
    caller_tag: Option<String>,
    first_ns: i64,
    last_ns: i64,
    failure: Option<(u16, String)>,
    pdd_ms: Option<f64>,
    setup_ms: Option<f64>,
    answer: Option<(u32, i64)>,
    ack_ns: Option<i64>,
    bye: Option<(i64, &'static str)>,
    user_agents: Vec<String>,
    auth_challenges: u32,
    retransmissions: u64,
    dialogs: Vec<Dialog>,
    /// Looked up by a scan ([`Tx::is`]): a call has a few, and a map's key cost three string
    /// copies per message.
    transactions: Vec<Tx>,
    transactions_dropped: u64,
    offer_answer: OfferAnswer,
    sdp: Vec<SdpSeen>,
    arrows: Vec<Arrow>,
    arrows_dropped: u64,
}

/// A URI's user part, else the URI.
fn user_of(na: &callscope_wire::sip::NameAddr) -> String {
    na.user.clone().unwrap_or_else(|| na.uri.clone())
}

impl CallTracker {
    /// A call first seen in `msg`.
    pub fn new(call_id: &str, seen: &Seen<'_>, msg: &Message<'_>) -> CallTracker {
        let (caller_addr, callee_addr) = if msg.method().is_some() {
            (seen.src, seen.dst)
        } else {
            (seen.dst, seen.src)
        };
        let mut call = CallTracker {
            call_id: call_id.to_owned(),
            phase: Phase::Calling,
            saw_invite: false,
            from: String::new(),
            to: String::new(),
            caller: String::new(),
            callee: String::new(),
            caller_name: None,
            asserted_identity: None,
            contact: None,
            caller_addr,
            callee_addr,
            transport: seen.transport,
            caller_tag: None,
            first_ns: seen.ts_ns,
            last_ns: seen.ts_ns,
            failure: None,
            pdd_ms: None,
            setup_ms: None,
            answer: None,
            ack_ns: None,
            bye: None,
            user_agents: Vec::new(),
            auth_challenges: 0,
            retransmissions: 0,
            dialogs: Vec::new(),
            transactions: Vec::new(),
            transactions_dropped: 0,
            offer_answer: OfferAnswer::default(),
            sdp: Vec::new(),
            arrows: Vec::new(),
            arrows_dropped: 0,
        };
        call.parties(msg);
        call
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Ladder arrows kept so far.
    pub fn arrows(&self) -> usize {
        self.arrows.len()
    }

    /// Gives the last arrow its message's details.
    pub fn attach_details(&mut self, details: super::details::Details) {
        if let Some(last) = self.arrows.last_mut() {
            last.details = Some(details);
        }
    }

    fn parties(&mut self, msg: &Message<'_>) {
        if let Some(f) = &msg.from {
            self.from = f.uri.clone();
            self.caller = user_of(f);
            self.caller_name = f.display.clone();
            self.caller_tag = f.tag.clone();
        }
        if let Some(t) = &msg.to {
            self.to = t.uri.clone();
            self.callee = user_of(t);
        }
        if self.callee.is_empty() {
            if let callscope_wire::sip::StartLine::Request { uri, .. } = &msg.start {
                self.callee = uri.clone();
            }
        }
        self.asserted_identity = msg.asserted_identity.as_ref().map(|p| p.uri.clone());
        if msg.method().is_some() {
            self.contact = msg.contact.as_ref().map(|c| c.uri.clone());
        }
    }

    /// Takes one message of this call; `arrow_budget` says whether the ladder may grow.
    /// Returns the INVITE→2xx time (ms) when this message is the first 2xx of an INVITE
    /// transaction.
    pub fn on_message(
        &mut self,
        seen: &Seen<'_>,
        msg: &Message<'_>,
        limits: &CallLimits,
        arrow_budget: bool,
    ) -> Option<f64> {
        self.last_ns = self.last_ns.max(seen.ts_ns);
        if seen.resent {
            self.retransmissions += 1;
        }
        if let Some(ua) = msg.user_agent.as_ref().or(msg.server.as_ref()) {
            if !self.user_agents.contains(ua) && self.user_agents.len() < limits.user_agents {
                self.user_agents.push(ua.clone());
            }
        }
        if arrow_budget && self.arrows.len() < limits.arrows {
            push_lean(&mut self.arrows, Arrow::new(seen, msg));
        } else {
            self.arrows_dropped += 1;
        }
        if let Some(sdp) = seen.sdp {
            self.on_sdp(seen, msg, sdp, limits);
        }
        let cseq = msg.cseq.as_ref()?;
        let branch = msg.via.as_ref().and_then(|v| v.branch.as_deref());
        let index = self
            .transactions
            .iter()
            .position(|t| t.is(branch.unwrap_or_default(), cseq.seq, &cseq.method));
        match msg.method() {
            Some(method) => {
                if method != "ACK" {
                    match index {
                        Some(i) => self.transactions[i].report.retransmissions += 1,
                        None if self.transactions.len() < limits.transactions => {
                            push_lean(
                                &mut self.transactions,
                                Tx {
                                    report: Transaction {
                                        method: method.to_owned(),
                                        cseq: cseq.seq,
                                        branch: branch.map(str::to_owned),
                                        frame: seen.frame,
                                        ..Transaction::default()
                                    },
                                    ts_ns: seen.ts_ns,
                                    method_key: cseq.method.clone(),
                                },
                            );
                        }
                        None => self.transactions_dropped += 1,
                    }
                }
                self.on_request(seen, msg, method, cseq.seq);
                None
            }
            None => {
                let code = msg.status()?;
                let mut setup = None;
                if let Some(i) = index {
                    let tx = &mut self.transactions[i];
                    if !tx.report.responses.contains(&code) && tx.report.responses.len() < 16 {
                        tx.report.responses.push(code);
                    }
                    let ms = crate::time::ms_between(tx.ts_ns, seen.ts_ns);
                    if code >= 200 && tx.report.final_status.is_none() {
                        tx.report.final_status = Some(code);
                        tx.report.response_ms = Some(ms);
                        if cseq.method == "INVITE" && (200..300).contains(&code) {
                            setup = Some(ms);
                            self.setup_ms.get_or_insert(ms);
                        }
                    }
                    if cseq.method == "INVITE" && matches!(code, 180 | 183) {
                        self.pdd_ms.get_or_insert(ms);
                    }
                }
                if cseq.method == "INVITE" {
                    self.on_invite_response(seen, msg, code, cseq.seq, limits);
                }
                setup
            }
        }
    }

    fn on_request(&mut self, seen: &Seen<'_>, msg: &Message<'_>, method: &str, cseq: u32) {
        match method {
            "INVITE" => {
                if !self.saw_invite {
                    self.saw_invite = true;
                    self.caller_addr = seen.src;
                    self.callee_addr = seen.dst;
                    self.transport = seen.transport;
                    self.parties(msg);
                }
                if !seen.resent {
                    if matches!(self.phase, Phase::Challenged(_)) {
                        self.auth_challenges += 1;
                    }
                    self.phase = transition(self.phase, CallEvent::Invite);
                }
            }
            "CANCEL" => self.phase = transition(self.phase, CallEvent::Cancel),
            "ACK" if self.answer.is_some_and(|(c, _)| c == cseq) && self.ack_ns.is_none() => {
                self.ack_ns = Some(seen.ts_ns);
            }
            "BYE" => {
                self.phase = transition(self.phase, CallEvent::Bye);
                if self.bye.is_none() {
                    let from_tag = msg.from.as_ref().and_then(|f| f.tag.as_deref());
                    let by_caller = match (&self.caller_tag, from_tag) {
                        (Some(c), Some(f)) => c == f,
                        _ => seen.src == self.caller_addr,
                    };
                    self.bye = Some((seen.ts_ns, if by_caller { "caller" } else { "callee" }));
                }
                let tags = (
                    msg.from.as_ref().and_then(|f| f.tag.clone()),
                    msg.to.as_ref().and_then(|t| t.tag.clone()),
                );
                if let (Some(a), Some(b)) = tags {
                    for d in self.dialogs.iter_mut().filter(|d| {
                        (d.from_tag == a && d.to_tag == b) || (d.from_tag == b && d.to_tag == a)
                    }) {
                        d.state = DialogState::Terminated;
                    }
                }
            }
            _ => {}
        }
    }

    fn on_invite_response(
        &mut self,
        seen: &Seen<'_>,
        msg: &Message<'_>,
        code: u16,
        cseq: u32,
        limits: &CallLimits,
    ) {
        let event = match code {
            100..=199 => CallEvent::Provisional(code),
            200..=299 => CallEvent::Answer,
            _ => CallEvent::Failure(code),
        };
        self.phase = transition(self.phase, event);
        if code >= 300 && !matches!(self.phase, Phase::Answered | Phase::Ended) {
            let reason = match &msg.start {
                callscope_wire::sip::StartLine::Response { reason, .. } => reason.clone(),
                _ => String::new(),
            };
            self.failure = Some((code, reason));
        }
        if (200..300).contains(&code) && self.answer.is_none() {
            self.answer = Some((cseq, seen.ts_ns));
        }
        let from_tag = msg.from.as_ref().and_then(|f| f.tag.clone());
        let to_tag = msg.to.as_ref().and_then(|t| t.tag.clone());
        if let (Some(from_tag), Some(to_tag), 101..=299) = (from_tag, to_tag, code) {
            let state = if code >= 200 {
                DialogState::Confirmed
            } else {
                DialogState::Early
            };
            let known = self
                .dialogs
                .iter()
                .position(|d| d.from_tag == from_tag && d.to_tag == to_tag);
            match known {
                Some(i) => {
                    let d = &mut self.dialogs[i];
                    if code >= 200 && d.state == DialogState::Early {
                        d.state = state;
                    }
                }
                None if self.dialogs.len() < limits.dialogs => push_lean(
                    &mut self.dialogs,
                    Dialog {
                        from_tag,
                        to_tag,
                        state,
                        frame: seen.frame,
                        peer: crate::addr::Socket(seen.src),
                    },
                ),
                None => {}
            }
        }
    }

    fn on_sdp(&mut self, seen: &Seen<'_>, msg: &Message<'_>, sdp: &Sdp, limits: &CallLimits) {
        if seen.resent || self.sdp.len() >= limits.sdp {
            return;
        }
        let cseq = msg.cseq.as_ref().map_or(0, |c| c.seq);
        let branch = msg
            .via
            .as_ref()
            .and_then(|v| v.branch.as_deref())
            .unwrap_or("");
        let kind = self.offer_answer.role(msg.method(), branch, cseq);
        self.sdp.push(SdpSeen {
            report: SdpMessage {
                frame: seen.frame,
                src: crate::addr::Socket(seen.src),
                dst: crate::addr::Socket(seen.dst),
                kind: kind.to_owned(),
                message: label(msg, false),
                version: sdp.origin.as_ref().map(|o| o.version.clone()),
                connection: sdp.connection.as_ref().map(|c| c.address.clone()),
                media: media::media_report(sdp),
                ..SdpMessage::default()
            },
            ts_ns: seen.ts_ns,
        });
    }

    /// Transactions not kept.
    pub fn transactions_dropped(&self) -> u64 {
        self.transactions_dropped
    }

    /// The report's call.
    pub fn report(self, ctx: &FinishContext) -> report::Call {
        let (state, status) = state_name(self.phase);
        let (status, reason) = match (status, &self.failure, state) {
            (Some(s), Some((code, reason)), _) if *code == s => (Some(s), Some(reason.clone())),
            (Some(s), _, _) => (Some(s), None),
            (None, Some((code, reason)), CallState::Cancelled) => {
                (Some(*code), Some(reason.clone()))
            }
            _ => (None, None),
        };
        let talk_time = match (self.bye, self.answer) {
            (Some((bye, _)), Some((_, answer))) => {
                Some(crate::time::secs_between(self.ack_ns.unwrap_or(answer), bye).max(0.0))
            }
            _ => None,
        };
        report::Call {
            call_id: self.call_id,
            from: self.from,
            to: self.to,
            caller: self.caller,
            callee: self.callee,
            caller_name: self.caller_name,
            asserted_identity: self.asserted_identity,
            contact: self.contact,
            caller_addr: crate::addr::Socket(self.caller_addr),
            callee_addr: crate::addr::Socket(self.callee_addr),
            transport: self.transport,
            state,
            status,
            reason: reason.filter(|r| !r.is_empty()),
            start: ctx.rel(self.first_ns),
            end: ctx.rel(self.last_ns),
            post_dial_delay_ms: self.pdd_ms,
            setup_ms: self.setup_ms,
            talk_time,
            duration: Some(crate::time::secs_between(self.first_ns, self.last_ns)),
            hangup_by: self.bye.map(|(_, who)| who.to_owned()),
            user_agents: self.user_agents,
            auth_challenges: self.auth_challenges,
            retransmissions: self.retransmissions,
            dialogs: self.dialogs,
            transactions: self
                .transactions
                .into_iter()
                .map(|t| Transaction {
                    time: ctx.rel(t.ts_ns),
                    ..t.report
                })
                .collect(),
            sdp: self
                .sdp
                .into_iter()
                .map(|s| SdpMessage {
                    time: ctx.rel(s.ts_ns),
                    ..s.report
                })
                .collect(),
            messages: self
                .arrows
                .into_iter()
                .map(|a| a.into_report(ctx))
                .collect(),
            messages_dropped: self.arrows_dropped,
            media: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use CallEvent as E;
    use Phase as P;

    fn run(events: &[CallEvent]) -> Phase {
        events.iter().fold(P::Calling, |p, &e| transition(p, e))
    }

    #[test]
    fn an_answered_call_ends_with_bye() {
        let p = run(&[
            E::Invite,
            E::Provisional(100),
            E::Provisional(180),
            E::Answer,
        ]);
        assert_eq!(p, P::Answered);
        assert_eq!(transition(p, E::Bye), P::Ended);
        assert_eq!(state_name(P::Ended), (CallState::Answered, None));
    }

    #[test]
    fn busy_is_rejected_with_its_code() {
        let p = run(&[E::Invite, E::Provisional(100), E::Failure(486)]);
        assert_eq!(state_name(p), (CallState::Rejected, Some(486)));
    }

    #[test]
    fn a_cancel_before_the_answer_cancels() {
        let p = run(&[E::Invite, E::Provisional(180), E::Cancel, E::Failure(487)]);
        assert_eq!(p, P::Cancelled);
        assert_eq!(state_name(p).0, CallState::Cancelled);
    }

    #[test]
    fn a_challenge_then_a_new_invite_goes_on() {
        let p = run(&[E::Invite, E::Failure(407)]);
        assert_eq!(p, P::Challenged(407));
        assert_eq!(state_name(p), (CallState::Rejected, Some(407)));
        assert_eq!(transition(p, E::Invite), P::Calling);
    }

    #[test]
    fn timeouts_and_server_errors_fail() {
        assert_eq!(
            state_name(run(&[E::Invite, E::Failure(408)])),
            (CallState::Failed, Some(408))
        );
        assert_eq!(
            state_name(run(&[E::Invite, E::Failure(503)])),
            (CallState::Failed, Some(503))
        );
    }

    #[test]
    fn a_failed_reinvite_keeps_the_call_answered() {
        let p = run(&[E::Invite, E::Answer, E::Invite, E::Failure(491)]);
        assert_eq!(p, P::Answered);
    }

    #[test]
    fn ringing_without_an_answer_is_in_progress() {
        assert_eq!(
            state_name(run(&[E::Invite, E::Provisional(100), E::Provisional(183)])).0,
            CallState::InProgress
        );
    }
}
