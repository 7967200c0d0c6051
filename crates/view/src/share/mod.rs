//! Share links: the report (never the packets) in the URL fragment, `#r=` followed by the
//! report's compact JSON, deflated (RFC 1951) and written in base64url (RFC 4648 §5). The
//! fragment never reaches a server, so a static page can open it with no file and no upload.
//!
//! Before encoding, [`make`] can mask phone numbers, user parts and display names (the CLI's
//! `--mask`) and IP addresses (stable pseudonyms that keep each address's class, [`addresses`]);
//! when the link would be longer than chat and mail carry ([`LINK_LIMIT`]), it shares a reduced
//! report and says what was left out ([`reduce`]). Opening a link ([`open`]) validates it as any
//! input: bounded sizes, a known version, a report that deserializes; nothing in it is run.

pub mod addresses;
pub mod reduce;

use std::io::{Read, Write};

use base64::Engine;
use callscope_analysis::mask::mask_report;
use callscope_analysis::report::SCHEMA;
use callscope_analysis::Report;
use serde::{Deserialize, Serialize};

/// What starts a share link's fragment.
pub const PREFIX: &str = "#r=";
/// The longest link (its fragment, in characters) shared whole; longer ones are reduced. Chat
/// clients and mail keep links of about this length intact.
pub const LINK_LIMIT: usize = 8 * 1024;
/// The longest fragment [`open`] reads (and [`make`] makes): far beyond what links carry, far
/// below what could strain a tab.
pub const MAX_FRAGMENT: usize = 1 << 20;
/// The most JSON a link may inflate to.
pub const MAX_JSON: usize = 16 << 20;
/// The most JSON objects and arrays a link may hold: every `{}` becomes a whole record (fields
/// default), so this, not the bytes, bounds the memory a crafted link takes.
pub const MAX_OBJECTS: usize = 200_000;
/// The link format's version.
pub const VERSION: u32 = 1;
/// Reports whose JSON is more than this many times the link limit are reduced before being
/// deflated at all: report JSON usually deflates 10 to 50 times, and reducing a little too much
/// is cheaper than compressing a 100 MB report to find out.
const PRE_REDUCE_RATIO: usize = 60;

/// What a link carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Shared {
    /// Link format version ([`VERSION`]).
    pub v: u32,
    /// The capture's file name.
    pub file: String,
    /// When the link was made, seconds since the epoch.
    pub made_unix: f64,
    /// The callscope version that made it.
    pub callscope: String,
    /// Numbers, user parts and display names were masked.
    pub masked_numbers: bool,
    /// IP addresses were replaced by pseudonyms.
    pub masked_addresses: bool,
    /// What was left out to keep the link short, in words (empty: the whole report).
    pub left_out: Vec<String>,
    /// The report.
    pub report: Report,
}

/// Why a link could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareError {
    /// The fragment is not `#r=…`.
    NotALink,
    /// Longer than [`MAX_FRAGMENT`].
    TooLong(usize),
    /// Not base64url.
    NotBase64(String),
    /// Not deflate data, or it inflates beyond [`MAX_JSON`].
    NotDeflate(String),
    /// The JSON is not a shared report.
    NotAReport(String),
    /// A link format this page does not read.
    Version(u32),
    /// Masking could not be done, so nothing is shared.
    Mask(String),
    /// Even reduced, the report makes a link longer than [`MAX_FRAGMENT`].
    Huge(usize),
}

impl std::fmt::Display for ShareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareError::NotALink => write!(f, "the address does not carry a shared report (#r=…)"),
            ShareError::TooLong(n) => {
                write!(f, "the link is {n} characters long, more than the {MAX_FRAGMENT} a shared report can be")
            }
            ShareError::NotBase64(e) => write!(f, "the link is damaged (not base64url: {e}); was it cut when it was copied?"),
            ShareError::NotDeflate(e) => write!(f, "the link is damaged ({e}); was it cut when it was copied?"),
            ShareError::NotAReport(e) => write!(f, "the link does not hold a callscope report ({e})"),
            ShareError::Version(0) => write!(f, "the link does not hold a callscope report (no link version)"),
            ShareError::Version(v) => write!(f, "the link was made by a newer callscope (link version {v}); this page reads version {VERSION}"),
            ShareError::Mask(e) => write!(f, "masking failed ({e}), so no link was made"),
            ShareError::Huge(n) => write!(f, "even reduced, the report makes a {n}-character link; share the JSON file instead"),
        }
    }
}

impl std::error::Error for ShareError {}

/// The fragment (with its `#r=`) of a shared report.
pub fn encode(shared: &Shared) -> String {
    let json = crate::json::to_vec(shared).unwrap_or_default();
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = deflate.write_all(&json);
    let packed = deflate.finish().unwrap_or_default();
    format!(
        "{PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
    )
}

/// Reads a shared report from a fragment (`#r=…`, with or without the `#`).
pub fn open(fragment: &str) -> Result<Shared, ShareError> {
    let body = fragment
        .strip_prefix(PREFIX)
        .or_else(|| fragment.strip_prefix(&PREFIX[1..]))
        .ok_or(ShareError::NotALink)?;
    if body.len() > MAX_FRAGMENT {
        return Err(ShareError::TooLong(body.len()));
    }
    let packed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|e| ShareError::NotBase64(e.to_string()))?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .take(MAX_JSON as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| ShareError::NotDeflate(e.to_string()))?;
    if json.len() > MAX_JSON {
        return Err(ShareError::NotDeflate(format!(
            "it inflates beyond {} MiB",
            MAX_JSON >> 20
        )));
    }
    let objects = json.iter().filter(|&&b| b == b'{' || b == b'[').count();
    if objects > MAX_OBJECTS {
        return Err(ShareError::NotAReport(format!(
            "{objects} objects, more than a shared report holds"
        )));
    }
    // From text, as the page reads the worker's report: one deserializer for the report types in
    // the page's wasm instead of two (each costs ~150 kB).
    let json = String::from_utf8(json).map_err(|e| ShareError::NotAReport(e.to_string()))?;
    let shared: Shared =
        serde_json::from_str(&json).map_err(|e| ShareError::NotAReport(e.to_string()))?;
    if shared.v != VERSION {
        return Err(ShareError::Version(shared.v));
    }
    if shared.report.schema != SCHEMA {
        return Err(ShareError::NotAReport(format!(
            "schema {:?}, expected {SCHEMA:?}",
            shared.report.schema
        )));
    }
    let mut shared = shared;
    callscope_analysis::verdicts::rejudge(&mut shared.report);
    Ok(shared)
}

/// How to share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Mask phone numbers, user parts and display names (the CLI's `--mask`).
    pub mask_numbers: bool,
    /// Replace IP addresses with pseudonyms that keep their class.
    pub mask_addresses: bool,
    /// The longest fragment to make before reducing.
    pub limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            mask_numbers: true,
            mask_addresses: true,
            limit: LINK_LIMIT,
        }
    }
}

/// The file name a masked link carries: `capture` and the original's extension (a file name
/// often holds a number or a name).
fn masked_file(file: &str) -> String {
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()));
    match ext {
        Some(e) => format!("capture.{e}"),
        None => "capture".to_owned(),
    }
}

/// A link for a report: reduced (step by step, saying what went) until it fits `options.limit`
/// or nothing more can go, then masked as asked. `prior` is the shared report this one came
/// from, if any: what it left out and masked stays said. Returns the fragment and what it
/// carries; an error rather than an unmasked link when masking fails.
pub fn make(
    report: &Report,
    file: &str,
    made_unix: f64,
    options: Options,
    prior: Option<&Shared>,
) -> Result<(String, Shared), ShareError> {
    let mut shared = Shared {
        v: VERSION,
        file: if options.mask_numbers {
            masked_file(file)
        } else {
            file.to_owned()
        },
        made_unix,
        callscope: env!("CARGO_PKG_VERSION").to_owned(),
        masked_numbers: options.mask_numbers || prior.is_some_and(|p| p.masked_numbers),
        masked_addresses: options.mask_addresses || prior.is_some_and(|p| p.masked_addresses),
        left_out: Vec::new(),
        report: report.clone(),
    };
    let earlier: Vec<String> = prior.map(|p| p.left_out.clone()).unwrap_or_default();
    let notes = |reducer: &reduce::Reducer| {
        earlier
            .iter()
            .cloned()
            .chain(reducer.notes())
            .collect::<Vec<_>>()
    };
    // Reduce first what cannot fit anyway (masking a 100 MB report only to drop most of it
    // would be slow), then mask, then reduce while the encoded link is too long.
    // Verdicts are judged again from the shared report when it is opened (masked and reduced
    // as it is then); only those that needed the host's facts travel.
    shared
        .report
        .verdicts
        .retain(callscope_analysis::verdicts::needs_facts);
    let mut reducer = reduce::Reducer::new();
    while crate::json::to_vec(&shared.report).map_or(0, |j| j.len())
        > options.limit * PRE_REDUCE_RATIO
    {
        if !reducer.step(&mut shared.report) {
            break;
        }
    }
    if options.mask_numbers {
        mask_report(&mut shared.report);
    }
    if options.mask_addresses {
        addresses::mask(&mut shared.report).map_err(|e| ShareError::Mask(e.0))?;
    }
    shared.left_out = notes(&reducer);
    let mut link = encode(&shared);
    while link.len() > options.limit {
        if !reducer.step(&mut shared.report) {
            break;
        }
        shared.left_out = notes(&reducer);
        link = encode(&shared);
    }
    if link.len() > MAX_FRAGMENT {
        return Err(ShareError::Huge(link.len()));
    }
    // What the link carries as it will be opened.
    callscope_analysis::verdicts::rejudge(&mut shared.report);
    Ok((link, shared))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use callscope_analysis::sip::report::Call;

    fn report() -> Report {
        let mut r = Report {
            schema: SCHEMA.into(),
            ..Report::default()
        };
        r.capture.packets = 42;
        r.sip.calls.push(Call {
            call_id: "abc@10.0.0.1".into(),
            caller: "+15550100".into(),
            caller_addr: "10.0.0.1:5060".parse().unwrap(),
            ..Call::default()
        });
        r
    }

    #[test]
    fn a_link_round_trips_the_report() {
        let options = Options {
            mask_numbers: false,
            mask_addresses: false,
            ..Options::default()
        };
        let (link, shared) = make(&report(), "call.pcap", 1.7e9, options, None).unwrap();
        assert!(link.starts_with("#r="));
        assert!(link[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let back = open(&link).unwrap();
        assert_eq!(back, shared);
        assert_eq!(back.report, report());
        assert!(back.left_out.is_empty());
    }

    #[test]
    fn verdicts_are_judged_again_from_the_masked_report_not_carried() {
        let mut r = report();
        r.sip.calls[0].state = callscope_analysis::sip::report::CallState::Rejected;
        r.sip.calls[0].status = Some(486);
        r.sip.calls[0].callee = "+15550199".into();
        r.verdicts = callscope_analysis::verdicts::judge(&r, None);
        assert!(
            r.verdicts[0].title.contains("+15550100"),
            "{:?}",
            r.verdicts
        );
        let (link, shared) = make(&r, "call.pcap", 1.7e9, Options::default(), None).unwrap();
        let carried = {
            let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&link[PREFIX.len()..])
                .unwrap();
            let mut json = String::new();
            flate2::read::DeflateDecoder::new(body.as_slice())
                .read_to_string(&mut json)
                .unwrap();
            json
        };
        assert!(carried.contains("\"verdicts\":[]"), "{carried}");
        let back = open(&link).unwrap();
        assert_eq!(back, shared);
        let v = &back.report.verdicts[0];
        assert!(v.id.starts_with("call-failed"), "{v:?}");
        assert!(
            v.title.contains("number-1") && !v.title.contains("15550100"),
            "{}",
            v.title
        );
    }

    #[test]
    fn masking_leaves_no_number_or_address_in_the_link() {
        let (link, shared) = make(&report(), "call.pcap", 1.7e9, Options::default(), None).unwrap();
        let json = serde_json::to_string(&open(&link).unwrap()).unwrap();
        assert!(
            !json.contains("15550100") && !json.contains("10.0.0.1"),
            "{json}"
        );
        assert_eq!(shared.report.sip.calls[0].caller, "number-1");
        assert!(shared.masked_numbers && shared.masked_addresses);
    }

    #[test]
    fn damaged_and_hostile_links_are_errors_in_words() {
        let (link, _) = make(&report(), "x", 0.0, Options::default(), None).unwrap();
        assert_eq!(open("#/calls"), Err(ShareError::NotALink));
        assert!(matches!(open("#r=!!!"), Err(ShareError::NotBase64(_))));
        // A link cut in half (as a chat client might): damaged, in words.
        let cut = open(&link[..link.len() / 2]).unwrap_err().to_string();
        assert!(
            cut.contains("damaged") || cut.contains("does not hold"),
            "{cut}"
        );
        let not_json = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"hello");
        assert!(matches!(
            open(&format!("#r={not_json}")),
            Err(ShareError::NotDeflate(_))
        ));
        // A deflate bomb: 80 MiB of zeros in about 80 kilobytes.
        let mut bomb = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        for _ in 0..80 {
            bomb.write_all(&[0u8; 1 << 20]).unwrap();
        }
        let bomb = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bomb.finish().unwrap());
        assert!(matches!(
            open(&format!("#r={bomb}")),
            Err(ShareError::NotDeflate(_) | ShareError::TooLong(_))
        ));
        // Valid deflate and JSON, but not a report of ours.
        let other = Shared {
            v: 1,
            report: Report {
                schema: "other/9".into(),
                ..Report::default()
            },
            ..Shared::default()
        };
        assert!(matches!(
            open(&encode(&other)),
            Err(ShareError::NotAReport(_))
        ));
        let newer = Shared {
            v: 2,
            report: report(),
            ..Shared::default()
        };
        assert_eq!(open(&encode(&newer)), Err(ShareError::Version(2)));
        assert!(ShareError::NotBase64("x".into())
            .to_string()
            .contains("damaged"));
    }
}
