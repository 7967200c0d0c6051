//! Finding the SDP in a SIP body: `application/sdp` itself, or the `application/sdp` part of a
//! `multipart/mixed` (or `/related`, `/alternative`) body (RFC 2046 §5.1, RFC 5621 §3).

/// The SDP bytes in `body`, given the message's `Content-Type` value.
pub fn sdp_part<'a>(content_type: &str, body: &'a [u8]) -> Option<&'a [u8]> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/sdp") {
        return Some(body);
    }
    if !media.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    let boundary = content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"'))
    })?;
    if boundary.is_empty() {
        return None;
    }
    let delimiter = [b"--".as_slice(), boundary.as_bytes()].concat();
    let mut rest = body;
    // Each part follows a delimiter line; the part's own headers end at an empty line.
    while let Some(at) = find(rest, &delimiter) {
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            return None;
        }
        let end = find(rest, &delimiter).unwrap_or(rest.len());
        let part = &rest[..end];
        let (headers, content) = split_part(part)?;
        let is_sdp = headers.split(|&b| b == b'\n').any(|line| {
            let line = String::from_utf8_lossy(line);
            line.split_once(':').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("content-type")
                    && v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .eq_ignore_ascii_case("application/sdp")
            })
        });
        if is_sdp {
            // The CRLF before the next delimiter belongs to the delimiter (RFC 2046 §5.1.1).
            let content = content
                .strip_suffix(b"\r\n")
                .or_else(|| content.strip_suffix(b"\n"))
                .unwrap_or(content);
            return Some(content);
        }
        rest = &rest[end..];
    }
    None
}

/// A part's header lines and content, split at the first empty line.
fn split_part(part: &[u8]) -> Option<(&[u8], &[u8])> {
    let part = part
        .strip_prefix(b"\r\n")
        .or_else(|| part.strip_prefix(b"\n"))
        .unwrap_or(part);
    if let Some(p) = find(part, b"\r\n\r\n") {
        return Some((&part[..p], &part[p + 4..]));
    }
    find(part, b"\n\n").map(|p| (&part[..p], &part[p + 2..]))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    static MULTIPART: &[u8] =
        b"--xyz\r\nContent-Type: application/vnd.3gpp.sms\r\n\r\n\x01\x02\r\n\
--xyz\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n--xyz--\r\n";

    #[test]
    fn a_plain_sdp_body_is_the_sdp() {
        assert_eq!(
            sdp_part("application/SDP", b"v=0\r\n"),
            Some(&b"v=0\r\n"[..])
        );
    }

    #[test]
    fn the_sdp_part_of_a_multipart_body_is_found() {
        assert_eq!(
            sdp_part("multipart/mixed;boundary=\"xyz\"", MULTIPART),
            Some(&b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n"[..])
        );
    }

    #[test]
    fn other_bodies_have_no_sdp() {
        assert_eq!(sdp_part("text/plain", b"v=0"), None);
        assert_eq!(sdp_part("multipart/mixed", MULTIPART), None);
        assert_eq!(sdp_part("multipart/mixed;boundary=abc", MULTIPART), None);
    }
}
