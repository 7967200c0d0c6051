//! H.248/MEGACO in its text encoding (RFC 3525 Annex B), read only as far as the session
//! descriptions a media gateway controller puts in Local and Remote descriptors (§7.1.8).
//!
//! A trunking gateway learns its RTP endpoints this way rather than through SIP, and tshark sets
//! up RTP and T.38 conversations from these descriptions just as from SIP's SDP; callscope has
//! to read them to decide the same packets are media. No crate decodes H.248 text, and only the
//! descriptors matter here, so this is a small scanner, not a parser of the grammar.

/// Most session descriptions taken from one message.
pub const MAX_DESCRIPTIONS: usize = 32;

/// Whether a payload starts like a text H.248 message: `MEGACO/` or its short form `!/`
/// followed by the version digit (RFC 3525 Annex B.2, `MegacopToken SLASH Version`), after
/// optional whitespace and `;` comment lines.
pub fn looks_like_megaco(p: &[u8]) -> bool {
    let p = skip_space_and_comments(p);
    let rest = if p.len() >= 7 && p[..7].eq_ignore_ascii_case(b"MEGACO/") {
        &p[7..]
    } else if p.starts_with(b"!/") {
        &p[2..]
    } else {
        return false;
    };
    rest.first().is_some_and(u8::is_ascii_digit)
}

fn skip_space_and_comments(mut p: &[u8]) -> &[u8] {
    loop {
        match p.first() {
            Some(b' ' | b'\t' | b'\r' | b'\n') => p = &p[1..],
            Some(b';') => {
                let end = p.iter().position(|&b| b == b'\n').unwrap_or(p.len());
                p = &p[end..];
            }
            _ => return p,
        }
    }
}

/// The session descriptions in the message's Local (`Local`/`L`) and Remote (`Remote`/`R`)
/// descriptors, in message order; a descriptor holding several (one per `v=` line, §7.1.8)
/// gives each separately. At most [`MAX_DESCRIPTIONS`].
pub fn session_descriptions(p: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() && out.len() < MAX_DESCRIPTIONS {
        let Some(body) = descriptor_at(p, i) else {
            i += 1;
            continue;
        };
        let (start, end) = body;
        split_sessions(&p[start..end], &mut out);
        i = end + 1;
    }
    out.truncate(MAX_DESCRIPTIONS);
    out
}

/// If a Local or Remote token starts at `i` (after a delimiter), the byte range of its
/// `{ … }` body: an octet string, ended by the first `}` not escaped as `\}` (Annex B.2).
fn descriptor_at(p: &[u8], i: usize) -> Option<(usize, usize)> {
    if i > 0 && !matches!(p[i - 1], b'{' | b',' | b' ' | b'\t' | b'\r' | b'\n') {
        return None;
    }
    let token_len = [&b"Local"[..], b"Remote", b"L", b"R"]
        .iter()
        .find(|t| p.len() >= i + t.len() && p[i..i + t.len()].eq_ignore_ascii_case(t))?
        .len();
    let mut j = i + token_len;
    while p.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
        j += 1;
    }
    if p.get(j) != Some(&b'{') {
        return None;
    }
    let start = j + 1;
    let mut k = start;
    while k < p.len() {
        match p[k] {
            b'\\' => k += 2,
            b'}' => return Some((start, k)),
            _ => k += 1,
        }
    }
    None
}

/// Splits a descriptor body at each line that starts with `v=`.
fn split_sessions<'a>(body: &'a [u8], out: &mut Vec<&'a [u8]>) {
    let mut starts = Vec::new();
    let mut line_start = 0;
    while line_start < body.len() {
        let line = &body[line_start..];
        let trimmed = line.len() - line.trim_ascii_start().len();
        if line[trimmed..].starts_with(b"v=") {
            starts.push(line_start + trimmed);
        }
        match line.iter().position(|&b| b == b'\n') {
            Some(n) => line_start += n + 1,
            None => break,
        }
    }
    for (n, &s) in starts.iter().enumerate() {
        let e = starts.get(n + 1).copied().unwrap_or(body.len());
        out.push(&body[s..e]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODIFY: &[u8] =
        b"!/1 <iMSS>\nT=555282751{C=191{MF=RTP/1727{M{O{MO=SR,RV=ON,RG=ON},L{v=0\n\
c=IN IP4 10.23.1.52\nm=audio 16756 RTP/AVP 8 102\na=ptime:20\nv=0\nc=IN IP4 10.23.1.52\n\
m=image 16756 udptl t38\n},R{v=0\no=- 754617316 4 IN IP4 10.35.60.100\ns=-\n\
c=IN IP4 10.35.60.100\nt=0 0\nm=audio 15580 RTP/AVP 8 102\n}}}}}\n";

    #[test]
    fn recognises_both_start_tokens() {
        assert!(looks_like_megaco(MODIFY));
        assert!(looks_like_megaco(b"MEGACO/1 [10.0.0.1]:2944\nReply=1{}"));
        assert!(looks_like_megaco(b"; comment\r\n  megaco/1 <mg>"));
        assert!(!looks_like_megaco(b"!/x"));
        assert!(!looks_like_megaco(b"INVITE sip:a@b SIP/2.0\r\n"));
        assert!(!looks_like_megaco(b""));
        assert!(!looks_like_megaco(b";"));
    }

    #[test]
    fn finds_each_session_of_local_and_remote_in_order() {
        let d = session_descriptions(MODIFY);
        assert_eq!(d.len(), 3);
        assert!(d[0].starts_with(b"v=0\nc=IN IP4 10.23.1.52\nm=audio 16756"));
        assert!(d[1].starts_with(b"v=0\nc=IN IP4 10.23.1.52\nm=image 16756"));
        assert!(d[1].ends_with(b"udptl t38\n"));
        assert!(d[2].starts_with(b"v=0\no=- 754617316"));
        assert!(d[2].ends_with(b"RTP/AVP 8 102\n"));
    }

    #[test]
    fn tokens_need_a_delimiter_and_a_brace() {
        // `EL{`, `ML{` and `R=` are not descriptors; `Remote {` with a space is.
        let d = session_descriptions(b"!/1 x\nEL{v=0\n},R=3,Remote {v=0\nm=audio 1 RTP/AVP 0\n}");
        assert_eq!(d, vec![&b"v=0\nm=audio 1 RTP/AVP 0\n"[..]]);
    }

    #[test]
    fn an_escaped_brace_does_not_end_the_body_and_an_open_body_gives_nothing() {
        let d = session_descriptions(b"L{v=0\ns=a\\}b\n}");
        assert_eq!(d, vec![&b"v=0\ns=a\\}b\n"[..]]);
        assert!(session_descriptions(b"L{v=0\nm=audio 1 RTP/AVP 0\n").is_empty());
        assert!(session_descriptions(b"L{v=0\\").is_empty());
    }

    #[test]
    fn bounded_and_never_panics_on_odd_bytes() {
        let many = "L{v=0\nv=0\nv=0\n},".repeat(40);
        assert_eq!(
            session_descriptions(many.as_bytes()).len(),
            MAX_DESCRIPTIONS
        );
        for bytes in [
            &b"L"[..],
            b"L ",
            b"{",
            b"}",
            b"\\",
            b"R{",
            b"R{}",
            b"L{\n\n}",
        ] {
            let _ = session_descriptions(bytes);
            let _ = looks_like_megaco(bytes);
        }
    }
}
