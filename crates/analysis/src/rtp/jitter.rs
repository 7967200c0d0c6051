//! The fixed jitter buffer that the quality estimate models (see `codec`'s module docs) and
//! that audio playout follows, so what a listener hears is what the MOS scored: a packet plays
//! at its media time after the talkspurt's earliest transit; one arriving more than
//! [`JITTER_BUFFER_MS`] after that is discarded as late. A marker bit or a transit step of more
//! than a second starts a new talkspurt (a new anchor).

use super::codec::JITTER_BUFFER_MS;

/// What the buffer did with a packet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Playout {
    /// Arrived too late to be played.
    pub late: bool,
    /// When it plays, on the arrival clock (ms, the caller's origin), before the buffer's
    /// constant delay.
    pub at_ms: f64,
}

/// A fixed jitter buffer fed packets in arrival order.
#[derive(Debug, Clone, Default)]
pub struct JitterBuffer {
    last_ts: Option<u32>,
    nominal_ms: f64,
    anchor: Option<f64>,
    last_transit: f64,
    late: u64,
}

impl JitterBuffer {
    /// Takes a packet arriving at `arrival_ms` with RTP `timestamp` on a `clock` Hz media clock;
    /// `None` when the clock is unknown (no timing to judge by).
    pub fn push(
        &mut self,
        arrival_ms: f64,
        timestamp: u32,
        clock: u32,
        marker: bool,
    ) -> Option<Playout> {
        if clock == 0 {
            return None;
        }
        if let Some(prev) = self.last_ts {
            let step = timestamp.wrapping_sub(prev) as i32;
            self.nominal_ms += f64::from(step) * 1000.0 / f64::from(clock);
        }
        self.last_ts = Some(timestamp);
        let transit = arrival_ms - self.nominal_ms;
        let resync = marker || (transit - self.last_transit).abs() > 1000.0;
        self.last_transit = transit;
        let mut late = false;
        let anchor = match self.anchor {
            Some(a) if !resync => {
                if transit - a > JITTER_BUFFER_MS {
                    late = true;
                    self.late += 1;
                    a
                } else {
                    a.min(transit)
                }
            }
            _ => transit,
        };
        self.anchor = Some(anchor);
        Some(Playout {
            late,
            at_ms: self.nominal_ms + anchor,
        })
    }

    /// Packets discarded as late so far.
    pub fn late(&self) -> u64 {
        self.late
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_packets_are_discarded_and_others_keep_their_media_time() {
        let mut jb = JitterBuffer::default();
        let mut plays = Vec::new();
        for i in 0..10u32 {
            let late = if i == 5 { 80.0 } else { 0.0 };
            plays.push(jb.push(1000.0 + f64::from(i) * 20.0 + late, i * 160, 8000, false));
        }
        assert_eq!(jb.late(), 1);
        let p = plays[5].unwrap();
        assert!(p.late);
        assert!((p.at_ms - 1100.0).abs() < 1e-9, "{p:?}");
        assert!(plays
            .iter()
            .enumerate()
            .all(|(i, p)| { (p.unwrap().at_ms - (1000.0 + 20.0 * i as f64)).abs() < 1e-9 }));
        // A timestamp jump of 5 s resynchronises instead of discarding everything after it.
        jb.push(1220.0, 10 * 160 + 40000, 8000, false);
        let p = jb.push(1240.0, 11 * 160 + 40000, 8000, false).unwrap();
        assert_eq!(jb.late(), 1);
        assert!((p.at_ms - 1240.0).abs() < 1e-9);
        assert_eq!(jb.push(0.0, 0, 0, false), None);
    }
}
