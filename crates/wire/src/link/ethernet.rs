//! Ethernet II (IEEE 802.3) with 802.1Q and 802.1ad (QinQ) tags.

use super::{need, LinkError, LinkLayer, LinkPath, Next};
use crate::bytes::be16;

mod field {
    pub const ETHERTYPE: usize = 12;
    pub const HEADER_LEN: usize = 14;
    /// A VLAN tag: TCI (2 bytes) then the inner EtherType.
    pub const TAG_LEN: usize = 4;
}

const VLAN_TYPES: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// Values up to 1500 are an 802.3 length, not an EtherType: an LLC header follows.
const MAX_802_3_LENGTH: u16 = 1500;

pub(super) fn decode(data: &[u8]) -> Result<LinkLayer<'_>, LinkError> {
    need("eth", data, field::HEADER_LEN)?;
    let mut path = LinkPath::of(&["eth"]);
    let mut ethertype = be16(data, field::ETHERTYPE).unwrap_or_default();
    let mut at = field::HEADER_LEN;
    // Bounded: a frame cannot hold more tags than its length allows, and we stop at eight.
    while VLAN_TYPES.contains(&ethertype) && path.len() < 9 {
        need("vlan", data, at + field::TAG_LEN)?;
        path.push("vlan");
        ethertype = be16(data, at + 2).unwrap_or_default();
        at += field::TAG_LEN;
    }
    let next = if ethertype <= MAX_802_3_LENGTH {
        path.push("llc");
        Next::Other
    } else {
        Next::EtherType(ethertype)
    };
    Ok(LinkLayer {
        path,
        next,
        payload: &data[at..],
        pktap: None,
    })
}
