//! BSD loopback encapsulation: a 4-byte protocol family before the packet. LINKTYPE_NULL writes it
//! in the capturing host's byte order, LINKTYPE_LOOP in network order. macOS `utun*`, `ipsec*` and
//! `lo0` use it.

use super::{need, LinkError, LinkLayer, LinkPath, Next};

/// AF_INET everywhere.
const AF_INET: u32 = 2;
/// AF_INET6 on NetBSD/OpenBSD (24), FreeBSD/DragonFly (28), macOS (30).
const AF_INET6: [u32; 3] = [24, 28, 30];

pub(super) fn decode(data: &[u8], network_order: bool) -> Result<LinkLayer<'_>, LinkError> {
    need("null", data, 4)?;
    let raw = [data[0], data[1], data[2], data[3]];
    let family = if network_order {
        u32::from_be_bytes(raw)
    } else {
        // Host order of whoever wrote the file: families are small, so a value that only makes
        // sense byte-swapped was written big-endian.
        let le = u32::from_le_bytes(raw);
        if le > 0xffff {
            u32::from_be_bytes(raw)
        } else {
            le
        }
    };
    let next = if family == AF_INET {
        Next::EtherType(0x0800)
    } else if AF_INET6.contains(&family) {
        Next::EtherType(0x86dd)
    } else {
        Next::Other
    };
    Ok(LinkLayer {
        path: LinkPath::of(&["null"]),
        next,
        payload: &data[4..],
        pktap: None,
    })
}
