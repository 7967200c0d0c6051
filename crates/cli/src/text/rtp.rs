//! The text report's "Media": RTP streams laid out like tshark's `rtp,streams`, and RTCP.
//! Placeholder until the analyzer lands: writes nothing.

use std::io::{self, Write};

use callscope_analysis::Report;

pub fn write(_out: &mut dyn Write, _r: &Report) -> io::Result<()> {
    Ok(())
}
