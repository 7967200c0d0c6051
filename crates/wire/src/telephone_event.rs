//! RTP payload for DTMF digits and telephony tones (RFC 4733 §2.3): the "telephone-event"
//! payload format that phones send instead of in-band tones.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     event     |E|R| volume    |          duration             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! One event spans several packets with the same RTP timestamp (its start) and a growing
//! duration; the last one has the E bit and is usually sent three times (§2.5.1.4).

/// One telephone-event payload block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Event code (RFC 4733 §3.2: 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash).
    pub code: u8,
    /// The E bit: this packet ends the event.
    pub end: bool,
    /// Power level in −dBm0 (0–63).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl Event {
    /// The first block of a payload (a payload may repeat blocks, §2.5.1.5; the first names the
    /// event being played), or `None` when shorter than one block.
    pub fn parse(payload: &[u8]) -> Option<Event> {
        let [code, flags, d0, d1, ..] = *payload else {
            return None;
        };
        Some(Event {
            code,
            end: flags & 0x80 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// The key or tone as a phone shows it: `0`–`9`, `*`, `#`, `A`–`D`, `flash`, else the code.
    pub fn key(&self) -> String {
        match self.code {
            0..=9 => char::from(b'0' + self.code).to_string(),
            10 => "*".into(),
            11 => "#".into(),
            12..=15 => char::from(b'A' + self.code - 12).to_string(),
            16 => "flash".into(),
            c => format!("event {c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digit_and_its_end() {
        let e = Event::parse(&[11, 0x8a, 0x03, 0x20]);
        assert_eq!(
            e,
            Some(Event {
                code: 11,
                end: true,
                volume: 10,
                duration: 800
            })
        );
        assert_eq!(e.map(|e| e.key()).as_deref(), Some("#"));
        assert_eq!(
            Event::parse(&[1, 10, 0, 160]).map(|e| e.key()).as_deref(),
            Some("1")
        );
        assert_eq!(
            Event::parse(&[13, 0, 0, 0]).map(|e| e.key()).as_deref(),
            Some("B")
        );
        assert_eq!(Event::parse(&[1, 0, 0]), None);
    }
}
