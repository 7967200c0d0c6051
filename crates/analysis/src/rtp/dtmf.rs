//! Key presses sent as RFC 4733 telephone-events: the packets of one event share its start
//! timestamp (§2.5.1.2) and end with the E bit, usually three times (§2.5.1.4), so one press
//! is one (timestamp, event code) and its length is the largest duration seen.

use callscope_wire::telephone_event::Event;
use serde::{Deserialize, Serialize};

/// Key presses kept per stream (further ones are counted in the stream's `dtmf_dropped`).
pub const MAX_PRESSES: usize = 256;

/// One key press (or tone) of a stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DtmfPress {
    /// The key: `0`–`9`, `*`, `#`, `A`–`D`, `flash` (RFC 4733 §3.2).
    pub key: String,
    /// Its first packet, seconds since the capture's first packet.
    pub start: f64,
    /// Its length from the largest duration field (ms).
    pub duration_ms: f64,
    /// Frame of its first packet.
    pub frame: u64,
    /// Whether an end packet (E bit) was seen.
    pub ended: bool,
    /// Power level, −dBm0.
    pub volume: u8,
}

/// A press while the stream is read (times in ns until the report converts them).
#[derive(Debug, Clone)]
pub(crate) struct Press {
    pub(crate) timestamp: u32,
    pub(crate) event: Event,
    pub(crate) first_ns: i64,
    pub(crate) frame: u64,
    pub(crate) longest: u16,
    pub(crate) ended: bool,
}

/// The presses of one stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Presses {
    pub(crate) kept: Vec<Press>,
    pub(crate) dropped: u64,
}

impl Presses {
    /// Adds an event packet.
    pub(crate) fn push(&mut self, event: Event, timestamp: u32, ts_ns: i64, frame: u64) {
        if let Some(p) = self
            .kept
            .last_mut()
            .filter(|p| p.timestamp == timestamp && p.event.code == event.code)
        {
            p.longest = p.longest.max(event.duration);
            p.ended |= event.end;
            return;
        }
        if self.kept.len() >= MAX_PRESSES {
            self.dropped += 1;
            return;
        }
        self.kept.push(Press {
            timestamp,
            event,
            first_ns: ts_ns,
            frame,
            longest: event.duration,
            ended: event.end,
        });
    }

    /// The presses as the report shows them; `rel` turns ns into seconds since the capture's
    /// start, `clock` is the event payload's clock (8000 Hz unless SDP said otherwise).
    pub(crate) fn report(&self, clock: u32, rel: impl Fn(i64) -> f64) -> Vec<DtmfPress> {
        let clock = if clock == 0 { 8000 } else { clock };
        self.kept
            .iter()
            .map(|p| DtmfPress {
                key: p.event.key(),
                start: rel(p.first_ns),
                duration_ms: f64::from(p.longest) * 1000.0 / f64::from(clock),
                frame: p.frame,
                ended: p.ended,
                volume: p.event.volume,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: u8, end: bool, duration: u16) -> Event {
        Event {
            code,
            end,
            volume: 10,
            duration,
        }
    }

    #[test]
    fn packets_of_one_press_and_its_repeated_end_are_one_press() {
        let mut p = Presses::default();
        for k in 0..5u16 {
            p.push(
                ev(1, false, 160 * (k + 1)),
                1000,
                2_000_000_000 + i64::from(k) * 20_000_000,
                10 + u64::from(k),
            );
        }
        for k in 0..3 {
            p.push(ev(1, true, 800), 1000, 2_100_000_000 + k * 20_000_000, 15);
        }
        // The same key again, later: a second press.
        p.push(ev(1, true, 400), 9000, 3_000_000_000, 40);
        p.push(ev(11, false, 160), 9000, 3_020_000_000, 41);
        let r = p.report(8000, |ns| ns as f64 / 1e9);
        let keys: Vec<_> = r
            .iter()
            .map(|p| (p.key.as_str(), p.start, p.duration_ms, p.ended))
            .collect();
        assert_eq!(
            keys,
            [
                ("1", 2.0, 100.0, true),
                ("1", 3.0, 50.0, true),
                ("#", 3.02, 20.0, false)
            ]
        );
        assert_eq!(r[0].frame, 10);
    }

    #[test]
    fn presses_are_bounded() {
        let mut p = Presses::default();
        for i in 0..(MAX_PRESSES as u32 + 5) {
            p.push(ev(5, true, 160), i * 1000, 0, 0);
        }
        assert_eq!((p.kept.len(), p.dropped), (MAX_PRESSES, 5));
    }
}
