//! The protocol half ([`crate::back`]) on a second thread, for native builds.
//!
//! The first half copies each frame's payload into a batch (one byte arena plus a fixed-size
//! record per frame) and sends full batches over a bounded channel; the second thread analyses
//! them in frame order and sends each batch back, emptied, with the flow names it found. At most
//! [`IN_FLIGHT`] + 1 batches ever exist, so memory stays bounded whatever the capture: about
//! 5 × ([`BATCH_BYTES`] + [`BATCH_FRAMES`] × 300 bytes). Same input, same order, same analyzers:
//! the report equals the single-threaded one (a test checks every reference capture).
//!
//! At the end the second thread also builds the protocol half's report ([`Back::finish`]) while
//! the first half builds its own (conversations, endpoints): on a capture with thousands of flows
//! and streams each takes tens of milliseconds.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use crate::back::{Back, BackReport, Job, TcpJob, Work};
use crate::flows::FlowMemo;
use crate::hierarchy::Path;
use crate::protocols::{FinishContext, Segment, StreamOwner};

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
    /// Owner, protocol name, and where the delivery lengths are in the batch's `pieces`.
    Tcp(Option<StreamOwner>, Option<&'static str>, usize, usize),
    Ip,
}

/// A [`Work`] without its borrowed payload, which lives in the batch's arena.
#[derive(Debug, Clone, Copy)]
struct Rec {
    kind: Kind,
    prefix: u32,
    bytes: u64,
    slot: usize,
    /// The segment with an empty payload (unused for `Count`).
    seg: Segment<'static>,
    start: usize,
    len: usize,
}

impl Rec {
    fn work<'a>(&self, arena: &'a [u8], pieces: &'a [u32]) -> Work<'a> {
        let seg = Segment {
            payload: arena.get(self.start..self.start + self.len).unwrap_or(&[]),
            ..self.seg
        };
        let job = match self.kind {
            Kind::Count => Job::Count,
            Kind::Udp => Job::Udp(seg),
            Kind::Tcp(owner, app, at, n) => Job::Tcp(
                seg,
                TcpJob {
                    owner,
                    app,
                    pieces: pieces.get(at..at + n).unwrap_or(&[]),
                },
            ),
            Kind::Ip => Job::Ip(seg),
        };
        Work {
            job,
            prefix: self.prefix,
            bytes: self.bytes,
            slot: self.slot,
        }
    }
}

#[derive(Debug, Default)]
struct Batch {
    /// Prefixes numbered since the last batch, defined before its frames are analysed.
    defs: Vec<(u32, Path)>,
    arena: Vec<u8>,
    /// TCP delivery lengths ([`TcpJob::pieces`]) of the batch's frames.
    pieces: Vec<u32>,
    recs: Vec<Rec>,
    names: Vec<Name>,
    /// Sent with the last batch: the second thread finishes its report after it.
    end: Option<FinishContext>,
    /// Set by the second thread on the last batch it sends back.
    ended: bool,
}

/// The first half's end of the pipeline.
pub(crate) struct Worker {
    batch: Batch,
    to_back: Option<SyncSender<Batch>>,
    from_back: Receiver<Batch>,
    spares: Vec<Batch>,
    made: usize,
    handle: Option<JoinHandle<()>>,
    report: Receiver<BackReport>,
}

/// The second thread building the protocol half's report ([`Worker::end`]).
pub(crate) struct Finishing {
    report: Receiver<BackReport>,
    handle: Option<JoinHandle<()>>,
}

impl Finishing {
    /// Waits for the protocol half's report. The thread is not joined once the report has come:
    /// it only drops its tables after sending it.
    pub fn report(mut self) -> BackReport {
        match self.report.recv() {
            Ok(report) => report,
            // The thread ended without a report: it panicked, and so does this one.
            Err(_) => match self.handle.take().map(JoinHandle::join) {
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                _ => Back::default().finish(&FinishContext { start_ns: 0 }),
            },
        }
    }
}

impl Worker {
    /// Starts the second thread with `back`; `None` if no thread can be started.
    pub fn spawn(back: Back) -> Option<Worker> {
        let (to_back, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
        let (tx, from_back) = mpsc::channel::<Batch>();
        let (done, report) = mpsc::channel::<BackReport>();
        let handle = std::thread::Builder::new()
            .name("callscope-protocols".into())
            .spawn(move || run(back, rx, tx, done))
            .ok()?;
        Some(Worker {
            batch: Batch::default(),
            to_back: Some(to_back),
            from_back,
            spares: Vec::new(),
            made: 1,
            handle: Some(handle),
            report,
        })
    }

    /// Queues a frame; `name` receives the flow names that came back meanwhile, in frame order.
    pub fn push(&mut self, work: &Work<'_>, name: &mut dyn FnMut(usize, u64, &'static str)) {
        let seg = match work.job {
            Job::Count => None,
            Job::Udp(seg) | Job::Tcp(seg, _) | Job::Ip(seg) => Some(seg),
        };
        let payload = seg.map_or(&[][..], |s| s.payload);
        let full = self.batch.recs.len() >= BATCH_FRAMES
            || self.batch.arena.len() + payload.len() > BATCH_BYTES;
        if full && !self.batch.recs.is_empty() {
            let next = self.next_batch(name);
            let batch = std::mem::replace(&mut self.batch, next);
            self.send(batch);
        }
        let kind = match work.job {
            Job::Count => Kind::Count,
            Job::Udp(_) => Kind::Udp,
            Job::Tcp(_, tcp) => {
                let at = self.batch.pieces.len();
                self.batch.pieces.extend_from_slice(tcp.pieces);
                Kind::Tcp(tcp.owner, tcp.app, at, tcp.pieces.len())
            }
            Job::Ip(_) => Kind::Ip,
        };
        let start = self.batch.arena.len();
        self.batch.arena.extend_from_slice(payload);
        let seg = seg.map_or(EMPTY, |s| Segment { payload: &[], ..s });
        self.batch.recs.push(Rec {
            kind,
            prefix: work.prefix,
            bytes: work.bytes,
            slot: work.slot,
            seg,
            start,
            len: payload.len(),
        });
    }

    /// Defines a prefix number for the frames that follow.
    pub fn define(&mut self, id: u32, path: Path) {
        self.batch.defs.push((id, path));
    }

    /// Sends what is queued with the end of input, and waits until every batch has come back;
    /// `name` receives the remaining flow names. The second thread then builds its report.
    pub fn end(
        mut self,
        ctx: FinishContext,
        name: &mut dyn FnMut(usize, u64, &'static str),
    ) -> Finishing {
        let mut batch = std::mem::take(&mut self.batch);
        batch.end = Some(ctx);
        self.send(batch);
        drop(self.to_back.take());
        for batch in self.from_back.iter() {
            apply(&batch.names, name);
            if batch.ended {
                break;
            }
        }
        Finishing {
            report: self.report,
            handle: self.handle.take(),
        }
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
    fn next_batch(&mut self, name: &mut dyn FnMut(usize, u64, &'static str)) -> Batch {
        while let Ok(batch) = self.from_back.try_recv() {
            self.recycle(batch, name);
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
                self.recycle(batch, name);
                self.spares.pop().unwrap_or_default()
            }
            Err(_) => {
                self.join();
                Batch::default()
            }
        }
    }

    fn recycle(&mut self, mut batch: Batch, name: &mut dyn FnMut(usize, u64, &'static str)) {
        apply(&batch.names, name);
        batch.names.clear();
        self.spares.push(batch);
    }

    /// Waits for the second thread after it stopped taking batches; if it panicked, so does
    /// this one (as the single-threaded analyzer would have).
    fn join(&mut self) {
        drop(self.to_back.take());
        if let Some(Err(panic)) = self.handle.take().map(JoinHandle::join) {
            std::panic::resume_unwind(panic);
        }
    }
}

const EMPTY: Segment<'static> = Segment {
    frame: 0,
    ts_ns: 0,
    transport: crate::flows::Transport::Udp,
    ip_protocol: 0,
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

fn apply(names: &[Name], name: &mut dyn FnMut(usize, u64, &'static str)) {
    for &(slot, id, app) in names {
        name(slot, id, app);
    }
}

/// The second thread: analyses batches in order until the last one, then sends its report.
fn run(mut back: Back, rx: Receiver<Batch>, tx: Sender<Batch>, done: Sender<BackReport>) {
    // Only a flow's first name matters; sending later ones back would be wasted work.
    let mut named: FlowMemo<bool> = FlowMemo::default();
    for mut batch in rx {
        for (id, path) in batch.defs.drain(..) {
            back.hierarchy.define(id, path);
        }
        for rec in &batch.recs {
            let work = rec.work(&batch.arena, &batch.pieces);
            if let Some(app) = back.run(&work) {
                let flow = work.flow();
                if named.get_mut(flow).is_none() {
                    named.put(flow, true);
                    batch.names.push((rec.slot, flow, app));
                }
            }
        }
        batch.recs.clear();
        batch.arena.clear();
        batch.pieces.clear();
        let end = batch.end.take();
        batch.ended = end.is_some();
        // The first half may be gone (it panicked); the work is done either way.
        let _ = tx.send(batch);
        if let Some(ctx) = end {
            let _ = done.send(back.finish(&ctx));
            return;
        }
    }
}
