//! Apple PKTAP (`tcpdump -i pktap`): a variable-length header naming the real interface, its link
//! type and the process that sent or received the packet (xnu `bsd/net/pktap.h`). Fields are in the
//! capturing host's byte order, little-endian on every Mac.

use super::{need, LinkError};

mod field {
    pub const LENGTH: usize = 0;
    pub const DLT: usize = 8;
    pub const IFNAME: std::ops::Range<usize> = 12..36;
    pub const PID: usize = 52;
    pub const COMM: std::ops::Range<usize> = 56..73;
    /// The version-1 header ends after `pth_comm` and the fields up to it.
    pub const MIN_LEN: usize = 73;
}

/// What a PKTAP header says about the packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PktapMeta {
    /// Interface the packet crossed (`pth_ifname`).
    pub ifname: String,
    /// Process id (`pth_pid`), when the kernel knew it (-1 and 0 mean unknown).
    pub pid: Option<u32>,
    /// Command name (`pth_comm`).
    pub command: String,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Returns the metadata, the inner link type and the inner packet.
pub(super) fn decode(data: &[u8]) -> Result<(PktapMeta, u32, &[u8]), LinkError> {
    need("pktap", data, field::MIN_LEN)?;
    let length = le32(data, field::LENGTH) as usize;
    if length < field::MIN_LEN {
        return Err(LinkError::BadPktap("pth_length shorter than the header"));
    }
    need("pktap", data, length)?;
    let pid = le32(data, field::PID) as i32;
    let meta = PktapMeta {
        ifname: c_string(&data[field::IFNAME]),
        pid: (pid > 0).then_some(pid as u32),
        command: c_string(&data[field::COMM]),
    };
    Ok((meta, le32(data, field::DLT), &data[length..]))
}
