//! Linux cooked captures (`tcpdump -i any`): SLL v1 (16 bytes) and v2 (20 bytes), see
//! tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and LINKTYPE_LINUX_SLL2.html.

use super::{need, LinkError, LinkLayer, LinkPath, Next};
use crate::bytes::be16;

/// ARPHRD values whose "protocol" field is not an EtherType.
const ARPHRD_NETLINK: u16 = 824;

pub(super) fn decode_v1(data: &[u8]) -> Result<LinkLayer<'_>, LinkError> {
    need("sll", data, 16)?;
    let arphrd = be16(data, 2).unwrap_or_default();
    let protocol = be16(data, 14).unwrap_or_default();
    Ok(LinkLayer {
        path: LinkPath::of(&["sll"]),
        next: next(arphrd, protocol),
        payload: &data[16..],
        pktap: None,
    })
}

pub(super) fn decode_v2(data: &[u8]) -> Result<LinkLayer<'_>, LinkError> {
    need("sll2", data, 20)?;
    let protocol = be16(data, 0).unwrap_or_default();
    let arphrd = be16(data, 8).unwrap_or_default();
    Ok(LinkLayer {
        path: LinkPath::of(&["sll"]),
        next: next(arphrd, protocol),
        payload: &data[20..],
        pktap: None,
    })
}

fn next(arphrd: u16, protocol: u16) -> Next {
    if arphrd == ARPHRD_NETLINK || protocol <= 1500 {
        Next::Other
    } else {
        Next::EtherType(protocol)
    }
}
