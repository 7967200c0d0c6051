//! Sockets sampled while a capture runs (about once a second, as bandwhich does): a socket that
//! opens and closes between the start and the end snapshot is still seen, with when it was
//! first and last open, so attribution can name the process that held a port at a packet's
//! time even when another one holds it later.

use std::collections::HashMap;

use callscope_facts::Socket;

/// Distinct sockets remembered at most over one capture (a busy server opens many).
pub const MAX_SOCKETS: usize = 100_000;

/// What makes two sightings the same socket.
type Key = (String, String, Option<String>, Option<u32>);

/// The sockets seen so far.
#[derive(Debug, Default)]
pub struct Sampler {
    seen: HashMap<Key, Socket>,
    order: Vec<Key>,
    /// Sockets not remembered because [`MAX_SOCKETS`] were.
    pub dropped: u64,
}

impl Sampler {
    /// Adds one sample taken at `now` (Unix seconds).
    pub fn add(&mut self, sockets: Vec<Socket>, now: f64) {
        for s in sockets {
            let key = (s.protocol.clone(), s.local.clone(), s.remote.clone(), s.pid);
            if let Some(known) = self.seen.get_mut(&key) {
                known.last_seen = Some(now);
                // A later sighting may know more (the owner became visible, a command line).
                if known.process.is_none() && s.process.is_some() {
                    *known = Socket {
                        first_seen: known.first_seen,
                        last_seen: Some(now),
                        ..s
                    };
                }
                continue;
            }
            if self.seen.len() >= MAX_SOCKETS {
                self.dropped += 1;
                continue;
            }
            self.order.push(key.clone());
            self.seen.insert(
                key,
                Socket {
                    first_seen: Some(now),
                    last_seen: Some(now),
                    ..s
                },
            );
        }
    }

    /// Every socket seen, in order of first sighting.
    pub fn into_sockets(mut self) -> Vec<Socket> {
        self.order
            .iter()
            .filter_map(|k| self.seen.remove(k))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(local: &str, pid: Option<u32>) -> Socket {
        Socket {
            protocol: "udp".into(),
            local: local.into(),
            pid,
            process: pid.map(|p| format!("p{p}")),
            ..Socket::default()
        }
    }

    #[test]
    fn sightings_keep_first_and_last_times() {
        let mut s = Sampler::default();
        s.add(vec![socket("10.0.0.1:500", Some(1))], 100.0);
        s.add(
            vec![
                socket("10.0.0.1:500", Some(1)),
                socket("10.0.0.1:4500", Some(1)),
            ],
            101.0,
        );
        // The port reused by another process is another socket.
        s.add(vec![socket("10.0.0.1:500", Some(2))], 105.0);
        let got: Vec<_> = s
            .into_sockets()
            .into_iter()
            .map(|s| (s.local, s.pid, s.first_seen, s.last_seen))
            .collect();
        assert_eq!(
            got,
            [
                ("10.0.0.1:500".to_owned(), Some(1), Some(100.0), Some(101.0)),
                (
                    "10.0.0.1:4500".to_owned(),
                    Some(1),
                    Some(101.0),
                    Some(101.0)
                ),
                ("10.0.0.1:500".to_owned(), Some(2), Some(105.0), Some(105.0)),
            ]
        );
    }

    #[test]
    fn memory_is_bounded() {
        let mut s = Sampler::default();
        let many: Vec<Socket> = (0..MAX_SOCKETS as u32 + 3)
            .map(|i| {
                socket(
                    &format!("10.0.{}.{}:{}", i >> 16, (i >> 8) & 255, i & 255),
                    Some(i),
                )
            })
            .collect();
        s.add(many, 1.0);
        assert_eq!(s.dropped, 3);
        assert_eq!(s.into_sockets().len(), MAX_SOCKETS);
    }
}
