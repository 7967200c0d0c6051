//! The protocol analyzers, in the order they are offered a datagram: the one place that names
//! them all. Adding a protocol is one line in `REGISTERED` (see the crate docs for the steps).

use crate::protocols::{FinishContext, Place, Protocol, Sections, Segment, Shared};
use crate::{dns, ike, rtp, sip, stun, tls, Found};

/// A registered analyzer: how to make one, and what it claims of TCP.
pub struct Registration {
    /// A fresh analyzer whose tables fit their shares of a memory budget.
    make: fn(usize) -> Box<dyn Protocol>,
    /// [`Protocol::claims_stream`].
    claims_stream: fn(&Segment<'_>) -> bool,
    /// The hierarchy name of the frames of the TCP streams it claims; None: the first-pass
    /// classification names each frame (as tshark counts only frames where a TLS record or a
    /// DNS message starts).
    stream_name: Option<&'static str>,
}

impl Registration {
    /// The registration of analyzer `P`, whose claimed TCP streams are named `stream_name`.
    const fn of<P: Protocol + 'static>(stream_name: Option<&'static str>) -> Self {
        Registration {
            make: make::<P>,
            claims_stream: P::claims_stream,
            stream_name,
        }
    }
}

fn make<P: Protocol + 'static>(budget: usize) -> Box<dyn Protocol> {
    Box::new(P::with_budget(budget))
}

/// Every analyzer, in the order a UDP datagram is offered to them: IKE/ESP first (it owns its
/// ports outright), then STUN/TURN (whose first-byte demultiplexing must precede RTP's), SIP
/// (with H.248), DNS (its ports only) and TLS (TCP only), and RTP/RTCP last, as its heuristics
/// accept what nobody else claimed.
static REGISTERED: [Registration; 6] = [
    Registration::of::<ike::IkeAnalyzer>(Some("isakmp")),
    Registration::of::<stun::StunAnalyzer>(Some("stun")),
    Registration::of::<sip::SipAnalyzer>(Some("sip")),
    Registration::of::<dns::DnsAnalyzer>(None),
    Registration::of::<tls::TlsAnalyzer>(None),
    Registration::of::<rtp::RtpAnalyzer>(Some("rtp")),
];

/// An analyzer by its place in the registration list: the owner of a TCP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolId(u8);

impl ProtocolId {
    /// The hierarchy name of the frames of the streams this analyzer claims, when it names them.
    pub fn stream_name(self) -> Option<&'static str> {
        REGISTERED[usize::from(self.0)].stream_name
    }

    /// The id of the `index`th registered analyzer.
    #[cfg(test)]
    pub(crate) fn from_index(index: u8) -> Option<Self> {
        (usize::from(index) < REGISTERED.len()).then_some(ProtocolId(index))
    }
}

/// Which analyzer (if any) wants a TCP stream, decided on its first payload.
pub fn claim_stream(first: &Segment<'_>) -> Option<ProtocolId> {
    REGISTERED
        .iter()
        .position(|r| (r.claims_stream)(first))
        .and_then(|i| u8::try_from(i).ok())
        .map(ProtocolId)
}

/// One of each registered analyzer, and what they share.
pub struct Protocols {
    analyzers: Vec<Box<dyn Protocol>>,
    shared: Shared,
}

impl Default for Protocols {
    fn default() -> Self {
        Protocols::with_budget(crate::DEFAULT_BUDGET)
    }
}

impl std::fmt::Debug for Protocols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Protocols")
            .field("analyzers", &self.analyzers.len())
            .finish()
    }
}

impl Protocols {
    /// One of each analyzer, their tables sized by `budget` bytes ([`crate::budget`]).
    pub fn with_budget(budget: usize) -> Self {
        Protocols {
            analyzers: REGISTERED.iter().map(|r| (r.make)(budget)).collect(),
            shared: Shared::default(),
        }
    }

    /// Offers a UDP datagram to each analyzer in turn; returns the name the first claimant gave.
    pub fn udp(&mut self, seg: &Segment<'_>) -> Option<&'static str> {
        for i in 0..self.analyzers.len() {
            if let Some(name) = self.analyzers[i].udp(seg, &mut self.shared) {
                self.offer_relayed(seg);
                return Some(name);
            }
        }
        None
    }

    /// In-order bytes of a TCP stream that `owner` claimed.
    pub fn stream_bytes(&mut self, owner: ProtocolId, seg: &Segment<'_>) {
        if let Some(a) = self.analyzers.get_mut(usize::from(owner.0)) {
            a.stream_bytes(seg, &mut self.shared);
            self.offer_relayed(seg);
        }
    }

    /// An IP payload that is neither UDP nor TCP (ESP); returns a hierarchy name.
    pub fn ip(&mut self, seg: &Segment<'_>) -> Option<&'static str> {
        for a in &mut self.analyzers {
            if let Some(name) = a.ip(seg, &mut self.shared) {
                return Some(name);
            }
        }
        None
    }

    /// Media that a relay carried goes to every analyzer, as tshark's STUN dissector offers
    /// TURN's ChannelData to the RTP heuristics.
    fn offer_relayed(&mut self, seg: &Segment<'_>) {
        if self.shared.relayed.is_empty() {
            return;
        }
        for data in std::mem::take(&mut self.shared.relayed) {
            for a in &mut self.analyzers {
                a.relayed(seg, &data);
            }
        }
    }

    /// What the analyzers have found so far.
    pub fn found(&self) -> Found {
        let mut found = Found::default();
        for a in &self.analyzers {
            a.found(&mut found);
        }
        found
    }

    /// The analyzers split for finishing: those to finish here, and those that
    /// [`Protocol::finishes_apart`] (which the caller may finish on another thread).
    pub fn into_finishing(self) -> (Finishing, Finishing) {
        let (apart, here): (Vec<_>, Vec<_>) =
            self.analyzers.into_iter().partition(|a| a.finishes_apart());
        (Finishing(here), Finishing(apart))
    }
}

/// Analyzers whose sections are still to be built.
pub struct Finishing(Vec<Box<dyn Protocol>>);

impl Finishing {
    /// Builds their sections.
    pub fn finish(self, ctx: &FinishContext) -> Vec<Place> {
        self.0.into_iter().map(|a| a.finish(ctx)).collect()
    }
}

/// Puts finished sections in place.
pub fn place(places: impl IntoIterator<Item = Place>) -> Sections {
    let mut sections = Sections::default();
    for place in places {
        place(&mut sections);
    }
    sections
}
