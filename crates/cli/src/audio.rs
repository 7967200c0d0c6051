//! `callscope analyze FILE --call CALL-ID --wav OUT.wav` (or `--stream SSRC`): the call's or
//! stream's audio as a WAV file, decoded by `callscope_audio` in a second pass over the file
//! (the page's worker runs the same code, so both write the same bytes). Standard output gets
//! what was decoded: per channel its streams, losses, late packets and key presses.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use callscope_analysis::Report;
use callscope_audio::{from_report, Decoder, MarkKind, Mode, Request, Summary};

/// What to decode, from the command line.
pub struct Wanted<'a> {
    pub file: &'a Path,
    pub call: Option<&'a str>,
    pub stream: Option<&'a str>,
    pub out: &'a Path,
    pub mode: Mode,
    pub max_seconds: f64,
}

/// Checks the options before the capture is read (so a mistake costs no analysis).
pub fn check(w: &Wanted<'_>) -> anyhow::Result<()> {
    if w.file.as_os_str() == "-" {
        bail!("--wav reads the capture a second time: give a file, not standard input");
    }
    match (w.call, w.stream) {
        (None, None) => bail!("--wav needs --call CALL-ID or --stream SSRC"),
        (Some(_), Some(_)) => bail!("--wav takes --call or --stream, not both"),
        _ => {}
    }
    if !(w.max_seconds.is_finite() && w.max_seconds > 0.0 && w.max_seconds <= 86_400.0) {
        bail!("--max-audio must be a number of seconds from 0 to 86400");
    }
    Ok(())
}

/// The request for `w` in `report`.
pub fn request(w: &Wanted<'_>, report: &Report) -> anyhow::Result<Request> {
    let mut request = match (w.call, w.stream) {
        (Some(id), _) => {
            if !report.sip.calls.iter().any(|c| c.call_id == id) {
                bail!("no call with Call-ID {id}");
            }
            from_report::call(report, id)
                .with_context(|| format!("call {id} has no RTP stream to decode"))?
        }
        (None, Some(ssrc)) => {
            let i = from_report::stream_by_ssrc(report, ssrc).map_err(anyhow::Error::msg)?;
            from_report::stream(report, i).context("the stream's addresses cannot be read")?
        }
        (None, None) => bail!("--wav needs --call CALL-ID or --stream SSRC"),
    };
    request.mode = w.mode;
    request.max_seconds = w.max_seconds;
    Ok(request)
}

/// Decodes and writes the WAV file; returns what was decoded.
pub fn write(w: &Wanted<'_>, request: Request) -> anyhow::Result<Summary> {
    let mut input = File::open(w.file).context("cannot open")?;
    let mut decoder = Decoder::new(request);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("read failed"),
        };
        if decoder.feed(&buf[..n]).is_err() {
            break;
        }
    }
    let audio = decoder.finish();
    let tmp = temporary(w.out);
    let written = File::create(&tmp)
        .and_then(|mut f| f.write_all(&audio.wav()).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, w.out));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", w.out.display()));
    }
    Ok(audio.summary)
}

/// Beside the output, so the rename stays on one file system.
fn temporary(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    out.with_file_name(name)
}

/// What was written, as text; `request` is what was decoded (its tracks name the report's
/// streams, whose key presses are listed under them).
pub fn text(summary: &Summary, request: &Request, report: &Report, out: &Path) -> String {
    let mut t = String::new();
    let layout = match summary.channels.len() {
        1 => "mono",
        _ => "stereo",
    };
    let _ = writeln!(
        t,
        "{}: {:.3} s {layout}, {} Hz, 16-bit PCM, from {:.3} s into the capture ({})",
        out.display(),
        summary.duration,
        summary.sample_rate,
        summary.start,
        match summary.mode {
            Mode::Buffer => "as heard through a 60 ms jitter buffer",
            Mode::Captured => "as captured",
        }
    );
    if let Some(why) = &summary.cut_why {
        let _ = writeln!(t, "  cut: {why} (--max-audio bounds the length)");
    }
    if let Some(why) = &summary.reading {
        let _ = writeln!(t, "  {why}; the audio covers what was read");
    }
    let sides = ["left", "right"];
    for ((ch, side), asked) in summary.channels.iter().zip(sides).zip(&request.channels) {
        let side = if summary.channels.len() == 1 {
            ""
        } else {
            side
        };
        let _ = writeln!(
            t,
            "  {side}{}{}",
            if side.is_empty() { "" } else { ": " },
            ch.label
        );
        if ch.tracks.is_empty() {
            let _ = writeln!(t, "    no stream (silence)");
        }
        // The summary lists the request's tracks, in order.
        for (tr, track) in ch.tracks.iter().zip(&asked.tracks) {
            let _ = write!(
                t,
                "    {} {} → {} {}: {} packets, {} played, {} lost, {} late",
                tr.ssrc,
                tr.src,
                tr.dst,
                tr.codecs.join(", "),
                tr.packets,
                tr.played,
                tr.lost,
                tr.late
            );
            if tr.duplicates > 0 {
                let _ = write!(t, ", {} duplicates", tr.duplicates);
            }
            if tr.undecodable > 0 {
                let _ = write!(t, ", {} undecodable", tr.undecodable);
            }
            let _ = writeln!(t);
            if let Some(why) = &tr.not_playable {
                let _ = writeln!(t, "      not playable: {why}");
            }
            let presses = from_report::stream_of(report, track)
                .map(|s| s.dtmf.as_slice())
                .unwrap_or_default();
            for p in presses {
                let _ = writeln!(
                    t,
                    "      DTMF {} at {:.3} s ({:.3} s into the audio), {:.0} ms",
                    p.key,
                    p.start,
                    p.start - summary.start,
                    p.duration_ms
                );
            }
        }
        for m in ch.marks.iter().filter(|m| m.kind != MarkKind::Marker) {
            let what = match m.kind {
                MarkKind::Lost => format!("{} lost", m.packets),
                _ if summary.mode == Mode::Buffer => "late, discarded".to_owned(),
                _ => "late, played as it arrived".to_owned(),
            };
            let _ = writeln!(t, "      {:.3} s into the audio: {what}", m.t);
        }
        if ch.marks_dropped > 0 {
            let _ = writeln!(t, "      … {} more marks", ch.marks_dropped);
        }
    }
    t
}
