//! What belongs to what: the conversation a call, tunnel or stream travels on, and through it
//! the process that owns it; and per process, its conversations, calls, tunnels and streams.
//! Conversations carry the process (from the capture's Apple metadata or a facts.json); the
//! other sections are joined to them by their address pairs.

use std::collections::HashMap;

use callscope_analysis::report::{ProcessRef, Socket};
use callscope_analysis::Report;

/// Conversations by unordered address pair.
#[derive(Debug, Default, Clone)]
pub struct Links {
    by_pair: HashMap<(Socket, Socket), usize>,
}

fn unordered(a: Socket, b: Socket) -> (Socket, Socket) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

impl Links {
    /// Indexes the report's conversations (the first of a pair when TCP and UDP share one).
    pub fn new(report: &Report) -> Links {
        let mut by_pair = HashMap::with_capacity(report.conversations.len());
        for (i, c) in report.conversations.iter().enumerate() {
            by_pair.entry(unordered(c.a, c.b)).or_insert(i);
        }
        Links { by_pair }
    }

    /// The conversation between two addresses.
    pub fn conversation(&self, a: Socket, b: Socket) -> Option<usize> {
        self.by_pair.get(&unordered(a, b)).copied()
    }

    /// The process owning the first of these pairs that a named conversation carries.
    pub fn process<'r>(
        &self,
        report: &'r Report,
        pairs: &[(Socket, Socket)],
    ) -> Option<&'r ProcessRef> {
        pairs.iter().find_map(|&(a, b)| {
            let i = self.conversation(a, b)?;
            report.conversations.get(i)?.process.as_ref()
        })
    }

    /// The process of a call: the first of its messages whose conversation names one.
    pub fn call_process<'r>(&self, report: &'r Report, call: usize) -> Option<&'r ProcessRef> {
        let c = report.sip.calls.get(call)?;
        let mut pairs = vec![(c.caller_addr, c.callee_addr)];
        pairs.extend(c.messages.iter().map(|m| (m.src, m.dst)));
        self.process(report, &pairs)
    }

    /// The process of a tunnel: by its first addresses, else by those after the move to 4500.
    pub fn tunnel_process<'r>(&self, report: &'r Report, tunnel: usize) -> Option<&'r ProcessRef> {
        let t = report.ike.tunnels.get(tunnel)?;
        let mut pairs = vec![(t.initiator, t.responder)];
        if let Some(f) = &t.floated {
            pairs.push((f.initiator, f.responder));
        }
        self.process(report, &pairs)
    }

    /// The process of a stream.
    pub fn stream_process<'r>(&self, report: &'r Report, stream: usize) -> Option<&'r ProcessRef> {
        let s = report.rtp.streams.get(stream)?;
        self.process(report, &[(s.src, s.dst)])
    }
}

/// A process with everything the report ties to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessLinks {
    /// Process id.
    pub pid: u32,
    /// Command name.
    pub name: String,
    /// `name (pid)`, as conversations name it.
    pub label: ProcessRef,
    /// Indexes into `conversations`.
    pub conversations: Vec<usize>,
    /// Indexes into `sip.calls`.
    pub calls: Vec<usize>,
    /// Indexes into `ike.tunnels`.
    pub tunnels: Vec<usize>,
    /// Indexes into `rtp.streams`.
    pub streams: Vec<usize>,
}

/// Every process of `report.processes`, with its conversations, calls, tunnels and streams.
pub fn processes(report: &Report, links: &Links) -> Vec<ProcessLinks> {
    let mut out: Vec<ProcessLinks> = report
        .processes
        .iter()
        .map(|p| ProcessLinks {
            pid: p.pid,
            name: p.name.clone(),
            label: p.reference(),
            ..ProcessLinks::default()
        })
        .collect();
    let by_label: HashMap<ProcessRef, usize> = out
        .iter()
        .enumerate()
        .map(|(i, p)| (p.label.clone(), i))
        .collect();
    let slot = |name: Option<&ProcessRef>| name.and_then(|n| by_label.get(n).copied());
    for (i, c) in report.conversations.iter().enumerate() {
        if let Some(p) = slot(c.process.as_ref()) {
            out[p].conversations.push(i);
        }
    }
    for i in 0..report.sip.calls.len() {
        if let Some(p) = slot(links.call_process(report, i)) {
            out[p].calls.push(i);
        }
    }
    for i in 0..report.ike.tunnels.len() {
        if let Some(p) = slot(links.tunnel_process(report, i)) {
            out[p].tunnels.push(i);
        }
    }
    for i in 0..report.rtp.streams.len() {
        if let Some(p) = slot(links.stream_process(report, i)) {
            out[p].streams.push(i);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::report::{Conversation, Process};
    use callscope_analysis::sip::report::Call;

    #[test]
    fn calls_reach_their_process_through_their_conversation() {
        let mut r = Report::default();
        r.conversations.push(Conversation {
            a: "10.0.0.1:5060".parse().unwrap(),
            b: "10.0.0.2:5060".parse().unwrap(),
            process: Some("baresip (42)".parse().unwrap()),
            ..Conversation::default()
        });
        r.conversations.push(Conversation {
            a: "10.0.0.1:6000".parse().unwrap(),
            b: "10.0.0.2:6000".parse().unwrap(),
            ..Conversation::default()
        });
        r.processes.push(Process {
            pid: 42,
            name: "baresip".into(),
            ..Process::default()
        });
        r.sip.calls.push(Call {
            caller_addr: "10.0.0.2:5060".parse().unwrap(),
            callee_addr: "10.0.0.1:5060".parse().unwrap(),
            ..Call::default()
        });
        let links = Links::new(&r);
        assert_eq!(
            links.call_process(&r, 0),
            Some(&ProcessRef::new("baresip", 42))
        );
        let p = processes(&r, &links);
        assert_eq!(p[0].conversations, [0]);
        assert_eq!(p[0].calls, [0]);
        assert!(p[0].tunnels.is_empty());
    }
}
