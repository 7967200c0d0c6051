//! The protocol stage ([`crate::protocol_stage`]) on a second thread, for native builds.
//!
//! The frame stage copies each frame's payload into a batch (one byte arena plus a fixed-size
//! record per frame) and sends full batches over a bounded channel; the second thread analyses
//! them in frame order and sends each batch back with each frame's hierarchy leaf and the flow
//! names it found; the frame stage counts the frames then ([`Back`]) and empties the batch. At most
//! [`IN_FLIGHT`] + 1 batches ever exist, so memory stays bounded whatever the capture: about
//! 5 × ([`BATCH_BYTES`] + [`BATCH_FRAMES`] × 100 bytes). Same input, same order, same analyzers:
//! the report equals the single-threaded one (a test checks every reference capture).

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::flows::FlowMemo;
use crate::flows::Transport;
use crate::protocol_stage::{Back, Delivery, Handoff, Named, ProtocolStage, TcpDelivery};
use crate::protocols::Segment;
use crate::registry::ProtocolId;

/// Frames per batch.
const BATCH_FRAMES: usize = 4096;
/// Payload bytes per batch (a larger payload gets a batch of its own).
const BATCH_BYTES: usize = 2 << 20;
/// Batches queued for or being analysed by the second thread.
const IN_FLIGHT: usize = 4;

/// A flow name found by the second thread: (flow-table slot, flow id, protocol).
type Name = (usize, u64, &'static str);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Count,
    Udp,
    /// With its entry in the batch's `tcp`.
    Tcp(u32),
    Ip,
}

/// A TCP segment's [`TcpDelivery`]: owner, protocol name, and where its delivery lengths are in the
/// batch's `pieces`.
type TcpRec = (Option<ProtocolId>, Option<&'static str>, usize, usize);

/// A [`Handoff`] without its borrowed parts: the addresses (4 or 16 bytes each, source first) and
/// then the payload live in the batch's arena. Kept small (64 bytes): every frame's record is
/// written by one thread and read by the other, and a record holding the whole [`Segment`] was
/// three times the size.
#[derive(Debug, Clone, Copy)]
struct HandoffRecord {
    frame: u64,
    ts_ns: i64,
    flow: u64,
    bytes: u64,
    /// Where the addresses start in the arena.
    start: u32,
    /// The payload's length (it follows the addresses).
    len: u32,
    /// The flow-table slot (`u32::MAX` for none).
    slot: u32,
    prefix: u32,
    kind: Kind,
    ports: [u16; 2],
    transport: Transport,
    /// Bit 0: the source is IPv6; bit 1: the destination is.
    v6: u8,
}

/// Appends an address's bytes to the arena; whether it is IPv6.
fn put_ip(arena: &mut Vec<u8>, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            arena.extend_from_slice(&v4.octets());
            false
        }
        IpAddr::V6(v6) => {
            arena.extend_from_slice(&v6.octets());
            true
        }
    }
}

/// Reads an address [`put_ip`] wrote at `at`; returns it and where the next bytes start.
fn get_ip(arena: &[u8], at: usize, v6: bool) -> (IpAddr, usize) {
    if v6 {
        let bytes: Option<[u8; 16]> = arena.get(at..at + 16).and_then(|b| b.try_into().ok());
        (
            bytes.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), IpAddr::from),
            at + 16,
        )
    } else {
        let bytes: Option<[u8; 4]> = arena.get(at..at + 4).and_then(|b| b.try_into().ok());
        (
            bytes.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), IpAddr::from),
            at + 4,
        )
    }
}

impl HandoffRecord {
    fn work<'a>(&self, arena: &'a [u8], pieces: &'a [u32], tcp: &[TcpRec]) -> Handoff<'a> {
        // One expression that builds the `Handoff` in place: building the `Delivery` first and
        // moving it in copied ~150 bytes per frame, a twentieth of this thread's work.
        Handoff {
            job: match self.kind {
                Kind::Count => Delivery::Count,
                Kind::Udp => Delivery::Udp(self.segment(arena)),
                Kind::Tcp(i) => {
                    let (owner, app, at, n) = tcp.get(i as usize).copied().unwrap_or_default();
                    Delivery::Tcp(
                        self.segment(arena),
                        TcpDelivery {
                            owner,
                            app,
                            pieces: pieces.get(at..at + n).unwrap_or(&[]),
                        },
                    )
                }
                Kind::Ip => Delivery::Ip(self.segment(arena)),
            },
            prefix: self.prefix,
            bytes: self.bytes,
            ts_ns: self.ts_ns,
            slot: (self.slot != u32::MAX).then_some(self.slot as usize),
        }
    }

    /// The frame's segment: its addresses and payload from the arena.
    #[inline(always)]
    fn segment<'a>(&self, arena: &'a [u8]) -> Segment<'a> {
        let (src, at) = get_ip(arena, self.start as usize, self.v6 & 1 != 0);
        let (dst, at) = get_ip(arena, at, self.v6 & 2 != 0);
        Segment {
            frame: self.frame,
            ts_ns: self.ts_ns,
            transport: self.transport,
            src: SocketAddr::new(src, self.ports[0]),
            dst: SocketAddr::new(dst, self.ports[1]),
            payload: arena.get(at..at + self.len as usize).unwrap_or(&[]),
            flow: self.flow,
        }
    }
}

#[derive(Debug, Default)]
struct Batch {
    arena: Vec<u8>,
    /// TCP delivery lengths ([`TcpDelivery::pieces`]) of the batch's frames.
    pieces: Vec<u32>,
    tcp: Vec<TcpRec>,
    recs: Vec<HandoffRecord>,
    /// Each record's hierarchy leaf, filled by the second thread.
    leaves: Vec<Option<&'static str>>,
    names: Vec<Name>,
}

/// The frame stage's end of the pipeline.
pub(crate) struct Worker {
    batch: Batch,
    to_back: Option<SyncSender<Batch>>,
    from_back: Receiver<Batch>,
    spares: Vec<Batch>,
    made: usize,
    handle: Option<JoinHandle<ProtocolStage>>,
}

impl Worker {
    /// Starts the second thread with `stage`; `None` if no thread can be started.
    pub fn spawn(stage: ProtocolStage) -> Option<Worker> {
        let (to_back, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (tx, from_back) = mpsc::channel::<Batch>();
        let handle = std::thread::Builder::new()
            .name("callscope-protocols".into())
            .spawn(move || run(stage, rx, tx))
            .ok()?;
        Some(Worker {
            batch: Batch::default(),
            to_back: Some(to_back),
            from_back,
            spares: Vec::new(),
            made: 1,
            handle: Some(handle),
        })
    }

    /// Queues a frame; `back` receives what came back meanwhile, in frame order.
    pub fn push<B: Back>(&mut self, work: &Handoff<'_>, back: &mut B) {
        // By reference: copying the segment out of the job (twice) was a fifth of this function.
        let seg = match &work.job {
            Delivery::Count => None,
            Delivery::Udp(seg) | Delivery::Tcp(seg, _) | Delivery::Ip(seg) => Some(seg),
        };
        let payload = seg.map_or(&[][..], |s| s.payload);
        let full = self.batch.recs.len() >= BATCH_FRAMES
            || self.batch.arena.len() + payload.len() > BATCH_BYTES;
        if full && !self.batch.recs.is_empty() {
            let next = self.next_batch(back);
            let batch = std::mem::replace(&mut self.batch, next);
            self.send(batch);
        }
        let kind = match work.job {
            Delivery::Count => Kind::Count,
            Delivery::Udp(_) => Kind::Udp,
            Delivery::Tcp(_, tcp) => {
                let at = self.batch.pieces.len();
                self.batch.pieces.extend_from_slice(tcp.pieces);
                self.batch
                    .tcp
                    .push((tcp.owner, tcp.app, at, tcp.pieces.len()));
                Kind::Tcp(u32::try_from(self.batch.tcp.len() - 1).unwrap_or(u32::MAX))
            }
            Delivery::Ip(_) => Kind::Ip,
        };
        // The batch is sent before its arena reaches BATCH_BYTES, and no payload comes near
        // 4 GiB (frames and reassembled data are bounded far below), so offsets fit in u32.
        let arena = &mut self.batch.arena;
        let start = u32::try_from(arena.len()).unwrap_or(u32::MAX);
        let mut v6 = 0;
        let mut ports = [0; 2];
        if let Some(seg) = seg {
            v6 = u8::from(put_ip(arena, seg.src.ip())) | u8::from(put_ip(arena, seg.dst.ip())) << 1;
            ports = [seg.src.port(), seg.dst.port()];
            arena.extend_from_slice(payload);
        }
        let seg = seg.unwrap_or(&EMPTY);
        self.batch.recs.push(HandoffRecord {
            frame: seg.frame,
            ts_ns: work.ts_ns,
            flow: seg.flow,
            bytes: work.bytes,
            start,
            len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
            slot: work
                .slot
                .and_then(|s| u32::try_from(s).ok())
                .unwrap_or(u32::MAX),
            prefix: work.prefix,
            kind,
            ports,
            transport: seg.transport,
            v6,
        });
    }

    /// Sends what is queued, waits for the second thread and returns its state; `back` receives
    /// the rest of what comes back.
    pub fn finish<B: Back>(mut self, back: &mut B) -> ProtocolStage {
        let batch = std::mem::take(&mut self.batch);
        if !batch.recs.is_empty() {
            self.send(batch);
        }
        let stage = self.join();
        while let Ok(batch) = self.from_back.try_recv() {
            self.recycle(batch, back);
        }
        stage
    }

    fn send(&mut self, batch: Batch) {
        let sent = self
            .to_back
            .as_ref()
            .is_some_and(|tx| tx.send(batch).is_ok());
        if !sent {
            self.join();
        }
    }

    /// An empty batch: one already returned, a new one while fewer than allowed exist, else the
    /// next one to come back.
    fn next_batch<B: Back>(&mut self, back: &mut B) -> Batch {
        while let Ok(batch) = self.from_back.try_recv() {
            self.recycle(batch, back);
        }
        if let Some(batch) = self.spares.pop() {
            return batch;
        }
        if self.made <= IN_FLIGHT {
            self.made += 1;
            return Batch::default();
        }
        match self.from_back.recv() {
            Ok(batch) => {
                self.recycle(batch, back);
                self.spares.pop().unwrap_or_default()
            }
            Err(_) => {
                self.join();
                Batch::default()
            }
        }
    }

    /// Takes what a batch brought back, then keeps it, emptied, for reuse.
    fn recycle<B: Back>(&mut self, mut batch: Batch, back: &mut B) {
        for &(slot, id, app) in &batch.names {
            back.name(slot, id, app);
        }
        for (rec, &leaf) in batch.recs.iter().zip(&batch.leaves) {
            back.count(rec.prefix, leaf, rec.bytes, rec.ts_ns);
        }
        batch.names.clear();
        batch.leaves.clear();
        batch.recs.clear();
        batch.arena.clear();
        batch.pieces.clear();
        batch.tcp.clear();
        self.spares.push(batch);
    }

    /// Waits for the second thread; if it panicked, so does this one (as the single-threaded
    /// analyzer would have).
    fn join(&mut self) -> ProtocolStage {
        drop(self.to_back.take());
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(stage)) => stage,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => ProtocolStage::default(),
        }
    }
}

const EMPTY: Segment<'static> = Segment {
    frame: 0,
    ts_ns: 0,
    transport: crate::flows::Transport::Udp,
    src: std::net::SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::UNSPECIFIED,
        0,
    )),
    dst: std::net::SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::UNSPECIFIED,
        0,
    )),
    payload: &[],
    flow: 0,
};

/// The second thread: analyses batches in order until the frame stage hangs up.
fn run(mut stage: ProtocolStage, rx: Receiver<Batch>, tx: Sender<Batch>) -> ProtocolStage {
    // Only a flow's first name matters; sending later ones back would be wasted work.
    let mut named: FlowMemo<bool> = FlowMemo::default();
    for mut batch in rx {
        for rec in &batch.recs {
            let work = rec.work(&batch.arena, &batch.pieces, &batch.tcp);
            let Named { leaf, app } = stage.run(&work);
            batch.leaves.push(leaf);
            if let (Some(app), Some(slot)) = (app, work.slot) {
                let flow = work.flow();
                if named.get_mut(flow).is_none() {
                    named.put(flow, true);
                    batch.names.push((slot, flow, app));
                }
            }
        }
        // The frame stage may be gone (it panicked); the work is done either way.
        let _ = tx.send(batch);
    }
    stage
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_one_cache_line() {
        assert_eq!(std::mem::size_of::<HandoffRecord>(), 64);
    }

    #[test]
    fn frames_come_out_of_a_batch_as_they_went_in() {
        let seg = |src: &str, dst: &str, payload: &'static [u8]| Segment {
            frame: 7,
            ts_ns: -3,
            transport: Transport::Tcp,
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            payload,
            flow: 42,
        };
        let pieces = [2u32, 1];
        let works = [
            Handoff {
                job: Delivery::Udp(seg("10.0.0.1:5060", "[2001:db8::2]:5062", b"abc")),
                prefix: 3,
                bytes: 1 << 40,
                ts_ns: -3,
                slot: Some(9),
            },
            Handoff {
                job: Delivery::Tcp(
                    seg("[::1]:1", "127.0.0.1:2", b"xyz"),
                    TcpDelivery {
                        owner: ProtocolId::from_index(2),
                        app: Some("sip"),
                        pieces: &pieces,
                    },
                ),
                prefix: 4,
                bytes: 60,
                ts_ns: -3,
                slot: None,
            },
            Handoff {
                job: Delivery::Count,
                prefix: 1,
                bytes: 42,
                ts_ns: 11,
                slot: None,
            },
        ];
        let (to_back, _rx) = mpsc::sync_channel(1);
        let (_tx, from_back) = mpsc::channel();
        let mut worker = Worker {
            batch: Batch::default(),
            to_back: Some(to_back),
            from_back,
            spares: Vec::new(),
            made: 1,
            handle: None,
        };
        /// Nothing comes back without a second thread.
        struct Nothing;
        impl Back for Nothing {
            fn name(&mut self, _: usize, _: u64, _: &'static str) {
                unreachable!("a name")
            }
            fn count(&mut self, _: u32, _: Option<&'static str>, _: u64, _: i64) {
                unreachable!("a count")
            }
        }
        for w in &works {
            worker.push(w, &mut Nothing);
        }
        let b = &worker.batch;
        for (rec, w) in b.recs.iter().zip(&works) {
            let out = rec.work(&b.arena, &b.pieces, &b.tcp);
            assert_eq!(format!("{out:?}"), format!("{w:?}"));
        }
        assert_eq!(b.recs.len(), 3);
    }
}
