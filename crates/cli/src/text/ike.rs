//! The text report's "Tunnels": one line per IKE tunnel with its ESP SPIs.
//! Placeholder until the analyzer lands: writes nothing.

use std::io::{self, Write};

use callscope_analysis::Report;

pub fn write(_out: &mut dyn Write, _r: &Report) -> io::Result<()> {
    Ok(())
}
