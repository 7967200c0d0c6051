//! Text output that cannot drive the terminal: captures carry strings chosen by whoever sent the
//! packets (Call-IDs, User-Agents, interface names), and an ESC or BEL among them would clear the
//! screen, set the window title or colour the rest of the output. Every control character but the
//! newline and the tab (which the text's own layout uses, and which move no more than a space
//! does) is written as an escape instead: C0 and DEL as `\x1b`, C1 as `\u{9b}`. JSON needs none
//! of this (serde escapes control characters itself).

use std::io::{self, Write};

/// A writer that escapes control characters on their way to `W`.
pub struct SafeText<W: Write>(pub W);

/// C0 controls but the newline and the tab, and DEL: written as `\xNN`.
fn is_escaped_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f
}

fn escape(c: char, out: &mut Vec<u8>) {
    match c {
        c if c.is_ascii() && is_escaped_byte(c as u8) => {
            out.extend(format!("\\x{:02x}", c as u32).bytes())
        }
        '\u{80}'..='\u{9f}' => out.extend(format!("\\u{{{:x}}}", c as u32).bytes()),
        c => {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
}

fn needs_escape(b: &[u8]) -> bool {
    // An escaped byte, or a UTF-8 lead byte 0xC2 that may start a C1 character.
    b.iter().any(|&c| is_escaped_byte(c) || c == 0xc2)
}

impl<W: Write> Write for SafeText<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !needs_escape(buf) {
            return self.0.write(buf);
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        match std::str::from_utf8(buf) {
            Ok(s) => s.chars().for_each(|c| escape(c, &mut out)),
            // Not text (formatting only writes text, so this is a caller's raw bytes): escape
            // the C0 controls and DEL byte by byte.
            Err(_) => buf.iter().for_each(|&b| {
                if is_escaped_byte(b) {
                    out.extend(format!("\\x{b:02x}").bytes());
                } else {
                    out.push(b);
                }
            }),
        }
        self.0.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_come_out_as_escapes() {
        let mut w = SafeText(Vec::new());
        writeln!(w, "Call-ID: a\u{1b}[2J\u{7}b\rc\td\u{7f}e\u{9b}31m — ok").unwrap();
        let s = String::from_utf8(w.0).unwrap();
        assert_eq!(
            s,
            "Call-ID: a\\x1b[2J\\x07b\\x0dc\td\\x7fe\\u{9b}31m — ok\n"
        );
        let mut plain = SafeText(Vec::new());
        write!(plain, "ünïcødé stays, and so does ¢").unwrap();
        assert_eq!(plain.0, "ünïcødé stays, and so does ¢".as_bytes());
    }
}
