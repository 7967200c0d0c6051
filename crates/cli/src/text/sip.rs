//! The text report's "Calls": one line per SIP call, and non-call SIP traffic.
//! Placeholder until the analyzer lands: writes nothing.

use std::io::{self, Write};

use callscope_analysis::Report;

pub fn write(_out: &mut dyn Write, _r: &Report) -> io::Result<()> {
    Ok(())
}
