//! The unfinished message at the end of each TCP direction's in-order bytes, for analyzers whose
//! framing is a length prefix (DNS over TCP, TLS records): bytes wait here until a whole message
//! can be cut from them.
//!
//! Bounded: a direction may hold at most `max_per_stream` bytes, all directions together
//! `max_total`, and at most `max_streams` directions may hold any. What does not fit is
//! discarded and counted in [`Partial::dropped_bytes`].

use std::net::SocketAddr;

use crate::FastMap;

/// Waiting bytes per direction.
#[derive(Debug)]
pub struct Partial {
    waiting: FastMap<(SocketAddr, SocketAddr), Vec<u8>>,
    held: usize,
    max_per_stream: usize,
    max_total: usize,
    max_streams: usize,
    /// Bytes discarded because a bound was reached or the framing gave up.
    pub dropped_bytes: u64,
}

impl Partial {
    /// Empty buffers with these bounds.
    pub fn new(max_per_stream: usize, max_total: usize, max_streams: usize) -> Partial {
        Partial {
            waiting: FastMap::default(),
            held: 0,
            max_per_stream,
            max_total,
            max_streams,
            dropped_bytes: 0,
        }
    }

    /// Appends in-order bytes sent `src`→`dst` to what waited, and offers them to `take`, which
    /// returns how many bytes it used from the start (whole messages), or None to give up on
    /// them (they are dropped and counted). The rest waits for the next bytes.
    pub fn push(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: &[u8],
        take: &mut dyn FnMut(&[u8]) -> Option<usize>,
    ) {
        let key = (src, dst);
        let mut data = self.waiting.remove(&key).unwrap_or_default();
        self.held -= data.len();
        data.extend_from_slice(bytes);
        let rest = match take(&data) {
            Some(used) => data.get(used..).unwrap_or_default(),
            None => {
                self.dropped_bytes += data.len() as u64;
                return;
            }
        };
        if rest.is_empty() {
            return;
        }
        let fits = rest.len() <= self.max_per_stream
            && self.held + rest.len() <= self.max_total
            && self.waiting.len() < self.max_streams;
        if fits {
            self.held += rest.len();
            self.waiting.insert(key, rest.to_vec());
        } else {
            self.dropped_bytes += rest.len() as u64;
        }
    }

    /// Forgets what waits for a direction (its analyzer is done with it).
    pub fn forget(&mut self, src: SocketAddr, dst: SocketAddr) {
        if let Some(data) = self.waiting.remove(&(src, dst)) {
            self.held -= data.len();
        }
    }

    /// Bytes waiting in all directions.
    pub fn held(&self) -> usize {
        self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    /// Framing by a one-byte length prefix.
    fn frames(out: &mut Vec<Vec<u8>>) -> impl FnMut(&[u8]) -> Option<usize> + '_ {
        move |data| {
            let mut at = 0;
            while let Some(&len) = data.get(at) {
                let Some(m) = data.get(at + 1..at + 1 + usize::from(len)) else {
                    break;
                };
                out.push(m.to_vec());
                at += 1 + usize::from(len);
            }
            Some(at)
        }
    }

    #[test]
    fn a_message_across_pushes_comes_out_whole() {
        let mut p = Partial::new(100, 1000, 10);
        let mut out = Vec::new();
        p.push(addr(1), addr(2), &[3, b'a'], &mut frames(&mut out));
        assert!(out.is_empty());
        assert_eq!(p.held(), 2);
        p.push(
            addr(1),
            addr(2),
            &[b'b', b'c', 1, b'd'],
            &mut frames(&mut out),
        );
        assert_eq!(out, vec![b"abc".to_vec(), b"d".to_vec()]);
        assert_eq!(p.held(), 0);
    }

    #[test]
    fn what_does_not_fit_or_is_refused_is_counted() {
        let mut p = Partial::new(4, 1000, 10);
        let mut out = Vec::new();
        p.push(
            addr(1),
            addr(2),
            &[200, 1, 2, 3, 4, 5],
            &mut frames(&mut out),
        );
        assert_eq!((p.held(), p.dropped_bytes), (0, 6));
        p.push(addr(1), addr(2), &[9, 9], &mut |_| None);
        assert_eq!(p.dropped_bytes, 8);
        p.push(addr(3), addr(4), &[9], &mut frames(&mut out));
        p.forget(addr(3), addr(4));
        assert_eq!(p.held(), 0);
    }
}
