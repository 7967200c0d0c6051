//! Text read from the wire (SIP, SDP): UTF-8 by the rule, anything in practice.

use std::borrow::Cow;

/// `bytes` as text, each invalid sequence replaced by U+FFFD, as `String::from_utf8_lossy`
/// does. Valid text (nearly all of it) is checked by `str::from_utf8`, which reads ASCII a word
/// at a time; the lossy scan goes byte by byte and was a tenth of the cost of a SIP message.
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_borrowed_and_invalid_bytes_are_replaced() {
        assert!(matches!(
            lossy(b"INVITE sip:a@b"),
            Cow::Borrowed("INVITE sip:a@b")
        ));
        assert_eq!(lossy(b"a\xffb\xe2\x82"), "a\u{fffd}b\u{fffd}");
        assert_eq!(lossy(b"caf\xc3\xa9"), "café");
    }
}
