//! `callscope analyze FILE --call CALL-ID`: one call's ladder diagram in the terminal, one column
//! per address, one arrow per message (as sngrep's call flow), then its SDP offers and answers;
//! the text is `callscope_view::call_text`'s, which the page exports too. With `--json`, the
//! call's object from the report instead.

use std::io::{self, Write};

use callscope_analysis::Report;
pub use callscope_view::call_text::find;
use callscope_view::call_text::{call_text, Found};

/// Writes the ladder (or the JSON object) of `call_id`; the caller checked it exists.
pub fn write(out: &mut dyn Write, report: &Report, call_id: &str, json: bool) -> io::Result<()> {
    let Some(found) = find(report, call_id) else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no call with Call-ID {call_id}"),
        ));
    };
    if json {
        match found {
            Found::Call(c) => serde_json::to_writer_pretty(&mut *out, c)?,
            Found::Exchange(e) => serde_json::to_writer_pretty(&mut *out, e)?,
        }
        return writeln!(out);
    }
    out.write_all(call_text(report, call_id).unwrap_or_default().as_bytes())
}
